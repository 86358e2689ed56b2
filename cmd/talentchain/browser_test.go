package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
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
	// n numbers the test's screenshots, shared by all its browsers so
	// that a journey's steps sort in the order they were taken.
	n *atomic.Int32
	// confirms is set once acceptConfirms listens for dialogs.
	confirms bool
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
	// Chromium's own temporary files (a singleton socket folder per
	// start, left behind when the browser is killed) go inside the
	// profile, and away with it.
	tmp := filepath.Join(profile, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+tmp),
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
	n, loaded := shotCounters.LoadOrStore(t, new(atomic.Int32))
	if !loaded {
		t.Cleanup(func() { shotCounters.Delete(t) })
	}
	return &browser{t: t, ctx: ctx, base: base, shots: shots, n: n.(*atomic.Int32)}
}

// shotCounters holds each running test's screenshot counter.
var shotCounters sync.Map // *testing.T → *atomic.Int32

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

// leavesJS answers whether clicking the element %s leaves the page: a link
// to another address (not a fragment of this page, not a download, not a
// new window), or a form's submit button (not into a new window). Every
// page works without JavaScript (ui/static/app.js only enhances), so these
// are exactly the clicks that load a new document; a submit that answers
// with a download is the exception, for press.
const leavesJS = `(function (el) {
  if (!el) return false;
  var a = el.closest("a[href]");
  if (a) {
    if (a.hasAttribute("download") || (a.target && a.target !== "_self")) return false;
    var u = new URL(a.href, location.href);
    return !(u.hash !== "" && u.origin === location.origin && u.pathname === location.pathname && u.search === location.search);
  }
  var c = el.closest("button, input");
  if (c && c.form && (c.type === "submit" || c.type === "image")) {
    var target = c.getAttribute("formtarget") || c.form.getAttribute("target");
    return !target || target === "_self";
  }
  return false;
})(document.querySelector(%s))`

// click clicks sel. When the click leaves the page (see leavesJS) it waits
// for the next document as nav does, so what is read next cannot come from
// the page the click left; a checkbox, a radio or a copy button is just
// clicked.
func (b *browser) click(sel string) {
	b.t.Helper()
	b.run("find "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery))
	var leaves bool
	b.run("inspect "+sel, chromedp.Evaluate(fmt.Sprintf(leavesJS, jsString(sel)), &leaves))
	if leaves {
		b.nav(sel)
		return
	}
	b.press(sel)
}

// press clicks sel and waits for nothing: a control that changes the page
// in place, or a submit button whose answer is a download (the page stays).
func (b *browser) press(sel string) {
	b.t.Helper()
	b.run("click "+sel, chromedp.WaitVisible(sel, chromedp.ByQuery), chromedp.Click(sel, chromedp.ByQuery))
}

// nav clicks sel and waits until a new document has replaced the page and
// finished loading: it fails when none comes. Without it a read right
// after the click may find the same selector on the page being left (a
// status badge, a flash, the h1) while the next one is on its way.
func (b *browser) nav(sel string) {
	b.t.Helper()
	// The mark lives in the old document's window only; the next
	// document's window starts without it.
	b.run("mark "+sel, chromedp.Evaluate(`window.__tcOld = true`, nil))
	b.press(sel)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var fresh bool
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		err := chromedp.Run(ctx, chromedp.Evaluate(`window.__tcOld === undefined && document.readyState === "complete"`, &fresh))
		cancel()
		if err == nil && fresh {
			b.run("after "+sel, chromedp.WaitReady("body", chromedp.ByQuery))
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b.shot("nav-timeout")
	b.t.Fatalf("clicking %s loaded no new page within 60 s (a download? use press)", sel)
}

// acceptConfirms answers every confirmation dialog of the tab (a
// data-confirm form) with OK from now on, as a person clicking through
// would. Calling it again changes nothing.
func (b *browser) acceptConfirms() {
	b.t.Helper()
	if b.confirms {
		return
	}
	b.confirms = true
	chromedp.ListenTarget(b.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go chromedp.Run(b.ctx, page.HandleJavaScriptDialog(true))
		}
	})
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

// paintedJS resolves once the document has loaded, its fonts are ready and
// two animation frames have passed.
const paintedJS = `new Promise(function (done) {
  function fonts() { document.fonts.ready.then(function () { requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); }); }); }
  if (document.readyState === "complete") fonts(); else window.addEventListener("load", fonts);
})`

// awaitPromise makes Evaluate wait for the promise the script returns.
func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// shot saves a full-page screenshot as the test's next artefact.
func (b *browser) shot(name string) {
	b.t.Helper()
	var png []byte
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	// Not before the page is drawn: its fonts loaded (the CJK fallback is
	// large) and two frames painted since.
	var painted bool
	if err := chromedp.Run(ctx, chromedp.Evaluate(paintedJS, &painted, awaitPromise)); err != nil {
		b.t.Logf("screenshot %s: waiting for paint: %v", name, err)
	}
	if err := chromedp.Run(ctx, chromedp.FullScreenshot(&png, 100)); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	seq := b.n.Add(1)
	p := filepath.Join(b.shots, strings.ReplaceAll(
		strings.ToLower(regexp.MustCompile(`[^A-Za-z0-9]+`).ReplaceAllString(name, "-")), "--", "-"))
	p = filepath.Join(filepath.Dir(p), fmt.Sprintf("%02d-%s.png", seq, filepath.Base(p)))
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

	b.nav("#lang-switch")
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
	b.nav("#login-submit")
	alert := b.text(".alert")
	if !strings.Contains(alert, "Sign-in failed") || !strings.Contains(alert, "administrator") {
		t.Fatalf("wrong password alert = %q", alert)
	}
	b.shot("login-refused")

	b.nav("#lang-switch")
	if got := b.text("h1"); got != "工作人员登录" {
		t.Fatalf("switched back h1 = %q", got)
	}
}

// TestBrowserClickWaitsForTheNextPage: the helpers themselves, against a
// server whose next page is slow to come and has the same heading as the
// page it replaces: after clicking a link or a submit button the heading
// read is the next page's; a checkbox, a fragment link and a download link
// leave the page where it is.
func TestBrowserClickWaitsForTheNextPage(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test")
	}
	const first = `<!doctype html><html lang="en"><body><h1 id="t">first</h1>
<a id="next" href="/slow">next</a> <a id="frag" href="#below">below</a> <a id="dl" href="/file" download>file</a>
<form method="post" action="/slow"><input type="checkbox" id="cb" name="cb"> <button id="submit">send</button></form>
<p id="below">below</p></body></html>`
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, first) })
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(700 * time.Millisecond) // the old page stays readable meanwhile
		fmt.Fprintf(w, `<!doctype html><html lang="en"><body><h1 id="t">second %s</h1></body></html>`, r.Method)
	})
	mux.HandleFunc("/file", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Disposition", `attachment; filename="f.txt"`)
		io.WriteString(w, "data")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	b := newBrowser(t, srv.URL)
	b.run("no downloads", cdpbrowser.SetDownloadBehavior(cdpbrowser.SetDownloadBehaviorBehaviorDeny))

	for _, tc := range []struct {
		sel, want string
	}{
		{"#next", "second GET"},
		{"#submit", "second POST"},
	} {
		b.open("/")
		b.click(tc.sel)
		if got := b.text("#t"); got != tc.want {
			t.Errorf("after clicking %s the heading reads %q, want %q", tc.sel, got, tc.want)
		}
		b.open("/")
		b.nav(tc.sel)
		if got := b.text("#t"); got != tc.want {
			t.Errorf("after nav %s the heading reads %q, want %q", tc.sel, got, tc.want)
		}
	}

	// Clicks that stay: the same document afterwards (its mark survives).
	b.open("/")
	b.run("mark", chromedp.Evaluate(`window.__tcStay = true`, nil))
	for _, sel := range []string{"#cb", "#frag", "#dl"} {
		start := time.Now()
		b.click(sel)
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("clicking %s took %s", sel, d)
		}
	}
	var same, checked bool
	b.run("same page", chromedp.Evaluate(`window.__tcStay === true`, &same), chromedp.Evaluate(`document.querySelector("#cb").checked`, &checked))
	if !same || !checked || b.text("#t") != "first" {
		t.Errorf("clicks that stay left the page: same document %v, checkbox ticked %v, heading %q", same, checked, b.text("#t"))
	}
}
