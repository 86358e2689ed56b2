package main

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// consoleUser is a browser-like client signed in to the console (/login)
// as staff, verifier or governance, with the form token of its session.
type consoleUser struct {
	name string
	c    *http.Client
	csrf string
	base string
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// consoleLogin signs in through the sign-in form, as a browser does.
func consoleLogin(t *testing.T, base, name string, form url.Values, home string) *consoleUser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	u := &consoleUser{name: name, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := u.do(t, "GET", "/login", nil)
	m := csrfField.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form token on the sign-in page")
	}
	form.Set("csrf", m[1])
	st, _ := u.do(t, "POST", "/login", form)
	if st != http.StatusSeeOther {
		t.Fatalf("%s: sign-in answered %d", name, st)
	}
	st, page = u.do(t, "GET", home, nil)
	if st != http.StatusOK {
		t.Fatalf("%s: %s answered %d after sign-in", name, home, st)
	}
	if m = csrfField.FindStringSubmatch(page); m == nil {
		t.Fatalf("%s: no form token on %s", name, home)
	}
	u.csrf = m[1]
	return u
}

func (u *consoleUser) do(t *testing.T, method, path string, form url.Values) (int, string) {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequestWithContext(t.Context(), method, u.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := u.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// TestConsoleAuthorisation is the authorisation matrix of the HTML
// consoles with their own sessions: staff of issuer X, staff of issuer Y,
// a verifier and the governance office, each signed in through /login.
// Each console is its role's alone (403 for the others, decided before any
// record is read), and staff of Y cannot see or change X's credentials and
// batches (404, nothing changed).
func TestConsoleAuthorisation(t *testing.T) {
	f := newAuthzFixture(t)
	n := f.n
	for _, s := range []struct{ did, user string }{{f.xDID, "staff-x"}, {f.yDID, "staff-y"}} {
		if st := n.call(t, "POST", "/admin/orgs/"+s.did+"/staff", n.admin, map[string]any{
			"username": s.user, "name": s.user, "password": "correct horse battery 42", "role": "registrar",
		}, nil); st != http.StatusCreated {
			t.Fatalf("add staff %s: %d", s.user, st)
		}
	}
	staff := func(did, user string) url.Values {
		return url.Values{"role": {"staff"}, "org": {did}, "username": {user}, "password": {"correct horse battery 42"}}
	}
	users := []*consoleUser{
		consoleLogin(t, n.base, "staffX", staff(f.xDID, "staff-x"), "/org"),
		consoleLogin(t, n.base, "staffY", staff(f.yDID, "staff-y"), "/org"),
		consoleLogin(t, n.base, "verifier", url.Values{"role": {"verifier"}, "token": {f.vTok}}, "/hr"),
		consoleLogin(t, n.base, "gov", url.Values{"role": {"gov"}, "token": {n.admin}}, "/gov"),
	}
	owner := map[string][]string{"/org": {"staffX", "staffY"}, "/hr": {"verifier"}, "/gov": {"gov"}}
	// X's own records: staff of Y are told they do not exist.
	xOnly := map[string]bool{
		"GET /org/credentials/{id}": true, "GET /org/batches/{id}": true,
		"GET /org/batches/{id}/progress": true, "GET /org/batches/{id}/results": true,
		"POST /org/credentials/{id}/status": true, "POST /org/credentials/{id}/offer": true,
		"POST /org/batches/{id}/start": true, "POST /org/batches/{id}/cancel": true,
	}
	cells := 0
	for _, route := range registeredRoutes(t) {
		method, pattern, _ := strings.Cut(route, " ")
		area := ""
		for prefix := range owner {
			if pattern == prefix || strings.HasPrefix(pattern, prefix+"/") {
				area = prefix
			}
		}
		if area == "" {
			continue
		}
		path := f.path(route)
		for _, u := range users {
			var form url.Values
			if method == "POST" {
				form = url.Values{"csrf": {u.csrf}}
				if route == "POST /org/credentials/{id}/status" && u.name == "staffY" { // a complete form: only ownership stops it
					form.Set("status", "revoked")
					form.Set("reason", "authorisation test")
				}
			}
			st, body := u.do(t, method, path, form)
			cells++
			mine := strings.Contains(strings.Join(owner[area], ","), u.name)
			switch {
			case !mine && st != http.StatusForbidden:
				t.Errorf("%s as %s: %d, want 403 (another role's console)", route, u.name, st)
			case mine && u.name == "staffY" && route == "GET /org/batches/{id}/progress" && st == http.StatusSeeOther:
				// without the fragment header: sent to the batch page, a 404 for Y (above)
			case mine && u.name == "staffY" && xOnly[route] && st != http.StatusNotFound:
				t.Errorf("%s as staff of another issuer: %d, want 404: %.200s", route, st, body)
			case mine && (st == http.StatusUnauthorized || st == http.StatusForbidden || st >= 500 ||
				st == http.StatusSeeOther && strings.Contains(body, "/login")):
				t.Errorf("%s as %s: %d, want it let through: %.200s", route, u.name, st, body)
			}
		}
	}
	if cells < 100 {
		t.Fatalf("only %d console requests: the route reader or the areas are broken", cells)
	}
	// Y's refused revocation changed nothing: X's credential is still active.
	var rec struct {
		Status string `json:"status"`
	}
	if st := n.call(t, "GET", "/credentials/"+url.PathEscape(f.credID), f.xTok, nil, &rec); st != 200 || rec.Status != "active" {
		t.Fatalf("X's credential after the console matrix: %d %+v", st, rec)
	}
	t.Logf("console authorisation: %d requests by 4 console roles", cells)

	// A staff member disabled and a verifier account revoked after signing
	// in lose their console at the next request, as their API tokens would.
	if err := n.app.issuer.DisableStaff(t.Context(), f.xDID, "staff-x"); err != nil {
		t.Fatal(err)
	}
	var accts struct {
		Verifiers []struct{ ID, Name string } `json:"verifiers"`
	}
	n.call(t, "GET", "/admin/verifiers", n.admin, nil, &accts)
	for _, a := range accts.Verifiers {
		if a.Name == "甲HR" {
			if st := n.call(t, "DELETE", "/admin/verifiers/"+a.ID, n.admin, nil, nil); st != http.StatusNoContent && st != http.StatusOK {
				t.Fatalf("revoke verifier: %d", st)
			}
		}
	}
	for _, c := range []struct {
		u    *consoleUser
		path string
	}{{users[0], "/org"}, {users[2], "/hr"}} {
		st, body := c.u.do(t, "GET", c.path, nil)
		if st != http.StatusSeeOther || !strings.Contains(body, "/login") {
			t.Errorf("%s after being disabled: %d, want sent to sign in: %.200s", c.u.name, st, body)
		}
		if st, _ := c.u.do(t, "POST", c.path+"/credentials/x/status", url.Values{"csrf": {c.u.csrf}}); st != http.StatusUnauthorized && st != http.StatusNotFound {
			t.Errorf("%s POST after being disabled: %d", c.u.name, st)
		}
		// The session itself is gone: the sign-in page they are sent to
		// shows nobody signed in.
		if _, page := c.u.do(t, "GET", "/login", nil); strings.Contains(page, `action="/logout"`) {
			t.Errorf("%s after being disabled: the sign-in page still shows them signed in", c.u.name)
		}
	}
	if st, _ := users[1].do(t, "GET", "/org", nil); st != http.StatusOK {
		t.Errorf("staff of Y, still enabled: %d", st)
	}
}
