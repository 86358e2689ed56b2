// Command tcload is TalentChain's load generator: run as a second process
// against a running `talentchain serve` (usually on loopback), it sends
// verification, issuance and wallet traffic at a fixed concurrency or a fixed
// rate for a given time, and prints requests per second, latency percentiles
// (p50, p90, p99, max) and errors by status, as text or as JSON for
// docs/performance.md (cmd/benchreport).
//
//	tcload -url http://127.0.0.1:8080 -data ./talentchain-data -mode verify -c 16 -d 30s
//	tcload -url ... -data ... -mode mixed -mix verify=80,wallet=15,issue=5 -rate 400 -d 5m -json out.json
//	tcload -url ... -data ... -distinct 200 -unique -server-pid $(pgrep -n talentchain)
//
// -distinct N issues N credentials first and verifies them in turn; -unique
// gives each request's credential different bytes (white space inside it),
// so a server cache keyed by the credential's bytes never answers: the two
// keep a run from measuring only a server's caches. -server-pid reads the
// server's CPU time from /proc for the measured window and reports requests
// per server CPU-second.
//
// The traffic uses the demo that `talentchain serve --demo` writes in
// <data>/demo.json: its first credential (with its anchor receipt) is
// verified, its first issuer issues master's degrees to the demo holders,
// and the demo holders log in and list their wallets.
//
// In rate mode (-rate > 0) requests are scheduled at fixed times and each
// latency is measured from its scheduled time, so a stalled server shows as
// latency rather than as fewer requests (no coordinated omission); -c then
// bounds the requests in flight, and a request that finds no free worker
// when its time comes counts as "late".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tcload:", err)
		var ue *usageError
		if errors.As(err, &ue) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// usageError is a command line that cannot be run.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// run parses args, runs the load and writes the report.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tcload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg Config
	var jsonOut string
	var failOnError bool
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "base URL of the node")
	fs.StringVar(&cfg.Data, "data", "./talentchain-data", "the node's data folder (for demo.json and the demo credentials)")
	fs.StringVar(&cfg.Mode, "mode", "verify", "verify (POST /credentials/verify) or mixed (see -mix)")
	fs.StringVar(&cfg.Mix, "mix", "verify=80,wallet=15,issue=5", "mixed mode: weights of verify, wallet (GET /wallet/credentials) and issue (POST /credentials/issue)")
	fs.IntVar(&cfg.Concurrency, "c", 16, "concurrent clients (closed loop); with -rate, the most requests in flight")
	fs.Float64Var(&cfg.Rate, "rate", 0, "requests per second (open loop); 0 = as fast as -c clients go")
	fs.DurationVar(&cfg.Duration, "d", 30_000_000_000, "how long to measure")
	fs.DurationVar(&cfg.Warmup, "warmup", 2_000_000_000, "load before measuring (not counted)")
	fs.DurationVar(&cfg.Timeout, "timeout", 10_000_000_000, "timeout of one request")
	fs.IntVar(&cfg.Distinct, "distinct", 0, "verify mode: issue this many credentials before the warm-up (demo issuer) and verify them in turn")
	fs.BoolVar(&cfg.Unique, "unique", false, "give every verification request's credential different bytes (white space), so no cache keyed by them answers")
	fs.IntVar(&cfg.ServerPID, "server-pid", 0, "the server's process id on this machine: report its CPU time during the measured window")
	fs.StringVar(&jsonOut, "json", "", "also write the report as JSON to this file (- = stdout, instead of the text)")
	fs.BoolVar(&failOnError, "fail-on-error", false, "exit 1 when any request failed")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return &usageError{err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{fmt.Sprintf("unexpected arguments %q", fs.Args())}
	}
	if err := cfg.validate(); err != nil {
		return &usageError{err.Error()}
	}
	rep, err := Run(ctx, cfg)
	if err != nil {
		return err
	}
	if jsonOut == "-" {
		if err := rep.WriteJSON(stdout); err != nil {
			return err
		}
	} else {
		rep.WriteText(stdout)
		if jsonOut != "" {
			f, err := os.Create(jsonOut)
			if err != nil {
				return fmt.Errorf("json report: %w", err)
			}
			if err := rep.WriteJSON(f); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return fmt.Errorf("json report: %w", err)
			}
		}
	}
	if failOnError && rep.Failed > 0 {
		return fmt.Errorf("%d of %d requests failed: %v", rep.Failed, rep.Requests, rep.Errors)
	}
	return nil
}
