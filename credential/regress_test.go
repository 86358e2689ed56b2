package credential

import (
	"slices"
	"testing"
	"time"
)

// TestFastPathStaysFast is the CI regression guard of the canonicalization
// fast path: the template path (with the shared context cache) and the plain
// json-gold path canonicalize the degree credential, and the proof
// configuration, in alternating rounds in the same process; the median
// time of the fast path must stay well below the reference. Ratios, not
// absolute times, so a slow or busy machine does not fail it; the bound is
// far below what is measured (about 3× on 2 shared cores, see
// docs/performance.md).
func TestFastPathStaysFast(t *testing.T) {
	l := MustLoader()
	fast, ref := NewCanonicalizer(l), newReferenceCanonicalizer(l)
	docs := variedDocuments(t)
	for _, tc := range []struct {
		doc      string
		minRatio float64
	}{
		{"degree", 3},
		{"proof-configuration", 3},
	} {
		doc := docs[tc.doc]
		if _, err := fast.Canonicalize(doc); err != nil { // build the template
			t.Fatal(err)
		}
		round := func(c *Canonicalizer, n int) time.Duration {
			start := time.Now()
			for range n {
				if _, err := c.Canonicalize(doc); err != nil {
					t.Fatal(err)
				}
			}
			return time.Since(start) / time.Duration(n)
		}
		var f, r []time.Duration
		for range 7 {
			f = append(f, round(fast, 20))
			r = append(r, round(ref, 20))
		}
		slices.Sort(f)
		slices.Sort(r)
		ratio := float64(r[3]) / float64(f[3])
		t.Logf("%s: fast %v, reference %v (medians of 7 rounds of 20): %.1fx", tc.doc, f[3], r[3], ratio)
		if ratio < tc.minRatio {
			t.Errorf("%s: the fast path is only %.2fx faster than the reference (want at least %.1fx)", tc.doc, ratio, tc.minRatio)
		}
	}
}
