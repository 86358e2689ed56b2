// Command talentchain is TalentChain's one binary: `talentchain serve` runs the
// all-in-one node (web UI and APIs, embedded store and chain), and the other
// subcommands administer and script it. Run `talentchain help` for the list.
//
// This package is the only place that wires things: flags and environment
// become a config, build (wire.go) turns the config into adapters, services
// and the HTTP handler.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	_ "time/tzdata" // --timezone works on machines without a zoneinfo database
)

// command is one subcommand. run parses its own flags from args.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, env *env, args []string) error
}

// env is what a command may touch of the process: its streams and environment.
type env struct {
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

// usageError is a command line that cannot be run; the process exits 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// commands lists the subcommands in the order help shows them.
func commands() []command {
	return []command{
		{name: "serve", summary: "run the node: web UI and APIs on one port, data on disk", run: serveCommand},
		{name: "node", summary: "run one validator of a consortium network, from a home written by testnet", run: nodeCommand},
		{name: "testnet", summary: "write the homes of an N-validator network on one host (keys, genesis, peers, ports)", run: testnetCommand},
		{name: "gov", summary: "gov register|accredit|withdraw|suspend|reinstate|remove|rotate-key: governance transactions to a chain node", run: govCommand},
		{name: "issue-batch", summary: "issue a class from a CSV file through a node's API: dry run first, then a progress bar", run: issueBatchCommand},
		{name: "fsck", summary: "check that the store and the chain agree (--repair fixes what it can): exit 0 clean, 1 problems, 2 repair failed", run: fsckCommand},
		{name: "key", summary: "key new: print a new Ed25519 key pair with its did:key", run: keyCommand},
		{name: "vc", summary: "vc sign | vc verify: sign a credential, or verify one (exit 0 valid, 1 not, 2 unusable)", run: vcCommand},
		{name: "help", summary: "list the commands, or show one command's flags", run: helpCommand},
	}
}

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	os.Exit(run(context.Background(), e, os.Args[1:]))
}

// run dispatches args to a subcommand and returns the process exit code: 0 on
// success or help, 2 on a usage error, 1 on any other failure.
func run(ctx context.Context, e *env, args []string) int {
	err := dispatch(ctx, e, args)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, new(*exitError)):
		var ee *exitError
		errors.As(err, &ee)
		if ee.code != 1 || !strings.Contains(err.Error(), "not verified") {
			fmt.Fprintf(e.stderr, "talentchain: %v\n", err)
		}
		return ee.code
	case errors.As(err, new(*usageError)):
		fmt.Fprintf(e.stderr, "talentchain: %v\n", err)
		return 2
	default:
		fmt.Fprintf(e.stderr, "talentchain: %v\n", err)
		return 1
	}
}

func dispatch(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		printUsage(e.stderr)
		return &usageError{msg: "no command given"}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		printUsage(e.stdout)
		return nil
	}
	for _, c := range commands() {
		if c.name == args[0] {
			return c.run(ctx, e, args[1:])
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q; run 'talentchain help'", args[0])}
}

func printUsage(w io.Writer) {
	fmt.Fprintln(w, "TalentChain: verifiable talent credentials on a consortium chain.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: talentchain <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'talentchain <command> -h' for a command's flags.")
}

// helpCommand lists the commands, or shows the flags of the one named.
func helpCommand(ctx context.Context, e *env, args []string) error {
	switch len(args) {
	case 0:
		printUsage(e.stdout)
		return nil
	case 1:
		if args[0] == "help" {
			printUsage(e.stdout)
			return nil
		}
		for _, c := range commands() {
			if c.name == args[0] {
				help := *e
				help.stderr = e.stdout // asked for, so not an error stream
				return c.run(ctx, &help, []string{"-h"})
			}
		}
		return &usageError{msg: fmt.Sprintf("unknown command %q", args[0])}
	default:
		return &usageError{msg: "usage: talentchain help [command]"}
	}
}

// newFlagSet returns a flag set for a subcommand that reports errors instead of
// exiting, with a usage text naming the command.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: talentchain %s %s\n\nFlags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parseFlags applies the environment variables named in envVars (flag name →
// variable) and then args, so a flag given on the command line wins over the
// environment, which wins over the default.
func parseFlags(fs *flag.FlagSet, e *env, envVars map[string]string, args []string) error {
	for name, variable := range envVars {
		if v := e.getenv(variable); v != "" {
			if err := fs.Set(name, v); err != nil {
				return &usageError{msg: fmt.Sprintf("%s=%q: %v", variable, v, err)}
			}
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &usageError{msg: err.Error()}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("%s: unexpected arguments: %s", fs.Name(), strings.Join(fs.Args(), " "))}
	}
	return nil
}
