package chain

import "testing"

func TestAccreditationAtHeight(t *testing.T) {
	a := &Accreditation{Grants: []Grant{
		{Levels: []string{"bachelor"}, GrantedHeight: 10, WithdrawnHeight: 20},
		{Levels: []string{"master"}, GrantedHeight: 20, WithdrawnHeight: 30},
		{Levels: []string{"doctor"}, GrantedHeight: 40},
	}}
	for _, c := range []struct {
		name  string
		h     int64
		level string // "" = not accredited
	}{
		{"before the first grant", 9, ""},
		{"at the first grant", 10, "bachelor"},
		{"inside the first grant", 19, "bachelor"},
		{"re-accredited in the same block", 20, "master"},
		{"last block of the second grant", 29, "master"},
		{"withdrawn at 30", 30, ""},
		{"gap", 35, ""},
		{"open grant", 40, "doctor"},
		{"long after", 1 << 40, "doctor"},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, ok := a.AtHeight(c.h)
			switch {
			case c.level == "" && ok:
				t.Fatalf("accredited at %d: %+v", c.h, g)
			case c.level != "" && (!ok || g.Levels[0] != c.level):
				t.Fatalf("at %d: %+v, %v; want %s", c.h, g, ok, c.level)
			}
		})
	}
	if _, ok := (&Accreditation{}).AtHeight(5); ok {
		t.Fatal("an empty history is accredited")
	}
}
