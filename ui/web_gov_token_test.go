package ui

import (
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestGovSessionEndsWithItsToken: a governance console session lives only
// as long as the admin token it signed in with. The node restarted with a
// new token (a leaked one replaced) sends the old session to sign in and
// deletes it; the same token keeps it.
func TestGovSessionEndsWithItsToken(t *testing.T) {
	f := newGovFixture(t, 1, 0)
	restart := func(token string) http.Handler {
		t.Helper()
		h, err := New(DefaultConfig(), stubVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler),
			WithAdmin(token, f.svc, f.gov, AdminAudit(f.audit)),
			WithWeb(WebConfig{Sessions: f.sessions, PublicURL: "http://node.test", Chain: f.chain, ChainStatus: CometStatus(f.rpc)}))
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	f.h = restart(strings.Repeat("g", 40)) // the same token: the session stays
	if rec := f.send(t, "GET", "/gov", nil); rec.Code != http.StatusOK {
		t.Fatalf("/gov with the same token after a restart: %d", rec.Code)
	}
	f.h = restart(strings.Repeat("h", 40)) // replaced
	rec := f.send(t, "GET", "/gov", nil)
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(rec.Header().Get("Location"), "/login") {
		t.Fatalf("/gov after the token was replaced: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	f.h = restart(strings.Repeat("g", 40)) // the old token back: the session was deleted
	if rec := f.send(t, "GET", "/gov", nil); rec.Code != http.StatusSeeOther {
		t.Fatalf("the ended session came back with the old token: %d", rec.Code)
	}
}
