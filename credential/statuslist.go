package credential

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"fmt"
	"io"
	"strconv"
)

// Bitstring Status List (https://www.w3.org/TR/vc-bitstring-status-list/).
const (
	StatusRevocation = "revocation"
	StatusSuspension = "suspension"
	// MinStatusListBits is the W3C minimum list length (16 KiB), for herd privacy.
	MinStatusListBits = 131072
	// MaxStatusListBits bounds what a decoder accepts (2 MiB of bits), so that a
	// compressed list cannot expand without limit.
	MaxStatusListBits = 16777216
)

// Bitstring is a status list: bit i is the status of the credential with
// statusListIndex i, the first index being the most significant bit of byte 0.
type Bitstring []byte

// NewBitstring returns a list of n bits, all zero; n is rounded up to a byte.
func NewBitstring(n int) Bitstring { return make(Bitstring, (n+7)/8) }

// Len is the number of bits.
func (b Bitstring) Len() int { return len(b) * 8 }

// Get reports bit i; an index beyond the list is an error.
func (b Bitstring) Get(i int) (bool, error) {
	if i < 0 || i >= b.Len() {
		return false, fmt.Errorf("status index %d outside a list of %d", i, b.Len())
	}
	return b[i/8]&(0x80>>(i%8)) != 0, nil
}

// Set sets or clears bit i.
func (b Bitstring) Set(i int, v bool) error {
	if i < 0 || i >= b.Len() {
		return fmt.Errorf("status index %d outside a list of %d", i, b.Len())
	}
	if v {
		b[i/8] |= 0x80 >> (i % 8)
	} else {
		b[i/8] &^= 0x80 >> (i % 8)
	}
	return nil
}

// Encode returns the encodedList form: multibase base64url (prefix 'u', no
// padding) of the GZIP-compressed bits.
func (b Bitstring) Encode() (string, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return "", err
	}
	if _, err := zw.Write(b); err != nil {
		return "", fmt.Errorf("compress status list: %w", err)
	}
	if err := zw.Close(); err != nil {
		return "", fmt.Errorf("compress status list: %w", err)
	}
	return "u" + base64.RawURLEncoding.EncodeToString(buf.Bytes()), nil
}

// DecodeBitstring parses an encodedList, refusing lists larger than
// MaxStatusListBits (a compressed list can expand enormously).
func DecodeBitstring(s string) (Bitstring, error) {
	if len(s) < 2 || s[0] != 'u' {
		return nil, fmt.Errorf("encodedList: not multibase base64url (must start with 'u')")
	}
	z, err := base64.RawURLEncoding.DecodeString(s[1:])
	if err != nil {
		return nil, fmt.Errorf("encodedList: %w", err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(z))
	if err != nil {
		return nil, fmt.Errorf("encodedList: %w", err)
	}
	b, err := io.ReadAll(io.LimitReader(zr, MaxStatusListBits/8+1))
	if err != nil {
		return nil, fmt.Errorf("encodedList: %w", err)
	}
	if len(b) > MaxStatusListBits/8 {
		return nil, fmt.Errorf("encodedList: longer than %d bits", MaxStatusListBits)
	}
	return Bitstring(b), nil
}

// StatusEntry is a credential's credentialStatus entry.
type StatusEntry struct {
	ID                   string `json:"id"`
	Type                 string `json:"type"`
	StatusPurpose        string `json:"statusPurpose"`
	StatusListIndex      string `json:"statusListIndex"`
	StatusListCredential string `json:"statusListCredential"`
}

// NewStatusEntry returns the BitstringStatusListEntry for index in the list
// credential at listURL.
func NewStatusEntry(listURL, purpose string, index int) StatusEntry {
	idx := strconv.Itoa(index)
	return StatusEntry{
		ID: listURL + "#" + idx, Type: "BitstringStatusListEntry", StatusPurpose: purpose,
		StatusListIndex: idx, StatusListCredential: listURL,
	}
}

// Map returns the entry as a JSON object, for embedding into a credential.
func (e StatusEntry) Map() map[string]any {
	return map[string]any{
		"id": e.ID, "type": e.Type, "statusPurpose": e.StatusPurpose,
		"statusListIndex": e.StatusListIndex, "statusListCredential": e.StatusListCredential,
	}
}

// StatusEntries reads the BitstringStatusListEntry entries of a credential.
func StatusEntries(doc map[string]any) ([]StatusEntry, error) {
	var out []StatusEntry
	for i, v := range asSlice(doc["credentialStatus"]) {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, &InputError{Field: fmt.Sprintf("credentialStatus[%d]", i), Reason: "must be an object"}
		}
		if m["type"] != "BitstringStatusListEntry" {
			continue
		}
		var e StatusEntry
		e.ID, _ = m["id"].(string)
		e.Type = "BitstringStatusListEntry"
		e.StatusPurpose, _ = m["statusPurpose"].(string)
		e.StatusListIndex, _ = m["statusListIndex"].(string)
		e.StatusListCredential, _ = m["statusListCredential"].(string)
		if n, err := strconv.Atoi(e.StatusListIndex); err != nil || n < 0 || strconv.Itoa(n) != e.StatusListIndex {
			return nil, &InputError{Field: fmt.Sprintf("credentialStatus[%d].statusListIndex", i), Reason: "must be a non-negative integer in a string"}
		}
		if e.StatusListCredential == "" || (e.StatusPurpose != StatusRevocation && e.StatusPurpose != StatusSuspension) {
			return nil, &InputError{Field: fmt.Sprintf("credentialStatus[%d]", i), Reason: "needs statusListCredential and a statusPurpose of revocation or suspension"}
		}
		out = append(out, e)
	}
	return out, nil
}

// Index returns the entry's statusListIndex as an int.
func (e StatusEntry) Index() int {
	n, _ := strconv.Atoi(e.StatusListIndex)
	return n
}
