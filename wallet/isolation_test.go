package wallet

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store/redis/redistest"
)

// TestIsolation: holder B, logged in, tries every method on holder A's
// credential, share link and pending request, by their ids. Every attempt
// is ErrNotFound (ids of others do not even exist for B) and A's data is
// unchanged.
func TestIsolation(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	vs := newVerifierServer(t)
	s := newWallet(t, openBolt(t), nil, Config{AllowedOrigins: []string{vs.srv.URL}}, WithMatcher(testMatcher{}), WithSDJWT(&fakeSDJWT{}))
	a := holder(t, s, "zhangsan")
	b := holder(t, s, "lisi")
	aCred, err := s.Import(ctx, a.ID, file(t, f.issue(t, masterDegree(a.DID))))
	if err != nil {
		t.Fatal(err)
	}
	aShare, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{aCred.ID}})
	if err != nil {
		t.Fatal(err)
	}
	aView, err := s.FetchRequest(ctx, a.ID, vs.request(t, `{"id":"d","input_descriptors":[{"id":"degree","constraints":{"fields":[{"path":["$.credentialSubject.degree.level"],"filter":{"const":"master"}}]}}]}`, time.Hour))
	if err != nil || len(aView.Descriptors[0].Candidates) != 1 {
		t.Fatalf("A's request: %+v %v", aView, err)
	}
	// B's own view of the same request: A's credential is no candidate.
	bView, err := s.FetchRequest(ctx, b.ID, vs.request(t, `{"id":"d","input_descriptors":[{"id":"degree","constraints":{"fields":[{"path":["$.credentialSubject.degree.level"],"filter":{"const":"master"}}]}}]}`, time.Hour))
	if err != nil || len(bView.Descriptors[0].Candidates) != 0 || bView.Satisfied {
		t.Fatalf("B's view holds A's credential: %+v %v", bView, err)
	}

	cases := []struct {
		name string
		call func(account string) error
	}{
		{"Credential", func(acc string) error { _, err := s.Credential(ctx, acc, aCred.ID); return err }},
		{"DeleteCredential", func(acc string) error { return s.DeleteCredential(ctx, acc, aCred.ID) }},
		{"Present", func(acc string) error {
			_, err := s.Present(ctx, acc, PresentRequest{CredentialIDs: []string{aCred.ID}, Challenge: "c"})
			return err
		}},
		{"PresentSDJWT", func(acc string) error {
			_, err := s.PresentSDJWT(ctx, acc, PresentSDJWTRequest{CredentialID: aCred.ID, Nonce: "n", Audience: "a"})
			return err
		}},
		{"CreateShare", func(acc string) error {
			_, err := s.CreateShare(ctx, acc, NewShare{CredentialIDs: []string{aCred.ID}})
			return err
		}},
		{"ShareLog", func(acc string) error { _, err := s.ShareLog(ctx, acc, aShare.ID); return err }},
		{"RevokeShare", func(acc string) error { return s.RevokeShare(ctx, acc, aShare.ID) }},
		{"Respond", func(acc string) error {
			_, err := s.Respond(ctx, acc, Consent{RequestID: aView.ID, Selections: []Selection{{"degree", aCred.ID}}})
			return err
		}},
		{"DeclineRequest", func(acc string) error {
			if err := s.DeclineRequest(ctx, acc, aView.ID); err != nil {
				return err
			}
			return ErrNotFound // declining another's id is a no-op; checked below that A's request survives
		}},
		{"Credentials", func(acc string) error {
			p, err := s.Credentials(ctx, acc, ListOptions{})
			if err != nil {
				return err
			}
			for _, c := range p.Items {
				if c.ID == aCred.ID {
					return errors.New("listed")
				}
			}
			return ErrNotFound
		}},
		{"Shares", func(acc string) error {
			sh, err := s.Shares(ctx, acc)
			if err != nil {
				return err
			}
			if len(sh) != 0 {
				return errors.New("listed")
			}
			return ErrNotFound
		}},
		{"Export", func(acc string) error {
			bk, err := s.Export(ctx, acc, "a long backup passphrase")
			if err != nil {
				return err
			}
			c, err := openBackup(bk, "a long backup passphrase")
			if err != nil || len(c.Credentials) != 0 || len(c.Shares) != 0 {
				return errors.New("exported")
			}
			return ErrNotFound
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, acc := range []string{b.ID, "../" + a.ID, a.ID + "/", strings.ToUpper(a.ID), ""} {
				if err := c.call(acc); !errors.Is(err, ErrNotFound) && !errors.Is(err, ErrInvalid) {
					t.Fatalf("as %q: %v", acc, err)
				}
			}
		})
	}
	// A's data is intact and works.
	if _, err := s.Credential(ctx, a.ID, aCred.ID); err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(aShare.URL, "https://wallet.example.cn/share/")
	if _, err := s.OpenShare(ctx, tok, Visitor{}); err != nil {
		t.Fatalf("A's share: %v", err)
	}
	if _, err := s.Respond(ctx, a.ID, Consent{RequestID: aView.ID, Selections: []Selection{{"degree", aCred.ID}}}); err != nil {
		t.Fatalf("A's request: %v", err)
	}
	// Sessions: B's logout-all leaves A's session alone.
	sa, _ := s.Login(ctx, Login{Username: "zhangsan", Password: testPassword})
	if err := s.LogoutAll(ctx, b.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Authenticate(ctx, sa.ID); err != nil || got.Account != a.ID {
		t.Fatalf("A's session: %+v %v", got, err)
	}
}

// TestReplicas: two wallet services over one Redis serve one holder's
// session, credentials, share links, requests and login limits
// interchangeably.
func TestReplicas(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	cfg := redistest.Config(t)
	keys := testKeyring(t)
	vs := newVerifierServer(t)
	wcfg := Config{MaxLoginPerUser: 3, LoginWindow: time.Hour, AllowedOrigins: []string{vs.srv.URL}}
	s1 := newWallet(t, redistest.OpenConfig(t, cfg), keys, wcfg, WithMatcher(testMatcher{}))
	s2 := newWallet(t, redistest.OpenConfig(t, cfg), keys, wcfg, WithMatcher(testMatcher{}))

	a, err := s1.SignUp(ctx, SignUp{Username: "zhangsan", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := s2.Login(ctx, Login{Username: "zhangsan", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	who, err := s1.Authenticate(ctx, sess.ID)
	if err != nil || who.Account != a.ID {
		t.Fatalf("session on the other replica: %+v %v", who, err)
	}
	if err := s1.CheckCSRF(sess.ID, sess.CSRF); err != nil {
		t.Fatalf("CSRF on the other replica: %v", err)
	}

	c, err := s2.Import(ctx, who.Account, file(t, f.issue(t, masterDegree(a.DID))))
	if err != nil {
		t.Fatal(err)
	}
	if got := list(t, s1, who.Account); len(got) != 1 || got[0].ID != c.ID {
		t.Fatalf("listing on replica 1: %+v", got)
	}
	p, err := s1.Present(ctx, who.Account, PresentRequest{CredentialIDs: []string{c.ID}, Challenge: "replica"})
	if err != nil {
		t.Fatal(err)
	}
	if r, _ := strictVerifier(t).VerifyPresentation(ctx, p.Presentation, credential.VerifyOptions{Challenge: "replica"}); !r.Verified {
		t.Fatalf("presentation from replica 1 of a credential received by replica 2: %v", r.Errors)
	}

	sh, err := s1.CreateShare(ctx, who.Account, NewShare{CredentialIDs: []string{c.ID}})
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimPrefix(sh.URL, "https://wallet.example.cn/share/")
	if _, err := s2.OpenShare(ctx, tok, Visitor{IP: "192.0.2.10"}); err != nil {
		t.Fatal(err)
	}
	if log, err := s1.ShareLog(ctx, who.Account, sh.ID); err != nil || len(log) != 1 {
		t.Fatalf("log on replica 1: %v %v", log, err)
	}
	if err := s2.RevokeShare(ctx, who.Account, sh.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.OpenShare(ctx, tok, Visitor{}); !errors.Is(err, ErrRevoked) {
		t.Fatalf("revoked on replica 2, opened on replica 1: %v", err)
	}

	view, err := s1.FetchRequest(ctx, who.Account, vs.request(t, `{"id":"d","input_descriptors":[{"id":"degree","constraints":{"fields":[{"path":["$.credentialSubject.degree.level"],"filter":{"const":"master"}}]}}]}`, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Respond(ctx, who.Account, Consent{RequestID: view.ID, Selections: []Selection{{"degree", c.ID}}}); err != nil {
		t.Fatalf("fetched on replica 1, answered on replica 2: %v", err)
	}

	// Login limits are shared: 3 attempts across the replicas, then refused.
	wrong := Login{Username: "zhangsan", Password: "not the password"}
	for _, s := range []*Service{s1, s2, s1} {
		if _, err := s.Login(ctx, wrong); !errors.Is(err, ErrUnauthenticated) {
			t.Fatal(err)
		}
	}
	if _, err := s2.Login(ctx, Login{Username: "zhangsan", Password: testPassword}); !errors.Is(err, ErrRateLimited) {
		t.Fatalf("4th attempt on replica 2: %v", err)
	}

	// Logout on one replica ends the session on both.
	if err := s2.Logout(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s1.Authenticate(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("after logout on replica 2: %v", err)
	}
}
