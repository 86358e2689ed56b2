package ui

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
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
	// PublicURL is the node's public URL: a batch CSV of share links accepts
	// only links PublicURL + "/share/{token}", resolved in-process (never
	// fetched). Empty: share links are refused row by row.
	PublicURL string
	// Verifications keeps verifications asked to be stored (options.store)
	// for GET /verifications/{id}; nil: the store option is refused.
	Verifications Verifications
	// VerificationTTL is how long a stored verification is kept; 0:
	// DefaultVerificationTTL.
	VerificationTTL time.Duration
}

// Verifications keeps stored verifications by id, each for its TTL. Get
// answers ErrVerificationNotFound for an unknown or expired id.
type Verifications interface {
	Keep(ctx context.Context, v *StoredVerification, ttl time.Duration) error
	Get(ctx context.Context, id string) (*StoredVerification, error)
}

// ErrVerificationNotFound: no stored verification has this id (or it
// expired). Answered 404.
var ErrVerificationNotFound = errors.New("no such stored verification")

// DefaultVerificationTTL is how long a stored verification is kept.
const DefaultVerificationTTL = 30 * 24 * time.Hour

// StoredVerification is a verification kept for a report page (and its
// PDF): the pipeline's full report (every step with its messages, the
// check time, the anchored time, the issuer's name) and a summary of the
// credential's subject. It holds nothing the submitter did not send but
// the chain's answers; the credential itself is not kept.
type StoredVerification struct {
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
	// Kind, State and Verified repeat the report's verdict.
	Kind     string         `json:"kind"`
	State    verifier.State `json:"state"`
	Verified bool           `json:"verified"`
	// Subjects summarise the subject of the credential (or of each
	// credential of a presentation), in order: id, types, issuer and
	// issuer's name, and the subject's plain claims (verifier.Report.Subject).
	Subjects []SubjectSummary `json:"subjects"`
	Report   *verifier.Report `json:"report"`
}

// SubjectSummary is what a report page shows about one credential.
type SubjectSummary struct {
	CredentialID string          `json:"credentialId,omitempty"`
	Types        []string        `json:"types,omitempty"`
	Issuer       string          `json:"issuer,omitempty"`
	IssuerName   *verifier.Names `json:"issuerName,omitempty"`
	State        verifier.State  `json:"state"`
	Subject      map[string]any  `json:"subject,omitempty"`
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
		if v.VerificationTTL == 0 {
			v.VerificationTTL = DefaultVerificationTTL
		}
		if v.MaxBatch < 1 || v.BatchWorkers < 1 || v.VerificationTTL < 0 {
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
	// mux is the handler's own router: share links of a batch are opened
	// through it, in-process.
	mux *http.ServeMux
}

func (vr *verifyingRoutes) register(mux *http.ServeMux) {
	vr.mux = mux
	mux.HandleFunc("POST /verify/batch", vr.batch)
	mux.HandleFunc("GET /verifications/{id}", vr.getVerification)
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
	Options              pipelineOptions `json:"options"`
}

// pipelineOptions are the options of POST /credentials/verify: store keeps
// the verification for GET /verifications/{id} (the answer then names its
// verificationId).
type pipelineOptions struct {
	Challenge string `json:"challenge" validate:"omitempty,max=512"`
	Domain    string `json:"domain" validate:"omitempty,max=512"`
	Store     bool   `json:"store,omitempty"`
}

// pipelinePresentationOptions are those of POST /presentations/verify.
type pipelinePresentationOptions struct {
	Challenge string `json:"challenge" validate:"required,max=512"`
	Domain    string `json:"domain" validate:"omitempty,max=512"`
	Store     bool   `json:"store,omitempty"`
}

// pipelinePresentationRequest is the body of POST /presentations/verify with
// the pipeline: anchorReceipts is an object from credential id to receipt,
// or an array aligned with the presentation's verifiableCredential.
type pipelinePresentationRequest struct {
	VerifiablePresentation json.RawMessage             `json:"verifiablePresentation" validate:"required"`
	AnchorReceipts         json.RawMessage             `json:"anchorReceipts,omitempty"`
	Options                pipelinePresentationOptions `json:"options"`
}

// VerificationResponse is the answer of the VC-API verification endpoints
// with the pipeline: the VC-API members, and the pipeline's report with
// every step in English and Chinese.
type VerificationResponse struct {
	credential.Result
	Report *verifier.Report `json:"report"`
	// VerificationID names the stored verification (options.store):
	// GET /verifications/{id}.
	VerificationID string `json:"verificationId,omitempty"`
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
	body, err := h.readJSON(w, r)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ctx := r.Context()
	req, doc, ok := h.fastCredentialRequest(body)
	if !ok {
		req = pipelineCredentialRequest{}
		if err := h.decodeBody(body, &req); err != nil {
			h.fail(w, r, err)
			return
		}
	} else if doc != nil {
		// The body was parsed once, the credential with it.
		ctx = verifier.WithDocument(ctx, req.VerifiableCredential, doc)
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
	ctx, cancel := context.WithTimeout(ctx, h.cfg.VerifyTimeout)
	defer cancel()
	if err := vr.canStore(req.Options.Store); err != nil {
		h.fail(w, r, err)
		return
	}
	rep, err := vr.v.Pipeline.VerifyCredential(ctx, req.VerifiableCredential, opts)
	vr.renderReport(w, r, rep, err, req.Options.Store)
}

// fastCredentialRequest decodes the common POST /credentials/verify body
// in one parse: a JSON object that credential.ParseDocument accepts (strict
// JSON, no member named twice at any level) with only the request's known
// members, each of the expected JSON type, that passes the validator. It
// returns the request, whose raw members are slices of body, and the
// credential's parsed document when it is an object. ok is false for
// anything else, which decodeBody then decodes (and refuses) as always: the
// answers to bad requests do not change.
func (h *handler) fastCredentialRequest(body []byte) (req pipelineCredentialRequest, doc map[string]any, ok bool) {
	if len(body) > credential.MaxDocumentSize || !utf8.Valid(body) {
		return req, nil, false
	}
	parsed, err := credential.ParseDocument(body)
	if err != nil {
		return req, nil, false
	}
	members, ok := topMembers(body)
	if !ok || len(members) != len(parsed) {
		return req, nil, false
	}
	for _, m := range members {
		v, found := parsed[m.name]
		if !found {
			return req, nil, false
		}
		switch m.name {
		case "verifiableCredential":
			switch t := v.(type) {
			case map[string]any:
				doc = t
			case string:
			default:
				return req, nil, false
			}
			req.VerifiableCredential = m.raw
		case "anchorReceipt":
			if v == nil {
				return req, nil, false
			}
			req.AnchorReceipt = m.raw
		case "options":
			o, isObj := v.(map[string]any)
			if !isObj {
				return req, nil, false
			}
			for k, ov := range o {
				var typed bool
				switch k {
				case "challenge":
					req.Options.Challenge, typed = ov.(string)
				case "domain":
					req.Options.Domain, typed = ov.(string)
				case "store":
					req.Options.Store, typed = ov.(bool)
				}
				if !typed {
					return req, nil, false
				}
			}
		default:
			return req, nil, false
		}
	}
	if req.VerifiableCredential == nil || h.validate.Struct(&req) != nil {
		return req, nil, false
	}
	return req, doc, true
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
	if err := vr.canStore(req.Options.Store); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	rep, err := vr.v.Pipeline.VerifyPresentation(ctx, req.VerifiablePresentation,
		verifier.Options{Challenge: req.Options.Challenge, Domain: req.Options.Domain, Receipts: receipts})
	vr.renderReport(w, r, rep, err, req.Options.Store)
}

func (vr *verifyingRoutes) renderReport(w http.ResponseWriter, r *http.Request, rep *verifier.Report, err error, store bool) {
	if err == nil && rep == nil {
		err = errors.New("pipeline returned neither a report nor an error")
	}
	if err != nil {
		vr.h.fail(w, r, fmt.Errorf("verify: %w", err))
		return
	}
	res := VerificationResponse{Result: *ResultOf(rep), Report: rep}
	if store {
		sv, err := vr.keep(r.Context(), rep, res.Verified)
		if err != nil {
			vr.h.fail(w, r, fmt.Errorf("store verification: %w", err))
			return
		}
		res.VerificationID = sv.ID
	}
	w.Header().Set("Cache-Control", "no-store")
	vr.h.writeJSON(w, r, res)
}

// ---- stored verifications ----

// verificationIDPrefix starts the ids of stored verifications: "vfy_" and
// 24 random bytes (base64url), unguessable, as the id alone gives access.
const (
	verificationIDPrefix = "vfy_"
	verificationIDBytes  = 24
)

// ValidVerificationID reports whether id has the form of a stored
// verification's id, so that anything else is refused before a read.
func ValidVerificationID(id string) bool {
	rest, ok := strings.CutPrefix(id, verificationIDPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(verificationIDBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(rest)
	return err == nil
}

func (vr *verifyingRoutes) canStore(store bool) error {
	if store && vr.v.Verifications == nil {
		return &validationError{Fields: []FieldError{{Field: "options.store", Reason: "this node does not keep verifications"}}}
	}
	return nil
}

// keep stores rep as a verification for GET /verifications/{id}.
func (vr *verifyingRoutes) keep(ctx context.Context, rep *verifier.Report, verified bool) (*StoredVerification, error) {
	b := make([]byte, verificationIDBytes)
	if _, err := rand.Read(b); err != nil {
		return nil, err
	}
	now := time.Now().UTC().Truncate(time.Second)
	sv := &StoredVerification{
		ID: verificationIDPrefix + base64.RawURLEncoding.EncodeToString(b), Created: now, Expires: now.Add(vr.v.VerificationTTL),
		Kind: rep.Kind, State: rep.State, Verified: verified, Subjects: []SubjectSummary{}, Report: rep,
	}
	creds := []*verifier.Report{rep}
	if rep.Kind == verifier.KindPresentation {
		creds = rep.Credentials
	}
	for _, c := range creds {
		sv.Subjects = append(sv.Subjects, SubjectSummary{CredentialID: c.ID, Types: c.Types, Issuer: c.Issuer, IssuerName: c.IssuerName, State: c.State, Subject: c.Subject()})
	}
	if err := vr.v.Verifications.Keep(context.WithoutCancel(ctx), sv, vr.v.VerificationTTL); err != nil {
		return nil, err
	}
	return sv, nil
}

// getVerification answers GET /verifications/{id}: anyone holding the id
// (the verifier who asked for it to be stored, and whoever they give the
// report link to) reads it until it expires.
func (vr *verifyingRoutes) getVerification(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if vr.v.Verifications == nil || !ValidVerificationID(id) {
		vr.h.fail(w, r, ErrVerificationNotFound)
		return
	}
	sv, err := vr.v.Verifications.Get(r.Context(), id)
	if err != nil {
		vr.h.fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	vr.h.writeJSON(w, r, sv)
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
	if sd, ok := sharedSDJWT(vp); ok {
		// An SD-JWT presentation holds one credential, named by its jti.
		claims, err := sd.JWT.Claims()
		if err != nil {
			return nil
		}
		jti, _ := claims["jti"].(string)
		return []string{jti}
	}
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
	// Name is the input's name: the ZIP entry's path, or the share link
	// (or the label beside it in the CSV); empty for a JSON array item.
	Name string `json:"name,omitempty"`
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
	// Reason is what decided the row, in English and Chinese: the message
	// of the first failed step, else of the first warning, else why no
	// verdict was reached.
	ReasonEN string `json:"reason_en,omitempty"`
	ReasonZH string `json:"reason_zh,omitempty"`
	Error    string `json:"error,omitempty"`
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

// Limits of a ZIP batch: each entry is read up to MaxZipEntryBytes
// uncompressed, all entries together up to MaxZipTotalBytes (whatever the
// archive's headers claim); the entries are at most Verifying.MaxBatch.
const (
	MaxZipEntryBytes = credential.MaxDocumentSize
	MaxZipTotalBytes = 64 << 20
)

// batchInput is one input of a batch, before verification.
type batchInput struct {
	name string
	raw  json.RawMessage // an item as in a JSON array
	// share is the token of a share link of this node.
	share string
	// refused says why the input was not verified.
	refused *rowProblem
}

// rowProblem is why a batch input got no verdict, in both languages.
type rowProblem struct{ en, zh string }

func refuse(en, zh string, args ...any) *rowProblem {
	return &rowProblem{fmt.Sprintf(en, args...), fmt.Sprintf(zh, args...)}
}

func (vr *verifyingRoutes) batch(w http.ResponseWriter, r *http.Request) {
	h := vr.h
	if _, err := vr.account(r); err != nil {
		h.fail(w, r, err)
		return
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var inputs []batchInput
	var err error
	switch mt {
	case "application/zip", "application/x-zip-compressed":
		inputs, err = vr.zipInputs(w, r)
	case "text/csv":
		inputs, err = vr.linkInputs(w, r)
	default:
		inputs, err = vr.arrayInputs(w, r)
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case len(inputs) == 0:
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "the batch is empty"}}})
		return
	case len(inputs) > vr.v.MaxBatch:
		h.fail(w, r, &validationError{Fields: []FieldError{{Field: "(body)", Reason: fmt.Sprintf("%d items, at most %d in one batch", len(inputs), vr.v.MaxBatch)}}})
		return
	}
	res := vr.runBatch(r, inputs)
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

// arrayInputs reads a JSON array of items.
func (vr *verifyingRoutes) arrayInputs(w http.ResponseWriter, r *http.Request) ([]batchInput, error) {
	if err := checkMediaType(r.Header.Get("Content-Type")); err != nil {
		return nil, fmt.Errorf("%w (a JSON array), application/zip or text/csv (share links)", err)
	}
	body, err := readBody(w, r, vr.h.cfg.MaxUploadBytes)
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if t := bytes.TrimSpace(body); t[0] != '[' {
		return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "must be a JSON array of credentials or presentations"}}}
	}
	if err := decodeStrict(body, &items); err != nil {
		return nil, err
	}
	if len(items) > vr.v.MaxBatch {
		return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: fmt.Sprintf("%d items, at most %d in one batch", len(items), vr.v.MaxBatch)}}}
	}
	out := make([]batchInput, len(items))
	for i, it := range items {
		out[i] = batchInput{raw: it}
	}
	return out, nil
}

// zipInputs reads a ZIP archive: each .json, .jwt or .txt entry is one
// item (a credential, a presentation, or an object as in a JSON array; a
// .jwt or .txt entry may hold a bare compact JWT or SD-JWT). Directories
// and macOS metadata are skipped; an entry with an unsafe name (absolute,
// "..", backslashes, a drive letter, control characters), of another
// extension, too large, or beyond the total size is a row with a reason.
func (vr *verifyingRoutes) zipInputs(w http.ResponseWriter, r *http.Request) ([]batchInput, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, vr.h.cfg.MaxUploadBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return nil, fmt.Errorf("%w: the limit is %d bytes", errTooLarge, vr.h.cfg.MaxUploadBytes)
		}
		return nil, fmt.Errorf("%w: reading the body: %v", errMalformedRequest, err)
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "not a readable ZIP archive: " + err.Error()}}}
	}
	var files []*zip.File
	for _, f := range zr.File {
		base := path.Base(strings.ReplaceAll(f.Name, "\\", "/"))
		if strings.HasSuffix(f.Name, "/") || strings.HasPrefix(f.Name, "__MACOSX/") || strings.HasPrefix(base, "._") || base == ".DS_Store" {
			continue
		}
		files = append(files, f)
	}
	if len(files) > vr.v.MaxBatch {
		return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: fmt.Sprintf("the archive holds %d files, at most %d in one batch", len(files), vr.v.MaxBatch)}}}
	}
	out := make([]batchInput, len(files))
	var total int64
	for i, f := range files {
		in := batchInput{name: displayName(f.Name)}
		ext := strings.ToLower(path.Ext(f.Name))
		switch {
		case !safeEntryName(f.Name):
			in.refused = refuse("Refused: the entry name %q is unsafe (an absolute path, \"..\", a backslash, a drive letter or a control character); nothing was read from it.",
				"已拒绝：条目名称 %q 不安全（绝对路径、“..”、反斜杠、盘符或控制字符）；未读取其内容。", in.name)
		case ext != ".json" && ext != ".jwt" && ext != ".txt":
			in.refused = refuse("Not read: only .json, .jwt and .txt files are credentials or presentations.", "未读取：只有 .json、.jwt 和 .txt 文件会被当作凭证或出示。")
		case total >= MaxZipTotalBytes:
			in.refused = refuse("Not read: the archive's files together exceed %d bytes uncompressed.", "未读取：压缩包内文件解压后总计超过 %d 字节。", MaxZipTotalBytes)
		default:
			data, p := readEntry(f, min(MaxZipEntryBytes, MaxZipTotalBytes-total))
			total += int64(len(data))
			if p != nil {
				in.refused = p
				break
			}
			in.raw = entryItem(data, ext)
		}
		out[i] = in
	}
	return out, nil
}

// readEntry reads a ZIP entry up to limit bytes uncompressed, whatever its
// header claims.
func readEntry(f *zip.File, limit int64) ([]byte, *rowProblem) {
	rc, err := f.Open()
	if err != nil {
		return nil, refuse("Not read: the entry cannot be opened (%v).", "未读取：无法打开该条目（%v）。", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	switch {
	case int64(len(data)) > limit:
		return data[:limit], refuse("Not read: the file is larger than %d bytes uncompressed (or the archive's total is reached).", "未读取：该文件解压后超过 %d 字节（或已达到压缩包总量上限）。", limit)
	case err != nil:
		return data, refuse("Not read: the entry is damaged (%v).", "未读取：该条目已损坏（%v）。", err)
	case len(bytes.TrimSpace(data)) == 0:
		return data, refuse("Not read: the file is empty.", "未读取：文件为空。")
	case !utf8.Valid(data):
		return data, refuse("Not read: the file is not UTF-8 text.", "未读取：文件不是 UTF-8 文本。")
	}
	return data, nil
}

// entryItem turns an entry's text into a batch item: JSON as it is; a bare
// compact serialisation in a .jwt or .txt file as a JSON string.
func entryItem(data []byte, ext string) json.RawMessage {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	if ext == ".json" || t[0] == '{' || t[0] == '"' || t[0] == '[' {
		return t
	}
	b, _ := json.Marshal(string(t))
	return b
}

// safeEntryName refuses names that would escape a directory if extracted.
func safeEntryName(name string) bool {
	if name == "" || len(name) > 1024 || strings.ContainsAny(name, "\\:") || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return false
	}
	return fs.ValidPath(name)
}

// displayName is a name as a row shows it: valid UTF-8, at most 256 bytes.
func displayName(name string) string {
	name = strings.ToValidUTF8(name, "\ufffd")
	if len(name) > 256 {
		name = name[:256]
		for !utf8.ValidString(name) {
			name = name[:len(name)-1]
		}
	}
	return name
}

// linkInputs reads a CSV of share links, one a line: the link in the first
// column, an optional label in the second; a first line whose first cell is
// not a link is a header. Only links of this node (PublicURL + "/share/"
// + token) are accepted; they are opened in-process, never fetched.
func (vr *verifyingRoutes) linkInputs(w http.ResponseWriter, r *http.Request) ([]batchInput, error) {
	body, err := readBody(w, r, vr.h.cfg.MaxUploadBytes)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(body, []byte("\ufeff"))))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	var out []batchInput
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "not a CSV file: " + err.Error()}}}
		}
		link := strings.TrimSpace(rec[0])
		if link == "" {
			continue
		}
		if line == 1 && !strings.Contains(link, "://") {
			continue // a header
		}
		if len(out) == vr.v.MaxBatch {
			return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: fmt.Sprintf("more than %d links, at most %d in one batch", vr.v.MaxBatch, vr.v.MaxBatch)}}}
		}
		in := batchInput{name: displayName(link)}
		if len(rec) > 1 && strings.TrimSpace(rec[1]) != "" {
			in.name = displayName(strings.TrimSpace(rec[1]))
		}
		in.share, in.refused = vr.shareToken(link)
		out = append(out, in)
	}
	return out, nil
}

// shareToken returns the token of a share link of this node, or why the
// link is refused. Nothing is ever fetched: a link to any other host is
// refused here (no request leaves the node).
func (vr *verifyingRoutes) shareToken(link string) (string, *rowProblem) {
	base, err := url.Parse(vr.v.PublicURL)
	if vr.v.PublicURL == "" || err != nil {
		return "", refuse("Refused: this node has no public URL configured, so it checks no share links.", "已拒绝：本节点未配置公开网址，不检查分享链接。")
	}
	prefix := strings.TrimSuffix(base.Path, "/") + "/share/"
	wrong := refuse("Refused: not a share link of this service. Only links starting with %s are checked, and nothing was fetched; ask the holder for a link made by this service's wallet.",
		"已拒绝：不是本服务的分享链接。只检查以 %s 开头的链接，未访问任何外部地址；请持有人提供由本服务钱包生成的链接。", strings.TrimSuffix(vr.v.PublicURL, "/")+"/share/")
	u, err := url.Parse(link)
	if err != nil || u.User != nil || u.Opaque != "" || !strings.EqualFold(u.Scheme, base.Scheme) || !sameHost(u, base) {
		return "", wrong
	}
	tok, ok := strings.CutPrefix(u.Path, prefix)
	if !ok || tok == "" || len(tok) > 128 || strings.ContainsFunc(tok, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_')
	}) {
		return "", wrong
	}
	return tok, nil
}

// sameHost compares host names (case-insensitively) and ports (the
// scheme's default when absent).
func sameHost(a, b *url.URL) bool {
	port := func(u *url.URL) string {
		if p := u.Port(); p != "" {
			return p
		}
		if strings.EqualFold(u.Scheme, "https") {
			return "443"
		}
		return "80"
	}
	return a.Hostname() != "" && strings.EqualFold(a.Hostname(), b.Hostname()) && port(a) == port(b)
}

// runBatch verifies the inputs, BatchWorkers at a time, in order.
func (vr *verifyingRoutes) runBatch(r *http.Request, inputs []batchInput) *BatchResult {
	rows := make([]BatchRow, len(inputs))
	sem := make(chan struct{}, vr.v.BatchWorkers)
	var wg sync.WaitGroup
	for i, in := range inputs {
		if r.Context().Err() != nil {
			rows[i] = BatchRow{Index: i, Name: in.name, State: stateError, Error: "not checked: the request ended", ReasonEN: "Not checked: the request ended.", ReasonZH: "未检查：请求已结束。", Failed: []string{}, Warnings: []string{}}
			continue
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			rows[i] = vr.batchRow(r, i, in)
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

// batchRow verifies one input of a batch into its row.
func (vr *verifyingRoutes) batchRow(r *http.Request, i int, in batchInput) BatchRow {
	row := BatchRow{Index: i, Name: in.name, Failed: []string{}, Warnings: []string{}}
	if in.refused != nil {
		row.State, row.Error, row.ReasonEN, row.ReasonZH = stateError, in.refused.en, in.refused.en, in.refused.zh
		return row
	}
	ctx, cancel := context.WithTimeout(r.Context(), vr.h.cfg.VerifyTimeout)
	defer cancel()
	var (
		rep  *verifier.Report
		kind string
		err  error
	)
	if in.share != "" {
		var p *rowProblem
		rep, p, err = vr.verifyShare(ctx, in.share)
		kind = verifier.KindPresentation
		if p != nil {
			row.Kind, row.State, row.Error, row.ReasonEN, row.ReasonZH = kind, stateError, p.en, p.en, p.zh
			return row
		}
	} else {
		rep, kind, err = vr.verifyItem(ctx, in.raw)
	}
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
		row.ReasonEN, row.ReasonZH = "No verdict: "+row.Error, "未得出结论："+row.Error
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
	row.ReasonEN, row.ReasonZH = reasonOf(rep)
	return row
}

// reasonOf is the message of the report's first failed step (its own or a
// credential's), else of its first warning, else its summary.
func reasonOf(rep *verifier.Report) (en, zh string) {
	all := append([]*verifier.Report{rep}, rep.Credentials...)
	for _, want := range []verifier.StepState{verifier.StepFailed, verifier.StepWarning} {
		for _, r := range all {
			for _, s := range r.Steps {
				if s.State == want {
					return s.MessageEN, s.MessageZH
				}
			}
		}
	}
	return rep.SummaryEN, rep.SummaryZH
}

// sharedPresentation is what GET /share/{token} answers (wallet.Shared).
type sharedPresentation struct {
	ID           string          `json:"id"`
	Holder       string          `json:"holder"`
	Presentation json.RawMessage `json:"presentation"`
	Receipts     json.RawMessage `json:"anchorReceipts"`
}

// verifyShare opens a share link of this node in-process (through the
// node's own router: the access is logged for the holder like any
// opening) and verifies its presentation. The presentation was made for
// the challenge "share:<link id>" and this node's public URL as domain; it
// is meant to be opened many times, so no challenge is used up.
func (vr *verifyingRoutes) verifyShare(ctx context.Context, token string) (*verifier.Report, *rowProblem, error) {
	if vr.mux == nil {
		return nil, refuse("Refused: this node opens no share links.", "已拒绝：本节点不打开分享链接。"), nil
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "/share/"+token, nil)
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("User-Agent", "TalentChain batch verification")
	req.Header.Set("Accept", "application/json")
	rec := &bufferedResponse{header: http.Header{}}
	vr.mux.ServeHTTP(rec, req)
	if rec.status != http.StatusOK {
		// A problem answer of the wallet's routes: told apart by its type.
		var p Problem
		_ = json.Unmarshal(rec.body.Bytes(), &p)
		switch strings.TrimPrefix(p.Type, ProblemTypeBase) {
		case "not-found":
			return nil, refuse("No verdict: this share link is unknown here (mistyped, or never made by this service).", "未得出结论：本服务不存在该分享链接（可能输错，或并非本服务生成）。"), nil
		case "expired", "revoked":
			return nil, refuse("No verdict: this share link expired or was revoked by its holder; ask for a new one.", "未得出结论：该分享链接已过期或已被持有人撤销；请索取新的链接。"), nil
		case "unavailable", "internal":
			return nil, nil, fmt.Errorf("%w: opening the share link answered %d", verifier.ErrUnavailable, rec.status)
		}
		return nil, refuse("No verdict: the share link could not be opened (%d %s).", "未得出结论：无法打开该分享链接（%d %s）。", rec.status, p.Title), nil
	}
	var sh sharedPresentation
	if err := json.Unmarshal(rec.body.Bytes(), &sh); err != nil || len(sh.Presentation) == 0 {
		return nil, nil, fmt.Errorf("share link: unreadable answer: %v", err)
	}
	return vr.verifyShared(ctx, sh.ID, sh.Presentation, sh.Receipts)
}

// verifyShared verifies the presentation of the opened share link id:
// made for its own "share:<id>" challenge and this node's public URL as
// domain, reusable (no challenge used up), with the receipts the wallet
// lists in the order of its credentials. The batch and the share page
// both call it.
func (vr *verifyingRoutes) verifyShared(ctx context.Context, id string, vp, receiptsJSON json.RawMessage) (*verifier.Report, *rowProblem, error) {
	challenge, ok := proofChallenge(vp)
	if !ok || !strings.HasPrefix(challenge, "share:") {
		return nil, refuse("No verdict: the shared presentation carries no share challenge.", "未得出结论：分享的出示中没有分享挑战值。"), nil
	}
	if challenge != "share:"+id {
		return nil, refuse("No verdict: the shared presentation was made for another share link.", "未得出结论：分享的出示是为另一个分享链接生成的。"), nil
	}
	receipts, err := presentationReceipts(vp, receiptsJSON, "anchorReceipts")
	if err != nil {
		return nil, nil, err
	}
	rep, err := vr.v.Pipeline.VerifyPresentation(ctx, vp, verifier.Options{
		Challenge: challenge, Domain: strings.TrimSuffix(vr.v.PublicURL, "/"), Receipts: receipts, Reusable: true,
	})
	return rep, nil, err
}

// proofChallenge reads the challenge of a shared presentation's proof; a
// share link's is "share:<link id>".
func proofChallenge(vp json.RawMessage) (string, bool) {
	if sd, ok := sharedSDJWT(vp); ok {
		// An SD-JWT share carries the challenge as its key binding's nonce;
		// the pipeline then checks that binding against it and our URL.
		if sd.KeyBinding == nil {
			return "", false
		}
		kb, err := sd.KeyBinding.Claims()
		if err != nil {
			return "", false
		}
		nonce, _ := kb["nonce"].(string)
		return nonce, strings.HasPrefix(nonce, "share:") && len(nonce) <= 512
	}
	var doc struct {
		Proof json.RawMessage `json:"proof"`
	}
	if json.Unmarshal(vp, &doc) != nil {
		return "", false
	}
	var proofs []struct {
		Challenge string `json:"challenge"`
	}
	if json.Unmarshal(doc.Proof, &proofs) != nil {
		var one struct {
			Challenge string `json:"challenge"`
		}
		if json.Unmarshal(doc.Proof, &one) != nil {
			return "", false
		}
		proofs = append(proofs, one)
	}
	for _, p := range proofs {
		if strings.HasPrefix(p.Challenge, "share:") && len(p.Challenge) <= 512 {
			return p.Challenge, true
		}
	}
	return "", false
}

// sharedSDJWT reads a shared presentation that is an SD-JWT (+KB): a JSON
// string holding the compact form, as the wallet keeps SD-JWT shares.
func sharedSDJWT(vp json.RawMessage) (*sdjwt.SDJWT, bool) {
	var compact string
	if json.Unmarshal(vp, &compact) != nil {
		return nil, false
	}
	sd, err := sdjwt.Parse(compact)
	return sd, err == nil
}

// bufferedResponse records an in-process answer.
type bufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedResponse) Header() http.Header { return b.header }

func (b *bufferedResponse) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedResponse) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	if b.body.Len()+len(p) > 2*credential.MaxDocumentSize {
		return 0, errors.New("share answer too large")
	}
	return b.body.Write(p)
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
		"failed_steps", "warning_steps", "summary_en", "summary_zh", "error", "name", "reason_en", "reason_zh"}}
	for _, row := range res.Rows {
		var zh, en string
		if row.IssuerName != nil {
			zh, en = row.IssuerName.Zh, row.IssuerName.En
		}
		out = append(out, []string{strconv.Itoa(row.Index), row.Kind, row.State, strconv.FormatBool(row.Verified),
			row.ID, row.Issuer, zh, en, row.Holder, strings.Join(row.Failed, " "), strings.Join(row.Warnings, " "),
			row.SummaryEN, row.SummaryZH, row.Error, row.Name, row.ReasonEN, row.ReasonZH})
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
	case errors.Is(err, ErrVerificationNotFound):
		return Problem{Type: ProblemTypeBase + "not-found", Title: "Not found", Status: http.StatusNotFound,
			Detail: "No stored verification has this id, or it expired."}, true
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
