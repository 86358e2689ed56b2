package issuer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

func TestListCredentials(t *testing.T) {
	n := startNode(t)
	e := newEnv(t, stores[0].open, n, Config{})
	ctx := context.Background()
	uni := e.org(t, "列表", "DegreeCredential:master", TypeTraining)
	other := e.org(t, "别家", "DegreeCredential:master")

	deg, err := e.svc.Issue(ctx, uni.DID, masterDegree("did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := e.svc.Issue(ctx, uni.DID, training())
	if err != nil {
		t.Fatal(err)
	}
	tr2, err := e.svc.Issue(ctx, uni.DID, training())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Issue(ctx, other.DID, masterDegree("")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetStatus(ctx, uni.DID, StatusChange{IDs: []string{tr.ID}, Status: StatusRevoked, Reason: "test"}); err != nil {
		t.Fatal(err)
	}

	// newest first; records issued in the same second come by id
	order := func(recs ...*Record) []string {
		slices.SortFunc(recs, func(a, b *Record) int {
			return cmp.Or(b.Issued.Compare(a.Issued), strings.Compare(a.ID, b.ID))
		})
		ids := []string{}
		for _, r := range recs {
			ids = append(ids, r.ID)
		}
		return ids
	}
	tests := []struct {
		name  string
		q     CredentialQuery
		want  []string // ids, newest first
		total int
	}{
		{"all, newest first", CredentialQuery{}, order(tr2, tr, deg), 3},
		{"by Chinese name", CredentialQuery{Text: "张三"}, []string{deg.ID}, 1},
		{"by English name, any case", CredentialQuery{Text: "li si"}, order(tr2, tr), 2},
		{"by holder DID", CredentialQuery{Text: "z6MkhaXgBZ"}, []string{deg.ID}, 1},
		{"by credential id", CredentialQuery{Text: tr.ID[9:20]}, []string{tr.ID}, 1},
		{"by type", CredentialQuery{Type: TypeDegree}, []string{deg.ID}, 1},
		{"by template", CredentialQuery{Type: TemplateTraining}, order(tr2, tr), 2},
		{"by status", CredentialQuery{Status: StatusRevoked}, []string{tr.ID}, 1},
		{"paged", CredentialQuery{Offset: 1, Limit: 1}, order(tr2, tr, deg)[1:2], 3},
		{"past the end", CredentialQuery{Offset: 5}, []string{}, 3},
		{"issued before the epoch", CredentialQuery{To: time.Unix(0, 0)}, []string{}, 0},
		{"issued from the epoch", CredentialQuery{From: time.Unix(0, 0), Limit: 1}, order(tr2, tr, deg)[:1], 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := e.svc.ListCredentials(ctx, uni.DID, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{}
			for _, c := range p.Items {
				got = append(got, c.ID)
				if !c.Anchored {
					t.Errorf("%s not anchored in the list", c.ID)
				}
			}
			if p.Total != tt.total || len(got) != len(tt.want) {
				t.Fatalf("got %v (total %d), want %v (total %d)", got, p.Total, tt.want, tt.total)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			}
		})
	}

	p, _ := e.svc.ListCredentials(ctx, uni.DID, CredentialQuery{Text: "张三"})
	if c := p.Items[0]; c.HolderName["en"] != "Zhang San" || c.Status != StatusActive || c.Template != TemplateMaster {
		t.Fatalf("summary = %+v", c)
	}

	for _, bad := range []CredentialQuery{
		{Status: "gone"}, {Limit: 201}, {Offset: -1},
		{From: time.Now(), To: time.Now().Add(-time.Hour)},
	} {
		if _, err := e.svc.ListCredentials(ctx, uni.DID, bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v: err = %v, want ErrInvalid", bad, err)
		}
	}

	st, err := e.svc.CredentialStats(ctx, uni.DID, 3)
	if err != nil {
		t.Fatal(err)
	}
	if st.Total != 3 || st.ByStatus[StatusRevoked] != 1 || st.ByStatus[StatusActive] != 2 ||
		st.ByType[TypeTraining] != 2 || st.ByType[TypeDegree] != 1 || st.Anchored != 3 || len(st.ByMonth) != 3 {
		t.Fatalf("stats = %+v", st)
	}
	if last := st.ByMonth[2]; last.Issued != 3 || last.Month.Month() != time.Now().UTC().Month() {
		t.Fatalf("this month = %+v", last)
	}
	if st.ByMonth[0].Issued != 0 {
		t.Fatalf("two months ago = %+v", st.ByMonth[0])
	}
	if _, err := e.svc.CredentialStats(ctx, uni.DID, 121); !errors.Is(err, ErrInvalid) {
		t.Fatalf("121 months: %v", err)
	}
	empty, err := e.svc.CredentialStats(ctx, "did:talent:none", 0)
	if err != nil || empty.Total != 0 || len(empty.ByMonth) != 12 {
		t.Fatalf("no credentials: %+v %v", empty, err)
	}
}

// A registrar's search: the organisation's credentials whose holder is
// called 张三, and the counts the dashboard shows.
func ExampleService_ListCredentials() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "issuer-list-example")
	defer os.RemoveAll(dir)
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	p2p := "tcp://" + l.Addr().String()
	l.Close()
	node, err := chain.StartNode(ctx, chain.NodeConfig{Home: filepath.Join(dir, "chain"), P2PAddress: p2p, BlockInterval: 50 * time.Millisecond})
	if err != nil {
		log.Fatal(err)
	}
	defer node.Stop()
	db, err := bolt.Open(filepath.Join(dir, "data.db"), bolt.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()
	keys, err := seal.Load(dir, os.Getenv(seal.EnvMasterKey))
	if err != nil {
		log.Fatal(err)
	}
	gov, _ := NewLocalGovernance(node.Client(), node.ChainID(), node.GovernanceKey())
	svc, err := New(Config{ChainID: node.ChainID(), BaseURL: "https://example.edu.cn"},
		store.WithPrefix(db, "issuer/"), keys, node.Client(), credential.MustLoader(), WithGovernance(gov))
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()
	uni, err := svc.CreateOrg(ctx, NewOrg{Names: Names{Zh: "北京示范大学", En: "Beijing Example University"}, Kind: KindUniversity})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := gov.Submit(ctx, &chain.Accredit{Issuer: uni.DID, CredentialType: TypeDegree, Levels: []string{"master"}}); err != nil {
		log.Fatal(err)
	}
	for _, name := range []map[string]any{{"zh": "张三", "en": "Zhang San"}, {"zh": "李四", "en": "Li Si"}} {
		if _, err := svc.Issue(ctx, uni.DID, &Request{Template: TemplateMaster, Subject: map[string]any{
			"fullName": name,
			"degree": map[string]any{"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"}},
			"graduationDate": "2026-06-30",
		}}); err != nil {
			log.Fatal(err)
		}
	}

	page, err := svc.ListCredentials(ctx, uni.DID, CredentialQuery{Text: "张三", Status: StatusActive})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(page.Total, page.Items[0].HolderName["en"], page.Items[0].Anchored)
	stats, err := svc.CredentialStats(ctx, uni.DID, 12)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(stats.Total, stats.ByType[TypeDegree], stats.ByMonth[11].Issued)
	// Output:
	// 1 Zhang San true
	// 2 2 2
}
