package credential

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"

	"github.com/piprate/json-gold/ld"
)

// Canonicalizer turns JSON-LD documents into their RDFC-1.0 (URDNA2015)
// canonical N-Quads, refusing what JSON-LD would otherwise silently change:
// terms that no context defines (they would be dropped), types and identifiers
// that do not expand to absolute IRIs, unknown contexts, and strings with control
// characters that json-gold does not escape the RDFC-1.0 way.
//
// A Canonicalizer is safe for concurrent use.
type Canonicalizer struct {
	loader *Loader
	// cache keeps the processed contexts: the loader's documents never change,
	// and processing them again was most of the cost of a canonicalization.
	cache *ld.ContextCache
	// templates expand documents of an already seen shape without json-gold
	// (template.go). nil, like a nil cache, is the plain reference path.
	templates *templates
}

// NewCanonicalizer returns a canonicalizer that resolves contexts with loader.
// Canonicalizers of one loader share its caches.
func NewCanonicalizer(loader *Loader) *Canonicalizer {
	contexts, templates := loader.caches()
	return &Canonicalizer{loader: loader, cache: contexts, templates: templates}
}

// newReferenceCanonicalizer returns a canonicalizer without any cache: plain
// json-gold, the reference the fast path is tested and measured against.
func newReferenceCanonicalizer(loader *Loader) *Canonicalizer {
	return &Canonicalizer{loader: loader}
}

// jsonLDKeywords are the keywords JSON-LD 1.1 defines. A member whose name looks
// like a keyword but is not one is ignored by JSON-LD processors, so we refuse it.
var jsonLDKeywords = map[string]bool{
	"@base": true, "@container": true, "@context": true, "@direction": true, "@graph": true,
	"@id": true, "@import": true, "@included": true, "@index": true, "@json": true,
	"@language": true, "@list": true, "@nest": true, "@none": true, "@prefix": true,
	"@propagate": true, "@protected": true, "@reverse": true, "@set": true, "@type": true,
	"@value": true, "@version": true, "@vocab": true,
}

// Canonicalize returns the canonical N-Quads of doc. Errors wrap ErrMalformed (the
// document would lose or change data in JSON-LD processing) or ErrUnknownContext.
func (c *Canonicalizer) Canonicalize(doc map[string]any) (out string, err error) {
	// json-gold panics on some inputs (for example Go number types other than
	// float64); no input may bring the process down.
	defer func() {
		if p := recover(); p != nil {
			out, err = "", &InputError{Reason: fmt.Sprintf("JSON-LD processing failed: %v", p)}
		}
	}()
	if err := c.checkJSON(doc, "", 0); err != nil {
		return "", err
	}
	opts := canonOptions(c)
	dataset, err := c.dataset(doc, opts)
	if err != nil {
		return "", err
	}
	if dataset.Dropped > 0 {
		return "", &InputError{Reason: fmt.Sprintf("%d statement(s) hold an identifier that is not a valid IRI (spaces or characters such as < > \" { } | ^ ` \\) and would be left out of the signature", dataset.Dropped)}
	}
	for _, quads := range dataset.Graphs {
		for _, q := range quads {
			for _, n := range []ld.Node{q.Subject, q.Predicate, q.Object, q.Graph} {
				if iri, ok := n.(ld.IRI); ok && !absoluteIRI(iri.Value) {
					return "", &InputError{Reason: fmt.Sprintf("%q does not expand to an absolute IRI; define it in a context", iri.Value)}
				}
				if lit, ok := n.(ld.Literal); ok && !absoluteIRI(lit.Datatype) {
					return "", &InputError{Reason: fmt.Sprintf("datatype %q is not an absolute IRI", lit.Datatype)}
				}
			}
		}
	}
	nq, err := ld.NewNormalisationAlgorithm(ld.AlgorithmURDNA2015).Main(dataset, opts)
	if err != nil {
		return "", jsonLDError(err)
	}
	s, ok := nq.(string)
	if !ok {
		return "", fmt.Errorf("canonicalize: unexpected output %T", out)
	}
	return s, nil
}

// canonOptions returns json-gold's options for c.
func canonOptions(c *Canonicalizer) *ld.JsonLdOptions {
	opts := ld.NewJsonLdOptions("")
	opts.ProcessingMode = ld.JsonLd_1_1
	opts.DocumentLoader = c.loader
	opts.SafeMode = true
	opts.Algorithm = ld.AlgorithmURDNA2015
	opts.Format = "application/n-quads"
	opts.ContextCache = c.cache
	return opts
}

// dataset returns the RDF dataset of doc: JSON-LD expansion, the check of
// the expanded form, toRDF; from a template when its shape allows.
func (c *Canonicalizer) dataset(doc map[string]any, opts *ld.JsonLdOptions) (*ld.RDFDataset, error) {
	if c.templates != nil {
		if ds, ok, err := c.templates.dataset(doc, opts); ok {
			return ds, err
		}
	}
	expanded, err := ld.NewJsonLdProcessor().Expand(doc, opts)
	if err != nil {
		return nil, jsonLDError(err)
	}
	if err := checkExpanded(expanded, ""); err != nil {
		return nil, err
	}
	ds, err := ld.NewJsonLdApi().ToRDF(expanded, opts)
	if err != nil {
		return nil, jsonLDError(err)
	}
	return ds, nil
}

// jsonLDError classifies an error from json-gold.
func jsonLDError(err error) error {
	if errors.Is(err, ErrUnknownContext) {
		return fmt.Errorf("canonicalize: %w", err)
	}
	var jerr *ld.JsonLdError
	if errors.As(err, &jerr) {
		msg := jerr.Error()
		if jerr.Code == ld.InvalidProperty {
			msg = "a member is not defined by any context and would be dropped by JSON-LD; define it in a context (" + msg + ")"
		}
		return &InputError{Reason: "JSON-LD: " + msg}
	}
	return &InputError{Reason: "JSON-LD: " + err.Error()}
}

const maxDepth = 64

// checkJSON walks the compacted document before JSON-LD processing: keyword-like
// names that are not keywords, contexts the loader does not know, strings that
// are not valid UTF-8 or carry control characters, and excessive nesting.
//
// A document with several faults is walked again in member order, so the
// error reported is always the same one.
func (c *Canonicalizer) checkJSON(v any, path string, depth int) error {
	if err := c.checkJSONIn(v, path, depth, false); err != nil {
		return c.checkJSONIn(v, path, depth, true)
	}
	return nil
}

func (c *Canonicalizer) checkJSONIn(v any, path string, depth int, sorted bool) error {
	if depth > maxDepth {
		return &InputError{Field: path, Reason: fmt.Sprintf("nested deeper than %d levels", maxDepth)}
	}
	switch t := v.(type) {
	case map[string]any:
		for _, k := range memberOrder(t, sorted) {
			e := t[k]
			p := joinPath(path, k)
			if err := checkString(k, p); err != nil {
				return err
			}
			if strings.HasPrefix(k, "@") && !jsonLDKeywords[k] {
				return &InputError{Field: p, Reason: "not a JSON-LD keyword: JSON-LD would ignore it"}
			}
			if k == "@context" {
				if err := c.checkContext(e, p); err != nil {
					return err
				}
			}
			if err := c.checkJSONIn(e, p, depth+1, sorted); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range t {
			if err := c.checkJSONIn(e, fmt.Sprintf("%s[%d]", path, i), depth+1, sorted); err != nil {
				return err
			}
		}
	case string:
		return checkString(t, path)
	case float64, bool, nil:
	default:
		return &InputError{Field: path, Reason: fmt.Sprintf("a %T is not a JSON value here; decode documents with ParseDocument or encoding/json", v)}
	}
	return nil
}

func (c *Canonicalizer) checkContext(v any, path string) error {
	switch t := v.(type) {
	case string:
		if !c.loader.Has(t) {
			return fmt.Errorf("%w: %s (TalentChain never fetches contexts from the network; an operator can add the file to the context folder)", ErrUnknownContext, t)
		}
	case []any:
		for i, e := range t {
			if err := c.checkContext(e, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		// Inline contexts are processed by JSON-LD; protected terms of the
		// standard contexts cannot be redefined by them. One that asks to
		// turn protection off has no use but to try: json-gold ignores it
		// for protected terms, so the signed graph is unchanged, but such a
		// document is someone's attempt and is refused by name.
		if p, ok := t["@protected"]; ok && p != true {
			return &InputError{Field: path + ".@protected", Reason: "an inline context may not turn off term protection"}
		}
	case nil:
	default:
		return &InputError{Field: path, Reason: "a context must be a URL, an object or an array of them"}
	}
	return nil
}

func checkString(s, path string) error {
	if !utf8.ValidString(s) {
		return &InputError{Field: path, Reason: "not valid UTF-8"}
	}
	for _, r := range s {
		if (r < 0x20 && r != '\n' && r != '\r' && r != '\t') || r == 0x7f {
			return &InputError{Field: path, Reason: fmt.Sprintf("control character U+%04X is not allowed", r)}
		}
	}
	return nil
}

// checkExpanded refuses identifiers and types that did not expand to absolute IRIs.
// Like checkJSON, it reports the first fault in member order.
func checkExpanded(v any, path string) error {
	if err := checkExpandedIn(v, path, false); err != nil {
		return checkExpandedIn(v, path, true)
	}
	return nil
}

func checkExpandedIn(v any, path string, sorted bool) error {
	switch t := v.(type) {
	case map[string]any:
		_, isValue := t["@value"]
		for _, k := range memberOrder(t, sorted) {
			e := t[k]
			switch k {
			case "@id":
				if s, ok := e.(string); ok && !absoluteIRI(s) {
					return &InputError{Field: path, Reason: fmt.Sprintf("identifier %q is not an absolute IRI", s)}
				}
			case "@type":
				types, _ := e.([]any)
				if s, ok := e.(string); ok {
					types = []any{s}
				}
				for _, ty := range types {
					s, _ := ty.(string)
					if isValue && s == "@json" {
						continue
					}
					if !absoluteIRI(s) {
						return &InputError{Field: path, Reason: fmt.Sprintf("type %q is not defined by any context", s)}
					}
				}
			default:
				if err := checkExpandedIn(e, joinPath(path, k), sorted); err != nil {
					return err
				}
			}
		}
	case []any:
		for _, e := range t {
			if err := checkExpandedIn(e, path, sorted); err != nil {
				return err
			}
		}
	}
	return nil
}

// memberOrder returns the member names of m, sorted when asked.
func memberOrder(m map[string]any, sorted bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	if sorted {
		slices.Sort(keys)
	}
	return keys
}

func joinPath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// absoluteIRI is ld.IsAbsoluteIri (a blank node label, or a URL that
// net/url parses with a scheme) without parsing the common opaque IRIs
// (urn:, did:, mailto: ...): those parse whenever their scheme is well
// formed and they hold no control character and no percent sign (whose
// escapes net/url checks); everything else goes to ld.IsAbsoluteIri.
func absoluteIRI(s string) bool {
	if strings.HasPrefix(s, "_:") {
		return true
	}
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' ||
			i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
			continue
		}
		break
	}
	if i == 0 || i == len(s) || s[i] != ':' || strings.HasPrefix(s[i+1:], "/") {
		return parsedAbsoluteIRI(s)
	}
	for j := i + 1; j < len(s); j++ {
		if c := s[j]; c < 0x20 || c == 0x7f || c == '%' {
			return parsedAbsoluteIRI(s)
		}
	}
	return true
}

// absoluteIRIs remembers ld.IsAbsoluteIri for the IRIs that need a full URL
// parse, mostly the same few hundred vocabulary IRIs of the contexts
// (https://www.w3.org/2018/credentials#issuer ...). Bounded: once full, new
// IRIs are parsed every time.
var absoluteIRIs struct {
	m sync.Map
	n atomic.Int64
}

const maxRememberedIRIs = 8192

func parsedAbsoluteIRI(s string) bool {
	if v, ok := absoluteIRIs.m.Load(s); ok {
		return v.(bool)
	}
	abs := ld.IsAbsoluteIri(s)
	if len(s) <= 256 && absoluteIRIs.n.Load() < maxRememberedIRIs {
		if _, loaded := absoluteIRIs.m.LoadOrStore(s, abs); !loaded {
			absoluteIRIs.n.Add(1)
		}
	}
	return abs
}
