// Package courses owns TalentChain's course catalogue and what happens to a
// learner in a course: enrolment (by the learner's DID or by a one-time
// invitation code), capacity and prerequisites, withdrawal, assessment
// results, completion and the learning hours a learner accumulates across
// providers.
//
// Completing a course asks the issuer for a training certificate (or a course
// completion credential) through [CertificateIssuer], the one interface this
// package needs from the issuer service; cmd/ wires the two together. The
// transcript of a learner's completed courses, with hours, credits and the
// ids of their credentials, is returned as a [Transcript] and, for the issuer
// to sign, as the credentialSubject claims of a LearningTranscriptCredential
// ([Service.TranscriptClaims]).
//
// Records live in a store.Store, normally a store.WithPrefix view
// ("courses/") of the deployment's store. Every rule that must hold under
// concurrency (capacity, one enrolment per learner, one certificate per
// completion, one use per invitation) rests on the store's atomic Create,
// Take and Incr, so it holds across replicas sharing Redis as well as in the
// embedded store. docs/design/courses.md describes the records and why.
package courses
