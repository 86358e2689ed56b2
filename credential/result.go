package credential

import (
	"errors"
	"fmt"
)

// Check is one step of a verification, reported to people: the verifier API
// returns the list and the UI shows it.
type Check struct {
	// Name is a stable machine name such as "proof", "issuer-key" or "validity-period".
	Name string `json:"name"`
	// Passed says whether the step succeeded.
	Passed bool `json:"passed"`
	// Message explains the outcome in plain words.
	Message string `json:"message"`
	// Warning marks a passed check that a person should still notice (for example
	// an issuer that is not accredited on chain). It never fails a verification.
	Warning bool `json:"warning,omitempty"`
}

// Result is the outcome of verifying a credential or a presentation.
//
// Verified is true only if every check passed. Errors repeats the messages of the
// failed checks and Warnings those of the passed checks that carry a warning, in the
// shape of the VC-API verification response.
type Result struct {
	Verified bool     `json:"verified"`
	Checks   []Check  `json:"checks"`
	Warnings []string `json:"warnings"`
	Errors   []string `json:"errors"`
}

// Pass records a successful check. Pass, Fail, Warn, Merge and Finish build
// a Result the way this package's verifier does; the JOSE verifiers
// (credential/vcjwt, credential/sdjwt) build theirs with them too.
func (r *Result) Pass(name, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Passed: true, Message: fmt.Sprintf(format, args...)})
}

// Fail records a failed check.
func (r *Result) Fail(name, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Passed: false, Message: fmt.Sprintf(format, args...)})
}

// Warn records a passed check that carries a warning.
func (r *Result) Warn(name, format string, args ...any) {
	r.Checks = append(r.Checks, Check{Name: name, Passed: true, Warning: true, Message: fmt.Sprintf(format, args...)})
}

// Merge appends the checks of an embedded result, prefixing their names.
func (r *Result) Merge(prefix string, sub *Result) {
	for _, c := range sub.Checks {
		c.Name = prefix + c.Name
		r.Checks = append(r.Checks, c)
	}
}

// Finish computes Verified, Errors and Warnings from the checks (Verified
// only if there is at least one check and every check passed) and returns r.
func (r *Result) Finish() *Result {
	r.Verified = len(r.Checks) > 0
	r.Errors = []string{}
	r.Warnings = []string{}
	for _, c := range r.Checks {
		switch {
		case !c.Passed:
			r.Verified = false
			r.Errors = append(r.Errors, c.Name+": "+c.Message)
		case c.Warning:
			r.Warnings = append(r.Warnings, c.Name+": "+c.Message)
		}
	}
	return r
}

// Failed reports whether the check with the given name failed.
func (r *Result) Failed(name string) bool {
	for _, c := range r.Checks {
		if c.Name == name && !c.Passed {
			return true
		}
	}
	return false
}

// Sentinel errors callers branch on. They say what is wrong with the input
// itself, as opposed to a credential that was readable but did not verify (which is
// a Result with Verified false, not an error).
var (
	// ErrMalformed means the input is not a usable credential or presentation
	// document (not JSON, not an object, wrong shape). Answer 400.
	ErrMalformed = errors.New("malformed document")
	// ErrUnknownContext means a JSON-LD context URL is not known to the loader. The
	// loader never fetches one from the network.
	ErrUnknownContext = errors.New("unknown JSON-LD context")
	// ErrNotFound means a key or DID could not be resolved.
	ErrNotFound = errors.New("not found")
)

// InputError carries which part of the input is unusable and why.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string {
	if e.Field == "" {
		return "malformed document: " + e.Reason
	}
	return fmt.Sprintf("malformed document: %s: %s", e.Field, e.Reason)
}

// Unwrap makes errors.Is(err, ErrMalformed) true for every InputError.
func (e *InputError) Unwrap() error { return ErrMalformed }

func isNotFound(err error) bool { return errors.Is(err, ErrNotFound) }
