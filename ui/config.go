package ui

import (
	"fmt"
	"time"

	"github.com/go-playground/validator/v10"
)

// Config tunes the web layer. Start from DefaultConfig; New refuses a Config that
// does not validate.
type Config struct {
	// MaxBodyBytes is the largest request body accepted; larger bodies are
	// answered with 413. Between 1 KiB and 64 MiB.
	MaxBodyBytes int64 `validate:"min=1024,max=67108864"`
	// VerifyTimeout bounds one verification; past it the request is answered
	// with 503. Between 100ms and 5 minutes.
	VerifyTimeout time.Duration `validate:"min=100000000,max=300000000000"`
}

// DefaultConfig returns the defaults: 1 MiB bodies, 30 s per verification.
func DefaultConfig() Config {
	return Config{
		MaxBodyBytes:  1 << 20,
		VerifyTimeout: 30 * time.Second,
	}
}

// Validate reports the first reason cfg is unusable.
func (c Config) Validate() error {
	if err := validator.New().Struct(c); err != nil {
		return fmt.Errorf("ui config: %w", err)
	}
	return nil
}
