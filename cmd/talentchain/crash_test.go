package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/ui"
	"github.com/talentchain/talentchain/wallet"
)

// kill9 kills the serve process with SIGKILL and waits for it.
func (p *serveProcess) kill9(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.exited
}

// stop stops the serve process with SIGTERM, as an operator would.
func (p *serveProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Fatalf("serve exit: %v\n%s", err, p.out)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop on SIGTERM")
	}
}

// restart starts serve again on the same data and waits until it is
// healthy; it returns how long that took.
func restart(t *testing.T, bin, data, addr, rpc string) (*serveProcess, time.Duration) {
	t.Helper()
	start := time.Now()
	srv := startServe(t, bin, data, addr, rpc)
	waitHealthy(t, "http://"+addr, 60*time.Second)
	return srv, time.Since(start)
}

// fsckMustBeClean runs `talentchain fsck` on the stopped node's data and fails
// the test unless it is clean; it returns the report.
func fsckMustBeClean(t *testing.T, data string) fsckReport {
	t.Helper()
	code, rep, errOut := fsckRun(t, "--data", data)
	if code != 0 || len(rep.Problems) != 0 {
		t.Fatalf("fsck: exit %d, %+v\n%s", code, rep.Problems, errOut)
	}
	return rep
}

// statusOf reads the statuses of the credentials through the API.
func statusOf(t *testing.T, n *node, tok string, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		var got issueAnswer
		if st := n.call(t, "GET", "/credentials/"+url.PathEscape(id), tok, nil, &got); st != 200 {
			t.Fatalf("read %s: %d", id, st)
		}
		out[got.Status]++
	}
	return out
}

// TestStatusUpdateCrash revokes a class of credentials in one request and
// kills the server (SIGKILL) the moment the chain holds the revocation
// bits, before or while the store records the new statuses. fsck on the
// killed node's data shows the disagreement, if the kill landed inside
// the window; after a restart the client's retry of the same request
// completes it; nothing is lost or issued twice, every bit is set on
// chain, every record says revoked, and fsck is clean.
func TestStatusUpdateCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("issues a class through the binary")
	}
	const rows = 2000
	bin := testBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, rpc := freeAddr(t), freeAddr(t)
	n := &node{base: "http://" + addr}
	srv := startServe(t, bin, data, addr, rpc)
	n.adminWhenHealthy(t, data, 60*time.Second)
	did, token := n.newOrg(t, "吊销", map[string]any{"credentialType": "DegreeCredential"})
	results := filepath.Join(dir, "results.csv")
	if code, out, errOut := runCLI(t, "", "issue-batch", "--url", n.base, "--token", token, "--template", "master-degree",
		"--csv", classCSV(t, dir, rows, nil), "--results", results, "--poll", "100ms"); code != 0 {
		t.Fatalf("issue-batch: exit %d\n%s\n%s", code, out, errOut)
	}
	byKey := readResults(t, results)
	ids := make([]string, 0, rows)
	for _, id := range byKey {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	rpcc, err := rpchttp.New("http://"+rpc, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	c := chain.NewClient(rpcc, chain.ClientConfig{TrustNode: true})
	revoke := map[string]any{
		"credentialIds":    ids,
		"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
		"reason":           "graduation ceremony data error",
	}
	body, _ := json.Marshal(revoke)
	post := func(ctx context.Context) (int, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", n.base+"/credentials/status", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, nil
	}

	sent := time.Now()
	answered := make(chan error, 1)
	go func() {
		st, err := post(context.Background())
		if err == nil {
			err = fmt.Errorf("answered %d before the kill", st)
		}
		answered <- err
	}()
	// Kill as soon as the revocation list exists on chain.
	for {
		if _, err := c.StatusList(t.Context(), did, "rev-0"); err == nil {
			break
		}
		if time.Since(sent) > 2*time.Minute {
			t.Fatal("no revocation on chain within 2 minutes")
		}
		time.Sleep(2 * time.Millisecond)
	}
	srv.kill9(t)
	err = <-answered
	t.Logf("killed %s after the request; the client saw: %v", time.Since(sent).Round(time.Millisecond), err)

	// fsck of the killed node: the chain has every bit; the store may not.
	code, rep, errOut := fsckRun(t, "--data", data)
	mismatch := problemKinds(rep.Problems)["issuer/status-mismatch"]
	if code == 2 || len(rep.Problems) != mismatch {
		t.Fatalf("fsck after the kill: exit %d %v\n%s", code, problemKinds(rep.Problems), errOut)
	}
	t.Logf("fsck after the kill: %d of %d records behind the chain (%s)", mismatch, rows, rep.Took)

	srv, took := restart(t, bin, data, addr, rpc)
	t.Logf("restart to healthy: %s", took.Round(time.Millisecond))
	if st, err := post(t.Context()); err != nil || st != 200 {
		t.Fatalf("the client's retry: %d %v\n%s", st, err, srv.out)
	}
	if got := statusOf(t, n, token, ids); got["revoked"] != rows {
		t.Fatalf("statuses after the retry: %v", got)
	}
	l, err := c.StatusList(t.Context(), did, "rev-0")
	if err != nil {
		t.Fatal(err)
	}
	set := 0
	for i := range uint64(rows) {
		if l.Bit(i) {
			set++
		}
	}
	if set != rows {
		t.Fatalf("%d revocation bits set on chain, want %d", set, rows)
	}
	srv.stop(t)

	rep = fsckMustBeClean(t, data)
	if rep.Credentials != rows {
		t.Fatalf("%d credentials stored, want %d", rep.Credentials, rows)
	}
	st, err := bolt.Open(filepath.Join(data, storeFile), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for prefix, want := range map[string]int{"issuer/cred/": rows, "issuer/receipt/": rows, "issuer/pending/": 0} {
		if got := countKeys(t, st, prefix); got != want {
			t.Errorf("%s: %d keys, want %d", prefix, got, want)
		}
	}
}

// TestWalletRestoreCrash restores a backup of a wallet holding several
// credentials into a new account and kills the server (SIGKILL) at points
// spread over the restore's duration. After each restart the account holds
// either none of the backup or all of it, never a part, with the backup's
// DID only when it holds the credentials; a retry completes it without a
// credential twice; fsck is clean at the end.
func TestWalletRestoreCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	const held = 12
	bin := testBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, rpc := freeAddr(t), freeAddr(t)
	n := &node{base: "http://" + addr}
	srv := startServe(t, bin, data, addr, rpc)
	n.adminWhenHealthy(t, data, 60*time.Second)
	_, token := n.newOrg(t, "恢复", map[string]any{"credentialType": "DegreeCredential"})

	a := newHolder(t, n.base, "holder-a")
	for range held {
		uri, pin, _ := offerTo(t, n, token, a.did)
		if st, raw := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": pin}, true, nil); st != http.StatusCreated {
			t.Fatalf("accept: %d %s", st, raw)
		}
	}
	const pass = "a long backup passphrase 42"
	st, file := a.do(t, "POST", "/wallet/backup", map[string]string{"passphrase": pass}, true, nil)
	if st != 200 {
		t.Fatalf("backup: %d", st)
	}

	// How long a restore takes here, to spread the kills over it.
	probe := newHolder(t, n.base, "holder-probe")
	began := time.Now()
	if st, raw := probe.restoreRaw(t, file, pass); st != 200 {
		t.Fatalf("probe restore: %d %s", st, raw)
	}
	dur := time.Since(began)
	t.Logf("a restore of %d credentials takes %s", held, dur.Round(time.Millisecond))

	listing := func(h *holderClient) (int, string) {
		var page wallet.Page
		if st, raw := h.do(t, "GET", "/wallet/credentials?limit=100", nil, false, &page); st != 200 {
			t.Fatalf("list: %d %s", st, raw)
		}
		var me struct {
			Account wallet.Account `json:"account"`
		}
		h.do(t, "GET", "/wallet/me", nil, false, &me)
		return len(page.Items), me.Account.DID
	}
	applied := 0
	for i, frac := range []float64{0.2, 0.5, 0.8, 0.9, 0.95, 0.98, 1.0, 1.2} {
		h := newHolder(t, n.base, fmt.Sprintf("holder-c%d", i))
		own := h.did
		req, _ := http.NewRequest("POST", n.base+"/wallet/restore", bytes.NewReader(file))
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set(ui.BackupPassphraseHeader, pass)
		req.Header.Set(ui.CSRFHeader, h.csrf)
		req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: h.cookie})
		done := make(chan int, 1)
		go func() {
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		time.Sleep(time.Duration(float64(dur) * frac))
		srv.kill9(t)
		answer := <-done
		var took time.Duration
		srv, took = restart(t, bin, data, addr, rpc)

		got, did := listing(h)
		switch {
		case got == 0 && did == own:
		case got == held && did == a.did:
			applied++
		default:
			t.Fatalf("kill at %.0f%% of a restore: %d of %d credentials, DID %s (own %s, backup's %s)", frac*100, got, held, did, own, a.did)
		}
		t.Logf("kill at %.0f%% (answer before the kill: %d): the account holds %d of %d; restart to healthy in %s", frac*100, answer, got, held, took.Round(time.Millisecond))

		// The holder tries again: all of it, once.
		var res wallet.RestoreResult
		st, raw := h.restoreRaw(t, file, pass)
		if st != 200 || json.Unmarshal(raw, &res) != nil || res.Credentials+res.Skipped != held {
			t.Fatalf("retry: %d %s", st, raw)
		}
		if got, did := listing(h); got != held || did != a.did {
			t.Fatalf("after the retry: %d credentials, DID %s", got, did)
		}
	}
	t.Logf("%d of 8 kills landed after the restore was written", applied)
	srv.stop(t)
	rep := fsckMustBeClean(t, data)
	if rep.Wallets != 2+8 {
		t.Errorf("fsck saw %d wallet accounts, want 10", rep.Wallets)
	}
}

// TestBatchCrashRepairedByFsck kills serve (SIGKILL) in the middle of a CSV
// batch and, instead of restarting it, runs `talentchain fsck --repair` on
// its data: fsck finds the job stuck with the dead process's lease (and
// whatever the kill left unanchored), resumes it to the end through the
// embedded chain, and a second fsck is clean. The class then holds exactly
// one credential and one anchored leaf per row.
func TestBatchCrashRepairedByFsck(t *testing.T) {
	if testing.Short() {
		t.Skip("issues a class through the binary")
	}
	const rows = 2000
	bin := testBinary(t)
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	addr, rpc := freeAddr(t), freeAddr(t)
	n := &node{base: "http://" + addr}
	srv := startServe(t, bin, data, addr, rpc)
	n.adminWhenHealthy(t, data, 60*time.Second)
	did, token := n.newOrg(t, "批量", map[string]any{"credentialType": "DegreeCredential"})
	body, err := os.ReadFile(classCSV(t, dir, rows, nil))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.base+"/batches?template=master-degree", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var job batchJob
	err = json.NewDecoder(resp.Body).Decode(&job)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("upload: %d %+v %v", resp.StatusCode, job, err)
	}
	start := time.Now()
	for job.Issued < rows/4 {
		if time.Since(start) > 5*time.Minute || finished(job.Status) {
			t.Fatalf("job before the kill: %+v", job)
		}
		time.Sleep(20 * time.Millisecond)
		n.call(t, "GET", "/batches/"+job.ID, token, nil, &job)
	}
	srv.kill9(t)
	t.Logf("killed after %d of %d rows", job.Issued, rows)

	code, rep, errOut := fsckRun(t, "--data", data, "--public-url", n.base)
	kinds := problemKinds(rep.Problems)
	if code != 1 || kinds["issuer/job-stuck"] != 1 {
		t.Fatalf("fsck of the killed node: exit %d %v\n%s", code, kinds, errOut)
	}
	t.Logf("fsck of the killed node: %v", kinds)
	began := time.Now()
	code, rep, errOut = fsckRun(t, "--data", data, "--public-url", n.base, "--repair")
	if code != 1 || len(rep.Remaining) != 0 {
		t.Fatalf("fsck --repair: exit %d, remaining %+v\n%s", code, rep.Remaining, errOut)
	}
	t.Logf("fsck --repair resumed the job and repaired %d problems in %s", rep.Repaired, time.Since(began).Round(time.Millisecond))
	rep = fsckMustBeClean(t, data)
	if rep.Credentials != rows {
		t.Fatalf("%d credentials stored for %d rows", rep.Credentials, rows)
	}

	// The chain, read from the embedded node again: one leaf per row.
	srv, _ = restart(t, bin, data, addr, rpc)
	n.call(t, "GET", "/batches/"+job.ID, token, nil, &job)
	if job.Status != "done" || job.Issued != rows || job.Failed != 0 {
		t.Fatalf("job after fsck --repair: %+v", job)
	}
	rpcc, err := rpchttp.New("http://"+rpc, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	var anchors []chain.AnchorRecord
	if err := chain.NewClient(rpcc, chain.ClientConfig{TrustNode: true}).List(t.Context(), chain.PathAnchors+did, &anchors); err != nil {
		t.Fatal(err)
	}
	leaves := uint64(0)
	for _, a := range anchors {
		leaves += a.LeafCount
	}
	if leaves != rows {
		t.Fatalf("%d leaves anchored for %d rows", leaves, rows)
	}
	srv.stop(t)
}
