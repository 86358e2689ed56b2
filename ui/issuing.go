package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
)

// Issuing is what the issuing routes need of the issuer service;
// *issuer.Service satisfies it. Errors are the issuer's sentinels (see its
// package documentation); problemFor maps them.
type Issuing interface {
	Authenticate(ctx context.Context, token string, scope issuer.Scope) (*issuer.Principal, error)
	Issue(ctx context.Context, org string, req *issuer.Request) (*issuer.Record, error)
	Submit(ctx context.Context, org string, req *issuer.Request) (*issuer.Record, error)
	SetStatus(ctx context.Context, org string, ch issuer.StatusChange) (*issuer.AuditEntry, error)
	Credential(ctx context.Context, org, id string) (*issuer.Record, error)
	StatusListCredential(ctx context.Context, org, list string) (map[string]any, error)
	Templates() []issuer.Template
}

// WithIssuer serves the VC-API issuing routes over s:
//
//	POST /credentials/issue           issue one credential (token scope issue)
//	POST /credentials/status          revoke, suspend, reinstate (scope status)
//	GET  /credentials/{id}            the organisation's record (scope read)
//	GET  /status/{did}/{list}         a status list credential (public)
//	GET  /templates                   the credential templates and schemas
func WithIssuer(s Issuing) Option {
	return func(h *handler) error {
		if s == nil {
			return errors.New("ui: nil Issuing")
		}
		h.issuer = s
		return nil
	}
}

// issueTimeout bounds the wait for a credential's anchor; past it the answer
// is 202 with the record, and the anchor follows.
const issueTimeout = 20 * time.Second

func (h *handler) issuerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /credentials/issue", h.issueCredential)
	mux.HandleFunc("POST /credentials/status", h.updateStatus)
	mux.HandleFunc("GET /credentials/{id}", h.getCredential)
	mux.HandleFunc("GET /status/{did}/{list}", h.statusList)
	mux.HandleFunc("GET /templates", h.templates)
}

// errUnauthenticated: no bearer token, or not one of ours; answered 401.
var errUnauthenticated = errors.New("authentication required")

// bearer returns the bearer token of r.
func bearer(r *http.Request) (string, error) {
	v := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(v, " ")
	if v == "" {
		return "", fmt.Errorf("%w: send the organisation's API token as Authorization: Bearer <token>", errUnauthenticated)
	}
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(tok) == "" {
		return "", fmt.Errorf("%w: the Authorization header must be Bearer <token>", errUnauthenticated)
	}
	return strings.TrimSpace(tok), nil
}

// principal authenticates r's bearer token for scope.
func (h *handler) principal(r *http.Request, scope issuer.Scope) (*issuer.Principal, error) {
	tok, err := bearer(r)
	if err != nil {
		return nil, err
	}
	return h.issuer.Authenticate(r.Context(), tok, scope)
}

// issueRequest is the body of POST /credentials/issue (VC-API): the
// credential to issue, without issuer and proof, and the issuing options.
type issueRequest struct {
	Credential issueCredential `json:"credential" validate:"required"`
	Options    issueOptions    `json:"options"`
}

// issueCredential is the unsigned credential of an issue request. The issuer
// fills in @context, id, issuer, credentialStatus and the proof.
type issueCredential struct {
	Context           json.RawMessage `json:"@context,omitempty"`
	ID                string          `json:"id,omitempty" validate:"max=0"`
	Type              json.RawMessage `json:"type" validate:"required"`
	Issuer            json.RawMessage `json:"issuer,omitempty"`
	CredentialSubject map[string]any  `json:"credentialSubject" validate:"required"`
	ValidFrom         *time.Time      `json:"validFrom,omitempty"`
	ValidUntil        *time.Time      `json:"validUntil,omitempty"`
}

// issueOptions are TalentChain's issuing options.
type issueOptions struct {
	// Template names the template; by default it follows from the type.
	Template string `json:"template,omitempty" validate:"max=64"`
	// Format is vc2 or ldp_vc (VCDM 2.0, eddsa-rdfc-2022; the default), vc1
	// (VCDM 1.1, Ed25519Signature2020), or dc+sd-jwt / vc+sd-jwt (an SD-JWT
	// VC; verifiableCredential is then its compact form, a JSON string).
	Format string `json:"format,omitempty" validate:"omitempty,oneof=vc2 vc1 ldp_vc dc+sd-jwt vc+sd-jwt"`
	// IdempotencyKey makes a retried request return the first one's credential.
	IdempotencyKey string `json:"idempotencyKey,omitempty" validate:"max=200"`
	// Wait false answers 202 as soon as the credential is signed and stored,
	// without waiting for its anchor.
	Wait *bool `json:"wait,omitempty"`
}

// issuedCredential answers an issue or a read: the credential as issued and
// what the issuer keeps about it.
type issuedCredential struct {
	VerifiableCredential json.RawMessage           `json:"verifiableCredential"`
	AnchorReceipt        *credential.AnchorReceipt `json:"anchorReceipt"`
	CredentialID         string                    `json:"credentialId"`
	Type                 string                    `json:"type"`
	Template             string                    `json:"template"`
	Status               issuer.Status             `json:"status"`
	StatusReason         string                    `json:"statusReason,omitempty"`
	Issued               time.Time                 `json:"issued"`
}

func issued(rec *issuer.Record) issuedCredential {
	return issuedCredential{
		VerifiableCredential: rec.Credential, AnchorReceipt: rec.Receipt, CredentialID: rec.ID,
		Type: rec.Type, Template: rec.Template, Status: rec.Status, StatusReason: rec.StatusNote, Issued: rec.Issued,
	}
}

// allowedContexts are the @context values a client may send; the issuer sets
// the contexts of the format it signs in.
var allowedContexts = []string{
	"https://www.w3.org/ns/credentials/v2",
	"https://www.w3.org/2018/credentials/v1",
	"https://w3id.org/talentchain/credentials/v1",
}

// toRequest turns a VC-API issue request into the issuer's request.
func (req *issueRequest) toRequest(org string) (*issuer.Request, error) {
	c := req.Credential
	var fields []FieldError
	if len(c.Context) > 0 {
		var ctxs []string
		if err := json.Unmarshal(c.Context, &ctxs); err != nil {
			var one string
			if json.Unmarshal(c.Context, &one) != nil {
				fields = append(fields, FieldError{"credential.@context", "must be a URL or an array of URLs", "必须是一个 URL 或 URL 数组"})
			}
			ctxs = []string{one}
		}
		for _, u := range ctxs {
			if u != "" && !slices.Contains(allowedContexts, u) {
				fields = append(fields, FieldError{"credential.@context", fmt.Sprintf("%q is not a context this issuer signs with; leave @context out and the issuer sets it", u),
					fmt.Sprintf("%q 不是本签发方使用的上下文；请省略 @context，由签发方填写", u)})
			}
		}
	}
	var types []string
	if err := json.Unmarshal(c.Type, &types); err != nil {
		var one string
		if json.Unmarshal(c.Type, &one) != nil {
			fields = append(fields, FieldError{"credential.type", "must be a type name or an array of them", "必须是一个类型名或类型名数组"})
		}
		types = []string{one}
	}
	types = slices.DeleteFunc(types, func(t string) bool { return t == "VerifiableCredential" })
	if len(types) != 1 || types[0] == "" {
		fields = append(fields, FieldError{"credential.type", "must name exactly one credential type besides VerifiableCredential, e.g. DegreeCredential",
			"除 VerifiableCredential 外必须且只能有一个凭证类型，例如 DegreeCredential"})
	}
	if len(c.Issuer) > 0 {
		var id string
		if err := json.Unmarshal(c.Issuer, &id); err != nil {
			var obj struct {
				ID string `json:"id"`
			}
			if json.Unmarshal(c.Issuer, &obj) != nil {
				fields = append(fields, FieldError{"credential.issuer", "must be a DID or an object with an id", "必须是一个 DID，或带 id 的对象"})
			}
			id = obj.ID
		}
		if id != "" && id != org {
			fields = append(fields, FieldError{"credential.issuer", "is not the DID of the organisation the token belongs to; leave it out",
				"不是该令牌所属机构的 DID；请省略此项"})
		}
	}
	if len(fields) > 0 {
		return nil, &validationError{Fields: fields}
	}
	subject := c.CredentialSubject
	holder, _ := subject["id"].(string)
	if holder != "" {
		subject = maps.Clone(subject)
		delete(subject, "id")
	}
	r := &issuer.Request{
		Template:       req.Options.Template,
		Type:           types[0],
		Subject:        subject,
		Holder:         holder,
		Format:         issuer.Format(req.Options.Format),
		IdempotencyKey: req.Options.IdempotencyKey,
	}
	if c.ValidFrom != nil {
		r.ValidFrom = *c.ValidFrom
	}
	if c.ValidUntil != nil {
		r.ValidUntil = *c.ValidUntil
	}
	return r, nil
}

func (h *handler) issueCredential(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeIssue)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	var req issueRequest
	if err := h.decode(w, r, &req); err != nil {
		h.issFail(w, r, err)
		return
	}
	ireq, err := req.toRequest(p.Org)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	issue, status := h.issuer.Issue, http.StatusCreated
	if req.Options.Wait != nil && !*req.Options.Wait {
		issue, status = h.issuer.Submit, http.StatusAccepted
	}
	rec, err := issue(ctx, p.Org, ireq)
	if err == nil && rec.Receipt != nil {
		status = http.StatusCreated // an idempotent repeat of an anchored one
	}
	if err != nil {
		if rec == nil || !errors.Is(err, issuer.ErrAnchorPending) {
			h.issFail(w, r, err)
			return
		}
		status = http.StatusAccepted
	}
	w.Header().Set("Location", "/credentials/"+url.PathEscape(rec.ID))
	h.writeJSONStatus(w, r, status, issued(rec))
}

// statusRequest is the body of POST /credentials/status (VC-API), with two
// TalentChain extensions: credentialIds for many credentials at once, and a
// reason kept in the audit log.
type statusRequest struct {
	CredentialID     string             `json:"credentialId,omitempty" validate:"required_without=CredentialIDs,max=512"`
	CredentialIDs    []string           `json:"credentialIds,omitempty" validate:"required_without=CredentialID,max=10000,dive,required,max=512"`
	CredentialStatus []credentialStatus `json:"credentialStatus" validate:"required,len=1,dive"`
	Reason           string             `json:"reason,omitempty" validate:"max=500"`
}

type credentialStatus struct {
	Type   string `json:"type" validate:"required,oneof=BitstringStatusListCredential StatusList2021Credential"`
	Status string `json:"status" validate:"required,oneof=revoked suspended active"`
}

// statusResponse answers a status change with its audit entry.
type statusResponse struct {
	CredentialIDs []string      `json:"credentialIds"`
	Status        issuer.Status `json:"status"`
	Reason        string        `json:"reason,omitempty"`
	TxHashes      []string      `json:"txHashes"`
	Height        int64         `json:"height"`
	Time          time.Time     `json:"time"`
}

func (h *handler) updateStatus(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeStatus)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	var req statusRequest
	if err := h.decode(w, r, &req); err != nil {
		h.issFail(w, r, err)
		return
	}
	ids := req.CredentialIDs
	if req.CredentialID != "" {
		ids = append([]string{req.CredentialID}, ids...)
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	entry, err := h.issuer.SetStatus(ctx, p.Org, issuer.StatusChange{
		IDs: ids, Status: issuer.Status(req.CredentialStatus[0].Status), Reason: req.Reason, Actor: p.Actor(),
	})
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	h.writeJSON(w, r, statusResponse{
		CredentialIDs: entry.IDs, Status: entry.Action, Reason: entry.Reason,
		TxHashes: entry.TxHashs, Height: entry.Height, Time: entry.Time,
	})
}

func (h *handler) getCredential(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeRead)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	rec, err := h.issuer.Credential(r.Context(), p.Org, r.PathValue("id"))
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSON(w, r, issued(rec))
}

func (h *handler) statusList(w http.ResponseWriter, r *http.Request) {
	did, list := r.PathValue("did"), r.PathValue("list")
	if len(did) > maxDIDLength || !didSyntax.MatchString(did) {
		h.fail(w, r, fmt.Errorf("%w: %q is not a DID", ErrInvalidDID, truncate(did, 80)))
		return
	}
	w.Header().Set("Vary", "Accept")
	if tsl, ok := h.issuer.(tokenStatusLists); ok && acceptsStatusListJWT(r) {
		jwt, err := tsl.TokenStatusList(r.Context(), did, list)
		if err != nil {
			h.issFail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=5")
		w.Header().Set("Content-Type", issuer.MediaTypeStatusListJWT)
		w.Write([]byte(jwt))
		return
	}
	vc, err := h.issuer.StatusListCredential(r.Context(), did, list)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	body, err := json.Marshal(vc)
	if err != nil {
		h.fail(w, r, fmt.Errorf("encode status list: %w", err))
		return
	}
	// Short caching: a status change shows within seconds; the chain holds
	// the authoritative bits.
	w.Header().Set("Cache-Control", "public, max-age=5")
	w.Header().Set("Content-Type", "application/vc")
	w.Write(append(body, '\n'))
}

// tokenStatusLists serves the same status bits as an IETF Token Status
// List JWT (the status_list claim of SD-JWT VCs points here);
// *issuer.Service satisfies it.
type tokenStatusLists interface {
	TokenStatusList(ctx context.Context, org, list string) (string, error)
}

// acceptsStatusListJWT reports whether r asks for a Token Status List JWT
// (Accept: application/statuslist+jwt) rather than the W3C credential.
func acceptsStatusListJWT(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept"), ",") {
		mt, _, _ := strings.Cut(part, ";")
		if strings.EqualFold(strings.TrimSpace(mt), issuer.MediaTypeStatusListJWT) {
			return true
		}
	}
	return false
}

func (h *handler) templates(w http.ResponseWriter, r *http.Request) {
	h.writeJSON(w, r, map[string]any{"templates": h.issuer.Templates()})
}

// writeJSONStatus answers status with v as JSON.
func (h *handler) writeJSONStatus(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		h.fail(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// issFail answers an issuing or batch route's error (through h.fail), with
// the issuer's validation reasons in Chinese when the request's
// Accept-Language puts Chinese first; the API answers in English
// otherwise. A dry run's report carries both (reason, reasonZh).
func (h *handler) issFail(w http.ResponseWriter, r *http.Request, err error) {
	if issWantsChinese(r) {
		err = issInChinese(err)
	}
	h.fail(w, r, err)
}

// issWantsChinese reports whether the first language of the request's
// Accept-Language that the service knows is Chinese.
func issWantsChinese(r *http.Request) bool {
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l, ok := i18n.Parse(tag); ok {
			return l == i18n.ZH
		}
	}
	return false
}

// issInChinese is err with the reasons of an issuer validation error or
// CSV report in Chinese (English where a reason has no Chinese text);
// other errors as they are.
func issInChinese(err error) error {
	if ve, ok := errors.AsType[*issuer.ValidationError](err); ok {
		out := &issuer.ValidationError{Fields: make([]issuer.FieldError, len(ve.Fields))}
		for i, f := range ve.Fields {
			out.Fields[i] = issuer.FieldError{Field: f.Field, Reason: f.In("zh"), ReasonZH: f.ReasonZH}
		}
		return out
	}
	if ve, ok := errors.AsType[*validationError](err); ok {
		out := &validationError{Fields: make([]FieldError, len(ve.Fields))}
		for i, f := range ve.Fields {
			if f.ReasonZH != "" {
				f.Reason = f.ReasonZH
			}
			out.Fields[i] = f
		}
		return out
	}
	if ce, ok := errors.AsType[*issuer.CSVError](err); ok {
		out := &issuer.CSVError{BadRows: ce.BadRows, Errors: make([]issuer.RowError, len(ce.Errors))}
		for i, e := range ce.Errors {
			e.Reason = e.In("zh")
			out.Errors[i] = e
		}
		return out
	}
	return err
}
