package issuer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// wallet is a holder's key as a wallet proves it.
type walletKey struct {
	did    string
	pub    ed25519.PublicKey
	signer *jose.Signer // kid = the did:key URL
	bare   *jose.Signer // no kid (the header carries a jwk)
}

func newWalletKey(t testing.TB) *walletKey {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	did, vm, err := jose.DIDKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(priv, vm)
	if err != nil {
		t.Fatal(err)
	}
	b, err := jose.NewSigner(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return &walletKey{did: did, pub: pub, signer: s, bare: b}
}

// proof makes a key proof JWT; edit changes header and claims before signing.
func (w *walletKey) proof(t testing.TB, aud, nonce string, edit func(h, c map[string]any)) string {
	t.Helper()
	h := map[string]any{"typ": ProofJWTType}
	c := map[string]any{"aud": aud, "nonce": nonce, "iat": time.Now().Unix()}
	signer := w.signer
	if edit != nil {
		edit(h, c)
		if _, ok := h["jwk"]; ok {
			signer = w.bare
		}
	}
	p, err := signer.SignJSON(h, c)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProofOfPossession(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			svc := e.svc
			uni := e.org(t, "PoP-"+sc.name, "DegreeCredential:master", TypeTraining)
			const aud = "https://issuer.example.edu.cn"
			w, other := newWalletKey(t), newWalletKey(t)

			// token offers a credential issued with req and exchanges its code.
			token := func(t *testing.T, req *Request) (*Record, string) {
				t.Helper()
				rec, err := svc.Issue(ctx, uni.DID, req)
				if err != nil {
					t.Fatal(err)
				}
				o, err := svc.CreateOffer(ctx, uni.DID, rec.ID, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				tok, err := svc.ExchangeCode(ctx, o.Code, "")
				if err != nil {
					t.Fatal(err)
				}
				return rec, tok.AccessToken
			}
			nonce := func(t *testing.T) string {
				t.Helper()
				n, err := svc.Nonce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				return n
			}
			withProof := func(p string) CredentialRequest { return CredentialRequest{Proofs: &Proofs{JWT: []string{p}}} }

			t.Run("offer by reference: once", func(t *testing.T) {
				rec, err := svc.Issue(ctx, uni.DID, masterDegree(w.did))
				if err != nil {
					t.Fatal(err)
				}
				o, err := svc.CreateOffer(ctx, uni.DID, rec.ID, time.Hour, true)
				if err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(o.OfferURI, aud+"/oid4vci/offers/") || !strings.HasPrefix(o.URIByReference, OfferByReferencePrefix) {
					t.Fatalf("offer %+v", o)
				}
				ref := o.OfferURI[strings.LastIndexByte(o.OfferURI, '/')+1:]
				got, err := svc.OfferByReference(ctx, ref)
				if err != nil || !reflect.DeepEqual(got, o.CredentialOffer) {
					t.Fatalf("by reference: %+v, %v; want %+v", got, err, o.CredentialOffer)
				}
				for _, bad := range []string{ref, "short", strings.Repeat("A", 43), ref + "x"} {
					if _, err := svc.OfferByReference(ctx, bad); !errors.Is(err, ErrNotFound) {
						t.Errorf("OfferByReference(%q): %v", bad, err)
					}
				}
			})

			t.Run("a suspended unbound credential is not delivered in a new active form", func(t *testing.T) {
				orig, tok := token(t, masterDegree(""))
				if _, err := svc.SetStatus(ctx, uni.DID, StatusChange{IDs: []string{orig.ID}, Status: StatusSuspended}); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.RedeemCredential(ctx, tok, withProof(w.proof(t, aud, nonce(t), nil))); !errors.Is(err, ErrConflict) {
					t.Fatalf("redeem a suspended credential: %v, want ErrConflict", err)
				}
				page, err := svc.ListCredentials(ctx, uni.DID, CredentialQuery{Status: StatusActive, Limit: 200})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page.Items {
					if c.Holder == w.did && c.Issued.After(orig.Issued) {
						t.Fatalf("an active bound copy was issued: %+v", c)
					}
				}
			})

			t.Run("refused proofs leave the token for a retry", func(t *testing.T) {
				orig, tok := token(t, masterDegree(""))
				cases := []struct {
					name string
					req  func() CredentialRequest
					want error
				}{
					{"wrong audience", func() CredentialRequest { return withProof(w.proof(t, "https://other.example", nonce(t), nil)) }, ErrInvalidProof},
					{"wrong typ", func() CredentialRequest {
						return withProof(w.proof(t, aud, nonce(t), func(h, _ map[string]any) { h["typ"] = "JWT" }))
					}, ErrInvalidProof},
					{"stale iat", func() CredentialRequest {
						return withProof(w.proof(t, aud, nonce(t), func(_, c map[string]any) { c["iat"] = time.Now().Add(-time.Hour).Unix() }))
					}, ErrInvalidProof},
					{"iat in the future", func() CredentialRequest {
						return withProof(w.proof(t, aud, nonce(t), func(_, c map[string]any) { c["iat"] = time.Now().Add(time.Hour).Unix() }))
					}, ErrInvalidProof},
					{"signed by another key than its kid", func() CredentialRequest {
						p := w.proof(t, aud, nonce(t), nil)
						q := other.proof(t, aud, "x", nil)
						return withProof(p[:strings.LastIndexByte(p, '.')] + q[strings.LastIndexByte(q, '.'):])
					}, ErrInvalidProof},
					{"kid and jwk both", func() CredentialRequest {
						jwk, _ := jose.PublicJWK(w.pub)
						return withProof(w.proof(t, aud, nonce(t), func(h, _ map[string]any) { h["jwk"] = jwk; h["kid"] = "x" }))
					}, ErrInvalidProof},
					{"a nonce this issuer never gave", func() CredentialRequest { return withProof(w.proof(t, aud, strings.Repeat("n", 32), nil)) }, ErrInvalidNonce},
					{"no nonce", func() CredentialRequest { return withProof(w.proof(t, aud, "", nil)) }, ErrInvalidNonce},
					{"another configuration", func() CredentialRequest {
						r := withProof(w.proof(t, aud, nonce(t), nil))
						r.ConfigurationID = "DegreeCredential_dc+sd-jwt"
						return r
					}, ErrCredentialRequest},
					{"two proofs", func() CredentialRequest {
						return CredentialRequest{Proofs: &Proofs{JWT: []string{"a.b.c", "d.e.f"}}}
					}, ErrCredentialRequest},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						if _, err := svc.RedeemCredential(ctx, tok, c.req()); !errors.Is(err, c.want) {
							t.Fatalf("got %v, want %v", err, c.want)
						}
					})
				}
				// The token still works with a good proof.
				rec, err := svc.RedeemCredential(ctx, tok, withProof(w.proof(t, aud, nonce(t), nil)))
				if err != nil {
					t.Fatal(err)
				}
				var doc struct {
					Subject map[string]any `json:"credentialSubject"`
				}
				if err := json.Unmarshal(rec.Credential, &doc); err != nil || doc.Subject["id"] != w.did || rec.Receipt == nil {
					t.Fatalf("bound credential %s, receipt %v", rec.Credential, rec.Receipt)
				}
				verify(t, ctx, n.Client(), rec)
				if _, err := svc.RedeemCredential(ctx, tok, withProof(w.proof(t, aud, nonce(t), nil))); !errors.Is(err, ErrOfferInvalid) {
					t.Fatalf("second redemption: %v", err)
				}
				// The unbound original is replaced: linked both ways, revoked,
				// and left out of the organisation's list.
				if rec.Replaces != orig.ID || rec.ID == orig.ID {
					t.Fatalf("delivered %s replaces %q, want %s", rec.ID, rec.Replaces, orig.ID)
				}
				old, err := svc.Credential(ctx, uni.DID, orig.ID)
				if err != nil || old.ReplacedBy != rec.ID || old.Status != StatusRevoked {
					t.Fatalf("original after delivery: %+v, %v", old, err)
				}
				if got, err := svc.Credential(ctx, uni.DID, rec.ID); err != nil || got.Replaces != orig.ID || got.Status != StatusActive {
					t.Fatalf("delivered record: %+v, %v", got, err)
				}
				page, err := svc.ListCredentials(ctx, uni.DID, CredentialQuery{Limit: 100})
				if err != nil {
					t.Fatal(err)
				}
				for _, c := range page.Items {
					if c.ID == orig.ID {
						t.Fatal("the replaced original is still listed")
					}
				}
			})

			t.Run("a replayed proof is refused", func(t *testing.T) {
				_, tok1 := token(t, masterDegree(""))
				_, tok2 := token(t, masterDegree(""))
				p := w.proof(t, aud, nonce(t), nil)
				if _, err := svc.RedeemCredential(ctx, tok1, withProof(p)); err != nil {
					t.Fatal(err)
				}
				if _, err := svc.RedeemCredential(ctx, tok2, withProof(p)); !errors.Is(err, ErrInvalidNonce) {
					t.Fatalf("replayed proof: %v", err)
				}
			})

			t.Run("SD-JWT bound by a jwk proof with the token's c_nonce", func(t *testing.T) {
				req := training()
				req.Format = FormatSDJWT
				rec0, err := svc.Issue(ctx, uni.DID, req)
				if err != nil {
					t.Fatal(err)
				}
				o, err := svc.CreateOffer(ctx, uni.DID, rec0.ID, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				if o.CredentialOffer.CredentialConfigurationIDs[0] != "TrainingCertificateCredential_dc+sd-jwt" {
					t.Fatalf("offer %+v", o.CredentialOffer)
				}
				tok, err := svc.ExchangeCode(ctx, o.Code, "")
				if err != nil {
					t.Fatal(err)
				}
				jwk, _ := jose.PublicJWK(w.pub)
				r := CredentialRequest{ConfigurationID: "TrainingCertificateCredential_dc+sd-jwt",
					Proof: &LegacyProof{ProofType: "jwt", JWT: w.proof(t, aud, tok.CNonce, func(h, _ map[string]any) { h["jwk"] = jwk })}}
				resolved := holderResolutions.Load()
				rec, err := svc.RedeemCredential(ctx, tok.AccessToken, r)
				if err != nil {
					t.Fatal(err)
				}
				// The proof's key is the holder's: not resolved again to
				// validate, bind and sign.
				if n := holderResolutions.Load() - resolved; n != 0 {
					t.Fatalf("the holder's key was resolved %d more times at delivery", n)
				}
				var compact string
				_ = json.Unmarshal(rec.Credential, &compact)
				v, _ := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: chainResolver{n.Client()}})
				got, err := v.Verify(ctx, compact, sdjwt.VerifyOptions{})
				if err != nil || !got.Result.Verified || got.Claims["sub"] != w.did || !w.pub.Equal(got.HolderKey) || rec.ID == rec0.ID {
					t.Fatalf("bound SD-JWT: %v %+v %v", err, got.Result, got.Claims)
				}
			})

			t.Run("a credential issued to a holder", func(t *testing.T) {
				_, tok := token(t, masterDegree(w.did))
				if _, err := svc.RedeemCredential(ctx, tok, withProof(other.proof(t, aud, nonce(t), nil))); !errors.Is(err, ErrInvalidProof) {
					t.Fatalf("another key's proof: %v", err)
				}
				rec, err := svc.RedeemCredential(ctx, tok, withProof(w.proof(t, aud, nonce(t), nil)))
				if err != nil || !strings.Contains(string(rec.Credential), w.did) {
					t.Fatalf("holder's proof: %v", err)
				}
				_, tok = token(t, masterDegree(w.did))
				if _, err := svc.RedeemAccessToken(ctx, tok); err != nil {
					t.Fatalf("without a proof (bound at issuance): %v", err)
				}
				// Without a proof an unbound credential is delivered as issued.
				rec0, tok := token(t, masterDegree(""))
				rec, err = svc.RedeemCredential(ctx, tok, CredentialRequest{})
				if err != nil || rec.ID != rec0.ID || strings.Contains(string(rec.Credential), "did:key") {
					t.Fatalf("unbound without a proof: %v", err)
				}
			})
		})
	}
}
