package courses_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

const (
	uni  = "did:talent:tsinghua"
	park = "did:talent:zhongguancun"
	ns   = "courses/"
)

// env is one service on one real store.
type env struct {
	svc    *courses.Service
	raw    store.Store // the whole store, the service sees its "courses/" view
	issuer *fakeIssuer
	clock  *clock
}

// eachStore runs fn against the embedded store and against Redis.
func eachStore(t *testing.T, fn func(t *testing.T, e *env)) {
	t.Helper()
	backends := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"bolt", func(t *testing.T) store.Store {
			s, err := bolt.Open(filepath.Join(t.TempDir(), "db"), bolt.Config{NoSync: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"redis", func(t *testing.T) store.Store { return redistest.Open(t) }},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			fn(t, newEnv(t, b.open(t)))
		})
	}
}

func newEnv(t *testing.T, raw store.Store) *env {
	t.Helper()
	e := &env{raw: raw, issuer: &fakeIssuer{}, clock: newClock(time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC))}
	svc, err := courses.New(courses.Config{
		Store:  store.WithPrefix(raw, ns),
		Issuer: e.issuer,
		Clock:  e.clock.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

type clock struct{ t atomic.Pointer[time.Time] }

func newClock(t time.Time) *clock {
	c := &clock{}
	c.Set(t)
	return c
}
func (c *clock) Now() time.Time  { return *c.t.Load() }
func (c *clock) Set(t time.Time) { c.t.Store(&t) }

// fakeIssuer keeps the CertificateIssuer contract: one credential per
// idempotency key. failNext makes the next calls fail; delay slows calls.
type fakeIssuer struct {
	mu       sync.Mutex
	failNext int
	delay    time.Duration
	calls    []courses.CertificateRequest
	issued   map[string]string // idempotency key → credential id
}

var errIssuerDown = fmt.Errorf("fake issuer: unavailable")

func (f *fakeIssuer) IssueCourseCredential(ctx context.Context, req courses.CertificateRequest) (string, error) {
	if f.delay > 0 {
		time.Sleep(f.delay)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	if f.failNext > 0 {
		f.failNext--
		return "", errIssuerDown
	}
	if f.issued == nil {
		f.issued = map[string]string{}
	}
	id, ok := f.issued[req.IdempotencyKey]
	if !ok {
		id = fmt.Sprintf("urn:talentchain:credential:%d", len(f.issued)+1)
		f.issued[req.IdempotencyKey] = id
	}
	return id, nil
}

func (f *fakeIssuer) counts() (calls, issued int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.calls), len(f.issued)
}

func (f *fakeIssuer) fail(n int) {
	f.mu.Lock()
	f.failNext = n
	f.mu.Unlock()
}

// course returns a valid open course of provider; change tweaks it.
func course(provider, code string, change ...func(*courses.Course)) courses.Course {
	c := courses.Course{
		Provider:     provider,
		ProviderName: courses.LangText{Zh: "清华大学", En: "Tsinghua University"},
		Code:         code,
		Title:        courses.LangText{Zh: "区块链基础 " + code, En: "Blockchain fundamentals " + code},
		Hours:        32,
		Credits:      2,
		Skills:       []string{"solidity", "cryptography"},
		Sector:       "blockchain",
		Schedule:     courses.Schedule{Start: "2026-03-01", End: "2026-06-15"},
		Capacity:     30,
		Status:       courses.StatusOpen,
	}
	for _, f := range change {
		f(&c)
	}
	return c
}

func (e *env) create(t *testing.T, c courses.Course) courses.Ref {
	t.Helper()
	got, err := e.svc.Create(t.Context(), c)
	if err != nil {
		t.Fatalf("create %s: %v", c.Code, err)
	}
	return got.Ref()
}

// pass enrols learner, records a pass and completes the course.
func (e *env) pass(t *testing.T, ref courses.Ref, learner string, score int) courses.Enrolment {
	t.Helper()
	ctx := t.Context()
	if _, err := e.svc.Enrol(ctx, ref, learner); err != nil {
		t.Fatalf("enrol %s: %v", ref, err)
	}
	if err := e.svc.RecordResult(ctx, ref, learner, courses.Result{Outcome: courses.Pass, Score: &score}); err != nil {
		t.Fatalf("result %s: %v", ref, err)
	}
	en, err := e.svc.Complete(ctx, ref, learner)
	if err != nil {
		t.Fatalf("complete %s: %v", ref, err)
	}
	return en
}

func learner(i int) string { return fmt.Sprintf("did:key:z6MkLearner%04d", i) }
