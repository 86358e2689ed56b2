package ui

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
)

// Batch kinds of VerifyBatchFile: what an uploaded file holds.
const (
	BatchJSON = "application/json" // a JSON array of credentials or presentations
	BatchZIP  = "application/zip"  // a ZIP of .json / .jwt / .txt files
	BatchCSV  = "text/csv"         // a CSV of this node's share links
)

// VerifyBatchFile verifies an uploaded batch file exactly as POST
// /verify/batch does with the same body and Content-Type (kind is one of
// BatchJSON, BatchZIP, BatchCSV): the same readers, limits, refusals per
// row and workers. The web pages call it, so that the batch's parsing lives
// in one place (verifying.go). Errors are those POST /verify/batch answers
// with (a validationError for an empty or unreadable file, errTooLarge…).
func (vr *verifyingRoutes) VerifyBatchFile(ctx context.Context, kind string, body []byte) (*BatchResult, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "/verify/batch", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", kind)
	req.ContentLength = int64(len(body))
	sink := &bufferedResponse{header: http.Header{}} // the readers' MaxBytesReader needs a writer
	var inputs []batchInput
	switch kind {
	case BatchZIP:
		inputs, err = vr.zipInputs(sink, req)
	case BatchCSV:
		inputs, err = vr.linkInputs(sink, req)
	case BatchJSON:
		inputs, err = vr.arrayInputs(sink, req)
	default:
		return nil, fmt.Errorf("%w: batch kind %q", errUnsupportedMediaType, kind)
	}
	if err != nil {
		return nil, err
	}
	switch {
	case len(inputs) == 0:
		return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: "the batch is empty"}}}
	case len(inputs) > vr.v.MaxBatch:
		return nil, &validationError{Fields: []FieldError{{Field: "(body)", Reason: fmt.Sprintf("%d items, at most %d in one batch", len(inputs), vr.v.MaxBatch)}}}
	}
	res := vr.runBatch(req, inputs)
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return res, nil
}
