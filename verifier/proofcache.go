package verifier

import (
	"context"
	"crypto/sha256"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

// The proof cache remembers, for the exact bytes of a JSON-LD credential of
// a did:talent issuer, that the credential core found every check passed
// with the key material the issuer's record held then: "these bytes carry a
// valid proof by key K (public key P) of issuer I". It is keyed by the
// SHA-256 of the bytes, so a credential that differs in a single byte (even
// white space) is a new entry, and it keeps nothing of the credential but
// the core's check messages, the key ids, their public keys, the digest an
// anchor receipt commits to and whether the JSON Schema passed.
//
// A hit does not skip any check that depends on something but the bytes:
//   - every key K is read again from the issuer's record (through the same
//     chain view as the core's resolver, so at most RecordTTL old) and must
//     still be listed with public key P; otherwise the credential is checked
//     in full;
//   - the issuer, key, anchor and status steps run as for any credential,
//     on chain state;
//   - the time-dependent checks (the proofs' created and expires, the
//     validity period) gave their answer for a time; an entry is used only
//     while no such date (widened by the clock skew plus a margin) lies
//     between the time it was made and now, and at most proofCacheMaxAge.
//
// Only credentials whose every check passed are kept, so a hit never turns a
// failure into a success nor hides a new failure: what can change (chain
// state, time) is checked on every request.
type proofCache struct {
	c    *ttlCache[*provenProof]
	skew time.Duration
	hits atomic.Int64 // for tests
}

// proofCacheMaxAge bounds how long an entry is used.
const proofCacheMaxAge = 10 * time.Minute

// proofCacheMargin widens each date of a credential on top of the clock
// skew, so that rounding in the core's comparisons cannot matter.
const proofCacheMargin = time.Minute

// provenProof is what a hit restores.
type provenProof struct {
	checks  []credential.Check
	methods []string
	keys    []string // publicKeyMultibase of each method, as on chain
	issuer  string
	digest  [32]byte
	made    time.Time // when the core checked the proofs
}

func newProofCache(entries int, skew time.Duration) *proofCache {
	if entries < 0 {
		return nil
	}
	return &proofCache{c: newTTLCache[*provenProof](entries), skew: skew}
}

func proofKey(payload []byte) string {
	h := sha256.Sum256(payload)
	return string(h[:])
}

// lookup returns the secured credential for in from the cache, or nil. A
// hit whose keys no longer match the issuer's record is dropped. It reads
// the issuer only through the view (an error is a miss: the full path then
// reports it).
func (pc *proofCache) lookup(ctx context.Context, view *chainView, in *Input, now time.Time) *Secured {
	if pc == nil || in.Document == nil {
		return nil
	}
	key := proofKey(in.Payload)
	p, _, ok := pc.c.get(key, now)
	if !ok || now.Before(p.made) {
		return nil
	}
	is, err := view.issuer(ctx, p.issuer, false)
	if err != nil || !keysStillListed(is, p.methods, p.keys) {
		pc.c.delete(key)
		return nil
	}
	pc.hits.Add(1)
	return &Secured{Document: in.Document, Checks: slices.Clone(p.checks), VerificationMethods: slices.Clone(p.methods),
		Digest: p.digest, schemaOK: true}
}

// remember keeps sec, secured from in at now, when it qualifies: a JSON
// document of a did:talent issuer whose every check passed, whose JSON
// Schema passed, and whose keys are on the issuer's record.
func (pc *proofCache) remember(ctx context.Context, view *chainView, in *Input, sec *Secured, now time.Time) {
	if pc == nil || in.Document == nil || sec == nil || !sec.schemaOK || len(sec.VerificationMethods) == 0 || len(sec.Checks) == 0 {
		return
	}
	for _, c := range sec.Checks {
		if !c.Passed {
			return
		}
	}
	iss := idOf(sec.Document["issuer"])
	if !strings.HasPrefix(iss, chain.DIDPrefix) || !validIssuerDID(iss) {
		return
	}
	until, ok := pc.usableUntil(sec.Document, now)
	if !ok {
		return
	}
	is, err := view.issuer(ctx, iss, false)
	if err != nil {
		return
	}
	keys := make([]string, len(sec.VerificationMethods))
	for i, vm := range sec.VerificationMethods {
		k, ok := is.Key(vm)
		if !ok || controllerOf(vm) != iss {
			return
		}
		keys[i] = k.PublicKeyMultibase
	}
	p := &provenProof{checks: slices.Clone(sec.Checks), methods: slices.Clone(sec.VerificationMethods), keys: keys, issuer: iss, digest: sec.Digest, made: now}
	pc.c.put(proofKey(in.Payload), p, nil, until.Sub(now), now)
}

// keysStillListed reports whether each method is still a key of is with
// the same public key.
func keysStillListed(is *chain.Issuer, methods, keys []string) bool {
	for i, vm := range methods {
		k, ok := is.Key(vm)
		if !ok || k.PublicKeyMultibase != keys[i] {
			return false
		}
	}
	return true
}

// usableUntil returns how long a check made at now of doc stays the same
// answer. Each date of doc has one instant at which the core's answer about
// it can change: t−skew for a start (validFrom, issuanceDate, a proof's
// created), t+skew for an end (validUntil, expirationDate, a proof's
// expires). The entry is used until the first such instant after now, less
// proofCacheMargin, and at most proofCacheMaxAge; ok is false when a date
// cannot be read or now is within the margin of such an instant.
func (pc *proofCache) usableUntil(doc map[string]any, now time.Time) (time.Time, bool) {
	until := now.Add(proofCacheMaxAge)
	check := func(v any, start bool) bool {
		s, isStr := v.(string)
		if !isStr {
			return false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return false
		}
		c := t.Add(pc.skew)
		if start {
			c = t.Add(-pc.skew)
		}
		lo, hi := c.Add(-proofCacheMargin), c.Add(proofCacheMargin)
		switch {
		case !now.Before(lo) && !now.After(hi):
			return false // the answer may be about to change
		case lo.After(now) && lo.Before(until):
			until = lo
		}
		return true
	}
	for _, f := range []struct {
		name  string
		start bool
	}{{"validFrom", true}, {"validUntil", false}, {"issuanceDate", true}, {"expirationDate", false}} {
		if v, ok := doc[f.name]; ok && !check(v, f.start) {
			return time.Time{}, false
		}
	}
	for _, p := range asSlice(doc["proof"]) {
		m, ok := p.(map[string]any)
		if !ok {
			return time.Time{}, false
		}
		if v, ok := m["created"]; ok && !check(v, true) {
			return time.Time{}, false
		}
		if v, ok := m["expires"]; ok && !check(v, false) {
			return time.Time{}, false
		}
	}
	return until, true
}
