package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Parsers of outside input on the chain side: issuer DIDs (from credentials
// and the resolver route), ABCI query paths (anyone with RPC access),
// Merkle roots, Multikey public keys, and transactions as CheckTx sees them.
// None may panic; each has one canonical spelling of what it accepts.

// FuzzIssuerDID: a DID ValidIssuerDID accepts is did:talent: and base58 of
// 16 bytes, and reading it from state touches exactly its own issuer key
// (no path segment can reach another record).
func FuzzIssuerDID(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	for _, s := range []string{IssuerDID(pub), DIDPrefix, DIDPrefix + "1111111111111111", DIDPrefix + "../../governance",
		DIDPrefix + "KEUAqjiMzAV5J9JXHM6sSn/x", "did:web:example.com", strings.Repeat("z", 300)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !ValidIssuerDID(s) {
			return
		}
		id := strings.TrimPrefix(s, DIDPrefix)
		if strings.ContainsAny(id, "/#?%:. ") || len(id) < 16 || len(id) > 24 {
			t.Fatalf("accepted %q", s)
		}
		key, ok := StateKey(PathIssuer + s)
		if !ok || key != prefixIssuer+s {
			t.Fatalf("StateKey(%q) = %q %v", PathIssuer+s, key, ok)
		}
	})
}

// FuzzStateKey: every single-entry path maps into the prefix of its kind;
// no path maps to a key outside the known prefixes.
func FuzzStateKey(f *testing.F) {
	for _, s := range []string{PathGovernance, PathIssuer + "did:talent:x", PathAccreditation + "a/b", PathAnchor + strings.Repeat("ab", 32),
		PathStatusList + "a/b", PathIssuers, "/issuer/", "/issuer//", "/anchor/AB", "", "/"} {
		f.Add(s)
	}
	prefixes := []string{keyGovernance, prefixAccount, prefixIssuer, prefixAccr, prefixAnchor, prefixStatus}
	f.Fuzz(func(t *testing.T, path string) {
		key, ok := StateKey(path)
		if !ok {
			return
		}
		found := false
		for _, p := range prefixes {
			if strings.HasPrefix(key, p) {
				found = true
			}
		}
		if !found || key == "" {
			t.Fatalf("StateKey(%q) = %q outside every prefix", path, key)
		}
	})
}

// FuzzParseRoot: an accepted root is 32 bytes that print back to the input.
func FuzzParseRoot(f *testing.F) {
	f.Add(strings.Repeat("ab", 32))
	f.Add(strings.Repeat("AB", 32))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		b, err := ParseRoot(s)
		if err != nil {
			return
		}
		if len(b) != 32 || strings.ToLower(s) != s || len(s) != 64 {
			t.Fatalf("accepted %q as %x", s, b)
		}
	})
}

// FuzzDecodePublicKey: an accepted key is 32 bytes and encodes back to the
// very string given (one spelling per key).
func FuzzDecodePublicKey(f *testing.F) {
	pub, _, _ := ed25519.GenerateKey(nil)
	f.Add(EncodePublicKey(pub))
	f.Add("z6Mk")
	f.Add("z" + strings.Repeat("1", 48))
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		k, err := DecodePublicKey(s)
		if err != nil {
			return
		}
		if len(k) != ed25519.PublicKeySize || EncodePublicKey(k) != s {
			t.Fatalf("accepted %q as %x", s, k)
		}
	})
}

// FuzzQuery sends arbitrary ABCI queries (path, data, height, prove) to an
// application holding a genesis and one registered issuer: no panic, and a
// refused query carries a non-zero code and no value.
func FuzzQuery(f *testing.F) {
	h := newHarness(f, nil)
	for _, s := range []string{PathGovernance, PathIssuers, PathIssuer + "did:talent:KEUAqjiMzAV5J9JXHM6sSn", PathAnchor + strings.Repeat("0", 64),
		PathStatusLists + "x", PathAccreditation + "a", "/account/governance", "/../../", "/issuer/\x00"} {
		f.Add(s, []byte(nil), int64(0), false)
		f.Add(s, []byte("x"), int64(1), true)
	}
	f.Fuzz(func(t *testing.T, path string, data []byte, height int64, prove bool) {
		resp, err := h.app.Query(context.Background(), &abci.RequestQuery{Path: path, Data: data, Height: height, Prove: prove})
		if err != nil {
			return
		}
		if resp.Code != 0 && len(resp.Value) != 0 {
			t.Fatalf("query %q refused (code %d) with a value", path, resp.Code)
		}
	})
}

// FuzzCheckTx gives arbitrary bytes to CheckTx: no panic; anything accepted
// into the mempool decodes as a transaction.
func FuzzCheckTx(f *testing.F) {
	h := newHarness(f, nil)
	addCorpus(f)
	f.Fuzz(func(t *testing.T, tx []byte) {
		resp, err := h.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_New})
		if err != nil {
			t.Fatalf("CheckTx returned an error instead of a code: %v", err)
		}
		if resp.Code == 0 {
			if _, err := DecodeTx(tx); err != nil {
				t.Fatalf("CheckTx accepted a tx DecodeTx refuses: %v", err)
			}
		}
	})
}

// addCorpus adds the committed FuzzDecodeTx corpus (real transactions of
// every kind) as seeds.
func addCorpus(f *testing.F) {
	for _, p := range fuzzCorpusFiles(f, "testdata/fuzz/FuzzDecodeTx") {
		if b := readCorpusBytes(f, p); b != nil {
			f.Add(b)
		}
	}
	f.Add([]byte("{}"))
	f.Add(bytes.Repeat([]byte("["), 1000))
}

// fuzzCorpusFiles lists a committed corpus directory.
func fuzzCorpusFiles(f *testing.F, dir string) []string {
	files, err := filepath.Glob(filepath.Join(dir, "*"))
	if err != nil {
		f.Fatal(err)
	}
	return files
}

// readCorpusBytes reads the []byte value of a one-value corpus file (the
// "go test fuzz v1" format), or nil.
func readCorpusBytes(f *testing.F, path string) []byte {
	raw, err := os.ReadFile(path)
	if err != nil {
		f.Fatal(err)
	}
	_, v, ok := strings.Cut(string(raw), "\n")
	v = strings.TrimSpace(v)
	if !ok || !strings.HasPrefix(v, "[]byte(") || !strings.HasSuffix(v, ")") {
		return nil
	}
	s, err := strconv.Unquote(v[len("[]byte(") : len(v)-1])
	if err != nil {
		return nil
	}
	return []byte(s)
}
