package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// fakeVerifier answers every verification with a fixed result.
type fakeVerifier struct{ verified bool }

func (f fakeVerifier) result() *credential.Result {
	return &credential.Result{Verified: f.verified, Checks: []credential.Check{{Name: "proof", Passed: f.verified, Message: "fake"}}, Warnings: []string{}, Errors: []string{}}
}

func (f fakeVerifier) VerifyCredential(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return f.result(), nil
}

func (f fakeVerifier) VerifyPresentation(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return f.result(), nil
}

func TestServeOnAndShutdown(t *testing.T) {
	cfg := defaultConfig()
	cfg.dataDir = filepath.Join(t.TempDir(), "data")
	cfg.verifier = fakeVerifier{verified: true}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))

	if err := prepareDataDir(cfg.dataDir, log); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(cfg.dataDir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("data folder: %v, mode %v", err, fi.Mode())
	}
	a, err := build(t.Context(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, ln, a, 5*time.Second, log) }()
	base := "http://" + ln.Addr().String()

	waitHealthy(t, base, 10*time.Second)
	resp, err := http.Post(base+"/credentials/verify", "application/json", strings.NewReader(`{"verifiableCredential":{}}`))
	if err != nil {
		t.Fatal(err)
	}
	var res credential.Result
	err = json.NewDecoder(resp.Body).Decode(&res)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || !res.Verified {
		t.Fatalf("verify: status %d, %+v, %v", resp.StatusCode, res, err)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serveOn: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serveOn did not return after cancel")
	}
	if a.ready.Load() {
		t.Error("still ready after shutdown")
	}
}

func TestBuildClosesOnFailure(t *testing.T) {
	cfg := defaultConfig()
	cfg.verifier = fakeVerifier{}
	cfg.ui.MaxBodyBytes = 1 // refused by ui.New
	if _, err := build(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
		t.Fatal("build accepted an invalid web config")
	}
}

func TestRunServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := defaultConfig()
	cfg.dataDir = t.TempDir()
	cfg.addr = ln.Addr().String()
	cfg.verifier = fakeVerifier{}
	err = runServe(t.Context(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "listen") {
		t.Fatalf("err = %v, want a listen error", err)
	}
	var op *net.OpError
	if !errors.As(err, &op) {
		t.Errorf("listen error not wrapped: %v", err)
	}
}

// waitHealthy polls base/healthz until it answers 200.
func waitHealthy(t *testing.T, base string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s/healthz not ready within %s (last: %v)", base, within, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
