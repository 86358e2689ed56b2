package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestParseMix(t *testing.T) {
	for _, tc := range []struct {
		name, mode, mix string
		want            []weighted
		bad             bool
	}{
		{"verify mode ignores the mix", "verify", "nonsense", []weighted{{kindVerify, 1}}, false},
		{"three kinds", "mixed", "verify=80,wallet=15,issue=5", []weighted{{kindVerify, 80}, {kindWallet, 95}, {kindIssue, 100}}, false},
		{"spaces", "mixed", " verify=1 , issue=1", []weighted{{kindVerify, 1}, {kindIssue, 2}}, false},
		{"a zero weight", "mixed", "verify=0,wallet=1", []weighted{{kindVerify, 0}, {kindWallet, 1}}, false},
		{"all zero", "mixed", "verify=0", nil, true},
		{"unknown kind", "mixed", "verify=1,delete=1", nil, true},
		{"no weight", "mixed", "verify", nil, true},
		{"negative", "mixed", "verify=-1", nil, true},
		{"huge", "mixed", "verify=100000", nil, true},
		{"empty", "mixed", "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseMix(tc.mode, tc.mix)
			if (err != nil) != tc.bad {
				t.Fatalf("err %v, want error %v", err, tc.bad)
			}
			if !tc.bad && !equalMix(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func equalMix(a, b []weighted) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestValidate(t *testing.T) {
	good := Config{URL: "http://127.0.0.1:8080", Mode: "verify", Mix: "verify=1", Concurrency: 4, Duration: time.Second, Timeout: time.Second}
	if err := good.validate(); err != nil {
		t.Fatal(err)
	}
	for name, mod := range map[string]func(*Config){
		"no scheme":         func(c *Config) { c.URL = "127.0.0.1:8080" },
		"ftp":               func(c *Config) { c.URL = "ftp://x" },
		"unknown mode":      func(c *Config) { c.Mode = "delete" },
		"no clients":        func(c *Config) { c.Concurrency = 0 },
		"too many":          func(c *Config) { c.Concurrency = 20_000 },
		"negative rate":     func(c *Config) { c.Rate = -1 },
		"no duration":       func(c *Config) { c.Duration = 0 },
		"negative warm-up":  func(c *Config) { c.Warmup = -time.Second },
		"bad mix":           func(c *Config) { c.Mode, c.Mix = "mixed", "x=1" },
		"negative distinct": func(c *Config) { c.Distinct = -1 },
		"too many distinct": func(c *Config) { c.Distinct = MaxDistinct + 1 },
		"negative pid":      func(c *Config) { c.ServerPID = -1 },
		"no such process":   func(c *Config) { c.ServerPID = 1 << 30 }, // told before any load
	} {
		c := good
		mod(&c)
		if err := c.validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestPercentile(t *testing.T) {
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, time.Duration(i)*time.Millisecond)
	}
	for p, want := range map[float64]time.Duration{0.5: 50 * time.Millisecond, 0.9: 90 * time.Millisecond, 0.99: 99 * time.Millisecond, 1: 100 * time.Millisecond} {
		if got := percentile(lat, p); got != want {
			t.Errorf("p%v = %v, want %v", p*100, got, want)
		}
	}
	if percentile(nil, 0.5) != 0 || percentile(lat[:1], 0.99) != time.Millisecond {
		t.Error("edge cases")
	}
}

// fakeNode answers the three routes tcload uses, the way talentchain serve
// does, and can be told to fail some verifications.
type fakeNode struct {
	verifies, lists, issues atomic.Int64
	failEvery               int64
	mu                      sync.Mutex
	bodies                  map[string]int // verification bodies seen
	credentials             map[string]int // credential ids verified
}

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	switch {
	case r.Method == "POST" && r.URL.Path == "/credentials/verify":
		n := f.verifies.Add(1)
		if !bytes.Contains(body, []byte(`"verifiableCredential"`)) || !bytes.Contains(body, []byte(`"anchorReceipt"`)) {
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		var req struct {
			VC struct {
				ID string `json:"id"`
			} `json:"verifiableCredential"`
		}
		if err := json.Unmarshal(body, &req); err != nil {
			http.Error(w, "bad JSON", http.StatusBadRequest)
			return
		}
		f.mu.Lock()
		if f.bodies == nil {
			f.bodies, f.credentials = map[string]int{}, map[string]int{}
		}
		f.bodies[string(body)]++
		f.credentials[req.VC.ID]++
		f.mu.Unlock()
		if f.failEvery > 0 && n%f.failEvery == 0 {
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		io.WriteString(w, `{"verified":true,"checks":[]}`)
	case r.Method == "POST" && r.URL.Path == "/wallet/login":
		http.SetCookie(w, &http.Cookie{Name: "tc_wallet", Value: fmt.Sprintf("s%d", len(body))})
		io.WriteString(w, `{"csrf":"x"}`)
	case r.Method == "GET" && r.URL.Path == "/wallet/credentials":
		if c, err := r.Cookie("tc_wallet"); err != nil || c.Value == "" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		f.lists.Add(1)
		io.WriteString(w, `{"items":[]}`)
	case r.Method == "POST" && r.URL.Path == "/credentials/issue":
		if r.Header.Get("Authorization") != "Bearer tcit_test" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		var req struct {
			Credential struct {
				CredentialSubject struct {
					ID string `json:"id"`
				} `json:"credentialSubject"`
			} `json:"credential"`
		}
		if json.Unmarshal(body, &req) != nil || !strings.HasPrefix(req.Credential.CredentialSubject.ID, "did:key:") {
			http.Error(w, "bad credential", http.StatusUnprocessableEntity)
			return
		}
		n := f.issues.Add(1)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"verifiableCredential":{"id":"urn:uuid:issued-%d"},"anchorReceipt":{"root":"01"}}`, n)
	default:
		http.NotFound(w, r)
	}
}

// demoData writes a demo.json and a credential with its receipt.
func demoData(t *testing.T) string {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "demo"), 0o700); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"demo.json":                   `{"issuers":[{"did":"did:talent:x","token":"tcit_test"}],"holders":[{"username":"a","password":"p","did":"did:key:z6Mka"},{"username":"b","password":"p","did":"did:key:z6Mkb"}],"credentials":["demo/a.json"]}`,
		"demo/a.json":                 `{"id":"urn:uuid:1"}`,
		"demo/a.receipt.json":         `{"root":"00"}`,
		"demo/unrelated.receipt.json": `{}`,
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestRunMixed(t *testing.T) {
	f := &fakeNode{}
	srv := httptest.NewServer(f)
	defer srv.Close()
	rep, err := Run(context.Background(), Config{URL: srv.URL, Data: demoData(t), Mode: "mixed", Mix: "verify=2,wallet=1,issue=1",
		Concurrency: 4, Duration: 300 * time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed != 0 || rep.Requests < 20 {
		t.Fatalf("%+v", rep)
	}
	for _, k := range []string{kindVerify, kindWallet, kindIssue} {
		if rep.ByKind[k] == nil || rep.ByKind[k].Requests == 0 {
			t.Errorf("no %s requests: %+v", k, rep.ByKind)
		}
	}
	if sum := rep.ByKind[kindVerify].Requests + rep.ByKind[kindWallet].Requests + rep.ByKind[kindIssue].Requests; sum != rep.Requests {
		t.Errorf("kinds add up to %d of %d", sum, rep.Requests)
	}
	if rep.P50ms > rep.P99ms || rep.P99ms > rep.MaxMs || rep.RPS <= 0 {
		t.Errorf("figures out of order: %+v", rep.Stats)
	}
	var text bytes.Buffer
	rep.WriteText(&text)
	if !strings.Contains(text.String(), "wallet") || !strings.Contains(text.String(), "req/s") {
		t.Errorf("text report: %s", text.String())
	}
}

// TestRunCountsErrors: failed requests are counted by status and make
// -fail-on-error exit non-zero; the rate mode schedules about the rate.
func TestRunCountsErrors(t *testing.T) {
	f := &fakeNode{failEvery: 5}
	srv := httptest.NewServer(f)
	defer srv.Close()
	data := demoData(t)
	var out, errOut bytes.Buffer
	err := run(context.Background(), []string{"-url", srv.URL, "-data", data, "-mode", "verify", "-rate", "200", "-c", "8",
		"-d", "500ms", "-warmup", "0s", "-json", "-", "-fail-on-error"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "failed") {
		t.Fatalf("want a failure, got %v", err)
	}
	var rep Report
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if rep.Errors["500"] == 0 || rep.Failed != rep.Errors["500"] || rep.Sample == "" {
		t.Fatalf("errors %+v", rep.Stats)
	}
	if rep.Requests < 60 || rep.Requests > 130 {
		t.Errorf("%d requests in 0.5 s at 200/s", rep.Requests)
	}
}

func TestRunRefuses(t *testing.T) {
	srv := httptest.NewServer(&fakeNode{})
	defer srv.Close()
	var out, errOut bytes.Buffer
	for name, args := range map[string][]string{
		"no demo":        {"-url", srv.URL, "-data", t.TempDir(), "-d", "100ms"},
		"bad flag":       {"-nope"},
		"extra argument": {"-url", srv.URL, "x"},
		"bad mode":       {"-mode", "x"},
	} {
		if err := run(context.Background(), args, &out, &errOut); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A node whose first verification fails is not loaded.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, `{"verified":false}`) }))
	defer bad.Close()
	if _, err := Run(context.Background(), Config{URL: bad.URL, Data: demoData(t), Mode: "verify", Concurrency: 1, Duration: time.Second, Timeout: time.Second}); err == nil || !strings.Contains(err.Error(), "first verification") {
		t.Fatalf("got %v", err)
	}
}

// FuzzParseMix: the -mix reader never panics and accepts only weights
// of the known kinds that add up to something.
func FuzzParseMix(f *testing.F) {
	f.Add("verify=80,wallet=15,issue=5")
	f.Add("verify=1")
	f.Add("=,=")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseMix("mixed", s)
		if err != nil {
			return
		}
		if len(m) == 0 || m[len(m)-1].cum <= 0 {
			t.Fatalf("%q accepted as %v", s, m)
		}
		for _, w := range m {
			if w.kind != kindVerify && w.kind != kindWallet && w.kind != kindIssue {
				t.Fatalf("%q: kind %q", s, w.kind)
			}
		}
	})
}

// TestDistinctAndUnique: -distinct issues the credentials first and
// verifies each of them; -unique sends no two identical bodies, each the
// same JSON as the plain body once white space is ignored.
func TestDistinctAndUnique(t *testing.T) {
	for _, c := range []struct {
		name           string
		distinct       int
		unique         bool
		wantIssued     int
		wantCredential string // a credential id every request names ("" = any)
	}{
		{"demo credential", 0, false, 0, "urn:uuid:1"},
		{"distinct", 5, false, 5, ""},
		{"unique", 0, true, 0, "urn:uuid:1"},
		{"distinct and unique", 3, true, 3, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := &fakeNode{}
			srv := httptest.NewServer(f)
			defer srv.Close()
			rep, err := Run(context.Background(), Config{URL: srv.URL, Data: demoData(t), Mode: "verify", Concurrency: 2,
				Duration: 200 * time.Millisecond, Timeout: time.Second, Distinct: c.distinct, Unique: c.unique, ServerPID: os.Getpid()})
			if err != nil {
				t.Fatal(err)
			}
			// Requests the run cancelled at its end may still be in the
			// handler: Close waits for them, so the counts below agree.
			srv.Close()
			if rep.Failed != 0 || rep.Requests < 10 {
				t.Fatalf("%+v", rep.Stats)
			}
			if got := int(f.issues.Load()); got != c.wantIssued {
				t.Errorf("%d credentials issued, want %d", got, c.wantIssued)
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			verified := int(f.verifies.Load())
			switch {
			case c.wantCredential != "" && (len(f.credentials) != 1 || f.credentials[c.wantCredential] != verified):
				t.Errorf("credentials verified %v, want only %s", f.credentials, c.wantCredential)
			case c.distinct > 0 && len(f.credentials) != c.distinct:
				t.Errorf("%d distinct credentials verified, want %d: %v", len(f.credentials), c.distinct, f.credentials)
			}
			switch {
			case c.unique && len(f.bodies) != verified:
				t.Errorf("%d distinct bodies in %d requests", len(f.bodies), verified)
			case !c.unique && len(f.bodies) != max(1, c.distinct):
				t.Errorf("%d distinct bodies, want %d", len(f.bodies), max(1, c.distinct))
			}
			if rep.ServerCPU <= 0 || rep.PerServerCPU <= 0 || rep.Distinct != c.distinct || rep.Unique != c.unique {
				t.Errorf("report: server CPU %v, %v req/cpu-s, distinct %d, unique %v", rep.ServerCPU, rep.PerServerCPU, rep.Distinct, rep.Unique)
			}
		})
	}
}

func TestUniqueBody(t *testing.T) {
	it := verifyItem{vc: json.RawMessage(` {"id":"urn:uuid:1","name":"a b"} `), receipt: json.RawMessage(`{"root":"00"}`)}
	plain := it.body(7, false)
	var want bytes.Buffer
	if err := json.Compact(&want, plain); err != nil {
		t.Fatal(err)
	}
	seen := map[string]uint64{}
	for n := range uint64(5000) {
		b := it.body(n, true)
		var got bytes.Buffer
		if err := json.Compact(&got, b); err != nil {
			t.Fatalf("%d: %v: %q", n, err, b)
		}
		if got.String() != want.String() {
			t.Fatalf("%d: %s, want %s", n, got.String(), want.String())
		}
		if m, dup := seen[string(b)]; dup {
			t.Fatalf("requests %d and %d send the same bytes", m, n)
		}
		seen[string(b)] = n
	}
	if it2 := (verifyItem{vc: json.RawMessage(`{"id":"x"}`)}); string(it2.body(1, false)) != `{"verifiableCredential":{"id":"x"}}` {
		t.Errorf("without a receipt: %s", it2.body(1, false))
	}
}

func TestParseStatCPU(t *testing.T) {
	for _, c := range []struct {
		stat string
		want time.Duration
		bad  bool
	}{
		{"42 (talentchain) S 1 42 42 0 -1 4194560 100 0 0 0 250 30 0 0 20 0 12 0 100 0 0", 2800 * time.Millisecond, false},
		{"42 (a b) c) R 1 42 42 0 -1 0 0 0 0 0 1 2 0 0", 30 * time.Millisecond, false},
		{"42 talentchain S", 0, true},
		{"42 (x) S 1 2", 0, true},
		{"42 (x) S 1 42 42 0 -1 0 0 0 0 0 -5 2 0 0", 0, true},
	} {
		got, err := parseStatCPU(c.stat)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("%q: %v %v, want %v (error %v)", c.stat, got, err, c.want, c.bad)
		}
	}
	if d, err := processCPU(os.Getpid()); err != nil || d < 0 {
		t.Errorf("own CPU time: %v %v", d, err)
	}
}
