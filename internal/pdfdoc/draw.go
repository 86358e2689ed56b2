package pdfdoc

import (
	"fmt"
	"io"
	"strings"
	"unicode"

	"github.com/signintech/gopdf"

	"github.com/talentchain/talentchain/internal/qr"
)

type rgb struct{ r, g, b uint8 }

var (
	ink    = rgb{17, 24, 39}
	muted  = rgb{75, 85, 99}
	accent = rgb{30, 58, 95}
	rule   = rgb{203, 213, 225}
	white  = rgb{255, 255, 255}
	black  = rgb{0, 0, 0}
	green  = rgb{21, 128, 61}
	amber  = rgb{180, 83, 9}
	red    = rgb{185, 28, 28}
	grey   = rgb{107, 114, 128}
)

// doc wraps a gopdf document in points, with a sticky error: drawing calls
// after a failure do nothing, and finish reports the first failure.
type doc struct {
	pdf  *gopdf.GoPdf
	lang Lang
	err  error
}

func newDoc(page *gopdf.Rect, lang Lang, info gopdf.PdfInfo) (*doc, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, err
	}
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *page, Unit: gopdf.UnitPT})
	pdf.SetInfo(info)
	for _, f := range []face{latin, latinBold, cjk} {
		if err := pdf.AddTTFFontFromFontContainer(families[f], &fs.container); err != nil {
			return nil, fmt.Errorf("pdfdoc: add font %s: %w", families[f], err)
		}
	}
	pdf.AddPage()
	return &doc{pdf: pdf, lang: lang}, nil
}

func (d *doc) fail(err error) {
	if d.err == nil && err != nil {
		d.err = err
	}
}

func (d *doc) finish(w io.Writer, what string) error {
	if d.err != nil {
		return fmt.Errorf("pdfdoc: draw %s: %w", what, d.err)
	}
	if _, err := d.pdf.WriteTo(w); err != nil {
		return fmt.Errorf("pdfdoc: write %s: %w", what, err)
	}
	return nil
}

func (d *doc) setFont(f face, size float64) {
	d.fail(d.pdf.SetFont(families[f], "", size))
}

// width of s at size.
func (d *doc) width(s string, size float64, bold bool) float64 {
	var w float64
	for _, r := range runs(s, bold) {
		d.setFont(r.face, size)
		rw, err := d.pdf.MeasureTextWidth(r.text)
		d.fail(err)
		w += rw
	}
	return w
}

// text draws s with its baseline at y, starting at x, and returns its width.
func (d *doc) text(x, y float64, s string, size float64, bold bool, c rgb) float64 {
	if d.err != nil {
		return 0
	}
	d.pdf.SetTextColor(c.r, c.g, c.b)
	start := x
	for _, r := range runs(s, bold) {
		d.setFont(r.face, size)
		d.pdf.SetXY(x, y)
		d.fail(d.pdf.Text(r.text))
		rw, err := d.pdf.MeasureTextWidth(r.text)
		d.fail(err)
		x += rw
	}
	return x - start
}

// centred draws s centred on cx.
func (d *doc) centred(cx, y float64, s string, size float64, bold bool, c rgb) {
	d.text(cx-d.width(s, size, bold)/2, y, s, size, bold, c)
}

// fit returns the largest size, at most size and at least min, at which s
// is no wider than maxW.
func (d *doc) fit(s string, maxW, size, min float64, bold bool) float64 {
	w := d.width(s, size, bold)
	if w <= maxW {
		return size
	}
	return max(min, size*maxW/w)
}

// wrap breaks s into lines no wider than maxW: after spaces, between CJK
// characters, and inside a word only when the word alone is too wide.
func (d *doc) wrap(s string, maxW, size float64, bold bool) []string {
	var lines []string
	line := ""
	for _, tok := range tokens(s) {
		if d.width(strings.TrimRight(line+tok, " "), size, bold) <= maxW {
			line += tok
			continue
		}
		if line != "" {
			lines = append(lines, strings.TrimRight(line, " "))
			line = ""
		}
		for d.width(strings.TrimRight(tok, " "), size, bold) > maxW {
			// Break a word too wide for a line, rune by rune.
			rs := []rune(tok)
			n := 1
			for n < len(rs) && d.width(string(rs[:n+1]), size, bold) <= maxW {
				n++
			}
			lines = append(lines, string(rs[:n]))
			tok = string(rs[n:])
		}
		line = tok
	}
	if strings.TrimSpace(line) != "" || len(lines) == 0 {
		lines = append(lines, strings.TrimRight(line, " "))
	}
	return lines
}

// tokens splits s into wrap units: a CJK character, or a word with the
// spaces after it.
func tokens(s string) []string {
	var out []string
	cur := ""
	for _, r := range s {
		switch {
		case faceFor(r) == cjk && !unicode.IsSpace(r):
			if cur != "" {
				out = append(out, cur)
				cur = ""
			}
			out = append(out, string(r))
		case r == ' ':
			cur += " "
			out = append(out, cur)
			cur = ""
		default:
			if strings.HasSuffix(cur, " ") {
				out = append(out, cur)
				cur = ""
			}
			cur += string(r)
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// paragraph draws s wrapped to maxW from baseline y, lineH apart, and
// returns the baseline after the last line.
func (d *doc) paragraph(x, y, maxW float64, s string, size, lineH float64, bold bool, c rgb) float64 {
	for _, l := range d.wrap(s, maxW, size, bold) {
		d.text(x, y, l, size, bold, c)
		y += lineH
	}
	return y
}

func (d *doc) fillRect(x, y, w, h float64, c rgb) {
	if d.err != nil {
		return
	}
	d.pdf.SetFillColor(c.r, c.g, c.b)
	d.pdf.RectFromUpperLeftWithStyle(x, y, w, h, "F")
}

func (d *doc) strokeRect(x, y, w, h, lw float64, c rgb) {
	if d.err != nil {
		return
	}
	d.pdf.SetStrokeColor(c.r, c.g, c.b)
	d.pdf.SetLineWidth(lw)
	d.pdf.RectFromUpperLeftWithStyle(x, y, w, h, "D")
}

func (d *doc) line(x1, y1, x2, y2, lw float64, c rgb) {
	if d.err != nil {
		return
	}
	d.pdf.SetStrokeColor(c.r, c.g, c.b)
	d.pdf.SetLineWidth(lw)
	d.pdf.Line(x1, y1, x2, y2)
}

// dot draws a filled circle of diameter size with its top left at (x, y).
func (d *doc) dot(x, y, size float64, c rgb) {
	if d.err != nil {
		return
	}
	d.pdf.SetFillColor(c.r, c.g, c.b)
	d.fail(d.pdf.Rectangle(x, y, x+size, y+size, "F", size/2, 8))
}

// qrCode draws the QR code of text as vector squares in a size×size box
// (quiet zone included) with its top left at (x, y).
func (d *doc) qrCode(x, y, size float64, text string) {
	if d.err != nil {
		return
	}
	bm, err := qr.Bitmap(text)
	if err != nil {
		d.fail(err)
		return
	}
	d.fillRect(x, y, size, size, white)
	m := size / float64(len(bm))
	d.pdf.SetFillColor(black.r, black.g, black.b)
	for row, mods := range bm {
		for col := 0; col < len(mods); {
			if !mods[col] {
				col++
				continue
			}
			start := col
			for col < len(mods) && mods[col] {
				col++
			}
			// A hair taller than a module, so no seam shows between rows.
			d.pdf.RectFromUpperLeftWithStyle(x+float64(start)*m, y+float64(row)*m, float64(col-start)*m, m+0.05, "F")
		}
	}
}
