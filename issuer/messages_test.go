package issuer

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode"
)

// hasHan reports whether s holds Chinese characters.
func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// checkZH fails unless every field of err has a Chinese reason of its own
// (Han characters, no formatting slip, not the generic fallback) and an
// English one.
func checkZH(t *testing.T, err error, want ...string) {
	t.Helper()
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) == 0 {
		t.Fatalf("not a validation error: %v", err)
	}
	var zh []string
	for _, f := range ve.Fields {
		if f.Reason == "" || !hasHan(f.ReasonZH) || strings.Contains(f.ReasonZH, "%!") || f.ReasonZH == "不符合模板的要求" {
			t.Errorf("%s: reason %q / %q", f.Field, f.Reason, f.ReasonZH)
		}
		if f.In("zh") != f.ReasonZH || f.In("en") != f.Reason {
			t.Errorf("%s: In picks the wrong language", f.Field)
		}
		zh = append(zh, f.ReasonZH)
	}
	all := strings.Join(zh, " | ")
	for _, w := range want {
		if !strings.Contains(all, w) {
			t.Errorf("Chinese reasons %q lack %q", all, w)
		}
	}
}

func TestValidationMessagesZH(t *testing.T) {
	s := &Service{tmpl: mustTemplates(t)}
	set := func(r *Request, path string, v any) *Request {
		m := r.Subject
		parts := strings.Split(path, ".")
		for _, p := range parts[:len(parts)-1] {
			m = m[p].(map[string]any)
		}
		m[parts[len(parts)-1]] = v
		return r
	}
	tests := []struct {
		name string
		req  *Request
		want []string
	}{
		{"missing claim", func() *Request { r := masterDegree(""); delete(r.Subject, "graduationDate"); return r }(), []string{"必填"}},
		{"undeclared claim", set(masterDegree(""), "gpa", 3.9), []string{"不是该模板的字段"}},
		{"wrong type", set(training(), "course.hours", "forty"), []string{"类型不对", "整数"}},
		{"bad date", set(masterDegree(""), "graduationDate", "2026-13-45"), []string{"日期"}},
		{"bad pattern", set(masterDegree(""), "degree.disciplineCode", "08x"), []string{"格式不对"}},
		{"enum", set(training(), "result", "excellent"), []string{"取值必须是以下之一", "pass"}},
		{"too small", set(training(), "course.hours", -1), []string{"不能小于 1"}},
		{"language key", set(masterDegree(""), "fullName", map[string]any{"zh": "张三", "English": "x"}), []string{"English", "格式不对"}},
		{"empty name", set(masterDegree(""), "fullName", map[string]any{}), []string{"至少"}},
		{"repeated skill", set(training(), "course.skills", []any{"Go", "Go"}), []string{"重复"}},
		{"unknown template", &Request{Template: "phd", Subject: map[string]any{}}, []string{"没有名为"}},
		{"no template", &Request{Subject: map[string]any{}}, []string{"模板或凭证类型"}},
		{"bad level", &Request{Type: TypeDegree, Subject: map[string]any{"degree": map[string]any{"level": "x"}}}, []string{"学位层次"}},
		{"holder not a DID", func() *Request { r := training(); r.Holder = "alice"; return r }(), []string{"DID"}},
		{"period", func() *Request {
			r := training()
			r.ValidFrom, r.ValidUntil = mustTime(t, "2026-07-01T00:00:00Z"), mustTime(t, "2026-06-01T00:00:00Z")
			return r
		}(), []string{"晚于"}},
		{"format", func() *Request { r := training(); r.Format = "jwt"; return r }(), []string{"格式必须是"}},
		{"SD-JWT holder", func() *Request { r := training(); r.Format = FormatSDJWT; r.Holder = "did:web:example.com"; return r }(), []string{"did:key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkZH(t, s.Validate(tt.req), tt.want...)
		})
	}
	if got := reasonsZH(s.Validate(set(training(), "course.hours", "x"))); !strings.HasPrefix(got, "请求无效：/credentialSubject/course/hours：") {
		t.Errorf("reasonsZH = %q", got)
	}
}

// TestCSVMessagesZH: every problem of a bad upload, of its rows or of the
// file as a whole, has its Chinese text.
func TestCSVMessagesZH(t *testing.T) {
	s := &Service{tmpl: mustTemplates(t)}
	bad, err := os.ReadFile(filepath.Join("testdata", "training-bad.csv"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{
		"bad rows":       bad,
		"empty":          {},
		"header only":    []byte("key,fullName.zh\n"),
		"unknown column": []byte("key,gpa,fullName.English,course.courseCode.x,fullName,id,key\n1,2,3,4,5,6,7\n"),
		"no key":         []byte("fullName.zh\n张三\n"),
		"broken quote":   []byte("key,fullName.zh\n\"a,b\n"),
		"cells":          []byte("key,holder,validFrom,course.hours,course.title.zh\nk 1,did:key:abc,2026-02-30,4.5\n"),
	}
	for name, f := range files {
		t.Run(name, func(t *testing.T) {
			_, err := s.ParseCSV(TemplateTraining, bytes.NewReader(f))
			var ce *CSVError
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("not a CSV error: %v", err)
			}
			for _, e := range ce.Errors {
				if e.Reason == "" || !hasHan(e.ReasonZH) || strings.Contains(e.ReasonZH, "%!") || e.In("zh") != e.ReasonZH {
					t.Errorf("line %d column %q: %q / %q", e.Line, e.Column, e.Reason, e.ReasonZH)
				}
			}
		})
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
