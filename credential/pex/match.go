package pex

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Candidate is one of the holder's credentials offered to Match.
type Candidate struct {
	// ID identifies the credential in the wallet; unique among candidates.
	ID string
	// Format is its claim format designation, e.g. FormatLDPVC or FormatVCSDJWT.
	Format string
	// Document is the credential as decoded JSON (objects map[string]any,
	// arrays []any): the VC for ldp/di formats, the JWT claims for jwt
	// formats, the SD-JWT's processed claims (every disclosure resolved) for
	// SD-JWT formats. Fields are evaluated against it.
	Document map[string]any
	// Alg is the JOSE algorithm of a JWT or SD-JWT credential, checked
	// against the format's alg (or sd-jwt_alg_values) when the definition
	// restricts it; "" when unknown, which such a restriction refuses.
	Alg string
}

// MaxCandidateNodes bounds the JSONPath work Match spends on one candidate
// across all descriptors (and Build and Evaluate on one credential): a
// definition whose paths would visit more nodes is stopped there, and the
// candidate rejected with ReasonLimit. It keeps a hostile definition from
// tying up a wallet.
const MaxCandidateNodes = 200_000

// Reason kinds of a Rejection.
const (
	ReasonFormat  = "format"  // the candidate's format or proof is not accepted
	ReasonMissing = "missing" // a required field has no value at any of its paths
	ReasonFilter  = "filter"  // values exist but none passes the field's filter
	ReasonLimit   = "limit"   // evaluating the paths hit MaxCandidateNodes
)

// Reason says why a candidate does not satisfy a descriptor.
type Reason struct {
	Kind    string `json:"kind"`            // ReasonFormat, ReasonMissing, ...
	Field   string `json:"field,omitempty"` // field id, or its first path
	Message string `json:"message"`
}

func (r Reason) String() string {
	if r.Field == "" {
		return r.Message
	}
	return fmt.Sprintf("field %q: %s", r.Field, r.Message)
}

// FieldValue is what a field of a descriptor found in a credential.
type FieldValue struct {
	ID      string `json:"id,omitempty"`
	Name    string `json:"name,omitempty"`
	Purpose string `json:"purpose,omitempty"`
	// Path is the definition's expression that found the value; Location is
	// where the value is (member names and array indexes, the form of an
	// SD-JWT claim path).
	Path     string `json:"path,omitempty"`
	Location []any  `json:"location,omitempty"`
	Value    any    `json:"value,omitempty"`
	// Found is false for an optional field without an acceptable value.
	Found          bool `json:"found"`
	Optional       bool `json:"optional,omitempty"`
	IntentToRetain bool `json:"intent_to_retain,omitempty"`
}

// CandidateMatch is a candidate that satisfies a descriptor.
type CandidateMatch struct {
	Candidate string       `json:"candidate"` // Candidate.ID
	Format    string       `json:"format"`
	Fields    []FieldValue `json:"fields"`
	// Disclose lists, when the descriptor sets limit_disclosure, the
	// locations of the values found (Fields[i].Location for each found
	// field): what the holder must (required) or should (preferred)
	// disclose, and nothing else.
	Disclose [][]any `json:"disclose,omitempty"`
}

// Rejection is a candidate that does not satisfy a descriptor, and why.
type Rejection struct {
	Candidate string   `json:"candidate"`
	Reasons   []Reason `json:"reasons"`
}

// DescriptorResult is the outcome of Match for one input descriptor.
type DescriptorResult struct {
	ID              string           `json:"id"`
	Name            string           `json:"name,omitempty"`
	Purpose         string           `json:"purpose,omitempty"`
	Group           []string         `json:"group,omitempty"`
	LimitDisclosure string           `json:"limit_disclosure,omitempty"`
	Matches         []CandidateMatch `json:"matches"`
	Rejections      []Rejection      `json:"rejections,omitempty"`
}

// RequirementResult is whether a submission requirement can be met with
// the matching candidates.
type RequirementResult struct {
	Location    string              `json:"location"` // submission_requirements[0]...
	Name        string              `json:"name,omitempty"`
	Purpose     string              `json:"purpose,omitempty"`
	Rule        string              `json:"rule"`
	Count       *int                `json:"count,omitempty"`
	Min         *int                `json:"min,omitempty"`
	Max         *int                `json:"max,omitempty"`
	From        string              `json:"from,omitempty"`
	Descriptors []string            `json:"descriptors,omitempty"` // ids of the group
	Nested      []RequirementResult `json:"nested,omitempty"`
	Satisfiable bool                `json:"satisfiable"`
	Reason      string              `json:"reason,omitempty"` // why not
}

// Result is the outcome of Match.
type Result struct {
	DefinitionID string             `json:"definition_id"`
	Descriptors  []DescriptorResult `json:"descriptors"`
	// Requirements holds one entry per submission requirement; without
	// submission requirements, one "all" entry over every descriptor.
	Requirements []RequirementResult `json:"requirements"`
	// Satisfiable is true when a submission can be built from the matches.
	Satisfiable bool `json:"satisfiable"`
}

// Match evaluates every candidate against every input descriptor of a
// definition from Parse or New: format (and proof type, cryptosuite, alg),
// then each field in order, the first value at one of its paths that
// passes the filter (an optional field may have none). It reports the
// matches with their values, the rejections with their reasons, and
// whether the submission requirements can be met. A candidate not
// matching is not an error; errors wrap ErrInvalidDefinition,
// ErrInvalidCandidate or the context's error.
func Match(ctx context.Context, def *Definition, candidates []Candidate) (*Result, error) {
	if def == nil || def.c == nil {
		return nil, defErr("", "not validated: get definitions from Parse or New")
	}
	seen := make(map[string]bool, len(candidates))
	for i, c := range candidates {
		if err := checkCandidate(c); err != nil {
			return nil, fmt.Errorf("candidates[%d]: %w", i, err)
		}
		if seen[c.ID] {
			return nil, fmt.Errorf("candidates[%d]: %w: id %q is used twice", i, ErrInvalidCandidate, c.ID)
		}
		seen[c.ID] = true
	}
	res := &Result{DefinitionID: def.ID, Descriptors: make([]DescriptorResult, len(def.c.descs))}
	budgets := make([]int, len(candidates))
	for i := range budgets {
		budgets[i] = MaxCandidateNodes
	}
	for i := range def.c.descs {
		cd := &def.c.descs[i]
		dr := DescriptorResult{ID: cd.d.ID, Name: cd.d.Name, Purpose: cd.d.Purpose, Group: cd.d.Group,
			LimitDisclosure: cd.d.Constraints.LimitDisclosure, Matches: []CandidateMatch{}}
		for j, c := range candidates {
			if j%64 == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			m, reasons := cd.match(c.Format, c.Document, c.Alg, &budgets[j])
			if len(reasons) > 0 {
				dr.Rejections = append(dr.Rejections, Rejection{Candidate: c.ID, Reasons: reasons})
				continue
			}
			m.Candidate = c.ID
			dr.Matches = append(dr.Matches, m)
		}
		res.Descriptors[i] = dr
	}
	have := func(i int) bool { return len(res.Descriptors[i].Matches) > 0 }
	res.Requirements, res.Satisfiable = def.c.possible(def, have)
	return res, nil
}

func checkCandidate(c Candidate) error {
	switch {
	case c.ID == "":
		return fmt.Errorf("%w: no id", ErrInvalidCandidate)
	case formatFamilies[c.Format] == 0:
		return fmt.Errorf("%w: %q: unknown format %q", ErrInvalidCandidate, c.ID, c.Format)
	case c.Document == nil:
		return fmt.Errorf("%w: %q: no document", ErrInvalidCandidate, c.ID)
	}
	return nil
}

// match checks one credential against the descriptor. It returns the
// match, or the reasons it does not match (every one, for the UI).
func (cd *compiledDesc) match(format string, doc map[string]any, alg string, budget *int) (CandidateMatch, []Reason) {
	var reasons []Reason
	if msg := cd.formatProblem(format, doc, alg); msg != "" {
		reasons = append(reasons, Reason{Kind: ReasonFormat, Message: msg})
	}
	if msg := cd.disclosureProblem(format, doc); msg != "" {
		reasons = append(reasons, Reason{Kind: ReasonFormat, Message: msg})
	}
	m := CandidateMatch{Format: format, Fields: make([]FieldValue, 0, len(cd.fields))}
	for i := range cd.fields {
		fv, r := cd.fields[i].eval(doc, budget)
		if r != nil {
			reasons = append(reasons, *r)
			continue
		}
		m.Fields = append(m.Fields, fv)
		if fv.Found && cd.d.Constraints.LimitDisclosure != "" {
			m.Disclose = append(m.Disclose, fv.Location)
		}
	}
	if len(reasons) > 0 {
		return CandidateMatch{}, reasons
	}
	return m, nil
}

// formatProblem says why a credential's format is not accepted, or "".
func (cd *compiledDesc) formatProblem(format string, doc map[string]any, alg string) string {
	if len(cd.formats) == 0 {
		return ""
	}
	spec, ok := cd.formats[format]
	if !ok {
		return fmt.Sprintf("format %s is not accepted (accepted: %s)", format, strings.Join(slices.Sorted(mapKeys(cd.formats)), ", "))
	}
	switch formatFamilies[format] {
	case familyJWT:
		if len(spec.Alg) > 0 && !slices.Contains(spec.Alg, alg) {
			return algProblem(alg, spec.Alg)
		}
	case familySDJWT:
		if len(spec.SDJWTAlgValues) > 0 && !slices.Contains(spec.SDJWTAlgValues, alg) {
			return algProblem(alg, spec.SDJWTAlgValues)
		}
	case familyLDP, familyDI:
		if len(spec.ProofType) == 0 && len(spec.Cryptosuite) == 0 {
			return ""
		}
		proofs := proofsOf(doc)
		if len(proofs) == 0 {
			return "the credential has no proof"
		}
		if len(spec.ProofType) > 0 && !slices.ContainsFunc(proofs, func(p map[string]any) bool {
			t, _ := p["type"].(string)
			return slices.Contains(spec.ProofType, t)
		}) {
			return fmt.Sprintf("no proof of an accepted type (accepted: %s)", strings.Join(spec.ProofType, ", "))
		}
		if len(spec.Cryptosuite) > 0 && !slices.ContainsFunc(proofs, func(p map[string]any) bool {
			s, _ := p["cryptosuite"].(string)
			return slices.Contains(spec.Cryptosuite, s)
		}) {
			return fmt.Sprintf("no proof with an accepted cryptosuite (accepted: %s)", strings.Join(spec.Cryptosuite, ", "))
		}
	}
	return ""
}

// Proofs from which a holder can derive a proof over fewer claims. Data
// Integrity suites are named "DataIntegrityProof.<cryptosuite>".
var selectiveProofs = []string{
	"BbsBlsSignature2020", "BbsBlsSignatureProof2020",
	"DataIntegrityProof.bbs-2023", "DataIntegrityProof.ecdsa-sd-2023", "DataIntegrityProof.anoncreds-2023",
}

// disclosureProblem says why a credential cannot answer a descriptor whose
// limit_disclosure is required, or "": the holder must then submit only the
// fields asked, which a credential can do only in a selective-disclosure
// format (SD-JWT) or with a proof that allows deriving one over fewer claims.
// (The specification: a holder that cannot limit disclosure must not submit.)
func (cd *compiledDesc) disclosureProblem(format string, doc map[string]any) string {
	if cd.d.Constraints.LimitDisclosure != Required {
		return ""
	}
	switch formatFamilies[format] {
	case familySDJWT:
		return ""
	case familyLDP, familyDI:
		var suites []string
		for _, p := range proofsOf(doc) {
			t, _ := p["type"].(string)
			if s, _ := p["cryptosuite"].(string); s != "" {
				t += "." + s
			}
			if slices.Contains(selectiveProofs, t) {
				return ""
			}
			suites = append(suites, t)
		}
		if len(suites) == 0 {
			return "limit_disclosure is required and the credential has no proof allowing selective disclosure"
		}
		return fmt.Sprintf("limit_disclosure is required and proof %s cannot disclose selectively", strings.Join(suites, ", "))
	}
	return fmt.Sprintf("limit_disclosure is required and a %s credential cannot disclose selectively", format)
}

func algProblem(alg string, accepted []string) string {
	if alg == "" {
		return fmt.Sprintf("the signing algorithm is unknown (accepted: %s)", strings.Join(accepted, ", "))
	}
	return fmt.Sprintf("algorithm %s is not accepted (accepted: %s)", alg, strings.Join(accepted, ", "))
}

func proofsOf(doc map[string]any) []map[string]any {
	switch p := doc["proof"].(type) {
	case map[string]any:
		return []map[string]any{p}
	case []any:
		var out []map[string]any
		for _, e := range p {
			if m, ok := e.(map[string]any); ok {
				out = append(out, m)
			}
		}
		return out
	}
	return nil
}

// eval finds the field's value: paths in order, and for each path its
// values in order, the first that passes the filter. A missing optional
// field is a FieldValue with Found false; a missing required one a Reason.
func (cf *compiledField) eval(doc any, budget *int) (FieldValue, *Reason) {
	fv := FieldValue{ID: cf.f.ID, Name: cf.f.Name, Purpose: cf.f.Purpose,
		Optional: cf.f.Optional, IntentToRetain: cf.f.IntentToRetain}
	var seen int
	var firstFail string
	for _, p := range cf.paths {
		nodes, err := p.find(doc, budget)
		if err != nil {
			return fv, &Reason{Kind: ReasonLimit, Field: cf.label,
				Message: fmt.Sprintf("%s: %v (more than %d nodes for this credential)", p, err, MaxCandidateNodes)}
		}
		for _, n := range nodes {
			seen++
			if cf.filter != nil {
				if err := cf.filter.Validate(n.value); err != nil {
					if firstFail == "" {
						firstFail = fmt.Sprintf("%s = %s: %s", NormalizedPath(n.location()), short(n.value), filterError(err))
					}
					continue
				}
			}
			fv.Path, fv.Location, fv.Value, fv.Found = p.String(), n.location(), n.value, true
			return fv, nil
		}
	}
	if cf.f.Optional {
		return fv, nil
	}
	if seen == 0 {
		return fv, &Reason{Kind: ReasonMissing, Field: cf.label,
			Message: fmt.Sprintf("no value at %s", strings.Join(cf.f.Path, " or "))}
	}
	msg := firstFail
	if seen > 1 {
		msg = fmt.Sprintf("none of %d values passes the filter; first: %s", seen, firstFail)
	}
	return fv, &Reason{Kind: ReasonFilter, Field: cf.label, Message: msg}
}

// short renders a value for a message, cut to 64 bytes.
func short(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = fmt.Sprintf("%q", x)
	case map[string]any:
		s = "an object"
	case []any:
		s = fmt.Sprintf("an array of %d", len(x))
	case nil:
		s = "null"
	default:
		s = fmt.Sprint(x)
	}
	if len(s) > 64 {
		s = strings.ToValidUTF8(s[:61], "") + "..."
	}
	return s
}
