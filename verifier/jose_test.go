package verifier_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/issuer"
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

// TestSDJWTTalentIssuer runs SD-JWT VCs issued by the issuer service for a
// did:talent organisation through the whole pipeline: issuer accredited on
// chain, key in force at issuance, anchor receipt over the issuer-signed
// JWT, and the status claim mapped to the chain's lists — then suspension
// and revocation.
func TestSDJWTTalentIssuer(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t)
	res := verifier.HistoryResolver(e.node.Client(), -1)
	sd, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	v := e.verifier(t, func(c *verifier.Config) { c.Formats, c.PresentationFormats = verifier.JOSEFormats(nil, sd) })
	uni := e.org(t, "DegreeCredential:master")
	holder := newJOSEParty(t)
	req := masterDegree(holder.did)
	req.Format = issuer.FormatSDJWT
	req.Subject["degree"].(map[string]any)["grade"] = "A"
	rec := e.issue(t, uni.DID, req)
	var compact string
	if err := json.Unmarshal(rec.Credential, &compact); err != nil || !strings.Contains(compact, "~") {
		t.Fatalf("credential %s: %v", rec.Credential, err)
	}
	// The anchored digest is SHA-256 of the issuer-signed JWT.
	jwt, _, _ := strings.Cut(compact, "~")
	if d := sha256.Sum256([]byte(jwt)); rec.Receipt.Digest != hex.EncodeToString(d[:]) {
		t.Fatalf("receipt digest %s is not SHA-256 of the issuer JWT", rec.Receipt.Digest)
	}
	verify := func(t *testing.T, raw string, receipt *credential.AnchorReceipt) *verifier.Report {
		t.Helper()
		rep, err := v.VerifyCredential(ctx, []byte(raw), verifier.Options{Receipt: receipt})
		if err != nil {
			t.Fatal(err)
		}
		return rep
	}
	want := func(t *testing.T, rep *verifier.Report, state verifier.State, steps map[string]verifier.StepState) {
		t.Helper()
		if rep.State != state {
			t.Fatalf("state %s, want %s: %s", rep.State, state, steps2(rep))
		}
		for name, st := range steps {
			if s := stepOf(rep, name); s == nil || s.State != st {
				t.Fatalf("step %s: %+v, want %s: %s", name, s, st, steps2(rep))
			}
		}
	}
	allOK := map[string]verifier.StepState{
		verifier.StepFormat: verifier.StepOK, verifier.StepProof: verifier.StepOK, verifier.StepIssuer: verifier.StepOK,
		verifier.StepKey: verifier.StepOK, verifier.StepAnchor: verifier.StepOK, verifier.StepStatus: verifier.StepOK,
		verifier.StepValidity: verifier.StepOK,
	}
	t.Run("issued: every step passes", func(t *testing.T) {
		rep := verify(t, compact, rec.Receipt)
		want(t, rep, verifier.StateValid, allOK)
		lists := stepOf(rep, verifier.StepStatus).Details["lists"].([]map[string]any)
		if len(lists) != 2 || !strings.HasSuffix(lists[0]["statusListCredential"].(string), "/status/"+uni.DID+"/rev-0") ||
			!strings.HasSuffix(lists[1]["statusListCredential"].(string), "/status/"+uni.DID+"/sus-0") {
			t.Fatalf("status lists %v", lists)
		}
	})
	t.Run("presented with only the degree level: valid, grade not disclosed", func(t *testing.T) {
		p, err := sdjwt.Present(compact, []string{"/degree/level"}, &sdjwt.KeyBinding{Signer: holder.signer, Audience: "hr.example.com", Nonce: "n-1"})
		if err != nil {
			t.Fatal(err)
		}
		rep, err := v.VerifyPresentation(ctx, []byte(p), verifier.Options{Challenge: "n-1", Domain: "hr.example.com",
			Receipts: map[string]*credential.AnchorReceipt{rec.ID: rec.Receipt}})
		if err != nil {
			t.Fatal(err)
		}
		if rep.State != verifier.StateValid || len(rep.Credentials) != 1 || rep.Holder != holder.did {
			t.Fatalf("presentation %s holder %s: %s", rep.State, rep.Holder, steps2(rep))
		}
		want(t, rep.Credentials[0], verifier.StateValid, allOK)
		// The level is always visible: nothing needs disclosing, and the
		// grade, the name and the rest stay hidden.
		if parsed, err := sdjwt.Parse(p); err != nil || len(parsed.Disclosures) != 0 || parsed.KeyBinding == nil {
			t.Fatalf("the presentation discloses more than the level: %s (%v)", p, err)
		}
		if doc := rep.Credentials[0].Document; doc != nil {
			subj, _ := doc["credentialSubject"].(map[string]any)
			deg, _ := subj["degree"].(map[string]any)
			if deg["level"] != "master" || deg["grade"] != nil || subj["fullName"] != nil {
				t.Fatalf("disclosed subject %v", subj)
			}
		}
	})
	t.Run("a forged receipt fails the anchor", func(t *testing.T) {
		forged := *rec.Receipt
		forged.Digest = strings.Repeat("ab", 32)
		rep := verify(t, compact, &forged)
		if rep.State != verifier.StateInvalid || stepOf(rep, verifier.StepAnchor).State != verifier.StepFailed {
			t.Fatalf("forged receipt: %s", steps2(rep))
		}
	})
	t.Run("suspended, reinstated, revoked", func(t *testing.T) {
		e.setStatus(t, uni.DID, rec.ID, issuer.StatusSuspended)
		rep := verify(t, compact, rec.Receipt)
		if rep.State != verifier.StateInvalid || stepOf(rep, verifier.StepStatus).State != verifier.StepFailed ||
			!strings.Contains(stepOf(rep, verifier.StepStatus).MessageEN, "Suspended") {
			t.Fatalf("suspended: %s", steps2(rep))
		}
		e.setStatus(t, uni.DID, rec.ID, issuer.StatusActive)
		want(t, verify(t, compact, rec.Receipt), verifier.StateValid, allOK)
		e.setStatus(t, uni.DID, rec.ID, issuer.StatusRevoked)
		rep = verify(t, compact, rec.Receipt)
		if rep.State != verifier.StateInvalid || !strings.Contains(stepOf(rep, verifier.StepStatus).MessageEN, "Revoked") {
			t.Fatalf("revoked: %s", steps2(rep))
		}
	})
	t.Run("status claims", func(t *testing.T) {
		other := newJOSEParty(t)
		cases := []struct {
			name   string
			status map[string]any
			state  verifier.StepState
		}{
			{"a list not on TalentChain: not checkable", map[string]any{"status_list": map[string]any{"idx": 3, "uri": "https://status.example.com/lists/1"}}, verifier.StepWarning},
			{"idx not a number: malformed", map[string]any{"status_list": map[string]any{"idx": "3", "uri": "https://status.example.com/lists/1"}}, verifier.StepFailed},
			{"no status_list: malformed", map[string]any{"other": true}, verifier.StepFailed},
			{"negative idx: malformed", map[string]any{"status_list": map[string]any{"idx": -1, "uri": "https://status.example.com/rev-0"}}, verifier.StepFailed},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				issued, err := sdjwt.IssueVC(other.signer, sdjwt.VC{Issuer: other.did, Type: verifier.VCTPrefix + "degree", Status: c.status,
					Claims: map[string]any{"x": 1}})
				if err != nil {
					t.Fatal(err)
				}
				rep := verify(t, issued, nil)
				if s := stepOf(rep, verifier.StepStatus); s == nil || s.State != c.state {
					t.Fatalf("status step %+v, want %s: %s", s, c.state, steps2(rep))
				}
			})
		}
	})
}

func steps2(r *verifier.Report) string {
	var sb strings.Builder
	for _, s := range r.Steps {
		fmt.Fprintf(&sb, "%s=%s (%s) ", s.Name, s.State, s.MessageEN)
	}
	return sb.String()
}
