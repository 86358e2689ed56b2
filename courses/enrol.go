package courses

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/store"
)

// EnrolmentStatus is where a learner is in a course.
type EnrolmentStatus string

// Enrolment statuses.
const (
	Enrolled  EnrolmentStatus = "enrolled"
	Withdrawn EnrolmentStatus = "withdrawn"
	// Completing: the completion is recorded, its certificate not issued
	// yet (the issuer failed or a call is under way); Complete again to
	// retry.
	Completing EnrolmentStatus = "completing"
	Completed  EnrolmentStatus = "completed"
)

// Enrolment is a learner's place in a course.
type Enrolment struct {
	Course  Ref    `json:"course"`
	Learner string `json:"learner"`
	// Attempt counts the learner's enrolments in the course, from 1: a
	// learner who withdrew may enrol again.
	Attempt    int64           `json:"attempt"`
	Status     EnrolmentStatus `json:"status"`
	EnrolledAt time.Time       `json:"enrolledAt"`
	// Invited is true when the learner enrolled with an invitation code.
	Invited bool    `json:"invited,omitempty"`
	Result  *Result `json:"result,omitempty"`
	// CompletionDate (YYYY-MM-DD) is set once completion is recorded.
	CompletionDate string `json:"completionDate,omitempty"`
	// CredentialID is the certificate's id once issued.
	CredentialID string `json:"credentialId,omitempty"`
}

type enrolRow struct {
	Attempt    int64     `json:"attempt"`
	EnrolledAt time.Time `json:"enrolledAt"`
	Invited    bool      `json:"invited,omitempty"`
}

type finalState string

const (
	finalWithdrawn  finalState = "withdrawn"
	finalCompleting finalState = "completing"
	finalCompleted  finalState = "completed"
)

// finalRow ends an enrolment attempt. It is written with Create, so of a
// withdrawal and a completion racing for one attempt exactly one wins, and a
// completion's certificate request is fixed once.
type finalRow struct {
	State        finalState          `json:"state"`
	At           time.Time           `json:"at"`
	Request      *CertificateRequest `json:"request,omitempty"`
	CredentialID string              `json:"credentialId,omitempty"`
}

// Enrol enrols learner (a DID, normally the did:key of a wallet account) in
// the course ref. The course must be open, have a free seat and the learner
// must have completed its prerequisites (a completion whose certificate is
// still pending counts). Errors: *ValidationError,
// ErrNotFound, ErrNotOpen, ErrFull, *PrerequisiteError (ErrPrerequisites),
// ErrAlreadyEnrolled, ErrCompleted.
func (s *Service) Enrol(ctx context.Context, ref Ref, learner string) (Enrolment, error) {
	e, err := s.enrol(ctx, ref, learner, false)
	if err != nil {
		return Enrolment{}, fmt.Errorf("courses: enrol: %w", err)
	}
	return e, nil
}

func (s *Service) enrol(ctx context.Context, ref Ref, learner string, invited bool) (Enrolment, error) {
	if err := checkLearner(learner); err != nil {
		return Enrolment{}, err
	}
	c, err := s.Course(ctx, ref)
	if err != nil {
		return Enrolment{}, err
	}
	if c.Status != StatusOpen {
		return Enrolment{}, ErrNotOpen
	}
	// A current enrolment blocks a new one, unless it was withdrawn and
	// the withdrawal stopped before releasing the seat: finish it.
	if n, ok, err := s.active(ctx, ref, learner); err != nil {
		return Enrolment{}, err
	} else if ok {
		f, err := s.final(ctx, ref, learner, n)
		if err != nil {
			return Enrolment{}, err
		}
		switch {
		case f == nil:
			return Enrolment{}, ErrAlreadyEnrolled
		case f.State != finalWithdrawn:
			return Enrolment{}, ErrCompleted
		}
		if err := s.release(ctx, ref, learner, n); err != nil {
			return Enrolment{}, err
		}
	}
	var missing []string
	for _, p := range c.Prerequisites {
		done, err := s.hasCompleted(ctx, Ref{Provider: ref.Provider, Code: p}, learner)
		if err != nil {
			return Enrolment{}, err
		}
		if !done {
			missing = append(missing, p)
		}
	}
	if len(missing) > 0 {
		return Enrolment{}, &PrerequisiteError{Missing: missing}
	}

	// Take a seat first: the counter never exceeds the capacity for longer
	// than it takes to give an over-capacity seat back, and an enrolment
	// exists only with a seat.
	taken, err := s.st.Incr(ctx, seatsKey(ref), 1)
	if err != nil {
		return Enrolment{}, err
	}
	giveBack := func() {
		// Without the caller's cancellation: a seat taken must be returned.
		s.st.Incr(context.WithoutCancel(ctx), seatsKey(ref), -1) //nolint:errcheck // a lost seat is conservative
	}
	if c.Capacity > 0 && taken > int64(c.Capacity) {
		giveBack()
		return Enrolment{}, ErrFull
	}
	n, err := s.st.Incr(ctx, attemptKey(ref, learner), 1)
	if err != nil {
		giveBack()
		return Enrolment{}, err
	}
	if err := s.st.Create(ctx, activeKey(ref, learner), []byte(strconv.FormatInt(n, 10)), 0); err != nil {
		giveBack()
		if errors.Is(err, store.ErrExists) {
			return Enrolment{}, ErrAlreadyEnrolled // a concurrent enrolment of the same learner won
		}
		return Enrolment{}, err
	}
	row := enrolRow{Attempt: n, EnrolledAt: s.now(), Invited: invited}
	raw, err := json.Marshal(row)
	if err != nil {
		return Enrolment{}, err
	}
	if err := s.st.Put(ctx, enrolKey(ref, learner), raw, 0); err != nil {
		return Enrolment{}, err
	}
	return Enrolment{Course: ref, Learner: learner, Attempt: n, Status: Enrolled, EnrolledAt: row.EnrolledAt, Invited: invited}, nil
}

// Withdraw ends the learner's current enrolment and frees its seat. Errors:
// ErrNotEnrolled, ErrCompleted (a completed or completing enrolment stays).
func (s *Service) Withdraw(ctx context.Context, ref Ref, learner string) error {
	if err := s.withdraw(ctx, ref, learner); err != nil {
		return fmt.Errorf("courses: withdraw: %w", err)
	}
	return nil
}

func (s *Service) withdraw(ctx context.Context, ref Ref, learner string) error {
	if err := errors.Join(ref.check(), checkLearner(learner)); err != nil {
		return err
	}
	n, ok, err := s.active(ctx, ref, learner)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotEnrolled
	}
	raw, err := json.Marshal(finalRow{State: finalWithdrawn, At: s.now()})
	if err != nil {
		return err
	}
	if err := s.st.Create(ctx, finalKey(ref, learner, n), raw, 0); err != nil {
		if !errors.Is(err, store.ErrExists) {
			return err
		}
		f, err := s.final(ctx, ref, learner, n)
		if err != nil {
			return err
		}
		if f != nil && f.State == finalWithdrawn {
			return ErrNotEnrolled
		}
		return ErrCompleted
	}
	return s.release(ctx, ref, learner, n)
}

// release removes the withdrawn attempt n's active marker and gives its
// seat back. Take makes the release happen once even when a withdrawal and
// an enrolment finishing it run together.
func (s *Service) release(ctx context.Context, ref Ref, learner string, n int64) error {
	ctx = context.WithoutCancel(ctx) // half a release would leak a seat
	raw, err := s.st.Take(ctx, activeKey(ref, learner))
	if errors.Is(err, store.ErrNotFound) {
		return nil // released by someone else
	}
	if err != nil {
		return err
	}
	if got, _ := strconv.ParseInt(string(raw), 10, 64); got != n {
		// A newer attempt: not ours to release. Put it back.
		if err := s.st.Create(ctx, activeKey(ref, learner), raw, 0); err != nil && !errors.Is(err, store.ErrExists) {
			return err
		}
		return nil
	}
	if _, err := s.st.Incr(ctx, seatsKey(ref), -1); err != nil {
		return err
	}
	return nil
}

// active returns the attempt number of the learner's current enrolment.
func (s *Service) active(ctx context.Context, ref Ref, learner string) (int64, bool, error) {
	raw, err := s.st.Get(ctx, activeKey(ref, learner))
	if errors.Is(err, store.ErrNotFound) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("decoding enrolment attempt: %w", err)
	}
	return n, true, nil
}

// final returns the row that ended attempt n, or nil.
func (s *Service) final(ctx context.Context, ref Ref, learner string, n int64) (*finalRow, error) {
	return getOptional[finalRow](ctx, s.st, finalKey(ref, learner, n), "enrolment state")
}

// getOptional reads the JSON row at key: nil, nil when there is none.
func getOptional[T any](ctx context.Context, st store.Store, key, what string) (*T, error) {
	raw, err := st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("decoding %s: %w", what, err)
	}
	return &v, nil
}

// hasCompleted reports whether learner completed ref (its certificate may
// still be pending).
func (s *Service) hasCompleted(ctx context.Context, ref Ref, learner string) (bool, error) {
	n, ok, err := s.active(ctx, ref, learner)
	if err != nil || !ok {
		return false, err
	}
	f, err := s.final(ctx, ref, learner, n)
	if err != nil {
		return false, err
	}
	return f != nil && (f.State == finalCompleted || f.State == finalCompleting), nil
}

// Enrolment returns the learner's latest enrolment in ref, or ErrNotFound
// if the learner never enrolled.
func (s *Service) Enrolment(ctx context.Context, ref Ref, learner string) (Enrolment, error) {
	e, err := s.enrolment(ctx, ref, learner)
	if err != nil {
		return Enrolment{}, fmt.Errorf("courses: get enrolment: %w", err)
	}
	return e, nil
}

func (s *Service) enrolment(ctx context.Context, ref Ref, learner string) (Enrolment, error) {
	if err := errors.Join(ref.check(), checkLearner(learner)); err != nil {
		return Enrolment{}, err
	}
	raw, err := s.st.Get(ctx, enrolKey(ref, learner))
	if errors.Is(err, store.ErrNotFound) {
		return Enrolment{}, ErrNotFound
	}
	if err != nil {
		return Enrolment{}, err
	}
	var row enrolRow
	if err := json.Unmarshal(raw, &row); err != nil {
		return Enrolment{}, fmt.Errorf("decoding enrolment: %w", err)
	}
	e := Enrolment{Course: ref, Learner: learner, Attempt: row.Attempt, Status: Enrolled, EnrolledAt: row.EnrolledAt, Invited: row.Invited}
	f, err := s.final(ctx, ref, learner, row.Attempt)
	if err != nil {
		return Enrolment{}, err
	}
	if f != nil {
		e.Status = EnrolmentStatus(f.State)
		e.CredentialID = f.CredentialID
		if f.Request != nil {
			e.CompletionDate = f.Request.CompletionDate
		}
	}
	if e.Result, err = s.result(ctx, ref, learner, row.Attempt); err != nil {
		return Enrolment{}, err
	}
	return e, nil
}

// Enrolments lists the latest enrolment of every learner of ref, ordered by
// learner DID, a page at a time: pass the last learner of a page as after
// (limit 0 means 100, at most 1000).
func (s *Service) Enrolments(ctx context.Context, ref Ref, after string, limit int) ([]Enrolment, error) {
	if err := ref.check(); err != nil {
		return nil, fmt.Errorf("courses: list enrolments: %w", err)
	}
	if limit < 0 || limit > store.MaxListLimit {
		return nil, fmt.Errorf("courses: list enrolments: %w", invalid("page", "limit", "must be between 0 (the default) and 1000"))
	}
	prefix := "enrol/" + ref.String() + "/"
	opts := store.ListOptions{Limit: limit}
	if after != "" {
		opts.After = prefix + after
	}
	entries, err := s.st.List(ctx, prefix, opts)
	if err != nil {
		return nil, fmt.Errorf("courses: list enrolments: %w", err)
	}
	out := make([]Enrolment, 0, len(entries))
	for _, en := range entries {
		e, err := s.enrolment(ctx, ref, strings.TrimPrefix(en.Key, prefix))
		if err != nil {
			return nil, fmt.Errorf("courses: list enrolments: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}

// Seats returns the number of seats taken in ref.
func (s *Service) Seats(ctx context.Context, ref Ref) (int64, error) {
	if err := ref.check(); err != nil {
		return 0, fmt.Errorf("courses: seats: %w", err)
	}
	raw, err := s.st.Get(ctx, seatsKey(ref))
	if errors.Is(err, store.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("courses: seats: %w", err)
	}
	n, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("courses: seats: decoding: %w", err)
	}
	return n, nil
}

// Invitation is a one-time code that enrols whoever redeems it, for a
// learner who has no wallet account yet. Only its hash is stored.
type Invitation struct {
	// Code is shown once, to be sent to the invitee; it cannot be read back.
	Code      string    `json:"code"`
	Course    Ref       `json:"course"`
	ExpiresAt time.Time `json:"expiresAt"`
}

type inviteRow struct {
	Course    Ref       `json:"course"`
	Note      string    `json:"note,omitempty"`
	CreatedAt time.Time `json:"createdAt"`
	ExpiresAt time.Time `json:"expiresAt"`
}

// InviteOptions tune Invite.
type InviteOptions struct {
	// TTL is how long the code is valid: 0 means Config.InvitationTTL; at
	// most a year.
	TTL time.Duration
	// Note is kept with the invitation for the provider (say, "for the
	// Haidian cohort"); never put the invitee's personal data here.
	Note string
}

var codeEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// Invite creates an invitation code for the course ref. The course need
// not be open yet; it must be when the code is redeemed. Errors:
// *ValidationError, ErrNotFound.
func (s *Service) Invite(ctx context.Context, ref Ref, opts InviteOptions) (Invitation, error) {
	inv, err := s.invite(ctx, ref, opts)
	if err != nil {
		return Invitation{}, fmt.Errorf("courses: invite: %w", err)
	}
	return inv, nil
}

func (s *Service) invite(ctx context.Context, ref Ref, opts InviteOptions) (Invitation, error) {
	if opts.TTL < 0 || opts.TTL > maxInvitationTTL {
		return Invitation{}, invalid("invitation", "ttl", "must be between 0 (the default) and a year")
	}
	if len(opts.Note) > 200 {
		return Invitation{}, invalid("invitation", "note", "must be at most 200 characters")
	}
	if _, err := s.Course(ctx, ref); err != nil {
		return Invitation{}, err
	}
	ttl := opts.TTL
	if ttl == 0 {
		ttl = s.cfg.InvitationTTL
	}
	b := make([]byte, 20) // 160 bits: a plain hash is enough, no guessing
	rand.Read(b)
	code := codeEncoding.EncodeToString(b)
	now := s.now()
	row := inviteRow{Course: ref, Note: opts.Note, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	raw, err := json.Marshal(row)
	if err != nil {
		return Invitation{}, err
	}
	if err := s.st.Create(ctx, inviteKey(code), raw, ttl); err != nil {
		return Invitation{}, err
	}
	return Invitation{Code: code, Course: ref, ExpiresAt: row.ExpiresAt}, nil
}

func inviteKey(code string) string {
	// Codes are case-insensitive and may be typed with spaces or dashes.
	code = strings.ToUpper(strings.NewReplacer(" ", "", "-", "").Replace(code))
	sum := sha256.Sum256([]byte(code))
	return "invite/" + hex.EncodeToString(sum[:])
}

// Redeem enrols learner with an invitation code, consuming it: of several
// concurrent redemptions exactly one gets the code. If the enrolment is
// refused (full, prerequisites, already enrolled ...) the code is put back
// for its remaining time, so it is consumed only by a successful enrolment.
// Errors: ErrInvitation, and those of Enrol.
func (s *Service) Redeem(ctx context.Context, code, learner string) (Enrolment, error) {
	e, err := s.redeem(ctx, code, learner)
	if err != nil {
		return Enrolment{}, fmt.Errorf("courses: redeem invitation: %w", err)
	}
	return e, nil
}

func (s *Service) redeem(ctx context.Context, code, learner string) (Enrolment, error) {
	if err := checkLearner(learner); err != nil {
		return Enrolment{}, err
	}
	if code == "" || len(code) > 100 {
		return Enrolment{}, ErrInvitation
	}
	key := inviteKey(code)
	raw, err := s.st.Take(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return Enrolment{}, ErrInvitation
	}
	if err != nil {
		return Enrolment{}, err
	}
	var row inviteRow
	if err := json.Unmarshal(raw, &row); err != nil {
		return Enrolment{}, fmt.Errorf("decoding invitation: %w", err)
	}
	if !s.now().Before(row.ExpiresAt) {
		return Enrolment{}, ErrInvitation // the store's clock and ours disagree: ours wins
	}
	e, err := s.enrol(ctx, row.Course, learner, true)
	if err != nil {
		if left := row.ExpiresAt.Sub(s.now()); left > 0 {
			if perr := s.st.Create(context.WithoutCancel(ctx), key, raw, left); perr != nil {
				return Enrolment{}, errors.Join(err, fmt.Errorf("restoring the invitation: %w", perr))
			}
		}
		return Enrolment{}, err
	}
	return e, nil
}
