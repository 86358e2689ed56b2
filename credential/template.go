package credential

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/piprate/json-gold/ld"
)

// Expansion templates: the fast path of JSON-LD expansion.
//
// JSON-LD expansion of a document depends on its contexts, its member names,
// its types and the shape of its values, and (for most leaves) not on the
// leaf values themselves: a string under a term without type coercion becomes
// {"@value": s}, whatever s is. Credentials of one kind share all of that and
// differ in their leaves, yet json-gold re-processes the type-scoped contexts
// and copies the active context for every document; that was half of the
// cost of a signature.
//
// So the canonicalizer expands, once per shape, a copy of the document whose
// leaves are replaced by sentinels (urn:x-talentchain-slot:N for strings,
// N·2⁻¹⁰⁰⁰ for numbers), finds each sentinel in the expanded result, and keeps
// that result as a template. Later documents of the same shape are expanded by
// copying the template with their own leaves put in place of the sentinels;
// toRDF and RDFC-1.0 then run on the real values as before.
//
// A sentinel found as the value of "@value" marks a literal leaf, copied as
// is. One found as the value of "@id" marks an IRI leaf (an id, or a value
// coerced with "@type": "@id" or "@vocab"): it is put in place only if JSON-LD
// would leave it unchanged (an absolute IRI whose scheme is no term of any
// known context, and which is not a term itself); other IRI leaves (blank node
// ids, terms such as "assertionMethod", relative IRIs) are pinned: they become
// part of the shape, expanded by json-gold itself. A sentinel found anywhere
// else (a type, a language, inside a JSON literal, part of a longer string),
// missing or repeated means the shape is not templatable: such documents take
// the plain path. Documents with inline contexts always do.
//
// TestTemplateMatchesReference compares both paths on every sample and on a
// table of varied documents, byte for byte, errors included.

const (
	slotPrefix     = "urn:x-talentchain-slot:"
	maxTemplates   = 2048
	slotNumberUnit = 0x1p-1000
)

// slotRef marks where a leaf goes in a template.
type slotRef int

type slotKind uint8

const (
	slotLiteral slotKind = iota + 1
	slotIRI
)

// template is the expansion of one shape with slot references.
type template struct {
	ok       bool       // false: the shape is not templatable
	expanded any        // json-gold's expanded form, slotRef where leaves go
	kinds    []slotKind // per slot; 0 for a pinned slot
	// quads is the shape's RDF dataset with slot references, when the
	// shape allows (see quadTemplate): documents of the shape then skip
	// expansion and toRDF altogether. nil: fill expanded and run toRDF.
	quads []quadTemplate
}

// quadTemplate is one statement of a template's dataset.
type quadTemplate struct {
	graph   string
	s, p, o quadNode
}

// quadNode is a fixed RDF term, or a slot: an IRI, or a literal whose
// datatype and language are fixed and whose value is the slot's.
type quadNode struct {
	fixed ld.Node
	slot  int // -1: fixed
	lit   ld.Literal
	iri   bool
}

// templates is a loader's cache of expansion templates.
type templates struct {
	mu    sync.RWMutex
	m     map[string]*template
	terms map[string]bool // every member name of every context document
}

func newTemplates(l *Loader) *templates {
	t := &templates{m: map[string]*template{}, terms: map[string]bool{}}
	for _, d := range l.docs {
		collectKeys(d.Document, t.terms)
	}
	return t
}

func collectKeys(v any, into map[string]bool) {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			into[k] = true
			collectKeys(e, into)
		}
	case []any:
		for _, e := range t {
			collectKeys(e, into)
		}
	}
}

func (t *templates) get(key string) (*template, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	tp, ok := t.m[key]
	return tp, ok
}

// full reports whether no more templates are kept: a shape not seen yet
// then takes the plain path at once instead of building a template that
// would be thrown away (a stream of new shapes, or of pinned values, must
// not cost an extra expansion each).
func (t *templates) full() bool {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m) >= maxTemplates
}

func (t *templates) put(key string, tp *template) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) < maxTemplates {
		t.m[key] = tp
	}
}

// shape is a document reduced to its shape: key describes everything but the
// leaves, slots holds the leaves (strings and float64) in walk order.
type shape struct {
	key   strings.Builder
	slots []any
}

// walk describes v; false means the document cannot be templated.
func (s *shape) walk(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		s.key.WriteByte('{')
		for _, k := range slices.Sorted(mapKeys(t)) {
			s.writeString(k)
			s.key.WriteByte(':')
			e := t[k]
			if k == "@context" && !remoteContexts(e) {
				return false
			}
			if fixedMember(k) {
				b, err := json.Marshal(e)
				if err != nil {
					return false
				}
				s.key.Write(b)
			} else if !s.walk(e) {
				return false
			}
			s.key.WriteByte(',')
		}
		s.key.WriteByte('}')
	case []any:
		s.key.WriteByte('[')
		for _, e := range t {
			if !s.walk(e) {
				return false
			}
			s.key.WriteByte(',')
		}
		s.key.WriteByte(']')
	case string:
		s.key.WriteByte('s')
		s.slots = append(s.slots, t)
	case float64:
		s.key.WriteByte('n')
		s.slots = append(s.slots, t)
	case bool:
		s.key.WriteString(strconv.FormatBool(t))
	case nil:
		s.key.WriteString("null")
	default:
		return false
	}
	return true
}

func (s *shape) writeString(k string) {
	s.key.WriteString(strconv.Quote(k))
}

func mapKeys(m map[string]any) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// fixedMember reports whether the value of member k is part of the shape:
// keywords other than @id and @value, and "type" (the usual alias of @type,
// whose values select type-scoped contexts).
func fixedMember(k string) bool {
	return k == "type" || (strings.HasPrefix(k, "@") && k != "@id" && k != "@value")
}

// remoteContexts reports whether a @context value is only context URLs.
func remoteContexts(v any) bool {
	switch t := v.(type) {
	case string:
		return true
	case []any:
		for _, e := range t {
			if _, ok := e.(string); !ok {
				return false
			}
		}
		return true
	}
	return false
}

// sentinelDoc copies v with slot i replaced by its sentinel, or by its own
// value where pinned[i].
func sentinelDoc(v any, slots []any, pinned map[int]bool, next *int) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for _, k := range slices.Sorted(mapKeys(t)) {
			if fixedMember(k) {
				out[k] = t[k]
			} else {
				out[k] = sentinelDoc(t[k], slots, pinned, next)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = sentinelDoc(e, slots, pinned, next)
		}
		return out
	case string, float64:
		i := *next
		*next++
		if pinned[i] {
			return slots[i]
		}
		if _, ok := t.(string); ok {
			return slotPrefix + strconv.Itoa(i)
		}
		return float64(i+1) * slotNumberUnit
	default:
		return t
	}
}

// sentinelIndex returns the slot a sentinel string or number stands for.
func sentinelIndex(v any, n int) (int, bool) {
	switch t := v.(type) {
	case string:
		if !strings.HasPrefix(t, slotPrefix) {
			return 0, false
		}
		i, err := strconv.Atoi(t[len(slotPrefix):])
		return i, err == nil && i >= 0 && i < n
	case float64:
		if t <= 0 || t > float64(n)*slotNumberUnit {
			return 0, false
		}
		f := t / slotNumberUnit
		i := int(f)
		return i - 1, t > 0 && float64(i) == f && i >= 1 && i <= n
	}
	return 0, false
}

// mark replaces the sentinels of an expanded document by slot references and
// records each slot's kind; false when a sentinel is where it cannot be
// substituted, or seen twice.
func mark(v any, kinds []slotKind, seen []bool) (any, bool) {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			if strings.Contains(k, slotPrefix) {
				return nil, false
			}
			if k == "@value" || k == "@id" {
				if i, ok := sentinelIndex(e, len(kinds)); ok {
					if seen[i] {
						return nil, false
					}
					seen[i] = true
					if _, isString := e.(string); k == "@id" && !isString {
						return nil, false
					}
					kinds[i] = slotLiteral
					if k == "@id" {
						kinds[i] = slotIRI
					}
					out[k] = slotRef(i)
					continue
				}
			}
			m, ok := mark(e, kinds, seen)
			if !ok {
				return nil, false
			}
			out[k] = m
		}
		return out, true
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			m, ok := mark(e, kinds, seen)
			if !ok {
				return nil, false
			}
			out[i] = m
		}
		return out, true
	case string:
		return t, !strings.Contains(t, slotPrefix)
	case float64:
		_, isSentinel := sentinelIndex(t, len(kinds))
		return t, !isSentinel
	default:
		return t, true
	}
}

// build expands the sentinel copy of doc and makes its template.
func build(doc map[string]any, slots []any, pinned map[int]bool, opts *ld.JsonLdOptions) *template {
	next := 0
	sdoc := sentinelDoc(doc, slots, pinned, &next)
	expanded, err := ld.NewJsonLdProcessor().Expand(sdoc, opts)
	if err != nil {
		return &template{}
	}
	kinds := make([]slotKind, len(slots))
	seen := make([]bool, len(slots))
	marked, ok := mark(expanded, kinds, seen)
	if !ok {
		return &template{}
	}
	for i := range slots {
		if seen[i] == pinned[i] { // every slot seen exactly once, pinned ones never
			return &template{}
		}
	}
	return &template{ok: true, expanded: marked, kinds: kinds, quads: quadsOf(expanded, slots, kinds, opts)}
}

// quadsOf makes the dataset template of a shape from its expanded sentinel
// document, or returns nil when the shape does not allow one. Beyond
// expansion, toRDF depends on leaf values in three ways, each handled:
// numbers become xsd:integer or xsd:double by value (a shape with a number
// leaf gets no dataset template); statements with invalid IRIs are dropped
// (each filled statement is checked as toRDF checks it, and counted); and
// two nodes with the same IRI are one node, whose statements are the union
// of both (filled statements are deduplicated). A sentinel anywhere but as
// a whole IRI subject or object or a whole literal value, a dropped
// statement, or an expanded form the canonicalizer would refuse, means no
// dataset template.
func quadsOf(expanded any, slots []any, kinds []slotKind, opts *ld.JsonLdOptions) []quadTemplate {
	for i, v := range slots {
		if _, isNumber := v.(float64); isNumber && kinds[i] != 0 {
			return nil
		}
	}
	if checkExpanded(expanded, "") != nil {
		return nil
	}
	ds, err := ld.NewJsonLdApi().ToRDF(expanded, opts)
	if err != nil || ds.Dropped > 0 {
		return nil
	}
	var out []quadTemplate
	for _, graph := range slices.Sorted(func(yield func(string) bool) {
		for g := range ds.Graphs {
			if !yield(g) {
				return
			}
		}
	}) {
		if strings.Contains(graph, slotPrefix) {
			return nil
		}
		for _, q := range ds.Graphs[graph] {
			if q.Graph != nil && strings.Contains(q.Graph.GetValue(), slotPrefix) {
				return nil
			}
			qt := quadTemplate{graph: graph}
			for _, n := range []struct {
				node ld.Node
				into *quadNode
				pred bool
			}{{q.Subject, &qt.s, false}, {q.Predicate, &qt.p, true}, {q.Object, &qt.o, false}} {
				qn, ok := slotNode(n.node, kinds, n.pred)
				if !ok {
					return nil
				}
				*n.into = qn
			}
			out = append(out, qt)
		}
	}
	return out
}

// slotNode classifies one term of a sentinel dataset.
func slotNode(n ld.Node, kinds []slotKind, predicate bool) (quadNode, bool) {
	fixed := quadNode{fixed: n, slot: -1}
	switch t := n.(type) {
	case ld.IRI:
		if i, ok := sentinelIndex(t.Value, len(kinds)); ok && !predicate && kinds[i] == slotIRI {
			return quadNode{slot: i, iri: true}, true
		}
		return fixed, !strings.Contains(t.Value, slotPrefix)
	case ld.Literal:
		if strings.Contains(t.Datatype, slotPrefix) || strings.Contains(t.Language, slotPrefix) {
			return quadNode{}, false
		}
		if i, ok := sentinelIndex(t.Value, len(kinds)); ok && !predicate && kinds[i] == slotLiteral {
			return quadNode{slot: i, lit: t}, true
		}
		return fixed, !strings.Contains(t.Value, slotPrefix)
	case ld.BlankNode:
		return fixed, !strings.Contains(t.Attribute, slotPrefix)
	}
	return quadNode{}, false
}

// node returns the term with the document's leaves.
func (n quadNode) node(slots []any) ld.Node {
	switch {
	case n.slot < 0:
		return n.fixed
	case n.iri:
		return ld.NewIRI(slots[n.slot].(string))
	default:
		l := n.lit
		l.Value = slots[n.slot].(string)
		return l
	}
}

// fillDataset makes the RDF dataset of a document from its template's,
// as toRDF would: invalid statements dropped and counted, statements made
// equal by equal leaves (one node, or one value, in JSON-LD) kept once.
func fillDataset(qs []quadTemplate, slots []any) *ld.RDFDataset {
	ds := ld.NewRDFDataset()
	seen := make(map[[4]string]bool, len(qs))
	for _, qt := range qs {
		q := ld.NewQuad(qt.s.node(slots), qt.p.node(slots), qt.o.node(slots), qt.graph)
		if !q.Valid() {
			ds.Dropped++
			continue
		}
		k := [4]string{qt.graph, termKey(q.Subject), termKey(q.Predicate), termKey(q.Object)}
		if seen[k] {
			continue
		}
		seen[k] = true
		ds.Graphs[qt.graph] = append(ds.Graphs[qt.graph], q)
	}
	return ds
}

// termKey identifies an RDF term (kind, value, datatype, language).
func termKey(n ld.Node) string {
	switch t := n.(type) {
	case ld.IRI:
		return "I" + t.Value
	case ld.BlankNode:
		return "B" + t.Attribute
	case ld.Literal:
		return "L" + strconv.Itoa(len(t.Value)) + ":" + t.Value + "^" + t.Datatype + "@" + t.Language
	}
	return "?"
}

// fill copies a template with the leaves of a document.
func fill(v any, slots []any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[k] = fill(e, slots)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = fill(e, slots)
		}
		return out
	case slotRef:
		return slots[t]
	default:
		return t
	}
}

// keptIRI reports whether JSON-LD IRI expansion (relative or vocabulary)
// returns s unchanged under any active context made from the known contexts.
func (t *templates) keptIRI(s string) bool {
	if s == "" || s[0] == '@' || t.terms[s] {
		return false
	}
	i := strings.IndexByte(s, ':')
	if i <= 0 {
		return false
	}
	prefix := s[:i]
	if prefix == "_" || t.terms[prefix] {
		return false
	}
	return absoluteIRI(s)
}

// expand returns the expanded form of doc from a template, or ok false when
// the document must take the plain path.
func (t *templates) expand(doc map[string]any, opts *ld.JsonLdOptions) (any, bool) {
	tp, slots, ok := t.lookup(doc, opts)
	if !ok {
		return nil, false
	}
	return fill(tp.expanded, slots), true
}

// dataset returns the RDF dataset of doc from a template: from its dataset
// template when it has one (no expansion, no toRDF), otherwise by toRDF of
// the filled expanded form (checked as the plain path checks it). ok false:
// the document must take the plain path.
func (t *templates) dataset(doc map[string]any, opts *ld.JsonLdOptions) (*ld.RDFDataset, bool, error) {
	tp, slots, ok := t.lookup(doc, opts)
	if !ok {
		return nil, false, nil
	}
	if tp.quads != nil {
		return fillDataset(tp.quads, slots), true, nil
	}
	expanded := fill(tp.expanded, slots)
	if err := checkExpanded(expanded, ""); err != nil {
		return nil, true, err
	}
	ds, err := ld.NewJsonLdApi().ToRDF(expanded, opts)
	if err != nil {
		return nil, true, jsonLDError(err)
	}
	return ds, true, nil
}

// lookup finds (or builds) the template of doc's shape, pins included, and
// returns it with doc's leaves.
func (t *templates) lookup(doc map[string]any, opts *ld.JsonLdOptions) (*template, []any, bool) {
	var s shape
	if !s.walk(doc) {
		return nil, nil, false
	}
	key := s.key.String()
	tp, found := t.get(key)
	if !found {
		if t.full() {
			return nil, nil, false
		}
		tp = build(doc, s.slots, nil, opts)
		t.put(key, tp)
	}
	if !tp.ok {
		return nil, nil, false
	}
	var pinned map[int]bool
	for i, k := range tp.kinds {
		if k == slotIRI && !t.keptIRI(s.slots[i].(string)) {
			if pinned == nil {
				pinned = map[int]bool{}
			}
			pinned[i] = true
		}
	}
	if pinned != nil {
		var b strings.Builder
		b.WriteString(key)
		for _, i := range slices.Sorted(mapKeysInt(pinned)) {
			b.WriteString("\x00")
			b.WriteString(strconv.Itoa(i))
			b.WriteByte('=')
			b.WriteString(strconv.Quote(s.slots[i].(string)))
		}
		key2 := b.String()
		tp, found = t.get(key2)
		if !found {
			if t.full() {
				return nil, nil, false
			}
			tp = build(doc, s.slots, pinned, opts)
			t.put(key2, tp)
		}
		if !tp.ok {
			return nil, nil, false
		}
		for i, k := range tp.kinds {
			if k == slotIRI && !t.keptIRI(s.slots[i].(string)) {
				return nil, nil, false // cannot happen: the kinds of a shape do not depend on its pins
			}
		}
	}
	return tp, s.slots, true
}

func mapKeysInt(m map[int]bool) func(func(int) bool) {
	return func(yield func(int) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
