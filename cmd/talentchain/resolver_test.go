package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/verifier"
)

// seedKey is a deterministic Ed25519 key for tests.
func seedKey(seed string) ed25519.PrivateKey {
	s := sha256.Sum256([]byte(seed))
	return ed25519.NewKeyFromSeed(s[:])
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// submit signs p with the keys (the account's next sequence) and submits it,
// failing the test unless it commits.
func submit(t testing.TB, ctx context.Context, c *chain.Client, chainID string, p chain.Payload, signer, account string, keys ...ed25519.PrivateKey) chain.Receipt {
	t.Helper()
	seq, err := c.Sequence(ctx, account)
	if err != nil {
		t.Fatalf("sequence of %s: %v", account, err)
	}
	tx := chain.NewTx(p, signer, seq+1)
	for _, k := range keys {
		if err := tx.Sign(chainID, k); err != nil {
			t.Fatal(err)
		}
	}
	b, err := tx.Encode()
	if err != nil {
		t.Fatal(err)
	}
	r, err := c.Submit(ctx, b)
	if err != nil {
		t.Fatalf("%s: %v", p.TxType(), err)
	}
	return r
}

// registerIssuer registers and accredits a university issuer whose first
// key is key, and returns its DID.
func registerIssuer(t testing.TB, ctx context.Context, c *chain.Client, chainID string, key ed25519.PrivateKey, gov ...ed25519.PrivateKey) string {
	t.Helper()
	did := chain.IssuerDID(pubOf(key))
	submit(t, ctx, c, chainID, &chain.RegisterIssuer{
		Kind: chain.KindUniversity, Names: chain.Names{En: "Test University", Zh: "测试大学"},
		PublicKey: chain.EncodePublicKey(pubOf(key)),
	}, chain.GovernanceSigner, chain.GovernanceSigner, gov...)
	submit(t, ctx, c, chainID, &chain.Accredit{Issuer: did, CredentialType: "TrainingCertificateCredential"},
		chain.GovernanceSigner, chain.GovernanceSigner, gov...)
	return did
}

// signCredential signs a VCDM 2.0 training certificate as issuer did with
// the verification method keyID.
func signCredential(t *testing.T, did, keyID string, key ed25519.PrivateKey) json.RawMessage {
	t.Helper()
	loader, err := credential.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	s, err := credential.NewSigner(loader, &credential.KeyPair{ID: keyID, Controller: did, Public: pubOf(key), Private: key})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := credential.ParseDocument([]byte(`{"@context":["https://www.w3.org/ns/credentials/v2","https://w3id.org/talentchain/credentials/v1"],
	  "type":["VerifiableCredential","TrainingCertificateCredential"],"validFrom":"2026-01-01T00:00:00Z",
	  "credentialSubject":{"fullName":{"zh":"赵六"},"course":{"type":"Course","courseCode":"BC-301","hours":40},"result":"pass"}}`))
	if err != nil {
		t.Fatal(err)
	}
	signed, err := s.SignCredential(doc, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(signed)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// verifyOver posts vc to /credentials/verify of base.
func verifyOver(t *testing.T, base string, vc json.RawMessage) *credential.Result {
	t.Helper()
	body, _ := json.Marshal(map[string]json.RawMessage{"verifiableCredential": vc})
	resp, err := http.Post(base+"/credentials/verify", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res credential.Result
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("verify: status %d, %v", resp.StatusCode, err)
	}
	return &res
}

func checkPassed(res *credential.Result, name string) (passed, found bool) {
	for _, c := range res.Checks {
		if c.Name == name {
			return c.Passed, true
		}
	}
	return false, false
}

// TestVerifyOnChainIssuer verifies, through serve's wiring and
// POST /credentials/verify, credentials of an issuer registered on the
// embedded chain: signed with its key, then after a rotation with the new
// key; a key the chain does not list, and the rotated-out key, fail the
// pipeline's key step (the key in force when the credential was issued),
// and an issuer the chain does not know fails its issuer step.
func TestVerifyOnChainIssuer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	cfg := testConfig(t)
	a, err := build(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()

	n := a.node
	key1, key2, stranger := seedKey("uni-key-1"), seedKey("uni-key-2"), seedKey("stranger")
	did := registerIssuer(t, ctx, a.chain, n.ChainID(), key1, n.GovernanceKey())
	signedByKey1 := signCredential(t, did, chain.KeyID(did, 1), key1)

	if res := verifyOver(t, srv.URL, signedByKey1); !res.Verified {
		t.Fatalf("credential signed with the on-chain key: %+v", res)
	}

	submit(t, ctx, a.chain, n.ChainID(), &chain.RotateKey{NewPublicKey: chain.EncodePublicKey(pubOf(key2))},
		chain.KeyID(did, 1), did, key1)

	tests := []struct {
		name         string
		vc           json.RawMessage
		wantVerified bool
	}{
		{"new key after rotation", signCredential(t, did, chain.KeyID(did, 2), key2), true},
		{"key the chain does not list", signCredential(t, did, chain.KeyID(did, 3), stranger), false},
		{"stranger's key under the current key id", signCredential(t, did, chain.KeyID(did, 2), stranger), false},
		{"rotated-out key, no anchor to prove when", signCredential(t, did, chain.KeyID(did, 1), key1), false},
		{"unregistered did:talent issuer", signCredential(t, chain.IssuerDID(pubOf(stranger)), chain.KeyID(chain.IssuerDID(pubOf(stranger)), 1), stranger), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := verifyOver(t, srv.URL, tt.vc)
			if res.Verified != tt.wantVerified {
				t.Fatalf("verified = %v, want %v: %+v", res.Verified, tt.wantVerified, res)
			}
			if tt.name == "stranger's key under the current key id" {
				// The key id is the issuer's, so the key check passes; the
				// signature does not verify against the listed key.
				if passed, _ := checkPassed(res, credential.CheckProof); passed {
					t.Fatalf("proof passed with a stranger's key: %+v", res.Checks)
				}
				return
			}
			step := verifier.StepKey
			if tt.name == "unregistered did:talent issuer" {
				step = verifier.StepIssuer // no issuer on chain: no key to check
			}
			if passed, found := checkPassed(res, step); !found || passed != tt.wantVerified {
				t.Fatalf("%s check passed=%v found=%v: %+v", step, passed, found, res.Checks)
			}
		})
	}
}

// TestControllerDocument pins which chain keys the verifier may accept.
func TestControllerDocument(t *testing.T) {
	did := chain.IssuerDID(pubOf(seedKey("a")))
	k1, k2 := chain.EncodePublicKey(pubOf(seedKey("a"))), chain.EncodePublicKey(pubOf(seedKey("b")))
	rotated := &chain.DIDDocument{
		ID: did,
		VerificationMethod: []chain.VerificationMethod{
			{ID: did + "#key-1", Type: "Multikey", Controller: did, PublicKeyMultibase: k1, ValidFromHeight: 2, ValidUntilHeight: 7},
			{ID: did + "#key-2", Type: "Multikey", Controller: did, PublicKeyMultibase: k2, ValidFromHeight: 8},
		},
		AssertionMethod: []string{did + "#key-1", did + "#key-2"},
		Authentication:  []string{did + "#key-2"},
	}
	tests := []struct {
		name       string
		md         chain.DIDDocumentMetadata
		wantAssert []string
	}{
		{"active: current key only", chain.DIDDocumentMetadata{Status: chain.StatusActive}, []string{did + "#key-2"}},
		{"suspended: still its current key", chain.DIDDocumentMetadata{Status: chain.StatusSuspended}, []string{did + "#key-2"}},
		{"removed: nothing", chain.DIDDocumentMetadata{Status: chain.StatusRemoved, Deactivated: true}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, err := controllerDocument(rotated, &tt.md)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(doc.AssertionMethod, tt.wantAssert) {
				t.Errorf("assertionMethod = %v, want %v", doc.AssertionMethod, tt.wantAssert)
			}
			if len(doc.VerificationMethod) != 2 || !pubOf(seedKey("a")).Equal(doc.VerificationMethod[0].PublicKey) {
				t.Errorf("verification methods %+v", doc.VerificationMethod)
			}
		})
	}
	bad := *rotated
	bad.VerificationMethod = []chain.VerificationMethod{{ID: did + "#key-1", PublicKeyMultibase: "zNotAKey"}}
	if _, err := controllerDocument(&bad, &chain.DIDDocumentMetadata{}); err == nil {
		t.Error("accepted an undecodable key")
	}
}

// TestChainResolverNotFound: what the chain does not know wraps
// credential.ErrNotFound, so Resolvers tries the next resolver.
func TestChainResolverNotFound(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	n, _ := startChainNode(t)
	r := chainResolver{n.Client()}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	for _, id := range []string{
		"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		"did:talent:0OIl",
		chain.IssuerDID(pubOf(seedKey("nobody"))),
	} {
		if _, err := r.Resolve(ctx, id); !errors.Is(err, credential.ErrNotFound) {
			t.Errorf("Resolve(%s) = %v, want ErrNotFound", id, err)
		}
	}
}

// getJSON GETs url and decodes the body into out; it returns the status and
// Content-Type.
func getJSON(t *testing.T, url string, out any) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: status %d, body not JSON: %v", url, resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type")
}

// TestDIDEndpoint resolves DIDs through serve's wiring: an issuer on the
// embedded chain with its key history after a rotation, a did:key, and the
// problems for unknown and malformed DIDs.
func TestDIDEndpoint(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a CometBFT node")
	}
	a, err := build(t.Context(), testConfig(t), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer a.close()
	srv := httptest.NewServer(a.handler)
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	n := a.node
	key1, key2 := seedKey("did-endpoint-1"), seedKey("did-endpoint-2")
	did := registerIssuer(t, ctx, a.chain, n.ChainID(), key1, n.GovernanceKey())
	rotated := submit(t, ctx, a.chain, n.ChainID(), &chain.RotateKey{NewPublicKey: chain.EncodePublicKey(pubOf(key2))},
		chain.KeyID(did, 1), did, key1)

	var res struct {
		DIDDocument           chain.DIDDocument         `json:"didDocument"`
		DIDResolutionMetadata map[string]string         `json:"didResolutionMetadata"`
		DIDDocumentMetadata   chain.DIDDocumentMetadata `json:"didDocumentMetadata"`
	}
	status, ct := getJSON(t, srv.URL+"/1.0/identifiers/"+did, &res)
	doc, md := res.DIDDocument, res.DIDDocumentMetadata
	if status != 200 || !strings.HasPrefix(ct, "application/ld+json") || res.DIDResolutionMetadata["contentType"] != "application/did+ld+json" {
		t.Fatalf("status %d, type %q, metadata %v", status, ct, res.DIDResolutionMetadata)
	}
	if doc.ID != did || len(doc.VerificationMethod) != 2 ||
		doc.VerificationMethod[0].ValidUntilHeight != rotated.Height || doc.VerificationMethod[1].ValidFromHeight != rotated.Height+1 ||
		doc.VerificationMethod[1].PublicKeyMultibase != chain.EncodePublicKey(pubOf(key2)) ||
		!slices.Equal(doc.Authentication, []string{chain.KeyID(did, 2)}) {
		t.Errorf("DID document %+v (rotated at %d)", doc, rotated.Height)
	}
	if md.Status != chain.StatusActive || md.Deactivated || md.Height < rotated.Height {
		t.Errorf("DID document metadata %+v", md)
	}

	const didKey = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
	var keyRes struct {
		DIDDocument credential.ControllerDocument `json:"didDocument"`
	}
	status, _ = getJSON(t, srv.URL+"/1.0/identifiers/"+didKey, &keyRes)
	if kd := keyRes.DIDDocument; status != 200 || kd.ID != didKey || len(kd.VerificationMethod) != 1 ||
		kd.VerificationMethod[0].PublicKeyMultibase != strings.TrimPrefix(didKey, "did:key:") {
		t.Errorf("did:key: status %d, document %+v", status, kd)
	}

	problems := []struct {
		name, did  string
		wantStatus int
	}{
		{"unregistered issuer", chain.IssuerDID(pubOf(seedKey("nobody"))), 404},
		{"unsupported method", "did:web:example.com", 404},
		{"did:key of no Ed25519 key", "did:key:z6Mk", 404},
		{"did:talent not base58 of 16 bytes", "did:talent:0OIl", 400},
		{"not a DID", "talentchain", 400},
	}
	for _, p := range problems {
		t.Run(p.name, func(t *testing.T) {
			var prob struct {
				Type   string `json:"type"`
				Status int    `json:"status"`
			}
			status, ct := getJSON(t, srv.URL+"/1.0/identifiers/"+p.did, &prob)
			if status != p.wantStatus || prob.Status != p.wantStatus || ct != "application/problem+json" {
				t.Errorf("status %d (%+v, %s), want %d", status, prob, ct, p.wantStatus)
			}
		})
	}
}
