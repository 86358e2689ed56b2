//go:build race

package main

// raceEnabled tells the end-to-end test to build the binary with -race too, so it
// reuses the packages the test build already compiled.
const raceEnabled = true
