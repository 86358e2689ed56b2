package pex

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/talentchain/talentchain/credential"
)

// Limits of a presentation submission.
const (
	// MaxSubmissionSize is the largest submission accepted, in bytes.
	MaxSubmissionSize = 256 << 10
	// MaxMappings is the largest number of descriptor_map entries.
	MaxMappings = 128
	// MaxNesting is the deepest chain of path_nested.
	MaxNesting = 4
)

// Submission is a presentation_submission: which element of the
// presentation answers which input descriptor.
type Submission struct {
	ID            string    `json:"id" validate:"required,max=256"`
	DefinitionID  string    `json:"definition_id" validate:"required,max=256"`
	DescriptorMap []Mapping `json:"descriptor_map" validate:"max=128,dive"`
}

// Mapping is one descriptor_map entry: the element at Path (evaluated on
// the presentation, or on the element of the enclosing mapping when
// nested) in Format answers the input descriptor ID.
type Mapping struct {
	ID         string   `json:"id,omitempty" validate:"max=256"`
	Format     string   `json:"format" validate:"required"`
	Path       string   `json:"path" validate:"required,max=4096"`
	PathNested *Mapping `json:"path_nested,omitempty"`
}

var (
	mappingShape = &shape{
		members: map[string]*shape{"id": nil, "format": nil, "path": nil},
		leaves:  map[string]leaf{"id": leafString, "format": leafString, "path": leafString},
	}
	submissionShape = &shape{
		members: map[string]*shape{"id": nil, "definition_id": nil, "descriptor_map": mappingShape},
		leaves:  map[string]leaf{"id": leafString, "definition_id": leafString},
		list:    map[string]bool{"descriptor_map": true},
	}
)

func init() { mappingShape.members["path_nested"] = mappingShape }

// ParseSubmission decodes and validates a presentation submission: the
// bare object or the {"presentation_submission": {...}} envelope. Decoding
// is strict. Errors wrap ErrInvalidSubmission (and ErrInvalidPath or
// ErrUnsupported when that is the cause).
func ParseSubmission(raw []byte) (*Submission, error) {
	if len(raw) > MaxSubmissionSize {
		return nil, subErr("", "larger than %d bytes", MaxSubmissionSize)
	}
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		return nil, &FieldError{Kind: ErrInvalidSubmission, Reason: err.Error()}
	}
	if inner, ok := doc["presentation_submission"]; ok && len(doc) == 1 {
		m, ok := inner.(map[string]any)
		if !ok {
			return nil, subErr("presentation_submission", "must be an object")
		}
		var env struct {
			PS json.RawMessage `json:"presentation_submission"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, subErr("presentation_submission", "%v", err)
		}
		doc, raw = m, env.PS
	}
	if err := checkMembers(doc, submissionShape, ""); err != nil {
		fe := err.(*FieldError)
		fe.Kind = ErrInvalidSubmission
		return nil, fe
	}
	if _, ok := doc["descriptor_map"]; !ok {
		return nil, subErr("descriptor_map", "is required")
	}
	var s Submission
	if err := json.Unmarshal(raw, &s); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, subErr(te.Field, "must be a JSON %s, not %s", goTypeName(te.Type), te.Value)
		}
		return nil, subErr("", "%v", err)
	}
	if err := s.check(); err != nil {
		return nil, err
	}
	return &s, nil
}

// check validates a submission's structure (not its content: see Evaluate).
func (s *Submission) check() error {
	if err := validate().Struct(s); err != nil {
		return structErr(ErrInvalidSubmission, err)
	}
	for i := range s.DescriptorMap {
		m := &s.DescriptorMap[i]
		at := fmt.Sprintf("descriptor_map[%d]", i)
		if m.ID == "" {
			return subErr(at+".id", "is required")
		}
		for depth := 0; m != nil; depth++ {
			if depth > MaxNesting {
				return subErr(at, "path_nested deeper than %d levels", MaxNesting)
			}
			if m.ID != "" && m.ID != s.DescriptorMap[i].ID {
				return subErr(at+".id", "%q differs from the enclosing mapping's %q", m.ID, s.DescriptorMap[i].ID)
			}
			if formatFamilies[m.Format] == 0 {
				return &FieldError{Kind: ErrInvalidSubmission, Field: at + ".format", Cause: ErrUnsupported,
					Reason: fmt.Sprintf("unknown or unsupported claim format %q", m.Format)}
			}
			if _, err := ParsePath(m.Path); err != nil {
				var pe *PathError
				errors.As(err, &pe)
				return &FieldError{Kind: ErrInvalidSubmission, Field: at + ".path", Cause: ErrInvalidPath,
					Reason: fmt.Sprintf("%s at offset %d", pe.Reason, pe.Offset)}
			}
			m = m.PathNested
			at += ".path_nested"
		}
	}
	return nil
}

// Choice is the holder's answer to one input descriptor.
type Choice struct {
	Descriptor string    // input descriptor id
	Candidate  Candidate // the credential chosen for it
}

// Build checks the holder's choices against the definition (each
// candidate satisfies its descriptor, the submission requirements are met,
// one choice per descriptor) and returns the presentation_submission with
// the credentials to present, in the order the submission refers to them.
//
// Two layouts are built. Credentials of the ldp, di and jwt families go into
// one verifiable presentation, each once: the descriptor_map paths are
// "$.verifiableCredential[i]" relative to that presentation, which the
// caller builds from the returned credentials in order and signs. An SD-JWT
// credential (vc+sd-jwt, dc+sd-jwt) is its own presentation: every mapping
// has path "$", and then it must be the only credential chosen. Errors wrap
// ErrInvalidChoice, ErrInvalidCandidate or ErrInvalidDefinition.
func Build(def *Definition, choices []Choice) (*Submission, []Candidate, error) {
	if def == nil || def.c == nil {
		return nil, nil, defErr("", "not validated: get definitions from Parse or New")
	}
	chosen := make(map[int]Candidate, len(choices))
	for i, ch := range choices {
		di, ok := def.c.byID[ch.Descriptor]
		if !ok {
			return nil, nil, fmt.Errorf("%w: choices[%d]: no input descriptor %q", ErrInvalidChoice, i, ch.Descriptor)
		}
		if _, dup := chosen[di]; dup {
			return nil, nil, fmt.Errorf("%w: choices[%d]: descriptor %q is chosen twice", ErrInvalidChoice, i, ch.Descriptor)
		}
		if err := checkCandidate(ch.Candidate); err != nil {
			return nil, nil, fmt.Errorf("choices[%d]: %w", i, err)
		}
		cd := &def.c.descs[di]
		budget := MaxCandidateNodes
		if _, reasons := cd.match(ch.Candidate.Format, ch.Candidate.Document, ch.Candidate.Alg, &budget); len(reasons) > 0 {
			msgs := make([]string, len(reasons))
			for j, r := range reasons {
				msgs[j] = r.String()
			}
			return nil, nil, fmt.Errorf("%w: choices[%d]: credential %q does not satisfy descriptor %q: %s",
				ErrInvalidChoice, i, ch.Candidate.ID, ch.Descriptor, strings.Join(msgs, "; "))
		}
		chosen[di] = ch.Candidate
	}
	submitted := func(i int) bool { _, ok := chosen[i]; return ok }
	if fails := def.c.unmet(def, submitted); len(fails) > 0 {
		msgs := make([]string, len(fails))
		for i, f := range fails {
			msgs[i] = f.String()
		}
		return nil, nil, fmt.Errorf("%w: %s", ErrInvalidChoice, strings.Join(msgs, "; "))
	}
	order := slices.Sorted(func(yield func(int) bool) {
		for i := range chosen {
			if !yield(i) {
				return
			}
		}
	})
	sub := &Submission{ID: newID(), DefinitionID: def.ID, DescriptorMap: []Mapping{}}
	var creds []Candidate
	index := map[string]int{}
	sdjwt := ""
	for _, di := range order {
		c := chosen[di]
		id := def.InputDescriptors[di].ID
		if formatFamilies[c.Format] == familySDJWT {
			if sdjwt != "" && sdjwt != c.ID || sdjwt == "" && len(creds) > 0 {
				return nil, nil, fmt.Errorf("%w: SD-JWT credential %q is its own presentation and cannot be presented with others", ErrInvalidChoice, c.ID)
			}
			if sdjwt == "" {
				sdjwt = c.ID
				creds = append(creds, c)
			}
			sub.DescriptorMap = append(sub.DescriptorMap, Mapping{ID: id, Format: c.Format, Path: "$"})
			continue
		}
		if sdjwt != "" {
			return nil, nil, fmt.Errorf("%w: SD-JWT credential %q is its own presentation and cannot be presented with others", ErrInvalidChoice, sdjwt)
		}
		if strings.HasSuffix(c.Format, "_vp") {
			return nil, nil, fmt.Errorf("%w: credential %q has presentation format %s and cannot be put in a presentation", ErrInvalidChoice, c.ID, c.Format)
		}
		k, ok := index[c.ID]
		if !ok {
			k = len(creds)
			index[c.ID] = k
			creds = append(creds, c)
		}
		sub.DescriptorMap = append(sub.DescriptorMap, Mapping{ID: id, Format: c.Format, Path: fmt.Sprintf("$.verifiableCredential[%d]", k)})
	}
	return sub, creds, nil
}

// unmet lists the submission requirements (or, without any, the
// descriptors) the submitted set does not meet.
func (c *compiled) unmet(def *Definition, submitted func(int) bool) []Failure {
	var out []Failure
	if len(c.reqs) == 0 {
		for i, d := range def.InputDescriptors {
			if !submitted(i) {
				out = append(out, Failure{Descriptor: d.ID, Mapping: -1, Reason: "is required and not submitted"})
			}
		}
		return out
	}
	for _, n := range c.reqs {
		if ok, why := n.met(submitted); !ok {
			out = append(out, Failure{Requirement: n.loc, Mapping: -1, Reason: why})
		}
	}
	return out
}

// newID returns a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
