package ui

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
)

// retryAfterSeconds is the Retry-After of every 503: a dependency that is
// down, a node starting or stopping.
const retryAfterSeconds = 5

// ProblemTypeBase prefixes the type URI of every problem; docs/api.md has a
// section for each type.
const ProblemTypeBase = "https://github.com/talentchain/talentchain/blob/main/docs/api.md#problem-"

// statusClientClosedRequest is the de-facto status for a request whose client
// went away before the answer (nginx's 499); it shows in logs only.
const statusClientClosedRequest = 499

// Problem is an RFC 9457 problem details object, served as application/problem+json.
type Problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Errors lists the fields at fault, for validation problems.
	Errors []FieldError `json:"errors,omitempty"`
	// challenge, when set, is sent as WWW-Authenticate (401 answers).
	challenge string
	// retryAfter, when set, is sent as Retry-After in seconds (503 answers).
	retryAfter int
}

// problemFor is the one place where an error becomes an HTTP status. Messages of
// client errors are shown; for server errors the detail is generic and the caller
// logs the error.
func problemFor(err error) (p Problem) {
	defer func() {
		if p.Status == http.StatusServiceUnavailable {
			p.retryAfter = retryAfterSeconds
		}
	}()
	for _, m := range problemMappers {
		if p, ok := m(err); ok {
			return p
		}
	}
	var (
		ve  *validationError
		ie  *credential.InputError
		ive *issuer.ValidationError
		ibe *issuer.BatchError
		cse *issuer.CSVError
		ce  *chain.CodeError
		cve *courses.ValidationError
		cpe *courses.PrerequisiteError
	)
	switch {
	case errors.As(err, &ve):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: "Some fields of the request are missing or invalid.", Errors: ve.Fields}
	case errors.As(err, &ive):
		fields := make([]FieldError, len(ive.Fields))
		for i, f := range ive.Fields {
			fields[i] = FieldError{Field: f.Field, Reason: f.Reason, ReasonZH: f.ReasonZH}
		}
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid credential request", Status: http.StatusUnprocessableEntity,
			Detail: "The credential does not fit its template: fix the fields listed and send it again.", Errors: fields}
	case errors.As(err, &cse):
		fields := make([]FieldError, len(cse.Errors))
		for i, e := range cse.Errors {
			f := "line " + strconv.Itoa(e.Line)
			if e.Column != "" {
				f += ", column " + e.Column
			}
			fields[i] = FieldError{Field: f, Reason: e.Reason, ReasonZH: e.ReasonZH}
		}
		return Problem{Type: ProblemTypeBase + "bad-rows", Title: "Bad rows in the upload", Status: http.StatusUnprocessableEntity,
			Detail: strconv.Itoa(cse.BadRows) + " rows cannot be issued; nothing was issued. Fix the rows listed (or try a dry run) and upload again.", Errors: fields}
	case errors.As(err, &ibe):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid credential requests", Status: http.StatusUnprocessableEntity,
			Detail: err.Error()}
	case errors.Is(err, errUnauthenticated), errors.Is(err, issuer.ErrUnauthenticated):
		return Problem{Type: ProblemTypeBase + "unauthenticated", Title: "Authentication required", Status: http.StatusUnauthorized,
			Detail:    "Send a valid, unexpired API token as Authorization: Bearer <token>; an administrator of your organisation can create one.",
			challenge: `Bearer realm="talentchain"`}
	case errors.Is(err, issuer.ErrForbidden):
		return Problem{Type: ProblemTypeBase + "forbidden", Title: "Not allowed", Status: http.StatusForbidden,
			Detail: "This token may not do this: it lacks the scope, or belongs to another organisation."}
	case errors.Is(err, issuer.ErrNotAccredited):
		return Problem{Type: ProblemTypeBase + "not-accredited", Title: "Not accredited", Status: http.StatusForbidden,
			Detail: "Your organisation is not accredited on chain for this credential type (or level); ask the talent-policy office to accredit it."}
	case errors.Is(err, issuer.ErrIssuerNotActive):
		return Problem{Type: ProblemTypeBase + "issuer-not-active", Title: "Issuer not active", Status: http.StatusForbidden,
			Detail: "Your organisation is suspended or not registered on chain; contact the talent-policy office."}
	case errors.Is(err, issuer.ErrConflict):
		return Problem{Type: ProblemTypeBase + "conflict", Title: "Conflict", Status: http.StatusConflict,
			Detail: err.Error()}
	case errors.Is(err, issuer.ErrInvalid):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error()}
	case errors.Is(err, issuer.ErrNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "Nothing is known under this identifier for your organisation."}
	case errors.As(err, &cve):
		fields := make([]FieldError, len(cve.Fields))
		for i, f := range cve.Fields {
			fields[i] = FieldError{Field: f.Field, Reason: f.Reason}
		}
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid " + cve.What, Status: http.StatusBadRequest,
			Detail: "Some fields are missing or invalid: fix the fields listed and send it again.", Errors: fields}
	case errors.As(err, &cpe):
		return Problem{Type: ProblemTypeBase + "course-state", Title: "Prerequisites missing", Status: http.StatusConflict,
			Detail: err.Error() + "; the learner must complete them first."}
	case errors.Is(err, courses.ErrNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "No such course or enrolment; check the provider DID, the course code and the learner DID."}
	case errors.Is(err, courses.ErrInvitation):
		return Problem{Type: ProblemTypeBase + "invitation", Title: "Invitation not valid", Status: http.StatusGone,
			Detail: "The invitation code is unknown, used or expired; ask the course provider for a new one."}
	case errors.Is(err, courses.ErrExists), errors.Is(err, courses.ErrNotOpen), errors.Is(err, courses.ErrFull),
		errors.Is(err, courses.ErrAlreadyEnrolled), errors.Is(err, courses.ErrNotEnrolled), errors.Is(err, courses.ErrCompleted),
		errors.Is(err, courses.ErrNotPassed), errors.Is(err, courses.ErrInProgress):
		return Problem{Type: ProblemTypeBase + "course-state", Title: "Not possible now", Status: http.StatusConflict,
			Detail: err.Error()}
	case errors.Is(err, courses.ErrInvalid):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error()}
	case errors.Is(err, errNoGovernance):
		return Problem{Type: ProblemTypeBase + "no-governance", Title: "Not available on this node", Status: http.StatusNotImplemented,
			Detail: "This node holds no governance key: accreditation and suspension are voted by the consortium's governance members (talentchain gov)."}
	case errors.As(err, &ce):
		return chainProblem(ce)
	case errors.Is(err, issuer.ErrClosed):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Shutting down", Status: http.StatusServiceUnavailable,
			Detail: "The node is shutting down; try again shortly."}
	case errors.Is(err, errMalformedRequest):
		return Problem{Type: ProblemTypeBase + "malformed-request", Title: "Malformed request", Status: http.StatusBadRequest,
			Detail: err.Error()}
	case errors.Is(err, errTooLarge):
		return Problem{Type: ProblemTypeBase + "too-large", Title: "Request body too large", Status: http.StatusRequestEntityTooLarge,
			Detail: err.Error()}
	case errors.Is(err, errUnsupportedMediaType):
		return Problem{Type: ProblemTypeBase + "media-type", Title: "Unsupported media type", Status: http.StatusUnsupportedMediaType,
			Detail: err.Error()}
	case errors.As(err, &ie):
		return Problem{Type: ProblemTypeBase + "invalid-document", Title: "Unusable document", Status: http.StatusBadRequest,
			Detail: err.Error(), Errors: []FieldError{{Field: ie.Field, Reason: ie.Reason}}}
	case errors.Is(err, credential.ErrMalformed), errors.Is(err, credential.ErrUnknownContext):
		return Problem{Type: ProblemTypeBase + "invalid-document", Title: "Unusable document", Status: http.StatusBadRequest,
			Detail: err.Error()}
	case errors.Is(err, ErrInvalidDID):
		return Problem{Type: ProblemTypeBase + "invalid-did", Title: "Invalid DID", Status: http.StatusBadRequest,
			Detail: err.Error()}
	case errors.Is(err, credential.ErrNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "Nothing is known under this identifier here (or its DID method is not supported)."}
	case errors.Is(err, store.ErrUnavailable):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Store unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The node's store is not answering (its Redis server is down, or its disk is full or read-only); nothing was changed. Try again shortly."}
	case errors.As(err, new(*net.OpError)):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Chain node unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The chain node this node reads from is not answering; try again shortly."}
	case errors.Is(err, errDependencyDown):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Dependency down", Status: http.StatusServiceUnavailable,
			Detail: err.Error()}
	case errors.Is(err, errNotReady):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Not ready", Status: http.StatusServiceUnavailable,
			Detail: "The node is starting; try again shortly."}
	case errors.Is(err, context.Canceled):
		return Problem{Type: ProblemTypeBase + "canceled", Title: "Client closed request", Status: statusClientClosedRequest,
			Detail: "The request was canceled before it was answered."}
	case errors.Is(err, context.DeadlineExceeded):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Timed out", Status: http.StatusServiceUnavailable,
			Detail: "The request took too long; try again later."}
	default:
		return Problem{Type: ProblemTypeBase + "internal", Title: "Internal error", Status: http.StatusInternalServerError,
			Detail: "Something went wrong on our side; the request id identifies it in the logs."}
	}
}

// problemMappers map the errors of one service each; a file that serves a
// service's routes registers its mapper in init, named <service>Problem.
// They are part of problemFor: the only other places that choose an error
// status.
var problemMappers []func(error) (Problem, bool)

// chainProblem answers a transaction the chain refused.
func chainProblem(ce *chain.CodeError) Problem {
	p := Problem{Type: ProblemTypeBase + "chain-refused", Title: "Refused by the chain", Detail: ce.Error()}
	switch ce.Code {
	case chain.CodeUnknownIssuer, chain.CodeNotFound:
		p.Status = http.StatusNotFound
	case chain.CodeConflict, chain.CodeIssuerNotActive, chain.CodeKeyNotCurrent, chain.CodeBadSequence:
		p.Status = http.StatusConflict
	case chain.CodeInvalidPayload, chain.CodeMalformed, chain.CodeTooLarge, chain.CodeBadQuery:
		p.Status = http.StatusBadRequest
	case chain.CodeNotAccredited, chain.CodeWrongSigner, chain.CodeNotMember, chain.CodeInsufficientSignatures:
		p.Status = http.StatusForbidden
	default:
		p.Status = http.StatusBadGateway
	}
	return p
}

// fail answers r with the problem for err, logging server errors in full.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := problemFor(err)
	level := slog.LevelDebug
	if p.Status >= 500 {
		level = slog.LevelError
	}
	h.log.LogAttrs(r.Context(), level, "request failed",
		slog.String("request_id", requestID(r.Context())),
		slog.Int("status", p.Status),
		slog.String("error", err.Error()))
	body, _ := json.Marshal(p) // a Problem of strings and ints always marshals
	if p.challenge != "" {
		w.Header().Set("WWW-Authenticate", p.challenge)
	}
	if p.retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(p.retryAfter))
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}
