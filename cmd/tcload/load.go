package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config is one load run.
type Config struct {
	URL         string
	Data        string
	Mode        string
	Mix         string
	Concurrency int
	Rate        float64
	Duration    time.Duration
	Warmup      time.Duration
	Timeout     time.Duration
	// Distinct > 0 issues that many master's degrees (POST
	// /credentials/issue with the demo issuer's token, before the warm-up)
	// and verifies them in turn instead of the demo credential.
	Distinct int
	// Unique makes the bytes of every verification request's credential
	// different (white space inside the credential object, which changes
	// neither its proof nor its anchor digest), so that no cache keyed by
	// the credential's bytes can answer: the cost of credentials the
	// server has not seen.
	Unique bool
	// ServerPID, when set, is the server's process id on this machine: its
	// CPU time during the measured window is read from /proc and reported.
	ServerPID int
}

// MaxDistinct bounds -distinct.
const MaxDistinct = 100_000

func (c *Config) validate() error {
	u, err := url.Parse(c.URL)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return fmt.Errorf("-url %q: want http(s)://host:port", c.URL)
	case c.Mode != "verify" && c.Mode != "mixed":
		return fmt.Errorf("-mode %q: want verify or mixed", c.Mode)
	case c.Concurrency < 1 || c.Concurrency > 10_000:
		return fmt.Errorf("-c %d: want 1 to 10000", c.Concurrency)
	case c.Rate < 0 || c.Rate > 1e6:
		return fmt.Errorf("-rate %g: want 0 to 1e6", c.Rate)
	case c.Duration <= 0:
		return fmt.Errorf("-d %s: want a positive duration", c.Duration)
	case c.Warmup < 0 || c.Timeout <= 0:
		return errors.New("-warmup must not be negative, -timeout must be positive")
	case c.Distinct < 0 || c.Distinct > MaxDistinct:
		return fmt.Errorf("-distinct %d: want 0 to %d", c.Distinct, MaxDistinct)
	case c.ServerPID < 0:
		return fmt.Errorf("-server-pid %d: want a process id", c.ServerPID)
	}
	if c.ServerPID > 0 {
		// Before any load: a mistyped id must not fail the run at its end.
		if _, err := processCPU(c.ServerPID); err != nil {
			return fmt.Errorf("-server-pid %d: %w", c.ServerPID, err)
		}
	}
	_, err = parseMix(c.Mode, c.Mix)
	return err
}

// kinds of request.
const (
	kindVerify = "verify"
	kindWallet = "wallet"
	kindIssue  = "issue"
)

// parseMix reads "verify=80,wallet=15,issue=5" into cumulative weights.
func parseMix(mode, mix string) ([]weighted, error) {
	if mode == "verify" {
		return []weighted{{kindVerify, 1}}, nil
	}
	var out []weighted
	total := 0
	for part := range strings.SplitSeq(mix, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		if !ok || err != nil || n < 0 || n > 1000 || (k != kindVerify && k != kindWallet && k != kindIssue) {
			return nil, fmt.Errorf("-mix %q: want kind=weight pairs of verify, wallet, issue", mix)
		}
		total += n
		out = append(out, weighted{k, total})
	}
	if total == 0 {
		return nil, fmt.Errorf("-mix %q: the weights add up to 0", mix)
	}
	return out, nil
}

type weighted struct {
	kind string
	cum  int
}

func pick(mix []weighted, r *rand.Rand) string {
	n := r.IntN(mix[len(mix)-1].cum)
	for _, w := range mix {
		if n < w.cum {
			return w.kind
		}
	}
	return mix[len(mix)-1].kind
}

// demo is what tcload reads of <data>/demo.json.
type demo struct {
	Issuers []struct {
		DID   string `json:"did"`
		Token string `json:"token"`
	} `json:"issuers"`
	Holders []struct {
		Username string `json:"username"`
		Password string `json:"password"`
		DID      string `json:"did"`
	} `json:"holders"`
	Credentials []string `json:"credentials"`
}

// traffic holds the prepared requests.
type traffic struct {
	base   string
	client *http.Client
	// verify are the credentials verified in turn, each with its receipt.
	verify     []verifyItem
	unique     bool
	issueToken string
	holders    []string // DIDs credentials are issued to
	sessions   []string // wallet cookies ("name=value")
}

// verifyItem is a credential to verify (a JSON object) and its anchor
// receipt (nil: none).
type verifyItem struct {
	vc, receipt json.RawMessage
}

// body is the POST /credentials/verify request of it; with unique, white
// space that encodes n is put after the credential's opening brace.
func (v verifyItem) body(n uint64, unique bool) []byte {
	vc := bytes.TrimSpace(v.vc)
	var b bytes.Buffer
	b.Grow(len(vc) + len(v.receipt) + 64)
	b.WriteString(`{"verifiableCredential":`)
	if unique && len(vc) > 0 && vc[0] == '{' {
		b.WriteByte('{')
		b.WriteString(whitespace(n))
		b.Write(vc[1:])
	} else {
		b.Write(vc)
	}
	if v.receipt != nil {
		b.WriteString(`,"anchorReceipt":`)
		b.Write(v.receipt)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// whitespace encodes n in base 4 with the four JSON white space characters,
// without leading zeros: a different string for every n.
func whitespace(n uint64) string {
	const digits = " \t\n\r"
	var out []byte
	for ; n > 0; n /= 4 {
		out = append(out, digits[n%4])
	}
	return string(out)
}

func loadDemo(dir string) (*demo, []byte, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "demo.json"))
	if err != nil {
		return nil, nil, fmt.Errorf("demo: %w (start the node with serve --demo)", err)
	}
	var d demo
	if err := json.Unmarshal(raw, &d); err != nil {
		return nil, nil, fmt.Errorf("demo.json: %w", err)
	}
	if len(d.Credentials) == 0 || len(d.Issuers) == 0 {
		return nil, nil, errors.New("demo.json lists no credential or no issuer")
	}
	name := filepath.Clean(d.Credentials[0])
	if filepath.IsAbs(name) || strings.HasPrefix(name, "..") {
		return nil, nil, fmt.Errorf("demo.json: credential path %q is outside the data folder", d.Credentials[0])
	}
	vc, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return nil, nil, fmt.Errorf("demo credential: %w", err)
	}
	body := map[string]json.RawMessage{"verifiableCredential": vc}
	if rc, err := os.ReadFile(filepath.Join(dir, strings.TrimSuffix(name, ".json")+".receipt.json")); err == nil {
		body["anchorReceipt"] = rc
	}
	b, err := json.Marshal(body)
	return &d, b, err
}

func prepare(ctx context.Context, cfg Config, mix []weighted) (*traffic, error) {
	d, body, err := loadDemo(cfg.Data)
	if err != nil {
		return nil, err
	}
	var first verifyItem
	if err := json.Unmarshal(body, &struct {
		VC      *json.RawMessage `json:"verifiableCredential"`
		Receipt *json.RawMessage `json:"anchorReceipt"`
	}{&first.vc, &first.receipt}); err != nil {
		return nil, fmt.Errorf("demo credential: %w", err)
	}
	tr := &http.Transport{MaxIdleConns: cfg.Concurrency, MaxIdleConnsPerHost: cfg.Concurrency, IdleConnTimeout: time.Minute}
	t := &traffic{
		base:       strings.TrimSuffix(cfg.URL, "/"),
		client:     &http.Client{Transport: tr, Timeout: cfg.Timeout},
		verify:     []verifyItem{first},
		unique:     cfg.Unique,
		issueToken: d.Issuers[0].Token,
	}
	uses := map[string]bool{}
	for _, w := range mix {
		uses[w.kind] = true
	}
	for _, h := range d.Holders {
		if h.DID != "" {
			t.holders = append(t.holders, h.DID)
		}
		if !uses[kindWallet] || h.Username == "" {
			continue
		}
		cookie, err := t.login(ctx, h.Username, h.Password)
		if err != nil {
			return nil, err
		}
		t.sessions = append(t.sessions, cookie)
	}
	if uses[kindWallet] && len(t.sessions) == 0 {
		return nil, errors.New("mixed mode: demo.json has no holder login for wallet traffic")
	}
	if (uses[kindIssue] || cfg.Distinct > 0) && len(t.holders) == 0 {
		return nil, errors.New("demo.json has no holder to issue to")
	}
	if cfg.Distinct > 0 {
		items, err := t.issueDistinct(ctx, cfg.Distinct, min(cfg.Concurrency, 16))
		if err != nil {
			return nil, err
		}
		t.verify = items
	}
	// One verification first: a node that cannot verify its own demo
	// credential is not worth loading.
	if res := t.do(ctx, kindVerify, 0); res.err != "" {
		return nil, fmt.Errorf("first verification failed: %s %s", res.err, res.detail)
	}
	return t, nil
}

func (t *traffic) login(ctx context.Context, user, pass string) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": user, "password": pass})
	req, err := http.NewRequestWithContext(ctx, "POST", t.base+"/wallet/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("wallet login %s: %w", user, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("wallet login %s: status %d", user, resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "tc_wallet" {
			return c.Name + "=" + c.Value, nil
		}
	}
	return "", fmt.Errorf("wallet login %s: no session cookie", user)
}

// issueDistinct issues n master's degrees with the demo issuer's token,
// workers at a time, and returns them with their receipts.
func (t *traffic) issueDistinct(ctx context.Context, n, workers int) ([]verifyItem, error) {
	items := make([]verifyItem, n)
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				it, err := t.issueOne(ctx, uint64(i))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("-distinct: issuing credential %d: %w", i, err)
					}
					mu.Unlock()
					next.Store(int64(n))
					return
				}
				items[i] = it
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return items, nil
}

func (t *traffic) issueOne(ctx context.Context, n uint64) (verifyItem, error) {
	body, err := json.Marshal(degree(t.holders[n%uint64(len(t.holders))], n+1_000_000_000))
	if err != nil {
		return verifyItem{}, err
	}
	req, err := http.NewRequestWithContext(ctx, "POST", t.base+"/credentials/issue", bytes.NewReader(body))
	if err != nil {
		return verifyItem{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+t.issueToken)
	resp, err := t.client.Do(req)
	if err != nil {
		return verifyItem{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return verifyItem{}, err
	}
	if resp.StatusCode != http.StatusCreated {
		return verifyItem{}, fmt.Errorf("status %d: %.300s", resp.StatusCode, raw)
	}
	var ans struct {
		VC      json.RawMessage `json:"verifiableCredential"`
		Receipt json.RawMessage `json:"anchorReceipt"`
	}
	if err := json.Unmarshal(raw, &ans); err != nil {
		return verifyItem{}, fmt.Errorf("answer: %w", err)
	}
	vc := bytes.TrimSpace(ans.VC)
	if len(vc) == 0 || vc[0] != '{' || len(bytes.TrimSpace(ans.Receipt)) == 0 || bytes.Equal(bytes.TrimSpace(ans.Receipt), []byte("null")) {
		return verifyItem{}, fmt.Errorf("answer without a JSON credential and its anchor receipt: %.300s", raw)
	}
	return verifyItem{vc: vc, receipt: ans.Receipt}, nil
}

// result of one request; err is "" on success, else the HTTP status, "net"
// (no answer) or "invalid" (an answer that is not the expected one).
type result struct {
	kind    string
	latency time.Duration
	err     string
	detail  string
}

// do sends one request of the kind; n varies the issued credentials and the
// wallet sessions.
func (t *traffic) do(ctx context.Context, kind string, n uint64) result {
	var req *http.Request
	var err error
	want := http.StatusOK
	switch kind {
	case kindVerify:
		body := t.verify[n%uint64(len(t.verify))].body(n, t.unique)
		req, err = http.NewRequestWithContext(ctx, "POST", t.base+"/credentials/verify", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
		}
	case kindWallet:
		req, err = http.NewRequestWithContext(ctx, "GET", t.base+"/wallet/credentials", nil)
		if err == nil {
			req.Header.Set("Cookie", t.sessions[n%uint64(len(t.sessions))])
		}
	case kindIssue:
		want = http.StatusCreated
		body, _ := json.Marshal(degree(t.holders[n%uint64(len(t.holders))], n))
		req, err = http.NewRequestWithContext(ctx, "POST", t.base+"/credentials/issue", bytes.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+t.issueToken)
		}
	}
	if err != nil {
		return result{kind: kind, err: "net", detail: err.Error()}
	}
	start := time.Now()
	resp, err := t.client.Do(req)
	if err != nil {
		return result{kind: kind, latency: time.Since(start), err: "net", detail: err.Error()}
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	resp.Body.Close()
	res := result{kind: kind, latency: time.Since(start)}
	switch {
	case err != nil:
		res.err, res.detail = "net", err.Error()
	case resp.StatusCode != want:
		res.err, res.detail = strconv.Itoa(resp.StatusCode), string(raw[:min(len(raw), 300)])
	case kind == kindVerify && !bytes.Contains(raw, []byte(`"verified":true`)):
		res.err, res.detail = "invalid", "the demo credential did not verify: "+string(raw[:min(len(raw), 300)])
	}
	return res
}

// degree is an issuance request: a master's degree for holder, as the demo
// university issues them.
func degree(holder string, n uint64) map[string]any {
	return map[string]any{"credential": map[string]any{
		"type": []string{"VerifiableCredential", "DegreeCredential"},
		"credentialSubject": map[string]any{
			"id":       holder,
			"fullName": map[string]any{"zh": "负载测试" + strconv.FormatUint(n, 10), "en": "Load Test " + strconv.FormatUint(n, 10)},
			"degree": map[string]any{
				"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
			},
			"graduationDate": "2026-06-30",
		},
	}}
}

// Run prepares the traffic, loads the node and returns the report.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	mix, _ := parseMix(cfg.Mode, cfg.Mix)
	t, err := prepare(ctx, cfg, mix)
	if err != nil {
		return nil, err
	}
	defer t.client.CloseIdleConnections()

	var (
		mu        sync.Mutex
		results   []result
		measuring atomic.Bool
		seq       atomic.Uint64
		late      atomic.Int64
	)
	record := func(r result) {
		if !measuring.Load() {
			return
		}
		mu.Lock()
		results = append(results, r)
		mu.Unlock()
	}
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if cfg.Rate == 0 {
		for w := range cfg.Concurrency {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for runCtx.Err() == nil {
					res := t.do(runCtx, pick(mix, r), seq.Add(1))
					if runCtx.Err() == nil {
						record(res)
					}
				}
			})
		}
	} else {
		// Open loop: a ticket per scheduled time, latency from that time.
		tickets := make(chan time.Time, cfg.Concurrency)
		for w := range cfg.Concurrency {
			wg.Go(func() {
				r := rand.New(rand.NewPCG(uint64(w), 7))
				for due := range tickets {
					res := t.do(runCtx, pick(mix, r), seq.Add(1))
					res.latency = time.Since(due)
					if runCtx.Err() == nil {
						record(res)
					}
				}
			})
		}
		wg.Go(func() {
			defer close(tickets)
			interval := time.Duration(float64(time.Second) / cfg.Rate)
			next := time.Now()
			for {
				next = next.Add(interval)
				if d := time.Until(next); d > 0 {
					select {
					case <-runCtx.Done():
						return
					case <-time.After(d):
					}
				}
				if runCtx.Err() != nil {
					return
				}
				select {
				case tickets <- next:
				default:
					if measuring.Load() {
						late.Add(1)
					}
				}
			}
		})
	}
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Warmup):
	}
	var cpu0, cpu1 time.Duration
	if cfg.ServerPID > 0 {
		if cpu0, err = processCPU(cfg.ServerPID); err != nil {
			cancel()
			wg.Wait()
			return nil, err
		}
	}
	measuring.Store(true)
	start := time.Now()
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Duration):
	}
	measuring.Store(false)
	elapsed := time.Since(start)
	if cfg.ServerPID > 0 {
		if cpu1, err = processCPU(cfg.ServerPID); err != nil {
			cancel()
			wg.Wait()
			return nil, err
		}
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	rep := summarize(cfg, results, elapsed)
	rep.Late = late.Load()
	if cfg.ServerPID > 0 {
		rep.ServerCPU = (cpu1 - cpu0).Seconds()
		if rep.ServerCPU > 0 {
			rep.PerServerCPU = float64(rep.Requests) / rep.ServerCPU
		}
	}
	return rep, nil
}

// Stats are the figures of a set of requests.
type Stats struct {
	Requests int            `json:"requests"`
	Failed   int            `json:"failed"`
	RPS      float64        `json:"rps"`
	P50ms    float64        `json:"p50_ms"`
	P90ms    float64        `json:"p90_ms"`
	P99ms    float64        `json:"p99_ms"`
	MaxMs    float64        `json:"max_ms"`
	Errors   map[string]int `json:"errors,omitempty"`
	// Sample is the first error's answer, to see what went wrong.
	Sample string `json:"sample_error,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	URL         string  `json:"url"`
	Mode        string  `json:"mode"`
	Mix         string  `json:"mix,omitempty"`
	Concurrency int     `json:"concurrency"`
	Rate        float64 `json:"rate"`
	Seconds     float64 `json:"seconds"`
	Stats
	Late   int64             `json:"late,omitempty"`
	ByKind map[string]*Stats `json:"by_kind"`
	// Distinct and Unique repeat the options (see Config).
	Distinct int  `json:"distinct,omitempty"`
	Unique   bool `json:"unique,omitempty"`
	// ServerCPU is the server's CPU time (user and system) during the
	// measured window (with -server-pid), and PerServerCPU the requests
	// per CPU-second of the server.
	ServerCPU    float64 `json:"server_cpu_s,omitempty"`
	PerServerCPU float64 `json:"requests_per_server_cpu_s,omitempty"`
}

func summarize(cfg Config, results []result, elapsed time.Duration) *Report {
	rep := &Report{URL: cfg.URL, Mode: cfg.Mode, Concurrency: cfg.Concurrency, Rate: cfg.Rate, Seconds: elapsed.Seconds(), ByKind: map[string]*Stats{},
		Distinct: cfg.Distinct, Unique: cfg.Unique}
	if cfg.Mode == "mixed" {
		rep.Mix = cfg.Mix
	}
	byKind := map[string][]result{}
	for _, r := range results {
		byKind[r.kind] = append(byKind[r.kind], r)
	}
	rep.Stats = stats(results, elapsed)
	for k, rs := range byKind {
		s := stats(rs, elapsed)
		rep.ByKind[k] = &s
	}
	return rep
}

func stats(rs []result, elapsed time.Duration) Stats {
	s := Stats{Requests: len(rs)}
	if len(rs) == 0 {
		return s
	}
	lat := make([]time.Duration, 0, len(rs))
	for _, r := range rs {
		lat = append(lat, r.latency)
		if r.err != "" {
			s.Failed++
			if s.Errors == nil {
				s.Errors = map[string]int{}
				s.Sample = r.kind + ": " + r.err + " " + r.detail
			}
			s.Errors[r.err]++
		}
	}
	slices.Sort(lat)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	s.RPS = float64(len(rs)) / elapsed.Seconds()
	s.P50ms, s.P90ms, s.P99ms = ms(percentile(lat, 0.50)), ms(percentile(lat, 0.90)), ms(percentile(lat, 0.99))
	s.MaxMs = ms(lat[len(lat)-1])
	return s
}

// percentile returns the nearest-rank percentile p (0 < p ≤ 1) of sorted.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(float64(len(sorted))*p+0.999999999) - 1
	return sorted[max(0, min(len(sorted)-1, rank))]
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("json report: %w", err)
	}
	return nil
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) {
	load := fmt.Sprintf("%d clients", r.Concurrency)
	if r.Rate > 0 {
		load = fmt.Sprintf("%.0f req/s scheduled, at most %d in flight", r.Rate, r.Concurrency)
	}
	if r.Distinct > 0 {
		load += fmt.Sprintf(", %d distinct credentials", r.Distinct)
	}
	if r.Unique {
		load += ", unique bytes per request"
	}
	fmt.Fprintf(w, "%s %s, %s, %.1f s\n", r.Mode, r.URL, load, r.Seconds)
	line := func(name string, s *Stats) {
		fmt.Fprintf(w, "  %-7s %7d req %8.1f req/s  p50 %7.2f ms  p90 %7.2f ms  p99 %7.2f ms  max %7.2f ms  errors %d",
			name, s.Requests, s.RPS, s.P50ms, s.P90ms, s.P99ms, s.MaxMs, s.Failed)
		if len(s.Errors) > 0 {
			fmt.Fprintf(w, " %v", s.Errors)
		}
		fmt.Fprintln(w)
	}
	line("all", &r.Stats)
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range r.ByKind {
			if !yield(k) {
				return
			}
		}
	}) {
		line(k, r.ByKind[k])
	}
	if r.ServerCPU > 0 {
		fmt.Fprintf(w, "  server CPU %.2f s: %.0f requests per server CPU-second\n", r.ServerCPU, r.PerServerCPU)
	}
	if r.Late > 0 {
		fmt.Fprintf(w, "  %d scheduled requests found no free client (raise -c)\n", r.Late)
	}
	if r.Sample != "" {
		fmt.Fprintf(w, "  first error: %s\n", r.Sample)
	}
}

// processCPU reads the user and system CPU time of pid from /proc (Linux).
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("server CPU time: %w", err)
	}
	return parseStatCPU(string(b))
}

// parseStatCPU reads utime and stime (fields 14 and 15, in clock ticks of
// 1/100 s) of a /proc/<pid>/stat line; the command name may hold spaces,
// so fields are counted after its closing parenthesis.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("server CPU time: unexpected /proc stat format")
	}
	f := strings.Fields(stat[i+1:])
	if len(f) < 13 {
		return 0, errors.New("server CPU time: unexpected /proc stat format")
	}
	var ticks int64
	for _, s := range f[11:13] {
		v, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v < 0 {
			return 0, errors.New("server CPU time: unexpected /proc stat format")
		}
		ticks += v
	}
	return time.Duration(ticks) * 10 * time.Millisecond, nil
}
