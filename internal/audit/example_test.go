package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/talentchain/talentchain/internal/audit"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/store/bolt"
)

func Example() {
	dir, _ := os.MkdirTemp("", "audit")
	defer os.RemoveAll(dir)
	st, _ := bolt.Open(filepath.Join(dir, "store.db"), bolt.Config{})
	defer st.Close()

	log, _ := audit.New(store.WithPrefix(st, "audit/"))
	ctx := context.Background()
	log.Append(ctx, audit.Event{Actor: "operator", Action: "org.create", Target: "did:talent:abc", Outcome: audit.OutcomeOK, Status: 201})
	log.Append(ctx, audit.Event{Actor: "operator", Action: "org.suspend", Target: "did:talent:abc", Outcome: audit.OutcomeOK, Status: 200})

	page, _ := log.Page(ctx, 0, 10)
	for _, e := range page.Entries {
		fmt.Println(e.Seq, e.Action, e.Target, e.Outcome)
	}
	rep, err := log.Verify(ctx)
	fmt.Println(rep.Entries, err)
	// Output:
	// 1 org.create did:talent:abc ok
	// 2 org.suspend did:talent:abc ok
	// 2 <nil>
}
