package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io/fs"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	rpchttp "github.com/cometbft/cometbft/rpc/client/http"
	goredis "github.com/redis/go-redis/v9"

	"github.com/talentchain/talentchain/wallet"
)

// privacyFixture is a node that has been used by every role, and the
// secrets and personal data that went through it.
type privacyFixture struct {
	n        *node
	rpc      *rpchttp.HTTP
	dataDir  string
	orgDID   string            // in clear everywhere: the scans' positive control
	secrets  map[string]string // what → the secret as the client saw it
	personal map[string]string // what → a holder's personal data
}

// holderPersonal is the personal data of the holder in the credentials.
var holderPersonal = map[string]string{
	"name (zh)":      "欧阳娜娜",
	"name (en)":      "Ouyang Nana",
	"student number": "2023-BJ-770451",
	"date of birth":  "1999-12-07",
	"user name":      "ouyang.nana",
}

// personalDegree is masterDegree with the holder's personal data.
func personalDegree(holder string) map[string]any {
	d := masterDegree(holder)
	sub := d["credential"].(map[string]any)["credentialSubject"].(map[string]any)
	sub["fullName"] = map[string]any{"zh": holderPersonal["name (zh)"], "en": holderPersonal["name (en)"]}
	sub["studentNumber"] = holderPersonal["student number"]
	sub["dateOfBirth"] = holderPersonal["date of birth"]
	return d
}

// usePrivacyNode runs every role's flows that create secrets or handle
// personal data: organisations and API tokens, a verifier account, a holder
// named after herself, a course invitation, offers with PINs, wallet import, a share
// link, a presentation request answered, a revocation.
func usePrivacyNode(t *testing.T, cfg config) *privacyFixture {
	t.Helper()
	rpcAddr := freeAddr(t)
	cfg.chain.listen = "tcp://" + rpcAddr
	cfg.batchDelay = 20 * time.Millisecond
	old := walletStatusCacheTTL
	walletStatusCacheTTL = -1
	t.Cleanup(func() { walletStatusCacheTTL = old })
	n := startNode(t, cfg)
	rpc, err := rpchttp.New("http://"+rpcAddr, "/websocket")
	if err != nil {
		t.Fatal(err)
	}
	f := &privacyFixture{n: n, rpc: rpc, dataDir: cfg.dataDir, secrets: map[string]string{"admin token": n.admin}}

	xDID, xTok := n.newOrg(t, "隐私", map[string]any{"credentialType": "DegreeCredential"}, map[string]any{"credentialType": "TrainingCertificateCredential"})
	f.secrets["issuer API token"] = xTok
	f.orgDID = xDID
	_, vTok := n.newVerifierAccount(t, "隐私HR", false)
	f.secrets["verifier token"] = vTok

	a := &holderClient{base: n.base}
	user := holderPersonal["user name"]
	var acct wallet.Account
	if st, raw := a.do(t, "POST", "/wallet/signup", map[string]string{"username": user, "password": holderPass}, false, &acct); st != http.StatusCreated {
		t.Fatalf("signup: %d %s", st, raw)
	}
	a.did = acct.DID
	f.personal = maps.Clone(holderPersonal)
	f.personal["holder DID"] = acct.DID
	a.login(t, user, holderPass)
	f.secrets["holder password"] = holderPass
	f.secrets["session id"] = a.cookie
	f.secrets["CSRF token"] = a.csrf

	// A course invitation code.
	if st := n.call(t, "POST", "/courses", xTok, map[string]any{
		"code": "PV-1", "title": map[string]string{"zh": "隐私", "en": "Privacy"}, "hours": 16, "sector": "agritech", "skills": []string{"iot"},
		"status": "open", "certificate": "TrainingCertificateCredential",
	}, nil); st != http.StatusCreated {
		t.Fatalf("course: %d", st)
	}
	var inv struct {
		Code string `json:"code"`
	}
	if st := n.call(t, "POST", "/courses/"+xDID+"/PV-1/invitations", xTok, map[string]any{}, &inv); st != http.StatusCreated || inv.Code == "" {
		t.Fatalf("invitation: %d %+v", st, inv)
	}
	f.secrets["course invitation code"] = inv.Code

	// Two credentials by offer, with PINs.
	var cid string
	for i := range 2 {
		iss := n.issueDegreeBody(t, xTok, personalDegree(a.did))
		var offer struct {
			Code   string `json:"code"`
			TxCode string `json:"txCode"`
			URI    string `json:"uri"`
		}
		if st := n.call(t, "POST", "/credentials/"+url.PathEscape(iss.CredentialID)+"/offers", xTok, map[string]any{"txCode": true}, &offer); st != http.StatusCreated || offer.Code == "" || offer.TxCode == "" {
			t.Fatalf("offer: %d %+v", st, offer)
		}
		f.secrets["offer code "+string(rune('A'+i))] = offer.Code
		f.secrets["offer PIN "+string(rune('A'+i))] = "txCode\":\"" + offer.TxCode // six digits alone occur by chance
		var got []*wallet.Credential
		if st, raw := a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": offer.URI, "txCode": offer.TxCode}, true, &got); st != http.StatusCreated || len(got) != 1 {
			t.Fatalf("accept: %d %s", st, raw)
		}
		cid = got[0].ID
		if i == 1 {
			if st := n.call(t, "POST", "/credentials/status", xTok, map[string]any{
				"credentialId": iss.CredentialID, "credentialStatus": []map[string]string{{"type": "BitstringStatusListCredential", "status": "revoked"}},
			}, nil); st != 200 {
				t.Fatalf("revoke: %d", st)
			}
		}
	}
	var sh struct {
		URL string `json:"url"`
	}
	if st, raw := a.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{cid}, "expiresIn": "1h"}, true, &sh); st != http.StatusCreated {
		t.Fatalf("share: %d %s", st, raw)
	}
	f.secrets["share link token"] = sh.URL[strings.LastIndex(sh.URL, "/")+1:]
	// The share is opened once, so its access log holds a visit.
	if st, _ := (&holderClient{base: n.base}).do(t, "GET", strings.TrimPrefix(sh.URL, n.base), nil, false, nil); st != 200 {
		t.Fatalf("open share: %d", st)
	}
	// A presentation to the node's verifier.
	var p wallet.Presentation
	if st, raw := a.do(t, "POST", "/wallet/presentations", map[string]any{"credentialIds": []string{cid}, "challenge": "privacy-1", "domain": "hr.example.cn"}, true, &p); st != 200 {
		t.Fatalf("present: %d %s", st, raw)
	}
	verifyVP(t, n, &p, "privacy-1", "hr.example.cn")
	waitChainQuiet(t, rpc, cfg.chain.blockInterval) // every transaction is in a block before the chain is read
	return f
}

// issueDegreeBody issues body (a VC-API issue request) and returns the answer.
func (n *node) issueDegreeBody(t *testing.T, token string, body map[string]any) issueAnswer {
	t.Helper()
	var iss issueAnswer
	if st := n.call(t, "POST", "/credentials/issue", token, body, &iss); st != http.StatusCreated || iss.AnchorReceipt == nil {
		t.Fatalf("issue: %d %+v", st, iss)
	}
	return iss
}

// privateKeyPatterns are shapes private keys take when serialised: a JWK's
// private member, a multibase Ed25519 or P-256 secret key, PEM, and the
// member names our code would give one.
var privateKeyPatterns = []*regexp.Regexp{
	regexp.MustCompile(`"d"\s*:\s*"[A-Za-z0-9_-]{40,}"`),
	regexp.MustCompile(`z3u2[1-9A-HJ-NP-Za-km-z]{40,}`), // ed25519-priv multikey
	regexp.MustCompile(`z42t[1-9A-HJ-NP-Za-km-z]{40,}`), // p256-priv multikey
	regexp.MustCompile(`PRIVATE KEY`),
	regexp.MustCompile(`(?i)"(private_?key|secretKeyMultibase|seed)"\s*:\s*"[^"]{16,}"`),
}

// findSecrets reports every secret (also base64url- or base64-encoded) and
// private-key shape in raw.
func findSecrets(raw []byte, secrets map[string]string) []string {
	var out []string
	for what, s := range secrets {
		for _, enc := range []string{s, base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s))} {
			if bytes.Contains(raw, []byte(enc)) {
				out = append(out, what+" in clear")
				break
			}
		}
	}
	for _, re := range privateKeyPatterns {
		if m := re.Find(raw); m != nil {
			out = append(out, "a private key shape: "+truncate(string(m), 24))
		}
	}
	return out
}

// findPersonal reports every piece of personal data in raw.
func findPersonal(raw []byte, personal map[string]string) []string {
	var out []string
	for what, s := range personal {
		if bytes.Contains(raw, []byte(s)) {
			out = append(out, what)
		}
	}
	return out
}

// TestSecretsAtRestBolt reads the embedded store's file as bytes, free
// pages included: no token, password, PIN, session id, offer code, share
// token or private key is in it in clear.
func TestSecretsAtRestBolt(t *testing.T) {
	f := usePrivacyNode(t, testConfig(t))
	raw, err := os.ReadFile(filepath.Join(f.dataDir, storeFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) < 32<<10 {
		t.Fatalf("the store file is only %d bytes: is it the store?", len(raw))
	}
	if !bytes.Contains(raw, []byte(f.orgDID)) {
		t.Fatal("the organisation's DID is not in the store file: the scan reads the wrong bytes")
	}
	if got := findSecrets(raw, f.secrets); len(got) > 0 {
		t.Errorf("the raw store file holds: %s", strings.Join(got, "; "))
	}
	t.Logf("scanned %d bytes of %s for %d secrets and %d key shapes", len(raw), storeFile, len(f.secrets), len(privateKeyPatterns))
	f.checkChain(t)
}

// TestSecretsAtRestRedis does the same over every key and value the node
// wrote to Redis.
func TestSecretsAtRestRedis(t *testing.T) {
	cfg := testConfig(t)
	cfg.redisURL = walletRedisURL(t)
	f := usePrivacyNode(t, cfg)
	u, err := url.Parse(cfg.redisURL)
	if err != nil {
		t.Fatal(err)
	}
	prefix := u.Query().Get("prefix")
	rdb := goredis.NewClient(&goredis.Options{Addr: u.Host})
	defer rdb.Close()
	ctx := t.Context()
	var all bytes.Buffer
	keys := 0
	iter := rdb.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		k := iter.Val()
		keys++
		all.WriteString(k + "\n")
		all.Write(redisValue(ctx, t, rdb, k))
		all.WriteByte('\n')
	}
	if err := iter.Err(); err != nil {
		t.Fatal(err)
	}
	if keys < 10 {
		t.Fatalf("only %d keys under %q: is it the node's Redis?", keys, prefix)
	}
	if !bytes.Contains(all.Bytes(), []byte(f.orgDID)) {
		t.Fatal("the organisation's DID is not in Redis: the scan reads the wrong bytes")
	}
	if got := findSecrets(all.Bytes(), f.secrets); len(got) > 0 {
		t.Errorf("Redis holds: %s", strings.Join(got, "; "))
	}
	t.Logf("scanned %d Redis keys (%d bytes) for %d secrets", keys, all.Len(), len(f.secrets))
	f.checkChain(t)
}

// redisValue reads a key's value whatever its type.
func redisValue(ctx context.Context, t *testing.T, rdb *goredis.Client, k string) []byte {
	t.Helper()
	typ, err := rdb.Type(ctx, k).Result()
	if err != nil {
		t.Fatal(err)
	}
	var parts []string
	switch typ {
	case "string":
		v, _ := rdb.Get(ctx, k).Result()
		parts = []string{v}
	case "hash":
		m, _ := rdb.HGetAll(ctx, k).Result()
		for kk, v := range m {
			parts = append(parts, kk, v)
		}
	case "list":
		parts, _ = rdb.LRange(ctx, k, 0, -1).Result()
	case "set":
		parts, _ = rdb.SMembers(ctx, k).Result()
	case "zset":
		parts, _ = rdb.ZRange(ctx, k, 0, -1).Result()
	case "stream":
		xs, _ := rdb.XRange(ctx, k, "-", "+").Result()
		for _, x := range xs {
			b, _ := json.Marshal(x.Values)
			parts = append(parts, string(b))
		}
	default:
		t.Errorf("Redis key %s of type %s: not scanned", k, typ)
	}
	return []byte(strings.Join(parts, "\n"))
}

// checkChain scans every transaction of every block (through the node's
// RPC) and the chain's files on disk: none of the holder's personal data,
// her DID or a secret is there.
func (f *privacyFixture) checkChain(t *testing.T) {
	t.Helper()
	ctx := t.Context()
	status, err := f.rpc.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var txs bytes.Buffer
	ntx := 0
	for h := int64(1); h <= status.SyncInfo.LatestBlockHeight; h++ {
		b, err := f.rpc.Block(ctx, &h)
		if err != nil {
			t.Fatal(err)
		}
		for _, tx := range b.Block.Txs {
			txs.Write(tx)
			txs.WriteByte('\n')
			ntx++
		}
	}
	if ntx < 4 {
		t.Fatalf("only %d transactions on chain", ntx)
	}
	if !bytes.Contains(txs.Bytes(), []byte("did:talent:")) {
		t.Fatal("the issuer's DID is not in the transactions: the scan reads the wrong bytes")
	}
	if got := findPersonal(txs.Bytes(), f.personal); len(got) > 0 {
		t.Errorf("personal data in chain transactions: %s", strings.Join(got, ", "))
	}
	if got := findSecrets(txs.Bytes(), f.secrets); len(got) > 0 {
		t.Errorf("secrets in chain transactions: %s", strings.Join(got, ", "))
	}
	// The chain's own files: blocks, state, the application's state.
	var files, size, control int
	filepath.WalkDir(filepath.Join(f.dataDir, "chain"), func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		raw, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files++
		size += len(raw)
		if bytes.Contains(raw, []byte(f.orgDID)) {
			control++
		}
		if got := findPersonal(raw, f.personal); len(got) > 0 {
			t.Errorf("personal data in chain file %s: %s", p, strings.Join(got, ", "))
		}
		return nil
	})
	if files == 0 || control == 0 {
		t.Fatalf("%d chain files, %d of them with the organisation's DID: the scan reads the wrong bytes", files, control)
	}
	t.Logf("scanned %d chain transactions in %d blocks and %d chain files (%d bytes) for %d kinds of personal data",
		ntx, status.SyncInfo.LatestBlockHeight, files, size, len(f.personal))
}
