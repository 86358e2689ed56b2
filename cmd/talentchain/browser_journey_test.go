package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserMainJourney is the main journey, each role in its own
// browser: a university's registrar issues a degree from the form and
// makes a claim offer; the student accepts it with the PIN and shares it by
// link; an HR officer with no account opens the link and reads "valid"; the
// registrar revokes the degree; the same link now reads "revoked", and the
// student's wallet shows it too.
func TestBrowserMainJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	did, _ := n.newOrg(t, "北京理工", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	if st := n.call(t, "POST", "/admin/orgs/"+did+"/staff", n.admin, map[string]any{
		"username": "registrar", "name": "王老师", "password": "correct horse battery 42", "role": "registrar",
	}, nil); st != http.StatusCreated {
		t.Fatalf("add staff: %d", st)
	}

	// The university issues a degree and offers it to the student.
	uni := newBrowser(t, n.base)
	uni.signIn(did, "registrar", "correct horse battery 42")
	uni.nav("#act-issue")
	uni.run("template", chromedp.SetValue("#f-template", "master-degree", chromedp.ByQuery))
	uni.nav("#pick-template")
	uni.fill(`[id="f-c.fullName.zh"]`, "李四")
	uni.fill(`[id="f-c.fullName.en"]`, "Li Si")
	uni.fill(`[id="f-c.degree.degreeName.zh"]`, "工学硕士")
	uni.fill(`[id="f-c.degree.degreeName.en"]`, "Master of Engineering")
	uni.fill(`[id="f-c.degree.fieldOfStudy.zh"]`, "区块链工程")
	uni.fill(`[id="f-c.graduationDate"]`, "2026-06-30")
	uni.nav("#issue-submit")
	if got := uni.text("#cred-status"); !strings.Contains(got, "有效") {
		t.Fatalf("status after issuing = %q", got)
	}
	uni.shot("university-issued")
	uni.nav("#offer-create")
	offer := uni.attr("#offer-link", "value")
	pin := uni.text("#offer-pin")
	uni.shot("university-offer")

	// The student accepts it with the PIN and shares it.
	stu := newBrowser(t, n.base)
	holderSignUp(t, stu, "lisi", "violet orbit 7319 lantern")
	stu.open("/my/offers?offer=" + url.QueryEscape(offer))
	stu.fill("#f-txCode", pin)
	stu.nav("#offer-accept")
	if got := stu.text(".flash"); !strings.Contains(got, "存入钱包") {
		t.Fatalf("accept flash = %q", got)
	}
	stu.open("/my")
	if got := stu.attr(".holder-card .badge", "data-status"); got != "valid" {
		t.Fatalf("wallet badge = %q", got)
	}
	stu.shot("student-wallet")
	stu.nav(".holder-card h2 a")
	stu.nav("#share-credential")
	stu.nav("#share-create")
	link := stu.attr("#share-url", "value")
	if !strings.HasPrefix(link, n.base+"/s/") {
		t.Fatalf("share link = %q", link)
	}
	stu.shot("student-share")

	// HR opens the link: valid.
	hr := newBrowser(t, n.base)
	hr.open(strings.TrimPrefix(link, n.base) + "?lang=en")
	if v := hr.attr("#verdict", "data-verdict"); v != "pass" {
		hr.shot("unexpected")
		t.Fatalf("HR verdict %q: %s", v, hr.text("main"))
	}
	if got := hr.text("#claims"); !strings.Contains(got, "Li Si") && !strings.Contains(got, "李四") {
		t.Fatalf("HR sees claims %q", got)
	}
	hr.shot("hr-valid")

	// The university revokes the degree the student holds: the search finds
	// it by the student's name.
	uni.open("/org/credentials?q=" + url.QueryEscape("李四"))
	// One credential: the unbound original replaced at delivery is not listed.
	if got := uni.text("#result-count"); got != "共 1 份凭证" {
		t.Fatalf("search for the student finds: %q", got)
	}
	uni.shot("university-search")
	uni.nav("#credentials tbody tr a")
	uni.acceptConfirms()
	uni.run("status", chromedp.SetValue("form.iss-status-form select[name=status]", "revoked", chromedp.ByQuery))
	uni.fill("form.iss-status-form input[name=reason]", "学位授予信息有误")
	uni.nav("form.iss-status-form button")
	if got := uni.attr("#cred-status [data-status]", "data-status"); got != "revoked" {
		t.Fatalf("badge after revoking = %q", got)
	}
	uni.shot("university-revoked")

	// The same link now shows revoked (verifiers cache status lists for a
	// moment: reload until it shows).
	deadline := time.Now().Add(40 * time.Second)
	for {
		hr.open(strings.TrimPrefix(link, n.base))
		if hr.attr("#verdict", "data-verdict") == "fail" {
			break
		}
		if time.Now().After(deadline) {
			hr.shot("still-valid")
			t.Fatal("the share link still shows valid 40 s after the revocation")
		}
		time.Sleep(500 * time.Millisecond)
	}
	if st := hr.attr(`tr[data-step="status"] .state`, "data-state"); st != "fail" {
		t.Fatalf("status step after revocation = %q", st)
	}
	if got := hr.text(`tr[data-step="status"]`); !strings.Contains(got, "Revoked") {
		t.Fatalf("status step message = %q", got)
	}
	hr.shot("hr-revoked")

	// The wallet caches live status for a short while too.
	deadline = time.Now().Add(40 * time.Second)
	for {
		stu.open("/my")
		got := stu.attr(".holder-card .badge", "data-status")
		if got == "revoked" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("wallet badge after revocation = %q", got)
		}
		time.Sleep(time.Second)
	}
	stu.shot("student-revoked")
}
