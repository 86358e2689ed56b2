package issuer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// clock is a service clock the test moves forward.
type clock struct{ offset atomic.Int64 }

func (c *clock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *clock) advance(d time.Duration) { c.offset.Add(int64(d)) }

func TestOffer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			clk := &clock{}
			svc := e.service(t, n.Client(), Config{Now: clk.now})
			uni := e.org(t, "Offer-"+sc.name, "DegreeCredential:master", TypeTraining)
			other := e.org(t, "OfferOther-"+sc.name, TypeTraining)
			issue := func(t *testing.T) *Record {
				t.Helper()
				rec, err := svc.Issue(ctx, uni.DID, masterDegree(holder))
				if err != nil {
					t.Fatal(err)
				}
				return rec
			}
			var secrets []string // every code, tx code and token handed out

			t.Run("happy path", func(t *testing.T) {
				rec := issue(t)
				before := clk.now()
				o, err := svc.CreateOffer(ctx, uni.DID, rec.ID, 0, true)
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, o.Code, o.TxCode)
				if d := o.Expires.Sub(before); d < DefaultOfferTTL-2*time.Second || d > DefaultOfferTTL+time.Second {
					t.Errorf("expires in %v, want 7 days", d)
				}
				if raw, err := base64.RawURLEncoding.DecodeString(o.Code); err != nil || len(raw) != 32 {
					t.Errorf("code %q is not 256 bits of base64url", o.Code)
				}
				if !regexp.MustCompile(`^[0-9]{6}$`).MatchString(o.TxCode) {
					t.Errorf("tx code %q", o.TxCode)
				}
				// The agreed wire shape, exactly.
				raw, _ := json.Marshal(o.CredentialOffer)
				want := `{"credential_issuer":"https://issuer.example.edu.cn","credential_configuration_ids":["DegreeCredential_ldp_vc"],` +
					`"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"` + o.Code +
					`","tx_code":{"length":6,"input_mode":"numeric"}}}}`
				if string(raw) != want {
					t.Errorf("credential offer\n%s\nwant\n%s", raw, want)
				}
				q, ok := strings.CutPrefix(o.URI, "openid-credential-offer://?credential_offer=")
				if !ok {
					t.Fatalf("URI %s", o.URI)
				}
				if dec, err := url.QueryUnescape(q); err != nil || dec != want {
					t.Errorf("URI carries %q, %v", dec, err)
				}
				if o.ClaimURL != "https://issuer.example.edu.cn/offers/"+o.ID+"#"+o.Code {
					t.Errorf("claim URL %s", o.ClaimURL)
				}
				info, err := svc.OfferInfo(ctx, o.ID)
				if err != nil || info.CredentialConfigurationID != "DegreeCredential_ldp_vc" || !info.TxCodeRequired || info.Used || info.Issuer != uni.DID {
					t.Fatalf("OfferInfo %+v, %v", info, err)
				}

				tok, err := svc.ExchangeCode(ctx, o.Code, o.TxCode)
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, tok.AccessToken, tok.CNonce)
				if tok.TokenType != "Bearer" || tok.ExpiresIn != 300 || tok.CNonce == "" || !strings.HasPrefix(tok.AccessToken, "tcat_") {
					t.Errorf("access token %+v", tok)
				}
				got, err := svc.RedeemAccessToken(ctx, tok.AccessToken)
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != rec.ID || !bytes.Equal(got.Credential, rec.Credential) || got.Receipt == nil {
					t.Fatalf("redeemed %+v", got)
				}
				verify(t, ctx, n.Client(), got)
				if info, _ := svc.OfferInfo(ctx, o.ID); !info.Used {
					t.Error("the offer is not marked used")
				}

				// Replays.
				if _, err := svc.ExchangeCode(ctx, o.Code, o.TxCode); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("code replayed: %v", err)
				}
				if _, err := svc.RedeemAccessToken(ctx, tok.AccessToken); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("access token replayed: %v", err)
				}
			})

			t.Run("without tx code", func(t *testing.T) {
				rec := issue(t)
				o, err := svc.CreateOffer(ctx, uni.DID, rec.ID, time.Hour, false)
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, o.Code)
				raw, _ := json.Marshal(o.CredentialOffer)
				if strings.Contains(string(raw), "tx_code") || o.TxCode != "" {
					t.Errorf("offer without tx code: %s", raw)
				}
				if _, err := svc.ExchangeCode(ctx, o.Code, "123456"); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("a tx code the offer did not ask for: %v", err)
				}
				tok, err := svc.ExchangeCode(ctx, o.Code, "")
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, tok.AccessToken)
				if _, err := svc.RedeemAccessToken(ctx, tok.AccessToken); err != nil {
					t.Fatal(err)
				}
			})

			t.Run("wrong tx codes", func(t *testing.T) {
				rec := issue(t)
				for _, wrong := range []int{4, 5} {
					o, err := svc.CreateOffer(ctx, uni.DID, rec.ID, 0, true)
					if err != nil {
						t.Fatal(err)
					}
					secrets = append(secrets, o.Code, o.TxCode)
					bad := "000000"
					if o.TxCode == bad {
						bad = "000001"
					}
					for i := range wrong {
						guess := bad
						if i == 1 {
							guess = "" // a missing code counts too
						}
						if _, err := svc.ExchangeCode(ctx, o.Code, guess); !errors.Is(err, ErrOfferInvalid) {
							t.Fatalf("wrong tx code %d: %v", i+1, err)
						}
					}
					tok, err := svc.ExchangeCode(ctx, o.Code, o.TxCode)
					if wrong < MaxTxCodeAttempts {
						if err != nil {
							t.Fatalf("the right code after %d wrong ones: %v", wrong, err)
						}
						secrets = append(secrets, tok.AccessToken)
					} else if !errors.Is(err, ErrOfferInvalid) {
						t.Fatalf("the right code after %d wrong ones: %v; want the offer burnt", wrong, err)
					}
				}
			})

			t.Run("expired", func(t *testing.T) {
				rec := issue(t)
				o, err := svc.CreateOffer(ctx, uni.DID, rec.ID, time.Hour, false)
				if err != nil {
					t.Fatal(err)
				}
				o2, err := svc.CreateOffer(ctx, uni.DID, rec.ID, 2*time.Hour, false)
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, o.Code, o2.Code)
				clk.advance(time.Hour + time.Second)
				defer clk.advance(-(time.Hour + time.Second))
				if _, err := svc.ExchangeCode(ctx, o.Code, ""); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("expired offer: %v", err)
				}
				tok, err := svc.ExchangeCode(ctx, o2.Code, "")
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, tok.AccessToken)
				clk.advance(AccessTokenTTL)
				defer clk.advance(-AccessTokenTTL)
				if _, err := svc.RedeemAccessToken(ctx, tok.AccessToken); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("expired access token: %v", err)
				}
			})

			t.Run("refused", func(t *testing.T) {
				rec := issue(t)
				if _, err := svc.CreateOffer(ctx, other.DID, rec.ID, 0, false); !errors.Is(err, ErrNotFound) {
					t.Errorf("offer of another organisation's credential: %v", err)
				}
				for _, id := range []string{"", "urn:uuid:00000000-0000-4000-8000-000000000000", "../cred/x", "x\x00"} {
					if _, err := svc.CreateOffer(ctx, uni.DID, id, 0, false); !errors.Is(err, ErrNotFound) {
						t.Errorf("offer of %q: %v", id, err)
					}
				}
				for _, ttl := range []time.Duration{-time.Hour, time.Second, MaxOfferTTL + time.Second} {
					if _, err := svc.CreateOffer(ctx, uni.DID, rec.ID, ttl, false); !errors.Is(err, ErrInvalid) {
						t.Errorf("ttl %v: %v", ttl, err)
					}
				}
				if _, err := svc.CreateOffer(ctx, uni.DID, rec.ID, MaxOfferTTL, false); err != nil {
					t.Errorf("ttl 30 days: %v", err)
				}
				for _, code := range []string{"", "x", strings.Repeat("A", 43), strings.Repeat("A", 42) + "=", strings.Repeat("é", 22)} {
					if _, err := svc.ExchangeCode(ctx, code, ""); !errors.Is(err, ErrOfferInvalid) {
						t.Errorf("code %q: %v", code, err)
					}
				}
				for _, tok := range []string{"", "tcat_", "tcat_" + strings.Repeat("A", 43), strings.Repeat("A", 48)} {
					if _, err := svc.RedeemAccessToken(ctx, tok); !errors.Is(err, ErrOfferInvalid) {
						t.Errorf("token %q: %v", tok, err)
					}
				}
				if _, err := svc.OfferInfo(ctx, "nope"); !errors.Is(err, ErrNotFound) {
					t.Errorf("OfferInfo of a bad id: %v", err)
				}
			})

			// Decision: a revoked credential is never delivered (revocation is
			// often a mistaken issuance whose personal data should not spread);
			// a suspended one is, and the wallet shows it suspended.
			t.Run("revoked and suspended", func(t *testing.T) {
				revoked, suspended, later := issue(t), issue(t), issue(t)
				oSus, err := svc.CreateOffer(ctx, uni.DID, suspended.ID, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				oLater, err := svc.CreateOffer(ctx, uni.DID, later.ID, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				oLater2, err := svc.CreateOffer(ctx, uni.DID, later.ID, 0, false)
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, oSus.Code, oLater.Code, oLater2.Code)
				tokLater, err := svc.ExchangeCode(ctx, oLater2.Code, "")
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, tokLater.AccessToken)
				for _, c := range []StatusChange{
					{IDs: []string{revoked.ID, later.ID}, Status: StatusRevoked, Reason: "issued by mistake"},
					{IDs: []string{suspended.ID}, Status: StatusSuspended},
				} {
					if _, err := svc.SetStatus(ctx, uni.DID, c); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := svc.CreateOffer(ctx, uni.DID, revoked.ID, 0, false); !errors.Is(err, ErrConflict) {
					t.Errorf("offer of a revoked credential: %v", err)
				}
				if _, err := svc.ExchangeCode(ctx, oLater.Code, ""); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("exchange for a credential revoked since the offer: %v", err)
				}
				if _, err := svc.RedeemAccessToken(ctx, tokLater.AccessToken); !errors.Is(err, ErrOfferInvalid) {
					t.Errorf("redeem for a credential revoked since the exchange: %v", err)
				}
				tok, err := svc.ExchangeCode(ctx, oSus.Code, "")
				if err != nil {
					t.Fatal(err)
				}
				secrets = append(secrets, tok.AccessToken)
				got, err := svc.RedeemAccessToken(ctx, tok.AccessToken)
				if err != nil || got.Status != StatusSuspended {
					t.Fatalf("suspended credential: %+v, %v", got, err)
				}
			})

			t.Run("metadata", func(t *testing.T) {
				raw, err := json.Marshal(svc.IssuerMetadata())
				if err != nil {
					t.Fatal(err)
				}
				var md struct {
					Issuer     string `json:"credential_issuer"`
					Credential string `json:"credential_endpoint"`
					Token      string `json:"token_endpoint"`
					Nonce      string `json:"nonce_endpoint"`
					Configs    map[string]struct {
						Format string `json:"format"`
						VCT    string `json:"vct"`
						Proofs map[string]struct {
							Algs []string `json:"proof_signing_alg_values_supported"`
						} `json:"proof_types_supported"`
						Binding    []string `json:"cryptographic_binding_methods_supported"`
						Definition struct {
							Context []string `json:"@context"`
							Type    []string `json:"type"`
						} `json:"credential_definition"`
					} `json:"credential_configurations_supported"`
				}
				if err := json.Unmarshal(raw, &md); err != nil {
					t.Fatal(err)
				}
				base := "https://issuer.example.edu.cn"
				if md.Issuer != base || md.Credential != base+"/oid4vci/credential" || md.Token != base+"/oid4vci/token" ||
					md.Nonce != base+"/oid4vci/nonce" {
					t.Errorf("metadata %s", raw)
				}
				var ids []string
				for id, c := range md.Configs {
					ids = append(ids, id)
					if !slices.Equal(c.Proofs["jwt"].Algs, []string{"EdDSA", "ES256"}) {
						t.Errorf("configuration %s: proof types %+v", id, c.Proofs)
					}
					if typ, ok := strings.CutSuffix(id, "_dc+sd-jwt"); ok {
						if c.Format != "dc+sd-jwt" || c.VCT != VCT(typ) || !slices.Contains(c.Binding, "did:key") {
							t.Errorf("configuration %s: %+v", id, c)
						}
						continue
					}
					typ := strings.TrimSuffix(id, "_ldp_vc")
					if c.Format != "ldp_vc" || !slices.Equal(c.Binding, []string{"did:key"}) ||
						!slices.Equal(c.Definition.Type, []string{"VerifiableCredential", typ}) || len(c.Definition.Context) != 2 {
						t.Errorf("configuration %s: %+v", id, c)
					}
				}
				slices.Sort(ids)
				want := []string{"CourseCompletionCredential_dc+sd-jwt", "CourseCompletionCredential_ldp_vc", "DegreeCredential_dc+sd-jwt",
					"DegreeCredential_ldp_vc", "TrainingCertificateCredential_dc+sd-jwt", "TrainingCertificateCredential_ldp_vc"}
				if !slices.Equal(ids, want) {
					t.Errorf("configurations %v, want %v", ids, want)
				}
				for _, tm := range svc.Templates() {
					if _, ok := md.Configs[configurationID(tm.Type, FormatSDJWT)]; !ok {
						t.Errorf("template %s's type has no SD-JWT configuration", tm.ID)
					}
					if _, ok := md.Configs[configurationID(tm.Type, FormatV2)]; !ok {
						t.Errorf("template %s's type has no configuration", tm.ID)
					}
				}
			})

			// Nothing handed out is kept in clear: neither as text, nor as
			// its bytes in hex or standard base64.
			t.Run("raw store", func(t *testing.T) {
				if len(secrets) < 10 {
					t.Fatalf("only %d secrets collected", len(secrets))
				}
				var all []store.Entry
				after := ""
				for {
					page, err := e.raw.List(ctx, "", store.ListOptions{After: after, Limit: store.MaxListLimit})
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, page...)
					if len(page) < store.MaxListLimit {
						break
					}
					after = page[len(page)-1].Key
				}
				for _, s := range secrets {
					needles := []string{s}
					if len(s) == 6 {
						needles = []string{`"` + s + `"`, ":" + s + ":"} // a PIN, as a JSON string or a key part
					} else if raw, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(s, "tcat_")); err == nil {
						needles = append(needles, hex.EncodeToString(raw), base64.StdEncoding.EncodeToString(raw))
					}
					for _, ent := range all {
						for _, nd := range needles {
							if strings.Contains(ent.Key, nd) || bytes.Contains(ent.Value, []byte(nd)) {
								t.Fatalf("a secret (%d chars) is stored in clear under %s", len(s), ent.Key)
							}
						}
					}
				}
			})
		})
	}
}

// FuzzOfferInputs: codes, transaction codes and access tokens come from
// wallets. Nothing panics, and anything but a live code or token is
// ErrOfferInvalid.
func FuzzOfferInputs(f *testing.F) {
	f.Add("", "", "")
	f.Add(strings.Repeat("A", 43), "123456", "tcat_"+strings.Repeat("b", 43))
	f.Add("é\x00/..", "12345\x00", "tcat_\xff")
	db, err := bolt.Open(filepath.Join(f.TempDir(), "fuzz.db"), bolt.Config{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	defer db.Close()
	s := &Service{cfg: Config{Now: time.Now, BaseURL: "https://issuer.example"}, st: store.WithPrefix(db, "issuer/"), log: slog.New(slog.DiscardHandler)}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, code, txCode, token string) {
		if _, err := s.ExchangeCode(ctx, code, txCode); !errors.Is(err, ErrOfferInvalid) {
			t.Fatalf("ExchangeCode(%q, %q) = %v", code, txCode, err)
		}
		if _, err := s.RedeemAccessToken(ctx, token); !errors.Is(err, ErrOfferInvalid) {
			t.Fatalf("RedeemAccessToken(%q) = %v", token, err)
		}
		if _, err := s.OfferInfo(ctx, code); !errors.Is(err, ErrNotFound) {
			t.Fatalf("OfferInfo(%q) = %v", code, err)
		}
	})
}
