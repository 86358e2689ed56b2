package pdfdoc_test

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/internal/pdfdoc"
)

func ExampleCertificate() {
	cst := time.FixedZone("CST", 8*3600)
	c := pdfdoc.CertificateData{
		Lang:         pdfdoc.LangZH,
		HolderName:   "张伟",
		Title:        "工学硕士",
		IssuerName:   "清华大学",
		IssuedAt:     time.Date(2026, 7, 1, 10, 0, 0, 0, cst),
		CredentialID: "urn:uuid:2f1c9a7e-5b7c-4c1e-9f38-0d8c2b7e4a11",
		Claims:       []pdfdoc.Claim{{Label: "专业", Value: "计算机科学与技术"}},
		VerifyURL:    "https://verify.talentchain.example.cn/v/2f1c9a7e",
		Anchor:       &pdfdoc.Anchor{Height: 48213, TxHash: "9F86D081884C7D659A2FEAA0C55AD015"},
		Status:       pdfdoc.StatusValid,
	}
	var pdf bytes.Buffer // an http.ResponseWriter in the web layer
	if err := pdfdoc.Certificate(&pdf, c); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(pdf.Bytes()[:5]))

	c.VerifyURL = "javascript:alert(1)"
	err := pdfdoc.Certificate(&pdf, c)
	var ve *pdfdoc.ValidationError
	fmt.Println(errors.Is(err, pdfdoc.ErrInvalid), errors.As(err, &ve) && ve.Field == "VerifyURL")
	fmt.Println(err)
	// Output:
	// %PDF-
	// true true
	// pdfdoc: VerifyURL must be an absolute http or https URL
}

func ExampleReport() {
	r := pdfdoc.ReportData{
		Lang:       pdfdoc.LangEN,
		VerifiedAt: time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC),
		VerifiedBy: "Acme Ltd HR",
		Document:   []pdfdoc.Field{{Label: "Holder", Value: "张伟 (Zhang Wei)"}},
		Checks: []pdfdoc.Check{
			{Name: "Proof", State: pdfdoc.CheckPass, Message: "The signature is valid."},
			{Name: "Issuer", State: pdfdoc.CheckWarn, Message: "The issuer is not accredited on TalentChain."},
		},
		Verdict:        pdfdoc.VerdictWarning,
		VerdictText:    "Valid, but the issuer is not accredited.",
		VerificationID: "vr_01JDQ7Z8K2",
		URL:            "https://verify.talentchain.example.cn/r/vr_01JDQ7Z8K2",
	}
	var pdf bytes.Buffer
	if err := pdfdoc.Report(&pdf, r); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(pdf.Bytes()[:5]))
	// Output: %PDF-
}
