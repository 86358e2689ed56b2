package issuer

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
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

// BenchmarkAnchorConfirmation measures the anchoring of one batch on the
// embedded node: a credential is signed and stored (Submit), then Flush
// writes its root on chain and returns once the block committed. blocks is
// the median of (receipt height − the last height before the flush): 1
// means the anchor was in the very next block. ms/anchor is the median
// flush time (block interval 50 ms here, 150 ms in serve by default).
func BenchmarkAnchorConfirmation(b *testing.B) {
	n := startNode(b)
	e := newEnv(b, stores[0].open, n, Config{BatchSize: 1 << 20, BatchDelay: time.Hour})
	o := e.org(b, "Anchor", TypeTraining)
	ctx := context.Background()
	var blocks []int64
	var lat []time.Duration
	for b.Loop() {
		rec, err := e.svc.Submit(ctx, o.DID, training())
		if err != nil {
			b.Fatal(err)
		}
		_, before, err := n.Client().QueryRaw(ctx, chain.PathIssuer+o.DID)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := e.svc.Flush(ctx, o.DID); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
		got, err := e.svc.Credential(ctx, o.DID, rec.ID)
		if err != nil || got.Receipt == nil || got.Receipt.Height == 0 {
			b.Fatalf("not anchored: %v %+v", err, got)
		}
		blocks = append(blocks, got.Receipt.Height-before)
	}
	slices.Sort(blocks)
	slices.Sort(lat)
	b.ReportMetric(float64(blocks[len(blocks)/2]), "blocks")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "ms/anchor")
}

// BenchmarkBatch10000 issues a class of 10,000 master's degrees from CSV
// (the CSV job with chunks of 1,000: parse and validate, store the rows,
// sign on every core, store, allocate status indices, anchor each chunk on
// the embedded chain, store results and receipts) into a fresh store, and
// reports:
//
//   - s/10k: wall-clock from the upload to the last anchor, the figure of
//     the target (under 10 s on both cores);
//   - cpu-s/10k: the CPU time the process used for it (issuer and
//     embedded node), what the batch costs whatever else the machine runs;
//   - store-MB/1e5: what the stored credentials cost, scaled to 10^5: on
//     bolt the growth of the database file (disk, and page cache when hot),
//     on Redis the growth of used_memory (RAM);
//   - heap-MB/1e5: the growth of the issuing process's Go heap after GC,
//     to show that nothing per credential stays in memory.
func BenchmarkBatch10000(b *testing.B) {
	const rows = 10_000
	n := startNode(b)
	for _, sc := range []string{"bolt", "redis"} {
		b.Run(sc, func(b *testing.B) {
			var st store.Store
			var size func() float64
			switch sc {
			case "bolt":
				path := filepath.Join(b.TempDir(), "issuer.db")
				s, err := bolt.Open(path, bolt.Config{})
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { _ = s.Close() })
				st = s
				size = func() float64 {
					fi, err := os.Stat(path)
					if err != nil {
						b.Fatal(err)
					}
					return float64(fi.Size())
				}
			case "redis":
				srv := redistest.Start(b)
				cfg := redistest.Config(b)
				cfg.Addr = srv.Addr()
				st = redistest.OpenConfig(b, cfg)
				size = func() float64 { return redisUsedMemory(b, srv.Addr()) }
			}
			e := newEnv(b, func(testing.TB) store.Store { return st }, n, Config{})
			o := e.org(b, "Batch-"+sc, "DegreeCredential:master")
			ctx := context.Background()
			var wall, cpu time.Duration
			var stored, heap float64
			for i := 0; b.Loop(); i++ {
				csv := degreeCSV(fmt.Sprintf("f%d", i), rows)
				before, heapBefore, cpuBefore := size(), heapInUse(), cpuTime()
				start := time.Now()
				job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateMaster, csv, JobOptions{ChunkSize: 1000, Start: true})
				if err != nil {
					b.Fatal(err)
				}
				done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
				if err != nil || done.Status != JobDone || done.Issued != rows {
					b.Fatalf("%+v %v", done, err)
				}
				wall += time.Since(start)
				cpu += cpuTime() - cpuBefore
				stored += size() - before
				heap += heapInUse() - heapBefore
			}
			perBatch := func(v float64) float64 { return v / float64(b.N) }
			b.ReportMetric(perBatch(wall.Seconds()), "s/10k")
			b.ReportMetric(perBatch(cpu.Seconds()), "cpu-s/10k")
			b.ReportMetric(float64(rows*b.N)/wall.Seconds(), "creds/s")
			b.ReportMetric(perBatch(stored)/rows*1e5/(1<<20), "store-MB/1e5")
			b.ReportMetric(perBatch(heap)/rows*1e5/(1<<20), "heap-MB/1e5")
		})
	}
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// degreeCSV is a master's degree class of n rows for TemplateMaster.
func degreeCSV(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("key,holder,fullName.zh,fullName.en,degree.degreeName.zh,degree.degreeName.en,degree.fieldOfStudy.zh,degree.fieldOfStudy.en,graduationDate\n")
	for i := range n {
		fmt.Fprintf(&b, "%s-%05d,%s,学生%d,Student %d,工学硕士,Master of Engineering,区块链工程,Blockchain Engineering,2026-06-30\n", prefix, i, holder, i, i)
	}
	return b.Bytes()
}

// heapInUse is the Go heap in use after a full collection, in bytes.
func heapInUse() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse)
}

// redisUsedMemory reads used_memory from INFO memory.
func redisUsedMemory(b *testing.B, addr string) float64 {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	info, err := c.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "used_memory:"); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				b.Fatal(err)
			}
			return f
		}
	}
	b.Fatal("no used_memory in INFO memory")
	return 0
}
