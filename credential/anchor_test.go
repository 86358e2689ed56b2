package credential

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCanonicalJSON(t *testing.T) {
	cases := []struct{ in, want string }{
		{`{"b":1,"a":[true,null,"x"]}`, `{"a":[true,null,"x"],"b":1}`},
		{`{"s":"<&>\u2028"}`, "{\"s\":\"<&>\u2028\"}"},
		{`{"n":1.0,"m":1e21,"k":0.000001,"j":1e-7}`, `{"j":1e-7,"k":0.000001,"m":1e+21,"n":1}`},
		{`{"z":{"y":"中文","x":"\n"}}`, `{"z":{"x":"\n","y":"中文"}}`},
	}
	for _, c := range cases {
		var v any
		if err := json.Unmarshal([]byte(c.in), &v); err != nil {
			t.Fatal(err)
		}
		got, err := CanonicalJSON(v)
		if err != nil || string(got) != c.want {
			t.Errorf("CanonicalJSON(%s) = %s, want %s (%v)", c.in, got, c.want, err)
		}
	}
}

func TestAnchorReceipts(t *testing.T) {
	s, _ := NewSigner(MustLoader(), issuerKey)
	var docs []map[string]any
	var digests [][32]byte
	for i := 0; i < 7; i++ {
		d := degreeCredential(issuerKey.Controller)
		d["id"] = fmt.Sprintf("urn:uuid:00000000-0000-4000-8000-%012d", i)
		signed, err := s.SignCredential(d, sampleCreated)
		if err != nil {
			t.Fatal(err)
		}
		dg, err := CredentialDigest(signed)
		if err != nil {
			t.Fatal(err)
		}
		docs, digests = append(docs, signed), append(digests, dg)
	}
	b := NewBatch(digests)
	for i, d := range docs {
		r := b.Receipt(i)
		// Through JSON, as it travels.
		raw, _ := json.Marshal(r)
		var back AnchorReceipt
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		if err := back.Check(d); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		// The receipt of one credential does not fit another, nor an altered copy.
		if err := back.Check(docs[(i+1)%len(docs)]); err == nil {
			t.Fatalf("receipt %d accepted for another credential", i)
		}
		altered := deepCopy(d)
		altered["validFrom"] = "2020-01-01T00:00:00Z"
		if err := back.Check(altered); err == nil {
			t.Fatalf("receipt %d accepted for an altered credential", i)
		}
		forged := back
		forged.Root = strings.Repeat("ab", 32)
		if err := forged.Check(d); err == nil {
			t.Fatalf("receipt %d accepted with another root", i)
		}
	}
}

func TestBitstring(t *testing.T) {
	b := NewBitstring(MinStatusListBits)
	for _, i := range []int{0, 7, 8, 4242, MinStatusListBits - 1} {
		if err := b.Set(i, true); err != nil {
			t.Fatal(err)
		}
	}
	if b[0] != 0x81 {
		t.Fatalf("bit order: first byte %08b, want 10000001", b[0])
	}
	enc, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if len(enc) > 400 {
		t.Fatalf("a sparse list of 16 KiB encodes to %d characters", len(enc))
	}
	back, err := DecodeBitstring(enc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		i    int
		want bool
	}{{0, true}, {1, false}, {7, true}, {8, true}, {4242, true}, {4243, false}, {MinStatusListBits - 1, true}} {
		if got, err := back.Get(c.i); err != nil || got != c.want {
			t.Errorf("bit %d = %v (%v), want %v", c.i, got, err, c.want)
		}
	}
	if _, err := back.Get(MinStatusListBits); err == nil {
		t.Error("index beyond the list accepted")
	}
	// A gzip bomb (a huge run of zeros) is refused.
	big := NewBitstring(MaxStatusListBits + 8)
	bomb, _ := big.Encode()
	if _, err := DecodeBitstring(bomb); err == nil {
		t.Error("a list beyond the limit was decoded")
	}
	for _, bad := range []string{"", "u", "zabc", "u!!!", "uAAAA"} {
		if _, err := DecodeBitstring(bad); err == nil {
			t.Errorf("DecodeBitstring(%q) accepted", bad)
		}
	}
}

// TestCredentialWithStatusSigns checks that a credentialStatus entry is fully
// defined by the VC v2 context (nothing dropped) and survives signing.
func TestCredentialWithStatusSigns(t *testing.T) {
	d := degreeCredential(issuerKey.Controller)
	d["credentialStatus"] = []any{
		NewStatusEntry("https://uni.example/status/1", StatusRevocation, 4242).Map(),
		NewStatusEntry("https://uni.example/status/2", StatusSuspension, 4242).Map(),
	}
	s, _ := NewSigner(MustLoader(), issuerKey)
	signed, err := s.SignCredential(d, sampleCreated)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := StatusEntries(signed)
	if err != nil || len(entries) != 2 || entries[0].Index() != 4242 || entries[1].StatusPurpose != StatusSuspension {
		t.Fatalf("entries %+v %v", entries, err)
	}
}

func FuzzDecodeBitstring(f *testing.F) {
	b := NewBitstring(MinStatusListBits)
	b.Set(3, true)
	enc, _ := b.Encode()
	f.Add(enc)
	f.Add("uH4sIAAAAAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		bs, err := DecodeBitstring(s)
		if err == nil && bs.Len() > MaxStatusListBits {
			t.Fatalf("decoded %d bits", bs.Len())
		}
	})
}
