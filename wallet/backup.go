package wallet

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"golang.org/x/crypto/scrypt"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// Backup file format, version 1 (all of the header is the AEAD's
// associated data, so no byte of it can change unnoticed):
//
//	"TCWBAK" | version 0x01 | kdf 0x01 (scrypt) | log2 N | r | p |
//	salt (16 bytes) | nonce (12 bytes) | AES-256-GCM(key, JSON contents)
//
// key = scrypt(passphrase, salt, N, r, p, 32). The contents are the JSON of
// backupContents.
const (
	backupMagic   = "TCWBAK"
	backupVersion = 1
	kdfScrypt     = 1
	saltSize      = 16
	gcmNonceSize  = 12
	headerSize    = len(backupMagic) + 1 + 1 + 3 + saltSize + gcmNonceSize
	scryptR       = 8
	// minLogN and maxLogN bound scrypt's cost: at least 16 MiB of memory
	// per guess, at most 128 MiB (a crafted file cannot ask for more).
	minLogN = 14
	maxLogN = 17
	// MaxBackupSize is the largest backup file; a restore is one atomic
	// store batch, which bounds it.
	MaxBackupSize = 48 << 20
	// maxBackupCredentials and maxBackupShares keep a restore within one
	// store.Apply (3 writes per credential, 1 per share link, 2 for the
	// key and the account).
	maxBackupCredentials = 3000
	maxBackupShares      = 900
	contentsFormat       = "talentchain-wallet-backup"
)

type backupHeader struct {
	logN, r, p uint8
	salt       []byte
	nonce      []byte
}

// backupContents is what a backup holds: the holder key, the credentials
// with their receipts and reports, and the share links' metadata (no
// tokens, no presentations).
type backupContents struct {
	Format      string       `json:"format"`
	Version     int          `json:"version"`
	Created     time.Time    `json:"created"`
	Username    string       `json:"username"`
	DID         string       `json:"did"`
	Key         string       `json:"secretKeyMultibase"`
	Credentials []credRecord `json:"credentials"`
	Shares      []Share      `json:"shares"`
}

// Export writes the holder's whole wallet — holder key, credentials with
// their anchor receipts, share link metadata (not the tokens) — as one file
// encrypted under a key derived from passphrase (scrypt, random salt;
// AES-256-GCM with the header authenticated). The passphrase follows the
// password rules.
func (s *Service) Export(ctx context.Context, account, passphrase string) ([]byte, error) {
	if p := passwordProblem(passphrase, ""); p != "" {
		return nil, fmt.Errorf("export: %w", invalid("/passphrase", p))
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	kp, err := s.holderKey(ctx, acct)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	secret := credential.EncodeSecretKey(kp.Private)
	clear(kp.Private)
	c := backupContents{
		Format: contentsFormat, Version: backupVersion, Created: s.cfg.Now().UTC(),
		Username: acct.Username, DID: acct.DID, Key: secret,
		Credentials: []credRecord{}, Shares: []Share{},
	}
	creds, err := s.allCreds(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for _, r := range creds {
		r.Status = ""
		c.Credentials = append(c.Credentials, *r)
	}
	shares, err := s.Shares(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	for _, sh := range shares {
		c.Shares = append(c.Shares, *sh)
	}
	if len(c.Credentials) > maxBackupCredentials || len(c.Shares) > maxBackupShares {
		return nil, fmt.Errorf("export: %w: more than %d credentials or %d share links do not fit one backup", ErrUnsupported, maxBackupCredentials, maxBackupShares)
	}
	plain, err := json.Marshal(c)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	defer clear(plain)
	h := backupHeader{logN: uint8(s.cfg.BackupKDFLogN), r: scryptR, p: 1, salt: make([]byte, saltSize), nonce: make([]byte, gcmNonceSize)}
	if _, err := rand.Read(h.salt); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	if _, err := rand.Read(h.nonce); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	head := h.encode()
	aead, err := h.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	out := aead.Seal(head, h.nonce, plain, head)
	if len(out) > MaxBackupSize {
		return nil, fmt.Errorf("export: %w: the backup would be larger than %d bytes", ErrUnsupported, MaxBackupSize)
	}
	s.log.InfoContext(ctx, "wallet: backup exported", "account", account, "credentials", len(c.Credentials), "bytes", len(out))
	return out, nil
}

func (h *backupHeader) encode() []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, backupMagic...)
	b = append(b, backupVersion, kdfScrypt, h.logN, h.r, h.p)
	b = append(b, h.salt...)
	return append(b, h.nonce...)
}

// parseBackupHeader reads and checks a backup's header (outside input).
func parseBackupHeader(data []byte) (*backupHeader, error) {
	switch {
	case len(data) > MaxBackupSize:
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrBackup, MaxBackupSize)
	case len(data) < headerSize+16:
		return nil, fmt.Errorf("%w: too short to be a wallet backup", ErrBackup)
	case string(data[:len(backupMagic)]) != backupMagic:
		return nil, fmt.Errorf("%w: not a TalentChain wallet backup", ErrBackup)
	}
	i := len(backupMagic)
	if data[i] != backupVersion {
		return nil, fmt.Errorf("%w: unknown backup version %d", ErrBackup, data[i])
	}
	if data[i+1] != kdfScrypt {
		return nil, fmt.Errorf("%w: unknown key derivation %d", ErrBackup, data[i+1])
	}
	h := &backupHeader{logN: data[i+2], r: data[i+3], p: data[i+4]}
	if h.logN < minLogN || h.logN > maxLogN || h.r != scryptR || h.p < 1 || h.p > 2 {
		return nil, fmt.Errorf("%w: key derivation parameters out of range", ErrBackup)
	}
	i += 5
	h.salt = data[i : i+saltSize]
	h.nonce = data[i+saltSize : i+saltSize+gcmNonceSize]
	return h, nil
}

func (h *backupHeader) aead(passphrase string) (cipher.AEAD, error) {
	key, err := scrypt.Key([]byte(passphrase), h.salt, 1<<h.logN, int(h.r), int(h.p), 32)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// openBackup decrypts and decodes a backup. Every failure is ErrBackup.
func openBackup(data []byte, passphrase string) (*backupContents, error) {
	h, err := parseBackupHeader(data)
	if err != nil {
		return nil, err
	}
	aead, err := h.aead(passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBackup, err)
	}
	plain, err := aead.Open(nil, h.nonce, data[headerSize:], data[:headerSize])
	if err != nil {
		return nil, fmt.Errorf("%w: wrong passphrase, or the file was altered", ErrBackup)
	}
	defer clear(plain)
	return decodeBackup(plain)
}

// decodeBackup reads decrypted contents strictly. Authenticated
// encryption makes alteration unlikely, but a backup of another version
// of the wallet, or a buggy one, must not corrupt the store.
func decodeBackup(plain []byte) (*backupContents, error) {
	d := json.NewDecoder(bytes.NewReader(plain))
	d.DisallowUnknownFields()
	var c backupContents
	if err := d.Decode(&c); err != nil {
		return nil, fmt.Errorf("%w: contents: %v", ErrBackup, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: contents: trailing data", ErrBackup)
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: contents: %s", ErrBackup, fmt.Sprintf(format, args...))
	}
	if c.Format != contentsFormat || c.Version != backupVersion {
		return nil, bad("not wallet backup contents of version %d", backupVersion)
	}
	priv, err := credential.DecodeSecretKey(c.Key)
	if err != nil {
		return nil, bad("holder key: %v", err)
	}
	kp := credential.NewDIDKeyPair(priv)
	clear(priv)
	if kp.Controller != c.DID {
		return nil, bad("the holder key is not the key of %s", c.DID)
	}
	if len(c.Credentials) > maxBackupCredentials || len(c.Shares) > maxBackupShares {
		return nil, bad("more than %d credentials or %d share links", maxBackupCredentials, maxBackupShares)
	}
	ids := map[string]bool{}
	for i, r := range c.Credentials {
		switch {
		case !credRE.MatchString(r.ID) || ids[r.ID]:
			return nil, bad("credentials[%d]: bad or repeated id", i)
		case len(r.Digest) != 64 || !isHex(r.Digest):
			return nil, bad("credentials[%d]: bad digest", i)
		case r.Format == FormatLDP:
			doc, err := credential.ParseDocument(r.Document)
			if err != nil {
				return nil, bad("credentials[%d]: %v", i, err)
			}
			d, err := credential.CredentialDigest(doc)
			if err != nil || hex.EncodeToString(d[:]) != r.Digest {
				return nil, bad("credentials[%d]: the digest does not match the document", i)
			}
		case r.Format == FormatSDJWT:
			if !looksLikeSDJWT(r.Compact) {
				return nil, bad("credentials[%d]: not an SD-JWT", i)
			}
		default:
			return nil, bad("credentials[%d]: unknown format %q", i, r.Format)
		}
		ids[r.ID] = true
	}
	for i, sh := range c.Shares {
		if !widRE.MatchString(sh.ID) {
			return nil, bad("shares[%d]: bad id", i)
		}
	}
	return &c, nil
}

func isHex(s string) bool {
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// RestoreResult says what a restore did.
type RestoreResult struct {
	DID         string `json:"did"`
	Credentials int    `json:"credentials"` // added
	Skipped     int    `json:"skipped"`     // already in the wallet
	Shares      int    `json:"shares"`      // share link records restored (they cannot be opened)
}

// Restore reads a backup into the holder's account, in one atomic store
// batch: the backup's holder key (and DID) replaces the account's when the
// account holds no credential yet (a new account, or another deployment);
// credentials already present are skipped. A wrong passphrase or an
// altered file is ErrBackup; an account that already holds credentials of
// another DID is ErrConflict. Either way nothing changes.
func (s *Service) Restore(ctx context.Context, account string, data []byte, passphrase string) (*RestoreResult, error) {
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	c, err := openBackup(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	defer func() { c.Key = "" }()
	entries, err := s.listAll(ctx, "digest/"+account+"/")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Key[strings.LastIndexByte(e.Key, '/')+1:]] = true
	}
	if acct.DID != c.DID && len(have) > 0 {
		return nil, fmt.Errorf("restore: %w: this wallet already holds credentials of %s; restore into a new account", ErrConflict, acct.DID)
	}
	res := &RestoreResult{DID: c.DID}
	var ops []store.Op
	if acct.DID != c.DID {
		priv, err := credential.DecodeSecretKey(c.Key)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		sealed, err := s.keys.Seal(priv.Seed(), keyAAD(account, c.DID))
		clear(priv)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		updated := *acct
		updated.DID = c.DID
		raw, err := json.Marshal(updated)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		ops = append(ops, store.OpPut("key/"+account, sealed, 0), store.OpPut("acct/"+account, raw, 0))
	}
	now := s.cfg.Now().UTC()
	for _, r := range c.Credentials {
		if have[r.Digest] {
			res.Skipped++
			continue
		}
		r.Source, r.Status = SourceRestore, ""
		cops, err := credOps(account, &r)
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		ops = append(ops, cops...)
		res.Credentials++
	}
	existing, err := s.listAll(ctx, "share/"+account+"/")
	if err != nil {
		return nil, fmt.Errorf("restore: %w", err)
	}
	for _, sh := range c.Shares {
		keep := sh.Expires.Add(shareKeep).Sub(now)
		if keep <= 0 || slices.ContainsFunc(existing, func(e store.Entry) bool { return e.Key == "share/"+account+"/"+sh.ID }) {
			continue
		}
		sh.URL, sh.Restored, sh.Opened = "", true, 0
		raw, err := json.Marshal(shareRecord{Share: sh, Holder: c.DID})
		if err != nil {
			return nil, fmt.Errorf("restore: %w", err)
		}
		ops = append(ops, store.OpCreate("share/"+account+"/"+sh.ID, raw, keep))
		res.Shares++
	}
	if err := s.st.Apply(ctx, ops...); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("restore: %w: the wallet changed during the restore; try again", ErrConflict)
		}
		return nil, fmt.Errorf("restore: %w", err)
	}
	s.log.InfoContext(ctx, "wallet: backup restored", "account", account, "did", c.DID, "added", res.Credentials, "skipped", res.Skipped)
	return res, nil
}
