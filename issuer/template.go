package issuer

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

//go:embed templates/*.json
var templateFS embed.FS

// Template is a credential template: the credential type it issues, the
// accreditation level it needs (degrees) and the JSON Schema its
// credentialSubject must satisfy.
type Template struct {
	ID     string          `json:"id"`    // e.g. "master-degree"
	Type   string          `json:"type"`  // e.g. "DegreeCredential"
	Level  string          `json:"level"` // accreditation level; "" when the type has none
	Title  string          `json:"title"`
	Schema json.RawMessage `json:"schema"`
	// Disclosable are the claims (JSON Pointers into credentialSubject)
	// that an SD-JWT VC of this template makes selectively disclosable;
	// the others are always visible. See sdjwt.go.
	Disclosable []string `json:"disclosable"`
	schema      *jsonschema.Schema
}

// Template ids.
const (
	TemplateBachelor   = "bachelor-degree"
	TemplateMaster     = "master-degree"
	TemplateDoctor     = "doctor-degree"
	TemplateTraining   = "training-certificate"
	TemplateCompletion = "course-completion"
)

// Credential types the templates issue, as accredited on chain.
const (
	TypeDegree     = "DegreeCredential"
	TypeTraining   = "TrainingCertificateCredential"
	TypeCompletion = "CourseCompletionCredential"
)

var builtin = []struct{ id, typ, level string }{
	{TemplateBachelor, TypeDegree, "bachelor"},
	{TemplateMaster, TypeDegree, "master"},
	{TemplateDoctor, TypeDegree, "doctor"},
	{TemplateTraining, TypeTraining, ""},
	{TemplateCompletion, TypeCompletion, ""},
}

type templates struct {
	byID map[string]*Template
	list []*Template
}

func loadTemplates() (*templates, error) {
	t := &templates{byID: map[string]*Template{}}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	for _, b := range builtin {
		raw, err := templateFS.ReadFile("templates/" + b.id + ".json")
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", b.id, err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", b.id, err)
		}
		loc := "tc:///" + b.id + ".json"
		if err := c.AddResource(loc, doc); err != nil {
			return nil, fmt.Errorf("template %s: %w", b.id, err)
		}
		sch, err := c.Compile(loc)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", b.id, err)
		}
		var head struct {
			Title string `json:"title"`
		}
		_ = json.Unmarshal(raw, &head)
		tm := &Template{ID: b.id, Type: b.typ, Level: b.level, Title: head.Title, Schema: raw, schema: sch, Disclosable: disclosable[b.typ]}
		t.byID[b.id] = tm
		t.list = append(t.list, tm)
	}
	return t, nil
}

// Templates lists the credential templates.
func (s *Service) Templates() []Template {
	out := make([]Template, 0, len(s.tmpl.list))
	for _, t := range s.tmpl.list {
		out = append(out, *t)
	}
	return out
}

// resolve finds the template of a request: by id, or by credential type
// (a DegreeCredential by its subject's degree.level).
func (t *templates) resolve(req *Request) (*Template, error) {
	if req.Template != "" {
		tm, ok := t.byID[req.Template]
		if !ok {
			return nil, invalid("/template", fmt.Sprintf("unknown template %q", req.Template), fmt.Sprintf("没有名为 %q 的模板", req.Template))
		}
		if req.Type != "" && req.Type != tm.Type {
			return nil, invalid("/type", fmt.Sprintf("template %s issues %s, not %s", tm.ID, tm.Type, req.Type), fmt.Sprintf("模板 %s 签发的是 %s，不是 %s", tm.ID, tm.Type, req.Type))
		}
		return tm, nil
	}
	switch req.Type {
	case "":
		return nil, invalid("/template", "a template or a credential type is required", "需要指定模板或凭证类型")
	case TypeDegree:
		deg, _ := req.Subject["degree"].(map[string]any)
		level, _ := deg["level"].(string)
		for _, tm := range t.list {
			if tm.Type == TypeDegree && tm.Level == level {
				return tm, nil
			}
		}
		return nil, invalid("/credentialSubject/degree/level", "must be bachelor, master or doctor", "学位层次必须是 bachelor（学士）、master（硕士）或 doctor（博士）")
	}
	for _, tm := range t.list {
		if tm.Type == req.Type {
			return tm, nil
		}
	}
	return nil, invalid("/type", fmt.Sprintf("no template issues %q", req.Type), fmt.Sprintf("没有签发 %q 的模板", req.Type))
}

var printer = message.NewPrinter(language.English)

// validate checks a credentialSubject against the template's schema. The
// subject is first round-tripped through JSON so that Go values validate
// as the JSON the credential will hold.
//
// A subject made only of JSON's own values (what a decoded request or a
// CSV row holds: strings of UTF-8, finite numbers, booleans, nil, lists
// and objects of them) is validated as it is: its JSON form means the
// same, and the round trip was most of the cost of a CSV row.
func (tm *Template) validate(subject map[string]any) error {
	var doc any = subject
	if !jsonNative(subject, 0) {
		raw, err := json.Marshal(subject)
		if err != nil {
			return invalid("/credentialSubject", "is not representable as JSON: "+err.Error(), "无法表示为 JSON："+err.Error())
		}
		if doc, err = jsonschema.UnmarshalJSON(bytes.NewReader(raw)); err != nil {
			return invalid("/credentialSubject", err.Error(), "不是有效的 JSON 对象："+err.Error())
		}
	}
	return tm.validateDoc(doc)
}

// validateDoc validates a JSON value (as jsonschema.UnmarshalJSON gives, or
// jsonNative) and names the failing claims.
func (tm *Template) validateDoc(doc any) error {
	err := tm.schema.Validate(doc)
	if err == nil {
		return nil
	}
	var ve *jsonschema.ValidationError
	if !errors.As(err, &ve) {
		return invalid("/credentialSubject", err.Error(), "不是有效的 JSON 对象："+err.Error())
	}
	v := &ValidationError{}
	leaves(ve, func(e *jsonschema.ValidationError) {
		base := "/credentialSubject" + pointer(e.InstanceLocation)
		switch k := e.ErrorKind.(type) {
		case *kind.Required:
			for _, m := range k.Missing {
				v.Fields = append(v.Fields, FieldError{base + "/" + escape(m), "is required", "必填"})
			}
		case *kind.AdditionalProperties:
			for _, p := range k.Properties {
				v.Fields = append(v.Fields, FieldError{base + "/" + escape(p), "is not a claim of this template", "不是该模板的字段"})
			}
		default:
			v.Fields = append(v.Fields, FieldError{base, e.ErrorKind.LocalizedString(printer), schemaReasonZH(e.ErrorKind)})
		}
	})
	slices.SortStableFunc(v.Fields, func(a, b FieldError) int { return strings.Compare(a.Field, b.Field) })
	v.Fields = slices.Compact(v.Fields)
	return v
}

func leaves(e *jsonschema.ValidationError, f func(*jsonschema.ValidationError)) {
	if len(e.Causes) == 0 {
		f(e)
		return
	}
	for _, c := range e.Causes {
		leaves(c, f)
	}
}

func pointer(tokens []string) string {
	var sb strings.Builder
	for _, t := range tokens {
		sb.WriteByte('/')
		sb.WriteString(escape(t))
	}
	return sb.String()
}

func escape(tok string) string {
	return strings.ReplaceAll(strings.ReplaceAll(tok, "~", "~0"), "/", "~1")
}

// jsonNative reports whether v holds only values whose JSON form means the
// same to the schema validator: nil, bool, UTF-8 strings, finite float64,
// int64, int, json.Number, and lists and objects of them (at most 64 deep).
func jsonNative(v any, depth int) bool {
	if depth > 64 {
		return false
	}
	switch x := v.(type) {
	case nil, bool, int64, int, json.Number:
		return true
	case string:
		return utf8.ValidString(x)
	case float64:
		return !math.IsInf(x, 0) && !math.IsNaN(x)
	case []any:
		for _, e := range x {
			if !jsonNative(e, depth+1) {
				return false
			}
		}
		return true
	case map[string]any:
		for k, e := range x {
			if !utf8.ValidString(k) || !jsonNative(e, depth+1) {
				return false
			}
		}
		return true
	}
	return false
}
