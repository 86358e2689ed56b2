package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/talentchain/talentchain/store"
)

// The per-organisation credential index.
//
// Records are stored by id (cred/{id}); a listing of one organisation used
// to read every organisation's records. Each record now has an index entry
// credorg/{did}/{id} holding what a listing shows (CredentialSummary
// without the anchored flag, and ReplacedBy), written in the same Apply as
// the record by every writer (issuance, status changes, rebinding), so one
// organisation's listing reads only its own entries, and whether each is
// anchored from its own pending marks (pending/{did}/{id}: a credential is
// anchored once its pending mark is gone, deleted in the Apply that stores
// the receipt).
//
// Data written before the index existed is migrated once: ensureIndex
// (Recover calls it; the first listing does if Recover did not) reads every
// record and creates the missing entries, then writes credIndexMarker.
// Entries are created, never overwritten, so a status change that wrote a
// fresh entry while the migration was reading the old record wins. Until
// the marker exists, a listing whose migration fails reads the records
// themselves (scanCredentials), as before.

const (
	credIndexPrefix = "credorg/"
	// credIndexMarker says every record has its index entry.
	credIndexMarker = "meta/credorg-index"
)

func credIndexKey(org, id string) string { return credIndexPrefix + org + "/" + id }

// indexEntry is the stored index entry of a credential.
type indexEntry struct {
	CredentialSummary
	ReplacedBy string `json:"replacedBy,omitempty"`
}

// recordOps are the ops that store a credential record and its index
// entry; create makes the record's op a Create (a new credential). subject,
// when not nil, is the credential's subject (saves reading it back from
// the signed credential).
func recordOps(rec *credRecord, create bool, subject map[string]any) ([]store.Op, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	ent, err := indexValue(rec, subject)
	if err != nil {
		return nil, err
	}
	op := store.OpPut("cred/"+rec.ID, raw, 0)
	if create {
		op = store.OpCreate("cred/"+rec.ID, raw, 0)
	}
	return []store.Op{op, store.OpPut(credIndexKey(rec.Org, rec.ID), ent, 0)}, nil
}

func indexValue(rec *credRecord, subject map[string]any) ([]byte, error) {
	var c *CredentialSummary
	if subject != nil {
		c = summaryOf(rec, subject)
	} else {
		c = summarize(rec)
	}
	c.Anchored = false // read from the pending marks
	return json.Marshal(indexEntry{CredentialSummary: *c, ReplacedBy: rec.ReplacedBy})
}

// ensureIndex migrates the records written before the index (once per
// store; a no-op once the marker exists) and returns how many entries it
// created.
func (s *Service) ensureIndex(ctx context.Context) (int, error) {
	if s.indexed.Load() {
		return 0, nil
	}
	s.indexMu.Lock()
	defer s.indexMu.Unlock()
	if s.indexed.Load() {
		return 0, nil
	}
	if _, err := s.st.Get(ctx, credIndexMarker); err == nil {
		s.indexed.Store(true)
		return 0, nil
	} else if !errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("credential index: %w", err)
	}
	n := 0
	err := store.Pages(ctx, s.st, "cred/", store.ScanOptions{PageSize: listPageSize}, func(page []store.Entry) error {
		ops := make([]store.Op, 0, len(page))
		for _, e := range page {
			var rec credRecord
			if err := json.Unmarshal(e.Value, &rec); err != nil {
				s.log.WarnContext(ctx, "credential index: undecodable record", "key", e.Key, "error", err.Error())
				continue
			}
			ent, err := indexValue(&rec, nil)
			if err != nil {
				return err
			}
			ops = append(ops, store.OpCreate(credIndexKey(rec.Org, rec.ID), ent, 0))
		}
		made, err := s.createEntries(ctx, ops)
		n += made
		return err
	})
	if err != nil {
		return n, fmt.Errorf("credential index: %w", err)
	}
	if err := s.st.Put(ctx, credIndexMarker, []byte("v1"), 0); err != nil {
		return n, fmt.Errorf("credential index: %w", err)
	}
	s.indexed.Store(true)
	if n > 0 {
		s.log.InfoContext(ctx, "credential index built", slog.Int("entries", n))
	}
	return n, nil
}

// createEntries applies Create ops together, or one by one when some
// entry exists already (written meanwhile by issuance or a status change,
// which is fresher); it returns how many it created.
func (s *Service) createEntries(ctx context.Context, ops []store.Op) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	err := s.st.Apply(ctx, ops...)
	if err == nil {
		return len(ops), nil
	}
	if !errors.Is(err, store.ErrExists) {
		return 0, err
	}
	n := 0
	for _, op := range ops {
		switch err := s.st.Create(ctx, op.Key, op.Value, 0); {
		case err == nil:
			n++
		case !errors.Is(err, store.ErrExists):
			return n, err
		}
	}
	return n, nil
}

// indexedCredentials calls f with each of org's credentials from the
// index: its entries and its pending marks, nothing of other
// organisations.
//
// The entries are read before the pending marks: a credential stored in
// between has its mark by then (both are written in one Apply), and one
// anchored in between has lost it, rightly. The other order would show a
// credential stored in between as anchored.
func (s *Service) indexedCredentials(ctx context.Context, org string, f func(*CredentialSummary)) error {
	prefix := credIndexPrefix + org + "/"
	type listed struct {
		id string // as in the entry's key, as in the pending mark's
		CredentialSummary
	}
	var found []listed
	err := store.Each(ctx, s.st, prefix, credScan, func(e store.Entry) error {
		var ent indexEntry
		if err := json.Unmarshal(e.Value, &ent); err != nil {
			s.log.WarnContext(ctx, "list credentials: undecodable index entry", "key", e.Key, "error", err.Error())
			return nil
		}
		if ent.ReplacedBy != "" {
			return nil // the delivered credential stands for it
		}
		found = append(found, listed{strings.TrimPrefix(e.Key, prefix), ent.CredentialSummary})
		return nil
	})
	if err != nil {
		return credScanError(err)
	}
	pending, err := s.keySet(ctx, "pending/"+org+"/")
	if err != nil {
		return err
	}
	for i := range found {
		_, isPending := pending[found[i].id]
		found[i].Anchored = !isPending
		f(&found[i].CredentialSummary)
	}
	return nil
}
