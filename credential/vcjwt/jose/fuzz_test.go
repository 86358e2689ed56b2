package jose

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary compact strings to Parse: it must never panic, and
// whatever it accepts has an allowed algorithm and re-verifies deterministically.
func FuzzParse(f *testing.F) {
	f.Add("eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg")
	f.Add(hdr(`{"alg":"none"}`) + ".e30.")
	f.Add(hdr(`{"alg":"ES256","crit":[]}`) + ".e30.AA")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		j, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrAlgorithm) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if a := j.Alg(); a != AlgEdDSA && a != AlgES256 {
			t.Fatalf("accepted alg %q", a)
		}
		_, _ = j.Claims()
	})
}

// FuzzParseJSON checks the strict JSON decoder never panics and only fails
// with ErrMalformed.
func FuzzParseJSON(f *testing.F) {
	f.Add([]byte(`{"a":[1,2,{"b":"c"}]}`))
	f.Add([]byte(`{"a":1,"a":2}`))
	f.Add([]byte(`["salt","name",{"_sd":["x"]}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if _, err := ParseJSON(b); err != nil && !errors.Is(err, ErrMalformed) {
			t.Fatalf("unexpected error kind: %v", err)
		}
	})
}
