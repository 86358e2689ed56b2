package issuer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

var _ Chain = (*chain.Client)(nil)

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

// startNode runs a real embedded single-validator chain in a temp folder.
func startNode(t testing.TB) *chain.Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	n, err := chain.StartNode(ctx, chain.NodeConfig{
		Home: t.TempDir(), ChainID: "talentchain-issuer-test", P2PAddress: freeAddr(t), BlockInterval: 50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	return n
}

// stores opens each implementation: bolt in a temp folder, redis if one runs.
var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"bolt", func(t testing.TB) store.Store {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "issuer.db"), bolt.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"redis", func(t testing.TB) store.Store { return redistest.Open(t) }},
}

func testKeyring(t testing.TB) *seal.Keyring {
	t.Helper()
	k, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	r, err := seal.New(k)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

type env struct {
	node *chain.Node
	raw  store.Store // the whole store, as an attacker with the disk sees it
	svc  *Service
	gov  *LocalGovernance
	keys *seal.Keyring
}

func newEnv(t testing.TB, open func(testing.TB) store.Store, n *chain.Node, cfg Config) *env {
	t.Helper()
	raw := open(t)
	gov, err := NewLocalGovernance(n.Client(), n.ChainID(), n.GovernanceKey())
	if err != nil {
		t.Fatal(err)
	}
	e := &env{node: n, raw: raw, gov: gov, keys: testKeyring(t)}
	e.svc = e.service(t, n.Client(), cfg)
	return e
}

// service builds a service over the env's store and keyring.
func (e *env) service(t testing.TB, ch Chain, cfg Config) *Service {
	t.Helper()
	cfg.ChainID = e.node.ChainID()
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://issuer.example.edu.cn"
	}
	if cfg.BatchDelay == 0 {
		cfg.BatchDelay = 20 * time.Millisecond
	}
	s, err := New(cfg, store.WithPrefix(e.raw, "issuer/"), e.keys, ch, credential.MustLoader(), WithGovernance(e.gov))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// org creates a registered organisation accredited for the given types;
// "DegreeCredential:bachelor,master" accredits levels.
func (e *env) org(t testing.TB, name string, accredit ...string) *Org {
	t.Helper()
	ctx := context.Background()
	o, err := e.svc.CreateOrg(ctx, NewOrg{Names: Names{Zh: name + "大学", En: name + " University"}, Kind: KindUniversity})
	if err != nil {
		t.Fatal(err)
	}
	if !o.Registered {
		t.Fatalf("org %s not registered", o.DID)
	}
	for _, a := range accredit {
		typ, levels, _ := strings.Cut(a, ":")
		p := &chain.Accredit{Issuer: o.DID, CredentialType: typ}
		if levels != "" {
			p.Levels = strings.Split(levels, ",")
		}
		if _, err := e.gov.Submit(ctx, p); err != nil {
			t.Fatalf("accredit %s: %v", a, err)
		}
	}
	return o
}

// chainResolver resolves did:talent from chain state for the verifier (the
// same translation cmd/talentchain does): only current keys assert.
type chainResolver struct{ c *chain.Client }

func (r chainResolver) Resolve(ctx context.Context, id string) (*credential.ControllerDocument, error) {
	if !strings.HasPrefix(id, chain.DIDPrefix) {
		return nil, fmt.Errorf("%w: %s", credential.ErrNotFound, id)
	}
	doc, md, err := r.c.ResolveDID(ctx, id)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, fmt.Errorf("%w: %w", credential.ErrNotFound, err)
	}
	if err != nil {
		return nil, err
	}
	out := &credential.ControllerDocument{Context: doc.Context, ID: doc.ID, AssertionMethod: []string{}, Authentication: doc.Authentication}
	for _, vm := range doc.VerificationMethod {
		pub, err := chain.DecodePublicKey(vm.PublicKeyMultibase)
		if err != nil {
			return nil, err
		}
		out.VerificationMethod = append(out.VerificationMethod, credential.VerificationMethod{
			ID: vm.ID, Type: vm.Type, Controller: vm.Controller, PublicKeyMultibase: vm.PublicKeyMultibase, PublicKey: pub,
		})
		if vm.ValidUntilHeight == 0 && !md.Deactivated {
			out.AssertionMethod = append(out.AssertionMethod, vm.ID)
		}
	}
	return out, nil
}

func verifier(t testing.TB, c *chain.Client) *credential.Verifier {
	t.Helper()
	v, err := credential.NewVerifier(credential.VerifierConfig{
		Loader: credential.MustLoader(), Resolver: credential.Resolvers{credential.KeyResolver{}, chainResolver{c}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func masterDegree(holder string) *Request {
	return &Request{
		Template: TemplateMaster, Holder: holder,
		Subject: map[string]any{
			"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree": map[string]any{
				"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
			},
			"graduationDate": "2026-06-30",
		},
	}
}

func training() *Request {
	return &Request{
		Type: TypeTraining,
		Subject: map[string]any{
			"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
			"course": map[string]any{
				"type": "Course", "courseCode": "BC-201", "hours": 48,
				"title":  map[string]any{"zh": "智能合约安全", "en": "Smart contract security"},
				"skills": []any{"Solidity", "security audit"},
			},
			"result": "pass",
		},
	}
}
