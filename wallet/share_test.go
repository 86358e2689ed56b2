package wallet

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

func TestShareLinks(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{}
			raw := sc.open(t)
			s := newWallet(t, raw, nil, Config{Now: clk.Now})
			a := holder(t, s, "zhangsan")
			c, err := s.Import(ctx, a.ID, file(t, f.issue(t, masterDegree(a.DID))))
			if err != nil {
				t.Fatal(err)
			}

			sh, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, TTL: 24 * time.Hour, Label: "for ACME HR\x07"})
			if err != nil {
				t.Fatalf("create: %v", err)
			}
			token, ok := strings.CutPrefix(sh.URL, "https://wallet.example.cn/share/")
			if !ok || len(token) != shareTokenLen || sh.Label != "for ACME HR" || !sh.Expires.After(time.Now().Add(23*time.Hour)) {
				t.Fatalf("share %+v", sh)
			}
			// The token is stored only hashed.
			for k, v := range dump(t, raw) {
				if strings.Contains(k, token) || strings.Contains(v, token) {
					t.Fatalf("%s holds the share token", k)
				}
			}

			got, err := s.OpenShare(ctx, token, Visitor{IP: "198.51.100.23", UserAgent: "curl/8.0 " + strings.Repeat("x", 500)})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			res, err := strictVerifier(t).VerifyPresentation(ctx, got.Presentation.Presentation, credential.VerifyOptions{Challenge: "share:" + sh.ID, Domain: "https://wallet.example.cn"})
			if err != nil || !res.Verified || got.Holder != a.DID || len(got.Receipts) != 1 {
				t.Fatalf("shared presentation: %v %+v", err, res)
			}
			if _, err := s.OpenShare(ctx, token, Visitor{IP: "2001:db8:1234:5678::9", UserAgent: "Mozilla"}); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenShare(ctx, token, Visitor{}); err != nil {
				t.Fatal(err)
			}
			log, err := s.ShareLog(ctx, a.ID, sh.ID)
			if err != nil || len(log) != 3 {
				t.Fatalf("log %v %v", log, err)
			}
			if log[0].Network != "198.51.100.0/24" || len(log[0].Visitor) != 16 || len(log[0].UserAgent) != 200 ||
				log[1].Network != "2001:db8:1234::/48" || log[2].Network != "" {
				t.Fatalf("log entries %+v %+v %+v", log[0], log[1], log[2])
			}
			for k, v := range dump(t, raw) {
				if strings.Contains(v, "198.51.100.23") || strings.Contains(v, "5678::9") {
					t.Fatalf("%s holds a visitor's full address", k)
				}
			}
			shares, err := s.Shares(ctx, a.ID)
			if err != nil || len(shares) != 1 || shares[0].Opened != 3 || shares[0].URL != "" {
				t.Fatalf("shares %+v %v", shares, err)
			}

			// Unknown and malformed tokens.
			for _, bad := range []string{"", "x", token[:42] + "A", strings.Repeat("-", 43), token + "="} {
				if bad == token {
					continue
				}
				if _, err := s.OpenShare(ctx, bad, Visitor{}); !errors.Is(err, ErrNotFound) {
					t.Fatalf("token %q: %v", bad, err)
				}
			}
			// Limits.
			for _, bad := range []NewShare{
				{CredentialIDs: []string{c.ID}, TTL: 91 * 24 * time.Hour},
				{CredentialIDs: []string{c.ID}, TTL: -time.Hour},
				{CredentialIDs: nil},
				{CredentialIDs: []string{c.ID}, Label: strings.Repeat("x", 201)},
			} {
				if _, err := s.CreateShare(ctx, a.ID, bad); !errors.Is(err, ErrInvalid) {
					t.Fatalf("%+v: %v", bad, err)
				}
			}
			if _, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{strings.Repeat("0", 24)}}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown credential: %v", err)
			}

			// Revoked: refused at once, its presentation gone.
			if err := s.RevokeShare(ctx, a.ID, sh.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.OpenShare(ctx, token, Visitor{}); !errors.Is(err, ErrRevoked) {
				t.Fatalf("revoked: %v", err)
			}
			rec, _ := s.loadShare(ctx, a.ID, sh.ID)
			if rec.Presentation != nil || rec.Revoked.IsZero() {
				t.Fatalf("revoked record %+v", rec)
			}
			if err := s.RevokeShare(ctx, a.ID, sh.ID); err != nil {
				t.Fatalf("revoke twice: %v", err)
			}

			// Expired: refused; the default TTL is a week.
			sh2, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}})
			if err != nil || sh2.Expires.Sub(sh2.Created) != DefaultShareTTL {
				t.Fatalf("default ttl: %+v %v", sh2, err)
			}
			tok2 := strings.TrimPrefix(sh2.URL, "https://wallet.example.cn/share/")
			clk.Set(time.Now().Add(DefaultShareTTL + time.Minute))
			if _, err := s.OpenShare(ctx, tok2, Visitor{}); !errors.Is(err, ErrExpired) {
				t.Fatalf("expired: %v", err)
			}
		})
	}
}
