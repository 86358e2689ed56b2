package verifier

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// credentialSchema is the structure every credential must have (step 1):
// the data model's shapes, well-formed status entries, a degree level on
// degree credentials. The claims of each credential type are the issuer's
// templates' business; the verifier checks what it relies on.
//
//go:embed schema/credential.json
var credentialSchema []byte

const credentialSchemaURL = "https://w3id.org/talentchain/schemas/verifiable-credential/v1"

var schemaPrinter = message.NewPrinter(language.English)

// maxSchemaErrors bounds how many problems a report lists.
const maxSchemaErrors = 8

func compileSchema() (*jsonschema.Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(credentialSchema))
	if err != nil {
		return nil, fmt.Errorf("verifier: credential schema: %w", err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource(credentialSchemaURL, doc); err != nil {
		return nil, fmt.Errorf("verifier: credential schema: %w", err)
	}
	s, err := c.Compile(credentialSchemaURL)
	if err != nil {
		return nil, fmt.Errorf("verifier: credential schema: %w", err)
	}
	return s, nil
}

// schemaProblems validates doc and returns its problems as "JSON pointer:
// reason", sorted and at most maxSchemaErrors of them.
func schemaProblems(s *jsonschema.Schema, doc map[string]any) []string {
	err := s.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return []string{err.Error()}
	}
	var out []string
	var walk func(e *jsonschema.ValidationError)
	walk = func(e *jsonschema.ValidationError) {
		if len(e.Causes) == 0 {
			out = append(out, pointer(e.InstanceLocation)+": "+e.ErrorKind.LocalizedString(schemaPrinter))
			return
		}
		for _, c := range e.Causes {
			walk(c)
		}
	}
	walk(ve)
	slices.Sort(out)
	out = slices.Compact(out)
	if len(out) > maxSchemaErrors {
		out = append(out[:maxSchemaErrors], fmt.Sprintf("and %d more", len(out)-maxSchemaErrors))
	}
	return out
}

func pointer(tokens []string) string {
	if len(tokens) == 0 {
		return "/"
	}
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return sb.String()
}
