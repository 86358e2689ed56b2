package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/wallet"
)

func TestSDJWTWalletOverHTTPBolt(t *testing.T) { sdjwtWalletFlow(t, testConfig(t)) }

func TestSDJWTWalletOverHTTPRedis(t *testing.T) {
	cfg := testConfig(t)
	cfg.redisURL = walletRedisURL(t)
	sdjwtWalletFlow(t, cfg)
}

// sdjwtWalletFlow: an SD-JWT VC issued over the VC-API without a holder,
// offered by reference, received by the wallet with a proof of possession
// (so bound to the holder's key), listed valid, given in answer to a
// verifier's request for the degree level only (verified, the grade and the
// name not disclosed), a wrong nonce and a replay refused, and its
// revocation seen in the listing.
func sdjwtWalletFlow(t *testing.T, cfg config) {
	old := walletStatusCacheTTL
	walletStatusCacheTTL = -1
	t.Cleanup(func() { walletStatusCacheTTL = old })
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "选择性披露", map[string]any{"credentialType": "DegreeCredential", "levels": []string{"master"}})
	_, hr := n.newVerifierAccount(t, "SD HR", false)
	h := newHolder(t, n.base, "wangwu")

	req := masterDegree("")
	subj := req["credential"].(map[string]any)["credentialSubject"].(map[string]any)
	delete(subj, "id") // no holder: bound at delivery, to the key the wallet proves
	subj["degree"].(map[string]any)["grade"] = "A"
	req["options"] = map[string]any{"format": "vc+sd-jwt"}
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", tok, req, &iss); st != http.StatusCreated {
		t.Fatalf("issue: %d", st)
	}
	var offer struct {
		URIByReference string `json:"uriByReference"`
	}
	if st := n.call(t, "POST", "/credentials/"+url.PathEscape(iss.CredentialID)+"/offers", tok, map[string]any{}, &offer); st != http.StatusCreated || offer.URIByReference == "" {
		t.Fatalf("offer: %d %+v", st, offer)
	}
	var got []*wallet.Credential
	if st, raw := h.do(t, "POST", "/wallet/offers", map[string]any{"offer": offer.URIByReference}, true, &got); st != http.StatusCreated || len(got) != 1 {
		t.Fatalf("accept: %d %s", st, raw)
	}
	c := got[0]
	if c.Format != wallet.FormatSDJWT || c.Subject != h.did || !c.Anchored || c.Verification.State != wallet.StateValid || c.CredentialID == iss.CredentialID {
		t.Fatalf("received %+v %+v", c, c.Verification)
	}
	var detail wallet.Credential
	h.do(t, "GET", "/wallet/credentials/"+c.ID, nil, false, &detail)
	for _, want := range []string{"issuer", "key", "anchor", "status", "holder-binding"} {
		if !slices.ContainsFunc(detail.Verification.Checks, func(ch credential.Check) bool { return ch.Name == want && ch.Passed }) {
			t.Fatalf("no passed %s check on receipt: %+v", want, detail.Verification.Checks)
		}
	}
	var page wallet.Page
	if st, _ := h.do(t, "GET", "/wallet/credentials", nil, false, &page); st != 200 || len(page.Items) != 1 || page.Items[0].Status != wallet.StatusValid {
		t.Fatalf("listing: %d %+v", st, page)
	}

	// The verifier asks for the degree level only.
	definition := `{"id": "level-only", "input_descriptors": [{"id": "degree", "format": {"dc+sd-jwt": {}}, "constraints": {"fields": [
		{"path": ["$.vct"], "filter": {"type": "string", "const": "https://w3id.org/talentchain/vct/degree"}},
		{"path": ["$.degree.level"], "filter": {"type": "string", "enum": ["master", "doctor"]}}]}}]}`
	newRequest := func() requestAnswer {
		var ra requestAnswer
		if st := n.call(t, "POST", "/requests", hr, map[string]any{
			"presentation_definition": json.RawMessage(definition), "purpose": map[string]string{"zh": "学历核验", "en": "degree check"}, "expiresIn": "10m",
		}, &ra); st != http.StatusCreated {
			t.Fatalf("create request: %d", st)
		}
		return ra
	}
	ra := newRequest()
	var view wallet.RequestView
	if st, raw := h.do(t, "GET", "/wallet/requests?url="+url.QueryEscape(ra.URL), nil, false, &view); st != 200 || !view.Satisfied ||
		len(view.Descriptors[0].Candidates) != 1 {
		t.Fatalf("fetch request: %d %s", st, raw)
	}
	consent := map[string]any{"requestId": view.ID, "selections": []map[string]string{{"descriptorId": "degree", "credentialId": c.ID}}}
	var resp wallet.Response
	if st, raw := h.do(t, "POST", "/wallet/requests/respond", consent, true, &resp); st != 200 || resp.Status != 200 {
		t.Fatalf("respond: %d %s", st, raw)
	}
	var result struct {
		Accepted     bool            `json:"accepted"`
		Verified     bool            `json:"verified"`
		Satisfied    bool            `json:"satisfied"`
		Presentation json.RawMessage `json:"presentation"`
		Verification struct {
			Checks []credential.Check `json:"checks"`
		} `json:"verification"`
	}
	if st := n.call(t, "GET", "/requests/"+ra.ID+"/result", hr, nil, &result); st != 200 || !result.Accepted || !result.Verified || !result.Satisfied {
		t.Fatalf("result: %d %+v", st, result)
	}
	// The report names the format the holder used, not a W3C presentation.
	if len(result.Verification.Checks) == 0 || !strings.HasPrefix(result.Verification.Checks[0].Message, "An SD-JWT VC presented with key binding") {
		t.Fatalf("format check: %+v", result.Verification.Checks)
	}
	var presented string
	if err := json.Unmarshal(result.Presentation, &presented); err != nil {
		t.Fatalf("presentation %s: %v", result.Presentation, err)
	}
	parsed, err := sdjwt.Parse(presented)
	if err != nil || parsed.KeyBinding == nil {
		t.Fatalf("presented %s: %v", presented, err)
	}
	for _, d := range parsed.Disclosures {
		if d.Name == "grade" || d.Name == "fullName" || d.Name == "fieldOfStudy" {
			t.Fatalf("disclosed %s", d.Name)
		}
	}

	// Replay: the same answer to the answered request.
	form := url.Values{"vp_token": {presented}, "state": {ra.ID},
		"presentation_submission": {`{"id":"s","definition_id":"level-only","descriptor_map":[{"id":"degree","format":"dc+sd-jwt","path":"$"}]}`}}
	if st := postForm(t, ra.URL+"/response", form, nil); st != http.StatusConflict {
		t.Fatalf("replayed answer: %d, want 409", st)
	}
	// The same presentation (another request's nonce) to a new request.
	ra2 := newRequest()
	form.Set("state", ra2.ID)
	var ans struct {
		Verified bool `json:"verified"`
		Accepted bool `json:"accepted"`
	}
	if st := postForm(t, ra2.URL+"/response", form, &ans); st == 200 && (ans.Verified || ans.Accepted) {
		t.Fatalf("another request's nonce accepted: %d %+v", st, ans)
	}
	// A presentation made by the wallet for a wrong nonce.
	ra3 := newRequest()
	var sd struct {
		Presentation string `json:"presentation"`
	}
	if st, raw := h.do(t, "POST", "/wallet/presentations/sd-jwt", map[string]any{"credentialId": c.ID, "disclose": []string{},
		"nonce": "not-the-challenge", "audience": ra3.Domain}, true, &sd); st != 200 {
		t.Fatalf("present: %d %s", st, raw)
	}
	form.Set("vp_token", sd.Presentation)
	form.Set("state", ra3.ID)
	if st := postForm(t, ra3.URL+"/response", form, &ans); st == 200 && (ans.Verified || ans.Accepted) {
		t.Fatalf("wrong nonce accepted: %d %+v", st, ans)
	}

	// A share link revealing the field of study only: its public page
	// verifies the SD-JWT and its key binding for the link, and shows the
	// field of study but not the name or the degree's name.
	var sh wallet.Share
	if st, raw := h.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{c.ID},
		"disclose": []string{"/degree/fieldOfStudy"}, "expiresIn": "1h"}, true, &sh); st != http.StatusCreated {
		t.Fatalf("share: %d %s", st, raw)
	}
	token := sh.URL[strings.LastIndex(sh.URL, "/")+1:]
	pageRes, err := http.Get(n.base + "/s/" + token + "?lang=zh")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(pageRes.Body)
	pageRes.Body.Close()
	if pageRes.StatusCode != 200 || !strings.Contains(string(html), `data-verdict="pass"`) || !strings.Contains(string(html), "区块链工程") {
		t.Fatalf("the SD-JWT share page: %d %.800s", pageRes.StatusCode, html)
	}
	for _, hidden := range []string{"李四", "Li Si", "工学硕士"} {
		if strings.Contains(string(html), hidden) {
			t.Fatalf("the SD-JWT share page shows %q, which the holder did not disclose", hidden)
		}
	}

	// Revoked by the issuer: the listing shows it.
	if st := n.call(t, "POST", "/credentials/status", tok, map[string]any{"credentialId": c.CredentialID,
		"credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}}}, nil); st != 200 {
		t.Fatalf("revoke: %d", st)
	}
	if st, _ := h.do(t, "GET", "/wallet/credentials", nil, false, &page); st != 200 || page.Items[0].Status != wallet.StatusRevoked {
		t.Fatalf("after revocation: %d %+v", st, page.Items)
	}
}
