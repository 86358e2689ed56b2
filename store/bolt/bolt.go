// Package bolt is the embedded, on-disk implementation of store.Store, on
// bbolt (go.etcd.io/bbolt): the default storage of `talentchain serve`, with
// nothing else to install. One file holds every key; it survives restarts
// and is locked against a second process.
//
// Expiry is stored with each value and checked on every read, so an expired
// entry is never returned; a background sweeper, stopped by Close, deletes
// expired entries from disk in small transactions.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	bbolt "go.etcd.io/bbolt"

	"github.com/talentchain/talentchain/store"
)

// Config configures Open. The zero value is valid and gives the defaults.
type Config struct {
	// LockTimeout bounds the wait for the file lock when another process
	// has the file open. Default 1s.
	LockTimeout time.Duration
	// SweepInterval is how often expired entries are deleted from disk.
	// Default 1 minute. Expired entries are never returned in between.
	SweepInterval time.Duration
	// NoSync skips the fsync after each write: much faster, but a machine
	// crash (not a process exit) may lose the latest writes. For tests and
	// throw-away caches only.
	NoSync bool
	// Logger receives sweeper failures. Nil logs nothing.
	Logger *slog.Logger
}

const (
	defaultLockTimeout   = time.Second
	defaultSweepInterval = time.Minute
	sweepBatch           = 1000
	formatVersion        = "talentchain-store/1"
)

func (c *Config) validate() error {
	if c.LockTimeout < 0 {
		return errors.New("LockTimeout is negative")
	}
	if c.SweepInterval < 0 {
		return errors.New("SweepInterval is negative")
	}
	if c.LockTimeout == 0 {
		c.LockTimeout = defaultLockTimeout
	}
	if c.SweepInterval == 0 {
		c.SweepInterval = defaultSweepInterval
	}
	return nil
}

// On-disk layout (private to this package):
//
//	bucket "kv":   key -> row: 1 byte version (1) | 8 bytes big-endian expiry
//	               in Unix nanoseconds, 0 for none | value
//	bucket "exp":  8 bytes big-endian expiry | key -> empty, one per expiring
//	               row, so the sweeper reads only what has expired
//	bucket "meta": "format" -> formatVersion
var (
	bucketKV   = []byte("kv")
	bucketExp  = []byte("exp")
	bucketMeta = []byte("meta")
	keyFormat  = []byte("format")
)

const (
	rowVersion = 1
	rowHeader  = 9
)

// Store is a store.Store in one bbolt file. Create it with Open.
type Store struct {
	db     *bbolt.DB
	log    *slog.Logger
	now    func() time.Time
	closed atomic.Bool

	stop      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open opens or creates the store file at path and starts its sweeper.
func Open(path string, cfg Config) (*Store, error) {
	if path == "" {
		return nil, errors.New("store/bolt: open: empty path")
	}
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("store/bolt: open: config: %w", err)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: cfg.LockTimeout, NoSync: cfg.NoSync})
	if err != nil {
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, fmt.Errorf("store/bolt: open %s: file is locked by another process: %w", path, err)
		}
		return nil, fmt.Errorf("store/bolt: open %s: %w", path, err)
	}
	if err := db.Update(initBuckets); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store/bolt: open %s: %w", path, err)
	}
	s := &Store{db: db, log: cfg.Logger, now: time.Now, stop: make(chan struct{})}
	s.wg.Add(1)
	go s.sweepLoop(cfg.SweepInterval)
	return s, nil
}

func initBuckets(tx *bbolt.Tx) error {
	meta, err := tx.CreateBucketIfNotExists(bucketMeta)
	if err != nil {
		return err
	}
	switch v := meta.Get(keyFormat); {
	case v == nil:
		if err := meta.Put(keyFormat, []byte(formatVersion)); err != nil {
			return err
		}
	case string(v) != formatVersion:
		return fmt.Errorf("unsupported file format %q, want %q", v, formatVersion)
	}
	for _, name := range [][]byte{bucketKV, bucketExp} {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return err
		}
	}
	return nil
}

// Close stops the sweeper and closes the file, waiting for running
// operations to finish.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.stop)
		s.wg.Wait()
		if cerr := s.db.Close(); cerr != nil {
			err = fmt.Errorf("store/bolt: close: %w", cerr)
		}
	})
	return err
}

// begin checks what every operation checks first.
func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// fail wraps err with the operation, translating bbolt's errors. A write
// the disk refuses (full, over quota, read-only, failing) is
// store.ErrUnavailable: the transaction was rolled back, nothing changed,
// and the same write succeeds once the disk has room or is writable again.
func fail(op string, err error) error {
	switch {
	case errors.Is(err, bbolt.ErrDatabaseNotOpen):
		err = store.ErrClosed
	case diskError(err):
		err = fmt.Errorf("%w: the disk refused the write: %w", store.ErrUnavailable, err)
	}
	return fmt.Errorf("store/bolt: %s: %w", op, err)
}

// diskError reports the errors of a disk that cannot take a write now.
func diskError(err error) bool {
	for _, e := range []error{syscall.ENOSPC, syscall.EDQUOT, syscall.EROFS, syscall.EIO, syscall.EFBIG} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// view and update run fn in a read-only or read-write transaction after
// checking ctx again (a writer may have waited for the lock).
func (s *Store) view(ctx context.Context, fn func(*txn) error) error {
	return s.db.View(func(tx *bbolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(s.txn(tx))
	})
}

func (s *Store) update(ctx context.Context, fn func(*txn) error) error {
	return s.db.Update(func(tx *bbolt.Tx) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fn(s.txn(tx))
	})
}

func (s *Store) txn(tx *bbolt.Tx) *txn {
	return &txn{kv: tx.Bucket(bucketKV), exp: tx.Bucket(bucketExp), now: s.now().UnixNano()}
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx); err != nil {
		return nil, fail("get", err)
	}
	if err := store.ValidateKey(key); err != nil {
		return nil, fail("get", err)
	}
	var out []byte
	err := s.view(ctx, func(t *txn) error {
		v, _, ok := t.get([]byte(key))
		if !ok {
			return store.ErrNotFound
		}
		out = bytes.Clone(v)
		if out == nil {
			out = []byte{}
		}
		return nil
	})
	if err != nil {
		return nil, fail("get", err)
	}
	return out, nil
}

// Put implements store.Store.
func (s *Store) Put(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.write(ctx, "put", store.OpPut(key, value, ttl))
}

// Create implements store.Store.
func (s *Store) Create(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	return s.write(ctx, "create", store.OpCreate(key, value, ttl))
}

// Delete implements store.Store.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.write(ctx, "delete", store.OpDelete(key))
}

func (s *Store) write(ctx context.Context, name string, op store.Op) error {
	if err := s.begin(ctx); err != nil {
		return fail(name, err)
	}
	var err error
	if op.Kind == store.KindDelete {
		err = store.ValidateKey(op.Key)
	} else {
		err = store.ValidateEntry(op.Key, op.Value, op.TTL)
	}
	if err != nil {
		return fail(name, err)
	}
	if err := s.update(ctx, func(t *txn) error { return t.apply(op) }); err != nil {
		return fail(name, err)
	}
	return nil
}

// Apply implements store.Store.
func (s *Store) Apply(ctx context.Context, ops ...store.Op) error {
	if err := s.begin(ctx); err != nil {
		return fail("apply", err)
	}
	if err := store.ValidateOps(ops); err != nil {
		return fail("apply", err)
	}
	if len(ops) == 0 {
		return nil
	}
	err := s.update(ctx, func(t *txn) error {
		for i, op := range ops {
			if err := t.apply(op); err != nil {
				return fmt.Errorf("op %d (%v): %w", i, op.Kind, err)
			}
		}
		return nil
	})
	if err != nil {
		return fail("apply", err)
	}
	return nil
}

// Take implements store.Store.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx); err != nil {
		return nil, fail("take", err)
	}
	if err := store.ValidateKey(key); err != nil {
		return nil, fail("take", err)
	}
	var out []byte
	err := s.update(ctx, func(t *txn) error {
		k := []byte(key)
		v, _, ok := t.get(k)
		if !ok {
			return store.ErrNotFound
		}
		out = append([]byte{}, v...) // copy before the page is freed
		return t.remove(k)
	})
	if err != nil {
		return nil, fail("take", err)
	}
	return out, nil
}

// Incr implements store.Store.
func (s *Store) Incr(ctx context.Context, key string, delta int64) (int64, error) {
	if err := s.begin(ctx); err != nil {
		return 0, fail("incr", err)
	}
	if err := store.ValidateKey(key); err != nil {
		return 0, fail("incr", err)
	}
	var n int64
	err := s.update(ctx, func(t *txn) error {
		k := []byte(key)
		v, expiry, ok := t.get(k)
		if ok {
			cur, err := strconv.ParseInt(string(v), 10, 64)
			if err != nil || strconv.FormatInt(cur, 10) != string(v) {
				return &store.InvalidError{Field: "value", Reason: "stored value is not a decimal int64"}
			}
			n = cur
		} else {
			expiry = 0 // missing or expired: a new counter without expiry
		}
		if (delta > 0 && n > math.MaxInt64-delta) || (delta < 0 && n < math.MinInt64-delta) {
			return &store.InvalidError{Field: "delta", Reason: "increment would overflow int64"}
		}
		n += delta
		return t.put(k, []byte(strconv.FormatInt(n, 10)), expiry)
	})
	if err != nil {
		return 0, fail("incr", err)
	}
	return n, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string, opts store.ListOptions) ([]store.Entry, error) {
	if err := s.begin(ctx); err != nil {
		return nil, fail("list", err)
	}
	limit, err := store.ValidateList(prefix, opts)
	if err != nil {
		return nil, fail("list", err)
	}
	var out []store.Entry
	err = s.view(ctx, func(t *txn) error {
		p, after := []byte(prefix), []byte(opts.After)
		start := p
		if bytes.Compare(after, p) > 0 {
			start = after
		}
		c := t.kv.Cursor()
		seen := 0
		for k, row := c.Seek(start); k != nil && bytes.HasPrefix(k, p); k, row = c.Next() {
			if seen++; seen%256 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if bytes.Equal(k, after) {
				continue
			}
			v, _, ok := t.decode(row)
			if !ok {
				continue
			}
			out = append(out, store.Entry{Key: string(k), Value: append([]byte{}, v...)})
			if len(out) == limit {
				break
			}
		}
		return nil
	})
	if err != nil {
		return nil, fail("list", err)
	}
	return out, nil
}

// txn is one bbolt transaction with the clock read once.
type txn struct {
	kv, exp *bbolt.Bucket
	now     int64 // Unix nanoseconds
}

// decode splits a row, reporting ok=false for an expired or unreadable one.
func (t *txn) decode(row []byte) (value []byte, expiry int64, ok bool) {
	if len(row) < rowHeader || row[0] != rowVersion {
		return nil, 0, false
	}
	expiry = int64(binary.BigEndian.Uint64(row[1:rowHeader]))
	if expiry != 0 && t.now >= expiry {
		return nil, 0, false
	}
	return row[rowHeader:], expiry, true
}

// get returns the live value of key; the slice is valid only in the
// transaction.
func (t *txn) get(key []byte) (value []byte, expiry int64, ok bool) {
	row := t.kv.Get(key)
	if row == nil {
		return nil, 0, false
	}
	return t.decode(row)
}

func (t *txn) apply(op store.Op) error {
	k := []byte(op.Key)
	switch op.Kind {
	case store.KindDelete:
		return t.remove(k)
	case store.KindCreate:
		if _, _, ok := t.get(k); ok {
			return store.ErrExists
		}
	}
	return t.put(k, op.Value, t.expiry(op.TTL))
}

// expiry turns a ttl into an absolute time in Unix nanoseconds, rounding up
// to whole milliseconds and saturating far in the future.
func (t *txn) expiry(ttl time.Duration) int64 {
	if ttl == 0 {
		return 0
	}
	if ttl < math.MaxInt64-time.Millisecond {
		ttl = (ttl + time.Millisecond - 1).Truncate(time.Millisecond)
	}
	if int64(ttl) > math.MaxInt64-t.now {
		return math.MaxInt64
	}
	return t.now + int64(ttl)
}

// put replaces key's row, keeping the expiry index in step.
func (t *txn) put(key, value []byte, expiry int64) error {
	if err := t.unindex(key); err != nil {
		return err
	}
	row := make([]byte, rowHeader+len(value))
	row[0] = rowVersion
	binary.BigEndian.PutUint64(row[1:rowHeader], uint64(expiry))
	copy(row[rowHeader:], value)
	if err := t.kv.Put(key, row); err != nil {
		return err
	}
	if expiry != 0 {
		return t.exp.Put(expKey(expiry, key), nil)
	}
	return nil
}

// remove deletes key's row (live or expired) and its expiry index entry.
func (t *txn) remove(key []byte) error {
	if err := t.unindex(key); err != nil {
		return err
	}
	return t.kv.Delete(key)
}

// unindex drops the expiry index entry of key's current row, if any.
func (t *txn) unindex(key []byte) error {
	row := t.kv.Get(key)
	if len(row) < rowHeader {
		return nil
	}
	if expiry := binary.BigEndian.Uint64(row[1:rowHeader]); expiry != 0 {
		return t.exp.Delete(expKey(int64(expiry), key))
	}
	return nil
}

func expKey(expiry int64, key []byte) []byte {
	k := make([]byte, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(expiry))
	copy(k[8:], key)
	return k
}

func (s *Store) sweepLoop(every time.Duration) {
	defer s.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-tick.C:
			if _, err := s.sweep(); err != nil && s.log != nil {
				s.log.Warn("store/bolt: sweeping expired entries", "err", err)
			}
		}
	}
}

// sweep deletes expired rows from disk, sweepBatch per transaction so that
// writers are not held up, and returns how many it deleted.
func (s *Store) sweep() (int, error) {
	total := 0
	for {
		select {
		case <-s.stop:
			return total, nil
		default:
		}
		n, done := 0, false
		err := s.db.Update(func(tx *bbolt.Tx) error {
			t := s.txn(tx)
			var expired [][]byte
			c := t.exp.Cursor()
			for k, _ := c.First(); k != nil && len(expired) < sweepBatch; k, _ = c.Next() {
				if int64(binary.BigEndian.Uint64(k[:8])) > t.now {
					break
				}
				expired = append(expired, bytes.Clone(k))
			}
			for _, ek := range expired {
				if err := t.exp.Delete(ek); err != nil {
					return err
				}
				key := ek[8:]
				row := t.kv.Get(key)
				if len(row) >= rowHeader && bytes.Equal(row[1:rowHeader], ek[:8]) {
					if err := t.kv.Delete(key); err != nil {
						return err
					}
					n++
				}
			}
			done = len(expired) < sweepBatch
			return nil
		})
		total += n
		if err != nil || done {
			return total, err
		}
	}
}
