package credential

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/credential/merkle"
)

// ReceiptType names the anchor receipt format; Version changes with its layout.
const (
	ReceiptType    = "TalentChainAnchorReceipt"
	ReceiptVersion = 1
)

// AnchorReceipt proves that a credential was in a batch whose Merkle root the
// issuer wrote on chain. It travels with the credential (in the wallet, in a
// presentation's companion data) so that anyone can check, against chain state,
// when the credential was issued and that it was not added later.
type AnchorReceipt struct {
	Type    string `json:"type" validate:"eq=TalentChainAnchorReceipt"`
	Version int    `json:"version" validate:"eq=1"`
	// Digest is the hex SHA-256 of the credential's canonical JSON (RFC 8785),
	// proof included: the Merkle leaf is SHA-256(0x00 || digest).
	Digest    string   `json:"credentialDigest" validate:"len=64,hexadecimal"`
	LeafIndex uint64   `json:"leafIndex"`
	TreeSize  uint64   `json:"treeSize" validate:"gt=0"`
	Path      []string `json:"path" validate:"max=64,dive,len=64,hexadecimal"`
	Root      string   `json:"root" validate:"len=64,hexadecimal"`
	// Chain coordinates of the anchor transaction, filled once it committed.
	Issuer  string    `json:"issuer,omitempty"`
	ChainID string    `json:"chainId,omitempty"`
	Height  int64     `json:"height,omitempty"`
	TxHash  string    `json:"txHash,omitempty"`
	Time    time.Time `json:"time,omitzero"`
}

// CanonicalJSON returns the RFC 8785 (JCS) form of a JSON value: object members
// sorted, no insignificant whitespace, ES6 number formatting, minimal string
// escaping. (Member names are sorted by UTF-8 bytes, which equals JCS's UTF-16
// order for every name below U+E000.)
func CanonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	// encoding/json escapes U+2028 and U+2029; JCS writes them as they are.
	b = bytes.ReplaceAll(b, []byte(`\u2028`), []byte("\u2028"))
	b = bytes.ReplaceAll(b, []byte(`\u2029`), []byte("\u2029"))
	return b, nil
}

// CredentialDigest returns the SHA-256 of a secured credential's canonical JSON.
func CredentialDigest(doc map[string]any) ([32]byte, error) {
	b, err := CanonicalJSON(doc)
	if err != nil {
		return [32]byte{}, err
	}
	return sha256.Sum256(b), nil
}

// Batch is a Merkle tree over the digests of the credentials issued together.
type Batch struct {
	digests [][32]byte
	tree    *merkle.Tree
}

// NewBatch builds the tree over credential digests, in order.
func NewBatch(digests [][32]byte) *Batch {
	leaves := make([][32]byte, len(digests))
	for i, d := range digests {
		leaves[i] = merkle.HashLeaf(d[:])
	}
	return &Batch{digests: digests, tree: merkle.Build(leaves)}
}

// Root is what the issuer anchors on chain.
func (b *Batch) Root() [32]byte { return b.tree.Root() }

// Receipt returns the receipt of the i-th credential, without chain coordinates.
func (b *Batch) Receipt(i int) *AnchorReceipt {
	root := b.tree.Root()
	r := &AnchorReceipt{
		Type: ReceiptType, Version: ReceiptVersion,
		Digest:    hex.EncodeToString(b.digests[i][:]),
		LeafIndex: uint64(i), TreeSize: b.tree.Size(),
		Root: hex.EncodeToString(root[:]),
	}
	for _, h := range b.tree.Path(uint64(i)) {
		r.Path = append(r.Path, hex.EncodeToString(h[:]))
	}
	return r
}

// Check verifies that the receipt belongs to doc and that its path leads to its
// root. It does not consult the chain: the caller must still check that Root
// was anchored by the credential's issuer (and at which height and time).
func (r *AnchorReceipt) Check(doc map[string]any) error {
	if err := r.checkFormat(); err != nil {
		return err
	}
	d, err := CredentialDigest(doc)
	if err != nil {
		return fmt.Errorf("anchor receipt: %w", err)
	}
	return r.CheckDigest(d)
}

// CheckDigest is Check for a credential known by its digest (an SD-JWT VC's
// is sdjwt.AnchorDigest): the receipt must name digest d and its path must
// lead from the leaf of d to its root. Like Check, it does not consult the
// chain.
func (r *AnchorReceipt) CheckDigest(d [32]byte) error {
	if err := r.checkFormat(); err != nil {
		return err
	}
	if hex.EncodeToString(d[:]) != r.Digest {
		return fmt.Errorf("anchor receipt: it is the receipt of another credential (digest mismatch)")
	}
	path := make([][32]byte, len(r.Path))
	for i, p := range r.Path {
		if err := decodeHash(p, &path[i]); err != nil {
			return fmt.Errorf("anchor receipt: path[%d]: %w", i, err)
		}
	}
	var want [32]byte
	if err := decodeHash(r.Root, &want); err != nil {
		return fmt.Errorf("anchor receipt: root: %w", err)
	}
	got, err := merkle.RootFromPath(r.LeafIndex, r.TreeSize, merkle.HashLeaf(d[:]), path)
	if err != nil {
		return fmt.Errorf("anchor receipt: %w", err)
	}
	if got != want {
		return fmt.Errorf("anchor receipt: %w: the path leads to another root", merkle.ErrProof)
	}
	return nil
}

func (r *AnchorReceipt) checkFormat() error {
	if r.Type != ReceiptType || r.Version != ReceiptVersion {
		return fmt.Errorf("anchor receipt: unsupported format %s v%d", r.Type, r.Version)
	}
	return nil
}

func decodeHash(s string, out *[32]byte) error {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return fmt.Errorf("not a 32-byte hex hash")
	}
	copy(out[:], b)
	return nil
}
