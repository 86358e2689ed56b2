package wallet_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/wallet"
)

// sdHandler adapts credential/sdjwt to wallet.SDJWT (cmd/ has the same
// adapter).
type sdHandler struct{ v *sdjwt.Verifier }

func (h sdHandler) VerifySDJWT(ctx context.Context, compact string) (*wallet.SDJWTInfo, *wallet.Verification, error) {
	got, err := h.v.Verify(ctx, compact, sdjwt.VerifyOptions{})
	if errors.Is(err, sdjwt.ErrMalformed) {
		return nil, nil, fmt.Errorf("%w: %v", wallet.ErrInvalid, err)
	}
	if err != nil {
		return nil, nil, err
	}
	info := &wallet.SDJWTInfo{Claims: got.Claims, Disclosable: got.Disclosed, HolderKey: got.HolderKey}
	info.Issuer, _ = got.Claims["iss"].(string)
	info.Type, _ = got.Claims["vct"].(string)
	info.Subject, _ = got.Claims["sub"].(string)
	res := *got.Result
	var checks []credential.Check
	for _, c := range res.Checks {
		if c.Name != "key-binding" { // none on receipt: the holder adds it when presenting
			checks = append(checks, c)
		}
	}
	res.Checks = checks
	return info, wallet.VerificationOf(&res), nil
}

func (h sdHandler) PresentSDJWT(_ context.Context, compact string, disclose []string, key ed25519.PrivateKey, nonce, aud string) (string, error) {
	signer, err := jose.NewSigner(key, "")
	if err != nil {
		return "", err
	}
	out, err := sdjwt.Present(compact, disclose, &sdjwt.KeyBinding{Signer: signer, Audience: aud, Nonce: nonce})
	if errors.Is(err, sdjwt.ErrDisclosure) || errors.Is(err, sdjwt.ErrInvalid) {
		return "", fmt.Errorf("%w: %v", wallet.ErrInvalid, err)
	}
	return out, err
}

// A holder shares an SD-JWT degree by link revealing only the field of
// study: whoever opens the link gets the SD-JWT with that one disclosure
// and a key binding for the link's nonce ("share:<link id>") and the
// wallet's URL; the grade and the name stay hidden. A claim the credential
// cannot disclose is refused.
func ExampleService_CreateShare_sdjwt() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "wallet-example-share")
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
	v, _ := sdjwt.NewVerifier(sdjwt.VerifierConfig{}) // did:key issuers, resolved offline
	pass := wallet.VerifyFunc(func(context.Context, map[string]any, *credential.AnchorReceipt) (*wallet.Verification, error) {
		return nil, errors.New("no W3C credential in this example")
	})
	status := wallet.StatusFunc(func(context.Context, string, []byte) (wallet.Status, error) { return wallet.StatusValid, nil })
	w, err := wallet.New(wallet.Config{BaseURL: "https://wallet.example.cn"}, store.WithPrefix(db, "wallet/"), keys,
		credential.MustLoader(), pass, status, wallet.WithSDJWT(sdHandler{v}))
	if err != nil {
		log.Fatal(err)
	}
	acct, err := w.SignUp(ctx, wallet.SignUp{Username: "zhangsan", Password: "correct horse battery staple"})
	if err != nil {
		log.Fatal(err)
	}

	// A university (here a did:key issuer) issues the degree as an SD-JWT
	// VC bound to the holder's key; the holder imports it.
	holderKey, _ := credential.DecodePublicKey(strings.TrimPrefix(acct.DID, "did:key:"))
	_, uniKey, _ := ed25519.GenerateKey(nil)
	uniDID, uniVM, _ := jose.DIDKey(uniKey.Public())
	uni, _ := jose.NewSigner(uniKey, uniVM)
	issued, err := sdjwt.IssueVC(uni, sdjwt.VC{
		Issuer: uniDID, Type: "https://w3id.org/talentchain/vct/degree", Subject: acct.DID, Holder: holderKey,
		Expires: time.Now().Add(24 * time.Hour),
		Claims: map[string]any{"fullName": "张三",
			"degree": map[string]any{"level": "master", "fieldOfStudy": "区块链工程", "grade": "A"}},
		Disclosable: []string{"/fullName", "/degree/fieldOfStudy", "/degree/grade"},
	})
	if err != nil {
		log.Fatal(err)
	}
	c, err := w.Import(ctx, acct.ID, []byte(issued))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("can disclose:", strings.Join(slices.Sorted(slices.Values(c.Disclosable)), " "))

	sh, err := w.CreateShare(ctx, acct.ID, wallet.NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree/fieldOfStudy"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("link:", sh.Format, sh.Disclosed)

	// Someone opens the link and verifies what it shows.
	opened, err := w.OpenShare(ctx, strings.TrimPrefix(sh.URL, "https://wallet.example.cn/share/"), wallet.Visitor{IP: "198.51.100.7"})
	if err != nil {
		log.Fatal(err)
	}
	var compact string
	json.Unmarshal(opened.Presentation.Presentation, &compact)
	got, err := v.Verify(ctx, compact, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: "share:" + sh.ID, Audience: "https://wallet.example.cn"})
	if err != nil {
		log.Fatal(err)
	}
	deg := got.Claims["degree"].(map[string]any)
	fmt.Println("verified:", got.Result.Verified, "| level:", deg["level"], "| field:", deg["fieldOfStudy"], "| grade:", deg["grade"], "| name:", got.Claims["fullName"])

	_, err = w.CreateShare(ctx, acct.ID, wallet.NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree/nickname"}})
	fmt.Println("unknown claim refused:", errors.Is(err, wallet.ErrInvalid))
	// Output:
	// can disclose: /degree/fieldOfStudy /degree/grade /fullName
	// link: dc+sd-jwt [/degree/fieldOfStudy]
	// verified: true | level: master | field: 区块链工程 | grade: <nil> | name: <nil>
	// unknown claim refused: true
}
