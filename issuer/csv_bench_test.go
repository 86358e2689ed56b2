package issuer

import (
	"bytes"
	"testing"
)

// BenchmarkParseCSV10000 parses and validates a class of 10,000 master's
// degrees with holders (CreateJob's synchronous part, without the store):
// the per-row cost of the upload.
func BenchmarkParseCSV10000(b *testing.B) {
	tm, err := loadTemplates()
	if err != nil {
		b.Fatal(err)
	}
	s := &Service{tmpl: tm}
	csv := degreeCSV("p", 10_000)
	b.ReportAllocs()
	for b.Loop() {
		batch, err := s.ParseCSV(TemplateMaster, bytes.NewReader(csv))
		if err != nil || len(batch.Rows) != 10_000 {
			b.Fatalf("%v", err)
		}
	}
}
