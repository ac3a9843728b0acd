// Command embed is the smallest program that embeds iiskerb's diagnose
// engine: evidence built in code (a configuration, the server's names and an
// in-memory directory instead of LDAP), one custom check beside the
// catalogue, and the report as text.
//
//	go run ./examples/embed
//
// The embedding itself is diagnoseEmbedded; main and run only add what
// every example shares (internal/cli: -h, -version, colour on a terminal
// unless NO_COLOR is set, and the exit statuses 0 healthy, 1 problems, 2
// could not run, 3 inconclusive).
package main

import (
	"context"
	"io"
	"os"
	"strings"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/spn"
)

const config = `<configuration>
  <system.applicationHost>
    <applicationPools><add name="IntranetPool" /></applicationPools>
    <sites>
      <site name="Intranet" id="2">
        <application path="/" applicationPool="IntranetPool">
          <virtualDirectory path="/" physicalPath="D:\intranet" />
        </application>
        <bindings>
          <binding protocol="https" bindingInformation="*:443:intranet.corp.example.com" />
          <binding protocol="http" bindingInformation="*:80:intranet.corp.example.com" />
        </bindings>
      </site>
    </sites>
  </system.applicationHost>
  <location path="Intranet">
    <system.webServer><security><authentication>
      <anonymousAuthentication enabled="false" />
      <windowsAuthentication enabled="true" authPersistNonNTLM="true">
        <providers><clear /><add value="Negotiate" /><add value="NTLM" /></providers>
      </windowsAuthentication>
    </authentication></security></system.webServer>
  </location>
</configuration>`

// httpsOnly is a house rule: Windows Authentication only on HTTPS sites.
var httpsOnly = &diagnose.Check{
	ID:       "ORG001",
	Name:     "WindowsAuthOverHTTPSOnly",
	Doc:      "Windows Authentication on a site with a plain HTTP binding\n\nOur policy: integrated authentication only over TLS.",
	Severity: diagnose.Warning,
	Requires: []diagnose.EvidenceKind{diagnose.EvConfig},
	Run: func(ctx context.Context, p *diagnose.Pass) error {
		for _, t := range p.Scope() {
			for _, b := range t.Settings.Bindings {
				if b.Protocol == "http" {
					p.Reportf(t.Path, "Windows Authentication is reachable over plain HTTP (%s)", b.Raw)
				}
			}
		}
		return nil
	},
}

func main() {
	os.Exit(run(os.Args[1:], cli.Writer(os.Stdout), os.Stderr, cli.Color(os.Stdout, os.Getenv)))
}

// run is main without the process: it returns the exit status. color says
// stdout is a terminal that may show colour.
func run(args []string, stdout, stderr io.Writer, color bool) int {
	cmd := cli.New("embed", "embed is the smallest program that embeds iiskerb's diagnose engine: evidence built in code, a custom check beside the catalogue, the report as text.", stdout, stderr)
	cmd.Usage = []string{"embed"}
	cmd.Groups = []cli.Group{
		{Title: cli.GroupEvidence, None: "none: the evidence is built into the program"},
		{Title: cli.GroupLive, None: "none: an in-memory directory stands in for LDAP"},
		{Title: cli.GroupCredentials, None: "none"},
		{Title: cli.GroupOutput, Note: "the report as text on stdout (coloured on a terminal unless NO_COLOR is set)"},
	}
	cmd.Exit = []cli.Exit{
		{Code: cli.ExitOK, Detail: "healthy"},
		{Code: cli.ExitProblems, Detail: "an error finding or a verdict row that needs investigation"},
		{Code: cli.ExitUsage, Detail: "bad flags or arguments"},
		{Code: cli.ExitInconclusive, Detail: "no problem found, but nothing could be verified"},
	}
	rest, code, done := cmd.Parse(args)
	if done {
		return code
	}
	if len(rest) > 0 {
		return cmd.Failf("unexpected argument %q (embed takes no arguments)", rest[0])
	}
	rep, err := diagnoseEmbedded(context.Background())
	if err == nil {
		err = rep.WriteText(stdout, diagnose.TextOptions{Color: color})
	}
	if err != nil {
		return cmd.Fail(err)
	}
	switch rep.Summary.Status {
	case diagnose.StatusProblems:
		return cli.ExitProblems
	case diagnose.StatusInconclusive:
		return cli.ExitInconclusive
	}
	return cli.ExitOK
}

// diagnoseEmbedded is the embedding: evidence built in code, the catalogue
// plus one custom check, the generic profile.
func diagnoseEmbedded(ctx context.Context) (*diagnose.Report, error) {
	cfg, err := iisconfig.Parse(strings.NewReader(config))
	if err != nil {
		return nil, err
	}
	dir := spn.NewMemoryDirectory([]spn.Account{
		{Name: `CORP\WEB01$`, SAMAccountName: "WEB01$", Kind: spn.Computer,
			SPNs:     []string{"HOST/WEB01", "HOST/web01.corp.example.com", "HTTP/intranet.corp.example.com"},
			EncTypes: spn.EncAES128 | spn.EncAES256, EncTypesSet: true},
	}, true)
	ev := &diagnose.Evidence{
		Config:       cfg,
		ConfigSource: "embedded config",
		Host:         diagnose.Host{Computer: "WEB01", FQDN: "web01.corp.example.com", Domain: "CORP", Realm: "CORP.EXAMPLE.COM", Aliases: []string{"intranet.corp.example.com"}},
		Directory:    dir,
	}
	return diagnose.Diagnose(ctx, ev, &diagnose.Options{
		Profile: diagnose.GenericProfile(),
		Extra:   []*diagnose.Check{httpsOnly},
	})
}
