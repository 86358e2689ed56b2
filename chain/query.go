package chain

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtcrypto "github.com/cometbft/cometbft/proto/tendermint/crypto"
)

// Query paths. Single-entry paths answer with the stored JSON record as the
// value and, when asked to prove, a ProofOp of type ProofOpType whose key is
// the state key: it proves the value (or the absence of the key) under the
// AppHash of the block after the response's height. List paths answer with a
// JSON array and no proof.
//
//	/governance                      Governance
//	/account/{did|governance}        Account (absent: sequence 0)
//	/issuer/{did}                    Issuer
//	/issuers                         []Issuer
//	/accreditation/{did}/{type}      Accreditation
//	/accreditation/{did}             []Accreditation
//	/anchor/{rootHex}                AnchorRecord
//	/anchors/{did}                   []AnchorRecord, oldest first
//	/statuslist/{did}/{listID}       StatusList
//	/statuslists/{did}               []StatusList
const (
	PathGovernance    = "/governance"
	PathAccount       = "/account/"
	PathIssuer        = "/issuer/"
	PathIssuers       = "/issuers"
	PathAccreditation = "/accreditation/"
	PathAnchor        = "/anchor/"
	PathAnchors       = "/anchors/"
	PathStatusList    = "/statuslist/"
	PathStatusLists   = "/statuslists/"
)

// StateKey maps a single-entry query path to the state key it reads, or
// reports false for list paths and unknown paths. A client uses it to check
// that a proof is about the key it asked for.
func StateKey(path string) (string, bool) {
	switch {
	case path == PathGovernance:
		return keyGovernance, true
	case strings.HasPrefix(path, PathAccount):
		return prefixAccount + path[len(PathAccount):], arg(path[len(PathAccount):], 1)
	case strings.HasPrefix(path, PathIssuer):
		return prefixIssuer + path[len(PathIssuer):], arg(path[len(PathIssuer):], 1)
	case strings.HasPrefix(path, PathAccreditation):
		rest := path[len(PathAccreditation):]
		return prefixAccr + rest, arg(rest, 2)
	case strings.HasPrefix(path, PathAnchor):
		rest := path[len(PathAnchor):]
		_, err := ParseRoot(rest)
		return prefixAnchor + rest, err == nil
	case strings.HasPrefix(path, PathStatusList):
		rest := path[len(PathStatusList):]
		return prefixStatus + rest, arg(rest, 2)
	}
	return "", false
}

// arg reports whether s is n non-empty segments separated by "/".
func arg(s string, n int) bool {
	parts := strings.Split(s, "/")
	if len(parts) != n {
		return false
	}
	for _, p := range parts {
		if p == "" {
			return false
		}
	}
	return true
}

// listPrefix maps a list path to the state key prefix it scans.
func listPrefix(path string) (string, bool) {
	switch {
	case path == PathIssuers:
		return prefixIssuer, true
	case strings.HasPrefix(path, PathAccreditation) && arg(path[len(PathAccreditation):], 1):
		return prefixAccr + path[len(PathAccreditation):] + "/", true
	case strings.HasPrefix(path, PathAnchors) && arg(path[len(PathAnchors):], 1):
		return prefixIssAnchor + path[len(PathAnchors):] + "/", true
	case strings.HasPrefix(path, PathStatusLists) && arg(path[len(PathStatusLists):], 1):
		return prefixStatus + path[len(PathStatusLists):] + "/", true
	}
	return "", false
}

// Query answers from the last committed state only. The response's Height
// is the last height whose block changed the state (the state is the same
// through the last committed height), so the header at Height+1 exists, or
// is the next block, and its AppHash verifies the proof. A request's Height
// must be 0 or within that unchanged range.
func (a *App) Query(_ context.Context, req *abci.RequestQuery) (*abci.ResponseQuery, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	snap, h := a.committed, a.meta.StateHeight
	if a.initial != nil {
		// Between InitChain and the first Commit the committed state is
		// empty, but the first header's AppHash commits to InitChain's
		// state (governance): answer from that, so the proof verifies.
		snap = a.initial
	}
	fail := func(c Code, format string, args ...any) (*abci.ResponseQuery, error) {
		return &abci.ResponseQuery{Code: uint32(c), Log: fmt.Sprintf(format, args...), Height: h, Codespace: "talentchain"}, nil
	}
	if req.Height != 0 && (req.Height < h || req.Height > a.meta.Height) {
		return fail(CodeBadQuery, "only the latest state (heights %d..%d) is kept for queries", h, a.meta.Height)
	}
	if key, ok := StateKey(req.Path); ok {
		resp := &abci.ResponseQuery{Key: []byte(key), Height: h}
		v, found := snap.get(key)
		if found {
			resp.Value = v
		} else {
			resp.Code, resp.Log, resp.Codespace = uint32(CodeNotFound), "no entry at "+req.Path, "talentchain"
		}
		if req.Prove {
			data, err := json.Marshal(snap.prove(key))
			if err != nil {
				return fail(CodeInternal, "encode proof: %v", err)
			}
			resp.ProofOps = &cmtcrypto.ProofOps{Ops: []cmtcrypto.ProofOp{{Type: ProofOpType, Key: []byte(key), Data: data}}}
		}
		return resp, nil
	}
	prefix, ok := listPrefix(req.Path)
	if !ok {
		return fail(CodeBadQuery, "unknown query path %q", req.Path)
	}
	if req.Prove {
		return fail(CodeBadQuery, "list path %q has no proof; query its entries", req.Path)
	}
	var items []json.RawMessage
	for _, k := range snap.scan(prefix) {
		v, _ := snap.get(k)
		if prefix == prefixIssuer && strings.Contains(k[len(prefix):], "/") {
			continue
		}
		if strings.HasPrefix(prefix, prefixIssAnchor) {
			v, _ = snap.get(prefixAnchor + string(v))
		}
		items = append(items, v)
	}
	if items == nil {
		items = []json.RawMessage{}
	}
	out, err := json.Marshal(items)
	if err != nil {
		return fail(CodeInternal, "encode list: %v", err)
	}
	return &abci.ResponseQuery{Value: out, Height: h}, nil
}

// ProofFromOps extracts the TalentChain proof for key from a query response's
// ProofOps.
func ProofFromOps(ops *cmtcrypto.ProofOps, key []byte) (*Proof, error) {
	if ops == nil {
		return nil, fmt.Errorf("%w: response has no proof", ErrProof)
	}
	for _, op := range ops.Ops {
		if op.Type != ProofOpType || string(op.Key) != string(key) {
			continue
		}
		var p Proof
		if err := json.Unmarshal(op.Data, &p); err != nil {
			return nil, fmt.Errorf("%w: decode: %w", ErrProof, err)
		}
		return &p, nil
	}
	return nil, fmt.Errorf("%w: no %s op for key %q", ErrProof, ProofOpType, key)
}

// VerifyQuery checks a proved query response for path against appHash, the
// AppHash of the header at resp.Height+1 (which commits to the state after
// block resp.Height). A not-found response is checked as an absence proof.
func VerifyQuery(appHash []byte, path string, resp *abci.ResponseQuery) error {
	key, ok := StateKey(path)
	if !ok {
		return fmt.Errorf("%w: path %q is not provable", ErrProof, path)
	}
	if string(resp.Key) != key {
		return fmt.Errorf("%w: response is for key %q, asked %q", ErrProof, resp.Key, key)
	}
	p, err := ProofFromOps(resp.ProofOps, resp.Key)
	if err != nil {
		return err
	}
	value := resp.Value
	switch Code(resp.Code) {
	case CodeOK:
		if value == nil {
			value = []byte{}
		}
	case CodeNotFound:
		value = nil
	default:
		return fmt.Errorf("%w: query failed with %s: %s", ErrProof, Code(resp.Code), resp.Log)
	}
	return VerifyProof(appHash, resp.Key, value, p)
}
