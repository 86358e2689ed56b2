package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential/pex"
)

// pexMatcher adapts credential/pex to Matcher, as cmd/ does: the wallet's
// interface is what the real Presentation Exchange package offers.
type pexMatcher struct{}

func (pexMatcher) Match(ctx context.Context, raw json.RawMessage, cands []Candidate) (*Match, error) {
	def, err := pex.Parse(raw)
	if err != nil {
		return nil, err
	}
	pc := make([]pex.Candidate, len(cands))
	for i, c := range cands {
		pc[i] = pex.Candidate{ID: c.ID, Format: c.Format, Document: c.Document}
	}
	res, err := pex.Match(ctx, def, pc)
	if err != nil {
		return nil, err
	}
	m := &Match{DefinitionID: res.DefinitionID, Name: def.Name, Purpose: def.Purpose, Satisfied: res.Satisfiable}
	for _, d := range res.Descriptors {
		dm := DescriptorMatch{ID: d.ID, Name: d.Name, Purpose: d.Purpose}
		for _, cm := range d.Matches {
			c := CandidateMatch{ID: cm.Candidate}
			for _, f := range cm.Fields {
				if f.Found {
					c.Fields = append(c.Fields, FieldMatch{Path: pex.NormalizedPath(f.Location), Name: f.Name, Purpose: f.Purpose, Value: f.Value, Optional: f.Optional})
				}
			}
			dm.Candidates = append(dm.Candidates, c)
		}
		m.Descriptors = append(m.Descriptors, dm)
	}
	return m, nil
}

// The presentation request flow with the real Presentation Exchange
// matcher: a pick rule (one degree or two trainings), proof type checks,
// an optional field.
func TestPresentationRequestPEX(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	vs := newVerifierServer(t)
	s := newWallet(t, openBolt(t), nil, Config{AllowedOrigins: []string{vs.srv.URL}}, WithMatcher(pexMatcher{}))
	a := holder(t, s, "zhangsan")
	master, err := s.Import(ctx, a.ID, file(t, f.issue(t, masterDegree(a.DID))))
	if err != nil {
		t.Fatal(err)
	}
	course, err := s.Import(ctx, a.ID, file(t, f.issue(t, training(a.DID, "BC-P01"))))
	if err != nil {
		t.Fatal(err)
	}
	def := `{"id":"hr-pick","name":"Qualification","purpose":"A degree, or a training",
	 "submission_requirements":[{"name":"one of","rule":"pick","count":1,"from":"A"}],
	 "input_descriptors":[
	  {"id":"degree","group":["A"],"format":{"ldp_vc":{"proof_type":["DataIntegrityProof"]}},
	   "constraints":{"fields":[{"id":"level","name":"Level","path":["$.credentialSubject.degree.level"],"filter":{"type":"string","enum":["master","doctor"]}},
	    {"id":"field","path":["$.credentialSubject.degree.fieldOfStudy.en"],"optional":true}]}},
	  {"id":"training","group":["A"],"constraints":{"fields":[{"path":["$.credentialSubject.course.courseCode"],"filter":{"type":"string","pattern":"^BC-"}}]}}]}`
	view, err := s.FetchRequest(ctx, a.ID, vs.request(t, def, time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if !view.Satisfied || len(view.Descriptors) != 2 || len(view.Descriptors[0].Candidates) != 1 || view.Descriptors[0].Candidates[0].Credential.ID != master.ID {
		t.Fatalf("view %+v", view)
	}
	fields := view.Descriptors[0].Candidates[0].Fields
	if len(fields) != 2 || fields[0].Value != "master" || fields[1].Value != "Blockchain Engineering" {
		t.Fatalf("fields %+v", fields)
	}
	// The degree alone satisfies "pick 1"; the training for the degree
	// descriptor does not match it.
	if _, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", course.ID}}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("wrong descriptor: %v", err)
	}
	resp, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}}})
	if err != nil || resp.Status != 200 {
		t.Fatalf("respond: %+v %v", resp, err)
	}
	// The submission the wallet built passes the verifier's own PE check.
	sub, err := pex.ParseSubmission(resp.Submission)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := pex.Parse([]byte(def))
	p, err := s.Present(ctx, a.ID, PresentRequest{CredentialIDs: []string{master.ID}, Challenge: "x"})
	if err != nil {
		t.Fatal(err)
	}
	var vp map[string]any
	json.Unmarshal(p.Presentation, &vp)
	if _, err := pex.Evaluate(ctx, d, sub, vp); err != nil {
		t.Fatalf("the verifier's evaluation of the submission: %v", err)
	}
	// A malformed definition is the verifier's fault.
	if _, err := s.FetchRequest(ctx, a.ID, vs.request(t, `{"id":"x","input_descriptors":[]}`, time.Hour)); !errors.Is(err, ErrRemote) {
		t.Fatalf("bad definition: %v", err)
	}
}
