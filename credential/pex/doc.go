// Package pex implements DIF Presentation Exchange v2.0 for TalentChain: the
// presentation definition a verifier sends (what it asks for and why), the
// presentation submission a holder returns (which presented element answers
// which input descriptor), and the three operations around them:
//
//   - Parse and New validate a definition when it is created: every JSONPath
//     compiles, every filter compiles as a JSON Schema whose keywords are all
//     understood, submission requirements name existing groups, and the size
//     limits (MaxDescriptors, MaxFields, MaxPathLength, ...) hold.
//   - Match (wallet side) tells, for every input descriptor, which of the
//     holder's credentials satisfy it, the value each field matched (to show
//     the holder exactly which claims are asked and ask consent), why the other
//     credentials do not match, and whether the submission requirements can be
//     met. Build then turns the holder's choice into a presentation_submission.
//   - Evaluate (verifier side) follows a received submission's descriptor_map
//     into the presentation, re-checks every filter on the data actually
//     presented and checks the submission requirements.
//
// The package does not verify proofs or signatures: it runs after (verifier)
// or before (wallet) the credential package's checks. Its JSONPath is a small
// strict subset (see ParsePath) and its filters are JSON Schema (draft-07 by
// default) compiled with github.com/santhosh-tekuri/jsonschema/v6, with the
// formatMinimum/formatMaximum keywords PE uses for dates.
package pex
