package issuer

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/store"
)

// ErrOfferInvalid: a pre-authorized code or an access token is unknown,
// malformed, expired, already used, or burnt by too many wrong transaction
// codes; or the transaction code is wrong; or the credential was revoked
// since the offer. The OAuth answer is invalid_grant at the token endpoint
// and invalid_token (401) at the credential endpoint.
var ErrOfferInvalid = errors.New("issuer: invalid or expired offer code or access token")

// OpenID for Verifiable Credential Issuance 1.0, pre-authorized code flow.
const (
	// GrantPreAuthorizedCode is the grant type of the offers.
	GrantPreAuthorizedCode = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	// OfferURIPrefix starts an offer's URI (a QR code, a deep link).
	OfferURIPrefix = "openid-credential-offer://?credential_offer="
	// FormatLDPVC is the OID4VCI format of W3C credentials with Data
	// Integrity or Linked Data proofs.
	FormatLDPVC = "ldp_vc"

	DefaultOfferTTL    = 7 * 24 * time.Hour
	MaxOfferTTL        = 30 * 24 * time.Hour
	MinOfferTTL        = time.Minute
	AccessTokenTTL     = 5 * time.Minute
	MaxTxCodeAttempts  = 5
	txCodeLength       = 6
	offerRetention     = 30 * 24 * time.Hour // an offer's record outlives its code, for the issuer's view
	accessTokenPrefix  = "tcat_"
	codeLength         = 43 // base64url of 32 bytes
	accessTokenLength  = len(accessTokenPrefix) + codeLength
	offerIDLength      = 32 // hex of 16 bytes
	txCodeHashDomain   = "talentchain/offer/tx-code\n"
	credentialEndpoint = "/oid4vci/credential"
	tokenEndpoint      = "/oid4vci/token"
)

// Offer is a one-time offer of an issued credential to its holder. Code and
// TxCode are shown here once; the store keeps only their hashes.
type Offer struct {
	ID           string    `json:"id"`
	CredentialID string    `json:"credentialId"`
	Expires      time.Time `json:"expires"`
	// Code is the pre-authorized code (256 random bits, base64url).
	Code string `json:"code"`
	// TxCode is the 6-digit PIN the holder must type, when asked for; give
	// it to the holder by another channel than the offer.
	TxCode string `json:"txCode,omitempty"`
	// CredentialOffer is the OID4VCI credential_offer object; URI carries
	// it by value for a QR code; ClaimURL is the browser link
	// BaseURL/offers/{ID}#{code} (the code in the fragment never reaches
	// a server log).
	CredentialOffer *CredentialOffer `json:"credentialOffer"`
	URI             string           `json:"uri"`
	ClaimURL        string           `json:"claimUrl"`
	// OfferURI is the credential_offer_uri of the same offer (GET it once,
	// until the offer expires, to read the offer JSON), and URIByReference
	// the openid-credential-offer:// link carrying it: a short QR code.
	OfferURI       string `json:"offerUri"`
	URIByReference string `json:"uriByReference"`
}

// CredentialOffer is the OID4VCI 1.0 credential offer object.
type CredentialOffer struct {
	CredentialIssuer           string                            `json:"credential_issuer"`
	CredentialConfigurationIDs []string                          `json:"credential_configuration_ids"`
	Grants                     map[string]PreAuthorizedCodeGrant `json:"grants"`
}

// PreAuthorizedCodeGrant is the offer's grant.
type PreAuthorizedCodeGrant struct {
	PreAuthorizedCode string  `json:"pre-authorized_code"`
	TxCode            *TxCode `json:"tx_code,omitempty"`
}

// TxCode says that a transaction code is required, and its shape.
type TxCode struct {
	Length    int    `json:"length"`
	InputMode string `json:"input_mode"`
}

// AccessToken is the token endpoint's answer.
type AccessToken struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	CNonce      string `json:"c_nonce"`
}

// OfferInfo is what anyone with an offer's id may learn, for the claim
// page: no personal data, no code.
type OfferInfo struct {
	ID                        string    `json:"id"`
	CredentialIssuer          string    `json:"credential_issuer"`
	CredentialConfigurationID string    `json:"credential_configuration_id"`
	Issuer                    string    `json:"issuer"` // the organisation's DID
	Expires                   time.Time `json:"expires"`
	TxCodeRequired            bool      `json:"txCodeRequired"`
	Used                      bool      `json:"used"`
}

// offerRecord is an offer as stored: hashes only.
type offerRecord struct {
	ID           string    `json:"id"`
	Org          string    `json:"org"`
	CredentialID string    `json:"credentialId"`
	Type         string    `json:"type"`
	Format       Format    `json:"format,omitempty"`
	CodeHash     []byte    `json:"codeHash"`
	TxHash       []byte    `json:"txHash,omitempty"`
	Created      time.Time `json:"created"`
	Expires      time.Time `json:"expires"`
	Used         time.Time `json:"used,omitzero"`
}

// accessRecord is an access token as stored.
type accessRecord struct {
	Hash         []byte    `json:"hash"`
	OfferID      string    `json:"offerId"`
	Org          string    `json:"org"`
	CredentialID string    `json:"credentialId"`
	Expires      time.Time `json:"expires"`
}

func offerKey(id string) string       { return "offer/" + id }
func offerFailKey(id string) string   { return "offerfail/" + id }
func offerCodeKey(h [32]byte) string  { return "offercode/" + hex.EncodeToString(h[:16]) }
func offerTokenKey(h [32]byte) string { return "offertoken/" + hex.EncodeToString(h[:16]) }

// configurationID names the OID4VCI configuration of a credential type in
// a format: DegreeCredential_ldp_vc, DegreeCredential_dc+sd-jwt.
func configurationID(typ string, f Format) string {
	if f.isSDJWT() {
		return typ + "_" + string(FormatSDJWT)
	}
	return typ + "_" + FormatLDPVC
}

func randomBase64(n int) (string, error) {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// wellFormed reports whether s is base64url text of n characters.
func wellFormed(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func txCodeHash(offerID, code string) []byte {
	h := sha256.Sum256([]byte(txCodeHashDomain + offerID + "\n" + code))
	return h[:]
}

// CreateOffer offers one of the organisation's credentials to its holder
// with a one-time pre-authorized code, valid ttl (0: 7 days; at most 30
// days), and with withTxCode a 6-digit transaction code the wallet must
// send with it. Another organisation's credential is ErrNotFound; a revoked
// credential is ErrConflict (a suspended one may be offered: the wallet
// shows it suspended).
func (s *Service) CreateOffer(ctx context.Context, org, credentialID string, ttl time.Duration, withTxCode bool) (*Offer, error) {
	if ttl == 0 {
		ttl = DefaultOfferTTL
	}
	if ttl < MinOfferTTL || ttl > MaxOfferTTL {
		return nil, fmt.Errorf("create offer: %w", invalid("/ttl", fmt.Sprintf("must be between %v and %v", MinOfferTTL, MaxOfferTTL), fmt.Sprintf("有效期必须在 %v 到 %v 之间", MinOfferTTL, MaxOfferTTL)))
	}
	rec, err := s.offerable(ctx, org, credentialID)
	if err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	if rec.Status == StatusRevoked {
		return nil, fmt.Errorf("create offer: credential %s: %w: it is revoked", credentialID, ErrConflict)
	}
	var idb [16]byte
	if _, err := rand.Read(idb[:]); err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	code, err := randomBase64(32)
	if err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	now := s.cfg.Now().UTC()
	o := &Offer{ID: hex.EncodeToString(idb[:]), CredentialID: credentialID, Expires: now.Add(ttl).Truncate(time.Second), Code: code}
	codeHash := sha256.Sum256([]byte(code))
	or := offerRecord{
		ID: o.ID, Org: org, CredentialID: credentialID, Type: rec.Type, Format: rec.Format, CodeHash: codeHash[:],
		Created: now, Expires: o.Expires,
	}
	grant := PreAuthorizedCodeGrant{PreAuthorizedCode: code}
	if withTxCode {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return nil, fmt.Errorf("create offer: %w", err)
		}
		o.TxCode = fmt.Sprintf("%06d", n.Int64())
		or.TxHash = txCodeHash(o.ID, o.TxCode)
		grant.TxCode = &TxCode{Length: txCodeLength, InputMode: "numeric"}
	}
	o.CredentialOffer = &CredentialOffer{
		CredentialIssuer:           s.cfg.BaseURL,
		CredentialConfigurationIDs: []string{configurationID(rec.Type, rec.Format)},
		Grants:                     map[string]PreAuthorizedCodeGrant{GrantPreAuthorizedCode: grant},
	}
	offerJSON, err := json.Marshal(o.CredentialOffer)
	if err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	o.URI = OfferURIPrefix + url.QueryEscape(string(offerJSON))
	o.ClaimURL = s.cfg.BaseURL + "/offers/" + o.ID + "#" + code
	ref, err := s.storeOfferRef(ctx, offerJSON, ttl)
	if err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	o.OfferURI = s.cfg.BaseURL + offerRefPath + ref
	o.URIByReference = OfferByReferencePrefix + url.QueryEscape(o.OfferURI)

	raw, err := json.Marshal(or)
	if err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	// The code's entry lives as long as the offer (and a little: the
	// expiry check uses the service clock); the record a month longer.
	codeTTL := ttl + time.Hour
	if err := s.st.Apply(ctx,
		store.OpCreate(offerKey(o.ID), raw, ttl+offerRetention),
		store.OpCreate(offerCodeKey(codeHash), []byte(o.ID), codeTTL),
		store.OpPut(offerFailKey(o.ID), []byte("0"), codeTTL),
	); err != nil {
		return nil, fmt.Errorf("create offer: %w", err)
	}
	s.log.Info("credential offered", slog.String("org", org), slog.String("offer", o.ID),
		slog.String("credential", credentialID), slog.Bool("txCode", withTxCode), slog.Time("expires", o.Expires))
	return o, nil
}

// offerable loads one of the organisation's credentials.
func (s *Service) offerable(ctx context.Context, org, id string) (*credRecord, error) {
	if !strings.HasPrefix(id, "urn:uuid:") || len(id) > 64 {
		return nil, fmt.Errorf("credential %q: %w", id, ErrNotFound)
	}
	rec, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	if rec.Org != org {
		return nil, fmt.Errorf("credential %s: %w", id, ErrNotFound)
	}
	return rec, nil
}

// OfferInfo describes an offer by its id, for the claim page; an unknown
// id is ErrNotFound.
func (s *Service) OfferInfo(ctx context.Context, id string) (*OfferInfo, error) {
	rec, err := s.offerRecord(ctx, id)
	if err != nil {
		return nil, err
	}
	return &OfferInfo{
		ID: rec.ID, CredentialIssuer: s.cfg.BaseURL, CredentialConfigurationID: configurationID(rec.Type, rec.Format),
		Issuer: rec.Org, Expires: rec.Expires, TxCodeRequired: rec.TxHash != nil, Used: !rec.Used.IsZero(),
	}, nil
}

func (s *Service) offerRecord(ctx context.Context, id string) (*offerRecord, error) {
	if len(id) != offerIDLength || strings.Trim(id, "0123456789abcdef") != "" {
		return nil, fmt.Errorf("offer: %w", ErrNotFound)
	}
	raw, err := s.st.Get(ctx, offerKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("offer %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("offer %s: %w", id, err)
	}
	var rec offerRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("offer %s: decode: %w", id, err)
	}
	return &rec, nil
}

// ExchangeCode is the token endpoint of the pre-authorized code flow: it
// exchanges an offer's code (and its transaction code, when the offer asked
// for one) for an access token valid 5 minutes, once. Every refusal is
// ErrOfferInvalid: an unknown, malformed, used or expired code; a wrong or
// missing transaction code (each counts: after 5 the offer is burnt); a
// transaction code the offer did not ask for; a credential revoked since.
func (s *Service) ExchangeCode(ctx context.Context, code, txCode string) (*AccessToken, error) {
	if !wellFormed(code, codeLength) {
		return nil, fmt.Errorf("token: %w", ErrOfferInvalid)
	}
	codeHash := sha256.Sum256([]byte(code))
	id, err := s.st.Get(ctx, offerCodeKey(codeHash))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("token: %w", ErrOfferInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	rec, err := s.offerRecord(ctx, string(id))
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("token: %w", ErrOfferInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if subtle.ConstantTimeCompare(rec.CodeHash, codeHash[:]) != 1 {
		return nil, fmt.Errorf("token: %w", ErrOfferInvalid)
	}
	now := s.cfg.Now().UTC()
	if !now.Before(rec.Expires) {
		_ = s.st.Delete(ctx, offerCodeKey(codeHash))
		return nil, fmt.Errorf("token: offer %s: %w: expired", rec.ID, ErrOfferInvalid)
	}
	if rec.TxHash == nil && txCode != "" {
		return nil, fmt.Errorf("token: offer %s: %w: this offer takes no tx_code", rec.ID, ErrOfferInvalid)
	}
	if rec.TxHash != nil {
		if n, err := s.st.Get(ctx, offerFailKey(rec.ID)); err == nil {
			if k, _ := strconv.Atoi(string(n)); k >= MaxTxCodeAttempts {
				_ = s.st.Delete(ctx, offerCodeKey(codeHash))
				return nil, fmt.Errorf("token: offer %s: %w: burnt after %d wrong tx_codes", rec.ID, ErrOfferInvalid, MaxTxCodeAttempts)
			}
		}
		if subtle.ConstantTimeCompare(rec.TxHash, txCodeHash(rec.ID, txCode)) != 1 {
			k, err := s.st.Incr(ctx, offerFailKey(rec.ID), 1)
			if err != nil {
				return nil, fmt.Errorf("token: %w", err)
			}
			if k >= MaxTxCodeAttempts {
				_ = s.st.Delete(ctx, offerCodeKey(codeHash))
				s.log.Warn("offer burnt after wrong transaction codes", slog.String("offer", rec.ID), slog.Int64("attempts", k))
			}
			return nil, fmt.Errorf("token: offer %s: %w: wrong tx_code", rec.ID, ErrOfferInvalid)
		}
	}
	cred, err := s.load(ctx, rec.CredentialID)
	if errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("token: offer %s: %w: the credential is gone", rec.ID, ErrOfferInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if cred.Org != rec.Org {
		return nil, fmt.Errorf("token: offer %s: %w", rec.ID, ErrOfferInvalid)
	}
	if cred.Status == StatusRevoked {
		_ = s.st.Delete(ctx, offerCodeKey(codeHash))
		return nil, fmt.Errorf("token: offer %s: %w: the credential was revoked", rec.ID, ErrOfferInvalid)
	}

	secret, err := randomBase64(32)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	nonce, err := randomBase64(16)
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	nonceHash := sha256.Sum256([]byte(nonce))
	if err := s.st.Create(ctx, nonceKey(nonceHash), nonceHash[:], NonceTTL); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	token := accessTokenPrefix + secret
	tokHash := sha256.Sum256([]byte(token))
	ar, err := json.Marshal(accessRecord{
		Hash: tokHash[:], OfferID: rec.ID, Org: rec.Org, CredentialID: rec.CredentialID, Expires: now.Add(AccessTokenTTL),
	})
	if err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	// The token first, then the code is taken: of concurrent exchanges one
	// takes the code; the others' tokens are removed.
	if err := s.st.Create(ctx, offerTokenKey(tokHash), ar, AccessTokenTTL); err != nil {
		return nil, fmt.Errorf("token: %w", err)
	}
	if _, err := s.st.Take(ctx, offerCodeKey(codeHash)); err != nil {
		_ = s.st.Delete(ctx, offerTokenKey(tokHash))
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("token: offer %s: %w: already used", rec.ID, ErrOfferInvalid)
		}
		return nil, fmt.Errorf("token: %w", err)
	}
	rec.Used = now
	if raw, err := json.Marshal(rec); err == nil {
		if err := s.st.Put(ctx, offerKey(rec.ID), raw, max(time.Until(rec.Expires.Add(offerRetention)), time.Hour)); err != nil {
			s.log.Warn("offer: recording its use", slog.String("offer", rec.ID), slog.String("error", err.Error()))
		}
	}
	s.log.Info("offer code exchanged", slog.String("org", rec.Org), slog.String("offer", rec.ID))
	return &AccessToken{AccessToken: token, TokenType: "Bearer", ExpiresIn: int(AccessTokenTTL / time.Second), CNonce: nonce}, nil
}

// RedeemAccessToken delivers the offered credential for an access token
// without a proof of possession: RedeemCredential with an empty request
// (the credential as issued).
func (s *Service) RedeemAccessToken(ctx context.Context, accessToken string) (*Record, error) {
	return s.RedeemCredential(ctx, accessToken, CredentialRequest{})
}

// credentialTypes are the types the templates issue, with display names.
var credentialTypes = []struct{ typ, en, zh string }{
	{TypeDegree, "Degree", "学位证书"},
	{TypeTraining, "Training certificate", "培训证书"},
	{TypeCompletion, "Course completion", "课程结业证明"},
}

// IssuerMetadata is the OID4VCI credential issuer metadata, for GET
// /.well-known/openid-credential-issuer. token_endpoint is given here for
// wallets of the pre-authorized code flow (the service is its own
// authorization server).
func (s *Service) IssuerMetadata() map[string]any {
	configs := map[string]any{}
	proofs := map[string]any{ProofTypeJWT: map[string]any{"proof_signing_alg_values_supported": []string{"EdDSA", "ES256"}}}
	for _, ct := range credentialTypes {
		display := []map[string]string{{"name": ct.en, "locale": "en"}, {"name": ct.zh, "locale": "zh-CN"}}
		configs[configurationID(ct.typ, FormatV2)] = map[string]any{
			"format": FormatLDPVC,
			"cryptographic_binding_methods_supported": []string{"did:key"},
			"credential_signing_alg_values_supported": []string{credential.SuiteEdDSARDFC2022, "Ed25519Signature2020"},
			"proof_types_supported":                   proofs,
			"credential_definition": map[string]any{
				"@context": []string{credential.ContextV2, credential.ContextTalentChainV1},
				"type":     []string{"VerifiableCredential", ct.typ},
			},
			"display": display,
		}
		configs[configurationID(ct.typ, FormatSDJWT)] = map[string]any{
			"format": string(FormatSDJWT),
			"vct":    VCT(ct.typ),
			"cryptographic_binding_methods_supported": []string{"jwk", "did:key", "did:jwk"},
			"credential_signing_alg_values_supported": []string{"EdDSA"},
			"proof_types_supported":                   proofs,
			"display":                                 display,
		}
	}
	return map[string]any{
		"credential_issuer":                   s.cfg.BaseURL,
		"credential_endpoint":                 s.cfg.BaseURL + credentialEndpoint,
		"token_endpoint":                      s.cfg.BaseURL + tokenEndpoint,
		"nonce_endpoint":                      s.cfg.BaseURL + nonceEndpoint,
		"credential_configurations_supported": configs,
	}
}
