package pex

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

type specCredential struct {
	ID        string              `json:"id"`
	Format    string              `json:"format"`
	Alg       string              `json:"alg"`
	Document  map[string]any      `json:"document"`
	Satisfies map[string][]string `json:"satisfies"`
}

func (c specCredential) candidate() Candidate {
	return Candidate{ID: c.ID, Format: c.Format, Document: c.Document, Alg: c.Alg}
}

func loadDef(t testing.TB, path string) *Definition {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	d, err := Parse(raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return d
}

func loadCredentials(t testing.TB, path string) []specCredential {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var creds []specCredential
	if err := json.Unmarshal(raw, &creds); err != nil {
		t.Fatal(err)
	}
	return creds
}

func candidatesOf(creds []specCredential) []Candidate {
	out := make([]Candidate, len(creds))
	for i, c := range creds {
		out[i] = c.candidate()
	}
	return out
}

func matchedIDs(dr DescriptorResult) []string {
	ids := []string{}
	for _, m := range dr.Matches {
		ids = append(ids, m.Candidate)
	}
	return ids
}

func descriptor(t testing.TB, res *Result, id string) DescriptorResult {
	t.Helper()
	for _, d := range res.Descriptors {
		if d.ID == id {
			return d
		}
	}
	t.Fatalf("no descriptor %q in the result", id)
	return DescriptorResult{}
}

func candidateMatch(t testing.TB, dr DescriptorResult, id string) CandidateMatch {
	t.Helper()
	for _, m := range dr.Matches {
		if m.Candidate == id {
			return m
		}
	}
	t.Fatalf("descriptor %s: %s does not match; rejections %+v", dr.ID, id, dr.Rejections)
	return CandidateMatch{}
}

// TestSpecExamples runs the specification's example definitions over the
// example-shaped credentials: every descriptor must match exactly the
// credentials that say they satisfy it.
func TestSpecExamples(t *testing.T) {
	creds := loadCredentials(t, "testdata/spec/credentials.json")
	tests := []struct {
		file        string
		satisfiable bool
	}{
		{"basic", true},
		{"single-group", true},
		{"multi-group", true},
		{"nested", true},
		{"format", true},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			def := loadDef(t, filepath.Join("testdata/spec", tc.file+".json"))
			res, err := Match(context.Background(), def, candidatesOf(creds))
			if err != nil {
				t.Fatal(err)
			}
			for _, dr := range res.Descriptors {
				want := []string{}
				for _, c := range creds {
					if slices.Contains(c.Satisfies[tc.file], dr.ID) {
						want = append(want, c.ID)
					}
				}
				if got := matchedIDs(dr); !reflect.DeepEqual(got, want) {
					t.Errorf("descriptor %s matches %v, want %v; rejections: %+v", dr.ID, got, want, dr.Rejections)
				}
				if len(dr.Matches)+len(dr.Rejections) != len(creds) {
					t.Errorf("descriptor %s: %d matches + %d rejections for %d candidates", dr.ID, len(dr.Matches), len(dr.Rejections), len(creds))
				}
				for _, r := range dr.Rejections {
					if len(r.Reasons) == 0 {
						t.Errorf("descriptor %s rejects %s without a reason", dr.ID, r.Candidate)
					}
				}
			}
			if res.Satisfiable != tc.satisfiable {
				t.Errorf("Satisfiable = %v, want %v (%+v)", res.Satisfiable, tc.satisfiable, res.Requirements)
			}
		})
	}
}

func TestSpecFieldValues(t *testing.T) {
	creds := candidatesOf(loadCredentials(t, "testdata/spec/credentials.json"))
	ctx := context.Background()

	multi, err := Match(ctx, loadDef(t, "testdata/spec/multi-group.json"), creds)
	if err != nil {
		t.Fatal(err)
	}
	bank := candidateMatch(t, descriptor(t, multi, "banking_input_1"), "bank-accounts")
	// account[*] yields "n/a" first; the first value passing the filter wins.
	acct := bank.Fields[2]
	if acct.Value != "DE89 3704 0044 0532 0130 00" || NormalizedPath(acct.Location) != "$['credentialSubject']['account'][1]['account_number']" {
		t.Errorf("account number = %v at %s", acct.Value, NormalizedPath(acct.Location))
	}
	if !acct.IntentToRetain || acct.Path != "$.credentialSubject.account[*].account_number" {
		t.Errorf("account field = %+v", acct)
	}
	// limit_disclosure required: the holder must disclose exactly these.
	var disclose []string
	for _, loc := range bank.Disclose {
		disclose = append(disclose, NormalizedPath(loc))
	}
	want := []string{"$['credentialSchema']", "$['issuer']", "$['credentialSubject']['account'][1]['account_number']", "$['credentialSubject']['portfolio_value']"}
	if !reflect.DeepEqual(disclose, want) {
		t.Errorf("Disclose = %v, want %v", disclose, want)
	}
	// a descriptor without limit_disclosure asks for nothing to be withheld
	if jwt := candidateMatch(t, descriptor(t, multi, "banking_input_2"), "bank-jwt"); jwt.Disclose != nil {
		t.Errorf("banking_input_2 Disclose = %v, want none", jwt.Disclose)
	}
	// the JWT VC's values are found through the $.vc... and $.iss alternatives
	jwt := candidateMatch(t, descriptor(t, multi, "banking_input_2"), "bank-jwt")
	if jwt.Fields[1].Path != "$.iss" || jwt.Fields[1].Value != "did:example:456" {
		t.Errorf("issuer field = %+v", jwt.Fields[1])
	}

	basic, err := Match(ctx, loadDef(t, "testdata/spec/basic.json"), creds)
	if err != nil {
		t.Fatal(err)
	}
	// paths are tried in order: dateOfBirth comes before dob
	es := candidateMatch(t, descriptor(t, basic, "wa_driver_license"), "jwt-dob-es384")
	if es.Fields[0].Path != "$.vc.credentialSubject.dateOfBirth" {
		t.Errorf("first matching path = %s", es.Fields[0].Path)
	}
}

func TestSpecRejectionReasons(t *testing.T) {
	creds := candidatesOf(loadCredentials(t, "testdata/spec/credentials.json"))
	ctx := context.Background()
	multi, err := Match(ctx, loadDef(t, "testdata/spec/multi-group.json"), creds)
	if err != nil {
		t.Fatal(err)
	}
	format, err := Match(ctx, loadDef(t, "testdata/spec/format.json"), creds)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		res        *Result
		descriptor string
		candidate  string
		kind       string
		field      string
		message    string
	}{
		{"date after formatMaximum", multi, "drivers_license_input_1", "young-eu-dl", ReasonFilter, "$.credentialSubject.dob", "must be on or before 1999-04-16"},
		{"missing field", multi, "drivers_license_input_2", "eu-dl", ReasonMissing, "$.credentialSubject.birth_date", "no value at $.credentialSubject.birth_date or"},
		{"const mismatch", multi, "drivers_license_input_2", "us-passport", ReasonFilter, "$.credentialSchema.id", "american_drivers_license.json"},
		{"no active job", multi, "employment_input", "eu-dl", ReasonMissing, "$.jobs[*].active", ""},
		{"alg not accepted", format, "any_dob", "jwt-dob-eddsa", ReasonFormat, "", "algorithm EdDSA is not accepted (accepted: ES256K, ES384)"},
		{"proof type not accepted", format, "any_dob", "eu-dl-other-schema", ReasonFormat, "", "no proof of an accepted type"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dr := descriptor(t, tc.res, tc.descriptor)
			for _, r := range dr.Rejections {
				if r.Candidate != tc.candidate {
					continue
				}
				for _, reason := range r.Reasons {
					if reason.Kind == tc.kind && (tc.field == "" || reason.Field == tc.field) && strings.Contains(reason.Message, tc.message) {
						return
					}
				}
				t.Fatalf("reasons %+v lack %s/%s %q", r.Reasons, tc.kind, tc.field, tc.message)
			}
			t.Fatalf("%s is not rejected by %s", tc.candidate, tc.descriptor)
		})
	}
	// young-eu-dl fails only on its date of birth, and the message says why
	for _, r := range descriptor(t, multi, "drivers_license_input_1").Rejections {
		if r.Candidate == "young-eu-dl" {
			if len(r.Reasons) != 1 || r.Reasons[0].Field != "$.credentialSubject.dob" ||
				!strings.Contains(r.Reasons[0].Message, "2001-05-05 must be on or before 1999-04-16") {
				t.Errorf("young-eu-dl reasons = %+v", r.Reasons)
			}
		}
	}
}
