package audit

// Sum exposes the entry hash to the tests, which forge re-hashed entries.
func Sum(e *Entry) string { return e.sum() }
