package wallet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/sdjwt"
	"github.com/talentchain/talentchain/credential/vcjwt/jose"
)

// ProofJWTType is the typ of an OpenID4VCI key proof JWT.
const ProofJWTType = "openid4vci-proof+jwt"

// prover asks an issuer's credential endpoint for credentials with a proof
// of possession of the holder's key (OpenID4VCI 1.0 §8.2, proofs.jwt): the
// JWT is signed by the holder's did:key, kid = its verification method,
// aud = the credential issuer, nonce = a c_nonce of the issuer (the token
// response's first, then one from {issuer}/oid4vci/nonce per credential).
// An issuer that gives no nonce gets no proof (the credential is then
// bound to whatever the issuer bound it to at issuance, which the wallet
// checks on receipt).
type prover struct {
	s        *Service
	acct     *accountRecord
	aud      string
	nonceURL *url.URL
	nonce    string // the token response's c_nonce, until used
	noNonce  bool   // the nonce endpoint failed: send no more proofs
}

// request asks for the credential of configuration cfgID; an issuer
// answering invalid_nonce gets one more try with a fresh nonce.
func (p *prover) request(ctx context.Context, credURL *url.URL, token, cfgID string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		body := map[string]any{"credential_configuration_id": cfgID}
		if n := p.take(ctx); n != "" {
			proof, err := p.proof(ctx, n)
			if err != nil {
				return nil, err
			}
			body["proofs"] = map[string]any{"jwt": []string{proof}}
		}
		out, err := p.s.remote.postJSON(ctx, credURL, token, body)
		var re *RemoteError
		if err != nil && attempt == 0 && errors.As(err, &re) && re.Code == "invalid_nonce" {
			continue
		}
		return out, err
	}
}

// take returns a c_nonce to use, "" when the issuer gives none.
func (p *prover) take(ctx context.Context) string {
	if n := p.nonce; n != "" {
		p.nonce = ""
		return n
	}
	if p.noNonce {
		return ""
	}
	_, body, err := p.s.remote.postForm(ctx, p.nonceURL, url.Values{}, true)
	var ans struct {
		CNonce string `json:"c_nonce"`
	}
	if err != nil || json.Unmarshal(body, &ans) != nil || ans.CNonce == "" || len(ans.CNonce) > 4096 {
		p.noNonce = true
		return ""
	}
	return ans.CNonce
}

// proof signs a key proof JWT for nonce with the holder's key.
func (p *prover) proof(ctx context.Context, nonce string) (string, error) {
	kp, err := p.s.holderKey(ctx, p.acct)
	if err != nil {
		return "", err
	}
	defer clear(kp.Private)
	signer, err := jose.NewSigner(kp.Private, kp.ID)
	if err != nil {
		return "", fmt.Errorf("proof of possession: %w", err)
	}
	return signer.SignJSON(map[string]any{"typ": ProofJWTType},
		map[string]any{"aud": p.aud, "iat": p.s.cfg.Now().Unix(), "nonce": nonce})
}

// checkReceipt checks that an anchor receipt belongs to the incoming
// credential and that its path leads to its root (the chain check of the
// root is the verifier's).
func (in *incoming) checkReceipt(r *credential.AnchorReceipt) error {
	if in.format == FormatLDP {
		return r.Check(in.doc)
	}
	return r.CheckDigest(sdjwt.AnchorDigest(in.compact))
}

// SDJWTChainVerifier is what a CredentialVerifier may also do: verify an
// SD-JWT VC through the whole pipeline (signature and disclosures, issuer
// accredited on chain, key in force at issuance, receipt anchored by the
// issuer, status), as it verifies JSON credentials. When the wallet's
// CredentialVerifier implements it, SD-JWT VCs are checked by it on
// receipt, besides the SDJWT handler (which still reads their claims);
// otherwise only by the SDJWT handler. Contract as VerifyCredential's.
type SDJWTChainVerifier interface {
	VerifySDJWTCredential(ctx context.Context, compact string, receipt *credential.AnchorReceipt) (*Verification, error)
}

// unixTime is a JWT NumericDate claim as a time (zero when absent).
func unixTime(claims map[string]any, k string) time.Time {
	if f, ok := claims[k].(float64); ok {
		return time.Unix(int64(f), 0).UTC()
	}
	return time.Time{}
}
