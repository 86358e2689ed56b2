package chain

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/cometbft/cometbft/mempool"
	rpcclient "github.com/cometbft/cometbft/rpc/client"
	"github.com/cometbft/cometbft/types"
)

// ErrNotFound means a queried entry does not exist (with a verified absence
// proof when the client verifies proofs).
var ErrNotFound = errors.New("chain: not found")

// ErrNotConfirmed means a submitted transaction was not seen in a block
// before the context ended; it may still commit later.
var ErrNotConfirmed = errors.New("chain: transaction not confirmed")

// ClientConfig configures a Client.
type ClientConfig struct {
	// PollInterval is how often inclusion and proof blocks are polled;
	// default 50ms.
	PollInterval time.Duration
	// TrustNode skips proof verification (the in-process node is trusted).
	// With a remote node leave it false: every single-entry query is proved
	// against the AppHash of the node's header at height+1.
	TrustNode bool
	// ChainID and TrustedValidators are the trust root for a remote node
	// (see TrustFromGenesis): with TrustedValidators set, the header a proof
	// is checked against must be of ChainID and signed by more than two
	// thirds of their voting power, else the read fails with
	// ErrUntrustedHeader. Without them (and TrustNode false) the header is
	// the node's word: the proof only shows the node's answers agree with
	// each other, which does not stop a malicious node from forging state.
	// Services that rely on what they read must set them.
	ChainID           string
	TrustedValidators *types.ValidatorSet
}

// Client submits transactions to a CometBFT node and confirms their
// inclusion, and reads registry state with proofs. It works over any
// rpcclient.Client: the in-process local client or an HTTP client of a
// remote node.
type Client struct {
	rpc rpcclient.Client
	cfg ClientConfig

	mu       sync.Mutex
	verified map[int64][]byte // AppHash of headers whose signatures were checked, by height
}

// maxVerifiedHeaders bounds the cache of checked headers.
const maxVerifiedHeaders = 256

// NewClient returns a client over rpc.
func NewClient(rpc rpcclient.Client, cfg ClientConfig) *Client {
	if cfg.PollInterval == 0 {
		cfg.PollInterval = 50 * time.Millisecond
	}
	return &Client{rpc: rpc, cfg: cfg, verified: make(map[int64][]byte)}
}

// Receipt says where a transaction committed.
type Receipt struct {
	Height int64  // block height that included the tx
	TxHash string // upper-case hex SHA-256 of the tx bytes
	Data   []byte // the transaction's result data (JSON), if any
}

// Submit broadcasts tx, retrying while the mempool is full, and waits until
// a block includes it. A tx refused by CheckTx or failed in its block returns
// a *CodeError; when ctx ends during the broadcast or while waiting for the
// block (the node may hold the tx) it returns ErrNotConfirmed; a mempool
// still full when ctx ends (the node never took the tx) is a plain error.
func (c *Client) Submit(ctx context.Context, tx []byte) (Receipt, error) {
	hash := TxHash(tx)
	r := Receipt{TxHash: strings.ToUpper(hex.EncodeToString(hash))}
	for backoff := c.cfg.PollInterval; ; backoff = min(backoff*2, 2*time.Second) {
		res, err := c.rpc.BroadcastTxSync(ctx, tx)
		if err == nil {
			if res.Code != 0 {
				return r, &CodeError{Code: Code(res.Code), Msg: strings.TrimPrefix(res.Log, Code(res.Code).String()+": ")}
			}
			break
		}
		var full mempool.ErrMempoolIsFull
		switch {
		case errors.Is(err, mempool.ErrTxInCache) || strings.Contains(err.Error(), "tx already exists in cache"):
			// Already submitted: wait for it like any other.
		case errors.As(err, &full) || strings.Contains(err.Error(), "mempool is full"):
			if err := sleep(ctx, backoff); err != nil {
				return r, fmt.Errorf("chain: submit %s: mempool full: %w", r.TxHash, err)
			}
			continue
		case ctx.Err() != nil:
			// The deadline ended during the broadcast: the node may or may
			// not hold the tx, which is what ErrNotConfirmed says.
			return r, fmt.Errorf("%w: %s: broadcast: %w", ErrNotConfirmed, r.TxHash, err)
		default:
			return r, fmt.Errorf("chain: submit %s: %w", r.TxHash, err)
		}
		break
	}
	for {
		res, err := c.rpc.Tx(ctx, hash, false)
		if err == nil {
			r.Height, r.Data = res.Height, res.TxResult.Data
			if res.TxResult.Code != 0 {
				return r, &CodeError{Code: Code(res.TxResult.Code), Msg: strings.TrimPrefix(res.TxResult.Log, Code(res.TxResult.Code).String()+": ")}
			}
			return r, nil
		}
		if err := sleep(ctx, c.cfg.PollInterval); err != nil {
			return r, fmt.Errorf("%w: %s: %w", ErrNotConfirmed, r.TxHash, err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// QueryRaw reads one entry at a single-entry path (see the Path constants)
// and returns its JSON and the height it was read at. Unless the node is
// trusted, the value — or its absence — is verified against the AppHash
// of the header at height+1, waiting for that block if needed.
func (c *Client) QueryRaw(ctx context.Context, path string) ([]byte, int64, error) {
	if _, ok := StateKey(path); !ok {
		return nil, 0, fmt.Errorf("chain: query %s: not a single-entry path", path)
	}
	res, err := c.rpc.ABCIQueryWithOptions(ctx, path, nil, rpcclient.ABCIQueryOptions{Prove: !c.cfg.TrustNode})
	if err != nil {
		return nil, 0, fmt.Errorf("chain: query %s: %w", path, err)
	}
	resp := res.Response
	if code := Code(resp.Code); code != CodeOK && code != CodeNotFound {
		return nil, resp.Height, fmt.Errorf("chain: query %s: %w", path, &CodeError{Code: code, Msg: resp.Log})
	}
	if !c.cfg.TrustNode {
		appHash, err := c.appHashAfter(ctx, resp.Height)
		if err != nil {
			return nil, resp.Height, fmt.Errorf("chain: query %s: %w", path, err)
		}
		if err := VerifyQuery(appHash, path, &resp); err != nil {
			return nil, resp.Height, fmt.Errorf("chain: query %s: %w", path, err)
		}
	}
	if Code(resp.Code) == CodeNotFound {
		return nil, resp.Height, fmt.Errorf("chain: query %s: %w", path, ErrNotFound)
	}
	return resp.Value, resp.Height, nil
}

// appHashAfter returns the AppHash committed by the header at height+1, the
// hash of the state after block height. With trusted validators configured,
// the header's commit must carry their signatures (checked once per height).
func (c *Client) appHashAfter(ctx context.Context, height int64) ([]byte, error) {
	next := height + 1
	vals := c.cfg.TrustedValidators
	if vals != nil {
		c.mu.Lock()
		h, ok := c.verified[next]
		c.mu.Unlock()
		if ok {
			return h, nil
		}
	}
	for {
		res, err := c.rpc.Commit(ctx, &next)
		if err == nil && res.SignedHeader.Header != nil {
			if vals == nil {
				if res.SignedHeader.Height != next {
					return nil, fmt.Errorf("%w: asked for header %d, node served %d", ErrProof, next, res.SignedHeader.Height)
				}
				return bytes.Clone(res.SignedHeader.AppHash), nil
			}
			if err := VerifySignedHeader(c.cfg.ChainID, vals, next, &res.SignedHeader); err != nil {
				return nil, err
			}
			h := bytes.Clone(res.SignedHeader.AppHash)
			c.mu.Lock()
			if len(c.verified) >= maxVerifiedHeaders {
				clear(c.verified)
			}
			c.verified[next] = h
			c.mu.Unlock()
			return h, nil
		}
		if err := sleep(ctx, c.cfg.PollInterval); err != nil {
			return nil, fmt.Errorf("waiting for header %d: %w", next, err)
		}
	}
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// query reads path into out.
func (c *Client) query(ctx context.Context, path string, out any) error {
	raw, _, err := c.QueryRaw(ctx, path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return fmt.Errorf("chain: decode %s: %w", path, err)
	}
	return nil
}

// List reads a list path (/issuers, /accreditation/{did}, /anchors/{did},
// /statuslists/{did}) into out, a pointer to a slice. Lists carry no proof:
// verify individual entries with the single-entry getters when it matters.
func (c *Client) List(ctx context.Context, path string, out any) error {
	res, err := c.rpc.ABCIQuery(ctx, path, nil)
	if err != nil {
		return fmt.Errorf("chain: list %s: %w", path, err)
	}
	if res.Response.Code != 0 {
		return fmt.Errorf("chain: list %s: %w", path, &CodeError{Code: Code(res.Response.Code), Msg: res.Response.Log})
	}
	if err := json.Unmarshal(res.Response.Value, out); err != nil {
		return fmt.Errorf("chain: decode %s: %w", path, err)
	}
	return nil
}

// Sequence returns the last sequence of an account (an issuer DID or
// GovernanceSigner); the next transaction must carry it plus one.
func (c *Client) Sequence(ctx context.Context, account string) (uint64, error) {
	var a Account
	err := c.query(ctx, PathAccount+account, &a)
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	}
	return a.Sequence, err
}

// Governance returns the governance members and threshold.
func (c *Client) Governance(ctx context.Context) (*Governance, error) {
	var g Governance
	return &g, c.query(ctx, PathGovernance, &g)
}

// Issuer returns an issuer with its key and status history.
func (c *Client) Issuer(ctx context.Context, did string) (*Issuer, error) {
	var is Issuer
	return &is, c.query(ctx, PathIssuer+did, &is)
}

// Accreditation returns an issuer's accreditation history for a credential type.
func (c *Client) Accreditation(ctx context.Context, did, credentialType string) (*Accreditation, error) {
	var a Accreditation
	return &a, c.query(ctx, PathAccreditation+did+"/"+credentialType, &a)
}

// Anchor returns the anchor of a Merkle root (64 lowercase hex digits).
func (c *Client) Anchor(ctx context.Context, rootHex string) (*AnchorRecord, error) {
	var a AnchorRecord
	return &a, c.query(ctx, PathAnchor+rootHex, &a)
}

// StatusList returns one of an issuer's status lists.
func (c *Client) StatusList(ctx context.Context, did, listID string) (*StatusList, error) {
	var l StatusList
	return &l, c.query(ctx, PathStatusList+did+"/"+listID, &l)
}
