package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
)

// Offers by reference and proofs of possession against the real issuer
// service: a credential issued without a holder comes back bound to the
// wallet's key (ldp_vc: the subject id; SD-JWT VC: sub and cnf), the
// offer's reference works once, and a replayed or wrong nonce is refused
// by the issuer with invalid_nonce, which the wallet recovers from with a
// fresh nonce.
func TestAcceptOfferWithProof(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	is := newIssuerServer(t, false)
	iss, err := issuer.New(issuer.Config{ChainID: f.node.ChainID(), BaseURL: is.srv.URL, BatchDelay: 20 * time.Millisecond},
		store.WithPrefix(f.db, "issuer/"), f.keys, f.node.Client(), credential.MustLoader(), issuer.WithGovernance(f.gov))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	var proofs, badNonces int
	staleNonce := ""
	is.setOverride(func(w http.ResponseWriter, r *http.Request) bool {
		reply := func(v any, err error) {
			switch {
			case errors.Is(err, issuer.ErrOfferInvalid):
				oauthError(w, "invalid_grant")
			case errors.Is(err, issuer.ErrInvalidNonce):
				badNonces++
				oauthError(w, "invalid_nonce")
			case errors.Is(err, issuer.ErrInvalidProof):
				oauthError(w, "invalid_proof")
			case errors.Is(err, issuer.ErrNotFound):
				w.WriteHeader(http.StatusNotFound)
			case err != nil:
				w.WriteHeader(http.StatusInternalServerError)
			default:
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(v)
			}
		}
		switch {
		case strings.HasPrefix(r.URL.Path, "/oid4vci/offers/"):
			reply(iss.OfferByReference(r.Context(), strings.TrimPrefix(r.URL.Path, "/oid4vci/offers/")))
		case r.URL.Path == "/oid4vci/token":
			r.ParseForm()
			tok, err := iss.ExchangeCode(r.Context(), r.PostForm.Get("pre-authorized_code"), r.PostForm.Get("tx_code"))
			if err == nil && staleNonce != "" {
				tok.CNonce = staleNonce // a used nonce: the wallet must ask for a fresh one
			}
			reply(tok, err)
		case r.URL.Path == "/oid4vci/nonce":
			n, err := iss.Nonce(r.Context())
			reply(map[string]string{"c_nonce": n}, err)
		case r.URL.Path == "/oid4vci/credential":
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			var req issuer.CredentialRequest
			if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
				w.WriteHeader(http.StatusBadRequest)
				return true
			}
			if req.Proofs != nil {
				proofs++
			}
			rec, err := iss.RedeemCredential(r.Context(), tok, req)
			if err != nil {
				reply(nil, err)
				return true
			}
			reply(map[string]any{"credentials": []any{map[string]any{"credential": rec.Credential}}, "anchorReceipt": rec.Receipt}, nil)
		default:
			return false
		}
		return true
	})
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			s := newWallet(t, sc.open(t), nil, Config{AllowedOrigins: []string{is.srv.URL}}, WithSDJWT(sdjwtHandler{sdVerifier(t)}))
			a := holder(t, s, "popholder")
			for _, format := range []issuer.Format{issuer.FormatV2, issuer.FormatSDJWT} {
				t.Run(string(format), func(t *testing.T) {
					req := masterDegree("")
					req.Format = format
					unbound, err := iss.Issue(ctx, f.uni.DID, req)
					if err != nil {
						t.Fatal(err)
					}
					offer, err := iss.CreateOffer(ctx, f.uni.DID, unbound.ID, time.Hour, false)
					if err != nil {
						t.Fatal(err)
					}
					before := proofs
					got, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer.URIByReference})
					if err != nil || len(got) != 1 {
						t.Fatalf("accept: %+v %v", got, err)
					}
					c := got[0]
					if proofs != before+1 || c.Subject != a.DID || c.CredentialID == unbound.ID || !c.Anchored || c.Verification.State != StateValid {
						t.Fatalf("received %+v %+v (proofs %d)", c, c.Verification, proofs-before)
					}
					if format == issuer.FormatSDJWT && c.Format != FormatSDJWT {
						t.Fatalf("format %s", c.Format)
					}
					// The reference works once.
					if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer.URIByReference}); !errors.Is(err, ErrOfferRefused) {
						t.Fatalf("reference reused: %v", err)
					}
				})
			}
			t.Run("a used c_nonce from the token endpoint", func(t *testing.T) {
				n, err := iss.Nonce(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// The token endpoint gives this nonce every time: fresh for
				// the first offer, used for the second.
				staleNonce = n
				defer func() { staleNonce = "" }()
				unbound, err := iss.Issue(ctx, f.uni.DID, masterDegree(""))
				if err != nil {
					t.Fatal(err)
				}
				offer, err := iss.CreateOffer(ctx, f.uni.DID, unbound.ID, time.Hour, false)
				if err != nil {
					t.Fatal(err)
				}
				first := badNonces
				got, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer.URI})
				if err != nil || len(got) != 1 || got[0].Subject != a.DID {
					t.Fatalf("accept: %+v %v", got, err)
				}
				// The first try used the token's nonce (fresh then); a second
				// offer with the same stale nonce is refused once, then
				// retried with the nonce endpoint's.
				unbound2, _ := iss.Issue(ctx, f.uni.DID, masterDegree(""))
				offer2, _ := iss.CreateOffer(ctx, f.uni.DID, unbound2.ID, time.Hour, false)
				if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer2.URI}); err != nil {
					t.Fatalf("accept with a stale nonce: %v", err)
				}
				if badNonces != first+1 {
					t.Fatalf("invalid_nonce answers: %d", badNonces-first)
				}
			})
		})
	}
}
