package policy

import (
	"errors"
	"strings"
	"testing"
)

// TestCompileRefusesMalformedRules: each malformed rule is refused with the
// rule's id, the line and column of the problem and CEL's message.
func TestCompileRefusesMalformedRules(t *testing.T) {
	e := newEngine(t, Config{})
	cases := []struct {
		name    string
		expr    string
		line    int
		column  int
		message string
	}{
		{"syntax error", `credentials.exists(c, c.level == 'doctor'`, 1, 42, "Syntax error: missing ')' at '<EOF>'"},
		{"syntax error on line 3", "credentials.exists(c,\n  c.level == 'doctor' &&\n  c.hours >> 3)", 3, 12, "Syntax error: extraneous input '>'"},
		{"unknown variable", `applicant.age > 30`, 1, 1, "undeclared reference to 'applicant'"},
		{"unknown variable inside a macro", "credentials.exists(c,\n    d.level == 'doctor')", 2, 5, "undeclared reference to 'd'"},
		{"misspelt field", "credentials.exists(c,\n  c.levle == 'doctor')", 2, 4, "undefined field 'levle'"},
		{"unknown function", `credentials.exists(c, isDoctor(c))`, 1, 31, "undeclared reference to 'isDoctor'"},
		{"wrong argument type", `sumHours(credentials) >= '120'`, 1, 23, "found no matching overload for '_>=_'"},
		{"int result", `sumHours(credentials)`, 1, 9, "yields int, but a rule must yield bool"},
		{"list result", `credentials.filter(c, c.accredited)`, 1, 19, "yields list(talentchain.Credential), but a rule must yield bool"},
		{"dyn result", `credentials[0].subject.eligible`, 1, 23, "yields dyn, but a rule must yield bool"},
		{"string result", "\n  'yes'", 2, 3, "yields string, but a rule must yield bool"},
		{"constructed credential", `[talentchain.Credential{level: 'doctor'}].exists(c, c.level == 'doctor')`, 1, 24, "cannot be constructed in a rule"},
		{"empty after trim", `   `, 1, 4, "mismatched input '<EOF>'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := talentPermit()
			p.Rules[1].Expr = tc.expr
			_, err := e.Compile(&p)
			var ce *CompileError
			if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidRule) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a *CompileError", err)
			}
			if ce.Rule != "master_training" || len(ce.Issues) == 0 {
				t.Fatalf("compile error %+v", ce)
			}
			is := ce.Issues[0]
			if is.Line != tc.line || is.Column != tc.column || !strings.Contains(is.Message, tc.message) {
				t.Errorf("issue %d:%d %q, want %d:%d %q", is.Line, is.Column, is.Message, tc.line, tc.column, tc.message)
			}
			if !strings.Contains(err.Error(), "master_training") {
				t.Errorf("error %q does not name the rule", err)
			}
		})
	}
}

func TestCompileRefusesMalformedCombination(t *testing.T) {
	e := newEngine(t, Config{})
	cases := []struct {
		combine, message string
		column           int
	}{
		{"doctorate || phd", "undeclared reference to 'phd'", 14},
		{"doctorate ||", "mismatched input '<EOF>'", 13},
		{"credentials.size() > 0", "undeclared reference to 'credentials'", 1},
		{"doctorate ? 1 : 0", "yields int", 11},
		{"[doctorate].exists(x, x)", "undeclared reference to 'exists'", 19}, // no macros
	}
	for _, tc := range cases {
		p := talentPermit()
		p.Combine = tc.combine
		_, err := e.Compile(&p)
		var ce *CompileError
		if !errors.As(err, &ce) || ce.Rule != "combine" {
			t.Fatalf("%q: err = %v, want a *CompileError of the combination", tc.combine, err)
		}
		if is := ce.Issues[0]; is.Line != 1 || is.Column != tc.column || !strings.Contains(is.Message, tc.message) {
			t.Errorf("%q: issue %+v, want 1:%d %q", tc.combine, is, tc.column, tc.message)
		}
	}
}

func TestCompileRefusesMalformedPolicies(t *testing.T) {
	e := newEngine(t, Config{})
	long := strings.Repeat("true && ", MaxExprLen/8) + "true"
	manyRules := func() []Rule {
		var rs []Rule
		for i := range MaxRules + 1 {
			rs = append(rs, Rule{ID: "r" + itoa(i), Name: Text{Zh: "规则", En: "rule"}, Expr: "true"})
		}
		return rs
	}()
	cases := []struct {
		name  string
		edit  func(p *Policy)
		field string
	}{
		{"no id", func(p *Policy) { p.ID = "" }, "ID"},
		{"id with a slash", func(p *Policy) { p.ID = "a/b" }, "ID"},
		{"upper-case id", func(p *Policy) { p.ID = "Permit" }, "ID"},
		{"no English name", func(p *Policy) { p.Name.En = "" }, "Name.En"},
		{"control character in a name", func(p *Policy) { p.Name.Zh = "人才\x00" }, "Name.Zh"},
		{"no rules", func(p *Policy) { p.Rules = nil }, "Rules"},
		{"too many rules", func(p *Policy) { p.Rules = manyRules }, "Rules"},
		{"rule without id", func(p *Policy) { p.Rules[0].ID = "" }, "Rules[0].ID"},
		{"rule id not an identifier", func(p *Policy) { p.Rules[0].ID = "phd-degree" }, "Rules[0].ID"},
		{"reserved rule id", func(p *Policy) { p.Rules[0].ID = "in" }, "Rules[0].ID"},
		{"rule id shadowing a variable", func(p *Policy) { p.Rules[0].ID = "credentials" }, "Rules[0].ID"},
		{"duplicate rule id", func(p *Policy) { p.Rules[1].ID = p.Rules[0].ID }, "Rules[1].ID"},
		{"rule without name", func(p *Policy) { p.Rules[1].Name.Zh = "" }, "Rules[1].Name.Zh"},
		{"empty expression", func(p *Policy) { p.Rules[0].Expr = "" }, "Rules[0].Expr"},
		{"expression too long", func(p *Policy) { p.Rules[0].Expr = long }, "Rules[0].Expr"},
		{"invalid UTF-8", func(p *Policy) { p.Rules[0].Expr = "'\xff' == ''" }, "Rules[0].Expr"},
		{"combination too long", func(p *Policy) { p.Combine = long }, "Combine"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := talentPermit()
			tc.edit(&p)
			_, err := e.Compile(&p)
			var ie *InputError
			if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) || ie.Field != tc.field {
				t.Fatalf("err = %v, want an *InputError for %s", err, tc.field)
			}
		})
	}
	if _, err := e.Compile(nil); !errors.Is(err, ErrInvalid) {
		t.Fatalf("nil policy: %v", err)
	}
}

// TestCompileLimits: deep nesting and huge macro expansions are refused
// when the rule is saved, not when it runs.
func TestCompileLimits(t *testing.T) {
	e := newEngine(t, Config{})
	deep := strings.Repeat("(", 60) + "true" + strings.Repeat(")", 60)
	wide := "credentials.size() > " + strings.Repeat("1+", 1900) + "1"
	for name, expr := range map[string]string{"deep": deep, "wide": wide} {
		p := talentPermit()
		p.Rules[0].Expr = expr
		if len(expr) > MaxExprLen {
			t.Fatalf("%s: test expression too long (%d)", name, len(expr))
		}
		_, err := e.Compile(&p)
		if !errors.Is(err, ErrInvalidRule) {
			t.Errorf("%s: err = %v, want ErrInvalidRule", name, err)
		}
	}
}
