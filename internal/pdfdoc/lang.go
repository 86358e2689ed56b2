package pdfdoc

import (
	"fmt"
	"time"
)

// word is a label in both languages.
type word struct{ en, zh string }

func (d *doc) say(w word) string {
	if d.lang == LangZH {
		return w.zh
	}
	return w.en
}

var (
	wCertificate  = word{"Certificate", "证　书"}
	wCertifies    = word{"This is to certify that", "兹证明"}
	wAwarded      = word{"has been awarded", "已获得"}
	wIssuedOn     = word{"Issued on", "颁发日期"}
	wValidUntil   = word{"Valid until", "有效期至"}
	wNoExpiry     = word{"No expiry", "长期有效"}
	wCredentialID = word{"Credential ID", "证书编号"}
	wAnchor       = word{"Recorded on chain", "链上存证"}
	wNotAnchored  = word{"Not yet recorded on chain", "尚未上链存证"}
	wAnchorAt     = word{"Block %d · tx %s", "区块 %d · 交易 %s"}
	wScan         = word{"Scan to verify", "扫码验证"}
	wVerifyAt     = word{"Verify at", "验证网址"}
	wReport       = word{"Verification report", "验证报告"}
	wVerifiedAt   = word{"Verified at", "验证时间"}
	wVerifiedBy   = word{"Verified by", "验证方"}
	wDocument     = word{"Document", "被验证文件"}
	wChecks       = word{"Checks", "检查项目"}
	wVerdict      = word{"Verdict", "结论"}
	wVerification = word{"Verification ID", "验证编号"}
	wPage         = word{"Page %d of %d", "第 %d 页，共 %d 页"}
	wColon        = word{": ", "："}
)

var statusWords = map[Status]word{
	StatusValid:     {"Valid", "有效"},
	StatusSuspended: {"Suspended", "已暂停"},
	StatusRevoked:   {"Revoked", "已撤销"},
	StatusExpired:   {"Expired", "已过期"},
	StatusUnknown:   {"Unknown", "未知"},
}

var statusColours = map[Status]rgb{
	StatusValid:     green,
	StatusSuspended: amber,
	StatusRevoked:   red,
	StatusExpired:   red,
	StatusUnknown:   grey,
}

var checkWords = map[CheckState]word{
	CheckPass: {"Passed", "通过"},
	CheckWarn: {"Warning", "警告"},
	CheckFail: {"Failed", "未通过"},
	CheckSkip: {"Not checked", "未检查"},
}

var checkColours = map[CheckState]rgb{
	CheckPass: green,
	CheckWarn: amber,
	CheckFail: red,
	CheckSkip: grey,
}

var verdictWords = map[Verdict]word{
	VerdictValid:   {"Valid", "有效"},
	VerdictWarning: {"Valid with warnings", "有效，但有警告"},
	VerdictInvalid: {"Not valid", "无效"},
}

var verdictColours = map[Verdict]rgb{
	VerdictValid:   green,
	VerdictWarning: amber,
	VerdictInvalid: red,
}

// date prints t's calendar day in its own location: 2026年11月24日, or
// 24 November 2026.
func (d *doc) date(t time.Time) string {
	if d.lang == LangZH {
		return fmt.Sprintf("%d年%d月%d日", t.Year(), int(t.Month()), t.Day())
	}
	return t.Format("2 January 2006")
}

// dateTime prints t with its UTC offset: 2026年11月24日 14:05 (UTC+08:00), or
// 24 November 2026, 14:05 (UTC+08:00).
func (d *doc) dateTime(t time.Time) string {
	off := t.Format("-07:00")
	if off == "Z" {
		off = "+00:00"
	}
	if d.lang == LangZH {
		return fmt.Sprintf("%s %s（UTC%s）", d.date(t), t.Format("15:04"), off)
	}
	return fmt.Sprintf("%s, %s (UTC%s)", d.date(t), t.Format("15:04"), off)
}

// short keeps the first and last n characters of a long hex string.
func short(s string, n int) string {
	if len(s) <= 2*n+1 {
		return s
	}
	return s[:n] + "…" + s[len(s)-n:]
}
