package bolt_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"time"

	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

func Example() {
	dir, err := os.MkdirTemp("", "talentchain-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := bolt.Open(filepath.Join(dir, "talentchain.db"), bolt.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()

	// Each service works in its own namespace.
	verifier := store.WithPrefix(s, "verifier/")

	// A presentation request's nonce can be used once, within five minutes.
	if err := verifier.Create(ctx, "nonce/n-0001", []byte("request-42"), 5*time.Minute); err != nil {
		log.Fatal(err)
	}
	req, err := verifier.Take(ctx, "nonce/n-0001")
	fmt.Printf("first use: %s, %v\n", req, err)
	_, err = verifier.Take(ctx, "nonce/n-0001")
	fmt.Println("replay refused:", errors.Is(err, store.ErrNotFound))

	// A batch of issuance rows is written all or nothing; idempotency keys
	// make a retried batch fail instead of issuing twice.
	batch := []store.Op{
		store.OpCreate("issuer/idem/batch-7/row-1", []byte("cred-1"), 0),
		store.OpCreate("issuer/idem/batch-7/row-2", []byte("cred-2"), 0),
	}
	fmt.Println("batch:", s.Apply(ctx, batch...))
	fmt.Println("retry is a duplicate:", errors.Is(s.Apply(ctx, batch...), store.ErrExists))

	// Status-list indexes are allocated with a counter.
	idx, _ := s.Incr(ctx, "issuer/statuslist/next", 1)
	fmt.Println("status index:", idx)

	// Listing is ordered and pages with a cursor.
	page, _ := s.List(ctx, "issuer/idem/batch-7/", store.ListOptions{Limit: 1})
	next, _ := s.List(ctx, "issuer/idem/batch-7/", store.ListOptions{After: page[0].Key, Limit: 1})
	fmt.Println("pages:", page[0].Key, next[0].Key)

	// Output:
	// first use: request-42, <nil>
	// replay refused: true
	// batch: <nil>
	// retry is a duplicate: true
	// status index: 1
	// pages: issuer/idem/batch-7/row-1 issuer/idem/batch-7/row-2
}
