package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// fsckEnv maps fsck's flags to the environment variables serve reads too, so
// that fsck run in serve's environment checks serve's data.
var fsckEnv = map[string]string{
	"data":          "TALENTCHAIN_DATA",
	"redis":         "TALENTCHAIN_REDIS",
	"chain-rpc":     "TALENTCHAIN_CHAIN_RPC",
	"chain-genesis": "TALENTCHAIN_CHAIN_GENESIS",
	"chain-id":      "TALENTCHAIN_CHAIN_ID",
	"addr":          "TALENTCHAIN_ADDR",
	"public-url":    "TALENTCHAIN_PUBLIC_URL",
	"contexts":      "TALENTCHAIN_CONTEXTS",
}

// Exit codes of fsck.
const (
	fsckClean       = 0 // nothing found
	fsckProblems    = 1 // problems found (with --repair: all repairable ones repaired)
	fsckRepairError = 2 // a repair failed or left a repairable problem
)

// fsckCommand checks that the store and the chain agree, and with --repair
// repairs what it can. Exit 0: clean; 1: problems found (and, with
// --repair, repaired where possible); 2: a repair failed.
func fsckCommand(ctx context.Context, e *env, args []string) error {
	cfg := defaultConfig()
	var repair, asJSON bool
	jobWait := 10 * time.Minute
	fs := newFlagSet(e, "fsck", "[--repair] [--json] --data DIR [--redis URL] [--chain-rpc URL (--chain-genesis FILE | --chain-trust-node)]")
	fs.StringVar(&cfg.dataDir, "data", cfg.dataDir, "serve's data `folder` (env TALENTCHAIN_DATA)")
	fs.StringVar(&cfg.redisURL, "redis", cfg.redisURL, "check the records in this Redis `URL` instead of <data>/store.db (env TALENTCHAIN_REDIS)")
	fs.StringVar(&cfg.chain.remote, "chain-rpc", cfg.chain.remote, "CometBFT RPC `URL` of a chain node; default: start the embedded node of <data>/chain (serve must be stopped) (env TALENTCHAIN_CHAIN_RPC)")
	fs.StringVar(&cfg.chain.genesis, "chain-genesis", cfg.chain.genesis, "with --chain-rpc, the network's genesis `file` (env TALENTCHAIN_CHAIN_GENESIS)")
	fs.BoolVar(&cfg.chain.trustNode, "chain-trust-node", cfg.chain.trustNode, "with --chain-rpc, trust the node's answers (a node you run)")
	fs.StringVar(&cfg.chain.chainID, "chain-id", cfg.chain.chainID, "with --chain-rpc, the network's chain `id` (env TALENTCHAIN_CHAIN_ID)")
	fs.StringVar(&cfg.addr, "addr", cfg.addr, "serve's `host:port`, for the default --public-url (env TALENTCHAIN_ADDR)")
	fs.StringVar(&cfg.publicURL, "public-url", cfg.publicURL, "serve's public `origin`: credentials a resumed CSV job issues name their status lists under it (env TALENTCHAIN_PUBLIC_URL)")
	fs.StringVar(&cfg.contextsDir, "contexts", cfg.contextsDir, "`folder` of extra JSON-LD contexts, as given to serve (env TALENTCHAIN_CONTEXTS)")
	fs.BoolVar(&repair, "repair", false, "repair what can be repaired, then check again")
	fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
	fs.DurationVar(&jobWait, "job-wait", jobWait, "with --repair, how long to wait for resumed CSV jobs")
	if err := parseFlags(fs, e, fsckEnv, args); err != nil {
		return err
	}
	if cfg.publicURL == "" {
		cfg.publicURL = "http://" + cfg.addr
	}
	if err := cfg.chain.validateRemote(); err != nil {
		return &usageError{msg: "fsck: " + err.Error()}
	}
	if cfg.redisURL != "" {
		if _, err := redisConfig(cfg.redisURL); err != nil {
			return &usageError{msg: "fsck: " + err.Error()}
		}
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	rep, err := runFsck(ctx, cfg, fsckOptions{repair: repair, jobWait: jobWait}, log)
	if rep != nil {
		if asJSON {
			enc := json.NewEncoder(e.stdout)
			enc.SetIndent("", "  ")
			if werr := enc.Encode(rep); werr != nil {
				return werr
			}
		} else {
			rep.print(e.stdout)
		}
	}
	if err != nil {
		return &exitError{code: fsckRepairError, err: fmt.Errorf("fsck: %w", err)}
	}
	switch rep.ExitCode {
	case fsckClean:
		return nil
	case fsckProblems:
		return &exitError{code: fsckProblems, err: fmt.Errorf("fsck: %d problems found", len(rep.Problems))}
	default:
		return &exitError{code: rep.ExitCode, err: fmt.Errorf("fsck: %d problems remain after the repair", len(rep.Remaining))}
	}
}

type fsckOptions struct {
	repair  bool
	jobWait time.Duration
}

// fsckProblem is one problem of the report, of any part.
type fsckProblem struct {
	Part       string `json:"part"` // issuer, wallet or audit
	Kind       string `json:"kind"`
	Key        string `json:"key"`
	Detail     string `json:"detail"`
	Repairable bool   `json:"repairable"`
}

// fsckReport is what fsck prints.
type fsckReport struct {
	Store       string        `json:"store"`
	Chain       string        `json:"chain"`
	Repair      bool          `json:"repair"`
	Orgs        int           `json:"orgs"`
	Credentials int           `json:"credentials"`
	Anchors     int           `json:"anchors"`
	Jobs        int           `json:"jobs"`
	Wallets     int           `json:"wallets"`
	AuditLog    *audit.Report `json:"auditLog,omitempty"`
	Problems    []fsckProblem `json:"problems"`
	Repaired    int           `json:"repaired"`
	Remaining   []fsckProblem `json:"remaining"`
	ExitCode    int           `json:"exitCode"`
	Took        string        `json:"took"`
}

func (r *fsckReport) print(w io.Writer) {
	fmt.Fprintf(w, "talentchain fsck: store %s, chain %s\n", r.Store, r.Chain)
	fmt.Fprintf(w, "checked %d organisations, %d credentials, %d anchors on chain, %d CSV jobs, %d wallet accounts", r.Orgs, r.Credentials, r.Anchors, r.Jobs, r.Wallets)
	if r.AuditLog != nil {
		fmt.Fprintf(w, ", %d audit entries (head %d %.16s…)", r.AuditLog.Entries, r.AuditLog.HeadSeq, r.AuditLog.HeadHash)
	}
	fmt.Fprintf(w, " in %s\n", r.Took)
	if len(r.Problems) == 0 {
		fmt.Fprintln(w, "clean: the store and the chain agree")
		return
	}
	counts := map[string]int{}
	var order []string
	for _, p := range r.Problems {
		k := p.Part + "/" + p.Kind
		if counts[k] == 0 {
			order = append(order, k)
		}
		counts[k]++
	}
	fmt.Fprintf(w, "%d problems:\n", len(r.Problems))
	for _, k := range order {
		fmt.Fprintf(w, "  %-40s %d\n", k, counts[k])
	}
	const show = 20
	for i, p := range r.Problems {
		if i == show {
			fmt.Fprintf(w, "  … and %d more (--json lists all)\n", len(r.Problems)-show)
			break
		}
		fix := "report only"
		if p.Repairable {
			fix = "repairable"
		}
		fmt.Fprintf(w, "  - %s/%s %s: %s [%s]\n", p.Part, p.Kind, p.Key, p.Detail, fix)
	}
	if !r.Repair {
		fmt.Fprintln(w, "run again with --repair to repair what is repairable")
		return
	}
	fmt.Fprintf(w, "repaired %d; %d remain\n", r.Repaired, len(r.Remaining))
	for _, p := range r.Remaining {
		fmt.Fprintf(w, "  - %s/%s %s: %s\n", p.Part, p.Kind, p.Key, p.Detail)
	}
}

// runFsck opens the store and the chain as serve would, and checks (and
// repairs) the issuer's records, the wallets' indexes and the audit log.
// The report is returned even with an error, as far as it got.
func runFsck(ctx context.Context, cfg config, opts fsckOptions, log *slog.Logger) (*fsckReport, error) {
	start := time.Now()
	rep := &fsckReport{Repair: opts.repair, Problems: []fsckProblem{}, Remaining: []fsckProblem{}}
	st, deadLeases, err := openFsckStore(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	rep.Store = "embedded " + filepath.Join(cfg.dataDir, storeFile)
	if cfg.redisURL != "" {
		rc, _ := redisConfig(cfg.redisURL)
		rep.Store = "redis " + rc.Addr
	}

	var ch *chain.Client
	var chainID string
	if cfg.chain.remote != "" {
		if ch, err = cfg.chain.remoteClient(); err != nil {
			return nil, err
		}
		if chainID, err = cfg.chain.remoteChainID(ctx); err != nil {
			return nil, err
		}
		rep.Chain = cfg.chain.remote
	} else {
		home := filepath.Join(cfg.dataDir, "chain")
		if _, err := os.Stat(filepath.Join(home, "config", "genesis.json")); err != nil {
			return nil, fmt.Errorf("no embedded chain node in %s (%w): give --chain-rpc", home, err)
		}
		sctx, cancel := context.WithTimeout(ctx, time.Minute)
		n, err := chain.StartNode(sctx, chain.NodeConfig{
			Home: home, P2PAddress: "tcp://127.0.0.1:0", BlockInterval: 50 * time.Millisecond,
			Logger: log.With(slog.String("component", "chain")),
		})
		cancel()
		if err != nil {
			return nil, fmt.Errorf("embedded chain node (is serve still running?): %w", err)
		}
		defer n.Stop()
		ch, chainID, rep.Chain = n.Client(), n.ChainID(), "embedded "+home
	}
	if err := waitChain(ctx, ch, time.Minute); err != nil {
		return nil, err
	}

	keys, err := seal.Load(cfg.dataDir, os.Getenv(seal.EnvMasterKey))
	if err != nil {
		return nil, fmt.Errorf("secrets: %w", err)
	}
	loader, err := newLoader(cfg)
	if err != nil {
		return nil, err
	}
	iss, err := issuer.New(issuer.Config{ChainID: chainID, BaseURL: cfg.publicURL, BatchDelay: 20 * time.Millisecond,
		Logger: log.With(slog.String("component", "issuer"))}, store.WithPrefix(st, "issuer/"), keys, ch, loader)
	if err != nil {
		return nil, fmt.Errorf("issuer service: %w", err)
	}
	ir, err := iss.Fsck(ctx, issuer.FsckOptions{Repair: opts.repair, DeadLeases: deadLeases, JobWait: opts.jobWait})
	iss.Close()
	if ir != nil {
		rep.Orgs, rep.Credentials, rep.Anchors, rep.Jobs = ir.Orgs, ir.Credentials, ir.Anchors, ir.Jobs
		rep.Problems = append(rep.Problems, issuerProblems(ir.Problems)...)
		rep.Remaining = append(rep.Remaining, issuerProblems(ir.Remaining)...)
		rep.Repaired += ir.Repaired
	}
	if err != nil {
		return finish(rep, start, true), err
	}

	wr, err := fsckWallets(ctx, store.WithPrefix(st, walletPrefix), opts.repair)
	if err != nil {
		return finish(rep, start, true), err
	}
	rep.Wallets = wr.accounts
	rep.Problems = append(rep.Problems, wr.problems...)
	rep.Remaining = append(rep.Remaining, wr.remaining...)
	rep.Repaired += len(wr.problems) - len(wr.remaining)

	al, err := audit.New(store.WithPrefix(st, auditPrefix))
	if err != nil {
		return finish(rep, start, true), err
	}
	ar, err := al.Verify(ctx)
	switch {
	case errors.Is(err, audit.ErrTampered):
		p := fsckProblem{Part: "audit", Kind: "tampered", Key: auditPrefix, Detail: err.Error()}
		rep.Problems = append(rep.Problems, p)
		rep.Remaining = append(rep.Remaining, p)
	case err != nil:
		return finish(rep, start, true), err
	}
	rep.AuditLog = ar
	return finish(rep, start, false), nil
}

// auditPrefix is the audit log's namespace in the store.
const auditPrefix = "audit/"

func finish(rep *fsckReport, start time.Time, failed bool) *fsckReport {
	rep.Took = time.Since(start).Round(time.Millisecond).String()
	switch {
	case failed:
		rep.ExitCode = fsckRepairError
	case len(rep.Problems) == 0:
		rep.ExitCode = fsckClean
	default:
		rep.ExitCode = fsckProblems
		if rep.Repair {
			for _, p := range rep.Remaining {
				if p.Repairable {
					rep.ExitCode = fsckRepairError
				}
			}
		}
	}
	if !rep.Repair {
		rep.Remaining = rep.Problems
	}
	return rep
}

func issuerProblems(ps []issuer.FsckProblem) []fsckProblem {
	out := make([]fsckProblem, len(ps))
	for i, p := range ps {
		out[i] = fsckProblem{Part: "issuer", Kind: p.Kind, Key: p.Key, Detail: p.Detail, Repairable: p.Repairable}
	}
	return out
}

// openFsckStore opens serve's store. The embedded file must exist and not be
// in use (then no other process holds a job lease: deadLeases).
func openFsckStore(ctx context.Context, cfg config, log *slog.Logger) (st store.Store, deadLeases bool, err error) {
	if cfg.redisURL != "" {
		s, err := openStore(ctx, cfg, log)
		return s, false, err
	}
	path := filepath.Join(cfg.dataDir, storeFile)
	if _, err := os.Stat(path); err != nil {
		return nil, false, fmt.Errorf("embedded store: %w (is --data serve's data folder?)", err)
	}
	s, err := bolt.Open(path, bolt.Config{LockTimeout: 2 * time.Second})
	if err != nil {
		return nil, false, fmt.Errorf("embedded store (stop serve first: fsck needs the file alone): %w", err)
	}
	return s, true, nil
}

// waitChain waits until the chain answers with initialised state.
func waitChain(ctx context.Context, c *chain.Client, within time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	for {
		_, err := c.Governance(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the chain node does not answer: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// walletFsck is what the wallet check found.
type walletFsck struct {
	accounts  int
	problems  []fsckProblem
	remaining []fsckProblem
}

// fsckWallets checks the wallet's indexes (layout in wallet/doc.go): every
// account has its sealed key; every credential summary has its details
// (doc/) and its digest index; every digest index names a stored
// credential. A restore writes all of an account's keys in one atomic
// batch, so a half-written one shows here as one of these. Repair rebuilds
// a missing digest index from the summary and deletes orphan indexes; a
// credential without its details, or an account without its key, is
// reported: the wallet cannot be rebuilt from the rest.
func fsckWallets(ctx context.Context, st store.Store, repair bool) (*walletFsck, error) {
	all := func(prefix string) ([]store.Entry, error) {
		var out []store.Entry
		after := ""
		for {
			page, err := st.List(ctx, prefix, store.ListOptions{After: after, Limit: store.MaxListLimit})
			if err != nil {
				return nil, fmt.Errorf("wallet: list %s: %w", prefix, err)
			}
			out = append(out, page...)
			if len(page) < store.MaxListLimit {
				return out, nil
			}
			after = page[len(page)-1].Key
		}
	}
	r := &walletFsck{}
	add := func(p fsckProblem, fixed bool) {
		p.Part = "wallet"
		r.problems = append(r.problems, p)
		if !fixed {
			r.remaining = append(r.remaining, p)
		}
	}
	accts, err := all("acct/")
	if err != nil {
		return nil, err
	}
	for _, a := range accts {
		r.accounts++
		id := strings.TrimPrefix(a.Key, "acct/")
		if _, err := st.Get(ctx, "key/"+id); errors.Is(err, store.ErrNotFound) {
			add(fsckProblem{Kind: "key-missing", Key: "key/" + id, Detail: "the account has no sealed holder key: it cannot present or back up"}, false)
		} else if err != nil {
			return nil, fmt.Errorf("wallet: %w", err)
		}
	}
	creds, err := all("cred/")
	if err != nil {
		return nil, err
	}
	docs, err := all("doc/")
	if err != nil {
		return nil, err
	}
	digests, err := all("digest/")
	if err != nil {
		return nil, err
	}
	haveDoc := map[string]bool{}
	for _, d := range docs {
		haveDoc[strings.TrimPrefix(d.Key, "doc/")] = true
	}
	digestOf := map[string]string{} // account/credential → digest
	for _, d := range digests {
		acct, _, _ := strings.Cut(strings.TrimPrefix(d.Key, "digest/"), "/")
		digestOf[acct+"/"+string(d.Value)] = d.Key
	}
	haveCred := map[string]bool{}
	var ops []store.Op
	for _, c := range creds {
		ac := strings.TrimPrefix(c.Key, "cred/") // account/credential
		haveCred[ac] = true
		if !haveDoc[ac] {
			add(fsckProblem{Kind: "details-missing", Key: "doc/" + ac, Detail: "a credential's summary without its document (a half-written write)"}, false)
		}
		if _, ok := digestOf[ac]; !ok {
			var sum struct {
				ID     string `json:"id"`
				Digest string `json:"digest"`
			}
			acct, id, _ := strings.Cut(ac, "/")
			if err := json.Unmarshal(c.Value, &sum); err != nil || sum.Digest == "" || sum.ID != id {
				add(fsckProblem{Kind: "digest-index-missing", Key: c.Key, Detail: "no digest index, and the summary does not give the digest"}, false)
				continue
			}
			add(fsckProblem{Kind: "digest-index-missing", Key: "digest/" + acct + "/" + sum.Digest, Detail: "no digest index: the same credential could be stored twice", Repairable: true}, repair)
			ops = append(ops, store.OpPut("digest/"+acct+"/"+sum.Digest, []byte(id), 0))
		}
	}
	for _, d := range docs {
		if ac := strings.TrimPrefix(d.Key, "doc/"); !haveCred[ac] {
			add(fsckProblem{Kind: "orphan-key", Key: d.Key, Detail: "a credential's document without its summary", Repairable: true}, repair)
			ops = append(ops, store.OpDelete(d.Key))
		}
	}
	for ac, key := range digestOf {
		if !haveCred[ac] {
			add(fsckProblem{Kind: "orphan-key", Key: key, Detail: "a digest index naming a credential that is not stored: receiving it again would be refused", Repairable: true}, repair)
			ops = append(ops, store.OpDelete(key))
		}
	}
	if repair && len(ops) > 0 {
		for start := 0; start < len(ops); start += store.MaxOps {
			if err := st.Apply(ctx, ops[start:min(start+store.MaxOps, len(ops))]...); err != nil {
				return r, fmt.Errorf("wallet: repair: %w", err)
			}
		}
	}
	return r, nil
}
