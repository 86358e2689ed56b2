package credential

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestW3CVectorVerifies verifies the signed W3C vector with its issuer's key
// registered as a Multikey under assertionMethod, and refuses it once altered.
func TestW3CVectorVerifies(t *testing.T) {
	key := readKeyPair(t, "testdata/w3c/w3c-keyPair.json")
	r := &StaticResolver{}
	vm := r.AddKey("https://vc.example/issuers/5678", key.Public)
	if want := "https://vc.example/issuers/5678#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"; vm != want {
		t.Fatalf("vm = %s, want %s", vm, want)
	}
	v, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: r, Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/w3c/w3c-eddsa-rdfc-2022-signed.json")
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Verified {
		t.Fatalf("W3C vector did not verify:\n%s", dump(res))
	}
	altered := strings.Replace(string(raw), "The School of Examples", "The School of Forgeries", 1)
	res, err = v.VerifyCredential(context.Background(), []byte(altered), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Verified || !res.Failed(CheckProof) {
		t.Fatalf("altered vector verified:\n%s", dump(res))
	}
}

// TestW3CProofSetVectors checks the W3C proof-set vector: every proof is
// cryptographically valid, but its keys belong to other controllers than the
// issuer, which TalentChain's strict rules refuse.
func TestW3CProofSetVectors(t *testing.T) {
	var keys map[string]map[string]string
	b, err := os.ReadFile("testdata/interop/w3c-proof-set-chain-multiKeyPairs.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	byMultibase := map[string]*KeyPair{}
	for _, k := range keys {
		pub, err := DecodePublicKey(k["publicKeyMultibase"])
		if err != nil {
			t.Fatal(err)
		}
		byMultibase[k["publicKeyMultibase"]] = &KeyPair{Public: pub}
	}
	doc := readJSON(t, "testdata/interop/w3c-signedProofSet1.json")
	proofs, err := proofsOf(doc)
	if err != nil || len(proofs) == 0 {
		t.Fatalf("proofs: %v %v", proofs, err)
	}
	canon := NewCanonicalizer(MustLoader())
	canonDoc, err := canon.Canonicalize(withoutProof(doc))
	if err != nil {
		t.Fatal(err)
	}
	r := &StaticResolver{}
	for _, p := range proofs {
		vm := p["verificationMethod"].(string)
		k := byMultibase[vm[strings.IndexByte(vm, '#')+1:]]
		if k == nil {
			t.Fatalf("no key for %s", vm)
		}
		// The signature itself is valid...
		if err := NewEdDSA(canon).verifyProof(canonDoc, p, doc["@context"], k.Public); err != nil {
			t.Fatalf("proof by %s: %v", vm, err)
		}
		r.AddKey(controllerOf(vm), k.Public)
	}
	// ...but the keys belong to other controllers than the issuer.
	v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: r, Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
	res := v.VerifyCredentialDocument(context.Background(), doc, VerifyOptions{})
	if res.Verified || !res.Failed(CheckIssuerKey) {
		t.Fatalf("a proof by a key of another controller verified:\n%s", dump(res))
	}
}

func TestParseDocument(t *testing.T) {
	deep := strings.Repeat(`{"a":`, 70) + "1" + strings.Repeat("}", 70)
	cases := []struct {
		name, in, field string
	}{
		{"empty", ``, ""},
		{"not json", `hello`, ""},
		{"array", `[1,2]`, ""},
		{"string", `"vc"`, ""},
		{"trailing data", `{"a":1} {"b":2}`, ""},
		{"duplicate member", `{"issuer":"did:key:a","issuer":"did:key:b"}`, "issuer"},
		{"nested duplicate", `{"credentialSubject":{"id":"x","id":"y"}}`, "credentialSubject.id"},
		{"too deep", deep, ""},
		{"truncated", `{"a":[1,2`, ""},
		{"too large", `{"a":"` + strings.Repeat("x", MaxDocumentSize) + `"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseDocument([]byte(c.in))
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			var ie *InputError
			if c.field != "" && (!errors.As(err, &ie) || ie.Field != c.field) {
				t.Fatalf("err = %v, want field %q", err, c.field)
			}
		})
	}
	m, err := ParseDocument([]byte(`{"a":[1,{"b":null}],"c":"中文"}`))
	if err != nil || m["c"] != "中文" {
		t.Fatalf("valid document: %v %v", m, err)
	}
}

func TestLoader(t *testing.T) {
	l := MustLoader()
	for url, name := range embeddedFiles {
		b, ok := l.Bytes(url)
		if !ok {
			t.Fatalf("%s not loaded", url)
		}
		if name == "talentchain-v1.jsonld" {
			continue
		}
		// The standard contexts are byte-for-byte copies of shared/standards.
		want, err := os.ReadFile(filepath.Join("..", "..", "shared", "standards", "contexts", name))
		if err == nil && string(want) != string(b) {
			t.Errorf("%s differs from shared/standards/contexts/%s", url, name)
		}
	}
	if _, err := l.LoadDocument("https://evil.example/ctx"); !errors.Is(err, ErrUnknownContext) {
		t.Fatalf("unknown URL: err = %v, want ErrUnknownContext", err)
	}

	dir := t.TempDir()
	extra := `{"url":"https://uni.example/contexts/v1","document":{"@context":{"thesis":"https://uni.example/vocab#thesis"}}}`
	if err := os.WriteFile(filepath.Join(dir, "uni.jsonld"), []byte(extra), 0o644); err != nil {
		t.Fatal(err)
	}
	l2, err := NewLoader(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !l2.Has("https://uni.example/contexts/v1") {
		t.Fatal("operator context not loaded")
	}
	// An operator file may not replace an embedded context.
	dir2 := t.TempDir()
	os.WriteFile(filepath.Join(dir2, "v2.json"), []byte(`{"url":"`+ContextV2+`","document":{"@context":{}}}`), 0o644)
	if _, err := NewLoader(dir2); err == nil {
		t.Fatal("an operator file replaced the VC v2 context")
	}
}

func TestDIDKey(t *testing.T) {
	k := readKeyPair(t, "testdata/w3c/w3c-keyPair.json")
	did, vm := DIDKey(k.Public)
	if did != "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" || vm != did+"#z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2" {
		t.Fatalf("did:key = %s %s", did, vm)
	}
	doc, err := KeyResolver{}.Resolve(context.Background(), did)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := doc.Method(vm)
	if !ok || !m.PublicKey.Equal(k.Public) || m.Type != "Multikey" || !doc.Allows(RelAssertionMethod, vm) || !doc.Allows(RelAuthentication, vm) {
		t.Fatalf("resolved document: %+v", doc)
	}
	for _, bad := range []string{"did:key:", "did:key:zzzz", "did:web:example.com", "did:key:z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc"} {
		if _, err := (KeyResolver{}).Resolve(context.Background(), bad); !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", bad, err)
		}
	}
}

func TestKeyPairJSON(t *testing.T) {
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	var back KeyPair
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.ID != k.ID || back.Controller != k.Controller || !back.Private.Equal(k.Private) {
		t.Fatalf("round trip changed the key: %s", b)
	}
	// A secret key that does not match the public key is refused.
	other, _ := GenerateKey()
	mixed := strings.Replace(string(b), EncodeSecretKey(k.Private), EncodeSecretKey(other.Private), 1)
	if err := json.Unmarshal([]byte(mixed), &back); err == nil {
		t.Fatal("mismatched key pair accepted")
	}
}

func TestSignerRefusesForeignIssuer(t *testing.T) {
	s, err := NewSigner(MustLoader(), issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SignCredential(degreeCredential(attackerKey.Controller), time.Time{})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Field != "issuer" {
		t.Fatalf("err = %v, want an issuer InputError", err)
	}
	doc := degreeCredential("")
	delete(doc, "issuer")
	out, err := s.SignCredential(doc, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if out["issuer"] != issuerKey.Controller {
		t.Fatalf("issuer = %v, want the key's controller", out["issuer"])
	}
	if _, err := s.SignCredential(map[string]any{"@context": []any{ContextV2}, "type": "VerifiableCredential", "credentialSubject": map[string]any{"x": 1}}, time.Time{}); err == nil {
		t.Fatal("signed a credential with an undefined term")
	}
}

func TestVerifierConfig(t *testing.T) {
	if _, err := NewVerifier(VerifierConfig{Resolver: KeyResolver{}}); err == nil {
		t.Error("no loader accepted")
	}
	if _, err := NewVerifier(VerifierConfig{Loader: MustLoader()}); err == nil {
		t.Error("no resolver accepted")
	}
	if _, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, ClockSkew: -time.Second}); err == nil {
		t.Error("negative skew accepted")
	}
}
