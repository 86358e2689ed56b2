package pex

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors. Every error of the package wraps one of them (errors.Is).
var (
	// ErrInvalidDefinition means a presentation definition is malformed or
	// breaks a rule or limit of this package: refuse it and tell its author.
	ErrInvalidDefinition = errors.New("invalid presentation definition")
	// ErrInvalidSubmission means a presentation submission is malformed or
	// does not belong to the definition.
	ErrInvalidSubmission = errors.New("invalid presentation submission")
	// ErrInvalidPath means a JSONPath expression is not in the supported
	// subset or is malformed. Definition and submission errors caused by a bad
	// path wrap it too.
	ErrInvalidPath = errors.New("invalid JSONPath")
	// ErrPathLimit means evaluating a JSONPath expression would visit or
	// return more nodes than allowed (MaxPathNodes).
	ErrPathLimit = errors.New("JSONPath evaluation limit reached")
	// ErrUnsupported means the input uses a Presentation Exchange feature this
	// package does not implement (for example is_holder, predicate or frame).
	// It is refused rather than ignored, so that a verifier never believes a
	// constraint was enforced when it was not.
	ErrUnsupported = errors.New("unsupported presentation exchange feature")
	// ErrInvalidCandidate means a candidate credential given to Match or Build
	// is unusable (no id, unknown format, no document).
	ErrInvalidCandidate = errors.New("invalid candidate")
	// ErrInvalidChoice means the holder's choice given to Build does not
	// satisfy the definition, or cannot be laid out as one presentation.
	ErrInvalidChoice = errors.New("invalid choice")
	// ErrNotSatisfied means a presentation does not satisfy the definition:
	// Evaluate returns it inside an *EvaluationError listing every failure.
	ErrNotSatisfied = errors.New("presentation does not satisfy the definition")
)

// FieldError names the member of the input that is wrong and why. Field is
// a JSONPath-like location inside the definition or submission, such as
// "input_descriptors[1].constraints.fields[0].filter".
type FieldError struct {
	Kind   error // the sentinel: ErrInvalidDefinition, ErrInvalidSubmission, ...
	Field  string
	Reason string
	Cause  error // a more specific sentinel (ErrInvalidPath, ErrUnsupported) or nil
}

func (e *FieldError) Error() string {
	msg := e.Kind.Error()
	if e.Field != "" {
		msg += ": " + e.Field
	}
	return msg + ": " + e.Reason
}

// Unwrap returns the kind and the cause, so that errors.Is matches both.
func (e *FieldError) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

func defErr(field, format string, args ...any) *FieldError {
	return &FieldError{Kind: ErrInvalidDefinition, Field: field, Reason: fmt.Sprintf(format, args...)}
}

func subErr(field, format string, args ...any) *FieldError {
	return &FieldError{Kind: ErrInvalidSubmission, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// Failure is one reason why a presentation does not satisfy a definition.
type Failure struct {
	// Descriptor is the input descriptor id concerned; "" for failures of the
	// whole submission (such as a submission requirement).
	Descriptor string `json:"descriptor,omitempty"`
	// Mapping is the index of the descriptor_map entry concerned, -1 for none.
	Mapping int `json:"mapping"`
	// Field is the field id (or its first path when it has no id) concerned.
	Field string `json:"field,omitempty"`
	// Requirement names the submission requirement concerned, as a location
	// such as "submission_requirements[0].from_nested[1]".
	Requirement string `json:"requirement,omitempty"`
	Reason      string `json:"reason"`
}

func (f Failure) String() string {
	var parts []string
	if f.Requirement != "" {
		parts = append(parts, f.Requirement)
	}
	if f.Mapping >= 0 {
		parts = append(parts, fmt.Sprintf("descriptor_map[%d]", f.Mapping))
	}
	if f.Descriptor != "" {
		parts = append(parts, fmt.Sprintf("descriptor %q", f.Descriptor))
	}
	if f.Field != "" {
		parts = append(parts, fmt.Sprintf("field %q", f.Field))
	}
	if len(parts) == 0 {
		return f.Reason
	}
	return strings.Join(parts, " ") + ": " + f.Reason
}

// EvaluationError lists every reason a presentation does not satisfy a
// definition. It wraps ErrNotSatisfied.
type EvaluationError struct {
	Failures []Failure
}

func (e *EvaluationError) Error() string {
	var sb strings.Builder
	sb.WriteString(ErrNotSatisfied.Error())
	for i, f := range e.Failures {
		if i == 0 {
			sb.WriteString(": ")
		} else {
			sb.WriteString("; ")
		}
		sb.WriteString(f.String())
	}
	return sb.String()
}

// Unwrap makes errors.Is(err, ErrNotSatisfied) true.
func (e *EvaluationError) Unwrap() error { return ErrNotSatisfied }
