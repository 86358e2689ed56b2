package ui

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"
)

// RequestIDHeader carries the request id, taken from the client when it is a
// short token and made up otherwise, and returned on every response.
const RequestIDHeader = "X-Request-Id"

type requestIDKey struct{}

// requestID returns the id withRequestID gave the request.
func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// withRequestID gives each request an id, in its context and in the response.
func (h *handler) withRequestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(RequestIDHeader)
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set(RequestIDHeader, id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey{}, id)))
	})
}

// validRequestID accepts ids of 1 to 64 letters, digits, '-', '_' and '.', so a
// client cannot inject anything into logs or headers.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [12]byte
	rand.Read(b[:]) // never returns an error (crypto/rand, Go 1.24+)
	return hex.EncodeToString(b[:])
}

// withLogging logs one line per request: method, path, status, duration, id.
func (h *handler) withLogging(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		next.ServeHTTP(rec, r)
		status := rec.status
		if status == 0 {
			status = http.StatusOK
		}
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "http request",
			slog.String("method", r.Method),
			slog.String("path", loggedPath(r)),
			slog.Int("status", status),
			slog.Duration("duration", time.Since(start)),
			slog.Int64("bytes", rec.bytes),
			slog.String("request_id", requestID(r.Context())))
	})
}

// loggedPath is r's path with the capabilities in it left out: a share
// link's or an offer's token, and the ids that alone grant reading a kept
// result (/verify/r/{id}, /verifications/{id}). The wallet stores only the
// hash of a share token; the log must not hold it in clear.
func loggedPath(r *http.Request) string {
	path := r.URL.Path
	names := []string{"token", "ref"}
	if strings.Contains(r.Pattern, "/verify/r/{id}") || strings.Contains(r.Pattern, "/verifications/{id}") {
		names = append(names, "id")
	}
	for _, name := range names {
		if v := r.PathValue(name); v != "" {
			path = strings.Replace(path, v, "{"+name+"}", 1)
		}
	}
	return path
}

// withRecovery turns a panic in a handler into a logged 500 problem (when the
// answer has not started yet).
func (h *handler) withRecovery(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v) // the server's own way to abort a response
			}
			err := fmt.Errorf("panic: %v\n%s", v, debug.Stack())
			if rec.status != 0 {
				h.log.LogAttrs(r.Context(), slog.LevelError, "panic after the response started",
					slog.String("request_id", requestID(r.Context())), slog.String("error", err.Error()))
				return
			}
			h.fail(w, r, err)
		}()
		next.ServeHTTP(rec, r)
	})
}

// HSTS is the Strict-Transport-Security value sent on answers that reached
// the node over TLS (directly, or through a TLS-terminating proxy that says so
// with X-Forwarded-Proto: https, as behind --public-url https://...). Browsers
// ignore the header over plain HTTP, so a spoofed X-Forwarded-Proto gains
// nothing.
const HSTS = "max-age=31536000; includeSubDomains"

// ContentSecurityPolicy is the CSP of every answer: only the node's own
// scripts, styles and images, no framing, no plugins, forms only to itself.
const ContentSecurityPolicy = "default-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"

// withSecurityHeaders sets the headers every response carries, and
// Cache-Control: no-store on every answer to a request that carries
// credentials (a bearer token or a cookie), so no shared cache or browser
// history keeps an authenticated answer. A handler may still set its own
// Cache-Control afterwards (public status lists, DID documents).
func withSecurityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "no-referrer")
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("Content-Security-Policy", ContentSecurityPolicy)
		hd.Set("Cross-Origin-Opener-Policy", "same-origin")
		hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
		if overTLS(r) {
			hd.Set("Strict-Transport-Security", HSTS)
		}
		if r.Header.Get("Authorization") != "" || r.Header.Get("Cookie") != "" {
			hd.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// overTLS reports whether the client reached the node over TLS.
func overTLS(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// statusRecorder remembers the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }
