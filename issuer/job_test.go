package issuer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
)

// trainingCSV is a class of n trainees for the training-certificate
// template, row keys prefix-0, prefix-1, …
func trainingCSV(prefix string, n int) []byte {
	var b bytes.Buffer
	b.WriteString("key,holder,fullName.zh,fullName.en,course.courseCode,course.title.zh,course.title.en,course.hours,course.skills,result,score,completionDate\n")
	for i := range n {
		h := ""
		if i%2 == 0 {
			h = holder
		}
		fmt.Fprintf(&b, "%s-%d,%s,学员%d,Trainee %d,BC-201,智能合约安全,Smart contract security,%d,Solidity;security audit,pass,%d,2026-05-20\n",
			prefix, i, h, i, i, 40+i%10, 60+i%40)
	}
	return b.Bytes()
}

func anchorCount(t testing.TB, ctx context.Context, n *chain.Node, org string) int {
	t.Helper()
	var a []chain.AnchorRecord
	if err := n.Client().List(ctx, chain.PathAnchors+org, &a); err != nil {
		t.Fatal(err)
	}
	return len(a)
}

// countKeys counts the service's records under a prefix.
func countKeys(t testing.TB, ctx context.Context, s *Service, prefix string) int {
	t.Helper()
	e, err := s.listAll(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return len(e)
}

// checkJobDone asserts that a finished job issued exactly one credential
// per row: the job's counters, its results, the credential records and the
// idempotency keys in the store all agree.
func checkJobDone(t *testing.T, ctx context.Context, s *Service, job *Job, rows int) []JobResult {
	t.Helper()
	if job.Status != JobDone || job.Issued != rows || job.Failed != 0 || job.ChunksDone != job.Chunks || job.Finished.IsZero() {
		t.Fatalf("job %+v; want done with %d issued", job, rows)
	}
	res, err := s.JobResults(ctx, job.Org, job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(res) != rows {
		t.Fatalf("%d results, want %d", len(res), rows)
	}
	ids := map[string]bool{}
	for i, r := range res {
		if r.Error != "" || r.CredentialID == "" || ids[r.CredentialID] {
			t.Fatalf("result %d: %+v (duplicate: %v)", i, r, ids[r.CredentialID])
		}
		ids[r.CredentialID] = true
		if i > 0 && r.Line <= res[i-1].Line {
			t.Fatalf("results out of file order at %d", i)
		}
	}
	if got := countKeys(t, ctx, s, "cred/"); got != rows {
		t.Fatalf("%d credentials stored, want %d", got, rows)
	}
	if got := countKeys(t, ctx, s, "idem/"+job.Org+"/"+CSVIdempotencyPrefix); got != rows {
		t.Fatalf("%d idempotency keys, want %d", got, rows)
	}
	if got := countKeys(t, ctx, s, "pending/"); got != 0 {
		t.Fatalf("%d credentials still wait for an anchor", got)
	}
	if got := countKeys(t, ctx, s, "jobrows/"+job.ID+"/"); got != 0 {
		t.Fatalf("%d row chunks kept after the job is done", got)
	}
	return res
}

func TestCSVJob(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "Jobs-"+sc.name, TypeTraining, TypeCompletion)
			other := e.org(t, "JobsOther-"+sc.name, TypeTraining)

			t.Run("dry run", func(t *testing.T) {
				job, err := e.svc.CreateJob(ctx, o.DID, "staff:registrar", TemplateTraining, readTestdata(t, "training-bad.csv"), JobOptions{DryRun: true})
				if !errors.Is(err, ErrInvalid) || job == nil || job.Status != JobInvalid || job.ID != "" {
					t.Fatalf("dry run of a bad file: %+v, %v", job, err)
				}
				if job.BadRows != 6 || job.Total != 8 || len(job.Errors) != 7 || job.Errors[0].Line != 3 || job.Errors[0].Column != "course.hours" {
					t.Fatalf("report %+v", job)
				}
				job, err = e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("dry", 250), JobOptions{DryRun: true, ChunkSize: 100})
				if err != nil || job.Status != JobReady || job.Total != 250 || job.Chunks != 3 {
					t.Fatalf("dry run of a good file: %+v, %v", job, err)
				}
				if got := countKeys(t, ctx, e.svc, "job"); got != 0 {
					t.Fatalf("a dry run stored %d job records", got)
				}
				if got := countKeys(t, ctx, e.svc, "cred/"); got != 0 {
					t.Fatalf("a dry run issued %d credentials", got)
				}
			})

			t.Run("options refused", func(t *testing.T) {
				for _, opts := range []JobOptions{{ChunkSize: 50}, {ChunkSize: 5000}, {Format: "jwt"}} {
					if _, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("x", 1), opts); !errors.Is(err, ErrInvalid) {
						t.Errorf("options %+v: %v", opts, err)
					}
				}
				if _, err := e.svc.CreateJob(ctx, "did:talent:nobody", "", TemplateTraining, trainingCSV("x", 1), JobOptions{}); !errors.Is(err, ErrNotFound) {
					t.Errorf("unknown org: %v", err)
				}
			})

			t.Run("invalid job kept", func(t *testing.T) {
				job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, readTestdata(t, "training-bad.csv"), JobOptions{})
				if !errors.Is(err, ErrInvalid) || job.ID == "" || job.Status != JobInvalid {
					t.Fatalf("%+v, %v", job, err)
				}
				got, err := e.svc.Job(ctx, o.DID, job.ID)
				if err != nil || got.Status != JobInvalid || len(got.Errors) != 7 {
					t.Fatalf("stored invalid job %+v, %v", got, err)
				}
				if _, err := e.svc.StartJob(ctx, o.DID, job.ID); !errors.Is(err, ErrConflict) {
					t.Fatalf("start an invalid job: %v", err)
				}
			})

			var first *Job
			var firstRes []JobResult
			t.Run("run", func(t *testing.T) {
				const rows = 300
				anchorsBefore := anchorCount(t, ctx, n, o.DID)
				job, err := e.svc.CreateJob(ctx, o.DID, "token:abc", TemplateTraining, trainingCSV("run", rows), JobOptions{ChunkSize: 100})
				if err != nil || job.Status != JobReady || job.Chunks != 3 || job.Actor != "token:abc" {
					t.Fatalf("CreateJob: %+v, %v", job, err)
				}
				if _, err := e.svc.Job(ctx, other.DID, job.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("another organisation reads the job: %v", err)
				}
				if _, err := e.svc.StartJob(ctx, other.DID, job.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("another organisation starts the job: %v", err)
				}
				started, err := e.svc.StartJob(ctx, o.DID, job.ID)
				if err != nil || started.Status != JobRunning {
					t.Fatalf("StartJob: %+v, %v", started, err)
				}
				if _, err := e.svc.StartJob(ctx, o.DID, job.ID); !errors.Is(err, ErrConflict) {
					t.Fatalf("second StartJob: %v", err)
				}
				// Progress is visible while it runs and only grows.
				last := -1
				for {
					j, err := e.svc.Job(ctx, o.DID, job.ID)
					if err != nil {
						t.Fatal(err)
					}
					if j.Issued < last {
						t.Fatalf("progress went back: %d after %d", j.Issued, last)
					}
					last = j.Issued
					if j.Status.Finished() {
						break
					}
					if err := sleepCtx(ctx, 50*time.Millisecond); err != nil {
						t.Fatal(err)
					}
				}
				done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
				if err != nil {
					t.Fatal(err)
				}
				firstRes = checkJobDone(t, ctx, e.svc, done, rows)
				first = done
				if got := anchorCount(t, ctx, n, o.DID) - anchorsBefore; got < 1 || got > done.Chunks {
					t.Fatalf("%d anchor transactions for %d chunks", got, done.Chunks)
				}
				for _, i := range []int{0, rows - 1} {
					rec, err := e.svc.Credential(ctx, o.DID, firstRes[i].CredentialID)
					if err != nil {
						t.Fatal(err)
					}
					verify(t, ctx, n.Client(), rec)
				}
				jobs, err := e.svc.Jobs(ctx, o.DID)
				if err != nil || len(jobs) < 2 || jobs[0].ID != job.ID || jobs[0].Errors != nil {
					t.Fatalf("Jobs: newest first, without errors: %v", err)
				}
				if jobs, _ := e.svc.Jobs(ctx, other.DID); len(jobs) != 0 {
					t.Fatalf("the other organisation sees %d jobs", len(jobs))
				}
			})

			t.Run("re-upload issues nothing twice", func(t *testing.T) {
				if first == nil {
					t.Skip("run failed")
				}
				job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("run", 300), JobOptions{ChunkSize: 1000, Start: true})
				if err != nil {
					t.Fatal(err)
				}
				done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
				if err != nil {
					t.Fatal(err)
				}
				res := checkJobDone(t, ctx, e.svc, done, 300)
				for i := range res {
					if res[i].CredentialID != firstRes[i].CredentialID {
						t.Fatalf("row %d: %s, first upload gave %s", i, res[i].CredentialID, firstRes[i].CredentialID)
					}
				}
			})

			t.Run("key used by another template", func(t *testing.T) {
				csv := "key,fullName.en,course.courseCode,course.title.en,course.hours,completionDate\n" +
					"run-0,Trainee 0,BC-101,Intro,8,2026-05-01\n" +
					"fresh-0,Trainee X,BC-101,Intro,8,2026-05-01\n"
				job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateCompletion, []byte(csv), JobOptions{ChunkSize: 100, Start: true})
				if err != nil {
					t.Fatal(err)
				}
				done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
				if err != nil || done.Status != JobDone || done.Issued != 1 || done.Failed != 1 ||
					len(done.Errors) != 1 || done.Errors[0].Line != 2 || !strings.Contains(done.Errors[0].Reason, TemplateTraining) {
					t.Fatalf("%+v, %v", done, err)
				}
				res, _ := e.svc.JobResults(ctx, o.DID, job.ID)
				if len(res) != 2 || res[0].CredentialID != "" || res[0].Error == "" || res[1].CredentialID == "" {
					t.Fatalf("results %+v", res)
				}
			})

			t.Run("cancel", func(t *testing.T) {
				job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("cancel", 120), JobOptions{ChunkSize: 100})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.CancelJob(ctx, other.DID, job.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("another organisation cancels: %v", err)
				}
				c, err := e.svc.CancelJob(ctx, o.DID, job.ID)
				if err != nil || c.Status != JobCanceled {
					t.Fatalf("cancel a ready job: %+v, %v", c, err)
				}
				if _, err := e.svc.StartJob(ctx, o.DID, job.ID); !errors.Is(err, ErrConflict) {
					t.Fatalf("start a canceled job: %v", err)
				}
				if _, err := e.svc.CancelJob(ctx, o.DID, job.ID); !errors.Is(err, ErrConflict) {
					t.Fatalf("cancel twice: %v", err)
				}
				if got := countKeys(t, ctx, e.svc, "idem/"+o.DID+"/csv:cancel-"); got != 0 {
					t.Fatalf("a canceled job issued %d", got)
				}

				// A running job stops before its next chunk.
				job, err = e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("cancel2", 500), JobOptions{ChunkSize: 100, Start: true})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.CancelJob(ctx, o.DID, job.ID); err != nil {
					t.Fatal(err)
				}
				done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
				if err != nil || done.Status != JobCanceled || done.Issued >= 500 || done.Issued != done.ChunksDone*100 {
					t.Fatalf("canceled while running: %+v, %v", done, err)
				}
				if got := countKeys(t, ctx, e.svc, "idem/"+o.DID+"/csv:cancel2-"); got != done.Issued {
					t.Fatalf("%d issued, the job says %d", got, done.Issued)
				}
			})

			t.Run("failed and resumed", func(t *testing.T) {
				sus := e.org(t, "JobsSuspended-"+sc.name, TypeTraining)
				job, err := e.svc.CreateJob(ctx, sus.DID, "", TemplateTraining, trainingCSV("resume", 150), JobOptions{ChunkSize: 100})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := e.gov.Submit(ctx, &chain.SuspendIssuer{Issuer: sus.DID, Reason: "audit"}); err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.StartJob(ctx, sus.DID, job.ID); err != nil {
					t.Fatal(err)
				}
				failed, err := e.svc.WaitJob(ctx, sus.DID, job.ID)
				if err != nil || failed.Status != JobFailed || failed.Issued != 0 || !strings.Contains(failed.Error, "not active") {
					t.Fatalf("job of a suspended issuer: %+v, %v", failed, err)
				}
				if _, err := e.gov.Submit(ctx, &chain.ReinstateIssuer{Issuer: sus.DID}); err != nil {
					t.Fatal(err)
				}
				if _, err := e.svc.StartJob(ctx, sus.DID, job.ID); err != nil {
					t.Fatalf("resume a failed job: %v", err)
				}
				done, err := e.svc.WaitJob(ctx, sus.DID, job.ID)
				if err != nil {
					t.Fatal(err)
				}
				if done.Error != "" {
					t.Fatalf("the resumed job keeps the old error: %q", done.Error)
				}
				if got := countKeys(t, ctx, e.svc, "idem/"+sus.DID+"/"); got != 150 {
					t.Fatalf("%d issued, want 150", got)
				}
				if res, _ := e.svc.JobResults(ctx, sus.DID, job.ID); len(res) != 150 {
					t.Fatalf("%d results", len(res))
				}
			})

			t.Run("ids", func(t *testing.T) {
				for _, id := range []string{"", "../x", strings.Repeat("a", 28) + "/", "ZZZZZZZZZZZZZZZZZZZZZZZZZZZZ"} {
					if _, err := e.svc.Job(ctx, o.DID, id); !errors.Is(err, ErrNotFound) {
						t.Errorf("Job(%q): %v", id, err)
					}
				}
			})
		})
	}
}

// A service closed in the middle of a job (its process stopping) leaves
// the job running; a new service over the same store resumes it in
// Recover, and every good row ends with exactly one credential.
func TestCSVJobCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name+"/close mid-run", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "Crash-"+sc.name, TypeTraining)
			const rows = 600
			firstSvc := e.service(t, n.Client(), Config{})
			job, err := firstSvc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("c", rows), JobOptions{ChunkSize: 100, Start: true})
			if err != nil {
				t.Fatal(err)
			}
			for {
				j, err := firstSvc.Job(ctx, o.DID, job.ID)
				if err != nil {
					t.Fatal(err)
				}
				if j.ChunksDone >= 1 {
					break
				}
				if err := sleepCtx(ctx, 20*time.Millisecond); err != nil {
					t.Fatal(err)
				}
			}
			_ = firstSvc.Close()
			stopped, err := e.svc.Job(ctx, o.DID, job.ID)
			if err != nil || stopped.Status != JobRunning || stopped.Issued >= rows {
				t.Fatalf("after the stop: %+v, %v; want running, unfinished", stopped, err)
			}
			t.Logf("stopped after %d of %d chunks; %d credentials stored", stopped.ChunksDone, stopped.Chunks, countKeys(t, ctx, e.svc, "cred/"))

			second := e.service(t, n.Client(), Config{})
			if _, err := second.Recover(ctx); err != nil {
				t.Fatal(err)
			}
			done, err := second.WaitJob(ctx, o.DID, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			res := checkJobDone(t, ctx, second, done, rows)
			rec, err := second.Credential(ctx, o.DID, res[rows-1].CredentialID)
			if err != nil {
				t.Fatal(err)
			}
			verify(t, ctx, n.Client(), rec)
		})

		// The worst moment: a chunk's credentials were stored (and their
		// idempotency keys) but the process died before the chunk's
		// progress was recorded. The re-run of that chunk issues nothing new.
		t.Run(sc.name+"/chunk stored, progress lost", func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "Lost-"+sc.name, TypeTraining)
			const rows = 300
			csv := trainingCSV("lost", rows)
			job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, csv, JobOptions{ChunkSize: 100})
			if err != nil {
				t.Fatal(err)
			}
			b, err := e.svc.ParseCSV(TemplateTraining, bytes.NewReader(csv))
			if err != nil {
				t.Fatal(err)
			}
			var reqs []*Request
			for _, r := range b.Rows[100:200] {
				reqs = append(reqs, r.Request)
			}
			pre, err := e.svc.IssueBatch(ctx, o.DID, reqs)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.svc.StartJob(ctx, o.DID, job.ID); err != nil {
				t.Fatal(err)
			}
			done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			res := checkJobDone(t, ctx, e.svc, done, rows)
			for i, r := range pre {
				if res[100+i].CredentialID != r.ID {
					t.Fatalf("row %d was issued again: %s, before %s", 100+i, res[100+i].CredentialID, r.ID)
				}
			}
		})
	}

	// A process that died without releasing its lease: the job is taken
	// over once the lease expires.
	t.Run("stale lease", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		e := newEnv(t, stores[0].open, n, Config{})
		o := e.org(t, "Stale", TypeTraining)
		job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("stale", 150), JobOptions{ChunkSize: 100})
		if err != nil {
			t.Fatal(err)
		}
		// The dead process's state: running, its lease still there.
		job.Status = JobRunning
		if err := e.svc.putJob(ctx, job); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.st.Put(ctx, jobLeaseKey(job.ID), []byte("dead-process"), 1500*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		svc := e.service(t, n.Client(), Config{})
		svc.jobs.leaseTTL = time.Second
		if got, err := svc.ResumeJobs(ctx); err != nil || got != 0 {
			t.Fatalf("ResumeJobs with a live lease = %d, %v; want 0", got, err)
		}
		done, err := svc.WaitJob(ctx, o.DID, job.ID)
		if err != nil {
			t.Fatal(err)
		}
		checkJobDone(t, ctx, svc, done, 150)
	})
}

// TestCSVJob10000 runs a class of 10,000 (set TALENTCHAIN_LONG_TESTS=1).
func TestCSVJob10000(t *testing.T) {
	if testing.Short() || os.Getenv("TALENTCHAIN_LONG_TESTS") == "" {
		t.Skip("10,000 credentials: set TALENTCHAIN_LONG_TESTS=1")
	}
	n := startNode(t)
	for _, sc := range stores {
		t.Run(sc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			e := newEnv(t, sc.open, n, Config{})
			o := e.org(t, "Big-"+sc.name, TypeTraining)
			const rows = 10000
			start := time.Now()
			job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, trainingCSV("big", rows), JobOptions{ChunkSize: 1000, Start: true})
			if err != nil {
				t.Fatal(err)
			}
			done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
			if err != nil {
				t.Fatal(err)
			}
			elapsed := time.Since(start)
			checkJobDone(t, ctx, e.svc, done, rows)
			if got := anchorCount(t, ctx, n, o.DID); got > done.Chunks {
				t.Fatalf("%d anchors for %d chunks", got, done.Chunks)
			}
			t.Logf("%d credentials in %v: %.0f/s", rows, elapsed.Round(time.Millisecond), rows/elapsed.Seconds())
		})
	}
}

// BenchmarkCSVJob10000: a class of 10,000 from the CSV upload to the last
// anchor (parse and validate, store the rows, sign, store, anchor per
// chunk of 1,000).
func BenchmarkCSVJob10000(b *testing.B) {
	n := startNode(b)
	for _, sc := range stores {
		b.Run(sc.name, func(b *testing.B) {
			e := newEnv(b, sc.open, n, Config{})
			o := e.org(b, "BenchJob-"+sc.name, TypeTraining)
			ctx := context.Background()
			const rows = 10000
			i := 0
			var elapsed, validating time.Duration
			for b.Loop() {
				csv := trainingCSV(fmt.Sprintf("b%d", i), rows)
				i++
				start := time.Now()
				job, err := e.svc.CreateJob(ctx, o.DID, "", TemplateTraining, csv, JobOptions{ChunkSize: 1000})
				if err != nil {
					b.Fatal(err)
				}
				validating += time.Since(start)
				if _, err := e.svc.StartJob(ctx, o.DID, job.ID); err != nil {
					b.Fatal(err)
				}
				done, err := e.svc.WaitJob(ctx, o.DID, job.ID)
				if err != nil || done.Status != JobDone || done.Issued != rows {
					b.Fatalf("%+v, %v", done, err)
				}
				elapsed += time.Since(start)
			}
			b.ReportMetric(elapsed.Seconds()/float64(b.N), "s/10k")
			b.ReportMetric(validating.Seconds()/float64(b.N), "validate-s/10k")
			b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "creds/s")
		})
	}
}
