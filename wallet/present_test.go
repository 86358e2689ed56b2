package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
)

// TestReceivePresentVerify is the holder's path on both stores: receive
// real anchored credentials, list them with live status, present them, and
// a verifier (credential.Verifier with issuer keys from the chain) accepts
// the presentation only for its own challenge and domain.
func TestReceivePresentVerify(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			clk := &clock{}
			s := newWallet(t, sc.open(t), nil, Config{StatusCacheTTL: -1, Now: clk.Now})
			a := holder(t, s, "zhangsan")
			degree, err := s.Import(ctx, a.ID, file(t, f.issue(t, masterDegree(a.DID))))
			if err != nil {
				t.Fatal(err)
			}
			courseRec := f.issue(t, training(a.DID, "BC-601"))
			course, err := s.Import(ctx, a.ID, file(t, courseRec))
			if err != nil {
				t.Fatal(err)
			}
			short := masterDegree(a.DID)
			short.ValidUntil = time.Now().Add(time.Hour)
			expiring, err := s.Import(ctx, a.ID, file(t, f.issue(t, short)))
			if err != nil {
				t.Fatal(err)
			}

			p, err := s.Present(ctx, a.ID, PresentRequest{CredentialIDs: []string{degree.ID, course.ID}, Challenge: "nonce-7f3a", Domain: "hr.example.cn"})
			if err != nil {
				t.Fatalf("present: %v", err)
			}
			v := strictVerifier(t)
			res, err := v.VerifyPresentation(ctx, p.Presentation, credential.VerifyOptions{Challenge: "nonce-7f3a", Domain: "hr.example.cn"})
			if err != nil || !res.Verified {
				t.Fatalf("the verifier refuses the presentation: %v %v", err, res)
			}
			var vp struct {
				Holder string           `json:"holder"`
				VCs    []map[string]any `json:"verifiableCredential"`
				Proof  map[string]any   `json:"proof"`
			}
			if err := json.Unmarshal(p.Presentation, &vp); err != nil {
				t.Fatal(err)
			}
			if vp.Holder != a.DID || len(vp.VCs) != 2 || vp.Proof["cryptosuite"] != credential.SuiteEdDSARDFC2022 ||
				!strings.HasPrefix(vp.Proof["verificationMethod"].(string), a.DID+"#") || len(p.Receipts) != 2 || p.Receipts[1] == nil {
				t.Fatalf("presentation %s", p.Presentation)
			}
			if err := p.Receipts[1].Check(vp.VCs[1]); err != nil {
				t.Fatalf("the receipt beside the VP: %v", err)
			}
			// Another challenge or domain: refused by the verifier.
			for _, opts := range []credential.VerifyOptions{{Challenge: "nonce-other", Domain: "hr.example.cn"}, {Challenge: "nonce-7f3a", Domain: "evil.example"}} {
				res, _ := v.VerifyPresentation(ctx, p.Presentation, opts)
				if res.Verified || !(res.Failed(credential.CheckChallenge) || res.Failed(credential.CheckDomain)) {
					t.Fatalf("accepted for %+v", opts)
				}
			}
			// Bad requests.
			for _, bad := range []PresentRequest{
				{CredentialIDs: []string{degree.ID}},
				{CredentialIDs: nil, Challenge: "c"},
				{CredentialIDs: []string{degree.ID, degree.ID}, Challenge: "c"},
				{CredentialIDs: []string{"../../acct"}, Challenge: "c"},
			} {
				if _, err := s.Present(ctx, a.ID, bad); !errors.Is(err, ErrInvalid) {
					t.Fatalf("%+v: %v", bad, err)
				}
			}

			// Live status: valid, then suspended, reinstated, revoked on chain.
			status := func(id string) Status {
				t.Helper()
				c, err := s.Credential(ctx, a.ID, id)
				if err != nil {
					t.Fatal(err)
				}
				return c.Status
			}
			if st := status(course.ID); st != StatusValid {
				t.Fatalf("status %s", st)
			}
			if full, _ := s.Credential(ctx, a.ID, degree.ID); full.Receipt == nil || len(full.Verification.Checks) < 5 || len(full.Document) == 0 {
				t.Fatalf("Credential is not in full: %+v", full)
			}
			for _, step := range []struct {
				to   issuer.Status
				want Status
			}{{issuer.StatusSuspended, StatusSuspended}, {issuer.StatusActive, StatusValid}, {issuer.StatusRevoked, StatusRevoked}} {
				if _, err := f.iss.SetStatus(ctx, f.uni.DID, issuer.StatusChange{IDs: []string{courseRec.ID}, Status: step.to}); err != nil {
					t.Fatal(err)
				}
				if st := status(course.ID); st != step.want {
					t.Fatalf("after %s: %s", step.to, st)
				}
			}
			// Expired: by the wallet's clock; revoked stays revoked.
			clk.Set(time.Now().Add(2 * time.Hour))
			page, err := s.Credentials(ctx, a.ID, ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]Status{}
			for _, c := range page.Items {
				got[c.ID] = c.Status
				if c.Document != nil || c.Compact != "" || c.Receipt != nil || len(c.Verification.Checks) != 0 || !c.Anchored || c.Verification.State == "" {
					t.Fatalf("the listing carries details, or lost its summary: %+v", c)
				}
			}
			if got[expiring.ID] != StatusExpired || got[course.ID] != StatusRevoked || got[degree.ID] != StatusValid {
				t.Fatalf("statuses %v", got)
			}
			clk.Set(time.Time{})

			// Pagination, newest first, then delete.
			p1, err := s.Credentials(ctx, a.ID, ListOptions{Limit: 2, NoStatus: true})
			if err != nil || len(p1.Items) != 2 || p1.Next == "" || p1.Items[0].ID != expiring.ID || p1.Items[1].ID != course.ID {
				t.Fatalf("page 1: %+v %v", p1, err)
			}
			p2, err := s.Credentials(ctx, a.ID, ListOptions{Limit: 2, After: p1.Next, NoStatus: true})
			if err != nil || len(p2.Items) != 1 || p2.Next != "" || p2.Items[0].ID != degree.ID {
				t.Fatalf("page 2: %+v %v", p2, err)
			}
			if _, err := s.Credentials(ctx, a.ID, ListOptions{Limit: 1001}); !errors.Is(err, ErrInvalid) {
				t.Fatalf("limit: %v", err)
			}
			if _, err := s.Credentials(ctx, a.ID, ListOptions{After: "x/../y"}); !errors.Is(err, ErrInvalid) {
				t.Fatalf("after: %v", err)
			}
			if err := s.DeleteCredential(ctx, a.ID, degree.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Credential(ctx, a.ID, degree.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted: %v", err)
			}
			if err := s.DeleteCredential(ctx, a.ID, degree.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("deleted twice: %v", err)
			}
			// Deleted, it can be received again.
			if _, err := s.Import(ctx, a.ID, []byte(degreeDocument(t, s, p))); err != nil {
				t.Fatalf("re-import: %v", err)
			}
		})
	}
}

// degreeDocument returns the first credential of a presentation, as JSON.
func degreeDocument(t testing.TB, _ *Service, p *Presentation) string {
	t.Helper()
	var vp struct {
		VCs []json.RawMessage `json:"verifiableCredential"`
	}
	if err := json.Unmarshal(p.Presentation, &vp); err != nil {
		t.Fatal(err)
	}
	return string(vp.VCs[0])
}

// The status cache answers repeated listings without asking again, and
// expires.
func TestStatusCache(t *testing.T) {
	f := env(t)
	ctx := context.Background()
	calls := 0
	clk := &clock{}
	clk.Set(time.Now())
	counting := StatusFunc(func(ctx context.Context, format string, raw []byte) (Status, error) {
		calls++
		return f.status.CheckStatus(ctx, format, raw)
	})
	s, err := New(cheap(Config{StatusCacheTTL: time.Minute, Now: clk.Now}), openBolt(t), testKeyring(t), credential.MustLoader(), f.cv, counting)
	if err != nil {
		t.Fatal(err)
	}
	a := holder(t, s, "zhangsan")
	if _, err := s.Import(ctx, a.ID, file(t, f.issue(t, training(a.DID, "BC-701")))); err != nil {
		t.Fatal(err)
	}
	failing := false
	s.status = StatusFunc(func(ctx context.Context, format string, raw []byte) (Status, error) {
		if failing {
			return "", errors.New("chain unreachable")
		}
		return counting(ctx, format, raw)
	})
	for range 3 {
		if p, _ := s.Credentials(ctx, a.ID, ListOptions{}); p.Items[0].Status != StatusValid {
			t.Fatal(p.Items[0].Status)
		}
	}
	if calls != 1 {
		t.Fatalf("%d status checks for 3 listings", calls)
	}
	clk.Set(clk.Now().Add(2 * time.Minute))
	failing = true
	if p, _ := s.Credentials(ctx, a.ID, ListOptions{}); p.Items[0].Status != StatusUnknown {
		t.Fatalf("unreachable checker: %s", p.Items[0].Status)
	}
	failing = false
	if p, _ := s.Credentials(ctx, a.ID, ListOptions{}); p.Items[0].Status != StatusValid || calls != 2 {
		t.Fatalf("after expiry: %s, %d calls", p.Items[0].Status, calls)
	}
}

func TestPresentOrder(t *testing.T) {
	// The VP's credentials follow the requested order (the submission's
	// paths rely on it).
	f := env(t)
	ctx := context.Background()
	s := newWallet(t, openBolt(t), nil, Config{})
	a := holder(t, s, "zhangsan")
	var ids []string
	for _, code := range []string{"BC-801", "BC-802", "BC-803"} {
		c, err := s.Import(ctx, a.ID, file(t, f.issue(t, training(a.DID, code))))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	order := []string{ids[1], ids[2], ids[0]}
	p, err := s.Present(ctx, a.ID, PresentRequest{CredentialIDs: order, Challenge: "c"})
	if err != nil {
		t.Fatal(err)
	}
	var vp struct {
		VCs []struct {
			Subject struct {
				Course struct {
					Code string `json:"courseCode"`
				} `json:"course"`
			} `json:"credentialSubject"`
		} `json:"verifiableCredential"`
	}
	json.Unmarshal(p.Presentation, &vp)
	var codes []string
	for _, vc := range vp.VCs {
		codes = append(codes, vc.Subject.Course.Code)
	}
	if !slices.Equal(codes, []string{"BC-802", "BC-803", "BC-801"}) {
		t.Fatalf("order %v", codes)
	}
}
