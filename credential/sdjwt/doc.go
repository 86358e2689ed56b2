// Package sdjwt implements Selective Disclosure for JWTs (SD-JWT, RFC 9901)
// and the SD-JWT VC profile (draft-ietf-oauth-sd-jwt-vc) for TalentChain:
// issuing a credential whose claims, down to nested members and array
// elements, are selectively disclosable; presenting only the claims a verifier
// asks for, bound to the holder's key with a Key Binding JWT; and verifying
// such a presentation strictly.
//
// Verification follows RFC 9901 §7 and refuses, among others: an algorithm
// other than EdDSA or ES256, an issuer key the issuer does not control, a
// disclosure whose digest is not referenced by the payload or is referenced
// twice, a digest that appears twice, a disclosure naming "_sd" or "...", a
// disclosure that would overwrite a claim, an _sd_alg other than sha-256, an
// expired or not yet valid token, and a key binding with the wrong sd_hash,
// nonce or audience, a stale iat, or a signature not made by the cnf key.
//
// Signing and JSON parsing use the strict JOSE layer of package
// credential/vcjwt/jose.
package sdjwt
