package pdfdoc_test

import (
	"bytes"
	"testing"

	"github.com/talentchain/talentchain/internal/pdfdoc"
)

func TestLook(t *testing.T) {
	for _, lang := range []pdfdoc.Lang{pdfdoc.LangZH, pdfdoc.LangEN} {
		var b bytes.Buffer
		if err := pdfdoc.Certificate(&b, sampleCertificate(lang)); err != nil {
			t.Fatal(err)
		}
		p := save(t, "cert-"+string(lang), b.Bytes())
		pageImage(t, p, 1, 80)
		b.Reset()
		if err := pdfdoc.Report(&b, sampleReport(lang)); err != nil {
			t.Fatal(err)
		}
		p = save(t, "report-"+string(lang), b.Bytes())
		pageImage(t, p, 1, 80)
	}
}
