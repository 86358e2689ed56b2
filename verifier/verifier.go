package verifier

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

// Sentinel errors. A readable credential that fails a check is a Report with
// state invalid, never an error; errors mean no verdict could be reached.
var (
	// ErrMalformed: the input is not a credential or presentation in any
	// form (not JSON, not an object, not a compact JWT), or a receipt is
	// unreadable. Answer 400.
	ErrMalformed = errors.New("verifier: malformed input")
	// ErrInvalid: the options break a rule (a challenge too long, a receipt
	// that fails its own format). Answer 400.
	ErrInvalid = errors.New("verifier: invalid options")
	// ErrUnavailable: the chain or the seen-set store could not be read, so
	// no verdict is given (a wrong "invalid" would be worse). Answer 503 and
	// retry later.
	ErrUnavailable = errors.New("verifier: chain or store unavailable")
)

// Defaults of Config.
const (
	DefaultRecordTTL  = 5 * time.Second
	DefaultStatusTTL  = 2 * time.Second
	DefaultReplayTTL  = 24 * time.Hour
	DefaultMaxEntries = 10000
	// DefaultProofCacheEntries is the default of Config.ProofCacheEntries
	// (an entry is a few hundred bytes).
	DefaultProofCacheEntries = 4096
)

// Clock returns the current time.
type Clock func() time.Time

// Config configures a Verifier.
type Config struct {
	// Loader resolves JSON-LD contexts offline; required.
	Loader *credential.Loader
	// Chain is read for issuers, accreditations, anchors and status lists;
	// required. *chain.Client satisfies it.
	Chain Chain
	// Resolver resolves issuers that are neither did:talent (the chain) nor
	// did:key (built in), for example issuers an operator configured by URL
	// in a credential.StaticResolver; optional.
	Resolver credential.Resolver
	// Seen records used presentation challenges (replay protection);
	// optional: without it the replay step warns that it was not checked.
	Seen SeenSet
	// ReplayTTL is how long a used challenge is remembered; it must outlast
	// the challenges a verifier hands out. Default 24h.
	ReplayTTL time.Duration
	// RecordTTL is how long issuer records and accreditations are cached;
	// default 5s, negative: not cached. Anchors are cached until evicted
	// (they never change once committed).
	RecordTTL time.Duration
	// StatusTTL is how long status lists are cached; default 2s, negative:
	// not cached. A revocation reaches the verifier at most this late.
	StatusTTL time.Duration
	// MaxCacheEntries bounds each cache; default 10000.
	MaxCacheEntries int
	// ProofCacheEntries bounds the cache of proof results of JSON-LD
	// credentials of did:talent issuers, keyed by the SHA-256 of their exact
	// bytes (see docs/design/verifier.md: a hit still reads the key from the
	// issuer's record and runs every chain and time check); default
	// DefaultProofCacheEntries, negative: no cache.
	ProofCacheEntries int
	// ChainID, when set, refuses receipts that name another chain.
	ChainID string
	// RequireAnchor makes a credential of a TalentChain issuer without an
	// anchor receipt invalid; by default it is a warning and the issuer and
	// key are checked against today's chain state.
	RequireAnchor bool
	// ClockSkew tolerated on validity periods; zero: the core's default.
	ClockSkew time.Duration
	// Clock; default time.Now.
	Clock Clock
	// Formats and PresentationFormats add formats (VC-JWT, SD-JWT VC) to the
	// built-in JSON-LD one; a format registered for a media type replaces
	// the built-in one for it.
	Formats             []CredentialFormat
	PresentationFormats []PresentationFormat
	// Logger; default discards.
	Logger *slog.Logger
}

// Options are what the verifier expects of one credential or presentation.
type Options struct {
	// Receipt is the credential's anchor receipt (the request member
	// "anchorReceipt"), for VerifyCredential.
	Receipt *credential.AnchorReceipt `validate:"omitempty"`
	// Challenge is the nonce the verifier gave the holder; required by
	// VerifyPresentation, whose proof must carry exactly this value.
	Challenge string `validate:"max=512"`
	// Domain, when set, must be the presentation proof's domain.
	Domain string `validate:"max=512"`
	// Receipts are the anchor receipts of a presentation's credentials, by
	// credential id (the request member "anchorReceipts").
	Receipts map[string]*credential.AnchorReceipt `validate:"max=256,dive,keys,min=1,max=2048,endkeys,required"`
	// Reusable says the challenge is not single-use: the presentation
	// behind a share link is opened by anyone holding the link, as often as
	// they like. The replay step is then skipped and nothing is recorded.
	Reusable bool
}

// Verifier runs the verification pipeline. It is safe for concurrent use.
type Verifier struct {
	cfg      Config
	view     *chainView
	proofs   *proofCache // nil: none
	core     *credential.Verifier
	schema   *jsonschema.Schema
	formats  map[string]CredentialFormat
	pformats map[string]PresentationFormat
	validate *validator.Validate
	log      *slog.Logger
}

// New returns a verifier for cfg.
func New(cfg Config) (*Verifier, error) {
	if cfg.Loader == nil || cfg.Chain == nil {
		return nil, errors.New("verifier: config: Loader and Chain are required")
	}
	if cfg.ReplayTTL < 0 || cfg.ClockSkew < 0 || cfg.MaxCacheEntries < 0 {
		return nil, errors.New("verifier: config: ReplayTTL, ClockSkew and MaxCacheEntries must not be negative")
	}
	if cfg.ReplayTTL == 0 {
		cfg.ReplayTTL = DefaultReplayTTL
	}
	if cfg.RecordTTL == 0 {
		cfg.RecordTTL = DefaultRecordTTL
	}
	if cfg.StatusTTL == 0 {
		cfg.StatusTTL = DefaultStatusTTL
	}
	if cfg.MaxCacheEntries == 0 {
		cfg.MaxCacheEntries = DefaultMaxEntries
	}
	if cfg.ProofCacheEntries == 0 {
		cfg.ProofCacheEntries = DefaultProofCacheEntries
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	v := &Verifier{cfg: cfg, validate: newValidator(), log: cfg.Logger}
	v.view = newChainView(cfg.Chain, cfg.Clock, cfg.RecordTTL, cfg.StatusTTL, cfg.MaxCacheEntries)
	skew := cfg.ClockSkew
	if skew == 0 {
		skew = credential.DefaultClockSkew
	}
	v.proofs = newProofCache(cfg.ProofCacheEntries, skew)
	resolvers := credential.Resolvers{credential.KeyResolver{}, historyResolver{v.view}}
	if cfg.Resolver != nil {
		resolvers = append(resolvers, cfg.Resolver)
	}
	core, err := credential.NewVerifier(credential.VerifierConfig{
		Loader: cfg.Loader, Resolver: resolvers, ClockSkew: cfg.ClockSkew, Now: cfg.Clock,
	})
	if err != nil {
		return nil, fmt.Errorf("verifier: %w", err)
	}
	v.core = core
	if v.schema, err = compileSchema(); err != nil {
		return nil, err
	}
	v.formats = map[string]CredentialFormat{}
	v.pformats = map[string]PresentationFormat{}
	for _, f := range append([]CredentialFormat{jsonLD{core}}, cfg.Formats...) {
		if f == nil {
			return nil, errors.New("verifier: config: nil credential format")
		}
		for _, mt := range f.MediaTypes() {
			v.formats[strings.ToLower(mt)] = f
		}
	}
	for _, f := range append([]PresentationFormat{jsonLDPresentation{core}}, cfg.PresentationFormats...) {
		if f == nil {
			return nil, errors.New("verifier: config: nil presentation format")
		}
		for _, mt := range f.MediaTypes() {
			v.pformats[strings.ToLower(mt)] = f
		}
	}
	return v, nil
}

func (v *Verifier) checkOptions(opts *Options) error {
	if err := v.validate.Struct(opts); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalid, fieldErrors(err))
	}
	return nil
}

// VerifyCredential runs the pipeline on one credential: raw is a JSON-LD
// credential, an EnvelopedVerifiableCredential, or a compact JWT / SD-JWT
// (as a JSON string or bare). opts.Receipt is its anchor receipt. A caller
// that parsed raw already passes the document in ctx (WithDocument).
//
// A credential that fails a check yields a Report with state invalid. Errors
// wrap ErrMalformed (not a credential in any form), ErrInvalid (bad
// options) or ErrUnavailable (the chain could not be read).
func (v *Verifier) VerifyCredential(ctx context.Context, raw []byte, opts Options) (*Report, error) {
	if err := v.checkOptions(&opts); err != nil {
		return nil, err
	}
	in, err := openParsed(raw, false, parsedDocument(ctx, raw))
	if err != nil {
		return nil, err
	}
	now := v.cfg.Clock()
	rep := &Report{Kind: KindCredential, MediaType: in.MediaType, CheckedAt: now.UTC()}
	f, ok := v.formats[in.MediaType]
	if !ok {
		rep.add(StepFormat, StepFailed, unsupported(in.MediaType, false), map[string]any{"mediaType": in.MediaType})
		rep.skip(notReadable, StepProof, StepIssuer, StepKey, StepAnchor, StepStatus, StepValidity)
		return rep.finish(), nil
	}
	if err := v.warm(ctx, in.Document); err != nil {
		return nil, err
	}
	ctx = withWantedKeys(ctx, wantedKeys(in.Document))
	// The built-in JSON-LD format's proofs may come from the proof cache.
	_, builtin := f.(jsonLD)
	var sec *Secured
	if builtin {
		sec = v.proofs.lookup(ctx, v.view, in, now)
	}
	hit := sec != nil
	if !hit {
		sec, err = f.VerifyCredential(ctx, in, now)
		if v.mayBeStale(in, err, sec.checks()) {
			// A key rotated in after the issuer record was cached is unknown to
			// the cached record: read the issuer again and check once more.
			sec, err = f.VerifyCredential(withFreshRecords(ctx), in, now)
		}
		if err != nil {
			return nil, fmt.Errorf("verify credential: %w", err)
		}
	}
	if err := v.credentialSteps(ctx, rep, sec, opts.Receipt, now); err != nil {
		return nil, err
	}
	if builtin && !hit {
		v.proofs.remember(ctx, v.view, in, sec, now)
	}
	rep.finish()
	v.log.Debug("credential verified", slog.String("id", rep.ID), slog.String("issuer", rep.Issuer), slog.String("state", string(rep.State)))
	return rep, nil
}

// VerifyPresentation runs the pipeline on a presentation and every
// credential in it: the presentation's proof must carry opts.Challenge (and
// opts.Domain when set), its holder must be the subject of each credential,
// and its challenge must not have been answered before. opts.Receipts are
// the credentials' anchor receipts by credential id.
//
// Errors are those of VerifyCredential; a missing challenge is ErrInvalid.
func (v *Verifier) VerifyPresentation(ctx context.Context, raw []byte, opts Options) (*Report, error) {
	if err := v.checkOptions(&opts); err != nil {
		return nil, err
	}
	if opts.Challenge == "" {
		return nil, fmt.Errorf("%w: a presentation is verified against the challenge the verifier gave the holder", ErrInvalid)
	}
	in, err := openEnvelope(raw, true)
	if err != nil {
		return nil, err
	}
	now := v.cfg.Clock()
	rep := &Report{Kind: KindPresentation, MediaType: in.MediaType, CheckedAt: now.UTC()}
	f, ok := v.pformats[in.MediaType]
	if !ok {
		rep.add(StepFormat, StepFailed, unsupported(in.MediaType, true), map[string]any{"mediaType": in.MediaType})
		rep.skip(notReadable, StepProof, StepChallenge, StepDomain, StepHolder, StepReplay)
		return rep.finish(), nil
	}
	if in.Document != nil {
		for _, c := range asSlice(in.Document["verifiableCredential"]) {
			if m, ok := c.(map[string]any); ok {
				if err := v.warm(ctx, m); err != nil {
					return nil, err
				}
			}
		}
	}
	ctx = withWantedKeys(ctx, wantedKeys(in.Document))
	sp, err := f.VerifyPresentation(ctx, in, opts.Challenge, opts.Domain, now)
	if v.mayBeStale(in, err, sp.checks()) {
		sp, err = f.VerifyPresentation(withFreshRecords(ctx), in, opts.Challenge, opts.Domain, now)
	}
	if err != nil {
		return nil, fmt.Errorf("verify presentation: %w", err)
	}
	rep.Holder = sp.Holder
	answered := v.presentationSteps(rep, sp, opts)
	for _, sec := range sp.Credentials {
		crep := &Report{Kind: KindCredential, MediaType: MediaTypeVC, CheckedAt: rep.CheckedAt}
		id, _ := sec.Document["id"].(string)
		if err := v.credentialSteps(ctx, crep, sec, opts.Receipts[id], now); err != nil {
			return nil, err
		}
		rep.Credentials = append(rep.Credentials, crep.finish())
	}
	// The challenge is recorded last, once every other check passed: a
	// presentation that fails a step, or a chain read that errs, leaves it
	// usable for the holder's corrected answer or retry.
	if err := v.replayStep(ctx, rep, opts, answered); err != nil {
		return nil, err
	}
	rep.finish()
	v.log.Debug("presentation verified", slog.String("holder", rep.Holder), slog.Int("credentials", len(rep.Credentials)), slog.String("state", string(rep.State)))
	return rep, nil
}

// warm reads a did:talent issuer before the proof is checked, so that an
// unreachable chain is ErrUnavailable rather than a failed proof, and the
// core's key resolution answers from the cache.
func (v *Verifier) warm(ctx context.Context, doc map[string]any) error {
	if doc == nil {
		return nil
	}
	iss := idOf(doc["issuer"])
	if !validIssuerDID(iss) {
		return nil
	}
	if _, err := v.view.issuer(ctx, iss, false); err != nil && !errors.Is(err, chain.ErrNotFound) {
		return fmt.Errorf("%w: read issuer %s: %w", ErrUnavailable, iss, err)
	}
	return nil
}

// freshRecordsKey marks a context whose issuer reads skip the cache.
type freshRecordsKey struct{}

// withFreshRecords makes the resolvers of the pipeline (and those of
// HistoryResolver) read issuer records from the chain, not the cache.
func withFreshRecords(ctx context.Context) context.Context {
	return context.WithValue(ctx, freshRecordsKey{}, true)
}

func freshRecords(ctx context.Context) bool {
	fresh, _ := ctx.Value(freshRecordsKey{}).(bool)
	return fresh
}

// mayBeStale reports whether a verification of a compact (JOSE) input that
// failed could have failed on a cached issuer record that misses a key
// rotated in since: a failed proof of a did:talent credential or of one
// whose claims could not be read (its key could not be resolved), or an
// input the JOSE verifiers refused with an error. Only then is the proof
// checked again with fresh reads, so a good credential costs nothing more
// and a bad one at most a second check.
//
// A JSON document never needs it: the proofs' key ids are read from it
// before the format runs (wantedKeys), and the history resolver reads an
// issuer again when its cached record misses one of them.
func (v *Verifier) mayBeStale(in *Input, err error, checks []credential.Check) bool {
	if in.Document != nil {
		return false
	}
	if err != nil {
		return errors.Is(err, ErrMalformed)
	}
	// A compact input whose key could not be resolved may come back
	// without its claims (so without an issuer to tell by): look again,
	// whether or not it names a did:talent issuer.
	_, bad := failedCheck(checks, not(named(credential.CheckFormat, credential.CheckValidity, credential.CheckChallenge, credential.CheckDomain, credential.CheckCredentials)))
	return bad != nil
}

var notReadable = msg("Not checked: the input could not be read.", "未检查：无法读取输入内容。")

func unsupported(mt string, presentation bool) text {
	if presentation {
		return msg("This presentation is in the format %s, which this verifier cannot check yet. Ask the holder to present from a wallet that makes W3C JSON-LD presentations with an embedded proof.",
			"该出示为 %s 格式，本验证服务暂时无法检查该格式。请持有人改用能生成内嵌证明的 W3C JSON-LD 出示的钱包。", mt)
	}
	return msg("This credential is in the format %s, which this verifier cannot check yet. Ask the sender for it as a W3C JSON-LD credential with an embedded proof.",
		"该凭证为 %s 格式，本验证服务暂时无法检查该格式。请提供者改为提供内嵌证明的 W3C JSON-LD 凭证。", mt)
}
