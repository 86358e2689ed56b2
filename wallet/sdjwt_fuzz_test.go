package wallet

import (
	"fmt"
	"strings"
	"testing"
)

// FuzzPointerOf turns arbitrary field paths (a verifier's definition, via
// the matcher) into JSON Pointers into a credential's claims: never a
// panic; a pointer always starts with "/" and names at least one member.
func FuzzPointerOf(f *testing.F) {
	for _, s := range []string{"$['degree']['level']", `$['a\'b'][0]`, `$['\u00e9']`, "$[", "$['", `$['\u12`, "$..level", "$['list'][-1]"} {
		f.Add(s)
	}
	doc := map[string]any{"degree": map[string]any{"level": "master"}, "a'b": []any{"x"}, "é": 1.0, "list": []any{1.0, 2.0}, "": "empty"}
	f.Fuzz(func(t *testing.T, path string) {
		p, err := pointerOf(path, doc)
		if err == nil && (!strings.HasPrefix(p, "/") || len(p) < 2 && p != "/") {
			t.Fatalf("pointerOf(%q) = %q", path, p)
		}
	})
}

// FuzzOfferReference reads arbitrary offer links: never a panic, and a
// reference is only returned for a link that carries nothing else.
func FuzzOfferReference(f *testing.F) {
	f.Add("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example%2Foid4vci%2Foffers%2Fabc")
	f.Add("openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=x")
	f.Add(`{"credential_issuer":"x"}`)
	f.Fuzz(func(t *testing.T, link string) {
		if ref := OfferReference(link); ref != "" && strings.Contains(link, "credential_offer=") {
			t.Fatalf("a reference %q from a link with the offer by value", ref)
		}
	})
}

// A wallet reads the credential_offer_uri of a QR code that carries its
// offer by reference (AcceptOffer then fetches it once).
func ExampleOfferReference() {
	fmt.Println(OfferReference("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.edu.cn%2Foid4vci%2Foffers%2Fq1w2e3"))
	fmt.Println(OfferReference(`{"credential_issuer":"https://issuer.example.edu.cn"}`) == "")
	// Output:
	// https://issuer.example.edu.cn/oid4vci/offers/q1w2e3
	// true
}
