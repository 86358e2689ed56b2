package verifier

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/talentchain/talentchain/credential"
)

// presentationSteps appends the presentation's own steps but replay: format,
// proof, challenge, domain and holder binding. It reports whether the
// holder's proof and the challenge verified (the presentation answers this
// verifier's challenge), which replayStep needs.
func (v *Verifier) presentationSteps(rep *Report, sp *SecuredPresentation, opts Options) bool {
	checks := sp.Checks
	// Format.
	if _, bad := failedCheck(checks, named(credential.CheckFormat)); bad != nil {
		rep.add(StepFormat, StepFailed,
			msg("This is not a presentation TalentChain can read (%s). It may be damaged or made by an incompatible wallet; ask the holder to share it again.",
				"无法识别为可验证出示（%s）。文件可能已损坏，或由不兼容的钱包生成；请持有人重新出示。", bad.Message),
			map[string]any{"reason": bad.Message})
		rep.skip(msg("Not checked: the presentation could not be read.", "未检查：无法读取该出示。"),
			StepProof, StepChallenge, StepDomain, StepHolder)
		return false
	}
	empty := false
	for _, c := range checks {
		if c.Name == credential.CheckCredentials && c.Warning {
			empty = true
		}
	}
	kindEN, kindZH := "A W3C verifiable presentation", "一份 W3C 可验证出示"
	if rep.MediaType == MediaTypeVCSDJWT || rep.MediaType == MediaTypeDCSDJWT {
		kindEN, kindZH = "An SD-JWT VC presented with key binding", "一份带持有人密钥绑定出示的 SD-JWT VC"
	}
	if empty {
		rep.add(StepFormat, StepWarning,
			text{fmt.Sprintf("%s by %s, but it holds no credential: there is nothing to rely on.", kindEN, sp.Holder),
				fmt.Sprintf("%s（由 %s 出示），但其中没有任何凭证：没有可以采信的内容。", kindZH, sp.Holder)}, nil)
	} else {
		rep.add(StepFormat, StepOK,
			text{fmt.Sprintf("%s by %s holding %d credential(s).", kindEN, sp.Holder, len(sp.Credentials)),
				fmt.Sprintf("%s（由 %s 出示），包含 %d 份凭证。", kindZH, sp.Holder, len(sp.Credentials))},
			map[string]any{"mediaType": rep.MediaType})
	}

	// Proof of the holder.
	// As for credentials: every check not about format, challenge or domain
	// belongs to the holder's proof.
	proofNames := not(named(credential.CheckFormat, credential.CheckCredentials, credential.CheckChallenge, credential.CheckDomain))
	proofOK := false
	switch found, bad := failedCheck(checks, proofNames); {
	case !found:
		rep.add(StepProof, StepFailed, msg("The presentation carries no proof this verifier could examine: nobody vouches for it. Ask the holder to present again from their wallet.",
			"该出示没有本验证服务可以检查的证明：无人为其担保。请持有人从钱包中重新出示。"), nil)
	case bad != nil:
		rep.add(StepProof, StepFailed,
			msg("The holder's signature on the presentation is not valid (%s). It was changed after signing or was not signed by the holder. Do not rely on it.",
				"持有人对本出示的签名无效（%s）。出示内容在签名后被改动过，或并非由持有人签名。请勿采信。", bad.Message),
			map[string]any{"reason": bad.Message, "checks": checkMessages(checks, proofNames)})
	default:
		proofOK = true
		rep.add(StepProof, StepOK,
			msg("The holder %s signed this presentation, and it has not been changed since.", "持有人 %s 对本出示进行了签名，且签名后未被改动。", sp.Holder),
			map[string]any{"checks": checkMessages(checks, proofNames)})
	}

	// Challenge.
	challengeOK := false
	switch found, bad := failedCheck(checks, named(credential.CheckChallenge)); {
	case !found:
		rep.add(StepChallenge, StepSkipped, msg("Not checked: the presentation has no proof to carry a challenge.", "未检查：该出示没有可携带挑战值的证明。"), nil)
	case bad != nil:
		rep.add(StepChallenge, StepFailed,
			msg("The presentation was made for another request: its challenge does not match yours. It may be a copy of an earlier presentation. Ask the holder to answer your current request.",
				"本出示是为另一个请求生成的：其挑战值与您的不符，可能是先前出示的副本。请持有人回应您当前的请求。"),
			map[string]any{"reason": bad.Message})
	default:
		challengeOK = true
		if opts.Reusable {
			// A share link's (or one shown again): made for its own
			// challenge, not in answer to the reader.
			rep.add(StepChallenge, StepOK, msg("The holder signed this presentation for its own challenge (a share link, or a presentation shown again); it answers no request of yours.", "持有人为其自身的挑战值签署了这份出示（分享链接或再次出示），并非回应您发起的请求。"), nil)
		} else {
			rep.add(StepChallenge, StepOK, msg("The presentation answers your request: it carries the challenge you issued.", "本出示回应的是您的请求：其中包含您发出的挑战值。"), nil)
		}
	}

	// Domain.
	var domain *credential.Check
	for i := range checks {
		if checks[i].Name == credential.CheckDomain {
			domain = &checks[i]
		}
	}
	switch {
	case domain == nil && opts.Domain == "":
		rep.add(StepDomain, StepSkipped, msg("No domain was expected, and the presentation names none.", "未要求域名，出示中也未注明。"), nil)
	case domain == nil:
		rep.add(StepDomain, StepSkipped, msg("Not checked: the presentation has no proof to carry a domain.", "未检查：该出示没有可携带域名的证明。"), nil)
	case !domain.Passed:
		rep.add(StepDomain, StepFailed,
			msg("The presentation was made for another site, not %s. Someone may be passing on a presentation meant for somebody else. Do not rely on it.",
				"本出示是为其他站点生成的，而非 %s。可能有人在转交原本给他人的出示。请勿采信。", opts.Domain),
			map[string]any{"reason": domain.Message})
	case domain.Warning:
		rep.add(StepDomain, StepWarning,
			msg("The presentation names a site (domain) but you expected none; check that it was meant for you.", "该出示注明了站点（域名），但您并未要求；请确认它是出示给您的。"),
			map[string]any{"reason": domain.Message})
	default:
		if opts.Reusable {
			rep.add(StepDomain, StepOK, msg("Made for this site, %s.", "本出示是为本站点 %s 生成的。", opts.Domain), nil)
		} else {
			rep.add(StepDomain, StepOK, msg("Made for your site, %s.", "本出示是为您的站点 %s 生成的。", opts.Domain), nil)
		}
	}

	// Holder binding: the holder must be the subject of each credential.
	v.holderStep(rep, sp)

	return proofOK && challengeOK
}

// replayStep appends the replay step, last: a verified answer to a challenge
// is accepted once. The challenge is recorded only when every other step of
// the presentation and of its credentials passed (warnings allowed), with
// the seen set's atomic first use, so that a presentation refused for
// another reason, or one whose chain reads failed, does not use up the
// challenge the holder needs to answer again.
func (v *Verifier) replayStep(ctx context.Context, rep *Report, opts Options, answered bool) error {
	failed := slices.ContainsFunc(rep.Steps, func(s Step) bool { return s.State == StepFailed }) ||
		slices.ContainsFunc(rep.Credentials, func(c *Report) bool { return c.State == StateInvalid })
	switch {
	case !answered:
		rep.add(StepReplay, StepSkipped, msg("Not checked: the presentation's proof or challenge did not verify.", "未检查：出示的签名或挑战值未通过验证。"), nil)
	case opts.Reusable:
		rep.add(StepReplay, StepSkipped, msg("Not applicable: this presentation is meant to be opened many times (a share link), so its challenge is not single-use.",
			"不适用：该出示可被多次打开（分享链接），其挑战值并非一次性。"), map[string]any{"reusable": true})
	case failed:
		rep.add(StepReplay, StepSkipped, msg("Not recorded: another check failed, so this answer was not accepted and its challenge stays usable for a corrected answer.",
			"未记录：其他检查未通过，本次回应未被接受，挑战值仍可用于更正后的回应。"), nil)
	case v.cfg.Seen == nil:
		rep.add(StepReplay, StepWarning,
			msg("Replay was not checked: this verifier keeps no record of used challenges. Make sure each challenge is accepted once.",
				"未检查重放：本验证服务未记录已使用的挑战值。请确保每个挑战值只被接受一次。"), nil)
	default:
		first, err := v.cfg.Seen.FirstUse(ctx, challengeKey(opts.Challenge), v.cfg.ReplayTTL)
		if err != nil {
			return fmt.Errorf("%w: replay check: %w", ErrUnavailable, err)
		}
		if !first {
			rep.add(StepReplay, StepFailed,
				msg("Replayed: this challenge has already been answered. A presentation is accepted only once; ask the holder to answer a new request.",
					"重放：该挑战值已被回应过。一份出示只能被接受一次；请持有人回应新的请求。"), nil)
		} else {
			rep.add(StepReplay, StepOK, msg("First use of this challenge: not a replay.", "该挑战值为首次使用：不是重放。"), nil)
		}
	}
	return nil
}

func (v *Verifier) holderStep(rep *Report, sp *SecuredPresentation) {
	if len(sp.Credentials) == 0 {
		rep.add(StepHolder, StepSkipped, msg("No credential to bind to the holder.", "没有需要与持有人对应的凭证。"), nil)
		return
	}
	var unbound []string
	for i, sec := range sp.Credentials {
		ids := subjectIDs(sec.Document)
		bound, named := false, false
		for _, id := range ids {
			if id != "" {
				named = true
			}
			if id != "" && id == sp.Holder {
				bound = true
			}
		}
		switch {
		case bound:
		case !named:
			unbound = append(unbound, fmt.Sprint(i+1))
		default:
			rep.add(StepHolder, StepFailed,
				msg("Credential %d was issued to %s, but %s presents it. Someone is presenting another person's credential. Do not rely on it.",
					"第 %d 份凭证是签发给 %s 的，但出示者是 %s。有人在出示他人的凭证。请勿采信。", i+1, strings.Join(ids, ", "), sp.Holder),
				map[string]any{"credential": i, "subjects": ids, "holder": sp.Holder})
			return
		}
	}
	if len(unbound) > 0 {
		rep.add(StepHolder, StepWarning,
			msg("Credential(s) %s do not name their holder, so they cannot be tied to the person presenting them. Check that person's identity another way.",
				"第 %s 份凭证未写明持有人，无法与出示者对应。请通过其他方式核实出示者的身份。", strings.Join(unbound, ", ")),
			map[string]any{"holder": sp.Holder})
		return
	}
	rep.add(StepHolder, StepOK,
		msg("Every credential was issued to %s, who presents it.", "每份凭证都签发给出示者 %s 本人。", sp.Holder), map[string]any{"holder": sp.Holder})
}
