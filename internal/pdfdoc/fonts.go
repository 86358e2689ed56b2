package pdfdoc

import (
	"fmt"
	"sync"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"

	"github.com/talentchain/talentchain/third_party/fonts"
)

// face is one of the fonts text is drawn with. Droid Sans Fallback has CJK
// but no Latin letters; the Go fonts have Latin, Greek and Cyrillic but no
// CJK; every run of text is drawn with the first face that has its glyphs.
type face int

const (
	noFace    face = iota
	latin          // Go Regular
	latinBold      // Go Bold
	cjk            // Droid Sans Fallback (no bold: CJK headings are only larger)
)

// Family names double as the PDF BaseFont names. The six capital letters and
// "+" mark each as a subset, as PDF 32000-1 §9.6.4 asks (each document has
// one subset of each font, so a fixed tag is unique within the file).
var families = map[face]string{
	latin:     "TCGORG+GoRegular",
	latinBold: "TCGOBD+GoBold",
	cjk:       "TCDSFB+DroidSansFallback",
}

type fontSet struct {
	container gopdf.FontContainer
	latin     *sfnt.Font
	cjk       *sfnt.Font
}

// loadFonts parses the three fonts once per process (about 20 ms); every
// document then copies the parsed fonts and subsets them.
var loadFonts = sync.OnceValues(func() (*fontSet, error) {
	fs := new(fontSet)
	for f, data := range map[face][]byte{latin: goregular.TTF, latinBold: gobold.TTF, cjk: fonts.DroidSansFallback} {
		if err := fs.container.AddTTFFontData(families[f], data); err != nil {
			return nil, fmt.Errorf("pdfdoc: load font %s: %w", families[f], err)
		}
	}
	var err error
	if fs.latin, err = sfnt.Parse(goregular.TTF); err != nil {
		return nil, fmt.Errorf("pdfdoc: parse Go Regular: %w", err)
	}
	if fs.cjk, err = sfnt.Parse(fonts.DroidSansFallback); err != nil {
		return nil, fmt.Errorf("pdfdoc: parse Droid Sans Fallback: %w", err)
	}
	return fs, nil
})

// faceFor returns the regular face that draws r, or noFace.
func faceFor(r rune) face {
	fs, err := loadFonts()
	if err != nil {
		return noFace
	}
	if r == ' ' {
		return latin
	}
	var b sfnt.Buffer
	if i, err := fs.latin.GlyphIndex(&b, r); err == nil && i != 0 {
		return latin
	}
	if i, err := fs.cjk.GlyphIndex(&b, r); err == nil && i != 0 {
		return cjk
	}
	return noFace
}

// run is a piece of text drawn with one face.
type run struct {
	face face
	text string
}

// runs splits s into runs by face; bold asks for the bold Latin face.
func runs(s string, bold bool) []run {
	var out []run
	start, cur := 0, noFace
	for i, r := range s {
		f := faceFor(r)
		if f == latin && bold {
			f = latinBold
		}
		if f == noFace {
			f = latin // refused by validation before; never reached
		}
		if f != cur && i > start {
			out = append(out, run{cur, s[start:i]})
			start = i
		}
		cur = f
	}
	if start < len(s) {
		out = append(out, run{cur, s[start:]})
	}
	return out
}
