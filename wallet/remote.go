package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"
)

// RemoteError is a failed call to an issuer or a verifier. It matches
// ErrRemote. URL is the endpoint without its query.
type RemoteError struct {
	URL    string
	Status int // HTTP status; 0 when no answer came
	// Code and Description are the OAuth error fields when the endpoint
	// answered with them (e.g. "invalid_grant").
	Code        string
	Description string
	Reason      string // what was wrong, for a developer
}

func (e *RemoteError) Error() string {
	var b strings.Builder
	b.WriteString("wallet: " + e.URL)
	if e.Status != 0 {
		fmt.Fprintf(&b, " answered %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
		if e.Description != "" {
			b.WriteString(" (" + e.Description + ")")
		}
	}
	if e.Reason != "" {
		b.WriteString(": " + e.Reason)
	}
	return b.String()
}

// Unwrap makes errors.Is(err, ErrRemote) true.
func (e *RemoteError) Unwrap() error { return ErrRemote }

// remote is the wallet's HTTP client for issuers and verifiers: http(s)
// only, an origin allow-list or (without one) https to public addresses
// only, checked again at dial time against DNS rebinding; no redirects; a
// timeout and a size limit on every answer.
type remote struct {
	client  *http.Client
	allowed []string // normalised origins; empty: any public https origin
	max     int64
}

func newRemote(cfg *Config) *remote {
	r := &remote{allowed: cfg.AllowedOrigins, max: cfg.MaxResponseBytes}
	dialer := &net.Dialer{Timeout: 10 * time.Second}
	if len(r.allowed) == 0 {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			a, err := netip.ParseAddr(host)
			if err != nil {
				return err
			}
			if !publicAddr(a) {
				return fmt.Errorf("%w: %s is not a public address", ErrForbiddenURL, a)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil, // never through an environment proxy: the checks above would not hold
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          20,
		IdleConnTimeout:       60 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: cfg.HTTPTimeout,
	}
	r.client = &http.Client{
		Transport: tr,
		Timeout:   cfg.HTTPTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return r
}

// publicAddr reports whether a is a globally routable unicast address.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsGlobalUnicast() || a.IsPrivate() || a.IsLoopback() || a.IsLinkLocalUnicast() {
		return false
	}
	// Shared address space (RFC 6598) and unique-local addresses.
	for _, p := range []string{"100.64.0.0/10", "fc00::/7", "192.0.0.0/24", "198.18.0.0/15"} {
		if netip.MustParsePrefix(p).Contains(a) {
			return false
		}
	}
	return true
}

// normOrigin returns scheme://host[:port] of an http(s) URL, lower case,
// without a default port.
func normOrigin(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return "", fmt.Errorf("%q is not an http(s) origin", raw)
	}
	host := strings.ToLower(u.Hostname())
	port := u.Port()
	if (u.Scheme == "https" && port == "443") || (u.Scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return u.Scheme + "://" + host, nil
}

// checkURL parses a URL the wallet is about to call and applies the
// policy: absolute http(s), no user info, no fragment; an allowed origin
// when there is an allow-list, https otherwise.
func (r *remote) checkURL(raw string) (*url.URL, string, error) {
	if len(raw) > 2048 {
		return nil, "", fmt.Errorf("%w: longer than 2048 bytes", ErrForbiddenURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%w: not a URL", ErrForbiddenURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, "", fmt.Errorf("%w: only http(s) URLs, not %q", ErrForbiddenURL, u.Scheme)
	}
	if u.Host == "" || u.User != nil || u.Fragment != "" {
		return nil, "", fmt.Errorf("%w: an absolute URL without user info or fragment is required", ErrForbiddenURL)
	}
	origin, err := normOrigin(raw)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrForbiddenURL, err)
	}
	switch {
	case len(r.allowed) > 0 && !slices.Contains(r.allowed, origin):
		return nil, "", fmt.Errorf("%w: %s is not an allowed origin", ErrForbiddenURL, origin)
	case len(r.allowed) == 0 && u.Scheme != "https":
		return nil, "", fmt.Errorf("%w: %s is not https", ErrForbiddenURL, origin)
	}
	return u, origin, nil
}

// do sends req and returns the answer's body when the status is 2xx and
// the content type is JSON (when wantJSON). Errors are *RemoteError or
// ErrForbiddenURL.
func (r *remote) do(ctx context.Context, req *http.Request, wantJSON bool) (int, []byte, error) {
	endpoint := req.URL.Scheme + "://" + req.URL.Host + req.URL.Path
	req = req.WithContext(ctx)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "TalentChain-Wallet/1")
	resp, err := r.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrForbiddenURL) {
			return 0, nil, fmt.Errorf("%w: %s resolves to a non-public address", ErrForbiddenURL, req.URL.Host)
		}
		reason := err.Error()
		var ue *url.Error
		if errors.As(err, &ue) {
			reason = ue.Err.Error() // without the URL, which may carry a query
		}
		return 0, nil, &RemoteError{URL: endpoint, Reason: reason}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, r.max+1))
	if err != nil {
		return resp.StatusCode, nil, &RemoteError{URL: endpoint, Status: resp.StatusCode, Reason: "reading the answer: " + err.Error()}
	}
	if int64(len(body)) > r.max {
		return resp.StatusCode, nil, &RemoteError{URL: endpoint, Status: resp.StatusCode, Reason: fmt.Sprintf("the answer is larger than %d bytes", r.max)}
	}
	isJSON := false
	if mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type")); err == nil {
		isJSON = mt == "application/json" || strings.HasSuffix(mt, "+json")
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := &RemoteError{URL: endpoint, Status: resp.StatusCode}
		if resp.StatusCode >= 300 && resp.StatusCode < 400 {
			e.Reason = "redirects are not followed"
		}
		var oauth struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if isJSON && json.Unmarshal(body, &oauth) == nil {
			e.Code, e.Description = trimText(oauth.Error, 100), trimText(oauth.Description, 300)
		}
		return resp.StatusCode, nil, e
	}
	if wantJSON && !isJSON {
		return resp.StatusCode, nil, &RemoteError{URL: endpoint, Status: resp.StatusCode, Reason: "the answer is not JSON"}
	}
	return resp.StatusCode, body, nil
}

// getJSON fetches a JSON document.
func (r *remote) getJSON(ctx context.Context, u *url.URL) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbiddenURL, err)
	}
	_, body, err := r.do(ctx, req, true)
	return body, err
}

// postForm posts a form and returns the answer (JSON when wantJSON).
func (r *remote) postForm(ctx context.Context, u *url.URL, form url.Values, wantJSON bool) (int, []byte, error) {
	req, err := http.NewRequest(http.MethodPost, u.String(), strings.NewReader(form.Encode()))
	if err != nil {
		return 0, nil, fmt.Errorf("%w: %v", ErrForbiddenURL, err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r.do(ctx, req, wantJSON)
}

// postJSON posts a JSON body with an optional bearer token.
func (r *remote) postJSON(ctx context.Context, u *url.URL, bearer string, body any) ([]byte, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, u.String(), bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrForbiddenURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	_, out, err := r.do(ctx, req, true)
	return out, err
}
