package store

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// InvalidError reports an input refused before it reached storage. It wraps
// ErrInvalid. It never quotes the key or value itself.
type InvalidError struct {
	// Field names the refused input: "key", "value", "ttl", "prefix",
	// "after", "limit", "max", "op" or "batch".
	Field string
	// Reason says what is wrong, for a developer.
	Reason string
}

func (e *InvalidError) Error() string {
	return "store: invalid " + e.Field + ": " + e.Reason
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *InvalidError) Unwrap() error { return ErrInvalid }

func invalid(field, format string, args ...any) error {
	return &InvalidError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

// ValidateKey reports whether key is acceptable: non-empty, at most
// MaxKeyLen bytes, valid UTF-8 and without NUL bytes. It returns nil or an
// *InvalidError.
func ValidateKey(key string) error {
	return checkKeyText("key", key, false)
}

func checkKeyText(field, s string, emptyOK bool) error {
	switch {
	case s == "" && !emptyOK:
		return invalid(field, "empty")
	case len(s) > MaxKeyLen:
		return invalid(field, "%d bytes, longer than %d", len(s), MaxKeyLen)
	case !utf8.ValidString(s):
		return invalid(field, "not valid UTF-8")
	case strings.IndexByte(s, 0) >= 0:
		return invalid(field, "contains a NUL byte")
	}
	return nil
}

// ValidateValue reports whether value is acceptable: at most MaxValueLen
// bytes. It returns nil or an *InvalidError.
func ValidateValue(value []byte) error {
	if len(value) > MaxValueLen {
		return invalid("value", "%d bytes, larger than %d", len(value), MaxValueLen)
	}
	return nil
}

// ValidateTTL reports whether ttl is acceptable: zero (no expiry) or
// positive. It returns nil or an *InvalidError.
func ValidateTTL(ttl time.Duration) error {
	if ttl < 0 {
		return invalid("ttl", "negative (%v)", ttl)
	}
	return nil
}

// ValidateEntry validates a key, value and ttl for a write.
func ValidateEntry(key string, value []byte, ttl time.Duration) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	if err := ValidateValue(value); err != nil {
		return err
	}
	return ValidateTTL(ttl)
}

// ValidateList validates the arguments of Store.List and returns the
// effective limit (DefaultListLimit for 0).
func ValidateList(prefix string, opts ListOptions) (limit int, err error) {
	if err := checkKeyText("prefix", prefix, true); err != nil {
		return 0, err
	}
	if err := checkKeyText("after", opts.After, true); err != nil {
		return 0, err
	}
	switch {
	case opts.Limit < 0:
		return 0, invalid("limit", "negative (%d)", opts.Limit)
	case opts.Limit > MaxListLimit:
		return 0, invalid("limit", "%d, larger than %d", opts.Limit, MaxListLimit)
	case opts.Limit == 0:
		return DefaultListLimit, nil
	}
	return opts.Limit, nil
}

// ValidateOps validates a batch for Store.Apply: at most MaxOps operations
// of a known kind, each with a valid key (and value and ttl for writes),
// totalling at most MaxApplyLen bytes. An error names the op's index.
func ValidateOps(ops []Op) error {
	if len(ops) > MaxOps {
		return invalid("batch", "%d operations, more than %d", len(ops), MaxOps)
	}
	total := 0
	for i, op := range ops {
		var err error
		switch op.Kind {
		case KindPut, KindCreate:
			err = ValidateEntry(op.Key, op.Value, op.TTL)
		case KindDelete:
			err = ValidateKey(op.Key)
		default:
			err = invalid("op", "unknown kind %d", op.Kind)
		}
		if err != nil {
			return fmt.Errorf("op %d (%v): %w", i, op.Kind, err)
		}
		total += len(op.Key) + len(op.Value)
		if total > MaxApplyLen {
			return invalid("batch", "more than %d bytes of keys and values", MaxApplyLen)
		}
	}
	return nil
}
