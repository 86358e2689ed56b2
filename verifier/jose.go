package verifier

import (
	"context"
	"crypto/sha256"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// JOSE formats: adapters of credential/vcjwt and credential/sdjwt to the
// pipeline's CredentialFormat and PresentationFormat.
//
// The digest an anchor receipt commits to is the SHA-256 of the compact JWS
// for a vc+jwt, and of the issuer-signed JWT (the part before the first '~')
// for an SD-JWT VC, which stays the same whatever the holder discloses.
//
// An SD-JWT VC's claims are read into the VC data model so that the chain
// steps treat it like any credential: iss → issuer, vct → type (see
// VCTPrefix), sub → credentialSubject.id, nbf (else iat) → validFrom, exp →
// validUntil, jti → id; every other claim goes into credentialSubject.
//
// The status claim's token status list reference
// {"status_list": {"idx": i, "uri": u}} becomes credentialStatus entries, so
// the pipeline's status step reads the bits from chain state like a JSON-LD
// credential's: when u is a TalentChain list ({...}/status/{did}/rev-n), a
// revocation entry at rev-n and a suspension entry at sus-n, both at index i
// (the issuer service keeps a credential's two bits at the same index of
// the two lists); any other u one revocation entry, which the status step
// reports as not checkable (it never fetches an issuer's site). A status
// claim that is not of that shape becomes an entry the status step refuses
// as malformed.

// VCTPrefix is the prefix of TalentChain's SD-JWT VC types: a vct
// VCTPrefix+"degree" is the type DegreeCredential (the name with its first
// letter upper-cased and "Credential" appended unless it ends so already).
// Any other vct is the credential's type as it is.
const VCTPrefix = "https://w3id.org/talentchain/vct/"

// JOSEFormats returns the VC-JWT formats of jwt (application/vc+jwt
// credentials, application/vp+jwt presentations, VCDM 2.0 and 1.1) and the
// SD-JWT VC formats of sd (application/vc+sd-jwt and application/dc+sd-jwt:
// as a credential, and with a key binding as a presentation whose nonce and
// aud are the challenge and domain), for Config.Formats and
// Config.PresentationFormats. Either may be nil to leave its formats out; jwt
// should be built with sd as its VerifierConfig.SDJWT so that SD-JWT VCs
// enveloped in a vp+jwt verify.
//
// Both verifiers should resolve did:talent issuers with HistoryResolver, like
// the built-in JSON-LD format: the pipeline's key step then decides whether
// the key was the issuer's when the credential was issued.
func JOSEFormats(jwt *vcjwt.Verifier, sd *sdjwt.Verifier) ([]CredentialFormat, []PresentationFormat) {
	var cf []CredentialFormat
	var pf []PresentationFormat
	if jwt != nil {
		cf = append(cf, vcJWT{jwt})
		pf = append(pf, vpJWT{jwt: jwt, sd: sd})
	}
	if sd != nil {
		cf = append(cf, sdJWTVC{sd})
		pf = append(pf, sdJWTPresentation{sd})
	}
	return cf, pf
}

// HistoryResolver resolves did:talent issuers from c as the pipeline does
// for JSON-LD credentials: every key the issuer ever held is listed as an
// assertion method, only the current one for authentication. Records are
// cached for recordTTL (negative: not cached).
//
// It is safe only under the pipeline, whose key step refuses a key that was
// not the issuer's when the credential was anchored; a verifier used on its
// own must resolve current keys only.
func HistoryResolver(c Chain, recordTTL time.Duration) credential.Resolver {
	if recordTTL == 0 {
		recordTTL = DefaultRecordTTL
	}
	return historyResolver{newChainView(c, time.Now, recordTTL, DefaultStatusTTL, DefaultMaxEntries)}
}

// vcJWT verifies vc+jwt credentials (and VCDM 1.1 VC-JWTs).
type vcJWT struct{ v *vcjwt.Verifier }

func (vcJWT) MediaTypes() []string { return []string{MediaTypeVCJWT} }

func (f vcJWT) VerifyCredential(ctx context.Context, in *Input, now time.Time) (*Secured, error) {
	token := strings.TrimSpace(string(in.Payload))
	got, err := f.v.VerifyCredential(ctx, token, credential.VerifyOptions{Now: now})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return securedJWT(got, token), nil
}

func securedJWT(got *vcjwt.Verified, token string) *Secured {
	s := &Secured{Document: got.Document, Checks: got.Result.Checks, Digest: sha256.Sum256([]byte(token))}
	if s.Document == nil {
		s.Document = map[string]any{}
	}
	if kid, _ := got.Header["kid"].(string); kid != "" {
		s.VerificationMethods = []string{kid}
	}
	return s
}

// sdJWTVC verifies SD-JWT VCs given as credentials. A key binding, if any,
// is dropped: without a verifier's nonce it proves nothing, and a credential
// with cnf passes unbound with a warning.
type sdJWTVC struct{ v *sdjwt.Verifier }

func (sdJWTVC) MediaTypes() []string { return []string{MediaTypeVCSDJWT, MediaTypeDCSDJWT} }

func (f sdJWTVC) VerifyCredential(ctx context.Context, in *Input, now time.Time) (*Secured, error) {
	token := strings.TrimSpace(string(in.Payload))
	if i := strings.LastIndexByte(token, '~'); i >= 0 {
		token = token[:i+1]
	}
	got, err := f.v.Verify(ctx, token, sdjwt.VerifyOptions{Now: now})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return securedSDJWT(got, token, nil), nil
}

// securedSDJWT returns the credential of an SD-JWT VC; keep, when not nil,
// selects the checks that belong to the credential.
func securedSDJWT(got *sdjwt.Verified, token string, keep func(string) bool) *Secured {
	s := &Secured{Document: sdDocument(got.Claims), Digest: sdjwt.AnchorDigest(token)}
	for _, c := range got.Result.Checks {
		if keep == nil || keep(c.Name) {
			s.Checks = append(s.Checks, c)
		}
	}
	if kid, _ := got.Header["kid"].(string); kid != "" {
		s.VerificationMethods = []string{kid}
	}
	return s
}

// sdRegistered are the SD-JWT VC claims that are not the subject's.
var sdRegistered = []string{"iss", "vct", "vct#integrity", "iat", "nbf", "exp", "cnf", "sub", "status", "jti", "_sd_alg", "_sd"}

// sdDocument reads an SD-JWT VC's processed claims into the VC data model
// (nil claims: an empty document, whose format check failed).
func sdDocument(claims map[string]any) map[string]any {
	if claims == nil {
		return map[string]any{}
	}
	doc := map[string]any{"@context": []any{credential.ContextV2}}
	types := []any{"VerifiableCredential"}
	if vct, ok := claims["vct"].(string); ok && vct != "" {
		types = append(types, vctType(vct))
		doc["vct"] = vct
	}
	doc["type"] = types
	if iss, ok := claims["iss"].(string); ok {
		doc["issuer"] = iss
	}
	if jti, ok := claims["jti"].(string); ok {
		doc["id"] = jti
	}
	subject := maps.Clone(claims)
	for _, k := range sdRegistered {
		delete(subject, k)
	}
	if sub, ok := claims["sub"].(string); ok && sub != "" {
		subject["id"] = sub
	}
	doc["credentialSubject"] = subject
	if t, ok := numericDate(claims["nbf"]); ok {
		doc["validFrom"] = t
	} else if t, ok := numericDate(claims["iat"]); ok {
		doc["validFrom"] = t
	}
	if t, ok := numericDate(claims["exp"]); ok {
		doc["validUntil"] = t
	}
	if st, ok := claims["status"]; ok {
		doc["credentialStatus"] = sdStatus(st)
	}
	return doc
}

// sdStatus maps an SD-JWT VC's status claim to credentialStatus entries
// (see the comment at the top of this file).
func sdStatus(st any) []any {
	malformed := []any{map[string]any{"type": "BitstringStatusListEntry", "statusPurpose": credential.StatusRevocation, "statusListIndex": "malformed status claim"}}
	m, ok := st.(map[string]any)
	if !ok {
		return malformed
	}
	sl, ok := m["status_list"].(map[string]any)
	if !ok {
		return malformed
	}
	f, ok := sl["idx"].(float64)
	uri, _ := sl["uri"].(string)
	if !ok || f < 0 || f != float64(int64(f)) || f > 1<<40 || uri == "" {
		return malformed
	}
	idx := int(f)
	out := []any{credential.NewStatusEntry(uri, credential.StatusRevocation, idx).Map()}
	if base, n, ok := strings.Cut(uri[strings.LastIndexByte(uri, '/')+1:], "-"); ok && base == "rev" && n != "" && strings.Trim(n, "0123456789") == "" {
		sus := uri[:strings.LastIndexByte(uri, '/')+1] + "sus-" + n
		out = append(out, credential.NewStatusEntry(sus, credential.StatusSuspension, idx).Map())
	}
	return out
}

func vctType(vct string) string {
	name, ok := strings.CutPrefix(vct, VCTPrefix)
	if !ok || name == "" || strings.ContainsAny(name, "/#?") {
		return vct
	}
	name = strings.ToUpper(name[:1]) + name[1:]
	if !strings.HasSuffix(name, "Credential") {
		name += "Credential"
	}
	return name
}

// numericDate renders a JWT NumericDate as an RFC 3339 date-time.
func numericDate(v any) (string, bool) {
	f, ok := v.(float64)
	if !ok || f < 0 || f > 253402300799 { // year 9999
		return "", false
	}
	return time.Unix(int64(f), 0).UTC().Format(time.RFC3339), true
}

// vpJWT verifies vp+jwt presentations (and VCDM 1.1 VP-JWTs) and the
// credentials in them.
type vpJWT struct {
	jwt *vcjwt.Verifier
	sd  *sdjwt.Verifier
}

func (vpJWT) MediaTypes() []string { return []string{MediaTypeVPJWT} }

func (f vpJWT) VerifyPresentation(ctx context.Context, in *Input, challenge, domain string, now time.Time) (*SecuredPresentation, error) {
	token := strings.TrimSpace(string(in.Payload))
	opts := credential.VerifyOptions{Challenge: challenge, Domain: domain, Now: now}
	got, err := f.jwt.VerifyPresentation(ctx, token, opts)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	doc := got.Document
	if doc == nil {
		doc = map[string]any{}
	}
	sp := &SecuredPresentation{Document: doc}
	if h, ok := doc["holder"]; ok {
		sp.Holder = idOf(h)
	}
	if kid, _ := got.Header["kid"].(string); sp.Holder == "" && kid != "" {
		sp.Holder = controllerOf(kid)
	}
	// vcjwt names the checks of credential i "credential[i].<name>"; it
	// checks the credentials only once the presentation's proof verified.
	creds := asSlice(doc["verifiableCredential"])
	per := make([][]credential.Check, len(creds))
	for _, c := range got.Result.Checks {
		if rest, ok := strings.CutPrefix(c.Name, "credential["); ok {
			num, name, ok := strings.Cut(rest, "].")
			if i, err := strconv.Atoi(num); ok && err == nil && i >= 0 && i < len(per) {
				c.Name = name
				per[i] = append(per[i], c)
				continue
			}
		}
		sp.Checks = append(sp.Checks, c)
	}
	for i, c := range creds {
		if len(per[i]) == 0 {
			continue
		}
		sec, err := f.embedded(ctx, c, opts)
		if err != nil {
			return nil, err
		}
		// The presentation's own verification of the credential is the
		// verdict; the second reading only gives its document and key.
		sec.Checks = per[i]
		sp.Credentials = append(sp.Credentials, sec)
	}
	return sp, nil
}

// embedded reads one entry of a presentation's verifiableCredential: its
// document, the key that signed it and its digest.
func (f vpJWT) embedded(ctx context.Context, c any, opts credential.VerifyOptions) (*Secured, error) {
	var token string
	switch t := c.(type) {
	case string:
		token = t
	case map[string]any:
		if !containsString(t["type"], vcjwt.EnvelopedCredential) {
			return securedJSONLD(t, nil)
		}
		_, tok, err := vcjwt.Unenvelope(t)
		if err != nil {
			return &Secured{Document: map[string]any{}}, nil
		}
		token = tok
	default:
		return &Secured{Document: map[string]any{}}, nil
	}
	if strings.Contains(token, "~") {
		if f.sd == nil {
			return &Secured{Document: map[string]any{}}, nil
		}
		got, err := f.sd.Verify(ctx, token, sdjwt.VerifyOptions{Nonce: opts.Challenge, Audience: opts.Domain, Now: opts.Now})
		if err != nil {
			return &Secured{Document: map[string]any{}}, nil
		}
		return securedSDJWT(got, token, nil), nil
	}
	got, err := f.jwt.VerifyCredential(ctx, token, opts)
	if err != nil {
		return &Secured{Document: map[string]any{}}, nil
	}
	return securedJWT(got, token), nil
}

func containsString(v any, s string) bool {
	for _, x := range asSlice(v) {
		if x == s {
			return true
		}
	}
	return false
}

// sdJWTPresentation verifies an SD-JWT VC presented with a key binding: the
// key binding is the holder's proof, its nonce the challenge and its aud the
// domain. The presentation holds the one credential.
type sdJWTPresentation struct{ v *sdjwt.Verifier }

func (sdJWTPresentation) MediaTypes() []string { return []string{MediaTypeVCSDJWT, MediaTypeDCSDJWT} }

// sdPresentationChecks are the checks of an SD-JWT that belong to the
// presentation; the others (issuer key, signature, disclosures, validity)
// belong to its credential; format belongs to both.
var sdPresentationChecks = []string{credential.CheckFormat, sdjwt.CheckKeyBinding, credential.CheckChallenge, credential.CheckDomain}

func (f sdJWTPresentation) VerifyPresentation(ctx context.Context, in *Input, challenge, domain string, now time.Time) (*SecuredPresentation, error) {
	token := strings.TrimSpace(string(in.Payload))
	parsed, err := sdjwt.Parse(token)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	got, err := f.v.Verify(ctx, token, sdjwt.VerifyOptions{RequireKeyBinding: true, Nonce: challenge, Audience: domain, Now: now})
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	sec := securedSDJWT(got, token, func(n string) bool {
		return n == credential.CheckFormat || !named(sdPresentationChecks...)(n)
	})
	sp := &SecuredPresentation{Document: map[string]any{
		"@context": []any{credential.ContextV2}, "type": []any{"VerifiablePresentation"},
		"verifiableCredential": []any{sec.Document},
	}}
	bound := false
	for _, c := range got.Result.Checks {
		if !named(sdPresentationChecks...)(c.Name) {
			continue
		}
		if c.Name == sdjwt.CheckKeyBinding && c.Passed && !c.Warning {
			bound = true
		}
		// The key binding always names an audience; with no domain
		// expected, that is the pipeline's "names a site you did not
		// expect" warning, not a failure.
		if c.Name == credential.CheckDomain && domain == "" && parsed.KeyBinding != nil {
			aud := ""
			if kbc, err := parsed.KeyBinding.Claims(); err == nil {
				aud, _ = kbc["aud"].(string)
			}
			c = credential.Check{Name: c.Name, Passed: true, Warning: true, Message: fmt.Sprintf("the key binding is for the audience %q, and no domain was expected", aud)}
		}
		sp.Checks = append(sp.Checks, c)
	}
	// The issuer bound the credential to the cnf key, and the key binding
	// proves that the presenter holds it: the presenter is the subject.
	if sub, _ := got.Claims["sub"].(string); bound && sub != "" {
		sp.Holder = sub
	} else if got.HolderKey != nil {
		sp.Holder, _, _ = jose.DIDJWK(got.HolderKey)
	}
	if sp.Holder != "" {
		sp.Document["holder"] = sp.Holder
	}
	if len(got.Result.Checks) > 0 {
		sp.Credentials = []*Secured{sec}
	}
	return sp, nil
}
