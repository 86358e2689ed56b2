package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"testing"
	"unicode/utf8"

	"github.com/talentchain/talentchain/credential"
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

// FuzzNoDuplicateMembers: the request reader's duplicate check agrees with
// the credential reader's. A JSON object the credential reader accepts has
// no duplicate member, so the request reader must not refuse it; a
// duplicate the credential reader finds, the request reader finds too.
func FuzzNoDuplicateMembers(f *testing.F) {
	for _, s := range []string{
		`{"a":1,"a":2}`, `{"a":{"b":1,"b":1}}`, `{"a":[{"b":1},{"b":2}]}`, `{"a":[{"b":1,"b":2}]}`,
		`{"a":"b","b":"a"}`, `{"a":{},"b":{"a":1}}`, `{"":1,"":2}`, `{"a\u0062":1,"ab":2}`, `{}`, `[]`, `{"a":[1,{"c":[]}],"c":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		err := noDuplicateMembers(b)
		_, perr := credential.ParseDocument(b)
		var ie *credential.InputError
		switch {
		case perr == nil && err != nil:
			t.Fatalf("refused %q, which has no duplicate member: %v", b, err)
		case errors.As(perr, &ie) && ie.Reason == "duplicate member name" && err == nil:
			t.Fatalf("missed the duplicate %s in %q", ie.Field, b)
		}
		if err != nil {
			if p := problemFor(err); p.Status != http.StatusBadRequest || len(p.Errors) != 1 {
				t.Fatalf("%v maps to %+v, want a 400 naming the member", err, p)
			}
		}
	})
}
