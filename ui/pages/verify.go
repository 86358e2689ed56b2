package pages

import "time"

// VerifyForm is the state of the public verification form.
type VerifyForm struct {
	Document string // what was pasted, shown again after an error
	Receipt  string
}

// Check is one step of a verification as a person reads it.
type Check struct {
	Name    string // the step's label in the page's language
	Step    string // the pipeline's step name (format, proof, …)
	State   string // pass, warn, fail, skip
	Message string
}

// Claim is one labelled value of a credential.
type Claim struct {
	Label string
	Value string
}

// Result is a verification as the result page shows it.
type Result struct {
	// Verdict is pass (valid), warn (valid with warnings) or fail.
	Verdict string
	Summary string
	Kind    string // credential or presentation
	Types   []string
	// Issuer and IssuerName say who issued it; Holder the subject or holder.
	Issuer       string
	IssuerName   string
	Holder       string
	AnchorHeight int64
	AnchorTime   time.Time
	CheckedAt    time.Time
	Checks       []Check
	Claims       []Claim
	// Credentials are a presentation's credentials, each a Result.
	Credentials []Result
	// PDFHref downloads the report as PDF; empty when unavailable.
	PDFHref string
	// Source says where the document came from (a share link…), shown
	// above the verdict; ShareExpires when the link ends.
	Source       string
	ShareExpires time.Time
	// Permalink is this result's own page, for printing or filing.
	Permalink string
}
