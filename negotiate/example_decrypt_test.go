package negotiate_test

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/iiskerb/iiskerb/negotiate"
)

// exampleTicket returns a SPNEGO token captured from a Samba AD DC (a
// throwaway test realm) and the service account and password it is for.
func exampleTicket() (token []byte, account, password string) {
	h, _ := os.ReadFile("testdata/decrypt/samba-apreq.hex")
	token, _ = hex.DecodeString(strings.TrimSpace(string(h)))
	a, _ := os.ReadFile("testdata/decrypt/samba-account.txt")
	account, password, _ = strings.Cut(strings.TrimSpace(string(a)), "\n")
	return token, account, password
}

// Open a captured AP-REQ with the keys of the account that holds the SPN (a
// user service account, so Active Directory's user salt) and see who really
// authenticated: the client, its SID and groups from the PAC.
func ExampleDecryptTicket() {
	token, account, password := exampleTicket()
	keys, err := negotiate.KeysFromPassword(password, negotiate.KeyOptions{Principal: account, SaltKind: negotiate.SaltADUser})
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := negotiate.DecryptTicket(token, keys)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(d.Client(), "->", d.Server, d.EncType)
	fmt.Println("salt:", d.Key.SaltKind, d.Key.Salt)
	li := d.PAC.LogonInfo
	fmt.Println(li.LogonDomainName+`\`+li.EffectiveName, li.UserSID)
	for _, g := range li.Groups {
		fmt.Println("group", g.SID)
	}
	for _, s := range li.ExtraSIDs {
		fmt.Println("extra", s.SID)
	}
	fmt.Println("server signature", d.PAC.ServerSignature.Status, "channel bindings", d.Authenticator.GSS.ChannelBindings)
	// Output:
	// reader@AD.EXAMPLE.TEST -> HTTP/decfbdd61d1.ad.example.test aes256-cts-hmac-sha1-96 (18)
	// salt: ad_user AD.EXAMPLE.TESTdecfbdd61d1
	// ADEX\reader S-1-5-21-2995887813-1003205350-2702094752-1102
	// group S-1-5-21-2995887813-1003205350-2702094752-513
	// extra S-1-18-1
	// server signature valid channel bindings false
}

// A key that does not open the ticket: the computer account's salt on a
// user account's password looks, to the ticket, like the key of another
// account. The error says what that means on IIS.
func ExampleDecryptError() {
	token, account, password := exampleTicket()
	keys, _ := negotiate.KeysFromPassword(password, negotiate.KeyOptions{Principal: account,
		SaltKind: negotiate.SaltADComputer, EncTypes: []negotiate.EncType{negotiate.AES256CTSHMACSHA196}})
	_, err := negotiate.DecryptTicket(token, keys)
	var de *negotiate.DecryptError
	if errors.As(err, &de) {
		fmt.Println(de.ReasonName(), de.Code, errors.Is(err, negotiate.ErrWrongPrincipal))
		fmt.Println(de.Detail)
	}
	// Output:
	// wrong_principal KRB_AP_ERR_MODIFIED true
	// the ticket is for HTTP/decfbdd61d1.ad.example.test@AD.EXAMPLE.TEST and the keys of its encryption type belong to decfbdd61d1@AD.EXAMPLE.TEST
}
