package pex_test

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/talentchain/talentchain/credential/pex"
)

// An employer asks for a master's or doctoral degree; the wallet finds the
// holder's matching credential and shows which claims are asked; the
// verifier checks what is presented.
func Example() {
	ctx := context.Background()

	// The verifier creates its definition; it is validated here.
	def, err := pex.Parse([]byte(`{
	  "id": "hr-postgraduate",
	  "input_descriptors": [{
	    "id": "degree",
	    "name": "Master's or doctoral degree",
	    "format": {"ldp_vc": {"proof_type": ["DataIntegrityProof"]}},
	    "constraints": {
	      "limit_disclosure": "preferred",
	      "fields": [
	        {"id": "level", "name": "Degree level", "path": ["$.credentialSubject.degree.level"],
	         "filter": {"type": "string", "enum": ["master", "doctor"]}},
	        {"id": "field", "name": "Field of study", "path": ["$.credentialSubject.degree.fieldOfStudy.en"], "optional": true}
	      ]
	    }
	  }]
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}

	// The wallet matches the holder's credentials (proofs shortened here).
	wallet := []pex.Candidate{
		{ID: "bachelor", Format: pex.FormatLDPVC, Document: map[string]any{
			"type":              []any{"VerifiableCredential", "DegreeCredential"},
			"credentialSubject": map[string]any{"degree": map[string]any{"level": "bachelor"}},
			"proof":             map[string]any{"type": "DataIntegrityProof"},
		}},
		{ID: "master", Format: pex.FormatLDPVC, Document: map[string]any{
			"type": []any{"VerifiableCredential", "DegreeCredential"},
			"credentialSubject": map[string]any{"degree": map[string]any{
				"level": "master", "fieldOfStudy": map[string]any{"en": "Blockchain Engineering"}}},
			"proof": map[string]any{"type": "DataIntegrityProof"},
		}},
	}
	res, err := pex.Match(ctx, def, wallet)
	if err != nil {
		fmt.Println(err)
		return
	}
	d := res.Descriptors[0]
	for _, m := range d.Matches {
		fmt.Println("matches:", m.Candidate)
		for _, f := range m.Fields {
			fmt.Printf("  %s = %v (at %s)\n", f.Name, f.Value, pex.NormalizedPath(f.Location))
		}
	}
	for _, r := range d.Rejections {
		fmt.Println("does not match:", r.Candidate, "-", r.Reasons[0])
	}

	// The holder consents; the wallet builds the submission.
	sub, creds, err := pex.Build(def, []pex.Choice{{Descriptor: "degree", Candidate: wallet[1]}})
	if err != nil {
		fmt.Println(err)
		return
	}
	m, _ := json.Marshal(sub.DescriptorMap)
	fmt.Println("descriptor_map:", string(m))

	// The verifier evaluates the (verified) presentation.
	vp := map[string]any{"type": []any{"VerifiablePresentation"}, "verifiableCredential": []any{creds[0].Document}}
	_, err = pex.Evaluate(ctx, def, sub, vp)
	fmt.Println("satisfied:", err == nil)
	// Output:
	// matches: master
	//   Degree level = master (at $['credentialSubject']['degree']['level'])
	//   Field of study = Blockchain Engineering (at $['credentialSubject']['degree']['fieldOfStudy']['en'])
	// does not match: bachelor - field "level": $['credentialSubject']['degree']['level'] = "bachelor": value must be one of 'master', 'doctor'
	// descriptor_map: [{"id":"degree","format":"ldp_vc","path":"$.verifiableCredential[0]"}]
	// satisfied: true
}
