package issuer

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/talentchain/talentchain/chain"
)

// LocalGovernance signs governance transactions with keys held locally: the
// embedded single-validator deployment, whose node generated the only
// governance key (chain.Node.GovernanceKey). It is safe for concurrent use.
type LocalGovernance struct {
	chain   Chain
	chainID string
	keys    []ed25519.PrivateKey
	mu      sync.Mutex
}

// NewLocalGovernance returns a Governance signing with keys (at least the
// governance threshold of members) for the chain chainID.
func NewLocalGovernance(ch Chain, chainID string, keys ...ed25519.PrivateKey) (*LocalGovernance, error) {
	if ch == nil || chainID == "" || len(keys) == 0 {
		return nil, errors.New("issuer: local governance needs a chain, its id and at least one key")
	}
	return &LocalGovernance{chain: ch, chainID: chainID, keys: keys}, nil
}

// Submit implements Governance.
func (g *LocalGovernance) Submit(ctx context.Context, p chain.Payload) (chain.Receipt, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for attempt := range 5 {
		seq, err := g.chain.Sequence(ctx, chain.GovernanceSigner)
		if err != nil {
			return chain.Receipt{}, fmt.Errorf("governance sequence: %w", err)
		}
		tx := chain.NewTx(p, chain.GovernanceSigner, seq+1)
		for _, k := range g.keys {
			if err := tx.Sign(g.chainID, k); err != nil {
				return chain.Receipt{}, fmt.Errorf("sign %s: %w", p.TxType(), err)
			}
		}
		raw, err := tx.Encode()
		if err != nil {
			return chain.Receipt{}, fmt.Errorf("encode %s: %w", p.TxType(), err)
		}
		r, err := g.chain.Submit(ctx, raw)
		var ce *chain.CodeError
		if errors.As(err, &ce) && ce.Code == chain.CodeBadSequence {
			if err := sleepCtx(ctx, time.Duration(attempt+1)*50*time.Millisecond); err != nil {
				return r, err
			}
			continue
		}
		if err != nil {
			return r, fmt.Errorf("%s: %w", p.TxType(), err)
		}
		return r, nil
	}
	return chain.Receipt{}, fmt.Errorf("%s: governance sequence kept moving", p.TxType())
}
