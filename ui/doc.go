// Package ui is TalentChain's web layer: the HTTP handler that serves the public
// APIs and, in a later issue, the templ pages for every role.
//
// The layer is thin on purpose. A handler decodes and validates the request
// (validator/v10 tags on the request structs), makes one call into a service
// through a small interface declared here (Verifier), and renders JSON. Errors
// become HTTP statuses and RFC 9457 problem details in exactly one function,
// problemFor; nothing else in this package chooses an error status.
//
// Every response carries the security headers and an X-Request-Id; every request
// is logged with log/slog; a panic in a handler becomes a 500 problem.
package ui
