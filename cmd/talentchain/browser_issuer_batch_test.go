package main

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserIssuerSDJWTBatch: a registrar uploads a class as SD-JWT VCs
// from the batch form; the check report of a bad file names the problem in
// the page's language (Chinese, then English); the good file is issued as
// SD-JWT VCs, anchored, with the results downloadable and each credential
// an SD-JWT in the API.
func TestBrowserIssuerSDJWTBatch(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	n := startNode(t, testConfig(t))
	did, token := n.newOrg(t, "选择性披露", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"bachelor"}})
	if st := n.call(t, "POST", "/admin/orgs/"+did+"/staff", n.admin, map[string]any{
		"username": "registrar", "name": "李老师", "password": "correct horse battery 42", "role": "registrar",
	}, nil); st != http.StatusCreated {
		t.Fatalf("add staff: %d", st)
	}
	b := newBrowser(t, n.base)
	b.signIn(did, "registrar", "correct horse battery 42")
	b.nav("#iss-nav-batches")
	if got := b.text(`label[for="f-format"]`); got != "凭证格式" {
		t.Fatalf("format label = %q", got)
	}
	var got string // an option of a closed select is not visible: read its text
	b.run("SD-JWT option", chromedp.Evaluate(`document.querySelector('#f-format option[value="dc+sd-jwt"]').textContent`, &got))
	if !strings.Contains(got, "SD-JWT VC") || !strings.Contains(got, "选择性披露") {
		t.Fatalf("SD-JWT option = %q", got)
	}

	// A bad file: the report gives the reason in Chinese.
	b.run("template", chromedp.SetValue("#f-template", "bachelor-degree", chromedp.ByQuery))
	b.run("format", chromedp.SetValue("#f-format", "dc+sd-jwt", chromedp.ByQuery))
	b.upload("#f-file", degreeCSV(t, 5, 3))
	b.nav("#upload-submit")
	row := b.text("#problems tbody tr")
	if !strings.Contains(row, "graduationDate") || !strings.Contains(row, "不是有效的日期") {
		t.Fatalf("bad row in Chinese = %q", row)
	}
	if got := b.text("#job-format"); got != "SD-JWT VC（选择性披露）" {
		t.Fatalf("job format = %q", got)
	}
	b.shot("batch-sdjwt-report-zh")
	b.nav("#lang-switch")
	row = b.text("#problems tbody tr")
	if !strings.Contains(row, "graduationDate") || !strings.Contains(row, "is not valid date") {
		t.Fatalf("bad row in English = %q", row)
	}
	if got := b.text("#job-format"); got != "SD-JWT VC (selective disclosure)" {
		t.Fatalf("job format in English = %q", got)
	}
	b.shot("batch-sdjwt-report-en")

	// The good file, issued as SD-JWT VCs.
	b.nav("#iss-nav-batches")
	b.run("template", chromedp.SetValue("#f-template", "bachelor-degree", chromedp.ByQuery))
	b.run("format", chromedp.SetValue("#f-format", "dc+sd-jwt", chromedp.ByQuery))
	b.upload("#f-file", degreeCSV(t, 12))
	b.nav("#upload-submit")
	if got := b.text("#report-ok"); !strings.Contains(got, "12") {
		t.Fatalf("clean report = %q", got)
	}
	b.nav("#batch-start")
	b.waitText("#progress-percent", "100%", 90*time.Second)
	b.waitText("#progress-status", "Done", 10*time.Second)
	b.open(strings.TrimPrefix(b.location(), n.base))
	b.shot("batch-sdjwt-done")
	results := b.fetchText(b.attr("#batch-results", "href"))
	lines := strings.Split(strings.TrimSpace(results), "\n")
	if len(lines) != 13 || !strings.HasPrefix(lines[0], "line,key,credentialId") {
		t.Fatalf("results CSV: %d lines: %q", len(lines), lines)
	}
	// Each result is an SD-JWT VC with its anchor receipt, over the API.
	for _, l := range []string{lines[1], lines[12]} {
		f := strings.Split(l, ",")
		if len(f) < 3 || !strings.HasPrefix(f[2], "urn:uuid:") {
			t.Fatalf("result line %q", l)
		}
		var out struct {
			Credential json.RawMessage `json:"verifiableCredential"`
			Receipt    map[string]any  `json:"anchorReceipt"`
		}
		if st := n.call(t, "GET", "/credentials/"+f[2], token, nil, &out); st != http.StatusOK {
			t.Fatalf("GET credential: %d", st)
		}
		var compact string
		if err := json.Unmarshal(out.Credential, &compact); err != nil || strings.Count(compact, "~") < 2 || out.Receipt["root"] == nil {
			t.Fatalf("credential %s is not an anchored SD-JWT: %.80s receipt %v", f[2], out.Credential, out.Receipt)
		}
	}
	// Listed under the holder's name like any other credential.
	b.open("/org/credentials?q=Student+12")
	if got := b.text("#result-count"); got != "1 credentials" {
		t.Fatalf("search count = %q", got)
	}
}
