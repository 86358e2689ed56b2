package verifier_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// A verifier that cached an issuer record (one hour) still verifies a
// credential signed with a key rotated in just after: the cached record
// misses the new key, so the proof is checked again with a fresh read. A
// credential signed with the old key before the rotation stays valid, and
// one signed with the old key but anchored after the rotation still fails
// the key step (the re-read does not make a retired key good).
func TestRotationWithinRecordTTL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	holder := newHolder(t).Controller
	r := e.rawIssuer(t, "DegreeCredential")
	before := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
	beforeRc := r.anchor(t, []string{"DegreeCredential"}, before)[0]

	v := e.verifier(t, func(c *verifier.Config) { c.RecordTTL = time.Hour })
	verify := func(doc map[string]any, rc *credential.AnchorReceipt) *verifier.Report {
		t.Helper()
		rep, err := v.VerifyCredential(ctxT(t), mustJSON(t, doc), verifier.Options{Receipt: rc})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	// Caches the record with key-1 only.
	if rep := verify(before, beforeRc); rep.State == verifier.StateInvalid {
		t.Fatalf("before the rotation: %s", steps(rep))
	}

	r.rotate(t)
	after := r.sign(t, degreeDoc(r.did, holder, "master"), 2)
	afterRc := r.anchor(t, []string{"DegreeCredential"}, after)[0]
	rep := verify(after, afterRc)
	if s, _ := rep.Step(verifier.StepProof); s.State != verifier.StepOK || rep.State == verifier.StateInvalid {
		t.Fatalf("signed with the new key within the record TTL: %s", steps(rep))
	}
	if s, _ := rep.Step(verifier.StepKey); s.State != verifier.StepOK {
		t.Fatalf("new key: %s", steps(rep))
	}
	// Signed with the old key before the rotation, verified after it.
	rep = verify(before, beforeRc)
	if s, _ := rep.Step(verifier.StepKey); s.State != verifier.StepOK || rep.State == verifier.StateInvalid {
		t.Fatalf("old key, dated before the rotation: %s", steps(rep))
	}
	// The old key used after the rotation is still refused by the key step.
	late := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
	lateRc := r.anchor(t, []string{"DegreeCredential"}, late)[0]
	rep = verify(late, lateRc)
	if s, _ := rep.Step(verifier.StepKey); s.State != verifier.StepFailed || rep.State != verifier.StateInvalid {
		t.Fatalf("retired key after the rotation: %s", steps(rep))
	}
	// A forged signature is still a failed proof after the second look.
	forged := r.sign(t, degreeDoc(r.did, holder, "master"), 2)
	forged["credentialSubject"].(map[string]any)["degree"].(map[string]any)["level"] = "doctor"
	rep = verify(forged, nil)
	if s, _ := rep.Step(verifier.StepProof); s.State != verifier.StepFailed {
		t.Fatalf("forged: %s", steps(rep))
	}
}

// The challenge is recorded only after every other check passed: a
// presentation that fails a later step (a revoked credential inside) or
// whose chain reads fail leaves the challenge for the holder's valid
// answer; the valid answer then uses it up.
func TestReplayRecordedLast(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	uni := e.org(t, "DegreeCredential:master")
	alice := newHolder(t)
	good := e.issue(t, uni.DID, masterDegree(alice.Controller))
	bad := e.issue(t, uni.DID, masterDegree(alice.Controller))
	e.setStatus(t, uni.DID, bad.ID, "revoked")
	receipts := map[string]*credential.AnchorReceipt{good.ID: good.Receipt, bad.ID: bad.Receipt}
	const domain = "hr.example.cn"
	v := e.verifier(t)

	t.Run("a failed later step", func(t *testing.T) {
		challenge := "nonce-" + randHex(16)
		opts := verifier.Options{Challenge: challenge, Domain: domain, Receipts: receipts}
		rep, err := v.VerifyPresentation(ctxT(t), present(t, alice, challenge, domain, bad.Credential), opts)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := rep.Step(verifier.StepReplay); rep.State != verifier.StateInvalid || s.State != verifier.StepSkipped {
			t.Fatalf("revoked inside: %s", steps(rep))
		}
		rep, err = v.VerifyPresentation(ctxT(t), present(t, alice, challenge, domain, good.Credential), opts)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := rep.Step(verifier.StepReplay); rep.State != verifier.StateValid || s.State != verifier.StepOK {
			t.Fatalf("the valid retry: %s", steps(rep))
		}
		rep, err = v.VerifyPresentation(ctxT(t), present(t, alice, challenge, domain, good.Credential), opts)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := rep.Step(verifier.StepReplay); rep.State != verifier.StateInvalid || s.State != verifier.StepFailed {
			t.Fatalf("a second valid answer is a replay: %s", steps(rep))
		}
	})

	t.Run("a chain read that errs", func(t *testing.T) {
		down := &outage{Chain: e.node.Client(), fail: "status"}
		dv := e.verifier(t, func(c *verifier.Config) { c.Chain = down })
		challenge := "nonce-" + randHex(16)
		raw := present(t, alice, challenge, domain, good.Credential)
		opts := verifier.Options{Challenge: challenge, Domain: domain, Receipts: receipts}
		if _, err := dv.VerifyPresentation(ctxT(t), raw, opts); err == nil {
			t.Fatal("no error while the chain is down")
		}
		down.fail = ""
		rep, err := dv.VerifyPresentation(ctxT(t), raw, opts)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := rep.Step(verifier.StepReplay); rep.State != verifier.StateValid || s.State != verifier.StepOK {
			t.Fatalf("retry after the outage: %s", steps(rep))
		}
	})

	t.Run("a reusable presentation records nothing", func(t *testing.T) {
		challenge := "share:" + randHex(8)
		raw := present(t, alice, challenge, domain, good.Credential)
		for range 2 {
			rep, err := v.VerifyPresentation(ctxT(t), raw, verifier.Options{Challenge: challenge, Domain: domain, Receipts: receipts, Reusable: true})
			if err != nil {
				t.Fatal(err)
			}
			if s, _ := rep.Step(verifier.StepReplay); rep.State != verifier.StateValid || s.State != verifier.StepSkipped {
				t.Fatalf("share link: %s", steps(rep))
			}
		}
	})
}

// TestReportSubject: the summary's limits (depth, members, text length)
// and its absence without a document or a subject object.
func TestReportSubject(t *testing.T) {
	long := strings.Repeat("长", 300)
	deep := map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": "too deep"}, "x": "ok"}}}
	many := map[string]any{}
	for i := range 40 {
		many[fmt.Sprintf("k%02d", i)] = i
	}
	for _, c := range []struct {
		name string
		doc  map[string]any
		want func(map[string]any) bool
	}{
		{"no document", nil, func(m map[string]any) bool { return m == nil }},
		{"subject not an object", map[string]any{"credentialSubject": "x"}, func(m map[string]any) bool { return m == nil }},
		{"long text cut", map[string]any{"credentialSubject": map[string]any{"note": long}}, func(m map[string]any) bool {
			return len([]rune(m["note"].(string))) == 201
		}},
		{"three levels at most", map[string]any{"credentialSubject": deep}, func(m map[string]any) bool {
			b := m["a"].(map[string]any)["b"].(map[string]any)
			_, hasC := b["c"]
			return b["x"] == "ok" && !hasC
		}},
		{"32 members at most", map[string]any{"credentialSubject": many}, func(m map[string]any) bool { return len(m) == 32 && m["k00"] == 0 }},
		{"first of several subjects", map[string]any{"credentialSubject": []any{map[string]any{"id": "a"}, map[string]any{"id": "b"}}}, func(m map[string]any) bool {
			return m["id"] == "a"
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := (&verifier.Report{Document: c.doc}).Subject()
			if !c.want(got) {
				t.Fatalf("%v", got)
			}
		})
	}
}
