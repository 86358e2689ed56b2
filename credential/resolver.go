package credential

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/hyperledger/aries-framework-go/pkg/vdr/fingerprint"
)

// Verification relationships a verification method can be listed under.
const (
	RelAssertionMethod = "assertionMethod"
	RelAuthentication  = "authentication"
)

// VerificationMethod is a public key in a controller document (a DID document or
// the document of an issuer identified by a URL).
//
// The key is given by exactly one of publicKeyMultibase, publicKeyBase58 or
// publicKeyJwk, or, for documents built in Go, by PublicKey (Ed25519); Key
// returns it.
type VerificationMethod struct {
	ID                 string            `json:"id"`
	Type               string            `json:"type"`
	Controller         string            `json:"controller"`
	PublicKeyMultibase string            `json:"publicKeyMultibase,omitempty"`
	PublicKeyBase58    string            `json:"publicKeyBase58,omitempty"`
	PublicKeyJwk       map[string]any    `json:"publicKeyJwk,omitempty"`
	PublicKey          ed25519.PublicKey `json:"-"`
}

// ControllerDocument lists an identifier's verification methods and the
// relationships under which each may be used.
type ControllerDocument struct {
	Context            []string             `json:"@context,omitempty"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
	Authentication     []string             `json:"authentication"`
}

// Method returns the verification method with the given id.
func (d *ControllerDocument) Method(id string) (*VerificationMethod, bool) {
	for i := range d.VerificationMethod {
		if d.VerificationMethod[i].ID == id {
			return &d.VerificationMethod[i], true
		}
	}
	return nil, false
}

// Allows reports whether the method id is listed under the relationship.
func (d *ControllerDocument) Allows(rel, id string) bool {
	switch rel {
	case RelAssertionMethod:
		return slices.Contains(d.AssertionMethod, id)
	case RelAuthentication:
		return slices.Contains(d.Authentication, id)
	}
	return false
}

// Resolver resolves an identifier (a DID, or the URL of an issuer) to its
// controller document.
//
// Resolve MUST return an error wrapping ErrNotFound when the identifier is
// unknown or its method is not supported, and any other error when resolution
// itself failed (the caller reports that as a failed check, not as bad input).
type Resolver interface {
	Resolve(ctx context.Context, id string) (*ControllerDocument, error)
}

// DIDKey returns the did:key DID of an Ed25519 public key and the id of its
// verification method (did:key:z6Mk...#z6Mk...).
func DIDKey(pub ed25519.PublicKey) (did, vm string) {
	return fingerprint.CreateDIDKey(pub)
}

// KeyResolver resolves did:key identifiers of Ed25519, P-256 and P-384 keys to
// DID documents in the Multikey form.
type KeyResolver struct{}

// Resolve implements Resolver for did:key.
func (KeyResolver) Resolve(_ context.Context, id string) (*ControllerDocument, error) {
	fp, ok := strings.CutPrefix(id, "did:key:")
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a did:key", ErrNotFound, id)
	}
	key, err := DecodeMultikey(fp)
	if err != nil {
		return nil, fmt.Errorf("%w: did:key %s: %v", ErrNotFound, id, err)
	}
	vm := VerificationMethod{ID: id + "#" + fp, Type: "Multikey", Controller: id, PublicKeyMultibase: fp}
	if pub, ok := key.(ed25519.PublicKey); ok {
		raw, err := fingerprint.PubKeyFromDIDKey(id)
		if err != nil || !pub.Equal(ed25519.PublicKey(raw)) {
			return nil, fmt.Errorf("%w: did:key %s is not an Ed25519 key", ErrNotFound, id)
		}
		vm.PublicKey = pub
	}
	return &ControllerDocument{
		Context:            []string{ContextDID, ContextMultikey},
		ID:                 id,
		VerificationMethod: []VerificationMethod{vm},
		AssertionMethod:    []string{vm.ID},
		Authentication:     []string{vm.ID},
	}, nil
}

// StaticResolver answers from controller documents registered in memory: the
// issuers an operator configured by URL, and test fixtures. Safe for concurrent use.
type StaticResolver struct {
	mu   sync.RWMutex
	docs map[string]*ControllerDocument
}

// Add registers a controller document, replacing one with the same id.
func (r *StaticResolver) Add(doc *ControllerDocument) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.docs == nil {
		r.docs = map[string]*ControllerDocument{}
	}
	r.docs[doc.ID] = doc
}

// AddKey registers an Ed25519 key as a Multikey verification method of
// controller, usable for assertions and authentication, and returns the
// method's id (controller#publicKeyMultibase).
func (r *StaticResolver) AddKey(controller string, pub ed25519.PublicKey) string {
	mb := EncodePublicKey(pub)
	vm := controller + "#" + mb
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.docs == nil {
		r.docs = map[string]*ControllerDocument{}
	}
	doc := r.docs[controller]
	if doc == nil {
		doc = &ControllerDocument{ID: controller}
		r.docs[controller] = doc
	}
	doc.VerificationMethod = append(doc.VerificationMethod, VerificationMethod{ID: vm, Type: "Multikey", Controller: controller, PublicKeyMultibase: mb, PublicKey: pub})
	doc.AssertionMethod = append(doc.AssertionMethod, vm)
	doc.Authentication = append(doc.Authentication, vm)
	return vm
}

// Resolve implements Resolver.
func (r *StaticResolver) Resolve(_ context.Context, id string) (*ControllerDocument, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if d, ok := r.docs[id]; ok {
		return d, nil
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
}

// Resolvers tries each resolver in turn and returns the first document found.
// A resolver that answers ErrInvalidDID (the identifier breaks its method's
// rules) ends the search with that error, so its reason is not lost.
type Resolvers []Resolver

// Resolve implements Resolver.
func (rs Resolvers) Resolve(ctx context.Context, id string) (*ControllerDocument, error) {
	for _, r := range rs {
		d, err := r.Resolve(ctx, id)
		if err == nil {
			return d, nil
		}
		if !isNotFound(err) || errors.Is(err, ErrInvalidDID) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w: no resolver knows %s", ErrNotFound, id)
}

// controllerOf returns the part of a verification method id before its fragment.
func controllerOf(vm string) string {
	if i := strings.IndexByte(vm, '#'); i >= 0 {
		return vm[:i]
	}
	return vm
}
