package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store/redis/redistest"
	"github.com/talentchain/talentchain/ui"
	"github.com/talentchain/talentchain/wallet"
)

// holderClient is a holder's browser: the session cookie and CSRF token.
type holderClient struct {
	base    string
	cookie  string
	csrf    string
	did     string
	account string
}

// do sends a request as the holder (csrf: with the X-CSRF-Token header)
// and returns the status and the raw answer, decoded into out when not nil.
func (h *holderClient) do(t *testing.T, method, path string, body any, csrf bool, out any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, ok := body.([]byte)
		if !ok {
			var err error
			if raw, err = json.Marshal(body); err != nil {
				t.Fatal(err)
			}
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, h.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if h.cookie != "" {
		req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: h.cookie})
	}
	if csrf {
		req.Header.Set(ui.CSRFHeader, h.csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	if testing.Verbose() {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, truncate(string(raw), 300))
	}
	return resp.StatusCode, raw
}

// newHolder signs up and logs in a holder on base over HTTP.
func newHolder(t *testing.T, base, username string) *holderClient {
	t.Helper()
	h := &holderClient{base: base}
	pass := "violet orbit 7319 lantern"
	var acct wallet.Account
	if st, raw := h.do(t, "POST", "/wallet/signup", map[string]string{"username": username, "password": pass}, false, &acct); st != http.StatusCreated {
		t.Fatalf("signup: %d %s", st, raw)
	}
	h.did, h.account = acct.DID, acct.ID
	h.login(t, username, pass)
	return h
}

// login logs the holder in and checks the cookie's attributes.
func (h *holderClient) login(t *testing.T, username, pass string) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", h.base+"/wallet/login", strings.NewReader(`{"username":"`+username+`","password":"`+pass+`"}`))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		CSRF    string         `json:"csrf"`
		Session wallet.Session `json:"session"`
	}
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(raw, &ans) != nil || ans.CSRF == "" || ans.Session.ID != "" {
		t.Fatalf("login: %d %s", resp.StatusCode, raw)
	}
	var c *http.Cookie
	for _, k := range resp.Cookies() {
		if k.Name == ui.WalletCookie {
			c = k
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Secure {
		t.Fatalf("session cookie %+v", c)
	}
	h.cookie, h.csrf = c.Value, ans.CSRF
}

// offerTo issues a master's degree to holder and offers it; it returns the
// offer link, its PIN and the issued credential's id.
func offerTo(t *testing.T, n *node, tok, holder string) (uri, pin, id string) {
	t.Helper()
	iss := n.issueDegree(t, tok, holder)
	var offer struct {
		URI    string `json:"uri"`
		TxCode string `json:"txCode"`
	}
	if st := n.call(t, "POST", "/credentials/"+url.PathEscape(iss.CredentialID)+"/offers", tok, map[string]any{"txCode": true}, &offer); st != http.StatusCreated {
		t.Fatalf("offer: %d", st)
	}
	return offer.URI, offer.TxCode, iss.CredentialID
}

// verifyVP posts a presentation to the node's VC-API verifier.
func verifyVP(t *testing.T, n *node, p *wallet.Presentation, challenge, domain string) verifyAnswer {
	t.Helper()
	var ans verifyAnswer
	if st := n.call(t, "POST", "/presentations/verify", "", map[string]any{
		"verifiablePresentation": p.Presentation, "anchorReceipts": p.Receipts,
		"options": map[string]string{"challenge": challenge, "domain": domain},
	}, &ans); st != 200 {
		t.Fatalf("verify presentation: %d", st)
	}
	return ans
}

func TestWalletOverHTTPBolt(t *testing.T) { walletFlow(t, testConfig(t)) }

func TestWalletOverHTTPRedis(t *testing.T) {
	cfg := testConfig(t)
	cfg.redisURL = walletRedisURL(t)
	walletFlow(t, cfg)
}

// walletRedisURL is a --redis URL of a real Redis: TALENTCHAIN_REDIS_ADDR's
// server under a prefix of the test's own, or a redis-server started for
// this test (the package's TestMain does not run redistest.Main, so the
// shared one cannot be used).
func walletRedisURL(t *testing.T) string {
	addr := os.Getenv(redistest.EnvAddr)
	if addr == "" {
		addr = redistest.Start(t).Addr()
	}
	return "redis://" + addr + "/?prefix=" + redistest.Prefix(t)
}

// walletFlow drives the wallet through a running node: receive by an
// offer, list, present to the node's verifier, replay and wrong
// challenge refused, CSRF, isolation per endpoint, share links, revocation
// seen in the listing, backup and restore.
func walletFlow(t *testing.T, cfg config) {
	old := walletStatusCacheTTL
	walletStatusCacheTTL = -1
	t.Cleanup(func() { walletStatusCacheTTL = old })
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "钱包", map[string]any{"credentialType": "DegreeCredential"})
	a := newHolder(t, n.base, "zhangsan")
	b := newHolder(t, n.base, "lisi")

	// /wallet/me gives the same CSRF token; without a session: 401.
	var me struct {
		CSRF    string         `json:"csrf"`
		Account wallet.Account `json:"account"`
	}
	if st, _ := a.do(t, "GET", "/wallet/me", nil, false, &me); st != 200 || me.CSRF != a.csrf || me.Account.DID != a.did {
		t.Fatalf("me: %d %+v", st, me)
	}
	anon := &holderClient{base: n.base}
	if st, _ := anon.do(t, "GET", "/wallet/credentials", nil, false, nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous listing: %d", st)
	}

	// Receive: the offer, accepted over HTTP (the wrong PIN first).
	uri, pin, issuedID := offerTo(t, n, tok, a.did)
	wrong := "000000"
	if pin == wrong {
		wrong = "111111"
	}
	if st, raw := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": wrong}, true, nil); st != http.StatusBadRequest {
		t.Fatalf("wrong PIN: %d %s", st, raw)
	}
	if st, _ := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": pin}, false, nil); st != http.StatusForbidden {
		t.Fatalf("no CSRF token: %d, want 403", st)
	}
	var got []*wallet.Credential
	if st, raw := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": pin}, true, &got); st != http.StatusCreated || len(got) != 1 || got[0].Verification.State != wallet.StateValid {
		t.Fatalf("accept offer: %d %s", st, raw)
	}
	cid := got[0].ID
	var page wallet.Page
	if st, _ := a.do(t, "GET", "/wallet/credentials", nil, false, &page); st != 200 || len(page.Items) != 1 || page.Items[0].Status != wallet.StatusValid || page.Items[0].Document != nil {
		t.Fatalf("list: %d %+v", st, page)
	}
	if st, _ := a.do(t, "GET", "/wallet/credentials?limit=0", nil, false, nil); st != http.StatusBadRequest {
		t.Fatalf("limit=0: %d", st)
	}

	// Present: the node's verifier accepts for the challenge; a replay and
	// another challenge are refused.
	var p wallet.Presentation
	if st, raw := a.do(t, "POST", "/wallet/presentations", map[string]any{"credentialIds": []string{cid}, "challenge": "c-1", "domain": "hr.example.cn"}, true, &p); st != 200 || len(p.Receipts) != 1 || p.Receipts[0] == nil {
		t.Fatalf("present: %d %s", st, raw)
	}
	if ans := verifyVP(t, n, &p, "c-1", "hr.example.cn"); !ans.Verified {
		t.Fatalf("presentation refused: %+v", ans.Errors)
	}
	if ans := verifyVP(t, n, &p, "c-1", "hr.example.cn"); ans.Verified {
		t.Fatal("replayed presentation accepted")
	}
	var p2 wallet.Presentation
	a.do(t, "POST", "/wallet/presentations", map[string]any{"credentialIds": []string{cid}, "challenge": "c-2", "domain": "hr.example.cn"}, true, &p2)
	if ans := verifyVP(t, n, &p2, "c-other", "hr.example.cn"); ans.Verified {
		t.Fatal("presentation accepted for another challenge")
	}

	// Isolation: holder B, with a valid session and CSRF token, cannot
	// read, present, share or delete A's credential.
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"GET", "/wallet/credentials/" + cid, nil},
		{"DELETE", "/wallet/credentials/" + cid, nil},
		{"POST", "/wallet/presentations", map[string]any{"credentialIds": []string{cid}, "challenge": "x"}},
		{"POST", "/wallet/shares", map[string]any{"credentialIds": []string{cid}}},
	} {
		if st, raw := b.do(t, c.method, c.path, c.body, true, nil); st != http.StatusNotFound {
			t.Errorf("B %s %s: %d %s, want 404", c.method, c.path, st, raw)
		}
	}
	if st, _ := b.do(t, "GET", "/wallet/credentials", nil, false, &page); st != 200 || len(page.Items) != 0 {
		t.Fatalf("B's listing shows %d", len(page.Items))
	}
	// B's CSRF token is not A's.
	if st, _ := (&holderClient{base: n.base, cookie: a.cookie, csrf: b.csrf}).do(t, "DELETE", "/wallet/credentials/"+cid, nil, true, nil); st != http.StatusForbidden {
		t.Fatalf("A's session with B's CSRF token: %d", st)
	}

	// Share links: opened (logged), revoked; an expired one refused.
	var sh wallet.Share
	if st, raw := a.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{cid}, "label": "HR", "expiresIn": "1h"}, true, &sh); st != http.StatusCreated || !strings.HasPrefix(sh.URL, n.base+"/share/") {
		t.Fatalf("share: %d %s", st, raw)
	}
	tokenPath := strings.TrimPrefix(sh.URL, n.base)
	var shared wallet.Shared
	if st, raw := anon.do(t, "GET", tokenPath, nil, false, &shared); st != 200 || shared.Holder != a.did {
		t.Fatalf("open share: %d %s", st, raw)
	}
	if ans := verifyVP(t, n, &shared.Presentation, "share:"+sh.ID, n.base); !ans.Verified {
		t.Fatalf("shared presentation: %+v", ans.Errors)
	}
	var log []wallet.Access
	if st, _ := a.do(t, "GET", "/wallet/shares/"+sh.ID+"/log", nil, false, &log); st != 200 || len(log) != 1 || log[0].Network == "" {
		t.Fatalf("log: %d %+v", st, log)
	}
	if st, _ := b.do(t, "GET", "/wallet/shares/"+sh.ID+"/log", nil, false, nil); st != http.StatusNotFound {
		t.Fatalf("B reads A's log: %d", st)
	}
	if st, _ := b.do(t, "DELETE", "/wallet/shares/"+sh.ID, nil, true, nil); st != http.StatusNotFound {
		t.Fatalf("B revokes A's link: %d", st)
	}
	if st, _ := a.do(t, "DELETE", "/wallet/shares/"+sh.ID, nil, true, nil); st != http.StatusNoContent {
		t.Fatalf("revoke share: %d", st)
	}
	if st, _ := anon.do(t, "GET", tokenPath, nil, false, nil); st != http.StatusGone {
		t.Fatalf("revoked link: %d, want 410", st)
	}
	if st, _ := anon.do(t, "GET", "/share/"+strings.Repeat("A", 43), nil, false, nil); st != http.StatusNotFound {
		t.Fatalf("unknown link: %d", st)
	}
	var short wallet.Share
	a.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{cid}, "expiresIn": "1s"}, true, &short)
	time.Sleep(1100 * time.Millisecond)
	if st, raw := anon.do(t, "GET", strings.TrimPrefix(short.URL, n.base), nil, false, nil); st != http.StatusGone {
		t.Fatalf("expired link: %d %s, want 410", st, raw)
	}

	// Backup, then restore into a new account: a tampered file and a wrong
	// passphrase are refused and change nothing.
	const pass = "a long backup passphrase 42"
	st, file := a.do(t, "POST", "/wallet/backup", map[string]string{"passphrase": pass}, true, nil)
	if st != 200 || !bytes.HasPrefix(file, []byte("TCWBAK")) {
		t.Fatalf("backup: %d %q", st, truncate(string(file), 40))
	}
	c := newHolder(t, n.base, "wangwu")
	tampered := bytes.Clone(file)
	tampered[len(tampered)-20] ^= 1
	if st, raw := c.restoreRaw(t, tampered, pass); st != http.StatusBadRequest {
		t.Fatalf("tampered restore: %d %s", st, raw)
	}
	if st, raw := c.restoreMultipart(t, file, "not the passphrase 99"); st != http.StatusBadRequest {
		t.Fatalf("wrong passphrase: %d %s", st, raw)
	}
	if c.do(t, "GET", "/wallet/credentials", nil, false, &page); len(page.Items) != 0 {
		t.Fatal("a refused restore changed the wallet")
	}
	var res wallet.RestoreResult
	if st, raw := c.restoreMultipart(t, file, pass); st != 200 || json.Unmarshal(raw, &res) != nil || res.Credentials != 1 || res.DID != a.did {
		t.Fatalf("restore: %d %s", st, raw)
	}
	if c.do(t, "GET", "/wallet/credentials", nil, false, &page); len(page.Items) != 1 || page.Items[0].Status != wallet.StatusValid {
		t.Fatalf("restored listing %+v", page.Items)
	}

	// Revocation shows in the listing.
	if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
		"credentialId":     issuedID,
		"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
	}, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	eventually(t, "listing after revocation", func() (bool, string) {
		a.do(t, "GET", "/wallet/credentials", nil, false, &page)
		if len(page.Items) != 1 {
			return false, "no item"
		}
		return page.Items[0].Status == wallet.StatusRevoked, string(page.Items[0].Status)
	})

	// Logout ends the session.
	if st, _ := a.do(t, "POST", "/wallet/logout", nil, true, nil); st != http.StatusNoContent {
		t.Fatalf("logout: %d", st)
	}
	if st, _ := a.do(t, "GET", "/wallet/me", nil, false, nil); st != http.StatusUnauthorized {
		t.Fatalf("after logout: %d", st)
	}
}

func (h *holderClient) restoreRaw(t *testing.T, file []byte, pass string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", h.base+"/wallet/restore", bytes.NewReader(file))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set(ui.BackupPassphraseHeader, pass)
	req.Header.Set(ui.CSRFHeader, h.csrf)
	req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: h.cookie})
	return send(t, req)
}

func (h *holderClient) restoreMultipart(t *testing.T, file []byte, pass string) (int, []byte) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("passphrase", pass)
	mw.WriteField("csrf", h.csrf)
	fw, _ := mw.CreateFormFile("file", "wallet.tcwbak")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", h.base+"/wallet/restore", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: h.cookie})
	return send(t, req)
}

func send(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// TestWalletTwoNodesShareRedis: two serve nodes over one Redis (and one
// master key) serve one holder's session and data interchangeably.
func TestWalletTwoNodesShareRedis(t *testing.T) {
	key, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(seal.EnvMasterKey, base64.StdEncoding.EncodeToString(key))
	redisURL := walletRedisURL(t)
	cfg1, cfg2 := testConfig(t), testConfig(t)
	cfg1.redisURL, cfg2.redisURL = redisURL, redisURL
	cfg1.batchDelay = 20 * time.Millisecond
	cfg2.dataDir = filepath.Join(t.TempDir(), "data2")
	n1 := startNode(t, cfg1)
	n2 := startNode(t, cfg2)
	_, tok := n1.newOrg(t, "双节点", map[string]any{"credentialType": "DegreeCredential"})

	a := newHolder(t, n1.base, "zhaoliu")
	uri, pin, _ := offerTo(t, n1, tok, a.did)
	var got []*wallet.Credential
	if st, raw := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": pin}, true, &got); st != http.StatusCreated || len(got) != 1 {
		t.Fatalf("accept: %d %s", st, raw)
	}
	// The same cookie and CSRF token on the other node.
	a2 := *a
	a2.base = n2.base
	var me struct {
		Account wallet.Account `json:"account"`
		CSRF    string         `json:"csrf"`
	}
	if st, _ := a2.do(t, "GET", "/wallet/me", nil, false, &me); st != 200 || me.Account.DID != a.did || me.CSRF != a.csrf {
		t.Fatalf("me on node 2: %d %+v", st, me)
	}
	var page wallet.Page
	if st, _ := a2.do(t, "GET", "/wallet/credentials", nil, false, &page); st != 200 || len(page.Items) != 1 || page.Items[0].ID != got[0].ID {
		t.Fatalf("node 2 listing: %d %+v", st, page)
	}
	// Node 2 signs with the holder key sealed by node 1; node 1's verifier
	// (whose chain anchored the credential) accepts.
	var p wallet.Presentation
	if st, raw := a2.do(t, "POST", "/wallet/presentations", map[string]any{"credentialIds": []string{got[0].ID}, "challenge": "two-nodes"}, true, &p); st != 200 {
		t.Fatalf("present on node 2: %d %s", st, raw)
	}
	if ans := verifyVP(t, n1, &p, "two-nodes", ""); !ans.Verified {
		t.Fatalf("node 2's presentation: %+v", ans.Errors)
	}
	// Logging out on node 2 ends the session on node 1.
	if st, _ := a2.do(t, "POST", "/wallet/logout", nil, true, nil); st != http.StatusNoContent {
		t.Fatalf("logout on node 2: %d", st)
	}
	if st, _ := a.do(t, "GET", "/wallet/me", nil, false, nil); st != http.StatusUnauthorized {
		t.Fatalf("node 1 after logout on node 2: %d", st)
	}
}

// TestWalletAnswersRequestOverHTTP: a credential imported as a file, a
// verifier's presentation request fetched and matched, answered after
// consent, and the verifier's result valid; another holder cannot import
// it, and an answered request is gone.
func TestWalletAnswersRequestOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "请求", map[string]any{"credentialType": "DegreeCredential"})
	_, hrTok := n.newVerifierAccount(t, "ACME HR", false)
	a := newHolder(t, n.base, "sunqi")
	b := newHolder(t, n.base, "zhouba")
	iss := n.issueDegree(t, tok, a.did)
	file := map[string]any{"credential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt}
	if st, raw := b.do(t, "POST", "/wallet/credentials/import", file, true, nil); st != http.StatusUnprocessableEntity {
		t.Fatalf("B imports A's credential: %d %s", st, raw)
	}
	var c wallet.Credential
	if st, raw := a.do(t, "POST", "/wallet/credentials/import", file, true, &c); st != http.StatusCreated || c.Verification.State != wallet.StateValid {
		t.Fatalf("import: %d %s", st, raw)
	}
	if st, _ := a.do(t, "POST", "/wallet/credentials/import", file, true, nil); st != http.StatusConflict {
		t.Fatalf("second import: %d, want 409", st)
	}
	var req requestAnswer
	if st := n.call(t, "POST", "/requests", hrTok, newRequestBody("10m"), &req); st != http.StatusCreated {
		t.Fatalf("create request: %d", st)
	}
	var view wallet.RequestView
	if st, raw := a.do(t, "GET", "/wallet/requests?url="+url.QueryEscape(req.URL), nil, false, &view); st != 200 || !view.Satisfied ||
		len(view.Descriptors) != 1 || len(view.Descriptors[0].Candidates) != 1 || view.Descriptors[0].Candidates[0].Credential.ID != c.ID {
		t.Fatalf("fetch request: %d %s", st, raw)
	}
	consent := map[string]any{"requestId": view.ID, "selections": []map[string]string{{"descriptorId": "degree", "credentialId": c.ID}}}
	if st, _ := b.do(t, "POST", "/wallet/requests/respond", consent, true, nil); st != http.StatusNotFound {
		t.Fatalf("B answers A's request: %d", st)
	}
	var resp wallet.Response
	if st, raw := a.do(t, "POST", "/wallet/requests/respond", consent, true, &resp); st != 200 || resp.Status != 200 {
		t.Fatalf("respond: %d %s", st, raw)
	}
	var result map[string]any
	if st := n.call(t, "GET", "/requests/"+req.ID+"/result", hrTok, nil, &result); st != 200 {
		t.Fatalf("result: %d %v", st, result)
	}
	if raw, _ := json.Marshal(result); !strings.Contains(string(raw), `"verified":true`) {
		t.Fatalf("verifier's result: %s", raw)
	}
	if st, _ := a.do(t, "POST", "/wallet/requests/respond", consent, true, nil); st != http.StatusNotFound {
		t.Fatalf("answered twice: %d, want 404", st)
	}
}
