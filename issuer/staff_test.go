package issuer

import (
	"bytes"
	"context"
	"errors"
	"testing"
)

func TestStaff(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a chain node")
	}
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{})
	a, b := e.org(t, "StaffA"), e.org(t, "StaffB")
	ctx := context.Background()
	const pw = "correct horse battery"
	if _, err := e.svc.AddStaff(ctx, a.DID, NewStaff{Username: "li.registrar", Name: "Li", Password: pw, Role: RoleRegistrar}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AddStaff(ctx, a.DID, NewStaff{Username: "li.registrar", Name: "Li 2", Password: pw, Role: RoleViewer}); !errors.Is(err, ErrConflict) {
		t.Fatalf("duplicate username: %v", err)
	}
	_, err := e.svc.AddStaff(ctx, a.DID, NewStaff{Username: "X", Password: "short", Role: "boss"})
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Fields) != 4 {
		t.Fatalf("invalid staff: %v", err)
	}
	tests := []struct {
		name, org, user, pw string
		want                error
	}{
		{"right password", a.DID, "li.registrar", pw, nil},
		{"wrong password", a.DID, "li.registrar", pw + "!", ErrUnauthenticated},
		{"other organisation", b.DID, "li.registrar", pw, ErrUnauthenticated},
		{"unknown user", a.DID, "nobody", pw, ErrUnauthenticated},
		{"bad username", a.DID, "../x", pw, ErrUnauthenticated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.svc.Login(ctx, tt.org, tt.user, tt.pw)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Login: %v, want %v", err, tt.want)
			}
			if err == nil && (p.Org != a.DID || !p.Can(ScopeIssue) || p.Actor() != "staff:li.registrar") {
				t.Fatalf("principal %+v", p)
			}
		})
	}
	entries, _ := e.svc.listAll(ctx, "staff/")
	for _, en := range entries {
		if bytes.Contains(en.Value, []byte(pw)) {
			t.Fatal("password stored in clear")
		}
	}
	if err := e.svc.DisableStaff(ctx, a.DID, "li.registrar"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(ctx, a.DID, "li.registrar", pw); !errors.Is(err, ErrUnauthenticated) {
		t.Fatalf("disabled: %v", err)
	}
	if st, err := e.svc.StaffOf(ctx, a.DID); err != nil || len(st) != 1 || !st[0].Disabled {
		t.Fatalf("staff list %+v %v", st, err)
	}
}
