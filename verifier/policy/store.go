package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/store"
)

// KeyPrefix is the prefix of every key the policy store writes.
//
// Layout: policy/<id>/head holds the latest version number (decimal);
// policy/<id>/v/<version, 10 digits> holds that version's JSON, written
// once with store.Create and never changed.
const KeyPrefix = "policy/"

// Store keeps versioned policies. It is safe for concurrent use.
type Store struct {
	st     store.Store
	engine *Engine
	now    func() time.Time
}

// NewStore returns a policy store over st (keys under KeyPrefix) that
// compiles every policy with engine before saving it. now is the clock; nil
// means time.Now.
func NewStore(st store.Store, engine *Engine, now func() time.Time) (*Store, error) {
	if st == nil || engine == nil {
		return nil, errors.New("policy: store: a store and an engine are required")
	}
	if now == nil {
		now = time.Now
	}
	return &Store{st: st, engine: engine, now: now}, nil
}

func headKey(id string) string           { return KeyPrefix + id + "/head" }
func versionKey(id string, v int) string { return fmt.Sprintf("%s%s/v/%010d", KeyPrefix, id, v) }
func versionPrefix(id string) string     { return KeyPrefix + id + "/v/" }

// Save compiles p and stores it as a new, immutable version. A new policy
// has p.Version 0 and becomes version 1; an edit names the version it
// started from in p.Version (it must be the latest) and becomes the next.
//
// Errors: *InputError or *CompileError (ErrInvalid) for a policy that does
// not validate or compile, with the rule's line and column; ErrConflict when
// the id is taken (p.Version 0) or p.Version is not the latest (someone
// saved in between); store errors (store.ErrUnavailable...) wrapped.
func (s *Store) Save(ctx context.Context, p Policy) (*Compiled, error) {
	if p.Version < 0 {
		return nil, invalid("Version", "negative")
	}
	base := p.Version
	p.Version = base + 1
	p.Created = s.now().UTC().Truncate(time.Millisecond)
	c, err := s.engine.Compile(&p)
	if err != nil {
		return nil, err
	}
	head, err := s.head(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if head != base {
		if base == 0 {
			return nil, fmt.Errorf("policy: save %s: %w: the id is taken (latest version %d)", p.ID, ErrConflict, head)
		}
		return nil, fmt.Errorf("policy: save %s: %w: edited version %d, the latest is %d", p.ID, ErrConflict, base, head)
	}
	b, err := json.Marshal(&p)
	if err != nil {
		return nil, fmt.Errorf("policy: save %s: %w", p.ID, err)
	}
	err = s.st.Apply(ctx,
		store.OpCreate(versionKey(p.ID, p.Version), b, 0),
		store.OpPut(headKey(p.ID), []byte(strconv.Itoa(p.Version)), 0),
	)
	if errors.Is(err, store.ErrExists) {
		return nil, fmt.Errorf("policy: save %s: %w: version %d was saved meanwhile", p.ID, ErrConflict, p.Version)
	}
	if err != nil {
		return nil, fmt.Errorf("policy: save %s: %w", p.ID, err)
	}
	return c, nil
}

// head returns the latest version of a policy, 0 if there is none.
func (s *Store) head(ctx context.Context, id string) (int, error) {
	b, err := s.st.Get(ctx, headKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("policy: read %s: %w", id, err)
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 {
		return 0, fmt.Errorf("policy: read %s: corrupt head record", id)
	}
	return n, nil
}

// Get returns a version of a policy; version 0 means the latest. Errors:
// ErrNotFound, ErrInvalid for a malformed id or a negative version.
func (s *Store) Get(ctx context.Context, id string, version int) (*Policy, error) {
	if !idPattern.MatchString(id) {
		return nil, invalid("ID", "must match %s", idPattern)
	}
	if version < 0 {
		return nil, invalid("version", "negative")
	}
	if version == 0 {
		head, err := s.head(ctx, id)
		if err != nil {
			return nil, err
		}
		if head == 0 {
			return nil, fmt.Errorf("policy %s: %w", id, ErrNotFound)
		}
		version = head
	}
	b, err := s.st.Get(ctx, versionKey(id, version))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("policy %s v%d: %w", id, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("policy %s v%d: %w", id, version, err)
	}
	var p Policy
	if err := json.Unmarshal(b, &p); err != nil || p.ID != id || p.Version != version {
		return nil, fmt.Errorf("policy %s v%d: corrupt record", id, version)
	}
	return &p, nil
}

// Load returns a version of a policy (0: the latest), compiled.
func (s *Store) Load(ctx context.Context, id string, version int) (*Compiled, error) {
	p, err := s.Get(ctx, id, version)
	if err != nil {
		return nil, err
	}
	c, err := s.engine.Compile(p)
	if err != nil {
		// A stored version compiled when it was saved: this is an engine
		// change that broke it, not bad input.
		return nil, fmt.Errorf("policy %s v%d no longer compiles: %v", id, p.Version, err)
	}
	return c, nil
}

// Versions returns the version numbers of a policy, oldest first (at most
// store.MaxListLimit of them).
func (s *Store) Versions(ctx context.Context, id string) ([]int, error) {
	if !idPattern.MatchString(id) {
		return nil, invalid("ID", "must match %s", idPattern)
	}
	entries, err := s.st.List(ctx, versionPrefix(id), store.ListOptions{Limit: store.MaxListLimit})
	if err != nil {
		return nil, fmt.Errorf("policy %s: versions: %w", id, err)
	}
	if len(entries) == 0 {
		return nil, fmt.Errorf("policy %s: %w", id, ErrNotFound)
	}
	out := make([]int, 0, len(entries))
	for _, e := range entries {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Key, versionPrefix(id)))
		if err != nil {
			continue
		}
		out = append(out, n)
	}
	return out, nil
}
