package verifier

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// State is the overall outcome of a verification.
type State string

// Overall states. A report is invalid when a step failed, a warning when a
// step warns (for example an issuer unknown to TalentChain), valid otherwise.
const (
	StateValid   State = "valid"
	StateWarning State = "warning"
	StateInvalid State = "invalid"
)

// StepState is the outcome of one step.
type StepState string

// Step outcomes. A skipped step did not apply (a did:key issuer has no key
// history) or could not run (the document was unreadable); it never changes
// the overall state.
const (
	StepOK      StepState = "ok"
	StepWarning StepState = "warning"
	StepFailed  StepState = "failed"
	StepSkipped StepState = "skipped"
)

// Names of the steps, in the order a report lists them. A credential report
// has format, proof, issuer, key, anchor, status and validity; a presentation
// report has format, proof, challenge, domain, holder and replay, and one
// credential report per embedded credential.
const (
	StepFormat    = "format"
	StepProof     = "proof"
	StepIssuer    = "issuer"
	StepKey       = "key"
	StepAnchor    = "anchor"
	StepStatus    = "status"
	StepValidity  = "validity"
	StepChallenge = "challenge"
	StepDomain    = "domain"
	StepHolder    = "holder"
	StepReplay    = "replay"
)

// Kinds of report.
const (
	KindCredential   = "credential"
	KindPresentation = "presentation"
)

// Step is one checked step, with what it means for the reader in English and
// Chinese, and machine-readable details (the chain height an anchor was read
// at, the key id, the library's own message).
type Step struct {
	Name      string         `json:"name"`
	State     StepState      `json:"state"`
	MessageEN string         `json:"message_en"`
	MessageZH string         `json:"message_zh"`
	Details   map[string]any `json:"details,omitempty"`
}

// Names are an issuer's display names from the chain.
type Names struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// Report is the outcome of verifying a credential or a presentation.
type Report struct {
	Kind      string `json:"kind"`
	State     State  `json:"state"`
	SummaryEN string `json:"summary_en"`
	SummaryZH string `json:"summary_zh"`
	// MediaType is the format the input was checked as (application/vc for a
	// JSON-LD credential with an embedded proof).
	MediaType string   `json:"mediaType,omitempty"`
	ID        string   `json:"id,omitempty"`
	Types     []string `json:"types,omitempty"`
	Issuer    string   `json:"issuer,omitempty"`
	// IssuerName is the issuer's registered name, when the chain knows it.
	IssuerName *Names `json:"issuerName,omitempty"`
	// Holder is the presentation's holder, or a credential's subject id.
	Holder string `json:"holder,omitempty"`
	// AnchorHeight and AnchorTime say when the chain recorded the credential
	// (from its verified anchor receipt).
	AnchorHeight int64     `json:"anchorHeight,omitempty"`
	AnchorTime   time.Time `json:"anchorTime,omitzero"`
	CheckedAt    time.Time `json:"checkedAt"`
	Steps        []Step    `json:"steps"`
	// Credentials are the reports of a presentation's credentials, in order.
	Credentials []*Report `json:"credentials,omitempty"`
	// Document is the credential as the pipeline read it, in the VC data
	// model whatever its format: a JSON-LD credential as it is, a VC-JWT's
	// decoded credential, an SD-JWT VC's claims with only the disclosed
	// ones in place (see JOSEFormats). It is what policy rules and
	// presentation definitions are evaluated over; rely on it only when
	// State is not invalid. Never serialised: a report is kept and shown
	// without the holder's claims (see Subject for a summary).
	Document map[string]any `json:"-"`
}

// Step returns the step with the given name.
func (r *Report) Step(name string) (Step, bool) {
	for _, s := range r.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// text is a message in both languages.
type text struct{ en, zh string }

func msg(en, zh string, args ...any) text {
	return text{fmt.Sprintf(en, args...), fmt.Sprintf(zh, args...)}
}

// join appends another sentence in both languages.
func (t text) join(o text) text {
	if o.en == "" {
		return t
	}
	return text{t.en + " " + o.en, t.zh + o.zh}
}

func (r *Report) add(name string, st StepState, m text, details map[string]any) {
	r.Steps = append(r.Steps, Step{Name: name, State: st, MessageEN: m.en, MessageZH: m.zh, Details: details})
}

// skip records the named steps as not run, for the given reason.
func (r *Report) skip(m text, names ...string) {
	for _, n := range names {
		r.add(n, StepSkipped, m, nil)
	}
}

// finish computes the overall state and summary, including those of the
// embedded credential reports.
func (r *Report) finish() *Report {
	worst := StateValid
	if len(r.Steps) == 0 {
		worst = StateInvalid
	}
	for _, s := range r.Steps {
		switch s.State {
		case StepFailed:
			worst = StateInvalid
		case StepWarning:
			if worst == StateValid {
				worst = StateWarning
			}
		}
	}
	for _, c := range r.Credentials {
		switch c.State {
		case StateInvalid:
			worst = StateInvalid
		case StateWarning:
			if worst == StateValid {
				worst = StateWarning
			}
		}
	}
	r.State = worst
	var m text
	switch {
	case r.Kind == KindPresentation && worst == StateValid:
		m = msg("Valid: the presentation and every credential in it passed all checks.", "有效：本出示及其中每份凭证均通过全部检查。")
	case r.Kind == KindPresentation && worst == StateWarning:
		m = msg("Valid with warnings: nothing failed, but read the warnings before you rely on it.", "有效但有提示：没有检查失败，但请先阅读提示再决定是否采信。")
	case r.Kind == KindPresentation:
		m = msg("Not valid: at least one check of the presentation or of a credential in it failed. See the failed steps.", "无效：本出示或其中某份凭证至少有一项检查未通过，请查看未通过的步骤。")
	case worst == StateValid:
		m = msg("Valid: the credential passed all checks.", "有效：该凭证通过全部检查。")
	case worst == StateWarning:
		m = msg("Valid with warnings: nothing failed, but read the warnings before you rely on it.", "有效但有提示：没有检查失败，但请先阅读提示再决定是否采信。")
	default:
		m = msg("Not valid: at least one check failed. See the failed steps.", "无效：至少有一项检查未通过，请查看未通过的步骤。")
	}
	r.SummaryEN, r.SummaryZH = m.en, m.zh
	return r
}

// Limits of Report.Subject.
const (
	maxSubjectKeys  = 32
	maxSubjectDepth = 3
	maxSubjectText  = 200
)

// Subject summarises the credential's subject for a report page: its plain
// claims (strings, numbers, booleans, and objects of them such as
// {"zh":…, "en":…} or a degree, at most three levels deep and 32 members
// each, texts cut at 200 characters); lists are left out. For an SD-JWT VC
// only the disclosed claims are there. Nil when the report has no document
// or the credential no subject object.
func (r *Report) Subject() map[string]any {
	if r == nil || r.Document == nil {
		return nil
	}
	subj := asSlice(r.Document["credentialSubject"])
	if len(subj) == 0 {
		return nil
	}
	m, ok := subj[0].(map[string]any)
	if !ok {
		return nil
	}
	return summarise(m, 1)
}

func summarise(m map[string]any, depth int) map[string]any {
	out := map[string]any{}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if len(out) == maxSubjectKeys {
			break
		}
		switch v := m[k].(type) {
		case string:
			if len([]rune(v)) > maxSubjectText {
				v = string([]rune(v)[:maxSubjectText]) + "…"
			}
			out[k] = v
		case bool, float64, json.Number, int, int64:
			out[k] = v
		case map[string]any:
			if depth < maxSubjectDepth {
				if s := summarise(v, depth+1); len(s) > 0 {
					out[k] = s
				}
			}
		}
	}
	return out
}
