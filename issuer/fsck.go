package issuer

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// Kinds of problem Fsck finds.
const (
	// FsckUnanchored: a credential with neither a receipt nor a pending
	// mark: nothing would ever anchor it. Repair marks it pending and
	// anchors it.
	FsckUnanchored = "unanchored"
	// FsckPending: a credential waiting for its anchor (the server's own
	// recovery anchors it on start). Repair anchors it.
	FsckPending = "anchor-pending"
	// FsckBatchUnconfirmed: a batch persisted before its anchor was
	// confirmed. Repair re-submits the same root or completes it from the
	// chain.
	FsckBatchUnconfirmed = "batch-unconfirmed"
	// FsckReceiptNotOnChain: a stored receipt whose root the chain does not
	// hold (or holds for another issuer, or for another digest). Repair
	// drops the receipt and anchors the credential again.
	FsckReceiptNotOnChain = "receipt-not-on-chain"
	// FsckReceiptLost: a credential whose receipt is missing or wrong but
	// whose anchor the chain holds: repair rebuilds the receipt from the
	// chain and the batch's other receipts.
	FsckReceiptLost = "receipt-lost"
	// FsckMissingInStore: the chain anchored more leaves under a root than
	// the store has receipts for; report only (the credentials themselves
	// are not on chain), unless a batch record names them.
	FsckMissingInStore = "anchored-missing-in-store"
	// FsckStatusMismatch: a record's status differs from the bits of the
	// on-chain status lists. The chain wins: repair rewrites the record.
	FsckStatusMismatch = "status-mismatch"
	// FsckAllocBehind: the status index counter is below an index in use,
	// so a new credential would share a status bit. Repair raises it.
	FsckAllocBehind = "alloc-behind"
	// FsckJobStuck: a CSV job running or validating without a live lease
	// (its process died). Repair resumes it and waits for it.
	FsckJobStuck = "job-stuck"
	// FsckOrphan: an index or side key whose record is gone. Repair
	// deletes it.
	FsckOrphan = "orphan-key"
	// FsckIndexStale: a credential's listing entry (credorg/{did}/{id}) is
	// missing or differs from its record. Repair rewrites it from the
	// record.
	FsckIndexStale = "index-stale"
	// FsckUndecodable: a record that does not decode; report only.
	FsckUndecodable = "undecodable"
)

// FsckProblem is one disagreement Fsck found.
type FsckProblem struct {
	Kind   string `json:"kind"`
	Org    string `json:"org,omitempty"`
	Key    string `json:"key"` // the issuer store key, or the chain root
	Detail string `json:"detail"`
	// Repairable says whether Fsck with Repair fixes it.
	Repairable bool `json:"repairable"`
}

// FsckReport is what Fsck found, and with Repair what it fixed.
type FsckReport struct {
	Orgs        int           `json:"orgs"`
	Credentials int           `json:"credentials"`
	Anchors     int           `json:"anchors"` // on-chain roots of the organisations
	Jobs        int           `json:"jobs"`
	Problems    []FsckProblem `json:"problems"`
	// Repaired counts the problems a repair fixed; Remaining lists what
	// the check after the repair still found.
	Repaired  int           `json:"repaired,omitempty"`
	Remaining []FsckProblem `json:"remaining,omitempty"`
}

// FsckOptions choose what Fsck does.
type FsckOptions struct {
	// Repair fixes what can be fixed, then checks again.
	Repair bool
	// DeadLeases says that no other process uses the store (the embedded
	// store, whose file Fsck holds locked): every job lease is a dead
	// process's. Otherwise only an expired lease is dead.
	DeadLeases bool
	// JobWait bounds waiting for resumed jobs during a repair; default 10m.
	JobWait time.Duration
}

// ChainLister lists chain state (the anchors of an issuer); *chain.Client
// satisfies it. Fsck needs it of the service's chain for the chain-side
// checks and skips them otherwise.
type ChainLister interface {
	List(ctx context.Context, path string, out any) error
}

// Fsck checks that the issuer's records and the chain agree, and with
// opts.Repair repairs what it can: re-anchors what nothing would anchor,
// rewrites statuses from the on-chain lists, raises status counters,
// resumes stuck CSV jobs and deletes orphan keys. Run it with no server
// using the store (or, on a shared Redis, with servers running: then only
// expired leases count as dead). The service must be new (New), with
// nothing else calling it; Fsck does not Close it.
func (s *Service) Fsck(ctx context.Context, opts FsckOptions) (*FsckReport, error) {
	rep, plan, err := s.fsckCheck(ctx, opts)
	if err != nil || !opts.Repair || len(rep.Problems) == 0 {
		return rep, err
	}
	if err := s.fsckRepair(ctx, plan, opts); err != nil {
		return rep, fmt.Errorf("fsck: repair: %w", err)
	}
	after, _, err := s.fsckCheck(ctx, FsckOptions{DeadLeases: opts.DeadLeases})
	if err != nil {
		return rep, fmt.Errorf("fsck: check after repair: %w", err)
	}
	rep.Remaining = after.Problems
	rep.Repaired = len(rep.Problems) - len(after.Problems)
	return rep, nil
}

// fsckPlan is what a repair does, gathered by the check.
type fsckPlan struct {
	ops     []store.Op          // repairs that hold whatever runs meanwhile
	checked []fsckChecked       // repairs made only if what they fix is still so
	alloc   map[string]int64    // org → raise the counter by this
	leases  []string            // job lease keys to drop
	active  map[string]string   // job id → org: jobactive marks to restore
	jobs    map[string][]string // org → stuck job ids to wait for
	recover bool                // run Recover: pending anchors, batches, jobs
}

func (s *Service) fsckCheck(ctx context.Context, opts FsckOptions) (*FsckReport, *fsckPlan, error) {
	rep := &FsckReport{Problems: []FsckProblem{}}
	plan := &fsckPlan{alloc: map[string]int64{}, active: map[string]string{}, jobs: map[string][]string{}}
	add := func(p FsckProblem) { rep.Problems = append(rep.Problems, p) }
	list := func(prefix string) ([]store.Entry, error) {
		e, err := s.listAll(ctx, prefix)
		if err != nil {
			return nil, fmt.Errorf("fsck: list %s: %w", prefix, err)
		}
		return e, nil
	}

	orgs, err := s.Orgs(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("fsck: %w", err)
	}
	rep.Orgs = len(orgs)
	known := map[string]bool{}
	for _, o := range orgs {
		known[o.DID] = true
	}

	// Records first, then what is written with or after them: a credential
	// stored meanwhile looks like orphaned side keys (each repair checks
	// again before it deletes), and the pending marks before the receipts,
	// so one anchored meanwhile shows both, not neither.
	creds, err := list("cred/")
	if err != nil {
		return nil, nil, err
	}
	pending, err := list("pending/")
	if err != nil {
		return nil, nil, err
	}
	receipts, err := list("receipt/")
	if err != nil {
		return nil, nil, err
	}
	index, err := list(credIndexPrefix)
	if err != nil {
		return nil, nil, err
	}
	indexOf := map[string][]byte{}
	for _, e := range index {
		indexOf[e.Key] = e.Value
	}
	receiptOf := map[string][]byte{}
	for _, e := range receipts {
		receiptOf[strings.TrimPrefix(e.Key, "receipt/")] = e.Value
	}
	pendingOf := map[string]bool{}
	for _, e := range pending {
		pendingOf[strings.TrimPrefix(e.Key, "pending/")] = true // org/id
	}

	// Chain reads, cached: anchors by root, status lists by org and list.
	type anchorAns struct {
		a   *chain.AnchorRecord
		err error
	}
	anchors := map[string]anchorAns{}
	anchorOf := func(root string) (*chain.AnchorRecord, error) {
		if a, ok := anchors[root]; ok {
			return a.a, a.err
		}
		a, err := s.chain.Anchor(ctx, root)
		anchors[root] = anchorAns{a, err}
		return a, err
	}
	lists := map[string]*chain.StatusList{}
	bit := func(org, list string, idx int) (bool, error) {
		k := org + "/" + list
		l, ok := lists[k]
		if !ok {
			var err error
			l, err = s.chain.StatusList(ctx, org, list)
			if errors.Is(err, chain.ErrNotFound) {
				l, err = nil, nil
			}
			if err != nil {
				return false, fmt.Errorf("fsck: status list %s of %s: %w", list, org, err)
			}
			lists[k] = l
		}
		return l != nil && l.Bit(uint64(idx)), nil
	}

	haveCred := map[string]bool{}
	credOrg := map[string]string{}
	leavesIn := map[string]map[uint64]string{} // root → leaf index → digest, from good receipts
	var lost []*lostCred
	maxIdx := map[string]int64{} // org → highest status index used + 1
	for _, e := range creds {
		id := strings.TrimPrefix(e.Key, "cred/")
		var rec credRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil || rec.ID != id {
			add(FsckProblem{Kind: FsckUndecodable, Key: e.Key, Detail: "the credential record does not decode or names another id"})
			continue
		}
		haveCred[id], credOrg[id] = true, rec.Org
		rep.Credentials++
		if !known[rec.Org] {
			add(FsckProblem{Kind: FsckUndecodable, Org: rec.Org, Key: e.Key, Detail: "the credential's organisation is unknown"})
			continue
		}
		if n := int64(rec.StatusList*chain.MinStatusListLen + rec.StatusIdx + 1); n > maxIdx[rec.Org] {
			maxIdx[rec.Org] = n
		}
		pend, _ := json.Marshal(pendingRecord{Digest: rec.Digest, Type: rec.Type})
		pendKey := "pending/" + rec.Org + "/" + id

		// Anchoring.
		switch raw, ok := receiptOf[id]; {
		case ok:
			var r struct {
				Digest    string `json:"credentialDigest"`
				Root      string `json:"root"`
				LeafIndex uint64 `json:"leafIndex"`
				TreeSize  uint64 `json:"treeSize"`
			}
			if err := json.Unmarshal(raw, &r); err != nil {
				lost = append(lost, &lostCred{id: id, org: rec.Org, digest: rec.Digest, typ: rec.Type,
					problem: FsckProblem{Kind: FsckReceiptNotOnChain, Org: rec.Org, Key: "receipt/" + id, Detail: "the receipt does not decode", Repairable: true},
					ops:     []store.Op{store.OpDelete("receipt/" + id), store.OpPut(pendKey, pend, 0)},
					still:   s.fsckUnchanged("receipt/"+id, raw)})
				break
			}
			a, err := anchorOf(r.Root)
			why := ""
			switch {
			case errors.Is(err, chain.ErrNotFound):
				why = "its root " + r.Root + " is not on chain"
			case err != nil:
				return nil, nil, fmt.Errorf("fsck: anchor %s: %w", r.Root, err)
			case a.Issuer != rec.Org:
				why = "its root was anchored by " + a.Issuer
			case a.LeafCount != r.TreeSize:
				why = fmt.Sprintf("the chain anchored %d leaves under its root, the receipt says %d", a.LeafCount, r.TreeSize)
			case r.Digest != rec.Digest:
				why = "the receipt is for another credential digest"
			}
			if why != "" {
				lost = append(lost, &lostCred{id: id, org: rec.Org, digest: rec.Digest, typ: rec.Type,
					problem: FsckProblem{Kind: FsckReceiptNotOnChain, Org: rec.Org, Key: "receipt/" + id, Detail: why, Repairable: true},
					ops:     []store.Op{store.OpDelete("receipt/" + id), store.OpPut(pendKey, pend, 0)},
					still:   s.fsckUnchanged("receipt/"+id, raw)})
				break
			}
			if leavesIn[r.Root] == nil {
				leavesIn[r.Root] = map[uint64]string{}
			}
			leavesIn[r.Root][r.LeafIndex] = r.Digest
			if pendingOf[rec.Org+"/"+id] {
				add(FsckProblem{Kind: FsckOrphan, Org: rec.Org, Key: pendKey, Detail: "a pending mark beside a receipt", Repairable: true})
				plan.ops = append(plan.ops, store.OpDelete(pendKey))
			}
		case pendingOf[rec.Org+"/"+id]:
			if opts.DeadLeases {
				add(FsckProblem{Kind: FsckPending, Org: rec.Org, Key: e.Key, Detail: "stored, waiting for its anchor", Repairable: true})
				plan.recover = true
			} else {
				// Beside live servers this is their work in progress:
				// anchoring it here too would put it on chain twice.
				add(FsckProblem{Kind: FsckPending, Org: rec.Org, Key: e.Key, Detail: "stored, waiting for its anchor: a running server anchors it, or serve's start-up recovery if none runs"})
			}
		default:
			lost = append(lost, &lostCred{id: id, org: rec.Org, digest: rec.Digest, typ: rec.Type,
				problem: FsckProblem{Kind: FsckUnanchored, Org: rec.Org, Key: e.Key, Detail: "stored with neither a receipt nor a pending mark", Repairable: true},
				ops:     []store.Op{store.OpPut(pendKey, pend, 0)},
				still:   s.fsckAbsent("receipt/"+id, pendKey)})
		}

		// Status: the chain's bits win.
		rev, err := bit(rec.Org, listID(chain.PurposeRevocation, rec.StatusList), rec.StatusIdx)
		if err != nil {
			return nil, nil, err
		}
		sus, err := bit(rec.Org, listID(chain.PurposeSuspension, rec.StatusList), rec.StatusIdx)
		if err != nil {
			return nil, nil, err
		}
		want := StatusActive
		switch {
		case rev:
			want = StatusRevoked
		case sus:
			want = StatusSuspended
		}
		if rec.Status != want {
			add(FsckProblem{Kind: FsckStatusMismatch, Org: rec.Org, Key: e.Key,
				Detail: fmt.Sprintf("the record says %s, the chain's status lists say %s", rec.Status, want), Repairable: true})
			fixed := rec
			fixed.Status, fixed.Receipt = want, nil
			if fixed.StatusNote == "" {
				fixed.StatusNote = "set from the chain's status list by fsck"
			}
			ops, err := recordOps(&fixed, false, nil) // the record and its listing entry
			if err != nil {
				return nil, nil, fmt.Errorf("fsck: %w", err)
			}
			// Unless a status change has rewritten the record meanwhile.
			plan.checked = append(plan.checked, fsckChecked{ops: ops, still: s.fsckUnchanged(e.Key, e.Value)})
			continue
		}

		// The listing entry agrees with the record.
		ik := credIndexKey(rec.Org, id)
		if ent, err := indexValue(&rec, nil); err != nil {
			return nil, nil, fmt.Errorf("fsck: %w", err)
		} else if !sameIndexEntry(indexOf[ik], ent) {
			why := "the listing entry differs from the record"
			if indexOf[ik] == nil {
				why = "the credential has no listing entry: its organisation's lists leave it out"
			}
			add(FsckProblem{Kind: FsckIndexStale, Org: rec.Org, Key: ik, Detail: why, Repairable: true})
			plan.checked = append(plan.checked, fsckChecked{ops: []store.Op{store.OpPut(ik, ent, 0)}, still: s.fsckUnchanged(e.Key, e.Value)})
		}
	}
	for _, e := range index {
		org, id, _ := strings.Cut(strings.TrimPrefix(e.Key, credIndexPrefix), "/")
		switch {
		case !haveCred[id]:
			add(FsckProblem{Kind: FsckOrphan, Org: org, Key: e.Key, Detail: "a listing entry without its credential", Repairable: true})
		case credOrg[id] != org:
			add(FsckProblem{Kind: FsckOrphan, Org: org, Key: e.Key, Detail: "a listing entry under another organisation than its credential's", Repairable: true})
		default:
			continue
		}
		plan.checked = append(plan.checked, fsckChecked{ops: []store.Op{store.OpDelete(e.Key)}, still: s.fsckNoCred(id, org)})
	}

	// Orphans of the credential records.
	for _, e := range receipts {
		if id := strings.TrimPrefix(e.Key, "receipt/"); !haveCred[id] {
			add(FsckProblem{Kind: FsckOrphan, Key: e.Key, Detail: "a receipt without its credential", Repairable: true})
			plan.checked = append(plan.checked, fsckChecked{ops: []store.Op{store.OpDelete(e.Key)}, still: s.fsckNoCred(id, "")})
		}
	}
	for _, e := range pending {
		org, id, _ := strings.Cut(strings.TrimPrefix(e.Key, "pending/"), "/")
		if !haveCred[id] {
			add(FsckProblem{Kind: FsckOrphan, Org: org, Key: e.Key, Detail: "a pending mark without its credential", Repairable: true})
			plan.checked = append(plan.checked, fsckChecked{ops: []store.Op{store.OpDelete(e.Key)}, still: s.fsckNoCred(id, "")})
		}
	}
	idem, err := list("idem/")
	if err != nil {
		return nil, nil, err
	}
	for _, e := range idem {
		if !haveCred[string(e.Value)] {
			add(FsckProblem{Kind: FsckOrphan, Key: e.Key, Detail: "an idempotency key naming a credential that is not stored; a retry of its request would fail", Repairable: true})
			plan.checked = append(plan.checked, fsckChecked{ops: []store.Op{store.OpDelete(e.Key)}, still: s.fsckNoCred(string(e.Value), "")})
		}
	}

	// Status index counters.
	for org, used := range maxIdx {
		raw, err := s.st.Get(ctx, "alloc/"+org)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("fsck: %w", err)
		}
		have, _ := strconv.ParseInt(string(raw), 10, 64)
		if have < used {
			add(FsckProblem{Kind: FsckAllocBehind, Org: org, Key: "alloc/" + org,
				Detail: fmt.Sprintf("the counter is %d but index %d is in use", have, used-1), Repairable: true})
			plan.alloc[org] = used - have
		}
	}

	// Batches persisted, not confirmed.
	batches, err := list("batch/")
	if err != nil {
		return nil, nil, err
	}
	batchRoots := map[string]bool{}
	for _, e := range batches {
		root := e.Key[strings.LastIndexByte(e.Key, '/')+1:]
		batchRoots[root] = true
		if opts.DeadLeases {
			add(FsckProblem{Kind: FsckBatchUnconfirmed, Key: e.Key, Detail: "a batch persisted before its anchor was confirmed", Repairable: true})
			plan.recover = true
		} else {
			add(FsckProblem{Kind: FsckBatchUnconfirmed, Key: e.Key, Detail: "a batch persisted before its anchor was confirmed: a running server confirms it, or serve's start-up recovery if none runs"})
		}
	}

	// The chain's side: every leaf anchored has a receipt in the store. A
	// root short of exactly one receipt whose tree the other receipts and a
	// lost credential's digest rebuild gives that credential its receipt
	// back (anchoring it again would put it on chain twice).
	rebuilt := map[string]bool{}
	if l, ok := s.chain.(ChainLister); ok {
		for _, o := range orgs {
			if !o.Registered {
				continue
			}
			var as []chain.AnchorRecord
			if err := l.List(ctx, chain.PathAnchors+o.DID, &as); err != nil && !errors.Is(err, chain.ErrNotFound) {
				return nil, nil, fmt.Errorf("fsck: anchors of %s: %w", o.DID, err)
			}
			rep.Anchors += len(as)
			for i := range as {
				a := &as[i]
				have := leavesIn[a.Root]
				if uint64(len(have)) >= a.LeafCount || batchRoots[a.Root] {
					continue
				}
				if r, c := s.rebuildReceipt(a, have, lost, rebuilt); r != nil {
					raw, err := json.Marshal(r)
					if err != nil {
						return nil, nil, fmt.Errorf("fsck: %w", err)
					}
					rebuilt[c] = true
					add(FsckProblem{Kind: FsckReceiptLost, Org: o.DID, Key: "receipt/" + c,
						Detail: fmt.Sprintf("its receipt is missing or wrong, but the chain anchored it under root %s at height %d: the receipt is rebuilt", a.Root, a.Height), Repairable: true})
					plan.ops = append(plan.ops, store.OpPut("receipt/"+c, raw, 0))
					continue
				}
				add(FsckProblem{Kind: FsckMissingInStore, Org: o.DID, Key: a.Root,
					Detail: fmt.Sprintf("the chain anchored %d credentials under this root at height %d; the store has receipts for %d", a.LeafCount, a.Height, len(have))})
			}
		}
	}
	for _, c := range lost {
		if rebuilt[c.id] {
			continue
		}
		add(c.problem)
		plan.checked = append(plan.checked, fsckChecked{ops: c.ops, still: c.still})
		plan.recover = true
	}

	// CSV jobs.
	jobs, err := list("job/")
	if err != nil {
		return nil, nil, err
	}
	jobIDs := map[string]bool{}
	for _, e := range jobs {
		var j Job
		if err := json.Unmarshal(e.Value, &j); err != nil {
			add(FsckProblem{Kind: FsckUndecodable, Key: e.Key, Detail: "the job does not decode"})
			continue
		}
		rep.Jobs++
		jobIDs[j.ID] = true
		if j.Status != JobRunning && j.Status != JobValidating {
			continue
		}
		_, aerr := s.st.Get(ctx, jobActiveKey(j.ID))
		_, lerr := s.st.Get(ctx, jobLeaseKey(j.ID))
		if aerr != nil && !errors.Is(aerr, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("fsck: %w", aerr)
		}
		if lerr != nil && !errors.Is(lerr, store.ErrNotFound) {
			return nil, nil, fmt.Errorf("fsck: %w", lerr)
		}
		leased := lerr == nil
		if leased && !opts.DeadLeases && aerr == nil {
			continue // alive in another process
		}
		why := "its lease expired: the process running it died"
		if leased {
			why = "its lease belongs to a process that is gone"
			plan.leases = append(plan.leases, jobLeaseKey(j.ID))
		}
		if aerr != nil {
			why += "; and it is missing from the list of active jobs, so no server would resume it"
			plan.active[j.ID] = j.Org
		}
		add(FsckProblem{Kind: FsckJobStuck, Org: j.Org, Key: e.Key,
			Detail: fmt.Sprintf("%s at %d of %d rows, %s", j.Status, j.Issued, j.Total, why), Repairable: true})
		plan.jobs[j.Org] = append(plan.jobs[j.Org], j.ID)
		plan.recover = true
	}
	// A job uploaded while fsck reads has its keys listed here but not its
	// record above: each deletion checks the jobs stored at repair time
	// (read once, when the first is needed).
	var jobsNow map[string]bool
	noJob := func(id string) func(context.Context) (bool, error) {
		return func(ctx context.Context) (bool, error) {
			if jobsNow == nil {
				es, err := s.listAll(ctx, "job/")
				if err != nil {
					return false, err
				}
				jobsNow = map[string]bool{}
				for _, e := range es {
					jobsNow[e.Key[strings.LastIndexByte(e.Key, '/')+1:]] = true
				}
			}
			return !jobsNow[id], nil
		}
	}
	for _, prefix := range []string{"jobactive/", "joblease/", "jobcancel/", "jobrows/", "jobres/"} {
		es, err := list(prefix)
		if err != nil {
			return nil, nil, err
		}
		for _, e := range es {
			id, _, _ := strings.Cut(strings.TrimPrefix(e.Key, prefix), "/")
			if !jobIDs[id] {
				add(FsckProblem{Kind: FsckOrphan, Key: e.Key, Detail: "a job key without its job", Repairable: true})
				plan.checked = append(plan.checked, fsckChecked{ops: []store.Op{store.OpDelete(e.Key)}, still: noJob(id)})
			}
		}
	}
	return rep, plan, nil
}

func (s *Service) fsckRepair(ctx context.Context, plan *fsckPlan, opts FsckOptions) error {
	for start := 0; start < len(plan.ops); start += store.MaxOps {
		if err := s.st.Apply(ctx, plan.ops[start:min(start+store.MaxOps, len(plan.ops))]...); err != nil {
			return err
		}
	}
	skipped := 0
	for _, c := range plan.checked {
		if c.still != nil {
			still, err := c.still(ctx)
			if err != nil {
				return err
			}
			if !still {
				skipped++
				continue
			}
		}
		if err := s.st.Apply(ctx, c.ops...); err != nil {
			return err
		}
	}
	if skipped > 0 {
		s.log.InfoContext(ctx, "fsck: repairs skipped: a running service changed what they would fix", "skipped", skipped)
	}
	for org, delta := range plan.alloc {
		if _, err := s.st.Incr(ctx, "alloc/"+org, delta); err != nil {
			return err
		}
	}
	for _, k := range plan.leases {
		if err := s.st.Delete(ctx, k); err != nil {
			return err
		}
	}
	for id, org := range plan.active {
		if err := s.st.Put(ctx, jobActiveKey(id), []byte(org), 0); err != nil {
			return err
		}
	}
	if !plan.recover {
		return nil
	}
	if _, err := s.Recover(ctx); err != nil {
		return err
	}
	wait := opts.JobWait
	if wait <= 0 {
		wait = 10 * time.Minute
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for org, ids := range plan.jobs {
		for _, id := range ids {
			if _, err := s.WaitJob(wctx, org, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// maxRebuildWork bounds the Merkle trees fsck builds to find lost receipts.
const maxRebuildWork = 1 << 22

// lostCred is a credential without a good receipt: its receipt may be
// derivable from the chain (rebuilt), else it is anchored again.
type lostCred struct {
	id, org, digest, typ string
	problem              FsckProblem
	ops                  []store.Op // the re-anchoring repair
	// still reports, at repair time, whether the credential is still as
	// the check saw it (a live service may have anchored it meanwhile).
	still func(context.Context) (bool, error)
}

// fsckChecked is a repair of something a live service may have changed
// since the check read it (fsck may run beside running servers): still
// reads the store again just before ops are applied, and the repair is
// skipped unless the problem is still there.
type fsckChecked struct {
	ops   []store.Op
	still func(context.Context) (bool, error)
}

// fsckUnchanged: the value at key is still raw.
func (s *Service) fsckUnchanged(key string, raw []byte) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		now, err := s.st.Get(ctx, key)
		if errors.Is(err, store.ErrNotFound) {
			return false, nil
		}
		return err == nil && bytes.Equal(now, raw), err
	}
}

// fsckAbsent: none of keys is stored.
func (s *Service) fsckAbsent(keys ...string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		for _, k := range keys {
			_, err := s.st.Get(ctx, k)
			switch {
			case err == nil:
				return false, nil
			case !errors.Is(err, store.ErrNotFound):
				return false, err
			}
		}
		return true, nil
	}
}

// fsckNoCred: the credential id is not stored, or not org's (an index
// entry under another organisation).
func (s *Service) fsckNoCred(id, org string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		raw, err := s.st.Get(ctx, "cred/"+id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return true, nil
		case err != nil:
			return false, err
		}
		if org == "" {
			return false, nil
		}
		var rec struct {
			Org string `json:"org"`
		}
		return json.Unmarshal(raw, &rec) == nil && rec.Org != org, nil
	}
}

// rebuildReceipt looks for the one credential of lost (of a's issuer, not
// rebuilt yet) whose digest, put in the only leaf of a's tree that no
// stored receipt covers, gives a's root; it returns the receipt rebuilt
// for it and its id, or nil.
func (s *Service) rebuildReceipt(a *chain.AnchorRecord, have map[uint64]string, lost []*lostCred, done map[string]bool) (*credential.AnchorReceipt, string) {
	if a.LeafCount == 0 || uint64(len(have))+1 != a.LeafCount {
		return nil, ""
	}
	digests := make([][32]byte, a.LeafCount)
	gap := -1
	for i := range digests {
		d, ok := have[uint64(i)]
		if !ok {
			gap = i
			continue
		}
		b, err := hex.DecodeString(d)
		if err != nil || len(b) != 32 {
			return nil, ""
		}
		copy(digests[i][:], b)
	}
	if gap < 0 {
		return nil, ""
	}
	work := 0
	for _, c := range lost {
		if c.org != a.Issuer || done[c.id] {
			continue
		}
		if work += int(a.LeafCount); work > maxRebuildWork {
			return nil, ""
		}
		b, err := hex.DecodeString(c.digest)
		if err != nil || len(b) != 32 {
			continue
		}
		copy(digests[gap][:], b)
		batch := credential.NewBatch(digests)
		root := batch.Root()
		if hex.EncodeToString(root[:]) != a.Root {
			continue
		}
		r := batch.Receipt(gap)
		r.Issuer, r.ChainID, r.Height, r.TxHash, r.Time = a.Issuer, s.cfg.ChainID, a.Height, a.TxHash, a.Time
		return r, c.id
	}
	return nil, ""
}

// sameIndexEntry reports whether a stored listing entry says what want
// does (compared decoded: the bytes may differ in order or spelling).
func sameIndexEntry(stored, want []byte) bool {
	if stored == nil {
		return false
	}
	var a, b indexEntry
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(want, &b) != nil {
		return false
	}
	return reflect.DeepEqual(a, b)
}
