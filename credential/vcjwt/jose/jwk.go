package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"fmt"

	"github.com/talentchain/talentchain/credential"
)

// PublicJWK returns the public JWK (RFC 7517) of an Ed25519 or P-256 key:
// {"kty":"OKP","crv":"Ed25519","x":...} or {"kty":"EC","crv":"P-256","x":...,"y":...}.
func PublicJWK(pub crypto.PublicKey) (map[string]any, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 key of %d bytes", ErrKey, len(k))
		}
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": Encode(k)}, nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA key not on P-256", ErrKey)
		}
		b, err := k.Bytes()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		return map[string]any{"kty": "EC", "crv": "P-256", "x": Encode(b[1:33]), "y": Encode(b[33:])}, nil
	}
	return nil, fmt.Errorf("%w: %T (only Ed25519 and P-256)", ErrKey, pub)
}

// KeyFromJWK returns the public key of a JWK given as a decoded JSON object.
// Only OKP/Ed25519 and EC/P-256 keys are accepted; a JWK carrying private key
// material ("d") is refused, as is a point that is not on the curve. Errors
// wrap ErrMalformed or ErrKey.
func KeyFromJWK(jwk map[string]any) (crypto.PublicKey, error) {
	str := func(name string) (string, error) {
		v, ok := jwk[name]
		if !ok {
			return "", malformed("jwk: %s is missing", name)
		}
		s, ok := v.(string)
		if !ok {
			return "", malformed("jwk: %s must be a string", name)
		}
		return s, nil
	}
	if _, ok := jwk["d"]; ok {
		return nil, fmt.Errorf("%w: the JWK holds a private key (d); only public keys may travel", ErrKey)
	}
	kty, err := str("kty")
	if err != nil {
		return nil, err
	}
	crv, err := str("crv")
	if err != nil {
		return nil, err
	}
	x, err := str("x")
	if err != nil {
		return nil, err
	}
	xb, err := Decode(x)
	if err != nil {
		return nil, fmt.Errorf("jwk x: %w", err)
	}
	switch {
	case kty == "OKP" && crv == "Ed25519":
		if _, ok := jwk["y"]; ok {
			return nil, malformed("jwk: an OKP key has no y")
		}
		if len(xb) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%w: Ed25519 x of %d bytes", ErrKey, len(xb))
		}
		return ed25519.PublicKey(xb), nil
	case kty == "EC" && crv == "P-256":
		y, err := str("y")
		if err != nil {
			return nil, err
		}
		yb, err := Decode(y)
		if err != nil {
			return nil, fmt.Errorf("jwk y: %w", err)
		}
		if len(xb) != 32 || len(yb) != 32 {
			return nil, fmt.Errorf("%w: P-256 coordinates have 32 bytes", ErrKey)
		}
		k, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, xb...), yb...))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrKey, err)
		}
		return k, nil
	}
	return nil, fmt.Errorf("%w: JWK kty %q crv %q (only OKP/Ed25519 and EC/P-256)", ErrKey, kty, crv)
}

// EncodeMultikey returns the Multikey publicKeyMultibase of an Ed25519 or
// P-256 key (z6Mk... or zDn...; a P-256 key is compressed).
func EncodeMultikey(pub crypto.PublicKey) (string, error) {
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return "", fmt.Errorf("%w: Ed25519 key of %d bytes", ErrKey, len(k))
		}
		return credential.EncodePublicKey(k), nil
	case *ecdsa.PublicKey:
		if k.Curve != elliptic.P256() {
			return "", fmt.Errorf("%w: ECDSA key not on P-256", ErrKey)
		}
		mk, err := credential.EncodeECPublicKey(k)
		if err != nil {
			return "", fmt.Errorf("%w: %v", ErrKey, err)
		}
		return mk, nil
	}
	return "", fmt.Errorf("%w: %T (only Ed25519 and P-256)", ErrKey, pub)
}

// DIDKey returns the did:key of an Ed25519 or P-256 key and the id of its
// verification method (did:key:z...#z...).
func DIDKey(pub crypto.PublicKey) (did, vm string, err error) {
	mk, err := EncodeMultikey(pub)
	if err != nil {
		return "", "", err
	}
	return "did:key:" + mk, "did:key:" + mk + "#" + mk, nil
}

// DIDJWK returns the did:jwk of an Ed25519 or P-256 key and the id of its
// verification method (did:jwk:...#0), as credential.DIDJWK writes it (the
// JWK's members in lexicographic order).
func DIDJWK(pub crypto.PublicKey) (did, vm string, err error) {
	if _, err := PublicJWK(pub); err != nil {
		return "", "", err
	}
	return credential.DIDJWK(pub)
}
