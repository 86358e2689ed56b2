package credential

import (
	"context"
	"errors"
	"testing"
)

// TestKeyResolverHostileInput: a did:key with bytes outside base58's
// alphabet (found by the issuer's CSV fuzzer, where it once panicked in a
// base58 decoder) is ErrNotFound with a reason, never a panic.
func TestKeyResolverHostileInput(t *testing.T) {
	for _, id := range []string{"did:key:z程", "did:key:z6Mk程", "did:key:z\xff\xfe", "did:key:z", "did:key:", "did:key:z0OIl"} {
		t.Run(id, func(t *testing.T) {
			doc, err := KeyResolver{}.Resolve(context.Background(), id)
			if doc != nil || !errors.Is(err, ErrNotFound) {
				t.Fatalf("Resolve(%q) = %v, %v; want ErrNotFound", id, doc, err)
			}
		})
	}
}
