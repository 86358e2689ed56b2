// Package pdfdoc writes the printable PDF documents of TalentChain: the
// certificate of a credential a holder downloads from the wallet (A4
// landscape, with a QR code leading to the credential's public verification
// page) and the verification report a verifier files (A4 portrait, every
// check with its state and message).
//
// Both print Chinese and English text: Latin, Greek and Cyrillic with the Go
// fonts, CJK with Droid Sans Fallback (third_party/fonts); each document
// embeds only the glyphs it uses (font subsets), so a certificate is tens of
// kilobytes, not megabytes. Labels and dates are printed in the document's
// language (zh or en); the caller's text is printed as given.
//
// The data are validated before anything is written (required fields,
// lengths, http or https URLs, characters the fonts can draw); a refusal
// wraps ErrInvalid and carries one *ValidationError per refused field.
// Both functions are safe for concurrent use.
package pdfdoc
