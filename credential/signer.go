package credential

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"time"
	"unicode/utf8"
)

// Signer signs credentials and presentations with one key: an Ed25519 key
// with the Data Integrity eddsa-rdfc-2022 cryptosuite (or Ed25519Signature2020
// for VC Data Model 1.1 documents when asked), or a P-256 or P-384 key with
// ecdsa-rdfc-2019.
type Signer struct {
	key    *KeyPair   // the Ed25519 key, or nil
	ec     *ECKeyPair // the P-256 or P-384 key, or nil
	id     string     // the key's verification method id
	ctrl   string     // the key's controller
	loader *Loader
	suite  *EdDSA
	ecdsa  *ECDSA
}

// NewSigner returns a signer for key, resolving contexts with loader.
func NewSigner(loader *Loader, key *KeyPair) (*Signer, error) {
	if key == nil || key.Private == nil {
		return nil, fmt.Errorf("signer: a key pair with its secret key is required")
	}
	if key.ID == "" || key.Controller == "" {
		return nil, fmt.Errorf("signer: the key needs an id and a controller")
	}
	return &Signer{key: key, id: key.ID, ctrl: key.Controller, loader: loader, suite: NewEdDSA(NewCanonicalizer(loader))}, nil
}

// NewECSigner returns a signer for a P-256 or P-384 key, which signs with the
// ecdsa-rdfc-2019 cryptosuite whatever the data model version (a VC Data Model
// 1.1 document must then list the data-integrity/v2 context).
func NewECSigner(loader *Loader, key *ECKeyPair) (*Signer, error) {
	if key == nil || key.Private == nil {
		return nil, fmt.Errorf("signer: a key pair with its secret key is required")
	}
	if _, err := suiteHash(key.Private.Curve); err != nil {
		return nil, fmt.Errorf("signer: %w", err)
	}
	if key.ID == "" || key.Controller == "" {
		return nil, fmt.Errorf("signer: the key needs an id and a controller")
	}
	return &Signer{ec: key, id: key.ID, ctrl: key.Controller, loader: loader, ecdsa: NewECDSA(NewCanonicalizer(loader))}, nil
}

// Key returns the signer's Ed25519 key pair, or nil for a signer made by
// NewECSigner.
func (s *Signer) Key() *KeyPair { return s.key }

// VerificationMethod returns the id of the signer's key.
func (s *Signer) VerificationMethod() string { return s.id }

// SignCredential returns doc signed as an assertion of the key's controller. A
// document without an issuer gets the controller as issuer; a document naming
// another issuer is refused, since nobody could verify it. created zero means now.
func (s *Signer) SignCredential(doc map[string]any, created time.Time) (map[string]any, error) {
	if _, err := dataModel(doc); err != nil {
		return nil, &InputError{Field: "@context", Reason: err.Error()}
	}
	if err := requireType(doc, "VerifiableCredential"); err != nil {
		return nil, &InputError{Field: "type", Reason: err.Error()}
	}
	doc = maps.Clone(doc)
	if _, ok := doc["issuer"]; !ok {
		doc["issuer"] = s.ctrl
	}
	issuer, err := idOf(doc["issuer"])
	if err != nil {
		return nil, &InputError{Field: "issuer", Reason: err.Error()}
	}
	if issuer != s.ctrl {
		return nil, &InputError{Field: "issuer", Reason: fmt.Sprintf("is %s, but the key belongs to %s", issuer, s.ctrl)}
	}
	return s.sign(doc, ProofOptions{VerificationMethod: s.id, Purpose: RelAssertionMethod, Created: created})
}

// SignPresentation returns the presentation doc signed by the holder for the
// verifier's challenge and domain. A presentation without a holder gets the
// key's controller as holder.
func (s *Signer) SignPresentation(doc map[string]any, challenge, domain string, created time.Time) (map[string]any, error) {
	if challenge == "" {
		return nil, &InputError{Field: "challenge", Reason: "a presentation must answer a verifier's challenge"}
	}
	if err := requireType(doc, "VerifiablePresentation"); err != nil {
		return nil, &InputError{Field: "type", Reason: err.Error()}
	}
	doc = maps.Clone(doc)
	if _, ok := doc["holder"]; !ok {
		doc["holder"] = s.ctrl
	}
	return s.sign(doc, ProofOptions{VerificationMethod: s.id, Purpose: RelAuthentication, Created: created, Challenge: challenge, Domain: domain})
}

func (s *Signer) sign(doc map[string]any, opts ProofOptions) (map[string]any, error) {
	// Documents built in Go may hold ints, structs or json.Number; JSON-LD
	// processing needs the plain JSON types, so round-trip through JSON once.
	doc, err := normalizeJSON(doc)
	if err != nil {
		return nil, err
	}
	version, err := dataModel(doc)
	if err != nil {
		return nil, &InputError{Field: "@context", Reason: err.Error()}
	}
	if s.ec != nil {
		return s.ecdsa.Sign(doc, s.ec.Private, opts)
	}
	if version == "1.1" {
		return SignEd25519Signature2020(s.loader, doc, s.key.Private, opts)
	}
	return s.suite.Sign(doc, s.key.Private, opts)
}

// normalizeJSON returns doc as encoding/json would decode it.
func normalizeJSON(doc map[string]any) (map[string]any, error) {
	// Most documents are plain JSON values already (decoded, or built from
	// maps and strings): a copy gives the same result as the round trip,
	// without encoding and parsing them (a fifth of a signature's cost).
	budget := MaxDocumentSize
	if out, ok := plainCopy(doc, 0, &budget); ok {
		return out.(map[string]any), nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, &InputError{Reason: "not representable as JSON: " + err.Error()}
	}
	return ParseDocument(b)
}

// plainCopy deep-copies v if it holds only the values encoding/json decodes
// to, each string valid UTF-8, each number finite, within the depth and size
// limits of ParseDocument; budget bounds the encoded size from above (6 bytes
// per byte of a string, for escapes). false means: take the round trip, which
// converts other Go values, replaces invalid UTF-8 and reports the errors.
func plainCopy(v any, depth int, budget *int) (any, bool) {
	if depth > maxDepth {
		return nil, false
	}
	*budget -= 8
	if *budget < 0 {
		return nil, false
	}
	switch t := v.(type) {
	case map[string]any:
		if t == nil {
			return nil, true
		}
		out := make(map[string]any, len(t))
		for k, e := range t {
			*budget -= 6*len(k) + 4
			if !utf8.ValidString(k) {
				return nil, false
			}
			c, ok := plainCopy(e, depth+1, budget)
			if !ok {
				return nil, false
			}
			out[k] = c
		}
		return out, true
	case []any:
		if t == nil {
			return nil, true
		}
		out := make([]any, len(t))
		for i, e := range t {
			c, ok := plainCopy(e, depth+1, budget)
			if !ok {
				return nil, false
			}
			out[i] = c
		}
		return out, true
	case string:
		*budget -= 6 * len(t)
		return t, utf8.ValidString(t) && *budget >= 0
	case float64:
		return t, !math.IsNaN(t) && !math.IsInf(t, 0)
	case bool, nil:
		return t, true
	}
	return nil, false
}
