package issuer

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
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/store"
)

// Scope is what a token allows.
type Scope string

// Token scopes.
const (
	ScopeIssue  Scope = "issue"  // issue credentials
	ScopeStatus Scope = "status" // revoke, suspend, reinstate
	ScopeRead   Scope = "read"   // read the organisation's credentials and audit
)

// tokenPrefix starts every API token, so secret scanners can spot one.
const tokenPrefix = "tcit_"

// Token describes an API token; the token itself is shown once, by
// CreateToken, and never stored.
type Token struct {
	ID      string    `json:"id"` // hex of the first 8 bytes of the token's SHA-256
	Org     string    `json:"org"`
	Name    string    `json:"name"`
	Scopes  []Scope   `json:"scopes"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires,omitzero"` // zero: never
	Revoked time.Time `json:"revoked,omitzero"`
}

// tokenRecord is what the store keeps: the token's description and the full
// SHA-256 of the token.
type tokenRecord struct {
	Token
	Hash []byte `json:"hash"`
}

// NewToken is a request for an API token.
type NewToken struct {
	Name   string        `json:"name" validate:"required,max=100"`
	Scopes []Scope       `json:"scopes" validate:"required,min=1,dive,oneof=issue status read"`
	TTL    time.Duration `json:"ttl,omitempty"` // 0: no expiry
}

// Principal is who presented a valid token.
type Principal struct {
	Org     string
	TokenID string // set when a token authenticated
	Staff   string // set when a staff member logged in
	Scopes  []Scope
}

// Actor names the principal for audit entries.
func (p *Principal) Actor() string {
	if p.Staff != "" {
		return "staff:" + p.Staff
	}
	return "token:" + p.TokenID
}

// Can reports whether the principal holds the scope.
func (p *Principal) Can(s Scope) bool { return slices.Contains(p.Scopes, s) }

// CreateToken creates an API token for the organisation and returns it once:
// "tcit_" + base64url of 32 random bytes. Only its SHA-256 is stored.
func (s *Service) CreateToken(ctx context.Context, org string, req NewToken) (string, *Token, error) {
	if _, err := s.Org(ctx, org); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	if req.Name == "" || len(req.Name) > 100 {
		return "", nil, fmt.Errorf("create token: %w", invalid("/name", "is required, at most 100 characters", "必填，最多 100 个字符"))
	}
	if len(req.Scopes) == 0 {
		return "", nil, fmt.Errorf("create token: %w", invalid("/scopes", "at least one scope is required", "至少需要一个权限范围"))
	}
	for i, sc := range req.Scopes {
		if sc != ScopeIssue && sc != ScopeStatus && sc != ScopeRead {
			return "", nil, fmt.Errorf("create token: %w", invalid(fmt.Sprintf("/scopes/%d", i), "must be issue, status or read", "权限范围必须是 issue（签发）、status（状态变更）或 read（读取）"))
		}
	}
	if req.TTL < 0 {
		return "", nil, fmt.Errorf("create token: %w", invalid("/ttl", "must not be negative", "不能为负数"))
	}
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	token := tokenPrefix + base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(token))
	now := s.cfg.Now().UTC()
	scopes := slices.Clone(req.Scopes)
	slices.Sort(scopes)
	rec := tokenRecord{Token: Token{
		ID: hex.EncodeToString(hash[:8]), Org: org, Name: req.Name,
		Scopes: slices.Compact(scopes), Created: now,
	}, Hash: hash[:]}
	if req.TTL > 0 {
		rec.Expires = now.Add(req.TTL)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	if err := s.st.Create(ctx, "token/"+rec.ID, raw, 0); err != nil {
		return "", nil, fmt.Errorf("create token: %w", err)
	}
	t := rec.Token
	return token, &t, nil
}

// Authenticate checks a bearer token and that it holds scope. An unknown,
// malformed, expired or revoked token is ErrUnauthenticated; a valid token
// without the scope is ErrForbidden. The lookup is by the hash's first
// bytes; the full hash is compared in constant time.
func (s *Service) Authenticate(ctx context.Context, token string, scope Scope) (*Principal, error) {
	if !strings.HasPrefix(token, tokenPrefix) || len(token) != len(tokenPrefix)+43 {
		return nil, ErrUnauthenticated
	}
	hash := sha256.Sum256([]byte(token))
	raw, err := s.st.Get(ctx, "token/"+hex.EncodeToString(hash[:8]))
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUnauthenticated
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	var rec tokenRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("authenticate: decode token: %w", err)
	}
	if subtle.ConstantTimeCompare(rec.Hash, hash[:]) != 1 {
		return nil, ErrUnauthenticated
	}
	now := s.cfg.Now()
	if !rec.Revoked.IsZero() || (!rec.Expires.IsZero() && !now.Before(rec.Expires)) {
		return nil, ErrUnauthenticated
	}
	p := &Principal{Org: rec.Org, TokenID: rec.ID, Scopes: rec.Scopes}
	if !p.Can(scope) {
		return nil, fmt.Errorf("%w: the token lacks the %s scope", ErrForbidden, scope)
	}
	return p, nil
}

// Authorize is Authenticate for an action on the organisation org: a token
// of another organisation is ErrForbidden.
func (s *Service) Authorize(ctx context.Context, token, org string, scope Scope) (*Principal, error) {
	p, err := s.Authenticate(ctx, token, scope)
	if err != nil {
		return nil, err
	}
	if p.Org != org {
		return nil, fmt.Errorf("%w: the token belongs to another organisation", ErrForbidden)
	}
	return p, nil
}

// RevokeToken revokes one of the organisation's tokens.
func (s *Service) RevokeToken(ctx context.Context, org, id string) error {
	raw, err := s.st.Get(ctx, "token/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("revoke token: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	var rec tokenRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if rec.Org != org {
		return fmt.Errorf("revoke token: %w", ErrNotFound)
	}
	if rec.Revoked.IsZero() {
		rec.Revoked = s.cfg.Now().UTC()
	}
	if raw, err = json.Marshal(rec); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if err := s.st.Put(ctx, "token/"+id, raw, 0); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	return nil
}

// Tokens lists the organisation's tokens (revoked ones included).
func (s *Service) Tokens(ctx context.Context, org string) ([]*Token, error) {
	var out []*Token
	err := store.Each(ctx, s.st, "token/", store.ScanOptions{}, func(e store.Entry) error {
		var rec tokenRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return err
		}
		if rec.Org == org {
			t := rec.Token
			out = append(out, &t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}
