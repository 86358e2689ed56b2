package credential

import (
	"encoding/json"
	"os"
	"testing"
	"time"
)

func readJSON(t testing.TB, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

func readKeyPair(t testing.TB, path string) *KeyPair {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var k KeyPair
	if err := json.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	return &k
}

// TestW3CVectorReSign re-signs the W3C eddsa-rdfc-2022 vector's document with
// its key and created time and must produce the identical proofValue.
func TestW3CVectorReSign(t *testing.T) {
	signed := readJSON(t, "testdata/w3c/w3c-eddsa-rdfc-2022-signed.json")
	key := readKeyPair(t, "testdata/w3c/w3c-keyPair.json")
	want := signed["proof"].(map[string]any)
	created, err := time.Parse(time.RFC3339, want["created"].(string))
	if err != nil {
		t.Fatal(err)
	}
	suite := NewEdDSA(NewCanonicalizer(MustLoader()))
	got, err := suite.Sign(withoutProof(signed), key.Private, ProofOptions{
		VerificationMethod: want["verificationMethod"].(string),
		Created:            created,
	})
	if err != nil {
		t.Fatal(err)
	}
	gotProof := got["proof"].(map[string]any)
	if gotProof["proofValue"] != want["proofValue"] {
		t.Fatalf("proofValue = %v, want %v", gotProof["proofValue"], want["proofValue"])
	}
	for k, v := range want {
		if gotProof[k] != v {
			t.Errorf("proof.%s = %v, want %v", k, gotProof[k], v)
		}
	}
}
