package exchange

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/store/redis/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Main(m)) }

var stores = []struct {
	name string
	open func(t testing.TB) store.Store
}{
	{"bolt", func(t testing.TB) store.Store {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "exchange.db"), bolt.Config{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"redis", func(t testing.TB) store.Store { return redistest.Open(t) }},
}

const definition = `{"presentation_definition": {
  "id": "hr-postgraduate",
  "purpose": "The position requires a master's or doctoral degree.",
  "input_descriptors": [{
    "id": "degree",
    "constraints": {"fields": [
      {"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "DegreeCredential"}}},
      {"path": ["$.credentialSubject.degree.level"], "filter": {"type": "string", "enum": ["master", "doctor"]}}
    ]}
  }]
}}`

const submission = `{"id": "sub-1", "definition_id": "hr-postgraduate",
  "descriptor_map": [{"id": "degree", "format": "ldp_vc", "path": "$.verifiableCredential[0]"}]}`

// env is a service over a real store, with a clock the test moves, and the
// keys of an issuer and a holder.
type env struct {
	svc    *Service
	raw    store.Store
	clock  *clock
	issuer *credential.Signer
	holder *credential.Signer
}

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

func newEnv(t testing.TB, open func(testing.TB) store.Store) *env {
	t.Helper()
	l := credential.MustLoader()
	v, err := credential.NewVerifier(credential.VerifierConfig{Loader: l, Resolver: credential.KeyResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	return newEnvWith(t, open, v)
}

func newEnvWith(t testing.TB, open func(testing.TB) store.Store, v PresentationVerifier) *env {
	t.Helper()
	l := credential.MustLoader()
	mk := func() *credential.Signer {
		k, err := credential.GenerateKey()
		if err != nil {
			t.Fatal(err)
		}
		s, err := credential.NewSigner(l, k)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	master, err := seal.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	keys, err := seal.New(master)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{raw: open(t), clock: &clock{t: time.Now()}, issuer: mk(), holder: mk()}
	e.svc, err = New(Config{BaseURL: "https://verify.example.cn/", Now: e.clock.now}, e.raw, keys, v)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func (e *env) create(t testing.TB, verifier string, expiry time.Duration) *Request {
	t.Helper()
	r, err := e.svc.Create(context.Background(), verifier, NewRequest{
		Definition: json.RawMessage(definition),
		Purpose:    Text{Zh: "招聘：需要硕士或博士学位", En: "Hiring: a master's or doctoral degree is required"},
		Expiry:     expiry,
		Domain:     "hr.example.cn",
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// answer makes the holder's response to a request: a presentation of a
// degree credential of the given level, signed for challenge and domain.
func (e *env) answer(t testing.TB, level, challenge, domain string) Response {
	t.Helper()
	vc, err := e.issuer.SignCredential(map[string]any{
		"@context": []any{credential.ContextV2, credential.ContextTalentChainV1},
		"id":       "urn:uuid:9b1deb4d-3b7d-4bad-9bdd-2b0d7b3dcb6d",
		"type":     []any{"VerifiableCredential", "DegreeCredential"},
		"credentialSubject": map[string]any{
			"id":       e.holder.Key().Controller,
			"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree": map[string]any{"type": "Degree", "level": level,
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "软件工程", "en": "Software Engineering"}},
		},
		"validFrom": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339),
	}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	vp, err := e.holder.SignPresentation(map[string]any{
		"@context":             []any{credential.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"verifiableCredential": []any{vc},
	}, challenge, domain, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(vp)
	if err != nil {
		t.Fatal(err)
	}
	return Response{VP: b, Submission: json.RawMessage(submission)}
}

// TestRoundTrip: create → fetch → submit → result, on both stores.
func TestRoundTrip(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, s.open)
			req := e.create(t, "acme-hr", 0)
			if len(req.ID) != 22 || len(req.Challenge) != 43 || req.ID == req.Challenge {
				t.Fatalf("id %q challenge %q: want 128-bit and 256-bit base64url", req.ID, req.Challenge)
			}
			if req.URL != "https://verify.example.cn/requests/"+req.ID {
				t.Fatalf("url %s", req.URL)
			}
			if got := req.Expires.Sub(req.Created); got != DefaultExpiry {
				t.Fatalf("expiry %v, want %v", got, DefaultExpiry)
			}

			obj, err := e.svc.Fetch(ctx, req.ID)
			if err != nil {
				t.Fatal(err)
			}
			if obj.Challenge != req.Challenge || obj.Domain != "hr.example.cn" || obj.ResponseURI != req.URL+"/response" ||
				!obj.Expires.Equal(req.Expires) || obj.Purpose.Zh == "" {
				t.Fatalf("request object %+v", obj)
			}
			var def map[string]any
			if err := json.Unmarshal(obj.PresentationDefinition, &def); err != nil || def["id"] != "hr-postgraduate" {
				t.Fatalf("definition %s: %v (want the bare definition)", obj.PresentationDefinition, err)
			}
			// The wallet gets the JSON shape the issue names.
			b, _ := json.Marshal(obj)
			for _, member := range []string{`"id"`, `"presentation_definition"`, `"challenge"`, `"domain"`, `"response_uri"`, `"expires"`} {
				if !bytes.Contains(b, []byte(member)) {
					t.Errorf("request object JSON lacks %s: %s", member, b)
				}
			}

			if _, err := e.svc.Result(ctx, "acme-hr", req.ID); !errors.Is(err, ErrPending) {
				t.Fatalf("result before answer: %v", err)
			}
			resp := e.answer(t, "master", obj.Challenge, obj.Domain)
			res, err := e.svc.Submit(ctx, req.ID, resp)
			if err != nil {
				t.Fatal(err)
			}
			if !res.Accepted || !res.Verified || !res.Satisfied || len(res.Failures) != 0 {
				t.Fatalf("result %+v; checks %+v", res, res.Verification.Checks)
			}
			if res.Holder != e.holder.Key().Controller {
				t.Errorf("holder %q", res.Holder)
			}

			got, err := e.svc.Result(ctx, "acme-hr", req.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Accepted || got.RequestID != req.ID || len(got.Evaluation.Presented) != 1 || got.Evaluation.Presented[0].Descriptor != "degree" {
				t.Fatalf("stored result %+v", got)
			}
			if !bytes.Equal(got.Presentation, resp.VP) {
				t.Fatal("the stored presentation differs from the one received")
			}
			// The fetched request now says it was answered.
			if _, err := e.svc.Fetch(ctx, req.ID); !errors.Is(err, ErrAnswered) {
				t.Fatalf("fetch after answer: %v", err)
			}
			if r, err := e.svc.Get(ctx, "acme-hr", req.ID); err != nil || r.Challenge != req.Challenge {
				t.Fatalf("get: %v %+v", err, r)
			}

			// At rest: the result is sealed (no name, no challenge in clear),
			// and the nonce key holds only a hash of the challenge.
			entries, err := e.raw.List(ctx, "", store.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				if !strings.HasPrefix(en.Key, KeyPrefix) {
					t.Errorf("key %q outside %s", en.Key, KeyPrefix)
				}
				if strings.HasPrefix(en.Key, KeyPrefix+"result/") {
					for _, clear := range []string{"Zhang San", "张三", req.Challenge, "DegreeCredential"} {
						if bytes.Contains(en.Value, []byte(clear)) {
							t.Errorf("the stored result contains %q in clear", clear)
						}
					}
				}
			}
		})
	}
}

// TestReplay: a second answer, the same presentation again, or two answers
// at once: exactly one is taken.
func TestReplay(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, s.open)
			req := e.create(t, "acme-hr", 0)
			resp := e.answer(t, "master", req.Challenge, req.Domain)
			if _, err := e.svc.Submit(ctx, req.ID, resp); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Submit(ctx, req.ID, resp); !errors.Is(err, ErrAnswered) {
				t.Fatalf("replayed answer: %v", err)
			}
			other := e.answer(t, "doctor", req.Challenge, req.Domain)
			if _, err := e.svc.Submit(ctx, req.ID, other); !errors.Is(err, ErrAnswered) {
				t.Fatalf("second answer: %v", err)
			}
			// The first answer stands.
			res, err := e.svc.Result(ctx, "acme-hr", req.ID)
			if err != nil || !bytes.Equal(res.Presentation, resp.VP) {
				t.Fatalf("result after replays: %v", err)
			}

			// Concurrent answers to a fresh request.
			req2 := e.create(t, "acme-hr", 0)
			resp2 := e.answer(t, "master", req2.Challenge, req2.Domain)
			const n = 6
			var wg sync.WaitGroup
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() { _, errs[i] = e.svc.Submit(ctx, req2.ID, resp2) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case !errors.Is(err, ErrAnswered):
					t.Errorf("concurrent answer: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d concurrent answers accepted, want 1", ok)
			}

			// A presentation made for another request's challenge does not
			// verify here (and uses up this request's challenge).
			req3 := e.create(t, "acme-hr", 0)
			res3, err := e.svc.Submit(ctx, req3.ID, resp2)
			if err != nil {
				t.Fatal(err)
			}
			if res3.Accepted || res3.Verified || !res3.Verification.Failed(credential.CheckChallenge) {
				t.Fatalf("stale presentation: %+v", res3.Verification.Checks)
			}
		})
	}
}

// TestExpired: after the expiry the request can be neither fetched nor
// answered, and the verifier learns it expired unanswered.
func TestExpired(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, s.open)
			req := e.create(t, "acme-hr", 2*time.Minute)
			resp := e.answer(t, "master", req.Challenge, req.Domain)
			e.clock.add(2 * time.Minute)
			if _, err := e.svc.Fetch(ctx, req.ID); !errors.Is(err, ErrExpired) {
				t.Fatalf("fetch: %v", err)
			}
			if _, err := e.svc.Submit(ctx, req.ID, resp); !errors.Is(err, ErrExpired) {
				t.Fatalf("submit: %v", err)
			}
			if _, err := e.svc.Result(ctx, "acme-hr", req.ID); !errors.Is(err, ErrExpired) {
				t.Fatalf("result: %v", err)
			}
			// Just before the expiry it still works.
			req2 := e.create(t, "acme-hr", 2*time.Minute)
			e.clock.add(2*time.Minute - time.Second)
			if _, err := e.svc.Submit(ctx, req2.ID, e.answer(t, "master", req2.Challenge, req2.Domain)); err != nil {
				t.Fatalf("answer in time: %v", err)
			}
		})
	}
}

// TestStoreTTL: the nonce really expires in the store (Redis TTL, bolt
// expiry), not only by the service's clock.
func TestStoreTTL(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, s.open)
			req := e.create(t, "acme-hr", MinExpiry)
			if _, err := e.raw.Get(ctx, nonceKey(req.ID)); err != nil {
				t.Fatalf("nonce not stored: %v", err)
			}
			// Rewrite the nonce with a short TTL, as if a minute had passed.
			if err := e.raw.Put(ctx, nonceKey(req.ID), nonceMarker(req.Challenge), 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
			time.Sleep(120 * time.Millisecond)
			if _, err := e.svc.Submit(ctx, req.ID, e.answer(t, "master", req.Challenge, req.Domain)); !errors.Is(err, ErrAnswered) {
				t.Fatalf("answer after the nonce expired in the store: %v", err)
			}
		})
	}
}

// TestOwnership: another verifier account can neither read the request nor
// its result.
func TestOwnership(t *testing.T) {
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			ctx := context.Background()
			e := newEnv(t, s.open)
			req := e.create(t, "acme-hr", 0)
			if _, err := e.svc.Submit(ctx, req.ID, e.answer(t, "master", req.Challenge, req.Domain)); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Result(ctx, "evil-corp", req.ID); !errors.Is(err, ErrForbidden) {
				t.Fatalf("another verifier's result read: %v", err)
			}
			if _, err := e.svc.Get(ctx, "evil-corp", req.ID); !errors.Is(err, ErrForbidden) {
				t.Fatalf("another verifier's request read: %v", err)
			}
			if _, err := e.svc.Result(ctx, "acme-hr", req.ID); err != nil {
				t.Fatalf("owner: %v", err)
			}
			if _, err := e.svc.Result(ctx, "acme-hr", "AAAAAAAAAAAAAAAAAAAAAA"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown request: %v", err)
			}
		})
	}
}

// TestNotAcceptedAnswers: answers that verify but do not satisfy the
// definition, or do not verify, are stored as such.
func TestNotAcceptedAnswers(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, stores[0].open)

	req := e.create(t, "acme-hr", 0)
	res, err := e.svc.Submit(ctx, req.ID, e.answer(t, "bachelor", req.Challenge, req.Domain))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted || !res.Verified || res.Satisfied || len(res.Failures) == 0 || !strings.Contains(strings.Join(res.Failures, " "), "degree") {
		t.Fatalf("bachelor: %+v", res)
	}

	req = e.create(t, "acme-hr", 0)
	res, err = e.svc.Submit(ctx, req.ID, e.answer(t, "master", req.Challenge, "other.example.cn"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted || res.Verified || !res.Verification.Failed(credential.CheckDomain) {
		t.Fatalf("other domain: %+v", res.Verification.Checks)
	}

	req = e.create(t, "acme-hr", 0)
	resp := e.answer(t, "master", req.Challenge, req.Domain)
	resp.Submission = nil
	res, err = e.svc.Submit(ctx, req.ID, resp)
	if err != nil {
		t.Fatal(err)
	}
	if res.Accepted || !res.Verified || res.Satisfied || !strings.Contains(res.Failures[0], "no submission") {
		t.Fatalf("no submission: %+v", res)
	}
}

// failingVerifier is a pipeline that cannot run (its chain node is down).
type failingVerifier struct{ err error }

func (f failingVerifier) VerifyPresentation(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return nil, f.err
}

// TestSubmitRefusesBadInput: what is refused before the challenge is used,
// and what gives the challenge back.
func TestSubmitRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, stores[0].open)
	req := e.create(t, "acme-hr", 0)
	good := e.answer(t, "master", req.Challenge, req.Domain)
	cases := []struct {
		name  string
		id    string
		resp  Response
		field string
	}{
		{"no presentation", req.ID, Response{}, "vp_token"},
		{"not JSON", req.ID, Response{VP: json.RawMessage(`{"type": `)}, "vp_token"},
		{"duplicate members", req.ID, Response{VP: json.RawMessage(`{"type": 1, "type": 2}`)}, "vp_token"},
		{"too large", req.ID, Response{VP: json.RawMessage(`"` + strings.Repeat("a", MaxPresentationSize) + `"`)}, "vp_token"},
		{"an array", req.ID, Response{VP: json.RawMessage(`[1]`)}, "vp_token"},
		{"bad submission", req.ID, Response{VP: good.VP, Submission: json.RawMessage(`{"id": "x"}`)}, "presentation_submission"},
		{"bad request id", "../../x", good, "id"},
		{"a JWT the pipeline cannot read", req.ID, Response{VP: json.RawMessage(`"eyJhbGciOiJFZERTQSJ9.e30.c2ln"`)}, "vp_token"},
	}
	for _, tc := range cases {
		_, err := e.svc.Submit(ctx, tc.id, tc.resp)
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) || ie.Field != tc.field {
			t.Errorf("%s: err = %v, want an *InputError for %s", tc.name, err, tc.field)
		}
	}
	// None of them used up the challenge.
	if _, err := e.svc.Submit(ctx, req.ID, good); err != nil {
		t.Fatalf("good answer after refused ones: %v", err)
	}

	// A pipeline failure gives the challenge back.
	broken := newEnvWith(t, stores[0].open, failingVerifier{errors.New("chain node unreachable")})
	req2 := broken.create(t, "acme-hr", 0)
	resp2 := broken.answer(t, "master", req2.Challenge, req2.Domain)
	if _, err := broken.svc.Submit(ctx, req2.ID, resp2); !errors.Is(err, ErrVerifierUnavailable) {
		t.Fatalf("broken pipeline: %v", err)
	}
	if _, err := broken.svc.Fetch(ctx, req2.ID); err != nil {
		t.Fatalf("the challenge was not given back: %v", err)
	}
}

func TestCreateRefusesBadInput(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, stores[0].open)
	good := NewRequest{Definition: json.RawMessage(definition), Purpose: Text{Zh: "招聘", En: "hiring"}, Domain: "hr.example.cn"}
	cases := []struct {
		name     string
		verifier string
		edit     func(r *NewRequest)
		field    string
	}{
		{"no verifier", "", func(*NewRequest) {}, "verifier"},
		{"verifier with a slash", "a/b", func(*NewRequest) {}, "verifier"},
		{"no definition", "v", func(r *NewRequest) { r.Definition = nil }, "Definition"},
		{"malformed definition", "v", func(r *NewRequest) { r.Definition = json.RawMessage(`{"id": "x"}`) }, "Definition"},
		{"definition with a bad path", "v", func(r *NewRequest) {
			r.Definition = json.RawMessage(`{"id": "x", "input_descriptors": [{"id": "a", "constraints": {"fields": [{"path": ["$..["]}]}}]}`)
		}, "Definition"},
		{"no English purpose", "v", func(r *NewRequest) { r.Purpose.En = "" }, "Purpose.En"},
		{"control character in purpose", "v", func(r *NewRequest) { r.Purpose.Zh = "招\x07聘" }, "Purpose"},
		{"expiry too long", "v", func(r *NewRequest) { r.Expiry = MaxExpiry + time.Second }, "Expiry"},
		{"expiry too short", "v", func(r *NewRequest) { r.Expiry = time.Second }, "Expiry"},
		{"negative expiry", "v", func(r *NewRequest) { r.Expiry = -time.Minute }, "Expiry"},
		{"no domain", "v", func(r *NewRequest) { r.Domain = "" }, "Domain"},
		{"domain with a path", "v", func(r *NewRequest) { r.Domain = "hr.example.cn/x" }, "Domain"},
	}
	for _, tc := range cases {
		r := good
		tc.edit(&r)
		_, err := e.svc.Create(ctx, tc.verifier, r)
		var ie *InputError
		if !errors.As(err, &ie) || !errors.Is(err, ErrInvalid) || ie.Field != tc.field {
			t.Errorf("%s: err = %v, want an *InputError for %s", tc.name, err, tc.field)
		}
	}
	// The longest expiry is accepted.
	r := good
	r.Expiry = MaxExpiry
	if req, err := e.svc.Create(ctx, "v", r); err != nil || req.Expires.Sub(req.Created) != MaxExpiry {
		t.Fatalf("max expiry: %v", err)
	}
	// Nothing was stored by the refused ones: one request (two keys).
	entries, _ := e.raw.List(ctx, KeyPrefix, store.ListOptions{})
	if len(entries) != 2 {
		t.Fatalf("%d keys after one request", len(entries))
	}
}
