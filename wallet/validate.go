package wallet

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

var (
	usernameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{2,31}$`)
	// Wallet-made ids: account ids (32 hex), credential ids (24 hex),
	// share link and pending request ids (24 hex).
	acctRE = regexp.MustCompile(`^[0-9a-f]{32}$`)
	credRE = regexp.MustCompile(`^[0-9a-f]{24}$`)
	widRE  = regexp.MustCompile(`^[0-9a-f]{24}$`)
	// Ids that come from outside (a verifier's request id, a descriptor
	// id) and become parts of store keys.
	extIDRE = regexp.MustCompile(`^[A-Za-z0-9._~:-]{1,128}$`)
)

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

func theValidator() *validator.Validate {
	validateOnce.Do(func() {
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
		for tag, re := range map[string]*regexp.Regexp{"username": usernameRE, "credid": credRE, "wid": widRE, "extid": extIDRE} {
			if err := v.RegisterValidation(tag, func(fl validator.FieldLevel) bool { return re.MatchString(fl.Field().String()) }); err != nil {
				panic(err) // constant tags: only a programming error gets here
			}
		}
		validate = v
	})
	return validate
}

// check validates v's struct tags and turns failures into a
// *ValidationError with JSON pointers ("/credentialIds/2").
func check(v any) error {
	err := theValidator().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	ve := &ValidationError{}
	for _, fe := range verrs {
		ve.Fields = append(ve.Fields, FieldError{Field: pointer(fe.Namespace()), Reason: reason(fe)})
	}
	return ve
}

// pointer turns "SignUp.credentialIds[2]" into "/credentialIds/2".
func pointer(ns string) string {
	_, rest, ok := strings.Cut(ns, ".")
	if !ok {
		return "/"
	}
	var b strings.Builder
	for _, part := range strings.Split(rest, ".") {
		name, idx, hasIdx := strings.Cut(part, "[")
		b.WriteString("/" + name)
		if hasIdx {
			b.WriteString("/" + strings.TrimSuffix(idx, "]"))
		}
	}
	return b.String()
}

func reason(fe validator.FieldError) string {
	unit := ""
	switch fe.Kind() {
	case reflect.String:
		unit = " characters"
	case reflect.Slice, reflect.Array, reflect.Map:
		unit = " items"
	}
	switch fe.Tag() {
	case "required":
		return "is required"
	case "min", "gte":
		return "must be at least " + fe.Param() + unit
	case "max", "lte":
		return "must be at most " + fe.Param() + unit
	case "len":
		return "must be exactly " + fe.Param() + unit
	case "unique":
		return "must not repeat an item"
	case "oneof":
		return "must be one of: " + strings.ReplaceAll(fe.Param(), " ", ", ")
	case "ip":
		return "must be an IP address"
	case "username":
		return "3 to 32 of a-z 0-9 . _ -, starting with a letter or digit"
	case "credid":
		return "is not a credential id of this wallet"
	case "wid":
		return "is not an id this wallet made"
	case "extid":
		return "must be 1 to 128 of A-Z a-z 0-9 . _ ~ : -"
	}
	return "fails the " + fe.Tag() + " rule"
}

// fieldIndex names an element of a list field.
func fieldIndex(field string, i int) string { return field + "/" + strconv.Itoa(i) }
