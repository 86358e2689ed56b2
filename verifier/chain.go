package verifier

import (
	"context"
	"errors"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/talentchain/talentchain/chain"
)

// Chain is what the pipeline reads from the chain; *chain.Client satisfies
// it (proving every answer against a signed header when it talks to a
// remote node with a trust root).
//
// Contract: a missing entry is an error wrapping chain.ErrNotFound; any other
// error means the chain could not be read (the verification then fails with
// ErrUnavailable rather than with a wrong answer). Returned records are not
// modified by the pipeline and may be shared.
type Chain interface {
	Issuer(ctx context.Context, did string) (*chain.Issuer, error)
	Accreditation(ctx context.Context, did, credentialType string) (*chain.Accreditation, error)
	Anchor(ctx context.Context, rootHex string) (*chain.AnchorRecord, error)
	StatusList(ctx context.Context, did, listID string) (*chain.StatusList, error)
}

var _ Chain = (*chain.Client)(nil)

// chainView caches chain reads briefly. Anchors never change once committed
// and are kept until the cache is full; issuer records, accreditations and
// status lists change, and are kept for their TTL. A not-found answer is
// kept for the record TTL (a root may be anchored a moment later). Reads of
// one key by concurrent verifications are made once.
//
// A cached answer may be up to its TTL old. The pipeline re-reads without
// the cache before it reports a chain step as failed, so staleness can only
// delay bad news (a revocation, a suspension) by at most the TTL, never
// fail a good credential.
type chainView struct {
	c         Chain
	now       func() time.Time
	recordTTL time.Duration // < 0: no caching
	statusTTL time.Duration // < 0: no caching
	issuers   *ttlCache[*chain.Issuer]
	accrs     *ttlCache[*chain.Accreditation]
	anchors   *ttlCache[*chain.AnchorRecord]
	lists     *ttlCache[*chain.StatusList]
	flight    singleflight.Group
}

func newChainView(c Chain, now func() time.Time, recordTTL, statusTTL time.Duration, maxEntries int) *chainView {
	return &chainView{
		c: c, now: now, recordTTL: recordTTL, statusTTL: statusTTL,
		issuers: newTTLCache[*chain.Issuer](maxEntries),
		accrs:   newTTLCache[*chain.Accreditation](maxEntries),
		anchors: newTTLCache[*chain.AnchorRecord](maxEntries),
		lists:   newTTLCache[*chain.StatusList](maxEntries),
	}
}

func (v *chainView) issuer(ctx context.Context, did string, fresh bool) (*chain.Issuer, error) {
	return cached(v, v.issuers, "i/"+did, v.recordTTL, v.recordTTL, fresh, func() (*chain.Issuer, error) {
		return v.c.Issuer(ctx, did)
	})
}

func (v *chainView) accreditation(ctx context.Context, did, typ string, fresh bool) (*chain.Accreditation, error) {
	return cached(v, v.accrs, "a/"+did+"/"+typ, v.recordTTL, v.recordTTL, fresh, func() (*chain.Accreditation, error) {
		return v.c.Accreditation(ctx, did, typ)
	})
}

// anchor caches found anchors without expiry: a committed anchor never changes.
func (v *chainView) anchor(ctx context.Context, root string, fresh bool) (*chain.AnchorRecord, error) {
	return cached(v, v.anchors, "r/"+root, 0, v.recordTTL, fresh, func() (*chain.AnchorRecord, error) {
		return v.c.Anchor(ctx, root)
	})
}

func (v *chainView) statusList(ctx context.Context, did, list string, fresh bool) (*chain.StatusList, error) {
	return cached(v, v.lists, "s/"+did+"/"+list, v.statusTTL, v.statusTTL, fresh, func() (*chain.StatusList, error) {
		return v.c.StatusList(ctx, did, list)
	})
}

// cached answers key from c, or reads it once for all concurrent callers.
// ttl is how long a found value is kept (0: until evicted, < 0: not at all);
// missTTL how long a not-found answer is kept (< 0: not at all). fresh skips
// the cache (the answer is still stored).
func cached[V any](v *chainView, c *ttlCache[V], key string, ttl, missTTL time.Duration, fresh bool, read func() (V, error)) (V, error) {
	now := v.now()
	if !fresh {
		if val, err, ok := c.get(key, now); ok {
			return val, err
		}
	}
	res, err, _ := v.flight.Do(key, func() (any, error) { return read() })
	val, _ := res.(V)
	switch {
	case err == nil && ttl >= 0:
		c.put(key, val, nil, ttl, now)
	case errors.Is(err, chain.ErrNotFound) && missTTL > 0:
		c.put(key, val, err, missTTL, now)
	}
	return val, err
}

// ttlCache is a small map with expiry, emptied when it is full (the working
// set of a verifier — a few issuers, their lists and recent anchors — is
// far below the bound).
type ttlCache[V any] struct {
	mu  sync.Mutex
	m   map[string]cacheEntry[V]
	max int
}

type cacheEntry[V any] struct {
	val     V
	err     error
	expires time.Time // zero: never
}

func newTTLCache[V any](maxEntries int) *ttlCache[V] {
	return &ttlCache[V]{m: make(map[string]cacheEntry[V]), max: maxEntries}
}

func (c *ttlCache[V]) get(key string, now time.Time) (V, error, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if !ok || (!e.expires.IsZero() && !now.Before(e.expires)) {
		var zero V
		return zero, nil, false
	}
	return e.val, e.err, true
}

func (c *ttlCache[V]) delete(key string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, key)
}

func (c *ttlCache[V]) put(key string, val V, err error, ttl time.Duration, now time.Time) {
	if ttl < 0 {
		return
	}
	e := cacheEntry[V]{val: val, err: err}
	if ttl > 0 {
		e.expires = now.Add(ttl)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= c.max {
		for k, old := range c.m {
			if !old.expires.IsZero() && !now.Before(old.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= c.max {
			clear(c.m)
		}
	}
	c.m[key] = e
}
