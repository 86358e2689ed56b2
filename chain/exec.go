package chain

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
)

// env is what a transaction may know about its block: never the wall clock.
type env struct {
	chainID string
	height  int64
	time    time.Time
}

// outcome is the effect of a successful transaction besides its writes.
type outcome struct {
	data   []byte
	events []abci.Event
}

// execute decodes raw and applies it to view, or returns why not. On error
// view may hold partial writes; callers execute in a child overlay and drop it.
func execute(view *overlay, e env, raw []byte) (outcome, *CodeError) {
	tx, err := DecodeTx(raw)
	if err != nil {
		return outcome{}, asCodeError(err)
	}
	if err := tx.verifySignatures(e.chainID); err != nil {
		return outcome{}, asCodeError(err)
	}
	x := &executor{view: view, env: e, tx: tx, raw: raw}
	var account string
	if tx.Type.Governance() {
		if ce := x.authorizeGovernance(); ce != nil {
			return outcome{}, ce
		}
		account = GovernanceSigner
	} else {
		did, ce := x.authorizeIssuer()
		if ce != nil {
			return outcome{}, ce
		}
		account = did
	}
	if ce := x.bumpSequence(account); ce != nil {
		return outcome{}, ce
	}
	var ce *CodeError
	switch p := tx.Payload.(type) {
	case *RegisterIssuer:
		ce = x.registerIssuer(p)
	case *Accredit:
		ce = x.accredit(p)
	case *Withdraw:
		ce = x.withdraw(p)
	case *SuspendIssuer:
		ce = x.changeStatus(p.Issuer, p.Reason, StatusSuspended, []string{StatusActive})
	case *ReinstateIssuer:
		ce = x.changeStatus(p.Issuer, p.Reason, StatusActive, []string{StatusSuspended})
	case *RemoveIssuer:
		ce = x.changeStatus(p.Issuer, p.Reason, StatusRemoved, []string{StatusActive, StatusSuspended})
	case *UpdateGovernance:
		ce = x.updateGovernance(p)
	case *RotateKey:
		ce = x.rotateKey(p)
	case *Anchor:
		ce = x.anchor(p)
	case *StatusUpdate:
		ce = x.statusUpdate(p)
	default:
		ce = errf(CodeUnknownType, "no handler for %s", tx.Type)
	}
	if ce != nil {
		return outcome{}, ce
	}
	x.attrs = append([]abci.EventAttribute{
		{Key: "type", Value: string(tx.Type), Index: true},
		{Key: "signer", Value: tx.Signer, Index: true},
	}, x.attrs...)
	return outcome{data: x.data, events: []abci.Event{{Type: "talentchain", Attributes: x.attrs}}}, nil
}

func asCodeError(err error) *CodeError {
	if ce, ok := err.(*CodeError); ok {
		return ce
	}
	return errf(CodeInternal, "%v", err)
}

type executor struct {
	view   *overlay
	env    env
	tx     *Tx
	raw    []byte
	issuer *Issuer // the signing issuer, for issuer transactions
	data   []byte
	attrs  []abci.EventAttribute
}

func (x *executor) load(key string, v any) bool {
	raw, ok := x.view.get(key)
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		// State written by this application always decodes; halting is
		// better than diverging.
		panic(fmt.Sprintf("chain: corrupt state at %q: %v", key, err))
	}
	return true
}

func (x *executor) store(key string, v any) {
	b, err := canonicalJSON(v)
	if err != nil {
		panic(fmt.Sprintf("chain: encode state %q: %v", key, err))
	}
	x.view.set(key, b)
}

func (x *executor) attr(k, v string) {
	x.attrs = append(x.attrs, abci.EventAttribute{Key: k, Value: v, Index: true})
}

func (x *executor) authorizeGovernance() *CodeError {
	var g Governance
	if ok := x.load(keyGovernance, &g); !ok {
		return errf(CodeInternal, "governance is not initialised")
	}
	for _, s := range x.tx.Signatures {
		if _, member := slices.BinarySearch(g.Members, s.Key); !member {
			return errf(CodeNotMember, "signature by %s, which is not a governance member", s.Key)
		}
	}
	if n := len(x.tx.Signatures); n < int(g.Threshold) {
		return errf(CodeInsufficientSignatures, "%d governance signatures, threshold is %d of %d", n, g.Threshold, len(g.Members))
	}
	return nil
}

// authorizeIssuer checks that the single signature is by the signer key of a
// registered issuer and that the key is valid at this height.
func (x *executor) authorizeIssuer() (string, *CodeError) {
	did, _, _ := SplitKeyID(x.tx.Signer)
	var is Issuer
	if ok := x.load(prefixIssuer+did, &is); !ok {
		return "", errf(CodeUnknownIssuer, "issuer %s is not registered", did)
	}
	k, ok := is.Key(x.tx.Signer)
	if !ok {
		return "", errf(CodeWrongSigner, "issuer %s has no key %s", did, x.tx.Signer)
	}
	if k.PublicKeyMultibase != x.tx.Signatures[0].Key {
		return "", errf(CodeWrongSigner, "signature is not by key %s", x.tx.Signer)
	}
	if !k.ValidAt(x.env.height) {
		if k.ValidUntilHeight != 0 && x.env.height > k.ValidUntilHeight {
			return "", errf(CodeKeyNotCurrent, "key %s was rotated out at height %d", k.ID, k.ValidUntilHeight)
		}
		return "", errf(CodeKeyNotCurrent, "key %s is valid from height %d", k.ID, k.ValidFromHeight)
	}
	x.issuer = &is
	return did, nil
}

func (x *executor) bumpSequence(account string) *CodeError {
	var a Account
	x.load(prefixAccount+account, &a)
	if x.tx.Sequence != a.Sequence+1 {
		return errf(CodeBadSequence, "account %s: sequence %d, want %d", account, x.tx.Sequence, a.Sequence+1)
	}
	a.Sequence++
	x.store(prefixAccount+account, a)
	return nil
}

func (x *executor) loadIssuer(did string) (*Issuer, *CodeError) {
	var is Issuer
	if ok := x.load(prefixIssuer+did, &is); !ok {
		return nil, errf(CodeUnknownIssuer, "issuer %s is not registered", did)
	}
	return &is, nil
}

func (x *executor) registerIssuer(p *RegisterIssuer) *CodeError {
	pub, _ := DecodePublicKey(p.PublicKey)
	did := IssuerDID(pub)
	if _, exists := x.view.get(prefixIssuer + did); exists {
		return errf(CodeConflict, "issuer %s is already registered", did)
	}
	if owner, used := x.view.get(prefixKeyOwner + p.PublicKey); used {
		return errf(CodeConflict, "key %s already belongs to %s", p.PublicKey, owner)
	}
	is := Issuer{
		DID: did, Names: p.Names, Kind: p.Kind, USCC: p.USCC, Status: StatusActive,
		Keys: []IssuerKey{{
			ID: KeyID(did, 1), PublicKeyMultibase: p.PublicKey,
			ValidFromHeight: x.env.height, ValidFromTime: x.env.time,
		}},
		StatusHistory:    []StatusChange{{Status: StatusActive, Height: x.env.height, Time: x.env.time}},
		RegisteredHeight: x.env.height, RegisteredTime: x.env.time,
	}
	x.store(prefixIssuer+did, is)
	x.view.set(prefixKeyOwner+p.PublicKey, []byte(did))
	x.data, _ = canonicalJSON(struct {
		DID   string `json:"did"`
		KeyID string `json:"keyId"`
	}{did, is.Keys[0].ID})
	x.attr("issuer", did)
	return nil
}

func (x *executor) accredit(p *Accredit) *CodeError {
	is, ce := x.loadIssuer(p.Issuer)
	if ce != nil {
		return ce
	}
	if is.Status == StatusRemoved {
		return errf(CodeIssuerNotActive, "issuer %s is removed", p.Issuer)
	}
	key := prefixAccr + p.Issuer + "/" + p.CredentialType
	a := Accreditation{Issuer: p.Issuer, CredentialType: p.CredentialType}
	x.load(key, &a)
	if g, ok := a.Active(); ok {
		g.WithdrawnHeight, g.WithdrawnTime = x.env.height, ptr(x.env.time)
	}
	a.Grants = append(a.Grants, Grant{Levels: p.Levels, GrantedHeight: x.env.height, GrantedTime: x.env.time})
	x.store(key, a)
	x.setAccrIndex(p.Issuer, p.CredentialType, true)
	x.attr("issuer", p.Issuer)
	x.attr("credential_type", p.CredentialType)
	return nil
}

func (x *executor) withdraw(p *Withdraw) *CodeError {
	if _, ce := x.loadIssuer(p.Issuer); ce != nil {
		return ce
	}
	key := prefixAccr + p.Issuer + "/" + p.CredentialType
	var a Accreditation
	x.load(key, &a)
	g, ok := a.Active()
	if !ok {
		return errf(CodeNotAccredited, "issuer %s is not accredited for %s", p.Issuer, p.CredentialType)
	}
	g.WithdrawnHeight, g.WithdrawnTime = x.env.height, ptr(x.env.time)
	x.store(key, a)
	x.setAccrIndex(p.Issuer, p.CredentialType, false)
	x.attr("issuer", p.Issuer)
	x.attr("credential_type", p.CredentialType)
	return nil
}

func (x *executor) changeStatus(did, reason, to string, from []string) *CodeError {
	is, ce := x.loadIssuer(did)
	if ce != nil {
		return ce
	}
	if !slices.Contains(from, is.Status) {
		return errf(CodeConflict, "issuer %s is %s; cannot become %s", did, is.Status, to)
	}
	is.Status = to
	is.StatusHistory = append(is.StatusHistory, StatusChange{Status: to, Height: x.env.height, Time: x.env.time, Reason: reason})
	x.store(prefixIssuer+did, is)
	x.attr("issuer", did)
	x.attr("status", to)
	return nil
}

func (x *executor) updateGovernance(p *UpdateGovernance) *CodeError {
	x.store(keyGovernance, Governance{Members: p.Members, Threshold: p.Threshold, UpdatedHeight: x.env.height})
	return nil
}

func (x *executor) rotateKey(p *RotateKey) *CodeError {
	is := x.issuer
	if is.Status == StatusRemoved {
		return errf(CodeIssuerNotActive, "issuer %s is removed", is.DID)
	}
	last := &is.Keys[len(is.Keys)-1]
	if last.ValidFromHeight > x.env.height {
		return errf(CodeConflict, "a rotation to %s is already pending in this block", last.ID)
	}
	if owner, used := x.view.get(prefixKeyOwner + p.NewPublicKey); used {
		return errf(CodeConflict, "key %s already belongs to %s", p.NewPublicKey, owner)
	}
	last.ValidUntilHeight, last.ValidUntilTime = x.env.height, ptr(x.env.time)
	next := IssuerKey{
		ID: KeyID(is.DID, len(is.Keys)+1), PublicKeyMultibase: p.NewPublicKey,
		ValidFromHeight: x.env.height + 1, ValidFromTime: x.env.time,
	}
	is.Keys = append(is.Keys, next)
	x.store(prefixIssuer+is.DID, is)
	x.view.set(prefixKeyOwner+p.NewPublicKey, []byte(is.DID))
	x.data, _ = canonicalJSON(struct {
		KeyID           string `json:"keyId"`
		ValidFromHeight int64  `json:"validFromHeight"`
	}{next.ID, next.ValidFromHeight})
	x.attr("issuer", is.DID)
	x.attr("key_id", next.ID)
	return nil
}

func (x *executor) anchor(p *Anchor) *CodeError {
	is := x.issuer
	if is.Status != StatusActive {
		return errf(CodeIssuerNotActive, "issuer %s is %s and may not anchor", is.DID, is.Status)
	}
	if len(p.CredentialTypes) == 0 {
		var idx accrIndex
		if x.load(prefixAccrIndex+is.DID, &idx); len(idx.Types) == 0 {
			return errf(CodeNotAccredited, "issuer %s holds no accreditation", is.DID)
		}
	}
	for _, ct := range p.CredentialTypes {
		var a Accreditation
		x.load(prefixAccr+is.DID+"/"+ct, &a)
		if _, ok := a.Active(); !ok {
			return errf(CodeNotAccredited, "issuer %s is not accredited for %s", is.DID, ct)
		}
	}
	if _, exists := x.view.get(prefixAnchor + p.Root); exists {
		return errf(CodeConflict, "root %s is already anchored", p.Root)
	}
	rec := AnchorRecord{
		Root: p.Root, Issuer: is.DID, KeyID: x.tx.Signer, LeafCount: p.LeafCount,
		BatchID: p.BatchID, CredentialTypes: p.CredentialTypes,
		Height: x.env.height, Time: x.env.time,
		TxHash: strings.ToUpper(hex.EncodeToString(TxHash(x.raw))),
	}
	x.store(prefixAnchor+p.Root, rec)
	x.view.set(prefixIssAnchor+is.DID+"/"+heightKey(x.env.height)+"/"+p.Root, []byte(p.Root))
	x.data, _ = canonicalJSON(rec)
	x.attr("issuer", is.DID)
	x.attr("root", p.Root)
	return nil
}

// accrIndex is the sorted list of credential types an issuer is accredited
// for now, kept so that anchoring needs no ordered scan of an overlay.
type accrIndex struct {
	Types []string `json:"types"`
}

func (x *executor) setAccrIndex(did, ct string, active bool) {
	var idx accrIndex
	x.load(prefixAccrIndex+did, &idx)
	i, found := slices.BinarySearch(idx.Types, ct)
	switch {
	case active && !found:
		idx.Types = slices.Insert(idx.Types, i, ct)
	case !active && found:
		idx.Types = slices.Delete(idx.Types, i, i+1)
	default:
		return
	}
	x.store(prefixAccrIndex+did, idx)
}

func (x *executor) statusUpdate(p *StatusUpdate) *CodeError {
	is := x.issuer
	if is.Status == StatusRemoved {
		return errf(CodeIssuerNotActive, "issuer %s is removed", is.DID)
	}
	key := prefixStatus + is.DID + "/" + p.ListID
	var l StatusList
	if ok := x.load(key, &l); ok {
		if l.Purpose != p.Purpose || l.Length != p.Length {
			return errf(CodeConflict, "list %s is %s of length %d, not %s of %d", p.ListID, l.Purpose, l.Length, p.Purpose, p.Length)
		}
	} else {
		l = StatusList{Issuer: is.DID, ListID: p.ListID, Purpose: p.Purpose, Length: p.Length,
			Bits: make([]byte, p.Length/8), CreatedHeight: x.env.height}
	}
	for _, i := range p.Set {
		l.setBit(i, true)
	}
	for _, i := range p.Clear {
		l.setBit(i, false)
	}
	l.UpdatedHeight, l.UpdatedTime = x.env.height, x.env.time
	x.store(key, l)
	x.attr("issuer", is.DID)
	x.attr("list_id", p.ListID)
	return nil
}

func ptr[T any](v T) *T { return &v }
