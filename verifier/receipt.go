package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
)

// MaxReceipts bounds the receipts one presentation verification accepts.
const MaxReceipts = 256

// The receipt carrier: an anchor receipt is not part of the signed
// credential (adding it would change what was signed and hashed), so it
// travels beside it. In the VC-API request it is the member "anchorReceipt"
// next to "verifiableCredential", and for presentations "anchorReceipts", an
// object from credential id to receipt, next to "verifiablePresentation".
// ParseReceipt and ParseReceipts read those members.

// ParseReceipt decodes an anchor receipt strictly: no duplicate or unknown
// members, no trailing data, and the receipt's own rules (format, version,
// 64-digit hex hashes, at most 64 path entries). Errors wrap ErrMalformed.
func ParseReceipt(raw []byte) (*credential.AnchorReceipt, error) {
	var r credential.AnchorReceipt
	if err := strictDecode(raw, &r); err != nil {
		return nil, fmt.Errorf("%w: anchor receipt: %w", ErrMalformed, err)
	}
	if err := receiptValidator.Struct(&r); err != nil {
		return nil, fmt.Errorf("%w: anchor receipt: %w", ErrMalformed, fieldErrors(err))
	}
	return &r, nil
}

// ParseReceipts decodes the "anchorReceipts" object of a presentation
// request: credential id → receipt, at most MaxReceipts. Errors wrap
// ErrMalformed.
func ParseReceipts(raw []byte) (map[string]*credential.AnchorReceipt, error) {
	var m map[string]json.RawMessage
	if err := strictDecode(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: anchor receipts: %w", ErrMalformed, err)
	}
	if len(m) > MaxReceipts {
		return nil, fmt.Errorf("%w: anchor receipts: more than %d", ErrMalformed, MaxReceipts)
	}
	out := make(map[string]*credential.AnchorReceipt, len(m))
	for id, r := range m {
		if id == "" || len(id) > 2048 {
			return nil, fmt.Errorf("%w: anchor receipts: a credential id must have 1 to 2048 bytes", ErrMalformed)
		}
		rc, err := ParseReceipt(r)
		if err != nil {
			return nil, fmt.Errorf("anchor receipts[%q]: %w", id, err)
		}
		out[id] = rc
	}
	return out, nil
}

// strictDecode decodes one JSON value into v, refusing duplicate member
// names (two parsers could read different receipts from them), unknown
// members and trailing data.
func strictDecode(raw []byte, v any) error {
	if len(raw) > credential.MaxDocumentSize {
		return fmt.Errorf("larger than %d bytes", credential.MaxDocumentSize)
	}
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] != '{' {
		return errors.New("must be a JSON object")
	}
	if _, err := credential.ParseDocument(b); err != nil { // duplicates, depth, trailing data
		return err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	return nil
}

// receiptValidator names fields by their JSON names in its errors.
var receiptValidator = newValidator()

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	// The same rule as the built-in tag, without a regular expression: a
	// receipt has up to 66 hashes to check.
	if err := v.RegisterValidation("hexadecimal", func(fl validator.FieldLevel) bool { return isHexadecimal(fl.Field().String()) }); err != nil {
		panic(err) // only on a bad tag name, a programming error
	}
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			return f.Name
		}
		return name
	})
	return v
}

// fieldErrors rewrites validator errors as "field: rule" lines.
func fieldErrors(err error) error {
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	var b bytes.Buffer
	for i, fe := range verrs {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%s fails %s", fe.Namespace(), fe.Tag())
		if fe.Param() != "" {
			fmt.Fprintf(&b, "=%s", fe.Param())
		}
	}
	return errors.New(b.String())
}

// isHexadecimal is validator's "hexadecimal" rule, ^(0[xX])?[0-9a-fA-F]+$.
func isHexadecimal(s string) bool {
	if len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		s = s[2:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}
