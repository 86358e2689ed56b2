package chain

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DIDDocument is the DID document of an issuer DID, resolved from chain
// state. Every key the issuer ever held is listed, with its validity window
// in heights, because a credential signed by a rotated-out key stays valid
// when its anchor proves the key was valid then; a verifier must check the
// window against the anchor height.
type DIDDocument struct {
	Context            []string             `json:"@context"`
	ID                 string               `json:"id"`
	VerificationMethod []VerificationMethod `json:"verificationMethod"`
	AssertionMethod    []string             `json:"assertionMethod"`
	Authentication     []string             `json:"authentication"`
}

// VerificationMethod is one issuer key as a Multikey with the TalentChain
// validity window (heights inclusive; ValidUntilHeight 0 means current).
type VerificationMethod struct {
	ID                 string `json:"id"`
	Type               string `json:"type"`
	Controller         string `json:"controller"`
	PublicKeyMultibase string `json:"publicKeyMultibase"`
	ValidFromHeight    int64  `json:"validFromHeight"`
	ValidUntilHeight   int64  `json:"validUntilHeight,omitempty"`
}

// DIDDocumentMetadata is the DID resolution document metadata.
type DIDDocumentMetadata struct {
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	Deactivated bool      `json:"deactivated,omitempty"` // the issuer is removed
	Status      string    `json:"talentchainStatus"`     // active, suspended or removed
	Height      int64     `json:"talentchainHeight"`     // state height it was read at
}

// DIDDocument returns the issuer's DID document. Only the current key is an
// authentication method; every key is an assertion method (for credentials
// issued while it was valid).
func (is *Issuer) DIDDocument() *DIDDocument {
	doc := &DIDDocument{
		Context: []string{"https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"},
		ID:      is.DID,
	}
	for _, k := range is.Keys {
		doc.VerificationMethod = append(doc.VerificationMethod, VerificationMethod{
			ID: k.ID, Type: "Multikey", Controller: is.DID, PublicKeyMultibase: k.PublicKeyMultibase,
			ValidFromHeight: k.ValidFromHeight, ValidUntilHeight: k.ValidUntilHeight,
		})
		doc.AssertionMethod = append(doc.AssertionMethod, k.ID)
		if k.ValidUntilHeight == 0 && is.Status != StatusRemoved {
			doc.Authentication = append(doc.Authentication, k.ID)
		}
	}
	return doc
}

// ErrInvalidDID means the string is not a did:talent DID.
var ErrInvalidDID = errors.New("chain: not a did:talent DID")

// ResolveDID resolves an issuer DID from chain state (proved unless the
// client trusts its node). An unknown DID returns ErrNotFound.
func (c *Client) ResolveDID(ctx context.Context, did string) (*DIDDocument, *DIDDocumentMetadata, error) {
	if !ValidIssuerDID(did) {
		return nil, nil, fmt.Errorf("%w: %q", ErrInvalidDID, did)
	}
	var is Issuer
	raw, h, err := c.QueryRaw(ctx, PathIssuer+did)
	if err != nil {
		return nil, nil, err
	}
	if err := jsonUnmarshal(raw, &is); err != nil {
		return nil, nil, fmt.Errorf("chain: decode issuer %s: %w", did, err)
	}
	md := &DIDDocumentMetadata{
		Created: is.RegisteredTime, Updated: is.RegisteredTime,
		Deactivated: is.Status == StatusRemoved, Status: is.Status, Height: h,
	}
	for _, k := range is.Keys {
		if k.ValidFromTime.After(md.Updated) {
			md.Updated = k.ValidFromTime
		}
	}
	for _, s := range is.StatusHistory {
		if s.Time.After(md.Updated) {
			md.Updated = s.Time
		}
	}
	return is.DIDDocument(), md, nil
}
