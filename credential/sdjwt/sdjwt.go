package sdjwt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// Media types (JOSE "typ" values).
const (
	// TypeVC is the SD-JWT VC type (draft-ietf-oauth-sd-jwt-vc, since draft 06).
	TypeVC = "dc+sd-jwt"
	// TypeVCLegacy is the type earlier drafts used; accepted, never issued.
	TypeVCLegacy = "vc+sd-jwt"
	// TypeKB is the type of a Key Binding JWT.
	TypeKB = "kb+jwt"
)

// HashSHA256 is the only digest algorithm (_sd_alg) supported.
const HashSHA256 = "sha-256"

// MaxDisclosures is the largest number of disclosures accepted in one SD-JWT.
const MaxDisclosures = 1024

// Sentinel errors.
var (
	// ErrMalformed means the input is not a well-formed SD-JWT or disclosure.
	// It wraps credential.ErrMalformed. Answer 400.
	ErrMalformed = fmt.Errorf("malformed SD-JWT: %w", credential.ErrMalformed)
	// ErrDisclosure means the disclosures do not fit the issuer-signed payload
	// (unreferenced, duplicated, overwriting a claim, a reserved name) or a
	// requested claim path does not exist.
	ErrDisclosure = errors.New("invalid disclosure")
	// ErrInvalid means the issuance request is unusable (bad path, a claim that
	// may not be selectively disclosable, missing required claims).
	ErrInvalid = errors.New("invalid SD-JWT request")
)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Disclosure is one salted claim: an object member (salt, name, value) or an
// array element (salt, value).
type Disclosure struct {
	// Raw is the base64url form as issued; the digest is computed over it.
	Raw string
	// Salt is the random salt.
	Salt string
	// Name is the member name; empty for an array element.
	Name string
	// Element is true for an array element disclosure.
	Element bool
	// Value is the claim value, decoded strictly (numbers as float64).
	Value any
}

// Digest returns the disclosure's digest.
func (d *Disclosure) Digest() string { return Digest(d.Raw) }

// Digest returns base64url(SHA-256(ASCII(disclosure))), the digest RFC 9901
// §4.2.3 defines: over the base64url string, not over the JSON it encodes.
func Digest(disclosure string) string {
	h := sha256.Sum256([]byte(disclosure))
	return jose.Encode(h[:])
}

// ParseDisclosure decodes a base64url disclosure strictly: a JSON array of two
// (salt, value) or three (salt, name, value) elements, a string salt, and a
// string name other than "_sd" and "...". Errors wrap ErrMalformed.
func ParseDisclosure(s string) (*Disclosure, error) {
	b, err := jose.Decode(s)
	if err != nil {
		return nil, malformed("disclosure: %v", err)
	}
	v, err := jose.ParseJSON(b)
	if err != nil {
		return nil, malformed("disclosure: %v", err)
	}
	a, ok := v.([]any)
	if !ok {
		return nil, malformed("disclosure: not a JSON array")
	}
	d := &Disclosure{Raw: s}
	switch len(a) {
	case 2:
		d.Element = true
		d.Value = a[1]
	case 3:
		name, ok := a[1].(string)
		if !ok {
			return nil, malformed("disclosure: the claim name must be a string")
		}
		if name == "_sd" || name == "..." {
			return nil, malformed("disclosure: the claim name %q is reserved", name)
		}
		d.Name = name
		d.Value = a[2]
	default:
		return nil, malformed("disclosure: an array of %d elements (2 or 3 expected)", len(a))
	}
	salt, ok := a[0].(string)
	if !ok {
		return nil, malformed("disclosure: the salt must be a string")
	}
	d.Salt = salt
	return d, nil
}

// NewDisclosure returns a disclosure of an object member (element false) or
// of an array element (element true, name ignored) with a 128-bit salt from
// rnd (crypto/rand when nil).
func NewDisclosure(rnd io.Reader, name string, value any, element bool) (*Disclosure, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var salt [16]byte
	if _, err := io.ReadFull(rnd, salt[:]); err != nil {
		return nil, fmt.Errorf("disclosure salt: %w", err)
	}
	d := &Disclosure{Salt: jose.Encode(salt[:]), Name: name, Element: element, Value: value}
	arr := []any{d.Salt, name, value}
	if element {
		d.Name = ""
		arr = []any{d.Salt, value}
	} else if name == "_sd" || name == "..." || name == "_sd_alg" {
		return nil, fmt.Errorf("%w: the claim name %q is reserved", ErrInvalid, name)
	}
	b, err := json.Marshal(arr)
	if err != nil {
		return nil, fmt.Errorf("%w: disclosure value: %v", ErrInvalid, err)
	}
	d.Raw = jose.Encode(b)
	return d, nil
}

// SDJWT is a parsed compact SD-JWT or SD-JWT+KB, not yet verified.
type SDJWT struct {
	// JWT is the issuer-signed JWT.
	JWT *jose.JWS
	// Disclosures are in the order given.
	Disclosures []*Disclosure
	// KeyBinding is the Key Binding JWT, or nil.
	KeyBinding *jose.JWS
	// Raw is the compact form as given.
	Raw string
}

// Parse splits a compact SD-JWT "<JWT>~<D1>~...~<Dn>~" or SD-JWT+KB
// "<JWT>~<D1>~...~<Dn>~<KB-JWT>" and parses each part strictly, without
// verifying anything. Errors wrap ErrMalformed (or jose.ErrAlgorithm for a
// forbidden algorithm).
func Parse(s string) (*SDJWT, error) {
	if len(s) > jose.MaxTokenSize {
		return nil, malformed("larger than %d bytes", jose.MaxTokenSize)
	}
	parts := strings.Split(s, "~")
	if len(parts) < 2 {
		return nil, malformed("no '~' separator: a JWT, not an SD-JWT")
	}
	if len(parts)-2 > MaxDisclosures {
		return nil, malformed("more than %d disclosures", MaxDisclosures)
	}
	jwt, err := jose.Parse(parts[0])
	if err != nil {
		return nil, fmt.Errorf("issuer-signed JWT: %w", err)
	}
	out := &SDJWT{JWT: jwt, Raw: s}
	for i, p := range parts[1 : len(parts)-1] {
		if p == "" {
			return nil, malformed("disclosure %d is empty", i)
		}
		d, err := ParseDisclosure(p)
		if err != nil {
			return nil, fmt.Errorf("disclosure %d: %w", i, err)
		}
		out.Disclosures = append(out.Disclosures, d)
	}
	if last := parts[len(parts)-1]; last != "" {
		kb, err := jose.Parse(last)
		if err != nil {
			return nil, fmt.Errorf("key binding JWT: %w", err)
		}
		out.KeyBinding = kb
	}
	return out, nil
}

// sdPart returns the SD-JWT without the key binding JWT, ending with "~": the
// input of sd_hash.
func (s *SDJWT) sdPart() string {
	return s.Raw[:strings.LastIndexByte(s.Raw, '~')+1]
}

// SDHash returns the sd_hash a Key Binding JWT over this SD-JWT must carry.
func (s *SDJWT) SDHash() string { return Digest(s.sdPart()) }

// String returns the compact form.
func (s *SDJWT) String() string { return s.Raw }

// compose joins a JWT and disclosures into "<JWT>~<D1>~...~<Dn>~".
func compose(jwt string, ds []*Disclosure) string {
	var b strings.Builder
	b.WriteString(jwt)
	b.WriteByte('~')
	for _, d := range ds {
		b.WriteString(d.Raw)
		b.WriteByte('~')
	}
	return b.String()
}
