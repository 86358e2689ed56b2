package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"
)

// serveEnv maps serve's flags to the environment variables that set them.
var serveEnv = map[string]string{
	"data":             "TALENTCHAIN_DATA",
	"addr":             "TALENTCHAIN_ADDR",
	"log-format":       "TALENTCHAIN_LOG_FORMAT",
	"log-level":        "TALENTCHAIN_LOG_LEVEL",
	"contexts":         "TALENTCHAIN_CONTEXTS",
	"max-body":         "TALENTCHAIN_MAX_BODY",
	"max-upload":       "TALENTCHAIN_MAX_UPLOAD",
	"shutdown-timeout": "TALENTCHAIN_SHUTDOWN_TIMEOUT",
	"chain-rpc":        "TALENTCHAIN_CHAIN_RPC",
	"chain-genesis":    "TALENTCHAIN_CHAIN_GENESIS",
	"chain-listen":     "TALENTCHAIN_CHAIN_LISTEN",
	"block-interval":   "TALENTCHAIN_BLOCK_INTERVAL",
	"redis":            "TALENTCHAIN_REDIS",
	"public-url":       "TALENTCHAIN_PUBLIC_URL",
	"batch-delay":      "TALENTCHAIN_BATCH_DELAY",
	"timezone":         "TALENTCHAIN_TIMEZONE",
	"chain-id":         "TALENTCHAIN_CHAIN_ID",
}

// serveCommand runs the node until SIGINT or SIGTERM.
func serveCommand(ctx context.Context, e *env, args []string) error {
	cfg, err := parseServe(e, args)
	if err != nil {
		return err
	}
	log := newLogger(e.stderr, cfg.logFormat, cfg.logLevel)
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := runServe(ctx, cfg, log); err != nil {
		log.Error("serve failed", slog.String("error", err.Error()))
		return err
	}
	return nil
}

// parseServe turns serve's flags and environment into a config.
func parseServe(e *env, args []string) (config, error) {
	cfg := defaultConfig()
	fs := newFlagSet(e, "serve", "[--data DIR] [--addr HOST:PORT] [flags]")
	fs.StringVar(&cfg.dataDir, "data", cfg.dataDir, "data `folder`, created with mode 0700 if missing (env TALENTCHAIN_DATA)")
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "`host:port` to serve the UI and APIs on (env TALENTCHAIN_ADDR)")
	fs.StringVar(&cfg.logFormat, "log-format", cfg.logFormat, "log `format`: text or json (env TALENTCHAIN_LOG_FORMAT)")
	fs.TextVar(&cfg.logLevel, "log-level", cfg.logLevel, "log `level`: debug, info, warn or error (env TALENTCHAIN_LOG_LEVEL)")
	fs.StringVar(&cfg.contextsDir, "contexts", cfg.contextsDir, "`folder` of extra JSON-LD context files to trust, besides the embedded ones (env TALENTCHAIN_CONTEXTS)")
	fs.Int64Var(&cfg.ui.MaxBodyBytes, "max-body", cfg.ui.MaxBodyBytes, "largest request body in `bytes` (env TALENTCHAIN_MAX_BODY)")
	fs.Int64Var(&cfg.ui.MaxUploadBytes, "max-upload", cfg.ui.MaxUploadBytes, "largest file upload (a CSV class) in `bytes` (env TALENTCHAIN_MAX_UPLOAD)")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", cfg.shutdownTimeout, "how long to let requests finish on SIGINT/SIGTERM (env TALENTCHAIN_SHUTDOWN_TIMEOUT)")
	fs.StringVar(&cfg.chain.remote, "chain-rpc", cfg.chain.remote, "CometBFT RPC `URL` of a chain node to use instead of the embedded one, e.g. http://10.0.0.5:26657; needs --chain-genesis or --chain-trust-node (env TALENTCHAIN_CHAIN_RPC)")
	fs.StringVar(&cfg.chain.genesis, "chain-genesis", cfg.chain.genesis, "the chain's genesis `file`: with --chain-rpc, the node's answers must be signed by its validators (env TALENTCHAIN_CHAIN_GENESIS)")
	fs.BoolVar(&cfg.chain.trustNode, "chain-trust-node", cfg.chain.trustNode, "with --chain-rpc, trust the node's headers without checking signatures (a node you run)")
	fs.StringVar(&cfg.chain.listen, "chain-listen", cfg.chain.listen, "`tcp://host:port` for the embedded node's CometBFT RPC, used by 'talentchain gov'; empty for none (env TALENTCHAIN_CHAIN_LISTEN)")
	fs.DurationVar(&cfg.chain.blockInterval, "block-interval", cfg.chain.blockInterval, "embedded node: pause after each block; blocks are made only for transactions (env TALENTCHAIN_BLOCK_INTERVAL)")
	fs.StringVar(&cfg.chain.chainID, "chain-id", cfg.chain.chainID, "with --chain-rpc, the network's chain `id`; by default read from --chain-genesis or from the node (env TALENTCHAIN_CHAIN_ID)")
	fs.StringVar(&cfg.redisURL, "redis", cfg.redisURL, "keep records in Redis at `redis://[user:password@]host:port[/db][?prefix=p]` instead of the embedded store, so that several replicas share them (env TALENTCHAIN_REDIS)")
	fs.StringVar(&cfg.publicURL, "public-url", cfg.publicURL, "the node's public `origin` as holders and verifiers reach it, e.g. https://talent.example.edu.cn; default http://<addr> (env TALENTCHAIN_PUBLIC_URL)")
	fs.DurationVar(&cfg.batchDelay, "batch-delay", cfg.batchDelay, "how long the issuer waits to fill an anchoring batch before writing it on chain (env TALENTCHAIN_BATCH_DELAY)")
	fs.Func("timezone", "time `zone` of calendar dates such as course completions (default UTC) and of the times the pages show (default Beijing time), e.g. Asia/Shanghai (env TALENTCHAIN_TIMEZONE)", func(v string) error {
		loc, err := time.LoadLocation(v)
		if err != nil {
			return fmt.Errorf("unknown time zone %q", v)
		}
		cfg.location = loc
		return nil
	})
	fs.BoolVar(&cfg.demo, "demo", cfg.demo, "on an empty data folder, create a demo: a talent-policy office, an accredited university and science park with courses and issued credentials; logins in <data>/demo.json")
	if err := parseFlags(fs, e, serveEnv, args); err != nil {
		return config{}, err
	}
	if err := cfg.validate(); err != nil {
		return config{}, &usageError{msg: "serve: " + err.Error()}
	}
	return cfg, nil
}

// newLogger returns the process logger: JSON or text lines on w.
func newLogger(w io.Writer, format string, level slog.Level) *slog.Logger {
	opts := &slog.HandlerOptions{Level: level}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// runServe prepares the data folder, wires the node, listens on cfg.addr and
// serves until ctx ends.
func runServe(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := prepareDataDir(cfg.dataDir, log); err != nil {
		return err
	}
	a, err := build(ctx, cfg, log)
	if err != nil {
		return fmt.Errorf("build: %w", err)
	}
	ln, err := net.Listen("tcp", cfg.addr)
	if err != nil {
		return errors.Join(fmt.Errorf("listen: %w", err), a.close())
	}
	return serveOn(ctx, ln, a, cfg.shutdownTimeout, log)
}

// serveOn serves a on ln until ctx ends, then stops taking requests, lets the
// running ones finish within timeout and closes the services.
func serveOn(ctx context.Context, ln net.Listener, a *app, timeout time.Duration, log *slog.Logger) error {
	srv := &http.Server{
		Handler:           a.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      2 * time.Minute,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	a.ready.Store(true)
	log.Info("talentchain serving", slog.String("addr", ln.Addr().String()), slog.String("url", "http://"+ln.Addr().String()+"/"))

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", slog.String("cause", context.Cause(ctx).Error()), slog.Duration("timeout", timeout))
	case serveErr = <-served:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	}
	a.ready.Store(false)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), timeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("shutdown: %w", err))
	}
	if err := a.close(); err != nil {
		serveErr = errors.Join(serveErr, fmt.Errorf("close services: %w", err))
	}
	if serveErr == nil {
		log.Info("stopped")
	}
	return serveErr
}

// prepareDataDir creates the data folder with mode 0700, and warns when an
// existing one is open to other users.
func prepareDataDir(dir string, log *slog.Logger) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("data folder %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data folder %s is not a folder", abs)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		log.Warn("data folder is readable by other users; chmod 700 it", slog.String("data", abs), slog.String("mode", fi.Mode().Perm().String()))
	}
	log.Info("data folder", slog.String("data", abs))
	return nil
}
