package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/a-h/templ"

	"github.com/talentchain/talentchain/internal/pdfdoc"
	"github.com/talentchain/talentchain/internal/qr"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/wallet"
)

// The holder's (student's) pages under /my: the wallet in the browser, over
// the same Wallet service as the JSON API of wallet.go. The holder signs in
// with the wallet's own session cookie (WalletCookie), not the console
// session; every POST carries the session's CSRF token (form field csrf, or
// the X-CSRF-Token header) checked by the wallet in constant time.
//
// Three answers to a POST are not redirects, on purpose: a new share link
// (its token is shown once and is neither stored nor put in a URL), the
// certificate PDF and the backup file (downloads).

func init() {
	addWebPages(func(h *handler, mux *http.ServeMux) {
		if h.web == nil || h.web.cfg.Wallet == nil {
			return
		}
		hp := &holderPages{h: h, w: h.web.cfg.Wallet, o: h.web.cfg.Offers, names: &holderIssuerNames{m: map[string]holderIssuerNameEntry{}}}
		hp.register(mux)
	})
}

// holderPages serves the holder's pages.
type holderPages struct {
	h     *handler
	w     Wallet
	o     Offers // nil: offers of this node are shown without their names
	names *holderIssuerNames
}

func (hp *holderPages) register(mux *http.ServeMux) {
	mux.HandleFunc("GET /my/signup", hp.signupPage)
	mux.HandleFunc("POST /my/signup", hp.signupSubmit)
	mux.HandleFunc("GET /my/login", hp.loginPage)
	mux.HandleFunc("POST /my/login", hp.loginSubmit)
	mux.HandleFunc("POST /my/logout", hp.logout)
	mux.HandleFunc("GET /my", hp.authed(hp.walletPage))
	mux.HandleFunc("GET /my/credentials/{id}", hp.authed(hp.credentialPage))
	mux.HandleFunc("POST /my/credentials/{id}/delete", hp.authed(hp.deleteCredential))
	mux.HandleFunc("POST /my/credentials/{id}/certificate", hp.authed(hp.certificate))
	mux.HandleFunc("GET /my/offers", hp.authed(hp.offerPage))
	mux.HandleFunc("POST /my/offers", hp.authed(hp.acceptOffer))
	mux.HandleFunc("POST /my/import", hp.authed(hp.importFile))
	mux.HandleFunc("GET /my/shares", hp.authed(hp.sharesPage))
	mux.HandleFunc("POST /my/shares", hp.authed(hp.createShare))
	mux.HandleFunc("GET /my/shares/{id}", hp.authed(hp.sharePage))
	mux.HandleFunc("POST /my/shares/{id}/revoke", hp.authed(hp.revokeShare))
	mux.HandleFunc("GET /my/requests", hp.authed(hp.requestPage))
	mux.HandleFunc("POST /my/requests/{id}/consent", hp.authed(hp.consent))
	mux.HandleFunc("POST /my/requests/{id}/decline", hp.authed(hp.decline))
	mux.HandleFunc("GET /my/requests/{id}/result", hp.authed(hp.requestResult))
	mux.HandleFunc("GET /my/backup", hp.authed(hp.backupPage))
	mux.HandleFunc("POST /my/backup", hp.authed(hp.backup))
	mux.HandleFunc("POST /my/restore", hp.authed(hp.restore))
}

// holderSession is the signed-in holder of a request.
type holderSession struct {
	id   string // the wallet session id (the cookie's value)
	sess *wallet.Session
	csrf string
}

// errHolderForm is a holder form the page itself refuses (mapped to 400 by
// holderProblem); *holderFormError says which text to show.
var errHolderForm = errors.New("the form is not complete or not consistent")

// holderFormError is a refused holder form: Key is the catalogue text.
type holderFormError struct{ Key, Field string }

func (e *holderFormError) Error() string        { return errHolderForm.Error() + ": " + e.Field }
func (e *holderFormError) Is(target error) bool { return target == errHolderForm }

func init() { problemMappers = append(problemMappers, holderProblem) }

// holderProblem maps the holder pages' own refusals.
func holderProblem(err error) (Problem, bool) {
	if fe, ok := errors.AsType[*holderFormError](err); ok {
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid form", Status: http.StatusBadRequest,
			Detail: err.Error(), Errors: []FieldError{{Field: fe.Field, Reason: fe.Key}}}, true
	}
	return Problem{}, false
}

// session returns r's holder session, or nil.
func (hp *holderPages) session(r *http.Request) *holderSession {
	c, err := r.Cookie(WalletCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil
	}
	sess, err := hp.w.Authenticate(r.Context(), c.Value)
	if err != nil {
		if !errors.Is(err, wallet.ErrUnauthenticated) {
			hp.h.log.WarnContext(r.Context(), "wallet session check failed", slog.String("error", err.Error()))
		}
		return nil
	}
	return &holderSession{id: c.Value, sess: sess, csrf: hp.w.CSRFToken(c.Value)}
}

// page is the layout data of a holder page: the wallet's user and form
// token (never a console session's), and the flash of a ?done= redirect
// (the catalogue's holder.flash.*; a restore's flash counts what it did).
func (hp *holderPages) page(w http.ResponseWriter, r *http.Request, s *holderSession, titleKey string) pages.Page {
	p := hp.h.flashPage(w, r, titleKey, "holder")
	p.User, p.CSRF = nil, ""
	if s != nil {
		p.User = &pages.User{Role: pages.RoleHolder, Name: s.sess.Username}
		p.CSRF = s.csrf
	}
	if q := r.URL.Query(); q.Get("done") == "restored" {
		added, _ := strconv.Atoi(q.Get("added"))
		skipped, _ := strconv.Atoi(q.Get("skipped"))
		p.Flash = p.Lang.F("holder.flash.restored", added, skipped)
	}
	return p
}

// authed runs next for a signed-in holder; a GET without a session goes to
// the sign-in page, a POST without one (or without the form token) is
// refused.
func (hp *holderPages) authed(next func(http.ResponseWriter, *http.Request, *holderSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := hp.session(r)
		if s == nil {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/my/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			hp.fail(w, r, nil, errWebSignIn)
			return
		}
		if r.Method == http.MethodPost {
			if err := hp.readForm(w, r, s); err != nil {
				hp.fail(w, r, s, err)
				return
			}
		}
		next(w, r, s)
	}
}

// readForm reads a POSTed form of the holder's session s and has the
// wallet check its token (the form's csrf field, else the X-CSRF-Token
// header) in constant time.
func (hp *holderPages) readForm(w http.ResponseWriter, r *http.Request, s *holderSession) error {
	if err := hp.h.parseForm(w, r); err != nil {
		return err
	}
	tok := r.PostFormValue("csrf")
	if tok == "" {
		tok = r.Header.Get(CSRFHeader)
	}
	if err := hp.w.CheckCSRF(s.id, tok); err != nil {
		return errWebCSRF
	}
	return nil
}

// alert words err for the holder, with the next step.
func (hp *holderPages) alert(r *http.Request, lang i18n.Lang, err error) (pages.Alert, int) {
	a, status := hp.h.alertFor(r, lang, err)
	var fe *holderFormError
	switch {
	case errors.As(err, &fe):
		a.Message, a.Next = lang.T(fe.Key), lang.T("error.tryAgain")
	case errors.Is(err, errWebSignIn), errors.Is(err, wallet.ErrUnauthenticated):
		a.Message, a.Next = lang.T("holder.err.signIn"), ""
		a.NextHref, a.NextText = "/my/login", lang.T("holder.login.title")
	case errors.Is(err, wallet.ErrRateLimited):
		wait := time.Minute
		if rl, ok := errors.AsType[*wallet.RateLimitError](err); ok {
			wait = rl.RetryAfter
		}
		a.Message, a.Next = lang.F("holder.err.rateLimited", holderWaitWords(lang, wait)), lang.T("holder.err.rateLimited.next")
	case errors.Is(err, wallet.ErrBackup):
		a.Message, a.Next = lang.T("holder.err.backup"), lang.T("holder.err.backup.next")
	case errors.Is(err, wallet.ErrOfferRefused):
		a.Message, a.Next = lang.T("holder.err.offerRefused"), lang.T("holder.err.offerRefused.next")
	case errors.Is(err, wallet.ErrNotHolder):
		a.Next = lang.T("holder.err.notHolder.next")
	case errors.Is(err, wallet.ErrRejected):
		a.Next = lang.T("holder.err.rejected.next")
	case errors.Is(err, wallet.ErrConflict):
		a.Next = lang.T("holder.err.conflict.next")
	case errors.Is(err, wallet.ErrExpired), errors.Is(err, wallet.ErrRevoked):
		a.Next = lang.T("holder.err.expired.next")
	case errors.Is(err, wallet.ErrForbiddenURL), errors.Is(err, wallet.ErrRemote), errors.Is(err, wallet.ErrUnsupported):
		a.Next = lang.T("holder.err.remote.next")
	case errors.Is(err, wallet.ErrNotFound):
		a.Next, a.NextHref, a.NextText = lang.T("holder.err.notFound.next"), "/my", lang.T("holder.back")
	case errors.Is(err, wallet.ErrInvalid):
		a.Next = lang.T("holder.err.invalid.next")
	}
	return a, status
}

// holderWaitWords says how long to wait: "3 minutes", "40 seconds".
func holderWaitWords(lang i18n.Lang, d time.Duration) string {
	if d < time.Minute {
		return lang.F("holder.wait.seconds", max(int(d.Round(time.Second)/time.Second), 1))
	}
	return lang.F("holder.wait.minutes", int((d+time.Minute-1)/time.Minute))
}

// fail renders err as a whole holder error page.
func (hp *holderPages) fail(w http.ResponseWriter, r *http.Request, s *holderSession, err error) {
	p := hp.page(w, r, s, "error.title")
	p.Flash = ""
	a, status := hp.alert(r, p.Lang, err)
	if errors.Is(err, wallet.ErrRateLimited) {
		holderSetRetryAfter(w, err)
	}
	hp.h.render(w, r, pages.ErrorPage(p, a), status)
}

func holderSetRetryAfter(w http.ResponseWriter, err error) {
	if rl, ok := errors.AsType[*wallet.RateLimitError](err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(int(rl.RetryAfter.Round(time.Second)/time.Second), 1)))
	}
}

// --- sign-up, sign-in, sign-out

func (hp *holderPages) signupPage(w http.ResponseWriter, r *http.Request) {
	p := hp.page(w, r, nil, "holder.signup.title")
	p.CSRF = hp.h.formCSRF(w, r, pages.Page{})
	hp.h.render(w, r, pages.HolderAuth(p, pages.HolderAuthView{SignUp: true}))
}

func (hp *holderPages) loginPage(w http.ResponseWriter, r *http.Request) {
	if s := hp.session(r); s != nil {
		http.Redirect(w, r, "/my", http.StatusSeeOther)
		return
	}
	p := hp.page(w, r, nil, "holder.login.title")
	p.CSRF = hp.h.formCSRF(w, r, pages.Page{})
	hp.h.render(w, r, pages.HolderAuth(p, pages.HolderAuthView{Next: holderNext(r.URL.Query().Get("next"))}))
}

// holderNext keeps a local /my path to return to after signing in.
func holderNext(next string) string {
	next = safeNext(next)
	if next == "/my" || strings.HasPrefix(next, "/my/") || strings.HasPrefix(next, "/my?") {
		return next
	}
	return ""
}

// preForm reads a signed-out form (sign-up, sign-in) and checks its
// pre-session token, which it returns for the page shown again.
func (hp *holderPages) preForm(w http.ResponseWriter, r *http.Request) (string, error) {
	if err := hp.h.parseForm(w, r); err != nil {
		return "", err
	}
	return checkFormCSRF(r, pages.Page{})
}

func (hp *holderPages) signupSubmit(w http.ResponseWriter, r *http.Request) {
	pre, err := hp.preForm(w, r)
	if err != nil {
		hp.fail(w, r, nil, err)
		return
	}
	v := pages.HolderAuthView{SignUp: true, Username: strings.TrimSpace(r.PostFormValue("username"))}
	pass := r.PostFormValue("password")
	err = nil
	if pass != r.PostFormValue("password2") {
		err = &holderFormError{Key: "holder.err.passwordMismatch", Field: "password2"}
	}
	if err == nil {
		_, err = hp.w.SignUp(r.Context(), wallet.SignUp{Username: v.Username, Password: pass})
	}
	var sess *wallet.Session
	if err == nil {
		sess, err = hp.w.Login(r.Context(), wallet.Login{Username: v.Username, Password: pass, IP: clientIP(r), UserAgent: r.UserAgent()})
	}
	if err != nil {
		p := hp.page(w, r, nil, "holder.signup.title")
		p.Flash, p.CSRF = "", pre
		a, status := hp.alert(r, p.Lang, err)
		p.Alert = &a
		hp.h.render(w, r, pages.HolderAuth(p, v), status)
		return
	}
	hp.h.setSessionCookie(w, WalletCookie, sess.ID, 0)
	http.Redirect(w, r, "/my?done=welcome", http.StatusSeeOther)
}

func (hp *holderPages) loginSubmit(w http.ResponseWriter, r *http.Request) {
	pre, err := hp.preForm(w, r)
	if err != nil {
		hp.fail(w, r, nil, err)
		return
	}
	v := pages.HolderAuthView{Username: strings.TrimSpace(r.PostFormValue("username")), Next: holderNext(r.PostFormValue("next"))}
	sess, err := hp.w.Login(r.Context(), wallet.Login{Username: v.Username, Password: r.PostFormValue("password"), IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		p := hp.page(w, r, nil, "holder.login.title")
		p.Flash, p.CSRF = "", pre
		a, status := hp.alert(r, p.Lang, err)
		if errors.Is(err, wallet.ErrUnauthenticated) {
			a.Message, a.Next, a.NextHref = p.T("holder.err.login"), p.T("holder.err.login.next"), ""
		}
		p.Alert = &a
		holderSetRetryAfter(w, err)
		hp.h.render(w, r, pages.HolderAuth(p, v), status)
		return
	}
	hp.h.setSessionCookie(w, WalletCookie, sess.ID, 0)
	next := v.Next
	if next == "" {
		next = "/my"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (hp *holderPages) logout(w http.ResponseWriter, r *http.Request) {
	if s := hp.session(r); s != nil {
		if err := hp.readForm(w, r, s); err != nil {
			hp.fail(w, r, s, err)
			return
		}
		if err := hp.w.Logout(r.Context(), s.id); err != nil {
			hp.fail(w, r, s, err)
			return
		}
	}
	hp.h.setSessionCookie(w, WalletCookie, "", -1)
	http.Redirect(w, r, "/my/login?done=loggedOut", http.StatusSeeOther)
}

// --- the wallet and one credential

// holderWalletPageSize is how many cards a wallet page shows.
const holderWalletPageSize = 24

func (hp *holderPages) walletPage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.wallet.title")
	// The cards' titles are in the documents: the page reads them with
	// the listing, in one pass (not one Credential call per card).
	page, err := hp.w.Credentials(ctx, s.sess.Account, wallet.ListOptions{After: r.URL.Query().Get("after"), Limit: holderWalletPageSize, Details: true})
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	acct, err := hp.w.Account(ctx, s.sess.Account)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	v := pages.HolderWalletView{Username: acct.Username, DID: acct.DID, Next: page.Next}
	for _, c := range page.Items {
		v.Cards = append(v.Cards, hp.card(ctx, p.Lang, c))
	}
	hp.h.render(w, r, pages.HolderWallet(p, v))
}

// card is a credential as a card: title, type, issuer's name, status.
func (hp *holderPages) card(ctx context.Context, lang i18n.Lang, c *wallet.Credential) pages.HolderCard {
	card := pages.HolderCard{
		ID: c.ID, Title: holderCredentialTitle(lang, c), Type: holderTypeWords(lang, c.Types), Format: holderFormatWords(c.Format),
		IssuerName: c.Issuer, Status: holderStatusWord(c.Status), Date: c.ValidFrom, Added: c.Added,
	}
	if card.Date.IsZero() {
		card.Date = c.Added
	}
	if n := hp.issuerName(ctx, c); n != nil {
		card.IssuerName = lang.Pick(n.Zh, n.En)
	}
	return card
}

// holderStatusWord is a live status as a badge shows it.
func holderStatusWord(s wallet.Status) string {
	switch s {
	case wallet.StatusValid, wallet.StatusSuspended, wallet.StatusRevoked, wallet.StatusExpired:
		return string(s)
	}
	return "unknown"
}

func holderFormatWords(f string) string {
	if f == wallet.FormatSDJWT {
		return "SD-JWT"
	}
	return "JSON-LD"
}

// holderTypeWords names a credential's most specific type.
func holderTypeWords(lang i18n.Lang, types []string) string {
	for _, t := range types {
		if t == "VerifiableCredential" {
			continue
		}
		return holderTypeWord(lang, t)
	}
	return lang.T("holder.type.unknown")
}

// holderTypeWord names a credential type (the last segment of an SD-JWT
// vct URL): the catalogue's words, else the type itself.
func holderTypeWord(lang i18n.Lang, t string) string {
	if i := strings.LastIndexAny(t, "/#"); i >= 0 {
		t = t[i+1:] // an SD-JWT vct URL
	}
	return labelOr(lang, "holder.type."+t, t)
}

// holderSubjectOf returns the claims about the holder: the JSON-LD credential's
// (first) credentialSubject, or the SD-JWT's claims without its
// registered JWT claims.
func holderSubjectOf(c *wallet.Credential) map[string]any {
	if c.Format == wallet.FormatSDJWT {
		out := map[string]any{}
		for k, v := range c.Claims {
			switch k {
			case "iss", "vct", "cnf", "iat", "nbf", "exp", "status", "sub", "_sd_alg", "jti", "vct#integrity":
				continue
			}
			out[k] = v
		}
		return out
	}
	var doc map[string]any
	if json.Unmarshal(c.Document, &doc) != nil {
		return nil
	}
	switch cs := doc["credentialSubject"].(type) {
	case map[string]any:
		return cs
	case []any:
		for _, x := range cs {
			if m, ok := x.(map[string]any); ok {
				return m
			}
		}
	}
	return nil
}

// holderCredentialTitle is what a credential awards: the degree's or course's
// name in the page's language, else its type.
func holderCredentialTitle(lang i18n.Lang, c *wallet.Credential) string {
	sub := holderSubjectOf(c)
	for _, path := range [][]string{{"degree", "degreeName"}, {"course", "title"}, {"course", "name"}, {"training", "name"}, {"title"}, {"name"}} {
		var v any = sub
		for _, k := range path {
			m, ok := v.(map[string]any)
			if !ok {
				v = nil
				break
			}
			v = m[k]
		}
		if s := holderValueWords(lang, "", v); s != "" && v != nil {
			return s
		}
	}
	return holderTypeWords(lang, c.Types)
}

// holderLangMap reports whether v is a language map ({"zh": ..., "en": ...}).
func holderLangMap(v map[string]any) bool {
	if len(v) == 0 {
		return false
	}
	for k, x := range v {
		if _, ok := x.(string); !ok || len(k) < 2 || len(k) > 12 || strings.ToLower(k[:2]) != k[:2] {
			return false
		}
		if _, ok := i18n.Parse(k); !ok && !(len(k) == 2 || strings.Contains(k, "-")) {
			return false
		}
	}
	return true
}

// holderPickLang returns the language map's text in lang, else any.
func holderPickLang(lang i18n.Lang, m map[string]any) string {
	var zh, en, other string
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s, _ := m[k].(string)
		switch l, _ := i18n.Parse(k); {
		case l == i18n.ZH && zh == "":
			zh = s
		case l == i18n.EN && en == "":
			en = s
		case other == "":
			other = s
		}
	}
	if out := lang.Pick(zh, en); out != "" {
		return out
	}
	return other
}

// holderValueWords writes a claim's value: a language map in lang, a date as the
// language writes dates, a level or yes/no in words.
func holderValueWords(lang i18n.Lang, path string, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		if t, err := time.Parse("2006-01-02", x); err == nil {
			return lang.Date(t)
		}
		if strings.HasSuffix(path, "level") {
			return labelOr(lang, "holder.level."+x, x)
		}
		return x
	case bool:
		if x {
			return lang.T("holder.yes")
		}
		return lang.T("holder.no")
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case json.Number:
		return x.String()
	case map[string]any:
		if holderLangMap(x) {
			return holderPickLang(lang, x)
		}
		raw, _ := json.Marshal(x)
		return string(raw)
	case []any:
		parts := make([]string, 0, len(x))
		for _, e := range x {
			parts = append(parts, holderValueWords(lang, path, e))
		}
		return strings.Join(parts, lang.T("holder.listSep"))
	}
	raw, _ := json.Marshal(v)
	return string(raw)
}

// holderClaimLabel labels a claim path in lang: the holder's own labels of the
// template claims, then the shared claim labels, then the path itself.
func holderClaimLabel(lang i18n.Lang, path string) string {
	last := path[strings.LastIndex(path, ".")+1:]
	for _, k := range []string{"holder.claim." + path, "claim." + path, "claim." + last} {
		if i18n.Has(k) {
			return lang.T(k)
		}
	}
	if path == "" {
		return "—" // a member named "" (outside input): still a row a person can read
	}
	return path
}

// holderPointerPath turns an SD-JWT claim's JSON pointer (/degree/grade)
// into the claim's dotted path (degree.grade).
func holderPointerPath(ptr string) string {
	return strings.ReplaceAll(strings.TrimPrefix(ptr, "/"), "/", ".")
}

// holderClaimOrder puts the claims a person looks for first.
var holderClaimOrder = []string{"fullName", "degree", "course", "training", "graduationDate", "completionDate", "result", "score", "enrolmentDate", "studentNumber", "dateOfBirth"}

// holderClaims flattens a subject's claims into labelled rows (the
// subject's id and nested "type" members are left out). disclosable are
// JSON pointers of an SD-JWT's claims that may be left out.
func holderClaims(lang i18n.Lang, sub map[string]any, disclosable []string) []pages.HolderClaim {
	dis := map[string]string{} // dotted path → the wallet's pointer
	for _, d := range disclosable {
		dis[holderPointerPath(d)] = d
	}
	var out []pages.HolderClaim
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.SliceStable(keys, func(i, j int) bool {
			oi, oj := slices.Index(holderClaimOrder, keys[i]), slices.Index(holderClaimOrder, keys[j])
			if oi < 0 {
				oi = len(holderClaimOrder)
			}
			if oj < 0 {
				oj = len(holderClaimOrder)
			}
			if oi != oj {
				return oi < oj
			}
			return keys[i] < keys[j]
		})
		for _, k := range keys {
			path := prefix + k
			if (prefix == "" && k == "id") || (prefix != "" && k == "type") {
				continue
			}
			if sm, ok := m[k].(map[string]any); ok && !holderLangMap(sm) {
				walk(path+".", sm)
				continue
			}
			ptr, ok := dis[path]
			out = append(out, pages.HolderClaim{Path: path, Label: holderClaimLabel(lang, path), Value: holderValueWords(lang, path, m[k]), Disclosable: ok, Pointer: ptr})
		}
	}
	walk("", sub)
	return out
}

// holderIssuerNames caches issuers' registered names by DID (from the verifier
// pipeline's reports), so that the wallet's cards do not verify a
// credential per card.
type holderIssuerNames struct {
	mu sync.Mutex
	m  map[string]holderIssuerNameEntry
}

type holderIssuerNameEntry struct {
	names *verifier.Names
	at    time.Time
}

const (
	holderIssuerNameTTL = 10 * time.Minute
	holderIssuerNameMax = 1000
)

func (n *holderIssuerNames) get(did string) (*verifier.Names, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	e, ok := n.m[did]
	if !ok || time.Since(e.at) > holderIssuerNameTTL {
		return nil, false
	}
	return e.names, true
}

func (n *holderIssuerNames) put(did string, names *verifier.Names) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.m) >= holderIssuerNameMax {
		clear(n.m)
	}
	n.m[did] = holderIssuerNameEntry{names: names, at: time.Now()}
}

// pipeline returns the verifier pipeline when the node has one.
func (hp *holderPages) pipeline() Pipeline {
	if hp.h.verifying == nil {
		return nil
	}
	return hp.h.verifying.v.Pipeline
}

// verify runs the verifier pipeline on a held credential; nil when there
// is no pipeline or it could not run.
func (hp *holderPages) verify(ctx context.Context, c *wallet.Credential) *verifier.Report {
	pl := hp.pipeline()
	if pl == nil {
		return nil
	}
	raw := []byte(c.Document)
	if c.Format == wallet.FormatSDJWT {
		raw = []byte(c.Compact)
	}
	if len(raw) == 0 {
		return nil
	}
	rep, err := pl.VerifyCredential(ctx, raw, verifier.Options{Receipt: c.Receipt})
	if err != nil {
		hp.h.log.WarnContext(ctx, "holder page: verification failed to run", slog.String("error", err.Error()))
		return nil
	}
	if rep.Issuer != "" {
		hp.names.put(rep.Issuer, rep.IssuerName)
	}
	return rep
}

// issuerName returns the issuer's registered names (cached), or nil.
func (hp *holderPages) issuerName(ctx context.Context, c *wallet.Credential) *verifier.Names {
	if n, ok := hp.names.get(c.Issuer); ok {
		return n
	}
	if rep := hp.verify(ctx, c); rep != nil {
		return rep.IssuerName
	}
	return nil
}

func (hp *holderPages) credentialPage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.cred.title")
	c, err := hp.w.Credential(ctx, s.sess.Account, r.PathValue("id"))
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	v := pages.HolderCredentialView{
		Card:         hp.card(ctx, p.Lang, c),
		CredentialID: c.CredentialID, Subject: c.Subject, ValidFrom: c.ValidFrom, ValidUntil: c.ValidUntil,
		Source: c.Source, Claims: holderClaims(p.Lang, holderSubjectOf(c), c.Disclosable),
		Issuer:        pages.HolderIssuer{DID: c.Issuer, Accredited: "skip", Note: p.T("holder.issuer.notChecked")},
		ConfirmDelete: r.URL.Query().Get("delete") == "1",
		SDJWT:         c.Format == wallet.FormatSDJWT,
	}
	if v.CredentialID == "" {
		v.CredentialID = c.ID
	}
	if !i18n.Has("holder.source." + v.Source) {
		v.Source = "import"
	}
	p.Title = v.Card.Title
	if rep := hp.verify(ctx, c); rep != nil {
		if rep.IssuerName != nil {
			v.Issuer.Name = p.Lang.Pick(rep.IssuerName.Zh, rep.IssuerName.En)
		}
		if st, ok := rep.Step(verifier.StepIssuer); ok {
			v.Issuer.Accredited = stepState(st.State)
			v.Issuer.Note = p.Lang.Pick(st.MessageZH, st.MessageEN)
		}
		if c.Receipt == nil && rep.AnchorHeight > 0 {
			v.Anchor = &pages.HolderAnchor{Height: rep.AnchorHeight, Time: rep.AnchorTime}
		}
	}
	if c.Receipt != nil && c.Receipt.Height > 0 {
		v.Anchor = &pages.HolderAnchor{Height: c.Receipt.Height, TxHash: c.Receipt.TxHash, Time: c.Receipt.Time}
	}
	if c.Verification != nil {
		for _, ch := range c.Verification.Checks {
			state := "pass"
			switch {
			case !ch.Passed:
				state = "fail"
			case ch.Warning:
				state = "warn"
			}
			v.Checks = append(v.Checks, pages.HolderCheck{Name: ch.Name, State: state, Message: ch.Message})
		}
	}
	hp.h.render(w, r, pages.HolderCredential(p, v))
}

func (hp *holderPages) deleteCredential(w http.ResponseWriter, r *http.Request, s *holderSession) {
	if err := hp.w.DeleteCredential(r.Context(), s.sess.Account, r.PathValue("id")); err != nil {
		hp.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/my?done=deleted", http.StatusSeeOther)
}

// --- certificate PDF

// certificate makes a long-lived share link of the credential and answers
// the printable certificate whose QR code opens the link's public
// verification page.
func (hp *holderPages) certificate(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.cred.title")
	c, err := hp.w.Credential(ctx, s.sess.Account, r.PathValue("id"))
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	if c.Format == wallet.FormatSDJWT {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.certSDJWT", Field: "credential"})
		return
	}
	sh, err := hp.w.CreateShare(ctx, s.sess.Account, wallet.NewShare{
		CredentialIDs: []string{c.ID}, TTL: wallet.MaxShareTTL, Label: p.T("holder.cert.label"),
	})
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	token, ok := holderShareToken(sh.URL)
	if !ok {
		hp.fail(w, r, s, fmt.Errorf("certificate: the wallet gave a share link without a token: %q", sh.URL))
		return
	}
	data := hp.certificateData(ctx, p.Lang, s, c, hp.h.publicLink(r, "/s/"+token))
	var buf bytes.Buffer
	if err := pdfdoc.Certificate(&buf, data); err != nil {
		hp.fail(w, r, s, fmt.Errorf("certificate of %s: %w", c.ID, err))
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": "certificate-" + c.ID + ".pdf"}))
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// holderShareToken returns the token of a share link URL (…/share/{token}).
func holderShareToken(u string) (string, bool) {
	i := strings.LastIndex(u, "/share/")
	if i < 0 || len(u) == i+len("/share/") {
		return "", false
	}
	tok := u[i+len("/share/"):]
	return tok, !strings.ContainsAny(tok, "/?#")
}

// holderCut shortens s to n runes.
func holderCut(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

func (hp *holderPages) certificateData(ctx context.Context, lang i18n.Lang, s *holderSession, c *wallet.Credential, verifyURL string) pdfdoc.CertificateData {
	sub := holderSubjectOf(c)
	holder := ""
	if fn, ok := sub["fullName"]; ok {
		holder = holderValueWords(lang, "fullName", fn)
	}
	if holder == "" {
		holder = s.sess.Username
	}
	issuerName := c.Issuer
	if n := hp.issuerName(ctx, c); n != nil {
		issuerName = lang.Pick(n.Zh, n.En)
	}
	d := pdfdoc.CertificateData{
		Lang: pdfdoc.LangZH, HolderName: holderCut(holder, 64), Title: holderCut(holderCredentialTitle(lang, c), 100),
		IssuerName: holderCut(issuerName, 60), IssuedAt: c.ValidFrom, ValidUntil: c.ValidUntil,
		CredentialID: holderCut(c.CredentialID, 200), VerifyURL: verifyURL, Status: pdfdoc.Status(holderStatusWord(c.Status)),
	}
	if lang == i18n.EN {
		d.Lang = pdfdoc.LangEN
	}
	if d.IssuedAt.IsZero() {
		d.IssuedAt = c.Added
	}
	d.IssuedAt = d.IssuedAt.In(i18n.Location())
	if !d.ValidUntil.IsZero() {
		d.ValidUntil = d.ValidUntil.In(i18n.Location())
		if !d.ValidUntil.After(d.IssuedAt) {
			d.ValidUntil = time.Time{}
		}
	}
	if d.CredentialID == "" {
		d.CredentialID = c.ID
	}
	for _, cl := range holderClaims(lang, sub, nil) {
		if cl.Path == "fullName" || cl.Value == "" || len(d.Claims) == 8 {
			continue
		}
		d.Claims = append(d.Claims, pdfdoc.Claim{Label: holderCut(cl.Label, 30), Value: holderCut(cl.Value, 80)})
	}
	if c.Receipt != nil && c.Receipt.Height > 0 && c.Receipt.TxHash != "" {
		d.Anchor = &pdfdoc.Anchor{Height: c.Receipt.Height, TxHash: c.Receipt.TxHash}
	}
	return d
}

// --- offers and imports

func (hp *holderPages) offerPage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	p := hp.page(w, r, s, "holder.offer.title")
	v := pages.HolderOfferView{Link: strings.TrimSpace(r.URL.Query().Get("offer"))}
	if v.Link != "" {
		prev, link, err := hp.preview(r, p.Lang, v.Link)
		if err != nil {
			a, status := hp.alert(r, p.Lang, err)
			p.Alert = &a
			hp.h.render(w, r, pages.HolderOffer(p, v), status)
			return
		}
		v.Preview, v.Link = prev, link
	}
	hp.h.render(w, r, pages.HolderOffer(p, v))
}

// ownOffer turns this node's browser claim link (…/offers/{id}#{code})
// into the offer it stands for; ok false for any other link.
func (hp *holderPages) ownOffer(r *http.Request, link string) (string, bool, error) {
	if hp.o == nil {
		return "", false, nil
	}
	u, err := url.Parse(link)
	if err != nil || u.Fragment == "" || !strings.HasPrefix(u.Path, "/offers/") {
		return "", false, nil
	}
	base := hp.h.publicLink(r, "")
	if u.Scheme+"://"+u.Host != strings.TrimRight(base, "/") {
		return "", false, nil
	}
	info, err := hp.o.OfferInfo(r.Context(), strings.TrimPrefix(u.Path, "/offers/"))
	if err != nil {
		return "", false, fmt.Errorf("%w: this offer is unknown here", wallet.ErrOfferRefused)
	}
	grant := map[string]any{"pre-authorized_code": u.Fragment}
	if info.TxCodeRequired {
		grant["tx_code"] = map[string]any{"input_mode": "numeric"}
	}
	raw, err := json.Marshal(map[string]any{
		"credential_issuer":            info.CredentialIssuer,
		"credential_configuration_ids": []string{info.CredentialConfigurationID},
		"grants":                       map[string]any{wallet.GrantPreAuthorized: grant},
	})
	if err != nil {
		return "", false, err
	}
	return wallet.OfferScheme + "://?credential_offer=" + url.QueryEscape(string(raw)), true, nil
}

// preview reads an offer without redeeming it: who offers what, and
// whether a PIN is needed. It returns the offer link to accept.
func (hp *holderPages) preview(r *http.Request, lang i18n.Lang, link string) (*pages.HolderOfferPreview, string, error) {
	if own, ok, err := hp.ownOffer(r, link); err != nil {
		return nil, "", err
	} else if ok {
		link = own
	}
	o, err := wallet.ParseOffer(link)
	if err != nil {
		return nil, "", err
	}
	prev := &pages.HolderOfferPreview{Issuer: o.CredentialIssuer}
	prev.Own = strings.TrimRight(o.CredentialIssuer, "/") == strings.TrimRight(hp.h.publicLink(r, ""), "/")
	var configs map[string]any
	if prev.Own && hp.o != nil {
		configs, _ = hp.o.IssuerMetadata()["credential_configurations_supported"].(map[string]any)
	}
	for _, id := range o.ConfigurationIDs {
		prev.Items = append(prev.Items, holderConfigWords(lang, id, configs))
	}
	if tc := o.Grants.PreAuthorized.TxCode; tc != nil {
		prev.NeedPIN, prev.PINLen, prev.PINHint = true, tc.Length, tc.Description
	}
	return prev, link, nil
}

// holderConfigWords names an offered credential configuration: the issuer's
// display name in lang when this node issues it, else the type read from
// the id (Type_format), and the format.
func holderConfigWords(lang i18n.Lang, id string, configs map[string]any) string {
	typ, format, _ := strings.Cut(id, "_")
	name := holderTypeWord(lang, typ)
	if cfg, ok := configs[id].(map[string]any); ok {
		if ds, ok := cfg["display"].([]map[string]string); ok {
			for _, d := range ds {
				if l, _ := i18n.Parse(d["locale"]); l == lang && d["name"] != "" {
					name = d["name"]
				}
			}
		}
		if f, ok := cfg["format"].(string); ok {
			format = f
		}
	}
	switch format {
	case "":
		return name
	case wallet.FormatSDJWT, "vc+sd-jwt":
		return name + " (SD-JWT)"
	default:
		return name + " (JSON-LD)"
	}
}

func (hp *holderPages) acceptOffer(w http.ResponseWriter, r *http.Request, s *holderSession) {
	link := strings.TrimSpace(r.PostFormValue("offer"))
	if own, ok, err := hp.ownOffer(r, link); err != nil {
		hp.fail(w, r, s, err)
		return
	} else if ok {
		link = own
	}
	cs, err := hp.w.AcceptOffer(r.Context(), s.sess.Account, wallet.AcceptOffer{Offer: link, TxCode: strings.TrimSpace(r.PostFormValue("txCode"))})
	if err != nil {
		p := hp.page(w, r, s, "holder.offer.title")
		p.Flash = ""
		a, status := hp.alert(r, p.Lang, err)
		p.Alert = &a
		v := pages.HolderOfferView{Link: link}
		if prev, l, perr := hp.preview(r, p.Lang, link); perr == nil {
			v.Preview, v.Link = prev, l
		}
		hp.h.render(w, r, pages.HolderOffer(p, v), status)
		return
	}
	if len(cs) == 1 {
		http.Redirect(w, r, "/my/credentials/"+cs[0].ID+"?done=received", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/my?done=received", http.StatusSeeOther)
}

func (hp *holderPages) importFile(w http.ResponseWriter, r *http.Request, s *holderSession) {
	var data []byte
	if f, _, err := r.FormFile("file"); err == nil {
		data, err = io.ReadAll(io.LimitReader(f, wallet.MaxImportSize+1))
		f.Close()
		if err != nil {
			hp.fail(w, r, s, fmt.Errorf("%w: reading the file: %v", errMalformedRequest, err))
			return
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte(strings.TrimSpace(r.PostFormValue("text")))
	}
	if len(data) == 0 {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.importEmpty", Field: "file"})
		return
	}
	if len(data) > wallet.MaxImportSize {
		hp.fail(w, r, s, fmt.Errorf("%w: a credential file is at most %d bytes", errTooLarge, wallet.MaxImportSize))
		return
	}
	c, err := hp.w.Import(r.Context(), s.sess.Account, data)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/my/credentials/"+c.ID+"?done=imported", http.StatusSeeOther)
}

// --- share links

// holderShareExpiries are the expiry choices the share form offers.
var holderShareExpiries = map[string]time.Duration{"24h": 24 * time.Hour, "168h": 7 * 24 * time.Hour, "720h": 30 * 24 * time.Hour, "2160h": 90 * 24 * time.Hour}

// titles names the holder's credentials by id (for the share pages): up
// to 1000, with their documents read in the same pass as the listing.
func (hp *holderPages) titles(ctx context.Context, lang i18n.Lang, account string) ([]*wallet.Credential, map[string]string, error) {
	page, err := hp.w.Credentials(ctx, account, wallet.ListOptions{Limit: 1000, NoStatus: true, Details: true})
	if err != nil {
		return nil, nil, err
	}
	out := make(map[string]string, len(page.Items))
	for _, c := range page.Items {
		out[c.ID] = holderCredentialTitle(lang, c)
	}
	return page.Items, out, nil
}

// holderShareRow is a share link as listed.
func holderShareRow(sh *wallet.Share, titles map[string]string, lang i18n.Lang, now time.Time) pages.HolderShareRow {
	row := pages.HolderShareRow{ID: sh.ID, Label: sh.Label, Created: sh.Created, Expires: sh.Expires, Opened: sh.Opened, Status: "active",
		SDJWT: sh.Format == wallet.FormatSDJWT}
	for _, d := range sh.Disclosed {
		row.Disclosed = append(row.Disclosed, holderClaimLabel(lang, holderPointerPath(d)))
	}
	switch {
	case !sh.Revoked.IsZero():
		row.Status = "revoked"
	case sh.Restored:
		row.Status = "restored"
	case !now.Before(sh.Expires):
		row.Status = "expired"
	}
	for _, id := range sh.CredentialIDs {
		t, ok := titles[id]
		if !ok {
			t = lang.T("holder.shares.deleted")
		}
		row.Credentials = append(row.Credentials, t)
	}
	return row
}

func (hp *holderPages) sharesPage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.shares.title")
	creds, titles, err := hp.titles(ctx, p.Lang, s.sess.Account)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	list, err := hp.w.Shares(ctx, s.sess.Account)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	pick := r.URL.Query().Get("credential")
	var v pages.HolderSharesView
	for _, c := range creds {
		ch := pages.HolderShareChoice{ID: c.ID, Title: titles[c.ID], Checked: c.ID == pick || len(creds) == 1, SDJWT: c.Format == wallet.FormatSDJWT}
		if ch.SDJWT {
			for _, cl := range holderClaims(p.Lang, holderSubjectOf(c), c.Disclosable) {
				if cl.Disclosable {
					ch.Disclosable = append(ch.Disclosable, cl)
				} else {
					ch.Visible = append(ch.Visible, cl)
				}
			}
		}
		v.Choices = append(v.Choices, ch)
	}
	now := time.Now()
	for _, sh := range list {
		v.Shares = append(v.Shares, holderShareRow(sh, titles, p.Lang, now))
	}
	sort.SliceStable(v.Shares, func(i, j int) bool { return v.Shares[i].Created.After(v.Shares[j].Created) })
	hp.h.render(w, r, pages.HolderShares(p, v))
}

// createShare makes a share link and shows it once (not a redirect: the
// token is neither stored nor put in a URL).
func (hp *holderPages) createShare(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.shares.created")
	ids := r.PostForm["credential"]
	if len(ids) == 0 {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.shareNone", Field: "credential"})
		return
	}
	ttl, ok := holderShareExpiries[r.PostFormValue("expires")]
	if !ok {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.shareExpiry", Field: "expires"})
		return
	}
	// An SD-JWT credential is shared alone, with the claims ticked under
	// it (the form lists every SD-JWT's claims; only the chosen one's
	// count). The wallet refuses a claim the credential cannot disclose.
	var disclose []string
	for _, id := range ids {
		c, err := hp.w.Credential(ctx, s.sess.Account, id)
		if err != nil {
			hp.fail(w, r, s, err)
			return
		}
		if c.Format == wallet.FormatSDJWT {
			if len(ids) > 1 {
				hp.fail(w, r, s, &holderFormError{Key: "holder.err.shareSDJWTAlone", Field: "credential"})
				return
			}
			disclose = r.PostForm["disclose-"+id]
		}
	}
	sh, err := hp.w.CreateShare(ctx, s.sess.Account, wallet.NewShare{CredentialIDs: ids, TTL: ttl, Label: strings.TrimSpace(r.PostFormValue("label")), Disclose: disclose})
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	token, ok := holderShareToken(sh.URL)
	if !ok {
		hp.fail(w, r, s, fmt.Errorf("share: the wallet gave a link without a token: %q", sh.URL))
		return
	}
	_, titles, err := hp.titles(ctx, p.Lang, s.sess.Account)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	v := pages.HolderShareCreatedView{Share: holderShareRow(sh, titles, p.Lang, time.Now()), PageURL: hp.h.publicLink(r, "/s/"+token), DataURL: sh.URL}
	svg, err := qr.SVG(v.PageURL, 240)
	if err != nil {
		hp.fail(w, r, s, fmt.Errorf("share QR code: %w", err))
		return
	}
	v.QR = templ.Raw(string(svg))
	hp.h.render(w, r, pages.HolderShareCreated(p, v))
}

func (hp *holderPages) sharePage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.shares.title")
	id := r.PathValue("id")
	list, err := hp.w.Shares(ctx, s.sess.Account)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	var sh *wallet.Share
	for _, x := range list {
		if x.ID == id {
			sh = x
		}
	}
	if sh == nil {
		hp.fail(w, r, s, fmt.Errorf("share link %q: %w", id, wallet.ErrNotFound))
		return
	}
	log, err := hp.w.ShareLog(ctx, s.sess.Account, id)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	_, titles, err := hp.titles(ctx, p.Lang, s.sess.Account)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	v := pages.HolderShareView{Share: holderShareRow(sh, titles, p.Lang, time.Now())}
	for _, a := range log {
		v.Log = append(v.Log, pages.HolderAccess{Time: a.Time, Network: a.Network, Visitor: a.Visitor, UserAgent: a.UserAgent})
	}
	p.Title = v.Share.Label
	if p.Title == "" {
		p.Title = p.T("holder.shares.title")
	}
	hp.h.render(w, r, pages.HolderShare(p, v))
}

func (hp *holderPages) revokeShare(w http.ResponseWriter, r *http.Request, s *holderSession) {
	id := r.PathValue("id")
	if err := hp.w.RevokeShare(r.Context(), s.sess.Account, id); err != nil {
		hp.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/my/shares/"+url.PathEscape(id)+"?done=revoked", http.StatusSeeOther)
}

// --- presentation requests

func (hp *holderPages) requestPage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	p := hp.page(w, r, s, "holder.req.title")
	v := pages.HolderRequestView{Link: strings.TrimSpace(r.URL.Query().Get("request"))}
	if v.Link == "" {
		hp.h.render(w, r, pages.HolderRequestPage(p, v))
		return
	}
	if len(v.Link) > 2048 {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.requestLink", Field: "request"})
		return
	}
	rv, err := hp.w.FetchRequest(ctx, s.sess.Account, v.Link)
	if err != nil {
		a, status := hp.alert(r, p.Lang, err)
		p.Alert = &a
		hp.h.render(w, r, pages.HolderRequestPage(p, v), status)
		return
	}
	purpose := rv.Purpose
	if rp := rv.RequestPurpose; rp != nil {
		purpose = p.Lang.Pick(rp["zh"], rp["en"]) // the verifier's own words first
	}
	req := &pages.HolderRequest{ID: rv.ID, Verifier: rv.Verifier, Name: rv.Name, Purpose: purpose, Expires: rv.Expires, Satisfied: rv.Satisfied}
	for _, d := range rv.Descriptors {
		ask := pages.HolderAsk{ID: d.ID, Name: d.Name, Purpose: d.Purpose}
		for _, c := range d.Candidates {
			full, err := hp.w.Credential(ctx, s.sess.Account, c.Credential.ID)
			if err != nil {
				hp.fail(w, r, s, err)
				return
			}
			cand := pages.HolderCandidate{ID: full.ID, Title: holderCredentialTitle(p.Lang, full), SDJWT: full.Format == wallet.FormatSDJWT}
			var asked []string
			for _, f := range c.Fields {
				label := f.Name
				if label == "" {
					label = holderFieldPathLabel(p.Lang, f.Path)
				}
				asked = append(asked, holderFieldPath(f.Path))
				cand.Asked = append(cand.Asked, pages.HolderClaim{Path: f.Path, Label: label, Value: holderValueWords(p.Lang, f.Path, f.Value)})
			}
			cand.Sent = holderSent(holderClaims(p.Lang, holderSubjectOf(full), full.Disclosable), cand.SDJWT, asked)
			ask.Candidates = append(ask.Candidates, cand)
		}
		req.Asks = append(req.Asks, ask)
	}
	v.Request = req
	hp.h.render(w, r, pages.HolderRequestPage(p, v))
}

// holderFieldPathLabel labels a presentation definition's JSONPath
// ($.credentialSubject.degree.level) by its claim.
func holderFieldPathLabel(lang i18n.Lang, path string) string {
	path = holderFieldPath(path)
	if path == "type" {
		return lang.T("holder.card.type")
	}
	return holderClaimLabel(lang, path)
}

// holderFieldPath turns a definition's JSONPath ($.credentialSubject.a.b,
// $['a']['b']) into a claim's dotted path (a.b).
func holderFieldPath(path string) string {
	path = strings.TrimPrefix(path, "$")
	path = strings.NewReplacer("['", ".", "']", "", `["`, ".", `"]`, "").Replace(path)
	path = strings.TrimPrefix(path, ".")
	return strings.TrimPrefix(path, "credentialSubject.")
}

// holderSent lists the claims an answer sends: all of a JSON-LD
// credential; of an SD-JWT the claims always visible and the disclosable
// ones under (or above) a path asked for.
func holderSent(claims []pages.HolderClaim, sdjwt bool, asked []string) []pages.HolderClaim {
	if !sdjwt {
		return claims
	}
	var out []pages.HolderClaim
	for _, c := range claims {
		keep := !c.Disclosable
		for _, a := range asked {
			keep = keep || a == c.Path || strings.HasPrefix(c.Path, a+".") || strings.HasPrefix(a, c.Path+".")
		}
		if keep {
			out = append(out, c)
		}
	}
	return out
}

// holderRequestAnswer is the verifier's answer to a consent, kept for the result
// page (it carries no secret and no claim).
type holderRequestAnswer struct {
	// Verifier is the origin shown on the consent form (display only).
	Verifier  string `json:"verifier"`
	Status    int    `json:"status"`
	MessageZH string `json:"messageZh,omitempty"`
	MessageEN string `json:"messageEn,omitempty"`
}

// holderRequestAnswerTTL is how long the result page can be reloaded.
const holderRequestAnswerTTL = 15 * time.Minute

func holderRequestAnswerKey(account, id string) string { return "holder-answer/" + account + "/" + id }

func (hp *holderPages) consent(w http.ResponseWriter, r *http.Request, s *holderSession) {
	ctx := r.Context()
	id := r.PathValue("id")
	var sel []wallet.Selection
	for k, vs := range r.PostForm {
		if d, ok := strings.CutPrefix(k, "d:"); ok && len(vs) == 1 && vs[0] != "" {
			sel = append(sel, wallet.Selection{DescriptorID: d, CredentialID: vs[0]})
		}
	}
	sort.Slice(sel, func(i, j int) bool { return sel[i].DescriptorID < sel[j].DescriptorID })
	if len(sel) == 0 {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.consentNone", Field: "selections"})
		return
	}
	resp, err := hp.w.Respond(ctx, s.sess.Account, wallet.Consent{RequestID: id, Selections: sel})
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	ans := holderRequestAnswer{Verifier: holderCut(strings.TrimSpace(r.PostFormValue("verifier")), 200), Status: resp.Status,
		MessageZH: holderAnswerMessage(resp.Body, "zh"), MessageEN: holderAnswerMessage(resp.Body, "en")}
	raw, err := json.Marshal(ans)
	if err == nil {
		err = hp.h.web.cfg.Sessions.Put(ctx, holderRequestAnswerKey(s.sess.Account, id), raw, holderRequestAnswerTTL)
	}
	if err != nil {
		hp.fail(w, r, s, fmt.Errorf("keep the verifier's answer: %w", err))
		return
	}
	http.Redirect(w, r, "/my/requests/"+url.PathEscape(id)+"/result", http.StatusSeeOther)
}

// holderAnswerMessage reads the verifier's words in lang from its JSON answer,
// if any.
func holderAnswerMessage(body json.RawMessage, lang string) string {
	var m map[string]any
	if len(body) == 0 || json.Unmarshal(body, &m) != nil {
		return ""
	}
	for _, k := range []string{"summary_" + lang, "summary_en", "message", "detail", "state", "status"} {
		if s, ok := m[k].(string); ok && s != "" {
			return holderCut(s, 500)
		}
	}
	return ""
}

func (hp *holderPages) requestResult(w http.ResponseWriter, r *http.Request, s *holderSession) {
	p := hp.page(w, r, s, "holder.req.result")
	raw, err := hp.h.web.cfg.Sessions.Get(r.Context(), holderRequestAnswerKey(s.sess.Account, r.PathValue("id")))
	if err != nil {
		hp.fail(w, r, s, fmt.Errorf("the answer of this request is no longer kept: %w", wallet.ErrNotFound))
		return
	}
	var ans holderRequestAnswer
	if err := json.Unmarshal(raw, &ans); err != nil {
		hp.fail(w, r, s, fmt.Errorf("the kept answer cannot be read: %w", err))
		return
	}
	hp.h.render(w, r, pages.HolderRequestDone(p, pages.HolderRequestResult{
		Verifier: ans.Verifier, Accepted: ans.Status >= 200 && ans.Status < 300, Status: ans.Status, Message: p.Lang.Pick(ans.MessageZH, ans.MessageEN),
	}))
}

func (hp *holderPages) decline(w http.ResponseWriter, r *http.Request, s *holderSession) {
	if err := hp.w.DeclineRequest(r.Context(), s.sess.Account, r.PathValue("id")); err != nil {
		hp.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/my?done=declined", http.StatusSeeOther)
}

// --- backup and restore

func (hp *holderPages) backupPage(w http.ResponseWriter, r *http.Request, s *holderSession) {
	p := hp.page(w, r, s, "holder.backup.title")
	page, err := hp.w.Credentials(r.Context(), s.sess.Account, wallet.ListOptions{Limit: 1000, NoStatus: true})
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	hp.h.render(w, r, pages.HolderBackup(p, pages.HolderBackupView{Count: len(page.Items)}))
}

// backup answers the encrypted backup file (a download).
func (hp *holderPages) backup(w http.ResponseWriter, r *http.Request, s *holderSession) {
	pass := r.PostFormValue("passphrase")
	if pass == "" || pass != r.PostFormValue("passphrase2") {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.passphraseMismatch", Field: "passphrase2"})
		return
	}
	data, err := hp.w.Export(r.Context(), s.sess.Account, pass)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	name := "talentchain-wallet-" + time.Now().UTC().Format("20060102") + ".tcwbak"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Header().Set("Cache-Control", "no-store")
	w.Write(data)
}

func (hp *holderPages) restore(w http.ResponseWriter, r *http.Request, s *holderSession) {
	if r.MultipartForm != nil {
		defer r.MultipartForm.RemoveAll()
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.restoreFile", Field: "file"})
		return
	}
	limit := min(hp.h.cfg.MaxUploadBytes, maxBackupBytes)
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	f.Close()
	switch {
	case err != nil:
		hp.fail(w, r, s, fmt.Errorf("%w: reading the file: %v", errMalformedRequest, err))
		return
	case int64(len(data)) > limit:
		hp.fail(w, r, s, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit))
		return
	case len(data) == 0:
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.restoreFile", Field: "file"})
		return
	}
	pass := r.PostFormValue("restorePassphrase")
	if pass == "" {
		hp.fail(w, r, s, &holderFormError{Key: "holder.err.restorePass", Field: "restorePassphrase"})
		return
	}
	res, err := hp.w.Restore(r.Context(), s.sess.Account, data, pass)
	if err != nil {
		hp.fail(w, r, s, err)
		return
	}
	http.Redirect(w, r, "/my?done=restored&added="+strconv.Itoa(res.Credentials)+"&skipped="+strconv.Itoa(res.Skipped), http.StatusSeeOther)
}
