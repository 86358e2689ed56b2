package ui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/talentchain/talentchain/internal/pdfdoc"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/verifier"
)

// The printable verification report (internal/pdfdoc.Report) of a result
// page, in the page's language:
//
//	GET /verify/r/{id}/report.pdf   a kept result (the id is the capability)
//	GET /s/{token}/report.pdf       a share link's presentation, verified live
//
// Routes are registered in web_verify.go beside their pages.

// hrReportMaxChecks is pdfdoc's limit of checks in one report.
const hrReportMaxChecks = 100

func (h *handler) verifyResultPDF(w http.ResponseWriter, r *http.Request) {
	id, k, p, ok := h.openResult(w, r)
	if !ok {
		return
	}
	sum := sha256.Sum256([]byte(id))
	h.writeReportPDF(w, r, hrReportData(p.Lang, k, "R-"+strings.ToUpper(hex.EncodeToString(sum[:6])), h.publicLink(r, "/verify/r/"+id), ""))
}

func (h *handler) sharePDF(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "verify.result.title")
	token := r.PathValue("token")
	sh, rep, ok := h.verifyShare(w, r, p)
	if !ok {
		return
	}
	sum := sha256.Sum256([]byte(token))
	by := p.T("hr.pdf.viaShare")
	if sh.Label != "" {
		by += " · " + sh.Label
	}
	h.writeReportPDF(w, r, hrReportData(p.Lang, keepReport(rep), "S-"+strings.ToUpper(hex.EncodeToString(sum[:6])), h.publicLink(r, "/s/"+token), by))
}

// writeReportPDF answers the report as a PDF attachment.
func (h *handler) writeReportPDF(w http.ResponseWriter, r *http.Request, d pdfdoc.ReportData) {
	var buf bytes.Buffer
	if err := pdfdoc.Report(&buf, d); err != nil {
		h.webFail(w, r, fmt.Errorf("verification report %s: %w", d.VerificationID, err))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "verification-report-" + d.VerificationID + ".pdf"}))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Write(buf.Bytes())
}

// hrReportData maps a kept report onto pdfdoc's report, in lang: the
// verdict and summary, the document (kind, types, issuer, holder, anchor,
// then the claims while room is left), every step of the report and of
// each credential of a presentation (grouped by credential). Texts are cut
// to pdfdoc's limits and cleaned of characters its fonts cannot draw.
func hrReportData(lang i18n.Lang, k keptReport, vid, link, by string) pdfdoc.ReportData {
	rep := k.Report
	d := pdfdoc.ReportData{Lang: pdfdoc.LangZH, Title: lang.T("hr.pdf.title"), VerifiedAt: rep.CheckedAt.In(i18n.Location()),
		VerifiedBy: hrPDFText(by, 100), Verdict: pdfdoc.Verdict(rep.State), VerdictText: hrPDFText(lang.T("verify.verdict."+verdictOf(rep.State))+lang.Pick("。", ". ")+lang.Pick(rep.SummaryZH, rep.SummaryEN), 500),
		VerificationID: vid, URL: link}
	if lang == i18n.EN {
		d.Lang = pdfdoc.LangEN
	}
	if d.VerifiedAt.IsZero() || rep.CheckedAt.IsZero() {
		d.VerifiedAt = time.Now().In(i18n.Location())
	}
	switch rep.State {
	case verifier.StateValid, verifier.StateWarning, verifier.StateInvalid:
	default:
		d.Verdict = pdfdoc.VerdictInvalid
	}
	res := resultView(lang, k)
	add := func(label, value string) {
		if value = hrPDFText(value, 200); value != "" && len(d.Document) < 20 {
			d.Document = append(d.Document, pdfdoc.Field{Label: hrPDFText(label, 40), Value: value})
		}
	}
	add(lang.T("hr.pdf.kind"), lang.T("hr.pdf.kind."+rep.Kind))
	add(lang.T("verify.types"), strings.Join(res.Types, lang.Pick("、", ", ")))
	add(lang.T("verify.issuer"), strings.TrimSpace(res.IssuerName+" "+res.Issuer))
	add(lang.T("verify.holder"), res.Holder)
	if res.AnchorHeight > 0 {
		add(lang.T("verify.anchor"), lang.F("verify.anchor.at", res.AnchorHeight, lang.DateTime(res.AnchorTime.In(i18n.Location()))))
	}
	claims := func(prefix string, cs []pages.Claim) {
		for _, c := range cs {
			add(prefix+c.Label, c.Value)
		}
	}
	claims("", res.Claims)
	check := func(group string, c pages.Check) {
		if len(d.Checks) >= hrReportMaxChecks {
			return
		}
		name := hrPDFText(c.Name, 60)
		if name == "" {
			name = "—"
		}
		d.Checks = append(d.Checks, pdfdoc.Check{Group: hrPDFText(group, 100), Name: name, State: pdfdoc.CheckState(c.State), Message: hrPDFText(c.Message, 600)})
	}
	for _, c := range res.Checks {
		check("", c)
	}
	for i, cr := range res.Credentials {
		group := lang.F("verify.credentialN", i+1)
		if len(cr.Types) > 0 {
			group += lang.Pick("：", ": ") + strings.Join(cr.Types, lang.Pick("、", ", "))
		}
		for _, c := range cr.Checks {
			check(group, c)
		}
		if len(res.Credentials) > 1 {
			claims(lang.F("verify.credentialN", i+1)+" · ", cr.Claims)
		} else {
			claims("", cr.Claims)
		}
		if res.Issuer == "" && cr.Issuer != "" {
			add(lang.T("verify.issuer"), strings.TrimSpace(cr.IssuerName+" "+cr.Issuer))
		}
	}
	if len(d.Checks) == 0 {
		d.Checks = append(d.Checks, pdfdoc.Check{Name: hrPDFText(lang.T("hr.pdf.noChecks"), 60), State: pdfdoc.CheckSkip})
	}
	return d
}

// hrPDFText makes s printable by pdfdoc: line breaks and other control
// characters become spaces, characters outside the scripts its fonts draw
// (Latin, Greek, Cyrillic, CJK, kana, common punctuation) become "?", and
// the text is cut to max runes.
func hrPDFText(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.ToValidUTF8(s, "?") {
		if n == max {
			break
		}
		switch {
		case unicode.IsControl(r) || unicode.IsSpace(r):
			r = ' '
		case !hrPrintable(r):
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	out := strings.TrimSpace(b.String())
	if utf8.RuneCountInString(out) == max && utf8.RuneCountInString(s) > max {
		rs := []rune(out)
		out = string(rs[:max-1]) + "…"
	}
	return out
}

// hrPrintable reports whether pdfdoc's fonts draw r.
func hrPrintable(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7e, r >= 0xa0 && r <= 0x24f: // Latin
		return true
	case r >= 0x370 && r <= 0x3ff, r >= 0x400 && r <= 0x4ff: // Greek, Cyrillic
		return true
	case r >= 0x2010 && r <= 0x2027, r >= 0x2030 && r <= 0x205e: // punctuation
		return true
	case r >= 0x3000 && r <= 0x30ff, r >= 0x4e00 && r <= 0x9fff, r >= 0x3400 && r <= 0x4dbf: // CJK, kana
		return true
	case r >= 0xff01 && r <= 0xff5e: // fullwidth forms
		return true
	}
	return false
}
