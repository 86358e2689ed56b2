package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/wallet"
)

// The public verification pages, needing no account:
//
//	GET  /verify              paste, upload or give a share link
//	POST /verify              verify; the result is kept for resultTTL and shown at
//	GET  /verify/r/{id}       the result page, printable as a report
//	GET  /s/{token}           the page of a share link: the shared presentation verified live
//
// A kept result holds the pipeline's report and the subject summary of the
// credentials (what the visitor submitted), in the store under a random id
// for an hour, then it is gone.

// resultTTL is how long a verification result page stays reachable.
const resultTTL = time.Hour

func init() {
	addWebPages(func(h *handler, mux *http.ServeMux) {
		if h.verifying == nil || h.verifying.v.Pipeline == nil {
			return
		}
		once := h.oneConsoleRead
		mux.HandleFunc("GET /verify", once(h.verifyPage))
		mux.HandleFunc("POST /verify", once(h.verifySubmit))
		mux.HandleFunc("GET /verify/r/{id}", once(h.verifyResult))
		mux.HandleFunc("GET /verify/r/{id}/report.pdf", once(h.verifyResultPDF))
		if h.web.cfg.Wallet != nil {
			mux.HandleFunc("GET /s/{token}", once(h.sharePage))
			mux.HandleFunc("GET /s/{token}/report.pdf", once(h.sharePDF))
		}
	})
}

func (h *handler) verifyPage(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "verify.title")
	p.CSRF = h.formCSRF(w, r, p)
	h.render(w, r, pages.VerifyPage(p, pages.VerifyForm{}))
}

// Errors of the verification pages; verifyPageProblem maps them.
var (
	// errVerifyInput: nothing usable was submitted.
	errVerifyInput = errors.New("nothing to verify: paste a credential, upload a file or give a share link")
	// errShareUnusable: a share link whose presentation is not a share's.
	errShareUnusable = errors.New("this share link's presentation cannot be checked")
	// errResultGone: a result page past its hour.
	errResultGone = errors.New("this result is no longer kept (results stay for an hour): verify the document again")
)

func init() {
	problemMappers = append(problemMappers, verifyPageProblem)
}

// verifyPageProblems map the verification pages' errors.
var verifyPageProblems = []problemRule{
	{errVerifyInput, "validation", "Nothing to verify", http.StatusBadRequest},
	{errShareUnusable, "validation", "Share link unusable", http.StatusUnprocessableEntity},
	{errResultGone, "not-found", "Result gone", http.StatusNotFound},
}

func verifyPageProblem(err error) (Problem, bool) { return rulesProblem(verifyPageProblems, err) }

func (h *handler) verifySubmit(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "verify.title")
	if err := h.parseForm(w, r); err != nil {
		h.webFail(w, r, err)
		return
	}
	want, err := checkFormCSRF(r, p)
	if err != nil {
		h.webFail(w, r, err)
		return
	}
	p.CSRF = want
	form := pages.VerifyForm{Document: strings.TrimSpace(r.PostFormValue("document")), Receipt: strings.TrimSpace(r.PostFormValue("receipt"))}
	doc := form.Document
	b, err := formFile(r, "file", credential.MaxDocumentSize)
	if err != nil {
		h.webFail(w, r, err)
		return
	}
	if t := strings.TrimSpace(string(b)); t != "" {
		doc = t
	}
	fail := func(err error) {
		a, status := h.alertFor(r, p.Lang, err)
		if errors.Is(err, errVerifyInput) {
			a.Message, a.Next = p.T("verify.empty"), p.T("verify.empty.next")
		}
		p.Alert = &a
		h.render(w, r, pages.VerifyPage(p, form), status)
	}
	if doc == "" {
		fail(errVerifyInput)
		return
	}
	if tok, ok := h.shareToken(doc); ok {
		http.Redirect(w, r, "/s/"+url.PathEscape(tok), http.StatusSeeOther)
		return
	}
	rep, err := h.verifyDocument(r.Context(), doc, form.Receipt)
	if err != nil {
		fail(err)
		return
	}
	id := randomToken()
	raw, err := json.Marshal(keepReport(rep))
	if err != nil {
		h.webFail(w, r, err)
		return
	}
	if err := h.web.cfg.Sessions.Put(r.Context(), "verify/"+id, raw, resultTTL); err != nil {
		h.webFail(w, r, fmt.Errorf("keep the result: %w", err))
		return
	}
	http.Redirect(w, r, "/verify/r/"+id, http.StatusSeeOther)
}

// shareToken returns the token of a share link of this node ("…/share/T"
// or "…/s/T" on this node's host), if doc is one.
func (h *handler) shareToken(doc string) (string, bool) {
	if strings.ContainsAny(doc, " \n\t{") {
		return "", false
	}
	u, err := url.Parse(doc)
	if err != nil || u.Host == "" {
		return "", false
	}
	if h.web.publicURL != nil && !strings.EqualFold(u.Host, h.web.publicURL.Host) {
		return "", false
	}
	for _, prefix := range []string{"/share/", "/s/"} {
		if tok, ok := strings.CutPrefix(u.Path, prefix); ok && tok != "" && !strings.Contains(tok, "/") {
			return tok, true
		}
	}
	return "", false
}

// verifyDocument runs the pipeline over a pasted document: a JSON
// credential or presentation, or a compact VC-JWT / SD-JWT. A presentation
// pasted here answers no request of ours: it is checked against its own
// challenge (reusable, nothing recorded), and the page says so through the
// challenge step's message.
func (h *handler) verifyDocument(ctx context.Context, doc, receipt string) (*verifier.Report, error) {
	var raw json.RawMessage
	var obj map[string]any
	if strings.HasPrefix(doc, "{") {
		raw = json.RawMessage(doc)
		parsed, err := credential.ParseDocument(raw)
		if err != nil {
			return nil, err
		}
		obj = parsed
		// A wrapper {"verifiableCredential": …, "anchorReceipt": …}, as the
		// demo files and the VC-API requests are.
		if inner, ok := obj["verifiableCredential"].(map[string]any); ok && obj["type"] == nil {
			if receipt == "" && obj["anchorReceipt"] != nil {
				b, _ := json.Marshal(obj["anchorReceipt"])
				receipt = string(b)
			}
			b, _ := json.Marshal(inner)
			raw, obj = b, inner
		}
	} else {
		b, _ := json.Marshal(doc)
		raw = b
	}
	var opts verifier.Options
	if receipt != "" {
		rc, err := verifier.ParseReceipt(json.RawMessage(receipt))
		if err != nil {
			return nil, &validationError{Fields: []FieldError{{Field: "receipt", Reason: err.Error()}}}
		}
		opts.Receipt = rc
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.VerifyTimeout)
	defer cancel()
	pl := h.verifying.v.Pipeline
	if isPresentation(obj, doc) {
		opts.Challenge, opts.Domain = ownChallenge(obj)
		opts.Reusable = true
		return pl.VerifyPresentation(ctx, raw, opts)
	}
	return pl.VerifyCredential(ctx, raw, opts)
}

// isPresentation tells a presentation from a credential: by type for JSON,
// by a key-binding JWT (an SD-JWT ending in a JWT, not in "~") for compact.
func isPresentation(obj map[string]any, compact string) bool {
	if obj != nil {
		for _, t := range asStrings(obj["type"]) {
			if t == "VerifiablePresentation" || t == "EnvelopedVerifiablePresentation" {
				return true
			}
		}
		return false
	}
	return strings.Contains(compact, "~") && !strings.HasSuffix(compact, "~")
}

// ownChallenge returns the challenge and domain of a presentation's proof.
func ownChallenge(vp map[string]any) (challenge, domain string) {
	if vp == nil {
		return "", ""
	}
	proofs, _ := vp["proof"].([]any)
	if m, ok := vp["proof"].(map[string]any); ok {
		proofs = []any{m}
	}
	for _, pr := range proofs {
		if m, ok := pr.(map[string]any); ok {
			c, _ := m["challenge"].(string)
			d, _ := m["domain"].(string)
			return c, d
		}
	}
	return "", ""
}

func asStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		var out []string
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// keptReport is a report as kept for its page: the report (which never
// serialises the document) and the subject summary of each credential.
type keptReport struct {
	Report      *verifier.Report `json:"report"`
	Subject     map[string]any   `json:"subject,omitempty"`
	Credentials []keptReport     `json:"credentials,omitempty"`
}

func keepReport(r *verifier.Report) keptReport {
	k := keptReport{Report: r, Subject: r.Subject()}
	for _, c := range r.Credentials {
		k.Credentials = append(k.Credentials, keepReport(c))
	}
	return k
}

// keptResult reads the result kept under id (verifySubmit);
// errResultGone when it is not there (any more).
func (h *handler) keptResult(ctx context.Context, id string) (keptReport, error) {
	var k keptReport
	raw, err := h.web.cfg.Sessions.Get(ctx, "verify/"+id)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrInvalid) {
			err = errResultGone
		}
		return k, err
	}
	if err := json.Unmarshal(raw, &k); err != nil {
		return k, fmt.Errorf("read kept result: %w", err)
	}
	if k.Report == nil {
		return k, errors.New("read kept result: no report")
	}
	return k, nil
}

// openResult reads the kept result of r's {id} for its page or report,
// with the layout data; when it is gone it has answered r and ok is false.
func (h *handler) openResult(w http.ResponseWriter, r *http.Request) (id string, k keptReport, p pages.Page, ok bool) {
	id = r.PathValue("id")
	k, err := h.keptResult(r.Context(), id)
	if err != nil {
		h.webFail(w, r, err)
		return id, k, p, false
	}
	return id, k, h.page(w, r, "verify.result.title"), true
}

func (h *handler) verifyResult(w http.ResponseWriter, r *http.Request) {
	id, k, p, ok := h.openResult(w, r)
	if !ok {
		return
	}
	res := resultView(p.Lang, k)
	res.Permalink = "/verify/r/" + id
	res.PDFHref = res.Permalink + "/report.pdf"
	h.render(w, r, pages.ResultPage(p, res))
}

// sharePage verifies the presentation behind a share link, live, and logs
// the visit as the share's access log.
func (h *handler) sharePage(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "verify.result.title")
	sh, rep, ok := h.verifyShare(w, r, p)
	if !ok {
		return
	}
	res := resultView(p.Lang, keepReport(rep))
	res.Source = p.T("verify.share.source")
	if sh.Label != "" {
		res.Source += " · " + sh.Label
	}
	res.ShareExpires = sh.Expires
	res.PDFHref = "/s/" + url.PathEscape(r.PathValue("token")) + "/report.pdf"
	h.render(w, r, pages.ResultPage(p, res))
}

// verifyShare opens the share link of r (logging the visit in its access
// log) and verifies its presentation live, as the batch verifies share
// links (verifyingRoutes.verifyShared). When it cannot, it has answered r
// (a page saying the link is gone, or the error) and ok is false.
func (h *handler) verifyShare(w http.ResponseWriter, r *http.Request, p pages.Page) (sh *wallet.Shared, rep *verifier.Report, ok bool) {
	sh, err := h.web.cfg.Wallet.OpenShare(r.Context(), r.PathValue("token"), wallet.Visitor{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		a, status := h.alertFor(r, p.Lang, err)
		if errors.Is(err, wallet.ErrNotFound) || errors.Is(err, wallet.ErrExpired) || errors.Is(err, wallet.ErrRevoked) {
			a.Message, a.Next = p.T("verify.share.goneText"), p.T("verify.share.goneNext")
		}
		h.render(w, r, pages.ShareGone(p, a), status)
		return nil, nil, false
	}
	receipts, err := json.Marshal(sh.Receipts)
	if err != nil {
		h.webFail(w, r, err)
		return nil, nil, false
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	rep, refused, err := h.verifying.verifyShared(ctx, sh.ID, sh.Presentation.Presentation, receipts)
	if err == nil && refused != nil {
		err = fmt.Errorf("%w: %s", errShareUnusable, refused.en)
	}
	if err != nil {
		h.webFail(w, r, err)
		return nil, nil, false
	}
	return sh, rep, true
}

// resultView turns a kept report into what the result page shows, in lang.
func resultView(lang i18n.Lang, k keptReport) pages.Result {
	rep := k.Report
	res := pages.Result{
		Verdict:      verdictOf(rep.State),
		Summary:      lang.Pick(rep.SummaryZH, rep.SummaryEN),
		Kind:         rep.Kind,
		Issuer:       rep.Issuer,
		Holder:       rep.Holder,
		AnchorHeight: rep.AnchorHeight,
		AnchorTime:   rep.AnchorTime,
		CheckedAt:    rep.CheckedAt,
	}
	for _, t := range rep.Types {
		if t != "VerifiableCredential" && t != "VerifiablePresentation" {
			res.Types = append(res.Types, typeLabel(lang, t))
		}
	}
	if rep.IssuerName != nil {
		res.IssuerName = lang.Pick(rep.IssuerName.Zh, rep.IssuerName.En)
	}
	for _, s := range rep.Steps {
		res.Checks = append(res.Checks, pages.Check{
			Name: stepLabel(lang, s.Name), Step: s.Name, State: stepState(s.State),
			Message: lang.Pick(s.MessageZH, s.MessageEN),
		})
	}
	res.Claims = claimsOf(lang, k.Subject)
	for _, c := range k.Credentials {
		res.Credentials = append(res.Credentials, resultView(lang, c))
	}
	return res
}

func verdictOf(s verifier.State) string {
	switch s {
	case verifier.StateValid:
		return "pass"
	case verifier.StateWarning:
		return "warn"
	}
	return "fail"
}

func stepState(s verifier.StepState) string {
	switch s {
	case verifier.StepOK:
		return "pass"
	case verifier.StepWarning:
		return "warn"
	case verifier.StepFailed:
		return "fail"
	}
	return "skip"
}

func stepLabel(lang i18n.Lang, name string) string { return labelOr(lang, "verify.step."+name, name) }

func typeLabel(lang i18n.Lang, t string) string { return labelOr(lang, "type."+t, t) }

// claimsOf flattens a subject summary into labelled claims: nested
// objects as "degree › level", language maps {"zh":…, "en":…} as the
// page's language, the subject's id left out (it is the holder).
func claimsOf(lang i18n.Lang, subj map[string]any) []pages.Claim {
	var out []pages.Claim
	var walk func(prefix []string, m map[string]any)
	walk = func(prefix []string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if k == "type" || (len(prefix) == 0 && k == "id") {
				continue
			}
			path := append(slices.Clone(prefix), k)
			switch v := m[k].(type) {
			case map[string]any:
				if s, ok := langValue(lang, v); ok {
					out = append(out, pages.Claim{Label: claimLabel(lang, path), Value: s})
					continue
				}
				walk(path, v)
			default:
				out = append(out, pages.Claim{Label: claimLabel(lang, path), Value: claimValue(lang, k, v)})
			}
		}
	}
	walk(nil, subj)
	return out
}

// langValue reads a language map {"zh":…, "en":…} (also "zh-CN", "@value").
func langValue(lang i18n.Lang, m map[string]any) (string, bool) {
	var zh, en string
	for k, v := range m {
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		switch l, known := i18n.Parse(k); {
		case known && l == i18n.ZH:
			zh = s
		case known && l == i18n.EN:
			en = s
		default:
			return "", false
		}
	}
	if zh == "" && en == "" {
		return "", false
	}
	return lang.Pick(zh, en), true
}

func claimLabel(lang i18n.Lang, path []string) string {
	if k := "claim." + strings.Join(path, "."); i18n.Has(k) {
		return lang.T(k)
	}
	labels := make([]string, len(path))
	for i, p := range path {
		labels[i] = labelOr(lang, "claim."+p, p)
	}
	return strings.Join(labels, " › ")
}

func claimValue(lang i18n.Lang, key string, v any) string {
	switch t := v.(type) {
	case string:
		if k := "claim." + key + "." + t; i18n.Has(k) {
			return lang.T(k)
		}
		if d, err := time.Parse(time.DateOnly, t); err == nil {
			return lang.Date(d)
		}
		return t
	case bool:
		if t {
			return lang.T("claim.yes")
		}
		return lang.T("claim.no")
	case nil:
		return "—"
	default:
		var b bytes.Buffer
		json.NewEncoder(&b).Encode(t)
		return strings.TrimSpace(b.String())
	}
}
