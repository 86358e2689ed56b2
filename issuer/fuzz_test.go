package issuer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// FuzzValidate feeds arbitrary credentialSubject JSON to every template:
// it must never panic, and a refusal is always a ValidationError naming
// fields under /credentialSubject.
func FuzzValidate(f *testing.F) {
	for _, r := range []*Request{masterDegree(holder), training()} {
		b, _ := json.Marshal(r.Subject)
		f.Add(string(b))
	}
	f.Add(`{"fullName":{"zh":"\u0001"},"course":[]}`)
	tm, err := loadTemplates()
	if err != nil {
		f.Fatal(err)
	}
	s := &Service{tmpl: tm}
	f.Fuzz(func(t *testing.T, subject string) {
		var m map[string]any
		if json.Unmarshal([]byte(subject), &m) != nil || m == nil {
			return
		}
		for _, x := range tm.list {
			err := s.Validate(&Request{Template: x.ID, Subject: m})
			if err == nil {
				continue
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("%s: %v is not a ValidationError with fields", x.ID, err)
			}
			for _, f := range ve.Fields {
				if !strings.HasPrefix(f.Field, "/credentialSubject") || f.Reason == "" || f.ReasonZH == "" {
					t.Fatalf("%s: field %+v", x.ID, f)
				}
			}
		}
		// Validating the decoded values as they are gives what the JSON
		// round trip gives.
		raw, err := json.Marshal(m)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range tm.list {
			if fast, slow := x.validate(m), x.validateDoc(doc); fmt.Sprint(fast) != fmt.Sprint(slow) {
				t.Fatalf("%s: validate %v, round trip %v", x.ID, fast, slow)
			}
		}
	})
}

// FuzzParseListID: status list ids come from URLs.
func FuzzParseListID(f *testing.F) {
	for _, s := range []string{"rev-0", "sus-12", "rev-01", "x-1", "rev--1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, n, ok := parseListID(s)
		if ok && listID(p, n) != s {
			t.Fatalf("%q parsed as %s %d, which prints as %q", s, p, n, listID(p, n))
		}
	})
}
