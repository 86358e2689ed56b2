package sdjwt

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// KeyBinding is what a holder needs to bind a presentation to a verifier's
// request: the holder's key (the one in cnf) and the verifier's audience and
// nonce.
type KeyBinding struct {
	// Signer signs with the holder's private key.
	Signer *jose.Signer `validate:"required"`
	// Audience is the verifier (aud), Nonce its challenge (nonce).
	Audience string `validate:"required,max=512"`
	Nonce    string `validate:"required,max=512"`
	// IssuedAt is iat; zero means now.
	IssuedAt time.Time
}

// Present returns a presentation of the SD-JWT issued (as the holder received
// it, with every disclosure) that discloses only the claims at the given JSON
// Pointers, and, when kb is not nil, ends with a Key Binding JWT.
//
// A pointer selects the disclosure of that claim, the disclosures of the
// claims it holds (a whole object or array), and the disclosures of the
// objects and arrays on the way to it, without which it could not be reached.
// Pointers index arrays as issued. A pointer to a claim that does not exist is
// refused (ErrDisclosure); one to an always-visible claim selects nothing.
// The holder's SD-JWT is not verified here: the holder verifies it when it
// is received.
func Present(issued string, pointers []string, kb *KeyBinding) (string, error) {
	sd, err := Parse(issued)
	if err != nil {
		return "", err
	}
	if sd.KeyBinding != nil {
		return "", malformed("the SD-JWT to present already ends with a key binding JWT")
	}
	payload, err := sd.JWT.Claims()
	if err != nil {
		return "", err
	}
	pr, err := process(payload, sd.Disclosures)
	if err != nil {
		return "", err
	}
	var keep []*Disclosure
	for _, p := range pointers {
		if _, err := lookup(pr.claims, p); err != nil {
			return "", fmt.Errorf("%w: %s: %v", ErrDisclosure, p, err)
		}
	}
	for _, d := range sd.Disclosures {
		dp := pr.paths[d.Digest()]
		if slices.ContainsFunc(pointers, func(p string) bool { return related(dp, p) }) {
			keep = append(keep, d)
		}
	}
	jwt := sd.Raw[:strings.IndexByte(sd.Raw, '~')]
	out := compose(jwt, keep)
	if kb == nil {
		return out, nil
	}
	return bind(out, kb)
}

// related reports whether the disclosure at dp must be presented for the
// claim at p: it is the claim, inside it, or on the way to it.
func related(dp, p string) bool {
	return dp == p || strings.HasPrefix(dp, p+"/") || strings.HasPrefix(p, dp+"/")
}

// Bind appends a Key Binding JWT to a presentation "<JWT>~<D1>~...~<Dn>~".
func Bind(presentation string, kb *KeyBinding) (string, error) {
	if !strings.HasSuffix(presentation, "~") {
		return "", malformed("a presentation to bind ends with '~'")
	}
	if _, err := Parse(presentation); err != nil {
		return "", err
	}
	return bind(presentation, kb)
}

func bind(sdPart string, kb *KeyBinding) (string, error) {
	if err := validate.Struct(kb); err != nil {
		return "", fmt.Errorf("%w: key binding: %v", ErrInvalid, err)
	}
	iat := kb.IssuedAt
	if iat.IsZero() {
		iat = time.Now()
	}
	claims := map[string]any{
		"iat":     iat.Unix(),
		"aud":     kb.Audience,
		"nonce":   kb.Nonce,
		"sd_hash": Digest(sdPart),
	}
	jwt, err := kb.Signer.SignJSON(map[string]any{"typ": TypeKB}, claims)
	if err != nil {
		return "", fmt.Errorf("sign key binding JWT: %w", err)
	}
	return sdPart + jwt, nil
}
