package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
)

// DIDResolver resolves DIDs for GET /1.0/identifiers/{did}.
//
// ResolveDID returns the DID document and its document metadata. The errors
// are:
//   - an error wrapping credential.ErrNotFound: the DID is unknown, or its
//     method is not supported (answered 404);
//   - an error wrapping ErrInvalidDID: the DID is malformed for its method
//     (answered 400, with the message shown);
//   - ctx.Err() when ctx ends first;
//   - anything else is an internal failure; it is logged, never shown.
type DIDResolver interface {
	ResolveDID(ctx context.Context, did string) (*DIDResolution, error)
}

// DIDResolution is what a DIDResolver found: the DID document and its DID
// document metadata, each marshalled to JSON as given.
type DIDResolution struct {
	Document         any
	DocumentMetadata any
}

// ErrInvalidDID means a string is not a well-formed DID (of its method).
var ErrInvalidDID = errors.New("invalid DID")

// Option configures optional routes of the handler.
type Option func(*handler) error

// WithDIDResolver serves GET /1.0/identifiers/{did}, the DID resolution
// endpoint of the DIF Universal Resolver's HTTP binding, with r.
func WithDIDResolver(r DIDResolver) Option {
	return func(h *handler) error {
		if r == nil {
			return errors.New("ui: nil DIDResolver")
		}
		h.dids = r
		return nil
	}
}

// Media types of DID resolution.
const (
	mediaDIDResolution = `application/ld+json;profile="https://w3id.org/did-resolution"`
	mediaDIDDocument   = "application/did+ld+json"
	maxDIDLength       = 512
)

// didSyntax is the DID syntax of DID Core §3.1: did:method:method-specific-id.
var didSyntax = regexp.MustCompile(`^did:[a-z0-9]+:(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2}|:)*(?:[A-Za-z0-9._-]|%[0-9A-Fa-f]{2})+$`)

// didResolutionResult is the body of a successful resolution.
type didResolutionResult struct {
	Context               string         `json:"@context"`
	DIDDocument           any            `json:"didDocument"`
	DIDResolutionMetadata resolutionMeta `json:"didResolutionMetadata"`
	DIDDocumentMetadata   any            `json:"didDocumentMetadata"`
}

type resolutionMeta struct {
	ContentType string `json:"contentType"`
}

func (h *handler) resolveDID(w http.ResponseWriter, r *http.Request) {
	did := r.PathValue("did")
	if len(did) > maxDIDLength || !didSyntax.MatchString(did) {
		h.fail(w, r, fmt.Errorf("%w: %q is not a DID (did:method:identifier, at most %d characters)", ErrInvalidDID, truncate(did, 80), maxDIDLength))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	res, err := h.dids.ResolveDID(ctx, did)
	if err == nil && (res == nil || res.Document == nil) {
		err = errors.New("resolver returned no document")
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("resolving: %w", err))
		return
	}
	md := res.DocumentMetadata
	if md == nil {
		md = struct{}{}
	}
	body, err := json.Marshal(didResolutionResult{
		Context:               "https://w3id.org/did-resolution/v1",
		DIDDocument:           res.Document,
		DIDResolutionMetadata: resolutionMeta{ContentType: mediaDIDDocument},
		DIDDocumentMetadata:   md,
	})
	if err != nil {
		h.fail(w, r, fmt.Errorf("encode DID resolution of %s: %w", did, err))
		return
	}
	w.Header().Set("Content-Type", mediaDIDResolution)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(append(body, '\n'))
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
