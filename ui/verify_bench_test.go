package ui

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/verifier"
)

// verifyBench is the world of the HTTP verification benchmarks: a real
// embedded chain node, a real issuer service that issued master's degrees
// (with their anchor receipts), the real pipeline over the node, and the
// handler New builds with WithVerifying, as serve wires it (VC-API routes
// answered by the pipeline, the access log at info level into a text
// handler that discards).
type verifyBench struct {
	h      http.Handler
	bodies [][]byte // POST /credentials/verify bodies, one per credential
}

// newVerifyBench issues n distinct master's degrees and builds the handler.
func newVerifyBench(t testing.TB, n int) *verifyBench {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	f := newChainFixture(t, "talentchain-ui-bench", 30*time.Millisecond)
	node, svc, gov := f.node, f.svc, f.gov
	org, err := svc.CreateOrg(ctx, issuer.NewOrg{Names: issuer.Names{Zh: "基准大学", En: "Bench University"}, Kind: issuer.KindUniversity})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := gov.Submit(ctx, &chain.Accredit{Issuer: org.DID, CredentialType: "DegreeCredential", Levels: []string{"master"}}); err != nil {
		t.Fatal(err)
	}
	holder, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	b := &verifyBench{}
	for i := range n {
		rec, err := svc.Issue(ctx, org.DID, &issuer.Request{
			Template: issuer.TemplateMaster, Holder: holder.Controller,
			Subject: map[string]any{
				"fullName": map[string]any{"zh": fmt.Sprintf("张三%d", i), "en": fmt.Sprintf("Zhang San %d", i)},
				"degree": map[string]any{
					"type": "Degree", "level": "master",
					"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
					"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
				},
				"graduationDate": "2026-06-30",
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if rec.Receipt == nil {
			t.Fatal("issued without a receipt")
		}
		rc, err := json.Marshal(rec.Receipt)
		if err != nil {
			t.Fatal(err)
		}
		// The body tcload sends: the credential's bytes and its receipt.
		body := slices.Concat([]byte(`{"verifiableCredential":`), bytes.TrimSpace(rec.Credential), []byte(`,"anchorReceipt":`), rc, []byte(`}`))
		b.bodies = append(b.bodies, body)
	}
	pipe, err := verifier.New(verifier.Config{Loader: credential.MustLoader(), Chain: node.Client(), ChainID: node.ChainID()})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
	b.h, err = New(DefaultConfig(), stubVerifier{}, func() bool { return true }, log,
		WithVerifying(Verifying{Pipeline: pipe, Accounts: fakeAccounts{}, Requests: &fakeRequests{}, Policies: fakePolicies{},
			Decisions: &fakeDecisions{}, Domain: "node.example", VCAPI: true}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// post sends one verification through the handler and checks the answer.
func (b *verifyBench) post(t testing.TB, body []byte) {
	req := httptest.NewRequest("POST", "/credentials/verify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || !bytes.Contains(rec.Body.Bytes(), []byte(`"verified":true`)) || !bytes.Contains(rec.Body.Bytes(), []byte(`"state":"valid"`)) {
		t.Fatalf("status %d: %.400s", rec.Code, rec.Body.String())
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkVerifyHTTP drives POST /credentials/verify through the real
// handler (decode, validation, the full pipeline against the embedded chain,
// the report as JSON, the middleware and access log) in-process, without
// the network: what one request costs the server above the pipeline.
//
//   - same: one credential again and again (what tcload's default run does);
//   - distinct: 64 credentials in turn (a cache keyed by the credential
//     cannot answer from the previous request).
//
// requests/cpu-s divides by the CPU time of the process (the handler and the
// embedded node).
func BenchmarkVerifyHTTP(b *testing.B) {
	vb := newVerifyBench(b, 64)
	for _, c := range []struct {
		name   string
		bodies [][]byte
	}{{"same", vb.bodies[:1]}, {"distinct", vb.bodies}} {
		b.Run(c.name, func(b *testing.B) {
			for _, body := range c.bodies {
				vb.post(b, body) // warm the caches as a running node has them
			}
			var i atomic.Uint64
			cpu := processCPU()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					vb.post(b, c.bodies[i.Add(1)%uint64(len(c.bodies))])
				}
			})
			b.ReportMetric(float64(b.N)/(processCPU()-cpu).Seconds(), "requests/cpu-s")
		})
	}
	// unique: every request's credential has new bytes (white space after
	// its opening brace), so the proof cache never answers: the cost of a
	// credential the node has not seen.
	b.Run("unique", func(b *testing.B) {
		var i atomic.Uint64
		cpu := processCPU()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				n := i.Add(1)
				body := vb.bodies[n%uint64(len(vb.bodies))]
				vb.post(b, uniqueBody(body, n))
			}
		})
		b.ReportMetric(float64(b.N)/(processCPU()-cpu).Seconds(), "requests/cpu-s")
	})
}

// BenchmarkVerifyHTTPLoopback sends the unique requests over loopback TCP
// to an httptest server of the same handler: with -cpuprofile, what the
// net/http server costs beside the handler (net/http.(*conn).serve less
// the handler). requests/cpu-s includes the client's CPU.
func BenchmarkVerifyHTTPLoopback(b *testing.B) {
	vb := newVerifyBench(b, 64)
	srv := httptest.NewServer(vb.h)
	defer srv.Close()
	tr := &http.Transport{MaxIdleConnsPerHost: 16}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var i atomic.Uint64
	cpu := processCPU()
	b.ResetTimer()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			n := i.Add(1)
			resp, err := client.Post(srv.URL+"/credentials/verify", "application/json", bytes.NewReader(uniqueBody(vb.bodies[n%uint64(len(vb.bodies))], n)))
			if err != nil {
				b.Error(err)
				return
			}
			raw, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"verified":true`)) {
				b.Errorf("%d %v %.300s", resp.StatusCode, err, raw)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/(processCPU()-cpu).Seconds(), "requests/cpu-s")
}

// uniqueBody puts white space that encodes n after the opening brace of the
// credential in body (as tcload -unique does).
func uniqueBody(body []byte, n uint64) []byte {
	const member = `{"verifiableCredential":{`
	if !bytes.HasPrefix(body, []byte(member)) {
		panic("unexpected body")
	}
	var ws []byte
	for ; n > 0; n /= 4 {
		ws = append(ws, " \t\n\r"[n%4])
	}
	out := make([]byte, 0, len(body)+len(ws))
	out = append(out, member...)
	out = append(out, ws...)
	return append(out, body[len(member):]...)
}
