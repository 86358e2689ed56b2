// Package storetest is the contract suite of store.Store: every
// implementation runs it from its own tests, against a real backend, so that
// the services can switch between the embedded store and Redis without
// noticing.
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Config{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			t.Cleanup(func() { s.Close() })
//			return s
//		})
//	}
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/store"
)

// ShortTTL is the expiry the suite uses for entries it waits out. It is
// above a second so that backends with second-granular housekeeping are
// exercised too; the suite's subtests run in parallel so the waits overlap.
const ShortTTL = 1100 * time.Millisecond

// Run runs the contract suite as parallel subtests. open must return an
// empty store (or one whose keys cannot collide with another open's) on each
// call and close it when t ends (t.Cleanup); the suite also closes some
// stores itself, so Close must accept a second call.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	RunWith(t, open, Options{})
}

// Options adapt the suite to stores that wrap another one.
type Options struct {
	// MaxKeyLen is the longest key the store accepts when it is less than
	// store.MaxKeyLen: a store.WithPrefix view loses the prefix's length.
	MaxKeyLen int
}

// RunWith is Run with options.
func RunWith(t *testing.T, open func(t *testing.T) store.Store, opts Options) {
	if opts.MaxKeyLen == 0 {
		opts.MaxKeyLen = store.MaxKeyLen
	}
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store, opts Options)
	}{
		{"CRUD", testCRUD},
		{"NotFound", testNotFound},
		{"Create", testCreate},
		{"CreateConcurrent", testCreateConcurrent},
		{"Take", testTake},
		{"TakeConcurrent", testTakeConcurrent},
		{"TTL", testTTL},
		{"List", testList},
		{"ListPagination", testListPagination},
		{"Apply", testApply},
		{"ApplyAtomicVisibility", testApplyVisibility},
		{"Incr", testIncr},
		{"IncrConcurrent", testIncrConcurrent},
		{"Invalid", testInvalid},
		{"ErrorsDoNotLeakKeys", testNoLeak},
		{"ContextCancelled", testContext},
		{"LargeValue", testLargeValue},
		{"Close", testClose},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t), opts)
		})
	}
}

func put(t *testing.T, s store.Store, key, value string, ttl time.Duration) {
	t.Helper()
	if err := s.Put(t.Context(), key, []byte(value), ttl); err != nil {
		t.Fatalf("Put(%q): %v", key, err)
	}
}

func wantValue(t *testing.T, s store.Store, key, want string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if err != nil {
		t.Fatalf("Get(%q): %v, want %q", key, err, want)
	}
	if string(got) != want {
		t.Fatalf("Get(%q) = %q, want %q", key, got, want)
	}
}

func wantMissing(t *testing.T, s store.Store, key string) {
	t.Helper()
	got, err := s.Get(t.Context(), key)
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get(%q) = %q, %v; want ErrNotFound", key, got, err)
	}
}

func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

// call is one store method call, named for failure messages.
type call struct {
	name string
	fn   func() error
}

func keys(entries []store.Entry) []string {
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.Key
	}
	return out
}

func testCRUD(t *testing.T, s store.Store, opts Options) {
	ctx := t.Context()
	wantMissing(t, s, "user/alice")
	put(t, s, "user/alice", "v1", 0)
	wantValue(t, s, "user/alice", "v1")
	put(t, s, "user/alice", "v2", 0)
	wantValue(t, s, "user/alice", "v2")
	if err := s.Delete(ctx, "user/alice"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	wantMissing(t, s, "user/alice")
	if err := s.Delete(ctx, "user/alice"); err != nil {
		t.Fatalf("Delete of a missing key: %v, want nil", err)
	}

	cases := []struct {
		name  string
		key   string
		value []byte
	}{
		{"empty value", "v/empty", []byte{}},
		{"nil value", "v/nil", nil},
		{"binary value", "v/bin", []byte{0, 0xff, 0xfe, '\n', 0, 'x'}},
		{"unicode key", "证书/学位/张三", []byte("硕士")},
		{"longest key", strings.Repeat("k", opts.MaxKeyLen), []byte("long")},
		{"key with spaces and symbols", "a b*?[]{}:\\/", []byte("x")},
	}
	for _, c := range cases {
		if err := s.Put(ctx, c.key, c.value, 0); err != nil {
			t.Fatalf("%s: Put: %v", c.name, err)
		}
		got, err := s.Get(ctx, c.key)
		if err != nil {
			t.Fatalf("%s: Get: %v", c.name, err)
		}
		if !bytes.Equal(got, c.value) {
			t.Fatalf("%s: Get = %q, want %q", c.name, got, c.value)
		}
	}

	// Values are copied in and out.
	in := []byte("original")
	if err := s.Put(ctx, "copy", in, 0); err != nil {
		t.Fatal(err)
	}
	in[0] = 'X'
	out, err := s.Get(ctx, "copy")
	if err != nil {
		t.Fatal(err)
	}
	out[0] = 'Y'
	wantValue(t, s, "copy", "original")
}

func testNotFound(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	if _, err := s.Get(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get: %v, want ErrNotFound", err)
	}
	if _, err := s.Take(ctx, "missing"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Take: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, "missing"); err != nil {
		t.Errorf("Delete: %v, want nil", err)
	}
	entries, err := s.List(ctx, "missing", store.ListOptions{})
	if err != nil || len(entries) != 0 {
		t.Errorf("List = %v, %v; want nothing", keys(entries), err)
	}
	// A prefix of an existing key is not a key.
	put(t, s, "abc", "1", 0)
	wantMissing(t, s, "ab")
	wantMissing(t, s, "abcd")
}

func testCreate(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	if err := s.Create(ctx, "nonce/1", []byte("first"), 0); err != nil {
		t.Fatalf("Create: %v", err)
	}
	err := s.Create(ctx, "nonce/1", []byte("second"), 0)
	wantErr(t, "second Create", err, store.ErrExists)
	wantValue(t, s, "nonce/1", "first")

	put(t, s, "nonce/2", "put", 0)
	wantErr(t, "Create over Put", s.Create(ctx, "nonce/2", []byte("x"), time.Hour), store.ErrExists)
	wantValue(t, s, "nonce/2", "put")

	if err := s.Delete(ctx, "nonce/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "nonce/1", []byte("again"), 0); err != nil {
		t.Fatalf("Create after Delete: %v", err)
	}
	wantValue(t, s, "nonce/1", "again")
	if _, err := s.Take(ctx, "nonce/1"); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, "nonce/1", []byte("after take"), 0); err != nil {
		t.Fatalf("Create after Take: %v", err)
	}
}

const workers = 16

func testCreateConcurrent(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	for round := range 5 {
		key := fmt.Sprintf("username/%d", round)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() {
				errs[i] = s.Create(ctx, key, []byte(strconv.Itoa(i)), 0)
			})
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Fatalf("round %d: Creates %d and %d both succeeded", round, winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, store.ErrExists):
				t.Fatalf("round %d: Create %d: %v, want nil or ErrExists", round, i, err)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no Create succeeded", round)
		}
		wantValue(t, s, key, strconv.Itoa(winner))
	}
}

func testTake(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	put(t, s, "claim/1", "credential", time.Hour)
	got, err := s.Take(ctx, "claim/1")
	if err != nil || string(got) != "credential" {
		t.Fatalf("Take = %q, %v; want credential", got, err)
	}
	wantMissing(t, s, "claim/1")
	_, err = s.Take(ctx, "claim/1")
	wantErr(t, "second Take", err, store.ErrNotFound)
	entries, err := s.List(ctx, "claim/", store.ListOptions{})
	if err != nil || len(entries) != 0 {
		t.Fatalf("List after Take = %v, %v; want nothing", keys(entries), err)
	}

	put(t, s, "claim/empty", "", 0)
	got, err = s.Take(ctx, "claim/empty")
	if err != nil || len(got) != 0 {
		t.Fatalf("Take of an empty value = %q, %v", got, err)
	}
}

func testTakeConcurrent(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	for round := range 10 {
		key := fmt.Sprintf("challenge/%d", round)
		want := fmt.Sprintf("nonce-%d", round)
		put(t, s, key, want, time.Minute)
		got := make([][]byte, workers)
		errs := make([]error, workers)
		var wg sync.WaitGroup
		for i := range workers {
			wg.Go(func() { got[i], errs[i] = s.Take(ctx, key) })
		}
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				if string(got[i]) != want {
					t.Fatalf("round %d: Take %d = %q, want %q", round, i, got[i], want)
				}
			case !errors.Is(err, store.ErrNotFound):
				t.Fatalf("round %d: Take %d: %v, want nil or ErrNotFound", round, i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d Takes got the value, want exactly 1", round, winners)
		}
		wantMissing(t, s, key)
	}
}

func testTTL(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	start := time.Now()
	put(t, s, "ttl/get", "v", ShortTTL)
	put(t, s, "ttl/create", "old", ShortTTL)
	put(t, s, "ttl/take", "v", ShortTTL)
	put(t, s, "ttl/delete", "v", ShortTTL)
	put(t, s, "ttl/list/1", "gone", ShortTTL)
	put(t, s, "ttl/list/2", "kept", 0)
	put(t, s, "ttl/list/3", "gone", ShortTTL)
	put(t, s, "ttl/counter-expired", "5", ShortTTL)
	put(t, s, "ttl/counter-keeps-ttl", "5", ShortTTL)
	put(t, s, "ttl/persist", "v", ShortTTL)
	put(t, s, "ttl/persist", "forever", 0)
	put(t, s, "ttl/extend", "v", ShortTTL)
	put(t, s, "ttl/extend", "hour", time.Hour)
	put(t, s, "ttl/shorten", "v", 0)
	put(t, s, "ttl/shorten", "short", ShortTTL)
	put(t, s, "ttl/sub-ms", "v", time.Microsecond) // rounds up, must not mean "forever"
	if err := s.Create(ctx, "ttl/created", []byte("v"), ShortTTL); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx,
		store.OpPut("ttl/apply-put", []byte("v"), ShortTTL),
		store.OpCreate("ttl/apply-create", []byte("v"), ShortTTL),
	); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Incr(ctx, "ttl/counter-keeps-ttl", 1); err != nil || n != 6 {
		t.Fatalf("Incr = %d, %v; want 6", n, err)
	}

	// Before expiry everything is there.
	if time.Since(start) < ShortTTL-100*time.Millisecond {
		wantValue(t, s, "ttl/get", "v")
		wantValue(t, s, "ttl/apply-put", "v")
		wantValue(t, s, "ttl/created", "v")
		wantValue(t, s, "ttl/shorten", "short")
		wantValue(t, s, "ttl/counter-keeps-ttl", "6")
	}

	time.Sleep(time.Until(start.Add(ShortTTL + 300*time.Millisecond)))

	for _, k := range []string{"ttl/get", "ttl/created", "ttl/apply-put", "ttl/apply-create",
		"ttl/shorten", "ttl/counter-keeps-ttl", "ttl/sub-ms"} {
		wantMissing(t, s, k)
	}
	wantValue(t, s, "ttl/persist", "forever")
	wantValue(t, s, "ttl/extend", "hour")

	_, err := s.Take(ctx, "ttl/take")
	wantErr(t, "Take of an expired key", err, store.ErrNotFound)
	if err := s.Create(ctx, "ttl/create", []byte("new"), 0); err != nil {
		t.Fatalf("Create over an expired key: %v", err)
	}
	wantValue(t, s, "ttl/create", "new")
	if err := s.Delete(ctx, "ttl/delete"); err != nil {
		t.Fatalf("Delete of an expired key: %v", err)
	}
	if n, err := s.Incr(ctx, "ttl/counter-expired", 1); err != nil || n != 1 {
		t.Fatalf("Incr of an expired counter = %d, %v; want 1", n, err)
	}
	entries, err := s.List(ctx, "ttl/list/", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(entries); !slices.Equal(got, []string{"ttl/list/2"}) {
		t.Fatalf("List after expiry = %q, want [ttl/list/2]", got)
	}
	// An expired key in a batch's create does not block it.
	if err := s.Apply(ctx, store.OpCreate("ttl/apply-create", []byte("again"), 0)); err != nil {
		t.Fatalf("Apply create over an expired key: %v", err)
	}
}

var listKeys = []string{
	"a", "a/", "a/1", "a/10", "a/2", "a0", "ab", "b", "b/1", "z", "é", "é/1", "\u4e2d",
	"A", "0",
}

func testList(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	for _, k := range listKeys {
		put(t, s, k, "v:"+k, 0)
	}
	put(t, s, "deleted/x", "", 0)
	if err := s.Delete(ctx, "deleted/x"); err != nil {
		t.Fatal(err)
	}
	all := slices.Clone(listKeys)
	slices.Sort(all) // Go compares strings byte-wise, like the contract

	cases := []struct {
		name   string
		prefix string
		opts   store.ListOptions
		want   []string
	}{
		{"everything", "", store.ListOptions{}, all},
		{"prefix", "a/", store.ListOptions{}, []string{"a/", "a/1", "a/10", "a/2"}},
		{"prefix is also a key", "a", store.ListOptions{}, []string{"a", "a/", "a/1", "a/10", "a/2", "a0", "ab"}},
		{"multi-byte prefix", "é", store.ListOptions{}, []string{"é", "é/1"}},
		{"no match", "q", store.ListOptions{}, nil},
		{"limit", "a/", store.ListOptions{Limit: 2}, []string{"a/", "a/1"}},
		{"after a key", "a/", store.ListOptions{After: "a/1"}, []string{"a/10", "a/2"}},
		{"after a non-key", "a/", store.ListOptions{After: "a/0"}, []string{"a/1", "a/10", "a/2"}},
		{"after before the prefix", "b", store.ListOptions{After: "a"}, []string{"b", "b/1"}},
		{"after beyond the prefix", "a/", store.ListOptions{After: "b"}, nil},
		{"after the last key", "a/", store.ListOptions{After: "a/2"}, nil},
		{"after with limit", "", store.ListOptions{After: "a0", Limit: 3}, []string{"ab", "b", "b/1"}},
		{"deleted key", "deleted/", store.ListOptions{}, nil},
	}
	for _, c := range cases {
		entries, err := s.List(ctx, c.prefix, c.opts)
		if err != nil {
			t.Fatalf("%s: List: %v", c.name, err)
		}
		if got := keys(entries); !slices.Equal(got, c.want) {
			t.Errorf("%s: List(%q, %+v) = %q, want %q", c.name, c.prefix, c.opts, got, c.want)
		}
		for _, e := range entries {
			if string(e.Value) != "v:"+e.Key {
				t.Errorf("%s: value of %q = %q", c.name, e.Key, e.Value)
			}
		}
	}
}

func testListPagination(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	const n = store.DefaultListLimit + 37
	var ops []store.Op
	var want []string
	for i := range n {
		k := fmt.Sprintf("page/%d", i) // not zero-padded: order is byte-wise
		ops = append(ops, store.OpPut(k, []byte(k), 0))
		want = append(want, k)
	}
	ops = append(ops, store.OpPut("pagf", nil, 0), store.OpPut("pag", nil, 0))
	if err := s.Apply(ctx, ops...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(want)

	entries, err := s.List(ctx, "page/", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != store.DefaultListLimit {
		t.Fatalf("List with Limit 0 returned %d entries, want %d", len(entries), store.DefaultListLimit)
	}
	entries, err = s.List(ctx, "page/", store.ListOptions{Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(entries); !slices.Equal(got, want) {
		t.Fatalf("List with MaxListLimit = %d keys, want %d in order", len(got), len(want))
	}

	for _, limit := range []int{1, 2, 7, n, n + 1} {
		var got []string
		after := ""
		for pages := 0; ; pages++ {
			if pages > n+1 {
				t.Fatalf("limit %d: pagination does not end", limit)
			}
			page, err := s.List(ctx, "page/", store.ListOptions{After: after, Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if len(page) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page))
			}
			got = append(got, keys(page)...)
			if len(page) < limit {
				break
			}
			after = page[len(page)-1].Key
		}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: paged keys = %q…, want %d keys in order", limit, got[:min(len(got), 5)], len(want))
		}
	}
}

func testApply(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	put(t, s, "pre/del", "x", 0)
	put(t, s, "pre/keep", "keep", 0)
	put(t, s, "pre/exists", "old", 0)

	if err := s.Apply(ctx); err != nil {
		t.Fatalf("empty Apply: %v", err)
	}
	if err := s.Apply(ctx,
		store.OpPut("ok/1", []byte("1"), 0),
		store.OpCreate("ok/2", []byte("2"), time.Hour),
		store.OpDelete("pre/del"),
		store.OpDelete("never/existed"),
	); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	wantValue(t, s, "ok/1", "1")
	wantValue(t, s, "ok/2", "2")
	wantMissing(t, s, "pre/del")

	failing := []struct {
		name   string
		ops    []store.Op
		target error
		absent []string
	}{
		{"create of an existing key", []store.Op{
			store.OpPut("fail/1", []byte("1"), 0),
			store.OpDelete("pre/keep"),
			store.OpCreate("pre/exists", []byte("new"), 0),
			store.OpPut("fail/2", []byte("2"), 0),
		}, store.ErrExists, []string{"fail/1", "fail/2"}},
		{"create twice in one batch", []store.Op{
			store.OpCreate("fail/3", []byte("a"), 0),
			store.OpCreate("fail/3", []byte("b"), 0),
		}, store.ErrExists, []string{"fail/3"}},
		{"create after a put in one batch", []store.Op{
			store.OpPut("fail/4", []byte("a"), 0),
			store.OpCreate("fail/4", []byte("b"), 0),
		}, store.ErrExists, []string{"fail/4"}},
		{"invalid key", []store.Op{
			store.OpPut("fail/5", []byte("a"), 0),
			store.OpDelete("pre/keep"),
			store.OpPut("", []byte("b"), 0),
		}, store.ErrInvalid, []string{"fail/5"}},
		{"invalid value", []store.Op{
			store.OpPut("fail/6", []byte("a"), 0),
			store.OpPut("fail/7", make([]byte, store.MaxValueLen+1), 0),
		}, store.ErrInvalid, []string{"fail/6", "fail/7"}},
		{"negative ttl", []store.Op{
			store.OpPut("fail/8", []byte("a"), 0),
			store.OpCreate("fail/9", []byte("a"), -time.Second),
		}, store.ErrInvalid, []string{"fail/8", "fail/9"}},
		{"unknown kind", []store.Op{
			store.OpPut("fail/10", []byte("a"), 0),
			{Kind: 0, Key: "fail/11"},
		}, store.ErrInvalid, []string{"fail/10", "fail/11"}},
		{"too many ops", slices.Repeat([]store.Op{store.OpDelete("pre/keep")}, store.MaxOps+1),
			store.ErrInvalid, nil},
	}
	for _, c := range failing {
		err := s.Apply(ctx, c.ops...)
		if !errors.Is(err, c.target) {
			t.Fatalf("%s: Apply: %v, want %v", c.name, err, c.target)
		}
		for _, k := range c.absent {
			wantMissing(t, s, k)
		}
		wantValue(t, s, "pre/keep", "keep")
		wantValue(t, s, "pre/exists", "old")
	}
	err := s.Apply(ctx, store.OpPut("fail/x", nil, 0), store.OpCreate("pre/exists", nil, 0))
	if err == nil || !strings.Contains(err.Error(), "op 1") {
		t.Fatalf("Apply error %v does not name the failing op (op 1)", err)
	}

	// Ops apply in order.
	put(t, s, "order/1", "old", 0)
	if err := s.Apply(ctx,
		store.OpDelete("order/1"),
		store.OpCreate("order/1", []byte("recreated"), 0),
		store.OpPut("order/2", []byte("short-lived"), 0),
		store.OpDelete("order/2"),
		store.OpPut("order/3", []byte("a"), 0),
		store.OpPut("order/3", []byte("b"), 0),
	); err != nil {
		t.Fatalf("Apply in order: %v", err)
	}
	wantValue(t, s, "order/1", "recreated")
	wantMissing(t, s, "order/2")
	wantValue(t, s, "order/3", "b")
}

// testApplyVisibility checks that a reader never sees half a batch: a writer
// keeps setting two keys to the same number in one Apply while List, a
// single read, must always find them equal.
func testApplyVisibility(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	const rounds = 200
	if err := s.Apply(ctx, store.OpPut("pair/x", []byte("0"), 0), store.OpPut("pair/y", []byte("0"), 0)); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var werr error
	go func() {
		defer close(done)
		for i := 1; i <= rounds; i++ {
			v := []byte(strconv.Itoa(i))
			if werr = s.Apply(ctx, store.OpPut("pair/x", v, 0), store.OpPut("pair/y", v, 0)); werr != nil {
				return
			}
		}
	}()
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		entries, err := s.List(ctx, "pair/", store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 2 || !bytes.Equal(entries[0].Value, entries[1].Value) {
			t.Fatalf("saw half a batch: %q", entries)
		}
	}
	if werr != nil {
		t.Fatal(werr)
	}
}

func testIncr(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	steps := []struct {
		delta, want int64
	}{{1, 1}, {5, 6}, {-10, -4}, {0, -4}}
	for _, st := range steps {
		n, err := s.Incr(ctx, "counter/a", st.delta)
		if err != nil || n != st.want {
			t.Fatalf("Incr(%d) = %d, %v; want %d", st.delta, n, err, st.want)
		}
	}
	wantValue(t, s, "counter/a", "-4")

	put(t, s, "counter/b", "41", 0)
	if n, err := s.Incr(ctx, "counter/b", 1); err != nil || n != 42 {
		t.Fatalf("Incr of a Put value = %d, %v; want 42", n, err)
	}
	put(t, s, "counter/min", "-9223372036854775808", 0)
	if n, err := s.Incr(ctx, "counter/min", 9223372036854775807); err != nil || n != -1 {
		t.Fatalf("Incr from MinInt64 = %d, %v; want -1", n, err)
	}

	bad := []struct {
		name, stored string
		delta        int64
	}{
		{"text", "abc", 1},
		{"empty", "", 1},
		{"leading zero", "05", 1},
		{"plus sign", "+5", 1},
		{"space", " 5", 1},
		{"float", "1.5", 1},
		{"too big", "9223372036854775808", 1},
		{"overflow", "9223372036854775807", 1},
		{"underflow", "-9223372036854775808", -1},
	}
	for _, c := range bad {
		key := "counter/bad/" + c.name
		put(t, s, key, c.stored, 0)
		_, err := s.Incr(ctx, key, c.delta)
		wantErr(t, c.name, err, store.ErrInvalid)
		wantValue(t, s, key, c.stored)
	}
}

func testIncrConcurrent(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	const each = 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	seen := make(chan int64, workers*each)
	for range workers {
		wg.Go(func() {
			for range each {
				n, err := s.Incr(ctx, "statuslist/next", 1)
				if err != nil {
					errs <- err
					return
				}
				seen <- n
			}
		})
	}
	wg.Wait()
	close(errs)
	close(seen)
	for err := range errs {
		t.Fatalf("Incr: %v", err)
	}
	got := map[int64]bool{}
	for n := range seen {
		if got[n] {
			t.Fatalf("Incr returned %d twice", n)
		}
		got[n] = true
	}
	wantValue(t, s, "statuslist/next", strconv.Itoa(workers*each))
}

func testInvalid(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	badKeys := []struct{ name, key string }{
		{"empty", ""},
		{"too long", strings.Repeat("k", store.MaxKeyLen+1)},
		{"invalid UTF-8", "bad\xff"},
		{"NUL", "a\x00b"},
	}
	v := []byte("v")
	for _, k := range badKeys {
		ops := []call{
			{"Get", func() error { _, err := s.Get(ctx, k.key); return err }},
			{"Put", func() error { return s.Put(ctx, k.key, v, 0) }},
			{"Create", func() error { return s.Create(ctx, k.key, v, 0) }},
			{"Take", func() error { _, err := s.Take(ctx, k.key); return err }},
			{"Delete", func() error { return s.Delete(ctx, k.key) }},
			{"Incr", func() error { _, err := s.Incr(ctx, k.key, 1); return err }},
			{"Apply put", func() error { return s.Apply(ctx, store.OpPut(k.key, v, 0)) }},
			{"Apply delete", func() error { return s.Apply(ctx, store.OpDelete(k.key)) }},
		}
		if k.key != "" {
			ops = append(ops,
				call{"List prefix", func() error { _, err := s.List(ctx, k.key, store.ListOptions{}); return err }},
				call{"List after", func() error { _, err := s.List(ctx, "", store.ListOptions{After: k.key}); return err }},
			)
		}
		for _, op := range ops {
			err := op.fn()
			var inv *store.InvalidError
			if !errors.Is(err, store.ErrInvalid) || !errors.As(err, &inv) {
				t.Errorf("%s with a %s key: %v, want an *InvalidError", op.name, k.name, err)
			}
		}
	}

	other := []struct {
		name  string
		field string
		call  func() error
	}{
		{"Put too large", "value", func() error { return s.Put(ctx, "big", make([]byte, store.MaxValueLen+1), 0) }},
		{"Create too large", "value", func() error { return s.Create(ctx, "big", make([]byte, store.MaxValueLen+1), 0) }},
		{"Put negative ttl", "ttl", func() error { return s.Put(ctx, "neg", v, -time.Millisecond) }},
		{"Create negative ttl", "ttl", func() error { return s.Create(ctx, "neg", v, -time.Millisecond) }},
		{"List negative limit", "limit", func() error { _, err := s.List(ctx, "", store.ListOptions{Limit: -1}); return err }},
		{"List limit too large", "limit", func() error {
			_, err := s.List(ctx, "", store.ListOptions{Limit: store.MaxListLimit + 1})
			return err
		}},
		{"Apply too large", "batch", func() error {
			big := make([]byte, store.MaxValueLen)
			return s.Apply(ctx, slices.Repeat([]store.Op{store.OpPut("big", big, 0)}, store.MaxApplyLen/store.MaxValueLen+1)...)
		}},
	}
	for _, c := range other {
		err := c.call()
		var inv *store.InvalidError
		if !errors.As(err, &inv) || !errors.Is(err, store.ErrInvalid) {
			t.Errorf("%s: %v, want an *InvalidError", c.name, err)
			continue
		}
		if inv.Field != c.field {
			t.Errorf("%s: InvalidError.Field = %q, want %q", c.name, inv.Field, c.field)
		}
	}
	for _, k := range []string{"big", "neg"} {
		wantMissing(t, s, k)
	}
}

// testNoLeak checks that error messages do not quote keys, which are often
// secrets (session ids, claim tokens).
func testNoLeak(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	const secret = "SeCrEt-token-4711"
	put(t, s, "session/"+secret, "v", 0)
	_, errGet := s.Get(ctx, "session/missing-"+secret)
	_, errTake := s.Take(ctx, "session/missing-"+secret)
	errCreate := s.Create(ctx, "session/"+secret, nil, 0)
	errApply := s.Apply(ctx, store.OpCreate("session/"+secret, nil, 0))
	errInvalid := s.Put(ctx, secret+"\x00", nil, 0)
	_, errIncr := s.Incr(ctx, "session/"+secret, 1)
	for i, err := range []error{errGet, errTake, errCreate, errApply, errInvalid, errIncr} {
		if err == nil {
			t.Fatalf("error %d: nil", i)
		}
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %d quotes the key: %v", i, err)
		}
	}
}

func testContext(t *testing.T, s store.Store, _ Options) {
	put(t, s, "ctx/existing", "v", 0)
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	expired, cancel2 := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer cancel2()
	for _, c := range []struct {
		name   string
		ctx    context.Context
		target error
	}{{"cancelled", cancelled, context.Canceled}, {"deadline", expired, context.DeadlineExceeded}} {
		ctx := c.ctx
		calls := []call{
			{"Get", func() error { _, err := s.Get(ctx, "ctx/existing"); return err }},
			{"Put", func() error { return s.Put(ctx, "ctx/new", []byte("x"), 0) }},
			{"Create", func() error { return s.Create(ctx, "ctx/new", []byte("x"), 0) }},
			{"Take", func() error { _, err := s.Take(ctx, "ctx/existing"); return err }},
			{"Delete", func() error { return s.Delete(ctx, "ctx/existing") }},
			{"List", func() error { _, err := s.List(ctx, "ctx/", store.ListOptions{}); return err }},
			{"Apply", func() error { return s.Apply(ctx, store.OpPut("ctx/new", nil, 0)) }},
			{"Incr", func() error { _, err := s.Incr(ctx, "ctx/counter", 1); return err }},
		}
		for _, cl := range calls {
			if err := cl.fn(); !errors.Is(err, c.target) {
				t.Errorf("%s with a %s context: %v, want %v", cl.name, c.name, err, c.target)
			}
		}
	}
	wantValue(t, s, "ctx/existing", "v")
	wantMissing(t, s, "ctx/new")
	wantMissing(t, s, "ctx/counter")
}

func testLargeValue(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	big := make([]byte, store.MaxValueLen)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "large/put", big, 0); err != nil {
		t.Fatalf("Put of MaxValueLen bytes: %v", err)
	}
	got, err := s.Get(ctx, "large/put")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Get of a large value: %d bytes, %v; want %d equal bytes", len(got), err, len(big))
	}
	if err := s.Apply(ctx, store.OpCreate("large/apply", big[:1<<20], 0)); err != nil {
		t.Fatalf("Apply with a 1 MiB value: %v", err)
	}
	entries, err := s.List(ctx, "large/", store.ListOptions{})
	if err != nil || len(entries) != 2 || !bytes.Equal(entries[1].Value, big) || !bytes.Equal(entries[0].Value, big[:1<<20]) {
		t.Fatalf("List of large values: %d entries, %v", len(entries), err)
	}
	got, err = s.Take(ctx, "large/put")
	if err != nil || !bytes.Equal(got, big) {
		t.Fatalf("Take of a large value: %d bytes, %v", len(got), err)
	}
	err = s.Put(ctx, "large/too", append(big, 0), 0)
	wantErr(t, "Put of MaxValueLen+1 bytes", err, store.ErrInvalid)
	wantMissing(t, s, "large/too")
}

func testClose(t *testing.T, s store.Store, _ Options) {
	ctx := t.Context()
	put(t, s, "k", "v", 0)
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	calls := []call{
		{"Get", func() error { _, err := s.Get(ctx, "k"); return err }},
		{"Put", func() error { return s.Put(ctx, "k", nil, 0) }},
		{"Create", func() error { return s.Create(ctx, "n", nil, 0) }},
		{"Take", func() error { _, err := s.Take(ctx, "k"); return err }},
		{"Delete", func() error { return s.Delete(ctx, "k") }},
		{"List", func() error { _, err := s.List(ctx, "", store.ListOptions{}); return err }},
		{"Apply", func() error { return s.Apply(ctx, store.OpDelete("k")) }},
		{"Incr", func() error { _, err := s.Incr(ctx, "c", 1); return err }},
	}
	for _, c := range calls {
		if err := c.fn(); !errors.Is(err, store.ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", c.name, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v, want nil", err)
	}
}
