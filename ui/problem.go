package ui

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/talentchain/talentchain/credential"
)

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
}

// problemFor is the one place where an error becomes an HTTP status. Messages of
// client errors are shown; for server errors the detail is generic and the caller
// logs the error.
func problemFor(err error) Problem {
	var (
		ve *validationError
		ie *credential.InputError
	)
	switch {
	case errors.As(err, &ve):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: "Some fields of the request are missing or invalid.", Errors: ve.Fields}
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
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	w.Write(append(body, '\n'))
}
