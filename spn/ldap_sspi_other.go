//go:build !windows

package spn

import "github.com/go-ldap/ldap/v3"

// newSSPIClient fails: SSPI exists only on Windows.
func newSSPIClient() (ldap.GSSAPIClient, error) {
	return nil, ErrSSPIUnsupported
}
