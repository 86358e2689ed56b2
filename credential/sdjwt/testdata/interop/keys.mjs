// keys.mjs - the fixed test keys and JOSE helpers shared by generate.mjs and
// verify-ours.mjs. Keys come from fixed seeds (seed = SHA-256 of a label), the
// same labels the Go tests use, so both sides know the same keys.
import crypto from 'node:crypto';

export const b64u = b => Buffer.from(b).toString('base64url');
export const seed = label => crypto.createHash('sha256').update(label, 'utf8').digest();

export const LABELS = {
  issuer: 'talentchain-sdjwt-interop/issuer',        // Ed25519
  issuerP256: 'talentchain-sdjwt-interop/issuer-p256', // P-256
  holder: 'talentchain-sdjwt-interop/holder',         // P-256
  holderEd: 'talentchain-sdjwt-interop/holder-ed25519', // Ed25519
  other: 'talentchain-sdjwt-interop/unrelated',       // Ed25519
};

export function ed25519Key(label) {
  const d = seed(label);
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), d]);
  const priv = crypto.createPrivateKey({key: pkcs8, format: 'der', type: 'pkcs8'});
  const jwk = priv.export({format: 'jwk'});
  return finish('EdDSA', priv, {kty: 'OKP', crv: 'Ed25519', x: jwk.x});
}

export function p256Key(label) {
  const d = seed(label);
  const ecdh = crypto.createECDH('prime256v1');
  ecdh.setPrivateKey(d);
  const pub = ecdh.getPublicKey();
  const publicJwk = {kty: 'EC', crv: 'P-256', x: b64u(pub.subarray(1, 33)), y: b64u(pub.subarray(33))};
  const priv = crypto.createPrivateKey({key: {...publicJwk, d: b64u(d)}, format: 'jwk'});
  return finish('ES256', priv, publicJwk);
}

function finish(alg, priv, publicJwk) {
  const pub = crypto.createPublicKey(priv);
  // did:jwk with the JWK's members in lexicographic order (as Go's
  // encoding/json writes a map), so that both sides derive the same DID.
  const sorted = Object.fromEntries(Object.entries(publicJwk).sort(([a], [b]) => a < b ? -1 : 1));
  const did = 'did:jwk:' + b64u(JSON.stringify(sorted));
  const hash = alg === 'EdDSA' ? null : 'sha256';
  return {
    alg, priv, pub, publicJwk, did, kid: did + '#0',
    sign: data => b64u(crypto.sign(hash, Buffer.from(data), {key: priv, dsaEncoding: 'ieee-p1363'})),
    verify: (data, sig) => crypto.verify(hash, Buffer.from(data), {key: pub, dsaEncoding: 'ieee-p1363'}, Buffer.from(sig, 'base64url')),
  };
}

export function keys() {
  return {
    issuer: ed25519Key(LABELS.issuer),
    issuerP256: p256Key(LABELS.issuerP256),
    holder: p256Key(LABELS.holder),
    holderEd: ed25519Key(LABELS.holderEd),
    other: ed25519Key(LABELS.other),
  };
}

// keyOfDIDJWK returns the public KeyObject a did:jwk (or its DID URL) names.
export function keyOfDIDJWK(didOrKid) {
  const did = didOrKid.split('#')[0];
  if (!did.startsWith('did:jwk:')) throw new Error(`not a did:jwk: ${did}`);
  const jwk = JSON.parse(Buffer.from(did.slice('did:jwk:'.length), 'base64url').toString('utf8'));
  return {jwk, key: crypto.createPublicKey({key: jwk, format: 'jwk'})};
}

// verifierFor returns an @sd-jwt style verifier (data, sig) => boolean for a
// public JWK and its algorithm.
export function verifierFor(jwk) {
  const key = crypto.createPublicKey({key: jwk, format: 'jwk'});
  const hash = jwk.kty === 'OKP' ? null : 'sha256';
  return (data, sig) => crypto.verify(hash, Buffer.from(data), {key, dsaEncoding: 'ieee-p1363'}, Buffer.from(sig, 'base64url'));
}
