package policy

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// TestIssueDecision: the decision becomes a PolicyDecisionCredential signed
// by the office that verifies with the credential core's strict verifier,
// names the policy version and the inputs, and carries no claim of the
// applicant's credentials.
func TestIssueDecision(t *testing.T) {
	f := newFixture(t)
	c := compile(t, newEngine(t, Config{}), talentPermit())
	creds := []Input{
		f.make(t, f.uni, "DegreeCredential", degree("master"), subjectID(applicant)),
		f.make(t, f.uni, "TrainingCertificateCredential", training(130, "biomedicine")),
		f.make(t, f.uni, "DegreeCredential", degree("doctor"), status(StatusRevoked)),
	}
	d, err := c.Evaluate(context.Background(), applicant, creds, now)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Eligible {
		t.Fatalf("not eligible: %+v", d)
	}
	officeKey, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	office, err := NewOffice(f.loader, officeKey)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := office.Issue(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	res := f.verifier.VerifyCredentialDocument(context.Background(), vc, credential.VerifyOptions{Now: now})
	if !res.Verified {
		t.Fatalf("the decision does not verify: %+v", res.Checks)
	}
	if vc["issuer"] != officeKey.Controller || office.DID() != officeKey.Controller {
		t.Fatalf("issuer %v", vc["issuer"])
	}
	if types := vc["type"].([]any); len(types) != 2 || types[1] != DecisionCredentialType {
		t.Fatalf("type %v", types)
	}
	subject := vc["credentialSubject"].(map[string]any)
	if subject["id"] != applicant || subject["eligible"] != true {
		t.Fatalf("subject %v", subject)
	}
	pol := subject["policy"].(map[string]any)
	if pol["id"] != "urn:talentchain:policy:beijing-talent-permit:v1" || pol["digestSRI"] != c.Ref().Digest {
		t.Fatalf("policy %v", pol)
	}
	rules := subject["rules"].([]any)
	if len(rules) != 2 {
		t.Fatalf("rules %v", rules)
	}
	r1 := rules[1].(map[string]any)
	if r1["id"] != "urn:talentchain:policy:beijing-talent-permit:v1#master_training" || r1["eligible"] != true || r1["type"] != "PolicyRuleOutcome" {
		t.Fatalf("rule %v", r1)
	}
	if r0 := rules[0].(map[string]any); r0["eligible"] != false || !strings.HasPrefix(r0["reason"].(map[string]any)["zh"].(string), "不符合") {
		t.Fatalf("rule %v", r0)
	}
	related := vc["relatedResource"].([]any)
	if len(related) != 2 {
		t.Fatalf("relatedResource %v: the revoked credential is not an input", related)
	}
	for i, r := range related {
		want := d.Inputs[i]
		m := r.(map[string]any)
		if m["id"] != want.ID || m["digestSRI"] != want.Digest {
			t.Errorf("related %d = %v, want %+v", i, m, want)
		}
	}
	// The input digest is the digest of the credential as presented.
	digest, _ := credential.CredentialDigest(creds[0].Document)
	if d.Inputs[0].Digest != digestSRI(mustCanonical(t, creds[0].Document)) || len(digest) != 32 {
		t.Fatalf("input digest %s", d.Inputs[0].Digest)
	}

	// No personal data of the applicant's credentials.
	b, _ := json.Marshal(vc)
	for _, pii := range []string{"张三", "Zhang San", "fullName", "degree\"", "course", "计算机科学"} {
		if strings.Contains(string(b), pii) {
			t.Errorf("the decision credential contains %q", pii)
		}
	}

	// Turning the decision around breaks the proof.
	forged := maps.Clone(vc)
	fs := maps.Clone(subject)
	fs["eligible"] = false
	forged["credentialSubject"] = fs
	if res := f.verifier.VerifyCredentialDocument(context.Background(), forged, credential.VerifyOptions{Now: now}); res.Verified {
		t.Fatal("a forged decision verified")
	}
}

func mustCanonical(t *testing.T, doc map[string]any) []byte {
	t.Helper()
	b, err := credential.CanonicalJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestIssueDecisionWithoutInputs: a not-eligible decision with no visible
// credential is still issued (without relatedResource) and verifies.
func TestIssueDecisionWithoutInputs(t *testing.T) {
	f := newFixture(t)
	c := compile(t, newEngine(t, Config{}), talentPermit())
	d, err := c.Evaluate(context.Background(), applicant, nil, now)
	if err != nil {
		t.Fatal(err)
	}
	key, _ := credential.GenerateKey()
	office, err := NewOffice(f.loader, key)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := office.Issue(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := vc["relatedResource"]; ok {
		t.Fatal("relatedResource without inputs")
	}
	if res := f.verifier.VerifyCredentialDocument(context.Background(), vc, credential.VerifyOptions{Now: now}); !res.Verified {
		t.Fatalf("does not verify: %+v", res.Checks)
	}
}

func TestIssueRefusesBadDecisions(t *testing.T) {
	key, _ := credential.GenerateKey()
	office, err := NewOffice(credential.MustLoader(), key)
	if err != nil {
		t.Fatal(err)
	}
	good := Decision{Policy: Ref{ID: "p", Version: 1, Digest: "sha256-x"}, Applicant: applicant, Rules: []RuleOutcome{{ID: "r"}}, EvaluatedAt: now}
	cases := map[string]func(d *Decision){
		"no applicant":   func(d *Decision) { d.Applicant = "" },
		"no rules":       func(d *Decision) { d.Rules = nil },
		"no time":        func(d *Decision) { d.EvaluatedAt = time.Time{} },
		"unsaved policy": func(d *Decision) { d.Policy.Version = 0 },
	}
	for name, edit := range cases {
		d := good
		edit(&d)
		if _, err := office.Issue(context.Background(), &d); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	if _, err := office.Issue(context.Background(), nil); !errors.Is(err, ErrInvalid) {
		t.Errorf("nil decision: %v", err)
	}
	if _, err := NewOffice(credential.MustLoader(), &credential.KeyPair{}); err == nil {
		t.Error("an office without a secret key")
	}
}
