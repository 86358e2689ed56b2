package vcjwt

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

func TestDetectAndVerifyAnyFormat(t *testing.T) {
	ctx := context.Background()
	issuer, holder := newParty(t, false), newParty(t, true)
	vc, _ := SignCredential(issuer.signer, degree2(issuer.did, holder.did))
	vc11, _ := SignCredential11(issuer.signer, degree11(issuer.did, holder.did), t0)
	vp, _ := SignPresentation(holder.signer, presentation2(holder.did, Envelope(MediaVC, vc)), challenge, domain)
	vp11, _ := SignPresentation11(holder.signer, map[string]any{"@context": []any{credential.ContextV1}, "type": "VerifiablePresentation", "verifiableCredential": []any{vc11}}, challenge, domain, t0)
	sd, err := sdjwt.IssueVC(issuer.signer, sdjwt.VC{Issuer: issuer.did, Type: "urn:talentchain:degree", IssuedAt: t0, Claims: map[string]any{"degree": "MEng"}, Disclosable: []string{"/degree"}, Holder: holder.key.Public()})
	if err != nil {
		t.Fatal(err)
	}
	sdPres, err := sdjwt.Present(sd, []string{"/degree"}, &sdjwt.KeyBinding{Signer: holder.signer, Audience: domain, Nonce: challenge, IssuedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	envVC, _ := json.Marshal(Envelope(MediaVC, vc))
	envVP, _ := json.Marshal(Envelope(MediaVP, vp))
	quoted, _ := json.Marshal(vc)
	ld, _ := json.Marshal(degree2(issuer.did, holder.did))

	tests := []struct {
		name   string
		raw    string
		format Format
		verify bool
	}{
		{"vc+jwt", vc, FormatVCJWT, true},
		{"vc+jwt with spaces", "  " + vc + "\n", FormatVCJWT, true},
		{"VC-JWT 1.1", vc11, FormatVCJWT11, true},
		{"vp+jwt", vp, FormatVPJWT, true},
		{"VP-JWT 1.1", vp11, FormatVPJWT11, true},
		{"SD-JWT VC with key binding", sdPres, FormatSDJWT, true},
		{"enveloped credential", string(envVC), FormatEnvelopedVC, true},
		{"enveloped presentation", string(envVP), FormatEnvelopedVP, true},
		{"data: URL of a vc+jwt", DataURL(MediaVC, vc), FormatDataURLVC, true},
		{"data: URL of an SD-JWT", DataURL(MediaSDJWT, sdPres), FormatDataURLVC, true},
		{"data: URL of a vp+jwt", DataURL(MediaVP, vp), FormatDataURLVP, true},
		{"JSON string holding a vc+jwt", string(quoted), FormatVCJWT, true},
		{"JSON-LD document", string(ld), FormatJSONLD, false},
		{"data: URL of text", "data:text/plain,hello", FormatDataURLUnknown, false},
		{"plain JWT", must(issuer.signer.SignJSON(nil, map[string]any{"sub": "x"})), FormatUnknown, false},
		{"alg none", jose.Encode([]byte(`{"alg":"none","typ":"vc+jwt"}`)) + ".e30.", FormatUnknown, false},
		{"garbage", "hello world", FormatUnknown, false},
		{"empty", "", FormatUnknown, false},
		{"JSON array", "[1]", FormatUnknown, false},
	}
	v := newVerifier(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Detect([]byte(tt.raw)); got != tt.format {
				t.Fatalf("Detect = %q, want %q", got, tt.format)
			}
			got, err := v.Verify(ctx, []byte(tt.raw), want)
			if !tt.verify {
				if !errors.Is(err, credential.ErrMalformed) {
					t.Fatalf("want ErrMalformed, got %v", err)
				}
				return
			}
			mustVerified(t, got, err)
			if got.Document == nil {
				t.Fatal("no document")
			}
		})
	}
}

func TestDataURLAndEnvelope(t *testing.T) {
	for _, tt := range []struct {
		in, mt, data string
		ok           bool
	}{
		{"data:application/vc+jwt,a.b.c", MediaVC, "a.b.c", true},
		{"data:Application/VC+JWT,a.b.c", MediaVC, "a.b.c", true},
		{"data:application/vc+sd-jwt,a.b.c~d~", MediaSDJWT, "a.b.c~d~", true},
		{"data:application/vc+jwt;base64,YS5iLmM=", "", "", false},
		{"data:,a.b.c", "", "", false},
		{"data:application/vc+jwt,", "", "", false},
		{"data:application/vc+jwt,a.b.c%20", "", "", false},
		{"data:application/vc+jwt", "", "", false},
		{"https://example.com/vc", "", "", false},
	} {
		mt, data, err := ParseDataURL(tt.in)
		if (err == nil) != tt.ok || mt != tt.mt || data != tt.data {
			t.Errorf("%s: %q %q %v", tt.in, mt, data, err)
		}
		if err != nil && !errors.Is(err, credential.ErrMalformed) {
			t.Errorf("%s: %v does not wrap ErrMalformed", tt.in, err)
		}
	}
	env := Envelope(MediaVC, "a.b.c")
	if mt, tok, err := Unenvelope(env); err != nil || mt != MediaVC || tok != "a.b.c" {
		t.Fatalf("round trip: %q %q %v", mt, tok, err)
	}
	for name, doc := range map[string]map[string]any{
		"presentation type, credential media type": {"@context": credential.ContextV2, "type": EnvelopedPresentation, "id": DataURL(MediaVC, "a.b.c")},
		"credential type, presentation media type": {"@context": credential.ContextV2, "type": EnvelopedCredential, "id": DataURL(MediaVP, "a.b.c")},
		"no context":        {"type": EnvelopedCredential, "id": DataURL(MediaVC, "a.b.c")},
		"id not a data URL": {"@context": credential.ContextV2, "type": EnvelopedCredential, "id": "https://example.com/vc"},
		"not enveloped":     {"@context": credential.ContextV2, "type": "VerifiableCredential"},
	} {
		if _, _, err := Unenvelope(doc); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
