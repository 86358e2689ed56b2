package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// issueBatchEnv maps issue-batch's flags to environment variables.
var issueBatchEnv = map[string]string{
	"url":   "TALENTCHAIN_URL",
	"token": "TALENTCHAIN_TOKEN",
}

// batchJob is a batch job (or a dry run's report) as the node answers it.
type batchJob struct {
	ID       string     `json:"id"`
	Status   string     `json:"status"`
	Template string     `json:"template"`
	Total    int        `json:"total"`
	Issued   int        `json:"issued"`
	Failed   int        `json:"failed"`
	BadRows  int        `json:"badRows"`
	Errors   []rowIssue `json:"errors,omitempty"`
	Message  string     `json:"error,omitempty"`
}

// rowIssue is one bad row of a dry run or a job.
type rowIssue struct {
	Line   int    `json:"line"`
	Key    string `json:"key,omitempty"`
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
}

// issueBatchCommand uploads a CSV of a class to a node, shows the dry-run
// report, and when every row is good issues them with a progress bar.
// Exit 0: all issued; 1: bad rows (nothing issued) or failures; 2: usage.
func issueBatchCommand(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "issue-batch", "--template NAME --csv FILE [--url URL] [--token TOKEN] [--dry-run] [--results FILE]")
	var (
		base     = "http://127.0.0.1:8080"
		token    string
		template string
		csvPath  string
		dryRun   bool
		results  string
		interval = 500 * time.Millisecond
	)
	fs.StringVar(&base, "url", base, "the node's `URL` (env TALENTCHAIN_URL)")
	fs.StringVar(&token, "token", "", "the organisation's API `token` with scope issue (env TALENTCHAIN_TOKEN)")
	fs.StringVar(&template, "template", "", "credential `template` of every row, e.g. master-degree (see GET /templates)")
	fs.StringVar(&csvPath, "csv", "", "the CSV `file` (header row first; - for standard input)")
	fs.BoolVar(&dryRun, "dry-run", false, "only check the rows and report the bad ones; issue nothing")
	fs.StringVar(&results, "results", "", "write the issued credentials' ids as CSV (key,credentialId) to this `file`")
	fs.DurationVar(&interval, "poll", interval, "how often to ask for progress")
	if err := parseFlags(fs, e, issueBatchEnv, args); err != nil {
		return err
	}
	switch {
	case template == "":
		return &usageError{msg: "issue-batch: --template is required (e.g. master-degree)"}
	case csvPath == "":
		return &usageError{msg: "issue-batch: --csv FILE is required"}
	case token == "":
		return &usageError{msg: "issue-batch: --token (or TALENTCHAIN_TOKEN) is required: an API token of your organisation with scope issue"}
	case interval < 50*time.Millisecond:
		return &usageError{msg: "issue-batch: --poll must be at least 50ms"}
	}
	var body []byte
	var err error
	if csvPath == "-" {
		body, err = io.ReadAll(io.LimitReader(e.stdin, 256<<20))
	} else {
		body, err = os.ReadFile(csvPath)
	}
	if err != nil {
		return fmt.Errorf("read the CSV: %w", err)
	}
	c := &batchClient{base: strings.TrimRight(base, "/"), token: token, http: &http.Client{Timeout: 5 * time.Minute}}

	// Always check first: nothing is signed while any row is bad.
	var report batchJob
	if err := c.do(ctx, "POST", "/batches?dryRun=true&template="+url.QueryEscape(template), "text/csv", body, &report); err != nil {
		return err
	}
	if report.Status == "invalid" || report.BadRows > 0 || len(report.Errors) > 0 {
		fmt.Fprintf(e.stderr, "checked the file: %d bad rows\n", report.BadRows)
		for _, ri := range report.Errors {
			fmt.Fprintln(e.stdout, ri.String())
		}
		if report.Message != "" {
			fmt.Fprintln(e.stdout, report.Message)
		}
		return &exitError{code: 1, err: fmt.Errorf("%d bad rows: fix them and run again; nothing was issued", report.BadRows)}
	}
	fmt.Fprintf(e.stderr, "checked %d rows: all good\n", report.Total)
	if dryRun {
		return nil
	}

	var job batchJob
	if err := c.do(ctx, "POST", "/batches?template="+url.QueryEscape(template), "text/csv", body, &job); err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "job %s: issuing %d credentials\n", job.ID, job.Total)
	bar := newProgressBar(e.stderr, job.Total)
	for !finished(job.Status) {
		select {
		case <-ctx.Done():
			fmt.Fprintf(e.stderr, "\nstopped watching; the job goes on on the node: talentchain issue-batch is safe to run again (rows already issued are not issued twice)\n")
			return ctx.Err()
		case <-time.After(interval):
		}
		if err := c.do(ctx, "GET", "/batches/"+url.PathEscape(job.ID), "", nil, &job); err != nil {
			return err
		}
		bar.update(job.Issued, job.Failed)
	}
	bar.done(job.Issued, job.Failed)
	if results != "" {
		raw, err := c.get(ctx, "/batches/"+url.PathEscape(job.ID)+"/results")
		if err != nil {
			return err
		}
		if err := os.WriteFile(results, raw, 0o600); err != nil {
			return fmt.Errorf("write results: %w", err)
		}
	}
	for _, ri := range job.Errors {
		fmt.Fprintln(e.stdout, ri.String())
	}
	if job.Status != "done" || job.Failed > 0 {
		msg := fmt.Sprintf("job %s ended %s with %d issued and %d failed", job.ID, job.Status, job.Issued, job.Failed)
		if job.Message != "" {
			msg += ": " + job.Message
		}
		return &exitError{code: 1, err: errors.New(msg + "; run the same command again to finish (issued rows are skipped)")}
	}
	fmt.Fprintf(e.stderr, "issued %d credentials (job %s)\n", job.Issued, job.ID)
	return nil
}

func (ri rowIssue) String() string {
	s := fmt.Sprintf("line %d", ri.Line)
	if ri.Key != "" {
		s += " (key " + ri.Key + ")"
	}
	if ri.Column != "" {
		s += ", column " + ri.Column
	}
	return s + ": " + ri.Reason
}

func finished(status string) bool {
	switch status {
	case "done", "failed", "canceled", "invalid":
		return true
	}
	return false
}

// batchClient calls a node's batch API.
type batchClient struct {
	base, token string
	http        *http.Client
}

// do sends a request and decodes the JSON answer into out; a problem answer
// becomes an error with its detail and fields.
func (c *batchClient) do(ctx context.Context, method, path, ctype string, body []byte, out any) error {
	raw, err := c.send(ctx, method, path, ctype, body)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("%s %s: unexpected answer: %w", method, path, err)
	}
	return nil
}

func (c *batchClient) get(ctx context.Context, path string) ([]byte, error) {
	return c.send(ctx, "GET", path, "", nil)
}

func (c *batchClient) send(ctx context.Context, method, path, ctype string, body []byte) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w (is the node running?)", c.base, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var p struct {
			Title  string `json:"title"`
			Detail string `json:"detail"`
			Errors []struct {
				Field  string `json:"field"`
				Reason string `json:"reason"`
			} `json:"errors"`
		}
		if json.Unmarshal(raw, &p) != nil || p.Title == "" {
			return nil, fmt.Errorf("%s %s: %s", method, path, resp.Status)
		}
		msg := fmt.Sprintf("%s %s: %d %s: %s", method, path, resp.StatusCode, p.Title, p.Detail)
		for _, f := range p.Errors {
			msg += fmt.Sprintf("\n  %s: %s", f.Field, f.Reason)
		}
		return nil, errors.New(msg)
	}
	return raw, nil
}

// progressBar draws "[#####.....] 4,200/10,000 issued  1,050/s  ETA 5s" on
// one line of a terminal, or a line per tenth of the work elsewhere.
type progressBar struct {
	w        io.Writer
	total    int
	start    time.Time
	tty      bool
	lastTick int
}

func newProgressBar(w io.Writer, total int) *progressBar {
	tty := false
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return &progressBar{w: w, total: max(total, 1), start: time.Now(), tty: tty}
}

func (p *progressBar) line(issued, failed int) string {
	const width = 30
	done := issued + failed
	filled := min(width, done*width/p.total)
	elapsed := time.Since(p.start).Seconds()
	rate := float64(issued) / max(elapsed, 0.001)
	eta := "?"
	if rate > 0 {
		eta = (time.Duration(float64(p.total-done)/rate) * time.Second).Round(time.Second).String()
	}
	s := fmt.Sprintf("[%s%s] %d/%d issued  %.0f/s  ETA %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), issued, p.total, rate, eta)
	if failed > 0 {
		s += fmt.Sprintf("  %d failed", failed)
	}
	return s
}

func (p *progressBar) update(issued, failed int) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K", p.line(issued, failed))
		return
	}
	if tick := (issued + failed) * 10 / p.total; tick > p.lastTick {
		p.lastTick = tick
		fmt.Fprintln(p.w, p.line(issued, failed))
	}
}

func (p *progressBar) done(issued, failed int) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s\x1b[K\n", p.line(issued, failed))
		return
	}
	if p.lastTick < 10 {
		fmt.Fprintln(p.w, p.line(issued, failed))
	}
}
