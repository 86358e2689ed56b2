package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// serveProcess is `talentchain serve` run as a separate process.
type serveProcess struct {
	cmd    *exec.Cmd
	exited chan error
	out    *bytes.Buffer
}

// adminWhenHealthy waits for the node to answer healthy and signs in as its
// administrator with the token serve wrote into data.
func (n *node) adminWhenHealthy(t *testing.T, data string, wait time.Duration) {
	t.Helper()
	waitHealthy(t, n.base, wait)
	tok, err := os.ReadFile(filepath.Join(data, adminTokenFile))
	if err != nil {
		t.Fatal(err)
	}
	n.admin = strings.TrimSpace(string(tok))
}

func startServe(t *testing.T, bin, data, addr, rpc string) *serveProcess {
	t.Helper()
	var out bytes.Buffer
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--chain-listen", "tcp://"+rpc,
		"--block-interval", "50ms", "--batch-delay", "20ms", "--log-level", "warn")
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, exited: make(chan error, 1), out: &out}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}

// TestBatchCrash issues a class of 10,000 (TALENTCHAIN_BATCH_ROWS overrides)
// through the real binary and kills it with SIGKILL mid-batch. After a
// restart the job resumes by itself, and re-running the same CSV through
// the CLI issues nothing twice and skips nothing: exactly one credential per
// row in the store, exactly one anchored leaf per row on chain, in about one
// anchor transaction per chunk.
func TestBatchCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("issues a whole class through the binary")
	}
	rows := 10000
	if v := os.Getenv("TALENTCHAIN_BATCH_ROWS"); v != "" {
		var err error
		if rows, err = strconv.Atoi(v); err != nil || rows < 1000 {
			t.Fatalf("TALENTCHAIN_BATCH_ROWS=%q: want a number >= 1000", v)
		}
	}
	bin := testBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, rpc := freeAddr(t), freeAddr(t)
	base := "http://" + addr
	n := &node{base: base}

	srv := startServe(t, bin, data, addr, rpc)
	n.adminWhenHealthy(t, data, 60*time.Second)
	did, token := n.newOrg(t, "人大", map[string]any{"credentialType": "DegreeCredential"})
	csvPath := classCSV(t, dir, rows, nil)
	body, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}

	// Upload, let it get going, then kill -9 mid-batch.
	start := time.Now()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", base+"/batches?template=master-degree", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job batchJob
	err = json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated || job.ID == "" {
		t.Fatalf("upload: %d %+v %v", resp.StatusCode, job, err)
	}
	killAt := rows / 5
	for job.Issued < killAt {
		if time.Since(start) > 5*time.Minute {
			t.Fatalf("only %d issued after 5 minutes", job.Issued)
		}
		time.Sleep(20 * time.Millisecond)
		n.call(t, "GET", "/batches/"+job.ID, token, nil, &job)
		if finished(job.Status) {
			t.Fatalf("job ended %s before the kill (%d issued): use more rows", job.Status, job.Issued)
		}
	}
	if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-srv.exited
	t.Logf("killed after %d of %d rows (%s)", job.Issued, rows, time.Since(start).Round(time.Millisecond))

	// Restart: the job resumes by itself.
	srv = startServe(t, bin, data, addr, rpc)
	waitHealthy(t, base, 60*time.Second)
	deadline := time.Now().Add(10 * time.Minute)
	for n.call(t, "GET", "/batches/"+job.ID, token, nil, &job); job.Status != "done"; n.call(t, "GET", "/batches/"+job.ID, token, nil, &job) {
		if time.Now().After(deadline) || (finished(job.Status) && job.Status != "done") {
			t.Fatalf("resumed job: %+v\n%s", job, srv.out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	elapsed := time.Since(start)
	if job.Issued != rows || job.Failed != 0 {
		t.Fatalf("resumed job: %+v", job)
	}

	// The user, unsure, runs the same CSV again through the CLI.
	results := filepath.Join(dir, "results.csv")
	code, out, errOut := runCLI(t, "", "issue-batch", "--url", base, "--token", token, "--template", "master-degree", "--csv", csvPath, "--results", results, "--poll", "100ms")
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s\n%s", code, out, errOut)
	}
	ids := readResults(t, results)
	if len(ids) != rows {
		t.Fatalf("%d results, want %d", len(ids), rows)
	}
	distinct := map[string]bool{}
	for _, id := range ids {
		distinct[id] = true
	}
	if len(distinct) != rows {
		t.Fatalf("%d distinct credentials for %d rows", len(distinct), rows)
	}

	// On chain: every anchored leaf is one of this class, once.
	rpcc, err := rpchttp.New("http://"+rpc, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	c := chain.NewClient(rpcc, chain.ClientConfig{TrustNode: true})
	var anchors []chain.AnchorRecord
	if err := c.List(t.Context(), chain.PathAnchors+did, &anchors); err != nil {
		t.Fatal(err)
	}
	leaves := uint64(0)
	for _, a := range anchors {
		leaves += a.LeafCount
	}
	chunks := (rows + 499) / 500
	t.Logf("%d rows: %d anchor transactions (%d chunks of 500), %d leaves; issued in %s including the crash and restart",
		rows, len(anchors), chunks, leaves, elapsed.Round(time.Millisecond))
	if leaves != uint64(rows) {
		t.Fatalf("%d leaves anchored for %d rows", leaves, rows)
	}
	if len(anchors) > chunks+2 {
		t.Errorf("%d anchor transactions for %d chunks", len(anchors), chunks)
	}

	// In the store, after a clean stop: one record and one idempotency key
	// per row, nothing pending.
	srv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-srv.exited:
		if err != nil {
			t.Fatalf("serve exit: %v\n%s", err, srv.out)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
	st, err := bolt.Open(filepath.Join(data, storeFile), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for prefix, want := range map[string]int{"issuer/cred/": rows, "issuer/idem/" + did + "/": rows, "issuer/pending/": 0, "issuer/receipt/": rows} {
		if got := countKeys(t, st, prefix); got != want {
			t.Errorf("%s: %d keys, want %d", prefix, got, want)
		}
	}
}

func countKeys(t *testing.T, st store.Store, prefix string) int {
	t.Helper()
	n, after := 0, ""
	for {
		page, err := st.List(context.Background(), prefix, store.ListOptions{After: after, Limit: store.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		n += len(page)
		if len(page) < store.MaxListLimit {
			return n
		}
		after = page[len(page)-1].Key
	}
}
