package wallet_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/wallet"
)

// A holder signs up, logs in, imports a credential, lists the wallet and
// presents the credential to a verifier for its challenge and domain.
// cmd/ wires the verifier pipeline in place of the small adapters here.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wallet-example")
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "data.db"), bolt.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	keys, err := seal.Load(dir, "")
	if err != nil {
		log.Fatal(err)
	}
	loader := credential.MustLoader()
	strict, _ := credential.NewVerifier(credential.VerifierConfig{Loader: loader, Resolver: credential.KeyResolver{}})
	verify := wallet.VerifyFunc(func(ctx context.Context, doc map[string]any, _ *credential.AnchorReceipt) (*wallet.Verification, error) {
		return wallet.VerificationOf(strict.VerifyCredentialDocument(ctx, doc, credential.VerifyOptions{})), nil
	})
	status := wallet.StatusFunc(func(context.Context, string, []byte) (wallet.Status, error) { return wallet.StatusValid, nil })

	w, err := wallet.New(wallet.Config{BaseURL: "https://wallet.example.cn"}, store.WithPrefix(db, "wallet/"), keys, loader, verify, status)
	if err != nil {
		log.Fatal(err)
	}
	acct, err := w.SignUp(ctx, wallet.SignUp{Username: "zhangsan", Password: "correct horse battery staple"})
	if err != nil {
		log.Fatal(err)
	}
	sess, err := w.Login(ctx, wallet.Login{Username: "zhangsan", Password: "correct horse battery staple", IP: "203.0.113.7"})
	if err != nil {
		log.Fatal(err)
	}
	who, _ := w.Authenticate(ctx, sess.ID) // on every request, from the session cookie

	// A training provider (here a did:key issuer) issues a certificate to
	// the holder's DID; the holder imports the file.
	issuerKey, _ := credential.GenerateKey()
	signer, _ := credential.NewSigner(loader, issuerKey)
	vc, _ := signer.SignCredential(map[string]any{
		"@context":  []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":      []any{"VerifiableCredential", "CourseCompletionCredential"},
		"validFrom": "2026-01-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":     acct.DID,
			"course": map[string]any{"type": "Course", "courseCode": "BC-101", "hours": 32},
		},
	}, time.Time{})
	file, _ := json.Marshal(vc)
	c, err := w.Import(ctx, who.Account, file)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("stored:", c.Verification.State, "(no anchor receipt)")

	page, _ := w.Credentials(ctx, who.Account, wallet.ListOptions{})
	fmt.Println("in the wallet:", len(page.Items), page.Items[0].Types[1], page.Items[0].Status)

	p, err := w.Present(ctx, who.Account, wallet.PresentRequest{CredentialIDs: []string{c.ID}, Challenge: "9f2c4e", Domain: "hr.example.cn"})
	if err != nil {
		log.Fatal(err)
	}
	res, _ := strict.VerifyPresentation(ctx, p.Presentation, credential.VerifyOptions{Challenge: "9f2c4e", Domain: "hr.example.cn"})
	fmt.Println("the verifier accepts:", res.Verified)
	// Output:
	// stored: warning (no anchor receipt)
	// in the wallet: 1 CourseCompletionCredential valid
	// the verifier accepts: true
}
