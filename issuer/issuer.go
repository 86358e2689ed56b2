package issuer

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
)

// Sentinel errors. They are wrapped with the operation; callers branch with
// errors.Is.
var (
	// ErrNotFound: no such organisation, token or credential (or it belongs
	// to another organisation). Answer 404.
	ErrNotFound = errors.New("issuer: not found")
	// ErrUnauthenticated: the token is unknown, malformed, expired or
	// revoked. Answer 401.
	ErrUnauthenticated = errors.New("issuer: invalid or expired token")
	// ErrForbidden: the token is valid but lacks the scope, or belongs to
	// another organisation. Answer 403.
	ErrForbidden = errors.New("issuer: not allowed")
	// ErrInvalid: the request breaks a rule; a *ValidationError says which
	// field and why. Answer 400 (or 422).
	ErrInvalid = errors.New("issuer: invalid request")
	// ErrNotAccredited: the organisation is not accredited on chain for the
	// credential type (or level). Answer 403.
	ErrNotAccredited = errors.New("issuer: not accredited for this credential type")
	// ErrIssuerNotActive: the organisation is suspended or removed on chain
	// (or not registered yet). Answer 403.
	ErrIssuerNotActive = errors.New("issuer: organisation is not active on chain")
	// ErrConflict: the state forbids the change (a revoked credential cannot
	// be reinstated). Answer 409.
	ErrConflict = errors.New("issuer: conflict")
	// ErrAnchorPending: the credential is signed and stored but its anchor
	// was not confirmed before the context ended; it will be anchored (also
	// after a restart, by Recover). Answer 202 with the record.
	ErrAnchorPending = errors.New("issuer: anchor not confirmed yet")
	// ErrClosed: the service was closed.
	ErrClosed = errors.New("issuer: closed")
)

// ValidationError names the failing fields of a request. Fields are JSON
// pointers into the request (e.g. "/credentialSubject/degree/level").
type ValidationError struct {
	Fields []FieldError
}

// FieldError is one failing field and the reason, in English and in
// Chinese (ReasonZH; empty only where no Chinese text exists, e.g. a
// reason passed through from another package: show Reason then).
type FieldError struct {
	Field    string `json:"field"`
	Reason   string `json:"reason"`
	ReasonZH string `json:"reasonZh,omitempty"`
}

// In is the reason in the language lang ("zh" for Chinese, anything else
// English), falling back to English where there is no Chinese text.
func (f FieldError) In(lang string) string {
	if lang == "zh" && f.ReasonZH != "" {
		return f.ReasonZH
	}
	return f.Reason
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Reason)
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// Is makes every ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// invalid is a ValidationError of one field, with its reason in English
// and Chinese.
func invalid(field, reason, reasonZH string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Reason: reason, ReasonZH: reasonZH}}}
}

// Chain is what the service needs of the chain; *chain.Client satisfies it.
//
// Contract: queries of a missing entry return an error wrapping
// chain.ErrNotFound; a transaction refused by the chain returns a
// *chain.CodeError (errors.As); Submit returns once a block includes the
// transaction, or an error wrapping chain.ErrNotConfirmed when ctx ends first.
type Chain interface {
	Submit(ctx context.Context, tx []byte) (chain.Receipt, error)
	Sequence(ctx context.Context, account string) (uint64, error)
	Issuer(ctx context.Context, did string) (*chain.Issuer, error)
	Accreditation(ctx context.Context, did, credentialType string) (*chain.Accreditation, error)
	Anchor(ctx context.Context, rootHex string) (*chain.AnchorRecord, error)
	StatusList(ctx context.Context, did, listID string) (*chain.StatusList, error)
}

// Governance submits governance transactions (registering an organisation)
// on the service's behalf. The embedded deployment holds the governance key
// locally (LocalGovernance); in a consortium, registration is voted
// elsewhere and the service is built without one.
//
// Contract: Submit returns once a block includes the transaction; a refusal
// is a *chain.CodeError.
type Governance interface {
	Submit(ctx context.Context, p chain.Payload) (chain.Receipt, error)
}

// Config configures the service.
type Config struct {
	// ChainID is the network id transactions are signed for; required.
	ChainID string
	// BaseURL is the public URL of the issuer service: status list
	// credentials live at {BaseURL}/status/{orgDID}/{listID}; required.
	BaseURL string
	// BatchSize flushes an organisation's anchoring batch when it holds
	// this many digests; default 10000.
	BatchSize int
	// BatchDelay flushes a batch this long after its first digest; default
	// 200ms.
	BatchDelay time.Duration
	// Workers sign a batch in parallel; default GOMAXPROCS.
	Workers int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default discards.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.ChainID == "" {
		return errors.New("issuer: config: ChainID is required")
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("issuer: config: BaseURL %q must be an absolute http(s) URL", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.BatchSize == 0 {
		c.BatchSize = 10000
	}
	if c.BatchSize < 1 || c.BatchSize > 1<<20 {
		return fmt.Errorf("issuer: config: BatchSize %d out of 1..%d", c.BatchSize, 1<<20)
	}
	if c.BatchDelay == 0 {
		c.BatchDelay = 200 * time.Millisecond
	}
	if c.BatchDelay < 0 {
		return errors.New("issuer: config: BatchDelay must not be negative")
	}
	if c.Workers <= 0 {
		c.Workers = defaultWorkers()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Service is the issuer service. It is safe for concurrent use.
type Service struct {
	cfg     Config
	st      store.Store
	keys    *seal.Keyring
	chain   Chain
	gov     Governance
	loader  *credential.Loader
	tmpl    *templates
	log     *slog.Logger
	mu      sync.Mutex
	orgs    map[string]*orgState
	closed  bool
	stop    chan struct{}
	wg      sync.WaitGroup
	bgCtx   context.Context
	bgClose context.CancelFunc
	jobs    jobRunner // CSV batch jobs (job.go)
	// indexed: the credential index is complete (credindex.go).
	indexed atomic.Bool
	indexMu sync.Mutex
}

// Option sets an optional dependency.
type Option func(*Service)

// WithGovernance lets CreateOrg register organisations on chain.
func WithGovernance(g Governance) Option { return func(s *Service) { s.gov = g } }

// New returns the service over its namespace of the store, the master
// keyring that seals signing keys, the chain and the JSON-LD loader.
func New(cfg Config, st store.Store, keys *seal.Keyring, ch Chain, loader *credential.Loader, opts ...Option) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if st == nil || keys == nil || ch == nil || loader == nil {
		return nil, errors.New("issuer: store, keyring, chain and loader are required")
	}
	tm, err := loadTemplates()
	if err != nil {
		return nil, err
	}
	bg, cancel := context.WithCancel(context.Background())
	s := &Service{
		cfg: cfg, st: st, keys: keys, chain: ch, loader: loader, tmpl: tm, log: cfg.Logger,
		orgs: make(map[string]*orgState), stop: make(chan struct{}), bgCtx: bg, bgClose: cancel,
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

// Close stops the anchoring batchers after they anchored what they hold
// (bounded by ctx); what is left stays pending for Recover.
func (s *Service) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	s.wg.Wait()
	s.bgClose()
	return nil
}

// orgState is the in-memory state of one organisation: its signing key and
// its transaction sequence, and its anchoring batcher.
type orgState struct {
	did string
	// keyMu guards signer: credentials are signed under RLock; a rotation
	// holds Lock while it flushes and rotates, so no credential signed by
	// the old key is anchored after the old key's window ended.
	keyMu  sync.RWMutex
	signer *credential.Signer
	jws    *jose.Signer // the same key, for SD-JWT VCs
	// txMu serialises the organisation's chain transactions (the chain
	// checks a per-account sequence) and guards txKey, txKeyID and seq.
	txMu    sync.Mutex
	txKey   ed25519.PrivateKey
	txKeyID string
	seq     uint64 // last sequence used; 0 = ask the chain
	// statusMu serialises status changes (read-modify-write of records).
	statusMu sync.Mutex
	batch    *batcher
}
