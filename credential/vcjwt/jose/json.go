package jose

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// MaxDepth is the deepest nesting of JSON arrays and objects accepted.
const MaxDepth = 64

// ParseJSON decodes one JSON value strictly: valid UTF-8 only, no duplicate
// member names (two parsers could read different values from them), no
// nesting deeper than MaxDepth, no trailing data, at most MaxTokenSize bytes.
// Numbers decode as float64, as they do in credential.ParseDocument. Errors
// wrap ErrMalformed.
func ParseJSON(raw []byte) (any, error) {
	if len(raw) > MaxTokenSize {
		return nil, malformed("JSON larger than %d bytes", MaxTokenSize)
	}
	if !utf8.Valid(raw) {
		return nil, malformed("JSON is not valid UTF-8")
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	v, err := parseValue(d, "", 0)
	if err != nil {
		return nil, err
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, malformed("unexpected data after the JSON value")
	}
	return v, nil
}

// ParseObject is ParseJSON for a value that must be a JSON object.
func ParseObject(raw []byte) (map[string]any, error) {
	v, err := ParseJSON(raw)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, malformed("must be a JSON object")
	}
	return m, nil
}

func parseValue(d *json.Decoder, path string, depth int) (any, error) {
	if depth > MaxDepth {
		return nil, malformed("%s: nested deeper than %d levels", where(path), MaxDepth)
	}
	tok, err := d.Token()
	if err != nil {
		return nil, syntaxError(err)
	}
	delim, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch delim {
	case '{':
		m := map[string]any{}
		for d.More() {
			kt, err := d.Token()
			if err != nil {
				return nil, syntaxError(err)
			}
			k, ok := kt.(string)
			if !ok {
				return nil, malformed("%s: member name is not a string", where(path))
			}
			p := path + "/" + pointerEscaper.Replace(k)
			if _, dup := m[k]; dup {
				return nil, malformed("%s: duplicate member name", p)
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
			v, err := parseValue(d, fmt.Sprintf("%s/%d", path, len(a)), depth+1)
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
	return nil, malformed("%s: unexpected %s", where(path), delim)
}

// pointerEscaper escapes a member name in a JSON Pointer (RFC 6901).
var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func where(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

func syntaxError(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("unexpected end of JSON input")
	}
	return malformed("invalid JSON: %v", err)
}
