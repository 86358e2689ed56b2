// Package store owns TalentChain's storage contract: a small, namespaced
// key-value interface that the issuer, wallet, verifier and courses services
// use for their records, sessions, single-use nonces, idempotency keys and
// caches, together with its errors and its input rules.
//
// Two implementations satisfy the contract and pass the same suite
// (package storetest): store/bolt, the embedded on-disk default, and
// store/redis, shared state for deployments with several replicas.
//
// Keys are UTF-8 strings compared byte-wise; by convention a service puts its
// records under its own slash-separated prefix ("wallet/session/…"), and
// [WithPrefix] gives a service a view confined to that prefix.
//
// Error messages never quote keys or values: keys are often secrets (session
// ids, claim-link tokens, nonces) and error messages end up in logs.
package store

import (
	"context"
	"errors"
	"time"
)

// Limits enforced by every implementation. Requests beyond them fail with an
// error wrapping [ErrInvalid].
const (
	// MaxKeyLen is the longest key, in bytes.
	MaxKeyLen = 1024
	// MaxValueLen is the largest value, in bytes (16 MiB).
	MaxValueLen = 16 << 20
	// DefaultListLimit is the page size List uses when ListOptions.Limit is 0.
	DefaultListLimit = 100
	// MaxListLimit is the largest page List returns.
	MaxListLimit = 1000
	// MaxOps is the largest number of operations in one Apply.
	MaxOps = 10000
	// MaxApplyLen is the largest sum of key and value lengths in one Apply
	// (64 MiB).
	MaxApplyLen = 64 << 20
)

// Sentinel errors. Implementations wrap them with the operation
// (errors.Is works); callers branch on them, never on error strings.
var (
	// ErrNotFound means the key does not exist or has expired.
	// Callers usually answer 404, or treat it as "no record yet".
	ErrNotFound = errors.New("store: not found")

	// ErrExists means a Create (or a create operation in Apply) found the
	// key already present. Callers answer 409, or treat a replayed nonce or
	// idempotency key as already used.
	ErrExists = errors.New("store: key exists")

	// ErrInvalid means the request was refused before reaching storage: a
	// bad key, value, TTL, list option or operation. The error is an
	// *InvalidError saying which input and why. Callers answer 400 when the
	// input came from a client, otherwise it is a bug.
	ErrInvalid = errors.New("store: invalid argument")

	// ErrUnavailable means the backing service could not be reached or
	// refused service for a transient reason (connection refused or lost,
	// timeout, server loading). The cause is wrapped as well. Callers answer
	// 503 and may retry later. For a write, the outcome is unknown: the
	// write may or may not have been applied.
	ErrUnavailable = errors.New("store: unavailable")

	// ErrClosed means the store was used after Close.
	ErrClosed = errors.New("store: closed")

	// ErrTooMany means a scan (Pages, Each, All) found more entries under
	// its prefix than its ScanOptions.Max allows. Callers narrow the query,
	// or answer 400 when the scan was a client's request.
	ErrTooMany = errors.New("store: too many entries")
)

// Store is a key-value store with expiry, atomic single-use reads, ordered
// prefix listing and all-or-nothing batches.
//
// Contract, for every implementation:
//   - All methods are safe for concurrent use.
//   - Keys must satisfy [ValidateKey] and values [ValidateValue]; otherwise
//     the method returns an error wrapping [ErrInvalid] and changes nothing.
//   - A ttl of 0 means the entry never expires; a positive ttl is rounded up
//     to whole milliseconds; a negative ttl is invalid. An expired entry is
//     never returned by any method and behaves exactly like a missing key.
//   - Returned values are the caller's to keep and modify; values passed in
//     may be reused by the caller once the method returns.
//   - A zero-length value is stored and read back as a zero-length value.
//   - If ctx is already done the method returns an error wrapping ctx.Err()
//     and changes nothing. Cancellation during a call is honoured on a best
//     effort basis: the write may still have been applied.
//   - After Close, methods return an error wrapping [ErrClosed].
//   - Transient backend failures return an error wrapping [ErrUnavailable].
type Store interface {
	// Get returns the value stored under key, or ErrNotFound.
	Get(ctx context.Context, key string) ([]byte, error)

	// Put stores value under key, replacing any previous value and its
	// expiry. ttl 0 stores it forever.
	Put(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// Create stores value under key only if the key is absent (or expired);
	// otherwise it returns ErrExists and changes nothing. Of several
	// concurrent Creates of one key, exactly one succeeds.
	Create(ctx context.Context, key string, value []byte, ttl time.Duration) error

	// Take atomically reads and deletes key: of several concurrent Takes of
	// one key, exactly one gets the value and the others get ErrNotFound.
	Take(ctx context.Context, key string) ([]byte, error)

	// Delete removes key. Deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error

	// List returns the live entries whose keys start with prefix, in
	// ascending byte-wise key order, starting after opts.After and at most
	// opts.Limit of them. An empty prefix lists every key. To page, pass the
	// last key of a page as the next page's After; a page shorter than the
	// limit is the last one. Entries written or deleted while a caller pages
	// may or may not appear, but no key appears twice and none out of order.
	// Values come with the keys: keep pages of large values small.
	List(ctx context.Context, prefix string, opts ListOptions) ([]Entry, error)

	// Apply performs ops in order, atomically: either all of them take
	// effect or none does. An OpCreate whose key exists at that point (also
	// when an earlier op of the same batch wrote it) makes Apply return an
	// error wrapping ErrExists, naming the op's index, and change nothing.
	// Concurrent readers never see part of a batch. An empty batch is a
	// no-op.
	Apply(ctx context.Context, ops ...Op) error

	// Incr adds delta to the signed 64-bit decimal integer stored under key
	// and returns the new value. A missing key counts as 0 and is created
	// without expiry; an existing key keeps its expiry. The value is stored
	// as its decimal text, so Get and Put see and set "42". If the stored
	// value is not a canonical decimal int64, or the result would overflow,
	// Incr returns an error wrapping ErrInvalid and changes nothing.
	Incr(ctx context.Context, key string, delta int64) (int64, error)

	// Close releases the store's resources and stops its background work.
	// Calling Close again returns nil.
	Close() error
}

// Entry is one key and its value, as returned by List.
type Entry struct {
	Key   string
	Value []byte
}

// ListOptions select a page of List.
type ListOptions struct {
	// After is the exclusive start: only keys greater than After are
	// returned. Empty means from the first key with the prefix.
	After string
	// Limit is the largest number of entries returned: 0 means
	// DefaultListLimit; above MaxListLimit or negative is invalid.
	Limit int
}

// OpKind says what an Op does.
type OpKind uint8

// Operation kinds for Apply.
const (
	KindPut    OpKind = iota + 1 // store Value under Key, like Store.Put
	KindCreate                   // store only if Key is absent, like Store.Create
	KindDelete                   // remove Key, like Store.Delete
)

func (k OpKind) String() string {
	switch k {
	case KindPut:
		return "put"
	case KindCreate:
		return "create"
	case KindDelete:
		return "delete"
	}
	return "unknown"
}

// Op is one write of a batch given to Store.Apply. Build it with OpPut,
// OpCreate or OpDelete.
type Op struct {
	Kind  OpKind
	Key   string
	Value []byte        // for KindPut and KindCreate
	TTL   time.Duration // for KindPut and KindCreate; 0 means no expiry
}

// OpPut returns an operation that stores value under key, replacing any
// previous value.
func OpPut(key string, value []byte, ttl time.Duration) Op {
	return Op{Kind: KindPut, Key: key, Value: value, TTL: ttl}
}

// OpCreate returns an operation that stores value under key and fails the
// whole batch with ErrExists if key is present.
func OpCreate(key string, value []byte, ttl time.Duration) Op {
	return Op{Kind: KindCreate, Key: key, Value: value, TTL: ttl}
}

// OpDelete returns an operation that removes key if present.
func OpDelete(key string) Op {
	return Op{Kind: KindDelete, Key: key}
}
