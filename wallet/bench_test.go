package wallet

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
)

// BenchmarkPresent measures Present: load the credentials, open the sealed
// holder key, build and sign the VP (eddsa-rdfc-2022: JSON-LD expansion
// and canonicalization of the whole VP dominate).
func BenchmarkPresent(b *testing.B) {
	f := env(b)
	ctx := context.Background()
	s := newWallet(b, openBolt(b), nil, Config{})
	a := holder(b, s, "zhangsan")
	var ids []string
	for i := range 5 {
		c, err := s.Import(ctx, a.ID, file(b, f.issue(b, training(a.DID, fmt.Sprintf("BC-B%02d", i)))))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	for _, n := range []int{1, 5} {
		b.Run(fmt.Sprintf("credentials=%d", n), func(b *testing.B) {
			for b.Loop() {
				if _, err := s.Present(ctx, a.ID, PresentRequest{CredentialIDs: ids[:n], Challenge: "bench", Domain: "hr.example.cn"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkList1000 measures a listing page of 1,000 credentials, with the
// live status cached (the usual case), uncached through the StatusChecker
// (every credential's document and status lists read), and uncached
// through the light check (each list read once), on both stores.
// The credentials are real: issued in one batch, imported (verified) into
// a bolt wallet, then restored into the Redis one from a backup.
func BenchmarkList1000(b *testing.B) {
	f := env(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	keys := testKeyring(b)
	boltSt := openBolt(b)
	sb := newWallet(b, boltSt, keys, Config{})
	a := holder(b, sb, "zhangsan")
	reqs := make([]*issuer.Request, 1000)
	for i := range reqs {
		reqs[i] = training(a.DID, fmt.Sprintf("BC-%04d", i))
	}
	recs, err := f.iss.IssueBatch(ctx, f.uni.DID, reqs)
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range recs {
		if _, err := sb.Import(ctx, a.ID, file(b, r)); err != nil {
			b.Fatal(err)
		}
	}
	backup, err := sb.Export(ctx, a.ID, "a long backup passphrase")
	if err != nil {
		b.Fatal(err)
	}
	for _, sc := range stores {
		var st store.Store = boltSt
		account := a.ID
		if sc.name == "redis" {
			st = sc.open(b)
			sr := newWallet(b, st, keys, Config{})
			ra := holder(b, sr, "zhangsan")
			if _, err := sr.Restore(ctx, ra.ID, backup, "a long backup passphrase"); err != nil {
				b.Fatal(err)
			}
			account = ra.ID
		}
		for _, mode := range []string{"cached", "uncached", "light"} {
			// cached: statuses from the per-replica cache; uncached: the
			// StatusChecker per credential (its document read, its lists
			// read); light: uncached, each status list read once from the
			// chain (WithStatusLists) and no document read.
			ttl := time.Minute
			var opts []Option
			switch mode {
			case "uncached":
				ttl = -1
			case "light":
				ttl = -1
				opts = append(opts, WithStatusLists(chainLists{f.node.Client()}))
			}
			s := newWallet(b, st, keys, Config{StatusCacheTTL: ttl}, opts...)
			b.Run(sc.name+"/"+mode, func(b *testing.B) {
				if _, err := s.Credentials(ctx, account, ListOptions{Limit: 1000}); err != nil { // warm the cache
					b.Fatal(err)
				}
				for b.Loop() {
					p, err := s.Credentials(ctx, account, ListOptions{Limit: 1000})
					if err != nil || len(p.Items) != 1000 || p.Items[999].Status != StatusValid {
						b.Fatalf("%v", err)
					}
				}
			})
		}
	}
}

// BenchmarkListGrowth measures listing against the number of credentials a
// holder holds (10, 100, 1,000, real credentials imported into a bolt
// wallet, live status cached): the first page (50, what the wallet page
// shows) should not grow with the wallet, reading all of it (pages of 1,000)
// grows linearly.
func BenchmarkListGrowth(b *testing.B) {
	f := env(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	s := newWallet(b, openBolt(b), nil, Config{StatusCacheTTL: time.Hour})
	a := holder(b, s, "zhangsan")
	const most = 1000
	reqs := make([]*issuer.Request, most)
	for i := range reqs {
		reqs[i] = training(a.DID, fmt.Sprintf("BC-G%04d", i))
	}
	recs, err := f.iss.IssueBatch(ctx, f.uni.DID, reqs)
	if err != nil {
		b.Fatal(err)
	}
	held := 0
	for _, n := range []int{10, 100, most} {
		for ; held < n; held++ {
			if _, err := s.Import(ctx, a.ID, file(b, recs[held])); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(fmt.Sprintf("held=%d/first-page", n), func(b *testing.B) {
			for b.Loop() {
				p, err := s.Credentials(ctx, a.ID, ListOptions{})
				if err != nil || len(p.Items) != min(n, 50) || p.Items[0].Status != StatusValid {
					b.Fatalf("%v", err)
				}
			}
		})
		b.Run(fmt.Sprintf("held=%d/all", n), func(b *testing.B) {
			for b.Loop() {
				got := 0
				for after := ""; ; {
					p, err := s.Credentials(ctx, a.ID, ListOptions{After: after, Limit: 1000})
					if err != nil {
						b.Fatal(err)
					}
					got += len(p.Items)
					if p.Next == "" {
						break
					}
					after = p.Next
				}
				if got != n {
					b.Fatalf("listed %d of %d", got, n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/credential")
		})
	}
}
