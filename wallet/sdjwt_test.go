package wallet

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// sdjwtHandler adapts credential/sdjwt to SDJWT, as cmd/ does.
type sdjwtHandler struct{ v *sdjwt.Verifier }

func (h sdjwtHandler) VerifySDJWT(ctx context.Context, compact string) (*SDJWTInfo, *Verification, error) {
	got, err := h.v.Verify(ctx, compact, sdjwt.VerifyOptions{})
	if errors.Is(err, sdjwt.ErrMalformed) {
		return nil, nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if err != nil {
		return nil, nil, err
	}
	info := &SDJWTInfo{Claims: got.Claims, Disclosable: got.Disclosed, HolderKey: got.HolderKey}
	info.ID, _ = got.Claims["jti"].(string)
	info.Issuer, _ = got.Claims["iss"].(string)
	info.Type, _ = got.Claims["vct"].(string)
	info.Subject, _ = got.Claims["sub"].(string)
	unix := func(k string) time.Time {
		if f, ok := got.Claims[k].(float64); ok {
			return time.Unix(int64(f), 0).UTC()
		}
		return time.Time{}
	}
	info.IssuedAt, info.NotBefore, info.Expires = unix("iat"), unix("nbf"), unix("exp")
	// On receipt there is no key binding (the holder adds it when
	// presenting): the verifier's warning about it does not apply.
	res := *got.Result
	res.Checks = slices.DeleteFunc(slices.Clone(res.Checks), func(c credential.Check) bool { return c.Name == "key-binding" && c.Passed })
	return info, VerificationOf(&res), nil
}

func (h sdjwtHandler) PresentSDJWT(_ context.Context, compact string, disclose []string, key ed25519.PrivateKey, nonce, aud string) (string, error) {
	signer, err := jose.NewSigner(key, "")
	if err != nil {
		return "", err
	}
	out, err := sdjwt.Present(compact, disclose, &sdjwt.KeyBinding{Signer: signer, Audience: aud, Nonce: nonce})
	if errors.Is(err, sdjwt.ErrDisclosure) || errors.Is(err, sdjwt.ErrInvalid) {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return out, err
}

// An SD-JWT VC bound to the holder's wallet key, received, held opaquely,
// and presented with only the chosen claims and a key binding by the
// wallet's key: the real credential/sdjwt verifier accepts it.
func TestSDJWTSelectiveDisclosure(t *testing.T) {
	ctx := context.Background()
	v, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{})
	if err != nil {
		t.Fatal(err)
	}
	s := newWallet(t, openBolt(t), nil, Config{}, WithSDJWT(sdjwtHandler{v}))
	a := holder(t, s, "zhangsan")
	holderPub, err := credential.DecodePublicKey(strings.TrimPrefix(a.DID, "did:key:"))
	if err != nil {
		t.Fatal(err)
	}
	_, issuerKey, _ := ed25519.GenerateKey(rand.Reader)
	issuerDID, issuerVM, _ := jose.DIDKey(issuerKey.Public())
	uni, _ := jose.NewSigner(issuerKey, issuerVM)
	issue := func(subject string, holder ed25519.PublicKey) string {
		t.Helper()
		sd, err := sdjwt.IssueVC(uni, sdjwt.VC{
			Issuer: issuerDID, Type: "https://w3id.org/talentchain/vct/degree", Subject: subject,
			Expires: time.Now().Add(24 * time.Hour),
			Claims: map[string]any{"name": "张三", "birthdate": "2001-02-03",
				"degree": map[string]any{"level": "master", "university": "北京示范大学", "grade": "A"}},
			Disclosable: []string{"/name", "/birthdate", "/degree/level", "/degree/university", "/degree/grade"},
			Holder:      holder,
		})
		if err != nil {
			t.Fatal(err)
		}
		return sd
	}
	c, err := s.Import(ctx, a.ID, []byte(issue(a.DID, holderPub)))
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	if c.Format != FormatSDJWT || c.Issuer != issuerDID || c.Verification.State != StateWarning || len(c.Disclosable) != 5 || c.ValidUntil.IsZero() {
		t.Fatalf("stored %+v %+v", c, c.Verification)
	}
	// Bound to another key, or about someone else: refused.
	otherPub, _, _ := ed25519.GenerateKey(rand.Reader)
	if _, err := s.Import(ctx, a.ID, []byte(issue(a.DID, otherPub))); !errors.Is(err, ErrRejected) {
		t.Fatalf("another key: %v", err)
	}
	if _, err := s.Import(ctx, a.ID, []byte(issue("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", holderPub))); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("another subject: %v", err)
	}
	if _, err := s.Import(ctx, a.ID, []byte("eyJhbGciOiJFZERTQSJ9.e30.c2ln~")); !errors.Is(err, ErrRejected) && !errors.Is(err, ErrInvalid) {
		t.Fatalf("garbage: %v", err)
	}

	// Disclose degree level and university only.
	out, err := s.PresentSDJWT(ctx, a.ID, PresentSDJWTRequest{CredentialID: c.ID, Disclose: []string{"/degree/level", "/degree/university"}, Nonce: "n-42", Audience: "https://hr.example.cn"})
	if err != nil {
		t.Fatalf("present: %v", err)
	}
	got, err := v.Verify(ctx, out, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: "n-42", Audience: "https://hr.example.cn"})
	if err != nil || !got.Result.Verified {
		t.Fatalf("verify: %v %+v", err, got.Result)
	}
	deg, _ := got.Claims["degree"].(map[string]any)
	if deg["level"] != "master" || deg["university"] != "北京示范大学" || deg["grade"] != nil || got.Claims["name"] != nil || got.Claims["birthdate"] != nil {
		t.Fatalf("disclosed %v", got.Claims)
	}
	// Another nonce: refused by the verifier.
	if got, _ := v.Verify(ctx, out, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: "n-43", Audience: "https://hr.example.cn"}); got.Result.Verified {
		t.Fatal("accepted for another nonce")
	}
	if _, err := s.PresentSDJWT(ctx, a.ID, PresentSDJWTRequest{CredentialID: c.ID, Disclose: []string{"/nothing/here"}, Nonce: "n", Audience: "a"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("unknown claim: %v", err)
	}
}
