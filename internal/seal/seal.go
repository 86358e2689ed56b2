// Package seal encrypts secrets at rest: issuer signing keys, wallet keys and
// anything else a service must keep but must never store in clear.
//
// A Keyring holds the master keys (AES-256-GCM). Seal always uses the
// primary key and writes its key id in front of the ciphertext; Open picks
// the key by that id, so the master key can rotate: put the new key first,
// keep the old ones after it until every record was re-sealed (Reseal).
//
// Sealed format, version 1:
//
//	0x01 | key id (4 bytes) | nonce (12 bytes) | AES-256-GCM ciphertext and tag
//
// The key id is the first 4 bytes of SHA-256("talentchain/seal/key-id\n" ||
// key), so it names a key without revealing it. Callers pass associated data
// (typically the record's store key) that must match on Open: a sealed value
// moved to another record does not open.
package seal

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key: 32 bytes for AES-256.
const KeySize = 32

// EnvMasterKey is the environment variable that may carry the master keys,
// base64 (standard encoding), the primary first, older ones after commas.
const EnvMasterKey = "TALENTCHAIN_MASTER_KEY"

// MasterKeyFile is the file under the data folder holding the master keys
// when the environment does not: one base64 key per line, the primary first.
const MasterKeyFile = "master.key"

const (
	version   = 1
	idSize    = 4
	nonceSize = 12
	header    = 1 + idSize + nonceSize
)

var (
	// ErrOpen means a sealed value does not open: it was altered, belongs
	// to another record (associated data), or was sealed by another key
	// with the same id (never in practice). The caller must not use it.
	ErrOpen = errors.New("seal: cannot open: altered, or sealed for another record")
	// ErrUnknownKey means the value was sealed by a master key the keyring
	// does not hold: the key was rotated out too early, or it is another
	// deployment's data.
	ErrUnknownKey = errors.New("seal: sealed by an unknown master key")
	// ErrFormat means the bytes are not a sealed value at all.
	ErrFormat = errors.New("seal: not a sealed value")
)

type key struct {
	id   [idSize]byte
	aead cipher.AEAD
}

// Keyring seals with its primary key and opens with any of its keys. It is
// safe for concurrent use.
type Keyring struct {
	primary *key
	byID    map[[idSize]byte]*key
}

// New returns a keyring whose primary key is primary; older keys only open.
// Every key must be KeySize bytes.
func New(primary []byte, older ...[]byte) (*Keyring, error) {
	r := &Keyring{byID: make(map[[idSize]byte]*key)}
	for i, raw := range append([][]byte{primary}, older...) {
		k, err := newKey(raw)
		if err != nil {
			return nil, fmt.Errorf("seal: master key %d: %w", i, err)
		}
		if _, dup := r.byID[k.id]; dup {
			continue
		}
		r.byID[k.id] = k
		if i == 0 {
			r.primary = k
		}
	}
	return r, nil
}

func newKey(raw []byte) (*key, error) {
	if len(raw) != KeySize {
		return nil, fmt.Errorf("is %d bytes, want %d", len(raw), KeySize)
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	k := &key{aead: aead}
	k.id = KeyID(raw)
	return k, nil
}

// KeyID returns the id under which a master key marks what it sealed.
func KeyID(raw []byte) [idSize]byte {
	h := sha256.Sum256(append([]byte("talentchain/seal/key-id\n"), raw...))
	var id [idSize]byte
	copy(id[:], h[:idSize])
	return id
}

// Seal encrypts plaintext for the record named by aad with the primary key.
func (r *Keyring) Seal(plaintext, aad []byte) ([]byte, error) {
	out := make([]byte, header, header+len(plaintext)+r.primary.aead.Overhead())
	out[0] = version
	copy(out[1:], r.primary.id[:])
	if _, err := rand.Read(out[1+idSize : header]); err != nil {
		return nil, fmt.Errorf("seal: nonce: %w", err)
	}
	return r.primary.aead.Seal(out, out[1+idSize:header], plaintext, r.ad(out[:1+idSize], aad)), nil
}

// ad binds the version and key id to the caller's associated data.
func (r *Keyring) ad(head, aad []byte) []byte {
	return append(append(make([]byte, 0, len(head)+len(aad)), head...), aad...)
}

// Open decrypts a sealed value for the record named by aad. It returns an
// error wrapping ErrFormat, ErrUnknownKey or ErrOpen.
func (r *Keyring) Open(sealed, aad []byte) ([]byte, error) {
	if len(sealed) < header+16 || sealed[0] != version {
		return nil, ErrFormat
	}
	var id [idSize]byte
	copy(id[:], sealed[1:])
	k, ok := r.byID[id]
	if !ok {
		return nil, fmt.Errorf("%w (key id %x)", ErrUnknownKey, id)
	}
	pt, err := k.aead.Open(nil, sealed[1+idSize:header], sealed[header:], r.ad(sealed[:1+idSize], aad))
	if err != nil {
		return nil, ErrOpen
	}
	return pt, nil
}

// Current reports whether sealed was sealed by the primary key; values that
// are not should be re-sealed (Reseal) before the old key is dropped.
func (r *Keyring) Current(sealed []byte) bool {
	return len(sealed) >= header && bytes.Equal(sealed[1:1+idSize], r.primary.id[:])
}

// Reseal opens sealed with whichever key sealed it and seals it again with
// the primary key.
func (r *Keyring) Reseal(sealed, aad []byte) ([]byte, error) {
	pt, err := r.Open(sealed, aad)
	if err != nil {
		return nil, err
	}
	defer clear(pt)
	return r.Seal(pt, aad)
}

// GenerateKey returns a new random master key.
func GenerateKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("seal: generate master key: %w", err)
	}
	return k, nil
}

// Load returns the deployment's keyring: from the environment value env
// (EnvMasterKey: base64 keys separated by commas, the primary first) when it
// is not empty, otherwise from <dataDir>/master.key (one base64 key per line,
// the primary first), which is created with a new random key, mode 0600, on
// first start. A key file readable by group or others is refused.
func Load(dataDir, env string) (*Keyring, error) {
	if strings.TrimSpace(env) != "" {
		keys, err := parseKeys(strings.Split(env, ","))
		if err != nil {
			return nil, fmt.Errorf("seal: %s: %w", EnvMasterKey, err)
		}
		return New(keys[0], keys[1:]...)
	}
	path := filepath.Join(dataDir, MasterKeyFile)
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		k, err := GenerateKey()
		if err != nil {
			return nil, err
		}
		line := base64.StdEncoding.EncodeToString(k) + "\n"
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, fmt.Errorf("seal: create %s: %w", path, err)
		}
		_, werr := f.WriteString(line)
		serr := f.Sync()
		if err := errors.Join(werr, serr, f.Close()); err != nil {
			return nil, fmt.Errorf("seal: write %s: %w", path, err)
		}
		return New(k)
	}
	if err != nil {
		return nil, fmt.Errorf("seal: read %s: %w", path, err)
	}
	if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seal: %s is readable by others (mode %o): chmod 600 it", path, fi.Mode().Perm())
	}
	keys, err := parseKeys(strings.Split(string(raw), "\n"))
	if err != nil {
		return nil, fmt.Errorf("seal: %s: %w", path, err)
	}
	return New(keys[0], keys[1:]...)
}

func parseKeys(lines []string) ([][]byte, error) {
	var keys [][]byte
	for _, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		k, err := base64.StdEncoding.DecodeString(l)
		if err != nil {
			return nil, fmt.Errorf("key %d is not base64: %w", len(keys), err)
		}
		if len(k) != KeySize {
			return nil, fmt.Errorf("key %d is %d bytes, want %d", len(keys), len(k), KeySize)
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("no master key")
	}
	return keys, nil
}
