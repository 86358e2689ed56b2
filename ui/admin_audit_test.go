package ui_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/ui"
)

// fakeAdmin is the issuer service as the operator's routes see it: only
// what the audit test calls is implemented.
type fakeAdmin struct {
	ui.Administration
}

func (fakeAdmin) CreateOrg(_ context.Context, req issuer.NewOrg) (*issuer.Org, error) {
	return &issuer.Org{DID: "did:talent:new1", Names: req.Names, Kind: req.Kind}, nil
}

func (fakeAdmin) CreateToken(_ context.Context, org string, req issuer.NewToken) (string, *issuer.Token, error) {
	return "tcit_secret", &issuer.Token{ID: "0123456789abcdef", Name: req.Name}, nil
}

func (fakeAdmin) RevokeToken(_ context.Context, org, id string) error {
	if id == "unknown" {
		return fmt.Errorf("token %s: %w", id, issuer.ErrNotFound)
	}
	return nil
}

func (fakeAdmin) Orgs(context.Context) ([]*issuer.Org, error) { return nil, nil }

type fakeGov struct{}

func (fakeGov) Submit(_ context.Context, p chain.Payload) (chain.Receipt, error) {
	if s, ok := p.(*chain.SuspendIssuer); ok && s.Issuer == "did:talent:gone" {
		return chain.Receipt{}, &chain.CodeError{Code: chain.CodeUnknownIssuer, Msg: "unknown issuer"}
	}
	return chain.Receipt{TxHash: "AB", Height: 7}, nil
}

// TestAdminAudit: the operator's changes, allowed and refused, land in the
// audit log with actor, action, target, request id and outcome, and
// nothing of the request bodies; reads are not recorded; GET /admin/audit
// pages through it and only for the admin token.
func TestAdminAudit(t *testing.T) {
	st, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log, _ := audit.New(store.WithPrefix(st, "audit/"))
	admin := strings.Repeat("a", 40)
	h, err := ui.New(ui.DefaultConfig(), &fakeVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler),
		ui.WithAdmin(admin, fakeAdmin{}, fakeGov{}, ui.AdminAudit(log)))
	if err != nil {
		t.Fatal(err)
	}
	call := func(method, path, token, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	steps := []struct {
		method, path, token, body string
		status                    int
	}{
		{"POST", "/admin/orgs", admin, `{"names":{"zh":"人大","en":"Renmin University"},"kind":"university"}`, 201},
		{"GET", "/admin/orgs", admin, "", 200},
		{"POST", "/admin/orgs/did:talent:new1/tokens", admin, `{"name":"registrar","scopes":["issue"]}`, 201},
		{"DELETE", "/admin/orgs/did:talent:new1/tokens/unknown", admin, "", 404},
		{"POST", "/admin/orgs/did:talent:gone/suspension", admin, `{"reason":"Li Si's complaint, phone 13800000000"}`, 404},
		{"POST", "/admin/orgs/did:talent:new1/suspension", admin, `{"reason":"audit"}`, 200},
		{"DELETE", "/admin/orgs/did:talent:new1/suspension", "wrong-token-" + admin, `{"reason":"x"}`, 401},
	}
	for _, s := range steps {
		if rec := call(s.method, s.path, s.token, s.body); rec.Code != s.status {
			t.Fatalf("%s %s: %d %s, want %d", s.method, s.path, rec.Code, rec.Body, s.status)
		}
	}

	rec := call("GET", "/admin/audit?limit=2", admin, "")
	var page audit.Page
	if err := json.Unmarshal(rec.Body.Bytes(), &page); rec.Code != 200 || err != nil || len(page.Entries) != 2 || page.Next != "2" {
		t.Fatalf("first page: %d %s", rec.Code, rec.Body)
	}
	all := page.Entries
	rec = call("GET", "/admin/audit?after=2", admin, "")
	page = audit.Page{}
	if err := json.Unmarshal(rec.Body.Bytes(), &page); rec.Code != 200 || err != nil || page.Next != "" {
		t.Fatalf("second page: %d %s", rec.Code, rec.Body)
	}
	all = append(all, page.Entries...)
	want := []struct{ action, target, outcome string }{
		{"org.create", "did:talent:new1", "ok"},
		{"token.create", "did:talent:new1/tokens/0123456789abcdef", "ok"},
		{"token.revoke", "did:talent:new1/tokens/unknown", "denied"},
		{"org.suspend", "did:talent:gone", "denied"},
		{"org.suspend", "did:talent:new1", "ok"},
	}
	if len(all) != len(want) {
		t.Fatalf("%d entries, want %d: %s", len(all), len(want), rec.Body)
	}
	for i, w := range want {
		e := all[i]
		if e.Action != w.action || e.Target != w.target || e.Outcome != w.outcome || e.Actor != "operator" || e.RequestID == "" || e.Seq != uint64(i+1) {
			t.Errorf("entry %d: %+v, want %+v", i, e, w)
		}
	}
	raw, _ := json.Marshal(all)
	for _, secret := range []string{"Li Si", "13800000000", "Renmin", "tcit_secret", "registrar"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("the audit log holds %q", secret)
		}
	}
	if _, err := log.Verify(t.Context()); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		name, path, token string
		want              int
	}{
		{"anonymous", "/admin/audit", "", http.StatusUnauthorized},
		{"bad after", "/admin/audit?after=-1", admin, http.StatusBadRequest},
		{"limit too large", "/admin/audit?limit=1001", admin, http.StatusBadRequest},
		{"limit zero", "/admin/audit?limit=0", admin, http.StatusBadRequest},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if rec := call("GET", tt.path, tt.token, ""); rec.Code != tt.want {
				t.Fatalf("%d %s, want %d", rec.Code, rec.Body, tt.want)
			}
		})
	}
}
