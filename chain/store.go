package chain

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	dbm "github.com/cometbft/cometbft-db"
)

// Database layout: state pairs live under "s/" + key; metadata under "m/".
var (
	dbStatePrefix = []byte("s/")
	dbMetaKey     = []byte("m/meta")
)

// OpenDB opens (or creates) the application's goleveldb database in dir.
func OpenDB(dir string) (dbm.DB, error) {
	db, err := dbm.NewGoLevelDB("talentchain-app", dir)
	if err != nil {
		return nil, fmt.Errorf("chain: open app db in %s: %w", dir, err)
	}
	return db, nil
}

// meta is what the application needs besides the state pairs to resume.
type meta struct {
	ChainID string `json:"chainId"`
	Height  int64  `json:"height"`
	AppHash []byte `json:"appHash"`
	// StateHeight is the last height whose block changed the AppHash; the
	// state after Height equals the state after StateHeight, which the
	// header at StateHeight+1 commits to (the next header may never come:
	// no empty blocks).
	StateHeight int64     `json:"stateHeight"`
	BlockTime   time.Time `json:"blockTime"`
}

// reader is a point lookup into a state view.
type reader interface {
	get(key string) ([]byte, bool)
}

// snapshot is an immutable, fully hashed state: sorted keys, their values,
// leaf hashes aligned with keys, and the tree.
type snapshot struct {
	keys   []string
	values map[string][]byte
	leaves [][32]byte
	tree   *tree
}

func emptySnapshot() *snapshot {
	return &snapshot{values: map[string][]byte{}, tree: buildTree(nil)}
}

func (s *snapshot) get(key string) ([]byte, bool) {
	v, ok := s.values[key]
	return v, ok
}

func (s *snapshot) root() []byte {
	r := s.tree.root()
	return r[:]
}

// apply returns a new snapshot with writes applied. Only changed leaves are
// rehashed; the tree's inner nodes are rebuilt (O(n) hashes, see design doc).
func (s *snapshot) apply(writes map[string][]byte) *snapshot {
	if len(writes) == 0 {
		return s
	}
	var added []string
	values := make(map[string][]byte, len(s.values)+len(writes))
	for k, v := range s.values {
		values[k] = v
	}
	for k, v := range writes {
		if _, ok := s.values[k]; !ok {
			added = append(added, k)
		}
		values[k] = v
	}
	sort.Strings(added)
	keys := make([]string, 0, len(s.keys)+len(added))
	leaves := make([][32]byte, 0, len(s.keys)+len(added))
	i, j := 0, 0
	for i < len(s.keys) || j < len(added) {
		if j == len(added) || (i < len(s.keys) && s.keys[i] < added[j]) {
			k := s.keys[i]
			keys = append(keys, k)
			if v, changed := writes[k]; changed {
				leaves = append(leaves, hashLeaf([]byte(k), hashValue(v)))
			} else {
				leaves = append(leaves, s.leaves[i])
			}
			i++
			continue
		}
		k := added[j]
		keys = append(keys, k)
		leaves = append(leaves, hashLeaf([]byte(k), hashValue(writes[k])))
		j++
	}
	return &snapshot{keys: keys, values: values, leaves: leaves, tree: buildTree(leaves)}
}

// prove returns a proof for key: inclusion if present, absence otherwise.
func (s *snapshot) prove(key string) *Proof {
	p := &Proof{Size: s.tree.size()}
	i, found := slices.BinarySearch(s.keys, key)
	leaf := func(i int) *LeafProof {
		k := s.keys[i]
		return &LeafProof{Index: uint64(i), Key: []byte(k), ValueHash: hashValue(s.values[k]), Path: s.tree.path(uint64(i))}
	}
	switch {
	case found:
		p.Leaf = leaf(i)
	default:
		if i > 0 {
			p.Left = leaf(i - 1)
		}
		if i < len(s.keys) {
			p.Right = leaf(i)
		}
	}
	return p
}

// scan returns the keys with the given prefix, in order.
func (s *snapshot) scan(prefix string) []string {
	i, _ := slices.BinarySearch(s.keys, prefix)
	var out []string
	for ; i < len(s.keys) && strings.HasPrefix(s.keys[i], prefix); i++ {
		out = append(out, s.keys[i])
	}
	return out
}

// overlay buffers writes over a base view. Transactions execute in a child
// overlay that is merged into its parent only when the transaction succeeds.
type overlay struct {
	base   reader
	writes map[string][]byte
}

func newOverlay(base reader) *overlay { return &overlay{base: base, writes: map[string][]byte{}} }

func (o *overlay) get(key string) ([]byte, bool) {
	if v, ok := o.writes[key]; ok {
		return v, true
	}
	return o.base.get(key)
}

func (o *overlay) set(key string, value []byte) { o.writes[key] = value }

// mergeInto copies o's writes into parent (the order does not matter: the
// result is the same map).
func (o *overlay) mergeInto(parent *overlay) {
	for k, v := range o.writes {
		parent.writes[k] = v
	}
}

// loadSnapshot reads every state pair and the metadata from db.
func loadSnapshot(db dbm.DB) (*snapshot, meta, error) {
	var m meta
	raw, err := db.Get(dbMetaKey)
	if err != nil {
		return nil, m, fmt.Errorf("chain: read meta: %w", err)
	}
	if raw == nil {
		return emptySnapshot(), m, nil
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, m, fmt.Errorf("chain: decode meta: %w", err)
	}
	end := append([]byte(nil), dbStatePrefix...)
	end[len(end)-1]++
	it, err := db.Iterator(dbStatePrefix, end)
	if err != nil {
		return nil, m, fmt.Errorf("chain: iterate state: %w", err)
	}
	defer it.Close()
	writes := map[string][]byte{}
	for ; it.Valid(); it.Next() {
		writes[string(it.Key()[len(dbStatePrefix):])] = append([]byte(nil), it.Value()...)
	}
	if err := it.Error(); err != nil {
		return nil, m, fmt.Errorf("chain: iterate state: %w", err)
	}
	return emptySnapshot().apply(writes), m, nil
}

// persist writes the changed pairs and the metadata in one synced batch.
func persist(db dbm.DB, writes map[string][]byte, m meta) error {
	keys := make([]string, 0, len(writes))
	for k := range writes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b := db.NewBatch()
	defer b.Close()
	for _, k := range keys {
		if err := b.Set(append(append([]byte(nil), dbStatePrefix...), k...), writes[k]); err != nil {
			return fmt.Errorf("chain: persist %q: %w", k, err)
		}
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("chain: encode meta: %w", err)
	}
	if err := b.Set(dbMetaKey, raw); err != nil {
		return fmt.Errorf("chain: persist meta: %w", err)
	}
	if err := b.WriteSync(); err != nil {
		return fmt.Errorf("chain: write batch: %w", err)
	}
	return nil
}

// heightKey formats a height so that byte order is numeric order.
func heightKey(h int64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(h))
	return fmt.Sprintf("%016x", b)
}
