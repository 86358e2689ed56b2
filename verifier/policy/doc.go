// Package policy owns TalentChain's talent-policy rules: eligibility rules that
// a talent-policy office writes as CEL expressions (github.com/google/cel-go)
// over the claims of verified credentials, their versioned store, their
// evaluation into a Decision with a reason per rule, and the decision's issue
// as a PolicyDecisionCredential signed by the office.
//
// A rule sees two variables: credentials, the list of the applicant's
// credentials that verified (see [Evaluate] for which ones are visible), each
// a talentchain.Credential with the fields
//
//	id, type, types, issuer, issuerName, accredited, issued, validFrom,
//	validUntil, status, subject, hours, sector, level
//
// and now, the time of the decision. For example, "a doctorate from an
// accredited university, or a master's degree and 120 hours of accredited
// training in a key sector within the last three years" is two rules,
//
//	credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'doctor' && c.accredited)
//
//	credentials.exists(c, c.type == 'DegreeCredential' && c.level == 'master' && c.accredited) &&
//	sumHours(credentials.filter(c, c.type == 'TrainingCertificateCredential' && c.accredited &&
//	    c.sector in ['ai', 'ic'] && c.issued >= addYears(now, -3))) >= 120
//
// combined with "any". Rules are compiled when a policy is saved: a rule that
// does not parse, names an unknown variable or field, or does not yield a
// bool is refused with its line and column. Evaluation is bounded by a cost
// limit and by the caller's context.
package policy
