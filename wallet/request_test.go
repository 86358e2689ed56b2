package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
)

// testMatcher is a small Presentation Exchange matcher for the tests
// (credential/pex is written concurrently): descriptors whose fields have
// one "$.a.b" path and a filter of const, enum or contains-const, and
// "all" semantics (every descriptor needs a candidate).
type testMatcher struct{}

type testDefinition struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Purpose     string `json:"purpose"`
	Descriptors []struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		Purpose     string `json:"purpose"`
		Constraints struct {
			Fields []struct {
				Path    []string       `json:"path"`
				Purpose string         `json:"purpose"`
				Filter  map[string]any `json:"filter"`
			} `json:"fields"`
		} `json:"constraints"`
	} `json:"input_descriptors"`
}

func (testMatcher) Match(_ context.Context, def json.RawMessage, cands []Candidate) (*Match, error) {
	var d testDefinition
	if err := json.Unmarshal(def, &d); err != nil || d.ID == "" || len(d.Descriptors) == 0 {
		return nil, fmt.Errorf("bad definition: %v", err)
	}
	m := &Match{DefinitionID: d.ID, Name: d.Name, Purpose: d.Purpose, Satisfied: true}
	for _, desc := range d.Descriptors {
		dm := DescriptorMatch{ID: desc.ID, Name: desc.Name, Purpose: desc.Purpose}
	next:
		for _, c := range cands {
			var fields []FieldMatch
			for _, f := range desc.Constraints.Fields {
				v, ok := lookup(c.Document, f.Path[0])
				if !ok || !passes(v, f.Filter) {
					continue next
				}
				fields = append(fields, FieldMatch{Path: f.Path[0], Purpose: f.Purpose, Value: v})
			}
			dm.Candidates = append(dm.Candidates, CandidateMatch{ID: c.ID, Fields: fields})
		}
		if len(dm.Candidates) == 0 {
			m.Satisfied = false
		}
		m.Descriptors = append(m.Descriptors, dm)
	}
	return m, nil
}

func lookup(doc map[string]any, path string) (any, bool) {
	var v any = doc
	for _, k := range strings.Split(strings.TrimPrefix(path, "$."), ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

func passes(v any, filter map[string]any) bool {
	if c, ok := filter["const"]; ok {
		return v == c
	}
	if e, ok := filter["enum"].([]any); ok {
		return slices.Contains(e, v)
	}
	if c, ok := filter["contains"].(map[string]any); ok {
		arr, _ := v.([]any)
		return slices.Contains(arr, c["const"])
	}
	return true
}

// verifierServer is a verifier in the test: it serves request objects and
// receives direct_post answers, with challenges single use in a real store
// (store.Take) and the presentation checked by credential.Verifier and the
// chain's status lists.
type verifierServer struct {
	srv    *httptest.Server
	st     store.Store
	mu     sync.Mutex
	reqs   map[string]*RequestObject
	got    map[string]obj
	status chainStatus
	v      *credential.Verifier
	// responseURI, when set, replaces the response_uri of new requests.
	responseURI string
}

type obj = map[string]any

func newVerifierServer(t testing.TB) *verifierServer {
	f := env(t)
	vs := &verifierServer{st: openBolt(t), reqs: map[string]*RequestObject{}, got: map[string]obj{}, status: f.status, v: f.cv.v}
	vs.srv = httptest.NewServer(http.HandlerFunc(vs.serve))
	t.Cleanup(vs.srv.Close)
	return vs
}

// request creates a request and returns its URL.
func (vs *verifierServer) request(t testing.TB, def string, ttl time.Duration) string {
	t.Helper()
	id := randomToken()[:20]
	challenge := randomToken()
	ro := &RequestObject{ID: id, Definition: json.RawMessage(def), Challenge: challenge, Domain: "hr.example.cn",
		ResponseURI: vs.srv.URL + "/requests/" + id + "/response", Expires: time.Now().Add(ttl).UTC()}
	if vs.responseURI != "" {
		ro.ResponseURI = vs.responseURI
	}
	if err := vs.st.Put(context.Background(), "challenge/"+id, []byte(challenge), max(ttl, time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	vs.mu.Lock()
	vs.reqs[id] = ro
	vs.mu.Unlock()
	return vs.srv.URL + "/requests/" + id
}

func (vs *verifierServer) serve(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rest, ok := strings.CutPrefix(r.URL.Path, "/requests/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	id, action, _ := strings.Cut(rest, "/")
	vs.mu.Lock()
	ro := vs.reqs[id]
	vs.mu.Unlock()
	if ro == nil {
		http.NotFound(w, r)
		return
	}
	reply := func(code int, v any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		json.NewEncoder(w).Encode(v)
	}
	switch {
	case r.Method == http.MethodGet && action == "":
		reply(200, ro)
	case r.Method == http.MethodPost && action == "response":
		if err := r.ParseForm(); err != nil || r.PostForm.Get("state") != id {
			reply(400, obj{"error": "invalid_request"})
			return
		}
		challenge, err := vs.st.Take(ctx, "challenge/"+id)
		if err != nil {
			reply(400, obj{"error": "invalid_request", "error_description": "the request was answered already or expired"})
			return
		}
		res, err := vs.v.VerifyPresentation(ctx, []byte(r.PostForm.Get("vp_token")), credential.VerifyOptions{Challenge: string(challenge), Domain: ro.Domain})
		if err != nil || !res.Verified {
			reply(400, obj{"error": "access_denied", "error_description": fmt.Sprint(err, res)})
			return
		}
		var sub struct {
			DefinitionID string `json:"definition_id"`
			Map          []struct {
				ID, Format, Path string
			} `json:"descriptor_map"`
		}
		var vp struct {
			VCs []json.RawMessage `json:"verifiableCredential"`
		}
		var receipts []*credential.AnchorReceipt
		json.Unmarshal([]byte(r.PostForm.Get("presentation_submission")), &sub)
		json.Unmarshal([]byte(r.PostForm.Get("vp_token")), &vp)
		json.Unmarshal([]byte(r.PostForm.Get("anchor_receipts")), &receipts)
		if len(sub.Map) == 0 || len(receipts) != len(vp.VCs) {
			reply(400, obj{"error": "invalid_request", "error_description": "submission or receipts"})
			return
		}
		for _, vc := range vp.VCs {
			st, err := vs.status.CheckStatus(ctx, FormatLDP, vc)
			if err != nil || st != StatusValid {
				reply(400, obj{"error": "access_denied", "error_description": fmt.Sprintf("credential status %s %v", st, err)})
				return
			}
		}
		vs.mu.Lock()
		vs.got[id] = obj{"submission": r.PostForm.Get("presentation_submission")}
		vs.mu.Unlock()
		reply(200, obj{"verified": true, "definition": sub.DefinitionID})
	default:
		http.NotFound(w, r)
	}
}

const masterOrDoctor = `{"id":"hr-2026-master","name":"Master or doctorate","purpose":"Hiring a blockchain engineer",
 "input_descriptors":[{"id":"degree","name":"Degree","purpose":"A master's or a doctorate",
  "constraints":{"fields":[{"path":["$.type"],"filter":{"type":"array","contains":{"const":"DegreeCredential"}}},
   {"path":["$.credentialSubject.degree.level"],"purpose":"the level","filter":{"type":"string","enum":["master","doctor"]}}]}},
  {"id":"training","name":"Training","constraints":{"fields":[{"path":["$.credentialSubject.course.courseCode"],"filter":{"const":"BC-901"}}]}}]}`

func TestPresentationRequest(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			vs := newVerifierServer(t)
			s := newWallet(t, sc.open(t), nil, Config{AllowedOrigins: []string{vs.srv.URL}}, WithMatcher(testMatcher{}))
			a := holder(t, s, "zhangsan")
			master, _ := s.Import(ctx, a.ID, file(t, f.issue(t, masterDegree(a.DID))))
			bachelorReq := masterDegree(a.DID)
			bachelorReq.Template = issuer.TemplateBachelor
			bachelorReq.Subject["degree"].(map[string]any)["level"] = "bachelor"
			bachelorReq.Subject["degree"].(map[string]any)["degreeName"] = map[string]any{"zh": "工学学士", "en": "Bachelor of Engineering"}
			bachelor, err := s.Import(ctx, a.ID, file(t, f.issue(t, bachelorReq)))
			if err != nil {
				t.Fatal(err)
			}
			courseRec := f.issue(t, training(a.DID, "BC-901"))
			course, _ := s.Import(ctx, a.ID, file(t, courseRec))

			reqURL := vs.request(t, masterOrDoctor, 10*time.Minute)
			view, err := s.FetchRequest(ctx, a.ID, reqURL)
			if err != nil {
				t.Fatalf("fetch: %v", err)
			}
			if !view.Satisfied || view.Verifier != vs.srv.URL || view.Purpose != "Hiring a blockchain engineer" || len(view.Descriptors) != 2 {
				t.Fatalf("view %+v", view)
			}
			d := view.Descriptors[0]
			if len(d.Candidates) != 1 || d.Candidates[0].Credential.ID != master.ID || d.Candidates[0].Fields[1].Value != "master" || d.Candidates[0].Credential.Document != nil {
				t.Fatalf("degree candidates %+v", d.Candidates)
			}

			// A choice that does not answer its descriptor is refused, and
			// the request stays for a correct answer.
			_, err = s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", bachelor.ID}, {"training", course.ID}}})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("bachelor for a master's: %v", err)
			}
			_, err = s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}}})
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("an incomplete answer: %v", err)
			}
			resp, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}, {"training", course.ID}}})
			if err != nil {
				t.Fatalf("respond: %v", err)
			}
			var body struct {
				Verified   bool   `json:"verified"`
				Definition string `json:"definition"`
			}
			if json.Unmarshal(resp.Body, &body) != nil || !body.Verified || body.Definition != "hr-2026-master" || resp.Status != 200 {
				t.Fatalf("response %+v %s", resp, resp.Body)
			}
			var sub struct {
				Map []struct{ ID, Format, Path string } `json:"descriptor_map"`
			}
			json.Unmarshal(resp.Submission, &sub)
			if len(sub.Map) != 2 || sub.Map[0].Path != "$.verifiableCredential[0]" || sub.Map[1].Path != "$.verifiableCredential[1]" || sub.Map[0].Format != "ldp_vc" {
				t.Fatalf("submission %s", resp.Submission)
			}
			// Answered: the wallet forgot it; fetched again and answered
			// again, the verifier refuses the replay.
			if _, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}, {"training", course.ID}}}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("answered twice: %v", err)
			}
			again, err := s.FetchRequest(ctx, a.ID, reqURL)
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.Respond(ctx, a.ID, Consent{RequestID: again.ID, Selections: []Selection{{"degree", master.ID}, {"training", course.ID}}})
			var re *RemoteError
			if !errors.As(err, &re) || re.Status != 400 {
				t.Fatalf("replay: %v", err)
			}

			// A revoked credential: the wallet shows it, the verifier refuses it.
			if _, err := f.iss.SetStatus(ctx, f.uni.DID, issuer.StatusChange{IDs: []string{courseRec.ID}, Status: issuer.StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			view, err = s.FetchRequest(ctx, a.ID, vs.request(t, masterOrDoctor, 10*time.Minute))
			if err != nil {
				t.Fatal(err)
			}
			if st := view.Descriptors[1].Candidates[0].Credential.Status; st != "" {
				// The view shows summaries; the status is the listing's business.
				t.Logf("status in view: %s", st)
			}
			_, err = s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}, {"training", course.ID}}})
			if !errors.As(err, &re) || !strings.Contains(re.Description, "revoked") {
				t.Fatalf("revoked credential: %v", err)
			}

			// Expired before it is fetched; expired between fetch and consent.
			if _, err := s.FetchRequest(ctx, a.ID, vs.request(t, masterOrDoctor, -time.Second)); !errors.Is(err, ErrExpired) {
				t.Fatalf("expired request: %v", err)
			}
			view, err = s.FetchRequest(ctx, a.ID, vs.request(t, masterOrDoctor, 1200*time.Millisecond))
			if err != nil {
				t.Fatal(err)
			}
			time.Sleep(1300 * time.Millisecond)
			if _, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}}}); !errors.Is(err, ErrExpired) && !errors.Is(err, ErrNotFound) {
				t.Fatalf("expired before consent: %v", err)
			}

			// A response_uri on another origin is refused before consent.
			vs.responseURI = "https://collector.example/steal"
			if _, err := s.FetchRequest(ctx, a.ID, vs.request(t, masterOrDoctor, time.Minute)); !errors.Is(err, ErrForbiddenURL) {
				t.Fatalf("foreign response_uri: %v", err)
			}
			vs.responseURI = ""
			// Declining forgets it.
			view, _ = s.FetchRequest(ctx, a.ID, vs.request(t, masterOrDoctor, time.Minute))
			if err := s.DeclineRequest(ctx, a.ID, view.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Respond(ctx, a.ID, Consent{RequestID: view.ID, Selections: []Selection{{"degree", master.ID}}}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("declined: %v", err)
			}
		})
	}
}

func TestParseRequestObject(t *testing.T) {
	good := `{"id":"r1","presentation_definition":{"id":"d"},"challenge":"c","domain":"d.cn","response_uri":"https://v.cn/r","expires":"2030-01-01T00:00:00Z"}`
	if _, err := parseRequestObject([]byte(good)); err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string]string{
		"unknown member":   strings.Replace(good, `"domain"`, `"extra":1,"domain"`, 1),
		"no challenge":     strings.Replace(good, `"challenge":"c",`, ``, 1),
		"definition array": strings.Replace(good, `{"id":"d"}`, `[]`, 1),
		"bad id":           strings.Replace(good, `"r1"`, `"r/1"`, 1),
		"bad time":         strings.Replace(good, `2030-01-01T00:00:00Z`, `tomorrow`, 1),
		"duplicate":        strings.Replace(good, `"id":"r1",`, `"id":"r1","id":"r2",`, 1),
		"not an object":    `[]`,
	} {
		if _, err := parseRequestObject([]byte(bad)); err == nil {
			t.Errorf("%s accepted", name)
		}
	}
}
