package issuer

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/store"
)

// Listing and counting an organisation's credentials, for the staff pages.
//
// Both calls read the organisation's entries of the credential index
// (credindex.go), a page of listPageSize at a time: linear in the
// organisation's credentials, whatever other organisations hold.

// Limits of ListCredentials.
const (
	DefaultListLimit = 20
	MaxListLimit     = 200
	// MaxListScan bounds the credentials one call reads.
	MaxListScan  = 1_000_000
	listPageSize = 500
)

// CredentialQuery selects an organisation's credentials.
type CredentialQuery struct {
	// Text matches, case-insensitively, part of the holder's name (any
	// language), the holder's DID or the credential id.
	Text string `json:"text,omitempty" validate:"max=200"`
	// Type is a credential type (DegreeCredential) or a template id
	// (master-degree); empty: any.
	Type string `json:"type,omitempty" validate:"max=100"`
	// Status is active, revoked or suspended; empty: any.
	Status Status `json:"status,omitempty" validate:"omitempty,oneof=active revoked suspended"`
	// From and To bound the issue time (From inclusive, To exclusive);
	// zero: open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// Offset skips that many matches (newest first); Limit is the page
	// size: default DefaultListLimit, at most MaxListLimit.
	Offset int `json:"offset,omitempty" validate:"min=0,max=1000000"`
	Limit  int `json:"limit,omitempty" validate:"min=0,max=200"`
}

// CredentialSummary is one credential in a list: no claims but the
// holder's name.
type CredentialSummary struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Template string `json:"template"`
	Format   Format `json:"format,omitempty"`
	// HolderName is the subject's fullName by language tag ("zh", "en"),
	// empty when the credential has none.
	HolderName map[string]string `json:"holderName,omitempty"`
	Holder     string            `json:"holder,omitempty"` // the holder's DID
	Status     Status            `json:"status"`
	Issued     time.Time         `json:"issued"`
	Anchored   bool              `json:"anchored"`
}

// CredentialPage is a page of ListCredentials: the matches from Offset,
// newest first, and how many match in all.
type CredentialPage struct {
	Items  []CredentialSummary `json:"items"`
	Total  int                 `json:"total"`
	Offset int                 `json:"offset"`
	Limit  int                 `json:"limit"`
}

// MonthCount is the credentials issued in one calendar month (UTC).
type MonthCount struct {
	Month  time.Time `json:"month"` // the first instant of the month
	Issued int       `json:"issued"`
}

// CredentialStats counts an organisation's credentials.
type CredentialStats struct {
	Total     int            `json:"total"`
	ByStatus  map[Status]int `json:"byStatus"`
	ByType    map[string]int `json:"byType"`
	ByMonth   []MonthCount   `json:"byMonth"` // oldest first, every month of the window
	Anchored  int            `json:"anchored"`
	Generated time.Time      `json:"generated"`
}

var listValidate = validator.New(validator.WithRequiredStructEnabled())

// ListCredentials returns a page of the organisation's credentials that
// match q, newest first. A query breaking its limits is ErrInvalid (a
// *ValidationError).
func (s *Service) ListCredentials(ctx context.Context, org string, q CredentialQuery) (*CredentialPage, error) {
	if err := listValidate.Struct(q); err != nil {
		return nil, fmt.Errorf("list credentials: %w", queryError(err))
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return nil, fmt.Errorf("list credentials: %w", &ValidationError{Fields: []FieldError{{Field: "/to", Reason: "must be after from", ReasonZH: "结束日期必须晚于开始日期"}}})
	}
	if q.Limit == 0 {
		q.Limit = DefaultListLimit
	}
	text := strings.ToLower(strings.TrimSpace(q.Text))
	var all []CredentialSummary
	err := s.eachCredential(ctx, org, func(c *CredentialSummary) {
		if q.Type != "" && c.Type != q.Type && c.Template != q.Type ||
			q.Status != "" && c.Status != q.Status ||
			!q.From.IsZero() && c.Issued.Before(q.From) ||
			!q.To.IsZero() && !c.Issued.Before(q.To) ||
			text != "" && !c.matches(text) {
			return
		}
		all = append(all, *c)
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(all, func(a, b CredentialSummary) int {
		return cmp.Or(b.Issued.Compare(a.Issued), strings.Compare(a.ID, b.ID))
	})
	p := &CredentialPage{Total: len(all), Offset: q.Offset, Limit: q.Limit, Items: []CredentialSummary{}}
	if q.Offset < len(all) {
		p.Items = all[q.Offset:min(len(all), q.Offset+q.Limit)]
	}
	return p, nil
}

// CredentialStats counts the organisation's credentials by status, type
// and month of issue; ByMonth covers the months from months-1 months
// before now to now (months 1–120; 0 means 12).
func (s *Service) CredentialStats(ctx context.Context, org string, months int) (*CredentialStats, error) {
	if months == 0 {
		months = 12
	}
	if months < 1 || months > 120 {
		return nil, fmt.Errorf("credential stats: %w", &ValidationError{Fields: []FieldError{{Field: "/months", Reason: "must be from 1 to 120", ReasonZH: "必须在 1 到 120 之间"}}})
	}
	now := s.cfg.Now().UTC()
	first := time.Date(now.Year(), now.Month()-time.Month(months-1), 1, 0, 0, 0, 0, time.UTC)
	st := &CredentialStats{ByStatus: map[Status]int{}, ByType: map[string]int{}, Generated: now}
	for i := range months {
		st.ByMonth = append(st.ByMonth, MonthCount{Month: first.AddDate(0, i, 0)})
	}
	err := s.eachCredential(ctx, org, func(c *CredentialSummary) {
		st.Total++
		st.ByStatus[c.Status]++
		st.ByType[c.Type]++
		if c.Anchored {
			st.Anchored++
		}
		iss := c.Issued.UTC()
		if iss.Before(first) {
			return
		}
		i := (iss.Year()-first.Year())*12 + int(iss.Month()-first.Month())
		if i >= 0 && i < len(st.ByMonth) {
			st.ByMonth[i].Issued++
		}
	})
	if err != nil {
		return nil, err
	}
	return st, nil
}

// eachCredential calls f with a summary of each of org's credentials,
// leaving out those replaced at delivery (Record.ReplacedBy): a person sees
// the credential the holder has, once.
// It reads the organisation's index entries (credindex.go); if the index
// cannot be built it reads every record (scanCredentials).
func (s *Service) eachCredential(ctx context.Context, org string, f func(*CredentialSummary)) error {
	if _, err := s.ensureIndex(ctx); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("list credentials: %w", err)
		}
		s.log.WarnContext(ctx, "list credentials: no index; reading every record", "error", err.Error())
		return s.scanCredentials(ctx, org, f)
	}
	return s.indexedCredentials(ctx, org, f)
}

// scanCredentials is eachCredential without the index: it reads every
// organisation's records and receipts.
func (s *Service) scanCredentials(ctx context.Context, org string, f func(*CredentialSummary)) error {
	anchored, err := s.keySet(ctx, "receipt/")
	if err != nil {
		return err
	}
	err = store.Each(ctx, s.st, "cred/", credScan, func(e store.Entry) error {
		var rec credRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			s.log.WarnContext(ctx, "list credentials: undecodable record", "key", e.Key, "error", err.Error())
			return nil
		}
		if rec.Org != org || rec.ReplacedBy != "" {
			return nil // another's, or the delivered credential stands for it
		}
		c := summarize(&rec)
		_, c.Anchored = anchored[rec.ID]
		f(c)
		return nil
	})
	return credScanError(err)
}

// credScan is how the credential listings page: pages of listPageSize, at
// most MaxListScan records read.
var credScan = store.ScanOptions{PageSize: listPageSize, Max: MaxListScan}

// credScanError wraps an error of a credScan scan; more than MaxListScan
// records is ErrInvalid.
func credScanError(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrTooMany):
		return fmt.Errorf("list credentials: more than %d credentials to read: %w", MaxListScan, ErrInvalid)
	}
	return fmt.Errorf("list credentials: %w", err)
}

// keySet returns the ids stored under prefix (receipts: anchored ids).
func (s *Service) keySet(ctx context.Context, prefix string) (map[string]struct{}, error) {
	out := map[string]struct{}{}
	err := store.Each(ctx, s.st, prefix, store.ScanOptions{PageSize: listPageSize}, func(e store.Entry) error {
		out[strings.TrimPrefix(e.Key, prefix)] = struct{}{}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", prefix, err)
	}
	return out, nil
}

// summarize reads the summary of a record: the holder's name comes from
// the credential's subject (a JSON object), or from the kept request (an
// SD-JWT VC, whose claims are in disclosures).
func summarize(rec *credRecord) *CredentialSummary {
	var subject map[string]any
	var doc struct {
		Subject json.RawMessage `json:"credentialSubject"`
	}
	if len(rec.Credential) > 0 && rec.Credential[0] == '{' && json.Unmarshal(rec.Credential, &doc) == nil {
		_ = json.Unmarshal(doc.Subject, &subject) // an array subject has no single name
	}
	if subject == nil && rec.Request != nil {
		subject = rec.Request.Subject
	}
	if subject == nil && rec.Format.isSDJWT() {
		subject = sdjwtName(rec.Credential)
	}
	return summaryOf(rec, subject)
}

// summaryOf is the summary of a record whose subject is known.
func summaryOf(rec *credRecord, subject map[string]any) *CredentialSummary {
	c := &CredentialSummary{ID: rec.ID, Type: rec.Type, Template: rec.Template, Format: rec.Format,
		Holder: rec.Holder, Status: rec.Status, Issued: rec.Issued}
	if names, ok := subject["fullName"].(map[string]any); ok {
		c.HolderName = map[string]string{}
		for k, v := range names {
			if s, ok := v.(string); ok {
				c.HolderName[k] = s
			}
		}
	}
	if id, ok := subject["id"].(string); ok && c.Holder == "" {
		c.Holder = id
	}
	return c
}

// sdjwtName reads the holder's name of a stored SD-JWT VC bound to its
// holder (no request kept): the fullName disclosure, as a subject with
// only that member; nil when there is none.
func sdjwtName(raw json.RawMessage) map[string]any {
	var compact string
	if json.Unmarshal(raw, &compact) != nil {
		return nil
	}
	p, err := sdjwt.Parse(compact)
	if err != nil {
		return nil
	}
	for _, d := range p.Disclosures {
		if !d.Element && d.Name == "fullName" {
			return map[string]any{"fullName": d.Value}
		}
	}
	return nil
}

func (c *CredentialSummary) matches(lower string) bool {
	if strings.Contains(strings.ToLower(c.ID), lower) || strings.Contains(strings.ToLower(c.Holder), lower) {
		return true
	}
	for _, n := range c.HolderName {
		if strings.Contains(strings.ToLower(n), lower) {
			return true
		}
	}
	return false
}

// queryError turns the validator's errors into a ValidationError.
func queryError(err error) error {
	var fields []FieldError
	if ve, ok := err.(validator.ValidationErrors); ok {
		for _, fe := range ve {
			fields = append(fields, FieldError{Field: "/" + strings.ToLower(fe.Field()[:1]) + fe.Field()[1:], Reason: "fails " + fe.Tag() + " " + fe.Param(), ReasonZH: ruleZH(fe.Tag(), fe.Param())})
		}
	}
	if len(fields) == 0 {
		fields = []FieldError{{Field: "/", Reason: err.Error()}}
	}
	return &ValidationError{Fields: fields}
}
