package pex

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func talentCandidates(t testing.TB, ids ...string) []Candidate {
	t.Helper()
	all := loadCredentials(t, "testdata/talent/credentials.json")
	if len(ids) == 0 {
		return candidatesOf(all)
	}
	var out []Candidate
	for _, id := range ids {
		i := slices.IndexFunc(all, func(c specCredential) bool { return c.ID == id })
		if i < 0 {
			t.Fatalf("no credential %q in testdata", id)
		}
		out = append(out, all[i].candidate())
	}
	return out
}

func TestTalentDefinitions(t *testing.T) {
	creds := loadCredentials(t, "testdata/talent/credentials.json")
	for _, file := range []string{"master-or-doctor", "training", "settlement", "graduate-programme"} {
		t.Run(file, func(t *testing.T) {
			def := loadDef(t, filepath.Join("testdata/talent", file+".json"))
			res, err := Match(context.Background(), def, candidatesOf(creds))
			if err != nil {
				t.Fatal(err)
			}
			for _, dr := range res.Descriptors {
				want := []string{}
				for _, c := range creds {
					if slices.Contains(c.Satisfies[file], dr.ID) {
						want = append(want, c.ID)
					}
				}
				if got := matchedIDs(dr); !reflect.DeepEqual(got, want) {
					t.Errorf("descriptor %s matches %v, want %v; rejections: %+v", dr.ID, got, want, dr.Rejections)
				}
			}
			if !res.Satisfiable {
				t.Errorf("not satisfiable with every credential: %+v", res.Requirements)
			}
		})
	}
}

func TestTalentMatchDetails(t *testing.T) {
	ctx := context.Background()
	res, err := Match(ctx, loadDef(t, "testdata/talent/master-or-doctor.json"), talentCandidates(t))
	if err != nil {
		t.Fatal(err)
	}
	dr := descriptor(t, res, "postgraduate_degree")
	if dr.LimitDisclosure != Preferred {
		t.Errorf("LimitDisclosure = %q", dr.LimitDisclosure)
	}
	// what the wallet shows the holder for the SD-JWT credential
	sd := candidateMatch(t, dr, "master-sdjwt")
	var got []string
	for _, f := range sd.Fields {
		got = append(got, f.ID+"="+JSONPointer(f.Location))
	}
	want := []string{"type=/vct", "level=/degree/level", "field_of_study=/degree/fieldOfStudy", "name=/fullName"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("fields = %v, want %v", got, want)
	}
	if sd.Fields[1].Value != "master" || sd.Fields[1].Name != "Degree level" || !sd.Fields[3].IntentToRetain {
		t.Errorf("level field = %+v, name field = %+v", sd.Fields[1], sd.Fields[3])
	}
	var ptrs []string
	for _, loc := range sd.Disclose {
		ptrs = append(ptrs, JSONPointer(loc))
	}
	if !reflect.DeepEqual(ptrs, []string{"/vct", "/degree/level", "/degree/fieldOfStudy", "/fullName"}) {
		t.Errorf("Disclose = %v", ptrs)
	}
	// rejections say why, for the UI
	reasons := map[string]string{}
	for _, r := range dr.Rejections {
		var msgs []string
		for _, x := range r.Reasons {
			msgs = append(msgs, x.Kind+": "+x.String())
		}
		reasons[r.Candidate] = strings.Join(msgs, " | ")
	}
	for cand, want := range map[string]string{
		"bachelor-li":        `filter: field "level": $['credentialSubject']['degree']['level'] = "bachelor": value must be one of 'master', 'doctor'`,
		"master-jwt":         "format: format jwt_vc_json is not accepted (accepted: di_vc, ldp_vc, vc+sd-jwt)",
		"doctor-ecdsa-di":    "format: no proof with an accepted cryptosuite (accepted: eddsa-rdfc-2022)",
		"training-li-48h":    `field "type"`,
		"completion-zhang":   `missing: field "level": no value at $.credentialSubject.degree.level or $.degree.level`,
		"training-zhang-16h": `missing: field "level"`,
	} {
		if !strings.Contains(reasons[cand], want) {
			t.Errorf("%s: reasons %q lack %q", cand, reasons[cand], want)
		}
	}

	// an optional field whose value fails its filter is reported as not found
	tr, err := Match(ctx, loadDef(t, "testdata/talent/training.json"), talentCandidates(t, "training-wu-2023", "training-li-48h"))
	if err != nil {
		t.Fatal(err)
	}
	old := candidateMatch(t, descriptor(t, tr, "training"), "training-wu-2023")
	if c := old.Fields[3]; c.ID != "completed" || c.Found || c.Value != nil || !c.Optional {
		t.Errorf("completed field of the 2023 certificate = %+v, want not found", c)
	}
	recent := candidateMatch(t, descriptor(t, tr, "training"), "training-li-48h")
	if c := recent.Fields[3]; !c.Found || c.Value != "2025-05-01" {
		t.Errorf("completed field of the 2025 certificate = %+v", c)
	}
}

func TestTalentSatisfiable(t *testing.T) {
	settlement := loadDef(t, "testdata/talent/settlement.json")
	programme := loadDef(t, "testdata/talent/graduate-programme.json")
	tests := []struct {
		name   string
		def    *Definition
		creds  []string
		ok     bool
		reason string // in the first unsatisfiable requirement's Reason
	}{
		{"doctorate alone", settlement, []string{"doctor-wang"}, true, ""},
		{"master and training", settlement, []string{"master-zhang", "training-li-48h"}, true, ""},
		{"master alone", settlement, []string{"master-zhang", "training-zhang-16h"}, false, "pick exactly 1: only 0 of the 2 nested requirements can be satisfied, 1 needed"},
		{"bachelor and training", settlement, []string{"bachelor-li", "training-li-48h"}, false, "only 0 of the 2"},
		{"nothing", settlement, nil, false, "only 0 of the 2"},
		{"recent degree, no training (max only)", programme, []string{"bachelor-li"}, true, ""},
		{"old degree", programme, []string{"doctor-wang", "training-li-48h"}, false, `all: only 0 of the 1 descriptors of group "A" can be satisfied, 1 needed`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var cands []Candidate
			if tc.creds != nil {
				cands = talentCandidates(t, tc.creds...)
			}
			res, err := Match(context.Background(), tc.def, cands)
			if err != nil {
				t.Fatal(err)
			}
			if res.Satisfiable != tc.ok {
				t.Fatalf("Satisfiable = %v, want %v: %+v", res.Satisfiable, tc.ok, res.Requirements)
			}
			if !tc.ok {
				var reason string
				for _, r := range res.Requirements {
					if !r.Satisfiable {
						reason = r.Reason
						break
					}
				}
				if !strings.Contains(reason, tc.reason) {
					t.Errorf("reason %q lacks %q", reason, tc.reason)
				}
			}
		})
	}
	// nested results carry their own verdicts
	res, err := Match(context.Background(), settlement, talentCandidates(t, "master-zhang", "training-li-48h"))
	if err != nil {
		t.Fatal(err)
	}
	nested := res.Requirements[0].Nested
	if len(nested) != 2 || nested[0].Satisfiable || !nested[1].Satisfiable || !reflect.DeepEqual(nested[1].Descriptors, []string{"master", "training"}) {
		t.Errorf("nested = %+v", nested)
	}
}

func TestMatchInputErrors(t *testing.T) {
	def := loadDef(t, "testdata/talent/training.json")
	doc := map[string]any{"type": []any{"VerifiableCredential"}}
	tests := []struct {
		name  string
		cands []Candidate
		msg   string
	}{
		{"no id", []Candidate{{Format: FormatLDPVC, Document: doc}}, "candidates[0]: invalid candidate: no id"},
		{"unknown format", []Candidate{{ID: "a", Format: "pdf", Document: doc}}, `unknown format "pdf"`},
		{"no document", []Candidate{{ID: "a", Format: FormatLDPVC}}, "no document"},
		{"duplicate id", []Candidate{{ID: "a", Format: FormatLDPVC, Document: doc}, {ID: "a", Format: FormatLDPVC, Document: doc}}, `candidates[1]: invalid candidate: id "a" is used twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Match(context.Background(), def, tc.cands)
			if !errors.Is(err, ErrInvalidCandidate) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want ErrInvalidCandidate with %q", err, tc.msg)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Match(ctx, def, talentCandidates(t)); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled context: %v", err)
	}
}

// vp assembles an unsigned presentation of the credentials Build returned.
func vp(creds []Candidate) map[string]any {
	vcs := make([]any, len(creds))
	for i, c := range creds {
		vcs[i] = c.Document
	}
	return map[string]any{
		"@context":             []any{"https://www.w3.org/ns/credentials/v2"},
		"type":                 []any{"VerifiablePresentation"},
		"verifiableCredential": vcs,
	}
}

// clone deep-copies decoded JSON.
func clone(t testing.TB, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestBuild(t *testing.T) {
	settlement := loadDef(t, "testdata/talent/settlement.json")
	pg := loadDef(t, "testdata/talent/master-or-doctor.json")
	c := func(id string) Candidate { return talentCandidates(t, id)[0] }

	sub, creds, err := Build(settlement, []Choice{
		{Descriptor: "training", Candidate: c("training-li-48h")},
		{Descriptor: "master", Candidate: c("master-zhang")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if sub.DefinitionID != settlement.ID || len(sub.ID) != 36 {
		t.Errorf("submission = %+v", sub)
	}
	want := []Mapping{
		{ID: "master", Format: FormatLDPVC, Path: "$.verifiableCredential[0]"},
		{ID: "training", Format: FormatLDPVC, Path: "$.verifiableCredential[1]"},
	}
	if !reflect.DeepEqual(sub.DescriptorMap, want) {
		t.Errorf("descriptor_map = %+v, want %+v", sub.DescriptorMap, want)
	}
	if len(creds) != 2 || creds[0].ID != "master-zhang" || creds[1].ID != "training-li-48h" {
		t.Errorf("credentials = %v", creds)
	}
	again, _, _ := Build(settlement, []Choice{{Descriptor: "doctorate", Candidate: c("doctor-wang")}})
	if again == nil || again.ID == sub.ID {
		t.Error("submission ids must be fresh")
	}

	// one SD-JWT is its own presentation
	sd, creds, err := Build(pg, []Choice{{Descriptor: "postgraduate_degree", Candidate: c("master-sdjwt")}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sd.DescriptorMap, []Mapping{{ID: "postgraduate_degree", Format: FormatVCSDJWT, Path: "$"}}) || len(creds) != 1 {
		t.Errorf("SD-JWT submission = %+v, %v", sd.DescriptorMap, creds)
	}

	// the same credential answering two descriptors is presented once
	twice := mustNew(t, Definition{ID: "twice", InputDescriptors: []InputDescriptor{
		{ID: "degree", Constraints: Constraints{Fields: []Field{{Path: []string{"$.credentialSubject.degree.level", "$.degree.level"}}}}},
		{ID: "name", Constraints: Constraints{Fields: []Field{{Path: []string{"$.credentialSubject.fullName", "$.fullName"}}}}},
	}})
	tw, creds, err := Build(twice, []Choice{{"degree", c("master-zhang")}, {"name", c("master-zhang")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(creds) != 1 || tw.DescriptorMap[0].Path != "$.verifiableCredential[0]" || tw.DescriptorMap[1].Path != "$.verifiableCredential[0]" {
		t.Errorf("same credential twice: %+v, %d credentials", tw.DescriptorMap, len(creds))
	}

	tests := []struct {
		name    string
		def     *Definition
		choices []Choice
		err     error
		msg     string
	}{
		{"unknown descriptor", settlement, []Choice{{"phd", c("doctor-wang")}}, ErrInvalidChoice, `no input descriptor "phd"`},
		{"descriptor twice", settlement, []Choice{{"doctorate", c("doctor-wang")}, {"doctorate", c("doctor-wang")}}, ErrInvalidChoice, "chosen twice"},
		{"candidate does not satisfy", settlement, []Choice{{"doctorate", c("master-zhang")}}, ErrInvalidChoice, `credential "master-zhang" does not satisfy descriptor "doctorate"`},
		{"requirement not met", settlement, []Choice{{"master", c("master-zhang")}}, ErrInvalidChoice, "submission_requirements[0]: pick exactly 1 of the 2 nested requirements, but 0 met"},
		{"too many picked", settlement, []Choice{{"doctorate", c("doctor-wang")}, {"master", c("master-zhang")}, {"training", c("training-li-48h")}}, ErrInvalidChoice, "but 2 met"},
		{"nothing chosen", pg, nil, ErrInvalidChoice, `descriptor "postgraduate_degree": is required and not submitted`},
		{"SD-JWT with another credential", twice, []Choice{{"degree", c("master-sdjwt")}, {"name", c("master-zhang")}}, ErrInvalidChoice, "its own presentation"},
		{"bad candidate", pg, []Choice{{"postgraduate_degree", Candidate{ID: "x", Format: FormatLDPVC}}}, ErrInvalidCandidate, "no document"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Build(tc.def, tc.choices)
			if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("err = %v, want %v with %q", err, tc.err, tc.msg)
			}
		})
	}
}

func mustNew(t testing.TB, d Definition) *Definition {
	t.Helper()
	got, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestEvaluate(t *testing.T) {
	ctx := context.Background()
	settlement := loadDef(t, "testdata/talent/settlement.json")
	c := func(id string) Candidate { return talentCandidates(t, id)[0] }
	sub, creds, err := Build(settlement, []Choice{{"master", c("master-zhang")}, {"training", c("training-li-48h")}})
	if err != nil {
		t.Fatal(err)
	}
	good := vp(creds)

	ev, err := Evaluate(ctx, settlement, sub, clone(t, good))
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Presented) != 2 || ev.Presented[0].Descriptor != "master" || ev.Presented[1].Fields[1].Value != 48.0 {
		t.Errorf("evaluation = %+v", ev)
	}

	// the submission may travel inside the presentation
	embedded := clone(t, good).(map[string]any)
	embedded["presentation_submission"] = clone(t, sub)
	if _, err := Evaluate(ctx, settlement, nil, embedded); err != nil {
		t.Errorf("embedded submission: %v", err)
	}

	type tamper struct {
		name string
		pres func(p map[string]any) any
		sub  func(s *Submission)
		want []string // each must be in one failure
	}
	vcAt := func(p map[string]any, i int) map[string]any {
		return p["verifiableCredential"].([]any)[i].(map[string]any)
	}
	tests := []tamper{
		{name: "degree level changed after matching", pres: func(p map[string]any) any {
			vcAt(p, 0)["credentialSubject"].(map[string]any)["degree"].(map[string]any)["level"] = "bachelor"
			return p
		}, want: []string{`descriptor_map[0] descriptor "master" field "$.credentialSubject.degree.level": $['credentialSubject']['degree']['level'] = "bachelor": value must be 'master'`,
			"submission_requirements[0]: pick exactly 1 of the 2 nested requirements, but 0 met"}},
		{name: "hours below the minimum", pres: func(p map[string]any) any {
			vcAt(p, 1)["credentialSubject"].(map[string]any)["course"].(map[string]any)["hours"] = 12.0
			return p
		}, want: []string{`field "$.credentialSubject.course.hours": $['credentialSubject']['course']['hours'] = 12: minimum: got 12, want 40`}},
		{name: "credentials swapped", pres: func(p map[string]any) any {
			vcs := p["verifiableCredential"].([]any)
			vcs[0], vcs[1] = vcs[1], vcs[0]
			return p
		}, want: []string{`descriptor_map[0] descriptor "master"`, `descriptor_map[1] descriptor "training"`}},
		{name: "path selects nothing", sub: func(s *Submission) { s.DescriptorMap[1].Path = "$.verifiableCredential[5]" },
			want: []string{"descriptor_map[1]", "path $.verifiableCredential[5] selects nothing in the presentation"}},
		{name: "path selects several", sub: func(s *Submission) { s.DescriptorMap[1].Path = "$.verifiableCredential[*]" },
			want: []string{"selects 2 elements; it must select one"}},
		{name: "format not accepted", sub: func(s *Submission) { s.DescriptorMap[0].Format = FormatDIVC },
			want: []string{"format di_vc is not accepted (accepted: ldp_vc)"}},
		{name: "jwt format on an object", sub: func(s *Submission) { s.DescriptorMap[0].Format = FormatJWTVC },
			want: []string{"a jwt_vc element must be a compact JWT string, not an object"}},
		{name: "unknown descriptor", sub: func(s *Submission) { s.DescriptorMap[1].ID = "visa" },
			want: []string{`descriptor_map[1] descriptor "visa": the definition has no such input descriptor`, "but 0 met"}},
		{name: "other definition", sub: func(s *Submission) { s.DefinitionID = "other" },
			want: []string{`the submission answers definition "other", not "beijing-settlement-2026"`}},
		{name: "one mapping dropped", sub: func(s *Submission) { s.DescriptorMap = s.DescriptorMap[:1] },
			want: []string{"but 0 met (submission_requirements[0].from_nested[0]: all of the 1 descriptors of group \"D\", but 0 submitted; submission_requirements[0].from_nested[1]: all of the 2 descriptors of group \"M\", but 1 submitted)"}},
		{name: "presentation is not an object", pres: func(map[string]any) any { return []any{"x"} },
			want: []string{"selects nothing"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := clone(t, good).(map[string]any)
			var pres any = p
			if tc.pres != nil {
				pres = tc.pres(p)
			}
			s := *sub
			s.DescriptorMap = slices.Clone(sub.DescriptorMap)
			if tc.sub != nil {
				tc.sub(&s)
			}
			ev, err := Evaluate(ctx, settlement, &s, pres)
			var ee *EvaluationError
			if !errors.As(err, &ee) || !errors.Is(err, ErrNotSatisfied) {
				t.Fatalf("err = %v, want an EvaluationError", err)
			}
			if ev == nil {
				t.Fatal("no Evaluation with the error")
			}
			for _, w := range tc.want {
				if !slices.ContainsFunc(ee.Failures, func(f Failure) bool { return strings.Contains(f.String(), w) }) {
					t.Errorf("failures %q lack %q", err, w)
				}
			}
		})
	}

	// pick max: two trainings where at most one is allowed
	pg := loadDef(t, "testdata/talent/graduate-programme.json")
	sub2, creds2, err := Build(pg, []Choice{{"recent_degree", c("bachelor-li")}, {"training_any", c("training-li-48h")}})
	if err != nil {
		t.Fatal(err)
	}
	over := *sub2
	over.DescriptorMap = append(slices.Clone(sub2.DescriptorMap), Mapping{ID: "training_blockchain", Format: FormatLDPVC, Path: "$.verifiableCredential[1]"})
	if _, err := Evaluate(ctx, pg, &over, vp(creds2)); err == nil || !strings.Contains(err.Error(), "pick at most 1 of the 2 descriptors of group \"B\", but 2 submitted") {
		t.Errorf("pick max exceeded: %v", err)
	}
	if _, err := Evaluate(ctx, pg, sub2, vp(creds2)); err != nil {
		t.Errorf("pick max respected: %v", err)
	}
}

func TestEvaluateInputErrors(t *testing.T) {
	ctx := context.Background()
	def := loadDef(t, "testdata/talent/settlement.json")
	tests := []struct {
		name string
		sub  *Submission
		pres any
		msg  string
	}{
		{"no submission anywhere", nil, map[string]any{"type": "VerifiablePresentation"}, "no submission given and none in the presentation"},
		{"embedded submission malformed", nil, map[string]any{"presentation_submission": map[string]any{"id": "x"}}, "descriptor_map: is required"},
		{"bad path", &Submission{ID: "s", DefinitionID: def.ID, DescriptorMap: []Mapping{{ID: "master", Format: FormatLDPVC, Path: "verifiableCredential[0]"}}}, map[string]any{}, "descriptor_map[0].path: must start with $"},
		{"nested id differs", &Submission{ID: "s", DefinitionID: def.ID, DescriptorMap: []Mapping{{ID: "master", Format: FormatLDPVP, Path: "$", PathNested: &Mapping{ID: "training", Format: FormatLDPVC, Path: "$.verifiableCredential[0]"}}}}, map[string]any{}, `"training" differs from the enclosing mapping's "master"`},
		{"unknown format", &Submission{ID: "s", DefinitionID: def.ID, DescriptorMap: []Mapping{{ID: "master", Format: "mso_mdoc", Path: "$"}}}, map[string]any{}, `unsupported claim format "mso_mdoc"`},
		{"no id", &Submission{DefinitionID: def.ID}, map[string]any{}, "id: is required"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Evaluate(ctx, def, tc.sub, tc.pres)
			if !errors.Is(err, ErrInvalidSubmission) || !strings.Contains(err.Error(), tc.msg) || ev != nil {
				t.Fatalf("Evaluate = %v, %v; want ErrInvalidSubmission with %q", ev, err, tc.msg)
			}
		})
	}
}

// TestLimitDisclosureRequired: a holder that cannot limit disclosure must
// not submit (PE v2), so only credentials that can disclose selectively
// (SD-JWT, BBS or ecdsa-sd proofs) match, and the verifier refuses others.
func TestLimitDisclosureRequired(t *testing.T) {
	raw, err := os.ReadFile("testdata/talent/master-or-doctor.json")
	if err != nil {
		t.Fatal(err)
	}
	def, err := Parse([]byte(strings.Replace(string(raw), `"limit_disclosure": "preferred"`, `"limit_disclosure": "required"`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	sdDI := talentCandidates(t, "master-zhang")[0]
	sdDI.ID = "master-ecdsa-sd"
	sdDI.Format = FormatDIVC
	sdDI.Document = clone(t, sdDI.Document).(map[string]any)
	sdDI.Document["proof"].(map[string]any)["cryptosuite"] = "ecdsa-sd-2023"
	// di_vc in the definition accepts eddsa-rdfc-2022 only: widen it
	def2, err := Parse([]byte(strings.Replace(strings.Replace(string(raw), `"limit_disclosure": "preferred"`, `"limit_disclosure": "required"`, 1),
		`"cryptosuite": ["eddsa-rdfc-2022"]`, `"cryptosuite": ["eddsa-rdfc-2022", "ecdsa-sd-2023"]`, 1)))
	if err != nil {
		t.Fatal(err)
	}
	cands := append(talentCandidates(t, "master-zhang", "master-v1-ed2020", "master-sdjwt"), sdDI)
	res, err := Match(context.Background(), def2, cands)
	if err != nil {
		t.Fatal(err)
	}
	dr := res.Descriptors[0]
	if got := matchedIDs(dr); !reflect.DeepEqual(got, []string{"master-sdjwt", "master-ecdsa-sd"}) {
		t.Errorf("matches = %v", got)
	}
	for _, r := range dr.Rejections {
		if len(r.Reasons) != 1 || !strings.Contains(r.Reasons[0].Message, "limit_disclosure is required and proof") {
			t.Errorf("%s: %+v", r.Candidate, r.Reasons)
		}
	}
	// the verifier refuses a full credential presented for it
	sub := &Submission{ID: "s", DefinitionID: def.ID, DescriptorMap: []Mapping{{ID: "postgraduate_degree", Format: FormatLDPVC, Path: "$.verifiableCredential[0]"}}}
	_, err = Evaluate(context.Background(), def, sub, vp(talentCandidates(t, "master-zhang")))
	if !errors.Is(err, ErrNotSatisfied) || !strings.Contains(err.Error(), "limit_disclosure is required and proof DataIntegrityProof.eddsa-rdfc-2022 cannot disclose selectively") {
		t.Errorf("Evaluate: %v", err)
	}
}

// TestMatchWorkBound: a definition whose paths explode on a candidate costs
// at most MaxCandidateNodes per candidate, and the candidate is rejected
// with ReasonLimit (optional fields too: the limit is not an absence).
func TestMatchWorkBound(t *testing.T) {
	var deep any = []any{}
	for range 300 {
		deep = []any{deep, 1.0}
	}
	def := mustNew(t, Definition{ID: "hostile", InputDescriptors: []InputDescriptor{{ID: "a", Constraints: Constraints{Fields: []Field{
		{Path: []string{"$..*..*..*"}, Optional: true},
		{Path: []string{"$..*..*..*"}},
		{Path: []string{"$.x"}, Optional: true},
	}}}}})
	res, err := Match(context.Background(), def, []Candidate{{ID: "deep", Format: FormatLDPVC, Document: map[string]any{"a": deep}}})
	if err != nil {
		t.Fatal(err)
	}
	rej := res.Descriptors[0].Rejections
	if len(rej) != 1 || len(rej[0].Reasons) != 2 || rej[0].Reasons[0].Kind != ReasonLimit || rej[0].Reasons[1].Kind != ReasonLimit ||
		!strings.Contains(rej[0].Reasons[0].Message, "JSONPath evaluation limit reached") {
		t.Fatalf("rejections = %+v", rej)
	}
	// and a definition cannot hold more than MaxTotalPaths paths
	many := make([]string, MaxPaths)
	for i := range many {
		many[i] = fmt.Sprintf("$.p%d", i)
	}
	var fields []Field
	for range MaxTotalPaths/MaxPaths + 1 {
		fields = append(fields, Field{Path: many})
	}
	var descs []InputDescriptor
	for i := 0; i < len(fields); i += MaxFields {
		descs = append(descs, InputDescriptor{ID: fmt.Sprint("d", i), Constraints: Constraints{Fields: fields[i:min(i+MaxFields, len(fields))]}})
	}
	_, err = New(Definition{ID: "big", InputDescriptors: descs})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "input_descriptors[1].constraints.fields[0].path" || !strings.Contains(fe.Reason, "more than 1024 paths") {
		t.Errorf("New with %d paths: %v", len(fields)*MaxPaths, err)
	}
}

// TestConcurrentUse: a Definition is shared read-only by concurrent Match
// and Evaluate calls (run with -race).
func TestConcurrentUse(t *testing.T) {
	def := loadDef(t, "testdata/talent/settlement.json")
	cands := talentCandidates(t)
	want, err := Match(context.Background(), def, cands)
	if err != nil {
		t.Fatal(err)
	}
	c := talentCandidates(t, "master-zhang", "training-li-48h")
	sub, creds, err := Build(def, []Choice{{"master", c[0]}, {"training", c[1]}})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			got, err := Match(context.Background(), def, cands)
			if err == nil && !reflect.DeepEqual(got, want) {
				err = errors.New("Match results differ between goroutines")
			}
			if err == nil {
				_, err = Evaluate(context.Background(), def, sub, vp(creds))
			}
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
