//go:build !linux

package redistest

import "os/exec"

// setDeathSignal does nothing where there is no Pdeathsig: Main and the
// test cleanups still stop the servers.
func setDeathSignal(*exec.Cmd) {}
