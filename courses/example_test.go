package courses_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// exampleIssuer stands in for the issuer service that cmd/ wires in.
type exampleIssuer struct{ fails int }

func (x *exampleIssuer) IssueCourseCredential(ctx context.Context, req courses.CertificateRequest) (string, error) {
	if x.fails > 0 {
		x.fails--
		return "", errors.New("issuer: chain unavailable")
	}
	return "urn:uuid:7f1c0e2a-0000-4000-8000-000000000001", nil
}

func Example() {
	dir, err := os.MkdirTemp("", "courses-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	db, err := bolt.Open(filepath.Join(dir, "talentchain.db"), bolt.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer db.Close()

	svc, err := courses.New(courses.Config{
		Store:  store.WithPrefix(db, "courses/"),
		Issuer: &exampleIssuer{fails: 1},
		Clock:  func() time.Time { return time.Date(2026, 6, 30, 10, 0, 0, 0, time.UTC) },
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()

	c, err := svc.Create(ctx, courses.Course{
		Provider: "did:talent:tsinghua",
		Code:     "BC-101",
		Title:    courses.LangText{Zh: "区块链基础", En: "Blockchain fundamentals"},
		Hours:    32, Credits: 2, Sector: "blockchain", Skills: []string{"solidity"},
		Capacity: 1, Status: courses.StatusOpen,
	})
	if err != nil {
		log.Fatal(err)
	}
	const alice, bob = "did:key:z6MkAlice", "did:key:z6MkBob"
	if _, err := svc.Enrol(ctx, c.Ref(), alice); err != nil {
		log.Fatal(err)
	}
	_, err = svc.Enrol(ctx, c.Ref(), bob)
	fmt.Println("second learner:", errors.Is(err, courses.ErrFull))

	score := 91
	if err := svc.RecordResult(ctx, c.Ref(), alice, courses.Result{Outcome: courses.Pass, Score: &score}); err != nil {
		log.Fatal(err)
	}
	e, err := svc.Complete(ctx, c.Ref(), alice)
	fmt.Println("issuer down:", e.Status, errors.Is(err, courses.ErrCertificatePending))
	e, err = svc.Complete(ctx, c.Ref(), alice) // the retry issues exactly once
	fmt.Println("retry:", e.Status, e.CredentialID, err)

	t, err := svc.Transcript(ctx, alice)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("hours %d, credits %d, blockchain hours %d\n", t.Total.Hours, t.Total.Credits, t.BySector["blockchain"].Hours)
	// Output:
	// second learner: true
	// issuer down: completing true
	// retry: completed urn:uuid:7f1c0e2a-0000-4000-8000-000000000001 <nil>
	// hours 32, credits 2, blockchain hours 32
}
