package redis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/talentchain/talentchain/store"
	redisstore "github.com/talentchain/talentchain/store/redis"
	"github.com/talentchain/talentchain/store/redis/redistest"
	"github.com/talentchain/talentchain/store/storetest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return redistest.Open(t) })
}

// raw is a plain client on the test server, to look at the layout.
func raw(t *testing.T, addr string) *goredis.Client {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestPrefixesSeparateDeployments(t *testing.T) {
	ctx := t.Context()
	cfg := redistest.Config(t)
	a := redistest.OpenConfig(t, cfg)
	a2 := redistest.OpenConfig(t, cfg)
	other := cfg
	other.Prefix = redistest.Prefix(t)
	b := redistest.OpenConfig(t, other)

	if err := a.Put(ctx, "k", []byte("a"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another prefix sees the key: %v", err)
	}
	if err := b.Create(ctx, "k", []byte("b"), 0); err != nil {
		t.Errorf("Create under another prefix: %v", err)
	}
	if got, err := a2.Get(ctx, "k"); err != nil || string(got) != "a" {
		t.Errorf("same prefix: Get = %q, %v; want a", got, err)
	}
	if entries, err := b.List(ctx, "", store.ListOptions{}); err != nil || len(entries) != 1 {
		t.Errorf("List under another prefix = %v, %v; want only its own key", entries, err)
	}
}

// TestNativeTTL checks that expiry is Redis's own, so Redis frees the memory.
func TestNativeTTL(t *testing.T) {
	ctx := t.Context()
	cfg := redistest.Config(t)
	s := redistest.OpenConfig(t, cfg)
	if err := s.Put(ctx, "session/1", []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	ttl, err := raw(t, cfg.Addr).PTTL(ctx, cfg.Prefix+"k:session/1").Result()
	if err != nil || ttl <= 59*time.Second || ttl > time.Minute {
		t.Fatalf("PTTL = %v, %v; want about a minute", ttl, err)
	}
}

// TestIndexDropsExpiredKeys checks that the listing index does not keep
// expired keys: writes sweep them and List drops those it meets.
func TestIndexDropsExpiredKeys(t *testing.T) {
	ctx := t.Context()
	cfg := redistest.Config(t)
	s := redistest.OpenConfig(t, cfg)
	c := raw(t, cfg.Addr)

	var ops []store.Op
	for i := range 100 {
		ops = append(ops, store.OpPut(fmt.Sprintf("nonce/%03d", i), []byte("x"), 20*time.Millisecond))
	}
	ops = append(ops, store.OpPut("keep", []byte("x"), 0))
	if err := s.Apply(ctx, ops...); err != nil {
		t.Fatal(err)
	}
	if n := c.ZCard(ctx, cfg.Prefix+"i").Val(); n != 101 {
		t.Fatalf("index has %d members, want 101", n)
	}
	time.Sleep(50 * time.Millisecond)

	// Each write sweeps up to 32 expired members.
	for range 2 {
		if err := s.Put(ctx, "keep", []byte("y"), 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := c.ZCard(ctx, cfg.Prefix+"i").Val(); n != 101-64 {
		t.Errorf("after two writes the index has %d members, want %d", n, 101-64)
	}
	// List drops the rest that it meets.
	entries, err := s.List(ctx, "", store.ListOptions{})
	if err != nil || len(entries) != 1 || entries[0].Key != "keep" {
		t.Fatalf("List = %v, %v; want only keep", entries, err)
	}
	if n := c.ZCard(ctx, cfg.Prefix+"i").Val(); n != 1 {
		t.Errorf("after List the index has %d members, want 1", n)
	}
	if n := c.ZCard(ctx, cfg.Prefix+"e").Val(); n > 100-64 {
		t.Errorf("the expiry set has %d members, want at most %d", n, 100-64)
	}
}

func TestOpenConfig(t *testing.T) {
	cases := []struct {
		name string
		cfg  redisstore.Config
	}{
		{"no address", redisstore.Config{}},
		{"address without port", redisstore.Config{Addr: "localhost"}},
		{"negative DB", redisstore.Config{Addr: "127.0.0.1:6379", DB: -1}},
		{"long prefix", redisstore.Config{Addr: "127.0.0.1:6379", Prefix: string(make([]byte, 300))}},
		{"negative timeout", redisstore.Config{Addr: "127.0.0.1:6379", ReadTimeout: -time.Second}},
		{"negative pool", redisstore.Config{Addr: "127.0.0.1:6379", PoolSize: -1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := redisstore.Open(t.Context(), c.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded")
			}
			if errors.Is(err, store.ErrUnavailable) {
				t.Fatalf("a bad config is reported as an outage: %v", err)
			}
		})
	}
}

func TestOpenUnreachable(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop(t)
	start := time.Now()
	s, err := redisstore.Open(t.Context(), redisstore.Config{Addr: srv.Addr(), DialTimeout: 200 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("Open of a stopped server succeeded")
	}
	if !errors.Is(err, store.ErrUnavailable) {
		t.Errorf("Open: %v, want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Open took %v", d)
	}
}

// TestOutage stops Redis under an open store: operations must fail fast with
// ErrUnavailable, and work again once Redis is back, without reopening.
func TestOutage(t *testing.T) {
	srv := redistest.Start(t)
	cfg := redisstore.Config{
		Addr:         srv.Addr(),
		Prefix:       "outage:",
		DialTimeout:  200 * time.Millisecond,
		ReadTimeout:  500 * time.Millisecond,
		WriteTimeout: 500 * time.Millisecond,
	}
	s := redistest.OpenConfig(t, cfg)
	ctx := t.Context()
	if err := s.Put(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}

	srv.Stop(t)
	calls := []struct {
		name string
		fn   func() error
	}{
		{"Get", func() error { _, err := s.Get(ctx, "k"); return err }},
		{"Put", func() error { return s.Put(ctx, "k", []byte("v"), 0) }},
		{"Create", func() error { return s.Create(ctx, "n", []byte("v"), 0) }},
		{"Take", func() error { _, err := s.Take(ctx, "k"); return err }},
		{"Delete", func() error { return s.Delete(ctx, "k") }},
		{"List", func() error { _, err := s.List(ctx, "", store.ListOptions{}); return err }},
		{"Apply", func() error { return s.Apply(ctx, store.OpPut("a", nil, 0)) }},
		{"Incr", func() error { _, err := s.Incr(ctx, "c", 1); return err }},
	}
	for _, c := range calls {
		start := time.Now()
		err := c.fn()
		if !errors.Is(err, store.ErrUnavailable) {
			t.Errorf("%s during the outage: %v, want ErrUnavailable", c.name, err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("%s took %v to fail", c.name, d)
		}
	}

	srv.Restart(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := s.Put(ctx, "k", []byte("back"), 0)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrUnavailable) || time.Now().After(deadline) {
			t.Fatalf("Put after the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, c := range calls {
		if err := c.fn(); err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s after the restart: %v", c.name, err)
		}
	}
}

// TestContextDeadline checks that a caller's deadline bounds a call to a
// server that does not answer.
func TestContextDeadline(t *testing.T) {
	cfg := redistest.Config(t)
	s := redistest.OpenConfig(t, cfg)
	c := raw(t, cfg.Addr)
	// Pause the server's command processing for a second.
	if err := c.Do(t.Context(), "CLIENT", "PAUSE", "1000", "ALL").Err(); err != nil {
		t.Skipf("CLIENT PAUSE: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Get(ctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Get past the deadline: %v, want context.DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 700*time.Millisecond {
		t.Errorf("Get returned after %v, the deadline was 100ms", d)
	}
	time.Sleep(time.Second) // let the pause end for the other tests
}

func BenchmarkPut(b *testing.B) {
	s := redistest.Open(b)
	ctx := b.Context()
	v := bytes.Repeat([]byte("v"), 256)
	i := 0
	for b.Loop() {
		if err := s.Put(ctx, fmt.Sprintf("bench/%d", i%1000), v, 0); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkGet(b *testing.B) {
	s := redistest.Open(b)
	ctx := b.Context()
	v := bytes.Repeat([]byte("v"), 256)
	for i := range 1000 {
		if err := s.Put(ctx, fmt.Sprintf("bench/%d", i), v, 0); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Get(ctx, fmt.Sprintf("bench/%d", i%1000)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkPutParallel(b *testing.B) {
	s := redistest.Open(b)
	ctx := b.Context()
	v := bytes.Repeat([]byte("v"), 256)
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if err := s.Put(ctx, fmt.Sprintf("bench/%d", i%1000), v, 0); err != nil {
				b.Error(err)
				return
			}
			i++
		}
	})
}
