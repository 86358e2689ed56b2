package issuer

import (
	"context"
	"crypto"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/store"
)

// Format is the data model and proof of an issued credential.
type Format string

// Formats.
const (
	// FormatV2 is VC Data Model 2.0 with a DataIntegrityProof,
	// eddsa-rdfc-2022 (the default).
	FormatV2 Format = "vc2"
	// FormatV1 is VC Data Model 1.1 with Ed25519Signature2020.
	FormatV1 Format = "vc1"
)

// Request is a request to issue one credential.
type Request struct {
	// Template names the template (see Templates); or give Type and the
	// template follows from it (a degree's from its level).
	Template string `json:"template,omitempty"`
	Type     string `json:"type,omitempty"`
	// Subject holds the claims about the holder, checked against the
	// template's JSON Schema.
	Subject map[string]any `json:"credentialSubject"`
	// Holder is the holder's DID (did:key), the subject's id; optional.
	Holder string `json:"holder,omitempty"`
	// ValidFrom defaults to now; ValidUntil is optional.
	ValidFrom  time.Time `json:"validFrom,omitzero"`
	ValidUntil time.Time `json:"validUntil,omitzero"`
	// Format defaults to FormatV2 ("ldp_vc" is the same); FormatSDJWT (or
	// "vc+sd-jwt") issues an SD-JWT VC (sdjwt.go).
	Format Format `json:"format,omitempty"`
	// IdempotencyKey, when set, makes a repeated request with the same key
	// return the credential the first one issued (a CSV row's key).
	IdempotencyKey string `json:"idempotencyKey,omitempty"`

	// holderPub is Holder's public key once resolved (holderPubOf names
	// the DID it is for), so that validating and signing an SD-JWT VC, or
	// a rebind at delivery whose proof gave the key, resolve it once.
	holderPub   crypto.PublicKey
	holderPubOf string
}

// holderKey returns the key an SD-JWT VC is bound to: the holder's, resolved
// on first use and kept with the request.
func (r *Request) holderKey(ctx context.Context) (crypto.PublicKey, error) {
	if r.holderPub != nil && r.holderPubOf == r.Holder {
		return r.holderPub, nil
	}
	pub, err := holderKey(ctx, r.Holder)
	if err != nil {
		return nil, err
	}
	r.holderPub, r.holderPubOf = pub, r.Holder
	return pub, nil
}

// Status is a credential's status.
type Status string

// Statuses.
const (
	StatusActive    Status = "active"
	StatusRevoked   Status = "revoked"
	StatusSuspended Status = "suspended"
)

// Record is an issued credential as the issuer keeps it.
type Record struct {
	ID       string `json:"id"`
	Org      string `json:"org"`
	Type     string `json:"type"`
	Template string `json:"template"`
	// Format is the credential's format: FormatV2, FormatV1 or FormatSDJWT
	// (empty in records written before formats were recorded: FormatV2 or
	// FormatV1).
	Format Format `json:"format,omitempty"`
	// Credential is the credential's JSON: an object, or for an SD-JWT VC
	// a string holding its compact form with every disclosure.
	Credential json.RawMessage           `json:"credential"`
	Receipt    *credential.AnchorReceipt `json:"receipt,omitempty"` // nil until anchored
	Status     Status                    `json:"status"`
	StatusList int                       `json:"statusList"`  // list number
	StatusIdx  int                       `json:"statusIndex"` // index in both lists
	Issued     time.Time                 `json:"issued"`
	StatusNote string                    `json:"statusReason,omitempty"`
	// ReplacedBy is set on a credential issued without a holder once a
	// wallet took it through a claim offer with a proof of possession: the
	// holder received a new credential bound to their key (that id), and
	// this one, which never left the issuer, was revoked. Replaces is the
	// other direction, on the delivered credential.
	ReplacedBy string `json:"replacedBy,omitempty"`
	Replaces   string `json:"replaces,omitempty"`
}

// credRecord is the stored form: Record without the receipt (stored apart,
// so anchoring never rewrites a record a status change is updating).
type credRecord struct {
	Record
	Digest string `json:"digest"`
	// Holder is the holder's DID the credential was issued to, if any.
	Holder string `json:"holder,omitempty"`
	// Request is the request of a credential issued without a holder, kept
	// to issue it again bound to the key a wallet proves at delivery
	// (RedeemCredential). It holds no more than the credential does.
	Request *Request `json:"request,omitempty"`
}

// pendingRecord marks a credential waiting for its anchor.
type pendingRecord struct {
	Digest string `json:"digest"`
	Type   string `json:"type"`
}

// Validate checks a request without issuing anything (a dry run): the
// template, the schema of the subject, the holder and the validity period.
func (s *Service) Validate(req *Request) error {
	_, err := s.check(req)
	return err
}

func (s *Service) check(req *Request) (*Template, error) {
	tm, err := s.tmpl.resolve(req)
	if err != nil {
		return nil, err
	}
	if req.Subject == nil {
		return nil, invalid("/credentialSubject", "is required", "缺少凭证主体（credentialSubject）")
	}
	subj := req.Subject
	if id, ok := subj["id"]; ok {
		if req.Holder != "" && id != req.Holder {
			return nil, invalid("/credentialSubject/id", "differs from holder", "与持有人（holder）不一致")
		}
	}
	if err := tm.validate(subj); err != nil {
		return nil, err
	}
	if req.Holder != "" && (!strings.HasPrefix(req.Holder, "did:") || len(req.Holder) > 512) {
		return nil, invalid("/holder", "must be a DID", "必须是一个 DID（如 did:key:…）")
	}
	if !req.ValidUntil.IsZero() && !req.ValidFrom.IsZero() && !req.ValidUntil.After(req.ValidFrom) {
		return nil, invalid("/validUntil", "must be after validFrom", "有效期截止日期必须晚于起始日期")
	}
	switch req.Format {
	case "", FormatV2, FormatV1, FormatLDP:
	case FormatSDJWT, FormatSDJWTLegacy:
		if req.Holder != "" {
			if _, err := req.holderKey(context.Background()); err != nil {
				return nil, invalid("/holder", err.Error(), "SD-JWT 凭证需绑定持有人的密钥：持有人必须是可读取密钥的 did:key 或 did:jwk")
			}
		}
	default:
		return nil, invalid("/format", "must be vc2 (or ldp_vc), vc1, dc+sd-jwt or vc+sd-jwt", "格式必须是 vc2（或 ldp_vc）、vc1、dc+sd-jwt 或 vc+sd-jwt")
	}
	if len(req.IdempotencyKey) > 200 {
		return nil, invalid("/idempotencyKey", "at most 200 characters", "最多 200 个字符")
	}
	return tm, nil
}

// Issue issues one credential for the organisation and returns it once it
// is anchored on chain, with its receipt (within a block or two of the
// batch delay). If ctx ends before the anchor is confirmed, the record is
// returned with an error wrapping ErrAnchorPending: it is stored and will be
// anchored.
func (s *Service) Issue(ctx context.Context, org string, req *Request) (*Record, error) {
	recs, err := s.issue(ctx, org, []*Request{req}, true)
	if len(recs) == 0 {
		return nil, err
	}
	return recs[0], err
}

// Submit issues one credential and returns at once, before it is anchored:
// its record gets its receipt when the batch is anchored (Credential).
func (s *Service) Submit(ctx context.Context, org string, req *Request) (*Record, error) {
	recs, err := s.issue(ctx, org, []*Request{req}, false)
	if len(recs) == 0 {
		return nil, err
	}
	return recs[0], err
}

// IssueBatch issues many credentials (a graduating class): every request is
// validated first and nothing is signed if one fails (a *BatchError names
// them); then all are signed in parallel, stored, and anchored together,
// the call returning when all are anchored (or ErrAnchorPending).
func (s *Service) IssueBatch(ctx context.Context, org string, reqs []*Request) ([]*Record, error) {
	return s.issue(ctx, org, reqs, true)
}

// BatchError lists the requests of a batch that failed validation.
type BatchError struct {
	Items map[int]error // by request index
}

func (e *BatchError) Error() string {
	return fmt.Sprintf("%d of the requests are invalid", len(e.Items))
}

// Is makes a BatchError match ErrInvalid.
func (e *BatchError) Is(target error) bool { return target == ErrInvalid }

type prepared struct {
	req  *Request
	tmpl *Template
	rec  *credRecord
	key  string // idempotency store key, if any
	dup  bool   // an earlier request with the key issued it
}

func (s *Service) issue(ctx context.Context, org string, reqs []*Request, wait bool) ([]*Record, error) {
	return s.issueRows(ctx, org, reqs, wait, false)
}

// issueRows is issue; validated says the requests passed check already
// (a CSV job's stored rows): only their template is looked up again.
func (s *Service) issueRows(ctx context.Context, org string, reqs []*Request, wait, validated bool) ([]*Record, error) {
	if len(reqs) == 0 {
		return nil, nil
	}
	st, o, err := s.state(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("issue: %w", err)
	}
	items := make([]*prepared, len(reqs))
	bad := map[int]error{}
	for i, r := range reqs {
		var tm *Template
		if validated {
			tm, err = s.tmpl.resolve(r)
		} else {
			tm, err = s.check(r)
		}
		if err != nil {
			bad[i] = err
			continue
		}
		items[i] = &prepared{req: r, tmpl: tm}
	}
	if len(bad) > 0 {
		if len(reqs) == 1 {
			return nil, fmt.Errorf("issue: %w", bad[0])
		}
		return nil, fmt.Errorf("issue: %w", &BatchError{Items: bad})
	}
	if err := s.checkChain(ctx, o, items); err != nil {
		return nil, fmt.Errorf("issue: %w", err)
	}
	// Idempotency: requests whose key already issued return that record.
	var fresh []*prepared
	for _, it := range items {
		if it.req.IdempotencyKey != "" {
			it.key = "idem/" + org + "/" + it.req.IdempotencyKey
			id, err := s.st.Get(ctx, it.key)
			if err == nil {
				rec, err := s.load(ctx, string(id))
				if err != nil {
					return nil, fmt.Errorf("issue: idempotency key: %w", err)
				}
				it.rec, it.dup = rec, true
				continue
			}
			if !errors.Is(err, store.ErrNotFound) {
				return nil, fmt.Errorf("issue: %w", err)
			}
		}
		fresh = append(fresh, it)
	}
	var pendingErr error
	if len(fresh) > 0 {
		if err := s.signAndStore(ctx, st, o, fresh, wait); err != nil {
			if !errors.Is(err, ErrAnchorPending) {
				return nil, err
			}
			// Stored and signed, not anchored yet: return the records.
			pendingErr = err
		}
	}
	out := make([]*Record, len(items))
	var pending []*Record
	for i, it := range items {
		rec := it.rec.Record
		out[i] = &rec
		if it.dup && rec.Receipt == nil {
			pending = append(pending, out[i])
		}
	}
	if wait && len(pending) > 0 {
		// Re-read records issued by an earlier run: they may be anchored by now.
		for _, r := range pending {
			if rc, err := s.load(ctx, r.ID); err == nil {
				*r = rc.Record
			}
		}
	}
	return out, pendingErr
}

// checkChain refuses issuance when the organisation is not active on chain
// or not accredited for a type (and level).
func (s *Service) checkChain(ctx context.Context, o *Org, items []*prepared) error {
	if !o.Registered {
		return fmt.Errorf("%w: %s is not registered on chain", ErrIssuerNotActive, o.DID)
	}
	is, err := s.chain.Issuer(ctx, o.DID)
	if errors.Is(err, chain.ErrNotFound) {
		return fmt.Errorf("%w: %s is not registered on chain", ErrIssuerNotActive, o.DID)
	}
	if err != nil {
		return fmt.Errorf("read issuer from chain: %w", err)
	}
	if is.Status != chain.StatusActive {
		return fmt.Errorf("%w: %s is %s", ErrIssuerNotActive, o.DID, is.Status)
	}
	seen := map[string]*chain.Grant{}
	for _, it := range items {
		typ := it.tmpl.Type
		g, ok := seen[typ]
		if !ok {
			a, err := s.chain.Accreditation(ctx, o.DID, typ)
			if err != nil && !errors.Is(err, chain.ErrNotFound) {
				return fmt.Errorf("read accreditation from chain: %w", err)
			}
			if err == nil {
				g, _ = a.Active()
			}
			seen[typ] = g
		}
		if g == nil {
			return fmt.Errorf("%w: %s", ErrNotAccredited, typ)
		}
		if it.tmpl.Level != "" && len(g.Levels) > 0 && !contains(g.Levels, it.tmpl.Level) {
			return fmt.Errorf("%w: %s at level %s (accredited: %s)", ErrNotAccredited, typ, it.tmpl.Level, strings.Join(g.Levels, ", "))
		}
	}
	return nil
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// signAndStore allocates status indexes, signs in parallel, stores the
// records with their pending marks, and hands the digests to the batcher;
// with wait it returns when all are anchored.
func (s *Service) signAndStore(ctx context.Context, st *orgState, o *Org, items []*prepared, wait bool) error {
	last, err := s.st.Incr(ctx, "alloc/"+o.DID, int64(len(items)))
	if err != nil {
		return fmt.Errorf("issue: allocate status indexes: %w", err)
	}
	first := int(last) - len(items)
	now := s.cfg.Now().UTC().Truncate(time.Second)

	st.keyMu.RLock()
	locked := true
	unlock := func() {
		if locked {
			st.keyMu.RUnlock()
			locked = false
		}
	}
	defer unlock()
	signer, jws := st.signer, st.jws

	errs := make([]error, len(items))
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(s.cfg.Workers, len(items)) {
		wg.Go(func() {
			for i := range next {
				items[i].rec, errs[i] = s.build(signer, jws, o, items[i], first+i, now)
			}
		})
	}
	for i := range items {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			if len(items) == 1 {
				return fmt.Errorf("issue: %w", err)
			}
			return fmt.Errorf("issue: request %d: %w", i, err)
		}
	}

	// Store in chunks: the record, its index entry, its pending mark, its
	// idempotency key.
	const chunk = store.MaxOps / 4
	for start := 0; start < len(items); start += chunk {
		var ops []store.Op
		for _, it := range items[start:min(start+chunk, len(items))] {
			rops, err := recordOps(it.rec, true, it.req.Subject)
			if err != nil {
				return fmt.Errorf("issue: %w", err)
			}
			pend, _ := json.Marshal(pendingRecord{Digest: it.rec.Digest, Type: it.rec.Type})
			ops = append(ops, rops...)
			ops = append(ops, store.OpPut("pending/"+o.DID+"/"+it.rec.ID, pend, 0))
			if it.key != "" {
				ops = append(ops, store.OpCreate(it.key, []byte(it.rec.ID), 0))
			}
		}
		if err := s.st.Apply(ctx, ops...); err != nil {
			if errors.Is(err, store.ErrExists) {
				return fmt.Errorf("issue: %w: an idempotency key was used concurrently; retry", ErrConflict)
			}
			return fmt.Errorf("issue: store: %w", err)
		}
	}

	waits := make([]*anchorItem, len(items))
	for i, it := range items {
		d, _ := hex.DecodeString(it.rec.Digest)
		ai := &anchorItem{id: it.rec.ID, typ: it.rec.Type, done: make(chan anchorResult, 1)}
		copy(ai.digest[:], d)
		waits[i] = ai
		if err := st.batch.add(ctx, ai); err != nil {
			return fmt.Errorf("issue: %w: %w", ErrAnchorPending, err)
		}
	}
	unlock()
	if !wait {
		return nil
	}
	for i, ai := range waits {
		select {
		case r := <-ai.done:
			if r.err != nil {
				return fmt.Errorf("issue: %w: %w", ErrAnchorPending, r.err)
			}
			items[i].rec.Receipt = r.receipt
		case <-ctx.Done():
			return fmt.Errorf("issue: %w: %w", ErrAnchorPending, ctx.Err())
		}
	}
	return nil
}

// build makes and signs one credential: with signer (Data Integrity or
// Ed25519Signature2020) or, for an SD-JWT VC, with jws.
func (s *Service) build(signer *credential.Signer, jws *jose.Signer, o *Org, it *prepared, index int, now time.Time) (*credRecord, error) {
	listLen := chain.MinStatusListLen
	list, pos := index/listLen, index%listLen
	id, err := newURN()
	if err != nil {
		return nil, err
	}
	var rec *credRecord
	if it.req.Format.isSDJWT() {
		rec, err = s.buildSDJWT(jws, o, it, id, list, pos, now)
	} else {
		rec, err = s.buildLDP(signer, o, it, id, list, pos, now)
	}
	if err != nil {
		return nil, err
	}
	rec.Holder = it.req.Holder
	if rec.Holder == "" {
		req := *it.req
		req.IdempotencyKey = ""
		rec.Request = &req
	}
	return rec, nil
}

// buildLDP makes and signs one W3C credential.
func (s *Service) buildLDP(signer *credential.Signer, o *Org, it *prepared, id string, list, pos int, now time.Time) (*credRecord, error) {
	subject := maps.Clone(it.req.Subject)
	if it.req.Holder != "" {
		subject["id"] = it.req.Holder
	}
	revURL := s.statusURL(o.DID, listID(chain.PurposeRevocation, list))
	susURL := s.statusURL(o.DID, listID(chain.PurposeSuspension, list))
	validFrom := it.req.ValidFrom
	if validFrom.IsZero() {
		validFrom = now
	}
	doc := map[string]any{
		"id":                id,
		"type":              []any{"VerifiableCredential", it.tmpl.Type},
		"issuer":            o.DID,
		"credentialSubject": subject,
		"credentialStatus": []any{
			credential.NewStatusEntry(revURL, credential.StatusRevocation, pos).Map(),
			credential.NewStatusEntry(susURL, credential.StatusSuspension, pos).Map(),
		},
	}
	format := FormatV2
	if it.req.Format == FormatV1 {
		format = FormatV1
		doc["@context"] = []any{credential.ContextV1, credential.ContextEd25519_2020, credential.ContextStatusList, credential.ContextTalentChainV1}
		doc["issuanceDate"] = validFrom.UTC().Format(time.RFC3339)
		if !it.req.ValidUntil.IsZero() {
			doc["expirationDate"] = it.req.ValidUntil.UTC().Format(time.RFC3339)
		}
	} else {
		doc["@context"] = []any{credential.ContextV2, credential.ContextTalentChainV1}
		doc["validFrom"] = validFrom.UTC().Format(time.RFC3339)
		if !it.req.ValidUntil.IsZero() {
			doc["validUntil"] = it.req.ValidUntil.UTC().Format(time.RFC3339)
		}
	}
	signed, err := signer.SignCredential(doc, now)
	if err != nil {
		var ie *credential.InputError
		if errors.As(err, &ie) {
			return nil, invalid("/"+strings.ReplaceAll(ie.Field, ".", "/"), ie.Reason, "无法签入凭证："+ie.Reason)
		}
		return nil, fmt.Errorf("sign: %w", err)
	}
	digest, err := credential.CredentialDigest(signed)
	if err != nil {
		return nil, fmt.Errorf("digest: %w", err)
	}
	raw, err := json.Marshal(signed)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return &credRecord{
		Record: Record{
			ID: id, Org: o.DID, Type: it.tmpl.Type, Template: it.tmpl.ID, Format: format, Credential: raw,
			Status: StatusActive, StatusList: list, StatusIdx: pos, Issued: now,
		},
		Digest: hex.EncodeToString(digest[:]),
	}, nil
}

// listID names an organisation's status list: "rev-0", "sus-0", "rev-1"…
func listID(purpose string, n int) string {
	if purpose == chain.PurposeSuspension {
		return fmt.Sprintf("sus-%d", n)
	}
	return fmt.Sprintf("rev-%d", n)
}

func (s *Service) statusURL(did, list string) string {
	return s.cfg.BaseURL + "/status/" + did + "/" + list
}

func newURN() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("credential id: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return "urn:uuid:" + h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// Credential returns one of the organisation's credentials with its receipt
// (nil until anchored). Another organisation's credential is ErrNotFound.
func (s *Service) Credential(ctx context.Context, org, id string) (*Record, error) {
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Org != org {
		return nil, fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	return &rec.Record, nil
}

// load reads a credential record and its receipt.
func (s *Service) load(ctx context.Context, id string) (*credRecord, error) {
	raw, err := s.st.Get(ctx, "cred/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("credential %s: %w", id, err)
	}
	var rec credRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("credential %s: decode: %w", id, err)
	}
	raw, err = s.st.Get(ctx, "receipt/"+id)
	switch {
	case err == nil:
		var r credential.AnchorReceipt
		if err := json.Unmarshal(raw, &r); err != nil {
			return nil, fmt.Errorf("credential %s: decode receipt: %w", id, err)
		}
		rec.Receipt = &r
	case !errors.Is(err, store.ErrNotFound):
		return nil, fmt.Errorf("credential %s: receipt: %w", id, err)
	}
	return &rec, nil
}
