package pdfdoc_test

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"

	"github.com/talentchain/talentchain/internal/pdfdoc"
)

// -keep writes the test documents and their page images to this folder, to
// look at them (CI keeps them as artefacts).
var keep = flag.String("keep", "", "folder to keep the generated PDFs and page images in")

var shanghai = time.FixedZone("CST", 8*3600)

func sampleCertificate(lang pdfdoc.Lang) pdfdoc.CertificateData {
	c := pdfdoc.CertificateData{
		Lang:         lang,
		HolderName:   "张伟",
		Title:        "工学硕士",
		IssuerName:   "清华大学",
		IssuedAt:     time.Date(2026, 7, 1, 10, 0, 0, 0, shanghai),
		CredentialID: "urn:uuid:2f1c9a7e-5b7c-4c1e-9f38-0d8c2b7e4a11",
		Claims: []pdfdoc.Claim{
			{Label: "专业", Value: "计算机科学与技术"},
			{Label: "学位类别", Value: "学术学位"},
			{Label: "授予单位代码", Value: "10003"},
		},
		VerifyURL: "https://verify.talentchain.example.cn/v/urn:uuid:2f1c9a7e-5b7c-4c1e-9f38-0d8c2b7e4a11",
		Anchor:    &pdfdoc.Anchor{Height: 48213, TxHash: "9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"},
		Status:    pdfdoc.StatusValid,
	}
	if lang == pdfdoc.LangEN {
		c.HolderName, c.Title, c.IssuerName = "Li Na", "Master of Engineering", "Tsinghua University"
		c.ValidUntil = time.Date(2031, 6, 30, 0, 0, 0, 0, shanghai)
		c.Claims = []pdfdoc.Claim{
			{Label: "Major", Value: "Computer Science and Technology"},
			{Label: "Degree type", Value: "Academic degree"},
		}
	}
	return c
}

func sampleReport(lang pdfdoc.Lang) pdfdoc.ReportData {
	r := pdfdoc.ReportData{
		Lang:       lang,
		VerifiedAt: time.Date(2026, 11, 24, 14, 5, 0, 0, shanghai),
		VerifiedBy: "北京市人才工作局",
		Document: []pdfdoc.Field{
			{Label: "类型", Value: "学位证书（VerifiableCredential, DegreeCredential）"},
			{Label: "颁发机构", Value: "清华大学 did:talentchain:tsinghua"},
			{Label: "持有人", Value: "张伟"},
			{Label: "上链区块", Value: "48213"},
		},
		Checks: []pdfdoc.Check{
			{Name: "格式与模式", State: pdfdoc.CheckPass, Message: "凭证格式正确，符合学位证书模式。"},
			{Name: "签名", State: pdfdoc.CheckPass, Message: "eddsa-rdfc-2022 签名有效。"},
			{Name: "颁发机构", State: pdfdoc.CheckWarn, Message: "颁发机构在链上登记，但其对该类型凭证的认证将于30天内到期。"},
			{Name: "状态", State: pdfdoc.CheckFail, Message: "该凭证已于2026年10月3日被颁发机构撤销。"},
			{Name: "出示验证", State: pdfdoc.CheckSkip, Message: "不是出示，不适用。"},
		},
		Verdict:        pdfdoc.VerdictInvalid,
		VerdictText:    "该凭证已被撤销，不能作为有效证明。",
		VerificationID: "vr_01JDQ7Z8K2M4N6P8R0T2V4X6Z8",
		URL:            "https://verify.talentchain.example.cn/r/vr_01JDQ7Z8K2M4N6P8R0T2V4X6Z8",
	}
	if lang == pdfdoc.LangEN {
		r.VerifiedBy = "Acme Ltd HR"
		r.Document = []pdfdoc.Field{{Label: "Type", Value: "Degree credential"}, {Label: "Holder", Value: "张伟 (Zhang Wei)"}}
		r.Checks = []pdfdoc.Check{
			{Name: "Format", State: pdfdoc.CheckPass, Message: "The credential is well formed."},
			{Name: "Issuer", State: pdfdoc.CheckWarn, Message: "The issuer is not accredited on TalentChain."},
			{Name: "Status", State: pdfdoc.CheckFail, Message: "The credential was revoked."},
			{Name: "Replay", State: pdfdoc.CheckSkip, Message: "Not a presentation."},
		}
		r.Verdict = pdfdoc.VerdictInvalid
		r.VerdictText = "The credential was revoked."
	}
	return r
}

// need skips the test when a poppler tool is missing (CI installs them).
func need(t testing.TB, tool string) {
	t.Helper()
	if _, err := exec.LookPath(tool); err != nil {
		t.Skipf("%s not installed (Debian package poppler-utils)", tool)
	}
}

// save writes pdf to a file and returns its path.
func save(t testing.TB, name string, pdf []byte) string {
	t.Helper()
	dir := t.TempDir()
	if *keep != "" {
		dir = *keep
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(p, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// pdfText extracts the text of a PDF with pdftotext, in reading order
// (blocks of text one after the other, so a wrapped value stays together).
func pdfText(t testing.TB, path string) string {
	need(t, "pdftotext")
	return run(t, "pdftotext", "-enc", "UTF-8", path, "-")
}

// layoutText extracts the text keeping the layout: what is printed on one
// line of the page is on one line of text.
func layoutText(t testing.TB, path string) string {
	need(t, "pdftotext")
	return run(t, "pdftotext", "-layout", "-enc", "UTF-8", path, "-")
}

// pageImage renders page n of a PDF at dpi with pdftoppm.
func pageImage(t testing.TB, path string, n, dpi int) image.Image {
	t.Helper()
	need(t, "pdftoppm")
	prefix := strings.TrimSuffix(path, ".pdf") + "-page"
	run(t, "pdftoppm", "-png", "-r", itoa(dpi), "-f", itoa(n), "-l", itoa(n), "-singlefile", path, prefix)
	b, err := os.ReadFile(prefix + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func itoa(n int) string { return strconv.Itoa(n) }

// decodeQR finds and reads a QR code anywhere in img with an independent
// decoder (gozxing).
func decodeQR(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
		gozxing.DecodeHintType_TRY_HARDER:    true,
	})
	if err != nil {
		t.Fatalf("no QR code read from the page: %v", err)
	}
	return res.GetText()
}
