package pdfdoc

import (
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/go-playground/validator/v10"
)

// Lang is the language of a document's labels, dates and state words. The
// caller's own text (names, titles, messages) is printed as given.
type Lang string

// Languages.
const (
	LangZH Lang = "zh" // Simplified Chinese
	LangEN Lang = "en" // English
)

// Status is a credential's status as printed on its certificate. The values
// are the wallet's.
type Status string

// Credential statuses.
const (
	StatusValid     Status = "valid"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
	StatusExpired   Status = "expired"
	StatusUnknown   Status = "unknown" // could not be learned when printing
)

// CheckState is the outcome of one check of a verification report.
type CheckState string

// Check outcomes, drawn as a green, amber, red or grey marker with a word.
const (
	CheckPass CheckState = "pass"
	CheckWarn CheckState = "warn"
	CheckFail CheckState = "fail"
	CheckSkip CheckState = "skip" // did not apply or could not run
)

// Verdict is the overall outcome of a verification report.
type Verdict string

// Verdicts.
const (
	VerdictValid   Verdict = "valid"
	VerdictWarning Verdict = "warning"
	VerdictInvalid Verdict = "invalid"
)

// Claim is a key claim printed on a certificate: "专业" / "计算机科学与技术",
// "Major" / "Computer Science". The limits keep eight of them, in Chinese,
// legible in the space a certificate has.
type Claim struct {
	Label string `validate:"required,max=30"`
	Value string `validate:"required,max=80"`
}

// Field is a line of a report's document summary.
type Field struct {
	Label string `validate:"required,max=40"`
	Value string `validate:"required,max=200"`
}

// Anchor says where the chain recorded a credential.
type Anchor struct {
	Height int64 `validate:"gt=0"`
	// TxHash is the anchoring transaction's hash in hex; the certificate
	// prints its first and last characters.
	TxHash string `validate:"required,hexadecimal,max=130"`
}

// CertificateData is what a printable certificate shows. Times are printed as
// dates in their own location: convert them (for example to Asia/Shanghai)
// before calling.
type CertificateData struct {
	Lang Lang `validate:"required,oneof=zh en"`
	// HolderName is the person's name as it should be printed (张伟, Li Na).
	HolderName string `validate:"required,max=64"`
	// Title is what was awarded: 工学硕士, Master of Engineering.
	Title        string    `validate:"required,max=100"`
	IssuerName   string    `validate:"required,max=60"`
	IssuedAt     time.Time `validate:"required"`
	ValidUntil   time.Time `validate:"omitempty,gtfield=IssuedAt"` // zero: no expiry
	CredentialID string    `validate:"required,max=200"`
	// Claims are the few claims worth printing, in order (major, grade,
	// hours...).
	Claims []Claim `validate:"max=8,dive"`
	// VerifyURL is the credential's public verification page, printed as a
	// QR code and as text. It must be http or https.
	VerifyURL string  `validate:"required,max=512,http_url"`
	Anchor    *Anchor // nil: not anchored yet
	Status    Status  `validate:"required,oneof=valid suspended revoked expired unknown"`
}

// Check is one check of a verification report.
type Check struct {
	// Group, when set, lists the check under a heading: the credential of a
	// presentation it belongs to ("Credential 1: 工学硕士").
	Group   string     `validate:"max=100"`
	Name    string     `validate:"required,max=60"`
	State   CheckState `validate:"required,oneof=pass warn fail skip"`
	Message string     `validate:"max=600"`
}

// ReportData is what a printable verification report shows.
type ReportData struct {
	Lang Lang `validate:"required,oneof=zh en"`
	// Title defaults to "Verification report" / "验证报告".
	Title      string    `validate:"max=100"`
	VerifiedAt time.Time `validate:"required"`
	VerifiedBy string    `validate:"max=100"` // optional: the verifier's office or name
	// Document summarises what was verified (kind, type, issuer, holder,
	// anchor...).
	Document []Field `validate:"max=20,dive"`
	Checks   []Check `validate:"required,min=1,max=100,dive"`
	Verdict  Verdict `validate:"required,oneof=valid warning invalid"`
	// VerdictText explains the verdict in plain words.
	VerdictText    string `validate:"max=500"`
	VerificationID string `validate:"required,max=100"`
	// URL is where the result can be seen again; printed as text and as a
	// QR code.
	URL string `validate:"required,max=512,http_url"`
}

// ErrInvalid means the document data were refused; the error also holds one
// *ValidationError per refused field.
var ErrInvalid = errors.New("pdfdoc: invalid document data")

// ValidationError says which field was refused and why.
type ValidationError struct {
	Field  string // as in the struct: "Claims[2].Value"
	Reason string
}

func (e *ValidationError) Error() string { return "pdfdoc: " + e.Field + " " + e.Reason }

// Unwrap makes every ValidationError an ErrInvalid.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

var validate = sync.OnceValue(func() *validator.Validate {
	return validator.New(validator.WithRequiredStructEnabled())
})

// check validates v (a pointer to CertificateData or ReportData): struct
// rules, then every text field for characters that cannot be printed, then
// the URL.
func check(v any, rawURL, urlField string) error {
	var errs []error
	if err := validate().Struct(v); err != nil {
		var verrs validator.ValidationErrors
		if !errors.As(err, &verrs) {
			return fmt.Errorf("%w: %v", ErrInvalid, err)
		}
		for _, fe := range verrs {
			errs = append(errs, &ValidationError{Field: fieldName(fe.Namespace()), Reason: reason(fe)})
		}
	}
	walkText(reflect.ValueOf(v).Elem(), "", func(field, s string) {
		if r := badText(s); r != "" {
			errs = append(errs, &ValidationError{Field: field, Reason: r})
		}
	})
	// The validator's http_url accepts a few odd forms; say it once.
	if !refusedField(errs, urlField) {
		if u, err := url.Parse(rawURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			errs = append(errs, &ValidationError{Field: urlField, Reason: "must be an absolute http or https URL"})
		}
	}
	return errors.Join(errs...)
}

func refusedField(errs []error, field string) bool {
	for _, e := range errs {
		if ve, ok := e.(*ValidationError); ok && ve.Field == field {
			return true
		}
	}
	return false
}

// fieldName drops the struct name: "CertificateData.Claims[2].Value" →
// "Claims[2].Value".
func fieldName(ns string) string {
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

func reason(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		if fe.Kind() == reflect.Slice {
			return "has more than " + fe.Param() + " entries"
		}
		return "is longer than " + fe.Param() + " characters"
	case "min":
		return "needs at least " + fe.Param() + " entries"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "http_url":
		return "must be an absolute http or https URL"
	case "hexadecimal":
		return "must be hexadecimal"
	case "gt":
		return "must be greater than " + fe.Param()
	case "gtfield":
		return "must be after " + fe.Param()
	}
	return "fails the " + fe.Tag() + " rule"
}

// walkText calls fn for every string field of v, recursively through
// structs, pointers and slices, with the field's path.
func walkText(v reflect.Value, path string, fn func(field, s string)) {
	switch v.Kind() {
	case reflect.String:
		fn(path, v.String())
	case reflect.Pointer:
		if !v.IsNil() {
			walkText(v.Elem(), path, fn)
		}
	case reflect.Slice:
		for i := range v.Len() {
			walkText(v.Index(i), fmt.Sprintf("%s[%d]", path, i), fn)
		}
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			return
		}
		for i := range v.NumField() {
			name := v.Type().Field(i).Name
			if path != "" {
				name = path + "." + name
			}
			walkText(v.Field(i), name, fn)
		}
	}
}

// badText says why s cannot be printed, or "" when it can: control
// characters, invalid UTF-8, and characters neither font has.
func badText(s string) string {
	for i, r := range s {
		switch {
		case r == unicode.ReplacementChar && !strings.HasPrefix(s[i:], "\uFFFD"):
			return fmt.Sprintf("is not valid UTF-8 at byte %d", i)
		case unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			return fmt.Sprintf("contains the control character %U at byte %d", r, i)
		case faceFor(r) == noFace:
			return fmt.Sprintf("contains %U %q at byte %d, which the PDF fonts cannot draw", r, r, i)
		}
	}
	return ""
}
