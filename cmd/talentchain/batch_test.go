package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// classCSV writes a master's class of n rows; rows whose 0-based index is
// in bad get a planted fault (by index mod 3: no name at all, a bad date,
// a non-DID holder).
func classCSV(t testing.TB, dir string, n int, bad map[int]bool) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("key,holder,fullName.zh,fullName.en,degree.degreeName.zh,degree.degreeName.en,degree.fieldOfStudy.zh,degree.fieldOfStudy.en,graduationDate\n")
	for i := range n {
		name, en, date, holder := fmt.Sprintf("学生%d", i), fmt.Sprintf("Student %d", i), "2026-06-30", ""
		if bad[i] {
			switch i % 3 {
			case 0:
				name, en = "", ""
			case 1:
				date = "30/06/2026"
			case 2:
				holder = "not-a-did"
			}
		}
		fmt.Fprintf(&b, "2026-M-%05d,%s,%s,%s,工学硕士,Master of Engineering,区块链工程,Blockchain Engineering,%s\n", i, holder, name, en, date)
	}
	path := filepath.Join(dir, fmt.Sprintf("class-%d.csv", n))
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readResults reads a results CSV: key → credential id.
func readResults(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, r := range recs[1:] {
		if r[2] == "" {
			t.Fatalf("row %v has no credential", r)
		}
		if _, dup := out[r[1]]; dup {
			t.Fatalf("key %s twice in the results", r[1])
		}
		out[r[1]] = r[2]
	}
	return out
}

// TestIssueBatchCLI: the dry run lists every planted bad row by line and
// nothing is issued; the fixed file issues one credential per row with a
// progress report; running it again issues nothing new.
func TestIssueBatchCLI(t *testing.T) {
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	n := startNode(t, cfg)
	_, tok := n.newOrg(t, "北航", map[string]any{"credentialType": "DegreeCredential"})
	dir := t.TempDir()
	const rows = 250
	bad := map[int]bool{3: true, 100: true, 248: true}
	badPath := classCSV(t, dir, rows, bad)
	args := []string{"issue-batch", "--url", n.base, "--token", tok, "--template", "master-degree", "--poll", "50ms"}

	code, out, errOut := runCLI(t, "", append(args, "--csv", badPath)...)
	if code != 1 {
		t.Fatalf("bad file: exit %d\n%s\n%s", code, out, errOut)
	}
	for i := range bad {
		if want := fmt.Sprintf("line %d", i+2); !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var jobs struct {
		Jobs []any `json:"jobs"`
	}
	if n.call(t, "GET", "/batches", tok, nil, &jobs); len(jobs.Jobs) != 0 {
		t.Fatalf("a dry run left %d jobs", len(jobs.Jobs))
	}

	good := classCSV(t, filepath.Join(dir), rows, nil)
	results := filepath.Join(dir, "results.csv")
	code, out, errOut = runCLI(t, "", append(args, "--csv", good, "--results", results)...)
	if code != 0 {
		t.Fatalf("good file: exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(errOut, fmt.Sprintf("issued %d credentials", rows)) || !strings.Contains(errOut, "] ") {
		t.Errorf("progress output:\n%s", errOut)
	}
	first := readResults(t, results)
	if len(first) != rows {
		t.Fatalf("%d results, want %d", len(first), rows)
	}

	// Again: every row is already issued; same credentials.
	code, out, errOut = runCLI(t, "", append(args, "--csv", good, "--results", results)...)
	if code != 0 {
		t.Fatalf("re-run: exit %d\n%s\n%s", code, out, errOut)
	}
	second := readResults(t, results)
	for k, id := range first {
		if second[k] != id {
			t.Fatalf("re-run: row %s now %s, first %s", k, second[k], id)
		}
	}
}
