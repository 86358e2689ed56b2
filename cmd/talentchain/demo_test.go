package main

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// TestDemoSeed: serve --demo on an empty data folder seeds organisations,
// courses and anchored credentials, and writes demo.json whose tokens work
// and whose credential files verify with their receipts.
func TestDemoSeed(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds a whole demo")
	}
	cfg := testConfig(t)
	cfg.demo = true
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	path := filepath.Join(cfg.dataDir, demoJSON)
	var raw []byte
	for deadline := time.Now().Add(90 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		var err error
		if raw, err = os.ReadFile(path); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("demo.json not written within 90s")
		}
	}
	var d demoFile
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Issuers) != 2 || len(d.Holders) != 3 || len(d.Courses) != 3 || len(d.Credentials) != 4 || d.Governance.ChainID == "" {
		t.Fatalf("demo.json: %s", raw)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("demo.json mode: %v %v", fi.Mode(), err)
	}
	for _, iss := range d.Issuers {
		if st := n.call(t, "GET", "/courses?provider="+iss.DID, "", nil, nil); st != 200 {
			t.Errorf("courses of %s: %d", iss.Name, st)
		}
		if !strings.HasPrefix(iss.Token, "tcit_") {
			t.Errorf("token of %s: %q", iss.Name, iss.Token)
		}
	}
	// The verifier accounts sign in with their tokens: an empty request is
	// a 400 for them (a 401 for a stranger); only the office may write rules.
	if len(d.Verifiers) != 2 || !d.Verifiers[0].Policies || d.Verifiers[1].Policies {
		t.Fatalf("demo verifiers: %+v", d.Verifiers)
	}
	for _, v := range d.Verifiers {
		if st := n.call(t, "POST", "/requests", v.Token, map[string]any{}, nil); st != http.StatusBadRequest {
			t.Errorf("verifier %s with its token: %d, want 400", v.Name, st)
		}
	}
	if st := n.call(t, "POST", "/requests", "tcvt_not-a-token", map[string]any{}, nil); st != http.StatusUnauthorized {
		t.Errorf("unknown verifier token: %d, want 401", st)
	}
	suspended := 0
	for _, rel := range d.Credentials {
		vc, err := os.ReadFile(filepath.Join(cfg.dataDir, rel))
		if err != nil {
			t.Fatal(err)
		}
		rraw, err := os.ReadFile(filepath.Join(cfg.dataDir, strings.TrimSuffix(rel, ".json")+".receipt.json"))
		if err != nil {
			t.Fatal(err)
		}
		// The suspended one is verified as such: its status step fails.
		susp := statusBit(t, vc, "suspension")
		var res credential.Result
		if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": json.RawMessage(vc), "anchorReceipt": json.RawMessage(rraw)}, &res); st != 200 || res.Verified == susp {
			t.Errorf("%s (suspended %v): %d %+v", rel, susp, st, res)
		}
		if passed, found := checkPassed(&res, "status"); !found || passed == susp {
			t.Errorf("%s (suspended %v): status check %v %v", rel, susp, passed, found)
		}
		var rc credential.AnchorReceipt
		if err := json.Unmarshal(rraw, &rc); err != nil {
			t.Fatal(err)
		}
		doc, err := credential.ParseDocument(vc)
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.Check(doc); err != nil {
			t.Errorf("%s receipt: %v", rel, err)
		}
		if _, err := n.app.chain.Anchor(t.Context(), rc.Root); err != nil {
			t.Errorf("%s anchor not on chain: %v", rel, err)
		}
		if statusBit(t, vc, "suspension") {
			suspended++
		}
	}
	if suspended != 1 {
		t.Errorf("%d suspended demo credentials, want 1", suspended)
	}
	// Seeding again is a no-op: demo.json exists.
	if err := n.app.seedDemo(t.Context(), cfg, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(path); string(again) != string(raw) {
		t.Error("a second seed rewrote demo.json")
	}
}
