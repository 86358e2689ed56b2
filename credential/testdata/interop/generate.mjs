// generate.mjs - produces the interop samples in this folder with the Digital
// Bazaar reference JavaScript implementations of VC / Data Integrity.
//
// Pinned package versions (npm), exactly as used to produce the committed files:
//   @digitalbazaar/vc                            7.3.0
//   @digitalbazaar/data-integrity                2.5.0
//   @digitalbazaar/eddsa-rdfc-2022-cryptosuite   1.3.0
//   @digitalbazaar/ed25519-multikey              1.3.1
//   @digitalbazaar/ed25519-signature-2020        5.4.0
//   @digitalbazaar/ed25519-verification-key-2020 4.2.0
//   (transitively: jsonld 9.0.0, jsonld-signatures 11.6.0, rdf-canonize 5.0.0)
//   node v20.20.2
//
// Reproduce (never inside the Go repo):
//   mkdir /tmp/interop && cd /tmp/interop && npm init -y
//   npm install @digitalbazaar/vc@7.3.0 @digitalbazaar/data-integrity@2.5.0 \
//     @digitalbazaar/eddsa-rdfc-2022-cryptosuite@1.3.0 \
//     @digitalbazaar/ed25519-multikey@1.3.1 \
//     @digitalbazaar/ed25519-signature-2020@5.4.0 \
//     @digitalbazaar/ed25519-verification-key-2020@4.2.0
//   cp <repo>/credential/testdata/interop/generate.mjs .
//   CONTEXTS=/work/shared/standards/contexts OUT=/tmp/interop/out node generate.mjs
//
// The document loader answers ONLY from the local byte-exact context copies in
// $CONTEXTS (see /work/shared/standards/README.md) and from did:key documents
// built locally from the key; any other URL is an error (no network access).
//
// Everything is deterministic: keys come from fixed seeds (SHA-256 of a label),
// all dates are fixed, Ed25519 signatures are deterministic, so re-running the
// script yields byte-identical files.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from
  '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import * as Ed25519Multikey from '@digitalbazaar/ed25519-multikey';
import {Ed25519Signature2020} from '@digitalbazaar/ed25519-signature-2020';
import {Ed25519VerificationKey2020} from
  '@digitalbazaar/ed25519-verification-key-2020';

const CONTEXTS = process.env.CONTEXTS || '/work/shared/standards/contexts';
const OUT = process.env.OUT || path.join(process.cwd(), 'out');
fs.mkdirSync(OUT, {recursive: true});

// ---------------------------------------------------------------- contexts --
const CONTEXT_FILES = {
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://w3id.org/security/suites/ed25519-2020/v1':
    'ed25519-signature-2020-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://www.w3.org/ns/credentials/status/v1':
    'bitstring-status-list-v1.jsonld',
  'https://www.w3.org/2018/credentials/examples/v1':
    'credentials-examples-v1.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2':
    'credentials-examples-v2.jsonld',
  'https://www.w3.org/ns/odrl.jsonld': 'odrl.jsonld',
};

// did:key documents are built locally. `vmStyle` selects the verification
// method type: 'Multikey' (Data Integrity / VCDM 2.0) or
// 'Ed25519VerificationKey2020' (Ed25519Signature2020 / VCDM 1.1).
let vmStyle = 'Multikey';

function didKeyDocument(did) {
  const fp = did.slice('did:key:'.length);
  const vmId = `${did}#${fp}`;
  const ctx = vmStyle === 'Multikey' ?
    'https://w3id.org/security/multikey/v1' :
    'https://w3id.org/security/suites/ed25519-2020/v1';
  const vm = {id: vmId, type: vmStyle, controller: did, publicKeyMultibase: fp};
  return {
    didDocument: {
      '@context': ['https://www.w3.org/ns/did/v1', ctx],
      id: did,
      verificationMethod: [vm],
      authentication: [vmId],
      assertionMethod: [vmId],
    },
    vm: {'@context': ctx, ...vm},
  };
}

async function documentLoader(url) {
  if(CONTEXT_FILES[url]) {
    const file = path.join(CONTEXTS, CONTEXT_FILES[url]);
    return {
      contextUrl: null,
      documentUrl: url,
      document: JSON.parse(fs.readFileSync(file, 'utf8')),
    };
  }
  if(url.startsWith('did:key:z6Mk')) {
    const [did, fragment] = url.split('#');
    const {didDocument, vm} = didKeyDocument(did);
    if(fragment !== undefined) {
      if(fragment !== did.slice('did:key:'.length)) {
        throw new Error(`unknown fragment: ${url}`);
      }
      return {contextUrl: null, documentUrl: url, document: vm};
    }
    return {contextUrl: null, documentUrl: url, document: didDocument};
  }
  throw new Error(`documentLoader: refusing to load unknown URL ${url}`);
}

// -------------------------------------------------------------------- keys --
function seedFor(label) {
  return new Uint8Array(
    crypto.createHash('sha256').update(label, 'utf8').digest());
}
const SEEDS = {
  issuer: 'talentchain-interop/issuer',
  holder: 'talentchain-interop/holder',
  other: 'talentchain-interop/unrelated-signer',
};

async function multikeyFor(label) {
  const seed = seedFor(SEEDS[label]);
  const tmp = await Ed25519Multikey.generate({seed});
  const did = `did:key:${tmp.publicKeyMultibase}`;
  const key = await Ed25519Multikey.generate({seed, controller: did});
  return {did, key, seedHex: Buffer.from(seed).toString('hex')};
}
async function key2020For(label) {
  const seed = seedFor(SEEDS[label]);
  const tmp = await Ed25519VerificationKey2020.generate({seed});
  const did = `did:key:${tmp.publicKeyMultibase}`;
  const key = await Ed25519VerificationKey2020.generate({
    seed, controller: did, id: `${did}#${tmp.publicKeyMultibase}`});
  return {did, key};
}

function diSuite(key, created) {
  return new DataIntegrityProof({
    signer: key.signer(), date: created, cryptosuite: eddsaRdfc2022});
}
function ed2020Suite(key, created) {
  return new Ed25519Signature2020({key, date: created});
}

const clone = o => JSON.parse(JSON.stringify(o));
const manifest = [];

function save(name, doc, expect, note) {
  fs.writeFileSync(path.join(OUT, name), JSON.stringify(doc, null, 2) + '\n');
  manifest.push({name, expect, note});
}

// Verification with the same reference libraries, as a self-check.
const NOW = '2025-06-01T00:00:00Z';
async function checkVC(credential, suite) {
  const r = await vc.verifyCredential({
    credential, suite, documentLoader, now: NOW});
  return r.verified ? 'VERIFY' :
    'FAIL: ' + (r.error?.errors?.[0]?.message || r.error?.message ||
      JSON.stringify(r.results?.map(x => x.error?.message)));
}
async function checkVP(presentation, suite, challenge, domain) {
  const r = await vc.verify({
    presentation, suite, documentLoader, challenge, domain, now: NOW});
  if(r.verified) {
    return 'VERIFY';
  }
  const msgs = [];
  if(r.presentationResult && !r.presentationResult.verified) {
    msgs.push('presentation: ' + (r.presentationResult.error?.errors?.[0]
      ?.message || r.presentationResult.error?.message));
  }
  for(const c of r.credentialResults || []) {
    if(!c.verified) {
      msgs.push('credential: ' + (c.error?.errors?.[0]?.message ||
        c.error?.message));
    }
  }
  if(r.error && msgs.length === 0) {
    msgs.push(r.error.message || String(r.error));
  }
  return 'FAIL: ' + msgs.join('; ');
}

// ===================================================== VCDM 2.0 / DI eddsa --
const V2 = [
  'https://www.w3.org/ns/credentials/v2',
  'https://www.w3.org/ns/credentials/examples/v2',
];

async function v2() {
  vmStyle = 'Multikey';
  const issuer = await multikeyFor('issuer');
  const holder = await multikeyFor('holder');
  const other = await multikeyFor('other');
  const verifySuite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});

  const results = {};
  async function issue(name, credential, created, key = issuer.key,
    expect, note) {
    const signed = await vc.issue({
      credential: clone(credential), suite: diSuite(key, created),
      documentLoader});
    results[name] = signed;
    save(name, signed, expect, note);
    return signed;
  }

  // 1. simple
  const simple = {
    '@context': V2,
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e01',
    type: ['VerifiableCredential', 'ExampleSkillCredential'],
    issuer: issuer.did,
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: holder.did,
      skill: 'Go programming',
    },
  };
  await issue('vc2-eddsa-simple.json', simple, '2025-01-15T10:00:00Z',
    issuer.key, 'VERIFY', 'simple credential');

  // 2. nested credentialSubject
  const nested = {
    '@context': V2,
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e02',
    type: ['VerifiableCredential', 'ExampleEmploymentCredential'],
    issuer: {id: issuer.did, name: 'Example Issuer Corp'},
    name: 'Employment Credential',
    description: 'Nested subject sample made with the reference JS libraries.',
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: holder.did,
      name: 'Alice Example',
      employment: {
        type: 'ExampleEmployment',
        role: 'Senior Engineer',
        startDate: '2021-03-01',
        employer: {
          type: 'ExampleOrganization',
          name: 'Example Org',
          address: {
            type: 'ExamplePostalAddress',
            addressLocality: 'Berlin',
            addressCountry: 'DE',
          },
        },
      },
      skills: [
        {type: 'ExampleSkill', name: 'Go', level: 5},
        {type: 'ExampleSkill', name: 'Kubernetes', level: 4},
      ],
    },
  };
  await issue('vc2-eddsa-nested-subject.json', nested,
    '2025-01-15T10:05:00Z', issuer.key, 'VERIFY',
    'issuer as object with name; nested objects and arrays in subject');

  // 3. validity windows
  const validityBase = {
    '@context': V2,
    type: ['VerifiableCredential', 'ExampleSkillCredential'],
    issuer: issuer.did,
    credentialSubject: {id: holder.did, skill: 'Rust programming'},
  };
  await issue('vc2-eddsa-valid-window-current.json', {
    ...validityBase,
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e03',
    validFrom: '2025-01-01T00:00:00Z',
    validUntil: '2099-12-31T23:59:59Z',
  }, '2025-01-15T10:10:00Z', issuer.key, 'VERIFY',
  'validFrom in the past, validUntil far in the future');
  await issue('vc2-eddsa-expired.json', {
    ...validityBase,
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e04',
    validFrom: '2024-01-01T00:00:00Z',
    validUntil: '2024-12-31T23:59:59Z',
  }, '2024-01-01T00:00:00Z', issuer.key, 'FAIL',
  'signature valid, but validUntil is in the past (expired)');
  await issue('vc2-eddsa-not-yet-valid.json', {
    ...validityBase,
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e05',
    validFrom: '2099-01-01T00:00:00Z',
    validUntil: '2099-12-31T23:59:59Z',
  }, '2025-01-15T10:15:00Z', issuer.key, 'FAIL',
  'signature valid, but validFrom is in the future (not yet valid)');

  // 4. proof set, both proofs by the issuer key (did:key has a single key)
  const ps1 = await vc.issue({
    credential: clone({...simple,
      id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e06'}),
    suite: diSuite(issuer.key, '2025-01-15T10:20:00Z'), documentLoader});
  const ps2 = await vc.issue({
    credential: clone(ps1),
    suite: diSuite(issuer.key, '2025-01-16T08:00:00Z'), documentLoader});
  save('vc2-eddsa-proof-set.json', ps2, 'VERIFY',
    'proof set: two independent proofs (different created) by the issuer key');

  // 5. proof set where the second proof is by an unrelated did:key
  const psOther = await vc.issue({
    credential: clone({...simple,
      id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e07'}),
    suite: diSuite(issuer.key, '2025-01-15T10:25:00Z'), documentLoader});
  const psOther2 = await vc.issue({
    credential: clone(psOther),
    suite: diSuite(other.key, '2025-01-15T10:26:00Z'), documentLoader});
  save('vc2-eddsa-proof-set-foreign-key.json', psOther2, 'FAIL',
    'proof set: first proof by the issuer, second (cryptographically valid) ' +
    'by an unrelated did:key that is not the issuer. FAIL under a strict ' +
    'every-proof-must-be-by-the-issuer policy; the reference JS verifier ' +
    'accepts it (jsonld-signatures needs only one matching proof)');

  // 6. single proof by a key that is not the issuer's
  await issue('vc2-eddsa-wrong-issuer-key.json', {...simple,
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e08'},
  '2025-01-15T10:30:00Z', other.key, 'FAIL',
  'valid signature, but by an unrelated did:key; issuer is the issuer did');

  // 7. tampered after signing
  const tampered = clone(results['vc2-eddsa-simple.json']);
  tampered.credentialSubject.skill = 'COBOL programming';
  save('vc2-eddsa-tampered.json', tampered, 'FAIL',
    'copy of vc2-eddsa-simple.json with credentialSubject.skill changed ' +
    'after signing');

  // 8. explicit data-integrity/v2 context in addition to credentials/v2
  await issue('vc2-eddsa-with-di-context.json', {
    ...simple,
    '@context': [...V2, 'https://w3id.org/security/data-integrity/v2'],
    id: 'urn:uuid:2f6a1f0e-6d1b-4d1e-9a4c-1a0b2c3d4e09',
  }, '2025-01-15T10:35:00Z', issuer.key, 'VERIFY',
  'as simple, with https://w3id.org/security/data-integrity/v2 listed too');

  // ---- presentations
  const CHALLENGE = 'tc-interop-challenge-2f6a1f0e';
  const DOMAIN = 'verifier.talentchain.example';
  async function present(name, credentials, {challenge, domain, key, holderDid,
    created, id}, expect, note) {
    const presentation = vc.createPresentation({
      verifiableCredential: clone(credentials), holder: holderDid, id,
      now: NOW});
    const signed = await vc.signPresentation({
      presentation, suite: diSuite(key, created), challenge, domain,
      documentLoader});
    save(name, signed, expect, note);
    return signed;
  }
  await present('vp2-eddsa.json', [results['vc2-eddsa-simple.json']], {
    challenge: CHALLENGE, domain: DOMAIN, key: holder.key,
    holderDid: holder.did, created: '2025-02-01T12:00:00Z',
    id: 'urn:uuid:7c1d0b52-3f5e-4a8e-b2c1-0d9e8f7a6b01',
  }, 'VERIFY', `holder proof, authentication, challenge ${CHALLENGE}, ` +
    `domain ${DOMAIN}`);
  await present('vp2-eddsa-tampered-credential.json',
    [tampered], {
      challenge: CHALLENGE, domain: DOMAIN, key: holder.key,
      holderDid: holder.did, created: '2025-02-01T12:05:00Z',
      id: 'urn:uuid:7c1d0b52-3f5e-4a8e-b2c1-0d9e8f7a6b02',
    }, 'FAIL', 'presentation proof valid, embedded credential tampered');
  await present('vp2-eddsa-holder-mismatch.json',
    [results['vc2-eddsa-simple.json']], {
      challenge: CHALLENGE, domain: DOMAIN, key: other.key,
      holderDid: holder.did, created: '2025-02-01T12:10:00Z',
      id: 'urn:uuid:7c1d0b52-3f5e-4a8e-b2c1-0d9e8f7a6b03',
    }, 'FAIL', 'presentation signed by an unrelated did:key, but holder ' +
    'says the holder did. FAIL under a strict holder-binding policy; the ' +
    'reference JS verifier accepts it (it does not bind holder to the key)');

  // self-check with the reference verifier
  const checks = {};
  for(const m of manifest) {
    const doc = JSON.parse(fs.readFileSync(path.join(OUT, m.name), 'utf8'));
    checks[m.name] = m.name.startsWith('vp') ?
      await checkVP(doc, verifySuite, CHALLENGE, DOMAIN) :
      await checkVC(doc, verifySuite);
  }
  // wrong challenge / wrong domain against the good presentation
  const vpGood = JSON.parse(
    fs.readFileSync(path.join(OUT, 'vp2-eddsa.json'), 'utf8'));
  checks['vp2-eddsa.json (wrong challenge)'] =
    await checkVP(vpGood, verifySuite, 'other-challenge', DOMAIN);
  checks['vp2-eddsa.json (wrong domain)'] =
    await checkVP(vpGood, verifySuite, CHALLENGE, 'evil.example');
  return {keys: {issuer, holder, other}, CHALLENGE, DOMAIN, checks};
}

// ============================================ VCDM 1.1 / Ed25519Signature2020 --
const V1 = [
  'https://www.w3.org/2018/credentials/v1',
  'https://www.w3.org/2018/credentials/examples/v1',
  'https://w3id.org/security/suites/ed25519-2020/v1',
];

async function v1() {
  vmStyle = 'Ed25519VerificationKey2020';
  const start = manifest.length;
  const issuer = await key2020For('issuer');
  const holder = await key2020For('holder');
  const other = await key2020For('other');
  const verifySuite = new Ed25519Signature2020();

  const credential = {
    '@context': V1,
    id: 'urn:uuid:5b0c1e7a-8d2f-4c3b-9e1a-6f7d8c9b0a01',
    type: ['VerifiableCredential', 'UniversityDegreeCredential'],
    issuer: issuer.did,
    issuanceDate: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: holder.did,
      degree: {
        type: 'BachelorDegree',
        name: 'Bachelor of Science and Arts',
      },
    },
  };
  const signed = await vc.issue({credential: clone(credential),
    suite: ed2020Suite(issuer.key, '2025-01-15T11:00:00Z'), documentLoader});
  save('vc1-ed25519-2020.json', signed, 'VERIFY',
    'VCDM 1.1 UniversityDegreeCredential, Ed25519Signature2020');

  const withExp = await vc.issue({credential: clone({...credential,
    id: 'urn:uuid:5b0c1e7a-8d2f-4c3b-9e1a-6f7d8c9b0a02',
    expirationDate: '2099-12-31T23:59:59Z'}),
  suite: ed2020Suite(issuer.key, '2025-01-15T11:05:00Z'), documentLoader});
  save('vc1-ed25519-2020-expiration-future.json', withExp, 'VERIFY',
    'as vc1-ed25519-2020.json with expirationDate 2099');

  const expired = await vc.issue({credential: clone({...credential,
    id: 'urn:uuid:5b0c1e7a-8d2f-4c3b-9e1a-6f7d8c9b0a03',
    issuanceDate: '2024-01-01T00:00:00Z',
    expirationDate: '2024-12-31T23:59:59Z'}),
  suite: ed2020Suite(issuer.key, '2024-01-01T00:00:00Z'), documentLoader});
  save('vc1-ed25519-2020-expired.json', expired, 'FAIL',
    'signature valid, expirationDate in the past');

  const t = clone(signed);
  t.credentialSubject.degree.name = 'Doctor of Philosophy';
  save('vc1-ed25519-2020-tampered.json', t, 'FAIL',
    'copy of vc1-ed25519-2020.json with degree.name changed after signing');

  const wrong = await vc.issue({credential: clone({...credential,
    id: 'urn:uuid:5b0c1e7a-8d2f-4c3b-9e1a-6f7d8c9b0a04'}),
  suite: ed2020Suite(other.key, '2025-01-15T11:10:00Z'), documentLoader});
  save('vc1-ed25519-2020-wrong-issuer-key.json', wrong, 'FAIL',
    'valid signature by an unrelated did:key; issuer is the issuer did');

  const CHALLENGE = 'tc-interop-challenge-v1-5b0c1e7a';
  const presentation = vc.createPresentation({
    verifiableCredential: [clone(signed)], holder: holder.did,
    id: 'urn:uuid:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c01', version: 1.0,
    now: NOW});
  // createPresentation(version 1.0) only sets credentials/v1
  presentation['@context'] = [
    'https://www.w3.org/2018/credentials/v1',
    'https://w3id.org/security/suites/ed25519-2020/v1',
  ];
  const vp = await vc.signPresentation({presentation,
    suite: ed2020Suite(holder.key, '2025-02-01T13:00:00Z'),
    challenge: CHALLENGE, documentLoader});
  save('vp1-ed25519-2020.json', vp, 'VERIFY',
    `holder proof, authentication, challenge ${CHALLENGE}, no domain`);

  const checks = {};
  for(const m of manifest.slice(start)) {
    const doc = JSON.parse(fs.readFileSync(path.join(OUT, m.name), 'utf8'));
    checks[m.name] = m.name.startsWith('vp') ?
      await checkVP(doc, verifySuite, CHALLENGE) :
      await checkVC(doc, verifySuite);
  }
  checks['vp1-ed25519-2020.json (wrong challenge)'] =
    await checkVP(vp, verifySuite, 'other-challenge');
  return {keys: {issuer, holder, other}, CHALLENGE, checks};
}

const r2 = await v2();
const r1 = await v1();

const keys = {};
for(const [label, k] of Object.entries(r2.keys)) {
  keys[label] = {
    did: k.did,
    verificationMethod: `${k.did}#${k.key.publicKeyMultibase}`,
    publicKeyMultibase: k.key.publicKeyMultibase,
    seedLabel: SEEDS[label],
    seedHex: k.seedHex,
  };
}
const summary = {
  referenceNow: NOW,
  keys,
  vp2: {challenge: r2.CHALLENGE, domain: r2.DOMAIN},
  vp1: {challenge: r1.CHALLENGE},
  files: manifest,
  referenceVerifierResults: {...r2.checks, ...r1.checks},
};
fs.writeFileSync(path.join(OUT, 'manifest.json'),
  JSON.stringify(summary, null, 2) + '\n');
console.log(JSON.stringify(summary, null, 2));
