package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserGovHomeState: the governance home shows each organisation's
// on-chain status and accreditations as they are now. It reads them in a
// few chain queries and keeps the accreditations between pages; an
// accreditation and a suspension made on an organisation's page show on
// the home at once, in Chinese and in English. The chain page lists a new
// anchor with its organisation.
func TestBrowserGovHomeState(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	degree, degreeTok := n.newOrg(t, "甲", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	plain, _ := n.newOrg(t, "乙")
	b := newBrowser(t, n.base)
	b.acceptConfirms()

	b.signIn("", "", n.admin)
	row := func(did string) string { return b.text(`#orgs tr[data-did="` + did + `"]`) }
	if got := b.text("h1"); got != "签发机构管理" {
		t.Fatalf("gov home h1 = %q", got)
	}
	if got := row(degree); !strings.Contains(got, "学位证书") || !strings.Contains(got, "正常") {
		t.Fatalf("row of the accredited university = %q, want 学位证书 and 正常", got)
	}
	if got := row(plain); strings.Contains(got, "证书") || !strings.Contains(got, "—") || !strings.Contains(got, "正常") {
		t.Fatalf("row of the university without accreditation = %q, want — and 正常", got)
	}
	b.shot("s4-gov-home-before")

	// Accredit and suspend the second university on its page.
	b.open("/gov/orgs/" + url.PathEscape(plain))
	b.run("type", chromedp.SetValue("#f-ctype", "TrainingCertificateCredential", chromedp.ByQuery))
	b.nav("#accredit-submit")
	if got := b.text(".flash"); !strings.Contains(got, "已认证") {
		t.Fatalf("flash after accrediting = %q", got)
	}
	b.fill("#suspend-form input[name=reason]", "年检未通过")
	b.nav("#suspend-submit")
	if got := b.text(".flash"); !strings.Contains(got, "已暂停") {
		t.Fatalf("flash after suspending = %q", got)
	}

	b.open("/gov")
	if got := row(plain); !strings.Contains(got, "培训证书") || !strings.Contains(got, "已暂停") {
		t.Fatalf("home row after accrediting and suspending = %q, want 培训证书 and 已暂停", got)
	}
	if got := row(degree); !strings.Contains(got, "学位证书") || !strings.Contains(got, "正常") {
		t.Fatalf("the other row changed: %q", got)
	}
	b.shot("s4-gov-home-after-zh")

	b.open("/gov?lang=en")
	if got := b.text("h1"); got != "Issuer organisations" {
		t.Fatalf("gov home h1 in English = %q", got)
	}
	if got := row(plain); !strings.Contains(got, "Training certificate") || !strings.Contains(got, "Suspended") {
		t.Fatalf("home row in English = %q, want Training certificate and Suspended", got)
	}
	b.shot("s4-gov-home-after-en")

	// The chain page lists the anchor of a credential the first
	// university issued, with the university's name (one search of the
	// chain's anchor events).
	if st := n.call(t, "POST", "/credentials/issue", degreeTok, masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"), nil); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	b.open("/gov/chain?lang=zh")
	if got := b.text("#anchors tbody tr"); !strings.Contains(got, "甲大学") || !strings.Contains(got, degree) {
		t.Fatalf("latest anchor row = %q, want the issuing university", got)
	}
	b.shot("s4-gov-chain-anchor")
}
