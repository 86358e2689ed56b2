package verifier

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
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
// members (names match exactly, not case-insensitively), no trailing data,
// and the receipt's own rules (format, version, 64-digit hex hashes, at most
// 64 path entries). Errors wrap ErrMalformed. The bytes are read once.
func ParseReceipt(raw []byte) (*credential.AnchorReceipt, error) {
	d, err := strictDecoder(raw)
	if err == nil {
		var r *credential.AnchorReceipt
		if r, err = decodeReceipt(d); err == nil {
			if err = atEnd(d); err == nil {
				return r, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: anchor receipt: %w", ErrMalformed, err)
}

// ParseReceipts decodes the "anchorReceipts" object of a presentation
// request: credential id → receipt, at most MaxReceipts, each as
// ParseReceipt reads it, in one pass over the bytes. Errors wrap
// ErrMalformed.
func ParseReceipts(raw []byte) (map[string]*credential.AnchorReceipt, error) {
	d, err := strictDecoder(raw)
	if err == nil {
		err = openObject(d)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: anchor receipts: %w", ErrMalformed, err)
	}
	out := map[string]*credential.AnchorReceipt{}
	for d.More() {
		id, err := memberName(d, func(id string) bool { _, dup := out[id]; return dup })
		if err != nil {
			return nil, fmt.Errorf("%w: anchor receipts: %w", ErrMalformed, err)
		}
		if len(out) == MaxReceipts {
			return nil, fmt.Errorf("%w: anchor receipts: more than %d", ErrMalformed, MaxReceipts)
		}
		if id == "" || len(id) > 2048 {
			return nil, fmt.Errorf("%w: anchor receipts: a credential id must have 1 to 2048 bytes", ErrMalformed)
		}
		rc, err := decodeReceipt(d)
		if err != nil {
			return nil, fmt.Errorf("anchor receipts[%q]: %w: anchor receipt: %w", id, ErrMalformed, err)
		}
		out[id] = rc
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, fmt.Errorf("%w: anchor receipts: %w", ErrMalformed, err)
	}
	if err := atEnd(d); err != nil {
		return nil, fmt.Errorf("%w: anchor receipts: %w", ErrMalformed, err)
	}
	return out, nil
}

// strictDecoder returns a decoder over raw, which must be at most
// credential.MaxDocumentSize bytes and start with a JSON object.
func strictDecoder(raw []byte) (*json.Decoder, error) {
	if len(raw) > credential.MaxDocumentSize {
		return nil, fmt.Errorf("larger than %d bytes", credential.MaxDocumentSize)
	}
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || b[0] != '{' {
		return nil, errors.New("must be a JSON object")
	}
	return json.NewDecoder(bytes.NewReader(b)), nil
}

// openObject reads the '{' that opens an object.
func openObject(d *json.Decoder) error {
	tok, err := d.Token()
	if err != nil {
		return err
	}
	if tok != json.Delim('{') {
		return errors.New("must be a JSON object")
	}
	return nil
}

// memberName reads an object member's name, refusing one seen before (two
// parsers could read different values from duplicates).
func memberName(d *json.Decoder, seen func(string) bool) (string, error) {
	tok, err := d.Token()
	if err != nil {
		return "", err
	}
	name, _ := tok.(string)
	if seen(name) {
		return "", fmt.Errorf("duplicate member %q", name)
	}
	return name, nil
}

// atEnd refuses anything after the value.
func atEnd(d *json.Decoder) error {
	if _, err := d.Token(); err != io.EOF {
		return errors.New("unexpected data after the JSON object")
	}
	return nil
}

// receiptMembers are the JSON names of credential.AnchorReceipt's fields.
var receiptMembers = [...]string{"type", "version", "credentialDigest", "leafIndex", "treeSize", "path", "root", "issuer", "chainId", "height", "txHash", "time"}

// decodeReceipt reads one receipt object from d, member by member straight
// into its fields, and checks the receipt's rules.
func decodeReceipt(d *json.Decoder) (*credential.AnchorReceipt, error) {
	if err := openObject(d); err != nil {
		return nil, err
	}
	var r credential.AnchorReceipt
	var seen uint16 // bit i: member i of receiptMembers was read
	for d.More() {
		name, err := memberName(d, func(n string) bool {
			i := slices.Index(receiptMembers[:], n)
			return i >= 0 && seen&(1<<i) != 0
		})
		if err != nil {
			return nil, err
		}
		var f any
		switch name {
		case "type":
			f = &r.Type
		case "version":
			f = &r.Version
		case "credentialDigest":
			f = &r.Digest
		case "leafIndex":
			f = &r.LeafIndex
		case "treeSize":
			f = &r.TreeSize
		case "path":
			f = &r.Path
		case "root":
			f = &r.Root
		case "issuer":
			f = &r.Issuer
		case "chainId":
			f = &r.ChainID
		case "height":
			f = &r.Height
		case "txHash":
			f = &r.TxHash
		case "time":
			f = &r.Time
		default:
			return nil, fmt.Errorf("json: unknown field %q", name)
		}
		seen |= 1 << slices.Index(receiptMembers[:], name)
		if err := d.Decode(f); err != nil {
			return nil, err
		}
	}
	if _, err := d.Token(); err != nil { // the closing brace
		return nil, err
	}
	if err := receiptValidator.Struct(&r); err != nil {
		return nil, fieldErrors(err)
	}
	return &r, nil
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
