package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"

	"github.com/talentchain/talentchain/credential"
)

// OpenID4VCI names.
const (
	// OfferScheme is the scheme of a credential offer link.
	OfferScheme = "openid-credential-offer"
	// GrantPreAuthorized is the pre-authorized code grant type.
	GrantPreAuthorized = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
	// maxOfferLen bounds an offer (the link or the JSON).
	maxOfferLen = 16 << 10
)

// Offer is an OpenID4VCI 1.0 credential offer with a pre-authorized code.
type Offer struct {
	CredentialIssuer string   `json:"credential_issuer" validate:"required,max=2048"`
	ConfigurationIDs []string `json:"credential_configuration_ids" validate:"required,min=1,max=10,unique,dive,required,max=200"`
	Grants           Grants   `json:"grants"`
}

// Grants are the grants an offer allows; the wallet uses the
// pre-authorized code grant only.
type Grants struct {
	PreAuthorized     *PreAuthorizedGrant `json:"urn:ietf:params:oauth:grant-type:pre-authorized_code,omitempty"`
	AuthorizationCode json.RawMessage     `json:"authorization_code,omitempty"`
}

// PreAuthorizedGrant carries the one-time code, and whether the holder must
// type a transaction code (a PIN the issuer sent another way).
type PreAuthorizedGrant struct {
	Code   string  `json:"pre-authorized_code" validate:"required,max=4096"`
	TxCode *TxCode `json:"tx_code,omitempty"`
}

// TxCode describes the transaction code the holder must type.
type TxCode struct {
	Length      int    `json:"length,omitempty" validate:"gte=0,lte=64"`
	InputMode   string `json:"input_mode,omitempty" validate:"omitempty,oneof=numeric text"`
	Description string `json:"description,omitempty" validate:"max=300"`
}

// ParseOffer reads a credential offer: an
// "openid-credential-offer://?credential_offer=<JSON>" link (or an https
// link with that parameter), or the offer JSON itself. An offer by
// reference (credential_offer_uri: see OfferReference) or without a
// pre-authorized code is ErrUnsupported; anything malformed ErrInvalid.
func ParseOffer(s string) (*Offer, error) {
	s = strings.TrimSpace(s)
	if len(s) > maxOfferLen {
		return nil, invalid("/offer", fmt.Sprintf("longer than %d bytes", maxOfferLen))
	}
	raw := s
	if !strings.HasPrefix(s, "{") {
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != OfferScheme && u.Scheme != "https" && u.Scheme != "http") {
			return nil, invalid("/offer", "must be an openid-credential-offer:// link or the offer JSON")
		}
		q, err := url.ParseQuery(u.RawQuery)
		if err != nil {
			return nil, invalid("/offer", "the link's query is malformed")
		}
		if q.Has("credential_offer_uri") && !q.Has("credential_offer") {
			return nil, fmt.Errorf("%w: offers by reference (credential_offer_uri)", ErrUnsupported)
		}
		if len(q["credential_offer"]) != 1 {
			return nil, invalid("/offer", "the link must carry exactly one credential_offer parameter")
		}
		raw = q.Get("credential_offer")
	}
	d := json.NewDecoder(strings.NewReader(raw))
	var o Offer
	if err := d.Decode(&o); err != nil {
		return nil, invalid("/offer", "the offer is not JSON of the OpenID4VCI shape: "+err.Error())
	}
	if d.More() {
		return nil, invalid("/offer", "unexpected data after the offer")
	}
	if err := check(o); err != nil {
		return nil, err
	}
	u, err := url.Parse(o.CredentialIssuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, invalid("/credential_issuer", "must be an http(s) URL without user info, query or fragment")
	}
	if o.Grants.PreAuthorized == nil {
		return nil, fmt.Errorf("%w: the offer has no pre-authorized code grant", ErrUnsupported)
	}
	if err := check(o.Grants.PreAuthorized); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			for i := range ve.Fields {
				ve.Fields[i].Field = "/grants/" + GrantPreAuthorized + ve.Fields[i].Field
			}
		}
		return nil, err
	}
	return &o, nil
}

// OfferReference returns the credential_offer_uri of an offer link that
// carries its offer by reference ("openid-credential-offer://?
// credential_offer_uri=https://..."), and "" for any other input.
func OfferReference(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxOfferLen || strings.HasPrefix(s, "{") {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != OfferScheme && u.Scheme != "https" && u.Scheme != "http") {
		return ""
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil || q.Has("credential_offer") || len(q["credential_offer_uri"]) != 1 {
		return ""
	}
	return q.Get("credential_offer_uri")
}

// AcceptOffer is the holder's answer to an offer.
type AcceptOffer struct {
	// Offer is the offer link (openid-credential-offer://…) or JSON.
	Offer string `json:"offer" validate:"required"`
	// TxCode is the transaction code, when the offer asks for one.
	TxCode string `json:"txCode,omitempty" validate:"max=64"`
}

// tokenResponse is the token endpoint's answer.
type tokenResponse struct {
	AccessToken string `json:"access_token" validate:"required,max=4096"`
	TokenType   string `json:"token_type" validate:"required"`
	ExpiresIn   int64  `json:"expires_in" validate:"gte=0"`
	CNonce      string `json:"c_nonce,omitempty" validate:"max=4096"`
}

// AcceptOffer redeems an offer's pre-authorized code at the issuer's token
// endpoint ({credential_issuer}/oid4vci/token), fetches each offered
// credential from {credential_issuer}/oid4vci/credential, verifies it and
// stores it. The issuer refusing the code (used, expired, wrong
// transaction code) is ErrOfferRefused; an issuer origin not allowed
// ErrForbiddenURL. Credentials stored before a failure are returned with
// the error.
func (s *Service) AcceptOffer(ctx context.Context, account string, req AcceptOffer) ([]*Credential, error) {
	if err := check(req); err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}
	acct, err := s.account(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}
	offer := req.Offer
	if ref := OfferReference(offer); ref != "" {
		// By reference: the offer JSON is fetched (once: the issuer
		// forgets it) from an URL the wallet is allowed to reach.
		u, _, err := s.remote.checkURL(ref)
		if err != nil {
			return nil, fmt.Errorf("accept offer: credential_offer_uri: %w", err)
		}
		body, err := s.remote.getJSON(ctx, u)
		if err != nil {
			var re *RemoteError
			if errors.As(err, &re) && re.Status == 404 {
				return nil, fmt.Errorf("accept offer: %w: the offer behind credential_offer_uri is gone (used or expired)", ErrOfferRefused)
			}
			return nil, fmt.Errorf("accept offer: credential_offer_uri: %w", err)
		}
		offer = string(body)
	}
	o, err := ParseOffer(offer)
	if err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}
	grant := o.Grants.PreAuthorized
	if err := checkTxCode(grant.TxCode, req.TxCode); err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}
	base := strings.TrimRight(o.CredentialIssuer, "/")
	tokenURL, origin, err := s.remote.checkURL(base + "/oid4vci/token")
	if err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}
	credURL, _, err := s.remote.checkURL(base + "/oid4vci/credential")
	if err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}

	form := url.Values{"grant_type": {GrantPreAuthorized}, "pre-authorized_code": {grant.Code}}
	if grant.TxCode != nil {
		form.Set("tx_code", req.TxCode)
	}
	_, body, err := s.remote.postForm(ctx, tokenURL, form, true)
	if err != nil {
		var re *RemoteError
		if errors.As(err, &re) && (re.Code == "invalid_grant" || re.Code == "invalid_request" && re.Status == 400) {
			return nil, fmt.Errorf("accept offer: %w: %w", ErrOfferRefused, err)
		}
		return nil, fmt.Errorf("accept offer: token: %w", err)
	}
	var tok tokenResponse
	if err := json.Unmarshal(body, &tok); err != nil || check(tok) != nil || !strings.EqualFold(tok.TokenType, "Bearer") {
		return nil, fmt.Errorf("accept offer: %w", &RemoteError{URL: base + "/oid4vci/token", Status: 200, Reason: "not a Bearer token response"})
	}

	nonceURL, _, err := s.remote.checkURL(base + "/oid4vci/nonce")
	if err != nil {
		return nil, fmt.Errorf("accept offer: %w", err)
	}
	pr := &prover{s: s, acct: acct, aud: o.CredentialIssuer, nonceURL: nonceURL, nonce: tok.CNonce}
	var out []*Credential
	for _, cfgID := range o.ConfigurationIDs {
		body, err := pr.request(ctx, credURL, tok.AccessToken, cfgID)
		if err != nil {
			return out, fmt.Errorf("accept offer: credential %s: %w", cfgID, err)
		}
		ins, err := parseCredentialResponse(body)
		if err != nil {
			return out, fmt.Errorf("accept offer: credential %s: %w", cfgID, &RemoteError{URL: base + "/oid4vci/credential", Status: 200, Reason: err.Error()})
		}
		for _, in := range ins {
			in.source, in.origin = SourceOffer, origin
			c, err := s.admit(ctx, acct, in)
			if err != nil {
				return out, fmt.Errorf("accept offer: %w", err)
			}
			out = append(out, c)
		}
	}
	return out, nil
}

// checkTxCode checks the holder typed the transaction code the offer asks
// for, in its declared shape, and none when it asks for none.
func checkTxCode(want *TxCode, got string) error {
	switch {
	case want == nil && got != "":
		return invalid("/txCode", "the offer asks for no transaction code")
	case want == nil:
		return nil
	case got == "":
		return invalid("/txCode", "the offer asks for a transaction code")
	case want.Length > 0 && len([]rune(got)) != want.Length:
		return invalid("/txCode", fmt.Sprintf("must be %d characters", want.Length))
	case want.InputMode == "" || want.InputMode == "numeric":
		for _, r := range got {
			if r < '0' || r > '9' {
				return invalid("/txCode", "must be digits")
			}
		}
	default:
		for _, r := range got {
			if unicode.IsControl(r) {
				return invalid("/txCode", "must be printable")
			}
		}
	}
	return nil
}

// parseCredentialResponse reads the credential endpoint's answer:
// {"credentials": [{"credential": <VC or SD-JWT>}...], "anchorReceipt": {...}}.
// The receipt goes with the W3C credential it checks against.
func parseCredentialResponse(body []byte) ([]*incoming, error) {
	doc, err := credential.ParseDocument(bytes.TrimSpace(body))
	if err != nil {
		return nil, err
	}
	list, ok := doc["credentials"].([]any)
	if !ok || len(list) == 0 || len(list) > 10 {
		return nil, errors.New("the answer must have 1 to 10 credentials")
	}
	var ins []*incoming
	for i, item := range list {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("credentials[%d] must be an object", i)
		}
		switch c := m["credential"].(type) {
		case map[string]any:
			if _, ok := c["@context"]; !ok {
				return nil, fmt.Errorf("credentials[%d].credential is not a W3C credential", i)
			}
			ins = append(ins, &incoming{format: FormatLDP, doc: c})
		case string:
			if !looksLikeSDJWT(c) {
				return nil, fmt.Errorf("credentials[%d].credential is a string but not an SD-JWT", i)
			}
			ins = append(ins, &incoming{format: FormatSDJWT, compact: c})
		default:
			return nil, fmt.Errorf("credentials[%d].credential must be a credential object or an SD-JWT", i)
		}
	}
	if r, ok := doc["anchorReceipt"]; ok && r != nil {
		rc, err := parseReceipt(r)
		if err != nil {
			return nil, err
		}
		matched := false
		for _, in := range ins {
			if in.checkReceipt(rc) == nil {
				in.receipt, matched = rc, true
				break
			}
		}
		if !matched {
			return nil, errors.New("the anchor receipt belongs to none of the credentials")
		}
	}
	return ins, nil
}
