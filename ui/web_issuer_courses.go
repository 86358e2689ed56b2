package ui

import "net/http"

// courseRoutes adds the organisation's course pages (/org/courses).
func (iw *issuerWeb) courseRoutes(mux *http.ServeMux, staff func(func(http.ResponseWriter, *http.Request, *consoleSession)) http.HandlerFunc) {
}
