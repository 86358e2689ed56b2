package pex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// MaxFilterSize is the largest filter (JSON Schema) of one field, in bytes.
const MaxFilterSize = 16 << 10

// Filter keywords. A filter that uses a keyword outside these lists is
// refused: JSON Schema ignores unknown keywords, so a misspelt or
// unsupported constraint ("forrmatMaximum") would silently accept anything.
var (
	commonKeywords = set("type", "enum", "const", "multipleOf", "maximum", "exclusiveMaximum",
		"minimum", "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems", "minItems",
		"uniqueItems", "contains", "maxProperties", "minProperties", "required", "properties",
		"patternProperties", "additionalProperties", "propertyNames", "items", "allOf", "anyOf",
		"oneOf", "not", "if", "then", "else", "format", "$ref", "title", "description", "$comment",
		"default", "examples", "readOnly", "writeOnly",
		"formatMinimum", "formatMaximum", "formatExclusiveMinimum", "formatExclusiveMaximum")
	draft7Keywords    = set("definitions", "additionalItems", "dependencies")
	draft2020Keywords = set("$defs", "prefixItems", "dependentRequired", "dependentSchemas",
		"maxContains", "minContains", "unevaluatedItems", "unevaluatedProperties", "deprecated")
	// keywords whose value is one schema, a map of schemas, an array of schemas
	schemaKeywords = set("not", "if", "then", "else", "contains", "propertyNames",
		"additionalProperties", "additionalItems", "unevaluatedItems", "unevaluatedProperties", "items")
	schemaMapKeywords   = set("properties", "patternProperties", "definitions", "$defs", "dependentSchemas", "dependencies")
	schemaArrayKeywords = set("allOf", "anyOf", "oneOf", "prefixItems", "items")
)

var drafts = map[string]*jsonschema.Draft{
	"http://json-schema.org/draft-07/schema#":      jsonschema.Draft7,
	"http://json-schema.org/draft-07/schema":       jsonschema.Draft7,
	"https://json-schema.org/draft/2020-12/schema": jsonschema.Draft2020,
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

var printer = message.NewPrinter(language.English)

// compileFilter compiles a field's filter. Filters are JSON Schema, draft-07
// unless their $schema names 2020-12; formats are asserted; $ref may only
// point inside the filter (nothing is ever loaded).
func compileFilter(raw json.RawMessage) (*jsonschema.Schema, error) {
	if len(raw) > MaxFilterSize {
		return nil, fmt.Errorf("larger than %d bytes", MaxFilterSize)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return nil, errors.New("must be a JSON object")
	}
	draft := jsonschema.Draft7
	if s, ok := obj["$schema"]; ok {
		str, _ := s.(string)
		if draft, ok = drafts[str]; !ok {
			return nil, fmt.Errorf("$schema %q: only draft-07 and 2020-12 are supported", str)
		}
	}
	if err := checkKeywords(doc, draft, "", true); err != nil {
		return nil, err
	}
	vocab, err := formatVocab()
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(draft)
	c.AssertFormat()
	c.AssertVocabs()
	c.RegisterVocabulary(vocab)
	c.UseLoader(noLoader{})
	const loc = "urn:talentchain:pex:filter"
	if err := c.AddResource(loc, doc); err != nil {
		return nil, err
	}
	sch, err := c.Compile(loc)
	if err != nil {
		var se *jsonschema.SchemaValidationError
		if errors.As(err, &se) {
			return nil, fmt.Errorf("not a valid JSON Schema: %s", filterError(se.Err))
		}
		return nil, errors.New(strings.ReplaceAll(err.Error(), loc, "filter"))
	}
	return sch, nil
}

type noLoader struct{}

func (noLoader) Load(url string) (any, error) {
	return nil, fmt.Errorf("%s: filters may not refer to other documents", url)
}

// checkKeywords walks a schema and refuses keywords outside the allowlists.
func checkKeywords(s any, draft *jsonschema.Draft, at string, root bool) error {
	obj, ok := s.(map[string]any)
	if !ok {
		if _, isBool := s.(bool); isBool {
			return nil
		}
		return fmt.Errorf("%s: a schema must be an object or a boolean", where(at))
	}
	for _, k := range sortedKeys(obj) {
		v := obj[k]
		kat := at + "/" + k
		switch {
		case k == "$schema":
			if !root {
				return fmt.Errorf("%s: $schema is only allowed at the top of a filter", where(kat))
			}
			continue
		case k == "$ref":
			ref, _ := v.(string)
			if !strings.HasPrefix(ref, "#") {
				return fmt.Errorf("%s: $ref may only point inside the filter (#...)", where(kat))
			}
			continue
		case commonKeywords[k]:
		case draft == jsonschema.Draft7 && draft7Keywords[k], draft == jsonschema.Draft2020 && draft2020Keywords[k]:
		default:
			return fmt.Errorf("%s: keyword %q is not supported in filters", where(kat), k)
		}
		switch {
		case schemaArrayKeywords[k] && isArray(v):
			for i, e := range v.([]any) {
				if err := checkKeywords(e, draft, fmt.Sprintf("%s/%d", kat, i), false); err != nil {
					return err
				}
			}
		case schemaKeywords[k]:
			if err := checkKeywords(v, draft, kat, false); err != nil {
				return err
			}
		case schemaMapKeywords[k]:
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("%s: must be an object", where(kat))
			}
			for _, name := range sortedKeys(m) {
				if k == "dependencies" && isArray(m[name]) {
					continue // property dependencies: a list of names
				}
				if err := checkKeywords(m[name], draft, kat+"/"+name, false); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func isArray(v any) bool { _, ok := v.([]any); return ok }

func where(at string) string {
	if at == "" {
		return "filter"
	}
	return "filter " + at
}

// filterError renders why a value failed a filter, in one line.
func filterError(err error) string {
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return err.Error()
	}
	var msgs []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			m := e.ErrorKind.LocalizedString(printer)
			if len(e.InstanceLocation) > 0 {
				m = "/" + strings.Join(e.InstanceLocation, "/") + ": " + m
			}
			msgs = append(msgs, m)
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	msgs = slices.Compact(msgs)
	if len(msgs) > 3 {
		msgs = append(msgs[:3], fmt.Sprintf("and %d more", len(msgs)-3))
	}
	return strings.Join(msgs, "; ")
}

// The formatMinimum family (from ajv-formats, used by PE examples for dates):
// bounds on "date" (YYYY-MM-DD) and "date-time" (RFC 3339) strings, compared
// as dates and instants. They need the format keyword beside them.

const formatVocabURL = "https://w3id.org/talentchain/pex/format-bounds"

var formatVocab = sync.OnceValues(func() (*jsonschema.Vocabulary, error) {
	meta, err := jsonschema.UnmarshalJSON(strings.NewReader(`{
		"properties": {
			"formatMinimum": {"type": "string"},
			"formatMaximum": {"type": "string"},
			"formatExclusiveMinimum": {"type": "string"},
			"formatExclusiveMaximum": {"type": "string"}
		}
	}`))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	c.UseLoader(noLoader{})
	if err := c.AddResource(formatVocabURL, meta); err != nil {
		return nil, err
	}
	sch, err := c.Compile(formatVocabURL)
	if err != nil {
		return nil, err
	}
	return &jsonschema.Vocabulary{URL: formatVocabURL, Schema: sch, Compile: compileFormatBounds}, nil
})

var boundKeywords = []string{"formatMinimum", "formatMaximum", "formatExclusiveMinimum", "formatExclusiveMaximum"}

type formatBounds struct {
	format string
	bounds [4]*time.Time // in the order of boundKeywords
	raw    [4]string
}

func parseFormatted(format, s string) (time.Time, bool) {
	layout := time.RFC3339Nano
	if format == "date" {
		layout = time.DateOnly
	}
	t, err := time.Parse(layout, s)
	return t, err == nil
}

func compileFormatBounds(_ *jsonschema.CompilerContext, obj map[string]any) (jsonschema.SchemaExt, error) {
	var fb formatBounds
	found := false
	for i, k := range boundKeywords {
		v, ok := obj[k]
		if !ok {
			continue
		}
		found = true
		format, _ := obj["format"].(string)
		if format != "date" && format != "date-time" {
			return nil, fmt.Errorf("%s needs \"format\": \"date\" or \"date-time\" beside it", k)
		}
		s, _ := v.(string)
		t, ok := parseFormatted(format, s)
		if !ok {
			return nil, fmt.Errorf("%s %q is not a valid %s", k, s, format)
		}
		fb.format, fb.bounds[i], fb.raw[i] = format, &t, s
	}
	if !found {
		return nil, nil
	}
	return &fb, nil
}

func (fb *formatBounds) Validate(ctx *jsonschema.ValidatorContext, v any) {
	s, ok := v.(string)
	if !ok {
		return
	}
	t, ok := parseFormatted(fb.format, s)
	if !ok {
		return // the format keyword reports it
	}
	for i, b := range fb.bounds {
		if b == nil {
			continue
		}
		var bad bool
		switch i {
		case 0:
			bad = t.Before(*b)
		case 1:
			bad = t.After(*b)
		case 2:
			bad = !t.After(*b)
		case 3:
			bad = !t.Before(*b)
		}
		if bad {
			ctx.AddError(&boundError{keyword: boundKeywords[i], bound: fb.raw[i], got: s})
		}
	}
}

type boundError struct{ keyword, bound, got string }

func (e *boundError) KeywordPath() []string { return []string{e.keyword} }

func (e *boundError) LocalizedString(*message.Printer) string {
	rel := map[string]string{
		"formatMinimum": "on or after", "formatMaximum": "on or before",
		"formatExclusiveMinimum": "after", "formatExclusiveMaximum": "before",
	}[e.keyword]
	return fmt.Sprintf("%s must be %s %s", e.got, rel, e.bound)
}
