package credential

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/asn1"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math/big"
	"strings"
	"time"

	"github.com/mr-tron/base58"
)

// SuiteECDSARDFC2019 is the Data Integrity cryptosuite of W3C vc-di-ecdsa with
// RDFC-1.0 canonicalization.
const SuiteECDSARDFC2019 = "ecdsa-rdfc-2019"

// Multicodec prefixes (varint-encoded) of the NIST curve Multikey encodings:
// p256-pub 0x1200, p384-pub 0x1201, p256-priv 0x1306, p384-priv 0x1307.
var (
	multicodecP256Pub  = []byte{0x80, 0x24}
	multicodecP384Pub  = []byte{0x81, 0x24}
	multicodecP256Priv = []byte{0x86, 0x26}
	multicodecP384Priv = []byte{0x87, 0x26}
)

// ECKeyPair is a P-256 or P-384 key pair in the Multikey form of W3C vc-di-ecdsa
// (publicKeyMultibase "zDn..." for P-256, "z82..." for P-384, the public key a
// compressed point).
//
// Its JSON form is that of KeyPair:
//
//	{"id": "did:key:zDn...#zDn...", "controller": "did:key:zDn...",
//	 "publicKeyMultibase": "zDn...", "secretKeyMultibase": "z42..."}
type ECKeyPair struct {
	// ID is the verification method id; Controller the DID or URL that controls
	// it. For a did:key both derive from the public key.
	ID         string
	Controller string
	Public     *ecdsa.PublicKey
	Private    *ecdsa.PrivateKey
}

// GenerateECKey returns a new key pair on curve (elliptic.P256() or
// elliptic.P384()) identified as a did:key.
func GenerateECKey(curve elliptic.Curve) (*ECKeyPair, error) {
	if curveName(curve) == "" {
		return nil, fmt.Errorf("generate key: only P-256 and P-384 are supported")
	}
	priv, err := ecdsa.GenerateKey(curve, rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return NewDIDKeyECKeyPair(priv)
}

// NewDIDKeyECKeyPair returns the key pair of priv identified as a did:key.
func NewDIDKeyECKeyPair(priv *ecdsa.PrivateKey) (*ECKeyPair, error) {
	did, vm, err := DIDKeyEC(&priv.PublicKey)
	if err != nil {
		return nil, err
	}
	return &ECKeyPair{ID: vm, Controller: did, Public: &priv.PublicKey, Private: priv}, nil
}

// DIDKeyEC returns the did:key DID of a P-256 or P-384 public key and the id of
// its verification method (did:key:zDn...#zDn...).
func DIDKeyEC(pub *ecdsa.PublicKey) (did, vm string, err error) {
	mb, err := EncodeECPublicKey(pub)
	if err != nil {
		return "", "", err
	}
	did = "did:key:" + mb
	return did, did + "#" + mb, nil
}

// MarshalJSON encodes the key pair, secret key included.
func (k *ECKeyPair) MarshalJSON() ([]byte, error) {
	pub, err := EncodeECPublicKey(k.Public)
	if err != nil {
		return nil, err
	}
	j := keyPairJSON{ID: k.ID, Controller: k.Controller, PublicKeyMultibase: pub}
	if k.Private != nil {
		if j.SecretKeyMultibase, err = EncodeECSecretKey(k.Private); err != nil {
			return nil, err
		}
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a key pair; the secret key may be given as
// secretKeyMultibase or privateKeyMultibase (the name the W3C P-384 vector
// uses), and must match the public key. Without an id the key is taken as a
// did:key.
func (k *ECKeyPair) UnmarshalJSON(b []byte) error {
	var j keyPairJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("key pair: %w", err)
	}
	pub, err := DecodeECPublicKey(j.PublicKeyMultibase)
	if err != nil {
		return fmt.Errorf("key pair: %w", err)
	}
	secret := j.SecretKeyMultibase
	if secret == "" {
		secret = j.PrivateKeyMultibase
	}
	var priv *ecdsa.PrivateKey
	if secret != "" {
		if priv, err = DecodeECSecretKey(secret); err != nil {
			return fmt.Errorf("key pair: %w", err)
		}
		if !priv.PublicKey.Equal(pub) {
			return fmt.Errorf("key pair: the secret key does not belong to the public key")
		}
	}
	*k = ECKeyPair{ID: j.ID, Controller: j.Controller, Public: pub, Private: priv}
	if k.ID == "" {
		if k.Controller, k.ID, err = DIDKeyEC(pub); err != nil {
			return fmt.Errorf("key pair: %w", err)
		}
	}
	if k.Controller == "" {
		k.Controller = controllerOf(k.ID)
	}
	return nil
}

// curveName returns "P-256" or "P-384", or "" for any other curve.
func curveName(c elliptic.Curve) string {
	switch c {
	case elliptic.P256():
		return "P-256"
	case elliptic.P384():
		return "P-384"
	}
	return ""
}

// EncodeECPublicKey returns the Multikey publicKeyMultibase of a P-256 or P-384
// key: the multicodec prefix and the compressed point, base58btc.
func EncodeECPublicKey(pub *ecdsa.PublicKey) (string, error) {
	if pub == nil {
		return "", errors.New("public key: missing")
	}
	var prefix []byte
	switch pub.Curve {
	case elliptic.P256():
		prefix = multicodecP256Pub
	case elliptic.P384():
		prefix = multicodecP384Pub
	default:
		return "", errors.New("public key: only P-256 and P-384 are supported")
	}
	// Bytes validates the point (on the curve, not infinity).
	raw, err := pub.Bytes()
	if err != nil {
		return "", fmt.Errorf("public key: %w", err)
	}
	x, y := new(big.Int).SetBytes(raw[1:1+len(raw)/2]), new(big.Int).SetBytes(raw[1+len(raw)/2:])
	return encodeBase58btc(append(append([]byte{}, prefix...), elliptic.MarshalCompressed(pub.Curve, x, y)...)), nil
}

// DecodeECPublicKey parses the Multikey publicKeyMultibase of a P-256 or P-384
// key (a compressed point).
func DecodeECPublicKey(s string) (*ecdsa.PublicKey, error) {
	b, err := decodeBase58btc(s)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	var curve elliptic.Curve
	switch {
	case hasPrefix(b, multicodecP256Pub):
		curve = elliptic.P256()
	case hasPrefix(b, multicodecP384Pub):
		curve = elliptic.P384()
	default:
		return nil, errors.New("public key: not a P-256 or P-384 Multikey value")
	}
	return parseCompressed(curve, b[2:])
}

// parseCompressed decodes a compressed point and checks that it is a valid
// public key of curve.
func parseCompressed(curve elliptic.Curve, b []byte) (*ecdsa.PublicKey, error) {
	size := (curve.Params().BitSize + 7) / 8
	if len(b) != 1+size || (b[0] != 2 && b[0] != 3) {
		return nil, fmt.Errorf("public key: a %s Multikey holds a %d-byte compressed point", curveName(curve), 1+size)
	}
	x, y := elliptic.UnmarshalCompressed(curve, b)
	if x == nil {
		return nil, fmt.Errorf("public key: not a point of %s", curveName(curve))
	}
	return parseXY(curve, x.FillBytes(make([]byte, size)), y.FillBytes(make([]byte, size)))
}

// parseXY returns the public key with affine coordinates x and y (big-endian,
// curve-size bytes each), refusing points that are not on the curve.
func parseXY(curve elliptic.Curve, x, y []byte) (*ecdsa.PublicKey, error) {
	uncompressed := append(append([]byte{4}, x...), y...)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, uncompressed)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return pub, nil
}

// EncodeECSecretKey returns the Multikey secretKeyMultibase of a P-256 or P-384
// private key (its scalar, big-endian, curve-size bytes).
func EncodeECSecretKey(priv *ecdsa.PrivateKey) (string, error) {
	var prefix []byte
	switch priv.Curve {
	case elliptic.P256():
		prefix = multicodecP256Priv
	case elliptic.P384():
		prefix = multicodecP384Priv
	default:
		return "", errors.New("secret key: only P-256 and P-384 are supported")
	}
	d, err := priv.Bytes()
	if err != nil {
		return "", fmt.Errorf("secret key: %w", err)
	}
	return encodeBase58btc(append(append([]byte{}, prefix...), d...)), nil
}

// DecodeECSecretKey parses the Multikey secretKeyMultibase of a P-256 or P-384 key.
func DecodeECSecretKey(s string) (*ecdsa.PrivateKey, error) {
	b, err := decodeBase58btc(s)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	var curve elliptic.Curve
	switch {
	case hasPrefix(b, multicodecP256Priv):
		curve = elliptic.P256()
	case hasPrefix(b, multicodecP384Priv):
		curve = elliptic.P384()
	default:
		return nil, errors.New("secret key: not a P-256 or P-384 Multikey value")
	}
	priv, err := ecdsa.ParseRawPrivateKey(curve, b[2:])
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return priv, nil
}

// DecodeMultikey parses a publicKeyMultibase of any supported key type: an
// Ed25519 key (ed25519.PublicKey) or a P-256 or P-384 key (*ecdsa.PublicKey).
func DecodeMultikey(s string) (crypto.PublicKey, error) {
	b, err := decodeBase58btc(s)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	switch {
	case hasPrefix(b, multicodecEd25519Pub):
		return DecodePublicKey(s)
	case hasPrefix(b, multicodecP256Pub), hasPrefix(b, multicodecP384Pub):
		return DecodeECPublicKey(s)
	}
	return nil, errors.New("public key: not an Ed25519, P-256 or P-384 Multikey value")
}

func hasPrefix(b, prefix []byte) bool {
	return len(b) > len(prefix) && b[0] == prefix[0] && b[1] == prefix[1]
}

// Key returns the method's public key: an ed25519.PublicKey or an
// *ecdsa.PublicKey (P-256, P-384). PublicKey is used when set; otherwise the key
// is decoded from the one encoding the method carries: publicKeyMultibase
// (Multikey, Ed25519VerificationKey2020), publicKeyBase58
// (Ed25519VerificationKey2018) or publicKeyJwk (JsonWebKey2020). A method with
// more than one encoding is refused, as they could disagree.
func (m *VerificationMethod) Key() (crypto.PublicKey, error) {
	if len(m.PublicKey) != 0 {
		if len(m.PublicKey) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("%s: an Ed25519 key of %d bytes", m.ID, len(m.PublicKey))
		}
		return m.PublicKey, nil
	}
	n := 0
	for _, set := range []bool{m.PublicKeyMultibase != "", m.PublicKeyBase58 != "", m.PublicKeyJwk != nil} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, fmt.Errorf("%s must carry exactly one public key (publicKeyMultibase, publicKeyBase58 or publicKeyJwk), not %d", m.ID, n)
	}
	var (
		key crypto.PublicKey
		err error
	)
	switch {
	case m.PublicKeyMultibase != "":
		key, err = DecodeMultikey(m.PublicKeyMultibase)
	case m.PublicKeyBase58 != "":
		var b []byte
		if b, err = base58.Decode(m.PublicKeyBase58); err == nil && len(b) != ed25519.PublicKeySize {
			err = fmt.Errorf("publicKeyBase58 holds %d bytes, not an Ed25519 key", len(b))
		}
		key = ed25519.PublicKey(b)
	default:
		key, err = ParseJWK(m.PublicKeyJwk)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", m.ID, err)
	}
	return key, nil
}

// keyName describes a public key for messages.
func keyName(k crypto.PublicKey) string {
	switch t := k.(type) {
	case ed25519.PublicKey:
		return "an Ed25519 key"
	case *ecdsa.PublicKey:
		if n := curveName(t.Curve); n != "" {
			return "a " + n + " key"
		}
	}
	return fmt.Sprintf("a key of an unsupported type (%T)", k)
}

// ECDSA is the Data Integrity ecdsa-rdfc-2019 cryptosuite
// (https://www.w3.org/TR/vc-di-ecdsa/): RDFC-1.0 canonicalization, the hash of
// the canonical proof configuration followed by the hash of the canonical
// document (SHA-256 for P-256 keys, SHA-384 for P-384), an ECDSA signature over
// those bytes with the same hash, encoded IEEE P1363 (r||s), base58btc multibase.
//
// Signatures are deterministic (RFC 6979): signing the same document twice gives
// the same proofValue.
//
// P-384 is limited: vc-di-ecdsa (and the reference implementation) use SHA-384
// inside RDFC-1.0 for P-384, which changes blank node labels when a document has
// two or more blank nodes, and json-gold only has SHA-256. P-384 proofs are
// therefore made and checked only for documents and proof configurations with at
// most one blank node, where both hashes give the same bytes; others are refused
// with an explanation, never mis-verified.
type ECDSA struct {
	canon *Canonicalizer
}

// NewECDSA returns the cryptosuite using canon for RDF canonicalization.
func NewECDSA(canon *Canonicalizer) *ECDSA { return &ECDSA{canon: canon} }

// suiteHash returns the hash vc-di-ecdsa prescribes for the key's curve.
func suiteHash(c elliptic.Curve) (crypto.Hash, error) {
	switch c {
	case elliptic.P256():
		return crypto.SHA256, nil
	case elliptic.P384():
		return crypto.SHA384, nil
	}
	return 0, errors.New("ecdsa-rdfc-2019 supports P-256 and P-384 keys only")
}

func sum(h crypto.Hash, b []byte) []byte {
	if h == crypto.SHA384 {
		s := sha512.Sum384(b)
		return s[:]
	}
	s := sha256.Sum256(b)
	return s[:]
}

// Sign adds an ecdsa-rdfc-2019 DataIntegrityProof to doc and returns the secured
// document; doc itself is not modified. If doc already has proofs, the new one
// joins them as a proof set.
func (s *ECDSA) Sign(doc map[string]any, key *ecdsa.PrivateKey, opts ProofOptions) (map[string]any, error) {
	if opts.VerificationMethod == "" {
		return nil, errors.New("sign: a verification method is required")
	}
	if key == nil {
		return nil, errors.New("sign: a P-256 or P-384 private key is required")
	}
	hash, err := suiteHash(key.Curve)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	proof := newProof(SuiteECDSARDFC2019, opts)
	existing, err := proofsOf(doc)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	canonDoc, err := s.canon.Canonicalize(withoutProof(doc))
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	data, err := s.hashData(canonDoc, proof, doc["@context"], hash)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	// A nil random source selects deterministic RFC 6979 signatures.
	der, err := key.Sign(nil, sum(hash, data), hash)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	sig, err := derToP1363(der, (key.Curve.Params().BitSize+7)/8)
	if err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	proof["proofValue"] = encodeBase58btc(sig)
	return withProof(doc, existing, proof), nil
}

// hashData returns H(canonical proof configuration) || H(canonical document).
func (s *ECDSA) hashData(canonDoc string, proof map[string]any, docContext any, hash crypto.Hash) ([]byte, error) {
	config := maps.Clone(proof)
	delete(config, "proofValue")
	config["@context"] = docContext
	canonConfig, err := s.canon.Canonicalize(config)
	if err != nil {
		return nil, fmt.Errorf("proof configuration: %w", err)
	}
	if hash == crypto.SHA384 && (manyBlankNodes(canonDoc) || manyBlankNodes(canonConfig)) {
		return nil, errors.New("a P-384 proof over a document with two or more blank nodes needs RDFC-1.0 with SHA-384, which is not supported; use a P-256 or Ed25519 key, or give the document's nodes ids")
	}
	return append(sum(hash, []byte(canonConfig)), sum(hash, []byte(canonDoc))...), nil
}

// manyBlankNodes reports whether canonical N-Quads hold two or more blank nodes
// (labels are issued _:c14n0, _:c14n1, ... in order).
func manyBlankNodes(nquads string) bool { return strings.Contains(nquads, "_:c14n1") }

// verifyProof checks one ecdsa-rdfc-2019 proof over the canonical unsecured
// document with the given public key.
func (s *ECDSA) verifyProof(canonDoc string, proof map[string]any, docContext any, pub *ecdsa.PublicKey) error {
	if proof["cryptosuite"] != SuiteECDSARDFC2019 {
		return fmt.Errorf("cryptosuite %v is not supported", proof["cryptosuite"])
	}
	hash, err := suiteHash(pub.Curve)
	if err != nil {
		return err
	}
	pv, _ := proof["proofValue"].(string)
	sig, err := decodeBase58btc(pv)
	if err != nil {
		return fmt.Errorf("proofValue: %w", err)
	}
	size := (pub.Curve.Params().BitSize + 7) / 8
	if len(sig) != 2*size {
		return fmt.Errorf("proofValue: a signature of %d bytes, want %d (r||s for %s)", len(sig), 2*size, curveName(pub.Curve))
	}
	if pc, ok := proof["@context"]; ok && !contextStartsWith(docContext, pc) {
		return errors.New("the proof's @context is not a prefix of the document's @context")
	}
	data, err := s.hashData(canonDoc, proof, docContext, hash)
	if err != nil {
		return err
	}
	r, ss := new(big.Int).SetBytes(sig[:size]), new(big.Int).SetBytes(sig[size:])
	if !ecdsa.Verify(pub, sum(hash, data), r, ss) {
		return errors.New("the signature does not match the document: it was altered or signed by another key")
	}
	return nil
}

// derToP1363 converts an ASN.1 DER ECDSA signature to IEEE P1363 r||s with
// size-byte halves.
func derToP1363(der []byte, size int) ([]byte, error) {
	var sig struct{ R, S *big.Int }
	rest, err := asn1.Unmarshal(der, &sig)
	if err != nil || len(rest) != 0 || sig.R.Sign() <= 0 || sig.S.Sign() <= 0 {
		return nil, errors.New("malformed ECDSA signature")
	}
	if sig.R.BitLen() > 8*size || sig.S.BitLen() > 8*size {
		return nil, errors.New("ECDSA signature too long for the curve")
	}
	out := make([]byte, 2*size)
	sig.R.FillBytes(out[:size])
	sig.S.FillBytes(out[size:])
	return out, nil
}

// newProof returns the proof options of a DataIntegrityProof with cryptosuite.
func newProof(cryptosuite string, opts ProofOptions) map[string]any {
	proof := map[string]any{
		"type":               ProofDataIntegrity,
		"cryptosuite":        cryptosuite,
		"verificationMethod": opts.VerificationMethod,
	}
	addProofOptions(proof, opts)
	return proof
}

// addProofOptions sets created, proofPurpose, expires, challenge and domain.
func addProofOptions(proof map[string]any, opts ProofOptions) {
	purpose := opts.Purpose
	if purpose == "" {
		purpose = RelAssertionMethod
	}
	created := opts.Created
	if created.IsZero() {
		created = time.Now()
	}
	proof["created"] = created.UTC().Truncate(time.Second).Format(proofTimeLayout)
	proof["proofPurpose"] = purpose
	if !opts.Expires.IsZero() {
		proof["expires"] = opts.Expires.UTC().Truncate(time.Second).Format(proofTimeLayout)
	}
	if opts.Challenge != "" {
		proof["challenge"] = opts.Challenge
	}
	if opts.Domain != "" {
		proof["domain"] = opts.Domain
	}
}

// withProof returns a copy of doc with proof added to the existing proofs.
func withProof(doc map[string]any, existing []map[string]any, proof map[string]any) map[string]any {
	out := maps.Clone(doc)
	if len(existing) == 0 {
		out["proof"] = proof
		return out
	}
	set := make([]any, 0, len(existing)+1)
	for _, p := range existing {
		set = append(set, p)
	}
	out["proof"] = append(set, proof)
	return out
}
