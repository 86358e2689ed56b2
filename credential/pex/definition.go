package pex

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/talentchain/talentchain/credential"
)

// Limits of a presentation definition.
const (
	// MaxDefinitionSize is the largest definition accepted, in bytes.
	MaxDefinitionSize = 256 << 10
	// MaxDescriptors is the largest number of input descriptors.
	MaxDescriptors = 64
	// MaxFields is the largest number of fields of one input descriptor.
	MaxFields = 64
	// MaxPaths is the largest number of alternative paths of one field.
	MaxPaths = 16
	// MaxTotalPaths is the largest number of paths in all the fields of a
	// definition together.
	MaxTotalPaths = 1024
	// MaxRequirements is the largest number of submission requirements,
	// nested ones included.
	MaxRequirements = 64
	// MaxRequirementDepth is the deepest nesting of from_nested.
	MaxRequirementDepth = 4
)

// Claim format designations of the DIF claim format registry that this
// package knows. A definition naming another format is refused.
const (
	FormatJWT       = "jwt"
	FormatJWTVC     = "jwt_vc"
	FormatJWTVP     = "jwt_vp"
	FormatJWTVCJSON = "jwt_vc_json"
	FormatJWTVPJSON = "jwt_vp_json"
	FormatLDP       = "ldp"
	FormatLDPVC     = "ldp_vc"
	FormatLDPVP     = "ldp_vp"
	FormatDI        = "di"
	FormatDIVC      = "di_vc"
	FormatDIVP      = "di_vp"
	FormatVCSDJWT   = "vc+sd-jwt"
	FormatDCSDJWT   = "dc+sd-jwt"
)

type formatFamily int

const (
	familyJWT formatFamily = iota + 1
	familyLDP
	familyDI
	familySDJWT
)

var formatFamilies = map[string]formatFamily{
	FormatJWT: familyJWT, FormatJWTVC: familyJWT, FormatJWTVP: familyJWT,
	FormatJWTVCJSON: familyJWT, FormatJWTVPJSON: familyJWT,
	FormatLDP: familyLDP, FormatLDPVC: familyLDP, FormatLDPVP: familyLDP,
	FormatDI: familyDI, FormatDIVC: familyDI, FormatDIVP: familyDI,
	FormatVCSDJWT: familySDJWT, FormatDCSDJWT: familySDJWT,
}

// members allowed in a format's object, by family
var formatMembers = map[formatFamily][]string{
	familyJWT:   {"alg"},
	familyLDP:   {"proof_type"},
	familyDI:    {"proof_type", "cryptosuite"},
	familySDJWT: {"sd-jwt_alg_values", "kb-jwt_alg_values"},
}

// Limit disclosure values.
const (
	Required  = "required"
	Preferred = "preferred"
)

// Submission requirement rules.
const (
	RuleAll  = "all"
	RulePick = "pick"
)

// Definition is a DIF Presentation Exchange v2 presentation definition.
//
// Use Parse (JSON) or New (built in Go) to get one: they validate it and
// compile its paths and filters. Match, Build and Evaluate refuse a
// Definition that did not come from them; do not modify one afterwards.
type Definition struct {
	ID                     string                  `json:"id" validate:"required,max=256"`
	Name                   string                  `json:"name,omitempty" validate:"max=1024"`
	Purpose                string                  `json:"purpose,omitempty" validate:"max=4096"`
	Format                 Formats                 `json:"format,omitempty"`
	InputDescriptors       []InputDescriptor       `json:"input_descriptors" validate:"min=1,max=64,dive"`
	SubmissionRequirements []SubmissionRequirement `json:"submission_requirements,omitempty" validate:"max=64,dive"`

	c *compiled
}

// Formats maps claim format designations (FormatLDPVC, ...) to what the
// verifier accepts of each. An empty map accepts every format.
type Formats map[string]FormatSpec

// FormatSpec narrows a format: the JOSE algorithms (jwt*), proof types
// (ldp*, di*), Data Integrity cryptosuites (di*) or SD-JWT algorithms
// accepted. As in the claim format registry's schema, alg (jwt*),
// proof_type (ldp*) and proof_type and cryptosuite (di*) are required; the
// SD-JWT lists are optional, and an empty one accepts any algorithm.
type FormatSpec struct {
	Alg            []string `json:"alg,omitempty" validate:"max=32,dive,required,max=128"`
	ProofType      []string `json:"proof_type,omitempty" validate:"max=32,dive,required,max=128"`
	Cryptosuite    []string `json:"cryptosuite,omitempty" validate:"max=32,dive,required,max=128"`
	SDJWTAlgValues []string `json:"sd-jwt_alg_values,omitempty" validate:"max=32,dive,required,max=128"`
	KBJWTAlgValues []string `json:"kb-jwt_alg_values,omitempty" validate:"max=32,dive,required,max=128"`
}

// InputDescriptor asks for one credential.
type InputDescriptor struct {
	ID          string      `json:"id" validate:"required,max=256"`
	Name        string      `json:"name,omitempty" validate:"max=1024"`
	Purpose     string      `json:"purpose,omitempty" validate:"max=4096"`
	Group       []string    `json:"group,omitempty" validate:"max=16,dive,required,max=256"`
	Format      Formats     `json:"format,omitempty"`
	Constraints Constraints `json:"constraints"`
}

// Constraints are the conditions a credential must meet.
type Constraints struct {
	// LimitDisclosure, "required" or "preferred", asks the holder to disclose
	// only the fields listed (see Match.Disclose).
	LimitDisclosure string  `json:"limit_disclosure,omitempty" validate:"omitempty,oneof=required preferred"`
	Fields          []Field `json:"fields,omitempty" validate:"max=64,dive"`
}

// Field asks for one claim: the first value found at one of the paths
// (tried in order) that passes the filter.
type Field struct {
	ID             string          `json:"id,omitempty" validate:"max=256"`
	Path           []string        `json:"path" validate:"min=1,max=16,dive,required"`
	Purpose        string          `json:"purpose,omitempty" validate:"max=4096"`
	Name           string          `json:"name,omitempty" validate:"max=1024"`
	Filter         json.RawMessage `json:"filter,omitempty"`
	Optional       bool            `json:"optional,omitempty"`
	IntentToRetain bool            `json:"intent_to_retain,omitempty"`
}

// SubmissionRequirement says how many descriptors of a group (From) or how
// many nested requirements (FromNested) must be submitted: all of them, or
// a pick of exactly Count, at least Min, at most Max.
type SubmissionRequirement struct {
	Name       string                  `json:"name,omitempty" validate:"max=1024"`
	Purpose    string                  `json:"purpose,omitempty" validate:"max=4096"`
	Rule       string                  `json:"rule" validate:"required,oneof=all pick"`
	Count      *int                    `json:"count,omitempty" validate:"omitempty,min=1"`
	Min        *int                    `json:"min,omitempty" validate:"omitempty,min=0"`
	Max        *int                    `json:"max,omitempty" validate:"omitempty,min=0"`
	From       string                  `json:"from,omitempty" validate:"max=256"`
	FromNested []SubmissionRequirement `json:"from_nested,omitempty" validate:"max=16,dive"`
}

// compiled is what Parse and New add to a Definition.
type compiled struct {
	descs []compiledDesc
	byID  map[string]int
	reqs  []*reqNode // top-level submission requirements; nil when none
}

type compiledDesc struct {
	d       *InputDescriptor
	formats Formats // the descriptor's, else the definition's; nil: any
	fields  []compiledField
}

type compiledField struct {
	f      *Field
	label  string // id, else first path
	paths  []*Path
	filter *jsonschema.Schema
}

type reqNode struct {
	sr     *SubmissionRequirement
	loc    string // submission_requirements[0].from_nested[1]
	group  []int  // descriptor indexes, for From
	nested []*reqNode
}

// Parse decodes and validates a presentation definition: the bare object or
// the {"presentation_definition": {...}} envelope of the specification.
// Decoding is strict (unknown members, duplicate members, trailing data are
// refused); see Definition for the rules. Errors wrap ErrInvalidDefinition
// (and ErrInvalidPath or ErrUnsupported when that is the cause).
func Parse(raw []byte) (*Definition, error) {
	if len(raw) > MaxDefinitionSize {
		return nil, defErr("", "larger than %d bytes", MaxDefinitionSize)
	}
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		return nil, &FieldError{Kind: ErrInvalidDefinition, Reason: err.Error()}
	}
	if inner, ok := doc["presentation_definition"]; ok && len(doc) == 1 {
		var env struct {
			PD json.RawMessage `json:"presentation_definition"`
		}
		if err := json.Unmarshal(raw, &env); err != nil {
			return nil, defErr("presentation_definition", "%v", err)
		}
		m, ok := inner.(map[string]any)
		if !ok {
			return nil, defErr("presentation_definition", "must be an object")
		}
		doc, raw = m, env.PD
	}
	if err := checkMembers(doc, definitionShape, ""); err != nil {
		return nil, err
	}
	var d Definition
	if err := json.Unmarshal(raw, &d); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return nil, defErr(te.Field, "must be a JSON %s, not %s", goTypeName(te.Type), te.Value)
		}
		return nil, defErr("", "%v", err)
	}
	if err := d.compile(); err != nil {
		return nil, err
	}
	return &d, nil
}

// New validates a definition built in Go and returns a compiled copy. The
// rules are those of Parse (New round-trips the definition through JSON).
func New(d Definition) (*Definition, error) {
	raw, err := json.Marshal(d)
	if err != nil {
		return nil, defErr("", "not representable as JSON: %v", err)
	}
	return Parse(raw)
}

func goTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int64:
		return "integer"
	case reflect.Slice:
		return "array"
	case reflect.Map, reflect.Struct:
		return "object"
	case reflect.Pointer:
		return goTypeName(t.Elem())
	}
	return t.String()
}

// shape describes the members allowed in an object of the definition or
// the submission, and the shapes of nested objects.
type shape struct {
	members     map[string]*shape // nil value: a leaf member, typed by leaves
	leaves      map[string]leaf
	unsupported map[string]string // member → what the feature is
	list        map[string]bool   // members that are arrays of the nested shape
	formats     bool              // members are format designations
}

var (
	fieldShape = &shape{
		members: map[string]*shape{"id": nil, "path": nil, "purpose": nil, "name": nil,
			"filter": nil, "optional": nil, "intent_to_retain": nil},
		leaves: map[string]leaf{"id": leafString, "path": leafStrings, "purpose": leafString, "name": leafString,
			"optional": leafBool, "intent_to_retain": leafBool},
		unsupported: map[string]string{"predicate": "predicate (the holder answering with a boolean)"},
	}
	constraintsShape = &shape{
		members: map[string]*shape{"limit_disclosure": nil, "fields": fieldShape},
		leaves:  map[string]leaf{"limit_disclosure": leafString},
		list:    map[string]bool{"fields": true},
		unsupported: map[string]string{
			"statuses":          "credential status constraints (statuses)",
			"subject_is_issuer": "subject_is_issuer",
			"is_holder":         "holder binding (is_holder)",
			"same_subject":      "same_subject",
		},
	}
	formatsShape    = &shape{formats: true}
	descriptorShape = &shape{
		members: map[string]*shape{"id": nil, "name": nil, "purpose": nil, "group": nil,
			"format": formatsShape, "constraints": constraintsShape},
		leaves:      map[string]leaf{"id": leafString, "name": leafString, "purpose": leafString, "group": leafStrings},
		unsupported: map[string]string{"schema": "the PE v1 schema member (v2 uses constraints.fields)"},
	}
	requirementShape = &shape{
		members: map[string]*shape{"name": nil, "purpose": nil, "rule": nil, "count": nil,
			"min": nil, "max": nil, "from": nil},
		leaves: map[string]leaf{"name": leafString, "purpose": leafString, "rule": leafString,
			"count": leafInt, "min": leafInt, "max": leafInt, "from": leafString},
	}
	definitionShape = &shape{
		members: map[string]*shape{"id": nil, "name": nil, "purpose": nil, "format": formatsShape,
			"input_descriptors": descriptorShape, "submission_requirements": requirementShape},
		leaves:      map[string]leaf{"id": leafString, "name": leafString, "purpose": leafString},
		list:        map[string]bool{"input_descriptors": true, "submission_requirements": true},
		unsupported: map[string]string{"frame": "JSON-LD framing (frame)"},
	}
)

func init() {
	requirementShape.members["from_nested"] = requirementShape
	requirementShape.list = map[string]bool{"from_nested": true}
}

// checkMembers refuses members the shape does not allow, naming where.
func checkMembers(v any, s *shape, at string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return nil // the typed decode reports wrong types
	}
	for _, k := range sortedKeys(obj) {
		kat := join(at, k)
		if s.formats {
			fam, ok := formatFamilies[k]
			if !ok {
				return &FieldError{Kind: ErrInvalidDefinition, Field: kat, Cause: ErrUnsupported,
					Reason: fmt.Sprintf("unknown or unsupported claim format %q", k)}
			}
			spec, ok := obj[k].(map[string]any)
			if !ok {
				return defErr(kat, "must be an object")
			}
			for _, m := range sortedKeys(spec) {
				if !slices.Contains(formatMembers[fam], m) {
					return defErr(join(kat, m), "is not a member of format %s (allowed: %s)", k, strings.Join(formatMembers[fam], ", "))
				}
			}
			continue
		}
		if what, ok := s.unsupported[k]; ok {
			return &FieldError{Kind: ErrInvalidDefinition, Field: kat, Cause: ErrUnsupported,
				Reason: what + " is not supported"}
		}
		sub, ok := s.members[k]
		if !ok {
			return defErr(kat, "unknown member")
		}
		if sub == nil {
			if err := s.leaves[k].check(obj[k]); err != "" {
				return defErr(kat, "%s", err)
			}
			continue
		}
		if s.list[k] {
			if _, ok := obj[k].([]any); !ok {
				return defErr(kat, "must be an array")
			}
			arr, _ := obj[k].([]any)
			for i, e := range arr {
				if err := checkMembers(e, sub, fmt.Sprintf("%s[%d]", kat, i)); err != nil {
					return err
				}
			}
			continue
		}
		if err := checkMembers(obj[k], sub, kat); err != nil {
			return err
		}
	}
	return nil
}

// leaf is the JSON type of a leaf member.
type leaf int

const (
	leafAny leaf = iota
	leafString
	leafStrings
	leafBool
	leafInt
)

// check returns what is wrong with v, or "".
func (l leaf) check(v any) string {
	switch l {
	case leafString:
		if _, ok := v.(string); !ok {
			return "must be a string, not " + short(v)
		}
	case leafStrings:
		arr, ok := v.([]any)
		if !ok {
			return "must be an array of strings, not " + short(v)
		}
		for i, e := range arr {
			if _, ok := e.(string); !ok {
				return fmt.Sprintf("[%d] must be a string, not %s", i, short(e))
			}
		}
	case leafBool:
		if _, ok := v.(bool); !ok {
			return "must be true or false, not " + short(v)
		}
	case leafInt:
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) || f > 1<<31 || f < -(1<<31) {
			return "must be an integer, not " + short(v)
		}
	}
	return ""
}

func join(at, k string) string {
	if at == "" {
		return k
	}
	return at + "." + k
}

var validate = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		return name
	})
	return v
})

// structErr turns validator errors into a FieldError of the given kind.
func structErr(kind error, err error) error {
	var ves validator.ValidationErrors
	if !errors.As(err, &ves) || len(ves) == 0 {
		return &FieldError{Kind: kind, Reason: err.Error()}
	}
	fe := ves[0]
	field := fe.Namespace()
	if _, rest, ok := strings.Cut(field, "."); ok {
		field = rest
	}
	var reason string
	switch fe.Tag() {
	case "required":
		reason = "is required"
	case "min":
		if fe.Kind() == reflect.Slice {
			reason = fmt.Sprintf("needs at least %s entries", fe.Param())
		} else {
			reason = fmt.Sprintf("must be at least %s", fe.Param())
		}
	case "max":
		switch fe.Kind() {
		case reflect.Slice:
			reason = fmt.Sprintf("has more than %s entries", fe.Param())
		case reflect.String:
			reason = fmt.Sprintf("is longer than %s bytes", fe.Param())
		default:
			reason = fmt.Sprintf("must be at most %s", fe.Param())
		}
	case "oneof":
		reason = fmt.Sprintf("must be one of %s, not %q", strings.ReplaceAll(fe.Param(), " ", ", "), fmt.Sprint(fe.Value()))
	default:
		reason = fmt.Sprintf("fails %s", fe.Tag())
	}
	return &FieldError{Kind: kind, Field: field, Reason: reason}
}

// compile validates d and attaches its compiled form.
func (d *Definition) compile() error {
	if err := validate().Struct(d); err != nil {
		return structErr(ErrInvalidDefinition, err)
	}
	if err := checkFormats(d.Format, "format"); err != nil {
		return err
	}
	c := &compiled{byID: make(map[string]int, len(d.InputDescriptors)), descs: make([]compiledDesc, len(d.InputDescriptors))}
	groups := map[string][]int{}
	paths := 0
	for i := range d.InputDescriptors {
		desc := &d.InputDescriptors[i]
		at := fmt.Sprintf("input_descriptors[%d]", i)
		if j, dup := c.byID[desc.ID]; dup {
			return defErr(at+".id", "%q is also the id of input_descriptors[%d]", desc.ID, j)
		}
		c.byID[desc.ID] = i
		for _, g := range desc.Group {
			if !slices.Contains(groups[g], i) {
				groups[g] = append(groups[g], i)
			}
		}
		if err := checkFormats(desc.Format, at+".format"); err != nil {
			return err
		}
		cd := compiledDesc{d: desc, formats: d.Format}
		if len(desc.Format) > 0 {
			cd.formats = desc.Format
		}
		fieldIDs := map[string]int{}
		for j := range desc.Constraints.Fields {
			f := &desc.Constraints.Fields[j]
			fat := fmt.Sprintf("%s.constraints.fields[%d]", at, j)
			if f.ID != "" {
				if k, dup := fieldIDs[f.ID]; dup {
					return defErr(fat+".id", "%q is also the id of fields[%d]", f.ID, k)
				}
				fieldIDs[f.ID] = j
			}
			cf := compiledField{f: f, label: f.ID}
			if cf.label == "" {
				cf.label = f.Path[0]
			}
			if paths += len(f.Path); paths > MaxTotalPaths {
				return defErr(fat+".path", "more than %d paths in the definition's fields together", MaxTotalPaths)
			}
			for k, src := range f.Path {
				p, err := ParsePath(src)
				if err != nil {
					var pe *PathError
					errors.As(err, &pe)
					return &FieldError{Kind: ErrInvalidDefinition, Field: fmt.Sprintf("%s.path[%d]", fat, k),
						Reason: fmt.Sprintf("%s at offset %d", pe.Reason, pe.Offset), Cause: ErrInvalidPath}
				}
				cf.paths = append(cf.paths, p)
			}
			if len(f.Filter) > 0 && string(f.Filter) != "null" {
				sch, err := compileFilter(f.Filter)
				if err != nil {
					return defErr(fat+".filter", "%v", err)
				}
				cf.filter = sch
			}
			cd.fields = append(cd.fields, cf)
		}
		c.descs[i] = cd
	}
	total := 0
	for i := range d.SubmissionRequirements {
		n, err := compileRequirement(&d.SubmissionRequirements[i], fmt.Sprintf("submission_requirements[%d]", i), groups, 1, &total)
		if err != nil {
			return err
		}
		c.reqs = append(c.reqs, n)
	}
	d.c = c
	return nil
}

func checkFormats(f Formats, at string) error {
	for _, name := range slices.Sorted(mapKeys(f)) {
		if _, ok := formatFamilies[name]; !ok {
			return &FieldError{Kind: ErrInvalidDefinition, Field: join(at, name), Cause: ErrUnsupported,
				Reason: fmt.Sprintf("unknown or unsupported claim format %q", name)}
		}
		spec := f[name]
		if err := validate().Struct(spec); err != nil {
			fe := structErr(ErrInvalidDefinition, err).(*FieldError)
			fe.Field = join(join(at, name), fe.Field)
			return fe
		}
		fam := formatFamilies[name]
		members := map[string][]string{"alg": spec.Alg, "proof_type": spec.ProofType,
			"cryptosuite": spec.Cryptosuite, "sd-jwt_alg_values": spec.SDJWTAlgValues, "kb-jwt_alg_values": spec.KBJWTAlgValues}
		for _, member := range slices.Sorted(mapKeys(members)) {
			if len(members[member]) > 0 && !slices.Contains(formatMembers[fam], member) {
				return defErr(join(join(at, name), member), "is not a member of format %s", name)
			}
		}
		// the registry's schema requires these (SD-JWT's are optional)
		if fam != familySDJWT {
			for _, member := range formatMembers[fam] {
				if len(members[member]) == 0 {
					return defErr(join(join(at, name), member), "is required: list at least one")
				}
			}
		}
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func compileRequirement(sr *SubmissionRequirement, at string, groups map[string][]int, depth int, total *int) (*reqNode, error) {
	*total++
	if *total > MaxRequirements {
		return nil, defErr(at, "more than %d submission requirements in all", MaxRequirements)
	}
	if depth > MaxRequirementDepth {
		return nil, defErr(at, "from_nested deeper than %d levels", MaxRequirementDepth)
	}
	n := &reqNode{sr: sr, loc: at}
	switch {
	case sr.From != "" && len(sr.FromNested) > 0:
		return nil, defErr(at, "has both from and from_nested; it needs exactly one")
	case sr.From == "" && len(sr.FromNested) == 0:
		return nil, defErr(at, "needs from or from_nested")
	case sr.From != "":
		g, ok := groups[sr.From]
		if !ok {
			return nil, defErr(at+".from", "no input descriptor is in group %q", sr.From)
		}
		n.group = g
	default:
		for i := range sr.FromNested {
			c, err := compileRequirement(&sr.FromNested[i], fmt.Sprintf("%s.from_nested[%d]", at, i), groups, depth+1, total)
			if err != nil {
				return nil, err
			}
			n.nested = append(n.nested, c)
		}
	}
	size := len(n.group) + len(n.nested)
	switch sr.Rule {
	case RuleAll:
		if sr.Count != nil || sr.Min != nil || sr.Max != nil {
			return nil, defErr(at, "count, min and max belong to a pick rule, not all")
		}
	case RulePick:
		switch {
		case sr.Count == nil && sr.Min == nil && sr.Max == nil:
			return nil, defErr(at, "a pick rule needs count, min or max")
		case sr.Count != nil && (sr.Min != nil || sr.Max != nil):
			return nil, defErr(at, "count cannot be combined with min or max")
		case sr.Count != nil && *sr.Count > size:
			return nil, defErr(at+".count", "%d is more than the %d it picks from", *sr.Count, size)
		case sr.Min != nil && *sr.Min > size:
			return nil, defErr(at+".min", "%d is more than the %d it picks from", *sr.Min, size)
		case sr.Min != nil && sr.Max != nil && *sr.Min > *sr.Max:
			return nil, defErr(at, "min %d is more than max %d", *sr.Min, *sr.Max)
		}
	}
	return n, nil
}
