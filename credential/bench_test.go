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
// credential, the dominant cost of both signing and verifying: the fast path
// (expansion templates and processed contexts shared per loader), the
// context cache alone, and plain json-gold (the reference).
func BenchmarkCanonicalize(b *testing.B) {
	l := MustLoader()
	contexts, _ := l.caches()
	for _, c := range []struct {
		name  string
		canon *Canonicalizer
	}{
		{"fast", NewCanonicalizer(l)},
		{"context-cache", &Canonicalizer{loader: l, cache: contexts}},
		{"reference", newReferenceCanonicalizer(l)},
	} {
		b.Run(c.name, func(b *testing.B) {
			doc := degreeCredential(issuerKey.Controller)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.canon.Canonicalize(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignDegreeReference signs the degree credential with the plain
// json-gold path, for the side-by-side ratio with BenchmarkSignDegree.
func BenchmarkSignDegreeReference(b *testing.B) {
	s := NewEdDSA(newReferenceCanonicalizer(MustLoader()))
	doc := plainDoc(b, degreeCredential(issuerKey.Controller))
	opts := ProofOptions{VerificationMethod: issuerKey.ID, Created: sampleCreated}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(doc, issuerKey.Private, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignDegreeECDSA signs the same degree credential with
// ecdsa-rdfc-2019 and a P-256 key (RFC 6979 deterministic signatures).
func BenchmarkSignDegreeECDSA(b *testing.B) {
	for _, k := range []*ECKeyPair{ecIssuerKey, p384IssuerKey} {
		b.Run(curveName(k.Public.Curve), func(b *testing.B) {
			s, err := NewECSigner(MustLoader(), k)
			if err != nil {
				b.Fatal(err)
			}
			doc := degreeCredential(k.Controller)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SignCredential(doc, sampleCreated); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyDegreeECDSA verifies it (parse, strict JSON-LD, did:key
// resolution with point decompression, signature, validity).
func BenchmarkVerifyDegreeECDSA(b *testing.B) {
	for _, k := range []*ECKeyPair{ecIssuerKey, p384IssuerKey} {
		b.Run(curveName(k.Public.Curve), func(b *testing.B) {
			s, _ := NewECSigner(MustLoader(), k)
			signed, err := s.SignCredential(degreeCredential(k.Controller), sampleCreated)
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
		})
	}
}

// BenchmarkVerifyTrainingEd2018 verifies a VC Data Model 1.1 credential with an
// Ed25519Signature2018 proof.
func BenchmarkVerifyTrainingEd2018(b *testing.B) {
	signed := sign2018(b, issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{})
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
