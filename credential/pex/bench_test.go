package pex

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// wallet1000 makes 1,000 credentials from the talent testdata, with
// distinct ids and, for the degrees, levels cycling through the three.
func wallet1000(b *testing.B) []Candidate {
	base := talentCandidates(b)
	levels := []string{"bachelor", "master", "doctor"}
	out := make([]Candidate, 0, 1000)
	for i := range 1000 {
		c := base[i%len(base)]
		doc := clone(b, c.Document).(map[string]any)
		if s, ok := doc["credentialSubject"].(map[string]any); ok {
			if d, ok := s["degree"].(map[string]any); ok {
				d["level"] = levels[i%3]
			}
		}
		out = append(out, Candidate{ID: fmt.Sprintf("c%04d", i), Format: c.Format, Document: doc, Alg: c.Alg})
	}
	return out
}

func BenchmarkMatch1000(b *testing.B) {
	for _, file := range []string{"master-or-doctor", "settlement", "graduate-programme"} {
		b.Run(file, func(b *testing.B) {
			def := loadDef(b, "testdata/talent/"+file+".json")
			cands := wallet1000(b)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				res, err := Match(ctx, def, cands)
				if err != nil || len(res.Descriptors[0].Matches) == 0 {
					b.Fatal(err, res)
				}
			}
		})
	}
}

func BenchmarkParse(b *testing.B) {
	raw, err := os.ReadFile("testdata/spec/multi-group.json")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEvaluate(b *testing.B) {
	def := loadDef(b, "testdata/talent/settlement.json")
	c := talentCandidates(b, "master-zhang", "training-li-48h")
	sub, creds, err := Build(def, []Choice{{"master", c[0]}, {"training", c[1]}})
	if err != nil {
		b.Fatal(err)
	}
	pres := vp(creds)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Evaluate(ctx, def, sub, pres); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	doc := decode(b, pathDoc)
	for _, s := range []string{"$.credentialSubject.degree.level", "$.credentialSubject.account[*].route", "$..route"} {
		b.Run(s, func(b *testing.B) {
			p, err := ParsePath(s)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Find(doc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
