// Package credential is the domain core of TalentChain: the W3C Verifiable
// Credentials data model (2.0 and 1.1), the offline JSON-LD document loader with
// the embedded standard and project contexts, canonical bytes, the Data Integrity
// eddsa-rdfc-2022 and ecdsa-rdfc-2019 (P-256, P-384) cryptosuites,
// Ed25519Signature2020 through aries-framework-go, Ed25519Signature2018,
// did:key and did:jwk resolution, and the strict verification rules that every
// credential and presentation accepted by TalentChain must pass.
//
// Verification never trusts a library alone: the rules here refuse a credential
// without a proof, a proof by a key that is not the issuer's, a presentation whose
// embedded credentials do not verify and a presentation made for another
// challenge or domain.
package credential
