package issuer

import (
	"context"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
)

// BenchmarkIssueSignStore measures issuance without the anchor wait: checks
// on chain, schema, status index, eddsa-rdfc-2022 signature and the store
// write (bolt, fsync on), one credential per op on one goroutine.
func BenchmarkIssueSignStore(b *testing.B) {
	n := startNode(b)
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			e := newEnv(b, sc.open, n, Config{BatchSize: 1 << 20, BatchDelay: time.Hour})
			o := e.org(b, "Bench-"+sc.name, TypeTraining)
			ctx := context.Background()
			start := time.Now()
			for b.Loop() {
				if _, err := e.svc.Submit(ctx, o.DID, training()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "creds/s")
		})
	}
}

// BenchmarkIssueBatch1000 issues a class of 1,000 end to end: validated,
// signed on every core, stored, anchored with one issuer.anchor transaction,
// receipts stored.
func BenchmarkIssueBatch1000(b *testing.B) {
	n := startNode(b)
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			e := newEnv(b, sc.open, n, Config{})
			o := e.org(b, "Batch-"+sc.name, TypeTraining)
			ctx := context.Background()
			reqs := make([]*Request, 1000)
			for i := range reqs {
				reqs[i] = training()
			}
			anchors := func() int {
				var a []chain.AnchorRecord
				if err := n.Client().List(ctx, chain.PathAnchors+o.DID, &a); err != nil {
					b.Fatal(err)
				}
				return len(a)
			}
			before := anchors()
			start := time.Now()
			for b.Loop() {
				recs, err := e.svc.IssueBatch(ctx, o.DID, reqs)
				if err != nil {
					b.Fatal(err)
				}
				if recs[999].Receipt == nil || recs[0].Receipt.Root != recs[999].Receipt.Root {
					b.Fatal("the batch was not anchored as one")
				}
			}
			elapsed := time.Since(start)
			if got := anchors() - before; got != b.N {
				b.Fatalf("%d anchor txs for %d batches", got, b.N)
			}
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/batch")
			b.ReportMetric(float64(1000*b.N)/elapsed.Seconds(), "creds/s")
		})
	}
}

// BenchmarkIssueAnchored is the latency of one Issue call: signed, stored,
// and returned once its anchor committed (batch delay + a block).
func BenchmarkIssueAnchored(b *testing.B) {
	n := startNode(b)
	e := newEnv(b, stores[0].open, n, Config{BatchDelay: 20 * time.Millisecond})
	o := e.org(b, "Latency", TypeTraining)
	ctx := context.Background()
	for b.Loop() {
		if r, err := e.svc.Issue(ctx, o.DID, training()); err != nil || r.Receipt == nil {
			b.Fatal(err)
		}
	}
}
