package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
)

func TestMain(m *testing.M) {
	code := redistest.Main(m)
	shared.stop()
	os.Exit(code)
}

// stores opens each implementation: bolt in a temp folder, a real Redis.
var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"bolt", openBolt},
	{"redis", func(t testing.TB) store.Store { return redistest.Open(t) }},
}

func openBolt(t testing.TB) store.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "wallet.db"), bolt.Config{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
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

// fixture is one real embedded chain and one issuer service (a university
// accredited for degrees and training), shared by the package's tests:
// starting a node per test would dominate the run time.
type fixture struct {
	once    sync.Once
	err     error
	dir     string
	node    *chain.Node
	db      store.Store
	iss     *issuer.Service
	keys    *seal.Keyring
	gov     *issuer.LocalGovernance
	uni     *issuer.Org
	cv      *chainVerifier
	status  chainStatus
	cleanup []func()
}

var shared fixture

func (f *fixture) stop() {
	for i := len(f.cleanup) - 1; i >= 0; i-- {
		f.cleanup[i]()
	}
	if f.dir != "" {
		os.RemoveAll(f.dir)
	}
}

// env returns the shared chain and issuer, started on first use.
func env(t testing.TB) *fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	shared.once.Do(func() { shared.err = shared.start() })
	if shared.err != nil {
		t.Fatalf("fixture: %v", shared.err)
	}
	return &shared
}

func (f *fixture) start() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir, err := os.MkdirTemp("", "wallet-test-")
	if err != nil {
		return err
	}
	f.dir = dir
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	p2p := "tcp://" + l.Addr().String()
	l.Close()
	f.node, err = chain.StartNode(ctx, chain.NodeConfig{Home: filepath.Join(dir, "chain"), ChainID: "talentchain-wallet-test", P2PAddress: p2p, BlockInterval: 50 * time.Millisecond})
	if err != nil {
		return err
	}
	f.cleanup = append(f.cleanup, func() { _ = f.node.Stop() })
	db, err := bolt.Open(filepath.Join(dir, "issuer.db"), bolt.Config{NoSync: true})
	if err != nil {
		return err
	}
	f.db = db
	f.cleanup = append(f.cleanup, func() { _ = db.Close() })
	k, err := seal.GenerateKey()
	if err != nil {
		return err
	}
	keys, err := seal.New(k)
	if err != nil {
		return err
	}
	gov, err := issuer.NewLocalGovernance(f.node.Client(), f.node.ChainID(), f.node.GovernanceKey())
	if err != nil {
		return err
	}
	f.keys, f.gov = keys, gov
	f.iss, err = issuer.New(issuer.Config{ChainID: f.node.ChainID(), BaseURL: "https://issuer.example.edu.cn", BatchDelay: 20 * time.Millisecond},
		store.WithPrefix(db, "issuer/"), keys, f.node.Client(), credential.MustLoader(), issuer.WithGovernance(gov))
	if err != nil {
		return err
	}
	f.cleanup = append(f.cleanup, func() { _ = f.iss.Close() })
	f.uni, err = f.iss.CreateOrg(ctx, issuer.NewOrg{Names: issuer.Names{Zh: "北京钱包测试大学", En: "Wallet Test University"}, Kind: issuer.KindUniversity})
	if err != nil {
		return err
	}
	for _, p := range []*chain.Accredit{
		{Issuer: f.uni.DID, CredentialType: issuer.TypeDegree, Levels: []string{"bachelor", "master"}},
		{Issuer: f.uni.DID, CredentialType: issuer.TypeTraining},
	} {
		if _, err := gov.Submit(ctx, p); err != nil {
			return fmt.Errorf("accredit: %w", err)
		}
	}
	v, err := credential.NewVerifier(credential.VerifierConfig{
		Loader: credential.MustLoader(), Resolver: credential.Resolvers{credential.KeyResolver{}, chainResolver{f.node.Client()}},
	})
	if err != nil {
		return err
	}
	f.cv = &chainVerifier{v: v, c: f.node.Client()}
	f.status = chainStatus{c: f.node.Client()}
	return nil
}

// issue issues a real credential (anchored) to holder.
func (f *fixture) issue(t testing.TB, req *issuer.Request) *issuer.Record {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rec, err := f.iss.Issue(ctx, f.uni.DID, req)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	return rec
}

// file returns an import file {"credential", "anchorReceipt"} of a record.
func file(t testing.TB, rec *issuer.Record) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"credential": rec.Credential, "anchorReceipt": rec.Receipt})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func masterDegree(holder string) *issuer.Request {
	return &issuer.Request{
		Template: issuer.TemplateMaster, Holder: holder,
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

func training(holder, code string) *issuer.Request {
	return &issuer.Request{
		Type: issuer.TypeTraining, Holder: holder,
		Subject: map[string]any{
			"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
			"course": map[string]any{
				"type": "Course", "courseCode": code, "hours": 48,
				"title":  map[string]any{"zh": "智能合约安全", "en": "Smart contract security"},
				"skills": []any{"Solidity", "security audit"},
			},
			"result": "pass",
		},
	}
}

// chainResolver resolves did:talent from chain state (as cmd/ does).
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

// chainVerifier is the CredentialVerifier of the tests, made of real parts
// (what the verifier pipeline will do, in small): the strict credential
// rules with issuer keys from the chain, and the receipt's root anchored on
// chain by the credential's issuer.
type chainVerifier struct {
	v *credential.Verifier
	c *chain.Client
}

func (cv *chainVerifier) VerifyCredential(ctx context.Context, doc map[string]any, receipt *credential.AnchorReceipt) (*Verification, error) {
	v := VerificationOf(cv.v.VerifyCredentialDocument(ctx, doc, credential.VerifyOptions{}))
	if receipt != nil {
		iss, _ := doc["issuer"].(string)
		a, err := cv.c.Anchor(ctx, receipt.Root)
		switch {
		case errors.Is(err, chain.ErrNotFound):
			v.add("anchor", false, false, "the receipt's root is not anchored on chain")
		case err != nil:
			return nil, err
		case a.Issuer != iss:
			v.add("anchor", false, false, "the root was anchored by %s, not by the issuer %s", a.Issuer, iss)
		default:
			v.add("anchor", true, false, "anchored at height %d", a.Height)
		}
	}
	return v.finish(), nil
}

// chainStatus is the StatusChecker of the tests: the credential's status
// bits read from the chain's status lists.
type chainStatus struct{ c *chain.Client }

func (cs chainStatus) CheckStatus(ctx context.Context, format string, raw []byte) (Status, error) {
	if format != FormatLDP {
		return StatusValid, nil
	}
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		return "", err
	}
	entries, err := credential.StatusEntries(doc)
	if err != nil {
		return "", err
	}
	out := StatusValid
	for _, e := range entries {
		i := strings.LastIndex(e.StatusListCredential, "/status/")
		if i < 0 {
			return "", fmt.Errorf("unknown status list %s", e.StatusListCredential)
		}
		did, list, ok := strings.Cut(e.StatusListCredential[i+len("/status/"):], "/")
		if !ok {
			return "", fmt.Errorf("unknown status list %s", e.StatusListCredential)
		}
		l, err := cs.c.StatusList(ctx, did, list)
		if errors.Is(err, chain.ErrNotFound) {
			continue // never updated: all bits clear
		}
		if err != nil {
			return "", err
		}
		if l.Bit(uint64(e.Index())) {
			switch e.StatusPurpose {
			case credential.StatusRevocation:
				return StatusRevoked, nil
			case credential.StatusSuspension:
				out = StatusSuspended
			}
		}
	}
	return out, nil
}

// clock is a settable clock for expiry tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.t.IsZero() {
		return time.Now()
	}
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

// cheap makes argon2id and scrypt fast for tests (the production costs are
// the defaults; TestDefaultCosts checks them).
func cheap(cfg Config) Config {
	if cfg.BaseURL == "" {
		cfg.BaseURL = "https://wallet.example.cn"
	}
	if cfg.PasswordMemoryKiB == 0 {
		cfg.PasswordMemoryKiB = 1024
		cfg.PasswordTime = 1
	}
	if cfg.BackupKDFLogN == 0 {
		cfg.BackupKDFLogN = minLogN
	}
	return cfg
}

// newWallet builds a wallet over st (its "wallet/" namespace) with the
// shared chain's verifier and status checker.
func newWallet(t testing.TB, st store.Store, keys *seal.Keyring, cfg Config, opts ...Option) *Service {
	t.Helper()
	f := env(t)
	if keys == nil {
		keys = testKeyring(t)
	}
	s, err := New(cheap(cfg), store.WithPrefix(st, "wallet/"), keys, credential.MustLoader(), f.cv, f.status, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// testPassword is every test holder's password.
const testPassword = "correct horse battery staple"

// holder signs up and returns the account.
func holder(t testing.TB, s *Service, name string) *Account {
	t.Helper()
	a, err := s.SignUp(context.Background(), SignUp{Username: name, Password: testPassword})
	if err != nil {
		t.Fatalf("sign up %s: %v", name, err)
	}
	return a
}

// dump reads every key and value of a store, to compare before and after.
func dump(t testing.TB, st store.Store) map[string]string {
	t.Helper()
	out := map[string]string{}
	after := ""
	for {
		page, err := st.List(context.Background(), "", store.ListOptions{After: after, Limit: store.MaxListLimit})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page {
			out[e.Key] = string(e.Value)
		}
		if len(page) < store.MaxListLimit {
			return out
		}
		after = page[len(page)-1].Key
	}
}

func strictVerifier(t testing.TB) *credential.Verifier {
	t.Helper()
	return env(t).cv.v
}
