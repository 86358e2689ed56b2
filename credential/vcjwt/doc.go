// Package vcjwt secures W3C verifiable credentials and presentations with JOSE:
// VC Data Model 2.0 credentials as "vc+jwt" and presentations as "vp+jwt" (W3C
// "Securing Verifiable Credentials using JOSE and COSE", where the JWS payload
// is the credential itself), and VC Data Model 1.1 JWTs (§6.3 of VCDM 1.1, the
// credential under the "vc" claim, the presentation under "vp").
//
// It signs with EdDSA (Ed25519) or ES256 (P-256) and verifies strictly, with
// the rules of package credential: the header's kid must be a DID URL of the
// issuer (holder) listed under assertionMethod (authentication), JWT claims
// must agree with the credential (iss = issuer, sub = credentialSubject.id,
// jti = id, nbf/exp = the validity period), validity periods are honoured with
// a small clock skew, and a presentation must carry the verifier's challenge
// (nonce) and domain (aud), and every credential in it must verify too.
//
// It also reads EnvelopedVerifiableCredential and
// EnvelopedVerifiablePresentation objects whose id is a data: URL
// ("data:application/vc+jwt,<jwt>", "data:application/vc+sd-jwt,<sd-jwt>",
// "data:application/vp+jwt,<jwt>"), and Detect tells which format a raw input
// is in. SD-JWT VCs are verified with package credential/sdjwt.
package vcjwt
