package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
)

// Offers is what the claim-offer routes need of the issuer service;
// *issuer.Service satisfies it.
type Offers interface {
	CreateOffer(ctx context.Context, org, credentialID string, ttl time.Duration, withTxCode bool) (*issuer.Offer, error)
	OfferInfo(ctx context.Context, id string) (*issuer.OfferInfo, error)
	ExchangeCode(ctx context.Context, code, txCode string) (*issuer.AccessToken, error)
	RedeemCredential(ctx context.Context, accessToken string, req issuer.CredentialRequest) (*issuer.Record, error)
	OfferByReference(ctx context.Context, ref string) (*issuer.CredentialOffer, error)
	Nonce(ctx context.Context) (string, error)
	IssuerMetadata() map[string]any
}

// WithOffers serves one-time claim offers in the OpenID4VCI 1.0
// pre-authorized code flow:
//
//	POST /credentials/{id}/offers            the issuer offers a credential (scope issue)
//	GET  /offers/{id}                        what the claim page may show (public, no code)
//	GET  /.well-known/openid-credential-issuer   the credential issuer metadata
//	GET  /oid4vci/offers/{ref}               an offer by reference (its credential_offer_uri), once
//	POST /oid4vci/token                      code (and tx_code) → access token and c_nonce, form-encoded
//	POST /oid4vci/nonce                      a fresh c_nonce for a proof of possession
//	POST /oid4vci/credential                 Bearer access token (+ proofs.jwt) → the credential and its anchor receipt
//
// The token and credential endpoints answer OAuth errors ({"error": ...}),
// as wallets expect, not problem details.
func WithOffers(o Offers) Option {
	return func(h *handler) error {
		if o == nil {
			return errors.New("ui: nil Offers")
		}
		h.routes = append(h.routes, func(mux *http.ServeMux) {
			or := &offerRoutes{h: h, o: o}
			mux.HandleFunc("POST /credentials/{id}/offers", or.create)
			mux.HandleFunc("GET /offers/{id}", or.info)
			mux.HandleFunc("GET /.well-known/openid-credential-issuer", or.metadata)
			mux.HandleFunc("GET /oid4vci/offers/{ref}", or.byReference)
			mux.HandleFunc("POST /oid4vci/token", or.token)
			mux.HandleFunc("POST /oid4vci/nonce", or.nonce)
			mux.HandleFunc("POST /oid4vci/credential", or.credential)
		})
		return nil
	}
}

type offerRoutes struct {
	h *handler
	o Offers
}

type offerRequest struct {
	// ExpiresIn is a Go duration ("168h"); empty: 7 days.
	ExpiresIn string `json:"expiresIn,omitempty" validate:"max=32"`
	// TxCode asks for a 6-digit PIN the holder must type too.
	TxCode bool `json:"txCode,omitempty"`
}

func (or *offerRoutes) create(w http.ResponseWriter, r *http.Request) {
	h := or.h
	if h.issuer == nil {
		h.fail(w, r, errors.New("offers need the issuing routes"))
		return
	}
	p, err := h.principal(r, issuer.ScopeIssue)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req offerRequest
	if r.ContentLength != 0 {
		if err := h.decode(w, r, &req); err != nil {
			h.fail(w, r, err)
			return
		}
	}
	ttl, err := expiresIn(req.ExpiresIn, "168h")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	offer, err := or.o.CreateOffer(r.Context(), p.Org, r.PathValue("id"), ttl, req.TxCode)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSONStatus(w, r, http.StatusCreated, offer)
}

func (or *offerRoutes) info(w http.ResponseWriter, r *http.Request) {
	info, err := or.o.OfferInfo(r.Context(), r.PathValue("id"))
	if err != nil {
		or.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	or.h.writeJSON(w, r, info)
}

func (or *offerRoutes) metadata(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=300")
	or.h.writeJSON(w, r, or.o.IssuerMetadata())
}

// byReference answers an offer's credential_offer_uri with the offer JSON,
// once; an unknown, used or expired reference is 404.
func (or *offerRoutes) byReference(w http.ResponseWriter, r *http.Request) {
	o, err := or.o.OfferByReference(r.Context(), r.PathValue("ref"))
	if err != nil {
		or.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	or.h.writeJSON(w, r, o)
}

// nonce is the OID4VCI nonce endpoint.
func (or *offerRoutes) nonce(w http.ResponseWriter, r *http.Request) {
	n, err := or.o.Nonce(r.Context())
	if err != nil {
		or.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	or.h.writeJSON(w, r, map[string]string{"c_nonce": n})
}

// oauthError is an OAuth 2.0 error answer (RFC 6749 §5.2, RFC 6750 §3.1).
type oauthError struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// token is the OID4VCI token endpoint for the pre-authorized code grant.
func (or *offerRoutes) token(w http.ResponseWriter, r *http.Request) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/x-www-form-urlencoded" {
		or.oauthFail(w, r, errOAuthRequest, "send the token request as application/x-www-form-urlencoded")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 8<<10))
	if err != nil {
		or.oauthFail(w, r, errOAuthRequest, "the request body is too large or unreadable")
		return
	}
	form, err := url.ParseQuery(string(body))
	if err != nil {
		or.oauthFail(w, r, errOAuthRequest, "the form cannot be parsed")
		return
	}
	if gt := form.Get("grant_type"); gt != issuer.GrantPreAuthorizedCode {
		or.oauthFail(w, r, errOAuthGrantType, "only "+issuer.GrantPreAuthorizedCode+" is supported")
		return
	}
	code := form.Get("pre-authorized_code")
	if code == "" {
		or.oauthFail(w, r, errOAuthRequest, "pre-authorized_code is required")
		return
	}
	tok, err := or.o.ExchangeCode(r.Context(), code, form.Get("tx_code"))
	if err != nil {
		if errors.Is(err, issuer.ErrOfferInvalid) {
			or.oauthFail(w, r, errOAuthGrant, "the offer is unknown, used, expired, or the transaction code is wrong; ask the issuer for a new offer")
			return
		}
		or.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	or.h.writeJSON(w, r, tok)
}

// credentialResponse is the OID4VCI 1.0 credential response, with the
// credential's anchor receipt beside it (a TalentChain extension).
type credentialResponse struct {
	Credentials   []issuedItem              `json:"credentials"`
	AnchorReceipt *credential.AnchorReceipt `json:"anchorReceipt,omitempty"`
}

type issuedItem struct {
	Credential json.RawMessage `json:"credential"`
}

// credential is the OID4VCI credential endpoint: the access token, once.
func (or *offerRoutes) credential(w http.ResponseWriter, r *http.Request) {
	v := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || tok == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="talentchain"`)
		or.oauthFail(w, r, errOAuthToken, "send the access token of the token endpoint as Authorization: Bearer")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		or.oauthFail(w, r, errOAuthCredentialRequest, "the request body is too large")
		return
	}
	req, err := credentialRequest(body)
	if err != nil {
		or.oauthFail(w, r, errOAuthCredentialRequest, err.Error())
		return
	}
	rec, err := or.o.RedeemCredential(r.Context(), strings.TrimSpace(tok), *req)
	switch {
	case errors.Is(err, issuer.ErrOfferInvalid):
		w.Header().Set("WWW-Authenticate", `Bearer realm="talentchain", error="invalid_token"`)
		or.oauthFail(w, r, errOAuthToken, "the access token is unknown, used or expired; claim the offer again")
		return
	case errors.Is(err, issuer.ErrInvalidNonce):
		or.oauthFail(w, r, errOAuthNonce, "the proof's nonce is unknown, expired or used; get a fresh c_nonce from the nonce endpoint")
		return
	case errors.Is(err, issuer.ErrInvalidProof):
		or.oauthFail(w, r, errOAuthProof, oauthDetail(err))
		return
	case errors.Is(err, issuer.ErrCredentialRequest):
		or.oauthFail(w, r, errOAuthCredentialRequest, oauthDetail(err))
		return
	case err != nil:
		or.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	or.h.writeJSON(w, r, credentialResponse{Credentials: []issuedItem{{Credential: rec.Credential}}, AnchorReceipt: rec.Receipt})
}

// credentialRequest reads a credential request (outside input): empty, or
// a JSON object without duplicate members.
func credentialRequest(body []byte) (*issuer.CredentialRequest, error) {
	var req issuer.CredentialRequest
	if len(strings.TrimSpace(string(body))) == 0 {
		return &req, nil
	}
	if _, err := credential.ParseDocument(body); err != nil {
		return nil, fmt.Errorf("the credential request is not a JSON object: %v", err)
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, fmt.Errorf("the credential request is malformed: %v", err)
	}
	return &req, nil
}

// oauthDetail is the reason of a refusal, without the package prefix.
func oauthDetail(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, "issuer: "); i >= 0 {
		msg = msg[i+len("issuer: "):]
	}
	return msg
}

// OAuth error codes; oauthProblem maps them to statuses.
var (
	errOAuthProof             = errors.New("invalid_proof")
	errOAuthNonce             = errors.New("invalid_nonce")
	errOAuthCredentialRequest = errors.New("invalid_credential_request")
	errOAuthRequest           = errors.New("invalid_request")
	errOAuthGrantType         = errors.New("unsupported_grant_type")
	errOAuthGrant             = errors.New("invalid_grant")
	errOAuthToken             = errors.New("invalid_token")
)

// oauthFail answers an OAuth error.
func (or *offerRoutes) oauthFail(w http.ResponseWriter, r *http.Request, code error, desc string) {
	p, _ := oauthProblem(code)
	or.h.log.DebugContext(r.Context(), "oauth error", "request_id", requestID(r.Context()), "error", code.Error())
	body, _ := json.Marshal(oauthError{Error: code.Error(), Description: desc})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	or.h.writeStatus(w, p.Status, body)
}

// oauthProblem gives the status of an OAuth error code.
func oauthProblem(err error) (Problem, bool) {
	switch {
	case errors.Is(err, errOAuthToken):
		return Problem{Status: http.StatusUnauthorized, Title: "invalid_token"}, true
	case errors.Is(err, errOAuthRequest), errors.Is(err, errOAuthGrantType), errors.Is(err, errOAuthGrant),
		errors.Is(err, errOAuthProof), errors.Is(err, errOAuthNonce), errors.Is(err, errOAuthCredentialRequest):
		return Problem{Status: http.StatusBadRequest, Title: err.Error()}, true
	}
	return Problem{}, false
}

// offersProblem maps the offer errors met outside the OAuth endpoints.
func offersProblem(err error) (Problem, bool) {
	switch {
	case errors.Is(err, issuer.ErrOfferInvalid):
		return Problem{Type: ProblemTypeBase + "offer-invalid", Title: "Offer not valid", Status: http.StatusGone,
			Detail: "The offer is unknown, used or expired; ask the issuer for a new one."}, true
	case errors.Is(err, issuer.ErrAnchorPending):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Being anchored", Status: http.StatusServiceUnavailable,
			Detail: "The credential is not anchored on chain yet; try again in a few seconds (the access token stays valid)."}, true
	}
	return Problem{}, false
}

func init() { problemMappers = append(problemMappers, offersProblem) }

// writeStatus answers status with body as is.
func (h *handler) writeStatus(w http.ResponseWriter, status int, body []byte) {
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
