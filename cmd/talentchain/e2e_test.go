package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui"
)

// TestBinaryServe builds the talentchain binary and runs `serve` as a user
// would: it answers /healthz, refuses a malformed body with a problem, verifies
// through the real credential verifier, logs JSON, and exits 0 on SIGTERM.
func TestBinaryServe(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	dir := t.TempDir()
	bin := testBinary(t)

	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "serve", "--data", data, "--addr", addr, "--log-format", "json", "--chain-listen", "tcp://"+freeAddr(t))
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "TALENTCHAIN_ADDR=127.0.0.1:1") // the flag must win
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	})

	base := "http://" + addr
	waitHealthy(t, base, 60*time.Second)

	if fi, err := os.Stat(data); err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 {
		t.Errorf("data folder %s: %v (mode %v)", data, err, fi.Mode())
	}

	t.Run("malformed body is a 400 problem", func(t *testing.T) {
		resp, err := http.Post(base+"/credentials/verify", "application/json", strings.NewReader(`{"verifiableCredential": {`))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p ui.Problem
		if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" || p.Status != 400 || p.Detail == "" {
			t.Errorf("status %d, type %q, problem %+v", resp.StatusCode, resp.Header.Get("Content-Type"), p)
		}
	})

	t.Run("unsigned credential is answered, not verified", func(t *testing.T) {
		body := `{"verifiableCredential": {
			"@context": ["https://www.w3.org/ns/credentials/v2"],
			"type": ["VerifiableCredential"],
			"issuer": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
			"credentialSubject": {"id": "did:example:student"}}}`
		resp, err := http.Post(base+"/credentials/verify", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var res credential.Result
		if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || res.Verified || len(res.Errors) == 0 || len(res.Checks) == 0 {
			t.Errorf("status %d, result %+v", resp.StatusCode, res)
		}
	})

	t.Run("DID resolution", func(t *testing.T) {
		for did, want := range map[string]int{
			"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK": 200,
			"did:talent:CJRyGK7TVmCPuQPSdMnnJu":                        404, // not registered on this node's chain
			"did:talent:0OIl":                                          400,
		} {
			resp, err := http.Get(base + "/1.0/identifiers/" + did)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != want {
				t.Errorf("%s: status %d, want %d", did, resp.StatusCode, want)
			}
		}
	})

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\nstderr:\n%s", err, &stderr)
		}
	case <-time.After(30 * time.Second): // as soak_test allows, on a loaded machine
		t.Fatalf("still running 30s after SIGTERM\nstderr:\n%s", &stderr)
	}

	if stdout.Len() != 0 {
		t.Errorf("serve wrote to stdout: %q", &stdout)
	}
	var msgs []string
	sc := bufio.NewScanner(&stderr)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		msg, _ := line["msg"].(string)
		msgs = append(msgs, msg)
	}
	for _, want := range []string{"chain node started", "chain ready", "talentchain serving", "http request", "shutting down", "stopped"} {
		if !strings.Contains(strings.Join(msgs, "\n"), want) {
			t.Errorf("no %q log line; got %q", want, msgs)
		}
	}
}

var (
	binOnce sync.Once
	binDir  string // removed by TestMain
	binPath string
	binErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// testBinary builds the talentchain binary once for the tests that run it
// as a user would (with -race when the tests run with it, so the build
// reuses the packages the test build compiled).
func testBinary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "talentchain-bin-"); binErr != nil {
			return
		}
		binPath = filepath.Join(binDir, "talentchain")
		args := []string{"build", "-o", binPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			binErr = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// freeAddr returns a loopback address with a port that was free a moment ago.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
