package ui

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	rpcclient "github.com/cometbft/cometbft/rpc/client"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// The governance office's pages (/gov), for the console role gov (signed
// in with the admin token): the organisations with their on-chain state,
// registering, accrediting, suspending and rotating keys, staff accounts
// and API tokens (shown once), verifier accounts, and the chain's state.
// They call the same services as the /admin/ JSON API.

// ChainInfo reads registry state; *chain.Client satisfies it. Missing
// entries are errors wrapping chain.ErrNotFound.
type ChainInfo interface {
	Issuer(ctx context.Context, did string) (*chain.Issuer, error)
	// List reads a list path (/issuers, /accreditation/{did},
	// /anchors/{did}) into out, a pointer to a slice.
	List(ctx context.Context, path string, out any) error
}

// BlockInfo is one block as the chain page shows it.
type BlockInfo struct {
	Height int64
	Time   time.Time
	Txs    int
	Hash   string
}

// ValidatorInfo is one validator and its voting power.
type ValidatorInfo struct {
	Address string
	Power   int64
}

// ChainStatus reads the chain's blocks and validators (CometStatus adapts
// a CometBFT RPC client).
type ChainStatus interface {
	ChainID(ctx context.Context) (string, int64, error) // the network and its latest height
	Blocks(ctx context.Context, limit int) ([]BlockInfo, error)
	Validators(ctx context.Context) ([]ValidatorInfo, error)
}

// CometStatus is a ChainStatus over a CometBFT RPC client (a node's HTTP
// RPC, or the in-process local client).
func CometStatus(c rpcclient.Client) ChainStatus { return cometStatus{c} }

type cometStatus struct{ c rpcclient.Client }

func (s cometStatus) ChainID(ctx context.Context) (string, int64, error) {
	st, err := s.c.Status(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("chain status: %w", err)
	}
	return st.NodeInfo.Network, st.SyncInfo.LatestBlockHeight, nil
}

func (s cometStatus) Blocks(ctx context.Context, limit int) ([]BlockInfo, error) {
	_, h, err := s.ChainID(ctx)
	if err != nil {
		return nil, err
	}
	if h < 1 {
		return nil, nil
	}
	lo := max(1, h-int64(limit)+1)
	res, err := s.c.BlockchainInfo(ctx, lo, h)
	if err != nil {
		return nil, fmt.Errorf("chain blocks: %w", err)
	}
	out := make([]BlockInfo, 0, len(res.BlockMetas))
	for _, m := range res.BlockMetas {
		out = append(out, BlockInfo{Height: m.Header.Height, Time: m.Header.Time, Txs: m.NumTxs, Hash: m.BlockID.Hash.String()})
	}
	return out, nil
}

func (s cometStatus) Validators(ctx context.Context) ([]ValidatorInfo, error) {
	page, per := 1, 100
	res, err := s.c.Validators(ctx, nil, &page, &per)
	if err != nil {
		return nil, fmt.Errorf("chain validators: %w", err)
	}
	out := make([]ValidatorInfo, 0, len(res.Validators))
	for _, v := range res.Validators {
		out = append(out, ValidatorInfo{Address: strings.ToUpper(hex.EncodeToString(v.Address)), Power: v.VotingPower})
	}
	return out, nil
}

// AnchorInfo is one anchor as the chain page lists it.
type AnchorInfo struct {
	Root   string
	Issuer string // the issuer's DID
	Count  uint64 // credentials under the root
	Height int64
	Time   time.Time
}

// anchorSearcher lists the latest anchors over all issuers at once, newest
// first; CometStatus satisfies it (a search of the chain's indexed anchor
// events). Without it the chain page reads each organisation's anchors.
type anchorSearcher interface {
	RecentAnchors(ctx context.Context, limit int) ([]AnchorInfo, error)
}

// anchorQuery finds anchor transactions among the indexed events.
const anchorQuery = "talentchain.type='" + string(chain.TypeAnchor) + "'"

// RecentAnchors searches the latest anchor transactions (one query) and
// reads their blocks' times: one query when they lie within a span of 20
// blocks, else one per distinct height (at most limit).
func (s cometStatus) RecentAnchors(ctx context.Context, limit int) ([]AnchorInfo, error) {
	page, per := 1, limit
	res, err := s.c.TxSearch(ctx, anchorQuery, false, &page, &per, "desc")
	if err != nil {
		return nil, fmt.Errorf("chain anchors: %w", err)
	}
	out := make([]AnchorInfo, 0, len(res.Txs))
	for _, t := range res.Txs {
		if t.TxResult.Code != 0 {
			continue
		}
		tx, err := chain.DecodeTx(t.Tx)
		if err != nil {
			return nil, fmt.Errorf("chain anchors: transaction %X: %w", []byte(t.Hash), err)
		}
		p, ok := tx.Payload.(*chain.Anchor)
		if !ok {
			continue
		}
		issuer, _, _ := strings.Cut(tx.Signer, "#")
		out = append(out, AnchorInfo{Root: p.Root, Issuer: issuer, Count: p.LeafCount, Height: t.Height})
	}
	if len(out) == 0 {
		return out, nil
	}
	times := map[int64]time.Time{}
	lo, hi := out[len(out)-1].Height, out[0].Height
	if hi-lo < 20 {
		res, err := s.c.BlockchainInfo(ctx, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("chain anchors: blocks: %w", err)
		}
		for _, m := range res.BlockMetas {
			times[m.Header.Height] = m.Header.Time
		}
	} else {
		for _, a := range out {
			if _, ok := times[a.Height]; ok {
				continue
			}
			h := a.Height
			res, err := s.c.Header(ctx, &h)
			if err != nil {
				return nil, fmt.Errorf("chain anchors: block %d: %w", h, err)
			}
			times[h] = res.Header.Time
		}
	}
	for i := range out {
		out[i].Time = times[out[i].Height]
	}
	return out, nil
}

// govStaffLister lists an organisation's staff; *issuer.Service satisfies it.
type govStaffLister interface {
	StaffOf(ctx context.Context, org string) ([]*issuer.Staff, error)
}

// Errors of the governance pages.
var (
	errGovReason = fmt.Errorf("%w: give a reason (it is written on chain with the change)", errMalformedRequest)
	errGovScopes = fmt.Errorf("%w: choose at least one permission for the token", errMalformedRequest)
	errGovDays   = fmt.Errorf("%w: the token's lifetime is a number of days from 1 to 3650 (empty: no expiry)", errMalformedRequest)
)

type govWeb struct {
	h *handler
	// accs keeps the registry's accreditations between views of the
	// home, as of a governance account sequence.
	accs govAccCache
}

// govSequencer reads an account's transaction count; *chain.Client
// satisfies it. Every transaction that changes an accreditation (or
// registers an issuer) is a governance transaction, so the governance
// account's sequence names a version of the accreditations.
type govSequencer interface {
	Sequence(ctx context.Context, account string) (uint64, error)
}

// govAccCache is every registered issuer's accreditations as they were at
// governance sequence seq (or later: a transaction landing while they were
// read only moves the sequence on, and the next page reads them again).
type govAccCache struct {
	mu   sync.Mutex
	ok   bool
	seq  uint64
	accs map[string][]chain.Accreditation
}

func (c *govAccCache) get(seq uint64) (map[string][]chain.Accreditation, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accs, c.ok && c.seq == seq
}

func (c *govAccCache) put(seq uint64, accs map[string][]chain.Accreditation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ok, c.seq, c.accs = true, seq, accs
}

// govRegistry is the chain's registry as the governance pages show it:
// each registered issuer and its accreditations, by DID.
type govRegistry struct {
	issuers map[string]*chain.Issuer
	accs    map[string][]chain.Accreditation
}

// registry reads the registry in a bounded number of chain queries,
// whatever the number of organisations: the governance sequence, the list
// of issuers, and — only when the sequence moved since the last page —
// each registered issuer's accreditations.
func (g *govWeb) registry(ctx context.Context) (govRegistry, error) {
	reg := govRegistry{issuers: map[string]*chain.Issuer{}}
	ch := g.h.web.cfg.Chain
	sq, versioned := ch.(govSequencer)
	var seq uint64
	if versioned {
		var err error
		if seq, err = sq.Sequence(ctx, chain.GovernanceSigner); err != nil {
			return reg, err
		}
	}
	var list []chain.Issuer
	if err := ch.List(ctx, chain.PathIssuers, &list); err != nil && !errors.Is(err, chain.ErrNotFound) {
		return reg, err
	}
	for i := range list {
		reg.issuers[list[i].DID] = &list[i]
	}
	if accs, ok := g.accs.get(seq); versioned && ok {
		reg.accs = accs
		return reg, nil
	}
	reg.accs = make(map[string][]chain.Accreditation, len(list))
	for _, is := range list {
		var accs []chain.Accreditation
		if err := ch.List(ctx, chain.PathAccreditation+is.DID, &accs); err != nil && !errors.Is(err, chain.ErrNotFound) {
			return reg, err
		}
		reg.accs[is.DID] = accs
	}
	if versioned {
		g.accs.put(seq, reg.accs)
	}
	return reg, nil
}

// accredited names the credential types an issuer is accredited for now.
func (reg govRegistry) accredited(lang i18n.Lang, did string) string {
	var acc []string
	for _, a := range reg.accs[did] {
		if _, ok := a.Active(); ok {
			acc = append(acc, issTypeLabel(lang, a.CredentialType))
		}
	}
	if len(acc) == 0 {
		return "—"
	}
	return strings.Join(acc, "、")
}

// auditedGov records every change made from the governance pages in the
// admin audit log, as the operator API's are (h.audited).
func (h *handler) auditedGov(next consoleHandler) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, s *consoleSession) {
		h.audited("governance-console", w, r, func(w http.ResponseWriter, r *http.Request) { next(w, r, s) })
	}
}

func init() {
	addWebPages(func(h *handler, mux *http.ServeMux) {
		if h.admin == nil {
			return
		}
		g := &govWeb{h: h}
		role := h.forRole(pages.RoleGov)
		gov := func(f consoleHandler) http.HandlerFunc { return role(h.auditedGov(f)) }
		mux.HandleFunc("GET /gov", gov(g.home))
		mux.HandleFunc("POST /gov/orgs", gov(g.createOrg))
		mux.HandleFunc("GET /gov/orgs/{did}", gov(g.org))
		mux.HandleFunc("POST /gov/orgs/{did}/register", gov(g.register))
		mux.HandleFunc("POST /gov/orgs/{did}/accredit", gov(g.accredit))
		mux.HandleFunc("POST /gov/orgs/{did}/withdraw", gov(g.withdraw))
		mux.HandleFunc("POST /gov/orgs/{did}/suspend", gov(g.statusChange(govSuspension, "suspended")))
		mux.HandleFunc("POST /gov/orgs/{did}/reinstate", gov(g.statusChange(govReinstatement, "reinstated")))
		mux.HandleFunc("POST /gov/orgs/{did}/rotate", gov(g.rotate))
		mux.HandleFunc("POST /gov/orgs/{did}/staff", gov(g.addStaff))
		mux.HandleFunc("POST /gov/orgs/{did}/tokens", gov(g.createToken))
		mux.HandleFunc("POST /gov/orgs/{did}/tokens/{id}/revoke", gov(g.revokeToken))
		mux.HandleFunc("GET /gov/chain", gov(g.chain))
		if h.verifying != nil && h.verifying.v.Accounts != nil {
			mux.HandleFunc("GET /gov/verifiers", gov(g.verifiers))
			mux.HandleFunc("POST /gov/verifiers", gov(g.createVerifier))
			mux.HandleFunc("POST /gov/verifiers/{id}/revoke", gov(g.revokeVerifier))
		}
	})
}

func (g *govWeb) page(w http.ResponseWriter, r *http.Request, titleKey string) pages.Page {
	return g.h.flashPage(w, r, titleKey, "gov")
}

func govOrgHref(did string) string { return "/gov/orgs/" + url.PathEscape(did) }

// govAccreditable are the credential types governance accredits for.
var govAccreditable = []string{issuer.TypeDegree, issuer.TypeTraining, issuer.TypeCompletion}

func govTypeOptions(lang i18n.Lang) []pages.SelectOption {
	out := make([]pages.SelectOption, 0, len(govAccreditable))
	for _, t := range govAccreditable {
		out = append(out, pages.SelectOption{Value: t, Label: issTypeLabel(lang, t)})
	}
	return out
}

func (g *govWeb) home(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := g.page(w, r, "gov.home.title")
	orgs, err := g.h.admin.svc.Orgs(r.Context())
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	v := pages.GovHome{Types: govTypeOptions(p.Lang), Governance: g.h.admin.gov != nil}
	var reg govRegistry
	if g.h.web.cfg.Chain != nil {
		if reg, err = g.registry(r.Context()); err != nil {
			v.ChainError = p.Lang.F("issuer.record.chainError", err.Error())
		}
	}
	for _, o := range orgs {
		row := pages.GovOrgRow{DID: o.DID, Href: govOrgHref(o.DID), Name: p.Lang.Pick(o.Names.Zh, o.Names.En), Kind: o.Kind,
			Status: "unregistered", Accredited: reg.accredited(p.Lang, o.DID)}
		if is := reg.issuers[o.DID]; is != nil {
			row.Status = is.Status
		}
		v.Orgs = append(v.Orgs, row)
	}
	g.h.render(w, r, pages.GovHomePage(p, v))
}

// createOrg registers an organisation (and accredits it for the types
// ticked; a degree for every level).
func (g *govWeb) createOrg(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	req := newOrgRequest{Kind: r.PostFormValue("kind"), USCC: strings.TrimSpace(r.PostFormValue("uscc"))}
	req.Names.Zh, req.Names.En = strings.TrimSpace(r.PostFormValue("nameZh")), strings.TrimSpace(r.PostFormValue("nameEn"))
	for _, t := range r.PostForm["type"] {
		a := accreditRequest{CredentialType: t}
		if t == issuer.TypeDegree {
			a.Levels = []string{"bachelor", "master", "doctor"}
		}
		req.Accreditations = append(req.Accreditations, a)
	}
	if err := g.h.validate.Struct(req); err != nil {
		g.h.webFail(w, r, formError(err))
		return
	}
	if len(req.Accreditations) > 0 && g.h.admin.gov == nil {
		g.h.webFail(w, r, errNoGovernance)
		return
	}
	org, err := g.h.admin.svc.CreateOrg(ctx, issuer.NewOrg{Names: issuer.Names{Zh: req.Names.Zh, En: req.Names.En}, Kind: req.Kind, USCC: req.USCC})
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	noteTarget(r, org.DID)
	for _, a := range req.Accreditations {
		if _, err := g.h.admin.gov.Submit(ctx, a.payload(org.DID)); err != nil {
			g.h.webFail(w, r, fmt.Errorf("accredit %s for %s: %w", org.DID, a.CredentialType, err))
			return
		}
	}
	g.h.log.InfoContext(r.Context(), "governance: organisation registered", "org", org.DID, "actor", "gov-console")
	http.Redirect(w, r, govOrgHref(org.DID)+"?done=registered", http.StatusSeeOther)
}

func (g *govWeb) org(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := g.page(w, r, "gov.home.title")
	o, err := g.h.admin.svc.Org(r.Context(), r.PathValue("did"))
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	p.Title = p.Lang.Pick(o.Names.Zh, o.Names.En)
	v := pages.GovOrgView{Href: govOrgHref(o.DID), Record: g.h.orgRecord(r.Context(), p.Lang, o), Registered: o.Registered,
		Governance: g.h.admin.gov != nil, Types: govTypeOptions(p.Lang)}
	for _, l := range []string{"bachelor", "master", "doctor"} {
		v.Levels = append(v.Levels, pages.SelectOption{Value: l, Label: issOptionLabel(p.Lang, l)})
	}
	toks, err := g.h.admin.svc.Tokens(r.Context(), o.DID)
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	for _, t := range toks {
		sc := make([]string, len(t.Scopes))
		for i, x := range t.Scopes {
			sc[i] = p.T("gov.scope." + string(x))
		}
		v.Tokens = append(v.Tokens, pages.GovToken{ID: t.ID, Name: t.Name, Scopes: strings.Join(sc, "、"), Created: t.Created,
			Expires: t.Expires, Revoked: !t.Revoked.IsZero()})
	}
	if sl, ok := g.h.admin.svc.(govStaffLister); ok {
		staff, err := sl.StaffOf(r.Context(), o.DID)
		if err != nil {
			g.h.webFail(w, r, err)
			return
		}
		for _, st := range staff {
			v.Staff = append(v.Staff, pages.GovStaff{Username: st.Username, Name: st.Name, Role: string(st.Role), Created: st.Created, Disabled: st.Disabled})
		}
	}
	v.Secret = g.h.shownSecret(r, s, &p, p.T("gov.secret.goneNext"))
	g.h.render(w, r, pages.GovOrgPage(p, v))
}

// done redirects to the organisation's page with a flash.
func (g *govWeb) done(w http.ResponseWriter, r *http.Request, what string) {
	http.Redirect(w, r, govOrgHref(r.PathValue("did"))+"?done="+what, http.StatusSeeOther)
}

func (g *govWeb) register(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	if err := g.h.admin.svc.Register(ctx, r.PathValue("did")); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	g.done(w, r, "registered")
}

// submit sends a governance transaction, then redirects with a flash.
func (g *govWeb) submit(w http.ResponseWriter, r *http.Request, p chain.Payload, what string) {
	if g.h.admin.gov == nil {
		g.h.webFail(w, r, errNoGovernance)
		return
	}
	if _, err := g.h.admin.svc.Org(r.Context(), r.PathValue("did")); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	if _, err := g.h.admin.gov.Submit(ctx, p); err != nil {
		g.h.webFail(w, r, fmt.Errorf("%s: %w", p.TxType(), err))
		return
	}
	g.h.log.InfoContext(r.Context(), "governance transaction", "tx", string(p.TxType()), "org", r.PathValue("did"), "actor", "gov-console")
	g.done(w, r, what)
}

func (g *govWeb) accredit(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	a := accreditRequest{CredentialType: r.PostFormValue("type")}
	if a.CredentialType == issuer.TypeDegree {
		a.Levels = r.PostForm["level"]
	}
	if err := g.h.validate.Struct(a); err != nil || !slices.Contains(govAccreditable, a.CredentialType) {
		g.h.webFail(w, r, fmt.Errorf("%w: choose a credential type (and a degree's levels)", errMalformedRequest))
		return
	}
	g.submit(w, r, a.payload(r.PathValue("did")), "accredited")
}

func (g *govWeb) withdraw(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	t := r.PostFormValue("type")
	if !slices.Contains(govAccreditable, t) {
		g.h.webFail(w, r, fmt.Errorf("%w: unknown credential type", errMalformedRequest))
		return
	}
	g.submit(w, r, &chain.Withdraw{Issuer: r.PathValue("did"), CredentialType: t}, "withdrawn")
}

func govReasonOf(r *http.Request) (string, error) {
	v := strings.TrimSpace(r.PostFormValue("reason"))
	if v == "" || len(v) > 500 {
		return "", errGovReason
	}
	return v, nil
}

// statusChange submits a suspension or reinstatement with its reason.
func (g *govWeb) statusChange(change func(did, reason string) chain.Payload, what string) consoleHandler {
	return func(w http.ResponseWriter, r *http.Request, s *consoleSession) {
		why, err := govReasonOf(r)
		if err != nil {
			g.h.webFail(w, r, err)
			return
		}
		g.submit(w, r, change(r.PathValue("did"), why), what)
	}
}

func govSuspension(did, reason string) chain.Payload {
	return &chain.SuspendIssuer{Issuer: did, Reason: reason}
}

func govReinstatement(did, reason string) chain.Payload {
	return &chain.ReinstateIssuer{Issuer: did, Reason: reason}
}

func (g *govWeb) rotate(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	ctx, cancel := context.WithTimeout(r.Context(), issueTimeout)
	defer cancel()
	if _, err := g.h.admin.svc.RotateKey(ctx, r.PathValue("did")); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	g.done(w, r, "rotated")
}

func (g *govWeb) addStaff(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	req := newStaffRequest{Username: strings.TrimSpace(r.PostFormValue("username")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Password: r.PostFormValue("password"), Role: r.PostFormValue("role")}
	if err := g.h.validate.Struct(req); err != nil {
		g.h.webFail(w, r, formError(err))
		return
	}
	if _, err := g.h.admin.svc.AddStaff(r.Context(), r.PathValue("did"), issuer.NewStaff{Username: req.Username, Name: req.Name,
		Password: req.Password, Role: issuer.Role(req.Role)}); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	noteTarget(r, r.PathValue("did")+"/staff/"+req.Username)
	g.done(w, r, "staffAdded")
}

func (g *govWeb) createToken(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	name := strings.TrimSpace(r.PostFormValue("name"))
	var scopes []issuer.Scope
	for _, sc := range r.PostForm["scope"] {
		switch issuer.Scope(sc) {
		case issuer.ScopeIssue, issuer.ScopeStatus, issuer.ScopeRead:
			scopes = append(scopes, issuer.Scope(sc))
		}
	}
	if len(scopes) == 0 {
		g.h.webFail(w, r, errGovScopes)
		return
	}
	var ttl time.Duration
	if d := strings.TrimSpace(r.PostFormValue("days")); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil || n < 1 || n > 3650 {
			g.h.webFail(w, r, errGovDays)
			return
		}
		ttl = time.Duration(n) * 24 * time.Hour
	}
	secret, tok, err := g.h.admin.svc.CreateToken(r.Context(), r.PathValue("did"), issuer.NewToken{Name: name, Scopes: scopes, TTL: ttl})
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	noteTarget(r, r.PathValue("did")+"/tokens/"+tok.ID)
	p := g.h.page(w, r, "gov.home.title")
	g.h.showSecretOnce(w, r, s, pages.GovSecret{Label: p.Lang.F("gov.tokens.secret", tok.Name), Value: secret},
		govOrgHref(r.PathValue("did")), "tokenCreated")
}

func (g *govWeb) revokeToken(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := g.h.admin.svc.RevokeToken(r.Context(), r.PathValue("did"), r.PathValue("id")); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	g.done(w, r, "tokenRevoked")
}

func (g *govWeb) chain(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := g.page(w, r, "gov.chain.title")
	v := pages.GovChainView{NoStatus: g.h.web.cfg.ChainStatus == nil}
	if cs := g.h.web.cfg.ChainStatus; cs != nil {
		var err error
		if v.ChainID, v.Latest, err = cs.ChainID(r.Context()); err == nil {
			var blocks []BlockInfo
			if blocks, err = cs.Blocks(r.Context(), 15); err == nil {
				for _, b := range blocks {
					v.Blocks = append(v.Blocks, pages.GovBlock{Height: b.Height, Time: b.Time, Txs: b.Txs, Hash: b.Hash})
				}
				var vals []ValidatorInfo
				if vals, err = cs.Validators(r.Context()); err == nil {
					for _, x := range vals {
						v.Validators = append(v.Validators, pages.GovValidator{Address: x.Address, Power: x.Power})
					}
				}
			}
		}
		if err != nil {
			v.StatusError = p.Lang.F("issuer.record.chainError", err.Error())
		}
	}
	if err := g.anchors(r.Context(), p.Lang, &v); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	g.h.render(w, r, pages.GovChainPage(p, v))
}

// govRecentAnchors is how many anchors the chain page lists.
const govRecentAnchors = 20

// anchors fills the chain page's latest anchors over all organisations:
// one search of the chain's anchor events when ChainStatus can, else each
// organisation's anchors from the registry. A chain that cannot be read is
// said on the page; only the service's own failure is an error.
func (g *govWeb) anchors(ctx context.Context, lang i18n.Lang, v *pages.GovChainView) error {
	orgs, err := g.h.admin.svc.Orgs(ctx)
	if err != nil {
		return err
	}
	names := make(map[string]string, len(orgs))
	for _, o := range orgs {
		names[o.DID] = lang.Pick(o.Names.Zh, o.Names.En)
	}
	if as, ok := g.h.web.cfg.ChainStatus.(anchorSearcher); ok {
		list, err := as.RecentAnchors(ctx, govRecentAnchors)
		if err == nil {
			for _, a := range list {
				v.Anchors = append(v.Anchors, pages.GovAnchor{Root: a.Root, Org: a.Issuer, OrgName: cmp.Or(names[a.Issuer], a.Issuer),
					Count: a.Count, Height: a.Height, Time: a.Time})
			}
			return nil
		}
		g.h.log.WarnContext(ctx, "chain page: anchor search failed, reading each organisation's", "error", err.Error())
	}
	ch := g.h.web.cfg.Chain
	if ch == nil {
		return nil
	}
	for _, o := range orgs {
		var recs []chain.AnchorRecord
		if err := ch.List(ctx, chain.PathAnchors+o.DID, &recs); err != nil {
			if !errors.Is(err, chain.ErrNotFound) {
				v.ChainError = lang.F("issuer.record.chainError", err.Error())
			}
			continue
		}
		for _, a := range recs {
			v.Anchors = append(v.Anchors, pages.GovAnchor{Root: a.Root, Org: o.DID, OrgName: names[o.DID],
				Count: a.LeafCount, Height: a.Height, Time: a.Time})
		}
	}
	slices.SortFunc(v.Anchors, func(a, b pages.GovAnchor) int { return cmp.Compare(b.Height, a.Height) })
	v.Anchors = v.Anchors[:min(len(v.Anchors), govRecentAnchors)]
	return nil
}

func (g *govWeb) verifiers(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := g.page(w, r, "gov.verifiers.title")
	list, err := g.h.verifying.v.Accounts.Verifiers(r.Context())
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	var v pages.GovVerifiersView
	for _, a := range list {
		v.Verifiers = append(v.Verifiers, pages.GovVerifier{ID: a.ID, Name: a.Name, Policies: a.Policies, Created: a.Created, Revoked: a.Revoked})
	}
	v.Secret = g.h.shownSecret(r, s, &p, p.T("gov.secret.goneNext"))
	g.h.render(w, r, pages.GovVerifiersPage(p, v))
}

func (g *govWeb) createVerifier(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	req := NewVerifier{Name: strings.TrimSpace(r.PostFormValue("name")), Policies: r.PostFormValue("policies") != ""}
	if err := g.h.validate.Struct(req); err != nil {
		g.h.webFail(w, r, formError(err))
		return
	}
	tok, acct, err := g.h.verifying.v.Accounts.CreateVerifier(r.Context(), req)
	if err != nil {
		g.h.webFail(w, r, err)
		return
	}
	p := g.h.page(w, r, "gov.verifiers.title")
	g.h.showSecretOnce(w, r, s, pages.GovSecret{Label: p.Lang.F("gov.verifiers.secret", acct.Name), Value: tok},
		"/gov/verifiers", "verifierCreated")
}

func (g *govWeb) revokeVerifier(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	if err := g.h.verifying.v.Accounts.RevokeVerifier(r.Context(), r.PathValue("id")); err != nil {
		g.h.webFail(w, r, err)
		return
	}
	http.Redirect(w, r, "/gov/verifiers?done=verifierRevoked", http.StatusSeeOther)
}
