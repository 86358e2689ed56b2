package wallet

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
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// Share link limits.
const (
	// MaxShareTTL is the longest a share link lives.
	MaxShareTTL = 90 * 24 * time.Hour
	// DefaultShareTTL is a share link's life when none is asked.
	DefaultShareTTL = 7 * 24 * time.Hour
	// shareKeep is how long a share link's record and access log stay
	// after it expired, for the holder to look back.
	shareKeep = 30 * 24 * time.Hour
	// maxAccessLog bounds the access entries kept per link; later
	// openings are only counted.
	maxAccessLog = 1000
	// shareTokenLen is the length of a share token: base64url of 32 bytes.
	shareTokenLen = 43
)

// NewShare asks for a share link to one presentation of chosen
// credentials: W3C credentials (shared whole), or one SD-JWT VC with the
// claims to disclose.
type NewShare struct {
	CredentialIDs []string `json:"credentialIds" validate:"required,min=1,max=50,unique,dive,credid"`
	// Disclose, for a share of one SD-JWT VC, lists the selectively
	// disclosable claims the link reveals, as JSON pointers of the
	// credential's Disclosable ("/degree/grade"); the others stay hidden,
	// the claims that are always visible are always shown. Empty: none of
	// the disclosable claims. A claim the credential cannot disclose is
	// ErrInvalid; so is a list for W3C credentials (they are shared whole).
	Disclose []string `json:"disclose,omitempty" validate:"max=100,unique,dive,required,max=256"`
	// TTL is the link's life: 0 means DefaultShareTTL; at most MaxShareTTL.
	TTL time.Duration `json:"ttl,omitempty" validate:"gte=0"`
	// Label is the holder's note ("for the HR of ACME").
	Label string `json:"label,omitempty" validate:"max=200"`
}

// Share is a share link. URL (with its secret token) is set only when the
// link is created: only the token's hash is stored.
type Share struct {
	ID            string   `json:"id"`
	URL           string   `json:"url,omitempty"`
	Label         string   `json:"label,omitempty"`
	CredentialIDs []string `json:"credentialIds"`
	// Format is the presentation's: FormatLDP (a signed VP of W3C
	// credentials) or FormatSDJWT (one SD-JWT VC with a key binding).
	// Empty in links made before SD-JWT shares.
	Format string `json:"format,omitempty"`
	// Disclosed lists the claims an SD-JWT share reveals (JSON pointers).
	Disclosed []string  `json:"disclosed,omitempty"`
	Created   time.Time `json:"created"`
	Expires   time.Time `json:"expires"`
	Revoked   time.Time `json:"revoked,omitzero"`
	// Restored marks the metadata of a link restored from a backup: its
	// token did not travel, so it cannot be opened.
	Restored bool `json:"restored,omitempty"`
	// Opened counts the openings.
	Opened int64 `json:"opened"`
}

// shareRecord is the stored form: the link, its token hash and the
// presentation made for it (dropped on revocation).
type shareRecord struct {
	Share
	Hash         []byte        `json:"hash,omitempty"`
	Presentation *Presentation `json:"presentation,omitempty"`
	Holder       string        `json:"holder"`
}

// shareToken is the token index entry.
type shareToken struct {
	Account string `json:"account"`
	Share   string `json:"share"`
	Hash    []byte `json:"hash"`
}

// Access is one opening of a share link, kept with little personal data:
// the address truncated (IPv4 /24, IPv6 /48) and a per-link hash of the
// full address (to tell repeat visits apart; it does not resist brute
// force by someone holding the store), the user agent trimmed.
type Access struct {
	Time      time.Time `json:"time"`
	Network   string    `json:"network,omitempty"`
	Visitor   string    `json:"visitor,omitempty"`
	UserAgent string    `json:"userAgent,omitempty"`
}

// Visitor is who opens a share link, as the web layer sees them.
type Visitor struct {
	IP        string
	UserAgent string
}

// Shared is what an opened share link shows.
type Shared struct {
	// ID is the link's id: its presentation answers the challenge
	// "share:<ID>", which a verifier compares with it.
	ID      string    `json:"id"`
	Label   string    `json:"label,omitempty"`
	Holder  string    `json:"holder"`
	Expires time.Time `json:"expires"`
	Presentation
}

// CreateShare makes a share link: a presentation of the chosen credentials
// signed now (challenge "share:<link id>", domain BaseURL), reachable at
// BaseURL + "/share/" + token until it expires or is revoked. The token
// (256 bits) is returned once, in URL; only its hash is stored.
//
// An SD-JWT VC is shared on its own: the presentation is the SD-JWT with
// only the disclosures of req.Disclose and a key binding JWT by the
// holder's key with nonce "share:<link id>" and audience BaseURL (the
// same binding as a W3C share's proof), as a JSON string; its receipt is
// Receipts[0].
func (s *Service) CreateShare(ctx context.Context, account string, req NewShare) (*Share, error) {
	if err := check(req); err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	if req.TTL > MaxShareTTL {
		return nil, fmt.Errorf("create share: %w", invalid("/ttl", "at most 90 days"))
	}
	if req.TTL == 0 {
		req.TTL = DefaultShareTTL
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	recs, err := s.loadShared(ctx, account, req)
	if err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	id, err := randomHex(12)
	if err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	format, disclosed := FormatLDP, []string(nil)
	var p *Presentation
	if r := recs[0]; r.Format == FormatSDJWT {
		format, disclosed = FormatSDJWT, slices.Clone(req.Disclose)
		compact, err := s.presentSDJWT(ctx, acct, r, req.Disclose, "share:"+id, s.cfg.BaseURL)
		if err != nil {
			return nil, fmt.Errorf("create share: %w", err)
		}
		raw, err := json.Marshal(compact)
		if err != nil {
			return nil, fmt.Errorf("create share: %w", err)
		}
		p = &Presentation{Presentation: raw, Receipts: []*credential.AnchorReceipt{r.Receipt}, Format: FormatSDJWT}
	} else if p, err = s.present(ctx, acct, recs, "share:"+id, s.cfg.BaseURL); err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(token))
	now := s.cfg.Now().UTC()
	rec := shareRecord{
		Share: Share{
			ID: id, Label: trimText(req.Label, 200), CredentialIDs: slices.Clone(req.CredentialIDs),
			Format: format, Disclosed: disclosed, Created: now, Expires: now.Add(req.TTL),
		},
		Hash: hash[:], Presentation: p, Holder: acct.DID,
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	tok, err := json.Marshal(shareToken{Account: account, Share: id, Hash: hash[:]})
	if err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	keep := req.TTL + shareKeep
	if err := s.st.Apply(ctx,
		store.OpCreate("share/"+account+"/"+id, raw, keep),
		store.OpCreate("sharetok/"+hex.EncodeToString(hash[:16]), tok, keep),
	); err != nil {
		return nil, fmt.Errorf("create share: %w", err)
	}
	s.log.InfoContext(ctx, "wallet: share link created", "account", account, "share", id, "credentials", len(recs), "format", format, "disclosed", len(disclosed), "expires", rec.Expires)
	out := rec.Share
	out.URL = s.cfg.BaseURL + "/share/" + token
	return &out, nil
}

// loadShared reads the credentials of a new share and checks the choice:
// W3C credentials are shared whole (no Disclose); an SD-JWT VC alone, with
// claims it can disclose.
func (s *Service) loadShared(ctx context.Context, account string, req NewShare) ([]*credRecord, error) {
	recs := make([]*credRecord, len(req.CredentialIDs))
	sd := false
	for i, id := range req.CredentialIDs {
		r, err := s.load(ctx, account, id)
		if err != nil {
			return nil, err
		}
		recs[i], sd = r, sd || r.Format == FormatSDJWT
	}
	switch {
	case !sd && len(req.Disclose) > 0:
		return nil, invalid("/disclose", "W3C credentials are shared whole: only an SD-JWT credential discloses chosen claims")
	case !sd:
		return recs, nil
	case len(recs) > 1:
		return nil, invalid("/credentialIds", "an SD-JWT credential is its own presentation: share it alone")
	case s.sdjwt == nil:
		return nil, fmt.Errorf("%w: SD-JWT credentials are not enabled in this wallet", ErrUnsupported)
	}
	for i, d := range req.Disclose {
		if !slices.Contains(recs[0].Disclosable, d) {
			return nil, invalid(fieldIndex("/disclose", i), fmt.Sprintf("%q is not a selectively disclosable claim of this credential (its claims are: %s)", d, strings.Join(recs[0].Disclosable, ", ")))
		}
		// Revealing a claim reveals what it holds: a part that could be
		// disclosed on its own must be chosen too, so that the link shows
		// no more than the holder ticked.
		// And reaching a claim reveals the claims that hold it.
		for _, part := range recs[0].Disclosable {
			switch {
			case strings.HasPrefix(part, d+"/") && !slices.Contains(req.Disclose, part):
				return nil, invalid(fieldIndex("/disclose", i), fmt.Sprintf("disclosing %q also reveals %q, which can be disclosed on its own: choose it too", d, part))
			case strings.HasPrefix(d, part+"/") && !slices.Contains(req.Disclose, part):
				return nil, invalid(fieldIndex("/disclose", i), fmt.Sprintf("disclosing %q also reveals %q, which holds it: choose %q too", d, part, part))
			}
		}
	}
	return recs, nil
}

// OpenShare opens a share link anonymously and records the access. An
// unknown token is ErrNotFound, an expired link ErrExpired, a revoked one
// ErrRevoked.
func (s *Service) OpenShare(ctx context.Context, token string, v Visitor) (*Shared, error) {
	if len(token) != shareTokenLen {
		return nil, fmt.Errorf("open share: %w", ErrNotFound)
	}
	if _, err := base64.RawURLEncoding.DecodeString(token); err != nil {
		return nil, fmt.Errorf("open share: %w", ErrNotFound)
	}
	hash := sha256.Sum256([]byte(token))
	raw, err := s.st.Get(ctx, "sharetok/"+hex.EncodeToString(hash[:16]))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("open share: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open share: %w", err)
	}
	var tok shareToken
	if err := json.Unmarshal(raw, &tok); err != nil {
		return nil, fmt.Errorf("open share: decode: %w", err)
	}
	if subtle.ConstantTimeCompare(tok.Hash, hash[:]) != 1 {
		return nil, fmt.Errorf("open share: %w", ErrNotFound)
	}
	rec, err := s.loadShare(ctx, tok.Account, tok.Share)
	if err != nil {
		return nil, fmt.Errorf("open share: %w", err)
	}
	now := s.cfg.Now().UTC()
	switch {
	case !rec.Revoked.IsZero():
		return nil, fmt.Errorf("open share: %w", ErrRevoked)
	case !now.Before(rec.Expires):
		return nil, fmt.Errorf("open share: %w", ErrExpired)
	case rec.Presentation == nil:
		return nil, fmt.Errorf("open share: %w", ErrRevoked)
	}
	if err := s.logAccess(ctx, tok.Account, rec, v, now); err != nil {
		// Showing the presentation without logging the access would hide
		// it from the holder: refuse instead.
		return nil, fmt.Errorf("open share: access log: %w", err)
	}
	pres := *rec.Presentation
	if pres.Format == FormatSDJWT {
		if pres.Presentation, err = s.rebindShare(ctx, tok.Account, rec); err != nil {
			return nil, fmt.Errorf("open share: %w", err)
		}
	}
	return &Shared{ID: rec.ID, Label: rec.Label, Holder: rec.Holder, Expires: rec.Expires, Presentation: pres}, nil
}

// rebindShare gives an SD-JWT share's presentation a key binding signed
// now, for the link's nonce and the wallet's URL as when it was made: a
// verifier takes a key binding as fresh for minutes only (it could be a
// replay otherwise), and a link lives for days. The disclosures are those
// stored with the link, so the claims it reveals never change.
func (s *Service) rebindShare(ctx context.Context, account string, rec *shareRecord) (json.RawMessage, error) {
	var compact string
	if err := json.Unmarshal(rec.Presentation.Presentation, &compact); err != nil {
		return nil, fmt.Errorf("share %s: stored SD-JWT: %w", rec.ID, err)
	}
	end := strings.LastIndexByte(compact, '~')
	if end < 0 {
		return nil, fmt.Errorf("share %s: stored SD-JWT has no disclosure separator", rec.ID)
	}
	if s.sdjwt == nil {
		return nil, fmt.Errorf("share %s: %w: SD-JWT credentials are not enabled in this wallet", rec.ID, ErrUnsupported)
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("share %s: %w", rec.ID, err)
	}
	kp, err := s.holderKey(ctx, acct)
	if err != nil {
		return nil, fmt.Errorf("share %s: %w", rec.ID, err)
	}
	defer clear(kp.Private)
	out, err := s.sdjwt.PresentSDJWT(ctx, compact[:end+1], rec.Disclosed, kp.Private, "share:"+rec.ID, s.cfg.BaseURL)
	if err != nil {
		return nil, fmt.Errorf("share %s: key binding: %w", rec.ID, err)
	}
	return json.Marshal(out)
}

func (s *Service) logAccess(ctx context.Context, account string, rec *shareRecord, v Visitor, now time.Time) error {
	base := "share/" + account + "/" + rec.ID
	keep := rec.Expires.Sub(now) + shareKeep
	cnt := "sharecnt/" + account + "/" + rec.ID
	if err := s.st.Create(ctx, cnt, []byte("0"), keep); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	n, err := s.st.Incr(ctx, cnt, 1)
	if err != nil {
		return err
	}
	if n > maxAccessLog {
		return nil
	}
	a := Access{Time: now, UserAgent: trimText(v.UserAgent, 200)}
	if ip, err := netip.ParseAddr(v.IP); err == nil {
		ip = ip.Unmap()
		bits := 24
		if ip.Is6() {
			bits = 48
		}
		p, _ := ip.Prefix(bits)
		a.Network = p.String()
		h := sha256.Sum256([]byte("talentchain/wallet/visitor\n" + base + "\n" + ip.String()))
		a.Visitor = hex.EncodeToString(h[:8])
	}
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	suffix, err := randomHex(4)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, "sharelog/"+account+"/"+rec.ID+"/"+now.Format("20060102T150405.000000000Z")+"-"+suffix, raw, keep)
}

func (s *Service) loadShare(ctx context.Context, account, id string) (*shareRecord, error) {
	if !widRE.MatchString(id) || !acctRE.MatchString(account) {
		return nil, fmt.Errorf("share %s: %w", id, ErrNotFound)
	}
	raw, err := s.st.Get(ctx, "share/"+account+"/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("share %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("share %s: %w", id, err)
	}
	var rec shareRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("share %s: decode: %w", id, err)
	}
	return &rec, nil
}

// Shares lists the holder's share links (revoked and recently expired ones
// included), newest first.
func (s *Service) Shares(ctx context.Context, account string) ([]*Share, error) {
	if _, err := s.account(ctx, account); err != nil {
		return nil, fmt.Errorf("shares: %w", err)
	}
	entries, err := s.listAll(ctx, "share/"+account+"/")
	if err != nil {
		return nil, fmt.Errorf("shares: %w", err)
	}
	out := make([]*Share, 0, len(entries))
	for _, e := range entries {
		var rec shareRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return nil, fmt.Errorf("shares: decode: %w", err)
		}
		sh := rec.Share
		sh.Opened = s.opened(ctx, account, sh.ID)
		out = append(out, &sh)
	}
	slices.SortFunc(out, func(a, b *Share) int { return b.Created.Compare(a.Created) })
	return out, nil
}

func (s *Service) opened(ctx context.Context, account, id string) int64 {
	raw, err := s.st.Get(ctx, "sharecnt/"+account+"/"+id)
	if err != nil {
		return 0
	}
	var n int64
	fmt.Sscan(string(raw), &n)
	return n
}

// ShareLog returns the accesses of one of the holder's share links, oldest
// first (at most the first 1000; Share.Opened counts them all).
func (s *Service) ShareLog(ctx context.Context, account, id string) ([]*Access, error) {
	if _, err := s.loadShare(ctx, account, id); err != nil {
		return nil, fmt.Errorf("share log: %w", err)
	}
	entries, err := s.listAll(ctx, "sharelog/"+account+"/"+id+"/")
	if err != nil {
		return nil, fmt.Errorf("share log: %w", err)
	}
	out := make([]*Access, 0, len(entries))
	for _, e := range entries {
		var a Access
		if err := json.Unmarshal(e.Value, &a); err != nil {
			return nil, fmt.Errorf("share log: decode: %w", err)
		}
		out = append(out, &a)
	}
	return out, nil
}

// RevokeShare revokes one of the holder's share links at once: opening it
// is ErrRevoked from then on, and its presentation is deleted. Revoking a
// revoked link is not an error.
func (s *Service) RevokeShare(ctx context.Context, account, id string) error {
	rec, err := s.loadShare(ctx, account, id)
	if err != nil {
		return fmt.Errorf("revoke share: %w", err)
	}
	now := s.cfg.Now().UTC()
	if rec.Revoked.IsZero() {
		rec.Revoked = now
	}
	rec.Presentation = nil
	raw, err := json.Marshal(rec)
	if err != nil {
		return fmt.Errorf("revoke share: %w", err)
	}
	// The token index stays (until it expires), so that opening the link
	// says it was revoked rather than that it never existed.
	if err := s.st.Put(ctx, "share/"+account+"/"+id, raw, max(rec.Expires.Sub(now), 0)+shareKeep); err != nil {
		return fmt.Errorf("revoke share: %w", err)
	}
	s.log.InfoContext(ctx, "wallet: share link revoked", "account", account, "share", id)
	return nil
}
