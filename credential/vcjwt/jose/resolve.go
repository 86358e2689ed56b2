package jose

import (
	"context"
	"crypto"
	"fmt"
	"strings"

	"github.com/talentchain/talentchain/credential"
)

// DIDResolver resolves did:key identifiers (Ed25519, P-256, P-384) and did:jwk
// identifiers to controller documents, without any network access, through
// the credential package's resolvers. Other identifiers are answered with an
// error wrapping credential.ErrNotFound, so DIDResolver can sit in a
// credential.Resolvers chain. (P-384 keys resolve, but no P-384 signature is
// accepted: ES384 is not on the allow-list.)
type DIDResolver struct{}

// Resolve implements credential.Resolver.
func (DIDResolver) Resolve(ctx context.Context, id string) (*credential.ControllerDocument, error) {
	switch {
	case strings.HasPrefix(id, "did:key:"):
		return credential.KeyResolver{}.Resolve(ctx, id)
	case strings.HasPrefix(id, "did:jwk:"):
		return credential.DIDJWKResolver{}.Resolve(ctx, id)
	}
	return nil, fmt.Errorf("%w: %s is neither a did:key nor a did:jwk", credential.ErrNotFound, id)
}

// MethodKey returns the public key of a verification method (its Ed25519
// PublicKey, or the one key its publicKeyMultibase, publicKeyBase58 or
// publicKeyJwk carries). Errors wrap ErrKey.
func MethodKey(vm *credential.VerificationMethod) (crypto.PublicKey, error) {
	k, err := vm.Key()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrKey, err)
	}
	return k, nil
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
