package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/pex"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/wallet"
)

// walletPrefix is the wallet's namespace in the store (its layout is in
// package wallet's comment).
const walletPrefix = "wallet/"

// envWalletOrigins lists, comma-separated, further issuer and verifier
// origins a wallet on a private or plain-http node may reach besides its own.
const envWalletOrigins = "TALENTCHAIN_WALLET_ORIGINS"

// walletStatusCacheTTL is how long the wallet caches a credential's live
// status; tests shorten it (negative: no cache).
var walletStatusCacheTTL = 5 * time.Second

// openWallet builds the holder's wallet over the node's store, chain and
// verifier pipeline, and makes it the demo's holder accounts. It runs after
// openChain (it reads a.chain).
func (a *app) openWallet(cfg config, st store.Store, loader *credential.Loader, log *slog.Logger) (*wallet.Service, error) {
	keys, err := seal.Load(cfg.dataDir, os.Getenv(seal.EnvMasterKey))
	if err != nil {
		return nil, fmt.Errorf("wallet: secrets: %w", err)
	}
	origins, err := walletOrigins(cfg.publicURL, os.Getenv(envWalletOrigins))
	if err != nil {
		return nil, err
	}
	wlog := log.With(slog.String("component", "wallet"))
	// The pipeline checks SD-JWT VCs too (issuer on chain, key at
	// issuance, anchor over the issuer JWT, status lists), with did:talent
	// keys resolved as the verifier's routes resolve them.
	psd, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: verifier.HistoryResolver(a.chain, -1)})
	if err != nil {
		return nil, fmt.Errorf("wallet: SD-JWT verifier: %w", err)
	}
	formats, pformats := verifier.JOSEFormats(nil, psd)
	core, err := verifier.New(verifier.Config{
		Loader: loader, Chain: a.chain, ChainID: a.chainID, Logger: wlog,
		// Fresh issuer records, as the verifier's routes (a rotated key).
		RecordTTL: -1,
		Formats:   formats, PresentationFormats: pformats,
	})
	if err != nil {
		return nil, fmt.Errorf("wallet: verifier pipeline: %w", err)
	}
	sd, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: credential.Resolvers{credential.KeyResolver{}, chainResolver{a.chain}}})
	if err != nil {
		return nil, fmt.Errorf("wallet: SD-JWT verifier: %w", err)
	}
	p := walletPipeline{core}
	w, err := wallet.New(wallet.Config{
		BaseURL:        cfg.publicURL,
		AllowedOrigins: origins,
		StatusCacheTTL: walletStatusCacheTTL,
		Logger:         wlog,
	}, store.WithPrefix(st, walletPrefix), keys, loader, p, p,
		wallet.WithMatcher(pexMatcher{}), wallet.WithSDJWT(sdjwtHandler{sd}), wallet.WithStatusLists(chainLists{a.chain}))
	if err != nil {
		return nil, err
	}
	a.holders = walletHolders{w}
	return w, nil
}

// walletOrigins is the wallet's origin allow-list. A node whose public URL
// is https on a public host gets none: its wallet reaches any public https
// issuer or verifier (and never a private address). A node on plain http or
// a private or loopback address (development, tests, the demo) may reach
// itself and the origins of TALENTCHAIN_WALLET_ORIGINS only.
func walletOrigins(publicURL, extra string) ([]string, error) {
	var out []string
	for o := range strings.SplitSeq(extra, ",") {
		if o = strings.TrimSpace(o); o != "" {
			out = append(out, o)
		}
	}
	u, err := url.Parse(publicURL)
	if err != nil {
		return nil, fmt.Errorf("wallet: public URL: %w", err)
	}
	public := u.Scheme == "https"
	if addr, err := netip.ParseAddr(strings.Trim(u.Hostname(), "[]")); err == nil {
		public = public && addr.IsGlobalUnicast() && !addr.IsPrivate()
	} else if u.Hostname() == "localhost" || strings.HasSuffix(u.Hostname(), ".localhost") {
		public = false
	}
	if public && len(out) == 0 {
		return nil, nil
	}
	if !slices.Contains(out, publicURL) {
		out = append(out, strings.TrimRight(publicURL, "/"))
	}
	return out, nil
}

// walletSecure says whether the wallet's session cookie is Secure: the node
// is reached over https.
func walletSecure(publicURL string) bool {
	u, err := url.Parse(publicURL)
	return err == nil && u.Scheme == "https"
}

// walletHolders creates the demo's holders as wallet accounts.
type walletHolders struct{ w *wallet.Service }

// DemoHolder implements HolderAccounts: an account with a login; the name
// is not kept (accounts have none).
func (h walletHolders) DemoHolder(ctx context.Context, username, password, _ string) (string, error) {
	acct, err := h.w.SignUp(ctx, wallet.SignUp{Username: username, Password: password})
	if err != nil {
		return "", err
	}
	return acct.DID, nil
}

// walletPipeline adapts the verifier pipeline to the wallet's
// CredentialVerifier and StatusChecker.
type walletPipeline struct{ v *verifier.Verifier }

// VerifyCredential runs the pipeline's checks on a credential to receive.
// The pipeline's skipped steps are left out.
func (p walletPipeline) VerifyCredential(ctx context.Context, doc map[string]any, receipt *credential.AnchorReceipt) (*wallet.Verification, error) {
	raw, err := json.Marshal(doc)
	if err != nil {
		return nil, err
	}
	return p.verify(ctx, raw, receipt)
}

// VerifySDJWTCredential implements wallet.SDJWTChainVerifier: the whole
// pipeline on an SD-JWT VC to receive.
func (p walletPipeline) VerifySDJWTCredential(ctx context.Context, compact string, receipt *credential.AnchorReceipt) (*wallet.Verification, error) {
	return p.verify(ctx, []byte(compact), receipt)
}

func (p walletPipeline) verify(ctx context.Context, raw []byte, receipt *credential.AnchorReceipt) (*wallet.Verification, error) {
	rep, err := p.v.VerifyCredential(ctx, raw, verifier.Options{Receipt: receipt})
	if errors.Is(err, verifier.ErrUnavailable) {
		return nil, fmt.Errorf("%w: %w", wallet.ErrUnavailable, err)
	}
	if err != nil {
		return nil, err
	}
	var res credential.Result
	for _, s := range rep.Steps {
		if s.State == verifier.StepSkipped {
			continue
		}
		res.Checks = append(res.Checks, credential.Check{Name: s.Name, Passed: s.State != verifier.StepFailed, Warning: s.State == verifier.StepWarning, Message: s.MessageEN})
	}
	return wallet.VerificationOf(&res), nil
}

// errNoStatus: a format the pipeline does not check the status of.
var errNoStatus = errors.New("wallet: the status of this format is not checked here")

// CheckStatus reads the credential's status lists through the pipeline
// (cached by it for its StatusTTL): JSON-LD credentials and SD-JWT VCs
// (their status claim). The listing asks it only for credentials whose
// lists are not TalentChain lists it reads itself (chainLists).
func (p walletPipeline) CheckStatus(ctx context.Context, format string, raw []byte) (wallet.Status, error) {
	if format != wallet.FormatLDP && format != wallet.FormatSDJWT {
		return "", errNoStatus
	}
	rep, err := p.v.VerifyCredential(ctx, raw, verifier.Options{})
	if err != nil {
		return "", err
	}
	st, ok := rep.Step(verifier.StepStatus)
	if !ok || st.State != verifier.StepFailed {
		return wallet.StatusValid, nil
	}
	lists, _ := st.Details["lists"].([]map[string]any)
	out := wallet.Status("")
	for _, l := range lists {
		if set, _ := l["set"].(bool); set {
			if l["purpose"] == credential.StatusRevocation {
				return wallet.StatusRevoked, nil
			}
			out = wallet.StatusSuspended
		}
	}
	if out == "" {
		// The status step failed without a set bit: the list could not be
		// read or checked. Unknown, not valid.
		return "", fmt.Errorf("wallet: status: %s", st.MessageEN)
	}
	return out, nil
}

// pexMatcher adapts credential/pex to the wallet's Matcher.
type pexMatcher struct{}

func (pexMatcher) Match(ctx context.Context, raw json.RawMessage, cands []wallet.Candidate) (*wallet.Match, error) {
	def, err := pex.Parse(raw)
	if err != nil {
		return nil, err
	}
	pc := make([]pex.Candidate, len(cands))
	for i, c := range cands {
		pc[i] = pex.Candidate{ID: c.ID, Format: c.Format, Document: c.Document}
	}
	res, err := pex.Match(ctx, def, pc)
	if err != nil {
		return nil, err
	}
	m := &wallet.Match{DefinitionID: res.DefinitionID, Name: def.Name, Purpose: def.Purpose, Satisfied: res.Satisfiable}
	for _, d := range res.Descriptors {
		dm := wallet.DescriptorMatch{ID: d.ID, Name: d.Name, Purpose: d.Purpose}
		for _, cm := range d.Matches {
			c := wallet.CandidateMatch{ID: cm.Candidate}
			for _, f := range cm.Fields {
				if f.Found {
					c.Fields = append(c.Fields, wallet.FieldMatch{Path: pex.NormalizedPath(f.Location), Name: f.Name, Purpose: f.Purpose, Value: f.Value, Optional: f.Optional})
				}
			}
			dm.Candidates = append(dm.Candidates, c)
		}
		m.Descriptors = append(m.Descriptors, dm)
	}
	return m, nil
}

// sdjwtHandler adapts credential/sdjwt to the wallet's SDJWT.
type sdjwtHandler struct{ v *sdjwt.Verifier }

func (h sdjwtHandler) VerifySDJWT(ctx context.Context, compact string) (*wallet.SDJWTInfo, *wallet.Verification, error) {
	got, err := h.v.Verify(ctx, compact, sdjwt.VerifyOptions{})
	if errors.Is(err, sdjwt.ErrMalformed) {
		return nil, nil, fmt.Errorf("%w: %v", wallet.ErrInvalid, err)
	}
	if err != nil {
		return nil, nil, err
	}
	info := &wallet.SDJWTInfo{Claims: got.Claims, Disclosable: got.Disclosed, HolderKey: got.HolderKey}
	info.ID, _ = got.Claims["jti"].(string)
	info.Issuer, _ = got.Claims["iss"].(string)
	info.Type, _ = got.Claims["vct"].(string)
	info.Subject, _ = got.Claims["sub"].(string)
	unix := func(k string) time.Time {
		if f, ok := got.Claims[k].(float64); ok {
			return time.Unix(int64(f), 0).UTC()
		}
		return time.Time{}
	}
	info.IssuedAt, info.NotBefore, info.Expires = unix("iat"), unix("nbf"), unix("exp")
	// On receipt there is no key binding (the holder adds it when
	// presenting): the verifier's warning about it does not apply.
	res := *got.Result
	res.Checks = slices.DeleteFunc(slices.Clone(res.Checks), func(c credential.Check) bool { return c.Name == "key-binding" && c.Passed })
	return info, wallet.VerificationOf(&res), nil
}

func (h sdjwtHandler) PresentSDJWT(_ context.Context, compact string, disclose []string, key ed25519.PrivateKey, nonce, aud string) (string, error) {
	signer, err := jose.NewSigner(key, "")
	if err != nil {
		return "", err
	}
	out, err := sdjwt.Present(compact, disclose, &sdjwt.KeyBinding{Signer: signer, Audience: aud, Nonce: nonce})
	if errors.Is(err, sdjwt.ErrDisclosure) || errors.Is(err, sdjwt.ErrInvalid) {
		return "", fmt.Errorf("%w: %v", wallet.ErrInvalid, err)
	}
	return out, err
}

// chainLists gives the wallet's listing the issuers' status lists from
// chain state (wallet.StatusLists): a list the chain does not hold yet has
// no bit set.
type chainLists struct{ c *chain.Client }

func (l chainLists) StatusList(ctx context.Context, issuer, list string) (wallet.StatusBits, error) {
	sl, err := l.c.StatusList(ctx, issuer, list)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return sl, nil
}
