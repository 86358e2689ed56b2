package credential

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// The P-256 example of the did:jwk specification.
const specDIDJWK = "did:jwk:eyJjcnYiOiJQLTI1NiIsImt0eSI6IkVDIiwieCI6ImFjYklRaXVNczNpOF91c3pFakoydHBUdFJNNEVVM3l6OTFQSDZDZEgyVjAiLCJ5IjoiX0tjeUxqOXZXTXB0bm1LdG00NkdxRHo4d2Y3NEk1TEtncmwyR3pIM25TRSJ9"

func TestDIDJWKSpecExample(t *testing.T) {
	doc, err := DIDJWKResolver{}.Resolve(context.Background(), specDIDJWK)
	if err != nil {
		t.Fatal(err)
	}
	vm := specDIDJWK + "#0"
	m, ok := doc.Method(vm)
	if !ok || doc.ID != specDIDJWK || m.Controller != specDIDJWK || m.Type != VerificationMethodJWK {
		t.Fatalf("document: %+v", doc)
	}
	if !doc.Allows(RelAssertionMethod, vm) || !doc.Allows(RelAuthentication, vm) {
		t.Fatalf("relationships: %+v", doc)
	}
	if m.PublicKeyJwk["x"] != "acbIQiuMs3i8_uszEjJ2tpTtRM4EU3yz91PH6CdH2V0" || m.PublicKeyJwk["y"] != "_KcyLj9vWMptnmKtm46GqDz8wf74I5LKgrl2GzH3nSE" {
		t.Fatalf("jwk = %v", m.PublicKeyJwk)
	}
	key, err := m.Key()
	if err != nil {
		t.Fatal(err)
	}
	pub, ok := key.(*ecdsa.PublicKey)
	if !ok || pub.Curve != elliptic.P256() {
		t.Fatalf("key = %T", key)
	}
	// The spec's DID lists its members in lexicographic order, as DIDJWK does.
	did, gotVM, err := DIDJWK(pub)
	if err != nil || did != specDIDJWK || gotVM != vm {
		t.Fatalf("DIDJWK = %s %s %v", did, gotVM, err)
	}
}

func TestDIDJWKRoundTrip(t *testing.T) {
	p384 := testECKey(t, elliptic.P384(), "jwk")
	for _, pub := range []crypto.PublicKey{issuerKey.Public, testECKey(t, elliptic.P256(), "jwk").Public, p384.Public} {
		did, vm, err := DIDJWK(pub)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := DIDJWKResolver{}.Resolve(context.Background(), did)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := doc.Method(vm)
		if !ok {
			t.Fatalf("no method %s", vm)
		}
		got, err := m.Key()
		if err != nil || !pub.(interface{ Equal(crypto.PublicKey) bool }).Equal(got) {
			t.Fatalf("key = %v %v", got, err)
		}
	}
	if _, _, err := DIDJWK(ed25519.PublicKey{1, 2}); err == nil {
		t.Fatal("a short Ed25519 key")
	}
}

func didJWKOf(jwk any) string {
	b, _ := json.Marshal(jwk)
	return "did:jwk:" + base64.RawURLEncoding.EncodeToString(b)
}

func TestDIDJWKRefused(t *testing.T) {
	p256 := testECKey(t, elliptic.P256(), "jwk")
	good, _ := PublicJWK(p256.Public)
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for a, b := range good {
			m[a] = b
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	d, _ := p256.Private.Bytes()
	edJWK, _ := PublicJWK(issuerKey.Public)
	goodB, _ := json.Marshal(good)
	cases := []struct{ name, did, want string }{
		{"private key d", didJWKOf(with("d", base64.RawURLEncoding.EncodeToString(d))), "holds the private member \"d\""},
		{"Ed25519 private key d", didJWKOf(map[string]any{"kty": "OKP", "crv": "Ed25519", "x": edJWK["x"], "d": edJWK["x"]}), "holds the private member \"d\""},
		{"symmetric key k", didJWKOf(map[string]any{"kty": "oct", "k": "c2VjcmV0"}), "holds the private member \"k\""},
		{"RSA", didJWKOf(map[string]any{"kty": "RSA", "n": "sXch", "e": "AQAB"}), "kty \"RSA\" is not supported"},
		{"secp256k1", didJWKOf(with("crv", "secp256k1")), "crv \"secp256k1\" is not supported"},
		{"X25519 for encryption", "did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5yZngtRkctSUswOCJ9", "crv \"X25519\" is not supported"},
		{"no kty", didJWKOf(with("kty", nil)), "\"kty\" is missing"},
		{"no y", didJWKOf(with("y", nil)), "\"y\" is missing"},
		{"kty not a string", didJWKOf(with("kty", 1)), "\"kty\" must be a string"},
		{"short x", didJWKOf(with("x", "AAAA")), "\"x\" holds 3 bytes"},
		{"x padded", didJWKOf(with("x", good["x"].(string)+"=")), "\"x\" is not unpadded base64url"},
		{"point not on the curve", didJWKOf(with("y", good["x"])), "not on curve"},
		{"alg of another curve", didJWKOf(with("alg", "ES384")), "alg ES384 does not fit"},
		{"unknown use", didJWKOf(with("use", "wrap")), "neither sig nor enc"},
		{"padded base64url", "did:jwk:" + base64.URLEncoding.EncodeToString(append(goodB, ' ')), "not unpadded base64url"},
		{"standard base64", "did:jwk:" + strings.ReplaceAll(strings.ReplaceAll(strings.TrimPrefix(didJWKOf(good), "did:jwk:"), "-", "+"), "_", "/") + "+/", "not unpadded base64url"},
		{"not JSON", "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte("not json")), "invalid JSON"},
		{"a JSON array", "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte(`[1]`)), "must be a JSON object"},
		{"duplicate member", "did:jwk:" + base64.RawURLEncoding.EncodeToString([]byte(`{"kty":"EC","kty":"OKP","crv":"P-256","x":"`+good["x"].(string)+`","y":"`+good["y"].(string)+`"}`)), "duplicate member name"},
		{"empty", "did:jwk:", "unexpected end of JSON input"},
		{"too long", "did:jwk:" + strings.Repeat("A", maxDIDJWKLength), "longer than 2048"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DIDJWKResolver{}.Resolve(context.Background(), c.did)
			if !errors.Is(err, ErrNotFound) || !errors.Is(err, ErrInvalidDID) {
				t.Fatalf("err = %v, want ErrNotFound and ErrInvalidDID", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want it to say %q", err, c.want)
			}
		})
	}
	// Another method is simply not found.
	if _, err := (DIDJWKResolver{}).Resolve(context.Background(), "did:key:"+strings.TrimPrefix(p256.Controller, "did:key:")); !errors.Is(err, ErrNotFound) || errors.Is(err, ErrInvalidDID) {
		t.Fatalf("did:key: err = %v", err)
	}
	// A key for encryption is no assertion method: a credential it signs fails.
	enc := didJWKOf(with("use", "enc"))
	doc, err := DIDJWKResolver{}.Resolve(context.Background(), enc)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Allows(RelAssertionMethod, enc+"#0") || doc.Allows(RelAuthentication, enc+"#0") {
		t.Fatalf("an encryption key may sign: %+v", doc)
	}
	key := &ECKeyPair{ID: enc + "#0", Controller: enc, Public: p256.Public, Private: p256.Private}
	s, _ := NewECSigner(MustLoader(), key)
	vc, err := s.SignCredential(degreeCredential(enc), sampleCreated)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(vc)
	v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: DIDJWKResolver{}, Now: func() time.Time { return sampleNow }})
	res, _ := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
	if res.Verified || !res.Failed(CheckIssuerKey) {
		t.Fatalf("signed by an encryption key:\n%s", dump(res))
	}
}

// TestResolversStopAtInvalidDID: a malformed did:jwk is not looked up
// elsewhere, and its reason reaches the caller.
func TestResolversStopAtInvalidDID(t *testing.T) {
	leaky := didJWKOf(map[string]any{"kty": "OKP", "crv": "Ed25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "d": "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"})
	static := &StaticResolver{}
	static.Add(&ControllerDocument{ID: leaky})
	_, err := Resolvers{DIDJWKResolver{}, static}.Resolve(context.Background(), leaky)
	if !errors.Is(err, ErrInvalidDID) || !strings.Contains(err.Error(), `private member "d"`) {
		t.Fatalf("err = %v", err)
	}
}

// FuzzDIDJWK: resolving any string never panics; a document is only returned
// for a public Ed25519, P-256 or P-384 JWK, whose key round-trips.
func FuzzDIDJWK(f *testing.F) {
	f.Add(specDIDJWK)
	f.Add("did:jwk:eyJrdHkiOiJPS1AiLCJjcnYiOiJYMjU1MTkiLCJ1c2UiOiJlbmMiLCJ4IjoiM3A3YmZYdDl3YlRUVzJIQzdPUTFOei1EUThoYmVHZE5yZngtRkctSUswOCJ9")
	if did, _, err := DIDJWK(issuerKey.Public); err == nil {
		f.Add(did)
	}
	f.Add("did:jwk:e30")
	f.Fuzz(func(t *testing.T, id string) {
		doc, err := DIDJWKResolver{}.Resolve(context.Background(), id)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("err = %v does not wrap ErrNotFound", err)
			}
			return
		}
		if len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].ID != id+"#0" {
			t.Fatalf("document %+v", doc)
		}
		key, err := doc.VerificationMethod[0].Key()
		if err != nil {
			t.Fatalf("resolved a key that does not parse: %v", err)
		}
		for _, m := range jwkPrivateMembers {
			if _, ok := doc.VerificationMethod[0].PublicKeyJwk[m]; ok {
				t.Fatalf("accepted private member %s", m)
			}
		}
		if _, _, err := DIDJWK(key); err != nil {
			t.Fatalf("key does not re-encode: %v", err)
		}
	})
}
