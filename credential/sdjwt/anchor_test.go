package sdjwt_test

import (
	"encoding/hex"
	"testing"

	"github.com/talentchain/talentchain/credential/sdjwt"
)

// anchorKA is SHA-256("eyJhbGciOiJFZERTQSJ9.e30.c2ln"), computed with
// `printf %s eyJhbGciOiJFZERTQSJ9.e30.c2ln | sha256sum`.
const anchorKA = "b8cc7dd5077a7f74fc0ab6a7289d7c4a1b60a09c605ddc290dea02911bb94bf5"

func TestAnchorDigest(t *testing.T) {
	const jwt = "eyJhbGciOiJFZERTQSJ9.e30.c2ln"
	for _, c := range []struct {
		name, compact string
		want          string
	}{
		{"the issued SD-JWT, no disclosures", jwt + "~", anchorKA},
		{"with disclosures", jwt + "~WyJzIiwibiIsInYiXQ~WyJ0IiwibSIsMV0~", anchorKA},
		{"a presentation with a key binding", jwt + "~WyJzIiwibiIsInYiXQ~a.b.c", anchorKA},
		{"the bare JWT", jwt, anchorKA},
		{"another JWT", "eyJhbGciOiJFZERTQSJ9.e30.c2lo~", "other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := sdjwt.AnchorDigest(c.compact)
			got := hex.EncodeToString(d[:])
			if c.want == "other" {
				if got == anchorKA {
					t.Fatalf("a different JWT has the same anchor digest %s", got)
				}
				return
			}
			if got != c.want {
				t.Fatalf("AnchorDigest = %s, want %s", got, c.want)
			}
		})
	}
}
