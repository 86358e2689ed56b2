package credential

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestContextCacheIsTransparent canonicalizes every sample document with the
// context cache (cold, warm, and from several goroutines at once) and without
// it: the N-Quads, and the errors, must be identical.
func TestContextCacheIsTransparent(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/forged/*.json", "testdata/interop/*.json", "testdata/w3c/w3c-eddsa*.json"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	if len(files) < 50 {
		t.Fatalf("only %d sample files", len(files))
	}
	l := MustLoader()
	cached := NewCanonicalizer(l)
	plain := &Canonicalizer{loader: l} // no cache
	type outcome struct{ nq, err string }
	run := func(c *Canonicalizer, doc map[string]any) outcome {
		nq, err := c.Canonicalize(doc)
		if err != nil {
			return outcome{err: err.Error()}
		}
		return outcome{nq: nq}
	}
	docs := map[string][]map[string]any{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ParseDocument(b)
		if err != nil {
			continue // not a JSON-LD document (manifest, key files)
		}
		// The document, its unsecured form, and each embedded credential.
		parts := []map[string]any{doc, withoutProof(doc)}
		for _, c := range asSlice(doc["verifiableCredential"]) {
			if m, ok := c.(map[string]any); ok {
				parts = append(parts, withoutProof(m))
			}
		}
		docs[f] = parts
	}
	want := map[string][]outcome{}
	for f, parts := range docs {
		for _, p := range parts {
			want[f] = append(want[f], run(plain, p))
		}
	}
	var wg sync.WaitGroup
	for round := 0; round < 3; round++ {
		for f, parts := range docs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i, p := range parts {
					if got := run(cached, p); got != want[f][i] {
						t.Errorf("%s part %d: cached canonicalization differs:\ncached: %+v\nplain:  %+v", f, i, got, want[f][i])
					}
				}
			}()
		}
		wg.Wait()
	}
}
