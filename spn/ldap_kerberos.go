package spn

import (
	"errors"
	"fmt"
	"os"

	"github.com/go-ldap/ldap/v3/gssapi"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/config"
	"github.com/jcmturner/gokrb5/v8/credentials"
	"github.com/jcmturner/gokrb5/v8/keytab"
)

// newKerberosClient builds go-ldap's gokrb5-based GSSAPI client from k and
// returns it with the client principal's name for messages.
func newKerberosClient(k *KerberosBind) (*gssapi.Client, string, error) {
	ident := k.Username
	if ident != "" && k.Realm != "" {
		ident += "@" + k.Realm
	}
	n := 0
	for _, set := range []bool{k.Password != "", k.KeytabFile != "", k.CCacheFile != ""} {
		if set {
			n++
		}
	}
	if n != 1 {
		return nil, ident, errors.New("set exactly one of Password, KeytabFile or CCacheFile")
	}
	if k.Krb5Conf == "" {
		return nil, ident, errors.New("Krb5Conf (krb5.conf path) is required")
	}
	cfg, err := config.Load(k.Krb5Conf)
	if err != nil {
		return nil, ident, fmt.Errorf("krb5.conf %s: %w", k.Krb5Conf, err)
	}
	settings := []func(*client.Settings){client.DisablePAFXFAST(true)}
	switch {
	case k.CCacheFile != "":
		b, err := os.ReadFile(k.CCacheFile)
		if err != nil {
			return nil, ident, fmt.Errorf("credential cache: %w", err)
		}
		cc := new(credentials.CCache)
		if err := cc.Unmarshal(b); err != nil {
			return nil, ident, fmt.Errorf("credential cache %s: %w", k.CCacheFile, err)
		}
		ident = cc.DefaultPrincipal.PrincipalName.PrincipalNameString() + "@" + cc.DefaultPrincipal.Realm
		cl, err := client.NewFromCCache(cc, cfg, settings...)
		if err != nil {
			return nil, ident, fmt.Errorf("credential cache %s: %w", k.CCacheFile, err)
		}
		return &gssapi.Client{Client: cl}, ident, nil
	case k.KeytabFile != "":
		if k.Username == "" {
			return nil, ident, errors.New("a Username is required with KeytabFile")
		}
		kt, err := keytab.Load(k.KeytabFile)
		if err != nil {
			return nil, ident, fmt.Errorf("keytab %s: %w", k.KeytabFile, err)
		}
		return &gssapi.Client{Client: client.NewWithKeytab(k.Username, realmOr(k.Realm, cfg), kt, cfg, settings...)}, ident, nil
	default:
		if k.Username == "" {
			return nil, ident, errors.New("a Username is required with Password")
		}
		return &gssapi.Client{Client: client.NewWithPassword(k.Username, realmOr(k.Realm, cfg), string(k.Password), cfg, settings...)}, ident, nil
	}
}

// realmOr returns realm, or krb5.conf's default_realm when realm is empty.
func realmOr(realm string, cfg *config.Config) string {
	if realm != "" {
		return realm
	}
	return cfg.LibDefaults.DefaultRealm
}
