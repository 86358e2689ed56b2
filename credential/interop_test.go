package credential

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

type interopManifest struct {
	ReferenceNow time.Time `json:"referenceNow"`
	VP1          struct{ Challenge, Domain string }
	VP2          struct{ Challenge, Domain string }
	Files        []struct {
		Name   string `json:"name"`
		Expect string `json:"expect"`
		Note   string `json:"note"`
	} `json:"files"`
}

// interopFailures names, for each sample that must be refused, the check that
// must fail.
var interopFailures = map[string]string{
	"vc2-eddsa-expired.json":                 CheckValidity,
	"vc2-eddsa-not-yet-valid.json":           CheckValidity,
	"vc1-ed25519-2020-expired.json":          CheckValidity,
	"vc2-eddsa-tampered.json":                CheckProof,
	"vc1-ed25519-2020-tampered.json":         CheckProof,
	"vc2-eddsa-wrong-issuer-key.json":        CheckIssuerKey,
	"vc1-ed25519-2020-wrong-issuer-key.json": CheckIssuerKey,
	"vc2-eddsa-proof-set-foreign-key.json":   CheckIssuerKey + "[1]",
	"vp2-eddsa-holder-mismatch.json":         CheckHolderKey,
	"vp2-eddsa-tampered-credential.json":     "credential[0]." + CheckProof,
}

// TestInterop verifies credentials and presentations made by Digital Bazaar's
// reference JavaScript implementation (see testdata/interop/README.md).
func TestInterop(t *testing.T) {
	var m interopManifest
	b, err := os.ReadFile("testdata/interop/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return m.ReferenceNow }})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) < 15 {
		t.Fatalf("manifest lists %d files", len(m.Files))
	}
	for _, f := range m.Files {
		t.Run(f.Name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata/interop", f.Name))
			if err != nil {
				t.Fatal(err)
			}
			var res *Result
			switch {
			case f.Name[:3] == "vp1":
				res, err = v.VerifyPresentation(context.Background(), raw, VerifyOptions{Challenge: m.VP1.Challenge, Domain: m.VP1.Domain})
			case f.Name[:3] == "vp2":
				res, err = v.VerifyPresentation(context.Background(), raw, VerifyOptions{Challenge: m.VP2.Challenge, Domain: m.VP2.Domain})
			default:
				res, err = v.VerifyCredential(context.Background(), raw, VerifyOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			want := f.Expect == "VERIFY"
			if res.Verified != want {
				t.Fatalf("verified = %v, want %v (%s)\n%s", res.Verified, want, f.Note, dump(res))
			}
			if !want {
				check := interopFailures[f.Name]
				if check == "" {
					t.Fatalf("no expected failing check recorded for %s", f.Name)
				}
				if !res.Failed(check) {
					t.Fatalf("check %q did not fail:\n%s", check, dump(res))
				}
			}
		})
	}
}

// TestInteropPresentationBinding replays the reference presentations against
// another challenge and another domain.
func TestInteropPresentationBinding(t *testing.T) {
	v, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	var m interopManifest
	b, _ := os.ReadFile("testdata/interop/manifest.json")
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, file string
		opts       VerifyOptions
		check      string
	}{
		{"vp2 other challenge", "vp2-eddsa.json", VerifyOptions{Challenge: "another", Domain: m.VP2.Domain}, CheckChallenge},
		{"vp2 no challenge", "vp2-eddsa.json", VerifyOptions{Domain: m.VP2.Domain}, CheckChallenge},
		{"vp2 other domain", "vp2-eddsa.json", VerifyOptions{Challenge: m.VP2.Challenge, Domain: "evil.example"}, CheckDomain},
		{"vp1 other challenge", "vp1-ed25519-2020.json", VerifyOptions{Challenge: "another"}, CheckChallenge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata/interop", c.file))
			if err != nil {
				t.Fatal(err)
			}
			res, err := v.VerifyPresentation(context.Background(), raw, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.Failed(c.check) {
				t.Fatalf("want check %q to fail:\n%s", c.check, dump(res))
			}
		})
	}
}

func dump(r *Result) string {
	b, _ := json.MarshalIndent(r, "", "  ")
	return string(b)
}
