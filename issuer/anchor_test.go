package issuer

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
)

// crashingChain is the real chain client whose anchor submissions "crash":
// before the transaction reaches the chain, or after it committed but
// before the service learns it.
type crashingChain struct {
	*chain.Client
	mode  string // "before", "after", or "once" (before, then pass)
	calls atomic.Int32
}

var errCrash = errors.New("simulated crash")

func (c *crashingChain) Submit(ctx context.Context, tx []byte) (chain.Receipt, error) {
	t, err := chain.DecodeTx(tx)
	if err != nil || t.Type != chain.TypeAnchor {
		return c.Client.Submit(ctx, tx)
	}
	if c.calls.Add(1) > 1 && c.mode == "once" {
		return c.Client.Submit(ctx, tx)
	}
	if c.mode == "after" {
		if _, err := c.Client.Submit(ctx, tx); err != nil {
			return chain.Receipt{}, err
		}
	}
	return chain.Receipt{}, errCrash
}

func TestRecoverAfterCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		for _, mode := range []string{"before", "after"} {
			t.Run(sc.name+"/crash "+mode+" submit", func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				defer cancel()
				e := newEnv(t, sc.open, n, Config{})
				o := e.org(t, "Crash-"+sc.name+"-"+mode, TypeTraining)
				crashing := &crashingChain{Client: n.Client(), mode: mode}
				first := e.service(t, crashing, Config{})
				reqs := []*Request{training(), training(), training()}
				recs, err := first.IssueBatch(ctx, o.DID, reqs)
				if !errors.Is(err, errCrash) || !errors.Is(err, ErrAnchorPending) {
					t.Fatalf("IssueBatch through a crashing chain: %v", err)
				}
				if len(recs) != 3 || recs[0].Receipt != nil || recs[0].Credential == nil {
					t.Fatalf("records of a pending batch: %+v", recs)
				}
				if crashing.calls.Load() != 1 {
					t.Fatalf("%d anchor submissions, want 1", crashing.calls.Load())
				}
				var anchorsBefore []chain.AnchorRecord
				if err := n.Client().List(ctx, chain.PathAnchors+o.DID, &anchorsBefore); err != nil {
					t.Fatal(err)
				}
				_ = first.Close()

				// A restart: a new service over the same store and the real chain.
				second := e.service(t, n.Client(), Config{})
				got, err := second.Recover(ctx)
				if err != nil || got != 3 {
					t.Fatalf("Recover = %d, %v; want 3", got, err)
				}
				var anchors []chain.AnchorRecord
				if err := n.Client().List(ctx, chain.PathAnchors+o.DID, &anchors); err != nil {
					t.Fatal(err)
				}
				if len(anchors) != 1 {
					t.Fatalf("%d anchors on chain after recovery (before: %d), want exactly 1", len(anchors), len(anchorsBefore))
				}
				pending, _ := second.listAll(ctx, "pending/")
				batches, _ := second.listAll(ctx, "batch/")
				if len(pending)+len(batches) != 0 {
					t.Fatalf("left: %d pending, %d batches", len(pending), len(batches))
				}
				creds, _ := second.listAll(ctx, "cred/")
				if len(creds) != 3 {
					t.Fatalf("%d credentials stored, want 3", len(creds))
				}
				for _, cr := range creds {
					rec, err := second.Credential(ctx, o.DID, cr.Key[len("cred/"):])
					if err != nil {
						t.Fatal(err)
					}
					verify(t, ctx, n.Client(), rec)
				}
				// Nothing left: a second Recover does nothing.
				if got, err := second.Recover(ctx); err != nil || got != 0 {
					t.Fatalf("second Recover = %d, %v", got, err)
				}
			})
		}
	}
}

// TestBatchOneAnchor: many concurrent single issuances share one anchor.
func TestConcurrentIssuesShareAnchors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{BatchDelay: 300 * time.Millisecond})
	o := e.org(t, "Concurrent", TypeTraining)
	ctx := context.Background()
	const count = 20
	recs := make(chan *Record, count)
	errs := make(chan error, count)
	for range count {
		go func() {
			r, err := e.svc.Issue(ctx, o.DID, training())
			recs <- r
			errs <- err
		}()
	}
	roots := map[string]bool{}
	for range count {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		r := <-recs
		roots[r.Receipt.Root] = true
	}
	if len(roots) > 2 {
		t.Fatalf("%d concurrent issuances used %d anchors", count, len(roots))
	}
}

// TestAnchorRetried: a batch the chain did not take is retried by the
// running service, without a restart.
func TestAnchorRetried(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{})
	o := e.org(t, "Retry", TypeTraining)
	flaky := &crashingChain{Client: n.Client(), mode: "once"}
	svc := e.service(t, flaky, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec, err := svc.Issue(ctx, o.DID, training())
	if !errors.Is(err, ErrAnchorPending) || rec == nil {
		t.Fatalf("first anchor fails: %v", err)
	}
	for {
		got, err := svc.Credential(ctx, o.DID, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Receipt != nil {
			verify(t, ctx, n.Client(), got)
			break
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			t.Fatal("not retried: ", err)
		}
	}
	if flaky.calls.Load() != 2 {
		t.Fatalf("%d anchor submissions, want 2", flaky.calls.Load())
	}
}
