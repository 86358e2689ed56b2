package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/verifier/policy"
)

// Talent policies from the console: the account's policies (kept in the
// console's index when saved here), the editor (CEL rules in textareas, a
// rule that does not compile refused with its line and column beside it),
// and decisions over a pasted or uploaded presentation or credentials, with
// the signed decision credential to download.

func (hp *hrPages) policyRoutes(mux *http.ServeMux, auth func(consoleHandler) http.HandlerFunc) {
	if hp.vr.v.Policies == nil || hp.vr.v.Decisions == nil {
		return
	}
	mux.HandleFunc("GET /hr/policies", auth(hp.policies))
	mux.HandleFunc("GET /hr/policies/new", auth(hp.newPolicy))
	mux.HandleFunc("GET /hr/policies/{id}/edit", auth(hp.editPolicy))
	mux.HandleFunc("POST /hr/policies", auth(hp.savePolicy))
	mux.HandleFunc("GET /hr/policies/evaluate", auth(hp.evalForm))
	mux.HandleFunc("POST /hr/policies/evaluate", auth(hp.evaluate))
	mux.HandleFunc("GET /hr/decisions/{id}", auth(hp.decision))
	mux.HandleFunc("GET /hr/decisions/{id}/credential.json", auth(hp.decisionCredential))
}

// hrPolicy is a policy as the console's index keeps it.
type hrPolicy struct {
	ID      string      `json:"id"`
	Version int         `json:"version"`
	Name    policy.Text `json:"name"`
	Rules   int         `json:"rules"`
	Saved   time.Time   `json:"saved"`
}

// hrEmptyRules is how many blank rule slots the editor offers.
const hrEmptyRules = 1

// fail renders err as an error page with the console's own next steps.
func (hp *hrPages) fail(w http.ResponseWriter, r *http.Request, err error) {
	p := hp.h.page(w, r, "error.title")
	a, status := hp.h.alertFor(r, p.Lang, err)
	if errors.Is(err, errPolicyOffice) {
		a.Message, a.Next = p.T("hr.pol.noRight"), p.T("hr.pol.noRight.next")
		a.NextHref, a.NextText = "/hr/policies", p.T("hr.nav.policies")
	}
	if errors.Is(err, errHRGone) {
		a.Next, a.NextHref, a.NextText = p.T("hr.gone.next"), "/hr", p.T("hr.back")
	}
	hp.h.render(w, r, pages.ErrorPage(p, a), status)
}

// ownPolicies lists the policies saved from this console, newest first.
func (hp *hrPages) ownPolicies(ctx context.Context, s *consoleSession) ([]hrPolicy, error) {
	return hrList(ctx, hp, s, "pol", func(p *hrPolicy) bool { return p.ID != "" },
		func(a, b hrPolicy) int { return b.Saved.Compare(a.Saved) })
}

func (hp *hrPages) policies(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.pol.title")
	acct, err := hp.account(r.Context(), s)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	list, err := hp.ownPolicies(r.Context(), s)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("done") == "saved" {
		p.Flash = p.Lang.F("hr.pol.saved.flash", r.URL.Query().Get("policy"))
	}
	v := pages.HRPoliciesView{Nav: pages.HRNav{Current: "policies"}, CanWrite: acct.Policies}
	for _, pol := range list {
		v.Policies = append(v.Policies, pages.HRPolicyRow{ID: pol.ID, Name: p.Lang.Pick(pol.Name.Zh, pol.Name.En), Version: pol.Version,
			Rules: pol.Rules, Saved: pol.Saved, EditHref: "/hr/policies/" + url.PathEscape(pol.ID) + "/edit",
			EvalHref: "/hr/policies/evaluate?policy=" + url.QueryEscape(pol.ID)})
	}
	hp.h.render(w, r, pages.HRPoliciesPage(p, v))
}

// mayWrite refuses accounts without the policy right.
func (hp *hrPages) mayWrite(ctx context.Context, s *consoleSession) error {
	acct, err := hp.account(ctx, s)
	if err != nil {
		return err
	}
	if !acct.Policies {
		return errPolicyOffice
	}
	return nil
}

func (hp *hrPages) newPolicy(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := hp.mayWrite(r.Context(), s); err != nil {
		hp.fail(w, r, err)
		return
	}
	p := hp.h.page(w, r, "hr.pol.newTitle")
	f := pages.HRPolicyForm{Nav: pages.HRNav{Current: "policies"}, Errors: map[string]string{}}
	f.Rules = hrRuleSlots(nil, 1)
	hp.h.render(w, r, pages.HRPolicyEditPage(p, f))
}

func (hp *hrPages) editPolicy(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := hp.mayWrite(r.Context(), s); err != nil {
		hp.fail(w, r, err)
		return
	}
	p := hp.h.page(w, r, "hr.pol.title")
	pol, err := hp.vr.v.Policies.Get(r.Context(), r.PathValue("id"), 0)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	f := pages.HRPolicyForm{Nav: pages.HRNav{Current: "policies"}, Editing: true, ID: pol.ID, Version: pol.Version,
		NameZH: pol.Name.Zh, NameEN: pol.Name.En, Combine: pol.Combine, Errors: map[string]string{}}
	var rules []pages.HRRuleInput
	for _, ru := range pol.Rules {
		rules = append(rules, pages.HRRuleInput{ID: ru.ID, NameZH: ru.Name.Zh, NameEN: ru.Name.En, Expr: ru.Expr, Description: ru.Description})
	}
	f.Rules = hrRuleSlots(rules, hrEmptyRules)
	hp.h.render(w, r, pages.HRPolicyEditPage(p, f))
}

// hrRuleSlots numbers the rules and adds blank slots, up to MaxRules.
func hrRuleSlots(rules []pages.HRRuleInput, blank int) []pages.HRRuleInput {
	for range blank {
		if len(rules) >= policy.MaxRules {
			break
		}
		rules = append(rules, pages.HRRuleInput{})
	}
	for i := range rules {
		rules[i].N = i
	}
	return rules
}

// hrPolicyForm reads the editor's form: the rules that have anything
// written in them, in order.
func hrPolicyForm(r *http.Request) pages.HRPolicyForm {
	get := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := pages.HRPolicyForm{Nav: pages.HRNav{Current: "policies"}, Editing: get("editing") == "1", ID: get("id"),
		NameZH: get("name.zh"), NameEN: get("name.en"), Combine: get("combine"), Errors: map[string]string{}}
	f.Version, _ = strconv.Atoi(get("version"))
	for i := range policy.MaxRules {
		n := "rule." + strconv.Itoa(i) + "."
		ru := pages.HRRuleInput{ID: get(n + "id"), NameZH: get(n + "name.zh"), NameEN: get(n + "name.en"),
			Expr: strings.TrimRight(r.PostFormValue(n+"expr"), " \t\r\n"), Description: get(n + "description")}
		if ru.ID == "" && ru.NameZH == "" && ru.NameEN == "" && strings.TrimSpace(ru.Expr) == "" && ru.Description == "" {
			continue
		}
		f.Rules = append(f.Rules, ru)
	}
	return f
}

// hrPolicyOf turns the form into a policy: a name missing in one language
// takes the other's, a rule without a name its id.
func hrPolicyOf(f pages.HRPolicyForm) policy.Policy {
	pick := func(a, b string) string {
		if a != "" {
			return a
		}
		return b
	}
	pol := policy.Policy{ID: f.ID, Version: f.Version, Name: policy.Text{Zh: pick(f.NameZH, f.NameEN), En: pick(f.NameEN, f.NameZH)}, Combine: f.Combine}
	for _, ru := range f.Rules {
		zh, en := pick(ru.NameZH, pick(ru.NameEN, ru.ID)), pick(ru.NameEN, pick(ru.NameZH, ru.ID))
		pol.Rules = append(pol.Rules, policy.Rule{ID: ru.ID, Name: policy.Text{Zh: zh, En: en}, Expr: ru.Expr, Description: ru.Description})
	}
	return pol
}

// hrPlaceErrors puts a refusal next to the field it is about: a rule that
// does not compile beside its textarea with line and column, the
// combination beside its field, an input error by its field name. It
// reports whether the error found a place.
func hrPlaceErrors(lang i18n.Lang, f *pages.HRPolicyForm, err error) bool {
	if ce, ok := errors.AsType[*policy.CompileError](err); ok {
		msgs := make([]string, len(ce.Issues))
		for i, is := range ce.Issues {
			msgs[i] = is.Message
			if i > 0 {
				msgs[i] = lang.F("hr.pol.at", is.Line, is.Column) + " " + is.Message
			}
		}
		msg := strings.Join(msgs, "; ")
		if ce.Rule == "combine" {
			if len(ce.Issues) > 0 {
				msg = lang.F("hr.pol.at", ce.Issues[0].Line, ce.Issues[0].Column) + " " + msg
			}
			f.Errors["combine"] = msg
			return true
		}
		for i := range f.Rules {
			if f.Rules[i].ID == ce.Rule {
				f.Rules[i].Error = msg
				if len(ce.Issues) > 0 {
					f.Rules[i].Line, f.Rules[i].Column = ce.Issues[0].Line, ce.Issues[0].Column
				}
				return true
			}
		}
		return false
	}
	if ie, ok := errors.AsType[*policy.InputError](err); ok {
		field := strings.ToLower(ie.Field)
		switch {
		case field == "id" || field == "name.zh" || field == "name.en" || field == "combine":
			f.Errors[field] = ie.Reason
			return true
		case strings.HasPrefix(field, "rules"):
			// rules[i]…: beside the rule when the index is readable.
			if i, err := strconv.Atoi(strings.TrimSuffix(strings.SplitN(strings.TrimPrefix(field, "rules["), "]", 2)[0], "]")); err == nil && i >= 0 && i < len(f.Rules) {
				f.Rules[i].Error = ie.Field + ": " + ie.Reason
				return true
			}
			f.Errors["rules"] = ie.Field + ": " + ie.Reason
			return true
		}
	}
	return false
}

func (hp *hrPages) savePolicy(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.pol.title")
	if err := hp.mayWrite(r.Context(), s); err != nil {
		hp.fail(w, r, err)
		return
	}
	f := hrPolicyForm(r)
	if r.PostFormValue("more") != "" {
		f.Rules = hrRuleSlots(f.Rules, 1)
		hp.h.render(w, r, pages.HRPolicyEditPage(p, f))
		return
	}
	refuse := func(err error) {
		placed := hrPlaceErrors(p.Lang, &f, err)
		a, status := hp.h.alertFor(r, p.Lang, err)
		if placed {
			a.Message, a.Next = p.T("hr.pol.err.placed"), p.T("hr.pol.err.placed.next")
		}
		if errors.Is(err, policy.ErrConflict) {
			a.Next = p.T("hr.pol.err.conflict")
		}
		p.Alert = &a
		f.Rules = hrRuleSlots(f.Rules, 0)
		if len(f.Rules) == 0 {
			f.Rules = hrRuleSlots(nil, 1)
		}
		hp.h.render(w, r, pages.HRPolicyEditPage(p, f), status)
	}
	if len(f.Rules) == 0 {
		f.Errors["rules"] = p.T("hr.pol.err.noRules")
		refuse(&validationError{Fields: []FieldError{{Field: "rules", Reason: "write at least one rule"}}})
		return
	}
	c, err := hp.vr.v.Policies.Save(r.Context(), s.Account, hrPolicyOf(f))
	if err != nil {
		refuse(err)
		return
	}
	saved := c.Policy()
	rec := hrPolicy{ID: saved.ID, Version: saved.Version, Name: saved.Name, Rules: len(saved.Rules), Saved: saved.Created}
	if rec.Saved.IsZero() {
		rec.Saved = time.Now().UTC()
	}
	if err := hp.put(r.Context(), s, "pol/"+saved.ID, rec, 0); err != nil {
		hp.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/hr/policies?done=saved&policy="+url.QueryEscape(fmt.Sprintf("%s v%d", saved.ID, saved.Version)), http.StatusSeeOther)
}

// ---- decisions ----

func (hp *hrPages) evalView(ctx context.Context, lang i18n.Lang, s *consoleSession, selected string) (pages.HREvalForm, error) {
	f := pages.HREvalForm{Nav: pages.HRNav{Current: "policies"}}
	list, err := hp.ownPolicies(ctx, s)
	if err != nil {
		return f, err
	}
	found := false
	for _, pol := range list {
		sel := pol.ID == selected
		found = found || sel
		f.Policies = append(f.Policies, pages.HROption{Value: pol.ID, Label: lang.Pick(pol.Name.Zh, pol.Name.En) + " (" + pol.ID + ")", Selected: sel})
	}
	if !found {
		f.Other = selected
	}
	return f, nil
}

func (hp *hrPages) evalForm(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.eval.title")
	f, err := hp.evalView(r.Context(), p.Lang, s, r.URL.Query().Get("policy"))
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	hp.h.render(w, r, pages.HREvalPage(p, f))
}

// errHREvalInput: nothing to decide on.
var errHREvalInput = &validationError{Fields: []FieldError{{Field: "document", Reason: "paste or upload a presentation or credentials"}}}

// errHREvalPolicy: no policy chosen.
var errHREvalPolicy = &validationError{Fields: []FieldError{{Field: "policy", Reason: "choose a policy or give its id"}}}

// hrDecisionBody reads what was pasted for a decision into the body POST
// /policies/{id}/decisions takes: that body itself; a presentation (its own
// challenge and domain are used); a credential, a {verifiableCredential,
// anchorReceipt} file as the wallet exports it, or an array of either. A
// receipts text, when given, replaces the receipts found; an applicant,
// when not given, is the first credential's subject.
func hrDecisionBody(doc, receipts, applicant string) (*decisionBody, error) {
	doc = strings.TrimSpace(strings.TrimPrefix(doc, "\ufeff"))
	if doc == "" {
		return nil, errHREvalInput
	}
	if doc[0] != '{' && doc[0] != '[' {
		return nil, &validationError{Fields: []FieldError{{Field: "document", Reason: "must be JSON: a presentation, a credential or an array of credentials"}}}
	}
	body := &decisionBody{Applicant: applicant}
	addCredential := func(item json.RawMessage, recs *[]json.RawMessage) error {
		m, err := credential.ParseDocument(item)
		if err != nil {
			return &validationError{Fields: []FieldError{{Field: "document", Reason: err.Error()}}}
		}
		if inner, ok := m["verifiableCredential"]; ok && m["type"] == nil {
			b, _ := json.Marshal(inner)
			body.VerifiableCredentials = append(body.VerifiableCredentials, b)
			rc, _ := json.Marshal(m["anchorReceipt"])
			*recs = append(*recs, rc)
			return nil
		}
		body.VerifiableCredentials = append(body.VerifiableCredentials, item)
		*recs = append(*recs, json.RawMessage("null"))
		return nil
	}
	var recs []json.RawMessage
	if doc[0] == '[' {
		var items []json.RawMessage
		if err := json.Unmarshal([]byte(doc), &items); err != nil {
			return nil, &validationError{Fields: []FieldError{{Field: "document", Reason: "not a JSON array: " + err.Error()}}}
		}
		for _, it := range items {
			if err := addCredential(it, &recs); err != nil {
				return nil, err
			}
		}
	} else {
		m, err := credential.ParseDocument(json.RawMessage(doc))
		if err != nil {
			return nil, &validationError{Fields: []FieldError{{Field: "document", Reason: err.Error()}}}
		}
		_, hasVP := m["verifiablePresentation"]
		_, hasVCs := m["verifiableCredentials"]
		switch {
		case hasVP || hasVCs:
			if err := json.Unmarshal([]byte(doc), body); err != nil {
				return nil, &validationError{Fields: []FieldError{{Field: "document", Reason: err.Error()}}}
			}
			if applicant != "" {
				body.Applicant = applicant
			}
		case isPresentation(m, ""):
			body.VerifiablePresentation = json.RawMessage(doc)
		default:
			if err := addCredential(json.RawMessage(doc), &recs); err != nil {
				return nil, err
			}
		}
	}
	if len(recs) > 0 && slices.ContainsFunc(recs, func(r json.RawMessage) bool { return present(r) }) {
		body.AnchorReceipts, _ = json.Marshal(recs)
	}
	if t := strings.TrimSpace(receipts); t != "" {
		body.AnchorReceipts = json.RawMessage(t)
	}
	if present(body.VerifiablePresentation) && body.Options.Challenge == "" {
		if vp, err := credential.ParseDocument(body.VerifiablePresentation); err == nil {
			body.Options.Challenge, body.Options.Domain = ownChallenge(vp)
		}
	}
	if body.Applicant == "" && len(body.VerifiableCredentials) > 0 {
		if m, err := credential.ParseDocument(body.VerifiableCredentials[0]); err == nil {
			if subj, ok := m["credentialSubject"].(map[string]any); ok {
				body.Applicant, _ = subj["id"].(string)
			}
		}
	}
	return body, nil
}

// hrDecision is a decision as kept for its page and download.
type hrDecision struct {
	Outcome *DecisionOutcome `json:"outcome"`
}

func (hp *hrPages) evaluate(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.eval.title")
	policyID := strings.TrimSpace(r.PostFormValue("policy"))
	other := strings.TrimSpace(r.PostFormValue("policy.other"))
	if other != "" {
		policyID = other
	}
	f, err := hp.evalView(r.Context(), p.Lang, s, policyID)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	f.Document, f.Receipts, f.Applicant = r.PostFormValue("document"), r.PostFormValue("receipts"), strings.TrimSpace(r.PostFormValue("applicant"))
	b, err := formFile(r, "file", credential.MaxDocumentSize*4)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	if t := strings.TrimSpace(string(b)); t != "" {
		f.Document = t
	}
	refuse := func(err error) {
		a, status := hp.h.alertFor(r, p.Lang, err)
		switch {
		case errors.Is(err, errHREvalPolicy):
			a.Message, a.Next = p.T("hr.eval.err.policy"), p.T("hr.eval.err.policy.next")
		case errors.Is(err, errHREvalInput):
			a.Message, a.Next = p.T("hr.eval.err.input"), p.T("hr.eval.err.input.next")
		case errors.Is(err, policy.ErrNotFound):
			a.Next = p.T("hr.eval.err.notFound")
		}
		p.Alert = &a
		if len(f.Document) > 64<<10 {
			f.Document = "" // not echoed back in full
		}
		hp.h.render(w, r, pages.HREvalPage(p, f), status)
	}
	if policyID == "" {
		refuse(errHREvalPolicy)
		return
	}
	body, err := hrDecisionBody(f.Document, f.Receipts, f.Applicant)
	if err != nil {
		refuse(err)
		return
	}
	req, err := decisionRequest(policyID, body)
	if err != nil {
		refuse(err)
		return
	}
	// A presentation pasted here answers no request of ours: it may be
	// evaluated again, against another policy (as /verify does).
	req.PresentationOptions.Reusable = true
	ctx, cancel := context.WithTimeout(r.Context(), hp.h.cfg.VerifyTimeout)
	defer cancel()
	out, err := hp.vr.v.Decisions.Decide(ctx, *req)
	if err != nil {
		refuse(err)
		return
	}
	hp.keepAndShow(w, r, s, "dec", hrDecision{Outcome: out}, hrDecisionTTL, "/hr/decisions/")
}

func (hp *hrPages) keptDecision(r *http.Request, s *consoleSession) (*DecisionOutcome, error) {
	var d hrDecision
	if err := hp.get(r.Context(), s, "dec/"+r.PathValue("id"), &d); err != nil {
		return nil, err
	}
	if d.Outcome == nil || d.Outcome.Decision == nil {
		return nil, errHRGone
	}
	return d.Outcome, nil
}

func (hp *hrPages) decision(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.dec.title")
	out, err := hp.keptDecision(r, s)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	d := out.Decision
	v := pages.HRDecisionView{Nav: pages.HRNav{Current: "policies"}, Eligible: d.Eligible, Reason: p.Lang.Pick(d.Reason.Zh, d.Reason.En),
		Policy: p.Lang.Pick(d.Policy.Name.Zh, d.Policy.Name.En), PolicyID: d.Policy.ID, Version: d.Policy.Version, Applicant: d.Applicant,
		EvaluatedAt: d.EvaluatedAt, DownloadHref: "/hr/decisions/" + url.PathEscape(r.PathValue("id")) + "/credential.json",
		EvalHref: "/hr/policies/evaluate?policy=" + url.QueryEscape(d.Policy.ID)}
	for _, ru := range d.Rules {
		v.Rules = append(v.Rules, pages.HRRuleOutcome{ID: ru.ID, Name: p.Lang.Pick(ru.Name.Zh, ru.Name.En), Passed: ru.Passed,
			Reason: p.Lang.Pick(ru.Reason.Zh, ru.Reason.En), Error: ru.Error})
	}
	for _, e := range d.Excluded {
		v.Excluded = append(v.Excluded, pages.HRExcluded{ID: e.ID, Reason: p.Lang.Pick(e.Reason.Zh, e.Reason.En)})
	}
	for _, rep := range out.Reports {
		if rep != nil {
			v.Reports = append(v.Reports, resultView(p.Lang, keepReport(rep)))
		}
	}
	hp.h.render(w, r, pages.HRDecisionPage(p, v))
}

func (hp *hrPages) decisionCredential(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	out, err := hp.keptDecision(r, s)
	if err != nil {
		hp.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out.Credential); err != nil {
		hp.fail(w, r, err)
		return
	}
	name := fmt.Sprintf("decision-%s-v%d.json", out.Decision.Policy.ID, out.Decision.Policy.Version)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}
