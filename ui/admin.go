package ui

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/talentchain/talentchain/chain"
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
func WithAdmin(token string, a Administration, gov Governance) Option {
	return func(h *handler) error {
		if len(token) < 32 {
			return errors.New("ui: admin token shorter than 32 characters")
		}
		if a == nil {
			return errors.New("ui: nil Administration")
		}
		sum := sha256.Sum256([]byte(token))
		h.admin = &adminRoutes{hash: sum, svc: a, gov: gov}
		return nil
	}
}

type adminRoutes struct {
	hash [sha256.Size]byte
	svc  Administration
	gov  Governance
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
		next(w, r)
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
