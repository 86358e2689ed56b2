package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Browser tests drive a real headless Chromium (Debian's chromium package;
// .ci/run installs it) through the pages, asserting on what a person sees,
// and save a screenshot of each step under artifacts/screenshots/<test>/
// (or $TALENTCHAIN_ARTIFACTS/screenshots/<test>/).

// chromiumPath returns the browser, or skips the test (fails it under CI).
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("TALENTCHAIN_CHROMIUM"), "chromium", "chromium-browser"} {
		if name == "" {
			continue
		}
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: apt-get install chromium")
	}
	t.Skip("no chromium on PATH (apt-get install chromium); browser tests skipped")
	return ""
}

// browser is one headless Chromium tab with a fresh profile.
type browser struct {
	t     *testing.T
	ctx   context.Context
	base  string
	shots string
	n     int
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	path := chromiumPath(t)
	// The profile is removed by us, not by t.TempDir: Chromium's helper
	// processes may still write to it for a moment after the browser is
	// closed, and TempDir fails the test when it cannot remove it.
	profile, err := os.MkdirTemp("", "talentchain-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for range 20 {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("chromium profile %s left behind", profile)
	})
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.WithoutCancel(t.Context()), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(func() { cancelCtx(); cancelAlloc() })
	if err := chromedp.Run(ctx); err != nil { // starts the browser
		t.Fatalf("start chromium: %v", err)
	}
	dir := os.Getenv("TALENTCHAIN_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "..", "artifacts")
	}
	shots := filepath.Join(dir, "screenshots", regexp.MustCompile(`[^A-Za-z0-9_-]+`).ReplaceAllString(t.Name(), "_"))
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, base: base, shots: shots}
}

// run runs actions with a time limit, failing the test on error.
func (b *browser) run(what string, actions ...chromedp.Action) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, actions...); err != nil {
		b.shot("failed-" + what)
		b.t.Fatalf("%s: %v", what, err)
	}
}

// open navigates to path and waits for the page's body.
func (b *browser) open(path string) {
	b.t.Helper()
	b.run("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady("body", chromedp.ByQuery))
}

// text returns the visible text of the first element matching sel.
func (b *browser) text(sel string) string {
	b.t.Helper()
	var s string
	b.run("read "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Text(sel, &s, chromedp.ByQuery, chromedp.NodeVisible))
	return strings.TrimSpace(s)
}

// attr returns an attribute of the first element matching sel.
func (b *browser) attr(sel, name string) string {
	b.t.Helper()
	var v string
	var ok bool
	b.run("attr "+sel, chromedp.WaitReady(sel, chromedp.ByQuery), chromedp.AttributeValue(sel, name, &v, &ok, chromedp.ByQuery))
	return v
}

// fill types value into the field matching sel (replacing what is there).
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.run("fill "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.SetValue(sel, value, chromedp.ByQuery))
}

// click clicks sel and waits for the next page's body.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery), chromedp.WaitReady("body", chromedp.ByQuery))
}

// upload sets a file input to the local file path.
func (b *browser) upload(sel, path string) {
	b.t.Helper()
	b.run("upload "+sel, chromedp.WaitReady(sel, chromedp.ByQuery), chromedp.SetUploadFiles(sel, []string{path}, chromedp.ByQuery))
}

// location returns the current URL.
func (b *browser) location() string {
	b.t.Helper()
	var u string
	b.run("location", chromedp.Location(&u))
	return u
}

// waitText waits until sel's text contains want (pages that update
// themselves, such as a batch's progress).
func (b *browser) waitText(sel, want string, limit time.Duration) string {
	b.t.Helper()
	deadline := time.Now().Add(limit)
	var s string
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		err := chromedp.Run(ctx, chromedp.Text(sel, &s, chromedp.ByQuery))
		cancel()
		if err == nil && strings.Contains(s, want) {
			return s
		}
		time.Sleep(200 * time.Millisecond)
	}
	b.shot("timeout")
	b.t.Fatalf("%s never showed %q (last: %q)", sel, want, s)
	return ""
}

// shot saves a full-page screenshot as the test's next artefact.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	b.n++
	p := filepath.Join(b.shots, strings.ReplaceAll(
		strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-")), "--", "-"))
	p = filepath.Join(filepath.Dir(p), fmt.Sprintf("%02d-%s.png", b.n, filepath.Base(p)))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// TestBrowserLanguage: the home page speaks Chinese by default, the switch
// turns every page to English and the choice is remembered; the sign-in
// page refuses a wrong password with what to do next.
func TestBrowserLanguage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	n := startNode(t, testConfig(t))
	b := newBrowser(t, n.base)

	b.open("/")
	if got := b.text("h1"); got != "可验证的人才凭证" {
		t.Fatalf("home h1 = %q, want the Chinese title", got)
	}
	if lang := b.attr("html", "lang"); lang != "zh-CN" {
		t.Fatalf("html lang = %q", lang)
	}
	b.shot("home-zh")

	b.click("#lang-switch")
	if got := b.text("h1"); got != "Talent credentials anyone can check" {
		t.Fatalf("after the switch h1 = %q", got)
	}
	b.shot("home-en")

	b.open("/login") // no ?lang=: the cookie remembers English
	if got := b.text("h1"); got != "Staff sign-in" {
		t.Fatalf("login h1 = %q, want English remembered", got)
	}
	b.fill("#f-org", "did:talent:nobody")
	b.fill("#f-username", "registrar")
	b.fill("#f-password", "wrong password")
	b.click("#login-submit")
	alert := b.text(".alert")
	if !strings.Contains(alert, "Sign-in failed") || !strings.Contains(alert, "administrator") {
		t.Fatalf("wrong password alert = %q", alert)
	}
	b.shot("login-refused")

	b.click("#lang-switch")
	if got := b.text("h1"); got != "工作人员登录" {
		t.Fatalf("switched back h1 = %q", got)
	}
}
