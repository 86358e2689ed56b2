package store_test

import (
	"errors"
	"path/filepath"
	"slices"
	"testing"

	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/storetest"
)

func openBolt(t *testing.T) store.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Config{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestWithPrefixContract(t *testing.T) {
	const ns = "wallet/"
	storetest.RunWith(t, func(t *testing.T) store.Store {
		return store.WithPrefix(openBolt(t), ns)
	}, storetest.Options{MaxKeyLen: store.MaxKeyLen - len(ns)})
}

func TestWithPrefixConfines(t *testing.T) {
	ctx := t.Context()
	base := openBolt(t)
	for _, k := range []string{"wallet", "wallet/a", "wallet/b", "walletx", "verifier/a", "a"} {
		if err := base.Put(ctx, k, []byte(k), 0); err != nil {
			t.Fatal(err)
		}
	}
	w := store.WithPrefix(base, "wallet/")

	entries, err := w.List(ctx, "", store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Key+"="+string(e.Value))
	}
	if want := []string{"a=wallet/a", "b=wallet/b"}; !slices.Equal(got, want) {
		t.Errorf("List in the view = %q, want %q", got, want)
	}
	if entries, _ := w.List(ctx, "", store.ListOptions{After: "a"}); len(entries) != 1 || entries[0].Key != "b" {
		t.Errorf("List after a = %v, want [b]", entries)
	}
	if _, err := w.Get(ctx, "verifier/a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the view reads outside its prefix: %v", err)
	}
	// An empty key in the view would be the prefix itself in the base.
	if err := w.Put(ctx, "", []byte("x"), 0); !errors.Is(err, store.ErrInvalid) {
		t.Errorf("Put of an empty key in the view: %v, want ErrInvalid", err)
	}
	if _, err := base.Get(ctx, "wallet/"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the view wrote its bare prefix: %v", err)
	}
	if err := w.Apply(ctx, store.OpDelete("a"), store.OpPut("c", []byte("c"), 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := base.Get(ctx, "wallet/a"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Apply in the view did not delete wallet/a: %v", err)
	}
	if v, err := base.Get(ctx, "wallet/c"); err != nil || string(v) != "c" {
		t.Errorf("Apply in the view did not write wallet/c: %q, %v", v, err)
	}

	// Nested views compose; closing a view leaves the base open.
	inner := store.WithPrefix(w, "c")
	if _, err := inner.Incr(ctx, "ount", 1); err != nil {
		t.Fatal(err)
	}
	if v, err := base.Get(ctx, "wallet/count"); err != nil || string(v) != "1" {
		t.Errorf("nested view wrote %q, %v; want wallet/count = 1", v, err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Get(ctx, "b"); !errors.Is(err, store.ErrClosed) {
		t.Errorf("closed view: %v, want ErrClosed", err)
	}
	if _, err := base.Get(ctx, "wallet/b"); err != nil {
		t.Errorf("closing the view closed the base: %v", err)
	}
}
