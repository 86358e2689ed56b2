// verify-ours.mjs - checks that credentials and presentations SIGNED BY
// TALENTCHAIN'S GO CODE (credential/testdata/forged/valid-*.json) verify with
// the Digital Bazaar reference JavaScript libraries, and that two tampered
// controls fail there too.
//
// Same pinned packages as generate.mjs (see README.md, section 1):
//   @digitalbazaar/vc 7.3.0, data-integrity 2.5.0,
//   eddsa-rdfc-2022-cryptosuite 1.3.0, ed25519-multikey 1.3.1,
//   ed25519-signature-2020 5.4.0, ed25519-verification-key-2020 4.2.0,
//   jsonld 9.0.0 (jsonld-signatures 11.6.0, rdf-canonize 5.0.0), node v20.
//
// Run (the npm packages are looked up in $INTEROP_DIR, default /tmp/interop,
// so the script can stay in the repo):
//   node <repo>/credential/testdata/interop/verify-ours.mjs
//
// Offline: the document loader answers only from the local context copies in
// $CONTEXTS, from TalentChain's own context file
// (<repo>/credential/contexts/talentchain-v1.jsonld, served as
// https://w3id.org/talentchain/credentials/v1) and from did:key documents
// built locally from the key. Any other URL is an error.
//
// Exit status: 0 if every file got its expected verdict, 1 otherwise.

import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath, pathToFileURL} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INTEROP_DIR = process.env.INTEROP_DIR || '/tmp/interop';
const CONTEXTS = process.env.CONTEXTS || '/work/shared/standards/contexts';
const FORGED = process.env.FORGED || path.join(HERE, '..', 'forged');
const TC_CONTEXT_FILE = process.env.TC_CONTEXT ||
  path.join(HERE, '..', '..', 'contexts', 'talentchain-v1.jsonld');
// fixed "now" for the validFrom / issuanceDate checks of @digitalbazaar/vc
const NOW = process.env.NOW || '2026-09-01T00:00:00Z';
const CHALLENGE = 'c-7f3a9d2e';
const DOMAIN = 'hr.example.com';

// resolve the packages from INTEROP_DIR, not from this file's directory
const req = createRequire(path.join(INTEROP_DIR, 'package.json'));
const load = name => import(pathToFileURL(req.resolve(name)).href);
const vc = await load('@digitalbazaar/vc');
const {DataIntegrityProof} = await load('@digitalbazaar/data-integrity');
const {cryptosuite: eddsaRdfc2022} =
  await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const {Ed25519Signature2020} =
  await load('@digitalbazaar/ed25519-signature-2020');
const jsonld = (await load('jsonld')).default;

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
const CONTEXT_PATHS = Object.fromEntries(Object.entries(CONTEXT_FILES)
  .map(([url, file]) => [url, path.join(CONTEXTS, file)]));
CONTEXT_PATHS['https://w3id.org/talentchain/credentials/v1'] = TC_CONTEXT_FILE;

// did:key documents are built locally, as in generate.mjs. `vmStyle` selects
// the verification method type: 'Multikey' (DataIntegrityProof /
// eddsa-rdfc-2022) or 'Ed25519VerificationKey2020' (Ed25519Signature2020).
// The Go side writes did:key:<fp>#<fp> in both cases.
function didKeyDocument(did, vmStyle) {
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

function makeDocumentLoader(vmStyle) {
  return async function documentLoader(url) {
    if(CONTEXT_PATHS[url]) {
      return {
        contextUrl: null,
        documentUrl: url,
        document: JSON.parse(fs.readFileSync(CONTEXT_PATHS[url], 'utf8')),
      };
    }
    if(url.startsWith('did:key:z6Mk')) {
      const [did, fragment] = url.split('#');
      const {didDocument, vm} = didKeyDocument(did, vmStyle);
      if(fragment !== undefined) {
        if(fragment !== did.slice('did:key:'.length)) {
          throw new Error(`unknown fragment: ${url}`);
        }
        return {contextUrl: null, documentUrl: url, document: vm};
      }
      return {contextUrl: null, documentUrl: url, document: didDocument};
    }
    throw new Error(`documentLoader: refusing to load unknown URL ${url}`);
  };
}

// the verification method style follows the proof type(s) in the document
function proofTypes(doc) {
  const types = new Set();
  for(const p of [].concat(doc.proof || [])) {
    types.add(p.type);
  }
  for(const c of [].concat(doc.verifiableCredential || [])) {
    for(const t of proofTypes(c)) {
      types.add(t);
    }
  }
  return types;
}
function setupFor(doc) {
  const types = proofTypes(doc);
  if(types.has('Ed25519Signature2020') && types.has('DataIntegrityProof')) {
    throw new Error('mixed proof types: no single did:key style fits');
  }
  if(types.has('Ed25519Signature2020')) {
    return {
      style: 'Ed25519VerificationKey2020',
      suite: new Ed25519Signature2020(),
      documentLoader: makeDocumentLoader('Ed25519VerificationKey2020'),
    };
  }
  return {
    style: 'Multikey',
    suite: new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
    documentLoader: makeDocumentLoader('Multikey'),
  };
}

// ----------------------------------------------------------- verification --
const firstError = e => e?.errors?.[0]?.message || e?.message ||
  (e ? String(e) : undefined);

// jsonld-signatures accepts a document if ANY proof verifies; also report
// how many of the proofs verified, so that a proof set is only "VERIFY" if
// every proof does.
function proofCount(r) {
  const rs = r?.results || [];
  const ok = rs.filter(x => x.verified).length;
  return {ok, total: [].concat(r?.proofs ?? rs).length, rs};
}

async function checkVC(doc) {
  const {suite, documentLoader, style} = setupFor(doc);
  const r = await vc.verifyCredential({
    credential: doc, suite, documentLoader, now: NOW});
  const total = [].concat(doc.proof || []).length;
  const ok = (r.results || []).filter(x => x.verified).length;
  const errs = [];
  if(!r.verified) {
    errs.push(firstError(r.error) ||
      (r.results || []).map(x => firstError(x.error)).join(' | '));
  } else {
    for(const x of r.results || []) {
      if(!x.verified) {
        errs.push('a proof did not verify: ' + firstError(x.error));
      }
    }
  }
  const verified = r.verified && ok === total;
  return {verified, detail: `${style}; proofs ${ok}/${total}`, errs};
}

async function checkVP(doc, challenge, domain) {
  const {suite, documentLoader, style} = setupFor(doc);
  const r = await vc.verify({
    presentation: doc, suite, documentLoader, challenge, domain, now: NOW});
  const errs = [];
  const pr = r.presentationResult;
  if(pr && !pr.verified) {
    errs.push('presentation: ' + firstError(pr.error));
  }
  for(const c of r.credentialResults || []) {
    if(!c.verified) {
      errs.push('credential: ' + (firstError(c.error) ||
        (c.results || []).map(x => firstError(x.error)).join(' | ')));
    }
  }
  if(!r.verified && errs.length === 0) {
    errs.push(firstError(r.error));
  }
  const vpOk = pr?.verified ? 'ok' : 'FAIL';
  const vcOk = (r.credentialResults || []).map(c => c.verified ? 'ok' : 'FAIL');
  return {
    verified: r.verified,
    detail: `${style}; VP proof ${vpOk}; VCs [${vcOk.join(',')}]`,
    errs,
  };
}

// ------------------------------------------------------------------ cases --
const CASES = [
  {file: 'valid-degree-v2.json', kind: 'vc', expect: 'VERIFY'},
  {file: 'valid-proof-set.json', kind: 'vc', expect: 'VERIFY'},
  {file: 'valid-presentation-v2.json', kind: 'vp', expect: 'VERIFY'},
  {file: 'valid-training-v1-ed25519-2020.json', kind: 'vc', expect: 'VERIFY'},
  {file: 'valid-presentation-v1.json', kind: 'vp', expect: 'VERIFY'},
  {file: 'claim-altered.json', kind: 'vc', expect: 'FAIL'},
  {file: 'presentation-forged-credential.json', kind: 'vp', expect: 'FAIL'},
  // extra controls: the good presentations with the wrong challenge / domain
  {file: 'valid-presentation-v2.json', kind: 'vp', expect: 'FAIL',
    challenge: 'other-challenge', label: '(wrong challenge)'},
  {file: 'valid-presentation-v2.json', kind: 'vp', expect: 'FAIL',
    domain: 'evil.example', label: '(wrong domain)'},
  {file: 'valid-presentation-v1.json', kind: 'vp', expect: 'FAIL',
    challenge: 'other-challenge', label: '(wrong challenge)'},
];

// optional diagnostics: `node verify-ours.mjs --nquads FILE` prints the
// RDFC-1.0 canonical N-Quads of FILE without its proof (what eddsa-rdfc-2022
// and Ed25519Signature2020 hash as the document), and of the proof options
// (the proof without proofValue, with the document's @context).
if(process.argv[2] === '--nquads') {
  const doc = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
  const {documentLoader} = setupFor(doc);
  const proofs = [].concat(doc.proof || []);
  delete doc.proof;
  const opts = {algorithm: 'RDFC-1.0', format: 'application/n-quads',
    documentLoader, safe: true};
  console.log('# document');
  process.stdout.write(await jsonld.canonize(doc, opts));
  for(const [i, p] of proofs.entries()) {
    const {proofValue, ...rest} = p;
    console.log(`# proof options ${i}`);
    process.stdout.write(await jsonld.canonize(
      {'@context': doc['@context'], ...rest}, opts));
  }
  process.exit(0);
}

console.log(`now=${NOW} challenge=${CHALLENGE} domain=${DOMAIN}`);
let mismatches = 0;
for(const c of CASES) {
  const doc = JSON.parse(fs.readFileSync(path.join(FORGED, c.file), 'utf8'));
  let res;
  try {
    res = c.kind === 'vc' ? await checkVC(doc) :
      await checkVP(doc, c.challenge ?? CHALLENGE, c.domain ?? DOMAIN);
  } catch(e) {
    res = {verified: false, detail: 'exception', errs: [firstError(e)]};
  }
  const got = res.verified ? 'VERIFY' : 'FAIL';
  const match = got === c.expect;
  if(!match) {
    mismatches++;
  }
  const name = c.label ? `${c.file} ${c.label}` : c.file;
  console.log([name, `expected=${c.expect}`, `js=${got}`,
    match ? 'OK' : 'MISMATCH', res.detail,
    res.errs.length ? 'error: ' + res.errs.join('; ') : ''].join(' | '));
}
console.log(mismatches === 0 ? 'ALL AS EXPECTED' :
  `${mismatches} MISMATCH(ES)`);
process.exit(mismatches === 0 ? 0 : 1);
