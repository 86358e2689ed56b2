package vcjwt

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// ErrInvalid means a document handed to a Sign function cannot be secured as
// asked (wrong data model, an issuer other than the key's controller, a proof
// already inside).
var ErrInvalid = errors.New("cannot secure the document")

// plain round-trips v through JSON into plain JSON values.
func plain(v map[string]any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	m, err := credential.ParseDocument(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return m, nil
}

// controllerOf returns the DID (or URL) part of a verification method id.
func controllerOf(kid string) string {
	c, _, _ := strings.Cut(kid, "#")
	return c
}

func checkSigner(s *jose.Signer, party, role string) error {
	if s == nil || s.KeyID() == "" {
		return fmt.Errorf("%w: the signer needs a kid (the DID URL of its verification method)", ErrInvalid)
	}
	if party != "" && controllerOf(s.KeyID()) != party {
		return fmt.Errorf("%w: the key %s is not the %s's (%s)", ErrInvalid, s.KeyID(), role, party)
	}
	return nil
}

func requireModel(doc map[string]any, ctx, typ string) error {
	c := asSlice(doc["@context"])
	if len(c) == 0 || c[0] != ctx {
		return fmt.Errorf("%w: the first @context must be %s", ErrInvalid, ctx)
	}
	if !slices.Contains(asSlice(doc["type"]), any(typ)) {
		return fmt.Errorf("%w: type must include %s", ErrInvalid, typ)
	}
	if _, ok := doc["proof"]; ok {
		return fmt.Errorf("%w: the document already has a proof; JOSE secures the unsecured document", ErrInvalid)
	}
	return nil
}

// SignCredential secures a VCDM 2.0 credential as a vc+jwt (VC-JOSE-COSE
// §3.1.1): the JWS payload is the credential, the header has typ "vc+jwt",
// cty "vc" and the signer's kid, which must be a verification method of the
// credential's issuer. Errors wrap ErrInvalid.
func SignCredential(signer *jose.Signer, cred map[string]any) (string, error) {
	doc, err := plain(cred)
	if err != nil {
		return "", err
	}
	if err := requireModel(doc, credential.ContextV2, "VerifiableCredential"); err != nil {
		return "", err
	}
	issuer, err := idOf(doc["issuer"])
	if err != nil {
		return "", fmt.Errorf("%w: issuer: %v", ErrInvalid, err)
	}
	if err := checkSigner(signer, issuer, "issuer"); err != nil {
		return "", err
	}
	return signer.SignJSON(map[string]any{"typ": TypeVC, "cty": "vc"}, doc)
}

// SignPresentation secures a VCDM 2.0 presentation as a vp+jwt, bound to the
// verifier's challenge (nonce) and domain (aud, when not empty). Embedded
// credentials should be enveloped (Envelope). The signer's kid must be a
// verification method of the holder, when the presentation names one.
func SignPresentation(signer *jose.Signer, vp map[string]any, challenge, domain string) (string, error) {
	doc, err := plain(vp)
	if err != nil {
		return "", err
	}
	if err := requireModel(doc, credential.ContextV2, "VerifiablePresentation"); err != nil {
		return "", err
	}
	holder := ""
	if h, ok := doc["holder"]; ok {
		if holder, err = idOf(h); err != nil {
			return "", fmt.Errorf("%w: holder: %v", ErrInvalid, err)
		}
	}
	if err := checkSigner(signer, holder, "holder"); err != nil {
		return "", err
	}
	if challenge == "" {
		return "", fmt.Errorf("%w: a presentation answers a challenge (nonce)", ErrInvalid)
	}
	for _, k := range []string{"nonce", "aud"} {
		if _, ok := doc[k]; ok {
			return "", fmt.Errorf("%w: the presentation already has %s", ErrInvalid, k)
		}
	}
	doc["nonce"] = challenge
	if domain != "" {
		doc["aud"] = domain
	}
	return signer.SignJSON(map[string]any{"typ": TypeVP, "cty": "vp"}, doc)
}

// SignCredential11 secures a VCDM 1.1 credential as a JWT (VCDM 1.1 §6.3.1):
// typ "JWT", iss the issuer, sub the subject's id, jti the credential's id,
// nbf its issuanceDate, exp its expirationDate, iat now, and the credential
// under vc.
func SignCredential11(signer *jose.Signer, cred map[string]any, now time.Time) (string, error) {
	doc, err := plain(cred)
	if err != nil {
		return "", err
	}
	if err := requireModel(doc, credential.ContextV1, "VerifiableCredential"); err != nil {
		return "", err
	}
	issuer, err := idOf(doc["issuer"])
	if err != nil {
		return "", fmt.Errorf("%w: issuer: %v", ErrInvalid, err)
	}
	if err := checkSigner(signer, issuer, "issuer"); err != nil {
		return "", err
	}
	claims := map[string]any{"iss": issuer, "vc": doc, "iat": now.Unix()}
	if id, ok := doc["id"].(string); ok {
		claims["jti"] = id
	}
	if sub := subjectID(doc); sub != "" {
		claims["sub"] = sub
	}
	for claim, member := range map[string]string{"nbf": "issuanceDate", "exp": "expirationDate"} {
		raw, ok := doc[member]
		if !ok {
			continue
		}
		t, err := parseTime(raw)
		if err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrInvalid, member, err)
		}
		claims[claim] = t.Unix()
	}
	return signer.SignJSON(map[string]any{"typ": "JWT"}, claims)
}

// SignPresentation11 secures a VCDM 1.1 presentation as a JWT: iss the holder,
// nonce the challenge, aud the domain, iat now, and the presentation under vp.
// Its credentials are usually VC-JWT strings.
func SignPresentation11(signer *jose.Signer, vp map[string]any, challenge, domain string, now time.Time) (string, error) {
	doc, err := plain(vp)
	if err != nil {
		return "", err
	}
	if err := requireModel(doc, credential.ContextV1, "VerifiablePresentation"); err != nil {
		return "", err
	}
	holder := controllerOf(signer.KeyID())
	if h, ok := doc["holder"]; ok {
		if holder, err = idOf(h); err != nil {
			return "", fmt.Errorf("%w: holder: %v", ErrInvalid, err)
		}
	}
	if err := checkSigner(signer, holder, "holder"); err != nil {
		return "", err
	}
	if challenge == "" {
		return "", fmt.Errorf("%w: a presentation answers a challenge (nonce)", ErrInvalid)
	}
	claims := map[string]any{"iss": holder, "vp": doc, "nonce": challenge, "iat": now.Unix()}
	if domain != "" {
		claims["aud"] = domain
	}
	return signer.SignJSON(map[string]any{"typ": "JWT"}, claims)
}

// idOf returns a string identifier, or the id of an object.
func idOf(v any) (string, error) {
	switch t := v.(type) {
	case string:
		if t == "" {
			return "", errors.New("empty identifier")
		}
		return t, nil
	case map[string]any:
		if id, ok := t["id"].(string); ok && id != "" {
			return id, nil
		}
		return "", errors.New("the object has no id")
	case nil:
		return "", errors.New("missing")
	}
	return "", errors.New("must be a URL or an object with an id")
}

// subjectID returns the id of the credential's only subject, or "".
func subjectID(doc map[string]any) string {
	subs := asSlice(doc["credentialSubject"])
	if len(subs) != 1 {
		return ""
	}
	m, _ := subs[0].(map[string]any)
	id, _ := m["id"].(string)
	return id
}

// parseTime parses an XML Schema dateTime with a time zone.
func parseTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, errors.New("must be a date-time string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date-time with a time zone (e.g. 2026-07-01T00:00:00Z)", s)
	}
	return t, nil
}
