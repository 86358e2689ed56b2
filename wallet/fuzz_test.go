package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// Parsers of outside input: offers (a QR code), credential files, issuers'
// and verifiers' answers, backup files. None may panic; every refusal wraps
// the sentinel the caller branches on.

func FuzzParseOffer(f *testing.F) {
	good := `{"credential_issuer":"https://issuer.example.edu.cn","credential_configuration_ids":["DegreeCredential_ldp_vc"],"grants":{"urn:ietf:params:oauth:grant-type:pre-authorized_code":{"pre-authorized_code":"abc","tx_code":{"length":6}}}}`
	for _, s := range []string{good, "openid-credential-offer://?credential_offer=" + url.QueryEscape(good), "openid-credential-offer://?credential_offer_uri=x", "{}", "", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOffer(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("%v is neither ErrInvalid nor ErrUnsupported", err)
			}
			return
		}
		if o.Grants.PreAuthorized == nil || o.Grants.PreAuthorized.Code == "" || len(o.ConfigurationIDs) == 0 ||
			!(strings.HasPrefix(o.CredentialIssuer, "https://") || strings.HasPrefix(o.CredentialIssuer, "http://")) {
			t.Fatalf("accepted %+v", o)
		}
	})
}

func FuzzParseImport(f *testing.F) {
	vc := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}`
	for _, s := range []string{vc, `{"credential":` + vc + `}`, `{"credential":"a.b.c~d~"}`, "a.b.c~", `{"credential":` + vc + `,"anchorReceipt":{"type":"TalentChainAnchorReceipt","version":1}}`, "", "{"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := parseImport(b)
		if err != nil {
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) == 0 {
				t.Fatalf("%v is not a ValidationError", err)
			}
			return
		}
		switch in.format {
		case FormatLDP:
			if in.doc == nil {
				t.Fatal("no document")
			}
		case FormatSDJWT:
			if !looksLikeSDJWT(in.compact) || in.receipt != nil {
				t.Fatal("bad SD-JWT accepted")
			}
		default:
			t.Fatalf("format %q", in.format)
		}
	})
}

func FuzzParseCredentialResponse(f *testing.F) {
	for _, s := range []string{`{"credentials":[{"credential":{"@context":[]}}]}`, `{"credentials":[{"credential":"a.b.c~"}]}`, `{"credentials":[]}`, `{"credentials":[{"credential":{"@context":[]}}],"anchorReceipt":{}}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		ins, err := parseCredentialResponse(b)
		if err == nil && (len(ins) == 0 || len(ins) > 10) {
			t.Fatalf("%d credentials accepted", len(ins))
		}
	})
}

func FuzzParseRequestObject(f *testing.F) {
	f.Add([]byte(`{"id":"r1","presentation_definition":{"id":"d"},"challenge":"c","response_uri":"https://v.cn/r","expires":"2030-01-01T00:00:00Z"}`))
	f.Add([]byte(`{"id":"r1"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parseRequestObject(b)
		if err == nil && (!extIDRE.MatchString(r.ID) || r.Challenge == "" || r.ResponseURI == "" || r.Expires.IsZero() || len(r.Definition) == 0) {
			t.Fatalf("accepted %+v", r)
		}
	})
}

func FuzzParseBackupHeader(f *testing.F) {
	h := backupHeader{logN: minLogN, r: scryptR, p: 1, salt: make([]byte, saltSize), nonce: make([]byte, gcmNonceSize)}
	f.Add(append(h.encode(), make([]byte, 16)...))
	f.Add([]byte(backupMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parseBackupHeader(b)
		if err != nil {
			if !errors.Is(err, ErrBackup) {
				t.Fatalf("%v is not ErrBackup", err)
			}
			return
		}
		if h.logN < minLogN || h.logN > maxLogN || h.r != scryptR || h.p < 1 || h.p > 2 || len(h.salt) != saltSize || len(h.nonce) != gcmNonceSize {
			t.Fatalf("accepted %+v", h)
		}
	})
}

func FuzzDecodeBackup(f *testing.F) {
	key, _ := credential.GenerateKey()
	good, _ := json.Marshal(backupContents{Format: contentsFormat, Version: 1, Created: time.Unix(0, 0), DID: key.Controller,
		Key: credential.EncodeSecretKey(key.Private), Credentials: []credRecord{}, Shares: []Share{}})
	f.Add(good)
	f.Add([]byte(`{"format":"talentchain-wallet-backup","version":1,"credentials":[{"id":"aaaaaaaaaaaaaaaaaaaaaaaa","format":"ldp_vc","digest":"x"}]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeBackup(b)
		if err != nil {
			if !errors.Is(err, ErrBackup) {
				t.Fatalf("%v is not ErrBackup", err)
			}
			return
		}
		priv, err := credential.DecodeSecretKey(c.Key)
		if err != nil || credential.NewDIDKeyPair(priv).Controller != c.DID {
			t.Fatal("accepted a key that is not the DID's")
		}
	})
}

// FuzzOpenBackup runs whole files through the decryption path (the KDF
// makes each run slow: run it for a short while).
func FuzzOpenBackup(f *testing.F) {
	h := backupHeader{logN: minLogN, r: scryptR, p: 1, salt: make([]byte, saltSize), nonce: make([]byte, gcmNonceSize)}
	f.Add(append(h.encode(), make([]byte, 40)...), "a long backup passphrase")
	f.Fuzz(func(t *testing.T, b []byte, pass string) {
		if _, err := openBackup(b, pass); err == nil || !errors.Is(err, ErrBackup) {
			t.Fatalf("random bytes opened: %v", err)
		}
	})
}

// FuzzOpenShare opens share links with arbitrary tokens against a wallet
// holding one real link: only the real token opens it; every other token
// is ErrNotFound and leaves the store as it was (no access is logged).
func FuzzOpenShare(f *testing.F) {
	fx := env(f)
	ctx := context.Background()
	raw := openBolt(f)
	s := newWallet(f, raw, nil, Config{})
	a := holder(f, s, "fuzzshare")
	c, err := s.Import(ctx, a.ID, file(f, fx.issue(f, masterDegree(a.DID))))
	if err != nil {
		f.Fatal(err)
	}
	sh, err := s.CreateShare(ctx, a.ID, NewShare{CredentialIDs: []string{c.ID}, TTL: time.Hour})
	if err != nil {
		f.Fatal(err)
	}
	real := sh.URL[strings.LastIndex(sh.URL, "/")+1:]
	f.Add(real)
	f.Add(real[:len(real)-1] + "A")
	f.Add(strings.Repeat("A", shareTokenLen))
	f.Add("")
	f.Add("../../wallet/accounts")
	f.Add(strings.Repeat("é", shareTokenLen/2))
	before := dump(f, raw)
	f.Fuzz(func(t *testing.T, token string) {
		got, err := s.OpenShare(ctx, token, Visitor{IP: "192.0.2.1", UserAgent: "fuzz"})
		if token == real {
			if err != nil || got == nil {
				t.Fatalf("the real token: %v", err)
			}
			before = dump(t, raw) // the opening was logged
			return
		}
		if !errors.Is(err, ErrNotFound) || got != nil {
			t.Fatalf("token %q: %v %+v, want ErrNotFound", token, err, got)
		}
		if !maps.Equal(before, dump(t, raw)) {
			t.Fatalf("token %q changed the store", token)
		}
	})
}

// FuzzParseReceiptValue reads anchor receipts as a credential file carries
// them (any JSON value): no panic; an accepted receipt has a well-formed
// digest, root and path.
func FuzzParseReceiptValue(f *testing.F) {
	for _, s := range []string{
		`{"type":"TalentChainAnchorReceipt","version":1,"credentialDigest":"` + strings.Repeat("ab", 32) + `","leafIndex":0,"treeSize":1,"path":[],"root":"` + strings.Repeat("cd", 32) + `"}`,
		`{"type":"TalentChainAnchorReceipt","version":2}`, `[]`, `"x"`, `null`, `{"path":[1,2]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		r, err := parseReceipt(v)
		if err != nil {
			if r != nil {
				t.Fatalf("receipt and error: %+v %v", r, err)
			}
			return
		}
		if r == nil {
			return // no receipt given
		}
		if len(r.Digest) != 64 || len(r.Root) != 64 || r.TreeSize == 0 || len(r.Path) > 64 {
			t.Fatalf("accepted a malformed receipt %+v", r)
		}
	})
}
