package sdjwt

import (
	"context"
	"crypto"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// rfcVectors is testdata/rfc9901.json: the examples of RFC 9901 itself.
type rfcVectors struct {
	IssuerKey  map[string]any `json:"issuerKey"`
	HolderKey  map[string]any `json:"holderKey"`
	KeyBinding struct {
		Nonce string `json:"nonce"`
		Aud   string `json:"aud"`
		Iat   int64  `json:"iat"`
	} `json:"keyBinding"`
	Examples []struct {
		Name      string         `json:"name"`
		Compact   string         `json:"compact"`
		Typ       string         `json:"typ"`
		Processed map[string]any `json:"processed"`
		KeyBound  bool           `json:"keyBound"`
	} `json:"examples"`
	Disclosures []struct {
		Section    string `json:"section"`
		Salt       string `json:"salt"`
		Name       string `json:"name"`
		Element    bool   `json:"element"`
		Value      any    `json:"value"`
		Disclosure string `json:"disclosure"`
		Digest     string `json:"digest"`
	} `json:"disclosures"`
}

func loadRFC(t testing.TB) *rfcVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/rfc9901.json")
	if err != nil {
		t.Fatal(err)
	}
	var v rfcVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

// The disclosures printed in RFC 9901 §4.2 and §5 to §6: each decodes to the
// salt, name and value the RFC gives, and hashes to the digest it prints.
func TestRFC9901Disclosures(t *testing.T) {
	v := loadRFC(t)
	for _, tt := range v.Disclosures {
		t.Run(tt.Section+" "+tt.Name, func(t *testing.T) {
			d, err := ParseDisclosure(tt.Disclosure)
			if err != nil {
				t.Fatal(err)
			}
			if d.Salt != tt.Salt || d.Name != tt.Name || d.Element != tt.Element || !reflect.DeepEqual(d.Value, tt.Value) {
				t.Fatalf("decoded %+v", d)
			}
			if tt.Digest != "" && d.Digest() != tt.Digest {
				t.Fatalf("digest %s, want %s", d.Digest(), tt.Digest)
			}
			// Hashing the decoded JSON instead of the base64url text gives
			// another digest: the test would catch that mistake.
			b, _ := jose.Decode(tt.Disclosure)
			if tt.Digest != "" && Digest(string(b)) == tt.Digest {
				t.Fatal("the digest does not depend on the encoding")
			}
		})
	}
}

func rfcVerifier(t testing.TB, typ string) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{Types: []string{typ}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// canon returns v as plain JSON values, for comparisons.
func canon(t testing.TB, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// The RFC's issued SD-JWTs and presentations verify with the RFC's issuer key,
// and processing them yields exactly the payloads the RFC prints.
func TestRFC9901Examples(t *testing.T) {
	v := loadRFC(t)
	issuer, err := jose.KeyFromJWK(v.IssuerKey)
	if err != nil {
		t.Fatal(err)
	}
	kbTime := time.Unix(v.KeyBinding.Iat, 0).Add(time.Minute)
	for _, ex := range v.Examples {
		t.Run(ex.Name, func(t *testing.T) {
			opts := VerifyOptions{IssuerKey: issuer, Now: kbTime, RequireKeyBinding: ex.KeyBound}
			if ex.KeyBound {
				opts.Nonce, opts.Audience = v.KeyBinding.Nonce, v.KeyBinding.Aud
			}
			got, err := rfcVerifier(t, ex.Typ).Verify(context.Background(), ex.Compact, opts)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Result.Verified {
				t.Fatalf("not verified: %v", got.Result.Errors)
			}
			if !reflect.DeepEqual(canon(t, got.Claims), canon(t, ex.Processed)) {
				t.Fatalf("processed payload\n%v\nwant\n%v", canon(t, got.Claims), canon(t, ex.Processed))
			}
			if ex.KeyBound {
				want, _ := jose.KeyFromJWK(v.HolderKey)
				if !want.(interface{ Equal(crypto.PublicKey) bool }).Equal(got.HolderKey) {
					t.Fatal("holder key is not the RFC's")
				}
			}
		})
	}
}

// Each change to the RFC's §5.2 presentation is caught by the check meant for it.
func TestRFC9901PresentationTampered(t *testing.T) {
	v := loadRFC(t)
	issuer, _ := jose.KeyFromJWK(v.IssuerKey)
	var s52 string
	for _, ex := range v.Examples {
		if strings.HasPrefix(ex.Name, "section 5.2") {
			s52 = ex.Compact
		}
	}
	kbAt := time.Unix(v.KeyBinding.Iat, 0)
	parts := strings.Split(s52, "~")
	kb := parts[len(parts)-1]
	withoutFirst := strings.Join(append([]string{parts[0]}, parts[2:]...), "~")
	otherKey, err := jose.KeyFromJWK(v.HolderKey) // the holder's key is not the issuer's
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		compact string
		opts    VerifyOptions
		failed  string
	}{
		{"other nonce", s52, VerifyOptions{Nonce: "other", Audience: v.KeyBinding.Aud, Now: kbAt}, credential.CheckChallenge},
		{"other audience", s52, VerifyOptions{Nonce: v.KeyBinding.Nonce, Audience: "https://evil.example", Now: kbAt}, credential.CheckDomain},
		{"no nonce given", s52, VerifyOptions{Audience: v.KeyBinding.Aud, Now: kbAt}, credential.CheckChallenge},
		{"stale key binding", s52, VerifyOptions{Nonce: v.KeyBinding.Nonce, Audience: v.KeyBinding.Aud, Now: kbAt.Add(time.Hour)}, CheckKeyBinding},
		{"key binding from the future", s52, VerifyOptions{Nonce: v.KeyBinding.Nonce, Audience: v.KeyBinding.Aud, Now: kbAt.Add(-time.Hour)}, CheckKeyBinding},
		{"disclosure removed after binding", withoutFirst, VerifyOptions{Nonce: v.KeyBinding.Nonce, Audience: v.KeyBinding.Aud, Now: kbAt}, CheckKeyBinding},
		{"key binding removed, required", strings.TrimSuffix(s52, kb), VerifyOptions{RequireKeyBinding: true, Nonce: v.KeyBinding.Nonce, Audience: v.KeyBinding.Aud, Now: kbAt}, CheckKeyBinding},
		{"expired", s52, VerifyOptions{Nonce: v.KeyBinding.Nonce, Audience: v.KeyBinding.Aud, Now: time.Unix(1883000000, 0).Add(time.Hour)}, credential.CheckValidity},
		{"wrong issuer key", s52, VerifyOptions{IssuerKey: otherKey, Nonce: v.KeyBinding.Nonce, Audience: v.KeyBinding.Aud, Now: kbAt}, credential.CheckProof},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.IssuerKey == nil {
				tt.opts.IssuerKey = issuer
			}
			got, err := rfcVerifier(t, "example+sd-jwt").Verify(context.Background(), tt.compact, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result.Verified || !got.Result.Failed(tt.failed) {
				t.Fatalf("want %s to fail, got %+v", tt.failed, got.Result.Checks)
			}
		})
	}
}
