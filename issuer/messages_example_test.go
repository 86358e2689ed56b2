package issuer_test

import (
	"errors"
	"fmt"

	"github.com/talentchain/talentchain/issuer"
)

// Every validation reason comes in English and Chinese; a caller shows the
// one of its reader's language.
func ExampleFieldError_In() {
	err := fmt.Errorf("issue: %w", &issuer.ValidationError{Fields: []issuer.FieldError{
		{Field: "/credentialSubject/graduationDate", Reason: "is required", ReasonZH: "必填"},
	}})
	var ve *issuer.ValidationError
	if errors.As(err, &ve) {
		for _, f := range ve.Fields {
			fmt.Println(f.Field, "|", f.In("en"), "|", f.In("zh"))
		}
	}
	fmt.Println(errors.Is(err, issuer.ErrInvalid))
	// Output:
	// /credentialSubject/graduationDate | is required | 必填
	// true
}
