// Package qr draws QR codes for the links people scan: share links, credential
// offers, presentation requests and the verification page printed on a
// certificate. It owns the choices that make those codes scan well on a phone
// and on paper: error-correction level M (about 15 % of the symbol may be
// damaged), a quiet zone of four modules, whole-pixel modules in PNG, and a
// cap on the text length so no code grows too dense to read.
//
// The encoder is github.com/skip2/go-qrcode; this package renders its module
// matrix itself (SVG, PNG, or the matrix for a PDF writer to draw as vectors).
package qr

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strconv"
	"strings"
	"unicode/utf8"

	qrcode "github.com/skip2/go-qrcode"
)

// MaxText is the longest text, in bytes, a code may carry. At level M it
// makes a version 26 symbol (121 modules a side without the quiet zone):
// still read by phone cameras from a screen or a large print, which denser
// symbols are not reliably. A typical share or verification link (under 100
// bytes) makes version 5 or 6. Longer links must be shortened by the caller
// (for example a share link's id instead of the whole offer).
const MaxText = 1024

// QuietZone is the white border, in modules, around every symbol.
const QuietZone = 4

// Limits of an image's size, in pixels (PNG) or user units (SVG).
const (
	MinSize = 64
	MaxSize = 4096
)

var (
	// ErrInvalid means the text or the size cannot make a code: empty or
	// not UTF-8 text, or a size out of range. The caller's input is wrong.
	ErrInvalid = errors.New("qr: invalid input")
	// ErrTooLong means the text is longer than MaxText bytes; shorten the
	// link rather than print a code no phone reads.
	ErrTooLong = errors.New("qr: text too long for a readable code")
)

// Bitmap returns the code's modules for text, row by row, true for a dark
// module, including the quiet zone of QuietZone modules on every side. The
// matrix is square.
func Bitmap(text string) ([][]bool, error) {
	if err := checkText(text); err != nil {
		return nil, err
	}
	c, err := qrcode.New(text, qrcode.Medium)
	if err != nil {
		// The encoder refuses only text beyond version 40, which MaxText
		// already excludes; keep its reason anyway.
		return nil, fmt.Errorf("%w: %v", ErrTooLong, err)
	}
	return c.Bitmap(), nil
}

func checkText(text string) error {
	switch {
	case text == "":
		return fmt.Errorf("%w: empty text", ErrInvalid)
	case len(text) > MaxText:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrTooLong, len(text), MaxText)
	case !utf8.ValidString(text):
		return fmt.Errorf("%w: text is not valid UTF-8", ErrInvalid)
	}
	return nil
}

func checkSize(size int) error {
	if size < MinSize || size > MaxSize {
		return fmt.Errorf("%w: size %d out of range %d..%d", ErrInvalid, size, MinSize, MaxSize)
	}
	return nil
}

// SVG returns the code for text as a standalone SVG image size units wide
// and high (black on white, crisp edges). It scales without loss, so it suits
// web pages; the markup contains no text from the input.
func SVG(text string, size int) ([]byte, error) {
	if err := checkSize(size); err != nil {
		return nil, err
	}
	bm, err := Bitmap(text)
	if err != nil {
		return nil, err
	}
	n := len(bm)
	var b strings.Builder
	b.Grow(64 * n)
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img">`, size, size, n, n)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	for y, row := range bm {
		for x := 0; x < n; {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < n && row[x] {
				x++
			}
			// One rectangle per horizontal run of dark modules.
			b.WriteString("M" + strconv.Itoa(start) + " " + strconv.Itoa(y) + "h" + strconv.Itoa(x-start) + "v1h-" + strconv.Itoa(x-start) + "z")
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

// PNG returns the code for text as a size×size PNG image. Every module is the
// same whole number of pixels; the rest of the image is white margin around
// the quiet zone. A size too small to give each module one pixel is refused
// with ErrInvalid.
func PNG(text string, size int) ([]byte, error) {
	if err := checkSize(size); err != nil {
		return nil, err
	}
	bm, err := Bitmap(text)
	if err != nil {
		return nil, err
	}
	n := len(bm)
	px := size / n
	if px < 1 {
		return nil, fmt.Errorf("%w: size %d is smaller than the code's %d modules", ErrInvalid, size, n)
	}
	off := (size - px*n) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bm {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := range px {
				line := img.Pix[(off+y*px+dy)*img.Stride:]
				for dx := range px {
					line[off+x*px+dx] = 1
				}
			}
		}
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr: encode png: %w", err)
	}
	return buf.Bytes(), nil
}
