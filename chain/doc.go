// Package chain owns the TalentChain consortium ledger: the deterministic
// CometBFT (v0.38, ABCI 2.0) application that keeps the registry of issuers,
// governance, accreditations, anchors and status lists; the versioned,
// canonical, signed transaction wire format; the authenticated state (a Merkle
// tree over the sorted key/value set whose root is the AppHash) with proofs a
// remote client can verify; and, for the embedded runtime, a single-validator
// node launcher and a client that submits transactions and confirms their
// inclusion.
//
// The application is deterministic: it never reads the wall clock, never
// iterates a map to produce state or results, uses no floating point, and
// takes block time from the block header. Invalid transactions are answered
// with result codes ([Code]) and a log line, never with Go errors.
//
// See docs/design/chain.md for the design decisions.
package chain
