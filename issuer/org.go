package issuer

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/store"
)

// Names are an organisation's display names.
type Names struct {
	Zh string `json:"zh"`
	En string `json:"en"`
}

// Organisation kinds, as the chain knows them.
const (
	KindUniversity  = chain.KindUniversity
	KindSciencePark = chain.KindSciencePark
	KindTrainingOrg = chain.KindTrainingOrg
)

// Org is an issuer organisation. Its DID is the chain's did:talent derived
// from its first key, so it is known before registration.
type Org struct {
	DID        string    `json:"did"`
	Names      Names     `json:"names"`
	Kind       string    `json:"kind"`
	USCC       string    `json:"uscc,omitempty"`
	Keys       []Key     `json:"keys"`       // every key it held, oldest first
	CurrentKey string    `json:"currentKey"` // id of the key that signs now
	Registered bool      `json:"registered"` // registered on chain
	Created    time.Time `json:"created"`
}

// Key is the public part of one of an organisation's signing keys; the
// private key never leaves the service and is stored sealed.
type Key struct {
	ID                 string    `json:"id"` // did:talent:…#key-n
	PublicKeyMultibase string    `json:"publicKeyMultibase"`
	Created            time.Time `json:"created"`
	// RotatedOut is when a rotation replaced it (zero: current or never used).
	RotatedOut time.Time `json:"rotatedOut,omitzero"`
}

// NewOrg is a request to create an organisation.
type NewOrg struct {
	Names Names  `json:"names" validate:"required"`
	Kind  string `json:"kind" validate:"required,oneof=university science_park training_org"`
	USCC  string `json:"uscc,omitempty"`
}

func (r *NewOrg) check() error {
	var v ValidationError
	if r.Names.Zh == "" {
		v.Fields = append(v.Fields, FieldError{"/names/zh", "is required", "必填"})
	}
	if r.Names.En == "" {
		v.Fields = append(v.Fields, FieldError{"/names/en", "is required", "必填"})
	}
	switch r.Kind {
	case KindUniversity, KindSciencePark, KindTrainingOrg:
	default:
		v.Fields = append(v.Fields, FieldError{"/kind", "must be university, science_park or training_org", "机构类型必须是 university（高校）、science_park（科技园区）或 training_org（培训机构）"})
	}
	if r.USCC != "" && !chain.ValidUSCC(r.USCC) {
		v.Fields = append(v.Fields, FieldError{"/uscc", "is not a valid unified social credit code", "不是有效的统一社会信用代码"})
	}
	if len(v.Fields) > 0 {
		return &v
	}
	return nil
}

// CreateOrg creates an organisation with a new signing key (sealed in the
// store) and, when the service has a Governance, registers it on chain. Without
// one, or when registration fails, the organisation exists with Registered
// false and Register can be called again.
func (s *Service) CreateOrg(ctx context.Context, req NewOrg) (*Org, error) {
	if err := req.check(); err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("create organisation: generate key: %w", err)
	}
	did := chain.IssuerDID(pub)
	now := s.cfg.Now().UTC()
	keyID := chain.KeyID(did, 1)
	org := &Org{
		DID: did, Names: req.Names, Kind: req.Kind, USCC: req.USCC, Created: now,
		Keys:       []Key{{ID: keyID, PublicKeyMultibase: chain.EncodePublicKey(pub), Created: now}},
		CurrentKey: keyID,
	}
	sealed, err := s.sealKey(keyID, priv)
	if err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	raw, err := json.Marshal(org)
	if err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	if err := s.st.Apply(ctx, store.OpCreate("key/"+keyID, sealed, 0), store.OpCreate("org/"+did, raw, 0)); err != nil {
		return nil, fmt.Errorf("create organisation: %w", err)
	}
	s.log.Info("organisation created", slog.String("did", did), slog.String("kind", req.Kind))
	if s.gov == nil {
		return org, nil
	}
	if err := s.Register(ctx, did); err != nil {
		return org, fmt.Errorf("create organisation %s: %w", did, err)
	}
	return s.Org(ctx, did)
}

// Register registers the organisation on chain through governance with its
// first key. Registering an organisation the chain already knows only
// marks it registered.
func (s *Service) Register(ctx context.Context, did string) error {
	org, err := s.Org(ctx, did)
	if err != nil {
		return err
	}
	if s.gov == nil {
		return fmt.Errorf("register %s: %w: this deployment has no governance key; governance must register it", did, ErrForbidden)
	}
	if !org.Registered {
		_, err := s.gov.Submit(ctx, &chain.RegisterIssuer{
			Kind: org.Kind, Names: chain.Names{En: org.Names.En, Zh: org.Names.Zh},
			PublicKey: org.Keys[0].PublicKeyMultibase, USCC: org.USCC,
		})
		var ce *chain.CodeError
		if err != nil && !(errors.As(err, &ce) && ce.Code == chain.CodeConflict) {
			return fmt.Errorf("register %s on chain: %w", did, err)
		}
	}
	return s.updateOrg(ctx, did, func(o *Org) { o.Registered = true })
}

// Org returns an organisation.
func (s *Service) Org(ctx context.Context, did string) (*Org, error) {
	raw, err := s.st.Get(ctx, "org/"+did)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("organisation %s: %w", did, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("organisation %s: %w", did, err)
	}
	var o Org
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, fmt.Errorf("organisation %s: decode: %w", did, err)
	}
	return &o, nil
}

// Orgs lists the organisations, by DID.
func (s *Service) Orgs(ctx context.Context) ([]*Org, error) {
	var out []*Org
	err := store.Each(ctx, s.st, "org/", store.ScanOptions{}, func(e store.Entry) error {
		var o Org
		if err := json.Unmarshal(e.Value, &o); err != nil {
			return fmt.Errorf("decode: %w", err)
		}
		out = append(out, &o)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list organisations: %w", err)
	}
	return out, nil
}

func (s *Service) updateOrg(ctx context.Context, did string, f func(*Org)) error {
	o, err := s.Org(ctx, did)
	if err != nil {
		return err
	}
	f(o)
	raw, err := json.Marshal(o)
	if err != nil {
		return fmt.Errorf("organisation %s: %w", did, err)
	}
	if err := s.st.Put(ctx, "org/"+did, raw, 0); err != nil {
		return fmt.Errorf("organisation %s: %w", did, err)
	}
	return nil
}

func keyAAD(keyID string) []byte { return []byte("issuer/key/" + keyID) }

func (s *Service) sealKey(keyID string, priv ed25519.PrivateKey) ([]byte, error) {
	sealed, err := s.keys.Seal(priv.Seed(), keyAAD(keyID))
	if err != nil {
		return nil, fmt.Errorf("seal key %s: %w", keyID, err)
	}
	return sealed, nil
}

func (s *Service) openKey(ctx context.Context, keyID string) (ed25519.PrivateKey, error) {
	sealed, err := s.st.Get(ctx, "key/"+keyID)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	seed, err := s.keys.Open(sealed, keyAAD(keyID))
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", keyID, err)
	}
	defer clear(seed)
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("key %s: sealed seed has %d bytes", keyID, len(seed))
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// state returns the organisation's in-memory state, loading its current key.
func (s *Service) state(ctx context.Context, did string) (*orgState, *Org, error) {
	org, err := s.Org(ctx, did)
	if err != nil {
		return nil, nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, nil, ErrClosed
	}
	if st, ok := s.orgs[did]; ok {
		return st, org, nil
	}
	priv, err := s.openKey(ctx, org.CurrentKey)
	if err != nil {
		return nil, nil, err
	}
	st := &orgState{did: did}
	if err := st.setKey(s.loader, did, org.CurrentKey, priv); err != nil {
		return nil, nil, err
	}
	st.batch = s.startBatcher(st)
	s.orgs[did] = st
	return st, org, nil
}

func (st *orgState) setKey(loader *credential.Loader, did, keyID string, priv ed25519.PrivateKey) error {
	signer, err := credential.NewSigner(loader, &credential.KeyPair{
		ID: keyID, Controller: did, Public: priv.Public().(ed25519.PublicKey), Private: priv,
	})
	if err != nil {
		return fmt.Errorf("signer of %s: %w", keyID, err)
	}
	jws, err := jose.NewSigner(priv, keyID)
	if err != nil {
		return fmt.Errorf("JOSE signer of %s: %w", keyID, err)
	}
	st.signer, st.jws, st.txKey, st.txKeyID = signer, jws, priv, keyID
	return nil
}

// RotateKey replaces the organisation's signing key: it anchors what is
// pending with the old key, then submits issuer.rotate_key signed by the old
// key. The chain keeps the old key with its validity window, so credentials
// it signed stay valid; from the next block only the new key may sign.
func (s *Service) RotateKey(ctx context.Context, did string) (*Key, error) {
	st, org, err := s.state(ctx, did)
	if err != nil {
		return nil, fmt.Errorf("rotate key of %s: %w", did, err)
	}
	st.keyMu.Lock()
	defer st.keyMu.Unlock()
	if err := s.flush(ctx, st); err != nil {
		return nil, fmt.Errorf("rotate key of %s: anchor pending credentials first: %w", did, err)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("rotate key of %s: %w", did, err)
	}
	keyID := chain.KeyID(did, len(org.Keys)+1)
	sealed, err := s.sealKey(keyID, priv)
	if err != nil {
		return nil, err
	}
	// The sealed key is stored before the chain learns it, so a crash
	// after the rotation commits never loses the only valid key.
	if err := s.st.Put(ctx, "key/"+keyID, sealed, 0); err != nil {
		return nil, fmt.Errorf("rotate key of %s: %w", did, err)
	}
	st.txMu.Lock()
	defer st.txMu.Unlock()
	if _, err := s.submitLocked(ctx, st, &chain.RotateKey{NewPublicKey: chain.EncodePublicKey(pub)}); err != nil {
		return nil, fmt.Errorf("rotate key of %s: %w", did, err)
	}
	now := s.cfg.Now().UTC()
	k := Key{ID: keyID, PublicKeyMultibase: chain.EncodePublicKey(pub), Created: now}
	if err := s.updateOrg(ctx, did, func(o *Org) {
		for i := range o.Keys {
			if o.Keys[i].ID == o.CurrentKey {
				o.Keys[i].RotatedOut = now
			}
		}
		o.Keys = append(o.Keys, k)
		o.CurrentKey = keyID
	}); err != nil {
		return nil, fmt.Errorf("rotate key of %s: the chain rotated, the record did not: %w", did, err)
	}
	if err := st.setKey(s.loader, did, keyID, priv); err != nil {
		return nil, err
	}
	s.log.Info("issuer key rotated", slog.String("did", did), slog.String("key", keyID))
	return &k, nil
}

// submitLocked signs p with the organisation's current key and submits it
// with the next sequence, retrying when the sequence was stale. The caller
// holds st.txMu.
func (s *Service) submitLocked(ctx context.Context, st *orgState, p chain.Payload) (chain.Receipt, error) {
	var last error
	for attempt := range 6 {
		if st.seq == 0 {
			seq, err := s.chain.Sequence(ctx, st.did)
			if err != nil {
				return chain.Receipt{}, fmt.Errorf("sequence of %s: %w", st.did, err)
			}
			st.seq = seq
		}
		tx := chain.NewTx(p, st.txKeyID, st.seq+1)
		if err := tx.Sign(s.cfg.ChainID, st.txKey); err != nil {
			return chain.Receipt{}, fmt.Errorf("sign %s: %w", p.TxType(), err)
		}
		raw, err := tx.Encode()
		if err != nil {
			return chain.Receipt{}, fmt.Errorf("encode %s: %w", p.TxType(), err)
		}
		r, err := s.chain.Submit(ctx, raw)
		if err == nil {
			st.seq++
			return r, nil
		}
		var ce *chain.CodeError
		if !errors.As(err, &ce) {
			st.seq = 0 // unknown outcome: ask the chain next time
			return r, fmt.Errorf("%s: %w", p.TxType(), err)
		}
		if ce.Code != chain.CodeBadSequence {
			return r, fmt.Errorf("%s: %w", p.TxType(), chainError(ce))
		}
		last, st.seq = err, 0
		if err := sleepCtx(ctx, time.Duration(attempt+1)*50*time.Millisecond); err != nil {
			return r, fmt.Errorf("%s: %w", p.TxType(), err)
		}
	}
	return chain.Receipt{}, fmt.Errorf("%s: sequence kept moving: %w", p.TxType(), last)
}

// chainError maps a chain refusal to the service's errors, keeping the cause.
func chainError(ce *chain.CodeError) error {
	switch ce.Code {
	case chain.CodeNotAccredited:
		return fmt.Errorf("%w: %w", ErrNotAccredited, ce)
	case chain.CodeIssuerNotActive, chain.CodeUnknownIssuer:
		return fmt.Errorf("%w: %w", ErrIssuerNotActive, ce)
	}
	return ce
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func defaultWorkers() int { return runtime.GOMAXPROCS(0) }
