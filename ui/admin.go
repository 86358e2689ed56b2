package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/issuer"
)

// Administration is what the operator's routes need of the issuer service;
// *issuer.Service satisfies it.
type Administration interface {
	CreateOrg(ctx context.Context, req issuer.NewOrg) (*issuer.Org, error)
	Org(ctx context.Context, did string) (*issuer.Org, error)
	Orgs(ctx context.Context) ([]*issuer.Org, error)
	Register(ctx context.Context, did string) error
	RotateKey(ctx context.Context, did string) (*issuer.Key, error)
	CreateToken(ctx context.Context, org string, req issuer.NewToken) (string, *issuer.Token, error)
	Tokens(ctx context.Context, org string) ([]*issuer.Token, error)
	RevokeToken(ctx context.Context, org, id string) error
	AddStaff(ctx context.Context, org string, req issuer.NewStaff) (*issuer.Staff, error)
}

// Governance submits governance transactions (accreditation, suspension)
// signed by keys the node holds; *issuer.LocalGovernance satisfies it. A
// refusal by the chain is a *chain.CodeError.
type Governance interface {
	Submit(ctx context.Context, p chain.Payload) (chain.Receipt, error)
}

// WithAdmin serves the operator's routes under /admin/, authenticated by the
// admin token (compared by its SHA-256 in constant time). gov may be nil (a
// node using a remote chain, whose governance votes elsewhere): then the
// accreditation routes answer 501.
//
//	GET  /admin/orgs                          list organisations
//	POST /admin/orgs                          create (and register on chain)
//	GET  /admin/orgs/{did}                    one organisation
//	POST /admin/orgs/{did}/register           retry the on-chain registration
//	POST /admin/orgs/{did}/keys               rotate its signing key
//	GET  /admin/orgs/{did}/tokens             its API tokens (never the secrets)
//	POST /admin/orgs/{did}/tokens             create one; the token is shown once
//	DELETE /admin/orgs/{did}/tokens/{id}      revoke one
//	POST /admin/orgs/{did}/staff              add a staff account
//	POST /admin/orgs/{did}/accreditations     accredit for a credential type
//	DELETE /admin/orgs/{did}/accreditations/{type}  withdraw it
//	POST /admin/orgs/{did}/suspension         suspend; DELETE reinstates
//	GET  /admin/audit?after=N&limit=M         the audit log, oldest first (AdminAudit)
//
// With AdminAudit, every change made through these routes (every method
// but GET), allowed or refused, is appended to the audit log with the
// actor ("operator"), the action, its target, the request id and the
// outcome; request bodies (names, reasons, passwords) are never recorded.
func WithAdmin(token string, a Administration, gov Governance, opts ...AdminOption) Option {
	return func(h *handler) error {
		if len(token) < 32 {
			return errors.New("ui: admin token shorter than 32 characters")
		}
		if a == nil {
			return errors.New("ui: nil Administration")
		}
		sum := sha256.Sum256([]byte(token))
		h.admin = &adminRoutes{hash: sum, svc: a, gov: gov}
		for _, o := range opts {
			if err := o(h.admin); err != nil {
				return err
			}
		}
		return nil
	}
}

// AdminOption configures the operator's routes.
type AdminOption func(*adminRoutes) error

// AuditLog is the append-only log of administrative actions;
// *audit.Log satisfies it. Append returns an error wrapping
// audit.ErrInvalid for an event that breaks its rules; Page returns
// entries oldest first after the sequence number given.
type AuditLog interface {
	Append(ctx context.Context, ev audit.Event) (*audit.Entry, error)
	Page(ctx context.Context, after uint64, limit int) (*audit.Page, error)
}

// AdminAudit records the operator's changes in l and serves it at
// GET /admin/audit.
func AdminAudit(l AuditLog) AdminOption {
	return func(a *adminRoutes) error {
		if l == nil {
			return errors.New("ui: nil AuditLog")
		}
		a.audit = l
		return nil
	}
}

type adminRoutes struct {
	hash  [sha256.Size]byte
	svc   Administration
	gov   Governance
	audit AuditLog // nil: no audit log
}

// consoleMark is what a governance console session keeps of the admin
// token it signed in with: a digest of the token's hash under its own
// domain, so a session record reveals nothing usable about the token.
func (a *adminRoutes) consoleMark() string {
	sum := sha256.Sum256(append([]byte("talentchain/console/gov-token\n"), a.hash[:]...))
	return hex.EncodeToString(sum[:16])
}

// adminActions names the audit action of each changing route.
var adminActions = map[string]string{
	"POST /admin/orgs":                               "org.create",
	"POST /admin/orgs/{did}/register":                "org.register",
	"POST /admin/orgs/{did}/keys":                    "org.key.rotate",
	"POST /admin/orgs/{did}/tokens":                  "token.create",
	"DELETE /admin/orgs/{did}/tokens/{id}":           "token.revoke",
	"POST /admin/orgs/{did}/staff":                   "staff.add",
	"POST /admin/orgs/{did}/accreditations":          "org.accredit",
	"DELETE /admin/orgs/{did}/accreditations/{type}": "org.accreditation.withdraw",
	"POST /admin/orgs/{did}/suspension":              "org.suspend",
	"DELETE /admin/orgs/{did}/suspension":            "org.reinstate",
	// The same changes made from the governance pages (web_gov.go).
	"POST /gov/orgs":                          "org.create",
	"POST /gov/orgs/{did}/register":           "org.register",
	"POST /gov/orgs/{did}/rotate":             "org.key.rotate",
	"POST /gov/orgs/{did}/tokens":             "token.create",
	"POST /gov/orgs/{did}/tokens/{id}/revoke": "token.revoke",
	"POST /gov/orgs/{did}/staff":              "staff.add",
	"POST /gov/orgs/{did}/accredit":           "org.accredit",
	"POST /gov/orgs/{did}/withdraw":           "org.accreditation.withdraw",
	"POST /gov/orgs/{did}/suspend":            "org.suspend",
	"POST /gov/orgs/{did}/reinstate":          "org.reinstate",
	"POST /gov/verifiers":                     "verifier.create",
	"POST /gov/verifiers/{id}/revoke":         "verifier.revoke",
}

// auditNote lets a handler name the target it created (a new
// organisation's DID, a token's id) for the audit entry of its request.
type auditNote struct {
	target string
	actor  string // "operator" (the admin token) unless set
}

type auditNoteKey struct{}

// noteTarget sets the audit target of r's entry.
func noteTarget(r *http.Request, target string) {
	if n, ok := r.Context().Value(auditNoteKey{}).(*auditNote); ok {
		n.target = target
	}
}

// auditTimeout bounds writing one audit entry.
const auditTimeout = 5 * time.Second

// record appends the audit entry of an operator request that changed (or
// tried to change) something. The action has happened by now, so a
// failure to record it is logged, not answered.
func (h *handler) record(r *http.Request, status int, note *auditNote) {
	action, ok := adminActions[r.Pattern]
	if !ok || h.admin.audit == nil {
		return
	}
	target := note.target
	if target == "" {
		target = r.PathValue("did")
		switch {
		case target == "":
			target = r.PathValue("id")
		case r.PathValue("id") != "":
			target += "/tokens/" + r.PathValue("id")
		case r.PathValue("type") != "":
			target += "/accreditations/" + r.PathValue("type")
		}
	}
	outcome := audit.OutcomeOK
	switch {
	case status >= 500:
		outcome = audit.OutcomeFailed
	case status >= 400:
		outcome = audit.OutcomeDenied
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), auditTimeout)
	defer cancel()
	actor := note.actor
	if actor == "" {
		actor = "operator"
	}
	ev := audit.Event{Actor: actor, Action: action, Target: printable(target, 512),
		RequestID: printable(requestID(r.Context()), 128), Outcome: outcome, Status: status}
	if _, err := h.admin.audit.Append(ctx, ev); err != nil {
		h.log.LogAttrs(ctx, slog.LevelError, "audit entry not written",
			slog.String("request_id", requestID(r.Context())), slog.String("action", action),
			slog.String("outcome", outcome), slog.String("error", err.Error()))
	}
}

// printable keeps the printable ASCII of s, at most n bytes: path values
// come from the client.
func printable(s string, n int) string {
	b := make([]byte, 0, min(len(s), n))
	for i := 0; i < len(s) && len(b) < n; i++ {
		if s[i] >= 0x20 && s[i] <= 0x7e {
			b = append(b, s[i])
		} else {
			b = append(b, '?')
		}
	}
	return string(b)
}

// adminAudit answers GET /admin/audit?after=N&limit=M: a page of the audit
// log, oldest first, and the after of the next page.
func (h *handler) adminAudit(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			h.fail(w, r, fmt.Errorf("%w: after: want the sequence number of the last entry seen", errMalformedRequest))
			return
		}
		after = n
	}
	limit := audit.DefaultPageLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > audit.MaxPageLimit {
			h.fail(w, r, fmt.Errorf("%w: limit: want a number from 1 to %d", errMalformedRequest, audit.MaxPageLimit))
			return
		}
		limit = n
	}
	page, err := h.admin.audit.Page(r.Context(), after, limit)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, page)
}

// errNoGovernance: this node holds no governance key.
var errNoGovernance = errors.New("this node holds no governance key")

func (h *handler) adminRoutes(mux *http.ServeMux) {
	routes := map[string]http.HandlerFunc{
		"GET /admin/orgs":                                h.adminOrgs,
		"POST /admin/orgs":                               h.adminCreateOrg,
		"GET /admin/orgs/{did}":                          h.adminOrg,
		"POST /admin/orgs/{did}/register":                h.adminRegister,
		"POST /admin/orgs/{did}/keys":                    h.adminRotate,
		"GET /admin/orgs/{did}/tokens":                   h.adminTokens,
		"POST /admin/orgs/{did}/tokens":                  h.adminCreateToken,
		"DELETE /admin/orgs/{did}/tokens/{id}":           h.adminRevokeToken,
		"POST /admin/orgs/{did}/staff":                   h.adminAddStaff,
		"POST /admin/orgs/{did}/accreditations":          h.adminAccredit,
		"DELETE /admin/orgs/{did}/accreditations/{type}": h.adminWithdraw,
		"POST /admin/orgs/{did}/suspension":              h.adminSuspend,
		"DELETE /admin/orgs/{did}/suspension":            h.adminReinstate,
	}
	if h.admin.audit != nil {
		routes["GET /admin/audit"] = h.adminAudit
	}
	for pattern, fn := range routes {
		mux.HandleFunc(pattern, h.requireAdmin(fn))
	}
}

// requireAdmin lets through requests bearing the admin token.
func (h *handler) requireAdmin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, err := bearer(r)
		if err != nil {
			h.fail(w, r, err)
			return
		}
		sum := sha256.Sum256([]byte(tok))
		if subtle.ConstantTimeCompare(sum[:], h.admin.hash[:]) != 1 {
			h.fail(w, r, fmt.Errorf("%w: not the admin token", errUnauthenticated))
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		h.audited("operator", w, r, next)
	}
}

func (h *handler) adminOrgs(w http.ResponseWriter, r *http.Request) {
	orgs, err := h.admin.svc.Orgs(r.Context())
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, map[string]any{"orgs": orgs})
}

// newOrgRequest creates an organisation, optionally accredited at once.
type newOrgRequest struct {
	Names struct {
		Zh string `json:"zh" validate:"required,max=200"`
		En string `json:"en" validate:"required,max=200"`
	} `json:"names"`
	Kind           string            `json:"kind" validate:"required,oneof=university science_park training_org"`
	USCC           string            `json:"uscc,omitempty" validate:"omitempty,len=18"`
	Accreditations []accreditRequest `json:"accreditations,omitempty" validate:"max=32,dive"`
}

type accreditRequest struct {
	CredentialType string   `json:"credentialType" validate:"required,max=128"`
	Levels         []string `json:"levels,omitempty" validate:"max=8,dive,oneof=bachelor master doctor"`
}

// payload is the chain transaction; the chain wants levels sorted and distinct.
func (a accreditRequest) payload(did string) *chain.Accredit {
	levels := slices.Compact(slices.Sorted(slices.Values(a.Levels)))
	return &chain.Accredit{Issuer: did, CredentialType: a.CredentialType, Levels: levels}
}

func (h *handler) adminCreateOrg(w http.ResponseWriter, r *http.Request) {
	var req newOrgRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if len(req.Accreditations) > 0 && h.admin.gov == nil {
		h.fail(w, r, errNoGovernance)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	org, err := h.admin.svc.CreateOrg(ctx, issuer.NewOrg{
		Names: issuer.Names{Zh: req.Names.Zh, En: req.Names.En}, Kind: req.Kind, USCC: req.USCC,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for _, a := range req.Accreditations {
		if _, err := h.admin.gov.Submit(ctx, a.payload(org.DID)); err != nil {
			h.fail(w, r, fmt.Errorf("accredit %s for %s: %w", org.DID, a.CredentialType, err))
			return
		}
	}
	noteTarget(r, org.DID)
	h.writeJSONStatus(w, r, http.StatusCreated, org)
}

func (h *handler) adminOrg(w http.ResponseWriter, r *http.Request) {
	org, err := h.admin.svc.Org(r.Context(), r.PathValue("did"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, org)
}

func (h *handler) adminRegister(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	if err := h.admin.svc.Register(ctx, r.PathValue("did")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.adminOrg(w, r)
}

func (h *handler) adminRotate(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	key, err := h.admin.svc.RotateKey(ctx, r.PathValue("did"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSONStatus(w, r, http.StatusCreated, key)
}

func (h *handler) adminTokens(w http.ResponseWriter, r *http.Request) {
	toks, err := h.admin.svc.Tokens(r.Context(), r.PathValue("did"))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, map[string]any{"tokens": toks})
}

type newTokenRequest struct {
	Name   string   `json:"name" validate:"required,max=100"`
	Scopes []string `json:"scopes" validate:"required,min=1,max=3,dive,oneof=issue status read"`
	// ExpiresIn is a Go duration ("720h"); empty: no expiry.
	ExpiresIn string `json:"expiresIn,omitempty" validate:"max=32"`
}

func (h *handler) adminCreateToken(w http.ResponseWriter, r *http.Request) {
	var req newTokenRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ttl, err := expiresIn(req.ExpiresIn, "720h")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	scopes := make([]issuer.Scope, len(req.Scopes))
	for i, s := range req.Scopes {
		scopes[i] = issuer.Scope(s)
	}
	secret, tok, err := h.admin.svc.CreateToken(r.Context(), r.PathValue("did"), issuer.NewToken{Name: req.Name, Scopes: scopes, TTL: ttl})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	noteTarget(r, r.PathValue("did")+"/tokens/"+tok.ID)
	h.writeJSONStatus(w, r, http.StatusCreated, map[string]any{"token": secret, "info": tok})
}

func (h *handler) adminRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := h.admin.svc.RevokeToken(r.Context(), r.PathValue("did"), r.PathValue("id")); err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, map[string]string{"revoked": r.PathValue("id")})
}

type newStaffRequest struct {
	Username string `json:"username" validate:"required,max=64"`
	Name     string `json:"name" validate:"required,max=100"`
	Password string `json:"password" validate:"required,min=10,max=200"`
	Role     string `json:"role" validate:"required,oneof=admin registrar viewer"`
}

func (h *handler) adminAddStaff(w http.ResponseWriter, r *http.Request) {
	var req newStaffRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	st, err := h.admin.svc.AddStaff(r.Context(), r.PathValue("did"), issuer.NewStaff{
		Username: req.Username, Name: req.Name, Password: req.Password, Role: issuer.Role(req.Role),
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	noteTarget(r, r.PathValue("did")+"/staff/"+st.Username)
	h.writeJSONStatus(w, r, http.StatusCreated, st)
}

// governance submits p and answers with the transaction's receipt.
func (h *handler) governance(w http.ResponseWriter, r *http.Request, p chain.Payload) {
	if h.admin.gov == nil {
		h.fail(w, r, errNoGovernance)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	rc, err := h.admin.gov.Submit(ctx, p)
	if err != nil {
		h.fail(w, r, fmt.Errorf("%s: %w", p.TxType(), err))
		return
	}
	h.writeJSON(w, r, map[string]any{"tx": p.TxType(), "txHash": rc.TxHash, "height": rc.Height})
}

func (h *handler) adminAccredit(w http.ResponseWriter, r *http.Request) {
	var req accreditRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	h.governance(w, r, req.payload(r.PathValue("did")))
}

func (h *handler) adminWithdraw(w http.ResponseWriter, r *http.Request) {
	h.governance(w, r, &chain.Withdraw{Issuer: r.PathValue("did"), CredentialType: r.PathValue("type")})
}

type reasonRequest struct {
	Reason string `json:"reason" validate:"required,max=500"`
}

func (h *handler) adminSuspend(w http.ResponseWriter, r *http.Request) {
	var req reasonRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	h.governance(w, r, &chain.SuspendIssuer{Issuer: r.PathValue("did"), Reason: req.Reason})
}

func (h *handler) adminReinstate(w http.ResponseWriter, r *http.Request) {
	var req reasonRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	h.governance(w, r, &chain.ReinstateIssuer{Issuer: r.PathValue("did"), Reason: req.Reason})
}
