package vcjwt_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// An issuer secures a credential as a vc+jwt; the holder presents it,
// enveloped, in a vp+jwt bound to the verifier's challenge and domain.
func Example() {
	_, issuerKey, _ := ed25519.GenerateKey(rand.Reader)
	issuerDID, issuerVM, _ := jose.DIDKey(issuerKey.Public())
	issuer, _ := jose.NewSigner(issuerKey, issuerVM)

	holderKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	holderDID, holderVM, _ := jose.DIDKey(&holderKey.PublicKey)
	holder, _ := jose.NewSigner(holderKey, holderVM)

	vc, err := vcjwt.SignCredential(issuer, map[string]any{
		"@context":          []any{credential.ContextV2, "https://www.w3.org/ns/credentials/examples/v2"},
		"type":              []any{"VerifiableCredential", "ExampleDegreeCredential"},
		"issuer":            issuerDID,
		"validFrom":         "2026-07-01T00:00:00Z",
		"credentialSubject": map[string]any{"id": holderDID, "degree": "MEng"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	vp, err := vcjwt.SignPresentation(holder, map[string]any{
		"@context":             []any{credential.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"holder":               holderDID,
		"verifiableCredential": []any{vcjwt.Envelope(vcjwt.MediaVC, vc)},
	}, "c-7f3a9d2e", "hr.example.com")
	if err != nil {
		fmt.Println(err)
		return
	}

	fmt.Println("format:", vcjwt.Detect([]byte(vp)))
	v, _ := vcjwt.NewVerifier(vcjwt.VerifierConfig{Loader: credential.MustLoader()})
	got, err := v.VerifyPresentation(context.Background(), vp, credential.VerifyOptions{Challenge: "c-7f3a9d2e", Domain: "hr.example.com"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("verified:", got.Result.Verified)
	for _, c := range got.Result.Checks {
		fmt.Println(c.Name, c.Passed)
	}
	// Output:
	// format: vp+jwt
	// verified: true
	// format true
	// json-ld true
	// holder-key true
	// proof true
	// challenge true
	// domain true
	// validity-period true
	// credential[0].format true
	// credential[0].json-ld true
	// credential[0].issuer-key true
	// credential[0].proof true
	// credential[0].validity-period true
}
