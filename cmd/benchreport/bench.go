package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// benchJob is one `go test -bench` run.
type benchJob struct {
	pkg       string // ./credential
	bench     string // the -bench regular expression
	benchtime string // e.g. 2s or 20x
	count     int
	env       []string // extra environment (KEY=value)
}

// result is the runs of one benchmark (e.g. BenchmarkSignDegree or
// BenchmarkCanonicalize/fast), each a map of unit to value ("ns/op",
// "signs/cpu-s", ...).
type result struct {
	name string
	runs []map[string]float64
}

// median returns the median of unit over the runs, and whether it exists.
func (r *result) median(unit string) (float64, bool) {
	var v []float64
	for _, run := range r.runs {
		if x, ok := run[unit]; ok {
			v = append(v, x)
		}
	}
	if len(v) == 0 {
		return 0, false
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// results are the parsed benchmarks by name (GOMAXPROCS suffix removed).
type results map[string]*result

// get returns the median of unit of the named benchmark.
func (rs results) get(name, unit string) (float64, bool) {
	r, ok := rs[name]
	if !ok {
		return 0, false
	}
	return r.median(unit)
}

// benchLine matches a result line of `go test -bench`.
var benchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseBench reads `go test -bench` output into rs.
func parseBench(r io.Reader, rs results) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := benchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		fields := strings.Fields(m[3])
		if len(fields)%2 != 0 {
			continue
		}
		run := map[string]float64{}
		for i := 0; i < len(fields); i += 2 {
			v, err := strconv.ParseFloat(fields[i], 64)
			if err != nil {
				run = nil
				break
			}
			run[fields[i+1]] = v
		}
		if run == nil {
			continue
		}
		res, ok := rs[m[1]]
		if !ok {
			res = &result{name: m[1]}
			rs[m[1]] = res
		}
		res.runs = append(res.runs, run)
	}
	return sc.Err()
}

// runBench runs a job in the module root, saves its output in raw and adds
// its results to rs.
func runBench(ctx context.Context, root, raw string, j benchJob, rs results, log io.Writer) error {
	args := []string{"test", "-run", "^$", "-bench", j.bench, "-benchtime", j.benchtime, "-count", strconv.Itoa(max(1, j.count)), "-timeout", "30m", j.pkg}
	fmt.Fprintf(log, "benchreport: go %s\n", strings.Join(args, " "))
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), j.env...)
	out, err := cmd.CombinedOutput()
	name := strings.NewReplacer("/", "_", ".", "", "|", "-", "^", "", "$", "").Replace(j.pkg + "_" + j.bench)
	if werr := os.WriteFile(filepath.Join(raw, name+".txt"), out, 0o644); werr != nil {
		return werr
	}
	if err != nil {
		return fmt.Errorf("go test -bench %s %s: %w\n%s", j.bench, j.pkg, err, tail(out, 3000))
	}
	return parseBench(strings.NewReader(string(out)), rs)
}

func tail(b []byte, n int) string {
	return string(b[max(0, len(b)-n):])
}
