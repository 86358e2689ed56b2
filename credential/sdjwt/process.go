package sdjwt

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// processed is the outcome of replacing digests by disclosed claims.
type processed struct {
	claims map[string]any
	// paths maps each disclosure's digest to the JSON Pointer of the claim it
	// disclosed in claims.
	paths map[string]string
}

// process implements RFC 9901 §7.1 steps 3 to 5 over a verified payload: every
// digest may appear once; each disclosure must be referenced exactly once, by
// an _sd array for a member disclosure or by a {"...": digest} array element
// for an element disclosure; a disclosed member may not overwrite a claim;
// unreferenced digests (decoys, undisclosed claims) are dropped; _sd and the
// top-level _sd_alg are removed. Errors wrap ErrDisclosure.
func process(payload map[string]any, ds []*Disclosure) (*processed, error) {
	byDigest := make(map[string]*Disclosure, len(ds))
	for i, d := range ds {
		dg := d.Digest()
		if _, dup := byDigest[dg]; dup {
			return nil, fmt.Errorf("%w: disclosure %d is given twice", ErrDisclosure, i)
		}
		byDigest[dg] = d
	}
	if alg, ok := payload["_sd_alg"]; ok && alg != HashSHA256 {
		return nil, fmt.Errorf("%w: _sd_alg %v is not supported (only %s)", ErrDisclosure, alg, HashSHA256)
	}
	p := &proc{byDigest: byDigest, seen: map[string]bool{}, paths: map[string]string{}}
	out, err := p.object(payload, "", 0, true)
	if err != nil {
		return nil, err
	}
	for dg, d := range byDigest {
		if !p.used(dg) {
			what := "array element"
			if !d.Element {
				what = fmt.Sprintf("claim %q", d.Name)
			}
			return nil, fmt.Errorf("%w: the disclosure of %s is not referenced by the issuer-signed payload", ErrDisclosure, what)
		}
	}
	return &processed{claims: out, paths: p.paths}, nil
}

type proc struct {
	byDigest map[string]*Disclosure
	seen     map[string]bool   // every digest met in the payload or in disclosed values
	paths    map[string]string // digest → pointer of the disclosed claim
}

func (p *proc) used(dg string) bool { _, ok := p.paths[dg]; return ok }

func (p *proc) digest(v any, at string) (string, error) {
	dg, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%w: %s: a digest must be a string", ErrDisclosure, at)
	}
	if p.seen[dg] {
		return "", fmt.Errorf("%w: %s: the digest %s appears more than once", ErrDisclosure, at, dg)
	}
	p.seen[dg] = true
	return dg, nil
}

func (p *proc) value(v any, path string, depth int) (any, error) {
	if depth > jose.MaxDepth {
		return nil, fmt.Errorf("%w: %s: nested deeper than %d levels", ErrDisclosure, where(path), jose.MaxDepth)
	}
	switch t := v.(type) {
	case map[string]any:
		return p.object(t, path, depth, false)
	case []any:
		return p.array(t, path, depth)
	}
	return v, nil
}

func (p *proc) object(obj map[string]any, path string, depth int, top bool) (map[string]any, error) {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		switch {
		case k == "_sd":
		case k == "_sd_alg" && top:
		case k == "_sd_alg":
			return nil, fmt.Errorf("%w: %s: _sd_alg is only allowed at the top level", ErrDisclosure, where(path))
		case k == "...":
			return nil, fmt.Errorf("%w: %s: \"...\" is only allowed alone, in an array element", ErrDisclosure, where(path))
		default:
			pv, err := p.value(v, path+"/"+escape(k), depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = pv
		}
	}
	sd, ok := obj["_sd"]
	if !ok {
		return out, nil
	}
	list, ok := sd.([]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s: _sd must be an array of digests", ErrDisclosure, where(path))
	}
	for _, e := range list {
		dg, err := p.digest(e, where(path)+"/_sd")
		if err != nil {
			return nil, err
		}
		d, ok := p.byDigest[dg]
		if !ok {
			continue // a decoy or a claim the holder did not disclose
		}
		if d.Element {
			return nil, fmt.Errorf("%w: %s: an array element disclosure is referenced from an object's _sd", ErrDisclosure, where(path))
		}
		if _, exists := out[d.Name]; exists {
			return nil, fmt.Errorf("%w: %s: the disclosure of %q would overwrite a claim", ErrDisclosure, where(path), d.Name)
		}
		if _, exists := obj[d.Name]; exists {
			return nil, fmt.Errorf("%w: %s: the disclosure of %q would overwrite a claim", ErrDisclosure, where(path), d.Name)
		}
		cp := path + "/" + escape(d.Name)
		p.paths[dg] = cp
		pv, err := p.value(d.Value, cp, depth+1)
		if err != nil {
			return nil, err
		}
		out[d.Name] = pv
	}
	return out, nil
}

func (p *proc) array(arr []any, path string, depth int) ([]any, error) {
	out := make([]any, 0, len(arr))
	for i, e := range arr {
		if m, ok := e.(map[string]any); ok {
			if ref, ok := m["..."]; ok {
				if len(m) != 1 {
					return nil, fmt.Errorf("%w: %s/%d: an element digest object must hold \"...\" alone", ErrDisclosure, path, i)
				}
				dg, err := p.digest(ref, fmt.Sprintf("%s/%d", path, i))
				if err != nil {
					return nil, err
				}
				d, ok := p.byDigest[dg]
				if !ok {
					continue // undisclosed element or decoy: removed
				}
				if !d.Element {
					return nil, fmt.Errorf("%w: %s/%d: a claim disclosure is referenced as an array element", ErrDisclosure, path, i)
				}
				cp := path + "/" + strconv.Itoa(len(out))
				p.paths[dg] = cp
				pv, err := p.value(d.Value, cp, depth+1)
				if err != nil {
					return nil, err
				}
				out = append(out, pv)
				continue
			}
		}
		pv, err := p.value(e, path+"/"+strconv.Itoa(len(out)), depth+1)
		if err != nil {
			return nil, err
		}
		out = append(out, pv)
	}
	return out, nil
}

var pointerEscaper = strings.NewReplacer("~", "~0", "/", "~1")

func escape(name string) string { return pointerEscaper.Replace(name) }

func where(path string) string {
	if path == "" {
		return "/"
	}
	return path
}
