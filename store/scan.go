package store

import (
	"context"
	"fmt"
)

// ScanOptions tune Pages, Each and All, the helpers that page through
// everything under a prefix.
type ScanOptions struct {
	// PageSize is the number of entries one List reads: 0 means
	// MaxListLimit; negative or above MaxListLimit is invalid. Values come
	// with the keys: scans of large values want small pages.
	PageSize int
	// Max bounds the entries visited: when the prefix holds more, the scan
	// visits the first Max and then returns an error wrapping ErrTooMany.
	// 0 means no bound; negative is invalid.
	Max int
}

func (o ScanOptions) pageSize() (int, error) {
	switch {
	case o.PageSize < 0:
		return 0, invalid("limit", "page size negative (%d)", o.PageSize)
	case o.PageSize > MaxListLimit:
		return 0, invalid("limit", "page size %d, larger than %d", o.PageSize, MaxListLimit)
	case o.Max < 0:
		return 0, invalid("max", "negative (%d)", o.Max)
	case o.PageSize == 0:
		return MaxListLimit, nil
	}
	return o.PageSize, nil
}

// Pages calls f with every page of the live entries of s whose keys start
// with prefix, in ascending key order, until the last page (one shorter than
// the page size) or the first error. A prefix with no entries makes no call.
// Errors are List's (ErrInvalid, ErrUnavailable, ErrClosed, ctx's), f's as
// f returned them, or one wrapping ErrTooMany (see ScanOptions.Max). Entries
// written or deleted during the scan may or may not be seen, as with List.
func Pages(ctx context.Context, s Store, prefix string, opts ScanOptions, f func([]Entry) error) error {
	size, err := opts.pageSize()
	if err != nil {
		return fmt.Errorf("store: scan: %w", err)
	}
	after, seen := "", 0
	for {
		page, err := s.List(ctx, prefix, ListOptions{After: after, Limit: size})
		if err != nil {
			return err
		}
		over := opts.Max > 0 && seen+len(page) > opts.Max
		if over {
			page = page[:opts.Max-seen]
		}
		if len(page) > 0 {
			if err := f(page); err != nil {
				return err
			}
		}
		if over {
			return fmt.Errorf("store: scan: more than %d entries: %w", opts.Max, ErrTooMany)
		}
		if len(page) < size {
			return nil
		}
		seen += len(page)
		after = page[len(page)-1].Key
	}
}

// Each is Pages entry by entry: it calls f with every live entry under
// prefix, in ascending key order. Errors are those of Pages.
func Each(ctx context.Context, s Store, prefix string, opts ScanOptions, f func(Entry) error) error {
	return Pages(ctx, s, prefix, opts, func(page []Entry) error {
		for _, e := range page {
			if err := f(e); err != nil {
				return err
			}
		}
		return nil
	})
}

// All returns every live entry under prefix, in ascending key order (nil
// for none). Bound it with opts.Max where the prefix may grow without limit.
// Errors are those of Pages; on error it returns no entries.
func All(ctx context.Context, s Store, prefix string, opts ScanOptions) ([]Entry, error) {
	var out []Entry
	if err := Pages(ctx, s, prefix, opts, func(page []Entry) error {
		out = append(out, page...)
		return nil
	}); err != nil {
		return nil, err
	}
	return out, nil
}
