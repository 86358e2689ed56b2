package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/pex"
	"github.com/talentchain/talentchain/store"
)

// MaxPresented is the largest number of credentials in one presentation.
const MaxPresented = 50

// PresentRequest asks for a presentation of chosen credentials.
type PresentRequest struct {
	CredentialIDs []string `json:"credentialIds" validate:"required,min=1,max=50,unique,dive,credid"`
	// Challenge and Domain are the verifier's: the proof carries both, so
	// the presentation answers only that verifier's request.
	Challenge string `json:"challenge" validate:"required,max=512"`
	Domain    string `json:"domain,omitempty" validate:"max=512"`
}

// Presentation is a signed Verifiable Presentation and the anchor
// receipts of its credentials (index-aligned with verifiableCredential;
// null where a credential has none), which travel beside it.
//
// A share link of an SD-JWT VC holds instead the SD-JWT with its chosen
// disclosures and key binding, as a JSON string, with Format FormatSDJWT
// and the credential's receipt in Receipts[0].
type Presentation struct {
	Presentation json.RawMessage             `json:"presentation"`
	Receipts     []*credential.AnchorReceipt `json:"anchorReceipts"`
	// Format is FormatSDJWT for an SD-JWT share; empty for a signed VP.
	Format string `json:"format,omitempty"`
}

// Present builds a VC Data Model 2.0 Verifiable Presentation of the
// holder's chosen credentials, holder = the holder's DID, signed with the
// holder's key (Data Integrity eddsa-rdfc-2022, proofPurpose
// authentication) for the verifier's challenge and domain. Another
// holder's credential is ErrNotFound; an SD-JWT is ErrUnsupported (use
// PresentSDJWT).
func (s *Service) Present(ctx context.Context, account string, req PresentRequest) (*Presentation, error) {
	if err := check(req); err != nil {
		return nil, fmt.Errorf("present: %w", err)
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("present: %w", err)
	}
	recs, err := s.loadAll(ctx, account, req.CredentialIDs)
	if err != nil {
		return nil, fmt.Errorf("present: %w", err)
	}
	p, err := s.present(ctx, acct, recs, req.Challenge, req.Domain)
	if err != nil {
		return nil, fmt.Errorf("present: %w", err)
	}
	return p, nil
}

func (s *Service) loadAll(ctx context.Context, account string, ids []string) ([]*credRecord, error) {
	recs := make([]*credRecord, len(ids))
	for i, id := range ids {
		r, err := s.load(ctx, account, id)
		if err != nil {
			return nil, err
		}
		if r.Format != FormatLDP {
			return nil, fmt.Errorf("credential %s: %w: an SD-JWT is presented on its own (PresentSDJWT)", id, ErrUnsupported)
		}
		recs[i] = r
	}
	return recs, nil
}

func (s *Service) present(ctx context.Context, acct *accountRecord, recs []*credRecord, challenge, domain string) (*Presentation, error) {
	vcs := make([]any, len(recs))
	receipts := make([]*credential.AnchorReceipt, len(recs))
	for i, r := range recs {
		doc, err := credential.ParseDocument(r.Document)
		if err != nil {
			return nil, fmt.Errorf("credential %s: %w", r.ID, err)
		}
		vcs[i], receipts[i] = doc, r.Receipt
	}
	id, err := randomHex(16)
	if err != nil {
		return nil, err
	}
	vp := map[string]any{
		"@context":             []any{credential.ContextV2},
		"id":                   "urn:uuid:" + uuidOf(id),
		"type":                 []any{"VerifiablePresentation"},
		"holder":               acct.DID,
		"verifiableCredential": vcs,
	}
	sg, wipe, err := s.signer(ctx, acct)
	if err != nil {
		return nil, err
	}
	signed, err := sg.SignPresentation(vp, challenge, domain, s.cfg.Now())
	wipe()
	if err != nil {
		var ie *credential.InputError
		if errors.As(err, &ie) {
			return nil, invalid("/"+ie.Field, ie.Reason)
		}
		return nil, err
	}
	raw, err := json.Marshal(signed)
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "wallet: presentation signed", "account", acct.ID, "credentials", len(recs), "domain", domain)
	return &Presentation{Presentation: raw, Receipts: receipts}, nil
}

// uuidOf formats 32 hex digits as a version 4 UUID.
func uuidOf(h string) string {
	b := []byte(h)
	b[12] = '4'
	b[16] = "89ab"[b[16]%4]
	return string(b[0:8]) + "-" + string(b[8:12]) + "-" + string(b[12:16]) + "-" + string(b[16:20]) + "-" + string(b[20:32])
}

// PresentSDJWTRequest asks for a selective disclosure of an SD-JWT VC.
type PresentSDJWTRequest struct {
	CredentialID string `json:"credentialId" validate:"credid"`
	// Disclose lists the claim paths to reveal; the others stay hidden.
	Disclose []string `json:"disclose" validate:"max=100,dive,required,max=256"`
	Nonce    string   `json:"nonce" validate:"required,max=512"`
	Audience string   `json:"audience" validate:"required,max=512"`
}

// PresentSDJWT returns the SD-JWT with only the chosen disclosures and a key
// binding JWT signed by the holder's key for the verifier's nonce and
// audience.
func (s *Service) PresentSDJWT(ctx context.Context, account string, req PresentSDJWTRequest) (string, error) {
	if err := check(req); err != nil {
		return "", fmt.Errorf("present SD-JWT: %w", err)
	}
	if s.sdjwt == nil {
		return "", fmt.Errorf("present SD-JWT: %w: SD-JWT credentials are not enabled in this wallet", ErrUnsupported)
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return "", fmt.Errorf("present SD-JWT: %w", err)
	}
	r, err := s.load(ctx, account, req.CredentialID)
	if err != nil {
		return "", fmt.Errorf("present SD-JWT: %w", err)
	}
	if r.Format != FormatSDJWT {
		return "", fmt.Errorf("present SD-JWT: %w: credential %s is not an SD-JWT", ErrUnsupported, r.ID)
	}
	out, err := s.presentSDJWT(ctx, acct, r, req.Disclose, req.Nonce, req.Audience)
	if err != nil {
		return "", fmt.Errorf("present SD-JWT: %w", err)
	}
	return out, nil
}

// presentSDJWT discloses the claims at the given pointers of an SD-JWT and
// binds the presentation to nonce and audience with the holder's key.
func (s *Service) presentSDJWT(ctx context.Context, acct *accountRecord, r *credRecord, disclose []string, nonce, audience string) (string, error) {
	if s.sdjwt == nil {
		return "", fmt.Errorf("%w: SD-JWT credentials are not enabled in this wallet", ErrUnsupported)
	}
	kp, err := s.holderKey(ctx, acct)
	if err != nil {
		return "", err
	}
	defer clear(kp.Private)
	out, err := s.sdjwt.PresentSDJWT(ctx, r.Compact, disclose, kp.Private, nonce, audience)
	if err != nil {
		return "", err
	}
	s.log.InfoContext(ctx, "wallet: SD-JWT presented", "account", acct.ID, "credential", r.ID, "disclosed", len(disclose))
	return out, nil
}

// pointerOf turns the path of a field the matcher found in doc (an RFC
// 9535 normalized path, $['a'][0]['b']) into the RFC 6901 JSON Pointer of
// the claim (/a/0/b), through credential/pex's own JSONPath and pointer
// rendering: the path must select exactly one value of doc, not the whole.
func pointerOf(path string, doc map[string]any) (string, error) {
	p, err := pex.ParsePath(path)
	if err != nil {
		return "", err
	}
	nodes, err := p.Find(doc)
	switch {
	case err != nil:
		return "", err
	case len(nodes) != 1:
		return "", fmt.Errorf("the path selects %d values of the credential, not one", len(nodes))
	case len(nodes[0].Location) == 0:
		return "", errors.New("the path selects the whole credential")
	}
	return pex.JSONPointer(nodes[0].Location), nil
}

// RequestObject is a verifier's presentation request, as fetched from its
// URL.
type RequestObject struct {
	ID          string          `json:"id" validate:"required,extid"`
	Definition  json.RawMessage `json:"presentation_definition" validate:"required"`
	Challenge   string          `json:"challenge" validate:"required,max=512"`
	Domain      string          `json:"domain,omitempty" validate:"max=512"`
	ResponseURI string          `json:"response_uri" validate:"required,max=2048"`
	Expires     time.Time       `json:"expires" validate:"required"`
	// Purpose is why the verifier asks (text, or {"zh", "en"}), shown to
	// the holder at consent.
	Purpose json.RawMessage `json:"purpose,omitempty"`
}

// pendingRequest is a fetched request waiting for the holder's consent.
type pendingRequest struct {
	Request RequestObject `json:"request"`
	URL     string        `json:"url"`
	Origin  string        `json:"origin"`
	Fetched time.Time     `json:"fetched"`
}

// RequestView is what the holder sees to consent: who asks, what, and
// which of the holder's credentials can answer each part.
type RequestView struct {
	// ID names the pending request in the wallet (Consent.RequestID).
	ID string `json:"id"`
	// RequestID is the verifier's id of the request.
	RequestID string `json:"requestId"`
	// Verifier is the origin the request came from and the answer goes to.
	Verifier string `json:"verifier"`
	Domain   string `json:"domain,omitempty"`
	Name     string `json:"name,omitempty"`
	Purpose  string `json:"purpose,omitempty"`
	// RequestPurpose is the request's own purpose ("zh", "en"; a plain
	// text is under both), as the verifier wrote it; Purpose is the
	// presentation definition's.
	RequestPurpose map[string]string `json:"requestPurpose,omitempty"`
	Expires        time.Time         `json:"expires"`
	Satisfied      bool              `json:"satisfied"`
	Descriptors    []DescriptorView  `json:"descriptors"`
}

// maxPurpose bounds a request purpose shown to the holder.
const maxPurpose = 500

// requestPurpose reads a request's purpose: a text, or {"zh": …, "en": …};
// anything else, or longer than maxPurpose, is left out.
func requestPurpose(raw json.RawMessage) map[string]string {
	if len(raw) == 0 {
		return nil
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if text == "" || len(text) > maxPurpose {
			return nil
		}
		return map[string]string{"zh": text, "en": text}
	}
	var m map[string]string
	if json.Unmarshal(raw, &m) != nil {
		return nil
	}
	out := map[string]string{}
	for _, k := range []string{"zh", "en"} {
		if v := m[k]; v != "" && len(v) <= maxPurpose {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// DescriptorView is one requested credential and the holder's candidates.
type DescriptorView struct {
	ID         string          `json:"id"`
	Name       string          `json:"name,omitempty"`
	Purpose    string          `json:"purpose,omitempty"`
	Candidates []CandidateView `json:"candidates"`
}

// CandidateView is a candidate credential and the fields it would show.
type CandidateView struct {
	Credential *Credential  `json:"credential"`
	Fields     []FieldMatch `json:"fields"`
}

// maxPendingRequest bounds how long a fetched request waits for consent.
const maxPendingRequest = time.Hour

// FetchRequest fetches a verifier's presentation request from its URL
// (https, or an allowed origin), checks it (shape, expiry, response_uri on
// the same origin as the request), matches the holder's credentials against
// its presentation definition and keeps it for Respond. An expired request
// is ErrExpired; without a Matcher ErrUnsupported.
func (s *Service) FetchRequest(ctx context.Context, account, requestURL string) (*RequestView, error) {
	if s.matcher == nil {
		return nil, fmt.Errorf("fetch request: %w: presentation requests are not enabled in this wallet", ErrUnsupported)
	}
	if _, err := s.account(ctx, account); err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	u, origin, err := s.remote.checkURL(requestURL)
	if err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	body, err := s.remote.getJSON(ctx, u)
	if err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	req, err := parseRequestObject(body)
	if err != nil {
		return nil, fmt.Errorf("fetch request: %w", &RemoteError{URL: origin + u.Path, Status: 200, Reason: err.Error()})
	}
	if _, respOrigin, err := s.remote.checkURL(req.ResponseURI); err != nil || respOrigin != origin {
		return nil, fmt.Errorf("fetch request: %w: the response_uri must be on the request's origin %s", ErrForbiddenURL, origin)
	}
	now := s.cfg.Now()
	if !now.Before(req.Expires) {
		return nil, fmt.Errorf("fetch request: %w: the request expired at %s", ErrExpired, req.Expires.Format(time.RFC3339))
	}
	m, cands, err := s.match(ctx, account, req.Definition, nil)
	if err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	ttl := min(req.Expires.Sub(now), maxPendingRequest)
	pend := pendingRequest{Request: *req, URL: u.String(), Origin: origin, Fetched: now.UTC()}
	raw, err := json.Marshal(pend)
	if err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	// The wallet names the pending request itself: a verifier's id could
	// collide with another verifier's.
	pendID, err := randomHex(12)
	if err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	if err := s.st.Put(ctx, "req/"+account+"/"+pendID, raw, ttl); err != nil {
		return nil, fmt.Errorf("fetch request: %w", err)
	}
	view := &RequestView{
		ID: pendID, RequestID: req.ID, Verifier: origin, Domain: req.Domain, Name: m.Name, Purpose: m.Purpose,
		RequestPurpose: requestPurpose(req.Purpose), Expires: req.Expires, Satisfied: m.Satisfied,
	}
	for _, d := range m.Descriptors {
		dv := DescriptorView{ID: d.ID, Name: d.Name, Purpose: d.Purpose, Candidates: []CandidateView{}}
		for _, c := range d.Candidates {
			r, ok := cands[c.ID]
			if !ok {
				continue // the matcher made up an id: ignore it
			}
			dv.Candidates = append(dv.Candidates, CandidateView{Credential: r.summary(), Fields: c.Fields})
		}
		view.Descriptors = append(view.Descriptors, dv)
	}
	return view, nil
}

// parseRequestObject reads a request object (outside input) strictly.
func parseRequestObject(body []byte) (*RequestObject, error) {
	doc, err := credential.ParseDocument(body)
	if err != nil {
		return nil, err
	}
	for k := range doc {
		switch k {
		case "id", "presentation_definition", "challenge", "domain", "response_uri", "expires", "purpose":
		default:
			return nil, fmt.Errorf("unknown member %q in the request object", k)
		}
	}
	if _, ok := doc["presentation_definition"].(map[string]any); !ok {
		return nil, errors.New("presentation_definition must be an object")
	}
	var r RequestObject
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("not a request object: %v", err)
	}
	if err := check(r); err != nil {
		return nil, err
	}
	return &r, nil
}

// match runs the matcher over the holder's credentials (or only ids, when
// given).
func (s *Service) match(ctx context.Context, account string, def json.RawMessage, ids []string) (*Match, map[string]*credRecord, error) {
	var recs []*credRecord
	if ids == nil {
		all, err := s.allCreds(ctx, account)
		if err != nil {
			return nil, nil, err
		}
		recs = all
	} else {
		for _, id := range ids {
			r, err := s.load(ctx, account, id)
			if err != nil {
				return nil, nil, err
			}
			recs = append(recs, r)
		}
	}
	byID := make(map[string]*credRecord, len(recs))
	cands := make([]Candidate, 0, len(recs))
	for _, r := range recs {
		c := Candidate{ID: r.ID, Format: r.Format}
		if r.Format == FormatLDP {
			if err := json.Unmarshal(r.Document, &c.Document); err != nil {
				return nil, nil, fmt.Errorf("decode %s: %w", r.ID, err)
			}
		} else {
			c.Document = r.Claims
		}
		byID[r.ID] = r
		cands = append(cands, c)
	}
	m, err := s.matcher.Match(ctx, def, cands)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the verifier's presentation definition is unusable: %w", ErrRemote, err)
	}
	return m, byID, nil
}

// Consent is the holder's answer to a fetched request: for each input
// descriptor to answer, the credential chosen.
type Consent struct {
	RequestID  string      `json:"requestId" validate:"required,wid"`
	Selections []Selection `json:"selections" validate:"required,min=1,max=64,dive"`
}

// Selection answers one input descriptor with one credential.
type Selection struct {
	DescriptorID string `json:"descriptorId" validate:"required,max=256"`
	CredentialID string `json:"credentialId" validate:"required,credid"`
}

// Response is what the verifier answered to the presentation.
type Response struct {
	Status int `json:"status"`
	// Body is the verifier's JSON answer, if any.
	Body json.RawMessage `json:"body,omitempty"`
	// Submission is the presentation_submission sent.
	Submission json.RawMessage `json:"presentation_submission"`
}

// Respond answers a fetched request with the holder's consent: it checks
// each selected credential matches its descriptor and that together they
// satisfy the definition, builds the presentation (the request's challenge
// and domain) and the presentation_submission, and posts them to the
// request's response_uri as an OpenID4VP direct_post form (vp_token,
// presentation_submission, state = request id, and anchor_receipts). The
// request is forgotten once the verifier accepted the answer; an expired
// or unknown request is ErrExpired / ErrNotFound.
func (s *Service) Respond(ctx context.Context, account string, c Consent) (*Response, error) {
	if err := check(c); err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	if s.matcher == nil {
		return nil, fmt.Errorf("respond: %w: presentation requests are not enabled in this wallet", ErrUnsupported)
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	key := "req/" + account + "/" + c.RequestID
	raw, err := s.st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("respond: request %s: %w", c.RequestID, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	var pend pendingRequest
	if err := json.Unmarshal(raw, &pend); err != nil {
		return nil, fmt.Errorf("respond: decode request: %w", err)
	}
	req := pend.Request
	if !s.cfg.Now().Before(req.Expires) {
		_ = s.st.Delete(ctx, key)
		return nil, fmt.Errorf("respond: %w: the request expired at %s", ErrExpired, req.Expires.Format(time.RFC3339))
	}

	// The chosen credentials, each once, in the order first chosen.
	var ids []string
	seen := map[string]bool{}
	for i, sel := range c.Selections {
		if seen[sel.DescriptorID] {
			return nil, fmt.Errorf("respond: %w", invalid(fieldIndex("/selections", i)+"/descriptorId", "answers a descriptor twice"))
		}
		seen[sel.DescriptorID] = true
		if !slices.Contains(ids, sel.CredentialID) {
			ids = append(ids, sel.CredentialID)
		}
	}
	if len(ids) > MaxPresented {
		return nil, fmt.Errorf("respond: %w", invalid("/selections", fmt.Sprintf("at most %d credentials", MaxPresented)))
	}
	m, recs, err := s.match(ctx, account, req.Definition, ids)
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	for i, sel := range c.Selections {
		ok := false
		for _, d := range m.Descriptors {
			if d.ID == sel.DescriptorID {
				ok = slices.ContainsFunc(d.Candidates, func(cm CandidateMatch) bool { return cm.ID == sel.CredentialID })
				break
			}
		}
		if !ok {
			return nil, fmt.Errorf("respond: %w", invalid(fieldIndex("/selections", i), "the credential does not answer this descriptor"))
		}
	}
	if !m.Satisfied {
		return nil, fmt.Errorf("respond: %w", invalid("/selections", "the chosen credentials do not satisfy the request"))
	}
	ordered := make([]*credRecord, len(ids))
	for i, id := range ids {
		ordered[i] = recs[id]
		if ordered[i].Format != FormatLDP && len(ids) > 1 {
			return nil, fmt.Errorf("respond: %w", invalid("/selections", "an SD-JWT credential is its own presentation: choose it alone"))
		}
	}
	var (
		vpToken  string
		receipts []byte
		format   = FormatLDP
		path     = func(i int) string { return "$.verifiableCredential[" + strconv.Itoa(i) + "]" }
	)
	if r := ordered[0]; r.Format == FormatSDJWT {
		// The SD-JWT with only the claims the definition's fields ask for
		// (those found for the chosen descriptors) and a key binding for the
		// request's challenge (nonce) and domain (aud).
		aud := req.Domain
		if aud == "" {
			aud = pend.Origin
		}
		var disclose []string
		for _, d := range m.Descriptors {
			if !slices.ContainsFunc(c.Selections, func(sel Selection) bool { return sel.DescriptorID == d.ID }) {
				continue
			}
			for _, cm := range d.Candidates {
				if cm.ID != r.ID {
					continue
				}
				for _, f := range cm.Fields {
					ptr, err := pointerOf(f.Path, r.Claims)
					if err != nil {
						return nil, fmt.Errorf("respond: %w: field path %q: %v", ErrRemote, f.Path, err)
					}
					if !slices.Contains(disclose, ptr) {
						disclose = append(disclose, ptr)
					}
				}
			}
		}
		if vpToken, err = s.presentSDJWT(ctx, acct, r, disclose, req.Challenge, aud); err != nil {
			return nil, fmt.Errorf("respond: %w", err)
		}
		// Receipts by credential id (jti): a compact presentation has no
		// array to align them with.
		rm := map[string]*credential.AnchorReceipt{}
		if r.Receipt != nil && r.CredentialID != "" {
			rm[r.CredentialID] = r.Receipt
		}
		if receipts, err = json.Marshal(rm); err != nil {
			return nil, fmt.Errorf("respond: %w", err)
		}
		format, path = FormatSDJWT, func(int) string { return "$" }
	} else {
		p, err := s.present(ctx, acct, ordered, req.Challenge, req.Domain)
		if err != nil {
			return nil, fmt.Errorf("respond: %w", err)
		}
		vpToken = string(p.Presentation)
		if receipts, err = json.Marshal(p.Receipts); err != nil {
			return nil, fmt.Errorf("respond: %w", err)
		}
	}
	subID, err := randomHex(16)
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	type descriptor struct {
		ID     string `json:"id"`
		Format string `json:"format"`
		Path   string `json:"path"`
	}
	sub := struct {
		ID           string       `json:"id"`
		DefinitionID string       `json:"definition_id"`
		Map          []descriptor `json:"descriptor_map"`
	}{ID: "urn:uuid:" + uuidOf(subID), DefinitionID: m.DefinitionID}
	for _, sel := range c.Selections {
		sub.Map = append(sub.Map, descriptor{ID: sel.DescriptorID, Format: format, Path: path(slices.Index(ids, sel.CredentialID))})
	}
	subJSON, err := json.Marshal(sub)
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	respURL, origin, err := s.remote.checkURL(req.ResponseURI)
	if err != nil || origin != pend.Origin {
		return nil, fmt.Errorf("respond: %w: response_uri", ErrForbiddenURL)
	}
	form := url.Values{
		"vp_token":                {vpToken},
		"presentation_submission": {string(subJSON)},
		"state":                   {req.ID},
		"anchor_receipts":         {string(receipts)},
	}
	status, body, err := s.remote.postForm(ctx, respURL, form, false)
	if err != nil {
		return nil, fmt.Errorf("respond: %w", err)
	}
	if err := s.st.Delete(ctx, key); err != nil {
		s.log.WarnContext(ctx, "wallet: forgetting an answered request failed", "err", err)
	}
	s.log.InfoContext(ctx, "wallet: presentation request answered", "account", account, "verifier", origin, "credentials", len(ids))
	out := &Response{Status: status, Submission: subJSON}
	if json.Valid(body) && len(body) > 0 {
		out.Body = body
	}
	return out, nil
}

// DeclineRequest forgets a fetched request without answering it.
func (s *Service) DeclineRequest(ctx context.Context, account, requestID string) error {
	if !widRE.MatchString(requestID) || !acctRE.MatchString(account) {
		return fmt.Errorf("decline: %w", ErrNotFound)
	}
	if err := s.st.Delete(ctx, "req/"+account+"/"+requestID); err != nil {
		return fmt.Errorf("decline: %w", err)
	}
	return nil
}
