package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/talentchain/talentchain/wallet"
)

// hrSignIn signs in to the console as a verifier with its token.
func (b *browser) hrSignIn(token string) {
	b.t.Helper()
	b.open("/login")
	b.click(`input[name=role][value=verifier]`)
	b.fill("#f-token", token)
	b.nav("#login-submit")
	b.run("signed in", chromedp.WaitVisible(".hr-subnav", chromedp.ByQuery)) // the console's overview
}

// hrFetch fetches path from the page (with its cookies) and returns the
// status and body text.
func (b *browser) hrFetch(path string) (int, string) {
	b.t.Helper()
	var res struct {
		Status int    `json:"status"`
		Body   string `json:"body"`
		Type   string `json:"type"`
	}
	js := `fetch(` + jsString(path) + `, {credentials: "same-origin"}).then(r => r.text().then(t => ({status: r.status, body: t, type: r.headers.get("Content-Type")})))`
	b.run("fetch "+path, chromedp.Evaluate(js, &res, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return res.Status, res.Body
}

func jsString(s string) string {
	raw, _ := json.Marshal(s)
	return string(raw)
}

// hrCheck ticks a checkbox by clicking it.
func (b *browser) hrCheck(sel string) {
	b.t.Helper()
	b.press(sel)
}

// TestBrowserHRConsole: a verifier account made through the admin API signs
// in; it asks for a master's degree with two claims, sees the request's QR
// code and the waiting state; the holder answers through the wallet's JSON
// API and the page shows the accepted result with the disclosed claims
// without a reload; a batch of three items gives a table (valid, not valid,
// no verdict) and its CSV; a malformed policy rule is refused with its line
// and column beside it; the fixed policy evaluates a presentation to
// eligible with the signed decision downloadable; a result's PDF report
// downloads and reads the verdict; an account without the policy right is
// told why and what to do.
func TestBrowserHRConsole(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, orgTok := n.newOrg(t, "华东理工", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master", "doctor"}})
	_, hrTok := n.newVerifierAccount(t, "人才办核验组", true)

	// A student with a master's degree in the wallet.
	student := newHolder(t, n.base, "liming")
	iss := n.issueDegree(t, orgTok, student.did)
	file := map[string]any{"credential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt}
	var held wallet.Credential
	if st, raw := student.do(t, "POST", "/wallet/credentials/import", file, true, &held); st != http.StatusCreated {
		t.Fatalf("import: %d %s", st, raw)
	}

	b := newBrowser(t, n.base)
	b.hrSignIn(hrTok)
	if got := b.text("h1"); got != "核验方工作台" {
		t.Fatalf("after sign-in h1 = %q", got)
	}
	if !strings.Contains(b.text("#hr-no-requests"), "还没有出示请求") {
		t.Fatal("empty overview says nothing about requests")
	}
	b.shot("overview-zh")

	// 1. A presentation request: master's degree, name and field of study.
	b.open("/hr/requests?lang=en")
	if got := b.text("h1"); got != "New presentation request" {
		t.Fatalf("request form h1 = %q", got)
	}
	b.fill("#f-purpose-zh", "核验应聘者学位")
	b.fill("#f-purpose-en", "Check the applicant's degree")
	b.nav("#hr-request-submit") // no type chosen: refused beside the types
	if a := b.text(".alert"); !strings.Contains(a, "credential type") {
		t.Fatalf("empty request alert %q", a)
	}
	if e := b.text("#err-types"); !strings.Contains(e, "at least one") {
		t.Fatalf("types error %q", e)
	}
	b.shot("request-refused")
	b.hrCheck("#type-master-degree")
	b.hrCheck(`input[name="claim.master-degree"][value="fullName"]`)
	b.hrCheck(`input[name="claim.master-degree"][value="degree.fieldOfStudy"]`)
	b.run("expiry", chromedp.SetValue("#f-expiry", "1h", chromedp.ByQuery))
	b.shot("request-form")
	b.nav("#hr-request-submit")
	if got := b.text("#hr-purpose"); got != "Check the applicant's degree" {
		t.Fatalf("request page purpose %q", got)
	}
	if n := b.count("#hr-qr svg path"); n == 0 {
		t.Fatal("no QR code on the request page")
	}
	link := b.attr("#hr-link", "value")
	if !strings.HasPrefix(link, n.base+"/requests/") {
		t.Fatalf("request link %q", link)
	}
	if wl := b.attr("#hr-wallet-link", "href"); wl != "/my/requests?request="+url.QueryEscape(link) {
		t.Fatalf("wallet link %q", wl)
	}
	if asked := b.text("#hr-asked"); !strings.Contains(asked, "Name") || !strings.Contains(asked, "Field of study") {
		t.Fatalf("asked claims %q", asked)
	}
	if w := b.text("#hr-waiting"); !strings.Contains(w, "Waiting for the holder") {
		t.Fatalf("waiting state %q", w)
	}
	if b.attr("#hr-answer", "data-poll") == "" {
		t.Fatal("the answer part does not refresh itself")
	}
	b.shot("request-waiting")

	// 2. The holder answers through the wallet's JSON API; the page shows
	// the result by itself (data-poll), without a reload.
	var view wallet.RequestView
	if st, raw := student.do(t, "GET", "/wallet/requests?url="+url.QueryEscape(link), nil, false, &view); st != 200 || !view.Satisfied || len(view.Descriptors) != 1 {
		t.Fatalf("wallet fetches the request: %d %s", st, raw)
	}
	consent := map[string]any{"requestId": view.ID, "selections": []map[string]string{{"descriptorId": view.Descriptors[0].ID, "credentialId": held.ID}}}
	var resp wallet.Response
	if st, raw := student.do(t, "POST", "/wallet/requests/respond", consent, true, &resp); st != 200 || resp.Status != 200 {
		t.Fatalf("respond: %d %s", st, raw)
	}
	b.waitText("#hr-answer", "Accepted", 60*time.Second)
	if v := b.attr("#hr-answer #verdict", "data-verdict"); v != "pass" {
		t.Fatalf("answer verdict %q (%s)", v, b.text("#hr-answer"))
	}
	if claims := b.text("#hr-answer .credential-result #claims"); !strings.Contains(claims, "Li Si") || !strings.Contains(claims, "Blockchain Engineering") {
		t.Fatalf("disclosed claims %q", claims)
	}
	b.shot("request-answered")
	b.open("/hr")
	if row := b.text("#hr-requests tbody tr"); !strings.Contains(row, "Answered") || !strings.Contains(row, "Passed") {
		t.Fatalf("overview row %q", row)
	}
	b.shot("overview-answered")

	// 3. A batch of three: the degree with its receipt, a tampered copy,
	// and an object that is no credential.
	var vc map[string]any
	json.Unmarshal(iss.VerifiableCredential, &vc)
	vc["credentialSubject"].(map[string]any)["graduationDate"] = "2020-06-30"
	forged, _ := json.Marshal(vc)
	batch, _ := json.Marshal([]any{
		map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt},
		json.RawMessage(forged),
		"not a credential at all",
	})
	path := filepath.Join(t.TempDir(), "applicants.json")
	if err := os.WriteFile(path, batch, 0o600); err != nil {
		t.Fatal(err)
	}
	b.open("/hr/batch")
	b.upload("#f-batch", path)
	b.shot("batch-form")
	b.nav("#hr-batch-submit")
	if c := b.text("#hr-batch-counts"); !strings.Contains(c, "3 items: 1 valid, 0 with warnings, 1 not valid, 1 without a verdict") {
		t.Fatalf("batch counts %q", c)
	}
	for i, want := range []string{"pass", "fail", "skip"} {
		sel := `#hr-batch-table tr[data-index="` + string(rune('0'+i)) + `"] .state`
		if got := b.attr(sel, "data-state"); got != want {
			t.Errorf("row %d state %q, want %q", i, got, want)
		}
	}
	if failed := b.text(`#hr-batch-table tr[data-index="1"]`); !strings.Contains(failed, "Signature") {
		t.Errorf("tampered row does not name the signature: %q", failed)
	}
	b.shot("batch-results")
	st, csv := b.hrFetch(b.attr("#hr-batch-csv", "href"))
	lines := strings.Split(strings.TrimSpace(csv), "\n")
	if st != 200 || len(lines) != 4 || !strings.Contains(lines[0], "index,kind,state") || !strings.Contains(lines[1], ",valid,") || !strings.Contains(lines[2], ",invalid,") {
		t.Fatalf("batch CSV %d:\n%s", st, csv)
	}

	// 4. A policy whose rule does not compile: refused with line and column.
	b.open("/hr/policies")
	b.nav("#hr-policy-new")
	b.fill("#f-pol-id", "master-talent")
	b.fill("#f-pol-name-zh", "硕士人才认定")
	b.fill("#f-pol-name-en", "Master's talent")
	b.fill(`[id="f-rule.0.id"]`, "master")
	b.fill(`[id="f-rule.0.name.en"]`, "A master's degree")
	b.fill(`[id="f-rule.0.expr"]`, "credentials.exists(c,\n  c.level == )")
	b.nav("#hr-policy-save")
	errSel := `[id="e-rule.0.expr"]`
	if line := b.attr(errSel, "data-line"); line != "2" {
		t.Fatalf("compile error line %q (%s)", line, b.text("main"))
	}
	if msg := b.text(errSel); !strings.Contains(msg, "Line 2, column") {
		t.Fatalf("compile error text %q", msg)
	}
	if a := b.text(".alert"); !strings.Contains(a, "not saved") {
		t.Fatalf("refused policy alert %q", a)
	}
	b.shot("policy-malformed")
	b.fill(`[id="f-rule.0.expr"]`, "credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'master')")
	b.nav("#hr-policy-save")
	if f := b.text(".flash"); !strings.Contains(f, "master-talent v1") {
		t.Fatalf("saved flash %q", f)
	}
	if row := b.text(`#hr-policies tr[data-policy="master-talent"]`); !strings.Contains(row, "Master's talent") {
		t.Fatalf("policy row %q", row)
	}
	b.shot("policy-saved")

	// 5. The policy evaluates a presentation to eligible.
	hk := newHolderKey(t)
	iss2 := n.issueDegree(t, orgTok, hk.did)
	vp := hk.present(t, "hr-console-1", "hr.example.cn", iss2.VerifiableCredential)
	doc, _ := json.Marshal(map[string]any{"verifiablePresentation": vp, "anchorReceipts": []any{iss2.AnchorReceipt}})
	b.open("/hr/policies/evaluate?policy=master-talent")
	b.fill("#f-eval-doc", string(doc))
	b.shot("evaluate-form")
	b.nav("#hr-eval-submit")
	if e := b.attr("#hr-eligible", "data-eligible"); e != "true" {
		t.Fatalf("decision eligible=%q (%s)", e, b.text("main"))
	}
	if st := b.attr(`#hr-rules tr[data-rule="master"] .state`, "data-state"); st != "pass" {
		t.Fatalf("rule state %q", st)
	}
	b.shot("decision-eligible")
	st, dc := b.hrFetch(b.attr("#hr-decision-download", "href"))
	if st != 200 || !strings.Contains(dc, "PolicyDecisionCredential") || !strings.Contains(dc, hk.did) || !strings.Contains(dc, `"proof"`) {
		t.Fatalf("decision credential %d %s", st, dc)
	}

	// 6. The PDF report of a result page, in English and in Chinese.
	wrapped, _ := json.Marshal(map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt})
	b.open("/verify?lang=en")
	b.fill("#f-document", string(wrapped))
	b.nav("#verify-submit")
	pdfHref := b.attr("#report-pdf", "href")
	if !strings.HasSuffix(pdfHref, "/report.pdf") {
		t.Fatalf("PDF link %q", pdfHref)
	}
	b.shot("result-with-pdf")
	text := hrPDFText(t, n.base+pdfHref, "en", b.shots)
	for _, want := range []string{"Valid: every check passed", "Signature", "Li Si"} {
		if !strings.Contains(text, want) {
			t.Errorf("English PDF lacks %q:\n%s", want, text)
		}
	}
	text = hrPDFText(t, n.base+pdfHref, "zh", b.shots)
	if !strings.Contains(text, "有效") || !strings.Contains(text, "李四") {
		t.Errorf("Chinese PDF lacks the verdict or the name:\n%s", text)
	}

	// The share link's page has its report too, verified live.
	var sh wallet.Share
	if st, raw := student.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{held.ID}, "label": "HR", "expiresIn": "1h"}, true, &sh); st != http.StatusCreated {
		t.Fatalf("share: %d %s", st, raw)
	}
	token := sh.URL[strings.LastIndex(sh.URL, "/share/")+len("/share/"):]
	b.open("/s/" + token)
	if href := b.attr("#report-pdf", "href"); href != "/s/"+token+"/report.pdf" {
		t.Fatalf("share page PDF link %q", href)
	}
	b.shot("share-with-pdf")
	text = hrPDFText(t, n.base+"/s/"+token+"/report.pdf", "en")
	for _, want := range []string{"Verified through the holder's share link", "Valid: every check passed", "Credential 1"} {
		if !strings.Contains(text, want) {
			t.Errorf("share PDF lacks %q:\n%s", want, text)
		}
	}

	// 7. An account without the policy right is told why and what to do.
	_, plainTok := n.newVerifierAccount(t, "ACME HR", false)
	b.nav("#logout")
	b.run("signed out", chromedp.WaitVisible("section.roles", chromedp.ByQuery)) // the home page
	b.hrSignIn(plainTok)
	b.open("/hr/policies")
	if a := b.text("#hr-no-policy-right"); !strings.Contains(a, "may not write") || !strings.Contains(a, "governance office") {
		t.Fatalf("no-right note %q", a)
	}
	b.shot("policies-no-right")
	b.open("/hr/policies/new")
	if a := b.text(".alert"); !strings.Contains(a, "governance office") {
		t.Fatalf("new policy without the right: %q", a)
	}
}

// hrPDFText downloads a PDF report in lang and returns pdftotext's text.
func hrPDFText(t *testing.T, u, lang string, keepDir ...string) string {
	t.Helper()
	pdftotext, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("no pdftotext: apt-get install poppler-utils")
		}
		t.Skip("no pdftotext (apt-get install poppler-utils)")
	}
	resp, err := http.Get(u + "?lang=" + lang)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(raw, []byte("%PDF")) {
		t.Fatalf("PDF report: %d %s %.200q", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") {
		t.Fatalf("PDF Content-Disposition %q", cd)
	}
	dir := t.TempDir()
	if len(keepDir) > 0 {
		dir = keepDir[0] // kept as an artefact beside the screenshots
	}
	path := filepath.Join(dir, "report-"+lang+".pdf")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
