package main

import (
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/iiskerb/iiskerb/spn"
)

// liveFlags are the live sources: an LDAP directory, endpoint probes,
// service ticket requests and DNS. Passwords are read from files or
// environment variables named by flags, never from the command line (which
// other users of the machine can see).
type liveFlags struct {
	ldapURL, ldapBind, ldapCA, ldapBase, ldapDomain         string
	ldapStartTLS, ldapInsecure, ldapPlain, ldapSSPI, ldapGC bool
	ldapKerberos                                            bool
	ldapPassword                                            *cli.Password

	probes                   listFlag
	probeInsecure            bool
	connectTo                string
	krb5conf, ccache, keytab string
	user                     string
	password                 *cli.Password
	ntlmUser                 string
	ntlmPassword             *cli.Password
	requestTickets, dns      bool
}

func (l *liveFlags) register(c *cli.Command) {
	fl := c.Flags()
	fl.StringVar(&l.ldapURL, "ldap", "", "live Active Directory at `URL`: ldap://host[:port] or ldaps://host[:port] (replaces setspn/ldif evidence)")
	fl.BoolVar(&l.ldapStartTLS, "ldap-starttls", false, "upgrade ldap:// with StartTLS before binding")
	fl.StringVar(&l.ldapCA, "ldap-ca", "", "PEM `FILE` of CA certificates for the LDAP server (default: system roots)")
	fl.BoolVar(&l.ldapInsecure, "ldap-insecure-skip-verify", false, "accept any LDAP server certificate (lab use only)")
	fl.BoolVar(&l.ldapPlain, "ldap-allow-plain-bind", false, "allow a simple bind without TLS (the password crosses the network in clear)")
	fl.BoolVar(&l.ldapGC, "ldap-gc", false, "search the Global Catalog (whole forest)")
	fl.StringVar(&l.ldapBase, "ldap-base", "", "search base `DN` (default: the domain's naming context)")
	fl.StringVar(&l.ldapDomain, "ldap-domain", "", "NetBIOS domain `NAME` for DOMAIN\\account names (default: from the directory)")

	fl.Var(&l.probes, "probe", "probe a live `URL` with a real Negotiate handshake (repeatable)")
	fl.BoolVar(&l.probeInsecure, "probe-insecure-skip-verify", false, "accept any TLS certificate when probing (lab use only)")
	fl.StringVar(&l.connectTo, "probe-connect-to", "", "dial `HOST:PORT` instead of the URL's host (like curl --connect-to)")
	fl.BoolVar(&l.requestTickets, "request-tickets", false, "request service tickets for HTTP/<host names> with the Kerberos client (like klist get)")
	fl.BoolVar(&l.dns, "dns", false, "resolve binding host names with the system resolver (CNAME checks)")
	fl.StringVar(&l.krb5conf, "krb5conf", "", "krb5.conf `FILE` for probes, ticket requests and -ldap-kerberos")

	fl.StringVar(&l.user, "user", "", "Kerberos client `PRINCIPAL` (with -keytab, or a password from -password-file/-password-env)")
	l.password = c.AddPassword("", "the Kerberos user -user", "IISKERB_PASSWORD")
	fl.StringVar(&l.keytab, "keytab", "", "Kerberos keytab `FILE` (with -user)")
	fl.StringVar(&l.ccache, "ccache", "", "Kerberos credential cache `FILE` (what kinit wrote)")
	fl.StringVar(&l.ldapBind, "ldap-bind", "", "LDAP simple-bind `IDENTITY` (DN, user@domain or DOMAIN\\user); password from -ldap-password-file/-ldap-password-env")
	l.ldapPassword = c.AddPassword("ldap-", "the -ldap-bind identity", "IISKERB_LDAP_PASSWORD")
	fl.BoolVar(&l.ldapKerberos, "ldap-kerberos", false, "bind to LDAP with Kerberos (GSSAPI) as -user (with -krb5conf and -ccache, -keytab or a password)")
	fl.BoolVar(&l.ldapSSPI, "ldap-sspi", false, "bind to LDAP as the logged-on Windows user (SSPI; Windows only)")
	fl.StringVar(&l.ntlmUser, "ntlm-user", "", "probe NTLM fallback as `DOMAIN\\user`; password from -ntlm-password-file/-ntlm-password-env")
	l.ntlmPassword = c.AddPassword("ntlm-", "the NTLM user -ntlm-user", "IISKERB_NTLM_PASSWORD")

	c.Deprecate("krb-user", "user")
	c.Deprecate("krb-password-env", "password-env")
}

// liveFlagNames are the live-source flags, for the help.
func (l *liveFlags) liveFlagNames() []string {
	return []string{"ldap", "ldap-starttls", "ldap-ca", "ldap-insecure-skip-verify", "ldap-allow-plain-bind", "ldap-gc",
		"ldap-base", "ldap-domain", "probe", "probe-insecure-skip-verify", "probe-connect-to", "request-tickets", "dns", "krb5conf"}
}

// credentialFlagNames are the credential flags, for the help.
func (l *liveFlags) credentialFlagNames() []string {
	return []string{"user", "password-file", "password-env", "keytab", "ccache",
		"ldap-bind", "ldap-password-file", "ldap-password-env", "ldap-kerberos", "ldap-sspi",
		"ntlm-user", "ntlm-password-file", "ntlm-password-env"}
}

// any reports whether a live source was asked for.
func (l *liveFlags) any() bool { return l.ldapURL != "" || len(l.probes) > 0 || l.requestTickets }

// validate checks the live-source flags before anything is read or
// dialled: a bad URL is a usage error, as in every example.
func (l *liveFlags) validate() error {
	if l.ldapURL != "" {
		if err := cli.CheckURL("-ldap", l.ldapURL, "ldap", "ldaps"); err != nil {
			return err
		}
	}
	for _, u := range l.probes {
		if err := cli.CheckURL("-probe", u, "http", "https"); err != nil {
			return err
		}
	}
	if l.ntlmUser != "" && !strings.Contains(l.ntlmUser, `\`) {
		return cli.Usagef("-ntlm-user %q: want DOMAIN\\user", l.ntlmUser)
	}
	if (l.requestTickets || l.ldapKerberos) && !l.kerberosConfigured() {
		return cli.Usagef("-request-tickets and -ldap-kerberos need -krb5conf and one of -ccache, -keytab or -user with a password")
	}
	return nil
}

func (l *liveFlags) kerberosConfigured() bool {
	return l.krb5conf != "" && (l.ccache != "" || l.keytab != "" || l.user != "")
}

// kerberosPassword is the password of -user when neither a keytab nor a
// credential cache is given.
func (l *liveFlags) kerberosPassword(getenv func(string) string) (string, error) {
	if l.keytab != "" || l.ccache != "" || l.user == "" {
		return "", nil
	}
	return l.password.Need("-user "+l.user, getenv)
}

// apply adds the live evidence to ev, with notes on what it does through
// cmd. It returns a cleanup function.
func (l *liveFlags) apply(ctx context.Context, ev *diagnose.Evidence, cmd *cli.Command, getenv func(string) string) (func(), error) {
	cleanup := func() {}
	if l.dns {
		ev.Resolver = net.DefaultResolver
	}
	var krb *client.Client
	var krbPassword string
	if l.kerberosConfigured() {
		var err error
		if krbPassword, err = l.kerberosPassword(getenv); err != nil {
			return cleanup, err
		}
		cfg := negotiate.ClientConfig{Krb5Conf: l.krb5conf, User: l.user, Keytab: l.keytab, CCache: l.ccache, Password: krbPassword}
		if krb, err = negotiate.NewClient(cfg); err != nil {
			return cleanup, err
		}
		cleanup = krb.Destroy
	}

	if l.ldapURL != "" {
		cfg := spn.LDAPConfig{URL: l.ldapURL, StartTLS: l.ldapStartTLS, InsecureSkipVerify: l.ldapInsecure,
			GlobalCatalog: l.ldapGC, BaseDN: l.ldapBase, Domain: l.ldapDomain, AllowInsecureSimpleBind: l.ldapPlain,
			SSPI: l.ldapSSPI, BindDN: l.ldapBind}
		if cfg.Domain == "" {
			cfg.Domain = ev.Host.Domain
		}
		if l.ldapBind != "" {
			pw, err := l.ldapPassword.Need("-ldap-bind "+l.ldapBind, getenv)
			if err != nil {
				return cleanup, err
			}
			cfg.Password = spn.Secret(pw)
		}
		if l.ldapCA != "" {
			pem, err := os.ReadFile(l.ldapCA)
			if err != nil {
				return cleanup, err
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return cleanup, fmt.Errorf("-ldap-ca %s: no PEM certificates", l.ldapCA)
			}
		}
		if l.ldapKerberos {
			cfg.Kerberos = &spn.KerberosBind{Krb5Conf: l.krb5conf, Username: l.user, KeytabFile: l.keytab, CCacheFile: l.ccache,
				Password: spn.Secret(krbPassword)}
		}
		cmd.Warnf("connecting to %s ...", l.ldapURL)
		dir, err := spn.DialLDAP(ctx, cfg)
		if err != nil {
			return cleanup, err
		}
		prev := cleanup
		cleanup = func() { _ = dir.Close(); prev() }
		if ev.Directory != nil {
			ev.Warnings = append(ev.Warnings, diagnose.EvidenceWarning{Source: ev.Directory.Describe(),
				Message: "replaced by the live directory " + dir.Describe()})
		}
		ev.Directory = dir
	}

	if l.requestTickets {
		for _, h := range ev.Host.Names() {
			name := "HTTP/" + h
			cmd.Warnf("requesting a service ticket for %s ...", name)
			t, err := negotiate.RequestTicket(ctx, krb, name)
			ev.TicketRequests = append(ev.TicketRequests, diagnose.TicketRequest{SPN: name, Ticket: t, Err: err})
		}
	}

	var ntlm *negotiate.NTLMCredentials
	if l.ntlmUser != "" {
		// an empty password is allowed (as in negotiate probe): the attempt
		// still shows the server's answer
		pw, err := l.ntlmPassword.Get(getenv)
		if err != nil {
			return cleanup, err
		}
		dom, user, _ := strings.Cut(l.ntlmUser, `\`)
		ntlm = &negotiate.NTLMCredentials{Domain: dom, User: user, Password: pw}
	}
	for _, u := range l.probes {
		opts := negotiate.ProbeOptions{Client: krb, InsecureSkipVerify: l.probeInsecure, ConnectTo: l.connectTo,
			NTLMRaw: true, NTLM: ntlm}
		source := "probe " + cli.ShownURL(u)
		cmd.Warnf("probing %s ...", cli.ShownURL(u))
		tr, err := negotiate.Probe(ctx, u, opts)
		if err != nil {
			// the warning prints as "probe URL: message": keep the
			// message from saying "negotiate: probe URL:" again
			ev.Warnings = append(ev.Warnings, diagnose.EvidenceWarning{Source: source, Message: cli.Trim(source, err.Error())})
		}
		if tr != nil && len(tr.Rounds) > 0 {
			ev.Probes = append(ev.Probes, tr)
		}
	}
	return cleanup, nil
}
