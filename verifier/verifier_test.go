package verifier_test

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/verifier"
)

var credentialSteps = []string{
	verifier.StepFormat, verifier.StepProof, verifier.StepIssuer, verifier.StepKey,
	verifier.StepAnchor, verifier.StepStatus, verifier.StepValidity,
}

const (
	ok      = verifier.StepOK
	warn    = verifier.StepWarning
	failed  = verifier.StepFailed
	skipped = verifier.StepSkipped
)

// allOK is every credential step passing.
func allOK() map[string]verifier.StepState {
	m := map[string]verifier.StepState{}
	for _, s := range credentialSteps {
		m[s] = ok
	}
	return m
}

func with(m map[string]verifier.StepState, kv ...any) map[string]verifier.StepState {
	m = maps.Clone(m)
	for i := 0; i < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1].(verifier.StepState)
	}
	return m
}

type input struct {
	raw     []byte
	receipt *credential.AnchorReceipt
}

func fromRecord(rec *issuer.Record) input { return input{raw: rec.Credential, receipt: rec.Receipt} }

func TestVerifyCredential(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	uni := e.org(t, "DegreeCredential:bachelor,master", issuer.TypeTraining)
	holder := newHolder(t).Controller

	// didKeyCredential is a training certificate made by another tool: a
	// did:key issuer that TalentChain does not know.
	didKeyCredential := func(t *testing.T, status map[string]any) []byte {
		k, err := credential.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		s, _ := credential.NewSigner(credential.MustLoader(), k)
		doc := map[string]any{
			"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
			"type":              []any{"VerifiableCredential", "TrainingCertificateCredential"},
			"credentialSubject": map[string]any{"id": holder, "result": "pass"},
			"validFrom":         "2026-01-01T00:00:00Z",
		}
		if status != nil {
			doc["credentialStatus"] = status
		}
		signed, err := s.SignCredential(doc, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return mustJSON(t, signed)
	}

	cases := []struct {
		name  string
		setup func(t *testing.T) input
		cfg   func(*verifier.Config)
		state verifier.State
		steps map[string]verifier.StepState
		// detail names a step whose details must hold key = value.
		detail []any
	}{
		{
			name:  "good master's degree",
			setup: func(t *testing.T) input { return fromRecord(e.issue(t, uni.DID, masterDegree(holder))) },
			state: verifier.StateValid, steps: allOK(),
		},
		{
			name: "good training certificate in data model 1.1 (Ed25519Signature2020)",
			setup: func(t *testing.T) input {
				r := training(holder)
				r.Format = issuer.FormatV1
				return fromRecord(e.issue(t, uni.DID, r))
			},
			state: verifier.StateValid, steps: allOK(),
		},
		{
			name: "revoked",
			setup: func(t *testing.T) input {
				rec := e.issue(t, uni.DID, masterDegree(holder))
				e.setStatus(t, uni.DID, rec.ID, issuer.StatusRevoked)
				return fromRecord(rec)
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepStatus, failed),
		},
		{
			name: "suspended",
			setup: func(t *testing.T) input {
				rec := e.issue(t, uni.DID, masterDegree(holder))
				e.setStatus(t, uni.DID, rec.ID, issuer.StatusSuspended)
				return fromRecord(rec)
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepStatus, failed),
		},
		{
			name: "suspended, then reinstated",
			setup: func(t *testing.T) input {
				rec := e.issue(t, uni.DID, masterDegree(holder))
				e.setStatus(t, uni.DID, rec.ID, issuer.StatusSuspended)
				e.setStatus(t, uni.DID, rec.ID, issuer.StatusActive)
				return fromRecord(rec)
			},
			state: verifier.StateValid, steps: allOK(),
		},
		{
			name: "issuer suspended by governance",
			setup: func(t *testing.T) input {
				o := e.org(t, "DegreeCredential")
				rec := e.issue(t, o.DID, masterDegree(holder))
				e.govTx(t, &chain.SuspendIssuer{Issuer: o.DID, Reason: "under investigation"})
				return fromRecord(rec)
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepIssuer, failed),
			detail: []any{verifier.StepIssuer, "status", chain.StatusSuspended},
		},
		{
			name: "issuer suspended, then reinstated",
			setup: func(t *testing.T) input {
				o := e.org(t, "DegreeCredential")
				rec := e.issue(t, o.DID, masterDegree(holder))
				e.govTx(t, &chain.SuspendIssuer{Issuer: o.DID})
				e.govTx(t, &chain.ReinstateIssuer{Issuer: o.DID})
				return fromRecord(rec)
			},
			state: verifier.StateValid, steps: allOK(),
		},
		{
			name: "issuer removed",
			setup: func(t *testing.T) input {
				o := e.org(t, "DegreeCredential")
				rec := e.issue(t, o.DID, masterDegree(holder))
				e.govTx(t, &chain.RemoveIssuer{Issuer: o.DID, Reason: "fraud"})
				return fromRecord(rec)
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepIssuer, failed),
			detail: []any{verifier.StepIssuer, "status", chain.StatusRemoved},
		},
		{
			name: "accreditation withdrawn after issuance: still recognised, with a warning",
			setup: func(t *testing.T) input {
				o := e.org(t, "DegreeCredential", issuer.TypeTraining)
				rec := e.issue(t, o.DID, masterDegree(holder))
				e.govTx(t, &chain.Withdraw{Issuer: o.DID, CredentialType: "DegreeCredential"})
				return fromRecord(rec)
			},
			state: verifier.StateWarning, steps: with(allOK(), verifier.StepIssuer, warn),
		},
		{
			name: "issuer not accredited for the credential's type",
			setup: func(t *testing.T) input {
				r := e.rawIssuer(t, issuer.TypeTraining)
				doc := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
				return input{mustJSON(t, doc), r.anchor(t, nil, doc)[0]}
			},
			state:  verifier.StateInvalid,
			steps:  with(allOK(), verifier.StepIssuer, failed, verifier.StepStatus, warn),
			detail: []any{verifier.StepIssuer, "accredited", false},
		},
		{
			name: "issuer accredited for the type only after issuance",
			setup: func(t *testing.T) input {
				r := e.rawIssuer(t, issuer.TypeTraining)
				doc := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
				rc := r.anchor(t, nil, doc)[0]
				e.accredit(t, r.did, "DegreeCredential")
				return input{mustJSON(t, doc), rc}
			},
			state: verifier.StateInvalid,
			steps: with(allOK(), verifier.StepIssuer, failed, verifier.StepStatus, warn),
		},
		{
			name: "issuer accredited for degrees at another level",
			setup: func(t *testing.T) input {
				r := e.rawIssuer(t, "DegreeCredential:bachelor")
				doc := r.sign(t, degreeDoc(r.did, holder, "doctor"), 1)
				return input{mustJSON(t, doc), r.anchor(t, []string{"DegreeCredential"}, doc)[0]}
			},
			state:  verifier.StateInvalid,
			steps:  with(allOK(), verifier.StepIssuer, failed, verifier.StepStatus, warn),
			detail: []any{verifier.StepIssuer, "level", "doctor"},
		},
		{
			name: "issued before a key rotation: still valid",
			setup: func(t *testing.T) input {
				o := e.org(t, "DegreeCredential")
				rec := e.issue(t, o.DID, masterDegree(holder))
				if _, err := e.svc.RotateKey(ctxT(t), o.DID); err != nil {
					t.Fatal(err)
				}
				return fromRecord(rec)
			},
			state: verifier.StateValid, steps: allOK(),
		},
		{
			name: "issued after a key rotation with the new key",
			setup: func(t *testing.T) input {
				o := e.org(t, "DegreeCredential")
				if _, err := e.svc.RotateKey(ctxT(t), o.DID); err != nil {
					t.Fatal(err)
				}
				return fromRecord(e.issue(t, o.DID, masterDegree(holder)))
			},
			state: verifier.StateValid, steps: allOK(),
		},
		{
			name: "signed with the old key, anchored after the rotation",
			setup: func(t *testing.T) input {
				r := e.rawIssuer(t, "DegreeCredential")
				r.rotate(t)
				doc := r.sign(t, degreeDoc(r.did, holder, "master"), 1) // the retired key
				return input{mustJSON(t, doc), r.anchor(t, nil, doc)[0]}
			},
			state:  verifier.StateInvalid,
			steps:  with(allOK(), verifier.StepKey, failed, verifier.StepStatus, warn),
			detail: []any{verifier.StepKey, "validUntilHeight", nil},
		},
		{
			name: "signed with a retired key, no receipt",
			setup: func(t *testing.T) input {
				r := e.rawIssuer(t, "DegreeCredential")
				doc := r.sign(t, degreeDoc(r.did, holder, "master"), 1)
				r.rotate(t)
				return input{raw: mustJSON(t, doc)}
			},
			state: verifier.StateInvalid,
			steps: with(allOK(), verifier.StepKey, failed, verifier.StepAnchor, warn, verifier.StepStatus, warn),
		},
		{
			name: "forged receipt: a wrong inclusion path",
			setup: func(t *testing.T) input {
				recs, err := e.svc.IssueBatch(ctxT(t), uni.DID, []*issuer.Request{masterDegree(holder), masterDegree(holder)})
				if err != nil {
					t.Fatal(err)
				}
				in := fromRecord(recs[0])
				rc := *in.receipt
				rc.Path = slices.Clone(rc.Path)
				rc.Path[0] = strings.Repeat("ab", 32)
				in.receipt = &rc
				return in
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
		},
		{
			name: "forged receipt: a wrong root",
			setup: func(t *testing.T) input {
				in := fromRecord(e.issue(t, uni.DID, masterDegree(holder)))
				rc := *in.receipt
				rc.Root = randHex(32)
				in.receipt = &rc
				return in
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
		},
		{
			name: "forged receipt: a root that is not on chain",
			setup: func(t *testing.T) input {
				rec := e.issue(t, uni.DID, masterDegree(holder))
				d, _ := credential.CredentialDigest(parse(t, rec.Credential))
				fake := credential.NewBatch([][32]byte{d, {1}, {2}}).Receipt(0)
				fake.Issuer, fake.Height, fake.TxHash = uni.DID, rec.Receipt.Height, rec.Receipt.TxHash
				return input{rec.Credential, fake}
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
			detail: []any{verifier.StepAnchor, "root", nil},
		},
		{
			name: "forged receipt: another issuer anchored the credential",
			setup: func(t *testing.T) input {
				rec := e.issue(t, uni.DID, masterDegree(holder))
				other := e.rawIssuer(t, issuer.TypeTraining)
				filler := degreeDoc(other.did, holder, "master")
				return input{rec.Credential, other.anchor(t, nil, parse(t, rec.Credential), filler)[0]}
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
			detail: []any{verifier.StepAnchor, "anchorIssuer", nil},
		},
		{
			name: "forged receipt: the receipt of another credential",
			setup: func(t *testing.T) input {
				a := e.issue(t, uni.DID, masterDegree(holder))
				b := e.issue(t, uni.DID, masterDegree(holder))
				return input{a.Credential, b.Receipt}
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
			detail: []any{verifier.StepAnchor, "receiptDigest", nil},
		},
		{
			name: "forged receipt: an altered block height",
			setup: func(t *testing.T) input {
				in := fromRecord(e.issue(t, uni.DID, masterDegree(holder)))
				rc := *in.receipt
				rc.Height--
				in.receipt = &rc
				return in
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
		},
		{
			name: "no receipt: a warning, checked against today's chain",
			setup: func(t *testing.T) input {
				return input{raw: e.issue(t, uni.DID, masterDegree(holder)).Credential}
			},
			state: verifier.StateWarning, steps: with(allOK(), verifier.StepAnchor, warn),
		},
		{
			name: "no receipt when the verifier requires anchors",
			setup: func(t *testing.T) input {
				return input{raw: e.issue(t, uni.DID, masterDegree(holder)).Credential}
			},
			cfg:   func(c *verifier.Config) { c.RequireAnchor = true },
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
		},
		{
			name: "expired",
			setup: func(t *testing.T) input {
				r := masterDegree(holder)
				r.ValidFrom, r.ValidUntil = time.Now().Add(-48*time.Hour), time.Now().Add(-24*time.Hour)
				return fromRecord(e.issue(t, uni.DID, r))
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepValidity, failed),
		},
		{
			name: "a claim changed after signing",
			setup: func(t *testing.T) input {
				in := fromRecord(e.issue(t, uni.DID, masterDegree(holder)))
				in.raw = []byte(strings.Replace(string(in.raw), `"Zhang San"`, `"Zhang Sun"`, 1))
				return in
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepProof, failed, verifier.StepAnchor, failed),
		},
		{
			name: "a receipt from another network",
			setup: func(t *testing.T) input {
				in := fromRecord(e.issue(t, uni.DID, masterDegree(holder)))
				rc := *in.receipt
				rc.ChainID = "another-chain"
				in.receipt = &rc
				return in
			},
			state: verifier.StateInvalid, steps: with(allOK(), verifier.StepAnchor, failed),
		},
		{
			name:   "issuer unknown to TalentChain (did:key): a warning, not a failure",
			setup:  func(t *testing.T) input { return input{raw: didKeyCredential(t, nil)} },
			state:  verifier.StateWarning,
			steps:  with(allOK(), verifier.StepIssuer, warn, verifier.StepKey, skipped, verifier.StepAnchor, skipped, verifier.StepStatus, skipped),
			detail: []any{verifier.StepIssuer, "accredited", false},
		},
		{
			name: "did:key issuer with a status list on its own site: not fetched, not checkable",
			setup: func(t *testing.T) input {
				return input{raw: didKeyCredential(t, credential.NewStatusEntry("http://127.0.0.1:1/status/1", credential.StatusRevocation, 7).Map())}
			},
			state: verifier.StateWarning,
			steps: with(allOK(), verifier.StepIssuer, warn, verifier.StepKey, skipped, verifier.StepAnchor, skipped, verifier.StepStatus, warn),
		},
		{
			name: "a did:key credential that another issuer's receipt cannot vouch for",
			setup: func(t *testing.T) input {
				return input{raw: didKeyCredential(t, nil), receipt: e.issue(t, uni.DID, masterDegree(holder)).Receipt}
			},
			state: verifier.StateInvalid,
			steps: with(allOK(), verifier.StepIssuer, warn, verifier.StepKey, skipped, verifier.StepAnchor, failed, verifier.StepStatus, skipped),
		},
		{
			name: "a did:talent issuer the chain does not know",
			setup: func(t *testing.T) input {
				r := &rawIssuer{e: e}
				k := newHolder(t)
				r.keys = append(r.keys, k.Private)
				r.did = chain.IssuerDID(k.Public)
				return input{raw: mustJSON(t, r.sign(t, degreeDoc(r.did, holder, "master"), 1))}
			},
			state: verifier.StateInvalid,
			steps: with(allOK(), verifier.StepProof, failed, verifier.StepIssuer, failed, verifier.StepKey, skipped, verifier.StepAnchor, warn, verifier.StepStatus, warn),
		},
		{
			name: "a malformed status entry fails the schema",
			setup: func(t *testing.T) input {
				return input{raw: didKeyCredential(t, map[string]any{
					"id": "https://x.example/s#1", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
					"statusListIndex": "01", "statusListCredential": "https://x.example/s",
				})}
			},
			state: verifier.StateInvalid,
			steps: with(allOK(), verifier.StepFormat, failed, verifier.StepIssuer, warn, verifier.StepKey, skipped, verifier.StepAnchor, skipped, verifier.StepStatus, failed),
		},
		{
			name: "an enveloped VC-JWT: no format registered for it yet",
			setup: func(t *testing.T) input {
				return input{raw: []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,eyJhbGciOiJFZERTQSJ9.e30.c2ln"}`)}
			},
			state: verifier.StateInvalid,
			steps: map[string]verifier.StepState{verifier.StepFormat: failed, verifier.StepProof: skipped, verifier.StepValidity: skipped},
		},
		{
			name: "a JSON object that is no credential",
			setup: func(t *testing.T) input {
				return input{raw: []byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"]}`)}
			},
			state: verifier.StateInvalid,
			steps: map[string]verifier.StepState{verifier.StepFormat: failed, verifier.StepProof: skipped, verifier.StepIssuer: skipped},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.setup(t)
			var mods []func(*verifier.Config)
			if c.cfg != nil {
				mods = append(mods, c.cfg)
			}
			rep, err := e.verifier(t, mods...).VerifyCredential(ctxT(t), in.raw, verifier.Options{Receipt: in.receipt})
			if err != nil {
				t.Fatalf("VerifyCredential: %v", err)
			}
			var names []string
			for _, s := range rep.Steps {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, credentialSteps) {
				t.Fatalf("steps %v, want %v", names, credentialSteps)
			}
			for name, want := range c.steps {
				if s, _ := rep.Step(name); s.State != want {
					t.Errorf("step %s = %s (%s), want %s", name, s.State, s.MessageEN, want)
				}
			}
			if rep.State != c.state {
				t.Errorf("state %s, want %s: %s", rep.State, c.state, steps(rep))
			}
			if c.detail != nil {
				s, _ := rep.Step(c.detail[0].(string))
				got, present := s.Details[c.detail[1].(string)]
				if !present || (c.detail[2] != nil && got != c.detail[2]) {
					t.Errorf("step %s details %v: want %s = %v", s.Name, s.Details, c.detail[1], c.detail[2])
				}
			}
			checkMessages(t, rep)
			if t.Failed() || testing.Verbose() {
				for _, s := range rep.Steps {
					t.Logf("%-9s %-8s %s | %s", s.Name, s.State, s.MessageEN, s.MessageZH)
				}
			}
		})
	}
}

// A revocation reaches a caching verifier within the status TTL, and a
// failure read from the cache is re-read before it is reported, so a stale
// cache never fails a good credential.
func TestCacheStaleness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	o := e.org(t, "DegreeCredential")
	rec := e.issue(t, o.DID, masterDegree(newHolder(t).Controller))
	v := e.verifier(t, func(c *verifier.Config) { c.RecordTTL, c.StatusTTL = time.Hour, 300*time.Millisecond })
	verify := func() *verifier.Report {
		t.Helper()
		rep, err := v.VerifyCredential(ctxT(t), rec.Credential, verifier.Options{Receipt: rec.Receipt})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	if r := verify(); r.State != verifier.StateValid {
		t.Fatalf("first: %s", steps(r))
	}
	// The issuer is suspended: the cached record (1 h) still says active.
	e.govTx(t, &chain.SuspendIssuer{Issuer: o.DID})
	if r := verify(); r.State != verifier.StateValid {
		t.Fatalf("cached issuer record not used: %s", steps(r))
	}
	// A fresh verifier sees the suspension and caches it; after the
	// reinstatement the cached "suspended" is re-read, not reported.
	v = e.verifier(t, func(c *verifier.Config) { c.RecordTTL = time.Hour })
	if r := verify(); r.State != verifier.StateInvalid {
		t.Fatalf("suspension not seen: %s", steps(r))
	}
	e.govTx(t, &chain.ReinstateIssuer{Issuer: o.DID})
	if r := verify(); r.State != verifier.StateValid {
		t.Fatalf("stale failure reported: %s", steps(r))
	}
	// A revocation shows once the status TTL passed.
	v = e.verifier(t, func(c *verifier.Config) { c.StatusTTL = 300 * time.Millisecond })
	verify()
	e.setStatus(t, o.DID, rec.ID, issuer.StatusRevoked)
	deadline := time.Now().Add(5 * time.Second)
	for verify().State != verifier.StateInvalid {
		if time.Now().After(deadline) {
			t.Fatal("revocation not seen after the status TTL")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestVerifyErrors(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	v := e.verifier(t)
	for _, c := range []struct {
		name string
		raw  string
		opts verifier.Options
		want error
	}{
		{"empty", "", verifier.Options{}, verifier.ErrMalformed},
		{"not JSON", "hello", verifier.Options{}, verifier.ErrMalformed},
		{"a JSON array", `[1]`, verifier.Options{}, verifier.ErrMalformed},
		{"duplicate members", `{"a":1,"a":2}`, verifier.Options{}, verifier.ErrMalformed},
		{"an envelope without a data URL", `{"type":"EnvelopedVerifiableCredential","id":"https://x"}`, verifier.Options{}, verifier.ErrMalformed},
		{"a challenge too long", `{}`, verifier.Options{Challenge: strings.Repeat("c", 513)}, verifier.ErrInvalid},
		{"a malformed receipt", `{}`, verifier.Options{Receipt: &credential.AnchorReceipt{Type: "x"}}, verifier.ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := v.VerifyCredential(ctxT(t), []byte(c.raw), c.opts)
			if !errors.Is(err, c.want) || rep != nil {
				t.Fatalf("got %v, %v; want %v", rep, err, c.want)
			}
		})
	}
	if _, err := v.VerifyPresentation(ctxT(t), []byte(`{}`), verifier.Options{}); !errors.Is(err, verifier.ErrInvalid) {
		t.Fatalf("presentation without challenge: %v", err)
	}
	// A chain that cannot be read gives no verdict.
	rec := e.issue(t, e.org(t, "DegreeCredential").DID, masterDegree(newHolder(t).Controller))
	down := &outage{Chain: e.node.Client()}
	v = e.verifier(t, func(c *verifier.Config) { c.Chain = down })
	for _, fail := range []string{"issuer", "anchor", "accreditation", "status"} {
		down.fail = fail
		if _, err := v.VerifyCredential(ctxT(t), rec.Credential, verifier.Options{Receipt: rec.Receipt}); !errors.Is(err, verifier.ErrUnavailable) {
			t.Fatalf("%s read fails: %v", fail, err)
		}
	}
	down.fail = ""
	if rep, err := v.VerifyCredential(ctxT(t), rec.Credential, verifier.Options{Receipt: rec.Receipt}); err != nil || rep.State != verifier.StateValid {
		t.Fatalf("after the outage: %v", err)
	}
}

// outage is the real chain client with one kind of read failing, as when
// the node is unreachable or a proof does not verify.
type outage struct {
	verifier.Chain
	fail string
}

var errOutage = errors.New("connection refused")

func (o *outage) Issuer(ctx context.Context, did string) (*chain.Issuer, error) {
	if o.fail == "issuer" {
		return nil, errOutage
	}
	return o.Chain.Issuer(ctx, did)
}

func (o *outage) Accreditation(ctx context.Context, did, typ string) (*chain.Accreditation, error) {
	if o.fail == "accreditation" {
		return nil, errOutage
	}
	return o.Chain.Accreditation(ctx, did, typ)
}

func (o *outage) Anchor(ctx context.Context, root string) (*chain.AnchorRecord, error) {
	if o.fail == "anchor" {
		return nil, errOutage
	}
	return o.Chain.Anchor(ctx, root)
}

func (o *outage) StatusList(ctx context.Context, did, list string) (*chain.StatusList, error) {
	if o.fail == "status" {
		return nil, errOutage
	}
	return o.Chain.StatusList(ctx, did, list)
}

func TestParseReceipt(t *testing.T) {
	good := credential.NewBatch([][32]byte{{1}, {2}, {3}}).Receipt(1)
	raw := string(mustJSON(t, good))
	for _, c := range []struct {
		name, raw string
		ok        bool
	}{
		{"good", raw, true},
		{"unknown member", strings.Replace(raw, `{`, `{"extra":1,`, 1), false},
		{"duplicate member", strings.Replace(raw, `{`, `{"root":"`+good.Root+`",`, 1), false},
		{"wrong type", strings.Replace(raw, credential.ReceiptType, "Other", 1), false},
		{"short root", strings.Replace(raw, good.Root, good.Root[:10], 1), false},
		{"trailing data", raw + "{}", false},
		{"an array", "[" + raw + "]", false},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, err := verifier.ParseReceipt([]byte(c.raw))
			switch {
			case c.ok && (err != nil || r.Root != good.Root):
				t.Fatalf("refused: %v", err)
			case !c.ok && !errors.Is(err, verifier.ErrMalformed):
				t.Fatalf("accepted or wrong error: %v", err)
			}
		})
	}
	m, err := verifier.ParseReceipts([]byte(`{"urn:uuid:1":` + raw + `}`))
	if err != nil || m["urn:uuid:1"].Digest != good.Digest {
		t.Fatalf("ParseReceipts: %v", err)
	}
	if _, err := verifier.ParseReceipts([]byte(`{"urn:uuid:1":{"type":"x"}}`)); !errors.Is(err, verifier.ErrMalformed) {
		t.Fatalf("ParseReceipts accepted a bad receipt: %v", err)
	}
}

// Many verifications at once share the caches and the reads of one key;
// the report's JSON carries the agreed member names.
func TestConcurrentVerifyAndJSON(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	uni := e.org(t, "DegreeCredential:master")
	recs, err := e.svc.IssueBatch(ctxT(t), uni.DID, []*issuer.Request{masterDegree(newHolder(t).Controller), masterDegree(newHolder(t).Controller), masterDegree(newHolder(t).Controller)})
	if err != nil {
		t.Fatal(err)
	}
	v := e.verifier(t, func(c *verifier.Config) { c.RecordTTL, c.StatusTTL = 0, 0 })
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			rec := recs[i%len(recs)]
			rep, err := v.VerifyCredential(ctxT(t), rec.Credential, verifier.Options{Receipt: rec.Receipt})
			if err != nil || rep.State != verifier.StateValid || rep.AnchorHeight != rec.Receipt.Height {
				t.Errorf("%v %s", err, steps(rep))
			}
		})
	}
	wg.Wait()
	rep, err := v.VerifyCredential(ctxT(t), recs[0].Credential, verifier.Options{Receipt: recs[0].Receipt})
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		State string `json:"state"`
		Steps []struct {
			Name      string         `json:"name"`
			State     string         `json:"state"`
			MessageEN string         `json:"message_en"`
			MessageZH string         `json:"message_zh"`
			Details   map[string]any `json:"details"`
		} `json:"steps"`
		IssuerName struct{ Zh string } `json:"issuerName"`
	}
	if err := json.Unmarshal(mustJSON(t, rep), &out); err != nil {
		t.Fatal(err)
	}
	if out.State != "valid" || len(out.Steps) != 7 || out.Steps[4].Name != "anchor" || out.Steps[4].Details["height"] != float64(recs[0].Receipt.Height) ||
		out.Steps[0].MessageZH == "" || out.IssuerName.Zh == "" {
		t.Fatalf("report JSON %s", mustJSON(t, rep))
	}
}
