package pages

import (
	"strconv"
	"time"

	"github.com/a-h/templ"
)

// The verifier's console (/hr): presentation requests, batches, policies.

// HRNav is the verifier console's sub-navigation; Current names the
// section shown (overview, requests, batch, policies).
type HRNav struct {
	Current string
}

// HRRequestRow is one presentation request in a list.
type HRRequestRow struct {
	ID      string
	Href    string
	Purpose string
	Types   []string
	Created time.Time
	Expires time.Time
	// State is waiting, answered or expired; Verdict (pass, warn, fail)
	// is set when answered.
	State   string
	Verdict string
}

// HROverview is /hr.
type HROverview struct {
	Nav      HRNav
	Account  string
	Policies bool // the account may write policies
	Requests []HRRequestRow
	Waiting  int
	Answered int
}

// HRTypeChoice is a credential type the request may ask for, with its
// claims as checkboxes.
type HRTypeChoice struct {
	ID      string // the template id: form value of "type"
	Label   string
	Checked bool
	Claims  []HRClaimChoice
}

// HRClaimChoice is one claim of a type ("claim.<type>" = path).
type HRClaimChoice struct {
	Path    string
	Label   string
	Checked bool
}

// HROption is an option of a select.
type HROption struct {
	Value    string
	Label    string
	Selected bool
}

// HRRequestForm is the form of /hr/requests.
type HRRequestForm struct {
	Nav       HRNav
	Types     []HRTypeChoice
	PurposeZH string
	PurposeEN string
	Expiries  []HROption
	// Errors by form field (types, purpose.zh, purpose.en, expiry).
	Errors map[string]string
	Recent []HRRequestRow
}

// HRRequestView is the page of one request: its link, QR code and the
// answer as it arrives.
type HRRequestView struct {
	Nav        HRNav
	Row        HRRequestRow
	Link       string
	WalletHref string
	QR         templ.Component
	Asked      []string
	Answer     HRAnswer
}

// HRAnswer is the self-refreshing part of a request's page.
type HRAnswer struct {
	PollHref string
	PageHref string
	// State: waiting, answered, expired.
	State     string
	Expires   time.Time
	Accepted  bool
	Satisfied bool
	Failures  []string
	Received  time.Time
	Result    *Result
}

// Done reports whether the answer will not change any more.
func (a HRAnswer) Done() bool { return a.State != "waiting" }

// HRBatchRow is one row of a batch's results table.
type HRBatchRow struct {
	Index  int
	Name   string
	Kind   string
	State  string // pass, warn, fail, skip (no verdict)
	Issuer string
	Failed string // the failed checks' labels
	Reason string
}

// HRBatchView is /hr/batch and a batch's results.
type HRBatchView struct {
	Nav     HRNav
	Result  bool
	Total   int
	Valid   int
	Warning int
	Invalid int
	Errors  int
	Rows    []HRBatchRow
	CSVHref string
	Checked time.Time
}

// HRPolicyRow is a policy of the account.
type HRPolicyRow struct {
	ID       string
	Name     string
	Version  int
	Rules    int
	Saved    time.Time
	EditHref string
	EvalHref string
}

// HRPoliciesView is /hr/policies.
type HRPoliciesView struct {
	Nav      HRNav
	CanWrite bool
	Policies []HRPolicyRow
}

// HRRuleInput is one rule's inputs in the editor.
type HRRuleInput struct {
	N           int // 0-based slot: form names rule.N.*
	ID          string
	NameZH      string
	NameEN      string
	Expr        string
	Description string
	// Error is why the rule was refused; Line and Column where (1-based,
	// 0 when unknown).
	Error  string
	Line   int
	Column int
}

// Field returns the form name of the rule's field f.
func (r HRRuleInput) Field(f string) string { return "rule." + strconv.Itoa(r.N) + "." + f }

// HRPolicyForm is the policy editor.
type HRPolicyForm struct {
	Nav     HRNav
	Editing bool // an existing policy: its id cannot change
	ID      string
	Version int
	NameZH  string
	NameEN  string
	Combine string
	Rules   []HRRuleInput
	// Errors by field (id, name.zh, name.en, combine, rules).
	Errors map[string]string
}

// HREvalForm is the form that asks a policy for a decision.
type HREvalForm struct {
	Nav       HRNav
	Policies  []HROption
	Other     string // another office's policy id
	Document  string
	Receipts  string
	Applicant string
}

// HRRuleOutcome is one rule's outcome on the decision page.
type HRRuleOutcome struct {
	ID     string
	Name   string
	Passed bool
	Reason string
	Error  string
}

// HRExcluded is a credential the rules did not see, and why.
type HRExcluded struct {
	ID     string
	Reason string
}

// HRDecisionView is a decision's page.
type HRDecisionView struct {
	Nav          HRNav
	Eligible     bool
	Reason       string
	Policy       string
	PolicyID     string
	Version      int
	Applicant    string
	EvaluatedAt  time.Time
	Rules        []HRRuleOutcome
	Excluded     []HRExcluded
	Reports      []Result
	DownloadHref string
	EvalHref     string
}

func hrItoa(n int) string { return strconv.Itoa(n) }

// hrVerdictOf maps a request's answer to the verdict shown.
func hrStateClass(state string) string { return "hr-state hr-state-" + state }
