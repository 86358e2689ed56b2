// Package audit keeps the append-only log of administrative actions:
// organisations created, accredited, suspended and reinstated, signing keys
// rotated, API tokens created and revoked, staff accounts added, verifier
// accounts, revocations and suspensions. Each entry says who (an actor id,
// never a name), what, on which target, when, under which request id and
// with which outcome.
//
// The log lives in a store.Store (give it its own prefix, "audit/") and is
// hash-chained: every entry carries the SHA-256 of its predecessor, and its
// own hash covers its fields and that link. Verify walks the chain and
// reports the first entry that was deleted, edited, reordered or forged
// (ErrTampered), so a changed history is detected by `talentchain fsck`.
// The chain's head (sequence and hash) is stored beside the entries; an
// attacker who can write the store can rewrite the whole chain, which only
// an outside copy of the head (a printed fsck report, a chain anchor) would
// reveal: the log detects accidents and partial tampering, not an owner of
// the store.
//
// Layout under the store the log is given:
//
//	head            {"seq": N, "hash": hex}: the last entry
//	e/{seq:020d}    Entry, JSON; seq counts from 1 without gaps
package audit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/store"
)

// Outcomes of an action.
const (
	OutcomeOK     = "ok"     // done
	OutcomeDenied = "denied" // refused: not allowed, invalid, conflicting
	OutcomeFailed = "failed" // a server or dependency failure
)

// Paging limits of Page.
const (
	DefaultPageLimit = 100
	MaxPageLimit     = 1000
)

// Sentinel errors.
var (
	// ErrInvalid: an event or a page request breaks the rules; nothing was
	// written. The message says which field.
	ErrInvalid = errors.New("audit: invalid")
	// ErrTampered: Verify found an entry missing, edited or out of place.
	ErrTampered = errors.New("audit: the log was altered")
)

// Event is one administrative action, as the caller reports it.
type Event struct {
	// Actor is who acted: an actor id such as "operator", "token:<id>",
	// "staff:<org>/<username>"; never a person's name.
	Actor string `json:"actor" validate:"required,max=200,printascii"`
	// Action names what was done: "org.create", "token.revoke", …
	Action string `json:"action" validate:"required,max=64"`
	// Target is what it was done to: a DID, a token id, a credential id.
	Target string `json:"target,omitempty" validate:"max=512,printascii"`
	// RequestID ties the entry to the HTTP request and its log lines.
	RequestID string `json:"requestId,omitempty" validate:"max=128,printascii"`
	// Outcome is OutcomeOK, OutcomeDenied or OutcomeFailed.
	Outcome string `json:"outcome" validate:"required,oneof=ok denied failed"`
	// Status is the HTTP status answered, when there was one.
	Status int `json:"status,omitempty" validate:"omitempty,min=100,max=599"`
}

// Entry is a stored event with its place in the chain.
type Entry struct {
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	Event
	// Prev is the hash of entry Seq-1 (64 zeros for the first).
	Prev string `json:"prev"`
	// Hash is the SHA-256 of the entry's canonical bytes (Hash empty).
	Hash string `json:"hash"`
}

// zeroHash is the Prev of the first entry.
var zeroHash = hex.EncodeToString(make([]byte, sha256.Size))

// sum returns the hash the entry must carry: SHA-256 over its JSON with
// Hash empty. encoding/json writes struct fields in declaration order, so
// the bytes are canonical for this version of the format.
func (e *Entry) sum() string {
	c := *e
	c.Hash = ""
	c.Time = c.Time.UTC()
	raw, _ := json.Marshal(c) // strings, ints and a time always marshal
	h := sha256.Sum256(append([]byte("talentchain-audit/1\n"), raw...))
	return hex.EncodeToString(h[:])
}

type head struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
}

const (
	headKey     = "head"
	entryPrefix = "e/"
)

func entryKey(seq uint64) string { return fmt.Sprintf("%s%020d", entryPrefix, seq) }

// Log is an audit log in a store. It is safe for concurrent use, also by
// several processes sharing the store: an append that loses a race for a
// sequence number is retried on the new head.
type Log struct {
	st       store.Store
	now      func() time.Time
	mu       sync.Mutex
	validate *validator.Validate
}

// Option configures a Log.
type Option func(*Log)

// WithClock sets the clock entries are stamped with (tests).
func WithClock(now func() time.Time) Option { return func(l *Log) { l.now = now } }

// New returns the log kept in st (a store of its own prefix).
func New(st store.Store, opts ...Option) (*Log, error) {
	if st == nil {
		return nil, errors.New("audit: nil store")
	}
	l := &Log{st: st, now: time.Now, validate: validator.New(validator.WithRequiredStructEnabled())}
	for _, o := range opts {
		o(l)
	}
	return l, nil
}

var actionPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$`)

func (l *Log) check(ev Event) error {
	if err := l.validate.Struct(ev); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) && len(ve) > 0 {
			return fmt.Errorf("%w: %s: %s", ErrInvalid, ve[0].Field(), ve[0].Tag())
		}
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !actionPattern.MatchString(ev.Action) {
		return fmt.Errorf("%w: Action %q: want dotted lower-case words such as org.create", ErrInvalid, ev.Action)
	}
	return nil
}

// Append adds ev at the end of the chain and returns the stored entry. The
// entry and the new head are written in one atomic batch.
func (l *Log) Append(ctx context.Context, ev Event) (*Entry, error) {
	if err := l.check(ev); err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for attempt := 0; ; attempt++ {
		h, err := l.head(ctx)
		if err != nil {
			return nil, fmt.Errorf("audit: append: %w", err)
		}
		e := &Entry{Seq: h.Seq + 1, Time: l.now().UTC().Truncate(time.Microsecond), Event: ev, Prev: h.Hash}
		e.Hash = e.sum()
		raw, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("audit: append: %w", err)
		}
		hraw, _ := json.Marshal(head{Seq: e.Seq, Hash: e.Hash})
		err = l.st.Apply(ctx, store.OpCreate(entryKey(e.Seq), raw, 0), store.OpPut(headKey, hraw, 0))
		if errors.Is(err, store.ErrExists) && attempt < 10 {
			continue // another replica appended first
		}
		if err != nil {
			return nil, fmt.Errorf("audit: append: %w", err)
		}
		return e, nil
	}
}

func (l *Log) head(ctx context.Context) (head, error) {
	raw, err := l.st.Get(ctx, headKey)
	if errors.Is(err, store.ErrNotFound) {
		return head{Hash: zeroHash}, nil
	}
	if err != nil {
		return head{}, err
	}
	var h head
	if err := json.Unmarshal(raw, &h); err != nil {
		return head{}, fmt.Errorf("%w: head: %v", ErrTampered, err)
	}
	return h, nil
}

// canonical reports whether raw is exactly the JSON Append writes for v.
func canonical(raw []byte, v any) bool {
	c, err := json.Marshal(v)
	return err == nil && bytes.Equal(c, raw)
}

// Page is a page of entries, oldest first.
type Page struct {
	Entries []*Entry `json:"entries"`
	// Next is the After of the next page; empty on the last page.
	Next string `json:"next,omitempty"`
}

// Page returns up to limit entries after sequence number after (0: from
// the first), oldest first. limit 0 means DefaultPageLimit; above
// MaxPageLimit is ErrInvalid.
func (l *Log) Page(ctx context.Context, after uint64, limit int) (*Page, error) {
	switch {
	case limit == 0:
		limit = DefaultPageLimit
	case limit < 0 || limit > MaxPageLimit:
		return nil, fmt.Errorf("%w: limit must be between 1 and %d", ErrInvalid, MaxPageLimit)
	}
	opts := store.ListOptions{Limit: limit}
	if after > 0 {
		opts.After = entryKey(after)
	}
	rows, err := l.st.List(ctx, entryPrefix, opts)
	if err != nil {
		return nil, fmt.Errorf("audit: page: %w", err)
	}
	p := &Page{Entries: make([]*Entry, 0, len(rows))}
	for _, r := range rows {
		var e Entry
		if err := json.Unmarshal(r.Value, &e); err != nil {
			return nil, fmt.Errorf("audit: page: %w: %s does not decode", ErrTampered, r.Key)
		}
		p.Entries = append(p.Entries, &e)
	}
	if len(rows) == limit {
		p.Next = strconv.FormatUint(p.Entries[len(p.Entries)-1].Seq, 10)
	}
	return p, nil
}

// Report is what Verify found.
type Report struct {
	Entries  uint64 `json:"entries"`  // entries checked
	HeadSeq  uint64 `json:"headSeq"`  // the head's sequence
	HeadHash string `json:"headHash"` // the head's hash: keep it outside to detect a rewrite
}

// Verify walks the whole chain and checks that sequence numbers run from 1
// without gaps, that each entry's hash is its content's, that each links to
// its predecessor, and that the head names the last entry. The first
// problem is returned as an error wrapping ErrTampered that names the
// sequence number; a store failure is returned as it is.
func (l *Log) Verify(ctx context.Context) (*Report, error) {
	h, err := l.head(ctx)
	if err != nil {
		return nil, fmt.Errorf("audit: verify: %w", err)
	}
	rep := &Report{HeadSeq: h.Seq, HeadHash: h.Hash}
	prev, want := zeroHash, uint64(1)
	after := ""
	for {
		rows, err := l.st.List(ctx, entryPrefix, store.ListOptions{After: after, Limit: MaxPageLimit})
		if err != nil {
			return rep, fmt.Errorf("audit: verify: %w", err)
		}
		for _, r := range rows {
			var e Entry
			if err := json.Unmarshal(r.Value, &e); err != nil {
				return rep, fmt.Errorf("audit: verify: %w: %s does not decode", ErrTampered, r.Key)
			}
			switch {
			case r.Key != entryKey(e.Seq):
				return rep, fmt.Errorf("audit: verify: %w: %s holds entry %d", ErrTampered, r.Key, e.Seq)
			case e.Seq != want:
				return rep, fmt.Errorf("audit: verify: %w: entry %d is missing (next found: %d)", ErrTampered, want, e.Seq)
			case e.Prev != prev:
				return rep, fmt.Errorf("audit: verify: %w: entry %d does not link to entry %d", ErrTampered, e.Seq, e.Seq-1)
			case e.Hash != e.sum():
				return rep, fmt.Errorf("audit: verify: %w: entry %d was edited (its hash does not match its content)", ErrTampered, e.Seq)
			case !canonical(r.Value, &e):
				return rep, fmt.Errorf("audit: verify: %w: entry %d was rewritten (not the bytes Append stored)", ErrTampered, e.Seq)
			}
			prev, want = e.Hash, want+1
			rep.Entries++
		}
		if len(rows) < MaxPageLimit {
			break
		}
		after = rows[len(rows)-1].Key
	}
	if raw, err := l.st.Get(ctx, headKey); err == nil && !canonical(raw, &h) {
		return rep, fmt.Errorf("audit: verify: %w: the head was rewritten", ErrTampered)
	}
	switch {
	case rep.Entries != h.Seq:
		return rep, fmt.Errorf("audit: verify: %w: the head names entry %d but the log ends at %d", ErrTampered, h.Seq, rep.Entries)
	case h.Hash != prev:
		return rep, fmt.Errorf("audit: verify: %w: the head's hash is not the last entry's", ErrTampered)
	}
	return rep, nil
}
