package pages

import "time"

// The governance office's pages (/gov): view models.

// GovOrgRow is one organisation in the governance list.
type GovOrgRow struct {
	DID, Href, Name, Kind string
	Status                string // on-chain status, or unregistered
	Accredited            string // the credential types it is accredited for, in words
}

// GovHome is /gov.
type GovHome struct {
	Orgs       []GovOrgRow
	Types      []SelectOption // credential types to accredit for at once
	Governance bool           // this node holds a governance key
	ChainError string
}

// GovToken is an API token of an organisation.
type GovToken struct {
	ID, Name, Scopes string
	Created, Expires time.Time
	Revoked          bool
}

// GovStaff is a staff account of an organisation.
type GovStaff struct {
	Username, Name, Role string
	Created              time.Time
	Disabled             bool
}

// GovSecret is a secret shown once (a token just created).
type GovSecret struct {
	Label, Value string
}

// GovOrgView is /gov/orgs/{did}.
type GovOrgView struct {
	Href       string
	Record     OrgRecord
	Registered bool
	Governance bool
	Types      []SelectOption
	Levels     []SelectOption
	Tokens     []GovToken
	Staff      []GovStaff
	Secret     *GovSecret
}

// GovBlock is one block of the chain page.
type GovBlock struct {
	Height int64
	Time   time.Time
	Txs    int
	Hash   string
}

// GovValidator is one validator.
type GovValidator struct {
	Address string
	Power   int64
}

// GovAnchor is one anchored batch.
type GovAnchor struct {
	Root, Org, OrgName, Types string
	Count                     uint64
	Height                    int64
	Time                      time.Time
}

// GovChainView is /gov/chain.
type GovChainView struct {
	ChainID     string
	Latest      int64
	Blocks      []GovBlock
	Validators  []GovValidator
	Anchors     []GovAnchor
	NoStatus    bool // blocks and validators are not readable here
	ChainError  string
	StatusError string
}

// GovVerifier is a verifier account.
type GovVerifier struct {
	ID, Name string
	Policies bool
	Created  time.Time
	Revoked  bool
}

// GovVerifiersView is /gov/verifiers.
type GovVerifiersView struct {
	Verifiers []GovVerifier
	Secret    *GovSecret
}
