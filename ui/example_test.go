package ui_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/ui"
)

// exampleVerifier accepts every credential; a real node passes *credential.Verifier.
type exampleVerifier struct{}

func (exampleVerifier) VerifyCredential(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return &credential.Result{Verified: true, Checks: []credential.Check{{Name: "proof", Passed: true, Message: "ok"}}, Warnings: []string{}, Errors: []string{}}, nil
}

func (exampleVerifier) VerifyPresentation(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return nil, credential.ErrMalformed
}

func ExampleNew() {
	h, err := ui.New(ui.DefaultConfig(), exampleVerifier{}, func() bool { return true }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	post := func(path, body string) {
		resp, err := http.Post(srv.URL+path, "application/json", strings.NewReader(body))
		if err != nil {
			panic(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		fmt.Println(resp.StatusCode, resp.Header.Get("Content-Type"))
		fmt.Print(string(b))
	}
	post("/credentials/verify", `{"verifiableCredential": {"type": ["VerifiableCredential"]}}`)
	post("/presentations/verify", `{"verifiablePresentation": {}}`)
	// Output:
	// 200 application/json
	// {"verified":true,"checks":[{"name":"proof","passed":true,"message":"ok"}],"warnings":[],"errors":[]}
	// 400 application/problem+json
	// {"type":"https://github.com/talentchain/talentchain/blob/main/docs/api.md#problem-validation","title":"Invalid request","status":400,"detail":"Some fields of the request are missing or invalid.","errors":[{"field":"options.challenge","reason":"is required"}]}
}
