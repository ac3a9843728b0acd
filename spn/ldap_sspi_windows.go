//go:build windows

package spn

import (
	"github.com/go-ldap/ldap/v3"
	"github.com/go-ldap/ldap/v3/gssapi"
)

// newSSPIClient returns a GSSAPI client that uses the logged-on Windows
// user's Kerberos credentials through SSPI (secur32.dll).
func newSSPIClient() (ldap.GSSAPIClient, error) {
	return gssapi.NewSSPIClient()
}
