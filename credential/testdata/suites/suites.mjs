// suites.mjs - interoperability samples for ecdsa-rdfc-2019,
// Ed25519Signature2018 and did:jwk, made and checked with the Digital Bazaar
// reference JavaScript implementations. Two modes:
//
//   node suites.mjs generate     writes the samples and manifest.json to $OUT
//                                (default: this folder), then checks each file
//                                with the same libraries
//   node suites.mjs verify-ours  verifies the samples TalentChain's Go code
//                                signed (../forged/*.json) with these libraries
//
// Pinned package versions (npm), exactly as used for the committed files:
//   @digitalbazaar/vc                            7.3.0
//   @digitalbazaar/data-integrity                2.5.0
//   @digitalbazaar/ecdsa-rdfc-2019-cryptosuite   1.3.0
//   @digitalbazaar/ecdsa-multikey                1.8.0
//   @digitalbazaar/eddsa-rdfc-2022-cryptosuite   1.3.0
//   @digitalbazaar/ed25519-multikey              1.3.1
//   @digitalbazaar/ed25519-signature-2018        4.2.0
//   @digitalbazaar/ed25519-verification-key-2018 4.0.0
//   ed25519-signature-2018-context               1.1.0
//   (transitively: jsonld 9.0.0, jsonld-signatures 11.6.0, rdf-canonize 5.0.0)
//   node v20.20.2
//
// Setup (never inside the Go repo; the script finds the packages through
// $INTEROP_DIR, default /tmp/interop-suites, and can stay where it is):
//   mkdir /tmp/interop-suites && cd /tmp/interop-suites && npm init -y
//   npm install @digitalbazaar/vc@7.3.0 @digitalbazaar/data-integrity@2.5.0 \
//     @digitalbazaar/ecdsa-rdfc-2019-cryptosuite@1.3.0 \
//     @digitalbazaar/ecdsa-multikey@1.8.0 \
//     @digitalbazaar/eddsa-rdfc-2022-cryptosuite@1.3.0 \
//     @digitalbazaar/ed25519-multikey@1.3.1 \
//     @digitalbazaar/ed25519-signature-2018@4.2.0 \
//     @digitalbazaar/ed25519-verification-key-2018@4.0.0 \
//     ed25519-signature-2018-context@1.1.0
//
// Offline: the document loader answers only from the local context copies in
// $CONTEXTS (/work/shared/standards/contexts), the ed25519-2018 context and
// TalentChain's own context from <repo>/credential/contexts, and from DID and
// controller documents built here from the keys. Any other URL is an error.
//
// Keys come from fixed seeds (SHA-256 of a label), so every run makes the
// same keys and identifiers. ECDSA signatures made by WebCrypto are
// randomized, so the ecdsa files differ from run to run (they all verify);
// the Ed25519Signature2018 files are byte-identical on every run.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';
import {fileURLToPath, pathToFileURL} from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const INTEROP_DIR = process.env.INTEROP_DIR || '/tmp/interop-suites';
const CONTEXTS = process.env.CONTEXTS || '/work/shared/standards/contexts';
const REPO_CONTEXTS = path.join(HERE, '..', '..', 'contexts');
const OUT = process.env.OUT || HERE;
const FORGED = process.env.FORGED || path.join(HERE, '..', 'forged');
const MODE = process.argv[2];

const req = createRequire(path.join(INTEROP_DIR, 'package.json'));
const load = name => import(pathToFileURL(req.resolve(name)).href);
const vc = await load('@digitalbazaar/vc');
const {DataIntegrityProof} = await load('@digitalbazaar/data-integrity');
const {cryptosuite: ecdsaRdfc2019} =
  await load('@digitalbazaar/ecdsa-rdfc-2019-cryptosuite');
const {cryptosuite: eddsaRdfc2022} =
  await load('@digitalbazaar/eddsa-rdfc-2022-cryptosuite');
const EcdsaMultikey = await load('@digitalbazaar/ecdsa-multikey');
const Ed25519Multikey = await load('@digitalbazaar/ed25519-multikey');
const {Ed25519Signature2018} =
  await load('@digitalbazaar/ed25519-signature-2018');
const {Ed25519VerificationKey2018} =
  await load('@digitalbazaar/ed25519-verification-key-2018');
const base58 = await load('base58-universal');

// ---------------------------------------------------------------- contexts --
const CONTEXT_PATHS = {
  'https://www.w3.org/2018/credentials/v1': 'credentials-v1.jsonld',
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://www.w3.org/ns/did/v1': 'did-v1.jsonld',
  'https://www.w3.org/2018/credentials/examples/v1':
    'credentials-examples-v1.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2':
    'credentials-examples-v2.jsonld',
  'https://www.w3.org/ns/odrl.jsonld': 'odrl.jsonld',
};
for(const [url, file] of Object.entries(CONTEXT_PATHS)) {
  CONTEXT_PATHS[url] = path.join(CONTEXTS, file);
}
CONTEXT_PATHS['https://w3id.org/security/suites/ed25519-2018/v1'] =
  path.join(REPO_CONTEXTS, 'ed25519-signature-2018-v1.jsonld');
CONTEXT_PATHS['https://w3id.org/talentchain/credentials/v1'] =
  path.join(REPO_CONTEXTS, 'talentchain-v1.jsonld');

// ------------------------------------------------------------------- keys --
const sha256 = label => crypto.createHash('sha256').update(label).digest();
const P256_PUB = [0x80, 0x24];
const P256_SEC = [0x86, 0x26];
const P384_PUB = [0x81, 0x24];
const P384_SEC = [0x87, 0x26];
const ED_PUB = [0xed, 0x01];
const mb = (prefix, bytes) =>
  'z' + base58.encode(Uint8Array.from([...prefix, ...bytes]));

// An EC key from a seed label: d = SHA-256(label) for P-256, the first 48
// bytes of SHA-256(label) || SHA-256(label) for P-384 (the same rule as
// testECKey in credential/ecdsa_test.go, with the label prefix given here).
function ecSecret(curve, label) {
  const s = sha256(label);
  return curve === 'P-256' ? s : Buffer.concat([s, s.subarray(0, 16)]);
}
function ecMultibase(curve, label) {
  const ecdh = crypto.createECDH(curve === 'P-256' ? 'prime256v1' :
    'secp384r1');
  const d = ecSecret(curve, label);
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey(null, 'compressed');
  return curve === 'P-256' ?
    {pub: mb(P256_PUB, pub), sec: mb(P256_SEC, d)} :
    {pub: mb(P384_PUB, pub), sec: mb(P384_SEC, d)};
}
async function ecKey(curve, label, {controller, id} = {}) {
  const {pub, sec} = ecMultibase(curve, label);
  const did = `did:key:${pub}`;
  controller = controller || did;
  id = id || `${did}#${pub}`;
  const key = await EcdsaMultikey.from({
    '@context': 'https://w3id.org/security/multikey/v1', type: 'Multikey',
    id, controller, publicKeyMultibase: pub, secretKeyMultibase: sec});
  return {did, id, controller, key, publicKeyMultibase: pub};
}
async function edMultikey(label, {controller, id} = {}) {
  const seed = new Uint8Array(sha256(label));
  const tmp = await Ed25519Multikey.generate({seed});
  const did = `did:key:${tmp.publicKeyMultibase}`;
  controller = controller || did;
  id = id || `${did}#${tmp.publicKeyMultibase}`;
  const key = await Ed25519Multikey.generate({seed, controller, id});
  return {did, id, controller, key, publicKeyMultibase: tmp.publicKeyMultibase};
}
async function ed2018Key(label, {controller, id} = {}) {
  const seed = new Uint8Array(sha256(label));
  const tmp = await Ed25519VerificationKey2018.generate({seed});
  const fp = mb(ED_PUB, base58.decode(tmp.publicKeyBase58));
  const did = `did:key:${fp}`;
  controller = controller || did;
  id = id || `${did}#${fp}`;
  const key = await Ed25519VerificationKey2018.generate({seed, controller, id});
  return {did, id, controller, key, publicKeyBase58: tmp.publicKeyBase58};
}
const b64u = b => Buffer.from(b).toString('base64url');
// did:jwk of a P-256 key: the public JWK with its members sorted.
function didJwkP256(label) {
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(ecSecret('P-256', label));
  const u = ecdh.getPublicKey();
  const jwk = {crv: 'P-256', kty: 'EC', x: b64u(u.subarray(1, 33)),
    y: b64u(u.subarray(33))};
  return {did: 'did:jwk:' + b64u(JSON.stringify(jwk)), jwk};
}

// --------------------------------------------------- controller documents --
// Documents the loader serves besides contexts: url -> document.
const DOCS = new Map();
function addController(id, methods, ctx) {
  const vms = methods.map(m => ({...m, controller: id}));
  DOCS.set(id, {
    '@context': ['https://www.w3.org/ns/did/v1', ctx],
    id,
    verificationMethod: vms,
    assertionMethod: vms.map(m => m.id),
    authentication: vms.map(m => m.id),
  });
  for(const vm of vms) {
    DOCS.set(vm.id, {'@context': ctx, ...vm});
  }
}
const MULTIKEY_CTX = 'https://w3id.org/security/multikey/v1';
const ED2018_CTX = 'https://w3id.org/security/suites/ed25519-2018/v1';
function addDidKey(k, style = 'Multikey') {
  if(style === 'Multikey') {
    addController(k.did, [{id: k.id, type: 'Multikey',
      publicKeyMultibase: k.publicKeyMultibase}], MULTIKEY_CTX);
  } else {
    addController(k.did, [{id: k.id, type: 'Ed25519VerificationKey2018',
      publicKeyBase58: k.publicKeyBase58}], ED2018_CTX);
  }
}

async function documentLoader(url) {
  if(CONTEXT_PATHS[url]) {
    return {contextUrl: null, documentUrl: url,
      document: JSON.parse(fs.readFileSync(CONTEXT_PATHS[url], 'utf8'))};
  }
  if(DOCS.has(url)) {
    return {contextUrl: null, documentUrl: url,
      document: structuredClone(DOCS.get(url))};
  }
  if(url.startsWith('did:jwk:')) {
    // did:jwk: the DID document is derived from the identifier.
    const [did, fragment] = url.split('#');
    const jwk = JSON.parse(
      Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString());
    const vm = {id: `${did}#0`, type: 'JsonWebKey2020', controller: did,
      publicKeyJwk: jwk};
    if(fragment !== undefined) {
      if(fragment !== '0') {
        throw new Error(`unknown fragment: ${url}`);
      }
      return {contextUrl: null, documentUrl: url, document: vm};
    }
    return {contextUrl: null, documentUrl: url, document: {
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: did, verificationMethod: [vm],
      assertionMethod: [vm.id], authentication: [vm.id]}};
  }
  throw new Error(`documentLoader: refusing to load unknown URL ${url}`);
}

const clone = o => JSON.parse(JSON.stringify(o));
const firstError = e => e?.errors?.[0]?.message || e?.message ||
  (e ? String(e) : undefined);

// Every proof must verify (jsonld-signatures accepts a document when any one
// does), so proofs are counted.
async function checkVC(credential, suite, now) {
  const r = await vc.verifyCredential({credential, suite, documentLoader, now});
  const total = [].concat(credential.proof || []).length;
  const ok = (r.results || []).filter(x => x.verified).length;
  if(r.verified && ok === total) {
    return 'VERIFY';
  }
  return `FAIL (${ok}/${total} proofs): ` + (firstError(r.error) ||
    (r.results || []).map(x => firstError(x.error)).join(' | '));
}
async function checkVP(presentation, suite, challenge, domain, now) {
  const r = await vc.verify({presentation, suite, documentLoader, challenge,
    domain, now});
  if(r.verified) {
    return 'VERIFY';
  }
  const msgs = [];
  if(r.presentationResult && !r.presentationResult.verified) {
    msgs.push('presentation: ' + firstError(r.presentationResult.error));
  }
  for(const c of r.credentialResults || []) {
    if(!c.verified) {
      msgs.push('credential: ' + (firstError(c.error) ||
        (c.results || []).map(x => firstError(x.error)).join(' | ')));
    }
  }
  return 'FAIL: ' + (msgs.join('; ') || firstError(r.error));
}

const ecdsaSuite = (key, date) => new DataIntegrityProof(
  {signer: key.signer(), date, cryptosuite: ecdsaRdfc2019});
const eddsaSuite = (key, date) => new DataIntegrityProof(
  {signer: key.signer(), date, cryptosuite: eddsaRdfc2022});
const ed2018Suite = (key, date) => new Ed25519Signature2018({key, date});
const verifySuites = [
  new DataIntegrityProof({cryptosuite: ecdsaRdfc2019}),
  new DataIntegrityProof({cryptosuite: eddsaRdfc2022}),
  new Ed25519Signature2018(),
];

// =============================================================== generate --
async function generate() {
  const NOW = '2025-06-01T00:00:00Z';
  const CHALLENGE = 'tc-suites-challenge-8d41c2';
  const DOMAIN = 'verifier.talentchain.example';
  const P = 'talentchain-interop-suites/';
  const issuer = await ecKey('P-256', P + 'p256-issuer');
  const holder = await ecKey('P-256', P + 'p256-holder');
  const other = await ecKey('P-256', P + 'p256-other');
  const issuer384 = await ecKey('P-384', P + 'p384-issuer');
  for(const k of [issuer, holder, other, issuer384]) {
    addDidKey(k);
  }
  const jwkIssuer = didJwkP256(P + 'jwk-issuer');
  const jwkKey = await ecKey('P-256', P + 'jwk-issuer',
    {controller: jwkIssuer.did, id: `${jwkIssuer.did}#0`});
  const MIXED = 'https://issuer.talentchain.example/issuers/mixed';
  const mixedEC = await ecKey('P-256', P + 'mixed-p256',
    {controller: MIXED, id: `${MIXED}#p256`});
  const mixedEd = await edMultikey(P + 'mixed-ed25519',
    {controller: MIXED, id: `${MIXED}#ed25519`});
  addController(MIXED, [
    {id: mixedEd.id, type: 'Multikey',
      publicKeyMultibase: mixedEd.publicKeyMultibase},
    {id: mixedEC.id, type: 'Multikey',
      publicKeyMultibase: mixedEC.publicKeyMultibase},
  ], MULTIKEY_CTX);
  const ed18 = await ed2018Key(P + 'ed2018-issuer');
  const ed18Holder = await ed2018Key(P + 'ed2018-holder');
  const ed18Other = await ed2018Key(P + 'ed2018-other');
  for(const k of [ed18, ed18Holder, ed18Other]) {
    addDidKey(k, '2018');
  }
  const URL2018 = 'https://issuer.talentchain.example/issuers/2018';
  const ed18Url = await ed2018Key(P + 'ed2018-url-issuer',
    {controller: URL2018, id: `${URL2018}#key-1`});
  addController(URL2018, [{id: ed18Url.id, type: 'Ed25519VerificationKey2018',
    publicKeyBase58: ed18Url.publicKeyBase58}], ED2018_CTX);

  const manifest = [];
  const saved = {};
  const save = (name, doc, expect, note) => {
    fs.writeFileSync(path.join(OUT, name), JSON.stringify(doc, null, 2) + '\n');
    manifest.push({name, expect, note});
    saved[name] = doc;
    return doc;
  };
  const issue = async (credential, suite) =>
    vc.issue({credential: clone(credential), suite, documentLoader});

  // ---- VCDM 2.0, ecdsa-rdfc-2019
  const V2 = ['https://www.w3.org/ns/credentials/v2',
    'https://www.w3.org/ns/credentials/examples/v2'];
  const simple = (id, iss) => ({
    '@context': V2, id: `urn:uuid:6c1e0f4a-3b2d-4c5e-8f70-${id}`,
    type: ['VerifiableCredential', 'ExampleSkillCredential'],
    issuer: iss, validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {id: holder.did, skill: 'Go programming'},
  });
  const p256 = save('vc2-ecdsa-p256.json', await issue(
    simple('000000000001', issuer.did),
    ecdsaSuite(issuer.key, '2025-01-15T10:00:00Z')),
  'VERIFY', 'P-256 did:key issuer, ecdsa-rdfc-2019');
  const tampered = clone(p256);
  tampered.credentialSubject.skill = 'COBOL programming';
  save('vc2-ecdsa-p256-tampered.json', tampered, 'FAIL',
    'vc2-ecdsa-p256.json with credentialSubject.skill changed after signing');
  save('vc2-ecdsa-p256-wrong-issuer-key.json', await issue(
    simple('000000000002', issuer.did),
    ecdsaSuite(other.key, '2025-01-15T10:05:00Z')),
  'FAIL', 'issuer is the P-256 issuer did:key, signed by an unrelated key');
  save('vc2-ecdsa-p256-expired.json', await issue(
    {...simple('000000000003', issuer.did), validFrom: '2024-01-01T00:00:00Z',
      validUntil: '2024-12-31T23:59:59Z'},
    ecdsaSuite(issuer.key, '2024-01-01T00:00:00Z')),
  'FAIL', 'valid signature, validUntil in the past');
  const nested = {
    '@context': V2, id: 'urn:uuid:6c1e0f4a-3b2d-4c5e-8f70-000000000004',
    type: ['VerifiableCredential', 'ExampleEmploymentCredential'],
    issuer: {id: issuer.did, name: 'Example Issuer Corp'},
    validFrom: '2025-01-01T00:00:00Z',
    credentialSubject: {
      id: holder.did, name: 'Alice Example',
      employment: {type: 'ExampleEmployment', role: 'Senior Engineer',
        employer: {type: 'ExampleOrganization', name: 'Example Org'}},
      skills: [{type: 'ExampleSkill', name: 'Go', level: 5},
        {type: 'ExampleSkill', name: 'Kubernetes', level: 4}],
    },
  };
  save('vc2-ecdsa-p256-nested.json', await issue(nested,
    ecdsaSuite(issuer.key, '2025-01-15T10:10:00Z')),
  'VERIFY', 'issuer object, nested subject with several blank nodes');
  save('vc2-ecdsa-p384.json', await issue(simple('000000000005',
    issuer384.did), ecdsaSuite(issuer384.key, '2025-01-15T10:15:00Z')),
  'VERIFY', 'P-384 did:key issuer; one blank node (the proof), so RDFC-1.0 ' +
  'with SHA-384 and with SHA-256 give the same bytes');
  save('vc2-ecdsa-p384-nested.json', await issue(
    {...nested, id: 'urn:uuid:6c1e0f4a-3b2d-4c5e-8f70-000000000006',
      issuer: {id: issuer384.did, name: 'Example Issuer Corp'}},
    ecdsaSuite(issuer384.key, '2025-01-15T10:20:00Z')),
  'UNSUPPORTED', 'P-384 over several blank nodes: the reference ' +
  'canonicalizes with SHA-384 inside RDFC-1.0, which TalentChain cannot ' +
  '(json-gold has SHA-256 only); it must be refused, not mis-verified');
  save('vc2-ecdsa-did-jwk.json', await issue(
    simple('000000000007', jwkIssuer.did),
    ecdsaSuite(jwkKey.key, '2025-01-15T10:25:00Z')),
  'VERIFY', 'did:jwk (P-256) issuer, verification method #0');
  const mixed1 = await issue(simple('000000000008', MIXED),
    eddsaSuite(mixedEd.key, '2025-01-15T10:30:00Z'));
  save('vc2-proof-set-eddsa-ecdsa.json', await issue(mixed1,
    ecdsaSuite(mixedEC.key, '2025-01-15T10:31:00Z')),
  'VERIFY', 'proof set: eddsa-rdfc-2022 and ecdsa-rdfc-2019 proofs by two ' +
  `keys of the URL issuer ${MIXED}`);

  const present = async (name, id, credentials, key, holderDid, challenge,
    domain, created, expect, note) => {
    const presentation = vc.createPresentation({
      verifiableCredential: clone(credentials), holder: holderDid,
      id: `urn:uuid:7d2f1a5b-4c3e-4d6f-9a81-${id}`});
    return save(name, await vc.signPresentation({presentation,
      suite: key.type === 'Ed25519VerificationKey2018' ?
        ed2018Suite(key, created) : ecdsaSuite(key, created),
      challenge, domain, documentLoader}), expect, note);
  };
  await present('vp2-ecdsa-p256.json', '000000000001', [p256], holder.key,
    holder.did, CHALLENGE, DOMAIN, '2025-02-01T12:00:00Z', 'VERIFY',
    `P-256 holder, challenge ${CHALLENGE}, domain ${DOMAIN}`);
  await present('vp2-ecdsa-p256-tampered-credential.json', '000000000002',
    [tampered], holder.key, holder.did, CHALLENGE, DOMAIN, '2025-02-01T12:05:00Z', 'FAIL',
    'holder proof valid, embedded credential tampered');

  // ---- VCDM 1.1, Ed25519Signature2018 (credentials/v1 defines the type)
  const V1 = ['https://www.w3.org/2018/credentials/v1',
    'https://www.w3.org/2018/credentials/examples/v1'];
  const degree = (id, iss) => ({
    '@context': V1, id: `urn:uuid:8e3a2b6c-5d4f-4e70-8b92-${id}`,
    type: ['VerifiableCredential', 'UniversityDegreeCredential'],
    issuer: iss, issuanceDate: '2025-01-01T00:00:00Z',
    credentialSubject: {id: ed18Holder.did,
      degree: {type: 'BachelorDegree', name: 'Bachelor of Science and Arts'}},
  });
  const v1 = save('vc1-ed25519-2018.json', await issue(
    degree('000000000001', ed18.did),
    ed2018Suite(ed18.key, '2025-01-15T11:00:00Z')),
  'VERIFY', 'did:key issuer (Ed25519VerificationKey2018), Ed25519Signature2018');
  const t1 = clone(v1);
  t1.credentialSubject.degree.name = 'Doctor of Philosophy';
  save('vc1-ed25519-2018-tampered.json', t1, 'FAIL',
    'vc1-ed25519-2018.json with degree.name changed after signing');
  save('vc1-ed25519-2018-wrong-issuer-key.json', await issue(
    degree('000000000002', ed18.did),
    ed2018Suite(ed18Other.key, '2025-01-15T11:05:00Z')),
  'FAIL', 'issuer is the 2018 issuer did:key, signed by an unrelated key');
  save('vc1-ed25519-2018-url-issuer.json', await issue(
    degree('000000000003', URL2018),
    ed2018Suite(ed18Url.key, '2025-01-15T11:10:00Z')),
  'VERIFY', `URL issuer ${URL2018} whose key is an ` +
  'Ed25519VerificationKey2018 with publicKeyBase58');
  const CHALLENGE1 = 'tc-suites-challenge-v1-5e7b90';
  const p1 = vc.createPresentation({verifiableCredential: [clone(v1)],
    holder: ed18Holder.did, id: 'urn:uuid:9f4b3c7d-6e5a-4f81-9ca3-000000000001',
    version: 1.0});
  save('vp1-ed25519-2018.json', await vc.signPresentation({presentation: p1,
    suite: ed2018Suite(ed18Holder.key, '2025-02-01T13:00:00Z'),
    challenge: CHALLENGE1, documentLoader}),
  'VERIFY', `holder proof, challenge ${CHALLENGE1}, no domain`);

  // self-check with the reference libraries
  const checks = {};
  for(const m of manifest) {
    const doc = saved[m.name];
    checks[m.name] = m.name.startsWith('vp2') ?
      await checkVP(doc, verifySuites, CHALLENGE, DOMAIN, NOW) :
      m.name.startsWith('vp1') ?
        await checkVP(doc, verifySuites, CHALLENGE1, undefined, NOW) :
        await checkVC(doc, verifySuites, NOW);
  }
  checks['vp2-ecdsa-p256.json (wrong challenge)'] = await checkVP(
    saved['vp2-ecdsa-p256.json'], verifySuites, 'other', DOMAIN, NOW);
  checks['vp1-ed25519-2018.json (wrong challenge)'] = await checkVP(
    saved['vp1-ed25519-2018.json'], verifySuites, 'other', undefined, NOW);

  const controllers = [MIXED, URL2018].map(id => DOCS.get(id));
  const summary = {
    referenceNow: NOW,
    keys: {
      p256Issuer: issuer.did, p256Holder: holder.did, p256Other: other.did,
      p384Issuer: issuer384.did, didJwkIssuer: jwkIssuer.did,
      ed2018Issuer: ed18.did, ed2018Holder: ed18Holder.did,
      ed2018Other: ed18Other.did,
    },
    seedLabels: 'SHA-256 of "talentchain-interop-suites/<name>"; see ecKey',
    vp2: {challenge: CHALLENGE, domain: DOMAIN},
    vp1: {challenge: CHALLENGE1},
    controllers,
    files: manifest,
    referenceVerifierResults: checks,
  };
  fs.writeFileSync(path.join(OUT, 'manifest.json'),
    JSON.stringify(summary, null, 2) + '\n');
  console.log(JSON.stringify(checks, null, 2));
}

// ============================================================ verify-ours --
// The Go samples' keys: Ed25519 seed / EC secret = SHA-256("talentchain-test/"
// + label), as testKey and testECKey in credential/forged_test.go.
async function verifyOurs() {
  const NOW = process.env.NOW || '2026-09-01T00:00:00Z';
  const CHALLENGE = 'c-7f3a9d2e';
  const DOMAIN = 'hr.example.com';
  const T = 'talentchain-test/';
  for(const [curve, label] of [['P-256', 'ec-issuer'], ['P-256', 'ec-holder'],
    ['P-384', 'p384-issuer']]) {
    addDidKey(await ecKey(curve, T + label));
  }
  for(const label of ['issuer', 'holder']) {
    addDidKey(await ed2018Key(T + label), '2018');
  }
  const MIXED = 'https://uni.example/issuers/mixed';
  const mixedEd = await edMultikey(T + 'mixed-issuer',
    {controller: MIXED, id: `${MIXED}#ed25519`});
  const mixedEC = await ecKey('P-256', T + 'mixed-issuer',
    {controller: MIXED, id: `${MIXED}#p256`});
  addController(MIXED, [
    {id: mixedEd.id, type: 'Multikey',
      publicKeyMultibase: mixedEd.publicKeyMultibase},
    {id: mixedEC.id, type: 'Multikey',
      publicKeyMultibase: mixedEC.publicKeyMultibase},
  ], MULTIKEY_CTX);

  const cases = [
    ['valid-degree-v2-ecdsa-p256.json', 'vc', 'VERIFY'],
    ['valid-degree-v2-ecdsa-p384.json', 'vc', 'VERIFY'],
    ['valid-presentation-v2-ecdsa.json', 'vp', 'VERIFY'],
    ['valid-proof-set-eddsa-and-ecdsa.json', 'vc', 'VERIFY'],
    ['valid-degree-v2-did-jwk-p256.json', 'vc', 'VERIFY'],
    ['valid-degree-v2-did-jwk-ed25519.json', 'vc', 'VERIFY'],
    ['valid-training-v1-ed25519-2018.json', 'vc', 'VERIFY'],
    ['valid-presentation-v1-ed25519-2018.json', 'vp', 'VERIFY'],
    ['ecdsa-claim-altered.json', 'vc', 'FAIL'],
    ['ecdsa-proof-set-one-forged.json', 'vc', 'FAIL'],
    ['ed2018-claim-altered.json', 'vc', 'FAIL'],
    ['valid-presentation-v2-ecdsa.json', 'vp', 'FAIL', 'other-challenge'],
    ['valid-presentation-v1-ed25519-2018.json', 'vp', 'FAIL',
      'other-challenge'],
  ];
  let bad = 0;
  for(const [file, kind, expect, challenge = CHALLENGE] of cases) {
    const doc = JSON.parse(fs.readFileSync(path.join(FORGED, file), 'utf8'));
    const got = kind === 'vp' ?
      await checkVP(doc, verifySuites, challenge, DOMAIN, NOW) :
      await checkVC(doc, verifySuites, NOW);
    const ok = got.startsWith(expect);
    bad += ok ? 0 : 1;
    console.log(`${ok ? 'ok  ' : 'BAD '} ${file}` +
      `${challenge !== CHALLENGE ? ` (challenge ${challenge})` : ''}: ` +
      `expected ${expect}, got ${got}`);
  }
  process.exit(bad ? 1 : 0);
}

if(MODE === 'generate') {
  await generate();
} else if(MODE === 'verify-ours') {
  await verifyOurs();
} else {
  console.error('usage: node suites.mjs generate | verify-ours');
  process.exit(2);
}
