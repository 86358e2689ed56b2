package bolt_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// smallDisk mounts a tmpfs of size bytes for the test (it needs root, as in
// CI; elsewhere the test is skipped) and returns its folder.
func smallDisk(t *testing.T, size string, opts ...string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "disk")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	o := "size=" + size
	for _, x := range opts {
		o += "," + x
	}
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", o, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small disk (needs root): %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fill writes a file until the disk is full and returns its path.
func fill(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := bytes.Repeat([]byte{1}, 64<<10)
	for {
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			return path
		}
	}
}

// TestDiskFull: on a full disk a write fails at once with ErrUnavailable
// and changes nothing; reads go on; once there is room again the same
// write succeeds on the same open store.
func TestDiskFull(t *testing.T) {
	dir := smallDisk(t, "2m")
	s, err := bolt.Open(filepath.Join(dir, "store.db"), bolt.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if err := s.Put(ctx, "before", []byte("kept"), 0); err != nil {
		t.Fatal(err)
	}
	filler := fill(t, dir)
	big := bytes.Repeat([]byte("x"), 512<<10)
	start := time.Now()
	err = s.Apply(ctx, store.OpPut("a", big, 0), store.OpPut("b", big, 0))
	took := time.Since(start)
	if !errors.Is(err, store.ErrUnavailable) || !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("write on a full disk: %v, want ErrUnavailable wrapping ENOSPC", err)
	}
	if took > time.Second {
		t.Errorf("the refused write took %s", took)
	}
	t.Logf("refused in %s: %v", took, err)
	if v, err := s.Get(ctx, "before"); err != nil || string(v) != "kept" {
		t.Fatalf("read on a full disk: %q %v", v, err)
	}
	if _, err := s.Get(ctx, "a"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a refused batch left a key: %v", err)
	}
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	if err := s.Apply(ctx, store.OpPut("a", big, 0), store.OpPut("b", big, 0)); err != nil {
		t.Fatalf("write once there is room: %v", err)
	}
	if v, err := s.Get(ctx, "b"); err != nil || len(v) != len(big) {
		t.Fatalf("read back: %d %v", len(v), err)
	}
}

// TestReadOnlyDisk: a store on a read-only disk does not open, and says why.
func TestReadOnlyDisk(t *testing.T) {
	dir := smallDisk(t, "1m", "ro")
	_, err := bolt.Open(filepath.Join(dir, "store.db"), bolt.Config{})
	if !errors.Is(err, syscall.EROFS) {
		t.Fatalf("open on a read-only disk: %v, want EROFS", err)
	}
}
