package ui

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// templateFromFile reads one of the issuer's built-in templates as the
// service lists it.
func templateFromFile(t testing.TB, id string) issuer.Template {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "issuer", "templates", id+".json"))
	if err != nil {
		t.Fatal(err)
	}
	return issuer.Template{ID: id, Schema: raw}
}

func TestTemplateForm(t *testing.T) {
	tests := []struct {
		template string
		fields   []string // in order, a prefix of the form's fields
		kinds    map[string]string
		required []string
		consts   map[string]any
	}{
		{"master-degree",
			[]string{"fullName.zh", "fullName.en", "dateOfBirth", "studentNumber", "degree.degreeName.zh"},
			map[string]string{"graduationDate": "date", "degree.disciplineCode": "text", "fullName.en": "text"},
			[]string{"fullName.zh", "degree.degreeName.zh", "degree.fieldOfStudy.zh", "graduationDate"},
			map[string]any{"degree.type": "Degree", "degree.level": "master"}},
		{"training-certificate",
			[]string{"fullName.zh", "fullName.en", "course.courseCode", "course.title.zh"},
			map[string]string{"course.hours": "integer", "course.skills": "list", "result": "select", "completionDate": "date"},
			[]string{"course.courseCode", "course.title.zh", "course.hours", "course.skills", "result"},
			map[string]any{"course.type": "Course"}},
	}
	for _, tt := range tests {
		t.Run(tt.template, func(t *testing.T) {
			f, err := issBuildTemplateForm(templateFromFile(t, tt.template))
			if err != nil {
				t.Fatal(err)
			}
			var paths, required []string
			kinds := map[string]string{}
			for _, cf := range f.Fields {
				paths = append(paths, cf.Path)
				kinds[cf.Path] = cf.Kind
				if cf.Required {
					required = append(required, cf.Path)
				}
			}
			if !slices.Equal(paths[:len(tt.fields)], tt.fields) {
				t.Errorf("fields start %v, want %v", paths[:len(tt.fields)], tt.fields)
			}
			for p, k := range tt.kinds {
				if kinds[p] != k {
					t.Errorf("%s is %q, want %q", p, kinds[p], k)
				}
			}
			if !slices.Equal(required, tt.required) {
				t.Errorf("required %v, want %v", required, tt.required)
			}
			for p, v := range tt.consts {
				if f.Consts[p] != v {
					t.Errorf("const %s = %v, want %v", p, f.Consts[p], v)
				}
			}
			if slices.Contains(paths, "id") || slices.Contains(paths, "degree.type") {
				t.Errorf("the holder id or a constant is asked: %v", paths)
			}
			head := strings.SplitN(f.exampleCSV(), "\n", 2)[0]
			if !strings.HasPrefix(head, "key,holder,") || !strings.Contains(head, tt.fields[2]) {
				t.Errorf("example CSV header %q", head)
			}
		})
	}
}

func TestTemplateFormSubject(t *testing.T) {
	f, err := issBuildTemplateForm(templateFromFile(t, "training-certificate"))
	if err != nil {
		t.Fatal(err)
	}
	form := map[string]string{
		"c.fullName.zh": " 李四 ", "c.course.courseCode": "BC-201", "c.course.title.zh": "智能合约安全",
		"c.course.hours": "48", "c.course.skills": "Solidity; security audit ;", "c.result": "pass", "c.score": "9x",
	}
	subj, errs := f.subject(i18n.EN, func(k string) string { return form[k] })
	if errs["c.score"] != i18n.EN.T("issuer.issue.wantInteger") || len(errs) != 1 {
		t.Fatalf("errors = %v", errs)
	}
	course := subj["course"].(map[string]any)
	if course["hours"] != int64(48) || course["type"] != "Course" || subj["fullName"].(map[string]any)["zh"] != "李四" {
		t.Fatalf("subject = %v", subj)
	}
	if skills := course["skills"].([]any); len(skills) != 2 || skills[1] != "security audit" {
		t.Fatalf("skills = %v", course["skills"])
	}
	if _, ok := subj["score"]; ok {
		t.Fatal("a bad number was kept")
	}

	// The issuer's pointers land on the fields.
	errs = map[string]string{}
	ve := &issuer.ValidationError{Fields: []issuer.FieldError{
		{Field: "/credentialSubject/course/title", Reason: "is required", ReasonZH: "必填"},
		{Field: "/credentialSubject/course/hours", Reason: "must be >= 1", ReasonZH: "不能小于 1"},
		{Field: "/holder", Reason: "not a did:key"},
		{Field: "/format", Reason: "unknown", ReasonZH: "未知"},
	}}
	rest := f.fieldErrors(ve, errs, i18n.EN)
	if errs["c.course.title.zh"] != "is required" || errs["c.course.hours"] != "must be >= 1" || errs["holder"] != "not a did:key" {
		t.Fatalf("placed = %v", errs)
	}
	if len(rest) != 1 || !strings.Contains(rest[0], "/format") {
		t.Fatalf("rest = %v", rest)
	}
	// In Chinese, with English where there is no Chinese text.
	errs = map[string]string{}
	rest = f.fieldErrors(ve, errs, i18n.ZH)
	if errs["c.course.title.zh"] != "必填" || errs["c.course.hours"] != "不能小于 1" || errs["holder"] != "not a did:key" ||
		len(rest) != 1 || rest[0] != "/format: 未知" {
		t.Fatalf("placed in Chinese = %v, rest %v", errs, rest)
	}
}

func FuzzTemplateFormSubject(f *testing.F) {
	tf, err := issBuildTemplateForm(templateFromFile(f, "master-degree"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add("张三", "2026-06-30", "0812")
	f.Add("", ";;;", "1e309")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		vals := []string{a, b, c}
		subj, errs := tf.subject(i18n.ZH, func(k string) string { return vals[len(k)%3] })
		for k := range errs {
			if !strings.HasPrefix(k, "c.") {
				t.Fatalf("error on %q", k)
			}
		}
		if d, ok := subj["degree"].(map[string]any); ok && (d["type"] != "Degree" || d["level"] != "master") {
			t.Fatalf("constants missing: %v", d)
		}
	})
}

func TestBarChart(t *testing.T) {
	c := pages.NewBarChart("t", []string{"1", "2", "3"}, []int{0, 5, 10})
	if len(c.Bars) != 3 || c.Max != 10 {
		t.Fatalf("chart = %+v", c)
	}
	if c.Bars[0].H != 0 || c.Bars[2].H <= c.Bars[1].H || c.Bars[2].Y+c.Bars[2].H != c.BaseY {
		t.Fatalf("bars = %+v", c.Bars)
	}
	if c.Bars[1].X <= c.Bars[0].X || c.Width < c.Bars[2].X+c.Bars[2].W {
		t.Fatalf("layout = %+v", c)
	}
	if tiny := pages.NewBarChart("t", []string{"a", "b"}, []int{1, 1000}); tiny.Bars[0].H < 2 {
		t.Fatal("a non-zero month is invisible")
	}
}

func TestProgressOf(t *testing.T) {
	tests := []struct {
		job      issuer.Job
		percent  int
		finished bool
	}{
		{issuer.Job{ID: "j", Status: issuer.JobReady, Total: 50}, 0, false},
		{issuer.Job{ID: "j", Status: issuer.JobRunning, Total: 50, Issued: 20, Failed: 5}, 50, false},
		{issuer.Job{ID: "j", Status: issuer.JobDone, Total: 50, Issued: 50}, 100, true},
		{issuer.Job{ID: "j", Status: issuer.JobDone}, 100, true},
		{issuer.Job{ID: "j", Status: issuer.JobCanceled, Total: 10, Issued: 3}, 30, true},
	}
	for _, tt := range tests {
		p := issProgressOf(&tt.job)
		if p.Percent != tt.percent || p.Finished != tt.finished || p.PollHref != "/org/batches/j/progress" {
			t.Errorf("%s: %+v", tt.job.Status, p)
		}
	}
}

func TestFlattenClaims(t *testing.T) {
	subj := map[string]any{
		"id":       "did:key:z6Mk",
		"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
		"degree":   map[string]any{"type": "Degree", "level": "master", "degreeName": map[string]any{"en": "MEng"}},
		"course":   map[string]any{"skills": []any{"Go", "Solidity"}},
	}
	got := issFlattenClaims(i18n.EN, "", subj)
	want := []pages.IssuerClaim{{Label: "Skills", Value: "Go；Solidity", Path: "course.skills"}, {Label: "Degree name", Value: "MEng", Path: "degree.degreeName"},
		{Label: "Level", Value: "Master", Path: "degree.level"}, {Label: "Full name", Value: "Zhang San", Path: "fullName"}}
	if !slices.Equal(got, want) {
		t.Fatalf("claims = %v\nwant %v", got, want)
	}
	if zh := issFlattenClaims(i18n.ZH, "", subj); zh[3].Value != "张三" {
		t.Fatalf("zh name = %v", zh[3])
	}
	f, err := issBuildTemplateForm(templateFromFile(t, "master-degree"))
	if err != nil {
		t.Fatal(err)
	}
	issOrderClaims(got, f)
	if got[0].Path != "fullName" || got[1].Path != "degree.degreeName" {
		t.Fatalf("ordered = %v", got)
	}
}

func TestWithQueryAndDates(t *testing.T) {
	if got := issWithQuery("/org/credentials?q=a&page=2", "done", "revoked"); got != "/org/credentials?done=revoked&page=2&q=a" {
		t.Fatalf("withQuery = %q", got)
	}
	if got := issMonthShort(i18n.ZH, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)); got != "3月" {
		t.Fatalf("month = %q", got)
	}
	if got := issWebStatus(issuer.StatusActive); got != "valid" {
		t.Fatalf("status = %q", got)
	}
}

// TestIssuerAPILanguage: the issuing API answers validation problems in
// English unless Accept-Language puts Chinese first; then the problem's
// reasons are the issuer's Chinese texts (English where there is none).
func TestIssuerAPILanguage(t *testing.T) {
	ve := fmt.Errorf("issue: %w", &issuer.ValidationError{Fields: []issuer.FieldError{
		{Field: "/credentialSubject/graduationDate", Reason: "is required", ReasonZH: "必填"},
		{Field: "/x", Reason: "passed through"},
	}})
	ce := &issuer.CSVError{BadRows: 1, Errors: []issuer.RowError{{Line: 3, Column: "course.hours", Reason: `"x" is not an integer`, ReasonZH: `"x" 不是整数`}}}
	tests := []struct {
		accept  string
		zh      bool
		reasons []string
		rows    []string
	}{
		{"", false, []string{"is required", "passed through"}, []string{`"x" is not an integer`}},
		{"en-GB,en;q=0.9,zh;q=0.5", false, []string{"is required", "passed through"}, []string{`"x" is not an integer`}},
		{"zh-CN,zh;q=0.9,en;q=0.8", true, []string{"必填", "passed through"}, []string{`"x" 不是整数`}},
		{"fr-FR, zh;q=0.8", true, []string{"必填", "passed through"}, []string{`"x" 不是整数`}},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/credentials/issue", nil)
			r.Header.Set("Accept-Language", tt.accept)
			if got := issWantsChinese(r); got != tt.zh {
				t.Fatalf("wants Chinese = %v", got)
			}
			pick := func(err error) error {
				if tt.zh {
					return issInChinese(err)
				}
				return err
			}
			p := problemFor(pick(ve))
			if p.Status != http.StatusUnprocessableEntity || len(p.Errors) != 2 {
				t.Fatalf("problem %+v", p)
			}
			for i, want := range tt.reasons {
				if p.Errors[i].Reason != want {
					t.Errorf("reason %d = %q, want %q", i, p.Errors[i].Reason, want)
				}
			}
			p = problemFor(pick(ce))
			if len(p.Errors) != 1 || p.Errors[0].Reason != tt.rows[0] || p.Errors[0].Field != "line 3, column course.hours" {
				t.Errorf("CSV problem %+v", p)
			}
		})
	}
	if err := issInChinese(errors.New("other")); err.Error() != "other" {
		t.Fatalf("other errors changed: %v", err)
	}
}

// issTemplatesFake is an Issuing that only lists templates (other methods
// panic: the embedded nil interface).
type issTemplatesFake struct {
	Issuing
	tms []issuer.Template
}

func (f *issTemplatesFake) Templates() []issuer.Template { return f.tms }

// The staff pages build a template's form once per version of its schema
// (the handler's templateForms), not on every page, and an unknown
// template is the service's not-found.
func TestIssuerTemplateFormOnce(t *testing.T) {
	fake := &issTemplatesFake{tms: []issuer.Template{templateFromFile(t, "master-degree"), templateFromFile(t, "training-certificate")}}
	iw := &issuerWeb{h: &handler{issuer: fake, web: &webState{}}}
	steps := []struct {
		id         string
		wantParses int64
		wantErr    error
	}{
		{"master-degree", 1, nil},
		{"master-degree", 1, nil},
		{"training-certificate", 2, nil},
		{"master-degree", 2, nil},
		{"no-such-template", 2, issuer.ErrNotFound},
	}
	var first *issTemplateForm
	for i, st := range steps {
		tm, f, err := iw.template(st.id)
		if !errors.Is(err, st.wantErr) {
			t.Fatalf("step %d (%s): error %v, want %v", i, st.id, err, st.wantErr)
		}
		if got := iw.h.web.forms.parses.Load(); got != st.wantParses {
			t.Errorf("step %d (%s): %d schemas parsed, want %d", i, st.id, got, st.wantParses)
		}
		if err != nil {
			continue
		}
		if tm.ID != st.id || f == nil || len(f.Fields) == 0 {
			t.Errorf("step %d: template %q with form %v", i, tm.ID, f)
		}
		if st.id == "master-degree" {
			if first == nil {
				first = f
			} else if f != first {
				t.Errorf("step %d: master-degree's form built again", i)
			}
		}
	}
}
