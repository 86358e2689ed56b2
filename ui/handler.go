package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
)

// Verifier checks credentials and presentations. *credential.Verifier satisfies it.
//
// raw is the JSON of the credential or presentation object exactly as the client
// sent it. A document that was readable but does not verify is a Result with
// Verified false and a nil error. The errors are:
//   - an error wrapping credential.ErrMalformed (a *credential.InputError when the
//     offending field is known) or credential.ErrUnknownContext: the document is
//     unusable; its message is shown to the client;
//   - ctx.Err() when ctx ends first;
//   - anything else is an internal failure; it is logged, never shown.
type Verifier interface {
	VerifyCredential(ctx context.Context, raw []byte, opts credential.VerifyOptions) (*credential.Result, error)
	VerifyPresentation(ctx context.Context, raw []byte, opts credential.VerifyOptions) (*credential.Result, error)
}

// Ready reports whether the node's services are ready to answer; /healthz
// answers 503 until it returns true.
type Ready func() bool

// Check probes one dependency of the node (its store, its chain node); nil
// means it answers. /healthz runs every check, each bounded by
// checkTimeout, and answers 503 naming the dependencies that are down.
type Check func(ctx context.Context) error

// checkTimeout bounds one dependency check of /healthz.
const checkTimeout = 2 * time.Second

// errDependencyDown: a dependency check of /healthz failed (503).
var errDependencyDown = errors.New("dependency down")

// WithChecks makes /healthz probe the named dependencies.
func WithChecks(checks map[string]Check) Option {
	return func(h *handler) error {
		h.checks = checks
		return nil
	}
}

// handler holds the dependencies of the routes.
type handler struct {
	cfg      Config
	verifier Verifier
	ready    Ready
	log      *slog.Logger
	validate *validator.Validate
	dids     DIDResolver  // nil: no DID resolution route
	issuer   Issuing      // nil: no issuing routes
	admin    *adminRoutes // nil: no operator routes
	courses  Courses      // nil: no course routes
	batches  Batches      // nil: no CSV batch routes
	// verifying, when set, answers the VC-API verification routes with the
	// full pipeline (WithVerifying).
	verifying *verifyingRoutes
	// routes registers the routes of further services (options append).
	routes []func(mux *http.ServeMux)
	// web, when set, serves the web pages (WithWeb).
	web *webState
	// checks are the dependencies /healthz probes (WithChecks).
	checks map[string]Check
}

// New returns the HTTP handler of the web layer: the routes wrapped in the
// request id, logging, panic recovery and security header middleware.
// Options add the routes of optional services (WithDIDResolver).
func New(cfg Config, v Verifier, ready Ready, log *slog.Logger, opts ...Option) (http.Handler, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	switch {
	case v == nil:
		return nil, errors.New("ui: nil Verifier")
	case ready == nil:
		return nil, errors.New("ui: nil Ready")
	case log == nil:
		return nil, errors.New("ui: nil logger")
	}
	h := &handler{cfg: cfg, verifier: v, ready: ready, log: log, validate: newValidator()}
	for _, o := range opts {
		if err := o(h); err != nil {
			return nil, err
		}
	}

	mux := http.NewServeMux()
	if h.web == nil {
		mux.HandleFunc("GET /{$}", h.landing)
	}
	mux.HandleFunc("GET /healthz", h.healthz)
	mux.HandleFunc("POST /credentials/verify", h.verifyCredential)
	mux.HandleFunc("POST /presentations/verify", h.verifyPresentation)
	if h.dids != nil {
		mux.HandleFunc("GET /1.0/identifiers/{did}", h.resolveDID)
	}
	if h.issuer != nil {
		h.issuerRoutes(mux)
	}
	if h.admin != nil {
		h.adminRoutes(mux)
	}
	if h.courses != nil {
		if h.issuer == nil {
			return nil, errors.New("ui: WithCourses needs WithIssuer (the providers' tokens)")
		}
		h.courseRoutes(mux)
	}
	if h.batches != nil {
		if h.issuer == nil {
			return nil, errors.New("ui: WithBatches needs WithIssuer (the organisations' tokens)")
		}
		h.batchRoutes(mux)
	}
	for _, add := range h.routes {
		add(mux)
	}
	if h.web != nil {
		h.webRoutes(mux)
	}

	return h.withRequestID(h.withLogging(h.withRecovery(withSecurityHeaders(mux)))), nil
}

func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	if !h.ready() {
		h.fail(w, r, errNotReady)
		return
	}
	deps := map[string]string{}
	var down []string
	for name, check := range h.checks {
		ctx, cancel := context.WithTimeout(r.Context(), checkTimeout)
		err := check(ctx)
		cancel()
		deps[name] = "ok"
		if err != nil {
			deps[name] = "down"
			down = append(down, name)
			h.log.LogAttrs(r.Context(), slog.LevelWarn, "dependency down", slog.String("dependency", name), slog.String("error", err.Error()))
		}
	}
	if len(down) > 0 {
		slices.Sort(down)
		h.fail(w, r, fmt.Errorf("%w: not answering: %s; the node recovers by itself when they return", errDependencyDown, strings.Join(down, ", ")))
		return
	}
	if len(deps) == 0 {
		h.writeJSON(w, r, map[string]string{"status": "ok"})
		return
	}
	h.writeJSON(w, r, map[string]any{"status": "ok", "dependencies": deps})
}

func (h *handler) verifyCredential(w http.ResponseWriter, r *http.Request) {
	if h.verifying != nil {
		h.verifying.verifyCredential(w, r)
		return
	}
	var req credentialVerifyRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	res, err := h.verifier.VerifyCredential(ctx, req.VerifiableCredential, req.Options.verifyOptions())
	h.renderResult(w, r, res, err)
}

func (h *handler) verifyPresentation(w http.ResponseWriter, r *http.Request) {
	if h.verifying != nil {
		h.verifying.verifyPresentation(w, r)
		return
	}
	var req presentationVerifyRequest
	if err := h.decode(w, r, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.VerifyTimeout)
	defer cancel()
	res, err := h.verifier.VerifyPresentation(ctx, req.VerifiablePresentation, req.Options.verifyOptions())
	h.renderResult(w, r, res, err)
}

// renderResult answers a verification: the Result as JSON, or the error as a problem.
func (h *handler) renderResult(w http.ResponseWriter, r *http.Request, res *credential.Result, err error) {
	if err == nil && res == nil {
		err = errors.New("verifier returned neither a result nor an error")
	}
	if err != nil {
		h.fail(w, r, fmt.Errorf("verify: %w", err))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSON(w, r, res)
}

// writeJSON answers 200 with v as JSON (the bytes of json.Marshal and a
// newline), encoded into a pooled buffer and written in one call.
func (h *handler) writeJSON(w http.ResponseWriter, r *http.Request, v any) {
	buf := jsonBuffers.Get().(*bytes.Buffer)
	defer putJSONBuffer(buf)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		h.fail(w, r, fmt.Errorf("encode response: %w", err))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.Write(buf.Bytes())
}

// jsonBuffers keeps the buffers of writeJSON between answers.
var jsonBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledJSON: a buffer that grew past it (a large batch answer) is left
// to the collector rather than kept.
const maxPooledJSON = 256 << 10

func putJSONBuffer(b *bytes.Buffer) {
	if b.Cap() <= maxPooledJSON {
		jsonBuffers.Put(b)
	}
}
