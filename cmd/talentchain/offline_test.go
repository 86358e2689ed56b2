package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// refusingTransport fails every request and counts them: the network is
// away.
type refusingTransport struct{ attempts *atomic.Int64 }

var errOffline = errors.New("offline: no network")

func (rt refusingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.attempts.Add(1)
	return nil, errOffline
}

// TestOfflineVerification: a node that has the chain verifies with no
// network call at all. http.DefaultTransport fails and counts every
// request and the default resolver fails and counts every DNS query while
// the node verifies: our credentials (JSON-LD with its receipt, an SD-JWT
// VC) and a presentation are answered in full; a credential whose status
// list is on another host, and one whose issuer is a did:web, get a clear
// warning or failure at once, never a fetch or a hang. The test talks to
// the node over loopback with its own transport.
func TestOfflineVerification(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	holder := newHolderKey(t)
	_, tok := n.newOrg(t, "离线大学", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	ld := n.issueDegree(t, tok, holder.did)
	sdReq := masterDegree(holder.did)
	sdReq["options"] = map[string]any{"format": "dc+sd-jwt"}
	var sd issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, sdReq, &sd); st != http.StatusCreated {
		t.Fatalf("issue SD-JWT: %d", st)
	}

	// A credential of a did:key issuer with its status list on another
	// host, and one of a did:web issuer (its keys would be fetched).
	foreignStatus := didKeySigned(t, "", map[string]any{
		"id": "https://status.example.com/lists/1#7", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
		"statusListIndex": "7", "statusListCredential": "https://status.example.com/lists/1",
	}, holder.did)
	didWeb := didKeySigned(t, "did:web:issuer.example.com", nil, holder.did)

	// The network goes away.
	var httpAttempts, dnsAttempts atomic.Int64
	oldTransport, oldResolver := http.DefaultTransport, net.DefaultResolver
	http.DefaultTransport = refusingTransport{&httpAttempts}
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
		dnsAttempts.Add(1)
		return nil, errOffline
	}}
	t.Cleanup(func() { http.DefaultTransport, net.DefaultResolver = oldTransport, oldResolver })
	local := &http.Client{Transport: &http.Transport{Proxy: nil, DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext}, Timeout: 30 * time.Second}
	post := func(t *testing.T, path string, body any) verifyAnswer {
		t.Helper()
		raw, _ := json.Marshal(body)
		req, _ := http.NewRequestWithContext(t.Context(), "POST", n.base+path, bytes.NewReader(raw))
		req.Header.Set("Content-Type", "application/json")
		start := time.Now()
		resp, err := local.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var ans verifyAnswer
		if resp.StatusCode != 200 || json.Unmarshal(b, &ans) != nil {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, b)
		}
		// The refusals are immediate: only a wait for the network (a
		// retry, a backoff) takes this long, even under -race on a loaded
		// machine.
		if d := time.Since(start); d > 20*time.Second {
			t.Fatalf("%s took %s: something waited for the network", path, d)
		}
		return ans
	}

	for _, c := range []struct {
		name  string
		body  map[string]any
		state verifier.State
		step  string
		want  verifier.StepState
		says  string
	}{
		{"our JSON-LD degree with its receipt", map[string]any{"verifiableCredential": ld.VerifiableCredential, "anchorReceipt": ld.AnchorReceipt},
			verifier.StateValid, verifier.StepStatus, verifier.StepOK, ""},
		{"our SD-JWT VC with its receipt", map[string]any{"verifiableCredential": sd.VerifiableCredential, "anchorReceipt": sd.AnchorReceipt},
			"", verifier.StepAnchor, verifier.StepOK, ""},
		{"a status list on another host", map[string]any{"verifiableCredential": foreignStatus},
			verifier.StateWarning, verifier.StepStatus, verifier.StepWarning, "status.example.com"},
		{"a did:web issuer", map[string]any{"verifiableCredential": didWeb},
			verifier.StateInvalid, verifier.StepProof, verifier.StepFailed, "did:web:issuer.example.com"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ans := post(t, "/credentials/verify", c.body)
			if c.state != "" && ans.Report.State != c.state {
				t.Errorf("state %s, want %s: %+v", ans.Report.State, c.state, ans.Report.Steps)
			}
			if ans.Report.State == verifier.StateInvalid && c.state != verifier.StateInvalid {
				t.Errorf("invalid: %+v", ans.Report.Steps)
			}
			s, _ := ans.Report.Step(c.step)
			if s.State != c.want || !strings.Contains(s.MessageEN+" "+detailText(s), c.says) || s.MessageZH == "" {
				t.Errorf("step %s = %s %q (%v), want %s mentioning %q", c.step, s.State, s.MessageEN, s.Details, c.want, c.says)
			}
		})
	}
	t.Run("a presentation of our degree", func(t *testing.T) {
		vp := holder.present(t, "offline-1", "", ld.VerifiableCredential)
		ans := post(t, "/presentations/verify", map[string]any{
			"verifiablePresentation": vp, "anchorReceipts": map[string]any{ld.CredentialID: ld.AnchorReceipt}, "options": map[string]string{"challenge": "offline-1"},
		})
		if !ans.Verified || ans.Report.State != verifier.StateValid {
			t.Fatalf("presentation: %+v", ans.Report.Steps)
		}
	})
	if httpAttempts.Load() != 0 || dnsAttempts.Load() != 0 {
		t.Fatalf("the verifier tried the network: %d HTTP requests, %d DNS queries", httpAttempts.Load(), dnsAttempts.Load())
	}
	// The traps work: an outbound request and a DNS query are counted.
	if _, err := http.Get("https://issuer.example.com/"); !errors.Is(err, errOffline) || httpAttempts.Load() != 1 {
		t.Fatalf("the HTTP trap is not in place: %v", err)
	}
	if _, err := net.DefaultResolver.LookupHost(t.Context(), "issuer.example.com"); err == nil || dnsAttempts.Load() == 0 {
		t.Fatalf("the DNS trap is not in place: %v", err)
	}
}

func detailText(s verifier.Step) string {
	b, _ := json.Marshal(s.Details)
	return string(b)
}

// didKeySigned is a training certificate of a did:key issuer (or, when
// controller is set, of that DID, signed with a fresh key it names), with
// an optional status entry.
func didKeySigned(t *testing.T, controller string, status map[string]any, holder string) json.RawMessage {
	t.Helper()
	kp, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	if controller != "" {
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		kp = &credential.KeyPair{ID: controller + "#key-1", Controller: controller, Public: pub, Private: priv}
	}
	s, err := credential.NewSigner(credential.MustLoader(), kp)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{
		"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":              []any{"VerifiableCredential", "TrainingCertificateCredential"},
		"credentialSubject": map[string]any{"id": holder, "result": "pass"},
		"validFrom":         "2026-01-01T00:00:00Z",
	}
	if status != nil {
		doc["credentialStatus"] = status
	}
	signed, err := s.SignCredential(doc, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(signed)
	return b
}
