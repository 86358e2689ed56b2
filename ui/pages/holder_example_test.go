package pages_test

import (
	"bytes"
	"context"
	"fmt"
	"regexp"
	"time"

	"github.com/talentchain/talentchain/ui/i18n"
	"github.com/talentchain/talentchain/ui/pages"
)

// A handler fills the view model and renders the page; the component only
// renders, in the page's language.
func ExampleHolderWallet() {
	p := pages.Page{Lang: i18n.EN, Title: "My credentials", Path: "/my",
		User: &pages.User{Role: pages.RoleHolder, Name: "zhangsan"}, CSRF: "token"}
	v := pages.HolderWalletView{Username: "zhangsan", DID: "did:key:z6Mk", Cards: []pages.HolderCard{{
		ID: "0123456789abcdef01234567", Title: "Master of Engineering", Type: "Degree", Format: "JSON-LD",
		IssuerName: "Tsinghua University", Status: "revoked", Date: time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC),
	}}}
	var buf bytes.Buffer
	if err := pages.HolderWallet(p, v).Render(context.Background(), &buf); err != nil {
		panic(err)
	}
	html := buf.String()
	fmt.Println(regexp.MustCompile(`<span class="badge badge-bad" data-status="revoked">([^<]*)</span>`).FindStringSubmatch(html)[1])
	fmt.Println(regexp.MustCompile(`<form method="post" action="(/my/logout)"`).FindStringSubmatch(html)[1])
	fmt.Println(bytes.Contains(buf.Bytes(), []byte("30 June 2026")))
	// Output:
	// Revoked
	// /my/logout
	// true
}
