package courses_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/storetest"
)

func TestCapacityRace(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		const capacity, learners = 5, 40
		ref := e.create(t, course(uni, "BC-101", func(c *courses.Course) { c.Capacity = capacity }))

		var wg sync.WaitGroup
		errs := make([]error, learners)
		for i := range learners {
			wg.Go(func() { _, errs[i] = e.svc.Enrol(ctx, ref, learner(i)) })
		}
		wg.Wait()
		var ok, full int
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, courses.ErrFull):
				full++
			default:
				t.Errorf("learner %d: %v", i, err)
			}
		}
		if ok != capacity || full != learners-capacity {
			t.Errorf("%d enrolled and %d refused as full, want %d and %d", ok, full, capacity, learners-capacity)
		}
		if n, err := e.svc.Seats(ctx, ref); err != nil || n != capacity {
			t.Errorf("Seats = %d, %v; want %d", n, err, capacity)
		}
		list, err := e.svc.Enrolments(ctx, ref, "", 0)
		if err != nil || len(list) != capacity {
			t.Fatalf("Enrolments: %d, %v", len(list), err)
		}

		// Concurrent withdrawals of one learner free one seat, once.
		who := list[0].Learner
		var werrs [8]error
		for i := range werrs {
			wg.Go(func() { werrs[i] = e.svc.Withdraw(ctx, ref, who) })
		}
		wg.Wait()
		var withdrew int
		for _, err := range werrs {
			if err == nil {
				withdrew++
			} else if !errors.Is(err, courses.ErrNotEnrolled) {
				t.Errorf("withdraw: %v", err)
			}
		}
		if withdrew != 1 {
			t.Errorf("%d withdrawals succeeded, want 1", withdrew)
		}
		if n, _ := e.svc.Seats(ctx, ref); n != capacity-1 {
			t.Errorf("after a withdrawal Seats = %d, want %d", n, capacity-1)
		}
		// The freed seat goes to exactly one of many.
		for i := range errs {
			wg.Go(func() { _, errs[i] = e.svc.Enrol(ctx, ref, learner(1000+i)) })
		}
		wg.Wait()
		if got := countNil(errs); got != 1 {
			t.Errorf("%d took the freed seat, want 1", got)
		}
		if n, _ := e.svc.Seats(ctx, ref); n != capacity {
			t.Errorf("Seats = %d, want %d", n, capacity)
		}
	})
}

func TestSameLearnerRace(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ref := e.create(t, course(uni, "BC-101", func(c *courses.Course) { c.Capacity = 3 }))
		var wg sync.WaitGroup
		errs := make([]error, 20)
		for i := range errs {
			wg.Go(func() { _, errs[i] = e.svc.Enrol(ctx, ref, learner(1)) })
		}
		wg.Wait()
		if got := countNil(errs); got != 1 {
			t.Errorf("%d enrolments of one learner, want 1", got)
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, courses.ErrAlreadyEnrolled) && !errors.Is(err, courses.ErrFull) {
				t.Errorf("unexpected %v", err)
			}
		}
		if n, _ := e.svc.Seats(ctx, ref); n != 1 {
			t.Errorf("Seats = %d, want 1", n)
		}
	})
}

func countNil(errs []error) int {
	n := 0
	for _, err := range errs {
		if err == nil {
			n++
		}
	}
	return n
}

func TestEnrolmentRules(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		open := e.create(t, course(uni, "OPEN"))
		draft := e.create(t, course(uni, "DRAFT", func(c *courses.Course) { c.Status = courses.StatusDraft }))
		closed := e.create(t, course(uni, "CLOSED", func(c *courses.Course) { c.Status = courses.StatusClosed }))
		done := e.create(t, course(uni, "DONE"))
		e.pass(t, done, learner(9), 80)

		tests := []struct {
			name    string
			do      func() error
			wantErr error
		}{
			{"draft course", func() error { _, err := e.svc.Enrol(ctx, draft, learner(1)); return err }, courses.ErrNotOpen},
			{"closed course", func() error { _, err := e.svc.Enrol(ctx, closed, learner(1)); return err }, courses.ErrNotOpen},
			{"unknown course", func() error {
				_, err := e.svc.Enrol(ctx, courses.Ref{Provider: uni, Code: "NONE"}, learner(1))
				return err
			}, courses.ErrNotFound},
			{"learner not a DID", func() error { _, err := e.svc.Enrol(ctx, open, "alice"); return err }, courses.ErrInvalid},
			{"learner DID URL", func() error { _, err := e.svc.Enrol(ctx, open, "did:key:z6Mk/x"); return err }, courses.ErrInvalid},
			{"enrol", func() error { _, err := e.svc.Enrol(ctx, open, learner(1)); return err }, nil},
			{"enrol twice", func() error { _, err := e.svc.Enrol(ctx, open, learner(1)); return err }, courses.ErrAlreadyEnrolled},
			{"complete without a result", func() error { _, err := e.svc.Complete(ctx, open, learner(1)); return err }, courses.ErrNotPassed},
			{"invalid result", func() error {
				score := 101
				return e.svc.RecordResult(ctx, open, learner(1), courses.Result{Outcome: "ok", Score: &score})
			}, courses.ErrInvalid},
			{"fail", func() error {
				return e.svc.RecordResult(ctx, open, learner(1), courses.Result{Outcome: courses.Fail})
			}, nil},
			{"complete after a fail", func() error { _, err := e.svc.Complete(ctx, open, learner(1)); return err }, courses.ErrNotPassed},
			{"withdraw", func() error { return e.svc.Withdraw(ctx, open, learner(1)) }, nil},
			{"withdraw again", func() error { return e.svc.Withdraw(ctx, open, learner(1)) }, courses.ErrNotEnrolled},
			{"result after withdrawal", func() error {
				return e.svc.RecordResult(ctx, open, learner(1), courses.Result{Outcome: courses.Pass})
			}, courses.ErrNotEnrolled},
			{"complete after withdrawal", func() error { _, err := e.svc.Complete(ctx, open, learner(1)); return err }, courses.ErrNotEnrolled},
			{"enrol again after withdrawal", func() error {
				en, err := e.svc.Enrol(ctx, open, learner(1))
				if err == nil && (en.Attempt != 2 || en.Result != nil) {
					t.Errorf("second attempt %+v: want attempt 2 without the old result", en)
				}
				return err
			}, nil},
			{"withdraw never enrolled", func() error { return e.svc.Withdraw(ctx, open, learner(2)) }, courses.ErrNotEnrolled},
			{"withdraw completed", func() error { return e.svc.Withdraw(ctx, done, learner(9)) }, courses.ErrCompleted},
			{"enrol in a completed course", func() error { _, err := e.svc.Enrol(ctx, done, learner(9)); return err }, courses.ErrCompleted},
			{"result after completion", func() error {
				return e.svc.RecordResult(ctx, done, learner(9), courses.Result{Outcome: courses.Fail})
			}, courses.ErrCompleted},
		}
		for _, tt := range tests { // in order: each case builds on the previous
			err := tt.do()
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.wantErr)
			}
		}
		got, err := e.svc.Enrolment(ctx, open, learner(1))
		if err != nil || got.Status != courses.Enrolled || got.Attempt != 2 {
			t.Errorf("Enrolment = %+v, %v", got, err)
		}
		if n, _ := e.svc.Seats(ctx, open); n != 1 {
			t.Errorf("Seats = %d, want 1", n)
		}
		if _, err := e.svc.Enrolment(ctx, open, learner(2)); !errors.Is(err, courses.ErrNotFound) {
			t.Errorf("Enrolment of a stranger: %v", err)
		}
	})
}

func TestPrerequisites(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		a := e.create(t, course(uni, "BC-101"))
		b := e.create(t, course(uni, "BC-102"))
		adv := e.create(t, course(uni, "BC-301", func(c *courses.Course) { c.Prerequisites = []string{"BC-101", "BC-102"} }))
		// The same code at another provider does not count.
		other := e.create(t, course(park, "BC-101"))
		e.pass(t, other, learner(1), 90)

		tests := []struct {
			name    string
			setup   func(t *testing.T)
			missing []string
		}{
			{"none completed", func(t *testing.T) {}, []string{"BC-101", "BC-102"}},
			{"enrolled is not completed", func(t *testing.T) {
				if _, err := e.svc.Enrol(ctx, a, learner(1)); err != nil {
					t.Fatal(err)
				}
			}, []string{"BC-101", "BC-102"}},
			{"one completed", func(t *testing.T) {
				if err := e.svc.RecordResult(ctx, a, learner(1), courses.Result{Outcome: courses.Pass}); err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.Complete(ctx, a, learner(1)); err != nil {
					t.Fatal(err)
				}
			}, []string{"BC-102"}},
			{"completed, certificate pending", func(t *testing.T) {
				e.issuer.fail(1)
				if _, err := e.svc.Enrol(ctx, b, learner(1)); err != nil {
					t.Fatal(err)
				}
				if err := e.svc.RecordResult(ctx, b, learner(1), courses.Result{Outcome: courses.Pass}); err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.Complete(ctx, b, learner(1)); !errors.Is(err, courses.ErrCertificatePending) {
					t.Fatalf("Complete: %v, want pending", err)
				}
			}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.setup(t)
				_, err := e.svc.Enrol(ctx, adv, learner(1))
				if tt.missing == nil {
					if err != nil {
						t.Fatalf("Enrol: %v", err)
					}
					return
				}
				var pe *courses.PrerequisiteError
				if !errors.Is(err, courses.ErrPrerequisites) || !errors.As(err, &pe) || !slices.Equal(pe.Missing, tt.missing) {
					t.Fatalf("Enrol: %v, want missing %q", err, tt.missing)
				}
			})
		}
	})
}

func TestInvitation(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ref := e.create(t, course(uni, "BC-101", func(c *courses.Course) { c.Capacity = 1 }))
		inv, err := e.svc.Invite(ctx, ref, courses.InviteOptions{Note: "Haidian cohort"})
		if err != nil {
			t.Fatal(err)
		}
		if want := e.clock.Now().Add(14 * 24 * time.Hour); !inv.ExpiresAt.Equal(want) {
			t.Errorf("ExpiresAt %v, want %v", inv.ExpiresAt, want)
		}

		t.Run("stored hashed", func(t *testing.T) {
			sum := sha256.Sum256([]byte(inv.Code))
			if _, err := e.raw.Get(ctx, ns+"invite/"+hex.EncodeToString(sum[:])); err != nil {
				t.Errorf("no record under the code's hash: %v", err)
			}
			entries, err := e.raw.List(ctx, "", store.ListOptions{Limit: store.MaxListLimit})
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				for _, s := range []string{en.Key, string(en.Value)} {
					if strings.Contains(strings.ToUpper(s), inv.Code) {
						t.Errorf("the code is stored in clear under %s", en.Key)
					}
				}
			}
		})

		tests := []struct {
			name    string
			code    string
			learner string
			wantErr error
		}{
			{"unknown code", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", learner(1), courses.ErrInvitation},
			{"empty code", "", learner(1), courses.ErrInvitation},
			{"bad learner keeps the code", inv.Code, "bob", courses.ErrInvalid},
			{"redeem, typed in lower case with dashes", strings.ToLower(inv.Code[:8] + "-" + inv.Code[8:]), learner(1), nil},
			{"second use", inv.Code, learner(2), courses.ErrInvitation},
		}
		for _, tt := range tests {
			en, err := e.svc.Redeem(ctx, tt.code, tt.learner)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("%s: %v, want %v", tt.name, err, tt.wantErr)
			}
			if err == nil && (!en.Invited || en.Course != ref || en.Status != courses.Enrolled) {
				t.Errorf("%s: enrolment %+v", tt.name, en)
			}
		}

		t.Run("a refused enrolment keeps the code", func(t *testing.T) {
			inv2, err := e.svc.Invite(ctx, ref, courses.InviteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Redeem(ctx, inv2.Code, learner(2)); !errors.Is(err, courses.ErrFull) {
				t.Fatalf("Redeem in a full course: %v, want ErrFull", err)
			}
			if err := e.svc.Withdraw(ctx, ref, learner(1)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Redeem(ctx, inv2.Code, learner(2)); err != nil {
				t.Fatalf("Redeem after a seat freed: %v", err)
			}
		})

		t.Run("one of many concurrent redemptions", func(t *testing.T) {
			big := e.create(t, course(uni, "BC-BIG"))
			inv3, err := e.svc.Invite(ctx, big, courses.InviteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 16)
			for i := range errs {
				wg.Go(func() { _, errs[i] = e.svc.Redeem(ctx, inv3.Code, learner(100+i)) })
			}
			wg.Wait()
			if n := countNil(errs); n != 1 {
				t.Errorf("%d redemptions of one code, want 1", n)
			}
		})

		t.Run("expires", func(t *testing.T) {
			t.Parallel()
			short, err := e.svc.Invite(ctx, ref, courses.InviteOptions{TTL: storetest.ShortTTL})
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(storetest.ShortTTL + 300*time.Millisecond)
			if _, err := e.svc.Redeem(ctx, short.Code, learner(3)); !errors.Is(err, courses.ErrInvitation) {
				t.Errorf("expired code: %v, want ErrInvitation", err)
			}
		})

		t.Run("invalid options", func(t *testing.T) {
			if _, err := e.svc.Invite(ctx, ref, courses.InviteOptions{TTL: -time.Second}); !errors.Is(err, courses.ErrInvalid) {
				t.Errorf("negative TTL: %v", err)
			}
			if _, err := e.svc.Invite(ctx, courses.Ref{Provider: uni, Code: "NONE"}, courses.InviteOptions{}); !errors.Is(err, courses.ErrNotFound) {
				t.Errorf("unknown course: %v", err)
			}
		})
	})
}
