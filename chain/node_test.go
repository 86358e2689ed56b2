package chain

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net"
	"sort"
	"testing"
	"time"

	"github.com/cometbft/cometbft/rpc/client/local"
)

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

func startTestNode(t testing.TB, home string) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := StartNode(ctx, NodeConfig{Home: home, ChainID: "talentchain-it", P2PAddress: freeAddr(t), BlockInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// signed builds and signs a tx with the account's next sequence.
func signed(t testing.TB, ctx context.Context, n *Node, c *Client, p Payload, signer, account string, key ed25519.PrivateKey) []byte {
	t.Helper()
	seq, err := c.Sequence(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	tx := NewTx(p, signer, seq+1)
	if err := tx.Sign(n.ChainID(), key); err != nil {
		t.Fatal(err)
	}
	return mustEncode(t, tx)
}

// TestEmbeddedNode runs a real single-validator CometBFT node in-process:
// governance registers and accredits an issuer, the issuer anchors a root,
// and a proving client reads it back verified against the committed AppHash;
// after a restart the node resumes at the same state.
func TestEmbeddedNode(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	home := t.TempDir()
	n := startTestNode(t, home)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	trusted := n.Client()
	proving := NewClient(local.New(n.node), ClientConfig{})
	uni := testKey("node-uni")
	did := IssuerDID(uni.Public().(ed25519.PublicKey))
	gov := n.GovernanceKey()

	steps := []struct {
		name    string
		p       Payload
		signer  string
		account string
		key     ed25519.PrivateKey
	}{
		{"register", register(uni, KindUniversity), GovernanceSigner, GovernanceSigner, gov},
		{"accredit", &Accredit{Issuer: did, CredentialType: "TrainingCertificate"}, GovernanceSigner, GovernanceSigner, gov},
		{"anchor", &Anchor{Root: root("node"), LeafCount: 2}, KeyID(did, 1), did, uni},
	}
	var anchored Receipt
	for _, s := range steps {
		r, err := trusted.Submit(ctx, signed(t, ctx, n, trusted, s.p, s.signer, s.account, s.key))
		if err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		if r.Height <= 0 || len(r.TxHash) != 64 {
			t.Fatalf("%s: receipt %+v", s.name, r)
		}
		anchored = r
	}

	a, err := proving.Anchor(ctx, root("node"))
	if err != nil {
		t.Fatalf("proved anchor query: %v", err)
	}
	if a.Issuer != did || a.Height != anchored.Height || a.TxHash != anchored.TxHash {
		t.Fatalf("anchor %+v, receipt %+v", a, anchored)
	}
	if _, err := proving.Anchor(ctx, root("missing")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing anchor: %v, want ErrNotFound", err)
	}
	is, err := proving.Issuer(ctx, did)
	if err != nil || is.Status != StatusActive {
		t.Fatalf("issuer %+v, %v", is, err)
	}

	doc, md, err := proving.ResolveDID(ctx, did)
	if err != nil {
		t.Fatalf("ResolveDID: %v", err)
	}
	if doc.ID != did || len(doc.VerificationMethod) != 1 || doc.VerificationMethod[0].PublicKeyMultibase != pubOf(uni) ||
		len(doc.Authentication) != 1 || md.Deactivated || md.Status != StatusActive {
		t.Fatalf("DID document %+v, metadata %+v", doc, md)
	}
	if _, _, err := proving.ResolveDID(ctx, IssuerDID(testKey("nobody").Public().(ed25519.PublicKey))); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown DID: %v", err)
	}

	// A replayed tx is refused with its code, not a Go error of the transport.
	replay := NewTx(&Anchor{Root: root("other"), LeafCount: 1}, KeyID(did, 1), 1)
	if err := replay.Sign(n.ChainID(), uni); err != nil {
		t.Fatal(err)
	}
	var ce *CodeError
	if _, err := trusted.Submit(ctx, mustEncode(t, replay)); !errors.As(err, &ce) || ce.Code != CodeBadSequence {
		t.Fatalf("replay: %v", err)
	}

	h, hash := n.app.Height()
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n = startTestNode(t, home)
	defer n.Stop()
	if h2, hash2 := n.app.Height(); h2 < h || (h2 == h && string(hash2) != string(hash)) {
		t.Fatalf("restart: height %d hash %X, before %d %X", h2, hash2, h, hash)
	}
	if _, err := NewClient(local.New(n.node), ClientConfig{}).Anchor(ctx, root("node")); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}

// BenchmarkEmbeddedAnchorConfirm measures submit-to-confirmed latency of an
// anchor on the embedded node (timeout_commit 100ms).
func BenchmarkEmbeddedAnchorConfirm(b *testing.B) {
	n := startTestNode(b, b.TempDir())
	defer n.Stop()
	ctx := context.Background()
	c := n.Client()
	uni := testKey("bench-uni")
	did := IssuerDID(uni.Public().(ed25519.PublicKey))
	for _, p := range []Payload{register(uni, KindUniversity), &Accredit{Issuer: did, CredentialType: "T"}} {
		if _, err := c.Submit(ctx, signed(b, ctx, n, c, p, GovernanceSigner, GovernanceSigner, n.GovernanceKey())); err != nil {
			b.Fatal(err)
		}
	}
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		tx := signed(b, ctx, n, c, &Anchor{Root: root(fmt.Sprint("bench", i)), LeafCount: 1}, KeyID(did, 1), did, uni)
		start := time.Now()
		if _, err := c.Submit(ctx, tx); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Milliseconds()), "p95-ms")
}
