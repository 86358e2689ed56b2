package policy

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// DecisionCredentialType is the credential type of an issued decision, from
// the TalentChain vocabulary (https://w3id.org/talentchain/credentials/v1).
const DecisionCredentialType = "PolicyDecisionCredential"

// Office issues decisions as verifiable credentials signed with the
// talent-policy office's key. It is safe for concurrent use.
type Office struct {
	signer *credential.Signer
}

// NewOffice returns an office that signs with key (eddsa-rdfc-2022); the
// key's controller is the issuer of every decision, so verifiers resolve it
// (a did:talent registered on chain, or a did:key).
func NewOffice(loader *credential.Loader, key *credential.KeyPair) (*Office, error) {
	if loader == nil {
		return nil, errors.New("policy: office: a context loader is required")
	}
	s, err := credential.NewSigner(loader, key)
	if err != nil {
		return nil, fmt.Errorf("policy: office: %w", err)
	}
	return &Office{signer: s}, nil
}

// DID returns the office's identifier, the issuer of its decisions.
func (o *Office) DID() string { return o.signer.Key().Controller }

// Issue returns the decision as a signed PolicyDecisionCredential:
//
//	credentialSubject: {id: the applicant, eligible, reason {zh, en},
//	  policy: {id: urn:talentchain:policy:<id>:v<n>, title {zh, en}, digestSRI},
//	  rules: [{type: PolicyRuleOutcome, id: <policy urn>#<rule id>, title,
//	           eligible (the rule passed), reason}]}
//	relatedResource: [{id: input credential id, digestSRI}]
//	validFrom: the time of the decision
//
// It carries no claim of the applicant's credentials: only their ids and
// digests, the applicant's DID and the outcome. Errors wrap ErrInvalid for a
// decision that cannot be issued (missing applicant, no rules).
func (o *Office) Issue(ctx context.Context, d *Decision) (map[string]any, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if d == nil {
		return nil, invalid("decision", "missing")
	}
	if err := checkApplicant(d.Applicant); err != nil {
		return nil, err
	}
	if len(d.Rules) == 0 || d.EvaluatedAt.IsZero() || d.Policy.ID == "" || d.Policy.Version < 1 {
		return nil, invalid("decision", "not a decision made by Evaluate on a saved policy (needs rules, a time and a policy version)")
	}
	urn := d.Policy.URN()
	rules := make([]any, len(d.Rules))
	for i, r := range d.Rules {
		rules[i] = map[string]any{
			"id":       urn + "#" + r.ID,
			"type":     "PolicyRuleOutcome",
			"title":    langMap(r.Name),
			"eligible": r.Passed,
			"reason":   langMap(r.Reason),
		}
	}
	id, err := newURN()
	if err != nil {
		return nil, err
	}
	doc := map[string]any{
		"@context":  []any{credential.ContextV2, credential.ContextTalentChainV1},
		"id":        id,
		"type":      []any{"VerifiableCredential", DecisionCredentialType},
		"issuer":    o.DID(),
		"validFrom": d.EvaluatedAt.UTC().Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"id":       d.Applicant,
			"eligible": d.Eligible,
			"reason":   langMap(d.Reason),
			"policy": map[string]any{
				"id":        urn,
				"title":     langMap(d.Policy.Name),
				"digestSRI": d.Policy.Digest,
			},
			"rules": rules,
		},
	}
	if len(d.Inputs) > 0 {
		related := make([]any, len(d.Inputs))
		for i, in := range d.Inputs {
			related[i] = map[string]any{"id": in.ID, "digestSRI": in.Digest}
		}
		doc["relatedResource"] = related
	}
	signed, err := o.signer.SignCredential(doc, d.EvaluatedAt)
	if err != nil {
		return nil, fmt.Errorf("policy: issue decision: %w", err)
	}
	return signed, nil
}

func langMap(t Text) map[string]any {
	m := map[string]any{}
	if t.Zh != "" {
		m["zh"] = t.Zh
	}
	if t.En != "" {
		m["en"] = t.En
	}
	return m
}

func newURN() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("policy: random id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}
