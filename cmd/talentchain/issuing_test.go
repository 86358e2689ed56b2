package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// node is a built app serving HTTP on a loopback port, as serve runs it.
type node struct {
	app   *app
	base  string
	admin string // the admin token
}

// startNode builds the app from cfg (embedded chain, bolt store in a fresh
// data folder unless cfg says otherwise) and serves it until the test ends.
func startNode(t *testing.T, cfg config) *node {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.addr = ln.Addr().String()
	cfg.publicURL = "http://" + cfg.addr
	log := slog.New(slog.DiscardHandler)
	if testing.Verbose() {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	a, err := build(t.Context(), cfg, log)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, ln, a, 10*time.Second, log) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	n := &node{app: a, base: "http://" + cfg.addr}
	waitHealthy(t, n.base, 30*time.Second)
	tok, err := os.ReadFile(filepath.Join(cfg.dataDir, adminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	n.admin = strings.TrimSpace(string(tok))
	return n
}

// call sends a JSON request and decodes a JSON answer into out (when not
// nil); it returns the status.
func (n *node) call(t *testing.T, method, path, token string, body, out any) int {
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
	req, err := http.NewRequestWithContext(t.Context(), method, n.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %d %s: %v", method, path, resp.StatusCode, raw, err)
		}
	}
	if testing.Verbose() {
		t.Logf("%s %s → %d %s", method, path, resp.StatusCode, truncate(string(raw), 300))
	}
	return resp.StatusCode
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

type orgAnswer struct {
	DID        string `json:"did"`
	Registered bool   `json:"registered"`
}

// newOrg creates an organisation through the admin API, accredited as asked,
// and returns its DID and an API token with every scope.
func (n *node) newOrg(t *testing.T, name string, accreditations ...map[string]any) (did, token string) {
	t.Helper()
	var org orgAnswer
	if st := n.call(t, "POST", "/admin/orgs", n.admin, map[string]any{
		"names": map[string]string{"zh": name + "大学", "en": name + " University"}, "kind": "university",
		"accreditations": accreditations,
	}, &org); st != http.StatusCreated || !org.Registered {
		t.Fatalf("create org: %d %+v", st, org)
	}
	var tok struct {
		Token string `json:"token"`
	}
	if st := n.call(t, "POST", "/admin/orgs/"+org.DID+"/tokens", n.admin, map[string]any{
		"name": "registrar", "scopes": []string{"issue", "status", "read"},
	}, &tok); st != http.StatusCreated || !strings.HasPrefix(tok.Token, "tcit_") {
		t.Fatalf("create token: %d %+v", st, tok)
	}
	return org.DID, tok.Token
}

// masterDegree is a VC-API issue request for a master's degree.
func masterDegree(holder string) map[string]any {
	return map[string]any{
		"credential": map[string]any{
			"type": []string{"VerifiableCredential", "DegreeCredential"},
			"credentialSubject": map[string]any{
				"id":       holder,
				"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
				"degree": map[string]any{
					"type": "Degree", "level": "master",
					"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
					"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
				},
				"graduationDate": "2026-06-30",
			},
		},
	}
}

type issueAnswer struct {
	VerifiableCredential json.RawMessage           `json:"verifiableCredential"`
	AnchorReceipt        *credential.AnchorReceipt `json:"anchorReceipt"`
	CredentialID         string                    `json:"credentialId"`
	Status               string                    `json:"status"`
}

type problemAnswer struct {
	Status int    `json:"status"`
	Title  string `json:"title"`
	Detail string `json:"detail"`
	Errors []struct {
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
}

// statusBit reads the credential's bit in the status list served at its
// statusListCredential URL.
func statusBit(t *testing.T, vc json.RawMessage, purpose string) bool {
	t.Helper()
	var doc struct {
		CredentialStatus []struct {
			StatusPurpose        string `json:"statusPurpose"`
			StatusListIndex      string `json:"statusListIndex"`
			StatusListCredential string `json:"statusListCredential"`
		} `json:"credentialStatus"`
	}
	if err := json.Unmarshal(vc, &doc); err != nil {
		t.Fatal(err)
	}
	for _, e := range doc.CredentialStatus {
		if e.StatusPurpose != purpose {
			continue
		}
		resp, err := http.Get(e.StatusListCredential)
		if err != nil {
			t.Fatal(err)
		}
		var list struct {
			CredentialSubject struct {
				EncodedList string `json:"encodedList"`
			} `json:"credentialSubject"`
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("status list %s: %d %v", e.StatusListCredential, resp.StatusCode, err)
		}
		bits, err := credential.DecodeBitstring(list.CredentialSubject.EncodedList)
		if err != nil {
			t.Fatal(err)
		}
		var idx int
		if err := json.Unmarshal([]byte(e.StatusListIndex), &idx); err != nil {
			t.Fatal(err)
		}
		set, err := bits.Get(idx)
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	t.Fatalf("credential has no %s status entry", purpose)
	return false
}

// TestIssueOverHTTP drives the issuing API of a running node (embedded chain,
// bolt store): an accredited university issues a master's degree, which
// verifies, carries an anchor receipt that matches the chain, and whose status
// bits flip on revocation; refusals for the wrong token, an unaccredited type,
// a suspended issuer and a schema violation.
func TestIssueOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	ctx := t.Context()
	holder := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"

	did, tok := n.newOrg(t, "北京理工", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master", "doctor"}})
	otherDID, otherTok := n.newOrg(t, "清华", map[string]any{"credentialType": "DegreeCredential"})

	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, masterDegree(holder), &iss); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	if iss.AnchorReceipt == nil || iss.Status != "active" || !strings.HasPrefix(iss.CredentialID, "urn:uuid:") {
		t.Fatalf("issue answer %+v", iss)
	}

	t.Run("verifies with its anchor on chain", func(t *testing.T) {
		var res credential.Result
		if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt}, &res); st != 200 || !res.Verified {
			t.Fatalf("verify: %d %+v", st, res)
		}
		doc, err := credential.ParseDocument(iss.VerifiableCredential)
		if err != nil {
			t.Fatal(err)
		}
		if err := iss.AnchorReceipt.Check(doc); err != nil {
			t.Fatalf("receipt: %v", err)
		}
		a, err := n.app.chain.Anchor(ctx, iss.AnchorReceipt.Root)
		if err != nil || a.Issuer != did || a.Height != iss.AnchorReceipt.Height {
			t.Fatalf("anchor on chain %+v: %v (receipt %+v)", a, err, iss.AnchorReceipt)
		}
		if statusBit(t, iss.VerifiableCredential, "revocation") || statusBit(t, iss.VerifiableCredential, "suspension") {
			t.Fatal("fresh credential has a status bit set")
		}
	})

	t.Run("the issuer reads its record; another organisation cannot", func(t *testing.T) {
		var got issueAnswer
		path := "/credentials/" + url.PathEscape(iss.CredentialID)
		if st := n.call(t, "GET", path, tok, nil, &got); st != 200 || got.CredentialID != iss.CredentialID || got.AnchorReceipt == nil {
			t.Fatalf("read own: %d %+v", st, got)
		}
		if st := n.call(t, "GET", path, otherTok, nil, nil); st != http.StatusNotFound {
			t.Fatalf("other org read: %d, want 404", st)
		}
		if st := n.call(t, "GET", path, "", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("anonymous read: %d, want 401", st)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		bad := masterDegree(holder)
		subj := bad["credential"].(map[string]any)["credentialSubject"].(map[string]any)
		delete(subj, "fullName")
		subj["graduationDate"] = "30/06/2026"
		subj["gpa"] = 3.9
		var p problemAnswer
		if st := n.call(t, "POST", "/credentials/issue", tok, bad, &p); st != http.StatusUnprocessableEntity || len(p.Errors) < 2 {
			t.Fatalf("schema violation: %d %+v", st, p)
		}
		fields := map[string]bool{}
		for _, e := range p.Errors {
			fields[e.Field] = true
		}
		if !fields["/credentialSubject/fullName"] || !fields["/credentialSubject/gpa"] || !fields["/credentialSubject/graduationDate"] {
			t.Errorf("schema violation fields %+v", p.Errors)
		}

		tests := []struct {
			name  string
			token string
			body  any
			want  int
		}{
			{"no token", "", masterDegree(holder), http.StatusUnauthorized},
			{"unknown token", "tcit_" + strings.Repeat("A", 43), masterDegree(holder), http.StatusUnauthorized},
			{"admin token is not an issuer token", n.admin, masterDegree(holder), http.StatusUnauthorized},
			{"another organisation as issuer", tok, func() any {
				b := masterDegree(holder)
				b["credential"].(map[string]any)["issuer"] = otherDID
				return b
			}(), http.StatusBadRequest},
			{"not accredited for the level", tok, func() any {
				b := masterDegree(holder)
				deg := b["credential"].(map[string]any)["credentialSubject"].(map[string]any)["degree"].(map[string]any)
				deg["level"] = "bachelor"
				deg["degreeName"] = map[string]any{"zh": "工学学士", "en": "Bachelor of Engineering"}
				return b
			}(), http.StatusForbidden}, // accredited for master and doctor only
			{"not accredited for the type", tok, map[string]any{"credential": map[string]any{
				"type": []string{"VerifiableCredential", "TrainingCertificateCredential"},
				"credentialSubject": map[string]any{
					"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
					"course": map[string]any{"type": "Course", "courseCode": "BC101", "title": map[string]any{"zh": "区块链", "en": "Blockchain"},
						"hours": 40, "skills": []string{"solidity"}},
					"result": "pass",
				},
			}}, http.StatusForbidden},
			{"unknown member", tok, []byte(`{"credential": {"type": "DegreeCredential", "credentialSubject": {}}, "extra": 1}`), http.StatusBadRequest},
			{"malformed JSON", tok, []byte(`{"credential": `), http.StatusBadRequest},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if st := n.call(t, "POST", "/credentials/issue", tt.token, tt.body, nil); st != tt.want {
					t.Fatalf("status %d, want %d", st, tt.want)
				}
			})
		}
	})

	t.Run("revoke: the status bit is set and reinstating is refused", func(t *testing.T) {
		var p problemAnswer
		if st := n.call(t, "POST", "/credentials/status", otherTok, map[string]any{
			"credentialId":     iss.CredentialID,
			"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
		}, &p); st != http.StatusNotFound {
			t.Fatalf("other org revokes: %d %+v", st, p)
		}
		if statusBit(t, iss.VerifiableCredential, "revocation") {
			t.Fatal("another organisation's attempt revoked the credential")
		}
		var ans map[string]any
		if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
			"credentialId":     iss.CredentialID,
			"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
			"reason":           "degree withdrawn by the academic committee",
		}, &ans); st != 200 {
			t.Fatalf("revoke: %d %v", st, ans)
		}
		if !statusBit(t, iss.VerifiableCredential, "revocation") {
			t.Fatal("revocation bit not set after revoke")
		}
		// Verifiers cache status lists for a moment (2 s by default).
		var res credential.Result
		revoked := time.Now()
		for {
			if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt}, &res); st != 200 {
				t.Fatalf("verify after revocation: %d", st)
			}
			if !res.Verified {
				break
			}
			if time.Since(revoked) > 30*time.Second { // the TTL is 2 s; the rest is a loaded machine's slack
				t.Fatal("still verified 30 s after revocation")
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("verification fails %s after the revocation", time.Since(revoked).Round(time.Millisecond))
		failedStatus := false
		for _, c := range res.Checks {
			if c.Name == "status" && !c.Passed {
				failedStatus = true
			}
		}
		if !failedStatus {
			t.Errorf("verification after revocation does not fail the status check: %+v", res.Checks)
		}
		var got issueAnswer
		n.call(t, "GET", "/credentials/"+url.PathEscape(iss.CredentialID), tok, nil, &got)
		if got.Status != "revoked" {
			t.Errorf("record status %q", got.Status)
		}
		if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
			"credentialId":     iss.CredentialID,
			"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "active"}},
		}, nil); st != http.StatusConflict {
			t.Fatalf("reinstate revoked: %d, want 409", st)
		}
	})

	t.Run("a suspended issuer cannot issue", func(t *testing.T) {
		if st := n.call(t, "POST", "/admin/orgs/"+did+"/suspension", n.admin, map[string]string{"reason": "audit"}, nil); st != 200 {
			t.Fatalf("suspend: %d", st)
		}
		var p problemAnswer
		if st := n.call(t, "POST", "/credentials/issue", tok, masterDegree(holder), &p); st != http.StatusForbidden {
			t.Fatalf("issue while suspended: %d %+v", st, p)
		}
		if st := n.call(t, "DELETE", "/admin/orgs/"+did+"/suspension", n.admin, map[string]string{"reason": "audit passed"}, nil); st != 200 {
			t.Fatalf("reinstate: %d", st)
		}
		if st := n.call(t, "POST", "/credentials/issue", tok, masterDegree(holder), nil); st != http.StatusCreated {
			t.Fatalf("issue after reinstatement: %d", st)
		}
	})
}

// TestCourseCompletionOverHTTP: a science park runs a course; a learner is
// enrolled, passes, and completion issues a training certificate through the
// issuer that verifies; completing again returns the same credential.
func TestCourseCompletionOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	did, tok := n.newOrg(t, "中关村", map[string]any{"credentialType": "TrainingCertificateCredential"})
	_, otherTok := n.newOrg(t, "海淀", map[string]any{"credentialType": "TrainingCertificateCredential"})
	learner := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"

	course := map[string]any{
		"code": "BC-101", "title": map[string]string{"zh": "区块链基础", "en": "Blockchain Foundations"},
		"providerName": map[string]string{"zh": "中关村科技园", "en": "Zhongguancun Science Park"},
		"hours":        40, "credits": 2, "skills": []string{"solidity", "consensus"}, "sector": "blockchain",
		"status": "open", "certificate": "TrainingCertificateCredential",
	}
	if st := n.call(t, "POST", "/courses", tok, course, nil); st != http.StatusCreated {
		t.Fatalf("create course: %d", st)
	}
	var p problemAnswer
	if st := n.call(t, "POST", "/courses", tok, map[string]any{"code": "bad code!", "hours": 0, "status": "open", "certificate": "X"}, &p); st != 400 || len(p.Errors) == 0 {
		t.Fatalf("invalid course: %d %+v", st, p)
	}
	var page struct {
		Courses []struct {
			Code string `json:"code"`
		} `json:"courses"`
	}
	if st := n.call(t, "GET", "/courses?q=blockchain", "", nil, &page); st != 200 || len(page.Courses) != 1 || page.Courses[0].Code != "BC-101" {
		t.Fatalf("search: %d %+v", st, page)
	}
	base := "/courses/" + did + "/BC-101"
	if st := n.call(t, "POST", base+"/enrolments", otherTok, map[string]string{"learner": learner}, nil); st != http.StatusForbidden {
		t.Fatalf("another organisation enrols: %d, want 403", st)
	}
	if st := n.call(t, "POST", base+"/enrolments", tok, map[string]string{"learner": learner}, nil); st != http.StatusCreated {
		t.Fatalf("enrol: %d", st)
	}
	if st := n.call(t, "POST", base+"/enrolments/"+learner+"/completion", tok, nil, nil); st != http.StatusConflict {
		t.Fatalf("complete without a result: %d, want 409", st)
	}
	if st := n.call(t, "POST", base+"/enrolments/"+learner+"/result", tok, map[string]any{"outcome": "pass", "score": 92}, nil); st != 200 {
		t.Fatalf("result: %d", st)
	}
	var e struct {
		Status       string `json:"status"`
		CredentialID string `json:"credentialId"`
	}
	if st := n.call(t, "POST", base+"/enrolments/"+learner+"/completion", tok, nil, &e); st != 200 || e.Status != "completed" || e.CredentialID == "" {
		t.Fatalf("complete: %d %+v", st, e)
	}
	var again struct {
		CredentialID string `json:"credentialId"`
	}
	if st := n.call(t, "POST", base+"/enrolments/"+learner+"/completion", tok, nil, &again); st != 200 && st != http.StatusConflict {
		t.Fatalf("complete again: %d", st)
	} else if st == 200 && again.CredentialID != e.CredentialID {
		t.Fatalf("second completion issued %s, first %s", again.CredentialID, e.CredentialID)
	}

	// The certificate is the issuer's record, anchored and verifiable.
	var cert issueAnswer
	deadline := time.Now().Add(30 * time.Second)
	for {
		if st := n.call(t, "GET", "/credentials/"+url.PathEscape(e.CredentialID), tok, nil, &cert); st != 200 {
			t.Fatalf("read certificate: %d", st)
		}
		if cert.AnchorReceipt != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if cert.AnchorReceipt == nil {
		t.Fatal("certificate not anchored within 30s")
	}
	var res credential.Result
	if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": cert.VerifiableCredential}, &res); st != 200 || !res.Verified {
		t.Fatalf("verify certificate: %d %+v", st, res)
	}
	var vc struct {
		Type              []string `json:"type"`
		CredentialSubject struct {
			ID     string `json:"id"`
			Course struct {
				Hours int `json:"hours"`
			} `json:"course"`
		} `json:"credentialSubject"`
	}
	if err := json.Unmarshal(cert.VerifiableCredential, &vc); err != nil {
		t.Fatal(err)
	}
	if vc.CredentialSubject.ID != learner || vc.CredentialSubject.Course.Hours != 40 || vc.Type[len(vc.Type)-1] != "TrainingCertificateCredential" {
		t.Fatalf("certificate %s", cert.VerifiableCredential)
	}
}

// TestOfferOverHTTP walks the OpenID4VCI pre-authorized code flow as a
// wallet would: offer with a PIN → metadata → token → credential, and the
// one-time rules (a wrong PIN, a replayed code, a replayed access token).
func TestOfferOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "民大", map[string]any{"credentialType": "DegreeCredential"})
	_, otherTok := n.newOrg(t, "外经贸", map[string]any{"credentialType": "DegreeCredential"})
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"), &iss); st != 201 {
		t.Fatalf("issue: %d", st)
	}
	offerPath := "/credentials/" + url.PathEscape(iss.CredentialID) + "/offers"
	if st := n.call(t, "POST", offerPath, otherTok, map[string]any{}, nil); st != http.StatusNotFound {
		t.Fatalf("another organisation offers it: %d, want 404", st)
	}
	var offer struct {
		ID              string `json:"id"`
		Code            string `json:"code"`
		TxCode          string `json:"txCode"`
		URI             string `json:"uri"`
		CredentialOffer struct {
			CredentialIssuer string `json:"credential_issuer"`
			Grants           map[string]struct {
				Code string `json:"pre-authorized_code"`
			} `json:"grants"`
		} `json:"credentialOffer"`
	}
	if st := n.call(t, "POST", offerPath, tok, map[string]any{"txCode": true, "expiresIn": "1h"}, &offer); st != http.StatusCreated || offer.Code == "" || len(offer.TxCode) != 6 {
		t.Fatalf("offer: %d %+v", st, offer)
	}
	if !strings.HasPrefix(offer.URI, "openid-credential-offer://?credential_offer=") || offer.CredentialOffer.CredentialIssuer != n.base ||
		offer.CredentialOffer.Grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"].Code != offer.Code {
		t.Fatalf("offer shape %+v", offer)
	}
	var info map[string]any
	if st := n.call(t, "GET", "/offers/"+offer.ID, "", nil, &info); st != 200 || info["txCodeRequired"] != true {
		t.Fatalf("offer info: %d %v", st, info)
	}
	var meta map[string]any
	if st := n.call(t, "GET", "/.well-known/openid-credential-issuer", "", nil, &meta); st != 200 || meta["credential_endpoint"] != n.base+"/oid4vci/credential" {
		t.Fatalf("metadata: %d %v", st, meta)
	}

	token := func(code, pin string) (int, map[string]any) {
		form := url.Values{"grant_type": {"urn:ietf:params:oauth:grant-type:pre-authorized_code"}, "pre-authorized_code": {code}, "tx_code": {pin}}
		resp, err := http.PostForm(n.base+"/oid4vci/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	wrong := "000000"
	if offer.TxCode == wrong {
		wrong = "111111"
	}
	if st, out := token(offer.Code, wrong); st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("wrong PIN: %d %v", st, out)
	}
	st, out := token(offer.Code, offer.TxCode)
	access, _ := out["access_token"].(string)
	if st != 200 || access == "" || out["token_type"] != "Bearer" {
		t.Fatalf("token: %d %v", st, out)
	}
	if st, out := token(offer.Code, offer.TxCode); st != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("replayed code: %d %v", st, out)
	}

	fetch := func() (int, []byte) {
		req, _ := http.NewRequest("POST", n.base+"/oid4vci/credential", strings.NewReader(`{"credential_configuration_id":"DegreeCredential_ldp_vc"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+access)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, raw
	}
	st, raw := fetch()
	var cr struct {
		Credentials []struct {
			Credential json.RawMessage `json:"credential"`
		} `json:"credentials"`
		AnchorReceipt *credential.AnchorReceipt `json:"anchorReceipt"`
	}
	if err := json.Unmarshal(raw, &cr); st != 200 || err != nil || len(cr.Credentials) != 1 || cr.AnchorReceipt == nil {
		t.Fatalf("credential: %d %s", st, raw)
	}
	if !bytes.Equal(cr.Credentials[0].Credential, iss.VerifiableCredential) {
		t.Fatal("the delivered credential differs from the issued one")
	}
	if st, raw := fetch(); st != http.StatusUnauthorized || !strings.Contains(string(raw), "invalid_token") {
		t.Fatalf("replayed access token: %d %s", st, raw)
	}
}

// TestPendingCompletionRetried: a completion whose certificate the issuer
// refuses (the provider is not accredited yet) stays pending (202), and the
// background retry issues it once the accreditation arrives.
func TestPendingCompletionRetried(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	did, tok := n.newOrg(t, "农大", map[string]any{"credentialType": "DegreeCredential"})
	learner := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	if st := n.call(t, "POST", "/courses", tok, map[string]any{
		"code": "AG-1", "title": map[string]string{"zh": "智慧农业", "en": "Smart Farming"}, "hours": 16, "sector": "agritech", "skills": []string{"iot"},
		"status": "open", "certificate": "TrainingCertificateCredential",
	}, nil); st != http.StatusCreated {
		t.Fatalf("create course: %d", st)
	}
	base := "/courses/" + did + "/AG-1/enrolments"
	n.call(t, "POST", base, tok, map[string]string{"learner": learner}, nil)
	n.call(t, "POST", base+"/"+learner+"/result", tok, map[string]any{"outcome": "pass"}, nil)
	var e struct {
		Status       string `json:"status"`
		CredentialID string `json:"credentialId"`
	}
	if st := n.call(t, "POST", base+"/"+learner+"/completion", tok, nil, &e); st != http.StatusAccepted || e.Status != "completing" {
		t.Fatalf("completion by an unaccredited provider: %d %+v", st, e)
	}
	if got, err := n.app.retryCompletionsOnce(t.Context()); got != 0 || err == nil {
		t.Fatalf("retry before accreditation: %d, %v", got, err)
	}
	if st := n.call(t, "POST", "/admin/orgs/"+did+"/accreditations", n.admin, map[string]any{"credentialType": "TrainingCertificateCredential"}, nil); st != 200 {
		t.Fatalf("accredit: %d", st)
	}
	if got, err := n.app.retryCompletionsOnce(t.Context()); got != 1 || err != nil {
		t.Fatalf("retry after accreditation: %d, %v", got, err)
	}
	if st := n.call(t, "GET", base+"/"+learner, tok, nil, &e); st != 200 || e.Status != "completed" || e.CredentialID == "" {
		t.Fatalf("after retry: %d %+v", st, e)
	}
}
