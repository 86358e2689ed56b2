package issuer

import (
	"bufio"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/talentchain/talentchain/credential"
)

// Limits of a CSV upload. A file beyond them is refused as a whole.
const (
	MaxCSVBytes   = 64 << 20 // the whole file
	MaxCSVRows    = 100_000  // data rows, the header not counted
	MaxCSVField   = 4 << 10  // one field, in bytes
	MaxCSVColumns = 256
	// MaxRowErrors bounds the problems a report lists; BadRows still
	// counts every bad row.
	MaxRowErrors = 1000
	// MaxRowKeyLen is the longest row key.
	MaxRowKeyLen = 128
)

// CSV columns with a meaning of their own; every other column is a claim.
const (
	ColKey        = "key"
	ColHolder     = "holder"
	ColValidFrom  = "validFrom"
	ColValidUntil = "validUntil"
)

// CSVIdempotencyPrefix starts the idempotency key of a CSV row: a row with
// key k is issued with IdempotencyKey "csv:" + k.
const CSVIdempotencyPrefix = "csv:"

var notDIDKey = msg{"must be an Ed25519 did:key", "必须是 Ed25519 的 did:key"}

var (
	rowKeyPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)
	didKeyPattern = regexp.MustCompile(`^did:key:z[1-9A-HJ-NP-Za-km-z]{1,128}$`)
)

// CSVBatch is a parsed and validated CSV upload for one template: the rows
// ready to issue and, as a dry run's report, the rows that are not.
type CSVBatch struct {
	Template string   `json:"template"`
	Columns  []string `json:"columns"`
	// Rows are the good rows, in file order, each with its request.
	Rows []CSVRow `json:"rows,omitempty"`
	// Total counts the data rows (blank rows are skipped, not counted).
	Total int `json:"total"`
	// BadRows counts the rows with at least one problem; Errors lists the
	// problems (several per row possible), the first MaxRowErrors of them.
	BadRows int        `json:"badRows"`
	Errors  []RowError `json:"errors,omitempty"`
}

// CSVRow is one good row.
type CSVRow struct {
	Line    int      `json:"line"`
	Key     string   `json:"key"`
	Request *Request `json:"request"`
}

// RowError is one problem of a CSV upload.
type RowError struct {
	// Line is the row as a spreadsheet numbers it: the header is line 1,
	// the first data row line 2 (a quoted field spanning several lines of
	// the file is still one row). 0 when the problem is not a row's.
	Line int `json:"line"`
	// Key is the row's key, when it has one.
	Key string `json:"key,omitempty"`
	// Column is the column (or the claim path, "fullName" for a missing
	// language map) the problem is in, when known.
	Column string `json:"column,omitempty"`
	Reason string `json:"reason"`
	// ReasonZH is the reason in Chinese.
	ReasonZH string `json:"reasonZh,omitempty"`
}

// In is the reason in the language lang ("zh" for Chinese, anything else
// English), falling back to English where there is no Chinese text.
func (e RowError) In(lang string) string {
	if lang == "zh" && e.ReasonZH != "" {
		return e.ReasonZH
	}
	return e.Reason
}

func (e RowError) String() string {
	s := "line " + strconv.Itoa(e.Line)
	if e.Column != "" {
		s += ", column " + e.Column
	}
	return s + ": " + e.Reason
}

// CSVError reports an upload with problems: a refused file (its header, its
// encoding, a limit) or bad rows. It matches ErrInvalid.
type CSVError struct {
	BadRows int
	Errors  []RowError
}

func (e *CSVError) Error() string {
	var b strings.Builder
	if e.BadRows > 0 {
		fmt.Fprintf(&b, "%d bad rows: ", e.BadRows)
	} else {
		b.WriteString("invalid CSV: ")
	}
	for i, re := range e.Errors {
		if i == 3 {
			fmt.Fprintf(&b, "; and %d more", len(e.Errors)-3)
			break
		}
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(re.String())
	}
	return b.String()
}

// Is makes a CSVError match ErrInvalid.
func (e *CSVError) Is(target error) bool { return target == ErrInvalid }

// ParseCSV reads a CSV upload for one template and validates every row
// against the template's schema, signing nothing: the dry run.
//
// The header names the columns: key (required: the row's idempotency key,
// unique in the file, 1–128 of [A-Za-z0-9._:-]), holder (optional did:key),
// validFrom and validUntil (optional, YYYY-MM-DD or RFC 3339; a date is
// 00:00:00Z of that day for validFrom and 23:59:59Z for validUntil), and the
// claims as dotted paths into credentialSubject ("fullName.zh",
// "degree.degreeName.en", "course.hours", "course.skills"). Values are
// trimmed and converted to the schema's type at their path: integer,
// number, boolean, string; arrays split on ";". An empty cell omits the
// claim. The template's fixed values (degree.type, degree.level,
// course.type) are filled in. UTF-8 only (a leading BOM is skipped), RFC
// 4180 quoting, rows with every field empty are skipped.
//
// A file that cannot be taken at all (unknown template, an unknown or
// repeated column, no key column, broken quoting, beyond a limit) returns
// nil and a *CSVError (ErrInvalid). Bad rows return the batch, whose Errors
// list them, and a *CSVError with the same errors. Any other error is the
// reader's.
func (s *Service) ParseCSV(template string, r io.Reader) (*CSVBatch, error) {
	return s.parseCSV(template, "", r)
}

// parseCSV is ParseCSV for credentials of the given format: every row's
// request carries it, so the rows are validated as that format is issued
// (an SD-JWT VC's holder must be a key it can be bound to).
func (s *Service) parseCSV(template string, format Format, r io.Reader) (*CSVBatch, error) {
	tm, ok := s.tmpl.byID[template]
	if !ok {
		return nil, fileError(0, "template", msg{fmt.Sprintf("unknown template %q", template), fmt.Sprintf("没有名为 %q 的模板", template)})
	}
	sch, err := newCSVSchema(tm)
	if err != nil {
		return nil, fmt.Errorf("parse CSV: %w", err)
	}
	cr := &countingReader{r: io.LimitReader(r, MaxCSVBytes+1)}
	br := bufio.NewReader(cr)
	if bom, err := br.Peek(3); err == nil && string(bom) == "\uFEFF" {
		_, _ = br.Discard(3)
	}
	rd := csv.NewReader(br)
	rd.ReuseRecord = false
	rd.FieldsPerRecord = -1 // counted here, to report the row instead of stopping

	header, err := rd.Read()
	if errors.Is(err, io.EOF) {
		return nil, fileError(1, "", msg{"the file is empty; the first line must name the columns", "文件是空的；第一行须写明各列的列名"})
	}
	if err != nil {
		return nil, csvReadError(cr, err)
	}
	cols, err := sch.header(header)
	if err != nil {
		return nil, err
	}
	b := &CSVBatch{Template: tm.ID}
	for _, c := range cols {
		b.Columns = append(b.Columns, c.name)
	}
	seen := map[string]int{} // row key → line
	embedded := 0            // line breaks inside quoted fields so far
	for _, f := range header {
		embedded += strings.Count(f, "\n")
	}
	for {
		rec, err := rd.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, csvReadError(cr, err)
		}
		fileLine, _ := rd.FieldPos(0)
		line := fileLine - embedded
		for _, f := range rec {
			embedded += strings.Count(f, "\n")
		}
		if blank(rec) {
			continue
		}
		b.Total++
		if b.Total > MaxCSVRows {
			return nil, fileError(line, "", msg{fmt.Sprintf("more than %d rows; split the file", MaxCSVRows), fmt.Sprintf("超过 %d 行；请拆分文件", MaxCSVRows)})
		}
		row, problems := sch.row(rec, cols, line)
		row.Request.Template = tm.ID
		row.Request.Format = format
		if row.Key != "" {
			if first, dup := seen[row.Key]; dup {
				problems = append(problems, RowError{Line: line, Key: row.Key, Column: ColKey,
					Reason: fmt.Sprintf("duplicate key, first used on line %d", first), ReasonZH: fmt.Sprintf("key 重复，第 %d 行已用过", first)})
			} else {
				seen[row.Key] = line
			}
		}
		if row.Request.Subject != nil {
			problems = append(problems, s.rowProblems(row, problems)...)
		}
		if len(problems) > 0 {
			b.BadRows++
			for _, p := range problems {
				if len(b.Errors) < MaxRowErrors {
					b.Errors = append(b.Errors, p)
				}
			}
			continue
		}
		b.Rows = append(b.Rows, *row)
	}
	if cr.n > MaxCSVBytes {
		return nil, fileError(0, "", tooLarge())
	}
	if b.Total == 0 {
		return nil, fileError(2, "", msg{"no data rows", "没有数据行"})
	}
	if b.BadRows > 0 {
		return b, &CSVError{BadRows: b.BadRows, Errors: b.Errors}
	}
	return b, nil
}

// rowProblems validates a parsed row's request as issuance would and maps
// the failing JSON pointers back to columns. Problems in columns already
// reported (a value that could not be read is missing from the request)
// are not repeated.
func (s *Service) rowProblems(row *CSVRow, known []RowError) []RowError {
	err := s.Validate(row.Request)
	if err == nil {
		return nil
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return []RowError{{Line: row.Line, Key: row.Key, Reason: err.Error(), ReasonZH: "无法检查此行：" + err.Error()}}
	}
	reported := func(col string) bool {
		for _, k := range known {
			if k.Column != "" && (k.Column == col || strings.HasPrefix(k.Column, col+".")) {
				return true
			}
		}
		return false
	}
	out := make([]RowError, 0, len(ve.Fields))
	for _, f := range ve.Fields {
		col := pointerColumn(f.Field)
		if !reported(col) {
			out = append(out, RowError{Line: row.Line, Key: row.Key, Column: col, Reason: f.Reason, ReasonZH: f.ReasonZH})
		}
	}
	return out
}

// pointerColumn turns a request's JSON pointer into the CSV column (or
// claim path) it came from.
func pointerColumn(ptr string) string {
	switch ptr {
	case "/holder":
		return ColHolder
	case "/validFrom":
		return ColValidFrom
	case "/validUntil":
		return ColValidUntil
	case "/idempotencyKey":
		return ColKey
	}
	rest, ok := strings.CutPrefix(ptr, "/credentialSubject")
	if !ok || rest == "" {
		return ""
	}
	toks := strings.Split(strings.TrimPrefix(rest, "/"), "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return strings.Join(toks, ".")
}

func fileError(line int, column string, m msg) *CSVError {
	return &CSVError{Errors: []RowError{{Line: line, Column: column, Reason: m.en, ReasonZH: m.zh}}}
}

func tooLarge() msg {
	return msg{fmt.Sprintf("larger than %d MiB; split the file", MaxCSVBytes>>20), fmt.Sprintf("文件超过 %d MiB；请拆分文件", MaxCSVBytes>>20)}
}

// csvReadError turns a reader's error into a file error (broken quoting,
// beyond the size limit) or passes an I/O error through.
func csvReadError(cr *countingReader, err error) error {
	if cr.n > MaxCSVBytes {
		return fileError(0, "", tooLarge())
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fileError(pe.StartLine, "", msg{fmt.Sprintf("broken CSV at line %d of the file, column %d: %v", pe.Line, pe.Column, pe.Err),
			fmt.Sprintf("CSV 格式错误：文件第 %d 行第 %d 列（%v）；请检查引号", pe.Line, pe.Column, pe.Err)})
	}
	if cr.err != nil {
		return fmt.Errorf("parse CSV: read: %w", err)
	}
	return fileError(0, "", msg{err.Error(), "无法读取文件：" + err.Error()})
}

type countingReader struct {
	r   io.Reader
	n   int64
	err error // the underlying reader's error other than EOF
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && !errors.Is(err, io.EOF) {
		c.err = err
	}
	return n, err
}

func blank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// column is what a header column means.
type column struct {
	name string
	role string   // ColKey, ColHolder, ColValidFrom, ColValidUntil, or "" for a claim
	path []string // into credentialSubject
	typ  string   // JSON type of a claim: string, integer, number, boolean, array
	item string   // item type of an array
}

// csvSchema answers, for a template, what type a claim path has.
type csvSchema struct {
	root map[string]any
	defs map[string]any
}

func newCSVSchema(tm *Template) (*csvSchema, error) {
	var root map[string]any
	if err := json.Unmarshal(tm.Schema, &root); err != nil {
		return nil, fmt.Errorf("template %s: %w", tm.ID, err)
	}
	defs, _ := root["$defs"].(map[string]any)
	return &csvSchema{root: root, defs: defs}, nil
}

// deref follows a local "#/$defs/x" reference.
func (c *csvSchema) deref(n map[string]any) map[string]any {
	for range 8 {
		ref, ok := n["$ref"].(string)
		if !ok {
			return n
		}
		name, ok := strings.CutPrefix(ref, "#/$defs/")
		if !ok {
			return n
		}
		next, ok := c.defs[name].(map[string]any)
		if !ok {
			return n
		}
		n = next
	}
	return n
}

// typeOf is the JSON type a schema node accepts: its "type", or the type
// of its const or enum values.
func (c *csvSchema) typeOf(n map[string]any) string {
	n = c.deref(n)
	switch t := n["type"].(type) {
	case string:
		return t
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok && s != "null" {
				return s
			}
		}
	}
	val, ok := n["const"]
	if !ok {
		if enum, _ := n["enum"].([]any); len(enum) > 0 {
			val, ok = enum[0], true
		}
	}
	if ok {
		switch v := val.(type) {
		case bool:
			return "boolean"
		case float64:
			if v == math.Trunc(v) {
				return "integer"
			}
			return "number"
		case string:
			return "string"
		}
	}
	if _, ok := n["properties"]; ok {
		return "object"
	}
	return "string"
}

// child is the schema of an object's property name, or nil when the
// object does not allow it (with the reason).
func (c *csvSchema) child(n map[string]any, name string) (map[string]any, msg) {
	n = c.deref(n)
	if props, ok := n["properties"].(map[string]any); ok {
		if p, ok := props[name].(map[string]any); ok {
			return p, msg{}
		}
	}
	ap, ok := n["additionalProperties"].(map[string]any)
	if !ok {
		return nil, msg{"is not a claim of this template", "不是该模板的字段"}
	}
	if pn, ok := n["propertyNames"].(map[string]any); ok {
		if pat, ok := pn["pattern"].(string); ok {
			if re, err := regexp.Compile(pat); err == nil && !re.MatchString(name) {
				return nil, msg{fmt.Sprintf("%q is not an allowed key here (%s)", name, pat),
					fmt.Sprintf("%q 不是此处允许的键名（%s）", name, pat)}
			}
		}
	}
	return ap, msg{}
}

// header checks the header row and says what each column means.
func (c *csvSchema) header(h []string) ([]column, error) {
	var problems []RowError
	bad := func(col, reason, zh string) {
		problems = append(problems, RowError{Line: 1, Column: col, Reason: reason, ReasonZH: zh})
	}
	if len(h) > MaxCSVColumns {
		return nil, fileError(1, "", msg{fmt.Sprintf("%d columns, more than %d", len(h), MaxCSVColumns), fmt.Sprintf("共 %d 列，超过 %d 列的上限", len(h), MaxCSVColumns)})
	}
	cols := make([]column, len(h))
	seen := map[string]bool{}
	hasKey := false
	for i, raw := range h {
		name := strings.TrimSpace(raw)
		if !utf8.ValidString(name) {
			bad("", fmt.Sprintf("column %d: not UTF-8; save the file as UTF-8", i+1), fmt.Sprintf("第 %d 列不是 UTF-8 编码；请将文件另存为 UTF-8", i+1))
			continue
		}
		if name == "" {
			bad("", fmt.Sprintf("column %d has no name", i+1), fmt.Sprintf("第 %d 列没有列名", i+1))
			continue
		}
		if seen[name] {
			bad(name, "appears twice", "列名重复")
			continue
		}
		seen[name] = true
		cols[i].name = name
		switch name {
		case ColKey, ColHolder, ColValidFrom, ColValidUntil:
			cols[i].role = name
			hasKey = hasKey || name == ColKey
			continue
		case "id":
			bad(name, "unknown column: the subject's id is the holder column", "未知的列：持有人的 DID 请写在 holder 列")
			continue
		}
		path := strings.Split(name, ".")
		node := c.root
		var reason, reasonZH string
		for j, seg := range path {
			if seg == "" {
				reason, reasonZH = "has an empty part", "列名中有空的部分"
				break
			}
			if t := c.typeOf(node); t != "object" && j > 0 {
				reason = strings.Join(path[:j], ".") + " is not an object"
				reasonZH = strings.Join(path[:j], ".") + " 不是对象"
				break
			}
			next, why := c.child(node, seg)
			if next == nil {
				reason = strings.Join(path[:j+1], ".") + " " + why.en
				reasonZH = strings.Join(path[:j+1], ".") + " " + why.zh
				break
			}
			node = next
		}
		if reason != "" {
			bad(name, "unknown column: "+reason, "未知的列："+reasonZH)
			continue
		}
		cols[i].path = path
		cols[i].typ = c.typeOf(node)
		switch cols[i].typ {
		case "object":
			bad(name, "names an object; give its fields as columns ("+name+".…)", "这是一个对象；请把它的各个字段分别作为列（"+name+".…）")
		case "array":
			items, _ := c.deref(node)["items"].(map[string]any)
			cols[i].item = "string"
			if items != nil {
				cols[i].item = c.typeOf(items)
			}
			if cols[i].item == "object" || cols[i].item == "array" {
				bad(name, "a list of objects cannot be given in one column", "对象列表无法写在一列中")
			}
		}
	}
	if !hasKey && len(problems) == 0 {
		bad(ColKey, "the key column is required: a unique key per row (e.g. the student number)", "必须有 key 列：每行一个唯一的键（如学号）")
	}
	if len(problems) > 0 {
		return nil, &CSVError{Errors: problems}
	}
	// Two columns for one claim at different depths (fullName, fullName.zh)
	// are refused above (an object column); a claim below a string is too.
	return cols, nil
}

// row converts one record into a request, or says what is wrong.
func (c *csvSchema) row(rec []string, cols []column, line int) (*CSVRow, []RowError) {
	row := &CSVRow{Line: line, Request: &Request{}}
	for i, col := range cols {
		if col.role == ColKey && i < len(rec) {
			row.Key = strings.TrimSpace(rec[i])
		}
	}
	var problems []RowError
	bad := func(col string, m msg) {
		problems = append(problems, RowError{Line: line, Key: row.Key, Column: col, Reason: m.en, ReasonZH: m.zh})
	}
	if len(rec) != len(cols) {
		bad("", msg{fmt.Sprintf("has %d fields, the header has %d", len(rec), len(cols)), fmt.Sprintf("此行有 %d 个字段，表头有 %d 列", len(rec), len(cols))})
		return row, problems
	}
	subject := map[string]any{}
	for i, col := range cols {
		raw := rec[i]
		if len(raw) > MaxCSVField {
			bad(col.name, msg{fmt.Sprintf("longer than %d bytes", MaxCSVField), fmt.Sprintf("超过 %d 字节", MaxCSVField)})
			continue
		}
		if !utf8.ValidString(raw) {
			bad(col.name, msg{"is not UTF-8; save the file as UTF-8", "不是 UTF-8 编码；请将文件另存为 UTF-8"})
			continue
		}
		v := strings.TrimSpace(raw)
		switch col.role {
		case ColKey:
			if !rowKeyPattern.MatchString(v) {
				bad(col.name, msg{"the key is required: 1–128 characters of A–Z a–z 0–9 . _ : -", "key 必填：1–128 个 A–Z a–z 0–9 . _ : - 字符"})
			}
			continue
		case ColHolder:
			if v != "" {
				// The pattern first: the did:key decoder panics on bytes
				// outside the base58 alphabet.
				if !didKeyPattern.MatchString(v) {
					bad(col.name, notDIDKey)
					continue
				}
				// Decoding the key is the check (an Ed25519 multikey);
				// building its DID document per row would cost more.
				if _, err := credential.DecodePublicKey(strings.TrimPrefix(v, "did:key:")); err != nil {
					bad(col.name, notDIDKey)
					continue
				}
				row.Request.Holder = v
			}
			continue
		case ColValidFrom, ColValidUntil:
			if v != "" {
				t, err := parseCSVTime(v, col.role == ColValidUntil)
				if err != nil {
					bad(col.name, msg{err.Error(), zhOf(err)})
					continue
				}
				if col.role == ColValidFrom {
					row.Request.ValidFrom = t
				} else {
					row.Request.ValidUntil = t
				}
			}
			continue
		}
		if v == "" {
			continue
		}
		val, err := coerce(v, col.typ, col.item)
		if err != nil {
			bad(col.name, msg{err.Error(), zhOf(err)})
			continue
		}
		if val != nil {
			setPath(subject, col.path, val)
		}
	}
	c.fillConsts(c.root, subject)
	row.Request.Subject = subject
	row.Request.IdempotencyKey = CSVIdempotencyPrefix + row.Key
	return row, problems
}

// coerce converts a cell to the schema type; nil means "omit" (a list of
// only separators).
func coerce(v, typ, item string) (any, error) {
	switch typ {
	case "integer":
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, msg{fmt.Sprintf("%q is not an integer", v), fmt.Sprintf("%q 不是整数", v)}
		}
		return n, nil
	case "number":
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, msg{fmt.Sprintf("%q is not a number", v), fmt.Sprintf("%q 不是数字", v)}
		}
		return f, nil
	case "boolean":
		switch strings.ToLower(v) {
		case "true", "yes", "1":
			return true, nil
		case "false", "no", "0":
			return false, nil
		}
		return nil, msg{fmt.Sprintf("%q is not true or false", v), fmt.Sprintf("%q 不是“是”或“否”（true/false）", v)}
	case "array":
		var out []any
		for part := range strings.SplitSeq(v, ";") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			x, err := coerce(part, item, "")
			if err != nil {
				return nil, err
			}
			out = append(out, x)
		}
		if len(out) == 0 {
			return nil, nil
		}
		return out, nil
	}
	return v, nil
}

// setPath sets m[a][b]… = v, creating the objects on the way. The header
// check guarantees that no path goes through a non-object.
func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// fillConsts fills in the required properties whose value is fixed by the
// schema (degree.type = "Degree") in the objects the row gave.
func (c *csvSchema) fillConsts(n map[string]any, obj map[string]any) {
	n = c.deref(n)
	props, _ := n["properties"].(map[string]any)
	req, _ := n["required"].([]any)
	for _, r := range req {
		name, _ := r.(string)
		p, _ := props[name].(map[string]any)
		if p == nil {
			continue
		}
		if cv, ok := c.deref(p)["const"]; ok {
			if _, has := obj[name]; !has {
				obj[name] = cv
			}
		}
	}
	for name, v := range obj {
		sub, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if p, ok := props[name].(map[string]any); ok {
			c.fillConsts(p, sub)
		}
	}
}

// parseCSVTime reads YYYY-MM-DD (00:00:00Z, or 23:59:59Z for the end of a
// validity period) or RFC 3339.
func parseCSVTime(v string, end bool) (time.Time, error) {
	if len(v) == len(time.DateOnly) {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return time.Time{}, msg{fmt.Sprintf("%q is not a date (YYYY-MM-DD)", v), fmt.Sprintf("%q 不是日期（YYYY-MM-DD）", v)}
		}
		if end {
			t = t.Add(24*time.Hour - time.Second)
		}
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, msg{fmt.Sprintf("%q is not a date (YYYY-MM-DD) or an RFC 3339 time", v), fmt.Sprintf("%q 不是日期（YYYY-MM-DD）或 RFC 3339 时间", v)}
	}
	if t.Year() < 1900 || t.Year() > 9999 {
		return time.Time{}, msg{fmt.Sprintf("%q is out of range", v), fmt.Sprintf("%q 超出范围", v)}
	}
	return t.UTC(), nil
}
