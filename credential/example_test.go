package credential_test

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// Sign a credential with a did:key and verify it with the strict rules.
func Example() {
	loader := credential.MustLoader()
	key, err := credential.GenerateKey()
	if err != nil {
		panic(err)
	}
	signer, err := credential.NewSigner(loader, key)
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

	verifier, err := credential.NewVerifier(credential.VerifierConfig{Loader: loader, Resolver: credential.KeyResolver{}})
	if err != nil {
		panic(err)
	}
	res, err := verifier.VerifyCredential(context.Background(), raw, credential.VerifyOptions{})
	if err != nil {
		panic(err)
	}
	fmt.Println("verified:", res.Verified)
	for _, c := range res.Checks {
		fmt.Println(c.Name, c.Passed)
	}
	// Output:
	// verified: true
	// format true
	// json-ld true
	// issuer-key true
	// proof true
	// validity-period true
}
