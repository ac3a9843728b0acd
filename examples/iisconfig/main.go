// Command iisconfig prints the effective IIS authentication settings of every
// application and <location> path of an applicationHost.config, or of one
// path, as JSON (default) or a text table.
//
//	go run ./examples/iisconfig -config examples/iisconfig/testdata/sample.config
//	go run ./examples/iisconfig -config applicationHost.config -path "Default Web Site/Altiris/NS/Agent" -format text
//
// Bad input (a missing or malformed file, an unknown path or format) prints
// one line to standard error and exits with status 2 (could not run, as in
// every example). Warnings about the configuration go to standard error
// prefixed "iisconfig: warning:". Passwords in the file are never printed.
// -h lists the flags by purpose; -version prints the version.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/internal/cli"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// newCommand declares the flags and the help.
func newCommand(stdout, stderr io.Writer) (cmd *cli.Command, config, path, format *string) {
	cmd = cli.New("iisconfig", "iisconfig prints the effective IIS authentication settings (Windows, Anonymous, Basic, app pool and the account that decrypts Kerberos tickets) of every path of an applicationHost.config, or of one path.", stdout, stderr)
	fs := cmd.Flags()
	config = fs.String("config", "", "applicationHost.config `FILE` to read (required)")
	path = fs.String("path", "", `one configuration `+"`PATH`"+`, e.g. "Default Web Site/Altiris/NS/Agent" (default: every application and location path)`)
	format = fs.String("format", "json", "output `FORMAT`: json or text (a table)")
	cmd.Usage = []string{`iisconfig -config FILE [-path "Site/app"] [-format json|text]`}
	cmd.Groups = []cli.Group{
		{Title: cli.GroupEvidence, Flags: []string{"config"}},
		{Title: cli.GroupLive, None: "none: iisconfig reads a file only"},
		{Title: cli.GroupCredentials, None: "none: passwords in the file are never printed"},
		{Title: cli.GroupOutput, Flags: []string{"path", "format"}},
	}
	cmd.Exit = []cli.Exit{
		{Code: cli.ExitOK, Detail: "the settings were printed (configuration warnings go to stderr)"},
		{Code: cli.ExitUsage, Detail: "bad flags, a missing or malformed file, an unknown path"},
	}
	return cmd, config, path, format
}

// run is main without the process: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	cmd, config, path, format := newCommand(stdout, stderr)
	rest, code, done := cmd.Parse(args)
	if done {
		return code
	}
	switch {
	case *config == "":
		return cmd.Failf("-config FILE is required")
	case len(rest) > 0:
		return cmd.Failf("unexpected argument %q", rest[0])
	case *format != "json" && *format != "text":
		return cmd.Failf("unknown -format %q (want json or text)", *format)
	}
	if err := write(stdout, stderr, *config, *path, *format); err != nil {
		return cmd.Fail(err)
	}
	return cli.ExitOK
}

// write prints the settings of path (every path when empty) in format.
func write(stdout, stderr io.Writer, config, path, format string) error {
	cfg, err := iisconfig.ParseFile(config)
	if err != nil {
		return err
	}
	var list []*iisconfig.Settings
	if path != "" {
		s, err := cfg.Effective(path)
		if err != nil {
			return err
		}
		list = []*iisconfig.Settings{s}
	} else {
		list = cfg.Applications()
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "iisconfig: warning: %s: %s\n", cfg.Position(w.Locator), w.Message)
	}
	if format == "text" {
		return writeText(stdout, list)
	}
	if list == nil {
		list = []*iisconfig.Settings{}
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(list)
}

func yn(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func writeText(w io.Writer, list []*iisconfig.Settings) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "PATH\tAPP POOL\tIDENTITY\tDECRYPTS TICKETS\tWINDOWS\tPROVIDERS\tKERNEL\tAPPPOOLCRED\tPERSIST NON-NTLM\tANONYMOUS\tBASIC\tEXT.PROT")
	for _, s := range list {
		identity := "?"
		if s.AppPool != nil {
			identity = s.AppPool.IdentityType.String()
			if s.AppPool.UserName != "" {
				identity += " " + s.AppPool.UserName
			}
		}
		providers := strings.Join(s.WindowsAuth.Providers, ",")
		if providers == "" {
			providers = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n",
			s.Path, s.AppPoolName, identity, s.Decrypting, yn(s.WindowsAuth.Enabled), providers,
			yn(s.WindowsAuth.UseKernelMode), yn(s.WindowsAuth.UseAppPoolCredentials), yn(s.WindowsAuth.AuthPersistNonNTLM),
			yn(s.Anonymous.Enabled), yn(s.Basic.Enabled), s.WindowsAuth.ExtendedProtection.TokenChecking)
	}
	return tw.Flush()
}
