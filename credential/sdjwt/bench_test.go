package sdjwt

import (
	"context"
	"testing"
)

// BenchmarkPresentVerify measures what a wallet and a verifier spend per
// presentation of the test degree: Present (select two claims, sign the key
// binding with P-256) and Verify (issuer Ed25519 signature, disclosures, key
// binding). Issuance is outside the loop.
func BenchmarkPresentVerify(b *testing.B) {
	issuer, holder := newParty(b, false), newParty(b, true)
	issued, err := IssueVC(issuer.signer, degreeVC(issuer, holder))
	if err != nil {
		b.Fatal(err)
	}
	v := newVerifier(b)
	kb := kbFor(holder)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		pres, err := Present(issued, []string{"/degree/gpa", "/family_name"}, kb)
		if err != nil {
			b.Fatal(err)
		}
		got, err := v.Verify(ctx, pres, okOpts)
		if err != nil || !got.Result.Verified {
			b.Fatalf("%v %v", err, got.Result.Errors)
		}
	}
}

// BenchmarkVerify measures verification alone.
func BenchmarkVerify(b *testing.B) {
	issuer, holder := newParty(b, false), newParty(b, true)
	issued, err := IssueVC(issuer.signer, degreeVC(issuer, holder))
	if err != nil {
		b.Fatal(err)
	}
	pres, err := Present(issued, []string{"/degree/gpa", "/family_name"}, kbFor(holder))
	if err != nil {
		b.Fatal(err)
	}
	v := newVerifier(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if got, err := v.Verify(ctx, pres, okOpts); err != nil || !got.Result.Verified {
			b.Fatal(err)
		}
	}
}
