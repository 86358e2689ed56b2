package chain

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"time"
)

// State keys. Every value is the JSON of one of the record types below
// (structs only, no maps, so the encoding is deterministic).
const (
	keyGovernance   = "gov"
	prefixAccount   = "acct/"    // + signer account (an issuer DID or "governance") → Account
	prefixIssuer    = "issuer/"  // + DID → Issuer
	prefixKeyOwner  = "keyown/"  // + Multikey → DID (a key belongs to one issuer, ever)
	prefixAccr      = "accr/"    // + DID + "/" + credential type → Accreditation
	prefixAccrIndex = "accridx/" // + DID → accrIndex (types accredited now)
	prefixAnchor    = "anchor/"  // + root hex → AnchorRecord
	prefixIssAnchor = "ianchor/" // + DID + "/" + height hex + "/" + root hex → root hex
	prefixStatus    = "status/"  // + DID + "/" + list id → StatusList
)

// Issuer statuses.
const (
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusRemoved   = "removed"
)

// Governance is the set of member keys and how many must sign a governance
// transaction.
type Governance struct {
	Members       []string `json:"members"`
	Threshold     uint32   `json:"threshold"`
	UpdatedHeight int64    `json:"updatedHeight"`
}

// Account is a signer's replay-protection counter: the next transaction of
// the account must carry Sequence+1.
type Account struct {
	Sequence uint64 `json:"sequence"`
}

// Issuer is a registered issuer, its key history and status history.
type Issuer struct {
	DID              string         `json:"did"`
	Names            Names          `json:"names"`
	Kind             string         `json:"kind"`
	USCC             string         `json:"uscc,omitempty"`
	Status           string         `json:"status"`
	Keys             []IssuerKey    `json:"keys"`
	StatusHistory    []StatusChange `json:"statusHistory"`
	RegisteredHeight int64          `json:"registeredHeight"`
	RegisteredTime   time.Time      `json:"registeredTime"`
}

// IssuerKey is one key of an issuer with its validity window in heights,
// both ends inclusive; ValidUntilHeight 0 means still valid. Rotation at
// height H ends the old key at H and starts the new one at H+1; both times
// are the block time of H.
type IssuerKey struct {
	ID                 string     `json:"id"`
	PublicKeyMultibase string     `json:"publicKeyMultibase"`
	ValidFromHeight    int64      `json:"validFromHeight"`
	ValidFromTime      time.Time  `json:"validFromTime"`
	ValidUntilHeight   int64      `json:"validUntilHeight,omitempty"`
	ValidUntilTime     *time.Time `json:"validUntilTime,omitempty"`
}

// ValidAt reports whether the key may sign at height h.
func (k *IssuerKey) ValidAt(h int64) bool {
	return k.ValidFromHeight <= h && (k.ValidUntilHeight == 0 || h <= k.ValidUntilHeight)
}

// Key returns the issuer's key with the given id.
func (is *Issuer) Key(id string) (*IssuerKey, bool) {
	for i := range is.Keys {
		if is.Keys[i].ID == id {
			return &is.Keys[i], true
		}
	}
	return nil, false
}

// StatusChange is one entry of an issuer's status history.
type StatusChange struct {
	Status string    `json:"status"`
	Height int64     `json:"height"`
	Time   time.Time `json:"time"`
	Reason string    `json:"reason,omitempty"`
}

// StatusAt returns the issuer's status in effect after height h.
func (is *Issuer) StatusAt(h int64) string {
	s := ""
	for _, c := range is.StatusHistory {
		if c.Height <= h {
			s = c.Status
		}
	}
	return s
}

// Accreditation is the history of an issuer's accreditation for one
// credential type; at most the last grant is open.
type Accreditation struct {
	Issuer         string  `json:"issuer"`
	CredentialType string  `json:"credentialType"`
	Grants         []Grant `json:"grants"`
}

// Grant is one period of accreditation, from GrantedHeight until (not
// including) WithdrawnHeight; WithdrawnHeight 0 means still in force.
type Grant struct {
	Levels          []string   `json:"levels,omitempty"`
	GrantedHeight   int64      `json:"grantedHeight"`
	GrantedTime     time.Time  `json:"grantedTime"`
	WithdrawnHeight int64      `json:"withdrawnHeight,omitempty"`
	WithdrawnTime   *time.Time `json:"withdrawnTime,omitempty"`
}

// Active returns the grant in force now, if any.
func (a *Accreditation) Active() (*Grant, bool) {
	if n := len(a.Grants); n > 0 && a.Grants[n-1].WithdrawnHeight == 0 {
		return &a.Grants[n-1], true
	}
	return nil, false
}

// At returns the grant that was in force at time t (block time), if any.
// This answers "was the issuer accredited for this type when it issued".
func (a *Accreditation) At(t time.Time) (*Grant, bool) {
	for i := len(a.Grants) - 1; i >= 0; i-- {
		g := &a.Grants[i]
		if !g.GrantedTime.After(t) && (g.WithdrawnTime == nil || t.Before(*g.WithdrawnTime)) {
			return g, true
		}
	}
	return nil, false
}

// AtHeight returns the grant in force in the state after block h, if any:
// the one with GrantedHeight <= h < WithdrawnHeight (or not withdrawn).
// Heights are exact where block times may repeat, so a verifier asking "was
// the issuer accredited when it anchored at height h" should use this.
func (a *Accreditation) AtHeight(h int64) (*Grant, bool) {
	for i := len(a.Grants) - 1; i >= 0; i-- {
		g := &a.Grants[i]
		if g.GrantedHeight <= h && (g.WithdrawnHeight == 0 || h < g.WithdrawnHeight) {
			return g, true
		}
	}
	return nil, false
}

// AnchorRecord is a Merkle root anchored by an issuer.
type AnchorRecord struct {
	Root            string    `json:"root"`
	Issuer          string    `json:"issuer"`
	KeyID           string    `json:"keyId"`
	LeafCount       uint64    `json:"leafCount"`
	BatchID         string    `json:"batchId,omitempty"`
	CredentialTypes []string  `json:"credentialTypes,omitempty"`
	Height          int64     `json:"height"`
	Time            time.Time `json:"time"`
	TxHash          string    `json:"txHash"` // upper-case hex, as CometBFT prints it
}

// StatusList is one Bitstring Status List of an issuer. Bits holds the raw
// bitstring (bit 0 is the most significant bit of the first byte, as in the
// W3C Bitstring Status List); compression happens only when serving it.
type StatusList struct {
	Issuer        string    `json:"issuer"`
	ListID        string    `json:"listId"`
	Purpose       string    `json:"purpose"`
	Length        uint64    `json:"length"`
	Bits          []byte    `json:"bits"`
	CreatedHeight int64     `json:"createdHeight"`
	UpdatedHeight int64     `json:"updatedHeight"`
	UpdatedTime   time.Time `json:"updatedTime"`
}

// Bit reports the status bit at index i.
func (l *StatusList) Bit(i uint64) bool {
	if i >= l.Length || i/8 >= uint64(len(l.Bits)) {
		return false
	}
	return l.Bits[i/8]&(0x80>>(i%8)) != 0
}

func (l *StatusList) setBit(i uint64, v bool) {
	if v {
		l.Bits[i/8] |= 0x80 >> (i % 8)
	} else {
		l.Bits[i/8] &^= 0x80 >> (i % 8)
	}
}

// EncodedList returns the list's encodedList for a BitstringStatusListCredential:
// multibase base64url (no padding) of the GZIP-compressed bitstring. It is
// computed off consensus, so compressor differences cannot fork the chain.
func (l *StatusList) EncodedList() (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", fmt.Errorf("chain: gzip status list: %w", err)
	}
	if _, err := zw.Write(l.Bits); err != nil {
		return "", fmt.Errorf("chain: gzip status list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("chain: gzip status list: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// Genesis is the application's part of the genesis document (app_state).
type Genesis struct {
	Governance GenesisGovernance `json:"governance"`
}

// GenesisGovernance seeds the governance members and threshold.
type GenesisGovernance struct {
	Members   []string `json:"members"`
	Threshold uint32   `json:"threshold"`
}
