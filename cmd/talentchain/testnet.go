package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"syscall"
	"time"

	cmtcfg "github.com/cometbft/cometbft/config"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/talentchain/talentchain/chain"
)

// nodeConfigFile is a validator's settings in its home, next to CometBFT's
// genesis and keys; `talentchain node` reads it.
const nodeConfigFile = "talentchain-node.json"

// nodeConfig is the JSON of nodeConfigFile. Durations are Go duration strings.
type nodeConfig struct {
	Moniker          string   `json:"moniker"`
	RPC              string   `json:"rpc"` // tcp://host:port of the CometBFT RPC
	P2P              string   `json:"p2p"` // tcp://host:port of the p2p listener
	PersistentPeers  []string `json:"persistentPeers"`
	BlockInterval    string   `json:"blockInterval"`
	TimeoutPropose   string   `json:"timeoutPropose"`
	AllowDuplicateIP bool     `json:"allowDuplicateIP"`
}

// chainNodeConfig turns the file's settings into the launcher's.
func (c nodeConfig) chainNodeConfig(home string, log *slog.Logger) (chain.NodeConfig, error) {
	bi, err := time.ParseDuration(c.BlockInterval)
	if err != nil {
		return chain.NodeConfig{}, fmt.Errorf("blockInterval: %w", err)
	}
	tp, err := time.ParseDuration(c.TimeoutPropose)
	if err != nil {
		return chain.NodeConfig{}, fmt.Errorf("timeoutPropose: %w", err)
	}
	if c.RPC == "" || c.P2P == "" {
		return chain.NodeConfig{}, errors.New("rpc and p2p addresses are required")
	}
	return chain.NodeConfig{
		Home: home, Moniker: c.Moniker, RPCAddress: c.RPC, P2PAddress: c.P2P,
		BlockInterval: bi, TimeoutPropose: tp,
		PersistentPeers: c.PersistentPeers, AllowDuplicateIP: c.AllowDuplicateIP,
		Logger: log,
	}, nil
}

// testnetSummary is what testnet prints: where everything is.
type testnetSummary struct {
	ChainID    string           `json:"chainId"`
	Nodes      []testnetNode    `json:"nodes"`
	Governance testnetGovernace `json:"governance"`
}

type testnetNode struct {
	Home string `json:"home"`
	ID   string `json:"id"`
	RPC  string `json:"rpc"` // http://host:port, for --node and --chain-rpc
	P2P  string `json:"p2p"`
}

type testnetGovernace struct {
	Threshold uint32   `json:"threshold"`
	KeyFiles  []string `json:"keyFiles"`
}

// testnetCommand: `talentchain testnet --validators N --out DIR` writes the
// homes of an N-validator network on one host: keys, a shared genesis with
// every validator and the governance members, and each node's addresses and
// persistent peers on distinct free ports.
func testnetCommand(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "testnet", "--validators N --out DIR [flags]")
	n := fs.Int("validators", 4, "number of validators (1..64); f faulty of 3f+1 are tolerated")
	out := fs.String("out", "", "`folder` to write node0 … nodeN-1 and governance/ into; must not exist or be empty (required)")
	chainID := fs.String("chain-id", "talentchain-testnet", "chain `id`, bound into every signature")
	host := fs.String("host", "127.0.0.1", "`address` every node listens on and dials its peers at")
	members := fs.Int("gov-members", 3, "number of governance member keys to generate (1..64)")
	threshold := fs.Int("gov-threshold", 2, "signatures a governance transaction needs")
	blockInterval := fs.Duration("block-interval", 150*time.Millisecond, "pause after each block (timeout_commit)")
	timeoutPropose := fs.Duration("timeout-propose", time.Second, "wait for a proposal before the next round (a proposer that is down costs this)")
	if err := parseFlags(fs, e, nil, args); err != nil {
		return err
	}
	switch {
	case *out == "":
		return &usageError{msg: "testnet: --out is required"}
	case *n < 1 || *n > 64:
		return &usageError{msg: fmt.Sprintf("testnet: --validators %d: want 1..64", *n)}
	case *members < 1 || *members > 64:
		return &usageError{msg: fmt.Sprintf("testnet: --gov-members %d: want 1..64", *members)}
	case *threshold < 1 || *threshold > *members:
		return &usageError{msg: fmt.Sprintf("testnet: --gov-threshold %d: want 1..%d", *threshold, *members)}
	case net.ParseIP(*host) == nil:
		return &usageError{msg: fmt.Sprintf("testnet: --host %q: want an IP address", *host)}
	}
	if entries, err := os.ReadDir(*out); err == nil && len(entries) > 0 {
		return fmt.Errorf("testnet: %s is not empty; keys are never overwritten", *out)
	}
	s, err := writeTestnet(testnetSpec{
		dir: *out, validators: *n, chainID: *chainID, host: *host,
		members: *members, threshold: uint32(*threshold),
		blockInterval: *blockInterval, timeoutPropose: *timeoutPropose,
	})
	if err != nil {
		return fmt.Errorf("testnet: %w", err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", b)
	return err
}

type testnetSpec struct {
	dir                           string
	validators, members           int
	threshold                     uint32
	chainID, host                 string
	blockInterval, timeoutPropose time.Duration
}

func writeTestnet(spec testnetSpec) (*testnetSummary, error) {
	sum := &testnetSummary{ChainID: spec.chainID, Governance: testnetGovernace{Threshold: spec.threshold}}

	govDir := filepath.Join(spec.dir, "governance")
	if err := os.MkdirAll(govDir, 0o700); err != nil {
		return nil, err
	}
	var govMembers []string
	for i := range spec.members {
		_, priv, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return nil, err
		}
		raw, _ := json.Marshal(keyFile{Seed: priv.Seed()})
		path := filepath.Join(govDir, fmt.Sprintf("member-%d.json", i))
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			return nil, err
		}
		sum.Governance.KeyFiles = append(sum.Governance.KeyFiles, path)
		govMembers = append(govMembers, chain.EncodePublicKey(priv.Public().(ed25519.PublicKey)))
	}
	slices.Sort(govMembers)
	appState, err := json.Marshal(chain.Genesis{Governance: chain.GenesisGovernance{Members: govMembers, Threshold: spec.threshold}})
	if err != nil {
		return nil, err
	}

	ports, err := freePorts(spec.host, 2*spec.validators)
	if err != nil {
		return nil, err
	}
	genesis := &cmttypes.GenesisDoc{
		ChainID:         spec.chainID,
		GenesisTime:     time.Now().UTC(),
		ConsensusParams: cmttypes.DefaultConsensusParams(),
		AppState:        appState,
	}
	var cfgs []*cmtcfg.Config
	for i := range spec.validators {
		home := filepath.Join(spec.dir, fmt.Sprintf("node%d", i))
		c := cmtcfg.DefaultConfig()
		c.SetRoot(home)
		for _, d := range []string{filepath.Join(home, "config"), filepath.Join(home, "data")} {
			if err := os.MkdirAll(d, 0o700); err != nil {
				return nil, err
			}
		}
		pv := privval.GenFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile())
		pv.Save()
		nk, err := p2p.LoadOrGenNodeKey(c.NodeKeyFile())
		if err != nil {
			return nil, err
		}
		pub, err := pv.GetPubKey()
		if err != nil {
			return nil, err
		}
		name := fmt.Sprintf("node%d", i)
		genesis.Validators = append(genesis.Validators, cmttypes.GenesisValidator{Address: pub.Address(), PubKey: pub, Power: 10, Name: name})
		p2pAddr := net.JoinHostPort(spec.host, strconv.Itoa(ports[2*i]))
		rpcAddr := net.JoinHostPort(spec.host, strconv.Itoa(ports[2*i+1]))
		sum.Nodes = append(sum.Nodes, testnetNode{Home: home, ID: string(nk.ID()), RPC: "http://" + rpcAddr, P2P: p2pAddr})
		cfgs = append(cfgs, c)
	}
	if err := genesis.ValidateAndComplete(); err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	for i, c := range cfgs {
		if err := genesis.SaveAs(c.GenesisFile()); err != nil {
			return nil, fmt.Errorf("write genesis: %w", err)
		}
		nc := nodeConfig{
			Moniker: fmt.Sprintf("node%d", i), RPC: "tcp://" + sum.Nodes[i].RPC[len("http://"):], P2P: "tcp://" + sum.Nodes[i].P2P,
			BlockInterval: spec.blockInterval.String(), TimeoutPropose: spec.timeoutPropose.String(),
			AllowDuplicateIP: true, PersistentPeers: []string{},
		}
		for j, peer := range sum.Nodes {
			if j != i {
				nc.PersistentPeers = append(nc.PersistentPeers, peer.ID+"@"+peer.P2P)
			}
		}
		raw, err := json.MarshalIndent(nc, "", "  ")
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(sum.Nodes[i].Home, "config", nodeConfigFile), raw, 0o600); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// freePorts returns n distinct ports that were free on host a moment ago.
func freePorts(host string, n int) ([]int, error) {
	var ports []int
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			return nil, fmt.Errorf("find a free port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// nodeCommand: `talentchain node --home DIR` runs one validator of a network
// written by testnet (or laid out the same way) until SIGINT or SIGTERM.
func nodeCommand(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "node", "--home DIR [--log-format text|json] [--log-level L]")
	home := fs.String("home", "", "the validator's `folder`, e.g. testnet/node0 (required; env TALENTCHAIN_NODE_HOME)")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	logLevel := slog.LevelInfo
	fs.TextVar(&logLevel, "log-level", logLevel, "log `level`: debug (with CometBFT's own lines), info, warn or error")
	if err := parseFlags(fs, e, map[string]string{"home": "TALENTCHAIN_NODE_HOME"}, args); err != nil {
		return err
	}
	if *home == "" {
		return &usageError{msg: "node: --home is required"}
	}
	if *logFormat != "text" && *logFormat != "json" {
		return &usageError{msg: fmt.Sprintf("node: --log-format %q: want text or json", *logFormat)}
	}
	log := newLogger(e.stderr, *logFormat, logLevel)
	raw, err := os.ReadFile(filepath.Join(*home, "config", nodeConfigFile))
	if err != nil {
		return fmt.Errorf("node: %s is not a validator home written by 'talentchain testnet': %w", *home, err)
	}
	var nc nodeConfig
	if err := json.Unmarshal(raw, &nc); err != nil {
		return fmt.Errorf("node: %s: %w", nodeConfigFile, err)
	}
	cfg, err := nc.chainNodeConfig(*home, log)
	if err != nil {
		return fmt.Errorf("node: %s: %w", nodeConfigFile, err)
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	node, err := chain.StartNode(ctx, cfg)
	if err != nil {
		return fmt.Errorf("node: %w", err)
	}
	log.Info("validator running", slog.String("moniker", nc.Moniker), slog.String("chain_id", node.ChainID()),
		slog.String("rpc", nc.RPC), slog.String("p2p", nc.P2P), slog.Int("peers", len(nc.PersistentPeers)))
	<-ctx.Done()
	log.Info("stopping validator", slog.String("cause", context.Cause(ctx).Error()))
	if err := node.Stop(); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	log.Info("stopped")
	return nil
}
