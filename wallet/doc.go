// Package wallet is the holder's side of TalentChain: holder accounts
// (argon2id passwords, sessions kept in the store, login rate limits shared
// by replicas, CSRF tokens), each with a did:key whose private key is
// sealed at rest; receiving credentials from issuers' OpenID4VCI offers
// (pre-authorized code) or from files, verified before they are stored;
// the listing with live status; presentations signed by the holder for a
// verifier's challenge and domain, and answers to DIF Presentation Exchange
// requests after the holder's consent; share links with an access log; and
// encrypted backups that restore into a new account or another deployment.
//
// The package owns its model (Account, Session, Credential, Share), its
// rules and its errors. It declares what it needs of other services —
// CredentialVerifier and StatusChecker (the verifier pipeline), Matcher
// (Presentation Exchange) and SDJWT (SD-JWT VC) — and cmd/ wires them. It
// knows nothing of HTTP handlers: a web layer maps the sentinel errors to
// statuses (see the comments on each); the HTTP client it uses to reach
// issuers and verifiers is its own (http(s) only, an origin allow-list or
// public addresses only, no redirects, timeouts, size limits).
//
// Every method that touches a holder's data takes the holder's account id,
// and every record lives under that id: one holder can never read,
// present, share or delete another's credentials (another's id is
// ErrNotFound).
//
// Store layout, under the namespace the caller gives the service
// (store.WithPrefix(s, "wallet/")):
//
//	user/{username}                   account id (usernames are unique)
//	acct/{account}                    accountRecord (argon2id salt and hash)
//	key/{account}                     sealed Ed25519 seed (associated data "wallet/key/{account}/{did}")
//	sess/{hash}                       sessionRecord, TTL = idle timeout (hash: SHA-256 of the id, 16 bytes hex)
//	sessidx/{account}/{hash}          the account's sessions, for LogoutAll
//	sessend/{hash}                    tombstone of an ended session (a concurrent refresh cannot revive it)
//	rl/{user|ip}/{bucket}/{window}    login attempt counters (bucket: salted hash, never the name or address)
//	cred/{account}/{credential}       credRecord summary: what a listing shows (the report's state, not its checks)
//	doc/{account}/{credential}        detailRecord: the credential (JSON or compact SD-JWT), its receipt, the report's checks
//	digest/{account}/{sha256}         credential id, so a credential is held once
//	req/{account}/{pending}           a fetched presentation request waiting for consent
//	share/{account}/{share}           shareRecord: link metadata, token hash, presentation
//	sharetok/{hash}                   {account, share, hash} for opening a link by its token
//	sharecnt/{account}/{share}        openings counter
//	sharelog/{account}/{share}/{time} Access
package wallet
