package pdfdoc_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/talentchain/talentchain/internal/pdfdoc"
)

func certificate(t testing.TB, c pdfdoc.CertificateData) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pdfdoc.Certificate(&b, c); err != nil {
		t.Fatalf("Certificate: %v", err)
	}
	return b.Bytes()
}

func report(t testing.TB, r pdfdoc.ReportData) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pdfdoc.Report(&b, r); err != nil {
		t.Fatalf("Report: %v", err)
	}
	return b.Bytes()
}

// squash drops all white space, so text wrapped over lines still matches.
func squash(s string) string { return strings.Join(strings.Fields(s), "") }

func contains(t *testing.T, text string, want ...string) {
	t.Helper()
	sq := squash(text)
	for _, w := range want {
		if !strings.Contains(sq, squash(w)) {
			t.Errorf("text lacks %q:\n%s", w, text)
		}
	}
}

func lacks(t *testing.T, text string, unwanted ...string) {
	t.Helper()
	for _, w := range unwanted {
		if strings.Contains(squash(text), squash(w)) {
			t.Errorf("text has %q", w)
		}
	}
}

func TestCertificateText(t *testing.T) {
	cases := []struct {
		lang   pdfdoc.Lang
		want   []string
		unwant []string
	}{
		{pdfdoc.LangZH,
			[]string{"张伟", "工学硕士", "清华大学", "兹证明", "已获得", "颁发日期", "2026年7月1日", "长期有效", "有效",
				"区块 48213", "9F86D0…F00A08", "扫码验证", "验证网址"},
			[]string{"Issued on", "Certificate", "Valid until"}},
		{pdfdoc.LangEN,
			[]string{"Li Na", "Master of Engineering", "Tsinghua University", "This is to certify that", "Issued on",
				"1 July 2026", "30 June 2031", "Valid", "Block 48213", "Scan to verify", "Verify at"},
			[]string{"颁发日期", "兹证明", "长期有效"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.lang), func(t *testing.T) {
			c := sampleCertificate(tc.lang)
			text := pdfText(t, save(t, "cert-"+string(tc.lang), certificate(t, c)))
			contains(t, text, tc.want...)
			contains(t, text, c.VerifyURL, c.CredentialID)
			for _, f := range c.Claims {
				contains(t, text, f.Label, f.Value)
			}
			lacks(t, text, tc.unwant...)
		})
	}
}

func TestCertificateStatus(t *testing.T) {
	for status, word := range map[pdfdoc.Status]string{
		pdfdoc.StatusRevoked: "已撤销", pdfdoc.StatusSuspended: "已暂停", pdfdoc.StatusExpired: "已过期", pdfdoc.StatusUnknown: "未知",
	} {
		c := sampleCertificate(pdfdoc.LangZH)
		c.Status = status
		c.Anchor = nil
		text := pdfText(t, save(t, "cert-"+string(status), certificate(t, c)))
		contains(t, text, word, "尚未上链存证")
		lacks(t, text, "区块")
	}
}

var fontLine = regexp.MustCompile(`(?m)^(\S+)\s+CID TrueType\s+Identity-H\s+(yes|no)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+$`)

// TestFontsEmbeddedAsSubsets: every font is embedded, as a subset with a
// ToUnicode map, and the document stays small although the CJK font is 4 MB.
func TestFontsEmbeddedAsSubsets(t *testing.T) {
	need(t, "pdffonts")
	docs := map[string][]byte{
		"cert-zh":   certificate(t, sampleCertificate(pdfdoc.LangZH)),
		"cert-en":   certificate(t, sampleCertificate(pdfdoc.LangEN)),
		"report-zh": report(t, sampleReport(pdfdoc.LangZH)),
	}
	for name, pdf := range docs {
		t.Run(name, func(t *testing.T) {
			out := run(t, "pdffonts", save(t, name, pdf))
			rows := fontLine.FindAllStringSubmatch(out, -1)
			if len(rows) != 3 {
				t.Fatalf("want 3 fonts, got:\n%s", out)
			}
			names := map[string]bool{}
			for _, r := range rows {
				names[r[1]] = true
				if r[2] != "yes" || r[3] != "yes" || r[4] != "yes" {
					t.Errorf("font %s: emb %s sub %s uni %s, want all yes", r[1], r[2], r[3], r[4])
				}
			}
			if !names["TCDSFB+DroidSansFallback"] || !names["TCGORG+GoRegular"] {
				t.Errorf("fonts %v", names)
			}
			if len(pdf) > 150<<10 {
				t.Errorf("%s is %d bytes; the font is not subset", name, len(pdf))
			}
			t.Logf("%s: %d bytes", name, len(pdf))
		})
	}
}

// TestQRCodeLeadsToURL renders the first page and reads its QR code back.
func TestQRCodeLeadsToURL(t *testing.T) {
	c := sampleCertificate(pdfdoc.LangZH)
	if got := decodeQR(t, pageImage(t, save(t, "cert-qr", certificate(t, c)), 1, 150)); got != c.VerifyURL {
		t.Fatalf("certificate QR %q, want %q", got, c.VerifyURL)
	}
	// A long URL makes a denser code; it must still read.
	c.VerifyURL = "https://verify.talentchain.example.cn/v/" + strings.Repeat("0123456789abcdef", 20)
	if got := decodeQR(t, pageImage(t, save(t, "cert-qr-long", certificate(t, c)), 1, 150)); got != c.VerifyURL {
		t.Fatalf("certificate QR %q, want %q", got, c.VerifyURL)
	}
	r := sampleReport(pdfdoc.LangEN)
	if got := decodeQR(t, pageImage(t, save(t, "report-qr", report(t, r)), 1, 150)); got != r.URL {
		t.Fatalf("report QR %q, want %q", got, r.URL)
	}
}

func TestReportText(t *testing.T) {
	for _, lang := range []pdfdoc.Lang{pdfdoc.LangZH, pdfdoc.LangEN} {
		t.Run(string(lang), func(t *testing.T) {
			r := sampleReport(lang)
			text := pdfText(t, save(t, "report-"+string(lang), report(t, r)))
			contains(t, text, r.VerifiedBy, r.VerdictText, r.VerificationID, r.URL)
			for _, f := range r.Document {
				contains(t, text, f.Label, f.Value)
			}
			for _, c := range r.Checks {
				contains(t, text, c.Name, c.Message)
			}
			if lang == pdfdoc.LangZH {
				contains(t, text, "验证报告", "2026年11月24日 14:05（UTC+08:00）", "结论：无效", "通过", "警告", "未通过", "未检查", "第 1 页，共 1 页")
				lacks(t, text, "Passed", "Verdict")
			} else {
				contains(t, text, "Verification report", "24 November 2026, 14:05 (UTC+08:00)", "Verdict: Not valid",
					"Passed", "Warning", "Failed", "Not checked", "Page 1 of 1")
				lacks(t, text, "通过", "结论")
			}
		})
	}
}

// TestReportStateWords: each check's line carries its own state word, on
// the same line as its name.
func TestReportStateWords(t *testing.T) {
	r := sampleReport(pdfdoc.LangEN)
	text := layoutText(t, save(t, "report-states", report(t, r)))
	want := map[string]string{"Format": "Passed", "Issuer": "Warning", "Status": "Failed", "Replay": "Not checked"}
	for name, state := range want {
		line := regexp.MustCompile(`(?m)^\s*` + name + `\s+` + state + `\s*$`)
		if !line.MatchString(text) {
			t.Errorf("no line %q … %q in\n%s", name, state, text)
		}
	}
}

// TestReportPages: a long report flows over pages, each with its footer, and
// loses no check.
func TestReportPages(t *testing.T) {
	r := sampleReport(pdfdoc.LangEN)
	r.Checks = nil
	for i := range 60 {
		r.Checks = append(r.Checks, pdfdoc.Check{
			Group:   fmt.Sprintf("Credential %d", i/20+1),
			Name:    fmt.Sprintf("Check %03d", i),
			State:   []pdfdoc.CheckState{pdfdoc.CheckPass, pdfdoc.CheckWarn, pdfdoc.CheckFail, pdfdoc.CheckSkip}[i%4],
			Message: strings.Repeat(fmt.Sprintf("Message of check %03d. ", i), 4),
		})
	}
	path := save(t, "report-long", report(t, r))
	info := run(t, "pdfinfo", path)
	m := regexp.MustCompile(`Pages:\s+(\d+)`).FindStringSubmatch(info)
	if m == nil {
		t.Fatalf("pdfinfo: %s", info)
	}
	pages, _ := strconv.Atoi(m[1])
	if pages < 3 {
		t.Fatalf("%d pages for 60 long checks", pages)
	}
	all := ""
	for p := 1; p <= pages; p++ {
		text := run(t, "pdftotext", "-f", strconv.Itoa(p), "-l", strconv.Itoa(p), path, "-")
		contains(t, text, fmt.Sprintf("Page %d of %d", p, pages), "Verification ID: "+r.VerificationID, r.URL)
		all += text
	}
	for _, c := range r.Checks {
		contains(t, all, c.Name, c.Message)
	}
	for g := 1; g <= 3; g++ {
		if n := strings.Count(all, fmt.Sprintf("Credential %d\n", g)); n != 1 {
			t.Errorf("group heading Credential %d printed %d times", g, n)
		}
	}
}

var bboxWord = regexp.MustCompile(`<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>`)

// words returns every word on the pages with its box, in points.
func words(t *testing.T, path string) [][5]string {
	t.Helper()
	out := run(t, "pdftotext", "-bbox", path, "-")
	var ws [][5]string
	for _, m := range bboxWord.FindAllStringSubmatch(out, -1) {
		ws = append(ws, [5]string{m[1], m[2], m[3], m[4], m[5]})
	}
	if len(ws) == 0 {
		t.Fatalf("no words in %s", out)
	}
	return ws
}

// TestLongestFieldsStayInside fills every field to its limit, with CJK and
// Latin text, and checks that all of it is printed inside the frame.
func TestLongestFieldsStayInside(t *testing.T) {
	cjk := []rune(strings.Repeat("国家重点实验室人工智能研究院", 20))
	c := sampleCertificate(pdfdoc.LangZH)
	c.HolderName = string(cjk[:64])
	c.Title = string(cjk[:100])
	c.IssuerName = string(cjk[:60])
	c.CredentialID = "urn:uuid:" + strings.Repeat("0123456789", 20)[:191]
	c.VerifyURL = "https://verify.talentchain.example.cn/v/" + strings.Repeat("x", 512-40)
	c.Claims = nil
	for i := range 8 {
		v := string(cjk[:60]) + strings.Repeat(" word", 4)
		c.Claims = append(c.Claims, pdfdoc.Claim{Label: fmt.Sprintf("标签%02d", i) + string(cjk[:26]), Value: v})
	}
	path := save(t, "cert-longest", certificate(t, c))
	text := pdfText(t, path)
	contains(t, text, c.HolderName, c.Title, c.IssuerName, c.CredentialID, c.VerifyURL)
	for _, f := range c.Claims {
		contains(t, text, f.Label, f.Value)
	}
	for _, w := range words(t, path) {
		x0, _ := strconv.ParseFloat(w[0], 64)
		y0, _ := strconv.ParseFloat(w[1], 64)
		x1, _ := strconv.ParseFloat(w[2], 64)
		y1, _ := strconv.ParseFloat(w[3], 64)
		if x0 < 26 || y0 < 26 || x1 > 842-26 || y1 > 595-26 {
			t.Errorf("word %q at (%.0f,%.0f)-(%.0f,%.0f) is outside the frame", w[4], x0, y0, x1, y1)
		}
		// Nothing but the QR caption may be printed over the QR code.
		if x1 > 842-60-128-4 && y1 > 300 && y0 < 300+128 {
			t.Errorf("word %q at (%.0f,%.0f)-(%.0f,%.0f) overlaps the QR code", w[4], x0, y0, x1, y1)
		}
	}
}

func TestConcurrentDocumentsAreIdentical(t *testing.T) {
	want := certificate(t, sampleCertificate(pdfdoc.LangZH))
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			var b bytes.Buffer
			if err := pdfdoc.Certificate(&b, sampleCertificate(pdfdoc.LangZH)); err != nil {
				errs <- err
				return
			}
			if !bytes.Equal(b.Bytes(), want) {
				errs <- fmt.Errorf("documents differ: %d and %d bytes", b.Len(), len(want))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func BenchmarkCertificate(b *testing.B) {
	c := sampleCertificate(pdfdoc.LangZH)
	var size int
	certificate(b, c) // fonts parsed once per process, not per document
	start := cpuTime()
	for b.Loop() {
		var buf bytes.Buffer
		if err := pdfdoc.Certificate(&buf, c); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
	reportCPU(b, start)
}

func BenchmarkReport(b *testing.B) {
	r := sampleReport(pdfdoc.LangZH)
	var size int
	report(b, r)
	start := cpuTime()
	for b.Loop() {
		var buf bytes.Buffer
		if err := pdfdoc.Report(&buf, r); err != nil {
			b.Fatal(err)
		}
		size = buf.Len()
	}
	b.ReportMetric(float64(size), "pdf-bytes")
	reportCPU(b, start)
}
