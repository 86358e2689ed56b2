package courses

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/store"
)

// Outcome is the outcome of an assessment.
type Outcome string

// Outcomes.
const (
	Pass Outcome = "pass"
	Fail Outcome = "fail"
)

// Result is a learner's assessment result in a course.
type Result struct {
	Outcome Outcome `json:"outcome" validate:"required,oneof=pass fail"`
	// Score is an optional whole-number score out of 100 (credentials
	// carry integers only: decimals canonicalize differently between
	// JSON-LD libraries).
	Score *int `json:"score,omitempty" validate:"omitempty,gte=0,lte=100"`
	// Assessor names who assessed (a staff account id), for the record.
	Assessor   string    `json:"assessor,omitempty" validate:"max=200"`
	AssessedAt time.Time `json:"assessedAt"`
}

// RecordResult records (or replaces) the result of the learner's current
// enrolment. AssessedAt defaults to now. Errors: *ValidationError,
// ErrNotEnrolled, ErrCompleted (the result of a completion is final).
func (s *Service) RecordResult(ctx context.Context, ref Ref, learner string, r Result) error {
	if err := s.recordResult(ctx, ref, learner, r); err != nil {
		return fmt.Errorf("courses: record result: %w", err)
	}
	return nil
}

func (s *Service) recordResult(ctx context.Context, ref Ref, learner string, r Result) error {
	if err := errors.Join(ref.check(), checkLearner(learner), s.check("result", &r)); err != nil {
		return err
	}
	n, ok, err := s.active(ctx, ref, learner)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotEnrolled
	}
	f, err := s.final(ctx, ref, learner, n)
	if err != nil {
		return err
	}
	if f != nil {
		if f.State == finalWithdrawn {
			return ErrNotEnrolled
		}
		return ErrCompleted
	}
	if r.AssessedAt.IsZero() {
		r.AssessedAt = s.now()
	}
	raw, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, resultKey(ref, learner, n), raw, 0)
}

func (s *Service) result(ctx context.Context, ref Ref, learner string, n int64) (*Result, error) {
	return getOptional[Result](ctx, s.st, resultKey(ref, learner, n), "result")
}

// CertificateRequest asks the issuer for the credential of one completed
// course. It is fixed when the completion is first recorded, so every retry
// sends the same request.
type CertificateRequest struct {
	// IdempotencyKey is the same for every call about one completion (one
	// enrolment attempt); the issuer issues at most once per key.
	IdempotencyKey string `json:"idempotencyKey"`
	// Type is the credential type: TrainingCertificate or CourseCompletion.
	Type string `json:"type"`
	// Provider is the DID of the issuing organisation.
	Provider     string   `json:"provider"`
	ProviderName LangText `json:"providerName"`
	// Holder is the learner's DID, the credential's subject.
	Holder         string   `json:"holder"`
	CourseCode     string   `json:"courseCode"`
	Title          LangText `json:"title"`
	Hours          int      `json:"hours"`
	Credits        int      `json:"credits"`
	Skills         []string `json:"skills,omitempty"`
	Sector         string   `json:"sector"`
	StartDate      string   `json:"startDate,omitempty"`
	EndDate        string   `json:"endDate,omitempty"`
	Result         Outcome  `json:"result"`
	Score          *int     `json:"score,omitempty"`
	CompletionDate string   `json:"completionDate"`
}

// Subject returns the credentialSubject of the requested credential in the
// TalentChain vocabulary (credentials/v1), as plain JSON values:
//
//	{"id": holder, "course": {"type": "Course", "courseCode", "title",
//	 "provider", "hours", "credits", "skills", "sector", "startDate",
//	 "endDate"}, "result", "score", "completionDate"}
func (r *CertificateRequest) Subject() map[string]any {
	m := r.achievement()
	m["id"] = r.Holder
	return m
}

// achievement is the subject without its id: one entry of a transcript.
func (r *CertificateRequest) achievement() map[string]any {
	course := map[string]any{
		"type":       "Course",
		"courseCode": r.CourseCode,
		"title":      r.Title.claims(),
		"hours":      float64(r.Hours), // what encoding/json would give: plain JSON
		"credits":    float64(r.Credits),
		"sector":     r.Sector,
	}
	if !r.ProviderName.IsZero() {
		course["provider"] = r.ProviderName.claims()
	}
	if len(r.Skills) > 0 {
		skills := make([]any, len(r.Skills))
		for i, sk := range r.Skills {
			skills[i] = sk
		}
		course["skills"] = skills
	}
	if r.StartDate != "" {
		course["startDate"] = r.StartDate
	}
	if r.EndDate != "" {
		course["endDate"] = r.EndDate
	}
	m := map[string]any{
		"course":         course,
		"result":         string(r.Result),
		"completionDate": r.CompletionDate,
	}
	if r.Score != nil {
		m["score"] = float64(*r.Score)
	}
	return m
}

func idempotencyKey(ref Ref, learner string, n int64) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "talentchain/courses/completion/v1\x00%s\x00%s\x00%s\x00%d", ref.Provider, ref.Code, learner, n))
	return "course-completion-" + hex.EncodeToString(sum[:16])
}

// Complete records the completion of the learner's current enrolment, which
// needs a passing result, and has the issuer issue its certificate.
//
// It is idempotent: the completion and its certificate request are recorded
// (with the store's Create) before the issuer is called, so completing twice
// issues once and returns the same credential id. If the issuer fails,
// Complete returns the enrolment in status Completing with an error wrapping
// ErrCertificatePending and the issuer's error; calling Complete again
// retries with the same request. Concurrent calls for one completion: one
// calls the issuer, the others get ErrInProgress.
//
// Other errors: *ValidationError, ErrNotEnrolled, ErrNotPassed, ErrNotFound.
func (s *Service) Complete(ctx context.Context, ref Ref, learner string) (Enrolment, error) {
	e, err := s.complete(ctx, ref, learner)
	if err != nil {
		return e, fmt.Errorf("courses: complete: %w", err)
	}
	return e, nil
}

func (s *Service) complete(ctx context.Context, ref Ref, learner string) (Enrolment, error) {
	if err := errors.Join(ref.check(), checkLearner(learner)); err != nil {
		return Enrolment{}, err
	}
	n, ok, err := s.active(ctx, ref, learner)
	if err != nil {
		return Enrolment{}, err
	}
	if !ok {
		return Enrolment{}, ErrNotEnrolled
	}
	f, err := s.final(ctx, ref, learner, n)
	if err != nil {
		return Enrolment{}, err
	}
	if f == nil {
		if f, err = s.recordCompletion(ctx, ref, learner, n); err != nil {
			return Enrolment{}, err
		}
	}
	switch f.State {
	case finalWithdrawn:
		return Enrolment{}, ErrNotEnrolled
	case finalCompleted:
		return s.enrolment(ctx, ref, learner)
	}

	// Completing: one call at a time talks to the issuer.
	lease := leaseKey(ref, learner, n)
	if err := s.st.Create(ctx, lease, nil, s.cfg.CompletionLease); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Enrolment{}, ErrInProgress
		}
		return Enrolment{}, err
	}
	defer s.st.Delete(context.WithoutCancel(ctx), lease) //nolint:errcheck // the lease expires anyway
	// Another call may have finished between our read and our lease.
	if f, err = s.final(ctx, ref, learner, n); err != nil {
		return Enrolment{}, err
	}
	if f.State == finalCompleted {
		return s.enrolment(ctx, ref, learner)
	}

	id, err := s.cfg.Issuer.IssueCourseCredential(ctx, *f.Request)
	if err == nil && id == "" {
		err = errors.New("the issuer returned an empty credential id")
	}
	if err != nil {
		e, gerr := s.enrolment(ctx, ref, learner)
		if gerr != nil {
			return Enrolment{}, fmt.Errorf("%w: %w", ErrCertificatePending, err)
		}
		return e, fmt.Errorf("%w: %w", ErrCertificatePending, err)
	}

	f.State = finalCompleted
	f.CredentialID = id
	f.At = s.now()
	rawFinal, err := json.Marshal(f)
	if err != nil {
		return Enrolment{}, err
	}
	a := achievementOf(f.Request, id)
	rawAch, err := json.Marshal(a)
	if err != nil {
		return Enrolment{}, err
	}
	// Both or neither: a completed enrolment is always on the transcript.
	// Without the caller's cancellation: the credential exists now.
	if err := s.st.Apply(context.WithoutCancel(ctx),
		store.OpPut(finalKey(ref, learner, n), rawFinal, 0),
		store.OpPut(achievementKey(learner, ref), rawAch, 0),
	); err != nil {
		return Enrolment{}, fmt.Errorf("%w: recording credential %s: %w", ErrCertificatePending, id, err)
	}
	return s.enrolment(ctx, ref, learner)
}

// recordCompletion fixes the completion of attempt n and its certificate
// request, or returns the row a concurrent call fixed first.
func (s *Service) recordCompletion(ctx context.Context, ref Ref, learner string, n int64) (*finalRow, error) {
	r, err := s.result(ctx, ref, learner, n)
	if err != nil {
		return nil, err
	}
	if r == nil || r.Outcome != Pass {
		return nil, ErrNotPassed
	}
	c, err := s.Course(ctx, ref)
	if err != nil {
		return nil, err
	}
	req := &CertificateRequest{
		IdempotencyKey: idempotencyKey(ref, learner, n),
		Type:           c.Certificate,
		Provider:       c.Provider,
		ProviderName:   c.ProviderName,
		Holder:         learner,
		CourseCode:     c.Code,
		Title:          c.Title,
		Hours:          c.Hours,
		Credits:        c.Credits,
		Skills:         c.Skills,
		Sector:         c.Sector,
		StartDate:      c.Schedule.Start,
		EndDate:        c.Schedule.End,
		Result:         r.Outcome,
		Score:          r.Score,
		CompletionDate: s.today(),
	}
	f := &finalRow{State: finalCompleting, At: s.now(), Request: req}
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, err
	}
	err = s.st.Create(ctx, finalKey(ref, learner, n), raw, 0)
	if errors.Is(err, store.ErrExists) {
		return s.final(ctx, ref, learner, n)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// Pending lists the learners of ref whose completion is recorded but whose
// certificate is not issued yet, for a retry job to Complete again.
func (s *Service) Pending(ctx context.Context, ref Ref) ([]string, error) {
	if err := ref.check(); err != nil {
		return nil, fmt.Errorf("courses: pending: %w", err)
	}
	var out []string
	after := ""
	for {
		page, err := s.Enrolments(ctx, ref, after, store.MaxListLimit)
		if err != nil {
			return nil, fmt.Errorf("courses: pending: %w", err)
		}
		for _, e := range page {
			if e.Status == Completing {
				out = append(out, e.Learner)
			}
		}
		if len(page) < store.MaxListLimit {
			return out, nil
		}
		after = page[len(page)-1].Learner
	}
}
