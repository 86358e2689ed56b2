package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
)

// FuzzOpen: sealed values come back from a store an attacker may have
// written to. Open never panics; it opens only what this keyring sealed for
// this record (any other bytes or another record's aad is an error wrapping
// ErrFormat, ErrUnknownKey or ErrOpen), and a sealed value with one byte
// changed never opens.
func FuzzOpen(f *testing.F) {
	k1, _ := GenerateKey()
	k2, _ := GenerateKey()
	r, err := New(k1, k2)
	if err != nil {
		f.Fatal(err)
	}
	old, _ := New(k2)
	s1, _ := r.Seal([]byte("api token hash"), []byte("issuer/tokens/1"))
	s2, _ := old.Seal([]byte("session"), []byte("wallet/sess/1"))
	f.Add(s1, []byte("issuer/tokens/1"), 0)
	f.Add(s2, []byte("wallet/sess/1"), 3)
	f.Add([]byte{version}, []byte(nil), 0)
	f.Add([]byte{}, []byte("x"), 1)
	f.Fuzz(func(t *testing.T, sealed, aad []byte, flip int) {
		pt, err := r.Open(sealed, aad)
		if err != nil {
			if pt != nil || !(errors.Is(err, ErrFormat) || errors.Is(err, ErrUnknownKey) || errors.Is(err, ErrOpen)) {
				t.Fatalf("Open: %v (plaintext %v)", err, pt != nil)
			}
		} else if !bytes.Equal(sealed, s1) && !bytes.Equal(sealed, s2) {
			t.Fatalf("opened bytes this keyring never sealed: %x", sealed)
		}
		// Round trip of the fuzzed bytes as a plaintext, and tampering.
		s, err := r.Seal(sealed, aad)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := r.Open(s, aad); err != nil || !bytes.Equal(got, sealed) {
			t.Fatalf("round trip: %v", err)
		}
		if _, err := r.Open(s, append(bytes.Clone(aad), 0)); err == nil {
			t.Fatal("opened with another record's aad")
		}
		i := flip % len(s)
		if i < 0 {
			i = -i
		}
		s[i] ^= 0x01
		if _, err := r.Open(s, aad); err == nil {
			t.Fatalf("opened a value with byte %d changed", i)
		}
	})
}

// FuzzParseKeys reads master key files and TALENTCHAIN_MASTER_KEY: no
// panic; what it accepts is at least one key, each KeySize bytes.
func FuzzParseKeys(f *testing.F) {
	k, _ := GenerateKey()
	f.Add(base64.StdEncoding.EncodeToString(k) + "\n")
	f.Add("# comment\n" + base64.StdEncoding.EncodeToString(k) + "\n" + base64.StdEncoding.EncodeToString(k))
	f.Add("")
	f.Add("not base64\n")
	f.Fuzz(func(t *testing.T, s string) {
		keys, err := parseKeys(strings.Split(s, "\n"))
		if err != nil {
			return
		}
		if len(keys) == 0 {
			t.Fatal("accepted no key")
		}
		for _, k := range keys {
			if len(k) != KeySize {
				t.Fatalf("accepted a key of %d bytes", len(k))
			}
		}
		if _, err := New(keys[0], keys[1:]...); err != nil {
			t.Fatalf("accepted keys New refuses: %v", err)
		}
	})
}
