package verifier

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

// historyResolver resolves did:talent issuers from (cached) chain state for
// the credential core, listing every key the issuer ever held as an
// assertion method. That is only safe together with the pipeline's key step,
// which accepts a key only if the credential's anchor height lies within the
// key's validity window (or, without an anchor, only the current key): the
// core checks that the signature is by one of the issuer's keys, the key
// step checks that it was the right one at the time.
//
// Only the current key authenticates (presentations are signed now), and a
// removed issuer's none.
type historyResolver struct{ view *chainView }

// Resolve implements credential.Resolver.
func (r historyResolver) Resolve(ctx context.Context, id string) (*credential.ControllerDocument, error) {
	if !strings.HasPrefix(id, chain.DIDPrefix) || !validIssuerDID(id) {
		return nil, fmt.Errorf("%w: %s is not a did:talent DID", credential.ErrNotFound, id)
	}
	fresh := freshRecords(ctx)
	_, _, wasCached := r.view.issuers.get("i/"+id, r.view.now())
	is, err := r.view.issuer(ctx, id, fresh)
	switch {
	case fresh || !wasCached: // just read from the chain
	case err == nil && missesWantedKey(ctx, is),
		errors.Is(err, chain.ErrNotFound) && wantsKeyOf(ctx, id):
		// A key rotated in, or the issuer registered, after the record (or
		// its absence) was cached: read this issuer again (which refreshes
		// the cache the pipeline's steps read too).
		is, err = r.view.issuer(ctx, id, true)
	}
	if errors.Is(err, chain.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s is not registered on TalentChain", credential.ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s from chain: %w", id, err)
	}
	doc := &credential.ControllerDocument{
		Context:         []string{credential.ContextDID, credential.ContextMultikey},
		ID:              is.DID,
		AssertionMethod: make([]string, 0, len(is.Keys)),
		Authentication:  []string{},
	}
	for _, k := range is.Keys {
		pub, err := chain.DecodePublicKey(k.PublicKeyMultibase)
		if err != nil {
			return nil, fmt.Errorf("key %s of %s on chain: %w", k.ID, id, err)
		}
		doc.VerificationMethod = append(doc.VerificationMethod, credential.VerificationMethod{
			ID: k.ID, Type: "Multikey", Controller: is.DID, PublicKeyMultibase: k.PublicKeyMultibase, PublicKey: pub,
		})
		doc.AssertionMethod = append(doc.AssertionMethod, k.ID)
		if k.ValidUntilHeight == 0 && is.Status != chain.StatusRemoved {
			doc.Authentication = append(doc.Authentication, k.ID)
		}
	}
	return doc, nil
}

// validIssuerDID is chain.ValidIssuerDID, remembered: a verification asks
// it of one issuer several times (warm-up, resolver, issuer step, each
// status entry), and it decodes and re-encodes base58 each time. At most
// maxValidDIDs answers are kept (then the set is emptied), so junk
// identifiers cannot grow it.
func validIssuerDID(s string) bool {
	// Only what could be one is remembered: outside input (any credential's
	// issuer) must not fill the memory with long strings.
	if !strings.HasPrefix(s, chain.DIDPrefix) || len(s) > len(chain.DIDPrefix)+maxDIDSuffix {
		return false
	}
	if v, ok := validDIDs.Load(s); ok {
		return v.(bool)
	}
	ok := chain.ValidIssuerDID(s)
	if validDIDCount.Add(1) > maxValidDIDs {
		validDIDs.Clear()
		validDIDCount.Store(1)
	}
	validDIDs.Store(s, ok)
	return ok
}

const maxValidDIDs = 4096

// maxDIDSuffix bounds the part of a did:talent DID after the prefix, as
// chain.ValidIssuerDID does (the base58 of a 16-byte identifier).
const maxDIDSuffix = 24

var (
	validDIDs     sync.Map // string → bool
	validDIDCount atomic.Int64
)

// wantedKeysKey carries the key ids the proofs of the input name.
type wantedKeysKey struct{}

// withWantedKeys tells the history resolvers which keys the proofs being
// checked name, so that a cached issuer record that lacks one of them is
// read again instead of failing the proof.
func withWantedKeys(ctx context.Context, ids []string) context.Context {
	if len(ids) == 0 {
		return ctx
	}
	return context.WithValue(ctx, wantedKeysKey{}, ids)
}

// wantsKeyOf reports whether a proof being checked names a key of did.
func wantsKeyOf(ctx context.Context, did string) bool {
	ids, _ := ctx.Value(wantedKeysKey{}).([]string)
	for _, id := range ids {
		if controllerOf(id) == did {
			return true
		}
	}
	return false
}

// missesWantedKey reports whether a wanted key of is's DID is not on is.
func missesWantedKey(ctx context.Context, is *chain.Issuer) bool {
	ids, _ := ctx.Value(wantedKeysKey{}).([]string)
	for _, id := range ids {
		if controllerOf(id) != is.DID {
			continue
		}
		if _, ok := is.Key(id); !ok {
			return true
		}
	}
	return false
}

// wantedKeys returns the verification methods named by the proofs of a
// JSON document and of the credentials embedded in it (a presentation's).
func wantedKeys(doc map[string]any) []string {
	if doc == nil {
		return nil
	}
	ids := proofMethods(doc)
	for _, c := range asSlice(doc["verifiableCredential"]) {
		if m, ok := c.(map[string]any); ok {
			ids = append(ids, proofMethods(m)...)
		}
	}
	return ids
}
