// Command diagnose explains Windows Integrated Authentication on an IIS
// server from an evidence bundle or individual evidence files, and prints a
// report: the verdict in the terms of the ITMS knowledge article, the
// findings with their evidence and copy-pasteable fixes, and what could not
// be checked.
//
// With no arguments it analyses the sample bundle built into it (an ITMS
// Notification Server whose agents cannot register with the Task Server):
//
//	go run ./examples/diagnose
//	go run ./examples/diagnose -bundle C:\evidence\ns01
//	go run ./examples/diagnose -config applicationHost.config -setspn spn.txt -iislog C:\inetpub\logs\LogFiles
//	go run ./examples/diagnose -bundle ns01 -format json -o report.json
//	go run ./examples/diagnose -bundle ns01 -format html -o report.html
//
// Evidence flags (-config, -host, -setspn, -klist, -ldif, -http, -iislog,
// -agentlog, -smplog, -events) take a file, a directory (every file in it) or a
// comma-separated list, and may be repeated; with -bundle they add to the
// bundle. Live sources: -ldap URL (Active Directory instead of setspn
// output; simple bind as -ldap-bind, Kerberos as -user or, on Windows,
// SSPI), -probe URL (a real Negotiate handshake with -krb5conf and
// -ccache/-keytab/-user, NTLM fallback with -ntlm-user), -request-tickets
// (klist get for HTTP/<host names>) and -dns (CNAME lookups). A bad -ldap or
// -probe URL is a usage error. Passwords are only read from files or
// environment variables (-password-file/-password-env for -user,
// -ldap-password-file/-ldap-password-env, -ntlm-password-file/
// -ntlm-password-env), never from the command line. KRB003 opens captured
// Kerberos tickets with the decrypting account's keys: the bundle's keys/
// keytabs, -key-keytab FILE (repeatable), or its password
// (-key-password-file/-key-password-env with -key-principal and
// -key-salt-kind ad-user|ad-computer|mit). On the IIS server
// itself (Windows), -collect DIR gathers a bundle first and writes what it
// ran into DIR/README.txt: applicationHost.config and the web.config files
// where windowsAuthentication is unlocked, with secrets removed by walking
// the XML (passwords, [enc:...] values, connection-string passwords,
// machineKey keys, secret-named settings); the computer's names and domain
// from the system; setspn -L/-Q/-F -X and klist get for every expected SPN;
// the Security, System and NTLM events the EVT checks read (wevtutil); and
// the IIS (from each site's logFile settings), agent and Notification Server
// logs of the last -days days.
// -h lists every flag by purpose; -version prints the version.
//
// Exit status (the same meanings in every example): 0 healthy, 1 problems
// (an error finding or a verdict row that needs investigation), 2 could not
// run, 3 inconclusive (no problem found, but supplied evidence was unusable
// or nothing could be verified). Colour is used only when stdout is a
// terminal and NO_COLOR is not set; the progress line only rewrites itself
// on a terminal.
package main

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing/fstest"
	"time"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := runWith(ctx, os.Args[1:], cli.Writer(os.Stdout), cli.Writer(os.Stderr),
		cli.Color(os.Stdout, os.Getenv), cli.IsTerminal(os.Stderr))
	stop()
	os.Exit(code)
}

// Exit statuses (the same in every example): the report's summary status,
// or 2 when the run failed.
const (
	exitOK           = cli.ExitOK           // healthy
	exitErrors       = cli.ExitProblems     // problems: an error finding or a verdict row that needs investigation
	exitFailed       = cli.ExitUsage        // could not run
	exitInconclusive = cli.ExitInconclusive // no problem found, but supplied evidence was unusable or nothing could be verified
)

// exitCode maps the report's summary status to the exit status.
func exitCode(rep *diagnose.Report) int {
	switch rep.Summary.Status {
	case diagnose.StatusProblems:
		return exitErrors
	case diagnose.StatusInconclusive:
		return exitInconclusive
	}
	return exitOK
}

// listFlag collects repeated and comma-separated values.
type listFlag []string

// String joins the values with commas (flag.Value).
func (l *listFlag) String() string { return strings.Join(*l, ",") }

// Set adds the comma-separated values of v (flag.Value).
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			*l = append(*l, s)
		}
	}
	return nil
}

type config struct {
	bundle                                      string
	configFile, hostFile                        string
	setspn, klist, ldif, httpTraces             listFlag
	iisLogs, agentLogs, smpLogs, events         listFlag
	profile, format, output                     string
	checks, disable                             listFlag
	verbose, showProgress                       bool
	collectDir                                  string
	collectDays                                 int
	ntlmDisabled, nonDomain, tlsInspect, fwUser bool
	live                                        liveFlags
	keys                                        keyFlags
}

// newCommand declares the flags into c and the help around them.
func newCommand(c *config, stdout, stderr io.Writer) *cli.Command {
	cmd := cli.New("diagnose", "diagnose explains Windows Integrated Authentication (Kerberos/NTLM) on an IIS server from evidence and prints a report with a verdict and a plan.", stdout, stderr)
	fl := cmd.Flags()
	fl.StringVar(&c.bundle, "bundle", "", "evidence bundle `DIR` (see the README for its layout)")
	fl.StringVar(&c.configFile, "config", "", "applicationHost.config `FILE`")
	fl.StringVar(&c.hostFile, "host", "", "host.json `FILE` (computer, fqdn, domain, realm, role, scenario facts)")
	fl.Var(&c.setspn, "setspn", "setspn -L/-Q/-X output `FILE`s")
	fl.Var(&c.klist, "klist", "klist output `FILE`s (Windows or MIT)")
	fl.Var(&c.ldif, "ldif", "ldifde export `FILE`s of SPN holders")
	fl.Var(&c.httpTraces, "http", "raw HTTP exchange `FILE`s (curl -v, proxy dumps)")
	fl.Var(&c.iisLogs, "iislog", "IIS W3C log `FILE`s or directories")
	fl.Var(&c.agentLogs, "agentlog", "Symantec Management Agent log `FILE`s or directories")
	fl.Var(&c.smpLogs, "smplog", "Notification Server log `FILE`s or directories")
	fl.Var(&c.events, "events", "Windows event exports (`FILE`s or directories): wevtutil/Event Viewer XML or SIEM JSON from the IIS server and the domain controllers")
	fl.StringVar(&c.profile, "profile", "", "profile `NAME`: itms or generic (default: detected from the evidence)")
	fl.Var(&c.checks, "checks", "run only these check `IDs` or globs (IIS*,SPN001)")
	fl.Var(&c.disable, "disable", "disable a check: `ID=reason` (the reason is required)")
	fl.StringVar(&c.format, "format", "text", "output `FORMAT`: text, json, markdown, html (one self-contained page) or sarif (SARIF 2.1.0)")
	fl.StringVar(&c.output, "o", "", "write the report to `FILE` instead of stdout")
	fl.StringVar(&c.collectDir, "collect", "", "Windows: gather an evidence bundle from this IIS server into `DIR` (passwords removed), then analyse it")
	fl.IntVar(&c.collectDays, "days", 7, "with -collect: collect events and logs of the last `N` days")
	fl.BoolVar(&c.showProgress, "progress", false, "show progress of log reading and LDAP scans on stderr (default when stderr is a terminal; plain lines when it is not)")
	fl.BoolVar(&c.verbose, "v", false, "text: also show every finding with its evidence and remediation, every check result and every evidence warning")
	fl.BoolVar(&c.ntlmDisabled, "ntlm-disabled", false, "scenario: NTLM is disabled in the domain")
	fl.BoolVar(&c.nonDomain, "non-domain-clients", false, "scenario: some clients are not domain members (CEM, workgroup)")
	fl.BoolVar(&c.tlsInspect, "tls-inspection", false, "scenario: a device inspects or terminates TLS in front of IIS")
	fl.BoolVar(&c.fwUser, "firewall-service-account", false, "scenario: the firewall shows a service/system account instead of the user")
	c.live.register(cmd)
	c.keys.register(cmd)
	cmd.Usage = []string{"diagnose [-bundle DIR] [evidence flags] [live-source flags] [-profile itms|generic] [-format text|json|markdown|html|sarif] [-o FILE]"}
	cmd.Groups = []cli.Group{
		{Title: cli.GroupEvidence, Note: "with no evidence flag the built-in sample bundle is analysed; file flags take a file, a directory or a comma-separated list, may be repeated, and add to -bundle",
			Flags: []string{"bundle", "config", "host", "setspn", "klist", "ldif", "http", "iislog", "agentlog", "smplog", "events", "collect", "days"}},
		{Title: cli.GroupLive, Flags: c.live.liveFlagNames()},
		{Title: cli.GroupCredentials, Note: "passwords are read only from files or environment variables, never from the command line",
			Flags: append(c.live.credentialFlagNames(), keyFlagNames...)},
		{Title: "Checks and scenario", Flags: []string{"profile", "checks", "disable", "ntlm-disabled", "non-domain-clients", "tls-inspection", "firewall-service-account"}},
		{Title: cli.GroupOutput, Flags: []string{"format", "o", "v", "progress"}},
	}
	cmd.Exit = []cli.Exit{
		{Code: exitOK, Detail: "healthy: no error, no verdict row that needs investigation, all supplied evidence used"},
		{Code: exitErrors, Detail: "an error finding or a verdict row that is not expected behaviour"},
		{Code: exitFailed, Detail: "bad flags, unreadable evidence paths, a bad -ldap or -probe URL, a failed LDAP connection"},
		{Code: exitInconclusive, Detail: "no problem found, but supplied evidence was unusable or nothing could be verified"},
	}
	return cmd
}

// run is main without the process: it returns the exit status. color says
// whether text output to stdout may use colour (a terminal without NO_COLOR).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, color bool) int {
	return runWith(ctx, args, stdout, stderr, color, false)
}

// runWith is run; stderrTTY says stderr is a terminal, which turns the
// progress line on (rewritten in place; -progress without a terminal prints
// plain lines).
func runWith(ctx context.Context, args []string, stdout, stderr io.Writer, color, stderrTTY bool) int {
	var c config
	cmd := newCommand(&c, stdout, stderr)
	rest, code, done := cmd.Parse(args)
	if done {
		return code
	}
	if len(rest) > 0 {
		return cmd.Failf("unexpected argument %q (evidence is given with flags, e.g. -bundle DIR)", rest[0])
	}
	switch c.format {
	case "text", "json", "markdown", "md", "html", "sarif":
	default:
		return cmd.Failf("unknown -format %q (want text, json, markdown, html or sarif)", c.format)
	}
	if err := c.live.validate(); err != nil {
		return cmd.Fail(err)
	}
	if err := c.keys.validate(cmd); err != nil {
		return cmd.Fail(err)
	}
	opts := &diagnose.Options{Checks: c.checks}
	if c.profile != "" {
		p, err := diagnose.ProfileByName(c.profile)
		if err != nil {
			return cmd.Fail(err)
		}
		opts.Profile = p
	}
	for _, d := range c.disable {
		id, reason, _ := strings.Cut(d, "=")
		if opts.Disable == nil {
			opts.Disable = map[string]string{}
		}
		opts.Disable[strings.TrimSpace(id)] = reason
	}

	if c.collectDir != "" {
		src, err := localSource()
		if err == nil {
			err = collect(ctx, c.collectDir, c.collectDays, src, stderr)
		}
		if err != nil {
			return cmd.Fail(err)
		}
		if c.bundle == "" {
			c.bundle = c.collectDir
		}
	}
	var p *progress
	wrapFS := func(f fs.FS) fs.FS { return f }
	if c.showProgress || stderrTTY {
		interval := 500 * time.Millisecond
		if !stderrTTY {
			interval = 5 * time.Second // plain lines: fewer of them
		}
		p = newProgress(stderr, interval, stderrTTY)
		// Loading reads whole directory exports: show it too.
		wrapFS = p.loadingFS
		p.start()
		defer p.finish()
	}
	ev, err := loadEvidence(ctx, &c, cmd, wrapFS)
	if p != nil {
		p.loaded()
	}
	if err != nil {
		return cmd.Fail(err)
	}
	if err := c.keys.apply(ev, os.Getenv); err != nil {
		return cmd.Fail(err)
	}
	cleanup, err := c.live.apply(ctx, ev, cmd, os.Getenv)
	defer cleanup()
	if err != nil {
		return cmd.Fail(err)
	}
	ev.Scenario.NTLMDisabled = ev.Scenario.NTLMDisabled || c.ntlmDisabled
	ev.Scenario.NonDomainClients = ev.Scenario.NonDomainClients || c.nonDomain
	ev.Scenario.TLSInspection = ev.Scenario.TLSInspection || c.tlsInspect
	ev.Scenario.FirewallShowsServiceAccount = ev.Scenario.FirewallShowsServiceAccount || c.fwUser

	if p != nil {
		p.wrap(ev)
	}
	rep, err := diagnose.Diagnose(ctx, ev, opts)
	if err != nil {
		return cmd.Fail(err)
	}

	out := stdout
	var file *os.File
	if c.output != "" {
		file, err = os.Create(c.output)
		if err != nil {
			return cmd.Fail(err)
		}
		out, color = file, false
	}
	switch c.format {
	case "json":
		err = rep.WriteJSON(out)
	case "markdown", "md":
		err = rep.WriteMarkdown(out)
	case "html":
		err = rep.WriteHTML(out)
	case "sarif":
		err = rep.WriteSARIF(out)
	default:
		err = rep.WriteText(out, diagnose.TextOptions{Color: color, Verbose: c.verbose})
	}
	if file != nil {
		if cerr := file.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return cmd.Fail(fmt.Errorf("writing the report: %w", err))
	}
	return exitCode(rep)
}

// loadEvidence builds the evidence: the bundle (or the built-in sample when
// no evidence flag is given) with the individual files laid over it.
// wrapFS wraps the file system the bundle is read from (for progress).
func loadEvidence(ctx context.Context, c *config, cmd *cli.Command, wrapFS func(fs.FS) fs.FS) (*diagnose.Evidence, error) {
	files := map[string]string{} // bundle path -> OS path
	add := func(dir string, list []string, recursive bool) error {
		for _, p := range list {
			if err := addFiles(files, dir, p, recursive); err != nil {
				return err
			}
		}
		return nil
	}
	for name, p := range map[string]string{"applicationHost.config": c.configFile, "host.json": c.hostFile} {
		if p == "" {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if st.IsDir() {
			return nil, fmt.Errorf("%s: is a directory, want the %s file", p, name)
		}
		files[name] = p
	}
	for _, x := range []struct {
		dir       string
		list      []string
		recursive bool
	}{
		{"setspn", c.setspn, false}, {"klist", c.klist, false}, {"ldif", c.ldif, false}, {"http", c.httpTraces, false},
		{"logs/iis", c.iisLogs, true}, {"logs/agent", c.agentLogs, true}, {"logs/smp", c.smpLogs, true},
		{"events", c.events, true},
	} {
		if err := add(x.dir, x.list, x.recursive); err != nil {
			return nil, err
		}
	}

	var base fs.FS
	switch {
	case c.bundle != "":
		st, err := os.Stat(c.bundle)
		if err != nil {
			return nil, fmt.Errorf("evidence bundle: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("evidence bundle %s: not a directory", c.bundle)
		}
		base = os.DirFS(c.bundle)
	case len(files) == 0 && !c.live.any():
		sub := diagnose.SampleBundle()
		cmd.Warnf("no evidence given; analysing the built-in sample bundle (an ITMS Notification Server). Use -bundle DIR for yours.")
		base = sub
	}
	if len(files) == 0 && base != nil {
		return diagnose.LoadBundleFS(ctx, wrapFS(base))
	}
	return diagnose.LoadBundleFS(ctx, wrapFS(newOverlay(base, files)))
}

// addFiles maps the file or directory p into the bundle directory dir.
func addFiles(files map[string]string, dir, p string, recursive bool) error {
	st, err := os.Stat(p)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		files[uniqueName(files, dir, filepath.Base(p))] = p
		return nil
	}
	return filepath.WalkDir(p, func(q string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if q != p && !recursive {
				return fs.SkipDir
			}
			return nil
		}
		rel, _ := filepath.Rel(p, q)
		name := filepath.ToSlash(rel)
		if !recursive {
			name = d.Name()
		}
		files[uniqueName(files, dir, filepath.Base(p)+"/"+name)] = q
		return nil
	})
}

// uniqueName returns dir/name, numbered when two inputs share a name.
func uniqueName(files map[string]string, dir, name string) string {
	if dir == "setspn" || dir == "klist" || dir == "ldif" || dir == "http" {
		name = path.Base(name) // flat directories
	}
	cand := dir + "/" + name
	for i := 2; ; i++ {
		if _, taken := files[cand]; !taken {
			return cand
		}
		ext := path.Ext(name)
		cand = fmt.Sprintf("%s/%s-%d%s", dir, strings.TrimSuffix(name, ext), i, ext)
	}
}

// overlay is a bundle file system: named OS files laid over an optional
// base bundle.
type overlay struct {
	base  fs.FS
	files map[string]string
	tree  fstest.MapFS // directory structure of files
}

func newOverlay(base fs.FS, files map[string]string) *overlay {
	o := &overlay{base: base, files: files, tree: fstest.MapFS{}}
	for name := range files {
		o.tree[name] = &fstest.MapFile{}
	}
	return o
}

// Open opens an overlaid file from the OS, a directory as the union of
// both trees, and anything else from the base.
func (o *overlay) Open(name string) (fs.File, error) {
	if p, ok := o.files[name]; ok {
		return os.Open(p)
	}
	if o.base == nil {
		return o.tree.Open(name)
	}
	if _, err := fs.Stat(o.tree, name); err != nil {
		return o.base.Open(name)
	}
	return o.tree.Open(name)
}

// ReadDir merges the directory listings of the overlay and the base.
func (o *overlay) ReadDir(name string) ([]fs.DirEntry, error) {
	var out []fs.DirEntry
	seen := map[string]bool{}
	a, errA := fs.ReadDir(o.tree, name)
	for _, e := range a {
		seen[e.Name()] = true
		out = append(out, e)
	}
	errB := fs.ErrNotExist
	if o.base != nil {
		var b []fs.DirEntry
		b, errB = fs.ReadDir(o.base, name)
		for _, e := range b {
			if !seen[e.Name()] {
				out = append(out, e)
			}
		}
	}
	if errA != nil && errB != nil {
		return nil, errA
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out, nil
}
