package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"strings"

	"github.com/jcmturner/gokrb5/v8/client"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/iiskerb/iiskerb/spn"
)

// liveFlags are the live sources: an LDAP directory, endpoint probes,
// service ticket requests and DNS. Passwords are read from environment
// variables named by flags, never from the command line (which other users
// of the machine can see).
type liveFlags struct {
	ldapURL, ldapBind, ldapPassEnv, ldapCA, ldapBase, ldapDomain string
	ldapStartTLS, ldapInsecure, ldapPlain, ldapSSPI, ldapGC      bool
	ldapKerberos                                                 bool

	probes                            listFlag
	probeInsecure                     bool
	connectTo                         string
	krb5conf, ccache, keytab, krbUser string
	krbPassEnv                        string
	ntlmUser, ntlmPassEnv             string
	requestTickets, dns               bool
}

func (l *liveFlags) register(fl *flag.FlagSet) {
	fl.StringVar(&l.ldapURL, "ldap", "", "live Active Directory: ldap://host[:port] or ldaps://host[:port] (replaces setspn/ldif evidence)")
	fl.StringVar(&l.ldapBind, "ldap-bind", "", "simple-bind identity (DN, user@domain or DOMAIN\\user); password from -ldap-password-env")
	fl.StringVar(&l.ldapPassEnv, "ldap-password-env", "IISKERB_LDAP_PASSWORD", "environment `VAR` holding the LDAP bind password")
	fl.BoolVar(&l.ldapStartTLS, "ldap-starttls", false, "upgrade ldap:// with StartTLS before binding")
	fl.StringVar(&l.ldapCA, "ldap-ca", "", "PEM `FILE` of CA certificates for the LDAP server (default: system roots)")
	fl.BoolVar(&l.ldapInsecure, "ldap-insecure-skip-verify", false, "accept any LDAP server certificate (lab use only)")
	fl.BoolVar(&l.ldapPlain, "ldap-allow-plain-bind", false, "allow a simple bind without TLS (the password crosses the network in clear)")
	fl.BoolVar(&l.ldapSSPI, "ldap-sspi", false, "bind as the logged-on Windows user (SSPI; Windows only)")
	fl.BoolVar(&l.ldapKerberos, "ldap-kerberos", false, "bind with Kerberos (GSSAPI) using -krb5conf and -ccache/-keytab/-krb-user")
	fl.BoolVar(&l.ldapGC, "ldap-gc", false, "search the Global Catalog (whole forest)")
	fl.StringVar(&l.ldapBase, "ldap-base", "", "search base `DN` (default: the domain's naming context)")
	fl.StringVar(&l.ldapDomain, "ldap-domain", "", "NetBIOS domain `NAME` for DOMAIN\\account names (default: from the directory)")

	fl.Var(&l.probes, "probe", "probe a live `URL` with a real Negotiate handshake (repeatable)")
	fl.BoolVar(&l.probeInsecure, "probe-insecure-skip-verify", false, "accept any TLS certificate when probing (lab use only)")
	fl.StringVar(&l.connectTo, "probe-connect-to", "", "dial `HOST:PORT` instead of the URL's host (like curl --connect-to)")
	fl.StringVar(&l.krb5conf, "krb5conf", "", "krb5.conf `FILE` for probes, ticket requests and -ldap-kerberos")
	fl.StringVar(&l.ccache, "ccache", "", "Kerberos credential cache `FILE` (what kinit wrote)")
	fl.StringVar(&l.keytab, "keytab", "", "Kerberos keytab `FILE` (with -krb-user)")
	fl.StringVar(&l.krbUser, "krb-user", "", "Kerberos client principal (with -keytab or -krb-password-env)")
	fl.StringVar(&l.krbPassEnv, "krb-password-env", "", "environment `VAR` holding the Kerberos password of -krb-user")
	fl.StringVar(&l.ntlmUser, "ntlm-user", "", "probe NTLM fallback as `DOMAIN\\user`; password from -ntlm-password-env")
	fl.StringVar(&l.ntlmPassEnv, "ntlm-password-env", "IISKERB_NTLM_PASSWORD", "environment `VAR` holding the NTLM password")
	fl.BoolVar(&l.requestTickets, "request-tickets", false, "request service tickets for HTTP/<host names> with the Kerberos client (like klist get)")
	fl.BoolVar(&l.dns, "dns", false, "resolve binding host names with the system resolver (CNAME checks)")
}

// any reports whether a live source was asked for.
func (l *liveFlags) any() bool { return l.ldapURL != "" || len(l.probes) > 0 || l.requestTickets }

func (l *liveFlags) kerberosConfigured() bool {
	return l.krb5conf != "" && (l.ccache != "" || l.keytab != "" || l.krbPassEnv != "")
}

// apply adds the live evidence to ev. It returns a cleanup function.
func (l *liveFlags) apply(ctx context.Context, ev *diagnose.Evidence, stderr io.Writer) (func(), error) {
	cleanup := func() {}
	if l.dns {
		ev.Resolver = net.DefaultResolver
	}
	var krb *client.Client
	if l.kerberosConfigured() {
		cfg := negotiate.ClientConfig{Krb5Conf: l.krb5conf, User: l.krbUser, Keytab: l.keytab, CCache: l.ccache}
		if l.krbPassEnv != "" {
			cfg.Password = os.Getenv(l.krbPassEnv)
			if cfg.Password == "" {
				return cleanup, fmt.Errorf("-krb-password-env: %s is empty", l.krbPassEnv)
			}
		}
		var err error
		if krb, err = negotiate.NewClient(cfg); err != nil {
			return cleanup, err
		}
		cleanup = krb.Destroy
	} else if l.krb5conf != "" || l.requestTickets || l.ldapKerberos {
		if l.requestTickets || l.ldapKerberos {
			return cleanup, fmt.Errorf("-request-tickets and -ldap-kerberos need -krb5conf and one of -ccache, -keytab or -krb-password-env")
		}
	}

	if l.ldapURL != "" {
		cfg := spn.LDAPConfig{URL: l.ldapURL, StartTLS: l.ldapStartTLS, InsecureSkipVerify: l.ldapInsecure,
			GlobalCatalog: l.ldapGC, BaseDN: l.ldapBase, Domain: l.ldapDomain, AllowInsecureSimpleBind: l.ldapPlain,
			SSPI: l.ldapSSPI, BindDN: l.ldapBind}
		if cfg.Domain == "" {
			cfg.Domain = ev.Host.Domain
		}
		if l.ldapBind != "" {
			cfg.Password = spn.Secret(os.Getenv(l.ldapPassEnv))
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
			kb := &spn.KerberosBind{Krb5Conf: l.krb5conf, Username: l.krbUser, KeytabFile: l.keytab, CCacheFile: l.ccache}
			if l.krbPassEnv != "" {
				kb.Password = spn.Secret(os.Getenv(l.krbPassEnv))
			}
			cfg.Kerberos = kb
		}
		fmt.Fprintf(stderr, "diagnose: connecting to %s ...\n", l.ldapURL)
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
			fmt.Fprintf(stderr, "diagnose: requesting a service ticket for %s ...\n", name)
			t, err := negotiate.RequestTicket(ctx, krb, name)
			ev.TicketRequests = append(ev.TicketRequests, diagnose.TicketRequest{SPN: name, Ticket: t, Err: err})
		}
	}

	for _, u := range l.probes {
		opts := negotiate.ProbeOptions{Client: krb, InsecureSkipVerify: l.probeInsecure, ConnectTo: l.connectTo,
			RedactTokens: true, NTLMRaw: true}
		if l.ntlmUser != "" {
			dom, user, ok := strings.Cut(l.ntlmUser, `\`)
			if !ok {
				return cleanup, fmt.Errorf("-ntlm-user %q: want DOMAIN\\user", l.ntlmUser)
			}
			opts.NTLM = &negotiate.NTLMCredentials{Domain: dom, User: user, Password: os.Getenv(l.ntlmPassEnv)}
		}
		fmt.Fprintf(stderr, "diagnose: probing %s ...\n", u)
		tr, err := negotiate.Probe(ctx, u, opts)
		if err != nil {
			ev.Warnings = append(ev.Warnings, diagnose.EvidenceWarning{Source: "probe " + u, Message: err.Error()})
		}
		if tr != nil && len(tr.Rounds) > 0 {
			ev.Probes = append(ev.Probes, tr)
		}
	}
	return cleanup, nil
}
