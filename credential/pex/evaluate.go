package pex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/talentchain/talentchain/credential"
)

// Decoder turns an element a descriptor_map entry points to into the JSON
// document the descriptor's fields are evaluated against, and the JOSE
// algorithm that signed it ("" for none or unknown). The verifier's SD-JWT
// layer passes one that verifies an SD-JWT and resolves its disclosures. It
// returns an error when the element is not of the format.
type Decoder func(ctx context.Context, format string, element any) (doc map[string]any, alg string, err error)

// Option configures Evaluate.
type Option func(*options)

type options struct{ decode Decoder }

// WithDecoder replaces the default decoding of presented elements (see
// Evaluate). The decoder may call DecodeElement for the formats it does not
// handle itself.
func WithDecoder(d Decoder) Option { return func(o *options) { o.decode = d } }

// Presented is a descriptor_map entry that satisfies its descriptor.
type Presented struct {
	Descriptor string       `json:"descriptor"`
	Mapping    int          `json:"mapping"` // index in descriptor_map
	Format     string       `json:"format"`  // of the innermost element
	Fields     []FieldValue `json:"fields"`
}

// Evaluation is what Evaluate found.
type Evaluation struct {
	DefinitionID string      `json:"definition_id"`
	SubmissionID string      `json:"submission_id"`
	Presented    []Presented `json:"presented"`
}

// Evaluate checks, for the verifier, that a presentation answers a
// definition from Parse or New. presentation is the decoded JSON the
// submission's paths start from: the verifiable presentation (an object),
// an array of presentations, or a single string (a JWT or SD-JWT presented
// on its own, path "$"). sub may be nil: the submission is then read from
// the presentation's "presentation_submission" member.
//
// For each descriptor_map entry it follows path and path_nested (each must
// select exactly one element), decodes the element (DecodeElement, or the
// WithDecoder decoder), and checks it against the descriptor: format, proof
// type, cryptosuite, alg, and every field with its filter re-run on the
// presented data. Then the submission requirements must be met by the
// descriptors satisfied (without any, every descriptor is required).
//
// Proofs and signatures are not verified here: the verifier checks them
// (credential.Verifier, the SD-JWT layer) before or after.
//
// The Evaluation lists what was satisfied. When something is not, the error
// is an *EvaluationError (wrapping ErrNotSatisfied) listing every failure,
// and the Evaluation is returned too. Other errors (ErrInvalidDefinition,
// ErrInvalidSubmission, the context's) come with a nil Evaluation.
func Evaluate(ctx context.Context, def *Definition, sub *Submission, presentation any, opts ...Option) (*Evaluation, error) {
	if def == nil || def.c == nil {
		return nil, defErr("", "not validated: get definitions from Parse or New")
	}
	o := options{decode: func(_ context.Context, format string, el any) (map[string]any, string, error) {
		return DecodeElement(format, el)
	}}
	for _, opt := range opts {
		opt(&o)
	}
	if sub == nil {
		vp, ok := presentation.(map[string]any)
		if !ok || vp["presentation_submission"] == nil {
			return nil, subErr("presentation_submission", "no submission given and none in the presentation")
		}
		raw, err := json.Marshal(vp["presentation_submission"])
		if err != nil {
			return nil, subErr("presentation_submission", "not representable as JSON: %v", err)
		}
		if sub, err = ParseSubmission(raw); err != nil {
			return nil, err
		}
	} else if err := sub.check(); err != nil {
		return nil, err
	}
	ev := &Evaluation{DefinitionID: def.ID, SubmissionID: sub.ID, Presented: []Presented{}}
	var fails []Failure
	if sub.DefinitionID != def.ID {
		fails = append(fails, Failure{Mapping: -1, Reason: fmt.Sprintf("the submission answers definition %q, not %q", sub.DefinitionID, def.ID)})
	}
	submitted := map[int]bool{}
	for i := range sub.DescriptorMap {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m := &sub.DescriptorMap[i]
		di, ok := def.c.byID[m.ID]
		if !ok {
			fails = append(fails, Failure{Descriptor: m.ID, Mapping: i, Reason: "the definition has no such input descriptor"})
			continue
		}
		p, mf := evalMapping(ctx, def.c.descs[di], m, i, presentation, o.decode)
		if len(mf) > 0 {
			fails = append(fails, mf...)
			continue
		}
		submitted[di] = true
		ev.Presented = append(ev.Presented, p)
	}
	fails = append(fails, def.c.unmet(def, func(i int) bool { return submitted[i] })...)
	if len(fails) > 0 {
		return ev, &EvaluationError{Failures: fails}
	}
	return ev, nil
}

func evalMapping(ctx context.Context, cd compiledDesc, m *Mapping, i int, root any, decode Decoder) (Presented, []Failure) {
	fail := func(format string, args ...any) (Presented, []Failure) {
		return Presented{}, []Failure{{Descriptor: m.ID, Mapping: i, Reason: fmt.Sprintf(format, args...)}}
	}
	cur := root
	var el any
	format := ""
	at := "path"
	budget := MaxCandidateNodes
	for mm := m; mm != nil; mm = mm.PathNested {
		p, err := ParsePath(mm.Path)
		if err != nil {
			return fail("%s: %v", at, err)
		}
		nodes, err := p.find(cur, &budget)
		switch {
		case err != nil:
			return fail("%s %s: %v", at, mm.Path, err)
		case len(nodes) == 0:
			return fail("%s %s selects nothing in the presentation", at, mm.Path)
		case len(nodes) > 1:
			return fail("%s %s selects %d elements; it must select one", at, mm.Path, len(nodes))
		}
		el, format = nodes[0].value, mm.Format
		if mm.PathNested != nil {
			doc, _, err := decode(ctx, mm.Format, el)
			if err != nil {
				return fail("%s %s: %v", at, mm.Path, err)
			}
			cur = doc
			at += ".path_nested"
		}
	}
	doc, alg, err := decode(ctx, format, el)
	if err != nil {
		return fail("%v", err)
	}
	var reasons []Reason
	if msg := cd.formatProblem(format, doc, alg); msg != "" {
		reasons = append(reasons, Reason{Kind: ReasonFormat, Message: msg})
	}
	if msg := cd.disclosureProblem(format, doc); msg != "" {
		reasons = append(reasons, Reason{Kind: ReasonFormat, Message: msg})
	}
	pr := Presented{Descriptor: m.ID, Mapping: i, Format: format, Fields: []FieldValue{}}
	for k := range cd.fields {
		fv, r := cd.fields[k].eval(doc, &budget)
		if r != nil {
			reasons = append(reasons, *r)
			continue
		}
		pr.Fields = append(pr.Fields, fv)
	}
	if len(reasons) == 0 {
		return pr, nil
	}
	out := make([]Failure, len(reasons))
	for k, r := range reasons {
		out[k] = Failure{Descriptor: m.ID, Mapping: i, Field: r.Field, Reason: r.Message}
	}
	return Presented{}, out
}

// DecodeElement is the default decoding of a presented element:
//   - ldp and di formats: the element must be a JSON object, used as is;
//   - jwt formats: the element must be a compact JWS; its payload (strictly
//     parsed, see credential.ParseDocument) is the document and its header's
//     alg the algorithm. The signature is not checked here;
//   - SD-JWT formats: the element must be an object, the claims an SD-JWT
//     layer already verified and resolved; a compact SD-JWT string is
//     refused (pass a Decoder with WithDecoder that verifies it).
func DecodeElement(format string, el any) (map[string]any, string, error) {
	switch formatFamilies[format] {
	case familyLDP, familyDI:
		m, ok := el.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("a %s element must be a JSON object, not %s", format, short(el))
		}
		return m, "", nil
	case familyJWT:
		s, ok := el.(string)
		if !ok {
			return nil, "", fmt.Errorf("a %s element must be a compact JWT string, not %s", format, short(el))
		}
		return decodeJWT(format, s)
	case familySDJWT:
		m, ok := el.(map[string]any)
		if !ok {
			return nil, "", fmt.Errorf("a %s element must be verified and its disclosures resolved before evaluation (use WithDecoder)", format)
		}
		return m, "", nil
	}
	return nil, "", fmt.Errorf("%w: format %q", ErrUnsupported, format)
}

func decodeJWT(format, s string) (map[string]any, string, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, "", fmt.Errorf("a %s element must be a compact JWS (three parts), found %d parts", format, len(parts))
	}
	hb, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, "", fmt.Errorf("%s header: %v", format, err)
	}
	var hdr struct {
		Alg string `json:"alg"`
	}
	if err := json.Unmarshal(hb, &hdr); err != nil {
		return nil, "", fmt.Errorf("%s header: %v", format, err)
	}
	pb, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, "", fmt.Errorf("%s payload: %v", format, err)
	}
	doc, err := credential.ParseDocument(pb)
	if err != nil {
		var ie *credential.InputError
		if errors.As(err, &ie) {
			return nil, "", fmt.Errorf("%s payload: %s", format, ie.Reason)
		}
		return nil, "", fmt.Errorf("%s payload: %v", format, err)
	}
	return doc, hdr.Alg, nil
}
