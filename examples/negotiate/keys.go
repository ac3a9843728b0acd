package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/negotiate"
)

// listFlag collects a repeated flag.
type listFlag []string

// String joins the values with commas (flag.Value).
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds one value (flag.Value).
func (l *listFlag) Set(v string) error {
	if v = strings.TrimSpace(v); v != "" {
		*l = append(*l, v)
	}
	return nil
}

// keyFlags are decode's service key flags: keytabs, or a password with how
// its keys are salted. The password is only read from a file or an
// environment variable.
type keyFlags struct {
	keytabs                                  listFlag
	password                                 *cli.Password
	principal, salt, saltKind, dnsDomain     string
	passwordSet, principalSet, saltKindGiven bool
}

// keyFlagNames are the key flags, for the help.
var keyFlagNames = []string{"keytab", "password-file", "password-env", "principal", "salt-kind", "salt", "dns-domain"}

func addKeyFlags(c *cli.Command) *keyFlags {
	k := &keyFlags{}
	fs := c.Flags()
	fs.Var(&k.keytabs, "keytab", "open the ticket with the keys in keytab `FILE` (ktpass /out, ktutil, kadmin ktadd, samba-tool exportkeytab; repeatable)")
	k.password = c.AddPassword("", "the account whose keys open the ticket (-principal)", "")
	fs.StringVar(&k.principal, "principal", "", "the account the password belongs to, `NAME` or NAME@REALM (websvc, WEB01$, HTTP/web.example.test; default realm: the ticket's); without it the salt is built from the ticket's server name, as MIT does")
	fs.StringVar(&k.saltKind, "salt-kind", "mit", "how the password's keys are salted, `KIND`: mit (realm + principal), ad-user (REALM + sAMAccountName, service accounts) or ad-computer (REALM + host + name.domain)")
	fs.StringVar(&k.salt, "salt", "", "the exact `SALT` of the password's keys (as a KDC's PA-ETYPE-INFO2 or ktpass shows it), instead of -salt-kind")
	fs.StringVar(&k.dnsDomain, "dns-domain", "", "the DNS `DOMAIN` of an AD computer account (-salt-kind ad-computer; default: the realm in lower case)")
	return k
}

// any reports whether keys were asked for.
func (k *keyFlags) any() bool { return len(k.keytabs) > 0 || k.passwordSet }

// validate checks the combination after parsing.
func (k *keyFlags) validate(c *cli.Command) error {
	set := map[string]bool{}
	c.Flags().Visit(func(f *flag.Flag) { set[f.Name] = true })
	k.passwordSet = k.password.File != "" || k.password.Env != ""
	k.principalSet = k.principal != ""
	k.saltKindGiven = set["salt-kind"]
	if !k.passwordSet {
		for _, n := range []string{"principal", "salt-kind", "salt", "dns-domain"} {
			if set[n] {
				return cli.Usagef("-%s describes the keys of a password: give the password with %s", n, k.password.Flags())
			}
		}
		return nil
	}
	if k.salt != "" && k.saltKindGiven {
		return cli.Usagef("give -salt or -salt-kind, not both (-salt is used as it is)")
	}
	kind, err := parseSaltKind(k.saltKind)
	if err != nil {
		return err
	}
	if k.saltKindGiven && !k.principalSet {
		return cli.Usagef("-salt-kind %s builds the salt from the account name: give -principal NAME (or -salt SALT)", k.saltKind)
	}
	if k.dnsDomain != "" && kind != negotiate.SaltADComputer {
		return cli.Usagef("-dns-domain is for -salt-kind ad-computer only")
	}
	return nil
}

// parseSaltKind reads -salt-kind.
func parseSaltKind(s string) (negotiate.SaltKind, error) {
	switch strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "_", "-")) {
	case "mit", "mit-default", "":
		return negotiate.SaltMIT, nil
	case "ad-user", "user":
		return negotiate.SaltADUser, nil
	case "ad-computer", "computer":
		return negotiate.SaltADComputer, nil
	}
	return 0, cli.Usagef("unknown -salt-kind %q (mit, ad-user or ad-computer)", s)
}

// keytabKeys loads the keytabs.
func (k *keyFlags) keytabKeys() ([]negotiate.Key, error) {
	var keys []negotiate.Key
	for _, p := range k.keytabs {
		ks, err := negotiate.LoadKeytab(p)
		if err != nil {
			return nil, fmt.Errorf("-keytab: %w", err)
		}
		if len(ks) == 0 {
			return nil, fmt.Errorf("-keytab %s: no key of a usable encryption type (aes256, aes128, rc4)", p)
		}
		keys = append(keys, ks...)
	}
	return keys, nil
}

// passwordKeys derives the password's keys; realm is the ticket's, for a
// -principal without one.
func (k *keyFlags) passwordKeys(getenv func(string) string, realm string) ([]negotiate.Key, error) {
	if !k.passwordSet {
		return nil, nil
	}
	who := "the service key"
	if k.principal != "" {
		who = "-principal " + k.principal
	}
	pw, err := k.password.Need(who, getenv)
	if err != nil {
		return nil, err
	}
	kind, err := parseSaltKind(k.saltKind)
	if err != nil {
		return nil, err
	}
	keys, err := negotiate.KeysFromPassword(pw, negotiate.KeyOptions{Principal: k.principal, Realm: realm,
		SaltKind: kind, Salt: k.salt, DNSDomain: k.dnsDomain})
	if err != nil {
		return nil, err
	}
	source := "password $" + k.password.Env
	if k.password.File != "" {
		source = "password file " + k.password.File
	}
	for i := range keys {
		keys[i].Source = source
	}
	return keys, nil
}

// isAPReq reports whether the token carries a Kerberos AP-REQ.
func isAPReq(tok *negotiate.Token) bool {
	return tok.Kerberos != nil && tok.Kerberos.APReq != nil &&
		(tok.Kind == negotiate.KerberosAPReq || tok.InnerKind == negotiate.KerberosAPReq)
}

func describeToken(tok *negotiate.Token) string {
	if tok.InnerKind != negotiate.UnknownToken {
		return "a " + tok.Kind.String() + " carrying " + tok.InnerKind.String()
	}
	return "a " + tok.Kind.String()
}

// decryptErrorJSON is a DecryptError with its reason by name and the whole
// message.
type decryptErrorJSON struct {
	*negotiate.DecryptError
	Reason   string `json:"reason"`
	CodeName string `json:"code_name"`
	Message  string `json:"message"`
}

func newDecryptErrorJSON(e *negotiate.DecryptError) *decryptErrorJSON {
	if e == nil {
		return nil
	}
	return &decryptErrorJSON{DecryptError: e, Reason: e.ReasonName(), CodeName: e.Code.String(), Message: e.Error()}
}

// writeDecryptedText prints what the service sees in the ticket it opened.
func writeDecryptedText(w io.Writer, d *negotiate.DecryptedTicket) {
	p := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%-14s %s\n", label+":", fmt.Sprintf(format, a...))
	}
	ts := func(t time.Time) string {
		if t.IsZero() {
			return "-"
		}
		return t.UTC().Format(time.RFC3339)
	}
	p("Decrypted", "the ticket opens with %s", d.Key)
	p("Client", "%s (what the service authenticates)", d.Client())
	p("Server", "%s@%s (%s, kvno %d)", d.Server, d.Realm, d.EncType, d.KVNO)
	p("Times", "auth %s, start %s, end %s, renew till %s", ts(d.AuthTime), ts(d.StartTime), ts(d.EndTime), ts(d.RenewTill))
	p("Ticket flags", "%s", strings.Join(d.Flags, " "))
	p("Session key", "%s", d.SessionKeyType)
	if d.Transited != "" {
		p("Transited", "%s", d.Transited)
	}
	if len(d.Addresses) > 0 {
		p("Addresses", "%s", strings.Join(d.Addresses, ", "))
	}
	if len(d.AuthorizationData) > 0 {
		p("Auth data", "%s", strings.Join(d.AuthorizationData, ", "))
	}
	if a := d.Authenticator; a != nil {
		p("Authenticator", "%s@%s at %s (matches the ticket's client: %v)", a.ClientName, a.ClientRealm, ts(a.Time), a.MatchesTicket)
		if g := a.GSS; g != nil {
			cb := "none"
			if g.ChannelBindings {
				cb = "MD5 " + g.BindingsMD5 + " (Extended Protection)"
			}
			p("GSS flags", "%s; channel bindings %s; delegation %v", strings.Join(g.FlagNames, " "), cb, g.Delegation)
		}
		if a.APOptionsCBT {
			p("CBT", "the client supports channel binding (KERB_AP_OPTIONS_CBT)")
		}
	} else if d.AuthenticatorError != "" {
		p("Authenticator", "not read: %s", d.AuthenticatorError)
	}
	if pac := d.PAC; pac != nil {
		if li := pac.LogonInfo; li != nil {
			p("PAC user", `%s\%s (%s), %d groups, primary group %s`, li.LogonDomainName, li.EffectiveName, li.UserSID, len(li.Groups), li.PrimaryGroupSID)
			if len(li.ExtraSIDs) > 0 {
				var sids []string
				for _, s := range li.ExtraSIDs {
					sids = append(sids, s.SID)
				}
				p("PAC extra SIDs", "%s", strings.Join(sids, " "))
			}
		}
		if u := pac.UPNDNSInfo; u != nil {
			p("PAC UPN", "%s (DNS domain %s)", u.UPN, u.DNSDomain)
		}
		for _, s := range []struct {
			name string
			sig  *negotiate.PACSignature
		}{{"server", pac.ServerSignature}, {"KDC", pac.KDCSignature}, {"ticket", pac.TicketSignature}, {"full PAC", pac.FullPACSignature}} {
			if s.sig == nil {
				continue
			}
			st := s.sig.Status
			if s.sig.Note != "" {
				st += ": " + s.sig.Note
			}
			p("PAC signature", "%s %s %s", s.name, s.sig.TypeName, st)
		}
		for _, pr := range pac.Problems {
			p("PAC problem", "%s", pr)
		}
	}
	if d.PACError != "" {
		p("PAC error", "%s", d.PACError)
	}
	for _, n := range d.Notes {
		p("Note", "%s", n)
	}
	writeAttempts(w, d.Attempts)
}

// writeDecryptErrorText explains why no key opened the ticket.
func writeDecryptErrorText(w io.Writer, e *negotiate.DecryptError) {
	p := func(label, format string, a ...any) {
		fmt.Fprintf(w, "%-14s %s\n", label+":", fmt.Sprintf(format, a...))
	}
	p("Decrypted", "no: no key opens the ticket for %s@%s (%s, kvno %d)", e.SPN, e.Realm, e.EncType, e.KVNO)
	p("Reason", "%s: %s", e.ReasonName(), e.Reason)
	p("Server answers", "%s (%d)", e.Code, e.Code)
	p("Detail", "%s", e.Detail)
	p("On IIS", "%s", e.Meaning)
	writeAttempts(w, e.Attempts)
}

func writeAttempts(w io.Writer, attempts []negotiate.KeyAttempt) {
	for _, a := range attempts {
		line := a.Key.String() + ": " + a.Result
		if a.Detail != "" {
			line += " (" + a.Detail + ")"
		}
		fmt.Fprintf(w, "%-14s %s\n", "Key tried:", line)
	}
}
