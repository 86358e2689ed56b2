package verifier

import (
	"encoding/hex"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
)

// TestSDJWTDigestKnownAnswer: the digest the pipeline compares with an
// SD-JWT VC's anchor receipt is the known answer (SHA-256 of the
// issuer-signed JWT, as credential/sdjwt, issuer and wallet pin it),
// whatever the presentation discloses or binds.
func TestSDJWTDigestKnownAnswer(t *testing.T) {
	const (
		jwt = "eyJhbGciOiJFZERTQSJ9.e30.c2ln"
		ka  = "b8cc7dd5077a7f74fc0ab6a7289d7c4a1b60a09c605ddc290dea02911bb94bf5"
	)
	got := &sdjwt.Verified{Result: &credential.Result{}, Claims: map[string]any{"vct": "https://example.edu/degree"}}
	for _, token := range []string{jwt + "~", jwt + "~WyJzIiwibiIsInYiXQ~", jwt + "~WyJzIiwibiIsInYiXQ~a.b.c"} {
		d := securedSDJWT(got, token, nil).Digest
		if h := hex.EncodeToString(d[:]); h != ka {
			t.Errorf("digest of %q = %s, want %s", token, h, ka)
		}
	}
}

// TestReceiptMembers: the receipt decoder knows every field of
// credential.AnchorReceipt by its JSON name, and no other.
func TestReceiptMembers(t *testing.T) {
	var names []string
	rt := reflect.TypeFor[credential.AnchorReceipt]()
	for i := range rt.NumField() {
		name, _, _ := strings.Cut(rt.Field(i).Tag.Get("json"), ",")
		names = append(names, name)
	}
	if !slices.Equal(names, receiptMembers[:]) {
		t.Fatalf("receipt members %q, AnchorReceipt has %q", receiptMembers, names)
	}
	if len(receiptMembers) > 16 {
		t.Fatalf("%d members do not fit the decoder's 16-bit seen mask", len(receiptMembers))
	}
}
