// Package issuer is the issuing side of TalentChain: issuer organisations
// (their DIDs on chain, their signing keys sealed at rest, their API
// tokens), credential templates with a JSON Schema per credential type,
// single and batch issuance of W3C verifiable credentials, anchoring of
// credential digests on chain in Merkle batches, and revocation, suspension
// and reinstatement through the on-chain Bitstring Status Lists.
//
// The package owns its model (Org, Token, Record, Request), its rules and
// its errors. It declares the few chain operations it needs (Chain) and how
// governance transactions get signed (Governance); cmd/ hands it the chain
// client. It knows nothing of HTTP: a web layer maps the sentinel errors
// (ErrNotFound, ErrUnauthenticated, ErrForbidden, ErrInvalid,
// ErrNotAccredited, ErrIssuerNotActive, ErrConflict) to statuses.
//
// Store layout, under the namespace the caller gives the service
// (store.WithPrefix(s, "issuer/")):
//
//	org/{did}                 Org
//	key/{keyID}               sealed Ed25519 seed (associated data: "issuer/key/{keyID}")
//	token/{id}                tokenRecord (SHA-256 of the token, never the token)
//	staff/{did}/{username}    staffRecord (argon2id hash of the password)
//	cred/{credID}             credRecord: the signed credential and its status
//	credorg/{did}/{credID}    the credential's listing entry (credindex.go)
//	meta/credorg-index        set once every record has its listing entry
//	receipt/{credID}          the credential's anchor receipt, once anchored
//	pending/{did}/{credID}    digest waiting for an anchor
//	batch/{did}/{root}        a batch being anchored (ids and digests, in order)
//	idem/{did}/{key}          credential id of an idempotency key
//	alloc/{did}               status list index counter
//	audit/{did}/{time}-{rand} AuditEntry
//	job/{did}/{jobID}         Job (CSV batch job: status, progress, errors)
//	jobactive/{jobID}         org of a job not finished (for ResumeJobs)
//	joblease/{jobID}          the service instance running the job (TTL, renewed)
//	jobcancel/{jobID}         a cancel request
//	jobrows/{jobID}/{n}       the validated rows of chunk n (until done or canceled)
//	jobres/{jobID}/{n}        the results of chunk n (row key → credential id)
//	offer/{offerID}           offerRecord (hashes of the code and tx code, never them)
//	offercode/{hash16}        offer id by the SHA-256 of its code (TTL; taken once)
//	offerfail/{offerID}       wrong tx code count
//	offertoken/{hash16}       access token record by its SHA-256 (TTL 5 min; taken once)
package issuer
