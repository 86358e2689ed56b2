package issuer_test

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// The embedded deployment: a university is created and registered on chain,
// accredited by governance, and issues a master's degree that comes back
// signed and anchored.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "issuer-example")
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
	gov, _ := issuer.NewLocalGovernance(node.Client(), node.ChainID(), node.GovernanceKey())
	svc, err := issuer.New(issuer.Config{ChainID: node.ChainID(), BaseURL: "https://issuer.example.edu.cn"},
		store.WithPrefix(db, "issuer/"), keys, node.Client(), credential.MustLoader(), issuer.WithGovernance(gov))
	if err != nil {
		log.Fatal(err)
	}
	defer svc.Close()

	uni, err := svc.CreateOrg(ctx, issuer.NewOrg{Names: issuer.Names{Zh: "北京示范大学", En: "Beijing Example University"}, Kind: issuer.KindUniversity})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := gov.Submit(ctx, &chain.Accredit{Issuer: uni.DID, CredentialType: issuer.TypeDegree, Levels: []string{"bachelor", "master"}}); err != nil {
		log.Fatal(err)
	}
	token, _, _ := svc.CreateToken(ctx, uni.DID, issuer.NewToken{Name: "registrar", Scopes: []issuer.Scope{issuer.ScopeIssue}})
	who, err := svc.Authenticate(ctx, token, issuer.ScopeIssue)
	if err != nil {
		log.Fatal(err)
	}
	rec, err := svc.Issue(ctx, who.Org, &issuer.Request{
		Template: issuer.TemplateMaster,
		Holder:   "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		Subject: map[string]any{
			"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree": map[string]any{"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"}},
			"graduationDate": "2026-06-30",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.Type, rec.Status, rec.Receipt != nil && rec.Receipt.Height > 0)
	// Output: DegreeCredential active true
}
