package bolt

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/storetest"
)

func openTemp(t testing.TB, cfg Config) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, cfg)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s, path
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t, Config{})
		return s
	})
}

// TestContractNoSync runs the suite with fsync off, the setting tests of
// other packages are likely to use.
func TestContractNoSync(t *testing.T) {
	if testing.Short() {
		t.Skip("short")
	}
	storetest.Run(t, func(t *testing.T) store.Store {
		s, _ := openTemp(t, Config{NoSync: true})
		return s
	})
}

func TestSurvivesRestart(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := Open(path, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx,
		store.OpPut("issuer/org/1", []byte("Tsinghua"), 0),
		store.OpPut("issuer/org/2", []byte("PKU"), time.Hour),
		store.OpPut("session/short", []byte("x"), 50*time.Millisecond),
	); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Incr(ctx, "statuslist/next", 7); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(60 * time.Millisecond)

	s, err = Open(path, Config{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	for key, want := range map[string]string{
		"issuer/org/1":    "Tsinghua",
		"issuer/org/2":    "PKU",
		"statuslist/next": "7",
	} {
		got, err := s.Get(ctx, key)
		if err != nil || string(got) != want {
			t.Errorf("after reopen Get(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	if _, err := s.Get(ctx, "session/short"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired entry after reopen: %v, want ErrNotFound", err)
	}
	if n, err := s.Incr(ctx, "statuslist/next", 1); err != nil || n != 8 {
		t.Errorf("Incr after reopen = %d, %v; want 8", n, err)
	}
}

func TestOpenConfig(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name string
		path string
		cfg  Config
	}{
		{"empty path", "", Config{}},
		{"negative lock timeout", filepath.Join(dir, "a"), Config{LockTimeout: -1}},
		{"negative sweep interval", filepath.Join(dir, "b"), Config{SweepInterval: -time.Second}},
		{"directory missing", filepath.Join(dir, "no", "such", "dir", "db"), Config{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Open(c.path, c.cfg)
			if err == nil {
				s.Close()
				t.Fatal("Open succeeded, want an error")
			}
		})
	}
}

func TestOpenLockedByAnother(t *testing.T) {
	_, path := openTemp(t, Config{})
	start := time.Now()
	s, err := Open(path, Config{LockTimeout: 100 * time.Millisecond})
	if err == nil {
		s.Close()
		t.Fatal("second Open of a locked file succeeded")
	}
	if !errors.Is(err, bbolt.ErrTimeout) || !strings.Contains(err.Error(), "locked") {
		t.Errorf("error %v does not say the file is locked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Open waited %v", d)
	}
}

func TestOpenRefusesOtherFormat(t *testing.T) {
	path := filepath.Join(t.TempDir(), "other.db")
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(func(tx *bbolt.Tx) error {
		b, err := tx.CreateBucket(bucketMeta)
		if err != nil {
			return err
		}
		return b.Put(keyFormat, []byte("talentchain-store/99"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if s, err := Open(path, Config{}); err == nil {
		s.Close()
		t.Fatal("Open accepted an unknown file format")
	}
}

func TestOpenCreatesPrivateFile(t *testing.T) {
	_, path := openTemp(t, Config{})
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		t.Errorf("file mode %v, want no group or other access", perm)
	}
}

// TestSweep checks that expired rows leave the disk, index included, and
// that live rows and rows re-written without expiry stay.
func TestSweep(t *testing.T) {
	ctx := t.Context()
	s, _ := openTemp(t, Config{SweepInterval: time.Hour})
	now := time.Unix(1_700_000_000, 0)
	s.now = func() time.Time { return now }

	const n = sweepBatch*2 + 5 // several sweep transactions
	var ops []store.Op
	for i := range n {
		ops = append(ops, store.OpPut(fmt.Sprintf("nonce/%05d", i), []byte("x"), time.Minute))
	}
	ops = append(ops,
		store.OpPut("keep/forever", []byte("x"), 0),
		store.OpPut("keep/later", []byte("x"), time.Hour),
		store.OpPut("keep/rewritten", []byte("x"), time.Minute),
	)
	if err := s.Apply(ctx, ops...); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "keep/rewritten", []byte("y"), 0); err != nil {
		t.Fatal(err)
	}
	if got := s.sweepNow(t); got != 0 {
		t.Fatalf("sweep before expiry deleted %d rows", got)
	}

	now = now.Add(2 * time.Minute)
	if got := s.sweepNow(t); got != n {
		t.Fatalf("sweep deleted %d rows, want %d", got, n)
	}
	kv, exp := s.count(t)
	if kv != 3 || exp != 1 {
		t.Fatalf("after sweep: %d rows and %d expiry entries, want 3 and 1", kv, exp)
	}
	for _, k := range []string{"keep/forever", "keep/later", "keep/rewritten"} {
		if _, err := s.Get(ctx, k); err != nil {
			t.Errorf("Get(%q) after sweep: %v", k, err)
		}
	}
}

// TestSweeperRuns checks that the background sweeper runs and stops on Close.
func TestSweeperRuns(t *testing.T) {
	s, _ := openTemp(t, Config{SweepInterval: 20 * time.Millisecond})
	if err := s.Put(t.Context(), "k", []byte("v"), time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if kv, _ := s.count(t); kv == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the sweeper did not delete the expired row")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Store) sweepNow(t *testing.T) int {
	t.Helper()
	n, err := s.sweep()
	if err != nil {
		t.Fatalf("sweep: %v", err)
	}
	return n
}

func (s *Store) count(t *testing.T) (kv, exp int) {
	t.Helper()
	err := s.db.View(func(tx *bbolt.Tx) error {
		kv = tx.Bucket(bucketKV).Stats().KeyN
		exp = tx.Bucket(bucketExp).Stats().KeyN
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kv, exp
}

func TestExpiryRounding(t *testing.T) {
	tx := &txn{now: 1000}
	cases := []struct {
		ttl  time.Duration
		want int64
	}{
		{0, 0},
		{time.Nanosecond, 1000 + int64(time.Millisecond)},
		{time.Millisecond, 1000 + int64(time.Millisecond)},
		{time.Millisecond + 1, 1000 + 2*int64(time.Millisecond)},
		{time.Duration(1<<63 - 1), 1<<63 - 1},
	}
	for _, c := range cases {
		if got := tx.expiry(c.ttl); got != c.want {
			t.Errorf("expiry(%v) = %d, want %d", c.ttl, got, c.want)
		}
	}
}

func BenchmarkPut(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("fsync=%v", sync), func(b *testing.B) {
			s, _ := openTemp(b, Config{NoSync: !sync})
			ctx := b.Context()
			v := bytes.Repeat([]byte("v"), 256)
			i := 0
			for b.Loop() {
				if err := s.Put(ctx, fmt.Sprintf("bench/%d", i%1000), v, 0); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
}

func BenchmarkGet(b *testing.B) {
	s, _ := openTemp(b, Config{NoSync: true})
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
