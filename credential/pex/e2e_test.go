package pex

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// TestEndToEndDataIntegrity runs the whole exchange with real eddsa-rdfc-2022
// signatures: the issuer signs a degree and a training certificate, the
// wallet matches them against the settlement definition and builds the
// submission, the holder signs the presentation, and the verifier checks the
// proofs (credential.Verifier) and then the submission (Evaluate).
func TestEndToEndDataIntegrity(t *testing.T) {
	ctx := context.Background()
	loader := credential.MustLoader()
	issuerKey, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	issuer, err := credential.NewSigner(loader, issuerKey)
	if err != nil {
		t.Fatal(err)
	}
	holderKey, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	holder, err := credential.NewSigner(loader, holderKey)
	if err != nil {
		t.Fatal(err)
	}
	holderDID, _, _ := strings.Cut(holder.VerificationMethod(), "#")
	now := time.Now()

	sign := func(typ string, subject map[string]any) map[string]any {
		subject["id"] = holderDID
		vc, err := issuer.SignCredential(map[string]any{
			"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
			"type":              []any{"VerifiableCredential", typ},
			"validFrom":         now.Add(-time.Hour).UTC().Format(time.RFC3339),
			"credentialSubject": subject,
		}, now.Add(-time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return vc
	}
	wallet := []Candidate{
		{ID: "master", Format: FormatLDPVC, Document: sign("DegreeCredential", map[string]any{
			"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree": map[string]any{"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"en": "Blockchain Engineering"}},
			"graduationDate": "2024-06-30",
		})},
		{ID: "training", Format: FormatLDPVC, Document: sign("TrainingCertificateCredential", map[string]any{
			"fullName": map[string]any{"en": "Zhang San"},
			"course": map[string]any{"type": "Course", "courseCode": "BC-201", "hours": 48,
				"title": map[string]any{"en": "Smart contract security"}, "skills": []any{"Solidity"}},
			"result": "pass",
		})},
	}
	def := loadDef(t, "testdata/talent/settlement.json")
	res, err := Match(ctx, def, wallet)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Satisfiable {
		t.Fatalf("not satisfiable: %+v", res.Requirements)
	}
	var choices []Choice
	for _, dr := range res.Descriptors {
		for _, m := range dr.Matches {
			i := slices.IndexFunc(wallet, func(c Candidate) bool { return c.ID == m.Candidate })
			choices = append(choices, Choice{Descriptor: dr.ID, Candidate: wallet[i]})
		}
	}
	sub, creds, err := Build(def, choices)
	if err != nil {
		t.Fatal(err)
	}
	vcs := make([]any, len(creds))
	for i, c := range creds {
		vcs[i] = c.Document
	}
	vp, err := holder.SignPresentation(map[string]any{
		"@context":             []any{credential.ContextV2},
		"type":                 []any{"VerifiablePresentation"},
		"holder":               holderDID,
		"verifiableCredential": vcs,
	}, "nonce-1", "hr.example.cn", now)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(vp)
	if err != nil {
		t.Fatal(err)
	}

	// the verifier's side: proofs first, then the definition
	verifier, err := credential.NewVerifier(credential.VerifierConfig{Loader: loader, Resolver: credential.KeyResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	vr, err := verifier.VerifyPresentation(ctx, raw, credential.VerifyOptions{Challenge: "nonce-1", Domain: "hr.example.cn"})
	if err != nil || !vr.Verified {
		t.Fatalf("presentation does not verify: %v %+v", err, vr)
	}
	received, err := credential.ParseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	subRaw, _ := json.Marshal(sub) // the submission travels beside the presentation
	gotSub, err := ParseSubmission(subRaw)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := Evaluate(ctx, def, gotSub, received)
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.Presented) != 2 || ev.Presented[0].Fields[1].Value != "master" {
		t.Errorf("evaluation = %+v", ev)
	}
}

// TestEndToEndSDJWT: the wallet matches an SD-JWT VC, discloses exactly the
// claims the limit_disclosure descriptor asks for, and the verifier's
// decoder verifies the SD-JWT (with key binding) before Evaluate reads it.
func TestEndToEndSDJWT(t *testing.T) {
	ctx := context.Background()
	_, issuerKey, _ := ed25519.GenerateKey(rand.Reader)
	issuerDID, issuerVM, err := jose.DIDKey(issuerKey.Public())
	if err != nil {
		t.Fatal(err)
	}
	university, err := jose.NewSigner(issuerKey, issuerVM)
	if err != nil {
		t.Fatal(err)
	}
	holderKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	walletKey, err := jose.NewSigner(holderKey, "")
	if err != nil {
		t.Fatal(err)
	}
	issued, err := sdjwt.IssueVC(university, sdjwt.VC{
		Issuer: issuerDID,
		Type:   "https://w3id.org/talentchain/vct/degree",
		Claims: map[string]any{
			"fullName":       map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree":         map[string]any{"type": "Degree", "level": "doctor", "fieldOfStudy": map[string]any{"en": "Cryptography"}},
			"graduationDate": "2023-07-01",
			"studentNumber":  "2019-0042",
		},
		Disclosable: []string{"/fullName", "/degree/level", "/degree/fieldOfStudy", "/graduationDate", "/studentNumber"},
		Holder:      &holderKey.PublicKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	v, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{})
	if err != nil {
		t.Fatal(err)
	}
	// the wallet reads its own credential with every disclosure
	own, err := v.Verify(ctx, issued, sdjwt.VerifyOptions{})
	if err != nil || !own.Result.Verified {
		t.Fatalf("issued SD-JWT: %v %+v", err, own)
	}
	alg, _ := own.Header["alg"].(string)

	// the verifier asks for the degree level only (and the type), in dc+sd-jwt
	def := mustNew(t, Definition{
		ID:     "hr-doctorate",
		Format: Formats{FormatDCSDJWT: {SDJWTAlgValues: []string{"EdDSA"}}},
		InputDescriptors: []InputDescriptor{{
			ID: "doctorate",
			Constraints: Constraints{LimitDisclosure: Required, Fields: []Field{
				{Path: []string{"$.vct"}, Filter: json.RawMessage(`{"const": "https://w3id.org/talentchain/vct/degree"}`)},
				{ID: "level", Path: []string{"$.degree.level"}, Filter: json.RawMessage(`{"const": "doctor"}`)},
			}},
		}},
	})
	cand := Candidate{ID: "phd", Format: FormatDCSDJWT, Document: own.Claims, Alg: alg}
	res, err := Match(ctx, def, []Candidate{cand})
	if err != nil || !res.Satisfiable {
		t.Fatalf("Match: %v %+v", err, res)
	}
	m := res.Descriptors[0].Matches[0]
	var pointers []string
	for _, loc := range m.Disclose {
		pointers = append(pointers, JSONPointer(loc))
	}
	if !slices.Equal(pointers, []string{"/vct", "/degree/level"}) {
		t.Fatalf("Disclose = %v", pointers)
	}
	sub, _, err := Build(def, []Choice{{Descriptor: "doctorate", Candidate: cand}})
	if err != nil {
		t.Fatal(err)
	}
	presented, err := sdjwt.Present(issued, pointers, &sdjwt.KeyBinding{Signer: walletKey, Audience: "https://hr.example.cn", Nonce: "n-42"})
	if err != nil {
		t.Fatal(err)
	}

	// the verifier: its decoder verifies the SD-JWT and its key binding
	decode := func(ctx context.Context, format string, el any) (map[string]any, string, error) {
		if format != FormatDCSDJWT && format != FormatVCSDJWT {
			return DecodeElement(format, el)
		}
		s, ok := el.(string)
		if !ok {
			return nil, "", errors.New("an SD-JWT must be a string")
		}
		got, err := v.Verify(ctx, s, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: "n-42", Audience: "https://hr.example.cn"})
		if err != nil {
			return nil, "", err
		}
		if !got.Result.Verified {
			return nil, "", fmt.Errorf("SD-JWT does not verify: %v", got.Result.Errors)
		}
		alg, _ := got.Header["alg"].(string)
		return got.Claims, alg, nil
	}
	ev, err := Evaluate(ctx, def, sub, presented, WithDecoder(decode))
	if err != nil {
		t.Fatal(err)
	}
	if got := ev.Presented[0].Fields[1]; got.Value != "doctor" {
		t.Errorf("level = %+v", got)
	}
	// only what was asked was disclosed
	verified, _ := v.Verify(ctx, presented, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: "n-42", Audience: "https://hr.example.cn"})
	if _, ok := verified.Claims["studentNumber"]; ok {
		t.Error("the student number was disclosed")
	}
	if _, ok := verified.Claims["fullName"]; ok {
		t.Error("the name was disclosed")
	}

	// without the decoder, the compact SD-JWT is refused, not guessed at
	_, err = Evaluate(ctx, def, sub, presented)
	if !errors.Is(err, ErrNotSatisfied) || !strings.Contains(err.Error(), "disclosures resolved before evaluation (use WithDecoder)") {
		t.Errorf("without decoder: %v", err)
	}
	// a presentation for another nonce fails in the decoder, named in the failure
	other, _ := sdjwt.Present(issued, pointers, &sdjwt.KeyBinding{Signer: walletKey, Audience: "https://hr.example.cn", Nonce: "stale"})
	if _, err := Evaluate(ctx, def, sub, other, WithDecoder(decode)); !errors.Is(err, ErrNotSatisfied) || !strings.Contains(err.Error(), "does not verify") {
		t.Errorf("stale nonce: %v", err)
	}
}

// TestEvaluateJWT: jwt formats are decoded from the compact JWS (payload and
// header alg), including through path_nested from a JWT VP.
func TestEvaluateJWT(t *testing.T) {
	ctx := context.Background()
	jwt := func(alg string, payload map[string]any) string {
		h, _ := json.Marshal(map[string]any{"alg": alg, "typ": "JWT"})
		p, _ := json.Marshal(payload)
		return b64(h) + "." + b64(p) + ".c2ln"
	}
	vcJWT := jwt("ES256", map[string]any{"iss": "did:example:pku", "vc": map[string]any{
		"type": []any{"VerifiableCredential", "DegreeCredential"}, "credentialSubject": map[string]any{"degree": map[string]any{"level": "master"}}}})
	vpJWT := jwt("EdDSA", map[string]any{"iss": "did:example:holder", "nonce": "n", "vp": map[string]any{
		"type": []any{"VerifiablePresentation"}, "verifiableCredential": []any{vcJWT}}})
	def := mustNew(t, Definition{
		ID:     "jwt",
		Format: Formats{FormatJWTVCJSON: {Alg: []string{"ES256"}}, FormatJWTVPJSON: {Alg: []string{"EdDSA"}}},
		InputDescriptors: []InputDescriptor{{ID: "degree", Constraints: Constraints{Fields: []Field{
			{Path: []string{"$.vc.credentialSubject.degree.level"}, Filter: json.RawMessage(`{"enum": ["master", "doctor"]}`)},
		}}}},
	})
	nested := &Submission{ID: "s", DefinitionID: "jwt", DescriptorMap: []Mapping{{
		ID: "degree", Format: FormatJWTVPJSON, Path: "$",
		PathNested: &Mapping{ID: "degree", Format: FormatJWTVCJSON, Path: "$.vp.verifiableCredential[0]"},
	}}}
	ev, err := Evaluate(ctx, def, nested, vpJWT)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Presented[0].Format != FormatJWTVCJSON || ev.Presented[0].Fields[0].Value != "master" {
		t.Errorf("evaluation = %+v", ev)
	}
	tests := []struct {
		name string
		pres any
		sub  func(s *Submission)
		want string
	}{
		{"alg not accepted", jwt("EdDSA", map[string]any{"vc": map[string]any{"credentialSubject": map[string]any{"degree": map[string]any{"level": "master"}}}}),
			func(s *Submission) { s.DescriptorMap[0] = Mapping{ID: "degree", Format: FormatJWTVCJSON, Path: "$"} }, "algorithm EdDSA is not accepted (accepted: ES256)"},
		{"not three parts", "a.b", func(s *Submission) { s.DescriptorMap[0] = Mapping{ID: "degree", Format: FormatJWTVCJSON, Path: "$"} }, "three parts"},
		{"payload with duplicate members", b64([]byte(`{"alg":"ES256"}`)) + "." + b64([]byte(`{"vc":1,"vc":2}`)) + ".x",
			func(s *Submission) { s.DescriptorMap[0] = Mapping{ID: "degree", Format: FormatJWTVCJSON, Path: "$"} }, "jwt_vc_json payload: duplicate member name"},
		{"nested path misses", vpJWT, func(s *Submission) { s.DescriptorMap[0].PathNested.Path = "$.vp.verifiableCredential[1]" },
			"path.path_nested $.vp.verifiableCredential[1] selects nothing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Submission{ID: "s", DefinitionID: "jwt", DescriptorMap: []Mapping{{ID: "degree", Format: FormatJWTVPJSON, Path: "$",
				PathNested: &Mapping{ID: "degree", Format: FormatJWTVCJSON, Path: "$.vp.verifiableCredential[0]"}}}}
			tc.sub(s)
			_, err := Evaluate(ctx, def, s, tc.pres)
			if !errors.Is(err, ErrNotSatisfied) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }
