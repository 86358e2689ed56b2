package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui"
)

// chainResolver resolves issuer DIDs (did:talent) from chain state for the
// credential verifier: it translates chain's DID document into a
// credential.ControllerDocument and chain's errors into credential's.
//
// Which keys may assert: only the issuer's current key. Every key the issuer
// ever held stays a verification method (so a proof names a known key), but
// a rotated-out key is valid only for credentials issued while it was
// current, which only an anchor receipt proves; the credential verifier does
// not check anchors yet, and listing old keys would let a stolen old key
// issue new credentials. A removed (deactivated) issuer asserts nothing.
type chainResolver struct{ chain *chain.Client }

// Resolve implements credential.Resolver. Anything but a registered
// did:talent DID is an error wrapping credential.ErrNotFound; a failing node
// or proof is another error.
func (r chainResolver) Resolve(ctx context.Context, id string) (*credential.ControllerDocument, error) {
	if !strings.HasPrefix(id, chain.DIDPrefix) {
		return nil, fmt.Errorf("%w: %s is not a did:talent DID", credential.ErrNotFound, id)
	}
	doc, md, err := r.chain.ResolveDID(ctx, id)
	switch {
	case errors.Is(err, chain.ErrNotFound), errors.Is(err, chain.ErrInvalidDID):
		return nil, fmt.Errorf("%w: %w", credential.ErrNotFound, err)
	case err != nil:
		return nil, fmt.Errorf("resolve %s on chain: %w", id, err)
	}
	return controllerDocument(doc, md)
}

// controllerDocument translates a chain DID document for the verifier (see
// chainResolver for which keys may assert).
func controllerDocument(doc *chain.DIDDocument, md *chain.DIDDocumentMetadata) (*credential.ControllerDocument, error) {
	out := &credential.ControllerDocument{
		Context:            doc.Context,
		ID:                 doc.ID,
		VerificationMethod: make([]credential.VerificationMethod, 0, len(doc.VerificationMethod)),
		AssertionMethod:    []string{},
		Authentication:     doc.Authentication,
	}
	if out.Authentication == nil {
		out.Authentication = []string{}
	}
	for _, vm := range doc.VerificationMethod {
		pub, err := chain.DecodePublicKey(vm.PublicKeyMultibase)
		if err != nil {
			return nil, fmt.Errorf("DID document of %s: key %s: %w", doc.ID, vm.ID, err)
		}
		out.VerificationMethod = append(out.VerificationMethod, credential.VerificationMethod{
			ID: vm.ID, Type: vm.Type, Controller: vm.Controller,
			PublicKeyMultibase: vm.PublicKeyMultibase, PublicKey: pub,
		})
		if vm.ValidUntilHeight == 0 && !md.Deactivated {
			out.AssertionMethod = append(out.AssertionMethod, vm.ID)
		}
	}
	return out, nil
}

// didResolver answers GET /1.0/identifiers/{did}: did:talent from chain state
// (the full key history, with validity windows in heights) and did:key from
// the key itself. It translates errors to ui's contract.
type didResolver struct{ chain *chain.Client }

// ResolveDID implements ui.DIDResolver.
func (r didResolver) ResolveDID(ctx context.Context, did string) (*ui.DIDResolution, error) {
	switch {
	case strings.HasPrefix(did, chain.DIDPrefix):
		doc, md, err := r.chain.ResolveDID(ctx, did)
		switch {
		case errors.Is(err, chain.ErrInvalidDID):
			return nil, fmt.Errorf("%w: %s: a did:talent identifier is the base58btc encoding of 16 bytes", ui.ErrInvalidDID, did)
		case errors.Is(err, chain.ErrNotFound):
			return nil, fmt.Errorf("%w: %w", credential.ErrNotFound, err)
		case err != nil:
			return nil, fmt.Errorf("resolve %s on chain: %w", did, err)
		}
		return &ui.DIDResolution{Document: doc, DocumentMetadata: md}, nil
	case strings.HasPrefix(did, "did:key:"):
		doc, err := credential.KeyResolver{}.Resolve(ctx, did)
		if err != nil {
			return nil, err // wraps credential.ErrNotFound: not an Ed25519 did:key
		}
		return &ui.DIDResolution{Document: doc}, nil
	}
	return nil, fmt.Errorf("%w: the DID method of %s is not supported", credential.ErrNotFound, did)
}
