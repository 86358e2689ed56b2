package verifier_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/redis/redistest"
	"github.com/talentchain/talentchain/verifier"
)

var presentationSteps = []string{
	verifier.StepFormat, verifier.StepProof, verifier.StepChallenge, verifier.StepDomain, verifier.StepHolder, verifier.StepReplay,
}

func TestVerifyPresentation(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	e := newEnv(t)
	uni := e.org(t, "DegreeCredential:master", issuer.TypeTraining)
	alice, bob := newHolder(t), newHolder(t)
	degree := e.issue(t, uni.DID, masterDegree(alice.Controller))
	course := e.issue(t, uni.DID, training(alice.Controller))
	revoked := e.issue(t, uni.DID, training(alice.Controller))
	e.setStatus(t, uni.DID, revoked.ID, issuer.StatusRevoked)
	anonymous := e.issue(t, uni.DID, training(""))
	receipts := map[string]*credential.AnchorReceipt{degree.ID: degree.Receipt, course.ID: course.Receipt, revoked.ID: revoked.Receipt, anonymous.ID: anonymous.Receipt}
	const domain = "hr.example.cn"
	v := e.verifier(t)

	type want struct {
		state       verifier.State
		steps       map[string]verifier.StepState
		credentials []verifier.State
	}
	allOK := func() map[string]verifier.StepState {
		m := map[string]verifier.StepState{}
		for _, s := range presentationSteps {
			m[s] = ok
		}
		return m
	}
	cases := []struct {
		name      string
		vp        func(challenge string) []byte
		challenge string // what the verifier expects; "" = the one the holder answered
		domain    string
		receipts  map[string]*credential.AnchorReceipt
		want      want
	}{
		{
			name:     "good: two credentials of the holder",
			vp:       func(c string) []byte { return present(t, alice, c, domain, degree.Credential, course.Credential) },
			domain:   domain,
			receipts: receipts,
			want:     want{verifier.StateValid, allOK(), []verifier.State{verifier.StateValid, verifier.StateValid}},
		},
		{
			name:   "good, but without receipts: the credentials warn",
			vp:     func(c string) []byte { return present(t, alice, c, domain, degree.Credential) },
			domain: domain,
			want:   want{verifier.StateWarning, allOK(), []verifier.State{verifier.StateWarning}},
		},
		{
			name:      "wrong challenge",
			vp:        func(c string) []byte { return present(t, alice, c, domain, degree.Credential) },
			challenge: "another-request",
			domain:    domain, receipts: receipts,
			want: want{verifier.StateInvalid, with(allOK(), verifier.StepChallenge, failed, verifier.StepReplay, skipped), []verifier.State{verifier.StateValid}},
		},
		{
			name:   "wrong domain",
			vp:     func(c string) []byte { return present(t, alice, c, "evil.example", degree.Credential) },
			domain: domain, receipts: receipts,
			want: want{verifier.StateInvalid, with(allOK(), verifier.StepDomain, failed, verifier.StepReplay, verifier.StepSkipped), []verifier.State{verifier.StateValid}},
		},
		{
			name:     "no domain expected",
			vp:       func(c string) []byte { return present(t, alice, c, "", degree.Credential) },
			receipts: receipts,
			want:     want{verifier.StateValid, with(allOK(), verifier.StepDomain, skipped), []verifier.State{verifier.StateValid}},
		},
		{
			name:   "holder is not the subject",
			vp:     func(c string) []byte { return present(t, bob, c, domain, degree.Credential) },
			domain: domain, receipts: receipts,
			want: want{verifier.StateInvalid, with(allOK(), verifier.StepHolder, failed, verifier.StepReplay, verifier.StepSkipped), []verifier.State{verifier.StateValid}},
		},
		{
			name:   "a credential without subject id: a warning",
			vp:     func(c string) []byte { return present(t, bob, c, domain, anonymous.Credential) },
			domain: domain, receipts: receipts,
			want: want{verifier.StateWarning, with(allOK(), verifier.StepHolder, warn), []verifier.State{verifier.StateValid}},
		},
		{
			name:   "a revoked credential inside",
			vp:     func(c string) []byte { return present(t, alice, c, domain, degree.Credential, revoked.Credential) },
			domain: domain, receipts: receipts,
			want: want{verifier.StateInvalid, with(allOK(), verifier.StepReplay, verifier.StepSkipped), []verifier.State{verifier.StateValid, verifier.StateInvalid}},
		},
		{
			name: "presentation changed after signing",
			vp: func(c string) []byte {
				vp := parse(t, present(t, alice, c, domain, degree.Credential))
				vp["holder"] = bob.Controller
				return mustJSON(t, vp)
			},
			domain: domain, receipts: receipts,
			want: want{verifier.StateInvalid, with(allOK(), verifier.StepProof, failed, verifier.StepHolder, failed, verifier.StepReplay, skipped), []verifier.State{verifier.StateValid}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			challenge := "nonce-" + randHex(16)
			raw := c.vp(challenge)
			expect := challenge
			if c.challenge != "" {
				expect = c.challenge
			}
			rep, err := v.VerifyPresentation(ctxT(t), raw, verifier.Options{Challenge: expect, Domain: c.domain, Receipts: c.receipts})
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, s := range rep.Steps {
				names = append(names, s.Name)
			}
			if !slices.Equal(names, presentationSteps) {
				t.Fatalf("steps %v", names)
			}
			for name, w := range c.want.steps {
				if s, _ := rep.Step(name); s.State != w {
					t.Errorf("step %s = %s (%s), want %s", name, s.State, s.MessageEN, w)
				}
			}
			if rep.State != c.want.state {
				t.Errorf("state %s, want %s: %s", rep.State, c.want.state, steps(rep))
			}
			var got []verifier.State
			for _, cr := range rep.Credentials {
				got = append(got, cr.State)
				if len(cr.Steps) != len(credentialSteps) {
					t.Errorf("credential report with steps %s", steps(cr))
				}
			}
			if !slices.Equal(got, c.want.credentials) {
				t.Errorf("credential states %v, want %v", got, c.want.credentials)
			}
			checkMessages(t, rep)
			if t.Failed() || testing.Verbose() {
				for _, s := range rep.Steps {
					t.Logf("%-9s %-8s %s | %s", s.Name, s.State, s.MessageEN, s.MessageZH)
				}
			}
		})
	}

	t.Run("replayed", func(t *testing.T) {
		challenge := "nonce-" + randHex(16)
		raw := present(t, alice, challenge, domain, degree.Credential)
		opts := verifier.Options{Challenge: challenge, Domain: domain, Receipts: receipts}
		first, err := v.VerifyPresentation(ctxT(t), raw, opts)
		if err != nil || first.State != verifier.StateValid {
			t.Fatalf("first: %v %s", err, steps(first))
		}
		// The same presentation again, through another verifier sharing the store.
		again, err := e.verifier(t).VerifyPresentation(ctxT(t), raw, opts)
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := again.Step(verifier.StepReplay); s.State != failed || again.State != verifier.StateInvalid {
			t.Fatalf("replay accepted: %s", steps(again))
		}
		// A presentation that failed its challenge did not burn the nonce.
		fresh := "nonce-" + randHex(16)
		wrong, _ := v.VerifyPresentation(ctxT(t), present(t, alice, "other", domain, degree.Credential), verifier.Options{Challenge: fresh, Domain: domain})
		if wrong.State != verifier.StateInvalid {
			t.Fatal("wrong challenge accepted")
		}
		right, _ := v.VerifyPresentation(ctxT(t), present(t, alice, fresh, domain, degree.Credential), verifier.Options{Challenge: fresh, Domain: domain, Receipts: receipts})
		if s, _ := right.Step(verifier.StepReplay); s.State != ok {
			t.Fatalf("nonce burnt by a failed attempt: %s", steps(right))
		}
	})

	t.Run("without a seen set the replay step warns", func(t *testing.T) {
		nv := e.verifier(t, func(c *verifier.Config) { c.Seen = nil })
		challenge := "nonce-" + randHex(16)
		rep, err := nv.VerifyPresentation(ctxT(t), present(t, alice, challenge, domain, degree.Credential), verifier.Options{Challenge: challenge, Domain: domain, Receipts: receipts})
		if err != nil {
			t.Fatal(err)
		}
		if s, _ := rep.Step(verifier.StepReplay); s.State != warn || rep.State != verifier.StateWarning {
			t.Fatalf("%s", steps(rep))
		}
	})

	t.Run("an enveloped presentation in a format not registered yet", func(t *testing.T) {
		rep, err := v.VerifyPresentation(ctxT(t), []byte(`"eyJhbGciOiJFZERTQSJ9.e30.c2ln"`), verifier.Options{Challenge: "x"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.MediaType != verifier.MediaTypeVPJWT || rep.State != verifier.StateInvalid {
			t.Fatalf("%s %s", rep.MediaType, steps(rep))
		}
	})
}

// The seen set over each store: a challenge is new once, also under
// concurrent use, and again after its TTL.
func TestStoreSeenSet(t *testing.T) {
	for _, sc := range []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"bolt", func(t *testing.T) store.Store { return newEnvStore(t) }},
		{"redis", func(t *testing.T) store.Store { return redistest.Open(t) }},
	} {
		t.Run(sc.name, func(t *testing.T) {
			s, err := verifier.NewStoreSeenSet(store.WithPrefix(sc.open(t), "verifier/"))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			var wg sync.WaitGroup
			var mu sync.Mutex
			firsts := 0
			for range 16 {
				wg.Go(func() {
					first, err := s.FirstUse(ctx, "k1", time.Minute)
					if err != nil {
						t.Error(err)
					}
					if first {
						mu.Lock()
						firsts++
						mu.Unlock()
					}
				})
			}
			wg.Wait()
			if firsts != 1 {
				t.Fatalf("%d concurrent first uses", firsts)
			}
			if first, _ := s.FirstUse(ctx, "k2", 100*time.Millisecond); !first {
				t.Fatal("k2 not new")
			}
			time.Sleep(250 * time.Millisecond)
			if first, _ := s.FirstUse(ctx, "k2", time.Minute); !first {
				t.Fatal("k2 still seen after its TTL")
			}
			if _, err := s.FirstUse(ctx, "k3", 0); err == nil {
				t.Fatal("zero TTL accepted")
			}
			cctx, cancel := context.WithCancel(ctx)
			cancel()
			if _, err := s.FirstUse(cctx, "k4", time.Minute); !errors.Is(err, context.Canceled) {
				t.Fatalf("cancelled: %v", err)
			}
		})
	}
}
