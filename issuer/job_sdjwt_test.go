package issuer

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential/sdjwt"
)

// TestCSVJobSDJWT runs a CSV batch in the SD-JWT VC format on both stores:
// every row becomes an SD-JWT VC that verifies, is anchored (receipt over
// the issuer JWT) and status-listed; the results name them; the same keys
// uploaded again in another format fail row by row instead of returning
// credentials of the wrong format.
func TestCSVJobSDJWT(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	c := n.Client()
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "SDJobs-"+sc.name, TypeTraining)

			for _, f := range []Format{"jwt", "jwt_vc_json", "SD-JWT"} {
				if _, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("f", 1), JobOptions{Format: f, DryRun: true}); !errors.Is(err, ErrInvalid) {
					t.Errorf("format %q: %v", f, err)
				}
			}

			const rows = 150
			dry, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("sd", rows), JobOptions{Format: FormatSDJWTLegacy, DryRun: true})
			if err != nil || dry.Format != FormatSDJWT || dry.Status != JobReady {
				t.Fatalf("dry run: %+v, %v", dry, err)
			}
			job, err := e.svc.CreateJob(ctx, o.DID, "staff:registrar", TemplateTraining, trainingCSV("sd", rows), JobOptions{Format: FormatSDJWTLegacy, ChunkSize: 100, Start: true})
			if err != nil || job.Format != FormatSDJWT {
				t.Fatalf("CreateJob: %+v, %v", job, err)
			}
			done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			res := checkJobDone(t, ctx, e.svc, done, rows)
			if done.Format != FormatSDJWT {
				t.Fatalf("stored job format %q", done.Format)
			}

			v, err := sdjwt.NewVerifier(sdjwt.VerifierConfig{Resolver: chainResolver{c}})
			if err != nil {
				t.Fatal(err)
			}
			seenIdx := map[int]bool{}
			for i, r := range res {
				rec, err := e.svc.Credential(ctx, o.DID, r.CredentialID)
				if err != nil {
					t.Fatal(err)
				}
				if rec.Format != FormatSDJWT || rec.Receipt == nil || rec.Status != StatusActive || seenIdx[rec.StatusIdx] {
					t.Fatalf("row %d: record %+v", i, rec)
				}
				seenIdx[rec.StatusIdx] = true
				var compact string
				if err := json.Unmarshal(rec.Credential, &compact); err != nil {
					t.Fatalf("row %d: credential %s is not an SD-JWT string", i, rec.Credential)
				}
				if d := sdjwt.AnchorDigest(compact); rec.Receipt.Digest != hex.EncodeToString(d[:]) {
					t.Fatalf("row %d: receipt digest %s", i, rec.Receipt.Digest)
				}
				if i%50 != 0 && i != rows-1 {
					continue // verify a sample: one SD-JWT verification reads the chain
				}
				got, err := v.Verify(ctx, compact, sdjwt.VerifyOptions{})
				if err != nil || !got.Result.Verified {
					t.Fatalf("row %d: verify: %v %+v", i, err, got.Result)
				}
				cl := got.Claims
				st, _ := cl["status"].(map[string]any)["status_list"].(map[string]any)
				if cl["iss"] != o.DID || cl["jti"] != rec.ID || cl["vct"] != VCT(TypeTraining) ||
					st["idx"] != float64(rec.StatusIdx) || !strings.HasSuffix(st["uri"].(string), "/status/"+o.DID+"/rev-0") {
					t.Fatalf("row %d: claims %v", i, cl)
				}
				// Rows with a holder are bound to its key; the others are not.
				if (i%2 == 0) != (got.HolderKey != nil) {
					t.Fatalf("row %d: holder key %v", i, got.HolderKey)
				}
				if a, err := c.Anchor(ctx, rec.Receipt.Root); err != nil || a.Issuer != o.DID {
					t.Fatalf("row %d: anchor %+v %v", i, a, err)
				}
			}

			// Listed by the holder's name, read from the fullName
			// disclosure (row 148 has a holder: no request is kept).
			page, err := e.svc.ListCredentials(ctx, o.DID, CredentialQuery{Text: "学员148"})
			if err != nil || page.Total != 1 || page.Items[0].HolderName["en"] != "Trainee 148" || page.Items[0].Holder == "" {
				t.Fatalf("listing by name: %+v, %v", page, err)
			}

			// Status-listed like a single SD-JWT VC: a revocation shows in
			// the token status list.
			rec0, _ := e.svc.Credential(ctx, o.DID, res[0].CredentialID)
			if _, err := e.svc.SetStatus(ctx, o.DID, StatusChange{IDs: []string{rec0.ID}, Status: StatusRevoked}); err != nil {
				t.Fatal(err)
			}
			if l, err := c.StatusList(ctx, o.DID, "rev-0"); err != nil || !l.Bit(uint64(rec0.StatusIdx)) {
				t.Fatalf("revocation list: %v", err)
			}

			// The same keys in another format: failed rows, not the SD-JWT
			// credentials handed back as if they were W3C ones.
			again, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("sd", 3), JobOptions{Format: FormatV2, Start: true})
			if err != nil {
				t.Fatal(err)
			}
			if again, err = e.svc.WaitJob(ctx, o.DID, again.ID); err != nil {
				t.Fatal(err)
			}
			if again.Status != JobDone || again.Failed != 3 || again.Issued != 0 ||
				!strings.Contains(again.Errors[0].Reason, "format dc+sd-jwt") {
				t.Fatalf("re-upload in vc2: %+v", again)
			}
			// And the same format again: the credentials already issued.
			same, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("sd", 3), JobOptions{Format: FormatSDJWT, Start: true})
			if err != nil {
				t.Fatal(err)
			}
			if same, err = e.svc.WaitJob(ctx, o.DID, same.ID); err != nil || same.Issued != 3 || same.Failed != 0 {
				t.Fatalf("re-upload in dc+sd-jwt: %+v, %v", same, err)
			}
			sameRes, err := e.svc.JobResults(ctx, o.DID, same.ID)
			if err != nil || sameRes[1].CredentialID != res[1].CredentialID {
				t.Fatalf("re-upload results %+v, %v", sameRes, err)
			}
			if got := countKeys(t, ctx, e.svc, "cred/"); got != rows {
				t.Fatalf("%d credentials stored, want %d", got, rows)
			}
		})
	}
}
