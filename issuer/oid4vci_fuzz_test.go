package issuer

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// FuzzProofKey feeds arbitrary key proofs (outside input of the credential
// endpoint) to the proof check: it must never panic, and every refusal is
// ErrInvalidProof or ErrInvalidNonce (a forged input never reaches the
// nonce store: its signature fails first).
func FuzzProofKey(f *testing.F) {
	w := newWalletKey(f)
	f.Add(w.proof(f, "https://issuer.example.edu.cn", "nonce", nil))
	f.Add(w.proof(f, "https://issuer.example.edu.cn", "", func(h, _ map[string]any) { h["jwk"] = map[string]any{"kty": "OKP"} }))
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("a.b.c")
	s := &Service{cfg: Config{BaseURL: "https://issuer.example.edu.cn", Now: time.Now}}
	f.Fuzz(func(t *testing.T, proof string) {
		_, _, err := s.proofKey(context.Background(), proof)
		if err == nil {
			t.Fatalf("accepted %q without a stored nonce", proof)
		}
		if !errors.Is(err, ErrInvalidProof) && !errors.Is(err, ErrInvalidNonce) {
			t.Fatalf("refusal %v is neither invalid_proof nor invalid_nonce", err)
		}
	})
}

// FuzzTokenStatus reads arbitrary status lists: never a panic, refusals
// are ErrInvalid.
func FuzzTokenStatus(f *testing.F) {
	f.Add("eNo76fITAAPfAgc", 2, 3)
	f.Add("eNrt3AENwCAMAEGogxbw", 1, 0)
	f.Fuzz(func(t *testing.T, lst string, bits, idx int) {
		v, err := TokenStatus(lst, bits, idx)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("refusal %v is not ErrInvalid", err)
		}
		if err == nil && (v < 0 || v >= 1<<bits) {
			t.Fatalf("status %d does not fit %d bits", v, bits)
		}
	})
}

// A relying party reads a credential's status from a Token Status List:
// two bits per credential, here the draft's example list.
func ExampleTokenStatus() {
	for _, idx := range []int{0, 1, 2} {
		v, _ := TokenStatus("eNo76fITAAPfAgc", 2, idx)
		fmt.Println(idx, v)
	}
	fmt.Println(VCT(TypeDegree))
	// Output:
	// 0 1
	// 1 2
	// 2 0
	// https://w3id.org/talentchain/vct/degree
}
