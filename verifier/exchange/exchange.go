// Package exchange owns presentation requests: a verifier (an employer's HR,
// a talent-policy office) asks a holder for credentials with a DIF
// Presentation Exchange definition, a purpose and an expiry; the holder's
// wallet fetches the request through a link, answers it once with a
// verifiable presentation bound to the request's challenge and domain, and
// the verifier reads the outcome.
//
// The challenge is a single-use nonce kept in the store with a TTL (Redis
// when several replicas serve the same requests): of two answers, exactly
// one is taken (store.Take); an answer after the expiry or a second answer is
// refused with ErrExpired or ErrAnswered. The presentation itself is checked
// by the verification pipeline, through the PresentationVerifier interface,
// and against the definition with credential/pex. Results hold the holder's
// presentation and are sealed at rest (internal/seal).
package exchange

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/pex"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
)

// Limits and defaults.
const (
	DefaultExpiry = 15 * time.Minute
	MaxExpiry     = 7 * 24 * time.Hour
	MinExpiry     = time.Minute
	// DefaultResultTTL is how long a request and its result are kept after
	// the request expires, for the verifier to read.
	DefaultResultTTL = 7 * 24 * time.Hour
	// MaxPresentationSize is the largest presentation accepted, in bytes.
	MaxPresentationSize = credential.MaxDocumentSize
	// KeyPrefix is the prefix of every key the service writes.
	KeyPrefix = "exchange/"
	// idBytes and challengeBytes are the random bytes of a request id (128
	// bits) and of a challenge (256 bits).
	idBytes        = 16
	challengeBytes = 32
)

// Sentinel errors callers branch on.
var (
	// ErrInvalid means the input was refused before anything changed: the
	// error is an *InputError naming the field. Answer 400.
	ErrInvalid = errors.New("exchange: invalid input")
	// ErrNotFound means no such request exists (or it expired long ago and
	// was forgotten). Answer 404.
	ErrNotFound = errors.New("exchange: no such request")
	// ErrForbidden means the request belongs to another verifier account.
	// Answer 403 (or 404 to hide that it exists).
	ErrForbidden = errors.New("exchange: request belongs to another verifier")
	// ErrExpired means the request's time is over: it can no longer be
	// fetched nor answered, and it was not answered in time. Answer 410.
	ErrExpired = errors.New("exchange: request expired")
	// ErrAnswered means the request was already answered (its challenge
	// was used): a replay or a second answer. Answer 409.
	ErrAnswered = errors.New("exchange: request already answered")
	// ErrPending means the request has not been answered yet. Answer 404 or
	// 202 and poll again.
	ErrPending = errors.New("exchange: not answered yet")
	// ErrVerifierUnavailable means the presentation could not be checked
	// (the pipeline failed, not the presentation). The challenge is given
	// back: the holder may answer again. Answer 503.
	ErrVerifierUnavailable = errors.New("exchange: verification unavailable")
)

// InputError names the refused input and why. It wraps ErrInvalid.
type InputError struct {
	Field  string
	Reason string
}

func (e *InputError) Error() string { return "exchange: invalid " + e.Field + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InputError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InputError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// PresentationVerifier checks a presentation with everything the
// verification pipeline knows (proofs, issuers on chain, status, validity)
// and the request's challenge and domain. The pipeline (package verifier)
// satisfies it, and so does *credential.Verifier.
//
// A readable presentation that fails a check is a Result with Verified
// false, not an error. An error wrapping credential.ErrMalformed means the
// input is not a presentation at all; any other error means the check could
// not run.
type PresentationVerifier interface {
	VerifyPresentation(ctx context.Context, raw []byte, opts credential.VerifyOptions) (*credential.Result, error)
}

// Config configures the service.
type Config struct {
	// BaseURL is where holders reach the service: a request's link is
	// BaseURL + "/requests/" + ID.
	BaseURL string `validate:"required,url,max=512"`
	// ResultTTL is how long requests and results are kept after the request
	// expires; 0 means DefaultResultTTL.
	ResultTTL time.Duration `validate:"min=0"`
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Logger; nil means slog.Default().
	Logger *slog.Logger
	// Decoder decodes the presented elements the definition is evaluated
	// against (pex.WithDecoder); nil means pex.DecodeElement, which cannot
	// read SD-JWT VCs (they must be verified and their disclosures resolved)
	// nor VCDM 2.0 enveloped credentials. The pipeline's wiring passes one
	// that does both.
	Decoder pex.Decoder
}

// Service creates, serves and answers presentation requests. It is safe for
// concurrent use, also by several replicas sharing one store.
type Service struct {
	cfg    Config
	base   string
	st     store.Store
	keys   *seal.Keyring
	verify PresentationVerifier
	log    *slog.Logger
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// New returns a service over st (keys under KeyPrefix) that seals results
// with keys and checks presentations with v.
func New(cfg Config, st store.Store, keys *seal.Keyring, v PresentationVerifier) (*Service, error) {
	if err := validate.Struct(cfg); err != nil {
		return nil, fmt.Errorf("exchange: config: %w", err)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("exchange: config: BaseURL must be an http(s) URL without query or fragment")
	}
	if st == nil || keys == nil || v == nil {
		return nil, errors.New("exchange: a store, a keyring and a presentation verifier are required")
	}
	if cfg.ResultTTL == 0 {
		cfg.ResultTTL = DefaultResultTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg, base: strings.TrimRight(cfg.BaseURL, "/"), st: st, keys: keys, verify: v, log: cfg.Logger}, nil
}

// Text is a short text in Chinese and English.
type Text struct {
	Zh string `json:"zh" validate:"required,max=512"`
	En string `json:"en" validate:"required,max=512"`
}

// NewRequest is what a verifier asks for.
type NewRequest struct {
	// Definition is a DIF Presentation Exchange v2 presentation definition
	// (validated with pex.Parse; at most pex.MaxDefinitionSize bytes).
	Definition json.RawMessage `json:"presentation_definition" validate:"required"`
	// Purpose tells the holder why the verifier asks.
	Purpose Text `json:"purpose"`
	// Expiry is how long the holder has to answer: 0 means DefaultExpiry;
	// between MinExpiry and MaxExpiry.
	Expiry time.Duration `json:"expiry"`
	// Domain is the verifier's domain the presentation must be bound to
	// (a host name such as hr.example.cn).
	Domain string `json:"domain" validate:"required,max=253,hostname_rfc1123"`
}

// Request is a presentation request as its verifier sees it.
type Request struct {
	ID         string          `json:"id"`
	Verifier   string          `json:"verifier"`
	Challenge  string          `json:"challenge"`
	Domain     string          `json:"domain"`
	Purpose    Text            `json:"purpose"`
	Definition json.RawMessage `json:"presentation_definition"`
	Created    time.Time       `json:"created"`
	Expires    time.Time       `json:"expires"`
	// URL is the link for the holder (show it as a QR code): BaseURL +
	// "/requests/" + ID. Not stored.
	URL string `json:"url"`
}

// RequestObject is what the holder's wallet fetches from the link.
type RequestObject struct {
	ID                     string          `json:"id"`
	PresentationDefinition json.RawMessage `json:"presentation_definition"`
	Challenge              string          `json:"challenge"`
	Domain                 string          `json:"domain"`
	// ResponseURI is where the wallet posts its answer: the link +
	// "/response".
	ResponseURI string    `json:"response_uri"`
	Expires     time.Time `json:"expires"`
	Purpose     Text      `json:"purpose"`
}

// Response is a holder's answer, in the shape of an OpenID4VP direct_post:
// the presentation, and the presentation submission saying which of its
// credentials answers which input descriptor (it may also travel inside the
// presentation as "presentation_submission").
type Response struct {
	VP         json.RawMessage `json:"vp_token"`
	Submission json.RawMessage `json:"presentation_submission,omitempty"`
}

// Result is the outcome of an answer, kept for the verifier.
type Result struct {
	RequestID string `json:"requestId"`
	// Accepted is Verified and Satisfied: the presentation can be relied on
	// for what was asked.
	Accepted bool `json:"accepted"`
	// Verified is the pipeline's verdict, with every check.
	Verified     bool               `json:"verified"`
	Verification *credential.Result `json:"verification"`
	// Satisfied says the presentation answers the definition; Evaluation
	// lists the descriptors answered and Failures what did not satisfy it.
	Satisfied  bool            `json:"satisfied"`
	Evaluation *pex.Evaluation `json:"evaluation,omitempty"`
	Failures   []string        `json:"failures"`
	// Holder is the presentation's holder, when it names one.
	Holder string `json:"holder,omitempty"`
	// Presentation is the presentation as received.
	Presentation json.RawMessage `json:"presentation"`
	Received     time.Time       `json:"received"`
}

// record is a stored request.
type record struct {
	ID         string          `json:"id"`
	Verifier   string          `json:"verifier"`
	Challenge  string          `json:"challenge"`
	Domain     string          `json:"domain"`
	Purpose    Text            `json:"purpose"`
	Definition json.RawMessage `json:"definition"`
	Created    time.Time       `json:"created"`
	Expires    time.Time       `json:"expires"`
}

func requestKey(id string) string { return KeyPrefix + "request/" + id }
func nonceKey(id string) string   { return KeyPrefix + "nonce/" + id }
func resultKey(id string) string  { return KeyPrefix + "result/" + id }

func (s *Service) link(id string) string { return s.base + "/requests/" + id }

// Create stores a new request of the verifier account verifierID and
// returns it with its challenge and link.
//
// Errors: *InputError (ErrInvalid) for a bad account id, definition,
// purpose, expiry or domain; store errors wrapped.
func (s *Service) Create(ctx context.Context, verifierID string, req NewRequest) (*Request, error) {
	if err := checkVerifierID(verifierID); err != nil {
		return nil, err
	}
	if err := validate.Struct(req); err != nil {
		var ve validator.ValidationErrors
		if errors.As(err, &ve) && len(ve) > 0 {
			return nil, invalid(strings.TrimPrefix(ve[0].Namespace(), "NewRequest."), "fails %q", ve[0].Tag())
		}
		return nil, invalid("request", "%v", err)
	}
	if hasControl(req.Purpose.Zh) || hasControl(req.Purpose.En) {
		return nil, invalid("Purpose", "contains control characters")
	}
	parsed, err := pex.Parse(req.Definition)
	if err != nil {
		return nil, &InputError{Field: "Definition", Reason: err.Error()}
	}
	expiry := req.Expiry
	if expiry == 0 {
		expiry = DefaultExpiry
	}
	if expiry < MinExpiry || expiry > MaxExpiry {
		return nil, invalid("Expiry", "%v is outside %v to %v", expiry, MinExpiry, MaxExpiry)
	}
	// Stored and served bare (without the presentation_definition envelope)
	// and compact.
	def, err := json.Marshal(parsed)
	if err != nil {
		return nil, invalid("Definition", "%v", err)
	}
	id, err := randomToken(idBytes)
	if err != nil {
		return nil, err
	}
	challenge, err := randomToken(challengeBytes)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC().Truncate(time.Millisecond)
	rec := record{
		ID: id, Verifier: verifierID, Challenge: challenge, Domain: strings.ToLower(req.Domain),
		Purpose: req.Purpose, Definition: def, Created: now, Expires: now.Add(expiry),
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("exchange: create: %w", err)
	}
	err = s.st.Apply(ctx,
		store.OpCreate(requestKey(id), b, expiry+s.cfg.ResultTTL),
		store.OpCreate(nonceKey(id), nonceMarker(challenge), expiry),
	)
	if err != nil {
		return nil, fmt.Errorf("exchange: create: %w", err)
	}
	s.log.InfoContext(ctx, "presentation request created", "verifier", verifierID, "expires", rec.Expires)
	return s.request(&rec), nil
}

func (s *Service) request(rec *record) *Request {
	return &Request{
		ID: rec.ID, Verifier: rec.Verifier, Challenge: rec.Challenge, Domain: rec.Domain, Purpose: rec.Purpose,
		Definition: rec.Definition, Created: rec.Created, Expires: rec.Expires, URL: s.link(rec.ID),
	}
}

// nonceMarker is what the nonce key holds: the challenge's SHA-256, so that
// the single-use marker is not itself the challenge.
func nonceMarker(challenge string) []byte {
	sum := sha256.Sum256([]byte(challenge))
	return []byte(hex.EncodeToString(sum[:]))
}

// load reads a request record.
func (s *Service) load(ctx context.Context, id string) (*record, error) {
	if !validID(id) {
		return nil, invalid("id", "not a request id")
	}
	b, err := s.st.Get(ctx, requestKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: read request: %w", err)
	}
	var rec record
	if err := json.Unmarshal(b, &rec); err != nil || rec.ID != id {
		return nil, fmt.Errorf("exchange: read request: corrupt record")
	}
	return &rec, nil
}

// Fetch returns the request object for the holder's wallet. Anyone with the
// link may fetch it: the link is the capability.
//
// Errors: ErrNotFound, ErrExpired, ErrAnswered, ErrInvalid for a malformed
// id.
func (s *Service) Fetch(ctx context.Context, id string) (*RequestObject, error) {
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if !s.cfg.Now().Before(rec.Expires) {
		return nil, ErrExpired
	}
	if _, err := s.st.Get(ctx, nonceKey(id)); errors.Is(err, store.ErrNotFound) {
		return nil, ErrAnswered
	} else if err != nil {
		return nil, fmt.Errorf("exchange: fetch: %w", err)
	}
	return &RequestObject{
		ID: rec.ID, PresentationDefinition: rec.Definition, Challenge: rec.Challenge, Domain: rec.Domain,
		ResponseURI: s.link(rec.ID) + "/response", Expires: rec.Expires, Purpose: rec.Purpose,
	}, nil
}

// Get returns a request of the verifier account verifierID. Errors:
// ErrNotFound, ErrForbidden, ErrInvalid.
func (s *Service) Get(ctx context.Context, verifierID, id string) (*Request, error) {
	rec, err := s.getOwned(ctx, verifierID, id)
	if err != nil {
		return nil, err
	}
	return s.request(rec), nil
}

// Submit answers request id with the holder's response. The challenge is
// taken (single use) and the presentation checked by the pipeline with the
// request's challenge and domain, then against the definition; the result is
// stored for the verifier and returned to the holder.
//
// Errors: ErrInvalid (the response is not a presentation: nothing is used
// up, the holder may answer again), ErrNotFound, ErrExpired, ErrAnswered
// (replay or second answer), ErrVerifierUnavailable (the pipeline failed; the
// challenge is given back), store errors wrapped.
func (s *Service) Submit(ctx context.Context, id string, resp Response) (*Result, error) {
	vp, doc, err := parseVP(resp.VP)
	if err != nil {
		return nil, err
	}
	var sub *pex.Submission
	if len(resp.Submission) > 0 && string(resp.Submission) != "null" {
		if sub, err = pex.ParseSubmission(resp.Submission); err != nil {
			return nil, &InputError{Field: "presentation_submission", Reason: err.Error()}
		}
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now()
	if !now.Before(rec.Expires) {
		return nil, ErrExpired
	}
	marker, err := s.st.Take(ctx, nonceKey(id))
	if errors.Is(err, store.ErrNotFound) {
		// The request exists and has not expired: its challenge was used.
		return nil, ErrAnswered
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: submit: %w", err)
	}
	if subtle.ConstantTimeCompare(marker, nonceMarker(rec.Challenge)) != 1 {
		return nil, fmt.Errorf("exchange: submit: corrupt nonce record")
	}

	res, err := s.verify.VerifyPresentation(ctx, vp, credential.VerifyOptions{Challenge: rec.Challenge, Domain: rec.Domain})
	if err == nil && res == nil {
		err = errors.New("the verifier returned no result")
	}
	if err != nil {
		s.giveBack(ctx, rec, marker)
		if errors.Is(err, credential.ErrMalformed) {
			return nil, &InputError{Field: "vp_token", Reason: err.Error()}
		}
		return nil, fmt.Errorf("%w: %w", ErrVerifierUnavailable, err)
	}

	out := &Result{
		RequestID: id, Verified: res.Verified, Verification: res, Failures: []string{},
		Presentation: vp, Received: now.UTC(),
	}
	if m, ok := doc.(map[string]any); ok {
		out.Holder, _ = m["holder"].(string)
		if h, ok := m["holder"].(map[string]any); ok {
			out.Holder, _ = h["id"].(string)
		}
	}
	s.evaluate(ctx, rec, sub, doc, out)
	out.Accepted = out.Verified && out.Satisfied

	plain, err := json.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("exchange: submit: %w", err)
	}
	sealed, err := s.keys.Seal(plain, []byte(resultKey(id)))
	if err != nil {
		return nil, fmt.Errorf("exchange: submit: seal: %w", err)
	}
	ttl := rec.Expires.Sub(now) + s.cfg.ResultTTL
	if err := s.st.Put(context.WithoutCancel(ctx), resultKey(id), sealed, ttl); err != nil {
		// The challenge is used up and the answer lost: the verifier must ask
		// again. Logged, since the holder sees the error but the verifier
		// would only see a request that never got an answer.
		s.log.ErrorContext(ctx, "presentation result not stored", "request", id, "err", err)
		return nil, fmt.Errorf("exchange: submit: store result: %w", err)
	}
	s.log.InfoContext(ctx, "presentation received", "verifier", rec.Verifier, "verified", out.Verified, "satisfied", out.Satisfied)
	return out, nil
}

// giveBack restores a taken challenge when the answer could not be checked,
// so that the holder can answer again. If the request expired meanwhile
// nothing is restored.
func (s *Service) giveBack(ctx context.Context, rec *record, marker []byte) {
	left := rec.Expires.Sub(s.cfg.Now())
	if left <= 0 {
		return
	}
	if err := s.st.Create(context.WithoutCancel(ctx), nonceKey(rec.ID), marker, left); err != nil {
		s.log.WarnContext(ctx, "challenge not given back", "request", rec.ID, "err", err)
	}
}

// evaluate checks the presentation against the request's definition.
func (s *Service) evaluate(ctx context.Context, rec *record, sub *pex.Submission, doc any, out *Result) {
	def, err := pex.Parse(rec.Definition)
	if err != nil {
		out.Failures = append(out.Failures, "the stored definition no longer parses: "+err.Error())
		return
	}
	var opts []pex.Option
	if s.cfg.Decoder != nil {
		opts = append(opts, pex.WithDecoder(s.cfg.Decoder))
	}
	ev, err := pex.Evaluate(ctx, def, sub, doc, opts...)
	out.Evaluation = ev
	var ee *pex.EvaluationError
	switch {
	case err == nil:
		out.Satisfied = true
	case errors.As(err, &ee):
		for _, f := range ee.Failures {
			out.Failures = append(out.Failures, f.String())
		}
	default:
		out.Failures = append(out.Failures, err.Error())
	}
}

// Result returns the outcome of the verifier's request.
//
// Errors: ErrForbidden (another verifier's request), ErrNotFound, ErrPending
// (not answered yet), ErrExpired (expired without an answer), ErrInvalid.
func (s *Service) Result(ctx context.Context, verifierID, id string) (*Result, error) {
	rec, err := s.getOwned(ctx, verifierID, id)
	if err != nil {
		return nil, err
	}
	sealed, err := s.st.Get(ctx, resultKey(id))
	if errors.Is(err, store.ErrNotFound) {
		if !s.cfg.Now().Before(rec.Expires) {
			return nil, ErrExpired
		}
		return nil, ErrPending
	}
	if err != nil {
		return nil, fmt.Errorf("exchange: result: %w", err)
	}
	plain, err := s.keys.Open(sealed, []byte(resultKey(id)))
	if err != nil {
		return nil, fmt.Errorf("exchange: result: %w", err)
	}
	var out Result
	if err := json.Unmarshal(plain, &out); err != nil {
		return nil, fmt.Errorf("exchange: result: corrupt record")
	}
	return &out, nil
}

func (s *Service) getOwned(ctx context.Context, verifierID, id string) (*record, error) {
	if err := checkVerifierID(verifierID); err != nil {
		return nil, err
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(rec.Verifier), []byte(verifierID)) != 1 {
		return nil, ErrForbidden
	}
	return rec, nil
}

// parseVP checks a presentation before anything is used up: at most
// MaxPresentationSize bytes, and either a JSON object (parsed strictly) or a
// JSON string (a compact JWT or SD-JWT presentation).
func parseVP(raw json.RawMessage) (json.RawMessage, any, error) {
	switch {
	case len(raw) == 0:
		return nil, nil, invalid("vp_token", "missing")
	case len(raw) > MaxPresentationSize:
		return nil, nil, invalid("vp_token", "larger than %d bytes", MaxPresentationSize)
	}
	trimmed := strings.TrimSpace(string(raw))
	if strings.HasPrefix(trimmed, `"`) {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || s == "" {
			return nil, nil, invalid("vp_token", "not a JSON string")
		}
		return raw, s, nil
	}
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		return nil, nil, &InputError{Field: "vp_token", Reason: err.Error()}
	}
	return raw, doc, nil
}

func randomToken(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("exchange: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// validID reports whether id looks like a request id: 22 base64url
// characters (128 bits).
func validID(id string) bool {
	if len(id) != base64.RawURLEncoding.EncodedLen(idBytes) {
		return false
	}
	_, err := base64.RawURLEncoding.DecodeString(id)
	return err == nil
}

func checkVerifierID(id string) error {
	if id == "" || len(id) > 256 || hasControl(id) || strings.ContainsAny(id, " /") {
		return invalid("verifier", "an account id of 1 to 256 characters without spaces, slashes or control characters is required")
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return true
		}
	}
	return false
}
