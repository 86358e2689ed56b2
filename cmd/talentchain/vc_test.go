package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
)

func runCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, getenv: func(string) string { return "" }}
	code = run(context.Background(), e, args)
	return code, out.String(), errb.String()
}

// TestKeyAndVC drives key new → vc sign → vc verify through the command line,
// with the exit codes scripts depend on: 0 valid, 1 not valid, 2 unusable input.
func TestKeyAndVC(t *testing.T) {
	code, key, stderr := runCLI(t, "", "key", "new")
	if code != 0 || !strings.Contains(key, `"secretKeyMultibase"`) || !strings.Contains(key, `"did:key:z6Mk`) {
		t.Fatalf("key new: %d %s %s", code, key, stderr)
	}
	keyFile := filepath.Join(t.TempDir(), "key.json")
	if err := os.WriteFile(keyFile, []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	unsigned := `{"@context":["https://www.w3.org/ns/credentials/v2","https://w3id.org/talentchain/credentials/v1"],
	  "type":["VerifiableCredential","TrainingCertificateCredential"],"validFrom":"2026-07-01T00:00:00Z",
	  "credentialSubject":{"fullName":{"zh":"赵六"},"course":{"type":"Course","courseCode":"BC-301","hours":40},"result":"pass"}}`
	code, signed, stderr := runCLI(t, unsigned, "vc", "sign", "--key", keyFile)
	if code != 0 || !strings.Contains(signed, `"proofValue"`) {
		t.Fatalf("vc sign: %d %s %s", code, signed, stderr)
	}

	cases := []struct {
		name  string
		stdin string
		args  []string
		code  int
		out   string
	}{
		{"valid", signed, []string{"vc", "verify"}, 0, "VERIFIED"},
		{"valid json", signed, []string{"vc", "verify", "--json"}, 0, `"verified": true`},
		{"altered", strings.Replace(signed, "BC-301", "BC-999", 1), []string{"vc", "verify"}, 1, "FAIL proof"},
		{"not json", "hello", []string{"vc", "verify"}, 2, ""},
		{"sign undefined term", `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"VerifiableCredential","credentialSubject":{"secret":1}}`, []string{"vc", "sign", "--key", keyFile}, 2, ""},
		{"sign missing key file", unsigned, []string{"vc", "sign", "--key", filepath.Join(t.TempDir(), "none.json")}, 2, ""},
		{"sign without --key", unsigned, []string{"vc", "sign"}, 2, ""},
		{"unknown vc command", "", []string{"vc", "frobnicate"}, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, c.stdin, c.args...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, stderr)
			}
			if !strings.Contains(out, c.out) {
				t.Fatalf("stdout lacks %q:\n%s", c.out, out)
			}
		})
	}
}

// TestVCVerifyChainIssuer: vc verify resolves a did:talent issuer through
// --chain-rpc, trusting only headers signed by the --chain-genesis validators.
func TestVCVerifyChainIssuer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	n, url, home := startChainNodeIn(t, t.TempDir())
	genesis := filepath.Join(home, "config", "genesis.json")
	other := filepath.Join(t.TempDir(), "genesis.json")
	if err := os.WriteFile(other, []byte(`{"chain_id":"talentchain-test","validators":[{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},"power":"10"}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	key := seedKey("vc-verify-chain")
	did := registerIssuer(t, ctx, n.Client(), n.ChainID(), key, n.GovernanceKey())
	vc := string(signCredential(t, did, chain.KeyID(did, 1), key))

	cases := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"proved against the genesis validators", []string{"--chain-rpc", url, "--chain-genesis", genesis}, 0, "VERIFIED"},
		{"node trusted explicitly", []string{"--chain-rpc", url, "--chain-trust-node"}, 0, "VERIFIED"},
		{"no chain: did:talent unresolved", nil, 1, "NOT VERIFIED"},
		{"headers not signed by the trusted validators", []string{"--chain-rpc", url, "--chain-genesis", other}, 1, "header not signed by the trusted validators"},
		{"chain-rpc without a trust root", []string{"--chain-rpc", url}, 2, ""},
		{"genesis without chain-rpc", []string{"--chain-genesis", genesis}, 2, ""},
		{"unreadable genesis", []string{"--chain-rpc", url, "--chain-genesis", filepath.Join(t.TempDir(), "none.json")}, 2, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, vc, append([]string{"vc", "verify"}, c.args...)...)
			if code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, c.code, out, stderr)
			}
			if !strings.Contains(out, c.out) {
				t.Fatalf("stdout lacks %q:\n%s", c.out, out)
			}
		})
	}
}
