package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

func TestTemplateValidation(t *testing.T) {
	tm, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	s := &Service{tmpl: tm}
	with := func(r *Request, f func(subj map[string]any)) *Request {
		c := *r
		c.Subject = deepCopy(r.Subject)
		f(c.Subject)
		return &c
	}
	deg := func(subj map[string]any) map[string]any { return subj["degree"].(map[string]any) }
	course := func(subj map[string]any) map[string]any { return subj["course"].(map[string]any) }
	tests := []struct {
		name  string
		req   *Request
		field string // "" = valid
	}{
		{"master degree", masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"), ""},
		{"training certificate", training(), ""},
		{"degree by type and level", func() *Request { r := masterDegree(""); r.Template, r.Type = "", TypeDegree; return r }(), ""},
		{"missing name", with(masterDegree(""), func(s map[string]any) { delete(s, "fullName") }), "/credentialSubject/fullName"},
		{"wrong level for template", with(masterDegree(""), func(s map[string]any) { deg(s)["level"] = "doctor" }), "/credentialSubject/degree/level"},
		{"bad date", with(masterDegree(""), func(s map[string]any) { s["graduationDate"] = "30/06/2026" }), "/credentialSubject/graduationDate"},
		{"undeclared claim", with(masterDegree(""), func(s map[string]any) { s["gpa"] = 3.9 }), "/credentialSubject/gpa"},
		{"name not a language map", with(masterDegree(""), func(s map[string]any) { s["fullName"] = "Zhang San" }), "/credentialSubject/fullName"},
		{"hours as text", with(training(), func(s map[string]any) { course(s)["hours"] = "48" }), "/credentialSubject/course/hours"},
		{"no skills", with(training(), func(s map[string]any) { course(s)["skills"] = []any{} }), "/credentialSubject/course/skills"},
		{"unknown result", with(training(), func(s map[string]any) { s["result"] = "great" }), "/credentialSubject/result"},
		{"missing course code", with(training(), func(s map[string]any) { delete(course(s), "courseCode") }), "/credentialSubject/course/courseCode"},
		{"unknown template", &Request{Template: "phd", Subject: map[string]any{}}, "/template"},
		{"no template or type", &Request{Subject: map[string]any{}}, "/template"},
		{"bad format", func() *Request { r := training(); r.Format = "jwt"; return r }(), "/format"},
		{"holder not a DID", func() *Request { r := training(); r.Holder = "zhang"; return r }(), "/holder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := s.Validate(tt.req)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Validate: %v, want a ValidationError", err)
			}
			for _, f := range ve.Fields {
				if f.Field == tt.field && f.Reason != "" {
					return
				}
			}
			t.Fatalf("fields %+v do not name %s", ve.Fields, tt.field)
		})
	}
}

func TestTemplatesListed(t *testing.T) {
	tm, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range (&Service{tmpl: tm}).Templates() {
		got[x.ID] = x.Type + "/" + x.Level
		if len(x.Schema) == 0 || x.Title == "" {
			t.Errorf("%s: no schema or title", x.ID)
		}
	}
	want := map[string]string{
		TemplateBachelor: "DegreeCredential/bachelor", TemplateMaster: "DegreeCredential/master",
		TemplateDoctor: "DegreeCredential/doctor", TemplateTraining: "TrainingCertificateCredential/",
		TemplateCompletion: "CourseCompletionCredential/",
	}
	if !maps.Equal(got, want) {
		t.Fatalf("templates %v, want %v", got, want)
	}
}

func deepCopy(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		switch x := v.(type) {
		case map[string]any:
			out[k] = deepCopy(x)
		case []any:
			out[k] = append([]any(nil), x...)
		default:
			out[k] = v
		}
	}
	return out
}

// TestValidateNative: a subject of JSON's own values is validated without
// the JSON round trip, with exactly the round trip's outcome.
func TestValidateNative(t *testing.T) {
	tms := mustTemplates(t)
	roundTrip := func(t *testing.T, tm *Template, subject map[string]any) error {
		raw, err := json.Marshal(subject)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		return tm.validateDoc(doc)
	}
	with := func(r *Request, path string, v any) map[string]any {
		m := r.Subject
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
		return r.Subject
	}
	tests := []struct {
		name     string
		template string
		subject  map[string]any
		native   bool
	}{
		{"good degree", TemplateMaster, masterDegree("").Subject, true},
		{"good training", TemplateTraining, training().Subject, true},
		{"int64 hours", TemplateTraining, with(training(), "course.hours", int64(40)), true},
		{"whole float hours", TemplateTraining, with(training(), "course.hours", 40.0), true},
		{"fraction hours", TemplateTraining, with(training(), "course.hours", 40.5), true},
		{"string hours", TemplateTraining, with(training(), "course.hours", "40"), true},
		{"huge hours", TemplateTraining, with(training(), "course.hours", int64(1)<<62), true},
		{"missing", TemplateMaster, func() map[string]any { r := masterDegree(""); delete(r.Subject, "fullName"); return r.Subject }(), true},
		{"extra", TemplateMaster, with(masterDegree(""), "gpa", 3.9), true},
		{"bad date", TemplateMaster, with(masterDegree(""), "graduationDate", "2026-02-30"), true},
		{"duplicate skills", TemplateTraining, with(training(), "course.skills", []any{"a", "a"}), true},
		{"not UTF-8", TemplateMaster, with(masterDegree(""), "studentNumber", "\xff"), false},
		{"Go int32", TemplateTraining, with(training(), "course.hours", int32(40)), false},
		{"Go []string", TemplateTraining, with(training(), "course.skills", []string{"a"}), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := tms.byID[tt.template]
			if got := jsonNative(tt.subject, 0); got != tt.native {
				t.Fatalf("jsonNative = %v", got)
			}
			fast, slow := tm.validate(tt.subject), roundTrip(t, tm, tt.subject)
			if fmt.Sprint(fast) != fmt.Sprint(slow) {
				t.Fatalf("validate: %v\nround trip: %v", fast, slow)
			}
		})
	}
}
