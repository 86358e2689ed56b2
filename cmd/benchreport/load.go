package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// loadRun is one tcload run against the server, with the server's CPU time.
type loadRun struct {
	Name   string     `json:"name"`
	Args   []string   `json:"args"`
	Report loadReport `json:"report"`
	// ServerCPU is the CPU time the server process used during the
	// measured window (tcload -server-pid), or, from an older tcload,
	// during the whole run with its warm-up.
	ServerCPU float64 `json:"server_cpu_s"`
}

// loadReport is what benchreport reads of tcload's JSON.
type loadReport struct {
	Mode        string         `json:"mode"`
	Concurrency int            `json:"concurrency"`
	Rate        float64        `json:"rate"`
	Seconds     float64        `json:"seconds"`
	Requests    int            `json:"requests"`
	Failed      int            `json:"failed"`
	RPS         float64        `json:"rps"`
	P50ms       float64        `json:"p50_ms"`
	P90ms       float64        `json:"p90_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	Errors      map[string]int `json:"errors"`
	Distinct    int            `json:"distinct"`
	Unique      bool           `json:"unique"`
	ServerCPU   float64        `json:"server_cpu_s"`
	ByKind      map[string]struct {
		Requests int     `json:"requests"`
		RPS      float64 `json:"rps"`
		P50ms    float64 `json:"p50_ms"`
		P99ms    float64 `json:"p99_ms"`
		Failed   int     `json:"failed"`
	} `json:"by_kind"`
}

// runLoad builds talentchain and tcload, starts `serve --demo` on a free
// loopback port with a fresh data folder, and runs each tcload argument
// list against it in turn.
func runLoad(ctx context.Context, root, work string, runs map[string][]string, order []string, log io.Writer) ([]loadRun, error) {
	bins := map[string]string{}
	for _, name := range []string{"talentchain", "tcload"} {
		path := filepath.Join(work, name)
		fmt.Fprintf(log, "benchreport: go build ./cmd/%s\n", name)
		cmd := exec.CommandContext(ctx, "go", "build", "-o", path, "./cmd/"+name)
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("go build %s: %w\n%s", name, err, out)
		}
		bins[name] = path
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	data := filepath.Join(work, "data")
	logFile, err := os.Create(filepath.Join(work, "serve.log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	srv := exec.Command(bins["talentchain"], "serve", "--data", data, "--addr", addr, "--demo", "--chain-listen", "", "--log-level", "warn")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "TALENTCHAIN_") {
			srv.Env = append(srv.Env, kv)
		}
	}
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		return nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- srv.Wait() }()
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = srv.Process.Kill()
			<-exited
		}
	}()
	base := "http://" + addr
	if err := waitReady(ctx, base, filepath.Join(data, "demo.json"), exited); err != nil {
		return nil, err
	}
	var out []loadRun
	for _, name := range order {
		args := append([]string{"-url", base, "-data", data, "-json", "-", "-server-pid", strconv.Itoa(srv.Process.Pid)}, runs[name]...)
		fmt.Fprintf(log, "benchreport: tcload %s\n", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, bins["tcload"], args...)
		raw, err := cmd.Output()
		if err != nil {
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return nil, fmt.Errorf("tcload %s: %w\n%s", name, err, ee.Stderr)
			}
			return nil, fmt.Errorf("tcload %s: %w", name, err)
		}
		r := loadRun{Name: name, Args: runs[name]}
		if err := json.Unmarshal(raw, &r.Report); err != nil {
			return nil, fmt.Errorf("tcload %s: %w: %s", name, err, raw)
		}
		// tcload reads the server's CPU time (-server-pid) over the measured
		// window only: the warm-up's requests are not counted.
		r.ServerCPU = r.Report.ServerCPU
		if err := os.WriteFile(filepath.Join(work, "load-"+name+".json"), raw, 0o644); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

func waitReady(ctx context.Context, base, demo string, exited <-chan error) error {
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if _, err := os.Stat(demo); err == nil {
			if resp, err := http.Get(base + "/healthz"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return nil
				}
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("serve --demo exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("serve --demo was not ready within 3 minutes")
		}
	}
}
