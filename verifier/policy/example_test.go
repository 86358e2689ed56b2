package policy_test

import (
	"context"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/verifier/policy"
)

// A policy office writes a rule, the engine compiles it when it is saved
// (refusing a malformed one with its position) and evaluates it over the
// credentials the verification pipeline accepted.
func Example() {
	engine, err := policy.NewEngine(policy.Config{})
	if err != nil {
		panic(err)
	}
	p := policy.Policy{
		ID: "phd-bonus", Version: 1,
		Name: policy.Text{Zh: "博士人才", En: "doctoral talent"},
		Rules: []policy.Rule{{
			ID:   "doctorate",
			Name: policy.Text{Zh: "经认证的博士学位", En: "accredited doctorate"},
			Expr: "credentials.exists(c,\n  c.type == 'DegreeCredential' && c.levle == 'doctor')",
		}},
	}
	if _, err := engine.Compile(&p); err != nil {
		fmt.Println(err)
	}

	p.Rules[0].Expr = "credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'doctor' && c.accredited)"
	compiled, err := engine.Compile(&p)
	if err != nil {
		panic(err)
	}
	const holder = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	doctorate := policy.Input{
		Verified: true, Accredited: true,
		Document: map[string]any{
			"id":   "urn:uuid:6a1f0e7c-2d1b-4c3e-9f00-1b2c3d4e5f60",
			"type": []any{"VerifiableCredential", "DegreeCredential"},
			"credentialSubject": map[string]any{
				"id": holder, "degree": map[string]any{"type": "Degree", "level": "doctor"},
			},
			"validFrom": "2025-07-01T00:00:00Z",
		},
	}
	d, err := compiled.Evaluate(context.Background(), holder, []policy.Input{doctorate}, time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		panic(err)
	}
	fmt.Println(d.Eligible, d.Rules[0].Reason.En)
	fmt.Println(d.Reason.Zh)
	// Output:
	// policy: rule "doctorate" does not compile; 2:36: undefined field 'levle'
	// true met: accredited doctorate
	// 符合「博士人才」条件；满足：经认证的博士学位
}
