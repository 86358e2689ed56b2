package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/talentchain/talentchain/ui"
	"github.com/talentchain/talentchain/wallet"
)

// The roles of the authorisation matrix, in the order the matrix tries them:
// strangers first and the owner of each resource last, so that a refused
// request that wrongly succeeded would show before the owner changes things.
const (
	roleAnon     = iota // no credentials at all
	roleHolderB         // another holder, logged in, with her CSRF token
	roleIssuerY         // another organisation's API token
	roleVerifier        // a verifier account's token (with policies)
	roleHolderA         // the holder who owns the wallet resources
	roleIssuerX         // the organisation that owns the issuer resources
	roleGov             // the node's admin (governance) token
	nRoles
)

var roleNames = [nRoles]string{"anonymous", "holderB", "issuerY", "verifier", "holderA", "issuerX", "gov"}

// allow in the matrix: the role gets past authentication and authorisation (any
// answer but 401, 403 and 404 — the route's own checks of an empty body may
// still refuse it with 400, 409, 415 or 422).
const allow = 0

// authzRow is one route: the expected status for each role, in role order.
type authzRow struct {
	route  string
	expect [nRoles]int
}

// authzMatrix classifies every registered route. A route added to ui/ and
// missing here fails TestAuthorisationMatrix until someone decides who may
// call it. The paths name resources of holder A and issuer X (see
// authzFixture); admin routes act on a spare organisation and a spare
// verifier account so they do not disturb the other rows.
//
// Reading the refusals: 401 no usable credentials of the kind the route takes
// (a wallet cookie where a bearer token is wanted, an issuer token on a
// verifier route); 403 the right kind of credential without the right (a
// holder without the CSRF header never happens here — every holder request
// carries it — so 403 is "not yours" where the route says so); 404 the
// resource is someone else's and its existence is not confirmed.
var authzMatrix = []authzRow{
	// route, then: anonymous, holderB, issuerY, verifier, holderA, issuerX, gov
	{"GET /.well-known/openid-credential-issuer", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // public OID4VCI metadata
	{"GET /1.0/identifiers/{did}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},                // public DID resolution
	{"GET /admin/audit", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"GET /admin/orgs", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"GET /admin/orgs/{did}", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"GET /admin/orgs/{did}/tokens", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"GET /admin/verifiers", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"GET /batches", [nRoles]int{401, 401, allow, 401, 401, allow, 401}}, // each organisation sees its own jobs
	{"GET /batches/{id}", [nRoles]int{401, 401, 404, 401, 401, allow, 401}},
	{"GET /batches/{id}/results", [nRoles]int{401, 401, 404, 401, 401, allow, 401}},
	{"GET /courses", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},                   // public catalogue
	{"GET /courses/{provider}/{code}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // public catalogue
	{"GET /courses/{provider}/{code}/enrolments", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"GET /courses/{provider}/{code}/enrolments/{learner}", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"GET /credentials/{id}", [nRoles]int{401, 401, 404, 401, 401, allow, 401}},
	{"GET /healthz", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /login", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},         // the staff login page
	{"GET /offers/{id}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},   // what a claim page shows, no code
	{"GET /policies/{id}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // policies are published
	{"GET /requests/{id}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // the request object a wallet fetches
	{"GET /requests/{id}/result", [nRoles]int{401, 401, 401, allow, 401, 401, 401}},      // only the verifier who asked
	{"GET /share/{token}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // the bearer link is the capability
	{"GET /static/", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /status/{did}/{list}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // public status lists
	{"GET /templates", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /wallet/credentials", [nRoles]int{401, allow, 401, 401, allow, 401, 401}}, // a holder sees her own
	{"GET /wallet/credentials/{id}", [nRoles]int{401, 404, 401, 401, allow, 401, 401}},
	{"GET /wallet/me", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"GET /wallet/requests", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"GET /wallet/shares", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"GET /wallet/shares/{id}/log", [nRoles]int{401, 404, 401, 401, allow, 401, 401}},
	{"GET /{$}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"POST /admin/orgs", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/orgs/{did}/accreditations", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/orgs/{did}/keys", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/orgs/{did}/register", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/orgs/{did}/staff", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/orgs/{did}/suspension", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/orgs/{did}/tokens", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /admin/verifiers", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"POST /batches", [nRoles]int{401, 401, allow, 401, 401, allow, 401}},
	{"POST /batches/{id}/start", [nRoles]int{401, 401, 404, 401, 401, allow, 401}},
	{"POST /courses", [nRoles]int{401, 401, allow, 401, 401, allow, 401}},
	{"POST /courses/{provider}/{code}/enrolments", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"POST /courses/{provider}/{code}/enrolments/{learner}/completion", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"POST /courses/{provider}/{code}/enrolments/{learner}/result", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"POST /courses/{provider}/{code}/invitations", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"POST /credentials/issue", [nRoles]int{401, 401, allow, 401, 401, allow, 401}},            // any accredited organisation issues in its own name
	{"POST /credentials/status", [nRoles]int{401, 401, allow, 401, 401, allow, 401}},           // the body names the credential; another's is refused by the issuer
	{"POST /credentials/verify", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // VC-API verification is open
	{"POST /credentials/{id}/offers", [nRoles]int{401, 401, 404, 401, 401, allow, 401}},
	{"POST /login", [nRoles]int{403, 403, 403, 403, 403, 403, 403}}, // a form without its CSRF field
	{"POST /logout", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"POST /oid4vci/credential", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},          // only an OID4VCI access token
	{"POST /oid4vci/token", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // the pre-authorised code is the credential
	{"POST /policies", [nRoles]int{401, 401, 401, allow, 401, 401, 401}},
	{"POST /policies/{id}/decisions", [nRoles]int{401, 401, 401, allow, 401, 401, 401}},
	{"POST /presentations/verify", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"POST /requests", [nRoles]int{401, 401, 401, allow, 401, 401, 401}},
	{"POST /requests/{id}/response", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}}, // direct_post: the challenge binds the answer
	{"POST /verify/batch", [nRoles]int{401, 401, 401, allow, 401, 401, 401}},
	{"POST /wallet/backup", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/credentials/import", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/login", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"POST /wallet/logout", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/logout-all", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/offers", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/offers/accept", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/presentations", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/presentations/sd-jwt", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/requests", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/requests/respond", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/requests/{id}/consent", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/restore", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/shares", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /wallet/signup", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"PUT /courses/{provider}/{code}", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	// The HTML consoles (ui/web*.go). Their pages need the console's own
	// session or the wallet session, and their forms a CSRF form field that
	// none of these roles sends: a stranger is sent to the log-in page (303),
	// a form is refused (401/403). What a console user may do is left to the
	// browser tests; here: nobody gets in with an API credential.
	{"GET /gov", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /gov/chain", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /gov/orgs/{did}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /gov/verifiers", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/batch", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/batch/{id}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/batch/{id}/results.csv", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/decisions/{id}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/decisions/{id}/credential.json", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/policies", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/policies/evaluate", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/policies/new", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/policies/{id}/edit", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/requests", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/requests/{id}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /hr/requests/{id}/answer", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /my", [nRoles]int{303, allow, 303, 303, allow, 303, 303}},
	{"GET /my/backup", [nRoles]int{303, allow, 303, 303, allow, 303, 303}},
	{"GET /my/credentials/{id}", [nRoles]int{303, 404, 303, 303, allow, 303, 303}},
	{"GET /my/login", [nRoles]int{allow, 303, allow, allow, 303, allow, allow}},
	{"GET /my/offers", [nRoles]int{303, allow, 303, 303, allow, 303, 303}},
	{"GET /my/requests", [nRoles]int{303, allow, 303, 303, allow, 303, 303}},
	{"GET /my/requests/{id}/result", [nRoles]int{303, 404, 303, 303, 404, 303, 303}},
	{"GET /my/shares", [nRoles]int{303, allow, 303, 303, allow, 303, 303}},
	{"GET /my/shares/{id}", [nRoles]int{303, 404, 303, 303, allow, 303, 303}},
	{"GET /my/signup", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /oid4vci/offers/{ref}", [nRoles]int{404, 404, 404, 404, 404, 404, 404}},
	{"GET /org", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/batches", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/batches/{id}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/batches/{id}/progress", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/batches/{id}/results", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/courses", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/courses/{code}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/credentials", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/credentials/{id}", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/issue", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/record", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /org/templates/{id}/example.csv", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"GET /s/{token}", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /s/{token}/report.pdf", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /verifications/{id}", [nRoles]int{404, 404, 404, 404, 404, 404, 404}},
	{"GET /verify", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"GET /verify/r/{id}", [nRoles]int{404, 404, 404, 404, 404, 404, 404}},
	{"GET /verify/r/{id}/report.pdf", [nRoles]int{404, 404, 404, 404, 404, 404, 404}},
	{"POST /gov/orgs", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/accredit", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/register", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/reinstate", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/rotate", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/staff", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/suspend", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/tokens", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/tokens/{id}/revoke", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/orgs/{did}/withdraw", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/verifiers", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /gov/verifiers/{id}/revoke", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /hr/batch", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /hr/policies", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /hr/policies/evaluate", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /hr/requests", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /my/backup", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /my/credentials/{id}/certificate", [nRoles]int{401, 404, 401, 401, allow, 401, 401}},
	{"POST /my/credentials/{id}/delete", [nRoles]int{401, 404, 401, 401, 303, 401, 401}},
	{"POST /my/import", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /my/login", [nRoles]int{403, 403, 403, 403, 403, 403, 403}},
	{"POST /my/logout", [nRoles]int{303, 303, 303, 303, 303, 303, 303}},
	{"POST /my/offers", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /my/requests/{id}/consent", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /my/requests/{id}/decline", [nRoles]int{401, 404, 401, 401, 404, 401, 401}}, // neither wallet fetched the request
	{"POST /my/restore", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /my/shares", [nRoles]int{401, allow, 401, 401, allow, 401, 401}},
	{"POST /my/shares/{id}/revoke", [nRoles]int{401, 404, 401, 401, 303, 401, 401}},
	{"POST /my/signup", [nRoles]int{403, 403, 403, 403, 403, 403, 403}},
	{"POST /oid4vci/nonce", [nRoles]int{allow, allow, allow, allow, allow, allow, allow}},
	{"POST /org/batches", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/batches/{id}/cancel", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/batches/{id}/start", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/courses", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/courses/{code}", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/courses/{code}/enrol", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/courses/{code}/enrolments/{learner}/complete", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/courses/{code}/enrolments/{learner}/result", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/courses/{code}/invite", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/credentials/{id}/offer", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/credentials/{id}/status", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /org/issue", [nRoles]int{401, 401, 401, 401, 401, 401, 401}},
	{"POST /verify", [nRoles]int{403, 403, 403, 403, 403, 403, 403}},
	{"DELETE /admin/orgs/{did}/accreditations/{type}", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"DELETE /admin/orgs/{did}/suspension", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"DELETE /admin/orgs/{did}/tokens/{id}", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"DELETE /admin/verifiers/{id}", [nRoles]int{401, 401, 401, 401, 401, 401, allow}},
	{"DELETE /batches/{id}", [nRoles]int{401, 401, 404, 401, 401, allow, 401}},
	{"DELETE /courses/{provider}/{code}/enrolments/{learner}", [nRoles]int{401, 401, 403, 401, 401, allow, 401}},
	{"DELETE /wallet/credentials/{id}", [nRoles]int{401, 404, 401, 401, 404, 401, 401}}, // A deleted it through the page (POST /my/credentials/{id}/delete) just before
	{"DELETE /wallet/requests/{id}", [nRoles]int{401, 404, 401, 401, 404, 401, 401}},    // neither wallet fetched the request: unknown to both
	{"DELETE /wallet/shares/{id}", [nRoles]int{401, 404, 401, 401, allow, 401, 401}},
}

// authzFixture is the node and the resources the matrix's paths name.
type authzFixture struct {
	n                *node
	a, b             *holderClient
	xDID, xTok       string
	yDID, yTok       string
	zDID, zTokenID   string // the spare organisation for admin routes
	vTok, v2ID       string // the verifier; the spare verifier account
	credID, offerID  string // issued by X to A
	statusPath       string // /status/{did}/{list} of X's credential
	course, learner  string // /courses/{X}/{code}; A's DID enrolled there
	batchID          string // X's pending CSV batch
	requestID        string // V's presentation request
	policyID         string // V's policy
	walletCredID     string // A's wallet copy of X's credential
	shareID, shareTk string // A's share link
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	cfg := testConfig(t)
	cfg.batchDelay = 20 * time.Millisecond
	old := walletStatusCacheTTL
	walletStatusCacheTTL = -1
	t.Cleanup(func() { walletStatusCacheTTL = old })
	n := startNode(t, cfg)
	f := &authzFixture{n: n}
	acc := []map[string]any{{"credentialType": "DegreeCredential"}, {"credentialType": "TrainingCertificateCredential"}}
	f.xDID, f.xTok = n.newOrg(t, "甲", acc...)
	f.yDID, f.yTok = n.newOrg(t, "乙", acc...)
	f.zDID, _ = n.newOrg(t, "丙", acc...)
	var toks struct {
		Tokens []struct {
			ID string `json:"id"`
		} `json:"tokens"`
	}
	if st := n.call(t, "GET", "/admin/orgs/"+f.zDID+"/tokens", n.admin, nil, &toks); st != 200 || len(toks.Tokens) == 0 {
		t.Fatalf("Z's tokens: %d %+v", st, toks)
	}
	f.zTokenID = toks.Tokens[0].ID
	_, f.vTok = n.newVerifierAccount(t, "甲HR", true)
	f.v2ID, _ = n.newVerifierAccount(t, "乙HR", false)

	f.a = newHolder(t, n.base, "holder-a")
	f.b = newHolder(t, n.base, "holder-b")
	f.learner = f.a.did

	uri, pin, credID := offerTo(t, n, f.xTok, f.a.did)
	f.credID = credID
	var got []*wallet.Credential
	if st, raw := f.a.do(t, "POST", "/wallet/offers/accept", map[string]string{"offer": uri, "txCode": pin}, true, &got); st != http.StatusCreated || len(got) != 1 {
		t.Fatalf("accept offer: %d %s", st, raw)
	}
	f.walletCredID = got[0].ID
	f.statusPath = statusListPath(t, n.base, got[0].Document)
	var offer struct {
		ID string `json:"id"`
	}
	if st := n.call(t, "POST", "/credentials/"+url.PathEscape(credID)+"/offers", f.xTok, map[string]any{}, &offer); st != http.StatusCreated || offer.ID == "" {
		t.Fatalf("second offer: %d %+v", st, offer)
	}
	f.offerID = offer.ID

	var sh struct {
		ID  string `json:"id"`
		URL string `json:"url"`
	}
	if st, raw := f.a.do(t, "POST", "/wallet/shares", map[string]any{"credentialIds": []string{f.walletCredID}, "expiresIn": "1h"}, true, &sh); st != http.StatusCreated {
		t.Fatalf("share: %d %s", st, raw)
	}
	f.shareID, f.shareTk = sh.ID, strings.TrimPrefix(sh.URL, n.base+"/share/")

	if st := n.call(t, "POST", "/courses", f.xTok, map[string]any{
		"code": "AZ-1", "title": map[string]string{"zh": "授权", "en": "Authz"},
		"hours": 16, "sector": "agritech", "skills": []string{"iot"}, "status": "open", "certificate": "TrainingCertificateCredential",
	}, nil); st != http.StatusCreated {
		t.Fatalf("course: %d", st)
	}
	f.course = "/courses/" + f.xDID + "/AZ-1"
	if st := n.call(t, "POST", f.course+"/enrolments", f.xTok, map[string]string{"learner": f.learner}, nil); st != http.StatusCreated {
		t.Fatalf("enrol: %d", st)
	}

	body, err := os.ReadFile(classCSV(t, t.TempDir(), 2, nil))
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequestWithContext(t.Context(), "POST", n.base+"/batches?template=master-degree", bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	req.Header.Set("Authorization", "Bearer "+f.xTok)
	var job struct {
		ID string `json:"id"`
	}
	if st, raw := send(t, req); st >= 300 || json.Unmarshal(raw, &job) != nil || job.ID == "" {
		t.Fatalf("batch upload: %d %s", st, raw)
	}
	f.batchID = job.ID

	var rq struct {
		ID string `json:"id"`
	}
	if st := n.call(t, "POST", "/requests", f.vTok, newRequestBody("10m"), &rq); st != http.StatusCreated {
		t.Fatalf("request: %d", st)
	}
	f.requestID = rq.ID
	var pp problemAnswer
	if st := n.call(t, "POST", "/policies", f.vTok, map[string]any{
		"id": "authz-policy", "name": map[string]string{"zh": "授权", "en": "authz"},
		"rules": []map[string]any{{"id": "degree", "name": map[string]string{"zh": "任意", "en": "any"},
			"expr": "credentials.exists(c, c.type == 'DegreeCredential')"}},
		"combine": "any",
	}, &pp); st != http.StatusCreated && st != 200 {
		t.Fatalf("policy: %d %+v", st, pp)
	}
	f.policyID = "authz-policy"
	return f
}

// statusListPath is the path of the first status list a credential names.
func statusListPath(t *testing.T, base string, doc json.RawMessage) string {
	t.Helper()
	var d struct {
		CredentialStatus []struct {
			StatusListCredential string `json:"statusListCredential"`
		} `json:"credentialStatus"`
	}
	if err := json.Unmarshal(doc, &d); err != nil || len(d.CredentialStatus) == 0 {
		t.Fatalf("credential status: %v %s", err, truncate(string(doc), 200))
	}
	return strings.TrimPrefix(d.CredentialStatus[0].StatusListCredential, base)
}

// path fills a route pattern with the fixture's resources.
func (f *authzFixture) path(pattern string) string {
	_, p, _ := strings.Cut(pattern, " ")
	did := f.xDID
	if strings.HasPrefix(p, "/admin/") || strings.HasPrefix(p, "/gov/") {
		did = f.zDID
	}
	id := "AAAAAAAAAAAAAAAAAAAAAA" // unknown: an id nobody owns
	switch {
	case strings.HasPrefix(p, "/org/batches/"), strings.HasPrefix(p, "/hr/batch/"):
		id = f.batchID
	case strings.HasPrefix(p, "/hr/requests/"), strings.HasPrefix(p, "/my/requests/"):
		id = f.requestID
	case strings.HasPrefix(p, "/hr/policies/"), strings.HasPrefix(p, "/hr/decisions/"):
		id = f.policyID
	case strings.HasPrefix(p, "/my/credentials/"):
		id = f.walletCredID
	case strings.HasPrefix(p, "/my/shares/"):
		id = f.shareID
	case strings.HasPrefix(p, "/org/credentials/"):
		id = url.PathEscape(f.credID)
	case strings.HasPrefix(p, "/org/templates/"):
		id = "master-degree"
	case strings.HasPrefix(p, "/gov/verifiers/"):
		id = f.v2ID
	case strings.HasPrefix(p, "/gov/orgs/"):
		id = f.zTokenID
	case strings.HasPrefix(p, "/batches/"):
		id = f.batchID
	case strings.HasPrefix(p, "/requests/"):
		id = f.requestID
	case strings.HasPrefix(p, "/policies/"):
		id = f.policyID
	case strings.HasPrefix(p, "/wallet/credentials/"):
		id = f.walletCredID
	case strings.HasPrefix(p, "/wallet/shares/"):
		id = f.shareID
	case strings.HasPrefix(p, "/wallet/requests/"):
		id = f.requestID
	case strings.HasPrefix(p, "/admin/verifiers/"):
		id = f.v2ID
	case strings.HasPrefix(p, "/admin/orgs/"):
		id = f.zTokenID
	case strings.HasPrefix(p, "/offers/"):
		id = f.offerID
	case strings.HasPrefix(p, "/credentials/"):
		id = url.PathEscape(f.credID)
	}
	if strings.HasPrefix(p, "/status/") {
		return f.statusPath
	}
	r := strings.NewReplacer("{did}", did, "{id}", id, "{provider}/{code}", strings.TrimPrefix(f.course, "/courses/"),
		"{learner}", f.learner, "{token}", f.shareTk, "{code}", "AZ-1", "{ref}", f.offerID, "{type}", "DegreeCredential", "{$}", "")
	return r.Replace(p)
}

// as sends method path as role with body (JSON) and returns the answer.
func (f *authzFixture) as(t *testing.T, role int, method, path string, body []byte) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, f.n.base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	bearer := ""
	var h *holderClient
	switch role {
	case roleHolderA:
		h = f.a
	case roleHolderB:
		h = f.b
	case roleIssuerX:
		bearer = f.xTok
	case roleIssuerY:
		bearer = f.yTok
	case roleVerifier:
		bearer = f.vTok
	case roleGov:
		bearer = f.n.admin
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	if h != nil {
		req.AddCookie(&http.Cookie{Name: ui.WalletCookie, Value: h.cookie})
		req.Header.Set(ui.CSRFHeader, h.csrf)
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// noRedirect shows redirects (a console page sends a stranger to its
// log-in page with 303) instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// registeredRoutes reads the route patterns the web layer registers, from
// its source: every "METHOD /path" string literal in ui/*.go (the mux calls
// and the admin route map).
func registeredRoutes(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("../../ui/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("ui sources: %v", err)
	}
	re := regexp.MustCompile(`"((?:GET|POST|PUT|PATCH|DELETE) /[^"\s]*)"`)
	var routes []string
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		src, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllSubmatch(src, -1) {
			routes = append(routes, string(m[1]))
		}
	}
	slices.Sort(routes)
	return slices.Compact(routes)
}

// optionalRoutes are registered only when the node wires an optional part
// (the audit log): when the mux itself answers 404 to every role, the row is
// skipped and the test says so.
var optionalRoutes = map[string]bool{"GET /admin/audit": true}

// holderPass is newHolder's password.
const holderPass = "violet orbit 7319 lantern"

// routeRank orders the routes that end something after the others: deleting
// A's credential and share (through the pages, then the API), ending a
// session (the API's, then the pages'),
// and last ending all sessions.
func routeRank(route string) int {
	switch route {
	case "POST /wallet/logout-all":
		return 5
	case "POST /my/logout":
		return 4
	case "POST /wallet/logout":
		return 3
	case "DELETE /wallet/shares/{id}", "DELETE /wallet/credentials/{id}":
		return 2
	case "POST /my/credentials/{id}/delete", "POST /my/shares/{id}/revoke":
		return 1
	}
	return 0
}

// TestAuthorisationMatrix: every registered route, tried by every role, gets
// the answer the matrix says; every answer carries the security headers.
func TestAuthorisationMatrix(t *testing.T) {
	routes := registeredRoutes(t)
	if len(routes) < 60 {
		t.Fatalf("found only %d routes in ui/: the route reader is broken", len(routes))
	}
	table := map[string]authzRow{}
	for _, row := range authzMatrix {
		table[row.route] = row
	}
	var missing []string
	for _, r := range routes {
		if _, ok := table[r]; !ok {
			missing = append(missing, r)
		}
	}
	for _, row := range authzMatrix {
		if !slices.Contains(routes, row.route) {
			t.Errorf("the matrix names %q, which ui/ no longer registers", row.route)
		}
	}
	discover := os.Getenv("AUTHZ_DISCOVER") != ""
	if len(missing) > 0 && !discover {
		t.Fatalf("routes missing from authzMatrix (classify who may call them):\n%s", strings.Join(missing, "\n"))
	}

	f := newAuthzFixture(t)
	order := slices.Clone(routes)
	slices.SortStableFunc(order, func(a, b string) int { return routeRank(a) - routeRank(b) })
	cells := 0
	for _, route := range order {
		method, _, _ := strings.Cut(route, " ")
		path := f.path(route)
		var body []byte
		if method == "POST" || method == "PUT" {
			body = []byte("{}")
		}
		if route == "POST /wallet/logout-all" { // POST /wallet/logout ended the sessions
			f.a.login(t, "holder-a", holderPass)
			f.b.login(t, "holder-b", holderPass)
		}
		var got [nRoles]int
		var unrouted [nRoles]bool
		for role := range nRoles {
			resp := f.as(t, role, method, path, body)
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			got[role] = resp.StatusCode
			cells++
			// Public answers (the same for everyone) may be cached; an
			// answer behind credentials may not.
			private := !discover && table[route].expect[roleAnon] != allow
			checkSecurityHeaders(t, route+" as "+roleNames[role], resp, private && role != roleAnon)
			unrouted[role] = resp.StatusCode == 404 && strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain")
			if ct := resp.Header.Get("Content-Type"); resp.StatusCode >= 400 && !unrouted[role] && !strings.HasPrefix(path, "/oid4vci/") &&
				!strings.HasPrefix(ct, "application/problem+json") && !strings.HasPrefix(ct, "text/html") {
				t.Errorf("%s as %s: %d with Content-Type %q, want a problem (or an HTML page): %s", route, roleNames[role], resp.StatusCode, ct, truncate(string(raw), 200))
			}
			if discover || (optionalRoutes[route] && unrouted[role]) {
				continue
			}
			want := table[route].expect[role]
			switch {
			case want == allow && (got[role] == 401 || got[role] == 403 || got[role] == 404 || got[role] >= 500):
				t.Errorf("%s as %s: %d %s, want it let through", route, roleNames[role], got[role], truncate(string(raw), 200))
			case want != allow && got[role] != want:
				t.Errorf("%s as %s: %d %s, want %d", route, roleNames[role], got[role], truncate(string(raw), 200), want)
			}
		}
		if optionalRoutes[route] && !slices.Contains(unrouted[:], false) {
			t.Logf("%s: not wired in this build (the mux answers 404 to everyone); skipped", route)
			continue
		}
		if discover {
			var b strings.Builder
			fmt.Fprintf(&b, "\t{%q, [nRoles]int{", route)
			for i, s := range got {
				if i > 0 {
					b.WriteString(", ")
				}
				if s != 401 && s != 403 && s != 404 && s < 500 {
					b.WriteString("allow")
				} else {
					fmt.Fprint(&b, s)
				}
			}
			b.WriteString("}},")
			t.Logf("%s  // %v", b.String(), got)
		}
	}
	t.Logf("authorisation matrix: %d routes × %d roles = %d requests", len(routes), nRoles, cells)
}

// checkSecurityHeaders asserts the headers every answer must carry; authed:
// the request carried credentials, so the answer must not be stored.
func checkSecurityHeaders(t *testing.T, what string, resp *http.Response, authed bool) {
	t.Helper()
	hd := resp.Header
	want := map[string]string{
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
		"Content-Security-Policy": ui.ContentSecurityPolicy,
	}
	for k, v := range want {
		if got := hd.Get(k); got != v {
			t.Errorf("%s: %s = %q, want %q", what, k, got, v)
		}
	}
	if !strings.Contains(hd.Get("Content-Security-Policy"), "frame-ancestors 'none'") {
		t.Errorf("%s: CSP without frame-ancestors", what)
	}
	if hd.Get("Strict-Transport-Security") != "" {
		t.Errorf("%s: HSTS over plain HTTP", what)
	}
	if authed && !strings.Contains(hd.Get("Cache-Control"), "no-store") {
		t.Errorf("%s: authenticated answer with Cache-Control %q, want no-store", what, hd.Get("Cache-Control"))
	}
}
