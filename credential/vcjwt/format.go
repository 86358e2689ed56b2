package vcjwt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// JOSE typ values and the media types of data: URLs.
const (
	TypeVC = "vc+jwt"
	TypeVP = "vp+jwt"
	// TypeJWT is the typ of VCDM 1.1 JWTs.
	TypeJWT = "jwt"

	MediaVC     = "application/vc+jwt"
	MediaVP     = "application/vp+jwt"
	MediaSDJWT  = "application/vc+sd-jwt"
	MediaDCSD   = "application/dc+sd-jwt"
	MediaJSONLD = "application/vc"
)

// Legacy typ values of earlier VC-JOSE-COSE drafts, accepted with a warning.
var legacyVCTypes = []string{"vc+ld+jwt", "vc+ld+json+jwt"}
var legacyVPTypes = []string{"vp+ld+jwt", "vp+ld+json+jwt"}

// Types of enveloped objects (VCDM 2.0 §4.13).
const (
	EnvelopedCredential   = "EnvelopedVerifiableCredential"
	EnvelopedPresentation = "EnvelopedVerifiablePresentation"
)

// ErrMalformed means the input is not in any format this package reads, or a
// data: URL or envelope is not well formed. It wraps credential.ErrMalformed.
var ErrMalformed = fmt.Errorf("malformed JOSE-secured credential: %w", credential.ErrMalformed)

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Format names the form a credential or presentation arrives in.
type Format string

// The formats Detect tells apart.
const (
	FormatUnknown        Format = ""
	FormatJSONLD         Format = "json-ld"      // a JSON object, secured (if at all) by an embedded proof
	FormatVCJWT          Format = "vc+jwt"       // VCDM 2.0, payload is the credential
	FormatVPJWT          Format = "vp+jwt"       // VCDM 2.0, payload is the presentation
	FormatVCJWT11        Format = "vc-jwt-1.1"   // VCDM 1.1 JWT with a vc claim
	FormatVPJWT11        Format = "vp-jwt-1.1"   // VCDM 1.1 JWT with a vp claim
	FormatSDJWT          Format = "dc+sd-jwt"    // SD-JWT VC (or any SD-JWT)
	FormatEnvelopedVC    Format = "enveloped-vc" // an EnvelopedVerifiableCredential object
	FormatEnvelopedVP    Format = "enveloped-vp" // an EnvelopedVerifiablePresentation object
	FormatDataURLVC      Format = "data-url-vc"  // data:application/vc+jwt,... or an SD-JWT data URL
	FormatDataURLVP      Format = "data-url-vp"  // data:application/vp+jwt,...
	FormatDataURLUnknown Format = "data-url"     // a data: URL of another media type
)

// Detect tells which format raw is in, without verifying anything: a JSON
// object (enveloped or not), a JSON string holding a token, a data: URL, a
// compact SD-JWT, or a compact JWS whose typ (or, for typ JWT, whose vc or vp
// claim) says what it secures.
func Detect(raw []byte) Format {
	s := bytes.TrimSpace(raw)
	if len(s) == 0 {
		return FormatUnknown
	}
	switch s[0] {
	case '{':
		doc, err := credential.ParseDocument(s)
		if err != nil {
			return FormatUnknown
		}
		types := asSlice(doc["type"])
		switch {
		case slices.Contains(types, any(EnvelopedCredential)):
			return FormatEnvelopedVC
		case slices.Contains(types, any(EnvelopedPresentation)):
			return FormatEnvelopedVP
		}
		return FormatJSONLD
	case '"':
		var str string
		if err := json.Unmarshal(s, &str); err != nil || strings.HasPrefix(str, "\"") {
			return FormatUnknown
		}
		return Detect([]byte(str))
	}
	str := string(s)
	if strings.HasPrefix(str, "data:") {
		mt, _, err := ParseDataURL(str)
		if err != nil {
			return FormatUnknown
		}
		switch mt {
		case MediaVC, MediaSDJWT, MediaDCSD:
			return FormatDataURLVC
		case MediaVP:
			return FormatDataURLVP
		}
		return FormatDataURLUnknown
	}
	if strings.Contains(str, "~") {
		if _, err := sdjwt.Parse(str); err == nil {
			return FormatSDJWT
		}
		return FormatUnknown
	}
	j, err := jose.Parse(str)
	if err != nil {
		return FormatUnknown
	}
	switch typ := j.Typ(); {
	case typ == TypeVC || slices.Contains(legacyVCTypes, typ):
		return FormatVCJWT
	case typ == TypeVP || slices.Contains(legacyVPTypes, typ):
		return FormatVPJWT
	case typ == TypeJWT || typ == "":
		claims, err := j.Claims()
		if err != nil {
			return FormatUnknown
		}
		if _, ok := claims["vc"].(map[string]any); ok {
			return FormatVCJWT11
		}
		if _, ok := claims["vp"].(map[string]any); ok {
			return FormatVPJWT11
		}
	}
	return FormatUnknown
}

// ParseDataURL splits a data: URL "data:<media type>,<data>" (RFC 2397) as
// VC-JOSE-COSE uses them: credential.ParseDataURL's rules, and then a media
// type without parameters and data that is the compact token itself,
// unencoded. Errors wrap ErrMalformed (and credential.ErrDataURL where the
// URL breaks RFC 2397).
func ParseDataURL(s string) (mediaType, data string, err error) {
	u, err := credential.ParseDataURL(s)
	if err != nil {
		return "", "", fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	if u.Base64 || len(u.Params) > 0 {
		return "", "", malformed("data: URL media type %s: parameters (such as ;base64) are not accepted", u.MediaType)
	}
	data = string(u.Data)
	for _, c := range data {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return "", "", malformed("data: URL data holds %q, which no compact JWS or SD-JWT holds", c)
		}
	}
	if !strings.HasSuffix(s, ","+data) {
		return "", "", malformed("data: URL data is percent-encoded: a compact JWS or SD-JWT stands in it as it is")
	}
	return u.MediaType, data, nil
}

// DataURL returns "data:<mediaType>,<token>".
func DataURL(mediaType, token string) string { return "data:" + mediaType + "," + token }

// Envelope returns an EnvelopedVerifiableCredential (mediaType MediaVC,
// MediaSDJWT or MediaDCSD) or EnvelopedVerifiablePresentation (MediaVP) whose
// id is the data: URL of token.
func Envelope(mediaType, token string) map[string]any {
	typ := EnvelopedCredential
	if mediaType == MediaVP {
		typ = EnvelopedPresentation
	}
	return map[string]any{"@context": credential.ContextV2, "id": DataURL(mediaType, token), "type": typ}
}

// Unenvelope returns the media type and token of an enveloped credential or
// presentation object. Errors wrap ErrMalformed.
func Unenvelope(doc map[string]any) (mediaType, token string, err error) {
	types := asSlice(doc["type"])
	if !slices.Contains(types, any(EnvelopedCredential)) && !slices.Contains(types, any(EnvelopedPresentation)) {
		return "", "", malformed("type must be %s or %s", EnvelopedCredential, EnvelopedPresentation)
	}
	if ctx := asSlice(doc["@context"]); len(ctx) == 0 || ctx[0] != credential.ContextV2 {
		return "", "", malformed("an enveloped object's first @context must be %s", credential.ContextV2)
	}
	id, _ := doc["id"].(string)
	if id == "" {
		return "", "", malformed("an enveloped object's id must be a data: URL")
	}
	mt, tok, err := ParseDataURL(id)
	if err != nil {
		return "", "", err
	}
	if slices.Contains(types, any(EnvelopedPresentation)) != (mt == MediaVP) {
		return "", "", malformed("an %v holds %s", doc["type"], mt)
	}
	return mt, tok, nil
}

func asSlice(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	}
	return []any{v}
}
