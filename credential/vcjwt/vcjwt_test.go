package vcjwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

var t0 = time.Date(2026, 9, 1, 8, 0, 0, 0, time.UTC)

type party struct {
	did    string
	vm     string
	key    crypto.Signer
	signer *jose.Signer
}

func newParty(t testing.TB, p256 bool) *party {
	t.Helper()
	var key crypto.Signer
	if p256 {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	} else {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	did, vm, err := jose.DIDKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	return &party{did: did, vm: vm, key: key, signer: s}
}

func degree2(issuer, holder string) map[string]any {
	return map[string]any{
		"@context": []any{credential.ContextV2, "https://w3id.org/talentchain/credentials/v1"},
		"id":       "urn:uuid:9b1f3c2e-4d5a-4e6f-8a7b-1c2d3e4f5a6b",
		"type":     []any{"VerifiableCredential", "DegreeCredential"},
		"issuer":   map[string]any{"id": issuer, "name": "北京示范大学 Beijing Example University"},
		"credentialSubject": map[string]any{
			"id":             holder,
			"fullName":       map[string]any{"en": "Zhang San", "zh": "张三"},
			"graduationDate": "2026-06-30",
			"degree": map[string]any{
				"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"en": "Master of Engineering", "zh": "工学硕士"},
				"fieldOfStudy": map[string]any{"en": "Blockchain Engineering", "zh": "区块链工程"},
			},
		},
		"validFrom":  "2026-07-01T00:00:00Z",
		"validUntil": "2031-07-01T00:00:00Z",
	}
}

func degree11(issuer, holder string) map[string]any {
	return map[string]any{
		"@context":          []any{credential.ContextV1, "https://www.w3.org/2018/credentials/examples/v1"},
		"id":                "http://example.edu/credentials/3732",
		"type":              []any{"VerifiableCredential", "UniversityDegreeCredential"},
		"issuer":            issuer,
		"issuanceDate":      "2026-07-01T00:00:00Z",
		"expirationDate":    "2031-07-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": holder, "degree": map[string]any{"type": "BachelorDegree", "name": "Bachelor of Science and Arts"}},
	}
}

var loader = credential.MustLoader()

func newVerifier(t testing.TB, res credential.Resolver) *Verifier {
	t.Helper()
	sd, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: res, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Resolver: res, Loader: loader, SDJWT: sd, Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustVerified(t testing.TB, got *Verified, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if !got.Result.Verified {
		t.Fatalf("not verified: %v", got.Result.Errors)
	}
}

func TestCredentialRoundTrip(t *testing.T) {
	ctx := context.Background()
	for _, p256 := range []bool{false, true} {
		issuer, holder := newParty(t, p256), newParty(t, !p256)
		v := newVerifier(t, nil)

		tok, err := SignCredential(issuer.signer, degree2(issuer.did, holder.did))
		if err != nil {
			t.Fatal(err)
		}
		j, _ := jose.Parse(tok)
		if j.Typ() != TypeVC || j.Header["cty"] != "vc" || j.Kid() != issuer.vm {
			t.Fatalf("header %v", j.Header)
		}
		got, err := v.VerifyCredential(ctx, tok, credential.VerifyOptions{})
		mustVerified(t, got, err)
		if got.Format != FormatVCJWT || got.Document["id"] != "urn:uuid:9b1f3c2e-4d5a-4e6f-8a7b-1c2d3e4f5a6b" {
			t.Fatalf("format %s document %v", got.Format, got.Document)
		}
		for _, name := range []string{credential.CheckFormat, credential.CheckJSONLD, credential.CheckIssuerKey, credential.CheckProof, credential.CheckValidity} {
			if !hasPassed(got.Result, name) {
				t.Fatalf("%s not reported: %+v", name, got.Result.Checks)
			}
		}

		tok11, err := SignCredential11(issuer.signer, degree11(issuer.did, holder.did), t0)
		if err != nil {
			t.Fatal(err)
		}
		got, err = v.VerifyCredential(ctx, tok11, credential.VerifyOptions{})
		mustVerified(t, got, err)
		if got.Format != FormatVCJWT11 || got.Document["issuer"] != issuer.did {
			t.Fatalf("format %s document %v", got.Format, got.Document)
		}
		// VCDM 1.1 §6.3.1: the JWT claims were set from the credential.
		c, _ := mustParse(t, tok11).Claims()
		if c["iss"] != issuer.did || c["sub"] != holder.did || c["jti"] != "http://example.edu/credentials/3732" || c["nbf"] != float64(time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).Unix()) {
			t.Fatalf("1.1 claims %v", c)
		}
	}
}

func mustParse(t testing.TB, tok string) *jose.JWS {
	t.Helper()
	j, err := jose.Parse(tok)
	if err != nil {
		t.Fatal(err)
	}
	return j
}

func hasPassed(r *credential.Result, name string) bool {
	for _, c := range r.Checks {
		if c.Name == name && c.Passed {
			return true
		}
	}
	return false
}

// A credential issued by a DID resolved through the resolver passed in (as
// the chain's did:talent issuers are) verifies; one of another key does not.
func TestCredentialResolvedIssuer(t *testing.T) {
	ctx := context.Background()
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	var static credential.StaticResolver
	vm := static.AddKey("did:talent:RLmk4n3GArSXjAFNSfSsxY", priv.Public().(ed25519.PublicKey))
	s, _ := jose.NewSigner(priv, vm)
	tok, err := SignCredential(s, degree2("did:talent:RLmk4n3GArSXjAFNSfSsxY", "did:example:holder"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := newVerifier(t, &static).VerifyCredential(ctx, tok, credential.VerifyOptions{})
	mustVerified(t, got, err)
	got, err = newVerifier(t, nil).VerifyCredential(ctx, tok, credential.VerifyOptions{})
	if err != nil || got.Result.Verified || !got.Result.Failed(credential.CheckIssuerKey) {
		t.Fatalf("an unknown issuer verified: %v %+v", err, got.Result)
	}
}

// resign re-signs a compact JWS with new header and payload members.
func resign(t testing.TB, s *jose.Signer, tok string, header, payload map[string]any) string {
	t.Helper()
	j := mustParse(t, tok)
	h := maps.Clone(j.Header)
	delete(h, "alg")
	delete(h, "kid")
	c, _ := j.Claims()
	for k, v := range header {
		if v == nil {
			delete(h, k)
		} else {
			h[k] = v
		}
	}
	for k, v := range payload {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	out, err := s.SignJSON(h, c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCredentialForgeries(t *testing.T) {
	ctx := context.Background()
	issuer, holder, other := newParty(t, false), newParty(t, true), newParty(t, false)
	tok, err := SignCredential(issuer.signer, degree2(issuer.did, holder.did))
	if err != nil {
		t.Fatal(err)
	}
	tok11, err := SignCredential11(issuer.signer, degree11(issuer.did, holder.did), t0)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(tok, ".")
	swapped := degree2(other.did, holder.did)
	swappedPayload, _ := json.Marshal(swapped)
	issuerSwapped := parts[0] + "." + jose.Encode(swappedPayload) + "." + parts[2]
	otherKid, _ := jose.NewSigner(other.key, other.vm)
	otherKeyIssuerKid, _ := jose.NewSigner(other.key, issuer.vm)
	noKid, _ := jose.NewSigner(issuer.key, "")

	// An issuer whose key is listed for authentication only.
	var static credential.StaticResolver
	static.Add(&credential.ControllerDocument{
		ID:                 "did:example:auth-only",
		VerificationMethod: []credential.VerificationMethod{{ID: "did:example:auth-only#k", Controller: "did:example:auth-only", PublicKey: issuer.key.Public().(ed25519.PublicKey)}},
		Authentication:     []string{"did:example:auth-only#k"},
	})
	authOnly, _ := jose.NewSigner(issuer.key, "did:example:auth-only#k")
	authOnlyTok := resign(t, authOnly, tok, nil, map[string]any{"issuer": "did:example:auth-only"})

	vc11 := mustParse(t, tok11)
	c11, _ := vc11.Claims()
	vcClaim := c11["vc"].(map[string]any)

	tests := []struct {
		name   string
		token  string
		failed string // "" = error expected
	}{
		{"alg none", jose.Encode([]byte(`{"alg":"none","typ":"vc+jwt"}`)) + "." + parts[1] + ".", ""},
		{"claim altered", parts[0] + "." + jose.Encode([]byte(strings.Replace(string(must(jose.Decode(parts[1]))), "Zhang San", "Li Si", 1))) + "." + parts[2], credential.CheckProof},
		{"issuer swapped after signing", issuerSwapped, credential.CheckIssuerKey},
		{"signed by another DID", resign(t, otherKid, tok, nil, nil), credential.CheckIssuerKey},
		{"issuer's kid, another key", resign(t, otherKeyIssuerKid, tok, nil, nil), credential.CheckProof},
		{"no kid", resign(t, noKid, tok, nil, nil), credential.CheckIssuerKey},
		{"key for authentication only", authOnlyTok, credential.CheckIssuerKey},
		{"typ JWT without vc claim", resign(t, issuer.signer, tok, map[string]any{"typ": "JWT"}, nil), credential.CheckFormat},
		{"typ vp+jwt", resign(t, issuer.signer, tok, map[string]any{"typ": "vp+jwt"}, nil), credential.CheckFormat},
		{"cty of a presentation", resign(t, issuer.signer, tok, map[string]any{"cty": "vp"}, nil), credential.CheckFormat},
		{"embedded proof too", resign(t, issuer.signer, tok, nil, map[string]any{"proof": map[string]any{"type": "DataIntegrityProof"}}), credential.CheckFormat},
		{"VCDM 1.1 context in a vc+jwt", resign(t, issuer.signer, tok, nil, map[string]any{"@context": []any{credential.ContextV1}}), credential.CheckFormat},
		{"undefined term", resign(t, issuer.signer, tok, nil, map[string]any{"nickname": "x"}), credential.CheckJSONLD},
		{"iss contradicts issuer", resign(t, issuer.signer, tok, nil, map[string]any{"iss": other.did}), CheckClaims},
		{"sub contradicts subject", resign(t, issuer.signer, tok, nil, map[string]any{"sub": other.did}), CheckClaims},
		{"jti contradicts id", resign(t, issuer.signer, tok, nil, map[string]any{"jti": "urn:uuid:other"}), CheckClaims},
		{"exp contradicts validUntil", resign(t, issuer.signer, tok, nil, map[string]any{"exp": float64(t0.AddDate(10, 0, 0).Unix())}), CheckClaims},
		{"expired by exp", resign(t, issuer.signer, tok, nil, map[string]any{"validUntil": nil, "exp": float64(t0.Add(-time.Hour).Unix())}), credential.CheckValidity},
		{"expired by validUntil", resign(t, issuer.signer, tok, nil, map[string]any{"validUntil": "2026-08-01T00:00:00Z"}), credential.CheckValidity},
		{"not yet valid", resign(t, issuer.signer, tok, nil, map[string]any{"validFrom": "2027-01-01T00:00:00Z"}), credential.CheckValidity},
		{"nbf in the future", resign(t, issuer.signer, tok, nil, map[string]any{"validFrom": nil, "nbf": float64(t0.Add(time.Hour).Unix())}), credential.CheckValidity},
		{"iat in the future", resign(t, issuer.signer, tok, nil, map[string]any{"iat": float64(t0.Add(time.Hour).Unix())}), credential.CheckValidity},
		{"exp not a number", resign(t, issuer.signer, tok, nil, map[string]any{"validUntil": nil, "exp": "soon"}), credential.CheckValidity},
		{"1.1: iss contradicts vc.issuer", resign(t, issuer.signer, tok11, nil, map[string]any{"vc": merge(vcClaim, map[string]any{"issuer": other.did})}), CheckClaims},
		{"1.1: nbf contradicts issuanceDate", resign(t, issuer.signer, tok11, nil, map[string]any{"nbf": float64(t0.Unix())}), CheckClaims},
		{"1.1: expired", resign(t, issuer.signer, tok11, nil, map[string]any{"exp": float64(t0.Add(-time.Hour).Unix()), "vc": merge(vcClaim, map[string]any{"expirationDate": nil})}), credential.CheckValidity},
		{"1.1: signed by another DID", resign(t, otherKid, tok11, nil, nil), credential.CheckIssuerKey},
		{"1.1: VCDM 2.0 context", resign(t, issuer.signer, tok11, nil, map[string]any{"vc": merge(vcClaim, map[string]any{"@context": []any{credential.ContextV2}})}), credential.CheckFormat},
	}
	v := newVerifier(t, credential.Resolvers{&static})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.VerifyCredential(ctx, tt.token, credential.VerifyOptions{})
			if tt.failed == "" {
				if !errors.Is(err, credential.ErrMalformed) && !errors.Is(err, jose.ErrAlgorithm) {
					t.Fatalf("want an error, got %v %+v", err, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Result.Verified || !got.Result.Failed(tt.failed) {
				t.Fatalf("want %s to fail, got %+v", tt.failed, got.Result.Checks)
			}
		})
	}
}

func merge(m map[string]any, with map[string]any) map[string]any {
	out := maps.Clone(m)
	for k, v := range with {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
