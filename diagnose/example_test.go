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
	fmt.Println("status:", rep.Summary.Status)
	for _, rc := range rep.RootCauses {
		fmt.Println(rc.ID+":", rc.Title, rc.Findings)
	}
	r, _ := rep.Result("SPN003")
	fmt.Println("SPN003", r.Status, r.Reason)
	// Output:
	// CUS001 error Default Web Site/Altiris/ClientTaskServer: authPersistNonNTLM is false
	// status: problems
	// RC1: Task Server paths authenticate once per connection: Default Web Site/Altiris/ClientTaskServer [CUS001-1]
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
	// warning: screenshots - directory is not part of the evidence bundle layout (host.json, applicationHost.config, webconfig/, setspn/, klist/, ldif/, logs/iis|agent|smp/, http/, events/, keys/); ignored
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

// WriteText states the answer first (status and one line per root cause),
// then the verdict, the root causes with their choices, the ordered plan
// with its commands and what the simulated plan leaves. Reports from
// Diagnose carry all of it; a report built by hand shows its findings.
func ExampleReport_WriteText() {
	cfg, err := iisconfig.Parse(strings.NewReader(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	ev := &diagnose.Evidence{Config: cfg, ConfigSource: "applicationHost.config",
		Host: diagnose.Host{Computer: "TS01", Role: "task-server"}}
	rep, err := diagnose.Diagnose(context.Background(), ev, &diagnose.Options{Checks: []string{"IIS006"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	_ = rep.WriteText(os.Stdout, diagnose.TextOptions{})
	// Output:
	// iiskerb (itms): Problems: 1 root cause (1 error finding); the 2-step plan below leaves 0 errors (simulated)
	//   RC1 [error] authPersistNonNTLM is False on Default Web Site/Altiris/ClientTaskServer: Kerberos clients re-authentic...
	//   evidence: config, host (-v names the files)
	//
	// ROOT CAUSES
	//   RC1 authPersistNonNTLM is False on Default Web Site/Altiris/ClientTaskServer: Kerberos clients re-authenticate on
	//     every request (agents: "request level authentication is not supported"); findings IIS006-1
	//     recommended: Set authPersistNonNTLM to True on Default Web Site/Altiris/ClientTaskServer (plan S1)
	//     choice: Workaround only: list NTLM before Negotiate on Default Web Site/Altiris/ClientTaskServer
	//       tradeoff: Not a fix: agents then always use NTLM and never Kerberos - no mutual authentication, NTLM relay
	//         exposure, user names visible on the wire - and it breaks where NTLM is disabled. Prefer authPersistNonNTLM=True.
	//
	// PLAN (run in order)
	//   S1 iis-server (cmd): set windowsAuthentication authPersistNonNTLM=True at Default Web Site/Altiris/ClientTaskServer
	//     [resolves RC1]
	//     %windir%\system32\inetsrv\appcmd.exe set config "Default Web Site/Altiris/ClientTaskServer" /commit:apphost ^
	//         -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True"
	//     tradeoff: Kerberos authentication is then kept for the whole connection; only a proxy that shares one upstream
	//       connection among several users would need per-request authentication.
	//   S2 client (cmd): Re-test from a domain client: each SPN must give a ticket (klist get), then repeat the request that
	//     failed
	//     klist get HTTP/TS01
	// AFTER THE PLAN (simulated): 0 errors, 0 warnings left
	//   not simulated: DNS: names are taken as the evidence gives them
	//
	// CHECKS 0 passed, 1 failed, 0 not verified, 32 skipped, 0 error
	//   (32 checks not selected)
	//
	// NOTES
	//   profile itms: package path Default Web Site/Altiris/PS is not configured on this server (hosted by: task-server,
	//     package-server); not checked
}

// The built-in sample bundle lets a program try the API without evidence
// of its own.
func ExampleSampleBundle() {
	ev, err := diagnose.LoadBundleFS(context.Background(), diagnose.SampleBundle())
	if err != nil {
		fmt.Println(err)
		return
	}
	rep, err := diagnose.Diagnose(context.Background(), ev, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.Summary.Status, len(rep.RootCauses), "root causes")
	for _, st := range rep.Plan {
		fmt.Println(st.ID, st.Where, st.Shell)
	}
	// Output:
	// problems 3 root causes
	// S1 active-directory cmd
	// S2 active-directory powershell
	// S3 iis-server cmd
	// S4 iis-server cmd
	// S5 client cmd
	// S6 client cmd
}
