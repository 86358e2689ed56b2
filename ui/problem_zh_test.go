package ui

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/issuer"
)

// TestProblemCarriesChineseReasons: a refused credential request or CSV
// upload answers each field's reason in English and, beside it, in Chinese,
// so an API client can show either without asking again.
func TestProblemCarriesChineseReasons(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		field  string
		en, zh string
	}{
		{"template", fmt.Errorf("issue: %w", &issuer.ValidationError{Fields: []issuer.FieldError{
			{Field: "/credentialSubject/graduationDate", Reason: "is required", ReasonZH: "必填"}}}),
			"/credentialSubject/graduationDate", "is required", "必填"},
		{"csv", &issuer.CSVError{BadRows: 1, Errors: []issuer.RowError{{Line: 3, Column: "course.hours",
			Reason: `"x" is not an integer`, ReasonZH: `"x" 不是整数`}}},
			"line 3, column course.hours", `"x" is not an integer`, `"x" 不是整数`},
		{"no Chinese text", &issuer.ValidationError{Fields: []issuer.FieldError{{Field: "/x", Reason: "passed through"}}},
			"/x", "passed through", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := problemFor(tt.err)
			if len(p.Errors) != 1 {
				t.Fatalf("problem %+v", p)
			}
			f := p.Errors[0]
			if f.Field != tt.field || f.Reason != tt.en || f.ReasonZH != tt.zh {
				t.Fatalf("field %+v, want %s / %s / %s", f, tt.field, tt.en, tt.zh)
			}
			raw, err := json.Marshal(p)
			if err != nil {
				t.Fatal(err)
			}
			if has := strings.Contains(string(raw), `"reasonZh"`); has != (tt.zh != "") {
				t.Fatalf("JSON %s: reasonZh present = %v", raw, has)
			}
		})
	}
}

// TestIssueRequestReasonsInChinese: the issue request's own checks (type,
// issuer, @context) give Chinese reasons too, chosen by Accept-Language.
func TestIssueRequestReasonsInChinese(t *testing.T) {
	req := &issueRequest{}
	req.Credential.Type = json.RawMessage(`["VerifiableCredential"]`)
	req.Credential.Issuer = json.RawMessage(`"did:talent:other"`)
	_, err := req.toRequest("did:talent:mine")
	if err == nil {
		t.Fatal("a request without a type and with another issuer was accepted")
	}
	en := problemFor(err)
	zh := problemFor(issInChinese(err))
	if len(en.Errors) != 2 || len(zh.Errors) != 2 {
		t.Fatalf("problems %+v / %+v", en, zh)
	}
	for i := range en.Errors {
		e, z := en.Errors[i], zh.Errors[i]
		if e.Field != z.Field || e.ReasonZH == "" || z.Reason != e.ReasonZH || e.Reason == z.Reason {
			t.Errorf("field %d: English %+v, Chinese %+v", i, e, z)
		}
	}
}
