package sdjwt

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

var t0 = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)

// party is an issuer or holder: a key, its did:key and a signer.
type party struct {
	did    string
	vm     string
	pub    crypto.PublicKey
	signer *jose.Signer
	key    crypto.Signer
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
	return &party{did: did, vm: vm, pub: key.Public(), signer: s, key: key}
}

func degreeVC(issuer, holder *party) VC {
	return VC{
		Issuer:    issuer.did,
		Type:      "https://w3id.org/talentchain/vct/degree",
		Subject:   holder.did,
		IssuedAt:  t0,
		NotBefore: t0,
		Expires:   t0.AddDate(5, 0, 0),
		Claims: map[string]any{
			"given_name":  "三",
			"family_name": "张",
			"degree":      map[string]any{"type": "BachelorDegree", "name": "Computer Science", "university": "Peking University", "gpa": 3.7},
			"courses":     []any{"Algorithms", "Compilers", "Databases"},
			"honours":     []any{map[string]any{"name": "Dean's list", "year": 2025.0}},
		},
		Disclosable: []string{"/given_name", "/family_name", "/degree", "/degree/gpa", "/degree/name", "/courses/0", "/courses/2", "/honours/0", "/sub"},
		Holder:      holder.pub,
		Decoys:      2,
	}
}

func newVerifier(t testing.TB) *Verifier {
	t.Helper()
	v, err := NewVerifier(VerifierConfig{Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func kbFor(h *party) *KeyBinding {
	return &KeyBinding{Signer: h.signer, Audience: "https://hr.example.cn", Nonce: "n-8a1f", IssuedAt: t0.Add(time.Hour)}
}

var okOpts = VerifyOptions{RequireKeyBinding: true, Nonce: "n-8a1f", Audience: "https://hr.example.cn"}

func TestIssuePresentVerify(t *testing.T) {
	for _, tc := range []struct {
		name                   string
		issuerP256, holderP256 bool
	}{{"Ed25519 issuer, P-256 holder", false, true}, {"P-256 issuer, Ed25519 holder", true, false}} {
		t.Run(tc.name, func(t *testing.T) {
			issuer, holder := newParty(t, tc.issuerP256), newParty(t, tc.holderP256)
			issued, err := IssueVC(issuer.signer, degreeVC(issuer, holder))
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(issued)
			if err != nil {
				t.Fatal(err)
			}
			payload, _ := sd.JWT.Claims()
			if len(sd.Disclosures) != 9 {
				t.Fatalf("%d disclosures", len(sd.Disclosures))
			}
			// Nothing selectively disclosable is readable in the signed payload.
			raw := string(sd.JWT.Payload)
			for _, secret := range []string{"三", "张", "Computer Science", "Algorithms", "Databases", "Dean", "3.7", holder.did} {
				if strings.Contains(raw, secret) {
					t.Fatalf("the signed payload shows %q: %s", secret, raw)
				}
			}
			if sdl := payload["_sd"].([]any); len(sdl) != 4+2 || !slices.IsSorted(toStrings(sdl)) {
				t.Fatalf("top-level _sd %v (4 claims + 2 decoys, sorted)", sdl)
			}
			if payload["_sd_alg"] != HashSHA256 || sd.JWT.Typ() != TypeVC {
				t.Fatalf("_sd_alg %v typ %v", payload["_sd_alg"], sd.JWT.Typ())
			}

			// The holder discloses the GPA (so the degree object too), one course and the family name.
			pres, err := Present(issued, []string{"/degree/gpa", "/courses/2", "/family_name"}, kbFor(holder))
			if err != nil {
				t.Fatal(err)
			}
			got, err := newVerifier(t).Verify(context.Background(), pres, okOpts)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Result.Verified {
				t.Fatalf("not verified: %v", got.Result.Errors)
			}
			want := map[string]any{
				"iss": issuer.did, "vct": "https://w3id.org/talentchain/vct/degree",
				"iat": float64(t0.Unix()), "nbf": float64(t0.Unix()), "exp": float64(t0.AddDate(5, 0, 0).Unix()),
				"cnf":         payload["cnf"],
				"family_name": "张",
				"degree":      map[string]any{"type": "BachelorDegree", "university": "Peking University", "gpa": 3.7},
				"courses":     []any{"Compilers", "Databases"},
				"honours":     []any{},
			}
			if !reflect.DeepEqual(got.Claims, want) {
				t.Fatalf("claims\n%v\nwant\n%v", got.Claims, want)
			}
			if !reflect.DeepEqual(got.Disclosed, []string{"/courses/1", "/degree", "/degree/gpa", "/family_name"}) {
				t.Fatalf("disclosed %v", got.Disclosed)
			}
		})
	}
}

func toStrings(a []any) []string {
	out := make([]string, len(a))
	for i, v := range a {
		out[i], _ = v.(string)
	}
	return out
}

func TestPresentSelection(t *testing.T) {
	issuer, holder := newParty(t, false), newParty(t, true)
	issued, err := IssueVC(issuer.signer, degreeVC(issuer, holder))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		pointers []string
		want     int // disclosures presented
	}{
		{"nothing", nil, 0},
		{"an always visible claim", []string{"/iss"}, 0},
		{"a whole object with its hidden members", []string{"/degree"}, 3},
		{"a member inside a hidden object", []string{"/degree/name"}, 2},
		{"an array element", []string{"/courses/0"}, 1},
		{"an element of an always visible array", []string{"/courses/1"}, 0},
		{"a whole array", []string{"/courses"}, 2},
		{"everything", []string{""}, 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pres, err := Present(issued, tt.pointers, nil)
			if err != nil {
				t.Fatal(err)
			}
			sd, err := Parse(pres)
			if err != nil {
				t.Fatal(err)
			}
			if len(sd.Disclosures) != tt.want || sd.KeyBinding != nil {
				t.Fatalf("%d disclosures, want %d", len(sd.Disclosures), tt.want)
			}
			got, err := newVerifier(t).Verify(context.Background(), pres, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !got.Result.Verified || len(got.Result.Warnings) != 1 {
				t.Fatalf("verified %v, warnings %v (want the no-key-binding warning)", got.Result.Verified, got.Result.Warnings)
			}
		})
	}
	for _, bad := range []string{"/nope", "/degree/nope", "/courses/7", "/courses/01", "given_name"} {
		if _, err := Present(issued, []string{bad}, nil); !errors.Is(err, ErrDisclosure) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// forge signs an arbitrary payload as the issuer, with the given disclosures.
func forge(t testing.TB, issuer *party, header, payload map[string]any, ds ...string) string {
	t.Helper()
	if header == nil {
		header = map[string]any{"typ": TypeVC}
	}
	jwt, err := issuer.signer.SignJSON(header, payload)
	if err != nil {
		t.Fatal(err)
	}
	return jwt + "~" + strings.Join(append(ds, ""), "~")
}

func disclose(t testing.TB, name string, value any, element bool) *Disclosure {
	t.Helper()
	d, err := NewDisclosure(nil, name, value, element)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// raw builds a disclosure from any JSON array, bypassing NewDisclosure's checks.
func raw(a ...any) string {
	b, _ := json.Marshal(a)
	return jose.Encode(b)
}

func TestVerifyRefusesForgeries(t *testing.T) {
	issuer, holder, other := newParty(t, false), newParty(t, true), newParty(t, false)
	given := disclose(t, "given_name", "三", false)
	elem := disclose(t, "", "Compilers", true)
	base := func() map[string]any {
		return map[string]any{"iss": issuer.did, "vct": "urn:x", "iat": float64(t0.Unix()), "_sd_alg": HashSHA256, "_sd": []any{given.Digest()}}
	}
	with := func(k string, v any) map[string]any { m := base(); m[k] = v; return m }
	reservedName := raw("salt", "_sd", []any{})
	dotsName := raw("salt", "...", "x")
	digestTwice := with("_sd", []any{given.Digest(), given.Digest()})
	nestedTwice := with("address", map[string]any{"_sd": []any{given.Digest()}})
	overwrite := with("given_name", "Mallory")
	algInside := with("address", map[string]any{"_sd_alg": HashSHA256})
	sdNotArray := with("_sd", given.Digest())
	dotsWithOthers := with("courses", []any{map[string]any{"...": elem.Digest(), "x": 1}})
	elemInSD := with("_sd", []any{elem.Digest()})
	memberAsElem := with("courses", []any{map[string]any{"...": given.Digest()}})
	memberAsElem["_sd"] = []any{}

	tests := []struct {
		name    string
		compact string
		opts    VerifyOptions
		failed  string // check that must fail; "" = Verify must return an error
	}{
		{"valid", forge(t, issuer, nil, base(), given.Raw), VerifyOptions{}, ""},
		{"unreferenced disclosure", forge(t, issuer, nil, base(), given.Raw, disclose(t, "family_name", "张", false).Raw), VerifyOptions{}, CheckDisclosures},
		{"disclosure given twice", forge(t, issuer, nil, base(), given.Raw, given.Raw), VerifyOptions{}, CheckDisclosures},
		{"digest twice in _sd", forge(t, issuer, nil, digestTwice), VerifyOptions{}, CheckDisclosures},
		{"digest twice, nested", forge(t, issuer, nil, nestedTwice), VerifyOptions{}, CheckDisclosures},
		{"overwrites a claim", forge(t, issuer, nil, overwrite, given.Raw), VerifyOptions{}, CheckDisclosures},
		{"_sd_alg sha-512", forge(t, issuer, nil, with("_sd_alg", "sha-512"), given.Raw), VerifyOptions{}, CheckDisclosures},
		{"_sd_alg below the top", forge(t, issuer, nil, algInside, given.Raw), VerifyOptions{}, CheckDisclosures},
		{"_sd not an array", forge(t, issuer, nil, sdNotArray, given.Raw), VerifyOptions{}, CheckDisclosures},
		{"... beside other members", forge(t, issuer, nil, dotsWithOthers, given.Raw, elem.Raw), VerifyOptions{}, CheckDisclosures},
		{"element disclosure in _sd", forge(t, issuer, nil, elemInSD, elem.Raw), VerifyOptions{}, CheckDisclosures},
		{"member disclosure as an element", forge(t, issuer, nil, memberAsElem, given.Raw), VerifyOptions{}, CheckDisclosures},
		{"disclosure named _sd", forge(t, issuer, nil, base(), reservedName), VerifyOptions{}, "error"},
		{"disclosure named ...", forge(t, issuer, nil, base(), dotsName), VerifyOptions{}, "error"},
		{"disclosure of four elements", forge(t, issuer, nil, base(), raw("s", "a", "b", "c")), VerifyOptions{}, "error"},
		{"disclosure salt not a string", forge(t, issuer, nil, base(), raw(1, "a", "b")), VerifyOptions{}, "error"},
		{"typ JWT", forge(t, issuer, map[string]any{"typ": "JWT"}, base(), given.Raw), VerifyOptions{}, credential.CheckFormat},
		{"no typ", forge(t, issuer, map[string]any{}, base(), given.Raw), VerifyOptions{}, credential.CheckFormat},
		{"no vct", forge(t, issuer, nil, with("vct", nil), given.Raw), VerifyOptions{}, credential.CheckFormat},
		{"no iss", forge(t, issuer, nil, with("iss", ""), given.Raw), VerifyOptions{}, credential.CheckFormat},
		{"kid of another DID", forge(t, other, nil, base(), given.Raw), VerifyOptions{}, credential.CheckIssuerKey},
		{"signed by another key", forge(t, issuer, nil, base(), given.Raw), VerifyOptions{IssuerKey: other.pub}, credential.CheckProof},
		{"expired", forge(t, issuer, nil, with("exp", float64(t0.Unix())), given.Raw), VerifyOptions{}, credential.CheckValidity},
		{"not yet valid", forge(t, issuer, nil, with("nbf", float64(t0.Add(48*time.Hour).Unix())), given.Raw), VerifyOptions{}, credential.CheckValidity},
		{"issued in the future", forge(t, issuer, nil, with("iat", float64(t0.Add(48*time.Hour).Unix())), given.Raw), VerifyOptions{}, credential.CheckValidity},
		{"exp not a number", forge(t, issuer, nil, with("exp", "tomorrow"), given.Raw), VerifyOptions{}, credential.CheckValidity},
		{"key binding required, no cnf", forge(t, issuer, nil, base(), given.Raw), VerifyOptions{RequireKeyBinding: true, Nonce: "n", Audience: "a"}, CheckKeyBinding},
		{"key binding without cnf", forge(t, issuer, nil, base(), given.Raw) + mustKB(t, holder), VerifyOptions{Nonce: "n-8a1f", Audience: "https://hr.example.cn"}, CheckKeyBinding},
	}
	v := newVerifier(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.compact, tt.opts)
			if tt.failed == "error" {
				if !errors.Is(err, ErrMalformed) || !errors.Is(err, credential.ErrMalformed) {
					t.Fatalf("want ErrMalformed, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.failed == "" {
				if !got.Result.Verified {
					t.Fatalf("not verified: %v", got.Result.Errors)
				}
				return
			}
			if got.Result.Verified || !got.Result.Failed(tt.failed) {
				t.Fatalf("want %s to fail, got %+v", tt.failed, got.Result.Checks)
			}
			if tt.failed == CheckDisclosures && got.Claims != nil {
				t.Fatal("claims returned although the disclosures are refused")
			}
		})
	}
}

func mustKB(t testing.TB, h *party) string {
	t.Helper()
	jwt, err := h.signer.SignJSON(map[string]any{"typ": TypeKB}, map[string]any{"iat": t0.Add(time.Hour).Unix(), "aud": "https://hr.example.cn", "nonce": "n-8a1f", "sd_hash": "x"})
	if err != nil {
		t.Fatal(err)
	}
	return jwt
}

func TestKeyBindingRefused(t *testing.T) {
	issuer, holder, thief := newParty(t, false), newParty(t, true), newParty(t, true)
	issued, err := IssueVC(issuer.signer, degreeVC(issuer, holder))
	if err != nil {
		t.Fatal(err)
	}
	pres, err := Present(issued, []string{"/family_name"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	signKB := func(s *jose.Signer, header map[string]any, claims map[string]any) string {
		c := map[string]any{"iat": t0.Add(time.Hour).Unix(), "aud": "https://hr.example.cn", "nonce": "n-8a1f", "sd_hash": Digest(pres)}
		for k, v := range claims {
			c[k] = v
		}
		jwt, err := s.SignJSON(header, c)
		if err != nil {
			t.Fatal(err)
		}
		return pres + jwt
	}
	kbHeader := map[string]any{"typ": TypeKB}
	tests := []struct {
		name, compact, failed string
	}{
		{"valid", signKB(holder.signer, kbHeader, nil), ""},
		{"signed by another key", signKB(thief.signer, kbHeader, nil), CheckKeyBinding},
		{"typ JWT", signKB(holder.signer, map[string]any{"typ": "JWT"}, nil), CheckKeyBinding},
		{"sd_hash of another presentation", signKB(holder.signer, kbHeader, map[string]any{"sd_hash": Digest(issued)}), CheckKeyBinding},
		{"no iat", signKB(holder.signer, kbHeader, map[string]any{"iat": nil}), CheckKeyBinding},
		{"other nonce", signKB(holder.signer, kbHeader, map[string]any{"nonce": "replayed"}), credential.CheckChallenge},
		{"audience as array", signKB(holder.signer, kbHeader, map[string]any{"aud": []string{"https://hr.example.cn"}}), credential.CheckDomain},
		{"no key binding", pres, CheckKeyBinding},
	}
	v := newVerifier(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), tt.compact, okOpts)
			if err != nil {
				t.Fatal(err)
			}
			if tt.failed == "" {
				if !got.Result.Verified {
					t.Fatalf("not verified: %v", got.Result.Errors)
				}
				return
			}
			if got.Result.Verified || !got.Result.Failed(tt.failed) {
				t.Fatalf("want %s to fail, got %+v", tt.failed, got.Result.Checks)
			}
		})
	}
}

func TestIssuerKeyResolution(t *testing.T) {
	ctx := context.Background()
	issuer, holder := newParty(t, true), newParty(t, false)
	// An issuer known by a did:talent-like DID through the resolver passed in.
	ec := issuer.pub.(*ecdsa.PublicKey)
	mk, _ := jose.EncodeMultikey(ec)
	var static credential.StaticResolver
	static.Add(&credential.ControllerDocument{
		ID:                 "did:talent:pku",
		VerificationMethod: []credential.VerificationMethod{{ID: "did:talent:pku#key-1", Type: "Multikey", Controller: "did:talent:pku", PublicKeyMultibase: mk}},
		AssertionMethod:    []string{"did:talent:pku#key-1"},
	})
	s, _ := jose.NewSigner(issuer.key, "did:talent:pku#key-1")
	vc := degreeVC(issuer, holder)
	vc.Issuer = "did:talent:pku"
	issued, err := IssueVC(s, vc)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := NewVerifier(VerifierConfig{Resolver: &static, Now: func() time.Time { return t0 }})
	got, err := v.Verify(ctx, issued, VerifyOptions{})
	if err != nil || !got.Result.Verified {
		t.Fatalf("did:talent issuer: %v %+v", err, got.Result)
	}
	// Without the resolver the key cannot be found.
	got, _ = newVerifier(t).Verify(ctx, issued, VerifyOptions{})
	if !got.Result.Failed(credential.CheckIssuerKey) {
		t.Fatalf("unknown issuer accepted: %+v", got.Result)
	}
	// A did:jwk issuer without kid: the DID holds its one key.
	did, _, _ := jose.DIDJWK(issuer.pub)
	noKid, _ := jose.NewSigner(issuer.key, "")
	vc.Issuer = did
	issued, err = IssueVC(noKid, vc)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := newVerifier(t).Verify(ctx, issued, VerifyOptions{}); !got.Result.Verified {
		t.Fatalf("did:jwk issuer: %+v", got.Result)
	}
	// An https issuer without kid and without a given key cannot be checked.
	vc.Issuer = "https://issuer.example.cn"
	issued, _ = IssueVC(noKid, vc)
	if got, _ := newVerifier(t).Verify(ctx, issued, VerifyOptions{}); !got.Result.Failed(credential.CheckIssuerKey) {
		t.Fatalf("https issuer without key accepted: %+v", got.Result)
	}
	if got, _ := newVerifier(t).Verify(ctx, issued, VerifyOptions{IssuerKey: issuer.pub}); !got.Result.Verified {
		t.Fatalf("https issuer with the given key: %+v", got.Result)
	}
}

func TestIssueRefuses(t *testing.T) {
	issuer, holder := newParty(t, false), newParty(t, false)
	mod := func(f func(*VC)) VC { vc := degreeVC(issuer, holder); f(&vc); return vc }
	tests := map[string]VC{
		"no issuer":               mod(func(v *VC) { v.Issuer = "" }),
		"no vct":                  mod(func(v *VC) { v.Type = "" }),
		"no claims":               mod(func(v *VC) { v.Claims = nil }),
		"claims set iss":          mod(func(v *VC) { v.Claims["iss"] = "did:example:x" }),
		"claims set cnf":          mod(func(v *VC) { v.Claims["cnf"] = map[string]any{} }),
		"vct disclosable":         mod(func(v *VC) { v.Disclosable = append(v.Disclosable, "/vct") }),
		"exp disclosable":         mod(func(v *VC) { v.Disclosable = append(v.Disclosable, "/exp") }),
		"cnf disclosable":         mod(func(v *VC) { v.Disclosable = append(v.Disclosable, "/cnf/jwk") }),
		"pointer to nothing":      mod(func(v *VC) { v.Disclosable = []string{"/degree/nope"} }),
		"not a pointer":           mod(func(v *VC) { v.Disclosable = []string{"given_name"} }),
		"reserved member name":    mod(func(v *VC) { v.Claims["x"] = map[string]any{"_sd": 1} }),
		"too many decoys":         mod(func(v *VC) { v.Decoys = 100 }),
		"expires before issuance": mod(func(v *VC) { v.Expires = t0.Add(-time.Hour) }),
		"holder key of 3 bytes":   mod(func(v *VC) { v.Holder = ed25519.PublicKey{1, 2, 3} }),
	}
	for name, vc := range tests {
		if _, err := IssueVC(issuer.signer, vc); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	issuer := newParty(t, false)
	jwt, _ := issuer.signer.SignJSON(map[string]any{"typ": TypeVC}, map[string]any{"iss": issuer.did})
	d := disclose(t, "a", 1, false).Raw
	for name, s := range map[string]string{
		"plain JWT":           jwt,
		"empty disclosure":    jwt + "~~" + d + "~",
		"bad disclosure":      jwt + "~!!~",
		"bad key binding":     jwt + "~" + d + "~x.y.z",
		"alg none":            jose.Encode([]byte(`{"alg":"none"}`)) + "." + jose.Encode([]byte(`{}`)) + ".~",
		"disclosure not JSON": jwt + "~" + jose.Encode([]byte("salt,a,1")) + "~",
		"too many":            jwt + strings.Repeat("~"+d, MaxDisclosures+1) + "~",
	} {
		if _, err := Parse(s); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
