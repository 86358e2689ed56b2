package ui

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/verifier/exchange"
	"github.com/talentchain/talentchain/verifier/policy"
)

// The chain-backed behaviour of these routes is tested end to end in
// cmd/talentchain (verifying_test.go); here the small fakes below stand in
// for the services, to pin the HTTP contract: decoding, receipts, status
// codes and the answer's shape.

// fakePipeline answers with rep and err and records what it was asked.
type fakePipeline struct {
	mu    sync.Mutex
	rep   *verifier.Report
	err   error
	calls int
	raw   []byte
	opts  verifier.Options
}

func (f *fakePipeline) record(raw []byte, opts verifier.Options) (*verifier.Report, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	f.raw, f.opts = raw, opts
	return f.rep, f.err
}

func (f *fakePipeline) VerifyCredential(_ context.Context, raw []byte, opts verifier.Options) (*verifier.Report, error) {
	return f.record(raw, opts)
}

func (f *fakePipeline) VerifyPresentation(_ context.Context, raw []byte, opts verifier.Options) (*verifier.Report, error) {
	return f.record(raw, opts)
}

type fakeAccounts struct{}

const fakeToken = "tcvt_good"

func (fakeAccounts) CreateVerifier(context.Context, NewVerifier) (string, *VerifierAccount, error) {
	return fakeToken, &VerifierAccount{ID: "vrf_1", Name: "HR"}, nil
}

func (fakeAccounts) AuthenticateVerifier(_ context.Context, tok string) (*VerifierAccount, error) {
	if tok != fakeToken {
		return nil, ErrVerifierToken
	}
	return &VerifierAccount{ID: "vrf_1", Name: "HR"}, nil
}

func (fakeAccounts) Verifiers(context.Context) ([]*VerifierAccount, error) { return nil, nil }
func (fakeAccounts) RevokeVerifier(context.Context, string) error          { return ErrVerifierNotFound }

// fakeRequests records the receipts a response carried.
type fakeRequests struct {
	receipts map[string]*credential.AnchorReceipt
	resp     exchange.Response
}

func (*fakeRequests) Create(context.Context, string, exchange.NewRequest) (*exchange.Request, error) {
	return nil, exchange.ErrInvalid
}

func (*fakeRequests) Fetch(context.Context, string) (*exchange.RequestObject, error) {
	return nil, exchange.ErrExpired
}

func (f *fakeRequests) Submit(_ context.Context, id string, resp exchange.Response, receipts map[string]*credential.AnchorReceipt) (*exchange.Result, error) {
	f.resp, f.receipts = resp, receipts
	return &exchange.Result{RequestID: id, Accepted: true, Verified: true, Satisfied: true, Failures: []string{}}, nil
}

func (*fakeRequests) Result(context.Context, string, string) (*RequestResult, error) {
	return nil, exchange.ErrPending
}

type fakePolicies struct{}

func (fakePolicies) Save(context.Context, string, policy.Policy) (*policy.Compiled, error) {
	return nil, &policy.CompileError{Rule: "master", Issues: []policy.Issue{{Line: 2, Column: 36, Message: "undefined field 'levle'"}}}
}

func (fakePolicies) Get(context.Context, string, int) (*policy.Policy, error) {
	return nil, policy.ErrNotFound
}

type fakeDecisions struct{ got *DecisionRequest }

func (f *fakeDecisions) Decide(_ context.Context, req DecisionRequest) (*DecisionOutcome, error) {
	f.got = &req
	return &DecisionOutcome{Decision: &policy.Decision{Eligible: true}}, nil
}

// okReport is a valid credential report with a skipped step.
func okReport() *verifier.Report {
	return &verifier.Report{Kind: verifier.KindCredential, State: verifier.StateWarning, Steps: []verifier.Step{
		{Name: verifier.StepFormat, State: verifier.StepOK, MessageEN: "a credential", MessageZH: "凭证"},
		{Name: verifier.StepIssuer, State: verifier.StepWarning, MessageEN: "not accredited", MessageZH: "未认证"},
		{Name: verifier.StepKey, State: verifier.StepSkipped, MessageEN: "not applicable"},
	}}
}

const testReceipt = `{"type":"TalentChainAnchorReceipt","version":1,"credentialDigest":"` +
	"0000000000000000000000000000000000000000000000000000000000000000" + `","leafIndex":0,"treeSize":1,"path":[],"root":"` +
	"1111111111111111111111111111111111111111111111111111111111111111" + `"}`

const testVP = `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"],
	"verifiableCredential":[{"id":"urn:uuid:a"},{"type":"VerifiableCredential"},{"id":"urn:uuid:c"}]}`

func newVerifyingHandler(t testing.TB, p *fakePipeline, rq *fakeRequests, d *fakeDecisions, vcapi bool) http.Handler {
	t.Helper()
	h, err := New(DefaultConfig(), stubVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler),
		WithVerifying(Verifying{Pipeline: p, Accounts: fakeAccounts{}, Requests: rq, Policies: fakePolicies{}, Decisions: d, Domain: "node.example", VCAPI: vcapi}, nil))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// stubVerifier is the credential core's place in New; with VCAPI it is
// never called.
type stubVerifier struct{}

var errStubCalled = errors.New("the core verifier was called")

func (stubVerifier) VerifyCredential(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return nil, errStubCalled
}

func (stubVerifier) VerifyPresentation(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return nil, errStubCalled
}

func serve(h http.Handler, method, path, contentType, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestResultOf(t *testing.T) {
	tests := []struct {
		name         string
		rep          *verifier.Report
		wantVerified bool
		wantChecks   []string
		wantErrors   int
		wantWarnings int
	}{
		{"warning is verified; skipped steps are not checks", okReport(), true, []string{"format", "issuer"}, 0, 1},
		{"invalid", &verifier.Report{State: verifier.StateInvalid, Steps: []verifier.Step{
			{Name: "proof", State: verifier.StepFailed, MessageEN: "bad"}, {Name: "status", State: verifier.StepOK}}}, false, []string{"proof", "status"}, 1, 0},
		{"presentation: credential checks are prefixed", &verifier.Report{Kind: verifier.KindPresentation, State: verifier.StateValid,
			Steps:       []verifier.Step{{Name: "challenge", State: verifier.StepOK}},
			Credentials: []*verifier.Report{{Steps: []verifier.Step{{Name: "anchor", State: verifier.StepOK}}}, {Steps: []verifier.Step{{Name: "status", State: verifier.StepWarning}}}}},
			true, []string{"challenge", "credential[0].anchor", "credential[1].status"}, 0, 1},
		{"no step ran: not verified", &verifier.Report{State: verifier.StateValid}, false, []string{}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := ResultOf(tt.rep)
			var names []string
			for _, c := range res.Checks {
				names = append(names, c.Name)
			}
			if res.Verified != tt.wantVerified || fmt.Sprint(names) != fmt.Sprint(tt.wantChecks) || len(res.Errors) != tt.wantErrors || len(res.Warnings) != tt.wantWarnings {
				t.Fatalf("%+v", res)
			}
		})
	}
}

func TestPipelineVerifyRoutes(t *testing.T) {
	tests := []struct {
		name, path, body string
		err              error
		vcapi            bool
		wantStatus       int
		wantType         string // problem type suffix
		wantCalled       bool
		check            func(t *testing.T, p *fakePipeline, body string)
	}{
		{name: "credential object", path: "/credentials/verify", body: `{"verifiableCredential":{"id":"urn:uuid:a"}}`, vcapi: true, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, p *fakePipeline, body string) {
				var ans VerificationResponse
				if err := json.Unmarshal([]byte(body), &ans); err != nil || !ans.Verified || ans.Report == nil || len(ans.Checks) != 2 || len(ans.Report.Steps) != 3 {
					t.Fatalf("%s: %v", body, err)
				}
				if string(p.raw) != `{"id":"urn:uuid:a"}` || p.opts.Receipt != nil {
					t.Fatalf("pipeline got %s %+v", p.raw, p.opts)
				}
			}},
		{name: "credential with its receipt", path: "/credentials/verify", body: `{"verifiableCredential":{},"anchorReceipt":` + testReceipt + `}`, vcapi: true, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, p *fakePipeline, _ string) {
				if p.opts.Receipt == nil || p.opts.Receipt.TreeSize != 1 {
					t.Fatalf("receipt %+v", p.opts.Receipt)
				}
			}},
		{name: "compact JWT string", path: "/credentials/verify", body: `{"verifiableCredential":"eyJ.eyJ.sig"}`, vcapi: true, wantStatus: 200, wantCalled: true,
			check: func(t *testing.T, p *fakePipeline, _ string) {
				if string(p.raw) != `"eyJ.eyJ.sig"` {
					t.Fatalf("raw %s", p.raw)
				}
			}},
		{name: "null receipt is no receipt", path: "/credentials/verify", body: `{"verifiableCredential":{},"anchorReceipt":null}`, vcapi: true, wantStatus: 200, wantCalled: true},
		{name: "malformed receipt", path: "/credentials/verify", body: `{"verifiableCredential":{},"anchorReceipt":{"type":"x"}}`, vcapi: true, wantStatus: 400, wantType: "validation"},
		{name: "receipt with an unknown member", path: "/credentials/verify", body: `{"verifiableCredential":{},"anchorReceipt":` + strings.Replace(testReceipt, `{`, `{"x":1,`, 1) + `}`, vcapi: true, wantStatus: 400, wantType: "validation"},
		{name: "credential is a number", path: "/credentials/verify", body: `{"verifiableCredential":1}`, vcapi: true, wantStatus: 400, wantType: "validation"},
		{name: "credential is null", path: "/credentials/verify", body: `{"verifiableCredential":null}`, vcapi: true, wantStatus: 400, wantType: "validation"},
		{name: "unknown member", path: "/credentials/verify", body: `{"verifiableCredential":{},"anchorReceipts":{}}`, vcapi: true, wantStatus: 400, wantType: "validation"},
		{name: "unsupported format", path: "/credentials/verify", body: `{"verifiableCredential":"a.b.c"}`, err: fmt.Errorf("%w: application/vc+jwt", ErrUnsupportedFormat), vcapi: true, wantStatus: 422, wantType: "unsupported-format", wantCalled: true},
		{name: "chain unavailable", path: "/credentials/verify", body: `{"verifiableCredential":{}}`, err: fmt.Errorf("%w: read issuer", verifier.ErrUnavailable), vcapi: true, wantStatus: 503, wantType: "unavailable", wantCalled: true},
		{name: "malformed document", path: "/credentials/verify", body: `{"verifiableCredential":{}}`, err: fmt.Errorf("%w: not JSON", verifier.ErrMalformed), vcapi: true, wantStatus: 400, wantType: "invalid-document", wantCalled: true},
		{name: "presentation with receipts aligned", path: "/presentations/verify", vcapi: true, wantStatus: 200, wantCalled: true,
			body: `{"verifiablePresentation":` + testVP + `,"anchorReceipts":[` + testReceipt + `,null,` + testReceipt + `],"options":{"challenge":"c","domain":"d"}}`,
			check: func(t *testing.T, p *fakePipeline, _ string) {
				if len(p.opts.Receipts) != 2 || p.opts.Receipts["urn:uuid:a"] == nil || p.opts.Receipts["urn:uuid:c"] == nil || p.opts.Challenge != "c" || p.opts.Domain != "d" {
					t.Fatalf("opts %+v", p.opts)
				}
			}},
		{name: "presentation receipt for a credential without id", path: "/presentations/verify", vcapi: true, wantStatus: 400, wantType: "validation",
			body: `{"verifiablePresentation":` + testVP + `,"anchorReceipts":[null,` + testReceipt + `],"options":{"challenge":"c"}}`},
		{name: "presentation receipts by id", path: "/presentations/verify", vcapi: true, wantStatus: 200, wantCalled: true,
			body: `{"verifiablePresentation":` + testVP + `,"anchorReceipts":{"urn:uuid:c":` + testReceipt + `},"options":{"challenge":"c"}}`},
		{name: "presentation without challenge", path: "/presentations/verify", body: `{"verifiablePresentation":{}}`, vcapi: true, wantStatus: 400, wantType: "validation"},
		{name: "without VCAPI the core verifier answers", path: "/credentials/verify", body: `{"verifiableCredential":{}}`, vcapi: false, wantStatus: 500, wantType: "internal"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakePipeline{rep: okReport(), err: tt.err}
			if tt.err != nil {
				p.rep = nil
			}
			h := newVerifyingHandler(t, p, &fakeRequests{}, &fakeDecisions{}, tt.vcapi)
			rec := serve(h, "POST", tt.path, "application/json", "", tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if tt.wantType != "" && !strings.Contains(rec.Body.String(), "#problem-"+tt.wantType+`"`) {
				t.Fatalf("problem %s, want %s", rec.Body, tt.wantType)
			}
			if (p.calls > 0) != tt.wantCalled {
				t.Fatalf("pipeline calls %d", p.calls)
			}
			if tt.check != nil {
				tt.check(t, p, rec.Body.String())
			}
		})
	}
}

func TestVerifyingRoutes(t *testing.T) {
	rq := &fakeRequests{}
	d := &fakeDecisions{}
	h := newVerifyingHandler(t, &fakePipeline{rep: okReport()}, rq, d, true)
	form := func(v url.Values) string { return v.Encode() }
	const formType = "application/x-www-form-urlencoded"
	tests := []struct {
		name, method, path, contentType, token, body string
		wantStatus                                   int
		wantInBody                                   string
	}{
		{"response as a form", "POST", "/requests/abc/response", formType, "",
			form(url.Values{"vp_token": {testVP}, "state": {"abc"}, "anchor_receipts": {"[" + testReceipt + "]"}}), 200, `"accepted":true`},
		{"bare JWT vp_token", "POST", "/requests/abc/response", formType, "", form(url.Values{"vp_token": {"eyJ.eyJ.sig"}}), 200, ""},
		{"field sent twice", "POST", "/requests/abc/response", formType, "", "vp_token=%7B%7D&vp_token=%7B%7D", 400, "must be sent once"},
		{"unknown form field", "POST", "/requests/abc/response", formType, "", form(url.Values{"vp_token": {"{}"}, "id_token": {"x"}}), 400, "id_token"},
		{"no vp_token", "POST", "/requests/abc/response", formType, "", form(url.Values{"state": {"abc"}}), 400, "vp_token"},
		{"wrong state", "POST", "/requests/abc/response", formType, "", form(url.Values{"vp_token": {"{}"}, "state": {"xyz"}}), 400, "state"},
		{"unparsable form", "POST", "/requests/abc/response", formType, "", "vp_token=%zz", 400, "malformed-request"},
		{"response as JSON", "POST", "/requests/abc/response", "application/json", "", `{"vp_token":{},"presentation_submission":{"id":"s"}}`, 200, ""},
		{"result pending", "GET", "/requests/abc/result", "", fakeToken, "", 202, `"pending"`},
		{"result without token", "GET", "/requests/abc/result", "", "", "", 401, "unauthenticated"},
		{"result with a bad token", "GET", "/requests/abc/result", "", "tcvt_bad", "", 401, "unauthenticated"},
		{"fetch expired", "GET", "/requests/abc", "", "", "", 410, "expired"},
		{"create refused by the service", "POST", "/requests", "application/json", fakeToken,
			`{"presentation_definition":{},"purpose":{"zh":"x","en":"x"}}`, 400, "validation"},
		{"create with a bad expiry", "POST", "/requests", "application/json", fakeToken,
			`{"presentation_definition":{},"purpose":{"zh":"x","en":"x"},"expiresIn":"soon"}`, 400, "expiresIn"},
		{"policy without the right", "POST", "/policies", "application/json", fakeToken, `{"id":"p"}`, 403, "forbidden"},
		{"unknown policy", "GET", "/policies/p", "", "", "", 404, "not-found"},
		{"bad version", "GET", "/policies/p?version=x", "", "", "", 400, "version"},
		{"decision over credentials", "POST", "/policies/p/decisions", "application/json", fakeToken,
			`{"applicant":"did:key:z1","verifiableCredentials":[{"id":"urn:uuid:a"},"a.b.c"],"anchorReceipts":{"urn:uuid:a":` + testReceipt + `}}`, 201, `"eligible":true`},
		{"decision with too many receipts", "POST", "/policies/p/decisions", "application/json", fakeToken,
			`{"applicant":"did:key:z1","verifiableCredentials":[{}],"anchorReceipts":[null,null]}`, 400, "anchorReceipts"},
		{"batch without token", "POST", "/verify/batch", "application/json", "", `[{}]`, 401, ""},
		{"batch of an object", "POST", "/verify/batch", "application/json", fakeToken, `{}`, 400, "JSON array"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := serve(h, tt.method, tt.path, tt.contentType, tt.token, tt.body)
			if rec.Code != tt.wantStatus || !strings.Contains(rec.Body.String(), tt.wantInBody) {
				t.Fatalf("%d %s; want %d with %q", rec.Code, rec.Body, tt.wantStatus, tt.wantInBody)
			}
		})
	}
	// What the fakes were given.
	rec := serve(h, "POST", "/requests/abc/response", formType, "", form(url.Values{"vp_token": {testVP}, "anchor_receipts": {"[" + testReceipt + "]"}}))
	if rec.Code != 200 || rq.receipts["urn:uuid:a"] == nil || !json.Valid(rq.resp.VP) {
		t.Fatalf("receipts %+v, vp %s", rq.receipts, rq.resp.VP)
	}
	serve(h, "POST", "/requests/abc/response", formType, "", form(url.Values{"vp_token": {"eyJ.eyJ.sig"}}))
	if string(rq.resp.VP) != `"eyJ.eyJ.sig"` {
		t.Fatalf("bare JWT passed as %s", rq.resp.VP)
	}
	serve(h, "POST", "/policies/p/decisions", "application/json", fakeToken,
		`{"version":2,"applicant":"did:key:z1","verifiableCredentials":[{"id":"urn:uuid:a"},{"id":"urn:uuid:b"}],"anchorReceipts":[null,`+testReceipt+`]}`)
	if g := d.got; g == nil || g.Version != 2 || len(g.Credentials) != 2 || g.Credentials[0].Receipt != nil || g.Credentials[1].Receipt == nil {
		t.Fatalf("decision request %+v", d.got)
	}
}

func TestBatchRows(t *testing.T) {
	p := &fakePipeline{rep: okReport()}
	h := newVerifyingHandler(t, p, &fakeRequests{}, &fakeDecisions{}, true)
	body := `[{"id":"urn:uuid:a"}, "a.b.c", 7, {"verifiableCredential":{},"verifiablePresentation":{}},
		{"verifiablePresentation":{},"options":{}}, {"verifiableCredential":{},"anchorReceipt":{"bad":1}}]`
	rec := serve(h, "POST", "/verify/batch", "application/json", fakeToken, body)
	var res BatchResult
	if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || rec.Code != 200 {
		t.Fatalf("%d %s", rec.Code, rec.Body)
	}
	want := []string{"warning", "warning", "error", "error", "error", "error"}
	for i, row := range res.Rows {
		if row.State != want[i] || (row.State == stateError) != (row.Error != "") {
			t.Errorf("row %d %+v, want %s", i, row, want[i])
		}
	}
	if res.Warning != 2 || res.Errors != 4 || p.calls != 2 {
		t.Fatalf("counts %+v, calls %d", res, p.calls)
	}
	rec = serve(h, "POST", "/verify/batch?format=csv", "application/json", fakeToken, `[{"id":"=cmd()"}]`)
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/csv") {
		t.Fatalf("csv %d %s", rec.Code, rec.Header())
	}
}

func TestVerifierProblem(t *testing.T) {
	tests := []struct {
		err  error
		want int
	}{
		{fmt.Errorf("x: %w", ErrUnsupportedFormat), 422},
		{ErrVerifierToken, 401},
		{ErrVerifierNotFound, 404},
		{fmt.Errorf("%w: name", ErrInvalidVerifier), 400},
		{errPolicyOffice, 403},
		{ErrPolicyOwner, 403},
		{fmt.Errorf("%w: x", verifier.ErrUnavailable), 503},
		{fmt.Errorf("%w: x", exchange.ErrVerifierUnavailable), 503},
		{verifier.ErrMalformed, 400},
		{verifier.ErrInvalid, 400},
		{&exchange.InputError{Field: "Definition", Reason: "x"}, 400},
		{exchange.ErrNotFound, 404},
		{exchange.ErrForbidden, 403},
		{exchange.ErrExpired, 410},
		{exchange.ErrAnswered, 409},
		{&policy.CompileError{Rule: "combine", Issues: []policy.Issue{{Line: 1, Column: 2, Message: "x"}}}, 422},
		{&policy.InputError{Field: "applicant", Reason: "x"}, 400},
		{fmt.Errorf("%w (limit 1)", policy.ErrCostLimit), 422},
		{policy.ErrNotFound, 404},
		{policy.ErrConflict, 409},
	}
	for _, tt := range tests {
		p := problemFor(tt.err)
		if p.Status != tt.want || p.Type == "" || p.Title == "" {
			t.Errorf("%v: %+v, want %d", tt.err, p, tt.want)
		}
	}
	if _, ok := verifierProblem(errors.New("other")); ok {
		t.Error("verifierProblem claims an unrelated error")
	}
	p := problemFor(&policy.CompileError{Rule: "combine", Issues: []policy.Issue{{Line: 1, Column: 2, Message: "x"}}})
	if len(p.Errors) != 1 || p.Errors[0].Field != "combine" || p.Errors[0].Reason != "line 1, column 2: x" {
		t.Errorf("compile error fields %+v", p.Errors)
	}
}

// FuzzPresentationReceipts feeds arbitrary presentations and receipt
// members to the receipt reader: it never panics, and what it accepts maps
// credential ids of the presentation to well-formed receipts.
func FuzzPresentationReceipts(f *testing.F) {
	f.Add([]byte(testVP), []byte("["+testReceipt+",null]"))
	f.Add([]byte(testVP), []byte(`{"urn:uuid:a":`+testReceipt+`}`))
	f.Add([]byte(`{}`), []byte(`[null]`))
	f.Add([]byte(`"a.b.c"`), []byte(`[1]`))
	f.Add([]byte(`{"verifiableCredential":{"id":"x"}}`), []byte(`{"":{}}`))
	f.Fuzz(func(t *testing.T, vp, raw []byte) {
		m, err := presentationReceipts(vp, raw, "anchorReceipts")
		if err != nil {
			var ve *validationError
			if !errors.As(err, &ve) || problemFor(err).Status != 400 {
				t.Fatalf("error %v is not a 400 validation error", err)
			}
			return
		}
		for id, rc := range m {
			if id == "" || rc == nil || rc.Type != credential.ReceiptType {
				t.Fatalf("accepted %q → %+v", id, rc)
			}
		}
	})
}

// FuzzDecisionBody feeds arbitrary bodies to the decision request reader.
func FuzzDecisionBody(f *testing.F) {
	for _, s := range []string{
		`{"applicant":"did:key:z1","verifiableCredentials":[{"id":"a"}],"anchorReceipts":[` + testReceipt + `]}`,
		`{"verifiablePresentation":` + testVP + `,"options":{"challenge":"c"},"anchorReceipts":{"urn:uuid:a":` + testReceipt + `}}`,
		`{"verifiableCredentials":[]}`, `{"version":-1}`, `{"verifiableCredentials":[1]}`, `[]`,
	} {
		f.Add([]byte(s))
	}
	h := &handler{cfg: DefaultConfig(), validate: newValidator()}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b decisionBody
		if err := h.decodeBody(body, &b); err != nil {
			if problemFor(err).Status != 400 {
				t.Fatalf("decode error %v is not a 400", err)
			}
			return
		}
		req, err := decisionRequest("p", &b)
		if err != nil {
			if problemFor(err).Status != 400 {
				t.Fatalf("error %v is not a 400", err)
			}
			return
		}
		if (len(req.Presentation) > 0) == (len(req.Credentials) > 0) {
			t.Fatalf("accepted %s as both or neither", body)
		}
		if len(req.Presentation) > 0 && req.PresentationOptions.Challenge == "" {
			t.Fatalf("accepted a presentation without challenge: %s", body)
		}
		if len(req.Credentials) > 0 && req.Applicant == "" {
			t.Fatalf("accepted credentials without applicant: %s", body)
		}
	})
}

// FuzzBatchItem feeds arbitrary items to the batch classifier: it never
// panics, and an item either reaches the pipeline or is a 4xx row.
func FuzzBatchItem(f *testing.F) {
	for _, s := range []string{
		`{"id":"a"}`, `"a.b.c"`, `7`, `{"verifiableCredential":{},"anchorReceipt":` + testReceipt + `}`,
		`{"verifiablePresentation":{},"options":{"challenge":"c"},"anchorReceipts":[null]}`,
		`{"verifiableCredential":{},"verifiablePresentation":{}}`, `{"verifiableCredential":1}`, `{`,
	} {
		f.Add([]byte(s))
	}
	p := &fakePipeline{rep: okReport()}
	vr := &verifyingRoutes{h: &handler{cfg: DefaultConfig(), validate: newValidator(), log: slog.New(slog.DiscardHandler)}, v: Verifying{Pipeline: p}}
	f.Fuzz(func(t *testing.T, item []byte) {
		before := p.calls
		rep, _, err := vr.verifyItem(context.Background(), item)
		switch {
		case err == nil && (rep == nil || p.calls != before+1):
			t.Fatalf("no error, report %v, calls %d", rep, p.calls-before)
		case err != nil && (p.calls != before || problemFor(err).Status >= 500):
			t.Fatalf("error %v (status %d) after %d calls", err, problemFor(err).Status, p.calls-before)
		}
	})
}

// FuzzResponseForm feeds arbitrary direct_post forms to the response reader.
func FuzzResponseForm(f *testing.F) {
	f.Add("vp_token=%7B%7D&state=abc")
	f.Add("vp_token=eyJ.eyJ.sig&anchor_receipts=%5Bnull%5D")
	f.Add("vp_token=a&vp_token=b")
	f.Add("%zz")
	vr := &verifyingRoutes{h: &handler{cfg: DefaultConfig(), validate: newValidator()}}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/requests/x/response", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		got, err := vr.readResponse(httptest.NewRecorder(), req)
		if err != nil {
			if s := problemFor(err).Status; s != 400 && s != 413 {
				t.Fatalf("error %v is a %d", err, s)
			}
			return
		}
		if len(got.VPToken) == 0 {
			t.Fatalf("accepted %q without vp_token", body)
		}
	})
}

// ExampleResultOf shows how a pipeline report reads in the VC-API shape:
// a warning (an issuer unknown to the chain) is verified, a skipped step is
// not a check.
func ExampleResultOf() {
	res := ResultOf(okReport())
	fmt.Println(res.Verified)
	for _, c := range res.Checks {
		fmt.Println(c.Name, c.Passed, c.Warning)
	}
	fmt.Println(res.Warnings)
	// Output:
	// true
	// format true false
	// issuer true true
	// [issuer: not accredited]
}

// TestShareToken: only links of this node's public URL, with a token of
// base64url characters, are accepted; everything else is refused without a
// request.
func TestShareToken(t *testing.T) {
	vr := &verifyingRoutes{v: Verifying{PublicURL: "https://talent.example.cn/app"}}
	for _, c := range []struct {
		link, token string
	}{
		{"https://talent.example.cn/app/share/abc_DEF-123", "abc_DEF-123"},
		{"https://TALENT.example.cn:443/app/share/abc", "abc"},
		{"https://talent.example.cn/app/share/abc?utm=x", "abc"},
		{"http://talent.example.cn/app/share/abc", ""},
		{"https://talent.example.cn:8443/app/share/abc", ""},
		{"https://talent.example.cn/share/abc", ""},
		{"https://talent.example.cn/app/share/", ""},
		{"https://talent.example.cn/app/share/a/b", ""},
		{"https://talent.example.cn/app/share/..%2Fadmin", ""},
		{"https://user@talent.example.cn/app/share/abc", ""},
		{"https://talent.example.cn.evil.com/app/share/abc", ""},
		{"https://127.0.0.1/app/share/abc", ""},
		{"file:///app/share/abc", ""},
		{"//talent.example.cn/app/share/abc", ""},
		{"not a link", ""},
	} {
		tok, p := vr.shareToken(c.link)
		if tok != c.token || (tok == "") == (p == nil) {
			t.Errorf("%q: token %q, refused %v; want %q", c.link, tok, p, c.token)
		}
	}
	if tok, p := (&verifyingRoutes{}).shareToken("https://talent.example.cn/app/share/abc"); tok != "" || p == nil {
		t.Error("a node without a public URL accepted a share link")
	}
}

// TestSafeEntryName: the names a ZIP entry must not have.
func TestSafeEntryName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.json": true, "dir/a.jwt": true, "学位/张三.json": true,
		"": false, "/etc/passwd": false, "../a.json": false, "a/../../b.json": false, `a\b.json`: false,
		"C:/a.json": false, "a/./b.json": false, "a//b.json": false, "a\x00.json": false, "a\n.json": false,
	} {
		if got := safeEntryName(name); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}

// FuzzShareToken: whatever the link, an accepted one is of this node and
// its token is base64url characters only.
func FuzzShareToken(f *testing.F) {
	for _, s := range []string{"https://talent.example.cn/share/abc", "https://talent.example.cn/share/../x", "https://evil/share/a", "%zz", ""} {
		f.Add(s)
	}
	vr := &verifyingRoutes{v: Verifying{PublicURL: "https://talent.example.cn"}}
	f.Fuzz(func(t *testing.T, link string) {
		tok, p := vr.shareToken(link)
		if (tok == "") == (p == nil) {
			t.Fatalf("token %q with refusal %v", tok, p)
		}
		if tok == "" {
			return
		}
		u, err := url.Parse(link)
		if err != nil || !strings.EqualFold(u.Hostname(), "talent.example.cn") || u.Path != "/share/"+tok {
			t.Fatalf("accepted %q (token %q)", link, tok)
		}
	})
}

// FuzzZipBatch feeds arbitrary bytes as a ZIP upload: never a panic, never
// a 5xx, at most MaxBatch rows, every refused row with reasons in both
// languages.
func FuzzZipBatch(f *testing.F) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range [][2]string{{"a.json", `{"id":"x"}`}, {"../b.json", "{}"}, {"c.jwt", "a.b.c"}, {"d.pdf", "x"}} {
		w, _ := zw.Create(e[0])
		w.Write([]byte(e[1]))
	}
	zw.Close()
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	h := newVerifyingHandler(f, &fakePipeline{rep: okReport()}, &fakeRequests{}, &fakeDecisions{}, true)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest("POST", "/verify/batch", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/zip")
		req.Header.Set("Authorization", "Bearer "+fakeToken)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%d %s", rec.Code, rec.Body)
		}
		if rec.Code != 200 {
			return
		}
		var res BatchResult
		if err := json.Unmarshal(rec.Body.Bytes(), &res); err != nil || len(res.Rows) > DefaultMaxBatch || len(res.Rows) == 0 {
			t.Fatalf("rows %d: %v", len(res.Rows), err)
		}
		for _, r := range res.Rows {
			if r.State == stateError && (r.ReasonEN == "" || r.ReasonZH == "") {
				t.Fatalf("row without reason %+v", r)
			}
		}
	})
}

// credentialBodies are POST /credentials/verify bodies, good and bad, for
// the fast decoding's tests and fuzz seeds.
var credentialBodies = []string{
	`{"verifiableCredential":{"id":"urn:uuid:a"}}`,
	` { "verifiableCredential" : { "id" : "urn:uuid:a", "n": [1, 2.5, -3e2, true, null, {"a":"}]\"{"}] } , "anchorReceipt":` + testReceipt + ` } `,
	`{"anchorReceipt":` + testReceipt + `,"verifiableCredential":{"id":"urn:uuid:a"},"options":{"challenge":"c","domain":"d","store":true}}`,
	`{"verifiableCredential":"eyJ.eyJ.sig"}`,
	`{"verifiableCredential":{},"anchorReceipt":null}`,
	`{"verifiableCredential":{},"anchorReceipt":{"type":"x"}}`,
	`{"verifiableCredential":{},"anchorReceipt":[1]}`,
	`{"verifiableCredential":1}`,
	`{"verifiableCredential":null}`,
	`{"verifiableCredential":{},"anchorReceipts":{}}`,
	`{"verifiableCredential":{},"verifiableCredential":{}}`,
	`{"verifiableCredential":{"id":"a","id":"b"}}`,
	`{"verifiable\u0043redential":{}}`,
	`{"verifiableCredential":{}} x`,
	`{"verifiableCredential":{}`,
	`{"verifiableCredential":{},"options":{"challenge":1}}`,
	`{"verifiableCredential":{},"options":{"challenge":null}}`,
	`{"verifiableCredential":{},"options":{"nonce":"x"}}`,
	`{"verifiableCredential":{},"options":[]}`,
	`{"verifiableCredential":{},"options":{"challenge":"` + strings.Repeat("é", 513) + `"}}`,
	`{"verifiableCredential":{},"options":{"challenge":"` + strings.Repeat("é", 512) + `"}}`,
	`{"options":{}}`,
	`{}`,
	`[]`,
	`"x"`,
}

// TestFastCredentialRequest: whenever the one-parse decoding of a
// verification request answers, it answers what decodeBody does, and it
// hands over the credential's document exactly as credential.ParseDocument
// reads the credential's bytes; it declines every body decodeBody refuses.
func TestFastCredentialRequest(t *testing.T) {
	h := &handler{cfg: DefaultConfig(), validate: newValidator()}
	fast := 0
	for _, body := range credentialBodies {
		if checkFastRequest(t, h, []byte(body)) {
			fast++
		}
	}
	if fast < 5 {
		t.Errorf("only %d bodies took the fast path", fast)
	}
	// The common requests take it.
	for _, body := range credentialBodies[:4] {
		if _, _, ok := h.fastCredentialRequest([]byte(body)); !ok {
			t.Errorf("%s: not decoded in one parse", body)
		}
	}
}

// checkFastRequest compares the two decodings of body; it reports whether
// the fast one answered.
func checkFastRequest(t *testing.T, h *handler, body []byte) bool {
	t.Helper()
	got, doc, ok := h.fastCredentialRequest(body)
	var want pipelineCredentialRequest
	err := h.decodeBody(body, &want)
	if !ok {
		return false
	}
	if err != nil {
		t.Fatalf("%q: decoded in one parse, refused by decodeBody: %v", body, err)
	}
	if !bytes.Equal(got.VerifiableCredential, want.VerifiableCredential) || !bytes.Equal(got.AnchorReceipt, want.AnchorReceipt) || got.Options != want.Options {
		t.Fatalf("%q: one parse %q %q %+v, decodeBody %q %q %+v", body, got.VerifiableCredential, got.AnchorReceipt, got.Options,
			want.VerifiableCredential, want.AnchorReceipt, want.Options)
	}
	vc := bytes.TrimSpace(want.VerifiableCredential)
	if len(vc) > 0 && vc[0] == '{' {
		ref, err := credential.ParseDocument(vc)
		if err != nil || !reflect.DeepEqual(doc, ref) {
			t.Fatalf("%q: document %v, ParseDocument %v (%v)", body, doc, ref, err)
		}
	} else if doc != nil {
		t.Fatalf("%q: a document for a credential that is no object", body)
	}
	return true
}

func FuzzFastCredentialRequest(f *testing.F) {
	for _, b := range credentialBodies {
		f.Add([]byte(b))
	}
	h := &handler{cfg: DefaultConfig(), validate: newValidator()}
	f.Fuzz(func(t *testing.T, body []byte) { checkFastRequest(t, h, body) })
}

// FuzzTopMembers: on any text that credential.ParseDocument accepts as an
// object, topMembers, when it answers, finds the members encoding/json
// finds, with the same values; on any other text it never panics.
func FuzzTopMembers(f *testing.F) {
	for _, b := range credentialBodies {
		f.Add([]byte(b))
	}
	f.Add([]byte(`{"a":"\"}","b":[{"c":"]"}],"d":-1.5e3,"e":"\\"}`))
	f.Add([]byte("{\"\x82\":[]}")) // a name that is not UTF-8
	f.Fuzz(func(t *testing.T, data []byte) {
		members, ok := topMembers(data)
		if _, err := credential.ParseDocument(data); err != nil || !ok {
			return
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("%q: topMembers answered, encoding/json refuses: %v", data, err)
		}
		if len(members) != len(want) {
			t.Fatalf("%q: %d members, encoding/json %d", data, len(members), len(want))
		}
		for _, m := range members {
			if w, found := want[m.name]; !found || !bytes.Equal(m.raw, bytes.TrimSpace(w)) {
				t.Fatalf("%q: member %q = %q, encoding/json %q", data, m.name, m.raw, w)
			}
		}
	})
}

func TestTopMembers(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string // name=value; nil: declined
	}{
		{`{}`, []string{}},
		{` { "a" : 1 , "b":"x\"y" ,"c":{"d":[1,{"e":"}"}]}} `, []string{`a=1`, `b="x\"y"`, `c={"d":[1,{"e":"}"}]}`}},
		{`{"a":true,"b":null,"c":-0.5}`, []string{"a=true", "b=null", "c=-0.5"}},
		{`{"\u0061":1}`, nil},
		{`{"a":1}x`, nil},
		{`{"a":1,}`, nil},
		{`{"a" 1}`, nil},
		{`{"a":}`, nil},
		{`{"a":"x`, nil},
		{`{"a":[1,2}`, nil},
		{`[1]`, nil},
		{``, nil},
	} {
		members, ok := topMembers([]byte(c.in))
		if c.want == nil {
			if ok {
				t.Errorf("%q: answered %v", c.in, members)
			}
			continue
		}
		got := []string{}
		for _, m := range members {
			got = append(got, m.name+"="+string(m.raw))
		}
		if !ok || !slices.Equal(got, c.want) {
			t.Errorf("%q: %v %v, want %v", c.in, got, ok, c.want)
		}
	}
}
