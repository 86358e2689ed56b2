package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
)

// credentialVerifyRequest is the body of POST /credentials/verify (VC-API).
type credentialVerifyRequest struct {
	VerifiableCredential json.RawMessage `json:"verifiableCredential" validate:"required,jsonobject"`
	Options              verifyOptions   `json:"options"`
}

// presentationVerifyRequest is the body of POST /presentations/verify (VC-API).
type presentationVerifyRequest struct {
	VerifiablePresentation json.RawMessage     `json:"verifiablePresentation" validate:"required,jsonobject"`
	Options                presentationOptions `json:"options"`
}

// verifyOptions are the options a credential verification accepts.
type verifyOptions struct {
	Challenge string `json:"challenge" validate:"omitempty,max=512"`
	Domain    string `json:"domain" validate:"omitempty,max=512"`
}

func (o verifyOptions) verifyOptions() credential.VerifyOptions {
	return credential.VerifyOptions{Challenge: o.Challenge, Domain: o.Domain}
}

// presentationOptions are the options a presentation verification accepts: the
// challenge the verifier gave the holder is required.
type presentationOptions struct {
	Challenge string `json:"challenge" validate:"required,max=512"`
	Domain    string `json:"domain" validate:"omitempty,max=512"`
}

func (o presentationOptions) verifyOptions() credential.VerifyOptions {
	return credential.VerifyOptions{Challenge: o.Challenge, Domain: o.Domain}
}

// Errors of request decoding; problemFor turns them into statuses.
var (
	errUnsupportedMediaType = errors.New("unsupported media type")
	errTooLarge             = errors.New("request body too large")
	errMalformedRequest     = errors.New("malformed request")
	errNotReady             = errors.New("not ready")
)

// FieldError says which request field is unusable and why.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
	// ReasonZH is the reason in Chinese, where the service that refused
	// the field gives one (the issuer's template and CSV checks do).
	ReasonZH string `json:"reasonZh,omitempty"`
}

// validationError lists the request fields that are missing, of the wrong JSON
// type or unknown.
type validationError struct {
	Fields []FieldError
}

func (e *validationError) Error() string {
	parts := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		parts[i] = f.Field + " " + f.Reason
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// decode reads the JSON body of r into dst (a pointer to a request struct) and
// validates it. It refuses other media types, bodies over the size limit,
// invalid UTF-8, malformed JSON, trailing data, unknown fields at any level and
// values of the wrong JSON type. Past the size limit the server closes the
// connection after the answer rather than read the rest.
func (h *handler) decode(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	return h.decodeBody(body, dst)
}

// readJSON is the transport part of decode: the media type, and the body
// read up to the size limit (in one allocation when the client announced
// its length).
func (h *handler) readJSON(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if err := checkMediaType(r.Header.Get("Content-Type")); err != nil {
		return nil, err
	}
	limit := h.cfg.MaxBodyBytes
	rd := http.MaxBytesReader(w, r.Body, limit)
	var body []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= limit {
		// One byte more, so that reading to the end needs no second buffer.
		buf := bytes.NewBuffer(make([]byte, 0, n+1))
		_, err = buf.ReadFrom(rd)
		body = buf.Bytes()
	} else {
		body, err = io.ReadAll(rd)
	}
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit)
		}
		return nil, fmt.Errorf("%w: reading the body: %v", errMalformedRequest, err)
	}
	return body, nil
}

// member is a member of a JSON object: its name and its value as it is
// in the text.
type member struct {
	name string
	raw  []byte
}

// topMembers splits a JSON object into its members, in order, without
// decoding the values. It is meant for a text credential.ParseDocument
// accepted (valid, strict JSON without duplicate names): ok is false for
// anything it does not understand, among them a member name with an escape
// sequence or invalid UTF-8, and the caller then decodes the text the slow
// way.
func topMembers(data []byte) (out []member, ok bool) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return nil, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return nil, skipSpace(data, i+1) == len(data)
	}
	for {
		if i >= len(data) || data[i] != '"' {
			return nil, false
		}
		end := stringEnd(data, i)
		if end < 0 {
			return nil, false
		}
		name := data[i+1 : end-1]
		if bytes.IndexByte(name, '\\') >= 0 || !utf8.Valid(name) {
			return nil, false
		}
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return nil, false
		}
		i = skipSpace(data, i+1)
		vend := valueEnd(data, i)
		if vend < 0 {
			return nil, false
		}
		out = append(out, member{name: string(name), raw: data[i:vend]})
		i = skipSpace(data, vend)
		if i >= len(data) {
			return nil, false
		}
		switch data[i] {
		case ',':
			i = skipSpace(data, i+1)
		case '}':
			return out, skipSpace(data, i+1) == len(data)
		default:
			return nil, false
		}
	}
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at data[i] ('"'),
// or -1.
func stringEnd(data []byte, i int) int {
	for j := i + 1; j < len(data); j++ {
		switch data[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index after the JSON value starting at data[i], or
// -1. Objects and arrays are skipped by their brackets (outside strings).
func valueEnd(data []byte, i int) int {
	if i >= len(data) {
		return -1
	}
	switch data[i] {
	case '"':
		return stringEnd(data, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				e := stringEnd(data, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(data) && !strings.ContainsRune(",}] \t\n\r", rune(data[j])) {
		j++
	}
	if j == i {
		return -1
	}
	return j
}

// decodeLoose is decode without the validator/v10 pass: for request types
// owned by a service that validates them itself (their tags are its own).
func (h *handler) decodeLoose(w http.ResponseWriter, r *http.Request, dst any) error {
	body, err := h.readJSON(w, r)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: the body is empty", errMalformedRequest)
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: the body is not valid UTF-8", errMalformedRequest)
	}
	return decodeStrict(body, dst)
}

// decodeBody is decode after the transport checks: JSON, shape and validation.
func (h *handler) decodeBody(body []byte, dst any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return fmt.Errorf("%w: the body is empty", errMalformedRequest)
	}
	if !utf8.Valid(body) {
		return fmt.Errorf("%w: the body is not valid UTF-8", errMalformedRequest)
	}
	if err := decodeStrict(body, dst); err != nil {
		return err
	}
	if err := h.validate.Struct(dst); err != nil {
		if verrs, ok := errors.AsType[validator.ValidationErrors](err); ok {
			return fieldErrors(verrs)
		}
		return fmt.Errorf("validate request: %w", err)
	}
	return nil
}

// checkMediaType accepts application/json and the +json types, in UTF-8.
func checkMediaType(header string) error {
	if header == "" {
		return fmt.Errorf("%w: Content-Type is missing; send application/json", errUnsupportedMediaType)
	}
	mt, params, err := mime.ParseMediaType(header)
	if err != nil {
		return fmt.Errorf("%w: Content-Type %q cannot be parsed", errUnsupportedMediaType, header)
	}
	if mt != "application/json" && !(strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return fmt.Errorf("%w: Content-Type %q; send application/json", errUnsupportedMediaType, mt)
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return fmt.Errorf("%w: charset %q; send UTF-8", errUnsupportedMediaType, cs)
	}
	return nil
}

// decodeStrict decodes exactly one JSON value from data into dst, refusing
// unknown object members and trailing data. The errors name the field at fault.
func decodeStrict(data []byte, dst any) error {
	if err := noDuplicateMembers(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err, data, reflect.TypeOf(dst).Elem())
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: unexpected data after the JSON object", errMalformedRequest)
	}
	return nil
}

// noDuplicateMembers refuses a JSON text in which an object names a member
// twice: encoding/json keeps the last value, another parser may keep the
// first, and the two would then act on different requests. Syntax errors
// are left to the decoder, which names their position.
func noDuplicateMembers(data []byte) error {
	// The common case, an object that credential.ParseDocument's fast
	// reader accepts, has no duplicate (it refuses them) and costs a
	// fraction of the token reader below, which then only runs to name the
	// member of a refused text.
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' && len(data) <= credential.MaxDocumentSize {
		if _, err := credential.ParseDocument(data); err == nil {
			return nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	type frame struct {
		seen  map[string]bool
		isObj bool
		key   bool // the next token of an object is a member name
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.isObj && top.key {
			if name, ok := tok.(string); ok {
				if top.seen[name] {
					return &validationError{Fields: []FieldError{{Field: name, Reason: "is given twice"}}}
				}
				top.seen[name] = true
				top.key = false
				continue
			}
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{seen: map[string]bool{}, isObj: true, key: true})
			continue
		case json.Delim('['):
			stack = append(stack, &frame{})
			continue
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		// A value ended: an enclosing object expects a member name next.
		if len(stack) > 0 && stack[len(stack)-1].isObj {
			stack[len(stack)-1].key = true
		}
	}
}

// jsonError turns an encoding/json error into a malformed-request or a
// validation error with the field's JSON path. data and t are the document and
// the struct type it was decoded into.
func jsonError(err error, data []byte, t reflect.Type) error {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		field := te.Field
		if field == "" {
			field = "(body)"
		}
		return &validationError{Fields: []FieldError{{Field: field, Reason: "must be " + jsonKind(fieldType(t, field))}}}
	}
	if se, ok := errors.AsType[*json.SyntaxError](err); ok {
		return fmt.Errorf("%w: invalid JSON at byte %d: %v", errMalformedRequest, se.Offset, se)
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		if unq, uerr := strconv.Unquote(name); uerr == nil {
			name = unq
		}
		if path := unknownFieldPath(data, t); path != "" {
			name = path
		}
		return &validationError{Fields: []FieldError{{Field: name, Reason: "is not a known field"}}}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: the JSON ends early", errMalformedRequest)
	}
	return fmt.Errorf("%w: %v", errMalformedRequest, err)
}

// unknownFieldPath returns the dotted JSON path of the first object member in
// data that struct type t has no field for, or "" if there is none. encoding/json
// names only the member, not where it is.
func unknownFieldPath(data []byte, t reflect.Type) string {
	var members map[string]json.RawMessage
	if t.Kind() != reflect.Struct || json.Unmarshal(data, &members) != nil {
		return ""
	}
	fields := make(map[string]reflect.Type)
	for f := range t.Fields() {
		if f.IsExported() {
			fields[jsonName(f)] = f.Type
		}
	}
	for _, name := range slices.Sorted(maps.Keys(members)) {
		raw := members[name]
		ft, ok := fields[name]
		if !ok {
			return name
		}
		if sub := unknownFieldPath(raw, ft); sub != "" {
			return name + "." + sub
		}
	}
	return ""
}

// fieldType follows a dotted JSON path from struct type t; nil when unknown.
func fieldType(t reflect.Type, path string) reflect.Type {
	for name := range strings.SplitSeq(path, ".") {
		if t.Kind() != reflect.Struct {
			return nil
		}
		var next reflect.Type
		for f := range t.Fields() {
			if jsonName(f) == name {
				next = f.Type
				break
			}
		}
		if next == nil {
			return nil
		}
		t = next
	}
	return t
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch {
	case t == nil:
		return "of another JSON type"
	case t == reflect.TypeFor[json.RawMessage]():
		return "a JSON object"
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "a JSON object"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "of another JSON type"
}

// jsonName is the name a struct field has in JSON.
func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// newValidator returns a validator that names fields by their JSON names and
// knows the jsonobject tag (a json.RawMessage holding an object).
func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(jsonName)
	if err := v.RegisterValidation("jsonobject", isJSONObject); err != nil {
		panic(err) // only on a bad tag name, a programming error
	}
	return v
}

func isJSONObject(fl validator.FieldLevel) bool {
	raw, ok := fl.Field().Interface().(json.RawMessage)
	if !ok {
		return false
	}
	trimmed := bytes.TrimLeft(raw, " \t\r\n")
	return len(trimmed) > 0 && trimmed[0] == '{'
}

// fieldErrors converts validator errors to a validationError with JSON paths and
// plain reasons.
func fieldErrors(verrs validator.ValidationErrors) error {
	ve := &validationError{}
	for _, fe := range verrs {
		field := fe.Namespace()
		if _, rest, ok := strings.Cut(field, "."); ok {
			field = rest // drop the request struct's own name
		}
		ve.Fields = append(ve.Fields, FieldError{Field: field, Reason: reason(fe)})
	}
	return ve
}

func reason(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "max":
		return "must be at most " + fe.Param() + " characters"
	case "jsonobject":
		return "must be a JSON object"
	}
	return "is invalid (" + fe.Tag() + ")"
}

// expiresIn reads an optional "expiresIn" request field, a Go duration such
// as example ("168h"): 0 when empty (the service's default), a validation
// error naming the field when it is not a positive duration.
func expiresIn(v, example string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, &validationError{Fields: []FieldError{{Field: "expiresIn", Reason: fmt.Sprintf("must be a positive duration such as %q", example)}}}
	}
	return d, nil
}
