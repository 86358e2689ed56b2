package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/big"
	"strings"
)

// DIDPrefix is the prefix of every issuer DID of the project's own method.
const DIDPrefix = "did:talent:"

// ed25519Multicodec is the multicodec prefix of an Ed25519 public key
// (ed25519-pub, varint 0xed), as in Multikey and did:key.
var ed25519Multicodec = []byte{0xed, 0x01}

// ErrBadKey means a public key string is not a base58btc multibase Ed25519 key.
var ErrBadKey = errors.New("chain: not a multibase ed25519 public key")

// EncodePublicKey returns the Multikey form of an Ed25519 public key:
// "z" + base58btc(0xed 0x01 || key), the publicKeyMultibase of a DID document.
func EncodePublicKey(pub ed25519.PublicKey) string {
	b := make([]byte, 0, 34)
	b = append(b, ed25519Multicodec...)
	b = append(b, pub...)
	return "z" + base58Encode(b)
}

// DecodePublicKey parses the Multikey form written by EncodePublicKey. It
// accepts only the canonical string, so a key has exactly one spelling.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	if !strings.HasPrefix(s, "z") {
		return nil, fmt.Errorf("%w: %q lacks the base58btc prefix z", ErrBadKey, s)
	}
	b, err := base58Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadKey, err)
	}
	if len(b) != 2+ed25519.PublicKeySize || b[0] != 0xed || b[1] != 0x01 {
		return nil, fmt.Errorf("%w: %q is not an ed25519-pub multicodec key", ErrBadKey, s)
	}
	pub := ed25519.PublicKey(b[2:])
	if EncodePublicKey(pub) != s {
		return nil, fmt.Errorf("%w: %q is not canonical", ErrBadKey, s)
	}
	return pub, nil
}

// IssuerDID derives an issuer's DID from the first public key it registers
// with: did:talent:<base58btc(sha256(pub)[:16])>. The derivation lets anyone
// check that a DID belongs to its first key, and keeps DIDs short and fixed.
func IssuerDID(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	return DIDPrefix + base58Encode(h[:16])
}

// KeyID returns the DID URL of an issuer's n-th key (1-based): did#key-n.
func KeyID(did string, n int) string { return fmt.Sprintf("%s#key-%d", did, n) }

// SplitKeyID splits a DID URL into the DID and its fragment.
func SplitKeyID(id string) (did, fragment string, ok bool) {
	did, fragment, ok = strings.Cut(id, "#")
	return did, fragment, ok && did != "" && fragment != ""
}

// ValidIssuerDID reports whether s has the syntax of an issuer DID.
func ValidIssuerDID(s string) bool {
	id, ok := strings.CutPrefix(s, DIDPrefix)
	if !ok || len(id) < 16 || len(id) > 24 {
		return false
	}
	b, err := base58Decode(id)
	return err == nil && len(b) == 16 && base58Encode(b) == id
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

func base58Encode(b []byte) string {
	zeros := 0
	for zeros < len(b) && b[zeros] == 0 {
		zeros++
	}
	n := new(big.Int).SetBytes(b)
	radix, mod := big.NewInt(58), new(big.Int)
	var out []byte
	for n.Sign() > 0 {
		n.DivMod(n, radix, mod)
		out = append(out, base58Alphabet[mod.Int64()])
	}
	for range zeros {
		out = append(out, '1')
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return string(out)
}

func base58Decode(s string) ([]byte, error) {
	if s == "" {
		return nil, errors.New("empty base58 string")
	}
	if len(s) > 128 {
		return nil, errors.New("base58 string too long")
	}
	n, radix := new(big.Int), big.NewInt(58)
	zeros := 0
	for zeros < len(s) && s[zeros] == '1' {
		zeros++
	}
	for i := 0; i < len(s); i++ {
		d := strings.IndexByte(base58Alphabet, s[i])
		if d < 0 {
			return nil, fmt.Errorf("invalid base58 character %q", s[i])
		}
		n.Mul(n, radix)
		n.Add(n, big.NewInt(int64(d)))
	}
	return append(make([]byte, zeros), n.Bytes()...), nil
}
