package credential

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"maps"
	"os"
	"strings"
	"testing"
	"time"
)

func readECKeyPair(t testing.TB, path string) *ECKeyPair {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k ECKeyPair
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &k
}

func readText(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// testECKey derives a P-256 (or P-384) did:key key pair from a label, so that
// samples are reproducible (signatures are deterministic, RFC 6979).
func testECKey(t testing.TB, curve elliptic.Curve, label string) *ECKeyPair {
	seed := sha256.Sum256([]byte("talentchain-test/" + label))
	d := seed[:]
	if curve == elliptic.P384() {
		d = append(d, seed[:16]...)
	}
	priv, err := ecdsa.ParseRawPrivateKey(curve, d)
	if err != nil {
		panic(err)
	}
	k, err := NewDIDKeyECKeyPair(priv)
	if err != nil {
		panic(err)
	}
	return k
}

// TestW3CECDSAVectors checks the W3C vc-di-ecdsa ecdsa-rdfc-2019 vectors for
// P-256 and P-384 (testdata/suites/README.md says which versions): our canonical
// proof configuration and document hash to the vector's combined hash, the
// vector's signature verifies, our own signature with the vector's key
// verifies, and the vector's key decodes to its Multikey.
func TestW3CECDSAVectors(t *testing.T) {
	for _, c := range []struct {
		name, curve string
		size        int
	}{
		{"P256", "P-256", 32},
		{"P384", "P-384", 48},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := "testdata/suites/w3c/"
			key := readECKeyPair(t, dir+strings.ToLower(c.name[:1])+c.name[1:]+"KeyPair.json")
			if curveName(key.Public.Curve) != c.curve || key.Private == nil {
				t.Fatalf("key pair: curve %s, private %v", curveName(key.Public.Curve), key.Private != nil)
			}
			signed := readJSON(t, dir+"ecdsa-rdfc-2019-"+strings.ToLower(c.name)+"-signed.json")
			combined := readText(t, dir+"combinedHashECDSA"+c.name+".txt")
			sig := readText(t, dir+"sigBTC58ECDSA"+c.name+".txt")

			// The vectors' published hashes and signature are for a did:key
			// verification method and the current contexts.
			doc := withoutProof(signed)
			proof := maps.Clone(signed["proof"].(map[string]any))
			proof["verificationMethod"] = key.ID
			proof["proofValue"] = sig
			if !strings.HasPrefix(key.ID, "did:key:z") || !strings.HasSuffix(key.ID, "#"+strings.TrimPrefix(key.Controller, "did:key:")) {
				t.Fatalf("did:key vm = %s", key.ID)
			}

			suite := NewECDSA(NewCanonicalizer(MustLoader()))
			canonDoc, err := suite.canon.Canonicalize(doc)
			if err != nil {
				t.Fatal(err)
			}
			hash, _ := suiteHash(key.Public.Curve)
			data, err := suite.hashData(canonDoc, proof, doc["@context"], hash)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(data); got != combined {
				t.Fatalf("hash data\n got %s\nwant %s", got, combined)
			}
			if err := suite.verifyProof(canonDoc, proof, doc["@context"], key.Public); err != nil {
				t.Fatalf("the vector's signature: %v", err)
			}
			if raw, _ := decodeBase58btc(sig); len(raw) != 2*c.size {
				t.Fatalf("signature of %d bytes", len(raw))
			}

			// Altered document, altered proof option, another key: refused.
			altered := deepCopy(doc)
			altered["credentialSubject"].(map[string]any)["alumniOf"] = "The School of Forgeries"
			canonAltered, _ := suite.canon.Canonicalize(altered)
			if err := suite.verifyProof(canonAltered, proof, doc["@context"], key.Public); err == nil {
				t.Fatal("an altered document verified")
			}
			later := maps.Clone(proof)
			later["created"] = "2023-02-25T23:36:38Z"
			if err := suite.verifyProof(canonDoc, later, doc["@context"], key.Public); err == nil {
				t.Fatal("an altered proof option verified")
			}
			other := testECKey(t, key.Public.Curve, "other")
			if err := suite.verifyProof(canonDoc, proof, doc["@context"], other.Public); err == nil {
				t.Fatal("verified with another key")
			}

			// Our signature with the vector's key: deterministic, and the same
			// hash data as the vector.
			created, _ := time.Parse(time.RFC3339, proof["created"].(string))
			ours, err := suite.Sign(doc, key.Private, ProofOptions{VerificationMethod: key.ID, Created: created})
			if err != nil {
				t.Fatal(err)
			}
			again, _ := suite.Sign(doc, key.Private, ProofOptions{VerificationMethod: key.ID, Created: created})
			op := ours["proof"].(map[string]any)
			if op["proofValue"] != again["proof"].(map[string]any)["proofValue"] {
				t.Fatal("two signatures of the same document differ: not RFC 6979")
			}
			for _, k := range []string{"type", "cryptosuite", "created", "verificationMethod", "proofPurpose"} {
				if op[k] != proof[k] {
					t.Errorf("proof.%s = %v, want %v", k, op[k], proof[k])
				}
			}
			if err := suite.verifyProof(canonDoc, op, doc["@context"], key.Public); err != nil {
				t.Fatalf("our signature: %v", err)
			}

			// Through the strict verifier: the signature is fine, but the
			// vector's issuer (https://vc.example/issuers/5678) is not the
			// did:key controller, which TalentChain refuses.
			withProof := maps.Clone(doc)
			withProof["proof"] = proof
			raw, _ := json.Marshal(withProof)
			v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
			res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Verified || !res.Failed(CheckIssuerKey) {
				t.Fatalf("want issuer-key to fail:\n%s", dump(res))
			}
			// With the issuer's controller document listing the key, it verifies.
			r := &StaticResolver{}
			issuer := signed["issuer"].(string)
			mb := strings.TrimPrefix(key.Controller, "did:key:")
			vm := issuer + "#" + mb
			r.Add(&ControllerDocument{ID: issuer, VerificationMethod: []VerificationMethod{{ID: vm, Type: "Multikey", Controller: issuer, PublicKeyMultibase: mb}}, AssertionMethod: []string{vm}})
			v2, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: r, Now: func() time.Time { return time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) }})
			reSigned, err := suite.Sign(doc, key.Private, ProofOptions{VerificationMethod: vm, Created: created})
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = json.Marshal(reSigned)
			if res, _ := v2.VerifyCredential(context.Background(), raw, VerifyOptions{}); !res.Verified {
				t.Fatalf("re-signed vector did not verify:\n%s", dump(res))
			}
		})
	}
}

func TestECMultikey(t *testing.T) {
	// did:key test vector (w3c-ccg/did-method-key) with its JWK coordinates.
	const did = "did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
	pub, err := DecodeECPublicKey(strings.TrimPrefix(did, "did:key:"))
	if err != nil {
		t.Fatal(err)
	}
	jwk, err := PublicJWK(pub)
	if err != nil {
		t.Fatal(err)
	}
	if jwk["x"] != "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI" || jwk["y"] != "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU" || jwk["crv"] != "P-256" {
		t.Fatalf("jwk = %v", jwk)
	}
	if d, vm, _ := DIDKeyEC(pub); d != did || vm != did+"#"+strings.TrimPrefix(did, "did:key:") {
		t.Fatalf("DIDKeyEC = %s %s", d, vm)
	}
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		k, err := GenerateECKey(curve)
		if err != nil {
			t.Fatal(err)
		}
		prefix := map[elliptic.Curve]string{elliptic.P256(): "did:key:zDn", elliptic.P384(): "did:key:z82"}[curve]
		if !strings.HasPrefix(k.Controller, prefix) {
			t.Fatalf("%s did:key %s", curveName(curve), k.Controller)
		}
		b, err := json.Marshal(k)
		if err != nil {
			t.Fatal(err)
		}
		var back ECKeyPair
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if !back.Private.Equal(k.Private) || back.ID != k.ID || back.Controller != k.Controller {
			t.Fatalf("round trip: %+v", back)
		}
		doc, err := KeyResolver{}.Resolve(context.Background(), k.Controller)
		if err != nil {
			t.Fatal(err)
		}
		m, ok := doc.Method(k.ID)
		if !ok || !doc.Allows(RelAssertionMethod, k.ID) || !doc.Allows(RelAuthentication, k.ID) {
			t.Fatalf("resolved: %+v", doc)
		}
		got, err := m.Key()
		if err != nil || !k.Public.Equal(got) {
			t.Fatalf("key = %v, %v", got, err)
		}
	}
	p256 := testECKey(t, elliptic.P256(), "issuer")
	mb := strings.TrimPrefix(p256.Controller, "did:key:")
	raw, _ := decodeBase58btc(mb)
	other := testECKey(t, elliptic.P256(), "other")
	otherSecret, _ := EncodeECSecretKey(other.Private)
	bad := []struct{ name, value string }{
		{"not multibase", "Dn" + mb},
		{"Ed25519 key", EncodePublicKey(issuerKey.Public)},
		{"truncated point", encodeBase58btc(raw[:len(raw)-1])},
		{"uncompressed prefix byte", encodeBase58btc(append([]byte{0x80, 0x24, 0x04}, raw[3:]...))},
		{"x beyond the field", encodeBase58btc(append(append([]byte{}, raw[:3]...), bytesOf(0xff, 32)...))},
		{"P-384 prefix on a P-256 point", encodeBase58btc(append([]byte{0x81, 0x24}, raw[2:]...))},
		{"secret key as public key", otherSecret},
	}
	for _, c := range bad {
		t.Run(c.name, func(t *testing.T) {
			if _, err := DecodeECPublicKey(c.value); err == nil {
				t.Fatalf("%s decoded", c.value)
			}
			if c.name == "Ed25519 key" {
				return
			}
			if _, err := (KeyResolver{}).Resolve(context.Background(), "did:key:"+c.value); !errors.Is(err, ErrNotFound) {
				t.Fatalf("did:key resolved: %v", err)
			}
		})
	}
	// A key pair whose secret key is another key's is refused.
	pubMB, _ := EncodeECPublicKey(p256.Public)
	mixed, _ := json.Marshal(map[string]string{"publicKeyMultibase": pubMB, "secretKeyMultibase": otherSecret})
	var k ECKeyPair
	if err := json.Unmarshal(mixed, &k); err == nil {
		t.Fatal("a key pair with a foreign secret key was accepted")
	}
}

func TestVerificationMethodKey(t *testing.T) {
	p256 := testECKey(t, elliptic.P256(), "issuer")
	mb, _ := EncodeECPublicKey(p256.Public)
	jwk, _ := PublicJWK(p256.Public)
	cases := []struct {
		name string
		vm   VerificationMethod
		want crypto.PublicKey // nil = error
	}{
		{"Ed25519 in Go", VerificationMethod{PublicKey: issuerKey.Public}, issuerKey.Public},
		{"Ed25519 multibase", VerificationMethod{PublicKeyMultibase: EncodePublicKey(issuerKey.Public)}, issuerKey.Public},
		{"Ed25519 base58 (2018)", VerificationMethod{PublicKeyBase58: base58Of(issuerKey.Public)}, issuerKey.Public},
		{"P-256 multibase", VerificationMethod{PublicKeyMultibase: mb}, p256.Public},
		{"P-256 jwk", VerificationMethod{PublicKeyJwk: jwk}, p256.Public},
		{"two encodings", VerificationMethod{PublicKeyMultibase: mb, PublicKeyJwk: jwk}, nil},
		{"none", VerificationMethod{}, nil},
		{"short base58", VerificationMethod{PublicKeyBase58: base58Of(issuerKey.Public[:31])}, nil},
		{"short Go key", VerificationMethod{PublicKey: issuerKey.Public[:31]}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.vm.Key()
			if c.want == nil {
				if err == nil {
					t.Fatalf("key %v accepted", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !c.want.(interface{ Equal(crypto.PublicKey) bool }).Equal(got) {
				t.Fatalf("key = %v", got)
			}
		})
	}
}

func TestECSigner(t *testing.T) {
	l := MustLoader()
	for _, curve := range []elliptic.Curve{elliptic.P256(), elliptic.P384()} {
		t.Run(curveName(curve), func(t *testing.T) {
			key := testECKey(t, curve, "issuer")
			s, err := NewECSigner(l, key)
			if err != nil {
				t.Fatal(err)
			}
			if s.Key() != nil || s.VerificationMethod() != key.ID {
				t.Fatalf("signer key %v vm %s", s.Key(), s.VerificationMethod())
			}
			vc, err := s.SignCredential(degreeCredential(key.Controller), sampleCreated)
			if err != nil {
				t.Fatal(err)
			}
			p := vc["proof"].(map[string]any)
			if p["cryptosuite"] != SuiteECDSARDFC2019 || p["verificationMethod"] != key.ID {
				t.Fatalf("proof = %v", p)
			}
			v, _ := NewVerifier(VerifierConfig{Loader: l, Resolver: KeyResolver{}, Now: func() time.Time { return sampleNow }})
			raw, _ := json.Marshal(vc)
			res, _ := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
			if !res.Verified {
				t.Fatalf("not verified:\n%s", dump(res))
			}
			// A presentation: P-256 verifies; P-384 is refused because the
			// embedded credential's graph adds blank nodes.
			vp, err := s.SignPresentation(presentationOf(key.Controller, vc), sampleChallenge, sampleDomain, sampleCreated)
			if curve == elliptic.P384() {
				if err == nil || !strings.Contains(err.Error(), "SHA-384") {
					t.Fatalf("P-384 presentation: err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = json.Marshal(vp)
			res, _ = v.VerifyPresentation(context.Background(), raw, VerifyOptions{Challenge: sampleChallenge, Domain: sampleDomain})
			if !res.Verified {
				t.Fatalf("presentation not verified:\n%s", dump(res))
			}
		})
	}
	if _, err := NewECSigner(l, &ECKeyPair{ID: "x#y", Controller: "x"}); err == nil {
		t.Fatal("a signer without a secret key")
	}
	p224, _ := ecdsa.GenerateKey(elliptic.P224(), nil)
	if _, err := NewECSigner(l, &ECKeyPair{ID: "x#y", Controller: "x", Public: &p224.PublicKey, Private: p224}); err == nil {
		t.Fatal("a P-224 signer")
	}
	if _, err := GenerateECKey(elliptic.P521()); err == nil {
		t.Fatal("a P-521 key")
	}
}

// TestP384BlankNodes: a P-384 proof over a document with two or more blank
// nodes would need RDFC-1.0 with SHA-384; it is refused, never mis-verified.
func TestP384BlankNodes(t *testing.T) {
	key := testECKey(t, elliptic.P384(), "issuer")
	suite := NewECDSA(NewCanonicalizer(MustLoader()))
	// The degree is a blank node; without its id the subject is another one.
	doc := degreeCredential(key.Controller)
	delete(doc["credentialSubject"].(map[string]any), "id")
	doc, _ = normalizeJSON(doc)
	_, err := suite.Sign(doc, key.Private, ProofOptions{VerificationMethod: key.ID, Created: sampleCreated})
	if err == nil || !strings.Contains(err.Error(), "blank nodes") {
		t.Fatalf("err = %v", err)
	}
	// P-256 signs the same document.
	p256 := testECKey(t, elliptic.P256(), "issuer")
	if _, err := suite.Sign(doc, p256.Private, ProofOptions{VerificationMethod: p256.ID, Created: sampleCreated}); err != nil {
		t.Fatal(err)
	}
}

func presentationOf(holder string, creds ...any) map[string]any {
	p := presentation(creds...)
	p["holder"] = holder
	return p
}

func bytesOf(v byte, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = v
	}
	return b
}

func base58Of(b []byte) string { return encodeBase58btc(b)[1:] }

// FuzzDecodeMultikey: did:key values from outside never panic the decoder or
// the resolver, and a decoded key encodes back to the same value.
func FuzzDecodeMultikey(f *testing.F) {
	for _, k := range []*ECKeyPair{ecIssuerKey, p384IssuerKey} {
		f.Add(strings.TrimPrefix(k.Controller, "did:key:"))
	}
	f.Add(EncodePublicKey(issuerKey.Public))
	f.Add("zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169")
	f.Add("z")
	f.Fuzz(func(t *testing.T, s string) {
		key, err := DecodeMultikey(s)
		if _, rerr := (KeyResolver{}).Resolve(context.Background(), "did:key:"+s); (err == nil) != (rerr == nil) {
			t.Fatalf("decode %v, resolve %v", err, rerr)
		}
		if err != nil {
			return
		}
		var back string
		switch k := key.(type) {
		case ed25519.PublicKey:
			back = EncodePublicKey(k)
		case *ecdsa.PublicKey:
			if back, err = EncodeECPublicKey(k); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("decoded %T", key)
		}
		if back != s {
			t.Fatalf("%s decodes to a key that encodes as %s", s, back)
		}
	})
}
