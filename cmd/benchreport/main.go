// Command benchreport runs TalentChain's benchmarks and load test and writes
// the performance report, docs/performance.md, with every target of the
// performance issue, its measured median and whether it is met, the machine,
// the date, and SVG plots of the growth curves. `make bench` runs it from
// the module root:
//
//	go run ./cmd/benchreport -out docs/performance.md
//	go run ./cmd/benchreport -quick   # fewer runs, shorter load: a smoke test
//
// The benchmarks are `go test -bench` runs of the credential, verifier,
// issuer, wallet and cmd/talentchain packages (count 3, medians); the load
// test builds talentchain and tcload, starts `talentchain serve --demo` on a
// free loopback port and runs tcload against it from a second process. Raw
// outputs are kept in a folder printed at the end (-raw to choose it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "benchreport:", err)
		os.Exit(1)
	}
}

// options of a run.
type options struct {
	out   string
	raw   string
	quick bool
	skip  map[string]bool // parts to skip: load, consortium, batch
}

func run(ctx context.Context, args []string, log io.Writer) error {
	fs := flag.NewFlagSet("benchreport", flag.ContinueOnError)
	fs.SetOutput(log)
	var o options
	var skip string
	fs.StringVar(&o.out, "out", "docs/performance.md", "the report to write (SVG plots go beside it)")
	fs.StringVar(&o.raw, "raw", "", "folder for the raw benchmark and load outputs (default: a new temporary folder)")
	fs.BoolVar(&o.quick, "quick", false, "one run of each benchmark and a 5 s load test: a smoke test, not a report to publish")
	fs.StringVar(&skip, "skip", "", "comma-separated parts to leave out: load, consortium, batch")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	o.skip = map[string]bool{}
	for s := range strings.SplitSeq(skip, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if s != "load" && s != "consortium" && s != "batch" {
				return fmt.Errorf("-skip %q: want load, consortium or batch", s)
			}
			o.skip[s] = true
		}
	}
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if o.raw == "" {
		if o.raw, err = os.MkdirTemp("", "benchreport-"); err != nil {
			return err
		}
	} else if err := os.MkdirAll(o.raw, 0o755); err != nil {
		return err
	}
	m := readMachine(ctx, root)
	start := time.Now()
	rs := results{}
	for _, j := range jobs(o) {
		if err := runBench(ctx, root, o.raw, j, rs, log); err != nil {
			return err
		}
	}
	var loads []loadRun
	if !o.skip["load"] {
		runs, order := loadRuns(o.quick)
		if loads, err = runLoad(ctx, root, o.raw, runs, order, log); err != nil {
			return err
		}
	}
	m.loadEnd = readLoadAvg()
	m.elapsed = time.Since(start)
	rep := buildReport(m, rs, loads, o)
	out := o.out
	if !filepath.IsAbs(out) {
		out = filepath.Join(root, out)
	}
	if err := rep.write(out); err != nil {
		return err
	}
	fmt.Fprintf(log, "benchreport: wrote %s (raw outputs in %s)\n", out, o.raw)
	return nil
}

// jobs lists the benchmark runs.
func jobs(o options) []benchJob {
	count, t := 3, "1s"
	batchCount := 3
	if o.quick {
		count, t, batchCount = 1, "200ms", 1
	}
	js := []benchJob{
		{pkg: "./credential", bench: "^(BenchmarkSignDegree|BenchmarkSignDegreeReference|BenchmarkVerifyDegree|BenchmarkCanonicalize|BenchmarkAnchorReceiptCheck|BenchmarkStatusBitstring)$", benchtime: t, count: count},
		{pkg: "./verifier", bench: "^(BenchmarkVerifyCredentialPipeline|BenchmarkStatusCheck)$", benchtime: t, count: count},
		{pkg: "./issuer", bench: "^BenchmarkAnchorConfirmation$", benchtime: "30x", count: 1},
		{pkg: "./wallet", bench: "^BenchmarkListGrowth$", benchtime: "20x", count: count},
	}
	if !o.skip["batch"] {
		js = append(js, benchJob{pkg: "./issuer", bench: "^BenchmarkBatch10000$", benchtime: "1x", count: batchCount})
	}
	if !o.skip["consortium"] {
		n := "30x"
		if o.quick {
			n = "10x"
		}
		js = append(js, benchJob{pkg: "./cmd/talentchain", bench: "^BenchmarkConsortiumAnchorConfirm$", benchtime: n, count: 1})
	}
	return js
}

// loadRuns are the tcload runs: verification at two concurrencies; with
// 200 distinct credentials; with different bytes in every request (no
// cache keyed by the credential answers: the cost of unseen credentials);
// and the mixed traffic of the soak test at full speed.
func loadRuns(quick bool) (map[string][]string, []string) {
	d, w := "20s", "3s"
	if quick {
		d, w = "5s", "1s"
	}
	return map[string][]string{
		"verify-c16":          {"-mode", "verify", "-c", "16", "-d", d, "-warmup", w},
		"verify-c16-distinct": {"-mode", "verify", "-c", "16", "-distinct", "200", "-d", d, "-warmup", w},
		"verify-c16-unique":   {"-mode", "verify", "-c", "16", "-unique", "-d", d, "-warmup", w},
		"verify-c4":           {"-mode", "verify", "-c", "4", "-d", d, "-warmup", w},
		"mixed-c16":           {"-mode", "mixed", "-c", "16", "-d", d, "-warmup", w},
	}, []string{"verify-c16", "verify-c16-distinct", "verify-c16-unique", "verify-c4", "mixed-c16"}
}

// moduleRoot finds go.mod upwards from the working folder.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working folder: run from the module")
		}
		dir = parent
	}
}
