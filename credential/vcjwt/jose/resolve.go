package jose

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"fmt"
	"strings"

	"github.com/talentchain/talentchain/credential"
)

// DIDResolver resolves did:key identifiers of Ed25519 and P-256 keys and
// did:jwk identifiers of such keys to controller documents, without any
// network access. Keys appear as Multikey verification methods listed under
// assertionMethod and authentication. Other identifiers are answered with an
// error wrapping credential.ErrNotFound, so DIDResolver can sit in a
// credential.Resolvers chain.
type DIDResolver struct{}

// Resolve implements credential.Resolver.
func (DIDResolver) Resolve(_ context.Context, id string) (*credential.ControllerDocument, error) {
	var (
		pub  crypto.PublicKey
		vmID string
		err  error
	)
	switch {
	case strings.HasPrefix(id, "did:key:"):
		fp := strings.TrimPrefix(id, "did:key:")
		if pub, err = DecodeMultikey(fp); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", credential.ErrNotFound, id, err)
		}
		if mk, _ := EncodeMultikey(pub); mk != fp {
			return nil, fmt.Errorf("%w: %s is not the canonical did:key of its key", credential.ErrNotFound, id)
		}
		vmID = id + "#" + fp
	case strings.HasPrefix(id, "did:jwk:"):
		if strings.ContainsAny(id, "#?/") {
			return nil, fmt.Errorf("%w: %s: a DID, not a DID URL, is resolved", credential.ErrNotFound, id)
		}
		if pub, err = KeyFromDIDJWK(id); err != nil {
			return nil, fmt.Errorf("%w: %s: %v", credential.ErrNotFound, id, err)
		}
		vmID = id + "#0"
	default:
		return nil, fmt.Errorf("%w: %s is neither a did:key nor a did:jwk", credential.ErrNotFound, id)
	}
	mk, err := EncodeMultikey(pub)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", credential.ErrNotFound, id, err)
	}
	vm := credential.VerificationMethod{ID: vmID, Type: "Multikey", Controller: id, PublicKeyMultibase: mk}
	if ed, ok := pub.(ed25519.PublicKey); ok {
		vm.PublicKey = ed
	}
	return &credential.ControllerDocument{
		Context:            []string{credential.ContextDID, credential.ContextMultikey},
		ID:                 id,
		VerificationMethod: []credential.VerificationMethod{vm},
		AssertionMethod:    []string{vmID},
		Authentication:     []string{vmID},
	}, nil
}

// MethodKey returns the public key of a verification method: its Ed25519
// PublicKey when set, otherwise its Ed25519 or P-256 publicKeyMultibase.
func MethodKey(vm *credential.VerificationMethod) (crypto.PublicKey, error) {
	if len(vm.PublicKey) == ed25519.PublicKeySize {
		return vm.PublicKey, nil
	}
	if vm.PublicKeyMultibase == "" {
		return nil, fmt.Errorf("%w: %s has no public key this verifier can read", ErrKey, vm.ID)
	}
	return DecodeMultikey(vm.PublicKeyMultibase)
}

// KeyResolver finds the public key a JOSE header's "kid" names, through a
// credential.Resolver.
type KeyResolver struct {
	Resolver credential.Resolver
}

// Resolve returns the key of the verification method kid after checking that
// kid is a DID URL (or URL) with a fragment whose controller is controller
// (when controller is not empty), that the resolved document is about that
// controller and lists the method under rel (credential.RelAssertionMethod or
// credential.RelAuthentication). Errors wrap ErrKey, or
// credential.ErrNotFound when the controller is unknown; any other error is a
// failure of resolution itself.
func (r KeyResolver) Resolve(ctx context.Context, kid, controller, rel string) (crypto.PublicKey, error) {
	if kid == "" {
		return nil, fmt.Errorf("%w: the header names no key (kid)", ErrKey)
	}
	ctrl, frag, ok := strings.Cut(kid, "#")
	if !ok || ctrl == "" || frag == "" {
		return nil, fmt.Errorf("%w: kid %q is not a DID URL with a fragment naming a verification method", ErrKey, kid)
	}
	if controller != "" && ctrl != controller {
		return nil, fmt.Errorf("%w: %s is a key of %s, not of %s", ErrKey, kid, ctrl, controller)
	}
	doc, err := r.Resolver.Resolve(ctx, ctrl)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", ctrl, err)
	}
	if doc.ID != ctrl {
		return nil, fmt.Errorf("%w: the document resolved for %s is about %s", ErrKey, ctrl, doc.ID)
	}
	vm, ok := doc.Method(kid)
	if !ok {
		return nil, fmt.Errorf("%w: %s is not a verification method of %s", ErrKey, kid, ctrl)
	}
	if vm.Controller != ctrl {
		return nil, fmt.Errorf("%w: %s is controlled by %s, not by %s", ErrKey, kid, vm.Controller, ctrl)
	}
	if !doc.Allows(rel, kid) {
		return nil, fmt.Errorf("%w: %s is not listed under %s of %s", ErrKey, kid, rel, ctrl)
	}
	return MethodKey(vm)
}
