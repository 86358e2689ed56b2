package ui

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"
	"unicode/utf8"
)

// FuzzDecodeVerifyRequest feeds arbitrary bodies to the request decoder. It must
// never panic; a body it accepts carries a JSON object and valid options; a body
// it refuses maps to a 400 problem naming what is wrong.
func FuzzDecodeVerifyRequest(f *testing.F) {
	for _, seed := range []string{
		`{"verifiableCredential":{"@context":["https://www.w3.org/ns/credentials/v2"]}}`,
		`{"verifiablePresentation":{},"options":{"challenge":"abc","domain":"hr.example.cn"}}`,
		`{"verifiableCredential":{},"options":{"challenge":1}}`,
		`{"verifiableCredential":{},"options":{"x":{"y":1}}}`,
		`{"verifiableCredential":"x"}`,
		`{"verifiableCredential":{}} {}`,
		`[]`, `null`, ``, `{`, "\xff",
	} {
		f.Add([]byte(seed))
	}
	h := &handler{cfg: DefaultConfig(), validate: newValidator()}
	f.Fuzz(func(t *testing.T, body []byte) {
		var creq credentialVerifyRequest
		check(t, h.decodeBody(body, &creq), creq.VerifiableCredential, creq.Options.Challenge)
		var preq presentationVerifyRequest
		err := h.decodeBody(body, &preq)
		check(t, err, preq.VerifiablePresentation, preq.Options.Challenge)
		if err == nil && preq.Options.Challenge == "" {
			t.Fatal("presentation accepted without a challenge")
		}
	})
}

func check(t *testing.T, err error, doc json.RawMessage, challenge string) {
	t.Helper()
	if err != nil {
		p := problemFor(err)
		if p.Status != http.StatusBadRequest || p.Detail == "" {
			t.Fatalf("decode error %v maps to %+v, want a 400 with a detail", err, p)
		}
		if p.Type == ProblemTypeBase+"validation" && len(p.Errors) == 0 {
			t.Fatalf("validation problem without fields for %v", err)
		}
		return
	}
	if !json.Valid(doc) || !bytes.HasPrefix(bytes.TrimLeft(doc, " \t\r\n"), []byte("{")) {
		t.Fatalf("accepted a document that is not a JSON object: %q", doc)
	}
	if n := utf8.RuneCountInString(challenge); n > 512 {
		t.Fatalf("accepted a challenge of %d characters", n)
	}
}
