package verifier_test

import (
	"context"
	"encoding/json"
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
	"github.com/talentchain/talentchain/verifier"
)

// An employer verifies a master's degree that a university issued and
// anchored on the embedded chain, with the anchor receipt the graduate's
// wallet keeps beside it.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "verifier-example")
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

	// The university's side: an accredited issuer issues a degree.
	mk, _ := seal.GenerateKey()
	keys, _ := seal.New(mk)
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
	if _, err := gov.Submit(ctx, &chain.Accredit{Issuer: uni.DID, CredentialType: issuer.TypeDegree, Levels: []string{"master"}}); err != nil {
		log.Fatal(err)
	}
	rec, err := svc.Issue(ctx, uni.DID, &issuer.Request{
		Template: issuer.TemplateMaster, Holder: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
		Subject: map[string]any{
			"fullName": map[string]any{"zh": "张三", "en": "Zhang San"},
			"degree": map[string]any{"type": "Degree", "level": "master",
				"degreeName":   map[string]any{"zh": "工学硕士", "en": "Master of Engineering"},
				"fieldOfStudy": map[string]any{"zh": "软件工程", "en": "Software Engineering"}},
			"graduationDate": "2026-06-30",
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	receipt, _ := json.Marshal(rec.Receipt) // as the wallet stores and shares it

	// The employer's side: the verifier reads only the chain.
	seen, _ := verifier.NewStoreSeenSet(store.WithPrefix(db, "verifier/"))
	v, err := verifier.New(verifier.Config{Loader: credential.MustLoader(), Chain: node.Client(), Seen: seen, ChainID: node.ChainID()})
	if err != nil {
		log.Fatal(err)
	}
	r, err := verifier.ParseReceipt(receipt)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := v.VerifyCredential(ctx, rec.Credential, verifier.Options{Receipt: r})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rep.State, "—", rep.IssuerName.Zh)
	for _, s := range rep.Steps {
		fmt.Println(s.Name, s.State)
	}
	// Output:
	// valid — 北京示范大学
	// format ok
	// proof ok
	// issuer ok
	// key ok
	// anchor ok
	// status ok
	// validity ok
}

// A report's Subject summarises the credential's subject for a report
// page: plain claims only, lists left out.
func ExampleReport_Subject() {
	rep := &verifier.Report{Document: map[string]any{
		"credentialSubject": map[string]any{
			"id":       "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
			"fullName": map[string]any{"zh": "李四", "en": "Li Si"},
			"degree":   map[string]any{"level": "master"},
			"courses":  []any{"a", "b"},
		},
	}}
	b, _ := json.Marshal(rep.Subject())
	fmt.Println(string(b))
	// Output: {"degree":{"level":"master"},"fullName":{"en":"Li Si","zh":"李四"},"id":"did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"}
}
