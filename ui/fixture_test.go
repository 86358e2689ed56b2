package ui

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// chainFixture is what the ui tests that need real services share: a real
// embedded chain node, a bolt store, a keyring, the node's governance and
// an issuer service over them (its records under "issuer/").
type chainFixture struct {
	node *chain.Node
	db   store.Store
	keys *seal.Keyring
	gov  *issuer.LocalGovernance
	svc  *issuer.Service
}

// newChainFixture starts the fixture; everything stops with tb.
func newChainFixture(tb testing.TB, chainID string, blockInterval time.Duration) *chainFixture {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	node, err := chain.StartNode(ctx, chain.NodeConfig{
		Home: tb.TempDir(), ChainID: chainID, P2PAddress: testFreeAddr(tb), BlockInterval: blockInterval,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = node.Stop() })
	db, err := bolt.Open(filepath.Join(tb.TempDir(), "data.db"), bolt.Config{NoSync: true})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	f := &chainFixture{node: node, db: db, keys: testKeyring(tb)}
	if f.gov, err = issuer.NewLocalGovernance(node.Client(), node.ChainID(), node.GovernanceKey()); err != nil {
		tb.Fatal(err)
	}
	f.svc, err = issuer.New(issuer.Config{ChainID: node.ChainID(), BaseURL: "https://issuer.example.edu.cn", BatchDelay: 10 * time.Millisecond},
		store.WithPrefix(db, "issuer/"), f.keys, node.Client(), credential.MustLoader(), issuer.WithGovernance(f.gov))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = f.svc.Close() })
	return f
}

// testKeyring is a keyring with a new master key.
func testKeyring(tb testing.TB) *seal.Keyring {
	tb.Helper()
	mk, err := seal.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	keys, err := seal.New(mk)
	if err != nil {
		tb.Fatal(err)
	}
	return keys
}

// testFreeAddr is a free loopback address for a node's P2P listener.
func testFreeAddr(tb testing.TB) string {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}
