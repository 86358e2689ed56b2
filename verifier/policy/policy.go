package policy

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"

	"github.com/talentchain/talentchain/credential"
)

// Sentinel errors callers branch on.
var (
	// ErrInvalid means a policy, an application or an argument was refused
	// before anything was stored or evaluated. The error is an *InputError or
	// a *CompileError saying what and where. Answer 400 (422 for rules).
	ErrInvalid = errors.New("policy: invalid input")
	// ErrInvalidRule means a rule or the combination does not compile; the
	// error is a *CompileError with the line and column of each problem. It
	// also matches ErrInvalid.
	ErrInvalidRule = errors.New("policy: rule does not compile")
	// ErrCostLimit means a rule spent more than the cost limit in one
	// evaluation: the rule is too expensive for the credentials given. No
	// decision is made. Answer 422 and fix the rule.
	ErrCostLimit = errors.New("policy: rule cost limit exceeded")
	// ErrNotFound means no policy (or no such version) exists. Answer 404.
	ErrNotFound = errors.New("policy: not found")
	// ErrConflict means the policy was saved by someone else since the
	// version the edit started from (or a new policy's id is taken). Reload
	// and edit again. Answer 409.
	ErrConflict = errors.New("policy: version conflict")
)

// InputError says which field of the input is refused and why. It wraps
// ErrInvalid.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return "policy: invalid " + e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Issue is one problem found when compiling an expression. Line and Column
// are 1-based; Column counts Unicode code points.
type Issue struct {
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
}

// CompileError reports why a rule (or the combination) was refused. It wraps
// ErrInvalidRule and ErrInvalid.
type CompileError struct {
	// Rule is the id of the refused rule, or "combine".
	Rule   string  `json:"rule"`
	Issues []Issue `json:"issues"`
}

func (e *CompileError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "policy: rule %q does not compile", e.Rule)
	for i, is := range e.Issues {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Issues)-i)
			break
		}
		fmt.Fprintf(&b, "; %d:%d: %s", is.Line, is.Column, is.Message)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalidRule) and errors.Is(err, ErrInvalid)
// true.
func (e *CompileError) Unwrap() []error { return []error{ErrInvalidRule, ErrInvalid} }

// Text is a short text in Chinese and English; both are required.
type Text struct {
	Zh string `json:"zh" validate:"required,max=256"`
	En string `json:"en" validate:"required,max=256"`
}

// Rule is one eligibility rule: a CEL expression that yields a bool.
type Rule struct {
	// ID names the rule in decisions and in the combination expression: a
	// lower-case identifier ([a-z][a-z0-9_]*, at most 40 bytes) that is not
	// a CEL keyword nor one of all, any, credentials, now.
	ID          string `json:"id" validate:"required,max=40"`
	Name        Text   `json:"name"`
	Expr        string `json:"expr" validate:"required"`
	Description string `json:"description,omitempty" validate:"max=2000"`
}

// Combinations of rule outcomes besides an explicit expression.
const (
	CombineAll = "all" // eligible when every rule passes (the default)
	CombineAny = "any" // eligible when at least one rule passes
)

// Policy is one version of a talent policy. A saved version never changes:
// editing saves version n+1, so that a decision names the exact rules it
// applied.
type Policy struct {
	// ID is the policy's stable name ([a-z0-9][a-z0-9-]*, at most 64 bytes).
	ID string `json:"id" validate:"required,max=64"`
	// Version is set by the store: 1 for the first save, n+1 for an edit of
	// version n. When saving an edit, it names the version edited.
	Version int    `json:"version" validate:"min=0"`
	Name    Text   `json:"name"`
	Rules   []Rule `json:"rules" validate:"required,min=1,dive"`
	// Combine is "all" (the default when empty), "any", or a CEL expression
	// over the rule ids as bool variables ("doctorate || (master && training)").
	Combine string `json:"combine,omitempty"`
	// Created is when this version was saved; set by the store.
	Created time.Time `json:"created,omitzero"`
}

var (
	validate   = validator.New(validator.WithRequiredStructEnabled())
	idPattern  = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	rulePatern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)
	// reserved cannot be rule ids: CEL's keywords and reserved words, the
	// rule variables and the combination keywords.
	reserved = map[string]bool{
		"as": true, "break": true, "const": true, "continue": true, "else": true, "false": true,
		"for": true, "function": true, "if": true, "import": true, "in": true, "let": true,
		"loop": true, "package": true, "namespace": true, "null": true, "return": true,
		"true": true, "var": true, "void": true, "all": true, "any": true, "credentials": true,
		"now": true, "has": true, "dyn": true, "int": true, "uint": true, "double": true,
		"bool": true, "string": true, "bytes": true, "list": true, "map": true, "type": true,
		"duration": true, "timestamp": true,
	}
)

// validateShape checks the policy's fields, without compiling its rules.
func (p *Policy) validateShape() error {
	if p == nil {
		return invalid("policy", "missing")
	}
	if err := validate.Struct(p); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) && len(ve) > 0 {
			f := ve[0]
			return invalid(strings.TrimPrefix(f.Namespace(), "Policy."), "fails %q%s", f.Tag(), paramSuffix(f.Param()))
		}
		return invalid("policy", "%v", err)
	}
	if !idPattern.MatchString(p.ID) {
		return invalid("ID", "must match %s", idPattern)
	}
	if err := checkText("Name", p.Name); err != nil {
		return err
	}
	if len(p.Rules) > MaxRules {
		return invalid("Rules", "%d rules, more than %d", len(p.Rules), MaxRules)
	}
	seen := map[string]bool{}
	for i, r := range p.Rules {
		field := fmt.Sprintf("Rules[%d]", i)
		switch {
		case !rulePatern.MatchString(r.ID):
			return invalid(field+".ID", "must match %s", rulePatern)
		case reserved[r.ID]:
			return invalid(field+".ID", "%q is a reserved word", r.ID)
		case seen[r.ID]:
			return invalid(field+".ID", "%q is used twice", r.ID)
		case len(r.Expr) > MaxExprLen:
			return invalid(field+".Expr", "%d bytes, longer than %d", len(r.Expr), MaxExprLen)
		case !utf8.ValidString(r.Expr):
			return invalid(field+".Expr", "not valid UTF-8")
		case hasControl(strings.NewReplacer("\n", "", "\r", "", "\t", "").Replace(r.Description)):
			return invalid(field+".Description", "contains control characters")
		}
		if err := checkText(field+".Name", r.Name); err != nil {
			return err
		}
		seen[r.ID] = true
	}
	if len(p.Combine) > MaxExprLen {
		return invalid("Combine", "%d bytes, longer than %d", len(p.Combine), MaxExprLen)
	}
	if !utf8.ValidString(p.Combine) {
		return invalid("Combine", "not valid UTF-8")
	}
	return nil
}

// checkText refuses texts that could not be signed into a decision
// credential: invalid UTF-8 or control characters.
func checkText(field string, t Text) error {
	for lang, s := range map[string]string{"Zh": t.Zh, "En": t.En} {
		if !utf8.ValidString(s) || hasControl(s) {
			return invalid(field+"."+lang, "not valid UTF-8 or contains control characters")
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}

func paramSuffix(p string) string {
	if p == "" {
		return ""
	}
	return " (" + p + ")"
}

// Ref names a policy version in a decision: id, version and the digest of
// the version's canonical JSON.
type Ref struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
	Name    Text   `json:"name"`
	// Digest is the SRI string ("sha256-" + base64) of the version's
	// canonical JSON (RFC 8785): it pins the exact rule text.
	Digest string `json:"digest"`
}

// URN returns the policy version's identifier in decision credentials:
// urn:talentchain:policy:<id>:v<version>.
func (r Ref) URN() string { return fmt.Sprintf("urn:talentchain:policy:%s:v%d", r.ID, r.Version) }

// Digest returns the SRI string of the policy's canonical JSON.
func (p *Policy) Digest() (string, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return "", fmt.Errorf("policy digest: %w", err)
	}
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("policy digest: %w", err)
	}
	c, err := credential.CanonicalJSON(v)
	if err != nil {
		return "", fmt.Errorf("policy digest: %w", err)
	}
	return digestSRI(c), nil
}

// Config configures an Engine.
type Config struct {
	// CostLimit is the CEL cost one rule may spend in one evaluation; 0
	// means DefaultCostLimit.
	CostLimit uint64
	// InterruptEvery is how many comprehension iterations pass between
	// checks of the context; 0 means 100.
	InterruptEvery uint
}

// Engine compiles and evaluates policies. It is safe for concurrent use.
type Engine struct {
	env       *cel.Env
	costLimit uint64
	interrupt uint
}

// NewEngine returns an engine with the rule environment described in the
// package documentation.
func NewEngine(cfg Config) (*Engine, error) {
	if cfg.CostLimit == 0 {
		cfg.CostLimit = DefaultCostLimit
	}
	if cfg.InterruptEvery == 0 {
		cfg.InterruptEvery = 100
	}
	env, err := newRuleEnv()
	if err != nil {
		return nil, fmt.Errorf("policy: rule environment: %w", err)
	}
	return &Engine{env: env, costLimit: cfg.CostLimit, interrupt: cfg.InterruptEvery}, nil
}

// Compiled is a policy whose rules compiled; it evaluates applications. It
// is safe for concurrent use.
type Compiled struct {
	policy  Policy
	ref     Ref
	rules   []cel.Program
	combine cel.Program // nil for all and any
	engine  *Engine
}

// Policy returns the compiled policy version.
func (c *Compiled) Policy() Policy { return c.policy }

// Ref returns the reference decisions carry.
func (c *Compiled) Ref() Ref { return c.ref }

// Compile checks a policy and compiles its rules. A malformed policy is
// refused with an *InputError; a rule or combination that does not parse,
// names an unknown variable, field or function, or whose result is not a
// bool, with a *CompileError giving the line and column of each problem.
func (e *Engine) Compile(p *Policy) (*Compiled, error) {
	if err := p.validateShape(); err != nil {
		return nil, err
	}
	digest, err := p.Digest()
	if err != nil {
		return nil, err
	}
	c := &Compiled{policy: *p, engine: e, ref: Ref{ID: p.ID, Version: p.Version, Name: p.Name, Digest: digest}}
	c.policy.Rules = slices.Clone(p.Rules)
	ids := make([]string, len(p.Rules))
	for i, r := range p.Rules {
		prg, err := e.program(e.env, r.ID, r.Expr)
		if err != nil {
			return nil, err
		}
		c.rules = append(c.rules, prg)
		ids[i] = r.ID
	}
	switch strings.TrimSpace(p.Combine) {
	case "", CombineAll, CombineAny:
	default:
		env, err := newCombineEnv(ids)
		if err != nil {
			return nil, err
		}
		if c.combine, err = e.program(env, "combine", p.Combine); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// program compiles one expression that must yield a bool.
func (e *Engine) program(env *cel.Env, rule, expr string) (cel.Program, error) {
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		ce := &CompileError{Rule: rule}
		for _, er := range iss.Errors() {
			ce.Issues = append(ce.Issues, Issue{Line: er.Location.Line(), Column: er.Location.Column() + 1, Message: er.Message})
		}
		if len(ce.Issues) == 0 {
			ce.Issues = []Issue{{Line: 1, Column: 1, Message: iss.Err().Error()}}
		}
		return nil, ce
	}
	if !ast.OutputType().IsExactType(types.BoolType) {
		line, col := 1, 1
		if loc, ok := ast.NativeRep().SourceInfo().GetStartLocation(ast.NativeRep().Expr().ID()), true; ok && loc.Line() > 0 {
			line, col = loc.Line(), loc.Column()+1
		}
		return nil, &CompileError{Rule: rule, Issues: []Issue{{Line: line, Column: col,
			Message: fmt.Sprintf("the expression yields %s, but a rule must yield bool", ast.OutputType())}}}
	}
	prg, err := env.Program(ast,
		cel.CostLimit(e.costLimit),
		cel.InterruptCheckFrequency(e.interrupt),
		cel.EvalOptions(cel.OptOptimize),
	)
	if err != nil {
		return nil, &CompileError{Rule: rule, Issues: []Issue{{Line: 1, Column: 1, Message: err.Error()}}}
	}
	return prg, nil
}
