// generate.mjs - makes the interoperability vectors that TalentChain's Go code
// must verify: SD-JWT VCs issued and presented (with key binding) by the
// OpenWallet Foundation's TypeScript SD-JWT library, and vc+jwt / vp+jwt /
// VC-JWT 1.1 tokens signed with panva's `jose`.
//
// Pinned package versions (npm), exactly as used to produce the committed files:
//   @sd-jwt/sd-jwt-vc 0.19.0, @sd-jwt/core 0.19.0, @sd-jwt/crypto-nodejs 0.19.0
//   jose 6.2.18
//   node v20.20.2
// (0.20.0 of the @sd-jwt packages did not install: a dependency of theirs was
// not published.)
//
// Reproduce (never inside the Go repository):
//   mkdir /tmp/sdjwt-interop && cd /tmp/sdjwt-interop && npm init -y
//   npm install @sd-jwt/core@0.19.0 @sd-jwt/sd-jwt-vc@0.19.0 \
//     @sd-jwt/crypto-nodejs@0.19.0 jose@6.2.18
//   NODE_PATH=/tmp/sdjwt-interop/node_modules \
//     node <repo>/credential/sdjwt/testdata/interop/generate.mjs <repo>
// (the script resolves its packages from $INTEROP_DIR, default /tmp/sdjwt-interop)
//
// It writes <repo>/credential/sdjwt/testdata/interop/js-vectors.json and
// <repo>/credential/vcjwt/testdata/interop/js-vectors.json. Keys come from
// fixed seeds (keys.mjs) and salts from a counter, so the Ed25519 vectors are
// byte-identical on every run; ES256 signatures are randomised by nature, so
// the vectors signed with P-256 keys differ from run to run (and still verify).
// Every SD-JWT vector is also checked with the library's own verifier and its
// verdict stored as "jsVerifier"; every JWS vector's signature is checked with
// jose ("joseSignature": jose knows no VC rules).
import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import {keys, b64u} from './keys.mjs';

const require = createRequire(path.join(process.env.INTEROP_DIR || '/tmp/sdjwt-interop', 'package.json'));
const {SDJwtVcInstance} = require('@sd-jwt/sd-jwt-vc');
const {digest} = require('@sd-jwt/crypto-nodejs');
const jose = require('jose');

const repo = process.argv[2];
if (!repo) throw new Error('usage: node generate.mjs <repo>');
const K = keys();

// Fixed times: issued 2026-07-01T00:00:00Z, presented 2026-09-01T08:00:00Z.
const IAT = 1782864000;
const NOW = 1788249600;
const NONCE = 'tc-sdjwt-interop-nonce-5d1c';
const AUD = 'https://hr.example.cn';

let saltCounter = 0;
const saltGenerator = () => b64u(digest('talentchain-interop-salt-' + (saltCounter++), 'sha-256')).slice(0, 22);

function instance(issuer, holder) {
  return new SDJwtVcInstance({
    signer: issuer.sign, signAlg: issuer.alg,
    verifier: issuer.verify,
    hasher: digest, hashAlg: 'sha-256', saltGenerator,
    kbSigner: holder.sign, kbSignAlg: holder.alg,
    kbVerifier: holder.verify,
  });
}

const degree = holder => ({
  iss: null, iat: IAT, exp: IAT + 5 * 365 * 86400,
  vct: 'https://w3id.org/talentchain/vct/degree',
  cnf: {jwk: holder.publicJwk},
  given_name: '三', family_name: '张',
  degree: {type: 'MasterDegree', name: 'Master of Engineering', field: '区块链工程', gpa: 3.7},
  address: {locality: '海淀区', region: '北京', country: 'CN'},
  nationalities: ['CN', 'HK'],
});
const frame = {
  _sd: ['given_name', 'family_name', 'degree', 'address'],
  degree: {_sd: ['gpa', 'field']},
  address: {_sd: ['locality', 'region']},
  nationalities: {_sd: [0, 1]},
  _sd_decoy: 2,
};

async function jsVerify(sd, compact, kb) {
  try {
    const res = await sd.verify(compact, {currentDate: NOW, ...(kb ? {keyBindingNonce: NONCE} : {})});
    return {verified: true, payload: res.payload};
  } catch (e) {
    return {verified: false, error: String(e.message || e)};
  }
}

const sdVectors = [];
async function sdCase(name, issuer, holder, present, mutate, expect, opts = {}) {
  saltCounter = 0;
  const sd = instance(issuer, holder);
  const claims = degree(holder);
  claims.iss = issuer.did;
  const issued = await sd.issue(claims, frame, {header: {kid: issuer.kid, ...(opts.header || {})}});
  let compact = issued;
  if (present) {
    compact = await sd.present(issued, present, {kb: {payload: {iat: NOW - 30, aud: AUD, nonce: opts.nonce || NONCE}}});
  }
  if (mutate) compact = mutate(compact);
  const js = await jsVerify(sd, compact, !!present);
  sdVectors.push({name, compact, keyBound: !!present, nonce: NONCE, aud: AUD, now: NOW, expect, failedCheck: opts.failedCheck || '', jsVerifier: js});
}

const presentFrame = {given_name: true, degree: {gpa: true}, address: {locality: true}, nationalities: {1: true}};

await sdCase('issued by an Ed25519 issuer, every disclosure', K.issuer, K.holder, null, null, 'VERIFY');
await sdCase('presented with ES256 key binding', K.issuer, K.holder, presentFrame, null, 'VERIFY');
await sdCase('P-256 issuer, presented with EdDSA key binding', K.issuerP256, K.holderEd, presentFrame, null, 'VERIFY');
await sdCase('legacy typ vc+sd-jwt', K.issuer, K.holder, presentFrame, null, 'VERIFY', {header: {typ: 'vc+sd-jwt'}});
await sdCase('key binding for another nonce', K.issuer, K.holder, presentFrame, null, 'FAIL', {nonce: 'another-nonce', failedCheck: 'challenge'});
await sdCase('a disclosure dropped after key binding', K.issuer, K.holder, presentFrame,
  c => { const p = c.split('~'); p.splice(1, 1); return p.join('~'); }, 'FAIL', {failedCheck: 'key-binding'});
await sdCase('a disclosure altered', K.issuer, K.holder, null,
  c => { const p = c.split('~'); const d = JSON.parse(Buffer.from(p[1], 'base64url')); d[d.length - 1] = 'Mallory'; p[1] = b64u(JSON.stringify(d)); return p.join('~'); },
  'FAIL', {failedCheck: 'disclosures'});
await sdCase('issuer signature by another key', K.issuer, K.holder, null,
  c => { const [jwt, ...rest] = c.split('~'); const [h, p] = jwt.split('.'); return [h, p, K.other.sign(h + '.' + p)].join('.') + '~' + rest.join('~'); },
  'FAIL', {failedCheck: 'proof'});

// ------------------------------------------------------------ vc+jwt (jose) --
const vcVectors = [];
const enc = new TextEncoder();
async function signJWS(key, header, payload) {
  return new jose.CompactSign(enc.encode(JSON.stringify(payload)))
    .setProtectedHeader({alg: key.alg, kid: key.kid, ...header})
    .sign(key.priv);
}
async function joseVerify(token) {
  try {
    const {kid} = jose.decodeProtectedHeader(token);
    const jwk = JSON.parse(Buffer.from(kid.split('#')[0].slice('did:jwk:'.length), 'base64url'));
    await jose.compactVerify(token, await jose.importJWK(jwk, jwk.kty === 'OKP' ? 'EdDSA' : 'ES256'), {algorithms: ['EdDSA', 'ES256']});
    return {verified: true};
  } catch (e) {
    return {verified: false, error: String(e.message || e)};
  }
}
const credential2 = issuer => ({
  '@context': ['https://www.w3.org/ns/credentials/v2', 'https://www.w3.org/ns/credentials/examples/v2'],
  id: 'urn:uuid:3f1c2b7e-5a4d-4b8e-9c1f-2a3b4c5d6e7f',
  type: ['VerifiableCredential', 'ExampleDegreeCredential'],
  issuer: issuer.did,
  validFrom: '2026-07-01T00:00:00Z',
  validUntil: '2031-07-01T00:00:00Z',
  credentialSubject: {id: K.holder.did, degree: {type: 'ExampleMasterDegree', name: 'Master of Engineering'}},
});
async function vcCase(name, kind, token, expect, failedCheck = '') {
  vcVectors.push({name, kind, token, challenge: NONCE, domain: AUD, now: NOW, expect, failedCheck, joseSignature: await joseVerify(token)});
}
const vcEd = await signJWS(K.issuer, {typ: 'vc+jwt', cty: 'vc'}, credential2(K.issuer));
await vcCase('vc+jwt, EdDSA', 'credential', vcEd, 'VERIFY');
await vcCase('vc+jwt, ES256', 'credential', await signJWS(K.issuerP256, {typ: 'vc+jwt', cty: 'vc'}, credential2(K.issuerP256)), 'VERIFY');
await vcCase('vp+jwt with an enveloped vc+jwt', 'presentation', await signJWS(K.holder, {typ: 'vp+jwt', cty: 'vp'}, {
  '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: K.holder.did,
  verifiableCredential: [{'@context': 'https://www.w3.org/ns/credentials/v2', id: 'data:application/vc+jwt,' + vcEd, type: 'EnvelopedVerifiableCredential'}],
  nonce: NONCE, aud: AUD,
}), 'VERIFY');
const vc11 = await new jose.SignJWT({
  vc: {'@context': ['https://www.w3.org/2018/credentials/v1', 'https://www.w3.org/2018/credentials/examples/v1'],
    type: ['VerifiableCredential', 'UniversityDegreeCredential'],
    credentialSubject: {degree: {type: 'BachelorDegree', name: 'Bachelor of Science and Arts'}}},
}).setProtectedHeader({alg: 'EdDSA', typ: 'JWT', kid: K.issuer.kid})
  .setIssuer(K.issuer.did).setSubject(K.holder.did).setJti('http://example.edu/credentials/3732')
  .setNotBefore(IAT).setIssuedAt(IAT).setExpirationTime(IAT + 5 * 365 * 86400).sign(K.issuer.priv);
await vcCase('VC-JWT 1.1 (vc claim)', 'credential', vc11, 'VERIFY');
await vcCase('vc+jwt signed by another key under the issuer kid', 'credential',
  (() => { const [h, p] = vcEd.split('.'); return [h, p, K.other.sign(h + '.' + p)].join('.'); })(), 'FAIL', 'proof');
await vcCase('vc+jwt, expired', 'credential', await signJWS(K.issuer, {typ: 'vc+jwt'}, {...credential2(K.issuer), validFrom: '2024-01-01T00:00:00Z', validUntil: '2025-01-01T00:00:00Z'}), 'FAIL', 'validity-period');
await vcCase('vp+jwt for another nonce', 'presentation', await signJWS(K.holder, {typ: 'vp+jwt'}, {
  '@context': ['https://www.w3.org/ns/credentials/v2'], type: ['VerifiablePresentation'], holder: K.holder.did, nonce: 'another-nonce', aud: AUD,
}), 'FAIL', 'challenge');

const header = {
  generator: 'credential/sdjwt/testdata/interop/generate.mjs',
  packages: {'@sd-jwt/sd-jwt-vc': '0.19.0', '@sd-jwt/core': '0.19.0', '@sd-jwt/crypto-nodejs': '0.19.0', jose: '6.2.18'},
  node: process.version,
  keys: Object.fromEntries(Object.entries(K).map(([k, v]) => [k, {alg: v.alg, did: v.did, publicJwk: v.publicJwk}])),
};
fs.writeFileSync(path.join(repo, 'credential/sdjwt/testdata/interop/js-vectors.json'), JSON.stringify({...header, vectors: sdVectors}, null, 2) + '\n');
fs.writeFileSync(path.join(repo, 'credential/vcjwt/testdata/interop/js-vectors.json'), JSON.stringify({...header, vectors: vcVectors}, null, 2) + '\n');
for (const v of sdVectors) {
  const js = v.jsVerifier.verified ? 'VERIFY' : 'FAIL';
  console.log(`${v.expect === js ? 'same' : 'DIFF'} ${v.name}: expected ${v.expect}, @sd-jwt verify says ${js}${v.jsVerifier.error ? ' (' + v.jsVerifier.error + ')' : ''}`);
}
// jose checks the JWS signature only (no VC rules): a valid signature on an
// expired credential is still a valid signature.
for (const v of vcVectors) {
  const js = v.joseSignature.verified ? 'valid' : 'invalid';
  console.log(`${v.name}: expected ${v.expect}, jose signature ${js}${v.joseSignature.error ? ' (' + v.joseSignature.error + ')' : ''}`);
}
