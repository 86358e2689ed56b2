package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestRoundTrip(t *testing.T) {
	r, err := New(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, pt := range [][]byte{{}, []byte("x"), bytes.Repeat([]byte("secret"), 1000)} {
		s, err := r.Seal(pt, []byte("rec/1"))
		if err != nil {
			t.Fatal(err)
		}
		// A 1-byte plaintext appears in random ciphertext by chance (about
		// one run in eight); only a longer one proves a leak.
		if len(pt) >= 8 && bytes.Contains(s, pt) {
			t.Fatal("plaintext visible in the sealed value")
		}
		got, err := r.Open(s, []byte("rec/1"))
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("Open = %q, %v", got, err)
		}
	}
}

func TestOpenRefuses(t *testing.T) {
	k1, k2 := mustKey(t), mustKey(t)
	r1, _ := New(k1)
	r2, _ := New(k2)
	sealed, err := r1.Seal([]byte("ed25519 seed"), []byte("rec/1"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		ring   *Keyring
		sealed []byte
		aad    string
		want   error
	}{
		{"tampered ciphertext", r1, flip(len(sealed) - 20), "rec/1", ErrOpen},
		{"tampered tag", r1, flip(len(sealed) - 1), "rec/1", ErrOpen},
		{"tampered nonce", r1, flip(6), "rec/1", ErrOpen},
		{"tampered key id", r1, flip(1), "rec/1", ErrUnknownKey},
		{"wrong key", r2, sealed, "rec/1", ErrUnknownKey},
		{"moved to another record", r1, sealed, "rec/2", ErrOpen},
		{"truncated", r1, sealed[:10], "rec/1", ErrFormat},
		{"unknown version", r1, flip(0), "rec/1", ErrFormat},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := tt.ring.Open(tt.sealed, []byte(tt.aad)); !errors.Is(err, tt.want) {
				t.Fatalf("Open: %v, want %v", err, tt.want)
			}
		})
	}
	// A wrong key that claims the same id still fails authentication.
	forged := bytes.Clone(sealed)
	id := KeyID(k2)
	copy(forged[1:], id[:])
	if _, err := r2.Open(forged, []byte("rec/1")); !errors.Is(err, ErrOpen) {
		t.Fatalf("wrong key under its id: %v", err)
	}
}

func TestRotation(t *testing.T) {
	old, cur := mustKey(t), mustKey(t)
	r1, _ := New(old)
	sealed, _ := r1.Seal([]byte("v"), nil)
	r2, err := New(cur, old)
	if err != nil {
		t.Fatal(err)
	}
	if r2.Current(sealed) {
		t.Fatal("sealed by the old key but reported current")
	}
	if got, err := r2.Open(sealed, nil); err != nil || string(got) != "v" {
		t.Fatalf("open after rotation: %q %v", got, err)
	}
	re, err := r2.Reseal(sealed, nil)
	if err != nil || !r2.Current(re) {
		t.Fatalf("reseal: %v", err)
	}
	r3, _ := New(cur)
	if got, err := r3.Open(re, nil); err != nil || string(got) != "v" {
		t.Fatalf("old key dropped: %q %v", got, err)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	r1, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, MasterKeyFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("master key file: %v, mode %v", err, fi.Mode())
	}
	s, _ := r1.Seal([]byte("v"), nil)
	r2, err := Load(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Open(s, nil); err != nil {
		t.Fatalf("reloaded key does not open: %v", err)
	}

	k := mustKey(t)
	env := base64.StdEncoding.EncodeToString(mustKey(t)) + "," + base64.StdEncoding.EncodeToString(k)
	r3, err := Load(dir, env)
	if err != nil {
		t.Fatal(err)
	}
	rk, _ := New(k)
	s2, _ := rk.Seal([]byte("w"), nil)
	if _, err := r3.Open(s2, nil); err != nil {
		t.Fatalf("older env key: %v", err)
	}

	for name, env := range map[string]string{"not base64": "%%%", "short": base64.StdEncoding.EncodeToString([]byte("short"))} {
		if _, err := Load(dir, env); err == nil {
			t.Errorf("%s: loaded", name)
		}
	}
	if err := os.Chmod(filepath.Join(dir, MasterKeyFile), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, ""); err == nil {
		t.Fatal("a world-readable key file was accepted")
	}
}

func ExampleKeyring() {
	master, _ := GenerateKey()
	ring, _ := New(master)
	sealed, _ := ring.Seal([]byte("issuer signing key seed"), []byte("issuer/key/did:talent:x#key-1"))
	plain, _ := ring.Open(sealed, []byte("issuer/key/did:talent:x#key-1"))
	_, err := ring.Open(sealed, []byte("issuer/key/did:talent:y#key-1"))
	fmt.Println(string(plain))
	fmt.Println(errors.Is(err, ErrOpen))
	// Output:
	// issuer signing key seed
	// true
}
