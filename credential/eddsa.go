package credential

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"maps"
	"time"
)

// Proof types and cryptosuites.
const (
	ProofDataIntegrity   = "DataIntegrityProof"
	SuiteEdDSARDFC2022   = "eddsa-rdfc-2022"
	ProofEd25519_2020    = "Ed25519Signature2020"
	proofTimeLayout      = "2006-01-02T15:04:05Z"
	maxProofsPerDocument = 16
)

// ProofOptions describe the proof to add to a document.
type ProofOptions struct {
	// VerificationMethod is the id of the signing key, e.g. did:key:z6Mk...#z6Mk...
	VerificationMethod string
	// Purpose is the proof purpose: assertionMethod (default) for credentials,
	// authentication for presentations.
	Purpose string
	// Created is the proof's creation time (UTC, whole seconds); zero means now.
	Created time.Time
	// Expires, when set, is when the proof stops being valid (whole seconds).
	Expires time.Time
	// Challenge and Domain bind a presentation proof to one verifier request.
	Challenge string
	Domain    string
}

// EdDSA is the Data Integrity eddsa-rdfc-2022 cryptosuite
// (https://www.w3.org/TR/vc-di-eddsa/): RDFC-1.0 canonicalization, SHA-256 of the
// proof configuration followed by SHA-256 of the document, an Ed25519 signature,
// base58btc multibase.
type EdDSA struct {
	canon *Canonicalizer
}

// NewEdDSA returns the cryptosuite using canon for RDF canonicalization.
func NewEdDSA(canon *Canonicalizer) *EdDSA { return &EdDSA{canon: canon} }

// Sign adds an eddsa-rdfc-2022 DataIntegrityProof to doc and returns the secured
// document; doc itself is not modified. If doc already has proofs, the new one
// joins them as a proof set (each proof of a set signs the document without any proof).
func (s *EdDSA) Sign(doc map[string]any, key ed25519.PrivateKey, opts ProofOptions) (map[string]any, error) {
	if opts.VerificationMethod == "" {
		return nil, fmt.Errorf("sign: a verification method is required")
	}
	if len(key) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("sign: not an Ed25519 private key")
	}
	purpose := opts.Purpose
	if purpose == "" {
		purpose = RelAssertionMethod
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	proof := map[string]any{
		"type":               ProofDataIntegrity,
		"cryptosuite":        SuiteEdDSARDFC2022,
		"created":            created.UTC().Truncate(time.Second).Format(proofTimeLayout),
		"verificationMethod": opts.VerificationMethod,
		"proofPurpose":       purpose,
	}
	if !opts.Expires.IsZero() {
		proof["expires"] = opts.Expires.UTC().Truncate(time.Second).Format(proofTimeLayout)
	}
	if opts.Challenge != "" {
		proof["challenge"] = opts.Challenge
	}
	if opts.Domain != "" {
		proof["domain"] = opts.Domain
	}
	existing, err := proofsOf(doc)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	unsecured := withoutProof(doc)
	canonDoc, err := s.canon.Canonicalize(unsecured)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	data, err := s.hashData(canonDoc, proof, doc["@context"])
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	proof["proofValue"] = encodeBase58btc(ed25519.Sign(key, data))

	out := maps.Clone(doc)
	if len(existing) == 0 {
		out["proof"] = proof
	} else {
		set := make([]any, 0, len(existing)+1)
		for _, p := range existing {
			set = append(set, p)
		}
		out["proof"] = append(set, proof)
	}
	return out, nil
}

// hashData returns SHA-256(canonical proof configuration) || SHA-256(canonical document).
func (s *EdDSA) hashData(canonDoc string, proof map[string]any, docContext any) ([]byte, error) {
	config := maps.Clone(proof)
	delete(config, "proofValue")
	config["@context"] = docContext
	canonConfig, err := s.canon.Canonicalize(config)
	if err != nil {
		return nil, fmt.Errorf("proof configuration: %w", err)
	}
	h1 := sha256.Sum256([]byte(canonConfig))
	h2 := sha256.Sum256([]byte(canonDoc))
	return append(h1[:], h2[:]...), nil
}

// verifyProof checks one eddsa-rdfc-2022 proof over the canonical unsecured
// document with the given public key.
func (s *EdDSA) verifyProof(canonDoc string, proof map[string]any, docContext any, pub ed25519.PublicKey) error {
	if proof["cryptosuite"] != SuiteEdDSARDFC2022 {
		return fmt.Errorf("cryptosuite %v is not supported", proof["cryptosuite"])
	}
	pv, _ := proof["proofValue"].(string)
	sig, err := decodeBase58btc(pv)
	if err != nil {
		return fmt.Errorf("proofValue: %w", err)
	}
	if len(sig) != ed25519.SignatureSize {
		return fmt.Errorf("proofValue: a signature of %d bytes, want %d", len(sig), ed25519.SignatureSize)
	}
	if pc, ok := proof["@context"]; ok && !contextStartsWith(docContext, pc) {
		return fmt.Errorf("the proof's @context is not a prefix of the document's @context")
	}
	data, err := s.hashData(canonDoc, proof, docContext)
	if err != nil {
		return err
	}
	if !ed25519.Verify(pub, data, sig) {
		return fmt.Errorf("the signature does not match the document: it was altered or signed by another key")
	}
	return nil
}

// contextStartsWith reports whether the document context begins with all values
// of the proof context, in order.
func contextStartsWith(doc, prefix any) bool {
	d, p := asSlice(doc), asSlice(prefix)
	if len(p) > len(d) {
		return false
	}
	for i := range p {
		ps, ok1 := p[i].(string)
		ds, ok2 := d[i].(string)
		if !ok1 || !ok2 || ps != ds {
			return false
		}
	}
	return true
}

func asSlice(v any) []any {
	switch t := v.(type) {
	case []any:
		return t
	case nil:
		return nil
	default:
		return []any{t}
	}
}

// proofsOf returns the proofs of a document (none, one, or a set).
func proofsOf(doc map[string]any) ([]map[string]any, error) {
	raw, ok := doc["proof"]
	if !ok || raw == nil {
		return nil, nil
	}
	items := asSlice(raw)
	if len(items) > maxProofsPerDocument {
		return nil, &InputError{Field: "proof", Reason: fmt.Sprintf("more than %d proofs", maxProofsPerDocument)}
	}
	out := make([]map[string]any, 0, len(items))
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, &InputError{Field: fmt.Sprintf("proof[%d]", i), Reason: "a proof must be an object"}
		}
		out = append(out, m)
	}
	return out, nil
}

// withoutProof returns a shallow copy of doc without its proof member.
func withoutProof(doc map[string]any) map[string]any {
	out := maps.Clone(doc)
	delete(out, "proof")
	return out
}
