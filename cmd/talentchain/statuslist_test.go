package main

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/issuer"
)

// TestTokenStatusListOverHTTP: the status uri of an SD-JWT VC answers a
// Token Status List JWT when asked for one (Accept:
// application/statuslist+jwt) and the W3C status list credential
// otherwise; the credential's two bits follow its revocation on chain.
func TestTokenStatusListOverHTTP(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "状态列表", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	req := masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK")
	req["options"] = map[string]any{"format": "dc+sd-jwt"}
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, req, &iss); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	var compact string
	if err := json.Unmarshal(iss.VerifiableCredential, &compact); err != nil {
		t.Fatalf("SD-JWT VC is not a string: %s", iss.VerifiableCredential)
	}
	claims := jwtClaims(t, strings.SplitN(compact, "~", 2)[0])
	var status struct {
		StatusList struct {
			Idx int    `json:"idx"`
			URI string `json:"uri"`
		} `json:"status_list"`
	}
	if err := json.Unmarshal(claims["status"], &status); err != nil || !strings.HasPrefix(status.StatusList.URI, n.base+"/status/") {
		t.Fatalf("status claim %s: %v", claims["status"], err)
	}
	value := func() int {
		t.Helper()
		r, _ := http.NewRequest("GET", status.StatusList.URI, nil)
		r.Header.Set("Accept", issuer.MediaTypeStatusListJWT)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != issuer.MediaTypeStatusListJWT || !strings.Contains(resp.Header.Get("Vary"), "Accept") {
			t.Fatalf("token status list: %d %q %.200s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		c := jwtClaims(t, string(body))
		var sl struct {
			Bits int    `json:"bits"`
			Lst  string `json:"lst"`
		}
		if err := json.Unmarshal(c["status_list"], &sl); err != nil || sl.Bits != 2 {
			t.Fatalf("status_list claim %s: %v", c["status_list"], err)
		}
		v, err := issuer.TokenStatus(sl.Lst, sl.Bits, status.StatusList.Idx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := value(); v != issuer.TokenStatusValid {
		t.Fatalf("fresh credential has token status %d", v)
	}
	// Without the Accept header: the W3C credential, as before.
	resp, err := http.Get(status.StatusList.URI)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/vc" {
		t.Fatalf("W3C status list: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{
		"credentialId":     iss.CredentialID,
		"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
	}, nil); st != http.StatusOK {
		t.Fatalf("revoke: %d", st)
	}
	if v := value(); v != issuer.TokenStatusInvalid {
		t.Fatalf("revoked credential has token status %d", v)
	}
}

// jwtClaims decodes the payload of a compact JWS (not checking it).
func jwtClaims(t *testing.T, jws string) map[string]json.RawMessage {
	t.Helper()
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWS: %.80q", jws)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}
