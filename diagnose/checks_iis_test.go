package diagnose

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/spn"
)

// itmsConfig builds an ITMS Notification Server applicationHost.config. The
// server level has Windows Authentication off with Negotiate,NTLM (as the
// role writes it); locations is inserted after it. pools replaces the
// Altiris pool's processModel.
func itmsConfig(processModel, locations string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
      <add name="Altiris">` + processModel + `</add>
      <add name="Lonely"><processModel identityType="LocalService" /></add>
    </applicationPools>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool" />
        <application path="/Altiris/NS" applicationPool="Altiris" />
        <application path="/Altiris/NS/Agent" applicationPool="Altiris" />
        <application path="/Altiris/TaskManagement" applicationPool="Altiris" />
        <application path="/Altiris/ClientTaskServer" applicationPool="Altiris" />
        <application path="/Altiris/Console" applicationPool="Altiris" />
        <bindings><binding protocol="http" bindingInformation="*:80:" /><binding protocol="https" bindingInformation="*:443:ns01.corp.example" /></bindings>
      </site>
    </sites>
  </system.applicationHost>
  <system.webServer><security><authentication>
    <anonymousAuthentication enabled="true" userName="IUSR" />
    <windowsAuthentication enabled="false"><providers><add value="Negotiate" /><add value="NTLM" /></providers></windowsAuthentication>
  </authentication></security></system.webServer>
` + locations + `
</configuration>
`
}

// loc renders a <location> with the given authentication elements.
func loc(path, auth string) string {
	return `  <location path="` + path + `"><system.webServer><security><authentication>` + auth + `</authentication></security></system.webServer></location>
`
}

// goodLocations configures every ITMS path correctly.
const goodLocations = `  <location path="Default Web Site/Altiris"><system.webServer><security><authentication>
    <windowsAuthentication enabled="true" authPersistNonNTLM="true" />
    <anonymousAuthentication enabled="false" />
  </authentication></security></system.webServer></location>
`

const builtinPool = `<processModel identityType="ApplicationPoolIdentity" />`
const domainPool = `<processModel identityType="SpecificUser" userName="CORP\svc-altiris" password="x" />`

type iisCase struct {
	pool, locations string
	scenario        Scenario
	dir             spn.Directory
}

// runIIS runs one IIS check with the ITMS profile and returns its findings
// and result.
func runIIS(t *testing.T, id string, c iisCase) ([]Finding, CheckResult, *iisconfig.Config) {
	t.Helper()
	if c.pool == "" {
		c.pool = builtinPool
	}
	if c.locations == "" {
		c.locations = goodLocations
	}
	cfg, err := iisconfig.ParseWith(strings.NewReader(itmsConfig(c.pool, c.locations)), iisconfig.Options{Name: "applicationHost.config"})
	if err != nil {
		t.Fatal(err)
	}
	ev := &Evidence{Config: cfg, ConfigSource: "applicationHost.config", Scenario: c.scenario, Directory: c.dir,
		Host: Host{Computer: "NS01", FQDN: "ns01.corp.example", Domain: "CORP", Role: "notification-server"}}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{id}, Profile: ITMSProfile()})
	if err != nil {
		t.Fatal(err)
	}
	var res CheckResult
	for _, r := range rep.Results {
		if r.CheckID == id {
			res = r
		}
	}
	for _, f := range rep.Findings {
		if f.CheckID != id {
			t.Errorf("finding of %s in a run of %s", f.CheckID, id)
		}
		if f.Subject == "" || f.Message == "" || len(f.Evidence) == 0 {
			t.Errorf("%s: incomplete finding %+v", id, f)
		}
		for _, e := range f.Evidence {
			if e.Source == "" {
				t.Errorf("%s: evidence without source %+v", id, e)
			}
		}
		for _, r := range f.Remediation {
			for _, cmd := range r.Commands {
				if strings.Contains(cmd, "\n") {
					t.Errorf("%s: multi-line command %q", id, cmd)
				}
			}
		}
	}
	return rep.Findings, res, cfg
}

// only returns the findings on subject.
func only(fs []Finding, subject string) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Subject == subject {
			out = append(out, f)
		}
	}
	return out
}

func subjects(fs []Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, fmt.Sprintf("%s[%s]", f.Subject, f.Severity))
	}
	return strings.Join(s, " ")
}

func wantQuiet(t *testing.T, id string, c iisCase) {
	t.Helper()
	fs, res, _ := runIIS(t, id, c)
	for _, f := range fs {
		if f.Severity > Info {
			t.Errorf("%s fired: %s: %s", id, f.Subject, f.Message)
		}
	}
	if res.Status != StatusPassed {
		t.Errorf("%s: status %s (%s)", id, res.Status, res.Reason)
	}
}

func hasCommand(f Finding, substr string) bool {
	for _, r := range f.Remediation {
		for _, c := range r.Commands {
			if strings.Contains(c, substr) {
				return true
			}
		}
	}
	return false
}

func TestIIS001WindowsAuthDisabled(t *testing.T) {
	wantQuiet(t, "IIS001", iisCase{})
	fs, res, cfg := runIIS(t, "IIS001", iisCase{locations: goodLocations + loc("Default Web Site/Altiris/NS/Agent", `<windowsAuthentication enabled="false" />`)})
	if len(fs) != 1 || fs[0].Subject != "Default Web Site/Altiris/NS/Agent" || fs[0].Severity != Error || res.Status != StatusFailed {
		t.Fatalf("findings %s, result %+v", subjects(fs), res)
	}
	f := fs[0]
	line := cfg.Line(mustSettings(t, cfg, "Default Web Site/Altiris/NS/Agent").Origin("windowsAuthentication", "enabled").Locator)
	if want := fmt.Sprintf(`applicationHost.config:%d (location "Default Web Site/Altiris/NS/Agent")`, line); f.Evidence[0].Locator != want || line == 0 {
		t.Errorf("locator %q, want %q", f.Evidence[0].Locator, want)
	}
	if !hasCommand(f, `appcmd.exe set config "Default Web Site/Altiris/NS/Agent" /commit:apphost -section:system.webServer/security/authentication/windowsAuthentication /enabled:"True"`) ||
		!hasCommand(f, `Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site/Altiris/NS/Agent' -Filter 'system.webServer/security/authentication/windowsAuthentication' -Name 'enabled' -Value $true`) {
		t.Errorf("remediation %+v", f.Remediation)
	}
	// No location: every profile path that exists (Agent, ClientTaskServer,
	// Console; CTAgent is not configured) is disabled by the server level.
	fs, _, _ = runIIS(t, "IIS001", iisCase{locations: " "})
	if len(fs) != 3 || !strings.HasSuffix(fs[0].Evidence[0].Locator, "(server level)") {
		t.Errorf("schema default case: %s %+v", subjects(fs), fs)
	}
}

func mustSettings(t *testing.T, cfg *iisconfig.Config, path string) *iisconfig.Settings {
	t.Helper()
	s, err := cfg.Effective(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestIIS002AnonymousBesideWindows(t *testing.T) {
	wantQuiet(t, "IIS002", iisCase{})
	fs, _, _ := runIIS(t, "IIS002", iisCase{locations: goodLocations + loc("Default Web Site/Altiris/ClientTaskServer", `<anonymousAuthentication enabled="true" />`)})
	if len(fs) != 1 || fs[0].Subject != "Default Web Site/Altiris/ClientTaskServer" || fs[0].Severity != Warning ||
		!hasCommand(fs[0], `/enabled:"False"`) || !hasCommand(fs[0], `-Filter 'system.webServer/security/authentication/anonymousAuthentication' -Name 'enabled' -Value $false`) {
		t.Fatalf("findings %s %+v", subjects(fs), fs)
	}
}

func TestIIS003NTLMBeforeNegotiate(t *testing.T) {
	wantQuiet(t, "IIS003", iisCase{})
	ntlmFirst := goodLocations + loc("Default Web Site/Altiris/TaskManagement/CTAgent", `<windowsAuthentication><providers><clear /><add value="NTLM" /><add value="Negotiate" /></providers></windowsAuthentication>`)
	fs, _, _ := runIIS(t, "IIS003", iisCase{locations: ntlmFirst})
	if len(fs) != 1 || fs[0].Subject != "Default Web Site/Altiris/TaskManagement/CTAgent" || fs[0].Severity != Warning {
		t.Fatalf("findings %s", subjects(fs))
	}
	f := fs[0]
	if !strings.Contains(f.Message, "security") || !strings.Contains(f.Message, "relay") {
		t.Errorf("message must state the security cost: %s", f.Message)
	}
	want := []string{
		`%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/TaskManagement/CTAgent" /commit:apphost -section:system.webServer/security/authentication/windowsAuthentication /-"providers.[value='NTLM']"`,
		`%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/TaskManagement/CTAgent" /commit:apphost -section:system.webServer/security/authentication/windowsAuthentication /+"providers.[value='NTLM']"`,
		`Remove-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site/Altiris/TaskManagement/CTAgent' -Filter 'system.webServer/security/authentication/windowsAuthentication/providers' -Name '.' -AtElement @{value='NTLM'}`,
		`Add-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site/Altiris/TaskManagement/CTAgent' -Filter 'system.webServer/security/authentication/windowsAuthentication/providers' -Name '.' -Value @{value='NTLM'}`,
	}
	if got := f.Remediation[0].Commands; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("commands:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.Remediation[0].Tradeoff == "" || !strings.Contains(f.Remediation[0].Tradeoff, "261039") {
		t.Errorf("Task Server path should mention KB 261039: %+v", f.Remediation[0])
	}
	if !strings.Contains(f.Evidence[0].Locator, `(location "Default Web Site/Altiris/TaskManagement/CTAgent")`) {
		t.Errorf("locator %q", f.Evidence[0].Locator)
	}
	// NTLM disabled in the domain: an error.
	fs, _, _ = runIIS(t, "IIS003", iisCase{locations: ntlmFirst, scenario: Scenario{NTLMDisabled: true}})
	if len(fs) != 1 || fs[0].Severity != Error {
		t.Errorf("NTLM disabled: %s", subjects(fs))
	}
}

func TestIIS004NoNegotiate(t *testing.T) {
	wantQuiet(t, "IIS004", iisCase{})
	fs, _, _ := runIIS(t, "IIS004", iisCase{locations: goodLocations + loc("Default Web Site/Altiris/NS/Agent", `<windowsAuthentication><providers><clear /><add value="NTLM" /></providers></windowsAuthentication>`)})
	if len(fs) != 1 || fs[0].Subject != "Default Web Site/Altiris/NS/Agent" || fs[0].Severity != Warning {
		t.Fatalf("findings %s", subjects(fs))
	}
	cmds := strings.Join(fs[0].Remediation[0].Commands, "\n")
	if !strings.Contains(cmds, `/-"providers.[value='NTLM']"`) || !strings.Contains(cmds, `/+"providers.[value='Negotiate']"`) ||
		strings.Index(cmds, `/+"providers.[value='Negotiate']"`) > strings.Index(cmds, `/+"providers.[value='NTLM']"`) {
		t.Errorf("commands %s", cmds)
	}
	// No providers at all (role not installed): an error.
	fs, _, _ = runIIS(t, "IIS004", iisCase{locations: goodLocations + loc("Default Web Site/Altiris/Console", `<windowsAuthentication><providers><clear /></providers></windowsAuthentication>`)})
	if len(only(fs, "Default Web Site/Altiris/Console")) != 1 || fs[0].Severity != Error {
		t.Errorf("empty providers: %s", subjects(fs))
	}
}

func TestIIS005NoNTLMFallback(t *testing.T) {
	wantQuiet(t, "IIS005", iisCase{})
	kerbOnly := goodLocations + loc("Default Web Site/Altiris/NS/Agent", `<windowsAuthentication><providers><clear /><add value="Negotiate:Kerberos" /></providers></windowsAuthentication>`)
	fs, _, _ := runIIS(t, "IIS005", iisCase{locations: kerbOnly})
	if len(fs) != 1 || fs[0].Severity != Warning || len(fs[0].Remediation) != 2 || fs[0].Remediation[1].Tradeoff == "" {
		t.Fatalf("findings %s %+v", subjects(fs), fs)
	}
	if fs, _, _ := runIIS(t, "IIS005", iisCase{locations: kerbOnly, scenario: Scenario{NonDomainClients: true}}); len(fs) != 1 || fs[0].Severity != Error {
		t.Errorf("non-domain clients: %s", subjects(fs))
	}
	// NTLM disabled: adding NTLM is not offered.
	if fs, _, _ := runIIS(t, "IIS005", iisCase{locations: kerbOnly, scenario: Scenario{NTLMDisabled: true}}); len(fs) != 1 || len(fs[0].Remediation) != 1 {
		t.Errorf("NTLM disabled: %+v", fs)
	}
	// Plain Negotiate without NTLM: informational.
	fs, res, _ := runIIS(t, "IIS005", iisCase{locations: goodLocations + loc("Default Web Site/Altiris/NS/Agent", `<windowsAuthentication><providers><remove value="NTLM" /></providers></windowsAuthentication>`)})
	if len(fs) != 1 || fs[0].Severity != Info || res.Status != StatusPassed {
		t.Errorf("Negotiate only: %s %+v", subjects(fs), res)
	}
}

func TestIIS006AuthPersistNonNTLM(t *testing.T) {
	wantQuiet(t, "IIS006", iisCase{})
	fs, _, _ := runIIS(t, "IIS006", iisCase{locations: loc("Default Web Site/Altiris", `<windowsAuthentication enabled="true" /><anonymousAuthentication enabled="false" />`) +
		loc("Default Web Site/Altiris/NS/Agent", `<windowsAuthentication authPersistNonNTLM="true" />`)})
	// Agent is fixed; CTAgent, ClientTaskServer and PackageShare-like paths that exist are not.
	if len(only(fs, "Default Web Site/Altiris/NS/Agent")) != 0 || len(only(fs, "Default Web Site/Altiris/ClientTaskServer")) != 1 || len(only(fs, "Default Web Site/Altiris/Console")) != 0 {
		t.Fatalf("findings %s", subjects(fs))
	}
	f := only(fs, "Default Web Site/Altiris/ClientTaskServer")[0]
	if f.Severity != Error || !strings.Contains(f.Message, "request level authentication is not supported") || f.Evidence[0].Locator != "schema default" {
		t.Errorf("finding %+v", f)
	}
	if !hasCommand(f, `%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/ClientTaskServer" /commit:apphost -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True"`) ||
		!hasCommand(f, `Set-WebConfigurationProperty -PSPath 'MACHINE/WEBROOT/APPHOST' -Location 'Default Web Site/Altiris/ClientTaskServer' -Filter 'system.webServer/security/authentication/windowsAuthentication' -Name 'authPersistNonNTLM' -Value $true`) {
		t.Errorf("remediation %+v", f.Remediation)
	}
	if len(f.Remediation) != 2 || !strings.Contains(f.Remediation[1].Summary, "NTLM before Negotiate") || !strings.Contains(f.Remediation[1].Tradeoff, "Not a fix") {
		t.Errorf("NTLM-first workaround must come second, with its tradeoff: %+v", f.Remediation)
	}
	// Where NTLM is disabled the workaround is not offered.
	fs, _, _ = runIIS(t, "IIS006", iisCase{scenario: Scenario{NTLMDisabled: true}, locations: loc("Default Web Site/Altiris", `<windowsAuthentication enabled="true" /><anonymousAuthentication enabled="false" />`)})
	for _, f := range fs {
		if len(f.Remediation) != 1 {
			t.Errorf("NTLM disabled: workaround offered on %s", f.Subject)
		}
	}
}

func TestIIS007AppPoolCredentials(t *testing.T) {
	wantQuiet(t, "IIS007", iisCase{})
	poolAccount := spn.Account{Name: `CORP\svc-altiris`, SAMAccountName: "svc-altiris", Kind: spn.User, SPNs: []string{"HTTP/ns01.corp.example"}}
	bare := spn.Account{Name: `CORP\svc-altiris`, SAMAccountName: "svc-altiris", Kind: spn.User}
	// Kernel mode, no useAppPoolCredentials, the pool account holds the HTTP SPN: KRB_AP_ERR_MODIFIED.
	fs, _, _ := runIIS(t, "IIS007", iisCase{pool: domainPool, dir: spn.NewMemoryDirectory([]spn.Account{poolAccount}, true)})
	f := only(fs, "Default Web Site/Altiris/Console")
	if len(f) != 1 || f[0].Severity != Error || !strings.Contains(f[0].Message, "KRB_AP_ERR_MODIFIED") || !hasCommand(f[0], `/useAppPoolCredentials:"True"`) {
		t.Fatalf("findings %s %+v", subjects(fs), f)
	}
	// Same without directory evidence: informational only.
	fs, res, _ := runIIS(t, "IIS007", iisCase{pool: domainPool})
	if len(fs) == 0 || fs[0].Severity != Info || res.Status != StatusPassed {
		t.Errorf("no directory: %s %+v", subjects(fs), res)
	}
	// useAppPoolCredentials with a pool account that holds no HTTP SPN.
	withCreds := loc("Default Web Site/Altiris", `<windowsAuthentication enabled="true" authPersistNonNTLM="true" useAppPoolCredentials="true" /><anonymousAuthentication enabled="false" />`)
	fs, _, _ = runIIS(t, "IIS007", iisCase{pool: domainPool, locations: withCreds, dir: spn.NewMemoryDirectory([]spn.Account{bare}, true)})
	if len(fs) == 0 || fs[0].Severity != Warning || !strings.Contains(fs[0].Message, "no HTTP SPN") {
		t.Errorf("creds without SPN: %s", subjects(fs))
	}
	// Consistent: useAppPoolCredentials and the SPN on the pool account.
	wantQuiet(t, "IIS007", iisCase{pool: domainPool, locations: withCreds, dir: spn.NewMemoryDirectory([]spn.Account{poolAccount}, true)})
	// useAppPoolCredentials with a built-in identity: no effect, informational.
	fs, _, _ = runIIS(t, "IIS007", iisCase{locations: withCreds})
	if len(fs) == 0 || fs[0].Severity != Info || !strings.Contains(fs[0].Message, "no effect") {
		t.Errorf("built-in identity: %s", subjects(fs))
	}
}

func TestIIS008UnusableIdentity(t *testing.T) {
	wantQuiet(t, "IIS008", iisCase{pool: domainPool})
	fs, _, _ := runIIS(t, "IIS008", iisCase{pool: `<processModel identityType="LocalService" />`})
	// Five Windows-auth paths use the pool: NS, Agent, TaskManagement, ClientTaskServer, Console.
	if len(fs) != 5 || fs[0].Severity != Error || !strings.Contains(fs[0].Message, "LocalService") || !hasCommand(fs[0], `set apppool "Altiris" /processModel.identityType:"ApplicationPoolIdentity"`) {
		t.Fatalf("findings %s %+v", subjects(fs), fs)
	}
	// A SpecificUser pool without a user name (applicationPoolDefaults style).
	fs, _, _ = runIIS(t, "IIS008", iisCase{pool: `<processModel identityType="SpecificUser" userName="" />`})
	if len(fs) != 5 || !strings.Contains(fs[0].Message, "no userName") {
		t.Errorf("empty user: %s", subjects(fs))
	}
	// An unknown pool.
	cfgText := strings.Replace(itmsConfig(builtinPool, goodLocations), `<application path="/Altiris/Console" applicationPool="Altiris" />`, `<application path="/Altiris/Console" applicationPool="Gone" />`, 1)
	cfg, err := iisconfig.Parse(strings.NewReader(cfgText))
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Diagnose(context.Background(), &Evidence{Config: cfg}, &Options{Checks: []string{"IIS008"}, Profile: ITMSProfile()})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Subject != "Default Web Site/Altiris/Console" || !strings.Contains(rep.Findings[0].Message, `"Gone"`) ||
		!strings.Contains(rep.Findings[0].Remediation[0].Commands[0], `set app "Default Web Site/Altiris/Console" /applicationPool:`) {
		t.Errorf("unknown pool: %+v", rep.Findings)
	}
}

func TestIIS009ExtendedProtection(t *testing.T) {
	epRequire := loc("Default Web Site/Altiris", `<windowsAuthentication enabled="true" authPersistNonNTLM="true"><extendedProtection tokenChecking="Require" /></windowsAuthentication><anonymousAuthentication enabled="false" />`)
	// Without TLS inspection: quiet even with Require.
	wantQuiet(t, "IIS009", iisCase{locations: epRequire, scenario: Scenario{NonDomainClients: true}})
	wantQuiet(t, "IIS009", iisCase{scenario: Scenario{TLSInspection: true}})
	fs, _, _ := runIIS(t, "IIS009", iisCase{locations: epRequire, scenario: Scenario{TLSInspection: true}})
	// Every Windows-auth path below Default Web Site/Altiris, and the location itself.
	if len(fs) != 6 || fs[0].Severity != Error || !hasCommand(fs[0], `/extendedProtection.tokenChecking:"None"`) || !hasCommand(fs[0], `-Filter 'system.webServer/security/authentication/windowsAuthentication/extendedProtection' -Name 'tokenChecking' -Value 'None'`) {
		t.Fatalf("findings %s %+v", subjects(fs), fs)
	}
	// Without scenario evidence the check is skipped, not passed.
	_, res, _ := runIIS(t, "IIS009", iisCase{locations: epRequire})
	if res.Status != StatusSkipped {
		t.Errorf("status %+v", res)
	}
	// Allow: a warning.
	fs, _, _ = runIIS(t, "IIS009", iisCase{locations: strings.Replace(epRequire, "Require", "Allow", 1), scenario: Scenario{TLSInspection: true}})
	if len(fs) != 6 || fs[0].Severity != Warning {
		t.Errorf("Allow: %s", subjects(fs))
	}
}

func TestIIS010WeakOrPerRequest(t *testing.T) {
	wantQuiet(t, "IIS010", iisCase{})
	fs, _, _ := runIIS(t, "IIS010", iisCase{locations: goodLocations + loc("Default Web Site/Altiris/Console", `<basicAuthentication enabled="true" /><digestAuthentication enabled="true" />`) +
		loc("Default Web Site/Altiris/NS/Agent", `<windowsAuthentication authPersistSingleRequest="true" />`)})
	console, agent := only(fs, "Default Web Site/Altiris/Console"), only(fs, "Default Web Site/Altiris/NS/Agent")
	if len(console) != 2 || console[0].Severity != Warning || len(agent) != 1 || agent[0].Severity != Error || !hasCommand(agent[0], `/authPersistSingleRequest:"False"`) {
		t.Fatalf("findings %s", subjects(fs))
	}
}

func TestProviderCommands(t *testing.T) {
	for _, tc := range []struct {
		cur, want []string
		n         int // commands (appcmd + PowerShell)
	}{
		{[]string{"NTLM", "Negotiate"}, []string{"Negotiate", "NTLM"}, 4},
		{[]string{"NTLM"}, []string{"Negotiate", "NTLM"}, 6},
		{[]string{"Negotiate"}, []string{"Negotiate", "NTLM"}, 2},
		{[]string{"Negotiate", "NTLM"}, []string{"Negotiate", "NTLM"}, 0},
		{nil, []string{"Negotiate", "NTLM"}, 4},
		{[]string{"Negotiate:Kerberos", "NTLM", "Negotiate"}, []string{"Negotiate:Kerberos", "Negotiate", "NTLM"}, 4},
	} {
		if got := providerCommands("S/p", tc.cur, tc.want); len(got) != tc.n {
			t.Errorf("%v -> %v: %d commands %q", tc.cur, tc.want, len(got), got)
		}
	}
	if got := psSet("It's/x", "windowsAuthentication", "enabled", "$true"); !strings.Contains(got, "-Location 'It''s/x'") {
		t.Errorf("quoting: %s", got)
	}
}

// countingDir counts Account lookups.
type countingDir struct {
	*spn.MemoryDirectory
	accounts int
}

func (d *countingDir) Account(ctx context.Context, name string) (spn.Answer, error) {
	d.accounts++
	return d.MemoryDirectory.Account(ctx, name)
}

func TestIIS007LooksUpPoolAccountOnce(t *testing.T) {
	poolAccount := spn.Account{Name: `CORP\svc-altiris`, SAMAccountName: "svc-altiris", Kind: spn.User, SPNs: []string{"HTTP/ns01.corp.example"}}
	dir := &countingDir{MemoryDirectory: spn.NewMemoryDirectory([]spn.Account{poolAccount}, true)}
	fs, _, _ := runIIS(t, "IIS007", iisCase{pool: domainPool, dir: dir})
	if len(fs) < 2 {
		t.Fatalf("want findings on several paths of the pool, got %s", subjects(fs))
	}
	// Once per run: the checks' run, and the simulation of the plan, whose
	// trial runs share one cache of directory answers.
	if dir.accounts > 2 {
		t.Errorf("%d Account lookups for one pool account, want at most 2 (one per run)", dir.accounts)
	}
}
