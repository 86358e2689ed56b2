package credential

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/jsonld"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/proof"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/signer"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/suite/ed25519signature2020"
	"github.com/hyperledger/aries-framework-go/pkg/doc/signature/verifier"
	jsonldgold "github.com/piprate/json-gold/ld"
)

// ed25519Signature2020 signs and verifies Ed25519Signature2020 proofs (VC Data
// Model 1.1) through aries-framework-go. aries is only trusted with the
// signature arithmetic: which key may sign, proof purposes, challenges and the
// strict JSON-LD rules are checked by the Verifier before it is called.
type ed25519Signature2020 struct {
	loader *Loader
}

var _ jsonldgold.DocumentLoader = (*Loader)(nil)

func newEd25519Signature2020(l *Loader) *ed25519Signature2020 {
	return &ed25519Signature2020{loader: l}
}

// fixedKey is an aries key resolver that answers with the one key the Verifier
// has already checked belongs to the signer.
type fixedKey struct {
	id  string
	pub ed25519.PublicKey
}

func (k fixedKey) Resolve(id string) (*verifier.PublicKey, error) {
	if id != k.id {
		return nil, fmt.Errorf("key %s was not checked", id)
	}
	return &verifier.PublicKey{Type: "Ed25519VerificationKey2020", Value: k.pub}, nil
}

// verify checks one Ed25519Signature2020 proof of doc with pub.
func (s *ed25519Signature2020) verify(doc, p map[string]any, pub ed25519.PublicKey) error {
	single := maps.Clone(doc)
	single["proof"] = maps.Clone(p)
	vm, _ := p["verificationMethod"].(string)
	dv, err := verifier.New(fixedKey{id: vm, pub: pub},
		ed25519signature2020.New(suite.WithVerifier(ed25519signature2020.NewPublicKeyVerifier())))
	if err != nil {
		return fmt.Errorf("Ed25519Signature2020: %w", err)
	}
	if err := dv.VerifyObject(single, jsonld.WithDocumentLoader(s.loader)); err != nil {
		return fmt.Errorf("the signature does not match the document: %w", err)
	}
	return nil
}

// ed25519Signer adapts an Ed25519 private key to aries' signer interface.
type ed25519Signer struct{ key ed25519.PrivateKey }

func (s ed25519Signer) Sign(data []byte) ([]byte, error) { return ed25519.Sign(s.key, data), nil }
func (s ed25519Signer) Alg() string                      { return "EdDSA" }

// SignEd25519Signature2020 adds an Ed25519Signature2020 proof to a VC Data Model
// 1.1 document through aries-framework-go and returns the secured document.
func SignEd25519Signature2020(loader *Loader, doc map[string]any, key ed25519.PrivateKey, opts ProofOptions) (map[string]any, error) {
	if opts.VerificationMethod == "" {
		return nil, fmt.Errorf("sign: a verification method is required")
	}
	if err := NewCanonicalizer(loader).checkJSON(doc, "", 0); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	created = created.UTC().Truncate(time.Second)
	purpose := opts.Purpose
	if purpose == "" {
		purpose = RelAssertionMethod
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	ds := signer.New(ed25519signature2020.New(suite.WithSigner(ed25519Signer{key: key})))
	out, err := ds.Sign(&signer.Context{
		SignatureType:           ProofEd25519_2020,
		SignatureRepresentation: proof.SignatureProofValue,
		VerificationMethod:      opts.VerificationMethod,
		Created:                 &created,
		Purpose:                 purpose,
		Challenge:               opts.Challenge,
		Domain:                  opts.Domain,
	}, b, jsonld.WithDocumentLoader(loader))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return ParseDocument(out)
}
