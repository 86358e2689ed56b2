package pages

import (
	"strings"
	"time"

	"github.com/a-h/templ"
)

// The holder's (student's) wallet pages: the view models the handlers in
// ui/web_holder.go fill. Every text a person reads is already in the page's
// language, or a catalogue key the component translates.

// HolderAuthView is the state of the wallet's sign-up or sign-in form.
type HolderAuthView struct {
	SignUp   bool // the sign-up form, else the sign-in form
	Username string
	Next     string // where to go after signing in (a local path)
}

// HolderCard is one credential on the wallet page.
type HolderCard struct {
	ID         string
	Title      string // what it is: the degree's name, the course's title or the type
	Type       string // the type in words
	Format     string // "JSON-LD" or "SD-JWT"
	IssuerName string // the issuer's registered name, or its DID
	Status     string // valid, suspended, revoked, expired, pending, unknown
	Date       time.Time
	Added      time.Time
}

// HolderWalletView is the wallet: the credentials as cards.
type HolderWalletView struct {
	Username string
	DID      string
	Cards    []HolderCard
	// Next is the cursor of the next page of cards; empty on the last.
	Next string
}

// HolderClaim is one claim of a credential, labelled.
type HolderClaim struct {
	Path  string // the claim's path in the subject (degree.fieldOfStudy)
	Label string // the label in the page's language, or the path
	Value string
	// Disclosable marks an SD-JWT claim the holder may leave out;
	// Pointer is then its JSON pointer (/degree/grade), what the wallet
	// takes to disclose it.
	Disclosable bool
	Pointer     string
}

// HolderIssuer is who issued a credential, as the chain knows it.
type HolderIssuer struct {
	DID  string
	Name string // empty when the chain gave none
	// Accredited is "pass" (the chain says the issuer is accredited for
	// this type), "fail", or "skip" (not checked now).
	Accredited string
	// Note is the verifier's words on the issuer check.
	Note string
}

// HolderAnchor is where the chain recorded a credential.
type HolderAnchor struct {
	Height int64
	TxHash string
	Time   time.Time
}

// HolderCheck is one check of the verification on receipt.
type HolderCheck struct {
	Name    string
	State   string // pass, warn, fail
	Message string
}

// HolderCredentialView is one credential in full.
type HolderCredentialView struct {
	Card         HolderCard
	CredentialID string // the credential's own id (urn:uuid:...)
	Subject      string
	ValidFrom    time.Time
	ValidUntil   time.Time
	Source       string // offer, import, restore
	Claims       []HolderClaim
	Issuer       HolderIssuer
	Anchor       *HolderAnchor // nil: no receipt
	Checks       []HolderCheck
	// ConfirmDelete shows the deletion's confirmation step.
	ConfirmDelete bool
	// SDJWT: the credential is an SD-JWT VC (claims can be left out).
	SDJWT bool
}

// HolderOfferView is the offer page: the paste form, and once an offer
// was read, what it will give.
type HolderOfferView struct {
	Link string // the offer as pasted or scanned
	// Preview is set once the offer was read.
	Preview *HolderOfferPreview
}

// HolderOfferPreview is what an offer will give, shown before accepting.
type HolderOfferPreview struct {
	Issuer  string   // the credential issuer's URL
	Own     bool     // the issuer is this node
	Items   []string // what will be received, in words
	NeedPIN bool
	PINHint string // the issuer's description of the PIN and its length
	PINLen  int
}

// HolderShareRow is a share link in the list.
type HolderShareRow struct {
	ID          string
	Label       string
	Credentials []string // titles of the shared credentials
	Created     time.Time
	Expires     time.Time
	Status      string // active, expired, revoked, restored
	Opened      int64
	// SDJWT marks a link to one SD-JWT credential; Disclosed are the
	// labels of the claims it reveals beyond those always shown.
	SDJWT     bool
	Disclosed []string
}

// HolderShareChoice is a credential the share form offers.
type HolderShareChoice struct {
	ID      string
	Title   string
	Checked bool
	SDJWT   bool
	// Disclosable are an SD-JWT's claims that could be left out (the
	// holder ticks those the link reveals); Visible those always shown.
	Disclosable []HolderClaim
	Visible     []HolderClaim
}

// HolderSharesView is the share links page: the creation form and the list.
type HolderSharesView struct {
	Choices []HolderShareChoice
	Shares  []HolderShareRow
}

// HolderShareCreatedView shows a new link once: its address and QR code.
type HolderShareCreatedView struct {
	Share   HolderShareRow
	PageURL string // the public verification page /s/{token}
	DataURL string // the JSON answer /share/{token}
	// QR is the inline SVG of PageURL (from internal/qr: no text of the
	// input in the markup).
	QR templ.Component
}

// HolderAccess is one opening of a share link.
type HolderAccess struct {
	Time      time.Time
	Network   string
	Visitor   string
	UserAgent string
}

// HolderShareView is one share link: status, credentials, who opened it.
type HolderShareView struct {
	Share HolderShareRow
	Log   []HolderAccess
}

// HolderRequestView is a presentation request to consent to, or the form
// to open one.
type HolderRequestView struct {
	Link string
	// Request is set once the request was fetched.
	Request *HolderRequest
}

// HolderRequest is a verifier's request, for consent.
type HolderRequest struct {
	ID        string // the wallet's id of the pending request
	Verifier  string // the origin that asks
	Name      string
	Purpose   string
	Expires   time.Time
	Satisfied bool
	Asks      []HolderAsk
}

// HolderAsk is one credential the verifier asks for, and the holder's
// candidates.
type HolderAsk struct {
	ID         string
	Name       string
	Purpose    string
	Candidates []HolderCandidate
}

// HolderCandidate is a credential that can answer an ask, with exactly
// what would be sent.
type HolderCandidate struct {
	ID    string
	Title string
	// Asked are the fields the verifier asks for and their values here.
	Asked []HolderClaim
	// Sent are all the claims that travel: a JSON-LD credential is sent
	// whole; an SD-JWT with the claims always visible and the disclosable
	// ones asked for.
	Sent  []HolderClaim
	SDJWT bool
}

// HolderRequestResult is the verifier's answer to a consent.
type HolderRequestResult struct {
	Verifier string
	Accepted bool
	Status   int
	Message  string // the verifier's words, if any
}

// HolderBackupView is the backup and restore page.
type HolderBackupView struct {
	Count int // credentials in the wallet
}

// holderShareLabel is a share link's name: the holder's label, or its
// creation time.
func holderShareLabel(p Page, s HolderShareRow) string {
	if s.Label != "" {
		return s.Label
	}
	return p.Lang.F("holder.shares.unnamed", p.Lang.DateTime(s.Created))
}

// holderJoin lists titles in one line.
func holderJoin(items []string) string { return strings.Join(items, " · ") }
