package jose

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/credential"
)

func mustEd(t testing.TB) ed25519.PrivateKey {
	t.Helper()
	_, k, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustP256(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// RFC 8037 Appendix A.4: the Ed25519 JWS of "Example of Ed25519 signing".
func TestRFC8037Vector(t *testing.T) {
	const (
		x       = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
		d       = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"
		compact = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg"
	)
	pub, err := KeyFromJWK(map[string]any{"kty": "OKP", "crv": "Ed25519", "x": x})
	if err != nil {
		t.Fatal(err)
	}
	j, err := Parse(compact)
	if err != nil {
		t.Fatal(err)
	}
	if string(j.Payload) != "Example of Ed25519 signing" {
		t.Fatalf("payload %q", j.Payload)
	}
	if err := j.Verify(pub); err != nil {
		t.Fatalf("RFC 8037 vector does not verify: %v", err)
	}
	// Our signer reproduces the signature byte for byte (Ed25519 is deterministic).
	seed, _ := Decode(d)
	s, err := NewSigner(ed25519.NewKeyFromSeed(seed), "")
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Sign(nil, []byte("Example of Ed25519 signing"))
	if err != nil {
		t.Fatal(err)
	}
	if got != compact {
		t.Fatalf("signed\n%s\nwant\n%s", got, compact)
	}
}

func TestSignVerifyRoundTrip(t *testing.T) {
	for _, key := range []crypto.Signer{mustEd(t), mustP256(t)} {
		s, err := NewSigner(key, "did:example:1#k")
		if err != nil {
			t.Fatal(err)
		}
		tok, err := s.SignJSON(map[string]any{"typ": "vc+jwt"}, map[string]any{"a": 1})
		if err != nil {
			t.Fatal(err)
		}
		j, err := Parse(tok)
		if err != nil {
			t.Fatal(err)
		}
		if j.Alg() != s.Algorithm() || j.Kid() != "did:example:1#k" || j.Typ() != "vc+jwt" {
			t.Fatalf("header %v", j.Header)
		}
		if err := j.Verify(s.Public()); err != nil {
			t.Fatalf("%s: %v", s.Algorithm(), err)
		}
		// Another key of the same type does not verify it.
		other := map[string]crypto.PublicKey{AlgEdDSA: mustEd(t).Public(), AlgES256: mustP256(t).Public()}[s.Algorithm()]
		if err := j.Verify(other); !errors.Is(err, ErrSignature) {
			t.Fatalf("%s with another key: %v", s.Algorithm(), err)
		}
		// A key of the other type is refused before any arithmetic.
		wrongType := map[string]crypto.PublicKey{AlgEdDSA: mustP256(t).Public(), AlgES256: mustEd(t).Public()}[s.Algorithm()]
		if err := j.Verify(wrongType); !errors.Is(err, ErrAlgorithm) {
			t.Fatalf("%s with a key of another type: %v", s.Algorithm(), err)
		}
		// A changed payload does not verify.
		parts := strings.Split(tok, ".")
		parts[1] = Encode([]byte(`{"a":2}`))
		j2, err := Parse(strings.Join(parts, "."))
		if err != nil {
			t.Fatal(err)
		}
		if err := j2.Verify(s.Public()); !errors.Is(err, ErrSignature) {
			t.Fatalf("%s tampered: %v", s.Algorithm(), err)
		}
	}
}

func TestSignRefusesConflictingHeader(t *testing.T) {
	s, _ := NewSigner(mustEd(t), "did:example:1#k")
	if _, err := s.Sign(map[string]any{"alg": "ES256"}, nil); !errors.Is(err, ErrAlgorithm) {
		t.Fatalf("alg: %v", err)
	}
	if _, err := s.Sign(map[string]any{"kid": "did:example:2#k"}, nil); !errors.Is(err, ErrKey) {
		t.Fatalf("kid: %v", err)
	}
	if _, err := NewSigner(must(ecdsa.GenerateKey(elliptic.P384(), rand.Reader)), ""); !errors.Is(err, ErrKey) {
		t.Fatalf("P-384: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func hdr(s string) string { return Encode([]byte(s)) }

func TestParseRefuses(t *testing.T) {
	sig := Encode(make([]byte, 64))
	pl := Encode([]byte(`{}`))
	tests := []struct {
		name    string
		compact string
		want    error
	}{
		{"alg none", hdr(`{"alg":"none"}`) + "." + pl + ".", ErrMalformed},
		{"alg none with signature", hdr(`{"alg":"none"}`) + "." + pl + "." + sig, ErrAlgorithm},
		{"alg HS256", hdr(`{"alg":"HS256"}`) + "." + pl + "." + sig, ErrAlgorithm},
		{"alg RS256", hdr(`{"alg":"RS256"}`) + "." + pl + "." + sig, ErrAlgorithm},
		{"alg ES384", hdr(`{"alg":"ES384"}`) + "." + pl + "." + sig, ErrAlgorithm},
		{"alg lower case", hdr(`{"alg":"eddsa"}`) + "." + pl + "." + sig, ErrAlgorithm},
		{"no alg", hdr(`{"typ":"JWT"}`) + "." + pl + "." + sig, ErrMalformed},
		{"alg not a string", hdr(`{"alg":1}`) + "." + pl + "." + sig, ErrMalformed},
		{"crit", hdr(`{"alg":"EdDSA","crit":["exp"],"exp":1}`) + "." + pl + "." + sig, ErrMalformed},
		{"b64", hdr(`{"alg":"EdDSA","b64":false}`) + "." + pl + "." + sig, ErrMalformed},
		{"kid not a string", hdr(`{"alg":"EdDSA","kid":7}`) + "." + pl + "." + sig, ErrMalformed},
		{"duplicate alg", hdr(`{"alg":"none","alg":"EdDSA"}`) + "." + pl + "." + sig, ErrMalformed},
		{"header not an object", hdr(`["EdDSA"]`) + "." + pl + "." + sig, ErrMalformed},
		{"header trailing data", hdr(`{"alg":"EdDSA"}x`) + "." + pl + "." + sig, ErrMalformed},
		{"header invalid utf-8", hdr("{\"alg\":\"EdDSA\",\"x\":\"\xff\"}") + "." + pl + "." + sig, ErrMalformed},
		{"two parts", hdr(`{"alg":"EdDSA"}`) + "." + pl, ErrMalformed},
		{"four parts", hdr(`{"alg":"EdDSA"}`) + "." + pl + "." + sig + ".x", ErrMalformed},
		{"padding", hdr(`{"alg":"EdDSA"}`) + "=." + pl + "." + sig, ErrMalformed},
		{"standard alphabet", hdr(`{"alg":"EdDSA"}`) + "." + pl + "." + strings.ReplaceAll(strings.ReplaceAll(sig, "-", "+"), "A", "+"), ErrMalformed},
		{"empty signature", hdr(`{"alg":"EdDSA"}`) + "." + pl + ".", ErrMalformed},
		{"too large", hdr(`{"alg":"EdDSA"}`) + "." + strings.Repeat("A", MaxTokenSize) + "." + sig, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.compact)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if errors.Is(tt.want, ErrMalformed) && !errors.Is(err, credential.ErrMalformed) {
				t.Fatalf("%v does not wrap credential.ErrMalformed", err)
			}
		})
	}
}

func TestDecodeRefusesNonCanonicalBits(t *testing.T) {
	// "QQ" is the canonical encoding of "A"; "QR" decodes to the same byte
	// with non-zero trailing bits and must be refused.
	if b, err := Decode("QQ"); err != nil || string(b) != "A" {
		t.Fatalf("QQ: %q %v", b, err)
	}
	if _, err := Decode("QR"); !errors.Is(err, ErrMalformed) {
		t.Fatalf("QR: %v", err)
	}
}

func TestParseJSONStrict(t *testing.T) {
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"object", `{"a":[1,"x",{"b":null}]}`, true},
		{"array", `["s","n",1]`, true},
		{"duplicate nested", `{"a":{"b":1,"b":2}}`, false},
		{"trailing", `{} {}`, false},
		{"deep", strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), false},
		{"not json", `{a:1}`, false},
		{"truncated", `{"a":`, false},
		{"empty", ``, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseJSON([]byte(tt.in))
			if (err == nil) != tt.ok {
				t.Fatalf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrMalformed) {
				t.Fatalf("%v does not wrap ErrMalformed", err)
			}
		})
	}
}

// Known answers from the did:key test vectors for P-256.
func TestP256DIDKeyVectors(t *testing.T) {
	tests := []struct{ did, x, y string }{
		{"did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169", "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI", "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU"},
		{"did:key:zDnaerx9CtbPJ1q36T5Ln5wYt3MQYeGRG5ehnPAmxcf5mDZpv", "igrFmi0whuihKnj9R3Om1SoMph72wUGeFaBbzG2vzns", "efsX5b10x8yjyrj4ny3pGfLcY7Xby1KzgqOdqnsrJIM"},
	}
	for _, tt := range tests {
		doc, err := DIDResolver{}.Resolve(context.Background(), tt.did)
		if err != nil {
			t.Fatal(err)
		}
		pub, err := MethodKey(&doc.VerificationMethod[0])
		if err != nil {
			t.Fatal(err)
		}
		jwk, err := PublicJWK(pub)
		if err != nil {
			t.Fatal(err)
		}
		if jwk["x"] != tt.x || jwk["y"] != tt.y {
			t.Fatalf("%s: jwk %v", tt.did, jwk)
		}
		from, err := KeyFromJWK(jwk)
		if err != nil {
			t.Fatal(err)
		}
		did, vm, err := DIDKey(from)
		if err != nil || did != tt.did || vm != tt.did+"#"+strings.TrimPrefix(tt.did, "did:key:") {
			t.Fatalf("DIDKey = %s %s %v", did, vm, err)
		}
	}
}

func TestDIDResolver(t *testing.T) {
	ed := mustEd(t)
	edDID, _ := credential.DIDKey(ed.Public().(ed25519.PublicKey))
	ec := mustP256(t)
	jwkDID, jwkVM, err := DIDJWK(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		did string
		pub crypto.PublicKey
	}{{edDID, ed.Public()}, {jwkDID, &ec.PublicKey}} {
		doc, err := DIDResolver{}.Resolve(ctx, tt.did)
		if err != nil {
			t.Fatal(err)
		}
		got, err := KeyResolver{Resolver: DIDResolver{}}.Resolve(ctx, doc.AssertionMethod[0], tt.did, credential.RelAssertionMethod)
		if err != nil {
			t.Fatal(err)
		}
		if !got.(interface{ Equal(crypto.PublicKey) bool }).Equal(tt.pub) {
			t.Fatalf("%s resolved to another key", tt.did)
		}
	}
	if !strings.HasSuffix(jwkVM, "#0") {
		t.Fatalf("did:jwk vm %s", jwkVM)
	}
	refused := []string{
		"did:web:example.com",
		"did:key:zInvalid",
		"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2d", // too short for an Ed25519 key
		"did:jwk:" + Encode([]byte(`{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}`)),
		"did:jwk:" + Encode([]byte(`{"kty":"RSA","n":"AQAB","e":"AQAB"}`)),
		"did:jwk:" + Encode([]byte(`{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}`)),
		jwkDID + "#0",
	}
	for _, id := range refused {
		if _, err := (DIDResolver{}).Resolve(ctx, id); !errors.Is(err, credential.ErrNotFound) {
			t.Errorf("%s: %v", id, err)
		}
	}
}

func TestKeyResolverRules(t *testing.T) {
	ctx := context.Background()
	ed := mustEd(t)
	var static credential.StaticResolver
	vm := static.AddKey("did:example:issuer", ed.Public().(ed25519.PublicKey))
	static.Add(&credential.ControllerDocument{
		ID:                 "did:example:auth-only",
		VerificationMethod: []credential.VerificationMethod{{ID: "did:example:auth-only#k", Controller: "did:example:auth-only", PublicKey: ed.Public().(ed25519.PublicKey)}},
		Authentication:     []string{"did:example:auth-only#k"},
	})
	static.Add(&credential.ControllerDocument{
		ID:                 "did:example:lender",
		VerificationMethod: []credential.VerificationMethod{{ID: "did:example:lender#k", Controller: "did:example:other", PublicKey: ed.Public().(ed25519.PublicKey)}},
		AssertionMethod:    []string{"did:example:lender#k"},
	})
	kr := KeyResolver{Resolver: &static}
	tests := []struct {
		name, kid, controller, rel string
		want                       error
	}{
		{"ok", vm, "did:example:issuer", credential.RelAssertionMethod, nil},
		{"no kid", "", "did:example:issuer", credential.RelAssertionMethod, ErrKey},
		{"no fragment", "did:example:issuer", "did:example:issuer", credential.RelAssertionMethod, ErrKey},
		{"other controller", vm, "did:example:someone", credential.RelAssertionMethod, ErrKey},
		{"unknown method", "did:example:issuer#nope", "did:example:issuer", credential.RelAssertionMethod, ErrKey},
		{"not for assertions", "did:example:auth-only#k", "did:example:auth-only", credential.RelAssertionMethod, ErrKey},
		{"method controlled elsewhere", "did:example:lender#k", "did:example:lender", credential.RelAssertionMethod, ErrKey},
		{"unknown controller", "did:example:nobody#k", "", credential.RelAssertionMethod, credential.ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := kr.Resolve(ctx, tt.kid, tt.controller, tt.rel)
			if tt.want == nil && err != nil || tt.want != nil && !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
		})
	}
}

func TestKeyFromJWKRefuses(t *testing.T) {
	ec := mustP256(t)
	good, _ := PublicJWK(&ec.PublicKey)
	offCurve := map[string]any{}
	for k, v := range good {
		offCurve[k] = v
	}
	offCurve["y"] = Encode(make([]byte, 32))
	withD := map[string]any{"d": "x"}
	for k, v := range good {
		withD[k] = v
	}
	for name, jwk := range map[string]map[string]any{
		"off curve":   offCurve,
		"private key": withD,
		"P-384":       {"kty": "EC", "crv": "P-384", "x": good["x"], "y": good["y"]},
		"no x":        {"kty": "OKP", "crv": "Ed25519"},
		"x number":    {"kty": "OKP", "crv": "Ed25519", "x": 3},
		"short x":     {"kty": "OKP", "crv": "Ed25519", "x": "AAAA"},
		"okp with y":  {"kty": "OKP", "crv": "Ed25519", "x": Encode(make([]byte, 32)), "y": "AA"},
	} {
		if _, err := KeyFromJWK(jwk); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	b, _ := json.Marshal(good)
	m, _ := ParseObject(b)
	if k, err := KeyFromJWK(m); err != nil || !k.(*ecdsa.PublicKey).Equal(&ec.PublicKey) {
		t.Fatalf("round trip: %v", err)
	}
}
