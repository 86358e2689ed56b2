package credential

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// fastParseCases are inputs at the edges of the JSON grammar and of
// ParseDocument's rules.
var fastParseCases = []string{
	`{}`, ` {"a":1} `, "{\"a\":\t[1, 2.5, -0, 1e3, 1E-2, -1.5e+2]}\n", `{"a":{"b":{"c":null}},"d":true,"e":false}`,
	`{"a":"\u00e9\ud83d\ude00\n\"\\\/"}`, `{"a":"\ud800"}`, `{"a":"\udc00\ud800x"}`, "{\"a\":\"\xff\xfe\"}", "{\"\xc3\":1}",
	`{"a":"é中文"}`, `{"a":1,"a":2}`, `{"a":1,}`, `{"a":[1,]}`, `{"a":01}`, `{"a":.5}`, `{"a":1.}`, `{"a":1e}`, `{"a":+1}`,
	`{"a":-}`, `{"a":1e400}`, `{"a":-1e400}`, `{"a":1e-400}`, `{"a":tru}`, `{"a":truex}`, `{"a":nul}`, `{"a":NaN}`,
	`{"a":Infinity}`, `{"a":0x10}`, `{"a":"x"} {}`, `{"a":"x"}x`, `[1]`, `"x"`, `1`, ``, ` `, `{`, `{"a"`, `{"a":`, `{"a" 1}`,
	"{\"a\":\"\x01\"}", "{\"a\":\"\x7f\"}", `{"a":"\x"}`, `{"a":"\u12"}`, `{"a":"unterminated}`, "\ufeff{}", `{"":""}`,
	`{"a":[[[[[]]]]],"b":[{}]}`, `{"a" : "b" , "c" : [ 1 , 2 ] }`, `{"a":1_000}`, `{"a":"\u0000"}`,
	strings.Repeat(`{"a":`, 64) + `1` + strings.Repeat(`}`, 64), strings.Repeat(`{"a":`, 65) + `1` + strings.Repeat(`}`, 65),
	`{"a":` + strings.Repeat(`[`, 64) + strings.Repeat(`]`, 64) + `}`, `{"a":` + strings.Repeat(`[`, 63) + `1` + strings.Repeat(`]`, 63) + `}`,
}

// checkFastParse asserts the fast reader's contract on one input: when it
// accepts, the reference accepts with a deep-equal result.
func checkFastParse(t *testing.T, in []byte) {
	t.Helper()
	fast, ok := parseFast(in)
	ref, err := parseReference(in)
	if ok && err != nil {
		t.Fatalf("%q: the fast reader accepts what the reference refuses (%v)", in, err)
	}
	if ok && !reflect.DeepEqual(fast, ref) {
		t.Fatalf("%q:\nfast %#v\nref  %#v", in, fast, ref)
	}
	got, gerr := ParseDocument(in)
	if (gerr == nil) != (err == nil) || !reflect.DeepEqual(got, ref) || (gerr != nil && gerr.Error() != err.Error()) {
		t.Fatalf("%q: ParseDocument %v %v, reference %v %v", in, got, gerr, ref, err)
	}
}

func TestParseFastMatchesReference(t *testing.T) {
	accepted := 0
	for _, c := range fastParseCases {
		checkFastParse(t, []byte(c))
		if _, ok := parseFast([]byte(c)); ok {
			accepted++
		}
	}
	files, _ := filepath.Glob("testdata/*/*.json")
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checkFastParse(t, b)
		if _, ok := parseFast(b); !ok {
			if _, err := parseReference(b); err == nil {
				t.Errorf("%s: a valid document the fast reader leaves to the reference", f)
			}
		}
	}
	if accepted < 15 || len(files) < 50 {
		t.Fatalf("%d cases accepted, %d files", accepted, len(files))
	}
}

// FuzzParseFastMatchesReference: whatever the fast reader accepts, the
// encoding/json reference accepts with the same value.
func FuzzParseFastMatchesReference(f *testing.F) {
	for _, c := range fastParseCases {
		f.Add([]byte(c))
	}
	addSeeds(f, "testdata/forged/*.json")
	f.Fuzz(func(t *testing.T, b []byte) {
		checkFastParse(t, b)
	})
}
