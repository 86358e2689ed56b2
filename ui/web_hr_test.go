package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/talentchain/talentchain/credential/pex"
	"github.com/talentchain/talentchain/internal/pdfdoc"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/verifier/policy"
)

// TestHRDefinition: the request form's choices become a definition pex
// accepts, one descriptor per type with the type, the degree level and each
// chosen claim.
func TestHRDefinition(t *testing.T) {
	master := hrType{ID: "master-degree", Type: "DegreeCredential", Level: "master", Claims: []string{"fullName", "degree.fieldOfStudy"}}
	training := hrType{ID: "training-certificate", Type: "TrainingCertificateCredential"}
	tests := []struct {
		name      string
		types     []hrType
		claims    map[string][]string
		wantPaths map[string][]string
	}{
		{"one type, no claims", []hrType{training}, nil,
			map[string][]string{"training-certificate": {"$.type"}}},
		{"degree level and claims", []hrType{master}, map[string][]string{"master-degree": {"fullName", "degree.fieldOfStudy"}},
			map[string][]string{"master-degree": {"$.type", "$.credentialSubject.degree.level", "$.credentialSubject.fullName", "$.credentialSubject.degree.fieldOfStudy"}}},
		{"two types", []hrType{master, training}, map[string][]string{"master-degree": {"fullName"}},
			map[string][]string{"master-degree": {"$.type", "$.credentialSubject.degree.level", "$.credentialSubject.fullName"}, "training-certificate": {"$.type"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := hrDefinition("hr-test", "degree check", tc.types, tc.claims)
			if err != nil {
				t.Fatal(err)
			}
			def, err := pex.Parse(raw)
			if err != nil {
				t.Fatalf("pex refuses the definition: %v\n%s", err, raw)
			}
			if len(def.InputDescriptors) != len(tc.wantPaths) {
				t.Fatalf("%d descriptors, want %d", len(def.InputDescriptors), len(tc.wantPaths))
			}
			for _, d := range def.InputDescriptors {
				var got []string
				for _, f := range d.Constraints.Fields {
					got = append(got, f.Path[0])
				}
				if strings.Join(got, " ") != strings.Join(tc.wantPaths[d.ID], " ") {
					t.Errorf("descriptor %s paths %v, want %v", d.ID, got, tc.wantPaths[d.ID])
				}
				if d.Constraints.LimitDisclosure != "preferred" {
					t.Errorf("descriptor %s limit_disclosure %q", d.ID, d.Constraints.LimitDisclosure)
				}
			}
		})
	}
}

// TestHRDecisionBody: every shape a verifier may paste becomes the body of
// POST /policies/{id}/decisions, which decisionRequest then accepts or
// refuses as the API does.
func TestHRDecisionBody(t *testing.T) {
	vc := `{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:uuid:1","type":["VerifiableCredential","DegreeCredential"],"issuer":"did:example:u","credentialSubject":{"id":"did:example:alice","degree":{"level":"master"}}}`
	vc2 := strings.Replace(vc, "urn:uuid:1", "urn:uuid:2", 1)
	hex64 := strings.Repeat("ab", 32)
	receipt := `{"type":"TalentChainAnchorReceipt","version":1,"credentialDigest":"` + hex64 + `","leafIndex":0,"treeSize":1,"path":[],"root":"` + hex64 + `","height":5}`
	vp := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"holder":"did:example:alice","verifiableCredential":[` + vc + `],"proof":{"type":"DataIntegrityProof","challenge":"c-1","domain":"hr.example.cn"}}`
	tests := []struct {
		name, doc, receipts, applicant string
		wantErr                        bool
		check                          func(t *testing.T, b *decisionBody)
	}{
		{name: "empty", doc: "  ", wantErr: true},
		{name: "not JSON", doc: "eyJhbGciOi", wantErr: true},
		{name: "broken JSON", doc: `{"type":`, wantErr: true},
		{name: "presentation: own challenge", doc: vp, check: func(t *testing.T, b *decisionBody) {
			if !present(b.VerifiablePresentation) || b.Options.Challenge != "c-1" || b.Options.Domain != "hr.example.cn" {
				t.Errorf("presentation body %+v", b.Options)
			}
		}},
		{name: "API body", doc: `{"verifiablePresentation":` + vp + `,"anchorReceipts":[` + receipt + `]}`, check: func(t *testing.T, b *decisionBody) {
			if b.Options.Challenge != "c-1" || !present(b.AnchorReceipts) {
				t.Errorf("API body %+v %s", b.Options, b.AnchorReceipts)
			}
		}},
		{name: "bare credential: applicant from subject", doc: vc, check: func(t *testing.T, b *decisionBody) {
			if len(b.VerifiableCredentials) != 1 || b.Applicant != "did:example:alice" || present(b.AnchorReceipts) {
				t.Errorf("credential body %+v", b)
			}
		}},
		{name: "wallet file with receipt", doc: `{"verifiableCredential":` + vc + `,"anchorReceipt":` + receipt + `}`, check: func(t *testing.T, b *decisionBody) {
			if len(b.VerifiableCredentials) != 1 || !strings.Contains(string(b.AnchorReceipts), `"height":5`) {
				t.Errorf("wallet file body %s", b.AnchorReceipts)
			}
		}},
		{name: "array, receipts aligned", doc: `[` + vc + `,{"verifiableCredential":` + vc2 + `,"anchorReceipt":` + receipt + `}]`, check: func(t *testing.T, b *decisionBody) {
			var recs []json.RawMessage
			json.Unmarshal(b.AnchorReceipts, &recs)
			if len(b.VerifiableCredentials) != 2 || len(recs) != 2 || present(recs[0]) || !present(recs[1]) {
				t.Errorf("array body: %d credentials, receipts %s", len(b.VerifiableCredentials), b.AnchorReceipts)
			}
		}},
		{name: "receipts text wins, applicant given", doc: vc, receipts: `[` + receipt + `]`, applicant: "did:example:bob", check: func(t *testing.T, b *decisionBody) {
			if b.Applicant != "did:example:bob" || !strings.HasPrefix(string(b.AnchorReceipts), "[") {
				t.Errorf("body %+v", b)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := hrDecisionBody(tc.doc, tc.receipts, tc.applicant)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("accepted %q", tc.doc)
				}
				if problemFor(err).Status != 400 {
					t.Errorf("refusal %v is not a 400", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, b)
			if _, err := decisionRequest("p", b); err != nil {
				t.Errorf("decisionRequest refuses the body: %v", err)
			}
		})
	}
}

// TestHRPlaceErrors: a refusal is shown beside its field.
func TestHRPlaceErrors(t *testing.T) {
	form := func() pages.HRPolicyForm {
		return pages.HRPolicyForm{Errors: map[string]string{}, Rules: []pages.HRRuleInput{{N: 0, ID: "a"}, {N: 1, ID: "b"}}}
	}
	lang := i18n.EN
	f := form()
	ce := &policy.CompileError{Rule: "b", Issues: []policy.Issue{{Line: 2, Column: 7, Message: "undeclared reference"}}}
	if !hrPlaceErrors(lang, &f, ce) || f.Rules[1].Line != 2 || f.Rules[1].Column != 7 || !strings.Contains(f.Rules[1].Error, "undeclared") || f.Rules[0].Error != "" {
		t.Errorf("rule error placed: %+v", f.Rules)
	}
	f = form()
	if !hrPlaceErrors(lang, &f, &policy.CompileError{Rule: "combine", Issues: []policy.Issue{{Line: 1, Column: 3, Message: "bad"}}}) ||
		!strings.Contains(f.Errors["combine"], "Line 1, column 3") {
		t.Errorf("combine error: %v", f.Errors)
	}
	f = form()
	if hrPlaceErrors(lang, &f, &policy.CompileError{Rule: "zzz"}) {
		t.Error("an error of an unknown rule claims a place")
	}
	f = form()
	if !hrPlaceErrors(lang, &f, &policy.InputError{Field: "id", Reason: "must match"}) || f.Errors["id"] != "must match" {
		t.Errorf("input error: %v", f.Errors)
	}
	f = form()
	if !hrPlaceErrors(lang, &f, &policy.InputError{Field: "rules[1].id", Reason: "is a keyword"}) || !strings.Contains(f.Rules[1].Error, "keyword") {
		t.Errorf("rule input error: %+v", f.Rules)
	}
	if hrPlaceErrors(lang, &f, errors.New("store down")) {
		t.Error("a store error claims a place")
	}
}

// TestHRPDFText: what reaches pdfdoc is one line, within the limit, in
// scripts its fonts draw.
func TestHRPDFText(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"plain", 60, "plain"},
		{"line\nbreak\ttab", 60, "line break tab"},
		{"김민수 Kim", 60, "??? Kim"},
		{"李四 · Li Si — ok…", 60, "李四 · Li Si — ok…"},
		{"emoji 🎓", 60, "emoji ?"},
		{"abcdefghij", 5, "abcd…"},
		{"abcde", 5, "abcde"},
		{"\xff\xfebad", 60, "?bad"},
	}
	for _, tc := range tests {
		if got := hrPDFText(tc.in, tc.max); got != tc.want {
			t.Errorf("hrPDFText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

// TestHRReportData: a presentation's report (with texts pdfdoc cannot
// print as they are) becomes a PDF in both languages, its checks grouped
// by credential.
func TestHRReportData(t *testing.T) {
	step := func(name string, st verifier.StepState) verifier.Step {
		return verifier.Step{Name: name, State: st, MessageEN: "line one\nline two", MessageZH: "第一行\n第二行"}
	}
	cred := &verifier.Report{Kind: verifier.KindCredential, State: verifier.StateInvalid, Types: []string{"VerifiableCredential", "DegreeCredential"},
		Issuer: "did:talent:u", IssuerName: &verifier.Names{Zh: "华东理工大学", En: "East China University"},
		Steps: []verifier.Step{step("proof", verifier.StepFailed), step("status", verifier.StepOK)}}
	rep := &verifier.Report{Kind: verifier.KindPresentation, State: verifier.StateInvalid, SummaryEN: "Not valid.", SummaryZH: "无效。",
		Holder: "did:key:z6Mk", CheckedAt: time.Date(2026, 7, 1, 6, 5, 0, 0, time.UTC),
		Steps: []verifier.Step{step("proof", verifier.StepOK)}, Credentials: []*verifier.Report{cred}}
	k := keepReport(rep)
	k.Credentials[0].Subject = map[string]any{"fullName": map[string]any{"zh": "김민수", "en": "Kim Minsu"}, "note": "a\u0007b"}
	for _, lang := range []i18n.Lang{i18n.ZH, i18n.EN} {
		d := hrReportData(lang, k, "R-TEST", "https://talent.example.cn/verify/r/x", "")
		if d.Verdict != pdfdoc.VerdictInvalid || len(d.Checks) != 3 || d.Checks[0].Group != "" || d.Checks[1].Group == "" {
			t.Fatalf("%s: report data %+v", lang, d)
		}
		if d.Checks[1].State != pdfdoc.CheckFail || strings.Contains(d.Checks[1].Message, "\n") {
			t.Errorf("%s: credential check %+v", lang, d.Checks[1])
		}
		var buf bytes.Buffer
		if err := pdfdoc.Report(&buf, d); err != nil {
			t.Fatalf("%s: pdfdoc refuses the report: %v", lang, err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte("%PDF")) {
			t.Fatalf("%s: not a PDF", lang)
		}
	}
}

// TestHRBatchKind tells uploads apart by name and content.
func TestHRBatchKind(t *testing.T) {
	tests := []struct {
		name string
		data string
		want string
	}{
		{"a.zip", "anything", BatchZIP},
		{"noext", "PK\x03\x04....", BatchZIP},
		{"links.csv", "https://x/share/a", BatchCSV},
		{"items.json", "  [", BatchJSON},
		{"items.txt", "\ufeff[{}]", BatchJSON},
		{"links.txt", "https://x/share/a\n", BatchCSV},
	}
	for _, tc := range tests {
		if got := hrBatchKind(tc.name, []byte(tc.data)); got != tc.want {
			t.Errorf("hrBatchKind(%q, %q) = %q, want %q", tc.name, tc.data, got, tc.want)
		}
	}
}

// FuzzHRDecisionBody: any pasted text is refused with a 400 or becomes a
// body decisionRequest reads without panicking.
func FuzzHRDecisionBody(f *testing.F) {
	f.Add(`{"type":["VerifiablePresentation"],"proof":{"challenge":"c"}}`, "", "")
	f.Add(`[{"verifiableCredential":{"credentialSubject":{"id":"did:x"}},"anchorReceipt":null}]`, "[]", "did:y")
	f.Add(`{"verifiablePresentation":"eyJ","options":{"challenge":"c"}}`, "{}", "")
	f.Fuzz(func(t *testing.T, doc, receipts, applicant string) {
		b, err := hrDecisionBody(doc, receipts, applicant)
		if err != nil {
			if st := problemFor(err).Status; st != 400 {
				t.Fatalf("refusal %v answers %d", err, st)
			}
			return
		}
		_, _ = decisionRequest("p", b)
	})
}

// FuzzHRPDFText: the cleaned text is valid UTF-8, one line, within the
// limit and printable by pdfdoc's fonts.
func FuzzHRPDFText(f *testing.F) {
	f.Add("李四 Li Si\n김", 10)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 1 || max > 1000 {
			return
		}
		out := hrPDFText(s, max)
		if !utf8.ValidString(out) || utf8.RuneCountInString(out) > max || strings.ContainsAny(out, "\n\r\t") {
			t.Fatalf("hrPDFText(%q, %d) = %q", s, max, out)
		}
		for _, r := range out {
			if !hrPrintable(r) && r != '…' {
				t.Fatalf("unprintable %U in %q", r, out)
			}
		}
	})
}

// TestTemplateFormsCache: a template's schema is parsed once per version
// (its id and the digest of its schema); a changed schema is parsed again
// and its new fields show, a broken one is refused each time without being
// parsed again.
func TestTemplateFormsCache(t *testing.T) {
	read := func(id string) issuer.Template {
		raw, err := os.ReadFile(filepath.Join("..", "issuer", "templates", id+".json"))
		if err != nil {
			t.Fatal(err)
		}
		return issuer.Template{ID: id, Schema: raw}
	}
	training, master := read(issuer.TemplateTraining), read(issuer.TemplateMaster)
	var schema map[string]any
	if err := json.Unmarshal(training.Schema, &schema); err != nil {
		t.Fatal(err)
	}
	props := schema["properties"].(map[string]any)
	props["mentor"] = map[string]any{"type": "string"}
	changedSchema, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	changed := issuer.Template{ID: training.ID, Schema: changedSchema}
	broken := issuer.Template{ID: "broken", Schema: json.RawMessage(`{"properties":`)}
	hasField := func(f *issTemplateForm, claim string) bool {
		for _, cf := range f.Fields {
			if cf.Claim == claim {
				return true
			}
		}
		return false
	}
	var c templateForms
	steps := []struct {
		name       string
		tm         issuer.Template
		wantParses int64
		wantErr    bool
		mentor     bool
	}{
		{"first use parses", training, 1, false, false},
		{"same version is kept", training, 1, false, false},
		{"another template parses", master, 2, false, false},
		{"first template still kept", training, 2, false, false},
		{"changed schema parses again", changed, 3, false, true},
		{"changed version is kept", changed, 3, false, true},
		{"back to the old version parses", training, 4, false, false},
		{"broken schema refused", broken, 5, true, false},
		{"broken schema refused, not parsed again", broken, 5, true, false},
	}
	var prev *issTemplateForm
	for _, st := range steps {
		f, err := c.form(st.tm)
		if (err != nil) != st.wantErr {
			t.Fatalf("%s: error %v, want error %v", st.name, err, st.wantErr)
		}
		if got := c.parses.Load(); got != st.wantParses {
			t.Errorf("%s: %d parses, want %d", st.name, got, st.wantParses)
		}
		if err != nil {
			continue
		}
		if hasField(f, "mentor") != st.mentor {
			t.Errorf("%s: mentor field %v, want %v", st.name, !st.mentor, st.mentor)
		}
		if strings.HasSuffix(st.name, "is kept") && f != prev {
			t.Errorf("%s: a new form was built", st.name)
		}
		prev = f
	}
}

// TestPageProblems: the pages' errors, wrapped, map to their statuses
// through the one rule table helper; other errors are left to the next
// mapper.
func TestPageProblems(t *testing.T) {
	tests := []struct {
		err    error
		status int
		kind   string
	}{
		{fmt.Errorf("post: %w", errWebCSRF), 403, "csrf"},
		{fmt.Errorf("%w: wrong token", errWebLogin), 401, "unauthenticated"},
		{errWebSignIn, 401, "unauthenticated"},
		{fmt.Errorf("%w: scope", errWebRole), 403, "forbidden"},
		{errVerifyInput, 400, "validation"},
		{errShareUnusable, 422, "validation"},
		{errResultGone, 404, "not-found"},
		{fmt.Errorf("read: %w", errHRGone), 404, "not-found"},
		{errHRRequest, 404, "not-found"},
	}
	for _, tc := range tests {
		p := problemFor(tc.err)
		if p.Status != tc.status || p.Type != ProblemTypeBase+tc.kind || p.Detail != tc.err.Error() {
			t.Errorf("%v → %d %s %q, want %d %s", tc.err, p.Status, p.Type, p.Detail, tc.status, tc.kind)
		}
	}
	for _, m := range []func(error) (Problem, bool){webProblem, verifyPageProblem, hrProblem} {
		if _, ok := m(errors.New("something else")); ok {
			t.Error("a mapper took an error that is not its own")
		}
	}
}
