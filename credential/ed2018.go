package credential

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"strings"
)

// ProofEd25519_2018 is the Ed25519Signature2018 proof type (VC Data Model 1.1):
// a detached JWS with an unencoded payload (RFC 7797, "b64": false) over the
// SHA-256 hashes of the canonical proof options and the canonical document.
const ProofEd25519_2018 = "Ed25519Signature2018"

// jws2018Header is the protected header every Ed25519Signature2018 signer
// writes, already base64url-encoded: {"alg":"EdDSA","b64":false,"crit":["b64"]}.
const jws2018Header = "eyJhbGciOiJFZERTQSIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19"

// ed25519Signature2018 verifies (and signs) Ed25519Signature2018 proofs with our
// own canonicalizer, so the strict JSON-LD rules apply to them as to every
// other suite.
type ed25519Signature2018 struct {
	canon *Canonicalizer
}

// verifyData returns SHA-256(canonical proof options) || SHA-256(canonical
// document). The proof options are the proof without jws, signatureValue and
// proofValue, under the proof's own @context if it has one and the document's
// otherwise (as jsonld-signatures does).
func (s *ed25519Signature2018) verifyData(canonDoc string, proof map[string]any, docContext any) ([]byte, error) {
	options := withoutKeys(proof, "jws", "signatureValue", "proofValue")
	if _, ok := options["@context"]; !ok {
		options["@context"] = docContext
	}
	canonOptions, err := s.canon.Canonicalize(options)
	if err != nil {
		return nil, fmt.Errorf("proof options: %w", err)
	}
	h1 := sha256.Sum256([]byte(canonOptions))
	h2 := sha256.Sum256([]byte(canonDoc))
	return append(h1[:], h2[:]...), nil
}

// verifyProof checks one Ed25519Signature2018 proof over the canonical unsecured
// document with pub.
func (s *ed25519Signature2018) verifyProof(canonDoc string, proof map[string]any, docContext any, pub ed25519.PublicKey) error {
	jws, ok := proof["jws"].(string)
	if !ok {
		return errors.New("the proof has no jws")
	}
	header, sig, err := parseDetachedJWS(jws)
	if err != nil {
		return err
	}
	data, err := s.verifyData(canonDoc, proof, docContext)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, append([]byte(header+"."), data...), sig) {
		return errors.New("the signature does not match the document: it was altered or signed by another key")
	}
	return nil
}

// parseDetachedJWS splits a detached JWS "header..signature" and checks that the
// header asks for exactly what Ed25519Signature2018 means: EdDSA over an
// unencoded payload. It returns the encoded header (part of the signing input)
// and the signature.
func parseDetachedJWS(jws string) (header string, sig []byte, err error) {
	parts := strings.Split(jws, ".")
	if len(parts) != 3 || parts[1] != "" {
		return "", nil, errors.New("jws: not a detached JWS (header..signature)")
	}
	hb, err := base64.RawURLEncoding.Strict().DecodeString(parts[0])
	if err != nil {
		return "", nil, fmt.Errorf("jws header: %w", err)
	}
	h, err := ParseDocument(hb)
	if err != nil {
		return "", nil, fmt.Errorf("jws header: %w", err)
	}
	crit, _ := h["crit"].([]any)
	if h["alg"] != "EdDSA" || h["b64"] != false || len(crit) != 1 || crit[0] != "b64" {
		return "", nil, fmt.Errorf(`jws header %s: Ed25519Signature2018 needs {"alg":"EdDSA","b64":false,"crit":["b64"]}`, bytes.TrimSpace(hb))
	}
	sig, err = base64.RawURLEncoding.Strict().DecodeString(parts[2])
	if err != nil {
		return "", nil, fmt.Errorf("jws signature: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return "", nil, fmt.Errorf("jws signature: %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	return parts[0], sig, nil
}

// SignEd25519Signature2018 adds an Ed25519Signature2018 proof to doc, a VC Data
// Model 1.1 document (the credentials/v1 context defines the proof type), and
// returns the secured document; doc is not modified. New credentials should use
// eddsa-rdfc-2022: this exists to test interoperability with older tools.
func SignEd25519Signature2018(loader *Loader, doc map[string]any, key ed25519.PrivateKey, opts ProofOptions) (map[string]any, error) {
	if opts.VerificationMethod == "" {
		return nil, errors.New("sign: a verification method is required")
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, errors.New("sign: not an Ed25519 private key")
	}
	canon := NewCanonicalizer(loader)
	s := &ed25519Signature2018{canon: canon}
	proof := map[string]any{"type": ProofEd25519_2018, "verificationMethod": opts.VerificationMethod}
	addProofOptions(proof, opts)
	existing, err := proofsOf(doc)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	canonDoc, err := canon.Canonicalize(withoutProof(doc))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	data, err := s.verifyData(canonDoc, proof, doc["@context"])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig := ed25519.Sign(key, append([]byte(jws2018Header+"."), data...))
	proof["jws"] = jws2018Header + ".." + base64.RawURLEncoding.EncodeToString(sig)
	return withProof(maps.Clone(doc), existing, proof), nil
}
