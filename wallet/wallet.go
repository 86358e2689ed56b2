package wallet

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
)

// Sentinel errors. They are wrapped with the operation; callers branch with
// errors.Is. The comment says what a web layer answers.
var (
	// ErrNotFound: no such account, credential, share link or pending
	// request — or it belongs to another holder (ids never leak). 404.
	ErrNotFound = errors.New("wallet: not found")
	// ErrInvalid: the request breaks a rule; a *ValidationError names the
	// fields (JSON pointers) and why. 400.
	ErrInvalid = errors.New("wallet: invalid request")
	// ErrUnauthenticated: wrong username or password, or an unknown,
	// expired or logged-out session. 401.
	ErrUnauthenticated = errors.New("wallet: not authenticated")
	// ErrRateLimited: too many login attempts for the username or from the
	// address; a *RateLimitError says when to retry. 429 with Retry-After.
	ErrRateLimited = errors.New("wallet: too many attempts")
	// ErrCSRF: the form's CSRF token is missing or not the session's. 403.
	ErrCSRF = errors.New("wallet: missing or wrong CSRF token")
	// ErrConflict: the username is taken, the credential is already in the
	// wallet, or a restore would mix two holders' credentials. 409.
	ErrConflict = errors.New("wallet: conflict")
	// ErrRejected: the credential failed verification and was not stored; a
	// *RejectedError carries the report with the reasons. 422.
	ErrRejected = errors.New("wallet: credential rejected")
	// ErrNotHolder: the credential names another holder as its subject; it
	// was not stored (the *RejectedError matches ErrRejected too). 422.
	ErrNotHolder = errors.New("wallet: the credential belongs to another holder")
	// ErrExpired: the share link or presentation request has expired. 410.
	ErrExpired = errors.New("wallet: expired")
	// ErrRevoked: the share link was revoked by its holder. 410.
	ErrRevoked = errors.New("wallet: revoked")
	// ErrUnsupported: the format or flow is not supported (an SD-JWT
	// without an SD-JWT handler, an offer without a pre-authorized code,
	// a presentation request without a matcher). 422.
	ErrUnsupported = errors.New("wallet: not supported")
	// ErrForbiddenURL: the URL is not http(s), or its origin is not
	// allowed (allow-list, private address, plain http). 400.
	ErrForbiddenURL = errors.New("wallet: URL not allowed")
	// ErrRemote: an issuer or verifier endpoint failed or answered
	// something unusable; a *RemoteError says which and how. 502.
	ErrRemote = errors.New("wallet: remote service failed")
	// ErrOfferRefused: the issuer refused the offer's code (used, expired,
	// unknown, or a wrong transaction code). 400 (ask for a new offer).
	ErrOfferRefused = errors.New("wallet: the issuer refused the offer")
	// ErrUnavailable: a dependency (verifier, chain, status) could not
	// answer now; nothing was stored. 503, retry later.
	ErrUnavailable = errors.New("wallet: a dependency is unavailable")
	// ErrBackup: a backup file does not open: wrong passphrase, altered or
	// truncated file, unknown version. Nothing was changed. 400.
	ErrBackup = errors.New("wallet: backup cannot be opened")
)

// ValidationError names the failing fields of a request. Fields are JSON
// pointers into the request ("/password", "/credentialIds/2").
type ValidationError struct {
	Fields []FieldError `json:"fields"`
}

// FieldError is one failing field and the reason.
type FieldError struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Reason)
	}
	return "wallet: invalid request: " + strings.Join(parts, "; ")
}

// Is makes every ValidationError match ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

func invalid(field, reason string) error {
	return &ValidationError{Fields: []FieldError{{Field: field, Reason: reason}}}
}

// RateLimitError says how long to wait before the next login attempt.
type RateLimitError struct {
	// Scope is "username" or "address".
	Scope      string
	RetryAfter time.Duration
}

func (e *RateLimitError) Error() string {
	return fmt.Sprintf("wallet: too many login attempts for this %s; retry in %s", e.Scope, e.RetryAfter.Round(time.Second))
}

// Is makes a RateLimitError match ErrRateLimited.
func (e *RateLimitError) Is(target error) bool { return target == ErrRateLimited }

// RejectedError is a credential refused on receipt, with the report that
// says why. It matches ErrRejected, and ErrNotHolder when the subject is
// another holder.
type RejectedError struct {
	Verification *Verification
	NotHolder    bool
}

func (e *RejectedError) Error() string {
	if e.Verification == nil || len(e.Verification.Errors) == 0 {
		return ErrRejected.Error()
	}
	return ErrRejected.Error() + ": " + strings.Join(e.Verification.Errors, "; ")
}

// Is matches ErrRejected, and ErrNotHolder for another holder's credential.
func (e *RejectedError) Is(target error) bool {
	return target == ErrRejected || (e.NotHolder && target == ErrNotHolder)
}

// State is the verdict of a verification on receipt.
type State string

// Verification states.
const (
	StateValid   State = "valid"   // every check passed
	StateWarning State = "warning" // passed, with something a person should notice
	StateInvalid State = "invalid" // a check failed: the credential is refused
)

// Verification is the report of a credential's verification. The wallet
// keeps it with the credential and shows it.
type Verification struct {
	State    State              `json:"state"`
	Checks   []credential.Check `json:"checks"`
	Errors   []string           `json:"errors"`
	Warnings []string           `json:"warnings"`
	Time     time.Time          `json:"time,omitzero"`
}

// VerificationOf turns a credential.Result into a Verification: valid when
// verified without warnings, warning when verified with some, invalid
// otherwise. cmd/ uses it to adapt verifiers.
func VerificationOf(r *credential.Result) *Verification {
	v := &Verification{}
	if r != nil {
		v.Checks = append(v.Checks, r.Checks...)
	}
	return v.finish()
}

// add appends a check.
func (v *Verification) add(name string, passed, warning bool, format string, args ...any) {
	v.Checks = append(v.Checks, credential.Check{Name: name, Passed: passed, Warning: warning, Message: fmt.Sprintf(format, args...)})
}

// finish computes State, Errors and Warnings from the checks.
func (v *Verification) finish() *Verification {
	v.Errors, v.Warnings = []string{}, []string{}
	for _, c := range v.Checks {
		switch {
		case !c.Passed:
			v.Errors = append(v.Errors, c.Name+": "+c.Message)
		case c.Warning:
			v.Warnings = append(v.Warnings, c.Name+": "+c.Message)
		}
	}
	switch {
	case len(v.Checks) == 0 || len(v.Errors) > 0:
		v.State = StateInvalid
	case len(v.Warnings) > 0:
		v.State = StateWarning
	default:
		v.State = StateValid
	}
	return v
}

// CredentialVerifier checks a credential before it enters the wallet: its
// proof, its issuer (on chain), its validity period and, when receipt is not
// nil, that the receipt's root was anchored by the credential's issuer. The
// verifier pipeline satisfies it through an adapter in cmd/.
//
// Contract: a credential that fails a rule is a Verification whose checks
// say which (the wallet refuses it); an error means the verification could
// not run now (the chain unreachable) and the wallet answers ErrUnavailable.
// doc must not be modified.
type CredentialVerifier interface {
	VerifyCredential(ctx context.Context, doc map[string]any, receipt *credential.AnchorReceipt) (*Verification, error)
}

// VerifyFunc adapts a function to CredentialVerifier.
type VerifyFunc func(ctx context.Context, doc map[string]any, receipt *credential.AnchorReceipt) (*Verification, error)

// VerifyCredential implements CredentialVerifier.
func (f VerifyFunc) VerifyCredential(ctx context.Context, doc map[string]any, receipt *credential.AnchorReceipt) (*Verification, error) {
	return f(ctx, doc, receipt)
}

// Status is a credential's live status as the wallet shows it.
type Status string

// Statuses. A revoked credential shows revoked even when it also expired.
const (
	StatusValid     Status = "valid"
	StatusSuspended Status = "suspended"
	StatusRevoked   Status = "revoked"
	StatusExpired   Status = "expired"
	StatusUnknown   Status = "unknown" // the status could not be learned now
)

// StatusChecker reports whether a credential's issuer revoked or suspended
// it (from the chain's Bitstring Status Lists). The verifier pipeline
// satisfies it through an adapter in cmd/.
//
// format is FormatLDP (raw is the credential's JSON) or FormatSDJWT (raw is
// the compact SD-JWT). Contract: it returns StatusValid, StatusSuspended or
// StatusRevoked; an error means the status could not be learned now (the
// wallet shows StatusUnknown and retries later). Expiry is the wallet's own
// business. It must be safe for concurrent use.
type StatusChecker interface {
	CheckStatus(ctx context.Context, format string, raw []byte) (Status, error)
}

// StatusFunc adapts a function to StatusChecker.
type StatusFunc func(ctx context.Context, format string, raw []byte) (Status, error)

// CheckStatus implements StatusChecker.
func (f StatusFunc) CheckStatus(ctx context.Context, format string, raw []byte) (Status, error) {
	return f(ctx, format, raw)
}

// SDJWTInfo is what the wallet keeps and shows of an SD-JWT VC.
type SDJWTInfo struct {
	// ID is jti, the credential's id, when the issuer set it (TalentChain
	// issuers do: a verifier matches anchor receipts by it).
	ID     string
	Issuer string // iss
	Type   string // vct
	// Subject is sub, when the issuer set it (a DID for our holders).
	Subject string
	// HolderKey is the cnf key the presentation must be bound to; nil when
	// the credential has none.
	HolderKey crypto.PublicKey
	// Claims are the claims as disclosed by all the disclosures (what the
	// holder can choose to show), for display and for matching.
	Claims map[string]any
	// Disclosable lists the claim paths that can be left out.
	Disclosable []string
	IssuedAt    time.Time
	NotBefore   time.Time
	Expires     time.Time
}

// SDJWT verifies and presents SD-JWT VCs (credential/sdjwt satisfies it
// through an adapter in cmd/). The wallet stores SD-JWTs opaquely, as
// format FormatSDJWT.
//
// Contract: VerifySDJWT returns an error wrapping ErrInvalid when the input
// is not an SD-JWT at all, and otherwise the info with a Verification (an
// invalid one for a bad signature, a bad disclosure or an expired
// credential). PresentSDJWT returns the SD-JWT with only the disclosures of
// the given claim paths and a key binding JWT signed with key for nonce and
// audience; an unknown path is an error wrapping ErrInvalid.
type SDJWT interface {
	VerifySDJWT(ctx context.Context, compact string) (*SDJWTInfo, *Verification, error)
	PresentSDJWT(ctx context.Context, compact string, disclose []string, key ed25519.PrivateKey, nonce, audience string) (string, error)
}

// Candidate is a credential offered to a Matcher.
type Candidate struct {
	ID     string // the wallet's credential id
	Format string // "ldp_vc" or "dc+sd-jwt"
	// Document is the credential JSON (ldp_vc) or the SD-JWT's disclosed
	// claims (dc+sd-jwt), as decoded by encoding/json.
	Document map[string]any
}

// Match is a Matcher's answer: for each input descriptor of the
// definition, the candidates that satisfy it and what they would show.
type Match struct {
	DefinitionID string
	Name         string
	Purpose      string
	// Satisfied says the candidates, taken together, satisfy the
	// definition (its submission requirements included).
	Satisfied   bool
	Descriptors []DescriptorMatch
}

// DescriptorMatch is one input descriptor and its matching candidates.
type DescriptorMatch struct {
	ID         string           `json:"id"`
	Name       string           `json:"name,omitempty"`
	Purpose    string           `json:"purpose,omitempty"`
	Candidates []CandidateMatch `json:"candidates"`
}

// CandidateMatch is a candidate that satisfies a descriptor, with the
// values of the fields the descriptor asks for.
type CandidateMatch struct {
	ID     string       `json:"id"`
	Fields []FieldMatch `json:"fields"`
}

// FieldMatch is one requested field and the candidate's value there.
type FieldMatch struct {
	Path     string `json:"path"`
	Name     string `json:"name,omitempty"`
	Purpose  string `json:"purpose,omitempty"`
	Value    any    `json:"value,omitempty"`
	Optional bool   `json:"optional,omitempty"`
}

// Matcher matches credentials against a DIF Presentation Exchange
// definition (credential/pex satisfies it through an adapter in cmd/).
//
// Contract: Match returns an error only when the definition itself is
// unusable (malformed, unsupported feature); no matching candidate is a
// Match with empty candidate lists and Satisfied false. candidates must not
// be modified.
type Matcher interface {
	Match(ctx context.Context, definition json.RawMessage, candidates []Candidate) (*Match, error)
}

// Config configures the service. Zero values take the defaults.
type Config struct {
	// BaseURL is the wallet's public URL; share links are
	// BaseURL + "/share/" + token. Required.
	BaseURL string
	// SessionIdle is how long a session lives without use (sliding
	// expiry); default 12h.
	SessionIdle time.Duration
	// SessionMax is the longest a session lives however used; default 7
	// days.
	SessionMax time.Duration
	// LoginWindow is the rate limit's window; default 15 minutes.
	LoginWindow time.Duration
	// MaxLoginPerUser is the number of login attempts per username and
	// window that fail or are still going (a success clears it); default 10.
	MaxLoginPerUser int
	// MaxLoginPerIP is the number of login attempts per address (IPv4, or
	// IPv6 /64) and window; default 100.
	MaxLoginPerIP int
	// StatusCacheTTL is how long a credential's status is cached in memory;
	// default 30s; negative disables the cache.
	StatusCacheTTL time.Duration
	// HTTPTimeout bounds each call to an issuer or a verifier; default 15s.
	HTTPTimeout time.Duration
	// MaxResponseBytes bounds what an issuer or verifier may answer;
	// default 1 MiB (credential.MaxDocumentSize).
	MaxResponseBytes int64
	// AllowedOrigins, when not empty, is the only issuer and verifier
	// origins ("https://issuer.example.edu.cn") the wallet talks to; plain
	// http and private addresses are then allowed for those origins. When
	// empty, any https origin on a public address is allowed.
	AllowedOrigins []string
	// BackupKDFLogN is scrypt's cost (N = 2^BackupKDFLogN) for new backups;
	// default 15, range 14..20.
	BackupKDFLogN int
	// PasswordMemoryKiB and PasswordTime are argon2id's cost; default
	// 19456 KiB and 2 passes (OWASP's minimum), as the issuer's staff.
	PasswordMemoryKiB uint32
	PasswordTime      uint32
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger; default discards.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("wallet: config: BaseURL %q must be an absolute http(s) URL without query", c.BaseURL)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.SessionIdle, 12*time.Hour)
	def(&c.SessionMax, 7*24*time.Hour)
	def(&c.LoginWindow, 15*time.Minute)
	def(&c.StatusCacheTTL, 30*time.Second)
	def(&c.HTTPTimeout, 15*time.Second)
	switch {
	case c.SessionIdle < time.Second || c.SessionMax < c.SessionIdle:
		return errors.New("wallet: config: SessionIdle must be at least 1s and SessionMax at least SessionIdle")
	case c.LoginWindow < time.Second:
		return errors.New("wallet: config: LoginWindow must be at least 1s")
	case c.HTTPTimeout < 0 || c.MaxResponseBytes < 0 || c.MaxLoginPerUser < 0 || c.MaxLoginPerIP < 0:
		return errors.New("wallet: config: negative limit")
	}
	if c.MaxLoginPerUser == 0 {
		c.MaxLoginPerUser = 10
	}
	if c.MaxLoginPerIP == 0 {
		c.MaxLoginPerIP = 100
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = credential.MaxDocumentSize
	}
	if c.BackupKDFLogN == 0 {
		c.BackupKDFLogN = 15
	}
	if c.BackupKDFLogN < minLogN || c.BackupKDFLogN > maxLogN {
		return fmt.Errorf("wallet: config: BackupKDFLogN %d out of %d..%d", c.BackupKDFLogN, minLogN, maxLogN)
	}
	if c.PasswordMemoryKiB == 0 {
		c.PasswordMemoryKiB = 19 * 1024
	}
	if c.PasswordTime == 0 {
		c.PasswordTime = 2
	}
	c.AllowedOrigins = slices.Clone(c.AllowedOrigins) // normalised below: not the caller's slice
	for i, o := range c.AllowedOrigins {
		n, err := normOrigin(o)
		if err != nil {
			return fmt.Errorf("wallet: config: AllowedOrigins[%d]: %w", i, err)
		}
		c.AllowedOrigins[i] = n
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Service is the holder's wallet. It is safe for concurrent use, and
// several Services over one shared store (Redis) serve the same holders
// interchangeably: everything but the short status cache lives in the store.
type Service struct {
	cfg      Config
	st       store.Store
	keys     *seal.Keyring
	loader   *credential.Loader
	verifier CredentialVerifier
	status   StatusChecker
	matcher  Matcher
	sdjwt    SDJWT
	lists    StatusLists
	remote   *remote
	log      *slog.Logger

	cacheMu sync.Mutex
	cache   map[string]statusEntry
}

// Option sets an optional dependency.
type Option func(*Service)

// WithMatcher lets the wallet answer presentation requests
// (FetchRequest, Respond).
func WithMatcher(m Matcher) Option { return func(s *Service) { s.matcher = m } }

// WithSDJWT lets the wallet receive and present SD-JWT VCs.
func WithSDJWT(h SDJWT) Option { return func(s *Service) { s.sdjwt = h } }

// New returns the wallet over its namespace of the store (normally
// store.WithPrefix(s, "wallet/")), the master keyring that seals holder
// keys, the JSON-LD loader, the verifier credentials pass on receipt and
// the status checker of the listing.
func New(cfg Config, st store.Store, keys *seal.Keyring, loader *credential.Loader, v CredentialVerifier, sc StatusChecker, opts ...Option) (*Service, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if st == nil || keys == nil || loader == nil || v == nil || sc == nil {
		return nil, errors.New("wallet: store, keyring, loader, verifier and status checker are required")
	}
	s := &Service{
		cfg: cfg, st: st, keys: keys, loader: loader, verifier: v, status: sc,
		log: cfg.Logger, cache: make(map[string]statusEntry),
	}
	s.remote = newRemote(&s.cfg)
	for _, o := range opts {
		o(s)
	}
	return s, nil
}
