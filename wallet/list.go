package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/talentchain/talentchain/store"
)

// ListOptions select a page of Credentials.
type ListOptions struct {
	// After is the id of the last credential of the previous page (its
	// Next); empty for the first page.
	After string `json:"after,omitempty" validate:"omitempty,credid"`
	// Limit is the page size: 0 means 50; at most 1000.
	Limit int `json:"limit,omitempty" validate:"gte=0,lte=1000"`
	// NoStatus skips the live status checks (Status stays empty).
	NoStatus bool `json:"-"`
}

// Page is a page of credentials, newest first.
type Page struct {
	Items []*Credential `json:"items"`
	// Next is the After of the next page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// Credentials lists the holder's credentials, newest first, with their
// live status (valid, suspended, revoked, expired; unknown when the status
// checker could not answer). Documents, receipts and the reports' checks
// are left out: Credential returns one in full.
func (s *Service) Credentials(ctx context.Context, account string, opts ListOptions) (*Page, error) {
	if err := check(opts); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	if _, err := s.account(ctx, account); err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	limit := opts.Limit
	if limit == 0 {
		limit = 50
	}
	prefix := "cred/" + account + "/"
	lo := store.ListOptions{Limit: limit}
	if opts.After != "" {
		lo.After = prefix + opts.After
	}
	entries, err := s.st.List(ctx, prefix, lo)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	recs := make([]*credRecord, len(entries))
	for i, e := range entries {
		recs[i] = &credRecord{}
		if err := json.Unmarshal(e.Value, recs[i]); err != nil {
			return nil, fmt.Errorf("list: decode %s: %w", e.Key, err)
		}
	}
	if !opts.NoStatus {
		s.fillStatus(ctx, account, recs)
	}
	page := &Page{Items: make([]*Credential, len(recs))}
	for i, r := range recs {
		page.Items[i] = r.summary()
	}
	if len(recs) == limit {
		page.Next = recs[len(recs)-1].ID
	}
	return page, nil
}

// summary is what a listing shows of a credential: no document, receipt
// or checks (a status check on a cache miss may have read them).
func (r *credRecord) summary() *Credential {
	c := r.Credential
	c.Document, c.Compact, c.Receipt = nil, "", nil
	if c.Verification != nil {
		v := *c.Verification
		v.Checks = nil
		c.Verification = &v
	}
	return &c
}

// statusEntry is a cached status.
type statusEntry struct {
	status Status
	at     time.Time
}

// maxCache bounds the status cache; it is emptied when full.
const maxCache = 100000

// statusWorkers bounds the status checks of one listing running at once.
const statusWorkers = 8

// fillStatus sets the live status of each record: the checker's answer
// (cached for StatusCacheTTL, by credential digest; the document is read
// only on a miss), then expiry.
func (s *Service) fillStatus(ctx context.Context, account string, recs []*credRecord) {
	now := s.cfg.Now()
	var todo []*credRecord
	for _, r := range recs {
		if st, ok := s.cached(r.Digest, now); ok {
			r.Status = st
		} else {
			todo = append(todo, r)
		}
	}
	if len(todo) > 0 {
		var wg sync.WaitGroup
		sem := make(chan struct{}, statusWorkers)
		for _, r := range todo {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer func() { <-sem; wg.Done() }()
				if r.Document == nil && r.Compact == "" {
					if err := s.withDetails(ctx, account, r); err != nil {
						s.log.WarnContext(ctx, "wallet: status check failed", "credential", r.ID, "err", err)
						r.Status = StatusUnknown
						return
					}
				}
				raw := []byte(r.Compact)
				if r.Format == FormatLDP {
					raw = r.Document
				}
				st, err := s.status.CheckStatus(ctx, r.Format, raw)
				switch {
				case err != nil:
					s.log.WarnContext(ctx, "wallet: status check failed", "credential", r.ID, "err", err)
					r.Status = StatusUnknown
					return
				case st != StatusValid && st != StatusSuspended && st != StatusRevoked:
					s.log.WarnContext(ctx, "wallet: the status checker answered an unknown status", "status", st)
					r.Status = StatusUnknown
					return
				}
				r.Status = st
				s.remember(r.Digest, st, now)
			}()
		}
		wg.Wait()
	}
	for _, r := range recs {
		if (r.Status == StatusValid || r.Status == StatusUnknown) && !r.ValidUntil.IsZero() && now.After(r.ValidUntil) {
			r.Status = StatusExpired
		}
	}
}

func (s *Service) cached(digest string, now time.Time) (Status, bool) {
	if s.cfg.StatusCacheTTL < 0 {
		return "", false
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	e, ok := s.cache[digest]
	if !ok || now.Sub(e.at) >= s.cfg.StatusCacheTTL {
		return "", false
	}
	return e.status, true
}

func (s *Service) remember(digest string, st Status, now time.Time) {
	if s.cfg.StatusCacheTTL < 0 {
		return
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if len(s.cache) >= maxCache {
		clear(s.cache)
	}
	s.cache[digest] = statusEntry{status: st, at: now}
}
