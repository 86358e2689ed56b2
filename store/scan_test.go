package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/talentchain/talentchain/store"
)

func TestScan(t *testing.T) {
	ctx := t.Context()
	s := openBolt(t)
	var want []string
	for i := range 7 {
		k := fmt.Sprintf("p/%02d", i)
		want = append(want, k)
		if err := s.Put(ctx, k, []byte(k), 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"o/x", "p", "q/00"} { // outside the prefix
		if err := s.Put(ctx, k, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	errStop := errors.New("stop")
	for _, c := range []struct {
		name   string
		prefix string
		opts   store.ScanOptions
		stop   int // f fails at this entry (1-based); 0: never
		want   []string
		pages  int
		err    error
	}{
		{"default page", "p/", store.ScanOptions{}, 0, want, 1, nil},
		{"pages of 3", "p/", store.ScanOptions{PageSize: 3}, 0, want, 3, nil},
		{"pages of 7 (one full, one empty read)", "p/", store.ScanOptions{PageSize: 7}, 0, want, 1, nil},
		{"pages of 1", "p/", store.ScanOptions{PageSize: 1}, 0, want, 7, nil},
		{"max equal to the count", "p/", store.ScanOptions{PageSize: 7, Max: 7}, 0, want, 1, nil},
		{"max at a page boundary", "p/", store.ScanOptions{PageSize: 3, Max: 6}, 0, want[:6], 2, store.ErrTooMany},
		{"max inside a page", "p/", store.ScanOptions{PageSize: 3, Max: 4}, 0, want[:4], 2, store.ErrTooMany},
		{"empty prefix range", "none/", store.ScanOptions{}, 0, nil, 0, nil},
		{"f stops the scan", "p/", store.ScanOptions{PageSize: 2}, 3, want[:3], 2, errStop},
		{"negative page size", "p/", store.ScanOptions{PageSize: -1}, 0, nil, 0, store.ErrInvalid},
		{"page size too large", "p/", store.ScanOptions{PageSize: store.MaxListLimit + 1}, 0, nil, 0, store.ErrInvalid},
		{"negative max", "p/", store.ScanOptions{Max: -1}, 0, nil, 0, store.ErrInvalid},
		{"invalid prefix", "p/\x00", store.ScanOptions{}, 0, nil, 0, store.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []string
			pages := 0
			err := store.Pages(ctx, s, c.prefix, c.opts, func(page []store.Entry) error {
				pages++
				for _, e := range page {
					got = append(got, e.Key)
					if string(e.Value) != e.Key {
						t.Errorf("entry %s has value %q", e.Key, e.Value)
					}
					if len(got) == c.stop {
						return errStop
					}
				}
				return nil
			})
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("Pages error = %v, want %v", err, c.err)
			}
			if !slices.Equal(got, c.want) || pages != c.pages {
				t.Fatalf("Pages visited %q in %d pages, want %q in %d", got, pages, c.want, c.pages)
			}

			got = nil
			err = store.Each(ctx, s, c.prefix, c.opts, func(e store.Entry) error {
				got = append(got, e.Key)
				if len(got) == c.stop {
					return errStop
				}
				return nil
			})
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) || !slices.Equal(got, c.want) {
				t.Fatalf("Each = %q, %v, want %q, %v", got, err, c.want, c.err)
			}

			if c.stop != 0 {
				return
			}
			all, err := store.All(ctx, s, c.prefix, c.opts)
			if !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("All error = %v, want %v", err, c.err)
			}
			if err != nil {
				if all != nil {
					t.Fatalf("All returned entries with an error: %v", all)
				}
				return
			}
			keys := []string{}
			for _, e := range all {
				keys = append(keys, e.Key)
			}
			if !slices.Equal(keys, c.want) && !(len(keys) == 0 && c.want == nil) {
				t.Fatalf("All = %q, want %q", keys, c.want)
			}
		})
	}
}

func TestScanContext(t *testing.T) {
	s := openBolt(t)
	if err := s.Put(t.Context(), "a", nil, 0); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	called := false
	err := store.Each(ctx, s, "", store.ScanOptions{}, func(store.Entry) error { called = true; return nil })
	if !errors.Is(err, context.Canceled) || called {
		t.Fatalf("Each on a done context = %v (f called: %v), want context.Canceled", err, called)
	}
}

func TestScanView(t *testing.T) {
	ctx := t.Context()
	base := openBolt(t)
	for _, k := range []string{"wallet/a", "wallet/b", "wallet/c", "walletx"} {
		if err := base.Put(ctx, k, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	all, err := store.All(ctx, store.WithPrefix(base, "wallet/"), "", store.ScanOptions{PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 || all[0].Key != "a" || all[2].Key != "c" {
		t.Fatalf("All in a view = %v, want a, b, c", all)
	}
}
