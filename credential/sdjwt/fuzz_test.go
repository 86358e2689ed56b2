package sdjwt

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// FuzzParse feeds arbitrary strings to the compact SD-JWT parser and to the
// verifier: neither may panic, and errors are of the documented kinds.
func FuzzParse(f *testing.F) {
	v := loadRFC(f)
	for _, ex := range v.Examples {
		f.Add(ex.Compact)
	}
	f.Add("~")
	f.Add("a.b.c~~")
	f.Add("eyJhbGciOiJFZERTQSJ9.e30.AA~WyJhIiwiYiJd~")
	issuer, _ := jose.KeyFromJWK(v.IssuerKey)
	ver, err := NewVerifier(VerifierConfig{Types: []string{"example+sd-jwt", TypeVC}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, perr := Parse(s)
		if perr != nil && !errors.Is(perr, ErrMalformed) && !errors.Is(perr, jose.ErrMalformed) && !errors.Is(perr, jose.ErrAlgorithm) {
			t.Fatalf("unexpected parse error kind: %v", perr)
		}
		got, err := ver.Verify(context.Background(), s, VerifyOptions{IssuerKey: issuer, Nonce: "1234567890", Audience: "https://verifier.example.org", Now: time.Unix(1748537244, 0)})
		if (err == nil) != (perr == nil) && err != nil && !errors.Is(err, jose.ErrMalformed) {
			t.Fatalf("Verify error %v but Parse error %v", err, perr)
		}
		if err == nil && got.Result.Verified && got.Claims == nil {
			t.Fatal("verified without claims")
		}
	})
}

// FuzzParseDisclosure checks the disclosure decoder on arbitrary input.
func FuzzParseDisclosure(f *testing.F) {
	for _, d := range loadRFC(f).Disclosures {
		f.Add(d.Disclosure)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDisclosure(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if d.Name == "_sd" || d.Name == "..." || d.Element && d.Name != "" || d.Digest() != Digest(s) {
			t.Fatalf("accepted %+v", d)
		}
	})
}
