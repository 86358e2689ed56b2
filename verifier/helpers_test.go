package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
	"github.com/talentchain/talentchain/verifier"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return "tcp://" + l.Addr().String()
}

// env is a real embedded chain node with a real issuer service over the
// embedded store: the world a verifier lives in.
type env struct {
	node *chain.Node
	db   store.Store
	svc  *issuer.Service
	gov  *issuer.LocalGovernance
	n    atomic.Int64 // for unique names
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	node, err := chain.StartNode(ctx, chain.NodeConfig{
		Home: t.TempDir(), ChainID: "talentchain-verifier-test", P2PAddress: freeAddr(t), BlockInterval: 30 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = node.Stop() })
	db, err := bolt.Open(filepath.Join(t.TempDir(), "data.db"), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	mk, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.New(mk)
	if err != nil {
		t.Fatal(err)
	}
	gov, err := issuer.NewLocalGovernance(node.Client(), node.ChainID(), node.GovernanceKey())
	if err != nil {
		t.Fatal(err)
	}
	svc, err := issuer.New(issuer.Config{ChainID: node.ChainID(), BaseURL: "https://issuer.example.edu.cn", BatchDelay: 10 * time.Millisecond},
		store.WithPrefix(db, "issuer/"), keys, node.Client(), credential.MustLoader(), issuer.WithGovernance(gov))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = svc.Close() })
	return &env{node: node, db: db, svc: svc, gov: gov}
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// verifier returns a verifier over the env's chain without caches (every
// read sees the chain as it is now), with a seen set in the env's store.
func (e *env) verifier(t testing.TB, mod ...func(*verifier.Config)) *verifier.Verifier {
	t.Helper()
	seen, err := verifier.NewStoreSeenSet(store.WithPrefix(e.db, "verifier/"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := verifier.Config{
		Loader: credential.MustLoader(), Chain: e.node.Client(), Seen: seen, ChainID: e.node.ChainID(),
		RecordTTL: -1, StatusTTL: -1,
	}
	for _, m := range mod {
		m(&cfg)
	}
	v, err := verifier.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// org creates a registered organisation accredited for the given types;
// "DegreeCredential:bachelor,master" accredits levels.
func (e *env) org(t testing.TB, accredit ...string) *issuer.Org {
	t.Helper()
	n := e.n.Add(1)
	o, err := e.svc.CreateOrg(ctxT(t), issuer.NewOrg{
		Names: issuer.Names{Zh: fmt.Sprintf("测试大学%d", n), En: fmt.Sprintf("Test University %d", n)}, Kind: issuer.KindUniversity,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range accredit {
		e.accredit(t, o.DID, a)
	}
	return o
}

func (e *env) accredit(t testing.TB, did, a string) {
	t.Helper()
	typ, levels, _ := strings.Cut(a, ":")
	p := &chain.Accredit{Issuer: did, CredentialType: typ}
	if levels != "" {
		p.Levels = strings.Split(levels, ",")
	}
	e.govTx(t, p)
}

func (e *env) govTx(t testing.TB, p chain.Payload) chain.Receipt {
	t.Helper()
	r, err := e.gov.Submit(ctxT(t), p)
	if err != nil {
		t.Fatalf("%s: %v", p.TxType(), err)
	}
	return r
}

// issue issues a credential through the issuer service and waits for its anchor.
func (e *env) issue(t testing.TB, org string, req *issuer.Request) *issuer.Record {
	t.Helper()
	rec, err := e.svc.Issue(ctxT(t), org, req)
	if err != nil {
		t.Fatalf("issue: %v", err)
	}
	if rec.Receipt == nil {
		t.Fatal("issued without a receipt")
	}
	return rec
}

func (e *env) setStatus(t testing.TB, org, id string, st issuer.Status) {
	t.Helper()
	if _, err := e.svc.SetStatus(ctxT(t), org, issuer.StatusChange{IDs: []string{id}, Status: st, Reason: "test"}); err != nil {
		t.Fatal(err)
	}
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

func training(holder string) *issuer.Request {
	return &issuer.Request{
		Type: issuer.TypeTraining, Holder: holder,
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

// degreeDoc is an unsigned master's degree credential as the issuer service
// builds it, without status entries.
func degreeDoc(issuerDID, holder, level string) map[string]any {
	return map[string]any{
		"@context": []any{credential.ContextV2, credential.ContextTalentChainV1},
		"id":       "urn:uuid:" + randHex(16),
		"type":     []any{"VerifiableCredential", "DegreeCredential"},
		"issuer":   issuerDID,
		"credentialSubject": map[string]any{
			"id":       holder,
			"fullName": map[string]any{"zh": "王五", "en": "Wang Wu"},
			"degree": map[string]any{
				"type": "Degree", "level": level,
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
			},
			"graduationDate": "2026-06-30",
		},
		"validFrom": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339),
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// rawIssuer is an issuer driven directly with chain transactions and its own
// keys, outside the issuer service: it does what the service refuses to do
// (sign types it is not accredited for, sign with a retired key, anchor
// another issuer's credential), as an attacker or a buggy tool would.
type rawIssuer struct {
	e    *env
	did  string
	keys []ed25519.PrivateKey // key-1, key-2, …
	seq  uint64
}

func (e *env) rawIssuer(t testing.TB, accredit ...string) *rawIssuer {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	n := e.n.Add(1)
	e.govTx(t, &chain.RegisterIssuer{Kind: chain.KindTrainingOrg, Names: chain.Names{En: fmt.Sprintf("Raw Academy %d", n), Zh: fmt.Sprintf("测试学院%d", n)}, PublicKey: chain.EncodePublicKey(pub)})
	r := &rawIssuer{e: e, did: chain.IssuerDID(pub), keys: []ed25519.PrivateKey{priv}}
	for _, a := range accredit {
		e.accredit(t, r.did, a)
	}
	return r
}

func (r *rawIssuer) submit(t testing.TB, p chain.Payload) chain.Receipt {
	t.Helper()
	tx := chain.NewTx(p, chain.KeyID(r.did, len(r.keys)), r.seq+1)
	if err := tx.Sign(r.e.node.ChainID(), r.keys[len(r.keys)-1]); err != nil {
		t.Fatal(err)
	}
	raw, err := tx.Encode()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := r.e.node.Client().Submit(ctxT(t), raw)
	if err != nil {
		t.Fatalf("%s: %v", p.TxType(), err)
	}
	r.seq++
	return rc
}

// rotate makes a new key current; the old one stays in the key history.
func (r *rawIssuer) rotate(t testing.TB) {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	r.submit(t, &chain.RotateKey{NewPublicKey: chain.EncodePublicKey(pub)})
	r.keys = append(r.keys, priv)
}

// sign signs doc with key-n (1-based).
func (r *rawIssuer) sign(t testing.TB, doc map[string]any, n int) map[string]any {
	t.Helper()
	priv := r.keys[n-1]
	s, err := credential.NewSigner(credential.MustLoader(), &credential.KeyPair{
		ID: chain.KeyID(r.did, n), Controller: r.did, Public: priv.Public().(ed25519.PublicKey), Private: priv,
	})
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignCredential(doc, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return signed
}

// anchor anchors docs in one batch, signed with the current key, and
// returns their receipts.
func (r *rawIssuer) anchor(t testing.TB, types []string, docs ...map[string]any) []*credential.AnchorReceipt {
	t.Helper()
	digests := make([][32]byte, len(docs))
	for i, d := range docs {
		var err error
		if digests[i], err = credential.CredentialDigest(d); err != nil {
			t.Fatal(err)
		}
	}
	b := credential.NewBatch(digests)
	root := b.Root()
	rc := r.submit(t, &chain.Anchor{Root: hex.EncodeToString(root[:]), LeafCount: uint64(len(docs)), CredentialTypes: types})
	var rec chain.AnchorRecord
	if err := json.Unmarshal(rc.Data, &rec); err != nil {
		t.Fatal(err)
	}
	out := make([]*credential.AnchorReceipt, len(docs))
	for i := range docs {
		out[i] = b.Receipt(i)
		out[i].Issuer, out[i].ChainID, out[i].Height, out[i].TxHash, out[i].Time = r.did, r.e.node.ChainID(), rec.Height, rec.TxHash, rec.Time
	}
	return out
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parse(t testing.TB, raw []byte) map[string]any {
	t.Helper()
	d, err := credential.ParseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// present wraps credentials in a presentation signed by the holder.
func present(t testing.TB, holder *credential.KeyPair, challenge, domain string, creds ...[]byte) []byte {
	t.Helper()
	vcs := make([]any, len(creds))
	for i, c := range creds {
		vcs[i] = parse(t, c)
	}
	s, err := credential.NewSigner(credential.MustLoader(), holder)
	if err != nil {
		t.Fatal(err)
	}
	vp, err := s.SignPresentation(map[string]any{
		"@context":             []any{credential.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"verifiableCredential": vcs,
	}, challenge, domain, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	return mustJSON(t, vp)
}

func newHolder(t testing.TB) *credential.KeyPair {
	t.Helper()
	k, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// steps renders a report's step states as "name=state ..." for messages.
func steps(r *verifier.Report) string {
	var b strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&b, "%s=%s ", s.Name, s.State)
	}
	return b.String()
}

// checkMessages fails if any step lacks a message in either language or a
// message shows a formatting error.
func checkMessages(t testing.TB, r *verifier.Report) {
	t.Helper()
	for _, s := range r.Steps {
		if s.MessageEN == "" || s.MessageZH == "" || strings.Contains(s.MessageEN+s.MessageZH, "%!") {
			t.Errorf("step %s: messages %q / %q", s.Name, s.MessageEN, s.MessageZH)
		}
	}
	if r.SummaryEN == "" || r.SummaryZH == "" {
		t.Error("report has no summary")
	}
	for _, c := range r.Credentials {
		checkMessages(t, c)
	}
}

func newEnvStore(t testing.TB) store.Store {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "seen.db"), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}
