package ui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
	"github.com/talentchain/talentchain/wallet"
)

// Handler-level tests of the holder's pages with a small fake of the wallet
// service (the wallet itself is tested in wallet/ and, with the real
// service on a real chain, by TestBrowserHolderJourney).

// holderFake is a Wallet whose answers the test sets; methods a test does
// not expect panic (the embedded nil interface).
type holderFake struct {
	Wallet
	loginErr   error
	signups    int
	exports    int
	restoreErr error
	restored   int
	shares     []wallet.NewShare
	shareErr   error
	logouts    int
}

const holderFakeSession = "tcws_test-session"

func (f *holderFake) Authenticate(_ context.Context, id string) (*wallet.Session, error) {
	if id != holderFakeSession {
		return nil, wallet.ErrUnauthenticated
	}
	return &wallet.Session{Account: "acct1", Username: "zhangsan"}, nil
}
func (f *holderFake) CSRFToken(id string) string { return "csrf-" + id }
func (f *holderFake) CheckCSRF(id, tok string) error {
	if tok != "csrf-"+id {
		return wallet.ErrCSRF
	}
	return nil
}
func (f *holderFake) Logout(context.Context, string) error {
	f.logouts++
	return nil
}
func (f *holderFake) SignUp(context.Context, wallet.SignUp) (*wallet.Account, error) {
	f.signups++
	return &wallet.Account{ID: "acct1", Username: "zhangsan"}, nil
}
func (f *holderFake) Login(context.Context, wallet.Login) (*wallet.Session, error) {
	if f.loginErr != nil {
		return nil, f.loginErr
	}
	return &wallet.Session{ID: holderFakeSession, Account: "acct1", Username: "zhangsan"}, nil
}
func (f *holderFake) Export(context.Context, string, string) ([]byte, error) {
	f.exports++
	return []byte("TCWBAK\x01"), nil
}
func (f *holderFake) Restore(context.Context, string, []byte, string) (*wallet.RestoreResult, error) {
	if f.restoreErr != nil {
		return nil, f.restoreErr
	}
	f.restored++
	return &wallet.RestoreResult{Credentials: 2, Skipped: 1}, nil
}
func (f *holderFake) Credential(_ context.Context, _ string, id string) (*wallet.Credential, error) {
	if id == "0123456789abcdef0123abcd" {
		return &wallet.Credential{ID: id, Format: wallet.FormatSDJWT}, nil
	}
	return &wallet.Credential{ID: id, Format: wallet.FormatLDP}, nil
}
func (f *holderFake) CreateShare(_ context.Context, _ string, ns wallet.NewShare) (*wallet.Share, error) {
	if f.shareErr != nil {
		return nil, f.shareErr
	}
	f.shares = append(f.shares, ns)
	sh := &wallet.Share{ID: "s1", URL: "http://node.test/share/tok", CredentialIDs: ns.CredentialIDs, Expires: time.Now().Add(ns.TTL), Format: wallet.FormatLDP}
	if ns.CredentialIDs[0] == holderFakeSDJWT {
		sh.Format, sh.Disclosed = wallet.FormatSDJWT, ns.Disclose
	}
	return sh, nil
}

// holderFakeSDJWT is the fake wallet's SD-JWT credential.
const holderFakeSDJWT = "0123456789abcdef0123abcd"

func (f *holderFake) Shares(context.Context, string) ([]*wallet.Share, error) { return nil, nil }

func (f *holderFake) Credentials(context.Context, string, wallet.ListOptions) (*wallet.Page, error) {
	return &wallet.Page{Items: []*wallet.Credential{
		{ID: holderFakeSDJWT, Format: wallet.FormatSDJWT, Types: []string{"https://w3id.org/talentchain/vct/degree"},
			Claims:      map[string]any{"fullName": "张三", "degree": map[string]any{"level": "master", "grade": "A"}},
			Disclosable: []string{"/fullName", "/degree/grade"}},
	}}, nil
}

type holderNoVerifier struct{}

func (holderNoVerifier) VerifyCredential(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return nil, errors.New("not used")
}
func (holderNoVerifier) VerifyPresentation(context.Context, []byte, credential.VerifyOptions) (*credential.Result, error) {
	return nil, errors.New("not used")
}

func newHolderHandler(t *testing.T, f *holderFake) http.Handler {
	t.Helper()
	st, err := bolt.Open(filepath.Join(t.TempDir(), "web.db"), bolt.Config{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h, err := New(DefaultConfig(), holderNoVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler),
		WithWeb(WebConfig{Sessions: st, PublicURL: "http://node.test", Wallet: f}))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// holderReq is a request to the holder pages: signed in or not, a form
// with or without the session's token.
type holderReq struct {
	method, path string
	form         url.Values
	signedIn     bool
	csrf         bool
	pre          bool // a signed-out form with the pre-session token
}

func (hr holderReq) send(h http.Handler) *httptest.ResponseRecorder {
	form := url.Values{}
	for k, v := range hr.form {
		form[k] = v
	}
	if hr.csrf {
		form.Set("csrf", "csrf-"+holderFakeSession)
	}
	if hr.pre {
		form.Set("csrf", strings.Repeat("p", 40))
	}
	var body io.Reader
	if hr.method == http.MethodPost {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(hr.method, "http://node.test"+hr.path, body)
	if hr.method == http.MethodPost {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept-Language", "zh-CN")
	if hr.signedIn {
		req.AddCookie(&http.Cookie{Name: WalletCookie, Value: holderFakeSession})
	}
	if hr.pre {
		req.AddCookie(&http.Cookie{Name: preCookie, Value: strings.Repeat("p", 40)})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func TestHolderPagesRefusals(t *testing.T) {
	pass := url.Values{"username": {"zhangsan"}, "password": {"violet orbit 7319"}, "password2": {"violet orbit 7319"}}
	tests := []struct {
		name       string
		fake       holderFake
		req        holderReq
		status     int
		location   string // a redirect's target
		body       string // text the page must show
		retryAfter string
		cookie     string // the wallet cookie the answer sets: "" not checked, "none", "set", "cleared"
		check      func(t *testing.T, f *holderFake)
	}{
		{name: "wallet needs a session", req: holderReq{method: "GET", path: "/my"},
			status: 303, location: "/my/login?next=%2Fmy"},
		{name: "a POST without a session", req: holderReq{method: "POST", path: "/my/backup"},
			status: 401, body: "请先登录钱包"},
		{name: "a POST without the form token", req: holderReq{method: "POST", path: "/my/backup", signedIn: true,
			form: url.Values{"passphrase": {"x"}, "passphrase2": {"x"}}}, status: 403, body: "表单已过期",
			check: func(t *testing.T, f *holderFake) {
				if f.exports != 0 {
					t.Error("exported without the token")
				}
			}},
		{name: "sign-in without the pre-session token", req: holderReq{method: "POST", path: "/my/login", form: pass},
			status: 403, cookie: "none"},
		{name: "wrong password", fake: holderFake{loginErr: fmt.Errorf("login: %w", wallet.ErrUnauthenticated)},
			req: holderReq{method: "POST", path: "/my/login", form: pass, pre: true}, status: 401, body: "用户名或密码不正确"},
		{name: "rate limited, in words", fake: holderFake{loginErr: &wallet.RateLimitError{RetryAfter: 14*time.Minute + 3*time.Second}},
			req: holderReq{method: "POST", path: "/my/login", form: pass, pre: true}, status: 429, body: "请 15 分钟后再试", retryAfter: "843"},
		{name: "sign-up passwords differ", req: holderReq{method: "POST", path: "/my/signup", pre: true,
			form: url.Values{"username": {"zhangsan"}, "password": {"violet orbit 7319"}, "password2": {"violet orbit 7318"}}},
			status: 400, body: "两次输入的密码不一致", check: func(t *testing.T, f *holderFake) {
				if f.signups != 0 {
					t.Error("signed up with differing passwords")
				}
			}},
		{name: "sign-up signs in", req: holderReq{method: "POST", path: "/my/signup", form: pass, pre: true},
			status: 303, location: "/my?done=welcome", cookie: "set"},
		{name: "sign-in sets the cookie", req: holderReq{method: "POST", path: "/my/login", form: pass, pre: true},
			status: 303, location: "/my", cookie: "set"},
		{name: "sign-out clears the cookie", req: holderReq{method: "POST", path: "/my/logout", signedIn: true, csrf: true},
			status: 303, location: "/my/login?done=loggedOut", cookie: "cleared", check: holderLogouts(1)},
		{name: "sign-out without the form token", req: holderReq{method: "POST", path: "/my/logout", signedIn: true},
			status: 403, body: "表单已过期", cookie: "none", check: holderLogouts(0)},
		{name: "sign-out of no session only clears the cookie", req: holderReq{method: "POST", path: "/my/logout"},
			status: 303, location: "/my/login?done=loggedOut", cookie: "cleared", check: holderLogouts(0)},
		{name: "sign-in returns to a wallet page only", req: holderReq{method: "POST", path: "/my/login", pre: true,
			form: url.Values{"username": {"zhangsan"}, "password": {"x"}, "next": {"//evil.test/my"}}}, status: 303, location: "/my"},
		{name: "backup passphrases differ", req: holderReq{method: "POST", path: "/my/backup", signedIn: true, csrf: true,
			form: url.Values{"passphrase": {"a long passphrase"}, "passphrase2": {"a long passphrasf"}}}, status: 400,
			body: "两次输入的备份口令不一致", check: func(t *testing.T, f *holderFake) {
				if f.exports != 0 {
					t.Error("exported with differing passphrases")
				}
			}},
		{name: "backup downloads", req: holderReq{method: "POST", path: "/my/backup", signedIn: true, csrf: true,
			form: url.Values{"passphrase": {"a long passphrase"}, "passphrase2": {"a long passphrase"}}}, status: 200, body: "TCWBAK"},
		{name: "share with an expiry not offered", req: holderReq{method: "POST", path: "/my/shares", signedIn: true, csrf: true,
			form: url.Values{"credential": {"0123456789abcdef01234567"}, "expires": {"9000h"}}}, status: 400, body: "请选择列表中的有效期",
			check: func(t *testing.T, f *holderFake) {
				if len(f.shares) != 0 {
					t.Error("share created")
				}
			}},
		{name: "share of an SD-JWT with another credential", req: holderReq{method: "POST", path: "/my/shares", signedIn: true, csrf: true,
			form: url.Values{"credential": {"0123456789abcdef01234567", holderFakeSDJWT}, "expires": {"168h"}}}, status: 400, body: "SD-JWT 凭证需单独分享",
			check: func(t *testing.T, f *holderFake) {
				if len(f.shares) != 0 {
					t.Error("share created")
				}
			}},
		{name: "share of an SD-JWT with the ticked claims", req: holderReq{method: "POST", path: "/my/shares", signedIn: true, csrf: true,
			form: url.Values{"credential": {holderFakeSDJWT}, "expires": {"168h"}, "disclose-" + holderFakeSDJWT: {"/degree/grade", "/fullName"},
				"disclose-0123456789abcdef01234567": {"/other"}}}, status: 200, body: "出示的项目",
			check: func(t *testing.T, f *holderFake) {
				if len(f.shares) != 1 || strings.Join(f.shares[0].Disclose, " ") != "/degree/grade /fullName" {
					t.Errorf("shares %+v", f.shares)
				}
			}},
		{name: "share of an SD-JWT with a claim it cannot disclose", fake: holderFake{shareErr: fmt.Errorf("create share: %w",
			&wallet.ValidationError{Fields: []wallet.FieldError{{Field: "/disclose/0", Reason: `"/nickname" is not a selectively disclosable claim`}}})},
			req: holderReq{method: "POST", path: "/my/shares", signedIn: true, csrf: true,
				form: url.Values{"credential": {holderFakeSDJWT}, "expires": {"168h"}, "disclose-" + holderFakeSDJWT: {"/nickname"}}},
			status: 400, body: "按提示修改后重新提交"},
		{name: "share form: an SD-JWT's claims to tick, the others shown as always visible", req: holderReq{method: "GET", path: "/my/shares", signedIn: true},
			status: 200, body: `name="disclose-0123456789abcdef0123abcd" value="/degree/grade"`},
		{name: "certificate of an SD-JWT", req: holderReq{method: "POST", path: "/my/credentials/0123456789abcdef0123abcd/certificate", signedIn: true, csrf: true},
			status: 400, body: "不能生成带核验二维码的证书", check: func(t *testing.T, f *holderFake) {
				if len(f.shares) != 0 {
					t.Error("share created")
				}
			}},
		{name: "share of nothing", req: holderReq{method: "POST", path: "/my/shares", signedIn: true, csrf: true,
			form: url.Values{"expires": {"168h"}}}, status: 400, body: "请至少选择一份"},
		{name: "request link too long", req: holderReq{method: "GET", path: "/my/requests?request=https://v.test/" + strings.Repeat("a", 2100), signedIn: true},
			status: 400, body: "请求链接过长"},
		{name: "flash of a finished action", req: holderReq{method: "GET", path: "/my/requests?done=declined", signedIn: true},
			status: 200, body: "已拒绝该出示请求"},
		{name: "unknown flash ignored", req: holderReq{method: "GET", path: "/my/requests?done=%3Cscript%3E", signedIn: true},
			status: 200},
		{name: "signed-out flash", req: holderReq{method: "GET", path: "/my/signup?done=loggedOut"}, status: 200, body: "你已退出钱包。"},
		{name: "restore flash counts", req: holderReq{method: "GET", path: "/my/requests?done=restored&added=2&skipped=1", signedIn: true},
			status: 200, body: "备份已恢复：新增 2 份凭证，1 份已在钱包中。"},
		{name: "a flash name too long is ignored", req: holderReq{method: "GET", path: "/my/signup?done=" + strings.Repeat("x", 65)},
			status: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			rec := tt.req.send(newHolderHandler(t, &f))
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d; %.300s", rec.Code, tt.status, rec.Body)
			}
			if tt.location != "" && rec.Header().Get("Location") != tt.location {
				t.Errorf("Location %q, want %q", rec.Header().Get("Location"), tt.location)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("page lacks %q: %.2000s", tt.body, rec.Body)
			}
			if tt.retryAfter != "" && rec.Header().Get("Retry-After") != tt.retryAfter {
				t.Errorf("Retry-After %q, want %q", rec.Header().Get("Retry-After"), tt.retryAfter)
			}
			if strings.Contains(rec.Body.String(), "<script>") {
				t.Error("query text reflected into the page")
			}
			if b := rec.Body.String(); strings.Contains(b, "%!") || strings.Contains(b, "holder.flash.") {
				t.Error("a flash shown unformatted or as its key")
			}
			holderCheckCookie(t, rec, tt.cookie)
			if tt.check != nil {
				tt.check(t, &f)
			}
		})
	}
}

func TestHolderRestore(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		status   int
		location string
		body     string
	}{
		{"wrong passphrase", fmt.Errorf("restore: %w", wallet.ErrBackup), 400, "", "口令错误"},
		{"another holder's backup", fmt.Errorf("restore: %w", wallet.ErrConflict), 409, "", "下一步"},
		{"restored", nil, 303, "/my?done=restored&added=2&skipped=1", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &holderFake{restoreErr: tt.err}
			h := newHolderHandler(t, f)
			var body strings.Builder
			body.WriteString("--B\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\ncsrf-" + holderFakeSession + "\r\n")
			body.WriteString("--B\r\nContent-Disposition: form-data; name=\"restorePassphrase\"\r\n\r\nsecret passphrase\r\n")
			body.WriteString("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"w.tcwbak\"\r\nContent-Type: application/octet-stream\r\n\r\nTCWBAK\x01data\r\n--B--\r\n")
			req := httptest.NewRequest("POST", "http://node.test/my/restore", strings.NewReader(body.String()))
			req.Header.Set("Content-Type", "multipart/form-data; boundary=B")
			req.AddCookie(&http.Cookie{Name: WalletCookie, Value: holderFakeSession})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status || rec.Header().Get("Location") != tt.location || !strings.Contains(rec.Body.String(), tt.body) {
				t.Fatalf("%d %q %.500s", rec.Code, rec.Header().Get("Location"), rec.Body)
			}
			if tt.err != nil && f.restored != 0 {
				t.Fatal("restored despite the error")
			}
		})
	}
}

func TestHolderOfferPreview(t *testing.T) {
	offer := map[string]any{
		"credential_issuer":            "https://uni.example",
		"credential_configuration_ids": []string{"DegreeCredential_ldp_vc", "TrainingCertificateCredential_dc+sd-jwt"},
		"grants": map[string]any{wallet.GrantPreAuthorized: map[string]any{
			"pre-authorized_code": "abc", "tx_code": map[string]any{"length": 6, "input_mode": "numeric", "description": "短信中的数字"},
		}},
	}
	raw, _ := json.Marshal(offer)
	link := "openid-credential-offer://?credential_offer=" + url.QueryEscape(string(raw))
	h := newHolderHandler(t, &holderFake{})
	rec := holderReq{method: "GET", path: "/my/offers?offer=" + url.QueryEscape(link), signedIn: true}.send(h)
	page := rec.Body.String()
	for _, want := range []string{"学位证书 (JSON-LD)", "培训证书 (SD-JWT)", "https://uni.example", `name="txCode"`, "共 6 位", "短信中的数字", `id="offer-accept"`} {
		if rec.Code != 200 || !strings.Contains(page, want) {
			t.Fatalf("%d: preview lacks %q: %.3000s", rec.Code, want, page)
		}
	}
	rec = holderReq{method: "GET", path: "/my/offers?offer=" + url.QueryEscape("ftp://nope"), signedIn: true}.send(h)
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "下一步") || strings.Contains(rec.Body.String(), `id="offer-accept"`) {
		t.Fatalf("bad link: %d %.1000s", rec.Code, rec.Body)
	}
}

func TestHolderClaims(t *testing.T) {
	sub := map[string]any{
		"id":       "did:key:z6Mk",
		"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
		"degree": map[string]any{"type": "Degree", "level": "master",
			"degreeName": map[string]any{"zh": "工学硕士", "en": "Master of Engineering"}},
		"graduationDate": "2026-06-30",
		"extra":          []any{"a", true, 3.5},
	}
	tests := []struct {
		lang i18n.Lang
		want []string // label=value, in order
	}{
		{i18n.ZH, []string{"姓名=李四", "学位名称=工学硕士", "学位层次=硕士", "毕业日期=2026年6月30日", "extra=a、是、3.5"}},
		{i18n.EN, []string{"Name=Li Si", "Degree=Master of Engineering", "Degree level=Master", "Graduation date=30 June 2026", "extra=a, Yes, 3.5"}},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range holderClaims(tt.lang, sub, []string{"/degree/level"}) {
			got = append(got, c.Label+"="+c.Value)
			if c.Disclosable != (c.Path == "degree.level") {
				t.Errorf("%s disclosable = %v", c.Path, c.Disclosable)
			}
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: got %q\nwant %q", tt.lang, got, tt.want)
		}
	}
}

func TestHolderSent(t *testing.T) {
	claims := []pages.HolderClaim{{Path: "fullName"}, {Path: "degree.level", Disclosable: true}, {Path: "degree.grade", Disclosable: true}, {Path: "dateOfBirth", Disclosable: true}}
	tests := []struct {
		name  string
		sdjwt bool
		asked []string
		want  string
	}{
		{"JSON-LD whole", false, []string{"degree.level"}, "fullName degree.level degree.grade dateOfBirth"},
		{"SD-JWT asked only", true, []string{"degree.level"}, "fullName degree.level"},
		{"SD-JWT parent asked", true, []string{"degree"}, "fullName degree.level degree.grade"},
		{"SD-JWT nothing asked", true, nil, "fullName"},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range holderSent(claims, tt.sdjwt, tt.asked) {
			got = append(got, c.Path)
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestHolderHelpers(t *testing.T) {
	tests := []struct{ got, want string }{
		{holderWaitWords(i18n.ZH, 30*time.Second), "30 秒"},
		{holderWaitWords(i18n.EN, 61*time.Second), "2 minutes"},
		{holderWaitWords(i18n.EN, 200*time.Millisecond), "1 seconds"},
		{holderNext("/my/shares"), "/my/shares"},
		{holderNext("/org"), ""},
		{holderNext("//evil.test/my"), ""},
		{holderCut("工学硕士学位", 4), "工学硕…"},
		{holderFieldPathLabel(i18n.ZH, "$['type']"), "类型"},
		{holderFieldPathLabel(i18n.EN, "$.credentialSubject.degree.fieldOfStudy"), "Field of study"},
		{holderFieldPathLabel(i18n.EN, `$["credentialSubject"]["graduationDate"]`), "Graduation date"},
		{holderConfigWords(i18n.EN, "DegreeCredential_ldp_vc", nil), "Degree (JSON-LD)"},
		{holderConfigWords(i18n.EN, "Unknown", nil), "Unknown"},
		{holderAnswerMessage(json.RawMessage(`{"summary_zh":"有效","summary_en":"valid"}`), "zh"), "有效"},
		{holderAnswerMessage(json.RawMessage(`not json`), "en"), ""},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%d: got %q want %q", i, tt.got, tt.want)
		}
	}
	for _, tc := range []struct {
		u   string
		tok string
		ok  bool
	}{
		{"http://n/share/abc", "abc", true},
		{"http://n/share/", "", false},
		{"http://n/other/abc", "", false},
		{"http://n/share/a/b", "a/b", false},
	} {
		tok, ok := holderShareToken(tc.u)
		if ok != tc.ok || (ok && tok != tc.tok) {
			t.Errorf("holderShareToken(%q) = %q %v", tc.u, tok, ok)
		}
	}
}

// FuzzHolderClaims: any credential subject (outside input, kept by the
// wallet) flattens without panicking, each row labelled.
func FuzzHolderClaims(f *testing.F) {
	f.Add(`{"fullName":{"zh":"李四"},"degree":{"level":"master","x":[1,{"a":null}]}}`, "/degree/level")
	f.Add(`{"a":{"b":{"c":{"d":"2026-01-01"}}}}`, "")
	f.Fuzz(func(t *testing.T, doc, pointer string) {
		var sub map[string]any
		if json.Unmarshal([]byte(doc), &sub) != nil {
			return
		}
		for _, c := range holderClaims(i18n.EN, sub, []string{pointer}) {
			if c.Label == "" {
				t.Fatalf("claim %q without a label", c.Path)
			}
		}
	})
}

// FuzzHolderAnswerMessage: a verifier's answer body (outside input) never
// panics and is bounded.
func FuzzHolderAnswerMessage(f *testing.F) {
	f.Add([]byte(`{"summary_en":"ok"}`))
	f.Add([]byte(`{"message":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if m := holderAnswerMessage(body, "en"); len([]rune(m)) > 500 {
			t.Fatalf("message of %d runes", len([]rune(m)))
		}
	})
}

// The share form offers an SD-JWT credential's disclosable claims as
// boxes to tick and names the claims always shown; the page of the new
// link says which claims it reveals, in the page's language.
func TestHolderShareFormSDJWT(t *testing.T) {
	f := &holderFake{}
	h := newHolderHandler(t, f)
	form := holderReq{method: "GET", path: "/my/shares", signedIn: true}.send(h)
	if form.Code != 200 {
		t.Fatalf("form %d", form.Code)
	}
	body := form.Body.String()
	for _, want := range []string{
		`name="disclose-0123456789abcdef0123abcd" value="/fullName"`,
		`name="disclose-0123456789abcdef0123abcd" value="/degree/grade"`,
		"此链接出示的项目", "始终出示",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the share form lacks %q", want)
		}
	}
	always := body[strings.Index(body, "始终出示"):]
	always = always[:strings.Index(always, "</p>")]
	if !strings.Contains(always, "master") && !strings.Contains(always, "硕士") {
		t.Errorf("the always-visible degree level is not named: %q", always)
	}
	if strings.Contains(always, "成绩") || strings.Contains(always, "姓名") {
		t.Errorf("a disclosable claim is said to be always shown: %q", always)
	}

	for _, c := range []struct {
		disclose []string
		want     string
	}{
		{[]string{"/degree/grade", "/fullName"}, "成绩 · 姓名"},
		{nil, "仅始终出示的项目"},
	} {
		form := url.Values{"credential": {holderFakeSDJWT}, "expires": {"24h"}}
		form["disclose-"+holderFakeSDJWT] = c.disclose
		rec := holderReq{method: "POST", path: "/my/shares", signedIn: true, csrf: true, form: form}.send(h)
		disclosed := rec.Body.String()
		if i := strings.Index(disclosed, `id="share-disclosed"`); rec.Code != 200 || i < 0 || !strings.Contains(disclosed[i:i+200], c.want) {
			t.Errorf("%v: status %d, the new link's page does not say %q", c.disclose, rec.Code, c.want)
		}
	}
}

// The wallet's JSON API takes the claims an SD-JWT share link reveals
// (disclose), passes them to the wallet as given, and answers the
// wallet's refusal of a claim with a 400 naming the field.
func TestWalletAPIShareDisclose(t *testing.T) {
	tests := []struct {
		name   string
		fake   holderFake
		body   string
		status int
		want   []string // the disclosure list the wallet got
		field  string   // the field a refusal names
	}{
		{name: "chosen claims", body: `{"credentialIds":["` + holderFakeSDJWT + `"],"disclose":["/degree/grade","/fullName"],"expiresIn":"24h"}`,
			status: 201, want: []string{"/degree/grade", "/fullName"}},
		{name: "no claim chosen", body: `{"credentialIds":["` + holderFakeSDJWT + `"]}`, status: 201},
		{name: "a claim the credential cannot disclose",
			fake: holderFake{shareErr: fmt.Errorf("create share: %w", &wallet.ValidationError{Fields: []wallet.FieldError{{Field: "/disclose/0", Reason: "not a selectively disclosable claim"}}})},
			body: `{"credentialIds":["` + holderFakeSDJWT + `"],"disclose":["/nickname"]}`, status: 400, field: "/disclose/0"},
		{name: "not a list", body: `{"credentialIds":["` + holderFakeSDJWT + `"],"disclose":"/fullName"}`, status: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fake
			h, err := New(DefaultConfig(), holderNoVerifier{}, func() bool { return true }, slog.New(slog.DiscardHandler), WithWallet(&f, false))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest("POST", "http://node.test/wallet/shares", strings.NewReader(tt.body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(CSRFHeader, "csrf-"+holderFakeSession)
			req.AddCookie(&http.Cookie{Name: WalletCookie, Value: holderFakeSession})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.status {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.status, rec.Body)
			}
			if tt.status == 201 {
				var sh wallet.Share
				if len(f.shares) != 1 || strings.Join(f.shares[0].Disclose, " ") != strings.Join(tt.want, " ") ||
					json.Unmarshal(rec.Body.Bytes(), &sh) != nil || sh.Format != wallet.FormatSDJWT {
					t.Fatalf("the wallet got %+v; answered %s", f.shares, rec.Body)
				}
				return
			}
			if len(f.shares) != 0 {
				t.Fatalf("a refused share reached the wallet: %+v", f.shares)
			}
			if tt.field != "" && !strings.Contains(rec.Body.String(), `"field":"`+tt.field+`"`) {
				t.Fatalf("the refusal does not name %s: %s", tt.field, rec.Body)
			}
		})
	}
}

// holderLogouts checks that the wallet ended n sessions.
func holderLogouts(n int) func(*testing.T, *holderFake) {
	return func(t *testing.T, f *holderFake) {
		if f.logouts != n {
			t.Errorf("%d sessions ended, want %d", f.logouts, n)
		}
	}
}

// holderCheckCookie checks the wallet cookie an answer sets (want: "" not
// checked, "none", "set" for the fake's session, "cleared"): the pages'
// one cookie setter's attributes, for the browser session.
func holderCheckCookie(t *testing.T, rec *httptest.ResponseRecorder, want string) {
	t.Helper()
	var wc *http.Cookie
	for _, c := range rec.Result().Cookies() {
		if c.Name == WalletCookie {
			wc = c
		}
	}
	switch {
	case want == "":
	case want == "none":
		if wc != nil {
			t.Errorf("wallet cookie set: %v", wc)
		}
	case wc == nil:
		t.Error("no wallet cookie set")
	default:
		value, maxAge := holderFakeSession, 0
		if want == "cleared" {
			value, maxAge = "", -1
		}
		if wc.Value != value || wc.MaxAge != maxAge || !wc.HttpOnly || wc.SameSite != http.SameSiteLaxMode || wc.Path != "/" || wc.Secure {
			t.Errorf("wallet cookie %+v, want value %q, MaxAge %d, HttpOnly, SameSite=Lax, Path /, not Secure over http", wc, value, maxAge)
		}
	}
}
