package verifier

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/credential/merkle"
)

// facts are what the chain steps need to know about a credential.
type facts struct {
	doc    map[string]any
	id     string
	issuer string
	talent bool     // a did:talent issuer: the chain knows (or should know) it
	types  []string // its types other than VerifiableCredential
	level  string   // credentialSubject.degree.level, for degrees
	vms    []string
	digest [32]byte
}

func factsOf(sec *Secured) facts {
	f := facts{doc: sec.Document, vms: sec.VerificationMethods, digest: sec.Digest}
	f.id, _ = sec.Document["id"].(string)
	f.issuer = idOf(sec.Document["issuer"])
	f.talent = strings.HasPrefix(f.issuer, chain.DIDPrefix)
	for _, t := range asSlice(sec.Document["type"]) {
		if s, ok := t.(string); ok && s != "VerifiableCredential" {
			f.types = append(f.types, s)
		}
	}
	if subj, ok := sec.Document["credentialSubject"].(map[string]any); ok {
		if d, ok := subj["degree"].(map[string]any); ok {
			f.level, _ = d["level"].(string)
		}
	}
	return f
}

// subjectIDs returns the ids of the credential's subjects ("" for a subject
// without one).
func subjectIDs(doc map[string]any) []string {
	var out []string
	for _, s := range asSlice(doc["credentialSubject"]) {
		out = append(out, idOf(s))
	}
	return out
}

func failedCheck(checks []credential.Check, match func(string) bool) (found bool, failed *credential.Check) {
	for i := range checks {
		if !match(checks[i].Name) {
			continue
		}
		found = true
		if !checks[i].Passed && failed == nil {
			failed = &checks[i]
		}
	}
	return found, failed
}

func named(names ...string) func(string) bool {
	return func(n string) bool {
		for _, want := range names {
			if n == want || strings.HasPrefix(n, want+"[") {
				return true
			}
		}
		return false
	}
}

func not(f func(string) bool) func(string) bool { return func(n string) bool { return !f(n) } }

func checkMessages(checks []credential.Check, match func(string) bool) []string {
	var out []string
	for _, c := range checks {
		if match(c.Name) {
			out = append(out, c.Name+": "+c.Message)
		}
	}
	return out
}

// credentialSteps appends the seven credential steps to rep.
func (v *Verifier) credentialSteps(ctx context.Context, rep *Report, sec *Secured, receipt *credential.AnchorReceipt, now time.Time) error {
	f := factsOf(sec)
	rep.ID, rep.Types, rep.Issuer, rep.Document = f.id, f.types, f.issuer, f.doc
	if ids := subjectIDs(f.doc); len(ids) > 0 {
		rep.Holder = ids[0]
	}

	// 1. Format and schema.
	_, bad := failedCheck(sec.Checks, named(credential.CheckFormat))
	if bad != nil {
		rep.add(StepFormat, StepFailed,
			msg("This is not a credential TalentChain can read (%s). It may be damaged or made by an incompatible tool; ask the sender for the original file.",
				"无法识别为凭证（%s）。文件可能已损坏，或由不兼容的工具生成；请向提供者索取原始文件。", bad.Message),
			map[string]any{"reason": bad.Message})
		rep.skip(msg("Not checked: the credential could not be read.", "未检查：无法读取该凭证。"),
			StepProof, StepIssuer, StepKey, StepAnchor, StepStatus, StepValidity)
		return nil
	}
	var problems []string
	if !sec.schemaOK {
		problems = schemaProblems(v.schema, f.doc)
		sec.schemaOK = len(problems) == 0
	}
	if len(problems) > 0 {
		rep.add(StepFormat, StepFailed,
			msg("The credential does not have the structure TalentChain requires (%s). It may be damaged or made by an incompatible tool; ask the issuer for a new copy.",
				"凭证的结构不符合人才链的要求（%s）。文件可能已损坏，或由不兼容的工具生成；请向签发方索取新的副本。", strings.Join(problems, "; ")),
			map[string]any{"problems": problems})
	} else {
		rep.add(StepFormat, StepOK,
			msg("A W3C verifiable credential (%s) issued by %s.", "一份 W3C 可验证凭证（%s），签发方为 %s。", typeLabel(f.types), f.issuer),
			map[string]any{"mediaType": rep.MediaType})
	}

	// 2. Proof.
	// Every check that is not about format or validity belongs to the proof
	// (json-ld, proof, issuer-key, and a format's own, such as jwt-claims):
	// no failed check of a format can go unreported.
	proofNames := not(named(credential.CheckFormat, credential.CheckValidity))
	switch found, bad := failedCheck(sec.Checks, proofNames); {
	case !found:
		rep.add(StepProof, StepSkipped, msg("Not checked: the credential carries no proof this verifier could examine.", "未检查：凭证中没有本验证服务可以检查的证明。"), nil)
	case bad != nil:
		rep.add(StepProof, StepFailed,
			msg("The signature check failed (%s). The credential was changed after it was signed, or it was not signed by the issuer it names. Do not rely on it; ask the holder for an unaltered copy.",
				"签名验证未通过（%s）。凭证在签名后被改动过，或并非由其所称的签发方签名。请勿采信；请持有人提供未经改动的原件。", bad.Message),
			map[string]any{"reason": bad.Message, "checks": checkMessages(sec.Checks, proofNames)})
	default:
		rep.add(StepProof, StepOK,
			msg("The issuer's signature is valid: nothing in the credential has changed since it was signed.", "签发方的签名有效：凭证自签名以来未被改动。"),
			map[string]any{"checks": checkMessages(sec.Checks, proofNames)})
	}

	// 3–6. Issuer, key, anchor, status: from the chain. A failure read from
	// the cache is re-read fresh before it is reported.
	out, err := v.chainSteps(ctx, f, receipt, false)
	if err == nil && out.failed() {
		out, err = v.chainSteps(ctx, f, receipt, true)
	}
	if err != nil {
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	rep.Steps = append(rep.Steps, out.issuer, out.key, out.anchor, out.status)
	if out.is != nil {
		rep.IssuerName = &Names{En: out.is.Names.En, Zh: out.is.Names.Zh}
	}
	if out.rec != nil {
		rep.AnchorHeight, rep.AnchorTime = out.rec.Height, out.rec.Time.UTC()
	}

	// 7. Validity period.
	v.validityStep(rep, sec, now)
	return nil
}

type chainOutcome struct {
	issuer, key, anchor, status Step
	is                          *chain.Issuer
	rec                         *chain.AnchorRecord
}

func (o *chainOutcome) failed() bool {
	for _, s := range []Step{o.issuer, o.key, o.anchor, o.status} {
		if s.State == StepFailed {
			return true
		}
	}
	return false
}

func step(name string, st StepState, m text, details map[string]any) Step {
	return Step{Name: name, State: st, MessageEN: m.en, MessageZH: m.zh, Details: details}
}

func (v *Verifier) chainSteps(ctx context.Context, f facts, receipt *credential.AnchorReceipt, fresh bool) (*chainOutcome, error) {
	out := &chainOutcome{}
	var err error
	if out.anchor, out.rec, err = v.anchorStep(ctx, f, receipt, fresh); err != nil {
		return nil, err
	}
	if out.issuer, out.is, err = v.issuerStep(ctx, f, out.rec, fresh); err != nil {
		return nil, err
	}
	out.key = keyStep(f, out.is, out.rec)
	if out.status, err = v.statusStep(ctx, f, fresh); err != nil {
		return nil, err
	}
	return out, nil
}

// anchorStep checks the receipt: its leaf is this credential, its path leads
// to its root, the root is anchored on chain by the credential's issuer, and
// its chain coordinates are the chain's. It returns the anchor record when
// all hold.
func (v *Verifier) anchorStep(ctx context.Context, f facts, r *credential.AnchorReceipt, fresh bool) (Step, *chain.AnchorRecord, error) {
	if r == nil {
		if !f.talent {
			return step(StepAnchor, StepSkipped,
				msg("Not applicable: %s is not a TalentChain issuer, so nothing about this credential is recorded on the chain.",
					"不适用：%s 不是人才链上的签发方，链上没有该凭证的登记记录。", f.issuer), nil), nil, nil
		}
		if v.cfg.RequireAnchor {
			return step(StepAnchor, StepFailed,
				msg("No anchor receipt came with the credential. This verifier accepts TalentChain credentials only with their receipt, since without it the time of issuance cannot be proven. Ask the holder to share the credential together with its anchor receipt (their wallet keeps it).",
					"凭证未附带锚定回执。本验证服务只接受附带回执的人才链凭证，因为没有回执就无法证明签发时间。请持有人连同锚定回执一起提供凭证（钱包中保存有回执）。"), nil), nil, nil
		}
		return step(StepAnchor, StepWarning,
			msg("No anchor receipt came with the credential, so when it was issued cannot be proven; the issuer and key were checked against today's chain state instead. Ask the holder to share the credential together with its anchor receipt (their wallet keeps it).",
				"凭证未附带锚定回执，无法证明其签发时间；签发方和密钥改以链上当前状态核验。请持有人连同锚定回执一起提供凭证（钱包中保存有回执）。"), nil), nil, nil
	}
	fail := func(m text, d map[string]any) (Step, *chain.AnchorRecord, error) {
		return step(StepAnchor, StepFailed, m, d), nil, nil
	}
	digest := hex.EncodeToString(f.digest[:])
	if r.Type != credential.ReceiptType || r.Version != credential.ReceiptVersion {
		return fail(msg("The anchor receipt is of an unknown kind (%s version %d) and cannot be checked. Ask the holder for the receipt their TalentChain wallet keeps.",
			"锚定回执的类型未知（%s 第 %d 版），无法检查。请持有人提供其人才链钱包中保存的回执。", r.Type, r.Version), nil)
	}
	if !strings.EqualFold(r.Digest, digest) {
		return fail(msg("The anchor receipt belongs to another credential: its fingerprint does not match this one. Either the credential was changed after it was registered or the receipt was swapped. Do not rely on it.",
			"该锚定回执属于另一份凭证：其指纹与本凭证不符。可能是凭证在登记后被改动，或回执被调换。请勿采信。"),
			map[string]any{"receiptDigest": r.Digest, "credentialDigest": digest})
	}
	forged := msg("The anchor receipt's proof is wrong: it does not lead to the batch root it names, so the receipt was altered or made up. Do not rely on it.",
		"锚定回执中的证明有误：无法推导出其所称的批次根，回执已被改动或系伪造。请勿采信。")
	var root [32]byte
	path := make([][32]byte, len(r.Path))
	ok := decodeHash(r.Root, &root)
	for i := range r.Path {
		ok = ok && decodeHash(r.Path[i], &path[i])
	}
	if !ok {
		return fail(forged, map[string]any{"reason": "a hash of the receipt is not 64 hex digits"})
	}
	got, err := merkle.RootFromPath(r.LeafIndex, r.TreeSize, merkle.HashLeaf(f.digest[:]), path)
	if err != nil || got != root {
		reason := "the path leads to another root"
		if err != nil {
			reason = err.Error()
		}
		return fail(forged, map[string]any{"reason": reason})
	}
	rootHex := hex.EncodeToString(root[:])
	rec, err := v.view.anchor(ctx, rootHex, fresh)
	if errors.Is(err, chain.ErrNotFound) {
		return fail(msg("The batch this receipt names (root %s…) was never registered on TalentChain. The receipt is forged or comes from another network. Do not rely on it.",
			"回执所称的批次（根 %s…）从未在人才链上登记。回执系伪造或来自其他网络。请勿采信。", rootHex[:12]), map[string]any{"root": rootHex})
	}
	if err != nil {
		return Step{}, nil, fmt.Errorf("read anchor %s: %w", rootHex, err)
	}
	if rec.Issuer != f.issuer {
		return fail(msg("The batch was registered on TalentChain by %s, not by the credential's issuer %s. A receipt cannot vouch for another issuer's credential. Do not rely on it.",
			"该批次由 %s 在人才链上登记，而非凭证的签发方 %s。回执不能为其他签发方的凭证作证。请勿采信。", rec.Issuer, f.issuer),
			map[string]any{"root": rootHex, "anchorIssuer": rec.Issuer})
	}
	var mismatch []string
	if r.TreeSize != rec.LeafCount {
		mismatch = append(mismatch, fmt.Sprintf("treeSize %d, anchored %d", r.TreeSize, rec.LeafCount))
	}
	if r.Issuer != "" && r.Issuer != rec.Issuer {
		mismatch = append(mismatch, "issuer "+r.Issuer)
	}
	if r.Height != 0 && r.Height != rec.Height {
		mismatch = append(mismatch, fmt.Sprintf("height %d, anchored at %d", r.Height, rec.Height))
	}
	if r.TxHash != "" && !strings.EqualFold(r.TxHash, rec.TxHash) {
		mismatch = append(mismatch, "txHash "+r.TxHash)
	}
	if r.ChainID != "" && v.cfg.ChainID != "" && r.ChainID != v.cfg.ChainID {
		mismatch = append(mismatch, "chainId "+r.ChainID)
	}
	if len(mismatch) > 0 {
		return fail(msg("The receipt's chain details (%s) differ from the chain's record of the batch. The receipt was altered. Do not rely on it.",
			"回执中的链上信息（%s）与链上对该批次的记录不符，回执已被改动。请勿采信。", strings.Join(mismatch, "; ")),
			map[string]any{"mismatch": mismatch})
	}
	if len(rec.CredentialTypes) > 0 {
		for _, t := range f.types {
			if !slices.Contains(rec.CredentialTypes, t) {
				return fail(msg("The batch was registered for %s only, but this credential is a %s. Do not rely on it.",
					"该批次登记的凭证类型仅为 %s，而本凭证属于 %s。请勿采信。", strings.Join(rec.CredentialTypes, ", "), t),
					map[string]any{"anchoredTypes": rec.CredentialTypes})
			}
		}
	}
	return step(StepAnchor, StepOK,
		msg("Registered on TalentChain by its issuer at block %d (%s), in a batch of %d credential(s); the receipt's proof matches the root on chain.",
			"已由签发方于区块 %d（%s）登记在人才链上，同批共 %d 份凭证；回执中的证明与链上的根一致。", rec.Height, when(rec.Time), rec.LeafCount),
		map[string]any{"height": rec.Height, "time": rec.Time.UTC(), "txHash": rec.TxHash, "root": rootHex, "leafIndex": r.LeafIndex, "batchSize": rec.LeafCount}), rec, nil
}

// issuerStep checks the issuer on chain: registered; active and accredited
// for each of the credential's types (and its level) at the anchored height;
// not suspended or removed now. See docs/design/verifier.md for the rules.
func (v *Verifier) issuerStep(ctx context.Context, f facts, rec *chain.AnchorRecord, fresh bool) (Step, *chain.Issuer, error) {
	if !f.talent {
		return step(StepIssuer, StepWarning,
			msg("Issuer not accredited on TalentChain: %s is not registered on TalentChain. The signature could be checked, but no accreditation body on TalentChain vouches for this issuer. Decide yourself whether you trust it, or ask for a credential from an accredited issuer.",
				"签发方未获人才链认证：%s 未在人才链上登记。签名可以验证，但人才链上没有任何认证机构为其担保。请自行判断是否信任该签发方，或要求对方提供经认证机构签发的凭证。", f.issuer),
			map[string]any{"accredited": false, "registered": false}), nil, nil
	}
	if !validIssuerDID(f.issuer) {
		return step(StepIssuer, StepFailed,
			msg("The credential names %s as its issuer, which is not a valid TalentChain identifier. Do not rely on it.",
				"凭证所称的签发方 %s 不是有效的人才链标识。请勿采信。", f.issuer), map[string]any{"registered": false}), nil, nil
	}
	is, err := v.view.issuer(ctx, f.issuer, fresh)
	if errors.Is(err, chain.ErrNotFound) {
		return step(StepIssuer, StepFailed,
			msg("The credential names %s, a TalentChain identifier the chain does not know: it was not issued by a registered issuer (or comes from another network). Do not rely on it.",
				"凭证所称的签发方 %s 是人才链标识，但链上并无此签发方：它不是由已登记的签发方签发的（或来自其他网络）。请勿采信。", f.issuer),
			map[string]any{"registered": false}), nil, nil
	}
	if err != nil {
		return Step{}, nil, fmt.Errorf("read issuer %s: %w", f.issuer, err)
	}
	name := text{is.Names.En, is.Names.Zh}
	if name.en == "" {
		name.en = f.issuer
	}
	if name.zh == "" {
		name.zh = name.en
	}
	fail := func(m text, d map[string]any) (Step, *chain.Issuer, error) {
		return step(StepIssuer, StepFailed, m, d), is, nil
	}
	// Now: a suspended or removed issuer's credentials are not relied on.
	if is.Status != chain.StatusActive {
		last := lastChange(is)
		d := map[string]any{"status": is.Status, "since": last.Height, "reason": last.Reason}
		if is.Status == chain.StatusSuspended {
			return fail(msg("%[1]s is currently suspended by the talent-policy office (since block %[2]d%[3]s). While the suspension lasts its credentials cannot be relied on; check again later or contact the issuer.",
				"%[4]s 目前已被人才政策主管部门暂停（自区块 %[2]d 起%[5]s）。暂停期间其签发的凭证不能采信；请稍后再查，或联系签发方。",
				name.en, last.Height, reasonEN(last.Reason), name.zh, reasonZH(last.Reason)), d)
		}
		return fail(msg("%[1]s was removed from TalentChain by the talent-policy office (block %[2]d%[3]s). Credentials of a removed issuer are no longer recognised; contact the office if you need to know more.",
			"%[4]s 已被人才政策主管部门从人才链移除（区块 %[2]d%[5]s）。被移除签发方的凭证不再被认可；如需了解详情请联系主管部门。",
			name.en, last.Height, reasonEN(last.Reason), name.zh, reasonZH(last.Reason)), d)
	}
	h := int64(0)
	if rec != nil {
		h = rec.Height
		if s := is.StatusAt(h); s != chain.StatusActive {
			return fail(msg("%[1]s was %s when this credential was registered (block %d) and could not issue credentials then. Do not rely on it.",
				"该凭证登记时（区块 %[3]d），%[4]s 处于“%[2]s”状态，不能签发凭证。请勿采信。", name.en, s, h, name.zh), map[string]any{"statusAtIssuance": s})
		}
	}
	if len(f.types) == 0 {
		return fail(msg("The credential names no credential type besides VerifiableCredential, and TalentChain accredits issuers per type. It is not recognised.",
			"该凭证除 VerifiableCredential 外未标明凭证类型，而人才链按类型认证签发方，因此不予认可。"), nil)
	}
	var withdrawn []string
	for _, t := range f.types {
		if !chainName(t) {
			return fail(msg("The credential's type %q is not a type TalentChain accredits (a name of letters, digits and . _ : -). It is not recognised.",
				"凭证类型“%s”不是人才链认证的类型（类型名只能由字母、数字和 . _ : - 组成）。不予认可。", t), map[string]any{"credentialType": t, "accredited": false})
		}
		a, err := v.view.accreditation(ctx, f.issuer, t, fresh)
		if errors.Is(err, chain.ErrNotFound) {
			a, err = &chain.Accreditation{}, nil
		}
		if err != nil {
			return Step{}, nil, fmt.Errorf("read accreditation of %s for %s: %w", f.issuer, t, err)
		}
		var g *chain.Grant
		if rec != nil {
			g = grantAt(a, rec)
		} else {
			g, _ = a.Active()
		}
		if g == nil {
			d := map[string]any{"credentialType": t, "accredited": false}
			switch later := grantAfter(a, h); {
			case rec != nil && later != nil:
				d["accreditedFrom"] = later.GrantedHeight
				return fail(msg("%[1]s was not accredited for %s when it issued this credential (block %d); it was accredited only later, at block %d. A credential issued before accreditation is not recognised.",
					"%[5]s 签发该凭证时（区块 %[3]d）尚未获得 %[2]s 的签发资质，直到区块 %[4]d 才获认证。认证之前签发的凭证不予认可。", name.en, t, h, later.GrantedHeight, name.zh), d)
			case rec != nil:
				return fail(msg("%[1]s was not accredited for %s when it issued this credential (block %d). The credential is not recognised; ask for one from an accredited issuer.",
					"%[4]s 签发该凭证时（区块 %[3]d）不具备 %[2]s 的签发资质。该凭证不予认可；请要求对方提供经认证机构签发的凭证。", name.en, t, h, name.zh), d)
			default:
				return fail(msg("%[1]s is not accredited for %s on TalentChain. The credential is not recognised; ask for one from an accredited issuer.",
					"%[3]s 在人才链上不具备 %[2]s 的签发资质。该凭证不予认可；请要求对方提供经认证机构签发的凭证。", name.en, t, name.zh), d)
			}
		}
		if len(g.Levels) > 0 && !slices.Contains(g.Levels, f.level) {
			return fail(msg("%[1]s is accredited for %s only at the level(s) %s, but this credential is at level %q. It is not recognised at this level.",
				"%[5]s 的 %[2]s 签发资质仅限于 %[3]s 层次，而本凭证的层次为“%[4]s”。该层次的凭证不予认可。", name.en, t, strings.Join(g.Levels, ", "), f.level, name.zh),
				map[string]any{"credentialType": t, "levels": g.Levels, "level": f.level})
		}
		if _, active := a.Active(); !active {
			withdrawn = append(withdrawn, t)
		}
	}
	lvl := text{}
	if f.level != "" {
		lvl = msg(" at level %s", "（%s 层次）", f.level)
	}
	d := map[string]any{"did": f.issuer, "accredited": true, "credentialTypes": f.types}
	if rec == nil {
		return step(StepIssuer, StepOK,
			msg("%[1]s (%s) is registered on TalentChain and accredited for %s%s today. Without an anchor receipt it cannot be shown that it was accredited when it issued this credential.",
				"%[5]s（%[2]s）已在人才链登记，目前具备 %[3]s%[6]s 的签发资质。由于没有锚定回执，无法证明其签发本凭证时已具备资质。", name.en, f.issuer, typeLabel(f.types), lvl.en, name.zh, lvl.zh), d), is, nil
	}
	d["height"] = h
	if len(withdrawn) > 0 {
		d["withdrawnNow"] = withdrawn
		return step(StepIssuer, StepWarning,
			msg("%[1]s was accredited for %s when it issued this credential (block %d), but that accreditation has since been withdrawn. Credentials issued before the withdrawal remain recognised; consider whether that matters for your decision.",
				"%[4]s 签发该凭证时（区块 %[3]d）具备 %[2]s 的签发资质，但该资质此后已被撤销。撤销前签发的凭证仍被认可；请考虑这对您的决定是否有影响。", name.en, strings.Join(withdrawn, ", "), h, name.zh), d), is, nil
	}
	return step(StepIssuer, StepOK,
		msg("%[1]s (%s) is registered on TalentChain, was accredited for %s%s when it issued this credential (block %d), and is in good standing now.",
			"%[6]s（%[2]s）已在人才链登记，签发本凭证时（区块 %[5]d）具备 %[3]s%[7]s 的签发资质，目前状态正常。", name.en, f.issuer, typeLabel(f.types), lvl.en, h, name.zh, lvl.zh), d), is, nil
}

// grantAt returns the grant in force when the anchor was written. A grant
// withdrawn in the anchor's own block still covers it when the anchor named
// the type: the chain checked the accreditation when it executed the anchor,
// before the withdrawal later in that block.
func grantAt(a *chain.Accreditation, rec *chain.AnchorRecord) *chain.Grant {
	if g, ok := a.AtHeight(rec.Height); ok {
		return g
	}
	if !slices.Contains(rec.CredentialTypes, a.CredentialType) {
		return nil
	}
	for i := range a.Grants {
		if a.Grants[i].WithdrawnHeight == rec.Height && a.Grants[i].GrantedHeight <= rec.Height {
			return &a.Grants[i]
		}
	}
	return nil
}

// grantAfter returns the first grant made after height h.
func grantAfter(a *chain.Accreditation, h int64) *chain.Grant {
	for i := range a.Grants {
		if a.Grants[i].GrantedHeight > h {
			return &a.Grants[i]
		}
	}
	return nil
}

func lastChange(is *chain.Issuer) chain.StatusChange {
	if n := len(is.StatusHistory); n > 0 {
		return is.StatusHistory[n-1]
	}
	return chain.StatusChange{Status: is.Status}
}

func reasonEN(r string) string {
	if r == "" {
		return ""
	}
	return ", reason: " + r
}

func reasonZH(r string) string {
	if r == "" {
		return ""
	}
	return "，原因：" + r
}

// keyStep checks that each key that signed the credential was the issuer's
// key in force at the anchored height; without an anchor, only the current
// key is accepted (a retired key proves nothing about when it signed).
func keyStep(f facts, is *chain.Issuer, rec *chain.AnchorRecord) Step {
	if !f.talent {
		return step(StepKey, StepSkipped,
			msg("Not applicable: %s is not a TalentChain issuer, so there is no key history on the chain; the proof step checked the key against the issuer's own identifier.",
				"不适用：%s 不是人才链签发方，链上没有其密钥历史；签名步骤已按签发方自身标识核验密钥。", f.issuer), nil)
	}
	if is == nil {
		return step(StepKey, StepSkipped, msg("Not checked: the issuer is not on the chain.", "未检查：链上没有该签发方。"), nil)
	}
	if len(f.vms) == 0 {
		return step(StepKey, StepSkipped, msg("Not checked: no proof names a key.", "未检查：没有证明注明所用密钥。"), nil)
	}
	rotated := false
	for _, vm := range f.vms {
		k, ok := is.Key(vm)
		if !ok {
			return step(StepKey, StepFailed,
				msg("The credential was signed with %s, which is not one of the issuer's keys on TalentChain. Do not rely on it.",
					"凭证使用 %s 签名，但该密钥不属于签发方在人才链上登记的密钥。请勿采信。", vm),
				map[string]any{"verificationMethod": vm})
		}
		d := map[string]any{"verificationMethod": vm, "validFromHeight": k.ValidFromHeight}
		if k.ValidUntilHeight != 0 {
			d["validUntilHeight"] = k.ValidUntilHeight
			rotated = true
		}
		switch {
		case rec == nil && k.ValidUntilHeight != 0:
			return step(StepKey, StepFailed,
				msg("The credential was signed with %s, a key the issuer retired at block %d, and no anchor receipt proves it was issued before then. Ask the holder for the credential's anchor receipt; without it the credential cannot be accepted.",
					"凭证使用 %s 签名，该密钥已于区块 %d 被签发方停用，且没有锚定回执证明凭证是在停用前签发的。请持有人提供该凭证的锚定回执；否则不能接受该凭证。", vm, k.ValidUntilHeight), d)
		case rec != nil && k.ValidUntilHeight != 0 && rec.Height > k.ValidUntilHeight:
			d["anchorHeight"] = rec.Height
			return step(StepKey, StepFailed,
				msg("The credential was signed with %s, a key the issuer retired at block %d, but it was registered later, at block %d. A retired key cannot issue new credentials: this may be a forgery made with an old or stolen key. Do not rely on it.",
					"凭证使用 %s 签名，该密钥已于区块 %d 被签发方停用，而凭证却在之后的区块 %d 才登记。已停用的密钥不能再签发新凭证：这可能是用旧密钥或被盗密钥伪造的。请勿采信。", vm, k.ValidUntilHeight, rec.Height), d)
		case rec != nil && rec.Height < k.ValidFromHeight:
			d["anchorHeight"] = rec.Height
			return step(StepKey, StepFailed,
				msg("The credential was signed with %s, which became the issuer's key only at block %d, after the credential was registered at block %d. Do not rely on it.",
					"凭证使用 %s 签名，该密钥直到区块 %d 才成为签发方的密钥，晚于凭证登记的区块 %d。请勿采信。", vm, k.ValidFromHeight, rec.Height), d)
		}
	}
	d := map[string]any{"verificationMethods": f.vms}
	if rec == nil {
		return step(StepKey, StepOK, msg("Signed with %s, the issuer's current key.", "使用签发方当前的密钥 %s 签名。", strings.Join(f.vms, ", ")), d)
	}
	m := msg("Signed with %s, the issuer's key in force when the credential was registered (block %d).",
		"使用 %s 签名，这是凭证登记时（区块 %d）签发方正在使用的密钥。", strings.Join(f.vms, ", "), rec.Height)
	if rotated {
		m = m.join(msg("The issuer has changed keys since; credentials issued before the change stay valid.", "签发方此后更换了密钥；更换前签发的凭证依然有效。"))
	}
	d["anchorHeight"] = rec.Height
	return step(StepKey, StepOK, m, d)
}

// statusStep reads the credential's status bits from the issuer's lists on
// chain. A list that is not a TalentChain list of this issuer is never
// fetched (no request to an issuer's site: no tracking of holders, no SSRF):
// its status is reported as not checkable.
func (v *Verifier) statusStep(ctx context.Context, f facts, fresh bool) (Step, error) {
	entries, err := credential.StatusEntries(f.doc)
	if err != nil {
		return step(StepStatus, StepFailed,
			msg("The credential's status entry is malformed (%v), so whether it was revoked cannot be checked. Do not rely on it.",
				"凭证的状态条目格式有误（%v），无法检查其是否已被撤销。请勿采信。", err), map[string]any{"reason": err.Error()}), nil
	}
	if len(entries) == 0 {
		if f.talent {
			return step(StepStatus, StepWarning,
				msg("The credential has no status entry, so its issuer has no way to revoke it and nothing can tell you whether it was withdrawn. Ask the issuer if in doubt.",
					"该凭证没有状态条目，签发方无法将其撤销，因此无从得知它是否已被撤回。如有疑问请联系签发方。"), nil), nil
		}
		return step(StepStatus, StepSkipped, msg("The credential has no status entry: it cannot be revoked.", "该凭证没有状态条目：无法被撤销。"), nil), nil
	}
	var revoked, suspended bool
	var foreign []string
	var lists []map[string]any
	for _, e := range entries {
		did, list, ok := chainList(e.StatusListCredential, f)
		if !ok {
			foreign = append(foreign, e.StatusListCredential)
			continue
		}
		idx := e.Index()
		d := map[string]any{"purpose": e.StatusPurpose, "statusListCredential": e.StatusListCredential, "index": idx}
		l, err := v.view.statusList(ctx, did, list, fresh)
		switch {
		case errors.Is(err, chain.ErrNotFound):
			// The issuer has not changed any status in this list yet.
			d["onChain"], d["set"] = false, false
		case err != nil:
			return Step{}, fmt.Errorf("read status list %s/%s: %w", did, list, err)
		case l.Purpose != e.StatusPurpose:
			return step(StepStatus, StepFailed,
				msg("The credential's %s entry points to a list the chain keeps for %s. The entry is wrong; do not rely on the credential.",
					"凭证的“%s”状态条目指向链上用于“%s”的列表。该条目有误；请勿采信该凭证。", e.StatusPurpose, l.Purpose), d), nil
		case uint64(idx) >= l.Length:
			return step(StepStatus, StepFailed,
				msg("The credential's status index %d lies outside its list of %d entries. Do not rely on it.",
					"凭证的状态索引 %d 超出了其状态列表的范围（共 %d 项）。请勿采信。", idx, l.Length), d), nil
		default:
			set := l.Bit(uint64(idx))
			d["onChain"], d["set"], d["updatedHeight"] = true, set, l.UpdatedHeight
			if set && e.StatusPurpose == credential.StatusRevocation {
				revoked = true
			}
			if set && e.StatusPurpose == credential.StatusSuspension {
				suspended = true
			}
		}
		lists = append(lists, d)
	}
	d := map[string]any{"lists": lists}
	switch {
	case revoked:
		return step(StepStatus, StepFailed,
			msg("Revoked: the issuer has withdrawn this credential for good (recorded on TalentChain). It is no longer valid; ask the holder or the issuer for the reason.",
				"已撤销：签发方已永久撤回该凭证（记录在人才链上）。该凭证不再有效；如需了解原因请联系持有人或签发方。"), d), nil
	case suspended:
		return step(StepStatus, StepFailed,
			msg("Suspended: the issuer has put this credential on hold (recorded on TalentChain). It is not valid while suspended and may be reinstated later; ask the issuer.",
				"已暂停：签发方已暂停该凭证的效力（记录在人才链上）。暂停期间凭证无效，之后可能恢复；请联系签发方。"), d), nil
	case len(foreign) > 0:
		d["notCheckable"] = foreign
		return step(StepStatus, StepWarning,
			msg("Status not checkable: the credential's status list (%s) is not kept on TalentChain, and this verifier does not contact issuers' web sites. Whether it was revoked is unknown; ask the issuer if it matters.",
				"无法检查状态：该凭证的状态列表（%s）不在人才链上，而本验证服务不会访问签发方网站。因此无法得知它是否已被撤销；如有必要请向签发方核实。", strings.Join(foreign, ", ")), d), nil
	}
	return step(StepStatus, StepOK,
		msg("Not revoked and not suspended, according to the issuer's status lists on TalentChain.", "根据签发方在人才链上的状态列表，该凭证未被撤销，也未被暂停。"), d), nil
}

// chainList maps a statusListCredential URL to the issuer's list on chain.
// Only URLs whose path ends in /status/{issuer DID}/{list id} — the form the
// TalentChain issuer service serves — and whose DID is the credential's own
// did:talent issuer are lists on chain; the host does not matter, as the
// list is read from chain state, never from the URL.
func chainList(u string, f facts) (did, list string, ok bool) {
	if !f.talent {
		return "", "", false
	}
	p, err := url.Parse(u)
	if err != nil || (p.Scheme != "https" && p.Scheme != "http") || p.Host == "" || p.RawQuery != "" {
		return "", "", false
	}
	segs := strings.Split(strings.TrimSuffix(p.Path, "/"), "/")
	if len(segs) < 3 || segs[len(segs)-3] != "status" {
		return "", "", false
	}
	did, list = segs[len(segs)-2], segs[len(segs)-1]
	if did != f.issuer || !validIssuerDID(did) || !chainName(list) {
		return "", "", false
	}
	return did, list, true
}

// validityStep reports the core's validity-period check in plain words.
func (v *Verifier) validityStep(rep *Report, sec *Secured, now time.Time) {
	var c *credential.Check
	for i := range sec.Checks {
		if sec.Checks[i].Name == credential.CheckValidity {
			c = &sec.Checks[i]
		}
	}
	if c == nil {
		rep.add(StepValidity, StepSkipped, msg("Not checked: the credential's dates could not be read.", "未检查：无法读取凭证的日期。"), nil)
		return
	}
	from, until := validityDates(sec.Document)
	fromEN, fromZH := "issuance", "签发之日"
	if !from.IsZero() {
		fromEN, fromZH = day(from), " "+day(from)+" "
	}
	d := map[string]any{"reason": c.Message}
	if !from.IsZero() {
		d["validFrom"] = from.UTC()
	}
	if !until.IsZero() {
		d["validUntil"] = until.UTC()
	}
	switch {
	case c.Passed && until.IsZero():
		rep.add(StepValidity, StepOK, msg("Valid from %[1]s, with no end date.", "自%[2]s起有效，无截止日期。", fromEN, fromZH), d)
	case c.Passed:
		rep.add(StepValidity, StepOK, msg("Valid from %[1]s until %[3]s.", "有效期自%[2]s至 %[3]s。", fromEN, fromZH, day(until)), d)
	case !until.IsZero() && now.After(until):
		rep.add(StepValidity, StepFailed, msg("Expired on %s. An expired credential no longer proves anything; ask the holder for a current one.",
			"已于 %s 过期。过期的凭证不再具有证明效力；请持有人提供有效的凭证。", day(until)), d)
	case !from.IsZero() && now.Before(from):
		rep.add(StepValidity, StepFailed, msg("Not valid yet: it becomes valid on %s.", "尚未生效：将于 %s 起生效。", day(from)), d)
	default:
		rep.add(StepValidity, StepFailed, msg("The credential's validity dates are wrong (%s). Do not rely on it.",
			"凭证的有效期日期有误（%s）。请勿采信。", c.Message), d)
	}
}

func validityDates(doc map[string]any) (from, until time.Time) {
	parse := func(k string) time.Time {
		s, _ := doc[k].(string)
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return time.Time{}
		}
		return t
	}
	from, until = parse("validFrom"), parse("validUntil")
	if from.IsZero() {
		from = parse("issuanceDate")
	}
	if until.IsZero() {
		until = parse("expirationDate")
	}
	return from, until
}

func day(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

func when(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") }

func typeLabel(types []string) string {
	if len(types) == 0 {
		return "VerifiableCredential"
	}
	return strings.Join(types, ", ")
}

func decodeHash(s string, out *[32]byte) bool {
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return false
	}
	copy(out[:], b)
	return true
}

// chainName reports whether s is an identifier the chain stores (credential
// types, list ids): 1..128 of [A-Za-z0-9._:-], as chain's transactions
// require. Anything else cannot be on chain and is not asked for.
func chainName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == ':' || c == '-') {
			return false
		}
	}
	return true
}
