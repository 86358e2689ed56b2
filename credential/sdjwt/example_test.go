package sdjwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// A university issues a degree as an SD-JWT VC; the graduate shows an employer
// only the degree's name, bound to the employer's request.
func Example() {
	// The university's key, identified by its did:key; the graduate's wallet key.
	_, issuerKey, _ := ed25519.GenerateKey(rand.Reader)
	issuerDID, issuerVM, _ := jose.DIDKey(issuerKey.Public())
	university, _ := jose.NewSigner(issuerKey, issuerVM)
	holderKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	wallet, _ := jose.NewSigner(holderKey, "")

	issued, err := sdjwt.IssueVC(university, sdjwt.VC{
		Issuer:      issuerDID,
		Type:        "https://w3id.org/talentchain/vct/degree",
		Claims:      map[string]any{"name": "Zhang San", "degree": map[string]any{"name": "BSc Computer Science", "gpa": 3.7}},
		Disclosable: []string{"/name", "/degree/name", "/degree/gpa"},
		Holder:      &holderKey.PublicKey,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	// The holder answers the employer's request (nonce and audience).
	presentation, err := sdjwt.Present(issued, []string{"/degree/name"}, &sdjwt.KeyBinding{
		Signer: wallet, Audience: "https://hr.example.cn", Nonce: "c0ffee",
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	v, _ := sdjwt.NewVerifier(sdjwt.VerifierConfig{})
	got, err := v.Verify(context.Background(), presentation, sdjwt.VerifyOptions{
		RequireKeyBinding: true, Nonce: "c0ffee", Audience: "https://hr.example.cn", Now: time.Now(),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verified:", got.Result.Verified)
	fmt.Println("degree:", got.Claims["degree"])
	fmt.Println("name disclosed:", got.Claims["name"] != nil)
	// Output:
	// verified: true
	// degree: map[name:BSc Computer Science]
	// name disclosed: false
}
