package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// failedChecks names the checks a result failed.
func failedChecks(res *credential.Result) string {
	var out []string
	for _, c := range res.Checks {
		if !c.Passed {
			out = append(out, c.Name)
		}
	}
	return strings.Join(out, ", ")
}

// startServeWith runs `talentchain serve` as a child process with extra
// flags (startServe's, without the embedded node's RPC listener).
func startServeWith(t *testing.T, bin, data, addr string, extra ...string) *serveProcess {
	t.Helper()
	var out bytes.Buffer
	args := append([]string{"serve", "--data", data, "--addr", addr, "--chain-listen", "",
		"--block-interval", "50ms", "--batch-delay", "20ms", "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
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

// redisProc is a redis-server of the test's own that keeps its data in an
// append-only file, so that a restart after SIGKILL finds it again, as a
// production Redis would.
type redisProc struct {
	dir, port string
	cmd       *exec.Cmd
	done      chan struct{}
}

func startRedis(t *testing.T) *redisProc {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server is not installed")
		}
		t.Skip("redis-server is not installed")
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	r := &redisProc{dir: t.TempDir(), port: port}
	r.start(t)
	t.Cleanup(func() { r.kill() })
	return r
}

func (r *redisProc) addr() string { return "127.0.0.1:" + r.port }

func (r *redisProc) start(t *testing.T) {
	t.Helper()
	r.cmd = exec.Command("redis-server", "--port", r.port, "--bind", "127.0.0.1", "--dir", r.dir,
		"--appendonly", "yes", "--appendfsync", "always", "--save", "", "--maxmemory-policy", "noeviction")
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { c.Wait(); close(done) }(r.cmd, r.done)
	deadline := time.Now().Add(30 * time.Second) // a loaded machine starts it late
	for {
		c, err := net.DialTimeout("tcp", r.addr(), 200*time.Millisecond)
		if err == nil {
			c.Write([]byte("PING\r\n"))
			buf := make([]byte, 16)
			c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server on %s did not answer", r.addr())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *redisProc) kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		r.cmd.Process.Kill()
		<-r.done
	}
}

// outcome is one request's answer during an outage.
type outcome struct {
	status     int
	took       time.Duration
	retryAfter string
	problem    problemAnswer
	body       []byte
	err        error
}

// try sends a request with a client that gives up after 10 s, so a hang
// shows as an error rather than a stuck test.
func try(method, u, token string, body any) outcome {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, _ := http.NewRequest(method, u, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	c := &http.Client{Timeout: 10 * time.Second}
	start := time.Now()
	resp, err := c.Do(req)
	o := outcome{took: time.Since(start), err: err}
	if err != nil {
		return o
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	o.took = time.Since(start)
	o.status, o.retryAfter, o.body = resp.StatusCode, resp.Header.Get("Retry-After"), raw
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/problem+json") {
		json.Unmarshal(raw, &o.problem)
	}
	return o
}

// failFast bounds how long a request may take to fail while a dependency is
// down: the Redis client's dial and I/O timeouts and the chain RPC's are
// 5 s (a hung dependency answers in 5.0 s), plus 3 s for a loaded 2-core
// machine running -race to schedule the answer; the client gives up at 10 s.
const failFast = 8 * time.Second

// strict503 makes the answers the issue asks for during an outage — 503
// with Retry-After, and /healthz naming the dependency — failures rather
// than logged gaps. They need the web layer to map store.ErrUnavailable and
// chain RPC failures to 503 and a readiness check that probes the store and
// the chain (ui/problem.go, ui/handler.go, cmd/talentchain/wire.go; the
// patch is in docs/design/reliability.md). Set it once that lands.
const strict503 = true

// checkOutage asserts that a request made during an outage failed fast and
// with a server-side problem (never a 2xx from a dependency that is not
// there, never a client error). With strict503, anything but 503 with
// Retry-After fails too; otherwise it is logged as a gap.
func checkOutage(t *testing.T, what string, o outcome) {
	t.Helper()
	switch {
	case o.err != nil:
		t.Errorf("%s during the outage: %v after %s (no answer)", what, o.err, o.took)
	case o.took > failFast:
		t.Errorf("%s during the outage: answered after %s, want under %s", what, o.took, failFast)
	case o.status < 500 || o.problem.Status != o.status:
		t.Errorf("%s during the outage: %d %s, want a 5xx problem", what, o.status, truncate(string(o.body), 300))
	case o.status != http.StatusServiceUnavailable || o.retryAfter == "":
		gap(t, "%s during the outage: %d %q (Retry-After %q), want 503 with Retry-After", what, o.status, o.problem.Title, o.retryAfter)
	}
	t.Logf("%s during the outage: %d %q in %s (Retry-After %q)", what, o.status, o.problem.Title, o.took.Round(time.Millisecond), o.retryAfter)
}

// gap fails the test with strict503, and logs a known gap otherwise.
func gap(t *testing.T, format string, args ...any) {
	t.Helper()
	if strict503 {
		t.Errorf(format, args...)
		return
	}
	t.Logf("GAP: "+format, args...)
}

// checkHealth asserts that /healthz answers fast during an outage, and
// wants it to say 503 and name the dependency.
func checkHealth(t *testing.T, base, dependency string) {
	t.Helper()
	h := try("GET", base+"/healthz", "", nil)
	if h.err != nil || h.took > failFast {
		t.Errorf("/healthz during the outage: %v after %s", h.err, h.took)
		return
	}
	if h.status != http.StatusServiceUnavailable || !strings.Contains(strings.ToLower(string(h.body)), dependency) {
		gap(t, "/healthz during the %s outage: %d %s, want 503 naming %s", dependency, h.status, truncate(string(h.body), 200), dependency)
	}
}

// waitRecovered polls f until it reports success and returns how long that
// took, or fails after within.
func waitRecovered(t *testing.T, what string, within time.Duration, f func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !f() {
		if time.Since(start) > within {
			t.Fatalf("%s: not recovered %s after the dependency came back", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return time.Since(start)
}

// TestRedisOutage stops the Redis server under `serve --redis` (SIGKILL)
// and starts it again on its data: during the outage every request that
// needs the store fails within the client's timeouts with a problem answer,
// and once Redis is back the same server answers again by itself, with
// nothing lost; fsck is clean afterwards.
func TestRedisOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary and redis-server")
	}
	r := startRedis(t)
	bin := testBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	redisURL := "redis://" + r.addr() + "/?prefix=tc:"
	srv := startServeWith(t, bin, data, addr, "--redis", redisURL)
	n := &node{base: "http://" + addr}
	n.adminWhenHealthy(t, data, 60*time.Second)
	_, token := n.newOrg(t, "断网", map[string]any{"credentialType": "DegreeCredential"})
	holder := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	first := n.issueDegree(t, token, holder)
	credPath := "/credentials/" + url.PathEscape(first.CredentialID)

	// A hung Redis (SIGSTOP: it takes connections, never answers): the
	// client's 5 s I/O timeout bounds every request.
	r.cmd.Process.Signal(syscall.SIGSTOP)
	checkOutage(t, "GET /credentials/{id} (Redis hung)", try("GET", n.base+credPath, token, nil))
	r.cmd.Process.Signal(syscall.SIGCONT)
	rec := waitRecovered(t, "GET /credentials/{id} after SIGCONT", 30*time.Second, func() bool {
		return try("GET", n.base+credPath, token, nil).status == 200
	})
	t.Logf("reads answer again %s after Redis resumes", rec.Round(time.Millisecond))

	r.kill()
	down := time.Now()
	checkOutage(t, "GET /credentials/{id}", try("GET", n.base+credPath, token, nil))
	checkOutage(t, "POST /credentials/issue", try("POST", n.base+"/credentials/issue", token, masterDegree(holder)))
	checkOutage(t, "POST /admin/orgs", try("POST", n.base+"/admin/orgs", n.admin, map[string]any{
		"names": map[string]string{"zh": "新校", "en": "New"}, "kind": "university"}))
	checkOutage(t, "POST /wallet/signup", try("POST", n.base+"/wallet/signup", "", map[string]string{"username": "during-outage", "password": "violet orbit 7319 lantern"}))
	checkHealth(t, n.base, "store")

	// Redis comes back on its data; the server recovers by itself.
	outage := time.Since(down)
	r.start(t)
	back := time.Now()
	rec = waitRecovered(t, "GET /credentials/{id}", 30*time.Second, func() bool {
		return try("GET", n.base+credPath, token, nil).status == 200
	})
	t.Logf("outage of %s; reads answer again %s after Redis is back", outage.Round(time.Millisecond), rec.Round(time.Millisecond))
	var second issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", token, masterDegree(holder), &second); st != http.StatusCreated || second.AnchorReceipt == nil {
		t.Fatalf("issue after the outage: %d %+v\n%s", st, second, srv.out)
	}
	t.Logf("issuing works again %s after Redis is back", time.Since(back).Round(time.Millisecond))
	var got issueAnswer
	if st := n.call(t, "GET", credPath, token, nil, &got); st != 200 || got.AnchorReceipt == nil || got.Status != "active" {
		t.Fatalf("the first credential after the outage: %d %+v", st, got)
	}
	if hz := try("GET", n.base+"/healthz", "", nil); hz.status != 200 {
		t.Fatalf("/healthz after the outage: %d", hz.status)
	}
	srv.stop(t)
	code, rep, errOut := fsckRun(t, "--data", data, "--redis", redisURL)
	if code != 0 || rep.Credentials != 2 {
		t.Fatalf("fsck after the outage: exit %d, %d credentials, %+v\n%s", code, rep.Credentials, rep.Problems, errOut)
	}
}

// TestChainNodeOutage points `serve` at a separate chain node
// (--chain-rpc, a one-validator network of `talentchain node`), kills the
// node (SIGKILL) and starts it again: while it is down, verification and
// DID resolution fail fast with a problem answer instead of hanging or
// answering "not verified"; once it is back the same server answers again
// by itself.
func TestChainNodeOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary and a chain node")
	}
	net := startTestNetwork(t, 1)
	v := net.nodes[0]
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	net.waitSynced(ctx, 0)
	key := seedKey("outage-issuer")
	did := registerIssuer(t, ctx, net.clients[0], net.chainID, key, net.gov...)
	vc := signCredential(t, did, chain.KeyID(did, 1), key)

	bin := testBinary(t)
	data := filepath.Join(t.TempDir(), "data")
	addr := freeAddr(t)
	srv := startServeWith(t, bin, data, addr, "--chain-rpc", v.rpc.Remote(),
		"--chain-genesis", filepath.Join(v.home, "config", "genesis.json"))
	base := "http://" + addr
	waitHealthy(t, base, 60*time.Second)
	verify := func() outcome {
		return try("POST", base+"/credentials/verify", "", map[string]json.RawMessage{"verifiableCredential": vc})
	}
	if res := verifyOver(t, base, vc); !res.Verified {
		t.Fatalf("verify with the node up: %+v", res)
	}

	// A hung node (SIGSTOP) after the verifier's cache expired: its RPC
	// takes the connection and never answers.
	time.Sleep(verifier.DefaultRecordTTL + 500*time.Millisecond)
	v.cmd.Process.Signal(syscall.SIGSTOP)
	if o := try("GET", base+"/1.0/identifiers/"+did, "", nil); o.err != nil {
		// Without a timeout on the RPC client the request waits for the
		// node (the patch bounds each call to 5 s).
		gap(t, "GET /1.0/identifiers/{did} while the node hangs: no answer within %s: %v", o.took.Round(time.Millisecond), o.err)
	} else {
		checkOutage(t, "GET /1.0/identifiers/{did} (node hung)", o)
	}
	v.cmd.Process.Signal(syscall.SIGCONT)

	v.kill()
	down := time.Now()
	// Within the verifier's cache TTL the chain reads it has are reused.
	o := verify()
	t.Logf("verify right after the kill: %d in %s (from the verifier's cache: %s)", o.status, o.took.Round(time.Millisecond), truncate(string(o.body), 80))
	time.Sleep(verifier.DefaultRecordTTL + 500*time.Millisecond)
	o = verify()
	var res credential.Result
	switch {
	case o.status == http.StatusOK && json.Unmarshal(o.body, &res) == nil && res.Verified:
		t.Errorf("verify during the outage: verified, though the chain could not be asked")
	case o.status == http.StatusOK:
		if o.took > failFast {
			t.Errorf("verify during the outage: answered after %s", o.took)
		}
		gap(t, "verify during the outage: 200 with a verdict (verified=false: %s) the verifier could not check, want 503", failedChecks(&res))
	default:
		checkOutage(t, "POST /credentials/verify", o)
	}
	checkOutage(t, "GET /1.0/identifiers/{did}", try("GET", base+"/1.0/identifiers/"+did, "", nil))
	checkHealth(t, base, "chain")

	outage := time.Since(down)
	v.start()
	rec := waitRecovered(t, "POST /credentials/verify", 60*time.Second, func() bool {
		o := verify()
		var res credential.Result
		return o.status == 200 && json.Unmarshal(o.body, &res) == nil && res.Verified
	})
	t.Logf("chain node outage of %s; verification answers again %s after the node restarts", outage.Round(time.Millisecond), rec.Round(time.Millisecond))
	if res := verifyOver(t, base, vc); !res.Verified {
		t.Fatalf("verify after the outage: %+v\n%s", res, srv.out)
	}
	if hz := try("GET", base+"/healthz", "", nil); hz.status != 200 {
		t.Fatalf("/healthz after the outage: %d", hz.status)
	}
}

// TestStoreDiskFull puts serve's embedded store on a small disk of its own
// (a tmpfs, mounted by the test as root; skipped elsewhere), fills the disk
// and asks for a credential: the write fails fast with a problem answer and nothing is
// half-written, reads go on, and once there is room the same server writes
// again by itself. fsck is clean afterwards.
func TestStoreDiskFull(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	disk := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(disk, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", disk).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small disk (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", disk).Run() })
	data := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(data, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(disk, storeFile), filepath.Join(data, storeFile)); err != nil {
		t.Fatal(err)
	}

	bin := testBinary(t)
	addr := freeAddr(t)
	srv := startServeWith(t, bin, data, addr)
	n := &node{base: "http://" + addr}
	n.adminWhenHealthy(t, data, 60*time.Second)
	_, token := n.newOrg(t, "磁盘", map[string]any{"credentialType": "DegreeCredential"})
	holder := "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	first := n.issueDegree(t, token, holder)
	credPath := "/credentials/" + url.PathEscape(first.CredentialID)

	// Fill the disk.
	filler := filepath.Join(disk, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	// A small write may still fit in the store file's free pages; a
	// credential (a few KiB, and its anchor records) does not.
	checkOutage(t, "POST /credentials/issue on a full disk", try("POST", n.base+"/credentials/issue", token, masterDegree(holder)))
	if o := try("GET", n.base+credPath, token, nil); o.status != 200 {
		t.Errorf("a read on a full disk: %d %s", o.status, o.body)
	}
	checkHealth(t, n.base, "store")

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	freed := time.Now()
	newOrg := map[string]any{"names": map[string]string{"zh": "满盘", "en": "Full"}, "kind": "university"}
	var org orgAnswer
	if st := n.call(t, "POST", "/admin/orgs", n.admin, newOrg, &org); st != http.StatusCreated || !org.Registered {
		t.Fatalf("create an organisation once there is room: %d %+v\n%s", st, org, srv.out)
	}
	n.issueDegree(t, token, holder)
	t.Logf("writes work again %s after space was freed, without a restart", time.Since(freed).Round(time.Millisecond))
	stopping := time.Now()
	srv.stop(t)
	t.Logf("stopped in %s", time.Since(stopping).Round(time.Millisecond))
	code, rep, errOut := fsckRun(t, "--data", data)
	t.Logf("fsck: %s", rep.Took)
	// The refused issue may have stored nothing, or (if the disk refused
	// only the anchoring) a credential the server's recovery anchored.
	if code != 0 || rep.Credentials < 2 || rep.Orgs != 2 {
		t.Fatalf("fsck after the full disk: exit %d, %d credentials, %d orgs, %+v\n%s", code, rep.Credentials, rep.Orgs, rep.Problems, errOut)
	}
}
