package credential

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// ErrInvalidDID means an identifier claims a DID method but breaks its rules
// (for did:jwk: not base64url, not a JSON object, a private or unknown key). It
// always comes wrapped together with ErrNotFound, since such a DID resolves to
// nothing; a DID resolution endpoint answers it with "invalidDid".
var ErrInvalidDID = errors.New("invalid DID")

// maxDIDJWKLength bounds a did:jwk: the largest supported key (P-384) needs
// about 200 characters.
const maxDIDJWKLength = 2048

// VerificationMethodJWK is the verification method type of did:jwk documents.
const VerificationMethodJWK = "JsonWebKey2020"

// DIDJWKResolver resolves did:jwk identifiers (https://github.com/quartzjer/did-jwk):
// the DID is "did:jwk:" followed by the base64url (unpadded) JSON of a public
// JWK, and its only verification method is "#0". Ed25519 (kty OKP) and P-256 or
// P-384 (kty EC) keys are supported. A JWK with private members (d, ...), an
// unknown kty or crv, or a point not on its curve is refused. A key marked
// "use": "enc" is for key agreement only, so it is listed under neither
// assertionMethod nor authentication.
type DIDJWKResolver struct{}

// Resolve implements Resolver for did:jwk. Errors wrap ErrNotFound, and also
// ErrInvalidDID when the identifier is a malformed did:jwk.
func (DIDJWKResolver) Resolve(_ context.Context, id string) (*ControllerDocument, error) {
	enc, ok := strings.CutPrefix(id, "did:jwk:")
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a did:jwk", ErrNotFound, id)
	}
	invalid := func(format string, args ...any) error {
		return fmt.Errorf("%w: %w: did:jwk: %s", ErrNotFound, ErrInvalidDID, fmt.Sprintf(format, args...))
	}
	if len(id) > maxDIDJWKLength {
		return nil, invalid("longer than %d characters", maxDIDJWKLength)
	}
	raw, err := base64.RawURLEncoding.Strict().DecodeString(enc)
	if err != nil {
		return nil, invalid("not unpadded base64url: %v", err)
	}
	jwk, err := ParseDocument(raw)
	if err != nil {
		return nil, invalid("not a JSON object: %v", err)
	}
	if _, err := ParseJWK(jwk); err != nil {
		return nil, invalid("%v", err)
	}
	vm := id + "#0"
	doc := &ControllerDocument{
		Context:            []string{ContextDID, "https://w3id.org/security/suites/jws-2020/v1"},
		ID:                 id,
		VerificationMethod: []VerificationMethod{{ID: vm, Type: VerificationMethodJWK, Controller: id, PublicKeyJwk: jwk}},
		AssertionMethod:    []string{},
		Authentication:     []string{},
	}
	if jwk["use"] != "enc" {
		doc.AssertionMethod = []string{vm}
		doc.Authentication = []string{vm}
	}
	return doc, nil
}

// DIDJWK returns the did:jwk DID of an Ed25519, P-256 or P-384 public key and the
// id of its verification method (did:jwk:...#0). The JWK members are written in
// lexicographic order (as RFC 7638 thumbprints do), so a key always gives the
// same DID.
func DIDJWK(pub crypto.PublicKey) (did, vm string, err error) {
	jwk, err := PublicJWK(pub)
	if err != nil {
		return "", "", err
	}
	b, err := json.Marshal(jwk) // encoding/json sorts map keys
	if err != nil {
		return "", "", fmt.Errorf("did:jwk: %w", err)
	}
	did = "did:jwk:" + base64.RawURLEncoding.EncodeToString(b)
	return did, did + "#0", nil
}

// PublicJWK returns the public JWK of an Ed25519, P-256 or P-384 key.
func PublicJWK(pub crypto.PublicKey) (map[string]any, error) {
	b64 := base64.RawURLEncoding.EncodeToString
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if len(k) != ed25519.PublicKeySize {
			return nil, errors.New("jwk: not an Ed25519 public key")
		}
		return map[string]any{"kty": "OKP", "crv": "Ed25519", "x": b64(k)}, nil
	case *ecdsa.PublicKey:
		name := curveName(k.Curve)
		if name == "" {
			return nil, errors.New("jwk: only P-256 and P-384 keys are supported")
		}
		raw, err := k.Bytes()
		if err != nil {
			return nil, fmt.Errorf("jwk: %w", err)
		}
		size := (len(raw) - 1) / 2
		return map[string]any{"kty": "EC", "crv": name, "x": b64(raw[1 : 1+size]), "y": b64(raw[1+size:])}, nil
	}
	return nil, fmt.Errorf("jwk: unsupported key type %T", pub)
}

// jwkPrivateMembers are the JWK members that hold private key material
// (RFC 7518 section 6).
var jwkPrivateMembers = []string{"d", "p", "q", "dp", "dq", "qi", "oth", "k"}

// ParseJWK returns the public key of a JWK: an ed25519.PublicKey for kty OKP /
// crv Ed25519, an *ecdsa.PublicKey for kty EC / crv P-256 or P-384. A JWK with
// private key members, another kty or crv, coordinates of the wrong length, a
// point not on the curve, or an "alg" that does not fit the key is refused.
func ParseJWK(jwk map[string]any) (crypto.PublicKey, error) {
	for _, m := range jwkPrivateMembers {
		if _, ok := jwk[m]; ok {
			return nil, fmt.Errorf("jwk: holds the private member %q: a public key must never carry it", m)
		}
	}
	str := func(name string) (string, error) {
		v, ok := jwk[name]
		if !ok {
			return "", fmt.Errorf("jwk: %q is missing", name)
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("jwk: %q must be a string", name)
		}
		return s, nil
	}
	coord := func(name string, size int) ([]byte, error) {
		s, err := str(name)
		if err != nil {
			return nil, err
		}
		b, err := base64.RawURLEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("jwk: %q is not unpadded base64url", name)
		}
		if len(b) != size {
			return nil, fmt.Errorf("jwk: %q holds %d bytes, want %d", name, len(b), size)
		}
		return b, nil
	}
	kty, err := str("kty")
	if err != nil {
		return nil, err
	}
	if kty != "OKP" && kty != "EC" {
		return nil, fmt.Errorf("jwk: kty %q is not supported (OKP Ed25519, EC P-256 or P-384)", kty)
	}
	crv, err := str("crv")
	if err != nil {
		return nil, err
	}
	var (
		key     crypto.PublicKey
		wantAlg string
	)
	switch {
	case kty == "OKP" && crv == "Ed25519":
		x, err := coord("x", ed25519.PublicKeySize)
		if err != nil {
			return nil, err
		}
		key, wantAlg = ed25519.PublicKey(x), "EdDSA"
	case kty == "EC" && (crv == "P-256" || crv == "P-384"):
		curve, size := elliptic.P256(), 32
		wantAlg = "ES256"
		if crv == "P-384" {
			curve, size, wantAlg = elliptic.P384(), 48, "ES384"
		}
		x, err := coord("x", size)
		if err != nil {
			return nil, err
		}
		y, err := coord("y", size)
		if err != nil {
			return nil, err
		}
		if key, err = parseXY(curve, x, y); err != nil {
			return nil, fmt.Errorf("jwk: %w", err)
		}
	default:
		return nil, fmt.Errorf("jwk: crv %q is not supported for kty %s (OKP Ed25519, EC P-256 or P-384)", crv, kty)
	}
	if alg, ok := jwk["alg"]; ok && alg != wantAlg {
		return nil, fmt.Errorf("jwk: alg %v does not fit a %s %s key (%s)", alg, kty, crv, wantAlg)
	}
	if use, ok := jwk["use"]; ok && use != "sig" && use != "enc" {
		return nil, fmt.Errorf("jwk: use %v is neither sig nor enc", use)
	}
	return key, nil
}
