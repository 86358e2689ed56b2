package pex

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

const pathDoc = `{
  "@context": ["https://www.w3.org/ns/credentials/v2"],
  "type": ["VerifiableCredential", "DegreeCredential"],
  "issuer": {"id": "did:talent:pku", "name": "PKU"},
  "credentialSubject": {
    "id": "did:key:z6Mk",
    "degree": {"type": "Degree", "level": "master", "name": {"zh": "工学硕士", "en": "ME"}},
    "account": [{"id": "a1", "route": "r1"}, {"id": "a2"}, {"route": "r3"}],
    "it's": 1,
    "学位": "硕士",
    "a b": true,
    "x-y": null
  },
  "proof": {"type": "DataIntegrityProof", "cryptosuite": "eddsa-rdfc-2022"}
}`

func decode(t testing.TB, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestPathFind(t *testing.T) {
	doc := decode(t, pathDoc)
	tests := []struct {
		name   string
		path   string
		values []string // JSON of each value, in order
		locs   []string // normalized paths
	}{
		{"root", "$", nil, []string{"$"}},
		{"member", "$.credentialSubject.degree.level", []string{`"master"`}, []string{"$['credentialSubject']['degree']['level']"}},
		{"bracket single", "$['credentialSubject']['degree']['level']", []string{`"master"`}, nil},
		{"bracket double", `$["credentialSubject"]["degree"]["level"]`, []string{`"master"`}, nil},
		{"at sign shorthand", "$.@context[0]", []string{`"https://www.w3.org/ns/credentials/v2"`}, []string{"$['@context'][0]"}},
		{"index", "$.type[1]", []string{`"DegreeCredential"`}, []string{"$['type'][1]"}},
		{"negative index", "$.type[-1]", []string{`"DegreeCredential"`}, []string{"$['type'][1]"}},
		{"index out of range", "$.type[2]", []string{}, nil},
		{"index on object", "$.issuer[0]", []string{}, nil},
		{"name on array", "$.type.length", []string{}, nil},
		{"wildcard array", "$.type[*]", []string{`"VerifiableCredential"`, `"DegreeCredential"`}, nil},
		{"wildcard object sorted", "$.issuer.*", []string{`"did:talent:pku"`, `"PKU"`}, []string{"$['issuer']['id']", "$['issuer']['name']"}},
		{"wildcard then member skips missing", "$.credentialSubject.account[*].route", []string{`"r1"`, `"r3"`}, []string{"$['credentialSubject']['account'][0]['route']", "$['credentialSubject']['account'][2]['route']"}},
		{"union names", "$.issuer['name','id']", []string{`"PKU"`, `"did:talent:pku"`}, nil},
		{"union indexes", "$.type[1, 0]", []string{`"DegreeCredential"`, `"VerifiableCredential"`}, nil},
		{"descendant", "$..level", []string{`"master"`}, []string{"$['credentialSubject']['degree']['level']"}},
		{"descendant: the node first, then members in name order", "$..type", []string{`["VerifiableCredential","DegreeCredential"]`, `"Degree"`, `"DataIntegrityProof"`}, nil},
		{"descendant bracket", "$..['route']", []string{`"r1"`, `"r3"`}, nil},
		{"descendant index", "$.credentialSubject..[1]", []string{`{"id":"a2"}`}, nil},
		{"quote escape", `$.credentialSubject['it\'s']`, []string{`1`}, []string{`$['credentialSubject']['it\'s']`}},
		{"unicode escape", `$.credentialSubject['\u5b66\u4f4d']`, []string{`"硕士"`}, nil},
		{"non-ASCII shorthand", "$.credentialSubject.学位", []string{`"硕士"`}, nil},
		{"space in bracket name", "$.credentialSubject['a b']", []string{`true`}, nil},
		{"hyphen shorthand, null value", "$.credentialSubject.x-y", []string{`null`}, nil},
		{"whitespace in brackets", "$[ 'issuer' ][ 'id' ]", []string{`"did:talent:pku"`}, nil},
		{"missing", "$.credentialSubject.dob", []string{}, nil},
		{"through scalar", "$.issuer.id.x", []string{}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := ParsePath(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			nodes, err := p.Find(doc)
			if err != nil {
				t.Fatal(err)
			}
			if tc.values != nil {
				got := make([]string, len(nodes))
				for i, n := range nodes {
					b, _ := json.Marshal(n.Value)
					got[i] = string(b)
				}
				if !reflect.DeepEqual(got, tc.values) {
					t.Errorf("values = %v, want %v", got, tc.values)
				}
			}
			if tc.locs != nil {
				got := make([]string, len(nodes))
				for i, n := range nodes {
					got[i] = NormalizedPath(n.Location)
				}
				if !reflect.DeepEqual(got, tc.locs) {
					t.Errorf("locations = %v, want %v", got, tc.locs)
				}
			}
			// a normalized path selects exactly the node it names
			for _, n := range nodes {
				np, err := ParsePath(NormalizedPath(n.Location))
				if err != nil {
					t.Fatalf("normalized path %s: %v", NormalizedPath(n.Location), err)
				}
				again, err := np.Find(doc)
				if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0].Value, n.Value) {
					t.Errorf("normalized path %s selects %v, want the one node", NormalizedPath(n.Location), again)
				}
			}
		})
	}
}

func TestParsePathErrors(t *testing.T) {
	tests := []struct {
		path   string
		offset int
		reason string
	}{
		{"", 0, "must start with $"},
		{"credentialSubject.id", 0, "must start with $"},
		{"$.", 2, "member name is missing"},
		{"$..", 3, "member name is missing"},
		{"$.0abc", 2, "cannot start a member name"},
		{"$.a.['b']", 4, "cannot start a member name"},
		{"$a", 1, "expected . or ["},
		{"$.a[", 3, "unclosed ["},
		{"$.a['b'", 3, "unclosed ["},
		{"$.a['b]", 4, "unterminated string"},
		{"$.a[?(@.x == 1)]", 4, "filter expressions"},
		{"$.a[0:2]", 5, "slices"},
		{"$.a[:2]", 4, "slices"},
		{"$.a[01]", 4, "leading zero"},
		{"$.a[-0]", 4, "leading zero"},
		{"$.a[-]", 4, "needs digits"},
		{"$.a[12345678901]", 4, "too large"},
		{"$.a[*, 0]", 3, "cannot be combined"},
		{"$.a[b]", 4, "unexpected \"b\""},
		{`$.a['\x']`, 5, "unknown escape"},
		{`$.a['\"']`, 5, "not an escape"},
		{`$.a['\ud800']`, 5, "high surrogate"},
		{`$.a['\udc00']`, 5, "lone low surrogate"},
		{`$.a['\u12']`, 7, "four hex digits"},
		{"$.a['\n']", 5, "control character"},
		{"$.a['b' 'c']", 8, "expected , or ]"},
		{"$.a\xff", 0, "UTF-8"},
		{"$" + strings.Repeat(".a", 65), 129, "segments"},
		{"$." + strings.Repeat("a", MaxPathLength), MaxPathLength, "longer than"},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			_, err := ParsePath(tc.path)
			if !errors.Is(err, ErrInvalidPath) {
				t.Fatalf("err = %v, want ErrInvalidPath", err)
			}
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %T, want *PathError", err)
			}
			if pe.Offset != tc.offset || !strings.Contains(pe.Reason, tc.reason) {
				t.Errorf("offset %d reason %q, want %d and %q", pe.Offset, pe.Reason, tc.offset, tc.reason)
			}
		})
	}
}

func TestPathLimit(t *testing.T) {
	// 400 nested arrays of 2: $..*..* visits far more than MaxPathNodes.
	var arr any = []any{}
	for range 300 {
		arr = []any{arr, 1.0}
	}
	p, err := ParsePath("$..*..*..*")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Find(arr); !errors.Is(err, ErrPathLimit) {
		t.Fatalf("err = %v, want ErrPathLimit", err)
	}
	small, _ := ParsePath("$..*")
	nodes, err := small.Find(arr)
	if err != nil || len(nodes) != 600 {
		t.Fatalf("$..* on 300 levels: %d nodes, %v; want 600", len(nodes), err)
	}
}

func TestNormalizedPathEscapes(t *testing.T) {
	loc := []any{"a'b", `c\d`, "e\nf\x01", 3}
	got := NormalizedPath(loc)
	want := `$['a\'b']['c\\d']['e\nf\u0001'][3]`
	if got != want {
		t.Fatalf("NormalizedPath = %s, want %s", got, want)
	}
	if ptr := JSONPointer(loc); ptr != "/a'b/c\\d/e\nf\x01/3" {
		t.Errorf("JSONPointer = %q", ptr)
	}
	if ptr := JSONPointer([]any{"a/b", "c~d", 0}); ptr != "/a~1b/c~0d/0" {
		t.Errorf("JSONPointer = %q", ptr)
	}
	p, err := ParsePath(got)
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"a'b": map[string]any{`c\d`: map[string]any{"e\nf\x01": []any{0.0, 1.0, 2.0, "x"}}}}
	nodes, err := p.Find(doc)
	if err != nil || len(nodes) != 1 || nodes[0].Value != "x" || !reflect.DeepEqual(nodes[0].Location, loc) {
		t.Fatalf("Find = %v, %v", nodes, err)
	}
}
