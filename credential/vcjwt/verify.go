package vcjwt

import (
	"context"
	"crypto"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// CheckClaims is the check that the JWT claims agree with the credential or
// presentation they secure.
const CheckClaims = "jwt-claims"

// jwtClaims are the registered JWT claims that may sit beside a VCDM 2.0
// document in a vc+jwt or vp+jwt payload; they are not JSON-LD terms.
var jwtClaims = []string{"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "cnf", "nonce"}

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Resolver resolves issuers' and holders' controller documents (the
	// project's chain DIDs, issuers known by URL). did:key and did:jwk are
	// always resolved locally; nil means only those.
	Resolver credential.Resolver
	// Loader, when set, adds the "json-ld" check: every member of a VCDM
	// document (beside the registered JWT claims) must be defined by a known
	// context, as for Data Integrity proofs.
	Loader *credential.Loader
	// SDJWT, when set, verifies SD-JWT VCs given to Verify or enveloped in a
	// presentation; without it they fail.
	SDJWT *sdjwt.Verifier
	// DataIntegrity, when set, verifies JSON-LD credentials with embedded
	// proofs found in presentations; without it they fail.
	DataIntegrity *credential.Verifier
	// ClockSkew tolerated on validity periods; zero means credential.DefaultClockSkew.
	ClockSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies JOSE-secured credentials and presentations. It is safe for
// concurrent use.
type Verifier struct {
	keys  jose.KeyResolver
	canon *credential.Canonicalizer
	sd    *sdjwt.Verifier
	di    *credential.Verifier
	skew  time.Duration
	now   func() time.Time
}

// NewVerifier returns a verifier for cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.ClockSkew < 0 {
		return nil, errors.New("vcjwt verifier: clock skew must not be negative")
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = credential.DefaultClockSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	res := credential.Resolvers{jose.DIDResolver{}}
	if cfg.Resolver != nil {
		res = credential.Resolvers{cfg.Resolver, jose.DIDResolver{}}
	}
	v := &Verifier{keys: jose.KeyResolver{Resolver: res}, sd: cfg.SDJWT, di: cfg.DataIntegrity, skew: cfg.ClockSkew, now: cfg.Now}
	if cfg.Loader != nil {
		v.canon = credential.NewCanonicalizer(cfg.Loader)
	}
	return v, nil
}

// Verified is the outcome of a verification.
type Verified struct {
	// Format is the form the input arrived in.
	Format Format
	// Result lists every check; Result.Verified is the verdict.
	Result *credential.Result
	// Document is the credential or presentation: the JWS payload (VCDM 2.0),
	// the vc or vp claim completed from the JWT claims (VCDM 1.1), or an SD-JWT
	// VC's processed claims. Nil when the input could not be read that far.
	Document map[string]any
	// Header is the JOSE header, for JOSE-secured input.
	Header map[string]any
}

func (v *Verifier) clock(opts credential.VerifyOptions) time.Time {
	if !opts.Now.IsZero() {
		return opts.Now
	}
	return v.now()
}

// VerifyCredential verifies a compact vc+jwt (VCDM 2.0) or VC-JWT (VCDM 1.1).
// A readable credential that fails a rule yields a Result with Verified
// false; an error (wrapping credential.ErrMalformed) means the input is not a
// compact JWS at all.
func (v *Verifier) VerifyCredential(ctx context.Context, token string, opts credential.VerifyOptions) (*Verified, error) {
	j, err := jose.Parse(strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	r := &credential.Result{}
	doc, f := v.credential(ctx, r, j, opts)
	return &Verified{Format: f, Result: r.Finish(), Document: doc, Header: j.Header}, nil
}

// VerifyPresentation verifies a compact vp+jwt (VCDM 2.0) or VP-JWT (VCDM
// 1.1), against the challenge (nonce) and domain (aud) the verifier expects,
// and every credential in it.
func (v *Verifier) VerifyPresentation(ctx context.Context, token string, opts credential.VerifyOptions) (*Verified, error) {
	j, err := jose.Parse(strings.TrimSpace(token))
	if err != nil {
		return nil, err
	}
	r := &credential.Result{}
	doc, f := v.presentation(ctx, r, j, opts)
	return &Verified{Format: f, Result: r.Finish(), Document: doc, Header: j.Header}, nil
}

// Verify verifies raw in whichever format Detect finds: a compact token, a
// data: URL, an enveloped credential or presentation (as JSON), a JSON string
// holding a token, or a JSON-LD credential with an embedded proof (when a
// DataIntegrity verifier is configured). A presentation is checked against
// opts' challenge and domain.
func (v *Verifier) Verify(ctx context.Context, raw []byte, opts credential.VerifyOptions) (*Verified, error) {
	f := Detect(raw)
	switch f {
	case FormatUnknown, FormatDataURLUnknown:
		return nil, malformed("not a credential or presentation in a format this verifier reads")
	case FormatJSONLD:
		if v.di == nil {
			return nil, malformed("a JSON-LD document: verify it with credential.Verifier")
		}
		doc, err := credential.ParseDocument(raw)
		if err != nil {
			return nil, err
		}
		var res *credential.Result
		if slices.Contains(asSlice(doc["type"]), any("VerifiablePresentation")) {
			res = v.di.VerifyPresentationDocument(ctx, doc, opts)
		} else {
			res = v.di.VerifyCredentialDocument(ctx, doc, opts)
		}
		return &Verified{Format: f, Result: res, Document: doc}, nil
	}
	token, err := tokenOf(raw, f)
	if err != nil {
		return nil, err
	}
	if strings.Contains(token, "~") {
		out, err := v.verifySDJWT(ctx, token, opts, false)
		if err != nil {
			return nil, err
		}
		out.Format = f
		return out, nil
	}
	j, err := jose.Parse(token)
	if err != nil {
		return nil, err
	}
	r := &credential.Result{}
	var doc map[string]any
	if f == FormatVPJWT || f == FormatVPJWT11 || f == FormatEnvelopedVP || f == FormatDataURLVP {
		doc, _ = v.presentation(ctx, r, j, opts)
	} else {
		doc, _ = v.credential(ctx, r, j, opts)
	}
	return &Verified{Format: f, Result: r.Finish(), Document: doc, Header: j.Header}, nil
}

// tokenOf extracts the compact token from raw in format f.
func tokenOf(raw []byte, f Format) (string, error) {
	s := strings.TrimSpace(string(raw))
	switch f {
	case FormatEnvelopedVC, FormatEnvelopedVP:
		doc, err := credential.ParseDocument([]byte(s))
		if err != nil {
			return "", err
		}
		_, tok, err := Unenvelope(doc)
		return tok, err
	}
	if strings.HasPrefix(s, "\"") {
		var str string
		if err := json.Unmarshal([]byte(s), &str); err != nil {
			return "", malformed("%v", err)
		}
		return tokenOf([]byte(str), Detect([]byte(str)))
	}
	if strings.HasPrefix(s, "data:") {
		_, tok, err := ParseDataURL(s)
		return tok, err
	}
	return s, nil
}

func (v *Verifier) verifySDJWT(ctx context.Context, token string, opts credential.VerifyOptions, embedded bool) (*Verified, error) {
	if v.sd == nil {
		return nil, malformed("an SD-JWT VC, and this verifier has no SD-JWT verifier configured")
	}
	got, err := v.sd.Verify(ctx, token, sdjwt.VerifyOptions{Nonce: opts.Challenge, Audience: opts.Domain, RequireKeyBinding: !embedded, Now: opts.Now})
	if err != nil {
		return nil, err
	}
	return &Verified{Format: FormatSDJWT, Result: got.Result, Document: got.Claims, Header: got.Header}, nil
}

// credential verifies a JWS that secures a credential, into r.
func (v *Verifier) credential(ctx context.Context, r *credential.Result, j *jose.JWS, opts credential.VerifyOptions) (map[string]any, Format) {
	now := v.clock(opts)
	claims, err := j.Claims()
	if err != nil {
		r.Fail(credential.CheckFormat, "%v", err)
		return nil, FormatUnknown
	}
	typ := j.Typ()
	var (
		doc     map[string]any
		f       Format
		model   string
		mapping = map[string]string{"nbf": "validFrom", "exp": "validUntil"}
	)
	switch {
	case typ == TypeVC || slices.Contains(legacyVCTypes, typ):
		f, model, doc = FormatVCJWT, credential.ContextV2, claims
		if cty, ok := j.Header["cty"].(string); ok && !slices.Contains([]string{"vc", "vc+ld+json", "vc+json"}, jose.MediaType(cty)) {
			r.Fail(credential.CheckFormat, "the content type (cty) %q is not a credential", cty)
			return nil, f
		}
	case typ == TypeJWT || typ == "":
		vc, ok := claims["vc"].(map[string]any)
		if !ok {
			r.Fail(credential.CheckFormat, "a JWT of typ %q without a vc claim is not a verifiable credential", typ)
			return nil, FormatUnknown
		}
		f, model, doc = FormatVCJWT11, credential.ContextV1, maps.Clone(vc)
		mapping = map[string]string{"nbf": "issuanceDate", "exp": "expirationDate"}
		if err := complete11(doc, claims, "issuer", mapping); err != nil {
			r.Fail(CheckClaims, "%v", err)
			return doc, f
		}
	default:
		r.Fail(credential.CheckFormat, "the typ %q is neither %s nor JWT: not a JOSE-secured credential", typ, TypeVC)
		return nil, FormatUnknown
	}
	issuer, err := v.checkModel(r, doc, model, "VerifiableCredential")
	if err != nil {
		return doc, f
	}
	if _, ok := doc["credentialSubject"]; !ok {
		r.Fail(credential.CheckFormat, "the credential has no credentialSubject")
		return doc, f
	}
	if slices.Contains(legacyVCTypes, typ) {
		r.Warn(credential.CheckFormat, "typ %s is a draft name of %s", typ, TypeVC)
	}
	r.Pass(credential.CheckFormat, "a Verifiable Credential in the W3C data model %s secured with JOSE (%s), issued by %s", version(model), f, issuer)

	if v.checkJSONLD(r, doc, f == FormatVCJWT) && v.checkSignature(ctx, r, j, issuer, f, credential.RelAssertionMethod) {
		if f == FormatVCJWT {
			v.checkClaims2(r, claims, doc, issuer)
		}
		v.checkValidity(r, claims, doc, mapping, now)
	}
	return doc, f
}

// presentation verifies a JWS that secures a presentation, into r.
func (v *Verifier) presentation(ctx context.Context, r *credential.Result, j *jose.JWS, opts credential.VerifyOptions) (map[string]any, Format) {
	now := v.clock(opts)
	claims, err := j.Claims()
	if err != nil {
		r.Fail(credential.CheckFormat, "%v", err)
		return nil, FormatUnknown
	}
	typ := j.Typ()
	var (
		doc   map[string]any
		f     Format
		model string
	)
	switch {
	case typ == TypeVP || slices.Contains(legacyVPTypes, typ):
		f, model, doc = FormatVPJWT, credential.ContextV2, claims
		if cty, ok := j.Header["cty"].(string); ok && !slices.Contains([]string{"vp", "vp+ld+json", "vp+json"}, jose.MediaType(cty)) {
			r.Fail(credential.CheckFormat, "the content type (cty) %q is not a presentation", cty)
			return nil, f
		}
	case typ == TypeJWT || typ == "":
		vp, ok := claims["vp"].(map[string]any)
		if !ok {
			r.Fail(credential.CheckFormat, "a JWT of typ %q without a vp claim is not a verifiable presentation", typ)
			return nil, FormatUnknown
		}
		f, model, doc = FormatVPJWT11, credential.ContextV1, maps.Clone(vp)
		if err := complete11(doc, claims, "holder", nil); err != nil {
			r.Fail(CheckClaims, "%v", err)
			return doc, f
		}
	default:
		r.Fail(credential.CheckFormat, "the typ %q is neither %s nor JWT: not a JOSE-secured presentation", typ, TypeVP)
		return nil, FormatUnknown
	}
	holder := ""
	if h, ok := doc["holder"]; ok {
		if holder, err = idOf(h); err != nil {
			r.Fail(credential.CheckFormat, "holder: %v", err)
			return doc, f
		}
	}
	if c := asSlice(doc["@context"]); len(c) == 0 || c[0] != model {
		r.Fail(credential.CheckFormat, "the first @context must be %s", model)
		return doc, f
	}
	if !slices.Contains(asSlice(doc["type"]), any("VerifiablePresentation")) {
		r.Fail(credential.CheckFormat, "type must include VerifiablePresentation")
		return doc, f
	}
	if _, ok := doc["proof"]; ok {
		r.Fail(credential.CheckFormat, "a JOSE-secured presentation must not also carry an embedded proof")
		return doc, f
	}
	creds := asSlice(doc["verifiableCredential"])
	r.Pass(credential.CheckFormat, "a Verifiable Presentation in the W3C data model %s secured with JOSE (%s) with %d credential(s)", version(model), f, len(creds))
	if holder == "" {
		r.Warn(credential.CheckFormat, "the presentation names no holder: it is bound only to the key that signed it")
	}
	// Credentials given as compact tokens (VCDM 1.1 style) are not JSON-LD;
	// each is checked on its own below.
	ldDoc := doc
	if slices.ContainsFunc(creds, func(c any) bool { _, isToken := c.(string); return isToken }) {
		ldDoc = maps.Clone(doc)
		ldDoc["verifiableCredential"] = slices.DeleteFunc(slices.Clone(creds), func(c any) bool { _, isToken := c.(string); return isToken })
	}
	if !v.checkJSONLD(r, ldDoc, f == FormatVPJWT) || !v.checkSignature(ctx, r, j, holder, f, credential.RelAuthentication) {
		return doc, f
	}
	v.checkBinding(r, claims, opts)
	v.checkValidity(r, claims, doc, nil, now)

	for i, c := range creds {
		sub := v.embedded(ctx, c, opts)
		r.Merge(fmt.Sprintf("credential[%d].", i), sub)
	}
	if len(creds) == 0 {
		r.Warn(credential.CheckCredentials, "the presentation holds no credential")
	}
	return doc, f
}

// embedded verifies one entry of a presentation's verifiableCredential.
func (v *Verifier) embedded(ctx context.Context, c any, opts credential.VerifyOptions) *credential.Result {
	r := &credential.Result{}
	var token string
	switch t := c.(type) {
	case string:
		token = t
	case map[string]any:
		if !slices.Contains(asSlice(t["type"]), any(EnvelopedCredential)) {
			if v.di == nil {
				r.Fail(credential.CheckFormat, "a credential with an embedded proof, and this verifier checks only JOSE-secured ones")
				return r.Finish()
			}
			return v.di.VerifyCredentialDocument(ctx, t, opts)
		}
		mt, tok, err := Unenvelope(t)
		if err != nil {
			r.Fail(credential.CheckFormat, "%v", err)
			return r.Finish()
		}
		if mt == MediaVP {
			r.Fail(credential.CheckFormat, "an enveloped presentation where a credential belongs")
			return r.Finish()
		}
		token = tok
	default:
		r.Fail(credential.CheckFormat, "neither a credential object nor a compact token")
		return r.Finish()
	}
	if strings.Contains(token, "~") {
		got, err := v.verifySDJWT(ctx, token, opts, true)
		if err != nil {
			r.Fail(credential.CheckFormat, "%v", err)
			return r.Finish()
		}
		return got.Result
	}
	j, err := jose.Parse(token)
	if err != nil {
		r.Fail(credential.CheckFormat, "%v", err)
		return r.Finish()
	}
	v.credential(ctx, r, j, opts)
	return r.Finish()
}

func version(model string) string {
	if model == credential.ContextV1 {
		return "1.1"
	}
	return "2.0"
}

// checkModel checks the data model, the type and the issuer, and refuses an
// embedded proof.
func (v *Verifier) checkModel(r *credential.Result, doc map[string]any, model, typ string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		err := fmt.Errorf(format, args...)
		r.Fail(credential.CheckFormat, "%v", err)
		return "", err
	}
	if c := asSlice(doc["@context"]); len(c) == 0 || c[0] != model {
		return fail("the first @context must be %s", model)
	}
	if !slices.Contains(asSlice(doc["type"]), any(typ)) {
		return fail("type must include %s", typ)
	}
	if _, ok := doc["proof"]; ok {
		return fail("a JOSE-secured credential must not also carry an embedded proof")
	}
	issuer, err := idOf(doc["issuer"])
	if err != nil {
		return fail("issuer: %v", err)
	}
	return issuer, nil
}

// checkJSONLD canonicalizes a VCDM 2.0 payload (without the registered JWT
// claims) when a loader is configured, refusing undefined terms.
func (v *Verifier) checkJSONLD(r *credential.Result, doc map[string]any, payloadIsDoc bool) bool {
	if v.canon == nil {
		return true
	}
	d := doc
	if payloadIsDoc {
		d = maps.Clone(doc)
		for _, k := range jwtClaims {
			delete(d, k)
		}
	}
	if _, err := v.canon.Canonicalize(d); err != nil {
		r.Fail(credential.CheckJSONLD, "%v", err)
		return false
	}
	r.Pass(credential.CheckJSONLD, "every term is defined by a known context")
	return true
}

// checkSignature resolves the header's kid to a key of party (the issuer or
// holder; any controller when party is empty) listed under rel, and verifies
// the signature with it.
func (v *Verifier) checkSignature(ctx context.Context, r *credential.Result, j *jose.JWS, party string, f Format, rel string) bool {
	keyCheck, role := credential.CheckIssuerKey, "issuer"
	if rel == credential.RelAuthentication {
		keyCheck, role = credential.CheckHolderKey, "holder"
	}
	var pub crypto.PublicKey
	var err error
	kid := j.Kid()
	switch {
	case kid != "":
		pub, err = v.keys.Resolve(ctx, kid, party, rel)
	case (f == FormatVCJWT11 || f == FormatVPJWT11) && (strings.HasPrefix(party, "did:key:") || strings.HasPrefix(party, "did:jwk:")):
		// VCDM 1.1 JWTs may omit kid when the issuer's DID is its only key.
		var doc *credential.ControllerDocument
		if doc, err = (jose.DIDResolver{}).Resolve(ctx, party); err == nil {
			kid = doc.VerificationMethod[0].ID
			pub, err = jose.MethodKey(&doc.VerificationMethod[0])
		}
	default:
		err = errors.New("the header names no key (kid): a DID URL of the signer's verification method is required")
	}
	if err != nil {
		r.Fail(keyCheck, "the %s's key: %v", role, err)
		r.Fail(credential.CheckProof, "not checked: the signing key is not the %s's", role)
		return false
	}
	r.Pass(keyCheck, "%s belongs to the %s and is listed under %s", kid, role, rel)
	if err := j.Verify(pub); err != nil {
		r.Fail(credential.CheckProof, "%s signature invalid: %v", j.Alg(), err)
		return false
	}
	r.Pass(credential.CheckProof, "%s signature by %s is valid", j.Alg(), kid)
	return true
}

// complete11 fills a VCDM 1.1 vc (vp) object from the JWT claims as VCDM 1.1
// §6.3.1 says (iss → issuer or holder, sub → credentialSubject.id, jti → id,
// nbf/exp → issuanceDate/expirationDate), and refuses a claim that
// contradicts the member already there.
func complete11(doc, claims map[string]any, issField string, times map[string]string) error {
	if iss, ok := claims["iss"]; ok {
		s, _ := iss.(string)
		if s == "" {
			return errors.New("iss must be a non-empty string")
		}
		if cur, ok := doc[issField]; ok {
			if id, _ := idOf(cur); id != s {
				return fmt.Errorf("iss %s contradicts %s %v", s, issField, id)
			}
		} else {
			doc[issField] = s
		}
	}
	if jti, ok := claims["jti"]; ok {
		if cur, ok := doc["id"]; ok && cur != jti {
			return fmt.Errorf("jti %v contradicts id %v", jti, cur)
		}
		doc["id"] = jti
	}
	if sub, ok := claims["sub"].(string); ok && issField == "issuer" {
		subs := asSlice(doc["credentialSubject"])
		if len(subs) != 1 {
			return errors.New("sub is given but the credential has not exactly one subject")
		}
		m, ok := subs[0].(map[string]any)
		if !ok {
			return errors.New("credentialSubject must be an object")
		}
		if id, ok := m["id"]; ok && id != sub {
			return fmt.Errorf("sub %s contradicts credentialSubject.id %v", sub, id)
		}
		m = maps.Clone(m)
		m["id"] = sub
		doc["credentialSubject"] = m
	}
	for claim, member := range times {
		t, has, err := numericDate(claims, claim)
		if err != nil {
			return err
		}
		if !has {
			continue
		}
		if cur, ok := doc[member]; ok {
			ct, err := parseTime(cur)
			if err != nil {
				return fmt.Errorf("%s: %v", member, err)
			}
			if ct.Unix() != t.Unix() {
				return fmt.Errorf("%s %s contradicts %s %s", claim, t.Format(time.RFC3339), member, ct.Format(time.RFC3339))
			}
		} else {
			doc[member] = t.Format(time.RFC3339)
		}
	}
	return nil
}

// checkClaims2 checks registered JWT claims beside a VCDM 2.0 credential.
func (v *Verifier) checkClaims2(r *credential.Result, claims, doc map[string]any, issuer string) {
	var bad []string
	if iss, ok := claims["iss"]; ok && iss != issuer {
		bad = append(bad, fmt.Sprintf("iss %v is not the issuer %s", iss, issuer))
	}
	if sub, ok := claims["sub"]; ok && sub != subjectID(doc) {
		bad = append(bad, fmt.Sprintf("sub %v is not the credentialSubject's id", sub))
	}
	if jti, ok := claims["jti"]; ok && jti != doc["id"] {
		bad = append(bad, fmt.Sprintf("jti %v is not the credential's id", jti))
	}
	if len(bad) > 0 {
		r.Fail(CheckClaims, "%s", strings.Join(bad, "; "))
		return
	}
	if slices.ContainsFunc([]string{"iss", "sub", "jti"}, func(k string) bool { _, ok := claims[k]; return ok }) {
		r.Pass(CheckClaims, "the JWT claims agree with the credential")
	}
}

// numericDate reads a JWT NumericDate claim.
func numericDate(claims map[string]any, name string) (time.Time, bool, error) {
	raw, ok := claims[name]
	if !ok {
		return time.Time{}, false, nil
	}
	f, ok := raw.(float64)
	if !ok || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || f > 1<<40 {
		return time.Time{}, true, fmt.Errorf("%s must be a NumericDate (seconds since 1970)", name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true, nil
}

// checkValidity checks the JWT's iat, nbf and exp, and the document's validity
// members (names maps nbf and exp to them; nil for presentations), which must
// agree with nbf and exp when both are present.
func (v *Verifier) checkValidity(r *credential.Result, claims, doc map[string]any, names map[string]string, now time.Time) {
	var from, until time.Time
	bound := map[string]*time.Time{"nbf": &from, "exp": &until}
	for _, claim := range []string{"nbf", "exp"} {
		t, has, err := numericDate(claims, claim)
		if err != nil {
			r.Fail(credential.CheckValidity, "%v", err)
			return
		}
		if has {
			*bound[claim] = t
		}
		member := names[claim]
		if member == "" {
			continue
		}
		raw, ok := doc[member]
		if !ok {
			continue
		}
		mt, err := parseTime(raw)
		if err != nil {
			r.Fail(credential.CheckValidity, "%s: %v", member, err)
			return
		}
		if has && mt.Unix() != t.Unix() {
			r.Fail(CheckClaims, "%s %s contradicts %s %s", claim, t.Format(time.RFC3339), member, mt.Format(time.RFC3339))
			return
		}
		*bound[claim] = mt
	}
	iat, hasIat, err := numericDate(claims, "iat")
	switch {
	case err != nil:
		r.Fail(credential.CheckValidity, "%v", err)
	case hasIat && iat.After(now.Add(v.skew)):
		r.Fail(credential.CheckValidity, "issued in the future (iat %s)", iat.Format(time.RFC3339))
	case !from.IsZero() && !until.IsZero() && until.Before(from):
		r.Fail(credential.CheckValidity, "valid until %s, before it is valid from %s", until.Format(time.RFC3339), from.Format(time.RFC3339))
	case !from.IsZero() && now.Add(v.skew).Before(from):
		r.Fail(credential.CheckValidity, "not yet valid: valid from %s", from.Format(time.RFC3339))
	case !until.IsZero() && now.Add(-v.skew).After(until):
		r.Fail(credential.CheckValidity, "expired on %s", until.Format(time.RFC3339))
	case until.IsZero():
		r.Pass(credential.CheckValidity, "valid, with no expiry")
	default:
		r.Pass(credential.CheckValidity, "valid until %s", until.Format(time.RFC3339))
	}
}

// checkBinding checks nonce against the challenge (required, compared in
// constant time) and aud against the domain.
func (v *Verifier) checkBinding(r *credential.Result, claims map[string]any, opts credential.VerifyOptions) {
	nonce, _ := claims["nonce"].(string)
	switch {
	case opts.Challenge == "":
		r.Fail(credential.CheckChallenge, "the verifier gave no challenge: a presentation is only accepted against the challenge of a request")
	case subtle.ConstantTimeCompare([]byte(nonce), []byte(opts.Challenge)) != 1:
		r.Fail(credential.CheckChallenge, "the presentation was made for another challenge (nonce): it answers another request or is replayed")
	default:
		r.Pass(credential.CheckChallenge, "the presentation answers this request's challenge")
	}
	aud, hasAud := claims["aud"]
	auds := asSlice(aud)
	switch {
	case opts.Domain != "" && (len(auds) != 1 || auds[0] != opts.Domain):
		r.Fail(credential.CheckDomain, "the presentation was made for another audience (aud %v), not %s", aud, opts.Domain)
	case opts.Domain != "":
		r.Pass(credential.CheckDomain, "the presentation is made for %s", opts.Domain)
	case hasAud:
		r.Warn(credential.CheckDomain, "the presentation names an audience (aud %v) but the verifier expected none", aud)
	}
}
