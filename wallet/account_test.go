package wallet

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

func TestSignUpRules(t *testing.T) {
	ctx := context.Background()
	s := newWallet(t, openBolt(t), nil, Config{})
	if _, err := s.SignUp(ctx, SignUp{Username: "Wang.Wu", Password: "a fine long passphrase"}); err != nil {
		t.Fatalf("sign up: %v", err)
	}
	cases := []struct {
		name, user, pass string
		want             error
		field            string
	}{
		{"taken, case folded", "wang.wu", "another fine passphrase", ErrConflict, ""},
		{"short username", "ab", "a fine long passphrase", ErrInvalid, "/username"},
		{"username with slash", "ab/cd", "a fine long passphrase", ErrInvalid, "/username"},
		{"username starting with dot", ".abc", "a fine long passphrase", ErrInvalid, "/username"},
		{"long username", strings.Repeat("a", 33), "a fine long passphrase", ErrInvalid, "/username"},
		{"short password", "zhao", "short1234", ErrInvalid, "/password"},
		{"nine runes", "zhao", "密码密码密码密码密", ErrInvalid, "/password"},
		{"common", "zhao", "1q2w3e4r5t", ErrInvalid, "/password"},
		{"common, other case", "zhao", "QwertyUIOP", ErrInvalid, "/password"},
		{"base word and digits", "zhao", "password2027!!", ErrInvalid, "/password"},
		{"contains username", "zhaoliu", "my name is zhaoliu!", ErrInvalid, "/password"},
		{"one character", "zhao", "aaaaaaaaaaaaaa", ErrInvalid, "/password"},
		{"too long", "zhao", strings.Repeat("x1", 129), ErrInvalid, "/password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.SignUp(ctx, SignUp{Username: c.user, Password: c.pass})
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
			var ve *ValidationError
			if c.field != "" && (!errors.As(err, &ve) || ve.Fields[0].Field != c.field) {
				t.Fatalf("error %v does not name %s", err, c.field)
			}
		})
	}
	for _, ok := range []string{"zhao", "li_si-2", "9lives"} {
		if _, err := s.SignUp(ctx, SignUp{Username: ok, Password: "nine lives and a cat"}); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestDefaultCosts(t *testing.T) {
	cfg := Config{BaseURL: "https://wallet.example.cn"}
	if err := cfg.validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.PasswordMemoryKiB != 19*1024 || cfg.PasswordTime != 2 || cfg.BackupKDFLogN != 15 || cfg.SessionIdle != 12*time.Hour || cfg.MaxLoginPerUser != 10 {
		t.Fatalf("defaults %+v", cfg)
	}
	for _, bad := range []Config{{}, {BaseURL: "ftp://x"}, {BaseURL: "https://w.cn", BackupKDFLogN: 30}, {BaseURL: "https://w.cn", SessionIdle: time.Hour, SessionMax: time.Minute}, {BaseURL: "https://w.cn", AllowedOrigins: []string{"javascript:alert(1)"}}} {
		if err := bad.validate(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestLoginSessionsCSRF(t *testing.T) {
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			raw := sc.open(t)
			s := newWallet(t, raw, nil, Config{})
			a := holder(t, s, "zhangsan")
			pass := testPassword
			if !strings.HasPrefix(a.DID, "did:key:z6Mk") {
				t.Fatalf("DID %s", a.DID)
			}

			for _, bad := range []Login{
				{Username: "zhangsan", Password: "wrong password here"},
				{Username: "nobody", Password: pass},
				{Username: "no/body", Password: pass},
			} {
				if _, err := s.Login(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("login %+v: %v", bad, err)
				}
			}
			if _, err := s.Login(ctx, Login{Username: "zhangsan", Password: pass, IP: "not-an-ip"}); !errors.Is(err, ErrInvalid) {
				t.Fatalf("bad IP: %v", err)
			}
			s1, err := s.Login(ctx, Login{Username: "ZhangSan", Password: pass, IP: "203.0.113.7", UserAgent: "Mozilla/5.0\x00 test"})
			if err != nil {
				t.Fatalf("login: %v", err)
			}
			s2, err := s.Login(ctx, Login{Username: "zhangsan", Password: pass})
			if err != nil {
				t.Fatal(err)
			}
			if s1.ID == s2.ID || len(s1.ID) != sessionIDLen || s1.CSRF == "" || s1.CSRF == s2.CSRF {
				t.Fatalf("sessions %+v %+v", s1, s2)
			}
			got, err := s.Authenticate(ctx, s1.ID)
			if err != nil || got.Account != a.ID || got.Username != "zhangsan" || got.ID != "" {
				t.Fatalf("authenticate: %+v %v", got, err)
			}
			// CSRF: the session's token passes, another session's or a
			// tampered one does not; any replica computes the same.
			if err := s.CheckCSRF(s1.ID, s1.CSRF); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []string{"", s2.CSRF, s1.CSRF[:len(s1.CSRF)-1] + "A", strings.ToUpper(s1.CSRF)} {
				if bad == s1.CSRF {
					continue
				}
				if err := s.CheckCSRF(s1.ID, bad); !errors.Is(err, ErrCSRF) {
					t.Fatalf("CSRF %q: %v", bad, err)
				}
			}
			if err := s.CheckCSRF("", s.CSRFToken("")); !errors.Is(err, ErrCSRF) {
				t.Fatalf("empty session CSRF: %v", err)
			}
			// A tampered or made-up session id is refused.
			for _, bad := range []string{"", s1.ID[:len(s1.ID)-1] + "x", sessionPrefix + strings.Repeat("A", 43), "Bearer " + s1.ID} {
				if _, err := s.Authenticate(ctx, bad); !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("authenticate %q: %v", bad, err)
				}
			}

			// Nothing secret is stored in clear.
			kp, err := s.holderKey(ctx, mustAccount(t, s, a.ID))
			if err != nil {
				t.Fatal(err)
			}
			secrets := []string{pass, s1.ID, s2.ID, s1.CSRF, credential.EncodeSecretKey(kp.Private),
				base64.StdEncoding.EncodeToString(kp.Private.Seed()), base64.StdEncoding.EncodeToString(kp.Private), "203.0.113.7"}
			for k, v := range dump(t, raw) {
				for _, sec := range secrets {
					if strings.Contains(k, sec) || strings.Contains(v, sec) {
						t.Fatalf("%s holds a secret in clear", k)
					}
				}
			}

			if err := s.Logout(ctx, s1.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Authenticate(ctx, s1.ID); !errors.Is(err, ErrUnauthenticated) {
				t.Fatalf("after logout: %v", err)
			}
			if err := s.Logout(ctx, s1.ID); err != nil {
				t.Fatalf("second logout: %v", err)
			}
			s3, _ := s.Login(ctx, Login{Username: "zhangsan", Password: pass})
			if err := s.LogoutAll(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
			for _, id := range []string{s2.ID, s3.ID} {
				if _, err := s.Authenticate(ctx, id); !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("after logout all: %v", err)
				}
			}
			if err := s.LogoutAll(ctx, strings.Repeat("0", 32)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("logout all of nobody: %v", err)
			}
		})
	}
}

func mustAccount(t testing.TB, s *Service, id string) *accountRecord {
	t.Helper()
	r, err := s.account(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoginRateLimit(t *testing.T) {
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newWallet(t, sc.open(t), nil, Config{MaxLoginPerUser: 3, MaxLoginPerIP: 6, LoginWindow: time.Hour})
			holder(t, s, "lisi")
			holder(t, s, "wangwu")
			good := Login{Username: "lisi", Password: testPassword}
			wrong := Login{Username: "lisi", Password: "not the password"}

			// A success clears the username's counter.
			for range 2 {
				if _, err := s.Login(ctx, wrong); !errors.Is(err, ErrUnauthenticated) {
					t.Fatal(err)
				}
			}
			if _, err := s.Login(ctx, good); err != nil {
				t.Fatal(err)
			}
			for range 3 {
				if _, err := s.Login(ctx, wrong); !errors.Is(err, ErrUnauthenticated) {
					t.Fatal(err)
				}
			}
			// Fourth attempt within the window: refused even with the
			// right password, before hashing.
			_, err := s.Login(ctx, good)
			var rl *RateLimitError
			if !errors.Is(err, ErrRateLimited) || !errors.As(err, &rl) || rl.Scope != "username" || rl.RetryAfter <= 0 || rl.RetryAfter > time.Hour {
				t.Fatalf("4th attempt: %v", err)
			}
			// Another username is not limited; an unknown one counts too.
			if _, err := s.Login(ctx, Login{Username: "wangwu", Password: testPassword}); err != nil {
				t.Fatal(err)
			}
			for i := range 4 {
				_, err := s.Login(ctx, Login{Username: "ghost", Password: "whatever it is"})
				if want := ErrUnauthenticated; i == 3 {
					want = ErrRateLimited
					if !errors.Is(err, want) {
						t.Fatalf("ghost %d: %v", i, err)
					}
				} else if !errors.Is(err, want) {
					t.Fatalf("ghost %d: %v", i, err)
				}
			}

			// Per address: 6 attempts across usernames, then refused; an
			// IPv6 address counts for its /64.
			for i := range 6 {
				u := []string{"a1", "b2", "c3", "d4", "e5", "f6"}[i]
				if _, err := s.Login(ctx, Login{Username: u, Password: "whatever it is", IP: "2001:db8::" + u}); !errors.Is(err, ErrUnauthenticated) {
					t.Fatalf("ip attempt %d: %v", i, err)
				}
			}
			_, err = s.Login(ctx, Login{Username: "wangwu", Password: testPassword, IP: "2001:db8::1:2"})
			if !errors.As(err, &rl) || rl.Scope != "address" {
				t.Fatalf("7th from the /64: %v", err)
			}
			if _, err := s.Login(ctx, Login{Username: "wangwu", Password: testPassword, IP: "2001:db8:0:1::1"}); err != nil {
				t.Fatalf("another /64: %v", err)
			}
		})
	}
}

func TestSessionExpiry(t *testing.T) {
	ctx := context.Background()
	clk := &clock{}
	s := newWallet(t, openBolt(t), nil, Config{SessionIdle: 1500 * time.Millisecond, SessionMax: time.Hour, Now: clk.Now})
	holder(t, s, "zhaoliu")
	sess, err := s.Login(ctx, Login{Username: "zhaoliu", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	// Sliding: used every second, the session outlives its idle timeout.
	for range 3 {
		time.Sleep(time.Second)
		if _, err := s.Authenticate(ctx, sess.ID); err != nil {
			t.Fatalf("sliding: %v", err)
		}
	}
	// Idle too long: gone (the store's TTL).
	time.Sleep(1700 * time.Millisecond)
	if _, err := s.Authenticate(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("idle: %v", err)
	}
	// The absolute limit holds however active the session is.
	sess, _ = s.Login(ctx, Login{Username: "zhaoliu", Password: testPassword})
	clk.Set(time.Now().Add(time.Hour + time.Second))
	if _, err := s.Authenticate(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("past SessionMax: %v", err)
	}
	if _, _, err := s.session(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("a session past SessionMax must be deleted: %v", err)
	}
}

// The per-user counter keys carry their window: a counter Incr had to
// recreate without expiry can never outlive its window.
func TestRateLimitKeys(t *testing.T) {
	clk := &clock{}
	clk.Set(time.Unix(1_800_000_000, 0))
	s := &Service{cfg: Config{LoginWindow: 15 * time.Minute, Now: clk.Now}}
	k1 := s.limitKey("user", "x")
	clk.Set(time.Unix(1_800_000_000+900, 0))
	if k2 := s.limitKey("user", "x"); k1 == k2 {
		t.Fatalf("same key across windows: %s", k1)
	}
	if err := store.ValidateKey(k1); err != nil {
		t.Fatal(err)
	}
	if ipBucket("2001:db8::1") != ipBucket("2001:db8::ffff") || ipBucket("192.0.2.1") == ipBucket("192.0.2.2") || ipBucket("::ffff:192.0.2.1") != ipBucket("192.0.2.1") {
		t.Fatal("ip buckets")
	}
}

// A logout on another replica that lands between a refresh's read and
// write must not be undone by the write: the refresh finds the logout's
// tombstone and ends the session.
func TestLogoutRacesRefresh(t *testing.T) {
	ctx := context.Background()
	clk := &clock{}
	raw := openBolt(t)
	s := newWallet(t, raw, nil, Config{Now: clk.Now})
	holder(t, s, "zhangsan")
	sess, err := s.Login(ctx, Login{Username: "zhangsan", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	key, _, err := s.session(ctx, sess.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The interleaving: the logout's writes happen, then the refresh's
	// Put re-creates the record it read before the logout.
	rec, _ := s.st.Get(ctx, "sess/"+key)
	if err := s.Logout(ctx, sess.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.st.Put(ctx, "sess/"+key, rec, time.Hour); err != nil {
		t.Fatal(err)
	}
	clk.Set(time.Now().Add(time.Hour)) // old enough to be refreshed
	if _, err := s.Authenticate(ctx, sess.ID); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("a logged-out session came back: %v", err)
	}
	if _, err := s.st.Get(ctx, "sess/"+key); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the revived record stays: %v", err)
	}
}
