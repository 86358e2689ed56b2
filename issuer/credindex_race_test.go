package issuer

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/talentchain/talentchain/store"
)

// issuingStore stores one more credential of org (its index entry and its
// pending mark, in one Apply, as issuance does) between a listing's two
// reads, the entries' and the pending marks' (whichever comes first): as
// if a CSV job stored it while a listing read.
type issuingStore struct {
	store.Store
	org  string
	mu   sync.Mutex
	seen string // the first of the two prefixes listed
	once sync.Once
}

func (s *issuingStore) List(ctx context.Context, prefix string, opts store.ListOptions) ([]store.Entry, error) {
	kind := ""
	switch {
	case strings.HasPrefix(prefix, credIndexPrefix+s.org+"/"):
		kind = "entries"
	case strings.HasPrefix(prefix, "pending/"+s.org+"/"):
		kind = "pending"
	}
	s.mu.Lock()
	second := kind != "" && s.seen != "" && s.seen != kind
	if kind != "" && s.seen == "" {
		s.seen = kind
	}
	s.mu.Unlock()
	if second {
		var err error
		s.once.Do(func() {
			entry, _ := json.Marshal(indexEntry{CredentialSummary: CredentialSummary{ID: "late", Type: TypeTraining, Status: StatusActive}})
			err = s.Store.Apply(ctx, store.OpPut(credIndexKey(s.org, "late"), entry, 0), store.OpPut("pending/"+s.org+"/late", []byte("{}"), 0))
		})
		if err != nil {
			return nil, err
		}
	}
	return s.Store.List(ctx, prefix, opts)
}

// TestListingNeverCallsPendingAnchored: a credential stored while a listing
// reads is either not listed yet or listed as not anchored, whichever of
// the listing's reads it falls between; never anchored while its pending
// mark is in the store. Both stores.
func TestListingNeverCallsPendingAnchored(t *testing.T) {
	const org = "did:talent:Hg5KvADpUj1BT5dRJnsxg"
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			raw := sc.open(t)
			done, _ := json.Marshal(indexEntry{CredentialSummary: CredentialSummary{ID: "done", Type: TypeTraining, Status: StatusActive}})
			if err := raw.Put(ctx, credIndexKey(org, "done"), done, 0); err != nil {
				t.Fatal(err)
			}
			s := &Service{st: &issuingStore{Store: raw, org: org}, log: slog.New(slog.DiscardHandler)}
			got := map[string]bool{}
			if err := s.indexedCredentials(ctx, org, func(c *CredentialSummary) { got[c.ID] = c.Anchored }); err != nil {
				t.Fatal(err)
			}
			if !got["done"] {
				t.Fatalf("the anchored credential: %v", got)
			}
			if anchored, listed := got["late"]; listed && anchored {
				t.Fatalf("the credential stored during the listing is listed as anchored while its pending mark is stored: %v", got)
			}
		})
	}
}
