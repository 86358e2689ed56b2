package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/verifier/exchange"
	"github.com/talentchain/talentchain/verifier/policy"
)

// Pipeline is the verification pipeline (package verifier); *verifier.Verifier
// satisfies it, and so does cmd's wrapper that refuses formats it has no
// checker for.
//
// A readable credential or presentation that fails a check is a Report with
// state invalid and a nil error. Errors wrap verifier.ErrMalformed (not a
// credential or presentation in any form: 400), verifier.ErrInvalid (bad
// options: 400), verifier.ErrUnavailable (the chain or store could not be
// read: 503), ErrUnsupportedFormat (a format the pipeline cannot check: 422)
// or ctx.Err(); anything else is an internal failure, logged and never shown.
type Pipeline interface {
	VerifyCredential(ctx context.Context, raw []byte, opts verifier.Options) (*verifier.Report, error)
	VerifyPresentation(ctx context.Context, raw []byte, opts verifier.Options) (*verifier.Report, error)
}

// Errors of the verifier's routes; verifierProblem maps them.
var (
	// ErrUnsupportedFormat means the input is a credential or presentation
	// in a format (VC-JWT, SD-JWT VC…) the pipeline cannot check: no verdict
	// is given. Answered 422.
	ErrUnsupportedFormat = errors.New("format not supported by this verifier")
	// ErrVerifierToken means the bearer token is not a live verifier token.
	// Answered 401.
	ErrVerifierToken = errors.New("unknown or revoked verifier token")
	// ErrInvalidVerifier means a new verifier account was refused (its name).
	// Answered 400.
	ErrInvalidVerifier = errors.New("invalid verifier account")
	// ErrVerifierNotFound means no verifier account has this id. Answered 404.
	ErrVerifierNotFound = errors.New("no such verifier account")
	// ErrPolicyOwner means the policy belongs to another verifier account.
	// Answered 403.
	ErrPolicyOwner = errors.New("the policy belongs to another verifier account")
	// errPolicyOffice: the verifier account may not write policies.
	errPolicyOffice = errors.New("this verifier account may not save policies")
)

// VerifierAccount is an account of a verifier (an employer's HR, a
// talent-policy office) that creates presentation requests, verifies in
// batches and asks for policy decisions with its own API tokens.
type VerifierAccount struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Policies lets the account save talent-policy rules (a policy office).
	Policies bool      `json:"policies"`
	Created  time.Time `json:"created"`
	Revoked  bool      `json:"revoked,omitempty"`
}

// NewVerifier is what the operator gives to create a verifier account.
type NewVerifier struct {
	Name     string `json:"name" validate:"required,max=100"`
	Policies bool   `json:"policies,omitempty"`
}

// VerifierAccounts keeps verifier accounts and their API tokens (stored
// hashed). Errors: ErrVerifierToken from AuthenticateVerifier for a token
// that is unknown, malformed or revoked; ErrVerifierNotFound from
// RevokeVerifier; store errors otherwise.
type VerifierAccounts interface {
	// CreateVerifier makes an account and returns its token, shown once.
	CreateVerifier(ctx context.Context, req NewVerifier) (token string, acct *VerifierAccount, err error)
	AuthenticateVerifier(ctx context.Context, token string) (*VerifierAccount, error)
	Verifiers(ctx context.Context) ([]*VerifierAccount, error)
	RevokeVerifier(ctx context.Context, id string) error
}

// Requests serves presentation requests (package verifier/exchange). Submit
// passes the anchor receipts of the presented credentials (by credential
// id) to the pipeline. Errors are exchange's sentinels.
type Requests interface {
	Create(ctx context.Context, verifierID string, req exchange.NewRequest) (*exchange.Request, error)
	Fetch(ctx context.Context, id string) (*exchange.RequestObject, error)
	Submit(ctx context.Context, id string, resp exchange.Response, receipts map[string]*credential.AnchorReceipt) (*exchange.Result, error)
	Result(ctx context.Context, verifierID, id string) (*RequestResult, error)
}

// RequestResult is the outcome of an answered request as its verifier reads
// it: exchange's result and, when it was kept, the pipeline's full report
// of the presentation (every step in English and Chinese).
type RequestResult struct {
	*exchange.Result
	Report *verifier.Report `json:"report,omitempty"`
}

// Policies keeps talent-policy rules, each owned by the verifier account
// that first saved it. Errors are policy's sentinels (*policy.CompileError
// for a rule that does not compile, with line and column), and
// ErrPolicyOwner when another account owns the policy.
type Policies interface {
	Save(ctx context.Context, owner string, p policy.Policy) (*policy.Compiled, error)
	Get(ctx context.Context, id string, version int) (*policy.Policy, error)
}

// DecisionRequest asks for a policy decision over credentials the pipeline
// verifies first: a presentation (the applicant is its holder) or a list of
// credentials of Applicant.
type DecisionRequest struct {
	PolicyID string
	// Version of the policy; 0: the latest.
	Version   int
	Applicant string
	// Presentation and PresentationOptions (challenge, domain, receipts by
	// credential id); or Credentials.
	Presentation        json.RawMessage
	PresentationOptions verifier.Options
	Credentials         []DecisionCredential
}

// DecisionCredential is one credential of a decision and its anchor receipt.
type DecisionCredential struct {
	Raw     json.RawMessage
	Receipt *credential.AnchorReceipt
}

// DecisionOutcome is a decision, its signed PolicyDecisionCredential and
// the verification reports of the credentials it was made from.
type DecisionOutcome struct {
	Decision   *policy.Decision   `json:"decision"`
	Credential map[string]any     `json:"decisionCredential"`
	Reports    []*verifier.Report `json:"reports"`
}

// Decisions makes policy decisions. Errors: policy's and the pipeline's
// sentinels; a *policy.InputError for an applicant that does not match.
type Decisions interface {
	Decide(ctx context.Context, req DecisionRequest) (*DecisionOutcome, error)
}

// Verifying is what the verifier's routes need.
type Verifying struct {
	Pipeline  Pipeline
	Accounts  VerifierAccounts
	Requests  Requests
	Policies  Policies
	Decisions Decisions
	// Domain is the domain a presentation request binds presentations to
	// when its creator names none (the node's public host name).
	Domain string
	// VCAPI answers POST /credentials/verify and /presentations/verify with
	// the pipeline instead of the handler's Verifier.
	VCAPI bool
	// MaxBatch bounds the items of one batch; 0: DefaultMaxBatch.
	MaxBatch int
	// BatchWorkers is how many items of a batch are verified at once; 0: 4.
	BatchWorkers int
}

// DefaultMaxBatch is the largest batch accepted by default.
const DefaultMaxBatch = 1000

// WithVerifying serves the verifier's side:
//
//	POST /credentials/verify, /presentations/verify   the full pipeline (when v.VCAPI)
//	POST /verify/batch                       a JSON array of credentials or presentations
//	                                         (verifier token); a table as JSON, or CSV
//	POST /requests                           create a presentation request (verifier token)
//	GET  /requests/{id}                      the request object for the holder's wallet
//	POST /requests/{id}/response             the holder's answer (direct_post form or JSON)
//	GET  /requests/{id}/result               the outcome, for the creating verifier only
//	POST /policies                           save a policy version (token with policies)
//	GET  /policies/{id}[?version=n]          a policy version (public)
//	POST /policies/{id}/decisions            a signed decision (verifier token)
//	GET|POST /admin/verifiers, DELETE /admin/verifiers/{id}   accounts (admin token; with WithAdmin)
//
// setupErr, when not nil, makes New fail with it: cmd passes the result of
// building the services straight through.
func WithVerifying(v Verifying, setupErr error) Option {
	return func(h *handler) error {
		if setupErr != nil {
			return fmt.Errorf("ui: verifier services: %w", setupErr)
		}
		if v.Pipeline == nil || v.Accounts == nil || v.Requests == nil || v.Policies == nil || v.Decisions == nil {
			return errors.New("ui: WithVerifying needs a pipeline, accounts, requests, policies and decisions")
		}
		if v.MaxBatch == 0 {
			v.MaxBatch = DefaultMaxBatch
		}
		if v.BatchWorkers == 0 {
			v.BatchWorkers = 4
		}
		if v.MaxBatch < 1 || v.BatchWorkers < 1 {
			return errors.New("ui: WithVerifying: MaxBatch and BatchWorkers must be positive")
		}
		vr := &verifyingRoutes{h: h, v: v}
		if v.VCAPI {
			h.verifying = vr
		}
		h.routes = append(h.routes, vr.register)
		return nil
	}
}

type verifyingRoutes struct {
	h *handler
	v Verifying
}

func (vr *verifyingRoutes) register(mux *http.ServeMux) {
	mux.HandleFunc("POST /verify/batch", vr.batch)
	mux.HandleFunc("POST /requests", vr.createRequest)
	mux.HandleFunc("GET /requests/{id}", vr.fetchRequest)
	mux.HandleFunc("POST /requests/{id}/response", vr.respond)
	mux.HandleFunc("GET /requests/{id}/result", vr.result)
	mux.HandleFunc("POST /policies", vr.savePolicy)
	mux.HandleFunc("GET /policies/{id}", vr.getPolicy)
	mux.HandleFunc("POST /policies/{id}/decisions", vr.decide)
	if vr.h.admin != nil {
		mux.HandleFunc("POST /admin/verifiers", vr.h.requireAdmin(vr.createVerifier))
		mux.HandleFunc("GET /admin/verifiers", vr.h.requireAdmin(vr.listVerifiers))
		mux.HandleFunc("DELETE /admin/verifiers/{id}", vr.h.requireAdmin(vr.revokeVerifier))
	}
}

// account authenticates r's bearer token as a verifier's.
func (vr *verifyingRoutes) account(r *http.Request) (*VerifierAccount, error) {
	tok, err := bearer(r)
	if err != nil {
		return nil, fmt.Errorf("%w: send your verifier token as Authorization: Bearer <token>", ErrVerifierToken)
	}
	return vr.v.Accounts.AuthenticateVerifier(r.Context(), tok)
}

// ---- VC-API verification through the pipeline ----

// pipelineCredentialRequest is the body of POST /credentials/verify with the
// pipeline: the credential (a JSON object, an EnvelopedVerifiableCredential
// or a compact JWT / SD-JWT string) and its anchor receipt beside it.
type pipelineCredentialRequest struct {
	VerifiableCredential json.RawMessage `json:"verifiableCredential" validate:"required"`
	AnchorReceipt        json.RawMessage `json:"anchorReceipt,omitempty"`
	Options              verifyOptions   `json:"options"`
}

// pipelinePresentationRequest is the body of POST /presentations/verify with
// the pipeline: anchorReceipts is an object from credential id to receipt,
// or an array aligned with the presentation's verifiableCredential.
type pipelinePresentationRequest struct {
	VerifiablePresentation json.RawMessage     `json:"verifiablePresentation" validate:"required"`
	AnchorReceipts         json.RawMessage     `json:"anchorReceipts,omitempty"`
	Options                presentationOptions `json:"options"`
}

// VerificationResponse is the answer of the VC-API verification endpoints
// with the pipeline: the VC-API members, and the pipeline's report with
// every step in English and Chinese.
type VerificationResponse struct {
	credential.Result
	Report *verifier.Report `json:"report"`
}

// ResultOf summarises a pipeline report in the VC-API shape: verified unless
// the report is invalid (a warning, such as an issuer unknown to the chain,
// is not a failure); one check per step that ran (skipped steps are in the
// report only), named like the step and, for a presentation's credentials,
// "credential[i].<step>"; errors and warnings repeat the failed and warning
// checks.
func ResultOf(rep *verifier.Report) *credential.Result {
	res := &credential.Result{Checks: []credential.Check{}, Warnings: []string{}, Errors: []string{}}
	add := func(prefix string, steps []verifier.Step) {
		for _, s := range steps {
			if s.State == verifier.StepSkipped {
				continue
			}
			c := credential.Check{Name: prefix + s.Name, Passed: s.State != verifier.StepFailed, Warning: s.State == verifier.StepWarning, Message: s.MessageEN}
			res.Checks = append(res.Checks, c)
			switch {
			case !c.Passed:
				res.Errors = append(res.Errors, c.Name+": "+c.Message)
			case c.Warning:
				res.Warnings = append(res.Warnings, c.Name+": "+c.Message)
			}
		}
	}
	add("", rep.Steps)
	for i, c := range rep.Credentials {
		add("credential["+strconv.Itoa(i)+"].", c.Steps)
	}
	res.Verified = rep.State != verifier.StateInvalid && len(res.Checks) > 0
	return res
}

func (vr *verifyingRoutes) verifyCredential(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	var req pipelineCredentialRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := objectOrCompact("verifiableCredential", req.VerifiableCredential); err != nil {
		h.fail(w, r, err)
		return
	}
	var opts verifier.Options
	if present(req.AnchorReceipt) {
		rc, err := verifier.ParseReceipt(req.AnchorReceipt)
		if err != nil {
			h.fail(w, r, &validationError{Fields: []FieldError{{Field: "anchorReceipt", Reason: err.Error()}}})
			return
		}
		opts.Receipt = rc
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	rep, err := vr.v.Pipeline.VerifyCredential(ctx, req.VerifiableCredential, opts)
	vr.renderReport(w, r, rep, err)
}

func (vr *verifyingRoutes) verifyPresentation(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	var req pipelinePresentationRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := objectOrCompact("verifiablePresentation", req.VerifiablePresentation); err != nil {
		h.fail(w, r, err)
		return
	}
	receipts, err := presentationReceipts(req.VerifiablePresentation, req.AnchorReceipts, "anchorReceipts")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	rep, err := vr.v.Pipeline.VerifyPresentation(ctx, req.VerifiablePresentation,
		verifier.Options{Challenge: req.Options.Challenge, Domain: req.Options.Domain, Receipts: receipts})
	vr.renderReport(w, r, rep, err)
}

func (vr *verifyingRoutes) renderReport(w http.ResponseWriter, r *http.Request, rep *verifier.Report, err error) {
	if err == nil && rep == nil {
		err = errors.New("pipeline returned neither a report nor an error")
	}
	if err != nil {
		vr.h.fail(w, r, fmt.Errorf("verify: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	vr.h.writeJSON(w, r, VerificationResponse{Result: *ResultOf(rep), Report: rep})
}

// present reports whether an optional JSON member was given (and not null).
func present(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && !bytes.Equal(t, []byte("null"))
}

// objectOrCompact accepts a JSON object or a JSON string (a compact JWT or
// SD-JWT, which the pipeline classifies).
func objectOrCompact(field string, raw json.RawMessage) error {
	t := bytes.TrimSpace(raw)
	if len(t) > 0 && (t[0] == '{' || t[0] == '"') {
		return nil
	}
	return &validationError{Fields: []FieldError{{Field: field, Reason: "must be a JSON object or a compact JWT / SD-JWT string"}}}
}

// credentialIDs returns the id of each credential of a JSON-LD presentation
// ("" where a credential has none, or is not an object); nil when the
// presentation is not a JSON object.
func credentialIDs(vp json.RawMessage) []string {
	doc, err := credential.ParseDocument(vp)
	if err != nil {
		return nil
	}
	var list []any
	switch v := doc["verifiableCredential"].(type) {
	case []any:
		list = v
	case nil:
	default:
		list = []any{v}
	}
	ids := make([]string, len(list))
	for i, c := range list {
		if m, ok := c.(map[string]any); ok {
			ids[i], _ = m["id"].(string)
		}
	}
	return ids
}

// presentationReceipts reads the anchor receipts of a presentation's
// credentials: an object from credential id to receipt, or an array
// aligned with the presentation's verifiableCredential (null where a
// credential has none), as the wallet sends them. field names the member in
// errors.
func presentationReceipts(vp, raw json.RawMessage, field string) (map[string]*credential.AnchorReceipt, error) {
	if !present(raw) {
		return nil, nil
	}
	bad := func(reason string) error {
		return &validationError{Fields: []FieldError{{Field: field, Reason: reason}}}
	}
	t := bytes.TrimSpace(raw)
	if t[0] == '{' {
		m, err := verifier.ParseReceipts(t)
		if err != nil {
			return nil, bad(err.Error())
		}
		return m, nil
	}
	list, err := receiptArray(t)
	if err != nil {
		return nil, bad(err.Error())
	}
	ids := credentialIDs(vp)
	if len(list) > len(ids) {
		return nil, bad(fmt.Sprintf("%d receipts for %d credentials", len(list), len(ids)))
	}
	out := map[string]*credential.AnchorReceipt{}
	for i, rc := range list {
		if rc == nil {
			continue
		}
		if ids[i] == "" {
			return nil, bad(fmt.Sprintf("receipt %d: credential %d has no id to match it with", i, i))
		}
		out[ids[i]] = rc
	}
	return out, nil
}

// receiptArray reads an array of anchor receipts, null entries allowed.
func receiptArray(raw []byte) ([]*credential.AnchorReceipt, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, errors.New("must be an object from credential id to receipt, or an array aligned with the credentials")
	}
	if len(items) > verifier.MaxReceipts {
		return nil, fmt.Errorf("more than %d receipts", verifier.MaxReceipts)
	}
	out := make([]*credential.AnchorReceipt, len(items))
	for i, it := range items {
		if !present(it) {
			continue
		}
		rc, err := verifier.ParseReceipt(it)
		if err != nil {
			return nil, fmt.Errorf("receipt %d: %w", i, err)
		}
		out[i] = rc
	}
	return out, nil
}

// ---- verifier accounts (admin) ----

func (vr *verifyingRoutes) createVerifier(w http.ResponseWriter, r *http.Request) {
	var req NewVerifier
	if err := vr.h.decode(w, r, &req); err != nil {
		vr.h.fail(w, r, err)
		return
	}
	tok, acct, err := vr.v.Accounts.CreateVerifier(r.Context(), req)
	if err != nil {
		vr.h.fail(w, r, err)
		return
	}
	vr.h.writeJSONStatus(w, r, http.StatusCreated, map[string]any{"token": tok, "verifier": acct})
}

func (vr *verifyingRoutes) listVerifiers(w http.ResponseWriter, r *http.Request) {
	list, err := vr.v.Accounts.Verifiers(r.Context())
	if err != nil {
		vr.h.fail(w, r, err)
		return
	}
	if list == nil {
		list = []*VerifierAccount{}
	}
	vr.h.writeJSON(w, r, map[string]any{"verifiers": list})
}

func (vr *verifyingRoutes) revokeVerifier(w http.ResponseWriter, r *http.Request) {
	if err := vr.v.Accounts.RevokeVerifier(r.Context(), r.PathValue("id")); err != nil {
		vr.h.fail(w, r, err)
		return
	}
	vr.h.writeJSON(w, r, map[string]string{"revoked": r.PathValue("id")})
}

// ---- presentation requests ----

// newRequestBody is the body of POST /requests.
type newRequestBody struct {
	Definition json.RawMessage `json:"presentation_definition" validate:"required"`
	Purpose    struct {
		Zh string `json:"zh" validate:"required,max=512"`
		En string `json:"en" validate:"required,max=512"`
	} `json:"purpose"`
	// ExpiresIn is a Go duration ("15m", "24h"); empty: 15 minutes.
	ExpiresIn string `json:"expiresIn,omitempty" validate:"max=32"`
	// Domain binds the presentation to the verifier's site; empty: this
	// node's host name.
	Domain string `json:"domain,omitempty" validate:"max=253"`
}

func (vr *verifyingRoutes) createRequest(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	acct, err := vr.account(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var req newRequestBody
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ttl, err := expiresIn(req.ExpiresIn, "15m")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	domain := req.Domain
	if domain == "" {
		domain = vr.v.Domain
	}
	out, err := vr.v.Requests.Create(r.Context(), acct.ID, exchange.NewRequest{
		Definition: req.Definition, Purpose: exchange.Text{Zh: req.Purpose.Zh, En: req.Purpose.En},
		Expiry: ttl, Domain: domain,
	})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Location", out.URL)
	h.writeJSONStatus(w, r, http.StatusCreated, out)
}

func (vr *verifyingRoutes) fetchRequest(w http.ResponseWriter, r *http.Request) {
	obj, err := vr.v.Requests.Fetch(r.Context(), r.PathValue("id"))
	if err != nil {
		vr.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	vr.h.writeJSON(w, r, obj)
}

// responseBody is the holder's answer to a request, as JSON; the same
// members come as an OpenID4VP direct_post form.
type responseBody struct {
	VPToken        json.RawMessage `json:"vp_token" validate:"required"`
	Submission     json.RawMessage `json:"presentation_submission,omitempty"`
	State          string          `json:"state,omitempty" validate:"max=64"`
	AnchorReceipts json.RawMessage `json:"anchor_receipts,omitempty"`
}

// errFormResponse: a direct_post form that cannot be read.
var errFormResponse = fmt.Errorf("%w: the direct_post form", errMalformedRequest)

// readResponse reads the holder's answer: application/x-www-form-urlencoded
// (OpenID4VP direct_post: vp_token, presentation_submission, state,
// anchor_receipts, each at most once) or JSON with the same members.
func (vr *verifyingRoutes) readResponse(w http.ResponseWriter, r *http.Request) (*responseBody, error) {
	h := vr.h
	if !isForm(r.Header.Get("Content-Type")) {
		var body responseBody
		if err := h.decode(w, r, &body); err != nil {
			return nil, err
		}
		return &body, nil
	}
	raw, err := readBody(w, r, h.cfg.MaxBodyBytes)
	if err != nil {
		return nil, err
	}
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errFormResponse, err)
	}
	var body responseBody
	for k, vs := range form {
		if len(vs) != 1 {
			return nil, &validationError{Fields: []FieldError{{Field: k, Reason: "must be sent once"}}}
		}
		v := vs[0]
		switch k {
		case "vp_token":
			// A JSON presentation, or a compact JWT sent bare.
			if t := strings.TrimSpace(v); strings.HasPrefix(t, "{") || strings.HasPrefix(t, "\"") {
				body.VPToken = json.RawMessage(t)
			} else {
				b, _ := json.Marshal(t)
				body.VPToken = b
			}
		case "presentation_submission":
			body.Submission = json.RawMessage(v)
		case "state":
			body.State = v
		case "anchor_receipts":
			body.AnchorReceipts = json.RawMessage(v)
		default:
			return nil, &validationError{Fields: []FieldError{{Field: k, Reason: "is not a known field"}}}
		}
	}
	if err := h.validate.Struct(&body); err != nil {
		if verrs, ok := errors.AsType[validator.ValidationErrors](err); ok {
			return nil, fieldErrors(verrs)
		}
		return nil, err
	}
	return &body, nil
}

func (vr *verifyingRoutes) respond(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	id := r.PathValue("id")
	body, err := vr.readResponse(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if body.State != "" && body.State != id {
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "state", Reason: "is not this request's id"}}})
		return
	}
	receipts, err := presentationReceipts(body.VPToken, body.AnchorReceipts, "anchor_receipts")
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	res, err := vr.v.Requests.Submit(ctx, id, exchange.Response{VP: body.VPToken, Submission: body.Submission}, receipts)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	// The holder sees the verdict on their own presentation, not a copy of it.
	h.writeJSON(w, r, map[string]any{
		"requestId": res.RequestID, "accepted": res.Accepted, "verified": res.Verified,
		"satisfied": res.Satisfied, "failures": res.Failures, "verification": res.Verification,
	})
}

func (vr *verifyingRoutes) result(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	acct, err := vr.account(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res, err := vr.v.Requests.Result(r.Context(), acct.ID, r.PathValue("id"))
	w.Header().Set("Cache-Control", "no-store")
	if errors.Is(err, exchange.ErrPending) {
		h.writeJSONStatus(w, r, http.StatusAccepted, map[string]string{"status": "pending"})
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.writeJSON(w, r, res)
}

// ---- policies and decisions ----

func (vr *verifyingRoutes) savePolicy(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	acct, err := vr.account(r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if !acct.Policies {
		h.fail(w, r, errPolicyOffice)
		return
	}
	var p policy.Policy
	if err := h.decodeLoose(w, r, &p); err != nil {
		h.fail(w, r, err)
		return
	}
	c, err := vr.v.Policies.Save(r.Context(), acct.ID, p)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	saved := c.Policy()
	w.Header().Set("Location", "/policies/"+saved.ID+"?version="+strconv.Itoa(saved.Version))
	h.writeJSONStatus(w, r, http.StatusCreated, map[string]any{"policy": saved, "ref": c.Ref(), "urn": c.Ref().URN()})
}

// versionParam reads ?version=n (n ≥ 1); absent: 0, the latest.
func versionParam(r *http.Request) (int, error) {
	s := r.URL.Query().Get("version")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, &validationError{Fields: []FieldError{{Field: "version", Reason: "must be a version number from 1"}}}
	}
	return n, nil
}

func (vr *verifyingRoutes) getPolicy(w http.ResponseWriter, r *http.Request) {
	version, err := versionParam(r)
	if err != nil {
		vr.h.fail(w, r, err)
		return
	}
	p, err := vr.v.Policies.Get(r.Context(), r.PathValue("id"), version)
	if err != nil {
		vr.h.fail(w, r, err)
		return
	}
	vr.h.writeJSON(w, r, p)
}

// decisionBody is the body of POST /policies/{id}/decisions: a presentation
// with its challenge (the applicant is its holder), or credentials of the
// applicant, each with its anchor receipt in anchorReceipts (an array
// aligned with the credentials, or an object by credential id).
type decisionBody struct {
	Version                int               `json:"version,omitempty" validate:"min=0"`
	Applicant              string            `json:"applicant,omitempty" validate:"max=512"`
	VerifiablePresentation json.RawMessage   `json:"verifiablePresentation,omitempty"`
	VerifiableCredentials  []json.RawMessage `json:"verifiableCredentials,omitempty" validate:"max=256"`
	AnchorReceipts         json.RawMessage   `json:"anchorReceipts,omitempty"`
	Options                verifyOptions     `json:"options"`
}

func (vr *verifyingRoutes) decide(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	if _, err := vr.account(r); err != nil {
		h.fail(w, r, err)
		return
	}
	var body decisionBody
	if err := h.decode(w, r, &body); err != nil {
		h.fail(w, r, err)
		return
	}
	req, err := decisionRequest(r.PathValue("id"), &body)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	out, err := vr.v.Decisions.Decide(ctx, *req)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSONStatus(w, r, http.StatusCreated, out)
}

// decisionRequest checks a decision body and pairs credentials with receipts.
func decisionRequest(policyID string, b *decisionBody) (*DecisionRequest, error) {
	bad := func(field, reason string) error {
		return &validationError{Fields: []FieldError{{Field: field, Reason: reason}}}
	}
	req := &DecisionRequest{PolicyID: policyID, Version: b.Version, Applicant: b.Applicant}
	switch hasVP := present(b.VerifiablePresentation); {
	case hasVP && len(b.VerifiableCredentials) > 0:
		return nil, bad("verifiablePresentation", "send a presentation or credentials, not both")
	case hasVP:
		if err := objectOrCompact("verifiablePresentation", b.VerifiablePresentation); err != nil {
			return nil, err
		}
		if b.Options.Challenge == "" {
			return nil, bad("options.challenge", "is required with a presentation")
		}
		receipts, err := presentationReceipts(b.VerifiablePresentation, b.AnchorReceipts, "anchorReceipts")
		if err != nil {
			return nil, err
		}
		req.Presentation = b.VerifiablePresentation
		req.PresentationOptions = verifier.Options{Challenge: b.Options.Challenge, Domain: b.Options.Domain, Receipts: receipts}
		return req, nil
	case len(b.VerifiableCredentials) == 0:
		return nil, bad("verifiableCredentials", "send a presentation or at least one credential")
	}
	if b.Applicant == "" {
		return nil, bad("applicant", "is required with credentials (a presentation names its holder)")
	}
	ids := make([]string, len(b.VerifiableCredentials))
	for i, raw := range b.VerifiableCredentials {
		if err := objectOrCompact("verifiableCredentials["+strconv.Itoa(i)+"]", raw); err != nil {
			return nil, err
		}
		if doc, err := credential.ParseDocument(raw); err == nil {
			ids[i], _ = doc["id"].(string)
		}
		req.Credentials = append(req.Credentials, DecisionCredential{Raw: raw})
	}
	if present(b.AnchorReceipts) {
		t := bytes.TrimSpace(b.AnchorReceipts)
		if t[0] == '{' {
			m, err := verifier.ParseReceipts(t)
			if err != nil {
				return nil, bad("anchorReceipts", err.Error())
			}
			for i := range req.Credentials {
				req.Credentials[i].Receipt = m[ids[i]]
			}
		} else {
			list, err := receiptArray(t)
			if err != nil {
				return nil, bad("anchorReceipts", err.Error())
			}
			if len(list) > len(req.Credentials) {
				return nil, bad("anchorReceipts", fmt.Sprintf("%d receipts for %d credentials", len(list), len(req.Credentials)))
			}
			for i, rc := range list {
				req.Credentials[i].Receipt = rc
			}
		}
	}
	return req, nil
}

// isForm reports whether a Content-Type is a URL-encoded form.
func isForm(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == "application/x-www-form-urlencoded"
}

// readBody reads r's body up to limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, limit)
		}
		return nil, fmt.Errorf("%w: reading the body: %v", errMalformedRequest, err)
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, fmt.Errorf("%w: the body is empty", errMalformedRequest)
	}
	if !utf8.Valid(body) {
		return nil, fmt.Errorf("%w: the body is not valid UTF-8", errMalformedRequest)
	}
	return body, nil
}

// ---- batch verification ----

// batchItem is an element of a batch written as an object with members: a
// credential with its receipt, or a presentation with its challenge and
// receipts. Any other object is taken as a bare credential, a JSON string
// as a compact JWT credential.
type batchItem struct {
	VerifiableCredential   json.RawMessage `json:"verifiableCredential,omitempty"`
	VerifiablePresentation json.RawMessage `json:"verifiablePresentation,omitempty"`
	AnchorReceipt          json.RawMessage `json:"anchorReceipt,omitempty"`
	AnchorReceipts         json.RawMessage `json:"anchorReceipts,omitempty"`
	Options                verifyOptions   `json:"options"`
}

// BatchRow is one line of a batch's result table.
type BatchRow struct {
	Index int `json:"index"`
	// Kind is credential or presentation ("" when the item was unreadable).
	Kind       string          `json:"kind"`
	ID         string          `json:"id,omitempty"`
	Issuer     string          `json:"issuer,omitempty"`
	IssuerName *verifier.Names `json:"issuerName,omitempty"`
	Holder     string          `json:"holder,omitempty"`
	// State is the report's (valid, warning, invalid), or error when no
	// verdict was reached; Error then says why.
	State    string   `json:"state"`
	Verified bool     `json:"verified"`
	Failed   []string `json:"failed"`
	Warnings []string `json:"warnings"`
	// Summary in English and Chinese.
	SummaryEN string `json:"summary_en,omitempty"`
	SummaryZH string `json:"summary_zh,omitempty"`
	Error     string `json:"error,omitempty"`
}

// BatchResult is the table of a batch and its counts by state.
type BatchResult struct {
	Total   int        `json:"total"`
	Valid   int        `json:"valid"`
	Warning int        `json:"warning"`
	Invalid int        `json:"invalid"`
	Errors  int        `json:"errors"`
	Rows    []BatchRow `json:"rows"`
}

// stateError is the row state of an item that got no verdict.
const stateError = "error"

func (vr *verifyingRoutes) batch(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	if _, err := vr.account(r); err != nil {
		h.fail(w, r, err)
		return
	}
	if err := checkMediaType(r.Header.Get("Content-Type")); err != nil {
		h.fail(w, r, err)
		return
	}
	body, err := readBody(w, r, h.cfg.MaxUploadBytes)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	var items []json.RawMessage
	if t := bytes.TrimSpace(body); t[0] != '[' {
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "must be a JSON array of credentials or presentations"}}})
		return
	}
	if err := decodeStrict(body, &items); err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case len(items) == 0:
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "the array is empty"}}})
		return
	case len(items) > vr.v.MaxBatch:
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "(body)", Reason: fmt.Sprintf("%d items, at most %d in one batch", len(items), vr.v.MaxBatch)}}})
		return
	}
	res := vr.runBatch(r, items)
	if err := r.Context().Err(); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	if wantsCSV(r) {
		h.writeCSV(w, r, "verification.csv", batchCSV(res))
		return
	}
	h.writeJSON(w, r, res)
}

// runBatch verifies the items, BatchWorkers at a time, in order.
func (vr *verifyingRoutes) runBatch(r *http.Request, items []json.RawMessage) *BatchResult {
	rows := make([]BatchRow, len(items))
	sem := make(chan struct{}, vr.v.BatchWorkers)
	var wg sync.WaitGroup
	for i, it := range items {
		if r.Context().Err() != nil {
			rows[i] = BatchRow{Index: i, State: stateError, Error: "not checked: the request ended", Failed: []string{}, Warnings: []string{}}
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rows[i] = vr.batchRow(r, i, it)
		})
	}
	wg.Wait()
	res := &BatchResult{Total: len(rows), Rows: rows}
	for _, row := range rows {
		switch row.State {
		case string(verifier.StateValid):
			res.Valid++
		case string(verifier.StateWarning):
			res.Warning++
		case string(verifier.StateInvalid):
			res.Invalid++
		default:
			res.Errors++
		}
	}
	return res
}

// batchRow verifies one item of a batch into its row.
func (vr *verifyingRoutes) batchRow(r *http.Request, i int, raw json.RawMessage) BatchRow {
	row := BatchRow{Index: i, Failed: []string{}, Warnings: []string{}}
	ctx, cancel := context.WithTimeout(r.Context(), vr.h.cfg.VerifyTimeout)
	defer cancel()
	rep, kind, err := vr.verifyItem(ctx, raw)
	row.Kind = kind
	if err == nil && rep == nil {
		err = errors.New("pipeline returned neither a report nor an error")
	}
	if err != nil {
		row.State = stateError
		p := problemFor(err)
		if p.Status >= 500 {
			vr.h.log.LogAttrs(r.Context(), slog.LevelError, "batch item not verified",
				slog.String("request_id", requestID(r.Context())), slog.Int("index", i), slog.String("error", err.Error()))
		}
		row.Error = p.Title + ": " + firstNonEmpty(fieldDetail(p), p.Detail)
		return row
	}
	res := ResultOf(rep)
	row.ID, row.Issuer, row.IssuerName, row.Holder = rep.ID, rep.Issuer, rep.IssuerName, rep.Holder
	if rep.Kind == verifier.KindPresentation && len(rep.Credentials) > 0 {
		c := rep.Credentials[0]
		row.ID, row.Issuer, row.IssuerName = c.ID, c.Issuer, c.IssuerName
	}
	row.State, row.Verified = string(rep.State), res.Verified
	row.SummaryEN, row.SummaryZH = rep.SummaryEN, rep.SummaryZH
	for _, c := range res.Checks {
		switch {
		case !c.Passed:
			row.Failed = append(row.Failed, c.Name)
		case c.Warning:
			row.Warnings = append(row.Warnings, c.Name)
		}
	}
	return row
}

// verifyItem classifies and verifies one batch item.
func (vr *verifyingRoutes) verifyItem(ctx context.Context, raw json.RawMessage) (*verifier.Report, string, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || (t[0] != '{' && t[0] != '"') {
		return nil, "", &validationError{Fields: []FieldError{{Field: "(item)", Reason: "must be a credential, a presentation or an object with verifiableCredential or verifiablePresentation"}}}
	}
	wrapped := false
	if t[0] == '{' {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(t, &members); err != nil {
			return nil, "", fmt.Errorf("%w: %v", errMalformedRequest, err)
		}
		_, vc := members["verifiableCredential"]
		_, vp := members["verifiablePresentation"]
		wrapped = vc || vp
	}
	if !wrapped {
		rep, err := vr.v.Pipeline.VerifyCredential(ctx, t, verifier.Options{})
		return rep, verifier.KindCredential, err
	}
	var it batchItem
	if err := decodeStrict(t, &it); err != nil {
		return nil, "", err
	}
	if err := vr.h.validate.Struct(&it); err != nil {
		if verrs, ok := errors.AsType[validator.ValidationErrors](err); ok {
			return nil, "", fieldErrors(verrs)
		}
		return nil, "", err
	}
	if present(it.VerifiablePresentation) {
		if present(it.VerifiableCredential) || present(it.AnchorReceipt) {
			return nil, verifier.KindPresentation, &validationError{Fields: []FieldError{{Field: "verifiableCredential", Reason: "an item is a credential or a presentation, not both"}}}
		}
		if err := objectOrCompact("verifiablePresentation", it.VerifiablePresentation); err != nil {
			return nil, verifier.KindPresentation, err
		}
		if it.Options.Challenge == "" {
			return nil, verifier.KindPresentation, &validationError{Fields: []FieldError{{Field: "options.challenge", Reason: "is required with a presentation"}}}
		}
		receipts, err := presentationReceipts(it.VerifiablePresentation, it.AnchorReceipts, "anchorReceipts")
		if err != nil {
			return nil, verifier.KindPresentation, err
		}
		rep, err := vr.v.Pipeline.VerifyPresentation(ctx, it.VerifiablePresentation,
			verifier.Options{Challenge: it.Options.Challenge, Domain: it.Options.Domain, Receipts: receipts})
		return rep, verifier.KindPresentation, err
	}
	if err := objectOrCompact("verifiableCredential", it.VerifiableCredential); err != nil {
		return nil, verifier.KindCredential, err
	}
	if present(it.AnchorReceipts) {
		return nil, verifier.KindCredential, &validationError{Fields: []FieldError{{Field: "anchorReceipts", Reason: "is for presentations; a credential has one anchorReceipt"}}}
	}
	var opts verifier.Options
	if present(it.AnchorReceipt) {
		rc, err := verifier.ParseReceipt(it.AnchorReceipt)
		if err != nil {
			return nil, verifier.KindCredential, &validationError{Fields: []FieldError{{Field: "anchorReceipt", Reason: err.Error()}}}
		}
		opts.Receipt = rc
	}
	rep, err := vr.v.Pipeline.VerifyCredential(ctx, it.VerifiableCredential, opts)
	return rep, verifier.KindCredential, err
}

func fieldDetail(p Problem) string {
	parts := make([]string, len(p.Errors))
	for i, f := range p.Errors {
		parts[i] = f.Field + " " + f.Reason
	}
	return strings.Join(parts, "; ")
}

func firstNonEmpty(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// wantsCSV reports whether the client asks for CSV: ?format=csv, or an
// Accept header naming text/csv.
func wantsCSV(r *http.Request) bool {
	if f := r.URL.Query().Get("format"); f != "" {
		return f == "csv"
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept"), ",") {
		if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "text/csv" {
			return true
		}
	}
	return false
}

// batchCSV is the table as CSV records, header first.
func batchCSV(res *BatchResult) [][]string {
	out := [][]string{{"index", "kind", "state", "verified", "id", "issuer", "issuer_name_zh", "issuer_name_en", "holder",
		"failed_steps", "warning_steps", "summary_en", "summary_zh", "error"}}
	for _, row := range res.Rows {
		var zh, en string
		if row.IssuerName != nil {
			zh, en = row.IssuerName.Zh, row.IssuerName.En
		}
		out = append(out, []string{strconv.Itoa(row.Index), row.Kind, row.State, strconv.FormatBool(row.Verified),
			row.ID, row.Issuer, zh, en, row.Holder, strings.Join(row.Failed, " "), strings.Join(row.Warnings, " "),
			row.SummaryEN, row.SummaryZH, row.Error})
	}
	for _, rec := range out[1:] {
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
	}
	return out
}

// writeCSV answers 200 with the records as a CSV attachment (UTF-8 with a
// byte order mark, so that spreadsheets read the Chinese right).
func (h *handler) writeCSV(w http.ResponseWriter, r *http.Request, name string, records [][]string) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff")
	cw := csv.NewWriter(&buf)
	if err := cw.WriteAll(records); err != nil {
		h.fail(w, r, fmt.Errorf("encode CSV: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Write(buf.Bytes())
}

// ---- errors ----

// verifierProblem maps the errors of the pipeline, presentation requests,
// policies and verifier accounts.
func verifierProblem(err error) (Problem, bool) {
	var (
		xie *exchange.InputError
		pce *policy.CompileError
		pie *policy.InputError
	)
	switch {
	case errors.Is(err, ErrUnsupportedFormat):
		return Problem{Type: ProblemTypeBase + "unsupported-format", Title: "Format not supported", Status: http.StatusUnprocessableEntity,
			Detail: err.Error() + ". No verdict was reached: ask the sender for the credential as a W3C JSON-LD credential with an embedded proof."}, true
	case errors.Is(err, ErrVerifierToken):
		return Problem{Type: ProblemTypeBase + "unauthenticated", Title: "Authentication required", Status: http.StatusUnauthorized,
			Detail:    "Send a live verifier token as Authorization: Bearer <token>; the operator creates verifier accounts (POST /admin/verifiers).",
			challenge: `Bearer realm="talentchain"`}, true
	case errors.Is(err, ErrInvalidVerifier):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error()}, true
	case errors.Is(err, ErrVerifierNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "No verifier account has this id."}, true
	case errors.Is(err, errPolicyOffice):
		return Problem{Type: ProblemTypeBase + "forbidden", Title: "Not allowed", Status: http.StatusForbidden,
			Detail: "Only a talent-policy office's verifier account may save policies; ask the operator."}, true
	case errors.Is(err, ErrPolicyOwner):
		return Problem{Type: ProblemTypeBase + "forbidden", Title: "Not allowed", Status: http.StatusForbidden,
			Detail: "This policy was made by another verifier account; only that account may edit it."}, true
	case errors.Is(err, verifier.ErrUnavailable), errors.Is(err, exchange.ErrVerifierUnavailable):
		return Problem{Type: ProblemTypeBase + "unavailable", Title: "Verification unavailable", Status: http.StatusServiceUnavailable,
			Detail: "The chain or the store could not be read, so no verdict was given; try again shortly."}, true
	case errors.Is(err, verifier.ErrMalformed):
		return Problem{Type: ProblemTypeBase + "invalid-document", Title: "Unusable document", Status: http.StatusBadRequest,
			Detail: err.Error()}, true
	case errors.Is(err, verifier.ErrInvalid):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error()}, true
	case errors.As(err, &xie):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error(), Errors: []FieldError{{Field: xie.Field, Reason: xie.Reason}}}, true
	case errors.Is(err, exchange.ErrInvalid):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error()}, true
	case errors.Is(err, exchange.ErrNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "No such presentation request (or it expired long ago)."}, true
	case errors.Is(err, exchange.ErrForbidden):
		return Problem{Type: ProblemTypeBase + "forbidden", Title: "Not allowed", Status: http.StatusForbidden,
			Detail: "This presentation request belongs to another verifier."}, true
	case errors.Is(err, exchange.ErrExpired):
		return Problem{Type: ProblemTypeBase + "expired", Title: "Request expired", Status: http.StatusGone,
			Detail: "The presentation request expired without an answer; the verifier must make a new one."}, true
	case errors.Is(err, exchange.ErrAnswered):
		return Problem{Type: ProblemTypeBase + "answered", Title: "Already answered", Status: http.StatusConflict,
			Detail: "The presentation request was already answered: a challenge is accepted once."}, true
	case errors.As(err, &pce):
		fields := make([]FieldError, len(pce.Issues))
		for i, is := range pce.Issues {
			fields[i] = FieldError{Field: ruleField(pce.Rule), Reason: fmt.Sprintf("line %d, column %d: %s", is.Line, is.Column, is.Message)}
		}
		return Problem{Type: ProblemTypeBase + "invalid-rule", Title: "Rule does not compile", Status: http.StatusUnprocessableEntity,
			Detail: err.Error(), Errors: fields}, true
	case errors.As(err, &pie):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error(), Errors: []FieldError{{Field: pie.Field, Reason: pie.Reason}}}, true
	case errors.Is(err, policy.ErrInvalid):
		return Problem{Type: ProblemTypeBase + "validation", Title: "Invalid request", Status: http.StatusBadRequest,
			Detail: err.Error()}, true
	case errors.Is(err, policy.ErrCostLimit):
		return Problem{Type: ProblemTypeBase + "cost-limit", Title: "Rule too expensive", Status: http.StatusUnprocessableEntity,
			Detail: err.Error() + "; no decision was made: simplify the rule."}, true
	case errors.Is(err, policy.ErrNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "No such policy (or version)."}, true
	case errors.Is(err, policy.ErrConflict):
		return Problem{Type: ProblemTypeBase + "conflict", Title: "Conflict", Status: http.StatusConflict,
			Detail: err.Error() + "; reload the latest version and edit again."}, true
	}
	return Problem{}, false
}

// ruleField names a refused rule's expression in a problem: "rules[<id>].expr",
// or "combine".
func ruleField(rule string) string {
	if rule == "combine" {
		return "combine"
	}
	return "rules[" + rule + "].expr"
}

func init() { problemMappers = append(problemMappers, verifierProblem) }
