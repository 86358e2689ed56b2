package wallet

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/credential"
)

// sdjwtAnchorKA is the known anchor digest of an SD-JWT VC whose
// issuer-signed JWT is "eyJhbGciOiJFZERTQSJ9.e30.c2ln" (its SHA-256); the
// same answer is pinned in credential/sdjwt, issuer and verifier.
const sdjwtAnchorKA = "b8cc7dd5077a7f74fc0ab6a7289d7c4a1b60a09c605ddc290dea02911bb94bf5"

// TestSDJWTReceiptKnownAnswer: the wallet accepts the receipt of the known
// digest for the SD-JWT and every presentation of it, and refuses a receipt
// of another digest.
func TestSDJWTReceiptKnownAnswer(t *testing.T) {
	var d, other [32]byte
	if _, err := hex.Decode(d[:], []byte(sdjwtAnchorKA)); err != nil {
		t.Fatal(err)
	}
	other[0] = 1
	batch := credential.NewBatch([][32]byte{other, d, other})
	const jwt = "eyJhbGciOiJFZERTQSJ9.e30.c2ln"
	for _, c := range []struct {
		name    string
		compact string
		receipt *credential.AnchorReceipt
		ok      bool
	}{
		{"issued", jwt + "~WyJzIiwibiIsInYiXQ~", batch.Receipt(1), true},
		{"presented with a key binding", jwt + "~a.b.c", batch.Receipt(1), true},
		{"receipt of another credential", jwt + "~", batch.Receipt(0), false},
		{"another JWT", "eyJhbGciOiJFZERTQSJ9.e30.c2lo~", batch.Receipt(1), false},
	} {
		t.Run(c.name, func(t *testing.T) {
			in := &incoming{format: FormatSDJWT, compact: c.compact}
			err := in.checkReceipt(c.receipt)
			if c.ok != (err == nil) {
				t.Fatalf("checkReceipt = %v, want ok=%v", err, c.ok)
			}
			if !c.ok && !strings.Contains(err.Error(), "digest mismatch") {
				t.Fatalf("checkReceipt = %v, want a digest mismatch", err)
			}
		})
	}
}
