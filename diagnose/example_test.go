package diagnose_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing/fstest"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/iisconfig"
)

const exampleConfig = `<configuration>
  <system.applicationHost>
    <applicationPools><add name="DefaultAppPool" /></applicationPools>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="C:\inetpub\wwwroot" />
        </application>
        <application path="/Altiris/ClientTaskServer" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="C:\cts" />
        </application>
      </site>
    </sites>
  </system.applicationHost>
  <location path="Default Web Site/Altiris/ClientTaskServer">
    <system.webServer><security><authentication>
      <windowsAuthentication enabled="true" />
    </authentication></security></system.webServer>
  </location>
</configuration>`

// A custom check runs beside the catalogue. This one reads the profile's
// scope: the ITMS Task Server path with its effective settings.
func Example() {
	cfg, err := iisconfig.Parse(strings.NewReader(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := &diagnose.Evidence{Config: cfg, ConfigSource: "applicationHost.config",
		Host: diagnose.Host{Computer: "TS01", Role: "task-server"}}

	persist := &diagnose.Check{
		ID:       "CUS001",
		Name:     "TaskServerPersist",
		Doc:      "Task Server paths authenticate once per connection\n\nOur agents need authPersistNonNTLM=true.",
		Severity: diagnose.Error,
		Requires: []diagnose.EvidenceKind{diagnose.EvConfig},
		Run: func(ctx context.Context, p *diagnose.Pass) error {
			for _, t := range p.Scope() {
				if t.Role() == diagnose.RoleTaskServer && !t.Settings.WindowsAuth.AuthPersistNonNTLM {
					p.Reportf(t.Path, "authPersistNonNTLM is false")
				}
			}
			return nil
		},
	}
	rep, err := diagnose.Diagnose(context.Background(), ev, &diagnose.Options{
		Checks: []string{"CUS*"}, // only the custom check, for a short example
		Extra:  []*diagnose.Check{persist},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range rep.Findings {
		fmt.Println(f.CheckID, f.Severity, f.Subject+":", f.Message)
	}
	for _, v := range rep.Verdict {
		fmt.Printf("verdict: %s: %s\n", v.Scenario, v.Action)
	}
	r, _ := rep.Result("SPN003")
	fmt.Println("SPN003", r.Status, r.Reason)
	// Output:
	// CUS001 error Default Web Site/Altiris/ClientTaskServer: authPersistNonNTLM is false
	// verdict: Agents cannot register with Task Server: Investigate
	// SPN003 skipped not selected
}

// LoadBundleFS reads the bundle layout from any file system; files it
// cannot use become warnings, never errors.
func ExampleLoadBundleFS() {
	bundle := fstest.MapFS{
		"host.json":       {Data: []byte(`{"computer":"NS01","fqdn":"ns01.example.com","role":"notification-server","ntlm_disabled":true}`)},
		"klist/notes.txt": {Data: []byte("forgot to run klist\n")},
		"screenshots/a":   {Data: []byte{0x89, 'P', 'N', 'G'}},
	}
	ev, err := diagnose.LoadBundleFS(context.Background(), bundle)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Host.Names(), ev.Scenario.NTLMDisabled)
	for _, w := range ev.Warnings {
		fmt.Println("warning:", w.Source, "-", strings.SplitN(w.Message, ":", 2)[0])
	}
	// Output:
	// [NS01 ns01.example.com] true
	// warning: klist/notes.txt - not recognised as klist output
	// warning: screenshots - directory is not part of the evidence bundle layout (host.json, applicationHost.config, setspn/, klist/, ldif/, logs/iis|agent|smp/, http/); ignored
}

// Options select, disable (with a reason) and re-grade checks.
func ExampleOptions() {
	_, err := diagnose.Diagnose(context.Background(), nil, &diagnose.Options{
		Disable: map[string]string{"LOG*": ""},
	})
	fmt.Println(err)
	// Output:
	// diagnose: options: Disable "LOG*": a reason is required
}

// The ITMS profile knows which paths carry Task Server traffic, as
// configuration paths or as URLs from logs.
func ExampleProfile_Match() {
	itms := diagnose.ITMSProfile()
	for _, s := range []string{
		"Default Web Site/Altiris/TaskManagement/CTAgent",
		"https://ns01.example.com/Altiris/NS/Agent/GetClientPolicies.aspx",
		"/Altiris/Console/",
	} {
		pp, _ := itms.Match(s)
		fmt.Println(pp.Role, pp.AuthPersistNonNTLM, pp.KB)
	}
	// Output:
	// task-server true [173598 261039]
	// agent true [173598]
	// console false [155783]
}

// WriteText prints the verdict first, then the findings grouped by verdict
// row and subject, with the commands ready to paste.
func ExampleReport_WriteText() {
	rep := &diagnose.Report{
		Profile: "itms",
		Verdict: []diagnose.VerdictRow{{Scenario: diagnose.ScenarioTaskServer, Action: "Investigate", Findings: []string{"IIS006"}}},
		Findings: []diagnose.Finding{{
			CheckID: "IIS006", Severity: diagnose.Error, Subject: "Default Web Site/Altiris/ClientTaskServer",
			Message:  "authPersistNonNTLM is false: agents report request level authentication is not supported",
			Evidence: []diagnose.EvidenceRef{{Source: "applicationHost.config", Locator: "42"}},
			Remediation: []diagnose.Remedy{{Summary: "Authenticate once per connection", Commands: []string{
				`%windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/ClientTaskServer" -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True" /commit:apphost`}}},
		}},
		Results: []diagnose.CheckResult{{CheckID: "IIS006", Status: diagnose.StatusFailed, Reason: "1 finding"}},
	}
	_ = rep.WriteText(os.Stdout, diagnose.TextOptions{})
	// Output:
	// iiskerb report (profile itms): 1 error, 0 warnings, 0 info
	//
	// VERDICT
	//   ✗ Agents cannot register with Task Server: investigate (not expected)
	//     findings: IIS006
	//
	// FINDINGS: Agents cannot register with Task Server
	//   Default Web Site/Altiris/ClientTaskServer
	//     [error] IIS006 authPersistNonNTLM is false: agents report request level authentication is not supported
	//       evidence: applicationHost.config:42
	//       fix: Authenticate once per connection
	//           %windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/ClientTaskServer" -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True" /commit:apphost
	//
	// CHECKS 0 passed, 1 failed, 0 skipped, 0 error
	//   IIS006 failed  1 finding
}
