package policy

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/cel-go/cel"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/common/types/traits"
)

// Limits of the rule language. A policy beyond them is refused when it is
// saved; an evaluation beyond them fails.
const (
	// MaxExprLen is the longest rule or combination expression, in bytes.
	MaxExprLen = 4096
	// MaxRules is the largest number of rules in a policy.
	MaxRules = 32
	// MaxCredentials is the largest number of credentials one evaluation
	// takes.
	MaxCredentials = 256
	// DefaultCostLimit is the CEL cost (roughly, the number of operations)
	// one rule may spend in one evaluation when Config.CostLimit is 0.
	DefaultCostLimit = 100_000
	// maxNodes bounds the size of a rule's syntax tree, macro expansions
	// included; maxDepth its nesting.
	maxNodes = 2000
	maxDepth = 32
	// maxYears bounds years() and addYears(): no policy looks further.
	maxYears = 200
	// maxDays bounds days().
	maxDays = maxYears * 366
)

// CredentialType is the CEL type of an element of the credentials variable.
const CredentialType = "talentchain.Credential"

// Fields of a credential as the rules see it, and their CEL types.
var credentialFields = map[string]*types.Type{
	"id":         types.StringType,
	"type":       types.StringType,
	"types":      types.NewListType(types.StringType),
	"issuer":     types.StringType,
	"issuerName": types.NewMapType(types.StringType, types.StringType),
	"accredited": types.BoolType,
	"issued":     types.TimestampType,
	"validFrom":  types.TimestampType,
	"validUntil": types.TimestampType,
	"status":     types.StringType,
	"subject":    types.NewMapType(types.StringType, types.DynType),
	"hours":      types.IntType,
	"sector":     types.StringType,
	"level":      types.StringType,
}

var credentialFieldNames = func() []string {
	names := make([]string, 0, len(credentialFields))
	for n := range credentialFields {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}()

// credentialProvider declares talentchain.Credential to the type checker, so
// that a misspelt field (c.hourz) is refused when the rule is saved. At run
// time a credential is a map holding every field; the type cannot be
// constructed in a rule.
//
// It embeds the standard registry so that options registering types (the
// optional types) still work.
type credentialProvider struct{ *types.Registry }

func (p credentialProvider) FindStructType(name string) (*types.Type, bool) {
	if name == CredentialType {
		return types.NewTypeTypeWithParam(types.NewObjectType(CredentialType)), true
	}
	return p.Registry.FindStructType(name)
}

func (p credentialProvider) FindStructFieldNames(name string) ([]string, bool) {
	if name == CredentialType {
		return slices.Clone(credentialFieldNames), true
	}
	return p.Registry.FindStructFieldNames(name)
}

func (p credentialProvider) FindStructFieldType(name, field string) (*types.FieldType, bool) {
	if name == CredentialType {
		t, ok := credentialFields[field]
		if !ok {
			return nil, false
		}
		return &types.FieldType{Type: t}, true
	}
	return p.Registry.FindStructFieldType(name, field)
}

func (p credentialProvider) NewValue(name string, fields map[string]ref.Val) ref.Val {
	if name == CredentialType {
		return types.NewErr("%s cannot be constructed in a rule", CredentialType)
	}
	return p.Registry.NewValue(name, fields)
}

// noCredentialLiteral refuses talentchain.Credential{...} in a rule: rules
// read the applicant's credentials, they do not make their own.
type noCredentialLiteral struct{}

func (noCredentialLiteral) Name() string { return "talentchain.no_credential_literal" }

func (noCredentialLiteral) Validate(_ *cel.Env, _ cel.ValidatorConfig, a *celast.AST, iss *cel.Issues) {
	for _, e := range celast.MatchDescendants(celast.NavigateAST(a), celast.KindMatcher(celast.StructKind)) {
		if e.AsStruct().TypeName() == CredentialType {
			iss.ReportErrorAtID(e.ID(), "%s cannot be constructed in a rule", CredentialType)
		}
	}
}

// levels orders the academic levels levelAtLeast compares.
var levels = map[string]int{"associate": 1, "bachelor": 2, "master": 3, "doctor": 4}

// newRuleEnv returns the environment rules compile in: the standard library
// (its macros are comprehensions over finite lists, bounded by the cost
// limit), optional field access (c.subject.?degree.?level.orValue(”)),
// numeric comparisons across int and double, the two variables and the
// helper functions. Every helper is pure.
func newRuleEnv() (*cel.Env, error) {
	reg, err := types.NewRegistry()
	if err != nil {
		return nil, err
	}
	return cel.NewEnv(
		cel.CustomTypeProvider(credentialProvider{reg}),
		cel.OptionalTypes(),
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.ParserExpressionSizeLimit(MaxExprLen),
		cel.ParserRecursionLimit(maxDepth),
		cel.ExpressionNodeLimit(maxNodes),
		cel.RegexProgramSizeLimit(200),
		cel.ASTValidators(noCredentialLiteral{}),
		cel.Variable("credentials", cel.ListType(cel.ObjectType(CredentialType))),
		cel.Variable("now", cel.TimestampType),
		cel.Function("years",
			cel.Overload("years_int", []*cel.Type{cel.IntType}, cel.DurationType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					n, ok := v.(types.Int)
					if !ok || n < -maxYears || n > maxYears {
						return types.NewErr("years(%v): out of range ±%d", v, maxYears)
					}
					return types.Duration{Duration: time.Duration(n) * 365 * 24 * time.Hour}
				}))),
		cel.Function("days",
			cel.Overload("days_int", []*cel.Type{cel.IntType}, cel.DurationType,
				cel.UnaryBinding(func(v ref.Val) ref.Val {
					n, ok := v.(types.Int)
					if !ok || n < -maxDays || n > maxDays {
						return types.NewErr("days(%v): out of range ±%d", v, maxDays)
					}
					return types.Duration{Duration: time.Duration(n) * 24 * time.Hour}
				}))),
		cel.Function("addYears",
			cel.Overload("addYears_timestamp_int", []*cel.Type{cel.TimestampType, cel.IntType}, cel.TimestampType,
				cel.BinaryBinding(func(t, v ref.Val) ref.Val {
					ts, ok := t.(types.Timestamp)
					n, ok2 := v.(types.Int)
					if !ok || !ok2 || n < -maxYears || n > maxYears {
						return types.NewErr("addYears(%v, %v): out of range ±%d", t, v, maxYears)
					}
					return types.Timestamp{Time: ts.Time.UTC().AddDate(int(n), 0, 0)}
				}))),
		cel.Function("sumHours",
			cel.Overload("sumHours_list", []*cel.Type{cel.ListType(cel.DynType)}, cel.IntType,
				cel.UnaryBinding(sumHours))),
		cel.Function("levelAtLeast",
			cel.Overload("levelAtLeast_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.BinaryBinding(func(l, min ref.Val) ref.Val {
					have, _ := l.(types.String)
					want, ok := min.(types.String)
					w, known := levels[string(want)]
					if !ok || !known {
						return types.NewErr("levelAtLeast: unknown level %v (known: associate, bachelor, master, doctor)", min)
					}
					return types.Bool(levels[string(have)] >= w)
				}))),
	)
}

// sumHours adds the hours of a list of credentials. Each credential's hours
// are capped when the view is built (maxHours), so the sum of at most
// MaxCredentials of them cannot overflow.
func sumHours(v ref.Val) ref.Val {
	list, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("sumHours: not a list")
	}
	var sum types.Int
	it := list.Iterator()
	for it.HasNext() == types.True {
		c, ok := it.Next().(traits.Indexer)
		if !ok {
			return types.NewErr("sumHours: not a credential")
		}
		h, ok := c.Get(types.String("hours")).(types.Int)
		if !ok {
			return types.NewErr("sumHours: a credential without hours")
		}
		sum += h
	}
	return sum
}

// newCombineEnv returns the environment of a combination expression: one
// bool variable per rule id, nothing else.
func newCombineEnv(ruleIDs []string) (*cel.Env, error) {
	opts := []cel.EnvOption{
		cel.ParserExpressionSizeLimit(MaxExprLen),
		cel.ParserRecursionLimit(maxDepth),
		cel.ExpressionNodeLimit(maxNodes),
		cel.ClearMacros(),
	}
	for _, id := range ruleIDs {
		opts = append(opts, cel.Variable(id, cel.BoolType))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("combine environment: %w", err)
	}
	return env, nil
}
