package pdfdoc

import (
	"fmt"
	"io"

	"github.com/signintech/gopdf"
)

// Certificate writes a printable one-page certificate (A4 landscape) of a
// credential to w: issuer, holder, title, key claims, dates, credential id,
// chain anchor, status when printed, and the verification URL as a QR code
// and as text. Labels and dates are in c.Lang. Data that cannot be printed
// are refused with an error wrapping ErrInvalid (and one *ValidationError per
// field) before anything is written.
func Certificate(w io.Writer, c CertificateData) error {
	if err := check(&c, c.VerifyURL, "VerifyURL"); err != nil {
		return err
	}
	d, err := newDoc(gopdf.PageSizeA4Landscape, c.Lang, gopdf.PdfInfo{
		Title:        c.Title + " — " + c.HolderName,
		Author:       c.IssuerName,
		Subject:      c.CredentialID,
		Creator:      "TalentChain",
		CreationDate: c.IssuedAt,
	})
	if err != nil {
		return err
	}
	d.certificate(&c)
	return d.finish(w, "certificate")
}

// Page geometry of the certificate, in points (A4 landscape is 842 × 595).
const (
	certW      = 842.0
	certLeft   = 60.0
	certRight  = certW - 60
	certMid    = certW / 2
	claimsTop  = 300.0
	claimsBot  = 450.0
	claimsW    = 530.0
	qrSize     = 128.0
	qrX        = certRight - qrSize - 4
	detailsTop = 480.0
)

func (d *doc) certificate(c *CertificateData) {
	// Frame.
	d.strokeRect(18, 18, certW-36, 595-36, 2, accent)
	d.strokeRect(24, 24, certW-48, 595-48, 0.6, accent)

	// Status when printed, as a coloured badge in the top right corner.
	status := d.say(statusWords[c.Status])
	sw := d.width(status, 10, true)
	d.fillRect(certRight+6-sw-16, 38, sw+16, 18, statusColours[c.Status])
	d.text(certRight+6-sw-8, 51, status, 10, true, white)

	d.centred(certMid, 80, c.IssuerName, d.fit(c.IssuerName, 540, 15, 8, false), false, accent)
	d.centred(certMid, 124, d.say(wCertificate), 30, true, ink)
	d.line(certMid-50, 138, certMid+50, 138, 1.5, accent)
	d.centred(certMid, 168, d.say(wCertifies), 12, false, muted)
	d.centred(certMid, 208, c.HolderName, d.fit(c.HolderName, 700, 30, 9, true), true, ink)
	d.centred(certMid, 236, d.say(wAwarded), 12, false, muted)
	// The title takes one line at up to 22 points, or two smaller ones.
	if size, lines := d.block(c.Title, 700, 22, 16, 1, true); len(lines) == 1 {
		d.centred(certMid, 270, c.Title, size, true, accent)
	} else {
		size, lines = d.block(c.Title, 700, 15, 8, 2, true)
		for i, l := range lines {
			d.centred(certMid, 259+float64(i)*(size+4), l, size, true, accent)
		}
	}
	d.line(certLeft, 288, certRight, 288, 0.5, rule)

	d.claims(c.Claims)

	d.qrCode(qrX, claimsTop, qrSize, c.VerifyURL)
	d.centred(qrX+qrSize/2, claimsTop+qrSize+14, d.say(wScan), 9, false, muted)

	d.line(certLeft, detailsTop-16, certRight, detailsTop-16, 0.5, rule)
	until := d.say(wNoExpiry)
	if !c.ValidUntil.IsZero() {
		until = d.date(c.ValidUntil)
	}
	anchor := d.say(wNotAnchored)
	if c.Anchor != nil {
		anchor = fmt.Sprintf(d.say(wAnchorAt), c.Anchor.Height, short(c.Anchor.TxHash, 6))
	}
	d.detail(certLeft, detailsTop, 150, d.say(wIssuedOn), d.date(c.IssuedAt))
	d.detail(certLeft+160, detailsTop, 150, d.say(wValidUntil), until)
	d.detail(certLeft, detailsTop+44, 310, d.say(wAnchor), anchor)
	d.detail(certLeft+330, detailsTop, certRight-certLeft-330, d.say(wCredentialID), c.CredentialID)

	label := d.say(wVerifyAt) + d.say(wColon)
	lw := d.text(certLeft+330, detailsTop+44, label, 8, false, muted)
	size, lines := d.block(c.VerifyURL, certRight-certLeft-330-lw, 8.5, 5, 5, false)
	for i, l := range lines {
		d.text(certLeft+330+lw, detailsTop+44+float64(i)*(size+2), l, size, false, accent)
	}
}

// detail draws a small muted label with its value under it, wrapped to two
// lines and shrunk if needed.
func (d *doc) detail(x, y, w float64, label, value string) {
	d.text(x, y, label, 8, false, muted)
	size, lines := d.block(value, w, 10.5, 6, 2, false)
	for i, l := range lines {
		d.text(x, y+14+float64(i)*(size+2), l, size, false, ink)
	}
}

// block wraps s to width w, shrinking from size (by half points, down to
// min) until it takes at most maxLines lines.
func (d *doc) block(s string, w, size, min float64, maxLines int, bold bool) (float64, []string) {
	for {
		lines := d.wrap(s, w, size, bold)
		if len(lines) <= maxLines || size-0.5 < min {
			return size, lines
		}
		size -= 0.5
	}
}

// claims draws the key claims in two columns (the first half on the left),
// at the largest size at which both columns fit between claimsTop and
// claimsBot.
func (d *doc) claims(fs []Claim) {
	if len(fs) == 0 {
		return
	}
	colW := (claimsW - 20) / 2
	half := (len(fs) + 1) / 2
	cols := [][]Claim{fs[:half], fs[half:]}
	size := 11.0
	for ; size > 6; size -= 0.5 {
		if d.column(cols[0], 0, 0, colW, size, false) <= claimsBot-claimsTop &&
			d.column(cols[1], 0, 0, colW, size, false) <= claimsBot-claimsTop {
			break
		}
	}
	d.column(cols[0], certLeft, claimsTop, colW, size, true)
	d.column(cols[1], certLeft+colW+20, claimsTop, colW, size, true)
}

// column lays out fields from top y, drawing them when draw is set, and
// returns the height used.
func (d *doc) column(fs []Claim, x, y, w, size float64, draw bool) float64 {
	top := y
	labelSize := max(6, size*0.78)
	for _, f := range fs {
		y += labelSize
		if draw {
			d.text(x, y, f.Label, labelSize, false, muted)
		}
		y += 3
		for _, l := range d.wrap(f.Value, w, size, false) {
			y += size * 1.25
			if draw {
				d.text(x, y, l, size, false, ink)
			}
		}
		y += size * 0.9
	}
	return y - top
}
