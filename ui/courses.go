package ui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/issuer"
)

// Courses is what the course routes need of the courses service;
// *courses.Service satisfies it.
type Courses interface {
	Create(ctx context.Context, c courses.Course) (courses.Course, error)
	Update(ctx context.Context, c courses.Course) (courses.Course, error)
	Course(ctx context.Context, ref courses.Ref) (courses.Course, error)
	Search(ctx context.Context, q courses.Query) (courses.Page, error)
	Enrol(ctx context.Context, ref courses.Ref, learner string) (courses.Enrolment, error)
	Withdraw(ctx context.Context, ref courses.Ref, learner string) error
	Enrolment(ctx context.Context, ref courses.Ref, learner string) (courses.Enrolment, error)
	Enrolments(ctx context.Context, ref courses.Ref, after string, limit int) ([]courses.Enrolment, error)
	Invite(ctx context.Context, ref courses.Ref, opts courses.InviteOptions) (courses.Invitation, error)
	RecordResult(ctx context.Context, ref courses.Ref, learner string, r courses.Result) error
	Complete(ctx context.Context, ref courses.Ref, learner string) (courses.Enrolment, error)
}

// WithCourses serves the course catalogue and, for the providing
// organisation's API tokens, enrolment, results and completion:
//
//	GET  /courses                                       search the catalogue (public)
//	POST /courses                                       create a course (scope issue)
//	GET  /courses/{provider}/{code}                     one course (public)
//	PUT  /courses/{provider}/{code}                     update it (scope issue)
//	GET  /courses/{provider}/{code}/enrolments          enrolments (scope read)
//	POST /courses/{provider}/{code}/enrolments          enrol a learner by DID (scope issue)
//	GET  /courses/{provider}/{code}/enrolments/{learner}
//	DELETE /courses/{provider}/{code}/enrolments/{learner}   withdraw
//	POST /courses/{provider}/{code}/enrolments/{learner}/result      record the assessment
//	POST /courses/{provider}/{code}/enrolments/{learner}/completion  complete: issues the certificate
//	POST /courses/{provider}/{code}/invitations         an invitation code (scope issue)
//
// Only the course's provider (the organisation of the token) may change it
// or its enrolments. WithCourses needs WithIssuer for the tokens.
func WithCourses(c Courses) Option {
	return func(h *handler) error {
		if c == nil {
			return errors.New("ui: nil Courses")
		}
		h.courses = c
		return nil
	}
}

func (h *handler) courseRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /courses", h.searchCourses)
	mux.HandleFunc("POST /courses", h.createCourse)
	mux.HandleFunc("GET /courses/{provider}/{code}", h.getCourse)
	mux.HandleFunc("PUT /courses/{provider}/{code}", h.updateCourse)
	mux.HandleFunc("GET /courses/{provider}/{code}/enrolments", h.listEnrolments)
	mux.HandleFunc("POST /courses/{provider}/{code}/enrolments", h.enrol)
	mux.HandleFunc("GET /courses/{provider}/{code}/enrolments/{learner}", h.getEnrolment)
	mux.HandleFunc("DELETE /courses/{provider}/{code}/enrolments/{learner}", h.withdraw)
	mux.HandleFunc("POST /courses/{provider}/{code}/enrolments/{learner}/result", h.recordResult)
	mux.HandleFunc("POST /courses/{provider}/{code}/enrolments/{learner}/completion", h.complete)
	mux.HandleFunc("POST /courses/{provider}/{code}/invitations", h.invite)
}

// errNotProvider: the token's organisation does not run the course.
var errNotProvider = fmt.Errorf("%w: only the course's provider may do this", issuer.ErrForbidden)

// provider authenticates r for scope and checks that the token belongs to
// the course's provider; it returns the course reference.
func (h *handler) provider(r *http.Request, scope issuer.Scope) (courses.Ref, *issuer.Principal, error) {
	p, err := h.principal(r, scope)
	if err != nil {
		return courses.Ref{}, nil, err
	}
	ref := courses.Ref{Provider: r.PathValue("provider"), Code: r.PathValue("code")}
	if ref.Provider != p.Org {
		return ref, nil, errNotProvider
	}
	return ref, p, nil
}

func (h *handler) searchCourses(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	query := courses.Query{
		Provider: q.Get("provider"), Sector: q.Get("sector"), Skill: q.Get("skill"), Text: q.Get("q"),
		Status: courses.Status(q.Get("status")), After: q.Get("after"),
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil {
			h.fail(w, r, &validationError{Fields: []FieldError{{Field: "limit", Reason: "must be a whole number between 1 and 500"}}})
			return
		}
		query.Limit = n
	}
	page, err := h.courses.Search(r.Context(), query)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, page)
}

func (h *handler) createCourse(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var c courses.Course
	if err := h.decodeLoose(w, r, &c); err != nil {
		h.fail(w, r, err)
		return
	}
	if c.Provider == "" {
		c.Provider = p.Org
	}
	if c.Provider != p.Org {
		h.fail(w, r, errNotProvider)
		return
	}
	created, err := h.courses.Create(r.Context(), c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Location", "/courses/"+created.Provider+"/"+created.Code)
	h.writeJSONStatus(w, r, http.StatusCreated, created)
}

func (h *handler) getCourse(w http.ResponseWriter, r *http.Request) {
	c, err := h.courses.Course(r.Context(), courses.Ref{Provider: r.PathValue("provider"), Code: r.PathValue("code")})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, c)
}

func (h *handler) updateCourse(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var c courses.Course
	if err := h.decodeLoose(w, r, &c); err != nil {
		h.fail(w, r, err)
		return
	}
	if (c.Provider != "" && c.Provider != ref.Provider) || (c.Code != "" && c.Code != ref.Code) {
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "code", Reason: "provider and code are the course's identity and cannot change"}}})
		return
	}
	c.Provider, c.Code = ref.Provider, ref.Code
	updated, err := h.courses.Update(r.Context(), c)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, updated)
}

func (h *handler) listEnrolments(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	limit := 100
	if l := r.URL.Query().Get("limit"); l != "" {
		if limit, err = strconv.Atoi(l); err != nil || limit < 1 || limit > 1000 {
			h.fail(w, r, &validationError{Fields: []FieldError{{Field: "limit", Reason: "must be a whole number between 1 and 1000"}}})
			return
		}
	}
	list, err := h.courses.Enrolments(r.Context(), ref, r.URL.Query().Get("after"), limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, map[string]any{"enrolments": list})
}

type enrolRequest struct {
	Learner string `json:"learner" validate:"required,startswith=did:,max=512"`
}

func (h *handler) enrol(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req enrolRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.courses.Enrol(r.Context(), ref, req.Learner)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSONStatus(w, r, http.StatusCreated, e)
}

func (h *handler) getEnrolment(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.courses.Enrolment(r.Context(), ref, r.PathValue("learner"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, e)
}

func (h *handler) withdraw(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.courses.Withdraw(r.Context(), ref, r.PathValue("learner")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, map[string]string{"status": string(courses.Withdrawn)})
}

type resultRequest struct {
	Outcome string `json:"outcome" validate:"required,oneof=pass fail"`
	Score   *int   `json:"score,omitempty" validate:"omitempty,gte=0,lte=100"`
}

func (h *handler) recordResult(w http.ResponseWriter, r *http.Request) {
	ref, p, err := h.provider(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req resultRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	learner := r.PathValue("learner")
	if err := h.courses.RecordResult(r.Context(), ref, learner, courses.Result{
		Outcome: courses.Outcome(req.Outcome), Score: req.Score, Assessor: p.Actor(),
	}); err != nil {
		h.fail(w, r, err)
		return
	}
	e, err := h.courses.Enrolment(r.Context(), ref, learner)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, e)
}

func (h *handler) complete(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	e, err := h.courses.Complete(ctx, ref, r.PathValue("learner"))
	if errors.Is(err, courses.ErrCertificatePending) {
		// The completion is recorded; the certificate follows on retry.
		h.writeJSONStatus(w, r, http.StatusAccepted, e)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, e)
}

type inviteRequest struct {
	// ExpiresIn is a Go duration such as "336h"; empty: the default.
	ExpiresIn string `json:"expiresIn,omitempty" validate:"max=32"`
	Note      string `json:"note,omitempty" validate:"max=200"`
}

func (h *handler) invite(w http.ResponseWriter, r *http.Request) {
	ref, _, err := h.provider(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req inviteRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ttl, err := expiresIn(req.ExpiresIn, "336h")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	inv, err := h.courses.Invite(r.Context(), ref, courses.InviteOptions{TTL: ttl, Note: req.Note})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSONStatus(w, r, http.StatusCreated, inv)
}
