package credential

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxDocumentSize is the largest credential or presentation accepted, in bytes.
const MaxDocumentSize = 1 << 20

// ParseDocument decodes a JSON object strictly: no duplicate member names (two
// parsers could read different values from them), no nesting deeper than 64
// levels, no trailing data, at most MaxDocumentSize bytes. Numbers decode as
// float64, as JSON-LD processors expect. Errors wrap ErrMalformed.
func ParseDocument(raw []byte) (map[string]any, error) {
	if len(raw) > MaxDocumentSize {
		return nil, &InputError{Reason: fmt.Sprintf("larger than %d bytes", MaxDocumentSize)}
	}
	// The fast reader accepts only what the reference reader below accepts,
	// with the same result (FuzzParseFastMatchesReference); anything it does
	// not accept goes to the reference, which then names the problem.
	if m, ok := parseFast(raw); ok {
		return m, nil
	}
	return parseReference(raw)
}

// parseReference is ParseDocument on encoding/json's token reader.
func parseReference(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	v, err := parseValue(d, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, &InputError{Reason: "unexpected data after the JSON object"}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, &InputError{Reason: "must be a JSON object"}
	}
	return m, nil
}

func parseValue(d *json.Decoder, path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, &InputError{Field: path, Reason: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	tok, err := d.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := map[string]any{}
			for d.More() {
				kt, err := d.Token()
				if err != nil {
					return nil, syntaxError(err)
				}
				k := kt.(string)
				p := joinPath(path, k)
				if _, dup := m[k]; dup {
					return nil, &InputError{Field: p, Reason: "duplicate member name"}
				}
				v, err := parseValue(d, p, depth+1)
				if err != nil {
					return nil, err
				}
				m[k] = v
			}
			if _, err := d.Token(); err != nil {
				return nil, syntaxError(err)
			}
			return m, nil
		case '[':
			a := []any{}
			for d.More() {
				v, err := parseValue(d, fmt.Sprintf("%s[%d]", path, len(a)), depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if _, err := d.Token(); err != nil {
				return nil, syntaxError(err)
			}
			return a, nil
		}
		return nil, &InputError{Field: path, Reason: "unexpected " + t.String()}
	default:
		return t, nil
	}
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) {
		return &InputError{Reason: "unexpected end of JSON input"}
	}
	return &InputError{Reason: "invalid JSON: " + err.Error()}
}
