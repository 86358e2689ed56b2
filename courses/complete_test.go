package courses_test

import (
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/courses"
)

func TestCompletionIdempotent(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ref := e.create(t, course(uni, "BC-101"))
		who := learner(1)
		if _, err := e.svc.Enrol(ctx, ref, who); err != nil {
			t.Fatal(err)
		}
		score := 92
		if err := e.svc.RecordResult(ctx, ref, who, courses.Result{Outcome: courses.Pass, Score: &score}); err != nil {
			t.Fatal(err)
		}
		e.issuer.fail(2)

		steps := []struct {
			name       string
			wantErr    error
			wantStatus courses.EnrolmentStatus
			calls      int
			issued     int
		}{
			{"issuer down", courses.ErrCertificatePending, courses.Completing, 1, 0},
			{"issuer still down, a day later", courses.ErrCertificatePending, courses.Completing, 2, 0},
			{"issuer back", nil, courses.Completed, 3, 1},
			{"completed again", nil, courses.Completed, 3, 1},
		}
		var credentialID string
		for _, st := range steps {
			en, err := e.svc.Complete(ctx, ref, who)
			if !errors.Is(err, st.wantErr) || (st.wantErr == nil) != (err == nil) {
				t.Fatalf("%s: %v, want %v", st.name, err, st.wantErr)
			}
			if st.wantErr != nil && !errors.Is(err, errIssuerDown) {
				t.Errorf("%s: the issuer's error is not wrapped: %v", st.name, err)
			}
			if en.Status != st.wantStatus || en.CompletionDate != "2026-06-30" {
				t.Errorf("%s: enrolment %+v", st.name, en)
			}
			if calls, issued := e.issuer.counts(); calls != st.calls || issued != st.issued {
				t.Errorf("%s: %d issuer calls, %d issued; want %d, %d", st.name, calls, issued, st.calls, st.issued)
			}
			if st.wantStatus == courses.Completed {
				if credentialID == "" {
					credentialID = en.CredentialID
				}
				if en.CredentialID == "" || en.CredentialID != credentialID {
					t.Errorf("%s: credential %q, want %q", st.name, en.CredentialID, credentialID)
				}
			} else {
				pending, err := e.svc.Pending(ctx, ref)
				if err != nil || len(pending) != 1 || pending[0] != who {
					t.Errorf("%s: Pending = %q, %v", st.name, pending, err)
				}
			}
			e.clock.Set(e.clock.Now().Add(24 * time.Hour)) // retries keep the first completion date
		}
		// Every call asked for the same credential.
		e.issuer.mu.Lock()
		calls := e.issuer.calls
		e.issuer.mu.Unlock()
		for i := range calls {
			if !reflect.DeepEqual(calls[i], calls[0]) {
				t.Errorf("call %d asked %+v, call 0 %+v", i, calls[i], calls[0])
			}
		}
		want := courses.CertificateRequest{
			IdempotencyKey: calls[0].IdempotencyKey,
			Type:           courses.TrainingCertificate,
			Provider:       uni, ProviderName: courses.LangText{Zh: "清华大学", En: "Tsinghua University"},
			Holder: who, CourseCode: "BC-101",
			Title: courses.LangText{Zh: "区块链基础 BC-101", En: "Blockchain fundamentals BC-101"},
			Hours: 32, Credits: 2, Skills: []string{"solidity", "cryptography"}, Sector: "blockchain",
			StartDate: "2026-03-01", EndDate: "2026-06-15",
			Result: courses.Pass, Score: &score, CompletionDate: "2026-06-30",
		}
		if !reflect.DeepEqual(calls[0], want) || want.IdempotencyKey == "" {
			t.Errorf("request %+v\nwant    %+v", calls[0], want)
		}
		if pending, _ := e.svc.Pending(ctx, ref); len(pending) != 0 {
			t.Errorf("still pending: %q", pending)
		}
	})
}

func TestCompletionConcurrent(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ref := e.create(t, course(uni, "BC-101"))
		who := learner(1)
		if _, err := e.svc.Enrol(ctx, ref, who); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RecordResult(ctx, ref, who, courses.Result{Outcome: courses.Pass}); err != nil {
			t.Fatal(err)
		}
		e.issuer.delay = 50 * time.Millisecond
		var wg sync.WaitGroup
		ens := make([]courses.Enrolment, 12)
		errs := make([]error, len(ens))
		for i := range ens {
			wg.Go(func() { ens[i], errs[i] = e.svc.Complete(ctx, ref, who) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil && !errors.Is(err, courses.ErrInProgress) {
				t.Errorf("call %d: %v", i, err)
			}
		}
		if calls, issued := e.issuer.counts(); calls != 1 || issued != 1 {
			t.Errorf("%d issuer calls, %d issued; want 1 and 1", calls, issued)
		}
		en, err := e.svc.Complete(ctx, ref, who)
		if err != nil || en.Status != courses.Completed {
			t.Fatalf("Complete after the race: %+v, %v", en, err)
		}
		for i := range ens {
			if errs[i] == nil && ens[i].CredentialID != en.CredentialID {
				t.Errorf("call %d got credential %q, want %q", i, ens[i].CredentialID, en.CredentialID)
			}
		}
	})
}

func TestCompleteVersusWithdraw(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		ref := e.create(t, course(uni, "BC-101"))
		for i := range 10 {
			who := learner(i)
			if _, err := e.svc.Enrol(ctx, ref, who); err != nil {
				t.Fatal(err)
			}
			if err := e.svc.RecordResult(ctx, ref, who, courses.Result{Outcome: courses.Pass}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var cerr, werr error
			wg.Go(func() { _, cerr = e.svc.Complete(ctx, ref, who) })
			wg.Go(func() { werr = e.svc.Withdraw(ctx, ref, who) })
			wg.Wait()
			if (cerr == nil) == (werr == nil) {
				t.Fatalf("learner %d: complete %v, withdraw %v: want exactly one to win", i, cerr, werr)
			}
			en, err := e.svc.Enrolment(ctx, ref, who)
			if err != nil {
				t.Fatal(err)
			}
			if want := map[bool]courses.EnrolmentStatus{true: courses.Completed, false: courses.Withdrawn}[cerr == nil]; en.Status != want {
				t.Errorf("learner %d: status %s, want %s", i, en.Status, want)
			}
		}
	})
}
