package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/ui"
	"github.com/talentchain/talentchain/verifier"
	"github.com/talentchain/talentchain/wallet"
)

// verifyAnswer is the body of POST /credentials/verify and
// /presentations/verify with the pipeline.
type verifyAnswer struct {
	Verified bool               `json:"verified"`
	Checks   []credential.Check `json:"checks"`
	Warnings []string           `json:"warnings"`
	Errors   []string           `json:"errors"`
	Report   verifier.Report    `json:"report"`
}

// step returns the state of the named step of rep ("" if absent).
func step(rep *verifier.Report, name string) verifier.StepState {
	s, _ := rep.Step(name)
	return s.State
}

// holderKey is a holder's did:key and its signer.
type holderKey struct {
	did    string
	signer *credential.Signer
}

func newHolderKey(t testing.TB) holderKey {
	t.Helper()
	k, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	s, err := credential.NewSigner(credential.MustLoader(), k)
	if err != nil {
		t.Fatal(err)
	}
	return holderKey{did: k.Controller, signer: s}
}

// present signs a presentation of vcs for challenge and domain.
func (h holderKey) present(t testing.TB, challenge, domain string, vcs ...json.RawMessage) json.RawMessage {
	t.Helper()
	list := make([]any, len(vcs))
	for i, vc := range vcs {
		doc, err := credential.ParseDocument(vc)
		if err != nil {
			t.Fatal(err)
		}
		list[i] = doc
	}
	vp, err := h.signer.SignPresentation(map[string]any{
		"@context": []any{credential.ContextV2}, "type": []any{"VerifiablePresentation"},
		"holder": h.did, "verifiableCredential": list,
	}, challenge, domain, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(vp)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// didKeyCredential is a training certificate signed by a did:key issuer
// that the chain does not know, as another standard tool would make it.
func didKeyCredential(t testing.TB, holder string) json.RawMessage {
	t.Helper()
	k := newHolderKey(t)
	signed, err := k.signer.SignCredential(map[string]any{
		"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":              []any{"VerifiableCredential", "TrainingCertificateCredential"},
		"credentialSubject": map[string]any{"id": holder, "result": "pass"},
		"validFrom":         "2026-01-01T00:00:00Z",
	}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(signed)
	return b
}

// joseCredential is a training certificate as a compact vc+jwt, signed by a
// did:key issuer the chain does not know.
func joseCredential(t testing.TB, holder string) string {
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
	tok, err := vcjwt.SignCredential(s, map[string]any{
		"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":              []any{"VerifiableCredential", "TrainingCertificateCredential"},
		"issuer":            did,
		"credentialSubject": map[string]any{"id": holder, "result": "pass"},
		"validFrom":         "2026-01-01T00:00:00Z",
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// unsupportedEnvelope is an enveloped credential or presentation of a media
// type no checker knows.
func unsupportedEnvelope(kind string) map[string]any {
	return map[string]any{"@context": []any{credential.ContextV2}, "type": "Enveloped" + kind, "id": "data:application/x-unknown,eyJ"}
}

// newVerifierAccount creates a verifier account under the admin API and
// returns its id and token.
func (n *node) newVerifierAccount(t *testing.T, name string, policies bool) (id, token string) {
	t.Helper()
	var ans struct {
		Token    string             `json:"token"`
		Verifier ui.VerifierAccount `json:"verifier"`
	}
	if st := n.call(t, "POST", "/admin/verifiers", n.admin, map[string]any{"name": name, "policies": policies}, &ans); st != http.StatusCreated ||
		!strings.HasPrefix(ans.Token, verifierTokenPrefix) || ans.Verifier.ID == "" || ans.Verifier.Policies != policies {
		t.Fatalf("create verifier account: %d %+v", st, ans)
	}
	return ans.Verifier.ID, ans.Token
}

// issueDegree issues a master's degree to holder over HTTP.
func (n *node) issueDegree(t *testing.T, token, holder string) issueAnswer {
	t.Helper()
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", token, masterDegree(holder), &iss); st != http.StatusCreated || iss.AnchorReceipt == nil {
		t.Fatalf("issue: %d %+v", st, iss)
	}
	return iss
}

// verifyVC posts a credential (and its receipt, when not nil) to
// /credentials/verify.
func (n *node) verifyVC(t *testing.T, vc any, receipt any) (int, verifyAnswer) {
	t.Helper()
	body := map[string]any{"verifiableCredential": vc}
	if receipt != nil {
		body["anchorReceipt"] = receipt
	}
	var ans verifyAnswer
	st := n.call(t, "POST", "/credentials/verify", "", body, &ans)
	return st, ans
}

// eventually retries check until it holds or 30 s pass: the pipeline may
// see a status change up to its status-list TTL (2 s) late, and a loaded
// machine running -race adds its own delay.
func eventually(t *testing.T, what string, check func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, got := check()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %s after 30s", what, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestVerifyCredentialPipelineOverHTTP drives POST /credentials/verify of a
// running node (embedded chain, bolt store) through the pipeline: a degree
// issued over HTTP is valid with its receipt (every step ok) and a warning
// without it; a forged or swapped receipt fails the anchor step; an issuer
// unknown to the chain is a warning, not a failure; a revoked credential
// fails the status step; a suspended issuer fails the issuer step until it
// is reinstated; a compact JWT is refused as a format that cannot be
// checked here, with no verdict.
func TestVerifyCredentialPipelineOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	did, tok := n.newOrg(t, "北京理工", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master", "doctor"}})
	iss := n.issueDegree(t, tok, holder.did)
	other := n.issueDegree(t, tok, holder.did)

	t.Run("valid with its receipt: every step ok", func(t *testing.T) {
		st, ans := n.verifyVC(t, iss.VerifiableCredential, iss.AnchorReceipt)
		if st != 200 || !ans.Verified || ans.Report.State != verifier.StateValid || len(ans.Errors) != 0 || len(ans.Warnings) != 0 {
			t.Fatalf("%d %+v", st, ans)
		}
		for _, s := range []string{verifier.StepFormat, verifier.StepProof, verifier.StepIssuer, verifier.StepKey, verifier.StepAnchor, verifier.StepStatus, verifier.StepValidity} {
			if got := step(&ans.Report, s); got != verifier.StepOK {
				t.Errorf("step %s = %q", s, got)
			}
		}
		if ans.Report.AnchorHeight != iss.AnchorReceipt.Height || ans.Report.Issuer != did || ans.Report.IssuerName == nil || ans.Report.IssuerName.Zh != "北京理工大学" {
			t.Errorf("report %+v", ans.Report)
		}
		if len(ans.Checks) != 7 || ans.Checks[0].Name != verifier.StepFormat || ans.Report.Steps[0].MessageZH == "" {
			t.Errorf("checks %+v", ans.Checks)
		}
	})

	t.Run("without its receipt: a warning, still verified", func(t *testing.T) {
		st, ans := n.verifyVC(t, iss.VerifiableCredential, nil)
		if st != 200 || !ans.Verified || ans.Report.State != verifier.StateWarning || step(&ans.Report, verifier.StepAnchor) != verifier.StepWarning || len(ans.Warnings) != 1 {
			t.Fatalf("%d %+v", st, ans)
		}
	})

	t.Run("forged or swapped receipts fail the anchor step", func(t *testing.T) {
		forged := *iss.AnchorReceipt
		forged.Path = append([]string(nil), forged.Path...)
		forgedRoot := forged
		if len(forged.Path) > 0 {
			forged.Path[0] = strings.Repeat("ab", 32)
		}
		forgedRoot.Root = strings.Repeat("cd", 32)
		for name, rc := range map[string]*credential.AnchorReceipt{
			"altered path":            &forged,
			"made-up root":            &forgedRoot,
			"another credential's":    other.AnchorReceipt,
			"height of another block": func() *credential.AnchorReceipt { r := *iss.AnchorReceipt; r.Height += 1000; return &r }(),
		} {
			t.Run(name, func(t *testing.T) {
				if name == "altered path" && len(iss.AnchorReceipt.Path) == 0 {
					t.Skip("a batch of one has no path")
				}
				st, ans := n.verifyVC(t, iss.VerifiableCredential, rc)
				if st != 200 || ans.Verified || step(&ans.Report, verifier.StepAnchor) != verifier.StepFailed || ans.Report.State != verifier.StateInvalid {
					t.Fatalf("%d anchor %q %+v", st, step(&ans.Report, verifier.StepAnchor), ans.Errors)
				}
			})
		}
		var p problemAnswer
		if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{
			"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": map[string]any{"type": "x", "extra": 1},
		}, &p); st != http.StatusBadRequest || len(p.Errors) == 0 || p.Errors[0].Field != "anchorReceipt" {
			t.Fatalf("malformed receipt: %d %+v", st, p)
		}
	})

	t.Run("an issuer unknown to the chain is a warning, not a failure", func(t *testing.T) {
		st, ans := n.verifyVC(t, didKeyCredential(t, holder.did), nil)
		if st != 200 || !ans.Verified || ans.Report.State != verifier.StateWarning {
			t.Fatalf("%d %+v", st, ans)
		}
		s, _ := ans.Report.Step(verifier.StepIssuer)
		if s.State != verifier.StepWarning || s.Details["accredited"] != false || !strings.Contains(s.MessageEN, "not accredited") {
			t.Fatalf("issuer step %+v", s)
		}
		if step(&ans.Report, verifier.StepProof) != verifier.StepOK {
			t.Fatalf("proof %+v", ans.Report.Steps)
		}
	})

	t.Run("a tampered credential fails the proof step", func(t *testing.T) {
		tampered := bytes.Replace(iss.VerifiableCredential, []byte("Li Si"), []byte("Li Wu"), 1)
		st, ans := n.verifyVC(t, json.RawMessage(tampered), nil)
		if st != 200 || ans.Verified || step(&ans.Report, verifier.StepProof) != verifier.StepFailed {
			t.Fatalf("%d %+v", st, ans.Report.Steps)
		}
	})

	t.Run("JOSE forms: a vc+jwt, bare or enveloped; an unknown format has no verdict", func(t *testing.T) {
		tok := joseCredential(t, holder.did)
		for name, vc := range map[string]any{"bare": tok, "enveloped": vcjwt.Envelope(vcjwt.MediaVC, tok)} {
			st, ans := n.verifyVC(t, vc, nil)
			if st != 200 || !ans.Verified || ans.Report.State != verifier.StateWarning || ans.Report.MediaType != verifier.MediaTypeVCJWT ||
				step(&ans.Report, verifier.StepProof) != verifier.StepOK || step(&ans.Report, verifier.StepIssuer) != verifier.StepWarning {
				t.Fatalf("%s: %d %+v", name, st, ans)
			}
		}
		head, rest, _ := strings.Cut(tok, ".")
		payload, sig, _ := strings.Cut(rest, ".")
		forged := head + "." + payload[:len(payload)-4] + "AAAA" + "." + sig
		if st, ans := n.verifyVC(t, forged, nil); st == 200 && ans.Verified {
			t.Fatalf("altered vc+jwt verified: %+v", ans.Report.Steps)
		}
		var p problemAnswer
		if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": unsupportedEnvelope("VerifiableCredential")}, &p); st != http.StatusUnprocessableEntity || !strings.Contains(p.Detail, "application/x-unknown") {
			t.Fatalf("unknown format: %d %+v", st, p)
		}
		if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": 42}, &p); st != http.StatusBadRequest {
			t.Fatalf("number: %d %+v", st, p)
		}
		if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": "not a jwt"}, &p); st != http.StatusBadRequest {
			t.Fatalf("garbage string: %d %+v", st, p)
		}
	})

	t.Run("revoked: the status step fails", func(t *testing.T) {
		if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
			"credentialId":     other.CredentialID,
			"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
			"reason":           "issued in error",
		}, nil); st != 200 {
			t.Fatalf("revoke: %d", st)
		}
		eventually(t, "revoked credential", func() (bool, string) {
			_, ans := n.verifyVC(t, other.VerifiableCredential, other.AnchorReceipt)
			s, _ := ans.Report.Step(verifier.StepStatus)
			return !ans.Verified && s.State == verifier.StepFailed && strings.HasPrefix(s.MessageEN, "Revoked"), string(s.State)
		})
		// The other credential of the same list is untouched.
		if _, ans := n.verifyVC(t, iss.VerifiableCredential, iss.AnchorReceipt); !ans.Verified || step(&ans.Report, verifier.StepStatus) != verifier.StepOK {
			t.Fatalf("sibling credential: %+v", ans.Report.Steps)
		}
	})

	t.Run("a suspended issuer fails the issuer step until reinstated", func(t *testing.T) {
		if st := n.call(t, "POST", "/admin/orgs/"+did+"/suspension", n.admin, map[string]string{"reason": "audit"}, nil); st != 200 {
			t.Fatalf("suspend: %d", st)
		}
		// Issuer records are cached for the pipeline's record TTL (5 s): the
		// suspension shows within it.
		eventually(t, "suspension", func() (bool, string) {
			_, ans := n.verifyVC(t, iss.VerifiableCredential, iss.AnchorReceipt)
			s, _ := ans.Report.Step(verifier.StepIssuer)
			return !ans.Verified && s.State == verifier.StepFailed && s.Details["status"] == "suspended", string(s.State)
		})
		if st := n.call(t, "DELETE", "/admin/orgs/"+did+"/suspension", n.admin, map[string]string{"reason": "audit passed"}, nil); st != 200 {
			t.Fatalf("reinstate: %d", st)
		}
		if _, ans := n.verifyVC(t, iss.VerifiableCredential, iss.AnchorReceipt); !ans.Verified || ans.Report.State != verifier.StateValid {
			t.Fatalf("after reinstatement: %+v", ans.Report.Steps)
		}
	})
}

// TestVerifyPresentationPipelineOverHTTP: a holder presents an issued
// degree with its receipt; the verifier's challenge and domain are checked,
// a second use of the challenge is a replay, another challenge fails, and
// another person's credential fails the holder step.
func TestVerifyPresentationPipelineOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder, stranger := newHolderKey(t), newHolderKey(t)
	_, tok := n.newOrg(t, "人大", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	iss := n.issueDegree(t, tok, holder.did)

	verifyVP := func(t *testing.T, vp json.RawMessage, receipts any, challenge, domain string) (int, verifyAnswer) {
		t.Helper()
		var ans verifyAnswer
		st := n.call(t, "POST", "/presentations/verify", "", map[string]any{
			"verifiablePresentation": vp, "anchorReceipts": receipts,
			"options": map[string]string{"challenge": challenge, "domain": domain},
		}, &ans)
		return st, ans
	}
	byID := map[string]any{iss.CredentialID: iss.AnchorReceipt}

	vp := holder.present(t, "challenge-1", "hr.example.cn", iss.VerifiableCredential)
	st, ans := verifyVP(t, vp, byID, "challenge-1", "hr.example.cn")
	if st != 200 || !ans.Verified || ans.Report.State != verifier.StateValid || len(ans.Report.Credentials) != 1 {
		t.Fatalf("first use: %d %+v", st, ans)
	}
	for _, s := range []string{verifier.StepProof, verifier.StepChallenge, verifier.StepDomain, verifier.StepHolder, verifier.StepReplay} {
		if got := step(&ans.Report, s); got != verifier.StepOK {
			t.Errorf("presentation step %s = %q", s, got)
		}
	}
	if step(ans.Report.Credentials[0], verifier.StepAnchor) != verifier.StepOK || ans.Checks[len(ans.Checks)-1].Name != "credential[0].validity" {
		t.Errorf("credential report %+v, checks %+v", ans.Report.Credentials[0].Steps, ans.Checks)
	}

	t.Run("replayed", func(t *testing.T) {
		st, ans := verifyVP(t, vp, byID, "challenge-1", "hr.example.cn")
		if st != 200 || ans.Verified || step(&ans.Report, verifier.StepReplay) != verifier.StepFailed {
			t.Fatalf("%d %+v", st, ans.Report.Steps)
		}
	})
	t.Run("wrong challenge", func(t *testing.T) {
		st, ans := verifyVP(t, vp, byID, "challenge-2", "hr.example.cn")
		if st != 200 || ans.Verified || step(&ans.Report, verifier.StepChallenge) != verifier.StepFailed {
			t.Fatalf("%d %+v", st, ans.Report.Steps)
		}
	})
	t.Run("wrong domain", func(t *testing.T) {
		vp := holder.present(t, "challenge-3", "hr.example.cn", iss.VerifiableCredential)
		st, ans := verifyVP(t, vp, byID, "challenge-3", "other.example.cn")
		if st != 200 || ans.Verified || step(&ans.Report, verifier.StepDomain) != verifier.StepFailed {
			t.Fatalf("%d %+v", st, ans.Report.Steps)
		}
	})
	t.Run("receipts as the wallet sends them: an array aligned with the credentials", func(t *testing.T) {
		vp := holder.present(t, "challenge-4", "", iss.VerifiableCredential)
		st, ans := verifyVP(t, vp, []any{iss.AnchorReceipt}, "challenge-4", "")
		if st != 200 || !ans.Verified || step(ans.Report.Credentials[0], verifier.StepAnchor) != verifier.StepOK {
			t.Fatalf("%d %+v", st, ans)
		}
		var p problemAnswer
		if st := n.call(t, "POST", "/presentations/verify", "", map[string]any{
			"verifiablePresentation": vp, "anchorReceipts": []any{iss.AnchorReceipt, iss.AnchorReceipt},
			"options": map[string]string{"challenge": "challenge-5"},
		}, &p); st != 400 || p.Errors[0].Field != "anchorReceipts" {
			t.Fatalf("more receipts than credentials: %d %+v", st, p)
		}
	})
	t.Run("another person's credential", func(t *testing.T) {
		vp := stranger.present(t, "challenge-6", "", iss.VerifiableCredential)
		st, ans := verifyVP(t, vp, byID, "challenge-6", "")
		if st != 200 || ans.Verified || step(&ans.Report, verifier.StepHolder) != verifier.StepFailed {
			t.Fatalf("%d %+v", st, ans.Report.Steps)
		}
	})
}

// requestAnswer is a created presentation request.
type requestAnswer struct {
	ID        string `json:"id"`
	Challenge string `json:"challenge"`
	Domain    string `json:"domain"`
	URL       string `json:"url"`
}

const degreeDefinition = `{"id": "degree-check", "input_descriptors": [{"id": "degree", "constraints": {"fields": [
	{"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "DegreeCredential"}}}]}}]}`

const degreeSubmission = `{"id": "sub-1", "definition_id": "degree-check", "descriptor_map": [
	{"id": "degree", "format": "ldp_vc", "path": "$.verifiableCredential[0]"}]}`

func newRequestBody(expires string) map[string]any {
	return map[string]any{
		"presentation_definition": json.RawMessage(degreeDefinition),
		"purpose":                 map[string]string{"zh": "核验学位", "en": "degree check"},
		"expiresIn":               expires,
	}
}

// postForm posts an OpenID4VP direct_post form and decodes the answer.
func postForm(t *testing.T, u string, form url.Values, out any) int {
	t.Helper()
	resp, err := http.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("POST %s: %d %s: %v", u, resp.StatusCode, raw, err)
		}
	}
	return resp.StatusCode
}

// TestRequestsOverHTTP: a verifier creates a request; the holder's wallet
// fetches it from the link and answers with a direct_post form (the
// presentation, its submission and anchor receipts); the verifier reads the
// result, another verifier is refused; a second answer is refused; an
// unanswered request is pending, then expired.
func TestRequestsOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	_, tok := n.newOrg(t, "北航", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	iss := n.issueDegree(t, tok, holder.did)
	_, hrTok := n.newVerifierAccount(t, "ACME HR", false)
	_, otherTok := n.newVerifierAccount(t, "Other HR", false)

	if st := n.call(t, "POST", "/requests", "", newRequestBody(""), nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous create: %d", st)
	}
	if st := n.call(t, "POST", "/requests", tok, newRequestBody(""), nil); st != http.StatusUnauthorized {
		t.Fatalf("an issuer token creates a request: %d", st)
	}
	var p problemAnswer
	if st := n.call(t, "POST", "/requests", hrTok, map[string]any{"presentation_definition": map[string]any{"id": "x"}, "purpose": map[string]string{"zh": "x", "en": "x"}}, &p); st != 400 || len(p.Errors) == 0 {
		t.Fatalf("bad definition: %d %+v", st, p)
	}
	var req requestAnswer
	if st := n.call(t, "POST", "/requests", hrTok, newRequestBody("10m"), &req); st != http.StatusCreated || req.Challenge == "" || !strings.HasPrefix(req.URL, n.base+"/requests/") {
		t.Fatalf("create: %d %+v", st, req)
	}
	if req.Domain != "127.0.0.1" {
		t.Errorf("default domain %q, want the node's host", req.Domain)
	}
	path := "/requests/" + req.ID

	if st := n.call(t, "GET", path+"/result", hrTok, nil, nil); st != http.StatusAccepted {
		t.Fatalf("result before an answer: %d, want 202", st)
	}
	var obj struct {
		Challenge   string          `json:"challenge"`
		Domain      string          `json:"domain"`
		ResponseURI string          `json:"response_uri"`
		Definition  json.RawMessage `json:"presentation_definition"`
	}
	if st := n.call(t, "GET", path, "", nil, &obj); st != 200 || obj.Challenge != req.Challenge || obj.ResponseURI != req.URL+"/response" || len(obj.Definition) == 0 {
		t.Fatalf("fetch: %d %+v", st, obj)
	}

	vp := holder.present(t, obj.Challenge, obj.Domain, iss.VerifiableCredential)
	receipts, _ := json.Marshal([]any{iss.AnchorReceipt})
	form := url.Values{"vp_token": {string(vp)}, "presentation_submission": {degreeSubmission}, "state": {req.ID}, "anchor_receipts": {string(receipts)}}
	if st := postForm(t, obj.ResponseURI, url.Values{"vp_token": {string(vp)}, "state": {"another-request"}}, nil); st != 400 {
		t.Fatalf("wrong state: %d", st)
	}
	if st := postForm(t, obj.ResponseURI, url.Values{"vp_token": {"{"}}, nil); st != 400 {
		t.Fatalf("malformed vp_token: %d", st)
	}
	// A presentation in a format no checker knows is refused, and the
	// challenge is given back (the answer below still gets it).
	env, _ := json.Marshal(unsupportedEnvelope("VerifiablePresentation"))
	if st := postForm(t, obj.ResponseURI, url.Values{"vp_token": {string(env)}}, nil); st != 400 {
		t.Fatalf("unknown presentation format: %d", st)
	}
	var holderView struct {
		Accepted bool `json:"accepted"`
		Verified bool `json:"verified"`
	}
	if st := postForm(t, obj.ResponseURI, form, &holderView); st != 200 || !holderView.Accepted {
		t.Fatalf("answer: %d %+v", st, holderView)
	}

	t.Run("the creating verifier reads the result; another is refused", func(t *testing.T) {
		var res struct {
			Accepted     bool              `json:"accepted"`
			Verified     bool              `json:"verified"`
			Satisfied    bool              `json:"satisfied"`
			Holder       string            `json:"holder"`
			Verification credential.Result `json:"verification"`
			Report       *verifier.Report  `json:"report"`
		}
		if st := n.call(t, "GET", path+"/result", hrTok, nil, &res); st != 200 || !res.Accepted || !res.Verified || !res.Satisfied || res.Holder != holder.did {
			t.Fatalf("result: %d %+v", st, res)
		}
		// The receipt travelled with the answer: the anchor was proven.
		if passed, found := checkPassed(&res.Verification, "credential[0].anchor"); !passed || !found || len(res.Verification.Warnings) != 0 {
			t.Fatalf("anchor check %v %v: %+v", passed, found, res.Verification)
		}
		// The full report is kept for the verifier, in both languages.
		if res.Report == nil || res.Report.State != verifier.StateValid || len(res.Report.Credentials) != 1 || res.Report.Credentials[0].Steps[0].MessageZH == "" {
			t.Fatalf("report %+v", res.Report)
		}
		// ... sealed at rest: the holder's DID is nowhere in clear.
		kept, err := n.app.store.Get(t.Context(), verifierPrefix+reportKey(req.ID))
		if err != nil || bytes.Contains(kept, []byte(holder.did)) {
			t.Fatalf("kept report: %v (in clear: %v)", err, bytes.Contains(kept, []byte(holder.did)))
		}
		if st := n.call(t, "GET", path+"/result", otherTok, nil, nil); st != http.StatusForbidden {
			t.Fatalf("another verifier: %d, want 403", st)
		}
		if st := n.call(t, "GET", path+"/result", "", nil, nil); st != http.StatusUnauthorized {
			t.Fatalf("anonymous: %d, want 401", st)
		}
	})

	t.Run("a second answer is refused", func(t *testing.T) {
		if st := postForm(t, obj.ResponseURI, form, nil); st != http.StatusConflict {
			t.Fatalf("second answer: %d, want 409", st)
		}
		if st := n.call(t, "GET", path, "", nil, nil); st != http.StatusConflict {
			t.Fatalf("fetch after the answer: %d, want 409", st)
		}
		if st := n.call(t, "GET", "/requests/AAAAAAAAAAAAAAAAAAAAAA", "", nil, nil); st != http.StatusNotFound {
			t.Fatalf("unknown request: %d", st)
		}
	})

	t.Run("a JSON answer works too", func(t *testing.T) {
		var req2 requestAnswer
		n.call(t, "POST", "/requests", hrTok, newRequestBody(""), &req2)
		vp := holder.present(t, req2.Challenge, req2.Domain, iss.VerifiableCredential)
		var ans struct {
			Accepted bool `json:"accepted"`
		}
		if st := n.call(t, "POST", "/requests/"+req2.ID+"/response", "", map[string]any{
			"vp_token": vp, "presentation_submission": json.RawMessage(degreeSubmission),
			"anchor_receipts": map[string]any{iss.CredentialID: iss.AnchorReceipt},
		}, &ans); st != 200 || !ans.Accepted {
			t.Fatalf("%d %+v", st, ans)
		}
	})

	t.Run("expired", func(t *testing.T) {
		// The same node's store and chain, served with a clock that can
		// move: requests expire by the service clock.
		var mu sync.Mutex
		now := time.Now()
		clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
		keys, err := seal.Load(cfg.dataDir, "")
		if err != nil {
			t.Fatal(err)
		}
		srv := httptest.NewUnstartedServer(nil)
		v, err := newVerifying(verifyingDeps{
			chain: n.app.chain, chainID: n.app.chainID, store: n.app.store, keys: keys, loader: credential.MustLoader(),
			baseURL: "http://" + srv.Listener.Addr().String(), now: clock, vcapi: true,
		})
		if err != nil {
			t.Fatal(err)
		}
		core, err := newVerifier(credential.MustLoader(), credential.KeyResolver{})
		if err != nil {
			t.Fatal(err)
		}
		h, err := ui.New(ui.DefaultConfig(), core, func() bool { return true }, slog.New(slog.DiscardHandler), ui.WithVerifying(v, nil))
		if err != nil {
			t.Fatal(err)
		}
		srv.Config.Handler = h
		srv.Start()
		defer srv.Close()
		m := &node{app: n.app, base: srv.URL, admin: n.admin}

		var req3 requestAnswer
		if st := m.call(t, "POST", "/requests", hrTok, newRequestBody("5m"), &req3); st != http.StatusCreated {
			t.Fatalf("create: %d", st)
		}
		mu.Lock()
		now = now.Add(6 * time.Minute)
		mu.Unlock()
		if st := m.call(t, "GET", "/requests/"+req3.ID, "", nil, nil); st != http.StatusGone {
			t.Fatalf("fetch expired: %d, want 410", st)
		}
		vp := holder.present(t, req3.Challenge, req3.Domain, iss.VerifiableCredential)
		if st := postForm(t, srv.URL+"/requests/"+req3.ID+"/response", url.Values{"vp_token": {string(vp)}}, nil); st != http.StatusGone {
			t.Fatalf("answer expired: %d, want 410", st)
		}
		if st := m.call(t, "GET", "/requests/"+req3.ID+"/result", hrTok, nil, nil); st != http.StatusGone {
			t.Fatalf("result of an expired request: %d, want 410", st)
		}
	})
}

// TestPoliciesOverHTTP: a policy office saves a rule (a malformed one is
// refused with its line and column), versions it, and asks for a decision
// over a master's degree issued on the chain; the decision is signed by the
// office's did:key and verifies; a revoked degree no longer counts.
func TestPoliciesOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	_, tok := n.newOrg(t, "北大", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master", "doctor"}})
	iss := n.issueDegree(t, tok, holder.did)
	_, office := n.newVerifierAccount(t, "北京市人才工作局", true)
	_, otherOffice := n.newVerifierAccount(t, "上海市人才工作局", true)
	_, hr := n.newVerifierAccount(t, "ACME HR", false)

	pol := map[string]any{
		"id":   "beijing-talent",
		"name": map[string]string{"zh": "北京人才引进", "en": "Beijing talent programme"},
		"rules": []map[string]any{
			{"id": "doctorate", "name": map[string]string{"zh": "经认证的博士学位", "en": "accredited doctorate"},
				"expr": "credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'doctor' && c.accredited)"},
			{"id": "master", "name": map[string]string{"zh": "经认证的硕士学位", "en": "accredited master's degree"},
				"expr": "credentials.exists(c,\n  c.type == 'DegreeCredential' && c.levle == 'master')"},
		},
		"combine": "any",
	}
	var p problemAnswer
	if st := n.call(t, "POST", "/policies", hr, pol, &p); st != http.StatusForbidden {
		t.Fatalf("an employer saves a policy: %d", st)
	}
	if st := n.call(t, "POST", "/policies", office, pol, &p); st != http.StatusUnprocessableEntity || len(p.Errors) != 1 ||
		p.Errors[0].Field != "rules[master].expr" || !strings.HasPrefix(p.Errors[0].Reason, "line 2, column 36: ") {
		t.Fatalf("malformed rule: %d %+v", st, p)
	}
	pol["rules"].([]map[string]any)[1]["expr"] = "credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'master' && c.accredited)"
	var saved struct {
		Policy struct {
			Version int `json:"version"`
		} `json:"policy"`
		URN string `json:"urn"`
	}
	if st := n.call(t, "POST", "/policies", office, pol, &saved); st != http.StatusCreated || saved.Policy.Version != 1 || saved.URN != "urn:talentchain:policy:beijing-talent:v1" {
		t.Fatalf("save: %d %+v", st, saved)
	}
	if st := n.call(t, "POST", "/policies", office, pol, nil); st != http.StatusConflict {
		t.Fatalf("saving a new policy under a taken id: %d, want 409", st)
	}
	pol["version"] = 1
	pol["combine"] = "all"
	if st := n.call(t, "POST", "/policies", otherOffice, pol, nil); st != http.StatusForbidden {
		t.Fatalf("another office edits the policy: %d, want 403", st)
	}
	if st := n.call(t, "POST", "/policies", office, pol, &saved); st != http.StatusCreated || saved.Policy.Version != 2 {
		t.Fatalf("edit: %d %+v", st, saved)
	}
	var got struct {
		Version int    `json:"version"`
		Combine string `json:"combine"`
	}
	if st := n.call(t, "GET", "/policies/beijing-talent?version=1", "", nil, &got); st != 200 || got.Version != 1 || got.Combine != "any" {
		t.Fatalf("version 1: %d %+v", st, got)
	}
	if st := n.call(t, "GET", "/policies/beijing-talent", "", nil, &got); st != 200 || got.Version != 2 {
		t.Fatalf("latest: %d %+v", st, got)
	}
	if st := n.call(t, "GET", "/policies/beijing-talent?version=0", "", nil, nil); st != 400 {
		t.Fatalf("version 0: %d", st)
	}
	if st := n.call(t, "GET", "/policies/nothing-here", "", nil, nil); st != 404 {
		t.Fatalf("unknown policy: %d", st)
	}

	type decisionAnswer struct {
		Decision struct {
			Eligible bool `json:"eligible"`
			Rules    []struct {
				ID     string `json:"id"`
				Passed bool   `json:"passed"`
			} `json:"rules"`
			Excluded []struct {
				ID     string `json:"id"`
				Reason struct {
					En string `json:"en"`
				} `json:"reason"`
			} `json:"excluded"`
		} `json:"decision"`
		Credential json.RawMessage   `json:"decisionCredential"`
		Reports    []verifier.Report `json:"reports"`
	}
	decide := func(t *testing.T, body map[string]any) (int, decisionAnswer) {
		t.Helper()
		var ans decisionAnswer
		st := n.call(t, "POST", "/policies/beijing-talent/decisions", hr, body, &ans)
		return st, ans
	}

	t.Run("a decision over a real issued degree", func(t *testing.T) {
		st, ans := decide(t, map[string]any{
			"version": 1, "applicant": holder.did,
			"verifiableCredentials": []any{iss.VerifiableCredential}, "anchorReceipts": []any{iss.AnchorReceipt},
		})
		if st != http.StatusCreated || !ans.Decision.Eligible || len(ans.Decision.Rules) != 2 || ans.Decision.Rules[1].Passed != true || ans.Decision.Rules[0].Passed {
			t.Fatalf("%d %+v", st, ans.Decision)
		}
		if len(ans.Reports) != 1 || ans.Reports[0].State != verifier.StateValid {
			t.Fatalf("reports %+v", ans.Reports)
		}
		var dc struct {
			Issuer            string `json:"issuer"`
			CredentialSubject struct {
				ID       string `json:"id"`
				Eligible bool   `json:"eligible"`
			} `json:"credentialSubject"`
		}
		if err := json.Unmarshal(ans.Credential, &dc); err != nil || !strings.HasPrefix(dc.Issuer, "did:key:") || dc.CredentialSubject.ID != holder.did || !dc.CredentialSubject.Eligible {
			t.Fatalf("decision credential %s: %v", ans.Credential, err)
		}
		// The signed decision verifies; its issuer, the office's did:key, is
		// not on the chain: a warning.
		st2, v := n.verifyVC(t, ans.Credential, nil)
		if st2 != 200 || !v.Verified || step(&v.Report, verifier.StepProof) != verifier.StepOK || step(&v.Report, verifier.StepIssuer) != verifier.StepWarning {
			t.Fatalf("verify decision: %d %+v", st2, v.Report.Steps)
		}
		// The office key is made once and kept: the next decision has the
		// same issuer.
		_, again := decide(t, map[string]any{"version": 1, "applicant": holder.did, "verifiableCredentials": []any{iss.VerifiableCredential}})
		var dc2 struct {
			Issuer string `json:"issuer"`
		}
		json.Unmarshal(again.Credential, &dc2)
		if dc2.Issuer != dc.Issuer {
			t.Fatalf("office key changed: %s then %s", dc.Issuer, dc2.Issuer)
		}
	})

	t.Run("a decision over a presentation: the applicant is its holder", func(t *testing.T) {
		vp := holder.present(t, "office-challenge-1", "", iss.VerifiableCredential)
		st, ans := decide(t, map[string]any{
			"verifiablePresentation": vp, "anchorReceipts": map[string]any{iss.CredentialID: iss.AnchorReceipt},
			"options": map[string]string{"challenge": "office-challenge-1"},
		})
		if st != http.StatusCreated || ans.Decision.Eligible { // version 2 combines with all: no doctorate
			t.Fatalf("%d %+v", st, ans.Decision)
		}
		if len(ans.Decision.Rules) != 2 || !ans.Decision.Rules[1].Passed {
			t.Fatalf("rules %+v", ans.Decision.Rules)
		}
		st, _ = decide(t, map[string]any{
			"applicant": "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK", "verifiablePresentation": holder.present(t, "office-challenge-2", "", iss.VerifiableCredential),
			"options": map[string]string{"challenge": "office-challenge-2"},
		})
		if st != http.StatusBadRequest {
			t.Fatalf("applicant other than the holder: %d", st)
		}
	})

	t.Run("another applicant's degree does not count", func(t *testing.T) {
		st, ans := decide(t, map[string]any{"version": 1, "applicant": newHolderKey(t).did, "verifiableCredentials": []any{iss.VerifiableCredential}})
		if st != http.StatusCreated || ans.Decision.Eligible || len(ans.Decision.Excluded) != 1 {
			t.Fatalf("%d %+v", st, ans.Decision)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for name, body := range map[string]map[string]any{
			"nothing to decide on":       {"applicant": holder.did},
			"credentials, no applicant":  {"verifiableCredentials": []any{iss.VerifiableCredential}},
			"presentation, no challenge": {"verifiablePresentation": holder.present(t, "c", "", iss.VerifiableCredential)},
			"both":                       {"applicant": holder.did, "verifiableCredentials": []any{iss.VerifiableCredential}, "verifiablePresentation": holder.present(t, "c", "", iss.VerifiableCredential), "options": map[string]string{"challenge": "c"}},
		} {
			if st, _ := decide(t, body); st != http.StatusBadRequest {
				t.Errorf("%s: %d, want 400", name, st)
			}
		}
		if st := n.call(t, "POST", "/policies/beijing-talent/decisions", "", map[string]any{"applicant": holder.did}, nil); st != http.StatusUnauthorized {
			t.Errorf("anonymous decision: %d", st)
		}
		if st := n.call(t, "POST", "/policies/no-such-policy/decisions", hr, map[string]any{"applicant": holder.did, "verifiableCredentials": []any{iss.VerifiableCredential}}, nil); st != http.StatusNotFound {
			t.Errorf("unknown policy: %d", st)
		}
	})

	t.Run("a revoked degree no longer counts", func(t *testing.T) {
		if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
			"credentialId":     iss.CredentialID,
			"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
		}, nil); st != 200 {
			t.Fatalf("revoke: %d", st)
		}
		eventually(t, "decision over a revoked degree", func() (bool, string) {
			st, ans := decide(t, map[string]any{"version": 1, "applicant": holder.did, "verifiableCredentials": []any{iss.VerifiableCredential}, "anchorReceipts": []any{iss.AnchorReceipt}})
			ok := st == http.StatusCreated && !ans.Decision.Eligible && len(ans.Decision.Excluded) == 1
			return ok, string(ans.Credential)
		})
	})
}

// TestBatchVerifyOverHTTP: HR uploads a mixed batch and gets a table with
// one row per item, as JSON or as CSV.
func TestBatchVerifyOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	_, tok := n.newOrg(t, "复旦", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	iss := n.issueDegree(t, tok, holder.did)
	_, hr := n.newVerifierAccount(t, "ACME HR", false)

	tampered := json.RawMessage(bytes.Replace(iss.VerifiableCredential, []byte("Li Si"), []byte("=HYPERLINK(1)"), 1))
	items := []any{
		map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt},
		iss.VerifiableCredential,
		tampered,
		didKeyCredential(t, holder.did),
		joseCredential(t, holder.did),
		unsupportedEnvelope("VerifiableCredential"),
		42,
		map[string]any{"verifiablePresentation": holder.present(t, "batch-1", "", iss.VerifiableCredential), "options": map[string]string{"challenge": "batch-1"}},
		map[string]any{"verifiableCredential": iss.VerifiableCredential, "unknown": true},
	}
	want := []string{"valid", "warning", "invalid", "warning", "warning", "error", "error", "warning", "error"}

	var res ui.BatchResult
	if st := n.call(t, "POST", "/verify/batch", "", items, nil); st != http.StatusUnauthorized {
		t.Fatalf("anonymous batch: %d", st)
	}
	if st := n.call(t, "POST", "/verify/batch", hr, items, &res); st != 200 || res.Total != len(items) || len(res.Rows) != len(items) {
		t.Fatalf("batch: %d %+v", st, res)
	}
	for i, row := range res.Rows {
		if row.Index != i || row.State != want[i] {
			t.Errorf("row %d: state %q, want %q: %+v", i, row.State, want[i], row)
		}
	}
	if res.Valid != 1 || res.Warning != 4 || res.Invalid != 1 || res.Errors != 3 {
		t.Errorf("counts %+v", res)
	}
	if r := res.Rows[2]; len(r.Failed) != 1 || r.Failed[0] != "proof" || r.Verified {
		t.Errorf("tampered row %+v", r)
	}
	if r := res.Rows[4]; r.Kind != verifier.KindCredential || len(r.Warnings) != 1 || r.Warnings[0] != "issuer" {
		t.Errorf("vc+jwt row %+v", r)
	}
	if r := res.Rows[5]; !strings.Contains(r.Error, "application/x-unknown") {
		t.Errorf("unknown format row %+v", r)
	}
	if r := res.Rows[7]; r.Kind != verifier.KindPresentation || r.Holder != holder.did || r.ID != iss.CredentialID {
		t.Errorf("presentation row %+v", r)
	}

	t.Run("as CSV", func(t *testing.T) {
		body, _ := json.Marshal(items[:3])
		req, _ := http.NewRequestWithContext(t.Context(), "POST", n.base+"/verify/batch", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+hr)
		req.Header.Set("Accept", "text/csv")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") || !bytes.HasPrefix(raw, []byte("\ufeff")) {
			t.Fatalf("%d %s %q", resp.StatusCode, resp.Header.Get("Content-Type"), raw)
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
		if err != nil || len(recs) != 4 || recs[0][0] != "index" || recs[1][2] != "valid" || recs[3][2] != "invalid" || recs[1][6] == "" {
			t.Fatalf("csv %q: %v", recs, err)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for name, body := range map[string]any{
			"not an array": map[string]any{"verifiableCredential": iss.VerifiableCredential},
			"empty":        []any{},
			"too many":     make([]any, DefaultMaxBatchForTest+1),
		} {
			if st := n.call(t, "POST", "/verify/batch", hr, body, nil); st != 400 {
				t.Errorf("%s: %d, want 400", name, st)
			}
		}
	})
}

// DefaultMaxBatchForTest is the batch limit serve configures.
const DefaultMaxBatchForTest = ui.DefaultMaxBatch

// TestVerifierAccountsOverHTTP: the admin token creates, lists and revokes
// verifier accounts; a revoked token stops working; tokens are stored
// hashed.
func TestVerifierAccountsOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	n := startNode(t, cfg)
	if st := n.call(t, "POST", "/admin/verifiers", "", map[string]any{"name": "x"}, nil); st != http.StatusUnauthorized {
		t.Fatalf("no admin token: %d", st)
	}
	if st := n.call(t, "POST", "/admin/verifiers", n.admin, map[string]any{"name": ""}, nil); st != 400 {
		t.Fatalf("no name: %d", st)
	}
	id, tok := n.newVerifierAccount(t, "ACME HR", false)
	var list struct {
		Verifiers []ui.VerifierAccount `json:"verifiers"`
	}
	if st := n.call(t, "GET", "/admin/verifiers", n.admin, nil, &list); st != 200 || len(list.Verifiers) != 1 || list.Verifiers[0].ID != id {
		t.Fatalf("list: %d %+v", st, list)
	}
	// Nothing in the store holds the token itself.
	entries, err := n.app.store.List(t.Context(), verifierPrefix, store.ListOptions{Limit: store.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Key, tok) || bytes.Contains(e.Value, []byte(tok)) {
			t.Fatalf("the token is stored in clear under %s", e.Key)
		}
	}
	if st := n.call(t, "POST", "/requests", tok, newRequestBody(""), nil); st != http.StatusCreated {
		t.Fatalf("live token: %d", st)
	}
	if st := n.call(t, "DELETE", "/admin/verifiers/"+id, n.admin, nil, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if st := n.call(t, "POST", "/requests", tok, newRequestBody(""), nil); st != http.StatusUnauthorized {
		t.Fatalf("revoked token: %d, want 401", st)
	}
	if st := n.call(t, "DELETE", "/admin/verifiers/vrf_0000000000000000", n.admin, nil, nil); st != http.StatusNotFound {
		t.Fatalf("unknown account: %d", st)
	}
	for _, bad := range []string{"tcvt_" + strings.Repeat("A", 43), "tcvt_short", n.admin, ""} {
		if st := n.call(t, "POST", "/verify/batch", bad, []any{1}, nil); st != http.StatusUnauthorized {
			t.Errorf("token %q: %d, want 401", truncate(bad, 12), st)
		}
	}
}

// TestVerifyHTTPLoad measures POST /credentials/verify through the whole
// pipeline under load: TALENTCHAIN_LOAD=<seconds> runs it (skipped
// otherwise), with TALENTCHAIN_LOAD_CLIENTS concurrent clients (default 8)
// verifying an issued degree with its receipt, and logs requests per
// second, p50 and p99. The load comes from this process, on the same cores
// as the node.
func TestVerifyHTTPLoad(t *testing.T) {
	secs, _ := strconv.Atoi(os.Getenv("TALENTCHAIN_LOAD"))
	if secs <= 0 {
		t.Skip("set TALENTCHAIN_LOAD=<seconds> to run")
	}
	clients, _ := strconv.Atoi(os.Getenv("TALENTCHAIN_LOAD_CLIENTS"))
	if clients <= 0 {
		clients = 8
	}
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	_, tok := n.newOrg(t, "负载", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	iss := n.issueDegree(t, tok, holder.did)
	body, _ := json.Marshal(map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt})

	tr := &http.Transport{MaxIdleConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	var mu sync.Mutex
	var lat []time.Duration
	failures := 0
	deadline := time.Now().Add(time.Duration(secs) * time.Second)
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for time.Now().Before(deadline) {
				t0 := time.Now()
				resp, err := client.Post(n.base+"/credentials/verify", "application/json", bytes.NewReader(body))
				if err != nil {
					bad++
					continue
				}
				var ans verifyAnswer
				err = json.NewDecoder(resp.Body).Decode(&ans)
				resp.Body.Close()
				if err != nil || resp.StatusCode != 200 || ans.Report.State != verifier.StateValid {
					bad++
					continue
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			failures += bad
			mu.Unlock()
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	if failures > 0 || len(lat) == 0 {
		t.Fatalf("%d failures, %d successes", failures, len(lat))
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(float64(len(lat))*p))] }
	t.Logf("%d clients, %s: %d verifications, %.0f req/s, p50 %s, p99 %s, max %s",
		clients, elapsed.Round(time.Millisecond), len(lat), float64(len(lat))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), lat[len(lat)-1].Round(10*time.Microsecond))
}

// FuzzAuthenticateVerifier feeds arbitrary bearer tokens to the verifier
// account registry (over a real embedded store): none but the issued token
// authenticates, and nothing panics.
func FuzzAuthenticateVerifier(f *testing.F) {
	st, err := bolt.Open(filepath.Join(f.TempDir(), "store.db"), bolt.Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	accts := &verifierAccounts{st: store.WithPrefix(st, verifierPrefix), now: time.Now}
	tok, acct, err := accts.CreateVerifier(context.Background(), ui.NewVerifier{Name: "HR"})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(tok)
	f.Add(tok[:len(tok)-1] + "A")
	f.Add("tcvt_")
	f.Add("tcvt_../../accounts/" + acct.ID)
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := accts.AuthenticateVerifier(context.Background(), s)
		switch {
		case s == tok && (err != nil || got.ID != acct.ID):
			t.Fatalf("the issued token: %v %+v", err, got)
		case s != tok && (err == nil || !errors.Is(err, ui.ErrVerifierToken)):
			t.Fatalf("%q authenticated as %+v (%v)", s, got, err)
		}
	})
}

// TestPolicyOverJOSECredentials: VC-JWT and SD-JWT VC credentials, fully
// verified by the pipeline, feed policy decisions with their claims like
// JSON-LD ones; an SD-JWT VC only with the claims its holder disclosed. A
// table of applicants holding JWT and JSON-LD credentials, and the rules
// each passes.
func TestPolicyOverJOSECredentials(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	_, tok := n.newOrg(t, "清华", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	ld := n.issueDegree(t, tok, holder.did)
	sdReq := masterDegree(holder.did)
	sdReq["options"] = map[string]any{"format": "dc+sd-jwt"}
	var sdIss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, sdReq, &sdIss); st != http.StatusCreated {
		t.Fatalf("issue SD-JWT: %d %s", st, sdIss.VerifiableCredential)
	}
	var sdFull string
	if err := json.Unmarshal(sdIss.VerifiableCredential, &sdFull); err != nil || !strings.Contains(sdFull, "~") {
		t.Fatalf("SD-JWT answer %s: %v", sdIss.VerifiableCredential, err)
	}
	sdLevelOnly, err := sdjwt.Present(sdFull, []string{"/degree/level"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	training := joseCredential(t, holder.did)

	_, office := n.newVerifierAccount(t, "深圳市人才工作局", true)
	_, hr := n.newVerifierAccount(t, "Shenzhen HR", false)
	pol := map[string]any{
		"id":   "jwt-forms",
		"name": map[string]string{"zh": "测试", "en": "JWT forms"},
		"rules": []map[string]any{
			{"id": "master", "name": map[string]string{"zh": "硕士", "en": "master"},
				"expr": "credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'master' && c.accredited)"},
			{"id": "field", "name": map[string]string{"zh": "专业", "en": "field"},
				"expr": "credentials.exists(c, has(c.subject.degree) && has(c.subject.degree.fieldOfStudy) && c.subject.degree.fieldOfStudy.en == 'Blockchain Engineering')"},
			{"id": "training", "name": map[string]string{"zh": "培训", "en": "training"},
				"expr": "credentials.exists(c, c.type == 'TrainingCertificateCredential' && c.subject.result == 'pass')"},
		},
		"combine": "all",
	}
	if st := n.call(t, "POST", "/policies", office, pol, nil); st != http.StatusCreated {
		t.Fatalf("save policy: %d", st)
	}

	type answer struct {
		Decision struct {
			Eligible bool `json:"eligible"`
			Rules    []struct {
				ID     string `json:"id"`
				Passed bool   `json:"passed"`
			} `json:"rules"`
			Excluded []json.RawMessage `json:"excluded"`
		} `json:"decision"`
		Reports []verifier.Report `json:"reports"`
	}
	for _, c := range []struct {
		name     string
		creds    []any
		receipts []any
		passed   map[string]bool
	}{
		{"JSON-LD degree", []any{ld.VerifiableCredential}, []any{ld.AnchorReceipt}, map[string]bool{"master": true, "field": true}},
		{"SD-JWT VC, every claim disclosed", []any{sdFull}, []any{sdIss.AnchorReceipt}, map[string]bool{"master": true, "field": true}},
		{"SD-JWT VC, only the level disclosed", []any{sdLevelOnly}, []any{sdIss.AnchorReceipt}, map[string]bool{"master": true}},
		{"VC-JWT training certificate", []any{training}, []any{nil}, map[string]bool{"training": true}},
		{"VC-JWT and SD-JWT together", []any{training, sdFull}, []any{nil, sdIss.AnchorReceipt}, map[string]bool{"master": true, "field": true, "training": true}},
		{"VC-JWT and JSON-LD together", []any{training, ld.VerifiableCredential}, []any{nil, ld.AnchorReceipt}, map[string]bool{"master": true, "field": true, "training": true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ans answer
			st := n.call(t, "POST", "/policies/jwt-forms/decisions", hr, map[string]any{
				"applicant": holder.did, "verifiableCredentials": c.creds, "anchorReceipts": c.receipts,
			}, &ans)
			if st != http.StatusCreated {
				t.Fatalf("decision: %d", st)
			}
			for _, r := range ans.Reports {
				if r.State == verifier.StateInvalid {
					t.Fatalf("credential not verified: %+v", r.Steps)
				}
			}
			if len(ans.Decision.Excluded) != 0 {
				t.Fatalf("excluded: %s", ans.Decision.Excluded)
			}
			all := true
			for _, r := range ans.Decision.Rules {
				if r.Passed != c.passed[r.ID] {
					t.Errorf("rule %s passed=%v, want %v", r.ID, r.Passed, c.passed[r.ID])
				}
				all = all && c.passed[r.ID]
			}
			if len(ans.Decision.Rules) != 3 || ans.Decision.Eligible != all {
				t.Errorf("eligible=%v over %d rules, want %v", ans.Decision.Eligible, len(ans.Decision.Rules), all)
			}
		})
	}
}

// postRaw posts body with a content type to the node and returns the
// status and the answer.
func (n *node) postRaw(t *testing.T, path, token, contentType string, body []byte, accept string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.base+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, raw
}

// zipOf builds a ZIP archive of the named entries, in order.
func zipOf(t *testing.T, entries [][2]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.Create(e[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(e[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestBatchZipAndShareLinks: a ZIP upload (JSON, JWT and text entries; a
// path-traversal name, a foreign extension and an oversized entry refused
// row by row; a zip bomb cut at the limits) and a CSV of share links (this
// node's links opened in-process; another host, even this machine's
// loopback, refused without a request), as JSON and as CSV.
func TestBatchZipAndShareLinks(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "浙大", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	holder := newHolderKey(t)
	iss := n.issueDegree(t, tok, holder.did)
	_, hr := n.newVerifierAccount(t, "ZIP HR", false)
	withReceipt, _ := json.Marshal(map[string]any{"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt})

	type result struct {
		ui.BatchResult
	}
	t.Run("ZIP", func(t *testing.T) {
		archive := zipOf(t, [][2]string{
			{"degrees/", ""},
			{"degrees/li-si.json", string(withReceipt)},
			{"degrees/bare.json", string(iss.VerifiableCredential)},
			{"jwt/training.jwt", joseCredential(t, holder.did) + "\n"},
			{"jwt/training.txt", joseCredential(t, holder.did)},
			{"../../etc/passwd.json", string(withReceipt)},
			{"/abs.json", string(withReceipt)},
			{`dir\evil.json`, string(withReceipt)},
			{"notes.pdf", "%PDF-1.4"},
			{"big.json", `{"pad":"` + strings.Repeat("a", ui.MaxZipEntryBytes) + `"}`},
			{"__MACOSX/._li-si.json", "junk"},
		})
		var res result
		st, raw := n.postRaw(t, "/verify/batch", hr, "application/zip", archive, "")
		if st != 200 || json.Unmarshal(raw, &res) != nil {
			t.Fatalf("zip batch: %d %s", st, raw)
		}
		want := []struct{ name, state, reason string }{
			{"degrees/li-si.json", "valid", ""},
			{"degrees/bare.json", "warning", "anchor receipt"},
			{"jwt/training.jwt", "warning", "not registered on TalentChain"},
			{"jwt/training.txt", "warning", "not registered on TalentChain"},
			{"../../etc/passwd.json", "error", "unsafe"},
			{"/abs.json", "error", "unsafe"},
			{`dir\evil.json`, "error", "unsafe"},
			{"notes.pdf", "error", ".json, .jwt and .txt"},
			{"big.json", "error", "larger than"},
		}
		if len(res.Rows) != len(want) {
			t.Fatalf("%d rows, want %d: %s", len(res.Rows), len(want), raw)
		}
		for i, w := range want {
			r := res.Rows[i]
			if r.Name != w.name || r.State != w.state || !strings.Contains(r.ReasonEN, w.reason) || r.ReasonZH == "" && w.reason != "" {
				t.Errorf("row %d: %q %s %q / %q, want %q %s %q", i, r.Name, r.State, r.ReasonEN, r.ReasonZH, w.name, w.state, w.reason)
			}
		}
		// A zip bomb: entries of 16 MiB of zeros each (compressed to a few
		// KiB) are cut at the entry limit, read no further.
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for i := range 3 {
			w, _ := zw.Create(fmt.Sprintf("bomb-%d.json", i))
			w.Write(bytes.Repeat([]byte{'0'}, 16<<20))
		}
		zw.Close()
		if buf.Len() > 1<<20 {
			t.Fatalf("bomb not compressed: %d", buf.Len())
		}
		st, raw = n.postRaw(t, "/verify/batch", hr, "application/zip", buf.Bytes(), "")
		if st != 200 || json.Unmarshal(raw, &res) != nil || res.Errors != 3 || !strings.Contains(res.Rows[0].ReasonEN, "larger than") {
			t.Fatalf("zip bomb: %d %.300s", st, raw)
		}
		// Too many entries, and not a ZIP at all.
		many := make([][2]string, ui.DefaultMaxBatch+1)
		for i := range many {
			many[i] = [2]string{fmt.Sprintf("%d.json", i), "{}"}
		}
		if st, _ := n.postRaw(t, "/verify/batch", hr, "application/zip", zipOf(t, many), ""); st != 400 {
			t.Errorf("too many entries: %d", st)
		}
		if st, _ := n.postRaw(t, "/verify/batch", hr, "application/zip", []byte("not a zip"), ""); st != 400 {
			t.Errorf("not a zip: %d", st)
		}
	})

	t.Run("CSV of share links", func(t *testing.T) {
		// A holder shares the degree through the node's wallet.
		a := newHolder(t, n.base, "wangwu")
		uri, pin, _ := offerTo(t, n, tok, a.did)
		var got []*wallet.Credential
		if st, raw := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": pin}, true, &got); st != http.StatusCreated {
			t.Fatalf("accept: %d %s", st, raw)
		}
		var sh wallet.Share
		if st, raw := a.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{got[0].ID}, "label": "HR", "expiresIn": "1h"}, true, &sh); st != http.StatusCreated {
			t.Fatalf("share: %d %s", st, raw)
		}
		var revoked wallet.Share
		a.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{got[0].ID}, "expiresIn": "1h"}, true, &revoked)
		if st, _ := a.do(t, "DELETE", "/wallet/shares/"+revoked.ID, nil, true, nil); st != http.StatusNoContent {
			t.Fatalf("revoke share: %d", st)
		}
		// A server on this machine that must never be asked.
		var hits atomic.Int64
		trap := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
		defer trap.Close()
		token := strings.TrimPrefix(sh.URL, n.base+"/share/")
		body := strings.Join([]string{
			"link,name",
			sh.URL + ",王五的学位",
			sh.URL, // again: a share link may be opened many times
			revoked.URL + ",revoked",
			trap.URL + "/share/" + token + ",loopback",
			"https://evil.example.com/share/" + token,
			"file:///etc/passwd",
			n.base + "/share/../admin/orgs",
			`"=HYPERLINK(""x"")"`,
		}, "\n")
		var res result
		st, raw := n.postRaw(t, "/verify/batch", hr, "text/csv", []byte(body), "")
		if st != 200 || json.Unmarshal(raw, &res) != nil {
			t.Fatalf("links: %d %s", st, raw)
		}
		want := []struct{ name, state, reason string }{
			{"王五的学位", "valid", "Valid"},
			{sh.URL, "valid", "Valid"},
			{"revoked", "error", "expired or was revoked"},
			{"loopback", "error", "not a share link of this service"},
			{"https://evil.example.com/share/" + token, "error", "not a share link of this service"},
			{"file:///etc/passwd", "error", "not a share link"},
			{n.base + "/share/../admin/orgs", "error", "not a share link"},
			{"=HYPERLINK(\"x\")", "error", "not a share link"},
		}
		if len(res.Rows) != len(want) {
			t.Fatalf("%d rows: %s", len(res.Rows), raw)
		}
		for i, w := range want {
			r := res.Rows[i]
			if r.Name != w.name || r.State != w.state || !strings.Contains(r.ReasonEN, w.reason) || r.ReasonZH == "" {
				t.Errorf("row %d: %q %s %q, want %q %s %q", i, r.Name, r.State, r.ReasonEN, w.name, w.state, w.reason)
			}
		}
		if r := res.Rows[0]; r.Kind != verifier.KindPresentation || r.Holder != a.did || slices.Contains(r.Failed, "replay") {
			t.Errorf("share row %+v", r)
		}
		if hits.Load() != 0 {
			t.Fatalf("the verifier fetched another host %d times", hits.Load())
		}
		// Each opening is in the holder's access log.
		var log []wallet.Access
		if st, _ := a.do(t, "GET", "/wallet/shares/"+sh.ID+"/log", nil, false, &log); st != 200 || len(log) != 2 {
			t.Fatalf("share log: %d %d", st, len(log))
		}
		// The same as a CSV download: formula cells defused.
		st, raw = n.postRaw(t, "/verify/batch?format=csv", hr, "text/csv", []byte(body), "")
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(raw, []byte("\ufeff")))).ReadAll()
		if st != 200 || err != nil || len(recs) != len(want)+1 {
			t.Fatalf("csv: %d %v %q", st, err, raw)
		}
		head := recs[0]
		col := func(name string) int { return slices.Index(head, name) }
		if col("name") < 0 || col("reason_en") < 0 || col("reason_zh") < 0 {
			t.Fatalf("header %q", head)
		}
		if recs[1][col("name")] != "王五的学位" || recs[1][col("state")] != "valid" || recs[8][col("name")] != `'=HYPERLINK("x")` {
			t.Fatalf("csv rows %q", recs)
		}
	})
}

// TestStoredVerification: POST /credentials/verify with options.store keeps
// the verification for GET /verifications/{id} (every step, the check time,
// the subject summary and the issuer's name); without it nothing is kept;
// unknown and malformed ids are 404.
func TestStoredVerification(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "南开", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	holder := newHolderKey(t)
	iss := n.issueDegree(t, tok, holder.did)

	var ans struct {
		verifyAnswer
		VerificationID string `json:"verificationId"`
	}
	if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{
		"verifiableCredential": iss.VerifiableCredential, "anchorReceipt": iss.AnchorReceipt, "options": map[string]any{"store": true},
	}, &ans); st != 200 || !ans.Verified || !ui.ValidVerificationID(ans.VerificationID) {
		t.Fatalf("verify and store: %d %+v", st, ans.VerificationID)
	}
	var sv ui.StoredVerification
	if st := n.call(t, "GET", "/verifications/"+ans.VerificationID, "", nil, &sv); st != 200 {
		t.Fatalf("get: %d", st)
	}
	if sv.ID != ans.VerificationID || sv.State != verifier.StateValid || !sv.Verified || sv.Report == nil || len(sv.Report.Steps) != 7 ||
		sv.Report.CheckedAt.IsZero() || sv.Report.AnchorTime.IsZero() || !sv.Expires.After(sv.Created) {
		t.Fatalf("stored %+v", sv)
	}
	if len(sv.Subjects) != 1 || sv.Subjects[0].IssuerName == nil || sv.Subjects[0].IssuerName.Zh == "" || sv.Subjects[0].Subject["id"] != holder.did {
		t.Fatalf("subjects %+v", sv.Subjects)
	}
	degree, _ := sv.Subjects[0].Subject["degree"].(map[string]any)
	if degree["level"] != "master" {
		t.Fatalf("subject summary %+v", sv.Subjects[0].Subject)
	}
	for _, s := range sv.Report.Steps {
		if s.MessageEN == "" || s.MessageZH == "" {
			t.Fatalf("step without messages %+v", s)
		}
	}
	// A presentation too.
	vp := holder.present(t, "store-1", "", iss.VerifiableCredential)
	var pans struct {
		VerificationID string `json:"verificationId"`
	}
	if st := n.call(t, "POST", "/presentations/verify", "", map[string]any{
		"verifiablePresentation": vp, "anchorReceipts": map[string]any{iss.CredentialID: iss.AnchorReceipt},
		"options": map[string]any{"challenge": "store-1", "store": true},
	}, &pans); st != 200 || pans.VerificationID == "" {
		t.Fatalf("presentation: %d", st)
	}
	if st := n.call(t, "GET", "/verifications/"+pans.VerificationID, "", nil, &sv); st != 200 || sv.Kind != verifier.KindPresentation || len(sv.Subjects) != 1 {
		t.Fatalf("stored presentation: %d %+v", st, sv)
	}
	// Nothing kept without the option.
	var plain struct {
		VerificationID *string `json:"verificationId"`
	}
	if st := n.call(t, "POST", "/credentials/verify", "", map[string]any{"verifiableCredential": iss.VerifiableCredential}, &plain); st != 200 || plain.VerificationID != nil {
		t.Fatalf("without store: %d %v", st, plain.VerificationID)
	}
	for _, id := range []string{"vfy_" + strings.Repeat("A", 32), "nothing", "vfy_..%2F..%2Fetc"} {
		if st := n.call(t, "GET", "/verifications/"+id, "", nil, nil); st != 404 {
			t.Errorf("GET %s: %d, want 404", id, st)
		}
	}
}

// TestRequestAnsweredWithSDJWT: a presentation request answered with an
// SD-JWT VC and its key binding: the definition is evaluated over the
// disclosed claims (a request for a claim the holder did not disclose is
// verified but not satisfied), through the pipeline's decoder.
func TestRequestAnsweredWithSDJWT(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	did, vm, err := jose.DIDKey(key.Public())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := jose.NewSigner(key, vm)
	if err != nil {
		t.Fatal(err)
	}
	_, tok := n.newOrg(t, "人大", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	req := masterDegree(did)
	req["options"] = map[string]any{"format": "dc+sd-jwt"}
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, req, &iss); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	var compact string
	if err := json.Unmarshal(iss.VerifiableCredential, &compact); err != nil {
		t.Fatal(err)
	}
	_, hr := n.newVerifierAccount(t, "SD HR", false)
	definition := `{"id": "sd-check", "input_descriptors": [{"id": "degree", "constraints": {"fields": [
		{"path": ["$.vct"], "filter": {"type": "string", "const": "https://w3id.org/talentchain/vct/degree"}},
		{"path": ["$.degree.fieldOfStudy.en"], "filter": {"type": "string", "const": "Blockchain Engineering"}}]}}]}`
	submission := `{"id": "s-1", "definition_id": "sd-check", "descriptor_map": [{"id": "degree", "format": "dc+sd-jwt", "path": "$"}]}`

	for _, c := range []struct {
		name      string
		disclose  []string
		satisfied bool
	}{
		{"the field of study disclosed", []string{"/degree/fieldOfStudy"}, true},
		{"only the level disclosed", []string{"/degree/level"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ra requestAnswer
			if st := n.call(t, "POST", "/requests", hr, map[string]any{
				"presentation_definition": json.RawMessage(definition), "purpose": map[string]string{"zh": "核验", "en": "check"}, "expiresIn": "10m",
			}, &ra); st != http.StatusCreated {
				t.Fatalf("create: %d", st)
			}
			p, err := sdjwt.Present(compact, c.disclose, &sdjwt.KeyBinding{Signer: signer, Audience: ra.Domain, Nonce: ra.Challenge})
			if err != nil {
				t.Fatal(err)
			}
			receipts, _ := json.Marshal(map[string]any{iss.CredentialID: iss.AnchorReceipt})
			var ans struct {
				Accepted  bool     `json:"accepted"`
				Verified  bool     `json:"verified"`
				Satisfied bool     `json:"satisfied"`
				Failures  []string `json:"failures"`
			}
			st := postForm(t, ra.URL+"/response", url.Values{"vp_token": {p}, "presentation_submission": {submission}, "state": {ra.ID}, "anchor_receipts": {string(receipts)}}, &ans)
			if st != 200 || !ans.Verified || ans.Satisfied != c.satisfied || ans.Accepted != c.satisfied {
				t.Fatalf("answer: %d %+v", st, ans)
			}
			if !c.satisfied && (len(ans.Failures) == 0 || !strings.Contains(strings.Join(ans.Failures, " "), "fieldOfStudy")) {
				t.Fatalf("failures %q", ans.Failures)
			}
		})
	}

	t.Run("an SD-JWT presentation replayed to the VC-API", func(t *testing.T) {
		p, err := sdjwt.Present(compact, []string{"/degree/level"}, &sdjwt.KeyBinding{Signer: signer, Audience: "hr.example.cn", Nonce: "sd-replay-1"})
		if err != nil {
			t.Fatal(err)
		}
		body := map[string]any{"verifiablePresentation": p, "anchorReceipts": map[string]any{iss.CredentialID: iss.AnchorReceipt},
			"options": map[string]string{"challenge": "sd-replay-1", "domain": "hr.example.cn"}}
		var first, again verifyAnswer
		if st := n.call(t, "POST", "/presentations/verify", "", body, &first); st != 200 || !first.Verified || step(&first.Report, verifier.StepReplay) != verifier.StepOK {
			t.Fatalf("first: %d %+v", st, first.Report.Steps)
		}
		if st := n.call(t, "POST", "/presentations/verify", "", body, &again); st != 200 || again.Verified || step(&again.Report, verifier.StepReplay) != verifier.StepFailed {
			t.Fatalf("replay: %d %+v", st, again.Report.Steps)
		}
	})
}

// TestRotationOverHTTP: the node caches issuer records (5 s); right after
// an organisation rotates its key, a credential signed with the new key —
// JSON-LD or SD-JWT VC — verifies at once, and one issued before the
// rotation stays valid.
func TestRotationOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	did, tok := n.newOrg(t, "轮换大学", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	holder := newHolderKey(t)
	issueSD := func() issueAnswer {
		t.Helper()
		req := masterDegree(holder.did)
		req["options"] = map[string]any{"format": "dc+sd-jwt"}
		var a issueAnswer
		if st := n.call(t, "POST", "/credentials/issue", tok, req, &a); st != http.StatusCreated {
			t.Fatalf("issue SD-JWT: %d", st)
		}
		return a
	}
	before, beforeSD := n.issueDegree(t, tok, holder.did), issueSD()
	// Both verified: the issuer record (key-1 only) is now cached.
	for _, c := range []issueAnswer{before, beforeSD} {
		if _, ans := n.verifyVC(t, c.VerifiableCredential, c.AnchorReceipt); !ans.Verified {
			t.Fatalf("before the rotation: %+v", ans.Report.Steps)
		}
	}
	if st := n.call(t, "POST", "/admin/orgs/"+did+"/keys", n.admin, map[string]any{}, nil); st != 200 && st != 201 {
		t.Fatalf("rotate: %d", st)
	}
	after, afterSD := n.issueDegree(t, tok, holder.did), issueSD()
	for name, c := range map[string]issueAnswer{"JSON-LD, new key": after, "SD-JWT VC, new key": afterSD, "JSON-LD, old key": before, "SD-JWT VC, old key": beforeSD} {
		st, ans := n.verifyVC(t, c.VerifiableCredential, c.AnchorReceipt)
		if st != 200 || !ans.Verified || step(&ans.Report, verifier.StepProof) != verifier.StepOK || step(&ans.Report, verifier.StepKey) != verifier.StepOK {
			t.Errorf("%s: %d %+v", name, st, ans.Report.Steps)
		}
	}
}
