// Command embed is the smallest program that embeds iiskerb's diagnose
// engine: evidence built in code (a configuration, the server's names and an
// in-memory directory instead of LDAP), one custom check beside the
// catalogue, and the report as text.
//
//	go run ./examples/embed
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/iisconfig"
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
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(2)
	}
}

func run(w io.Writer) error {
	cfg, err := iisconfig.Parse(strings.NewReader(config))
	if err != nil {
		return err
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
	rep, err := diagnose.Diagnose(context.Background(), ev, &diagnose.Options{
		Profile: diagnose.GenericProfile(),
		Extra:   []*diagnose.Check{httpsOnly},
	})
	if err != nil {
		return err
	}
	return rep.WriteText(w, diagnose.TextOptions{})
}
