package store

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestValidateKey(t *testing.T) {
	cases := []struct {
		name string
		key  string
		ok   bool
	}{
		{"simple", "issuer/org/1", true},
		{"unicode", "学位/张三", true},
		{"longest", strings.Repeat("a", MaxKeyLen), true},
		{"longest multi-byte", strings.Repeat("é", MaxKeyLen/2), true},
		{"empty", "", false},
		{"too long", strings.Repeat("a", MaxKeyLen+1), false},
		{"invalid UTF-8", "a\xc3", false},
		{"byte 0xff", "\xff", false},
		{"NUL", "a\x00", false},
	}
	for _, c := range cases {
		err := ValidateKey(c.key)
		if (err == nil) != c.ok {
			t.Errorf("%s: ValidateKey = %v, want ok=%v", c.name, err, c.ok)
		}
		var inv *InvalidError
		if err != nil && (!errors.Is(err, ErrInvalid) || !errors.As(err, &inv) || inv.Field != "key") {
			t.Errorf("%s: error %v is not an *InvalidError for the key", c.name, err)
		}
	}
}

func TestValidateList(t *testing.T) {
	cases := []struct {
		name   string
		prefix string
		opts   ListOptions
		limit  int
		field  string
	}{
		{"defaults", "", ListOptions{}, DefaultListLimit, ""},
		{"max", "a/", ListOptions{After: "a/1", Limit: MaxListLimit}, MaxListLimit, ""},
		{"negative", "", ListOptions{Limit: -1}, 0, "limit"},
		{"too large", "", ListOptions{Limit: MaxListLimit + 1}, 0, "limit"},
		{"bad prefix", "\x00", ListOptions{}, 0, "prefix"},
		{"bad after", "", ListOptions{After: "\xff"}, 0, "after"},
	}
	for _, c := range cases {
		limit, err := ValidateList(c.prefix, c.opts)
		var inv *InvalidError
		switch {
		case c.field == "" && (err != nil || limit != c.limit):
			t.Errorf("%s: = %d, %v; want %d", c.name, limit, err, c.limit)
		case c.field != "" && (!errors.As(err, &inv) || inv.Field != c.field):
			t.Errorf("%s: error %v, want an *InvalidError for %s", c.name, err, c.field)
		}
	}
}

func TestValidateOps(t *testing.T) {
	if err := ValidateOps(nil); err != nil {
		t.Errorf("empty batch: %v", err)
	}
	ok := []Op{OpPut("a", []byte("1"), time.Second), OpCreate("b", nil, 0), OpDelete("c")}
	if err := ValidateOps(ok); err != nil {
		t.Errorf("valid batch: %v", err)
	}
	err := ValidateOps([]Op{OpPut("a", nil, 0), OpDelete("")})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "op 1 (delete)") {
		t.Errorf("error %v does not name op 1", err)
	}
}

func FuzzValidateKey(f *testing.F) {
	for _, s := range []string{"", "a", "a/b", "\x00", "\xff", "学"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		err := ValidateKey(key)
		if err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("error %v does not wrap ErrInvalid", err)
		}
		if err == nil && (key == "" || len(key) > MaxKeyLen || strings.ContainsRune(key, 0) || !utf8.ValidString(key)) {
			t.Fatalf("accepted %q", key)
		}
	})
}
