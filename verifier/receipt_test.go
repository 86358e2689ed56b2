package verifier_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// TestParseReceiptsStrict: the one-pass readers refuse what the JSON could
// be read two ways by (duplicates, names differing only in case) and
// everything outside the receipts' shape.
func TestParseReceiptsStrict(t *testing.T) {
	good := credential.NewBatch([][32]byte{{1}, {2}, {3}}).Receipt(2)
	raw := string(mustJSON(t, good))
	many := make([]string, verifier.MaxReceipts+1)
	for i := range many {
		many[i] = fmt.Sprintf(`"urn:uuid:%d":%s`, i, raw)
	}
	for _, c := range []struct {
		name, raw string
		n         int    // receipts read; -1: refused
		reason    string // part of the refusal
	}{
		{"two", `{"a":` + raw + `,"b":` + raw + `}`, 2, ""},
		{"none", `{}`, 0, ""},
		{"MaxReceipts", "{" + strings.Join(many[:verifier.MaxReceipts], ",") + "}", verifier.MaxReceipts, ""},
		{"more than MaxReceipts", "{" + strings.Join(many, ",") + "}", -1, "more than 256"},
		{"duplicate id", `{"a":` + raw + `,"a":` + raw + `}`, -1, `duplicate member "a"`},
		{"empty id", `{"":` + raw + `}`, -1, "1 to 2048 bytes"},
		{"a member named in another case", `{"a":` + strings.Replace(raw, `"root"`, `"Root"`, 1) + `}`, -1, `unknown field "Root"`},
		{"duplicate member in a receipt", `{"a":` + strings.Replace(raw, `{`, `{"treeSize":1,`, 1) + `}`, -1, `duplicate member "treeSize"`},
		{"a bad receipt", `{"a":{"type":"x"}}`, -1, "anchor receipts[\"a\"]"},
		{"a receipt not an object", `{"a":[]}`, -1, "must be a JSON object"},
		{"trailing data", `{"a":` + raw + `} {}`, -1, "after the JSON object"},
		{"unterminated", `{"a":` + raw, -1, "anchor receipts"},
		{"an array", `[` + raw + `]`, -1, "must be a JSON object"},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := verifier.ParseReceipts([]byte(c.raw))
			if c.n < 0 {
				if !errors.Is(err, verifier.ErrMalformed) || !strings.Contains(err.Error(), c.reason) {
					t.Fatalf("ParseReceipts = %d receipts, %v; want ErrMalformed saying %q", len(m), err, c.reason)
				}
				return
			}
			if err != nil || len(m) != c.n {
				t.Fatalf("ParseReceipts = %d receipts, %v; want %d", len(m), err, c.n)
			}
			for id, r := range m {
				if r.Root != good.Root || r.LeafIndex != 2 || len(r.Path) != len(good.Path) {
					t.Fatalf("receipt %s = %+v, want %+v", id, r, good)
				}
			}
		})
	}
	if _, err := verifier.ParseReceipt([]byte(strings.Replace(raw, `"root"`, `"ROOT"`, 1))); !errors.Is(err, verifier.ErrMalformed) {
		t.Fatalf("ParseReceipt read a member named in another case: %v", err)
	}
}
