package credential

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"
)

// TestEd25519_2018Context pins the embedded context: a byte-for-byte copy of
// contexts/ed25519-signature-2018-v1.jsonld from the npm package
// ed25519-signature-2018-context 1.1.0.
func TestEd25519_2018Context(t *testing.T) {
	b, ok := MustLoader().Bytes(ContextEd25519_2018)
	if !ok {
		t.Fatal("context not embedded")
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != "166c6abb9e08176cee5f6c87c9c1bbfefa5717da391bcac525e5437f93eab809" {
		t.Fatalf("sha256 = %s", got)
	}
}

func trainingV1For2018(issuer string) map[string]any {
	doc := degreeCredentialV1(issuer)
	// credentials/v1 defines Ed25519Signature2018 itself; the ed25519-2018
	// context conflicts with it (both protect the term), so it is not listed.
	doc["@context"] = []any{ContextV1, ContextTalentChainV1}
	return doc
}

func sign2018(t testing.TB, k *KeyPair, doc map[string]any, o ProofOptions) map[string]any {
	t.Helper()
	if o.VerificationMethod == "" {
		o.VerificationMethod = k.ID
	}
	if o.Created.IsZero() {
		o.Created = sampleCreated
	}
	doc, err := normalizeJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	out, err := SignEd25519Signature2018(MustLoader(), doc, k.Private, o)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEd25519Signature2018(t *testing.T) {
	vc := sign2018(t, issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{})
	p := vc["proof"].(map[string]any)
	jws, _ := p["jws"].(string)
	if p["type"] != ProofEd25519_2018 || !strings.HasPrefix(jws, jws2018Header+"..") {
		t.Fatalf("proof = %v", p)
	}
	if h, _ := base64.RawURLEncoding.DecodeString(jws2018Header); string(h) != `{"alg":"EdDSA","b64":false,"crit":["b64"]}` {
		t.Fatalf("header = %s", h)
	}
	again := sign2018(t, issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{})
	if again["proof"].(map[string]any)["jws"] != jws {
		t.Fatal("Ed25519 signatures are deterministic, but two differ")
	}

	// A URL issuer whose key is an Ed25519VerificationKey2018 with
	// publicKeyBase58, as older tools publish it.
	const urlIssuer2018 = "https://uni.example/issuers/2018"
	k2018 := testKey("issuer-2018")
	vm := urlIssuer2018 + "#key-1"
	r := &StaticResolver{}
	r.Add(&ControllerDocument{ID: urlIssuer2018, VerificationMethod: []VerificationMethod{{
		ID: vm, Type: "Ed25519VerificationKey2018", Controller: urlIssuer2018, PublicKeyBase58: base58Of(k2018.Public),
	}}, AssertionMethod: []string{vm}})
	byURL := sign2018(t, k2018, trainingV1For2018(urlIssuer2018), ProofOptions{VerificationMethod: vm})

	v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: Resolvers{KeyResolver{}, r}, Now: func() time.Time { return sampleNow }})
	verify := func(doc map[string]any) *Result {
		raw, _ := json.Marshal(doc)
		res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	for name, doc := range map[string]map[string]any{"did:key": vc, "URL issuer with publicKeyBase58": byURL} {
		if res := verify(doc); !res.Verified {
			t.Fatalf("%s: not verified:\n%s", name, dump(res))
		}
	}

	withJWS := func(jws string) map[string]any {
		d := deepCopy(vc)
		d["proof"].(map[string]any)["jws"] = jws
		return d
	}
	sig := strings.Split(jws, "..")[1]
	enc := func(h string) string { return base64.RawURLEncoding.EncodeToString([]byte(h)) }
	cases := []struct {
		name string
		doc  map[string]any
		want string // in the failing check's message
	}{
		{"attached payload", withJWS(jws2018Header + ".cGF5bG9hZA." + sig), "not a detached JWS"},
		{"four parts", withJWS(jws + ".x"), "not a detached JWS"},
		{"b64 true", withJWS(enc(`{"alg":"EdDSA","b64":true,"crit":["b64"]}`) + ".." + sig), "needs"},
		{"no crit", withJWS(enc(`{"alg":"EdDSA","b64":false}`) + ".." + sig), "needs"},
		{"alg ES256", withJWS(enc(`{"alg":"ES256","b64":false,"crit":["b64"]}`) + ".." + sig), "needs"},
		{"duplicate alg", withJWS(enc(`{"alg":"none","alg":"EdDSA","b64":false,"crit":["b64"]}`) + ".." + sig), "duplicate"},
		{"header with another member", withJWS(enc(`{"alg":"EdDSA","b64":false,"crit":["b64"],"kid":"x"}`) + ".." + sig), "does not match"},
		{"short signature", withJWS(jws2018Header + ".." + sig[:20]), "bytes, want 64"},
		{"signature not base64url", withJWS(jws2018Header + ".." + sig[:len(sig)-2] + "+/"), "jws signature"},
		{"no jws", func() map[string]any { d := deepCopy(vc); delete(d["proof"].(map[string]any), "jws"); return d }(), "no jws"},
		{"claim altered", func() map[string]any {
			d := deepCopy(vc)
			d["credentialSubject"].(map[string]any)["result"] = "distinction"
			return d
		}(), "does not match"},
		{"created altered", func() map[string]any {
			d := deepCopy(vc)
			d["proof"].(map[string]any)["created"] = "2026-07-02T08:00:00Z"
			return d
		}(), "does not match"},
		{"undefined proof member", func() map[string]any {
			d := deepCopy(vc)
			d["proof"].(map[string]any)["note"] = "x"
			return d
		}(), "proof options"},
		{"v2 document without the 2018 context", sign2018Unchecked(t, issuerKey, degreeCredential(issuerKey.Controller)), "proof options"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := verify(c.doc)
			if res.Verified || !res.Failed(CheckProof) {
				t.Fatalf("want proof to fail:\n%s", dump(res))
			}
			if !strings.Contains(strings.Join(res.Errors, "\n"), c.want) {
				t.Fatalf("errors do not say %q:\n%s", c.want, dump(res))
			}
		})
	}
}

// sign2018Unchecked builds an Ed25519Signature2018 proof even where its type
// is not defined (the signer refuses to), to test that the verifier refuses it.
func sign2018Unchecked(t testing.TB, k *KeyPair, doc map[string]any) map[string]any {
	t.Helper()
	signed := sign2018(t, k, trainingV1For2018(k.Controller), ProofOptions{})
	out, _ := normalizeJSON(doc)
	out = maps.Clone(out)
	out["proof"] = signed["proof"]
	return out
}

// FuzzDetachedJWS: the jws parser never panics and accepts only a detached
// EdDSA, b64=false header with a 64-byte signature.
func FuzzDetachedJWS(f *testing.F) {
	f.Add(jws2018Header + ".." + base64.RawURLEncoding.EncodeToString(make([]byte, 64)))
	f.Add("eyJhbGciOiJFZERTQSJ9..AA")
	f.Add("..")
	f.Fuzz(func(t *testing.T, jws string) {
		header, sig, err := parseDetachedJWS(jws)
		if err != nil {
			return
		}
		if len(sig) != 64 || !strings.HasPrefix(jws, header+"..") {
			t.Fatalf("accepted %q: header %q, %d-byte signature", jws, header, len(sig))
		}
	})
}
