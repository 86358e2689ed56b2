package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const sampleOutput = `goos: linux
goarch: amd64
pkg: github.com/talentchain/talentchain/credential
cpu: Intel(R) Xeon(R) Processor
BenchmarkSignDegree-2     	    4276	    518138 ns/op	      2500 signs/cpu-s	   86211 B/op	     862 allocs/op
BenchmarkSignDegree-2     	    4276	    418138 ns/op	      3500 signs/cpu-s	   86211 B/op	     862 allocs/op
BenchmarkSignDegree-2     	    4276	    318138 ns/op	      1500 signs/cpu-s	   86211 B/op	     862 allocs/op
BenchmarkCanonicalize/fast-2     	   10000	    213960 ns/op
BenchmarkCanonicalize/reference-2             	     922	   1432085 ns/op
BenchmarkAnchorReceiptCheck/leaves=100-2         	     200	     15059 ns/op	         7.000 path-hashes
BenchmarkAnchorReceiptCheck/leaves=1000000-2     	     200	     24007 ns/op	        20.00 path-hashes
BenchmarkVerifyCredentialPipeline/cached-2         	    2484	   1102006 ns/op	      1007 verifications/cpu-s	       907.4 verifications/s
BenchmarkBatch10000/bolt-2   	       1	5210448779 ns/op	         5.21 s/10k	  1919 creds/s	  8.4 cpu-s/10k
BenchmarkAnchorConfirmation-2   	      30	  57542332 ns/op	         1.000 blocks	        52.80 ms/anchor
BenchmarkBroken-2   	      30	  notanumber ns/op
PASS
ok  	github.com/talentchain/talentchain/credential	11.839s
`

func TestParseBench(t *testing.T) {
	rs := results{}
	if err := parseBench(strings.NewReader(sampleOutput), rs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, unit string
		want       float64
	}{
		{"BenchmarkSignDegree", "signs/cpu-s", 2500},
		{"BenchmarkSignDegree", "ns/op", 418138},
		{"BenchmarkCanonicalize/fast", "ns/op", 213960},
		{"BenchmarkAnchorReceiptCheck/leaves=1000000", "path-hashes", 20},
		{"BenchmarkVerifyCredentialPipeline/cached", "verifications/s", 907.4},
		{"BenchmarkBatch10000/bolt", "s/10k", 5.21},
	} {
		if got, ok := rs.get(tc.name, tc.unit); !ok || got != tc.want {
			t.Errorf("%s %s = %v %v, want %v", tc.name, tc.unit, got, ok, tc.want)
		}
	}
	if _, ok := rs["BenchmarkBroken"]; ok {
		t.Error("a malformed line was parsed")
	}
	if _, ok := rs.get("BenchmarkSignDegree", "nope"); ok {
		t.Error("unknown unit found")
	}
	if r := rs["BenchmarkSignDegree"]; len(r.runs) != 3 {
		t.Errorf("%d runs", len(r.runs))
	}
	even := &result{runs: []map[string]float64{{"x": 1}, {"x": 4}, {"x": 2}, {"x": 3}}}
	if m, _ := even.median("x"); m != 2.5 {
		t.Errorf("median of 1..4 = %v", m)
	}
}

func TestFormatting(t *testing.T) {
	for in, want := range map[float64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1234: "-1,234"} {
		if got := fmtNum(in, 0); got != want {
			t.Errorf("fmtNum(%v) = %q, want %q", in, got, want)
		}
	}
	if got := fmtNum(1234.5, 1); got != "1,234.5" {
		t.Errorf("got %q", got)
	}
	for ns, want := range map[float64]string{500: "500 ns", 1500: "1.5 µs", 2.5e6: "2.50 ms", 3e9: "3.00 s"} {
		if got := dur(ns); got != want {
			t.Errorf("dur(%v) = %q, want %q", ns, got, want)
		}
	}
}

func TestChartIsSVG(t *testing.T) {
	for _, c := range []chart{
		{title: "growth <&>", xlabel: "n", ylabel: "µs", series: []series{{"a", [][2]float64{{100, 15}, {1e6, 24}}}, {"b & c", [][2]float64{{10, 0.002}, {1000, 30}}}}},
		{title: "empty"},
		{title: "one point", series: []series{{"a", [][2]float64{{10, 10}}}}},
	} {
		svg := c.svg()
		var doc struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal([]byte(svg), &doc); err != nil || doc.XMLName.Local != "svg" {
			t.Fatalf("%s: not an SVG document: %v\n%s", c.title, err, svg)
		}
		if len(c.series) > 1 && strings.Count(svg, "<polyline") != len(c.series) {
			t.Errorf("%s: %d lines", c.title, strings.Count(svg, "<polyline"))
		}
	}
}

// TestReport renders a report from the sample output and a load run: every
// target is a row, measured ones say met or missed by the numbers, the
// plots are written beside the document.
func TestReport(t *testing.T) {
	rs := results{}
	if err := parseBench(strings.NewReader(sampleOutput), rs); err != nil {
		t.Fatal(err)
	}
	loads := []loadRun{{Name: "verify-c16", Args: []string{"-mode", "verify", "-c", "16"}, ServerCPU: 10,
		Report: loadReport{Mode: "verify", RPS: 930, P99ms: 66.4, Requests: 9300}}}
	dir := t.TempDir()
	o := options{out: filepath.Join(dir, "performance.md")}
	rep := buildReport(machine{date: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC), cpu: "Test CPU", cores: 2, goVersion: "go1.26"}, rs, loads, o)
	if err := rep.write(o.out); err != nil {
		t.Fatal(err)
	}
	md, err := os.ReadFile(o.out)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(md)
	for _, want := range []string{
		"| Signing a degree credential (eddsa-rdfc-2022), per core | ≥ 2,000 /s | 2,500 /s per CPU-second", // median of 1500, 2500, 3500
		"| **met** | credential BenchmarkSignDegree",
		"1,007 /s per CPU-second (verifier and embedded node) | **missed**",
		"| 5.2 s wall-clock; 8.4 CPU-seconds, i.e. 4.2 s if the process had both cores to itself | **met**",
		"930 req/s, p99 66.4 ms (16 clients, 0 errors) | **missed**",
		"1 block(s), 52.8 ms",
		"| Anchor confirmation, 4 validators | < 500 ms median | — | not measured",
		"(1.59× for 10⁴× the leaves) | **met**",
		"| canonicalize the degree credential (vs plain json-gold) | 214.0 µs | 1.43 ms | 6.7× |",
		"| 930 |", "| 930 |", "Test CPU", "2026-11-24 06:00 UTC",
	} {
		if !strings.Contains(doc, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	if !strings.Contains(doc, "4 of 7 targets met, 2 missed, 1 not measured") {
		t.Errorf("summary line wrong:\n%s", doc)
	}
	svg := "performance-verification-growth.svg"
	if _, err := os.Stat(filepath.Join(dir, svg)); err != nil {
		t.Errorf("plot %s: %v", svg, err)
	} else if !strings.Contains(doc, "]("+svg+")") {
		t.Errorf("the report does not show %s", svg)
	}
	// No status or wallet figures in the sample: no empty plot either.
	if _, err := os.Stat(filepath.Join(dir, "performance-status-wallet-growth.svg")); err == nil {
		t.Error("a plot without data was written")
	}
}

// FuzzParseBench: the reader of `go test -bench` output never panics and
// keeps only benchmark lines whose every value is a number.
func FuzzParseBench(f *testing.F) {
	f.Add(sampleOutput)
	f.Add("BenchmarkX-2 10 5 ns/op 3")
	f.Add("BenchmarkX 1 NaN ns/op")
	f.Fuzz(func(t *testing.T, s string) {
		rs := results{}
		if err := parseBench(strings.NewReader(s), rs); err != nil {
			return
		}
		for name, r := range rs {
			if !strings.HasPrefix(name, "Benchmark") || len(r.runs) == 0 {
				t.Fatalf("%q: %+v", name, r)
			}
		}
	})
}

// TestHTTPTargetUnique: with a -unique run (no cache answers) the HTTP
// target is met only when both runs meet it, and the row shows both.
func TestHTTPTargetUnique(t *testing.T) {
	run := func(name string, rps, p99 float64) loadRun {
		return loadRun{Name: name, Args: []string{"-c", "16"}, ServerCPU: 10, Report: loadReport{Mode: "verify", RPS: rps, P99ms: p99, Requests: int(rps * 20)}}
	}
	for _, c := range []struct {
		name  string
		loads []loadRun
		want  string
	}{
		{"both meet", []loadRun{run("verify-c16", 2400, 20), run("verify-c16-unique", 1500, 40)},
			"2,400 req/s, p99 20.0 ms (16 clients, 0 errors); every request's bytes new: 1,500 req/s, p99 40.0 ms (0 errors) | **met**"},
		{"unique misses", []loadRun{run("verify-c16", 2400, 20), run("verify-c16-unique", 900, 40)},
			"every request's bytes new: 900 req/s, p99 40.0 ms (0 errors) | **missed**"},
		{"no unique run", []loadRun{run("verify-c16", 2400, 20)}, "2,400 req/s, p99 20.0 ms (16 clients, 0 errors) | **met**"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			o := options{out: filepath.Join(dir, "performance.md")}
			rep := buildReport(machine{date: time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC), cpu: "Test CPU", cores: 2, goVersion: "go1.26"}, results{}, c.loads, o)
			if err := rep.write(o.out); err != nil {
				t.Fatal(err)
			}
			md, err := os.ReadFile(o.out)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(md), c.want) {
				t.Errorf("the report lacks %q:\n%s", c.want, md)
			}
		})
	}
}
