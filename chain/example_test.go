package chain_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"

	"github.com/talentchain/talentchain/chain"
)

// Governance members build, sign and encode a transaction registering an
// issuer; the node decodes it with DecodeTx.
func Example() {
	key := func(seed string) ed25519.PrivateKey {
		s := sha256.Sum256([]byte(seed))
		return ed25519.NewKeyFromSeed(s[:])
	}
	issuerKey := key("university").Public().(ed25519.PublicKey)

	tx := chain.NewTx(&chain.RegisterIssuer{
		Kind:      chain.KindUniversity,
		Names:     chain.Names{En: "Example University", Zh: "示例大学"},
		PublicKey: chain.EncodePublicKey(issuerKey),
	}, chain.GovernanceSigner, 1)
	for _, member := range []string{"member-a", "member-b"} {
		if err := tx.Sign("talentchain-1", key(member)); err != nil {
			panic(err)
		}
	}
	b, err := tx.Encode()
	if err != nil {
		panic(err)
	}
	decoded, err := chain.DecodeTx(b)
	if err != nil {
		panic(err)
	}
	fmt.Println(decoded.Type, len(decoded.Signatures), "signatures")
	fmt.Println("issuer DID:", chain.IssuerDID(issuerKey))
	fmt.Println("first key:", chain.KeyID(chain.IssuerDID(issuerKey), 1))
	// Output:
	// gov.register_issuer 2 signatures
	// issuer DID: did:talent:CJRyGK7TVmCPuQPSdMnnJu
	// first key: did:talent:CJRyGK7TVmCPuQPSdMnnJu#key-1
}
