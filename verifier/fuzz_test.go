package verifier_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"slices"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/verifier"
)

// FuzzVerifyCredential feeds arbitrary credentials and receipts to the full
// pipeline over a real chain holding a real issuer and its credentials. Any
// input either is refused with ErrMalformed or ErrInvalid, or gets a
// complete report whose state follows from its steps; the chain being up,
// ErrUnavailable never appears.
func FuzzVerifyCredential(f *testing.F) {
	if testing.Short() {
		f.Skip("starts a chain node")
	}
	e := newEnv(f)
	uni := e.org(f, "DegreeCredential:master", issuer.TypeTraining)
	holder := newHolder(f).Controller
	rec := e.issue(f, uni.DID, masterDegree(holder))
	r1 := training(holder)
	r1.Format = issuer.FormatV1
	rec1 := e.issue(f, uni.DID, r1)
	receipt := mustJSON(f, rec.Receipt)
	f.Add([]byte(rec.Credential), receipt)
	f.Add([]byte(rec1.Credential), mustJSON(f, rec1.Receipt))
	f.Add([]byte(rec.Credential), []byte(nil))
	f.Add([]byte(rec1.Credential), receipt)
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,a.b.c"}`), []byte(nil))
	f.Add([]byte(`"eyJ.eyJ.sig~disc~"`), []byte(nil))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential","x/y"],"issuer":"did:talent:xx/yy","credentialSubject":{"id":"a:b"},"credentialStatus":{"type":"BitstringStatusListEntry","statusPurpose":"revocation","statusListIndex":"3","statusListCredential":"https://h/status/did:talent:xx/yy"}}`), receipt)
	v := e.verifier(f)
	f.Fuzz(func(t *testing.T, raw, rawReceipt []byte) {
		var opts verifier.Options
		if len(rawReceipt) > 0 {
			r, err := verifier.ParseReceipt(rawReceipt)
			if err != nil {
				if !errors.Is(err, verifier.ErrMalformed) {
					t.Fatalf("ParseReceipt: %v", err)
				}
			} else {
				opts.Receipt = r
			}
		}
		rep, err := v.VerifyCredential(ctxT(t), raw, opts)
		if err != nil {
			if rep != nil || !(errors.Is(err, verifier.ErrMalformed) || errors.Is(err, verifier.ErrInvalid)) {
				t.Fatalf("report %v with error %v", rep, err)
			}
			return
		}
		var names []string
		failedStep, warned := false, false
		for _, s := range rep.Steps {
			names = append(names, s.Name)
			failedStep = failedStep || s.State == verifier.StepFailed
			warned = warned || s.State == verifier.StepWarning
		}
		if !slices.Equal(names, credentialSteps) {
			t.Fatalf("steps %v", names)
		}
		want := verifier.StateValid
		switch {
		case failedStep:
			want = verifier.StateInvalid
		case warned:
			want = verifier.StateWarning
		}
		if rep.State != want {
			t.Fatalf("state %s with steps %s", rep.State, steps(rep))
		}
		checkMessages(t, rep)
		// Only the untouched credentials with their own receipts are valid.
		if rep.State == verifier.StateValid && string(raw) != string(rec.Credential) && string(raw) != string(rec1.Credential) {
			doc, err := credential.ParseDocument(raw)
			if err != nil {
				t.Fatalf("valid report for unreadable input")
			}
			if id, _ := doc["id"].(string); id != rec.ID && id != rec1.ID {
				t.Fatalf("a credential nobody issued is valid: %s", raw)
			}
		}
	})
}

// FuzzParseReceipt: any accepted receipt satisfies the receipt's own rules
// and survives a round trip.
func FuzzParseReceipt(f *testing.F) {
	good := credential.NewBatch([][32]byte{{1}, {2}, {3}}).Receipt(2)
	good.Issuer, good.Height, good.TxHash = "did:talent:RLmk4n3GArSXjAFNSfSsxY", 7, "AB"
	f.Add(mustJSON(f, good))
	f.Add([]byte(`{"type":"TalentChainAnchorReceipt","version":1}`))
	f.Add([]byte(`{"root":"x","root":"y"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := verifier.ParseReceipt(raw)
		if err != nil {
			if !errors.Is(err, verifier.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		if r.Type != credential.ReceiptType || r.Version != credential.ReceiptVersion || len(r.Root) != 64 || len(r.Digest) != 64 || len(r.Path) > 64 || r.TreeSize == 0 {
			t.Fatalf("accepted %+v", r)
		}
		again, err := verifier.ParseReceipt(mustJSON(t, r))
		if err != nil || again.Root != r.Root || again.LeafIndex != r.LeafIndex || !slices.Equal(again.Path, r.Path) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzVerifyPresentation: any presentation input gets a complete report or
// ErrMalformed; without a replay check nothing is valid, and a proof that
// verifies is one of the two holders'.
func FuzzVerifyPresentation(f *testing.F) {
	if testing.Short() {
		f.Skip("starts a chain node")
	}
	e := newEnv(f)
	uni := e.org(f, "DegreeCredential:master")
	// Fixed keys: the fuzzing engine's workers are other processes, which
	// must know the holders of the seeds the coordinator made.
	alice, bob := fixedHolder("alice"), fixedHolder("bob")
	rec := e.issue(f, uni.DID, masterDegree(alice.Controller))
	good := present(f, alice, "fuzz-challenge", "hr.example.cn", rec.Credential)
	f.Add(good)
	f.Add(present(f, bob, "fuzz-challenge", "hr.example.cn", rec.Credential))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":"EnvelopedVerifiablePresentation","id":"data:application/vp+jwt,a.b.c"}`))
	f.Add([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],"verifiableCredential":[1,{}]}`))
	v := e.verifier(f, func(c *verifier.Config) { c.Seen = nil }) // no replay state across inputs
	opts := verifier.Options{Challenge: "fuzz-challenge", Domain: "hr.example.cn", Receipts: map[string]*credential.AnchorReceipt{rec.ID: rec.Receipt}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		rep, err := v.VerifyPresentation(ctxT(t), raw, opts)
		if err != nil {
			if rep != nil || !errors.Is(err, verifier.ErrMalformed) {
				t.Fatalf("report %v with error %v", rep, err)
			}
			return
		}
		var names []string
		for _, s := range rep.Steps {
			names = append(names, s.Name)
		}
		if !slices.Equal(names, presentationSteps) {
			t.Fatalf("steps %v", names)
		}
		checkMessages(t, rep)
		if rep.State == verifier.StateValid {
			t.Fatalf("valid without a replay check: %s", raw)
		}
		// Only the two holders signed anything: a proof that verifies is theirs.
		if s, _ := rep.Step(verifier.StepProof); s.State == verifier.StepOK {
			doc, _ := credential.ParseDocument(raw)
			if doc == nil || (doc["holder"] != alice.Controller && doc["holder"] != bob.Controller) {
				t.Fatalf("a proof by nobody we know accepted: %s", raw)
			}
		}
	})
}

func fixedHolder(name string) *credential.KeyPair {
	seed := sha256.Sum256([]byte("talentchain/verifier/fuzz/" + name))
	return credential.NewDIDKeyPair(ed25519.NewKeyFromSeed(seed[:]))
}
