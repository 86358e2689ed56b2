package issuer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

func TestOrgsAndTokens(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			now := time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
			e := newEnv(t, sc.open, n, Config{Now: func() time.Time { return now }})
			a := e.org(t, "Tsinghua-"+sc.name)
			b := e.org(t, "Peking-"+sc.name)

			// The org is on chain under its derived DID with its first key.
			is, err := n.Client().Issuer(ctx, a.DID)
			if err != nil || is.Keys[0].PublicKeyMultibase != a.Keys[0].PublicKeyMultibase || is.Names.Zh != a.Names.Zh {
				t.Fatalf("on chain: %+v, %v", is, err)
			}

			tokA, infoA, err := e.svc.CreateToken(ctx, a.DID, NewToken{Name: "registrar", Scopes: []Scope{ScopeIssue, ScopeRead}})
			if err != nil {
				t.Fatal(err)
			}
			tokB, _, err := e.svc.CreateToken(ctx, b.DID, NewToken{Name: "registrar", Scopes: []Scope{ScopeStatus}, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			tokRevoked, infoRevoked, _ := e.svc.CreateToken(ctx, a.DID, NewToken{Name: "old", Scopes: []Scope{ScopeIssue}})
			if err := e.svc.RevokeToken(ctx, a.DID, infoRevoked.ID); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.RevokeToken(ctx, b.DID, infoA.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("revoking another org's token: %v", err)
			}
			tampered := tokA[:len(tokA)-1] + "A"
			if strings.HasSuffix(tokA, "A") {
				tampered = tokA[:len(tokA)-1] + "B"
			}
			tests := []struct {
				name  string
				token string
				org   string
				scope Scope
				want  error
			}{
				{"own org", tokA, a.DID, ScopeIssue, nil},
				{"read scope", tokA, a.DID, ScopeRead, nil},
				{"missing scope", tokA, a.DID, ScopeStatus, ErrForbidden},
				{"wrong org", tokA, b.DID, ScopeIssue, ErrForbidden},
				{"other org's token", tokB, a.DID, ScopeStatus, ErrForbidden},
				{"revoked", tokRevoked, a.DID, ScopeIssue, ErrUnauthenticated},
				{"tampered", tampered, a.DID, ScopeIssue, ErrUnauthenticated},
				{"garbage", "Bearer xyz", a.DID, ScopeIssue, ErrUnauthenticated},
				{"empty", "", a.DID, ScopeIssue, ErrUnauthenticated},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					p, err := e.svc.Authorize(ctx, tt.token, tt.org, tt.scope)
					if !errors.Is(err, tt.want) {
						t.Fatalf("Authorize: %v, want %v", err, tt.want)
					}
					if err == nil && (p.Org != tt.org || p.TokenID != infoA.ID) {
						t.Fatalf("principal %+v", p)
					}
				})
			}
			now = now.Add(2 * time.Hour)
			if _, err := e.svc.Authenticate(ctx, tokB, ScopeStatus); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("expired token: %v", err)
			}
			toks, err := e.svc.Tokens(ctx, a.DID)
			if err != nil || len(toks) != 2 {
				t.Fatalf("tokens of a: %d, %v", len(toks), err)
			}

			// At rest: no token, no private key seed in any encoding.
			priv, err := e.svc.openKey(ctx, a.CurrentKey)
			if err != nil {
				t.Fatal(err)
			}
			secrets := map[string][]byte{"token A": []byte(tokA), "token B": []byte(tokB)}
			for name, k := range map[string][]byte{"seed": priv.Seed(), "private key": priv} {
				secrets[name] = k
				secrets[name+" base64"] = []byte(base64.StdEncoding.EncodeToString(k))
				secrets[name+" base64url"] = []byte(base64.RawURLEncoding.EncodeToString(k))
				secrets[name+" hex"] = []byte(hex.EncodeToString(k))
			}
			secrets["multibase"] = []byte(credential.EncodeSecretKey(priv))
			secrets["token secret"], _ = base64.RawURLEncoding.DecodeString(strings.TrimPrefix(tokA, tokenPrefix))
			entries, err := e.svc.listAll(ctx, "")
			if err != nil || len(entries) == 0 {
				t.Fatalf("list raw store: %d, %v", len(entries), err)
			}
			for _, en := range entries {
				for name, sec := range secrets {
					if bytes.Contains(en.Value, sec) || strings.Contains(en.Key, string(sec)) {
						t.Errorf("%s found in clear under %s", name, en.Key)
					}
				}
			}
			// The sealed key does not open as another record's key.
			sealed, _ := e.raw.Get(ctx, "issuer/key/"+a.CurrentKey)
			if _, err := e.keys.Open(sealed, keyAAD(b.CurrentKey)); err == nil {
				t.Fatal("a's sealed key opened as b's")
			}
			// Invalid organisations are refused with the field.
			_, err = e.svc.CreateOrg(ctx, NewOrg{Names: Names{En: "X"}, Kind: "bank"})
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 2 {
				t.Fatalf("invalid org: %v", err)
			}
			_ = chain.KindUniversity
		})
	}
}
