package pex

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
)

// def wraps descriptors (and optional extra top-level members) into a
// definition's JSON.
func def(descriptors string, extra ...string) string {
	s := `{"id": "d1", "input_descriptors": [` + descriptors + `]`
	for _, e := range extra {
		s += ", " + e
	}
	return s + "}"
}

const okField = `{"path": ["$.credentialSubject.degree.level"], "filter": {"type": "string", "enum": ["master", "doctor"]}}`

func desc(id string, fields ...string) string {
	return fmt.Sprintf(`{"id": %q, "constraints": {"fields": [%s]}}`, id, strings.Join(fields, ","))
}

func TestParseErrors(t *testing.T) {
	many := func(n int, f func(i int) string) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = f(i)
		}
		return strings.Join(parts, ",")
	}
	tests := []struct {
		name  string
		json  string
		field string // FieldError.Field
		msg   string // in the reason
		cause error  // extra sentinel, if any
	}{
		{"not JSON", `{"id":`, "", "unexpected end", nil},
		{"duplicate member", `{"id": "a", "id": "b", "input_descriptors": []}`, "", "duplicate member name", nil},
		{"trailing data", def(desc("a", okField)) + "{}", "", "after the JSON object", nil},
		{"no id", `{"input_descriptors": [` + desc("a", okField) + `]}`, "id", "is required", nil},
		{"no descriptors", `{"id": "x", "input_descriptors": []}`, "input_descriptors", "at least 1", nil},
		{"too many descriptors", def(many(MaxDescriptors+1, func(i int) string { return desc(fmt.Sprint("d", i), okField) })), "input_descriptors", "more than 64", nil},
		{"too many fields", def(desc("a", many(MaxFields+1, func(int) string { return okField }))), "input_descriptors[0].constraints.fields", "more than 64", nil},
		{"too many paths", def(desc("a", `{"path": [`+many(MaxPaths+1, func(int) string { return `"$.a"` })+`]}`)), "input_descriptors[0].constraints.fields[0].path", "more than 16", nil},
		{"empty path list", def(desc("a", `{"path": []}`)), "input_descriptors[0].constraints.fields[0].path", "at least 1", nil},
		{"empty path", def(desc("a", `{"path": [""]}`)), "input_descriptors[0].constraints.fields[0].path[0]", "is required", nil},
		{"path too long", def(desc("a", `{"path": ["$.`+strings.Repeat("a", MaxPathLength)+`"]}`)), "input_descriptors[0].constraints.fields[0].path[0]", "longer than 4096", ErrInvalidPath},
		{"bad path", def(desc("a", okField, `{"path": ["$.a", "$.b[?(@.c)]"]}`)), "input_descriptors[0].constraints.fields[1].path[1]", "filter expressions", ErrInvalidPath},
		{"path without $", def(desc("a", `{"path": ["credentialSubject.id"]}`)), "input_descriptors[0].constraints.fields[0].path[0]", "must start with $", ErrInvalidPath},
		{"duplicate descriptor ids", def(desc("a", okField) + "," + desc("b", okField) + "," + desc("a", okField)), "input_descriptors[2].id", `"a" is also the id of input_descriptors[0]`, nil},
		{"duplicate field ids", def(desc("a", `{"id": "f", "path": ["$.a"]}`, `{"id": "f", "path": ["$.b"]}`)), "input_descriptors[0].constraints.fields[1].id", "also the id of fields[0]", nil},
		{"unknown member", def(desc("a", okField), `"purpos": "typo"`), "purpos", "unknown member", nil},
		{"unknown field member", def(desc("a", `{"path": ["$.a"], "optinal": true}`)), "input_descriptors[0].constraints.fields[0].optinal", "unknown member", nil},
		{"wrong type", def(desc("a", `{"path": ["$.a"], "optional": "yes"}`)), "input_descriptors[0].constraints.fields[0].optional", `must be true or false, not "yes"`, nil},
		{"path not strings", def(desc("a", `{"path": ["$.a", 3]}`)), "input_descriptors[0].constraints.fields[0].path", "[1] must be a string, not 3", nil},
		{"count not an integer", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "count": 1.5, "from": "A"}]`), "submission_requirements[0].count", "must be an integer, not 1.5", nil},
		{"descriptors not an array", `{"id": "x", "input_descriptors": {}}`, "input_descriptors", "must be an array", nil},
		{"format not an object", def(desc("a", okField), `"format": []`), "format", "must be a JSON object", nil},
		{"bad limit_disclosure", def(`{"id": "a", "constraints": {"limit_disclosure": "always"}}`), "input_descriptors[0].constraints.limit_disclosure", "one of required, preferred", nil},
		{"is_holder unsupported", def(`{"id": "a", "constraints": {"is_holder": [{"field_id": ["f"], "directive": "required"}]}}`), "input_descriptors[0].constraints.is_holder", "holder binding (is_holder) is not supported", ErrUnsupported},
		{"statuses unsupported", def(`{"id": "a", "constraints": {"statuses": {"active": {"directive": "required"}}}}`), "input_descriptors[0].constraints.statuses", "not supported", ErrUnsupported},
		{"predicate unsupported", def(desc("a", `{"path": ["$.a"], "predicate": "required", "filter": {"type": "number"}}`)), "input_descriptors[0].constraints.fields[0].predicate", "not supported", ErrUnsupported},
		{"frame unsupported", def(desc("a", okField), `"frame": {}`), "frame", "not supported", ErrUnsupported},
		{"v1 schema member", def(`{"id": "a", "schema": [{"uri": "https://x"}], "constraints": {}}`), "input_descriptors[0].schema", "PE v1", ErrUnsupported},
		{"unknown format", def(desc("a", okField), `"format": {"ldp_vcx": {}}`), "format.ldp_vcx", `unknown or unsupported claim format "ldp_vcx"`, ErrUnsupported},
		{"mso_mdoc unsupported", def(`{"id": "a", "format": {"mso_mdoc": {"alg": ["ES256"]}}, "constraints": {}}`), "input_descriptors[0].format.mso_mdoc", "unsupported claim format", ErrUnsupported},
		{"format member of another family", def(desc("a", okField), `"format": {"jwt_vc_json": {"proof_type": ["x"]}}`), "format.jwt_vc_json.proof_type", "allowed: alg", nil},
		{"format value not an object", def(desc("a", okField), `"format": {"ldp_vc": []}`), "format.ldp_vc", "must be an object", nil},
		{"ldp format without proof_type", def(`{"id": "a", "format": {"ldp_vc": {}}, "constraints": {}}`), "input_descriptors[0].format.ldp_vc.proof_type", "is required", nil},
		{"jwt format with an empty alg", def(desc("a", okField), `"format": {"jwt_vc_json": {"alg": []}}`), "format.jwt_vc_json.alg", "is required", nil},
		{"di format without cryptosuite", def(desc("a", okField), `"format": {"di_vc": {"proof_type": ["DataIntegrityProof"]}}`), "format.di_vc.cryptosuite", "is required", nil},
		// filters
		{"filter not an object", def(desc("a", `{"path": ["$.a"], "filter": "string"}`)), "input_descriptors[0].constraints.fields[0].filter", "must be a JSON object", nil},
		{"misspelt keyword (as in the spec's example)", def(desc("a", `{"path": ["$.a"], "filter": {"type": "string", "format": "date", "forrmatMaximum": "1999-05-16"}}`)), "input_descriptors[0].constraints.fields[0].filter", `keyword "forrmatMaximum" is not supported`, nil},
		{"nested unknown keyword", def(desc("a", `{"path": ["$.a"], "filter": {"type": "array", "contains": {"typ": "string"}}}`)), "input_descriptors[0].constraints.fields[0].filter", "filter /contains/typ", nil},
		{"2020-12 keyword in draft-07", def(desc("a", `{"path": ["$.a"], "filter": {"type": "array", "prefixItems": [{"type": "string"}]}}`)), "input_descriptors[0].constraints.fields[0].filter", `"prefixItems" is not supported`, nil},
		{"remote $ref", def(desc("a", `{"path": ["$.a"], "filter": {"$ref": "file:///etc/passwd"}}`)), "input_descriptors[0].constraints.fields[0].filter", "only point inside the filter", nil},
		{"unknown $schema", def(desc("a", `{"path": ["$.a"], "filter": {"$schema": "https://example.com/s", "type": "string"}}`)), "input_descriptors[0].constraints.fields[0].filter", "only draft-07 and 2020-12", nil},
		{"bad regex", def(desc("a", `{"path": ["$.a"], "filter": {"type": "string", "pattern": "(?=lookahead)"}}`)), "input_descriptors[0].constraints.fields[0].filter", "pattern", nil},
		{"bad type value", def(desc("a", `{"path": ["$.a"], "filter": {"type": "strin"}}`)), "input_descriptors[0].constraints.fields[0].filter", "type", nil},
		{"formatMaximum without format", def(desc("a", `{"path": ["$.a"], "filter": {"type": "string", "formatMaximum": "1999-05-16"}}`)), "input_descriptors[0].constraints.fields[0].filter", `needs "format": "date"`, nil},
		{"formatMaximum not a date", def(desc("a", `{"path": ["$.a"], "filter": {"type": "string", "format": "date", "formatMaximum": "1999-5-16"}}`)), "input_descriptors[0].constraints.fields[0].filter", `"1999-5-16" is not a valid date`, nil},
		{"filter too large", def(desc("a", `{"path": ["$.a"], "filter": {"type": "string", "description": "`+strings.Repeat("x", MaxFilterSize)+`"}}`)), "input_descriptors[0].constraints.fields[0].filter", "larger than", nil},
		// submission requirements
		{"unknown group", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "all", "from": "B"}]`), "submission_requirements[0].from", `no input descriptor is in group "B"`, nil},
		{"bad rule", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "any", "from": "A"}]`), "submission_requirements[0].rule", "one of all, pick", nil},
		{"from and from_nested", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "all", "from": "A", "from_nested": [{"rule": "all", "from": "A"}]}]`), "submission_requirements[0]", "both from and from_nested", nil},
		{"neither from nor from_nested", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "all"}]`), "submission_requirements[0]", "needs from or from_nested", nil},
		{"pick without count", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "from": "A"}]`), "submission_requirements[0]", "needs count, min or max", nil},
		{"count with all", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "all", "count": 1, "from": "A"}]`), "submission_requirements[0]", "belong to a pick rule", nil},
		{"count zero", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "count": 0, "from": "A"}]`), "submission_requirements[0].count", "at least 1", nil},
		{"count above group size", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "count": 2, "from": "A"}]`), "submission_requirements[0].count", "2 is more than the 1", nil},
		{"min above max", def(`{"id": "a", "group": ["A"], "constraints": {}}, {"id": "b", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "min": 2, "max": 1, "from": "A"}]`), "submission_requirements[0]", "min 2 is more than max 1", nil},
		{"count with min", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "count": 1, "min": 1, "from": "A"}]`), "submission_requirements[0]", "cannot be combined", nil},
		{"nested unknown group", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "pick", "count": 1, "from_nested": [{"rule": "all", "from": "A"}, {"rule": "all", "from": "Z"}]}]`), "submission_requirements[0].from_nested[1].from", `group "Z"`, nil},
		{"nested too deep", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "all", "from_nested": [{"rule": "all", "from_nested": [{"rule": "all", "from_nested": [{"rule": "all", "from_nested": [{"rule": "all", "from": "A"}]}]}]}]}]`), "submission_requirements[0].from_nested[0].from_nested[0].from_nested[0].from_nested[0]", "deeper than 4", nil},
		{"unknown requirement member", def(`{"id": "a", "group": ["A"], "constraints": {}}`, `"submission_requirements": [{"rule": "all", "from": "A", "form": "A"}]`), "submission_requirements[0].form", "unknown member", nil},
		{"envelope with a non-object", `{"presentation_definition": []}`, "presentation_definition", "must be an object", nil},
		{"too large", `{"id": "` + strings.Repeat("x", MaxDefinitionSize) + `"}`, "", "larger than", nil},
		{"id too long", def(desc(strings.Repeat("x", 257), okField)), "input_descriptors[0].id", "longer than 256", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.json))
			if err == nil {
				t.Fatalf("Parse accepted it: %+v", d)
			}
			if !errors.Is(err, ErrInvalidDefinition) {
				t.Fatalf("err = %v, want ErrInvalidDefinition", err)
			}
			if tc.cause != nil && !errors.Is(err, tc.cause) {
				t.Errorf("err = %v, want it to wrap %v", err, tc.cause)
			}
			var fe *FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %T, want *FieldError", err)
			}
			if fe.Field != tc.field || !strings.Contains(fe.Reason, tc.msg) {
				t.Errorf("field %q reason %q; want %q and %q", fe.Field, fe.Reason, tc.field, tc.msg)
			}
		})
	}
}

func TestParseAccepts(t *testing.T) {
	tests := []struct{ name, json string }{
		{"bare", def(desc("a", okField))},
		{"envelope", `{"presentation_definition": ` + def(desc("a", okField)) + `}`},
		{"every member", `{"id": "all", "name": "n", "purpose": "p",
			"format": {"ldp_vc": {"proof_type": ["DataIntegrityProof"]}, "di_vc": {"proof_type": ["DataIntegrityProof"], "cryptosuite": ["eddsa-rdfc-2022"]},
				"jwt_vc_json": {"alg": ["EdDSA"]}, "vc+sd-jwt": {"sd-jwt_alg_values": ["EdDSA"], "kb-jwt_alg_values": ["EdDSA"]}, "dc+sd-jwt": {},
				"jwt": {"alg": ["ES256"]}, "ldp": {"proof_type": ["x"]}, "di": {"proof_type": ["x"], "cryptosuite": ["y"]}, "jwt_vp": {"alg": ["ES256"]},
				"jwt_vp_json": {"alg": ["ES256"]}, "jwt_vc": {"alg": ["ES256"]}, "ldp_vp": {"proof_type": ["x"]}, "di_vp": {"proof_type": ["x"], "cryptosuite": ["y"]}},
			"input_descriptors": [{"id": "a", "name": "n", "purpose": "p", "group": ["G"], "format": {"ldp_vc": {"proof_type": ["DataIntegrityProof"]}},
				"constraints": {"limit_disclosure": "preferred", "fields": [{"id": "f", "name": "n", "purpose": "p", "path": ["$.a", "$['b'][0]", "$..c"], "optional": true, "intent_to_retain": true, "filter": null}]}}],
			"submission_requirements": [{"name": "n", "purpose": "p", "rule": "pick", "min": 0, "max": 1, "from": "G"}]}`},
		{"empty constraints", def(`{"id": "a", "constraints": {}}`)},
		{"2020-12 filter", def(desc("a", `{"path": ["$.a"], "filter": {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array", "prefixItems": [{"const": "VerifiableCredential"}], "$defs": {"s": {"type": "string"}}, "items": {"$ref": "#/$defs/s"}}}`))},
		{"draft-07 tuple items and definitions", def(desc("a", `{"path": ["$.a"], "filter": {"type": "array", "items": [{"type": "string"}], "additionalItems": false, "definitions": {"x": {}}}}`))},
		{"boolean subschemas", def(desc("a", `{"path": ["$.a"], "filter": {"type": "object", "properties": {"x": true, "y": false}, "not": false}}`))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Parse([]byte(tc.json))
			if err != nil {
				t.Fatal(err)
			}
			// a parsed definition writes itself back as an equivalent one
			raw, err := json.Marshal(d)
			if err != nil {
				t.Fatal(err)
			}
			again, err := Parse(raw)
			if err != nil {
				t.Fatalf("re-parse of %s: %v", raw, err)
			}
			raw2, _ := json.Marshal(again)
			if string(raw) != string(raw2) {
				t.Errorf("round trip changed it:\n%s\n%s", raw, raw2)
			}
		})
	}
}

func TestNew(t *testing.T) {
	one := 1
	d := Definition{
		ID: "go-built",
		InputDescriptors: []InputDescriptor{{
			ID: "degree", Group: []string{"edu"},
			Constraints: Constraints{Fields: []Field{{
				Path:   []string{"$.credentialSubject.degree.level"},
				Filter: json.RawMessage(`{"type": "string", "enum": ["master", "doctor"]}`),
			}}},
		}},
		SubmissionRequirements: []SubmissionRequirement{{Rule: RulePick, Count: &one, From: "edu"}},
	}
	got, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	if got.c == nil || len(got.c.descs[0].fields) != 1 || got.c.descs[0].fields[0].filter == nil {
		t.Fatal("New did not compile the definition")
	}
	// New copies: changing the input afterwards does not change the result
	d.InputDescriptors[0].ID = "changed"
	if got.InputDescriptors[0].ID != "degree" {
		t.Error("New kept a reference to the caller's slices")
	}
	d.InputDescriptors[0].Constraints.Fields[0].Path = []string{"$.a[?(@.b)]"}
	if _, err := New(d); !errors.Is(err, ErrInvalidPath) {
		t.Errorf("New with a bad path: %v, want ErrInvalidPath", err)
	}
	d.InputDescriptors[0].Constraints.Fields[0].Path = []string{"$.a"}
	d.Format = Formats{"jwt_vc_json": {ProofType: []string{"x"}}}
	if _, err := New(d); !errors.Is(err, ErrInvalidDefinition) {
		t.Errorf("New with a proof_type on a JWT format: %v, want ErrInvalidDefinition", err)
	}
}

func TestUnvalidatedDefinition(t *testing.T) {
	d := &Definition{ID: "x", InputDescriptors: []InputDescriptor{{ID: "a"}}}
	if _, err := Match(t.Context(), d, nil); !errors.Is(err, ErrInvalidDefinition) {
		t.Errorf("Match: %v", err)
	}
	if _, _, err := Build(d, nil); !errors.Is(err, ErrInvalidDefinition) {
		t.Errorf("Build: %v", err)
	}
	if _, err := Evaluate(t.Context(), d, nil, map[string]any{}); !errors.Is(err, ErrInvalidDefinition) {
		t.Errorf("Evaluate: %v", err)
	}
}
