package courses_test

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/credential"
)

func TestTranscript(t *testing.T) {
	eachStore(t, func(t *testing.T, e *env) {
		ctx := t.Context()
		who := learner(1)
		bc := e.create(t, course(uni, "BC-101"))                                                                        // 32 h, 2 credits
		sc := e.create(t, course(uni, "SC-201", func(c *courses.Course) { c.Hours, c.Credits = 48, 3 }))                // blockchain
		ai := e.create(t, course(park, "AI-7", func(c *courses.Course) { c.Sector, c.Hours, c.Credits = "ai", 40, 0 })) // science park
		bio := e.create(t, course(park, "BIO-1", func(c *courses.Course) { c.Sector = "biomedicine" }))
		other := e.create(t, course(uni, "OTHER"))

		if tr, err := e.svc.Transcript(ctx, who); err != nil || len(tr.Achievements) != 0 || tr.Total != (courses.Totals{}) {
			t.Errorf("empty transcript = %+v, %v", tr, err)
		}

		e.clock.Set(time.Date(2025, 12, 20, 9, 0, 0, 0, time.UTC))
		e.pass(t, sc, who, 88)
		e.clock.Set(time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC))
		e.pass(t, ai, who, 75)
		e.clock.Set(time.Date(2026, 5, 2, 9, 0, 0, 0, time.UTC))
		e.pass(t, bc, who, 95)
		// Not on the transcript: enrolled only, pending certificate, another learner.
		if _, err := e.svc.Enrol(ctx, bio, who); err != nil {
			t.Fatal(err)
		}
		e.issuer.fail(1)
		if _, err := e.svc.Enrol(ctx, other, who); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.RecordResult(ctx, other, who, courses.Result{Outcome: courses.Pass}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Complete(ctx, other, who); err == nil {
			t.Fatal("want a pending completion")
		}
		e.pass(t, bc, learner(2), 60)

		tr, err := e.svc.Transcript(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		var codes, ids []string
		for _, a := range tr.Achievements {
			codes = append(codes, a.Course.Code)
			ids = append(ids, a.CredentialID)
		}
		if want := []string{"SC-201", "AI-7", "BC-101"}; !slices.Equal(codes, want) {
			t.Errorf("achievements %q, want %q (by completion date)", codes, want)
		}
		if slices.Contains(ids, "") {
			t.Errorf("an achievement without its credential id: %q", ids)
		}
		tests := []struct {
			name string
			got  any
			want any
		}{
			{"total", tr.Total, courses.Totals{Courses: 3, Hours: 120, Credits: 5}},
			{"by sector", tr.BySector, map[string]courses.Totals{
				"blockchain": {Courses: 2, Hours: 80, Credits: 5},
				"ai":         {Courses: 1, Hours: 40, Credits: 0},
			}},
			{"by year", tr.ByYear, map[string]courses.Totals{
				"2025": {Courses: 1, Hours: 48, Credits: 3},
				"2026": {Courses: 2, Hours: 72, Credits: 2},
			}},
		}
		for _, tt := range tests {
			if !reflect.DeepEqual(tt.got, tt.want) {
				t.Errorf("%s = %+v, want %+v", tt.name, tt.got, tt.want)
			}
		}

		claims, err := e.svc.TranscriptClaims(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		if claims["id"] != who || claims["totalHours"] != float64(120) || len(claims["achievements"].([]any)) != 3 {
			t.Errorf("claims %v", claims)
		}
		first := claims["achievements"].([]any)[0].(map[string]any)
		if first["type"] != "Achievement" || first["id"] != ids[0] || first["score"] != float64(88) ||
			first["course"].(map[string]any)["courseCode"] != "SC-201" {
			t.Errorf("first achievement %v", first)
		}
		signAndVerify(t, courses.TranscriptCredential, claims)
	})
}

// signAndVerify signs claims as a credential of type typ with the project's
// credential core and verifies it: the claims must be plain JSON in the
// TalentChain vocabulary, or the strict canonicalization refuses them.
func signAndVerify(t *testing.T, typ string, subject map[string]any) {
	t.Helper()
	loader := credential.MustLoader()
	key, err := credential.GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	signer, err := credential.NewSigner(loader, key)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := signer.SignCredential(map[string]any{
		"@context":          []any{credential.ContextV2, credential.ContextTalentChainV1},
		"type":              []any{"VerifiableCredential", typ},
		"validFrom":         "2026-01-01T00:00:00Z",
		"credentialSubject": subject,
	}, time.Time{})
	if err != nil {
		t.Fatalf("signing %s: %v", typ, err)
	}
	raw, _ := json.Marshal(vc)
	v, err := credential.NewVerifier(credential.VerifierConfig{Loader: loader, Resolver: credential.KeyResolver{}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := v.VerifyCredential(context.Background(), raw, credential.VerifyOptions{})
	if err != nil || !res.Verified {
		t.Fatalf("verifying %s: %+v, %v", typ, res, err)
	}
}

func TestCertificateSubject(t *testing.T) {
	score := 90
	tests := []struct {
		name string
		req  courses.CertificateRequest
	}{
		{"training certificate, everything", courses.CertificateRequest{
			Type: courses.TrainingCertificate, Provider: uni, ProviderName: courses.LangText{Zh: "清华大学", En: "Tsinghua University"},
			Holder: learner(1), CourseCode: "BC-101", Title: courses.LangText{Zh: "区块链基础", En: "Blockchain fundamentals"},
			Hours: 32, Credits: 2, Skills: []string{"solidity"}, Sector: "blockchain", StartDate: "2026-03-01", EndDate: "2026-06-15",
			Result: courses.Pass, Score: &score, CompletionDate: "2026-06-30",
		}},
		{"course completion, the minimum", courses.CertificateRequest{
			Type: courses.CourseCompletion, Provider: park, Holder: learner(2), CourseCode: "AI-7",
			Title: courses.LangText{En: "AI engineering"}, Hours: 8, Sector: "ai", Result: courses.Pass, CompletionDate: "2026-01-10",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signAndVerify(t, tt.req.Type, tt.req.Subject())
		})
	}
}
