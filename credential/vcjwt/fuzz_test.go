package vcjwt

import (
	"context"
	"errors"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// FuzzDetectVerify feeds arbitrary input to Detect and to Verify: neither may
// panic, Verify fails only with a malformed-input error, and whatever Detect
// cannot read, Verify refuses.
func FuzzDetectVerify(f *testing.F) {
	issuer, holder := newParty(f, false), newParty(f, true)
	vc, _ := SignCredential(issuer.signer, degree2(issuer.did, holder.did))
	vc11, _ := SignCredential11(issuer.signer, degree11(issuer.did, holder.did), t0)
	vp, _ := SignPresentation(holder.signer, presentation2(holder.did, Envelope(MediaVC, vc)), challenge, domain)
	for _, s := range []string{vc, vc11, vp, DataURL(MediaVC, vc), `{"@context":"https://www.w3.org/ns/credentials/v2","type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,` + vc + `"}`, `"` + vc + `"`, "data:,", "a~b~"} {
		f.Add([]byte(s))
	}
	v, err := NewVerifier(VerifierConfig{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		format := Detect(raw)
		got, err := v.Verify(context.Background(), raw, credential.VerifyOptions{Challenge: challenge, Domain: domain, Now: t0})
		if err != nil {
			if !errors.Is(err, credential.ErrMalformed) && !errors.Is(err, jose.ErrAlgorithm) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if format == FormatUnknown {
			t.Fatalf("Verify read what Detect could not: %q", raw)
		}
		if got.Result == nil {
			t.Fatal("no result")
		}
	})
}

// FuzzParseDataURL checks the data: URL parser on arbitrary input.
func FuzzParseDataURL(f *testing.F) {
	f.Add("data:application/vc+jwt,a.b.c")
	f.Add("data:application/vc+sd-jwt,a.b.c~d~")
	f.Add("data:;base64,")
	f.Fuzz(func(t *testing.T, s string) {
		mt, data, err := ParseDataURL(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if mt == "" || data == "" || DataURL(mt, data) != "data:"+mt+","+data {
			t.Fatalf("accepted %q as %q %q", s, mt, data)
		}
	})
}
