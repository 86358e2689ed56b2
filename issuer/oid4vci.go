package issuer

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/go-playground/validator/v10"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
	"github.com/talentchain/talentchain/store"
)

// OpenID4VCI 1.0 beyond the pre-authorized code itself: offers by
// reference, the nonce endpoint and proofs of possession.

// Errors of the credential endpoint, each an OAuth error code of OpenID4VCI
// 1.0 §8.3.1.2 (answer 400 with {"error": code}).
var (
	// ErrInvalidProof: the proof is malformed, not of
	// type openid4vci-proof+jwt, badly signed, for another audience, too
	// old, or its key is not the holder's the credential is bound to.
	// Code invalid_proof.
	ErrInvalidProof = errors.New("issuer: invalid_proof")
	// ErrInvalidNonce: the proof's nonce is not a c_nonce this issuer gave,
	// or it expired, or it was used already (a replayed proof). The wallet
	// asks the nonce endpoint for a fresh one. Code invalid_nonce.
	ErrInvalidNonce = errors.New("issuer: invalid_nonce")
	// ErrCredentialRequest: the credential request is malformed, or names
	// a configuration the offer does not hold. Code
	// invalid_credential_request.
	ErrCredentialRequest = errors.New("issuer: invalid_credential_request")
)

// OID4VCI names.
const (
	// ProofTypeJWT is the proof type of key proofs, and ProofJWTType the
	// typ of their JWT.
	ProofTypeJWT = "jwt"
	ProofJWTType = "openid4vci-proof+jwt"
	// OfferByReferencePrefix starts the URI of an offer by reference.
	OfferByReferencePrefix = "openid-credential-offer://?credential_offer_uri="
	// NonceTTL is how long a c_nonce may be used (once).
	NonceTTL = 5 * time.Minute
	// MaxProofAge is how old a proof's iat may be.
	MaxProofAge = 5 * time.Minute

	nonceEndpoint  = "/oid4vci/nonce"
	offerRefPath   = "/oid4vci/offers/"
	nonceBytes     = 24
	offerRefLength = 43 // base64url of 32 bytes
	proofSkew      = time.Minute
)

// CredentialRequest is a credential endpoint request (OpenID4VCI 1.0 §8.2).
type CredentialRequest struct {
	// ConfigurationID names the credential configuration asked for; when
	// set it must be the offer's.
	ConfigurationID string `json:"credential_configuration_id,omitempty" validate:"max=200"`
	// Proofs holds the holder's key proofs; one JWT is used (the
	// credential is issued to one key).
	Proofs *Proofs `json:"proofs,omitempty"`
	// Proof is the single proof of earlier drafts, accepted too.
	Proof *LegacyProof `json:"proof,omitempty"`
}

// Proofs are key proofs by type.
type Proofs struct {
	JWT []string `json:"jwt" validate:"required,min=1,max=1,dive,required,max=8192"`
}

// LegacyProof is {"proof_type": "jwt", "jwt": "..."}.
type LegacyProof struct {
	ProofType string `json:"proof_type" validate:"eq=jwt"`
	JWT       string `json:"jwt" validate:"required,max=8192"`
}

// proofJWT returns the request's proof JWT, "" when none was sent.
func (r *CredentialRequest) proofJWT() (string, error) {
	switch {
	case r.Proofs != nil && r.Proof != nil:
		return "", fmt.Errorf("%w: send proofs or proof, not both", ErrCredentialRequest)
	case r.Proofs != nil:
		if err := validate.Struct(r.Proofs); err != nil {
			return "", fmt.Errorf("%w: proofs: exactly one jwt proof is accepted", ErrCredentialRequest)
		}
		return r.Proofs.JWT[0], nil
	case r.Proof != nil:
		if err := validate.Struct(r.Proof); err != nil {
			return "", fmt.Errorf("%w: proof: %v", ErrCredentialRequest, err)
		}
		return r.Proof.JWT, nil
	}
	return "", nil
}

var validate = validator.New(validator.WithRequiredStructEnabled())

func nonceKey(h [32]byte) string    { return "nonce/" + hex.EncodeToString(h[:16]) }
func offerRefKey(h [32]byte) string { return "offerref/" + hex.EncodeToString(h[:16]) }

// Nonce is the nonce endpoint (POST /oid4vci/nonce): a fresh c_nonce,
// valid NonceTTL, for one proof. Only its hash is stored.
func (s *Service) Nonce(ctx context.Context) (string, error) {
	n, err := randomBase64(nonceBytes)
	if err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	h := sha256.Sum256([]byte(n))
	if err := s.st.Create(ctx, nonceKey(h), h[:], NonceTTL); err != nil {
		return "", fmt.Errorf("nonce: %w", err)
	}
	return n, nil
}

// takeNonce uses up a c_nonce; unknown, expired or used is ErrInvalidNonce.
func (s *Service) takeNonce(ctx context.Context, n string) error {
	// base64url of nonceBytes (the nonce endpoint's) or of 16 bytes (the
	// token endpoint's).
	if !wellFormed(n, 32) && !wellFormed(n, 22) {
		return fmt.Errorf("%w: not a c_nonce of this issuer", ErrInvalidNonce)
	}
	h := sha256.Sum256([]byte(n))
	v, err := s.st.Take(ctx, nonceKey(h))
	if errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("%w: unknown, expired or already used", ErrInvalidNonce)
	}
	if err != nil {
		return fmt.Errorf("nonce: %w", err)
	}
	if subtle.ConstantTimeCompare(v, h[:]) != 1 {
		return fmt.Errorf("%w: unknown", ErrInvalidNonce)
	}
	return nil
}

// offerRefRecord is an offer by reference as stored: the offer JSON (it
// holds the pre-authorized code) sealed, the reference hashed.
type offerRefRecord struct {
	Hash   []byte `json:"hash"`
	Sealed []byte `json:"sealed"`
}

func offerRefAAD(h [32]byte) []byte { return []byte("issuer/" + offerRefKey(h)) }

// storeOfferRef keeps an offer's JSON for its reference URI, until ttl.
func (s *Service) storeOfferRef(ctx context.Context, offerJSON []byte, ttl time.Duration) (string, error) {
	ref, err := randomBase64(32)
	if err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(ref))
	sealed, err := s.keys.Seal(offerJSON, offerRefAAD(h))
	if err != nil {
		return "", err
	}
	raw, err := json.Marshal(offerRefRecord{Hash: h[:], Sealed: sealed})
	if err != nil {
		return "", err
	}
	if err := s.st.Create(ctx, offerRefKey(h), raw, ttl); err != nil {
		return "", err
	}
	return ref, nil
}

// OfferByReference returns, once, the credential offer behind an offer's
// credential_offer_uri ({BaseURL}/oid4vci/offers/{ref}). An unknown,
// expired or already fetched reference is ErrNotFound; the offer's code
// stays one-time and expiring as ever.
func (s *Service) OfferByReference(ctx context.Context, ref string) (*CredentialOffer, error) {
	if !wellFormed(ref, offerRefLength) {
		return nil, fmt.Errorf("offer by reference: %w", ErrNotFound)
	}
	h := sha256.Sum256([]byte(ref))
	raw, err := s.st.Take(ctx, offerRefKey(h))
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("offer by reference: %w", ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("offer by reference: %w", err)
	}
	var rec offerRefRecord
	if err := json.Unmarshal(raw, &rec); err != nil || subtle.ConstantTimeCompare(rec.Hash, h[:]) != 1 {
		return nil, fmt.Errorf("offer by reference: %w", ErrNotFound)
	}
	plain, err := s.keys.Open(rec.Sealed, offerRefAAD(h))
	if err != nil {
		return nil, fmt.Errorf("offer by reference: %w", err)
	}
	var o CredentialOffer
	if err := json.Unmarshal(plain, &o); err != nil {
		return nil, fmt.Errorf("offer by reference: decode: %w", err)
	}
	return &o, nil
}

// proofKey checks a key proof JWT (OpenID4VCI 1.0 appendix F.1) and returns
// the holder's key and DID: typ openid4vci-proof+jwt; EdDSA or ES256; the
// key from kid (a did:key or did:jwk URL) or jwk (exactly one of them); aud
// the credential issuer; iat not in the future nor older than MaxProofAge;
// nonce a c_nonce of this issuer, used up here.
func (s *Service) proofKey(ctx context.Context, proof string) (crypto.PublicKey, string, error) {
	j, err := jose.Parse(proof)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	if j.Typ() != ProofJWTType {
		return nil, "", fmt.Errorf("%w: typ must be %s", ErrInvalidProof, ProofJWTType)
	}
	kid := j.Kid()
	jwk, hasJWK := j.Header["jwk"].(map[string]any)
	_, x5c := j.Header["x5c"]
	var (
		pub crypto.PublicKey
		did string
	)
	switch {
	case x5c || (kid != "" && hasJWK) || (kid == "" && !hasJWK):
		return nil, "", fmt.Errorf("%w: the header must name the key by kid (a did:key or did:jwk URL) or jwk, one of them", ErrInvalidProof)
	case hasJWK:
		if pub, err = jose.KeyFromJWK(jwk); err != nil {
			return nil, "", fmt.Errorf("%w: jwk: %v", ErrInvalidProof, err)
		}
		if did, _, err = jose.DIDKey(pub); err != nil {
			return nil, "", fmt.Errorf("%w: jwk: %v", ErrInvalidProof, err)
		}
	default:
		ctrl, _, ok := strings.Cut(kid, "#")
		if !ok || (!strings.HasPrefix(ctrl, "did:key:") && !strings.HasPrefix(ctrl, "did:jwk:")) {
			return nil, "", fmt.Errorf("%w: kid must be a did:key or did:jwk URL with a fragment", ErrInvalidProof)
		}
		kr := jose.KeyResolver{Resolver: credential.Resolvers{jose.DIDResolver{}}}
		if pub, err = kr.Resolve(ctx, kid, ctrl, "authentication"); err != nil {
			return nil, "", fmt.Errorf("%w: kid: %v", ErrInvalidProof, err)
		}
		did = ctrl
	}
	if err := j.Verify(pub); err != nil {
		return nil, "", fmt.Errorf("%w: signature: %v", ErrInvalidProof, err)
	}
	claims, err := j.Claims()
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrInvalidProof, err)
	}
	audOK := false
	switch a := claims["aud"].(type) {
	case string:
		audOK = a == s.cfg.BaseURL
	case []any:
		audOK = slices.Contains(a, any(s.cfg.BaseURL))
	}
	if !audOK {
		return nil, "", fmt.Errorf("%w: aud must be the credential issuer %s", ErrInvalidProof, s.cfg.BaseURL)
	}
	iat, ok := claims["iat"].(float64)
	now := s.cfg.Now()
	if !ok {
		return nil, "", fmt.Errorf("%w: iat is required", ErrInvalidProof)
	}
	if t := time.Unix(int64(iat), 0); t.After(now.Add(proofSkew)) || t.Before(now.Add(-MaxProofAge-proofSkew)) {
		return nil, "", fmt.Errorf("%w: iat %s is not within %v of now", ErrInvalidProof, t.UTC().Format(time.RFC3339), MaxProofAge)
	}
	nonce, _ := claims["nonce"].(string)
	if nonce == "" {
		return nil, "", fmt.Errorf("%w: the proof has no nonce", ErrInvalidNonce)
	}
	if err := s.takeNonce(ctx, nonce); err != nil {
		return nil, "", err
	}
	return pub, did, nil
}

// boundHolder returns the holder DID a credential was issued to ("" when
// none) and, for an SD-JWT VC, its cnf key.
func boundHolder(rec *credRecord) string {
	if rec.Format.isSDJWT() {
		return rec.Holder
	}
	var doc struct {
		Subject json.RawMessage `json:"credentialSubject"`
	}
	if json.Unmarshal(rec.Credential, &doc) != nil {
		return ""
	}
	var one struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(doc.Subject, &one) == nil {
		return one.ID
	}
	return ""
}

// RedeemCredential is the credential endpoint (POST /oid4vci/credential):
// it returns the offered credential for an access token from ExchangeCode,
// once. With a proof of possession (proofs.jwt, see proofKey), the
// credential is the holder's key's: a credential issued to a holder DID is
// delivered only when the proof's key is that holder's (else
// ErrInvalidProof); a credential issued without a holder is issued again,
// now bound to the proof's key (credentialSubject.id = its did:key for
// ldp_vc, sub and cnf for an SD-JWT VC), anchored, and that one is
// delivered (the unbound original, which never left the issuer, is kept
// in the records). Without a proof the credential is delivered as issued
// (bound to the holder DID given at issuance, or to no one): wallets of
// the pre-authorized flow that send no proof keep working.
//
// Token errors are ErrOfferInvalid as in RedeemAccessToken; a request
// naming another configuration than the offer's is ErrCredentialRequest;
// ErrInvalidNonce as proofKey says. A token stays valid for a retry when
// the proof or the nonce was refused, or the anchor is not confirmed yet
// (ErrAnchorPending).
func (s *Service) RedeemCredential(ctx context.Context, accessToken string, req CredentialRequest) (*Record, error) {
	if err := validate.Struct(req); err != nil {
		return nil, fmt.Errorf("credential endpoint: %w: %v", ErrCredentialRequest, err)
	}
	proof, err := req.proofJWT()
	if err != nil {
		return nil, fmt.Errorf("credential endpoint: %w", err)
	}
	h, ar, rec, err := s.accessRecord(ctx, accessToken)
	if err != nil {
		return nil, err
	}
	if req.ConfigurationID != "" && req.ConfigurationID != configurationID(rec.Type, rec.Format) {
		return nil, fmt.Errorf("credential endpoint: %w: the offer holds %s", ErrCredentialRequest, configurationID(rec.Type, rec.Format))
	}
	bound := boundHolder(rec)
	var did string
	var proofPub crypto.PublicKey
	if proof != "" {
		if proofPub, did, err = s.proofKey(ctx, proof); err != nil {
			return nil, fmt.Errorf("credential endpoint: %w", err)
		}
		if bound != "" && bound != did {
			return nil, fmt.Errorf("credential endpoint: %w: the credential was issued to another holder than the proof's key", ErrInvalidProof)
		}
	}
	rebind := proof != "" && bound == ""
	if !rebind && rec.Receipt == nil {
		return nil, fmt.Errorf("credential endpoint: credential %s: %w", rec.ID, ErrAnchorPending)
	}
	if _, err := s.st.Take(ctx, offerTokenKey(h)); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("credential endpoint: %w: already used", ErrOfferInvalid)
		}
		return nil, fmt.Errorf("credential endpoint: %w", err)
	}
	out := rec.Record
	if rebind {
		issued, err := s.rebind(ctx, rec, did, proofPub)
		if err == nil && issued.Receipt == nil {
			err = fmt.Errorf("credential %s: %w", issued.ID, ErrAnchorPending)
		}
		if err != nil {
			// A retry with the same token and key gets the same bound
			// credential (rebind's idempotency key), never a second one.
			s.giveBackToken(ctx, h, ar)
			return nil, fmt.Errorf("credential endpoint: %w", err)
		}
		out = *issued
		s.replace(ctx, rec, issued)
		out.Replaces = rec.ID
	}
	s.log.Info("offered credential delivered", slog.String("org", rec.Org), slog.String("offer", ar.OfferID),
		slog.String("credential", out.ID), slog.Bool("proof", proof != ""), slog.Bool("reissued", rebind))
	return &out, nil
}

// accessRecord reads and checks an access token and its credential.
func (s *Service) accessRecord(ctx context.Context, accessToken string) ([32]byte, *accessRecord, *credRecord, error) {
	var h [32]byte
	if !strings.HasPrefix(accessToken, accessTokenPrefix) || !wellFormed(accessToken[len(accessTokenPrefix):], codeLength) {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w", ErrOfferInvalid)
	}
	h = sha256.Sum256([]byte(accessToken))
	raw, err := s.st.Get(ctx, offerTokenKey(h))
	if errors.Is(err, store.ErrNotFound) {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w", ErrOfferInvalid)
	}
	if err != nil {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w", err)
	}
	var ar accessRecord
	if err := json.Unmarshal(raw, &ar); err != nil {
		return h, nil, nil, fmt.Errorf("credential endpoint: decode: %w", err)
	}
	if subtle.ConstantTimeCompare(ar.Hash, h[:]) != 1 {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w", ErrOfferInvalid)
	}
	if !s.cfg.Now().Before(ar.Expires) {
		_ = s.st.Delete(ctx, offerTokenKey(h))
		return h, nil, nil, fmt.Errorf("credential endpoint: %w: expired", ErrOfferInvalid)
	}
	rec, err := s.load(ctx, ar.CredentialID)
	if errors.Is(err, ErrNotFound) {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w: the credential is gone", ErrOfferInvalid)
	}
	if err != nil {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w", err)
	}
	if rec.Org != ar.Org {
		return h, nil, nil, fmt.Errorf("credential endpoint: %w", ErrOfferInvalid)
	}
	if rec.Status == StatusRevoked {
		_ = s.st.Delete(ctx, offerTokenKey(h))
		return h, nil, nil, fmt.Errorf("credential endpoint: %w: the credential was revoked", ErrOfferInvalid)
	}
	return h, &ar, rec, nil
}

// giveBackToken restores an access token taken for a delivery that failed.
func (s *Service) giveBackToken(ctx context.Context, h [32]byte, ar *accessRecord) {
	left := ar.Expires.Sub(s.cfg.Now())
	raw, err := json.Marshal(ar)
	if left <= 0 || err != nil {
		return
	}
	if err := s.st.Create(context.WithoutCancel(ctx), offerTokenKey(h), raw, left); err != nil {
		s.log.Warn("offer: access token not given back", slog.String("offer", ar.OfferID), slog.String("error", err.Error()))
	}
}

// replace links an unbound credential to the one delivered in its place
// (ReplacedBy / Replaces) and revokes it, so that the organisation's lists,
// counts and status changes deal with the credential the holder has. The
// delivery has happened: a failure here is logged, not returned, and
// leaves the original listed (and revocable by its registrar).
func (s *Service) replace(ctx context.Context, old *credRecord, delivered *Record) {
	ctx = context.WithoutCancel(ctx)
	fail := func(err error) {
		s.log.Warn("offer: replaced credential not marked", slog.String("credential", old.ID),
			slog.String("replacedBy", delivered.ID), slog.String("error", err.Error()))
	}
	// Revoke first: if it fails, the original stays listed (no link) and
	// visible to the registrar, who can revoke it.
	if _, err := s.SetStatus(ctx, old.Org, StatusChange{IDs: []string{old.ID}, Status: StatusRevoked, Actor: "oid4vci",
		Reason: "replaced at delivery by " + delivered.ID + ", bound to the holder's key"}); err != nil {
		fail(err)
		return
	}
	if err := s.link(ctx, old.Org, old.ID, delivered.ID); err != nil {
		fail(err)
	}
}

// link records that the credential replacedID was replaced by byID, on
// both records, under the organisation's status lock (status changes
// rewrite the same records).
func (s *Service) link(ctx context.Context, org, replacedID, byID string) error {
	st, _, err := s.state(ctx, org)
	if err != nil {
		return err
	}
	st.statusMu.Lock()
	defer st.statusMu.Unlock()
	old, err := s.load(ctx, replacedID)
	if err != nil {
		return err
	}
	nu, err := s.load(ctx, byID)
	if err != nil {
		return err
	}
	old.ReplacedBy, nu.Replaces = byID, replacedID
	var ops []store.Op
	for _, rec := range []*credRecord{old, nu} {
		rec.Receipt = nil // stored apart
		rops, err := recordOps(rec, false, nil)
		if err != nil {
			return err
		}
		ops = append(ops, rops...)
	}
	return s.st.Apply(ctx, ops...)
}

// rebind issues an unbound credential's request again for holder.
// The holder's key is the one the proof was checked with (pub), resolved
// from holder once by proofKey: validation and signing use it as is.
func (s *Service) rebind(ctx context.Context, rec *credRecord, holder string, pub crypto.PublicKey) (*Record, error) {
	if rec.Request == nil {
		return nil, fmt.Errorf("%w: credential %s was issued without a holder and cannot be bound now", ErrConflict, rec.ID)
	}
	if rec.Status != StatusActive {
		// A suspended credential would come back active in its new form.
		return nil, fmt.Errorf("%w: credential %s is %s; ask the issuer", ErrConflict, rec.ID, rec.Status)
	}
	req := *rec.Request
	// One bound credential per original and holder key, however often the
	// wallet retries (an anchor still pending, a lost answer).
	sum := sha256.Sum256([]byte(holder))
	req.Holder, req.IdempotencyKey = holder, "rebind:"+rec.ID+":"+hex.EncodeToString(sum[:8])
	if req.Format.isSDJWT() {
		if _, err := jose.PublicJWK(pub); err != nil {
			return nil, fmt.Errorf("%w: the key of %s cannot be a JWK: %v", ErrInvalidProof, holder, err)
		}
		req.holderPub, req.holderPubOf = pub, holder
	}
	return s.Issue(ctx, rec.Org, &req)
}
