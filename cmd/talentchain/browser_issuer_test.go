package main

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Helpers of the issuer and governance browser tests.

// fetchText GETs a same-origin URL from the page (with its cookies), as a
// download would, and returns the body.
func (b *browser) fetchText(href string) string {
	b.t.Helper()
	var body string
	b.run("fetch "+href, chromedp.Evaluate(fmt.Sprintf(`fetch(%q, {credentials: "same-origin"}).then(r => r.text())`, href), &body,
		func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }))
	return body
}

// count returns how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	b.run("count "+sel, chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll(%q).length`, sel), &n))
	return n
}

// signIn signs in to the console as staff (org, username, password) or,
// with org empty, as the governance office with the admin token.
func (b *browser) signIn(org, username, secret string) {
	b.t.Helper()
	b.open("/login")
	if org == "" {
		b.click(`input[name=role][value=gov]`)
		b.fill("#f-token", secret)
	} else {
		b.click(`input[name=role][value=staff]`)
		b.fill("#f-org", org)
		b.fill("#f-username", username)
		b.fill("#f-password", secret)
	}
	b.nav("#login-submit")
}

// degreeCSV writes a bachelor-degree CSV of n rows; bad names the rows
// (1-based) whose graduation date is not a date.
func degreeCSV(t *testing.T, n int, bad ...int) string {
	t.Helper()
	var sb strings.Builder
	sb.WriteString("key,fullName.zh,fullName.en,degree.degreeName.zh,degree.degreeName.en,degree.fieldOfStudy.zh,degree.fieldOfStudy.en,graduationDate\n")
	for i := 1; i <= n; i++ {
		date := "2026-06-30"
		for _, b := range bad {
			if b == i {
				date = "2026-13-45"
			}
		}
		fmt.Fprintf(&sb, "stu-%03d,学生%d,Student %d,工学学士,Bachelor of Engineering,计算机科学,Computer Science,%s\n", i, i, i, date)
	}
	p := filepath.Join(t.TempDir(), fmt.Sprintf("class-%d.csv", len(bad)))
	if err := os.WriteFile(p, []byte(sb.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestBrowserGovRegistersAnIssuer: the governance office signs in with the
// admin token, registers and accredits a university, creates a staff
// account and an API token (shown once), sees the chain's blocks,
// validators and anchors, and creates a verifier account.
func TestBrowserGovRegistersAnIssuer(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	n := startNode(t, cfg)
	b := newBrowser(t, n.base)

	b.signIn("", "", n.admin)
	if got := b.text("h1"); got != "签发机构管理" {
		t.Fatalf("gov home h1 = %q", got)
	}
	b.shot("gov-home-empty")

	b.fill("#f-nameZh", "北京理工示范大学")
	b.fill("#f-nameEn", "Beijing Demonstration Institute of Technology")
	b.run("kind", chromedp.SetValue("#f-kind", "university", chromedp.ByQuery))
	b.click(`input[name=type][value=DegreeCredential]`)
	b.shot("gov-register-form")
	b.nav("#register-submit")
	if got := b.text(".flash"); !strings.Contains(got, "已登记") {
		t.Fatalf("flash after registering = %q", got)
	}
	if got := b.text("#record-status"); got != "正常" {
		t.Fatalf("on-chain status = %q, want 正常 (active)", got)
	}
	did := b.text("#record-did")
	if !strings.HasPrefix(did, "did:talent:") {
		t.Fatalf("record DID = %q", did)
	}
	// The change made from the page is in the admin audit log, as an API
	// call's would be.
	var log struct {
		Entries []struct {
			Actor, Action, Target, Outcome string
		} `json:"entries"`
	}
	if st := n.call(t, "GET", "/admin/audit", n.admin, nil, &log); st != http.StatusOK {
		t.Fatalf("audit log: %d", st)
	}
	if !slices.ContainsFunc(log.Entries, func(e struct{ Actor, Action, Target, Outcome string }) bool {
		return e.Actor == "governance-console" && e.Action == "org.create" && e.Target == did && e.Outcome == "ok"
	}) {
		t.Fatalf("no audit entry for the page's registration of %s: %+v", did, log.Entries)
	}
	if got := b.text("#accreditations"); !strings.Contains(got, "学位证书") || !strings.Contains(got, "硕士") {
		t.Fatalf("accreditations = %q", got)
	}
	if got := b.text("#keys"); !strings.Contains(got, "当前密钥") {
		t.Fatalf("keys = %q", got)
	}
	b.shot("gov-org-registered")

	b.fill("#f-username", "registrar")
	b.fill("#f-name", "王老师")
	b.fill("#f-password", "correct horse battery 42")
	b.run("role", chromedp.SetValue("#f-role", "registrar", chromedp.ByQuery))
	b.nav("#staff-submit")
	if got := b.text("#staff"); !strings.Contains(got, "registrar") || !strings.Contains(got, "签发员") {
		t.Fatalf("staff table = %q", got)
	}
	b.shot("gov-staff-created")

	b.fill("#token-form #f-name", "教务系统")
	b.nav("#token-submit")
	var secret string
	b.run("secret", chromedp.Value("#secret-value", &secret, chromedp.ByQuery))
	if !strings.HasPrefix(secret, "tcit_") {
		t.Fatalf("token shown = %q", secret)
	}
	if got := b.text("#secret h2"); !strings.Contains(got, "教务系统") {
		t.Fatalf("secret heading = %q", got)
	}
	b.shot("gov-token-shown-once")
	// Shown once: the same address again says so and shows no secret.
	again, _, _ := strings.Cut(strings.TrimPrefix(b.location(), n.base), "#")
	b.open(again)
	if b.count("#secret-value") != 0 || !strings.Contains(b.text(".alert"), "只显示一次") {
		t.Fatal("the token was shown a second time")
	}

	// Rotate the key, suspend and reinstate: the record follows the chain.
	b.acceptConfirms()
	b.nav("#rotate-submit")
	if got := b.text(".flash"); !strings.Contains(got, "已轮换") {
		t.Fatalf("flash after rotating = %q", got)
	}
	if b.count(`#keys [data-key-state="current"]`) != 1 || b.count(`#keys [data-key-state="rotated"]`) != 1 {
		t.Fatalf("keys after rotating: %q", b.text("#keys"))
	}
	b.fill("#suspend-form #f-reason", "年度审核未完成")
	b.nav("#suspend-submit")
	if got := b.text("#record-status"); got != "已暂停" {
		t.Fatalf("status after suspending = %q", got)
	}
	b.shot("gov-org-suspended")
	b.fill("#reinstate-form #f-reason", "审核已完成")
	b.nav("#reinstate-submit")
	if got := b.text("#record-status"); got != "正常" {
		t.Fatalf("status after reinstating = %q", got)
	}

	// Staff can sign in with the account governance made.
	b2 := newBrowser(t, n.base)
	b2.signIn(did, "registrar", "correct horse battery 42")
	if got := b2.text("h1"); got != "签发概览" {
		t.Fatalf("staff landing h1 = %q", got)
	}

	b.nav("#gov-nav-chain")
	if got := b.text("h1"); got != "区块链状态" {
		t.Fatalf("chain h1 = %q", got)
	}
	if b.count("#blocks tbody tr") == 0 || b.count("#validators tbody tr") != 1 {
		t.Fatalf("blocks %d, validators %d", b.count("#blocks tbody tr"), b.count("#validators tbody tr"))
	}
	b.shot("gov-chain")

	b.nav("#gov-nav-verifiers")
	b.fill("#verifier-form #f-name", "海淀区人才服务中心")
	b.click("#verifier-form input[name=policies]")
	b.nav("#verifier-submit")
	b.run("verifier secret", chromedp.Value("#secret-value", &secret, chromedp.ByQuery))
	if len(secret) < 20 || !strings.Contains(b.text("#verifiers"), "海淀区人才服务中心") {
		t.Fatalf("verifier token %q, table %q", secret, b.text("#verifiers"))
	}
	b.shot("gov-verifier-created")

	// The governance pages refuse staff.
	b2.open("/gov")
	if got := b2.text(".alert"); !strings.Contains(got, "无权") {
		t.Fatalf("staff on /gov: %q", got)
	}
}

// TestBrowserIssuerJourney: staff sign in, issue a degree from the form
// (a wrong field is shown next to it first), see it valid and anchored,
// make a claim offer, upload a 50-row CSV whose dry run finds a bad row,
// fix and upload it again, start it and watch the progress bar reach
// 100%, download the results, revoke a credential and see its badge
// change, and read the counts on the dashboard in both languages.
func TestBrowserIssuerJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	n := startNode(t, testConfig(t))
	did, _ := n.newOrg(t, "示范", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"bachelor", "master"}},
		map[string]any{"credentialType": "TrainingCertificateCredential"})
	if st := n.call(t, "POST", "/admin/orgs/"+did+"/staff", n.admin, map[string]any{
		"username": "registrar", "name": "王老师", "password": "correct horse battery 42", "role": "registrar",
	}, nil); st != http.StatusCreated {
		t.Fatalf("add staff: %d", st)
	}
	b := newBrowser(t, n.base)
	b.acceptConfirms()
	b.signIn(did, "registrar", "correct horse battery 42")
	if got := b.text("h1"); got != "签发概览" {
		t.Fatalf("dashboard h1 = %q", got)
	}
	b.shot("dashboard-empty")

	// Issue from the generated form.
	b.nav("#act-issue")
	b.run("template", chromedp.SetValue("#f-template", "master-degree", chromedp.ByQuery))
	b.nav("#pick-template")
	if got := b.text("#form-title"); got != "硕士学位" {
		t.Fatalf("form title = %q", got)
	}
	if got := b.text(`label[for="f-c.fullName.zh"]`); !strings.Contains(got, "姓名") || !strings.Contains(got, "*") {
		t.Fatalf("name label = %q", got)
	}
	if typ := b.attr(`[id="f-c.graduationDate"]`, "type"); typ != "date" {
		t.Fatalf("graduation date input type = %q", typ)
	}
	b.fill(`[id="f-c.fullName.zh"]`, "张三")
	b.fill(`[id="f-c.fullName.en"]`, "Zhang San")
	b.fill(`[id="f-c.degree.degreeName.zh"]`, "工学硕士")
	b.fill(`[id="f-c.degree.degreeName.en"]`, "Master of Engineering")
	b.fill(`[id="f-c.degree.fieldOfStudy.zh"]`, "区块链工程")
	b.fill(`[id="f-c.degree.disciplineCode"]`, "08x") // not a discipline code
	b.fill(`[id="f-c.graduationDate"]`, "2026-06-30")
	b.nav("#issue-submit")
	if got := b.text(`[id="e-c.degree.disciplineCode"]`); got == "" {
		t.Fatal("no error next to the discipline code")
	}
	if got := b.attr(`[id="f-c.fullName.zh"]`, "value"); got != "张三" {
		t.Fatalf("the form lost its values: name = %q", got)
	}
	b.shot("issue-form-error")
	b.fill(`[id="f-c.degree.disciplineCode"]`, "0812")
	b.nav("#issue-submit")
	if got := b.text("#cred-status"); !strings.Contains(got, "有效") {
		t.Fatalf("status after issuing = %q", got)
	}
	if got := b.text("#anchored"); !strings.Contains(got, "已锚定") {
		t.Fatalf("anchor = %q", got)
	}
	if got := b.text("#claims"); !strings.Contains(got, "张三") || !strings.Contains(got, "区块链工程") {
		t.Fatalf("claims = %q", got)
	}
	credPage := strings.TrimPrefix(b.location(), n.base)
	b.shot("credential-issued")

	// A claim offer: link, QR and PIN, once.
	b.nav("#offer-create")
	if got := b.attr("#offer-link", "value"); !strings.Contains(got, "/offers/") {
		t.Fatalf("offer link = %q", got)
	}
	if pin := b.text("#offer-pin"); len(pin) != 6 {
		t.Fatalf("PIN = %q", pin)
	}
	if b.count("#offer .qr svg") != 1 {
		t.Fatal("no QR code")
	}
	b.shot("claim-offer")

	// Batch: a bad row first.
	b.nav("#iss-nav-batches")
	example := b.fetchText("/org/templates/bachelor-degree/example.csv")
	if !strings.HasPrefix(example, "key,holder,fullName.zh,fullName.en") {
		t.Fatalf("example CSV = %q", example)
	}
	b.run("template", chromedp.SetValue("#f-template", "bachelor-degree", chromedp.ByQuery))
	b.upload("#f-file", degreeCSV(t, 50, 17))
	b.nav("#upload-submit")
	if got := b.text("#report h2"); !strings.Contains(got, "1 行有问题") {
		t.Fatalf("report heading = %q", got)
	}
	row := b.text("#problems tbody tr")
	if !strings.Contains(row, "18") || !strings.Contains(row, "graduationDate") || !strings.Contains(row, "stu-017") {
		t.Fatalf("bad row = %q (want line 18, column graduationDate, key stu-017)", row)
	}
	if b.count("#batch-start") != 0 {
		t.Fatal("an invalid batch can be started")
	}
	b.shot("batch-dry-run-report")

	b.nav("#iss-nav-batches")
	b.run("template", chromedp.SetValue("#f-template", "bachelor-degree", chromedp.ByQuery))
	b.upload("#f-file", degreeCSV(t, 50))
	b.nav("#upload-submit")
	if got := b.text("#report-ok"); !strings.Contains(got, "50") {
		t.Fatalf("clean report = %q", got)
	}
	b.shot("batch-ready")
	b.nav("#batch-start")
	b.waitText("#progress-percent", "100%", 90*time.Second)
	var value string
	b.run("progress value", chromedp.AttributeValue("#progress-bar", "value", &value, nil, chromedp.ByQuery))
	if value != "100" {
		t.Fatalf("progress value = %q", value)
	}
	b.waitText("#progress-status", "已完成", 30*time.Second)
	b.shot("batch-done")
	b.open(strings.TrimPrefix(b.location(), n.base)) // the page, reloaded, offers the results
	results := b.fetchText(b.attr("#batch-results", "href"))
	lines := strings.Split(strings.TrimSpace(results), "\n")
	if len(lines) != 51 || !strings.HasPrefix(lines[0], "line,key,credentialId") || !strings.Contains(lines[1], "urn:uuid:") {
		t.Fatalf("results CSV: %d lines, first %q", len(lines), lines[:min(2, len(lines))])
	}

	// Search and revoke.
	b.open("/org/credentials?q=" + "Student+7")
	if got := b.text("#result-count"); got != "共 1 份凭证" {
		t.Fatalf("search count = %q", got)
	}
	b.open(credPage)
	b.run("status", chromedp.SetValue("form.iss-status-form select[name=status]", "revoked", chromedp.ByQuery))
	b.fill("form.iss-status-form input[name=reason]", "学位授予信息有误")
	b.nav("form.iss-status-form button")
	if got := b.text("#cred-status"); !strings.Contains(got, "已撤销") || !strings.Contains(got, "学位授予信息有误") {
		t.Fatalf("status after revoking = %q", got)
	}
	if got := b.attr("#cred-status [data-status]", "data-status"); got != "revoked" {
		t.Fatalf("badge = %q", got)
	}
	b.shot("credential-revoked")

	// The dashboard counts it all.
	b.nav("#iss-nav-dashboard")
	if got := b.text("#stat-total .iss-num"); got != "51" {
		t.Fatalf("total = %q", got)
	}
	if got := b.text("#stat-revoked .iss-num"); got != "1" {
		t.Fatalf("revoked = %q", got)
	}
	if got := b.attr("svg.iss-chart g.iss-bar:last-of-type", "data-value"); got != "51" {
		t.Fatalf("this month's bar = %q", got)
	}
	if got := b.text("#type-table"); !strings.Contains(got, "学位证书") {
		t.Fatalf("by type = %q", got)
	}
	b.shot("dashboard-zh")
	b.nav("#lang-switch")
	if got := b.text("h1"); got != "Issuing overview" {
		t.Fatalf("English dashboard h1 = %q", got)
	}
	if got := b.text("#stat-revoked h2"); got != "Revoked" {
		t.Fatalf("English revoked label = %q", got)
	}
	b.shot("dashboard-en")

	b.nav("#iss-nav-record")
	if got := b.text("#record-status"); got != "Active" {
		t.Fatalf("record status = %q", got)
	}
	b.shot("record-en")

	// A course: create it, enrol a learner, record the result, complete
	// it and find the training certificate.
	b.nav("#iss-nav-courses")
	b.fill("#f-code", "BC-101")
	b.fill("#f-titleZh", "区块链应用开发")
	b.fill("#f-titleEn", "Blockchain application development")
	b.fill("#f-hours", "32")
	b.fill("#f-sector", "blockchain")
	b.fill("#f-skills", "Solidity;smart contract audit")
	b.nav("#course-submit")
	if got := b.text("h1"); !strings.Contains(got, "Blockchain application development") {
		t.Fatalf("course h1 = %q", got)
	}
	const learner = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	b.fill("#f-learner", learner)
	b.nav("#enrol-submit")
	if got := b.text("#enrolments"); !strings.Contains(got, learner) || !strings.Contains(got, "Enrolled") {
		t.Fatalf("enrolments = %q", got)
	}
	b.run("outcome", chromedp.SetValue("#enrolments select[name=outcome]", "pass", chromedp.ByQuery))
	b.fill("#enrolments input[name=score]", "91")
	b.nav("#enrolments form.iss-status-form button")
	b.waitText("#enrolments", "Pass", 30*time.Second)
	b.nav("#enrolments form.inline button")
	if got := b.text("#enrolments"); !strings.Contains(got, "Completed") {
		t.Fatalf("after completing: %q", got)
	}
	b.shot("course-completed")
	b.nav("#enrolments a")
	if got := b.text("#cred-status"); !strings.Contains(got, "Valid") {
		t.Fatalf("certificate status = %q", got)
	}
	if got := b.text("#claims"); !strings.Contains(got, "Solidity") {
		t.Fatalf("certificate claims = %q", got)
	}
	b.shot("course-certificate")
}

// TestIssuerGovPagesRefuse: without a session the staff and governance
// pages send a browser to sign in, a POST without a session or form
// token changes nothing, and each console role is refused the other's
// pages (over plain HTTP, no browser).
func TestIssuerGovPagesRefuse(t *testing.T) {
	n := startNode(t, testConfig(t))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	get := func(c *http.Client, path string) *http.Response {
		t.Helper()
		resp, err := c.Get(n.base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for _, path := range []string{"/org", "/org/credentials", "/org/batches", "/org/record", "/gov", "/gov/chain"} {
		resp := get(noRedirect, path)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?next=") {
			t.Errorf("anonymous GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	for _, path := range []string{"/org/issue", "/org/batches", "/gov/orgs"} {
		resp, err := noRedirect.Post(n.base+path, "application/x-www-form-urlencoded", strings.NewReader("template=master-degree"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s: %d", path, resp.StatusCode)
		}
	}

	// A governance session: CSRF is checked, and staff pages are not its.
	jar, _ := cookiejar.New(nil)
	gov := &http.Client{Jar: jar}
	form := consoleSignIn(t, gov, n.base, url.Values{"role": {"gov"}, "token": {n.admin}})
	if form == "" {
		t.Fatal("no gov session")
	}
	if resp := get(gov, "/org"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("gov on /org: %d", resp.StatusCode)
	}
	resp, err := gov.PostForm(n.base+"/gov/orgs", url.Values{"nameZh": {"甲"}, "nameEn": {"A"}, "kind": {"university"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("gov POST without the form token: %d", resp.StatusCode)
	}
	var orgs struct {
		Orgs []any `json:"orgs"`
	}
	if n.call(t, "GET", "/admin/orgs", n.admin, nil, &orgs); len(orgs.Orgs) != 0 {
		t.Fatalf("a POST without the form token created %d organisations", len(orgs.Orgs))
	}
}

// consoleSignIn signs c in at /login with form and returns the session's
// form token read from the page it lands on ("" when refused).
func consoleSignIn(t *testing.T, c *http.Client, base string, form url.Values) string {
	t.Helper()
	resp, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no form token on /login")
	}
	form.Set("csrf", string(m[1]))
	resp, err = c.PostForm(base+"/login", form)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if m = regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page); m == nil || resp.StatusCode != http.StatusOK {
		return ""
	}
	return string(m[1])
}
