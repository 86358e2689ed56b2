package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
)

func TestBackupRestore(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newWallet(t, sc.open(t), nil, Config{})
			a := holder(t, s, "zhangsan")
			var ids []string
			for _, req := range []*issuer.Request{masterDegree(a.DID), training(a.DID, "BC-A01")} {
				c, err := s.Import(ctx, a.ID, file(t, f.issue(t, req)))
				if err != nil {
					t.Fatal(err)
				}
				ids = append(ids, c.ID)
			}
			sh, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: ids[:1], Label: "ACME"})
			if err != nil {
				t.Fatal(err)
			}
			const pass = "a long backup passphrase"
			if _, err := s.Export(ctx, a.ID, "short"); !errors.Is(err, ErrInvalid) {
				t.Fatalf("weak passphrase: %v", err)
			}
			backup, err := s.Export(ctx, a.ID, pass)
			if err != nil {
				t.Fatalf("export: %v", err)
			}
			if !bytes.HasPrefix(backup, []byte(backupMagic)) || bytes.Contains(backup, []byte(a.DID)) || bytes.Contains(backup, []byte("credentialSubject")) {
				t.Fatal("the backup is not encrypted")
			}

			// Another deployment: another store, another master key.
			rawB := sc.open(t)
			other := newWallet(t, rawB, nil, Config{})
			fresh := holder(t, other, "zhangsan-new")
			before := dump(t, rawB)

			// Wrong passphrase, altered bytes anywhere, truncation: refused,
			// nothing changed.
			tampered := func(i int) []byte {
				b := bytes.Clone(backup)
				b[i] ^= 0x01
				return b
			}
			for name, in := range map[string][]byte{
				"wrong passphrase": nil,
				"magic":            tampered(0),
				"version":          tampered(6),
				"kdf cost":         tampered(8),
				"salt":             tampered(12),
				"nonce":            tampered(headerSize - 1),
				"ciphertext":       tampered(headerSize + 10),
				"tag":              tampered(len(backup) - 1),
				"truncated":        backup[:len(backup)-20],
				"header only":      backup[:headerSize],
				"empty":            {},
			} {
				p := pass
				if in == nil {
					in, p = backup, "another long passphrase"
				}
				if _, err := other.Restore(ctx, fresh.ID, in, p); !errors.Is(err, ErrBackup) {
					t.Fatalf("%s: %v", name, err)
				}
			}
			if after := dump(t, rawB); !maps.Equal(before, after) {
				t.Fatal("a refused restore changed the store")
			}

			res, err := other.Restore(ctx, fresh.ID, backup, pass)
			if err != nil {
				t.Fatalf("restore: %v", err)
			}
			if res.DID != a.DID || res.Credentials != 2 || res.Skipped != 0 || res.Shares != 1 {
				t.Fatalf("restore result %+v", res)
			}
			acct, _ := other.Account(ctx, fresh.ID)
			if acct.DID != a.DID {
				t.Fatalf("the account's DID is %s, not the backup's %s", acct.DID, a.DID)
			}
			got := list(t, other, fresh.ID)
			if len(got) != 2 || got[0].Source != SourceRestore || !got[0].Anchored || !got[1].Anchored || got[0].Receipt != nil {
				t.Fatalf("restored %+v %+v", got[0], got[1])
			}
			// The restored key signs presentations that verify.
			p, err := other.Present(ctx, fresh.ID, PresentRequest{CredentialIDs: ids, Challenge: "after-restore"})
			if err != nil {
				t.Fatal(err)
			}
			if r, _ := strictVerifier(t).VerifyPresentation(ctx, p.Presentation, credential.VerifyOptions{Challenge: "after-restore"}); !r.Verified {
				t.Fatalf("presentation after restore: %v", r.Errors)
			}
			shares, _ := other.Shares(ctx, fresh.ID)
			if len(shares) != 1 || !shares[0].Restored || shares[0].Label != "ACME" || shares[0].ID != sh.ID {
				t.Fatalf("shares %+v", shares)
			}
			// Again into the same account: everything is there already.
			res, err = other.Restore(ctx, fresh.ID, backup, pass)
			if err != nil || res.Credentials != 0 || res.Skipped != 2 || res.Shares != 0 {
				t.Fatalf("second restore %+v %v", res, err)
			}

			// An account that holds credentials of another DID is not
			// mixed with the backup's.
			b := holder(t, other, "lisi")
			if _, err := other.Import(ctx, b.ID, file(t, f.issue(t, training(b.DID, "BC-A02")))); err != nil {
				t.Fatal(err)
			}
			before = dump(t, rawB)
			if _, err := other.Restore(ctx, b.ID, backup, pass); !errors.Is(err, ErrConflict) {
				t.Fatalf("restore over another DID: %v", err)
			}
			if after := dump(t, rawB); !maps.Equal(before, after) {
				t.Fatal("a refused restore changed the store")
			}
		})
	}
}

func TestBackupContentsChecks(t *testing.T) {
	key, _ := credential.GenerateKey()
	good := backupContents{Format: contentsFormat, Version: 1, Created: time.Now(), DID: key.Controller, Key: credential.EncodeSecretKey(key.Private),
		Credentials: []credRecord{}, Shares: []Share{}}
	enc := func(mod func(*backupContents)) []byte {
		c := good
		mod(&c)
		b, _ := json.Marshal(c)
		return b
	}
	if _, err := decodeBackup(enc(func(*backupContents) {})); err != nil {
		t.Fatal(err)
	}
	other, _ := credential.GenerateKey()
	for name, in := range map[string][]byte{
		"format":       enc(func(c *backupContents) { c.Format = "x" }),
		"version":      enc(func(c *backupContents) { c.Version = 2 }),
		"key of other": enc(func(c *backupContents) { c.DID = other.Controller }),
		"bad key":      enc(func(c *backupContents) { c.Key = "zzz" }),
		"bad cred id": enc(func(c *backupContents) {
			c.Credentials = []credRecord{{Credential: Credential{ID: "../x", Format: FormatLDP}}}
		}),
		"bad digest": enc(func(c *backupContents) {
			c.Credentials = []credRecord{{Credential: Credential{ID: strings.Repeat("a", 24), Format: FormatLDP}, Digest: "x"}}
		}),
		"doc mismatch": enc(func(c *backupContents) {
			c.Credentials = []credRecord{{Credential: Credential{ID: strings.Repeat("a", 24), Format: FormatLDP, Document: []byte(`{"a":1}`)}, Digest: strings.Repeat("a", 64)}}
		}),
		"bad format": enc(func(c *backupContents) {
			c.Credentials = []credRecord{{Credential: Credential{ID: strings.Repeat("a", 24), Format: "jwt"}, Digest: strings.Repeat("a", 64)}}
		}),
		"bad share id":  enc(func(c *backupContents) { c.Shares = []Share{{ID: "x"}} }),
		"unknown field": []byte(`{"format":"talentchain-wallet-backup","extra":1}`),
		"trailing":      append(enc(func(*backupContents) {}), '{', '}'),
	} {
		if _, err := decodeBackup(in); !errors.Is(err, ErrBackup) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// A crafted header cannot make a restore spend unbounded memory.
func TestBackupHeaderLimits(t *testing.T) {
	h := backupHeader{logN: minLogN, r: scryptR, p: 1, salt: make([]byte, saltSize), nonce: make([]byte, gcmNonceSize)}
	ok := append(h.encode(), make([]byte, 32)...)
	if _, err := parseBackupHeader(ok); err != nil {
		t.Fatal(err)
	}
	for _, mod := range []func(b []byte){
		func(b []byte) { b[8] = maxLogN + 1 },
		func(b []byte) { b[8] = minLogN - 1 },
		func(b []byte) { b[9] = 16 },
		func(b []byte) { b[10] = 0 },
		func(b []byte) { b[10] = 3 },
		func(b []byte) { b[7] = 2 },
	} {
		b := bytes.Clone(ok)
		mod(b)
		if _, err := parseBackupHeader(b); !errors.Is(err, ErrBackup) {
			t.Errorf("accepted %x", b[:12])
		}
	}
}
