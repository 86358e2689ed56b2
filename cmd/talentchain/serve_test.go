package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
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

// testConfig is the default config with the data folder in a temporary
// directory and the embedded node's RPC not listening.
func testConfig(t *testing.T) config {
	t.Helper()
	cfg := defaultConfig()
	cfg.dataDir = filepath.Join(t.TempDir(), "data")
	cfg.chain.listen = ""
	cfg.chain.blockInterval = 50 * time.Millisecond
	return cfg
}

func TestServeOnAndShutdown(t *testing.T) {
	cfg := testConfig(t)
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
	if a.node == nil {
		t.Fatal("build started no embedded chain node")
	}
	govKey := filepath.Join(cfg.dataDir, "chain", "config", "governance_key.json")
	if fi, err := os.Stat(govKey); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("governance key %s: %v (mode %v)", govKey, err, fi.Mode())
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
	if a.isReady() {
		t.Error("still ready after shutdown")
	}
	// The node was stopped: its databases are unlocked, so it starts again.
	b, err := build(t.Context(), cfg, log)
	if err != nil {
		t.Fatalf("restart after shutdown: %v", err)
	}
	if err := b.close(); err != nil {
		t.Fatal(err)
	}
}

// TestHealthzWaitsForChain: /healthz answers 200 only once the chain is up,
// even when the HTTP server is serving: never with an unreachable node.
func TestHealthzWaitsForChain(t *testing.T) {
	tests := []struct {
		name   string
		remote string
		want   int
	}{
		{"embedded node", "", http.StatusOK},
		{"unreachable remote node", "http://" + freeAddr(t), http.StatusServiceUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.verifier = fakeVerifier{}
			cfg.chain.remote = tt.remote
			cfg.chain.trustNode = tt.remote != ""
			if cfg.chain.trustNode {
				cfg.chain.chainID = "talentchain-test"
			}
			a, err := build(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			a.ready.Store(true) // as serveOn does once it listens
			srv := httptest.NewServer(a.handler)
			defer srv.Close()
			status := 0
			// Up is waited for as long as a loaded machine may need;
			// staying down is watched for 3 s.
			for deadline := time.Now().Add(readyWithin(tt.want == http.StatusOK)); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				resp, err := http.Get(srv.URL + "/healthz")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if status = resp.StatusCode; status == http.StatusOK {
					break
				}
			}
			if status != tt.want {
				t.Errorf("/healthz %d, want %d", status, tt.want)
			}
		})
	}
}

func TestBuildClosesOnFailure(t *testing.T) {
	cfg := testConfig(t)
	cfg.verifier = fakeVerifier{}
	cfg.ui.MaxBodyBytes = 1 // refused by ui.New
	log := slog.New(slog.DiscardHandler)
	if _, err := build(t.Context(), cfg, log); err == nil {
		t.Fatal("build accepted an invalid web config")
	}
	// The chain node started before the failure was stopped again.
	cfg.ui = defaultConfig().ui
	a, err := build(t.Context(), cfg, log)
	if err != nil {
		t.Fatalf("build after a failed build: %v", err)
	}
	a.close()
}

func TestRunServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(t)
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

// readyWithin is how long a test waits for a node to become ready: as long
// as a loaded 2-core machine running -race may need when it should (the
// wait ends as soon as it is), 3 s of staying unready when it should not.
func readyWithin(should bool) time.Duration {
	if should {
		return 60 * time.Second
	}
	return 3 * time.Second
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

// startChainNode starts an embedded node in a temporary folder with its RPC
// on a free loopback port and returns it with the RPC URL.
func startChainNode(t *testing.T) (*chain.Node, string) {
	n, url, _ := startChainNodeIn(t, t.TempDir())
	return n, url
}

// startChainNodeIn is startChainNode in home, which it also returns.
func startChainNodeIn(t *testing.T, home string) (*chain.Node, string, string) {
	t.Helper()
	rpc := "tcp://" + freeAddr(t)
	n, err := chain.StartNode(t.Context(), chain.NodeConfig{
		Home: home, ChainID: "talentchain-test", RPCAddress: rpc,
		P2PAddress: "tcp://127.0.0.1:0", BlockInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	return n, "http://" + strings.TrimPrefix(rpc, "tcp://"), home
}

// TestBuildRemoteChain: with --chain-rpc serve starts no node of its own, and
// is ready once the remote node answers with state proved against headers
// signed by the genesis validators; an unreachable node, or one whose headers
// are not signed by the trusted genesis's validators, keeps it unready.
func TestBuildRemoteChain(t *testing.T) {
	_, url, home := startChainNodeIn(t, t.TempDir())
	genesis := filepath.Join(home, "config", "genesis.json")
	other := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(other, []byte(`{"chain_id":"talentchain-test","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},"power":"10"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		remote    string
		genesis   string
		wantReady bool
	}{
		{"reachable node", url, genesis, true},
		{"nobody listening", "http://" + freeAddr(t), genesis, false},
		{"signed by other validators", url, other, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.verifier = fakeVerifier{}
			cfg.chain.remote = tt.remote
			cfg.chain.genesis = tt.genesis
			a, err := build(t.Context(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			defer a.close()
			if a.node != nil {
				t.Error("started an embedded node although --chain-rpc is set")
			}
			if _, err := os.Stat(filepath.Join(cfg.dataDir, "chain")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("embedded chain folder exists: %v", err)
			}
			deadline := time.Now().Add(readyWithin(tt.wantReady))
			for !a.chainUp.Load() && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			if a.chainUp.Load() != tt.wantReady {
				t.Errorf("chain up = %v, want %v", a.chainUp.Load(), tt.wantReady)
			}
		})
	}
}
