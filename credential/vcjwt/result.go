package vcjwt

import (
	"fmt"

	"github.com/talentchain/talentchain/credential"
)

// result builds a credential.Result the way credential's verifier does.
type result struct{ credential.Result }

func (r *result) add(name string, passed, warning bool, format string, args ...any) {
	r.Checks = append(r.Checks, credential.Check{Name: name, Passed: passed, Warning: warning, Message: fmt.Sprintf(format, args...)})
}

func (r *result) pass(name, format string, args ...any) { r.add(name, true, false, format, args...) }
func (r *result) fail(name, format string, args ...any) { r.add(name, false, false, format, args...) }
func (r *result) warn(name, format string, args ...any) { r.add(name, true, true, format, args...) }

// finish computes Verified, Errors and Warnings from the checks: Verified only
// if there is at least one check and every check passed.
func (r *result) finish() *credential.Result {
	out := r.Result
	out.Verified = len(out.Checks) > 0
	out.Errors = []string{}
	out.Warnings = []string{}
	for _, c := range out.Checks {
		switch {
		case !c.Passed:
			out.Verified = false
			out.Errors = append(out.Errors, c.Name+": "+c.Message)
		case c.Warning:
			out.Warnings = append(out.Warnings, c.Name+": "+c.Message)
		}
	}
	return &out
}

// merge appends the checks of an embedded result, prefixing their names.
func (r *result) merge(prefix string, sub *credential.Result) {
	for _, c := range sub.Checks {
		c.Name = prefix + c.Name
		r.Checks = append(r.Checks, c)
	}
}
