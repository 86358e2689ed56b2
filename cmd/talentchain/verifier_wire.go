package main

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
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/pex"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/verifier/exchange"
	"github.com/talentchain/talentchain/verifier/policy"
)

// verifierPrefix is the verifier's namespace in the store: seen challenges
// (seen/), presentation requests (exchange/) and their reports (reports/),
// stored verifications (verifications/),
// policies (policy/), verifier accounts (accounts/, tokens/) and the office
// key (office/key).
const verifierPrefix = "verifier/"

// verifying builds the verifier's services for serve: the verification
// pipeline over the node's chain, presentation requests, talent policies,
// the office's decision key and the verifier accounts, all in the node's
// store. Its result goes straight into ui.WithVerifying.
func (a *app) verifying(cfg config, loader *credential.Loader, st store.Store, log *slog.Logger) (ui.Verifying, error) {
	keys, err := seal.Load(cfg.dataDir, os.Getenv(seal.EnvMasterKey))
	if err != nil {
		return ui.Verifying{}, fmt.Errorf("secrets: %w", err)
	}
	return newVerifying(verifyingDeps{
		chain: a.chain, chainID: a.chainID, store: st, keys: keys, loader: loader,
		baseURL: cfg.publicURL, log: log.With(slog.String("component", "verifier")),
		// A test's fake Verifier keeps the VC-API routes.
		vcapi: cfg.verifier == nil,
	})
}

// verifyingDeps are what the verifier's services are built from.
type verifyingDeps struct {
	chain   verifier.Chain
	chainID string
	store   store.Store // the node's store; the services use verifierPrefix
	keys    *seal.Keyring
	loader  *credential.Loader
	baseURL string // the node's public URL: request links start with it
	now     func() time.Time
	log     *slog.Logger
	vcapi   bool
}

// newVerifying builds the verifier's services from d.
func newVerifying(d verifyingDeps) (ui.Verifying, error) {
	if d.now == nil {
		d.now = time.Now
	}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	u, err := url.Parse(d.baseURL)
	if err != nil || u.Hostname() == "" {
		return ui.Verifying{}, fmt.Errorf("verifier: public URL %q has no host", d.baseURL)
	}
	vst := store.WithPrefix(d.store, verifierPrefix)
	seen, err := verifier.NewStoreSeenSet(vst)
	if err != nil {
		return ui.Verifying{}, err
	}
	// VC-JWT and SD-JWT VC, resolving did:talent issuers like the JSON-LD
	// format does (every key ever held; the key step judges the time).
	keys := verifier.HistoryResolver(d.chain, 0)
	sd, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: keys, Now: d.now})
	if err != nil {
		return ui.Verifying{}, err
	}
	jwt, err := vcjwt.NewVerifier(vcjwt.VerifierConfig{Resolver: keys, Loader: d.loader, SDJWT: sd, Now: d.now})
	if err != nil {
		return ui.Verifying{}, err
	}
	formats, pformats := verifier.JOSEFormats(jwt, sd)
	core, err := verifier.New(verifier.Config{
		Loader: d.loader, Chain: d.chain, Seen: seen, ChainID: d.chainID, Clock: d.now, Logger: d.log,
		Formats: formats, PresentationFormats: pformats,
		// Default TTLs: the pipeline reads an issuer again when a cached
		// record misses the key a credential was signed with.
	})
	if err != nil {
		return ui.Verifying{}, err
	}
	pipe := newFormatGuard(core, formats, pformats)
	ex, err := exchange.New(exchange.Config{BaseURL: d.baseURL, Now: d.now, Logger: d.log, Decoder: peDecoder(sd, d.now)}, vst, d.keys, exchangeVerifier{pipe})
	if err != nil {
		return ui.Verifying{}, err
	}
	engine, err := policy.NewEngine(policy.Config{})
	if err != nil {
		return ui.Verifying{}, err
	}
	policies, err := policy.NewStore(vst, engine, d.now)
	if err != nil {
		return ui.Verifying{}, err
	}
	off := &office{st: vst, keys: d.keys, loader: d.loader}
	return ui.Verifying{
		Pipeline:      pipe,
		Accounts:      &verifierAccounts{st: vst, now: d.now},
		Requests:      requests{Service: ex, st: vst, keys: d.keys, log: d.log},
		Policies:      ownedPolicies{Store: policies, st: vst},
		Decisions:     &decider{pipe: pipe, policies: policies, office: off, now: d.now},
		Domain:        u.Hostname(),
		VCAPI:         d.vcapi,
		PublicURL:     strings.TrimSuffix(d.baseURL, "/"),
		Verifications: storedVerifications{st: vst, keys: d.keys},
	}, nil
}

// storedVerifications keeps verifications asked to be stored (for the
// report page) sealed, since they describe a person's credentials, under
// verifications/<id> with their TTL; the key's full name is the seal's
// associated data, so a record cannot be moved to another id.
type storedVerifications struct {
	st   store.Store // the verifier's namespace
	keys *seal.Keyring
}

func verificationKey(id string) string { return "verifications/" + id }

// Keep implements ui.Verifications.
func (s storedVerifications) Keep(ctx context.Context, v *ui.StoredVerification, ttl time.Duration) error {
	if !ui.ValidVerificationID(v.ID) {
		return fmt.Errorf("stored verification: malformed id %q", v.ID)
	}
	plain, err := json.Marshal(v)
	if err != nil {
		return err
	}
	sealed, err := s.keys.Seal(plain, []byte(verifierPrefix+verificationKey(v.ID)))
	if err != nil {
		return err
	}
	return s.st.Create(ctx, verificationKey(v.ID), sealed, ttl)
}

// Get implements ui.Verifications.
func (s storedVerifications) Get(ctx context.Context, id string) (*ui.StoredVerification, error) {
	if !ui.ValidVerificationID(id) {
		return nil, ui.ErrVerificationNotFound
	}
	sealed, err := s.st.Get(ctx, verificationKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ui.ErrVerificationNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("stored verification: %w", err)
	}
	plain, err := s.keys.Open(sealed, []byte(verifierPrefix+verificationKey(id)))
	if err != nil {
		return nil, fmt.Errorf("stored verification: %w", err)
	}
	var v ui.StoredVerification
	if err := json.Unmarshal(plain, &v); err != nil || v.ID != id {
		return nil, errors.New("stored verification: corrupt record")
	}
	return &v, nil
}

// formatGuard is the pipeline, refusing with ui.ErrUnsupportedFormat what it
// has no checker for (an enveloped credential of another media type): "this
// format cannot be checked here" is not "this credential is invalid".
// Nothing is consumed before the refusal: the pipeline stops at the format
// step, before the replay check.
type formatGuard struct {
	v *verifier.Verifier
	// credentials and presentations are the media types with a checker:
	// the built-in JSON-LD forms and those of the added formats.
	credentials, presentations []string
}

func newFormatGuard(v *verifier.Verifier, cf []verifier.CredentialFormat, pf []verifier.PresentationFormat) formatGuard {
	g := formatGuard{v: v,
		credentials:   []string{verifier.MediaTypeVC, verifier.MediaTypeVCLD},
		presentations: []string{verifier.MediaTypeVP, verifier.MediaTypeVPLD},
	}
	for _, f := range cf {
		g.credentials = append(g.credentials, f.MediaTypes()...)
	}
	for _, f := range pf {
		g.presentations = append(g.presentations, f.MediaTypes()...)
	}
	return g
}

func guard(checked []string, rep *verifier.Report, err error) (*verifier.Report, error) {
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(checked, func(mt string) bool { return strings.EqualFold(mt, rep.MediaType) }) {
		return nil, fmt.Errorf("%w: %s", ui.ErrUnsupportedFormat, rep.MediaType)
	}
	return rep, nil
}

func (g formatGuard) VerifyCredential(ctx context.Context, raw []byte, opts verifier.Options) (*verifier.Report, error) {
	rep, err := g.v.VerifyCredential(ctx, raw, opts)
	return guard(g.credentials, rep, err)
}

func (g formatGuard) VerifyPresentation(ctx context.Context, raw []byte, opts verifier.Options) (*verifier.Report, error) {
	rep, err := g.v.VerifyPresentation(ctx, raw, opts)
	return guard(g.presentations, rep, err)
}

// submissionKey carries a *submission from requests.Submit through
// exchange.Service.Submit to exchangeVerifier: request-scoped data that the
// exchange service passes on without knowing it (the anchor receipts in,
// the pipeline's full report out).
type submissionKey struct{}

type submission struct {
	receipts map[string]*credential.AnchorReceipt
	report   *verifier.Report
}

// reportTTL keeps a request's report at least as long as the exchange keeps
// its result (the request's expiry, at most MaxExpiry, plus ResultTTL).
const reportTTL = exchange.MaxExpiry + exchange.DefaultResultTTL

func reportKey(id string) string { return "reports/" + id }

// requests is the presentation request service, with the holder's anchor
// receipts passed to the pipeline and the pipeline's full report kept
// (sealed: it describes the holder's credentials) beside exchange's result.
type requests struct {
	*exchange.Service
	st   store.Store // the verifier's namespace
	keys *seal.Keyring
	log  *slog.Logger
}

// Submit answers request id; receipts are the presented credentials' anchor
// receipts by credential id.
func (r requests) Submit(ctx context.Context, id string, resp exchange.Response, receipts map[string]*credential.AnchorReceipt) (*exchange.Result, error) {
	sub := &submission{receipts: receipts}
	res, err := r.Service.Submit(context.WithValue(ctx, submissionKey{}, sub), id, resp)
	if err != nil {
		return nil, err
	}
	if sub.report != nil {
		if err := r.keepReport(context.WithoutCancel(ctx), id, sub.report); err != nil {
			// The verdict is stored by the exchange; only the detailed report
			// is missing from the verifier's view.
			r.log.WarnContext(ctx, "presentation report not kept", slog.String("request", id), slog.String("error", err.Error()))
		}
	}
	return res, nil
}

func (r requests) keepReport(ctx context.Context, id string, rep *verifier.Report) error {
	plain, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	sealed, err := r.keys.Seal(plain, []byte(verifierPrefix+reportKey(id)))
	if err != nil {
		return err
	}
	return r.st.Put(ctx, reportKey(id), sealed, reportTTL)
}

// Result returns the verifier's result (exchange checks the owner) with the
// report when it was kept.
func (r requests) Result(ctx context.Context, verifierID, id string) (*ui.RequestResult, error) {
	res, err := r.Service.Result(ctx, verifierID, id)
	if err != nil {
		return nil, err
	}
	out := &ui.RequestResult{Result: res}
	sealed, err := r.st.Get(ctx, reportKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return out, nil
	}
	if err != nil {
		return nil, fmt.Errorf("presentation report: %w", err)
	}
	plain, err := r.keys.Open(sealed, []byte(verifierPrefix+reportKey(id)))
	if err != nil {
		return nil, fmt.Errorf("presentation report: %w", err)
	}
	var rep verifier.Report
	if err := json.Unmarshal(plain, &rep); err != nil {
		return nil, errors.New("presentation report: corrupt record")
	}
	out.Report = &rep
	return out, nil
}

// peDecoder decodes the elements of an answer for the request's
// presentation definition: an SD-JWT VC is verified again (sd) and
// evaluated over its disclosed claims only, a VCDM 2.0 enveloped
// credential is opened from its data: URL, anything else is
// pex.DecodeElement's. The pipeline has verified the whole answer before;
// this only reads it.
func peDecoder(sd *sdjwt.Verifier, now func() time.Time) pex.Decoder {
	return func(ctx context.Context, format string, el any) (map[string]any, string, error) {
		if m, ok := el.(map[string]any); ok {
			if tok, ok := envelopedToken(m); ok {
				el = tok
			}
		}
		if s, ok := el.(string); ok && (format == pex.FormatVCSDJWT || format == pex.FormatDCSDJWT) {
			if i := strings.LastIndexByte(s, '~'); i >= 0 {
				s = s[:i+1] // the key binding was checked by the pipeline
			}
			got, err := sd.Verify(ctx, s, sdjwt.VerifyOptions{Now: now()})
			if err != nil {
				return nil, "", fmt.Errorf("a %s element: %w", format, err)
			}
			alg, _ := got.Header["alg"].(string)
			return got.Claims, alg, nil
		}
		return pex.DecodeElement(format, el)
	}
}

// envelopedToken returns the compact serialisation of a VCDM 2.0
// EnvelopedVerifiableCredential (a data: URL, percent-encoded or base64).
func envelopedToken(m map[string]any) (string, bool) {
	if !slices.Contains(asStrings(m["type"]), "EnvelopedVerifiableCredential") {
		return "", false
	}
	id, _ := m["id"].(string)
	u, err := credential.ParseDataURL(id)
	if err != nil {
		return "", false
	}
	return string(u.Data), true
}

// asStrings reads a JSON string or array of strings.
func asStrings(v any) []string {
	switch t := v.(type) {
	case string:
		return []string{t}
	case []any:
		out := make([]string, 0, len(t))
		for _, e := range t {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// exchangeVerifier is the pipeline as the exchange service needs it.
type exchangeVerifier struct{ p ui.Pipeline }

// VerifyPresentation implements exchange.PresentationVerifier. Input that is
// not a presentation, or one in a format the pipeline cannot check, wraps
// credential.ErrMalformed: the holder's challenge is given back.
func (x exchangeVerifier) VerifyPresentation(ctx context.Context, raw []byte, opts credential.VerifyOptions) (*credential.Result, error) {
	sub, _ := ctx.Value(submissionKey{}).(*submission)
	var receipts map[string]*credential.AnchorReceipt
	if sub != nil {
		receipts = sub.receipts
	}
	rep, err := x.p.VerifyPresentation(ctx, raw, verifier.Options{Challenge: opts.Challenge, Domain: opts.Domain, Receipts: receipts})
	if errors.Is(err, verifier.ErrMalformed) || errors.Is(err, ui.ErrUnsupportedFormat) {
		return nil, fmt.Errorf("%w: %w", credential.ErrMalformed, err)
	}
	if err != nil {
		return nil, err
	}
	if sub != nil {
		sub.report = rep
	}
	return ui.ResultOf(rep), nil
}

// ---- verifier accounts ----

// Verifier tokens: "tcvt_" and 32 random bytes, base64url. The store keeps
// their SHA-256 only: tokens/<hex> → account id, and the account's record
// accounts/<id> holds the hash too, compared in constant time.
const (
	verifierTokenPrefix = "tcvt_"
	verifierTokenBytes  = 32
	verifierIDPrefix    = "vrf_"
)

// verifierAccounts is a store-backed registry of verifier accounts: the
// operator creates them under the admin API; each has one token.
type verifierAccounts struct {
	st  store.Store
	now func() time.Time
}

// accountRecord is an account as stored.
type accountRecord struct {
	ui.VerifierAccount
	TokenHash string `json:"tokenHash"`
}

func accountKey(id string) string    { return "accounts/" + id }
func tokenKey(hashHex string) string { return "tokens/" + hashHex }

func tokenHash(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// CreateVerifier implements ui.VerifierAccounts.
func (s *verifierAccounts) CreateVerifier(ctx context.Context, req ui.NewVerifier) (string, *ui.VerifierAccount, error) {
	name := strings.TrimSpace(req.Name)
	if name == "" || len(name) > 100 || !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "", nil, fmt.Errorf("%w: a name of 1 to 100 characters without control characters", ui.ErrInvalidVerifier)
	}
	idb := make([]byte, 8)
	tb := make([]byte, verifierTokenBytes)
	if _, err := rand.Read(idb); err != nil {
		return "", nil, err
	}
	if _, err := rand.Read(tb); err != nil {
		return "", nil, err
	}
	tok := verifierTokenPrefix + base64.RawURLEncoding.EncodeToString(tb)
	rec := accountRecord{
		VerifierAccount: ui.VerifierAccount{ID: verifierIDPrefix + hex.EncodeToString(idb), Name: name, Policies: req.Policies, Created: s.now().UTC().Truncate(time.Second)},
		TokenHash:       tokenHash(tok),
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return "", nil, err
	}
	if err := s.st.Apply(ctx, store.OpCreate(accountKey(rec.ID), b, 0), store.OpCreate(tokenKey(rec.TokenHash), []byte(rec.ID), 0)); err != nil {
		return "", nil, fmt.Errorf("create verifier account: %w", err)
	}
	acct := rec.VerifierAccount
	return tok, &acct, nil
}

func (s *verifierAccounts) load(ctx context.Context, id string) (*accountRecord, error) {
	b, err := s.st.Get(ctx, accountKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ui.ErrVerifierNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("verifier account: %w", err)
	}
	var rec accountRecord
	if err := json.Unmarshal(b, &rec); err != nil || rec.ID != id {
		return nil, errors.New("verifier account: corrupt record")
	}
	return &rec, nil
}

// validAccountID: the ids CreateVerifier makes.
func validAccountID(id string) bool {
	rest, ok := strings.CutPrefix(id, verifierIDPrefix)
	if !ok || len(rest) != 16 {
		return false
	}
	_, err := hex.DecodeString(rest)
	return err == nil
}

// AuthenticateVerifier implements ui.VerifierAccounts.
func (s *verifierAccounts) AuthenticateVerifier(ctx context.Context, tok string) (*ui.VerifierAccount, error) {
	rest, ok := strings.CutPrefix(tok, verifierTokenPrefix)
	if !ok || len(rest) != base64.RawURLEncoding.EncodedLen(verifierTokenBytes) {
		return nil, ui.ErrVerifierToken
	}
	h := tokenHash(tok)
	id, err := s.st.Get(ctx, tokenKey(h))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ui.ErrVerifierToken
	}
	if err != nil {
		return nil, fmt.Errorf("verifier token: %w", err)
	}
	rec, err := s.load(ctx, string(id))
	if errors.Is(err, ui.ErrVerifierNotFound) {
		return nil, ui.ErrVerifierToken
	}
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(rec.TokenHash), []byte(h)) != 1 || rec.Revoked {
		return nil, ui.ErrVerifierToken
	}
	acct := rec.VerifierAccount
	return &acct, nil
}

// Verifier returns one account by id (ui.ErrVerifierNotFound when there is
// none): the consoles re-read it on every request.
func (s *verifierAccounts) Verifier(ctx context.Context, id string) (*ui.VerifierAccount, error) {
	if !validAccountID(id) {
		return nil, ui.ErrVerifierNotFound
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	acct := rec.VerifierAccount
	return &acct, nil
}

// Verifiers implements ui.VerifierAccounts (at most store.MaxListLimit).
func (s *verifierAccounts) Verifiers(ctx context.Context) ([]*ui.VerifierAccount, error) {
	entries, err := s.st.List(ctx, "accounts/", store.ListOptions{Limit: store.MaxListLimit})
	if err != nil {
		return nil, fmt.Errorf("verifier accounts: %w", err)
	}
	out := make([]*ui.VerifierAccount, 0, len(entries))
	for _, e := range entries {
		var rec accountRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return nil, errors.New("verifier accounts: corrupt record")
		}
		acct := rec.VerifierAccount
		out = append(out, &acct)
	}
	return out, nil
}

// RevokeVerifier implements ui.VerifierAccounts: the account stays (its
// requests name it), its token stops working.
func (s *verifierAccounts) RevokeVerifier(ctx context.Context, id string) error {
	if !validAccountID(id) {
		return ui.ErrVerifierNotFound
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		return err
	}
	rec.Revoked = true
	b, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := s.st.Apply(ctx, store.OpPut(accountKey(id), b, 0), store.OpDelete(tokenKey(rec.TokenHash))); err != nil {
		return fmt.Errorf("revoke verifier account: %w", err)
	}
	return nil
}

// ---- policies ----

// ownedPolicies is the policy store with an owner per policy: the verifier
// account that first saved it (owners/<policy id> → account id, written
// with store.Create before the first version, so of two accounts racing for
// a new id exactly one owns it). Only the owner saves new versions.
type ownedPolicies struct {
	*policy.Store
	st store.Store // the verifier's namespace
}

// Save implements ui.Policies.
func (p ownedPolicies) Save(ctx context.Context, owner string, pol policy.Policy) (*policy.Compiled, error) {
	if !validAccountID(owner) {
		return nil, fmt.Errorf("%w: owner %q", ui.ErrPolicyOwner, owner)
	}
	if _, err := p.Store.Get(ctx, pol.ID, 0); errors.Is(err, policy.ErrInvalid) {
		return nil, err // a malformed id never reaches a store key
	}
	key := "owners/" + pol.ID
	err := p.st.Create(ctx, key, []byte(owner), 0)
	if errors.Is(err, store.ErrExists) {
		got, gerr := p.st.Get(ctx, key)
		if gerr != nil {
			return nil, fmt.Errorf("policy owner: %w", gerr)
		}
		if subtle.ConstantTimeCompare(got, []byte(owner)) != 1 {
			return nil, ui.ErrPolicyOwner
		}
		err = nil
	}
	if err != nil {
		return nil, fmt.Errorf("policy owner: %w", err)
	}
	return p.Store.Save(ctx, pol)
}

// ---- the office and its decisions ----

// officeKeyName is the store key (under verifierPrefix) of the office's
// signing key, sealed; its full name is the seal's associated data.
const officeKeyName = "office/key"

// office signs policy decisions with the talent-policy office's key: an
// Ed25519 did:key made on first use and kept sealed in the store, so every
// replica signs with the same key.
type office struct {
	st     store.Store
	keys   *seal.Keyring
	loader *credential.Loader

	mu sync.Mutex
	o  *policy.Office
}

// get returns the office, making its key on first use.
func (o *office) get(ctx context.Context) (*policy.Office, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.o != nil {
		return o.o, nil
	}
	aad := []byte(verifierPrefix + officeKeyName)
	sealed, err := o.st.Get(ctx, officeKeyName)
	if errors.Is(err, store.ErrNotFound) {
		sealed, err = o.create(ctx, aad)
	}
	if err != nil {
		return nil, fmt.Errorf("office key: %w", err)
	}
	plain, err := o.keys.Open(sealed, aad)
	if err != nil {
		return nil, fmt.Errorf("office key: %w", err)
	}
	var kp credential.KeyPair
	err = json.Unmarshal(plain, &kp)
	clear(plain)
	if err != nil || kp.Private == nil {
		return nil, errors.New("office key: corrupt record")
	}
	off, err := policy.NewOffice(o.loader, &kp)
	if err != nil {
		return nil, err
	}
	o.o = off
	return off, nil
}

// create makes the office's key and stores it sealed; if another replica
// stored one first, that one is returned.
func (o *office) create(ctx context.Context, aad []byte) ([]byte, error) {
	kp, err := credential.GenerateKey()
	if err != nil {
		return nil, err
	}
	plain, err := json.Marshal(kp)
	if err != nil {
		return nil, err
	}
	sealed, err := o.keys.Seal(plain, aad)
	clear(plain)
	if err != nil {
		return nil, err
	}
	err = o.st.Create(ctx, officeKeyName, sealed, 0)
	if errors.Is(err, store.ErrExists) {
		return o.st.Get(ctx, officeKeyName)
	}
	return sealed, err
}

// decider verifies an application's credentials with the pipeline,
// evaluates a policy over them and has the office sign the decision.
type decider struct {
	pipe     ui.Pipeline
	policies *policy.Store
	office   *office
	now      func() time.Time
}

// Decide implements ui.Decisions.
func (d *decider) Decide(ctx context.Context, req ui.DecisionRequest) (*ui.DecisionOutcome, error) {
	compiled, err := d.policies.Load(ctx, req.PolicyID, req.Version)
	if err != nil {
		return nil, err
	}
	applicant := req.Applicant
	var inputs []policy.Input
	var reports []*verifier.Report
	if len(req.Presentation) > 0 {
		rep, err := d.pipe.VerifyPresentation(ctx, req.Presentation, req.PresentationOptions)
		if err != nil {
			return nil, err
		}
		reports = append(reports, rep)
		// The presentation's own steps (the holder's proof, the challenge,
		// replay) must hold for any of its credentials to count.
		presented := !slices.ContainsFunc(rep.Steps, func(s verifier.Step) bool { return s.State == verifier.StepFailed })
		switch {
		case applicant == "":
			applicant = rep.Holder
		case applicant != rep.Holder:
			return nil, &policy.InputError{Field: "applicant", Reason: "is not the presentation's holder"}
		}
		for _, c := range rep.Credentials {
			inputs = append(inputs, inputOf(c, presented))
		}
	} else {
		for _, c := range req.Credentials {
			rep, err := d.pipe.VerifyCredential(ctx, c.Raw, verifier.Options{Receipt: c.Receipt})
			if err != nil {
				return nil, err
			}
			reports = append(reports, rep)
			inputs = append(inputs, inputOf(rep, true))
		}
	}
	dec, err := compiled.Evaluate(ctx, applicant, inputs, d.now())
	if err != nil {
		return nil, err
	}
	off, err := d.office.get(ctx)
	if err != nil {
		return nil, err
	}
	vc, err := off.Issue(ctx, dec)
	if err != nil {
		return nil, err
	}
	return &ui.DecisionOutcome{Decision: dec, Credential: vc, Reports: reports}, nil
}

// inputOf is what the rules learn from a credential's report: its claims as
// the pipeline read them (whatever the format: JSON-LD, VC-JWT, or an SD-JWT
// VC's disclosed claims only), verified (warnings allowed), accredited on
// chain at issuance, its issuer's name, its anchored time, and its status
// bits.
func inputOf(rep *verifier.Report, presented bool) policy.Input {
	in := policy.Input{Document: rep.Document, Verified: presented && rep.State != verifier.StateInvalid, Issued: rep.AnchorTime, Status: policy.StatusActive}
	if rep.IssuerName != nil {
		in.IssuerName = policy.Text{Zh: rep.IssuerName.Zh, En: rep.IssuerName.En}
	}
	if s, ok := rep.Step(verifier.StepIssuer); ok && s.State != verifier.StepFailed {
		in.Accredited, _ = s.Details["accredited"].(bool)
	}
	if s, ok := rep.Step(verifier.StepStatus); ok {
		lists, _ := s.Details["lists"].([]map[string]any)
		for _, l := range lists {
			if set, _ := l["set"].(bool); !set {
				continue
			}
			switch l["purpose"] {
			case credential.StatusRevocation:
				in.Status = policy.StatusRevoked
			case credential.StatusSuspension:
				if in.Status != policy.StatusRevoked {
					in.Status = policy.StatusSuspended
				}
			}
		}
	}
	return in
}
