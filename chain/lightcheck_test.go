package chain

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	cmted25519 "github.com/cometbft/cometbft/crypto/ed25519"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/rpc/client/local"
	ctypes "github.com/cometbft/cometbft/rpc/core/types"
	"github.com/cometbft/cometbft/types"
)

// tamperRPC is a node that alters the signed headers it serves.
type tamperRPC struct {
	rpcclient.Client
	tamper func(*types.SignedHeader)
}

func (r tamperRPC) Commit(ctx context.Context, height *int64) (*ctypes.ResultCommit, error) {
	res, err := r.Client.Commit(ctx, height)
	if err != nil || res.Header == nil || res.Commit == nil {
		return res, err
	}
	h, c := *res.Header, *res.Commit
	h.AppHash = slices.Clone(h.AppHash)
	c.Signatures = slices.Clone(c.Signatures)
	out := &ctypes.ResultCommit{SignedHeader: types.SignedHeader{Header: &h, Commit: &c}, CanonicalCommit: res.CanonicalCommit}
	r.tamper(&out.SignedHeader)
	return out, nil
}

func randomValidators(n int) *types.ValidatorSet {
	vals := make([]*types.Validator, n)
	for i := range vals {
		vals[i] = types.NewValidator(cmted25519.GenPrivKey().PubKey(), 10)
	}
	return types.NewValidatorSet(vals)
}

// TestUntrustedClient reads through a client of an "untrusted" node (a real
// embedded node): with the genesis validators as trust root the proved read
// succeeds; with another trust root, another chain id, or a node that alters
// its headers, the read is refused with ErrUntrustedHeader.
func TestUntrustedClient(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	home := t.TempDir()
	n := startTestNode(t, home)
	defer n.Stop()
	chainID, vals, err := TrustFromGenesis(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		t.Fatal(err)
	}
	if chainID != n.ChainID() || vals.Size() != 1 {
		t.Fatalf("trust root: chain %q, %d validators", chainID, vals.Size())
	}
	node := local.New(n.node)
	other := randomValidators(1)

	tests := []struct {
		name    string
		rpc     rpcclient.Client
		chainID string
		vals    *types.ValidatorSet
		wantErr error
	}{
		{"genesis validators", node, chainID, vals, nil},
		{"random validator", node, chainID, randomValidators(1), ErrUntrustedHeader},
		{"random validators, more of them", node, chainID, randomValidators(4), ErrUntrustedHeader},
		{"another chain", node, "talentchain-other", vals, ErrUntrustedHeader},
		{"no chain id", node, "", vals, ErrUntrustedHeader},
		{"AppHash altered", tamperRPC{node, func(sh *types.SignedHeader) {
			sh.AppHash[0] ^= 1
		}}, chainID, vals, ErrUntrustedHeader},
		{"AppHash altered, commit re-pointed at the altered header", tamperRPC{node, func(sh *types.SignedHeader) {
			sh.AppHash[0] ^= 1
			sh.Commit.BlockID.Hash = sh.Header.Hash()
		}}, chainID, vals, ErrUntrustedHeader},
		{"validator set swapped in the header", tamperRPC{node, func(sh *types.SignedHeader) {
			sh.ValidatorsHash = randomValidators(1).Hash()
			sh.Commit.BlockID.Hash = sh.Header.Hash()
		}}, chainID, vals, ErrUntrustedHeader},
		{"header names the trusted (wrong) set, signed by the real validator", tamperRPC{node, func(sh *types.SignedHeader) {
			sh.ValidatorsHash = other.Hash()
			sh.Commit.BlockID.Hash = sh.Header.Hash()
		}}, chainID, other, ErrUntrustedHeader},
		{"signatures removed", tamperRPC{node, func(sh *types.SignedHeader) {
			for i := range sh.Commit.Signatures {
				sh.Commit.Signatures[i] = types.NewCommitSigAbsent()
			}
		}}, chainID, vals, ErrUntrustedHeader},
		{"another height served", tamperRPC{node, func(sh *types.SignedHeader) {
			sh.Height++
			sh.Commit.Height++
			sh.Commit.BlockID.Hash = sh.Header.Hash()
		}}, chainID, vals, ErrUntrustedHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			c := NewClient(tt.rpc, ClientConfig{ChainID: tt.chainID, TrustedValidators: tt.vals})
			g, err := c.Governance(ctx)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrProof) {
					t.Fatalf("Governance: err = %v, want %v", err, tt.wantErr)
				}
				t.Logf("refused: %v", err)
				return
			}
			if err != nil {
				t.Fatalf("Governance: %v", err)
			}
			if len(g.Members) != 1 || g.Threshold != 1 {
				t.Errorf("governance = %+v", g)
			}
			// An absence is proved against the same checked header.
			if _, err := c.Issuer(ctx, IssuerDID(testKey("nobody").Public().(ed25519.PublicKey))); !errors.Is(err, ErrNotFound) {
				t.Errorf("Issuer of an unknown DID: %v, want ErrNotFound", err)
			}
		})
	}
}

func TestTrustFromGenesis(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	pub := cmted25519.GenPrivKey().PubKey().Bytes()
	val := func(power string) string {
		return `{"pub_key":{"type":"tendermint/PubKeyEd25519","value":"` + base64.StdEncoding.EncodeToString(pub) + `"},"power":"` + power + `","name":"v"}`
	}
	tests := []struct {
		name    string
		file    string
		wantErr bool
	}{
		{"one validator", write("ok.json", `{"chain_id":"tc-1","validators":[`+val("10")+`]}`), false},
		{"missing file", filepath.Join(dir, "none.json"), true},
		{"not JSON", write("bad.json", `genesis`), true},
		{"no validators", write("empty.json", `{"chain_id":"tc-1","validators":[]}`), true},
		{"same validator twice", write("twice.json", `{"chain_id":"tc-1","validators":[`+val("10")+`,`+val("5")+`]}`), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, vals, err := TrustFromGenesis(tt.file)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error; chain %q, %v", id, vals)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id != "tc-1" || vals.Size() != 1 || vals.TotalVotingPower() != 10 {
				t.Errorf("chain %q, %d validators, power %d", id, vals.Size(), vals.TotalVotingPower())
			}
		})
	}
}
