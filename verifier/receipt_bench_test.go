package verifier_test

import (
	"encoding/json"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// benchReceipt is the receipt of a leaf in a batch of 100 000 (17 path
// hashes).
func benchReceipt(b *testing.B) []byte {
	leaves := make([][32]byte, 100_000)
	for i := range leaves {
		leaves[i][0], leaves[i][1], leaves[i][2] = byte(i), byte(i>>8), byte(i>>16)
	}
	raw, err := json.Marshal(credential.NewBatch(leaves).Receipt(4242))
	if err != nil {
		b.Fatal(err)
	}
	return raw
}

func BenchmarkParseReceipt(b *testing.B) {
	raw := benchReceipt(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verifier.ParseReceipt(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseReceipts(b *testing.B) {
	one := benchReceipt(b)
	m := map[string]json.RawMessage{}
	for _, id := range []string{"urn:uuid:1", "urn:uuid:2", "urn:uuid:3", "urn:uuid:4"} {
		m[id] = one
	}
	raw, _ := json.Marshal(m)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := verifier.ParseReceipts(raw); err != nil {
			b.Fatal(err)
		}
	}
}
