package courses

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/store"
)

// Status is where a course is in its life: only open courses take
// enrolments.
type Status string

// Course statuses.
const (
	StatusDraft  Status = "draft"  // being prepared; not enrollable
	StatusOpen   Status = "open"   // taking enrolments
	StatusClosed Status = "closed" // no new enrolments; enrolled learners still finish
)

// Credential types a course completion can be certified with (terms of the
// TalentChain vocabulary, credentials/v1).
const (
	TrainingCertificate = "TrainingCertificateCredential"
	CourseCompletion    = "CourseCompletionCredential"
	// TranscriptCredential is the type of the credential whose claims
	// TranscriptClaims returns.
	TranscriptCredential = "LearningTranscriptCredential"
)

// LangText is a text in Chinese and English, a JSON-LD language map in
// credentials ({"zh": "...", "en": "..."}).
type LangText struct {
	Zh string `json:"zh,omitempty" validate:"max=200"`
	En string `json:"en,omitempty" validate:"max=200"`
}

// IsZero reports whether both languages are empty.
func (t LangText) IsZero() bool { return t.Zh == "" && t.En == "" }

func (t LangText) claims() map[string]any {
	m := map[string]any{}
	if t.Zh != "" {
		m["zh"] = t.Zh
	}
	if t.En != "" {
		m["en"] = t.En
	}
	return m
}

// Schedule is when a course runs. Dates are calendar dates (YYYY-MM-DD);
// all may be empty for a self-paced course.
type Schedule struct {
	Start    string    `json:"start,omitempty" validate:"omitempty,datetime=2006-01-02"`
	End      string    `json:"end,omitempty" validate:"omitempty,datetime=2006-01-02"`
	Sessions []Session `json:"sessions,omitempty" validate:"max=500,dive"`
}

// Session is one class meeting.
type Session struct {
	Start    time.Time `json:"start" validate:"required"`
	End      time.Time `json:"end" validate:"required,gtfield=Start"`
	Location string    `json:"location,omitempty" validate:"max=200"`
}

// Course is a course of the catalogue, run by a university or a science
// park (its provider, an issuer organisation's DID).
type Course struct {
	// Provider is the DID of the organisation that runs the course and
	// signs its certificates. With Code it identifies the course.
	Provider string `json:"provider" validate:"required,did"`
	// ProviderName is the provider's name, shown in certificates (the
	// vocabulary's "provider" is a language map of the name).
	ProviderName LangText `json:"providerName"`
	// Code is unique per provider: 1 to 32 letters, digits, ".", "_", "-".
	Code string `json:"code" validate:"required,coursecode"`
	// Title needs at least one language.
	Title LangText `json:"title" validate:"required"`
	// Hours are the learning hours a completion adds to a transcript.
	Hours int `json:"hours" validate:"gte=1,lte=10000"`
	// Credits are academic credits; 0 for a training without credits.
	Credits int      `json:"credits" validate:"gte=0,lte=100"`
	Skills  []string `json:"skills,omitempty" validate:"max=50,unique,dive,required,max=100"`
	// Sector is the field of the economy or of study ("blockchain",
	// "biomedicine"); transcripts total hours by sector.
	Sector   string   `json:"sector" validate:"required,max=100"`
	Schedule Schedule `json:"schedule"`
	// Capacity is the number of seats; 0 means unlimited.
	Capacity int `json:"capacity" validate:"gte=0,lte=1000000"`
	// Prerequisites are codes of courses of the same provider that a
	// learner must have completed before enrolling.
	Prerequisites []string `json:"prerequisites,omitempty" validate:"max=20,unique,dive,coursecode"`
	// Status defaults to draft on Create.
	Status Status `json:"status" validate:"required,oneof=draft open closed"`
	// Certificate is the credential type a completion is certified with:
	// TrainingCertificate (the default) or CourseCompletion.
	Certificate string `json:"certificate" validate:"required,oneof=TrainingCertificateCredential CourseCompletionCredential"`

	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Ref returns the course's reference.
func (c *Course) Ref() Ref { return Ref{Provider: c.Provider, Code: c.Code} }

// checkCourse applies the tags and the rules tags cannot say, and that the
// prerequisites exist.
func (s *Service) checkCourse(ctx context.Context, c *Course) error {
	if c.Status == "" {
		c.Status = StatusDraft
	}
	if c.Certificate == "" {
		c.Certificate = TrainingCertificate
	}
	err := s.check("course", c)
	ve, _ := err.(*ValidationError)
	if err != nil && ve == nil {
		return err
	}
	if ve == nil {
		ve = &ValidationError{What: "course"}
	}
	sc := c.Schedule
	if dateOK(sc.Start) && dateOK(sc.End) && sc.End < sc.Start { // YYYY-MM-DD sorts as text
		ve.Fields = append(ve.Fields, FieldError{Field: "schedule.end", Reason: "must not be before schedule.start"})
	}
	if c.Certificate == TrainingCertificate && len(c.Skills) == 0 {
		// The training certificate template requires them: refuse the
		// course now rather than every completion later.
		ve.Fields = append(ve.Fields, FieldError{Field: "skills", Reason: "a training certificate lists the skills trained: give at least one (or certify with CourseCompletionCredential)"})
	}
	if len(ve.Fields) == 0 {
		for i, p := range c.Prerequisites {
			field := fmt.Sprintf("prerequisites[%d]", i)
			if p == c.Code {
				ve.Fields = append(ve.Fields, FieldError{Field: field, Reason: "a course cannot require itself"})
				continue
			}
			_, err := s.st.Get(ctx, courseKey(Ref{c.Provider, p}))
			switch {
			case errors.Is(err, store.ErrNotFound):
				ve.Fields = append(ve.Fields, FieldError{Field: field, Reason: "no course with this code at this provider"})
			case err != nil:
				return fmt.Errorf("courses: checking prerequisite: %w", err)
			}
		}
	}
	if len(ve.Fields) > 0 {
		return ve
	}
	return nil
}

func dateOK(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// Create adds c to the catalogue. Status defaults to draft and Certificate
// to TrainingCertificate; CreatedAt and UpdatedAt are set. Errors:
// *ValidationError (ErrInvalid), ErrExists when the provider already has
// the code.
func (s *Service) Create(ctx context.Context, c Course) (Course, error) {
	if err := s.checkCourse(ctx, &c); err != nil {
		return Course{}, fmt.Errorf("courses: create: %w", err)
	}
	c.CreatedAt = s.now()
	c.UpdatedAt = c.CreatedAt
	raw, err := json.Marshal(&c)
	if err != nil {
		return Course{}, fmt.Errorf("courses: create: %w", err)
	}
	if err := s.st.Create(ctx, courseKey(c.Ref()), raw, 0); err != nil {
		if errors.Is(err, store.ErrExists) {
			return Course{}, fmt.Errorf("courses: create: %w", ErrExists)
		}
		return Course{}, fmt.Errorf("courses: create: %w", err)
	}
	return c, nil
}

// Update replaces the course c.Ref() with c (CreatedAt is kept). Lowering
// the capacity below the seats taken refuses new enrolments but removes no
// one. Concurrent updates of one course: the last one wins. Errors:
// *ValidationError, ErrNotFound.
func (s *Service) Update(ctx context.Context, c Course) (Course, error) {
	if err := s.checkCourse(ctx, &c); err != nil {
		return Course{}, fmt.Errorf("courses: update: %w", err)
	}
	old, err := s.Course(ctx, c.Ref())
	if err != nil {
		return Course{}, fmt.Errorf("courses: update: %w", err)
	}
	c.CreatedAt = old.CreatedAt
	c.UpdatedAt = s.now()
	raw, err := json.Marshal(&c)
	if err != nil {
		return Course{}, fmt.Errorf("courses: update: %w", err)
	}
	if err := s.st.Put(ctx, courseKey(c.Ref()), raw, 0); err != nil {
		return Course{}, fmt.Errorf("courses: update: %w", err)
	}
	return c, nil
}

// Course returns the course ref, or ErrNotFound.
func (s *Service) Course(ctx context.Context, ref Ref) (Course, error) {
	if err := ref.check(); err != nil {
		return Course{}, fmt.Errorf("courses: get course: %w", err)
	}
	raw, err := s.st.Get(ctx, courseKey(ref))
	if errors.Is(err, store.ErrNotFound) {
		return Course{}, fmt.Errorf("courses: get course: %w", ErrNotFound)
	}
	if err != nil {
		return Course{}, fmt.Errorf("courses: get course: %w", err)
	}
	var c Course
	if err := json.Unmarshal(raw, &c); err != nil {
		return Course{}, fmt.Errorf("courses: get course: decoding: %w", err)
	}
	return c, nil
}

// Query selects courses for Search. Empty fields select everything.
type Query struct {
	// Provider keeps the courses of one provider (and makes the search
	// read only that provider's courses).
	Provider string `json:"provider,omitempty" validate:"omitempty,did"`
	// Sector keeps the courses of a sector (exact, case-insensitive).
	Sector string `json:"sector,omitempty" validate:"max=100"`
	// Skill keeps the courses teaching a skill (exact, case-insensitive).
	Skill string `json:"skill,omitempty" validate:"max=100"`
	// Text keeps courses whose code, title, provider name, sector or skills
	// contain it (case-insensitive).
	Text string `json:"text,omitempty" validate:"max=200"`
	// Status keeps courses with this status.
	Status Status `json:"status,omitempty" validate:"omitempty,oneof=draft open closed"`
	// After is the cursor: Page.Next of the previous page.
	After string `json:"after,omitempty" validate:"max=300"`
	// Limit is the page size: 0 means 50, at most 500.
	Limit int `json:"limit,omitempty" validate:"gte=0,lte=500"`
}

// Page is one page of search results, ordered by provider and code.
type Page struct {
	Courses []Course `json:"courses"`
	// Next is the cursor of the next page; empty on the last page.
	Next string `json:"next,omitempty"`
}

func (q *Query) match(c *Course) bool {
	if q.Status != "" && c.Status != q.Status {
		return false
	}
	if q.Sector != "" && !strings.EqualFold(c.Sector, q.Sector) {
		return false
	}
	if q.Skill != "" && !slices.ContainsFunc(c.Skills, func(s string) bool { return strings.EqualFold(s, q.Skill) }) {
		return false
	}
	if q.Text != "" {
		text := strings.ToLower(q.Text)
		hay := append([]string{c.Code, c.Title.Zh, c.Title.En, c.ProviderName.Zh, c.ProviderName.En, c.Sector}, c.Skills...)
		if !slices.ContainsFunc(hay, func(h string) bool { return strings.Contains(strings.ToLower(h), text) }) {
			return false
		}
	}
	return true
}

// Search lists the courses matching q, a page at a time. It reads the
// catalogue in key order (the catalogue of a consortium is thousands of
// courses, not millions); an index is the next step if that changes.
func (s *Service) Search(ctx context.Context, q Query) (Page, error) {
	if err := s.check("query", &q); err != nil {
		return Page{}, fmt.Errorf("courses: search: %w", err)
	}
	limit := q.Limit
	if limit == 0 {
		limit = 50
	}
	prefix := "course/"
	if q.Provider != "" {
		prefix += q.Provider + "/"
	}
	after := ""
	if q.After != "" {
		after = "course/" + q.After
	}
	var page Page
	for {
		entries, err := s.st.List(ctx, prefix, store.ListOptions{After: after, Limit: store.MaxListLimit})
		if err != nil {
			return Page{}, fmt.Errorf("courses: search: %w", err)
		}
		for _, e := range entries {
			var c Course
			if err := json.Unmarshal(e.Value, &c); err != nil {
				return Page{}, fmt.Errorf("courses: search: decoding: %w", err)
			}
			if !q.match(&c) {
				continue
			}
			if len(page.Courses) == limit {
				page.Next = page.Courses[limit-1].Ref().String()
				return page, nil
			}
			page.Courses = append(page.Courses, c)
		}
		if len(entries) < store.MaxListLimit {
			return page, nil
		}
		after = entries[len(entries)-1].Key
	}
}
