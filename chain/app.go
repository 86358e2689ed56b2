package chain

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
)

// AppVersion is the application protocol version reported in Info.
const AppVersion uint64 = 1

var _ abci.Application = (*App)(nil)

// Config configures an App.
type Config struct {
	// DB holds the committed state; required. Use OpenDB for a node's data
	// directory or dbm.NewMemDB() in tests.
	DB dbm.DB
	// Logger receives operational logs; nil discards them.
	Logger *slog.Logger
}

// App is the TalentChain ABCI application. It is safe for concurrent use:
// every ABCI method holds one lock, as CometBFT's local client does anyway.
//
// Changes of a block are staged in FinalizeBlock (which returns the new
// AppHash) and written to the database in Commit; Info reports the last
// committed height and AppHash so that a restarted node resumes or replays.
type App struct {
	abci.BaseApplication

	mu  sync.Mutex
	db  dbm.DB
	log *slog.Logger

	committed *snapshot // last committed state, what queries read
	meta      meta      // last committed height, app hash, chain id, block time
	initial   *snapshot // InitChain's state until the first Commit: what queries read then

	deliver *overlay  // changes of the block being executed (and InitChain's)
	genesis bool      // deliver holds InitChain's changes, not yet committed
	staged  *snapshot // committed + deliver, hashed; set by FinalizeBlock
	next    meta      // meta to persist at Commit
	check   *overlay  // mempool view: committed + txs accepted by CheckTx
}

// New opens the application over cfg.DB, loading the committed state.
func New(cfg Config) (*App, error) {
	if cfg.DB == nil {
		return nil, errors.New("chain: config: DB is required")
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	snap, m, err := loadSnapshot(cfg.DB)
	if err != nil {
		return nil, err
	}
	if m.Height > 0 && !bytes.Equal(snap.root(), m.AppHash) {
		return nil, fmt.Errorf("chain: stored state hashes to %X, but height %d committed %X", snap.root(), m.Height, m.AppHash)
	}
	a := &App{db: cfg.DB, log: log, committed: snap, meta: m}
	a.check = newOverlay(snap)
	return a, nil
}

// Close closes the database.
func (a *App) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.db.Close()
}

// Info reports the last committed height and AppHash.
func (a *App) Info(_ context.Context, _ *abci.RequestInfo) (*abci.ResponseInfo, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return &abci.ResponseInfo{
		Data:             "talentchain",
		Version:          "1",
		AppVersion:       AppVersion,
		LastBlockHeight:  a.meta.Height,
		LastBlockAppHash: a.meta.AppHash,
	}, nil
}

// InitChain seeds governance from the genesis app_state and returns the
// AppHash of the initial state.
func (a *App) InitChain(_ context.Context, req *abci.RequestInitChain) (*abci.ResponseInitChain, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	var g Genesis
	if err := strictUnmarshal(req.AppStateBytes, &g); err != nil {
		return nil, fmt.Errorf("chain: genesis app_state: %w", err)
	}
	ug := UpdateGovernance{Members: g.Governance.Members, Threshold: g.Governance.Threshold}
	if err := ug.validate(); err != nil {
		return nil, fmt.Errorf("chain: genesis governance: %w", err)
	}
	if err := checkChainID(req.ChainId); err != nil {
		return nil, err
	}
	a.deliver = newOverlay(a.committed)
	x := &executor{view: a.deliver}
	x.store(keyGovernance, Governance{Members: ug.Members, Threshold: ug.Threshold})
	a.genesis = true
	a.staged = a.committed.apply(a.deliver.writes)
	a.initial = a.staged
	a.check = newOverlay(a.staged)
	a.meta.ChainID = req.ChainId
	a.meta.Height = req.InitialHeight - 1
	a.meta.StateHeight = a.meta.Height
	a.meta.AppHash = a.staged.root()
	a.meta.BlockTime = req.Time.UTC()
	a.log.Info("chain initialised", "chain_id", req.ChainId, "members", len(ug.Members), "threshold", ug.Threshold)
	return &abci.ResponseInitChain{AppHash: a.staged.root()}, nil
}

// CheckTx runs the transaction against the mempool view (the committed state
// plus the transactions already accepted since the last commit), at the next
// height and the last block's time.
func (a *App) CheckTx(_ context.Context, req *abci.RequestCheckTx) (*abci.ResponseCheckTx, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := env{chainID: a.meta.ChainID, height: a.meta.Height + 1, time: a.meta.BlockTime}
	child := newOverlay(a.check)
	out, ce := execute(child, e, req.Tx)
	if ce != nil {
		return &abci.ResponseCheckTx{Code: uint32(ce.Code), Log: ce.Error(), Codespace: "talentchain"}, nil
	}
	child.mergeInto(a.check)
	return &abci.ResponseCheckTx{Code: uint32(CodeOK), Data: out.data, GasWanted: 1}, nil
}

// PrepareProposal keeps, in order, the transactions that execute against the
// committed state, within MaxTxBytes.
func (a *App) PrepareProposal(_ context.Context, req *abci.RequestPrepareProposal) (*abci.ResponsePrepareProposal, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	e := env{chainID: a.meta.ChainID, height: req.Height, time: req.Time.UTC()}
	view := newOverlay(a.committed)
	if a.genesis {
		view = newOverlay(a.deliver) // first block after InitChain
	}
	var txs [][]byte
	var size int64
	for _, tx := range req.Txs {
		if size+int64(len(tx)) > req.MaxTxBytes {
			break
		}
		child := newOverlay(view)
		if _, ce := execute(child, e, tx); ce != nil {
			continue
		}
		child.mergeInto(view)
		txs = append(txs, tx)
		size += int64(len(tx))
	}
	return &abci.ResponsePrepareProposal{Txs: txs}, nil
}

// ProcessProposal rejects a block carrying bytes that are not a well-formed
// transaction; stateful failures are recorded as failed results instead.
func (a *App) ProcessProposal(_ context.Context, req *abci.RequestProcessProposal) (*abci.ResponseProcessProposal, error) {
	for _, tx := range req.Txs {
		if _, err := DecodeTx(tx); err != nil {
			return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_REJECT}, nil
		}
	}
	return &abci.ResponseProcessProposal{Status: abci.ResponseProcessProposal_ACCEPT}, nil
}

// FinalizeBlock executes the block's transactions in order, stages their
// changes and returns the AppHash of the resulting state.
func (a *App) FinalizeBlock(_ context.Context, req *abci.RequestFinalizeBlock) (*abci.ResponseFinalizeBlock, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.meta.Height != req.Height-1 {
		return nil, fmt.Errorf("chain: finalize height %d after committed height %d", req.Height, a.meta.Height)
	}
	if !a.genesis {
		a.deliver = newOverlay(a.committed)
	}
	a.genesis = false
	e := env{chainID: a.meta.ChainID, height: req.Height, time: req.Time.UTC()}
	results := make([]*abci.ExecTxResult, len(req.Txs))
	for i, tx := range req.Txs {
		child := newOverlay(a.deliver)
		out, ce := execute(child, e, tx)
		if ce != nil {
			results[i] = &abci.ExecTxResult{Code: uint32(ce.Code), Log: ce.Error(), Codespace: "talentchain"}
			continue
		}
		child.mergeInto(a.deliver)
		results[i] = &abci.ExecTxResult{Code: uint32(CodeOK), Data: out.data, Events: out.events}
	}
	a.staged = a.committed.apply(a.deliver.writes)
	a.next = meta{ChainID: a.meta.ChainID, Height: req.Height, AppHash: a.staged.root(), BlockTime: e.time, StateHeight: a.meta.StateHeight}
	if !bytes.Equal(a.next.AppHash, a.meta.AppHash) {
		a.next.StateHeight = req.Height
	}
	return &abci.ResponseFinalizeBlock{TxResults: results, AppHash: a.next.AppHash}, nil
}

// Commit persists the staged block and resets the mempool view.
func (a *App) Commit(_ context.Context, _ *abci.RequestCommit) (*abci.ResponseCommit, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.staged == nil || a.next.Height == 0 {
		return nil, errors.New("chain: commit without a finalized block")
	}
	if err := persist(a.db, a.deliver.writes, a.next); err != nil {
		return nil, err
	}
	a.committed, a.meta = a.staged, a.next
	a.deliver, a.staged, a.next, a.initial = nil, nil, meta{}, nil
	a.check = newOverlay(a.committed)
	return &abci.ResponseCommit{}, nil
}

// Height returns the last committed height and its AppHash.
func (a *App) Height() (int64, []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.meta.Height, bytes.Clone(a.meta.AppHash)
}
