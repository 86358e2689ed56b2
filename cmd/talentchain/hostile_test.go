package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui"
)

// canary is an HTTP server the node must never call: every SSRF attempt
// points at it, and the test fails if it saw a single request.
type canary struct {
	srv  *httptest.Server
	hits atomic.Int64
	log  atomic.Value // the last request line, for the failure message
}

func newCanary(t *testing.T) *canary {
	c := &canary{}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.hits.Add(1)
		c.log.Store(r.Method + " " + r.URL.String())
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"@context":{"name":"http://evil.example/name"}}`)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

// hostPort is the canary's host:port; didWeb its did:web.
func (c *canary) hostPort() string { return strings.TrimPrefix(c.srv.URL, "http://") }
func (c *canary) didWeb() string   { return "did:web:" + strings.ReplaceAll(c.hostPort(), ":", "%3A") }

// snapshot is every key and value of the store (hashed: only equality
// matters) and the chain's app hash and height.
type snapshot struct {
	entries map[string]string
	appHash string
	height  int64
}

// takeSnapshot lists the whole store, page by page, and reads the chain's
// latest app hash. Keys under skip prefixes are left out (see volatile).
func takeSnapshot(t *testing.T, st store.Store, rpc *rpchttp.HTTP, skip ...string) snapshot {
	t.Helper()
	ctx := t.Context()
	s := snapshot{entries: map[string]string{}}
	after := ""
	for {
		page, err := st.List(ctx, "", store.ListOptions{After: after, Limit: store.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			if !slices.ContainsFunc(skip, func(p string) bool { return strings.HasPrefix(e.Key, p) }) {
				sum := sha256.Sum256(e.Value)
				s.entries[e.Key] = hex.EncodeToString(sum[:])
			}
			after = e.Key
		}
		if len(page) < store.MaxListLimit {
			break
		}
	}
	status, err := rpc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	s.appHash, s.height = status.SyncInfo.LatestAppHash.String(), status.SyncInfo.LatestBlockHeight
	return s
}

// waitChainQuiet waits until the node's mempool is empty and no block has
// been committed for five block intervals: what the requests before have
// sent is in a block, and nothing else is on its way. A fixed sleep of a few
// intervals is too short on a loaded machine (a late block reads as "chain
// moved", or escapes a check).
func waitChainQuiet(t *testing.T, rpc *rpchttp.HTTP, interval time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	last, since := int64(-1), time.Now()
	for {
		st, err := rpc.Status(ctx)
		if err != nil {
			t.Fatalf("waiting for a quiet chain: %v", err)
		}
		un, err := rpc.NumUnconfirmedTxs(ctx)
		if err != nil {
			t.Fatalf("waiting for a quiet chain: %v", err)
		}
		h := st.SyncInfo.LatestBlockHeight
		switch {
		case h != last || un.Total > 0:
			last, since = h, time.Now()
		case time.Since(since) >= 5*interval:
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the chain never went quiet: height %d, %d transactions pending", h, un.Total)
		case <-time.After(interval / 2):
		}
	}
}

// diff lists what changed between two snapshots.
func (s snapshot) diff(o snapshot) []string {
	var out []string
	for k, v := range s.entries {
		switch w, ok := o.entries[k]; {
		case !ok:
			out = append(out, "deleted "+k)
		case w != v:
			out = append(out, "changed "+k)
		}
	}
	for k := range o.entries {
		if _, ok := s.entries[k]; !ok {
			out = append(out, "added "+k)
		}
	}
	if s.appHash != o.appHash || s.height != o.height {
		out = append(out, fmt.Sprintf("chain moved: height %d → %d, app hash %s → %s", s.height, o.height, s.appHash, o.appHash))
	}
	slices.Sort(out)
	return out
}

// hostileCase is one hostile request and the refusal it must get.
type hostileCase struct {
	name   string
	method string
	path   string
	auth   string // "", "holder" (A's session and CSRF token), or a bearer token
	ctype  string // Content-Type; "" with a body: application/json
	body   []byte
	want   int // the exact 4xx
	// verdict, on the verification routes, names the check that must fail:
	// VC-API answers a readable credential that does not verify with 200
	// and verified: false, the refusal and its reason being the verdict.
	verdict string
	// warns, on the verification routes, names the check that must answer
	// with a warning (what the node refuses to find out, it says it does not
	// know), whatever the verdict.
	warns string
	// knownGap, when set, says why the node still accepts this request: the
	// case is reported as skipped while it is accepted, and fails once it
	// is refused, so that the gap is struck off here and in the note.
	knownGap string
}

// warnedCheck is a check of a verification answer, as far as warnings go.
type warnedCheck struct {
	Name    string `json:"name"`
	Warning bool   `json:"warning"`
}

// rawJSON marshals v or fails the test.
func rawJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withField returns a copy of doc (a JSON object) with key set to v.
func withField(t *testing.T, doc json.RawMessage, key string, v any) map[string]any {
	t.Helper()
	m, err := credential.ParseDocument(doc)
	if err != nil {
		t.Fatal(err)
	}
	m[key] = v
	return m
}

// TestHostileInput sends hostile requests through real HTTP to the embedded
// node: each gets a 4xx problem with a message, none reaches the canary
// server, and the store (every key and value) and the chain (height and app
// hash) are the same afterwards.
func TestHostileInput(t *testing.T) {
	cfg := testConfig(t)
	rpcAddr := freeAddr(t)
	cfg.chain.listen = "tcp://" + rpcAddr
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	rpc, err := rpchttp.New("http://"+rpcAddr, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	can := newCanary(t)
	if resp, err := http.Get(can.srv.URL + "/self-check"); err != nil || can.hits.Swap(0) != 1 {
		t.Fatalf("the canary does not count requests: %v", err)
	} else {
		resp.Body.Close()
	}

	xDID, xTok := n.newOrg(t, "甲", map[string]any{"credentialType": "DegreeCredential"})
	_, vTok := n.newVerifierAccount(t, "甲HR", false)
	a := newHolder(t, n.base, "hostile-a")
	hk := newHolderKey(t)
	iss := n.issueDegree(t, xTok, hk.did)
	other := n.issueDegree(t, xTok, hk.did)

	// A presentation verified once, legitimately, before the snapshot.
	vp := hk.present(t, "c-replay", "hr.example.cn", iss.VerifiableCredential)
	presentBody := rawJSON(t, map[string]any{"verifiablePresentation": json.RawMessage(vp), "options": map[string]string{"challenge": "c-replay", "domain": "hr.example.cn"}})
	var first verifyAnswer
	if st := n.call(t, "POST", "/presentations/verify", "", presentBody, &first); st != 200 || !first.Verified {
		t.Fatalf("first presentation: %d %+v", st, first.Errors)
	}
	// A presentation request answered once.
	var req requestAnswer
	if st := n.call(t, "POST", "/requests", vTok, newRequestBody("10m"), &req); st != http.StatusCreated {
		t.Fatalf("request: %d", st)
	}
	var obj struct {
		Challenge string `json:"challenge"`
		Domain    string `json:"domain"`
	}
	n.call(t, "GET", "/requests/"+req.ID, "", nil, &obj)
	receipts, _ := json.Marshal([]any{iss.AnchorReceipt})
	answer := url.Values{"vp_token": {string(hk.present(t, obj.Challenge, obj.Domain, iss.VerifiableCredential))},
		"presentation_submission": {degreeSubmission}, "state": {req.ID}, "anchor_receipts": {string(receipts)}}
	if st := postForm(t, n.base+"/requests/"+req.ID+"/response", answer, nil); st != 200 {
		t.Fatalf("answer: %d", st)
	}
	waitChainQuiet(t, rpc, cfg.chain.blockInterval) // let the last block settle

	// The chain's own transactions, to replay.
	var txs [][]byte
	status, err := rpc.Status(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for h := int64(1); h <= status.SyncInfo.LatestBlockHeight; h++ {
		b, err := rpc.Block(t.Context(), &h)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Block.Txs {
			txs = append(txs, tx)
		}
	}
	if len(txs) < 3 {
		t.Fatalf("only %d transactions on chain", len(txs))
	}

	// Forged receipts: another root, a changed path step, another
	// credential's receipt, a receipt naming a height the anchor is not at.
	forged := func(edit func(r *credential.AnchorReceipt)) *credential.AnchorReceipt {
		r := *iss.AnchorReceipt
		r.Path = slices.Clone(r.Path)
		edit(&r)
		return &r
	}
	flip := func(h string) string {
		if h[0] == '0' {
			return "1" + h[1:]
		}
		return "0" + h[1:]
	}

	// Credentials that try to make the node fetch something: a context, an
	// issuer did:web, a status list, all on the canary.
	remoteCtx := withField(t, iss.VerifiableCredential, "@context", []any{credential.ContextV2, can.srv.URL + "/ctx.jsonld"})
	unknownCtx := withField(t, iss.VerifiableCredential, "@context", []any{credential.ContextV2, "https://evil.example/ctx.jsonld"})
	inlineCtx := withField(t, iss.VerifiableCredential, "@context", []any{credential.ContextV2, credential.ContextTalentChainV1,
		map[string]any{"degreeName": "https://evil.example/degreeName"}})
	unprotect := withField(t, iss.VerifiableCredential, "@context", []any{credential.ContextV2, credential.ContextTalentChainV1,
		map[string]any{"@protected": false, "issuer": map[string]any{"@id": "https://evil.example/issuer", "@type": "@id"}}})
	// The degree level changed from master to doctor in the JSON, with an
	// inline context that tries to drop the term from the signed graph.
	nulled := withField(t, iss.VerifiableCredential, "@context", []any{credential.ContextV2, credential.ContextTalentChainV1,
		map[string]any{"@protected": false, "level": nil}})
	nulled["credentialSubject"].(map[string]any)["degree"].(map[string]any)["level"] = "doctor"
	// The subject renamed in the JSON through an inline alias: the same
	// graph, another JSON shape.
	aliased := withField(t, iss.VerifiableCredential, "@context", []any{credential.ContextV2, credential.ContextTalentChainV1,
		map[string]any{"subjectAlias": map[string]any{"@id": "https://www.w3.org/2018/credentials#credentialSubject", "@type": "@id"}}})
	aliased["subjectAlias"] = aliased["credentialSubject"]
	delete(aliased, "credentialSubject")
	webIssuer := withField(t, iss.VerifiableCredential, "issuer", can.didWeb())
	statusAtCanary := withField(t, iss.VerifiableCredential, "credentialStatus", map[string]any{
		"id": can.srv.URL + "/status/1#5", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
		"statusListIndex": "5", "statusListCredential": can.srv.URL + "/status/1"})
	// The same, validly signed (by a did:key issuer), so that the status
	// step has something to check.
	signedStatus, err := hk.signer.SignCredential(map[string]any{
		"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":              []any{"VerifiableCredential", "TrainingCertificateCredential"},
		"credentialSubject": map[string]any{"id": hk.did, "result": "pass"},
		"validFrom":         "2026-01-01T00:00:00Z",
		"credentialStatus": map[string]any{"id": can.srv.URL + "/status/2#7", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
			"statusListIndex": "7", "statusListCredential": can.srv.URL + "/status/2"},
	}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	verifyVCBody := func(vc any, receipt any) []byte {
		return rawJSON(t, map[string]any{"verifiableCredential": vc, "anchorReceipt": receipt})
	}

	big := bytes.Repeat([]byte("a"), 2<<20)
	deep := []byte(`{"verifiableCredential":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}`)
	deepInVC := []byte(`{"verifiableCredential":{"a":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}}`)
	vcJSON := string(iss.VerifiableCredential)

	sqlish := []string{`' OR '1'='1`, `"; DROP TABLE credentials; --`, "$(touch /tmp/talentchain-pwned)", "`id`", "; rm -rf / #", "../../../../etc/passwd", "%00", "<script>alert(1)</script>"}

	cases := []hostileCase{
		// Size, nesting, encoding, media types, duplicates.
		{name: "oversized body", method: "POST", path: "/credentials/verify", body: append(append([]byte(`{"verifiableCredential":{"a":"`), big...), `"}}`...), want: 413},
		{name: "oversized wallet import", method: "POST", path: "/wallet/credentials/import", auth: "holder", body: append(append([]byte(`{"a":"`), big...), `"}`...), want: 413},
		{name: "deep nesting", method: "POST", path: "/credentials/verify", body: deep, want: 400},
		{name: "deep nesting inside the credential", method: "POST", path: "/credentials/verify", body: deepInVC, want: 400},
		{name: "invalid UTF-8", method: "POST", path: "/credentials/verify", body: []byte("{\"verifiableCredential\":{\"name\":\"\xff\xfe\"}}"), want: 400},
		{name: "invalid UTF-8 in a wallet signup", method: "POST", path: "/wallet/signup", body: []byte("{\"username\":\"a\xc3\x28\",\"password\":\"violet orbit 7319 lantern\"}"), want: 400},
		{name: "text/plain", method: "POST", path: "/credentials/verify", ctype: "text/plain", body: []byte(`{"verifiableCredential":` + vcJSON + `}`), want: 415},
		{name: "application/xml", method: "POST", path: "/credentials/issue", auth: xTok, ctype: "application/xml", body: []byte(`<credential/>`), want: 415},
		{name: "JSON in latin1", method: "POST", path: "/credentials/verify", ctype: "application/json; charset=iso-8859-1", body: []byte(`{"verifiableCredential":` + vcJSON + `}`), want: 415},
		{name: "batch as JSON", method: "POST", path: "/batches?template=master-degree", auth: xTok, body: []byte(`{}`), want: 415},
		{name: "duplicate member in the request", method: "POST", path: "/presentations/verify",
			body: []byte(`{"verifiablePresentation":` + string(vp) + `,"options":{"challenge":"c-replay","challenge":"other"}}`), want: 400},
		{name: "duplicate member in the credential", method: "POST", path: "/credentials/verify",
			body: []byte(`{"verifiableCredential":{"issuer":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",` + vcJSON[1:] + `}`), want: 400},
		{name: "trailing data", method: "POST", path: "/credentials/verify", body: []byte(`{"verifiableCredential":` + vcJSON + `} {}`), want: 400},
		{name: "unknown request member", method: "POST", path: "/wallet/signup", body: []byte(`{"username":"z1","password":"violet orbit 7319 lantern","admin":true}`), want: 400},

		// JSON-LD context injection.
		{name: "remote context URL", method: "POST", path: "/credentials/verify", body: verifyVCBody(remoteCtx, iss.AnchorReceipt), verdict: "proof"},
		{name: "unknown context URL", method: "POST", path: "/credentials/verify", body: verifyVCBody(unknownCtx, iss.AnchorReceipt), verdict: "proof"},
		{name: "inline context redefining a term", method: "POST", path: "/credentials/verify", body: verifyVCBody(inlineCtx, iss.AnchorReceipt), verdict: "proof"},
		{name: "@protected: false override without a receipt", method: "POST", path: "/credentials/verify", body: verifyVCBody(unprotect, nil), verdict: "proof"},
		{name: "inline context dropping a term", method: "POST", path: "/credentials/verify", body: verifyVCBody(nulled, nil), verdict: "proof"},
		{name: "inline context aliasing a term", method: "POST", path: "/credentials/verify", body: verifyVCBody(aliased, nil), verdict: "format"},
		{name: "@protected: false override", method: "POST", path: "/credentials/verify", body: verifyVCBody(unprotect, iss.AnchorReceipt), verdict: "anchor"},
		{name: "remote context in a wallet import", method: "POST", path: "/wallet/credentials/import", auth: "holder", body: rawJSON(t, map[string]any{"credential": remoteCtx}), want: 422},

		// SSRF through DIDs and status lists.
		{name: "did:web issuer", method: "POST", path: "/credentials/verify", body: verifyVCBody(webIssuer, iss.AnchorReceipt), verdict: "proof"},
		{name: "resolve did:web", method: "GET", path: "/1.0/identifiers/" + url.PathEscape(can.didWeb()), want: 404},
		{name: "resolve did:talent with a path", method: "GET", path: "/1.0/identifiers/" + url.PathEscape(xDID+"/../../admin"), want: 400},
		{name: "status list on another host", method: "POST", path: "/credentials/verify", body: verifyVCBody(statusAtCanary, iss.AnchorReceipt), verdict: "proof"},
		{name: "signed credential with its status list on another host", method: "POST", path: "/credentials/verify", body: verifyVCBody(signedStatus, nil), warns: "status"},
		{name: "wallet offer from another host", method: "POST", path: "/wallet/offers/accept", auth: "holder",
			body: rawJSON(t, map[string]string{"offer": "openid-credential-offer://?credential_offer_uri=" + url.QueryEscape(can.srv.URL+"/offer")}), want: 400},
		{name: "wallet offer naming another issuer host", method: "POST", path: "/wallet/offers/accept", auth: "holder",
			body: rawJSON(t, map[string]string{"offer": "openid-credential-offer://?credential_offer=" + url.QueryEscape(`{"credential_issuer":"`+can.srv.URL+`","credential_configuration_ids":["DegreeCredential"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"abc"}}}`)}), want: 400},
		{name: "wallet request from another host", method: "GET", path: "/wallet/requests?url=" + url.QueryEscape(can.srv.URL+"/requests/x"), auth: "holder", want: 400},
		{name: "wallet request from the cloud metadata address", method: "POST", path: "/wallet/requests", auth: "holder",
			body: rawJSON(t, map[string]string{"url": "http://169.254.169.254/latest/meta-data/"}), want: 400},

		// Path traversal in uploads.
		{name: "batch template traversal", method: "POST", path: "/batches?template=" + url.QueryEscape("../../../etc/passwd"), auth: xTok, ctype: "text/csv", body: []byte("key,holder\n1,x\n"), want: 422},
		{name: "batch id traversal", method: "GET", path: "/batches/..%2F..%2Fwallet", auth: xTok, want: 404},
		{name: "status list id traversal", method: "GET", path: "/status/" + url.PathEscape(xDID) + "/..%2F..%2Fadmin", want: 404},

		// Forged receipts.
		{name: "receipt with another root", method: "POST", path: "/credentials/verify", body: verifyVCBody(json.RawMessage(iss.VerifiableCredential), forged(func(r *credential.AnchorReceipt) { r.Root = flip(r.Root) })), verdict: "anchor"},
		{name: "receipt with a forged path", method: "POST", path: "/credentials/verify", body: verifyVCBody(json.RawMessage(iss.VerifiableCredential), forged(func(r *credential.AnchorReceipt) { r.Path = append(r.Path, strings.Repeat("ab", 32)) })), verdict: "anchor"},
		{name: "another credential's receipt", method: "POST", path: "/credentials/verify", body: verifyVCBody(json.RawMessage(iss.VerifiableCredential), other.AnchorReceipt), verdict: "anchor"},
		{name: "receipt at another height", method: "POST", path: "/credentials/verify", body: verifyVCBody(json.RawMessage(iss.VerifiableCredential), forged(func(r *credential.AnchorReceipt) { r.Height += 1000 })), verdict: "anchor"},
		{name: "receipt with unknown members", method: "POST", path: "/credentials/verify", body: []byte(`{"verifiableCredential":` + vcJSON + `,"anchorReceipt":{"type":"TalentChainAnchorReceipt","version":1,"evil":1}}`), want: 400},

		// Replays.
		{name: "replayed presentation", method: "POST", path: "/presentations/verify", body: presentBody, verdict: "replay"},
		{name: "replayed request answer", method: "POST", path: "/requests/" + req.ID + "/response", ctype: "application/x-www-form-urlencoded", body: []byte(answer.Encode()), want: 409},
	}
	// SQL- and command-style strings in identifier fields and path values.
	for i, s := range sqlish {
		cases = append(cases,
			hostileCase{name: fmt.Sprintf("signup username %d", i), method: "POST", path: "/wallet/signup", body: rawJSON(t, map[string]string{"username": s, "password": "violet orbit 7319 lantern"}), want: 400},
			hostileCase{name: fmt.Sprintf("login username %d", i), method: "POST", path: "/wallet/login", body: rawJSON(t, map[string]string{"username": s, "password": s}), want: 401},
			hostileCase{name: fmt.Sprintf("credential id %d", i), method: "GET", path: "/credentials/" + url.PathEscape(s), auth: xTok, want: 404},
			hostileCase{name: fmt.Sprintf("wallet credential id %d", i), method: "GET", path: "/wallet/credentials/" + url.PathEscape(s), auth: "holder", want: 404},
			hostileCase{name: fmt.Sprintf("request id %d", i), method: "GET", path: "/requests/" + url.PathEscape(s), want: 400},
			hostileCase{name: fmt.Sprintf("share token %d", i), method: "GET", path: "/share/" + url.PathEscape(s), want: 404},
			hostileCase{name: fmt.Sprintf("status change %d", i), method: "POST", path: "/credentials/status", auth: xTok, body: rawJSON(t, map[string]any{"credentialId": s, "credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}}}), want: 404},
			hostileCase{name: fmt.Sprintf("course code %d", i), method: "POST", path: "/courses", auth: xTok, body: rawJSON(t, map[string]any{"code": s, "title": map[string]string{"zh": s, "en": s}, "hours": 16, "sector": "agritech", "status": "open", "certificate": "TrainingCertificateCredential"}), want: 400},
			hostileCase{name: fmt.Sprintf("issue to holder %d", i), method: "POST", path: "/credentials/issue", auth: xTok, body: rawJSON(t, masterDegree(s)), want: 422},
			hostileCase{name: fmt.Sprintf("bearer token %d", i), method: "GET", path: "/batches", auth: s, want: 401},
		)
	}

	before := takeSnapshot(t, n.app.store, rpc, volatilePrefixes...)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			st, ct, raw := hostileSend(t, n.base, a, c)
			if c.warns != "" {
				var v struct {
					Checks []warnedCheck `json:"checks"`
				}
				if st != 200 || json.Unmarshal(raw, &v) != nil || !slices.Contains(v.Checks, warnedCheck{Name: c.warns, Warning: true}) {
					t.Fatalf("%d %s, want a warning from the %s check", st, truncate(string(raw), 300), c.warns)
				}
				return
			}
			if c.verdict != "" {
				var v verifyAnswer
				if c.knownGap != "" {
					if st == 200 && json.Unmarshal(raw, &v) == nil && v.Verified {
						t.Skipf("KNOWN GAP, still accepted: %s", c.knownGap)
					}
					t.Fatalf("the known gap is closed (%d verified=%v): remove knownGap from this case and from docs/security.md", st, v.Verified)
				}
				if st != 200 || json.Unmarshal(raw, &v) != nil || v.Verified || len(v.Errors) == 0 {
					t.Fatalf("%d %s, want 200 with verified false", st, truncate(string(raw), 300))
				}
				failed := ""
				for _, ch := range v.Checks {
					if !ch.Passed {
						failed += ch.Name + " "
					}
				}
				if !slices.Contains(strings.Fields(failed), c.verdict) {
					t.Errorf("failed checks %q, want %q among them: %v", failed, c.verdict, v.Errors)
				}
				return
			}
			var p problemAnswer
			if st != c.want {
				t.Errorf("%d %s, want %d", st, truncate(string(raw), 300), c.want)
			}
			if !strings.HasPrefix(ct, "application/problem+json") || json.Unmarshal(raw, &p) != nil || p.Status != st || p.Title == "" || (p.Detail == "" && len(p.Errors) == 0) {
				t.Errorf("not a problem with a message: %s %s", ct, truncate(string(raw), 300))
			}
		})
	}
	// Replayed chain transactions: every committed transaction, broadcast
	// again, is refused by CheckTx and never reaches a block.
	for i, tx := range txs {
		res, err := rpc.BroadcastTxSync(t.Context(), tx)
		if err == nil && res.Code == 0 {
			t.Errorf("replayed tx %d accepted into the mempool", i)
		}
	}
	waitChainQuiet(t, rpc, cfg.chain.blockInterval) // anything the requests sent has landed
	after := takeSnapshot(t, n.app.store, rpc, volatilePrefixes...)
	if d := before.diff(after); len(d) > 0 {
		t.Errorf("hostile requests changed stored data:\n%s", strings.Join(d, "\n"))
	}
	if h := can.hits.Load(); h != 0 {
		t.Errorf("the node called the canary server %d times (last: %v)", h, can.log.Load())
	}
	if m, _ := filepath.Glob("/tmp/talentchain-pwned*"); len(m) > 0 {
		t.Errorf("a command ran: %v", m)
	}
	t.Logf("hostile input: %d HTTP cases, %d replayed transactions, %d store keys unchanged, chain at height %d", len(cases), len(txs), len(after.entries), after.height)
}

// volatilePrefixes are store keys a refused request may legitimately
// change: the wallet's counters of failed log-ins (per hashed user name and
// per hashed client address), which are the brute-force defence itself.
var volatilePrefixes = []string{"wallet/rl/"}

// hostileSend sends one hostile case; "holder" sends A's cookie and CSRF.
func hostileSend(t *testing.T, base string, a *holderClient, c hostileCase) (int, string, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var rd io.Reader
	if c.body != nil {
		rd = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, base+c.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case c.ctype != "":
		req.Header.Set("Content-Type", c.ctype)
	case c.body != nil:
		req.Header.Set("Content-Type", "application/json")
	}
	switch c.auth {
	case "":
	case "holder":
		req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: a.cookie})
		req.Header.Set(ui.CSRFHeader, a.csrf)
	default:
		req.Header.Set("Authorization", "Bearer "+c.auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), raw
}

// TestRestoreTraversal: a backup restore whose multipart file name climbs
// out of any folder writes nothing anywhere and is refused.
func TestRestoreTraversal(t *testing.T) {
	cfg := testConfig(t)
	n := startNode(t, cfg)
	a := newHolder(t, n.base, "restore-a")
	before := dirListing(t, filepath.Dir(cfg.dataDir))
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile("file", "../../../../../../tmp/talentchain-traversal.tcbackup")
	fw.Write([]byte("TCBACKUP not really"))
	mw.WriteField("passphrase", "violet orbit 7319 lantern")
	mw.WriteField("csrf", a.csrf)
	mw.Close()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.base+"/wallet/restore", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: a.cookie})
	req.Header.Set(ui.CSRFHeader, a.csrf)
	st, raw := send(t, req)
	if st < 400 || st >= 500 {
		t.Fatalf("restore of a hostile file: %d %s", st, raw)
	}
	if _, err := os.Stat("/tmp/talentchain-traversal.tcbackup"); err == nil {
		t.Fatal("the upload's file name was used as a path")
	}
	if after := dirListing(t, filepath.Dir(cfg.dataDir)); !slices.Equal(before, after) {
		t.Errorf("files changed outside the store: %v → %v", before, after)
	}
}

// dirListing lists the files under dir except the store's and the chain's
// own (which change as the node runs).
func dirListing(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, filepath.Join("data", "chain")) || strings.Contains(rel, "store") || strings.HasSuffix(rel, ".db") {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	slices.Sort(out)
	return out
}

// TestHSTSOverTLS: answers over TLS (directly or through a proxy that says
// so) carry Strict-Transport-Security; over plain HTTP they do not.
func TestHSTSOverTLS(t *testing.T) {
	cfg := testConfig(t)
	n := startNode(t, cfg)
	tls := httptest.NewTLSServer(n.app.handler)
	defer tls.Close()
	for _, c := range []struct {
		name   string
		client *http.Client
		url    string
		proto  string
		want   string
	}{
		{"TLS", tls.Client(), tls.URL + "/healthz", "", ui.HSTS},
		{"proxy says https", http.DefaultClient, n.base + "/healthz", "https", ui.HSTS},
		{"plain HTTP", http.DefaultClient, n.base + "/healthz", "", ""},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), "GET", c.url, nil)
		if c.proto != "" {
			req.Header.Set("X-Forwarded-Proto", c.proto)
		}
		resp, err := c.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Strict-Transport-Security"); got != c.want {
			t.Errorf("%s: HSTS %q, want %q", c.name, got, c.want)
		}
	}
}
