package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui"
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
	}
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
	if err := c.ui.Validate(); err != nil {
		return fmt.Errorf("--max-body: %w", err)
	}
	return nil
}

// app is the wired node: the HTTP handler, its readiness, and what must be
// closed on shutdown.
type app struct {
	handler http.Handler
	ready   atomic.Bool
	closers []func() error // closed in reverse order
}

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
//
// Still to come here, in this order:
//   - the embedded store (store/, bbolt) opened under cfg.dataDir, closed last:
//     open it first, append its Close to a.closers, and hand it to the services;
//   - the embedded chain node (chain/) under cfg.dataDir, and a resolver of
//     issuer DIDs from chain state to add to the verifier's resolvers.
func build(ctx context.Context, cfg config, log *slog.Logger) (*app, error) {
	a := &app{}
	fail := func(err error) (*app, error) { return nil, errors.Join(err, a.close()) }

	verifier := cfg.verifier
	if verifier == nil {
		v, err := newVerifier(cfg)
		if err != nil {
			return fail(err)
		}
		verifier = v
	}

	h, err := ui.New(cfg.ui, verifier, a.ready.Load, log)
	if err != nil {
		return fail(fmt.Errorf("web layer: %w", err))
	}
	a.handler = h
	return a, nil
}

// newVerifier constructs the credential verifier: the embedded JSON-LD contexts
// plus the operator's, and did:key resolution. Issuer DIDs on chain join the
// resolvers when the chain is wired.
func newVerifier(cfg config) (*credential.Verifier, error) {
	var extra []string
	if cfg.contextsDir != "" {
		extra = append(extra, cfg.contextsDir)
	}
	loader, err := credential.NewLoader(extra...)
	if err != nil {
		return nil, fmt.Errorf("JSON-LD contexts: %w", err)
	}
	v, err := credential.NewVerifier(credential.VerifierConfig{
		Loader:   loader,
		Resolver: credential.Resolvers{credential.KeyResolver{}},
	})
	if err != nil {
		return nil, fmt.Errorf("credential verifier: %w", err)
	}
	return v, nil
}
