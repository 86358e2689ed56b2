package main

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
)

// exitRefused is the exit code of a transaction the chain refused (its code
// name and log are printed), apart from 1 for every other failure.
const exitRefused = 3

// govAction is one `talentchain gov` subcommand.
type govAction struct {
	name     string
	synopsis string
	summary  string
	// flags declares the action's own flags and returns a builder of its
	// transaction, called after parsing.
	flags func(fs *govFlags) func(ctx context.Context, g *govConn) (*govTx, error)
}

// govTx is a transaction ready to sign: payload, signer and account, and
// what to print about it besides the receipt.
type govTx struct {
	payload chain.Payload
	signer  string
	account string
	keys    []ed25519.PrivateKey
	issuer  string
	keyID   string // rotate-key: the new key's id
}

// govConn is a connection to a node: its chain id and a proof-checking client.
type govConn struct {
	client  *chain.Client
	chainID string
	govKeys []ed25519.PrivateKey
}

// govFlags is where an action declares its flags, some of them required.
type govFlags struct {
	fs       *flag.FlagSet
	required []string // flag names, in declaration order
	values   map[string]*string
}

// str declares a string flag.
func (f *govFlags) str(name, usage string, required bool) *string {
	p := f.fs.String(name, "", usage)
	if required {
		f.required = append(f.required, name)
		f.values[name] = p
	}
	return p
}

// missing returns the first required flag left empty.
func (f *govFlags) missing() string {
	for _, name := range f.required {
		if *f.values[name] == "" {
			return name
		}
	}
	return ""
}

func govActions() []govAction {
	issuerFlag := func(fs *govFlags) *string {
		return fs.str("issuer", "issuer `DID` (did:talent:...) (required)", true)
	}
	govTxOf := func(p chain.Payload, issuer string) func(context.Context, *govConn) (*govTx, error) {
		return func(_ context.Context, g *govConn) (*govTx, error) {
			return &govTx{payload: p, signer: chain.GovernanceSigner, account: chain.GovernanceSigner, keys: g.govKeys, issuer: issuer}, nil
		}
	}
	statusAction := func(name, summary string, mk func(issuer, reason string) chain.Payload) govAction {
		return govAction{name: name, synopsis: "--issuer DID [--reason TEXT]", summary: summary,
			flags: func(fs *govFlags) func(context.Context, *govConn) (*govTx, error) {
				issuer := issuerFlag(fs)
				reason := fs.str("reason", "why, recorded on chain (optional)", false)
				return func(ctx context.Context, g *govConn) (*govTx, error) {
					return govTxOf(mk(*issuer, *reason), *issuer)(ctx, g)
				}
			}}
	}
	return []govAction{
		{name: "register", synopsis: "--kind KIND --name-en NAME --name-zh NAME (--issuer-key FILE | --public-key zMULTIKEY) [--uscc CODE]",
			summary: "register an issuer with its first key; its DID derives from that key",
			flags: func(fs *govFlags) func(context.Context, *govConn) (*govTx, error) {
				kind := fs.str("kind", "issuer `kind`: university, science_park or training_org (required)", true)
				en := fs.str("name-en", "display `name` in English (required)", true)
				zh := fs.str("name-zh", "display `name` in Chinese (required)", true)
				uscc := fs.str("uscc", "unified social credit `code` of the legal entity (optional)", false)
				keyFile := fs.str("issuer-key", "key `file` of the issuer's first key ('talentchain key new'); only its public key is read", false)
				pubKey := fs.str("public-key", "the issuer's first public key as a `Multikey` (z6Mk...), instead of --issuer-key", false)
				return func(ctx context.Context, g *govConn) (*govTx, error) {
					pub, err := publicKeyArg(*keyFile, *pubKey)
					if err != nil {
						return nil, err
					}
					p := &chain.RegisterIssuer{Kind: *kind, Names: chain.Names{En: *en, Zh: *zh}, PublicKey: chain.EncodePublicKey(pub), USCC: *uscc}
					return govTxOf(p, chain.IssuerDID(pub))(ctx, g)
				}
			}},
		{name: "accredit", synopsis: "--issuer DID --type CREDENTIAL_TYPE [--levels a,b]",
			summary: "accredit an issuer for a credential type (again: replace the levels)",
			flags: func(fs *govFlags) func(context.Context, *govConn) (*govTx, error) {
				issuer := issuerFlag(fs)
				typ := fs.str("type", "credential `type`, e.g. BachelorDegreeCredential (required)", true)
				levels := fs.str("levels", "comma-separated `levels`, e.g. bachelor,master (optional)", false)
				return func(ctx context.Context, g *govConn) (*govTx, error) {
					var ls []string
					for l := range strings.SplitSeq(*levels, ",") {
						if l = strings.TrimSpace(l); l != "" {
							ls = append(ls, l)
						}
					}
					slices.Sort(ls)
					return govTxOf(&chain.Accredit{Issuer: *issuer, CredentialType: *typ, Levels: slices.Compact(ls)}, *issuer)(ctx, g)
				}
			}},
		{name: "withdraw", synopsis: "--issuer DID --type CREDENTIAL_TYPE",
			summary: "withdraw an issuer's accreditation for a credential type",
			flags: func(fs *govFlags) func(context.Context, *govConn) (*govTx, error) {
				issuer := issuerFlag(fs)
				typ := fs.str("type", "credential `type` (required)", true)
				return func(ctx context.Context, g *govConn) (*govTx, error) {
					return govTxOf(&chain.Withdraw{Issuer: *issuer, CredentialType: *typ}, *issuer)(ctx, g)
				}
			}},
		statusAction("suspend", "suspend an active issuer: it may not anchor until reinstated",
			func(i, r string) chain.Payload { return &chain.SuspendIssuer{Issuer: i, Reason: r} }),
		statusAction("reinstate", "return a suspended issuer to active",
			func(i, r string) chain.Payload { return &chain.ReinstateIssuer{Issuer: i, Reason: r} }),
		statusAction("remove", "remove an issuer for good (its records stay)",
			func(i, r string) chain.Payload { return &chain.RemoveIssuer{Issuer: i, Reason: r} }),
		{name: "rotate-key", synopsis: "--issuer-key FILE --new-key FILE [--issuer DID]",
			summary: "replace an issuer's current key (signed by the issuer, not by governance)",
			flags: func(fs *govFlags) func(context.Context, *govConn) (*govTx, error) {
				keyFile := fs.str("issuer-key", "key `file` of the issuer's current key, which signs (required)", true)
				newFile := fs.str("new-key", "key `file` of the new key; only its public key is read (required)", true)
				issuerArg := fs.str("issuer", "issuer `DID`; default: the DID derived from --issuer-key (right until the first rotation)", false)
				return func(ctx context.Context, g *govConn) (*govTx, error) {
					cur, err := loadPrivateKey(*keyFile)
					if err != nil {
						return nil, err
					}
					next, err := publicKeyArg(*newFile, "")
					if err != nil {
						return nil, err
					}
					did := *issuerArg
					if did == "" {
						did = chain.IssuerDID(cur.Public().(ed25519.PublicKey))
					}
					is, err := g.client.Issuer(ctx, did)
					if errors.Is(err, chain.ErrNotFound) {
						return nil, fmt.Errorf("issuer %s is not registered (after a rotation, name the issuer with --issuer)", did)
					}
					if err != nil {
						return nil, err
					}
					mk := chain.EncodePublicKey(cur.Public().(ed25519.PublicKey))
					i := slices.IndexFunc(is.Keys, func(k chain.IssuerKey) bool { return k.PublicKeyMultibase == mk })
					if i < 0 {
						return nil, fmt.Errorf("the key in %s is not a key of %s", *keyFile, did)
					}
					return &govTx{
						payload: &chain.RotateKey{NewPublicKey: chain.EncodePublicKey(next)},
						signer:  is.Keys[i].ID, account: did, keys: []ed25519.PrivateKey{cur},
						issuer: did, keyID: chain.KeyID(did, len(is.Keys)+1),
					}, nil
				}
			}},
	}
}

// govCommand: `talentchain gov <action> [flags]` builds a transaction, signs
// it with the governance keys (or, for rotate-key, the issuer's key), submits
// it to a node and prints the receipt once a block includes it.
func govCommand(ctx context.Context, e *env, args []string) error {
	actions := govActions()
	usage := func() string {
		var b strings.Builder
		b.WriteString("Usage: talentchain gov <action> [--node URL] [--gov-key FILE ...] [flags]\n\nActions:\n")
		for _, a := range actions {
			fmt.Fprintf(&b, "  %-11s %s\n", a.name, a.summary)
		}
		b.WriteString("\nPrints {\"type\",\"issuer\",\"height\",\"txHash\"} as JSON once a block includes the transaction;\n" +
			"exits 3 with the chain's code name and log if the chain refuses it.\n" +
			"Run 'talentchain gov <action> -h' for an action's flags.")
		return b.String()
	}
	if len(args) == 0 {
		return &usageError{msg: usage()}
	}
	switch args[0] {
	case "-h", "-help", "--help":
		fmt.Fprintln(e.stderr, usage())
		return nil
	}
	i := slices.IndexFunc(actions, func(a govAction) bool { return a.name == args[0] })
	if i < 0 {
		return &usageError{msg: fmt.Sprintf("unknown gov action %q\n%s", args[0], usage())}
	}
	act := actions[i]

	fs := newFlagSet(e, "gov "+act.name, act.synopsis+" [--node URL] [--gov-key FILE ...] [--timeout D]")
	node := fs.String("node", "http://127.0.0.1:26657", "CometBFT RPC `URL` of a chain node: a running serve's (--chain-listen) or a validator's (env TALENTCHAIN_NODE)")
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for a block to include the transaction")
	var govKeyFiles []string
	if act.name != "rotate-key" {
		fs.Func("gov-key", "governance key `file` (repeat it to reach the threshold): a serve's <data>/chain/config/governance_key.json, a testnet's governance/member-N.json, or a 'talentchain key new' file", func(s string) error {
			govKeyFiles = append(govKeyFiles, s)
			return nil
		})
	}
	gf := &govFlags{fs: fs, values: map[string]*string{}}
	build := act.flags(gf)
	if err := parseFlags(fs, e, map[string]string{"node": "TALENTCHAIN_NODE"}, args[1:]); err != nil {
		return err
	}
	if name := gf.missing(); name != "" {
		return &usageError{msg: fmt.Sprintf("gov %s: --%s is required", act.name, name)}
	}
	if act.name != "rotate-key" && len(govKeyFiles) == 0 {
		return &usageError{msg: fmt.Sprintf("gov %s: at least one --gov-key is required", act.name)}
	}

	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	g, err := dialNode(ctx, *node)
	if err != nil {
		return fmt.Errorf("gov %s: %w", act.name, err)
	}
	for _, f := range govKeyFiles {
		k, err := loadPrivateKey(f)
		if err != nil {
			return fmt.Errorf("gov %s: %w", act.name, err)
		}
		g.govKeys = append(g.govKeys, k)
	}
	tx, err := build(ctx, g)
	if err != nil {
		return fmt.Errorf("gov %s: %w", act.name, err)
	}
	r, err := g.send(ctx, tx)
	var ce *chain.CodeError
	switch {
	case errors.As(err, &ce):
		return &exitError{code: exitRefused, err: fmt.Errorf("gov %s: refused by the chain: %s: %s", act.name, ce.Code, ce.Msg)}
	case errors.Is(err, chain.ErrNotConfirmed):
		return fmt.Errorf("gov %s: no block included tx %s within %s (it may still commit): %w", act.name, r.TxHash, *timeout, err)
	case err != nil:
		return fmt.Errorf("gov %s: %w", act.name, err)
	}
	out, err := json.Marshal(govReceipt{Type: string(tx.payload.TxType()), Issuer: tx.issuer, KeyID: tx.keyID, Height: r.Height, TxHash: r.TxHash})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.stdout, "%s\n", out)
	return err
}

// govReceipt is what gov prints on success.
type govReceipt struct {
	Type   string `json:"type"`
	Issuer string `json:"issuer,omitempty"`
	KeyID  string `json:"keyId,omitempty"`
	Height int64  `json:"height"`
	TxHash string `json:"txHash"`
}

// dialNode connects to a node's RPC and reads its chain id, which every
// signature binds.
func dialNode(ctx context.Context, url string) (*govConn, error) {
	rpc, err := rpchttp.New(url, "/websocket")
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", url, err)
	}
	st, err := rpc.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("node %s: %w", url, err)
	}
	return &govConn{client: chain.NewClient(rpc, chain.ClientConfig{}), chainID: st.NodeInfo.Network}, nil
}

// send signs tx with the account's next sequence and submits it.
func (g *govConn) send(ctx context.Context, t *govTx) (chain.Receipt, error) {
	seq, err := g.client.Sequence(ctx, t.account)
	if err != nil {
		return chain.Receipt{}, fmt.Errorf("sequence of %s: %w", t.account, err)
	}
	tx := chain.NewTx(t.payload, t.signer, seq+1)
	for _, k := range t.keys {
		if err := tx.Sign(g.chainID, k); err != nil {
			return chain.Receipt{}, err
		}
	}
	b, err := tx.Encode()
	if err != nil {
		return chain.Receipt{}, err
	}
	return g.client.Submit(ctx, b)
}

// keyFile is either form of a key file the commands read: an embedded
// node's governance key ({"seed": base64}) or a Multikey key pair from
// 'talentchain key new' ({"publicKeyMultibase", "secretKeyMultibase"}).
type keyFile struct {
	Seed []byte `json:"seed"`
}

// loadPrivateKey reads a key file with its secret key.
func loadPrivateKey(path string) (ed25519.PrivateKey, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(raw, &kf); err == nil && kf.Seed != nil {
		if len(kf.Seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("key file %s: seed is %d bytes, want %d", path, len(kf.Seed), ed25519.SeedSize)
		}
		return ed25519.NewKeyFromSeed(kf.Seed), nil
	}
	var kp credential.KeyPair
	if err := json.Unmarshal(raw, &kp); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if kp.Private == nil {
		return nil, fmt.Errorf("key file %s holds no secret key", path)
	}
	return kp.Private, nil
}

// publicKeyArg returns the public key of a key file, or parses a Multikey.
func publicKeyArg(file, multikey string) (ed25519.PublicKey, error) {
	switch {
	case file != "" && multikey != "":
		return nil, &usageError{msg: "give a key file or a public key, not both"}
	case multikey != "":
		pub, err := chain.DecodePublicKey(multikey)
		if err != nil {
			return nil, &usageError{msg: err.Error()}
		}
		return pub, nil
	case file == "":
		return nil, &usageError{msg: "a key file or a public key is required"}
	}
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	var kf keyFile
	if err := json.Unmarshal(raw, &kf); err == nil && len(kf.Seed) == ed25519.SeedSize {
		return ed25519.NewKeyFromSeed(kf.Seed).Public().(ed25519.PublicKey), nil
	}
	var kp credential.KeyPair
	if err := json.Unmarshal(raw, &kp); err != nil {
		return nil, fmt.Errorf("key file %s: %w", file, err)
	}
	return kp.Public, nil
}
