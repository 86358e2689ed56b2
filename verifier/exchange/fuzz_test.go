package exchange

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

// FuzzSubmit feeds arbitrary answers to a request: nothing panics, and
// every refusal is a precise error. An answer that is refused as input never
// uses up the challenge.
func FuzzSubmit(f *testing.F) {
	f.Add([]byte(`{"type": ["VerifiablePresentation"]}`), []byte(submission))
	f.Add([]byte(`"eyJhbGciOiJFZERTQSJ9.e30.c2ln"`), []byte(nil))
	f.Add([]byte(`{"@context": ["https://www.w3.org/ns/credentials/v2"], "type": "VerifiablePresentation", "verifiableCredential": [{}]}`), []byte(`{"id":"s","definition_id":"hr-postgraduate","descriptor_map":[{"id":"degree","format":"ldp_vc","path":"$.verifiableCredential[0]"}]}`))
	f.Add([]byte(`{"a":1,"a":2}`), []byte(`{"id":"s"}`))
	f.Add([]byte(`[]`), []byte(`null`))
	e := newEnv(f, stores[0].open)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, vp, sub []byte) {
		req := e.create(t, "fuzz", time.Hour)
		res, err := e.svc.Submit(ctx, req.ID, Response{VP: vp, Submission: sub})
		switch {
		case err == nil:
			if res == nil || res.Accepted && (!res.Verified || !res.Satisfied) {
				t.Fatalf("result %+v", res)
			}
			if _, err := e.svc.Submit(ctx, req.ID, Response{VP: vp, Submission: sub}); !errors.Is(err, ErrAnswered) && !errors.Is(err, ErrInvalid) {
				t.Fatalf("second answer: %v", err)
			}
		case errors.Is(err, ErrInvalid):
			if _, err := e.svc.Fetch(ctx, req.ID); err != nil {
				t.Fatalf("refused input used up the challenge: %v", err)
			}
		default:
			t.Fatalf("unexpected error for %q / %q: %v", vp, sub, err)
		}
	})
}

// FuzzCreate feeds arbitrary definitions to Create: a definition is either
// stored and served back as the JSON pex accepted, or refused with
// ErrInvalid.
func FuzzCreate(f *testing.F) {
	f.Add([]byte(definition), "hr.example.cn")
	f.Add([]byte(`{"id":"x","input_descriptors":[{"id":"a","constraints":{}}]}`), "a")
	f.Add([]byte(`{"id":"x","input_descriptors":[{"id":"a","constraints":{"fields":[{"path":["$..["]}]}}]}`), "-")
	e := newEnv(f, stores[0].open)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, def []byte, domain string) {
		req, err := e.svc.Create(ctx, "fuzz", NewRequest{Definition: def, Purpose: Text{Zh: "测", En: "t"}, Domain: domain})
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		obj, err := e.svc.Fetch(ctx, req.ID)
		if err != nil || !json.Valid(obj.PresentationDefinition) {
			t.Fatalf("fetch: %v", err)
		}
	})
}
