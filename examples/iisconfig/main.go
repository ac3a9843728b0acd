// Command iisconfig prints the effective IIS authentication settings of every
// application and <location> path of an applicationHost.config, or of one
// path, as JSON (default) or a text table.
//
//	go run ./examples/iisconfig -config examples/iisconfig/testdata/sample.config
//	go run ./examples/iisconfig -config applicationHost.config -path "Default Web Site/Altiris/NS/Agent" -format text
//
// Bad input (a missing or malformed file, an unknown path or format) prints
// one line to standard error and exits with status 2. Warnings about the
// configuration go to standard error prefixed "warning:". Passwords in the
// file are never printed.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/iiskerb/iiskerb/iisconfig"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// pathJSON is one enumerated path; keys are stable.
type pathJSON struct {
	Path              string        `json:"path"`
	Site              string        `json:"site"`
	AppPool           string        `json:"app_pool"`
	IdentityType      string        `json:"identity_type"`
	IdentityUser      string        `json:"identity_user"`
	DecryptingAccount string        `json:"decrypting_account"`
	WindowsAuth       windowsJSON   `json:"windows_auth"`
	AnonymousAuth     anonymousJSON `json:"anonymous_auth"`
	BasicAuth         enabledJSON   `json:"basic_auth"`
	Bindings          []bindingJSON `json:"bindings"`
}

type windowsJSON struct {
	Enabled                  bool     `json:"enabled"`
	Providers                []string `json:"providers"`
	UseKernelMode            bool     `json:"use_kernel_mode"`
	UseAppPoolCredentials    bool     `json:"use_app_pool_credentials"`
	AuthPersistNonNTLM       bool     `json:"auth_persist_non_ntlm"`
	AuthPersistSingleRequest bool     `json:"auth_persist_single_request"`
	ExtendedProtection       epJSON   `json:"extended_protection"`
}

type epJSON struct {
	TokenChecking string `json:"token_checking"`
	Flags         string `json:"flags"`
}

type anonymousJSON struct {
	Enabled  bool   `json:"enabled"`
	UserName string `json:"user_name"`
}

type enabledJSON struct {
	Enabled bool `json:"enabled"`
}

type bindingJSON struct {
	Protocol string `json:"protocol"`
	Address  string `json:"address"`
	Port     int    `json:"port"`
	Host     string `json:"host"`
}

func toJSON(s *iisconfig.Settings) pathJSON {
	out := pathJSON{
		Path:              s.Path,
		Site:              s.Site,
		AppPool:           s.AppPoolName,
		DecryptingAccount: s.Decrypting.String(),
		WindowsAuth: windowsJSON{
			Enabled:                  s.WindowsAuth.Enabled,
			Providers:                append([]string{}, s.WindowsAuth.Providers...),
			UseKernelMode:            s.WindowsAuth.UseKernelMode,
			UseAppPoolCredentials:    s.WindowsAuth.UseAppPoolCredentials,
			AuthPersistNonNTLM:       s.WindowsAuth.AuthPersistNonNTLM,
			AuthPersistSingleRequest: s.WindowsAuth.AuthPersistSingleRequest,
			ExtendedProtection: epJSON{
				TokenChecking: s.WindowsAuth.ExtendedProtection.TokenChecking,
				Flags:         s.WindowsAuth.ExtendedProtection.Flags,
			},
		},
		AnonymousAuth: anonymousJSON{Enabled: s.Anonymous.Enabled, UserName: s.Anonymous.UserName},
		BasicAuth:     enabledJSON{Enabled: s.Basic.Enabled},
		Bindings:      []bindingJSON{},
	}
	if s.AppPool != nil {
		out.IdentityType = s.AppPool.IdentityType.String()
		out.IdentityUser = s.AppPool.UserName
	}
	for _, b := range s.Bindings {
		out.Bindings = append(out.Bindings, bindingJSON{Protocol: b.Protocol, Address: b.Address, Port: b.Port, Host: b.Host})
	}
	return out
}

// errUsage marks command-line mistakes.
var errUsage = errors.New("usage: iisconfig -config FILE [-path \"Site/app\"] [-format json|text]")

func run(args []string, stdout, stderr io.Writer) int {
	if err := runErr(args, stdout, stderr); err != nil {
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		fmt.Fprintln(stderr, "iisconfig:", msg)
		return 2
	}
	return 0
}

func runErr(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("iisconfig", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	config := fs.String("config", "", "applicationHost.config to read")
	path := fs.String("path", "", `one configuration path, e.g. "Default Web Site/Altiris/NS/Agent" (default: every application and location path)`)
	format := fs.String("format", "json", "output format: json or text")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v; %w", err, errUsage)
	}
	if *config == "" || fs.NArg() > 0 {
		return errUsage
	}
	if *format != "json" && *format != "text" {
		return fmt.Errorf("unknown format %q; %w", *format, errUsage)
	}
	cfg, err := iisconfig.ParseFile(*config)
	if err != nil {
		return err
	}
	var list []*iisconfig.Settings
	if *path != "" {
		s, err := cfg.Effective(*path)
		if err != nil {
			return err
		}
		list = []*iisconfig.Settings{s}
	} else {
		list = cfg.Applications()
	}
	for _, w := range cfg.Warnings {
		fmt.Fprintf(stderr, "warning: %s: %s\n", cfg.Position(w.Locator), w.Message)
	}
	if *format == "text" {
		return writeText(stdout, list)
	}
	out := make([]pathJSON, 0, len(list))
	for _, s := range list {
		out = append(out, toJSON(s))
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
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
