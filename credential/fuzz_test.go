package credential

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
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

// FuzzKeyResolver resolves arbitrary did:key identifiers (what a holder or
// a JOSE issuer names itself): no panic; a resolved document is the DID's
// own, with one verification method whose key decodes again.
func FuzzKeyResolver(f *testing.F) {
	k, _ := GenerateKey()
	for _, s := range []string{k.Controller, "did:key:", "did:key:z6Mk", "did:key:zDn", "did:key:z" + strings.Repeat("1", 60),
		"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#x", "did:web:example.com"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		doc, err := KeyResolver{}.Resolve(context.Background(), id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("%v does not wrap ErrNotFound", err)
			}
			return
		}
		if doc.ID != id || len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].Controller != id {
			t.Fatalf("resolved %q to %+v", id, doc)
		}
		if _, err := DecodeMultikey(doc.VerificationMethod[0].PublicKeyMultibase); err != nil {
			t.Fatalf("resolved %q to an undecodable key: %v", id, err)
		}
	})
}

// FuzzDecodeKeys: the Multikey readers of Ed25519 and ECDSA keys (public,
// and secret from key files) never panic, and what they accept encodes
// back to the same key.
func FuzzDecodeKeys(f *testing.F) {
	k, _ := GenerateKey()
	pub := k.Private.Public().(ed25519.PublicKey)
	f.Add(EncodePublicKey(pub))
	f.Add(EncodeSecretKey(k.Private))
	if ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err == nil {
		if s, err := EncodeECPublicKey(&ec.PublicKey); err == nil {
			f.Add(s)
		}
		if s, err := EncodeECSecretKey(ec); err == nil {
			f.Add(s)
		}
	}
	f.Add("z")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if p, err := DecodePublicKey(s); err == nil && EncodePublicKey(p) != s {
			t.Fatalf("public key %q re-encodes as %q", s, EncodePublicKey(p))
		}
		if p, err := DecodeSecretKey(s); err == nil && EncodeSecretKey(p) != s {
			t.Fatalf("secret key re-encodes differently")
		}
		if p, err := DecodeECPublicKey(s); err == nil {
			enc, err := EncodeECPublicKey(p)
			if err != nil {
				t.Fatalf("decoded EC key does not encode: %v", err)
			}
			if q, err := DecodeECPublicKey(enc); err != nil || !q.Equal(p) {
				t.Fatalf("EC key %q does not round-trip: %v", s, err)
			}
		}
		if p, err := DecodeECSecretKey(s); err == nil {
			if _, err := EncodeECSecretKey(p); err != nil {
				t.Fatalf("decoded EC secret key does not encode: %v", err)
			}
		}
	})
}
