package wallet

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// Credential formats the wallet holds.
const (
	// FormatLDP is a W3C VC (Data Model 2.0 or 1.1) secured with a Data
	// Integrity or Linked Data proof.
	FormatLDP = "ldp_vc"
	// FormatSDJWT is an SD-JWT VC, held as its compact string.
	FormatSDJWT = "dc+sd-jwt"
)

// Sources of a credential.
const (
	SourceOffer   = "offer"   // received from an issuer's offer (OpenID4VCI)
	SourceImport  = "import"  // imported from a file
	SourceRestore = "restore" // restored from a backup
)

// MaxImportSize is the largest credential file Import accepts.
const MaxImportSize = credential.MaxDocumentSize

// Credential is a credential in a holder's wallet.
type Credential struct {
	// ID is the wallet's id for it (24 hex digits; newest sort first).
	ID     string `json:"id"`
	Format string `json:"format"`
	// CredentialID is the credential's own id (often urn:uuid:…), if any.
	CredentialID string    `json:"credentialId,omitempty"`
	Types        []string  `json:"types"`
	Issuer       string    `json:"issuer"`
	Subject      string    `json:"subject,omitempty"` // the subject's id, normally the holder's DID
	ValidFrom    time.Time `json:"validFrom,omitzero"`
	ValidUntil   time.Time `json:"validUntil,omitzero"`
	Added        time.Time `json:"added"`
	Source       string    `json:"source"`
	// Origin is the issuer URL of an offer.
	Origin string `json:"origin,omitempty"`
	// Verification is the report of the verification on receipt; in
	// listings without its checks (state, errors and warnings only).
	Verification *Verification `json:"verification"`
	// Status is the live status, filled by Credentials and Credential.
	Status Status `json:"status,omitempty"`
	// Document is the credential's JSON (FormatLDP); Compact the SD-JWT
	// (FormatSDJWT). Credentials (the listing) leaves both out.
	Document json.RawMessage `json:"document,omitempty"`
	Compact  string          `json:"compact,omitempty"`
	// Claims are an SD-JWT's disclosable claims, for display and matching.
	Claims map[string]any `json:"claims,omitempty"`
	// Disclosable lists an SD-JWT's claim paths that can be left out.
	Disclosable []string `json:"disclosable,omitempty"`
	// Receipt is the anchor receipt (Credential only); Anchored says
	// there is one (also in listings).
	Receipt  *credential.AnchorReceipt `json:"anchorReceipt,omitempty"`
	Anchored bool                      `json:"anchored"`
	// StatusRefs are the credential's bits in its issuer's status lists on
	// chain, read on receipt: the listing's light status check reads them
	// (see WithStatusLists). Empty when a status entry is not a TalentChain
	// list of the issuer (the StatusChecker is asked then).
	StatusRefs []StatusRef `json:"statusRefs,omitempty"`
}

// credRecord is the stored form.
type credRecord struct {
	Credential
	Digest string `json:"digest"` // hex SHA-256: canonical JSON (ldp) or the compact string
}

// incoming is a credential on its way in.
type incoming struct {
	format  string
	doc     map[string]any // FormatLDP
	compact string         // FormatSDJWT
	receipt *credential.AnchorReceipt
	source  string
	origin  string
}

// Import verifies a credential file and stores it in the holder's wallet.
// The file is a VC as JSON, a JSON object {"credential": <VC or SD-JWT
// string>, "anchorReceipt": <receipt>}, or an SD-JWT compact string.
// A credential that fails verification is ErrRejected (a *RejectedError
// with the reasons), one naming another holder as subject ErrNotHolder,
// one already in the wallet ErrConflict.
func (s *Service) Import(ctx context.Context, account string, file []byte) (*Credential, error) {
	rec, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	in, err := parseImport(file)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	in.source = SourceImport
	c, err := s.admit(ctx, rec, in)
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	return c, nil
}

// parseImport reads a credential file (outside input).
func parseImport(file []byte) (*incoming, error) {
	if len(file) > MaxImportSize {
		return nil, invalid("/", fmt.Sprintf("the file is larger than %d bytes", MaxImportSize))
	}
	trimmed := bytes.TrimSpace(file)
	if len(trimmed) == 0 {
		return nil, invalid("/", "the file is empty")
	}
	if trimmed[0] != '{' {
		compact := string(trimmed)
		if !looksLikeSDJWT(compact) {
			return nil, invalid("/", "neither a JSON credential nor an SD-JWT")
		}
		return &incoming{format: FormatSDJWT, compact: compact}, nil
	}
	doc, err := credential.ParseDocument(trimmed)
	if err != nil {
		return nil, invalid("/", err.Error())
	}
	if _, isVC := doc["@context"]; isVC {
		return &incoming{format: FormatLDP, doc: doc}, nil
	}
	for k := range doc {
		if k != "credential" && k != "anchorReceipt" {
			return nil, invalid("/"+k, "unknown member: a credential file is a VC or {\"credential\", \"anchorReceipt\"}")
		}
	}
	in := &incoming{}
	switch c := doc["credential"].(type) {
	case map[string]any:
		if _, ok := c["@context"]; !ok {
			return nil, invalid("/credential", "is not a W3C credential (no @context)")
		}
		in.format, in.doc = FormatLDP, c
	case string:
		if !looksLikeSDJWT(c) {
			return nil, invalid("/credential", "a string credential must be an SD-JWT")
		}
		in.format, in.compact = FormatSDJWT, c
	case nil:
		return nil, invalid("/credential", "is required")
	default:
		return nil, invalid("/credential", "must be a credential object or an SD-JWT string")
	}
	if r, ok := doc["anchorReceipt"]; ok && r != nil {
		rc, err := parseReceipt(r)
		if err != nil {
			return nil, err
		}
		in.receipt = rc
	}
	return in, nil
}

// parseReceipt decodes an anchor receipt strictly and checks its shape.
func parseReceipt(v any) (*credential.AnchorReceipt, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, invalid("/anchorReceipt", "not JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	var r credential.AnchorReceipt
	if err := d.Decode(&r); err != nil {
		return nil, invalid("/anchorReceipt", "not an anchor receipt: "+err.Error())
	}
	if err := check(r); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for i := range ve.Fields {
				ve.Fields[i].Field = "/anchorReceipt" + ve.Fields[i].Field
			}
		}
		return nil, err
	}
	return &r, nil
}

// looksLikeSDJWT reports whether s has the shape of an SD-JWT: a JWS
// compact serialisation (three base64url parts) followed by "~"-separated
// disclosures. The SDJWT handler does the real parsing.
func looksLikeSDJWT(s string) bool {
	jwt, _, ok := strings.Cut(s, "~")
	if !ok || len(s) > MaxImportSize {
		return false
	}
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" || parts[2] == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == '~') {
			return false
		}
	}
	return true
}

// admit verifies an incoming credential, binds it to the holder and stores
// it.
func (s *Service) admit(ctx context.Context, acct *accountRecord, in *incoming) (*Credential, error) {
	now := s.cfg.Now().UTC()
	c := &Credential{Format: in.format, Added: now, Source: in.source, Origin: in.origin, Receipt: in.receipt, Anchored: in.receipt != nil}
	var (
		v       *Verification
		subject []string
		digest  [32]byte
		err     error
	)
	switch in.format {
	case FormatLDP:
		if in.receipt != nil {
			if err := in.receipt.Check(in.doc); err != nil {
				v = &Verification{}
				v.add("anchor-receipt", false, false, "%v", err)
				return nil, &RejectedError{Verification: v.finish()}
			}
		}
		v, err = s.verifier.VerifyCredential(ctx, in.doc, in.receipt)
		if err != nil {
			return nil, fmt.Errorf("%w: verification could not run: %w", ErrUnavailable, err)
		}
		if v == nil {
			return nil, fmt.Errorf("%w: the verifier gave no report", ErrUnavailable)
		}
		v = &Verification{Checks: slices.Clone(v.Checks)}
		if in.receipt == nil {
			v.add("anchor-receipt", true, true, "no anchor receipt came with the credential: when it was issued cannot be proved from the chain")
		}
		if digest, err = credential.CredentialDigest(in.doc); err != nil {
			return nil, invalid("/credential", err.Error())
		}
		summarise(c, in.doc)
		c.StatusRefs = ldpStatusRefs(c.Issuer, in.doc)
		subject = subjectIDs(in.doc)
		if c.Document, err = json.Marshal(in.doc); err != nil {
			return nil, err
		}
	case FormatSDJWT:
		if s.sdjwt == nil {
			return nil, fmt.Errorf("%w: SD-JWT credentials are not enabled in this wallet", ErrUnsupported)
		}
		if in.receipt != nil {
			if err := in.checkReceipt(in.receipt); err != nil {
				v = &Verification{}
				v.add("anchor-receipt", false, false, "%v", err)
				return nil, &RejectedError{Verification: v.finish()}
			}
		}
		info, sv, err := s.sdjwt.VerifySDJWT(ctx, in.compact)
		if errors.Is(err, ErrInvalid) {
			return nil, invalid("/credential", err.Error())
		}
		if err != nil {
			return nil, fmt.Errorf("%w: verification could not run: %w", ErrUnavailable, err)
		}
		if info == nil || sv == nil {
			return nil, fmt.Errorf("%w: the SD-JWT handler gave no report", ErrUnavailable)
		}
		v = &Verification{Checks: slices.Clone(sv.Checks)}
		if cv, ok := s.verifier.(SDJWTChainVerifier); ok && sv.State != StateInvalid {
			// The whole pipeline: issuer on chain, key at issuance, anchor,
			// status — its checks replace the handler's (it checks the
			// signature and disclosures too).
			pv, err := cv.VerifySDJWTCredential(ctx, in.compact, in.receipt)
			if err != nil {
				return nil, fmt.Errorf("%w: verification could not run: %w", ErrUnavailable, err)
			}
			if pv == nil {
				return nil, fmt.Errorf("%w: the verifier gave no report", ErrUnavailable)
			}
			v = &Verification{Checks: slices.Clone(pv.Checks)}
		}
		if in.receipt == nil {
			v.add("anchor-receipt", true, true, "no anchor receipt came with the credential: when it was issued cannot be proved from the chain")
		}
		digest = sha256.Sum256([]byte(in.compact))
		c.CredentialID = info.ID
		c.StatusRefs = sdjwtStatusRefs(info.Issuer, info.Claims["status"])
		c.Compact, c.Issuer, c.Types, c.Claims = in.compact, info.Issuer, []string{info.Type}, info.Claims
		c.Disclosable, c.ValidFrom, c.ValidUntil = info.Disclosable, info.NotBefore, info.Expires
		if c.ValidFrom.IsZero() {
			c.ValidFrom = info.IssuedAt
		}
		if info.Subject != "" {
			subject = []string{info.Subject}
		}
		if info.HolderKey != nil {
			hk, err := s.holderKey(ctx, acct)
			if err != nil {
				return nil, err
			}
			bound := hk.Public.Equal(info.HolderKey)
			clear(hk.Private)
			if bound {
				v.add("holder-binding", true, false, "the credential is bound to this wallet's key")
			} else {
				v.add("holder-binding", false, false, "the credential is bound to another key (cnf): it could never be presented from this wallet")
			}
		}
	default:
		return nil, fmt.Errorf("%w: format %q", ErrUnsupported, in.format)
	}

	notHolder := false
	switch {
	case len(subject) == 0:
		v.add("holder", true, true, "the credential names no subject id: anyone holding it could present it")
	case slices.Contains(subject, acct.DID):
		c.Subject = acct.DID
		v.add("holder", true, false, "the subject is this wallet's holder %s", acct.DID)
	default:
		notHolder = true
		c.Subject = subject[0]
		v.add("holder", false, false, "the subject is %s, not this wallet's holder %s", subject[0], acct.DID)
	}
	v.Time = now
	c.Verification = v.finish()
	if v.State == StateInvalid {
		s.log.InfoContext(ctx, "wallet: credential refused", "account", acct.ID, "errors", len(v.Errors))
		return nil, &RejectedError{Verification: v, NotHolder: notHolder}
	}
	if c.ID, err = newCredID(now); err != nil {
		return nil, err
	}
	rec := credRecord{Credential: *c, Digest: hex.EncodeToString(digest[:])}
	ops, err := credOps(acct.ID, &rec)
	if err != nil {
		return nil, err
	}
	err = s.st.Apply(ctx, ops...)
	if errors.Is(err, store.ErrExists) {
		return nil, fmt.Errorf("%w: the credential is already in the wallet", ErrConflict)
	}
	if err != nil {
		return nil, err
	}
	s.log.InfoContext(ctx, "wallet: credential stored", "account", acct.ID, "credential", c.ID, "format", c.Format, "state", v.State)
	return c, nil
}

// newCredID makes a credential id whose byte order is newest first: 12 hex
// digits of (2^48-1 - Unix milliseconds) and 12 random hex digits.
func newCredID(now time.Time) (string, error) {
	r, err := randomHex(6)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%012x", uint64(1<<48-1)-uint64(now.UnixMilli()))[:12] + r, nil
}

// summarise fills what the wallet shows of a W3C credential.
func summarise(c *Credential, doc map[string]any) {
	c.CredentialID, _ = doc["id"].(string)
	for _, t := range asSlice(doc["type"]) {
		if s, ok := t.(string); ok {
			c.Types = append(c.Types, s)
		}
	}
	switch iss := doc["issuer"].(type) {
	case string:
		c.Issuer = iss
	case map[string]any:
		c.Issuer, _ = iss["id"].(string)
	}
	c.ValidFrom = docTime(doc, "validFrom", "issuanceDate")
	c.ValidUntil = docTime(doc, "validUntil", "expirationDate")
}

func docTime(doc map[string]any, keys ...string) time.Time {
	for _, k := range keys {
		if s, ok := doc[k].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				return t.UTC()
			}
		}
	}
	return time.Time{}
}

// subjectIDs returns the ids of a credential's subjects.
func subjectIDs(doc map[string]any) []string {
	var out []string
	for _, sub := range asSlice(doc["credentialSubject"]) {
		if m, ok := sub.(map[string]any); ok {
			if id, ok := m["id"].(string); ok && id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}

func asSlice(v any) []any {
	switch t := v.(type) {
	case nil:
		return nil
	case []any:
		return t
	}
	return []any{v}
}

// credOps returns the writes that store a credential: its summary (what
// listings read: small), its details apart (the document, the receipt and
// the report's checks, read only when needed), and its digest (a
// credential is held once). They create: an existing key fails the batch
// with store.ErrExists.
func credOps(account string, rec *credRecord) ([]store.Op, error) {
	sum := *rec
	sum.Document, sum.Compact, sum.Receipt, sum.Status = nil, "", nil, ""
	sum.Anchored = rec.Receipt != nil
	if rec.Verification != nil {
		v := *rec.Verification
		v.Checks = nil
		sum.Verification = &v
	}
	raw, err := json.Marshal(sum)
	if err != nil {
		return nil, err
	}
	d := detailRecord{Document: rec.Document, Compact: rec.Compact, Receipt: rec.Receipt}
	if rec.Verification != nil {
		d.Checks = rec.Verification.Checks
	}
	detail, err := json.Marshal(d)
	if err != nil {
		return nil, err
	}
	return []store.Op{
		store.OpCreate("digest/"+account+"/"+rec.Digest, []byte(rec.ID), 0),
		store.OpCreate("cred/"+account+"/"+rec.ID, raw, 0),
		store.OpCreate("doc/"+account+"/"+rec.ID, detail, 0),
	}, nil
}

// detailRecord is the part of a credential kept apart from its summary.
type detailRecord struct {
	Document json.RawMessage           `json:"document,omitempty"`
	Compact  string                    `json:"compact,omitempty"`
	Receipt  *credential.AnchorReceipt `json:"anchorReceipt,omitempty"`
	Checks   []credential.Check        `json:"checks"`
}

// fill puts the details back into rec.
func (d *detailRecord) fill(rec *credRecord) {
	rec.Document, rec.Compact, rec.Receipt = d.Document, d.Compact, d.Receipt
	if rec.Verification != nil {
		v := *rec.Verification
		v.Checks = d.Checks
		rec.Verification = &v
	}
}

// withDetails reads a credential's details into rec.
func (s *Service) withDetails(ctx context.Context, account string, rec *credRecord) error {
	raw, err := s.st.Get(ctx, "doc/"+account+"/"+rec.ID)
	if err != nil {
		return fmt.Errorf("credential %s: details: %w", rec.ID, err)
	}
	var d detailRecord
	if err := json.Unmarshal(raw, &d); err != nil {
		return fmt.Errorf("credential %s: details: %w", rec.ID, err)
	}
	d.fill(rec)
	return nil
}

// allCreds reads every credential of the holder, details included.
func (s *Service) allCreds(ctx context.Context, account string) ([]*credRecord, error) {
	entries, err := s.listAll(ctx, "cred/"+account+"/")
	if err != nil {
		return nil, err
	}
	docs, err := s.listAll(ctx, "doc/"+account+"/")
	if err != nil {
		return nil, err
	}
	byID := make(map[string][]byte, len(docs))
	for _, d := range docs {
		byID[d.Key[strings.LastIndexByte(d.Key, '/')+1:]] = d.Value
	}
	out := make([]*credRecord, 0, len(entries))
	for _, e := range entries {
		r := &credRecord{}
		if err := json.Unmarshal(e.Value, r); err != nil {
			return nil, fmt.Errorf("decode %s: %w", e.Key, err)
		}
		raw, ok := byID[r.ID]
		if !ok {
			continue // deleted between the two listings
		}
		var d detailRecord
		if err := json.Unmarshal(raw, &d); err != nil {
			return nil, fmt.Errorf("decode details of %s: %w", r.ID, err)
		}
		d.fill(r)
		out = append(out, r)
	}
	return out, nil
}

// load reads one of the holder's credentials; another holder's (or a
// malformed id) is ErrNotFound.
func (s *Service) load(ctx context.Context, account, id string) (*credRecord, error) {
	if !credRE.MatchString(id) || !acctRE.MatchString(account) {
		return nil, fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	raw, err := s.st.Get(ctx, "cred/"+account+"/"+id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("credential %s: %w", id, err)
	}
	var rec credRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("credential %s: decode: %w", id, err)
	}
	if err := s.withDetails(ctx, account, &rec); err != nil {
		return nil, err
	}
	return &rec, nil
}

// Credential returns one of the holder's credentials, in full, with its
// live status.
func (s *Service) Credential(ctx context.Context, account, id string) (*Credential, error) {
	rec, err := s.load(ctx, account, id)
	if err != nil {
		return nil, err
	}
	s.fillStatus(ctx, account, []*credRecord{rec})
	c := rec.Credential
	return &c, nil
}

// DeleteCredential removes one of the holder's credentials. Share links
// made with it keep their presentation until revoked or expired.
func (s *Service) DeleteCredential(ctx context.Context, account, id string) error {
	rec, err := s.load(ctx, account, id)
	if err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	if err := s.st.Apply(ctx, store.OpDelete("cred/"+account+"/"+id), store.OpDelete("doc/"+account+"/"+id), store.OpDelete("digest/"+account+"/"+rec.Digest)); err != nil {
		return fmt.Errorf("delete: %w", err)
	}
	s.log.InfoContext(ctx, "wallet: credential deleted", "account", account, "credential", id)
	return nil
}
