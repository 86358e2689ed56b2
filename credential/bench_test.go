package credential

import (
	"context"
	"encoding/json"
	"testing"
	"time"
)

// BenchmarkSignDegree signs a typical degree credential with eddsa-rdfc-2022.
func BenchmarkSignDegree(b *testing.B) {
	s, err := NewSigner(MustLoader(), issuerKey)
	if err != nil {
		b.Fatal(err)
	}
	doc := degreeCredential(issuerKey.Controller)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.SignCredential(doc, sampleCreated); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyDegree verifies a typical signed degree credential (parse,
// strict JSON-LD, key resolution, signature, validity).
func BenchmarkVerifyDegree(b *testing.B) {
	s, _ := NewSigner(MustLoader(), issuerKey)
	signed, err := s.SignCredential(degreeCredential(issuerKey.Controller), sampleCreated)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(signed)
	v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return sampleNow }})
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
		if err != nil || !res.Verified {
			b.Fatalf("%v %v", err, res)
		}
	}
}

// BenchmarkCanonicalize isolates RDFC-1.0 canonicalization of the degree
// credential, the dominant cost of both signing and verifying.
func BenchmarkCanonicalize(b *testing.B) {
	c := NewCanonicalizer(MustLoader())
	doc := degreeCredential(issuerKey.Controller)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Canonicalize(doc); err != nil {
			b.Fatal(err)
		}
	}
}
