package exchange

import (
	"context"
	"testing"
)

// BenchmarkRequest measures one request's life on each store: create,
// fetch, submit (with the credential core's verification of a one-credential
// presentation) and result. The presentation is signed outside the timer.
func BenchmarkRequest(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			ctx := context.Background()
			e := newEnv(b, s.open)
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				req := e.create(b, "bench", 0)
				resp := e.answer(b, "master", req.Challenge, req.Domain)
				b.StartTimer()
				if _, err := e.svc.Fetch(ctx, req.ID); err != nil {
					b.Fatal(err)
				}
				if _, err := e.svc.Submit(ctx, req.ID, resp); err != nil {
					b.Fatal(err)
				}
				if _, err := e.svc.Result(ctx, "bench", req.ID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCreate measures creating a request (PE validation, two store
// writes in one batch).
func BenchmarkCreate(b *testing.B) {
	for _, s := range stores {
		b.Run(s.name, func(b *testing.B) {
			e := newEnv(b, s.open)
			b.ReportAllocs()
			for b.Loop() {
				e.create(b, "bench", 0)
			}
		})
	}
}
