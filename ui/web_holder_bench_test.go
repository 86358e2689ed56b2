package ui

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	redisstore "github.com/talentchain/talentchain/store/redis"
	"github.com/talentchain/talentchain/store/redis/redistest"
	"github.com/talentchain/talentchain/wallet"
)

// The holder pages' cost against the size of the wallet, with the real
// wallet service over a real bolt store. The credentials are unsigned
// documents admitted by a verifier that passes them (what is measured is
// how the pages read the wallet, not verification); the store counts its
// reads, so that the number of round trips a page makes — what a networked
// store (Redis) pays per call — is reported beside the time.

// countingStore counts the reads (Get, List) that reach a store.
type countingStore struct {
	store.Store
	gets, lists atomic.Int64
}

func (c *countingStore) Get(ctx context.Context, key string) ([]byte, error) {
	c.gets.Add(1)
	return c.Store.Get(ctx, key)
}

func (c *countingStore) List(ctx context.Context, prefix string, opts store.ListOptions) ([]store.Entry, error) {
	c.lists.Add(1)
	return c.Store.List(ctx, prefix, opts)
}

func (c *countingStore) reads() int64 { return c.gets.Load() + c.lists.Load() }

// holderWalletEnv is a real wallet with n credentials behind the holder
// pages, and the signed-in holder's session cookie.
type holderWalletEnv struct {
	h      http.Handler
	st     *countingStore
	cookie *http.Cookie
	ids    []string
}

// holderBackends are the wallet's stores: bolt, and a redis-server of the
// test's own (skipped without one; failed in CI).
var holderBackends = []string{"bolt", "redis"}

func newHolderWalletEnv(tb testing.TB, n int, backend string) *holderWalletEnv {
	tb.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(tb.TempDir(), "wallet.db"), bolt.Config{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	st := &countingStore{Store: db}
	if backend == "redis" {
		srv := redistest.Start(tb)
		rs, err := redisstore.Open(ctx, redisstore.Config{Addr: srv.Addr(), DialTimeout: 2 * time.Second})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { rs.Close() })
		st = &countingStore{Store: rs}
	}
	keys := testKeyring(tb)
	pass := wallet.VerifyFunc(func(context.Context, map[string]any, *credential.AnchorReceipt) (*wallet.Verification, error) {
		return wallet.VerificationOf(&credential.Result{Verified: true, Checks: []credential.Check{{Name: "proof", Passed: true, Message: "not checked: a page benchmark"}}}), nil
	})
	valid := wallet.StatusFunc(func(context.Context, string, []byte) (wallet.Status, error) { return wallet.StatusValid, nil })
	w, err := wallet.New(wallet.Config{BaseURL: "http://node.test", PasswordMemoryKiB: 1024, PasswordTime: 1, BackupKDFLogN: 14},
		store.WithPrefix(st, "wallet/"), keys, credential.MustLoader(), pass, valid)
	if err != nil {
		tb.Fatal(err)
	}
	acct, err := w.SignUp(ctx, wallet.SignUp{Username: "zhangsan", Password: "violet orbit 7319"})
	if err != nil {
		tb.Fatal(err)
	}
	env := &holderWalletEnv{st: st}
	for i := range n {
		doc := fmt.Sprintf(`{"@context":["https://www.w3.org/ns/credentials/v2"],"id":"urn:uuid:00000000-0000-4000-8000-%012d",
			"type":["VerifiableCredential","TrainingCertificate"],"issuer":"did:example:uni","validFrom":"2026-01-02T00:00:00Z",
			"credentialSubject":{"id":%q,"course":{"title":{"zh":"区块链基础 %d","en":"Blockchain basics %d"},"hours":40}}}`, i, acct.DID, i, i)
		c, err := w.Import(ctx, acct.ID, []byte(doc))
		if err != nil {
			tb.Fatal(err)
		}
		env.ids = append(env.ids, c.ID)
	}
	sess, err := w.Login(ctx, wallet.Login{Username: "zhangsan", Password: "violet orbit 7319", IP: "192.0.2.1"})
	if err != nil {
		tb.Fatal(err)
	}
	env.cookie = &http.Cookie{Name: WalletCookie, Value: sess.ID}
	env.h, err = New(DefaultConfig(), holderNoVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler),
		WithWeb(WebConfig{Sessions: db, PublicURL: "http://node.test", Wallet: w}))
	if err != nil {
		tb.Fatal(err)
	}
	return env
}

// get renders a holder page and returns the body.
func (e *holderWalletEnv) get(tb testing.TB, path string) string {
	tb.Helper()
	req := httptest.NewRequest(http.MethodGet, "http://node.test"+path, nil)
	req.AddCookie(e.cookie)
	req.Header.Set("Accept-Language", "en")
	rec := httptest.NewRecorder()
	e.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.String()
}

// BenchmarkHolderPages measures the wallet page (24 cards) and the share
// page (every credential named) of a wallet holding 100 credentials, over
// bolt and over a real Redis: time per page and store reads per page
// (reads/op).
func BenchmarkHolderPages(b *testing.B) {
	for _, backend := range holderBackends {
		e := newHolderWalletEnv(b, 100, backend)
		for _, path := range []string{"/my", "/my/shares"} {
			b.Run(backend+strings.ReplaceAll(path, "/", "-"), func(b *testing.B) {
				e.get(b, path) // warm the status cache, as a holder coming back would
				before := e.st.reads()
				for b.Loop() {
					e.get(b, path)
				}
				b.ReportMetric(float64(e.st.reads()-before)/float64(b.N), "reads/op")
			})
		}
	}
}

// The wallet page and the share page read the wallet in a few store
// calls however many credentials it holds (they used to read each card's
// credential, and each credential named on the share page, one by one),
// and still name every credential by its title.
func TestHolderPagesReadInOnePass(t *testing.T) {
	if testing.Short() {
		t.Skip("imports credentials into a real wallet")
	}
	for _, n := range []int{3, 40} {
		e := newHolderWalletEnv(t, n, "bolt")
		for _, c := range []struct {
			path  string
			cards int // credentials named on the page
		}{
			{"/my", min(n, holderWalletPageSize)}, // one page of cards
			{"/my/shares", n},                     // every credential can be chosen
		} {
			e.get(t, c.path) // status cache warm
			before := e.st.reads()
			body := e.get(t, c.path)
			if reads := e.st.reads() - before; reads > 6 {
				t.Errorf("%d credentials: %s made %d store reads", n, c.path, reads)
			}
			if got := strings.Count(body, "Blockchain basics "); got != c.cards {
				t.Errorf("%d credentials: %s names %d credentials by title, want %d", n, c.path, got, c.cards)
			}
		}
	}
}
