package issuer

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/store"
)

// TestJobRevalidatesUnderAnotherSchema: a job's rows are validated at
// upload and not again when they are issued, unless the job was uploaded
// under another version of the template's schema (a job resumed by a newer
// service): then each row is checked again and a row the current schema
// refuses fails, with its reason, while the others are issued.
func TestJobRevalidatesUnderAnotherSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{})
	o := e.org(t, "JobSchema", TypeTraining)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("schema", 3), JobOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if job.SchemaHash != schemaHash(e.svc.tmpl.byID[TemplateTraining]) {
		t.Fatalf("job schema hash %q", job.SchemaHash)
	}
	// Uploaded under an older schema that let a row without a course title
	// through: the stored row lacks it.
	chunks, err := store.All(ctx, e.svc.st, "jobrows/"+job.ID+"/", store.ScanOptions{})
	if err != nil || len(chunks) != 1 {
		t.Fatalf("row chunks %d, %v", len(chunks), err)
	}
	var rows []jobRow
	if err := json.Unmarshal(chunks[0].Value, &rows); err != nil {
		t.Fatal(err)
	}
	delete(rows[1].Request.Subject["course"].(map[string]any), "title")
	raw, _ := json.Marshal(rows)
	job.SchemaHash = strings.Repeat("0", 64)
	jraw, _ := json.Marshal(job)
	if err := e.svc.st.Apply(ctx, store.OpPut(chunks[0].Key, raw, 0), store.OpPut(jobKey(o.DID, job.ID), jraw, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StartJob(ctx, o.DID, job.ID); err != nil {
		t.Fatal(err)
	}
	done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.Status != JobDone || done.Issued != 2 || done.Failed != 1 {
		t.Fatalf("job %s: issued %d, failed %d, errors %+v", done.Status, done.Issued, done.Failed, done.Errors)
	}
	if len(done.Errors) != 1 || done.Errors[0].Line != rows[1].Line || !strings.Contains(done.Errors[0].Reason, "title") || done.Errors[0].ReasonZH == "" {
		t.Fatalf("row errors %+v", done.Errors)
	}
}
