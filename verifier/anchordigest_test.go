package verifier

import (
	"encoding/hex"
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
