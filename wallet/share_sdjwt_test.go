package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/issuer"
)

// A share link of an SD-JWT VC reveals only the claims the holder chose:
// the link's presentation is the SD-JWT with those disclosures and a key
// binding for the link's own nonce ("share:<id>") and the wallet's URL,
// which the real credential/sdjwt verifier accepts; the grade, the name
// and the other disclosable claims stay hidden, the always-visible ones
// are there. Unknown claims, a list for a W3C credential and an SD-JWT
// shared with another credential are refused, and nothing is stored.
func TestShareSDJWT(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			v := sdVerifier(t)
			s := newWallet(t, sc.open(t), nil, Config{}, WithSDJWT(sdjwtHandler{v}))
			a := holder(t, s, "sdshare")
			req := masterDegree(a.DID)
			req.Format = issuer.FormatSDJWT
			req.Subject["degree"].(map[string]any)["grade"] = "A"
			rec := f.issue(t, req)
			c, err := s.Import(ctx, a.ID, file(t, rec))
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"/degree/degreeName", "/degree/fieldOfStudy", "/degree/grade", "/fullName"} {
				if !slices.Contains(c.Disclosable, want) {
					t.Fatalf("disclosable %v lacks %s", c.Disclosable, want)
				}
			}
			ldp, err := s.Import(ctx, a.ID, file(t, f.issue(t, training(a.DID, "BC-SDS1"))))
			if err != nil {
				t.Fatal(err)
			}

			// open opens a share link and verifies its presentation as the
			// share page does: key binding for the link's nonce and the
			// wallet's URL; it returns the disclosed claims.
			open := func(t *testing.T, sh *Share) map[string]any {
				t.Helper()
				token := strings.TrimPrefix(sh.URL, "https://wallet.example.cn/share/")
				got, err := s.OpenShare(ctx, token, Visitor{IP: "198.51.100.7"})
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				var compact string
				if err := json.Unmarshal(got.Presentation.Presentation, &compact); err != nil || got.Format != FormatSDJWT {
					t.Fatalf("presentation %s (format %q): %v", got.Presentation.Presentation, got.Format, err)
				}
				if len(got.Receipts) != 1 || got.Receipts[0] == nil || got.Receipts[0].Root != rec.Receipt.Root {
					t.Fatalf("receipts %+v", got.Receipts)
				}
				res, err := v.Verify(ctx, compact, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: "share:" + sh.ID, Audience: "https://wallet.example.cn"})
				if err != nil || !res.Result.Verified {
					t.Fatalf("verify: %v %+v", err, res)
				}
				// Bound to this link: another link's nonce, another site fail.
				for _, o := range []sdjwt.VerifyOptions{
					{RequireKeyBinding: true, Nonce: "share:000000000000000000000000", Audience: "https://wallet.example.cn"},
					{RequireKeyBinding: true, Nonce: "share:" + sh.ID, Audience: "https://hr.example.cn"},
				} {
					if res, err := v.Verify(ctx, compact, o); err == nil && res.Result.Verified {
						t.Fatalf("verified with %+v", o)
					}
				}
				return res.Claims
			}

			sh, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree/degreeName", "/degree/fieldOfStudy"}, Label: "HR"})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			if sh.Format != FormatSDJWT || !slices.Equal(sh.Disclosed, []string{"/degree/degreeName", "/degree/fieldOfStudy"}) {
				t.Fatalf("share %+v", sh)
			}
			claims := open(t, sh)
			// Each opening binds anew: a verifier takes a key binding as
			// fresh for minutes only, and the link lives for days.
			kbIAT := func() float64 {
				t.Helper()
				got, err := s.OpenShare(ctx, strings.TrimPrefix(sh.URL, "https://wallet.example.cn/share/"), Visitor{})
				if err != nil {
					t.Fatal(err)
				}
				var compact string
				json.Unmarshal(got.Presentation.Presentation, &compact)
				parsed, err := sdjwt.Parse(compact)
				if err != nil || parsed.KeyBinding == nil {
					t.Fatalf("opened %q: %v", compact, err)
				}
				kb, err := parsed.KeyBinding.Claims()
				if err != nil {
					t.Fatal(err)
				}
				iat, _ := kb["iat"].(float64)
				if len(parsed.Disclosures) != 2 {
					t.Fatalf("the opened link carries %d disclosures, want the 2 chosen", len(parsed.Disclosures))
				}
				return iat
			}
			first := kbIAT()
			time.Sleep(1100 * time.Millisecond)
			if later := kbIAT(); later <= first {
				t.Fatalf("key binding iat %v then %v: the link replays its first binding", first, later)
			}
			deg, _ := claims["degree"].(map[string]any)
			if deg["degreeName"] == nil || deg["fieldOfStudy"] == nil || deg["level"] != "master" {
				t.Fatalf("chosen or always-visible claims missing: %v", claims)
			}
			if deg["grade"] != nil || claims["fullName"] != nil || claims["graduationDate"] != nil {
				t.Fatalf("a claim not chosen is disclosed: %v", claims)
			}
			if list, err := s.Shares(ctx, a.ID); err != nil || len(list) != 1 || list[0].Format != FormatSDJWT || len(list[0].Disclosed) != 2 || list[0].Opened != 3 {
				t.Fatalf("shares %+v %v", list, err)
			}

			// Nothing chosen: only what is always visible.
			none, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}})
			if err != nil {
				t.Fatal(err)
			}
			claims = open(t, none)
			deg, _ = claims["degree"].(map[string]any)
			if deg["level"] != "master" || deg["degreeName"] != nil || deg["grade"] != nil || claims["fullName"] != nil {
				t.Fatalf("no disclosure chosen: %v", claims)
			}

			// Refusals, each naming its field; nothing stored.
			for _, bad := range []struct {
				req   NewShare
				field string
			}{
				{NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree/degreeName", "/degree/nickname"}}, "/disclose/1"},
				{NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"degree.grade"}}, "/disclose/0"},
				{NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/degree/level"}}, "/disclose/0"}, // always visible: not a choice
				{NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{"/fullName", "/fullName"}}, "/disclose"},
				{NewShare{CredentialIDs: []string{c.ID}, Disclose: []string{""}}, "/disclose/0"},
				{NewShare{CredentialIDs: []string{c.ID, ldp.ID}}, "/credentialIds"},
				{NewShare{CredentialIDs: []string{ldp.ID}, Disclose: []string{"/fullName"}}, "/disclose"},
			} {
				_, err := s.CreateShare(ctx, a.ID, bad.req)
				var ve *ValidationError
				if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Fields[0].Field != bad.field {
					t.Errorf("%+v: %v (want a refusal of %s)", bad.req, err, bad.field)
				}
			}
			if list, _ := s.Shares(ctx, a.ID); len(list) != 2 {
				t.Fatalf("refused shares were stored: %d links", len(list))
			}
			// A W3C share is unchanged: a signed VP, its format said.
			w3c, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{ldp.ID}})
			if err != nil || w3c.Format != FormatLDP || w3c.Disclosed != nil {
				t.Fatalf("W3C share %+v %v", w3c, err)
			}

			// Revoked: refused.
			if err := s.RevokeShare(ctx, a.ID, sh.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenShare(ctx, strings.TrimPrefix(sh.URL, "https://wallet.example.cn/share/"), Visitor{}); !errors.Is(err, ErrRevoked) {
				t.Fatalf("revoked: %v", err)
			}
		})
	}
}

// A wallet without an SD-JWT handler cannot share an SD-JWT it holds.
func TestShareSDJWTUnsupported(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	st := openBolt(t)
	keys := testKeyring(t)
	s := newWallet(t, st, keys, Config{}, WithSDJWT(sdjwtHandler{sdVerifier(t)}))
	a := holder(t, s, "sdnone")
	req := masterDegree(a.DID)
	req.Format = issuer.FormatSDJWT
	c, err := s.Import(ctx, a.ID, file(t, f.issue(t, req)))
	if err != nil {
		t.Fatal(err)
	}
	plain := newWallet(t, st, keys, Config{})
	if _, err := plain.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("without a handler: %v", err)
	}
}
