package verifier_test

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// BenchmarkVerifyCredentialPipeline verifies a real master's degree, with
// its anchor receipt, against a real embedded chain: the full pipeline
// (format and schema, proof, issuer, key, anchor, status, validity).
//
//   - cached: the default caches (records 5 s, status lists 2 s), the shape
//     of a busy verifier where most credentials come from a few issuers;
//   - uncached: every chain read goes to the node (issuer, accreditation,
//     anchor, two status lists);
//   - parallel: cached, on all cores; verifications/s/core divides by
//     GOMAXPROCS;
//   - proof-only: the credential core alone, for comparison;
//   - proof-cached: cached, with the proof cache (the same credential's
//     bytes again: the proof result is reused; the key is read from the
//     issuer's record, and every chain and time check runs).
//
// cached, uncached and parallel run without the proof cache: they are the
// cost of checking a credential the verifier has not seen.
//
// verifications/cpu-s divides by the CPU time the process used (the
// verifier and the embedded node), which is what a core can do; wall-clock
// rates depend on what else the machine runs.
func BenchmarkVerifyCredentialPipeline(b *testing.B) {
	e := newEnv(b)
	uni := e.org(b, "DegreeCredential:master")
	rec := e.issue(b, uni.DID, masterDegree(newHolder(b).Controller))
	opts := verifier.Options{Receipt: rec.Receipt}
	run := func(b *testing.B, v *verifier.Verifier) {
		cpu := cpuTime()
		for b.Loop() {
			rep, err := v.VerifyCredential(ctxT(b), rec.Credential, opts)
			if err != nil || rep.State != verifier.StateValid {
				b.Fatalf("%v %s", err, steps(rep))
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		b.ReportMetric(float64(b.N)/(cpuTime()-cpu).Seconds(), "verifications/cpu-s")
	}
	b.Run("cached", func(b *testing.B) {
		run(b, e.verifier(b, func(c *verifier.Config) { c.RecordTTL, c.StatusTTL, c.ProofCacheEntries = 0, 0, -1 }))
	})
	b.Run("uncached", func(b *testing.B) { run(b, e.verifier(b, func(c *verifier.Config) { c.ProofCacheEntries = -1 })) })
	b.Run("parallel", func(b *testing.B) {
		v := e.verifier(b, func(c *verifier.Config) { c.RecordTTL, c.StatusTTL, c.ProofCacheEntries = 0, 0, -1 })
		cpu := cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				rep, err := v.VerifyCredential(ctxT(b), rec.Credential, opts)
				if err != nil || rep.State != verifier.StateValid {
					b.Errorf("%v", err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/float64(runtime.GOMAXPROCS(0)), "verifications/s/core")
		b.ReportMetric(float64(b.N)/(cpuTime()-cpu).Seconds(), "verifications/cpu-s")
	})
	b.Run("proof-cached", func(b *testing.B) {
		run(b, e.verifier(b, func(c *verifier.Config) { c.RecordTTL, c.StatusTTL = 0, 0 }))
	})
	b.Run("proof-only", func(b *testing.B) {
		is, err := e.node.Client().Issuer(ctxT(b), uni.DID)
		if err != nil {
			b.Fatal(err)
		}
		k := is.Keys[0]
		pub, _ := chain.DecodePublicKey(k.PublicKeyMultibase)
		keys := &credential.StaticResolver{}
		keys.Add(&credential.ControllerDocument{ID: uni.DID, AssertionMethod: []string{k.ID},
			VerificationMethod: []credential.VerificationMethod{{ID: k.ID, Type: "Multikey", Controller: uni.DID, PublicKeyMultibase: k.PublicKeyMultibase, PublicKey: pub}}})
		core, err := credential.NewVerifier(credential.VerifierConfig{Loader: credential.MustLoader(), Resolver: keys})
		if err != nil {
			b.Fatal(err)
		}
		cpu := cpuTime()
		for b.Loop() {
			res, err := core.VerifyCredential(ctxT(b), rec.Credential, credential.VerifyOptions{})
			if err != nil || !res.Verified {
				b.Fatalf("%v %+v", err, res)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "verifications/s")
		b.ReportMetric(float64(b.N)/(cpuTime()-cpu).Seconds(), "verifications/cpu-s")
	})
}

// BenchmarkStatusCheck measures the status bit against the size of the
// status list, from 2^17 entries (the W3C minimum, and the size of every
// list TalentChain allocates: more credentials mean more lists, not longer
// ones) to 2^24 (the chain's maximum):
//
//   - read: what a status step costs when the list is not cached, past the
//     chain query itself: decoding the chain's JSON record of the list
//     (linear in its size) and reading the bit;
//   - cached: the bit of a decoded list (constant), which is what the
//     pipeline does for StatusTTL (2 s by default) after a read.
func BenchmarkStatusCheck(b *testing.B) {
	for _, n := range []uint64{1 << 17, 1 << 20, 1 << 22, 1 << 24} {
		l := &chain.StatusList{Issuer: "did:talent:bench", ListID: "rev-0", Purpose: "revocation", Length: n, Bits: make([]byte, n/8)}
		for i := uint64(0); i < n; i += 97 {
			l.Bits[i/8] |= 0x80 >> (i % 8)
		}
		raw, err := json.Marshal(l)
		if err != nil {
			b.Fatal(err)
		}
		idx := n/2 + 1
		want := l.Bit(idx)
		b.Run(fmt.Sprintf("entries=%d/read", n), func(b *testing.B) {
			for b.Loop() {
				var got chain.StatusList
				if err := json.Unmarshal(raw, &got); err != nil || got.Bit(idx) != want {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(raw)), "record-bytes")
		})
		b.Run(fmt.Sprintf("entries=%d/cached", n), func(b *testing.B) {
			for b.Loop() {
				if l.Bit(idx) != want {
					b.Fatal("wrong bit")
				}
			}
		})
	}
}
