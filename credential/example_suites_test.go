package credential_test

import (
	"context"
	"crypto/elliptic"
	"encoding/json"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// Sign with a P-256 key (ecdsa-rdfc-2019) as a did:jwk issuer, and verify with
// a verifier that resolves did:key and did:jwk.
func ExampleNewECSigner() {
	loader := credential.MustLoader()
	key, err := credential.GenerateECKey(elliptic.P256())
	if err != nil {
		panic(err)
	}
	// Identify the key by its did:jwk instead of its did:key.
	if key.Controller, key.ID, err = credential.DIDJWK(key.Public); err != nil {
		panic(err)
	}
	signer, err := credential.NewECSigner(loader, key)
	if err != nil {
		panic(err)
	}
	vc, err := signer.SignCredential(map[string]any{
		"@context":  []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":      []any{"VerifiableCredential", "CourseCompletionCredential"},
		"validFrom": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"course": map[string]any{"type": "Course", "courseCode": "BC-101", "hours": 32},
		},
	}, time.Time{})
	if err != nil {
		panic(err)
	}
	raw, _ := json.Marshal(vc)

	verifier, err := credential.NewVerifier(credential.VerifierConfig{
		Loader:   loader,
		Resolver: credential.Resolvers{credential.KeyResolver{}, credential.DIDJWKResolver{}},
	})
	if err != nil {
		panic(err)
	}
	res, err := verifier.VerifyCredential(context.Background(), raw, credential.VerifyOptions{})
	if err != nil {
		panic(err)
	}
	proof := vc["proof"].(map[string]any)
	fmt.Println(proof["cryptosuite"], "verified:", res.Verified)
	// Output:
	// ecdsa-rdfc-2019 verified: true
}
