package credential

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/subtle"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Names of the checks a verification reports.
const (
	CheckFormat      = "format"
	CheckJSONLD      = "json-ld"
	CheckProof       = "proof"
	CheckIssuerKey   = "issuer-key"
	CheckHolderKey   = "holder-key"
	CheckValidity    = "validity-period"
	CheckChallenge   = "challenge"
	CheckDomain      = "domain"
	CheckCredentials = "credentials"
)

// DefaultClockSkew is the tolerance applied to validity periods and proof
// creation times, for clocks that are slightly apart.
const DefaultClockSkew = 5 * time.Minute

// VerifierConfig configures a Verifier.
type VerifierConfig struct {
	// Loader resolves JSON-LD contexts; required.
	Loader *Loader
	// Resolver resolves issuers' and holders' controller documents; required.
	Resolver Resolver
	// ClockSkew tolerated on validity periods; zero means DefaultClockSkew.
	ClockSkew time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Verifier applies TalentChain's strict verification rules to credentials and
// presentations. It is safe for concurrent use.
type Verifier struct {
	loader   *Loader
	canon    *Canonicalizer
	eddsa    *EdDSA
	ecdsa    *ECDSA
	ed2020   *ed25519Signature2020
	ed2018   *ed25519Signature2018
	resolver Resolver
	skew     time.Duration
	now      func() time.Time
}

// NewVerifier returns a verifier for cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Loader == nil {
		return nil, errors.New("verifier: a document loader is required")
	}
	if cfg.Resolver == nil {
		return nil, errors.New("verifier: a resolver is required")
	}
	if cfg.ClockSkew < 0 {
		return nil, errors.New("verifier: clock skew must not be negative")
	}
	if cfg.ClockSkew == 0 {
		cfg.ClockSkew = DefaultClockSkew
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	canon := NewCanonicalizer(cfg.Loader)
	return &Verifier{
		loader:   cfg.Loader,
		canon:    canon,
		eddsa:    NewEdDSA(canon),
		ecdsa:    NewECDSA(canon),
		ed2020:   newEd25519Signature2020(cfg.Loader),
		ed2018:   &ed25519Signature2018{canon: canon},
		resolver: cfg.Resolver,
		skew:     cfg.ClockSkew,
		now:      cfg.Now,
	}, nil
}

// VerifyCredential verifies a credential given as JSON. A readable credential that
// fails a rule yields a Result with Verified false; an error (wrapping
// ErrMalformed) means the input is not a JSON object at all.
func (v *Verifier) VerifyCredential(ctx context.Context, raw []byte, opts VerifyOptions) (*Result, error) {
	doc, err := ParseDocument(raw)
	if err != nil {
		return nil, err
	}
	return v.VerifyCredentialDocument(ctx, doc, opts), nil
}

// VerifyPresentation verifies a presentation given as JSON, and every credential
// in it, against the challenge and domain the verifier expects.
func (v *Verifier) VerifyPresentation(ctx context.Context, raw []byte, opts VerifyOptions) (*Result, error) {
	doc, err := ParseDocument(raw)
	if err != nil {
		return nil, err
	}
	return v.VerifyPresentationDocument(ctx, doc, opts), nil
}

// VerifyCredentialDocument verifies a decoded credential.
func (v *Verifier) VerifyCredentialDocument(ctx context.Context, doc map[string]any, opts VerifyOptions) *Result {
	r := &Result{}
	v.verifyCredential(ctx, r, doc, opts)
	return r.Finish()
}

func (v *Verifier) clock(opts VerifyOptions) time.Time {
	if !opts.Now.IsZero() {
		return opts.Now
	}
	return v.now()
}

func (v *Verifier) verifyCredential(ctx context.Context, r *Result, doc map[string]any, opts VerifyOptions) {
	version, err := dataModel(doc)
	if err != nil {
		r.Fail(CheckFormat, "%v", err)
		return
	}
	if err := requireType(doc, "VerifiableCredential"); err != nil {
		r.Fail(CheckFormat, "%v", err)
		return
	}
	issuer, err := idOf(doc["issuer"])
	if err != nil {
		r.Fail(CheckFormat, "issuer: %v", err)
		return
	}
	if _, ok := doc["credentialSubject"]; !ok {
		r.Fail(CheckFormat, "the credential has no credentialSubject")
		return
	}
	r.Pass(CheckFormat, "a Verifiable Credential in the W3C data model %s, issued by %s", version, issuer)

	v.verifyProofs(ctx, r, doc, proofExpectation{purpose: RelAssertionMethod, controller: issuer, keyCheck: CheckIssuerKey, role: "issuer", now: v.clock(opts)})
	v.checkValidity(r, doc, version, v.clock(opts))
}

// VerifyPresentationDocument verifies a decoded presentation.
func (v *Verifier) VerifyPresentationDocument(ctx context.Context, doc map[string]any, opts VerifyOptions) *Result {
	r := &Result{}
	v.verifyPresentation(ctx, r, doc, opts)
	return r.Finish()
}

func (v *Verifier) verifyPresentation(ctx context.Context, r *Result, doc map[string]any, opts VerifyOptions) {
	version, err := dataModel(doc)
	if err != nil {
		r.Fail(CheckFormat, "%v", err)
		return
	}
	if err := requireType(doc, "VerifiablePresentation"); err != nil {
		r.Fail(CheckFormat, "%v", err)
		return
	}
	holder := ""
	if h, ok := doc["holder"]; ok {
		if holder, err = idOf(h); err != nil {
			r.Fail(CheckFormat, "holder: %v", err)
			return
		}
	}
	creds, err := embeddedCredentials(doc)
	if err != nil {
		r.Fail(CheckFormat, "%v", err)
		return
	}
	r.Pass(CheckFormat, "a Verifiable Presentation in the W3C data model %s with %d credential(s)", version, len(creds))

	if holder == "" {
		r.Warn(CheckFormat, "the presentation names no holder: it is bound only to the key that signed it")
	}
	proofs := v.verifyProofs(ctx, r, doc, proofExpectation{purpose: RelAuthentication, controller: holder, keyCheck: CheckHolderKey, role: "holder", now: v.clock(opts)})
	v.checkBinding(r, proofs, opts)

	for i, c := range creds {
		sub := &Result{}
		v.verifyCredential(ctx, sub, c, opts)
		sub.Finish()
		prefix := fmt.Sprintf("credential[%d].", i)
		r.Merge(prefix, sub)
	}
	if len(creds) == 0 {
		r.Warn(CheckCredentials, "the presentation holds no credential")
	}
}

// checkBinding checks that every presentation proof carries the verifier's
// challenge and domain, so that a presentation made for another request or
// replayed from an earlier one is refused.
func (v *Verifier) checkBinding(r *Result, proofs []map[string]any, opts VerifyOptions) {
	if len(proofs) == 0 {
		return
	}
	if opts.Challenge == "" {
		r.Fail(CheckChallenge, "the verifier gave no challenge: a presentation is only accepted against the challenge of a request")
	} else {
		ok := true
		for _, p := range proofs {
			if c, _ := p["challenge"].(string); !constantTimeEqual(c, opts.Challenge) {
				ok = false
			}
		}
		if ok {
			r.Pass(CheckChallenge, "the presentation answers this request's challenge")
		} else {
			r.Fail(CheckChallenge, "the presentation was made for another challenge: it answers another request or is replayed")
		}
	}
	domains := map[string]bool{}
	for _, p := range proofs {
		d, _ := p["domain"].(string)
		domains[d] = true
	}
	switch {
	case opts.Domain != "" && (len(domains) != 1 || !domains[opts.Domain]):
		r.Fail(CheckDomain, "the presentation was made for another domain, not %s", opts.Domain)
	case opts.Domain != "":
		r.Pass(CheckDomain, "the presentation is made for %s", opts.Domain)
	case len(domains) == 1 && domains[""]:
		// No domain expected, none given: nothing to report.
	default:
		r.Warn(CheckDomain, "the presentation names a domain but the verifier expected none")
	}
}

type proofExpectation struct {
	purpose    string // required proofPurpose
	controller string // the issuer or holder the key must belong to; "" = any (a presentation without holder)
	keyCheck   string // name of the key-binding check
	role       string // "issuer" or "holder", for messages
	now        time.Time
}

// verifyProofs checks every proof of doc (a proof set must verify in full) and
// returns the proofs that were examined.
func (v *Verifier) verifyProofs(ctx context.Context, r *Result, doc map[string]any, exp proofExpectation) []map[string]any {
	proofs, err := proofsOf(doc)
	if err != nil {
		r.Fail(CheckProof, "%v", err)
		return nil
	}
	if len(proofs) == 0 {
		r.Fail(CheckProof, "the document has no proof: it is not signed, so nobody vouches for it")
		return nil
	}
	unsecured := withoutProof(doc)
	canonDoc, err := v.canon.Canonicalize(unsecured)
	if err != nil {
		r.Fail(CheckJSONLD, "%v", err)
		r.Fail(CheckProof, "not checked: the document could not be canonicalized")
		return proofs
	}
	r.Pass(CheckJSONLD, "every term is defined by a known context")

	for i, p := range proofs {
		name, keyName := CheckProof, exp.keyCheck
		if len(proofs) > 1 {
			name, keyName = fmt.Sprintf("%s[%d]", CheckProof, i), fmt.Sprintf("%s[%d]", exp.keyCheck, i)
		}
		v.verifyProof(ctx, r, doc, canonDoc, p, exp, name, keyName)
	}
	return proofs
}

func (v *Verifier) verifyProof(ctx context.Context, r *Result, doc map[string]any, canonDoc string, p map[string]any, exp proofExpectation, name, keyName string) {
	typ, _ := p["type"].(string)
	suite := typ
	switch typ {
	case ProofDataIntegrity:
		cs, _ := p["cryptosuite"].(string)
		if cs != SuiteEdDSARDFC2022 && cs != SuiteECDSARDFC2019 {
			r.Fail(name, "the Data Integrity cryptosuite %q is not supported", cs)
			return
		}
		suite = cs
	case ProofEd25519_2020, ProofEd25519_2018:
	default:
		r.Fail(name, "the proof type %q is not supported", typ)
		return
	}
	if purpose, _ := p["proofPurpose"].(string); purpose != exp.purpose {
		r.Fail(name, "the proof's purpose is %q, but a %s proof must be for %q", purpose, exp.role, exp.purpose)
		return
	}
	if err := v.checkProofTimes(p, exp.now); err != nil {
		r.Fail(name, "%v", err)
		return
	}
	vmID, _ := p["verificationMethod"].(string)
	if vmID == "" {
		r.Fail(name, "the proof names no verificationMethod")
		return
	}
	key, err := v.resolveKey(ctx, vmID, exp, suite)
	if err != nil {
		r.Fail(keyName, "%v", err)
		r.Fail(name, "not checked: the signing key is not the %s's", exp.role)
		return
	}
	r.Pass(keyName, "%s belongs to the %s and is listed under %s", vmID, exp.role, exp.purpose)

	// resolveKey has checked that the key's type fits the suite.
	switch suite {
	case SuiteEdDSARDFC2022:
		err = v.eddsa.verifyProof(canonDoc, p, doc["@context"], key.(ed25519.PublicKey))
	case SuiteECDSARDFC2019:
		err = v.ecdsa.verifyProof(canonDoc, p, doc["@context"], key.(*ecdsa.PublicKey))
	case ProofEd25519_2020:
		if err = v.strictProofConfig(p, doc["@context"]); err == nil {
			err = v.ed2020.verify(doc, p, key.(ed25519.PublicKey))
		}
	case ProofEd25519_2018:
		err = v.ed2018.verifyProof(canonDoc, p, doc["@context"], key.(ed25519.PublicKey))
	}
	if err != nil {
		r.Fail(name, "%s signature invalid: %v", suite, err)
		return
	}
	r.Pass(name, "%s signature by %s is valid", suite, vmID)
}

// strictProofConfig refuses proof options that JSON-LD would drop (and thus not sign).
func (v *Verifier) strictProofConfig(p map[string]any, docContext any) error {
	config := withoutKeys(p, "proofValue", "jws")
	config["@context"] = docContext
	if _, err := v.canon.Canonicalize(config); err != nil {
		return fmt.Errorf("proof options: %w", err)
	}
	return nil
}

// resolveKey returns the public key of vmID after checking that it belongs to the
// expected controller, is listed under the expected relationship, and is of the
// type the suite signs with.
func (v *Verifier) resolveKey(ctx context.Context, vmID string, exp proofExpectation, suite string) (crypto.PublicKey, error) {
	ctrl := controllerOf(vmID)
	if exp.controller != "" && ctrl != exp.controller {
		return nil, fmt.Errorf("the proof was made with %s, a key of %s, not of the %s %s", vmID, ctrl, exp.role, exp.controller)
	}
	doc, err := v.resolver.Resolve(ctx, ctrl)
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("the %s's keys could not be found: %v", exp.role, err)
		}
		return nil, fmt.Errorf("resolving %s failed: %v", ctrl, err)
	}
	if doc.ID != ctrl {
		return nil, fmt.Errorf("the document resolved for %s is about %s", ctrl, doc.ID)
	}
	vm, ok := doc.Method(vmID)
	if !ok {
		return nil, fmt.Errorf("%s is not a key of %s", vmID, ctrl)
	}
	if vm.Controller != ctrl {
		return nil, fmt.Errorf("%s is controlled by %s, not by %s", vmID, vm.Controller, ctrl)
	}
	if !doc.Allows(exp.purpose, vmID) {
		return nil, fmt.Errorf("%s is not listed under %s of %s", vmID, exp.purpose, ctrl)
	}
	key, err := vm.Key()
	if err != nil {
		return nil, err
	}
	if err := keyFitsSuite(key, suite); err != nil {
		return nil, fmt.Errorf("%s is %s, but %w", vmID, keyName(key), err)
	}
	return key, nil
}

// keyFitsSuite checks that a suite can verify with key: ecdsa-rdfc-2019 with
// P-256 and P-384 keys, every other suite with Ed25519 keys.
func keyFitsSuite(key crypto.PublicKey, suite string) error {
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		if suite == SuiteECDSARDFC2019 && curveName(k.Curve) != "" {
			return nil
		}
	case ed25519.PublicKey:
		if suite != SuiteECDSARDFC2019 && len(k) == ed25519.PublicKeySize {
			return nil
		}
	}
	if suite == SuiteECDSARDFC2019 {
		return fmt.Errorf("%s proofs need a P-256 or P-384 key", suite)
	}
	return fmt.Errorf("%s proofs need an Ed25519 key", suite)
}

func (v *Verifier) checkProofTimes(p map[string]any, now time.Time) error {
	if c, ok := p["created"]; ok {
		t, err := parseTime(c)
		if err != nil {
			return fmt.Errorf("proof created: %w", err)
		}
		if t.After(now.Add(v.skew)) {
			return fmt.Errorf("the proof claims to be created in the future (%s)", t.Format(time.RFC3339))
		}
	}
	if e, ok := p["expires"]; ok {
		t, err := parseTime(e)
		if err != nil {
			return fmt.Errorf("proof expires: %w", err)
		}
		if now.After(t.Add(v.skew)) {
			return fmt.Errorf("the proof expired at %s", t.Format(time.RFC3339))
		}
	}
	return nil
}

// checkValidity checks validFrom/validUntil (2.0) or issuanceDate/expirationDate (1.1).
func (v *Verifier) checkValidity(r *Result, doc map[string]any, version string, now time.Time) {
	fromKey, untilKey := "validFrom", "validUntil"
	if version == "1.1" {
		fromKey, untilKey = "issuanceDate", "expirationDate"
		if _, ok := doc[fromKey]; !ok {
			r.Fail(CheckValidity, "a 1.1 credential must have an issuanceDate")
			return
		}
	}
	var from, until time.Time
	var err error
	if raw, ok := doc[fromKey]; ok {
		if from, err = parseTime(raw); err != nil {
			r.Fail(CheckValidity, "%s: %v", fromKey, err)
			return
		}
	}
	if raw, ok := doc[untilKey]; ok {
		if until, err = parseTime(raw); err != nil {
			r.Fail(CheckValidity, "%s: %v", untilKey, err)
			return
		}
	}
	switch {
	case !from.IsZero() && !until.IsZero() && until.Before(from):
		r.Fail(CheckValidity, "%s (%s) is before %s (%s)", untilKey, until.Format(time.RFC3339), fromKey, from.Format(time.RFC3339))
	case !from.IsZero() && now.Add(v.skew).Before(from):
		r.Fail(CheckValidity, "not yet valid: valid from %s", from.Format(time.RFC3339))
	case !until.IsZero() && now.Add(-v.skew).After(until):
		r.Fail(CheckValidity, "expired on %s", until.Format(time.RFC3339))
	case until.IsZero():
		r.Pass(CheckValidity, "valid from %s, with no expiry", fmtOr(from, "issuance"))
	default:
		r.Pass(CheckValidity, "valid from %s until %s", fmtOr(from, "issuance"), until.Format(time.RFC3339))
	}
}

func fmtOr(t time.Time, alt string) string {
	if t.IsZero() {
		return alt
	}
	return t.Format(time.RFC3339)
}

// parseTime parses an XML Schema dateTime as used by the data model. A time
// without a zone is refused, as its instant is ambiguous.
func parseTime(v any) (time.Time, error) {
	s, ok := v.(string)
	if !ok {
		return time.Time{}, fmt.Errorf("must be a date-time string")
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date-time with a time zone (e.g. 2026-07-01T00:00:00Z)", s)
	}
	return t, nil
}

// dataModel returns "2.0" or "1.1" from the first @context entry.
func dataModel(doc map[string]any) (string, error) {
	ctx := asSlice(doc["@context"])
	if len(ctx) == 0 {
		return "", fmt.Errorf("the document has no @context")
	}
	switch ctx[0] {
	case ContextV2:
		return "2.0", nil
	case ContextV1:
		return "1.1", nil
	}
	return "", fmt.Errorf("the first @context must be %s or %s, not %v", ContextV2, ContextV1, ctx[0])
}

func requireType(doc map[string]any, want string) error {
	for _, t := range asSlice(doc["type"]) {
		if t == want {
			return nil
		}
	}
	return fmt.Errorf("type must include %s", want)
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

// embeddedCredentials returns the credentials of a presentation.
func embeddedCredentials(doc map[string]any) ([]map[string]any, error) {
	var out []map[string]any
	for i, c := range asSlice(doc["verifiableCredential"]) {
		m, ok := c.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("verifiableCredential[%d] must be a credential object", i)
		}
		if slices.Contains(asSlice(m["type"]), any("EnvelopedVerifiableCredential")) {
			return nil, fmt.Errorf("verifiableCredential[%d] is an enveloped credential, which this verifier does not accept yet", i)
		}
		out = append(out, m)
	}
	return out, nil
}

// constantTimeEqual compares secrets such as challenges without leaking, through
// timing, how much of them matched.
func constantTimeEqual(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func withoutKeys(m map[string]any, keys ...string) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		if !slices.Contains(keys, k) {
			out[k] = v
		}
	}
	return out
}
