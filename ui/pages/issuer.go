package pages

import (
	"strconv"
	"strings"
	"time"
)

// The issuer staff's pages (/org): view models.

// IssuerNav is the sub-navigation of the staff pages; Active is the
// current section ("dashboard", "issue", "batches", "credentials",
// "courses", "record").
type IssuerNav struct {
	Active  string
	OrgName string
	OrgDID  string
	Courses bool // the courses section exists
}

// IssuerCount is a labelled number (a credential type and how many).
type IssuerCount struct {
	Label string
	Value int
	Href  string
}

// BarChart is an inline SVG bar chart: bars already laid out in the
// viewBox, so the template only draws.
type BarChart struct {
	Width, Height int
	Bars          []ChartBar
	Max           int
	Title         string
	BaseY         int
}

// ChartBar is one bar with its label under it and its value above.
type ChartBar struct {
	X, Y, W, H int
	Label      string
	Value      int
}

// issItoa is strconv.Itoa for the templates.
func issItoa(n int) string { return strconv.Itoa(n) }

// NewBarChart lays out one bar per value; labels go under the bars.
func NewBarChart(title string, labels []string, values []int) BarChart {
	const barW, gap, top, bottom, left, height = 36, 14, 18, 34, 8, 220
	c := BarChart{Title: title, Height: height, BaseY: height - bottom}
	for _, v := range values {
		c.Max = max(c.Max, v)
	}
	plot := height - top - bottom
	for i, v := range values {
		h := 0
		if c.Max > 0 {
			h = v * plot / c.Max
		}
		if v > 0 && h < 2 {
			h = 2
		}
		c.Bars = append(c.Bars, ChartBar{X: left + i*(barW+gap), Y: c.BaseY - h, W: barW, H: h, Label: labels[i], Value: v})
	}
	c.Width = left*2 + len(values)*(barW+gap)
	return c
}

// IssuerDashboard is /org.
type IssuerDashboard struct {
	Nav                                 IssuerNav
	Total, Active, Revoked, Suspended   int
	Anchored                            int
	ByType                              []IssuerCount
	Chart                               BarChart
	Months                              []IssuerCount // the chart's numbers, as a table
	Batches                             []BatchRow
	CanIssue, CanStatus, CoursesEnabled bool
}

// BatchRow is one CSV job in a list.
type BatchRow struct {
	ID, Href, Template, Status string
	Format                     string // the credential format's label
	Total, Issued, Failed      int
	Created                    time.Time
}

// SelectOption is a choice of a select.
type SelectOption struct {
	Value, Label string
	Selected     bool
}

// TemplateChoice is a template offered for issuing.
type TemplateChoice struct {
	ID, Label, TypeLabel, Href, ExampleHref string
	Selected                                bool
}

// IssueField is one input of a generated form.
type IssueField struct {
	Name     string // the form field's name
	Label    string
	Type     string // text, date, number, select
	Value    string
	Required bool
	Options  []SelectOption
	Hint     string
	Error    string
	Group    string // the fieldset it belongs to ("" : none)
}

// IssueFieldGroup is a fieldset of the form.
type IssueFieldGroup struct {
	Legend string
	Fields []IssueField
}

// IssueForm is /org/issue.
type IssueForm struct {
	Nav       IssuerNav
	Templates []TemplateChoice
	Template  string // chosen template id; "" : only the picker
	Title     string
	Groups    []IssueFieldGroup
	// Errors are the problems not tied to a field.
	Errors []string
}

// BatchesView is /org/batches.
type BatchesView struct {
	Nav       IssuerNav
	Templates []TemplateChoice
	Formats   []SelectOption
	Jobs      []BatchRow
}

// RowProblem is a bad CSV row: line, column, reason.
type RowProblem struct {
	Line           int
	Key, Column    string
	Reason         string
	LineIsNotARows bool
}

// BatchView is /org/batches/{id}.
type BatchView struct {
	Nav                             IssuerNav
	Job                             BatchRow
	Progress                        BatchProgress
	BadRows                         int
	Problems                        []RowProblem
	Error                           string
	CanStart, CanCancel, HasResults bool
	ResultsHref                     string
}

// BatchProgress is the self-refreshing progress fragment.
type BatchProgress struct {
	ID, PollHref, PageHref string
	Status                 string
	Total, Done, Issued    int
	Failed                 int
	Percent                int
	Finished               bool
	CanCancel              bool
}

// CredentialSearch is /org/credentials.
type CredentialSearch struct {
	Nav                IssuerNav
	Q, Type, Status    string
	From, To           string
	Types, Statuses    []SelectOption
	Items              []CredentialRow
	Total, Page, Pages int
	PrevHref, NextHref string
	CanStatus          bool
	Errors             []string
	Back               string // this page, to come back to after a change
}

// CredentialRow is one credential in the search results.
type CredentialRow struct {
	ID, Href, Name, Holder, TypeLabel string
	Status                            string // valid, revoked, suspended
	Issued                            time.Time
	Anchored                          bool
}

// IssuerClaim is one claim of a credential, flattened.
type IssuerClaim struct{ Label, Value, Path string }

// AnchorView is where a credential is anchored.
type AnchorView struct {
	Root, TxHash, ChainID string
	Height                int64
	Time                  time.Time
	Leaf, Size            uint64
}

// OfferView is a claim offer just created: shown once.
type OfferView struct {
	ClaimURL, URI, TxCode string
	QR                    string // inline SVG markup from internal/qr
	Expires               time.Time
}

// CredentialView is /org/credentials/{id}.
type CredentialView struct {
	Nav                           IssuerNav
	ID, Href, TypeLabel, Template string
	Format                        string
	Status                        string // valid, revoked, suspended, pending
	StatusNote                    string
	Holder                        string
	Issued                        time.Time
	Claims                        []IssuerClaim
	Anchor                        *AnchorView
	Offer                         *OfferView
	CanStatus, CanOffer           bool
	JSON                          string
}

// KeyRow is one signing key of an organisation.
type KeyRow struct {
	ID, PublicKey string
	From, Until   time.Time
	Current       bool
}

// AccreditationRow is one accreditation (grant) of an organisation.
type AccreditationRow struct {
	Type, Levels string
	Since, Until time.Time
	Active       bool
}

// OrgRecord is the on-chain record of an organisation (/org/record and
// the governance pages).
type OrgRecord struct {
	DID, NameZh, NameEn, Kind string
	Status                    string // active, suspended, removed, unregistered
	Registered                time.Time
	RegisteredHeight          int64
	Keys                      []KeyRow
	Accreditations            []AccreditationRow
	ChainError                string
}

// OrgRecordView is /org/record.
type OrgRecordView struct {
	Nav    IssuerNav
	Record OrgRecord
}

func jobStatusClass(status string) string {
	switch status {
	case "done", "ready":
		return "badge badge-ok"
	case "running", "validating":
		return "badge badge-warn"
	case "invalid", "failed", "canceled":
		return "badge badge-bad"
	}
	return "badge"
}

func orgStatusClass(status string) string {
	switch status {
	case "active":
		return "badge badge-ok"
	case "suspended", "unregistered":
		return "badge badge-warn"
	case "removed":
		return "badge badge-bad"
	}
	return "badge"
}

// describedBy names the hint and error of a field.
func describedBy(f IssueField) string {
	var ids []string
	if f.Hint != "" {
		ids = append(ids, "h-"+f.Name)
	}
	if f.Error != "" {
		ids = append(ids, "e-"+f.Name)
	}
	return strings.Join(ids, " ")
}

func lineText(p Page, line int) string {
	if line <= 0 {
		return p.T("issuer.batch.wholeFile")
	}
	return strconv.Itoa(line)
}

// CourseRow is one course of the organisation.
type CourseRow struct {
	Code, Href, Title, Sector, Status string
	Hours, Credits, Capacity          int
}

// CourseForm is the create/edit form of a course.
type CourseForm struct {
	Code, TitleZh, TitleEn, Sector, Skills string
	Hours, Credits, Capacity               string
	Start, End, Status, Certificate        string
	Editing                                bool
}

// CoursesView is /org/courses.
type CoursesView struct {
	Nav     IssuerNav
	Courses []CourseRow
	Form    CourseForm
	CanEdit bool
}

// EnrolmentRow is one learner of a course.
type EnrolmentRow struct {
	Learner, Href, Status, Outcome, Score string
	CredentialHref                        string
	Enrolled                              time.Time
	CanResult, CanComplete                bool
}

// CourseView is /org/courses/{code}.
type CourseView struct {
	Nav        IssuerNav
	Href       string
	Course     CourseRow
	Form       CourseForm
	Enrolments []EnrolmentRow
	CanEdit    bool
	Invitation *GovSecret
}
