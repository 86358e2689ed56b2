package sdjwt

import (
	"crypto/sha256"
	"strings"
)

// AnchorDigest is the digest an SD-JWT VC is anchored by — the
// credentialDigest of its anchor receipt, whose Merkle leaf is
// SHA-256(0x00 || digest): SHA-256 of its issuer-signed JWT, the part of the
// compact form before the first "~". It is the same for the issued SD-JWT and
// for every presentation of it, whatever they disclose and whether or not a
// key binding JWT follows, so a holder's receipt fits every presentation.
// (A JSON credential's digest is credential.CredentialDigest.)
func AnchorDigest(compact string) [32]byte {
	jwt, _, _ := strings.Cut(compact, "~")
	return sha256.Sum256([]byte(jwt))
}
