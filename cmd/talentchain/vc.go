package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/talentchain/talentchain/credential"
)

// exitError carries a process exit code other than 1 out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// keyCommand: `talentchain key new` prints a new Ed25519 key pair with its did:key.
func keyCommand(_ context.Context, e *env, args []string) error {
	if len(args) == 0 || args[0] != "new" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fmt.Fprintln(e.stderr, "Usage: talentchain key new > key.json\n\nPrints a new Ed25519 key pair (Multikey form, with its did:key) as JSON.\nKeep the file secret: it holds the secret key.")
			return nil
		}
		return &usageError{msg: "usage: talentchain key new"}
	}
	fs := newFlagSet(e, "key new", "> key.json")
	if err := parseFlags(fs, e, nil, args[1:]); err != nil {
		return err
	}
	k, err := credential.GenerateKey()
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(k, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", b)
	return err
}

// vcCommand: `talentchain vc sign --key FILE` and `talentchain vc verify`.
func vcCommand(ctx context.Context, e *env, args []string) error {
	if len(args) == 0 {
		return &usageError{msg: "usage: talentchain vc sign --key FILE < unsigned.json | talentchain vc verify < credential.json"}
	}
	switch args[0] {
	case "sign":
		return vcSign(ctx, e, args[1:])
	case "verify":
		return vcVerify(ctx, e, args[1:])
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stderr, "Usage:\n  talentchain vc sign --key FILE < unsigned.json > signed.json\n  talentchain vc verify [--challenge C --domain D] [--chain-rpc URL --chain-genesis FILE] < credential-or-presentation.json")
		return nil
	}
	return &usageError{msg: fmt.Sprintf("unknown vc command %q: want sign or verify", args[0])}
}

func readStdin(e *env) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(e.stdin, credential.MaxDocumentSize+1))
	if err != nil {
		return nil, fmt.Errorf("read standard input: %w", err)
	}
	return b, nil
}

func vcSign(_ context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "vc sign", "--key FILE < unsigned.json")
	keyFile := fs.String("key", "", "key pair file written by 'talentchain key new' (required)")
	contexts := fs.String("contexts", "", "folder of extra JSON-LD context files")
	if err := parseFlags(fs, e, nil, args); err != nil {
		return err
	}
	if *keyFile == "" {
		return &usageError{msg: "vc sign: --key is required"}
	}
	kb, err := os.ReadFile(*keyFile)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("read key: %w", err)}
	}
	var key credential.KeyPair
	if err := json.Unmarshal(kb, &key); err != nil {
		return &exitError{code: 2, err: fmt.Errorf("key file %s: %w", *keyFile, err)}
	}
	loader, err := loaderFor(*contexts)
	if err != nil {
		return err
	}
	signer, err := credential.NewSigner(loader, &key)
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	raw, err := readStdin(e)
	if err != nil {
		return err
	}
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("standard input: %w", err)}
	}
	signed, err := signer.SignCredential(doc, time.Time{})
	if err != nil {
		return &exitError{code: 2, err: err}
	}
	out, err := json.MarshalIndent(signed, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	return err
}

// vcVerifyEnv maps vc verify's chain flags to the environment variables
// that set them (the same as serve's).
var vcVerifyEnv = map[string]string{
	"chain-rpc":     "TALENTCHAIN_CHAIN_RPC",
	"chain-genesis": "TALENTCHAIN_CHAIN_GENESIS",
}

// vcVerify prints the checks and exits 0 if valid, 1 if not, 2 on unusable input.
// did:key issuers resolve offline; did:talent issuers through --chain-rpc,
// whose answers are proved against headers signed by the --chain-genesis
// validators.
func vcVerify(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "vc verify", "[--challenge C] [--domain D] [--chain-rpc URL --chain-genesis FILE] < document.json")
	challenge := fs.String("challenge", "", "challenge a presentation must answer")
	domain := fs.String("domain", "", "domain a presentation must be made for")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	contexts := fs.String("contexts", "", "folder of extra JSON-LD context files")
	var cc chainConfig
	fs.StringVar(&cc.remote, "chain-rpc", "", "CometBFT RPC `URL` of a chain node, to resolve did:talent issuers (env TALENTCHAIN_CHAIN_RPC)")
	fs.StringVar(&cc.genesis, "chain-genesis", "", "the chain's genesis `file`, whose validators must sign the node's answers (env TALENTCHAIN_CHAIN_GENESIS)")
	fs.BoolVar(&cc.trustNode, "chain-trust-node", false, "trust the --chain-rpc node's answers without checking signatures (a node you run)")
	if err := parseFlags(fs, e, vcVerifyEnv, args); err != nil {
		return err
	}
	if err := cc.validateRemote(); err != nil {
		return &usageError{msg: "vc verify: " + err.Error()}
	}
	resolvers := credential.Resolvers{credential.KeyResolver{}}
	if cc.remote != "" {
		c, err := cc.remoteClient()
		if err != nil {
			return &exitError{code: 2, err: err}
		}
		resolvers = append(resolvers, chainResolver{c})
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Minute) // a node that stalls must not hang the check
		defer cancel()
	}
	loader, err := loaderFor(*contexts)
	if err != nil {
		return err
	}
	v, err := credential.NewVerifier(credential.VerifierConfig{Loader: loader, Resolver: resolvers})
	if err != nil {
		return err
	}
	raw, err := readStdin(e)
	if err != nil {
		return err
	}
	doc, err := credential.ParseDocument(raw)
	if err != nil {
		return &exitError{code: 2, err: fmt.Errorf("standard input: %w", err)}
	}
	opts := credential.VerifyOptions{Challenge: *challenge, Domain: *domain}
	var res *credential.Result
	if isPresentation(doc) {
		res = v.VerifyPresentationDocument(ctx, doc, opts)
	} else {
		res = v.VerifyCredentialDocument(ctx, doc, opts)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(res, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		for _, c := range res.Checks {
			mark := "ok  "
			switch {
			case !c.Passed:
				mark = "FAIL"
			case c.Warning:
				mark = "warn"
			}
			fmt.Fprintf(e.stdout, "%s %-22s %s\n", mark, c.Name, c.Message)
		}
	}
	if !res.Verified {
		if !*asJSON {
			fmt.Fprintln(e.stdout, "NOT VERIFIED")
		}
		return &exitError{code: 1, err: errors.New("not verified")}
	}
	if !*asJSON {
		fmt.Fprintln(e.stdout, "VERIFIED")
	}
	return nil
}

func isPresentation(doc map[string]any) bool {
	switch t := doc["type"].(type) {
	case string:
		return t == "VerifiablePresentation"
	case []any:
		for _, x := range t {
			if x == "VerifiablePresentation" {
				return true
			}
		}
	}
	return false
}

func loaderFor(dir string) (*credential.Loader, error) {
	if dir == "" {
		return credential.NewLoader()
	}
	return credential.NewLoader(dir)
}
