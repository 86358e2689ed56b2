package ui_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui"
)

// fakeVerifier answers with res and err and records what it was asked.
type fakeVerifier struct {
	res     *credential.Result
	err     error
	panics  bool
	calls   atomic.Int32
	gotRaw  []byte
	gotOpts credential.VerifyOptions
}

func (f *fakeVerifier) verify(raw []byte, opts credential.VerifyOptions) (*credential.Result, error) {
	f.calls.Add(1)
	if f.panics {
		panic("verifier exploded")
	}
	f.gotRaw, f.gotOpts = raw, opts
	return f.res, f.err
}

func (f *fakeVerifier) VerifyCredential(_ context.Context, raw []byte, opts credential.VerifyOptions) (*credential.Result, error) {
	return f.verify(raw, opts)
}

func (f *fakeVerifier) VerifyPresentation(_ context.Context, raw []byte, opts credential.VerifyOptions) (*credential.Result, error) {
	return f.verify(raw, opts)
}

var verifiedResult = &credential.Result{
	Verified: true,
	Checks:   []credential.Check{{Name: "proof", Passed: true, Message: "the proof verifies"}},
	Warnings: []string{},
	Errors:   []string{},
}

func newHandler(t *testing.T, cfg ui.Config, v ui.Verifier, ready bool) (http.Handler, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	h, err := ui.New(cfg, v, func() bool { return ready }, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatalf("ui.New: %v", err)
	}
	return h, &logs
}

func do(h http.Handler, method, path, contentType, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) ui.Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type = %q, want application/problem+json; body %s", ct, rec.Body)
	}
	var p ui.Problem
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		t.Fatalf("problem body: %v", err)
	}
	if p.Type == "" || p.Title == "" || p.Status != rec.Code {
		t.Fatalf("problem %+v incomplete or status differs from %d", p, rec.Code)
	}
	return p
}

const (
	vc  = `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}`
	vp  = `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiablePresentation"]}`
	jst = "application/json"
)

func TestVerifyRequestRejected(t *testing.T) {
	long := strings.Repeat("a", 513)
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		wantStatus  int
		wantType    string // suffix of the problem type
		wantField   string // a field named in the problem, if any
	}{
		{"malformed JSON", "/credentials/verify", jst, `{"verifiableCredential": `, 400, "malformed-request", ""},
		{"syntax error", "/credentials/verify", jst, `{verifiableCredential: {}}`, 400, "malformed-request", ""},
		{"empty body", "/credentials/verify", jst, ``, 400, "malformed-request", ""},
		{"whitespace body", "/credentials/verify", jst, " \n\t", 400, "malformed-request", ""},
		{"trailing object", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `} {}`, 400, "malformed-request", ""},
		{"trailing garbage", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `}x`, 400, "malformed-request", ""},
		{"invalid UTF-8", "/credentials/verify", jst, "{\"verifiableCredential\":{\"name\":\"\xff\"}}", 400, "malformed-request", ""},
		{"body is an array", "/credentials/verify", jst, `[]`, 400, "validation", "(body)"},
		{"body is a string", "/credentials/verify", jst, `"vc"`, 400, "validation", "(body)"},
		{"missing credential", "/credentials/verify", jst, `{}`, 400, "validation", "verifiableCredential"},
		{"credential only in options", "/credentials/verify", jst, `{"options":{}}`, 400, "validation", "verifiableCredential"},
		{"credential is null", "/credentials/verify", jst, `{"verifiableCredential":null}`, 400, "validation", "verifiableCredential"},
		{"credential is a string", "/credentials/verify", jst, `{"verifiableCredential":"eyJhbGciOi..."}`, 400, "validation", "verifiableCredential"},
		{"credential is an array", "/credentials/verify", jst, `{"verifiableCredential":[` + vc + `]}`, 400, "validation", "verifiableCredential"},
		{"credential is a number", "/credentials/verify", jst, `{"verifiableCredential":42}`, 400, "validation", "verifiableCredential"},
		{"options not an object", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"options":"strict"}`, 400, "validation", "options"},
		{"challenge not a string", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"options":{"challenge":1}}`, 400, "validation", "options.challenge"},
		{"challenge too long", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"options":{"challenge":"` + long + `"}}`, 400, "validation", "options.challenge"},
		{"unknown option", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"options":{"checks":["proof"]}}`, 400, "validation", "options.checks"},
		{"unknown top-level field", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"credential":{}}`, 400, "validation", "credential"},
		{"presentation missing", "/presentations/verify", jst, `{"options":{"challenge":"n-1"}}`, 400, "validation", "verifiablePresentation"},
		{"presentation not an object", "/presentations/verify", jst, `{"verifiablePresentation":"x","options":{"challenge":"n-1"}}`, 400, "validation", "verifiablePresentation"},
		{"presentation without options", "/presentations/verify", jst, `{"verifiablePresentation":` + vp + `}`, 400, "validation", "options.challenge"},
		{"presentation without challenge", "/presentations/verify", jst, `{"verifiablePresentation":` + vp + `,"options":{"domain":"hr.example.cn"}}`, 400, "validation", "options.challenge"},
		{"presentation empty challenge", "/presentations/verify", jst, `{"verifiablePresentation":` + vp + `,"options":{"challenge":""}}`, 400, "validation", "options.challenge"},
		{"presentation domain not a string", "/presentations/verify", jst, `{"verifiablePresentation":` + vp + `,"options":{"challenge":"n-1","domain":true}}`, 400, "validation", "options.domain"},
		{"presentation unknown option", "/presentations/verify", jst, `{"verifiablePresentation":` + vp + `,"options":{"challenge":"n-1","expectedProofPurpose":"authentication"}}`, 400, "validation", "options.expectedProofPurpose"},
		{"no content type", "/credentials/verify", "", `{"verifiableCredential":` + vc + `}`, 415, "media-type", ""},
		{"text/plain", "/credentials/verify", "text/plain", `{"verifiableCredential":` + vc + `}`, 415, "media-type", ""},
		{"form encoded", "/presentations/verify", "application/x-www-form-urlencoded", `a=b`, 415, "media-type", ""},
		{"latin-1 charset", "/credentials/verify", "application/json; charset=iso-8859-1", `{"verifiableCredential":` + vc + `}`, 415, "media-type", ""},
		{"unparsable content type", "/credentials/verify", "application/json; charset", `{}`, 415, "media-type", ""},
		{"body over the limit", "/credentials/verify", jst, `{"verifiableCredential":{"pad":"` + strings.Repeat("x", 2048) + `"}}`, 413, "too-large", ""},
	}
	cfg := ui.DefaultConfig()
	cfg.MaxBodyBytes = 1024
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeVerifier{res: verifiedResult}
			h, _ := newHandler(t, cfg, fake, true)
			rec := do(h, http.MethodPost, tt.path, tt.contentType, tt.body)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
			}
			p := decodeProblem(t, rec)
			if !strings.HasSuffix(p.Type, "#problem-"+tt.wantType) {
				t.Errorf("type = %q, want suffix %q", p.Type, tt.wantType)
			}
			if tt.wantField != "" {
				if len(p.Errors) == 0 || p.Errors[0].Field != tt.wantField || p.Errors[0].Reason == "" {
					t.Errorf("errors = %+v, want field %q with a reason", p.Errors, tt.wantField)
				}
			}
			if n := fake.calls.Load(); n != 0 {
				t.Errorf("verifier called %d times for a rejected request", n)
			}
		})
	}
}

func TestVerifyPassthrough(t *testing.T) {
	failed := &credential.Result{
		Verified: false,
		Checks:   []credential.Check{{Name: "proof", Passed: false, Message: "signature does not match"}},
		Warnings: []string{},
		Errors:   []string{"proof: signature does not match"},
	}
	tests := []struct {
		name        string
		path        string
		contentType string
		body        string
		res         *credential.Result
		wantRaw     string
		wantOpts    credential.VerifyOptions
	}{
		{"credential verified", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `}`, verifiedResult, vc, credential.VerifyOptions{}},
		{"credential not verified is still 200", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"options":{}}`, failed, vc, credential.VerifyOptions{}},
		{"credential null options", "/credentials/verify", jst, `{"verifiableCredential":` + vc + `,"options":null}`, verifiedResult, vc, credential.VerifyOptions{}},
		{"credential with charset and ld+json", "/credentials/verify", "application/ld+json; charset=UTF-8", `{"verifiableCredential":` + vc + `}`, verifiedResult, vc, credential.VerifyOptions{}},
		{"credential bytes kept as sent", "/credentials/verify", jst, `{"verifiableCredential": { "b":1, "a" : [ ] } }`, verifiedResult, `{ "b":1, "a" : [ ] }`, credential.VerifyOptions{}},
		{"presentation with challenge and domain", "/presentations/verify", jst,
			`{"verifiablePresentation":` + vp + `,"options":{"challenge":"n-0S6_WzA2Mj","domain":"hr.example.cn"}}`,
			verifiedResult, vp, credential.VerifyOptions{Challenge: "n-0S6_WzA2Mj", Domain: "hr.example.cn"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := &fakeVerifier{res: tt.res}
			h, _ := newHandler(t, ui.DefaultConfig(), fake, true)
			rec := do(h, http.MethodPost, tt.path, tt.contentType, tt.body)
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d; body %s", rec.Code, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if string(fake.gotRaw) != tt.wantRaw {
				t.Errorf("verifier got raw %s, want %s", fake.gotRaw, tt.wantRaw)
			}
			if fake.gotOpts != tt.wantOpts {
				t.Errorf("verifier got options %+v, want %+v", fake.gotOpts, tt.wantOpts)
			}
			want, _ := json.Marshal(tt.res)
			if got := strings.TrimSpace(rec.Body.String()); got != string(want) {
				t.Errorf("body = %s, want %s", got, want)
			}
		})
	}
}

func TestVerifierErrors(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		panics     bool
		wantStatus int
		wantDetail string // a substring of the detail
		wantField  string
		mustHide   string // must not appear in the answer
	}{
		{"malformed document", fmt.Errorf("parse credential: %w", credential.ErrMalformed), false, 400, "malformed document", "", ""},
		{"input error names its field", fmt.Errorf("parse credential: %w", &credential.InputError{Field: "credentialSubject", Reason: "must be an object"}), false, 400, "credentialSubject", "credentialSubject", ""},
		{"unknown context", fmt.Errorf("load https://evil.example/ctx: %w", credential.ErrUnknownContext), false, 400, "unknown JSON-LD context", "", ""},
		{"client went away", fmt.Errorf("resolve: %w", context.Canceled), false, 499, "canceled", "", ""},
		{"deadline", fmt.Errorf("resolve: %w", context.DeadlineExceeded), false, 503, "too long", "", ""},
		{"internal error is hidden", errors.New("open /var/lib/talentchain/keys.db: permission denied"), false, 500, "request id", "", "permission denied"},
		{"nil result and nil error", nil, false, 500, "request id", "", ""},
		{"verifier panics", nil, true, 500, "request id", "", "exploded"},
	}
	for _, tt := range tests {
		for _, path := range []string{"/credentials/verify", "/presentations/verify"} {
			t.Run(tt.name+path, func(t *testing.T) {
				fake := &fakeVerifier{err: tt.err, panics: tt.panics}
				h, logs := newHandler(t, ui.DefaultConfig(), fake, true)
				body := `{"verifiableCredential":` + vc + `}`
				if strings.HasPrefix(path, "/presentations") {
					body = `{"verifiablePresentation":` + vp + `,"options":{"challenge":"c"}}`
				}
				rec := do(h, http.MethodPost, path, jst, body)
				if rec.Code != tt.wantStatus {
					t.Fatalf("status = %d, want %d; body %s", rec.Code, tt.wantStatus, rec.Body)
				}
				raw := rec.Body.String()
				p := decodeProblem(t, rec)
				if !strings.Contains(p.Detail, tt.wantDetail) {
					t.Errorf("detail = %q, want it to contain %q", p.Detail, tt.wantDetail)
				}
				if tt.wantField != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tt.wantField) {
					t.Errorf("errors = %+v, want field %q", p.Errors, tt.wantField)
				}
				if tt.mustHide != "" {
					if strings.Contains(raw, tt.mustHide) {
						t.Errorf("answer leaks %q: %s", tt.mustHide, raw)
					}
					if !strings.Contains(logs.String(), tt.mustHide) {
						t.Errorf("log lacks the internal error %q: %s", tt.mustHide, logs)
					}
				}
				if rec.Header().Get("X-Content-Type-Options") != "nosniff" {
					t.Error("security headers missing on an error answer")
				}
			})
		}
	}
}

func TestHealthz(t *testing.T) {
	tests := []struct {
		name       string
		ready      bool
		wantStatus int
	}{
		{"ready", true, 200},
		{"starting", false, 503},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(t, ui.DefaultConfig(), &fakeVerifier{}, tt.ready)
			rec := do(h, http.MethodGet, "/healthz", "", "")
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if tt.ready {
				if got := strings.TrimSpace(rec.Body.String()); got != `{"status":"ok"}` {
					t.Errorf("body = %s", got)
				}
			} else {
				decodeProblem(t, rec)
			}
		})
	}
}

func TestHeadersOnEveryResponse(t *testing.T) {
	tests := []struct {
		name, method, path string
		wantStatus         int
	}{
		{"landing page", http.MethodGet, "/", 200},
		{"health", http.MethodGet, "/healthz", 200},
		{"not found", http.MethodGet, "/nope", 404},
		{"method not allowed", http.MethodGet, "/credentials/verify", 405},
		{"bad request", http.MethodPost, "/credentials/verify", 415},
	}
	want := map[string]string{
		"X-Content-Type-Options": "nosniff",
		"Referrer-Policy":        "no-referrer",
		"X-Frame-Options":        "DENY",
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, _ := newHandler(t, ui.DefaultConfig(), &fakeVerifier{}, true)
			rec := do(h, tt.method, tt.path, "", "")
			if rec.Code != tt.wantStatus {
				t.Fatalf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			for k, v := range want {
				if got := rec.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if csp := rec.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
				t.Errorf("Content-Security-Policy = %q", csp)
			}
			if rec.Header().Get(ui.RequestIDHeader) == "" {
				t.Errorf("no %s", ui.RequestIDHeader)
			}
		})
	}
}

func TestRequestID(t *testing.T) {
	tests := []struct {
		name   string
		sent   string
		keepIt bool
	}{
		{"none sent", "", false},
		{"client token kept", "trace-42.a_b", true},
		{"header injection refused", "x\r\nSet-Cookie: a=b", false},
		{"log noise refused", `"}{"level":"ERROR"`, false},
		{"too long refused", strings.Repeat("a", 65), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, logs := newHandler(t, ui.DefaultConfig(), &fakeVerifier{}, true)
			req := httptest.NewRequest(http.MethodGet, "/healthz", nil)
			if tt.sent != "" {
				req.Header.Set(ui.RequestIDHeader, tt.sent)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			got := rec.Header().Get(ui.RequestIDHeader)
			if tt.keepIt != (got == tt.sent) || got == "" {
				t.Errorf("request id = %q (sent %q, keep %v)", got, tt.sent, tt.keepIt)
			}
			var line struct {
				Msg       string `json:"msg"`
				Method    string `json:"method"`
				Path      string `json:"path"`
				Status    int    `json:"status"`
				Duration  int64  `json:"duration"`
				RequestID string `json:"request_id"`
			}
			if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
				t.Fatalf("log line %q: %v", logs, err)
			}
			if line.Msg != "http request" || line.Method != "GET" || line.Path != "/healthz" || line.Status != 200 || line.RequestID != got {
				t.Errorf("log line = %+v", line)
			}
		})
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	ready := func() bool { return true }
	tiny := ui.DefaultConfig()
	tiny.MaxBodyBytes = 10
	noTimeout := ui.DefaultConfig()
	noTimeout.VerifyTimeout = 0
	tests := []struct {
		name  string
		cfg   ui.Config
		v     ui.Verifier
		ready ui.Ready
		log   *slog.Logger
	}{
		{"zero config", ui.Config{}, &fakeVerifier{}, ready, log},
		{"body limit too small", tiny, &fakeVerifier{}, ready, log},
		{"no verify timeout", noTimeout, &fakeVerifier{}, ready, log},
		{"nil verifier", ui.DefaultConfig(), nil, ready, log},
		{"nil ready", ui.DefaultConfig(), &fakeVerifier{}, nil, log},
		{"nil logger", ui.DefaultConfig(), &fakeVerifier{}, ready, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ui.New(tt.cfg, tt.v, tt.ready, tt.log); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}
