// Package verifier owns TalentChain's verification pipeline: it checks a
// credential or a presentation step by step — format and schema, proof,
// issuer accreditation on chain at the time of issuance, the issuer key in
// force at that time, the anchor receipt against the on-chain root, the
// status bits on chain, the validity period and, for presentations, the
// challenge, domain, holder binding and replay — and reports every step with
// a message in plain English and Chinese.
//
// The cryptographic rules are the credential core's (package credential);
// this package adds what only the chain can tell, through the small [Chain]
// interface that *chain.Client satisfies. It never fetches anything from an
// issuer's web site: status lists and keys come from chain state only.
//
// Credential formats plug in through [CredentialFormat] and
// [PresentationFormat]; the JSON-LD form with embedded proofs is built in.
// See docs/design/verifier.md for the decisions and measurements.
package verifier
