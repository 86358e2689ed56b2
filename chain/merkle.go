package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"github.com/talentchain/talentchain/credential/merkle"
)

// The state tree is an RFC 6962 (Certificate Transparency) Merkle tree over
// the state's key/value pairs in ascending byte order of their keys:
//
//	leaf  = SHA-256(0x00 || uvarint(len(key)) || key || SHA-256(value))
//	node  = SHA-256(0x01 || left || right)
//	empty = SHA-256("")
//
// The root is the AppHash. Because leaves are sorted, two adjacent leaves
// prove that a key between them is absent.

// ErrProof means a proof does not prove what it claims under the given root.
var ErrProof = errors.New("chain: invalid state proof")

// ProofOpType is the ProofOp.Type of TalentChain state proofs in query
// responses; ProofOp.Data holds the JSON of a Proof.
const ProofOpType = "talentchain/merkle/v1"

// LeafProof proves that a leaf with Key and ValueHash sits at Index of a tree
// of the proof's Size.
type LeafProof struct {
	Index     uint64   `json:"index"`
	Key       []byte   `json:"key"`
	ValueHash []byte   `json:"valueHash"`
	Path      [][]byte `json:"path"`
}

// Proof proves, under a state root, either that a key holds a value (Leaf)
// or that it is absent (Left and/or Right: its neighbours in key order).
type Proof struct {
	Size  uint64     `json:"size"`
	Leaf  *LeafProof `json:"leaf,omitempty"`
	Left  *LeafProof `json:"left,omitempty"`
	Right *LeafProof `json:"right,omitempty"`
}

func hashLeaf(key []byte, valueHash []byte) [32]byte {
	var n [binary.MaxVarintLen64]byte
	h := sha256.New()
	h.Write([]byte{0})
	h.Write(n[:binary.PutUvarint(n[:], uint64(len(key)))])
	h.Write(key)
	h.Write(valueHash)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

func hashValue(v []byte) []byte {
	h := sha256.Sum256(v)
	return h[:]
}

func hashNode(l, r []byte) [32]byte { return merkle.HashChildren(l, r) }

// tree is the RFC 6962 tree of credential/merkle, with paths as byte slices
// for the proof encoding.
type tree struct{ *merkle.Tree }

func buildTree(leaves [][32]byte) *tree { return &tree{merkle.Build(leaves)} }

func (t *tree) size() uint64   { return t.Size() }
func (t *tree) root() [32]byte { return t.Root() }

func (t *tree) path(index uint64) [][]byte {
	var p [][]byte
	for _, h := range t.Path(index) {
		p = append(p, bytes.Clone(h[:]))
	}
	return p
}

// rootFromPath recomputes the root from a leaf hash and its inclusion path
// (RFC 9162, section 2.1.3.2).
func rootFromPath(index, size uint64, leaf [32]byte, path [][]byte) ([32]byte, error) {
	hashes := make([][32]byte, len(path))
	for i, p := range path {
		if len(p) != 32 {
			return [32]byte{}, fmt.Errorf("%w: path hash of %d bytes", ErrProof, len(p))
		}
		hashes[i] = [32]byte(p)
	}
	r, err := merkle.RootFromPath(index, size, leaf, hashes)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%w: %w", ErrProof, err)
	}
	return r, nil
}

func (lp *LeafProof) verify(root []byte, size uint64) error {
	if lp == nil || len(lp.ValueHash) != 32 {
		return fmt.Errorf("%w: malformed leaf proof", ErrProof)
	}
	got, err := rootFromPath(lp.Index, size, hashLeaf(lp.Key, lp.ValueHash), lp.Path)
	if err != nil {
		return err
	}
	if !bytes.Equal(got[:], root) {
		return fmt.Errorf("%w: root mismatch for key %q", ErrProof, lp.Key)
	}
	return nil
}

// VerifyProof checks p under root (an AppHash). With a non-nil value it
// checks that key holds exactly value; with a nil value it checks that key
// is absent from the state. It is pure: a light client calls it with the
// AppHash of a header it has verified.
func VerifyProof(root, key, value []byte, p *Proof) error {
	if p == nil {
		return fmt.Errorf("%w: no proof", ErrProof)
	}
	if len(root) != 32 {
		return fmt.Errorf("%w: root of %d bytes", ErrProof, len(root))
	}
	if value != nil {
		if p.Leaf == nil {
			return fmt.Errorf("%w: no inclusion proof for key %q", ErrProof, key)
		}
		if !bytes.Equal(p.Leaf.Key, key) || !bytes.Equal(p.Leaf.ValueHash, hashValue(value)) {
			return fmt.Errorf("%w: proof is for another key or value", ErrProof)
		}
		return p.Leaf.verify(root, p.Size)
	}
	if p.Leaf != nil {
		return fmt.Errorf("%w: key %q is present", ErrProof, key)
	}
	if p.Size == 0 {
		if empty := sha256.Sum256(nil); !bytes.Equal(root, empty[:]) || p.Left != nil || p.Right != nil {
			return fmt.Errorf("%w: not the empty tree", ErrProof)
		}
		return nil
	}
	if p.Left == nil && p.Right == nil {
		return fmt.Errorf("%w: no neighbours in absence proof", ErrProof)
	}
	if p.Left != nil {
		if err := p.Left.verify(root, p.Size); err != nil {
			return err
		}
		if bytes.Compare(p.Left.Key, key) >= 0 {
			return fmt.Errorf("%w: left neighbour is not below key", ErrProof)
		}
		if p.Right == nil && p.Left.Index != p.Size-1 {
			return fmt.Errorf("%w: left neighbour is not the last leaf", ErrProof)
		}
	}
	if p.Right != nil {
		if err := p.Right.verify(root, p.Size); err != nil {
			return err
		}
		if bytes.Compare(p.Right.Key, key) <= 0 {
			return fmt.Errorf("%w: right neighbour is not above key", ErrProof)
		}
		if p.Left == nil && p.Right.Index != 0 {
			return fmt.Errorf("%w: right neighbour is not the first leaf", ErrProof)
		}
	}
	if p.Left != nil && p.Right != nil && p.Right.Index != p.Left.Index+1 {
		return fmt.Errorf("%w: neighbours are not adjacent", ErrProof)
	}
	return nil
}
