package ui

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/a-h/templ"
	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// The web pages: server-rendered HTML (templ components in ui/pages) over
// the same services as the JSON API, in Chinese and English.
//
// Every role signs in with its own credentials: holders to the wallet
// (/my/login, the wallet's session cookie); issuer staff with their
// organisation, username and password; verifiers with their verifier token;
// the governance office with the admin token (/login, the console session
// cookie). A console session lives in the store (so replicas share it),
// under the SHA-256 of its id, for ConsoleTTL; its form token (CSRF) is
// checked on every POST in constant time.
//
// Routes of each area are added by the files web_*.go through addWebPages,
// so that the areas do not share a file.

// WebConfig configures the web pages (WithWeb).
type WebConfig struct {
	// Sessions keeps the console sessions; required.
	Sessions store.Store
	// Secure marks the cookies Secure (served over https).
	Secure bool
	// PublicURL is the node's public base URL, for the links and QR codes
	// the pages hand out (share links, offers, requests).
	PublicURL string
	// Wallet serves the holders' pages; nil: no holder pages.
	Wallet Wallet
	// Offers serves claim offers; nil: no offer pages.
	Offers Offers
	// Chain reads registry state for the staff and governance pages (an
	// organisation's on-chain record, recent anchors); *chain.Client
	// satisfies it. nil: the pages show the service's own view.
	Chain ChainInfo
	// ChainStatus reads blocks and validators for the governance chain
	// page; nil: that page shows registry state only.
	ChainStatus ChainStatus
}

// ConsoleCookie holds the console session id.
const ConsoleCookie = "tc_console"

// ConsoleTTL is how long a console session lasts.
const ConsoleTTL = 8 * time.Hour

// webState is the web pages' configuration inside the handler.
type webState struct {
	cfg       WebConfig
	publicURL *url.URL
	// forms are the template forms built from the issuer's schemas.
	forms templateForms
}

// templateForms keeps the form built from each template's JSON Schema, by
// template id and version (the SHA-256 of the schema): a page asks for a
// template's form without parsing its schema again, and a template whose
// schema changed is parsed again, once. A kept form is shared: callers read
// it, never change it.
type templateForms struct {
	mu   sync.Mutex
	byID map[string]templateFormEntry
	// parses counts the schemas parsed (a test reads it).
	parses atomic.Int64
}

type templateFormEntry struct {
	version [sha256.Size]byte
	form    *issTemplateForm
	err     error
}

// form returns tm's form, parsing its schema only when this version of the
// template has not been seen.
func (c *templateForms) form(tm issuer.Template) (*issTemplateForm, error) {
	version := sha256.Sum256(tm.Schema)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[tm.ID]; ok && e.version == version {
		return e.form, e.err
	}
	c.parses.Add(1)
	f, err := issBuildTemplateForm(tm)
	if c.byID == nil {
		c.byID = map[string]templateFormEntry{}
	}
	c.byID[tm.ID] = templateFormEntry{version: version, form: f, err: err}
	return f, err
}

// WithWeb serves the web pages.
func WithWeb(cfg WebConfig) Option {
	return func(h *handler) error {
		if cfg.Sessions == nil {
			return errors.New("ui: WithWeb needs a Sessions store")
		}
		ws := &webState{cfg: cfg}
		if cfg.PublicURL != "" {
			u, err := url.Parse(cfg.PublicURL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("ui: WithWeb: PublicURL %q is not an http(s) URL", cfg.PublicURL)
			}
			ws.publicURL = u
		}
		h.web = ws
		return nil
	}
}

// webPages lists the page areas (web_*.go register themselves in init).
var webPages []func(h *handler, mux *http.ServeMux)

// addWebPages registers an area's routes; each area checks for the services
// it needs and registers nothing without them.
func addWebPages(f func(h *handler, mux *http.ServeMux)) { webPages = append(webPages, f) }

//go:embed static
var staticFiles embed.FS

func (h *handler) webRoutes(mux *http.ServeMux) {
	sub, _ := fs.Sub(staticFiles, "static") // the embedded folder exists
	files := http.FileServerFS(sub)
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		files.ServeHTTP(w, r)
	})))
	mux.HandleFunc("GET /{$}", h.oneConsoleRead(h.homePage))
	mux.HandleFunc("GET /login", h.oneConsoleRead(h.loginPage))
	mux.HandleFunc("POST /login", h.oneConsoleRead(h.loginSubmit))
	mux.HandleFunc("POST /logout", h.oneConsoleRead(h.logoutSubmit))
	for _, add := range webPages {
		add(h, mux)
	}
}

// consoleSession is a signed-in staff member, verifier or governance
// officer, as stored.
type consoleSession struct {
	Role    string         `json:"role"`
	Org     string         `json:"org,omitempty"`     // staff: the organisation's DID
	Name    string         `json:"name"`              // shown in the header
	Account string         `json:"account,omitempty"` // verifier account id / staff username
	Scopes  []issuer.Scope `json:"scopes,omitempty"`
	// TokenMark (governance): a digest of the admin token the session
	// signed in with, so that replacing the token ends its sessions.
	TokenMark string    `json:"tokenMark,omitempty"`
	CSRF      string    `json:"csrf"`
	Created   time.Time `json:"created"`

	// verifier is the verifier account as requireConsole re-read it for
	// this request (never stored).
	verifier *VerifierAccount
}

// can reports whether a staff session holds scope.
func (s *consoleSession) can(scope issuer.Scope) bool {
	for _, sc := range s.Scopes {
		if sc == scope {
			return true
		}
	}
	return false
}

func consoleKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return "console/" + hex.EncodeToString(sum[:])
}

func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}

// consoleRead carries a request's console session once it has been read
// from the store, so that requireConsole, the layout (page) and an error
// page (webFail) share one read: a console page reads its session once.
type consoleRead struct {
	done bool
	s    *consoleSession
}

type consoleReadKey struct{}

// oneConsoleRead makes the routes outside requireConsole (home, sign-in,
// the public verification pages) read the console session at most once
// per request too.
func (h *handler) oneConsoleRead(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		next(w, r.WithContext(context.WithValue(r.Context(), consoleReadKey{}, &consoleRead{})))
	}
}

// withConsole returns r carrying s (nil: signed out) as its console
// session, already read.
func withConsole(r *http.Request, s *consoleSession) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), consoleReadKey{}, &consoleRead{done: true, s: s}))
}

// console returns r's console session, or nil when there is none: the one
// carried by r when it has been read, else read from the store (and kept
// for the rest of the request where r allows it, see oneConsoleRead).
func (h *handler) console(r *http.Request) *consoleSession {
	cr, _ := r.Context().Value(consoleReadKey{}).(*consoleRead)
	if cr != nil && cr.done {
		return cr.s
	}
	s := h.readConsole(r)
	if cr != nil {
		cr.done, cr.s = true, s
	}
	return s
}

// readConsole reads r's console session from the store.
func (h *handler) readConsole(r *http.Request) *consoleSession {
	if h.web == nil {
		return nil
	}
	c, err := r.Cookie(ConsoleCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil
	}
	raw, err := h.web.cfg.Sessions.Get(r.Context(), consoleKey(c.Value))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.WarnContext(r.Context(), "console session read failed", slog.String("error", err.Error()))
		}
		return nil
	}
	var s consoleSession
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return &s
}

// startConsole stores a new session and sets its cookie.
func (h *handler) startConsole(w http.ResponseWriter, r *http.Request, s consoleSession) error {
	id := randomToken()
	s.CSRF = randomToken()
	s.Created = time.Now().UTC()
	raw, err := json.Marshal(s)
	if err != nil {
		return err
	}
	if err := h.web.cfg.Sessions.Put(r.Context(), consoleKey(id), raw, ConsoleTTL); err != nil {
		return fmt.Errorf("store console session: %w", err)
	}
	h.setConsoleCookie(w, id, int(ConsoleTTL/time.Second))
	return nil
}

// setConsoleCookie sets the console cookie to id for maxAge seconds (a
// negative maxAge removes it).
func (h *handler) setConsoleCookie(w http.ResponseWriter, id string, maxAge int) {
	h.setSessionCookie(w, ConsoleCookie, id, maxAge)
}

// setSessionCookie sets a session cookie of the pages (the console's, the
// wallet's): HttpOnly, SameSite=Lax, Secure over https; maxAge 0 lasts the
// browser session, a negative one removes the cookie.
func (h *handler) setSessionCookie(w http.ResponseWriter, name, id string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: id, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: h.web.cfg.Secure, SameSite: http.SameSiteLaxMode})
}

// endConsole deletes r's console session from the store (the cookie stays
// until the caller clears it or the browser drops it).
func (h *handler) endConsole(r *http.Request) error {
	c, err := r.Cookie(ConsoleCookie)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil
	}
	if err := h.web.cfg.Sessions.Delete(r.Context(), consoleKey(c.Value)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("end the console session: %w", err)
	}
	return nil
}

// Errors of the web pages; webProblem maps them.
var (
	// errWebCSRF: a form without the session's token.
	errWebCSRF = errors.New("the form's security token is missing or stale")
	// errWebLogin: a sign-in with wrong credentials.
	errWebLogin = errors.New("sign-in refused")
	// errWebSignIn: a page that needs a signed-in role.
	errWebSignIn = errors.New("sign in to open this page")
	// errWebRole: signed in, but as a role that may not open the page.
	errWebRole = errors.New("your account may not open this page")
)

func init() {
	problemMappers = append(problemMappers, webProblem)
}

// webProblems map the sign-in and form errors of the pages.
var webProblems = []problemRule{
	{errWebCSRF, "csrf", "Form expired", http.StatusForbidden},
	{errWebLogin, "unauthenticated", "Sign-in refused", http.StatusUnauthorized},
	{errWebSignIn, "unauthenticated", "Sign in", http.StatusUnauthorized},
	{errWebRole, "forbidden", "Not allowed", http.StatusForbidden},
}

func webProblem(err error) (Problem, bool) { return rulesProblem(webProblems, err) }

// problemRule maps the errors wrapping err to a problem of a kind (the
// problem type after ProblemTypeBase), its title and status; the detail is
// the error's text.
type problemRule struct {
	err    error
	kind   string
	title  string
	status int
}

// rulesProblem maps err by the first rule whose error it wraps.
func rulesProblem(rules []problemRule, err error) (Problem, bool) {
	for _, r := range rules {
		if errors.Is(err, r.err) {
			return Problem{Type: ProblemTypeBase + r.kind, Title: r.title, Status: r.status, Detail: err.Error()}, true
		}
	}
	return Problem{}, false
}

// checkCSRF compares the form's csrf field with want in constant time.
// Call it after r's form is parsed.
func checkCSRF(r *http.Request, want string) error {
	got := r.PostFormValue("csrf")
	if want == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errWebCSRF
	}
	return nil
}

// page returns the layout data of r: language (remembering a ?lang=
// choice in the cookie), path, the signed-in console user.
func (h *handler) page(w http.ResponseWriter, r *http.Request, titleKey string) pages.Page {
	lang, fromQuery := i18n.Detect(r)
	if fromQuery {
		i18n.Remember(w, lang, h.web.cfg.Secure)
	}
	p := pages.Page{Lang: lang, Title: lang.T(titleKey), Path: r.URL.RequestURI()}
	if s := h.console(r); s != nil {
		p.User = &pages.User{Role: s.Role, Name: s.Name, Org: s.Org}
		p.CSRF = s.CSRF
	}
	return p
}

// render writes c as the page with status 200, or status when given (an
// error page's status, from problemFor).
func (h *handler) render(w http.ResponseWriter, r *http.Request, c templ.Component, status ...int) {
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		h.fail(w, r, fmt.Errorf("render page: %w", err))
		return
	}
	h.writePage(w, buf.Bytes(), status...)
}

// writePage sends a rendered page.
func (h *handler) writePage(w http.ResponseWriter, page []byte, status ...int) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if len(status) > 0 {
		w.WriteHeader(status[0])
	}
	w.Write(page)
}

// alertFor turns err into the words and next step a person reads, and the
// status of the page. The message is the problem's detail (the services'
// messages are written for people) with a next step by kind of problem.
func (h *handler) alertFor(r *http.Request, lang i18n.Lang, err error) (pages.Alert, int) {
	p := problemFor(err)
	a := pages.Alert{Message: p.Detail}
	for _, fe := range p.Errors {
		a.Message += " · " + fe.Field + ": " + fe.Reason
	}
	kind := strings.TrimPrefix(p.Type, ProblemTypeBase)
	switch {
	case errors.Is(err, errWebCSRF):
		a.Message, a.Next = lang.T("error.csrf"), lang.T("error.tryAgain")
	case errors.Is(err, errWebLogin):
		a.Message, a.Next = lang.T("login.failed"), ""
	case errors.Is(err, errWebSignIn):
		a.Message, a.Next = lang.T("login.needed"), ""
		a.NextHref, a.NextText = "/login?next="+url.QueryEscape(r.URL.RequestURI()), lang.T("nav.login")
	case kind == "not-found":
		a.Next = lang.T("error.notFound")
	case kind == "unauthenticated":
		a.Next = lang.T("error.signIn")
	case kind == "forbidden":
		a.Next = lang.T("error.forbidden")
	case kind == "too-large":
		a.Next = lang.T("error.tooLarge")
	case kind == "unavailable":
		a.Next = lang.T("error.unavailable")
	case kind == "internal" || p.Status >= 500:
		a.Message = lang.F("error.internal", requestID(r.Context()))
	default:
		a.Next = lang.T("error.tryAgain")
	}
	if p.Status >= 500 {
		h.log.ErrorContext(r.Context(), "page failed", slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
	}
	return a, p.Status
}

// webFail renders err as a whole error page.
func (h *handler) webFail(w http.ResponseWriter, r *http.Request, err error) {
	p := h.page(w, r, "error.title")
	a, status := h.alertFor(r, p.Lang, err)
	h.render(w, r, pages.ErrorPage(p, a), status)
}

// requireConsole runs next for a console session of one of roles; anyone
// else is sent to sign in (or told the role may not open the page). POSTs
// are checked for the session's form token. The session is read once and
// carried in the request (console, page and webFail use it), and the
// account behind it is re-checked on every request (refreshConsole).
func (h *handler) requireConsole(next func(http.ResponseWriter, *http.Request, *consoleSession), roles ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s := h.readConsole(r)
		r = withConsole(r, s)
		if s == nil {
			h.toSignIn(w, r, errWebSignIn)
			return
		}
		if len(roles) > 0 && !slices.Contains(roles, s.Role) {
			h.webFail(w, r, errWebRole)
			return
		}
		// The account behind the session may have been disabled or revoked,
		// or its role changed, since it signed in: the API checks its token
		// on every call, and so do the consoles.
		if err := h.refreshConsole(r.Context(), s); err != nil {
			if !errors.Is(err, errWebSignIn) {
				h.webFail(w, r, err)
				return
			}
			if derr := h.endConsole(r); derr != nil {
				h.log.WarnContext(r.Context(), "console session not deleted", slog.String("error", derr.Error()))
			}
			h.toSignIn(w, withConsole(r, nil), err)
			return
		}
		if r.Method == http.MethodPost {
			if err := h.readSessionForm(w, r, s); err != nil {
				h.webFail(w, r, err)
				return
			}
		}
		next(w, r, s)
	}
}

// readSessionForm reads a POSTed form of session s and checks its token.
func (h *handler) readSessionForm(w http.ResponseWriter, r *http.Request, s *consoleSession) error {
	if err := h.parseForm(w, r); err != nil {
		return err
	}
	return checkCSRF(r, s.CSRF)
}

// toSignIn sends a GET to the sign-in page (coming back here after it) and
// answers anything else with err's page.
func (h *handler) toSignIn(w http.ResponseWriter, r *http.Request, err error) {
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	h.webFail(w, r, err)
}

// staffDirectory and verifierDirectory are what refreshConsole needs of
// the issuer service and the verifier accounts; *issuer.Service and the
// node's verifier accounts satisfy them.
type (
	staffDirectory interface {
		StaffOf(ctx context.Context, org string) ([]*issuer.Staff, error)
	}
	verifierDirectory interface {
		Verifier(ctx context.Context, id string) (*VerifierAccount, error)
	}
)

// refreshConsole re-reads the account behind a staff or verifier session:
// a disabled staff member or a revoked verifier account is signed out
// (errWebSignIn), and a staff member's scopes follow their current role.
// Other errors are the store's.
func (h *handler) refreshConsole(ctx context.Context, s *consoleSession) error {
	switch s.Role {
	case pages.RoleStaff:
		dir, ok := h.issuer.(staffDirectory)
		if !ok {
			return nil
		}
		staff, err := dir.StaffOf(ctx, s.Org)
		if err != nil {
			return fmt.Errorf("read the staff of %s: %w", s.Org, err)
		}
		for _, m := range staff {
			if m.Username == s.Account && !m.Disabled {
				s.Scopes = m.Role.Scopes()
				return nil
			}
		}
		return fmt.Errorf("%w: the staff account is disabled", errWebSignIn)
	case pages.RoleVerifier:
		acct, err := h.verifierAccount(ctx, s.Account)
		if err != nil {
			return err
		}
		s.verifier = acct
	case pages.RoleGov:
		// The admin token may have been replaced (a leak, a rotation) since
		// the session signed in with it: then the session ends.
		if h.admin == nil || subtle.ConstantTimeCompare([]byte(s.TokenMark), []byte(h.admin.consoleMark())) != 1 {
			return fmt.Errorf("%w: the governance token has changed since this session signed in", errWebSignIn)
		}
	}
	return nil
}

// verifierAccount returns a live verifier account by id; a revoked or
// unknown one is errWebSignIn.
func (h *handler) verifierAccount(ctx context.Context, id string) (*VerifierAccount, error) {
	if h.verifying == nil || h.verifying.v.Accounts == nil {
		return nil, fmt.Errorf("%w: no verifier accounts on this node", errWebSignIn)
	}
	var acct *VerifierAccount
	if dir, ok := h.verifying.v.Accounts.(verifierDirectory); ok {
		a, err := dir.Verifier(ctx, id)
		switch {
		case errors.Is(err, ErrVerifierNotFound):
		case err != nil:
			return nil, err
		default:
			acct = a
		}
	} else {
		list, err := h.verifying.v.Accounts.Verifiers(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range list {
			if a.ID == id {
				acct = a
			}
		}
	}
	if acct == nil || acct.Revoked {
		return nil, fmt.Errorf("%w: the verifier account was revoked", errWebSignIn)
	}
	return acct, nil
}

// parseForm reads a url-encoded or multipart form within the upload limit.
func (h *handler) parseForm(w http.ResponseWriter, r *http.Request) error {
	r.Body = http.MaxBytesReader(w, r.Body, h.cfg.MaxUploadBytes)
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			return webFormError(err)
		}
		return nil
	}
	if err := r.ParseForm(); err != nil {
		return webFormError(err)
	}
	return nil
}

// formFile reads the uploaded file of field, at most limit bytes: nil
// when no file was sent, errTooLarge when it is longer (never a silently
// cut document).
func formFile(r *http.Request, field string, limit int64) ([]byte, error) {
	f, _, err := r.FormFile(field)
	if err != nil {
		return nil, nil // no file: the form's text fields are used
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, webFormError(err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%w: the file is over %d bytes", errTooLarge, limit)
	}
	return b, nil
}

// formError turns a form struct's validation failure into the same
// per-field error the JSON API gives (fieldErrors), not validator's text.
func formError(err error) error {
	if verrs, ok := errors.AsType[validator.ValidationErrors](err); ok {
		return fieldErrors(verrs)
	}
	return fmt.Errorf("%w: %v", errMalformedRequest, err)
}

func webFormError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return fmt.Errorf("%w: the upload is over %d bytes", errTooLarge, mbe.Limit)
	}
	return fmt.Errorf("%w: the form could not be read: %v", errMalformedRequest, err)
}

// safeNext returns next if it is a local path, else "".
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.Contains(next, "\\") {
		return ""
	}
	return next
}

// publicLink returns the absolute URL of path on this node: PublicURL when
// set, else the request's own host.
func (h *handler) publicLink(r *http.Request, path string) string {
	if h.web != nil && h.web.publicURL != nil {
		return strings.TrimRight(h.web.publicURL.String(), "/") + path
	}
	scheme := "http"
	if overTLS(r) {
		scheme = "https"
	}
	return scheme + "://" + r.Host + path
}

func (h *handler) homePage(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "app.name")
	p.Title = p.T("home.title")
	h.render(w, r, pages.Home(p))
}

func (h *handler) loginPage(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "login.title")
	// The sign-in form's token is always the pre-session's: a signed-in
	// user may sign in again as someone else.
	p.CSRF = h.formCSRF(w, r, pages.Page{})
	h.render(w, r, pages.Login(p, pages.LoginView{Next: safeNext(r.URL.Query().Get("next")), Role: r.URL.Query().Get("role")}))
}

// preCookie binds the sign-in form's token before any session exists
// (login CSRF).
const preCookie = "tc_pre"

func (h *handler) preSessionToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCookie); err == nil && len(c.Value) >= 32 && len(c.Value) <= 64 {
		return c.Value
	}
	tok := randomToken()
	http.SetCookie(w, &http.Cookie{Name: preCookie, Value: tok, Path: "/", MaxAge: 3600, HttpOnly: true,
		Secure: h.web.cfg.Secure, SameSite: http.SameSiteStrictMode})
	return tok
}

func (h *handler) loginSubmit(w http.ResponseWriter, r *http.Request) {
	p := h.page(w, r, "login.title")
	if err := h.parseForm(w, r); err != nil {
		h.webFail(w, r, err)
		return
	}
	pre, err := checkFormCSRF(r, pages.Page{})
	if err != nil {
		h.webFail(w, r, err)
		return
	}
	v := pages.LoginView{Role: r.PostFormValue("role"), Org: strings.TrimSpace(r.PostFormValue("org")),
		Username: strings.TrimSpace(r.PostFormValue("username")), Next: safeNext(r.PostFormValue("next"))}
	s, err := h.authenticateConsole(r.Context(), v, r.PostFormValue("password"), strings.TrimSpace(r.PostFormValue("token")))
	if err != nil {
		p.CSRF = pre
		a, status := h.alertFor(r, p.Lang, err)
		p.Alert = &a
		h.render(w, r, pages.Login(p, v), status)
		return
	}
	if err := h.startConsole(w, r, *s); err != nil {
		h.webFail(w, r, err)
		return
	}
	next := v.Next
	if next == "" {
		next = map[string]string{pages.RoleStaff: "/org", pages.RoleVerifier: "/hr", pages.RoleGov: "/gov"}[s.Role]
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// staffLogin is what the sign-in needs of the issuer service.
type staffLogin interface {
	Login(ctx context.Context, org, username, password string) (*issuer.Principal, error)
}

// authenticateConsole checks a sign-in; every refusal is errWebLogin, so
// the page does not tell which part was wrong.
func (h *handler) authenticateConsole(ctx context.Context, v pages.LoginView, password, token string) (*consoleSession, error) {
	switch v.Role {
	case pages.RoleStaff:
		sl, ok := h.issuer.(staffLogin)
		if h.issuer == nil || !ok || v.Org == "" || v.Username == "" || password == "" {
			return nil, errWebLogin
		}
		pr, err := sl.Login(ctx, v.Org, v.Username, password)
		if err != nil {
			if !errors.Is(err, issuer.ErrUnauthenticated) && !errors.Is(err, issuer.ErrNotFound) && !errors.Is(err, issuer.ErrForbidden) {
				return nil, err // the store failed: not the user's fault
			}
			return nil, fmt.Errorf("%w: %v", errWebLogin, err)
		}
		return &consoleSession{Role: pages.RoleStaff, Org: pr.Org, Name: v.Username, Account: v.Username, Scopes: pr.Scopes}, nil
	case pages.RoleVerifier:
		if h.verifying == nil || h.verifying.v.Accounts == nil || token == "" {
			return nil, errWebLogin
		}
		acct, err := h.verifying.v.Accounts.AuthenticateVerifier(ctx, token)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errWebLogin, err)
		}
		return &consoleSession{Role: pages.RoleVerifier, Name: acct.Name, Account: acct.ID}, nil
	case pages.RoleGov:
		if h.admin == nil || token == "" {
			return nil, errWebLogin
		}
		sum := sha256.Sum256([]byte(token))
		if subtle.ConstantTimeCompare(sum[:], h.admin.hash[:]) != 1 {
			return nil, errWebLogin
		}
		return &consoleSession{Role: pages.RoleGov, Name: "governance", TokenMark: h.admin.consoleMark()}, nil
	}
	return nil, errWebLogin
}

func (h *handler) logoutSubmit(w http.ResponseWriter, r *http.Request) {
	if s := h.console(r); s != nil {
		if err := h.readSessionForm(w, r, s); err != nil {
			h.webFail(w, r, err)
			return
		}
		if err := h.endConsole(r); err != nil {
			h.webFail(w, r, err)
			return
		}
	}
	h.setConsoleCookie(w, "", -1)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// ---- helpers the console areas share ----

// consoleHandler is a page handler of a console role, given its session.
type consoleHandler = func(http.ResponseWriter, *http.Request, *consoleSession)

// forRole returns the wrapper of an area's routes: requireConsole for role.
func (h *handler) forRole(role string) func(consoleHandler) http.HandlerFunc {
	return func(next consoleHandler) http.HandlerFunc { return h.requireConsole(next, role) }
}

// labelOr returns the catalogue's text of key in lang, or fallback when
// the catalogue has no such key (a type, step or claim it does not name).
func labelOr(lang i18n.Lang, key, fallback string) string {
	if i18n.Has(key) {
		return lang.T(key)
	}
	return fallback
}

// flashPage is the layout data of a console page with the flash of a
// ?done= redirect: the catalogue's area+".flash."+done, when it has one.
func (h *handler) flashPage(w http.ResponseWriter, r *http.Request, titleKey, area string) pages.Page {
	p := h.page(w, r, titleKey)
	if done := r.URL.Query().Get("done"); done != "" && len(done) <= 64 && i18n.Has(area+".flash."+done) {
		p.Flash = p.T(area + ".flash." + done)
	}
	return p
}

// webOnceTTL is how long a secret shown once (an offer's code and PIN, a new
// token) waits for the page that shows it.
const webOnceTTL = 5 * time.Minute

// webOnceKey is the store key of a secret shown once: bound to the session's
// form token, so another session cannot read it with the nonce.
func webOnceKey(s *consoleSession, kind, nonce string) string {
	sum := sha256.Sum256([]byte(s.CSRF + "\x00" + kind + "\x00" + nonce))
	return "once/" + hex.EncodeToString(sum[:])
}

// putWebOnce keeps v for the next page of the session (Post/Redirect/Get of
// a secret) and returns the nonce that page names.
func (h *handler) putWebOnce(ctx context.Context, s *consoleSession, kind string, v any) (string, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	nonce := randomToken()[:22]
	if err := h.web.cfg.Sessions.Put(ctx, webOnceKey(s, kind, nonce), raw, webOnceTTL); err != nil {
		return "", fmt.Errorf("keep the secret for its page: %w", err)
	}
	return nonce, nil
}

// takeWebOnce reads and deletes what putWebOnce kept; false when it is gone.
func (h *handler) takeWebOnce(ctx context.Context, s *consoleSession, kind, nonce string, v any) bool {
	if len(nonce) > 64 {
		return false
	}
	raw, err := h.web.cfg.Sessions.Take(ctx, webOnceKey(s, kind, nonce))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			h.log.WarnContext(ctx, "secret shown once: read failed", slog.String("error", err.Error()))
		}
		return false
	}
	return json.Unmarshal(raw, v) == nil
}

// showSecretOnce keeps sec for the next page of the session and redirects
// there (href, with the flash done and the secret's nonce): the
// Post/Redirect/Get of a token, code or password shown once.
func (h *handler) showSecretOnce(w http.ResponseWriter, r *http.Request, s *consoleSession, sec pages.GovSecret, href, done string) {
	nonce, err := h.putWebOnce(r.Context(), s, "secret", sec)
	if err != nil {
		h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, href+"?done="+url.QueryEscape(done)+"&secret="+nonce+"#secret", http.StatusSeeOther)
}

// shownSecret returns the secret showSecretOnce kept for this page (its
// nonce in ?secret=), taking it from the store: nil when the page names
// none. When it names one that is gone (shown already, or kept too long),
// p's alert says so, with next as the next step.
func (h *handler) shownSecret(r *http.Request, s *consoleSession, p *pages.Page, next string) *pages.GovSecret {
	nonce := r.URL.Query().Get("secret")
	if nonce == "" {
		return nil
	}
	var sec pages.GovSecret
	if h.takeWebOnce(r.Context(), s, "secret", nonce, &sec) {
		return &sec
	}
	p.Alert = &pages.Alert{Message: p.T("gov.secret.gone"), Next: next}
	return nil
}

// formCSRF is the form token of a page open to anyone (sign-in,
// verification): the console session's, or a signed-out visitor's bound to
// a short-lived pre-session cookie (against login CSRF).
func (h *handler) formCSRF(w http.ResponseWriter, r *http.Request, p pages.Page) string {
	if p.CSRF != "" {
		return p.CSRF
	}
	return h.preSessionToken(w, r)
}

// checkFormCSRF checks the token of a form formCSRF gave out (r's form
// parsed): against the session's when p has one, else the pre-session
// cookie's. It returns the token that was right.
func checkFormCSRF(r *http.Request, p pages.Page) (string, error) {
	want := p.CSRF
	if want == "" {
		if c, err := r.Cookie(preCookie); err == nil {
			want = c.Value
		}
	}
	if err := checkCSRF(r, want); err != nil {
		return "", err
	}
	return want, nil
}

// audited runs next and records the change it made (or was refused) in
// the admin audit log as actor's, with the outcome read from the answer's
// status; reads (GET) and a node without an audit log are not recorded.
// The operator's API (requireAdmin) and the governance pages both go
// through it.
func (h *handler) audited(actor string, w http.ResponseWriter, r *http.Request, next http.HandlerFunc) {
	if r.Method == http.MethodGet || h.admin == nil || h.admin.audit == nil {
		next(w, r)
		return
	}
	note := &auditNote{actor: actor}
	rec := &statusRecorder{ResponseWriter: w}
	next(rec, r.WithContext(context.WithValue(r.Context(), auditNoteKey{}, note)))
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	h.record(r, rec.status, note)
}
