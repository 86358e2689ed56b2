package i18n

import (
	"net/http/httptest"
	"testing"
	"time"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name, url, cookie, accept string
		want                      Lang
		fromQuery                 bool
	}{
		{"default is Chinese", "/", "", "", ZH, false},
		{"accept-language English", "/", "", "en-GB,en;q=0.9", EN, false},
		{"accept-language first match wins", "/", "", "fr, zh-CN;q=0.8, en;q=0.5", ZH, false},
		{"cookie beats header", "/", "en", "zh-CN", EN, false},
		{"query beats cookie", "/?lang=zh", "en", "en", ZH, true},
		{"unknown query ignored", "/?lang=fr", "en", "", EN, false},
		{"garbage cookie ignored", "/", "<script>", "en", EN, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.url, nil)
			if tt.cookie != "" {
				r.Header.Set("Cookie", Cookie+"="+tt.cookie)
			}
			if tt.accept != "" {
				r.Header.Set("Accept-Language", tt.accept)
			}
			got, fq := Detect(r)
			if got != tt.want || fq != tt.fromQuery {
				t.Fatalf("Detect = %s,%v want %s,%v", got, fq, tt.want, tt.fromQuery)
			}
		})
	}
}

func TestFormats(t *testing.T) {
	// 01:05 UTC is 09:05 in Beijing, where pages show times by default.
	d := time.Date(2026, 7, 1, 1, 5, 0, 0, time.UTC)
	tests := []struct{ got, want string }{
		{ZH.Date(d), "2026年7月1日"},
		{EN.Date(d), "1 July 2026"},
		{ZH.DateTime(d), "2026年7月1日 09:05"},
		{EN.DateTime(d), "1 Jul 2026, 09:05"},
		{ZH.Month(d), "2026年7月"},
		{EN.Month(d), "Jul 2026"},
		{ZH.Date(time.Time{}), "—"},
		{ZH.PersonName("王", "小明"), "王小明"},
		{EN.PersonName("王", "小明"), "王小明"},
		{EN.PersonName("Smith", "Anna"), "Anna Smith"},
		{ZH.PersonName("Smith", "Anna"), "Smith Anna"},
		{EN.PersonName("", "Anna"), "Anna"},
		{EN.Pick("中文", "English"), "English"},
		{ZH.Pick("中文", "English"), "中文"},
		{ZH.Pick("", "English"), "English"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q want %q", i, tt.got, tt.want)
		}
	}
	// Another zone, set at start-up: the previous evening in New York.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip(err)
	}
	SetLocation(ny)
	defer SetLocation(nil)
	if got := EN.DateTime(d); got != "30 Jun 2026, 21:05" {
		t.Errorf("New York: %q", got)
	}
}

func TestCatalogue(t *testing.T) {
	if len(catalogue) < 50 {
		t.Fatalf("catalogue has %d messages", len(catalogue))
	}
	for k, m := range catalogue {
		if m.zh == m.en && len(k) > 0 && k != "app.name" {
			// identical texts are allowed only for names and codes
			if !isASCIIOnly(m.zh) {
				t.Errorf("%s: same text in both languages: %q", k, m.zh)
			}
		}
		if ZH.T(k) != m.zh || EN.T(k) != m.en {
			t.Errorf("%s: T does not return the catalogue text", k)
		}
	}
	if ZH.T("no.such.key") != "no.such.key" {
		t.Error("missing keys should come back as the key")
	}
	defer func() {
		if recover() == nil {
			t.Error("Add of a duplicate key did not panic")
		}
	}()
	Add(M{"app.name": {"x", "y"}})
}

func isASCIIOnly(s string) bool {
	for _, r := range s {
		if r > 127 {
			return false
		}
	}
	return true
}
