package verifier

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// Media types the pipeline dispatches on. A JSON object with an embedded
// proof is application/vc (or application/vp); a VCDM 2.0
// EnvelopedVerifiableCredential or EnvelopedVerifiablePresentation names its
// media type in its data: URL; a bare compact string is taken as a JWT, or
// as an SD-JWT when it holds a '~'.
const (
	MediaTypeVC      = "application/vc"
	MediaTypeVP      = "application/vp"
	MediaTypeVCLD    = "application/vc+ld+json" // the VCDM 2.0 drafts' name for application/vc
	MediaTypeVPLD    = "application/vp+ld+json"
	MediaTypeVCJWT   = "application/vc+jwt"
	MediaTypeVPJWT   = "application/vp+jwt"
	MediaTypeVCSDJWT = "application/vc+sd-jwt"
	MediaTypeDCSDJWT = "application/dc+sd-jwt"
)

// Input is a credential or presentation after its envelope was opened.
type Input struct {
	// MediaType selects the format (see the MediaType constants).
	MediaType string
	// Payload is the format's own serialisation: the JSON document, or the
	// compact JWT / SD-JWT string.
	Payload []byte
	// Document is the parsed JSON document for the JSON forms; nil for
	// compact forms.
	Document map[string]any
}

// Secured is a credential whose securing mechanism its format checked.
//
// Checks use the credential core's names, which the pipeline maps to its
// steps: credential.CheckFormat → format; CheckValidity → validity; every
// other check (CheckJSONLD, CheckProof, CheckIssuerKey, "proof[i]" of proof
// sets, a format's own such as "jwt-claims") → proof, so that no failed
// check goes unreported. A format without a validity check gets a skipped
// validity step.
type Secured struct {
	// Document is the credential in the VC data model: for JSON-LD the
	// document itself, for a JWT its decoded claims, for an SD-JWT the
	// claims with the disclosed ones in place.
	Document map[string]any
	Checks   []credential.Check
	// VerificationMethods are the key ids whose signatures were checked; the
	// key step checks each against the issuer's key history on chain.
	VerificationMethods []string
	// Digest is what an anchor receipt's credentialDigest commits to: for
	// JSON-LD the SHA-256 of the credential's RFC 8785 canonical JSON.
	Digest [32]byte
	// schemaOK: the document passed the pipeline's JSON Schema (set by the
	// format step, or by a proof cache hit for the same bytes).
	schemaOK bool
}

// CredentialFormat verifies the securing mechanism of one credential format.
// Implementations must be safe for concurrent use.
//
// VerifyCredential returns an error wrapping credential.ErrMalformed when the
// payload is not a credential of this format at all; a readable credential
// whose proof does not verify is a Secured with failed checks, not an error.
// Keys are resolved through the resolver the format was built with, which
// for did:talent lists every key the issuer ever held: the pipeline's key
// step, not the format, decides whether the key was valid when the
// credential was issued.
type CredentialFormat interface {
	MediaTypes() []string
	VerifyCredential(ctx context.Context, in *Input, now time.Time) (*Secured, error)
}

// SecuredPresentation is a presentation whose format checked its proof,
// challenge and domain, and the proofs of its credentials.
type SecuredPresentation struct {
	Document map[string]any
	// Holder is the presentation's holder, or the controller of the key that
	// signed it when it names none.
	Holder string
	// Checks use the credential core's names: CheckFormat, CheckCredentials →
	// format; CheckChallenge; CheckDomain; every other check → proof.
	Checks      []credential.Check
	Credentials []*Secured
}

// PresentationFormat verifies one presentation format (the same contract as
// CredentialFormat). The challenge and domain are what the verifier expects;
// the format reports whether the presentation's proof carries them.
type PresentationFormat interface {
	MediaTypes() []string
	VerifyPresentation(ctx context.Context, in *Input, challenge, domain string, now time.Time) (*SecuredPresentation, error)
}

// parsedKey carries a *parsedInput in a context (WithDocument).
type parsedKey struct{}

type parsedInput struct {
	raw []byte
	doc map[string]any
}

// WithDocument returns a context that tells VerifyCredential that raw, the
// very slice it will be given (same array, same length), is a JSON object
// that credential.ParseDocument turns into doc: a caller that had to parse
// it already (the HTTP layer parses a request once, the credential inside
// it too) spares the pipeline a second parse. doc must be exactly that
// result, and is the pipeline's from then on (the caller must not keep or
// change it). For any other input the context changes nothing.
func WithDocument(ctx context.Context, raw []byte, doc map[string]any) context.Context {
	if len(raw) == 0 || doc == nil {
		return ctx
	}
	return context.WithValue(ctx, parsedKey{}, &parsedInput{raw: raw, doc: doc})
}

// parsedDocument returns the document WithDocument gave for raw, or nil.
func parsedDocument(ctx context.Context, raw []byte) map[string]any {
	p, _ := ctx.Value(parsedKey{}).(*parsedInput)
	if p == nil || len(raw) == 0 || len(p.raw) != len(raw) || &p.raw[0] != &raw[0] {
		return nil
	}
	return p.doc
}

// openEnvelope reads the raw input: a JSON object (possibly an enveloped
// credential or presentation with a data: URL), a JSON string holding a
// compact serialisation, or a bare compact serialisation. Errors wrap
// ErrMalformed.
func openEnvelope(raw []byte, presentation bool) (*Input, error) {
	return openParsed(raw, presentation, nil)
}

// openParsed is openEnvelope with raw's parsed document, when the caller
// has it (WithDocument).
func openParsed(raw []byte, presentation bool, parsed map[string]any) (*Input, error) {
	if len(raw) > credential.MaxDocumentSize {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrMalformed, credential.MaxDocumentSize)
	}
	b := bytes.TrimSpace(raw)
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty input", ErrMalformed)
	}
	switch b[0] {
	case '{':
		doc := parsed
		if doc == nil {
			var err error
			if doc, err = credential.ParseDocument(b); err != nil {
				return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
			}
		}
		envelope := "EnvelopedVerifiableCredential"
		if presentation {
			envelope = "EnvelopedVerifiablePresentation"
		}
		if slices.Contains(asSlice(doc["type"]), any(envelope)) {
			id, _ := doc["id"].(string)
			u, err := credential.ParseDataURL(id)
			if err != nil {
				return nil, fmt.Errorf("%w: %s id: %w", ErrMalformed, envelope, err)
			}
			return &Input{MediaType: u.MediaType, Payload: u.Data}, nil
		}
		mt := MediaTypeVC
		if presentation {
			mt = MediaTypeVP
		}
		return &Input{MediaType: mt, Payload: b, Document: doc}, nil
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return nil, fmt.Errorf("%w: invalid JSON string: %v", ErrMalformed, err)
		}
		return compact([]byte(strings.TrimSpace(s)), presentation)
	}
	return compact(b, presentation)
}

// compact classifies a compact serialisation: base64url segments separated
// by dots, and '~' separated disclosures for an SD-JWT.
func compact(b []byte, presentation bool) (*Input, error) {
	if len(b) == 0 || bytes.Count(b, []byte(".")) < 2 {
		return nil, fmt.Errorf("%w: neither a JSON object nor a compact JWT", ErrMalformed)
	}
	for _, c := range b {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~') {
			return nil, fmt.Errorf("%w: a compact JWT holds only base64url characters, '.' and '~'", ErrMalformed)
		}
	}
	switch {
	case bytes.IndexByte(b, '~') >= 0:
		return &Input{MediaType: MediaTypeVCSDJWT, Payload: b}, nil
	case presentation:
		return &Input{MediaType: MediaTypeVPJWT, Payload: b}, nil
	default:
		return &Input{MediaType: MediaTypeVCJWT, Payload: b}, nil
	}
}

// jsonLD is the built-in format: JSON-LD credentials and presentations with
// embedded proofs (Data Integrity eddsa-rdfc-2022, Ed25519Signature2020),
// verified by the credential core's strict rules.
type jsonLD struct{ core *credential.Verifier }

func (jsonLD) MediaTypes() []string {
	return []string{MediaTypeVC, MediaTypeVCLD}
}

func (f jsonLD) VerifyCredential(ctx context.Context, in *Input, now time.Time) (*Secured, error) {
	doc, err := documentOf(in)
	if err != nil {
		return nil, err
	}
	res := f.core.VerifyCredentialDocument(ctx, doc, credential.VerifyOptions{Now: now})
	return securedJSONLD(doc, res.Checks)
}

func securedJSONLD(doc map[string]any, checks []credential.Check) (*Secured, error) {
	d, err := credential.CredentialDigest(doc)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return &Secured{Document: doc, Checks: checks, VerificationMethods: proofMethods(doc), Digest: d}, nil
}

// jsonLDPresentation verifies JSON-LD presentations; the core verifies the
// presentation proof and every embedded credential's proof in one pass.
type jsonLDPresentation struct{ core *credential.Verifier }

func (jsonLDPresentation) MediaTypes() []string {
	return []string{MediaTypeVP, MediaTypeVPLD}
}

func (f jsonLDPresentation) VerifyPresentation(ctx context.Context, in *Input, challenge, domain string, now time.Time) (*SecuredPresentation, error) {
	doc, err := documentOf(in)
	if err != nil {
		return nil, err
	}
	res := f.core.VerifyPresentationDocument(ctx, doc, credential.VerifyOptions{Challenge: challenge, Domain: domain, Now: now})
	sp := &SecuredPresentation{Document: doc}
	if h, ok := doc["holder"]; ok {
		sp.Holder = idOf(h)
	}
	if sp.Holder == "" {
		if vms := proofMethods(doc); len(vms) > 0 {
			sp.Holder = controllerOf(vms[0])
		}
	}
	// The core names the checks of credential i "credential[i].<name>".
	var creds []map[string]any
	for _, c := range asSlice(doc["verifiableCredential"]) {
		if m, ok := c.(map[string]any); ok {
			creds = append(creds, m)
		}
	}
	per := make([][]credential.Check, len(creds))
	for _, c := range res.Checks {
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
			continue // the presentation was unreadable before its credentials
		}
		s, err := securedJSONLD(c, per[i])
		if err != nil {
			return nil, err
		}
		sp.Credentials = append(sp.Credentials, s)
	}
	return sp, nil
}

func documentOf(in *Input) (map[string]any, error) {
	if in.Document != nil {
		return in.Document, nil
	}
	doc, err := credential.ParseDocument(in.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	return doc, nil
}

// proofMethods returns the verificationMethod of each proof of doc.
func proofMethods(doc map[string]any) []string {
	var out []string
	for _, p := range asSlice(doc["proof"]) {
		if m, ok := p.(map[string]any); ok {
			if vm, ok := m["verificationMethod"].(string); ok && vm != "" {
				out = append(out, vm)
			}
		}
	}
	return out
}

func asSlice(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	}
	return []any{v}
}

// idOf returns a string identifier, or the id of an object ("" if none).
func idOf(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case map[string]any:
		id, _ := t["id"].(string)
		return id
	}
	return ""
}

func controllerOf(vm string) string {
	if i := strings.IndexByte(vm, '#'); i >= 0 {
		return vm[:i]
	}
	return vm
}

// checks returns s's checks (none for a nil s).
func (s *Secured) checks() []credential.Check {
	if s == nil {
		return nil
	}
	return s.Checks
}

// checks returns the presentation's checks and its credentials'.
func (sp *SecuredPresentation) checks() []credential.Check {
	if sp == nil {
		return nil
	}
	out := slices.Clone(sp.Checks)
	for _, c := range sp.Credentials {
		out = append(out, c.checks()...)
	}
	return out
}
