package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/negotiate"
)

// keyFlags are the service keys KRB003 opens captured tickets with:
// keytabs, or the decrypting account's password with how its keys are
// salted. They add to the keytabs of the bundle's keys/ folder. The
// password is only read from a file or an environment variable, and keys
// are never printed.
type keyFlags struct {
	keytabs             listFlag
	password            *cli.Password
	principal, saltKind string
	set                 map[string]bool
}

// keyFlagNames are the key flags, for the help (Credentials).
var keyFlagNames = []string{"key-keytab", "key-password-file", "key-password-env", "key-principal", "key-salt-kind"}

func (k *keyFlags) register(c *cli.Command) {
	fl := c.Flags()
	fl.Var(&k.keytabs, "key-keytab", "keytab `FILE`s of the account IIS decrypts tickets with (KRB003 opens captured tickets with them; adds to the bundle's keys/)")
	k.password = c.AddPassword("key-", "the decrypting account -key-principal", "")
	fl.StringVar(&k.principal, "key-principal", "", "the account of the -key-password-file/-key-password-env password, `NAME` or NAME@REALM (WEB01$, websvc; default realm: host.json's); without it the salt is built from each ticket's server name")
	fl.StringVar(&k.saltKind, "key-salt-kind", "ad-user", "how the password's keys are salted, `KIND`: ad-user (REALM + sAMAccountName: service accounts), ad-computer (REALM + host + name.domain: computer accounts) or mit")
}

// validate checks the combination after parsing.
func (k *keyFlags) validate(c *cli.Command) error {
	k.set = map[string]bool{}
	c.Flags().Visit(func(f *flag.Flag) { k.set[f.Name] = true })
	if !k.passwordGiven() {
		for _, n := range []string{"key-principal", "key-salt-kind"} {
			if k.set[n] {
				return cli.Usagef("-%s describes the keys of a password: give it with %s", n, k.password.Flags())
			}
		}
		return nil
	}
	if _, err := keySaltKind(k.saltKind); err != nil {
		return err
	}
	if k.set["key-salt-kind"] && k.principal == "" {
		return cli.Usagef("-key-salt-kind builds the salt from the account name: give -key-principal NAME")
	}
	return nil
}

func (k *keyFlags) passwordGiven() bool { return k.password.File != "" || k.password.Env != "" }

// keySaltKind reads -key-salt-kind.
func keySaltKind(s string) (negotiate.SaltKind, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) {
	case "ad-user", "user":
		return negotiate.SaltADUser, nil
	case "ad-computer", "computer":
		return negotiate.SaltADComputer, nil
	case "mit", "mit-default":
		return negotiate.SaltMIT, nil
	}
	return 0, cli.Usagef("unknown -key-salt-kind %q (ad-user, ad-computer or mit)", s)
}

// apply adds the keys to ev.Keys (KRB003 then runs on captured tickets).
func (k *keyFlags) apply(ev *diagnose.Evidence, getenv func(string) string) error {
	for _, p := range k.keytabs {
		keys, err := negotiate.LoadKeytab(p)
		if err != nil {
			return fmt.Errorf("-key-keytab: %w", err)
		}
		if len(keys) == 0 {
			return fmt.Errorf("-key-keytab %s: no key of a usable encryption type (aes256, aes128, rc4)", p)
		}
		ev.Keys = append(ev.Keys, keys...)
	}
	if !k.passwordGiven() {
		return nil
	}
	who := "the decrypting account's keys"
	if k.principal != "" {
		who = "-key-principal " + k.principal
	}
	pw, err := k.password.Need(who, getenv)
	if err != nil {
		return err
	}
	kind, err := keySaltKind(k.saltKind)
	if err != nil {
		return err
	}
	opts := negotiate.KeyOptions{Principal: k.principal, Realm: ev.Host.Realm, SaltKind: kind}
	if _, domain, ok := strings.Cut(ev.Host.FQDN, "."); ok && kind == negotiate.SaltADComputer {
		opts.DNSDomain = domain // else the realm in lower case
	}
	keys, err := negotiate.KeysFromPassword(pw, opts)
	if err != nil {
		if k.principal != "" && !strings.Contains(k.principal, "@") && ev.Host.Realm == "" {
			return cli.Usagef("-key-principal %s: no realm (give NAME@REALM, or host.json with a realm)", k.principal)
		}
		return err
	}
	source := "password $" + k.password.Env
	if k.password.File != "" {
		source = "password file " + k.password.File
	}
	for i := range keys {
		keys[i].Source = source
	}
	ev.Keys = append(ev.Keys, keys...)
	return nil
}
