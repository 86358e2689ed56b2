package wallet

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// tamper returns the record's credential with a claim changed.
func tamper(t testing.TB, raw json.RawMessage) map[string]any {
	t.Helper()
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		t.Fatal(err)
	}
	doc["credentialSubject"].(map[string]any)["fullName"] = map[string]any{"zh": "王五", "en": "Wang Wu"}
	return doc
}

func TestImport(t *testing.T) {
	f := env(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx := context.Background()
			s := newWallet(t, sc.open(t), nil, Config{})
			a := holder(t, s, "zhangsan")
			b := holder(t, s, "lisi")
			degree := f.issue(t, masterDegree(a.DID))
			course := f.issue(t, training(a.DID, "BC-201"))
			bearer := f.issue(t, training("", "BC-202"))
			others := f.issue(t, training(b.DID, "BC-203"))

			// With its receipt: valid.
			c, err := s.Import(ctx, a.ID, file(t, degree))
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			if c.Verification.State != StateValid || c.Subject != a.DID || c.Issuer != f.uni.DID || c.Receipt == nil ||
				!strings.Contains(strings.Join(c.Types, ","), "DegreeCredential") || c.Source != SourceImport || c.CredentialID == "" {
				t.Fatalf("imported %+v %+v", c, c.Verification)
			}
			if _, err := s.Import(ctx, a.ID, file(t, degree)); !errors.Is(err, ErrConflict) {
				t.Fatalf("second import: %v", err)
			}
			// A bare VC, without receipt: stored with a warning.
			c2, err := s.Import(ctx, a.ID, course.Credential)
			if err != nil || c2.Verification.State != StateWarning || c2.Receipt != nil {
				t.Fatalf("bare VC: %+v %v", c2, err)
			}
			// No subject id: stored with a warning saying so.
			c3, err := s.Import(ctx, a.ID, file(t, bearer))
			if err != nil || c3.Verification.State != StateWarning || !strings.Contains(strings.Join(c3.Verification.Warnings, " "), "no subject id") {
				t.Fatalf("bearer: %+v %v", c3, err)
			}

			// Refused, with reasons, and nothing stored.
			forged := tamper(t, degree.Credential)
			forgedFile, _ := json.Marshal(map[string]any{"credential": forged})
			forgedWithReceipt, _ := json.Marshal(map[string]any{"credential": forged, "anchorReceipt": degree.Receipt})
			wrongReceipt, _ := json.Marshal(map[string]any{"credential": json.RawMessage(course.Credential), "anchorReceipt": degree.Receipt})
			before := len(list(t, s, a.ID))
			for name, tc := range map[string]struct {
				file  []byte
				want  error
				check string
			}{
				"forged claim":        {forgedFile, ErrRejected, "proof"},
				"forged with receipt": {forgedWithReceipt, ErrRejected, "anchor-receipt"},
				"another's receipt":   {wrongReceipt, ErrRejected, "anchor-receipt"},
				"another holder's":    {file(t, others), ErrNotHolder, "holder"},
			} {
				_, err := s.Import(ctx, a.ID, tc.file)
				var re *RejectedError
				if !errors.Is(err, tc.want) || !errors.Is(err, ErrRejected) || !errors.As(err, &re) {
					t.Fatalf("%s: %v", name, err)
				}
				if re.Verification.State != StateInvalid || !strings.Contains(strings.Join(re.Verification.Errors, "\n"), tc.check) {
					t.Fatalf("%s: reasons %v", name, re.Verification.Errors)
				}
			}
			if n := len(list(t, s, a.ID)); n != before {
				t.Fatalf("refused credentials were stored: %d, was %d", n, before)
			}
			// The other holder can import it.
			if _, err := s.Import(ctx, b.ID, file(t, others)); err != nil {
				t.Fatalf("the right holder: %v", err)
			}
			// An unknown account.
			if _, err := s.Import(ctx, strings.Repeat("ab", 16), file(t, others)); !errors.Is(err, ErrNotFound) {
				t.Fatalf("unknown account: %v", err)
			}
		})
	}
}

func list(t testing.TB, s *Service, account string) []*Credential {
	t.Helper()
	p, err := s.Credentials(context.Background(), account, ListOptions{Limit: 1000, NoStatus: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.Items
}

func TestParseImport(t *testing.T) {
	vc := `{"@context":["https://www.w3.org/ns/credentials/v2"],"type":["VerifiableCredential"]}`
	receipt := `{"type":"TalentChainAnchorReceipt","version":1,"credentialDigest":"` + strings.Repeat("a", 64) + `","leafIndex":0,"treeSize":1,"path":[],"root":"` + strings.Repeat("b", 64) + `"}`
	sd := "eyJhbGciOiJFZERTQSJ9.eyJpc3MiOiJ4In0.c2ln~WyJzYWx0IiwibmFtZSIsIngiXQ~"
	cases := []struct {
		name, in string
		format   string
		receipt  bool
		field    string // "" = accepted
	}{
		{"bare VC", vc, FormatLDP, false, ""},
		{"envelope", `{"credential":` + vc + `,"anchorReceipt":` + receipt + `}`, FormatLDP, true, ""},
		{"envelope, null receipt", `{"credential":` + vc + `,"anchorReceipt":null}`, FormatLDP, false, ""},
		{"SD-JWT", "  " + sd + "\n", FormatSDJWT, false, ""},
		{"SD-JWT in envelope", `{"credential":"` + sd + `"}`, FormatSDJWT, false, ""},
		{"empty", "  ", "", false, "/"},
		{"not JSON", "hello", "", false, "/"},
		{"JWT without ~", "a.b.c", "", false, "/"},
		{"duplicate member", `{"@context":[],"@context":[]}`, "", false, "/"},
		{"trailing data", vc + "{}", "", false, "/"},
		{"unknown member", `{"credential":` + vc + `,"x":1}`, "", false, "/x"},
		{"no credential", `{"anchorReceipt":` + receipt + `}`, "", false, "/credential"},
		{"credential not a VC", `{"credential":{"a":1}}`, "", false, "/credential"},
		{"credential a number", `{"credential":5}`, "", false, "/credential"},
		{"string not SD-JWT", `{"credential":"hello"}`, "", false, "/credential"},
		{"receipt with SD-JWT (checked on admission)", `{"credential":"` + sd + `","anchorReceipt":` + receipt + `}`, FormatSDJWT, true, ""},
		{"receipt unknown field", `{"credential":` + vc + `,"anchorReceipt":{"type":"TalentChainAnchorReceipt","extra":1}}`, "", false, "/anchorReceipt"},
		{"receipt bad root", `{"credential":` + vc + `,"anchorReceipt":` + strings.Replace(receipt, strings.Repeat("b", 64), "zz", 1) + `}`, "", false, "/anchorReceipt/root"},
		{"receipt wrong type", `{"credential":` + vc + `,"anchorReceipt":` + strings.Replace(receipt, "TalentChainAnchorReceipt", "Other", 1) + `}`, "", false, "/anchorReceipt/type"},
		{"too large", `{"@context":"` + strings.Repeat("x", MaxImportSize) + `"}`, "", false, "/"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in, err := parseImport([]byte(c.in))
			if c.field == "" {
				if err != nil || in.format != c.format || (in.receipt != nil) != c.receipt {
					t.Fatalf("got %+v %v", in, err)
				}
				return
			}
			var ve *ValidationError
			if !errors.Is(err, ErrInvalid) || !errors.As(err, &ve) || ve.Fields[0].Field != c.field {
				t.Fatalf("got %v, want a refusal of %s", err, c.field)
			}
		})
	}
}

// fakeSDJWT stands in for credential/sdjwt (written concurrently): it
// accepts SD-JWTs whose payload part is "ok", bound to key.
type fakeSDJWT struct {
	subject string
	key     crypto.PublicKey
	gotKey  ed25519.PrivateKey
	gotDisc []string
}

func (f *fakeSDJWT) VerifySDJWT(_ context.Context, compact string) (*SDJWTInfo, *Verification, error) {
	parts := strings.Split(strings.Split(compact, "~")[0], ".")
	v := &Verification{}
	if parts[1] == "ok" {
		v.add("signature", true, false, "fine")
	} else {
		v.add("signature", false, false, "bad signature")
	}
	return &SDJWTInfo{Issuer: "did:example:issuer", Type: "https://credentials.example/degree", Subject: f.subject, HolderKey: f.key,
		Claims: map[string]any{"degree": map[string]any{"level": "master"}, "grade": "A"}, Disclosable: []string{"degree.level", "grade"},
		IssuedAt: time.Now().Add(-time.Hour), Expires: time.Now().Add(time.Hour)}, v.finish(), nil
}

func (f *fakeSDJWT) PresentSDJWT(_ context.Context, compact string, disclose []string, key ed25519.PrivateKey, nonce, aud string) (string, error) {
	f.gotKey, f.gotDisc = append(ed25519.PrivateKey(nil), key...), disclose
	return compact + "kb." + nonce + "." + aud, nil
}

func TestSDJWTOpaque(t *testing.T) {
	ctx := context.Background()
	st := openBolt(t)
	plain := newWallet(t, st, nil, Config{})
	a := holder(t, plain, "zhangsan")
	if _, err := plain.Import(ctx, a.ID, []byte("aGVhZA.ok.c2ln~ZGlzYw~")); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("without a handler: %v", err)
	}
	pub, err := credential.DecodePublicKey(strings.TrimPrefix(a.DID, "did:key:"))
	if err != nil {
		t.Fatal(err)
	}
	h := &fakeSDJWT{subject: a.DID, key: pub}
	s := newWallet(t, st, plain.keys, Config{}, WithSDJWT(h))
	c, err := s.Import(ctx, a.ID, []byte("aGVhZA.ok.c2ln~ZGlzYw~"))
	// Valid, with the warning every credential without a receipt gets.
	if err != nil || c.Format != FormatSDJWT || c.Verification.State != StateWarning || c.Claims["grade"] != "A" {
		t.Fatalf("import SD-JWT: %+v %v", c, err)
	}
	if _, err := s.Import(ctx, a.ID, []byte("aGVhZA.bad.c2ln~ZGlzYw~")); !errors.Is(err, ErrRejected) {
		t.Fatalf("bad SD-JWT: %v", err)
	}
	// Bound to another key: refused, it could never be presented.
	other, _, _ := ed25519.GenerateKey(nil)
	h.key = other
	if _, err := s.Import(ctx, a.ID, []byte("aGVhZA.ok.c2ln~ZGlzYw~b3RoZXI~")); !errors.Is(err, ErrRejected) {
		t.Fatalf("another key: %v", err)
	}
	h.key, h.subject = pub, "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	if _, err := s.Import(ctx, a.ID, []byte("aGVhZA.ok.c2ln~ZGlzYw~b3RoZXI~")); !errors.Is(err, ErrNotHolder) {
		t.Fatalf("another subject: %v", err)
	}
	got, err := s.Credential(ctx, a.ID, c.ID)
	if err != nil || got.Compact != "aGVhZA.ok.c2ln~ZGlzYw~" || got.Status != StatusValid {
		t.Fatalf("stored %+v %v", got, err)
	}
	out, err := s.PresentSDJWT(ctx, a.ID, PresentSDJWTRequest{CredentialID: c.ID, Disclose: []string{"degree.level"}, Nonce: "n-1", Audience: "https://hr.example.cn"})
	if err != nil || !strings.HasSuffix(out, "kb.n-1.https://hr.example.cn") || !ed25519.PublicKey(pub).Equal(h.gotKey.Public()) || h.gotDisc[0] != "degree.level" {
		t.Fatalf("present: %q %v", out, err)
	}
	if _, err := s.Present(ctx, a.ID, PresentRequest{CredentialIDs: []string{c.ID}, Challenge: "c"}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("an SD-JWT in a VP: %v", err)
	}
}
