package pex

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/talentchain/talentchain/credential"
)

func FuzzParsePath(f *testing.F) {
	for _, s := range []string{"$", "$.a.b", "$['a']", `$["a\u0041"]`, "$.a[0]", "$.a[-1]", "$.a[*]", "$..a", "$..*", "$.a['b','c']",
		"$.a[0,1]", "$..[0]", "$.@context", "$.学位", "$.a[?(@.b)]", "$.a[0:1]", "$[", "$.", `$['\ud83d\ude00']`} {
		f.Add(s)
	}
	doc := decode(f, pathDoc)
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePath(s)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) || !errors.Is(err, ErrInvalidPath) || pe.Offset < 0 || pe.Offset > len(s) {
				t.Fatalf("ParsePath(%q) error %v", s, err)
			}
			return
		}
		if p.String() != s {
			t.Fatalf("String() = %q, want %q", p.String(), s)
		}
		nodes, err := p.Find(doc)
		if err != nil {
			if !errors.Is(err, ErrPathLimit) {
				t.Fatalf("Find: %v", err)
			}
			return
		}
		for _, n := range nodes {
			// every selected node is named by a normalized path that selects it alone
			np, err := ParsePath(NormalizedPath(n.Location))
			if err != nil {
				t.Fatalf("normalized path %q of %q: %v", NormalizedPath(n.Location), s, err)
			}
			again, err := np.Find(doc)
			if err != nil || len(again) != 1 || !reflect.DeepEqual(again[0].Value, n.Value) {
				t.Fatalf("normalized path %q of %q selects %v", NormalizedPath(n.Location), s, again)
			}
		}
	})
}

func seedFiles(f *testing.F, globs ...string) {
	for _, g := range globs {
		files, _ := filepath.Glob(g)
		for _, file := range files {
			if raw, err := os.ReadFile(file); err == nil {
				f.Add(raw)
			}
		}
	}
}

func FuzzParse(f *testing.F) {
	seedFiles(f, "testdata/spec/*.json", "testdata/talent/*.json")
	f.Add([]byte(def(desc("a", okField))))
	f.Add([]byte(`{"id":"x","input_descriptors":[{"id":"a","group":["A"],"constraints":{}}],"submission_requirements":[{"rule":"pick","min":0,"max":1,"from_nested":[{"rule":"all","from":"A"}]}]}`))
	cands := candidatesOf(loadCredentials(f, "testdata/talent/credentials.json"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := Parse(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidDefinition) {
				t.Fatalf("error does not wrap ErrInvalidDefinition: %v", err)
			}
			return
		}
		// what was accepted writes itself back, and is accepted again
		out, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Parse(out); err != nil {
			t.Fatalf("re-parse of %s: %v", out, err)
		}
		if _, err := Match(context.Background(), d, cands); err != nil {
			t.Fatalf("Match: %v", err)
		}
	})
}

func FuzzParseSubmission(f *testing.F) {
	f.Add([]byte(`{"id":"s","definition_id":"beijing-settlement-2026","descriptor_map":[{"id":"master","format":"ldp_vc","path":"$.verifiableCredential[0]"}]}`))
	f.Add([]byte(`{"presentation_submission":{"id":"s","definition_id":"d","descriptor_map":[{"id":"a","format":"jwt_vp_json","path":"$","path_nested":{"id":"a","format":"jwt_vc_json","path":"$.vp.verifiableCredential[0]"}}]}}`))
	def := loadDef(f, "testdata/talent/settlement.json")
	pres := vp(talentCandidates(f, "master-zhang", "training-li-48h"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := ParseSubmission(raw)
		if err != nil {
			if !errors.Is(err, ErrInvalidSubmission) {
				t.Fatalf("error does not wrap ErrInvalidSubmission: %v", err)
			}
			return
		}
		_, err = Evaluate(context.Background(), def, s, pres)
		if err != nil && !errors.Is(err, ErrNotSatisfied) {
			t.Fatalf("Evaluate of an accepted submission: %v", err)
		}
	})
}

// FuzzEvaluate feeds arbitrary presentations (strictly parsed) to Evaluate.
func FuzzEvaluate(f *testing.F) {
	good, _ := json.Marshal(vp(talentCandidates(f, "master-zhang", "training-li-48h")))
	f.Add(good)
	f.Add([]byte(`{"verifiableCredential":[{"type":["DegreeCredential"],"credentialSubject":{"degree":{"level":"master"}}},"x.y.z"]}`))
	def := loadDef(f, "testdata/talent/settlement.json")
	sub := &Submission{ID: "s", DefinitionID: def.ID, DescriptorMap: []Mapping{
		{ID: "master", Format: FormatLDPVC, Path: "$.verifiableCredential[0]"},
		{ID: "training", Format: FormatJWTVC, Path: "$.verifiableCredential[1]"},
	}}
	f.Fuzz(func(t *testing.T, raw []byte) {
		doc, err := credential.ParseDocument(raw)
		if err != nil {
			return
		}
		ev, err := Evaluate(context.Background(), def, sub, doc)
		if err != nil && (!errors.Is(err, ErrNotSatisfied) || ev == nil) {
			t.Fatalf("Evaluate: %v", err)
		}
	})
}
