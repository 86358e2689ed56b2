package credential

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/piprate/json-gold/ld"
)

var isAbsoluteIRILibrary = ld.IsAbsoluteIri

// outcome is what a canonicalization gives: N-Quads or an error message.
type outcome struct{ nq, err string }

func canonOutcome(c *Canonicalizer, doc map[string]any) outcome {
	nq, err := c.Canonicalize(doc)
	if err != nil {
		return outcome{err: err.Error()}
	}
	return outcome{nq: nq}
}

// plainDoc round-trips a Go-built document through JSON, as the signer does.
func plainDoc(t testing.TB, doc map[string]any) map[string]any {
	t.Helper()
	out, err := normalizeJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// variedDocuments is a table of credentials of different shapes: blank
// nodes (subjects and nested objects without ids, sets of them), lists,
// language maps, value objects, numbers, booleans, typed dates, several
// types, VCDM 1.1 and 2.0, a presentation embedding a credential (a graph),
// and a document with an inline context (never templated).
func variedDocuments(t testing.TB) map[string]map[string]any {
	deg := degreeCredential(issuerKey.Controller)
	noSubjectID := degreeCredential(issuerKey.Controller)
	delete(noSubjectID["credentialSubject"].(map[string]any), "id")
	training := degreeCredentialV1(issuerKey.Controller)
	achievements := degreeCredential(issuerKey.Controller)
	achievements["credentialSubject"].(map[string]any)["achievements"] = []any{
		map[string]any{"type": "Achievement", "name": "Dean's list"},
		map[string]any{"type": "Achievement", "name": "Best thesis", "description": "第一名"},
	}
	list := degreeCredential(issuerKey.Controller)
	list["credentialSubject"].(map[string]any)["skills"] = map[string]any{"@list": []any{"Go", "CometBFT", "JSON-LD"}}
	valueObject := degreeCredential(issuerKey.Controller)
	valueObject["name"] = map[string]any{"@value": "硕士学位证书", "@language": "zh"}
	valueObject["description"] = []any{"A degree", map[string]any{"@value": "学位", "@language": "zh-CN"}}
	blankIDs := degreeCredential(issuerKey.Controller)
	blankIDs["credentialSubject"].(map[string]any)["id"] = "_:subject"
	blankIDs["credentialSubject"].(map[string]any)["degree"].(map[string]any)["id"] = "_:degree"
	inline := degreeCredential(issuerKey.Controller)
	inline["@context"] = []any{ContextV2, ContextTalentChainV1, map[string]any{"note": "https://example.edu/vocab#note"}}
	inline["note"] = "inline context"
	undefined := degreeCredential(issuerKey.Controller)
	undefined["credentialSubject"].(map[string]any)["nickname"] = "undefined term"
	relative := degreeCredential(issuerKey.Controller)
	relative["id"] = "not-an-iri"
	status := degreeCredential(issuerKey.Controller)
	status["credentialStatus"] = map[string]any{
		"id": "https://registry.example.cn/status/1#94567", "type": "BitstringStatusListEntry",
		"statusPurpose": "revocation", "statusListIndex": "94567",
		"statusListCredential": "https://registry.example.cn/status/1",
	}
	status["validUntil"] = "2036-07-01T00:00:00Z"
	docs := map[string]map[string]any{
		"degree":              deg,
		"subject-blank-node":  noSubjectID,
		"training-vcdm11":     training,
		"achievement-set":     achievements,
		"list":                list,
		"value-objects":       valueObject,
		"blank-node-ids":      blankIDs,
		"inline-context":      inline,
		"undefined-term":      undefined,
		"relative-id":         relative,
		"status-entry":        status,
		"presentation":        presentation(degreeCredential(issuerKey.Controller)),
		"proof-configuration": {"@context": []any{ContextV2, ContextTalentChainV1}, "type": ProofDataIntegrity, "cryptosuite": SuiteEdDSARDFC2022, "created": "2026-07-01T08:00:00Z", "verificationMethod": issuerKey.ID, "proofPurpose": RelAssertionMethod},
	}
	for k, d := range docs {
		docs[k] = plainDoc(t, d)
	}
	return docs
}

// trickyLeaves replace one leaf at a time: IRIs JSON-LD keeps, IRIs it
// changes (terms, blank node ids, relative or keyword-like values, compact
// IRIs), a sentinel look-alike, numbers, and strings JSON-LD must refuse.
var trickyLeaves = []any{
	"did:example:ebfeb1f712ebc6f1c276e12ec21", "https://example.edu/credentials/3732", "urn:uuid:00000000-0000-4000-8000-000000000000",
	"assertionMethod", "_:b0", "relative/path", "@id", "", "urn:x-talentchain-slot:0", "sec:proof", "did:", "https://exa mple.com/",
	"mailto:registrar%40example.edu", "张三", "line\nbreak", "2026-13-45", "urn:a#b%zz", 42.0, 0.5, -1.0,
	"https://w3id.org/security#assertionMethod", "https://www.w3.org/ns/credentials/examples#VerifiableCredential", "did:example:a b",
}

// leaves lists the paths of the string and number leaves of v.
func leaves(v any, path []any, into *[][]any) {
	switch t := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(t)) {
			if k != "@context" {
				leaves(t[k], append(slices.Clip(path), k), into)
			}
		}
	case []any:
		for i, e := range t {
			leaves(e, append(slices.Clip(path), i), into)
		}
	case string, float64:
		*into = append(*into, path)
	}
}

// replaced returns a deep copy of doc with the leaf at path set to v.
func replaced(doc map[string]any, path []any, v any) map[string]any {
	b, _ := json.Marshal(doc)
	var c map[string]any
	_ = json.Unmarshal(b, &c)
	var cur any = c
	for i, p := range path {
		last := i == len(path)-1
		switch k := p.(type) {
		case string:
			if last {
				cur.(map[string]any)[k] = v
			} else {
				cur = cur.(map[string]any)[k]
			}
		case int:
			if last {
				cur.([]any)[k] = v
			} else {
				cur = cur.([]any)[k]
			}
		}
	}
	return c
}

// TestTemplateMatchesReference is the differential test of the fast path:
// for every varied document, and for every variant with one leaf replaced by
// a tricky value (after the document's shape has a template), the cached
// canonicalizer and the plain json-gold path give the same N-Quads byte for
// byte, or the same error.
func TestTemplateMatchesReference(t *testing.T) {
	l := MustLoader()
	fast, ref := NewCanonicalizer(l), newReferenceCanonicalizer(l)
	docs := variedDocuments(t)
	compared, templated := 0, 0
	for _, name := range slices.Sorted(maps.Keys(docs)) {
		doc := docs[name]
		want := canonOutcome(ref, doc)
		for round := range 2 { // cold (builds the template), then warm
			if got := canonOutcome(fast, doc); got != want {
				t.Fatalf("%s round %d:\nfast: %+v\nref:  %+v", name, round, got, want)
			}
		}
		if _, ok := l.templates.expand(doc, canonOptions(fast)); ok {
			templated++
		}
		var paths [][]any
		leaves(doc, nil, &paths)
		values := trickyLeaves
		if name != "degree" && name != "proof-configuration" {
			values = values[:8] // the IRI cases; every value on the two documents signing sees most
			if testing.Short() || raceEnabled {
				values = values[:4]
			}
		}
		for _, p := range paths {
			for _, v := range values {
				d := replaced(doc, p, v)
				if got, want := canonOutcome(fast, d), canonOutcome(ref, d); got != want {
					t.Fatalf("%s with %v = %#v:\nfast: %+v\nref:  %+v", name, p, v, got, want)
				}
				compared++
			}
		}
	}
	// Two leaves with one value: in JSON-LD two nodes with the same IRI are
	// one node, and equal values of a property are one value; the dataset
	// template must give the same statements.
	for _, name := range []string{"degree", "presentation", "achievement-set", "value-objects"} {
		doc := docs[name]
		var paths [][]any
		leaves(doc, nil, &paths)
		for i, p1 := range paths {
			for _, p2 := range paths[i+1:] {
				for _, v := range []any{"did:example:same", "https://w3id.org/security#assertionMethod"} {
					d := replaced(replaced(doc, p1, v), p2, v)
					if got, want := canonOutcome(fast, d), canonOutcome(ref, d); got != want {
						t.Fatalf("%s with %v and %v = %v:\nfast: %+v\nref:  %+v", name, p1, p2, v, got, want)
					}
					compared++
				}
			}
		}
	}
	withQuads := 0
	for _, tp := range l.templates.m {
		if tp.quads != nil {
			withQuads++
		}
	}
	t.Logf("%d variants compared, %d of %d documents templated, %d templates with a dataset template", compared, templated, len(docs), withQuads)
	if withQuads == 0 {
		t.Error("no shape got a dataset template")
	}
	if templated < len(docs)-2 {
		t.Errorf("only %d of %d documents take the template path", templated, len(docs))
	}
}

// TestTemplateSamples compares both paths on every sample document of
// testdata, cold, warm and from several goroutines at once.
func TestTemplateSamples(t *testing.T) {
	var files []string
	for _, g := range []string{"testdata/forged/*.json", "testdata/interop/*.json", "testdata/w3c/*.json", "testdata/suites/*.json"} {
		m, _ := filepath.Glob(g)
		files = append(files, m...)
	}
	l := MustLoader()
	fast, ref := NewCanonicalizer(l), newReferenceCanonicalizer(l)
	var parts []map[string]any
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := ParseDocument(b)
		if err != nil {
			continue
		}
		parts = append(parts, doc, withoutProof(doc))
		for _, p := range proofsOfOrNil(doc) {
			c := maps.Clone(p)
			delete(c, "proofValue")
			delete(c, "jws")
			c["@context"] = doc["@context"]
			parts = append(parts, c)
		}
		for _, c := range asSlice(doc["verifiableCredential"]) {
			if m, ok := c.(map[string]any); ok {
				parts = append(parts, withoutProof(m))
			}
		}
	}
	if len(parts) < 100 {
		t.Fatalf("only %d sample documents", len(parts))
	}
	want := make([]outcome, len(parts))
	for i, p := range parts {
		want[i] = canonOutcome(ref, p)
	}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for round := range 2 {
				for i, p := range parts {
					if got := canonOutcome(fast, p); got != want[i] {
						t.Errorf("worker %d round %d part %d: fast %+v, ref %+v", w, round, i, got, want[i])
						return
					}
				}
			}
		})
	}
	wg.Wait()
}

func proofsOfOrNil(doc map[string]any) []map[string]any {
	p, _ := proofsOf(doc)
	return p
}

// TestSignaturesMatchReference signs every varied credential with the fast
// canonicalizer and with the plain one: the proofs are byte-identical.
func TestSignaturesMatchReference(t *testing.T) {
	l := MustLoader()
	fast, ref := NewEdDSA(NewCanonicalizer(l)), NewEdDSA(newReferenceCanonicalizer(l))
	opts := ProofOptions{VerificationMethod: issuerKey.ID, Created: sampleCreated}
	signed := 0
	for name, doc := range variedDocuments(t) {
		if name == "proof-configuration" {
			continue
		}
		for i := range 3 {
			d := replaced(doc, []any{"validFrom"}, fmt.Sprintf("2026-07-0%dT00:00:00Z", i+1))
			a, errA := fast.Sign(d, issuerKey.Private, opts)
			b, errB := ref.Sign(d, issuerKey.Private, opts)
			if fmt.Sprint(errA) != fmt.Sprint(errB) {
				t.Fatalf("%s: fast error %v, reference error %v", name, errA, errB)
			}
			if errA != nil {
				continue
			}
			ja, _ := json.Marshal(a)
			jb, _ := json.Marshal(b)
			if string(ja) != string(jb) {
				t.Fatalf("%s: signed documents differ:\n%s\n%s", name, ja, jb)
			}
			signed++
		}
	}
	if signed < 20 {
		t.Fatalf("only %d documents signed", signed)
	}
}

// TestAbsoluteIRIMatchesLibrary checks the shortcut against ld.IsAbsoluteIri.
func TestAbsoluteIRIMatchesLibrary(t *testing.T) {
	for _, s := range []string{
		"", ":", "a:", "urn:uuid:1", "did:key:z6Mk#z6Mk", "did:example:%zz", "did:example:%41", "http://x", "https://exa mple.com/",
		"1a:b", "a1+.-:b", "a_b:c", "urn:a b", "urn:a\x01", "urn:a\x7f", "_:b0", "_:", "mailto:a@b", "a:/b", "a://b/c?d#e",
		"urn:a#b#c", "urn:a?b", "x:" + strings.Repeat("y", 300), "tel:+86-10-1234", "urn:é", "ÿ:x", "A:B", "a:b%", "a:b#%4",
	} {
		if got, want := absoluteIRI(s), isAbsoluteIRILibrary(s); got != want {
			t.Errorf("absoluteIRI(%q) = %v, json-gold says %v", s, got, want)
		}
	}
}
