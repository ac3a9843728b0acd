package spn_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/iiskerb/iiskerb/spn"
)

// A bind password is a spn.Secret: it prints and marshals as "[redacted]",
// so configurations can be logged.
func ExampleSecret() {
	cfg := spn.LDAPConfig{URL: "ldaps://dc1.corp.example.com", BindDN: `CORP\reader`, Password: "s3cret"}
	fmt.Printf("%v\n", cfg.Password)
	b, _ := json.Marshal(struct{ Password spn.Secret }{cfg.Password})
	fmt.Println(string(b))
	// Output:
	// [redacted]
	// {"Password":"[redacted]"}
}

// Connect with StartTLS and a Kerberos keytab, then list the duplicate SPNs
// of the domain. An incomplete scan (size limit, lost connection, referral)
// is an error matching spn.ErrIncomplete, never an empty list.
func ExampleDialLDAP() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dir, err := spn.DialLDAP(ctx, spn.LDAPConfig{
		URL:      "ldap://dc1.corp.example.com",
		StartTLS: true, // certificate verified against the system roots
		Kerberos: &spn.KerberosBind{
			Krb5Conf:   "/etc/krb5.conf",
			Username:   "reader",
			Realm:      "CORP.EXAMPLE.COM",
			KeytabFile: "/etc/iiskerb/reader.keytab",
			SPN:        "ldap/dc1.corp.example.com",
		},
	})
	if err != nil {
		var ce *spn.CertificateError
		var be *spn.BindError
		switch {
		case errors.As(err, &ce):
			fmt.Println("untrusted certificate:", ce.Err)
		case errors.As(err, &be) && be.InvalidCredentials():
			fmt.Println("wrong credentials for", be.Identity)
		default:
			fmt.Println(err)
		}
		return
	}
	defer dir.Close()
	dups, c, err := spn.Duplicates(ctx, dir)
	for _, d := range dups {
		fmt.Println(d.SPN, d.Owners)
	}
	if !c.Complete {
		fmt.Println("incomplete:", c.Reason, err)
	}
}
