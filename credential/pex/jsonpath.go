package pex

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the JSONPath evaluator.
const (
	// MaxPathLength is the longest JSONPath expression accepted, in bytes.
	MaxPathLength = 4096
	// MaxPathSegments is the largest number of segments in one expression.
	MaxPathSegments = 64
	// MaxPathNodes bounds the work of one evaluation: nodes visited by
	// descendant segments plus nodes selected. Beyond it evaluation stops with
	// ErrPathLimit.
	MaxPathNodes = 100_000
)

// Path is a compiled JSONPath expression of the subset Presentation Exchange
// definitions use:
//
//	$                 the root
//	.name  ['name']   a member ("name" may hold letters, digits, _ - @ and any
//	                  non-ASCII letter, and may not start with a digit;
//	                  ['...'] and ["..."] take any name, with JSON escapes)
//	[0]  [-1]         an array element, counted from the end when negative
//	.*  [*]           every member or element
//	['a','b']  [0,2]  a union of names or indexes
//	..name  ..[0]  ..*  ..['a']   descendants (the node itself and all below)
//
// Filter expressions ([?...]), slices ([a:b]) and functions are refused with
// ErrInvalidPath. Members of an object are visited in the byte order of their
// names (a decoded JSON object has no order), elements of an array in order.
type Path struct {
	src  string
	segs []segment
}

type segment struct {
	descendant bool
	wildcard   bool
	names      []string // member names (union)
	indexes    []int    // array indexes (union)
}

// PathError is a malformed JSONPath expression. It wraps ErrInvalidPath.
type PathError struct {
	Path   string
	Offset int // byte offset of the problem in Path
	Reason string
}

func (e *PathError) Error() string {
	p := e.Path
	if len(p) > 80 {
		p = p[:80] + "..."
	}
	return fmt.Sprintf("%s %q at offset %d: %s", ErrInvalidPath, p, e.Offset, e.Reason)
}

// Unwrap makes errors.Is(err, ErrInvalidPath) true.
func (e *PathError) Unwrap() error { return ErrInvalidPath }

// ParsePath compiles a JSONPath expression. Errors are *PathError.
func ParsePath(s string) (*Path, error) {
	p := &pathParser{src: s}
	if len(s) > MaxPathLength {
		return nil, p.fail(MaxPathLength, fmt.Sprintf("longer than %d bytes", MaxPathLength))
	}
	if !utf8.ValidString(s) {
		return nil, p.fail(0, "not valid UTF-8")
	}
	segs, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Path{src: s, segs: segs}, nil
}

// String returns the expression as written.
func (p *Path) String() string { return p.src }

// Node is one value selected by a Path and where it is.
type Node struct {
	// Location is the value's place in the document: member names (string)
	// and array indexes (int) from the root, the form SD-JWT claim paths use.
	Location []any
	Value    any
}

// NormalizedPath renders a location as an RFC 9535 normalized path, such
// as $['credentialSubject']['degree']['level'] or $['type'][1].
func NormalizedPath(loc []any) string {
	var sb strings.Builder
	sb.WriteByte('$')
	for _, e := range loc {
		switch v := e.(type) {
		case int:
			sb.WriteByte('[')
			sb.WriteString(strconv.Itoa(v))
			sb.WriteByte(']')
		case string:
			sb.WriteString("['")
			for _, r := range v {
				switch {
				case r == '\'':
					sb.WriteString(`\'`)
				case r == '\\':
					sb.WriteString(`\\`)
				case r < 0x20:
					switch r {
					case '\b':
						sb.WriteString(`\b`)
					case '\f':
						sb.WriteString(`\f`)
					case '\n':
						sb.WriteString(`\n`)
					case '\r':
						sb.WriteString(`\r`)
					case '\t':
						sb.WriteString(`\t`)
					default:
						fmt.Fprintf(&sb, `\u%04x`, r)
					}
				default:
					sb.WriteRune(r)
				}
			}
			sb.WriteString("']")
		}
	}
	return sb.String()
}

// JSONPointer renders a location as an RFC 6901 JSON Pointer, such as
// /credentialSubject/degree/level: the form the SD-JWT layer
// (credential/sdjwt.Present) takes to choose the disclosures.
func JSONPointer(loc []any) string {
	var sb strings.Builder
	for _, e := range loc {
		sb.WriteByte('/')
		switch v := e.(type) {
		case int:
			sb.WriteString(strconv.Itoa(v))
		case string:
			sb.WriteString(strings.NewReplacer("~", "~0", "/", "~1").Replace(v))
		}
	}
	return sb.String()
}

// Find evaluates the path against a decoded JSON document (objects as
// map[string]any, arrays as []any) and returns the selected nodes in order.
// It fails only with ErrPathLimit, after MaxPathNodes nodes.
func (p *Path) Find(doc any) ([]Node, error) {
	budget := MaxPathNodes
	found, err := p.find(doc, &budget)
	if err != nil {
		return nil, err
	}
	out := make([]Node, len(found))
	for i, n := range found {
		out[i] = Node{Location: n.location(), Value: n.value}
	}
	return out, nil
}

// pnode is a selected node; its location is kept as a parent chain and
// built only for the nodes a caller uses.
type pnode struct {
	parent *pnode
	key    any // string or int; nil for the root
	value  any
}

func (n *pnode) location() []any {
	depth := 0
	for p := n; p.parent != nil; p = p.parent {
		depth++
	}
	loc := make([]any, depth)
	for p := n; p.parent != nil; p = p.parent {
		depth--
		loc[depth] = p.key
	}
	return loc
}

// find evaluates the path spending from a budget that may be shared with
// other evaluations.
func (p *Path) find(doc any, budget *int) ([]*pnode, error) {
	cur := []*pnode{{value: doc}}
	for _, sg := range p.segs {
		var next []*pnode
		for _, n := range cur {
			if sg.descendant {
				if err := descend(n, func(d *pnode) error { return sg.apply(d, &next, budget) }, budget); err != nil {
					return nil, err
				}
				continue
			}
			if err := sg.apply(n, &next, budget); err != nil {
				return nil, err
			}
		}
		cur = next
		if len(cur) == 0 {
			return nil, nil
		}
	}
	return cur, nil
}

func spend(budget *int) error {
	*budget--
	if *budget < 0 {
		return ErrPathLimit
	}
	return nil
}

// descend calls f on n and on every node below it, in document order.
func descend(n *pnode, f func(*pnode) error, budget *int) error {
	if err := spend(budget); err != nil {
		return err
	}
	if err := f(n); err != nil {
		return err
	}
	switch v := n.value.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if err := descend(&pnode{parent: n, key: k, value: v[k]}, f, budget); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range v {
			if err := descend(&pnode{parent: n, key: i, value: e}, f, budget); err != nil {
				return err
			}
		}
	}
	return nil
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (sg *segment) apply(n *pnode, out *[]*pnode, budget *int) error {
	add := func(key, v any) error {
		if err := spend(budget); err != nil {
			return err
		}
		*out = append(*out, &pnode{parent: n, key: key, value: v})
		return nil
	}
	switch v := n.value.(type) {
	case map[string]any:
		if sg.wildcard {
			for _, k := range sortedKeys(v) {
				if err := add(k, v[k]); err != nil {
					return err
				}
			}
			return nil
		}
		for _, name := range sg.names {
			if e, ok := v[name]; ok {
				if err := add(name, e); err != nil {
					return err
				}
			}
		}
	case []any:
		if sg.wildcard {
			for i, e := range v {
				if err := add(i, e); err != nil {
					return err
				}
			}
			return nil
		}
		for _, i := range sg.indexes {
			if i < 0 {
				i += len(v)
			}
			if i >= 0 && i < len(v) {
				if err := add(i, v[i]); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

type pathParser struct {
	src string
	pos int
}

func (p *pathParser) fail(off int, reason string) error {
	return &PathError{Path: p.src, Offset: off, Reason: reason}
}

func (p *pathParser) peek() byte {
	if p.pos < len(p.src) {
		return p.src[p.pos]
	}
	return 0
}

func (p *pathParser) parse() ([]segment, error) {
	if p.peek() != '$' {
		return nil, p.fail(0, "must start with $")
	}
	p.pos++
	var segs []segment
	for p.pos < len(p.src) {
		if len(segs) == MaxPathSegments {
			return nil, p.fail(p.pos, fmt.Sprintf("more than %d segments", MaxPathSegments))
		}
		start := p.pos
		var sg segment
		switch p.peek() {
		case '.':
			p.pos++
			if p.peek() == '.' {
				p.pos++
				sg.descendant = true
				if p.peek() == '[' {
					if err := p.bracket(&sg); err != nil {
						return nil, err
					}
					break
				}
			}
			if p.peek() == '*' {
				p.pos++
				sg.wildcard = true
				break
			}
			name, err := p.shorthand()
			if err != nil {
				return nil, err
			}
			sg.names = []string{name}
		case '[':
			if err := p.bracket(&sg); err != nil {
				return nil, err
			}
		default:
			return nil, p.fail(start, fmt.Sprintf("unexpected %q: expected . or [", p.src[start:start+1]))
		}
		segs = append(segs, sg)
	}
	return segs, nil
}

func nameStart(r rune) bool {
	return r == '_' || r == '@' || r >= 0x80 && (unicode.IsLetter(r) || unicode.IsMark(r)) ||
		r < 0x80 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
}

func nameChar(r rune) bool {
	return nameStart(r) || r == '-' || r >= '0' && r <= '9' || r >= 0x80 && unicode.IsDigit(r)
}

func (p *pathParser) shorthand() (string, error) {
	start := p.pos
	for p.pos < len(p.src) {
		r, size := utf8.DecodeRuneInString(p.src[p.pos:])
		if p.pos == start && !nameStart(r) || p.pos > start && !nameChar(r) {
			break
		}
		p.pos += size
	}
	if p.pos == start {
		if p.pos == len(p.src) {
			return "", p.fail(start, "a member name is missing")
		}
		return "", p.fail(start, fmt.Sprintf("%q cannot start a member name (use ['...'])", p.src[start:start+1]))
	}
	return p.src[start:p.pos], nil
}

func (p *pathParser) skipSpace() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// bracket parses [ selector (, selector)* ] with p.pos on '['.
func (p *pathParser) bracket(sg *segment) error {
	open := p.pos
	p.pos++
	for {
		p.skipSpace()
		at := p.pos
		switch c := p.peek(); {
		case c == 0:
			return p.fail(open, "unclosed [")
		case c == '*':
			p.pos++
			sg.wildcard = true
		case c == '\'' || c == '"':
			s, err := p.quoted()
			if err != nil {
				return err
			}
			sg.names = append(sg.names, s)
		case c == '-' || c >= '0' && c <= '9':
			i, err := p.index()
			if err != nil {
				return err
			}
			sg.indexes = append(sg.indexes, i)
		case c == '?':
			return &PathError{Path: p.src, Offset: at, Reason: "filter expressions ([?...]) are not supported"}
		case c == ':':
			return p.fail(at, "slices ([a:b]) are not supported")
		default:
			return p.fail(at, fmt.Sprintf("unexpected %q in brackets", string(c)))
		}
		p.skipSpace()
		switch p.peek() {
		case ']':
			p.pos++
			if sg.wildcard && (len(sg.names) > 0 || len(sg.indexes) > 0) {
				return p.fail(open, "* cannot be combined with other selectors")
			}
			if len(sg.names)+len(sg.indexes) > 64 {
				return p.fail(open, "more than 64 selectors in one union")
			}
			return nil
		case ',':
			p.pos++
		case ':':
			return p.fail(p.pos, "slices ([a:b]) are not supported")
		case 0:
			return p.fail(open, "unclosed [")
		default:
			return p.fail(p.pos, fmt.Sprintf("unexpected %q in brackets: expected , or ]", string(p.peek())))
		}
	}
}

func (p *pathParser) index() (int, error) {
	start := p.pos
	if p.peek() == '-' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.src) && p.src[p.pos] >= '0' && p.src[p.pos] <= '9' {
		p.pos++
	}
	lit := p.src[start:p.pos]
	switch {
	case p.pos == digits:
		return 0, p.fail(start, "an index needs digits")
	case p.pos-digits > 1 && p.src[digits] == '0', lit == "-0":
		return 0, p.fail(start, fmt.Sprintf("index %s has a leading zero", lit))
	case p.pos-digits > 9:
		return 0, p.fail(start, fmt.Sprintf("index %s is too large", lit))
	}
	i, _ := strconv.Atoi(lit)
	return i, nil
}

// quoted parses a single- or double-quoted name with JSON-style escapes.
func (p *pathParser) quoted() (string, error) {
	q := p.src[p.pos]
	start := p.pos
	p.pos++
	var sb strings.Builder
	for {
		if p.pos >= len(p.src) {
			return "", p.fail(start, "unterminated string")
		}
		c := p.src[p.pos]
		switch {
		case c == q:
			p.pos++
			return sb.String(), nil
		case c < 0x20:
			return "", p.fail(p.pos, "control character in a string")
		case c == '\\':
			if p.pos+1 >= len(p.src) {
				return "", p.fail(p.pos, "unterminated escape")
			}
			e := p.src[p.pos+1]
			p.pos += 2
			switch e {
			case 'b':
				sb.WriteByte('\b')
			case 'f':
				sb.WriteByte('\f')
			case 'n':
				sb.WriteByte('\n')
			case 'r':
				sb.WriteByte('\r')
			case 't':
				sb.WriteByte('\t')
			case '/', '\\', '\'', '"':
				if (e == '\'' || e == '"') && e != q {
					return "", p.fail(p.pos-2, fmt.Sprintf("\\%c is not an escape inside %c-quotes", e, q))
				}
				sb.WriteByte(e)
			case 'u':
				r, err := p.unicodeEscape()
				if err != nil {
					return "", err
				}
				sb.WriteRune(r)
			default:
				return "", p.fail(p.pos-2, fmt.Sprintf("unknown escape \\%c", e))
			}
		default:
			sb.WriteByte(c)
			p.pos++
		}
	}
}

// unicodeEscape reads XXXX (after \u), and a low surrogate escape after a
// high one.
func (p *pathParser) unicodeEscape() (rune, error) {
	hex4 := func() (rune, error) {
		if p.pos+4 > len(p.src) {
			return 0, p.fail(p.pos, "\\u needs four hex digits")
		}
		v, err := strconv.ParseUint(p.src[p.pos:p.pos+4], 16, 32)
		if err != nil {
			return 0, p.fail(p.pos, "\\u needs four hex digits")
		}
		p.pos += 4
		return rune(v), nil
	}
	at := p.pos - 2
	r, err := hex4()
	if err != nil {
		return 0, err
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return 0, p.fail(at, "lone low surrogate")
	case r >= 0xD800 && r <= 0xDBFF:
		if !strings.HasPrefix(p.src[p.pos:], `\u`) {
			return 0, p.fail(at, "high surrogate without its low surrogate")
		}
		p.pos += 2
		lo, err := hex4()
		if err != nil {
			return 0, err
		}
		if lo < 0xDC00 || lo > 0xDFFF {
			return 0, p.fail(at, "high surrogate without its low surrogate")
		}
		return (r-0xD800)<<10 + (lo - 0xDC00) + 0x10000, nil
	}
	return r, nil
}
