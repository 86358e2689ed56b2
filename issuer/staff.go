package issuer

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/talentchain/talentchain/store"
)

// Role is what a staff member of an organisation may do.
type Role string

// Roles and the scopes they carry.
const (
	RoleAdmin     Role = "admin"     // everything, and managing staff and tokens
	RoleRegistrar Role = "registrar" // issue, change status, read
	RoleViewer    Role = "viewer"    // read
)

// Scopes returns the scopes the role carries (none for an unknown role).
func (r Role) Scopes() []Scope {
	switch r {
	case RoleAdmin, RoleRegistrar:
		return []Scope{ScopeIssue, ScopeRead, ScopeStatus}
	case RoleViewer:
		return []Scope{ScopeRead}
	}
	return nil
}

// Staff is a person acting for an organisation in the web UI.
type Staff struct {
	Org      string    `json:"org"`
	Username string    `json:"username"`
	Name     string    `json:"name"`
	Role     Role      `json:"role"`
	Created  time.Time `json:"created"`
	Disabled bool      `json:"disabled,omitempty"`
}

// NewStaff is a request to add a staff member.
type NewStaff struct {
	Username string `json:"username" validate:"required"`
	Name     string `json:"name" validate:"required,max=100"`
	Password string `json:"password" validate:"required,min=10,max=200"`
	Role     Role   `json:"role" validate:"required,oneof=admin registrar viewer"`
}

// staffRecord keeps the argon2id hash of the password, never the password.
type staffRecord struct {
	Staff
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

// argon2id parameters (OWASP's minimum: 19 MiB, 2 passes, 1 lane).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonLen     = 32
)

var usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// AddStaff adds a staff member to the organisation; the password is stored
// as an argon2id hash.
func (s *Service) AddStaff(ctx context.Context, org string, req NewStaff) (*Staff, error) {
	if _, err := s.Org(ctx, org); err != nil {
		return nil, fmt.Errorf("add staff: %w", err)
	}
	var v ValidationError
	if !usernameRE.MatchString(req.Username) {
		v.Fields = append(v.Fields, FieldError{"/username", "2 to 64 of a-z 0-9 . _ -, starting with a letter or digit", "2 到 64 个 a-z 0-9 . _ - 字符，以字母或数字开头"})
	}
	if req.Name == "" || len(req.Name) > 100 {
		v.Fields = append(v.Fields, FieldError{"/name", "is required, at most 100 bytes", "必填，最多 100 字节"})
	}
	if len(req.Password) < 10 || len(req.Password) > 200 {
		v.Fields = append(v.Fields, FieldError{"/password", "10 to 200 characters", "10 到 200 个字符"})
	}
	if req.Role.Scopes() == nil {
		v.Fields = append(v.Fields, FieldError{"/role", "must be admin, registrar or viewer", "角色必须是 admin（管理员）、registrar（签发员）或 viewer（只读）"})
	}
	if len(v.Fields) > 0 {
		return nil, fmt.Errorf("add staff: %w", &v)
	}
	rec := staffRecord{Staff: Staff{Org: org, Username: req.Username, Name: req.Name, Role: req.Role, Created: s.cfg.Now().UTC()}}
	rec.Salt = make([]byte, 16)
	if _, err := rand.Read(rec.Salt); err != nil {
		return nil, fmt.Errorf("add staff: %w", err)
	}
	rec.Hash = argon2.IDKey([]byte(req.Password), rec.Salt, argonTime, argonMemory, argonThreads, argonLen)
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("add staff: %w", err)
	}
	if err := s.st.Create(ctx, "staff/"+org+"/"+req.Username, raw, 0); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("add staff: %w: username %s is taken", ErrConflict, req.Username)
		}
		return nil, fmt.Errorf("add staff: %w", err)
	}
	st := rec.Staff
	return &st, nil
}

// dummyStaff makes a login of an unknown user cost the same as a real one.
var dummyStaff = staffRecord{Salt: make([]byte, 16), Hash: make([]byte, argonLen), Staff: Staff{Disabled: true}}

// Login checks a staff member's password and returns the principal with the
// role's scopes. Unknown users, wrong passwords and disabled accounts are
// all ErrUnauthenticated, in about the same time.
func (s *Service) Login(ctx context.Context, org, username, password string) (*Principal, error) {
	rec := dummyStaff
	raw, err := s.st.Get(ctx, "staff/"+org+"/"+username)
	switch {
	case err == nil:
		rec = staffRecord{}
		if err := json.Unmarshal(raw, &rec); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
	case !errors.Is(err, store.ErrNotFound) && !errors.Is(err, store.ErrInvalid):
		return nil, fmt.Errorf("login: %w", err)
	}
	h := argon2.IDKey([]byte(password), rec.Salt, argonTime, argonMemory, argonThreads, argonLen)
	if subtle.ConstantTimeCompare(h, rec.Hash) != 1 || rec.Disabled {
		return nil, ErrUnauthenticated
	}
	return &Principal{Org: rec.Org, Staff: rec.Username, Scopes: rec.Role.Scopes()}, nil
}

// DisableStaff disables a staff member's account (kept for the audit).
func (s *Service) DisableStaff(ctx context.Context, org, username string) error {
	key := "staff/" + org + "/" + username
	raw, err := s.st.Get(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("disable staff: %w", ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("disable staff: %w", err)
	}
	var rec staffRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return fmt.Errorf("disable staff: %w", err)
	}
	rec.Disabled = true
	if raw, err = json.Marshal(rec); err != nil {
		return fmt.Errorf("disable staff: %w", err)
	}
	if err := s.st.Put(ctx, key, raw, 0); err != nil {
		return fmt.Errorf("disable staff: %w", err)
	}
	return nil
}

// StaffOf lists an organisation's staff.
func (s *Service) StaffOf(ctx context.Context, org string) ([]*Staff, error) {
	entries, err := s.listAll(ctx, "staff/"+org+"/")
	if err != nil {
		return nil, fmt.Errorf("list staff: %w", err)
	}
	out := make([]*Staff, 0, len(entries))
	for _, e := range entries {
		var rec staffRecord
		if err := json.Unmarshal(e.Value, &rec); err != nil {
			return nil, fmt.Errorf("list staff: %w", err)
		}
		st := rec.Staff
		out = append(out, &st)
	}
	return out, nil
}
