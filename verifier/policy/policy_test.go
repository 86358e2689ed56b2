package policy

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestApplicants evaluates the talent-permit policy for a table of
// applicants whose credentials were signed and verified in the test.
func TestApplicants(t *testing.T) {
	f := newFixture(t)
	c := compile(t, newEngine(t, Config{}), talentPermit())
	ai, ic, retail := "artificial-intelligence", "integrated-circuits", "retail"
	threeYearsAgo := now.AddDate(-3, 0, 0)

	type want struct {
		eligible  bool
		passed    []string       // ids of the rules that pass; the others fail
		excluded  map[int]string // index of the credential → English reason
		reasonHas string
		ruleError string // id of a rule expected to fail with an error
	}
	cases := []struct {
		name  string
		creds func() []Input
		want  want
	}{
		{
			name:  "doctorate from an accredited university",
			creds: func() []Input { return []Input{f.make(t, f.uni, "DegreeCredential", degree("doctor"))} },
			want:  want{eligible: true, passed: []string{"doctorate"}, reasonHas: "eligible under Beijing talent work-residence permit; met: doctorate"},
		},
		{
			name: "master and 130 hours in key sectors within 3 years",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.uni, "TrainingCertificateCredential", training(80, ai), issuedAt(now.AddDate(-1, 0, 0))),
					f.make(t, f.uni, "TrainingCertificateCredential", training(50, ic), issuedAt(threeYearsAgo.Add(time.Hour))),
				}
			},
			want: want{eligible: true, passed: []string{"master_training"}},
		},
		{
			name: "master and only 100 hours",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.uni, "TrainingCertificateCredential", training(100, ai)),
				}
			},
			want: want{eligible: false, reasonHas: "no rule is met"},
		},
		{
			name: "master and 130 hours, but 4 years old",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.uni, "TrainingCertificateCredential", training(130, ai), issuedAt(now.AddDate(-4, 0, 0))),
				}
			},
			want: want{eligible: false},
		},
		{
			name: "master and 130 hours, half of them just over 3 years old",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.uni, "TrainingCertificateCredential", training(65, ai)),
					f.make(t, f.uni, "TrainingCertificateCredential", training(65, ai), issuedAt(threeYearsAgo.Add(-time.Hour))),
				}
			},
			want: want{eligible: false},
		},
		{
			name: "master and 130 hours outside the key sectors",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.uni, "TrainingCertificateCredential", training(130, retail)),
				}
			},
			want: want{eligible: false},
		},
		{
			name: "130 hours of training, but from an unaccredited provider",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.diploma, "TrainingCertificateCredential", training(130, ai)),
				}
			},
			want: want{eligible: false},
		},
		{
			name:  "doctorate from an unaccredited issuer",
			creds: func() []Input { return []Input{f.make(t, f.diploma, "DegreeCredential", degree("doctor"))} },
			want:  want{eligible: false, reasonHas: "no rule is met"},
		},
		{
			name: "revoked doctorate is not visible",
			creds: func() []Input {
				return []Input{f.make(t, f.uni, "DegreeCredential", degree("doctor"), status(StatusRevoked))}
			},
			want: want{eligible: false, excluded: map[int]string{0: "revoked"}},
		},
		{
			name: "suspended doctorate is not visible",
			creds: func() []Input {
				return []Input{f.make(t, f.uni, "DegreeCredential", degree("doctor"), status(StatusSuspended))}
			},
			want: want{eligible: false, excluded: map[int]string{0: "suspended"}},
		},
		{
			name: "a master's degree altered into a doctorate does not verify",
			creds: func() []Input {
				return []Input{f.tamper(f.make(t, f.uni, "DegreeCredential", degree("master")))}
			},
			want: want{eligible: false, excluded: map[int]string{0: "did not verify"}},
		},
		{
			name: "someone else's doctorate",
			creds: func() []Input {
				return []Input{f.make(t, f.uni, "DegreeCredential", degree("doctor"), subjectID("did:key:z6MkotherPersonXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"))}
			},
			want: want{eligible: false, excluded: map[int]string{0: "not issued to the applicant"}},
		},
		{
			name: "an expired doctorate",
			creds: func() []Input {
				// Verified at a time it was valid (a stale pipeline result),
				// expired at the time of the decision.
				in := f.make(t, f.uni, "DegreeCredential", degree("doctor"), validUntil(now.Add(-time.Hour)))
				in.Verified = true
				return []Input{in}
			},
			want: want{eligible: false, excluded: map[int]string{0: "expired at the time of the decision"}},
		},
		{
			name:  "no credentials at all",
			creds: func() []Input { return nil },
			want:  want{eligible: false},
		},
		{
			name: "both rules met, one revoked credential ignored",
			creds: func() []Input {
				return []Input{
					f.make(t, f.uni, "DegreeCredential", degree("doctor")),
					f.make(t, f.uni, "DegreeCredential", degree("master")),
					f.make(t, f.uni, "TrainingCertificateCredential", training(200, ic), status(StatusRevoked)),
					f.make(t, f.uni, "TrainingCertificateCredential", training(120, ic)),
				}
			},
			want: want{eligible: true, passed: []string{"doctorate", "master_training"}, excluded: map[int]string{2: "revoked"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			creds := tc.creds()
			d, err := c.Evaluate(context.Background(), applicant, creds, now)
			if err != nil {
				t.Fatal(err)
			}
			if d.Eligible != tc.want.eligible {
				t.Fatalf("eligible = %v, want %v; rules %+v; excluded %+v", d.Eligible, tc.want.eligible, d.Rules, d.Excluded)
			}
			if len(d.Rules) != 2 {
				t.Fatalf("%d rule outcomes, want 2", len(d.Rules))
			}
			for _, r := range d.Rules {
				want := contains(tc.want.passed, r.ID)
				if r.Passed != want {
					t.Errorf("rule %s passed = %v, want %v (%+v)", r.ID, r.Passed, want, r)
				}
				if r.Error != "" {
					t.Errorf("rule %s: unexpected error %s", r.ID, r.Error)
				}
				prefixEn, prefixZh := "not met: ", "不符合："
				if want {
					prefixEn, prefixZh = "met: ", "符合："
				}
				if r.Reason.En != prefixEn+r.Name.En || r.Reason.Zh != prefixZh+r.Name.Zh {
					t.Errorf("rule %s reason = %+v", r.ID, r.Reason)
				}
			}
			if !strings.Contains(d.Reason.En, tc.want.reasonHas) || d.Reason.Zh == "" {
				t.Errorf("reason = %+v, want it to contain %q", d.Reason, tc.want.reasonHas)
			}
			if len(d.Excluded) != len(tc.want.excluded) {
				t.Fatalf("excluded = %+v, want %d", d.Excluded, len(tc.want.excluded))
			}
			i := 0
			for idx, why := range tc.want.excluded {
				id, _ := creds[idx].Document["id"].(string)
				found := false
				for _, ex := range d.Excluded {
					if ex.ID == id {
						found = true
						if ex.Reason.En != why || ex.Reason.Zh == "" {
							t.Errorf("credential %d excluded for %+v, want %q", idx, ex.Reason, why)
						}
					}
				}
				if !found {
					t.Errorf("credential %d (%s) not excluded", idx, id)
				}
				i++
			}
			if len(d.Inputs)+len(d.Excluded) != len(creds) {
				t.Errorf("%d inputs + %d excluded, want %d credentials", len(d.Inputs), len(d.Excluded), len(creds))
			}
			for _, in := range d.Inputs {
				if !strings.HasPrefix(in.ID, "urn:uuid:") || !strings.HasPrefix(in.Digest, "sha256-") {
					t.Errorf("input ref %+v", in)
				}
			}
			if d.Policy.ID != "beijing-talent-permit" || d.Policy.Version != 1 || !strings.HasPrefix(d.Policy.Digest, "sha256-") {
				t.Errorf("policy ref %+v", d.Policy)
			}
			if !d.EvaluatedAt.Equal(now) || d.Applicant != applicant {
				t.Errorf("evaluatedAt %v applicant %s", d.EvaluatedAt, d.Applicant)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestCombine checks all, any and an explicit combination.
func TestCombine(t *testing.T) {
	f := newFixture(t)
	e := newEngine(t, Config{})
	p := Policy{ID: "combine", Name: Text{Zh: "组合", En: "combine"}, Rules: []Rule{
		{ID: "doctor", Name: Text{Zh: "博士", En: "doctor"}, Expr: `credentials.exists(c, c.level == 'doctor')`},
		{ID: "master", Name: Text{Zh: "硕士", En: "master"}, Expr: `credentials.exists(c, levelAtLeast(c.level, 'master'))`},
		{ID: "hours", Name: Text{Zh: "学时", En: "hours"}, Expr: `sumHours(credentials) >= 100`},
	}}
	master := []Input{f.make(t, f.uni, "DegreeCredential", degree("master"))}
	masterHours := append([]Input{f.make(t, f.uni, "TrainingCertificateCredential", training(100, "ai"))}, master...)
	doctor := []Input{f.make(t, f.uni, "DegreeCredential", degree("doctor"))}
	cases := []struct {
		combine string
		creds   []Input
		want    bool
	}{
		{"", masterHours, false},
		{CombineAll, masterHours, false},
		{CombineAll, append(masterHours, doctor...), true},
		{CombineAny, master, true},
		{CombineAny, nil, false},
		{"doctor || (master && hours)", masterHours, true},
		{"doctor || (master && hours)", master, false},
		{"doctor || (master && hours)", doctor, true},
		{"!doctor", doctor, false},
	}
	for _, tc := range cases {
		p.Combine = tc.combine
		c := compile(t, e, p)
		d, err := c.Evaluate(context.Background(), applicant, tc.creds, now)
		if err != nil {
			t.Fatal(err)
		}
		if d.Eligible != tc.want {
			t.Errorf("combine %q with %d credentials: eligible %v, want %v (%+v)", tc.combine, len(tc.creds), d.Eligible, tc.want, d.Rules)
		}
	}
}

// TestFields checks every field of the credential view a rule reads.
func TestFields(t *testing.T) {
	f := newFixture(t)
	e := newEngine(t, Config{})
	in := f.make(t, f.uni, "TrainingCertificateCredential", training(48, "biomedicine"), issuedAt(now.AddDate(0, -2, 0)), validUntil(now.AddDate(1, 0, 0)))
	id := in.Document["id"].(string)
	issuer := f.uni.Key().Controller
	exprs := []string{
		`credentials[0].id == '` + id + `'`,
		`credentials[0].type == 'TrainingCertificateCredential'`,
		`'VerifiableCredential' in credentials[0].types && size(credentials[0].types) == 2`,
		`credentials[0].issuer == '` + issuer + `'`,
		`credentials[0].issuerName.zh == '清华大学' && credentials[0].issuerName.en == 'Tsinghua University'`,
		`credentials[0].accredited`,
		`credentials[0].issued == timestamp('` + now.AddDate(0, -2, 0).Format(time.RFC3339) + `')`,
		`credentials[0].validFrom == credentials[0].issued`,
		`credentials[0].validUntil == addYears(now, 1)`,
		`credentials[0].status == 'active'`,
		`credentials[0].subject.course.hours == 48 && credentials[0].subject.course.hours > 47.5`,
		`credentials[0].subject.fullName.en == 'Zhang San'`,
		`credentials[0].subject.?degree.?level.orValue('none') == 'none'`,
		`!has(credentials[0].subject.degree) && has(credentials[0].subject.course)`,
		`credentials[0].hours == 48 && sumHours(credentials) == 48`,
		`credentials[0].sector == 'biomedicine'`,
		`credentials[0].level == ''`,
		`now - credentials[0].issued == days(62)`,
		`years(1) == days(365) && addYears(timestamp('2024-02-29T00:00:00Z'), 1) == timestamp('2025-03-01T00:00:00Z')`,
		`levelAtLeast('doctor', 'master') && !levelAtLeast('bachelor', 'master') && !levelAtLeast('', 'associate')`,
		`now == timestamp('2026-09-01T10:00:00Z')`,
	}
	for _, expr := range exprs {
		p := Policy{ID: "fields", Name: Text{Zh: "字段", En: "fields"}, Rules: []Rule{{ID: "r", Name: Text{Zh: "规则", En: "rule"}, Expr: expr}}}
		d, err := compile(t, e, p).Evaluate(context.Background(), applicant, []Input{in}, now)
		if err != nil {
			t.Fatal(err)
		}
		if !d.Eligible {
			t.Errorf("%s: false (%+v)", expr, d.Rules[0])
		}
	}
}

// TestRuleRuntimeError: a rule that reads a claim a credential lacks is not
// passed, with the error in its outcome, and the other rules still count.
func TestRuleRuntimeError(t *testing.T) {
	f := newFixture(t)
	e := newEngine(t, Config{})
	p := Policy{ID: "errors", Name: Text{Zh: "错误", En: "errors"}, Combine: CombineAny, Rules: []Rule{
		{ID: "careless", Name: Text{Zh: "粗心", En: "careless"}, Expr: `credentials.exists(c, c.subject.degree.level == 'doctor')`},
		{ID: "careful", Name: Text{Zh: "仔细", En: "careful"}, Expr: `credentials.exists(c, c.level == 'master')`},
		{ID: "bad_level", Name: Text{Zh: "未知", En: "unknown level"}, Expr: `credentials.exists(c, levelAtLeast(c.level, 'professor'))`},
		{ID: "big_years", Name: Text{Zh: "年数", En: "years"}, Expr: `now - years(1000) < now`},
	}}
	creds := []Input{
		f.make(t, f.uni, "TrainingCertificateCredential", training(10, "ai")),
		f.make(t, f.uni, "DegreeCredential", degree("master")),
	}
	d, err := compile(t, e, p).Evaluate(context.Background(), applicant, creds, now)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Eligible {
		t.Fatalf("not eligible: %+v", d.Rules)
	}
	for _, r := range d.Rules {
		wantErr := map[string]string{"careless": "no such key", "bad_level": "unknown level", "big_years": "out of range"}[r.ID]
		if wantErr == "" {
			if r.Error != "" || !r.Passed {
				t.Errorf("%s: %+v", r.ID, r)
			}
			continue
		}
		if r.Passed || !strings.Contains(r.Error, wantErr) || !strings.HasPrefix(r.Reason.En, "could not be decided") {
			t.Errorf("%s: %+v, want error %q", r.ID, r, wantErr)
		}
	}
}

// TestCostLimit: a rule that loops too much stops with ErrCostLimit and no
// decision.
func TestCostLimit(t *testing.T) {
	f := newFixture(t)
	var creds []Input
	one := f.make(t, f.uni, "TrainingCertificateCredential", training(1, "ai"))
	for range 60 {
		creds = append(creds, one)
	}
	p := Policy{ID: "costly", Name: Text{Zh: "昂贵", En: "costly"}, Rules: []Rule{{ID: "cubic", Name: Text{Zh: "三重", En: "cubic"},
		Expr: `credentials.all(a, credentials.all(b, credentials.all(c, a.hours + b.hours + c.hours >= 0)))`}}}
	c := compile(t, newEngine(t, Config{}), p)
	_, err := c.Evaluate(context.Background(), applicant, creds, now)
	if !errors.Is(err, ErrCostLimit) {
		t.Fatalf("err = %v, want ErrCostLimit", err)
	}
	// The same rule over few credentials stays under the limit.
	d, err := c.Evaluate(context.Background(), applicant, creds[:5], now)
	if err != nil || !d.Eligible {
		t.Fatalf("5 credentials: %v %+v", err, d)
	}
	// A tight limit stops even a simple rule.
	tight := compile(t, newEngine(t, Config{CostLimit: 10}), talentPermit())
	if _, err := tight.Evaluate(context.Background(), applicant, creds, now); !errors.Is(err, ErrCostLimit) {
		t.Fatalf("tight limit: err = %v", err)
	}
	// A cancelled context stops the evaluation too.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	big := compile(t, newEngine(t, Config{CostLimit: 1 << 40, InterruptEvery: 1}), p)
	if _, err := big.Evaluate(ctx, applicant, creds, now); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}

func TestEvaluateRefusesBadInput(t *testing.T) {
	c := compile(t, newEngine(t, Config{}), talentPermit())
	many := make([]Input, MaxCredentials+1)
	cases := []struct {
		name      string
		applicant string
		creds     []Input
		now       time.Time
		field     string
	}{
		{"no applicant", "", nil, now, "applicant"},
		{"not a DID", "alice", nil, now, "applicant"},
		{"too many credentials", applicant, many, now, "credentials"},
		{"no time", applicant, nil, time.Time{}, "now"},
	}
	for _, tc := range cases {
		_, err := c.Evaluate(context.Background(), tc.applicant, tc.creds, tc.now)
		var ie *InputError
		if !errors.Is(err, ErrInvalid) || !errors.As(err, &ie) || ie.Field != tc.field {
			t.Errorf("%s: err = %v, want field %s", tc.name, err, tc.field)
		}
	}
	// A nil document is excluded, not a crash.
	d, err := c.Evaluate(context.Background(), applicant, []Input{{Verified: true}}, now)
	if err != nil || len(d.Excluded) != 1 || d.Excluded[0].Reason.En != "not a readable credential" {
		t.Fatalf("nil document: %v %+v", err, d)
	}
}
