// Package i18n holds the two languages of the web pages, Simplified Chinese
// and English: which one a request wants, the message catalogue, and how each
// language writes dates and people's names.
//
// The language is chosen, in order, by the ?lang= query parameter (which the
// language switch sets and the server remembers in a cookie), the tc_lang
// cookie, then the Accept-Language header; Chinese is the default, as most
// users are in Beijing.
package i18n

import (
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Lang is a page language.
type Lang string

// The languages of the pages.
const (
	ZH Lang = "zh"
	EN Lang = "en"
)

// Cookie is the name of the cookie that remembers the choice.
const Cookie = "tc_lang"

// Parse returns the language named by s ("zh", "zh-CN", "en", "en-GB", ...).
func Parse(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "zh" || strings.HasPrefix(s, "zh-"):
		return ZH, true
	case s == "en" || strings.HasPrefix(s, "en-"):
		return EN, true
	}
	return "", false
}

// Detect returns the language r asks for, and whether it came from the
// query (so the caller should remember it in the cookie).
func Detect(r *http.Request) (lang Lang, fromQuery bool) {
	if l, ok := Parse(r.URL.Query().Get("lang")); ok {
		return l, true
	}
	if c, err := r.Cookie(Cookie); err == nil {
		if l, ok := Parse(c.Value); ok {
			return l, false
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag, _, _ := strings.Cut(part, ";")
		if l, ok := Parse(tag); ok {
			return l, false
		}
	}
	return ZH, false
}

// Remember sets the cookie that keeps lang for a year.
func Remember(w http.ResponseWriter, lang Lang, secure bool) {
	http.SetCookie(w, &http.Cookie{
		Name: Cookie, Value: string(lang), Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	})
}

// HTML returns the value of the html lang attribute.
func (l Lang) HTML() string {
	if l == EN {
		return "en"
	}
	return "zh-CN"
}

// Other returns the language the switch offers.
func (l Lang) Other() Lang {
	if l == EN {
		return ZH
	}
	return EN
}

// Name returns the language's own name, for the switch.
func (l Lang) Name() string {
	if l == EN {
		return "English"
	}
	return "中文"
}

// T returns the message key in l. A key missing from the catalogue is
// returned as it is (and caught by the catalogue test).
func (l Lang) T(key string) string {
	m, ok := catalogue[key]
	if !ok {
		return key
	}
	if l == EN {
		return m.en
	}
	return m.zh
}

// F formats the message key in l with args (fmt verbs).
func (l Lang) F(key string, args ...any) string {
	return fmt.Sprintf(l.T(key), args...)
}

// Pick returns zh or en by l: for text that comes with both, such as the
// verifier's step messages.
func (l Lang) Pick(zh, en string) string {
	if l == EN || zh == "" {
		if en != "" {
			return en
		}
	}
	if zh == "" {
		return en
	}
	return zh
}

// Beijing is China Standard Time, UTC+8 all year (no daylight saving).
var Beijing = time.FixedZone("CST", 8*3600)

// display is the time zone pages show times in.
var display atomic.Pointer[time.Location]

func init() { display.Store(Beijing) }

// SetLocation sets the time zone every page shows times in (Beijing time
// by default); nil restores the default. Call it once at start-up.
func SetLocation(loc *time.Location) {
	if loc == nil {
		loc = Beijing
	}
	display.Store(loc)
}

// Location returns the time zone pages show times in.
func Location() *time.Location { return display.Load() }

// Date formats t as a date: 2026年11月24日 or 24 November 2026. A zero time
// is "—".
func (l Lang) Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(Location())
	if l == EN {
		return t.Format("2 January 2006")
	}
	return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
}

// DateTime formats t with minutes: 2026年11月24日 14:05 or 24 Nov 2026, 14:05.
func (l Lang) DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(Location())
	if l == EN {
		return t.Format("2 Jan 2006, 15:04")
	}
	return fmt.Sprintf("%d年%d月%d日 %s", t.Year(), int(t.Month()), t.Day(), t.Format("15:04"))
}

// Month formats a month for chart axes: 2026年11月 or Nov 2026.
func (l Lang) Month(t time.Time) string {
	t = t.In(Location())
	if l == EN {
		return t.Format("Jan 2006")
	}
	return fmt.Sprintf("%d年%d月", t.Year(), int(t.Month()))
}

// Name writes a person's name the way l expects: a name in Chinese script
// is written family name first with no space in either language; a Latin
// name given as family and given parts is "Given Family" in English and
// "Family Given" in Chinese.
func (l Lang) PersonName(family, given string) string {
	family, given = strings.TrimSpace(family), strings.TrimSpace(given)
	switch {
	case family == "":
		return given
	case given == "":
		return family
	case isHan(family) || isHan(given):
		return family + given
	case l == EN:
		return given + " " + family
	default:
		return family + " " + given
	}
}

func isHan(s string) bool {
	for _, r := range s {
		if r >= 0x3400 && r <= 0x9FFF || r >= 0x20000 && r <= 0x2FFFF {
			return true
		}
	}
	return false
}
