package courses

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/talentchain/talentchain/store"
)

// Achievement is one completed course on a learner's transcript, as
// certified.
type Achievement struct {
	Course         Ref      `json:"course"`
	ProviderName   LangText `json:"providerName"`
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
	CredentialType string   `json:"credentialType"`
	// CredentialID is the id of the certificate that attests it.
	CredentialID string `json:"credentialId"`
}

func achievementOf(r *CertificateRequest, credentialID string) Achievement {
	return Achievement{
		Course:         Ref{Provider: r.Provider, Code: r.CourseCode},
		ProviderName:   r.ProviderName,
		Title:          r.Title,
		Hours:          r.Hours,
		Credits:        r.Credits,
		Skills:         r.Skills,
		Sector:         r.Sector,
		StartDate:      r.StartDate,
		EndDate:        r.EndDate,
		Result:         r.Result,
		Score:          r.Score,
		CompletionDate: r.CompletionDate,
		CredentialType: r.Type,
		CredentialID:   credentialID,
	}
}

func (a *Achievement) request(holder string) *CertificateRequest {
	return &CertificateRequest{
		Type: a.CredentialType, Provider: a.Course.Provider, ProviderName: a.ProviderName,
		Holder: holder, CourseCode: a.Course.Code, Title: a.Title, Hours: a.Hours,
		Credits: a.Credits, Skills: a.Skills, Sector: a.Sector, StartDate: a.StartDate,
		EndDate: a.EndDate, Result: a.Result, Score: a.Score, CompletionDate: a.CompletionDate,
	}
}

// Totals add up completed courses.
type Totals struct {
	Courses int `json:"courses"`
	Hours   int `json:"hours"`
	Credits int `json:"credits"`
}

func (t *Totals) add(a *Achievement) {
	t.Courses++
	t.Hours += a.Hours
	t.Credits += a.Credits
}

// Transcript is a learner's record of completed courses across providers,
// CLR-like: every achievement with its credential, and the learning hours
// and credits in total, by sector and by year of completion.
type Transcript struct {
	Learner string `json:"learner"`
	// Achievements are ordered by completion date, then provider and code.
	Achievements []Achievement     `json:"achievements"`
	Total        Totals            `json:"total"`
	BySector     map[string]Totals `json:"bySector"`
	// ByYear is keyed by the year of completion ("2026").
	ByYear map[string]Totals `json:"byYear"`
}

// Transcript returns the learner's transcript: the courses completed with a
// certificate issued (pending certificates are not on it yet). A learner
// with no completed course gets an empty transcript, not an error.
func (s *Service) Transcript(ctx context.Context, learner string) (Transcript, error) {
	if err := checkLearner(learner); err != nil {
		return Transcript{}, fmt.Errorf("courses: transcript: %w", err)
	}
	t := Transcript{Learner: learner, Achievements: []Achievement{}, BySector: map[string]Totals{}, ByYear: map[string]Totals{}}
	prefix := "learner/" + learner + "/"
	after := ""
	for {
		entries, err := s.st.List(ctx, prefix, store.ListOptions{After: after, Limit: store.MaxListLimit})
		if err != nil {
			return Transcript{}, fmt.Errorf("courses: transcript: %w", err)
		}
		for _, e := range entries {
			var a Achievement
			if err := json.Unmarshal(e.Value, &a); err != nil {
				return Transcript{}, fmt.Errorf("courses: transcript: decoding: %w", err)
			}
			t.Achievements = append(t.Achievements, a)
		}
		if len(entries) < store.MaxListLimit {
			break
		}
		after = entries[len(entries)-1].Key
	}
	slices.SortStableFunc(t.Achievements, func(a, b Achievement) int {
		return cmp.Or(cmp.Compare(a.CompletionDate, b.CompletionDate),
			cmp.Compare(a.Course.Provider, b.Course.Provider), cmp.Compare(a.Course.Code, b.Course.Code))
	})
	for i := range t.Achievements {
		a := &t.Achievements[i]
		t.Total.add(a)
		sec := t.BySector[a.Sector]
		sec.add(a)
		t.BySector[a.Sector] = sec
		year := a.CompletionDate[:min(4, len(a.CompletionDate))]
		y := t.ByYear[year]
		y.add(a)
		t.ByYear[year] = y
	}
	return t, nil
}

// Claims returns the credentialSubject of a LearningTranscriptCredential
// (TranscriptCredential) for the transcript, in the TalentChain vocabulary,
// as plain JSON values ready for the issuer to sign:
//
//	{"id": learner, "totalHours": 120, "achievements": [
//	  {"type": "Achievement", "id": credentialId, "course": {...},
//	   "result": "pass", "score": 92, "completionDate": "2026-06-30"}, ...]}
//
// Each achievement's id is the id of the credential that certifies it, so a
// verifier can ask for that credential too.
func (t *Transcript) Claims() map[string]any {
	achievements := make([]any, 0, len(t.Achievements))
	for i := range t.Achievements {
		a := &t.Achievements[i]
		m := a.request(t.Learner).achievement()
		m["type"] = "Achievement"
		m["id"] = a.CredentialID
		achievements = append(achievements, m)
	}
	return map[string]any{
		"id":           t.Learner,
		"totalHours":   float64(t.Total.Hours),
		"achievements": achievements,
	}
}

// TranscriptClaims returns the claims of the learner's
// LearningTranscriptCredential (see Transcript.Claims); the issuer signs
// them.
func (s *Service) TranscriptClaims(ctx context.Context, learner string) (map[string]any, error) {
	t, err := s.Transcript(ctx, learner)
	if err != nil {
		return nil, err
	}
	return t.Claims(), nil
}
