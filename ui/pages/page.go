// Package pages holds the templ components of the web pages: the layout
// shared by every page, and the view models the handlers in package ui fill.
// Components only render what they are given; they never call a service.
//
// Every text goes through the page's language (i18n.Lang.T), so each page
// exists in Simplified Chinese and English. Pages carry no inline script or
// style (the Content-Security-Policy forbids both): the look is
// /static/app.css and the progressive enhancements /static/app.js, and every
// form works without JavaScript.
package pages

import (
	"net/url"

	"github.com/talentchain/talentchain/ui/i18n"
)

// Roles of a signed-in user.
const (
	RoleHolder   = "holder"
	RoleStaff    = "staff"
	RoleVerifier = "verifier"
	RoleGov      = "gov"
)

// User is who is signed in, as the layout shows it.
type User struct {
	Role string // one of the Role constants
	Name string // shown in the header
	Org  string // the organisation's id (staff) or the verifier account (verifier)
}

// Page is what the layout needs of every page.
type Page struct {
	Lang  i18n.Lang
	Title string
	// Path is the request's path and query, for the language switch.
	Path string
	// User is nil when nobody is signed in.
	User *User
	// CSRF is the session's form token, put in every form that changes
	// something (CSRFField).
	CSRF string
	// Flash is a one-line confirmation shown above the content ("Credential
	// revoked."), Alert an error with what to do next.
	Flash string
	Alert *Alert
}

// Alert is an error shown on a page: what happened and what to do next.
type Alert struct {
	Message  string
	Next     string // the next step, in words
	NextHref string // optional link for the next step
	NextText string
}

// T is a shorthand for p.Lang.T.
func (p Page) T(key string) string { return p.Lang.T(key) }

// SwitchHref returns the current page in the other language.
func (p Page) SwitchHref() string {
	u, err := url.Parse(p.Path)
	if err != nil || p.Path == "" {
		u = &url.URL{Path: "/"}
	}
	q := u.Query()
	q.Set("lang", string(p.Lang.Other()))
	u.RawQuery = q.Encode()
	return u.RequestURI()
}

// Is reports whether the signed-in user has role.
func (p Page) Is(role string) bool { return p.User != nil && p.User.Role == role }

// StateClass returns the CSS class of a check state ("pass", "warn",
// "fail", "skip").
func StateClass(state string) string {
	switch state {
	case "pass", "warn", "fail":
		return "state state-" + state
	}
	return "state state-skip"
}

// StatusClass returns the CSS class of a credential status badge.
func StatusClass(status string) string {
	switch status {
	case "valid":
		return "badge badge-ok"
	case "suspended", "pending", "expired":
		return "badge badge-warn"
	case "revoked":
		return "badge badge-bad"
	}
	return "badge"
}
