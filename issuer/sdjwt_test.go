package issuer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

func TestVCT(t *testing.T) {
	for typ, want := range map[string]string{
		TypeDegree:     VCTPrefix + "degree",
		TypeTraining:   VCTPrefix + "trainingCertificate",
		TypeCompletion: VCTPrefix + "courseCompletion",
		"Credential":   VCTPrefix + "Credential",
	} {
		if got := VCT(typ); got != want {
			t.Errorf("VCT(%s) = %s, want %s", typ, got, want)
		}
	}
}

// TestIssueSDJWT issues SD-JWT VCs on both stores: the claims, the holder
// binding, what is hidden, the anchor over the issuer-signed JWT, and the
// status bits (also through the Token Status List).
func TestIssueSDJWT(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	c := n.Client()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	holderDID, _, err := jose.DIDKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			uni := e.org(t, "SD-"+sc.name, "DegreeCredential:master", TypeTraining)

			req := masterDegree(holderDID)
			req.Format = FormatSDJWT
			req.Subject["degree"].(map[string]any)["grade"] = "A"
			req.Subject["studentNumber"] = "2022-0042"
			req.ValidUntil = time.Now().AddDate(5, 0, 0)
			resolved := holderResolutions.Load()
			rec, err := e.svc.Issue(ctx, uni.DID, req)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			if n := holderResolutions.Load() - resolved; n != 1 {
				t.Fatalf("the holder's key was resolved %d times, want once", n)
			}
			if rec.Format != FormatSDJWT || rec.Receipt == nil {
				t.Fatalf("record %+v", rec)
			}
			var compact string
			if err := json.Unmarshal(rec.Credential, &compact); err != nil {
				t.Fatalf("credential %s is not a JSON string", rec.Credential)
			}
			v, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: chainResolver{c}})
			if err != nil {
				t.Fatal(err)
			}
			got, err := v.Verify(ctx, compact, sdjwt.VerifyOptions{})
			if err != nil || !got.Result.Verified {
				t.Fatalf("verify: %v %+v", err, got.Result)
			}
			if got.Header["typ"] != "dc+sd-jwt" || got.Header["kid"] != chain.KeyID(uni.DID, 1) {
				t.Fatalf("header %v", got.Header)
			}
			cl := got.Claims
			st, _ := cl["status"].(map[string]any)["status_list"].(map[string]any)
			if cl["iss"] != uni.DID || cl["vct"] != VCTPrefix+"degree" || cl["sub"] != holderDID || cl["jti"] != rec.ID ||
				cl["nbf"] == nil || cl["exp"] == nil || cl["iat"] == nil ||
				st["uri"] != "https://issuer.example.edu.cn/status/"+uni.DID+"/rev-0" || st["idx"] != float64(rec.StatusIdx) {
				t.Fatalf("claims %v", cl)
			}
			if hk, ok := got.HolderKey.(ed25519.PublicKey); !ok || !hk.Equal(pub) {
				t.Fatalf("cnf key %v, want the holder's", got.HolderKey)
			}
			// What is always visible and what is hidden in the signed payload.
			parsed, err := sdjwt.Parse(compact)
			if err != nil {
				t.Fatal(err)
			}
			payload, _ := parsed.JWT.Claims()
			deg := payload["degree"].(map[string]any)
			if deg["level"] != "master" || deg["type"] != "Degree" || deg["grade"] != nil || payload["fullName"] != nil ||
				payload["studentNumber"] != nil || payload["graduationDate"] != nil {
				t.Fatalf("visible payload %v", payload)
			}
			names := map[string]bool{}
			for _, d := range parsed.Disclosures {
				names[d.Name] = true
			}
			for _, want := range []string{"fullName", "studentNumber", "graduationDate", "grade", "degreeName", "fieldOfStudy"} {
				if !names[want] {
					t.Errorf("no disclosure for %s (%v)", want, names)
				}
			}
			// The anchor is over the issuer-signed JWT.
			jwt, _, _ := strings.Cut(compact, "~")
			d := sdjwt.AnchorDigest(compact)
			if rec.Receipt.Digest != hex.EncodeToString(d[:]) || sdjwt.AnchorDigest(jwt+"~") != d {
				t.Fatalf("receipt digest %s", rec.Receipt.Digest)
			}
			if a, err := c.Anchor(ctx, rec.Receipt.Root); err != nil || a.Issuer != uni.DID {
				t.Fatalf("anchor %+v %v", a, err)
			}

			// Status: revocation and suspension on chain, and in the token list.
			other, err := e.svc.Issue(ctx, uni.DID, func() *Request { r := training(); r.Format = FormatSDJWTLegacy; return r }())
			if err != nil {
				t.Fatal(err)
			}
			tokenStatus := func(idx int) int {
				t.Helper()
				tok, err := e.svc.TokenStatusList(ctx, uni.DID, "rev-0")
				if err != nil {
					t.Fatal(err)
				}
				j, err := jose.Parse(tok)
				if err != nil || j.Typ() != "statuslist+jwt" || j.Verify(e.svc.mustState(t, uni.DID).jws.Public()) != nil {
					t.Fatalf("token status list %s: %v", tok, err)
				}
				cl, _ := j.Claims()
				sl := cl["status_list"].(map[string]any)
				if cl["sub"] != "https://issuer.example.edu.cn/status/"+uni.DID+"/rev-0" || sl["bits"] != float64(2) {
					t.Fatalf("claims %v", cl)
				}
				v, err := TokenStatus(sl["lst"].(string), 2, idx)
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			if tokenStatus(rec.StatusIdx) != TokenStatusValid || tokenStatus(other.StatusIdx) != TokenStatusValid {
				t.Fatal("fresh credentials not valid in the token list")
			}
			if _, err := e.svc.SetStatus(ctx, uni.DID, StatusChange{IDs: []string{rec.ID}, Status: StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.SetStatus(ctx, uni.DID, StatusChange{IDs: []string{other.ID}, Status: StatusSuspended}); err != nil {
				t.Fatal(err)
			}
			l, err := c.StatusList(ctx, uni.DID, "rev-0")
			if err != nil || !l.Bit(uint64(rec.StatusIdx)) || l.Bit(uint64(other.StatusIdx)) {
				t.Fatalf("revocation list %v", err)
			}
			if tokenStatus(rec.StatusIdx) != TokenStatusInvalid || tokenStatus(other.StatusIdx) != TokenStatusSuspended {
				t.Fatal("token list does not show the revocation and the suspension")
			}
			if _, err := e.svc.TokenStatusList(ctx, uni.DID, "sus-0"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("sus-0 token list: %v", err)
			}
			if _, err := e.svc.TokenStatusList(ctx, uni.DID, "rev-9"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unallocated token list: %v", err)
			}
		})
	}
}

func (s *Service) mustState(t *testing.T, did string) *orgState {
	t.Helper()
	st, _, err := s.state(context.Background(), did)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSDJWTRequestRefused(t *testing.T) {
	svc := &Service{tmpl: mustTemplates(t)}
	cases := []struct {
		name   string
		edit   func(*Request)
		fields string
	}{
		{"a holder that is not did:key or did:jwk", func(r *Request) { r.Holder = "did:web:example.com"; r.Format = FormatSDJWT }, "/holder"},
		{"a did:key that does not decode", func(r *Request) { r.Holder = "did:key:z6Mkbad"; r.Format = FormatSDJWT }, "/holder"},
		{"an unknown format", func(r *Request) { r.Format = "jwt_vc_json" }, "/format"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := masterDegree(holder)
			c.edit(r)
			err := svc.Validate(r)
			var ve *ValidationError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Fields[0].Field != c.fields {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
	for _, f := range []Format{"", FormatV2, FormatLDP, FormatV1, FormatSDJWT, FormatSDJWTLegacy} {
		r := masterDegree(holder)
		r.Format = f
		if err := svc.Validate(r); err != nil {
			t.Errorf("format %q: %v", f, err)
		}
	}
}

func mustTemplates(t *testing.T) *templates {
	t.Helper()
	tm, err := loadTemplates()
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestTokenStatus(t *testing.T) {
	// draft-ietf-oauth-status-list §4.1, the example with 2 bits per
	// status: 12 statuses in 3 bytes (0xC9 0x44 0xF9), "eNo76fITAAPfAgc".
	want := []int{1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3}
	for i, w := range want {
		got, err := TokenStatus("eNo76fITAAPfAgc", 2, i)
		if err != nil || got != w {
			t.Errorf("status[%d] = %d, %v; want %d", i, got, err, w)
		}
	}
	for _, bad := range []struct {
		lst  string
		bits int
		idx  int
	}{{"eNo76fITAAPfAgc", 3, 0}, {"eNo76fITAAPfAgc", 2, 12}, {"not base64!", 2, 0}, {"AAAA", 2, 0}, {"eNo76fITAAPfAgc", 2, -1}} {
		if _, err := TokenStatus(bad.lst, bad.bits, bad.idx); !errors.Is(err, ErrInvalid) {
			t.Errorf("TokenStatus(%q, %d, %d): %v", bad.lst, bad.bits, bad.idx, err)
		}
	}
}

// TestSDJWTAnchorDigestKnownAnswer pins the digest the issuer anchors an
// SD-JWT VC by (sdjwt.AnchorDigest, the one the wallet and the verifier
// compare receipts with) to its known answer.
func TestSDJWTAnchorDigestKnownAnswer(t *testing.T) {
	const ka = "b8cc7dd5077a7f74fc0ab6a7289d7c4a1b60a09c605ddc290dea02911bb94bf5"
	d := sdjwt.AnchorDigest("eyJhbGciOiJFZERTQSJ9.e30.c2ln~WyJzIiwibiIsInYiXQ~")
	if got := hex.EncodeToString(d[:]); got != ka {
		t.Fatalf("anchor digest = %s, want %s", got, ka)
	}
}
