package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis"
)

// startStoppable is startNode with a stop function, for tests that check
// the data folder after the node stopped.
func startStoppable(t *testing.T, cfg config) (*node, func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.addr = ln.Addr().String()
	cfg.publicURL = "http://" + cfg.addr
	log := slog.New(slog.DiscardHandler)
	a, err := build(t.Context(), cfg, log)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	done := make(chan error, 1)
	go func() { done <- serveOn(ctx, ln, a, 10*time.Second, log) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
	t.Cleanup(stop)
	n := &node{app: a, base: "http://" + cfg.addr}
	n.adminWhenHealthy(t, cfg.dataDir, 30*time.Second)
	return n, stop
}

// fsckRun runs the fsck command line and decodes its JSON report.
func fsckRun(t *testing.T, args ...string) (int, fsckReport, string) {
	t.Helper()
	code, out, errOut := runCLI(t, "", append([]string{"fsck", "--json"}, args...)...)
	var rep fsckReport
	if out != "" {
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("fsck output: %v\n%s\n%s", err, out, errOut)
		}
	}
	return code, rep, errOut
}

func problemKinds(ps []fsckProblem) map[string]int {
	m := map[string]int{}
	for _, p := range ps {
		m[p.Part+"/"+p.Kind]++
	}
	return m
}

func sameCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestFsckCommand stops a node that issued and revoked credentials, breaks
// its store on purpose in each way fsck knows (issuer records, wallet
// indexes, the audit log), and runs `talentchain fsck` against the data
// folder and the embedded chain: it reports (exit 1), repairs (what is
// repairable), and is clean (exit 0) once the rest is dealt with. Run on the
// embedded store and on Redis.
func TestFsckCommand(t *testing.T) {
	for _, backend := range []string{"bolt", "redis"} {
		t.Run(backend, func(t *testing.T) {
			cfg := testConfig(t)
			cfg.batchDelay = 20 * time.Millisecond
			if backend == "redis" {
				cfg.redisURL = walletRedisURL(t)
			}
			n, stop := startStoppable(t, cfg)
			_, tok := n.newOrg(t, "校验", map[string]any{"credentialType": "DegreeCredential"})
			var ids []string
			for range 3 {
				var iss issueAnswer
				if st := n.call(t, "POST", "/credentials/issue", tok, masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"), &iss); st != http.StatusCreated {
					t.Fatalf("issue: %d", st)
				}
				ids = append(ids, iss.CredentialID)
			}
			if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
				"credentialId":     ids[1],
				"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
			}, nil); st != 200 {
				t.Fatalf("revoke: %d", st)
			}

			// While serve runs, the embedded store is locked: fsck says so.
			if backend == "bolt" {
				if code, _, errOut := fsckRun(t, "--data", cfg.dataDir); code != 2 || !strings.Contains(errOut, "stop serve first") {
					t.Fatalf("fsck while serving: exit %d %s", code, errOut)
				}
			}
			stop()

			args := []string{"--data", cfg.dataDir}
			if backend == "redis" {
				args = append(args, "--redis", cfg.redisURL)
			}
			if code, rep, errOut := fsckRun(t, args...); code != 0 || len(rep.Problems) != 0 || rep.Credentials != 3 || rep.Orgs != 1 {
				t.Fatalf("fsck of a clean stop: exit %d %+v %s", code, rep, errOut)
			}

			// Break it.
			st := openRaw(t, cfg)
			ctx := t.Context()
			must := func(err error) {
				t.Helper()
				if err != nil {
					t.Fatal(err)
				}
			}
			must(st.Delete(ctx, "issuer/receipt/"+ids[0]))
			raw, err := st.Get(ctx, "issuer/cred/"+ids[1])
			must(err)
			must(st.Put(ctx, "issuer/cred/"+ids[1], []byte(strings.Replace(string(raw), `"status":"revoked"`, `"status":"active"`, 1)), 0))
			must(st.Put(ctx, "issuer/idem/did:talent:x/row-1", []byte("urn:uuid:00000000-0000-4000-8000-00000000beef"), 0))
			must(st.Put(ctx, "wallet/acct/acc1", []byte(`{"id":"acc1"}`), 0))
			must(st.Put(ctx, "wallet/cred/acc1/c1", []byte(`{"id":"c1","digest":"`+strings.Repeat("cd", 32)+`"}`), 0))
			must(st.Put(ctx, "wallet/digest/acc1/"+strings.Repeat("ef", 32), []byte("c9"), 0))
			al, _ := audit.New(store.WithPrefix(st, auditPrefix))
			for _, a := range []string{"org.create", "token.create", "org.suspend"} {
				_, err := al.Append(ctx, audit.Event{Actor: "operator", Action: a, Target: "did:talent:x", Outcome: audit.OutcomeOK})
				must(err)
			}
			must(st.Delete(ctx, auditPrefix+"e/00000000000000000002"))
			st.Close()

			want := map[string]int{
				"issuer/receipt-lost":         1,
				"issuer/status-mismatch":      1,
				"issuer/orphan-key":           1,
				"wallet/key-missing":          1,
				"wallet/details-missing":      1,
				"wallet/digest-index-missing": 1,
				"wallet/orphan-key":           1,
				"audit/tampered":              1,
			}
			code, rep, errOut := fsckRun(t, args...)
			if code != 1 || !sameCounts(problemKinds(rep.Problems), want) {
				t.Fatalf("fsck: exit %d, %v, want %v\n%s", code, problemKinds(rep.Problems), want, errOut)
			}
			// The readable summary names them too.
			_, text, _ := runCLI(t, "", append([]string{"fsck"}, args...)...)
			for _, s := range []string{"8 problems:", "issuer/receipt-lost", "audit/tampered", "entry 2 is missing", "run again with --repair"} {
				if !strings.Contains(text, s) {
					t.Errorf("summary lacks %q:\n%s", s, text)
				}
			}

			code, rep, errOut = fsckRun(t, append(args, "--repair")...)
			left := map[string]int{"wallet/key-missing": 1, "wallet/details-missing": 1, "audit/tampered": 1}
			if code != 1 || rep.Repaired != 5 || !sameCounts(problemKinds(rep.Remaining), left) {
				t.Fatalf("fsck --repair: exit %d, repaired %d, remaining %v\n%s", code, rep.Repaired, problemKinds(rep.Remaining), errOut)
			}
			code, rep, _ = fsckRun(t, args...)
			if code != 1 || !sameCounts(problemKinds(rep.Problems), left) {
				t.Fatalf("fsck after repair: exit %d, %v", code, problemKinds(rep.Problems))
			}

			// The operator deals with what fsck cannot: clean.
			st = openRaw(t, cfg)
			for _, k := range []string{"wallet/acct/acc1", "wallet/cred/acc1/c1", "wallet/digest/acc1/" + strings.Repeat("cd", 32)} {
				must(st.Delete(ctx, k))
			}
			// The operator starts a new audit log (the node's own entries
			// and the test's, with the hole in them).
			entries, err := st.List(ctx, auditPrefix, store.ListOptions{Limit: 1000})
			must(err)
			for _, e := range entries {
				must(st.Delete(ctx, e.Key))
			}
			// The repaired records are right: the revoked one says so, the
			// lost receipt is back.
			raw, err = st.Get(ctx, "issuer/cred/"+ids[1])
			must(err)
			if !strings.Contains(string(raw), `"status":"revoked"`) {
				t.Errorf("revoked record after repair: %s", raw)
			}
			if _, err := st.Get(ctx, "issuer/receipt/"+ids[0]); err != nil {
				t.Errorf("receipt after repair: %v", err)
			}
			st.Close()
			if code, rep, errOut := fsckRun(t, args...); code != 0 || rep.ExitCode != 0 {
				t.Fatalf("fsck at the end: exit %d %+v %s", code, rep.Problems, errOut)
			}
		})
	}
}

// openRaw opens the node's whole store, as fsck sees it.
func openRaw(t *testing.T, cfg config) store.Store {
	t.Helper()
	if cfg.redisURL != "" {
		rc, err := redisConfig(cfg.redisURL)
		if err != nil {
			t.Fatal(err)
		}
		s, err := redis.Open(t.Context(), rc)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	s, err := bolt.Open(filepath.Join(cfg.dataDir, storeFile), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFsckUsage(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"genesis without rpc", []string{"fsck", "--data", dir, "--chain-genesis", "g.json"}, 2, "--chain-rpc"},
		{"bad redis url", []string{"fsck", "--data", dir, "--redis", "http://x"}, 2, "--redis"},
		{"no store", []string{"fsck", "--data", filepath.Join(dir, "nothing")}, 2, "is --data serve's data folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := runCLI(t, "", tt.args...)
			if code != tt.code || !strings.Contains(errOut, tt.want) {
				t.Fatalf("exit %d %q, want %d and %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
