package chain

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// TxVersion is the only envelope version this application accepts.
const TxVersion = 1

// MaxTxBytes bounds an encoded transaction; larger ones are refused before
// any parsing.
const MaxTxBytes = 128 << 10

// GovernanceSigner is the Signer of every governance transaction; its
// sequence is the governance account's.
const GovernanceSigner = "governance"

// signDomain separates TalentChain transaction signatures from every other
// use of the same keys.
const signDomain = "talentchain/tx/v1\n"

// TxType names a transaction type on the wire.
type TxType string

// Transaction types. Those starting with "gov." need the governance threshold
// of member signatures; those starting with "issuer." are signed by the
// issuer's current key.
const (
	TypeRegisterIssuer   TxType = "gov.register_issuer"
	TypeAccredit         TxType = "gov.accredit"
	TypeWithdraw         TxType = "gov.withdraw"
	TypeSuspendIssuer    TxType = "gov.suspend_issuer"
	TypeReinstateIssuer  TxType = "gov.reinstate_issuer"
	TypeRemoveIssuer     TxType = "gov.remove_issuer"
	TypeUpdateGovernance TxType = "gov.update_governance"
	TypeRotateKey        TxType = "issuer.rotate_key"
	TypeAnchor           TxType = "issuer.anchor"
	TypeStatusUpdate     TxType = "issuer.status_update"
)

// Governance reports whether the type is a governance transaction.
func (t TxType) Governance() bool { return strings.HasPrefix(string(t), "gov.") }

// payloadFactories maps each known type to a constructor of its payload.
var payloadFactories = map[TxType]func() Payload{
	TypeRegisterIssuer:   func() Payload { return new(RegisterIssuer) },
	TypeAccredit:         func() Payload { return new(Accredit) },
	TypeWithdraw:         func() Payload { return new(Withdraw) },
	TypeSuspendIssuer:    func() Payload { return new(SuspendIssuer) },
	TypeReinstateIssuer:  func() Payload { return new(ReinstateIssuer) },
	TypeRemoveIssuer:     func() Payload { return new(RemoveIssuer) },
	TypeUpdateGovernance: func() Payload { return new(UpdateGovernance) },
	TypeRotateKey:        func() Payload { return new(RotateKey) },
	TypeAnchor:           func() Payload { return new(Anchor) },
	TypeStatusUpdate:     func() Payload { return new(StatusUpdate) },
}

// Payload is the type-specific body of a transaction. The set of payloads is
// closed: only the types of this package implement it.
type Payload interface {
	TxType() TxType
	// validate applies the stateless rules of the payload.
	validate() error
}

// Signature is one Ed25519 signature over a transaction's sign bytes. Key is
// the signer's public key in Multikey form (see EncodePublicKey).
type Signature struct {
	Key string `json:"key"`
	Sig []byte `json:"sig"`
}

// Tx is a decoded transaction. Build one with NewTx, sign it with Sign and
// encode it with Encode; DecodeTx is the inverse of Encode and accepts only
// the canonical bytes Encode produces.
type Tx struct {
	Version    uint32
	Type       TxType
	Signer     string // GovernanceSigner, or an issuer key id did:talent:x#key-n
	Sequence   uint64 // the signer account's last sequence + 1
	Payload    Payload
	Signatures []Signature // sorted by Key, at most one per key
}

// wireTx is the envelope on the wire. Fields are declared in the sorted order
// of their JSON names so that encoding/json writes sorted keys: the canonical
// form is compact JSON with sorted keys and no HTML escaping.
type wireTx struct {
	Payload    json.RawMessage `json:"payload"`
	Sequence   uint64          `json:"seq"`
	Signer     string          `json:"signer"`
	Signatures []Signature     `json:"sigs,omitempty"`
	Type       TxType          `json:"type"`
	Version    uint32          `json:"v"`
}

// NewTx returns an unsigned version-1 transaction carrying p.
func NewTx(p Payload, signer string, sequence uint64) *Tx {
	return &Tx{Version: TxVersion, Type: p.TxType(), Signer: signer, Sequence: sequence, Payload: p}
}

// Encode returns the canonical bytes of the transaction, signatures included.
func (t *Tx) Encode() ([]byte, error) {
	if t.Payload == nil {
		return nil, errors.New("chain: encode tx: no payload")
	}
	p, err := canonicalJSON(t.Payload)
	if err != nil {
		return nil, fmt.Errorf("chain: encode tx payload: %w", err)
	}
	b, err := canonicalJSON(wireTx{
		Payload: p, Sequence: t.Sequence, Signer: t.Signer,
		Signatures: t.Signatures, Type: t.Type, Version: t.Version,
	})
	if err != nil {
		return nil, fmt.Errorf("chain: encode tx: %w", err)
	}
	return b, nil
}

// SignBytes returns the bytes every signature of the transaction covers: a
// domain separator, the chain id and the canonical transaction without
// signatures. Binding the chain id keeps a transaction from being replayed on
// another network.
func (t *Tx) SignBytes(chainID string) ([]byte, error) {
	if err := checkChainID(chainID); err != nil {
		return nil, err
	}
	body := *t
	body.Signatures = nil
	b, err := body.Encode()
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(signDomain)+len(chainID)+1+len(b))
	out = append(out, signDomain...)
	out = append(out, chainID...)
	out = append(out, '\n')
	return append(out, b...), nil
}

func checkChainID(chainID string) error {
	if chainID == "" || len(chainID) > 50 || strings.ContainsAny(chainID, "\n\x00") {
		return fmt.Errorf("chain: invalid chain id %q", chainID)
	}
	return nil
}

// Sign adds a signature by priv and keeps the signatures sorted. Governance
// transactions are signed by several members, each calling Sign.
func (t *Tx) Sign(chainID string, priv ed25519.PrivateKey) error {
	msg, err := t.SignBytes(chainID)
	if err != nil {
		return err
	}
	key := EncodePublicKey(priv.Public().(ed25519.PublicKey))
	t.Signatures = append(t.Signatures, Signature{Key: key, Sig: ed25519.Sign(priv, msg)})
	slices.SortStableFunc(t.Signatures, func(a, b Signature) int { return strings.Compare(a.Key, b.Key) })
	return nil
}

// TxHash returns the CometBFT hash of the encoded transaction (SHA-256), the
// hash under which the node indexes it.
func TxHash(txBytes []byte) []byte {
	h := sha256.Sum256(txBytes)
	return h[:]
}

// DecodeTx parses canonical transaction bytes. It refuses oversized input,
// unknown versions and types, unknown fields, trailing data and any encoding
// other than the canonical one (it re-encodes and compares bytes), and applies
// the stateless payload rules. Errors are *CodeError.
func DecodeTx(b []byte) (*Tx, error) {
	if len(b) > MaxTxBytes {
		return nil, errf(CodeTooLarge, "tx is %d bytes, limit %d", len(b), MaxTxBytes)
	}
	var head struct {
		Version uint32 `json:"v"`
		Type    TxType `json:"type"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		return nil, errf(CodeMalformed, "not a JSON transaction envelope: %v", err)
	}
	if head.Version != TxVersion {
		return nil, errf(CodeUnsupportedVersion, "tx version %d, want %d", head.Version, TxVersion)
	}
	factory, ok := payloadFactories[head.Type]
	if !ok {
		return nil, errf(CodeUnknownType, "unknown tx type %q", head.Type)
	}
	var w wireTx
	if err := strictUnmarshal(b, &w); err != nil {
		return nil, errf(CodeMalformed, "envelope: %v", err)
	}
	p := factory()
	if err := strictUnmarshal(w.Payload, p); err != nil {
		return nil, errf(CodeMalformed, "%s payload: %v", head.Type, err)
	}
	t := &Tx{Version: w.Version, Type: w.Type, Signer: w.Signer, Sequence: w.Sequence, Payload: p, Signatures: w.Signatures}
	again, err := t.Encode()
	if err != nil {
		return nil, errf(CodeMalformed, "re-encode: %v", err)
	}
	if !bytes.Equal(again, b) {
		return nil, errf(CodeMalformed, "tx is not in canonical form (compact JSON, sorted keys, no empty optional fields)")
	}
	if err := t.validate(); err != nil {
		return nil, err
	}
	return t, nil
}

// validate applies the stateless rules of the envelope and the payload.
func (t *Tx) validate() error {
	if t.Sequence == 0 {
		return errf(CodeBadSequence, "sequence starts at 1")
	}
	if len(t.Signatures) == 0 {
		return errf(CodeBadSignature, "tx is not signed")
	}
	for i, s := range t.Signatures {
		if _, err := DecodePublicKey(s.Key); err != nil {
			return errf(CodeBadSignature, "signature %d: %v", i, err)
		}
		if len(s.Sig) != ed25519.SignatureSize {
			return errf(CodeBadSignature, "signature %d is %d bytes, want %d", i, len(s.Sig), ed25519.SignatureSize)
		}
		if i > 0 {
			switch c := strings.Compare(t.Signatures[i-1].Key, s.Key); {
			case c == 0:
				return errf(CodeDuplicateSignature, "key %s signed twice", s.Key)
			case c > 0:
				return errf(CodeMalformed, "signatures are not sorted by key")
			}
		}
	}
	if t.Type.Governance() {
		if t.Signer != GovernanceSigner {
			return errf(CodeWrongSigner, "%s must have signer %q, got %q", t.Type, GovernanceSigner, t.Signer)
		}
	} else {
		did, _, ok := SplitKeyID(t.Signer)
		if !ok || !ValidIssuerDID(did) {
			return errf(CodeWrongSigner, "%s must be signed by an issuer key id did:talent:...#key-n, got %q", t.Type, t.Signer)
		}
		if len(t.Signatures) != 1 {
			return errf(CodeWrongSigner, "%s takes exactly one signature, got %d", t.Type, len(t.Signatures))
		}
	}
	if err := t.Payload.validate(); err != nil {
		var ce *CodeError
		if errors.As(err, &ce) {
			return ce
		}
		return errf(CodeInvalidPayload, "%s: %v", t.Type, err)
	}
	return nil
}

// verifySignatures checks every signature against the sign bytes.
func (t *Tx) verifySignatures(chainID string) error {
	msg, err := t.SignBytes(chainID)
	if err != nil {
		return errf(CodeInternal, "%v", err)
	}
	for _, s := range t.Signatures {
		pub, err := DecodePublicKey(s.Key)
		if err != nil {
			return errf(CodeBadSignature, "%v", err)
		}
		if !ed25519.Verify(pub, msg, s.Sig) {
			return errf(CodeBadSignature, "signature by %s does not verify for chain %q", s.Key, chainID)
		}
	}
	return nil
}

func canonicalJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func strictUnmarshal(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// ---- payloads ----

// Names are an issuer's display names.
type Names struct {
	En string `json:"en"`
	Zh string `json:"zh"`
}

// Issuer kinds.
const (
	KindUniversity   = "university"
	KindSciencePark  = "science_park"
	KindTrainingOrg  = "training_org"
	maxTextLen       = 256
	maxIndexesPerTx  = 8192
	maxLevels        = 16
	maxCredTypesTx   = 64
	MinStatusListLen = 131072   // W3C Bitstring Status List minimum (herd privacy)
	MaxStatusListLen = 16777216 // 2 MiB of bits
)

// Status list purposes.
const (
	PurposeRevocation = "revocation"
	PurposeSuspension = "suspension"
)

// RegisterIssuer (governance) registers an issuer with its first key. The
// issuer's DID is IssuerDID(PublicKey).
type RegisterIssuer struct {
	Kind      string `json:"kind"`
	Names     Names  `json:"names"`
	PublicKey string `json:"publicKey"`
	USCC      string `json:"uscc,omitempty"` // unified social credit code
}

// Accredit (governance) grants, or replaces, an issuer's accreditation for a
// credential type with the given levels (sorted, may be empty).
type Accredit struct {
	CredentialType string   `json:"credentialType"`
	Issuer         string   `json:"issuer"`
	Levels         []string `json:"levels,omitempty"`
}

// Withdraw (governance) ends an issuer's accreditation for a credential type.
type Withdraw struct {
	CredentialType string `json:"credentialType"`
	Issuer         string `json:"issuer"`
}

// SuspendIssuer (governance) suspends an active issuer: it can no longer
// anchor until reinstated.
type SuspendIssuer struct {
	Issuer string `json:"issuer"`
	Reason string `json:"reason,omitempty"`
}

// ReinstateIssuer (governance) returns a suspended issuer to active.
type ReinstateIssuer struct {
	Issuer string `json:"issuer"`
	Reason string `json:"reason,omitempty"`
}

// RemoveIssuer (governance) removes an issuer for good; its records stay.
type RemoveIssuer struct {
	Issuer string `json:"issuer"`
	Reason string `json:"reason,omitempty"`
}

// UpdateGovernance (governance) replaces the member keys and threshold.
type UpdateGovernance struct {
	Members   []string `json:"members"` // Multikey strings, sorted, distinct
	Threshold uint32   `json:"threshold"`
}

// RotateKey (issuer) replaces the issuer's current key. The current key stays
// valid to the end of this block; the new key is valid from the next block.
type RotateKey struct {
	NewPublicKey string `json:"newPublicKey"`
}

// Anchor (issuer) records the Merkle root of a batch of credentials.
// CredentialTypes, if given, must each be accredited to the issuer now; if
// empty, the issuer must hold at least one accreditation.
type Anchor struct {
	BatchID         string   `json:"batchId,omitempty"`
	CredentialTypes []string `json:"credentialTypes,omitempty"`
	LeafCount       uint64   `json:"leafCount"`
	Root            string   `json:"root"` // 64 lowercase hex digits
}

// StatusUpdate (issuer) creates or updates one of the issuer's bitstring
// status lists: bits in Set become 1, bits in Clear become 0. Length must
// equal the list's length (it fixes it on creation).
type StatusUpdate struct {
	Clear   []uint64 `json:"clear,omitempty"`
	Length  uint64   `json:"length"`
	ListID  string   `json:"listId"`
	Purpose string   `json:"purpose"`
	Set     []uint64 `json:"set,omitempty"`
}

func (*RegisterIssuer) TxType() TxType   { return TypeRegisterIssuer }
func (*Accredit) TxType() TxType         { return TypeAccredit }
func (*Withdraw) TxType() TxType         { return TypeWithdraw }
func (*SuspendIssuer) TxType() TxType    { return TypeSuspendIssuer }
func (*ReinstateIssuer) TxType() TxType  { return TypeReinstateIssuer }
func (*RemoveIssuer) TxType() TxType     { return TypeRemoveIssuer }
func (*UpdateGovernance) TxType() TxType { return TypeUpdateGovernance }
func (*RotateKey) TxType() TxType        { return TypeRotateKey }
func (*Anchor) TxType() TxType           { return TypeAnchor }
func (*StatusUpdate) TxType() TxType     { return TypeStatusUpdate }

func (p *RegisterIssuer) validate() error {
	switch p.Kind {
	case KindUniversity, KindSciencePark, KindTrainingOrg:
	default:
		return fmt.Errorf("kind %q is not university, science_park or training_org", p.Kind)
	}
	if err := checkText("names.en", p.Names.En, true); err != nil {
		return err
	}
	if err := checkText("names.zh", p.Names.Zh, true); err != nil {
		return err
	}
	if _, err := DecodePublicKey(p.PublicKey); err != nil {
		return err
	}
	if p.USCC != "" && !ValidUSCC(p.USCC) {
		return fmt.Errorf("uscc %q is not a valid unified social credit code", p.USCC)
	}
	return nil
}

func (p *Accredit) validate() error {
	if err := checkIssuer(p.Issuer); err != nil {
		return err
	}
	if err := checkName("credentialType", p.CredentialType); err != nil {
		return err
	}
	if len(p.Levels) > maxLevels {
		return fmt.Errorf("at most %d levels", maxLevels)
	}
	return checkSortedNames("levels", p.Levels)
}

func (p *Withdraw) validate() error {
	if err := checkIssuer(p.Issuer); err != nil {
		return err
	}
	return checkName("credentialType", p.CredentialType)
}

func (p *SuspendIssuer) validate() error   { return checkAction(p.Issuer, p.Reason) }
func (p *ReinstateIssuer) validate() error { return checkAction(p.Issuer, p.Reason) }
func (p *RemoveIssuer) validate() error    { return checkAction(p.Issuer, p.Reason) }

func (p *UpdateGovernance) validate() error {
	if len(p.Members) == 0 || len(p.Members) > 64 {
		return fmt.Errorf("governance needs 1 to 64 members, got %d", len(p.Members))
	}
	for i, m := range p.Members {
		if _, err := DecodePublicKey(m); err != nil {
			return fmt.Errorf("member %d: %w", i, err)
		}
		if i > 0 && p.Members[i-1] >= m {
			return errors.New("members must be sorted and distinct")
		}
	}
	if p.Threshold == 0 || int(p.Threshold) > len(p.Members) {
		return fmt.Errorf("threshold %d out of 1..%d", p.Threshold, len(p.Members))
	}
	return nil
}

func (p *RotateKey) validate() error {
	_, err := DecodePublicKey(p.NewPublicKey)
	return err
}

func (p *Anchor) validate() error {
	if _, err := ParseRoot(p.Root); err != nil {
		return err
	}
	if p.LeafCount == 0 || p.LeafCount > 1<<32 {
		return fmt.Errorf("leafCount %d out of 1..2^32", p.LeafCount)
	}
	if p.BatchID != "" {
		if err := checkText("batchId", p.BatchID, true); err != nil {
			return err
		}
	}
	if len(p.CredentialTypes) > maxCredTypesTx {
		return fmt.Errorf("at most %d credential types", maxCredTypesTx)
	}
	return checkSortedNames("credentialTypes", p.CredentialTypes)
}

func (p *StatusUpdate) validate() error {
	if err := checkName("listId", p.ListID); err != nil {
		return err
	}
	if p.Purpose != PurposeRevocation && p.Purpose != PurposeSuspension {
		return fmt.Errorf("purpose %q is not revocation or suspension", p.Purpose)
	}
	if p.Length < MinStatusListLen || p.Length > MaxStatusListLen || p.Length%8 != 0 {
		return fmt.Errorf("length %d must be a multiple of 8 in %d..%d", p.Length, MinStatusListLen, MaxStatusListLen)
	}
	if len(p.Set)+len(p.Clear) > maxIndexesPerTx {
		return fmt.Errorf("at most %d indexes per update", maxIndexesPerTx)
	}
	for _, s := range [][]uint64{p.Set, p.Clear} {
		for i, v := range s {
			if v >= p.Length {
				return fmt.Errorf("index %d out of range for length %d", v, p.Length)
			}
			if i > 0 && s[i-1] >= v {
				return errors.New("set and clear indexes must be sorted and distinct")
			}
		}
	}
	for _, v := range p.Set {
		if _, found := slices.BinarySearch(p.Clear, v); found {
			return fmt.Errorf("index %d is both set and cleared", v)
		}
	}
	return nil
}

// ParseRoot parses a 32-byte Merkle root written as 64 lowercase hex digits.
func ParseRoot(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 || hex.EncodeToString(b) != s {
		return nil, fmt.Errorf("root %q is not 64 lowercase hex digits", s)
	}
	return b, nil
}

func checkAction(issuer, reason string) error {
	if err := checkIssuer(issuer); err != nil {
		return err
	}
	if reason != "" {
		return checkText("reason", reason, true)
	}
	return nil
}

func checkIssuer(did string) error {
	if !ValidIssuerDID(did) {
		return fmt.Errorf("issuer %q is not a did:talent DID", did)
	}
	return nil
}

// checkText accepts valid UTF-8 without control characters, 1..maxTextLen runes.
func checkText(field, s string, required bool) error {
	if s == "" {
		if required {
			return fmt.Errorf("%s is required", field)
		}
		return nil
	}
	if !utf8.ValidString(s) || utf8.RuneCountInString(s) > maxTextLen {
		return fmt.Errorf("%s must be valid UTF-8 of at most %d characters", field, maxTextLen)
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s contains a control character", field)
		}
	}
	if strings.TrimSpace(s) != s {
		return fmt.Errorf("%s has leading or trailing space", field)
	}
	return nil
}

// checkName accepts identifiers: 1..128 of [A-Za-z0-9._:-].
func checkName(field, s string) error {
	if s == "" || len(s) > 128 {
		return fmt.Errorf("%s must be 1..128 characters", field)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return fmt.Errorf("%s %q may hold only letters, digits and . _ : -", field, s)
		}
	}
	return nil
}

func checkSortedNames(field string, s []string) error {
	for i, v := range s {
		if err := checkName(field, v); err != nil {
			return err
		}
		if i > 0 && s[i-1] >= v {
			return fmt.Errorf("%s must be sorted and distinct", field)
		}
	}
	return nil
}

const usccChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var usccWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// ValidUSCC checks a unified social credit code (GB 32100-2015): 18
// characters of the code's alphabet with a valid mod-31 check character.
func ValidUSCC(s string) bool {
	if len(s) != 18 {
		return false
	}
	sum := 0
	for i := 0; i < 17; i++ {
		v := strings.IndexByte(usccChars, s[i])
		if v < 0 {
			return false
		}
		sum += v * usccWeights[i]
	}
	check := (31 - sum%31) % 31
	return s[17] == usccChars[check]
}
