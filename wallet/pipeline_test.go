package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/verifier"
)

// pipeline adapts the verifier pipeline to CredentialVerifier and
// StatusChecker, as cmd/ does: the wallet's interfaces are what the
// verifier service offers.
type pipeline struct{ v *verifier.Verifier }

func (p pipeline) VerifyCredential(ctx context.Context, doc map[string]any, receipt *credential.AnchorReceipt) (*Verification, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	rep, err := p.v.VerifyCredential(ctx, raw, verifier.Options{Receipt: receipt})
	if err != nil {
		return nil, err
	}
	v := &Verification{}
	for _, s := range rep.Steps {
		if s.State == verifier.StepSkipped {
			continue
		}
		v.Checks = append(v.Checks, credential.Check{Name: s.Name, Passed: s.State != verifier.StepFailed, Warning: s.State == verifier.StepWarning, Message: s.MessageEN})
	}
	return v.finish(), nil
}

func (p pipeline) CheckStatus(ctx context.Context, format string, raw []byte) (Status, error) {
	rep, err := p.v.VerifyCredential(ctx, raw, verifier.Options{})
	if err != nil {
		return "", err
	}
	st, ok := rep.Step(verifier.StepStatus)
	if !ok || st.State != verifier.StepFailed {
		return StatusValid, nil
	}
	lists, _ := st.Details["lists"].([]map[string]any)
	out := StatusValid
	for _, l := range lists {
		if set, _ := l["set"].(bool); set {
			if l["purpose"] == credential.StatusRevocation {
				return StatusRevoked, nil
			}
			out = StatusSuspended
		}
	}
	return out, nil
}

// The verifier pipeline behind the wallet's interfaces: receipt checked
// against the chain's anchor, a forged credential refused, the live
// status followed, a revoked credential refused on receipt.
func TestWithVerifierPipeline(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	v, err := verifier.New(verifier.Config{Loader: credential.MustLoader(), Chain: f.node.Client(), StatusTTL: -1, ChainID: f.node.ChainID()})
	if err != nil {
		t.Fatal(err)
	}
	p := pipeline{v}
	s, err := New(cheap(Config{StatusCacheTTL: -1}), openBolt(t), testKeyring(t), credential.MustLoader(), p, p)
	if err != nil {
		t.Fatal(err)
	}
	a := holder(t, s, "zhangsan")
	rec := f.issue(t, masterDegree(a.DID))
	c, err := s.Import(ctx, a.ID, file(t, rec))
	if err != nil || c.Verification.State != StateValid {
		t.Fatalf("import: %v %+v", err, c)
	}
	forged, _ := json.Marshal(map[string]any{"credential": tamper(t, rec.Credential), "anchorReceipt": nil})
	if _, err := s.Import(ctx, a.ID, forged); !errors.Is(err, ErrRejected) {
		t.Fatalf("forged: %v", err)
	}
	if got, _ := s.Credential(ctx, a.ID, c.ID); got.Status != StatusValid {
		t.Fatalf("status %s", got.Status)
	}
	if _, err := f.iss.SetStatus(ctx, f.uni.DID, issuer.StatusChange{IDs: []string{rec.ID}, Status: issuer.StatusSuspended}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Credential(ctx, a.ID, c.ID); got.Status != StatusSuspended {
		t.Fatalf("status %s", got.Status)
	}
	revoked := f.issue(t, training(a.DID, "BC-V01"))
	if _, err := f.iss.SetStatus(ctx, f.uni.DID, issuer.StatusChange{IDs: []string{revoked.ID}, Status: issuer.StatusRevoked}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Import(ctx, a.ID, file(t, revoked))
	var re *RejectedError
	if !errors.As(err, &re) || !re.Verification.hasFailed("status") {
		t.Fatalf("revoked on receipt: %v", err)
	}
}

func (v *Verification) hasFailed(name string) bool {
	for _, c := range v.Checks {
		if c.Name == name && !c.Passed {
			return true
		}
	}
	return false
}
