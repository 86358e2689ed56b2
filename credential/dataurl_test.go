package credential

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestParseDataURL(t *testing.T) {
	for _, c := range []struct {
		name, in  string
		mediaType string // "" = refused
		params    []string
		base64    bool
		data      string
		reason    string // part of the error of a refusal
	}{
		{"compact JWT", "data:application/vc+jwt,a.b.c", "application/vc+jwt", nil, false, "a.b.c", ""},
		{"media type lower-cased", "data:Application/VC+JWT,a.b.c", "application/vc+jwt", nil, false, "a.b.c", ""},
		{"percent-encoded", "data:application/vc+jwt,a.b%2Ec", "application/vc+jwt", nil, false, "a.b.c", ""},
		{"base64", "data:application/vc+sd-jwt;base64,YS5iLmN+ZA==", "application/vc+sd-jwt", nil, true, "a.b.c~d", ""},
		{"a parameter", "data:application/vc+ld+json;charset=utf-8,%7B%7D", "application/vc+ld+json", []string{"charset=utf-8"}, false, "{}", ""},
		{"a parameter then base64", "data:text/plain;charset=utf-8;base64,aGk=", "text/plain", []string{"charset=utf-8"}, true, "hi", ""},
		{"not a data URL", "https://example.com/a", "", nil, false, "", "does not start"},
		{"upper-case scheme", "DATA:text/plain,hi", "", nil, false, "", "does not start"},
		{"no comma", "data:application/vc+jwt", "", nil, false, "", "no ','"},
		{"no media type", "data:,a.b.c", "", nil, false, "", "media type"},
		{"only parameters", "data:;base64,YQ==", "", nil, false, "", "media type"},
		{"no subtype", "data:application,a", "", nil, false, "", "media type"},
		{"empty subtype", "data:application/,a", "", nil, false, "", "media type"},
		{"space in media type", "data: application/vc+jwt,a", "", nil, false, "", "media type"},
		{"two slashes", "data:application/vc/jwt,a", "", nil, false, "", "media type"},
		{"base64 not last", "data:text/plain;base64;charset=utf-8,aGk=", "", nil, false, "", "parameter 1"},
		{"empty parameter", "data:text/plain;,hi", "", nil, false, "", "parameter 1"},
		{"parameter without value", "data:text/plain;charset,hi", "", nil, false, "", "parameter 1"},
		{"quoted parameter", `data:text/plain;charset="utf-8",hi`, "", nil, false, "", "parameter 1"},
		{"bad base64", "data:application/vc+jwt;base64,@@", "", nil, false, "", "base64 alphabet"},
		{"base64 with a newline", "data:text/plain;base64,aG\nk=", "", nil, false, "", "base64 alphabet"},
		{"base64 unpadded", "data:text/plain;base64,aGk", "", nil, false, "", "base64 data"},
		{"base64url alphabet", "data:text/plain;base64,-_8=", "", nil, false, "", "base64 alphabet"},
		{"base64 data undeclared", "data:text/plain,aGk=", "text/plain", nil, false, "aGk=", ""},
		{"empty data", "data:application/vc+jwt,", "", nil, false, "", "no data"},
		{"empty base64 data", "data:text/plain;base64,", "", nil, false, "", "no data"},
		{"space in data", "data:text/plain,a b", "", nil, false, "", "percent-encode"},
		{"non-ASCII in data", "data:text/plain,é", "", nil, false, "", "percent-encode"},
		{"bad escape", "data:text/plain,a%zz", "", nil, false, "", "'%'"},
		{"too large", "data:text/plain," + strings.Repeat("a", MaxDataURLSize), "", nil, false, "", "larger than"},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, err := ParseDataURL(c.in)
			if c.mediaType == "" {
				if !errors.Is(err, ErrDataURL) || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), c.reason) {
					t.Fatalf("ParseDataURL = %+v, %v; want an ErrDataURL saying %q", u, err, c.reason)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseDataURL: %v", err)
			}
			if u.MediaType != c.mediaType || !slices.Equal(u.Params, c.params) || u.Base64 != c.base64 || string(u.Data) != c.data {
				t.Fatalf("ParseDataURL = %+v, want %s %q base64=%v %q", u, c.mediaType, c.params, c.base64, c.data)
			}
		})
	}
}

func TestDataURLString(t *testing.T) {
	for _, c := range []struct {
		u    DataURL
		want string
	}{
		{DataURL{MediaType: "application/vc+jwt", Data: []byte("a.b.c")}, "data:application/vc+jwt,a.b.c"},
		{DataURL{MediaType: "text/plain", Params: []string{"charset=utf-8"}, Data: []byte("a b%{é")}, "data:text/plain;charset=utf-8,a%20b%25%7B%C3%A9"},
		{DataURL{MediaType: "text/plain", Base64: true, Data: []byte("hi")}, "data:text/plain;base64,aGk="},
	} {
		if got := c.u.String(); got != c.want {
			t.Errorf("String = %s, want %s", got, c.want)
		}
	}
}

// FuzzParseDataURL: no input panics; an accepted URL keeps the rules (a
// lower-case type/subtype, data not empty), and its String form reads back
// to the same value.
func FuzzParseDataURL(f *testing.F) {
	for _, s := range []string{
		"data:application/vc+jwt,a.b.c", "data:application/vc+sd-jwt;base64,YS5iLmN+ZA==",
		"data:text/plain;charset=utf-8,a%20b", "data:,", "data:;base64,", "data:a/b;base64;x=y,aGk=",
		"data:a/b,%", "data:a/b,%e9",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseDataURL(s)
		if err != nil {
			if !errors.Is(err, ErrDataURL) {
				t.Fatalf("error does not wrap ErrDataURL: %v", err)
			}
			return
		}
		typ, sub, ok := strings.Cut(u.MediaType, "/")
		if !ok || !isToken(typ) || !isToken(sub) || u.MediaType != strings.ToLower(u.MediaType) || len(u.Data) == 0 {
			t.Fatalf("accepted %q as %+v", s, u)
		}
		again, err := ParseDataURL(u.String())
		if err != nil {
			t.Fatalf("String form %q refused: %v", u.String(), err)
		}
		if again.MediaType != u.MediaType || !slices.Equal(again.Params, u.Params) || again.Base64 != u.Base64 || !bytes.Equal(again.Data, u.Data) {
			t.Fatalf("round trip of %q: %+v, then %+v", s, u, again)
		}
	})
}
