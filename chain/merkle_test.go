package chain

import (
	"bytes"
	"fmt"
	"testing"
)

func TestSnapshotProofs(t *testing.T) {
	writes := map[string][]byte{"b": []byte("1"), "d": []byte("2"), "f": []byte("3")}
	s := emptySnapshot().apply(writes)
	root := s.root()
	tests := []struct {
		key   string
		value []byte
	}{
		{"a", nil}, {"b", []byte("1")}, {"c", nil}, {"d", []byte("2")}, {"e", nil}, {"f", []byte("3")}, {"g", nil},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			p := s.prove(tt.key)
			if err := VerifyProof(root, []byte(tt.key), tt.value, p); err != nil {
				t.Fatalf("VerifyProof: %v", err)
			}
			// The opposite claim must fail.
			other := []byte("x")
			if tt.value != nil {
				other = nil
			}
			if err := VerifyProof(root, []byte(tt.key), other, p); err == nil {
				t.Fatal("opposite claim verified")
			}
			bad := bytes.Clone(root)
			bad[0] ^= 1
			if err := VerifyProof(bad, []byte(tt.key), tt.value, p); err == nil {
				t.Fatal("verified under a wrong root")
			}
		})
	}
	// Absence proof with non-adjacent neighbours must fail.
	p := &Proof{Size: 3, Left: s.prove("b").Leaf, Right: s.prove("f").Leaf}
	if err := VerifyProof(root, []byte("c"), nil, p); err == nil {
		t.Fatal("absence proof with a gap verified")
	}
	// The empty tree proves every absence.
	e := emptySnapshot()
	if err := VerifyProof(e.root(), []byte("k"), nil, e.prove("k")); err != nil {
		t.Fatal(err)
	}
}

func TestSnapshotIncrementalEqualsFresh(t *testing.T) {
	s := emptySnapshot()
	all := map[string][]byte{}
	for i := range 50 {
		w := map[string][]byte{
			fmt.Sprintf("k%03d", i*7%50): []byte(fmt.Sprint(i)),
			fmt.Sprintf("k%03d", i):      []byte(fmt.Sprint(i * 2)),
		}
		for k, v := range w {
			all[k] = v
		}
		s = s.apply(w)
	}
	fresh := emptySnapshot().apply(all)
	if !bytes.Equal(s.root(), fresh.root()) {
		t.Fatal("incremental root differs from a fresh build")
	}
}

func BenchmarkSnapshotApply10k(b *testing.B) {
	w := map[string][]byte{}
	for i := range 10000 {
		w[fmt.Sprintf("anchor/%064x", i)] = bytes.Repeat([]byte{'a'}, 300)
	}
	s := emptySnapshot().apply(w)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.apply(map[string][]byte{fmt.Sprintf("anchor/x%d", i): []byte("v")})
	}
}
