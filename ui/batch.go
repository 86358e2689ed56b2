package ui

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/talentchain/talentchain/issuer"
)

// Batches is what the CSV batch routes need of the issuer service;
// *issuer.Service satisfies it.
type Batches interface {
	CreateJob(ctx context.Context, org, actor, template string, csv []byte, opts issuer.JobOptions) (*issuer.Job, error)
	Job(ctx context.Context, org, id string) (*issuer.Job, error)
	Jobs(ctx context.Context, org string) ([]*issuer.Job, error)
	JobResults(ctx context.Context, org, id string) ([]issuer.JobResult, error)
	StartJob(ctx context.Context, org, id string) (*issuer.Job, error)
	CancelJob(ctx context.Context, org, id string) (*issuer.Job, error)
}

// WithBatches serves CSV batch issuance for the organisations' API tokens:
//
//	POST   /batches?template=T[&dryRun=true][&format=F][&chunkSize=N]   upload a CSV (text/csv)
//	GET    /batches                  the organisation's jobs
//	GET    /batches/{id}             one job with its progress
//	POST   /batches/{id}/start       start (or resume) a ready or failed job
//	DELETE /batches/{id}             cancel a job
//	GET    /batches/{id}/results     line,key,credentialId,error as CSV (or JSON)
//
// The format F is vc2 (the default; ldp_vc is the same), vc1, or dc+sd-jwt
// (vc+sd-jwt is the same) for SD-JWT VCs, anchored and status-listed like
// the others; the job answers with the format it issues.
//
// A dry run answers 200 with the report, bad rows included; an upload with
// bad rows answers 422 listing every one (line, column, reason), and
// nothing is issued. A good upload starts at once and answers 201.
func WithBatches(b Batches) Option {
	return func(h *handler) error {
		if b == nil {
			return errors.New("ui: nil Batches")
		}
		h.batches = b
		return nil
	}
}

func (h *handler) batchRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /batches", h.createBatch)
	mux.HandleFunc("GET /batches", h.listBatches)
	mux.HandleFunc("GET /batches/{id}", h.getBatch)
	mux.HandleFunc("POST /batches/{id}/start", h.startBatch)
	mux.HandleFunc("DELETE /batches/{id}", h.cancelBatch)
	mux.HandleFunc("GET /batches/{id}/results", h.batchResults)
}

// errUnsupportedUpload: a batch upload that is not CSV.
var errUnsupportedUpload = fmt.Errorf("%w: send the class as text/csv (UTF-8)", errUnsupportedMediaType)

func (h *handler) createBatch(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeIssue)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "text/csv" {
		h.fail(w, r, errUnsupportedUpload)
		return
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		h.fail(w, r, errUnsupportedUpload)
		return
	}
	q := r.URL.Query()
	opts := issuer.JobOptions{Format: issuer.Format(q.Get("format")), Start: true}
	var fields []FieldError
	template := q.Get("template")
	if template == "" {
		fields = append(fields, FieldError{Field: "template", Reason: "is required: the template of every row, e.g. master-degree (GET /templates lists them)"})
	}
	if v := q.Get("dryRun"); v != "" {
		if opts.DryRun, err = strconv.ParseBool(v); err != nil {
			fields = append(fields, FieldError{Field: "dryRun", Reason: "must be true or false"})
		}
	}
	if v := q.Get("chunkSize"); v != "" {
		if opts.ChunkSize, err = strconv.Atoi(v); err != nil {
			fields = append(fields, FieldError{Field: "chunkSize", Reason: "must be a whole number"})
		}
	}
	if len(fields) > 0 {
		h.fail(w, r, &validationError{Fields: fields})
		return
	}
	if opts.DryRun {
		opts.Start = false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxUploadBytes))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			h.fail(w, r, fmt.Errorf("%w: the limit for uploads is %d bytes; split the class into several files", errTooLarge, h.cfg.MaxUploadBytes))
			return
		}
		h.fail(w, r, fmt.Errorf("%w: reading the body: %v", errMalformedRequest, err))
		return
	}
	job, err := h.batches.CreateJob(r.Context(), p.Org, p.Actor(), template, body, opts)
	if opts.DryRun && job != nil && (err == nil || errors.Is(err, issuer.ErrInvalid)) {
		// The report is the answer, bad rows included.
		h.writeJSON(w, r, job)
		return
	}
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	w.Header().Set("Location", "/batches/"+job.ID)
	h.writeJSONStatus(w, r, http.StatusCreated, job)
}

func (h *handler) listBatches(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeRead)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	jobs, err := h.batches.Jobs(r.Context(), p.Org)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	h.writeJSON(w, r, map[string]any{"jobs": jobs})
}

func (h *handler) getBatch(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeRead)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	job, err := h.batches.Job(r.Context(), p.Org, r.PathValue("id"))
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	h.writeJSON(w, r, job)
}

func (h *handler) startBatch(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeIssue)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	job, err := h.batches.StartJob(r.Context(), p.Org, r.PathValue("id"))
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	h.writeJSONStatus(w, r, http.StatusAccepted, job)
}

func (h *handler) cancelBatch(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeIssue)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	job, err := h.batches.CancelJob(r.Context(), p.Org, r.PathValue("id"))
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	h.writeJSON(w, r, job)
}

func (h *handler) batchResults(w http.ResponseWriter, r *http.Request) {
	p, err := h.principal(r, issuer.ScopeRead)
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	res, err := h.batches.JobResults(r.Context(), p.Org, r.PathValue("id"))
	if err != nil {
		h.issFail(w, r, err)
		return
	}
	if strings.Contains(r.Header.Get("Accept"), "application/json") {
		h.writeJSON(w, r, map[string]any{"results": res})
		return
	}
	writeJobResults(w, r.PathValue("id"), res)
}

// writeJobResults answers a batch's results as a CSV attachment (no byte
// order mark: the CLI and scripts read it), with the cells that came from
// the uploaded file defused (csvSafe). The API and the staff page both
// serve it.
func writeJobResults(w http.ResponseWriter, id string, res []issuer.JobResult) {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write([]string{"line", "key", "credentialId", "error"})
	for _, x := range res {
		cw.Write([]string{strconv.Itoa(x.Line), csvSafe(x.Key), x.CredentialID, csvSafe(x.Error)})
	}
	cw.Flush()
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="batch-`+id+`-results.csv"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(buf.Bytes())
}

// csvSafe defuses a cell a spreadsheet would run as a formula (CSV
// injection): a leading =, +, -, @, tab or CR gets a quote in front.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
