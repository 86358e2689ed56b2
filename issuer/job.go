package issuer

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/store"
)

// JobStatus is where a CSV batch job is.
type JobStatus string

// Job statuses. A job is created validating and becomes invalid (nothing
// kept to run) or ready; StartJob makes it running; it ends done, failed
// (StartJob resumes it), or canceled.
const (
	JobValidating JobStatus = "validating"
	JobInvalid    JobStatus = "invalid"
	JobReady      JobStatus = "ready"
	JobRunning    JobStatus = "running"
	JobDone       JobStatus = "done"
	JobFailed     JobStatus = "failed"
	JobCanceled   JobStatus = "canceled"
)

// Finished reports whether nothing more happens to a job by itself: it is
// invalid, done, failed or canceled (or ready, waiting for StartJob).
func (s JobStatus) Finished() bool {
	return s != JobValidating && s != JobRunning
}

// Job chunk sizes.
const (
	DefaultJobChunk = 500
	MinJobChunk     = 100
	MaxJobChunk     = 1000
)

// Job is a CSV batch job: the rows of one upload issued in chunks, with its
// progress persisted after each chunk.
type Job struct {
	ID       string `json:"id"` // empty for a dry run
	Org      string `json:"org"`
	Template string `json:"template"`
	// SchemaHash is the SHA-256 (hex) of the template's schema the rows
	// were validated against at upload: a job resumed by a binary whose
	// template schema differs validates its rows again.
	SchemaHash string    `json:"schemaHash,omitempty"`
	Format     Format    `json:"format,omitempty"`
	Actor      string    `json:"actor,omitempty"`
	Status     JobStatus `json:"status"`
	// Total counts the rows to issue; Issued those with a credential
	// (issued by this job, or by an earlier job or upload with the same
	// row key); Failed those refused while issuing. Total = Issued +
	// Failed once done.
	Total  int `json:"total"`
	Issued int `json:"issued"`
	Failed int `json:"failed"`
	// BadRows counts the rows the validation refused (status invalid).
	BadRows int `json:"badRows,omitempty"`
	// Errors are the validation's problems, or the rows that failed while
	// issuing; at most MaxRowErrors. Jobs leaves them out.
	Errors []RowError `json:"errors,omitempty"`
	// Error says why a job failed (or was refused as a whole).
	Error      string    `json:"error,omitempty"`
	ChunkSize  int       `json:"chunkSize"`
	Chunks     int       `json:"chunks"`
	ChunksDone int       `json:"chunksDone"`
	Created    time.Time `json:"created"`
	Started    time.Time `json:"started,omitzero"`
	Finished   time.Time `json:"finished,omitzero"`
	Updated    time.Time `json:"updated"`
}

// JobOptions are the choices of CreateJob.
type JobOptions struct {
	// DryRun validates and returns the report; nothing is stored.
	DryRun bool `json:"dryRun,omitempty"`
	// Start starts a valid job at once (StartJob).
	Start bool `json:"start,omitempty"`
	// ChunkSize is the rows issued (and anchored) together; default 500.
	ChunkSize int `json:"chunkSize,omitempty" validate:"omitempty,min=100,max=1000"`
	// Format of the credentials: FormatV2 (default; "ldp_vc" is the
	// same), FormatV1, or FormatSDJWT ("vc+sd-jwt" is the same) for SD-JWT
	// VCs, anchored and status-listed like the others. The job records
	// the canonical name (vc2, vc1, dc+sd-jwt).
	Format Format `json:"format,omitempty" validate:"omitempty,oneof=vc2 vc1 ldp_vc dc+sd-jwt vc+sd-jwt"`
	// Actor names who uploaded (a token, a staff member), for the record.
	Actor string `json:"actor,omitempty" validate:"max=200"`
}

// JobResult is one row's outcome: the credential issued for its key, or
// why it failed.
type JobResult struct {
	Line         int    `json:"line"`
	Key          string `json:"key"`
	CredentialID string `json:"credentialId,omitempty"`
	Error        string `json:"error,omitempty"`
	// ErrorZH is Error in Chinese, when there is a Chinese text.
	ErrorZH string `json:"errorZh,omitempty"`
}

// jobRow is a stored row.
type jobRow struct {
	Line    int      `json:"line"`
	Key     string   `json:"key"`
	Request *Request `json:"request"`
}

// jobRunner is the service's job machinery: who it is when it holds a
// job's lease, and how long a lease lasts without renewal.
type jobRunner struct {
	once     sync.Once
	owner    string
	leaseTTL time.Duration
	watch    sync.Once
}

func (s *Service) jobOwner() string {
	s.jobs.once.Do(func() {
		var b [12]byte
		_, _ = rand.Read(b[:])
		s.jobs.owner = hex.EncodeToString(b[:])
		if s.jobs.leaseTTL == 0 {
			s.jobs.leaseTTL = time.Minute
		}
	})
	return s.jobs.owner
}

var jobIDPattern = regexp.MustCompile(`^[0-9a-f]{28}$`)

// newJobID is sortable by creation time: 6 bytes of Unix milliseconds and 8
// random bytes, in hex.
func newJobID(now time.Time) (string, error) {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(now.UnixMilli()))
	if _, err := rand.Read(b[8:]); err != nil {
		return "", fmt.Errorf("job id: %w", err)
	}
	return hex.EncodeToString(b[2:]), nil
}

func jobKey(org, id string) string  { return "job/" + org + "/" + id }
func jobActiveKey(id string) string { return "jobactive/" + id }
func jobLeaseKey(id string) string  { return "joblease/" + id }
func jobCancelKey(id string) string { return "jobcancel/" + id }
func jobRowsKey(id string, n int) string {
	return fmt.Sprintf("jobrows/%s/%06d", id, n)
}
func jobResKey(id string, n int) string { return fmt.Sprintf("jobres/%s/%06d", id, n) }

var jobValidator = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		return name
	})
	return v
})

func (o *JobOptions) check() error {
	err := jobValidator().Struct(o)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("job options: %w", err)
	}
	v := &ValidationError{}
	for _, fe := range verrs {
		reason := "must satisfy " + fe.Tag()
		if fe.Param() != "" {
			reason += " " + fe.Param()
		}
		v.Fields = append(v.Fields, FieldError{Field: "/" + fe.Field(), Reason: reason, ReasonZH: ruleZH(fe.Tag(), fe.Param())})
	}
	return v
}

// CreateJob makes a batch job of a CSV upload for one of the organisation's
// templates (see ParseCSV for the columns). Every row is validated first.
//
// A file with problems returns the job with status invalid, its Errors
// (line, column, reason) and an error wrapping ErrInvalid (a *CSVError);
// unless it is a dry run the invalid job is kept for reference, without
// its rows. A valid file returns the job ready: its rows are stored (in
// chunks) for StartJob, or started at once with opts.Start. A dry run
// (opts.DryRun) returns the same report and stores nothing; its job has no
// ID.
func (s *Service) CreateJob(ctx context.Context, org, actor, template string, csv []byte, opts JobOptions) (*Job, error) {
	if actor != "" {
		opts.Actor = actor
	}
	if err := opts.check(); err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	if _, err := s.Org(ctx, org); err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	tm, ok := s.tmpl.byID[template]
	if !ok {
		return nil, fmt.Errorf("create job: %w", invalid("/template", fmt.Sprintf("unknown template %q", template), fmt.Sprintf("没有名为 %q 的模板", template)))
	}
	if opts.ChunkSize == 0 {
		opts.ChunkSize = DefaultJobChunk
	}
	opts.Format = opts.Format.canonical()
	now := s.cfg.Now().UTC()
	job := &Job{
		Org: org, Template: template, SchemaHash: schemaHash(tm), Format: opts.Format, Actor: opts.Actor, Status: JobValidating,
		ChunkSize: opts.ChunkSize, Created: now, Updated: now,
	}
	var lease string
	if !opts.DryRun {
		id, err := newJobID(now)
		if err != nil {
			return nil, fmt.Errorf("create job: %w", err)
		}
		job.ID = id
		lease = s.jobOwner()
		raw, err := json.Marshal(job)
		if err != nil {
			return nil, fmt.Errorf("create job: %w", err)
		}
		// Visible while it validates; the lease tells a watcher that a
		// live process is at it.
		if err := s.st.Apply(ctx,
			store.OpCreate(jobLeaseKey(id), []byte(lease), s.jobs.leaseTTL),
			store.OpCreate(jobKey(org, id), raw, 0),
			store.OpPut(jobActiveKey(id), []byte(org), 0)); err != nil {
			return nil, fmt.Errorf("create job: %w", err)
		}
		defer func() {
			if lease != "" {
				s.releaseLease(ctx, id, lease)
			}
		}()
	}

	b, perr := s.parseCSV(template, opts.Format, bytes.NewReader(csv))
	var ce *CSVError
	switch {
	case perr == nil:
	case errors.As(perr, &ce):
	default:
		if job.ID != "" {
			job.Status, job.Error = JobFailed, "reading the upload: "+perr.Error()
			_ = s.finishJob(ctx, job, nil)
		}
		return nil, fmt.Errorf("create job: %w", perr)
	}
	if ce != nil {
		job.Status = JobInvalid
		job.BadRows, job.Errors = ce.BadRows, ce.Errors
		if b != nil {
			job.Total = b.Total
		}
		if job.ID != "" {
			if err := s.finishJob(ctx, job, nil); err != nil {
				return nil, fmt.Errorf("create job: %w", err)
			}
		}
		return job, fmt.Errorf("create job: %w", perr)
	}
	job.Status = JobReady
	job.Total = len(b.Rows)
	job.Chunks = (len(b.Rows) + job.ChunkSize - 1) / job.ChunkSize
	if opts.DryRun {
		return job, nil
	}
	if err := s.storeRows(ctx, job, b.Rows); err != nil {
		job.Status, job.Error, job.Chunks = JobFailed, "storing the rows: "+err.Error(), 0
		_ = s.finishJob(ctx, job, nil)
		return nil, fmt.Errorf("create job: %w", err)
	}
	job.Updated = s.cfg.Now().UTC()
	if err := s.putJob(ctx, job); err != nil {
		return nil, fmt.Errorf("create job: %w", err)
	}
	s.log.Info("CSV job ready", slog.String("org", org), slog.String("job", job.ID),
		slog.String("template", template), slog.Int("rows", job.Total), slog.Int("chunks", job.Chunks))
	if opts.Start {
		s.releaseLease(ctx, job.ID, lease)
		lease = ""
		return s.StartJob(ctx, org, job.ID)
	}
	return job, nil
}

// storeRows writes the rows in chunks, several chunks per store batch.
func (s *Service) storeRows(ctx context.Context, job *Job, rows []CSVRow) error {
	const maxBatch = 8 << 20
	var ops []store.Op
	size := 0
	for n := range job.Chunks {
		part := rows[n*job.ChunkSize : min((n+1)*job.ChunkSize, len(rows))]
		out := make([]jobRow, len(part))
		for i, r := range part {
			req := *r.Request
			req.Format = job.Format
			out[i] = jobRow{Line: r.Line, Key: r.Key, Request: &req}
		}
		raw, err := json.Marshal(out)
		if err != nil {
			return err
		}
		if size+len(raw) > maxBatch && len(ops) > 0 {
			if err := s.st.Apply(ctx, ops...); err != nil {
				return err
			}
			ops, size = nil, 0
		}
		ops = append(ops, store.OpPut(jobRowsKey(job.ID, n), raw, 0))
		size += len(raw)
	}
	return s.st.Apply(ctx, ops...)
}

func (s *Service) putJob(ctx context.Context, job *Job) error {
	raw, err := json.Marshal(job)
	if err != nil {
		return err
	}
	return s.st.Put(ctx, jobKey(job.Org, job.ID), raw, 0)
}

// finishJob writes a job that reached an end (invalid, done, failed,
// canceled), with extra ops in the same batch. A failed job stays active
// (its rows kept, StartJob resumes it); the others leave the active index,
// and done or canceled ones drop their rows.
func (s *Service) finishJob(ctx context.Context, job *Job, extra []store.Op) error {
	now := s.cfg.Now().UTC()
	job.Updated = now
	if job.Status != JobFailed {
		job.Finished = now
	}
	raw, err := json.Marshal(job)
	if err != nil {
		return err
	}
	ops := append(extra, store.OpPut(jobKey(job.Org, job.ID), raw, 0))
	if job.Status != JobFailed {
		ops = append(ops, store.OpDelete(jobActiveKey(job.ID)))
	}
	if job.Status == JobDone || job.Status == JobCanceled {
		for n := range job.Chunks {
			ops = append(ops, store.OpDelete(jobRowsKey(job.ID, n)))
		}
	}
	for start := 0; start < len(ops); start += store.MaxOps {
		if err := s.st.Apply(ctx, ops[start:min(start+store.MaxOps, len(ops))]...); err != nil {
			return err
		}
	}
	s.log.Info("CSV job "+string(job.Status), slog.String("org", job.Org), slog.String("job", job.ID),
		slog.Int("issued", job.Issued), slog.Int("failed", job.Failed), slog.String("error", job.Error))
	return nil
}

// Job returns one of the organisation's jobs with its progress; another
// organisation's job is ErrNotFound.
func (s *Service) Job(ctx context.Context, org, id string) (*Job, error) {
	if !jobIDPattern.MatchString(id) {
		return nil, fmt.Errorf("job %q: %w", id, ErrNotFound)
	}
	raw, err := s.st.Get(ctx, jobKey(org, id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("job %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("job %s: %w", id, err)
	}
	var j Job
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, fmt.Errorf("job %s: decode: %w", id, err)
	}
	return &j, nil
}

// Jobs lists the organisation's jobs, newest first, without their Errors.
func (s *Service) Jobs(ctx context.Context, org string) ([]*Job, error) {
	entries, err := s.listAll(ctx, "job/"+org+"/")
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	out := make([]*Job, 0, len(entries))
	for _, e := range slices.Backward(entries) {
		var j Job
		if err := json.Unmarshal(e.Value, &j); err != nil {
			return nil, fmt.Errorf("list jobs: decode %s: %w", e.Key, err)
		}
		j.Errors = nil
		out = append(out, &j)
	}
	return out, nil
}

// JobResults returns the outcome of every row the job has issued so far,
// in file order: the row key and its credential id (or why it failed), for
// a CSV download.
func (s *Service) JobResults(ctx context.Context, org, id string) ([]JobResult, error) {
	if _, err := s.Job(ctx, org, id); err != nil {
		return nil, fmt.Errorf("job results: %w", err)
	}
	out := []JobResult{}
	err := store.Each(ctx, s.st, "jobres/"+id+"/", store.ScanOptions{PageSize: 100}, func(e store.Entry) error {
		var part []JobResult
		if err := json.Unmarshal(e.Value, &part); err != nil {
			return fmt.Errorf("decode %s: %w", e.Key, err)
		}
		out = append(out, part...)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("job results: %w", err)
	}
	return out, nil
}

// WaitJob polls the job until nothing more happens to it by itself (see
// JobStatus.Finished) or ctx ends, and returns it.
func (s *Service) WaitJob(ctx context.Context, org, id string) (*Job, error) {
	for {
		j, err := s.Job(ctx, org, id)
		if err != nil || j.Status.Finished() {
			return j, err
		}
		if err := sleepCtx(ctx, 100*time.Millisecond); err != nil {
			return j, fmt.Errorf("wait for job %s: %w", id, err)
		}
	}
}

// StartJob starts a ready job in the background, or resumes a failed one
// from its first unfinished chunk; it returns the job running. Rows are
// issued through the service's issuing path, IdempotencyKey "csv:" + row
// key, one chunk at a time, each chunk anchored before the next; progress
// and results are stored after each chunk. A job running (here or in
// another replica) is ErrConflict, as is a finished one.
func (s *Service) StartJob(ctx context.Context, org, id string) (*Job, error) {
	job, err := s.Job(ctx, org, id)
	if err != nil {
		return nil, fmt.Errorf("start job: %w", err)
	}
	if job.Status != JobReady && job.Status != JobFailed {
		return nil, fmt.Errorf("start job %s: %w: it is %s", id, ErrConflict, job.Status)
	}
	if job.Chunks == 0 {
		return nil, fmt.Errorf("start job %s: %w: it has no rows to issue (%s)", id, ErrConflict, job.Error)
	}
	owner := s.jobOwner()
	if err := s.st.Create(ctx, jobLeaseKey(id), []byte(owner), s.jobs.leaseTTL); err != nil {
		if errors.Is(err, store.ErrExists) {
			return nil, fmt.Errorf("start job %s: %w: it is being worked on", id, ErrConflict)
		}
		return nil, fmt.Errorf("start job %s: %w", id, err)
	}
	// Read again under the lease: another replica may have started and
	// finished it in between.
	if job, err = s.Job(ctx, org, id); err != nil || (job.Status != JobReady && job.Status != JobFailed) {
		s.releaseLease(ctx, id, owner)
		if err == nil {
			err = fmt.Errorf("%w: it is %s", ErrConflict, job.Status)
		}
		return nil, fmt.Errorf("start job %s: %w", id, err)
	}
	return s.launch(ctx, job, owner)
}

// launch marks the job running and runs it; the caller holds the lease.
func (s *Service) launch(ctx context.Context, job *Job, owner string) (*Job, error) {
	now := s.cfg.Now().UTC()
	job.Status, job.Error, job.Updated = JobRunning, "", now
	if job.Started.IsZero() {
		job.Started = now
	}
	if err := s.putJob(ctx, job); err != nil {
		s.releaseLease(ctx, job.ID, owner)
		return nil, fmt.Errorf("start job %s: %w", job.ID, err)
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		s.releaseLease(ctx, job.ID, owner)
		return nil, fmt.Errorf("start job %s: %w", job.ID, ErrClosed)
	}
	run := *job
	s.wg.Go(func() { s.runJob(&run, owner) })
	s.mu.Unlock()
	s.log.Info("CSV job started", slog.String("org", job.Org), slog.String("job", job.ID),
		slog.Int("fromChunk", job.ChunksDone), slog.Int("chunks", job.Chunks))
	out := *job
	return &out, nil
}

// CancelJob cancels a job that is not finished: a ready or failed one at
// once, a running one before its next chunk (the returned job may still
// say running). Credentials already issued stay issued. Cancelling a
// finished (done, invalid, canceled) job is ErrConflict.
func (s *Service) CancelJob(ctx context.Context, org, id string) (*Job, error) {
	job, err := s.Job(ctx, org, id)
	if err != nil {
		return nil, fmt.Errorf("cancel job: %w", err)
	}
	switch job.Status {
	case JobDone, JobInvalid, JobCanceled:
		return nil, fmt.Errorf("cancel job %s: %w: it is %s", id, ErrConflict, job.Status)
	}
	if err := s.st.Put(ctx, jobCancelKey(id), []byte(s.cfg.Now().UTC().Format(time.RFC3339)), 0); err != nil {
		return nil, fmt.Errorf("cancel job %s: %w", id, err)
	}
	owner := s.jobOwner()
	if err := s.st.Create(ctx, jobLeaseKey(id), []byte(owner), s.jobs.leaseTTL); err != nil {
		if errors.Is(err, store.ErrExists) {
			return job, nil // its runner sees the request before the next chunk
		}
		return nil, fmt.Errorf("cancel job %s: %w", id, err)
	}
	defer s.releaseLease(ctx, id, owner)
	if job, err = s.Job(ctx, org, id); err != nil {
		return nil, fmt.Errorf("cancel job: %w", err)
	}
	if job.Status.Finished() && job.Status != JobReady && job.Status != JobFailed {
		return job, nil
	}
	job.Status = JobCanceled
	if err := s.finishJob(ctx, job, []store.Op{store.OpDelete(jobCancelKey(id))}); err != nil {
		return nil, fmt.Errorf("cancel job %s: %w", id, err)
	}
	return job, nil
}

// ResumeJobs takes over the jobs whose process died: running jobs whose
// lease expired are resumed from their first unfinished chunk (the
// idempotency keys make re-running a chunk exact), jobs that died while
// validating are marked failed. It also starts a watcher that does the same
// every lease period, for jobs of other replicas that die later. Recover
// calls it; it returns how many jobs it resumed.
func (s *Service) ResumeJobs(ctx context.Context) (int, error) {
	s.jobOwner()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return 0, ErrClosed
	}
	s.jobs.watch.Do(func() { s.wg.Go(s.watchJobs) })
	s.mu.Unlock()
	return s.resumeOrphans(ctx)
}

func (s *Service) watchJobs() {
	t := time.NewTicker(s.jobs.leaseTTL)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if _, err := s.resumeOrphans(s.bgCtx); err != nil && !errors.Is(err, ErrClosed) {
				s.log.Warn("resuming CSV jobs", slog.String("error", err.Error()))
			}
		}
	}
}

func (s *Service) resumeOrphans(ctx context.Context) (int, error) {
	active, err := s.listAll(ctx, "jobactive/")
	if err != nil {
		return 0, fmt.Errorf("resume jobs: %w", err)
	}
	n := 0
	owner := s.jobOwner()
	for _, e := range active {
		id := strings.TrimPrefix(e.Key, "jobactive/")
		job, err := s.Job(ctx, string(e.Value), id)
		if errors.Is(err, ErrNotFound) {
			_ = s.st.Delete(ctx, e.Key)
			continue
		}
		if err != nil {
			return n, fmt.Errorf("resume jobs: %w", err)
		}
		if job.Status != JobRunning && job.Status != JobValidating {
			continue
		}
		if err := s.st.Create(ctx, jobLeaseKey(id), []byte(owner), s.jobs.leaseTTL); err != nil {
			if errors.Is(err, store.ErrExists) {
				continue // alive elsewhere
			}
			return n, fmt.Errorf("resume jobs: %w", err)
		}
		if job, err = s.Job(ctx, job.Org, id); err != nil {
			s.releaseLease(ctx, id, owner)
			return n, fmt.Errorf("resume jobs: %w", err)
		}
		switch job.Status {
		case JobValidating:
			job.Status, job.Error = JobFailed, "the service stopped while validating the upload; create the job again"
			job.Finished = s.cfg.Now().UTC()
			if err := s.finishJob(ctx, job, []store.Op{store.OpDelete(jobActiveKey(id))}); err != nil {
				s.releaseLease(ctx, id, owner)
				return n, fmt.Errorf("resume jobs: %w", err)
			}
			s.releaseLease(ctx, id, owner)
		case JobRunning:
			if _, err := s.launch(ctx, job, owner); err != nil {
				return n, fmt.Errorf("resume jobs: %w", err)
			}
			n++
		default:
			s.releaseLease(ctx, id, owner)
		}
	}
	return n, nil
}

// releaseLease deletes the job's lease if it is still ours.
func (s *Service) releaseLease(ctx context.Context, id, owner string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if v, err := s.st.Get(ctx, jobLeaseKey(id)); err == nil && string(v) == owner {
		_ = s.st.Delete(ctx, jobLeaseKey(id))
	}
}

// errJobStopped: the service is closing or the lease was lost; the job
// stays running for ResumeJobs.
var errJobStopped = errors.New("job stopped")

// runJob issues the job's remaining chunks. It holds the lease, renews it,
// and stops (leaving the job running, to be resumed) when the service
// closes or the lease is lost.
func (s *Service) runJob(job *Job, owner string) {
	ctx, cancel := context.WithCancel(s.bgCtx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		t := time.NewTicker(s.jobs.leaseTTL / 3)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-s.stop:
				cancel()
				return
			case <-t.C:
				v, err := s.st.Get(ctx, jobLeaseKey(job.ID))
				if err == nil && string(v) != owner || errors.Is(err, store.ErrNotFound) {
					s.log.Warn("CSV job lease lost; stopping", slog.String("job", job.ID))
					cancel()
					return
				}
				if err == nil {
					_ = s.st.Put(ctx, jobLeaseKey(job.ID), []byte(owner), s.jobs.leaseTTL)
				}
			}
		}
	}()
	err := s.runChunks(ctx, job)
	cleanup, stop := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer stop()
	switch {
	case err == nil:
	case errors.Is(err, errJobStopped) || errors.Is(err, ErrClosed) || ctx.Err() != nil:
		s.log.Info("CSV job paused; it resumes on restart", slog.String("job", job.ID), slog.Int("chunksDone", job.ChunksDone))
	default:
		job.Status, job.Error = JobFailed, err.Error()
		if ferr := s.finishJob(cleanup, job, nil); ferr != nil {
			s.log.Error("CSV job: recording the failure", slog.String("job", job.ID), slog.String("error", ferr.Error()))
		}
	}
	s.releaseLease(cleanup, job.ID, owner)
}

// runChunks issues the job's chunks in turn. A chunk's anchor is flushed in
// the background while the next chunk is signed and stored, and awaited
// before the one after that is anchored (and before the job is done): the
// job runs at most one chunk ahead of the chain, and signing (CPU) overlaps
// anchoring (a block).
func (s *Service) runChunks(ctx context.Context, job *Job) error {
	st, _, err := s.state(ctx, job.Org)
	if err != nil {
		return err
	}
	var anchoring chan error // the previous chunk's flush
	awaitAnchor := func() {
		if anchoring == nil {
			return
		}
		if err := <-anchoring; err != nil && ctx.Err() == nil {
			s.log.Warn("CSV job: anchoring a chunk failed; the batcher retries it", slog.String("job", job.ID), slog.String("error", err.Error()))
		}
		anchoring = nil
	}
	defer awaitAnchor()
	for n := job.ChunksDone; n < job.Chunks; n++ {
		if err := ctx.Err(); err != nil {
			return errJobStopped
		}
		if _, err := s.st.Get(ctx, jobCancelKey(job.ID)); err == nil {
			job.Status = JobCanceled
			return s.finishJob(ctx, job, []store.Op{store.OpDelete(jobCancelKey(job.ID))})
		} else if !errors.Is(err, store.ErrNotFound) {
			return fmt.Errorf("chunk %d: %w", n, err)
		}
		raw, err := s.st.Get(ctx, jobRowsKey(job.ID, n))
		if err != nil {
			return fmt.Errorf("chunk %d: rows: %w", n, err)
		}
		var rows []jobRow
		if err := json.Unmarshal(raw, &rows); err != nil {
			return fmt.Errorf("chunk %d: decode rows: %w", n, err)
		}
		res, err := s.runChunk(ctx, job, rows)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, ErrClosed) {
				return errJobStopped
			}
			return fmt.Errorf("chunk %d of %d: %w", n+1, job.Chunks, err)
		}
		for _, r := range res {
			if r.Error != "" {
				job.Failed++
				if len(job.Errors) < MaxRowErrors {
					job.Errors = append(job.Errors, RowError{Line: r.Line, Key: r.Key, Reason: r.Error, ReasonZH: r.ErrorZH})
				}
			} else {
				job.Issued++
			}
		}
		awaitAnchor()
		anchoring = make(chan error, 1)
		go func(done chan<- error) { done <- s.flush(ctx, st) }(anchoring)
		job.ChunksDone = n + 1
		job.Updated = s.cfg.Now().UTC()
		resRaw, err := json.Marshal(res)
		if err != nil {
			return err
		}
		jobRaw, err := json.Marshal(job)
		if err != nil {
			return err
		}
		// Results and progress together: after a crash the chunk is
		// either recorded or re-run, never half.
		if err := s.st.Apply(ctx, store.OpPut(jobResKey(job.ID, n), resRaw, 0), store.OpPut(jobKey(job.Org, job.ID), jobRaw, 0)); err != nil {
			if ctx.Err() != nil {
				return errJobStopped
			}
			return fmt.Errorf("chunk %d: store progress: %w", n, err)
		}
	}
	awaitAnchor()
	job.Status = JobDone
	return s.finishJob(ctx, job, []store.Op{store.OpDelete(jobCancelKey(job.ID))})
}

// runChunk issues one chunk's rows (runChunks anchors them). Rows the
// issuing path refuses one by one fail; refusals of the whole organisation
// (not accredited, not active) fail the job; transient errors are retried.
// The rows were validated against the template's schema when the job was
// created (the stored rows are the validated ones), so the issuing path
// does not validate them a second time, unless the template's schema has
// changed since (a job resumed by another version of the service).
func (s *Service) runChunk(ctx context.Context, job *Job, rows []jobRow) ([]JobResult, error) {
	validated := false
	if tm, ok := s.tmpl.byID[job.Template]; ok && job.SchemaHash != "" && job.SchemaHash == schemaHash(tm) {
		validated = true
	}
	res := make([]JobResult, len(rows))
	todo := make([]int, len(rows))
	for i, r := range rows {
		res[i] = JobResult{Line: r.Line, Key: r.Key}
		todo[i] = i
	}
	backoff := time.Second
	for attempt := 1; len(todo) > 0; attempt++ {
		reqs := make([]*Request, len(todo))
		for i, k := range todo {
			reqs[i] = rows[k].Request
		}
		recs, err := s.issueRows(ctx, job.Org, reqs, false, validated)
		var be *BatchError
		var ve *ValidationError
		switch {
		case err == nil || errors.Is(err, ErrAnchorPending):
			for i, k := range todo {
				rec := recs[i]
				if rec.Template != job.Template {
					res[k].Error = fmt.Sprintf("the key was used before for a %s credential (%s); give this row another key", rec.Template, rec.ID)
					res[k].ErrorZH = fmt.Sprintf("此 key 已用于签发一份 %s 凭证（%s）；请给此行换一个 key", rec.Template, rec.ID)
					continue
				}
				if f := job.Format.canonical(); rec.Format.isSDJWT() != f.isSDJWT() || rec.Format != "" && rec.Format != f {
					res[k].Error = fmt.Sprintf("the key was used before for a credential in format %s (%s); give this row another key", rec.Format.canonical(), rec.ID)
					res[k].ErrorZH = fmt.Sprintf("此 key 已用于签发一份 %s 格式的凭证（%s）；请给此行换一个 key", rec.Format.canonical(), rec.ID)
					continue
				}
				res[k].CredentialID = rec.ID
			}
			todo = nil
		case errors.As(err, &be):
			var rest []int
			for i, k := range todo {
				if e, bad := be.Items[i]; bad {
					res[k].Error, res[k].ErrorZH = e.Error(), reasonsZH(e)
				} else {
					rest = append(rest, k)
				}
			}
			todo = rest
		case len(todo) == 1 && errors.As(err, &ve):
			res[todo[0]].Error, res[todo[0]].ErrorZH = ve.Error(), reasonsZH(ve)
			todo = nil
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.Is(err, ErrNotAccredited), errors.Is(err, ErrIssuerNotActive), errors.Is(err, ErrNotFound), errors.Is(err, ErrClosed):
			return nil, err
		case attempt >= 4:
			return nil, err
		default:
			s.log.Warn("CSV job chunk: retrying", slog.String("job", job.ID), slog.Int("attempt", attempt), slog.String("error", err.Error()))
			if err := sleepCtx(ctx, backoff); err != nil {
				return nil, err
			}
			backoff *= 2
		}
	}
	return res, nil
}

// schemaHash identifies what a row was validated against: the template's
// schema and the version of the service's own request rules.
func schemaHash(tm *Template) string {
	h := sha256.New()
	h.Write([]byte("talentchain/job-validation/" + validationRules + "\n"))
	h.Write(tm.Schema)
	return hex.EncodeToString(h.Sum(nil))
}

// validationRules names the version of the request checks beside the
// schema (Service.check: holder DID, dates, format, keys). Change it when
// they change, so that stored jobs validate their rows again.
const validationRules = "1"
