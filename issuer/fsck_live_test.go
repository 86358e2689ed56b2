package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/talentchain/talentchain/store"
)

// TestFsckRepairChecksAgain: fsck may run beside a live service, which
// writes between fsck's check and its repair. Each repair of something a
// service may have changed reads the store again first: the listing entry
// and pending mark of a credential that was being stored while fsck read
// (they looked orphaned) survive, a record whose status was changed
// meanwhile is not rewritten from the old snapshot, while a real orphan
// (and an entry filed under another organisation) is still deleted.
func TestFsckRepairChecksAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "FsckLive-"+sc.name, TypeTraining)
			other := e.org(t, "FsckLiveB-"+sc.name, TypeTraining)
			rec, err := e.svc.Issue(ctx, o.DID, training())
			if err != nil {
				t.Fatal(err)
			}
			st := e.svc.st
			// The credential being stored: its record is not in fsck's view.
			credRaw, err := st.Get(ctx, "cred/"+rec.ID)
			if err != nil {
				t.Fatal(err)
			}
			entry, err := st.Get(ctx, credIndexKey(o.DID, rec.ID))
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Delete(ctx, "cred/"+rec.ID); err != nil {
				t.Fatal(err)
			}
			// A real orphan, and an entry under another organisation.
			if err := st.Apply(ctx, store.OpPut(credIndexKey(o.DID, "gone"), entry, 0), store.OpPut(credIndexKey(other.DID, rec.ID), entry, 0)); err != nil {
				t.Fatal(err)
			}
			// A CSV job being uploaded: its rows are stored, its record not
			// yet in fsck's view; and the rows of a job that is gone.
			if err := st.Apply(ctx, store.OpPut(jobRowsKey("job-uploading", 0), []byte("[]"), 0), store.OpPut(jobRowsKey("job-gone", 0), []byte("[]"), 0)); err != nil {
				t.Fatal(err)
			}
			rep, plan, err := e.svc.fsckCheck(ctx, FsckOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if k := kinds(rep.Problems); k[FsckOrphan] < 3 {
				t.Fatalf("problems %+v", rep.Problems)
			}
			// The record lands before the repair runs, and so does the job's.
			if err := st.Put(ctx, "cred/"+rec.ID, credRaw, 0); err != nil {
				t.Fatal(err)
			}
			if err := st.Put(ctx, jobKey(o.DID, "job-uploading"), []byte(`{"id":"job-uploading"}`), 0); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.fsckRepair(ctx, plan, FsckOptions{}); err != nil {
				t.Fatal(err)
			}
			for key, want := range map[string]bool{
				credIndexKey(o.DID, rec.ID):     true,  // its entry
				"receipt/" + rec.ID:             true,  // its receipt
				credIndexKey(o.DID, "gone"):     false, // a real orphan
				credIndexKey(other.DID, rec.ID): false, // filed under another organisation
				jobRowsKey("job-uploading", 0):  true,  // the job being uploaded
				jobRowsKey("job-gone", 0):       false, // a real orphan
			} {
				_, err := st.Get(ctx, key)
				if got := err == nil; got != want || (err != nil && !errors.Is(err, store.ErrNotFound)) {
					t.Errorf("%s stored = %v (%v), want %v", key, got, err, want)
				}
			}
			page, err := e.svc.ListCredentials(ctx, o.DID, CredentialQuery{Limit: 10})
			if err != nil || page.Total != 1 || page.Items[0].ID != rec.ID {
				t.Fatalf("listing after the repair: %+v %v", page, err)
			}

			// A status mismatch (the record says suspended, the chain's lists
			// say active) whose record a status change rewrites before the
			// repair: fsck leaves the new record alone.
			var stale credRecord
			if err := json.Unmarshal(credRaw, &stale); err != nil {
				t.Fatal(err)
			}
			stale.Status = StatusSuspended
			ops, err := recordOps(&stale, false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Apply(ctx, ops...); err != nil {
				t.Fatal(err)
			}
			rep, plan, err = e.svc.fsckCheck(ctx, FsckOptions{})
			if err != nil || kinds(rep.Problems)[FsckStatusMismatch] != 1 {
				t.Fatalf("mismatch not found: %+v %v", rep, err)
			}
			changed := stale
			changed.StatusNote = "written by a status change during fsck"
			if ops, err = recordOps(&changed, false, nil); err != nil {
				t.Fatal(err)
			}
			if err := st.Apply(ctx, ops...); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.fsckRepair(ctx, plan, FsckOptions{}); err != nil {
				t.Fatal(err)
			}
			var after credRecord
			raw, err := st.Get(ctx, "cred/"+rec.ID)
			if err != nil || json.Unmarshal(raw, &after) != nil || after.StatusNote != changed.StatusNote {
				t.Fatalf("the record changed meanwhile was rewritten by fsck: status %s, note %q, %v", after.Status, after.StatusNote, err)
			}
		})
	}
}
