package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

// writeKeyPair writes key as a 'talentchain key new' file and returns its path.
func writeKeyPair(t *testing.T, seed string) string {
	t.Helper()
	b, err := json.Marshal(credential.NewDIDKeyPair(seedKey(seed)))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), seed+".json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestGovCLI drives every `talentchain gov` action through run() against
// the RPC of an embedded node, signing with the node's governance key file,
// and checks the exit codes scripts depend on: 0 with a JSON receipt,
// 3 with the chain's code name when the chain refuses, 2 for usage errors.
func TestGovCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	n, node, home := startChainNodeIn(t, t.TempDir())
	govKey := filepath.Join(home, "config", "governance_key.json")
	issuerKey, newKey, newerKey := writeKeyPair(t, "gov-cli-issuer"), writeKeyPair(t, "gov-cli-new"), writeKeyPair(t, "gov-cli-newer")
	stranger := writeKeyPair(t, "gov-cli-stranger")
	did := chain.IssuerDID(pubOf(seedKey("gov-cli-issuer")))
	g := []string{"--node", node, "--gov-key", govKey}

	steps := []struct {
		name     string
		args     []string
		wantCode int
		want     string // in stdout on success, in stderr otherwise
	}{
		{"register", append([]string{"gov", "register", "--kind", "university", "--name-en", "Tsinghua University", "--name-zh", "清华大学", "--uscc", "12100000400000624D", "--issuer-key", issuerKey}, g...), 0, `"issuer":"` + did + `"`},
		{"register twice", append([]string{"gov", "register", "--kind", "university", "--name-en", "Tsinghua University", "--name-zh", "清华大学", "--issuer-key", issuerKey}, g...), 3, "refused by the chain: conflict:"},
		{"accredit", append([]string{"gov", "accredit", "--issuer", did, "--type", "DegreeCredential", "--levels", "master,bachelor"}, g...), 0, `"type":"gov.accredit"`},
		{"withdraw", append([]string{"gov", "withdraw", "--issuer", did, "--type", "DegreeCredential"}, g...), 0, `"type":"gov.withdraw"`},
		{"withdraw again", append([]string{"gov", "withdraw", "--issuer", did, "--type", "DegreeCredential"}, g...), 3, "not_accredited"},
		{"suspend", append([]string{"gov", "suspend", "--issuer", did, "--reason", "audit"}, g...), 0, `"type":"gov.suspend_issuer"`},
		{"reinstate", append([]string{"gov", "reinstate", "--issuer", did}, g...), 0, `"type":"gov.reinstate_issuer"`},
		{"reinstate an active issuer", append([]string{"gov", "reinstate", "--issuer", did}, g...), 3, "conflict"},
		{"non-member key", []string{"gov", "suspend", "--issuer", did, "--node", node, "--gov-key", stranger}, 3, "refused by the chain: not_member:"},
		{"rotate-key", []string{"gov", "rotate-key", "--node", node, "--issuer-key", issuerKey, "--new-key", newKey}, 0, `"keyId":"` + chain.KeyID(did, 2) + `"`},
		{"rotate with the rotated-out key", []string{"gov", "rotate-key", "--node", node, "--issuer-key", issuerKey, "--new-key", newerKey}, 3, "refused by the chain: key_not_current:"},
		{"rotate with the current key needs --issuer", []string{"gov", "rotate-key", "--node", node, "--issuer-key", newKey, "--new-key", newerKey}, 1, "name the issuer with --issuer"},
		{"rotate with the current key", []string{"gov", "rotate-key", "--node", node, "--issuer-key", newKey, "--new-key", newerKey, "--issuer", did}, 0, `"keyId":"` + chain.KeyID(did, 3) + `"`},
		{"remove", append([]string{"gov", "remove", "--issuer", did}, g...), 0, `"type":"gov.remove_issuer"`},
		{"invalid payload", append([]string{"gov", "accredit", "--issuer", did, "--type", "has space"}, g...), 3, "invalid_payload"},
		{"no gov key", []string{"gov", "suspend", "--issuer", did, "--node", node}, 2, "--gov-key is required"},
		{"missing required flag", append([]string{"gov", "accredit", "--issuer", did}, g...), 2, "--type is required"},
		{"both key forms", append([]string{"gov", "register", "--kind", "university", "--name-en", "X", "--name-zh", "X", "--issuer-key", issuerKey, "--public-key", "z6Mk"}, g...), 2, "not both"},
		{"unknown action", []string{"gov", "mint"}, 2, `unknown gov action "mint"`},
		{"no action", []string{"gov"}, 2, "Actions:"},
		{"unreachable node", []string{"gov", "suspend", "--issuer", did, "--gov-key", govKey, "--node", "http://" + freeAddr(t), "--timeout", "2s"}, 1, "gov suspend: node"},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, "", s.args...)
			if code != s.wantCode {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, s.wantCode, stdout, stderr)
			}
			out := stdout
			if code != 0 {
				out = stderr
			} else {
				var r govReceipt
				if err := json.Unmarshal([]byte(stdout), &r); err != nil || r.Height <= 0 || len(r.TxHash) != 64 {
					t.Fatalf("receipt %q: %v", stdout, err)
				}
			}
			if !strings.Contains(out, s.want) {
				t.Fatalf("output lacks %q:\nstdout: %s\nstderr: %s", s.want, stdout, stderr)
			}
		})
	}

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	is, err := n.Client().Issuer(ctx, did)
	if err != nil {
		t.Fatal(err)
	}
	statuses := []string{}
	for _, c := range is.StatusHistory {
		statuses = append(statuses, c.Status)
	}
	if is.Names.Zh != "清华大学" || is.USCC != "12100000400000624D" || len(is.Keys) != 3 ||
		!slices.Equal(statuses, []string{"active", "suspended", "active", "removed"}) {
		t.Errorf("issuer on chain after the CLI: %+v", is)
	}
	a, err := n.Client().Accreditation(ctx, did, "DegreeCredential")
	if err != nil || len(a.Grants) != 1 || !slices.Equal(a.Grants[0].Levels, []string{"bachelor", "master"}) || a.Grants[0].WithdrawnHeight == 0 {
		t.Errorf("accreditation %+v, %v", a, err)
	}
}
