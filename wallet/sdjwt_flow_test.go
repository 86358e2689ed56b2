package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/issuer"
)

// chainLists is the StatusLists of the tests (as cmd/ wires it): the
// chain's lists, a list never updated read as nil bits.
type chainLists struct{ c *chain.Client }

func (l chainLists) StatusList(ctx context.Context, did, list string) (StatusBits, error) {
	sl, err := l.c.StatusList(ctx, did, list)
	if errors.Is(err, chain.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return sl, nil
}

// sdVerifier is an SD-JWT verifier resolving did:talent from the chain.
func sdVerifier(t testing.TB) *sdjwt.Verifier {
	t.Helper()
	v, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: chainResolver{env(t).node.Client()}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// sdRequestServer is a verifier for SD-JWT answers: it serves one request
// object and checks the direct_post answer with the real SD-JWT verifier
// (key binding for its challenge and domain), the submission (path "$")
// and the receipts (by jti), once.
type sdRequestServer struct {
	srv       *httptest.Server
	v         *sdjwt.Verifier
	mu        sync.Mutex
	ro        *RequestObject
	used      bool
	claims    map[string]any
	receipts  map[string]*credential.AnchorReceipt
	format    string
	pathGiven string
}

func newSDRequestServer(t testing.TB, def string) *sdRequestServer {
	rs := &sdRequestServer{v: sdVerifier(t)}
	rs.srv = httptest.NewServer(http.HandlerFunc(rs.serve))
	t.Cleanup(rs.srv.Close)
	rs.ro = &RequestObject{ID: "sdreq0000000000000001", Definition: json.RawMessage(def), Challenge: randomToken(), Domain: "hr.example.cn",
		ResponseURI: rs.srv.URL + "/requests/r/response", Expires: time.Now().Add(time.Hour).UTC()}
	return rs
}

func (rs *sdRequestServer) serve(w http.ResponseWriter, r *http.Request) {
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	if r.Method == http.MethodGet {
		reply(200, rs.ro)
		return
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.used {
		reply(400, map[string]string{"error": "invalid_request", "error_description": "answered already"})
		return
	}
	if err := r.ParseForm(); err != nil {
		reply(400, map[string]string{"error": "invalid_request"})
		return
	}
	got, err := rs.v.Verify(r.Context(), r.PostForm.Get("vp_token"), sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: rs.ro.Challenge, Audience: rs.ro.Domain})
	if err != nil || !got.Result.Verified {
		reply(400, map[string]any{"error": "access_denied", "error_description": err, "result": got})
		return
	}
	var sub struct {
		Map []struct{ ID, Format, Path string } `json:"descriptor_map"`
	}
	_ = json.Unmarshal([]byte(r.PostForm.Get("presentation_submission")), &sub)
	_ = json.Unmarshal([]byte(r.PostForm.Get("anchor_receipts")), &rs.receipts)
	if len(sub.Map) == 1 {
		rs.format, rs.pathGiven = sub.Map[0].Format, sub.Map[0].Path
	}
	rs.used, rs.claims = true, got.Claims
	reply(200, map[string]bool{"accepted": true})
}

// An SD-JWT VC issued by the issuer service, imported with its receipt
// (checked against the issuer JWT's digest), listed with its live status
// through the chain's lists, and given in answer to a request for the
// degree level only: the grade and the name stay hidden; revocation shows
// in the listing.
func TestSDJWTRequestAnswer(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			def := `{"id":"level-only","input_descriptors":[{"id":"degree","format":{"dc+sd-jwt":{}},
			 "constraints":{"fields":[{"path":["$.degree.level","$.credentialSubject.degree.level"],"filter":{"type":"string","enum":["master","doctor"]}}]}}]}`
			rs := newSDRequestServer(t, def)
			s := newWallet(t, sc.open(t), nil, Config{AllowedOrigins: []string{rs.srv.URL}, StatusCacheTTL: -1},
				WithSDJWT(sdjwtHandler{sdVerifier(t)}), WithMatcher(pexMatcher{}), WithStatusLists(chainLists{f.node.Client()}))
			a := holder(t, s, "sdholder")
			req := masterDegree(a.DID)
			req.Format = issuer.FormatSDJWT
			req.Subject["degree"].(map[string]any)["grade"] = "A"
			rec := f.issue(t, req)

			// A receipt of another credential is refused, nothing stored.
			other := f.issue(t, training(a.DID, "BC-SD1"))
			bad, _ := json.Marshal(map[string]any{"credential": rec.Credential, "anchorReceipt": other.Receipt})
			if _, err := s.Import(ctx, a.ID, bad); !errors.Is(err, ErrRejected) {
				t.Fatalf("foreign receipt: %v", err)
			}
			c, err := s.Import(ctx, a.ID, file(t, rec))
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if c.Format != FormatSDJWT || c.CredentialID != rec.ID || !c.Anchored || len(c.StatusRefs) != 2 || c.Verification.State != StateValid {
				t.Fatalf("stored %+v %+v", c, c.Verification)
			}
			page, err := s.Credentials(ctx, a.ID, ListOptions{})
			if err != nil || len(page.Items) != 1 || page.Items[0].Status != StatusValid {
				t.Fatalf("listing %+v %v", page, err)
			}

			view, err := s.FetchRequest(ctx, a.ID, rs.srv.URL+"/requests/r")
			if err != nil {
				t.Fatal(err)
			}
			if !view.Satisfied || len(view.Descriptors[0].Candidates) != 1 {
				t.Fatalf("view %+v", view)
			}
			resp, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{DescriptorID: "degree", CredentialID: c.ID}}})
			if err != nil || resp.Status != 200 {
				t.Fatalf("respond: %+v %v", resp, err)
			}
			deg, _ := rs.claims["degree"].(map[string]any)
			if deg["level"] != "master" || deg["grade"] != nil || deg["fieldOfStudy"] != nil || rs.claims["fullName"] != nil {
				t.Fatalf("disclosed %v", rs.claims)
			}
			if rs.format != FormatSDJWT || rs.pathGiven != "$" || rs.receipts[rec.ID] == nil || rs.receipts[rec.ID].Root != rec.Receipt.Root {
				t.Fatalf("submission %s %s, receipts %v", rs.format, rs.pathGiven, rs.receipts)
			}

			// Revoked: the listing shows it from the chain's lists.
			if _, err := f.iss.SetStatus(ctx, f.uni.DID, issuer.StatusChange{IDs: []string{rec.ID}, Status: issuer.StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			page, err = s.Credentials(ctx, a.ID, ListOptions{})
			if err != nil || page.Items[0].Status != StatusRevoked {
				t.Fatalf("after revocation %+v %v", page.Items[0], err)
			}
		})
	}
}

func TestPointerOf(t *testing.T) {
	doc := map[string]any{
		"degree": map[string]any{"level": "master"},
		"a/b":    map[string]any{"c~d": []any{0.0, 1.0, 2.0, 3.0}},
		"it's":   map[string]any{"é\\": true},
		"学位":     "硕士",
		"course": map[string]any{"level": "basic"},
	}
	for _, c := range []struct{ in, want string }{
		{"$['degree']['level']", "/degree/level"},
		{"$['a/b']['c~d'][3]", "/a~1b/c~0d/3"},
		{`$['it\'s']['\u00e9\\']`, "/it's/é\\"},
		{"$['学位']", "/学位"},
	} {
		got, err := pointerOf(c.in, doc)
		if err != nil || got != c.want {
			t.Errorf("pointerOf(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{
		"", "$", "degree", "$['open", "$[x]", "$[1", // malformed, or the whole credential
		"$.a", "$['degree']['grade']", // not in the credential
		"$..level", "$.*", // more than one value
	} {
		if got, err := pointerOf(bad, doc); err == nil {
			t.Errorf("pointerOf(%q) accepted: %q", bad, got)
		}
	}
}
