package exchange_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/internal/seal"
	"github.com/talentchain/talentchain/store/bolt"
	"github.com/talentchain/talentchain/verifier/exchange"
)

// A verifier asks for a degree; the holder's wallet fetches the request
// from the link and answers it once; the verifier reads the result.
func Example() {
	dir, err := tempDir()
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	st, err := bolt.Open(filepath.Join(dir, "exchange.db"), bolt.Config{})
	if err != nil {
		panic(err)
	}
	defer st.Close()
	master, _ := seal.GenerateKey()
	keys, _ := seal.New(master)
	pipeline, _ := credential.NewVerifier(credential.VerifierConfig{Loader: credential.MustLoader(), Resolver: credential.KeyResolver{}})
	svc, err := exchange.New(exchange.Config{BaseURL: "https://verify.example.cn"}, st, keys, pipeline)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()

	// The verifier.
	req, err := svc.Create(ctx, "acme-hr", exchange.NewRequest{
		Definition: json.RawMessage(`{"id": "degree-check", "input_descriptors": [{"id": "degree", "constraints": {"fields": [
			{"path": ["$.type"], "filter": {"type": "array", "contains": {"const": "DegreeCredential"}}}]}}]}`),
		Purpose: exchange.Text{Zh: "核验学位", En: "degree check"},
		Domain:  "hr.example.cn",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(req.Expires.Sub(req.Created), len(req.Challenge))

	// The holder's wallet.
	obj, err := svc.Fetch(ctx, req.ID)
	if err != nil {
		panic(err)
	}
	holderKey, _ := credential.GenerateKey()
	holder, _ := credential.NewSigner(credential.MustLoader(), holderKey)
	vp, _ := holder.SignPresentation(map[string]any{
		"@context": []any{credential.ContextV2}, "type": []any{"VerifiablePresentation"},
	}, obj.Challenge, obj.Domain, time.Time{})
	raw, _ := json.Marshal(vp)
	if _, err := svc.Submit(ctx, obj.ID, exchange.Response{VP: raw}); err != nil {
		panic(err)
	}
	_, err = svc.Submit(ctx, obj.ID, exchange.Response{VP: raw})
	fmt.Println(err)

	// The verifier reads the result: the presentation verified, but holds no
	// degree.
	res, err := svc.Result(ctx, "acme-hr", req.ID)
	if err != nil {
		panic(err)
	}
	fmt.Println(res.Verified, res.Satisfied, res.Accepted)
	// Output:
	// 15m0s 43
	// exchange: request already answered
	// true false false
}

func tempDir() (string, error) { return os.MkdirTemp("", "exchange-example") }
