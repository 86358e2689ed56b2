package issuer

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// countingStore counts the entries List returns under each prefix: how
// much of the store a listing reads. Everything else passes through to the
// real store.
type countingStore struct {
	store.Store
	read atomic.Int64
}

func (c *countingStore) List(ctx context.Context, prefix string, opts store.ListOptions) ([]store.Entry, error) {
	e, err := c.Store.List(ctx, prefix, opts)
	c.read.Add(int64(len(e)))
	return e, err
}

// ids lists the ids of a page, in order.
func ids(p *CredentialPage) []string {
	out := []string{}
	for _, c := range p.Items {
		out = append(out, c.ID)
	}
	return out
}

// TestCredentialIndex: one organisation's listing reads its own index
// entries and pending marks, not another's records; status changes keep
// the index right; a store written before the index is migrated (and
// answers the same before and after), on both stores.
func TestCredentialIndex(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			small := e.org(t, "Idx-"+sc.name, TypeTraining, "DegreeCredential:master")
			big := e.org(t, "IdxBig-"+sc.name, TypeTraining)

			var mine []*Record
			for range 3 {
				r, err := e.svc.Issue(ctx, small.DID, training())
				if err != nil {
					t.Fatal(err)
				}
				mine = append(mine, r)
			}
			reqs := make([]*Request, 300)
			for i := range reqs {
				reqs[i] = training()
			}
			if _, err := e.svc.IssueBatch(ctx, big.DID, reqs); err != nil {
				t.Fatal(err)
			}
			// One not anchored yet: a pending mark of its own.
			pend, err := e.svc.Submit(ctx, small.DID, masterDegree(holder))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.SetStatus(ctx, small.DID, StatusChange{IDs: []string{mine[0].ID}, Status: StatusSuspended}); err != nil {
				t.Fatal(err)
			}

			// A second service over the same store, counting what it reads.
			cs := &countingStore{Store: store.WithPrefix(e.raw, "issuer/")}
			counted, err := New(Config{ChainID: n.ChainID(), BaseURL: "https://issuer.example.edu.cn", BatchDelay: 20 * time.Millisecond},
				cs, e.keys, n.Client(), credential.MustLoader(), WithGovernance(e.gov))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = counted.Close() })
			if _, err := counted.ensureIndex(ctx); err != nil {
				t.Fatal(err)
			}
			cs.read.Store(0)
			page, err := counted.ListCredentials(ctx, small.DID, CredentialQuery{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if page.Total != 4 {
				t.Fatalf("%d credentials listed, want 4: %v", page.Total, ids(page))
			}
			// Its 4 entries and at most its 1 pending mark; none of the
			// other organisation's 300.
			if got := cs.read.Load(); got > 5 {
				t.Fatalf("listing one organisation read %d entries", got)
			}
			byID := map[string]CredentialSummary{}
			for _, c := range page.Items {
				byID[c.ID] = c
			}
			if c := byID[mine[0].ID]; c.Status != StatusSuspended || !c.Anchored || c.HolderName["zh"] != "李四" {
				t.Fatalf("suspended entry %+v", c)
			}
			if c := byID[pend.ID]; c.Holder != holder || c.Type != TypeDegree {
				t.Fatalf("pending entry %+v", c)
			}
			stats, err := counted.CredentialStats(ctx, small.DID, 1)
			if err != nil || stats.Total != 4 || stats.ByStatus[StatusSuspended] != 1 {
				t.Fatalf("stats %+v, %v", stats, err)
			}

			// The index and the full scan agree, anchored flags included
			// once everything is anchored.
			if _, err := e.svc.Issue(ctx, small.DID, training()); err != nil { // waits: flushes the pending one too
				t.Fatal(err)
			}
			collect := func(each func(context.Context, string, func(*CredentialSummary)) error, org string) []string {
				t.Helper()
				var out []string
				if err := each(ctx, org, func(c *CredentialSummary) {
					out = append(out, fmt.Sprintf("%s %s %s %s %v %v %s", c.ID, c.Type, c.Status, c.Holder, c.HolderName, c.Anchored, c.Issued.Format(time.RFC3339)))
				}); err != nil {
					t.Fatal(err)
				}
				slices.Sort(out)
				return out
			}
			for _, org := range []string{small.DID, big.DID} {
				idx, scan := collect(counted.indexedCredentials, org), collect(counted.scanCredentials, org)
				if !slices.Equal(idx, scan) {
					t.Fatalf("index and scan differ for %s:\n%s\n--\n%s", org, strings.Join(idx, "\n"), strings.Join(scan, "\n"))
				}
			}
			before, err := e.svc.ListCredentials(ctx, small.DID, CredentialQuery{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}

			// Old data: no index, no marker (as a store written before it).
			idx, err := listAllRaw(ctx, e.raw, "issuer/"+credIndexPrefix)
			if err != nil || len(idx) != 305 {
				t.Fatalf("%d index entries, want 305: %v", len(idx), err)
			}
			var del []store.Op
			for _, k := range idx {
				del = append(del, store.OpDelete(k))
			}
			del = append(del, store.OpDelete("issuer/"+credIndexMarker))
			if err := e.raw.Apply(ctx, del...); err != nil {
				t.Fatal(err)
			}
			// A status change before the migration (its entry is the
			// fresh one) is kept by it.
			bigIDs := collect(counted.scanCredentials, big.DID)
			bigOne, _, _ := strings.Cut(bigIDs[7], " ")
			if _, err := e.svc.SetStatus(ctx, big.DID, StatusChange{IDs: []string{bigOne}, Status: StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			restarted := e.service(t, n.Client(), Config{})
			if _, err := restarted.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := e.raw.Get(ctx, "issuer/"+credIndexMarker); err != nil {
				t.Fatalf("no marker after the migration: %v", err)
			}
			after, err := restarted.ListCredentials(ctx, small.DID, CredentialQuery{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(before), ids(after)) || after.Total != before.Total {
				t.Fatalf("after migration %v, before %v", ids(after), ids(before))
			}
			for i := range after.Items {
				if fmt.Sprint(after.Items[i]) != fmt.Sprint(before.Items[i]) {
					t.Fatalf("item %d: %+v after migration, %+v before", i, after.Items[i], before.Items[i])
				}
			}
			bigRev, err := restarted.ListCredentials(ctx, big.DID, CredentialQuery{Status: StatusRevoked})
			if err != nil || !slices.Equal(ids(bigRev), []string{bigOne}) {
				t.Fatalf("revoked during the migration window: %+v, %v", bigRev, err)
			}
			if all, err := restarted.CredentialStats(ctx, big.DID, 1); err != nil || all.Total != 300 || all.Anchored != 300 {
				t.Fatalf("big organisation after migration: %+v, %v", all, err)
			}
			if n, err := restarted.ensureIndex(ctx); n != 0 || err != nil {
				t.Fatalf("second migration made %d entries (%v)", n, err)
			}
			// Revocation after the migration updates the entry.
			if _, err := restarted.SetStatus(ctx, small.DID, StatusChange{IDs: []string{mine[1].ID}, Status: StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			rev, err := restarted.ListCredentials(ctx, small.DID, CredentialQuery{Status: StatusRevoked})
			if err != nil || !slices.Equal(ids(rev), []string{mine[1].ID}) {
				t.Fatalf("revoked: %+v, %v", rev, err)
			}
		})
	}
}

// TestIndexMigrationKeepsFresherEntries: the migration creates missing
// entries only; an entry a status change wrote meanwhile is not replaced
// by the record the migration read before.
func TestIndexMigrationKeepsFresherEntries(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{})
	ctx := context.Background()
	o := e.org(t, "IdxRace", TypeTraining)
	a, err := e.svc.Issue(ctx, o.DID, training())
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Issue(ctx, o.DID, training())
	if err != nil {
		t.Fatal(err)
	}
	// The index entry of a says revoked (as a status change writes it),
	// b has none and the marker is gone: the migration must create b's
	// and keep a's.
	rec, err := e.svc.load(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	rec.Status = StatusRevoked
	ent, err := indexValue(rec, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.raw.Apply(ctx, store.OpPut("issuer/"+credIndexKey(o.DID, a.ID), ent, 0),
		store.OpDelete("issuer/"+credIndexKey(o.DID, b.ID)), store.OpDelete("issuer/"+credIndexMarker)); err != nil {
		t.Fatal(err)
	}
	s := e.service(t, n.Client(), Config{})
	made, err := s.ensureIndex(ctx)
	if err != nil || made != 1 {
		t.Fatalf("migration made %d entries (%v), want 1", made, err)
	}
	raw, err := e.raw.Get(ctx, "issuer/"+credIndexKey(o.DID, a.ID))
	if err != nil {
		t.Fatal(err)
	}
	var got indexEntry
	if err := json.Unmarshal(raw, &got); err != nil || got.Status != StatusRevoked {
		t.Fatalf("entry of a: %+v (%v)", got, err)
	}
	page, err := s.ListCredentials(ctx, o.DID, CredentialQuery{})
	if err != nil || page.Total != 2 {
		t.Fatalf("listing %+v, %v", page, err)
	}
}

// listAllRaw lists the keys under prefix of a raw store.
func listAllRaw(ctx context.Context, st store.Store, prefix string) ([]string, error) {
	var out []string
	after := ""
	for {
		page, err := st.List(ctx, prefix, store.ListOptions{After: after, Limit: store.MaxListLimit})
		if err != nil {
			return nil, err
		}
		for _, e := range page {
			out = append(out, e.Key)
		}
		if len(page) < store.MaxListLimit {
			return out, nil
		}
		after = page[len(page)-1].Key
	}
}

// BenchmarkListWithLargeNeighbour lists a small organisation (200
// credentials) while another holds 20,000: through the index (what
// ListCredentials does) and by reading every record (the former way), on
// both stores. The records are copies of real issued ones with new ids.
func BenchmarkListWithLargeNeighbour(b *testing.B) {
	n := startNode(b)
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, sc.open, n, Config{})
			small := e.org(b, "BenchIdx-"+sc.name, TypeTraining)
			big := e.org(b, "BenchIdxBig-"+sc.name, TypeTraining)
			fill := func(org string, count int) {
				r, err := e.svc.Issue(ctx, org, training())
				if err != nil {
					b.Fatal(err)
				}
				rec, err := e.svc.load(ctx, r.ID)
				if err != nil {
					b.Fatal(err)
				}
				receipt, _ := json.Marshal(rec.Receipt)
				rec.Receipt = nil
				var ops []store.Op
				for i := range count - 1 {
					rec.ID = fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i) + org[len(org)-4:]
					rops, err := recordOps(rec, false, nil)
					if err != nil {
						b.Fatal(err)
					}
					ops = append(ops, rops...)
					ops = append(ops, store.OpPut("receipt/"+rec.ID, receipt, 0))
					if len(ops) >= 3000 {
						if err := e.svc.st.Apply(ctx, ops...); err != nil {
							b.Fatal(err)
						}
						ops = ops[:0]
					}
				}
				if err := e.svc.st.Apply(ctx, ops...); err != nil {
					b.Fatal(err)
				}
			}
			fill(small.DID, 200)
			fill(big.DID, 20_000)
			if _, err := e.svc.ensureIndex(ctx); err != nil {
				b.Fatal(err)
			}
			for _, m := range []struct {
				name string
				each func(context.Context, string, func(*CredentialSummary)) error
			}{{"index", e.svc.indexedCredentials}, {"scan", e.svc.scanCredentials}} {
				b.Run(m.name, func(b *testing.B) {
					for b.Loop() {
						got := 0
						if err := m.each(ctx, small.DID, func(*CredentialSummary) { got++ }); err != nil {
							b.Fatal(err)
						}
						if got != 200 {
							b.Fatalf("%d listed, want 200", got)
						}
					}
				})
			}
			b.Run("ListCredentials", func(b *testing.B) {
				for b.Loop() {
					p, err := e.svc.ListCredentials(ctx, small.DID, CredentialQuery{Text: "李四", Limit: 20})
					if err != nil || p.Total != 200 {
						b.Fatalf("%+v %v", p, err)
					}
				}
			})
		})
	}
}
