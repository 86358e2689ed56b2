package wallet

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
)

// issuerServer is an OpenID4VCI issuer in the test, with the agreed wire
// shapes (the issuer's own endpoints are written concurrently): offers of
// real anchored records, pre-authorized codes and access tokens single use,
// an optional transaction code. override, when set, answers instead.
type issuerServer struct {
	srv      *httptest.Server
	mu       sync.Mutex
	offers   map[string]*testOffer // by pre-authorized code
	tokens   map[string]*issuer.Record
	hits     atomic.Int64
	ovMu     sync.Mutex
	override func(w http.ResponseWriter, r *http.Request) bool
}

func (is *issuerServer) setOverride(f func(w http.ResponseWriter, r *http.Request) bool) {
	is.ovMu.Lock()
	defer is.ovMu.Unlock()
	is.override = f
}

type testOffer struct {
	rec    *issuer.Record
	txCode string
}

func newIssuerServer(t testing.TB, useTLS bool) *issuerServer {
	is := &issuerServer{offers: map[string]*testOffer{}, tokens: map[string]*issuer.Record{}}
	h := http.HandlerFunc(is.serve)
	if useTLS {
		is.srv = httptest.NewTLSServer(h)
	} else {
		is.srv = httptest.NewServer(h)
	}
	t.Cleanup(is.srv.Close)
	return is
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// offer returns an offer link for rec.
func (is *issuerServer) offer(rec *issuer.Record, txCode string) string {
	code := randomToken()
	is.mu.Lock()
	is.offers[code] = &testOffer{rec: rec, txCode: txCode}
	is.mu.Unlock()
	grant := map[string]any{"pre-authorized_code": code}
	if txCode != "" {
		grant["tx_code"] = map[string]any{"length": len(txCode), "input_mode": "numeric"}
	}
	b, _ := json.Marshal(map[string]any{
		"credential_issuer":            is.srv.URL,
		"credential_configuration_ids": []string{rec.Type + "_ldp_vc"},
		"grants":                       map[string]any{GrantPreAuthorized: grant},
	})
	return "openid-credential-offer://?credential_offer=" + url.QueryEscape(string(b))
}

func oauthError(w http.ResponseWriter, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": "test issuer says no"})
}

func (is *issuerServer) serve(w http.ResponseWriter, r *http.Request) {
	is.hits.Add(1)
	is.ovMu.Lock()
	ov := is.override
	is.ovMu.Unlock()
	if ov != nil && ov(w, r) {
		return
	}
	is.mu.Lock()
	defer is.mu.Unlock()
	switch r.URL.Path {
	case "/oid4vci/token":
		if r.Method != http.MethodPost || r.ParseForm() != nil || r.PostForm.Get("grant_type") != GrantPreAuthorized {
			oauthError(w, "invalid_request")
			return
		}
		code := r.PostForm.Get("pre-authorized_code")
		o, ok := is.offers[code]
		if !ok {
			oauthError(w, "invalid_grant")
			return
		}
		delete(is.offers, code) // single use, also after a wrong PIN
		if o.txCode != r.PostForm.Get("tx_code") {
			oauthError(w, "invalid_grant")
			return
		}
		tok := randomToken()
		is.tokens[tok] = o.rec
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 300, "c_nonce": "n"})
	case "/oid4vci/credential":
		tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		rec, ok := is.tokens[tok]
		var body struct {
			ID string `json:"credential_configuration_id"`
		}
		if !ok || json.NewDecoder(r.Body).Decode(&body) != nil || body.ID != rec.Type+"_ldp_vc" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		delete(is.tokens, tok)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"credentials": []any{map[string]any{"credential": rec.Credential}}, "anchorReceipt": rec.Receipt})
	default:
		http.NotFound(w, r)
	}
}

func TestAcceptOffer(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	is := newIssuerServer(t, false)
	s := newWallet(t, openBolt(t), nil, Config{AllowedOrigins: []string{is.srv.URL}})
	a := holder(t, s, "zhangsan")
	rec := f.issue(t, masterDegree(a.DID))

	link := is.offer(rec, "")
	got, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: link})
	if err != nil || len(got) != 1 {
		t.Fatalf("accept: %v", err)
	}
	c := got[0]
	if c.Source != SourceOffer || c.Origin != is.srv.URL || c.Receipt == nil || c.Verification.State != StateValid || c.Subject != a.DID {
		t.Fatalf("received %+v %+v", c, c.Verification)
	}
	// The code is single use: a replay is refused by the issuer.
	if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: link}); !errors.Is(err, ErrOfferRefused) {
		t.Fatalf("replay: %v", err)
	}

	// Transaction code: required, in its shape, and checked by the issuer.
	rec2 := f.issue(t, training(a.DID, "BC-301"))
	pin := is.offer(rec2, "493817")
	for _, tc := range []struct {
		code string
		want error
	}{{"", ErrInvalid}, {"12345", ErrInvalid}, {"12a456", ErrInvalid}} {
		if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: pin, TxCode: tc.code}); !errors.Is(err, tc.want) {
			t.Fatalf("tx code %q: %v", tc.code, err)
		}
	}
	if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: pin, TxCode: "493818"}); !errors.Is(err, ErrOfferRefused) {
		t.Fatalf("wrong tx code: %v", err)
	}
	pin = is.offer(rec2, "493817")
	if got, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: pin, TxCode: "493817"}); err != nil || len(got) != 1 {
		t.Fatalf("right tx code: %v", err)
	}
	if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: link, TxCode: "1"}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a tx code nobody asked for: %v", err)
	}

	// Another holder's credential offered to this holder: refused.
	b := holder(t, s, "lisi")
	if _, err := s.AcceptOffer(ctx, b.ID, AcceptOffer{Offer: is.offer(f.issue(t, training(a.DID, "BC-302")), "")}); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("another holder's: %v", err)
	}
}

func TestOfferSSRF(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	plain := newIssuerServer(t, false)
	tlsSrv := newIssuerServer(t, true)
	rec := f.issue(t, training("", "BC-401"))

	// Allow-list: only the listed origin is called.
	s := newWallet(t, openBolt(t), nil, Config{AllowedOrigins: []string{"https://issuer.example.edu.cn"}})
	a := holder(t, s, "zhangsan")
	if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: plain.offer(rec, "")}); !errors.Is(err, ErrForbiddenURL) {
		t.Fatalf("not allowed: %v", err)
	}
	// No allow-list: https only, and never to a private or loopback
	// address (checked when dialling, so DNS cannot point elsewhere).
	open := newWallet(t, openBolt(t), nil, Config{})
	b := holder(t, open, "lisi")
	if _, err := open.AcceptOffer(ctx, b.ID, AcceptOffer{Offer: plain.offer(rec, "")}); !errors.Is(err, ErrForbiddenURL) {
		t.Fatalf("plain http: %v", err)
	}
	if _, err := open.AcceptOffer(ctx, b.ID, AcceptOffer{Offer: tlsSrv.offer(rec, "")}); !errors.Is(err, ErrForbiddenURL) {
		t.Fatalf("loopback: %v", err)
	}
	if n := plain.hits.Load() + tlsSrv.hits.Load(); n != 0 {
		t.Fatalf("%d requests reached a forbidden issuer", n)
	}
	for _, u := range []string{"file:///etc/passwd", "gopher://x", "https://user:pw@issuer.example/", "https://issuer.example/#frag"} {
		if _, _, err := open.remote.checkURL(u); !errors.Is(err, ErrForbiddenURL) {
			t.Errorf("%s: %v", u, err)
		}
	}
}

func TestOfferBadIssuer(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	is := newIssuerServer(t, false)
	s := newWallet(t, openBolt(t), nil, Config{AllowedOrigins: []string{is.srv.URL}, MaxResponseBytes: 64 << 10})
	a := holder(t, s, "zhangsan")
	rec := f.issue(t, masterDegree(a.DID))
	other := f.issue(t, training(a.DID, "BC-501"))
	json200 := func(w http.ResponseWriter, v any) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	onCredential := func(fn func(w http.ResponseWriter)) func(w http.ResponseWriter, r *http.Request) bool {
		return func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/oid4vci/credential" {
				return false
			}
			fn(w)
			return true
		}
	}
	cases := []struct {
		name     string
		override func(w http.ResponseWriter, r *http.Request) bool
		want     error
	}{
		{"redirect", func(w http.ResponseWriter, r *http.Request) bool {
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data", http.StatusFound)
			return true
		}, ErrRemote},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) bool {
			w.Write([]byte("<html>hello</html>"))
			return true
		}, ErrRemote},
		{"not a Bearer token", func(w http.ResponseWriter, r *http.Request) bool {
			if r.URL.Path != "/oid4vci/token" {
				return false
			}
			json200(w, map[string]any{"access_token": "x", "token_type": "DPoP"})
			return true
		}, ErrRemote},
		{"huge", onCredential(func(w http.ResponseWriter) {
			json200(w, map[string]any{"pad": strings.Repeat("x", 100<<10)})
		}), ErrRemote},
		{"no credentials", onCredential(func(w http.ResponseWriter) { json200(w, map[string]any{"credentials": []any{}}) }), ErrRemote},
		{"another's receipt", onCredential(func(w http.ResponseWriter) {
			json200(w, map[string]any{"credentials": []any{map[string]any{"credential": rec.Credential}}, "anchorReceipt": other.Receipt})
		}), ErrRemote},
		{"forged", onCredential(func(w http.ResponseWriter) {
			json200(w, map[string]any{"credentials": []any{map[string]any{"credential": tamper(t, rec.Credential)}}})
		}), ErrRejected},
		{"server error", onCredential(func(w http.ResponseWriter) { w.WriteHeader(http.StatusInternalServerError) }), ErrRemote},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			is.setOverride(c.override)
			defer is.setOverride(nil)
			_, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: is.offer(rec, "")})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			if len(list(t, s, a.ID)) != 0 {
				t.Fatal("something was stored")
			}
		})
	}
}

func TestParseOffer(t *testing.T) {
	good := `{"credential_issuer":"https://issuer.example.edu.cn","credential_configuration_ids":["DegreeCredential_ldp_vc"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"abc","tx_code":{"length":6,"input_mode":"numeric"}}}}`
	cases := []struct {
		name, in string
		want     error
	}{
		{"link", "openid-credential-offer://?credential_offer=" + url.QueryEscape(good), nil},
		{"https link", "https://issuer.example.edu.cn/offer?credential_offer=" + url.QueryEscape(good), nil},
		{"JSON", good, nil},
		{"by reference", "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fx", ErrUnsupported},
		{"authorization code only", `{"credential_issuer":"https://i.cn","credential_configuration_ids":["a"],"grants":{"authorization_code":{}}}`, ErrUnsupported},
		{"other scheme", "openid4vp://?credential_offer=" + url.QueryEscape(good), ErrInvalid},
		{"two offers", "openid-credential-offer://?credential_offer=" + url.QueryEscape(good) + "&credential_offer=" + url.QueryEscape(good), ErrInvalid},
		{"not JSON", "openid-credential-offer://?credential_offer=%7Bx", ErrInvalid},
		{"trailing", good + "{}", ErrInvalid},
		{"no ids", strings.Replace(good, `["DegreeCredential_ldp_vc"]`, `[]`, 1), ErrInvalid},
		{"repeated ids", strings.Replace(good, `["DegreeCredential_ldp_vc"]`, `["a","a"]`, 1), ErrInvalid},
		{"issuer with query", strings.Replace(good, `edu.cn"`, `edu.cn?x=1"`, 1), ErrInvalid},
		{"issuer javascript", strings.Replace(good, `https://issuer.example.edu.cn`, `javascript:alert(1)`, 1), ErrInvalid},
		{"empty code", strings.Replace(good, `"abc"`, `""`, 1), ErrInvalid},
		{"bad input mode", strings.Replace(good, `"numeric"`, `"emoji"`, 1), ErrInvalid},
		{"too long", "openid-credential-offer://?credential_offer=" + strings.Repeat("x", maxOfferLen), ErrInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o, err := ParseOffer(c.in)
			if !errors.Is(err, c.want) || (c.want == nil && (o.Grants.PreAuthorized.Code != "abc" || o.Grants.PreAuthorized.TxCode.Length != 6)) {
				t.Fatalf("got %+v %v, want %v", o, err, c.want)
			}
		})
	}
}

// TestAcceptRealOffer: an offer made by the issuer service itself
// (CreateOffer, with a PIN), its token and credential endpoints backed by
// ExchangeCode and RedeemAccessToken, answered by the wallet.
func TestAcceptRealOffer(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	is := newIssuerServer(t, false)
	iss, err := issuer.New(issuer.Config{ChainID: f.node.ChainID(), BaseURL: is.srv.URL},
		store.WithPrefix(f.db, "issuer/"), f.keys, f.node.Client(), credential.MustLoader(), issuer.WithGovernance(f.gov))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { iss.Close() })
	is.setOverride(func(w http.ResponseWriter, r *http.Request) bool {
		reply := func(v any, err error) {
			if errors.Is(err, issuer.ErrOfferInvalid) {
				oauthError(w, "invalid_grant")
				return
			}
			if err != nil {
				w.WriteHeader(http.StatusInternalServerError)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			json.NewEncoder(w).Encode(v)
		}
		switch r.URL.Path {
		case "/oid4vci/token":
			r.ParseForm()
			reply(iss.ExchangeCode(r.Context(), r.PostForm.Get("pre-authorized_code"), r.PostForm.Get("tx_code")))
		case "/oid4vci/credential":
			tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			rec, err := iss.RedeemAccessToken(r.Context(), tok)
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
	s := newWallet(t, openBolt(t), nil, Config{AllowedOrigins: []string{is.srv.URL}})
	a := holder(t, s, "zhangsan")
	rec := f.issue(t, masterDegree(a.DID))
	offer, err := iss.CreateOffer(ctx, f.uni.DID, rec.ID, time.Hour, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer.URI, TxCode: "000000"}); !errors.Is(err, ErrOfferRefused) && offer.TxCode != "000000" {
		t.Fatalf("wrong PIN: %v", err)
	}
	got, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer.URI, TxCode: offer.TxCode})
	if err != nil || len(got) != 1 || got[0].CredentialID != rec.ID || got[0].Receipt == nil || got[0].Verification.State != StateValid {
		t.Fatalf("accept: %+v %v", got, err)
	}
	if _, err := s.AcceptOffer(ctx, a.ID, AcceptOffer{Offer: offer.URI, TxCode: offer.TxCode}); !errors.Is(err, ErrOfferRefused) {
		t.Fatalf("replay: %v", err)
	}
}
