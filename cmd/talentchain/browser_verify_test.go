package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserVerifyPublic: anyone pastes a credential into /verify and reads
// a green result with every check; a tampered copy is red on the signature;
// after the issuer revokes it the same credential is red on its status.
func TestBrowserVerifyPublic(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "北京理工", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master", "doctor"}})
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"), &iss); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	wrapped, _ := json.Marshal(map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt})

	b := newBrowser(t, n.base)
	b.open("/verify?lang=en")
	b.fill("#f-document", string(wrapped))
	b.shot("pasted")
	b.nav("#verify-submit")
	if v := b.attr("#verdict", "data-verdict"); v != "pass" {
		b.shot("unexpected")
		t.Fatalf("verdict %q, want pass (%s)", v, b.text("main"))
	}
	if got := b.text("#verdict"); !strings.Contains(got, "Valid") {
		t.Fatalf("verdict text %q", got)
	}
	checks := b.text("table.checks")
	for _, want := range []string{"Signature", "Issuer accreditation", "Chain anchor", "Revocation and suspension"} {
		if !strings.Contains(checks, want) {
			t.Errorf("checks table lacks %q: %s", want, checks)
		}
	}
	if claims := b.text("#claims"); !strings.Contains(claims, "Degree") {
		t.Errorf("claims: %q", claims)
	}
	b.shot("valid")
	resultURL := b.location()

	// The same result in Chinese.
	b.nav("#lang-switch")
	if got := b.text("#verdict"); !strings.Contains(got, "有效") {
		t.Fatalf("zh verdict %q", got)
	}
	b.shot("valid-zh")

	// A tampered copy: the grade changed after signing.
	var vc map[string]any
	json.Unmarshal(iss.VerifiableCredential, &vc)
	subj := vc["credentialSubject"].(map[string]any)
	subj["degree"].(map[string]any)["grade"] = "A+"
	subj["graduationDate"] = "2020-06-30"
	forged, _ := json.Marshal(vc)
	b.open("/verify?lang=en")
	b.fill("#f-document", string(forged))
	b.nav("#verify-submit")
	if v := b.attr("#verdict", "data-verdict"); v != "fail" {
		t.Fatalf("tampered verdict %q, want fail", v)
	}
	if st := b.attr(`tr[data-step="proof"] .state`, "data-state"); st != "fail" {
		t.Fatalf("proof step of a tampered credential is %q", st)
	}
	b.shot("tampered")

	// Revoked by the issuer: the kept page is a snapshot; a new check is red
	// (verifiers cache status lists for a moment, so wait for it over the API).
	if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
		"credentialId":     iss.CredentialID,
		"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
		"reason":           "degree withdrawn",
	}, nil); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var res struct {
			Verified bool `json:"verified"`
		}
		n.call(t, "POST", "/credentials/verify", "", json.RawMessage(wrapped), &res)
		if !res.Verified {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("still verified 30 s after revocation")
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.open("/verify?lang=en")
	b.fill("#f-document", string(wrapped))
	b.nav("#verify-submit")
	if v := b.attr("#verdict", "data-verdict"); v != "fail" {
		t.Fatalf("revoked verdict %q, want fail", v)
	}
	if st := b.attr(`tr[data-step="status"] .state`, "data-state"); st != "fail" {
		t.Fatalf("status step of a revoked credential is %q", st)
	}
	b.shot("revoked")

	// Nothing pasted: an alert that says what to do.
	b.open("/verify?lang=en")
	b.nav("#verify-submit")
	if a := b.text(".alert"); !strings.Contains(a, "Paste a credential") {
		t.Fatalf("empty submit alert %q", a)
	}
	// The earlier result page still answers (kept for an hour).
	b.run("reopen", chromedp.Navigate(resultURL), chromedp.WaitReady("body", chromedp.ByQuery))
	if v := b.attr("#verdict", "data-verdict"); v != "pass" {
		t.Fatalf("kept result %q", v)
	}
}
