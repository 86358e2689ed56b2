package verifier_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/verifier"
)

// countingChain counts the issuer records read from the chain.
type countingChain struct {
	verifier.Chain
	issuers atomic.Int64
}

func (c *countingChain) Issuer(ctx context.Context, did string) (*chain.Issuer, error) {
	c.issuers.Add(1)
	return c.Chain.Issuer(ctx, did)
}

// TestStaleKeyReadInResolver: with an hour-long record cache, a credential
// signed with a key rotated in since the record was cached costs exactly
// one more read of the issuer (by the resolver, which refreshes the cache
// for the key step too), and a failed proof whose key is on the cached
// record costs none: the proof is not checked a second time.
func TestStaleKeyReadInResolver(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	holder := newHolder(t).Controller
	r := e.rawIssuer(t, "DegreeCredential")
	before := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
	beforeRc := r.anchor(t, []string{"DegreeCredential"}, before)[0]
	cc := &countingChain{Chain: e.node.Client()}
	v := e.verifier(t, func(c *verifier.Config) { c.Chain, c.RecordTTL, c.ProofCacheEntries = cc, time.Hour, -1 })
	verify := func(name string, doc map[string]any, rc verifier.Options, wantReads int64, wantProof verifier.StepState) {
		t.Helper()
		n := cc.issuers.Load()
		rep, err := v.VerifyCredential(ctxT(t), mustJSON(t, doc), rc)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := rep.Step(verifier.StepProof); s.State != wantProof {
			t.Errorf("%s: proof %s, want %s: %s", name, s.State, wantProof, steps(rep))
		}
		if got := cc.issuers.Load() - n; got != wantReads {
			t.Errorf("%s: %d issuer reads, want %d", name, got, wantReads)
		}
	}
	verify("first", before, verifier.Options{Receipt: beforeRc}, 1, verifier.StepOK)
	verify("cached", before, verifier.Options{Receipt: beforeRc}, 0, verifier.StepOK)
	forged := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
	forged["credentialSubject"].(map[string]any)["degree"].(map[string]any)["level"] = "doctor"
	verify("forged with a cached key", forged, verifier.Options{}, 0, verifier.StepFailed)

	r.rotate(t)
	after := r.sign(t, degreeDoc(r.did, holder, "master"), 2)
	afterRc := r.anchor(t, []string{"DegreeCredential"}, after)[0]
	verify("new key", after, verifier.Options{Receipt: afterRc}, 1, verifier.StepOK)
	verify("new key, cached since", after, verifier.Options{Receipt: afterRc}, 0, verifier.StepOK)
	forged2 := r.sign(t, degreeDoc(r.did, holder, "master"), 2)
	forged2["credentialSubject"].(map[string]any)["degree"].(map[string]any)["level"] = "doctor"
	verify("forged with the new key", forged2, verifier.Options{}, 0, verifier.StepFailed)

	// An issuer looked up before it registered: its absence is cached, and
	// its first credential after registering is read again, not taken as
	// forged.
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	late := &rawIssuer{e: e, did: chain.IssuerDID(pub), keys: []ed25519.PrivateKey{priv}}
	early := late.sign(t, degreeDoc(late.did, holder, "master"), 1)
	// (Three reads: the warm-up's, the resolver's re-read of the cached
	// absence, and the chain steps' fresh read before reporting a failure.)
	verify("not registered yet", early, verifier.Options{}, 3, verifier.StepFailed)
	e.govTx(t, &chain.RegisterIssuer{Kind: chain.KindTrainingOrg, Names: chain.Names{En: "Late Academy", Zh: "迟到学院"}, PublicKey: chain.EncodePublicKey(pub)})
	e.accredit(t, late.did, "DegreeCredential")
	first := late.sign(t, degreeDoc(late.did, holder, "master"), 1)
	firstRc := late.anchor(t, []string{"DegreeCredential"}, first)[0]
	verify("registered since", first, verifier.Options{Receipt: firstRc}, 1, verifier.StepOK)
}
