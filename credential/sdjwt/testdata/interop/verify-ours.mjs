// verify-ours.mjs - checks with the TypeScript SD-JWT library (@sd-jwt, the
// versions pinned in generate.mjs) and jose that what TalentChain's Go code
// issues verifies elsewhere:
//   credential/sdjwt/testdata/interop/go-vectors.json  (SD-JWT VCs, key binding)
//   credential/vcjwt/testdata/interop/go-vectors.json  (vc+jwt, vp+jwt, VC-JWT 1.1)
// Both files are written by the Go tests with -update. Run by hand:
//   node <repo>/credential/sdjwt/testdata/interop/verify-ours.mjs <repo>
// with the packages installed in $INTEROP_DIR (default /tmp/sdjwt-interop).
// Exit status 0 = every vector came out as expected.
import {createRequire} from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import {keyOfDIDJWK, verifierFor} from './keys.mjs';

const require = createRequire(path.join(process.env.INTEROP_DIR || '/tmp/sdjwt-interop', 'package.json'));
const {SDJwtVcInstance} = require('@sd-jwt/sd-jwt-vc');
const {digest} = require('@sd-jwt/crypto-nodejs');
const jose = require('jose');

const repo = process.argv[2];
if (!repo) throw new Error('usage: node verify-ours.mjs <repo>');
let failures = 0;
const report = (ok, line) => { if (!ok) failures++; console.log(`${ok ? 'ok  ' : 'FAIL'} ${line}`); };
const canon = v => JSON.stringify(v, (k, x) => x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a < b ? -1 : 1)) : x);

// ------------------------------------------------------------------ SD-JWT --
const sd = JSON.parse(fs.readFileSync(path.join(repo, 'credential/sdjwt/testdata/interop/go-vectors.json'), 'utf8'));
for (const v of sd.vectors) {
  let verdict, detail = '';
  try {
    const header = jose.decodeProtectedHeader(v.compact.split('~')[0]);
    const {jwk} = keyOfDIDJWK(header.kid);
    const inst = new SDJwtVcInstance({
      hasher: digest, hashAlg: 'sha-256',
      verifier: verifierFor(jwk),
      kbVerifier: (data, sig, payload) => verifierFor(payload.cnf.jwk)(data, sig),
    });
    const res = await inst.verify(v.compact, {currentDate: v.now, ...(v.keyBound ? {keyBindingNonce: v.nonce} : {})});
    if (v.keyBound) {
      // The library checks nonce and sd_hash; the audience is the caller's to check.
      if (res.kb?.payload?.aud !== v.aud) throw new Error(`aud ${res.kb?.payload?.aud}`);
    }
    verdict = 'VERIFY';
    if (v.claims && canon(res.payload) !== canon(v.claims)) {
      verdict = 'CLAIMS DIFFER';
      detail = `\n  JS: ${canon(res.payload)}\n  Go: ${canon(v.claims)}`;
    }
  } catch (e) {
    verdict = 'FAIL';
    detail = ` (${e.message || e})`;
  }
  if (verdict !== v.expect && v.knownJSDifference) {
    report(true, `sd-jwt: ${v.name}: expected ${v.expect}, @sd-jwt says ${verdict}, a known difference: ${v.knownJSDifference}`);
  } else {
    report(verdict === v.expect, `sd-jwt: ${v.name}: expected ${v.expect}, @sd-jwt says ${verdict}${detail}`);
  }
}

// ------------------------------------------------------------ JWS (jose) --
const vc = JSON.parse(fs.readFileSync(path.join(repo, 'credential/vcjwt/testdata/interop/go-vectors.json'), 'utf8'));
const idOf = v => (v && typeof v === 'object' ? v.id : v);
async function verifyJWS(token, wantTyp) {
  const header = jose.decodeProtectedHeader(token);
  if (header.typ !== wantTyp) throw new Error(`typ ${header.typ}, want ${wantTyp}`);
  const {jwk} = keyOfDIDJWK(header.kid);
  const {payload} = await jose.compactVerify(token, await jose.importJWK(jwk, header.alg), {algorithms: ['EdDSA', 'ES256']});
  const doc = JSON.parse(new TextDecoder().decode(payload));
  return {header, doc};
}
for (const v of vc.vectors) {
  let verdict, detail = '';
  try {
    if (v.kind === 'credential' && v.format === 'vc+jwt') {
      const {header, doc} = await verifyJWS(v.token, 'vc+jwt');
      if (header.kid.split('#')[0] !== idOf(doc.issuer)) throw new Error('kid is not a key of the issuer');
    } else if (v.kind === 'credential') {
      const {header, doc} = await verifyJWS(v.token, 'JWT');
      if (header.kid.split('#')[0] !== doc.iss || !doc.vc) throw new Error('not a VC-JWT of its iss');
    } else {
      const {header, doc} = await verifyJWS(v.token, 'vp+jwt');
      if (header.kid.split('#')[0] !== idOf(doc.holder)) throw new Error('kid is not a key of the holder');
      if (doc.nonce !== v.challenge || doc.aud !== v.domain) throw new Error(`nonce ${doc.nonce} aud ${doc.aud}`);
      for (const c of doc.verifiableCredential) {
        const inner = c.id.slice('data:application/vc+jwt,'.length);
        const {header: h, doc: d} = await verifyJWS(inner, 'vc+jwt');
        if (h.kid.split('#')[0] !== idOf(d.issuer)) throw new Error('enveloped credential: kid is not a key of the issuer');
      }
    }
    verdict = 'VERIFY';
  } catch (e) {
    verdict = 'FAIL';
    detail = ` (${e.message || e})`;
  }
  report(verdict === v.expect, `jws: ${v.name}: expected ${v.expect}, jose says ${verdict}${detail}`);
}
console.log(failures === 0 ? 'all as expected' : `${failures} unexpected`);
process.exit(failures === 0 ? 0 : 1);
