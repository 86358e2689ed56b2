package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/internal/qr"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// The issuer staff's pages (/org): dashboard, issue from a template form,
// CSV batches with a live progress bar, search and status changes, claim
// offers, courses and the organisation's on-chain record. Every page is
// for a signed-in staff member of the organisation (console role staff);
// what a page offers follows the staff role's scopes.

// issStaffPages is what the staff pages need of the issuer service beyond
// Issuing; *issuer.Service satisfies it.
type issStaffPages interface {
	ListCredentials(ctx context.Context, org string, q issuer.CredentialQuery) (*issuer.CredentialPage, error)
	CredentialStats(ctx context.Context, org string, months int) (*issuer.CredentialStats, error)
	Org(ctx context.Context, did string) (*issuer.Org, error)
}

// issuerWeb serves the staff pages.
type issuerWeb struct {
	h   *handler
	svc issStaffPages
}

// Errors of the staff pages.
var (
	errIssuerNoFile   = fmt.Errorf("%w: choose a CSV file to upload", errMalformedRequest)
	errIssuerReason   = fmt.Errorf("%w: give a reason for the change (it is recorded with it)", errMalformedRequest)
	errIssuerTemplate = fmt.Errorf("no such template: %w", issuer.ErrNotFound)
)

func init() {
	addWebPages(func(h *handler, mux *http.ServeMux) {
		svc, ok := h.issuer.(issStaffPages)
		if h.issuer == nil || !ok {
			return
		}
		iw := &issuerWeb{h: h, svc: svc}
		staff := h.forRole(pages.RoleStaff)
		mux.HandleFunc("GET /org", staff(iw.dashboard))
		mux.HandleFunc("GET /org/issue", staff(iw.issueForm))
		mux.HandleFunc("POST /org/issue", staff(iw.issueSubmit))
		mux.HandleFunc("GET /org/credentials", staff(iw.search))
		mux.HandleFunc("GET /org/credentials/{id}", staff(iw.credential))
		mux.HandleFunc("POST /org/credentials/{id}/status", staff(iw.setStatus))
		mux.HandleFunc("GET /org/record", staff(iw.record))
		mux.HandleFunc("GET /org/templates/{id}/example.csv", staff(iw.exampleCSV))
		if h.web.cfg.Offers != nil {
			mux.HandleFunc("POST /org/credentials/{id}/offer", staff(iw.createOffer))
		}
		if h.batches != nil {
			mux.HandleFunc("GET /org/batches", staff(iw.batches))
			mux.HandleFunc("POST /org/batches", staff(iw.upload))
			mux.HandleFunc("GET /org/batches/{id}", staff(iw.batch))
			mux.HandleFunc("GET /org/batches/{id}/progress", staff(iw.progress))
			mux.HandleFunc("POST /org/batches/{id}/start", staff(iw.startBatch))
			mux.HandleFunc("POST /org/batches/{id}/cancel", staff(iw.cancelBatch))
			mux.HandleFunc("GET /org/batches/{id}/results", staff(iw.results))
		}
		if h.courses != nil {
			iw.courseRoutes(mux, staff)
		}
	})
}

// need refuses a session without scope.
func issNeed(s *consoleSession, scope issuer.Scope) error {
	if !s.can(scope) {
		return fmt.Errorf("%w: your staff role lacks the %q permission", errWebRole, scope)
	}
	return nil
}

// page is the layout data of a staff page with its flash (?done=, the
// catalogue's issuer.flash.*).
func (iw *issuerWeb) page(w http.ResponseWriter, r *http.Request, titleKey string) pages.Page {
	return iw.h.flashPage(w, r, titleKey, "issuer")
}

// nav is the sub-navigation with the organisation's name.
func (iw *issuerWeb) nav(r *http.Request, lang i18n.Lang, s *consoleSession, active string) pages.IssuerNav {
	n := pages.IssuerNav{Active: active, OrgDID: s.Org, OrgName: s.Org, Courses: iw.h.courses != nil}
	if o, err := iw.svc.Org(r.Context(), s.Org); err == nil {
		n.OrgName = lang.Pick(o.Names.Zh, o.Names.En)
	}
	return n
}

func (iw *issuerWeb) dashboard(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.dash.title")
	st, err := iw.svc.CredentialStats(r.Context(), s.Org, 12)
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	v := pages.IssuerDashboard{Nav: iw.nav(r, p.Lang, s, "dashboard"), Total: st.Total,
		Active: st.ByStatus[issuer.StatusActive], Revoked: st.ByStatus[issuer.StatusRevoked],
		Suspended: st.ByStatus[issuer.StatusSuspended], Anchored: st.Anchored,
		CanIssue: s.can(issuer.ScopeIssue), CanStatus: s.can(issuer.ScopeStatus), CoursesEnabled: iw.h.courses != nil}
	types := make([]string, 0, len(st.ByType))
	for t := range st.ByType {
		types = append(types, t)
	}
	slices.Sort(types)
	for _, t := range types {
		v.ByType = append(v.ByType, pages.IssuerCount{Label: issTypeLabel(p.Lang, t), Value: st.ByType[t], Href: "/org/credentials?type=" + url.QueryEscape(t)})
	}
	labels, values := make([]string, len(st.ByMonth)), make([]int, len(st.ByMonth))
	for i, m := range st.ByMonth {
		labels[i] = issMonthShort(p.Lang, m.Month)
		values[i] = m.Issued
		v.Months = append(v.Months, pages.IssuerCount{Label: p.Lang.Month(m.Month), Value: m.Issued})
	}
	v.Chart = pages.NewBarChart(p.T("issuer.dash.byMonth"), labels, values)
	if iw.h.batches != nil {
		jobs, err := iw.h.batches.Jobs(r.Context(), s.Org)
		if err != nil {
			iw.h.webFail(w, r, err)
			return
		}
		v.Batches = issBatchRows(p.Lang, jobs[:min(len(jobs), 5)])
	}
	iw.h.render(w, r, pages.IssuerDashboardPage(p, v))
}

// issMonthShort is a chart axis label: 11月 or Nov.
func issMonthShort(lang i18n.Lang, t time.Time) string {
	if lang == i18n.EN {
		return t.Format("Jan")
	}
	return strconv.Itoa(int(t.Month())) + "月"
}

// issTypeLabel names a credential type (the type itself when the
// catalogue does not).
func issTypeLabel(lang i18n.Lang, typ string) string { return labelOr(lang, "issuer.type."+typ, typ) }

// issTemplateLabel names a template (its id when the catalogue does not).
func issTemplateLabel(lang i18n.Lang, id string) string {
	return labelOr(lang, "issuer.template."+id, id)
}

func issBatchRows(lang i18n.Lang, jobs []*issuer.Job) []pages.BatchRow {
	rows := make([]pages.BatchRow, 0, len(jobs))
	for _, j := range jobs {
		rows = append(rows, issBatchRow(lang, j))
	}
	return rows
}

func issBatchRow(lang i18n.Lang, j *issuer.Job) pages.BatchRow {
	return pages.BatchRow{ID: j.ID, Href: "/org/batches/" + url.PathEscape(j.ID), Template: issTemplateLabel(lang, j.Template),
		Format: issFormatLabel(lang, j.Format),
		Status: string(j.Status), Total: j.Total, Issued: j.Issued, Failed: j.Failed, Created: j.Created}
}

// issBatchFormats are the formats a batch can issue, in the order the
// upload form offers them.
var issBatchFormats = []issuer.Format{issuer.FormatV2, issuer.FormatSDJWT, issuer.FormatV1}

// issFormatLabel names a credential format; a job of before formats were
// recorded is vc2.
func issFormatLabel(lang i18n.Lang, f issuer.Format) string {
	if f == "" {
		f = issuer.FormatV2
	}
	return lang.T("issuer.format." + string(f))
}

// issFormatChoices are the upload form's format options, selected marking one.
func issFormatChoices(lang i18n.Lang, selected string) []pages.SelectOption {
	out := make([]pages.SelectOption, 0, len(issBatchFormats))
	for _, f := range issBatchFormats {
		out = append(out, pages.SelectOption{Value: string(f), Label: issFormatLabel(lang, f), Selected: string(f) == selected})
	}
	return out
}

// templateChoices lists the templates, selected marking one.
func (iw *issuerWeb) templateChoices(lang i18n.Lang, selected string) []pages.TemplateChoice {
	var out []pages.TemplateChoice
	for _, t := range iw.h.issuer.Templates() {
		out = append(out, pages.TemplateChoice{ID: t.ID, Label: issTemplateLabel(lang, t.ID), TypeLabel: issTypeLabel(lang, t.Type),
			Href: "/org/issue?template=" + url.QueryEscape(t.ID), ExampleHref: "/org/templates/" + url.PathEscape(t.ID) + "/example.csv",
			Selected: t.ID == selected})
	}
	return out
}

// template returns template id and its form, built once per version of
// its schema (templateForms); the form is shared: read it, never change it.
func (iw *issuerWeb) template(id string) (issuer.Template, *issTemplateForm, error) {
	for _, t := range iw.h.issuer.Templates() {
		if t.ID == id {
			f, err := iw.h.web.forms.form(t)
			return t, f, err
		}
	}
	return issuer.Template{}, nil, fmt.Errorf("%w: %q", errIssuerTemplate, id)
}

func (iw *issuerWeb) issueForm(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.issue.title")
	id := r.URL.Query().Get("template")
	v := pages.IssueForm{Nav: iw.nav(r, p.Lang, s, "issue"), Templates: iw.templateChoices(p.Lang, id)}
	if id != "" {
		_, f, err := iw.template(id)
		if err != nil {
			iw.h.webFail(w, r, err)
			return
		}
		v.Template, v.Title = id, issTemplateLabel(p.Lang, id)
		v.Groups = issFormGroups(p.Lang, f, map[string]string{}, map[string]string{})
	}
	iw.h.render(w, r, pages.IssueFormPage(p, v))
}

func (iw *issuerWeb) issueSubmit(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.issue.title")
	id := r.PostFormValue("template")
	_, f, err := iw.template(id)
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	values := map[string]string{}
	for k := range r.PostForm {
		values[k] = r.PostFormValue(k)
	}
	subj, errs := f.subject(p.Lang, r.PostFormValue)
	req := &issuer.Request{Template: id, Subject: subj, Holder: strings.TrimSpace(r.PostFormValue("holder"))}
	if vu := strings.TrimSpace(r.PostFormValue("validUntil")); vu != "" {
		t, perr := time.Parse(time.DateOnly, vu)
		if perr != nil {
			errs["validUntil"] = p.T("issuer.issue.wantDate")
		} else {
			req.ValidUntil = t.Add(24*time.Hour - time.Second)
		}
	}
	var rec *issuer.Record
	if len(errs) == 0 {
		ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
		defer cancel()
		rec, err = iw.h.issuer.Issue(ctx, s.Org, req)
		if errors.Is(err, issuer.ErrAnchorPending) && rec != nil {
			err = nil // stored; the anchor follows and the page says so
		}
	} else {
		err = fmt.Errorf("%w: %d fields", errMalformedRequest, len(errs))
	}
	if err != nil {
		var ve *issuer.ValidationError
		var pageErrs []string
		if errors.As(err, &ve) {
			pageErrs = f.fieldErrors(ve, errs, p.Lang)
		}
		a, status := iw.h.alertFor(r, p.Lang, err)
		if errors.Is(err, issuer.ErrNotAccredited) || errors.Is(err, issuer.ErrIssuerNotActive) {
			a.Next, a.NextHref, a.NextText = p.T("issuer.issue.notAccreditedNext"), "/org/record", p.T("issuer.nav.record")
		}
		if len(errs) > 0 {
			a = pages.Alert{Message: p.T("issuer.issue.fix"), Next: p.T("issuer.issue.fixNext")}
		}
		p.Alert = &a
		v := pages.IssueForm{Nav: iw.nav(r, p.Lang, s, "issue"), Templates: iw.templateChoices(p.Lang, id),
			Template: id, Title: issTemplateLabel(p.Lang, id), Errors: pageErrs,
			Groups: issFormGroups(p.Lang, f, values, errs)}
		iw.h.render(w, r, pages.IssueFormPage(p, v), status)
		return
	}
	http.Redirect(w, r, issCredHref(rec.ID)+"?done=issued", http.StatusSeeOther)
}

func issCredHref(id string) string { return "/org/credentials/" + url.PathEscape(id) }

// issWebStatus is the badge status of a record.
func issWebStatus(s issuer.Status) string {
	if s == issuer.StatusActive {
		return "valid"
	}
	return string(s)
}

func (iw *issuerWeb) search(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.creds.title")
	qs := r.URL.Query()
	v := pages.CredentialSearch{Nav: iw.nav(r, p.Lang, s, "credentials"), Q: qs.Get("q"), Type: qs.Get("type"),
		Status: qs.Get("status"), From: qs.Get("from"), To: qs.Get("to"), CanStatus: s.can(issuer.ScopeStatus), Back: p.Path}
	q := issuer.CredentialQuery{Text: v.Q, Type: v.Type, Status: issuer.Status(v.Status), Limit: 20}
	if v.From != "" {
		t, err := time.Parse(time.DateOnly, v.From)
		if err != nil {
			v.Errors = append(v.Errors, p.T("issuer.creds.badFrom"))
		}
		q.From = t
	}
	if v.To != "" {
		t, err := time.Parse(time.DateOnly, v.To)
		if err != nil {
			v.Errors = append(v.Errors, p.T("issuer.creds.badTo"))
		} else {
			q.To = t.AddDate(0, 0, 1) // the day given is included
		}
	}
	page, _ := strconv.Atoi(qs.Get("page"))
	page = max(page, 1)
	q.Offset = (page - 1) * q.Limit
	for _, t := range []string{issuer.TypeDegree, issuer.TypeTraining, issuer.TypeCompletion} {
		v.Types = append(v.Types, pages.SelectOption{Value: t, Label: issTypeLabel(p.Lang, t), Selected: t == v.Type})
	}
	for _, st := range []issuer.Status{issuer.StatusActive, issuer.StatusSuspended, issuer.StatusRevoked} {
		v.Statuses = append(v.Statuses, pages.SelectOption{Value: string(st), Label: p.T("status." + issWebStatus(st)), Selected: string(st) == v.Status})
	}
	if len(v.Errors) == 0 {
		res, err := iw.svc.ListCredentials(r.Context(), s.Org, q)
		var ve *issuer.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, fe := range ve.Fields {
				v.Errors = append(v.Errors, fe.Field+": "+fe.In(string(p.Lang)))
			}
		case err != nil:
			iw.h.webFail(w, r, err)
			return
		default:
			v.Total, v.Page = res.Total, page
			v.Pages = max(1, (res.Total+q.Limit-1)/q.Limit)
			for _, c := range res.Items {
				name := p.Lang.Pick(c.HolderName["zh"], c.HolderName["en"])
				if name == "" {
					name = p.T("issuer.creds.noName")
				}
				v.Items = append(v.Items, pages.CredentialRow{ID: c.ID, Href: issCredHref(c.ID), Name: name, Holder: c.Holder,
					TypeLabel: issTemplateLabel(p.Lang, c.Template), Status: issWebStatus(c.Status), Issued: c.Issued, Anchored: c.Anchored})
			}
			pageHref := func(n int) string {
				q := r.URL.Query()
				q.Set("page", strconv.Itoa(n))
				return "/org/credentials?" + q.Encode()
			}
			if page > 1 {
				v.PrevHref = pageHref(page - 1)
			}
			if page < v.Pages {
				v.NextHref = pageHref(page + 1)
			}
		}
	}
	iw.h.render(w, r, pages.CredentialSearchPage(p, v))
}

func (iw *issuerWeb) credential(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.cred.title")
	rec, err := iw.h.issuer.Credential(r.Context(), s.Org, r.PathValue("id"))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	v := pages.CredentialView{Nav: iw.nav(r, p.Lang, s, "credentials"), ID: rec.ID, Href: issCredHref(rec.ID),
		TypeLabel: issTemplateLabel(p.Lang, rec.Template), Template: rec.Template, Format: string(rec.Format),
		Status: issWebStatus(rec.Status), StatusNote: rec.StatusNote, Issued: rec.Issued,
		CanStatus: s.can(issuer.ScopeStatus), CanOffer: s.can(issuer.ScopeIssue) && iw.h.web.cfg.Offers != nil}
	if v.Format == "" {
		v.Format = string(issuer.FormatV2)
	}
	p.Title = v.TypeLabel
	var pretty bytes.Buffer
	if json.Indent(&pretty, rec.Credential, "", "  ") == nil {
		v.JSON = pretty.String()
	} else {
		v.JSON = string(rec.Credential)
	}
	var doc struct {
		Subject map[string]any `json:"credentialSubject"`
	}
	if json.Unmarshal(rec.Credential, &doc) == nil && doc.Subject != nil {
		if id, ok := doc.Subject["id"].(string); ok {
			v.Holder = id
		}
		v.Claims = issFlattenClaims(p.Lang, "", doc.Subject)
		if _, f, err := iw.template(rec.Template); err == nil {
			issOrderClaims(v.Claims, f)
		}
	}
	if rc := rec.Receipt; rc != nil {
		v.Anchor = &pages.AnchorView{Root: rc.Root, TxHash: rc.TxHash, ChainID: rc.ChainID, Height: rc.Height, Time: rc.Time, Leaf: rc.LeafIndex, Size: rc.TreeSize}
	}
	if nonce := r.URL.Query().Get("offer"); nonce != "" {
		var o pages.OfferView
		if iw.h.takeWebOnce(r.Context(), s, "offer", nonce, &o) {
			svg, err := qr.SVG(o.ClaimURL, 240)
			if err == nil {
				o.QR = string(svg)
			}
			v.Offer = &o
		} else {
			p.Alert = &pages.Alert{Message: p.T("issuer.offer.gone"), Next: p.T("issuer.offer.goneNext")}
		}
	}
	iw.h.render(w, r, pages.CredentialPage(p, v))
}

// issFlattenClaims lists a subject's claims as label/value lines, language
// maps in the page's language.
func issFlattenClaims(lang i18n.Lang, prefix string, m map[string]any) []pages.IssuerClaim {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var out []pages.IssuerClaim
	for _, k := range keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		if path == "id" || k == "type" {
			continue
		}
		switch val := m[k].(type) {
		case map[string]any:
			if zh, en, ok := issLangMap(val); ok {
				out = append(out, pages.IssuerClaim{Label: issClaimLabel(lang, path), Value: lang.Pick(zh, en), Path: path})
				continue
			}
			out = append(out, issFlattenClaims(lang, path, val)...)
		case []any:
			parts := make([]string, 0, len(val))
			for _, it := range val {
				parts = append(parts, fmt.Sprint(it))
			}
			out = append(out, pages.IssuerClaim{Label: issClaimLabel(lang, path), Value: strings.Join(parts, "；"), Path: path})
		default:
			out = append(out, pages.IssuerClaim{Label: issClaimLabel(lang, path), Value: issOptionLabel(lang, fmt.Sprint(val)), Path: path})
		}
	}
	return out
}

// issOrderClaims puts claims in the order of the template's form; claims
// it does not ask for come last.
func issOrderClaims(claims []pages.IssuerClaim, f *issTemplateForm) {
	rank := func(path string) int {
		for i, cf := range f.Fields {
			if cf.Claim == path || cf.Path == path {
				return i
			}
		}
		return len(f.Fields)
	}
	slices.SortStableFunc(claims, func(a, b pages.IssuerClaim) int { return rank(a.Path) - rank(b.Path) })
}

// langMap reports whether m is a language map and its zh and en texts.
func issLangMap(m map[string]any) (zh, en string, ok bool) {
	for k, v := range m {
		s, isStr := v.(string)
		if !isStr || len(k) < 2 || len(k) > 8 || strings.ToLower(k) != k {
			return "", "", false
		}
		switch {
		case k == "zh" || strings.HasPrefix(k, "zh-"):
			zh = s
		case k == "en" || strings.HasPrefix(k, "en-"):
			en = s
		default:
			if en == "" {
				en = s
			}
		}
	}
	return zh, en, len(m) > 0
}

func (iw *issuerWeb) setStatus(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeStatus); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	id := r.PathValue("id")
	status := issuer.Status(r.PostFormValue("status"))
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	if reason == "" {
		iw.h.webFail(w, r, errIssuerReason)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	if _, err := iw.h.issuer.SetStatus(ctx, s.Org, issuer.StatusChange{IDs: []string{id}, Status: status, Reason: reason,
		Actor: "staff:" + s.Account}); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	back := safeNext(r.PostFormValue("back"))
	if back == "" || !strings.HasPrefix(back, "/org/") {
		back = issCredHref(id)
	}
	http.Redirect(w, r, issWithQuery(back, "done", string(status)), http.StatusSeeOther)
}

// issWithQuery sets one query parameter of a local URL.
func issWithQuery(local, key, value string) string {
	u, err := url.Parse(local)
	if err != nil {
		return local
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

func (iw *issuerWeb) createOffer(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	id := r.PathValue("id")
	o, err := iw.h.web.cfg.Offers.CreateOffer(r.Context(), s.Org, id, 0, r.PostFormValue("pin") != "")
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	nonce, err := iw.h.putWebOnce(r.Context(), s, "offer", pages.OfferView{ClaimURL: o.ClaimURL, URI: o.URI, TxCode: o.TxCode, Expires: o.Expires})
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, issCredHref(id)+"?offer="+nonce+"#offer", http.StatusSeeOther)
}

func (iw *issuerWeb) exampleCSV(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	_, f, err := iw.template(r.PathValue("id"))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+r.PathValue("id")+`-example.csv"`)
	io.WriteString(w, f.exampleCSV())
}

func (iw *issuerWeb) batches(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.batch.title")
	jobs, err := iw.h.batches.Jobs(r.Context(), s.Org)
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	v := pages.BatchesView{Nav: iw.nav(r, p.Lang, s, "batches"), Templates: iw.templateChoices(p.Lang, r.URL.Query().Get("template")),
		Formats: issFormatChoices(p.Lang, r.URL.Query().Get("format")), Jobs: issBatchRows(p.Lang, jobs)}
	iw.h.render(w, r, pages.BatchesPage(p, v))
}

// upload validates a CSV into a job: ready (its check report is clean,
// Start issues it) or invalid (the report lists every bad row).
func (iw *issuerWeb) upload(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	if r.MultipartForm == nil || len(r.MultipartForm.File["file"]) == 0 {
		iw.h.webFail(w, r, errIssuerNoFile)
		return
	}
	fh := r.MultipartForm.File["file"][0]
	f, err := fh.Open()
	if err != nil {
		iw.h.webFail(w, r, fmt.Errorf("%w: the upload could not be read: %v", errMalformedRequest, err))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, issuer.MaxCSVBytes+1))
	if err != nil {
		iw.h.webFail(w, r, fmt.Errorf("%w: the upload could not be read: %v", errMalformedRequest, err))
		return
	}
	if len(data) > issuer.MaxCSVBytes {
		iw.h.webFail(w, r, fmt.Errorf("%w: a CSV file may hold %d bytes", errTooLarge, issuer.MaxCSVBytes))
		return
	}
	job, err := iw.h.batches.CreateJob(r.Context(), s.Org, "staff:"+s.Account, r.PostFormValue("template"), data,
		issuer.JobOptions{Format: issuer.Format(r.PostFormValue("format"))})
	if job != nil && job.ID != "" && (err == nil || errors.Is(err, issuer.ErrInvalid)) {
		http.Redirect(w, r, "/org/batches/"+url.PathEscape(job.ID), http.StatusSeeOther)
		return
	}
	if err == nil {
		err = errors.New("the batch service returned no job")
	}
	iw.h.webFail(w, r, err)
}

func (iw *issuerWeb) batch(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.page(w, r, "issuer.batch.jobTitle")
	j, err := iw.h.batches.Job(r.Context(), s.Org, r.PathValue("id"))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	prog := issProgressOf(j)
	prog.CanCancel = s.can(issuer.ScopeIssue)
	v := pages.BatchView{Nav: iw.nav(r, p.Lang, s, "batches"), Job: issBatchRow(p.Lang, j), Progress: prog,
		BadRows: j.BadRows, Error: j.Error, ResultsHref: "/org/batches/" + url.PathEscape(j.ID) + "/results",
		CanStart:   s.can(issuer.ScopeIssue) && (j.Status == issuer.JobReady || j.Status == issuer.JobFailed),
		CanCancel:  s.can(issuer.ScopeIssue) && (j.Status == issuer.JobReady || j.Status == issuer.JobRunning || j.Status == issuer.JobFailed),
		HasResults: j.Issued+j.Failed > 0}
	if j.Status == issuer.JobInvalid {
		v.BadRows = max(v.BadRows, 1)
	}
	for _, e := range j.Errors {
		v.Problems = append(v.Problems, pages.RowProblem{Line: e.Line, Key: e.Key, Column: e.Column, Reason: e.In(string(p.Lang))})
	}
	iw.h.render(w, r, pages.BatchPage(p, v))
}

// issProgressOf is a job's progress fragment.
func issProgressOf(j *issuer.Job) pages.BatchProgress {
	href := "/org/batches/" + url.PathEscape(j.ID)
	b := pages.BatchProgress{ID: j.ID, PollHref: href + "/progress", PageHref: href, Status: string(j.Status),
		Total: j.Total, Done: j.Issued + j.Failed, Issued: j.Issued, Failed: j.Failed,
		Finished: j.Status.Finished() && j.Status != issuer.JobReady}
	if j.Total > 0 {
		b.Percent = min(100, b.Done*100/j.Total)
	} else if j.Status == issuer.JobDone {
		b.Percent = 100
	}
	return b
}

// progress answers the fragment app.js swaps in (and, without the
// fragment header, the whole page).
func (iw *issuerWeb) progress(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if r.Header.Get("X-Fragment") == "" {
		http.Redirect(w, r, "/org/batches/"+url.PathEscape(r.PathValue("id")), http.StatusSeeOther)
		return
	}
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	p := iw.h.page(w, r, "issuer.batch.jobTitle")
	j, err := iw.h.batches.Job(r.Context(), s.Org, r.PathValue("id"))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	prog := issProgressOf(j)
	prog.CanCancel = s.can(issuer.ScopeIssue)
	iw.h.render(w, r, pages.BatchProgressFragment(p, prog))
}

func (iw *issuerWeb) startBatch(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	iw.jobAction(w, r, s, iw.h.batches.StartJob, "started")
}

func (iw *issuerWeb) cancelBatch(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	iw.jobAction(w, r, s, iw.h.batches.CancelJob, "canceled")
}

func (iw *issuerWeb) jobAction(w http.ResponseWriter, r *http.Request, s *consoleSession,
	act func(ctx context.Context, org, id string) (*issuer.Job, error), done string) {
	if err := issNeed(s, issuer.ScopeIssue); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	j, err := act(r.Context(), s.Org, r.PathValue("id"))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/org/batches/"+url.PathEscape(j.ID)+"?done="+done, http.StatusSeeOther)
}

func (iw *issuerWeb) results(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := issNeed(s, issuer.ScopeRead); err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	res, err := iw.h.batches.JobResults(r.Context(), s.Org, r.PathValue("id"))
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	writeJobResults(w, r.PathValue("id"), res)
}

func (iw *issuerWeb) record(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := iw.page(w, r, "issuer.record.title")
	o, err := iw.svc.Org(r.Context(), s.Org)
	if err != nil {
		iw.h.webFail(w, r, err)
		return
	}
	v := pages.OrgRecordView{Nav: iw.nav(r, p.Lang, s, "record"), Record: iw.h.orgRecord(r.Context(), p.Lang, o)}
	iw.h.render(w, r, pages.OrgRecordPage(p, v))
}

// orgRecord reads an organisation's on-chain record: its status, keys
// and accreditations as the chain holds them (the service's own view of
// the keys when the chain is not readable).
func (h *handler) orgRecord(ctx context.Context, lang i18n.Lang, o *issuer.Org) pages.OrgRecord {
	rec := pages.OrgRecord{DID: o.DID, NameZh: o.Names.Zh, NameEn: o.Names.En, Kind: o.Kind, Status: "unregistered"}
	ch := h.web.cfg.Chain
	var is *chain.Issuer
	if ch != nil {
		var err error
		is, err = ch.Issuer(ctx, o.DID)
		switch {
		case errors.Is(err, chain.ErrNotFound):
		case err != nil:
			rec.ChainError = lang.F("issuer.record.chainError", err.Error())
		}
	}
	if is == nil {
		for _, k := range o.Keys {
			rec.Keys = append(rec.Keys, pages.KeyRow{ID: k.ID, PublicKey: k.PublicKeyMultibase, From: k.Created, Until: k.RotatedOut, Current: k.ID == o.CurrentKey})
		}
		return rec
	}
	rec.Status, rec.Registered, rec.RegisteredHeight = is.Status, is.RegisteredTime, is.RegisteredHeight
	for _, k := range slices.Backward(is.Keys) {
		kr := pages.KeyRow{ID: k.ID, PublicKey: k.PublicKeyMultibase, From: k.ValidFromTime, Current: k.ValidUntilHeight == 0}
		if k.ValidUntilTime != nil {
			kr.Until = *k.ValidUntilTime
		}
		rec.Keys = append(rec.Keys, kr)
	}
	var accs []chain.Accreditation
	if err := ch.List(ctx, chain.PathAccreditation+o.DID, &accs); err != nil && !errors.Is(err, chain.ErrNotFound) {
		rec.ChainError = lang.F("issuer.record.chainError", err.Error())
	}
	for _, a := range accs {
		for _, g := range slices.Backward(a.Grants) {
			ar := pages.AccreditationRow{Type: a.CredentialType, Levels: issLevelsText(lang, g.Levels), Since: g.GrantedTime, Active: g.WithdrawnHeight == 0}
			if g.WithdrawnTime != nil {
				ar.Until = *g.WithdrawnTime
			}
			rec.Accreditations = append(rec.Accreditations, ar)
		}
	}
	return rec
}

func issLevelsText(lang i18n.Lang, levels []string) string {
	if len(levels) == 0 {
		return "—"
	}
	out := make([]string, len(levels))
	for i, l := range levels {
		out[i] = issOptionLabel(lang, l)
	}
	return strings.Join(out, "、")
}
