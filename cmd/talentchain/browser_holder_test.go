package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
)

// Browser tests of the holder's wallet pages (/my): a student signs up,
// accepts an offer the university made through the API, sees the card,
// opens it, downloads the certificate, shares it, revokes the link, backs
// the wallet up and restores it into a new account.

// holderDownloads makes the browser save downloads into a fresh folder, which it
// returns.
func (b *browser) holderDownloads() string {
	b.t.Helper()
	dir := b.t.TempDir()
	b.run("download folder", cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorAllow).WithDownloadPath(dir))
	return dir
}

// holderWaitFile waits for a finished download whose name ends with suffix.
func holderWaitFile(t *testing.T, dir, suffix string) []byte {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), suffix) {
				raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil && len(raw) > 0 {
					return raw
				}
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("no %s download in %s", suffix, dir)
	return nil
}

// holderSignUp opens a wallet in the browser and returns the holder's DID.
func holderSignUp(t *testing.T, b *browser, username, pass string) string {
	t.Helper()
	b.open("/my/signup")
	b.fill("#f-username", username)
	b.fill("#f-password", pass)
	b.fill("#f-password2", pass)
	b.nav("#signup-submit")
	if got := b.text(".flash"); !strings.Contains(got, "钱包已开通") {
		t.Fatalf("after sign-up flash = %q", got)
	}
	did := b.text(".holder-did code")
	if !strings.HasPrefix(did, "did:key:") {
		t.Fatalf("holder DID = %q", did)
	}
	return did
}

func TestBrowserHolderJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "钱包", map[string]any{"credentialType": "DegreeCredential"})
	b := newBrowser(t, n.base)
	dl := b.holderDownloads()
	const pass = "violet orbit 7319 lantern"

	// Sign up: the empty wallet says how to get a credential.
	did := holderSignUp(t, b, "zhangsan", pass)
	if got := b.text("#wallet-empty"); !strings.Contains(got, "领取链接") {
		t.Fatalf("empty state = %q", got)
	}
	b.shot("signed-up-empty-wallet")

	// Sign out through the layout's form, then sign in again; a wrong
	// password is refused with a next step.
	b.click("#logout")
	b.waitText(".flash", "已退出", 10*time.Second)
	b.fill("#f-username", "zhangsan")
	b.fill("#f-password", "not the password at all")
	b.nav("#holder-login-submit")
	if got := b.text(".alert"); !strings.Contains(got, "用户名或密码不正确") || !strings.Contains(got, "下一步") {
		t.Fatalf("wrong password alert = %q", got)
	}
	b.shot("login-refused")
	b.fill("#f-username", "zhangsan")
	b.fill("#f-password", pass)
	b.nav("#holder-login-submit")
	b.waitText("h1", "我的凭证", 10*time.Second)

	// The university issues a degree to this holder and offers it (with a
	// PIN) through its HTTP API; the holder opens the offer as a QR would.
	uri, pin, _ := offerTo(t, n, tok, did)
	b.open("/my/offers?offer=" + url.QueryEscape(uri))
	if got := b.text("#offer-items"); !strings.Contains(got, "学位") {
		t.Fatalf("offer preview items = %q", got)
	}
	if got := b.text("#offer-issuer"); !strings.Contains(got, n.base) || !strings.Contains(got, "本平台") {
		t.Fatalf("offer preview issuer = %q", got)
	}
	b.shot("offer-preview")
	wrong := "000000"
	if pin == wrong {
		wrong = "111111"
	}
	b.fill("#f-txCode", wrong)
	b.nav("#offer-accept")
	if got := b.text(".alert"); !strings.Contains(got, "领取码") {
		t.Fatalf("wrong PIN alert = %q", got)
	}
	b.shot("offer-wrong-pin")
	b.fill("#f-txCode", pin)
	b.nav("#offer-accept")
	if got := b.text(".flash"); !strings.Contains(got, "存入钱包") {
		t.Fatalf("after accepting flash = %q", got)
	}
	if got := b.text("#credential-title"); got != "工学硕士" {
		t.Fatalf("credential title = %q", got)
	}
	credPath := strings.TrimPrefix(b.location(), n.base)
	credPath = credPath[:strings.IndexAny(credPath+"?", "?")]

	// The card shows it valid, with the issuer's registered name.
	b.open("/my")
	if got := b.attr(".holder-card .badge", "data-status"); got != "valid" {
		t.Fatalf("card status = %q", got)
	}
	if got := b.text(".holder-card .badge"); got != "有效" {
		t.Fatalf("card badge = %q", got)
	}
	if got := b.text(".holder-card .holder-issuer"); got != "钱包大学" {
		t.Fatalf("card issuer = %q", got)
	}
	b.shot("wallet-card-valid")

	// Open it: claims labelled in Chinese, issuer accredited, anchor.
	b.nav(".holder-card h2 a")
	claims := b.text("#claims")
	for _, want := range []string{"专业", "区块链工程", "毕业日期", "2026年6月30日", "姓名", "李四"} {
		if !strings.Contains(claims, want) {
			t.Fatalf("claims table lacks %q: %q", want, claims)
		}
	}
	if got := b.text("#issuer-name"); got != "钱包大学" {
		t.Fatalf("issuer name = %q", got)
	}
	if got := b.attr("#issuer .state", "data-state"); got != "pass" {
		t.Fatalf("issuer accreditation state = %q", got)
	}
	if h, err := strconv.Atoi(b.text("#anchor-height")); err != nil || h <= 0 {
		t.Fatalf("anchor height = %v %v", h, err)
	}
	b.shot("credential-detail")

	// The certificate PDF: Chinese text, and a share link for its QR.
	b.press("#certificate")
	pdf := holderWaitFile(t, dl, ".pdf")
	if !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("certificate is not a PDF: %q", pdf[:min(len(pdf), 20)])
	}
	if _, err := exec.LookPath("pdftotext"); err == nil {
		f := filepath.Join(t.TempDir(), "c.pdf")
		os.WriteFile(f, pdf, 0o600)
		out, err := exec.Command("pdftotext", f, "-").Output()
		if err != nil || !strings.Contains(string(out), "工学硕士") || !strings.Contains(string(out), "/s/") {
			t.Fatalf("certificate text (%v): %s", err, out)
		}
	}

	// Share it: the link and its QR code are shown once.
	b.open(credPath)
	b.nav("#share-credential")
	if b.count("#share-form input[type=checkbox]:checked") != 1 {
		t.Fatal("the credential is not preselected in the share form")
	}
	b.shot("share-form")
	b.nav("#share-create")
	pageURL := b.attr("#share-url", "value")
	if !strings.HasPrefix(pageURL, n.base+"/s/") {
		t.Fatalf("share page URL = %q", pageURL)
	}
	if b.count("#share-qr svg path") != 1 {
		t.Fatal("no inline SVG QR code")
	}
	dataURL := b.text("#share-data-url")
	token := strings.TrimPrefix(pageURL, n.base+"/s/")
	if dataURL != n.base+"/share/"+token {
		t.Fatalf("data URL %q does not match the page's token %q", dataURL, token)
	}
	b.shot("share-created")

	// A stranger opens it: the JSON share answers with the credential;
	// the public page, when it exists, shows it without an error.
	st, body := holderGet(t, dataURL)
	if st != 200 || !strings.Contains(body, "区块链工程") {
		t.Fatalf("shared JSON: %d %.200s", st, body)
	}
	if st, _ := holderGet(t, pageURL); st == 200 {
		b2 := newBrowser(t, n.base)
		b2.open("/s/" + token)
		if b2.count(".alert") != 0 {
			t.Fatalf("public page shows an error: %q", b2.text(".alert"))
		}
		if got := b2.text("main"); !strings.Contains(got, "区块链工程") || !strings.Contains(got, "钱包大学") {
			t.Fatalf("public page does not show the credential: %.300q", got)
		}
		b2.shot("public-share-page")
	} else {
		t.Logf("no public /s/ page yet (%d): checked the JSON share only", st)
	}

	// The holder sees the openings, then revokes the link.
	b.nav("#share-manage")
	if got := b.text("#share-opened"); got == "0" {
		t.Fatalf("openings = %q", got)
	}
	if b.count("#share-log tbody tr") == 0 {
		t.Fatal("empty access log")
	}
	b.shot("share-log")
	b.nav("#share-revoke")
	if got := b.text(".flash"); !strings.Contains(got, "已撤销") {
		t.Fatalf("after revoking flash = %q", got)
	}
	if got := b.attr("[data-share-status]", "data-share-status"); got != "revoked" {
		t.Fatalf("share status = %q", got)
	}
	if st, _ := holderGet(t, dataURL); st != http.StatusGone {
		t.Fatalf("revoked share answers %d", st)
	}
	b.shot("share-revoked")

	// Language switch on the wallet page.
	b.open("/my")
	b.click("#lang-switch")
	b.waitText("h1", "My credentials", 10*time.Second)
	if got := b.text(".holder-card .badge"); got != "Valid" {
		t.Fatalf("English badge = %q", got)
	}
	if got := b.text(".holder-card .holder-issuer"); got != "钱包 University" {
		t.Fatalf("English issuer = %q", got)
	}
	b.shot("wallet-english")
	b.click("#lang-switch")

	// Backup: passphrase twice, download the encrypted file.
	b.open("/my/backup")
	b.fill("#f-passphrase", pass+" backup")
	b.fill("#f-passphrase2", pass+" backup")
	b.press("#backup-submit")
	backup := holderWaitFile(t, dl, ".tcwbak")
	if !bytes.HasPrefix(backup, []byte("TCWBAK")) {
		t.Fatalf("backup header %q", backup[:min(len(backup), 8)])
	}
	b.shot("backup")

	// Restore into a new account: a wrong passphrase changes nothing.
	file := filepath.Join(t.TempDir(), "wallet.tcwbak")
	if err := os.WriteFile(file, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	b.click("#logout")
	b.waitText(".flash", "已退出", 10*time.Second)
	holderSignUp(t, b, "lisi", pass)
	b.open("/my/backup")
	b.upload("#f-backup", file)
	b.fill("#f-restorePassphrase", "a wrong passphrase 42")
	b.nav("#restore-submit")
	if got := b.text(".alert"); !strings.Contains(got, "口令错误") || !strings.Contains(got, "没有任何更改") {
		t.Fatalf("wrong passphrase alert = %q", got)
	}
	b.shot("restore-wrong-passphrase")
	b.open("/my")
	if b.count(".holder-card") != 0 {
		t.Fatal("a refused restore changed the wallet")
	}
	b.open("/my/backup")
	b.upload("#f-backup", file)
	b.fill("#f-restorePassphrase", pass+" backup")
	b.nav("#restore-submit")
	if got := b.text(".flash"); !strings.Contains(got, "新增 1 份") {
		t.Fatalf("after restore flash = %q", got)
	}
	if got := b.text(".holder-card h2"); got != "工学硕士" {
		t.Fatalf("restored card = %q", got)
	}
	if got := b.text(".holder-did code"); got != did {
		t.Fatalf("restored DID = %q, want the backup's %q", got, did)
	}
	b.shot("restored")
}

// holderGet fetches u and returns the status and body.
func holderGet(t *testing.T, u string) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		var v any
		if json.Unmarshal(raw, &v) != nil {
			t.Fatalf("%s: invalid JSON", u)
		}
	}
	return resp.StatusCode, string(raw)
}

// TestBrowserHolderRequest: a credential imported from a file (pasted),
// then a verifier's presentation request opened by its link: who asks,
// why, exactly what would be sent; consent sends it and the result shows;
// a second request is declined and nothing is sent.
func TestBrowserHolderRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "核验", map[string]any{"credentialType": "DegreeCredential"})
	_, hrTok := n.newVerifierAccount(t, "ACME HR", false)
	b := newBrowser(t, n.base)
	did := holderSignUp(t, b, "wangwu", "violet orbit 7319 lantern")

	// Import: the credential file pasted into the form.
	iss := n.issueDegree(t, tok, did)
	file, err := json.Marshal(map[string]any{"credential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/my/offers#import")
	b.fill("#f-text", string(file))
	b.nav("#import-submit")
	if got := b.text(".flash"); !strings.Contains(got, "导入钱包") {
		t.Fatalf("after import flash = %q", got)
	}
	b.shot("imported")
	// The same file again: already held, with a next step.
	b.open("/my/offers#import")
	b.fill("#f-text", string(file))
	b.nav("#import-submit")
	if got := b.text(".alert"); !strings.Contains(got, "已经在你的钱包里") {
		t.Fatalf("second import alert = %q", got)
	}

	// The verifier asks; the holder opens the request link.
	var req requestAnswer
	if st := n.call(t, "POST", "/requests", hrTok, newRequestBody("10m"), &req); st != http.StatusCreated {
		t.Fatalf("create request: %d", st)
	}
	b.open("/my/requests?request=" + url.QueryEscape(req.URL))
	if got := b.text("#request-verifier"); got != n.base {
		t.Fatalf("verifier = %q", got)
	}
	// The verifier's own purpose is shown to the holder before consent.
	if got := b.text("#request-purpose"); !strings.Contains(got, "核验学位") {
		t.Fatalf("purpose line = %q, want the request's purpose", got)
	}
	if got := b.text(".holder-sent"); !strings.Contains(got, "区块链工程") || !strings.Contains(got, "李四") {
		t.Fatalf("what would be sent = %q", got)
	}
	b.shot("request-consent")
	b.nav("#consent")
	if got := b.text("#result-text"); !strings.Contains(got, "已接收") {
		t.Fatalf("result = %q", got)
	}
	b.shot("request-result")
	var result map[string]any
	if st := n.call(t, "GET", "/requests/"+req.ID+"/result", hrTok, nil, &result); st != 200 {
		t.Fatalf("verifier's result: %d", st)
	}
	if raw, _ := json.Marshal(result); !strings.Contains(string(raw), `"verified":true`) {
		t.Fatalf("verifier's result: %s", raw)
	}

	// A second request, declined: the verifier gets nothing.
	var req2 requestAnswer
	if st := n.call(t, "POST", "/requests", hrTok, newRequestBody("10m"), &req2); st != http.StatusCreated {
		t.Fatalf("create request: %d", st)
	}
	b.open("/my/requests?request=" + url.QueryEscape(req2.URL))
	b.nav("#decline")
	if got := b.text(".flash"); !strings.Contains(got, "没有发送任何内容") {
		t.Fatalf("after declining flash = %q", got)
	}
	b.shot("request-declined")
	var result2 map[string]any
	n.call(t, "GET", "/requests/"+req2.ID+"/result", hrTok, nil, &result2)
	if raw, _ := json.Marshal(result2); strings.Contains(string(raw), `"verified":true`) {
		t.Fatalf("a declined request was answered: %s", raw)
	}
}

// TestBrowserHolderSDJWTShare: an SD-JWT degree in the wallet is shared by
// link with two claims ticked (field of study, graduation date). The link
// carries exactly those two disclosures and a key binding for the link;
// the new link's page and its management page (in English too) name them;
// an HR person who pastes the link into the verification page sees the
// credential verified with those two claims and not the name, the degree's
// name or the grade.
func TestBrowserHolderSDJWTShare(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "披露", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	b := newBrowser(t, n.base)
	did := holderSignUp(t, b, "zhaoliu", "violet orbit 7319 lantern")

	// The university issues the degree as an SD-JWT VC bound to the
	// holder's key; the holder imports the file by pasting it.
	req := masterDegree(did)
	req["credential"].(map[string]any)["credentialSubject"].(map[string]any)["degree"].(map[string]any)["grade"] = "A"
	req["options"] = map[string]any{"format": "dc+sd-jwt"}
	iss := n.issueDegreeBody(t, tok, req)
	file, err := json.Marshal(map[string]any{"credential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt})
	if err != nil {
		t.Fatal(err)
	}
	b.open("/my/offers#import")
	b.fill("#f-text", string(file))
	b.nav("#import-submit")
	if got := b.text(".flash"); !strings.Contains(got, "导入钱包") {
		t.Fatalf("after import flash = %q", got)
	}
	credID := strings.TrimPrefix(b.location(), n.base+"/my/credentials/")
	credID = credID[:strings.IndexAny(credID+"?", "?")]

	// The share form: the credential chosen, its claims to tick, what is
	// always shown named as such.
	b.open("/my/shares?credential=" + credID)
	if b.count("#share-form input[name=credential]:checked") != 1 {
		t.Fatal("the SD-JWT credential is not preselected")
	}
	box := func(ptr string) string { return "input[name='disclose-" + credID + "'][value='" + ptr + "']" }
	for _, ptr := range []string{"/fullName", "/degree/grade", "/degree/degreeName", "/degree/fieldOfStudy", "/graduationDate"} {
		if b.count(box(ptr)) != 1 {
			t.Fatalf("no box to tick for %s", ptr)
		}
	}
	if got := b.text("#sd-" + credID + " .holder-sd-always"); !strings.Contains(got, "始终出示") || !strings.Contains(got, "硕士") {
		t.Fatalf("always-visible claims = %q", got)
	}
	b.press(box("/degree/fieldOfStudy"))
	b.press(box("/graduationDate"))
	b.shot("sdjwt-share-form")
	b.nav("#share-create")
	pageURL := b.attr("#share-url", "value")
	if !strings.HasPrefix(pageURL, n.base+"/s/") {
		t.Fatalf("share page URL = %q", pageURL)
	}
	if got := b.text("#share-disclosed"); got != "专业 · 毕业日期" {
		t.Fatalf("the new link reveals %q", got)
	}
	b.shot("sdjwt-share-created")
	dataURL := b.text("#share-data-url")

	// What the link gives software: the SD-JWT with exactly the two
	// disclosures, and a key binding JWT.
	st, body := holderGet(t, dataURL)
	var shared struct {
		Presentation string `json:"presentation"`
		Format       string `json:"format"`
	}
	if st != 200 || json.Unmarshal([]byte(body), &shared) != nil || shared.Format != "dc+sd-jwt" {
		t.Fatalf("shared JSON: %d %.300s", st, body)
	}
	parts := strings.Split(shared.Presentation, "~")
	var names []string
	for _, d := range parts[1 : len(parts)-1] {
		raw, err := base64.RawURLEncoding.DecodeString(d)
		var disc []any
		if err != nil || json.Unmarshal(raw, &disc) != nil || len(disc) != 3 {
			t.Fatalf("disclosure %q", d)
		}
		names = append(names, disc[1].(string))
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"fieldOfStudy", "graduationDate"}) || strings.Count(parts[len(parts)-1], ".") != 2 {
		t.Fatalf("disclosed %v; key binding %q", names, parts[len(parts)-1])
	}

	// The link's page, in English: which claims it reveals.
	b.nav("#share-manage")
	b.click("#lang-switch")
	b.waitText("#share-disclosed", "Field of study · Graduation date", 10*time.Second)
	b.shot("sdjwt-share-english")
	b.click("#lang-switch")

	// HR pastes the link into the verification page.
	hr := newBrowser(t, n.base)
	hr.open("/verify")
	hr.fill("#f-document", pageURL)
	hr.click("#verify-submit")
	if got := hr.attr("#verdict", "data-verdict"); got != "pass" {
		t.Fatalf("verdict = %q: %.500s", got, hr.text("main"))
	}
	main := hr.text("main")
	for _, want := range []string{"区块链工程", "2026年6月30日", "披露大学"} {
		if !strings.Contains(main, want) {
			t.Errorf("the HR page lacks %q", want)
		}
	}
	for _, hidden := range []string{"李四", "Li Si", "工学硕士", "成绩"} {
		if strings.Contains(main, hidden) {
			t.Errorf("the HR page shows %q, which the holder did not disclose", hidden)
		}
	}
	hr.shot("sdjwt-share-hr")
}
