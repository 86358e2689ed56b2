package verifier_test

import (
	"bytes"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/verifier"
)

// TestProofCache verifies a credential (its proof result is then cached),
// changes the world, and verifies it again with the same verifier: the
// answer must be the one a verifier without the proof cache gives, step by
// step, and the cache must have been used exactly when the bytes are the
// same and no date of the credential lies between the two checks.
func TestProofCache(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	uni := e.org(t, "DegreeCredential:master")
	holder := newHolder(t).Controller
	var offset atomic.Int64 // added to the verifiers' clock
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }

	cases := []struct {
		name string
		// req and org make the credential (nil: a master's degree of uni).
		req func() *issuer.Request
		org func(t *testing.T) string
		// change happens between the two verifications; it returns the
		// bytes to verify the second time.
		change  func(t *testing.T, org string, rec *issuer.Record) []byte
		state   verifier.State
		wantHit bool
	}{
		{name: "unchanged", state: verifier.StateValid, wantHit: true,
			change: func(t *testing.T, _ string, rec *issuer.Record) []byte { return rec.Credential }},
		{name: "revoked since", state: verifier.StateInvalid, wantHit: true,
			change: func(t *testing.T, org string, rec *issuer.Record) []byte {
				e.setStatus(t, org, rec.ID, issuer.StatusRevoked)
				return rec.Credential
			}},
		{name: "suspended since", state: verifier.StateInvalid, wantHit: true,
			change: func(t *testing.T, org string, rec *issuer.Record) []byte {
				e.setStatus(t, org, rec.ID, issuer.StatusSuspended)
				return rec.Credential
			}},
		{name: "issuer suspended since", state: verifier.StateInvalid, wantHit: true,
			org: func(t *testing.T) string { return e.org(t, "DegreeCredential").DID },
			change: func(t *testing.T, org string, rec *issuer.Record) []byte {
				e.govTx(t, &chain.SuspendIssuer{Issuer: org, Reason: "audit"})
				return rec.Credential
			}},
		{name: "issuer removed since", state: verifier.StateInvalid, wantHit: true,
			org: func(t *testing.T) string { return e.org(t, "DegreeCredential").DID },
			change: func(t *testing.T, org string, rec *issuer.Record) []byte {
				e.govTx(t, &chain.RemoveIssuer{Issuer: org, Reason: "fraud"})
				return rec.Credential
			}},
		{name: "expired since", state: verifier.StateInvalid, wantHit: false,
			req: func() *issuer.Request {
				r := masterDegree(holder)
				r.ValidUntil = time.Now().Add(time.Hour)
				return r
			},
			change: func(t *testing.T, _ string, rec *issuer.Record) []byte {
				offset.Store(int64(2 * time.Hour))
				return rec.Credential
			}},
		{name: "the cache's age limit passed", state: verifier.StateValid, wantHit: false,
			change: func(t *testing.T, _ string, rec *issuer.Record) []byte {
				offset.Store(int64(11 * time.Minute))
				return rec.Credential
			}},
		{name: "same credential, other white space", state: verifier.StateValid, wantHit: false,
			change: func(t *testing.T, _ string, rec *issuer.Record) []byte {
				return append([]byte("{ "), rec.Credential[1:]...)
			}},
		{name: "a claim changed", state: verifier.StateInvalid, wantHit: false,
			change: func(t *testing.T, _ string, rec *issuer.Record) []byte {
				changed := bytes.Replace(rec.Credential, []byte("Zhang San"), []byte("Zhang Sun"), 1)
				if bytes.Equal(changed, rec.Credential) {
					t.Fatal("the claim to change is not in the credential")
				}
				return changed
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			offset.Store(0)
			org := uni.DID
			if c.org != nil {
				org = c.org(t)
			}
			req := masterDegree(holder)
			if c.req != nil {
				req = c.req()
			}
			rec := e.issue(t, org, req)
			// No chain caches: a change on chain is seen at once.
			cfg := func(cf *verifier.Config) { cf.Clock = clock }
			v := e.verifier(t, cfg)
			first, err := v.VerifyCredential(ctxT(t), rec.Credential, verifier.Options{Receipt: rec.Receipt})
			if err != nil || first.State != verifier.StateValid {
				t.Fatalf("first verification: %v %s", err, steps(first))
			}
			if n := verifier.ProofCacheHits(v); n != 0 {
				t.Fatalf("%d hits on the first verification", n)
			}
			raw := c.change(t, org, rec)
			got, err := v.VerifyCredential(ctxT(t), raw, verifier.Options{Receipt: rec.Receipt})
			if err != nil {
				t.Fatal(err)
			}
			if hit := verifier.ProofCacheHits(v) == 1; hit != c.wantHit {
				t.Errorf("cache used: %v, want %v", hit, c.wantHit)
			}
			ref := e.verifier(t, cfg, func(cf *verifier.Config) { cf.ProofCacheEntries = -1 })
			want, err := ref.VerifyCredential(ctxT(t), raw, verifier.Options{Receipt: rec.Receipt})
			if err != nil {
				t.Fatal(err)
			}
			if got.State != c.state || want.State != c.state {
				t.Errorf("state %s (without the cache %s), want %s: %s", got.State, want.State, c.state, steps(got))
			}
			if len(got.Steps) != len(want.Steps) {
				t.Fatalf("steps %s, without the cache %s", steps(got), steps(want))
			}
			for i := range got.Steps {
				g, w := got.Steps[i], want.Steps[i]
				if g.Name != w.Name || g.State != w.State || g.MessageEN != w.MessageEN || g.MessageZH != w.MessageZH {
					t.Errorf("step %s: %s %q; without the cache %s %s %q", g.Name, g.State, g.MessageEN, w.Name, w.State, w.MessageEN)
				}
			}
			if got.Document == nil || got.Document["id"] != want.Document["id"] {
				t.Errorf("report document %v, want the credential", got.Document["id"])
			}
		})
	}
}

// TestProofCacheConcurrent verifies distinct credentials from several
// goroutines with a small cache that is emptied again and again: every
// verification is valid, and a changed copy is never accepted.
func TestProofCacheConcurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	uni := e.org(t, "DegreeCredential:master")
	holder := newHolder(t).Controller
	var recs []*issuer.Record
	for range 6 {
		recs = append(recs, e.issue(t, uni.DID, masterDegree(holder)))
	}
	v := e.verifier(t, func(c *verifier.Config) { c.ProofCacheEntries = 4 })
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			defer func() { done <- err }()
			for i := range 30 {
				rec := recs[(g+i)%len(recs)]
				raw, want := rec.Credential, verifier.StateValid
				if i%5 == 4 {
					raw, want = bytes.Replace(raw, []byte("master"), []byte("doctor"), 1), verifier.StateInvalid
				}
				rep, verr := v.VerifyCredential(ctxT(t), raw, verifier.Options{Receipt: rec.Receipt})
				if verr != nil || rep.State != want {
					err = verr
					if err == nil {
						t.Errorf("goroutine %d, verification %d: state %s, want %s: %s", g, i, rep.State, want, steps(rep))
					}
					return
				}
			}
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	if verifier.ProofCacheHits(v) == 0 {
		t.Error("the cache was never used")
	}
}
