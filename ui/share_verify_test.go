package ui

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestVerifySharedNeedsItsOwnLink: a share link's presentation answers the
// challenge of that link only. One made for another link (copied into this
// link's record, say) gets no verdict, before anything is verified.
func TestVerifySharedNeedsItsOwnLink(t *testing.T) {
	vp := json.RawMessage(`{"type":["VerifiablePresentation"],"proof":{"type":"DataIntegrityProof","challenge":"share:aaaaaaaaaaaaaaaaaaaaaaaa"}}`)
	vr := &verifyingRoutes{} // nothing else is reached
	for _, id := range []string{"bbbbbbbbbbbbbbbbbbbbbbbb", ""} {
		rep, refused, err := vr.verifyShared(context.Background(), id, vp, nil)
		if err != nil || rep != nil || refused == nil || !strings.Contains(refused.en, "another share link") {
			t.Fatalf("link %q: report %v, refused %+v, err %v", id, rep, refused, err)
		}
	}
}
