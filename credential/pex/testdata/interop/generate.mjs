// Generates sphereon-vectors.json: what @sphereon/pex (the reference TypeScript
// implementation of DIF Presentation Exchange) decides for the definitions and
// credentials of ../spec and ../talent. interop_test.go checks that pex agrees.
//
// Usage (never commit node_modules):
//   mkdir -p /tmp/pexgen && cd /tmp/pexgen && npm init -y >/dev/null &&
//     npm install --ignore-scripts @sphereon/pex@4.1.0
//   cd /tmp/pexgen && node /path/to/credential/pex/testdata/interop/generate.mjs \
//     > /path/to/credential/pex/testdata/interop/sphereon-vectors.json
//
// For every definition, each input descriptor is evaluated alone (without
// groups and submission requirements) against each credential alone, which
// gives a descriptor x credential matrix; the whole definition is then
// evaluated against all credentials (areRequiredCredentialsPresent).
// JWT credentials are handed over as unsigned compact JWTs of their claims
// (the alg in the header); SD-JWT credentials are left out (the testdata holds
// their processed claims, not the compact form Sphereon needs).
//
// Sphereon 4.1.0 refuses, as "not a valid PresentationDefinition", three
// things our definitions use: a field's "name" (PE v2.1), members of the
// SD-JWT formats, and (its compiled v2 validator lacks it) a field's
// "optional". forSphereon removes names, SD-JWT formats and optional fields;
// none changes which credential matches (names are labels, no SD-JWT
// credential is evaluated, and an optional field never rejects one).
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Sphereon logs warnings on stdout, where the vectors go.
console.log = (...args) => console.error(...args);

const require = createRequire(join(process.cwd(), 'noop.js'));
const { PEX, PresentationSubmissionLocation } = require('@sphereon/pex');
const version = require('@sphereon/pex/package.json').version;

const here = dirname(fileURLToPath(import.meta.url));
const read = (p) => JSON.parse(readFileSync(join(here, '..', p), 'utf8'));
const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');

function original(c) {
  if (c.format.startsWith('jwt')) {
    return b64({ alg: c.alg, typ: 'JWT' }) + '.' + b64(c.document) + '.c2lnbmF0dXJl';
  }
  return c.document;
}

// A valid answer to each definition (credential ids), for the presentations.
const answers = {
  'spec/basic.json': ['eu-dl'],
  'spec/single-group.json': ['us-passport'],
  'spec/multi-group.json': ['bank-jwt', 'employment-bbs', 'us-dl'],
  'spec/nested.json': ['eu-dl'],
  'spec/format.json': ['jwt-dob-es384'],
  'talent/master-or-doctor.json': ['master-zhang'],
  'talent/training.json': ['training-li-48h'],
  'talent/settlement.json': ['master-zhang', 'training-li-48h'],
  'talent/graduate-programme.json': ['bachelor-li'],
};

const sets = [
  { credentials: 'spec/credentials.json', definitions: ['spec/basic.json', 'spec/single-group.json', 'spec/multi-group.json', 'spec/nested.json', 'spec/format.json'] },
  { credentials: 'talent/credentials.json', definitions: ['talent/master-or-doctor.json', 'talent/training.json', 'talent/settlement.json', 'talent/graduate-programme.json'] },
];

function forSphereon(pd) {
  pd = structuredClone(pd);
  const strip = (f) => {
    if (!f) return;
    delete f['vc+sd-jwt'];
    delete f['dc+sd-jwt'];
  };
  strip(pd.format);
  for (const d of pd.input_descriptors) {
    strip(d.format);
    if (d.constraints?.fields) {
      d.constraints.fields = d.constraints.fields.filter((f) => !f.optional);
      for (const f of d.constraints.fields) delete f.name;
    }
  }
  return pd;
}

const pex = new PEX();

// attempt runs f and returns its result, or {error} when Sphereon throws.
function attempt(f) {
  try {
    return f();
  } catch (e) {
    return { error: String(e?.message ?? e) };
  }
}
const out = { generator: `@sphereon/pex ${version}`, node: process.version, cases: [] };
for (const set of sets) {
  const creds = read(set.credentials).filter((c) => !c.format.includes('sd-jwt'));
  for (const file of set.definitions) {
    let pd = read(file);
    pd = forSphereon(pd.presentation_definition ?? pd);
    const matrix = {};
    for (const d of pd.input_descriptors) {
      const { group, ...single } = d;
      const spd = { id: pd.id, format: pd.format, input_descriptors: [single] };
      if (!spd.format) delete spd.format;
      const rs = creds.map((c) => attempt(() => pex.evaluateCredentials(structuredClone(spd), [original(c)])));
      const failed = rs.find((r) => r.error);
      matrix[d.id] = failed ? failed : creds.filter((c, i) => rs[i].areRequiredCredentialsPresent === 'info').map((c) => c.id);
    }
    // Sphereon changes the definition it is given: hand each call a copy
    const all = attempt(() => pex.evaluateCredentials(structuredClone(pd), creds.map(original)));
    const sel = attempt(() => pex.selectFrom(structuredClone(pd), creds.map(original)));
    // A presentation of the answer, built and then evaluated by Sphereon; and
    // the same with its first two credentials swapped (the submission then
    // points at the wrong ones).
    const chosen = answers[file].map((id) => creds.find((c) => c.id === id));
    const presentations = [];
    const built = attempt(() =>
      pex.presentationFrom(structuredClone(pd), chosen.map(original), {
        presentationSubmissionLocation: PresentationSubmissionLocation.EXTERNAL,
        holderDID: 'did:example:holder',
      }),
    );
    if (!built.error) {
      const variants = [{ name: 'as built', presentation: built.presentation }];
      if (built.presentation.verifiableCredential.length > 1) {
        const swapped = structuredClone(built.presentation);
        const vcs = swapped.verifiableCredential;
        [vcs[0], vcs[1]] = [vcs[1], vcs[0]];
        variants.push({ name: 'first two swapped', presentation: swapped });
      }
      for (const vr of variants) {
        const ev = attempt(() =>
          pex.evaluatePresentation(structuredClone(pd), structuredClone(vr.presentation), {
            presentationSubmission: structuredClone(built.presentationSubmission),
          }),
        );
        presentations.push({
          name: vr.name,
          credentials: chosen.map((c) => c.id),
          presentation: vr.presentation,
          presentation_submission: built.presentationSubmission,
          result: ev.error ?? ev.areRequiredCredentialsPresent,
          errors: (ev.errors ?? []).map((e) => e.message).slice(0, 5),
        });
      }
    }
    out.cases.push({
      definition: file,
      credentials: set.credentials,
      candidates: creds.map((c) => c.id),
      matches: matrix,
      evaluateCredentials: all.error ?? all.areRequiredCredentialsPresent,
      selectFrom: sel.error ?? sel.areRequiredCredentialsPresent,
      built: built.error ?? 'ok',
      presentations,
    });
  }
}
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
