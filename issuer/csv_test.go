package issuer

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// templatesOnly is a service that can parse and validate, without a chain
// or a store (ParseCSV and Validate need only the templates).
func templatesOnly(t testing.TB) *Service {
	t.Helper()
	tm, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return &Service{tmpl: tm}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseCSVGood(t *testing.T) {
	s := templatesOnly(t)
	b, err := s.ParseCSV(TemplateMaster, bytes.NewReader(readTestdata(t, "master-class.csv")))
	if err != nil {
		t.Fatalf("ParseCSV: %v", err)
	}
	if b.Total != 3 || len(b.Rows) != 3 || b.BadRows != 0 || len(b.Errors) != 0 {
		t.Fatalf("batch: total %d, rows %d, bad %d, errors %v", b.Total, len(b.Rows), b.BadRows, b.Errors)
	}
	if got := []int{b.Rows[0].Line, b.Rows[1].Line, b.Rows[2].Line}; !slices.Equal(got, []int{2, 3, 4}) {
		t.Errorf("lines %v", got)
	}
	r0 := b.Rows[0].Request
	if r0.Template != TemplateMaster || r0.Holder != holder || r0.IdempotencyKey != "csv:2026-M-001" || !r0.ValidUntil.IsZero() {
		t.Errorf("row 2 request %+v", r0)
	}
	deg := r0.Subject["degree"].(map[string]any)
	if deg["type"] != "Degree" || deg["level"] != "master" || deg["disciplineCode"] != "081200" {
		t.Errorf("degree: the template's fixed values are filled in and codes stay strings: %v", deg)
	}
	r1 := b.Rows[1].Request
	if want := time.Date(2036, 6, 30, 23, 59, 59, 0, time.UTC); !r1.ValidUntil.Equal(want) {
		t.Errorf("validUntil %v, want %v", r1.ValidUntil, want)
	}
	if f := r1.Subject["degree"].(map[string]any)["fieldOfStudy"].(map[string]any); f["en"] != "Computer Science, Software" {
		t.Errorf("quoted field with a comma: %v", f)
	}
	if fn := b.Rows[2].Request.Subject["fullName"].(map[string]any); len(fn) != 1 || fn["zh"] != "王五" {
		t.Errorf("an empty cell omits the claim: %v", fn)
	}
	for _, row := range b.Rows {
		if err := s.Validate(row.Request); err != nil {
			t.Errorf("row %d does not validate: %v", row.Line, err)
		}
	}
}

// The dry run reports every planted problem with its spreadsheet line
// (the header is line 1, a quoted line break does not start a new row, a
// blank row is skipped but keeps its number) and column.
func TestParseCSVBadRows(t *testing.T) {
	s := templatesOnly(t)
	b, err := s.ParseCSV(TemplateTraining, bytes.NewReader(readTestdata(t, "training-bad.csv")))
	var ce *CSVError
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
		t.Fatalf("ParseCSV: %v, want a *CSVError matching ErrInvalid", err)
	}
	if b == nil {
		t.Fatal("bad rows must come with the batch")
	}
	type at struct {
		line   int
		column string
	}
	want := []at{
		{3, "course.hours"},   // wrong type
		{4, "result"},         // missing required
		{5, "completionDate"}, // not a date (the schema's format)
		{5, "validUntil"},     // not a date (the CSV's own column)
		{6, "key"},            // duplicate key
		{7, "course.title.en"},
		{8, "score"}, // above the maximum
	}
	var got []at
	for _, e := range b.Errors {
		got = append(got, at{e.Line, e.Column})
		if e.Reason == "" {
			t.Errorf("no reason: %+v", e)
		}
	}
	slices.SortFunc(got, func(a, b at) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return strings.Compare(a.column, b.column)
	})
	if !slices.Equal(got, want) {
		t.Errorf("errors at\n%v\nwant\n%v\n(%v)", got, want, b.Errors)
	}
	if b.Total != 8 || b.BadRows != 6 || ce.BadRows != 6 {
		t.Errorf("total %d, bad rows %d / %d; want 8 and 6", b.Total, b.BadRows, ce.BadRows)
	}
	var keys []string
	var lines []int
	for _, r := range b.Rows {
		keys = append(keys, r.Key)
		lines = append(lines, r.Line)
	}
	if !slices.Equal(keys, []string{"T-001", "T-009"}) || !slices.Equal(lines, []int{2, 10}) {
		t.Errorf("good rows %v at %v", keys, lines)
	}
	for _, e := range b.Errors {
		if e.Line == 6 && !strings.Contains(e.Reason, "line 2") {
			t.Errorf("a duplicate names the first use: %q", e.Reason)
		}
		if e.Line == 3 && !strings.Contains(e.Reason, "forty") {
			t.Errorf("a wrong type quotes the value: %q", e.Reason)
		}
	}
	skills := b.Rows[0].Request.Subject["course"].(map[string]any)["skills"]
	if !slices.Equal(skills.([]any), []any{"Solidity", "security audit"}) {
		t.Errorf("skills %v", skills)
	}
	if h := b.Rows[0].Request.Subject["course"].(map[string]any)["hours"]; h != int64(48) {
		t.Errorf("hours %T %v", h, h)
	}
}

// Problems of the file as a whole refuse it: nil batch, a *CSVError.
func TestParseCSVRefusesFile(t *testing.T) {
	s := templatesOnly(t)
	const head = "key,fullName.zh,fullName.en,course.courseCode,course.title.en,course.hours,course.skills,result\n"
	const good = "k1,李四,Li Si,BC-201,Security,48,Solidity,pass\n"
	tests := []struct {
		name     string
		template string
		csv      string
		line     int
		column   string
		reason   string
	}{
		{"unknown template", "phd", head + good, 0, "template", "unknown template"},
		{"unknown column", TemplateTraining, strings.Replace(head, "result", "result,gpa", 1) + good, 1, "gpa", "unknown column"},
		{"unknown nested column", TemplateTraining, strings.Replace(head, "result", "result,course.teacher", 1) + good, 1, "course.teacher", "not a claim"},
		{"below a string", TemplateTraining, strings.Replace(head, "result", "result,course.courseCode.x", 1) + good, 1, "course.courseCode.x", "not an object"},
		{"language tag", TemplateTraining, strings.Replace(head, "result", "result,fullName.English", 1) + good, 1, "fullName.English", "not an allowed key"},
		{"object column", TemplateTraining, strings.Replace(head, "result", "result,fullName", 1) + good, 1, "fullName", "names an object"},
		{"id column", TemplateTraining, "id," + head + "x," + good, 1, "id", "holder"},
		{"repeated column", TemplateTraining, strings.Replace(head, "result", "result,result", 1) + good, 1, "result", "twice"},
		{"unnamed column", TemplateTraining, strings.Replace(head, "result", "result,", 1) + good, 1, "", "no name"},
		{"no key column", TemplateTraining, strings.TrimPrefix(head, "key,") + strings.TrimPrefix(good, "k1,"), 1, "key", "required"},
		{"empty file", TemplateTraining, "", 1, "", "empty"},
		{"header only", TemplateTraining, head, 2, "", "no data rows"},
		{"broken quoting", TemplateTraining, head + good + "k2,\"Li\" Si,x,BC-201,S,1,a,pass\n", 3, "", "broken CSV"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := s.ParseCSV(tc.template, strings.NewReader(tc.csv))
			var ce *CSVError
			if b != nil || !errors.As(err, &ce) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("ParseCSV = %v, %v; want nil and a *CSVError", b, err)
			}
			for _, e := range ce.Errors {
				if e.Line == tc.line && e.Column == tc.column && strings.Contains(e.Reason, tc.reason) {
					return
				}
			}
			t.Fatalf("errors %v; want line %d column %q reason ~%q", ce.Errors, tc.line, tc.column, tc.reason)
		})
	}
}

// Row problems the parser catches before the schema.
func TestParseCSVRowProblems(t *testing.T) {
	s := templatesOnly(t)
	const head = "key,holder,validFrom,validUntil,fullName.en,course.courseCode,course.title.en,course.hours,course.skills,result\n"
	row := func(key, hold, from, until, hours string) string {
		return strings.Join([]string{key, hold, from, until, "Li Si", "BC-201", "Security", hours, "Solidity", "pass"}, ",") + "\n"
	}
	tests := []struct {
		name, csv, column, reason string
	}{
		{"bad key", row("a b", "", "", "", "48"), "key", "1–128"},
		{"missing key", row("", "", "", "", "48"), "key", "required"},
		{"long key", row(strings.Repeat("k", 129), "", "", "", "48"), "key", "1–128"},
		{"holder not did:key", row("k", "did:web:example.com", "", "", "48"), "holder", "did:key"},
		{"holder bad did:key", row("k", "did:key:z6Mkxyz", "", "", "48"), "holder", "did:key"},
		{"bad validFrom", row("k", "", "30/06/2026", "", "48"), "validFrom", "not a date"},
		{"impossible date", row("k", "", "2026-02-30", "", "48"), "validFrom", "not a date"},
		{"until before from", row("k", "", "2026-07-01", "2026-06-30T00:00:00Z", "48"), "validUntil", "after validFrom"},
		{"decimal hours", row("k", "", "", "", "4.5"), "course.hours", "not an integer"},
		{"hours too large", row("k", "", "", "", "10001"), "course.hours", "maximum"},
		{"too few fields", "k,,,\n", "", "has 4 fields, the header has 10"},
		{"too long field", row("k", "", "", "", strings.Repeat("9", MaxCSVField+1)), "course.hours", "longer than"},
		{"not UTF-8", strings.Replace(row("k", "", "", "", "48"), "Li Si", "Li \xff Si", 1), "fullName.en", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := s.ParseCSV(TemplateTraining, strings.NewReader(head+tc.csv))
			if !errors.Is(err, ErrInvalid) || b == nil || b.BadRows != 1 || len(b.Rows) != 0 {
				t.Fatalf("ParseCSV = %+v, %v; want one bad row", b, err)
			}
			for _, e := range b.Errors {
				if e.Line == 2 && e.Column == tc.column && strings.Contains(e.Reason, tc.reason) {
					return
				}
			}
			t.Fatalf("errors %v; want line 2 column %q reason ~%q", b.Errors, tc.column, tc.reason)
		})
	}
}

func TestParseCSVLimits(t *testing.T) {
	s := templatesOnly(t)
	t.Run("rows", func(t *testing.T) {
		// Rows with the wrong number of fields are cheap to reject: the
		// limit is what refuses the file.
		var sb strings.Builder
		sb.WriteString("key,result\n")
		for i := range MaxCSVRows + 1 {
			fmt.Fprintf(&sb, "k%d\n", i)
		}
		_, err := s.ParseCSV(TemplateTraining, strings.NewReader(sb.String()))
		var ce *CSVError
		if !errors.As(err, &ce) || len(ce.Errors) != 1 || !strings.Contains(ce.Errors[0].Reason, "more than 100000 rows") || ce.Errors[0].Line != MaxCSVRows+2 {
			t.Fatalf("%v", err)
		}
	})
	t.Run("bytes", func(t *testing.T) {
		long := strings.Repeat("x", 8000) + "\n"
		r := io.MultiReader(strings.NewReader("key,result\n"), &repeatReader{s: long, n: MaxCSVBytes/len(long) + 2})
		_, err := s.ParseCSV(TemplateTraining, r)
		var ce *CSVError
		if !errors.As(err, &ce) || !strings.Contains(ce.Errors[0].Reason, "larger than 64 MiB") {
			t.Fatalf("%v", err)
		}
	})
	t.Run("errors listed", func(t *testing.T) {
		var sb strings.Builder
		sb.WriteString("key,result\n")
		for i := range MaxRowErrors + 10 {
			fmt.Fprintf(&sb, "k%d\n", i)
		}
		b, err := s.ParseCSV(TemplateTraining, strings.NewReader(sb.String()))
		if !errors.Is(err, ErrInvalid) || b.BadRows != MaxRowErrors+10 || len(b.Errors) != MaxRowErrors {
			t.Fatalf("bad rows %d, errors %d: %v", b.BadRows, len(b.Errors), err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		boom := errors.New("connection reset")
		_, err := s.ParseCSV(TemplateTraining, io.MultiReader(strings.NewReader("key,result\nk1,pass\n"), errReader{boom}))
		if !errors.Is(err, boom) || errors.Is(err, ErrInvalid) {
			t.Fatalf("%v", err)
		}
	})
}

type repeatReader struct {
	s   string
	n   int
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	k := copy(p, r.s[r.off:])
	r.off += k
	if r.off == len(r.s) {
		r.off = 0
		r.n--
	}
	return k, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestCoerce(t *testing.T) {
	tests := []struct {
		v, typ, item string
		want         any
		err          bool
	}{
		{"42", "integer", "", int64(42), false},
		{"-7", "integer", "", int64(-7), false},
		{"4.0", "integer", "", nil, true},
		{"1e3", "integer", "", nil, true},
		{"2.5", "number", "", 2.5, false},
		{"NaN", "number", "", nil, true},
		{"Inf", "number", "", nil, true},
		{"TRUE", "boolean", "", true, false},
		{"no", "boolean", "", false, false},
		{"maybe", "boolean", "", nil, true},
		{"a; b ;;c", "array", "string", []any{"a", "b", "c"}, false},
		{"1;2", "array", "integer", []any{int64(1), int64(2)}, false},
		{"1;x", "array", "integer", nil, true},
		{" ; ", "array", "string", nil, false},
		{"0812", "string", "", "0812", false},
	}
	for _, tc := range tests {
		t.Run(tc.typ+"/"+tc.v, func(t *testing.T) {
			got, err := coerce(tc.v, tc.typ, tc.item)
			if (err != nil) != tc.err {
				t.Fatalf("coerce(%q, %s) error %v", tc.v, tc.typ, err)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || fmt.Sprintf("%T", got) != fmt.Sprintf("%T", tc.want) {
				t.Fatalf("coerce(%q, %s) = %#v, want %#v", tc.v, tc.typ, got, tc.want)
			}
		})
	}
}

// FuzzParseCSV: the parser never panics; what it accepts is a valid batch
// (every request validates, keys unique and well-formed, lines rising);
// what it refuses is a *CSVError with reasons, or a batch whose errors
// account for its bad rows.
func FuzzParseCSV(f *testing.F) {
	f.Add(uint8(0), readTestdata(f, "master-class.csv"))
	f.Add(uint8(3), readTestdata(f, "training-bad.csv"))
	f.Add(uint8(3), []byte("key,course.skills,course.hours\nk,\"a;b\",3\r\nk,,\n"))
	f.Add(uint8(4), []byte("\xef\xbb\xbfkey,fullName.zh\n\"k\n1\",\"x\"\"y\"\n"))
	s := templatesOnly(f)
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		tm := s.tmpl.list[int(which)%len(s.tmpl.list)]
		b, err := s.ParseCSV(tm.ID, bytes.NewReader(data))
		if err != nil {
			var ce *CSVError
			if !errors.As(err, &ce) || len(ce.Errors) == 0 {
				t.Fatalf("error %v is not a *CSVError with errors", err)
			}
			for _, e := range ce.Errors {
				if e.Reason == "" || e.Line < 0 {
					t.Fatalf("row error %+v", e)
				}
			}
			if b != nil && (b.BadRows == 0 || len(b.Errors) == 0) {
				t.Fatalf("refused batch without bad rows: %+v", b)
			}
		}
		if b == nil {
			return
		}
		if len(b.Rows)+b.BadRows != b.Total {
			t.Fatalf("rows %d + bad %d != total %d", len(b.Rows), b.BadRows, b.Total)
		}
		keys := map[string]bool{}
		last := 1
		for _, r := range b.Rows {
			if r.Line <= last || keys[r.Key] || !rowKeyPattern.MatchString(r.Key) || r.Request.IdempotencyKey != "csv:"+r.Key {
				t.Fatalf("row %+v after line %d", r, last)
			}
			last, keys[r.Key] = r.Line, true
			if err := s.Validate(r.Request); err != nil {
				t.Fatalf("accepted row %d does not validate: %v", r.Line, err)
			}
		}
	})
}
