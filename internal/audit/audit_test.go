package audit_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

func openStore(t testing.TB) store.Store {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "store.db"), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return store.WithPrefix(st, "audit/")
}

func fill(t *testing.T, l *audit.Log, n int) []*audit.Entry {
	t.Helper()
	var out []*audit.Entry
	for i := range n {
		e, err := l.Append(t.Context(), audit.Event{Actor: "operator", Action: "org.create",
			Target: fmt.Sprintf("did:talent:org%d", i), RequestID: fmt.Sprintf("req-%d", i), Outcome: audit.OutcomeOK, Status: 201})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

func TestAppendAndVerify(t *testing.T) {
	st := openStore(t)
	l, err := audit.New(st)
	if err != nil {
		t.Fatal(err)
	}
	if rep, err := l.Verify(t.Context()); err != nil || rep.Entries != 0 {
		t.Fatalf("empty log: %+v %v", rep, err)
	}
	es := fill(t, l, 5)
	for i, e := range es {
		if e.Seq != uint64(i+1) || len(e.Hash) != 64 || (i > 0 && e.Prev != es[i-1].Hash) {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
	rep, err := l.Verify(t.Context())
	if err != nil || rep.Entries != 5 || rep.HeadSeq != 5 || rep.HeadHash != es[4].Hash {
		t.Fatalf("verify: %+v %v", rep, err)
	}
}

// TestTamperDetected alters a stored log in each way an accident or an
// intruder might, and Verify names the problem.
func TestTamperDetected(t *testing.T) {
	key := func(seq int) string { return fmt.Sprintf("e/%020d", seq) }
	tests := []struct {
		name   string
		tamper func(t *testing.T, st store.Store)
		want   string
	}{
		{"an entry deleted", func(t *testing.T, st store.Store) { st.Delete(t.Context(), key(3)) }, "entry 3 is missing"},
		{"an entry edited", func(t *testing.T, st store.Store) {
			raw, _ := st.Get(t.Context(), key(2))
			raw = []byte(strings.Replace(string(raw), `"outcome":"ok"`, `"outcome":"denied"`, 1))
			st.Put(t.Context(), key(2), raw, 0)
		}, "entry 2 was edited"},
		{"an entry edited with its hash recomputed", func(t *testing.T, st store.Store) {
			// Re-hashing the edited entry breaks the link of the next one.
			raw, _ := st.Get(t.Context(), key(2))
			var e audit.Entry
			json.Unmarshal(raw, &e)
			e.Target = "did:talent:someoneelse"
			e.Hash = audit.Sum(&e)
			raw, _ = json.Marshal(e)
			st.Put(t.Context(), key(2), raw, 0)
		}, "entry 3 does not link to entry 2"},
		{"the last entry deleted", func(t *testing.T, st store.Store) { st.Delete(t.Context(), key(5)) }, "the head names entry 5 but the log ends at 4"},
		{"the last entry and the head rolled back", func(t *testing.T, st store.Store) {
			st.Delete(t.Context(), key(5))
			st.Put(t.Context(), "head", []byte(`{"seq":4,"hash":"00"}`), 0)
		}, "the head's hash is not the last entry's"},
		{"an entry moved", func(t *testing.T, st store.Store) {
			raw, _ := st.Get(t.Context(), key(4))
			st.Put(t.Context(), key(9), raw, 0)
			st.Delete(t.Context(), key(4))
		}, "entry 4 is missing"},
		{"garbage", func(t *testing.T, st store.Store) { st.Put(t.Context(), key(1), []byte("{"), 0) }, "does not decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := openStore(t)
			l, _ := audit.New(st)
			fill(t, l, 5)
			tt.tamper(t, st)
			_, err := l.Verify(t.Context())
			if !errors.Is(err, audit.ErrTampered) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("verify: %v, want ErrTampered saying %q", err, tt.want)
			}
		})
	}
}

func TestAppendRefusesBadEvents(t *testing.T) {
	l, _ := audit.New(openStore(t))
	ok := audit.Event{Actor: "operator", Action: "token.revoke", Target: "tok1", Outcome: audit.OutcomeOK}
	tests := []struct {
		name string
		edit func(e *audit.Event)
	}{
		{"no actor", func(e *audit.Event) { e.Actor = "" }},
		{"no action", func(e *audit.Event) { e.Action = "" }},
		{"action not dotted words", func(e *audit.Event) { e.Action = "Org Create" }},
		{"unknown outcome", func(e *audit.Event) { e.Outcome = "maybe" }},
		{"non-ASCII actor (a name, not an id)", func(e *audit.Event) { e.Actor = "李四" }},
		{"control characters in the target", func(e *audit.Event) { e.Target = "a\nb" }},
		{"target too long", func(e *audit.Event) { e.Target = strings.Repeat("x", 513) }},
		{"bad status", func(e *audit.Event) { e.Status = 42 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := ok
			tt.edit(&ev)
			if _, err := l.Append(t.Context(), ev); !errors.Is(err, audit.ErrInvalid) {
				t.Fatalf("append: %v, want ErrInvalid", err)
			}
		})
	}
	if p, _ := l.Page(t.Context(), 0, 0); len(p.Entries) != 0 {
		t.Fatalf("refused events were stored: %+v", p.Entries)
	}
	if _, err := l.Append(t.Context(), ok); err != nil {
		t.Fatal(err)
	}
}

func TestPage(t *testing.T) {
	l, _ := audit.New(openStore(t))
	fill(t, l, 7)
	var seqs []uint64
	after := uint64(0)
	pages := 0
	for {
		p, err := l.Page(t.Context(), after, 3)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, e := range p.Entries {
			seqs = append(seqs, e.Seq)
		}
		if p.Next == "" {
			break
		}
		fmt.Sscan(p.Next, &after)
	}
	if pages != 3 || len(seqs) != 7 || seqs[0] != 1 || seqs[6] != 7 {
		t.Fatalf("%d pages, %v", pages, seqs)
	}
	for _, limit := range []int{-1, audit.MaxPageLimit + 1} {
		if _, err := l.Page(t.Context(), 0, limit); !errors.Is(err, audit.ErrInvalid) {
			t.Errorf("limit %d: %v", limit, err)
		}
	}
}

// TestConcurrentReplicas: two logs over one store (two replicas) append at
// once; the chain stays whole and every event is in it once.
func TestConcurrentReplicas(t *testing.T) {
	st := openStore(t)
	a, _ := audit.New(st)
	b, _ := audit.New(st)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		l := a
		if i%2 == 1 {
			l = b
		}
		wg.Go(func() {
			_, err := l.Append(context.Background(), audit.Event{Actor: "operator", Action: "staff.add", Target: fmt.Sprint(i), Outcome: audit.OutcomeOK})
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	rep, err := a.Verify(t.Context())
	if err != nil || rep.Entries != 40 {
		t.Fatalf("%+v %v", rep, err)
	}
}

func TestClock(t *testing.T) {
	at := time.Date(2026, 6, 30, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	l, _ := audit.New(openStore(t), audit.WithClock(func() time.Time { return at }))
	e, err := l.Append(t.Context(), audit.Event{Actor: "operator", Action: "org.suspend", Outcome: audit.OutcomeOK})
	if err != nil || !e.Time.Equal(at) || e.Time.Location() != time.UTC {
		t.Fatalf("%+v %v", e, err)
	}
}
