package ui

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// The issue form is generated from the template's JSON Schema: each claim
// becomes a field named "c." + its dotted path (a language map becomes one
// field per language, "c.fullName.zh"), typed by the schema (date, number,
// select for an enum, text otherwise; arrays are one text field split on
// ";"). Constants (degree.type, degree.level) are filled in, not asked.

// issClaimField is one claim input of a template.
type issClaimField struct {
	Path     string // dotted claim path: fullName.zh, course.hours
	Claim    string // the claim the label is for: fullName, course.hours
	Lang     string // "zh" or "en" for a language map's entries
	Kind     string // text, date, integer, number, select, list
	Options  []string
	Required bool
}

// issTemplateForm is a template's fields and fixed values.
type issTemplateForm struct {
	Fields []issClaimField
	Consts map[string]any // dotted path → value
}

// issBuildTemplateForm walks the schema of tm.
func issBuildTemplateForm(tm issuer.Template) (*issTemplateForm, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(tm.Schema, &root); err != nil {
		return nil, fmt.Errorf("template %s: schema: %w", tm.ID, err)
	}
	defs := map[string]json.RawMessage{}
	if raw, ok := root["$defs"]; ok {
		if err := json.Unmarshal(raw, &defs); err != nil {
			return nil, fmt.Errorf("template %s: $defs: %w", tm.ID, err)
		}
	}
	f := &issTemplateForm{Consts: map[string]any{}}
	if err := f.walk("", root, defs, 0); err != nil {
		return nil, fmt.Errorf("template %s: %w", tm.ID, err)
	}
	return f, nil
}

type issSchemaNode struct {
	Ref        string          `json:"$ref"`
	Type       string          `json:"type"`
	Const      any             `json:"const"`
	Enum       []any           `json:"enum"`
	Required   []string        `json:"required"`
	Properties json.RawMessage `json:"properties"`
	Format     string          `json:"format"`
}

func (f *issTemplateForm) walk(prefix string, obj map[string]json.RawMessage, defs map[string]json.RawMessage, depth int) error {
	if depth > 6 {
		return errors.New("schema nested too deep")
	}
	var node issSchemaNode
	raw, _ := json.Marshal(obj)
	if err := json.Unmarshal(raw, &node); err != nil {
		return err
	}
	names, err := issOrderedKeys(node.Properties)
	if err != nil {
		return err
	}
	var props map[string]json.RawMessage
	if len(node.Properties) > 0 {
		if err := json.Unmarshal(node.Properties, &props); err != nil {
			return err
		}
	}
	for _, name := range names {
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		if path == "id" { // the holder's DID is a field of its own
			continue
		}
		required := false
		for _, r := range node.Required {
			required = required || r == name
		}
		var child issSchemaNode
		if err := json.Unmarshal(props[name], &child); err != nil {
			return err
		}
		kind := ""
		if ref, ok := strings.CutPrefix(child.Ref, "#/$defs/"); ok {
			switch ref {
			case "langMap":
				f.Fields = append(f.Fields,
					issClaimField{Path: path + ".zh", Claim: path, Lang: "zh", Kind: "text", Required: required},
					issClaimField{Path: path + ".en", Claim: path, Lang: "en", Kind: "text"})
				continue
			case "date":
				kind = "date"
			default:
				kind = "text"
			}
			if err := json.Unmarshal(defs[ref], &child); err != nil {
				return err
			}
		}
		switch {
		case child.Const != nil:
			f.Consts[path] = child.Const
			continue
		case len(child.Enum) > 0:
			cf := issClaimField{Path: path, Claim: path, Kind: "select", Required: required}
			for _, e := range child.Enum {
				cf.Options = append(cf.Options, fmt.Sprint(e))
			}
			f.Fields = append(f.Fields, cf)
			continue
		case child.Type == "object" && len(child.Properties) > 0:
			var sub map[string]json.RawMessage
			if err := json.Unmarshal(props[name], &sub); err != nil {
				return err
			}
			if err := f.walk(path, sub, defs, depth+1); err != nil {
				return err
			}
			continue
		case kind != "":
		case child.Type == "integer", child.Type == "number":
			kind = child.Type
		case child.Type == "array":
			kind = "list"
		case child.Format == "date":
			kind = "date"
		default:
			kind = "text"
		}
		f.Fields = append(f.Fields, issClaimField{Path: path, Claim: path, Kind: kind, Required: required})
	}
	return nil
}

// issOrderedKeys returns an object's keys in document order.
func issOrderedKeys(raw json.RawMessage) ([]string, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// issClaimLabel is a claim's name in lang (the catalogue's, else the path).
func issClaimLabel(lang i18n.Lang, claim string) string {
	return labelOr(lang, "issuer.claim."+claim, claim)
}

// issFieldName is the form name of a claim path.
func issFieldName(path string) string { return "c." + path }

// issFormGroups lays out the template's fields for the page, with the
// values and errors given (by form name).
func issFormGroups(lang i18n.Lang, f *issTemplateForm, values map[string]string, errs map[string]string) []pages.IssueFieldGroup {
	main := pages.IssueFieldGroup{}
	groups := []pages.IssueFieldGroup{}
	byGroup := map[string]int{}
	for _, cf := range f.Fields {
		pf := pages.IssueField{Name: issFieldName(cf.Path), Label: issClaimLabel(lang, cf.Claim), Required: cf.Required,
			Value: values[issFieldName(cf.Path)], Error: errs[issFieldName(cf.Path)]}
		switch cf.Kind {
		case "date":
			pf.Type = "date"
		case "integer", "number":
			pf.Type = "number"
		case "select":
			pf.Type = "select"
			for _, o := range cf.Options {
				pf.Options = append(pf.Options, pages.SelectOption{Value: o, Label: issOptionLabel(lang, o), Selected: pf.Value == o})
			}
		case "list":
			pf.Type = "text"
			pf.Hint = lang.T("issuer.issue.listHint")
		default:
			pf.Type = "text"
		}
		if cf.Lang != "" {
			pf.Label += " (" + lang.T("issuer.lang."+cf.Lang) + ")"
		}
		top, _, nested := strings.Cut(cf.Claim, ".")
		if !nested {
			main.Fields = append(main.Fields, pf)
			continue
		}
		i, ok := byGroup[top]
		if !ok {
			i = len(groups)
			byGroup[top] = i
			groups = append(groups, pages.IssueFieldGroup{Legend: issClaimLabel(lang, top)})
		}
		groups[i].Fields = append(groups[i].Fields, pf)
	}
	extra := pages.IssueFieldGroup{Legend: lang.T("issuer.issue.more"), Fields: []pages.IssueField{
		{Name: "holder", Label: lang.T("issuer.issue.holder"), Type: "text", Value: values["holder"], Error: errs["holder"], Hint: lang.T("issuer.issue.holderHint")},
		{Name: "validUntil", Label: lang.T("issuer.issue.validUntil"), Type: "date", Value: values["validUntil"], Error: errs["validUntil"]},
	}}
	return append(append([]pages.IssueFieldGroup{main}, groups...), extra)
}

// issOptionLabel names an enumerated value (a degree level): the
// catalogue's words, else the value itself.
func issOptionLabel(lang i18n.Lang, v string) string { return labelOr(lang, "issuer.option."+v, v) }

// subject builds the credentialSubject from the posted values; a value
// that is not of its field's type is an error for that field.
func (f *issTemplateForm) subject(lang i18n.Lang, get func(string) string) (map[string]any, map[string]string) {
	subj := map[string]any{}
	errs := map[string]string{}
	for _, cf := range f.Fields {
		v := strings.TrimSpace(get(issFieldName(cf.Path)))
		if v == "" {
			continue
		}
		var val any = v
		switch cf.Kind {
		case "integer":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				errs[issFieldName(cf.Path)] = lang.T("issuer.issue.wantInteger")
				continue
			}
			val = n
		case "number":
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				errs[issFieldName(cf.Path)] = lang.T("issuer.issue.wantNumber")
				continue
			}
			val = n
		case "list":
			var items []any
			for _, it := range strings.Split(v, ";") {
				if it = strings.TrimSpace(it); it != "" {
					items = append(items, it)
				}
			}
			val = items
		}
		issSetClaim(subj, strings.Split(cf.Path, "."), val)
	}
	for path, v := range f.Consts {
		parent := strings.Split(path, ".")
		if len(parent) > 1 {
			if _, ok := subj[parent[0]]; !ok {
				continue // an optional object left empty keeps its constants out
			}
		}
		issSetClaim(subj, parent, v)
	}
	return subj, errs
}

func issSetClaim(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// fieldErrors places the issuer's JSON pointer errors on the form's
// fields: /credentialSubject/degree/degreeName goes to the first field
// under degree.degreeName; /holder and /validUntil to theirs. The rest
// are returned as page-level messages. Reasons are in the page's language.
func (f *issTemplateForm) fieldErrors(ve *issuer.ValidationError, errs map[string]string, lang i18n.Lang) []string {
	var rest []string
	for _, fe := range ve.Fields {
		placed := false
		if claim, ok := strings.CutPrefix(fe.Field, "/credentialSubject/"); ok {
			path := strings.ReplaceAll(claim, "/", ".")
			for _, cf := range f.Fields {
				if cf.Path == path || strings.HasPrefix(cf.Path, path+".") || strings.HasPrefix(path, cf.Path+".") {
					name := issFieldName(cf.Path)
					if errs[name] == "" {
						errs[name] = fe.In(string(lang))
					}
					placed = true
					break
				}
			}
		}
		switch fe.Field {
		case "/holder", "/validUntil":
			errs[strings.TrimPrefix(fe.Field, "/")] = fe.In(string(lang))
			placed = true
		}
		if !placed {
			rest = append(rest, fe.Field+": "+fe.In(string(lang)))
		}
	}
	return rest
}

// exampleCSV is a header and one example row for a template's batch upload.
func (f *issTemplateForm) exampleCSV() string {
	head := []string{issuer.ColKey, issuer.ColHolder}
	row := []string{"row-0001", ""}
	for _, cf := range f.Fields {
		head = append(head, cf.Path)
		row = append(row, issExampleValue(cf))
	}
	return strings.Join(head, ",") + "\n" + strings.Join(row, ",") + "\n"
}

func issExampleValue(cf issClaimField) string {
	switch {
	case cf.Kind == "date":
		return "2026-06-30"
	case cf.Kind == "integer" || cf.Kind == "number":
		return "48"
	case cf.Kind == "select" && len(cf.Options) > 0:
		return cf.Options[0]
	case cf.Kind == "list":
		return "skill one;skill two"
	case strings.HasSuffix(cf.Path, "Code") && strings.HasPrefix(cf.Path, "course"):
		return "BC-101"
	case strings.HasSuffix(cf.Path, "disciplineCode"):
		return "0812"
	case cf.Lang == "zh":
		return "示例"
	case cf.Lang == "en":
		return "Example"
	}
	return "example"
}
