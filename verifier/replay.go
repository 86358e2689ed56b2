package verifier

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/talentchain/talentchain/store"
)

// SeenSet remembers the challenges that presentations have answered, so that
// each challenge is accepted once (a copied presentation is refused).
//
// FirstUse records key for ttl and reports true if the key was not recorded
// before (or its record expired), false if it was. Of several concurrent
// calls with one key, exactly one MUST report true, also across replicas
// sharing the set. Any error means the set could not be consulted: the
// verification then fails with ErrUnavailable rather than risk accepting a
// replay. Keys are hashes (never the challenge itself) of at most 80 bytes.
type SeenSet interface {
	FirstUse(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// StoreSeenSet is a SeenSet over a store.Store: the embedded store for a
// single node, Redis for replicas. Give it the verifier's namespace
// (store.WithPrefix(s, "verifier/")); entries live under "seen/".
type StoreSeenSet struct{ st store.Store }

// NewStoreSeenSet returns a SeenSet over st.
func NewStoreSeenSet(st store.Store) (*StoreSeenSet, error) {
	if st == nil {
		return nil, errors.New("verifier: seen set: a store is required")
	}
	return &StoreSeenSet{st: st}, nil
}

// FirstUse implements SeenSet with the store's atomic Create.
func (s *StoreSeenSet) FirstUse(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if ttl <= 0 {
		return false, fmt.Errorf("verifier: seen set: ttl must be positive")
	}
	err := s.st.Create(ctx, "seen/"+key, []byte(time.Now().UTC().Format(time.RFC3339)), ttl)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, store.ErrExists):
		return false, nil
	}
	return false, fmt.Errorf("verifier: seen set: %w", err)
}

// challengeKey is the seen-set key of a challenge: its hash, so that the
// store never holds a live nonce.
func challengeKey(challenge string) string {
	h := sha256.Sum256([]byte("talentchain/verifier/challenge\n" + challenge))
	return hex.EncodeToString(h[:])
}
