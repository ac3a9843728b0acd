// Command spn answers setspn's questions against a live directory over LDAP
// or against setspn/ldifde output a customer sent, using the iiskerb spn
// package.
//
//	spn -ldap ldaps://dc1.corp.example.com -bind-dn 'CORP\reader' -password-file pw.txt -L 'CORP\svc-web'
//	spn -ldap ldap://dc1.corp.example.com -starttls -ca corp-ca.pem -krb5conf /etc/krb5.conf -ccache /tmp/krb5cc_1000 -Q HTTP/portal.corp.example.com
//	spn -ldap ldap://dc1:3268 -gc -krb5conf krb5.conf -user reader@CORP.EXAMPLE.COM -keytab reader.keytab -X
//	spn -expect -host web01,web01.corp.example.com,portal.corp.example.com -account 'CORP\svc-web' -offline setspn-X.txt setspn-L.txt
//
// Subcommands (exactly one):
//
//	-L ACCOUNT   SPNs registered on an account (DOMAIN\sam, sam, sam$ or a DN)
//	-Q SPN       accounts holding an SPN (case-insensitive, "*" is literal)
//	-X           duplicate SPNs (a full streaming scan; progress on stderr)
//	-expect      the HTTP SPNs that must exist for -host names on -account
//	             (default: the computer account of the first short host name),
//	             checked against the directory, with setspn commands that fix them
//
// Sources: -ldap URL with bind flags, or -offline FILE... (setspn -L/-Q/-X
// output or an ldifde export; -ldif-complete says the LDIF holds every SPN
// holder). Output: -format text (default) or json. The bind password is read
// from -password-file or the environment variable -password-env names
// (IISKERB_LDAP_PASSWORD by default), never from the command line, and is
// never printed. A bad -ldap URL is a usage error. -h lists the flags by
// purpose; -version prints the version.
//
// Exit status (the same meanings in every example): 0 ok, 1 problems found
// (-Q: an SPN on several accounts; -X: duplicate SPNs; -expect: an SPN
// missing, on the wrong account, duplicated or malformed, or an RC4-only
// account), 2 could not run (bad flags or -ldap URL, unreadable files, a
// failed LDAP connection or bind), 3 inconclusive (the answer is incomplete,
// so absence is not proven).
package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/spn"
)

// passwordEnv is the default environment variable read for the bind
// password when -password-file is not given (-password-env).
const passwordEnv = "IISKERB_LDAP_PASSWORD"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// options are the parsed command-line flags.
type options struct {
	list, query             string
	dups, expect            bool
	hosts, account          string
	ldapURL                 string
	startTLS, gc, insecure  bool
	caFile, serverName      string
	baseDN, domain          string
	bindDN                  string
	password                *cli.Password
	allowInsecureBind       bool
	krb5conf, user          string
	keytab, ccache, ldapSPN string
	sspi                    bool
	offline                 multiFlag
	ldifComplete            bool
	format                  string
	progress, timeout       time.Duration
	pageSize                int
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// newCommand declares the flags into o and the help around them.
func newCommand(o *options, stdout, stderr io.Writer) *cli.Command {
	c := cli.New("spn", "spn answers setspn's questions (-L, -Q, -X) and checks the HTTP SPNs a web host needs, against Active Directory over LDAP or setspn/ldifde output.", stdout, stderr)
	fs := c.Flags()
	fs.StringVar(&o.list, "L", "", "list the SPNs of `ACCOUNT` (DOMAIN\\sam, sam, sam$ or DN)")
	fs.StringVar(&o.query, "Q", "", "find the accounts holding `SPN`")
	fs.BoolVar(&o.dups, "X", false, "find duplicate SPNs")
	fs.BoolVar(&o.expect, "expect", false, "check the HTTP SPNs a web host needs")
	fs.StringVar(&o.hosts, "host", "", "with -expect: host `NAMES`, comma-separated (short name, FQDN, binding host names)")
	fs.StringVar(&o.account, "account", "", "with -expect: the decrypting account `DOMAIN\\acct` (default: the computer account)")
	fs.StringVar(&o.ldapURL, "ldap", "", "directory `URL`: ldap://host[:port] or ldaps://host[:port]")
	fs.BoolVar(&o.startTLS, "starttls", false, "upgrade ldap:// with StartTLS")
	fs.StringVar(&o.caFile, "ca", "", "PEM `FILE` of CA certificates to trust (default: system roots)")
	fs.StringVar(&o.serverName, "server-name", "", "`NAME` the server certificate must carry (default: URL host)")
	fs.BoolVar(&o.insecure, "insecure-skip-verify", false, "do not verify the server certificate (lab use only)")
	fs.BoolVar(&o.gc, "gc", false, "search the whole forest through a Global Catalog (ports 3268/3269)")
	fs.StringVar(&o.baseDN, "base", "", "search base `DN` (default: the domain's naming context)")
	fs.StringVar(&o.domain, "domain", "", "NetBIOS `DOMAIN` name for account names (default: from the directory)")
	fs.StringVar(&o.bindDN, "bind-dn", "", "simple bind `DN` (or user@domain, DOMAIN\\user)")
	o.password = c.AddPassword("", "-bind-dn or the Kerberos -user", passwordEnv)
	fs.BoolVar(&o.allowInsecureBind, "allow-insecure-bind", false, "allow a simple bind without TLS (password in clear)")
	fs.StringVar(&o.krb5conf, "krb5conf", "", "Kerberos bind: krb5.conf `FILE`")
	fs.StringVar(&o.user, "user", "", "Kerberos bind: client `PRINCIPAL` (user or user@REALM)")
	fs.StringVar(&o.keytab, "keytab", "", "Kerberos bind: keytab `FILE`")
	fs.StringVar(&o.ccache, "ccache", "", "Kerberos bind: credential cache `FILE` (from kinit)")
	fs.StringVar(&o.ldapSPN, "ldap-spn", "", "Kerberos/SSPI bind: the server's `SPN` (default ldap/<URL host>)")
	fs.BoolVar(&o.sspi, "sspi", false, "bind as the logged-on Windows user (Windows only)")
	fs.Var(&o.offline, "offline", "setspn or ldifde output `FILE` (repeatable; remaining arguments are files too)")
	fs.BoolVar(&o.ldifComplete, "ldif-complete", false, "the LDIF export(s) hold every SPN holder of the domain")
	fs.StringVar(&o.format, "format", "text", "output `FORMAT`: text or json")
	fs.DurationVar(&o.progress, "progress", 3*time.Second, "report scan progress on stderr every `INTERVAL` (0: never; plain lines)")
	fs.DurationVar(&o.timeout, "timeout", 0, "LDAP dial/bind/request timeout (default 2m)")
	fs.IntVar(&o.pageSize, "page-size", 0, "LDAP page size (default 1000; negative: no paging)")
	c.Usage = []string{
		"spn (-L ACCOUNT | -Q SPN | -X | -expect -host NAMES [-account DOMAIN\\acct]) -ldap URL [bind flags]",
		"spn (-L ACCOUNT | -Q SPN | -X | -expect -host NAMES [-account DOMAIN\\acct]) [-offline] FILE...",
	}
	c.Groups = []cli.Group{
		{Title: "Question", Note: "exactly one of -L, -Q, -X and -expect", Flags: []string{"L", "Q", "X", "expect", "host", "account"}},
		{Title: cli.GroupEvidence, Note: "either this or -ldap",
			Args:  []cli.Arg{{Name: "FILE...", Usage: "setspn -L/-Q/-X output or an ldifde export (as -offline)"}},
			Flags: []string{"offline", "ldif-complete"}},
		{Title: cli.GroupLive, Flags: []string{"ldap", "starttls", "ca", "server-name", "insecure-skip-verify", "allow-insecure-bind",
			"gc", "base", "domain", "timeout", "page-size", "krb5conf", "ldap-spn"}},
		{Title: cli.GroupCredentials, Note: "the password only from a file or an environment variable, never on the command line",
			Flags: []string{"bind-dn", "user", "password-file", "password-env", "keytab", "ccache", "sspi"}},
		{Title: cli.GroupOutput, Flags: []string{"format", "progress"}},
	}
	c.Exit = []cli.Exit{
		{Code: cli.ExitOK, Detail: "the answer is complete and shows no problem"},
		{Code: cli.ExitProblems, Detail: "-Q: the SPN is on several accounts; -X: duplicate SPNs; -expect: an SPN missing, on the wrong account, duplicated or malformed, or an RC4-only account"},
		{Code: cli.ExitUsage, Detail: "bad flags or -ldap URL, unreadable files, a failed LDAP connection or bind"},
		{Code: cli.ExitInconclusive, Detail: "the answer is incomplete (a size limit, an LDIF export without -ldif-complete): absence is not proven"},
	}
	return c
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	var o options
	cmd := newCommand(&o, stdout, stderr)
	rest, code, done := cmd.Parse(args)
	if done {
		return code
	}
	o.offline = append(o.offline, rest...)
	if err := o.validate(); err != nil {
		return cmd.Fail(err)
	}
	problems, err := o.execute(ctx, stdout, stderr, getenv)
	switch {
	case err == nil && problems:
		return cli.ExitProblems
	case err == nil:
		return cli.ExitOK
	case errors.Is(err, spn.ErrIncomplete):
		cmd.Error(err)
		if problems {
			return cli.ExitProblems
		}
		return cli.ExitInconclusive
	}
	return cmd.Fail(err)
}

func (o *options) validate() error {
	n := 0
	for _, set := range []bool{o.list != "", o.query != "", o.dups, o.expect} {
		if set {
			n++
		}
	}
	if n != 1 {
		return cli.Usagef("give exactly one of -L ACCOUNT, -Q SPN, -X or -expect")
	}
	if (o.ldapURL == "") == (len(o.offline) == 0) {
		return cli.Usagef("give either -ldap URL or -offline FILE...")
	}
	if o.ldapURL != "" {
		if err := cli.CheckURL("-ldap", o.ldapURL, "ldap", "ldaps"); err != nil {
			return err
		}
	}
	if o.expect && o.hosts == "" {
		return cli.Usagef("-expect needs -host NAME[,NAME]")
	}
	if o.format != "text" && o.format != "json" {
		return cli.Usagef("-format must be text or json")
	}
	return nil
}

// execute answers the question; problems says the answer shows a problem
// (see the exit statuses). An incomplete answer is an error matching
// spn.ErrIncomplete, returned with problems when some were seen anyway.
func (o *options) execute(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string) (problems bool, err error) {
	dir, closeDir, err := o.open(ctx, getenv)
	if err != nil {
		return false, err
	}
	defer closeDir()
	out := &printer{w: stdout, json: o.format == "json"}
	switch {
	case o.list != "":
		var ans spn.Answer
		ans, err = dir.Account(ctx, o.list)
		out.list(dir, o.list, ans)
		return false, answerErr(err, ans.Completeness)
	case o.query != "":
		var ans spn.Answer
		ans, err = dir.Owners(ctx, o.query)
		out.query(dir, o.query, ans)
		return len(ans.Accounts) > 1, answerErr(err, ans.Completeness)
	case o.dups:
		pd := &progressDir{Directory: dir}
		stopProgress := pd.report(stderr, o.progress)
		var dups []spn.Duplicate
		var c spn.Completeness
		if ld, ok := dir.(*spn.LDAPDirectory); ok {
			// the LDAP directory's lean duplicate scan, with its own progress hook
			dups, c, err = ld.ScanDuplicates(ctx, func(accounts, spns int) {
				pd.accounts.Store(int64(accounts))
				pd.spns.Store(int64(spns))
			})
		} else {
			// pd hides any DuplicateFinder, so this scan is counted ...
			dups, c, err = spn.Duplicates(ctx, pd)
			if f, ok := dir.(spn.DuplicateFinder); ok && !c.Complete {
				// ... and the finder is asked when the scan cannot prove
				// the answer (offline: a finished setspn -X run can)
				dups, c, err = f.FindDuplicates(ctx)
			}
		}
		stopProgress()
		out.duplicates(dir, dups, c, pd.accounts.Load(), pd.spns.Load())
		return len(dups) > 0, answerErr(err, c)
	default:
		return o.runExpect(ctx, dir, out)
	}
}

// answerErr turns an incomplete answer without an error into one, so the
// exit status never says "all good" about a partial answer.
func answerErr(err error, c spn.Completeness) error {
	if err == nil && !c.Complete {
		return &spn.IncompleteError{Reason: c.Reason}
	}
	return err
}

// open returns the directory the flags name and a function that closes it.
func (o *options) open(ctx context.Context, getenv func(string) string) (spn.Directory, func(), error) {
	if o.ldapURL == "" {
		d, err := o.openOffline(ctx)
		return d, func() {}, err
	}
	cfg := spn.LDAPConfig{URL: o.ldapURL, StartTLS: o.startTLS, ServerName: o.serverName,
		InsecureSkipVerify: o.insecure, GlobalCatalog: o.gc, BaseDN: o.baseDN, Domain: o.domain,
		AllowInsecureSimpleBind: o.allowInsecureBind, SSPI: o.sspi, SSPISPN: o.ldapSPN,
		PageSize: o.pageSize, Timeout: o.timeout}
	if o.caFile != "" {
		pem, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, nil, fmt.Errorf("-ca %s: no PEM certificate found", o.caFile)
		}
	}
	switch {
	case o.krb5conf != "":
		k := &spn.KerberosBind{Krb5Conf: o.krb5conf, KeytabFile: o.keytab, CCacheFile: o.ccache, SPN: o.ldapSPN}
		k.Username, k.Realm, _ = strings.Cut(o.user, "@")
		if o.keytab == "" && o.ccache == "" {
			pw, err := o.password.Need("a Kerberos bind without -keytab or -ccache", getenv)
			if err != nil {
				return nil, nil, err
			}
			k.Password = spn.Secret(pw)
		}
		cfg.Kerberos = k
	case o.bindDN != "":
		pw, err := o.password.Need("-bind-dn", getenv)
		if err != nil {
			return nil, nil, err
		}
		cfg.BindDN, cfg.Password = o.bindDN, spn.Secret(pw)
	}
	d, err := spn.DialLDAP(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return d, func() { d.Close() }, nil
}

func (o *options) openOffline(ctx context.Context) (spn.Directory, error) {
	// setspn output first, then the exports, streamed into the directory
	// (a forest's export is never held as accounts).
	b := spn.NewOfflineBuilder(o.domain)
	var ldif []string
	var notSetspn []error
	for _, name := range o.offline {
		ext := strings.ToLower(filepath.Ext(name))
		if ext == ".ldf" || ext == ".ldif" {
			ldif, notSetspn = append(ldif, name), append(notSetspn, nil)
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		s, err := spn.ParseSetspn(name, f)
		f.Close()
		if errors.Is(err, spn.ErrUnrecognized) {
			// not setspn output: maybe an LDIF export with another name
			ldif, notSetspn = append(ldif, name), append(notSetspn, err)
			continue
		}
		if err != nil {
			return nil, err
		}
		b.AddSetspn(s)
	}
	for i, name := range ldif {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		_, err = b.ReadLDIF(ctx, name, f)
		f.Close()
		if err != nil && notSetspn[i] != nil {
			return nil, fmt.Errorf("%s is neither setspn output (%v) nor LDIF (%v)", name, notSetspn[i], err)
		}
		if err != nil {
			return nil, err
		}
	}
	return b.Directory(o.ldifComplete), nil
}

// runExpect checks the expected HTTP SPNs; problems says a verdict shows
// one.
func (o *options) runExpect(ctx context.Context, dir spn.Directory, out *printer) (problems bool, err error) {
	var hosts spn.HostNames
	for _, h := range strings.Split(o.hosts, ",") {
		h = strings.TrimSpace(h)
		switch {
		case h == "":
		case !strings.Contains(h, ".") && hosts.NetBIOS == "":
			hosts.NetBIOS = h
		case strings.Contains(h, ".") && hosts.FQDN == "" && hosts.NetBIOS != "" &&
			strings.EqualFold(strings.SplitN(h, ".", 2)[0], hosts.NetBIOS):
			hosts.FQDN = h
		default:
			hosts.Bindings = append(hosts.Bindings, h)
		}
	}
	domain := o.domain
	if ld, ok := dir.(*spn.LDAPDirectory); ok && domain == "" {
		domain = ld.Domain()
	}
	var owner spn.Owner
	switch {
	case o.account != "" && strings.HasSuffix(o.account, "$"):
		d, sam := splitAccount(o.account, domain)
		owner = spn.ComputerOwner(d, sam)
	case o.account != "":
		d, sam := splitAccount(o.account, domain)
		if d != "" {
			sam = d + `\` + sam
		}
		owner = spn.AccountOwner(sam)
	case hosts.NetBIOS != "":
		owner = spn.ComputerOwner(domain, hosts.NetBIOS)
	default:
		return false, cli.Usagef("-expect without -account needs a short host name in -host")
	}
	mappings := spn.DefaultSPNMappings()
	mappingSource := "default sPNMappings"
	if ms, ok := dir.(spn.MappingSource); ok {
		m, err := ms.SPNMappings(ctx)
		if err == nil {
			mappings, mappingSource = m, "sPNMappings read from the directory"
		} else {
			mappingSource = "default sPNMappings (reading the directory's failed: " + err.Error() + ")"
		}
	}
	exps := spn.Expected(hosts, owner, mappings)
	verdicts, err := spn.Evaluate(ctx, dir, exps)
	out.verdicts(dir, owner, mappingSource, verdicts)
	for _, v := range verdicts {
		switch v.Kind {
		case spn.Missing, spn.WrongAccount, spn.Duplicated, spn.Malformed, spn.RC4Only:
			problems = true
		}
	}
	if err != nil {
		return problems, err
	}
	for _, v := range verdicts {
		if !v.Complete {
			return problems, &spn.IncompleteError{Reason: "some answers were incomplete: " + v.Reason}
		}
	}
	return problems, nil
}

// splitAccount splits "DOMAIN\sam" (defaulting the domain).
func splitAccount(a, domain string) (string, string) {
	if d, sam, ok := strings.Cut(a, `\`); ok {
		return d, sam
	}
	return domain, a
}

// progressDir counts a scan's accounts and SPNs for the progress report.
type progressDir struct {
	spn.Directory
	accounts, spns atomic.Int64
}

func (p *progressDir) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	return p.Directory.Scan(ctx, func(a *spn.Account) error {
		p.accounts.Add(1)
		p.spns.Add(int64(len(a.SPNs)))
		return fn(a)
	})
}

// report prints progress to w every interval until the returned function is
// called (which prints a last line if any was printed).
func (p *progressDir) report(w io.Writer, interval time.Duration) func() {
	if interval <= 0 {
		return func() {}
	}
	start := time.Now()
	done := make(chan struct{})
	finished := make(chan struct{})
	printed := false
	line := func() {
		el := time.Since(start)
		n := p.accounts.Load()
		fmt.Fprintf(w, "spn: %s: %d accounts, %d SPNs, %.0f entries/s\n",
			el.Round(100*time.Millisecond), n, p.spns.Load(), float64(n)/el.Seconds())
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				if printed {
					line()
				}
				return
			case <-t.C:
				printed = true
				line()
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// printer renders answers as setspn-like text or JSON.
type printer struct {
	w    io.Writer
	json bool
}

// completenessJSON is spn.Completeness in JSON output (spn.Verdict and
// spn.Account marshal themselves).
type completenessJSON struct {
	Complete bool   `json:"complete"`
	Reason   string `json:"reason,omitempty"`
}

func (p *printer) emit(v any) {
	enc := json.NewEncoder(p.w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// accounts returns accts for JSON: a list, never null.
func accounts(accts []spn.Account) []spn.Account {
	if accts == nil {
		return []spn.Account{}
	}
	return accts
}

func (p *printer) describeAccount(a spn.Account) {
	id := a.DN
	if id == "" {
		id = a.Name
	}
	fmt.Fprintf(p.w, "Registered ServicePrincipalNames for %s:\n", id)
	for _, s := range a.SPNs {
		fmt.Fprintf(p.w, "\t%s\n", s)
	}
	et, assumed := a.EffectiveEncTypes()
	enc := et.String()
	known := !a.EncTypesUnknown || a.EncTypesSet
	switch {
	case !known:
		enc = "not in the evidence"
	case assumed:
		enc = "not set (the KDC assumes " + enc + ")"
	}
	state := "enabled"
	if a.Disabled {
		state = "disabled"
	}
	fmt.Fprintf(p.w, "  account %s (%s, %s); msDS-SupportedEncryptionTypes: %s", a.Name, a.Kind, state, enc)
	if known && et.RC4Only() {
		fmt.Fprint(p.w, " - RC4 only")
	}
	fmt.Fprintln(p.w)
}

func (p *printer) incomplete(c spn.Completeness) {
	if !c.Complete {
		fmt.Fprintf(p.w, "WARNING: the answer is incomplete: %s\n", c.Reason)
	}
}

func (p *printer) list(dir spn.Directory, name string, ans spn.Answer) {
	if p.json {
		p.emit(struct {
			Source   string           `json:"source"`
			Account  string           `json:"account"`
			Accounts []spn.Account    `json:"accounts"`
			Answer   completenessJSON `json:"completeness"`
		}{dir.Describe(), name, accounts(ans.Accounts), completenessJSON(ans.Completeness)})
		return
	}
	fmt.Fprintf(p.w, "Source: %s\n", dir.Describe())
	if len(ans.Accounts) == 0 {
		fmt.Fprintf(p.w, "No account %s found.\n", name)
	}
	for _, a := range ans.Accounts {
		p.describeAccount(a)
	}
	p.incomplete(ans.Completeness)
}

func (p *printer) query(dir spn.Directory, s string, ans spn.Answer) {
	if p.json {
		p.emit(struct {
			Source string           `json:"source"`
			SPN    string           `json:"spn"`
			Owners []spn.Account    `json:"owners"`
			Answer completenessJSON `json:"completeness"`
		}{dir.Describe(), s, accounts(ans.Accounts), completenessJSON(ans.Completeness)})
		return
	}
	fmt.Fprintf(p.w, "Checking %s\n", dir.Describe())
	for _, a := range ans.Accounts {
		p.describeAccount(a)
	}
	switch {
	case len(ans.Accounts) > 1:
		fmt.Fprintf(p.w, "\nDUPLICATE: %s is held by %d accounts.\n", s, len(ans.Accounts))
	case len(ans.Accounts) == 1:
		fmt.Fprintln(p.w, "\nExisting SPN found!")
	case ans.Complete:
		fmt.Fprintln(p.w, "\nNo such SPN found.")
	default:
		fmt.Fprintln(p.w, "\nNo holder seen, but the answer is incomplete: absence is not proven.")
	}
	p.incomplete(ans.Completeness)
}

func (p *printer) duplicates(dir spn.Directory, dups []spn.Duplicate, c spn.Completeness, accounts, spns int64) {
	if p.json {
		type dupJSON struct {
			SPN    string   `json:"spn"`
			Owners []string `json:"owners"`
		}
		list := []dupJSON{}
		for _, d := range dups {
			list = append(list, dupJSON{d.SPN, d.Owners})
		}
		p.emit(struct {
			Source     string           `json:"source"`
			Accounts   int64            `json:"accounts_scanned"`
			SPNs       int64            `json:"spns_scanned"`
			Duplicates []dupJSON        `json:"duplicates"`
			Answer     completenessJSON `json:"completeness"`
		}{dir.Describe(), accounts, spns, list, completenessJSON(c)})
		return
	}
	fmt.Fprintf(p.w, "Checking %s for duplicate SPNs (%d accounts, %d SPNs scanned)\n", dir.Describe(), accounts, spns)
	for _, d := range dups {
		fmt.Fprintf(p.w, "%s is registered on these accounts:\n", d.SPN)
		for _, o := range d.Owners {
			fmt.Fprintf(p.w, "\t%s\n", o)
		}
	}
	if c.Complete {
		fmt.Fprintf(p.w, "found %d group(s) of duplicate SPNs.\n", len(dups))
	} else {
		fmt.Fprintf(p.w, "found %d group(s) of duplicate SPNs so far; the scan is INCOMPLETE (%s): others may exist.\n", len(dups), c.Reason)
	}
}

func (p *printer) verdicts(dir spn.Directory, owner spn.Owner, mappingSource string, vs []spn.Verdict) {
	if p.json {
		if vs == nil {
			vs = []spn.Verdict{}
		}
		p.emit(struct {
			Source   string        `json:"source"`
			Owner    string        `json:"decrypting_account"`
			Mappings string        `json:"mappings"`
			Verdicts []spn.Verdict `json:"verdicts"`
		}{dir.Describe(), owner.String(), mappingSource, vs})
		return
	}
	fmt.Fprintf(p.w, "Checking %s: SPNs that must be on %s (%s)\n", dir.Describe(), owner, mappingSource)
	for _, v := range vs {
		subject := v.SPN
		if subject == "" {
			subject = v.Account
		}
		fmt.Fprintf(p.w, "%-13s %s", strings.ToUpper(v.Kind.String()), subject)
		if v.Expectation.Reason != "" {
			fmt.Fprintf(p.w, " (%s)", v.Expectation.Reason)
		}
		fmt.Fprintln(p.w)
		if v.Detail != "" {
			fmt.Fprintf(p.w, "              %s\n", v.Detail)
		}
		for _, f := range v.Fix {
			fmt.Fprintf(p.w, "              fix: %s\n", f)
		}
		if v.Note != "" {
			fmt.Fprintf(p.w, "              note: %s\n", v.Note)
		}
		if !v.Complete {
			fmt.Fprintf(p.w, "              incomplete: %s\n", v.Reason)
		}
	}
}
