package courses

import (
	"errors"
	"strings"
)

// Sentinel errors. Methods wrap them with the operation; callers branch on
// them with errors.Is, never on error strings.
var (
	// ErrInvalid means the input broke a rule. The error is a
	// *ValidationError naming every failing field. Callers answer 400.
	ErrInvalid = errors.New("courses: invalid input")

	// ErrNotFound means no such course (or enrolment). Callers answer 404.
	ErrNotFound = errors.New("courses: not found")

	// ErrExists means the provider already has a course with that code.
	// Callers answer 409.
	ErrExists = errors.New("courses: course code already used by this provider")

	// ErrNotOpen means the course does not take enrolments (draft or
	// closed). Callers answer 409.
	ErrNotOpen = errors.New("courses: course not open for enrolment")

	// ErrFull means the course has no seat left. Callers answer 409; a
	// learner may try again after someone withdraws.
	ErrFull = errors.New("courses: course is full")

	// ErrPrerequisites means the learner has not completed every
	// prerequisite. The error is a *PrerequisiteError listing the missing
	// course codes. Callers answer 409.
	ErrPrerequisites = errors.New("courses: prerequisites not completed")

	// ErrAlreadyEnrolled means the learner is already enrolled in the
	// course. Callers answer 409.
	ErrAlreadyEnrolled = errors.New("courses: already enrolled")

	// ErrNotEnrolled means the learner has no current enrolment in the
	// course (never enrolled, or withdrew). Callers answer 409 (or 404).
	ErrNotEnrolled = errors.New("courses: not enrolled")

	// ErrCompleted means the learner's enrolment is completed (or its
	// completion is under way), so it can no longer be withdrawn, assessed
	// or enrolled again. Callers answer 409.
	ErrCompleted = errors.New("courses: enrolment already completed")

	// ErrNotPassed means completion was asked for without a passing result
	// recorded. Callers answer 409.
	ErrNotPassed = errors.New("courses: no passing result recorded")

	// ErrInvitation means the invitation code is unknown, already used or
	// expired (deliberately not told apart). Callers answer 404 or 410.
	ErrInvitation = errors.New("courses: invitation code invalid, used or expired")

	// ErrInProgress means another call is issuing this completion's
	// certificate right now. Callers answer 409 or 503 and retry shortly.
	ErrInProgress = errors.New("courses: completion in progress")

	// ErrCertificatePending means the completion is recorded but the issuer
	// could not issue its certificate yet; the issuer's error is wrapped
	// too. The completion stays pending: calling Complete again issues the
	// certificate exactly once. Callers answer 502/503 and retry later.
	ErrCertificatePending = errors.New("courses: completion recorded, certificate pending")
)

// FieldError is one field refused by validation.
type FieldError struct {
	// Field is the JSON path of the field: "code", "title.zh",
	// "schedule.sessions[1].end", "prerequisites[0]".
	Field string
	// Reason says what is wrong, in English, for a client to show.
	Reason string
}

// ValidationError reports every field that broke a rule. It wraps
// ErrInvalid.
type ValidationError struct {
	// What names the input: "course", "learner", "result", "invitation".
	What   string
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("courses: invalid ")
	b.WriteString(e.What)
	for i, f := range e.Fields {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Reason)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(what, field, reason string) *ValidationError {
	return &ValidationError{What: what, Fields: []FieldError{{Field: field, Reason: reason}}}
}

// PrerequisiteError lists the prerequisites a learner still lacks. It wraps
// ErrPrerequisites.
type PrerequisiteError struct {
	// Missing holds the codes of the prerequisite courses (of the same
	// provider) the learner has not completed, in the course's order.
	Missing []string
}

func (e *PrerequisiteError) Error() string {
	return "courses: prerequisites not completed: " + strings.Join(e.Missing, ", ")
}

// Unwrap makes errors.Is(err, ErrPrerequisites) true.
func (e *PrerequisiteError) Unwrap() error { return ErrPrerequisites }
