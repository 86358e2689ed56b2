package ui

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestLoggedPath: the access log never holds a share token, an offer
// reference or a kept result's id; other paths are logged as they are.
func TestLoggedPath(t *testing.T) {
	tests := []struct{ pattern, path, want string }{
		{"GET /s/{token}", "/s/Sekr3tT0ken", "/s/{token}"},
		{"GET /s/{token}/report.pdf", "/s/Sekr3tT0ken/report.pdf", "/s/{token}/report.pdf"},
		{"GET /share/{token}", "/share/Sekr3tT0ken", "/share/{token}"},
		{"GET /oid4vci/offers/{ref}", "/oid4vci/offers/R3f", "/oid4vci/offers/{ref}"},
		{"GET /verify/r/{id}", "/verify/r/Id123", "/verify/r/{id}"},
		{"GET /verifications/{id}", "/verifications/Id123", "/verifications/{id}"},
		{"GET /credentials/{id}", "/credentials/urn:uuid:1", "/credentials/urn:uuid:1"},
		{"GET /healthz", "/healthz", "/healthz"},
	}
	for _, tt := range tests {
		mux := http.NewServeMux()
		var got string
		mux.HandleFunc(tt.pattern, func(w http.ResponseWriter, r *http.Request) { got = loggedPath(r) })
		mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tt.path, nil))
		if got != tt.want {
			t.Errorf("%s: logged %q, want %q", tt.path, got, tt.want)
		}
	}
}
