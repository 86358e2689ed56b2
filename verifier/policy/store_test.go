package policy

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/store"
)

func TestStore(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			raw := s.open(t)
			clock := now
			ps, err := NewStore(raw, newEngine(t, Config{}), func() time.Time { return clock })
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Get(ctx, "beijing-talent-permit", 0); !errors.Is(err, ErrNotFound) {
				t.Fatalf("get before save: %v", err)
			}

			// Version 1.
			c1, err := ps.Save(ctx, talentPermit())
			if err != nil {
				t.Fatal(err)
			}
			if c1.Ref().Version != 1 || !c1.Policy().Created.Equal(now) {
				t.Fatalf("v1 ref %+v created %v", c1.Ref(), c1.Policy().Created)
			}
			// The id is taken now.
			if _, err := ps.Save(ctx, talentPermit()); !errors.Is(err, ErrConflict) {
				t.Fatalf("second v1: %v", err)
			}

			// Edit: version 2 raises the hours; version 1 stays as it was.
			clock = now.Add(time.Hour)
			edit, err := ps.Get(ctx, "beijing-talent-permit", 0)
			if err != nil {
				t.Fatal(err)
			}
			edit.Rules[1].Expr = strings.Replace(edit.Rules[1].Expr, ">= 120", ">= 160", 1)
			c2, err := ps.Save(ctx, *edit)
			if err != nil {
				t.Fatal(err)
			}
			if c2.Ref().Version != 2 || c2.Ref().Digest == c1.Ref().Digest {
				t.Fatalf("v2 ref %+v, v1 %+v", c2.Ref(), c1.Ref())
			}
			// An edit of the stale version 1 is a conflict.
			stale, _ := ps.Get(ctx, "beijing-talent-permit", 1)
			stale.Name.En = "renamed"
			if _, err := ps.Save(ctx, *stale); !errors.Is(err, ErrConflict) {
				t.Fatalf("stale edit: %v", err)
			}

			old, err := ps.Get(ctx, "beijing-talent-permit", 1)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(old.Rules[1].Expr, ">= 120") || old.Version != 1 {
				t.Fatalf("version 1 changed: %+v", old)
			}
			latest, err := ps.Load(ctx, "beijing-talent-permit", 0)
			if err != nil {
				t.Fatal(err)
			}
			if latest.Ref() != c2.Ref() {
				t.Fatalf("latest %+v, want %+v", latest.Ref(), c2.Ref())
			}
			loaded1, err := ps.Load(ctx, "beijing-talent-permit", 1)
			if err != nil || loaded1.Ref() != c1.Ref() {
				t.Fatalf("load v1: %v %+v, want %+v (the digest must survive the round trip)", err, loaded1.Ref(), c1.Ref())
			}
			if v, err := ps.Versions(ctx, "beijing-talent-permit"); err != nil || !slices.Equal(v, []int{1, 2}) {
				t.Fatalf("versions %v %v", v, err)
			}
			if _, err := ps.Get(ctx, "beijing-talent-permit", 3); !errors.Is(err, ErrNotFound) {
				t.Fatalf("v3: %v", err)
			}

			// A malformed edit is refused and stores nothing.
			bad := *edit
			bad.Version = 2
			bad.Rules = slices.Clone(edit.Rules)
			bad.Rules[0].Expr = "credentials.exists(c, c.level = 'doctor')"
			_, err = ps.Save(ctx, bad)
			var ce *CompileError
			if !errors.As(err, &ce) || ce.Issues[0].Line != 1 || ce.Issues[0].Column == 0 {
				t.Fatalf("malformed edit: %v", err)
			}
			if v, _ := ps.Versions(ctx, "beijing-talent-permit"); len(v) != 2 {
				t.Fatalf("a refused edit was stored: versions %v", v)
			}

			// Keys live under policy/.
			entries, err := raw.List(ctx, "", store.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if !strings.HasPrefix(e.Key, KeyPrefix) {
					t.Errorf("key %q outside %s", e.Key, KeyPrefix)
				}
			}
			if _, err := ps.Get(ctx, "../x", 0); !errors.Is(err, ErrInvalid) {
				t.Fatalf("bad id: %v", err)
			}
		})
	}
}

// TestStoreConcurrentEdits: of several editors saving an edit of the same
// version, exactly one wins; the others get ErrConflict.
func TestStoreConcurrentEdits(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			ps, err := NewStore(s.open(t), newEngine(t, Config{}), nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ps.Save(ctx, talentPermit()); err != nil {
				t.Fatal(err)
			}
			const editors = 8
			var wg sync.WaitGroup
			errs := make([]error, editors)
			for i := range editors {
				wg.Go(func() {
					p := talentPermit()
					p.Version = 1
					p.Name.En = "edit " + itoa(i)
					_, errs[i] = ps.Save(ctx, p)
				})
			}
			wg.Wait()
			won := 0
			for _, err := range errs {
				switch {
				case err == nil:
					won++
				case !errors.Is(err, ErrConflict):
					t.Errorf("unexpected error %v", err)
				}
			}
			if won != 1 {
				t.Fatalf("%d editors won, want 1", won)
			}
			if v, _ := ps.Versions(ctx, "beijing-talent-permit"); !slices.Equal(v, []int{1, 2}) {
				t.Fatalf("versions %v", v)
			}
		})
	}
}
