package courses

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/store"
)

// CertificateIssuer issues the credential that attests a completed course.
// The issuer service satisfies it; cmd/ wires it in.
//
// Contract:
//   - IssueCourseCredential issues one credential of req.Type for req.Holder,
//     signed by req.Provider, and returns its id (a URL or URN, as VCDM
//     requires). req.Subject() gives its credentialSubject.
//   - Calls with the same req.IdempotencyKey MUST return the same id and
//     issue at most one credential: Complete retries after a crash or a
//     timeout, when it cannot know whether the previous call went through.
//   - Any error means "not issued as far as the caller knows"; Complete keeps
//     the completion pending and a later Complete calls again with the same
//     request. Errors are wrapped into ErrCertificatePending unchanged, so
//     the issuer's sentinels (an unaccredited issuer, say) stay visible to
//     errors.Is.
type CertificateIssuer interface {
	IssueCourseCredential(ctx context.Context, req CertificateRequest) (credentialID string, err error)
}

// Clock returns the current time. Tests pass a fixed one.
type Clock func() time.Time

// Config configures New.
type Config struct {
	// Store keeps the service's records. Required. Hand the service a
	// store.WithPrefix(s, "courses/") view of a shared store: the keys it
	// writes are its own (course/, enrol/, invite/ ...).
	Store store.Store
	// Issuer issues the certificate of a completed course. Required.
	Issuer CertificateIssuer
	// Clock gives the time of enrolments, results and completions. Default
	// time.Now.
	Clock Clock
	// Location is the time zone whose calendar dates completions get
	// (a completionDate is an xsd:date). Default UTC; a Chinese deployment
	// sets Asia/Shanghai.
	Location *time.Location
	// InvitationTTL is how long an invitation code stays valid when the
	// caller gives no TTL. Default 14 days.
	InvitationTTL time.Duration
	// CompletionLease bounds how long one Complete call holds the right to
	// call the issuer for a completion before another call may try again.
	// Default 2 minutes; keep it above the issuer's own timeout.
	CompletionLease time.Duration
}

const (
	defaultInvitationTTL   = 14 * 24 * time.Hour
	maxInvitationTTL       = 366 * 24 * time.Hour
	defaultCompletionLease = 2 * time.Minute
)

func (c *Config) validate() error {
	var errs []error
	if c.Store == nil {
		errs = append(errs, errors.New("Store is required"))
	}
	if c.Issuer == nil {
		errs = append(errs, errors.New("Issuer is required"))
	}
	if c.InvitationTTL < 0 || c.InvitationTTL > maxInvitationTTL {
		errs = append(errs, fmt.Errorf("InvitationTTL must be between 0 (default) and %v", maxInvitationTTL))
	}
	if c.CompletionLease < 0 {
		errs = append(errs, errors.New("CompletionLease is negative"))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.InvitationTTL == 0 {
		c.InvitationTTL = defaultInvitationTTL
	}
	if c.CompletionLease == 0 {
		c.CompletionLease = defaultCompletionLease
	}
	return nil
}

// Service is the courses service. It is safe for concurrent use, also by
// several replicas sharing one store.
type Service struct {
	cfg      Config
	st       store.Store
	validate *validator.Validate
}

// New returns a Service after validating cfg.
func New(cfg Config) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("courses: config: %w", err)
	}
	return &Service{cfg: cfg, st: cfg.Store, validate: newValidator()}, nil
}

func (s *Service) now() time.Time { return s.cfg.Clock().UTC() }

// today is the calendar date of now in the configured time zone.
func (s *Service) today() string { return s.cfg.Clock().In(s.cfg.Location).Format(time.DateOnly) }

// Ref names a course: its provider's DID and its code, unique per provider.
type Ref struct {
	Provider string `json:"provider"`
	Code     string `json:"code"`
}

// String returns "provider/code", the form used in store keys and cursors.
func (r Ref) String() string { return r.Provider + "/" + r.Code }

func (r Ref) check() error {
	ve := &ValidationError{What: "course reference"}
	if !validDID(r.Provider) {
		ve.Fields = append(ve.Fields, FieldError{Field: "provider", Reason: "must be a DID (did:method:id, at most 256 characters, no path, query or fragment)"})
	}
	if !codePattern.MatchString(r.Code) {
		ve.Fields = append(ve.Fields, FieldError{Field: "code", Reason: "must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"})
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

func checkLearner(learner string) error {
	if !validDID(learner) {
		return invalid("learner", "learner", "must be a DID (did:method:id, at most 256 characters, no path, query or fragment)")
	}
	return nil
}

// Store keys. Provider and learner DIDs and course codes contain no "/", so
// every prefix below ends at a part boundary.
//
//	course/{provider}/{code}                   Course (JSON)
//	seats/{provider}/{code}                    taken seats (Incr counter)
//	attempt/{provider}/{code}/{learner}        enrolment attempts (Incr counter)
//	active/{provider}/{code}/{learner}         attempt number of the current enrolment
//	enrol/{provider}/{code}/{learner}          enrolRow of the latest attempt
//	result/{provider}/{code}/{learner}/{n}     Result of attempt n
//	final/{provider}/{code}/{learner}/{n}      finalRow: withdrawn, completing or completed
//	lease/{provider}/{code}/{learner}/{n}      a Complete call is calling the issuer (TTL)
//	invite/{sha256(code) hex}                  inviteRow (TTL); the code itself is never stored
//	learner/{learner}/{provider}/{code}        Achievement, for transcripts
func courseKey(r Ref) string            { return "course/" + r.String() }
func seatsKey(r Ref) string             { return "seats/" + r.String() }
func attemptKey(r Ref, l string) string { return "attempt/" + r.String() + "/" + l }
func activeKey(r Ref, l string) string  { return "active/" + r.String() + "/" + l }
func enrolKey(r Ref, l string) string   { return "enrol/" + r.String() + "/" + l }
func resultKey(r Ref, l string, n int64) string {
	return fmt.Sprintf("result/%s/%s/%d", r, l, n)
}
func finalKey(r Ref, l string, n int64) string { return fmt.Sprintf("final/%s/%s/%d", r, l, n) }
func leaseKey(r Ref, l string, n int64) string { return fmt.Sprintf("lease/%s/%s/%d", r, l, n) }
func achievementKey(l string, r Ref) string    { return "learner/" + l + "/" + r.String() }
