package issuer

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// StatusChange asks to revoke, suspend or reinstate (StatusActive)
// credentials of one organisation. Revocation is final.
type StatusChange struct {
	IDs    []string `json:"credentialIds" validate:"required,min=1,max=10000"`
	Status Status   `json:"status" validate:"required,oneof=revoked suspended active"`
	Reason string   `json:"reason,omitempty" validate:"max=500"`
	// Actor is who asked (a token id, a staff account), for the audit.
	Actor string `json:"actor,omitempty"`
}

// AuditEntry records one status change.
type AuditEntry struct {
	Time    time.Time `json:"time"`
	Actor   string    `json:"actor,omitempty"`
	Action  Status    `json:"action"`
	IDs     []string  `json:"credentialIds"`
	Reason  string    `json:"reason,omitempty"`
	TxHashs []string  `json:"txHashes"`
	Height  int64     `json:"height"`
}

// maxIndexesPerTx is the chain's limit of indexes in one status update.
const maxIndexesPerTx = 8192

// SetStatus changes the status of the organisation's credentials: it sets
// or clears their bits on chain (one issuer.status_update per list and
// purpose, many indexes per transaction), then records the new status and
// an audit entry. Unknown ids, or ids of another organisation, are
// ErrNotFound and nothing changes; reinstating a revoked credential is
// ErrConflict.
func (s *Service) SetStatus(ctx context.Context, org string, ch StatusChange) (*AuditEntry, error) {
	switch {
	case len(ch.IDs) == 0:
		return nil, fmt.Errorf("set status: %w", invalid("/credentialIds", "at least one credential id is required", "至少需要一个凭证编号"))
	case len(ch.IDs) > 10000:
		return nil, fmt.Errorf("set status: %w", invalid("/credentialIds", "at most 10000 per request", "每次最多 10000 个"))
	case ch.Status != StatusRevoked && ch.Status != StatusSuspended && ch.Status != StatusActive:
		return nil, fmt.Errorf("set status: %w", invalid("/status", "must be revoked, suspended or active", "状态必须是 revoked（撤销）、suspended（暂停）或 active（恢复有效）"))
	case len(ch.Reason) > 500:
		return nil, fmt.Errorf("set status: %w", invalid("/reason", "at most 500 bytes", "原因最多 500 字节"))
	}
	st, _, err := s.state(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("set status: %w", err)
	}
	st.statusMu.Lock()
	defer st.statusMu.Unlock()

	ids := slices.Clone(ch.IDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	recs := make([]*credRecord, 0, len(ids))
	for _, id := range ids {
		rec, err := s.load(ctx, id)
		if err != nil {
			return nil, fmt.Errorf("set status: %w", err)
		}
		if rec.Org != org {
			return nil, fmt.Errorf("set status: credential %s: %w", id, ErrNotFound)
		}
		if rec.Status == StatusRevoked && ch.Status != StatusRevoked {
			return nil, fmt.Errorf("set status: credential %s: %w: it is revoked for good", id, ErrConflict)
		}
		recs = append(recs, rec)
	}

	// Bits per (list, purpose): revoke sets the revocation bit; suspend
	// sets the suspension bit; reinstate clears the suspension bit.
	type listKey struct {
		list    int
		purpose string
	}
	set, clr := map[listKey][]uint64{}, map[listKey][]uint64{}
	for _, r := range recs {
		switch ch.Status {
		case StatusRevoked:
			k := listKey{r.StatusList, chain.PurposeRevocation}
			set[k] = append(set[k], uint64(r.StatusIdx))
		case StatusSuspended:
			k := listKey{r.StatusList, chain.PurposeSuspension}
			set[k] = append(set[k], uint64(r.StatusIdx))
		case StatusActive:
			k := listKey{r.StatusList, chain.PurposeSuspension}
			clr[k] = append(clr[k], uint64(r.StatusIdx))
		}
	}
	keys := make([]listKey, 0, len(set)+len(clr))
	for k := range set {
		keys = append(keys, k)
	}
	for k := range clr {
		if _, ok := set[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b listKey) int {
		if a.list != b.list {
			return a.list - b.list
		}
		return strings.Compare(a.purpose, b.purpose)
	})
	entry := &AuditEntry{Time: s.cfg.Now().UTC(), Actor: ch.Actor, Action: ch.Status, IDs: ids, Reason: ch.Reason}
	for _, k := range keys {
		idx := append(set[k], clr[k]...)
		isSet := len(set[k]) > 0
		slices.Sort(idx)
		idx = slices.Compact(idx)
		for start := 0; start < len(idx); start += maxIndexesPerTx {
			part := idx[start:min(start+maxIndexesPerTx, len(idx))]
			p := &chain.StatusUpdate{Length: chain.MinStatusListLen, ListID: listID(k.purpose, k.list), Purpose: k.purpose}
			if isSet {
				p.Set = part
			} else {
				p.Clear = part
			}
			st.txMu.Lock()
			r, err := s.submitLocked(ctx, st, p)
			st.txMu.Unlock()
			if err != nil {
				return nil, fmt.Errorf("set status: %w", err)
			}
			entry.TxHashs = append(entry.TxHashs, r.TxHash)
			entry.Height = r.Height
		}
	}

	var ops []store.Op
	for _, r := range recs {
		r.Status, r.StatusNote, r.Receipt = ch.Status, ch.Reason, nil
		rops, err := recordOps(r, false, nil)
		if err != nil {
			return nil, fmt.Errorf("set status: %w", err)
		}
		ops = append(ops, rops...) // two ops: a chunk of MaxOps never splits them
	}
	raw, err := json.Marshal(entry)
	if err != nil {
		return nil, fmt.Errorf("set status: %w", err)
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	ops = append(ops, store.OpCreate(fmt.Sprintf("audit/%s/%020d-%s", org, entry.Time.UnixNano(), hex.EncodeToString(rnd[:])), raw, 0))
	for start := 0; start < len(ops); start += store.MaxOps {
		if err := s.st.Apply(ctx, ops[start:min(start+store.MaxOps, len(ops))]...); err != nil {
			return nil, fmt.Errorf("set status: on chain, but storing the records failed: %w", err)
		}
	}
	s.log.Info("credential status changed", slog.String("org", org), slog.String("status", string(ch.Status)),
		slog.Int("credentials", len(ids)), slog.String("actor", ch.Actor))
	return entry, nil
}

// Audit returns the organisation's status changes, oldest first.
func (s *Service) Audit(ctx context.Context, org string) ([]*AuditEntry, error) {
	entries, err := s.listAll(ctx, "audit/"+org+"/")
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	out := make([]*AuditEntry, 0, len(entries))
	for _, e := range entries {
		var a AuditEntry
		if err := json.Unmarshal(e.Value, &a); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		out = append(out, &a)
	}
	return out, nil
}

// listAllocated reports ErrNotFound unless list number n of org has had an
// index handed out (a list not yet on chain is then all zeros).
func (s *Service) listAllocated(ctx context.Context, org, list string, n int) error {
	raw, err := s.st.Get(ctx, "alloc/"+org)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("status list: %w", err)
	}
	allocated, _ := strconv.Atoi(string(raw))
	if n*chain.MinStatusListLen >= allocated {
		return fmt.Errorf("status list %s: %w", list, ErrNotFound)
	}
	return nil
}

// StatusListCredential returns the BitstringStatusListCredential (VCDM 2.0)
// served at {BaseURL}/status/{org}/{listID}: the bits are read from chain
// state (a list the chain does not hold yet is all zeros, if the
// organisation allocated it) and the credential is signed by the
// organisation's current key. Unknown lists are ErrNotFound.
func (s *Service) StatusListCredential(ctx context.Context, org, list string) (map[string]any, error) {
	purpose, n, ok := parseListID(list)
	if !ok {
		return nil, fmt.Errorf("status list %s: %w", list, ErrNotFound)
	}
	st, _, err := s.state(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("status list: %w", err)
	}
	encoded := ""
	validFrom := s.cfg.Now().UTC().Truncate(time.Second)
	l, err := s.chain.StatusList(ctx, org, list)
	switch {
	case err == nil:
		if encoded, err = l.EncodedList(); err != nil {
			return nil, fmt.Errorf("status list: %w", err)
		}
	case errors.Is(err, chain.ErrNotFound):
		if err := s.listAllocated(ctx, org, list, n); err != nil {
			return nil, err
		}
		if encoded, err = credential.NewBitstring(chain.MinStatusListLen).Encode(); err != nil {
			return nil, fmt.Errorf("status list: %w", err)
		}
	default:
		return nil, fmt.Errorf("status list: %w", err)
	}
	url := s.statusURL(org, list)
	doc := map[string]any{
		"@context":  []any{credential.ContextV2},
		"id":        url,
		"type":      []any{"VerifiableCredential", "BitstringStatusListCredential"},
		"issuer":    org,
		"validFrom": validFrom.Format(time.RFC3339),
		"credentialSubject": map[string]any{
			"id":            url + "#list",
			"type":          "BitstringStatusList",
			"statusPurpose": purpose,
			"encodedList":   encoded,
		},
	}
	st.keyMu.RLock()
	signer := st.signer
	st.keyMu.RUnlock()
	signed, err := signer.SignCredential(doc, validFrom)
	if err != nil {
		return nil, fmt.Errorf("status list: sign: %w", err)
	}
	return signed, nil
}

func parseListID(s string) (purpose string, n int, ok bool) {
	p, num, found := strings.Cut(s, "-")
	if !found {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 0 || strconv.Itoa(n) != num {
		return "", 0, false
	}
	switch p {
	case "rev":
		return chain.PurposeRevocation, n, true
	case "sus":
		return chain.PurposeSuspension, n, true
	}
	return "", 0, false
}
