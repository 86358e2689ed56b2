package chain

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/cometbft/cometbft/types"
)

// ErrUntrustedHeader means the header a proof would be checked against is
// not shown to be signed by the trusted validators: its commit lacks +2/3 of
// their voting power, it is of another chain, its validator set is not the
// trusted one, or the commit signs another block than the header served. It
// wraps ErrProof.
var ErrUntrustedHeader = fmt.Errorf("%w: header not signed by the trusted validators", ErrProof)

// TrustFromGenesis reads a CometBFT genesis file (the one every node of the
// network starts from) and returns its chain id and validator set: the
// trust root of a client of a remote node (ClientConfig.ChainID and
// TrustedValidators). The application never changes validators, so the
// genesis set signs every block.
func TrustFromGenesis(file string) (chainID string, vals *types.ValidatorSet, err error) {
	doc, err := types.GenesisDocFromFile(file)
	if err != nil {
		return "", nil, fmt.Errorf("chain: trusted genesis: %w", err)
	}
	if len(doc.Validators) == 0 {
		return "", nil, fmt.Errorf("chain: trusted genesis %s: no validators", file)
	}
	list := make([]*types.Validator, len(doc.Validators))
	seen := make(map[string]bool, len(doc.Validators))
	for i, v := range doc.Validators {
		list[i] = types.NewValidator(v.PubKey, v.Power)
		if seen[string(list[i].Address)] {
			return "", nil, fmt.Errorf("chain: trusted genesis %s: validator %s twice", file, list[i].Address)
		}
		seen[string(list[i].Address)] = true
	}
	vals, err = types.ValidatorSetFromExistingValidators(list)
	if err != nil {
		return "", nil, fmt.Errorf("chain: trusted genesis %s: validators: %w", file, err)
	}
	return doc.ChainID, vals, nil
}

// VerifySignedHeader checks that sh is a header of chainID at height whose
// commit is signed by more than two thirds of the voting power of vals, the
// trusted validator set, and that vals is the set the header names. Only
// then does the header's AppHash commit to the state it claims. Every
// failure wraps ErrUntrustedHeader.
func VerifySignedHeader(chainID string, vals *types.ValidatorSet, height int64, sh *types.SignedHeader) error {
	fail := func(format string, a ...any) error {
		return fmt.Errorf("%w: header %d: %s", ErrUntrustedHeader, height, fmt.Sprintf(format, a...))
	}
	switch {
	case chainID == "":
		return fail("no trusted chain id")
	case vals.IsNilOrEmpty():
		return fail("no trusted validators")
	case sh == nil || sh.Header == nil || sh.Commit == nil:
		return fail("missing header or commit")
	}
	// Chain id, header ⇔ commit (height, block hash), well-formed parts.
	if err := sh.ValidateBasic(chainID); err != nil {
		return fail("%v", err)
	}
	if sh.Height != height {
		return fail("node served height %d", sh.Height)
	}
	if h := vals.Hash(); !bytes.Equal(sh.ValidatorsHash, h) {
		return fail("validator set %X is not the trusted set %X", sh.ValidatorsHash, h)
	}
	// +2/3 of the trusted power signed this block id (which ValidateBasic
	// tied to the header's hash, so to its AppHash).
	if err := vals.VerifyCommitLight(chainID, sh.Commit.BlockID, sh.Height, sh.Commit); err != nil {
		var short types.ErrNotEnoughVotingPowerSigned
		if errors.As(err, &short) {
			return fail("signed by %d of the trusted voting power, more than %d needed", short.Got, short.Needed)
		}
		return fail("commit: %v", err)
	}
	return nil
}
