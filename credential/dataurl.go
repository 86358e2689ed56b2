package credential

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
)

// MaxDataURLSize is the longest data: URL ParseDataURL reads, in bytes (the
// size of the largest document).
const MaxDataURLSize = MaxDocumentSize

// ErrDataURL means a data: URL was refused by ParseDataURL. It wraps
// ErrMalformed (its message is only "data: URL", so that a caller's own
// "malformed" sentinel reads well in front of it).
var ErrDataURL error = dataURLError{}

type dataURLError struct{}

func (dataURLError) Error() string { return "data: URL" }
func (dataURLError) Unwrap() error { return ErrMalformed }

// DataURL is a data: URL (RFC 2397), as an EnvelopedVerifiableCredential or
// EnvelopedVerifiablePresentation carries its secured form in its id.
type DataURL struct {
	// MediaType is "type/subtype" in lower case, without parameters.
	MediaType string
	// Params are the parameters other than base64, as given
	// ("charset=utf-8"); nil when there are none.
	Params []string
	// Base64 says the URL declared ";base64" and Data was base64-decoded;
	// otherwise Data was percent-decoded.
	Base64 bool
	// Data is the decoded payload; never empty.
	Data []byte
}

// ParseDataURL reads a data: URL "data:<type>/<subtype>[;<attr>=<value>]*
// [;base64],<data>" strictly: at most MaxDataURLSize bytes; a media type is
// required, and it and the parameters are RFC 2045 tokens; ";base64" only
// as the last parameter, and only then is the data base64 (standard
// alphabet, padded, nothing else); otherwise the data holds only URL
// characters (RFC 3986) and is percent-decoded; the decoded data is not
// empty. Errors wrap ErrDataURL (and so ErrMalformed) and say which rule
// failed; they never quote the data, which may be a bearer credential.
func ParseDataURL(s string) (*DataURL, error) {
	if len(s) > MaxDataURLSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrDataURL, MaxDataURLSize)
	}
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return nil, fmt.Errorf("%w: does not start with \"data:\"", ErrDataURL)
	}
	head, data, ok := strings.Cut(rest, ",")
	if !ok {
		return nil, fmt.Errorf("%w: no ',' before the data", ErrDataURL)
	}
	params := strings.Split(head, ";")
	mt := params[0]
	typ, sub, ok := strings.Cut(mt, "/")
	if mt == "" || !ok || !isToken(typ) || !isToken(sub) {
		return nil, fmt.Errorf("%w: media type %q is not type/subtype", ErrDataURL, clip(mt))
	}
	u := &DataURL{MediaType: strings.ToLower(mt)}
	for i, p := range params[1:] {
		if p == "base64" && i == len(params)-2 {
			u.Base64 = true
			break
		}
		attr, val, ok := strings.Cut(p, "=")
		if !ok || !isToken(attr) || !isToken(val) {
			return nil, fmt.Errorf("%w: parameter %d is not attribute=value (or a final base64)", ErrDataURL, i+1)
		}
		u.Params = append(u.Params, p)
	}
	if u.Base64 {
		for i := 0; i < len(data); i++ {
			if c := data[i]; !(isAlnum(c) || c == '+' || c == '/' || c == '=') {
				return nil, fmt.Errorf("%w: base64 data holds a character at %d outside the base64 alphabet", ErrDataURL, i)
			}
		}
		b, err := base64.StdEncoding.Strict().DecodeString(data)
		if err != nil {
			return nil, fmt.Errorf("%w: base64 data: %w", ErrDataURL, err)
		}
		u.Data = b
	} else {
		for i := 0; i < len(data); i++ {
			if !isURLChar(data[i]) {
				return nil, fmt.Errorf("%w: data holds a character at %d that a URL must percent-encode", ErrDataURL, i)
			}
		}
		d, err := url.PathUnescape(data)
		if err != nil {
			return nil, fmt.Errorf("%w: data holds a '%%' not followed by two hex digits", ErrDataURL)
		}
		u.Data = []byte(d)
	}
	if len(u.Data) == 0 {
		return nil, fmt.Errorf("%w: no data", ErrDataURL)
	}
	return u, nil
}

// String returns the URL: the data base64-encoded when Base64 is set,
// otherwise percent-encoded where RFC 3986 requires it.
func (u *DataURL) String() string {
	var b strings.Builder
	b.WriteString("data:")
	b.WriteString(u.MediaType)
	for _, p := range u.Params {
		b.WriteByte(';')
		b.WriteString(p)
	}
	if u.Base64 {
		b.WriteString(";base64,")
		b.WriteString(base64.StdEncoding.EncodeToString(u.Data))
		return b.String()
	}
	b.WriteByte(',')
	const hexDigits = "0123456789ABCDEF"
	for _, c := range u.Data {
		if isURLChar(c) && c != '%' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexDigits[c>>4])
		b.WriteByte(hexDigits[c&15])
	}
	return b.String()
}

// isToken reports whether s is an RFC 2045 token: one or more ASCII
// characters other than controls, space and tspecials.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// isURLChar reports whether c may stand in a URL as it is (RFC 3986
// unreserved and reserved characters, and '%' of an escape).
func isURLChar(c byte) bool {
	return isAlnum(c) || strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

// clip shortens s for an error message.
func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
