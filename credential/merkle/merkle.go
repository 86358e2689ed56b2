// Package merkle is the RFC 6962 / RFC 9162 Merkle tree TalentChain uses for
// anchoring: credentials of a batch are leaves, the root goes on chain, and
// each credential keeps its inclusion path (O(log n) hashes) in its anchor
// receipt.
package merkle

import (
	"crypto/sha256"
	"errors"
	"fmt"
)

// ErrProof means an inclusion path does not lead to the root it should.
var ErrProof = errors.New("invalid inclusion proof")

// HashLeaf returns SHA-256(0x00 || data), the RFC 6962 leaf hash.
func HashLeaf(data []byte) [32]byte {
	buf := make([]byte, 1+len(data))
	copy(buf[1:], data)
	return sha256.Sum256(buf)
}

// HashChildren returns SHA-256(0x01 || l || r), the RFC 6962 interior node hash.
func HashChildren(l, r []byte) [32]byte {
	var buf [65]byte
	buf[0] = 1
	copy(buf[1:], l)
	copy(buf[33:], r)
	return sha256.Sum256(buf[:])
}

// Tree holds every level of a Merkle tree, leaf hashes first; an odd last node
// is carried up unchanged, which yields exactly the RFC 6962 tree.
type Tree struct {
	levels [][][32]byte
}

// Build returns the tree over the given leaf hashes (see HashLeaf).
func Build(leaves [][32]byte) *Tree {
	t := &Tree{levels: [][][32]byte{leaves}}
	for level := leaves; len(level) > 1; {
		next := make([][32]byte, (len(level)+1)/2)
		for i := 0; i+1 < len(level); i += 2 {
			next[i/2] = HashChildren(level[i][:], level[i+1][:])
		}
		if len(level)%2 == 1 {
			next[len(next)-1] = level[len(level)-1]
		}
		t.levels = append(t.levels, next)
		level = next
	}
	return t
}

// Size is the number of leaves.
func (t *Tree) Size() uint64 { return uint64(len(t.levels[0])) }

// Root is the tree head; the empty tree's is SHA-256 of nothing.
func (t *Tree) Root() [32]byte {
	if t.Size() == 0 {
		return sha256.Sum256(nil)
	}
	return t.levels[len(t.levels)-1][0]
}

// Path returns the inclusion path of leaf index, bottom up.
func (t *Tree) Path(index uint64) [][32]byte {
	var p [][32]byte
	for _, level := range t.levels[:len(t.levels)-1] {
		if sib := index ^ 1; sib < uint64(len(level)) {
			p = append(p, level[sib])
		}
		index >>= 1
	}
	return p
}

// RootFromPath recomputes the root from a leaf hash and its inclusion path
// (RFC 9162, section 2.1.3.2). Errors wrap ErrProof.
func RootFromPath(index, size uint64, leaf [32]byte, path [][32]byte) ([32]byte, error) {
	if index >= size {
		return [32]byte{}, fmt.Errorf("%w: index %d beyond size %d", ErrProof, index, size)
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return [32]byte{}, fmt.Errorf("%w: path too long", ErrProof)
		}
		if fn&1 == 1 || fn == sn {
			r = HashChildren(p[:], r[:])
			for fn&1 == 0 && fn != 0 {
				fn >>= 1
				sn >>= 1
			}
		} else {
			r = HashChildren(r[:], p[:])
		}
		fn >>= 1
		sn >>= 1
	}
	if sn != 0 {
		return [32]byte{}, fmt.Errorf("%w: path too short", ErrProof)
	}
	return r, nil
}
