package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/talentchain/talentchain/credential"
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
	// Details keeps each credential's details in the page — the document
	// (or SD-JWT), the anchor receipt and the report's checks, as
	// Credential returns them — read in one pass with the page (one store
	// listing beside the summaries' one) rather than one Credential call
	// per item.
	Details bool `json:"-"`
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
// are left out unless opts.Details asks for them: Credential returns one
// in full.
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
	next := ""
	if len(recs) == limit {
		next = recs[len(recs)-1].ID
	}
	if opts.Details {
		if recs, err = s.pageDetails(ctx, account, opts.After, limit, recs); err != nil {
			return nil, fmt.Errorf("list: %w", err)
		}
	}
	if !opts.NoStatus {
		s.fillStatus(ctx, account, recs)
	}
	page := &Page{Items: make([]*Credential, len(recs))}
	for i, r := range recs {
		if opts.Details {
			c := r.Credential
			page.Items[i] = &c
			continue
		}
		page.Items[i] = r.summary()
	}
	page.Next = next
	return page, nil
}

// pageDetails reads the details of a page of records in one store listing:
// the details (doc/…) are keyed by the same ids as the summaries (cred/…)
// and written with them, so the listing from the same cursor with the same
// limit holds the page's. A record whose details that listing missed (a
// credential added or deleted between the two reads shifted the page) is
// read on its own; one deleted meanwhile is left out of the page. It
// returns the records kept.
func (s *Service) pageDetails(ctx context.Context, account, after string, limit int, recs []*credRecord) ([]*credRecord, error) {
	if len(recs) == 0 {
		return recs, nil
	}
	prefix := "doc/" + account + "/"
	lo := store.ListOptions{Limit: limit}
	if after != "" {
		lo.After = prefix + after
	}
	entries, err := s.st.List(ctx, prefix, lo)
	if err != nil {
		return nil, err
	}
	byID := make(map[string][]byte, len(entries))
	for _, e := range entries {
		byID[strings.TrimPrefix(e.Key, prefix)] = e.Value
	}
	kept := recs[:0:0]
	for _, r := range recs {
		raw, ok := byID[r.ID]
		if !ok {
			err := s.withDetails(ctx, account, r)
			switch {
			case errors.Is(err, store.ErrNotFound):
				continue // deleted since the page was read
			case err != nil:
				return nil, err
			}
			kept = append(kept, r)
			continue
		}
		var d detailRecord
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("credential %s: details: %w", r.ID, err)
		}
		d.fill(r)
		kept = append(kept, r)
	}
	return kept, nil
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

// fillStatus sets the live status of each record: from the cache (by
// credential digest, StatusCacheTTL), else from the chain's status lists
// through StatusLists when the record has StatusRefs (each list read once
// per listing, no document read), else the StatusChecker's answer (the
// document is read); then expiry.
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
	if s.lists != nil && len(todo) > 0 {
		todo = s.lightStatus(ctx, todo, now)
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

// StatusRef is a credential's bit in its issuer's status list on chain.
type StatusRef struct {
	Issuer  string `json:"issuer"`
	List    string `json:"list"`
	Index   uint64 `json:"index"`
	Purpose string `json:"purpose"` // credential.StatusRevocation or StatusSuspension
}

// StatusBits are a status list's bits.
type StatusBits interface {
	Bit(i uint64) bool
}

// StatusLists reads issuers' status lists from chain state, for the
// listing's light status check: one read per list and listing instead of a
// verification per credential (full verification stays on receipt and in
// Credential's caller). *chain.Client satisfies it through an adapter in
// cmd/.
//
// Contract: a list the chain does not hold (no bit ever set) is nil bits
// and no error; an error means the list could not be read now (the
// credentials on it fall back to the StatusChecker). Safe for concurrent
// use.
type StatusLists interface {
	StatusList(ctx context.Context, issuer, list string) (StatusBits, error)
}

// WithStatusLists makes listings read credentials' status bits from the
// chain's lists directly (see StatusLists).
func WithStatusLists(l StatusLists) Option { return func(s *Service) { s.lists = l } }

// lightStatus fills the status of the records that have StatusRefs from
// their lists, each list read once; it returns the records left to the
// StatusChecker.
func (s *Service) lightStatus(ctx context.Context, recs []*credRecord, now time.Time) []*credRecord {
	type key struct{ issuer, list string }
	need := map[key]bool{}
	for _, r := range recs {
		for _, ref := range r.StatusRefs {
			need[key{ref.Issuer, ref.List}] = true
		}
	}
	if len(need) == 0 {
		return recs
	}
	type got struct {
		bits StatusBits
		err  error
	}
	lists := make(map[key]got, len(need))
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, statusWorkers)
	for k := range need {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			b, err := s.lists.StatusList(ctx, k.issuer, k.list)
			mu.Lock()
			lists[k] = got{b, err}
			mu.Unlock()
		}()
	}
	wg.Wait()
	var left []*credRecord
	for _, r := range recs {
		if len(r.StatusRefs) == 0 {
			left = append(left, r)
			continue
		}
		st, ok := StatusValid, true
		for _, ref := range r.StatusRefs {
			g := lists[key{ref.Issuer, ref.List}]
			if g.err != nil {
				s.log.WarnContext(ctx, "wallet: status list unreadable", "issuer", ref.Issuer, "list", ref.List, "err", g.err)
				ok = false
				break
			}
			if g.bits == nil || !g.bits.Bit(ref.Index) {
				continue
			}
			switch ref.Purpose {
			case credential.StatusRevocation:
				st = StatusRevoked
			case credential.StatusSuspension:
				if st != StatusRevoked {
					st = StatusSuspended
				}
			}
		}
		if !ok {
			left = append(left, r)
			continue
		}
		r.Status = st
		s.remember(r.Digest, st, now)
	}
	return left
}

// chainListRef reads a TalentChain status list URL
// ({base}/status/{issuer DID}/{list}) of the given issuer.
func chainListRef(u, issuer string) (list string, ok bool) {
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.RawQuery != "" || !strings.HasPrefix(issuer, "did:talent:") {
		return "", false
	}
	segs := strings.Split(strings.TrimSuffix(p.Path, "/"), "/")
	if len(segs) < 3 || segs[len(segs)-3] != "status" || segs[len(segs)-2] != issuer {
		return "", false
	}
	list = segs[len(segs)-1]
	if list == "" || len(list) > 64 || strings.Trim(list, "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return "", false
	}
	return list, true
}

// ldpStatusRefs reads the status references of a W3C credential; nil when
// it has none or one is not a TalentChain list of its issuer.
func ldpStatusRefs(issuer string, doc map[string]any) []StatusRef {
	entries, err := credential.StatusEntries(doc)
	if err != nil || len(entries) == 0 {
		return nil
	}
	refs := make([]StatusRef, 0, len(entries))
	for _, e := range entries {
		list, ok := chainListRef(e.StatusListCredential, issuer)
		if !ok {
			return nil
		}
		refs = append(refs, StatusRef{Issuer: issuer, List: list, Index: uint64(e.Index()), Purpose: e.StatusPurpose})
	}
	return refs
}

// sdjwtStatusRefs reads the status claim of an SD-JWT VC
// ({"status_list": {"idx", "uri"}}) whose uri is its issuer's revocation
// list rev-n on TalentChain: the bit there, and the suspension bit at the
// same index of sus-n (the issuer service's layout); nil otherwise.
func sdjwtStatusRefs(issuer string, status any) []StatusRef {
	m, _ := status.(map[string]any)
	sl, _ := m["status_list"].(map[string]any)
	idx, ok := sl["idx"].(float64)
	uri, _ := sl["uri"].(string)
	if !ok || idx < 0 || idx != float64(uint64(idx)) || idx > 1<<40 {
		return nil
	}
	list, ok := chainListRef(uri, issuer)
	n, isRev := strings.CutPrefix(list, "rev-")
	if !ok || !isRev || n == "" {
		return nil
	}
	return []StatusRef{
		{Issuer: issuer, List: list, Index: uint64(idx), Purpose: credential.StatusRevocation},
		{Issuer: issuer, List: "sus-" + n, Index: uint64(idx), Purpose: credential.StatusSuspension},
	}
}
