//go:build race

package credential

// raceEnabled: the race detector slows the differential tests ~10x; they
// then compare fewer variants.
const raceEnabled = true
