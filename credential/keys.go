package credential

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"

	"github.com/mr-tron/base58"
)

// Multicodec prefixes of Multikey encodings (varint-encoded codes).
var (
	multicodecEd25519Pub  = []byte{0xed, 0x01}
	multicodecEd25519Priv = []byte{0x80, 0x26}
)

// KeyPair is an Ed25519 key pair in the Multikey form the W3C test vectors use.
//
// Its JSON form is
//
//	{"id": "did:key:z6Mk...#z6Mk...", "controller": "did:key:z6Mk...",
//	 "publicKeyMultibase": "z6Mk...", "secretKeyMultibase": "z3u2..."}
type KeyPair struct {
	// ID is the verification method id; Controller the DID or URL that controls
	// it. For a did:key both derive from the public key.
	ID         string
	Controller string
	Public     ed25519.PublicKey
	Private    ed25519.PrivateKey
}

type keyPairJSON struct {
	ID                  string `json:"id,omitempty"`
	Controller          string `json:"controller,omitempty"`
	PublicKeyMultibase  string `json:"publicKeyMultibase"`
	SecretKeyMultibase  string `json:"secretKeyMultibase,omitempty"`
	PrivateKeyMultibase string `json:"privateKeyMultibase,omitempty"`
}

// GenerateKey returns a new Ed25519 key pair identified as a did:key.
func GenerateKey() (*KeyPair, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return NewDIDKeyPair(priv), nil
}

// NewDIDKeyPair returns the key pair of priv identified as a did:key.
func NewDIDKeyPair(priv ed25519.PrivateKey) *KeyPair {
	pub := priv.Public().(ed25519.PublicKey)
	did, vm := DIDKey(pub)
	return &KeyPair{ID: vm, Controller: did, Public: pub, Private: priv}
}

// MarshalJSON encodes the key pair, secret key included.
func (k *KeyPair) MarshalJSON() ([]byte, error) {
	j := keyPairJSON{ID: k.ID, Controller: k.Controller, PublicKeyMultibase: EncodePublicKey(k.Public)}
	if k.Private != nil {
		j.SecretKeyMultibase = EncodeSecretKey(k.Private)
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes a key pair; the secret key may be given as
// secretKeyMultibase or privateKeyMultibase (the name the W3C vector uses), and
// must match the public key. Without an id the key is taken as a did:key.
func (k *KeyPair) UnmarshalJSON(b []byte) error {
	var j keyPairJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return fmt.Errorf("key pair: %w", err)
	}
	pub, err := DecodePublicKey(j.PublicKeyMultibase)
	if err != nil {
		return fmt.Errorf("key pair: %w", err)
	}
	secret := j.SecretKeyMultibase
	if secret == "" {
		secret = j.PrivateKeyMultibase
	}
	var priv ed25519.PrivateKey
	if secret != "" {
		if priv, err = DecodeSecretKey(secret); err != nil {
			return fmt.Errorf("key pair: %w", err)
		}
		if !priv.Public().(ed25519.PublicKey).Equal(pub) {
			return fmt.Errorf("key pair: the secret key does not belong to the public key")
		}
	}
	*k = KeyPair{ID: j.ID, Controller: j.Controller, Public: pub, Private: priv}
	if k.ID == "" {
		k.Controller, k.ID = DIDKey(pub)
	}
	if k.Controller == "" {
		k.Controller = controllerOf(k.ID)
	}
	return nil
}

// EncodePublicKey returns the Multikey publicKeyMultibase of an Ed25519 key.
func EncodePublicKey(pub ed25519.PublicKey) string {
	return "z" + base58.Encode(append(append([]byte{}, multicodecEd25519Pub...), pub...))
}

// EncodeSecretKey returns the Multikey secretKeyMultibase of an Ed25519 key (its
// 32-byte seed).
func EncodeSecretKey(priv ed25519.PrivateKey) string {
	return "z" + base58.Encode(append(append([]byte{}, multicodecEd25519Priv...), priv.Seed()...))
}

// DecodePublicKey parses a Multikey publicKeyMultibase of an Ed25519 key.
func DecodePublicKey(s string) (ed25519.PublicKey, error) {
	b, err := decodeMultikey(s, multicodecEd25519Pub, ed25519.PublicKeySize)
	if err != nil {
		return nil, fmt.Errorf("public key: %w", err)
	}
	return ed25519.PublicKey(b), nil
}

// DecodeSecretKey parses a Multikey secretKeyMultibase of an Ed25519 key.
func DecodeSecretKey(s string) (ed25519.PrivateKey, error) {
	b, err := decodeMultikey(s, multicodecEd25519Priv, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("secret key: %w", err)
	}
	return ed25519.NewKeyFromSeed(b), nil
}

func decodeMultikey(s string, prefix []byte, size int) ([]byte, error) {
	b, err := decodeBase58btc(s)
	if err != nil {
		return nil, err
	}
	if len(b) != len(prefix)+size || b[0] != prefix[0] || b[1] != prefix[1] {
		return nil, fmt.Errorf("not an Ed25519 Multikey value")
	}
	return b[len(prefix):], nil
}

// decodeBase58btc decodes a multibase base58btc string ('z' prefix).
func decodeBase58btc(s string) ([]byte, error) {
	if len(s) < 2 || s[0] != 'z' {
		return nil, fmt.Errorf("not a base58btc multibase value (must start with 'z')")
	}
	b, err := base58.Decode(s[1:])
	if err != nil {
		return nil, fmt.Errorf("base58btc: %w", err)
	}
	return b, nil
}

func encodeBase58btc(b []byte) string { return "z" + base58.Encode(b) }
