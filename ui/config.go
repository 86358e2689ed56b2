package ui

import (
	"errors"
	"fmt"
	"time"
)

// Config tunes the web layer. Start from DefaultConfig; New refuses a Config that
// does not validate.
type Config struct {
	// MaxBodyBytes is the largest request body accepted; larger bodies are
	// answered with 413. Between 1 KiB and 64 MiB.
	MaxBodyBytes int64
	// VerifyTimeout bounds one verification; past it the request is answered
	// with 503. Between 100ms and 5 minutes.
	VerifyTimeout time.Duration
	// MaxUploadBytes is the largest file upload (a CSV class, a batch of
	// credentials). Between MaxBodyBytes and 256 MiB.
	MaxUploadBytes int64
}

// DefaultConfig returns the defaults: 1 MiB bodies, 30 s per verification.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:   1 << 20,
		VerifyTimeout:  30 * time.Second,
		MaxUploadBytes: 64 << 20,
	}
}

// Limits of the Config fields.
const (
	minBodyBytes     = 1 << 10
	maxBodyBytes     = 64 << 20
	maxUploadBytes   = 256 << 20
	minVerifyTimeout = 100 * time.Millisecond
	maxVerifyTimeout = 5 * time.Minute
)

// Validate reports why cfg is unusable, or nil.
func (c Config) Validate() error {
	var errs []error
	if c.MaxBodyBytes < minBodyBytes || c.MaxBodyBytes > maxBodyBytes {
		errs = append(errs, fmt.Errorf("ui config: MaxBodyBytes %d: must be between %d and %d", c.MaxBodyBytes, minBodyBytes, maxBodyBytes))
	}
	if c.MaxUploadBytes < c.MaxBodyBytes || c.MaxUploadBytes > maxUploadBytes {
		errs = append(errs, fmt.Errorf("ui config: MaxUploadBytes %d: must be between MaxBodyBytes (%d) and %d", c.MaxUploadBytes, c.MaxBodyBytes, maxUploadBytes))
	}
	if c.VerifyTimeout < minVerifyTimeout || c.VerifyTimeout > maxVerifyTimeout {
		errs = append(errs, fmt.Errorf("ui config: VerifyTimeout %s: must be between %s and %s", c.VerifyTimeout, minVerifyTimeout, maxVerifyTimeout))
	}
	return errors.Join(errs...)
}
