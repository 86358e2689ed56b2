package pdfdoc_test

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/internal/pdfdoc"
)

// refused checks that err refuses exactly the named field, and that nothing
// was written.
func refused(t *testing.T, err error, out *bytes.Buffer, field, reason string) {
	t.Helper()
	if !errors.Is(err, pdfdoc.ErrInvalid) {
		t.Fatalf("error %v, want ErrInvalid", err)
	}
	var ve *pdfdoc.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %v carries no ValidationError", err)
	}
	if !strings.Contains(err.Error(), field+" ") || !strings.Contains(err.Error(), reason) {
		t.Fatalf("error %q, want field %s: %q", err, field, reason)
	}
	if out.Len() != 0 {
		t.Fatalf("%d bytes written for refused data", out.Len())
	}
}

func TestCertificateRefused(t *testing.T) {
	cases := []struct {
		name   string
		change func(*pdfdoc.CertificateData)
		field  string
		reason string
	}{
		{"empty name", func(c *pdfdoc.CertificateData) { c.HolderName = "" }, "HolderName", "is required"},
		{"name too long", func(c *pdfdoc.CertificateData) { c.HolderName = strings.Repeat("张", 65) }, "HolderName", "longer than 64 characters"},
		{"title too long", func(c *pdfdoc.CertificateData) { c.Title = strings.Repeat("学", 101) }, "Title", "longer than 100"},
		{"no language", func(c *pdfdoc.CertificateData) { c.Lang = "" }, "Lang", "is required"},
		{"french", func(c *pdfdoc.CertificateData) { c.Lang = "fr" }, "Lang", "one of: zh, en"},
		{"javascript URL", func(c *pdfdoc.CertificateData) { c.VerifyURL = "javascript:alert(1)" }, "VerifyURL", "http or https URL"},
		{"ftp URL", func(c *pdfdoc.CertificateData) { c.VerifyURL = "ftp://verify.example.cn/v/1" }, "VerifyURL", "http or https URL"},
		{"relative URL", func(c *pdfdoc.CertificateData) { c.VerifyURL = "/v/1" }, "VerifyURL", "http or https URL"},
		{"URL without host", func(c *pdfdoc.CertificateData) { c.VerifyURL = "https:///v/1" }, "VerifyURL", "http or https URL"},
		{"URL too long", func(c *pdfdoc.CertificateData) { c.VerifyURL = "https://x.cn/" + strings.Repeat("a", 500) }, "VerifyURL", "longer than 512"},
		{"no issue date", func(c *pdfdoc.CertificateData) { c.IssuedAt = time.Time{} }, "IssuedAt", "is required"},
		{"expires before issued", func(c *pdfdoc.CertificateData) { c.ValidUntil = c.IssuedAt.Add(-time.Hour) }, "ValidUntil", "after IssuedAt"},
		{"control character", func(c *pdfdoc.CertificateData) { c.Title = "工学\n硕士" }, "Title", "control character U+000A"},
		{"bidi override is not a control but has no glyph", func(c *pdfdoc.CertificateData) { c.HolderName = "张\u202e伟" }, "HolderName", "cannot draw"},
		{"no glyph", func(c *pdfdoc.CertificateData) { c.HolderName = "สมชาย" }, "HolderName", "U+0E2A"},
		{"invalid UTF-8", func(c *pdfdoc.CertificateData) { c.IssuerName = "清华\xff" }, "IssuerName", "not valid UTF-8"},
		{"too many claims", func(c *pdfdoc.CertificateData) {
			c.Claims = make([]pdfdoc.Claim, 9)
			for i := range c.Claims {
				c.Claims[i] = pdfdoc.Claim{Label: "a", Value: "b"}
			}
		}, "Claims", "more than 8 entries"},
		{"claim without value", func(c *pdfdoc.CertificateData) { c.Claims[1].Value = "" }, "Claims[1].Value", "is required"},
		{"claim label too long", func(c *pdfdoc.CertificateData) { c.Claims[0].Label = strings.Repeat("x", 31) }, "Claims[0].Label", "longer than 30"},
		{"claim with control", func(c *pdfdoc.CertificateData) { c.Claims[2].Value = "a\tb" }, "Claims[2].Value", "control character"},
		{"anchor height", func(c *pdfdoc.CertificateData) { c.Anchor.Height = 0 }, "Anchor.Height", "greater than 0"},
		{"anchor hash", func(c *pdfdoc.CertificateData) { c.Anchor.TxHash = "not-hex" }, "Anchor.TxHash", "hexadecimal"},
		{"status", func(c *pdfdoc.CertificateData) { c.Status = "fine" }, "Status", "one of: valid, suspended"},
		{"no credential id", func(c *pdfdoc.CertificateData) { c.CredentialID = "" }, "CredentialID", "is required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleCertificate(pdfdoc.LangZH)
			tc.change(&c)
			var out bytes.Buffer
			refused(t, pdfdoc.Certificate(&out, c), &out, tc.field, tc.reason)
		})
	}
}

func TestCertificateAccepted(t *testing.T) {
	cases := []struct {
		name   string
		change func(*pdfdoc.CertificateData)
	}{
		{"no claims, no anchor, no expiry", func(c *pdfdoc.CertificateData) { c.Claims, c.Anchor, c.ValidUntil = nil, nil, time.Time{} }},
		{"http URL with query", func(c *pdfdoc.CertificateData) { c.VerifyURL = "http://localhost:8080/v/1?lang=zh" }},
		{"64 characters name", func(c *pdfdoc.CertificateData) { c.HolderName = strings.Repeat("张", 64) }},
		{"Latin, Greek, Cyrillic and CJK", func(c *pdfdoc.CertificateData) { c.HolderName = "Zoë Ωμέγα Иван さくら カタカナ" }},
		{"0x hash", func(c *pdfdoc.CertificateData) { c.Anchor.TxHash = "0xabcdef" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := sampleCertificate(pdfdoc.LangEN)
			tc.change(&c)
			var out bytes.Buffer
			if err := pdfdoc.Certificate(&out, c); err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(out.Bytes(), []byte("%PDF-")) {
				t.Fatal("not a PDF")
			}
		})
	}
}

func TestReportRefused(t *testing.T) {
	cases := []struct {
		name   string
		change func(*pdfdoc.ReportData)
		field  string
		reason string
	}{
		{"no checks", func(r *pdfdoc.ReportData) { r.Checks = nil }, "Checks", "is required"},
		{"check state", func(r *pdfdoc.ReportData) { r.Checks[2].State = "ok" }, "Checks[2].State", "one of: pass, warn, fail, skip"},
		{"check name", func(r *pdfdoc.ReportData) { r.Checks[0].Name = "" }, "Checks[0].Name", "is required"},
		{"check message too long", func(r *pdfdoc.ReportData) { r.Checks[1].Message = strings.Repeat("长", 601) }, "Checks[1].Message", "longer than 600"},
		{"verdict", func(r *pdfdoc.ReportData) { r.Verdict = "ok" }, "Verdict", "one of: valid, warning, invalid"},
		{"no verification id", func(r *pdfdoc.ReportData) { r.VerificationID = "" }, "VerificationID", "is required"},
		{"data URL", func(r *pdfdoc.ReportData) { r.URL = "data:text/html,<b>hi</b>" }, "URL", "http or https URL"},
		{"no time", func(r *pdfdoc.ReportData) { r.VerifiedAt = time.Time{} }, "VerifiedAt", "is required"},
		{"verifier too long", func(r *pdfdoc.ReportData) { r.VerifiedBy = strings.Repeat("a", 101) }, "VerifiedBy", "longer than 100"},
		{"document value", func(r *pdfdoc.ReportData) { r.Document[0].Value = "\x00" }, "Document[0].Value", "control character U+0000"},
		{"too many checks", func(r *pdfdoc.ReportData) {
			r.Checks = make([]pdfdoc.Check, 101)
			for i := range r.Checks {
				r.Checks[i] = pdfdoc.Check{Name: "c", State: pdfdoc.CheckPass}
			}
		}, "Checks", "more than 100 entries"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := sampleReport(pdfdoc.LangEN)
			tc.change(&r)
			var out bytes.Buffer
			refused(t, pdfdoc.Report(&out, r), &out, tc.field, tc.reason)
		})
	}
}

// TestEveryRefusedFieldIsReported: several bad fields give one
// ValidationError each.
func TestEveryRefusedFieldIsReported(t *testing.T) {
	c := sampleCertificate(pdfdoc.LangZH)
	c.HolderName, c.VerifyURL, c.Status = "", "mailto:a@b.cn", "x"
	err := pdfdoc.Certificate(&bytes.Buffer{}, c)
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("error %T %v does not list its causes", err, err)
	}
	fields := map[string]bool{}
	for _, e := range joined.Unwrap() {
		var ve *pdfdoc.ValidationError
		if errors.As(e, &ve) {
			fields[ve.Field] = true
		}
	}
	for _, f := range []string{"HolderName", "VerifyURL", "Status"} {
		if !fields[f] {
			t.Errorf("%s not reported in %v", f, err)
		}
	}
}

// FuzzCertificate: outside text in the printed fields is either refused
// with ErrInvalid, or printed into a PDF; accepted URLs are http(s) ones.
func FuzzCertificate(f *testing.F) {
	f.Add("张伟", "工学硕士", "https://verify.example.cn/v/1", "专业")
	f.Add("", "t", "javascript:x", "")
	f.Add("a\u202eb", "x\x00", "http://[::1]:80/", "l")
	f.Add("Zoë", "Ω", "HTTPS://EXAMPLE.CN", "Иван")
	f.Fuzz(func(t *testing.T, name, title, rawURL, label string) {
		c := sampleCertificate(pdfdoc.LangZH)
		c.HolderName, c.Title, c.VerifyURL = name, title, rawURL
		c.Claims = []pdfdoc.Claim{{Label: label, Value: title}}
		var out bytes.Buffer
		err := pdfdoc.Certificate(&out, c)
		if err != nil {
			if !errors.Is(err, pdfdoc.ErrInvalid) {
				t.Fatalf("not a refusal: %v", err)
			}
			if out.Len() != 0 {
				t.Fatal("bytes written for refused data")
			}
			return
		}
		u, perr := url.Parse(rawURL)
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			t.Fatalf("URL %q accepted", rawURL)
		}
		if !bytes.HasPrefix(out.Bytes(), []byte("%PDF-")) || !bytes.Contains(out.Bytes()[out.Len()-32:], []byte("%%EOF")) {
			t.Fatal("output is not a whole PDF")
		}
	})
}

// FuzzReport does the same for a report's check texts.
func FuzzReport(f *testing.F) {
	f.Add("签名", "签名有效。", "pass", "https://verify.example.cn/r/1")
	f.Add("", "", "ok", "file:///etc/passwd")
	f.Fuzz(func(t *testing.T, name, message, state, rawURL string) {
		r := sampleReport(pdfdoc.LangZH)
		r.Checks = []pdfdoc.Check{{Name: name, State: pdfdoc.CheckState(state), Message: message}}
		r.URL = rawURL
		var out bytes.Buffer
		if err := pdfdoc.Report(&out, r); err != nil {
			if !errors.Is(err, pdfdoc.ErrInvalid) || out.Len() != 0 {
				t.Fatalf("not a clean refusal: %v (%d bytes written)", err, out.Len())
			}
			return
		}
		if !bytes.HasPrefix(out.Bytes(), []byte("%PDF-")) {
			t.Fatal("output is not a PDF")
		}
	})
}
