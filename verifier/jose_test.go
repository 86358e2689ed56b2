package verifier_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/verifier"
)

// joseParty is a did:key with its JOSE signer.
type joseParty struct {
	did    string
	key    ed25519.PrivateKey
	signer *jose.Signer
}

func newJOSEParty(t testing.TB) *joseParty {
	t.Helper()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	did, vm, err := jose.DIDKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	s, err := jose.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	return &joseParty{did: did, key: key, signer: s}
}

// tamper changes one claim of a compact JWS's payload and keeps its
// signature.
func tamper(t testing.TB, jws string, edit func(map[string]any)) string {
	t.Helper()
	parts := strings.Split(jws, ".")
	raw, err := jose.Decode(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	edit(claims)
	parts[1] = jose.Encode(mustJSON(t, claims))
	return strings.Join(parts, ".")
}

func TestJOSEFormats(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	res := verifier.HistoryResolver(e.node.Client(), -1)
	sd, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	jwt, err := vcjwt.NewVerifier(vcjwt.VerifierConfig{Resolver: res, Loader: credential.MustLoader(), SDJWT: sd})
	if err != nil {
		t.Fatal(err)
	}
	v := e.verifier(t, func(c *verifier.Config) { c.Formats, c.PresentationFormats = verifier.JOSEFormats(jwt, sd) })

	iss, holder := newJOSEParty(t), newJOSEParty(t)
	training := func(validUntil string) map[string]any {
		d := map[string]any{
			"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
			"type":              []any{"VerifiableCredential", "TrainingCertificateCredential"},
			"issuer":            iss.did,
			"credentialSubject": map[string]any{"id": holder.did, "result": "pass"},
			"validFrom":         "2026-01-01T00:00:00Z",
		}
		if validUntil != "" {
			d["validUntil"] = validUntil
		}
		return d
	}
	vcJWT, err := vcjwt.SignCredential(iss.signer, training(""))
	if err != nil {
		t.Fatal(err)
	}
	expiredJWT, err := vcjwt.SignCredential(iss.signer, training("2026-02-01T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issued, err := sdjwt.IssueVC(iss.signer, sdjwt.VC{
		Issuer: iss.did, Type: verifier.VCTPrefix + "trainingCertificate", Subject: holder.did,
		IssuedAt: now.Add(-time.Hour), Expires: now.AddDate(1, 0, 0),
		Claims:      map[string]any{"result": "pass", "course": "Go"},
		Disclosable: []string{"/result", "/course"}, Holder: holder.key.Public(),
	})
	if err != nil {
		t.Fatal(err)
	}
	issuerJWT, rest, _ := strings.Cut(issued, "~")
	tamperedSD := tamper(t, issuerJWT, func(c map[string]any) { c["sub"] = "did:example:someone-else" }) + "~" + rest

	const accreditedWarning = "Issuer not accredited on TalentChain"
	credCases := []struct {
		name  string
		raw   []byte
		state verifier.State
		want  map[string]verifier.StepState
		types []string
	}{
		{
			name: "vc+jwt of a did:key issuer: valid, with the issuer warning", raw: []byte(vcJWT), state: verifier.StateWarning,
			want: map[string]verifier.StepState{verifier.StepFormat: verifier.StepOK, verifier.StepProof: verifier.StepOK, verifier.StepIssuer: verifier.StepWarning,
				verifier.StepKey: verifier.StepSkipped, verifier.StepAnchor: verifier.StepSkipped, verifier.StepValidity: verifier.StepOK},
			types: []string{"TrainingCertificateCredential"},
		},
		{
			name: "vc+jwt enveloped in a data: URL", raw: mustJSON(t, vcjwt.Envelope(vcjwt.MediaVC, vcJWT)), state: verifier.StateWarning,
			want: map[string]verifier.StepState{verifier.StepProof: verifier.StepOK, verifier.StepIssuer: verifier.StepWarning},
		},
		{
			name: "vc+jwt tampered after signing: the proof fails",
			raw: []byte(tamper(t, vcJWT, func(c map[string]any) {
				c["credentialSubject"].(map[string]any)["result"] = "distinction"
			})),
			state: verifier.StateInvalid, want: map[string]verifier.StepState{verifier.StepFormat: verifier.StepOK, verifier.StepProof: verifier.StepFailed},
		},
		{
			name: "vc+jwt expired", raw: []byte(expiredJWT), state: verifier.StateInvalid,
			want: map[string]verifier.StepState{verifier.StepProof: verifier.StepOK, verifier.StepValidity: verifier.StepFailed},
		},
		{
			name: "SD-JWT VC of a did:key issuer: valid, with the issuer warning", raw: []byte(issued), state: verifier.StateWarning,
			want: map[string]verifier.StepState{verifier.StepFormat: verifier.StepOK, verifier.StepProof: verifier.StepOK, verifier.StepIssuer: verifier.StepWarning,
				verifier.StepKey: verifier.StepSkipped, verifier.StepValidity: verifier.StepOK},
			types: []string{"TrainingCertificateCredential"},
		},
		{
			name: "SD-JWT VC tampered after signing: the proof fails", raw: []byte(tamperedSD), state: verifier.StateInvalid,
			want: map[string]verifier.StepState{verifier.StepProof: verifier.StepFailed},
		},
	}
	for _, tc := range credCases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := v.VerifyCredential(ctx, tc.raw, verifier.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.State != tc.state {
				t.Fatalf("state %s, want %s: %s", rep.State, tc.state, steps(rep))
			}
			for name, st := range tc.want {
				if got := stepOf(rep, name); got == nil || got.State != st {
					t.Errorf("step %s: %v, want %s (%s)", name, got, st, steps(rep))
				}
			}
			if tc.state == verifier.StateWarning {
				if s := stepOf(rep, verifier.StepIssuer); s == nil || !strings.Contains(s.MessageEN, accreditedWarning) {
					t.Errorf("issuer step %+v lacks %q", s, accreditedWarning)
				}
				if rep.Issuer != iss.did || rep.Holder != holder.did {
					t.Errorf("issuer %q holder %q", rep.Issuer, rep.Holder)
				}
			}
			for _, ty := range tc.types {
				if !contains(rep.Types, ty) {
					t.Errorf("types %v lack %s", rep.Types, ty)
				}
			}
			checkMessages(t, rep)
		})
	}

	// Presentations.
	const domain = "verifier.example.cn"
	vpJWT := func(challenge string) []byte {
		vp := map[string]any{
			"@context":             []any{credential.ContextV2},
			"type":                 []any{"VerifiablePresentation"},
			"holder":               holder.did,
			"verifiableCredential": []any{vcjwt.Envelope(vcjwt.MediaVC, vcJWT)},
		}
		tok, err := vcjwt.SignPresentation(holder.signer, vp, challenge, domain)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(tok)
	}
	sdPresentation := func(nonce string, kb bool) []byte {
		var b *sdjwt.KeyBinding
		if kb {
			b = &sdjwt.KeyBinding{Signer: holder.signer, Audience: domain, Nonce: nonce}
		}
		p, err := sdjwt.Present(issued, []string{"/result"}, b)
		if err != nil {
			t.Fatal(err)
		}
		return []byte(p)
	}
	type pcase struct {
		name      string
		raw       []byte
		challenge string
		state     verifier.State
		want      map[string]verifier.StepState
		credState verifier.State // of the one credential, when the presentation's proof verified
	}
	c1, c2, c3 := "c-"+randHex(8), "c-"+randHex(8), "c-"+randHex(8)
	pcases := []pcase{
		{
			name: "vp+jwt answering the challenge", raw: vpJWT(c1), challenge: c1, state: verifier.StateWarning,
			want: map[string]verifier.StepState{verifier.StepProof: verifier.StepOK, verifier.StepChallenge: verifier.StepOK,
				verifier.StepDomain: verifier.StepOK, verifier.StepHolder: verifier.StepOK, verifier.StepReplay: verifier.StepOK},
			credState: verifier.StateWarning,
		},
		{
			name: "the same vp+jwt again: a replay", raw: vpJWT(c1), challenge: c1, state: verifier.StateInvalid,
			want: map[string]verifier.StepState{verifier.StepChallenge: verifier.StepOK, verifier.StepReplay: verifier.StepFailed},
		},
		{
			name: "vp+jwt with another nonce", raw: vpJWT("c-old"), challenge: c2, state: verifier.StateInvalid,
			want: map[string]verifier.StepState{verifier.StepChallenge: verifier.StepFailed, verifier.StepReplay: verifier.StepSkipped},
		},
		{
			name: "SD-JWT with key binding answering the challenge", raw: sdPresentation(c3, true), challenge: c3, state: verifier.StateWarning,
			want: map[string]verifier.StepState{verifier.StepProof: verifier.StepOK, verifier.StepChallenge: verifier.StepOK,
				verifier.StepDomain: verifier.StepOK, verifier.StepHolder: verifier.StepOK, verifier.StepReplay: verifier.StepOK},
			credState: verifier.StateWarning,
		},
		{
			name: "SD-JWT with key binding for another nonce", raw: sdPresentation("c-old", true), challenge: c2, state: verifier.StateInvalid,
			want: map[string]verifier.StepState{verifier.StepChallenge: verifier.StepFailed, verifier.StepReplay: verifier.StepSkipped},
		},
		{
			name: "SD-JWT without key binding is no presentation", raw: sdPresentation("", false), challenge: c2, state: verifier.StateInvalid,
			want: map[string]verifier.StepState{verifier.StepProof: verifier.StepFailed},
		},
	}
	for _, tc := range pcases {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := v.VerifyPresentation(ctx, tc.raw, verifier.Options{Challenge: tc.challenge, Domain: domain})
			if err != nil {
				t.Fatal(err)
			}
			if rep.State != tc.state {
				t.Fatalf("state %s, want %s: %s", rep.State, tc.state, steps(rep))
			}
			for name, st := range tc.want {
				if got := stepOf(rep, name); got == nil || got.State != st {
					t.Errorf("step %s: %v, want %s (%s)", name, got, st, steps(rep))
				}
			}
			if tc.credState != "" {
				if len(rep.Credentials) != 1 {
					t.Fatalf("%d credential reports", len(rep.Credentials))
				}
				cr := rep.Credentials[0]
				if cr.State != tc.credState || cr.Issuer != iss.did || stepOf(cr, verifier.StepProof).State != verifier.StepOK {
					t.Errorf("credential %s by %s: %s", cr.State, cr.Issuer, steps(cr))
				}
				if rep.Holder != holder.did {
					t.Errorf("holder %q, want %q", rep.Holder, holder.did)
				}
			}
			checkMessages(t, rep)
		})
	}
}

func stepOf(r *verifier.Report, name string) *verifier.Step {
	for i := range r.Steps {
		if r.Steps[i].Name == name {
			return &r.Steps[i]
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
