package wallet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// TestShareNestedDisclosure: revealing a claim reveals what it holds. When
// a part of it can be disclosed on its own (an SD-JWT from another issuer
// may nest them), a share must choose that part too: otherwise the link
// would show more than the holder ticked, and the share is refused with
// the part named.
func TestShareNestedDisclosure(t *testing.T) {
	ctx := context.Background()
	v, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s := newWallet(t, openBolt(t), nil, Config{}, WithSDJWT(sdjwtHandler{v}))
	a := holder(t, s, "nested")
	holderPub, err := credential.DecodePublicKey(strings.TrimPrefix(a.DID, "did:key:"))
	if err != nil {
		t.Fatal(err)
	}
	_, issuerKey, _ := ed25519.GenerateKey(rand.Reader)
	issuerDID, issuerVM, _ := jose.DIDKey(issuerKey.Public())
	signer, _ := jose.NewSigner(issuerKey, issuerVM)
	sd, err := sdjwt.IssueVC(signer, sdjwt.VC{
		Issuer: issuerDID, Type: "https://w3id.org/talentchain/vct/degree", Subject: a.DID, Expires: time.Now().Add(time.Hour),
		Claims:      map[string]any{"name": "王五", "degree": map[string]any{"level": "master", "grade": "A"}},
		Disclosable: []string{"/name", "/degree", "/degree/grade"},
		Holder:      holderPub,
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Import(ctx, a.ID, []byte(sd))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "/degree/grade") {
		t.Fatalf("the degree without its grade chosen: %v", err)
	}
	// The grade alone: reaching it reveals the degree that holds it.
	_, err = s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree/grade"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"/degree", which holds it`) {
		t.Fatalf("the grade without its degree chosen: %v", err)
	}
	if _, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree", "/degree/grade"}}); err != nil {
		t.Fatalf("the degree with its grade: %v", err)
	}
	if _, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/name"}}); err != nil {
		t.Fatalf("the name alone: %v", err)
	}
}
