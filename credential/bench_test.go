package credential

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// BenchmarkSignDegree signs a typical degree credential with eddsa-rdfc-2022
// on one goroutine: signs/cpu-s is what one core does (the process's CPU
// time, so a busy machine does not lower it as it lowers the wall clock).
func BenchmarkSignDegree(b *testing.B) {
	s, err := NewSigner(MustLoader(), issuerKey)
	if err != nil {
		b.Fatal(err)
	}
	doc := degreeCredential(issuerKey.Controller)
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		if _, err := s.SignCredential(doc, sampleCreated); err != nil {
			b.Fatal(err)
		}
	}
	reportCPU(b, cpu, "signs/cpu-s")
}

// reportCPU reports operations per second of process CPU time since cpu.
func reportCPU(b *testing.B, cpu time.Duration, unit string) {
	if used := cpuTime() - cpu; used > 0 {
		b.ReportMetric(float64(b.N)/used.Seconds(), unit)
	}
}

// cpuTime is the CPU time the process has used (user and system).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerifyDegree verifies a typical signed degree credential (parse,
// strict JSON-LD, key resolution, signature, validity).
func BenchmarkVerifyDegree(b *testing.B) {
	s, _ := NewSigner(MustLoader(), issuerKey)
	signed, err := s.SignCredential(degreeCredential(issuerKey.Controller), sampleCreated)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := json.Marshal(signed)
	v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return sampleNow }})
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
		if err != nil || !res.Verified {
			b.Fatalf("%v %v", err, res)
		}
	}
	reportCPU(b, cpu, "verifications/cpu-s")
}

// BenchmarkCanonicalize isolates RDFC-1.0 canonicalization of the degree
// credential, the dominant cost of both signing and verifying: the fast path
// (expansion templates and processed contexts shared per loader), the
// context cache alone, and plain json-gold (the reference).
func BenchmarkCanonicalize(b *testing.B) {
	l := MustLoader()
	contexts, _ := l.caches()
	for _, c := range []struct {
		name  string
		canon *Canonicalizer
	}{
		{"fast", NewCanonicalizer(l)},
		{"context-cache", &Canonicalizer{loader: l, cache: contexts}},
		{"reference", newReferenceCanonicalizer(l)},
	} {
		b.Run(c.name, func(b *testing.B) {
			doc := degreeCredential(issuerKey.Controller)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.canon.Canonicalize(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkSignDegreeReference signs the degree credential with the plain
// json-gold path, for the side-by-side ratio with BenchmarkSignDegree.
func BenchmarkSignDegreeReference(b *testing.B) {
	s := NewEdDSA(newReferenceCanonicalizer(MustLoader()))
	doc := plainDoc(b, degreeCredential(issuerKey.Controller))
	opts := ProofOptions{VerificationMethod: issuerKey.ID, Created: sampleCreated}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Sign(doc, issuerKey.Private, opts); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSignDegreeECDSA signs the same degree credential with
// ecdsa-rdfc-2019 and a P-256 key (RFC 6979 deterministic signatures).
func BenchmarkSignDegreeECDSA(b *testing.B) {
	for _, k := range []*ECKeyPair{ecIssuerKey, p384IssuerKey} {
		b.Run(curveName(k.Public.Curve), func(b *testing.B) {
			s, err := NewECSigner(MustLoader(), k)
			if err != nil {
				b.Fatal(err)
			}
			doc := degreeCredential(k.Controller)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.SignCredential(doc, sampleCreated); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerifyDegreeECDSA verifies it (parse, strict JSON-LD, did:key
// resolution with point decompression, signature, validity).
func BenchmarkVerifyDegreeECDSA(b *testing.B) {
	for _, k := range []*ECKeyPair{ecIssuerKey, p384IssuerKey} {
		b.Run(curveName(k.Public.Curve), func(b *testing.B) {
			s, _ := NewECSigner(MustLoader(), k)
			signed, err := s.SignCredential(degreeCredential(k.Controller), sampleCreated)
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := json.Marshal(signed)
			v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return sampleNow }})
			b.ReportAllocs()
			for b.Loop() {
				res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
				if err != nil || !res.Verified {
					b.Fatalf("%v %v", err, res)
				}
			}
		})
	}
}

// BenchmarkVerifyTrainingEd2018 verifies a VC Data Model 1.1 credential with an
// Ed25519Signature2018 proof.
func BenchmarkVerifyTrainingEd2018(b *testing.B) {
	signed := sign2018(b, issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{})
	raw, _ := json.Marshal(signed)
	v, _ := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: KeyResolver{}, Now: func() time.Time { return sampleNow }})
	b.ReportAllocs()
	for b.Loop() {
		res, err := v.VerifyCredential(context.Background(), raw, VerifyOptions{})
		if err != nil || !res.Verified {
			b.Fatalf("%v %v", err, res)
		}
	}
}

// BenchmarkAnchorReceiptCheck checks a signed degree's anchor receipt (its
// canonical-JSON digest, then the Merkle path to the root) in batches of
// 10^2 to 10^6 credentials: the path, and the time above the digest, grow
// with log2 of the batch size.
func BenchmarkAnchorReceiptCheck(b *testing.B) {
	s, _ := NewSigner(MustLoader(), issuerKey)
	signed, err := s.SignCredential(degreeCredential(issuerKey.Controller), sampleCreated)
	if err != nil {
		b.Fatal(err)
	}
	d, err := CredentialDigest(signed)
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{100, 1_000, 10_000, 100_000, 1_000_000} {
		digests := make([][32]byte, n)
		for i := range digests {
			digests[i] = sha256.Sum256([]byte(strconv.Itoa(i)))
		}
		at := n / 3
		digests[at] = d
		r := NewBatch(digests).Receipt(at)
		b.Run(fmt.Sprintf("leaves=%d", n), func(b *testing.B) {
			for b.Loop() {
				if err := r.Check(signed); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(len(r.Path)), "path-hashes")
		})
	}
}

// BenchmarkStatusBitstring reads one status bit from a W3C Bitstring Status
// List's encodedList (base64url, GZIP) of 2^17 (the spec's minimum) to 2^24
// entries, 1% of them set: decoding is linear in the list size, the bit
// itself constant. TalentChain's own lists live on chain as raw bits (see
// verifier BenchmarkStatusCheck); this is the cost for a W3C status list
// credential.
func BenchmarkStatusBitstring(b *testing.B) {
	for _, bits := range []int{1 << 17, 1 << 20, 1 << 22, 1 << 24} {
		bs := NewBitstring(bits)
		for i := 0; i < bits; i += 100 {
			_ = bs.Set(i, true)
		}
		enc, err := bs.Encode()
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("entries=%d", bits), func(b *testing.B) {
			for b.Loop() {
				got, err := DecodeBitstring(enc)
				if err != nil {
					b.Fatal(err)
				}
				if v, _ := got.Get(bits / 2); v != (bits/2%100 == 0) {
					b.Fatal("wrong bit")
				}
			}
			b.ReportMetric(float64(len(enc)), "encoded-bytes")
		})
	}
}
