package ui

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"
	coretypes "github.com/cometbft/cometbft/rpc/core/types"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
)

// countingSessions is the real web store, counting the reads of console
// sessions.
type countingSessions struct {
	store.Store
	reads atomic.Int64
}

func (c *countingSessions) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasPrefix(key, "console/") {
		c.reads.Add(1)
	}
	return c.Store.Get(ctx, key)
}

// countingChain is the real chain client, counting its queries.
type countingChain struct {
	*chain.Client
	queries atomic.Int64
}

func (c *countingChain) Issuer(ctx context.Context, did string) (*chain.Issuer, error) {
	c.queries.Add(1)
	return c.Client.Issuer(ctx, did)
}

func (c *countingChain) List(ctx context.Context, path string, out any) error {
	c.queries.Add(1)
	return c.Client.List(ctx, path, out)
}

func (c *countingChain) Sequence(ctx context.Context, account string) (uint64, error) {
	c.queries.Add(1)
	return c.Client.Sequence(ctx, account)
}

// govFixture is a real chain node, a real issuer service with orgs
// organisations registered on it (the first accredited ones accredited for
// training certificates), and the web pages over them, signed in as the
// governance office.
type govFixture struct {
	h        http.Handler
	sessions *countingSessions
	chain    *countingChain
	gov      *issuer.LocalGovernance
	orgs     []*issuer.Org
	cookie   *http.Cookie
	csrf     string
	cold     int64 // chain queries of the first governance home
	audit    *audit.Log
	svc      *issuer.Service
	rpc      *countingRPC
}

// countingRPC is the node's real in-process RPC client, counting the calls
// the chain page makes.
type countingRPC struct {
	rpcclient.Client
	calls atomic.Int64
}

func (c *countingRPC) Status(ctx context.Context) (*coretypes.ResultStatus, error) {
	c.calls.Add(1)
	return c.Client.Status(ctx)
}

func (c *countingRPC) BlockchainInfo(ctx context.Context, lo, hi int64) (*coretypes.ResultBlockchainInfo, error) {
	c.calls.Add(1)
	return c.Client.BlockchainInfo(ctx, lo, hi)
}

func (c *countingRPC) Validators(ctx context.Context, h *int64, page, per *int) (*coretypes.ResultValidators, error) {
	c.calls.Add(1)
	return c.Client.Validators(ctx, h, page, per)
}

func (c *countingRPC) TxSearch(ctx context.Context, q string, prove bool, page, per *int, order string) (*coretypes.ResultTxSearch, error) {
	c.calls.Add(1)
	return c.Client.TxSearch(ctx, q, prove, page, per, order)
}

func (c *countingRPC) Header(ctx context.Context, h *int64) (*coretypes.ResultHeader, error) {
	c.calls.Add(1)
	return c.Client.Header(ctx, h)
}

var govCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func newGovFixture(t *testing.T, orgs, accredited int) *govFixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cf := newChainFixture(t, "talentchain-ui-gov", 20*time.Millisecond)
	node, db, gov, svc := cf.node, cf.db, cf.gov, cf.svc
	var err error
	f := &govFixture{gov: gov, svc: svc, sessions: &countingSessions{Store: store.WithPrefix(db, "web/")},
		chain: &countingChain{Client: node.Client()}, rpc: &countingRPC{Client: node.RPC()}}
	for i := range orgs {
		o, err := svc.CreateOrg(ctx, issuer.NewOrg{Names: issuer.Names{Zh: fmt.Sprintf("第%d大学", i), En: fmt.Sprintf("University %d", i)},
			Kind: issuer.KindUniversity})
		if err != nil {
			t.Fatal(err)
		}
		if i < accredited {
			if _, err := gov.Submit(ctx, &chain.Accredit{Issuer: o.DID, CredentialType: issuer.TypeTraining}); err != nil {
				t.Fatal(err)
			}
		}
		f.orgs = append(f.orgs, o)
	}
	if f.audit, err = audit.New(store.WithPrefix(db, "audit/")); err != nil {
		t.Fatal(err)
	}
	admin := strings.Repeat("g", 40)
	f.h, err = New(DefaultConfig(), stubVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler),
		WithAdmin(admin, svc, gov, AdminAudit(f.audit)),
		WithWeb(WebConfig{Sessions: f.sessions, PublicURL: "http://node.test", Chain: f.chain, ChainStatus: CometStatus(f.rpc)}))
	if err != nil {
		t.Fatal(err)
	}
	// Sign in as a browser does: the sign-in page's pre-session token, then
	// the form.
	rec := f.send(t, "GET", "/login", nil)
	pre := cookieOf(rec, preCookie)
	if pre == nil {
		t.Fatal("no pre-session cookie on the sign-in page")
	}
	form := url.Values{"role": {"gov"}, "token": {admin}, "csrf": {pre.Value}}
	req := httptest.NewRequest("POST", "http://node.test/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(pre)
	rec = httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/gov" {
		t.Fatalf("sign-in: %d %s", rec.Code, rec.Header().Get("Location"))
	}
	if f.cookie = cookieOf(rec, ConsoleCookie); f.cookie == nil {
		t.Fatal("no console cookie after sign-in")
	}
	before := f.chain.queries.Load()
	rec = f.send(t, "GET", "/gov", nil)
	f.cold = f.chain.queries.Load() - before
	m := govCSRF.FindStringSubmatch(rec.Body.String())
	if rec.Code != http.StatusOK || m == nil {
		t.Fatalf("/gov after sign-in: %d", rec.Code)
	}
	f.csrf = m[1]
	return f
}

func cookieOf(rec *httptest.ResponseRecorder, name string) *http.Cookie {
	for _, c := range rec.Result().Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// send sends a request with the console cookie (once signed in); a form
// gets the session's token.
func (f *govFixture) send(t *testing.T, method, path string, form url.Values) *httptest.ResponseRecorder {
	t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", f.csrf)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, "http://node.test"+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "en")
	if f.cookie != nil {
		req.AddCookie(f.cookie)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	return rec
}

// govRowRE reads an organisation row of the governance home: its link and
// the text of its cells.
var govRowRE = regexp.MustCompile(`(?s)<tr data-did="([^"]+)">.*?</tr>`)

// TestGovHomeChainQueries: the governance home reads the chain in a bounded
// number of queries with 50 organisations (not two per organisation), and
// still shows an accreditation granted since the last page.
func TestGovHomeChainQueries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and registers 50 organisations")
	}
	const orgs, accredited = 50, 5
	f := newGovFixture(t, orgs, accredited)
	home := func() (string, int64) {
		t.Helper()
		before := f.chain.queries.Load()
		rec := f.send(t, "GET", "/gov", nil)
		if rec.Code != http.StatusOK {
			t.Fatalf("/gov: %d", rec.Code)
		}
		return rec.Body.String(), f.chain.queries.Load() - before
	}
	// The first page reads each registered issuer's accreditations once
	// (2 + orgs); the next ones only the sequence and the issuer list.
	if f.cold > 2+orgs {
		t.Errorf("first page: %d chain queries, want at most %d", f.cold, 2+orgs)
	}
	body, again := home()
	rows := govRowRE.FindAllString(body, -1)
	if len(rows) != orgs {
		t.Fatalf("%d organisation rows, want %d", len(rows), orgs)
	}
	training, active := 0, 0
	for _, row := range rows {
		if strings.Contains(row, "Training certificate") {
			training++
		}
		if strings.Contains(row, `data-org-status="active"`) {
			active++
		}
	}
	if training != accredited || active != orgs {
		t.Errorf("%d rows accredited for training (want %d), %d active (want %d)", training, accredited, active, orgs)
	}
	t.Logf("governance home with %d organisations: %d chain queries, then %d (before: %d)", orgs, f.cold, again, 2*orgs)
	if again != 2 {
		t.Errorf("next page: %d chain queries, want 2", again)
	}
	// A governance transaction moves the sequence: the page reads the
	// accreditations again and shows the new one.
	last := f.orgs[orgs-1]
	if _, err := f.gov.Submit(t.Context(), &chain.Accredit{Issuer: last.DID, CredentialType: issuer.TypeCompletion}); err != nil {
		t.Fatal(err)
	}
	body, after := home()
	if after <= 2 {
		t.Errorf("after an accreditation: %d chain queries, the accreditations were not read again", after)
	}
	var row string
	for _, m := range govRowRE.FindAllStringSubmatch(body, -1) {
		if m[1] == last.DID {
			row = m[0]
		}
	}
	if !strings.Contains(row, "Course completion") {
		t.Errorf("the new accreditation is not on the home page: %q", row)
	}
	if _, n := home(); n != 2 {
		t.Errorf("page after the refill: %d chain queries, want 2", n)
	}
}

// TestConsoleSessionReadOnce: a console page reads its session from the
// store once per request, on its success and error paths alike, and so do
// the pages outside the consoles.
func TestConsoleSessionReadOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain")
	}
	f := newGovFixture(t, 1, 0)
	tests := []struct {
		name, method, path string
		form               url.Values
		status             int
	}{
		{"console page", "GET", "/gov", nil, http.StatusOK},
		{"console page with a flash", "GET", "/gov?done=registered", nil, http.StatusOK},
		{"console error page", "GET", "/gov/orgs/did:talent:unknown", nil, http.StatusNotFound},
		{"console form refused", "POST", "/gov/orgs/" + f.orgs[0].DID + "/suspend", url.Values{"reason": {""}}, http.StatusBadRequest},
		{"console form with a stale token", "POST", "/gov/orgs/" + f.orgs[0].DID + "/rotate", url.Values{"csrf": {"stale"}}, http.StatusForbidden},
		{"chain page", "GET", "/gov/chain", nil, http.StatusOK},
		{"home page", "GET", "/", nil, http.StatusOK},
		{"sign-in page", "GET", "/login", nil, http.StatusOK},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := f.sessions.reads.Load()
			var rec *httptest.ResponseRecorder
			if tok := tc.form.Get("csrf"); tok != "" {
				keep := f.csrf
				f.csrf = tok
				rec = f.send(t, tc.method, tc.path, url.Values{})
				f.csrf = keep
			} else {
				rec = f.send(t, tc.method, tc.path, tc.form)
			}
			if rec.Code != tc.status {
				t.Fatalf("status %d, want %d: %.300s", rec.Code, tc.status, rec.Body.String())
			}
			if n := f.sessions.reads.Load() - before; n != 1 {
				t.Errorf("%d reads of the console session, want 1", n)
			}
			if !strings.Contains(rec.Body.String(), `action="/logout"`) {
				t.Errorf("the page does not show the signed-in officer (no sign-out form)")
			}
		})
	}
}

// secretValue reads the secret shown on a page, "" when none is.
var secretValue = regexp.MustCompile(`id="secret-value" type="text" readonly value="([^"]+)"`)

// TestGovSecretShownOnce: a token made on the governance pages is shown
// once on the page the form leads to, with its flash; the same link then
// says it is gone and what to do; the change is in the audit log as the
// governance console's, and a refused change too.
func TestGovSecretShownOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain")
	}
	f := newGovFixture(t, 1, 0)
	did := f.orgs[0].DID
	rec := f.send(t, "POST", "/gov/orgs/"+did+"/tokens", url.Values{"name": {"registrar"}, "scope": {"issue", "read"}, "days": {"30"}})
	loc := rec.Header().Get("Location")
	if rec.Code != http.StatusSeeOther || !strings.HasPrefix(loc, govOrgHref(did)+"?done=tokenCreated&secret=") {
		t.Fatalf("create token: %d %q", rec.Code, loc)
	}
	first := f.send(t, "GET", strings.TrimSuffix(loc, "#secret"), nil)
	body := first.Body.String()
	m := secretValue.FindStringSubmatch(body)
	if first.Code != http.StatusOK || m == nil || !strings.HasPrefix(m[1], "tcit_") {
		t.Fatalf("first view: %d, secret %v", first.Code, m)
	}
	if !strings.Contains(body, "Token created.") || !strings.Contains(body, "New token: registrar") {
		t.Errorf("first view lacks the flash or the secret's label")
	}
	again := f.send(t, "GET", strings.TrimSuffix(loc, "#secret"), nil).Body.String()
	if secretValue.MatchString(again) || strings.Contains(again, m[1]) {
		t.Fatalf("the secret is shown a second time")
	}
	if !strings.Contains(again, "A secret is shown only once") {
		t.Errorf("second view does not say the secret is gone")
	}
	// A refused change (no reason) is recorded too.
	if rec := f.send(t, "POST", "/gov/orgs/"+did+"/suspend", url.Values{"reason": {" "}}); rec.Code != http.StatusBadRequest {
		t.Fatalf("suspend without a reason: %d", rec.Code)
	}
	page, err := f.audit.Page(t.Context(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range page.Entries {
		got = append(got, fmt.Sprintf("%s %s %s %d", e.Actor, e.Action, e.Outcome, e.Status))
		if strings.Contains(e.Target, m[1]) {
			t.Errorf("the audit log holds the secret")
		}
	}
	want := []string{"governance-console token.create ok 303", "governance-console org.suspend denied 400"}
	if strings.Join(got, "; ") != strings.Join(want, "; ") {
		t.Errorf("audit entries %q, want %q", got, want)
	}
}

// govAnchorRow reads a row of the chain page's anchors: root, organisation
// name and DID, count.
var govAnchorRow = regexp.MustCompile(`(?s)<tr><th scope="row"><code>([0-9a-f]{64})</code></th><td>([^<]*)<br><code class="muted">([^<]*)</code></td><td>(\d+)</td>`)

// TestGovChainPageAnchors: the chain page lists the latest anchors over all
// organisations from one search of the chain's anchor events, not one
// listing per organisation, newest first with the organisation's name.
func TestGovChainPageAnchors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain and registers 50 organisations")
	}
	const orgs = 50
	f := newGovFixture(t, orgs, 0)
	ctx := t.Context()
	var issuers []string
	for i := range 3 {
		o := f.orgs[i*10]
		if _, err := f.gov.Submit(ctx, &chain.Accredit{Issuer: o.DID, CredentialType: issuer.TypeDegree, Levels: []string{"master"}}); err != nil {
			t.Fatal(err)
		}
		holder, err := credential.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		rec, err := f.svc.Issue(ctx, o.DID, &issuer.Request{Template: issuer.TemplateMaster, Holder: holder.Controller,
			Subject: map[string]any{
				"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
				"degree": map[string]any{"type": "Degree", "level": "master",
					"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
					"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"}},
				"graduationDate": "2026-06-30",
			}})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Receipt == nil {
			t.Fatal("issued without an anchor receipt")
		}
		issuers = append(issuers, o.DID)
	}
	queries, calls := f.chain.queries.Load(), f.rpc.calls.Load()
	rec := f.send(t, "GET", "/gov/chain", nil)
	queries, calls = f.chain.queries.Load()-queries, f.rpc.calls.Load()-calls
	if rec.Code != http.StatusOK {
		t.Fatalf("/gov/chain: %d", rec.Code)
	}
	rows := govAnchorRow.FindAllStringSubmatch(rec.Body.String(), -1)
	if len(rows) != len(issuers) {
		t.Fatalf("%d anchor rows, want %d", len(rows), len(issuers))
	}
	for i, row := range rows {
		want := issuers[len(issuers)-1-i] // newest first
		if row[3] != want || row[4] != "1" || !strings.HasPrefix(row[2], "University ") {
			t.Errorf("anchor row %d: org %s %q count %s, want %s with its name and 1 credential", i, row[3], row[2], row[4], want)
		}
	}
	t.Logf("chain page with %d organisations, %d anchors: %d registry queries, %d RPC calls (before: %d registry queries)", orgs, len(rows), queries, calls, orgs)
	if queries != 0 {
		t.Errorf("the chain page read the registry %d times, want 0 (anchors come from one search)", queries)
	}
	// Status twice (chain id, blocks), blocks, validators, the anchor
	// search and its blocks' times.
	if calls > 6 {
		t.Errorf("the chain page made %d RPC calls, want at most 6", calls)
	}
}
