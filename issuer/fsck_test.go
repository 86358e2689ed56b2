package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
)

// kinds counts the problems of each kind.
func kinds(ps []FsckProblem) map[string]int {
	m := map[string]int{}
	for _, p := range ps {
		m[p.Kind]++
	}
	return m
}

// TestFsck builds each disagreement between the store and the chain on
// purpose, on both stores, and checks that Fsck reports it, that a repair
// fixes what can be fixed (re-anchoring, statuses from the chain, the
// counter, a stuck job, orphans) and that a second check finds only what
// cannot be rebuilt.
func TestFsck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "Fsck-"+sc.name, "DegreeCredential:master", TypeTraining)
			var ids []string
			for range 5 {
				rec, err := e.svc.Issue(ctx, o.DID, masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, rec.ID)
			}
			// One more whose anchoring never happened: the chain refused its
			// batch, the service stopped, and its pending mark was lost.
			down := e.service(t, refusingChain{n.Client()}, Config{})
			never, err := down.Submit(ctx, o.DID, masterDegree(""))
			if err != nil {
				t.Fatal(err)
			}
			down.Close()
			for _, prefix := range []string{"pending/", "batch/"} {
				es, _ := e.svc.listAll(ctx, prefix)
				for _, x := range es {
					e.svc.st.Delete(ctx, x.Key)
				}
			}
			job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("fsck", 120), JobOptions{ChunkSize: 100})
			if err != nil {
				t.Fatal(err)
			}

			rep, err := e.svc.Fsck(ctx, FsckOptions{DeadLeases: true})
			if err != nil || kinds(rep.Problems)[FsckUnanchored] != 1 || len(rep.Problems) != 1 || rep.Credentials != 6 || rep.Orgs != 1 || rep.Anchors != 5 {
				t.Fatalf("one credential never anchored: %+v, %v", rep, err)
			}

			st := e.svc.st
			put := func(k string, v []byte) {
				t.Helper()
				if err := st.Put(ctx, k, v, 0); err != nil {
					t.Fatal(err)
				}
			}
			// 0: its receipt lost → nothing would anchor it.
			if err := st.Delete(ctx, "receipt/"+ids[0]); err != nil {
				t.Fatal(err)
			}
			// 1: revoked on chain, the store still says active (a crash
			// between the status transaction and the store write).
			if _, err := e.svc.SetStatus(ctx, o.DID, StatusChange{IDs: ids[1:2], Status: StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			raw, _ := st.Get(ctx, "cred/"+ids[1])
			put("cred/"+ids[1], []byte(strings.Replace(string(raw), `"status":"revoked"`, `"status":"active"`, 1)))
			// 2: a receipt naming a root the chain never saw.
			raw, _ = st.Get(ctx, "receipt/"+ids[2])
			var rc map[string]any
			json.Unmarshal(raw, &rc)
			rc["root"] = strings.Repeat("ab", 32)
			raw, _ = json.Marshal(rc)
			put("receipt/"+ids[2], raw)
			// 3: the credential lost from the store, anchored on chain.
			if err := st.Delete(ctx, "cred/"+ids[3]); err != nil {
				t.Fatal(err)
			}
			// 4: its listing entry lost (written by an older replica).
			if err := st.Delete(ctx, credIndexKey(o.DID, ids[4])); err != nil {
				t.Fatal(err)
			}
			// Orphans and a counter behind.
			put("idem/"+o.DID+"/row-gone", []byte("urn:uuid:00000000-0000-4000-8000-000000000000"))
			put("pending/"+o.DID+"/urn:uuid:00000000-0000-4000-8000-000000000001", []byte(`{"digest":"00","type":"X"}`))
			put("jobrows/0000000000000000000000000000/000000", []byte(`{}`))
			put("alloc/"+o.DID, []byte("2"))
			// A job whose process died: running, its lease left behind, and
			// missing from the active list.
			job.Status = JobRunning
			if err := e.svc.putJob(ctx, job); err != nil {
				t.Fatal(err)
			}
			put(jobLeaseKey(job.ID), []byte("dead-process"))
			st.Delete(ctx, jobActiveKey(job.ID))

			rep, err = e.svc.Fsck(ctx, FsckOptions{DeadLeases: true})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{
				FsckUnanchored:     1, // never
				FsckReceiptLost:    2, // 0 and 2, rebuilt from the chain
				FsckStatusMismatch: 1,
				FsckMissingInStore: 1,
				FsckOrphan:         5, // idem, pending, jobrows, and the receipt and listing entry of ids[3]
				FsckIndexStale:     1, // ids[4]
				FsckAllocBehind:    1,
				FsckJobStuck:       1,
			}
			if got := kinds(rep.Problems); !mapsEqual(got, want) {
				t.Fatalf("problems %v, want %v:\n%+v", got, want, rep.Problems)
			}
			// Without Repair nothing changed.
			if _, err := st.Get(ctx, "idem/"+o.DID+"/row-gone"); err != nil {
				t.Fatal("a check without repair deleted a key")
			}

			rep, err = e.svc.Fsck(ctx, FsckOptions{Repair: true, DeadLeases: true, JobWait: 2 * time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			// The credential lost from the store cannot be rebuilt: reported.
			if got := kinds(rep.Remaining); !mapsEqual(got, map[string]int{FsckMissingInStore: 1}) {
				t.Fatalf("after repair: %+v", rep.Remaining)
			}
			if rep.Repaired != len(rep.Problems)-1 {
				t.Errorf("repaired %d of %d", rep.Repaired, len(rep.Problems))
			}
			anchors := 0
			for _, a := range must(t, func() ([]chain.AnchorRecord, error) {
				var as []chain.AnchorRecord
				return as, n.Client().List(ctx, chain.PathAnchors+o.DID, &as)
			}) {
				anchors += int(a.LeafCount)
			}
			if anchors != 5+1+120 {
				t.Errorf("%d leaves anchored, want 126: a credential was anchored twice or not at all", anchors)
			}
			for _, id := range []string{ids[0], ids[2], never.ID} {
				rec, err := e.svc.Credential(ctx, o.DID, id)
				if err != nil || rec.Receipt == nil {
					t.Fatalf("credential %s after repair: %+v %v", id, rec, err)
				}
				a, err := n.Client().Anchor(ctx, rec.Receipt.Root)
				if err != nil || a.Issuer != o.DID {
					t.Fatalf("credential %s anchored under %s: %+v %v", id, rec.Receipt.Root, a, err)
				}
				verify(t, ctx, n.Client(), rec)
			}
			if rec, _ := e.svc.Credential(ctx, o.DID, ids[1]); rec.Status != StatusRevoked {
				t.Errorf("status after repair: %s, want revoked (the chain's)", rec.Status)
			}
			// The listing agrees: ids[4] is back, ids[1] revoked, ids[3] gone.
			page, err := e.svc.ListCredentials(ctx, o.DID, CredentialQuery{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			listed := map[string]Status{}
			for _, c := range page.Items {
				listed[c.ID] = c.Status
			}
			if _, ok := listed[ids[4]]; !ok || listed[ids[1]] != StatusRevoked {
				t.Errorf("listing after repair: %v", listed)
			}
			if _, ok := listed[ids[3]]; ok {
				t.Errorf("the lost credential is still listed")
			}
			done, err := e.svc.Job(ctx, o.DID, job.ID)
			if err != nil || done.Status != JobDone || done.Issued != 120 {
				t.Fatalf("stuck job after repair: %+v %v", done, err)
			}
			for _, k := range []string{"idem/" + o.DID + "/row-gone", "jobrows/0000000000000000000000000000/000000"} {
				if _, err := st.Get(ctx, k); err == nil {
					t.Errorf("orphan %s still there", k)
				}
			}
			// Issuing again uses a fresh status index, not one in use.
			rec, err := e.svc.Issue(ctx, o.DID, masterDegree(""))
			if err != nil {
				t.Fatal(err)
			}
			if rec.StatusList == 0 && slices.Contains([]int{0, 1, 2, 3, 4, 5}, rec.StatusIdx) {
				t.Errorf("new credential took status index %d, already in use", rec.StatusIdx)
			}
		})
	}
}

// refusingChain is the real chain refusing every transaction.
type refusingChain struct{ Chain }

func (refusingChain) Submit(context.Context, []byte) (chain.Receipt, error) {
	return chain.Receipt{}, errors.New("the chain node is away")
}

func must[T any](t *testing.T, f func() (T, error)) T {
	t.Helper()
	v, err := f()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
