// verify-w3c.mjs - checks every proof of the W3C vc-di-eddsa vectors copied
// here (w3c-*.json) with the reference JS DataIntegrityProof + eddsa-rdfc-2022
// (same pinned packages as generate.mjs). Local contexts only. The issuers
// https://vc.example/issuers/NNNN are example URLs: each one is resolved
// locally to a controller whose assertionMethod is the proof's own
// verificationMethod (a Multikey whose key is the fragment). A proof with
// previousProof is checked over the document holding the proofs it names
// (VC Data Integrity 1.0 proof chains); jsonld-signatures has no proof-chain
// support, so this script calls DataIntegrityProof.verifyProof per proof.
// Usage (from the npm install dir of generate.mjs):
//   node verify-w3c.mjs <repo>/credential/testdata/interop/w3c-*.json
import fs from 'node:fs';
import path from 'node:path';
import jsigs from 'jsonld-signatures';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
const CONTEXTS = '/work/shared/standards/contexts';
const files = {
  'https://www.w3.org/ns/credentials/v2': 'credentials-v2.jsonld',
  'https://www.w3.org/ns/credentials/examples/v2': 'credentials-examples-v2.jsonld',
  'https://w3id.org/security/multikey/v1': 'multikey-v1.jsonld',
  'https://w3id.org/security/data-integrity/v2': 'data-integrity-v2.jsonld',
};
async function documentLoader(url) {
  if(files[url]) return {documentUrl: url, document: JSON.parse(
    fs.readFileSync(path.join(CONTEXTS, files[url]), 'utf8'))};
  const m = url.match(/^(https:\/\/vc\.example\/issuers\/\d+)#(z6Mk\w+)$/);
  if(m) return {documentUrl: url, document: {
    '@context': 'https://w3id.org/security/multikey/v1', id: url,
    type: 'Multikey', controller: m[1], publicKeyMultibase: m[2]}};
  const c = url.match(/^https:\/\/vc\.example\/issuers\/\d+$/);
  if(c && global.vmFor[url]) return {documentUrl: url, document: {
    '@context': 'https://w3id.org/security/multikey/v1',
    id: url, assertionMethod: [global.vmFor[url]]}};
  throw new Error('refused ' + url);
}
const suite = new DataIntegrityProof({cryptosuite});
for(const f of process.argv.slice(2)) {
  const doc = JSON.parse(fs.readFileSync(f, 'utf8'));
  const proofs = [].concat(doc.proof);
  const unsecured = {...doc}; delete unsecured.proof;
  global.vmFor = {};
  for(const p of proofs) global.vmFor[p.verificationMethod.split('#')[0]] = p.verificationMethod;
  for(const p of proofs) {
    let d = {...unsecured};
    if(p.previousProof) {
      const ids = [].concat(p.previousProof);
      const prev = proofs.filter(x => ids.includes(x.id));
      d.proof = prev.length === 1 ? prev[0] : prev;
    }
    const purpose = new jsigs.purposes.AssertionProofPurpose();
    const r = await suite.verifyProof({proof: {...p}, document: d, purpose, documentLoader,
      proofSet: [p]});
    console.log(f, p.id || '(no id)', p.verificationMethod, r.verified ? 'VERIFY' : 'FAIL ' + r.error?.message);
  }
}
