package store_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

// Each pages through everything under a prefix, here bounded to 1000
// entries (more would be an error wrapping store.ErrTooMany).
func ExampleEach() {
	dir, err := os.MkdirTemp("", "talentchain-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	s, err := bolt.Open(filepath.Join(dir, "db"), bolt.Config{})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, org := range []string{"did:tc:pku", "did:tc:tsinghua", "did:tc:zgc"} {
		if err := s.Put(ctx, "org/"+org, []byte(`{}`), 0); err != nil {
			log.Fatal(err)
		}
	}

	err = store.Each(ctx, s, "org/", store.ScanOptions{PageSize: 2, Max: 1000}, func(e store.Entry) error {
		fmt.Println(e.Key)
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}
	// Output:
	// org/did:tc:pku
	// org/did:tc:tsinghua
	// org/did:tc:zgc
}
