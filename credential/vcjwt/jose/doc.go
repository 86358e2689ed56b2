// Package jose is the small, strict JOSE layer beneath TalentChain's
// JOSE-secured credentials (package vcjwt) and SD-JWTs (package sdjwt): compact
// JWS objects signed with EdDSA (Ed25519) or ES256 (ECDSA P-256) and nothing
// else, JSON Web Keys of those two key types, did:key and did:jwk identifiers
// for them, and the resolution of a header's "kid" to a key that a given
// controller lists for a given purpose.
//
// Everything that reads outside input is strict: "none" and every algorithm
// outside the allow-list are refused, so are "crit" and "b64" header
// parameters, duplicate JSON member names, invalid UTF-8, non-canonical
// base64url, trailing data, nesting deeper than MaxDepth and objects larger
// than MaxTokenSize. Errors wrap the sentinels of this package, and
// ErrMalformed also wraps credential.ErrMalformed so that callers answer a
// malformed token the way they answer a malformed document.
package jose
