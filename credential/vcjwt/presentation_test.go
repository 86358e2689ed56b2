package vcjwt

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

const (
	challenge = "c-7f3a9d2e"
	domain    = "hr.example.com"
)

var want = credential.VerifyOptions{Challenge: challenge, Domain: domain}

func presentation2(holder string, creds ...any) map[string]any {
	vp := map[string]any{
		"@context":             []any{credential.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"verifiableCredential": creds,
	}
	if holder != "" {
		vp["holder"] = holder
	}
	return vp
}

func TestPresentation(t *testing.T) {
	ctx := context.Background()
	issuer, holder, other := newParty(t, false), newParty(t, true), newParty(t, false)
	vcTok, err := SignCredential(issuer.signer, degree2(issuer.did, holder.did))
	if err != nil {
		t.Fatal(err)
	}
	sdTok, err := sdjwt.IssueVC(issuer.signer, sdjwt.VC{Issuer: issuer.did, Type: "https://w3id.org/talentchain/vct/degree", IssuedAt: t0.Add(-time.Hour), Claims: map[string]any{"degree": "MEng"}, Disclosable: []string{"/degree"}})
	if err != nil {
		t.Fatal(err)
	}
	tampered := strings.Replace(vcTok, ".", "."+jose.Encode([]byte(`{"x":1}`))[:4], 1)
	_ = tampered
	vcParts := strings.Split(vcTok, ".")
	forgedVC := vcParts[0] + "." + jose.Encode([]byte(strings.Replace(string(must(jose.Decode(vcParts[1]))), "Zhang San", "Li Si", 1))) + "." + vcParts[2]

	vp := presentation2(holder.did, Envelope(MediaVC, vcTok), Envelope(MediaSDJWT, sdTok))
	tok, err := SignPresentation(holder.signer, vp, challenge, domain)
	if err != nil {
		t.Fatal(err)
	}
	v := newVerifier(t, nil)
	got, err := v.VerifyPresentation(ctx, tok, want)
	mustVerified(t, got, err)
	for _, name := range []string{credential.CheckHolderKey, credential.CheckChallenge, credential.CheckDomain, "credential[0].proof", "credential[1].proof", "credential[1].disclosures"} {
		if !hasPassed(got.Result, name) {
			t.Fatalf("%s not passed: %+v", name, got.Result.Checks)
		}
	}

	// VCDM 1.1: a VP-JWT with a VC-JWT string inside.
	vc11, err := SignCredential11(issuer.signer, degree11(issuer.did, holder.did), t0)
	if err != nil {
		t.Fatal(err)
	}
	vp11 := map[string]any{"@context": []any{credential.ContextV1}, "type": []any{"VerifiablePresentation"}, "verifiableCredential": []any{vc11}}
	tok11, err := SignPresentation11(holder.signer, vp11, challenge, domain, t0)
	if err != nil {
		t.Fatal(err)
	}
	got, err = v.VerifyPresentation(ctx, tok11, want)
	mustVerified(t, got, err)
	if got.Format != FormatVPJWT11 || got.Document["holder"] != holder.did {
		t.Fatalf("1.1: %s %v", got.Format, got.Document)
	}

	otherSigner, _ := jose.NewSigner(other.key, other.vm)
	sign := func(vp map[string]any, s *jose.Signer, c, d string) string {
		t.Helper()
		out, err := SignPresentation(s, vp, c, d)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	notHolders := resign(t, otherSigner, tok, nil, nil)
	tests := []struct {
		name   string
		token  string
		opts   credential.VerifyOptions
		failed string
	}{
		{"other challenge", tok, credential.VerifyOptions{Challenge: "other", Domain: domain}, credential.CheckChallenge},
		{"no challenge expected", tok, credential.VerifyOptions{Domain: domain}, credential.CheckChallenge},
		{"other domain", tok, credential.VerifyOptions{Challenge: challenge, Domain: "evil.example"}, credential.CheckDomain},
		{"signed by another key than the holder's", notHolders, want, credential.CheckHolderKey},
		{"forged credential inside", sign(presentation2(holder.did, Envelope(MediaVC, forgedVC)), holder.signer, challenge, domain), want, "credential[0].proof"},
		{"credential of another issuer key inside", sign(presentation2(holder.did, Envelope(MediaVC, resign(t, otherSigner, vcTok, nil, nil))), holder.signer, challenge, domain), want, "credential[0].issuer-key"},
		{"presentation where a credential belongs", sign(presentation2(holder.did, Envelope(MediaVP, tok)), holder.signer, challenge, domain), want, "credential[0].format"},
		{"a string that is no token", sign(presentation2(holder.did, "hello"), holder.signer, challenge, domain), want, "credential[0].format"},
		{"a JSON-LD credential without a Data Integrity verifier", sign(presentation2(holder.did, degree2(issuer.did, holder.did)), holder.signer, challenge, domain), want, "credential[0].format"},
		{"1.1: other challenge", tok11, credential.VerifyOptions{Challenge: "other"}, credential.CheckChallenge},
		{"1.1: vp.holder contradicts iss", resign(t, holder.signer, tok11, nil, map[string]any{"vp": merge(vp11, map[string]any{"holder": other.did})}), want, CheckClaims},
		{"expired presentation", resign(t, holder.signer, tok, nil, map[string]any{"exp": float64(t0.Add(-time.Minute * 10).Unix())}), want, credential.CheckValidity},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := v.VerifyPresentation(ctx, tt.token, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got.Result.Verified || !got.Result.Failed(tt.failed) {
				t.Fatalf("want %s to fail, got %+v", tt.failed, got.Result.Checks)
			}
		})
	}

	// Without a holder the presentation is bound only to its key: a warning.
	anon := sign(presentation2("", Envelope(MediaVC, vcTok)), otherSigner, challenge, "")
	got, err = v.VerifyPresentation(ctx, anon, credential.VerifyOptions{Challenge: challenge})
	mustVerified(t, got, err)
	if len(got.Result.Warnings) == 0 {
		t.Fatal("no warning for a presentation without holder")
	}
}

func TestSignRefuses(t *testing.T) {
	issuer, other := newParty(t, false), newParty(t, false)
	noKid, _ := jose.NewSigner(issuer.key, "")
	withProof := degree2(issuer.did, "did:example:h")
	withProof["proof"] = map[string]any{"type": "DataIntegrityProof"}
	for name, f := range map[string]func() (string, error){
		"issuer is not the key's controller": func() (string, error) { return SignCredential(other.signer, degree2(issuer.did, "did:example:h")) },
		"signer without kid":                 func() (string, error) { return SignCredential(noKid, degree2(issuer.did, "did:example:h")) },
		"proof already there":                func() (string, error) { return SignCredential(issuer.signer, withProof) },
		"1.1 credential as vc+jwt":           func() (string, error) { return SignCredential(issuer.signer, degree11(issuer.did, "did:example:h")) },
		"2.0 credential as VC-JWT 1.1": func() (string, error) {
			return SignCredential11(issuer.signer, degree2(issuer.did, "did:example:h"), t0)
		},
		"presentation without challenge": func() (string, error) { return SignPresentation(issuer.signer, presentation2(issuer.did), "", domain) },
		"presentation of another holder": func() (string, error) {
			return SignPresentation(other.signer, presentation2(issuer.did), challenge, domain)
		},
	} {
		if _, err := f(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
