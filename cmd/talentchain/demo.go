package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/talentchain/talentchain/chain"
	"github.com/talentchain/talentchain/courses"
	"github.com/talentchain/talentchain/credential"
	"github.com/talentchain/talentchain/issuer"
	"github.com/talentchain/talentchain/store"
	"github.com/talentchain/talentchain/ui"
)

// demoFile is <data>/demo.json: how a new user gets into the seeded demo.
type demoFile struct {
	Issuers     []demoIssuer   `json:"issuers"`
	Holders     []demoHolder   `json:"holders"`
	Verifiers   []demoVerifier `json:"verifiers"`
	Governance  demoGovernance `json:"governance"`
	Courses     []string       `json:"courses"`
	Credentials []string       `json:"credentials"`
}

type demoIssuer struct {
	Name  string `json:"name"`
	DID   string `json:"did"`
	Token string `json:"token"`
	// Staff is a web login of the organisation (role admin).
	Staff demoLogin `json:"staff"`
}

type demoLogin struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type demoHolder struct {
	Username string `json:"username,omitempty"`
	Password string `json:"password,omitempty"`
	Name     string `json:"name"`
	DID      string `json:"did"`
}

// demoVerifier is a verifier account: its token signs in at /login (role
// verifier) and authenticates the verifier API.
type demoVerifier struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Token    string `json:"token"`
	Policies bool   `json:"policies"` // may save talent-policy rules
}

type demoGovernance struct {
	Name string `json:"name"`
	// ChainID is the embedded network's id.
	ChainID string `json:"chainId"`
	// AdminTokenFile holds the token of the /admin API (relative to the
	// data folder); GovernanceKeyFile the key that signs accreditations.
	AdminTokenFile    string `json:"adminTokenFile"`
	GovernanceKeyFile string `json:"governanceKeyFile"`
}

// demoJSON is the demo file's name in the data folder.
const demoJSON = "demo.json"

// HolderAccounts creates holder accounts for the demo; the wallet service
// satisfies it. Without one, demo holders are bare did:key identities.
type HolderAccounts interface {
	DemoHolder(ctx context.Context, username, password, name string) (did string, err error)
}

// seedDemo fills an empty node with a living example and writes demo.json.
// It does nothing when demo.json exists, and refuses a node that already has
// organisations (the demo is for a new data folder, never mixed with real
// records).
func (a *app) seedDemo(ctx context.Context, cfg config, log *slog.Logger) error {
	path := filepath.Join(cfg.dataDir, demoJSON)
	if _, err := os.Stat(path); err == nil {
		log.Info("demo already seeded", slog.String("file", path))
		return nil
	}
	if a.gov == nil {
		return errors.New("--demo needs the embedded chain node (it accredits with the node's governance key)")
	}
	orgs, err := a.issuer.Orgs(ctx)
	if err != nil {
		return err
	}
	if len(orgs) > 0 {
		return fmt.Errorf("--demo: the data folder %s already holds %d organisations; use an empty folder for the demo", cfg.dataDir, len(orgs))
	}
	log.Info("seeding the demo", slog.String("data", cfg.dataDir))
	d := demoFile{
		Governance: demoGovernance{
			Name:              "北京市人才工作局（演示） / Beijing Talent Policy Office (demo)",
			ChainID:           a.chainID,
			AdminTokenFile:    adminTokenFile,
			GovernanceKeyFile: filepath.Join("chain", "config", "governance_key.json"),
		},
		Verifiers: []demoVerifier{},
	}

	type orgSpec struct {
		names    issuer.Names
		kind     string
		accredit []*chain.Accredit
	}
	specs := []orgSpec{
		{issuer.Names{Zh: "京华大学", En: "Jinghua University"}, issuer.KindUniversity, []*chain.Accredit{
			{CredentialType: "DegreeCredential"},
			{CredentialType: "TrainingCertificateCredential"},
		}},
		{issuer.Names{Zh: "中关村区块链科技园", En: "Zhongguancun Blockchain Science Park"}, issuer.KindSciencePark, []*chain.Accredit{
			{CredentialType: "TrainingCertificateCredential"},
			{CredentialType: "CourseCompletionCredential"},
		}},
	}
	var dids []string
	for i, sp := range specs {
		org, err := a.issuer.CreateOrg(ctx, issuer.NewOrg{Names: sp.names, Kind: sp.kind})
		if err != nil {
			return fmt.Errorf("demo organisation %s: %w", sp.names.En, err)
		}
		for _, p := range sp.accredit {
			p.Issuer = org.DID
			if _, err := a.gov.Submit(ctx, p); err != nil {
				return fmt.Errorf("demo accreditation of %s: %w", sp.names.En, err)
			}
		}
		tok, _, err := a.issuer.CreateToken(ctx, org.DID, issuer.NewToken{Name: "demo", Scopes: []issuer.Scope{issuer.ScopeIssue, issuer.ScopeStatus, issuer.ScopeRead}})
		if err != nil {
			return err
		}
		staff := demoLogin{Username: fmt.Sprintf("registrar%d", i+1), Password: demoPassword()}
		if _, err := a.issuer.AddStaff(ctx, org.DID, issuer.NewStaff{Username: staff.Username, Name: "Demo registrar", Password: staff.Password, Role: issuer.RoleAdmin}); err != nil {
			return err
		}
		d.Issuers = append(d.Issuers, demoIssuer{Name: sp.names.Zh + " / " + sp.names.En, DID: org.DID, Token: tok, Staff: staff})
		dids = append(dids, org.DID)
	}
	uni, park := dids[0], dids[1]

	people := []struct{ user, zh, en string }{
		{"zhangsan", "张三", "Zhang San"},
		{"lisi", "李四", "Li Si"},
		{"wangwu", "王五", "Wang Wu"},
	}
	for _, p := range people {
		h := demoHolder{Name: p.zh + " / " + p.en}
		if a.holders != nil {
			h.Username, h.Password = p.user, demoPassword()
			if h.DID, err = a.holders.DemoHolder(ctx, h.Username, h.Password, h.Name); err != nil {
				return fmt.Errorf("demo holder %s: %w", p.user, err)
			}
		} else {
			k, err := credential.GenerateKey()
			if err != nil {
				return err
			}
			h.DID = k.Controller
		}
		d.Holders = append(d.Holders, h)
	}

	// An HR department and the policy office's own verifier account.
	accounts := &verifierAccounts{st: store.WithPrefix(a.store, verifierPrefix), now: time.Now}
	for _, v := range []ui.NewVerifier{
		{Name: "海淀区人才服务中心 / Haidian Talent Service Centre", Policies: true},
		{Name: "示例科技有限公司人力资源部 / Example Tech Co. HR"},
	} {
		tok, acct, err := accounts.CreateVerifier(ctx, v)
		if err != nil {
			return fmt.Errorf("demo verifier %s: %w", v.Name, err)
		}
		d.Verifiers = append(d.Verifiers, demoVerifier{Name: acct.Name, ID: acct.ID, Token: tok, Policies: acct.Policies})
	}

	for _, c := range []courses.Course{
		{Provider: park, ProviderName: courses.LangText{Zh: "中关村区块链科技园", En: "Zhongguancun Blockchain Science Park"},
			Code: "BC-101", Title: courses.LangText{Zh: "区块链基础", En: "Blockchain Foundations"}, Hours: 40, Credits: 2,
			Skills: []string{"consensus", "cryptography"}, Sector: "blockchain", Status: courses.StatusOpen, Certificate: courses.TrainingCertificate},
		{Provider: park, ProviderName: courses.LangText{Zh: "中关村区块链科技园", En: "Zhongguancun Blockchain Science Park"},
			Code: "SC-201", Title: courses.LangText{Zh: "智能合约安全", En: "Smart Contract Security"}, Hours: 32, Credits: 2,
			Skills: []string{"solidity", "auditing"}, Sector: "blockchain", Status: courses.StatusOpen, Certificate: courses.TrainingCertificate,
			Prerequisites: []string{"BC-101"}},
		{Provider: uni, ProviderName: courses.LangText{Zh: "京华大学", En: "Jinghua University"},
			Code: "CS-501", Title: courses.LangText{Zh: "分布式系统", En: "Distributed Systems"}, Hours: 48, Credits: 3,
			Skills: []string{"distributed-systems"}, Sector: "blockchain", Status: courses.StatusOpen, Certificate: courses.CourseCompletion},
	} {
		if _, err := a.courses.Create(ctx, c); err != nil {
			return fmt.Errorf("demo course %s: %w", c.Code, err)
		}
		d.Courses = append(d.Courses, c.Provider+"/"+c.Code)
	}

	dir := filepath.Join(cfg.dataDir, "demo")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	save := func(name string, rec *issuer.Record) error {
		if err := os.WriteFile(filepath.Join(dir, name+".json"), append(rec.Credential, '\n'), 0o600); err != nil {
			return err
		}
		receipt, err := json.MarshalIndent(rec.Receipt, "", "  ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name+".receipt.json"), append(receipt, '\n'), 0o600); err != nil {
			return err
		}
		d.Credentials = append(d.Credentials, filepath.Join("demo", name+".json"))
		return nil
	}

	degree := func(holder, zh, en, level, nameZh, nameEn string) *issuer.Request {
		return &issuer.Request{
			Type: "DegreeCredential", Holder: holder,
			Subject: map[string]any{
				"fullName": map[string]any{"zh": zh, "en": en},
				"degree": map[string]any{
					"type": "Degree", "level": level,
					"degreeName":   map[string]any{"zh": nameZh, "en": nameEn},
					"fieldOfStudy": map[string]any{"zh": "区块链工程", "en": "Blockchain Engineering"},
				},
				"graduationDate": "2026-06-30",
			},
		}
	}
	for _, it := range []struct {
		name string
		req  *issuer.Request
	}{
		{"zhangsan-master", degree(d.Holders[0].DID, "张三", "Zhang San", "master", "工学硕士", "Master of Engineering")},
		{"lisi-bachelor", degree(d.Holders[1].DID, "李四", "Li Si", "bachelor", "工学学士", "Bachelor of Engineering")},
	} {
		rec, err := a.issuer.Issue(ctx, uni, it.req)
		if err != nil {
			return fmt.Errorf("demo credential %s: %w", it.name, err)
		}
		if err := save(it.name, rec); err != nil {
			return err
		}
	}

	// Course completions: Zhang San and Wang Wu pass BC-101; the park
	// suspends Wang Wu's certificate to show a status change.
	ref := courses.Ref{Provider: park, Code: "BC-101"}
	for i, h := range []demoHolder{d.Holders[0], d.Holders[2]} {
		if _, err := a.courses.Enrol(ctx, ref, h.DID); err != nil {
			return fmt.Errorf("demo enrolment: %w", err)
		}
		score := 88 + i*5
		if err := a.courses.RecordResult(ctx, ref, h.DID, courses.Result{Outcome: courses.Pass, Score: &score, Assessor: "demo"}); err != nil {
			return err
		}
		e, err := a.courses.Complete(ctx, ref, h.DID)
		if err != nil {
			return fmt.Errorf("demo completion: %w", err)
		}
		rec, err := a.waitAnchored(ctx, park, e.CredentialID)
		if err != nil {
			return err
		}
		if err := save(fmt.Sprintf("%s-BC-101", []string{"zhangsan", "wangwu"}[i]), rec); err != nil {
			return err
		}
		if i == 1 {
			if _, err := a.issuer.SetStatus(ctx, park, issuer.StatusChange{IDs: []string{rec.ID}, Status: issuer.StatusSuspended, Reason: "demo: result under review", Actor: "demo"}); err != nil {
				return err
			}
		}
	}

	raw, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(raw, '\n'), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	log.Info("demo ready: logins and credentials are in "+path, slog.Int("issuers", len(d.Issuers)), slog.Int("credentials", len(d.Credentials)))
	return nil
}

// waitAnchored reads the credential until its anchor receipt is there.
func (a *app) waitAnchored(ctx context.Context, org, id string) (*issuer.Record, error) {
	for {
		rec, err := a.issuer.Credential(ctx, org, id)
		if err != nil {
			return nil, err
		}
		if rec.Receipt != nil {
			return rec, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("credential %s not anchored: %w", id, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// demoPassword is a random password for a demo login.
func demoPassword() string {
	b := make([]byte, 9)
	rand.Read(b)
	return "demo-" + base64.RawURLEncoding.EncodeToString(b)
}
