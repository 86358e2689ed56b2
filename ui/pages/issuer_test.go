package pages_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// sectionText is the text a person reads in the element of id (its first
// <p>), tags removed without adding spaces, runs of white space made one.
func sectionText(t *testing.T, html, id string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)id="` + id + `"[^>]*>.*?(<p[ >].*?</p>)`).FindStringSubmatch(html)
	if m == nil {
		t.Fatalf("no <p> in #%s in:\n%s", id, html)
	}
	text := regexp.MustCompile(`<[^>]*>`).ReplaceAllString(m[1], "")
	return strings.Join(strings.Fields(text), " ")
}

// The credential page's state marks are words apart from the sentence
// they qualify, and the sentence of a credential not yet anchored is shown.
func TestCredentialPageAnchorWords(t *testing.T) {
	anchor := &pages.AnchorView{Root: "ab", TxHash: "cd", ChainID: "tc", Height: 7, Time: time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC), Leaf: 0, Size: 1}
	tests := []struct {
		name   string
		lang   i18n.Lang
		anchor *pages.AnchorView
		want   string
	}{
		{"zh anchored", i18n.ZH, anchor, "通过 已锚定在第 7 号区块"},
		{"en anchored", i18n.EN, anchor, "Passed Anchored in block 7"},
		{"zh pending", i18n.ZH, nil, "注意 正在上链，通常几秒内完成。 刷新"},
		{"en pending", i18n.EN, nil, "Warning Being anchored; this usually takes a few seconds. "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pages.Page{Lang: tt.lang, Title: "x", Path: "/org/credentials/c1", User: &pages.User{Role: pages.RoleStaff, Name: "li"}, CSRF: "tok"}
			v := pages.CredentialView{ID: "c1", Href: "/org/credentials/c1", TypeLabel: "Degree", Template: "master-degree",
				Format: "vc2", Status: "revoked", StatusNote: "wrong name", Anchor: tt.anchor}
			var buf bytes.Buffer
			if err := pages.CredentialPage(p, v).Render(context.Background(), &buf); err != nil {
				t.Fatal(err)
			}
			html := buf.String()
			if got := sectionText(t, html, "anchor"); !strings.HasPrefix(got, strings.TrimSpace(tt.want)) {
				t.Errorf("anchor section reads %q, want it to start with %q", got, tt.want)
			}
			status := regexp.MustCompile(`(?s)<p id="cred-status">(.*?)</p>`).FindStringSubmatch(html)
			if status == nil {
				t.Fatal("no #cred-status")
			}
			text := strings.Join(strings.Fields(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(status[1], "")), " ")
			wantStatus := tt.lang.T("status.revoked") + " " + tt.lang.F("issuer.cred.note", "wrong name")
			if text != wantStatus {
				t.Errorf("status line reads %q, want %q", text, wantStatus)
			}
		})
	}
}
