package store

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"
)

// WithPrefix returns a view of s confined to the keys that start with prefix,
// for handing one service its own namespace ("wallet/") of a shared store.
// The view's key k is s's key prefix+k; List on the view sees only that
// namespace and returns keys without the prefix. Key limits apply to the
// whole key, prefix included.
//
// Closing the view makes the view return ErrClosed but leaves s open: whoever
// opened s closes it.
func WithPrefix(s Store, prefix string) Store {
	return &prefixed{s: s, prefix: prefix}
}

type prefixed struct {
	s      Store
	prefix string
	closed atomic.Bool
}

// check validates the view's own key (the underlying store validates the
// full key) and refuses work after Close.
func (p *prefixed) check(ctx context.Context, key string) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ValidateKey(key)
}

func (p *prefixed) Get(ctx context.Context, key string) ([]byte, error) {
	if err := p.check(ctx, key); err != nil {
		return nil, fmt.Errorf("store: get: %w", err)
	}
	return p.s.Get(ctx, p.prefix+key)
}

func (p *prefixed) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := p.check(ctx, key); err != nil {
		return fmt.Errorf("store: put: %w", err)
	}
	return p.s.Put(ctx, p.prefix+key, value, ttl)
}

func (p *prefixed) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := p.check(ctx, key); err != nil {
		return fmt.Errorf("store: create: %w", err)
	}
	return p.s.Create(ctx, p.prefix+key, value, ttl)
}

func (p *prefixed) Take(ctx context.Context, key string) ([]byte, error) {
	if err := p.check(ctx, key); err != nil {
		return nil, fmt.Errorf("store: take: %w", err)
	}
	return p.s.Take(ctx, p.prefix+key)
}

func (p *prefixed) Delete(ctx context.Context, key string) error {
	if err := p.check(ctx, key); err != nil {
		return fmt.Errorf("store: delete: %w", err)
	}
	return p.s.Delete(ctx, p.prefix+key)
}

func (p *prefixed) List(ctx context.Context, prefix string, opts ListOptions) ([]Entry, error) {
	if p.closed.Load() {
		return nil, fmt.Errorf("store: list: %w", ErrClosed)
	}
	if _, err := ValidateList(prefix, opts); err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	if opts.After != "" {
		opts.After = p.prefix + opts.After
	}
	entries, err := p.s.List(ctx, p.prefix+prefix, opts)
	if err != nil {
		return nil, err
	}
	for i := range entries {
		entries[i].Key = strings.TrimPrefix(entries[i].Key, p.prefix)
	}
	return entries, nil
}

func (p *prefixed) Apply(ctx context.Context, ops ...Op) error {
	if p.closed.Load() {
		return fmt.Errorf("store: apply: %w", ErrClosed)
	}
	if err := ValidateOps(ops); err != nil {
		return fmt.Errorf("store: apply: %w", err)
	}
	full := make([]Op, len(ops))
	for i, op := range ops {
		op.Key = p.prefix + op.Key
		full[i] = op
	}
	return p.s.Apply(ctx, full...)
}

func (p *prefixed) Incr(ctx context.Context, key string, delta int64) (int64, error) {
	if err := p.check(ctx, key); err != nil {
		return 0, fmt.Errorf("store: incr: %w", err)
	}
	return p.s.Incr(ctx, p.prefix+key, delta)
}

func (p *prefixed) Close() error {
	p.closed.Store(true)
	return nil
}
