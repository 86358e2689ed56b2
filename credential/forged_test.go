package credential

import (
	"context"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the generated samples in testdata/forged")

// Fixed test identities: keys derive from labels, so the samples are reproducible.
func testKey(label string) *KeyPair {
	seed := sha256.Sum256([]byte("talentchain-test/" + label))
	return NewDIDKeyPair(ed25519.NewKeyFromSeed(seed[:]))
}

var (
	issuerKey   = testKey("issuer")
	holderKey   = testKey("holder")
	attackerKey = testKey("attacker")
	// urlIssuer is an issuer identified by a URL whose only key is listed under
	// authentication, not assertionMethod.
	urlIssuer    = "https://uni.example/issuers/1"
	urlIssuerKey = func() *KeyPair {
		k := testKey("url-issuer")
		k.Controller, k.ID = urlIssuer, urlIssuer+"#"+EncodePublicKey(k.Public)
		return k
	}()
	// P-256 and P-384 did:key identities, did:jwk issuers, and an issuer
	// identified by a URL with one Ed25519 and one P-256 key.
	ecIssuerKey   = testECKey(nil, elliptic.P256(), "ec-issuer")
	ecHolderKey   = testECKey(nil, elliptic.P256(), "ec-holder")
	ecAttackerKey = testECKey(nil, elliptic.P256(), "ec-attacker")
	p384IssuerKey = testECKey(nil, elliptic.P384(), "p384-issuer")
	jwkECKey      = asDIDJWK(testECKey(nil, elliptic.P256(), "jwk-issuer"))
	jwkEdKey      = func() *KeyPair {
		k := testKey("jwk-issuer")
		k.Controller, k.ID, _ = DIDJWK(k.Public)
		return k
	}()
	jwkAttackerKey = asDIDJWK(testECKey(nil, elliptic.P256(), "jwk-attacker"))
	mixedIssuer    = "https://uni.example/issuers/mixed"
	mixedEdKey     = func() *KeyPair {
		k := testKey("mixed-issuer")
		k.Controller, k.ID = mixedIssuer, mixedIssuer+"#ed25519"
		return k
	}()
	mixedECKey = func() *ECKeyPair {
		k := testECKey(nil, elliptic.P256(), "mixed-issuer")
		k.Controller, k.ID = mixedIssuer, mixedIssuer+"#p256"
		return k
	}()
	sampleNow       = time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)
	sampleCreated   = time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)
	sampleChallenge = "c-7f3a9d2e"
	sampleDomain    = "hr.example.com"
)

func testResolver() Resolver {
	r := &StaticResolver{}
	mb := EncodePublicKey(urlIssuerKey.Public)
	r.Add(&ControllerDocument{
		ID:                 urlIssuer,
		VerificationMethod: []VerificationMethod{{ID: urlIssuerKey.ID, Type: "Multikey", Controller: urlIssuer, PublicKeyMultibase: mb, PublicKey: urlIssuerKey.Public}},
		Authentication:     []string{urlIssuerKey.ID},
	})
	ecMB, _ := EncodeECPublicKey(mixedECKey.Public)
	r.Add(&ControllerDocument{
		ID: mixedIssuer,
		VerificationMethod: []VerificationMethod{
			{ID: mixedEdKey.ID, Type: "Multikey", Controller: mixedIssuer, PublicKeyMultibase: EncodePublicKey(mixedEdKey.Public)},
			{ID: mixedECKey.ID, Type: "Multikey", Controller: mixedIssuer, PublicKeyMultibase: ecMB},
		},
		AssertionMethod: []string{mixedEdKey.ID, mixedECKey.ID},
	})
	return Resolvers{KeyResolver{}, DIDJWKResolver{}, r}
}

// asDIDJWK identifies an EC key pair by its did:jwk instead of its did:key.
func asDIDJWK(k *ECKeyPair) *ECKeyPair {
	did, vm, err := DIDJWK(k.Public)
	if err != nil {
		panic(err)
	}
	k.Controller, k.ID = did, vm
	return k
}

func degreeCredential(issuer string) map[string]any {
	return map[string]any{
		"@context":  []any{ContextV2, ContextTalentChainV1},
		"id":        "urn:uuid:9b1f3c2e-4d5a-4e6f-8a7b-1c2d3e4f5a6b",
		"type":      []any{"VerifiableCredential", "DegreeCredential"},
		"issuer":    map[string]any{"id": issuer, "name": "北京示范大学 Beijing Example University"},
		"validFrom": "2026-07-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":       holderKey.Controller,
			"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree": map[string]any{
				"type":         "Degree",
				"level":        "master",
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
			},
			"graduationDate": "2026-06-30",
		},
	}
}

func degreeCredentialV1(issuer string) map[string]any {
	return map[string]any{
		"@context":     []any{ContextV1, ContextEd25519_2020, ContextTalentChainV1},
		"id":           "urn:uuid:1a2b3c4d-5e6f-4a1b-9c2d-3e4f5a6b7c8d",
		"type":         []any{"VerifiableCredential", "TrainingCertificateCredential"},
		"issuer":       issuer,
		"issuanceDate": "2026-07-01T00:00:00Z",
		"credentialSubject": map[string]any{
			"id":       holderKey.Controller,
			"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
			"course":   map[string]any{"type": "Course", "courseCode": "BC-201", "title": map[string]any{"zh": "智能合约安全", "en": "Smart contract security"}, "hours": 48},
			"result":   "pass",
		},
	}
}

func presentation(creds ...any) map[string]any {
	return map[string]any{
		"@context":             []any{ContextV2},
		"id":                   "urn:uuid:5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f",
		"type":                 []any{"VerifiablePresentation"},
		"holder":               holderKey.Controller,
		"verifiableCredential": creds,
	}
}

func presentationV1(creds ...any) map[string]any {
	p := presentation(creds...)
	p["@context"] = []any{ContextV1, ContextEd25519_2020}
	return p
}

type sample struct {
	name  string
	doc   map[string]any
	vp    bool
	check string // the check that must fail; "" = must verify
}

// samples builds every valid and forged sample from scratch.
func samples(t testing.TB) []sample {
	l := MustLoader()
	sign := func(k *KeyPair, doc map[string]any) map[string]any {
		t.Helper()
		s, err := NewSigner(l, k)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.sign(doc, ProofOptions{VerificationMethod: k.ID, Purpose: RelAssertionMethod, Created: sampleCreated})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	signWith := func(k *KeyPair, doc map[string]any, o ProofOptions) map[string]any {
		t.Helper()
		o.VerificationMethod = k.ID
		if o.Created.IsZero() {
			o.Created = sampleCreated
		}
		s, _ := NewSigner(l, k)
		out, err := s.sign(doc, o)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	vpSign := func(k *KeyPair, doc map[string]any, challenge, domain string) map[string]any {
		return signWith(k, doc, ProofOptions{Purpose: RelAuthentication, Challenge: challenge, Domain: domain})
	}
	ecWith := func(k *ECKeyPair, doc map[string]any, o ProofOptions) map[string]any {
		t.Helper()
		o.VerificationMethod = k.ID
		if o.Purpose == "" {
			o.Purpose = RelAssertionMethod
		}
		if o.Created.IsZero() {
			o.Created = sampleCreated
		}
		s, err := NewECSigner(l, k)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.sign(doc, o)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	ecSign := func(k *ECKeyPair, doc map[string]any) map[string]any { return ecWith(k, doc, ProofOptions{}) }
	ecVP := func(k *ECKeyPair, doc map[string]any, challenge, domain string) map[string]any {
		return ecWith(k, doc, ProofOptions{Purpose: RelAuthentication, Challenge: challenge, Domain: domain})
	}
	with2018 := func(k *KeyPair, doc map[string]any, o ProofOptions) map[string]any {
		t.Helper()
		if o.Purpose == "" {
			o.Purpose = RelAssertionMethod
		}
		return sign2018(t, k, doc, o)
	}
	edit := func(doc map[string]any, f func(map[string]any)) map[string]any {
		c := deepCopy(doc)
		f(c)
		return c
	}
	subject := func(doc map[string]any) map[string]any { return doc["credentialSubject"].(map[string]any) }
	firstProof := func(doc map[string]any) map[string]any {
		if p, ok := doc["proof"].(map[string]any); ok {
			return p
		}
		return doc["proof"].([]any)[0].(map[string]any)
	}

	degree := sign(issuerKey, degreeCredential(issuerKey.Controller))
	degreeV1 := sign(issuerKey, degreeCredentialV1(issuerKey.Controller))
	forgedDegree := edit(degree, func(d map[string]any) {
		subject(d)["degree"].(map[string]any)["level"] = "doctor"
	})
	second := signWith(issuerKey, withoutProof(degree), ProofOptions{Purpose: RelAssertionMethod, Created: sampleCreated.Add(time.Hour)})["proof"]

	ecDegree := ecSign(ecIssuerKey, degreeCredential(ecIssuerKey.Controller))
	ecForged := edit(ecDegree, func(d map[string]any) { subject(d)["degree"].(map[string]any)["level"] = "doctor" })
	mixed := ecSign(mixedECKey, signWith(mixedEdKey, degreeCredential(mixedIssuer), ProofOptions{Purpose: RelAssertionMethod}))
	mixedForgedEC := ecSign(mixedECKey, withoutProof(edit(degreeCredential(mixedIssuer), func(d map[string]any) {
		subject(d)["degree"].(map[string]any)["level"] = "doctor"
	})))["proof"].(map[string]any)["proofValue"]
	training2018 := with2018(issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{})
	presentation2018 := func(challenge string) map[string]any {
		vp := presentation(training2018)
		vp["@context"] = []any{ContextV1}
		return with2018(holderKey, vp, ProofOptions{Purpose: RelAuthentication, Challenge: challenge, Domain: sampleDomain})
	}

	return []sample{
		{name: "valid-degree-v2", doc: degree},
		{name: "valid-training-v1-ed25519-2020", doc: degreeV1},
		{name: "valid-proof-set", doc: edit(degree, func(d map[string]any) { d["proof"] = []any{d["proof"], second} })},
		{name: "valid-presentation-v2", vp: true, doc: vpSign(holderKey, presentation(degree), sampleChallenge, sampleDomain)},
		{name: "valid-presentation-v1", vp: true, doc: vpSign(holderKey, presentationV1(degreeV1), sampleChallenge, sampleDomain)},

		{name: "no-proof", doc: withoutProof(degree), check: CheckProof},
		{name: "signed-by-another-key", doc: sign(attackerKey, edit(degreeCredential(attackerKey.Controller), func(d map[string]any) {
			d["issuer"] = issuerKey.Controller
		})), check: CheckIssuerKey},
		{name: "issuer-swapped-after-signing", doc: edit(sign(attackerKey, degreeCredential(attackerKey.Controller)), func(d map[string]any) {
			d["issuer"] = map[string]any{"id": issuerKey.Controller}
		}), check: CheckIssuerKey},
		{name: "key-not-assertion-method", doc: sign(urlIssuerKey, degreeCredential(urlIssuer)), check: CheckIssuerKey},
		{name: "claim-altered", doc: forgedDegree, check: CheckProof},
		{name: "proof-date-altered", doc: edit(degree, func(d map[string]any) { firstProof(d)["created"] = "2026-07-02T08:00:00Z" }), check: CheckProof},
		{name: "undefined-term-added", doc: edit(degree, func(d map[string]any) { subject(d)["nationalIdNumber"] = "110101199001011234" }), check: CheckJSONLD},
		{name: "undefined-type", doc: edit(degree, func(d map[string]any) {
			d["type"] = []any{"VerifiableCredential", "DegreeCredential", "HonoraryDoctorate"}
		}), check: CheckJSONLD},
		{name: "unknown-context", doc: edit(degree, func(d map[string]any) {
			d["@context"] = []any{ContextV2, ContextTalentChainV1, "https://evil.example/contexts/v1"}
		}), check: CheckJSONLD},
		{name: "invalid-iri-identifier", doc: edit(degree, func(d map[string]any) { subject(d)["id"] = "https://uni.example/students/zhang san" }), check: CheckJSONLD},
		{name: "keyword-like-member", doc: edit(degree, func(d map[string]any) { subject(d)["@grade"] = "A" }), check: CheckJSONLD},
		{name: "control-character", doc: edit(degree, func(d map[string]any) { subject(d)["fullName"].(map[string]any)["en"] = "Zhang\u0000San" }), check: CheckJSONLD},
		{name: "proof-set-one-forged", doc: edit(degree, func(d map[string]any) {
			bad := maps.Clone(second.(map[string]any))
			bad["proofValue"] = firstProof(forgedDegree)["proofValue"]
			d["proof"] = []any{d["proof"], bad}
		}), check: CheckProof + "[1]"},
		{name: "proof-set-unknown-type", doc: edit(degree, func(d map[string]any) {
			d["proof"] = []any{d["proof"], map[string]any{"type": "MadeUpSignature2030", "proofValue": "zabc"}}
		}), check: CheckProof + "[1]"},
		{name: "proof-set-foreign-key", doc: edit(degree, func(d map[string]any) {
			other := signWith(attackerKey, withoutProof(degree), ProofOptions{Purpose: RelAssertionMethod})["proof"]
			d["proof"] = []any{d["proof"], other}
		}), check: CheckIssuerKey + "[1]"},
		{name: "unsupported-cryptosuite", doc: edit(degree, func(d map[string]any) { firstProof(d)["cryptosuite"] = "bbs-2023" }), check: CheckProof},
		{name: "authentication-purpose-on-credential", doc: signWith(issuerKey, degreeCredential(issuerKey.Controller), ProofOptions{Purpose: RelAuthentication}), check: CheckProof},
		{name: "expired", doc: sign(issuerKey, edit(degreeCredential(issuerKey.Controller), func(d map[string]any) { d["validUntil"] = "2026-08-01T00:00:00Z" })), check: CheckValidity},
		{name: "not-yet-valid", doc: sign(issuerKey, edit(degreeCredential(issuerKey.Controller), func(d map[string]any) { d["validFrom"] = "2027-01-01T00:00:00Z" })), check: CheckValidity},
		{name: "proof-created-in-future", doc: signWith(issuerKey, degreeCredential(issuerKey.Controller), ProofOptions{Purpose: RelAssertionMethod, Created: sampleNow.Add(48 * time.Hour)}), check: CheckProof},
		{name: "v1-claim-altered", doc: edit(degreeV1, func(d map[string]any) { subject(d)["result"] = "distinction" }), check: CheckProof},
		{name: "v1-signed-by-another-key", doc: sign(attackerKey, edit(degreeCredentialV1(attackerKey.Controller), func(d map[string]any) {
			d["issuer"] = issuerKey.Controller
		})), check: CheckIssuerKey},

		{name: "presentation-other-challenge", vp: true, doc: vpSign(holderKey, presentation(degree), "an-older-challenge", sampleDomain), check: CheckChallenge},
		{name: "presentation-other-domain", vp: true, doc: vpSign(holderKey, presentation(degree), sampleChallenge, "other-verifier.example"), check: CheckDomain},
		{name: "presentation-not-by-holder", vp: true, doc: vpSign(attackerKey, presentation(degree), sampleChallenge, sampleDomain), check: CheckHolderKey},
		{name: "presentation-forged-credential", vp: true, doc: vpSign(holderKey, presentation(forgedDegree), sampleChallenge, sampleDomain), check: "credential[0]." + CheckProof},
		{name: "presentation-credential-wrong-key", vp: true, doc: vpSign(holderKey, presentation(sign(attackerKey, edit(degreeCredential(attackerKey.Controller), func(d map[string]any) {
			d["issuer"] = issuerKey.Controller
		}))), sampleChallenge, sampleDomain), check: "credential[0]." + CheckIssuerKey},
		{name: "presentation-credential-without-proof", vp: true, doc: vpSign(holderKey, presentation(withoutProof(degree)), sampleChallenge, sampleDomain), check: "credential[0]." + CheckProof},
		{name: "presentation-no-proof", vp: true, doc: presentation(degree), check: CheckProof},
		{name: "presentation-assertion-purpose", vp: true, doc: signWith(holderKey, presentation(degree), ProofOptions{Purpose: RelAssertionMethod, Challenge: sampleChallenge, Domain: sampleDomain}), check: CheckProof},
		{name: "presentation-altered-after-signing", vp: true, doc: edit(vpSign(holderKey, presentation(degree), sampleChallenge, sampleDomain), func(d map[string]any) {
			d["verifiableCredential"] = []any{degree, degree}
		}), check: CheckProof},
		{name: "presentation-v1-other-challenge", vp: true, doc: vpSign(holderKey, presentationV1(degreeV1), "an-older-challenge", sampleDomain), check: CheckChallenge},

		// ecdsa-rdfc-2019, Ed25519Signature2018 and did:jwk: the same rules.
		{name: "valid-degree-v2-ecdsa-p256", doc: ecDegree},
		{name: "valid-degree-v2-ecdsa-p384", doc: ecSign(p384IssuerKey, degreeCredential(p384IssuerKey.Controller))},
		{name: "valid-presentation-v2-ecdsa", vp: true, doc: ecVP(ecHolderKey, presentationOf(ecHolderKey.Controller, ecDegree), sampleChallenge, sampleDomain)},
		{name: "valid-proof-set-eddsa-and-ecdsa", doc: mixed},
		{name: "valid-degree-v2-did-jwk-p256", doc: ecSign(jwkECKey, degreeCredential(jwkECKey.Controller))},
		{name: "valid-degree-v2-did-jwk-ed25519", doc: sign(jwkEdKey, degreeCredential(jwkEdKey.Controller))},
		{name: "valid-training-v1-ed25519-2018", doc: training2018},
		{name: "valid-presentation-v1-ed25519-2018", vp: true, doc: presentation2018(sampleChallenge)},

		{name: "ecdsa-no-proof", doc: withoutProof(ecDegree), check: CheckProof},
		{name: "ecdsa-claim-altered", doc: ecForged, check: CheckProof},
		{name: "ecdsa-proof-date-altered", doc: edit(ecDegree, func(d map[string]any) { firstProof(d)["created"] = "2026-07-02T08:00:00Z" }), check: CheckProof},
		{name: "ecdsa-signed-by-another-key", doc: ecSign(ecAttackerKey, edit(degreeCredential(ecAttackerKey.Controller), func(d map[string]any) {
			d["issuer"] = ecIssuerKey.Controller
		})), check: CheckIssuerKey},
		{name: "ecdsa-issuer-swapped-after-signing", doc: edit(ecSign(ecAttackerKey, degreeCredential(ecAttackerKey.Controller)), func(d map[string]any) {
			d["issuer"] = map[string]any{"id": ecIssuerKey.Controller}
		}), check: CheckIssuerKey},
		{name: "ecdsa-proof-set-one-forged", doc: edit(mixed, func(d map[string]any) { d["proof"].([]any)[1].(map[string]any)["proofValue"] = mixedForgedEC }), check: CheckProof + "[1]"},
		{name: "ecdsa-proof-set-foreign-key", doc: ecSign(ecAttackerKey, ecDegree), check: CheckIssuerKey + "[1]"},
		{name: "ecdsa-suite-on-ed25519-key", doc: edit(degree, func(d map[string]any) { firstProof(d)["cryptosuite"] = SuiteECDSARDFC2019 }), check: CheckIssuerKey},
		{name: "eddsa-suite-on-p256-key", doc: edit(ecDegree, func(d map[string]any) { firstProof(d)["cryptosuite"] = SuiteEdDSARDFC2022 }), check: CheckIssuerKey},
		{name: "ecdsa-proof-expired", doc: ecWith(ecIssuerKey, degreeCredential(ecIssuerKey.Controller), ProofOptions{Expires: sampleNow.Add(-24 * time.Hour)}), check: CheckProof},
		{name: "ecdsa-proof-created-in-future", doc: ecWith(ecIssuerKey, degreeCredential(ecIssuerKey.Controller), ProofOptions{Created: sampleNow.Add(48 * time.Hour)}), check: CheckProof},
		{name: "ecdsa-expired", doc: ecSign(ecIssuerKey, edit(degreeCredential(ecIssuerKey.Controller), func(d map[string]any) { d["validUntil"] = "2026-08-01T00:00:00Z" })), check: CheckValidity},
		{name: "ecdsa-undefined-term-added", doc: edit(ecDegree, func(d map[string]any) { subject(d)["nationalIdNumber"] = "110101199001011234" }), check: CheckJSONLD},
		{name: "ecdsa-authentication-purpose-on-credential", doc: ecWith(ecIssuerKey, degreeCredential(ecIssuerKey.Controller), ProofOptions{Purpose: RelAuthentication}), check: CheckProof},
		{name: "ecdsa-presentation-other-challenge", vp: true, doc: ecVP(ecHolderKey, presentationOf(ecHolderKey.Controller, ecDegree), "an-older-challenge", sampleDomain), check: CheckChallenge},
		{name: "ecdsa-presentation-other-domain", vp: true, doc: ecVP(ecHolderKey, presentationOf(ecHolderKey.Controller, ecDegree), sampleChallenge, "other-verifier.example"), check: CheckDomain},
		{name: "ecdsa-presentation-not-by-holder", vp: true, doc: ecVP(ecAttackerKey, presentationOf(ecHolderKey.Controller, ecDegree), sampleChallenge, sampleDomain), check: CheckHolderKey},
		{name: "ecdsa-presentation-forged-credential", vp: true, doc: ecVP(ecHolderKey, presentationOf(ecHolderKey.Controller, ecForged), sampleChallenge, sampleDomain), check: "credential[0]." + CheckProof},
		{name: "ecdsa-presentation-credential-without-proof", vp: true, doc: ecVP(ecHolderKey, presentationOf(ecHolderKey.Controller, withoutProof(ecDegree)), sampleChallenge, sampleDomain), check: "credential[0]." + CheckProof},
		{name: "ecdsa-presentation-altered-after-signing", vp: true, doc: edit(ecVP(ecHolderKey, presentationOf(ecHolderKey.Controller, ecDegree), sampleChallenge, sampleDomain), func(d map[string]any) {
			d["verifiableCredential"] = []any{ecDegree, ecDegree}
		}), check: CheckProof},

		{name: "ed2018-no-proof", doc: withoutProof(training2018), check: CheckProof},
		{name: "ed2018-claim-altered", doc: edit(training2018, func(d map[string]any) { subject(d)["result"] = "distinction" }), check: CheckProof},
		{name: "ed2018-signed-by-another-key", doc: with2018(attackerKey, edit(trainingV1For2018(attackerKey.Controller), func(d map[string]any) {
			d["issuer"] = issuerKey.Controller
		}), ProofOptions{}), check: CheckIssuerKey},
		{name: "ed2018-proof-set-foreign-key", doc: with2018(attackerKey, training2018, ProofOptions{}), check: CheckIssuerKey + "[1]"},
		{name: "ed2018-authentication-purpose-on-credential", doc: with2018(issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{Purpose: RelAuthentication}), check: CheckProof},
		{name: "ed2018-proof-expired", doc: with2018(issuerKey, trainingV1For2018(issuerKey.Controller), ProofOptions{Expires: sampleNow.Add(-24 * time.Hour)}), check: CheckProof},
		{name: "ed2018-presentation-other-challenge", vp: true, doc: presentation2018("an-older-challenge"), check: CheckChallenge},

		{name: "did-jwk-signed-by-another-key", doc: ecSign(jwkAttackerKey, edit(degreeCredential(jwkAttackerKey.Controller), func(d map[string]any) {
			d["issuer"] = jwkECKey.Controller
		})), check: CheckIssuerKey},
		{name: "did-jwk-with-private-key", doc: func() map[string]any {
			k := testECKey(nil, elliptic.P256(), "jwk-leaky")
			jwk, _ := PublicJWK(k.Public)
			dBytes, _ := k.Private.Bytes()
			jwk["d"] = base64.RawURLEncoding.EncodeToString(dBytes)
			leaky := didJWKOf(jwk)
			k.Controller, k.ID = leaky, leaky+"#0"
			return ecSign(k, degreeCredential(leaky))
		}(), check: CheckIssuerKey},
	}
}

func deepCopy(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		panic(err)
	}
	return out
}

// TestForgedSamples verifies every sample in testdata/forged and requires the
// named check to fail for each forgery. Run with -update to regenerate them.
func TestForgedSamples(t *testing.T) {
	all := samples(t)
	dir := "testdata/forged"
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, s := range all {
			b, _ := json.MarshalIndent(s.doc, "", "  ")
			if err := os.WriteFile(filepath.Join(dir, s.name+".json"), append(b, '\n'), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	v, err := NewVerifier(VerifierConfig{Loader: MustLoader(), Resolver: testResolver(), Now: func() time.Time { return sampleNow }})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range all {
		t.Run(s.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(dir, s.name+".json"))
			if err != nil {
				t.Fatalf("%v (run go test ./credential -run TestForgedSamples -update)", err)
			}
			var res *Result
			if s.vp {
				res, err = v.VerifyPresentation(context.Background(), raw, VerifyOptions{Challenge: sampleChallenge, Domain: sampleDomain})
			} else {
				res, err = v.VerifyCredential(context.Background(), raw, VerifyOptions{})
			}
			if err != nil {
				t.Fatal(err)
			}
			if s.check == "" {
				if !res.Verified {
					t.Fatalf("a valid sample did not verify:\n%s", dump(res))
				}
				return
			}
			if res.Verified {
				t.Fatalf("forgery verified:\n%s", dump(res))
			}
			if !res.Failed(s.check) {
				t.Fatalf("check %q did not fail:\n%s", s.check, dump(res))
			}
		})
	}
}

// TestSamplesAreFresh guards against stale files: the committed samples must be
// what the generator produces now (signatures are deterministic).
func TestSamplesAreFresh(t *testing.T) {
	for _, s := range samples(t) {
		raw, err := os.ReadFile(filepath.Join("testdata/forged", s.name+".json"))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(s.doc, "", "  ")
		if string(append(b, '\n')) != string(raw) {
			t.Errorf("%s is stale: run go test ./credential -run TestForgedSamples -update", s.name)
		}
	}
}
