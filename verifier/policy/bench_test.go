package policy

import (
	"context"
	"testing"
)

// BenchmarkEvaluate measures one decision of the two-rule talent-permit
// policy over an applicant with a degree and five training certificates.
func BenchmarkEvaluate(b *testing.B) {
	f := newFixture(b)
	c := compile(b, newEngine(b, Config{}), talentPermit())
	creds := []Input{f.make(b, f.uni, "DegreeCredential", degree("master"))}
	for range 5 {
		creds = append(creds, f.make(b, f.uni, "TrainingCertificateCredential", training(25, "integrated-circuits")))
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		d, err := c.Evaluate(ctx, applicant, creds, now)
		if err != nil || !d.Eligible {
			b.Fatal(err, d)
		}
	}
}

// BenchmarkCompile measures saving-time compilation of the policy.
func BenchmarkCompile(b *testing.B) {
	e := newEngine(b, Config{})
	p := talentPermit()
	p.Version = 1
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Compile(&p); err != nil {
			b.Fatal(err)
		}
	}
}
