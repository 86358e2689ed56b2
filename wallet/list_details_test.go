package wallet

import (
	"bytes"
	"context"
	"fmt"
	"testing"
)

// A listing with Details carries each credential as Credential returns it
// (document, receipt, checks), page by page, on both stores; the details
// are read in one pass, and a page whose details moved meanwhile (a
// credential added or deleted between the two reads) still comes out
// right.
func TestListDetails(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newWallet(t, sc.open(t), nil, Config{})
			a := holder(t, s, "lister")
			for i := range 5 {
				if _, err := s.Import(ctx, a.ID, file(t, f.issue(t, training(a.DID, fmt.Sprintf("BC-LD%d", i))))); err != nil {
					t.Fatal(err)
				}
			}
			var got []*Credential
			pages := 0
			for after := ""; ; pages++ {
				p, err := s.Credentials(ctx, a.ID, ListOptions{After: after, Limit: 2, Details: true})
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, p.Items...)
				if p.Next == "" {
					break
				}
				after = p.Next
			}
			if len(got) != 5 || pages != 2 {
				t.Fatalf("listed %d in %d pages", len(got), pages+1)
			}
			for _, c := range got {
				want, err := s.Credential(ctx, a.ID, c.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(c.Document) == 0 || !bytes.Equal(c.Document, want.Document) || c.Receipt == nil || c.Receipt.Root != want.Receipt.Root ||
					len(c.Verification.Checks) == 0 || len(c.Verification.Checks) != len(want.Verification.Checks) || c.Status != StatusValid {
					t.Fatalf("listed %+v, want %+v", c, want)
				}
			}
			// Without Details, the summaries only.
			p, err := s.Credentials(ctx, a.ID, ListOptions{})
			if err != nil || len(p.Items) != 5 || p.Items[0].Document != nil || p.Items[0].Receipt != nil || p.Items[0].Verification.Checks != nil {
				t.Fatalf("summaries %+v %v", p, err)
			}

			// The page read, then one of its credentials deleted and a new
			// one added before the details are read: the deleted one is
			// left out, the others all get their details (the new one
			// shifted the details' page, so the last is read on its own).
			recs, err := s.Credentials(ctx, a.ID, ListOptions{Limit: 3, NoStatus: true})
			if err != nil {
				t.Fatal(err)
			}
			var raw []*credRecord
			for _, c := range recs.Items {
				raw = append(raw, &credRecord{Credential: *c})
			}
			if err := s.DeleteCredential(ctx, a.ID, raw[1].ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Import(ctx, a.ID, file(t, f.issue(t, training(a.DID, "BC-LD9")))); err != nil {
				t.Fatal(err)
			}
			kept, err := s.pageDetails(ctx, a.ID, "", 3, raw)
			if err != nil || len(kept) != 2 || kept[0].ID != raw[0].ID || kept[1].ID != raw[2].ID {
				t.Fatalf("kept %v %v", kept, err)
			}
			for _, r := range kept {
				if len(r.Document) == 0 || r.Receipt == nil {
					t.Fatalf("no details for %s", r.ID)
				}
			}
		})
	}
}
