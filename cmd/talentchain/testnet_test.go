package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	cmttypes "github.com/cometbft/cometbft/types"

	"github.com/talentchain/talentchain/chain"
)

// TestTestnetCommand checks what testnet writes: a home per validator with
// a shared genesis naming every validator and the governance, distinct
// ports, every other validator as a persistent peer, and secret files only
// the owner can read; and that it never writes over an existing network.
func TestTestnetCommand(t *testing.T) {
	out := filepath.Join(t.TempDir(), "net")
	code, stdout, stderr := runCLI(t, "", "testnet", "--validators", "4", "--out", out, "--gov-members", "3", "--gov-threshold", "2", "--chain-id", "tc-test")
	if code != 0 {
		t.Fatalf("testnet: exit %d: %s", code, stderr)
	}
	var sum testnetSummary
	if err := json.Unmarshal([]byte(stdout), &sum); err != nil {
		t.Fatal(err)
	}
	if len(sum.Nodes) != 4 || len(sum.Governance.KeyFiles) != 3 || sum.Governance.Threshold != 2 || sum.ChainID != "tc-test" {
		t.Fatalf("summary %+v", sum)
	}
	var genesis []byte
	addrs := map[string]bool{}
	for i, n := range sum.Nodes {
		g, err := os.ReadFile(filepath.Join(n.Home, "config", "genesis.json"))
		if err != nil {
			t.Fatal(err)
		}
		if i > 0 && !bytes.Equal(g, genesis) {
			t.Errorf("node%d has another genesis", i)
		}
		genesis = g
		var nc nodeConfig
		raw, err := os.ReadFile(filepath.Join(n.Home, "config", nodeConfigFile))
		if err != nil || json.Unmarshal(raw, &nc) != nil {
			t.Fatalf("node config: %v", err)
		}
		if len(nc.PersistentPeers) != 3 || slices.Contains(nc.PersistentPeers, n.ID+"@"+n.P2P) || !nc.AllowDuplicateIP {
			t.Errorf("node%d peers %v", i, nc.PersistentPeers)
		}
		addrs[nc.RPC], addrs[nc.P2P] = true, true
		for _, secret := range []string{"config/priv_validator_key.json", "config/node_key.json"} {
			if fi, err := os.Stat(filepath.Join(n.Home, secret)); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("%s of node%d: %v, mode %v", secret, i, err, fi.Mode())
			}
		}
	}
	if len(addrs) != 8 {
		t.Errorf("%d distinct addresses, want 8", len(addrs))
	}
	doc, err := cmttypes.GenesisDocFromJSON(genesis)
	if err != nil {
		t.Fatal(err)
	}
	var app chain.Genesis
	if err := json.Unmarshal(doc.AppState, &app); err != nil {
		t.Fatal(err)
	}
	if len(doc.Validators) != 4 || len(app.Governance.Members) != 3 || app.Governance.Threshold != 2 || doc.ChainID != "tc-test" {
		t.Errorf("genesis: %d validators, governance %+v", len(doc.Validators), app.Governance)
	}
	for _, f := range sum.Governance.KeyFiles {
		k, err := loadPrivateKey(f)
		if fi, _ := os.Stat(f); err != nil || fi.Mode().Perm() != 0o600 || !slices.Contains(app.Governance.Members, chain.EncodePublicKey(pubOf(k))) {
			t.Errorf("governance key %s: %v", f, err)
		}
	}

	refused := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"existing network", []string{"testnet", "--out", out}, 1, "not empty"},
		{"no --out", []string{"testnet"}, 2, "--out is required"},
		{"zero validators", []string{"testnet", "--out", t.TempDir(), "--validators", "0"}, 2, "--validators"},
		{"threshold above members", []string{"testnet", "--out", t.TempDir(), "--gov-members", "2", "--gov-threshold", "3"}, 2, "--gov-threshold"},
		{"host not an IP", []string{"testnet", "--out", t.TempDir(), "--host", "localhost"}, 2, "--host"},
		{"node without --home", []string{"node"}, 2, "--home is required"},
		{"node in a folder that is no home", []string{"node", "--home", t.TempDir()}, 1, "not a validator home"},
	}
	for _, r := range refused {
		t.Run(r.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", r.args...)
			if code != r.code || !strings.Contains(stderr, r.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, r.code, r.want)
			}
		})
	}
}

// validator is one `talentchain node` process of the test network.
type validator struct {
	t    testing.TB
	bin  string
	home string
	rpc  *rpchttp.HTTP
	log  *os.File
	cmd  *exec.Cmd
	done chan error
}

func (v *validator) start() {
	v.t.Helper()
	v.cmd = exec.Command(v.bin, "node", "--home", v.home, "--log-format", "json")
	v.cmd.Stdout, v.cmd.Stderr = v.log, v.log
	if err := v.cmd.Start(); err != nil {
		v.t.Fatal(err)
	}
	v.done = make(chan error, 1)
	go func(c *exec.Cmd, done chan error) { done <- c.Wait() }(v.cmd, v.done)
}

// kill sends SIGKILL: no shutdown, as when a machine loses power.
func (v *validator) kill() {
	v.t.Helper()
	if v.cmd == nil {
		return
	}
	v.cmd.Process.Signal(syscall.SIGKILL)
	<-v.done
	v.cmd = nil
}

// info returns the node's last committed height and AppHash.
func (v *validator) info(ctx context.Context) (int64, []byte, error) {
	res, err := v.rpc.ABCIInfo(ctx)
	if err != nil {
		return 0, nil, err
	}
	return res.Response.LastBlockHeight, res.Response.LastBlockAppHash, nil
}

// testNetwork starts the 4-validator network that testnet writes, as real
// processes of the binary.
type testNetwork struct {
	t       testing.TB
	nodes   []*validator
	chainID string
	gov     []ed25519.PrivateKey // threshold many
	clients []*chain.Client      // proof-checking client of each node
}

func startTestNetwork(t testing.TB, n int) *testNetwork {
	t.Helper()
	bin := testBinary(t)
	dir := t.TempDir()
	out, err := exec.Command(bin, "testnet", "--validators", fmt.Sprint(n), "--out", filepath.Join(dir, "net"),
		"--block-interval", "100ms", "--timeout-propose", "1s").Output()
	if err != nil {
		t.Fatalf("testnet: %v", err)
	}
	var sum testnetSummary
	if err := json.Unmarshal(out, &sum); err != nil {
		t.Fatal(err)
	}
	net := &testNetwork{t: t, chainID: sum.ChainID}
	for _, f := range sum.Governance.KeyFiles[:sum.Governance.Threshold] {
		k, err := loadPrivateKey(f)
		if err != nil {
			t.Fatal(err)
		}
		net.gov = append(net.gov, k)
	}
	for i, s := range sum.Nodes {
		rpc, err := rpchttp.New(s.RPC, "/websocket")
		if err != nil {
			t.Fatal(err)
		}
		logf, err := os.Create(filepath.Join(dir, fmt.Sprintf("node%d.log", i)))
		if err != nil {
			t.Fatal(err)
		}
		v := &validator{t: t, bin: bin, home: s.Home, rpc: rpc, log: logf}
		v.start()
		net.nodes = append(net.nodes, v)
		net.clients = append(net.clients, chain.NewClient(rpc, chain.ClientConfig{PollInterval: 20 * time.Millisecond}))
	}
	t.Cleanup(func() {
		for i, v := range net.nodes {
			v.kill()
			v.log.Close()
			if t.Failed() {
				b, _ := os.ReadFile(v.log.Name())
				t.Logf("node%d log (last 3000 bytes):\n%s", i, b[max(0, len(b)-3000):])
			}
		}
	})
	return net
}

// waitSynced waits until every listed node has committed the same height and
// AppHash, and returns them.
func (n *testNetwork) waitSynced(ctx context.Context, idx ...int) (int64, []byte) {
	n.t.Helper()
	var last string
	for {
		var h0 int64
		var hash0 []byte
		same := true
		var seen []string
		for i, k := range idx {
			h, hash, err := n.nodes[k].info(ctx)
			seen = append(seen, fmt.Sprintf("node%d=%d/%X/%v", k, h, hash[:min(4, len(hash))], err))
			if err != nil || h == 0 {
				same = false
				continue
			}
			if i == 0 {
				h0, hash0 = h, hash
			} else if h != h0 || !bytes.Equal(hash, hash0) {
				same = false
			}
		}
		last = strings.Join(seen, " ")
		if same {
			return h0, hash0
		}
		select {
		case <-ctx.Done():
			n.t.Fatalf("nodes %v never agreed: %s", idx, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// noFork checks that the listed nodes hold the same block at every height
// they all have.
func (n *testNetwork) noFork(ctx context.Context, idx ...int) {
	n.t.Helper()
	top := int64(1 << 62)
	for _, k := range idx {
		h, _, err := n.nodes[k].info(ctx)
		if err != nil {
			n.t.Fatal(err)
		}
		top = min(top, h)
	}
	for from := int64(1); from <= top; from += 20 {
		to := min(from+19, top)
		var want []string
		for i, k := range idx {
			res, err := n.nodes[k].rpc.BlockchainInfo(ctx, from, to)
			if err != nil {
				n.t.Fatal(err)
			}
			var got []string
			for _, m := range res.BlockMetas {
				got = append(got, m.BlockID.Hash.String())
			}
			if i == 0 {
				want = got
			} else if !slices.Equal(got, want) {
				n.t.Fatalf("fork: node%d has blocks %v at %d..%d, node%d %v", k, got, from, to, idx[0], want)
			}
		}
	}
}

// anchorTx returns a signed anchor of a fresh root with sequence seq.
func (n *testNetwork) anchorTx(did string, key ed25519.PrivateKey, label string, seq uint64) []byte {
	n.t.Helper()
	root := fmt.Sprintf("%x", seedKey(label).Seed())
	tx := chain.NewTx(&chain.Anchor{Root: root, LeafCount: 8, CredentialTypes: []string{"TrainingCertificateCredential"}}, chain.KeyID(did, 1), seq)
	if err := tx.Sign(n.chainID, key); err != nil {
		n.t.Fatal(err)
	}
	b, err := tx.Encode()
	if err != nil {
		n.t.Fatal(err)
	}
	return b
}

// TestConsortium runs four real `talentchain node` processes on loopback
// and checks BFT behaviour end to end: an anchor commits; with one
// validator killed anchors still commit; restarted, it catches up to the
// same AppHash; with two of four down nothing commits (a submit ends with
// ErrNotConfirmed) and nothing forks; with one of them back the pending
// anchor commits. It then measures anchor confirmation latency.
func TestConsortium(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a 4-validator network")
	}
	start := time.Now()
	net := startTestNetwork(t, 4)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	c0 := net.clients[0]
	net.waitSynced(ctx, 0, 1, 2, 3)
	t.Logf("network up after %s", time.Since(start).Round(time.Millisecond))

	issuerKey := seedKey("consortium-university")
	did := registerIssuer(t, ctx, c0, net.chainID, issuerKey, net.gov...)
	var seq uint64 // the issuer's last sequence; this test is its only signer
	next := func() uint64 { seq++; return seq }
	phase := func(what string) { t.Logf("%-40s at %s", what, time.Since(start).Round(time.Millisecond)) }
	phase("issuer registered and accredited")

	// 1. An anchor commits, and another node proves it.
	r, err := c0.Submit(ctx, net.anchorTx(did, issuerKey, "anchor-1", next()))
	if err != nil {
		t.Fatalf("anchor with all four up: %v", err)
	}
	net.waitSynced(ctx, 0, 1, 2, 3) // node2 may be a block behind node0
	if a, err := net.clients[2].Anchor(ctx, fmt.Sprintf("%x", seedKey("anchor-1").Seed())); err != nil || a.Height != r.Height || a.Issuer != did {
		t.Fatalf("anchor read back from node2: %+v, %v", a, err)
	}
	phase("1. anchor committed, proved by node2")

	// 2. One validator down (f = 1 of 3f+1): anchors still commit, also in
	// rounds where the dead node would propose.
	net.nodes[3].kill()
	for i := range 4 {
		if _, err := c0.Submit(ctx, net.anchorTx(did, issuerKey, fmt.Sprint("one-down-", i), next())); err != nil {
			t.Fatalf("anchor %d with node3 down: %v", i, err)
		}
	}
	phase("2. four anchors with node3 down")

	// 3. It restarts and catches up to the same AppHash.
	net.nodes[3].start()
	h, hash := net.waitSynced(ctx, 0, 1, 2, 3)
	phase(fmt.Sprintf("3. node3 caught up: height %d, AppHash %X", h, hash[:8]))

	// 4. Two of four down: no block commits, and the two left agree.
	net.nodes[2].kill()
	net.nodes[3].kill()
	before, _ := net.waitSynced(ctx, 0, 1)
	pending := net.anchorTx(did, issuerKey, "pending", next())
	// Long enough for the broadcast itself on a loaded machine: a deadline
	// during BroadcastTxSync is not ErrNotConfirmed.
	sctx, scancel := context.WithTimeout(ctx, 10*time.Second)
	_, err = c0.Submit(sctx, pending)
	scancel()
	if !errors.Is(err, chain.ErrNotConfirmed) {
		t.Fatalf("submit with two of four down: %v, want ErrNotConfirmed", err)
	}
	if after, _ := net.waitSynced(ctx, 0, 1); after != before {
		t.Fatalf("height moved from %d to %d with two of four validators down", before, after)
	}
	net.noFork(ctx, 0, 1)
	phase("4. two down: not confirmed, no fork")

	// 5. One comes back: the pending anchor commits (it waited in the mempool).
	net.nodes[3].start()
	r, err = c0.Submit(ctx, pending)
	if err != nil {
		t.Fatalf("pending anchor after node3 returned: %v", err)
	}
	if r.Height <= before {
		t.Errorf("pending anchor committed at %d, not after the stall at %d", r.Height, before)
	}
	net.nodes[2].start()
	h, hash = net.waitSynced(ctx, 0, 1, 2, 3)
	net.noFork(ctx, 0, 1, 2, 3)
	phase(fmt.Sprintf("5. pending committed; all at %d, %X", h, hash[:8]))

	// 6. Anchor confirmation latency, all four up, submitted to node0.
	var lat []time.Duration
	for i := range 30 {
		tx := net.anchorTx(did, issuerKey, fmt.Sprint("latency-", i), next())
		t0 := time.Now()
		if _, err := c0.Submit(ctx, tx); err != nil {
			t.Fatalf("latency anchor %d: %v", i, err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	t.Logf("4-validator anchor submit→confirmed (n=%d, race=%v): median %s, p95 %s, max %s",
		len(lat), raceEnabled, lat[len(lat)/2].Round(time.Millisecond), lat[len(lat)*95/100].Round(time.Millisecond), lat[len(lat)-1].Round(time.Millisecond))
	phase("6. latency measured")
}

// BenchmarkConsortiumAnchorConfirm measures submit-to-confirmed latency of
// an anchor on the 4-validator network of real processes (block interval
// 100ms), submitted to node0: go test -run '^$' -bench Consortium -benchtime 100x ./cmd/talentchain
func BenchmarkConsortiumAnchorConfirm(b *testing.B) {
	net := startTestNetwork(b, 4)
	ctx := b.Context()
	net.waitSynced(ctx, 0, 1, 2, 3)
	key := seedKey("bench-university")
	did := registerIssuer(b, ctx, net.clients[0], net.chainID, key, net.gov...)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		tx := net.anchorTx(did, key, fmt.Sprint("bench-", i), uint64(i+1))
		t0 := time.Now()
		if _, err := net.clients[0].Submit(ctx, tx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}
