package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui"
	"github.com/talentchain/talentchain/ui/i18n"
)

// config is everything serve needs, from flags and the environment.
type config struct {
	dataDir         string
	addr            string
	logFormat       string
	logLevel        slog.Level
	contextsDir     string
	shutdownTimeout time.Duration
	ui              ui.Config
	chain           chainConfig
	// redisURL, when set, keeps the services' records in Redis instead of
	// the embedded store (--redis).
	redisURL string
	// publicURL is the node's URL as holders and verifiers reach it: status
	// lists and offers name it (--public-url; default http://<addr>).
	publicURL string
	// batchDelay is how long the issuer waits to fill an anchoring batch.
	batchDelay time.Duration
	// location is the time zone of calendar dates (course completions).
	location *time.Location
	// demo seeds an empty data folder with a living example (--demo).
	demo bool

	// verifier, when set, is used instead of the credential verifier build
	// constructs. Tests set it; serve never does.
	verifier ui.Verifier
}

func defaultConfig() config {
	return config{
		dataDir:         "./talentchain-data",
		addr:            "127.0.0.1:8080",
		logFormat:       "text",
		logLevel:        slog.LevelInfo,
		shutdownTimeout: 15 * time.Second,
		ui:              ui.DefaultConfig(),
		batchDelay:      200 * time.Millisecond,
		location:        time.UTC,
		chain: chainConfig{
			listen:        "tcp://127.0.0.1:26657",
			p2p:           "tcp://127.0.0.1:0",
			blockInterval: 150 * time.Millisecond,
		},
	}
}

// chainConfig says which chain node the services use: the embedded
// single validator under <data>/chain (the default), or a remote node.
type chainConfig struct {
	// remote is the CometBFT RPC URL of a node to use instead of the
	// embedded one (--chain-rpc); its answers are proof-checked.
	remote string
	// genesis is the network's genesis file (--chain-genesis): its chain id
	// and validators are the trust root the remote node's headers are
	// checked against. Required with remote unless trustNode.
	genesis string
	// trustNode takes the remote node's headers on its word
	// (--chain-trust-node): only for a node the operator runs.
	trustNode bool
	// listen is where the embedded node's CometBFT RPC listens
	// (--chain-listen), so that `talentchain gov` can reach it; empty: none.
	listen string
	// p2p is the embedded node's p2p listen address. A single validator has
	// no peers, so it takes any free loopback port.
	p2p string
	// blockInterval is the embedded node's pause after each block.
	blockInterval time.Duration
	// chainID names the remote network (--chain-id); by default it comes
	// from the genesis file, or with trustNode from the node at start.
	chainID string
}

// validateRemote checks --chain-rpc and how its answers are trusted.
func (c chainConfig) validateRemote() error {
	if c.remote == "" {
		if c.genesis != "" || c.trustNode {
			return errors.New("--chain-genesis and --chain-trust-node are for a remote node: set --chain-rpc")
		}
		return nil
	}
	u, err := url.Parse(c.remote)
	if err != nil {
		return fmt.Errorf("--chain-rpc %q: %w", c.remote, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" && u.Scheme != "tcp" || u.Host == "" {
		return fmt.Errorf("--chain-rpc %q: want http://host:port (or https://, tcp://)", c.remote)
	}
	switch {
	case c.genesis == "" && !c.trustNode:
		return errors.New("--chain-rpc needs --chain-genesis FILE (the network's genesis.json, whose validators must sign the node's answers), or --chain-trust-node for a node you run")
	case c.genesis != "" && c.trustNode:
		return errors.New("--chain-genesis and --chain-trust-node: choose one")
	}
	return nil
}

// remoteClient returns a client of the remote node: its answers are proved
// against headers signed by the genesis validators, or, with trustNode,
// taken on the node's word.
func (c chainConfig) remoteClient() (*chain.Client, error) {
	cc := chain.ClientConfig{TrustNode: c.trustNode}
	switch {
	case c.genesis != "":
		id, vals, err := chain.TrustFromGenesis(c.genesis)
		if err != nil {
			return nil, fmt.Errorf("--chain-genesis: %w", err)
		}
		cc.ChainID, cc.TrustedValidators = id, vals
	case !c.trustNode:
		return nil, errors.New("chain rpc: no trust root: set --chain-genesis or --chain-trust-node")
	}
	// Every RPC call is bounded, so that a hung node (one that takes
	// connections and never answers) fails requests fast instead of holding
	// them; a transaction is submitted without waiting (broadcast_tx_sync)
	// and its inclusion polled, so no call needs longer.
	rpc, err := rpchttp.NewWithTimeout(c.remote, "/websocket", remoteRPCTimeoutSeconds)
	if err != nil {
		return nil, fmt.Errorf("chain rpc %s: %w", c.remote, err)
	}
	return chain.NewClient(rpc, cc), nil
}

// remoteRPCTimeoutSeconds bounds one RPC call to a remote chain node.
const remoteRPCTimeoutSeconds = 5

// remoteChainID is the remote network's chain id: the genesis file's, or
// with trustNode the one the node reports.
func (c chainConfig) remoteChainID(ctx context.Context) (string, error) {
	if c.chainID != "" {
		return c.chainID, nil
	}
	if c.genesis != "" {
		id, _, err := chain.TrustFromGenesis(c.genesis)
		return id, err
	}
	rpc, err := rpchttp.New(c.remote, "/websocket")
	if err != nil {
		return "", fmt.Errorf("chain rpc %s: %w", c.remote, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	st, err := rpc.Status(sctx)
	if err != nil {
		return "", fmt.Errorf("chain rpc %s: reading the chain id: %w (is the node running? --chain-id names the network without asking it)", c.remote, err)
	}
	return st.NodeInfo.Network, nil
}

func (c chainConfig) validate() error {
	if err := c.validateRemote(); err != nil {
		return err
	}
	if c.listen != "" {
		host, ok := strings.CutPrefix(c.listen, "tcp://")
		if !ok {
			return fmt.Errorf("--chain-listen %q: want tcp://host:port", c.listen)
		}
		if _, _, err := net.SplitHostPort(host); err != nil {
			return fmt.Errorf("--chain-listen %q: %w", c.listen, err)
		}
	}
	if c.blockInterval < 10*time.Millisecond || c.blockInterval > time.Minute {
		return fmt.Errorf("--block-interval %s: must be between 10ms and 1m", c.blockInterval)
	}
	return nil
}

func (c config) validate() error {
	if c.dataDir == "" {
		return errors.New("--data must not be empty")
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return fmt.Errorf("--addr %q: %w", c.addr, err)
	}
	if c.logFormat != "text" && c.logFormat != "json" {
		return fmt.Errorf("--log-format %q: want text or json", c.logFormat)
	}
	if c.shutdownTimeout <= 0 {
		return fmt.Errorf("--shutdown-timeout %s: must be positive", c.shutdownTimeout)
	}
	if c.publicURL != "" {
		u, err := url.Parse(c.publicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
			return fmt.Errorf("--public-url %q: want the node's origin, e.g. https://talent.example.edu.cn", c.publicURL)
		}
	}
	if c.redisURL != "" {
		if _, err := redisConfig(c.redisURL); err != nil {
			return err
		}
	}
	if c.batchDelay < time.Millisecond || c.batchDelay > 10*time.Second {
		return fmt.Errorf("--batch-delay %s: must be between 1ms and 10s", c.batchDelay)
	}
	if err := c.ui.Validate(); err != nil {
		return fmt.Errorf("--max-body: %w", err)
	}
	return c.chain.validate()
}

// app is the wired node: the HTTP handler, its readiness, and what must be
// closed on shutdown.
type app struct {
	handler http.Handler
	ready   atomic.Bool    // the HTTP server is taking requests
	chainUp atomic.Bool    // the chain node answers with initialised state
	closers []func() error // closed in reverse order

	chain   *chain.Client // the services' view of the chain
	chainID string
	node    *chain.Node // the embedded node; nil with --chain-rpc

	store     store.Store
	gov       issuer.Governance // nil with --chain-rpc
	issuer    *issuer.Service
	courses   *courses.Service
	holders   HolderAccounts // the wallet's accounts, for the demo; nil: none
	recovered atomic.Bool    // the issuer finished recovering the previous run
}

// isReady is what /healthz reports: serving, and the chain is up.
func (a *app) isReady() bool { return a.ready.Load() && a.chainUp.Load() }

// close closes the services, last built first.
func (a *app) close() error {
	var errs []error
	for _, c := range slices.Backward(a.closers) {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// build constructs the node's services from cfg, in dependency order, and the
// HTTP handler over them. It is the one place where services are wired; the
// data folder exists when it runs; ctx bounds the start-up of services that
// need one (the store, the chain node). On error, whatever was opened is closed.
// The store is opened first and closed last.
func build(ctx context.Context, cfg config, log *slog.Logger) (*app, error) {
	a := &app{}
	fail := func(err error) (*app, error) { return nil, errors.Join(err, a.close()) }
	if cfg.publicURL == "" {
		cfg.publicURL = "http://" + cfg.addr
	}
	if err := os.MkdirAll(cfg.dataDir, 0o700); err != nil {
		return fail(fmt.Errorf("data folder: %w", err))
	}

	st, err := openStore(ctx, cfg, log)
	if err != nil {
		return fail(err)
	}
	a.store = st
	a.closers = append(a.closers, st.Close)

	if err := a.openChain(ctx, cfg, log); err != nil {
		return fail(err)
	}
	loader, err := newLoader(cfg)
	if err != nil {
		return fail(err)
	}
	if err := a.openServices(cfg, st, loader, log); err != nil {
		return fail(err)
	}
	holderWallet, err := a.openWallet(cfg, st, loader, log)
	if err != nil {
		return fail(err)
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		if !a.recoverServices(rctx, log) {
			return
		}
		if cfg.demo {
			sctx, scancel := context.WithTimeout(rctx, 2*time.Minute)
			if err := a.seedDemo(sctx, cfg, log); err != nil {
				log.Error("demo seed failed", slog.String("error", err.Error()))
			}
			scancel()
		}
		a.retryCompletions(rctx, completionRetryEvery, log)
	}()
	a.closers = append(a.closers, func() error { cancel(); <-done; return nil })

	verifier := cfg.verifier
	if verifier == nil {
		v, err := newVerifier(loader, chainResolver{a.chain})
		if err != nil {
			return fail(err)
		}
		verifier = v
	}

	adminToken, err := loadAdminToken(cfg.dataDir, os.Getenv("TALENTCHAIN_ADMIN_TOKEN"))
	if err != nil {
		return fail(err)
	}
	var gov ui.Governance
	if a.gov != nil {
		gov = a.gov
	}
	auditLog, err := audit.New(store.WithPrefix(st, auditPrefix))
	if err != nil {
		return fail(err)
	}
	// Pages show times in Beijing time unless --timezone names a zone.
	if cfg.location != nil && cfg.location != time.UTC {
		i18n.SetLocation(cfg.location)
	}
	h, err := ui.New(cfg.ui, verifier, a.isReady, log,
		ui.WithChecks(a.checks(cfg)),
		ui.WithDIDResolver(didResolver{a.chain}),
		ui.WithIssuer(a.issuer),
		ui.WithCourses(a.courses),
		ui.WithBatches(a.issuer),
		ui.WithOffers(a.issuer),
		ui.WithAdmin(adminToken, a.issuer, gov, ui.AdminAudit(auditLog)),
		ui.WithVerifying(a.verifying(cfg, loader, st, log)),
		ui.WithWallet(holderWallet, walletSecure(cfg.publicURL)),
		ui.WithWeb(ui.WebConfig{
			Sessions:  store.WithPrefix(st, "web/"),
			Secure:    walletSecure(cfg.publicURL),
			PublicURL: cfg.publicURL,
			Wallet:    holderWallet,
			Offers:    a.issuer,
			Chain:     a.chain,
			// Blocks and validators come from the node's RPC: the remote
			// node's, or the embedded node's in process.
			ChainStatus: func() ui.ChainStatus {
				if a.node != nil {
					return ui.CometStatus(a.node.RPC())
				}
				addr := cfg.chain.remote
				if addr == "" && cfg.chain.listen != "" {
					addr = "http://" + strings.TrimPrefix(cfg.chain.listen, "tcp://")
				}
				if addr == "" {
					return nil
				}
				rpc, err := rpchttp.NewWithTimeout(addr, "/websocket", remoteRPCTimeoutSeconds)
				if err != nil {
					log.Warn("chain page: no RPC client", slog.String("rpc", addr), slog.String("error", err.Error()))
					return nil
				}
				return ui.CometStatus(rpc)
			}(),
		}))
	if err != nil {
		return fail(fmt.Errorf("web layer: %w", err))
	}
	a.handler = h
	return a, nil
}

// checks are the dependencies /healthz probes: a small write to the store
// (a full or read-only disk fails it, as does a Redis that is down) and a
// governance read from the chain.
func (a *app) checks(cfg config) map[string]ui.Check {
	return map[string]ui.Check{
		"store": func(ctx context.Context) error {
			if cfg.redisURL == "" {
				// A small write may fit in the file's free pages: ask the disk.
				if err := diskRoom(filepath.Join(cfg.dataDir, storeFile), minFreeDisk); err != nil {
					return err
				}
			}
			return a.store.Put(ctx, "health/probe", []byte(time.Now().UTC().Format(time.RFC3339)), time.Minute)
		},
		"chain": func(ctx context.Context) error {
			_, err := a.chain.Governance(ctx)
			return err
		},
	}
}

// minFreeDisk is the room the embedded store's disk must have for /healthz
// to call the store up.
const minFreeDisk = 1 << 20

// diskRoom fails when the disk holding path (a symbolic link is followed)
// has less than min bytes free for the node, or is mounted read-only.
func diskRoom(path string, min uint64) error {
	if p, err := filepath.EvalSymlinks(path); err == nil {
		path = p
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(filepath.Dir(path), &fs); err != nil {
		return fmt.Errorf("disk of %s: %w", path, err)
	}
	const stRdonly = 0x1 // ST_RDONLY of statfs(2)
	if fs.Flags&stRdonly != 0 {
		return fmt.Errorf("disk of %s: %w", path, syscall.EROFS)
	}
	if free := fs.Bavail * uint64(fs.Bsize); free < min {
		return fmt.Errorf("disk of %s: %d bytes free: %w", path, free, syscall.ENOSPC)
	}
	return nil
}

// newLoader returns the JSON-LD contexts the node trusts: the embedded ones
// plus the operator's (--contexts).
func newLoader(cfg config) (*credential.Loader, error) {
	var extra []string
	if cfg.contextsDir != "" {
		extra = append(extra, cfg.contextsDir)
	}
	loader, err := credential.NewLoader(extra...)
	if err != nil {
		return nil, fmt.Errorf("JSON-LD contexts: %w", err)
	}
	return loader, nil
}

// newVerifier constructs the credential verifier: the given contexts, did:key
// resolution, and issuer DIDs from chain state.
func newVerifier(loader *credential.Loader, issuers credential.Resolver) (*credential.Verifier, error) {
	v, err := credential.NewVerifier(credential.VerifierConfig{
		Loader:   loader,
		Resolver: credential.Resolvers{credential.KeyResolver{}, issuers},
	})
	if err != nil {
		return nil, fmt.Errorf("credential verifier: %w", err)
	}
	return v, nil
}

// openChain connects the services to the chain: it starts the embedded
// single-validator node under <data>/chain (on first start it writes the
// genesis and a governance key, mode 0600, that the node holds locally), or
// with --chain-rpc makes a client of a remote node whose proofs are checked
// against headers signed by the --chain-genesis validators. Either
// way a watcher marks the chain up once it answers with initialised state.
func (a *app) openChain(ctx context.Context, cfg config, log *slog.Logger) error {
	if cfg.chain.remote != "" {
		c, err := cfg.chain.remoteClient()
		if err != nil {
			return err
		}
		a.chain = c
		if a.chainID, err = cfg.chain.remoteChainID(ctx); err != nil {
			return err
		}
		log.Info("using a remote chain node", slog.String("rpc", cfg.chain.remote), slog.String("genesis", cfg.chain.genesis), slog.Bool("trustNode", cfg.chain.trustNode))
	} else {
		n, err := chain.StartNode(ctx, chain.NodeConfig{
			Home:          filepath.Join(cfg.dataDir, "chain"),
			RPCAddress:    cfg.chain.listen,
			P2PAddress:    cfg.chain.p2p,
			BlockInterval: cfg.chain.blockInterval,
			Logger:        log.With(slog.String("component", "chain")),
		})
		if err != nil {
			return fmt.Errorf("embedded chain node: %w", err)
		}
		a.closers = append(a.closers, n.Stop)
		a.node, a.chain, a.chainID = n, n.Client(), n.ChainID()
	}

	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		a.watchChain(wctx, log)
	}()
	a.closers = append(a.closers, func() error { cancel(); <-done; return nil })
	return nil
}

// watchChain marks the chain up once it answers a governance query: the
// genesis state is committed (and, for a remote node, proved).
func (a *app) watchChain(ctx context.Context, log *slog.Logger) {
	warned := false
	for {
		_, err := a.chain.Governance(ctx)
		if err == nil {
			a.chainUp.Store(true)
			log.Info("chain ready")
			return
		}
		if ctx.Err() != nil {
			return
		}
		if !warned && !errors.Is(err, chain.ErrNotFound) {
			log.Warn("chain node not answering yet", slog.String("error", err.Error()))
			warned = true
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
}
