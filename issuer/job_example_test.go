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

// A training organisation uploads a class as CSV, checks it with a dry run,
// runs the job, and offers the first trainee's certificate through a claim
// link that the trainee's wallet redeems (OpenID4VCI pre-authorized code).
func ExampleService_CreateJob() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "issuer-job-example")
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
	keys, err := seal.Load(dir, "")
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
	if _, err := svc.Recover(ctx); err != nil { // also resumes interrupted jobs
		log.Fatal(err)
	}
	org, err := svc.CreateOrg(ctx, issuer.NewOrg{Names: issuer.Names{Zh: "中关村培训中心", En: "Zhongguancun Training Centre"}, Kind: issuer.KindTrainingOrg})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := gov.Submit(ctx, &chain.Accredit{Issuer: org.DID, CredentialType: issuer.TypeTraining}); err != nil {
		log.Fatal(err)
	}

	csv := []byte("key,fullName.zh,fullName.en,course.courseCode,course.title.en,course.hours,course.skills,result\n" +
		"BC201-01,李四,Li Si,BC-201,Smart contract security,48,Solidity;security audit,pass\n" +
		"BC201-02,王五,Wang Wu,BC-201,Smart contract security,forty-eight,Solidity,merit\n")
	report, err := svc.CreateJob(ctx, org.DID, "staff:registrar", issuer.TemplateTraining, csv, issuer.JobOptions{DryRun: true})
	fmt.Println(report.Status, err != nil)
	for _, e := range report.Errors {
		fmt.Println(e)
	}

	csv = []byte("key,fullName.zh,fullName.en,course.courseCode,course.title.en,course.hours,course.skills,result\n" +
		"BC201-01,李四,Li Si,BC-201,Smart contract security,48,Solidity;security audit,pass\n" +
		"BC201-02,王五,Wang Wu,BC-201,Smart contract security,48,Solidity,merit\n")
	job, err := svc.CreateJob(ctx, org.DID, "staff:registrar", issuer.TemplateTraining, csv, issuer.JobOptions{Start: true})
	if err != nil {
		log.Fatal(err)
	}
	job, err = svc.WaitJob(ctx, org.DID, job.ID)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(job.Status, job.Issued, "of", job.Total)
	results, _ := svc.JobResults(ctx, org.DID, job.ID)

	offer, err := svc.CreateOffer(ctx, org.DID, results[0].CredentialID, 0, true)
	if err != nil {
		log.Fatal(err)
	}
	// The wallet scans offer.URI, and the trainee types offer.TxCode.
	tok, err := svc.ExchangeCode(ctx, offer.CredentialOffer.Grants[issuer.GrantPreAuthorizedCode].PreAuthorizedCode, offer.TxCode)
	if err != nil {
		log.Fatal(err)
	}
	rec, err := svc.RedeemAccessToken(ctx, tok.AccessToken)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(rec.ID == results[0].CredentialID, rec.Receipt != nil)
	_, err = svc.RedeemAccessToken(ctx, tok.AccessToken)
	fmt.Println(err != nil)
	// Output:
	// invalid true
	// line 3, column course.hours: "forty-eight" is not an integer
	// done 2 of 2
	// true true
	// true
}
