package ui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/a-h/templ"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/qr"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/verifier/exchange"
)

// The verifier's console (/hr), for an employer's HR or a talent-policy
// office signed in with its verifier token:
//
//	GET  /hr                          overview: recent requests and their state
//	GET  /hr/requests                 the form of a presentation request
//	POST /hr/requests                 make it (→ its page)
//	GET  /hr/requests/{id}            link, QR code and the answer as it arrives
//	GET  /hr/requests/{id}/answer     the answer fragment (data-poll)
//	GET  /hr/batch, POST /hr/batch    upload a batch (JSON array, ZIP, CSV of share links)
//	GET  /hr/batch/{id}[/results.csv] its results table, as a page or CSV
//	GET  /hr/policies …               policies, editor, evaluation, decisions (web_hr_policy.go)
//
// The services have no listing per account, so the console keeps its own
// small index in the web store (WebConfig.Sessions) under
// "hr/<hash of the account id>/": requests (until a week after they
// expire), batch results (an hour), policies (no expiry), decisions (a
// day). The index holds no claim of any holder: purposes, types, dates,
// verdicts and the pipeline's reports (which never carry the document).

// hrPages serves the verifier console.
type hrPages struct {
	h  *handler
	vr *verifyingRoutes
}

// Lifetimes of the console's own records.
const (
	hrBatchTTL    = time.Hour
	hrDecisionTTL = 24 * time.Hour
	// hrRequestKeep is how long a request stays listed after it expires
	// (exchange.DefaultResultTTL: the result is readable that long).
	hrRequestKeep = exchange.DefaultResultTTL
	// hrListMax is how many requests the overview lists.
	hrListMax = 20
)

func init() {
	addWebPages(func(h *handler, mux *http.ServeMux) {
		if h.verifying == nil || h.verifying.v.Requests == nil || h.verifying.v.Accounts == nil {
			return
		}
		hp := &hrPages{h: h, vr: h.verifying}
		auth := h.forRole(pages.RoleVerifier)
		mux.HandleFunc("GET /hr", auth(hp.overview))
		mux.HandleFunc("GET /hr/requests", auth(hp.requestForm))
		mux.HandleFunc("POST /hr/requests", auth(hp.createRequest))
		mux.HandleFunc("GET /hr/requests/{id}", auth(hp.requestPage))
		mux.HandleFunc("GET /hr/requests/{id}/answer", auth(hp.answerFragment))
		mux.HandleFunc("GET /hr/batch", auth(hp.batchPage))
		mux.HandleFunc("POST /hr/batch", auth(hp.batchSubmit))
		mux.HandleFunc("GET /hr/batch/{id}", auth(hp.batchResult))
		mux.HandleFunc("GET /hr/batch/{id}/results.csv", auth(hp.batchCSV))
		hp.policyRoutes(mux, auth)
	})
}

// Errors of the console; hrProblem maps them.
var (
	// errHRGone: a batch result or decision past its time.
	errHRGone = errors.New("this result is no longer kept: run it again")
	// errHRRequest: a request page of a request not made from this console.
	errHRRequest = errors.New("no such request of this account")
)

func init() { problemMappers = append(problemMappers, hrProblem) }

// hrProblems map the console's errors.
var hrProblems = []problemRule{
	{errHRGone, "not-found", "Result gone", http.StatusNotFound},
	{errHRRequest, "not-found", "Not found", http.StatusNotFound},
}

func hrProblem(err error) (Problem, bool) { return rulesProblem(hrProblems, err) }

// hrPrefix is the index prefix of an account.
func hrPrefix(account string) string {
	sum := sha256.Sum256([]byte(account))
	return "hr/" + hex.EncodeToString(sum[:16]) + "/"
}

// hrPut stores v as JSON under the account's prefix.
func (hp *hrPages) put(ctx context.Context, s *consoleSession, key string, v any, ttl time.Duration) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	if err := hp.h.web.cfg.Sessions.Put(ctx, hrPrefix(s.Account)+key, raw, ttl); err != nil {
		return fmt.Errorf("keep %s: %w", strings.SplitN(key, "/", 2)[0], err)
	}
	return nil
}

// keepAndShow keeps v as a new record of kind ("batch", "dec") under a
// random id and redirects to its page, href followed by the id.
func (hp *hrPages) keepAndShow(w http.ResponseWriter, r *http.Request, s *consoleSession, kind string, v any, ttl time.Duration, href string) {
	id := randomToken()
	if err := hp.put(r.Context(), s, kind+"/"+id, v, ttl); err != nil {
		hp.fail(w, r, err)
		return
	}
	http.Redirect(w, r, href+url.PathEscape(id), http.StatusSeeOther)
}

// get reads a record of the account; errHRGone when it is not there.
func (hp *hrPages) get(ctx context.Context, s *consoleSession, key string, v any) error {
	if strings.ContainsAny(key, "\x00") || len(key) > 512 {
		return errHRGone
	}
	raw, err := hp.h.web.cfg.Sessions.Get(ctx, hrPrefix(s.Account)+key)
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
		return errHRGone
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return fmt.Errorf("read %s: %w", key, err)
	}
	return nil
}

// account returns the signed-in verifier's account (whether it may write
// policies): the one requireConsole re-read for this request, else read
// now; errWebRole when it was revoked since sign-in.
func (hp *hrPages) account(ctx context.Context, s *consoleSession) (*VerifierAccount, error) {
	if s.verifier != nil {
		return s.verifier, nil
	}
	a, err := hp.h.verifierAccount(ctx, s.Account)
	if errors.Is(err, errWebSignIn) {
		return nil, fmt.Errorf("%w: %v", errWebRole, err)
	}
	return a, err
}

// ---- presentation requests ----

// hrRequest is a request as the console keeps it.
type hrRequest struct {
	ID      string        `json:"id"`
	URL     string        `json:"url"`
	Purpose exchange.Text `json:"purpose"`
	Types   []string      `json:"types"`  // template ids (or types)
	Claims  []string      `json:"claims"` // "templateID:path"
	Created time.Time     `json:"created"`
	Expires time.Time     `json:"expires"`
	// Verdict is kept once the answer was read (pass, warn, fail), so
	// that the overview need not read every result.
	Verdict  string `json:"verdict,omitempty"`
	Answered bool   `json:"answered,omitempty"`
}

// hrType is a credential type a request can ask for: a template.
type hrType struct {
	ID, Type, Level string
	Claims          []string // claim paths (fullName, degree.degreeName…)
}

// types lists what a request can ask for: the issuer's templates, or the
// common types when this node issues nothing.
func (hp *hrPages) types() []hrType {
	if hp.h.issuer == nil {
		return []hrType{
			{ID: "DegreeCredential", Type: "DegreeCredential", Claims: []string{"fullName", "degree.degreeName", "degree.fieldOfStudy", "graduationDate"}},
			{ID: "TrainingCertificateCredential", Type: "TrainingCertificateCredential"},
			{ID: "CourseCompletionCredential", Type: "CourseCompletionCredential"},
		}
	}
	var out []hrType
	for _, tm := range hp.h.issuer.Templates() {
		t := hrType{ID: tm.ID, Type: tm.Type, Level: tm.Level}
		if f, err := hp.h.web.forms.form(tm); err == nil {
			for _, cf := range f.Fields {
				if !slices.Contains(t.Claims, cf.Claim) {
					t.Claims = append(t.Claims, cf.Claim)
				}
			}
		}
		out = append(out, t)
	}
	return out
}

func hrTypeLabel(lang i18n.Lang, t hrType) string {
	return labelOr(lang, "issuer.template."+t.ID, typeLabel(lang, t.Type))
}

func hrClaimLabel(lang i18n.Lang, path string) string {
	return claimLabel(lang, strings.Split(path, "."))
}

// hrExpiries are the request lifetimes offered.
var hrExpiries = []string{"15m", "1h", "24h", "168h"}

// requestFormView is the request form over types (hp.types), with what was
// posted.
func (hp *hrPages) requestFormView(lang i18n.Lang, r *http.Request, types []hrType) pages.HRRequestForm {
	f := pages.HRRequestForm{Nav: pages.HRNav{Current: "requests"}, Errors: map[string]string{}}
	posted := r.Method == http.MethodPost
	for _, t := range types {
		c := pages.HRTypeChoice{ID: t.ID, Label: hrTypeLabel(lang, t), Checked: posted && slices.Contains(r.PostForm["type"], t.ID)}
		for _, path := range t.Claims {
			c.Claims = append(c.Claims, pages.HRClaimChoice{Path: path, Label: hrClaimLabel(lang, path),
				Checked: posted && slices.Contains(r.PostForm["claim."+t.ID], path)})
		}
		f.Types = append(f.Types, c)
	}
	expiry := "1h"
	if posted {
		f.PurposeZH, f.PurposeEN = strings.TrimSpace(r.PostFormValue("purpose.zh")), strings.TrimSpace(r.PostFormValue("purpose.en"))
		expiry = r.PostFormValue("expiry")
	}
	for _, e := range hrExpiries {
		f.Expiries = append(f.Expiries, pages.HROption{Value: e, Label: lang.T("hr.req.expiry." + e), Selected: e == expiry})
	}
	return f
}

func (hp *hrPages) requestForm(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.req.title")
	f := hp.requestFormView(p.Lang, r, hp.types())
	rows, err := hp.recent(r.Context(), p.Lang, s, 5)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	f.Recent = rows
	hp.h.render(w, r, pages.HRRequestsPage(p, f))
}

// hrDefinition builds the presentation definition of the chosen types and
// claims: one input descriptor per type (the type, the degree level of a
// degree template, each chosen claim as a field that must be present),
// disclosure limited to them where the credential allows it.
func hrDefinition(id, purpose string, types []hrType, claims map[string][]string) (json.RawMessage, error) {
	type filter map[string]any
	type field struct {
		Path   []string `json:"path"`
		Filter filter   `json:"filter,omitempty"`
	}
	type descriptor struct {
		ID          string `json:"id"`
		Purpose     string `json:"purpose,omitempty"`
		Constraints struct {
			LimitDisclosure string  `json:"limit_disclosure,omitempty"`
			Fields          []field `json:"fields"`
		} `json:"constraints"`
	}
	def := struct {
		ID               string       `json:"id"`
		Purpose          string       `json:"purpose,omitempty"`
		InputDescriptors []descriptor `json:"input_descriptors"`
	}{ID: id, Purpose: purpose}
	for _, t := range types {
		d := descriptor{ID: t.ID, Purpose: purpose}
		d.Constraints.LimitDisclosure = "preferred"
		d.Constraints.Fields = append(d.Constraints.Fields, field{Path: []string{"$.type"},
			Filter: filter{"type": "array", "contains": filter{"const": t.Type}}})
		if t.Level != "" {
			d.Constraints.Fields = append(d.Constraints.Fields, field{Path: []string{"$.credentialSubject.degree.level"},
				Filter: filter{"type": "string", "const": t.Level}})
		}
		for _, c := range claims[t.ID] {
			d.Constraints.Fields = append(d.Constraints.Fields, field{Path: []string{"$.credentialSubject." + c}})
		}
		def.InputDescriptors = append(def.InputDescriptors, d)
	}
	return json.Marshal(def)
}

func (hp *hrPages) createRequest(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.req.title")
	types := hp.types()
	f := hp.requestFormView(p.Lang, r, types)
	var chosen []hrType
	claims := map[string][]string{}
	var keptClaims []string
	for _, t := range types {
		if !slices.Contains(r.PostForm["type"], t.ID) {
			continue
		}
		chosen = append(chosen, t)
		for _, c := range r.PostForm["claim."+t.ID] {
			if slices.Contains(t.Claims, c) && !slices.Contains(claims[t.ID], c) {
				claims[t.ID] = append(claims[t.ID], c)
				keptClaims = append(keptClaims, t.ID+":"+c)
			}
		}
	}
	if len(chosen) == 0 {
		f.Errors["types"] = p.T("hr.req.err.types")
	}
	if f.PurposeZH == "" {
		f.Errors["purpose.zh"] = p.T("hr.req.err.purpose")
	}
	if f.PurposeEN == "" {
		f.Errors["purpose.en"] = p.T("hr.req.err.purpose")
	}
	expiry := r.PostFormValue("expiry")
	if !slices.Contains(hrExpiries, expiry) {
		f.Errors["expiry"] = p.T("hr.req.err.expiry")
	}
	refuse := func(err error) {
		a, status := hp.h.alertFor(r, p.Lang, err)
		p.Alert = &a
		hp.h.render(w, r, pages.HRRequestsPage(p, f), status)
	}
	if len(f.Errors) > 0 {
		fields := make([]FieldError, 0, len(f.Errors))
		for k, v := range f.Errors {
			fields = append(fields, FieldError{Field: k, Reason: v})
		}
		slices.SortFunc(fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
		refuse(&validationError{Fields: fields})
		return
	}
	ttl, _ := time.ParseDuration(expiry)
	def, err := hrDefinition("hr-"+randomToken()[:12], f.PurposeEN, chosen, claims)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	req, err := hp.vr.v.Requests.Create(r.Context(), s.Account, exchange.NewRequest{
		Definition: def, Purpose: exchange.Text{Zh: f.PurposeZH, En: f.PurposeEN}, Expiry: ttl, Domain: hp.vr.v.Domain,
	})
	if err != nil {
		refuse(err)
		return
	}
	rec := hrRequest{ID: req.ID, URL: req.URL, Purpose: req.Purpose, Created: req.Created, Expires: req.Expires, Claims: keptClaims}
	for _, t := range chosen {
		rec.Types = append(rec.Types, t.ID)
	}
	if err := hp.put(r.Context(), s, "req/"+req.ID, rec, time.Until(req.Expires)+hrRequestKeep); err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/requests/"+url.PathEscape(req.ID), http.StatusSeeOther)
}

// hrList reads the account's records of a kind ("req", "pol"), those that
// decode and are whole (ok), newest first.
func hrList[T any](ctx context.Context, hp *hrPages, s *consoleSession, kind string, ok func(*T) bool, newest func(a, b T) int) ([]T, error) {
	entries, err := hp.h.web.cfg.Sessions.List(ctx, hrPrefix(s.Account)+kind+"/", store.ListOptions{Limit: store.MaxListLimit})
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(entries))
	for _, e := range entries {
		var v T
		if json.Unmarshal(e.Value, &v) == nil && ok(&v) {
			out = append(out, v)
		}
	}
	slices.SortFunc(out, newest)
	return out, nil
}

// requests lists the account's requests, newest first.
func (hp *hrPages) requests(ctx context.Context, s *consoleSession) ([]hrRequest, error) {
	return hrList(ctx, hp, s, "req", func(rq *hrRequest) bool { return rq.ID != "" },
		func(a, b hrRequest) int { return b.Created.Compare(a.Created) })
}

// recent lists up to n requests with their state, reading the result of
// those not yet known to be answered.
func (hp *hrPages) recent(ctx context.Context, lang i18n.Lang, s *consoleSession, n int) ([]pages.HRRequestRow, error) {
	list, err := hp.requests(ctx, s)
	if err != nil {
		return nil, err
	}
	if len(list) > n {
		list = list[:n]
	}
	rows := make([]pages.HRRequestRow, 0, len(list))
	types := hp.types()
	for _, rq := range list {
		if !rq.Answered {
			if _, err := hp.answer(ctx, lang, s, &rq); err != nil {
				return nil, err
			}
		}
		rows = append(rows, hp.row(lang, rq, types))
	}
	return rows, nil
}

// row is a request as the lists show it; types are what hp.types lists.
func (hp *hrPages) row(lang i18n.Lang, rq hrRequest, types []hrType) pages.HRRequestRow {
	row := pages.HRRequestRow{ID: rq.ID, Href: "/hr/requests/" + url.PathEscape(rq.ID), Purpose: lang.Pick(rq.Purpose.Zh, rq.Purpose.En),
		Created: rq.Created, Expires: rq.Expires, State: "waiting", Verdict: rq.Verdict}
	switch {
	case rq.Answered:
		row.State = "answered"
	case time.Now().After(rq.Expires):
		row.State = "expired"
	}
	for _, id := range rq.Types {
		label := id
		for _, t := range types {
			if t.ID == id {
				label = hrTypeLabel(lang, t)
			}
		}
		row.Types = append(row.Types, label)
	}
	return row
}

func (hp *hrPages) overview(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.overview.title")
	acct, err := hp.account(r.Context(), s)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	rows, err := hp.recent(r.Context(), p.Lang, s, hrListMax)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	v := pages.HROverview{Nav: pages.HRNav{Current: "overview"}, Account: acct.Name, Policies: acct.Policies, Requests: rows}
	for _, row := range rows {
		switch row.State {
		case "waiting":
			v.Waiting++
		case "answered":
			v.Answered++
		}
	}
	hp.h.render(w, r, pages.HROverviewPage(p, v))
}

// request reads one of the account's requests.
func (hp *hrPages) request(ctx context.Context, s *consoleSession, id string) (*hrRequest, error) {
	var rq hrRequest
	if id == "" || strings.Contains(id, "/") {
		return nil, errHRRequest
	}
	if err := hp.get(ctx, s, "req/"+id, &rq); err != nil {
		if errors.Is(err, errHRGone) {
			return nil, errHRRequest
		}
		return nil, err
	}
	return &rq, nil
}

// answer reads the request's outcome into its answer view, remembering in
// the index once it is answered.
func (hp *hrPages) answer(ctx context.Context, lang i18n.Lang, s *consoleSession, rq *hrRequest) (pages.HRAnswer, error) {
	a := pages.HRAnswer{PollHref: "/hr/requests/" + url.PathEscape(rq.ID) + "/answer", PageHref: "/hr/requests/" + url.PathEscape(rq.ID),
		State: "waiting", Expires: rq.Expires}
	res, err := hp.vr.v.Requests.Result(ctx, s.Account, rq.ID)
	switch {
	case errors.Is(err, exchange.ErrPending):
		if time.Now().After(rq.Expires) {
			a.State = "expired"
		}
		return a, nil
	case errors.Is(err, exchange.ErrExpired), errors.Is(err, exchange.ErrNotFound) && time.Now().After(rq.Expires):
		a.State = "expired"
		return a, nil
	case err != nil:
		return a, err
	}
	a.State, a.Accepted, a.Satisfied, a.Received = "answered", res.Accepted, res.Satisfied, res.Received
	a.Failures = res.Failures
	if res.Report != nil {
		k := keepReport(res.Report)
		hrAttachSubjects(&k, res.Presentation)
		view := resultView(lang, k)
		a.Result = &view
	}
	verdict := "fail"
	if res.Report != nil {
		verdict = verdictOf(res.Report.State)
	} else if res.Verified {
		verdict = "pass"
	}
	if !res.Accepted {
		verdict = "fail"
	}
	if !rq.Answered || rq.Verdict != verdict {
		rq.Answered, rq.Verdict = true, verdict
		if err := hp.put(ctx, s, "req/"+rq.ID, rq, time.Until(rq.Expires)+hrRequestKeep); err != nil {
			hp.h.log.WarnContext(ctx, "hr: remember an answered request", "error", err.Error())
		}
	}
	return a, nil
}

// hrAttachSubjects puts the disclosed claims of a presentation's JSON
// credentials beside their reports (a kept report carries no document): the
// verifier sees what the holder chose to send.
func hrAttachSubjects(k *keptReport, vp json.RawMessage) {
	doc, err := credential.ParseDocument(vp)
	if err != nil {
		return
	}
	var list []any
	switch v := doc["verifiableCredential"].(type) {
	case []any:
		list = v
	case map[string]any:
		list = []any{v}
	}
	for i, c := range list {
		m, ok := c.(map[string]any)
		if !ok || i >= len(k.Credentials) {
			continue
		}
		if k.Credentials[i].Subject == nil {
			k.Credentials[i].Subject = (&verifier.Report{Document: m}).Subject()
		}
	}
}

func (hp *hrPages) requestView(ctx context.Context, p pages.Page, s *consoleSession, rq *hrRequest) (pages.HRRequestView, error) {
	v := pages.HRRequestView{Nav: pages.HRNav{Current: "requests"}, Link: rq.URL,
		WalletHref: "/my/requests?request=" + url.QueryEscape(rq.URL)}
	svg, err := qr.SVG(rq.URL, 240)
	if err != nil {
		return v, fmt.Errorf("request QR code: %w", err)
	}
	v.QR = templ.Raw(string(svg))
	for _, c := range rq.Claims {
		if _, path, ok := strings.Cut(c, ":"); ok {
			if l := hrClaimLabel(p.Lang, path); !slices.Contains(v.Asked, l) {
				v.Asked = append(v.Asked, l)
			}
		}
	}
	a, err := hp.answer(ctx, p.Lang, s, rq)
	if err != nil {
		return v, err
	}
	v.Answer = a
	v.Row = hp.row(p.Lang, *rq, hp.types())
	return v, nil
}

func (hp *hrPages) requestPage(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.req.page.title")
	rq, err := hp.request(r.Context(), s, r.PathValue("id"))
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	v, err := hp.requestView(r.Context(), p, s, rq)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	hp.h.render(w, r, pages.HRRequestPage(p, v))
}

// answerFragment answers the fragment app.js swaps in; without the
// fragment header, the whole page.
func (hp *hrPages) answerFragment(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if r.Header.Get("X-Fragment") == "" {
		http.Redirect(w, r, "/hr/requests/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
		return
	}
	p := hp.h.page(w, r, "hr.req.page.title")
	rq, err := hp.request(r.Context(), s, r.PathValue("id"))
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	a, err := hp.answer(r.Context(), p.Lang, s, rq)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	hp.h.render(w, r, pages.HRAnswerFragment(p, a))
}
