package ui_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui"
)

// fakeDIDs resolves the DIDs in docs; err, when set, is returned for every
// other DID.
type fakeDIDs struct {
	docs  map[string]*ui.DIDResolution
	err   error
	asked []string
}

func (f *fakeDIDs) ResolveDID(_ context.Context, did string) (*ui.DIDResolution, error) {
	f.asked = append(f.asked, did)
	if r, ok := f.docs[did]; ok {
		return r, nil
	}
	if f.err != nil {
		return nil, f.err
	}
	return nil, fmt.Errorf("%w: %s", credential.ErrNotFound, did)
}

const (
	talentDID = "did:talent:CJRyGK7TVmCPuQPSdMnnJu"
	keyDID    = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
)

func newDIDHandler(t *testing.T, f *fakeDIDs) http.Handler {
	t.Helper()
	h, err := ui.New(ui.DefaultConfig(), &fakeVerifier{}, func() bool { return true },
		slog.New(slog.NewTextHandler(io.Discard, nil)), ui.WithDIDResolver(f))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestResolveDID(t *testing.T) {
	f := &fakeDIDs{docs: map[string]*ui.DIDResolution{
		talentDID: {Document: map[string]any{"id": talentDID}, DocumentMetadata: map[string]any{"talentchainStatus": "active"}},
		keyDID:    {Document: map[string]any{"id": keyDID}},
	}}
	tests := []struct {
		name        string
		path        string
		resolver    error // returned for DIDs not in docs
		wantStatus  int
		wantProblem string // problem type suffix; "" for a resolution result
		wantAsked   bool
		wantMeta    string
	}{
		{"did:talent", "/1.0/identifiers/" + talentDID, nil, 200, "", true, `{"talentchainStatus":"active"}`},
		{"did:key without metadata", "/1.0/identifiers/" + keyDID, nil, 200, "", true, `{}`},
		{"percent-encoded colons", "/1.0/identifiers/did%3Atalent%3ACJRyGK7TVmCPuQPSdMnnJu", nil, 200, "", true, `{"talentchainStatus":"active"}`},
		{"unknown DID", "/1.0/identifiers/did:talent:9hBtbmXxiEbz7CHTo9TVhC", nil, 404, "not-found", true, ""},
		{"unsupported method", "/1.0/identifiers/did:web:example.com", nil, 404, "not-found", true, ""},
		{"not a DID", "/1.0/identifiers/talent:abc", nil, 400, "invalid-did", false, ""},
		{"upper-case method", "/1.0/identifiers/did:TALENT:abc", nil, 400, "invalid-did", false, ""},
		{"empty identifier", "/1.0/identifiers/did:talent:", nil, 400, "invalid-did", false, ""},
		{"too long", "/1.0/identifiers/did:talent:" + strings.Repeat("a", 600), nil, 400, "invalid-did", false, ""},
		{"malformed for its method", "/1.0/identifiers/did:talent:0OIl", fmt.Errorf("chain says: %w", ui.ErrInvalidDID), 400, "invalid-did", true, ""},
		{"resolver fails", "/1.0/identifiers/did:talent:9hBtbmXxiEbz7CHTo9TVhC", errors.New("node unreachable at 10.0.0.5"), 500, "internal", true, ""},
		{"resolver times out", "/1.0/identifiers/did:talent:9hBtbmXxiEbz7CHTo9TVhC", context.DeadlineExceeded, 503, "unavailable", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.err, f.asked = tt.resolver, nil
			rec := do(newDIDHandler(t, f), http.MethodGet, tt.path, "", "")
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if asked := len(f.asked) > 0; asked != tt.wantAsked {
				t.Errorf("resolver asked = %v (%v), want %v", asked, f.asked, tt.wantAsked)
			}
			if tt.wantProblem != "" {
				p := decodeProblem(t, rec)
				if p.Type != ui.ProblemTypeBase+tt.wantProblem || p.Status != tt.wantStatus {
					t.Errorf("problem %+v", p)
				}
				if strings.Contains(p.Detail, "10.0.0.5") {
					t.Errorf("internal detail leaked: %q", p.Detail)
				}
				return
			}
			if ct := rec.Header().Get("Content-Type"); ct != `application/ld+json;profile="https://w3id.org/did-resolution"` {
				t.Errorf("Content-Type %q", ct)
			}
			var got struct {
				Context     string          `json:"@context"`
				DIDDocument map[string]any  `json:"didDocument"`
				Resolution  map[string]any  `json:"didResolutionMetadata"`
				DocMeta     json.RawMessage `json:"didDocumentMetadata"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
				t.Fatal(err)
			}
			if got.DIDDocument["id"] != f.asked[0] || got.Resolution["contentType"] != "application/did+ld+json" ||
				string(got.DocMeta) != tt.wantMeta || got.Context != "https://w3id.org/did-resolution/v1" {
				t.Errorf("body %s", rec.Body)
			}
		})
	}
}

// TestResolveDIDOptional: without WithDIDResolver there is no such route,
// and a nil resolver is refused.
func TestResolveDIDOptional(t *testing.T) {
	h, _ := newHandler(t, ui.DefaultConfig(), &fakeVerifier{}, true)
	if rec := do(h, http.MethodGet, "/1.0/identifiers/"+keyDID, "", ""); rec.Code != http.StatusNotFound {
		t.Errorf("status %d without a resolver, want 404", rec.Code)
	}
	if _, err := ui.New(ui.DefaultConfig(), &fakeVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler), ui.WithDIDResolver(nil)); err == nil {
		t.Error("New accepted a nil DIDResolver")
	}
}
