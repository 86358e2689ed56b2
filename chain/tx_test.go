package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

const testChainID = "talentchain-test"

// testKey returns a deterministic Ed25519 key named by seed.
func testKey(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func pubOf(k ed25519.PrivateKey) string { return EncodePublicKey(k.Public().(ed25519.PublicKey)) }

func mustEncode(t testing.TB, tx *Tx) []byte {
	t.Helper()
	b, err := tx.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sampleTx(t testing.TB) *Tx {
	t.Helper()
	tx := NewTx(&RegisterIssuer{
		Kind: KindUniversity, Names: Names{En: "Tsinghua University", Zh: "清华大学"},
		PublicKey: pubOf(testKey("issuer")), USCC: testUSCC,
	}, GovernanceSigner, 1)
	for _, s := range []string{"gov-0", "gov-1"} {
		if err := tx.Sign(testChainID, testKey(s)); err != nil {
			t.Fatal(err)
		}
	}
	return tx
}

// testUSCC is a syntactically valid unified social credit code.
var testUSCC = func() string {
	body := "91110000400000001"
	sum := 0
	for i := range 17 {
		sum += strings.IndexByte(usccChars, body[i]) * usccWeights[i]
	}
	return body + string(usccChars[(31-sum%31)%31])
}()

func TestTxRoundTripAndSortedKeys(t *testing.T) {
	b := mustEncode(t, sampleTx(t))
	tx, err := DecodeTx(b)
	if err != nil {
		t.Fatalf("DecodeTx: %v", err)
	}
	if again := mustEncode(t, tx); !bytes.Equal(again, b) {
		t.Fatalf("round trip changed bytes:\n%s\n%s", b, again)
	}
	// Re-marshalling through a generic map sorts keys at every level: the
	// canonical form must already be sorted.
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		t.Fatal(err)
	}
	sorted, err := canonicalJSON(generic)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sorted, b) {
		t.Fatalf("keys are not sorted:\n%s\n%s", b, sorted)
	}
	if err := tx.verifySignatures(testChainID); err != nil {
		t.Fatalf("signatures: %v", err)
	}
	if err := tx.verifySignatures("other-chain"); err == nil {
		t.Fatal("signature verified for another chain id")
	}
}

func TestDecodeTxRefuses(t *testing.T) {
	good := string(mustEncode(t, sampleTx(t)))
	tests := []struct {
		name string
		in   string
		want Code
	}{
		{"empty", "", CodeMalformed},
		{"not json", "hello", CodeMalformed},
		{"array", "[]", CodeMalformed},
		{"version 2", strings.Replace(good, `"v":1`, `"v":2`, 1), CodeUnsupportedVersion},
		{"version missing", strings.Replace(good, `,"v":1`, ``, 1), CodeUnsupportedVersion},
		{"unknown type", strings.Replace(good, `gov.register_issuer`, `gov.mint`, 1), CodeUnknownType},
		{"trailing garbage", good + "x", CodeMalformed},
		{"trailing second value", good + "{}", CodeMalformed},
		{"whitespace", strings.Replace(good, `"v":1`, `"v": 1`, 1), CodeMalformed},
		{"trailing newline", good + "\n", CodeMalformed},
		{"unknown envelope field", strings.Replace(good, `{"payload"`, `{"extra":1,"payload"`, 1), CodeMalformed},
		{"unknown payload field", strings.Replace(good, `{"kind"`, `{"color":"red","kind"`, 1), CodeMalformed},
		{"unsorted keys", strings.Replace(good, `"type":"gov.register_issuer","v":1`, `"v":1,"type":"gov.register_issuer"`, 1), CodeMalformed},
		{"duplicate key", strings.Replace(good, `"v":1`, `"v":1,"v":1`, 1), CodeMalformed},
		{"case-folded key", strings.Replace(good, `"seq":1`, `"SEQ":1`, 1), CodeMalformed},
		{"escaped character", strings.Replace(good, `university`, `universit\u0079`, 1), CodeMalformed},
		{"float sequence", strings.Replace(good, `"seq":1`, `"seq":1.0`, 1), CodeMalformed},
		{"empty optional field", strings.Replace(good, `"uscc":"`+testUSCC+`"`, `"uscc":""`, 1), CodeMalformed},
		{"sequence zero", strings.Replace(good, `"seq":1`, `"seq":0`, 1), CodeBadSequence},
		{"bad kind", strings.Replace(good, `university`, `church`, 1), CodeInvalidPayload},
		{"bad uscc", strings.Replace(good, testUSCC, "91110000400000001X", 1), CodeInvalidPayload},
		{"too large", good + strings.Repeat(" ", MaxTxBytes), CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeTx([]byte(tt.in))
			var ce *CodeError
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want a *CodeError", err)
			}
			if ce.Code != tt.want {
				t.Fatalf("code = %s (%v), want %s", ce.Code, ce, tt.want)
			}
		})
	}
}

func TestDecodeTxSignatureRules(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Tx)
		want   Code
	}{
		{"unsigned", func(tx *Tx) { tx.Signatures = nil }, CodeBadSignature},
		{"duplicate signer", func(tx *Tx) { tx.Signatures = append(tx.Signatures[:1], tx.Signatures[0]) }, CodeDuplicateSignature},
		{"unsorted", func(tx *Tx) { tx.Signatures[0], tx.Signatures[1] = tx.Signatures[1], tx.Signatures[0] }, CodeMalformed},
		{"short signature", func(tx *Tx) { tx.Signatures[0].Sig = tx.Signatures[0].Sig[:10] }, CodeBadSignature},
		{"bad key", func(tx *Tx) { tx.Signatures[0].Key = "zzz" }, CodeBadSignature},
		{"issuer signer on gov tx", func(tx *Tx) { tx.Signer = "did:talent:x#key-1" }, CodeWrongSigner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := sampleTx(t)
			tt.mutate(tx)
			_, err := DecodeTx(mustEncode(t, tx))
			var ce *CodeError
			if !errors.As(err, &ce) || ce.Code != tt.want {
				t.Fatalf("err = %v, want code %s", err, tt.want)
			}
		})
	}
}

func TestPublicKeyAndDID(t *testing.T) {
	pub := testKey("k").Public().(ed25519.PublicKey)
	s := EncodePublicKey(pub)
	if !strings.HasPrefix(s, "z6Mk") {
		t.Fatalf("Multikey %q does not start with z6Mk", s)
	}
	got, err := DecodePublicKey(s)
	if err != nil || !bytes.Equal(got, pub) {
		t.Fatalf("DecodePublicKey = %x, %v", got, err)
	}
	for _, bad := range []string{"", "z", "6Mk", s + "1", "z0OIl", "z" + strings.Repeat("1", 3) + s[1:]} {
		if _, err := DecodePublicKey(bad); err == nil {
			t.Errorf("DecodePublicKey(%q) accepted", bad)
		}
	}
	did := IssuerDID(pub)
	if !ValidIssuerDID(did) {
		t.Fatalf("ValidIssuerDID(%q) = false", did)
	}
	for _, bad := range []string{"did:talent:", "did:key:" + did[11:], did + "0", "did:talent:11111111111111111111111111"} {
		if ValidIssuerDID(bad) {
			t.Errorf("ValidIssuerDID(%q) = true", bad)
		}
	}
}

func TestValidUSCC(t *testing.T) {
	if !ValidUSCC(testUSCC) {
		t.Fatalf("ValidUSCC(%q) = false", testUSCC)
	}
	// A real, published code (Tsinghua University).
	if !ValidUSCC("12100000400000624D") {
		t.Error("ValidUSCC rejects a published code")
	}
	for _, bad := range []string{"", "12100000400000624", "12100000400000624E", "I2100000400000624D", "12100000400000624d"} {
		if ValidUSCC(bad) {
			t.Errorf("ValidUSCC(%q) = true", bad)
		}
	}
}

func FuzzDecodeTx(f *testing.F) {
	f.Add(mustEncode(f, sampleTx(f)))
	f.Add([]byte(`{"payload":{},"seq":1,"signer":"governance","type":"gov.accredit","v":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			var ce *CodeError
			if !errors.As(err, &ce) || ce.Code == CodeOK {
				t.Fatalf("error without a code: %v", err)
			}
			return
		}
		again, err := tx.Encode()
		if err != nil {
			t.Fatalf("decoded tx does not encode: %v", err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("accepted non-canonical bytes:\n%q\n%q", b, again)
		}
	})
}
