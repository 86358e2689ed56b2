package courses

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"

	"github.com/go-playground/validator/v10"
)

var (
	codePattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$`)
	didPattern  = regexp.MustCompile(`^did:[a-z0-9]+:[A-Za-z0-9._:%-]+$`)
)

// maxDIDLen bounds the DIDs of providers and learners: they are parts of
// store keys.
const maxDIDLen = 256

// validDID reports whether s is a DID usable as a learner or a provider: no
// path, query or fragment (they would be DID URLs, and "/" separates key
// parts).
func validDID(s string) bool {
	return len(s) <= maxDIDLen && didPattern.MatchString(s)
}

func newValidator() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	must := func(err error) {
		if err != nil {
			panic(err) // only at construction, with constant tags
		}
	}
	must(v.RegisterValidation("coursecode", func(fl validator.FieldLevel) bool {
		return codePattern.MatchString(fl.Field().String())
	}))
	must(v.RegisterValidation("did", func(fl validator.FieldLevel) bool {
		return validDID(fl.Field().String())
	}))
	return v
}

// check validates v's tags and turns the validator's errors into a
// *ValidationError with JSON field paths and readable reasons.
func (s *Service) check(what string, v any) error {
	err := s.validate.Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("courses: validating %s: %w", what, err)
	}
	ve := &ValidationError{What: what}
	for _, fe := range verrs {
		ve.Fields = append(ve.Fields, FieldError{Field: fieldPath(fe.Namespace()), Reason: reason(fe)})
	}
	return ve
}

// fieldPath drops the root struct's name: "Course.schedule.start" →
// "schedule.start".
func fieldPath(ns string) string {
	if _, rest, ok := strings.Cut(ns, "."); ok {
		return rest
	}
	return ns
}

func reason(fe validator.FieldError) string {
	kind := fe.Kind()
	unit := ""
	switch kind {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
	}
	switch fe.Tag() {
	case "required":
		return "required"
	case "min", "gte":
		return "must be at least " + fe.Param() + unit
	case "max", "lte":
		return "must be at most " + fe.Param() + unit
	case "gtfield":
		return "must be after " + fe.Param()
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "unique":
		return "must not repeat an item"
	case "coursecode":
		return "must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit"
	case "did":
		return "must be a DID (did:method:id, at most 256 characters, no path, query or fragment)"
	case "datetime":
		return "must be a date YYYY-MM-DD"
	}
	return "fails the " + fe.Tag() + " rule"
}
