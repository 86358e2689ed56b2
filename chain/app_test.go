package chain

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
)

var genesisTime = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)

// harness drives an App through its ABCI methods, one block per call to
// block, as CometBFT would.
type harness struct {
	t      testing.TB
	app    *App
	db     dbm.DB
	height int64
	gov    []ed25519.PrivateKey
}

func govKeys(n int) []ed25519.PrivateKey {
	var ks []ed25519.PrivateKey
	for i := range n {
		ks = append(ks, testKey(fmt.Sprintf("gov-%d", i)))
	}
	return ks
}

func genesisBytes(t testing.TB, keys []ed25519.PrivateKey, threshold uint32) []byte {
	t.Helper()
	var g Genesis
	for _, k := range keys {
		g.Governance.Members = append(g.Governance.Members, pubOf(k))
	}
	sortStrings(g.Governance.Members)
	g.Governance.Threshold = threshold
	b, err := json.Marshal(g)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func newHarness(t testing.TB, db dbm.DB) *harness {
	t.Helper()
	if db == nil {
		db = dbm.NewMemDB()
	}
	app, err := New(Config{DB: db})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, app: app, db: db, gov: govKeys(3)}
	_, err = app.InitChain(context.Background(), &abci.RequestInitChain{
		ChainId: testChainID, Time: genesisTime, InitialHeight: 1,
		AppStateBytes: genesisBytes(t, h.gov, 2),
	})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// block finalizes and commits one block with txs.
func (h *harness) block(txs ...[]byte) []*abci.ExecTxResult {
	h.t.Helper()
	h.height++
	ctx := context.Background()
	resp, err := h.app.FinalizeBlock(ctx, &abci.RequestFinalizeBlock{
		Txs: txs, Height: h.height, Time: genesisTime.Add(time.Duration(h.height) * time.Second),
	})
	if err != nil {
		h.t.Fatal(err)
	}
	if _, err := h.app.Commit(ctx, &abci.RequestCommit{}); err != nil {
		h.t.Fatal(err)
	}
	return resp.TxResults
}

// exec runs one tx in its own block and returns its result.
func (h *harness) exec(tx []byte) *abci.ExecTxResult {
	h.t.Helper()
	return h.block(tx)[0]
}

// mustOK runs txs in one block and fails unless each succeeds.
func (h *harness) mustOK(txs ...[]byte) {
	h.t.Helper()
	for i, r := range h.block(txs...) {
		if r.Code != 0 {
			h.t.Fatalf("tx %d: code %s: %s", i, Code(r.Code), r.Log)
		}
	}
}

func (h *harness) seq(account string) uint64 {
	h.t.Helper()
	resp := h.query(PathAccount+account, false)
	if resp.Code == uint32(CodeNotFound) {
		return 0
	}
	var a Account
	if err := json.Unmarshal(resp.Value, &a); err != nil {
		h.t.Fatal(err)
	}
	return a.Sequence
}

// govTx builds a governance tx signed by the given members.
func (h *harness) govTx(p Payload, signers ...int) []byte {
	h.t.Helper()
	tx := NewTx(p, GovernanceSigner, h.seq(GovernanceSigner)+1)
	for _, i := range signers {
		if err := tx.Sign(testChainID, h.gov[i]); err != nil {
			h.t.Fatal(err)
		}
	}
	return mustEncode(h.t, tx)
}

// issuerTx builds a tx signed by key as keyID of its issuer.
func (h *harness) issuerTx(p Payload, keyID string, key ed25519.PrivateKey) []byte {
	h.t.Helper()
	did, _, _ := SplitKeyID(keyID)
	tx := NewTx(p, keyID, h.seq(did)+1)
	if err := tx.Sign(testChainID, key); err != nil {
		h.t.Fatal(err)
	}
	return mustEncode(h.t, tx)
}

// query asks the app and, for provable paths, verifies the proof against
// the committed AppHash.
func (h *harness) query(path string, prove bool) *abci.ResponseQuery {
	h.t.Helper()
	resp, err := h.app.Query(context.Background(), &abci.RequestQuery{Path: path, Prove: prove})
	if err != nil {
		h.t.Fatal(err)
	}
	if prove {
		_, appHash := h.app.Height()
		if err := VerifyQuery(appHash, path, resp); err != nil {
			h.t.Fatalf("proof for %s: %v", path, err)
		}
	}
	return resp
}

func (h *harness) issuer(did string) Issuer {
	h.t.Helper()
	resp := h.query(PathIssuer+did, true)
	var is Issuer
	if err := json.Unmarshal(resp.Value, &is); err != nil {
		h.t.Fatalf("issuer %s: %v (%s)", did, err, resp.Log)
	}
	return is
}

// world is a harness with one registered issuer accredited for
// BachelorDegree, and a second registered but unaccredited issuer.
type world struct {
	*harness
	uni, other       ed25519.PrivateKey
	uniDID, otherDID string
	uniKey, otherKey string
}

func newWorld(t testing.TB) *world { return newWorldDB(t, nil) }

func newWorldDB(t testing.TB, db dbm.DB) *world {
	w := &world{harness: newHarness(t, db), uni: testKey("uni"), other: testKey("other")}
	w.uniDID = IssuerDID(w.uni.Public().(ed25519.PublicKey))
	w.otherDID = IssuerDID(w.other.Public().(ed25519.PublicKey))
	w.uniKey, w.otherKey = KeyID(w.uniDID, 1), KeyID(w.otherDID, 1)
	w.mustOK(w.govTx(register(w.uni, KindUniversity), 0, 1))
	w.mustOK(w.govTx(register(w.other, KindTrainingOrg), 1, 2))
	w.mustOK(w.govTx(&Accredit{Issuer: w.uniDID, CredentialType: "BachelorDegree", Levels: []string{"bachelor"}}, 0, 2))
	return w
}

func register(k ed25519.PrivateKey, kind string) *RegisterIssuer {
	return &RegisterIssuer{Kind: kind, Names: Names{En: "Issuer " + kind, Zh: "发证机构"}, PublicKey: pubOf(k)}
}

func root(s string) string {
	var b [32]byte
	copy(b[:], s)
	return fmt.Sprintf("%x", b)
}

func statusUpdate(set ...uint64) *StatusUpdate {
	return &StatusUpdate{ListID: "rev-1", Purpose: PurposeRevocation, Length: MinStatusListLen, Set: set}
}

// TestStateMachine covers every transaction type with good and bad cases.
// Each case starts from a fresh world, runs its setup blocks, then one block
// with the tx under test.
func TestStateMachine(t *testing.T) {
	stranger := testKey("stranger")
	tests := []struct {
		name  string
		setup func(w *world)
		tx    func(w *world) []byte
		want  Code
	}{
		// RegisterIssuer
		{"register ok", nil, func(w *world) []byte { return w.govTx(register(testKey("new"), KindSciencePark), 0, 1) }, CodeOK},
		{"register with all three", nil, func(w *world) []byte { return w.govTx(register(testKey("new"), KindSciencePark), 0, 1, 2) }, CodeOK},
		{"register one signature", nil, func(w *world) []byte { return w.govTx(register(testKey("new"), KindSciencePark), 0) }, CodeInsufficientSignatures},
		{"register non-member signature", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)+1)
			_ = tx.Sign(testChainID, w.gov[0])
			_ = tx.Sign(testChainID, stranger)
			return mustEncode(w.t, tx)
		}, CodeNotMember},
		{"register duplicate member signature", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)+1)
			_ = tx.Sign(testChainID, w.gov[0])
			_ = tx.Sign(testChainID, w.gov[0])
			return mustEncode(w.t, tx)
		}, CodeDuplicateSignature},
		{"register forged signature", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)+1)
			_ = tx.Sign(testChainID, w.gov[0])
			_ = tx.Sign(testChainID, w.gov[1])
			tx.Payload.(*RegisterIssuer).Names.En = "Changed after signing"
			return mustEncode(w.t, tx)
		}, CodeBadSignature},
		{"register other chain", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)+1)
			_ = tx.Sign("other-chain", w.gov[0])
			_ = tx.Sign("other-chain", w.gov[1])
			return mustEncode(w.t, tx)
		}, CodeBadSignature},
		{"register twice", nil, func(w *world) []byte { return w.govTx(register(w.uni, KindUniversity), 0, 1) }, CodeConflict},
		{"register replay", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)) // reuses the last sequence
			_ = tx.Sign(testChainID, w.gov[0])
			_ = tx.Sign(testChainID, w.gov[1])
			return mustEncode(w.t, tx)
		}, CodeBadSequence},
		{"register sequence gap", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)+2)
			_ = tx.Sign(testChainID, w.gov[0])
			_ = tx.Sign(testChainID, w.gov[1])
			return mustEncode(w.t, tx)
		}, CodeBadSequence},
		{"issuer signs governance tx", nil, func(w *world) []byte {
			tx := NewTx(register(testKey("new"), KindSciencePark), GovernanceSigner, w.seq(GovernanceSigner)+1)
			_ = tx.Sign(testChainID, w.uni)
			return mustEncode(w.t, tx)
		}, CodeNotMember},
		{"malformed bytes", nil, func(w *world) []byte { return []byte("\x00\x01garbage") }, CodeMalformed},
		{"truncated tx", nil, func(w *world) []byte {
			b := w.govTx(register(testKey("new"), KindSciencePark), 0, 1)
			return b[:len(b)-5]
		}, CodeMalformed},

		// Accredit / Withdraw
		{"accredit ok", nil, func(w *world) []byte {
			return w.govTx(&Accredit{Issuer: w.otherDID, CredentialType: "TrainingCertificate"}, 0, 1)
		}, CodeOK},
		{"accredit unknown issuer", nil, func(w *world) []byte {
			return w.govTx(&Accredit{Issuer: IssuerDID(stranger.Public().(ed25519.PublicKey)), CredentialType: "X"}, 0, 1)
		}, CodeUnknownIssuer},
		{"accredit unsorted levels", nil, func(w *world) []byte {
			return w.govTx(&Accredit{Issuer: w.uniDID, CredentialType: "Degree", Levels: []string{"master", "bachelor"}}, 0, 1)
		}, CodeInvalidPayload},
		{"accredit removed issuer", func(w *world) { w.mustOK(w.govTx(&RemoveIssuer{Issuer: w.otherDID}, 0, 1)) }, func(w *world) []byte {
			return w.govTx(&Accredit{Issuer: w.otherDID, CredentialType: "X"}, 0, 1)
		}, CodeIssuerNotActive},
		{"withdraw ok", nil, func(w *world) []byte {
			return w.govTx(&Withdraw{Issuer: w.uniDID, CredentialType: "BachelorDegree"}, 1, 2)
		}, CodeOK},
		{"withdraw not accredited", nil, func(w *world) []byte {
			return w.govTx(&Withdraw{Issuer: w.otherDID, CredentialType: "BachelorDegree"}, 1, 2)
		}, CodeNotAccredited},
		{"withdraw one signature", nil, func(w *world) []byte {
			return w.govTx(&Withdraw{Issuer: w.uniDID, CredentialType: "BachelorDegree"}, 2)
		}, CodeInsufficientSignatures},

		// Suspend / Reinstate / Remove
		{"suspend ok", nil, func(w *world) []byte { return w.govTx(&SuspendIssuer{Issuer: w.uniDID, Reason: "audit"}, 0, 1) }, CodeOK},
		{"suspend twice", func(w *world) { w.mustOK(w.govTx(&SuspendIssuer{Issuer: w.uniDID}, 0, 1)) },
			func(w *world) []byte { return w.govTx(&SuspendIssuer{Issuer: w.uniDID}, 0, 1) }, CodeConflict},
		{"reinstate ok", func(w *world) { w.mustOK(w.govTx(&SuspendIssuer{Issuer: w.uniDID}, 0, 1)) },
			func(w *world) []byte { return w.govTx(&ReinstateIssuer{Issuer: w.uniDID}, 0, 1) }, CodeOK},
		{"reinstate active", nil, func(w *world) []byte { return w.govTx(&ReinstateIssuer{Issuer: w.uniDID}, 0, 1) }, CodeConflict},
		{"remove ok", nil, func(w *world) []byte { return w.govTx(&RemoveIssuer{Issuer: w.uniDID}, 0, 1) }, CodeOK},
		{"reinstate removed", func(w *world) { w.mustOK(w.govTx(&RemoveIssuer{Issuer: w.uniDID}, 0, 1)) },
			func(w *world) []byte { return w.govTx(&ReinstateIssuer{Issuer: w.uniDID}, 0, 1) }, CodeConflict},

		// UpdateGovernance
		{"update governance ok", nil, func(w *world) []byte {
			m := []string{pubOf(w.gov[0]), pubOf(stranger)}
			sortStrings(m)
			return w.govTx(&UpdateGovernance{Members: m, Threshold: 2}, 0, 1)
		}, CodeOK},
		{"update governance threshold too high", nil, func(w *world) []byte {
			return w.govTx(&UpdateGovernance{Members: []string{pubOf(stranger)}, Threshold: 2}, 0, 1)
		}, CodeInvalidPayload},
		{"old member after governance update", func(w *world) {
			m := []string{pubOf(w.gov[0]), pubOf(stranger)}
			sortStrings(m)
			w.mustOK(w.govTx(&UpdateGovernance{Members: m, Threshold: 1}, 0, 1))
		}, func(w *world) []byte { return w.govTx(register(testKey("new"), KindSciencePark), 1) }, CodeNotMember},

		// Anchor
		{"anchor ok", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 10, BatchID: "2025-09"}, w.uniKey, w.uni)
		}, CodeOK},
		{"anchor with accredited type", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1, CredentialTypes: []string{"BachelorDegree"}}, w.uniKey, w.uni)
		}, CodeOK},
		{"anchor with unaccredited type", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1, CredentialTypes: []string{"DoctorDegree"}}, w.uniKey, w.uni)
		}, CodeNotAccredited},
		{"anchor by unaccredited issuer", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.otherKey, w.other)
		}, CodeNotAccredited},
		{"anchor after withdrawal", func(w *world) {
			w.mustOK(w.govTx(&Withdraw{Issuer: w.uniDID, CredentialType: "BachelorDegree"}, 0, 1))
		}, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni)
		}, CodeNotAccredited},
		{"anchor by suspended issuer", func(w *world) { w.mustOK(w.govTx(&SuspendIssuer{Issuer: w.uniDID}, 0, 1)) }, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni)
		}, CodeIssuerNotActive},
		{"anchor by reinstated issuer", func(w *world) {
			w.mustOK(w.govTx(&SuspendIssuer{Issuer: w.uniDID}, 0, 1))
			w.mustOK(w.govTx(&ReinstateIssuer{Issuer: w.uniDID}, 0, 1))
		}, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni)
		}, CodeOK},
		{"anchor same root twice", func(w *world) {
			w.mustOK(w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni))
		}, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 2}, w.uniKey, w.uni)
		}, CodeConflict},
		{"anchor replay", func(w *world) {
			w.mustOK(w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni))
		}, func(w *world) []byte {
			tx := NewTx(&Anchor{Root: root("b"), LeafCount: 1}, w.uniKey, 1)
			_ = tx.Sign(testChainID, w.uni)
			return mustEncode(w.t, tx)
		}, CodeBadSequence},
		{"anchor signed by another issuer's key", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.other)
		}, CodeWrongSigner},
		{"anchor signed by stranger", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, stranger)
		}, CodeWrongSigner},
		{"anchor by unregistered issuer", nil, func(w *world) []byte {
			did := IssuerDID(stranger.Public().(ed25519.PublicKey))
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, KeyID(did, 1), stranger)
		}, CodeUnknownIssuer},
		{"anchor with unknown key id", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, KeyID(w.uniDID, 7), w.uni)
		}, CodeWrongSigner},
		{"anchor bad root", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: "ABCD", LeafCount: 1}, w.uniKey, w.uni)
		}, CodeInvalidPayload},
		{"anchor zero leaves", nil, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a")}, w.uniKey, w.uni)
		}, CodeInvalidPayload},

		// RotateKey
		{"rotate ok", nil, func(w *world) []byte {
			return w.issuerTx(&RotateKey{NewPublicKey: pubOf(testKey("uni-2"))}, w.uniKey, w.uni)
		}, CodeOK},
		{"rotate to a used key", nil, func(w *world) []byte {
			return w.issuerTx(&RotateKey{NewPublicKey: pubOf(w.other)}, w.uniKey, w.uni)
		}, CodeConflict},
		{"anchor with rotated-out key", func(w *world) {
			w.mustOK(w.issuerTx(&RotateKey{NewPublicKey: pubOf(testKey("uni-2"))}, w.uniKey, w.uni))
		}, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni)
		}, CodeKeyNotCurrent},
		{"anchor with new key", func(w *world) {
			w.mustOK(w.issuerTx(&RotateKey{NewPublicKey: pubOf(testKey("uni-2"))}, w.uniKey, w.uni))
		}, func(w *world) []byte {
			return w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, KeyID(w.uniDID, 2), testKey("uni-2"))
		}, CodeOK},
		{"rotate with rotated-out key", func(w *world) {
			w.mustOK(w.issuerTx(&RotateKey{NewPublicKey: pubOf(testKey("uni-2"))}, w.uniKey, w.uni))
		}, func(w *world) []byte {
			return w.issuerTx(&RotateKey{NewPublicKey: pubOf(testKey("uni-3"))}, w.uniKey, w.uni)
		}, CodeKeyNotCurrent},
		{"rotate removed issuer", func(w *world) { w.mustOK(w.govTx(&RemoveIssuer{Issuer: w.uniDID}, 0, 1)) }, func(w *world) []byte {
			return w.issuerTx(&RotateKey{NewPublicKey: pubOf(testKey("uni-2"))}, w.uniKey, w.uni)
		}, CodeIssuerNotActive},

		// StatusUpdate
		{"status create", nil, func(w *world) []byte { return w.issuerTx(statusUpdate(3, 9), w.uniKey, w.uni) }, CodeOK},
		{"status by suspended issuer", func(w *world) { w.mustOK(w.govTx(&SuspendIssuer{Issuer: w.uniDID}, 0, 1)) },
			func(w *world) []byte { return w.issuerTx(statusUpdate(3), w.uniKey, w.uni) }, CodeOK},
		{"status by removed issuer", func(w *world) { w.mustOK(w.govTx(&RemoveIssuer{Issuer: w.uniDID}, 0, 1)) },
			func(w *world) []byte { return w.issuerTx(statusUpdate(3), w.uniKey, w.uni) }, CodeIssuerNotActive},
		{"status index out of range", nil, func(w *world) []byte {
			return w.issuerTx(statusUpdate(MinStatusListLen), w.uniKey, w.uni)
		}, CodeInvalidPayload},
		{"status set and clear same bit", nil, func(w *world) []byte {
			p := statusUpdate(5)
			p.Clear = []uint64{5}
			return w.issuerTx(p, w.uniKey, w.uni)
		}, CodeInvalidPayload},
		{"status length change", func(w *world) { w.mustOK(w.issuerTx(statusUpdate(1), w.uniKey, w.uni)) }, func(w *world) []byte {
			p := statusUpdate(2)
			p.Length = 2 * MinStatusListLen
			return w.issuerTx(p, w.uniKey, w.uni)
		}, CodeConflict},
		{"status purpose change", func(w *world) { w.mustOK(w.issuerTx(statusUpdate(1), w.uniKey, w.uni)) }, func(w *world) []byte {
			p := statusUpdate(2)
			p.Purpose = PurposeSuspension
			return w.issuerTx(p, w.uniKey, w.uni)
		}, CodeConflict},
		{"status by other issuer's key", nil, func(w *world) []byte { return w.issuerTx(statusUpdate(1), w.otherKey, w.uni) }, CodeWrongSigner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			if tt.setup != nil {
				tt.setup(w)
			}
			tx := tt.tx(w)
			// CheckTx and FinalizeBlock must agree.
			ct, err := w.app.CheckTx(context.Background(), &abci.RequestCheckTx{Tx: tx})
			if err != nil {
				t.Fatal(err)
			}
			_, before := w.app.Height()
			r := w.exec(tx)
			if Code(r.Code) != tt.want || Code(ct.Code) != tt.want {
				t.Fatalf("FinalizeBlock code %s (%s), CheckTx code %s (%s), want %s", Code(r.Code), r.Log, Code(ct.Code), ct.Log, tt.want)
			}
			if tt.want != CodeOK {
				if r.Log == "" {
					t.Error("refusal without a log")
				}
				if _, after := w.app.Height(); !bytes.Equal(before, after) {
					t.Error("a refused tx changed the AppHash")
				}
			}
		})
	}
}

func TestCheckTxRejectsReplayInMempool(t *testing.T) {
	w := newWorld(t)
	tx := w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni)
	ctx := context.Background()
	for i, want := range []Code{CodeOK, CodeBadSequence} {
		r, err := w.app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx})
		if err != nil {
			t.Fatal(err)
		}
		if Code(r.Code) != want {
			t.Fatalf("CheckTx #%d: code %s (%s), want %s", i, Code(r.Code), r.Log, want)
		}
	}
	// The next sequence is accepted in the mempool before the first commits.
	next := NewTx(&Anchor{Root: root("b"), LeafCount: 1}, w.uniKey, w.seq(w.uniDID)+2)
	if err := next.Sign(testChainID, w.uni); err != nil {
		t.Fatal(err)
	}
	if r, _ := w.app.CheckTx(ctx, &abci.RequestCheckTx{Tx: mustEncode(t, next)}); r.Code != 0 {
		t.Fatalf("CheckTx of the following sequence: %s", r.Log)
	}
	// Committed txs are replays afterwards.
	w.mustOK(tx)
	if r, _ := w.app.CheckTx(ctx, &abci.RequestCheckTx{Tx: tx, Type: abci.CheckTxType_Recheck}); Code(r.Code) != CodeBadSequence {
		t.Fatalf("recheck after commit: %s", Code(r.Code))
	}
}

func TestSameBlockRules(t *testing.T) {
	w := newWorld(t)
	seq := w.seq(w.uniDID)
	mk := func(p Payload, keyID string, k ed25519.PrivateKey, s uint64) []byte {
		tx := NewTx(p, keyID, s)
		if err := tx.Sign(testChainID, k); err != nil {
			t.Fatal(err)
		}
		return mustEncode(t, tx)
	}
	k2 := testKey("uni-2")
	res := w.block(
		mk(&Anchor{Root: root("1"), LeafCount: 1}, w.uniKey, w.uni, seq+1),
		mk(&RotateKey{NewPublicKey: pubOf(k2)}, w.uniKey, w.uni, seq+2),
		mk(&Anchor{Root: root("2"), LeafCount: 1}, w.uniKey, w.uni, seq+3),            // old key valid to the end of the block
		mk(&Anchor{Root: root("3"), LeafCount: 1}, KeyID(w.uniDID, 2), k2, seq+3),     // new key not yet valid
		mk(&RotateKey{NewPublicKey: pubOf(testKey("uni-3"))}, w.uniKey, w.uni, seq+4), // one rotation per block
		mk(&Anchor{Root: root("3"), LeafCount: 1}, w.uniKey, w.uni, seq+3),            // replay of seq+3
		mk(&Anchor{Root: root("4"), LeafCount: 1}, w.uniKey, w.uni, seq+4),
	)
	want := []Code{CodeOK, CodeOK, CodeOK, CodeKeyNotCurrent, CodeConflict, CodeBadSequence, CodeOK}
	for i, r := range res {
		if Code(r.Code) != want[i] {
			t.Errorf("tx %d: code %s (%s), want %s", i, Code(r.Code), r.Log, want[i])
		}
	}
	is := w.issuer(w.uniDID)
	if len(is.Keys) != 2 || is.Keys[0].ValidUntilHeight != w.height || is.Keys[1].ValidFromHeight != w.height+1 {
		t.Fatalf("key history %+v", is.Keys)
	}
	doc := is.DIDDocument()
	if len(doc.VerificationMethod) != 2 || len(doc.AssertionMethod) != 2 ||
		len(doc.Authentication) != 1 || doc.Authentication[0] != KeyID(w.uniDID, 2) {
		t.Fatalf("DID document after rotation: %+v", doc)
	}
}

func TestQueries(t *testing.T) {
	w := newWorld(t)
	w.mustOK(w.issuerTx(&Anchor{Root: root("a"), LeafCount: 7, BatchID: "b1", CredentialTypes: []string{"BachelorDegree"}}, w.uniKey, w.uni))
	anchorHeight := w.height
	w.mustOK(w.issuerTx(statusUpdate(0, 17), w.uniKey, w.uni))
	w.mustOK(w.govTx(&Withdraw{Issuer: w.uniDID, CredentialType: "BachelorDegree"}, 0, 1))

	var a AnchorRecord
	if err := json.Unmarshal(w.query(PathAnchor+root("a"), true).Value, &a); err != nil {
		t.Fatal(err)
	}
	if a.Issuer != w.uniDID || a.LeafCount != 7 || a.Height != anchorHeight || a.KeyID != w.uniKey || len(a.TxHash) != 64 {
		t.Fatalf("anchor %+v", a)
	}
	if r := w.query(PathAnchor+root("zz"), true); Code(r.Code) != CodeNotFound {
		t.Fatalf("missing anchor: code %s", Code(r.Code))
	}

	var l StatusList
	if err := json.Unmarshal(w.query(PathStatusList+w.uniDID+"/rev-1", true).Value, &l); err != nil {
		t.Fatal(err)
	}
	if !l.Bit(0) || !l.Bit(17) || l.Bit(1) || l.Length != MinStatusListLen {
		t.Fatalf("status list bits wrong")
	}
	if enc, err := l.EncodedList(); err != nil || !strings.HasPrefix(enc, "u") {
		t.Fatalf("EncodedList = %q, %v", enc, err)
	}

	var acc Accreditation
	if err := json.Unmarshal(w.query(PathAccreditation+w.uniDID+"/BachelorDegree", true).Value, &acc); err != nil {
		t.Fatal(err)
	}
	if _, active := acc.Active(); active || len(acc.Grants) != 1 {
		t.Fatalf("accreditation %+v", acc)
	}
	if _, ok := acc.At(a.Time); !ok {
		t.Error("not accredited at the anchor's time")
	}
	if _, ok := acc.At(*acc.Grants[0].WithdrawnTime); ok {
		t.Error("accredited at the withdrawal time")
	}

	lists := []struct {
		path string
		n    int
	}{
		{PathIssuers, 2}, {PathAccreditation + w.uniDID, 1}, {PathAnchors + w.uniDID, 1},
		{PathStatusLists + w.uniDID, 1}, {PathAnchors + w.otherDID, 0},
	}
	for _, tt := range lists {
		var items []json.RawMessage
		r := w.query(tt.path, false)
		if err := json.Unmarshal(r.Value, &items); err != nil || len(items) != tt.n {
			t.Errorf("%s: %d items (%v, %s), want %d", tt.path, len(items), err, r.Log, tt.n)
		}
	}

	var g Governance
	if err := json.Unmarshal(w.query(PathGovernance, true).Value, &g); err != nil || g.Threshold != 2 || len(g.Members) != 3 {
		t.Fatalf("governance %+v %v", g, err)
	}
	if s := w.seq(GovernanceSigner); s != 4 {
		t.Fatalf("governance sequence %d, want 4", s)
	}
	for _, bad := range []string{"/nope", "/issuer/", "/anchor/xyz", "/statuslist/a", "/accreditation/a/b/c"} {
		if r, _ := w.app.Query(context.Background(), &abci.RequestQuery{Path: bad}); Code(r.Code) != CodeBadQuery {
			t.Errorf("%s: code %s, want bad_query", bad, Code(r.Code))
		}
	}
	if r, _ := w.app.Query(context.Background(), &abci.RequestQuery{Path: PathGovernance, Height: 1}); Code(r.Code) != CodeBadQuery {
		t.Errorf("historic query: code %s", Code(r.Code))
	}
	// An empty block leaves the state, and so the proof height, unchanged:
	// the header after that height is the one that commits to the state.
	before := w.query(PathGovernance, true).Height
	w.block()
	if r := w.query(PathGovernance, true); r.Height != before || before != w.height-1 {
		t.Errorf("after an empty block: proof height %d, want %d (chain at %d)", r.Height, before, w.height)
	}
	// A proof for one key must not verify for another.
	r := w.query(PathIssuer+w.uniDID, true)
	_, appHash := w.app.Height()
	if err := VerifyQuery(appHash, PathIssuer+w.otherDID, r); err == nil {
		t.Error("proof verified for another path")
	}
	r.Value = append(bytes.Clone(r.Value[:len(r.Value)-1]), ' ', '}')
	if err := VerifyQuery(appHash, PathIssuer+w.uniDID, r); err == nil {
		t.Error("proof verified for a tampered value")
	}
}

// scenario is a fixed list of blocks touching every tx type; each block's
// txs are built when it runs, so sequences follow the state.
func scenario(w *world) []func() [][]byte {
	k2 := testKey("uni-2")
	return []func() [][]byte{
		func() [][]byte { return [][]byte{w.issuerTx(&Anchor{Root: root("1"), LeafCount: 3}, w.uniKey, w.uni)} },
		func() [][]byte { return [][]byte{w.issuerTx(statusUpdate(4), w.uniKey, w.uni), []byte("junk")} },
		func() [][]byte { return [][]byte{w.issuerTx(&RotateKey{NewPublicKey: pubOf(k2)}, w.uniKey, w.uni)} },
		func() [][]byte { return [][]byte{w.govTx(&SuspendIssuer{Issuer: w.otherDID}, 0, 1)} },
		func() [][]byte {
			return [][]byte{w.issuerTx(&Anchor{Root: root("2"), LeafCount: 3}, KeyID(w.uniDID, 2), k2)}
		},
	}
}

func TestDeterminism(t *testing.T) {
	dir := t.TempDir()
	db, err := OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	a := newWorld(t)
	b := newWorldDB(t, db) // b persists to goleveldb
	for _, blk := range scenario(a) {
		a.block(blk()...)
	}
	for _, blk := range scenario(b) {
		b.block(blk()...)
	}
	for _, w := range []*world{a, b} {
		if r := w.query(PathAnchor+root("2"), true); r.Code != 0 {
			t.Fatalf("scenario did not run to its end: %s", r.Log)
		}
	}
	ha, hashA := a.app.Height()
	hb, hashB := b.app.Height()
	if ha != hb || !bytes.Equal(hashA, hashB) {
		t.Fatalf("two fresh apps diverge: %d %X vs %d %X", ha, hashA, hb, hashB)
	}

	// Reopen b from disk: same height and AppHash, and it keeps executing.
	if err := b.app.Close(); err != nil {
		t.Fatal(err)
	}
	db2, err := OpenDB(dir)
	if err != nil {
		t.Fatal(err)
	}
	reopened, err := New(Config{DB: db2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { reopened.Close() })
	info, err := reopened.Info(context.Background(), &abci.RequestInfo{})
	if err != nil {
		t.Fatal(err)
	}
	if info.LastBlockHeight != hb || !bytes.Equal(info.LastBlockAppHash, hashB) {
		t.Fatalf("reopened Info: %d %X, want %d %X", info.LastBlockHeight, info.LastBlockAppHash, hb, hashB)
	}
	b.app = reopened
	next := func(w *world) []byte {
		return w.issuerTx(&Anchor{Root: root("3"), LeafCount: 1}, KeyID(w.uniDID, 2), testKey("uni-2"))
	}
	a.mustOK(next(a))
	b.mustOK(next(b))
	if _, x := a.app.Height(); !bytes.Equal(x, func() []byte { _, y := b.app.Height(); return y }()) {
		t.Fatal("reopened app diverges on the next block")
	}
}

// TestQueryBeforeFirstCommit: between InitChain and the first Commit a
// query answers InitChain's state, which the first header's AppHash (the
// one InitChain returned) commits to, so a proving client can verify it.
func TestQueryBeforeFirstCommit(t *testing.T) {
	h := newHarness(t, nil)
	if r := h.query(PathGovernance, true); r.Code != uint32(CodeOK) || r.Height != 0 {
		t.Fatalf("governance before block 1: code %d height %d: %s", r.Code, r.Height, r.Log)
	}
	// Block 1 is finalized but not committed yet: still InitChain's state.
	if _, err := h.app.FinalizeBlock(context.Background(), &abci.RequestFinalizeBlock{
		Txs: [][]byte{h.govTx(register(testKey("early"), KindUniversity), 0, 1)}, Height: 1, Time: genesisTime,
	}); err != nil {
		t.Fatal(err)
	}
	if r := h.query(PathIssuer+IssuerDID(testKey("early").Public().(ed25519.PublicKey)), true); r.Code != uint32(CodeNotFound) {
		t.Fatalf("issuer of an uncommitted block: code %d", r.Code)
	}
	if _, err := h.app.Commit(context.Background(), &abci.RequestCommit{}); err != nil {
		t.Fatal(err)
	}
	h.height = 1
	if r := h.query(PathGovernance, false); r.Code != uint32(CodeOK) || r.Height != 1 {
		t.Fatalf("governance after block 1: code %d height %d", r.Code, r.Height)
	}
}

func TestInitChainRefusesBadGenesis(t *testing.T) {
	tests := map[string]string{
		"empty":          ``,
		"no members":     `{"governance":{"members":[],"threshold":1}}`,
		"threshold zero": `{"governance":{"members":["` + pubOf(testKey("g")) + `"],"threshold":0}}`,
		"unknown field":  `{"governance":{"members":["` + pubOf(testKey("g")) + `"],"threshold":1},"x":1}`,
		"bad key":        `{"governance":{"members":["z123"],"threshold":1}}`,
	}
	for name, g := range tests {
		t.Run(name, func(t *testing.T) {
			app, _ := New(Config{DB: dbm.NewMemDB()})
			_, err := app.InitChain(context.Background(), &abci.RequestInitChain{ChainId: testChainID, AppStateBytes: []byte(g), InitialHeight: 1})
			if err == nil {
				t.Fatal("InitChain accepted a bad genesis")
			}
		})
	}
}

func TestPrepareAndProcessProposal(t *testing.T) {
	w := newWorld(t)
	good := w.issuerTx(&Anchor{Root: root("a"), LeafCount: 1}, w.uniKey, w.uni)
	bad := w.issuerTx(&Anchor{Root: root("b"), LeafCount: 1}, w.otherKey, w.other) // unaccredited
	ctx := context.Background()
	pp, err := w.app.PrepareProposal(ctx, &abci.RequestPrepareProposal{Txs: [][]byte{good, bad, good, []byte("junk")}, MaxTxBytes: 1 << 20, Height: w.height + 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(pp.Txs) != 1 || !bytes.Equal(pp.Txs[0], good) {
		t.Fatalf("PrepareProposal kept %d txs", len(pp.Txs))
	}
	for txs, want := range map[string]abci.ResponseProcessProposal_ProposalStatus{
		"good": abci.ResponseProcessProposal_ACCEPT, "junk": abci.ResponseProcessProposal_REJECT,
	} {
		in := [][]byte{good}
		if txs == "junk" {
			in = append(in, []byte("junk"))
		}
		r, err := w.app.ProcessProposal(ctx, &abci.RequestProcessProposal{Txs: in})
		if err != nil || r.Status != want {
			t.Errorf("%s: ProcessProposal = %v, %v", txs, r.Status, err)
		}
	}
}

func BenchmarkFinalizeAnchor(b *testing.B) {
	w := newWorld(b)
	for i := 0; b.Loop(); i++ {
		w.mustOK(w.issuerTx(&Anchor{Root: root(fmt.Sprint(i)), LeafCount: 1}, w.uniKey, w.uni))
	}
}

func BenchmarkQueryWithProof(b *testing.B) {
	w := newWorld(b)
	for i := range 200 {
		w.mustOK(w.issuerTx(&Anchor{Root: root(fmt.Sprint(i)), LeafCount: 1}, w.uniKey, w.uni))
	}
	path := PathAnchor + root("100")
	for b.Loop() {
		w.query(path, true)
	}
}
