package policy

import (
	"context"
	"errors"
	"testing"
)

// FuzzCompile feeds arbitrary rule and combination text to the compiler: it
// must never panic, must refuse with a positioned *CompileError or an
// *InputError, and a rule it accepts must evaluate without panicking.
func FuzzCompile(f *testing.F) {
	for _, r := range talentPermit().Rules {
		f.Add(r.Expr, "")
	}
	f.Add(`credentials.exists(c, c.level == 'doctor'`, "any")
	f.Add(`sumHours(credentials)`, "doctorate || x")
	f.Add(`credentials.all(a, credentials.all(b, a.hours <= b.hours))`, "!x")
	f.Add(`now - years(3) < addYears(now, -2)`, "x && doctorate")
	f.Add(`[talentchain.Credential{}].size() == 1`, "all")
	f.Add(`credentials.exists(c, c.subject.?degree.?level.orValue('') == 'x')`, "")
	f.Add("'\\u00e9' == \"é\"\n&& size(b'\\xff') == 1", "")
	e, err := NewEngine(Config{CostLimit: 20_000})
	if err != nil {
		f.Fatal(err)
	}
	fx := newFixture(f)
	creds := []Input{
		fx.make(f, fx.uni, "DegreeCredential", degree("master")),
		fx.make(f, fx.uni, "TrainingCertificateCredential", training(40, "ai")),
	}
	f.Fuzz(func(t *testing.T, expr, combine string) {
		p := Policy{ID: "fuzz", Version: 1, Name: Text{Zh: "模糊", En: "fuzz"}, Combine: combine, Rules: []Rule{
			{ID: "x", Name: Text{Zh: "x", En: "x"}, Expr: expr},
			{ID: "doctorate", Name: Text{Zh: "d", En: "d"}, Expr: "true"},
		}}
		c, err := e.Compile(&p)
		if err != nil {
			var ce *CompileError
			var ie *InputError
			switch {
			case errors.As(err, &ce):
				if len(ce.Issues) == 0 {
					t.Fatalf("compile error without issues: %v", err)
				}
				for _, is := range ce.Issues {
					if is.Line < 1 || is.Column < 1 || is.Message == "" {
						t.Fatalf("issue without a position: %+v", is)
					}
				}
			case errors.As(err, &ie):
			default:
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not match ErrInvalid: %v", err)
			}
			return
		}
		d, err := c.Evaluate(context.Background(), applicant, creds, now)
		if err != nil && !errors.Is(err, ErrCostLimit) {
			t.Fatalf("evaluate %q: %v", expr, err)
		}
		if err == nil && len(d.Rules) != 2 {
			t.Fatalf("decision %+v", d)
		}
	})
}
