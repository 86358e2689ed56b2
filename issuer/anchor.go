package issuer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// anchorItem is one credential digest waiting in a batcher.
type anchorItem struct {
	id     string
	typ    string
	digest [32]byte
	done   chan anchorResult // buffered (1); nil for recovered items
}

type anchorResult struct {
	receipt *credential.AnchorReceipt
	err     error
}

// batchRecord is persisted before a batch is submitted, so that a restart
// re-submits exactly the same batch (same root): the chain refuses a root
// twice, which then means "already anchored".
type batchRecord struct {
	Org     string   `json:"org"`
	IDs     []string `json:"ids"`
	Digests []string `json:"digests"`
	Types   []string `json:"types"`
}

// batcher collects one organisation's digests and anchors them in batches,
// one issuer.anchor transaction per batch, one batch at a time.
type batcher struct {
	in    chan *anchorItem
	flush chan chan error
}

func (s *Service) startBatcher(st *orgState) *batcher {
	b := &batcher{in: make(chan *anchorItem, s.cfg.BatchSize), flush: make(chan chan error)}
	s.wg.Go(func() { s.runBatcher(st, b) })
	return b
}

// add queues an item; it blocks while the queue is full.
func (b *batcher) add(ctx context.Context, it *anchorItem) error {
	select {
	case b.in <- it:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// flush anchors everything queued so far and returns when it is anchored.
func (s *Service) flush(ctx context.Context, st *orgState) error {
	ack := make(chan error, 1)
	select {
	case st.batch.flush <- ack:
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stop:
		return ErrClosed
	}
	select {
	case err := <-ack:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Flush anchors what the organisation's batcher holds now.
func (s *Service) Flush(ctx context.Context, org string) error {
	st, _, err := s.state(ctx, org)
	if err != nil {
		return fmt.Errorf("flush: %w", err)
	}
	return s.flush(ctx, st)
}

func (s *Service) runBatcher(st *orgState, b *batcher) {
	var buf []*anchorItem
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// Batches the chain did not take are retried with back-off (same items,
	// same order: the same root), until they anchor or the service stops;
	// their waiters got the error already.
	var failed [][]*anchorItem
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	backoff := time.Second
	anchorAll := func(batches [][]*anchorItem) error {
		var errs []error
		for _, items := range batches {
			if err := s.anchorBatch(s.bgCtx, st, items); err != nil {
				errs = append(errs, err)
				again := make([]*anchorItem, len(items))
				for i, it := range items {
					again[i] = &anchorItem{id: it.id, typ: it.typ, digest: it.digest}
				}
				failed = append(failed, again)
			}
		}
		if len(failed) > 0 {
			retry.Reset(backoff)
			backoff = min(backoff*2, 5*time.Minute)
		} else {
			backoff = time.Second
		}
		return errors.Join(errs...)
	}
	anchor := func() error {
		timer.Stop()
		var batches [][]*anchorItem
		for len(buf) > 0 {
			n := min(len(buf), s.cfg.BatchSize)
			batches = append(batches, buf[:n])
			buf = buf[n:]
		}
		buf = nil
		return anchorAll(batches)
	}
	drain := func() {
		for {
			select {
			case it := <-b.in:
				buf = append(buf, it)
			default:
				return
			}
		}
	}
	for {
		select {
		case it := <-b.in:
			if len(buf) == 0 {
				timer.Reset(s.cfg.BatchDelay)
			}
			buf = append(buf, it)
			if len(buf) >= s.cfg.BatchSize {
				_ = anchor()
			}
		case <-timer.C:
			drain()
			_ = anchor()
		case <-retry.C:
			again := failed
			failed = nil
			_ = anchorAll(again)
		case ack := <-b.flush:
			drain()
			again := failed
			failed = nil
			err := anchorAll(again)
			ack <- errors.Join(err, anchor())
		case <-s.stop:
			drain()
			_ = anchor()
			return
		}
	}
}

// anchorBatch anchors one batch and delivers each item's receipt (or the
// error) to its waiter. On failure the items stay pending for Recover.
func (s *Service) anchorBatch(ctx context.Context, st *orgState, items []*anchorItem) error {
	digests := make([][32]byte, len(items))
	rec := batchRecord{Org: st.did}
	types := map[string]bool{}
	for i, it := range items {
		digests[i] = it.digest
		rec.IDs = append(rec.IDs, it.id)
		rec.Digests = append(rec.Digests, hex.EncodeToString(it.digest[:]))
		types[it.typ] = true
	}
	for t := range types {
		rec.Types = append(rec.Types, t)
	}
	slices.Sort(rec.Types)
	receipts, err := s.anchorRecord(ctx, st, &rec, digests)
	for i, it := range items {
		if it.done == nil {
			continue
		}
		if err != nil {
			it.done <- anchorResult{err: err}
		} else {
			it.done <- anchorResult{receipt: receipts[i]}
		}
	}
	if err != nil {
		s.log.Error("anchoring failed; the credentials stay pending", slog.String("org", st.did),
			slog.Int("credentials", len(items)), slog.String("error", err.Error()))
	}
	return err
}

// anchorRecord persists the batch, submits its root (unless the chain has
// it already), and stores the receipts.
func (s *Service) anchorRecord(ctx context.Context, st *orgState, rec *batchRecord, digests [][32]byte) ([]*credential.AnchorReceipt, error) {
	b := credential.NewBatch(digests)
	root := b.Root()
	rootHex := hex.EncodeToString(root[:])
	batchKey := "batch/" + st.did + "/" + rootHex
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	if err := s.st.Put(ctx, batchKey, raw, 0); err != nil {
		return nil, fmt.Errorf("anchor: persist batch: %w", err)
	}
	ar, err := s.submitAnchor(ctx, st, rootHex, uint64(len(digests)), rec.Types)
	if err != nil {
		return nil, err
	}
	receipts := make([]*credential.AnchorReceipt, len(digests))
	const chunk = store.MaxOps / 2
	for start := 0; start < len(digests); start += chunk {
		var ops []store.Op
		for i := start; i < min(start+chunk, len(digests)); i++ {
			r := b.Receipt(i)
			r.Issuer, r.ChainID, r.Height, r.TxHash, r.Time = st.did, s.cfg.ChainID, ar.Height, ar.TxHash, ar.Time
			receipts[i] = r
			raw, err := json.Marshal(r)
			if err != nil {
				return nil, fmt.Errorf("anchor: %w", err)
			}
			ops = append(ops, store.OpPut("receipt/"+rec.IDs[i], raw, 0), store.OpDelete("pending/"+st.did+"/"+rec.IDs[i]))
		}
		if err := s.st.Apply(ctx, ops...); err != nil {
			return nil, fmt.Errorf("anchor: store receipts: %w", err)
		}
	}
	if err := s.st.Delete(ctx, batchKey); err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	s.log.Info("batch anchored", slog.String("org", st.did), slog.String("root", rootHex),
		slog.Int("credentials", len(digests)), slog.Int64("height", ar.Height))
	return receipts, nil
}

// submitAnchor writes the root on chain, or finds it there already.
func (s *Service) submitAnchor(ctx context.Context, st *orgState, rootHex string, n uint64, types []string) (*chain.AnchorRecord, error) {
	if a, err := s.chain.Anchor(ctx, rootHex); err == nil {
		return s.ownAnchor(st, a)
	} else if !errors.Is(err, chain.ErrNotFound) {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	st.txMu.Lock()
	r, err := s.submitLocked(ctx, st, &chain.Anchor{Root: rootHex, LeafCount: n, CredentialTypes: types})
	st.txMu.Unlock()
	var ce *chain.CodeError
	if errors.As(err, &ce) && ce.Code == chain.CodeConflict {
		a, qerr := s.chain.Anchor(ctx, rootHex)
		if qerr != nil {
			return nil, fmt.Errorf("anchor: the chain has the root but it cannot be read: %w", qerr)
		}
		return s.ownAnchor(st, a)
	}
	if err != nil {
		return nil, fmt.Errorf("anchor: %w", err)
	}
	var a chain.AnchorRecord
	if len(r.Data) > 0 && json.Unmarshal(r.Data, &a) == nil && a.Root == rootHex {
		return &a, nil
	}
	return &chain.AnchorRecord{Root: rootHex, Issuer: st.did, Height: r.Height, TxHash: r.TxHash, LeafCount: n}, nil
}

func (s *Service) ownAnchor(st *orgState, a *chain.AnchorRecord) (*chain.AnchorRecord, error) {
	if a.Issuer != st.did {
		return nil, fmt.Errorf("anchor: %w: the root was anchored by %s", ErrConflict, a.Issuer)
	}
	return a, nil
}

// Recover re-anchors what a previous run left: batches persisted but not
// confirmed (re-submitted with the same root, or completed when the chain
// has it already) and credentials stored but never batched. Call it once
// after New; it returns how many credentials it anchored. It first builds
// the per-organisation credential index if the store has none yet
// (credindex.go).
func (s *Service) Recover(ctx context.Context) (int, error) {
	if _, err := s.ensureIndex(ctx); err != nil {
		return 0, fmt.Errorf("recover: %w", err)
	}
	n := 0
	batches, err := s.listAll(ctx, "batch/")
	if err != nil {
		return 0, fmt.Errorf("recover: %w", err)
	}
	for _, e := range batches {
		var rec batchRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return n, fmt.Errorf("recover: decode %s: %w", e.Key, err)
		}
		st, _, err := s.state(ctx, rec.Org)
		if err != nil {
			return n, fmt.Errorf("recover: %w", err)
		}
		digests := make([][32]byte, len(rec.Digests))
		for i, d := range rec.Digests {
			b, err := hex.DecodeString(d)
			if err != nil || len(b) != 32 {
				return n, fmt.Errorf("recover: %s: bad digest", e.Key)
			}
			copy(digests[i][:], b)
		}
		if _, err := s.anchorRecord(ctx, st, &rec, digests); err != nil {
			return n, fmt.Errorf("recover: %w", err)
		}
		n += len(digests)
	}
	pending, err := s.listAll(ctx, "pending/")
	if err != nil {
		return n, fmt.Errorf("recover: %w", err)
	}
	byOrg := map[string][]*anchorItem{}
	var orgs []string
	for _, e := range pending {
		org, id, ok := strings.Cut(strings.TrimPrefix(e.Key, "pending/"), "/")
		if !ok {
			continue
		}
		// did:talent:X contains no "/", the credential id no "/" either.
		var p pendingRecord
		if err := json.Unmarshal(e.Value, &p); err != nil {
			return n, fmt.Errorf("recover: decode %s: %w", e.Key, err)
		}
		it := &anchorItem{id: id, typ: p.Type}
		if b, err := hex.DecodeString(p.Digest); err != nil || len(b) != 32 {
			return n, fmt.Errorf("recover: %s: bad digest", e.Key)
		} else {
			copy(it.digest[:], b)
		}
		if _, ok := byOrg[org]; !ok {
			orgs = append(orgs, org)
		}
		byOrg[org] = append(byOrg[org], it)
	}
	for _, org := range orgs {
		st, _, err := s.state(ctx, org)
		if err != nil {
			return n, fmt.Errorf("recover: %w", err)
		}
		items := byOrg[org]
		for start := 0; start < len(items); start += s.cfg.BatchSize {
			part := items[start:min(start+s.cfg.BatchSize, len(items))]
			if err := s.anchorBatch(ctx, st, part); err != nil {
				return n, fmt.Errorf("recover: %w", err)
			}
			n += len(part)
		}
	}
	if n > 0 {
		s.log.Info("recovered pending anchors", slog.Int("credentials", n))
	}
	// CSV jobs whose process died resume from their last unfinished chunk.
	if _, err := s.ResumeJobs(ctx); err != nil {
		return n, fmt.Errorf("recover: %w", err)
	}
	return n, nil
}

func (s *Service) listAll(ctx context.Context, prefix string) ([]store.Entry, error) {
	return store.All(ctx, s.st, prefix, store.ScanOptions{})
}
