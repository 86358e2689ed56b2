package issuer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

const holder = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"

// verify checks a record as a verifier would: the signature with the
// issuer's key from chain state, the receipt's path, and the receipt's root
// against the on-chain anchor of the same issuer.
func verify(t *testing.T, ctx context.Context, c *chain.Client, rec *Record) {
	t.Helper()
	res, err := verifier(t, c).VerifyCredential(ctx, rec.Credential, credential.VerifyOptions{})
	if err != nil || !res.Verified {
		t.Fatalf("verify %s: %v %+v", rec.ID, err, res)
	}
	if rec.Receipt == nil {
		t.Fatalf("%s has no anchor receipt", rec.ID)
	}
	doc, err := credential.ParseDocument(rec.Credential)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Receipt.Check(doc); err != nil {
		t.Fatalf("receipt: %v", err)
	}
	a, err := c.Anchor(ctx, rec.Receipt.Root)
	if err != nil {
		t.Fatalf("anchor on chain: %v", err)
	}
	if a.Issuer != rec.Org || a.Height != rec.Receipt.Height || a.TxHash != rec.Receipt.TxHash || !a.Time.Equal(rec.Receipt.Time) || a.LeafCount != rec.Receipt.TreeSize {
		t.Fatalf("anchor %+v, receipt %+v", a, rec.Receipt)
	}
}

func TestIssueVerifyRevoke(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	c := n.Client()
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			uni := e.org(t, "Beihang-"+sc.name, "DegreeCredential:bachelor,master", TypeTraining)
			other := e.org(t, "Other-"+sc.name, TypeTraining)

			rec, err := e.svc.Issue(ctx, uni.DID, masterDegree(holder))
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			verify(t, ctx, c, rec)
			var doc struct {
				Context []string `json:"@context"`
				Issuer  string   `json:"issuer"`
				Status  []credential.StatusEntry
				Subject map[string]any `json:"credentialSubject"`
				Proof   map[string]any `json:"proof"`
			}
			_ = json.Unmarshal(rec.Credential, &doc)
			if doc.Issuer != uni.DID || doc.Subject["id"] != holder || doc.Proof["cryptosuite"] != credential.SuiteEdDSARDFC2022 ||
				doc.Proof["verificationMethod"] != chain.KeyID(uni.DID, 1) {
				t.Fatalf("credential %s", rec.Credential)
			}
			parsed, _ := credential.ParseDocument(rec.Credential)
			entries, err := credential.StatusEntries(parsed)
			if err != nil || len(entries) != 2 || entries[0].StatusListCredential != "https://issuer.example.edu.cn/status/"+uni.DID+"/rev-0" {
				t.Fatalf("status entries %+v %v", entries, err)
			}

			// VCDM 1.1 with Ed25519Signature2020 on request.
			v1 := training()
			v1.Format = FormatV1
			rec1, err := e.svc.Issue(ctx, uni.DID, v1)
			if err != nil {
				t.Fatalf("Issue v1: %v", err)
			}
			verify(t, ctx, c, rec1)
			if rec1.StatusIdx != rec.StatusIdx+1 {
				t.Fatalf("status index %d after %d", rec1.StatusIdx, rec.StatusIdx)
			}

			// Refusals.
			doctor := masterDegree(holder)
			doctor.Template = TemplateDoctor
			doctor.Subject["degree"].(map[string]any)["level"] = "doctor"
			completion := &Request{Template: TemplateCompletion, Subject: map[string]any{
				"fullName":       map[string]any{"en": "Wang Wu"},
				"course":         map[string]any{"type": "Course", "courseCode": "X1", "title": map[string]any{"en": "X"}, "hours": 8},
				"completionDate": "2026-05-01",
			}}
			bad := masterDegree(holder)
			bad.Subject["graduationDate"] = "yesterday"
			for _, tt := range []struct {
				name string
				org  string
				req  *Request
				want error
			}{
				{"level not accredited", uni.DID, doctor, ErrNotAccredited},
				{"type not accredited", uni.DID, completion, ErrNotAccredited},
				{"degree by an org accredited for training only", other.DID, masterDegree(holder), ErrNotAccredited},
				{"schema violation", uni.DID, bad, ErrInvalid},
				{"unknown org", "did:talent:1111111111111111111111", training(), ErrNotFound},
			} {
				t.Run(tt.name, func(t *testing.T) {
					if _, err := e.svc.Issue(ctx, tt.org, tt.req); !errors.Is(err, tt.want) {
						t.Fatalf("Issue: %v, want %v", err, tt.want)
					}
				})
			}

			_, err = e.svc.Issue(ctx, uni.DID, bad)
			var ve *ValidationError
			if !errors.As(err, &ve) || ve.Fields[0].Field != "/credentialSubject/graduationDate" {
				t.Fatalf("schema violation: %v", err)
			}

			// Another organisation cannot see or change the credential.
			if _, err := e.svc.Credential(ctx, other.DID, rec.ID); !errors.Is(err, ErrNotFound) {
				t.Fatalf("other org reads: %v", err)
			}
			if _, err := e.svc.SetStatus(ctx, other.DID, StatusChange{IDs: []string{rec.ID}, Status: StatusRevoked}); !errors.Is(err, ErrNotFound) {
				t.Fatalf("other org revokes: %v", err)
			}

			// Suspend, reinstate, revoke: the bits on chain follow.
			bit := func(list string) bool {
				l, err := c.StatusList(ctx, uni.DID, list)
				if errors.Is(err, chain.ErrNotFound) {
					return false
				}
				if err != nil {
					t.Fatal(err)
				}
				return l.Bit(uint64(rec.StatusIdx))
			}
			steps := []struct {
				status   Status
				rev, sus bool
				want     error
			}{
				{StatusSuspended, false, true, nil},
				{StatusActive, false, false, nil},
				{StatusRevoked, true, false, nil},
				{StatusActive, true, false, ErrConflict},
			}
			for _, s := range steps {
				_, err := e.svc.SetStatus(ctx, uni.DID, StatusChange{IDs: []string{rec.ID}, Status: s.status, Reason: "test " + string(s.status), Actor: "registrar"})
				if !errors.Is(err, s.want) {
					t.Fatalf("%s: %v, want %v", s.status, err, s.want)
				}
				if bit("rev-0") != s.rev || bit("sus-0") != s.sus {
					t.Fatalf("after %s: revocation %v suspension %v", s.status, bit("rev-0"), bit("sus-0"))
				}
			}
			got, err := e.svc.Credential(ctx, uni.DID, rec.ID)
			if err != nil || got.Status != StatusRevoked || got.Receipt == nil {
				t.Fatalf("record after revoke: %+v %v", got, err)
			}
			audit, err := e.svc.Audit(ctx, uni.DID)
			if err != nil || len(audit) != 3 || audit[2].Action != StatusRevoked || audit[2].Actor != "registrar" || len(audit[2].TxHashs) != 1 {
				t.Fatalf("audit %+v %v", audit, err)
			}

			// The status list credential carries the chain's bits, signed by the org.
			slc, err := e.svc.StatusListCredential(ctx, uni.DID, "rev-0")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := json.Marshal(slc)
			res, err := verifier(t, c).VerifyCredential(ctx, raw, credential.VerifyOptions{})
			if err != nil || !res.Verified {
				t.Fatalf("status list credential: %v %+v", err, res)
			}
			bits, err := credential.DecodeBitstring(slc["credentialSubject"].(map[string]any)["encodedList"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if on, _ := bits.Get(rec.StatusIdx); !on {
				t.Fatal("revoked bit not set in the status list credential")
			}
			if on, _ := bits.Get(rec1.StatusIdx); on {
				t.Fatal("another credential's bit is set")
			}
			if _, err := e.svc.StatusListCredential(ctx, uni.DID, "rev-7"); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unallocated list: %v", err)
			}

			// Key rotation: the new key signs; the old credential's anchor and
			// receipt are untouched.
			k, err := e.svc.RotateKey(ctx, uni.DID)
			if err != nil {
				t.Fatalf("RotateKey: %v", err)
			}
			if k.ID != chain.KeyID(uni.DID, 2) {
				t.Fatalf("new key %s", k.ID)
			}
			rec2, err := e.svc.Issue(ctx, uni.DID, training())
			if err != nil {
				t.Fatalf("Issue after rotation: %v", err)
			}
			verify(t, ctx, c, rec2)
			is, _ := c.Issuer(ctx, uni.DID)
			if len(is.Keys) != 2 || is.Keys[0].ValidUntilHeight == 0 || is.Keys[0].ValidUntilHeight >= rec2.Receipt.Height ||
				rec1.Receipt.Height > is.Keys[0].ValidUntilHeight {
				t.Fatalf("key windows %+v, anchors %d and %d", is.Keys, rec1.Receipt.Height, rec2.Receipt.Height)
			}

			// A suspended issuer is refused.
			if _, err := e.gov.Submit(ctx, &chain.SuspendIssuer{Issuer: uni.DID, Reason: "audit"}); err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.Issue(ctx, uni.DID, training()); !errors.Is(err, ErrIssuerNotActive) {
				t.Fatalf("suspended issuer: %v", err)
			}
			// ...but can still revoke.
			if _, err := e.svc.SetStatus(ctx, uni.DID, StatusChange{IDs: []string{rec1.ID}, Status: StatusRevoked}); err != nil {
				t.Fatalf("revoke while suspended: %v", err)
			}
		})
	}
}

// TestIssueIdempotent: a repeated request with the same key returns the
// first credential.
func TestIssueIdempotent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{})
	o := e.org(t, "Idem", TypeTraining)
	ctx := context.Background()
	r := training()
	r.IdempotencyKey = "class-2026/row-17"
	a, err := e.svc.Issue(ctx, o.DID, r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.svc.Issue(ctx, o.DID, r)
	if err != nil || b.ID != a.ID || b.Receipt == nil {
		t.Fatalf("second issue %+v %v", b, err)
	}
	_ = fmt.Sprint
}
