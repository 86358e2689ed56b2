package verifier

import (
	"errors"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
)

func TestOpenEnvelope(t *testing.T) {
	for _, c := range []struct {
		name, raw    string
		presentation bool
		mediaType    string // "" = refused with ErrMalformed
		payload      string
	}{
		{"JSON-LD credential", `{"type":"VerifiableCredential"}`, false, MediaTypeVC, `{"type":"VerifiableCredential"}`},
		{"JSON-LD presentation", ` {"type":"VerifiablePresentation"} `, true, MediaTypeVP, `{"type":"VerifiablePresentation"}`},
		{"enveloped VC-JWT", `{"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,a.b.c"}`, false, MediaTypeVCJWT, "a.b.c"},
		{"enveloped SD-JWT, base64", `{"type":["EnvelopedVerifiableCredential"],"id":"data:application/vc+sd-jwt;base64,YS5iLmN+ZA=="}`, false, MediaTypeVCSDJWT, "a.b.c~d"},
		{"enveloped, percent-encoded", `{"type":"EnvelopedVerifiableCredential","id":"data:Application/VC+JWT,a.b%2Ec"}`, false, MediaTypeVCJWT, "a.b.c"},
		{"enveloped presentation", `{"type":"EnvelopedVerifiablePresentation","id":"data:application/vp+jwt,a.b.c"}`, true, MediaTypeVPJWT, "a.b.c"},
		{"bare JWT", "eyJ.eyJ.sig", false, MediaTypeVCJWT, "eyJ.eyJ.sig"},
		{"JWT in a JSON string", `"eyJ.eyJ.sig"`, false, MediaTypeVCJWT, "eyJ.eyJ.sig"},
		{"bare VP-JWT", "eyJ.eyJ.sig", true, MediaTypeVPJWT, "eyJ.eyJ.sig"},
		{"SD-JWT with key binding", "eyJ.eyJ.sig~WyJ~eyJ.eyJ.kb", true, MediaTypeVCSDJWT, "eyJ.eyJ.sig~WyJ~eyJ.eyJ.kb"},
		{"empty", "  ", false, "", ""},
		{"not JSON", "{nope", false, "", ""},
		{"a number", "42", false, "", ""},
		{"a JWT with spaces", "a b.c.d", false, "", ""},
		{"one dot", "a.b", false, "", ""},
		{"envelope with an https id", `{"type":"EnvelopedVerifiableCredential","id":"https://x/y"}`, false, "", ""},
		{"envelope without media type", `{"type":"EnvelopedVerifiableCredential","id":"data:,a.b.c"}`, false, "", ""},
		{"envelope with bad base64", `{"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt;base64,@@"}`, false, "", ""},
		{"envelope empty", `{"type":"EnvelopedVerifiableCredential","id":"data:application/vc+jwt,"}`, false, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, err := openEnvelope([]byte(c.raw), c.presentation)
			if c.mediaType == "" {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %+v, %v; want ErrMalformed", in, err)
				}
				return
			}
			if err != nil || in.MediaType != c.mediaType || string(in.Payload) != c.payload {
				t.Fatalf("got %+v, %v", in, err)
			}
		})
	}
}

func TestChainList(t *testing.T) {
	const did = "did:talent:RLmk4n3GArSXjAFNSfSsxY"
	talent := facts{issuer: did, talent: true}
	for _, c := range []struct {
		name, url string
		f         facts
		list      string // "" = not a chain list
	}{
		{"ours", "https://issuer.example.edu.cn/status/" + did + "/rev-0", talent, "rev-0"},
		{"ours under a base path", "http://10.0.0.1:8080/api/status/" + did + "/sus-3", talent, "sus-3"},
		{"another issuer's list", "https://issuer.example.edu.cn/status/did:talent:2ksjZD4oqqovgv54gtSRrp/rev-0", talent, ""},
		{"a did:key issuer", "https://x.example/status/did:key:z6Mk/rev-0", facts{issuer: "did:key:z6Mk"}, ""},
		{"another path", "https://x.example/lists/" + did + "/rev-0", talent, ""},
		{"a query", "https://x.example/status/" + did + "/rev-0?x=1", talent, ""},
		{"not http", "ftp://x.example/status/" + did + "/rev-0", talent, ""},
		{"no host", "https:///status/" + did + "/rev-0", talent, ""},
		{"not a URL", "%%%", talent, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, list, ok := chainList(c.url, c.f)
			if ok != (c.list != "") || list != c.list {
				t.Fatalf("got %q, %v", list, ok)
			}
		})
	}
}

func TestTTLCache(t *testing.T) {
	c := newTTLCache[int](3)
	now := time.Unix(1000, 0)
	c.put("a", 1, nil, time.Second, now)
	c.put("forever", 2, nil, 0, now)
	c.put("miss", 0, chain.ErrNotFound, time.Second, now)
	c.put("never", 9, nil, -1, now)
	if v, err, ok := c.get("a", now.Add(999*time.Millisecond)); !ok || v != 1 || err != nil {
		t.Fatal("a not cached")
	}
	if _, _, ok := c.get("a", now.Add(time.Second)); ok {
		t.Fatal("a outlived its TTL")
	}
	if _, err, ok := c.get("miss", now); !ok || !errors.Is(err, chain.ErrNotFound) {
		t.Fatal("not-found not cached")
	}
	if _, _, ok := c.get("never", now); ok {
		t.Fatal("a negative TTL was cached")
	}
	// Full: expired entries go first, then everything.
	c.put("b", 3, nil, time.Second, now.Add(2*time.Second))
	if _, _, ok := c.get("forever", now.Add(time.Hour)); !ok {
		t.Fatal("the eviction of expired entries dropped a live one")
	}
	c.put("c", 4, nil, time.Second, now.Add(2*time.Second))
	c.put("d", 5, nil, time.Second, now.Add(2*time.Second))
	if len(c.m) > 3 {
		t.Fatalf("cache holds %d > 3", len(c.m))
	}
}
