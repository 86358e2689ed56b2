package audit_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// FuzzVerify replaces a stored entry (and the head) by arbitrary bytes,
// as a damaged disk or an intruder would: Verify never panics, and accepts
// the log only when the bytes are the original ones.
func FuzzVerify(f *testing.F) {
	dir := f.TempDir()
	st, err := bolt.Open(filepath.Join(dir, "store.db"), bolt.Config{NoSync: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	ctx := context.Background()
	raw := store.WithPrefix(st, "audit/")
	l, _ := audit.New(raw)
	for _, a := range []string{"org.create", "token.create", "org.suspend"} {
		if _, err := l.Append(ctx, audit.Event{Actor: "operator", Action: a, Target: "did:talent:x", Outcome: audit.OutcomeOK}); err != nil {
			f.Fatal(err)
		}
	}
	entry, _ := raw.Get(ctx, "e/00000000000000000002")
	head, _ := raw.Get(ctx, "head")
	f.Add(entry, head)
	f.Add([]byte(`{"seq":2}`), head)
	f.Add(entry, []byte(`{"seq":3,"hash":""}`))
	f.Add([]byte(`null`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, e, h []byte) {
		if len(e) == 0 || len(h) == 0 {
			return // the store keeps empty values; covered by the table tests
		}
		if err := raw.Put(ctx, "e/00000000000000000002", e, 0); err != nil {
			t.Skip(err)
		}
		if err := raw.Put(ctx, "head", h, 0); err != nil {
			t.Skip(err)
		}
		defer raw.Put(ctx, "e/00000000000000000002", entry, 0)
		defer raw.Put(ctx, "head", head, 0)
		_, err := l.Verify(ctx)
		same := bytes.Equal(e, entry) && bytes.Equal(h, head)
		switch {
		case err == nil && !same:
			t.Fatalf("Verify accepted altered bytes %q / %q", e, h)
		case err != nil && !errors.Is(err, audit.ErrTampered):
			t.Fatalf("Verify: %v, want ErrTampered", err)
		case err != nil && same:
			t.Fatalf("Verify refused the original log: %v", err)
		}
	})
}
