package ui

import (
	"os"
	"testing"
)

// BenchmarkNoDuplicateMembers is the duplicate-member check of a request
// carrying a signed credential (the common verify request).
func BenchmarkNoDuplicateMembers(b *testing.B) {
	vc, err := os.ReadFile("../credential/testdata/interop/vc2-eddsa-nested-subject.json")
	if err != nil {
		b.Skip(err)
	}
	body := append(append([]byte(`{"verifiableCredential":`), vc...), '}')
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if err := noDuplicateMembers(body); err != nil {
			b.Fatal(err)
		}
	}
}
