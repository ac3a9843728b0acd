package diagnose

import (
	"context"
	"io"
	"strings"
	"testing"
)

func memLog(name, text string) LogFile {
	return LogFile{Name: name, Open: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(text)), nil }}
}

func runLogCheck(t *testing.T, id string, ev *Evidence) *Report {
	t.Helper()
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

const agentEvent = `<event date='11/24/2026 09:01:02.1230000 -06:00' severity='1' hostName='PC0042' source='AeXNetworkTransport' module='AeXNetComms.dll' process='AeXNSAgent.exe' pid='3124' thread='4410' tickCount='1023456' ><![CDATA[Operation 'Direct: Head' failed.
Protocol: HTTP
Host: ts01.example.test
Path: /Altiris/TaskManagement/CTAgent/GetClientTaskServers.aspx
Error type: HTTP error
Error code: HTTP error occured (0x80042D21)
Error note: Authentication failed, request level authentication is not supported, check that IIS setting 'authPersistNonNTLM' is set to 'True' on the server]]></event>
`

func TestLOG001Fires(t *testing.T) {
	ev := &Evidence{AgentLogs: []LogFile{
		memLog("a.log", agentEvent+agentEvent),
		memLog("b.log", "<event date='11/24/2026 09:07:10' severity='2'><![CDATA[HTTPS: Authentication failed, response to server challenge denied, check credentials are correct, error: The logon attempt failed (0x8009030C).]]></event>\n"),
		memLog("garbage.bin", "MZ\x90\x00\x03\x00"),
	}}
	rep := runLogCheck(t, "LOG001", ev)
	fs := rep.FindingsOf("LOG001")
	if len(fs) != 2 {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	if f.Severity != Error || f.Subject != "/Altiris/TaskManagement/CTAgent/GetClientTaskServers.aspx" ||
		!strings.Contains(f.Message, "request level authentication is not supported\" 2 times") ||
		!strings.Contains(f.Message, "authPersistNonNTLM is False") || len(f.Evidence) != 1 || f.Evidence[0].Source != "a.log" || f.Evidence[0].Locator != "1" {
		t.Fatalf("finding %+v", f)
	}
	if len(f.Remediation) != 2 || !strings.Contains(f.Remediation[0].Commands[0], `/commit:apphost -section:system.webServer/security/authentication/windowsAuthentication /authPersistNonNTLM:"True"`) ||
		!strings.Contains(f.Remediation[1].Commands[0], `"Default Web Site/Altiris/TaskManagement/CTAgent"`) {
		t.Fatalf("remediation %+v", f.Remediation)
	}
	if fs[1].Severity != Warning || !strings.Contains(fs[1].Message, "0x8009030C") {
		t.Fatalf("second finding %+v", fs[1])
	}
	if len(rep.Warnings) != 1 || rep.Warnings[0].Source != "garbage.bin" {
		t.Fatalf("warnings %+v", rep.Warnings)
	}
	if len(rep.Verdict) == 0 || rep.Verdict[0].Scenario != ScenarioTaskServer {
		t.Fatalf("verdict %+v", rep.Verdict)
	}
}

func TestLOG001Quiet(t *testing.T) {
	ev := &Evidence{AgentLogs: []LogFile{memLog("a.log",
		"<event date='11/24/2026 09:00:58' severity='4' hostName='PC0042' source='AeXNetworkTransport'><![CDATA[Connection to 'ns01.example.test' established]]></event>\n"+
			"<event date='11/24/2026 09:01:00' severity='4' hostName='PC0042' source='Task Server Connection'><![CDATA[Registered with task server ts01.example.test]]></event>\n")}}
	rep := runLogCheck(t, "LOG001", ev)
	if res, _ := rep.Result("LOG001"); res.Status != StatusPassed || len(rep.Findings) != 0 {
		t.Fatalf("%+v %+v", res, rep.Findings)
	}
}

const w3cHead = "#Software: Microsoft Internet Information Services 10.0\n#Version: 1.0\n#Date: 2026-11-24 09:00:00\n" +
	"#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) sc-status sc-substatus sc-win32-status time-taken\n"

func TestLOG002Fires(t *testing.T) {
	var b strings.Builder
	b.WriteString(w3cHead)
	for i := range 3 {
		ip := []string{"10.1.0.8", "10.1.0.9", "10.1.0.8"}[i]
		b.WriteString("2026-11-24 09:01:0" + string(rune('0'+i)) + " 10.0.0.10 POST /Altiris/ClientTaskServer/Register.aspx - 443 - " + ip + " Altiris+Agent 401 1 2148074254 0\n")
		b.WriteString("2026-11-24 09:01:0" + string(rune('0'+i)) + " 10.0.0.10 POST /Altiris/ClientTaskServer/Register.aspx - 443 - " + ip + " Altiris+Agent 401 1 2148074248 0\n")
	}
	b.WriteString("2026-11-24 09:02:00 10.0.0.10 GET /Altiris/Console/ - 443 EXAMPLE\\bob 10.1.0.3 Mozilla/5.0 401 1 2148074276 0\n")
	ev := &Evidence{IISLogs: []LogFile{memLog("u_ex261124.log", b.String())}, Host: Host{FQDN: "ts01.example.test", Computer: "TS01"}}
	rep := runLogCheck(t, "LOG002", ev)
	fs := rep.FindingsOf("LOG002")
	if len(fs) != 3 {
		t.Fatalf("findings %+v", fs)
	}
	// Two warnings (3 requests each) sorted by count, then the isolated skew as info.
	if fs[0].Severity != Warning || fs[0].Subject != "/Altiris/ClientTaskServer/Register.aspx" || fs[1].Subject != fs[0].Subject {
		t.Fatalf("%+v", fs)
	}
	var invalid, unanswered, skew *Finding
	for i := range fs {
		switch {
		case strings.Contains(fs[i].Message, "SEC_E_INVALID_TOKEN"):
			invalid = &fs[i]
		case strings.Contains(fs[i].Message, "not followed by a success"):
			unanswered = &fs[i]
		case strings.Contains(fs[i].Message, "SEC_E_TIME_SKEW"):
			skew = &fs[i]
		}
	}
	if invalid == nil || unanswered == nil || skew == nil {
		t.Fatalf("%+v", fs)
	}
	if !strings.Contains(invalid.Message, "3 times") || !strings.Contains(invalid.Message, "from 2 clients") || len(invalid.Evidence) != 2 ||
		!strings.Contains(invalid.Remediation[0].Summary, "load balancer") {
		t.Fatalf("invalid token finding %+v", invalid)
	}
	if skew.Severity != Info || skew.Remediation[0].Commands[1] != "w32tm /resync" || !strings.Contains(skew.Evidence[0].Detail, `EXAMPLE\bob`) {
		t.Fatalf("skew finding %+v", skew)
	}
	hasRow := false
	for _, v := range rep.Verdict {
		hasRow = hasRow || v.Scenario == ScenarioRepeatedAuthErrors
	}
	if !hasRow {
		t.Fatalf("verdict %+v", rep.Verdict)
	}
}

func TestLOG002Quiet(t *testing.T) {
	log := w3cHead +
		"2026-11-24 09:00:01 10.0.0.10 GET /Altiris/NS/Agent/GetClientPolicies.aspx - 443 - 10.1.0.5 Altiris+Agent 401 2 5 0\n" +
		"2026-11-24 09:00:01 10.0.0.10 GET /Altiris/NS/Agent/GetClientPolicies.aspx - 443 EXAMPLE\\PC5$ 10.1.0.5 Altiris+Agent 200 0 0 15\n" +
		"2026-11-24 09:00:02 10.0.0.10 GET /Altiris/Console/ - 443 - 10.1.0.6 Mozilla/5.0 401 2 5 0\n" +
		"2026-11-24 09:00:02 10.0.0.10 GET /Altiris/Console/ - 443 - 10.1.0.6 Mozilla/5.0 401 1 2148074254 0\n" +
		"2026-11-24 09:00:03 10.0.0.10 GET /Altiris/Console/ - 443 EXAMPLE\\alice 10.1.0.6 Mozilla/5.0 200 0 0 31\n" +
		"2026-11-24 09:00:03 10.0.0.10 GET /Altiris/Cons\n"
	ev := &Evidence{IISLogs: []LogFile{memLog("u_ex261124.log", log), memLog("agent.log", agentEvent)}}
	rep := runLogCheck(t, "LOG002", ev)
	if res, _ := rep.Result("LOG002"); res.Status != StatusPassed || len(rep.Findings) != 0 {
		t.Fatalf("%+v %+v", res, rep.Findings)
	}
	// The truncated line and the non-W3C file are evidence warnings.
	if len(rep.Warnings) != 2 || rep.Warnings[1].Source != "u_ex261124.log" || rep.Warnings[1].Locator != "10" ||
		rep.Warnings[0].Source != "agent.log" {
		t.Fatalf("warnings %+v", rep.Warnings)
	}
}

const smpSPN = `<event date='11/24/2026 06:00:05.0000000 -06:00' severity='2' hostName='SMP01' source='Altiris.NS.Security.SpnRegistration' module='w3wp.exe' process='w3wp' pid='5120' thread='77' tickCount='88112233' ><![CDATA[Failed to register SPN 'HTTP/smp01.example.test' for account 'EXAMPLE\AltirisSvc'. Error code 8344: Insufficient access rights to perform the operation.]]></event>
`

func TestLOG003Fires(t *testing.T) {
	ev := &Evidence{SMPLogs: []LogFile{memLog("a.log", smpSPN)}}
	rep := runLogCheck(t, "LOG003", ev)
	fs := rep.FindingsOf("LOG003")
	if len(fs) != 1 {
		t.Fatalf("findings %+v", fs)
	}
	f := fs[0]
	if f.Subject != "HTTP/smp01.example.test" || f.Severity != Warning || !strings.Contains(f.Message, "8344 (ERROR_DS_INSUFF_ACCESS_RIGHTS)") {
		t.Fatalf("%+v", f)
	}
	if f.Remediation[0].Commands[0] != `setspn -S HTTP/smp01.example.test EXAMPLE\AltirisSvc` ||
		!strings.Contains(f.Remediation[1].Summary, "Validated write to service principal name") ||
		f.Remediation[1].Commands[0] != `dsacls "<distinguished name of EXAMPLE\AltirisSvc>" /G SELF:RPWP;servicePrincipalName` {
		t.Fatalf("%+v", f.Remediation)
	}
}

func TestLOG003Quiet(t *testing.T) {
	ev := &Evidence{SMPLogs: []LogFile{memLog("a.log",
		"<event date='11/24/2026 06:00:01' severity='4' hostName='SMP01' source='NS.Startup'><![CDATA[Notification Server started; SPN HTTP/smp01.example.test registered]]></event>\n")}}
	rep := runLogCheck(t, "LOG003", ev)
	if res, _ := rep.Result("LOG003"); res.Status != StatusPassed || len(rep.Findings) != 0 {
		t.Fatalf("%+v %+v", res, rep.Findings)
	}
}
