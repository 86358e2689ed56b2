package verifier

// ProofCacheHits is how many verifications of v reused a proof result.
func ProofCacheHits(v *Verifier) int64 {
	if v.proofs == nil {
		return 0
	}
	return v.proofs.hits.Load()
}
