package issuer

import (
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// Chinese texts of the validation messages. Every FieldError and RowError
// the issuer makes carries its reason in English (Reason, also the error's
// text) and in Chinese (ReasonZH); the web form shows the page's language,
// the API English unless the request asks for Chinese (ui/issuing.go).

// schemaReasonZH says in Chinese what a JSON Schema keyword found wrong
// with a claim, as kind's LocalizedString does in English.
func schemaReasonZH(k jsonschema.ErrorKind) string {
	switch k := k.(type) {
	case *kind.Type:
		want := make([]string, len(k.Want))
		for i, w := range k.Want {
			want[i] = jsonTypeZH(w)
		}
		return fmt.Sprintf("类型不对：应为%s，实际为%s", strings.Join(want, "或"), jsonTypeZH(k.Got))
	case *kind.Enum:
		vals := make([]string, len(k.Want))
		for i, w := range k.Want {
			vals[i] = fmt.Sprint(w)
		}
		if len(vals) == 1 {
			return "取值必须是 " + vals[0]
		}
		return "取值必须是以下之一：" + strings.Join(vals, "、")
	case *kind.Const:
		return fmt.Sprintf("取值必须是 %v", k.Want)
	case *kind.Format:
		if k.Want == "date" {
			return fmt.Sprintf("%v 不是有效的日期（YYYY-MM-DD）", k.Got)
		}
		return fmt.Sprintf("%v 不是有效的 %s 格式", k.Got, k.Want)
	case *kind.Pattern:
		return fmt.Sprintf("%q 的格式不对（应符合 %s）", k.Got, k.Want)
	case *kind.MinLength:
		return fmt.Sprintf("太短：至少 %d 个字符，现有 %d 个", k.Want, k.Got)
	case *kind.MaxLength:
		return fmt.Sprintf("太长：最多 %d 个字符，现有 %d 个", k.Want, k.Got)
	case *kind.Minimum:
		return fmt.Sprintf("不能小于 %s（现为 %s）", ratString(k.Want), ratString(k.Got))
	case *kind.Maximum:
		return fmt.Sprintf("不能大于 %s（现为 %s）", ratString(k.Want), ratString(k.Got))
	case *kind.ExclusiveMinimum:
		return fmt.Sprintf("必须大于 %s（现为 %s）", ratString(k.Want), ratString(k.Got))
	case *kind.ExclusiveMaximum:
		return fmt.Sprintf("必须小于 %s（现为 %s）", ratString(k.Want), ratString(k.Got))
	case *kind.MinItems:
		return fmt.Sprintf("至少 %d 项，现有 %d 项", k.Want, k.Got)
	case *kind.MaxItems:
		return fmt.Sprintf("最多 %d 项，现有 %d 项", k.Want, k.Got)
	case *kind.UniqueItems:
		return fmt.Sprintf("第 %d 项与第 %d 项重复", k.Duplicates[0]+1, k.Duplicates[1]+1)
	case *kind.MinProperties:
		return fmt.Sprintf("至少需要 %d 种语言或字段，现有 %d 个", k.Want, k.Got)
	case *kind.MaxProperties:
		return fmt.Sprintf("最多 %d 种语言或字段，现有 %d 个", k.Want, k.Got)
	case *kind.PropertyNames:
		return fmt.Sprintf("%q 不是允许的键名（语言标签如 zh、en）", k.Property)
	case *kind.Required:
		return "缺少必填字段：" + strings.Join(k.Missing, "、")
	case *kind.AdditionalProperties:
		return "不是该模板的字段：" + strings.Join(k.Properties, "、")
	case *kind.FalseSchema:
		return "不允许出现"
	}
	return "不符合模板的要求"
}

func jsonTypeZH(t string) string {
	switch t {
	case "string":
		return "文本"
	case "integer":
		return "整数"
	case "number":
		return "数字"
	case "boolean":
		return "是/否"
	case "array":
		return "列表"
	case "object":
		return "对象"
	case "null":
		return "空值"
	}
	return t
}

func ratString(r *big.Rat) string {
	if r == nil {
		return "?"
	}
	if r.IsInt() {
		return r.Num().String()
	}
	f, _ := r.Float64()
	return fmt.Sprint(f)
}

// ruleZH says in Chinese which validator/v10 rule a field broke.
func ruleZH(tag, param string) string {
	switch tag {
	case "required":
		return "必填"
	case "min":
		return "不能小于 " + param
	case "max":
		return "不能大于 " + param
	case "oneof":
		return "必须是以下之一：" + strings.Join(strings.Fields(param), "、")
	case "len":
		return "长度必须是 " + param
	}
	return "不符合规则 " + strings.TrimSpace(tag+" "+param)
}

// msg is a message in both languages, as an error (its Error is English).
type msg struct{ en, zh string }

func (m msg) Error() string { return m.en }

// zhOf is the Chinese text of err when it is a msg, else its English.
func zhOf(err error) string {
	if m, ok := err.(msg); ok {
		return m.zh
	}
	return err.Error()
}

// reasonsZH is a validation error in Chinese ("字段：原因；…"), or "" when
// err is not one or has no Chinese text.
func reasonsZH(err error) string {
	var ve *ValidationError
	if !errors.As(err, &ve) {
		return ""
	}
	parts := make([]string, 0, len(ve.Fields))
	for _, f := range ve.Fields {
		if f.ReasonZH == "" {
			return ""
		}
		parts = append(parts, f.Field+"："+f.ReasonZH)
	}
	return "请求无效：" + strings.Join(parts, "；")
}
