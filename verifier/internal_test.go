package verifier

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"regexp"
	"strings"
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

func TestProofCacheUsableUntil(t *testing.T) {
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	pc := newProofCache(16, 5*time.Minute)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	for _, c := range []struct {
		name  string
		doc   map[string]any
		until time.Duration // from now; -1: not cacheable
	}{
		{"no dates", map[string]any{}, proofCacheMaxAge},
		{"old dates", map[string]any{"validFrom": at(-48 * time.Hour), "proof": map[string]any{"created": at(-48 * time.Hour)}}, proofCacheMaxAge},
		{"just created: only created-skew matters", map[string]any{"proof": map[string]any{"created": at(-10 * time.Second)}}, proofCacheMaxAge},
		{"created in the future, within the skew", map[string]any{"proof": map[string]any{"created": at(4*time.Minute + 30*time.Second)}}, -1},
		{"created far in the future: the answer holds until 55 minutes", map[string]any{"proof": map[string]any{"created": at(time.Hour)}}, proofCacheMaxAge},
		{"valid from in 8 minutes", map[string]any{"validFrom": at(8 * time.Minute)}, 2 * time.Minute},
		{"valid from in 6 minutes", map[string]any{"validFrom": at(6 * time.Minute)}, -1},
		{"valid from in 9 minutes", map[string]any{"validFrom": at(9 * time.Minute)}, 3 * time.Minute},
		{"valid until in 1 minute (+skew)", map[string]any{"validUntil": at(time.Minute)}, 5 * time.Minute},
		{"expired 4 minutes ago: within skew+margin", map[string]any{"validUntil": at(-4 * time.Minute)}, -1},
		{"expired long ago", map[string]any{"validUntil": at(-time.Hour)}, proofCacheMaxAge},
		{"proof expires soon", map[string]any{"proof": []any{map[string]any{"expires": at(-2 * time.Minute)}}}, 2 * time.Minute},
		{"1.1 dates", map[string]any{"issuanceDate": at(-time.Hour), "expirationDate": at(2 * time.Minute)}, 6 * time.Minute},
		{"unreadable date", map[string]any{"validFrom": "yesterday"}, -1},
		{"date of another type", map[string]any{"validUntil": 42}, -1},
		{"proof not an object", map[string]any{"proof": "x"}, -1},
	} {
		until, ok := pc.usableUntil(c.doc, now)
		switch {
		case c.until < 0 && ok:
			t.Errorf("%s: cacheable until %s, want not cacheable", c.name, until.Sub(now))
		case c.until >= 0 && (!ok || !until.Equal(now.Add(c.until))):
			t.Errorf("%s: until %s (%v), want %s", c.name, until.Sub(now), ok, c.until)
		}
	}
}

func TestKeysStillListed(t *testing.T) {
	is := &chain.Issuer{DID: "did:talent:a", Keys: []chain.IssuerKey{{ID: "did:talent:a#k1", PublicKeyMultibase: "z1"}, {ID: "did:talent:a#k2", PublicKeyMultibase: "z2"}}}
	for _, c := range []struct {
		methods, keys []string
		want          bool
	}{
		{[]string{"did:talent:a#k1"}, []string{"z1"}, true},
		{[]string{"did:talent:a#k2", "did:talent:a#k1"}, []string{"z2", "z1"}, true},
		{[]string{"did:talent:a#k1"}, []string{"z2"}, false},
		{[]string{"did:talent:a#k3"}, []string{"z1"}, false},
	} {
		if got := keysStillListed(is, c.methods, c.keys); got != c.want {
			t.Errorf("%v %v: %v, want %v", c.methods, c.keys, got, c.want)
		}
	}
}

// TestWithDocument: the document handed over in the context is used only
// for the very slice it was given for.
func TestWithDocument(t *testing.T) {
	raw := []byte(`{"id":"urn:uuid:a"}`)
	doc := map[string]any{"id": "urn:uuid:handed-over"}
	ctx := WithDocument(context.Background(), raw, doc)
	copyOf := append([]byte(nil), raw...)
	for _, c := range []struct {
		name string
		raw  []byte
		want string // the id openParsed reads
	}{
		{"the same slice", raw, "urn:uuid:handed-over"},
		{"equal bytes elsewhere", copyOf, "urn:uuid:a"},
		{"a prefix of the slice", raw[:len(raw)-1], ""},
	} {
		in, err := openParsed(c.raw, false, parsedDocument(ctx, c.raw))
		if c.want == "" {
			if err == nil {
				t.Errorf("%s: a cut document was read", c.name)
			}
			continue
		}
		if err != nil || in.Document["id"] != c.want {
			t.Errorf("%s: %v %v, want id %s", c.name, in, err, c.want)
		}
	}
	if parsedDocument(context.Background(), raw) != nil || WithDocument(context.Background(), nil, doc).Value(parsedKey{}) != nil {
		t.Error("a document from nowhere")
	}
}

// hexadecimalRegexp is validator's own rule for the tag "hexadecimal".
var hexadecimalRegexp = regexp.MustCompile(`^(0[xX])?[0-9a-fA-F]+$`)

func FuzzIsHexadecimal(f *testing.F) {
	for _, s := range []string{"", "0", "0x", "0X0", "0xg", "00", "x0", "abcDEF09", "0x0x1", "é", "0x\n", "1\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isHexadecimal(s), hexadecimalRegexp.MatchString(s); got != want {
			t.Fatalf("%q: %v, validator's rule %v", s, got, want)
		}
	})
}

func TestValidIssuerDID(t *testing.T) {
	good := chain.IssuerDID(make(ed25519.PublicKey, ed25519.PublicKeySize))
	if !chain.ValidIssuerDID(good) {
		t.Fatalf("%s is not valid", good)
	}
	cases := []string{good, "did:talent:", "did:talent:0OIl0OIl0OIl0OIl0O", "did:key:z6Mk", good + "x", ""}
	for i := range 2*maxValidDIDs + 10 { // past the bound: the set is emptied, answers stay right
		cases = append(cases, fmt.Sprintf("did:talent:%022d", i))
	}
	for round := range 2 {
		for _, s := range cases {
			if got, want := validIssuerDID(s), chain.ValidIssuerDID(s); got != want {
				t.Fatalf("round %d, %q: %v, want %v", round, s, got, want)
			}
		}
	}
	if validDIDCount.Load() > maxValidDIDs {
		t.Errorf("%d answers kept, bound %d", validDIDCount.Load(), maxValidDIDs)
	}
	// Outside input of any length reaches it (a credential's issuer): only
	// strings that could be a DID are remembered, so long ones take no memory.
	before := validDIDCount.Load()
	for _, s := range []string{"did:talent:" + strings.Repeat("x", 1<<20), strings.Repeat("y", 1<<20), "did:talent:" + strings.Repeat("1", 25)} {
		if validIssuerDID(s) {
			t.Fatalf("%.20s… is valid", s)
		}
	}
	if got := validDIDCount.Load(); got != before {
		t.Errorf("junk remembered: %d answers before, %d after", before, got)
	}
}
