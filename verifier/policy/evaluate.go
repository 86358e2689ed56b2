package policy

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/interpreter"

	"github.com/talentchain/talentchain/credential"
)

// Statuses of a credential on chain.
const (
	StatusActive    = "active"
	StatusRevoked   = "revoked"
	StatusSuspended = "suspended"
)

// maxHours caps the hours one credential contributes (the issuer's schemas
// allow at most 10,000).
const maxHours = 100_000

// maxTimestamp stands for "no end" in validUntil: CEL's largest timestamp.
var maxTimestamp = time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC)

// Input is one credential of an application with what the verification
// pipeline found out about it. The pipeline fills it; only an input with
// Verified true and status active is visible to the rules.
type Input struct {
	// Document is the credential as presented (JSON-decoded, numbers as
	// float64 or json.Number).
	Document map[string]any
	// Verified is the pipeline's verdict: every check passed. A passed check
	// with a warning (an issuer unknown to the chain, say) still counts as
	// verified; what the warning means for eligibility is the rules' business
	// through Accredited.
	Verified bool
	// Accredited says the issuer was accredited on chain for this credential
	// type at the anchored time of issuance, and not suspended.
	Accredited bool
	// IssuerName is the issuer's registered name; empty if unknown.
	IssuerName Text
	// Issued is the anchored time of issuance; zero means the credential's
	// own validFrom (or issuanceDate).
	Issued time.Time
	// Status is StatusActive (also when empty), StatusRevoked or
	// StatusSuspended.
	Status string
}

// Exclusion says why a credential of the application was not visible to the
// rules.
type Exclusion struct {
	ID     string `json:"id"`
	Reason Text   `json:"reason"`
}

// InputRef names a credential a decision was made from: its id (or, for a
// credential without one, an ni: URI of its digest) and the SRI digest of its
// canonical JSON (RFC 8785, proof included: the digest anchors commit to).
type InputRef struct {
	ID     string `json:"id"`
	Digest string `json:"digest"`
}

// RuleOutcome is one rule's result in a decision.
type RuleOutcome struct {
	ID     string `json:"id"`
	Name   Text   `json:"name"`
	Passed bool   `json:"passed"`
	Reason Text   `json:"reason"`
	// Error is set when the rule could not be evaluated (for example it read
	// a claim a credential does not have); the rule then counts as not
	// passed.
	Error string `json:"error,omitempty"`
}

// Decision is the outcome of a policy for one applicant.
type Decision struct {
	Policy    Ref           `json:"policy"`
	Applicant string        `json:"applicant"`
	Eligible  bool          `json:"eligible"`
	Reason    Text          `json:"reason"`
	Rules     []RuleOutcome `json:"rules"`
	// Inputs are the credentials the rules saw.
	Inputs []InputRef `json:"inputs"`
	// Excluded are the credentials of the application the rules did not see,
	// with the reason.
	Excluded    []Exclusion `json:"excluded"`
	EvaluatedAt time.Time   `json:"evaluatedAt"`
}

// Evaluate applies the policy to an applicant's credentials at the time now.
//
// A credential is visible to the rules only if the pipeline verified it
// (Input.Verified), its status is active, its credentialSubject is a single
// object whose id is the applicant, and now lies within its validity period;
// the others are listed in Decision.Excluded with the reason. Each rule is
// evaluated; a rule that fails at run time counts as not passed, with the
// error in its outcome. Rules are then combined.
//
// Errors: *InputError (ErrInvalid) for a bad applicant, too many credentials
// or a zero time; ErrCostLimit when a rule exceeds the cost limit; the
// context's error when it is done.
func (c *Compiled) Evaluate(ctx context.Context, applicant string, creds []Input, now time.Time) (*Decision, error) {
	if err := checkApplicant(applicant); err != nil {
		return nil, err
	}
	if len(creds) > MaxCredentials {
		return nil, invalid("credentials", "%d credentials, more than %d", len(creds), MaxCredentials)
	}
	if now.IsZero() {
		return nil, invalid("now", "the time of the decision is required")
	}
	now = now.UTC().Truncate(time.Second)
	d := &Decision{Policy: c.ref, Applicant: applicant, Rules: []RuleOutcome{}, Inputs: []InputRef{}, Excluded: []Exclusion{}, EvaluatedAt: now}
	visible := make([]any, 0, len(creds))
	for _, in := range creds {
		view, ref, why := credentialView(in, applicant, now)
		if why != nil {
			d.Excluded = append(d.Excluded, Exclusion{ID: ref.ID, Reason: *why})
			continue
		}
		visible = append(visible, view)
		d.Inputs = append(d.Inputs, ref)
	}
	vars := map[string]any{
		"credentials": types.DefaultTypeAdapter.NativeToValue(visible),
		"now":         types.Timestamp{Time: now},
	}
	passed := map[string]any{}
	for i, r := range c.policy.Rules {
		out := RuleOutcome{ID: r.ID, Name: r.Name}
		ok, err := c.eval(ctx, c.rules[i], vars)
		switch {
		case err == nil:
			out.Passed = ok
		case errors.Is(err, ErrCostLimit) || ctx.Err() != nil:
			return nil, fmt.Errorf("policy %s v%d: rule %s: %w", c.ref.ID, c.ref.Version, r.ID, err)
		default:
			out.Error = err.Error()
		}
		out.Reason = ruleReason(r.Name, out)
		passed[r.ID] = out.Passed
		d.Rules = append(d.Rules, out)
	}
	switch strings.TrimSpace(c.policy.Combine) {
	case "", CombineAll:
		d.Eligible = true
		for _, o := range d.Rules {
			d.Eligible = d.Eligible && o.Passed
		}
	case CombineAny:
		for _, o := range d.Rules {
			d.Eligible = d.Eligible || o.Passed
		}
	default:
		ok, err := c.eval(ctx, c.combine, passed)
		if err != nil {
			return nil, fmt.Errorf("policy %s v%d: combine: %w", c.ref.ID, c.ref.Version, err)
		}
		d.Eligible = ok
	}
	d.Reason = decisionReason(c.ref.Name, d)
	return d, nil
}

// eval runs one program and classifies its errors.
func (c *Compiled) eval(ctx context.Context, prg cel.Program, vars map[string]any) (bool, error) {
	out, _, err := prg.ContextEval(ctx, vars)
	if err != nil {
		var ce interpreter.EvalCancelledError
		if errors.As(err, &ce) && ce.Cause == interpreter.CostLimitExceeded {
			return false, fmt.Errorf("%w (limit %d)", ErrCostLimit, c.engine.costLimit)
		}
		if ctxErr := ctx.Err(); ctxErr != nil {
			return false, fmt.Errorf("evaluation stopped: %w", ctxErr)
		}
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("the result is %s, not bool", out.Type())
	}
	return bool(b), nil
}

func checkApplicant(applicant string) error {
	if len(applicant) > 512 || !strings.HasPrefix(applicant, "did:") || strings.ContainsAny(applicant, " \t\r\n") || len(applicant) < 8 {
		return invalid("applicant", "must be a DID of at most 512 bytes")
	}
	return nil
}

func ruleReason(name Text, o RuleOutcome) Text {
	switch {
	case o.Error != "":
		return Text{En: "could not be decided, counted as not met: " + name.En, Zh: "无法判定，按不符合处理：" + name.Zh}
	case o.Passed:
		return Text{En: "met: " + name.En, Zh: "符合：" + name.Zh}
	}
	return Text{En: "not met: " + name.En, Zh: "不符合：" + name.Zh}
}

func decisionReason(policy Text, d *Decision) Text {
	var met, unmet []RuleOutcome
	for _, o := range d.Rules {
		if o.Passed {
			met = append(met, o)
		} else {
			unmet = append(unmet, o)
		}
	}
	names := func(os []RuleOutcome, zh bool) string {
		parts := make([]string, len(os))
		for i, o := range os {
			if zh {
				parts[i] = o.Name.Zh
			} else {
				parts[i] = o.Name.En
			}
		}
		if zh {
			return strings.Join(parts, "；")
		}
		return strings.Join(parts, "; ")
	}
	if d.Eligible {
		return Text{
			En: fmt.Sprintf("eligible under %s; met: %s", policy.En, names(met, false)),
			Zh: fmt.Sprintf("符合「%s」条件；满足：%s", policy.Zh, names(met, true)),
		}
	}
	if len(met) == 0 {
		return Text{
			En: fmt.Sprintf("not eligible under %s; no rule is met", policy.En),
			Zh: fmt.Sprintf("不符合「%s」条件；没有满足的规则", policy.Zh),
		}
	}
	return Text{
		En: fmt.Sprintf("not eligible under %s; not met: %s", policy.En, names(unmet, false)),
		Zh: fmt.Sprintf("不符合「%s」条件；未满足：%s", policy.Zh, names(unmet, true)),
	}
}

var (
	whyUnreadable = Text{En: "not a readable credential", Zh: "无法读取的凭证"}
	whyUnverified = Text{En: "did not verify", Zh: "未通过验证"}
	whyRevoked    = Text{En: "revoked", Zh: "已撤销"}
	whySuspended  = Text{En: "suspended", Zh: "已暂停"}
	whyStatus     = Text{En: "status unknown", Zh: "状态未知"}
	whySubject    = Text{En: "not issued to the applicant", Zh: "不是颁发给申请人的"}
	whyNotYet     = Text{En: "not yet valid at the time of the decision", Zh: "在判定时尚未生效"}
	whyExpired    = Text{En: "expired at the time of the decision", Zh: "在判定时已过期"}
)

// credentialView builds what the rules see of one input, or says why the
// input is not visible. ref names the input either way.
func credentialView(in Input, applicant string, now time.Time) (view map[string]any, ref InputRef, why *Text) {
	doc := in.Document
	if doc == nil {
		return nil, InputRef{ID: "(missing)"}, &whyUnreadable
	}
	digest, err := credential.CredentialDigest(doc)
	if err != nil {
		return nil, InputRef{ID: "(unreadable)"}, &whyUnreadable
	}
	ref.Digest = "sha256-" + base64.StdEncoding.EncodeToString(digest[:])
	ref.ID, _ = doc["id"].(string)
	if ref.ID == "" || len(ref.ID) > 2048 {
		ref.ID = "ni:///sha-256;" + base64.RawURLEncoding.EncodeToString(digest[:])
	}
	switch {
	case !in.Verified:
		return nil, ref, &whyUnverified
	case in.Status == StatusRevoked:
		return nil, ref, &whyRevoked
	case in.Status == StatusSuspended:
		return nil, ref, &whySuspended
	case in.Status != "" && in.Status != StatusActive:
		return nil, ref, &whyStatus
	}
	subject, ok := doc["credentialSubject"].(map[string]any)
	if !ok {
		return nil, ref, &whySubject // absent, or several subjects
	}
	if id, _ := subject["id"].(string); id != applicant {
		return nil, ref, &whySubject
	}
	typeList := stringList(doc["type"])
	typ := ""
	for _, t := range typeList {
		if t != "VerifiableCredential" {
			typ = t
			break
		}
	}
	if typ == "" {
		return nil, ref, &whyUnreadable
	}
	validFrom := docTime(doc, "validFrom", "issuanceDate")
	validUntil := docTime(doc, "validUntil", "expirationDate")
	if validUntil.IsZero() {
		validUntil = maxTimestamp
	}
	switch {
	case !validFrom.IsZero() && now.Before(validFrom):
		return nil, ref, &whyNotYet
	case now.After(validUntil):
		return nil, ref, &whyExpired
	}
	issued := in.Issued.UTC()
	if issued.IsZero() {
		issued = validFrom
	}
	issuer := ""
	switch v := doc["issuer"].(type) {
	case string:
		issuer = v
	case map[string]any:
		issuer, _ = v["id"].(string)
	}
	issuerName := map[string]string{}
	if in.IssuerName.Zh != "" {
		issuerName["zh"] = in.IssuerName.Zh
	}
	if in.IssuerName.En != "" {
		issuerName["en"] = in.IssuerName.En
	}
	status := in.Status
	if status == "" {
		status = StatusActive
	}
	subj, _ := celJSON(subject, 0).(map[string]any)
	hours := firstInt(subject, "course.hours", "program.hours", "hours", "totalHours")
	hours = max(0, min(hours, maxHours))
	return map[string]any{
		"id":         ref.ID,
		"type":       typ,
		"types":      typeList,
		"issuer":     issuer,
		"issuerName": issuerName,
		"accredited": in.Accredited,
		"issued":     issued,
		"validFrom":  validFrom,
		"validUntil": validUntil,
		"status":     status,
		"subject":    subj,
		"hours":      hours,
		"sector":     firstString(subject, "course.sector", "program.sector", "sector"),
		"level":      firstString(subject, "degree.level", "qualification.level", "level"),
	}, ref, nil
}

func stringList(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return t
	}
	return []string{}
}

func docTime(doc map[string]any, names ...string) time.Time {
	for _, n := range names {
		s, ok := doc[n].(string)
		if !ok {
			continue
		}
		if t, err := time.Parse(time.RFC3339, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// lookup follows a dotted path through nested objects.
func lookup(m map[string]any, path string) (any, bool) {
	var cur any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[part]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func firstInt(m map[string]any, paths ...string) int64 {
	for _, p := range paths {
		v, ok := lookup(m, p)
		if !ok {
			continue
		}
		if n, ok := celJSON(v, 0).(int64); ok {
			return n
		}
	}
	return 0
}

func firstString(m map[string]any, paths ...string) string {
	for _, p := range paths {
		if v, ok := lookup(m, p); ok {
			if s, ok := v.(string); ok {
				return s
			}
		}
	}
	return ""
}

// celJSON copies a JSON value into the types CEL reads best: integral numbers
// become int64 (so c.subject.course.hours >= 100 compares ints), other
// numbers float64. depth bounds the copy (the credential parser already
// refuses nesting deeper than 64).
func celJSON(v any, depth int) any {
	if depth > 64 {
		return nil
	}
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = celJSON(e, depth+1)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = celJSON(e, depth+1)
		}
		return out
	case float64:
		if t == math.Trunc(t) && math.Abs(t) < 1<<53 {
			return int64(t)
		}
		return t
	case int:
		return int64(t)
	case interface{ Int64() (int64, error) }: // json.Number
		if n, err := t.Int64(); err == nil {
			return n
		}
		if f, ok := t.(interface{ Float64() (float64, error) }); ok {
			if x, err := f.Float64(); err == nil {
				return x
			}
		}
		return nil
	}
	return v
}

// digestSRI returns the SRI string of b's SHA-256.
func digestSRI(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}
