package ui

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/talentchain/talentchain/wallet"
)

// Wallet is what the holder's wallet routes need; *wallet.Service
// satisfies it. Errors are wallet's sentinels (walletProblem maps them).
type Wallet interface {
	SignUp(ctx context.Context, req wallet.SignUp) (*wallet.Account, error)
	Login(ctx context.Context, req wallet.Login) (*wallet.Session, error)
	Logout(ctx context.Context, sessionID string) error
	LogoutAll(ctx context.Context, account string) error
	Authenticate(ctx context.Context, sessionID string) (*wallet.Session, error)
	CSRFToken(sessionID string) string
	CheckCSRF(sessionID, token string) error
	Account(ctx context.Context, account string) (*wallet.Account, error)

	Credentials(ctx context.Context, account string, opts wallet.ListOptions) (*wallet.Page, error)
	Credential(ctx context.Context, account, id string) (*wallet.Credential, error)
	DeleteCredential(ctx context.Context, account, id string) error
	Import(ctx context.Context, account string, file []byte) (*wallet.Credential, error)
	AcceptOffer(ctx context.Context, account string, req wallet.AcceptOffer) ([]*wallet.Credential, error)

	Present(ctx context.Context, account string, req wallet.PresentRequest) (*wallet.Presentation, error)
	PresentSDJWT(ctx context.Context, account string, req wallet.PresentSDJWTRequest) (string, error)
	FetchRequest(ctx context.Context, account, requestURL string) (*wallet.RequestView, error)
	Respond(ctx context.Context, account string, c wallet.Consent) (*wallet.Response, error)
	DeclineRequest(ctx context.Context, account, requestID string) error

	CreateShare(ctx context.Context, account string, req wallet.NewShare) (*wallet.Share, error)
	Shares(ctx context.Context, account string) ([]*wallet.Share, error)
	ShareLog(ctx context.Context, account, id string) ([]*wallet.Access, error)
	RevokeShare(ctx context.Context, account, id string) error
	OpenShare(ctx context.Context, token string, v wallet.Visitor) (*wallet.Shared, error)

	Export(ctx context.Context, account, passphrase string) ([]byte, error)
	Restore(ctx context.Context, account string, data []byte, passphrase string) (*wallet.RestoreResult, error)
}

// Wallet session cookie and CSRF header.
const (
	// WalletCookie holds the holder's session id (HttpOnly, SameSite=Lax,
	// Path=/, Secure when the node's public URL is https).
	WalletCookie = "tc_wallet"
	// CSRFHeader carries the session's CSRF token on every state-changing
	// wallet request (a multipart restore may send it as the form field
	// "csrf" instead).
	CSRFHeader = "X-CSRF-Token"
	// BackupPassphraseHeader carries the passphrase of a raw-body restore.
	BackupPassphraseHeader = "X-Backup-Passphrase"
	// maxBackupBytes bounds a backup upload (the wallet's own limit is 48 MiB).
	maxBackupBytes = 50 << 20
)

// WithWallet serves the holder's wallet as a JSON API (docs/design/wallet-http.md):
//
//	POST   /wallet/signup                 open an account                      201 Account
//	POST   /wallet/login                  password → session cookie            200 {session, csrf}; 429 Retry-After
//	POST   /wallet/logout                 end this session                     204
//	POST   /wallet/logout-all             end every session of the holder      204
//	GET    /wallet/me                     the account, session and CSRF token  200
//	GET    /wallet/credentials?after&limit  the credentials with live status    200 Page
//	GET    /wallet/credentials/{id}       one credential in full               200
//	DELETE /wallet/credentials/{id}                                            204
//	POST   /wallet/credentials/import     a VC file, {credential, anchorReceipt} or an SD-JWT   201 | 422 report
//	POST   /wallet/offers/accept          {offer, txCode} (also /wallet/offers)  201 [Credential]
//	POST   /wallet/presentations          {credentialIds, challenge, domain}   200 Presentation
//	POST   /wallet/presentations/sd-jwt   {credentialId, disclose, nonce, audience}  200 {presentation}
//	GET    /wallet/requests?url=          fetch and match a presentation request (also POST {url})  200 RequestView
//	POST   /wallet/requests/respond       {requestId, selections}              200 Response
//	POST   /wallet/requests/{id}/consent  {selections}                         200 Response
//	DELETE /wallet/requests/{id}          decline                              204
//	POST   /wallet/shares                 {credentialIds, expiresIn, label, disclose}  201 Share (URL once)
//	GET    /wallet/shares                                                      200 [Share]
//	DELETE /wallet/shares/{id}            revoke                               204
//	GET    /wallet/shares/{id}/log        who opened it, when                  200 [Access]
//	GET    /share/{token}                 the shared presentation (public, logged)  200 | 404 | 410
//	POST   /wallet/backup                 {passphrase} → the encrypted file    200 application/octet-stream
//	POST   /wallet/restore                multipart (file, passphrase) or raw body + X-Backup-Passphrase  200 RestoreResult
//
// Every /wallet route but signup and login needs the session cookie; every
// state-changing one (not GET) also the session's CSRF token in
// X-CSRF-Token, or it is refused with 403. secureCookie marks the cookie
// Secure (the node is served over https).
func WithWallet(w Wallet, secureCookie bool) Option {
	return func(h *handler) error {
		if w == nil {
			return errors.New("ui: nil Wallet")
		}
		wr := &walletRoutes{h: h, w: w, secure: secureCookie}
		h.routes = append(h.routes, wr.register)
		return nil
	}
}

type walletRoutes struct {
	h      *handler
	w      Wallet
	secure bool
}

func (wr *walletRoutes) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /wallet/signup", wr.signup)
	mux.HandleFunc("POST /wallet/login", wr.login)
	mux.HandleFunc("POST /wallet/logout", wr.authed(true, wr.logout))
	mux.HandleFunc("POST /wallet/logout-all", wr.authed(true, wr.logoutAll))
	mux.HandleFunc("GET /wallet/me", wr.authed(false, wr.me))
	mux.HandleFunc("GET /wallet/credentials", wr.authed(false, wr.list))
	mux.HandleFunc("GET /wallet/credentials/{id}", wr.authed(false, wr.get))
	mux.HandleFunc("DELETE /wallet/credentials/{id}", wr.authed(true, wr.del))
	mux.HandleFunc("POST /wallet/credentials/import", wr.authed(true, wr.importFile))
	mux.HandleFunc("POST /wallet/offers/accept", wr.authed(true, wr.acceptOffer))
	mux.HandleFunc("POST /wallet/offers", wr.authed(true, wr.acceptOffer))
	mux.HandleFunc("POST /wallet/presentations", wr.authed(true, wr.present))
	mux.HandleFunc("POST /wallet/presentations/sd-jwt", wr.authed(true, wr.presentSDJWT))
	mux.HandleFunc("GET /wallet/requests", wr.authed(false, wr.fetchRequestQuery))
	mux.HandleFunc("POST /wallet/requests", wr.authed(true, wr.fetchRequestBody))
	mux.HandleFunc("POST /wallet/requests/respond", wr.authed(true, wr.respond))
	mux.HandleFunc("POST /wallet/requests/{id}/consent", wr.authed(true, wr.consent))
	mux.HandleFunc("DELETE /wallet/requests/{id}", wr.authed(true, wr.decline))
	mux.HandleFunc("POST /wallet/shares", wr.authed(true, wr.createShare))
	mux.HandleFunc("GET /wallet/shares", wr.authed(false, wr.shares))
	mux.HandleFunc("DELETE /wallet/shares/{id}", wr.authed(true, wr.revokeShare))
	mux.HandleFunc("GET /wallet/shares/{id}/log", wr.authed(false, wr.shareLog))
	mux.HandleFunc("GET /share/{token}", wr.openShare)
	mux.HandleFunc("POST /wallet/backup", wr.authed(true, wr.backup))
	mux.HandleFunc("POST /wallet/restore", wr.authed(false, wr.restore)) // CSRF checked after the multipart form is read
}

// walletSession is the authenticated holder of a request.
type walletSession struct {
	id   string // the session id (the cookie's value)
	sess *wallet.Session
}

// errWalletCSRF is a state-changing request without the session's token.
var errWalletCSRF = fmt.Errorf("%w: send the session's token (GET /wallet/me) as %s", wallet.ErrCSRF, CSRFHeader)

// authed wraps a route that needs a session (and, when csrf, the session's
// CSRF token in X-CSRF-Token).
func (wr *walletRoutes) authed(csrf bool, next func(http.ResponseWriter, *http.Request, *walletSession)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		c, err := r.Cookie(WalletCookie)
		if err != nil || c.Value == "" {
			wr.h.fail(w, r, fmt.Errorf("%w: log in first (POST /wallet/login)", wallet.ErrUnauthenticated))
			return
		}
		sess, err := wr.w.Authenticate(r.Context(), c.Value)
		if err != nil {
			wr.h.fail(w, r, err)
			return
		}
		if csrf {
			if err := wr.w.CheckCSRF(c.Value, r.Header.Get(CSRFHeader)); err != nil {
				wr.h.fail(w, r, errWalletCSRF)
				return
			}
		}
		next(w, r, &walletSession{id: c.Value, sess: sess})
	}
}

// clientIP is the address the request came from (the node has no trusted
// proxy list: the connection's peer).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return ""
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.String()
	}
	return ""
}

func (wr *walletRoutes) signup(w http.ResponseWriter, r *http.Request) {
	var req wallet.SignUp
	if err := wr.h.decodeLoose(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	acct, err := wr.w.SignUp(r.Context(), req)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	wr.h.writeJSONStatus(w, r, http.StatusCreated, acct)
}

// walletLogin is the answer of a login and of /wallet/me: the session (its
// id only in the cookie) and the CSRF token the client sends back.
type walletLogin struct {
	Session *wallet.Session `json:"session"`
	Account *wallet.Account `json:"account,omitempty"`
	CSRF    string          `json:"csrf"`
}

func (wr *walletRoutes) login(w http.ResponseWriter, r *http.Request) {
	var req wallet.Login
	if err := wr.h.decodeLoose(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	req.IP, req.UserAgent = clientIP(r), r.UserAgent()
	sess, err := wr.w.Login(r.Context(), req)
	if err != nil {
		if rl, ok := errors.AsType[*wallet.RateLimitError](err); ok {
			secs := int(rl.RetryAfter.Round(time.Second) / time.Second)
			w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
		}
		wr.h.fail(w, r, err)
		return
	}
	id, csrf := sess.ID, sess.CSRF
	http.SetCookie(w, &http.Cookie{
		Name: WalletCookie, Value: id, Path: "/", HttpOnly: true, Secure: wr.secure, SameSite: http.SameSiteLaxMode,
	})
	out := *sess
	out.ID, out.CSRF = "", ""
	w.Header().Set("Cache-Control", "no-store")
	wr.h.writeJSON(w, r, walletLogin{Session: &out, CSRF: csrf})
}

func (wr *walletRoutes) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{
		Name: WalletCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: wr.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (wr *walletRoutes) logout(w http.ResponseWriter, r *http.Request, s *walletSession) {
	if err := wr.w.Logout(r.Context(), s.id); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.clearCookie(w)
	writeWalletNoContent(w)
}

func (wr *walletRoutes) logoutAll(w http.ResponseWriter, r *http.Request, s *walletSession) {
	if err := wr.w.LogoutAll(r.Context(), s.sess.Account); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.clearCookie(w)
	writeWalletNoContent(w)
}

func (wr *walletRoutes) me(w http.ResponseWriter, r *http.Request, s *walletSession) {
	acct, err := wr.w.Account(r.Context(), s.sess.Account)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, walletLogin{Session: s.sess, Account: acct, CSRF: wr.w.CSRFToken(s.id)})
}

// errWalletQuery is a query parameter that cannot be read.
func walletQueryError(field, reason string) error {
	return &validationError{Fields: []FieldError{{Field: field, Reason: reason}}}
}

func (wr *walletRoutes) list(w http.ResponseWriter, r *http.Request, s *walletSession) {
	q := r.URL.Query()
	opts := wallet.ListOptions{After: q.Get("after")}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > 1000 {
			wr.h.fail(w, r, walletQueryError("limit", "must be a number from 1 to 1000"))
			return
		}
		opts.Limit = n
	}
	page, err := wr.w.Credentials(r.Context(), s.sess.Account, opts)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, page)
}

func (wr *walletRoutes) get(w http.ResponseWriter, r *http.Request, s *walletSession) {
	c, err := wr.w.Credential(r.Context(), s.sess.Account, r.PathValue("id"))
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, c)
}

func (wr *walletRoutes) del(w http.ResponseWriter, r *http.Request, s *walletSession) {
	if err := wr.w.DeleteCredential(r.Context(), s.sess.Account, r.PathValue("id")); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	writeWalletNoContent(w)
}

// importFile takes the credential file as the body: JSON (a VC, or
// {credential, anchorReceipt}) or an SD-JWT compact string (any text type).
func (wr *walletRoutes) importFile(w http.ResponseWriter, r *http.Request, s *walletSession) {
	body, err := readBody(w, r, wallet.MaxImportSize+(64<<10))
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	c, err := wr.w.Import(r.Context(), s.sess.Account, body)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSONStatus(w, r, http.StatusCreated, c)
}

func (wr *walletRoutes) acceptOffer(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var req wallet.AcceptOffer
	if err := wr.h.decodeLoose(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	cs, err := wr.w.AcceptOffer(r.Context(), s.sess.Account, req)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSONStatus(w, r, http.StatusCreated, cs)
}

func (wr *walletRoutes) present(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var req wallet.PresentRequest
	if err := wr.h.decodeLoose(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	p, err := wr.w.Present(r.Context(), s.sess.Account, req)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, p)
}

func (wr *walletRoutes) presentSDJWT(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var req wallet.PresentSDJWTRequest
	if err := wr.h.decodeLoose(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	out, err := wr.w.PresentSDJWT(r.Context(), s.sess.Account, req)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, map[string]string{"presentation": out})
}

// walletRequestURL is the body of POST /wallet/requests.
type walletRequestURL struct {
	URL string `json:"url" validate:"required,max=2048"`
}

func (wr *walletRoutes) fetchRequestQuery(w http.ResponseWriter, r *http.Request, s *walletSession) {
	u := r.URL.Query().Get("url")
	if u == "" || len(u) > 2048 {
		wr.h.fail(w, r, walletQueryError("url", "is required: the presentation request's link (at most 2048 bytes)"))
		return
	}
	wr.fetchRequest(w, r, s, u)
}

func (wr *walletRoutes) fetchRequestBody(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var req walletRequestURL
	if err := wr.h.decode(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.fetchRequest(w, r, s, req.URL)
}

func (wr *walletRoutes) fetchRequest(w http.ResponseWriter, r *http.Request, s *walletSession, u string) {
	view, err := wr.w.FetchRequest(r.Context(), s.sess.Account, u)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, view)
}

func (wr *walletRoutes) respond(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var c wallet.Consent
	if err := wr.h.decodeLoose(w, r, &c); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.answer(w, r, s, c)
}

// walletConsent is the body of POST /wallet/requests/{id}/consent.
type walletConsent struct {
	Selections []wallet.Selection `json:"selections"`
}

func (wr *walletRoutes) consent(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var c walletConsent
	if err := wr.h.decodeLoose(w, r, &c); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.answer(w, r, s, wallet.Consent{RequestID: r.PathValue("id"), Selections: c.Selections})
}

func (wr *walletRoutes) answer(w http.ResponseWriter, r *http.Request, s *walletSession, c wallet.Consent) {
	resp, err := wr.w.Respond(r.Context(), s.sess.Account, c)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, resp)
}

func (wr *walletRoutes) decline(w http.ResponseWriter, r *http.Request, s *walletSession) {
	if err := wr.w.DeclineRequest(r.Context(), s.sess.Account, r.PathValue("id")); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	writeWalletNoContent(w)
}

// walletShareRequest is the body of POST /wallet/shares.
type walletShareRequest struct {
	CredentialIDs []string `json:"credentialIds"`
	// ExpiresIn is a Go duration ("168h"); empty: the wallet's default (7 days).
	ExpiresIn string `json:"expiresIn,omitempty" validate:"max=32"`
	Label     string `json:"label,omitempty"`
	// Disclose, for one SD-JWT credential, lists the claims (JSON
	// pointers of its "disclosable") the link reveals.
	Disclose []string `json:"disclose,omitempty"`
}

func (wr *walletRoutes) createShare(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var req walletShareRequest
	if err := wr.h.decode(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	ns := wallet.NewShare{CredentialIDs: req.CredentialIDs, Label: req.Label, Disclose: req.Disclose}
	if req.ExpiresIn != "" {
		d, err := time.ParseDuration(req.ExpiresIn)
		if err != nil || d <= 0 {
			wr.h.fail(w, r, walletQueryError("expiresIn", `must be a positive duration such as "168h"`))
			return
		}
		ns.TTL = d
	}
	sh, err := wr.w.CreateShare(r.Context(), s.sess.Account, ns)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSONStatus(w, r, http.StatusCreated, sh)
}

func (wr *walletRoutes) shares(w http.ResponseWriter, r *http.Request, s *walletSession) {
	list, err := wr.w.Shares(r.Context(), s.sess.Account)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	if list == nil {
		list = []*wallet.Share{}
	}
	wr.h.writeJSON(w, r, list)
}

func (wr *walletRoutes) revokeShare(w http.ResponseWriter, r *http.Request, s *walletSession) {
	if err := wr.w.RevokeShare(r.Context(), s.sess.Account, r.PathValue("id")); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	writeWalletNoContent(w)
}

func (wr *walletRoutes) shareLog(w http.ResponseWriter, r *http.Request, s *walletSession) {
	log, err := wr.w.ShareLog(r.Context(), s.sess.Account, r.PathValue("id"))
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	if log == nil {
		log = []*wallet.Access{}
	}
	wr.h.writeJSON(w, r, log)
}

// openShare is the public side of a share link: the presentation, logged.
func (wr *walletRoutes) openShare(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	sh, err := wr.w.OpenShare(r.Context(), r.PathValue("token"), wallet.Visitor{IP: clientIP(r), UserAgent: r.UserAgent()})
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, sh)
}

// walletBackupRequest is the body of POST /wallet/backup: the passphrase
// travels in the body, never in a URL.
type walletBackupRequest struct {
	Passphrase string `json:"passphrase" validate:"required,max=1024"`
}

func (wr *walletRoutes) backup(w http.ResponseWriter, r *http.Request, s *walletSession) {
	var req walletBackupRequest
	if err := wr.h.decode(w, r, &req); err != nil {
		wr.h.fail(w, r, err)
		return
	}
	data, err := wr.w.Export(r.Context(), s.sess.Account, req.Passphrase)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	name := "talentchain-wallet-" + time.Now().UTC().Format("20060102") + ".tcwbak"
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	w.Write(data)
}

// restore reads a backup: multipart/form-data with the fields file,
// passphrase (and csrf, when not in the header), or the file as the raw
// body with the passphrase in X-Backup-Passphrase.
func (wr *walletRoutes) restore(w http.ResponseWriter, r *http.Request, s *walletSession) {
	limit := min(wr.h.cfg.MaxUploadBytes, maxBackupBytes)
	var data []byte
	var pass, csrf string
	csrf = r.Header.Get(CSRFHeader)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		r.Body = http.MaxBytesReader(w, r.Body, limit+(64<<10))
		if err := r.ParseMultipartForm(8 << 20); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				wr.h.fail(w, r, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit))
				return
			}
			wr.h.fail(w, r, fmt.Errorf("%w: reading the form: %v", errMalformedRequest, err))
			return
		}
		defer r.MultipartForm.RemoveAll()
		if csrf == "" {
			csrf = r.FormValue("csrf")
		}
		if err := wr.w.CheckCSRF(s.id, csrf); err != nil {
			wr.h.fail(w, r, errWalletCSRF)
			return
		}
		pass = r.FormValue("passphrase")
		f, _, err := r.FormFile("file")
		if err != nil {
			wr.h.fail(w, r, walletQueryError("file", "is required: the backup file"))
			return
		}
		defer f.Close()
		if data, err = io.ReadAll(io.LimitReader(f, limit+1)); err != nil {
			wr.h.fail(w, r, fmt.Errorf("%w: reading the file: %v", errMalformedRequest, err))
			return
		}
		if int64(len(data)) > limit {
			wr.h.fail(w, r, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit))
			return
		}
	} else {
		if err := wr.w.CheckCSRF(s.id, csrf); err != nil {
			wr.h.fail(w, r, errWalletCSRF)
			return
		}
		pass = r.Header.Get(BackupPassphraseHeader)
		var err error
		if data, err = io.ReadAll(http.MaxBytesReader(w, r.Body, limit)); err != nil {
			if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
				wr.h.fail(w, r, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit))
				return
			}
			wr.h.fail(w, r, fmt.Errorf("%w: reading the body: %v", errMalformedRequest, err))
			return
		}
	}
	if pass == "" {
		wr.h.fail(w, r, walletQueryError("passphrase", "is required (form field passphrase, or the "+BackupPassphraseHeader+" header)"))
		return
	}
	if len(data) == 0 {
		wr.h.fail(w, r, walletQueryError("file", "is empty"))
		return
	}
	res, err := wr.w.Restore(r.Context(), s.sess.Account, data, pass)
	if err != nil {
		wr.h.fail(w, r, err)
		return
	}
	wr.h.writeJSON(w, r, res)
}

// writeWalletNoContent answers 204: the change is done.
func writeWalletNoContent(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) }

// walletProblem maps the wallet's errors to statuses.
func walletProblem(err error) (Problem, bool) {
	p := func(kind, title string, status int, detail string) (Problem, bool) {
		return Problem{Type: ProblemTypeBase + kind, Title: title, Status: status, Detail: detail}, true
	}
	var (
		ve *wallet.ValidationError
		re *wallet.RejectedError
		rl *wallet.RateLimitError
	)
	switch {
	case errors.As(err, &ve):
		fields := make([]FieldError, len(ve.Fields))
		for i, f := range ve.Fields {
			fields[i] = FieldError{Field: f.Field, Reason: f.Reason}
		}
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: "Some fields are missing or invalid: fix the fields listed and send it again.", Errors: fields}, true
	case errors.As(err, &re):
		var fields []FieldError
		if re.Verification != nil {
			for _, c := range re.Verification.Checks {
				if !c.Passed {
					fields = append(fields, FieldError{Field: c.Name, Reason: c.Message})
				}
			}
		}
		title := "Credential refused"
		if re.NotHolder {
			title = "Credential of another holder"
		}
		return Problem{Type: ProblemTypeBase + "wallet-rejected", Title: title, Status: http.StatusUnprocessableEntity,
			Detail: "The credential did not verify and was not stored; the checks listed failed.", Errors: fields}, true
	case errors.As(err, &rl):
		return p("rate-limited", "Too many attempts", http.StatusTooManyRequests, rl.Error())
	case errors.Is(err, wallet.ErrInvalid):
		return p("validation", "Invalid request", http.StatusBadRequest, err.Error())
	case errors.Is(err, wallet.ErrUnauthenticated):
		return p("wallet-unauthenticated", "Log in", http.StatusUnauthorized,
			"The session is missing, expired or ended, or the username or password is wrong; log in (POST /wallet/login).")
	case errors.Is(err, wallet.ErrCSRF):
		return p("csrf", "Missing or wrong CSRF token", http.StatusForbidden, err.Error())
	case errors.Is(err, wallet.ErrNotFound):
		return p("not-found", "Not found", http.StatusNotFound, "Nothing is known under this identifier in your wallet.")
	case errors.Is(err, wallet.ErrConflict):
		return p("conflict", "Conflict", http.StatusConflict, err.Error())
	case errors.Is(err, wallet.ErrExpired):
		return p("expired", "Expired", http.StatusGone, "This link or request has expired.")
	case errors.Is(err, wallet.ErrRevoked):
		return p("revoked", "Revoked", http.StatusGone, "This link was revoked by its holder.")
	case errors.Is(err, wallet.ErrUnsupported):
		return p("unsupported", "Not supported", http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, wallet.ErrForbiddenURL):
		return p("forbidden-url", "URL not allowed", http.StatusBadRequest, err.Error())
	case errors.Is(err, wallet.ErrOfferRefused):
		return p("offer-refused", "Offer refused", http.StatusBadRequest, err.Error())
	case errors.Is(err, wallet.ErrRemote):
		return p("remote", "The issuer or verifier failed", http.StatusBadGateway, err.Error())
	case errors.Is(err, wallet.ErrUnavailable):
		return p("unavailable", "Unavailable", http.StatusServiceUnavailable, "A service the wallet needs (the chain) cannot be reached now; try again shortly.")
	case errors.Is(err, wallet.ErrBackup):
		return p("backup", "Backup cannot be opened", http.StatusBadRequest,
			"The passphrase is wrong or the file was altered or truncated; nothing was changed.")
	}
	return Problem{}, false
}

func init() { problemMappers = append(problemMappers, walletProblem) }
