package pdfdoc

import (
	"fmt"
	"io"

	"github.com/signintech/gopdf"
)

// Report writes a printable verification report (A4 portrait, as many pages
// as the checks need) to w: title, when and by whom it was verified, the
// verdict with its explanation, a summary of the document, every check with a
// green, amber, red or grey marker, its state in words and its message, and
// on every page a footer with the verification id, the URL and the page
// number. The URL is also printed as a QR code on the first page. Labels and
// dates are in r.Lang. Data that cannot be printed are refused with an error
// wrapping ErrInvalid (and one *ValidationError per field) before anything
// is written.
func Report(w io.Writer, r ReportData) error {
	if err := check(&r, r.URL, "URL"); err != nil {
		return err
	}
	d, err := newDoc(gopdf.PageSizeA4, r.Lang, gopdf.PdfInfo{})
	if err != nil {
		return err
	}
	if r.Title == "" {
		r.Title = d.say(wReport)
	}
	d.pdf.SetInfo(gopdf.PdfInfo{
		Title:        r.Title,
		Author:       r.VerifiedBy,
		Subject:      r.VerificationID,
		Creator:      "TalentChain",
		CreationDate: r.VerifiedAt,
	})
	d.report(&r)
	return d.finish(w, "report")
}

// Page geometry of the report, in points (A4 portrait is 595 × 842).
const (
	repW      = 595.0
	repLeft   = 50.0
	repRight  = repW - 50
	repTop    = 60.0
	repBottom = 770.0 // content stops here; the footer is below
	repQR     = 76.0
)

type reportLayout struct {
	*doc
	y     float64
	pages int
}

func (d *doc) report(r *ReportData) {
	l := &reportLayout{doc: d, y: 72, pages: 1}

	d.qrCode(repRight-repQR, 36, repQR, r.URL)
	titleSize, titleLines := d.block(r.Title, repRight-repLeft-repQR-16, 20, 12, 2, true)
	for _, t := range titleLines {
		d.text(repLeft, l.y, t, titleSize, true, ink)
		l.y += titleSize + 4
	}
	l.y += 4
	l.pair(d.say(wVerifiedAt), d.dateTime(r.VerifiedAt), repRight-repLeft-repQR-16)
	if r.VerifiedBy != "" {
		l.pair(d.say(wVerifiedBy), r.VerifiedBy, repRight-repLeft-repQR-16)
	}
	l.y = max(l.y, 36+repQR+8) + 10

	// Verdict: a coloured bar with the verdict in words, then the reason.
	verdict := d.say(wVerdict) + d.say(wColon) + d.say(verdictWords[r.Verdict])
	d.fillRect(repLeft, l.y, repRight-repLeft, 26, verdictColours[r.Verdict])
	d.text(repLeft+10, l.y+17.5, verdict, 13, true, white)
	l.y += 26 + 16
	if r.VerdictText != "" {
		l.y = d.paragraph(repLeft, l.y, repRight-repLeft, r.VerdictText, 10.5, 14, false, ink) + 6
	}

	if len(r.Document) > 0 {
		l.heading(d.say(wDocument))
		for _, f := range r.Document {
			l.field(f)
		}
		l.y += 8
	}

	l.heading(d.say(wChecks))
	group := ""
	for _, c := range r.Checks {
		if c.Group != group {
			group = c.Group
			l.room(16 + l.checkHeight(c))
			if group != "" {
				l.y += 4
				d.text(repLeft, l.y, group, 11, true, accent)
				l.y += 16
			}
		}
		l.check(c)
	}

	l.footers(r)
}

// room starts a new page when h more points do not fit on this one.
func (l *reportLayout) room(h float64) {
	if l.y+h <= repBottom {
		return
	}
	l.pdf.AddPage()
	l.pages++
	l.y = repTop
}

func (l *reportLayout) heading(s string) {
	l.y += 8
	l.room(40)
	l.text(repLeft, l.y, s, 12.5, true, accent)
	l.line(repLeft, l.y+5, repRight, l.y+5, 0.5, rule)
	l.y += 22
}

// pair draws "label: value" on one line, wrapping the value.
func (l *reportLayout) pair(label, value string, w float64) {
	lw := l.text(repLeft, l.y, label+l.say(wColon), 9.5, false, muted)
	for _, s := range l.wrap(value, w-lw, 9.5, false) {
		l.text(repLeft+lw, l.y, s, 9.5, false, ink)
		l.y += 13
	}
}

const labelW = 130.0

func (l *reportLayout) field(f Field) {
	lines := l.wrap(f.Value, repRight-repLeft-labelW, 10, false)
	l.room(float64(len(lines)) * 14)
	labels := l.wrap(f.Label, labelW-8, 9, false)
	y := l.y
	for _, s := range labels {
		l.text(repLeft, y, s, 9, false, muted)
		y += 12
	}
	for _, s := range lines {
		l.text(repLeft+labelW, l.y, s, 10, false, ink)
		l.y += 14
	}
	l.y = max(l.y, y) + 2
}

const (
	checkIndent = 18.0
	stateW      = 96.0
)

func (l *reportLayout) checkHeight(c Check) float64 {
	h := 15.0
	if c.Message != "" {
		h += float64(len(l.wrap(c.Message, repRight-repLeft-checkIndent-stateW, 9.5, false))) * 12.5
	}
	return h + 7
}

// check draws one check: a coloured marker, the name, the state in words in
// the same colour, and the message under the name.
func (l *reportLayout) check(c Check) {
	l.room(l.checkHeight(c))
	col := checkColours[c.State]
	l.dot(repLeft+1, l.y-8.5, 10, col)
	l.text(repLeft+checkIndent, l.y, c.Name, 10.5, true, ink)
	state := l.say(checkWords[c.State])
	l.text(repRight-l.width(state, 10, true), l.y, state, 10, true, col)
	l.y += 15
	if c.Message != "" {
		l.y = l.paragraph(repLeft+checkIndent, l.y, repRight-repLeft-checkIndent-stateW, c.Message, 9.5, 12.5, false, muted)
	}
	l.y += 7
}

// footers draws the verification id, the URL and the page number at the
// bottom of every page, once the number of pages is known.
func (l *reportLayout) footers(r *ReportData) {
	for p := 1; p <= l.pages; p++ {
		l.fail(l.pdf.SetPage(p))
		if l.err != nil {
			return
		}
		l.line(repLeft, repBottom+12, repRight, repBottom+12, 0.5, rule)
		page := fmt.Sprintf(l.say(wPage), p, l.pages)
		pw := l.width(page, 8, false)
		l.text(repRight-pw, repBottom+26, page, 8, false, muted)
		lw := l.text(repLeft, repBottom+26, l.say(wVerification)+l.say(wColon), 8, false, muted)
		y := repBottom + 26
		size, ids := l.block(r.VerificationID, repRight-repLeft-lw-pw-12, 8, 5.5, 2, false)
		for _, s := range ids {
			l.text(repLeft+lw, y, s, size, false, ink)
			y += size + 2
		}
		size, urls := l.block(r.URL, repRight-repLeft, 8, 5, 3, false)
		for _, s := range urls {
			y += size + 2
			l.text(repLeft, y, s, size, false, accent)
		}
	}
}
