package credential

import "time"

// VerifyOptions are what the verifier expects of a credential or presentation.
type VerifyOptions struct {
	// Challenge is the nonce the verifier gave the holder. Required to verify a
	// presentation; the presentation proof must carry exactly this value.
	Challenge string `json:"challenge,omitempty" validate:"omitempty,max=512"`
	// Domain is the verifier's domain. When set, the presentation proof must carry
	// exactly this value.
	Domain string `json:"domain,omitempty" validate:"omitempty,max=512"`
	// Now is the time validity periods are checked against; zero means the
	// verifier's clock.
	Now time.Time `json:"-"`
}
