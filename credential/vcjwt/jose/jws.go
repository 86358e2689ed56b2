package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/talentchain/talentchain/credential"
)

// The only signature algorithms accepted (RFC 8037 EdDSA with Ed25519, RFC
// 7518 ES256 with P-256).
const (
	AlgEdDSA = "EdDSA"
	AlgES256 = "ES256"
)

// MaxTokenSize is the largest compact JWS (or SD-JWT) accepted, in bytes.
const MaxTokenSize = 1 << 20

// Sentinel errors.
var (
	// ErrMalformed means the input is not a well-formed JOSE object, JWK or
	// identifier. It wraps credential.ErrMalformed. Answer 400.
	ErrMalformed = fmt.Errorf("malformed JOSE object: %w", credential.ErrMalformed)
	// ErrAlgorithm means the header names an algorithm outside the allow-list
	// (EdDSA, ES256), "none" included, or one that does not fit the key.
	ErrAlgorithm = errors.New("signature algorithm not allowed")
	// ErrSignature means the signature does not verify with the key.
	ErrSignature = errors.New("invalid signature")
	// ErrKey means a key is of an unsupported type or is not the key that
	// should have signed (wrong controller, not listed for the purpose).
	ErrKey = errors.New("unusable key")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

var b64 = base64.RawURLEncoding.Strict()

// Encode returns the base64url encoding of b without padding.
func Encode(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// Decode decodes base64url without padding, refusing padding, other alphabets
// and non-canonical trailing bits (so that one value has one encoding).
func Decode(s string) ([]byte, error) {
	b, err := b64.DecodeString(s)
	if err != nil {
		return nil, malformed("invalid base64url: %v", err)
	}
	return b, nil
}

// JWS is a parsed compact JWS whose signature has not necessarily been
// verified: call Verify before trusting Header or Payload.
type JWS struct {
	// Header is the decoded protected header.
	Header map[string]any
	// Payload is the decoded payload.
	Payload []byte
	// Signature is the decoded signature.
	Signature []byte
	// Raw is the compact serialization as given.
	Raw string
	// signingInput is "<header>.<payload>" as given.
	signingInput string
}

// Parse parses a compact JWS strictly: three base64url parts, a header that is
// a JSON object with an allowed "alg", no "crit" and no "b64". It does not
// verify the signature. Errors wrap ErrMalformed or ErrAlgorithm.
func Parse(compact string) (*JWS, error) {
	if len(compact) > MaxTokenSize {
		return nil, malformed("larger than %d bytes", MaxTokenSize)
	}
	parts := strings.Split(compact, ".")
	if len(parts) != 3 {
		return nil, malformed("a compact JWS has 3 dot-separated parts, not %d", len(parts))
	}
	if parts[0] == "" || parts[2] == "" {
		return nil, malformed("empty header or signature")
	}
	hb, err := Decode(parts[0])
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	header, err := ParseObject(hb)
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	payload, err := Decode(parts[1])
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	sig, err := Decode(parts[2])
	if err != nil {
		return nil, fmt.Errorf("signature: %w", err)
	}
	if err := checkHeader(header); err != nil {
		return nil, err
	}
	return &JWS{Header: header, Payload: payload, Signature: sig, Raw: compact, signingInput: parts[0] + "." + parts[1]}, nil
}

func checkHeader(h map[string]any) error {
	alg, ok := h["alg"].(string)
	if !ok {
		return malformed("header: alg must be a string")
	}
	switch alg {
	case AlgEdDSA, AlgES256:
	case "none", "None", "NONE":
		return fmt.Errorf("%w: unsecured JWS (alg %q) refused", ErrAlgorithm, alg)
	default:
		return fmt.Errorf("%w: %q (only %s and %s)", ErrAlgorithm, alg, AlgEdDSA, AlgES256)
	}
	if _, ok := h["crit"]; ok {
		return malformed("header: crit names extensions this verifier does not understand")
	}
	if _, ok := h["b64"]; ok {
		return malformed("header: unencoded payloads (b64) are not accepted")
	}
	for _, k := range []string{"typ", "cty", "kid"} {
		if v, ok := h[k]; ok {
			if _, isString := v.(string); !isString {
				return malformed("header: %s must be a string", k)
			}
		}
	}
	return nil
}

// Alg returns the header's algorithm.
func (j *JWS) Alg() string { s, _ := j.Header["alg"].(string); return s }

// Kid returns the header's key id, or "".
func (j *JWS) Kid() string { s, _ := j.Header["kid"].(string); return s }

// Typ returns the header's type, normalised by MediaType, or "".
func (j *JWS) Typ() string { s, _ := j.Header["typ"].(string); return MediaType(s) }

// Claims decodes the payload as a strict JSON object (a JWT claims set).
func (j *JWS) Claims() (map[string]any, error) {
	m, err := ParseObject(j.Payload)
	if err != nil {
		return nil, fmt.Errorf("payload: %w", err)
	}
	return m, nil
}

// MediaType normalises a "typ" or "cty" value as RFC 7515 §4.1.9 compares
// them: lower case, without an "application/" prefix.
func MediaType(s string) string {
	s = strings.ToLower(s)
	return strings.TrimPrefix(s, "application/")
}

// Verify checks the signature with pub. The header's algorithm must fit the
// key: EdDSA for an ed25519.PublicKey, ES256 for a P-256 *ecdsa.PublicKey.
// Errors wrap ErrAlgorithm, ErrKey or ErrSignature.
func (j *JWS) Verify(pub crypto.PublicKey) error {
	alg := j.Alg()
	switch k := pub.(type) {
	case ed25519.PublicKey:
		if alg != AlgEdDSA {
			return fmt.Errorf("%w: %s with an Ed25519 key", ErrAlgorithm, alg)
		}
		if len(k) != ed25519.PublicKeySize {
			return fmt.Errorf("%w: Ed25519 key of %d bytes", ErrKey, len(k))
		}
		if !ed25519.Verify(k, []byte(j.signingInput), j.Signature) {
			return ErrSignature
		}
		return nil
	case *ecdsa.PublicKey:
		if alg != AlgES256 {
			return fmt.Errorf("%w: %s with an ECDSA key", ErrAlgorithm, alg)
		}
		if k.Curve != elliptic.P256() {
			return fmt.Errorf("%w: ECDSA key not on P-256", ErrKey)
		}
		if len(j.Signature) != 64 {
			return fmt.Errorf("%w: an ES256 signature has 64 bytes, not %d", ErrSignature, len(j.Signature))
		}
		h := sha256.Sum256([]byte(j.signingInput))
		r := new(big.Int).SetBytes(j.Signature[:32])
		s := new(big.Int).SetBytes(j.Signature[32:])
		if !ecdsa.Verify(k, h[:], r, s) {
			return ErrSignature
		}
		return nil
	}
	return fmt.Errorf("%w: %T (only Ed25519 and P-256)", ErrKey, pub)
}

// Signer signs compact JWS objects with one Ed25519 or P-256 private key. It
// is safe for concurrent use.
type Signer struct {
	alg string
	kid string
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
}

// NewSigner returns a signer for an ed25519.PrivateKey (EdDSA) or a P-256
// *ecdsa.PrivateKey (ES256). kid, when not empty, is put in every header it
// signs; for credentials it is a DID URL naming the verification method.
func NewSigner(key crypto.Signer, kid string) (*Signer, error) {
	switch k := key.(type) {
	case ed25519.PrivateKey:
		if len(k) != ed25519.PrivateKeySize {
			return nil, fmt.Errorf("%w: Ed25519 private key of %d bytes", ErrKey, len(k))
		}
		return &Signer{alg: AlgEdDSA, kid: kid, ed: k}, nil
	case *ecdsa.PrivateKey:
		if k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("%w: ECDSA key not on P-256", ErrKey)
		}
		return &Signer{alg: AlgES256, kid: kid, ec: k}, nil
	}
	return nil, fmt.Errorf("%w: %T (only Ed25519 and P-256)", ErrKey, key)
}

// Algorithm returns "EdDSA" or "ES256".
func (s *Signer) Algorithm() string { return s.alg }

// KeyID returns the kid the signer puts in headers.
func (s *Signer) KeyID() string { return s.kid }

// Public returns the public key.
func (s *Signer) Public() crypto.PublicKey {
	if s.ed != nil {
		return s.ed.Public()
	}
	return &s.ec.PublicKey
}

// Sign returns the compact JWS of payload under a protected header made of
// header (which may be nil) plus "alg" and, if the signer has one, "kid".
// header may not set "alg", nor a "kid" other than the signer's.
func (s *Signer) Sign(header map[string]any, payload []byte) (string, error) {
	h := make(map[string]any, len(header)+2)
	for k, v := range header {
		h[k] = v
	}
	if a, ok := h["alg"]; ok && a != s.alg {
		return "", fmt.Errorf("%w: header alg %v, but the key signs %s", ErrAlgorithm, a, s.alg)
	}
	h["alg"] = s.alg
	if s.kid != "" {
		if k, ok := h["kid"]; ok && k != s.kid {
			return "", fmt.Errorf("%w: header kid %v is not the signer's %s", ErrKey, k, s.kid)
		}
		h["kid"] = s.kid
	}
	hb, err := json.Marshal(h)
	if err != nil {
		return "", fmt.Errorf("jws header: %w", err)
	}
	input := Encode(hb) + "." + Encode(payload)
	sig, err := s.sign([]byte(input))
	if err != nil {
		return "", err
	}
	return input + "." + Encode(sig), nil
}

func (s *Signer) sign(input []byte) ([]byte, error) {
	if s.ed != nil {
		return ed25519.Sign(s.ed, input), nil
	}
	h := sha256.Sum256(input)
	r, ss, err := ecdsa.Sign(rand.Reader, s.ec, h[:])
	if err != nil {
		return nil, fmt.Errorf("es256 sign: %w", err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	ss.FillBytes(sig[32:])
	return sig, nil
}

// SignJSON marshals v (a claims set) and signs it with Sign.
func (s *Signer) SignJSON(header map[string]any, v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("jws payload: %w", err)
	}
	return s.Sign(header, b)
}
