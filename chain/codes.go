package chain

import "fmt"

// Code is an ABCI result code of the TalentChain application. Zero is success;
// every other value names why a transaction or query was refused. The numbers
// are part of the wire contract: never renumber, only append.
type Code uint32

// Result codes.
const (
	CodeOK                     Code = 0
	CodeMalformed              Code = 1  // bytes are not a canonical transaction
	CodeUnsupportedVersion     Code = 2  // envelope version unknown
	CodeUnknownType            Code = 3  // transaction type unknown
	CodeTooLarge               Code = 4  // transaction exceeds MaxTxBytes
	CodeInvalidPayload         Code = 5  // payload fails its validation rules
	CodeBadSignature           Code = 6  // a signature does not verify
	CodeWrongSigner            Code = 7  // signer is not allowed for this transaction
	CodeBadSequence            Code = 8  // sequence is not last+1 (replay or gap)
	CodeInsufficientSignatures Code = 9  // fewer governance signatures than the threshold
	CodeDuplicateSignature     Code = 10 // the same key signed twice
	CodeNotMember              Code = 11 // a governance signature by a non-member key
	CodeUnknownIssuer          Code = 12 // issuer DID is not registered
	CodeIssuerNotActive        Code = 13 // issuer is suspended or removed
	CodeNotAccredited          Code = 14 // issuer lacks the accreditation needed
	CodeKeyNotCurrent          Code = 15 // key rotated out, or not yet valid
	CodeConflict               Code = 16 // the thing already exists or the state forbids it
	CodeNotFound               Code = 17 // query: no such entry
	CodeBadQuery               Code = 18 // query: unknown path or bad argument
	CodeInternal               Code = 19 // query: internal failure (never in consensus)
)

var codeNames = [...]string{
	"ok", "malformed", "unsupported_version", "unknown_type", "too_large",
	"invalid_payload", "bad_signature", "wrong_signer", "bad_sequence",
	"insufficient_signatures", "duplicate_signature", "not_member",
	"unknown_issuer", "issuer_not_active", "not_accredited", "key_not_current",
	"conflict", "not_found", "bad_query", "internal",
}

// String returns the code's stable name, e.g. "bad_sequence".
func (c Code) String() string {
	if int(c) < len(codeNames) {
		return codeNames[c]
	}
	return fmt.Sprintf("code(%d)", uint32(c))
}

// CodeError is a refusal with its result code. The application turns it into
// an ABCI response code and log; the client returns it to callers, who can
// branch on Code with errors.As.
type CodeError struct {
	Code Code
	Msg  string
}

func (e *CodeError) Error() string { return e.Code.String() + ": " + e.Msg }

func errf(c Code, format string, args ...any) *CodeError {
	return &CodeError{Code: c, Msg: fmt.Sprintf(format, args...)}
}
