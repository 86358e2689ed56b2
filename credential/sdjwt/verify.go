package sdjwt

import (
	"context"
	"crypto"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// Names of the checks a verification reports, beside credential's
// CheckFormat, CheckIssuerKey, CheckProof, CheckValidity, CheckChallenge
// (the key binding's nonce) and CheckDomain (its aud).
const (
	CheckDisclosures = "disclosures"
	CheckKeyBinding  = "key-binding"
)

// DefaultKeyBindingAge is how old a Key Binding JWT's iat may be.
const DefaultKeyBindingAge = 5 * time.Minute

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Resolver resolves the issuer's keys from the header's kid (a DID URL of
	// the issuer, or a URL of an issuer known by URL). did:key and did:jwk
	// issuers are always resolved locally; nil means only those.
	Resolver credential.Resolver
	// Types are the accepted typ headers; empty means TypeVC and TypeVCLegacy.
	// With those, iss and vct are required.
	Types []string
	// ClockSkew tolerated on exp, nbf, iat; zero means credential.DefaultClockSkew.
	ClockSkew time.Duration
	// KeyBindingAge is how old a key binding's iat may be; zero means
	// DefaultKeyBindingAge.
	KeyBindingAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier verifies SD-JWTs and SD-JWT VCs. It is safe for concurrent use.
type Verifier struct {
	keys  jose.KeyResolver
	types []string
	vc    bool
	skew  time.Duration
	kbAge time.Duration
	now   func() time.Time
}

// NewVerifier returns a verifier for cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.ClockSkew < 0 || cfg.KeyBindingAge < 0 {
		return nil, errors.New("sdjwt verifier: clock skew and key binding age must not be negative")
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = credential.DefaultClockSkew
	}
	if cfg.KeyBindingAge == 0 {
		cfg.KeyBindingAge = DefaultKeyBindingAge
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	res := credential.Resolvers{jose.DIDResolver{}}
	if cfg.Resolver != nil {
		res = credential.Resolvers{cfg.Resolver, jose.DIDResolver{}}
	}
	v := &Verifier{keys: jose.KeyResolver{Resolver: res}, skew: cfg.ClockSkew, kbAge: cfg.KeyBindingAge, now: cfg.Now}
	if len(cfg.Types) == 0 {
		v.types = []string{TypeVC, TypeVCLegacy}
		v.vc = true
	} else {
		for _, t := range cfg.Types {
			v.types = append(v.types, jose.MediaType(t))
			if jose.MediaType(t) == TypeVC || jose.MediaType(t) == TypeVCLegacy {
				v.vc = true
			}
		}
	}
	return v, nil
}

// VerifyOptions are what the verifier expects of one presentation.
type VerifyOptions struct {
	// RequireKeyBinding refuses a presentation without a Key Binding JWT.
	// Nonce and Audience are then required too.
	RequireKeyBinding bool
	// Nonce and Audience are the verifier's challenge and identifier; a key
	// binding must carry exactly these values.
	Nonce    string `validate:"max=512"`
	Audience string `validate:"max=512"`
	// IssuerKey, when set, is the issuer's public key, used instead of
	// resolving the header's kid.
	IssuerKey crypto.PublicKey
	// Now is the time validity is checked against; zero means the verifier's clock.
	Now time.Time
}

// Verified is the outcome of a verification.
type Verified struct {
	// Result lists every check; Result.Verified is the verdict.
	Result *credential.Result
	// Claims is the processed payload: the always-visible claims and the
	// disclosed ones, without _sd and _sd_alg. It is nil when the signature
	// or the disclosures did not verify.
	Claims map[string]any
	// Disclosed are the JSON Pointers (into Claims) of the disclosed claims.
	Disclosed []string
	// Header is the issuer-signed JWT's header.
	Header map[string]any
	// HolderKey is the cnf key, when there is one.
	HolderKey crypto.PublicKey
}

// Verify verifies a compact SD-JWT or SD-JWT+KB. A readable token that fails
// a rule yields a Verified whose Result is not verified; an error (wrapping
// ErrMalformed) means the input is not an SD-JWT at all.
func (v *Verifier) Verify(ctx context.Context, compact string, opts VerifyOptions) (*Verified, error) {
	if err := validate.Struct(opts); err != nil {
		return nil, fmt.Errorf("%w: options: %v", ErrInvalid, err)
	}
	sd, err := Parse(compact)
	if err != nil {
		return nil, err
	}
	payload, err := sd.JWT.Claims()
	if err != nil {
		return nil, fmt.Errorf("issuer-signed JWT: %w", err)
	}
	now := opts.Now
	if now.IsZero() {
		now = v.now()
	}
	r := &credential.Result{}
	out := &Verified{Header: sd.JWT.Header}
	defer func() { out.Result = r.Finish() }()

	iss, ok := v.checkFormat(r, sd, payload)
	if !ok {
		return out, nil
	}
	pub, err := v.issuerKey(ctx, sd.JWT, iss, opts)
	if err != nil {
		r.Fail(credential.CheckIssuerKey, "%v", err)
		r.Fail(credential.CheckProof, "not checked: the signing key is not the issuer's")
		return out, nil
	}
	r.Pass(credential.CheckIssuerKey, "%s", keyMessage(sd.JWT, opts))
	if err := sd.JWT.Verify(pub); err != nil {
		r.Fail(credential.CheckProof, "the issuer's %s signature is invalid: %v", sd.JWT.Alg(), err)
		return out, nil
	}
	r.Pass(credential.CheckProof, "the issuer's %s signature is valid", sd.JWT.Alg())

	pr, err := process(payload, sd.Disclosures)
	if err != nil {
		r.Fail(CheckDisclosures, "%v", err)
		return out, nil
	}
	r.Pass(CheckDisclosures, "%d disclosure(s), each referenced once by the signed payload", len(sd.Disclosures))
	out.Claims = pr.claims
	for _, p := range pr.paths {
		out.Disclosed = append(out.Disclosed, p)
	}
	slices.Sort(out.Disclosed)

	v.checkValidity(r, pr.claims, now)
	out.HolderKey = v.checkKeyBinding(r, sd, pr.claims, opts, now)
	return out, nil
}

func keyMessage(jwt *jose.JWS, opts VerifyOptions) string {
	if opts.IssuerKey != nil {
		return "signed with the issuer key the verifier was given"
	}
	if kid := jwt.Kid(); kid != "" {
		return kid + " belongs to the issuer and is listed under assertionMethod"
	}
	return "the issuer's DID names its only key"
}

func (v *Verifier) checkFormat(r *credential.Result, sd *SDJWT, payload map[string]any) (string, bool) {
	typ := sd.JWT.Typ()
	if !slices.Contains(v.types, typ) {
		r.Fail(credential.CheckFormat, "the typ header %q is not one of %v", typ, v.types)
		return "", false
	}
	iss, _ := payload["iss"].(string)
	if _, has := payload["iss"]; has && iss == "" {
		r.Fail(credential.CheckFormat, "iss must be a non-empty string")
		return "", false
	}
	if v.vc && (typ == TypeVC || typ == TypeVCLegacy) {
		if iss == "" {
			r.Fail(credential.CheckFormat, "an SD-JWT VC must name its issuer (iss)")
			return "", false
		}
		if vct, _ := payload["vct"].(string); vct == "" {
			r.Fail(credential.CheckFormat, "an SD-JWT VC must name its type (vct)")
			return "", false
		}
		r.Pass(credential.CheckFormat, "an SD-JWT VC (%s) of type %v issued by %s with %d disclosure(s)", typ, payload["vct"], iss, len(sd.Disclosures))
	} else {
		r.Pass(credential.CheckFormat, "an SD-JWT (%s) with %d disclosure(s)", typ, len(sd.Disclosures))
	}
	if typ == TypeVCLegacy {
		r.Warn(credential.CheckFormat, "typ %s is the legacy name of %s", TypeVCLegacy, TypeVC)
	}
	return iss, true
}

// issuerKey finds the key that must have signed: the one given, the one kid
// names (a method of iss), or the only key of a did:key or did:jwk issuer.
func (v *Verifier) issuerKey(ctx context.Context, jwt *jose.JWS, iss string, opts VerifyOptions) (crypto.PublicKey, error) {
	if opts.IssuerKey != nil {
		return opts.IssuerKey, nil
	}
	if kid := jwt.Kid(); kid != "" {
		if iss == "" {
			return nil, errors.New("the token names no issuer (iss) for its kid to belong to")
		}
		return v.keys.Resolve(ctx, kid, iss, credential.RelAssertionMethod)
	}
	doc, err := jose.DIDResolver{}.Resolve(ctx, iss)
	if err != nil {
		return nil, fmt.Errorf("the header names no key (kid) and the issuer %q is neither a did:key nor a did:jwk", iss)
	}
	return jose.MethodKey(&doc.VerificationMethod[0])
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

func (v *Verifier) checkValidity(r *credential.Result, claims map[string]any, now time.Time) {
	iat, hasIat, err := numericDate(claims, "iat")
	if err == nil && hasIat && iat.After(now.Add(v.skew)) {
		err = fmt.Errorf("issued in the future (iat %s)", iat.Format(time.RFC3339))
	}
	nbf, hasNbf, err2 := numericDate(claims, "nbf")
	exp, hasExp, err3 := numericDate(claims, "exp")
	switch {
	case err != nil:
		r.Fail(credential.CheckValidity, "%v", err)
	case err2 != nil:
		r.Fail(credential.CheckValidity, "%v", err2)
	case err3 != nil:
		r.Fail(credential.CheckValidity, "%v", err3)
	case hasNbf && hasExp && exp.Before(nbf):
		r.Fail(credential.CheckValidity, "exp (%s) is before nbf (%s)", exp.Format(time.RFC3339), nbf.Format(time.RFC3339))
	case hasNbf && now.Add(v.skew).Before(nbf):
		r.Fail(credential.CheckValidity, "not yet valid: valid from %s", nbf.Format(time.RFC3339))
	case hasExp && now.Add(-v.skew).After(exp):
		r.Fail(credential.CheckValidity, "expired at %s", exp.Format(time.RFC3339))
	case hasExp:
		r.Pass(credential.CheckValidity, "valid until %s", exp.Format(time.RFC3339))
	default:
		r.Pass(credential.CheckValidity, "valid, with no expiry")
	}
}

// checkKeyBinding verifies the Key Binding JWT (RFC 9901 §7.3) and returns the
// holder's cnf key, if any.
func (v *Verifier) checkKeyBinding(r *credential.Result, sd *SDJWT, claims map[string]any, opts VerifyOptions, now time.Time) crypto.PublicKey {
	var holder crypto.PublicKey
	var holderErr error
	if cnf, ok := claims["cnf"]; ok {
		m, _ := cnf.(map[string]any)
		jwk, _ := m["jwk"].(map[string]any)
		if jwk == nil {
			holderErr = errors.New("cnf holds no jwk, the only confirmation method supported")
		} else if holder, holderErr = jose.KeyFromJWK(jwk); holderErr != nil {
			holderErr = fmt.Errorf("cnf.jwk: %v", holderErr)
		}
	}
	kb := sd.KeyBinding
	if kb == nil {
		switch {
		case opts.RequireKeyBinding:
			r.Fail(CheckKeyBinding, "the presentation has no key binding JWT: it does not prove that the holder presents it")
		case holder != nil:
			r.Warn(CheckKeyBinding, "presented without key binding: whoever holds a copy could have presented it")
		}
		return holder
	}
	if holder == nil {
		if holderErr == nil {
			holderErr = errors.New("the SD-JWT has no cnf claim naming the holder's key")
		}
		r.Fail(CheckKeyBinding, "%v", holderErr)
		return nil
	}
	if typ := kb.Typ(); typ != TypeKB {
		r.Fail(CheckKeyBinding, "the key binding JWT's typ is %q, not %s", typ, TypeKB)
		return holder
	}
	if err := kb.Verify(holder); err != nil {
		r.Fail(CheckKeyBinding, "the key binding JWT is not signed by the holder's cnf key: %v", err)
		return holder
	}
	kbc, err := kb.Claims()
	if err != nil {
		r.Fail(CheckKeyBinding, "%v", err)
		return holder
	}
	if h, _ := kbc["sd_hash"].(string); subtle.ConstantTimeCompare([]byte(h), []byte(sd.SDHash())) != 1 {
		r.Fail(CheckKeyBinding, "sd_hash does not match the presented SD-JWT: disclosures were added or removed after binding")
		return holder
	}
	iat, has, err := numericDate(kbc, "iat")
	switch {
	case err != nil:
		r.Fail(CheckKeyBinding, "%v", err)
		return holder
	case !has:
		r.Fail(CheckKeyBinding, "the key binding JWT has no iat")
		return holder
	case iat.After(now.Add(v.skew)):
		r.Fail(CheckKeyBinding, "the key binding JWT claims to be made in the future (%s)", iat.Format(time.RFC3339))
		return holder
	case iat.Before(now.Add(-v.kbAge - v.skew)):
		r.Fail(CheckKeyBinding, "the key binding JWT was made at %s, more than %s ago: it may be replayed", iat.Format(time.RFC3339), v.kbAge)
		return holder
	}
	r.Pass(CheckKeyBinding, "bound to the holder's cnf key with %s at %s", kb.Alg(), iat.Format(time.RFC3339))

	nonce, _ := kbc["nonce"].(string)
	switch {
	case opts.Nonce == "":
		r.Fail(credential.CheckChallenge, "the verifier gave no nonce: a key binding is only accepted against the nonce of a request")
	case subtle.ConstantTimeCompare([]byte(nonce), []byte(opts.Nonce)) != 1:
		r.Fail(credential.CheckChallenge, "the key binding was made for another nonce: it answers another request or is replayed")
	default:
		r.Pass(credential.CheckChallenge, "the key binding answers this request's nonce")
	}
	aud, _ := kbc["aud"].(string)
	switch {
	case opts.Audience == "":
		r.Fail(credential.CheckDomain, "the verifier gave no audience to check the key binding's aud against")
	case aud != opts.Audience:
		r.Fail(credential.CheckDomain, "the key binding is for the audience %q, not %s", aud, opts.Audience)
	default:
		r.Pass(credential.CheckDomain, "the key binding is for %s", opts.Audience)
	}
	return holder
}
