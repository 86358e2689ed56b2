package policy

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

// stores opens each implementation: bolt in a temp folder, redis if one runs.
var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"bolt", func(t testing.TB) store.Store {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "policy.db"), bolt.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"redis", func(t testing.TB) store.Store { return redistest.Open(t) }},
}

// now is the time of every decision in the tests.
var now = time.Date(2026, 9, 1, 10, 0, 0, 0, time.UTC)

const applicant = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"

// talentPermit is the example policy of the package documentation.
func talentPermit() Policy {
	return Policy{
		ID:   "beijing-talent-permit",
		Name: Text{Zh: "北京市人才工作居住证", En: "Beijing talent work-residence permit"},
		Rules: []Rule{
			{
				ID:   "doctorate",
				Name: Text{Zh: "经认证大学的博士学位", En: "doctorate from an accredited university"},
				Expr: `credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'doctor' && c.accredited)`,
			},
			{
				ID:   "master_training",
				Name: Text{Zh: "硕士学位及近三年重点领域认证培训120学时", En: "master's degree and 120 hours of accredited training in a key sector within 3 years"},
				Expr: `credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'master' && c.accredited) &&
sumHours(credentials.filter(c, c.type == 'TrainingCertificateCredential' && c.accredited &&
    c.sector in ['artificial-intelligence', 'integrated-circuits', 'biomedicine'] &&
    c.issued >= addYears(now, -3))) >= 120`,
				Description: "Training hours add up over several certificates.",
			},
		},
		Combine: CombineAny,
	}
}

func newEngine(t testing.TB, cfg Config) *Engine {
	t.Helper()
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func compile(t testing.TB, e *Engine, p Policy) *Compiled {
	t.Helper()
	if p.Version == 0 {
		p.Version = 1
	}
	c, err := e.Compile(&p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// issuer signs credentials as a did:key issuer; verifier checks them with
// the credential core's strict rules, so that Input.Verified comes from a
// real verification.
type fixture struct {
	loader   *credential.Loader
	uni      *credential.Signer // an accredited university
	diploma  *credential.Signer // a diploma mill, not accredited
	verifier *credential.Verifier
	seq      int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	l := credential.MustLoader()
	signer := func() *credential.Signer {
		k, err := credential.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		s, err := credential.NewSigner(l, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	v, err := credential.NewVerifier(credential.VerifierConfig{Loader: l, Resolver: credential.KeyResolver{}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{loader: l, uni: signer(), diploma: signer(), verifier: v}
}

type credOpt func(doc map[string]any, in *Input)

func issuedAt(t time.Time) credOpt {
	return func(doc map[string]any, in *Input) {
		doc["validFrom"] = t.UTC().Format(time.RFC3339)
		in.Issued = t
	}
}

func status(s string) credOpt { return func(_ map[string]any, in *Input) { in.Status = s } }

func subjectID(id string) credOpt {
	return func(doc map[string]any, _ *Input) { doc["credentialSubject"].(map[string]any)["id"] = id }
}

func validUntil(t time.Time) credOpt {
	return func(doc map[string]any, _ *Input) { doc["validUntil"] = t.UTC().Format(time.RFC3339) }
}

// make signs a credential with the given subject claims and verifies it.
func (f *fixture) make(t testing.TB, by *credential.Signer, typ string, claims map[string]any, opts ...credOpt) Input {
	t.Helper()
	f.seq++
	subject := map[string]any{"id": applicant, "fullName": map[string]any{"zh": "张三", "en": "Zhang San"}}
	for k, v := range claims {
		subject[k] = v
	}
	doc := map[string]any{
		"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
		"id":                "urn:uuid:00000000-0000-4000-8000-" + padInt(f.seq),
		"type":              []any{"VerifiableCredential", typ},
		"credentialSubject": subject,
		"validFrom":         now.AddDate(-1, 0, 0).Format(time.RFC3339),
	}
	in := Input{Accredited: by == f.uni, IssuerName: Text{Zh: "清华大学", En: "Tsinghua University"}}
	if by != f.uni {
		in.IssuerName = Text{}
	}
	for _, o := range opts {
		o(doc, &in)
	}
	signed, err := by.SignCredential(doc, now.AddDate(-5, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	in.Document = signed
	in.Verified = f.verify(signed)
	return in
}

func (f *fixture) verify(doc map[string]any) bool {
	return f.verifier.VerifyCredentialDocument(context.Background(), doc, credential.VerifyOptions{Now: now}).Verified
}

// tamper changes a claim of a signed credential, and verifies it again.
func (f *fixture) tamper(in Input) Input {
	doc := maps.Clone(in.Document)
	subject := maps.Clone(doc["credentialSubject"].(map[string]any))
	subject["degree"] = degree("doctor")["degree"]
	doc["credentialSubject"] = subject
	in.Document = doc
	in.Verified = f.verify(doc)
	return in
}

func padInt(n int) string {
	s := "000000000000" + itoa(n)
	return s[len(s)-12:]
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func degree(level string) map[string]any {
	return map[string]any{"degree": map[string]any{
		"type": "Degree", "level": level,
		"degreeName":   map[string]any{"zh": "学位", "en": "Degree"},
		"fieldOfStudy": map[string]any{"zh": "计算机科学", "en": "Computer Science"},
	}}
}

func training(hours int, sector string) map[string]any {
	return map[string]any{
		"course": map[string]any{
			"type": "Course", "courseCode": "AI-" + itoa(hours), "hours": hours, "sector": sector,
			"title":  map[string]any{"zh": "机器学习工程", "en": "Machine learning engineering"},
			"skills": []any{"PyTorch"},
		},
		"result": "pass",
	}
}
