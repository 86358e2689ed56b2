package redistest

import (
	"os/exec"
	"runtime"
)

// proc is a running child process.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
}

// spawn starts cmd so that it dies with the test binary even if the binary
// never reaches its cleanup (a panic, a -timeout): on Linux the child gets
// SIGKILL when the thread that started it exits (Pdeathsig), so that thread
// is locked to a goroutine that lives as long as the child.
func spawn(cmd *exec.Cmd) (*proc, error) {
	setDeathSignal(cmd)
	p := &proc{cmd: cmd, done: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with this goroutine
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		started <- nil
		cmd.Wait()
		close(p.done)
	}()
	if err := <-started; err != nil {
		return nil, err
	}
	return p, nil
}
