// Package redis implements store.Store on Redis (>= 6.2, standalone or
// behind Sentinel; not Redis Cluster), for deployments where several service
// replicas share sessions, nonces, caches and wallets.
//
// Layout. Every key of a deployment lives under Config.Prefix:
//
//	<prefix>k:<key>   the value, a Redis string, with a native Redis TTL
//	<prefix>i         sorted set of all keys (score 0), for ordered listing
//	<prefix>e         sorted set of expiring keys scored by expiry time (ms),
//	                  for removing expired keys from <prefix>i
//
// Every write runs as one Lua script that updates the value and both sets,
// so writes and batches are atomic and the index never misses a live key. A
// script checks every condition (a batch's creates) before its first write,
// and Redis refuses a script's write for lack of memory only before the
// script has written anything, so a batch is applied entirely or not at all.
// Expiry itself is Redis's: an expired value is never returned. The index may
// briefly keep an expired key; List checks each indexed key's value in the
// same script and drops the stale ones, and each write also sweeps a few
// expired members, so the index stays the size of the live data.
//
// Trade-off: the sorted-set index costs one extra O(log n) update per write
// and the memory of a second copy of each key, but List is an exact, ordered
// O(log n + page) range read (ZRANGEBYLEX) with a stable cursor; the
// alternative, SCAN MATCH with client-side sorting, would read the whole
// keyspace for every page. The scripts touch keys they compute, so this
// layout needs a single Redis node (or a Sentinel-managed primary), not
// Cluster. Keys must not be evicted: run Redis with maxmemory-policy
// noeviction.
//
// Failures to reach Redis are reported as store.ErrUnavailable. The client
// does not retry commands by itself, because a timed-out Take, Create or
// Incr may already have been applied and retrying it would consume a nonce
// twice or count twice; callers retry what is safe for them.
package redis

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/talentchain/talentchain/store"
)

// Config configures Open.
type Config struct {
	// Addr is the server's host:port. Required.
	Addr string
	// Username and Password authenticate (ACL user, or the default user
	// with only a Password). Optional.
	Username string
	Password string
	// DB is the database number. Default 0.
	DB int
	// Prefix is put before every key this store writes, so that several
	// deployments (or tests) can share one server, e.g. "talentchain:".
	// At most 256 bytes. Two stores with the same Prefix, Addr and DB see
	// the same data.
	Prefix string
	// TLS, if set, connects over TLS with this configuration.
	TLS *tls.Config
	// DialTimeout bounds connecting. Default 5s.
	DialTimeout time.Duration
	// ReadTimeout and WriteTimeout bound each command's I/O. Default 5s.
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	// PoolSize is the largest number of connections. Default 10 per CPU.
	PoolSize int
}

const maxPrefixLen = 256

func (c *Config) validate() error {
	if c.Addr == "" {
		return errors.New("Addr is empty")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("Addr: %w", err)
	}
	switch {
	case c.DB < 0:
		return errors.New("DB is negative")
	case len(c.Prefix) > maxPrefixLen:
		return fmt.Errorf("Prefix is longer than %d bytes", maxPrefixLen)
	case c.DialTimeout < 0 || c.ReadTimeout < 0 || c.WriteTimeout < 0:
		return errors.New("a timeout is negative")
	case c.PoolSize < 0:
		return errors.New("PoolSize is negative")
	}
	return nil
}

// Store is a store.Store on a Redis server. Create it with Open.
type Store struct {
	c         *goredis.Client
	data      string // prefix of value keys
	idx, exp  string // the two sorted sets
	closed    atomic.Bool
	closeOnce sync.Once
}

var _ store.Store = (*Store)(nil)

// Open connects to Redis, checks that the server answers and is recent
// enough (6.2, for GETDEL), and returns the store. A server that cannot be
// reached gives an error wrapping store.ErrUnavailable.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("store/redis: open: config: %w", err)
	}
	c := goredis.NewClient(&goredis.Options{
		Addr:                  cfg.Addr,
		Username:              cfg.Username,
		Password:              cfg.Password,
		DB:                    cfg.DB,
		TLSConfig:             cfg.TLS,
		DialTimeout:           cfg.DialTimeout,
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		PoolSize:              cfg.PoolSize,
		MaxRetries:            -1, // see the package comment
		DialerRetries:         2,
		DialerRetryTimeout:    50 * time.Millisecond,
		ContextTimeoutEnabled: true,
		// Maintenance push notifications are a Redis Enterprise feature.
		MaintNotificationsConfig: &maintnotifications.Config{Mode: maintnotifications.ModeDisabled},
	})
	s := &Store{
		c:    c,
		data: cfg.Prefix + "k:",
		idx:  cfg.Prefix + "i",
		exp:  cfg.Prefix + "e",
	}
	if err := s.checkServer(ctx); err != nil {
		_ = c.Close()
		return nil, s.fail(ctx, "open", err)
	}
	return s, nil
}

// checkServer pings and refuses servers older than 6.2.
func (s *Store) checkServer(ctx context.Context) error {
	info, err := s.c.Info(ctx, "server").Result()
	if err != nil {
		var rerr goredis.Error
		if errors.As(err, &rerr) && !transient(err) {
			// INFO may be disabled by ACLs; fall back to a ping.
			return s.c.Ping(ctx).Err()
		}
		return err
	}
	for line := range strings.SplitSeq(info, "\n") {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !ok {
			continue
		}
		parts := strings.SplitN(v, ".", 3)
		major, _ := strconv.Atoi(parts[0])
		minor := 0
		if len(parts) > 1 {
			minor, _ = strconv.Atoi(parts[1])
		}
		if major < 6 || (major == 6 && minor < 2) {
			return fmt.Errorf("redis %s is too old: need 6.2 or newer", v)
		}
	}
	return nil
}

// Close closes the connections.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		if cerr := s.c.Close(); cerr != nil {
			err = fmt.Errorf("store/redis: close: %w", cerr)
		}
	})
	return err
}

func (s *Store) begin(ctx context.Context) error {
	if s.closed.Load() {
		return store.ErrClosed
	}
	return ctx.Err()
}

// transient reports server replies that mean "not now": the server is
// loading, a replica, blocked by a script, out of memory or of clients.
func transient(err error) bool {
	for _, p := range []string{"LOADING", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN",
		"CLUSTERDOWN", "OOM", "max number of clients"} {
		if goredis.HasErrorPrefix(err, p) {
			return true
		}
	}
	return false
}

// fail wraps err with the operation, translating Redis's errors into the
// store's.
func (s *Store) fail(ctx context.Context, op string, err error) error {
	var rerr goredis.Error
	ctxErr := ctx.Err()
	if d, ok := ctx.Deadline(); ok && ctxErr == nil && !time.Now().Before(d) {
		// The socket deadline, set from ctx, fired before ctx's own timer.
		ctxErr = context.DeadlineExceeded
	}
	switch {
	case errors.Is(err, store.ErrClosed), errors.Is(err, goredis.ErrClosed):
		err = store.ErrClosed
	case errors.Is(err, goredis.Nil):
		err = store.ErrNotFound
	case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrExists):
		// already the store's
	case ctxErr != nil:
		// The caller gave up; say so first, keep the cause as text.
		if !errors.Is(err, ctxErr) {
			err = fmt.Errorf("%w (%v)", ctxErr, err)
		}
	case errors.As(err, &rerr) && !transient(err):
		// A reply from a healthy server (WRONGTYPE, NOAUTH, ...): a bug or
		// a misconfiguration, not an outage.
	default:
		err = fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return fmt.Errorf("store/redis: %s: %w", op, err)
}

// Get implements store.Store.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx); err != nil {
		return nil, s.fail(ctx, "get", err)
	}
	if err := store.ValidateKey(key); err != nil {
		return nil, s.fail(ctx, "get", err)
	}
	v, err := s.c.Get(ctx, s.data+key).Bytes()
	if err != nil {
		return nil, s.fail(ctx, "get", err)
	}
	return v, nil
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
		return s.fail(ctx, name, err)
	}
	var err error
	if op.Kind == store.KindDelete {
		err = store.ValidateKey(op.Key)
	} else {
		err = store.ValidateEntry(op.Key, op.Value, op.TTL)
	}
	if err != nil {
		return s.fail(ctx, name, err)
	}
	if _, err := s.apply(ctx, []store.Op{op}); err != nil {
		return s.fail(ctx, name, err)
	}
	return nil
}

// Apply implements store.Store.
func (s *Store) Apply(ctx context.Context, ops ...store.Op) error {
	if err := s.begin(ctx); err != nil {
		return s.fail(ctx, "apply", err)
	}
	if err := store.ValidateOps(ops); err != nil {
		return s.fail(ctx, "apply", err)
	}
	if len(ops) == 0 {
		return nil
	}
	i, err := s.apply(ctx, ops)
	if err != nil {
		if i >= 0 {
			err = fmt.Errorf("op %d (%v): %w", i, ops[i].Kind, err)
		}
		return s.fail(ctx, "apply", err)
	}
	return nil
}

// apply runs the write script. On a create conflict it returns the op's
// index and ErrExists; otherwise the index is -1.
func (s *Store) apply(ctx context.Context, ops []store.Op) (int, error) {
	keys := make([]string, 0, 2+len(ops))
	keys = append(keys, s.idx, s.exp)
	args := make([]any, 0, 2+4*len(ops))
	args = append(args, s.data, len(ops))
	for _, op := range ops {
		keys = append(keys, s.data+op.Key)
		var kind string
		switch op.Kind {
		case store.KindPut:
			kind = "p"
		case store.KindCreate:
			kind = "c"
		case store.KindDelete:
			kind = "d"
		}
		args = append(args, kind, op.Key, op.Value, ttlMillis(op.TTL))
	}
	n, err := applyScript.Run(ctx, s.c, keys, args...).Int()
	switch {
	case err != nil:
		return -1, err
	case n > 0:
		return n - 1, store.ErrExists
	}
	return -1, nil
}

// ttlMillis rounds a ttl up to whole milliseconds, Redis's precision.
func ttlMillis(ttl time.Duration) int64 {
	ms := int64(ttl / time.Millisecond)
	if ttl%time.Millisecond != 0 {
		ms++
	}
	return ms
}

// Take implements store.Store.
func (s *Store) Take(ctx context.Context, key string) ([]byte, error) {
	if err := s.begin(ctx); err != nil {
		return nil, s.fail(ctx, "take", err)
	}
	if err := store.ValidateKey(key); err != nil {
		return nil, s.fail(ctx, "take", err)
	}
	v, err := takeScript.Run(ctx, s.c, []string{s.idx, s.exp, s.data + key}, key).Text()
	if err != nil {
		return nil, s.fail(ctx, "take", err)
	}
	return []byte(v), nil
}

// Incr implements store.Store.
func (s *Store) Incr(ctx context.Context, key string, delta int64) (int64, error) {
	if err := s.begin(ctx); err != nil {
		return 0, s.fail(ctx, "incr", err)
	}
	if err := store.ValidateKey(key); err != nil {
		return 0, s.fail(ctx, "incr", err)
	}
	n, err := incrScript.Run(ctx, s.c, []string{s.idx, s.exp, s.data + key}, key, delta).Int64()
	if err != nil {
		if goredis.HasErrorPrefix(err, "NOTINT") {
			if strings.Contains(err.Error(), "overflow") {
				err = &store.InvalidError{Field: "delta", Reason: "increment would overflow int64"}
			} else {
				err = &store.InvalidError{Field: "value", Reason: "stored value is not a decimal int64"}
			}
		}
		return 0, s.fail(ctx, "incr", err)
	}
	return n, nil
}

// List implements store.Store.
func (s *Store) List(ctx context.Context, prefix string, opts store.ListOptions) ([]store.Entry, error) {
	if err := s.begin(ctx); err != nil {
		return nil, s.fail(ctx, "list", err)
	}
	limit, err := store.ValidateList(prefix, opts)
	if err != nil {
		return nil, s.fail(ctx, "list", err)
	}
	// ZRANGEBYLEX bounds. Keys are UTF-8, which never contains the byte
	// 0xff, so every key starting with prefix sorts below prefix+"\xff".
	lo := "[" + prefix
	if opts.After != "" && opts.After >= prefix {
		lo = "(" + opts.After
	}
	hi := "+"
	if prefix != "" {
		hi = "(" + prefix + "\xff"
	}
	res, err := listScript.Run(ctx, s.c, []string{s.idx, s.exp}, s.data, lo, hi, limit).Slice()
	if err != nil {
		return nil, s.fail(ctx, "list", err)
	}
	out := make([]store.Entry, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		k, _ := res[i].(string)
		v, _ := res[i+1].(string)
		out = append(out, store.Entry{Key: k, Value: []byte(v)})
	}
	return out, nil
}

// The scripts. KEYS[1] is the index, KEYS[2] the expiry set; ARGV carries
// the value-key prefix where a script must reach values by index member.
// Times come from the server's clock (TIME), the clock its TTLs use.

// sweepLua removes up to 32 index members whose expiry has passed.
const sweepLua = `
local function sweep(idx, exp, dp, now)
  local old = redis.call('ZRANGEBYSCORE', exp, '-inf', now, 'LIMIT', 0, 32)
  for _, m in ipairs(old) do
    local pt = redis.call('PTTL', dp .. m)
    if pt == -2 then
      redis.call('ZREM', idx, m)
      redis.call('ZREM', exp, m)
    elseif pt == -1 then
      redis.call('ZREM', exp, m)
    else
      redis.call('ZADD', exp, now + pt, m)
    end
  end
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`

// applyScript: KEYS[3..] are value keys; ARGV = dataPrefix, n, then per op
// kind ("p", "c", "d"), member, value, ttl in ms (0 = none). Returns 0, or
// the 1-based index of the create that found its key present, having
// changed nothing.
var applyScript = goredis.NewScript(sweepLua + `
local idx, exp, dp, n = KEYS[1], KEYS[2], ARGV[1], tonumber(ARGV[2])
local exists = {}
for i = 1, n do
  local kind, k = ARGV[3 + (i-1)*4], KEYS[2 + i]
  if kind == 'c' then
    local e = exists[k]
    if e == nil then e = redis.call('EXISTS', k) == 1 end
    if e then return i end
  end
  exists[k] = kind ~= 'd'
end
local now = now_ms()
for i = 1, n do
  local b = 3 + (i-1)*4
  local kind, m, v, ttl = ARGV[b], ARGV[b+1], ARGV[b+2], tonumber(ARGV[b+3])
  local k = KEYS[2 + i]
  if kind == 'd' then
    redis.call('DEL', k)
    redis.call('ZREM', idx, m)
    redis.call('ZREM', exp, m)
  else
    if ttl > 0 then
      redis.call('SET', k, v, 'PX', ttl)
      redis.call('ZADD', exp, now + ttl, m)
    else
      redis.call('SET', k, v)
      redis.call('ZREM', exp, m)
    end
    redis.call('ZADD', idx, 0, m)
  end
end
sweep(idx, exp, dp, now)
return 0
`)

// takeScript: KEYS[3] is the value key, ARGV[1] its member.
var takeScript = goredis.NewScript(`
local v = redis.call('GETDEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('ZREM', KEYS[2], ARGV[1])
return v
`)

// incrScript: KEYS[3] is the value key; ARGV = member, delta. INCRBY keeps
// an existing TTL and creates a missing key without one.
var incrScript = goredis.NewScript(`
local r = redis.pcall('INCRBY', KEYS[3], ARGV[2])
if type(r) == 'table' and r.err then
  return redis.error_reply('NOTINT ' .. r.err)
end
redis.call('ZADD', KEYS[1], 0, ARGV[1])
if redis.call('PTTL', KEYS[3]) == -1 then
  redis.call('ZREM', KEYS[2], ARGV[1])
end
return r
`)

// listScript: ARGV = dataPrefix, lo, hi (ZRANGEBYLEX bounds), limit.
// Returns key1, value1, key2, value2, ... of live keys, dropping index
// members whose value has expired.
var listScript = goredis.NewScript(`
local idx, exp, dp, lo, hi, limit = KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local out, n = {}, 0
while n < limit do
  local ms = redis.call('ZRANGEBYLEX', idx, lo, hi, 'LIMIT', 0, limit - n)
  if #ms == 0 then break end
  for _, m in ipairs(ms) do
    local v = redis.call('GET', dp .. m)
    if v then
      out[#out + 1] = m
      out[#out + 1] = v
      n = n + 1
    else
      redis.call('ZREM', idx, m)
      redis.call('ZREM', exp, m)
    end
  end
  lo = '(' .. ms[#ms]
end
return out
`)
