package wallet

import (
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// Account is a holder's account.
type Account struct {
	ID       string    `json:"id"`
	Username string    `json:"username"`
	DID      string    `json:"did"` // the holder's did:key
	Created  time.Time `json:"created"`
}

// accountRecord keeps the argon2id hash of the password, never the
// password.
type accountRecord struct {
	Account
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

// SignUp is a request to open an account.
type SignUp struct {
	// Username is folded to lower case; then 3 to 32 of a-z 0-9 . _ -.
	Username string `json:"username" validate:"required,username"`
	// Password: at least 10 characters, not a common password, not the
	// username.
	Password string `json:"password" validate:"required,min=10,max=256"`
}

// Login is a login attempt.
type Login struct {
	Username string `json:"username" validate:"required,max=64"`
	Password string `json:"password" validate:"required,max=256"`
	// IP is the client's address as the web layer sees it (after its
	// trusted proxies); it keys the per-address rate limit. Empty skips
	// that limit.
	IP string `json:"-" validate:"omitempty,ip"`
	// UserAgent is kept, trimmed, with the session.
	UserAgent string `json:"-"`
}

// Session is a logged-in holder. ID and CSRF are set only by Login: ID is
// the secret the web layer puts in a cookie (HttpOnly, Secure,
// SameSite=Lax); it is stored only hashed.
type Session struct {
	ID       string    `json:"id,omitempty"`
	CSRF     string    `json:"csrf,omitempty"`
	Account  string    `json:"account"`
	Username string    `json:"username"`
	Created  time.Time `json:"created"`
	// Expires is when the session ends unless used again (sliding), never
	// later than Created + SessionMax.
	Expires time.Time `json:"expires"`
}

type sessionRecord struct {
	Hash      []byte    `json:"hash"`
	Account   string    `json:"account"`
	Username  string    `json:"username"`
	Created   time.Time `json:"created"`
	Seen      time.Time `json:"seen"`
	UserAgent string    `json:"userAgent,omitempty"`
}

// sessionPrefix starts every session id, so secret scanners can spot one.
const sessionPrefix = "tcws_"

// sessionIDLen is the length of a session id: the prefix and base64url of
// 32 random bytes.
const sessionIDLen = len(sessionPrefix) + 43

//go:embed common-passwords.txt
var commonPasswordsFile string

var (
	commonOnce      sync.Once
	commonPasswords map[string]bool
	commonBases     []string
)

func loadCommon() {
	commonPasswords = map[string]bool{}
	for _, l := range strings.Split(commonPasswordsFile, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#"):
		case strings.HasPrefix(l, "!base "):
			commonBases = append(commonBases, strings.TrimPrefix(l, "!base "))
		default:
			commonPasswords[strings.ToLower(l)] = true
		}
	}
}

// passwordProblem says what is wrong with a password, or "".
func passwordProblem(password, username string) string {
	commonOnce.Do(loadCommon)
	lower := strings.ToLower(password)
	switch {
	case utf8.RuneCountInString(password) < 10:
		return "must be at least 10 characters"
	case len(password) > 256:
		return "must be at most 256 bytes"
	case !utf8.ValidString(password):
		return "must be valid UTF-8"
	case commonPasswords[lower]:
		return "is one of the most common passwords: choose another"
	case username != "" && strings.Contains(lower, strings.ToLower(username)):
		return "must not contain the username"
	}
	if first, _ := utf8.DecodeRuneInString(password); strings.Trim(password, string(first)) == "" {
		return "must not repeat a single character"
	}
	stem := strings.TrimRightFunc(lower, func(r rune) bool { return unicode.IsDigit(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) })
	for _, b := range commonBases {
		if stem == b {
			return "is a common word followed by digits or symbols: choose another"
		}
	}
	return ""
}

// SignUp opens an account with a new holder did:key (Ed25519) whose
// private key is sealed at rest. A taken username is ErrConflict.
func (s *Service) SignUp(ctx context.Context, req SignUp) (*Account, error) {
	req.Username = strings.ToLower(strings.TrimSpace(req.Username))
	if err := check(req); err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	if p := passwordProblem(req.Password, req.Username); p != "" {
		return nil, fmt.Errorf("sign up: %w", invalid("/password", p))
	}
	id, err := randomHex(16)
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	key, err := credential.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	defer clear(key.Private)
	rec := accountRecord{Account: Account{ID: id, Username: req.Username, DID: key.Controller, Created: s.cfg.Now().UTC()}}
	if rec.Salt, rec.Hash, err = s.hashPassword(req.Password); err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	sealed, err := s.keys.Seal(key.Private.Seed(), keyAAD(id, key.Controller))
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	err = s.st.Apply(ctx,
		store.OpCreate("user/"+req.Username, []byte(id), 0),
		store.OpCreate("acct/"+id, raw, 0),
		store.OpCreate("key/"+id, sealed, 0),
	)
	if errors.Is(err, store.ErrExists) {
		return nil, fmt.Errorf("sign up: %w: the username %s is taken", ErrConflict, req.Username)
	}
	if err != nil {
		return nil, fmt.Errorf("sign up: %w", err)
	}
	s.log.InfoContext(ctx, "wallet: account opened", "account", id, "did", rec.DID)
	a := rec.Account
	return &a, nil
}

func (s *Service) hashPassword(password string) (salt, hash []byte, err error) {
	salt = make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return nil, nil, err
	}
	return salt, argon2.IDKey([]byte(password), salt, s.cfg.PasswordTime, s.cfg.PasswordMemoryKiB, 1, 32), nil
}

// dummyAccount makes a login of an unknown user cost the same as a real one.
var dummyAccount = accountRecord{Salt: make([]byte, 16), Hash: make([]byte, 32)}

// Login checks a holder's password and opens a session. Unknown users and
// wrong passwords are both ErrUnauthenticated, in about the same time (a
// dummy hash is computed). Too many attempts for the username or from the
// address within LoginWindow are ErrRateLimited (a *RateLimitError), before
// any password is hashed; the counters live in the store, so replicas
// share them.
func (s *Service) Login(ctx context.Context, req Login) (*Session, error) {
	req.Username = strings.ToLower(strings.TrimSpace(req.Username))
	if err := check(req); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	if req.IP != "" {
		if err := s.limit(ctx, "ip", ipBucket(req.IP), s.cfg.MaxLoginPerIP); err != nil {
			return nil, fmt.Errorf("login: %w", err)
		}
	}
	userKey := bucketHash("user", req.Username)
	if err := s.limit(ctx, "user", userKey, s.cfg.MaxLoginPerUser); err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	rec := dummyAccount
	known := false
	if usernameRE.MatchString(req.Username) {
		r, err := s.accountByName(ctx, req.Username)
		switch {
		case err == nil:
			rec, known = *r, true
		case !errors.Is(err, ErrNotFound):
			return nil, fmt.Errorf("login: %w", err)
		}
	}
	h := argon2.IDKey([]byte(req.Password), rec.Salt, s.cfg.PasswordTime, s.cfg.PasswordMemoryKiB, 1, 32)
	if subtle.ConstantTimeCompare(h, rec.Hash) != 1 || !known {
		return nil, fmt.Errorf("login: %w", ErrUnauthenticated)
	}
	// A success clears the username's counter (not the address's).
	if err := s.st.Delete(ctx, s.limitKey("user", userKey)); err != nil {
		s.log.WarnContext(ctx, "wallet: clearing the login counter failed", "err", err)
	}
	sess, err := s.newSession(ctx, &rec.Account, req.UserAgent)
	if err != nil {
		return nil, fmt.Errorf("login: %w", err)
	}
	return sess, nil
}

func (s *Service) accountByName(ctx context.Context, username string) (*accountRecord, error) {
	id, err := s.st.Get(ctx, "user/"+username)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return s.account(ctx, string(id))
}

// account loads an account record; a malformed or unknown id is
// ErrNotFound.
func (s *Service) account(ctx context.Context, id string) (*accountRecord, error) {
	if !acctRE.MatchString(id) {
		return nil, fmt.Errorf("account: %w", ErrNotFound)
	}
	raw, err := s.st.Get(ctx, "acct/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("account: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("account: %w", err)
	}
	var rec accountRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("account: decode: %w", err)
	}
	return &rec, nil
}

// Account returns a holder's account.
func (s *Service) Account(ctx context.Context, account string) (*Account, error) {
	rec, err := s.account(ctx, account)
	if err != nil {
		return nil, err
	}
	a := rec.Account
	return &a, nil
}

func (s *Service) newSession(ctx context.Context, a *Account, userAgent string) (*Session, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, err
	}
	id := sessionPrefix + base64.RawURLEncoding.EncodeToString(secret)
	hash := sha256.Sum256([]byte(id))
	key := hex.EncodeToString(hash[:16])
	now := s.cfg.Now().UTC()
	rec := sessionRecord{Hash: hash[:], Account: a.ID, Username: a.Username, Created: now, Seen: now, UserAgent: trimText(userAgent, 200)}
	raw, err := json.Marshal(rec)
	if err != nil {
		return nil, err
	}
	err = s.st.Apply(ctx,
		store.OpCreate("sess/"+key, raw, s.cfg.SessionIdle),
		store.OpPut("sessidx/"+a.ID+"/"+key, nil, s.cfg.SessionMax),
	)
	if err != nil {
		return nil, err
	}
	return &Session{
		ID: id, CSRF: s.CSRFToken(id), Account: a.ID, Username: a.Username,
		Created: now, Expires: now.Add(s.cfg.SessionIdle),
	}, nil
}

// Authenticate returns the session of a session id and extends it
// (sliding expiry: a session lives SessionIdle after its last use, at most
// SessionMax after login). An unknown, malformed, expired or logged-out id
// is ErrUnauthenticated.
func (s *Service) Authenticate(ctx context.Context, sessionID string) (*Session, error) {
	key, rec, err := s.session(ctx, sessionID)
	if err != nil {
		return nil, err
	}
	now := s.cfg.Now().UTC()
	end := rec.Created.Add(s.cfg.SessionMax)
	if !now.Before(end) {
		_ = s.st.Apply(ctx, store.OpDelete("sess/"+key), store.OpDelete("sessidx/"+rec.Account+"/"+key))
		return nil, fmt.Errorf("authenticate: %w", ErrUnauthenticated)
	}
	expires := now.Add(s.cfg.SessionIdle)
	if expires.After(end) {
		expires = end
	}
	// Refresh the stored expiry only now and then: a read per request,
	// a write per SessionIdle/20 of activity.
	if now.Sub(rec.Seen) >= s.cfg.SessionIdle/20 {
		rec.Seen = now
		raw, err := json.Marshal(rec)
		if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		if err := s.st.Put(ctx, "sess/"+key, raw, expires.Sub(now)); err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		// A logout on another replica between our Get and Put would be
		// undone by the Put: logouts leave a tombstone, checked after the
		// write (whichever comes first, the session ends).
		_, err = s.st.Get(ctx, "sessend/"+key)
		switch {
		case err == nil:
			_ = s.st.Delete(ctx, "sess/"+key)
			return nil, fmt.Errorf("authenticate: %w", ErrUnauthenticated)
		case !errors.Is(err, store.ErrNotFound):
			return nil, fmt.Errorf("authenticate: %w", err)
		}
	} else {
		expires = rec.Seen.Add(s.cfg.SessionIdle)
		if expires.After(end) {
			expires = end
		}
	}
	return &Session{Account: rec.Account, Username: rec.Username, Created: rec.Created, Expires: expires}, nil
}

// session finds a session record by id, comparing the full hash in
// constant time.
func (s *Service) session(ctx context.Context, sessionID string) (string, *sessionRecord, error) {
	if len(sessionID) != sessionIDLen || !strings.HasPrefix(sessionID, sessionPrefix) {
		return "", nil, fmt.Errorf("session: %w", ErrUnauthenticated)
	}
	hash := sha256.Sum256([]byte(sessionID))
	key := hex.EncodeToString(hash[:16])
	raw, err := s.st.Get(ctx, "sess/"+key)
	if errors.Is(err, store.ErrNotFound) {
		return "", nil, fmt.Errorf("session: %w", ErrUnauthenticated)
	}
	if err != nil {
		return "", nil, fmt.Errorf("session: %w", err)
	}
	var rec sessionRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return "", nil, fmt.Errorf("session: decode: %w", err)
	}
	if subtle.ConstantTimeCompare(rec.Hash, hash[:]) != 1 {
		return "", nil, fmt.Errorf("session: %w", ErrUnauthenticated)
	}
	return key, &rec, nil
}

// Logout ends a session. Ending an unknown or ended session is not an
// error.
func (s *Service) Logout(ctx context.Context, sessionID string) error {
	key, rec, err := s.session(ctx, sessionID)
	if errors.Is(err, ErrUnauthenticated) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	if err := s.st.Apply(ctx, s.endSession(rec.Account, key)...); err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

// LogoutAll ends every session of the account (on every replica: sessions
// live in the store).
func (s *Service) LogoutAll(ctx context.Context, account string) error {
	if _, err := s.account(ctx, account); err != nil {
		return fmt.Errorf("logout all: %w", err)
	}
	entries, err := s.listAll(ctx, "sessidx/"+account+"/")
	if err != nil {
		return fmt.Errorf("logout all: %w", err)
	}
	for len(entries) > 0 {
		n := min(len(entries), store.MaxOps/3)
		ops := make([]store.Op, 0, 3*n)
		for _, e := range entries[:n] {
			ops = append(ops, s.endSession(account, e.Key[strings.LastIndexByte(e.Key, '/')+1:])...)
		}
		if err := s.st.Apply(ctx, ops...); err != nil {
			return fmt.Errorf("logout all: %w", err)
		}
		entries = entries[n:]
	}
	return nil
}

// endSession returns the writes that end a session: its record and index
// entry go, and a tombstone stays as long as the session could have lived,
// so that a concurrent refresh (Authenticate) cannot bring it back.
func (s *Service) endSession(account, key string) []store.Op {
	return []store.Op{
		store.OpPut("sessend/"+key, nil, s.cfg.SessionMax),
		store.OpDelete("sess/" + key),
		store.OpDelete("sessidx/" + account + "/" + key),
	}
}

// csrfLabel separates the CSRF token derivation from any other use of the
// session id.
const csrfLabel = "talentchain/wallet/csrf/v1"

// CSRFToken returns the session's CSRF token (a synchronizer token derived
// from the session id: HMAC-SHA256 keyed by the id). Any replica computes
// the same token, nothing is stored, and it reveals nothing about the id.
// The web layer puts it in every form and in an X-CSRF-Token header.
func (s *Service) CSRFToken(sessionID string) string {
	m := hmac.New(sha256.New, []byte(sessionID))
	m.Write([]byte(csrfLabel))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a submitted CSRF token with the session's, in
// constant time; a mismatch is ErrCSRF.
func (s *Service) CheckCSRF(sessionID, token string) error {
	want := s.CSRFToken(sessionID)
	if sessionID == "" || subtle.ConstantTimeCompare([]byte(want), []byte(token)) != 1 {
		return ErrCSRF
	}
	return nil
}

// limit counts an attempt in the current window of scope/bucket and
// refuses it beyond max. Counters are keyed by window number and expire
// after two windows, so a counter never outlives its window even if Incr
// had to create it.
func (s *Service) limit(ctx context.Context, scope, bucket string, max int) error {
	key := s.limitKey(scope, bucket)
	if err := s.st.Create(ctx, key, []byte("0"), 2*s.cfg.LoginWindow); err != nil && !errors.Is(err, store.ErrExists) {
		return err
	}
	n, err := s.st.Incr(ctx, key, 1)
	if err != nil {
		return err
	}
	if n > int64(max) {
		w := int64(s.cfg.LoginWindow / time.Second)
		now := s.cfg.Now().Unix()
		name := "username"
		if scope == "ip" {
			name = "address"
		}
		return &RateLimitError{Scope: name, RetryAfter: time.Duration((now/w+1)*w-now) * time.Second}
	}
	return nil
}

func (s *Service) limitKey(scope, bucket string) string {
	w := int64(s.cfg.LoginWindow / time.Second)
	return "rl/" + scope + "/" + bucket + "/" + strconv.FormatInt(s.cfg.Now().Unix()/w, 10)
}

// bucketHash names a rate limit bucket without storing the username or
// address itself.
func bucketHash(scope, v string) string {
	h := sha256.Sum256([]byte("talentchain/wallet/rl/" + scope + "\n" + v))
	return hex.EncodeToString(h[:12])
}

// ipBucket groups an address for rate limiting: IPv4 as is, IPv6 by /64
// (one subscriber usually holds a whole /64).
func ipBucket(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return bucketHash("ip", ip)
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return bucketHash("ip", p.String())
	}
	return bucketHash("ip", a.String())
}

// holderKey opens the account's sealed holder key. The caller must clear
// it (clear(kp.Private)) once it signed.
func (s *Service) holderKey(ctx context.Context, rec *accountRecord) (*credential.KeyPair, error) {
	sealed, err := s.st.Get(ctx, "key/"+rec.ID)
	if err != nil {
		return nil, fmt.Errorf("holder key: %w", err)
	}
	seed, err := s.keys.Open(sealed, keyAAD(rec.ID, rec.DID))
	if err != nil {
		return nil, fmt.Errorf("holder key: %w", err)
	}
	defer clear(seed)
	if len(seed) != ed25519.SeedSize {
		return nil, errors.New("holder key: not an Ed25519 seed")
	}
	kp := credential.NewDIDKeyPair(ed25519.NewKeyFromSeed(seed))
	if kp.Controller != rec.DID {
		clear(kp.Private)
		return nil, errors.New("holder key: the key does not belong to the account's DID")
	}
	return kp, nil
}

// signer returns a signer with the holder's key and a function that wipes
// the key; call it as soon as the signing is done.
func (s *Service) signer(ctx context.Context, rec *accountRecord) (*credential.Signer, func(), error) {
	kp, err := s.holderKey(ctx, rec)
	if err != nil {
		return nil, nil, err
	}
	sg, err := credential.NewSigner(s.loader, kp)
	if err != nil {
		clear(kp.Private)
		return nil, nil, err
	}
	return sg, func() { clear(kp.Private) }, nil
}

// keyAAD binds a sealed holder key to its account and DID.
func keyAAD(account, did string) []byte { return []byte("wallet/key/" + account + "/" + did) }

func randomHex(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// trimText keeps at most n bytes of valid, printable text.
func trimText(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) {
			return -1
		}
		return r
	}, s)
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// listAll reads every entry under prefix, page by page.
func (s *Service) listAll(ctx context.Context, prefix string) ([]store.Entry, error) {
	return store.All(ctx, s.st, prefix, store.ScanOptions{})
}
