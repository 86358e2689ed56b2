package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
)

// mth is the RFC 6962 definition, recursively: the reference the tree must match.
func mth(leaves [][32]byte) [32]byte {
	switch n := len(leaves); n {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	default:
		k := 1
		for k*2 < n {
			k *= 2
		}
		l, r := mth(leaves[:k]), mth(leaves[k:])
		return HashChildren(l[:], r[:])
	}
}

func TestTreeMatchesRFC6962AndPathsVerify(t *testing.T) {
	for n := 0; n <= 40; n++ {
		leaves := make([][32]byte, n)
		for i := range leaves {
			leaves[i] = HashLeaf([]byte(fmt.Sprint("credential ", i)))
		}
		tr := Build(leaves)
		if tr.Root() != mth(leaves) {
			t.Fatalf("n=%d: root differs from RFC 6962", n)
		}
		for i := 0; i < n; i++ {
			p := tr.Path(uint64(i))
			root, err := RootFromPath(uint64(i), uint64(n), leaves[i], p)
			if err != nil || root != tr.Root() {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
			// A path for another leaf, or a truncated path, does not verify.
			if n > 1 {
				other := leaves[(i+1)%n]
				if r, _ := RootFromPath(uint64(i), uint64(n), other, p); r == tr.Root() {
					t.Fatalf("n=%d i=%d: another leaf verified", n, i)
				}
				if len(p) > 0 {
					if _, err := RootFromPath(uint64(i), uint64(n), leaves[i], p[:len(p)-1]); !errors.Is(err, ErrProof) {
						t.Fatalf("n=%d i=%d: short path: %v", n, i, err)
					}
				}
			}
		}
	}
	if _, err := RootFromPath(5, 5, [32]byte{}, nil); !errors.Is(err, ErrProof) {
		t.Fatal("index beyond size accepted")
	}
}

// BenchmarkVerifyPath measures an inclusion check in a batch of 10^6 leaves.
func BenchmarkVerifyPath(b *testing.B) {
	for _, n := range []int{100, 10_000, 1_000_000} {
		leaves := make([][32]byte, n)
		for i := range leaves {
			leaves[i] = HashLeaf([]byte(fmt.Sprint(i)))
		}
		tr := Build(leaves)
		i := uint64(n / 3)
		p := tr.Path(i)
		root := tr.Root()
		b.Run(fmt.Sprint("leaves=", n), func(b *testing.B) {
			for b.Loop() {
				if r, err := RootFromPath(i, uint64(n), leaves[i], p); err != nil || r != root {
					b.Fatal(err)
				}
			}
		})
	}
}
