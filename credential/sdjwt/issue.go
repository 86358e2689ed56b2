package sdjwt

import (
	"crypto"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// IssueOptions say how a claims set becomes an SD-JWT.
type IssueOptions struct {
	// Disclosable lists the claims that are selectively disclosable, as JSON
	// Pointers (RFC 6901) into the claims: "/given_name", "/address/locality",
	// "/nationalities/1". A pointer to an object member hides the member (its
	// name too) in the object's _sd; a pointer to an array element hides the
	// element behind {"...": digest}. A pointer below another one makes the
	// disclosure recursive (RFC 9901 §6.3): "/address" and "/address/locality"
	// hide the address, and within it the locality.
	Disclosable []string `validate:"max=1000,dive,required,max=1024"`
	// Holder, when set, is the holder's public key, put in the cnf claim as a
	// JWK; presentations must then carry a Key Binding JWT made with it.
	Holder crypto.PublicKey
	// Type is the JOSE typ header; empty means TypeVC ("dc+sd-jwt").
	Type string `validate:"omitempty,max=64"`
	// Decoys is the number of decoy digests added to every object that holds
	// selectively disclosable members (RFC 9901 §4.2.5).
	Decoys int `validate:"min=0,max=32"`
	// Rand is the source of salts and decoys; nil means crypto/rand.
	Rand io.Reader
}

var validate = validator.New(validator.WithRequiredStructEnabled())

// Issue signs claims as an SD-JWT with the claims named in opts.Disclosable
// made selectively disclosable, and returns its compact form with every
// disclosure: "<JWT>~<D1>~...~<Dn>~". The claims may not already use "_sd",
// "_sd_alg" or "..." member names. Errors wrap ErrInvalid.
func Issue(signer *jose.Signer, claims map[string]any, opts IssueOptions) (string, error) {
	if err := validate.Struct(opts); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if signer == nil {
		return "", fmt.Errorf("%w: a signer is required", ErrInvalid)
	}
	// Round-trip through JSON: the claims become plain JSON values that the
	// disclosures will carry exactly as the verifier decodes them.
	raw, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("%w: claims: %v", ErrInvalid, err)
	}
	doc, err := jose.ParseObject(raw)
	if err != nil {
		return "", fmt.Errorf("%w: claims: %v", ErrInvalid, err)
	}
	if _, ok := doc["cnf"]; ok && opts.Holder != nil {
		return "", fmt.Errorf("%w: claims already hold cnf and a holder key is given", ErrInvalid)
	}
	if opts.Holder != nil {
		jwk, err := jose.PublicJWK(opts.Holder)
		if err != nil {
			return "", fmt.Errorf("%w: holder key: %v", ErrInvalid, err)
		}
		doc["cnf"] = map[string]any{"jwk": jwk}
	}
	sel := map[string]bool{}
	for _, p := range opts.Disclosable {
		if !strings.HasPrefix(p, "/") {
			return "", fmt.Errorf("%w: %q is not a JSON Pointer (it must start with /)", ErrInvalid, p)
		}
		if _, err := lookup(doc, p); err != nil {
			return "", fmt.Errorf("%w: disclosable %s: %v", ErrInvalid, p, err)
		}
		if p == "/cnf" || strings.HasPrefix(p, "/cnf/") {
			return "", fmt.Errorf("%w: the holder key (cnf) may not be selectively disclosable", ErrInvalid)
		}
		sel[p] = true
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	b := &builder{sel: sel, rnd: rnd, decoys: opts.Decoys}
	out, err := b.object(doc, "")
	if err != nil {
		return "", err
	}
	if len(b.disclosures) > 0 {
		out["_sd_alg"] = HashSHA256
	}
	typ := opts.Type
	if typ == "" {
		typ = TypeVC
	}
	jwt, err := signer.SignJSON(map[string]any{"typ": typ}, out)
	if err != nil {
		return "", fmt.Errorf("sign SD-JWT: %w", err)
	}
	return compose(jwt, b.disclosures), nil
}

type builder struct {
	sel         map[string]bool
	rnd         io.Reader
	decoys      int
	disclosures []*Disclosure
}

func (b *builder) value(v any, path string) (any, error) {
	switch t := v.(type) {
	case map[string]any:
		return b.object(t, path)
	case []any:
		return b.array(t, path)
	}
	return v, nil
}

func (b *builder) object(obj map[string]any, path string) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	var digests []string
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic order of disclosures
	for _, k := range keys {
		if k == "_sd" || k == "_sd_alg" || k == "..." {
			return nil, fmt.Errorf("%w: %s: the member name %q is reserved by SD-JWT", ErrInvalid, where(path), k)
		}
		cp := path + "/" + escape(k)
		v, err := b.value(obj[k], cp)
		if err != nil {
			return nil, err
		}
		if !b.sel[cp] {
			out[k] = v
			continue
		}
		d, err := NewDisclosure(b.rnd, k, v, false)
		if err != nil {
			return nil, err
		}
		b.disclosures = append(b.disclosures, d)
		digests = append(digests, d.Digest())
	}
	if len(digests) > 0 {
		for range b.decoys {
			dg, err := b.decoy()
			if err != nil {
				return nil, err
			}
			digests = append(digests, dg)
		}
		slices.Sort(digests) // hides the original order of the claims
		sd := make([]any, len(digests))
		for i, d := range digests {
			sd[i] = d
		}
		out["_sd"] = sd
	}
	return out, nil
}

func (b *builder) array(arr []any, path string) ([]any, error) {
	out := make([]any, 0, len(arr))
	for i, e := range arr {
		cp := path + "/" + strconv.Itoa(i)
		v, err := b.value(e, cp)
		if err != nil {
			return nil, err
		}
		if !b.sel[cp] {
			out = append(out, v)
			continue
		}
		d, err := NewDisclosure(b.rnd, "", v, true)
		if err != nil {
			return nil, err
		}
		b.disclosures = append(b.disclosures, d)
		out = append(out, map[string]any{"...": d.Digest()})
	}
	return out, nil
}

// decoy returns the digest of random bytes (RFC 9901 §4.2.5).
func (b *builder) decoy() (string, error) {
	var r [16]byte
	if _, err := io.ReadFull(b.rnd, r[:]); err != nil {
		return "", fmt.Errorf("decoy: %w", err)
	}
	return Digest(jose.Encode(r[:])), nil
}

// lookup resolves a JSON Pointer in v.
func lookup(v any, pointer string) (any, error) {
	if pointer == "" {
		return v, nil
	}
	for _, tok := range strings.Split(pointer[1:], "/") {
		tok = strings.NewReplacer("~1", "/", "~0", "~").Replace(tok)
		switch t := v.(type) {
		case map[string]any:
			next, ok := t[tok]
			if !ok {
				return nil, fmt.Errorf("no member %q", tok)
			}
			v = next
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(t) || strconv.Itoa(i) != tok {
				return nil, fmt.Errorf("no element %q", tok)
			}
			v = t[i]
		default:
			return nil, fmt.Errorf("%q is below a value that is neither an object nor an array", tok)
		}
	}
	return v, nil
}

// VC is an SD-JWT VC to issue (draft-ietf-oauth-sd-jwt-vc).
type VC struct {
	// Issuer is the iss claim: the issuer's DID (its key is found through the
	// kid the signer puts in the header) or URL.
	Issuer string `validate:"required,max=2048"`
	// Type is the vct claim, the credential type: a URI such as
	// "https://w3id.org/talentchain/vct/degree".
	Type string `validate:"required,max=2048"`
	// Subject, when set, is the sub claim.
	Subject string `validate:"max=2048"`
	// IssuedAt is iat; zero means now.
	IssuedAt time.Time
	// NotBefore and Expires are nbf and exp, when not zero.
	NotBefore, Expires time.Time
	// Status, when set, is the status claim (e.g. a status_list reference).
	Status map[string]any
	// Claims are the credential's other claims; they may not set iss, vct,
	// iat, nbf, exp, cnf, sub or status.
	Claims map[string]any `validate:"required"`
	// Disclosable, Holder, Decoys and Rand are as in IssueOptions. iss, vct,
	// nbf, exp, cnf and status may not be selectively disclosable.
	Disclosable []string
	Holder      crypto.PublicKey
	Decoys      int
	Rand        io.Reader
}

// IssueVC issues an SD-JWT VC with typ "dc+sd-jwt". Errors wrap ErrInvalid.
func IssueVC(signer *jose.Signer, vc VC) (string, error) {
	if err := validate.Struct(vc); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if !vc.Expires.IsZero() && !vc.Expires.After(vc.IssuedAt) && !vc.IssuedAt.IsZero() {
		return "", fmt.Errorf("%w: expires before it is issued", ErrInvalid)
	}
	reserved := []string{"iss", "vct", "iat", "nbf", "exp", "cnf", "sub", "status", "vct#integrity"}
	claims := make(map[string]any, len(vc.Claims)+8)
	for k, v := range vc.Claims {
		if slices.Contains(reserved, k) {
			return "", fmt.Errorf("%w: claims may not set %s, a field of VC", ErrInvalid, k)
		}
		claims[k] = v
	}
	for _, p := range vc.Disclosable {
		for _, r := range []string{"iss", "vct", "nbf", "exp", "cnf", "status"} {
			if p == "/"+r || strings.HasPrefix(p, "/"+r+"/") {
				return "", fmt.Errorf("%w: %s may not be selectively disclosable in an SD-JWT VC", ErrInvalid, r)
			}
		}
	}
	iat := vc.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	claims["iss"] = vc.Issuer
	claims["vct"] = vc.Type
	claims["iat"] = iat.Unix()
	if vc.Subject != "" {
		claims["sub"] = vc.Subject
	}
	if !vc.NotBefore.IsZero() {
		claims["nbf"] = vc.NotBefore.Unix()
	}
	if !vc.Expires.IsZero() {
		claims["exp"] = vc.Expires.Unix()
	}
	if vc.Status != nil {
		claims["status"] = vc.Status
	}
	return Issue(signer, claims, IssueOptions{Disclosable: vc.Disclosable, Holder: vc.Holder, Type: TypeVC, Decoys: vc.Decoys, Rand: vc.Rand})
}
