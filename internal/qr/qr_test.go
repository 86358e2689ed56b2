package qr_test

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/talentchain/talentchain/internal/qr"
)

// decode reads a QR code from img with an independent decoder and returns
// its text and error-correction level. pure says the image is the symbol
// alone (the decoder then reads the modules without looking for finder
// patterns, which it sometimes misses in tiny version 1 images).
func decode(t testing.TB, img image.Image, pure ...bool) (string, string) {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("bitmap: %v", err)
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_CHARACTER_SET: "UTF-8"}
	if len(pure) > 0 && pure[0] {
		hints[gozxing.DecodeHintType_PURE_BARCODE] = true
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, hints)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	level, _ := res.GetResultMetadata()[gozxing.ResultMetadataType_ERROR_CORRECTION_LEVEL].(string)
	return res.GetText(), level
}

// image of a module matrix, scale pixels per module.
func bitmapImage(bm [][]bool, scale int) image.Image {
	n := len(bm)
	img := image.NewGray(image.Rect(0, 0, n*scale, n*scale))
	for y := range n * scale {
		for x := range n * scale {
			c := color.Gray{255}
			if bm[y/scale][x/scale] {
				c = color.Gray{0}
			}
			img.SetGray(x, y, c)
		}
	}
	return img
}

var texts = []struct{ name, text string }{
	{"share link", "https://talentchain.example.cn/s/8f2KQ1x0aZ"},
	{"verification page", "https://verify.talentchain.example.cn/v/urn:uuid:2f1c9a7e-5b7c-4c1e-9f38-0d8c2b7e4a11"},
	{"chinese", "张伟 · 工学硕士 · 清华大学"},
	{"claim offer", "openid-credential-offer://?credential_offer_uri=" + strings.Repeat("https%3A%2F%2Fissuer.example%2Fo%2F", 20)},
	{"longest", strings.Repeat("a", qr.MaxText)},
}

func TestPNGDecodes(t *testing.T) {
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			for _, size := range []int{256, 777} {
				b, err := qr.PNG(tc.text, size)
				if err != nil {
					t.Fatal(err)
				}
				img, err := png.Decode(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				if got := img.Bounds().Size(); got != image.Pt(size, size) {
					t.Fatalf("size %v, want %d", got, size)
				}
				got, level := decode(t, img)
				if got != tc.text {
					t.Fatalf("decoded %q, want %q", got, tc.text)
				}
				if level != "M" {
					t.Fatalf("error correction %q, want M", level)
				}
			}
		})
	}
}

var svgRun = regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-(\d+)z`)

// TestSVGDecodes redraws the SVG's rectangles into a bitmap, which must be
// the code's matrix and decode back to the text.
func TestSVGDecodes(t *testing.T) {
	for _, tc := range texts {
		t.Run(tc.name, func(t *testing.T) {
			b, err := qr.SVG(tc.text, 300)
			if err != nil {
				t.Fatal(err)
			}
			var root struct {
				XMLName xml.Name
				Width   string `xml:"width,attr"`
				ViewBox string `xml:"viewBox,attr"`
				Path    struct {
					D string `xml:"d,attr"`
				} `xml:"path"`
			}
			if err := xml.Unmarshal(b, &root); err != nil {
				t.Fatalf("not XML: %v", err)
			}
			if root.XMLName.Local != "svg" || root.Width != "300" {
				t.Fatalf("root %v width %q", root.XMLName, root.Width)
			}
			var n int
			if _, err := fmt.Sscanf(root.ViewBox, "0 0 %d %d", &n, &n); err != nil {
				t.Fatalf("viewBox %q: %v", root.ViewBox, err)
			}
			drawn := make([][]bool, n)
			for i := range drawn {
				drawn[i] = make([]bool, n)
			}
			for _, m := range svgRun.FindAllStringSubmatch(root.Path.D, -1) {
				x, _ := strconv.Atoi(m[1])
				y, _ := strconv.Atoi(m[2])
				w, _ := strconv.Atoi(m[3])
				for i := x; i < x+w; i++ {
					drawn[y][i] = true
				}
			}
			if rest := svgRun.ReplaceAllString(root.Path.D, ""); rest != "" {
				t.Fatalf("unexpected path data %q", rest)
			}
			want, err := qr.Bitmap(tc.text)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(drawn) != fmt.Sprint(want) {
				t.Fatal("SVG modules differ from the bitmap")
			}
			if got, _ := decode(t, bitmapImage(drawn, 4)); got != tc.text {
				t.Fatalf("decoded %q, want %q", got, tc.text)
			}
		})
	}
}

func TestBitmapQuietZone(t *testing.T) {
	bm, err := qr.Bitmap("https://talentchain.example.cn/v/1")
	if err != nil {
		t.Fatal(err)
	}
	n := len(bm)
	if (n-2*qr.QuietZone-17)%4 != 0 {
		t.Fatalf("side %d is not a QR version plus the quiet zone", n)
	}
	for i := range n {
		if len(bm[i]) != n {
			t.Fatalf("row %d has %d modules, want %d", i, len(bm[i]), n)
		}
		for j := range qr.QuietZone {
			if bm[i][j] || bm[j][i] || bm[i][n-1-j] || bm[n-1-j][i] {
				t.Fatalf("dark module in the quiet zone near (%d,%d)", i, j)
			}
		}
	}
	// The finder pattern's corner starts right after the quiet zone.
	if !bm[qr.QuietZone][qr.QuietZone] {
		t.Fatal("no finder pattern at the top left")
	}
	// The longest text still makes a symbol of at most version 26.
	bm, err = qr.Bitmap(strings.Repeat("x", qr.MaxText))
	if err != nil {
		t.Fatal(err)
	}
	if v := (len(bm) - 2*qr.QuietZone - 17) / 4; v > 26 {
		t.Fatalf("MaxText makes version %d", v)
	}
}

func TestRefused(t *testing.T) {
	cases := []struct {
		name string
		text string
		size int
		want error
	}{
		{"empty", "", 256, qr.ErrInvalid},
		{"too long", strings.Repeat("a", qr.MaxText+1), 256, qr.ErrTooLong},
		{"not utf-8", "https://x.example/\xff", 256, qr.ErrInvalid},
		{"too small", "https://x.example/", qr.MinSize - 1, qr.ErrInvalid},
		{"too large", "https://x.example/", qr.MaxSize + 1, qr.ErrInvalid},
		{"negative", "https://x.example/", -3, qr.ErrInvalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := qr.PNG(tc.text, tc.size); !errors.Is(err, tc.want) {
				t.Fatalf("PNG: %v, want %v", err, tc.want)
			}
			if _, err := qr.SVG(tc.text, tc.size); !errors.Is(err, tc.want) {
				t.Fatalf("SVG: %v, want %v", err, tc.want)
			}
		})
	}
	// A PNG smaller than the symbol's modules is refused, not blurred.
	if _, err := qr.PNG(strings.Repeat("a", qr.MaxText), qr.MinSize); !errors.Is(err, qr.ErrInvalid) {
		t.Fatalf("dense code in a small PNG: %v", err)
	}
}

// FuzzBitmap: any text is either refused with a sentinel or encoded into a
// code that decodes back to it.
func FuzzBitmap(f *testing.F) {
	for _, tc := range texts {
		f.Add(tc.text)
	}
	f.Add("")
	f.Add("\x00\x01")
	f.Fuzz(func(t *testing.T, text string) {
		bm, err := qr.Bitmap(text)
		if err != nil {
			if !errors.Is(err, qr.ErrInvalid) && !errors.Is(err, qr.ErrTooLong) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if got, _ := decode(t, bitmapImage(bm, 3), true); got != text {
			t.Fatalf("decoded %q, want %q", got, text)
		}
	})
}

func BenchmarkPNG(b *testing.B) {
	for b.Loop() {
		if _, err := qr.PNG(texts[1].text, 512); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSVG(b *testing.B) {
	for b.Loop() {
		if _, err := qr.SVG(texts[1].text, 512); err != nil {
			b.Fatal(err)
		}
	}
}
