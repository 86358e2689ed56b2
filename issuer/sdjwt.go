package issuer

import (
	"bytes"
	"compress/zlib"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"strings"
	"sync/atomic"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// SD-JWT VC issuance (draft-ietf-oauth-sd-jwt-vc, RFC 9901).
//
// The credential's subject claims are the SD-JWT's claims, at the top level
// as the SD-JWT VC profile wants; the registered claims are
//
//	iss     the organisation's did:talent (header kid: its current key)
//	vct     VCTPrefix + the type's name: .../vct/degree for DegreeCredential
//	jti     the credential id (urn:uuid), which a verifier matches receipts by
//	sub     the holder's DID, when given
//	cnf     {"jwk": the holder's key}, when the holder's DID is a did:key or
//	        did:jwk (the key a presentation's key binding must be made with)
//	iat, nbf (validFrom), exp (validUntil)
//	status  {"status_list": {"idx": i, "uri": <BaseURL>/status/<did>/rev-n}}
//
// The status entry names the organisation's revocation list; the suspension
// bit of the same credential lives at the same index of sus-n, so a verifier
// that knows TalentChain's lists (verifier/jose.go) reads both from chain
// state; a generic one fetches the uri with Accept: application/statuslist+jwt
// and gets a 2-bit Token Status List (0 valid, 1 invalid, 2 suspended) built
// from both (TokenStatusList).
//
// The anchored digest is SHA-256 of the issuer-signed JWT (the part before
// the first "~"), which every presentation carries unchanged whatever it
// discloses.

// SD-JWT formats of Request.Format.
const (
	// FormatLDP is the OID4VCI name of the default format (FormatV2).
	FormatLDP Format = "ldp_vc"
	// FormatSDJWT is an SD-JWT VC (typ dc+sd-jwt), signed EdDSA by the
	// organisation's current key.
	FormatSDJWT Format = "dc+sd-jwt"
	// FormatSDJWTLegacy is the former media type of SD-JWT VCs; it issues
	// exactly what FormatSDJWT does (typ dc+sd-jwt).
	FormatSDJWTLegacy Format = "vc+sd-jwt"
)

// VCTPrefix starts the vct of TalentChain's SD-JWT VCs (the verifier maps
// it back to the credential type).
const VCTPrefix = "https://w3id.org/talentchain/vct/"

// VCT is the SD-JWT VC type of a credential type: DegreeCredential →
// VCTPrefix+"degree", TrainingCertificateCredential →
// VCTPrefix+"trainingCertificate".
func VCT(typ string) string {
	name := strings.TrimSuffix(typ, "Credential")
	if name == "" {
		return VCTPrefix + typ
	}
	return VCTPrefix + strings.ToLower(name[:1]) + name[1:]
}

// canonical is the format's own name: FormatV2 for "", vc2 and ldp_vc,
// FormatSDJWT for both SD-JWT names, FormatV1 for vc1; anything else as
// given (check refuses it).
func (f Format) canonical() Format {
	switch f {
	case "", FormatV2, FormatLDP:
		return FormatV2
	case FormatSDJWT, FormatSDJWTLegacy:
		return FormatSDJWT
	}
	return f
}

// isSDJWT reports whether f is one of the SD-JWT VC formats.
func (f Format) isSDJWT() bool { return f == FormatSDJWT || f == FormatSDJWTLegacy }

// disclosable lists, per credential type, the claims an SD-JWT VC makes
// selectively disclosable (JSON Pointers into the subject; those absent
// from a credential are skipped). What stays always visible is what the
// credential is about and what its issuer's accreditation covers: a
// degree's type and level, a course's code, title and hours. Everything
// personal (name, birth date, student number), every result (grade,
// honours, score) and the finer descriptions (degree name, field,
// institution, dates) is the holder's to show or not. The issuer is
// always visible (iss).
var disclosable = map[string][]string{
	TypeDegree: {
		"/fullName", "/dateOfBirth", "/studentNumber", "/enrolmentDate", "/graduationDate",
		"/degree/degreeName", "/degree/fieldOfStudy", "/degree/disciplineCode", "/degree/institution",
		"/degree/grade", "/degree/honours",
	},
	TypeTraining: {
		"/fullName", "/result", "/score", "/completionDate",
		"/course/provider", "/course/credits", "/course/startDate", "/course/endDate", "/course/skills", "/course/sector",
	},
	TypeCompletion: {
		"/fullName", "/score", "/completionDate",
		"/course/provider", "/course/credits", "/course/startDate", "/course/endDate", "/course/skills",
	},
}

// holderResolutions counts holderKey's resolutions (for the tests: a key
// is resolved once per credential).
var holderResolutions atomic.Int64

// holderKey returns the public key of a did:key or did:jwk holder.
func holderKey(ctx context.Context, did string) (crypto.PublicKey, error) {
	holderResolutions.Add(1)
	if !strings.HasPrefix(did, "did:key:") && !strings.HasPrefix(did, "did:jwk:") {
		return nil, fmt.Errorf("an SD-JWT VC is bound to the holder's key: the holder must be a did:key or did:jwk")
	}
	doc, err := jose.DIDResolver{}.Resolve(ctx, did)
	if err != nil {
		return nil, fmt.Errorf("cannot read the key of %s: %v", did, err)
	}
	if len(doc.VerificationMethod) != 1 {
		return nil, fmt.Errorf("%s has %d keys, want 1", did, len(doc.VerificationMethod))
	}
	pub, err := jose.MethodKey(&doc.VerificationMethod[0])
	if err != nil {
		return nil, fmt.Errorf("the key of %s: %v", did, err)
	}
	if _, err := jose.PublicJWK(pub); err != nil {
		return nil, fmt.Errorf("the key of %s cannot be a JWK: %v", did, err)
	}
	return pub, nil
}

// present reports whether pointer p selects a value in doc.
func present(doc map[string]any, p string) bool {
	var v any = doc
	for _, tok := range strings.Split(p[1:], "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")]; !ok {
			return false
		}
	}
	return true
}

// buildSDJWT makes and signs one SD-JWT VC.
func (s *Service) buildSDJWT(signer *jose.Signer, o *Org, it *prepared, id string, list, pos int, now time.Time) (*credRecord, error) {
	if signer == nil {
		return nil, fmt.Errorf("no JOSE signer for %s", o.DID)
	}
	claims := maps.Clone(it.req.Subject)
	delete(claims, "id")
	var sel []string
	for _, p := range it.tmpl.Disclosable {
		if present(claims, p) {
			sel = append(sel, p)
		}
	}
	claims["jti"] = id
	vc := sdjwt.VC{
		Issuer: o.DID, Type: VCT(it.tmpl.Type), Subject: it.req.Holder, IssuedAt: now,
		NotBefore: it.req.ValidFrom, Expires: it.req.ValidUntil,
		Status: map[string]any{"status_list": map[string]any{
			"idx": pos, "uri": s.statusURL(o.DID, listID(chain.PurposeRevocation, list)),
		}},
		Claims: claims, Disclosable: sel,
	}
	if vc.NotBefore.IsZero() {
		vc.NotBefore = now
	}
	if it.req.Holder != "" {
		pub, err := it.req.holderKey(context.Background())
		if err != nil {
			return nil, invalid("/holder", err.Error(), "SD-JWT 凭证需绑定持有人的密钥：持有人必须是可读取密钥的 did:key 或 did:jwk")
		}
		vc.Holder = pub
	}
	compact, err := sdjwt.IssueVC(signer, vc)
	if err != nil {
		return nil, fmt.Errorf("sign SD-JWT VC: %w", err)
	}
	raw, err := json.Marshal(compact)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	digest := sdjwt.AnchorDigest(compact)
	return &credRecord{
		Record: Record{
			ID: id, Org: o.DID, Type: it.tmpl.Type, Template: it.tmpl.ID, Format: FormatSDJWT, Credential: raw,
			Status: StatusActive, StatusList: list, StatusIdx: pos, Issued: now,
		},
		Digest: hex.EncodeToString(digest[:]),
	}, nil
}

// Token Status List (draft-ietf-oauth-status-list).
const (
	// MediaTypeStatusListJWT is the media type of a Token Status List JWT.
	MediaTypeStatusListJWT = "application/statuslist+jwt"
	// Token status values (2 bits per credential).
	TokenStatusValid     = 0
	TokenStatusInvalid   = 1 // revoked
	TokenStatusSuspended = 2
	// statusListTTL is the ttl claim: how long a relying party may cache
	// the list (seconds).
	statusListTTL = 300
)

// TokenStatusList returns the Token Status List JWT served at the status
// uri of an SD-JWT VC ({BaseURL}/status/{org}/rev-n, asked for with Accept:
// application/statuslist+jwt): 2 bits per credential, 1 where the
// revocation bit of rev-n is set, else 2 where the suspension bit of sus-n
// is, else 0, read from chain state; signed (EdDSA, typ statuslist+jwt)
// by the organisation's current key, sub = the uri, iat, exp, ttl. Only
// revocation lists have one ("sus-n" is ErrNotFound: its bits are in
// rev-n's token list); unknown lists are ErrNotFound.
func (s *Service) TokenStatusList(ctx context.Context, org, list string) (string, error) {
	purpose, n, ok := parseListID(list)
	if !ok || purpose != chain.PurposeRevocation {
		return "", fmt.Errorf("token status list %s: %w", list, ErrNotFound)
	}
	st, _, err := s.state(ctx, org) // the organisation exists
	if err != nil {
		return "", fmt.Errorf("token status list: %w", err)
	}
	read := func(id string) (*chain.StatusList, error) {
		l, err := s.chain.StatusList(ctx, org, id)
		if errors.Is(err, chain.ErrNotFound) {
			return nil, nil
		}
		return l, err
	}
	rev, err := read(list)
	if err != nil {
		return "", fmt.Errorf("token status list: %w", err)
	}
	if rev == nil { // not on chain yet: it exists once an index was handed out
		if err := s.listAllocated(ctx, org, list, n); err != nil {
			return "", fmt.Errorf("token status list: %w", err)
		}
	}
	sus, err := read(listID(chain.PurposeSuspension, n))
	if err != nil {
		return "", fmt.Errorf("token status list: %w", err)
	}
	vals := make([]byte, chain.MinStatusListLen*2/8)
	for i := range uint64(chain.MinStatusListLen) {
		var v byte
		switch {
		case rev != nil && rev.Bit(i):
			v = TokenStatusInvalid
		case sus != nil && sus.Bit(i):
			v = TokenStatusSuspended
		default:
			continue
		}
		vals[i/4] |= v << ((i % 4) * 2)
	}
	var buf bytes.Buffer
	zw, err := zlib.NewWriterLevel(&buf, zlib.BestCompression)
	if err != nil {
		return "", fmt.Errorf("token status list: %w", err)
	}
	zw.Write(vals)
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("token status list: %w", err)
	}
	now := s.cfg.Now().UTC()
	st.keyMu.RLock()
	signer := st.jws
	st.keyMu.RUnlock()
	jwt, err := signer.SignJSON(map[string]any{"typ": "statuslist+jwt"}, map[string]any{
		"sub": s.statusURL(org, list), "iat": now.Unix(), "exp": now.Add(24 * time.Hour).Unix(), "ttl": statusListTTL,
		"status_list": map[string]any{"bits": 2, "lst": base64.RawURLEncoding.EncodeToString(buf.Bytes())},
	})
	if err != nil {
		return "", fmt.Errorf("token status list: sign: %w", err)
	}
	return jwt, nil
}

// TokenStatus reads entry idx of a Token Status List's "lst" (base64url of
// zlib-compressed bytes) of bits bits per entry.
func TokenStatus(lst string, bits, idx int) (int, error) {
	if bits != 1 && bits != 2 && bits != 4 && bits != 8 {
		return 0, fmt.Errorf("%w: bits must be 1, 2, 4 or 8", ErrInvalid)
	}
	raw, err := base64.RawURLEncoding.DecodeString(lst)
	if err != nil {
		return 0, fmt.Errorf("%w: lst: %v", ErrInvalid, err)
	}
	zr, err := zlib.NewReader(bytes.NewReader(raw))
	if err != nil {
		return 0, fmt.Errorf("%w: lst: %v", ErrInvalid, err)
	}
	vals, err := io.ReadAll(io.LimitReader(zr, 1<<24))
	if err != nil {
		return 0, fmt.Errorf("%w: lst: %v", ErrInvalid, err)
	}
	per := 8 / bits
	if idx < 0 || idx/per >= len(vals) {
		return 0, fmt.Errorf("%w: index %d outside the list", ErrInvalid, idx)
	}
	return int(vals[idx/per]>>((idx%per)*bits)) & (1<<bits - 1), nil
}
