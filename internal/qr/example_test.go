package qr_test

import (
	"bytes"
	"fmt"
	"image/png"

	"github.com/talentchain/talentchain/internal/qr"
)

func Example() {
	link := "https://talentchain.example.cn/s/8f2KQ1x0aZ"

	svg, err := qr.SVG(link, 240) // for a web page: <img src="data:image/svg+xml;...">
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(bytes.HasPrefix(svg, []byte("<svg ")))

	b, err := qr.PNG(link, 240) // for a download or an e-mail
	if err != nil {
		fmt.Println(err)
		return
	}
	img, _ := png.Decode(bytes.NewReader(b))
	fmt.Println(img.Bounds().Dx(), "x", img.Bounds().Dy())
	// Output:
	// true
	// 240 x 240
}
