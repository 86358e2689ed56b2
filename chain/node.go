package chain

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtcfg "github.com/cometbft/cometbft/config"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	nm "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/rpc/client/local"
	cmttypes "github.com/cometbft/cometbft/types"
)

// NodeConfig configures the embedded single-validator node.
type NodeConfig struct {
	// Home is the node's directory (config/ and data/ below it); required.
	Home string
	// ChainID names the network on first start; default "talentchain-local".
	ChainID string
	// Moniker names the node; default "talentchain".
	Moniker string
	// RPCAddress is where the CometBFT RPC listens, e.g. "tcp://127.0.0.1:26657";
	// empty means no listener (the in-process client needs none).
	RPCAddress string
	// P2PAddress is the p2p listen address; default "tcp://127.0.0.1:26656".
	P2PAddress string
	// BlockInterval is timeout_commit, the pause after each block; default 150ms.
	BlockInterval time.Duration
	// TimeoutPropose is how long validators wait for a block proposal before
	// moving to the next round (a proposer that is down costs this much);
	// default CometBFT's 3s.
	TimeoutPropose time.Duration
	// PersistentPeers are the validators this node keeps connected to, as
	// CometBFT addresses "nodeID@host:port"; none for a single validator.
	PersistentPeers []string
	// AllowDuplicateIP lets several peers share an IP address, as the
	// validators of a loopback test network do.
	AllowDuplicateIP bool
	// Logger receives the application's and CometBFT's logs (CometBFT's info
	// lines at debug level); nil discards them.
	Logger *slog.Logger
}

// governanceKeyFile holds the locally generated governance key of an
// embedded node, seed in base64 (mode 0600).
const governanceKeyFile = "governance_key.json"

// Node is a running embedded node: CometBFT with the App in-process.
type Node struct {
	node    *nm.Node
	app     *App
	client  *Client
	dbs     *dbTracker
	chainID string
	govKey  ed25519.PrivateKey
}

// StartNode starts a node in cfg.Home. Without a genesis there, it is a
// single validator: first start creates its keys, a governance key (members
// = that key, threshold 1, kept in config/governance_key.json, mode 0600) and
// the genesis. With a genesis (and validator and node keys) already in
// config/, as a consortium's set-up writes them, it runs as one validator of
// that network and connects to cfg.PersistentPeers. Empty blocks are not
// produced; blocks follow transactions within BlockInterval. Stop it with Stop.
func StartNode(ctx context.Context, cfg NodeConfig) (*Node, error) {
	if cfg.Home == "" {
		return nil, errors.New("chain: node config: Home is required")
	}
	if cfg.ChainID == "" {
		cfg.ChainID = "talentchain-local"
	}
	if cfg.Moniker == "" {
		cfg.Moniker = "talentchain"
	}
	if cfg.P2PAddress == "" {
		cfg.P2PAddress = "tcp://127.0.0.1:26656"
	}
	if cfg.BlockInterval == 0 {
		cfg.BlockInterval = 150 * time.Millisecond
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}

	c := cmtcfg.DefaultConfig()
	c.SetRoot(cfg.Home)
	c.Moniker = cfg.Moniker
	c.RPC.ListenAddress = cfg.RPCAddress
	c.P2P.ListenAddress = cfg.P2PAddress
	c.P2P.PexReactor = false
	c.Consensus.TimeoutCommit = cfg.BlockInterval
	if cfg.TimeoutPropose > 0 {
		c.Consensus.TimeoutPropose = cfg.TimeoutPropose
	}
	c.P2P.PersistentPeers = strings.Join(cfg.PersistentPeers, ",")
	c.P2P.AllowDuplicateIP = cfg.AllowDuplicateIP
	c.P2P.AddrBookStrict = !cfg.AllowDuplicateIP // loopback peers are not routable
	c.Consensus.CreateEmptyBlocks = false
	// A consortium is a handful of validators on good links: gossip votes
	// and flush messages every 10 ms instead of CometBFT's 100 ms, which
	// otherwise adds up to a tenth of a second per step to a confirmation.
	c.Consensus.PeerGossipSleepDuration = 10 * time.Millisecond
	c.P2P.FlushThrottleTimeout = 10 * time.Millisecond
	c.Instrumentation.Prometheus = false
	for _, d := range []string{filepath.Join(cfg.Home, "config"), filepath.Join(cfg.Home, "data")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, fmt.Errorf("chain: node home: %w", err)
		}
	}

	pv := privval.LoadOrGenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
	nodeKey, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
	if err != nil {
		return nil, fmt.Errorf("chain: node key: %w", err)
	}
	// A node started without a genesis is a single validator whose
	// governance key is held here; a consortium node's genesis is written
	// by whoever set up the network, and its governance keys are elsewhere.
	var govKey ed25519.PrivateKey
	govKeyPath := filepath.Join(cfg.Home, "config", governanceKeyFile)
	if _, err := os.Stat(c.GenesisFile()); errors.Is(err, os.ErrNotExist) {
		if govKey, err = loadOrGenGovernanceKey(govKeyPath); err != nil {
			return nil, err
		}
		if err := writeGenesis(c.GenesisFile(), cfg.ChainID, pv, govKey); err != nil {
			return nil, err
		}
	} else if _, err := os.Stat(govKeyPath); err == nil {
		if govKey, err = loadOrGenGovernanceKey(govKeyPath); err != nil {
			return nil, err
		}
	}
	genDoc, err := cmttypes.GenesisDocFromFile(c.GenesisFile())
	if err != nil {
		return nil, fmt.Errorf("chain: read genesis: %w", err)
	}

	db, err := OpenDB(c.DBDir())
	if err != nil {
		return nil, err
	}
	app, err := New(Config{DB: db, Logger: logger})
	if err != nil {
		db.Close()
		return nil, err
	}
	dbs := &dbTracker{}
	n, err := nm.NewNodeWithContext(ctx, c, pv, nodeKey, proxy.NewLocalClientCreator(app),
		func() (*cmttypes.GenesisDoc, error) { return genDoc, nil },
		dbs.provide, nm.DefaultMetricsProvider(c.Instrumentation),
		cometLogger{logger.With("module", "cometbft")})
	if err != nil {
		dbs.closeAll()
		app.Close()
		return nil, fmt.Errorf("chain: create node: %w", err)
	}
	if err := n.Start(); err != nil {
		dbs.closeAll()
		app.Close()
		return nil, fmt.Errorf("chain: start node: %w", err)
	}
	logger.Info("chain node started", "chain_id", genDoc.ChainID, "home", cfg.Home, "rpc", cfg.RPCAddress)
	return &Node{
		node: n, app: app, dbs: dbs, chainID: genDoc.ChainID, govKey: govKey,
		client: NewClient(local.New(n), ClientConfig{TrustNode: true}),
	}, nil
}

// Client returns a client bound to the node in-process.
func (n *Node) Client() *Client { return n.client }

// RPC returns an in-process CometBFT RPC client of the node (no network):
// for pages that show blocks and validators without --chain-listen.
func (n *Node) RPC() rpcclient.Client { return local.New(n.node) }

// ChainID returns the network's chain id, which transactions must sign.
func (n *Node) ChainID() string { return n.chainID }

// GovernanceKey returns the locally held governance key of the embedded
// node, or nil for a node of a network set up elsewhere (see StartNode).
func (n *Node) GovernanceKey() ed25519.PrivateKey { return n.govKey }

// Stop stops the node and closes the application database.
func (n *Node) Stop() error {
	var errs []error
	if n.node.IsRunning() {
		if err := n.node.Stop(); err != nil {
			errs = append(errs, fmt.Errorf("chain: stop node: %w", err))
		}
		n.node.Wait()
	}
	n.dbs.closeAll()
	if err := n.app.Close(); err != nil {
		errs = append(errs, fmt.Errorf("chain: close app: %w", err))
	}
	return errors.Join(errs...)
}

func loadOrGenGovernanceKey(path string) (ed25519.PrivateKey, error) {
	var f struct {
		Seed []byte `json:"seed"`
	}
	raw, err := os.ReadFile(path)
	switch {
	case err == nil:
		if err := json.Unmarshal(raw, &f); err != nil || len(f.Seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("chain: governance key %s is corrupt", path)
		}
		return ed25519.NewKeyFromSeed(f.Seed), nil
	case errors.Is(err, os.ErrNotExist):
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, fmt.Errorf("chain: generate governance key: %w", err)
		}
		f.Seed = priv.Seed()
		raw, _ := json.Marshal(f)
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return nil, fmt.Errorf("chain: write governance key: %w", err)
		}
		return priv, nil
	default:
		return nil, fmt.Errorf("chain: read governance key: %w", err)
	}
}

func writeGenesis(path, chainID string, pv *privval.FilePV, gov ed25519.PrivateKey) error {
	pub, err := pv.GetPubKey()
	if err != nil {
		return fmt.Errorf("chain: validator key: %w", err)
	}
	appState, err := json.Marshal(Genesis{Governance: GenesisGovernance{
		Members: []string{EncodePublicKey(gov.Public().(ed25519.PublicKey))}, Threshold: 1,
	}})
	if err != nil {
		return fmt.Errorf("chain: genesis app state: %w", err)
	}
	doc := &cmttypes.GenesisDoc{
		ChainID:         chainID,
		GenesisTime:     time.Now().UTC(), // the launcher, not the state machine, reads the clock
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		Validators:      []cmttypes.GenesisValidator{{Address: pub.Address(), PubKey: pub, Power: 10, Name: "embedded"}},
		AppState:        appState,
	}
	if err := doc.ValidateAndComplete(); err != nil {
		return fmt.Errorf("chain: genesis: %w", err)
	}
	if err := doc.SaveAs(path); err != nil {
		return fmt.Errorf("chain: write genesis: %w", err)
	}
	return nil
}

// dbTracker remembers the databases CometBFT opens: in v0.38 Node.OnStop
// does not close the tx indexer's, which would keep its lock and stop the
// node from restarting in the same process.
type dbTracker struct {
	mu  sync.Mutex
	dbs []dbm.DB
}

func (t *dbTracker) provide(ctx *cmtcfg.DBContext) (dbm.DB, error) {
	db, err := cmtcfg.DefaultDBProvider(ctx)
	if err == nil {
		t.mu.Lock()
		t.dbs = append(t.dbs, db)
		t.mu.Unlock()
	}
	return db, err
}

// closeAll closes every tracked database; closing one CometBFT already
// closed fails harmlessly.
func (t *dbTracker) closeAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, db := range t.dbs {
		_ = db.Close()
	}
	t.dbs = nil
}

// cometLogger adapts slog to CometBFT's logger; CometBFT's info lines are
// chatty, so they go to debug.
type cometLogger struct{ l *slog.Logger }

func (c cometLogger) Debug(msg string, kv ...any) { c.l.Debug(msg, kv...) }
func (c cometLogger) Info(msg string, kv ...any)  { c.l.Debug(msg, kv...) }
func (c cometLogger) Error(msg string, kv ...any) {
	if msg == "Stopped accept routine, as transport is closed" {
		c.l.Debug(msg, kv...) // every clean stop says so: not an error
		return
	}
	c.l.Error(msg, kv...)
}
func (c cometLogger) With(kv ...any) cmtlog.Logger {
	return cometLogger{c.l.With(kv...)}
}
