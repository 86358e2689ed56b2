package ui

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// Batch verification from the console: the file goes through the same
// readers as POST /verify/batch (VerifyBatchFile); the table is kept for
// an hour under the account, shown as a page and downloadable as the same
// CSV the API answers.

// hrBatch is a batch's result as kept.
type hrBatch struct {
	Checked time.Time    `json:"checked"`
	Result  *BatchResult `json:"result"`
}

func (hp *hrPages) batchPage(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.batch.title")
	hp.h.render(w, r, pages.HRBatchPage(p, pages.HRBatchView{Nav: pages.HRNav{Current: "batch"}}))
}

// errHRBatchFile: no file, or an empty one.
var errHRBatchFile = &validationError{Fields: []FieldError{{Field: "file", Reason: "choose a JSON, ZIP or CSV file to upload"}}}

// hrBatchKind tells what an uploaded file holds, by its name and its
// first bytes.
func hrBatchKind(name string, data []byte) string {
	t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\ufeff")))
	switch ext := strings.ToLower(path.Ext(name)); {
	case bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06")) || ext == ".zip":
		return BatchZIP
	case ext == ".csv":
		return BatchCSV
	case ext == ".json" || bytes.HasPrefix(t, []byte("[")) || bytes.HasPrefix(t, []byte("{")):
		return BatchJSON
	}
	return BatchCSV // a list of links saved as .txt
}

func (hp *hrPages) batchSubmit(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.batch.title")
	fail := func(err error) {
		a, status := hp.h.alertFor(r, p.Lang, err)
		if errors.Is(err, errHRBatchFile) {
			a.Message, a.Next = p.T("hr.batch.err.file"), p.T("hr.batch.err.file.next")
		} else if kind := strings.TrimPrefix(problemFor(err).Type, ProblemTypeBase); kind == "validation" || kind == "unsupported-media-type" {
			a.Next = p.T("hr.batch.err.next")
		}
		p.Alert = &a
		hp.h.render(w, r, pages.HRBatchPage(p, pages.HRBatchView{Nav: pages.HRNav{Current: "batch"}}), status)
	}
	f, hdr, err := r.FormFile("file")
	if err != nil {
		fail(errHRBatchFile)
		return
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		fail(webFormError(err))
		return
	}
	if len(bytes.TrimSpace(data)) == 0 {
		fail(errHRBatchFile)
		return
	}
	res, err := hp.vr.VerifyBatchFile(r.Context(), hrBatchKind(hdr.Filename, data), data)
	if err != nil {
		fail(err)
		return
	}
	hp.keepAndShow(w, r, s, "batch", hrBatch{Checked: time.Now().UTC(), Result: res}, hrBatchTTL, "/hr/batch/")
}

func (hp *hrPages) batch(r *http.Request, s *consoleSession) (*hrBatch, error) {
	var b hrBatch
	if err := hp.get(r.Context(), s, "batch/"+r.PathValue("id"), &b); err != nil {
		return nil, err
	}
	if b.Result == nil {
		return nil, errHRGone
	}
	return &b, nil
}

func (hp *hrPages) batchResult(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	p := hp.h.page(w, r, "hr.batch.title")
	b, err := hp.batch(r, s)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	res := b.Result
	v := pages.HRBatchView{Nav: pages.HRNav{Current: "batch"}, Result: true, Total: res.Total, Valid: res.Valid, Warning: res.Warning,
		Invalid: res.Invalid, Errors: res.Errors, Checked: b.Checked,
		CSVHref: "/hr/batch/" + url.PathEscape(r.PathValue("id")) + "/results.csv"}
	for _, row := range res.Rows {
		v.Rows = append(v.Rows, hrBatchRow(p.Lang, row))
	}
	hp.h.render(w, r, pages.HRBatchPage(p, v))
}

// hrBatchRow turns a row of the table into what a person reads.
func hrBatchRow(lang i18n.Lang, row BatchRow) pages.HRBatchRow {
	out := pages.HRBatchRow{Index: row.Index, Name: row.Name, Kind: row.Kind, Reason: lang.Pick(row.ReasonZH, row.ReasonEN)}
	if out.Name == "" {
		out.Name = row.ID
	}
	if out.Name == "" {
		out.Name = lang.F("hr.batch.item", row.Index+1)
	}
	switch row.State {
	case "valid":
		out.State = "pass"
	case "warning":
		out.State = "warn"
	case "invalid":
		out.State = "fail"
	default:
		out.State = "skip"
	}
	out.Issuer = row.Issuer
	if row.IssuerName != nil {
		if n := lang.Pick(row.IssuerName.Zh, row.IssuerName.En); n != "" {
			out.Issuer = n
		}
	}
	labels := make([]string, 0, len(row.Failed))
	for _, f := range row.Failed {
		labels = append(labels, hrCheckName(lang, f))
	}
	out.Failed = strings.Join(labels, lang.Pick("、", ", "))
	return out
}

// hrCheckName labels a check of ResultOf: "proof", "credential[1].status".
func hrCheckName(lang i18n.Lang, name string) string {
	if prefix, step, ok := strings.Cut(name, "]."); ok {
		if n, err := strconv.Atoi(strings.TrimPrefix(prefix, "credential[")); err == nil {
			return lang.F("verify.credentialN", n+1) + " · " + stepLabel(lang, step)
		}
	}
	return stepLabel(lang, name)
}

func (hp *hrPages) batchCSV(w http.ResponseWriter, r *http.Request, s *consoleSession) {
	b, err := hp.batch(r, s)
	if err != nil {
		hp.h.webFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	hp.h.writeCSV(w, r, "verification-"+b.Checked.Format("20060102-150405")+".csv", batchCSV(b.Result))
}
