package winevent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

func readAll(t *testing.T, in string, opts *Options) ([]*Event, Stats, error) {
	t.Helper()
	var evs []*Event
	st, err := Scan(context.Background(), strings.NewReader(in), opts, func(e *Event) error {
		evs = append(evs, e)
		return nil
	})
	return evs, st, err
}

const ev4769 = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4769</EventID><Version>0</Version><Level>0</Level><Task>14337</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2024-05-01T10:00:00.1234567Z'/><EventRecordID>%d</EventRecordID><Correlation/><Execution ProcessID='640' ThreadID='700'/><Channel>Security</Channel><Computer>DC1.contoso.com</Computer><Security/></System><EventData><Data Name='TargetUserName'>alice@CONTOSO.COM</Data><Data Name='TargetDomainName'>CONTOSO.COM</Data><Data Name='ServiceName'>svc-web</Data><Data Name='ServiceSid'>S-1-5-21-1-2-3-1105</Data><Data Name='TicketOptions'>0x40810000</Data><Data Name='TicketEncryptionType'>0x00000017</Data><Data Name='IpAddress'>::ffff:10.0.0.5</Data><Data Name='IpPort'>50123</Data><Data Name='Status'>0x0</Data><Data Name='LogonGuid'>{00000000-0000-0000-0000-000000000000}</Data><Data Name='TransmittedServices'>-</Data></EventData></Event>`

func TestWevtutilOnePerLine(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 3; i++ {
		fmt.Fprintf(&b, ev4769+"\r\n", i)
	}
	evs, st, err := readAll(t, b.String(), nil)
	if err != nil || len(evs) != 3 || st.Format != FormatXML {
		t.Fatalf("events %d, stats %+v, err %v", len(evs), st, err)
	}
	for i, e := range evs {
		eq(t, "RecordID", e.RecordID, uint64(i+1))
		eq(t, "Line", e.Line, i+1)
		eq(t, "Ticket", e.TicketEncryption.String(), "rc4-hmac (23)")
		eq(t, "IP", e.IP.String(), "10.0.0.5")
		eq(t, "Time", e.Time, time.Date(2024, 5, 1, 10, 0, 0, 123456700, time.UTC))
		eq(t, "Execution", e.Extra["Execution/@ProcessID"], "640")
		eq(t, "Keywords", e.Extra["Keywords"], "0x8020000000000000")
	}
}

func TestEventsRootPythonEvtx(t *testing.T) {
	in := `<?xml version="1.1" encoding="utf-8" standalone="yes" ?>
<!DOCTYPE x [ <!ENTITY boom "&boom;&boom;"> ]>
<Events>
<!-- exported by python-evtx -->
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}"></Provider>
<EventID Qualifiers="">4624</EventID>
<TimeCreated SystemTime="2016-07-08 18:12:51.681640"></TimeCreated>
<EventRecordID>7</EventRecordID>
<Channel>Security</Channel>
<Computer>WEB01.contoso.com</Computer>
</System>
<EventData><Data Name="TargetUserName">bob</Data>
<Data Name="TargetDomainName">CONTOSO</Data>
<Data Name="LogonType">3</Data>
<Data Name="AuthenticationPackageName">NTLM</Data>
<Data Name="LmPackageName">NTLM V1</Data>
<Data Name="WorkstationName">&lt;PC&amp;7&gt;&#x41;&#66;&boom;</Data>
<Data Name="IpAddress"><![CDATA[10.1.2.3]]></Data>
<Data Name="IpPort">-</Data>
</EventData>
</Event>
</Events>`
	evs, st, err := readAll(t, in, nil)
	if err != nil || len(evs) != 1 {
		t.Fatalf("events %d, stats %+v, err %v", len(evs), st, err)
	}
	e := evs[0]
	eq(t, "Time", e.Time, time.Date(2016, 7, 8, 18, 12, 51, 681640000, time.UTC))
	eq(t, "Workstation", e.Workstation, "<PC&7>AB&boom;")
	eq(t, "IP", e.IP.String(), "10.1.2.3")
	eq(t, "Port", e.Port, 0)
	eq(t, "NTLMVersion", e.NTLMVersion(), 1)
	eq(t, "Protocol", e.Protocol(), ProtocolNTLM)
	eq(t, "IsNetworkLogon", e.IsNetworkLogon(), true)
	eq(t, "Line", e.Line, 5)
}

func TestRenderedXMLKerberos4AndKDC11(t *testing.T) {
	in := `<Events>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Kerberos" Guid="{98E6CFCB-EE0A-41E0-A57B-622D4E1B30B1}" EventSourceName="Kerberos"/><EventID Qualifiers="16384">4</EventID><Level>2</Level><TimeCreated SystemTime="2024-05-02T08:00:00.000000000Z"/><Channel>System</Channel><Computer>PC42.contoso.com</Computer></System><EventData><Data Name="Server">web01$</Data><Data Name="TargetRealm">CONTOSO.COM</Data><Data Name="Targetname">HTTP/intranet.contoso.com</Data><Data Name="ClientRealm">CONTOSO.COM</Data><Binary></Binary></EventData><RenderingInfo Culture="en-US"><Message>The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server web01$. The target name used was HTTP/intranet.contoso.com. This indicates that the target server failed to decrypt the ticket provided by the client.</Message><Level>Error</Level><Provider>Microsoft-Windows-Security-Kerberos</Provider><Keywords><Keyword>Classic</Keyword></Keywords></RenderingInfo></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Kerberos" EventSourceName="Kerberos"/><EventID>4</EventID><Channel>System</Channel></System><EventData><Data>web02$</Data><Data>CONTOSO.COM</Data><Data>HTTP/app.contoso.com</Data><Data>CONTOSO.COM</Data></EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Security-Kerberos" EventSourceName="Kerberos"/><EventID>4</EventID><Channel>System</Channel></System><RenderingInfo Culture="en-US"><Message>The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server web03$. The target name used was HTTP/crm.contoso.com. This indicates ...</Message></RenderingInfo></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Kerberos-Key-Distribution-Center" EventSourceName="KDC"/><EventID Qualifiers="49152">11</EventID><Channel>System</Channel><Computer>DC1.contoso.com</Computer></System><EventData><Data Name="Name">HTTP/web.contoso.com</Data><Data Name="Type">DS_SERVICE_PRINCIPAL_NAME</Data></EventData></Event>
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Kerberos-Key-Distribution-Center" EventSourceName="Kdcsvc"/><EventID>205</EventID><Channel>System</Channel></System><EventData/></Event>
</Events>`
	evs, _, err := readAll(t, in, nil)
	if err != nil || len(evs) != 5 {
		t.Fatalf("events %d, err %v", len(evs), err)
	}
	for i, want := range []string{"HTTP/intranet.contoso.com", "HTTP/app.contoso.com", "HTTP/crm.contoso.com"} {
		e := evs[i]
		eq(t, "SPN", e.SPN(), want)
		eq(t, "Status", e.Status.Name(), "KRB_AP_ERR_MODIFIED")
		eq(t, "Failed", e.Failed(), true)
	}
	eq(t, "Server", evs[0].ServerName, "web01$")
	eq(t, "Server from params", evs[1].ServerName, "web02$")
	eq(t, "Server from message", evs[2].ServerName, "web03$")
	eq(t, "Message", strings.HasPrefix(evs[0].Message, "The Kerberos client received"), true)
	eq(t, "RenderingInfo kept", evs[0].Extra["RenderingInfo.Keywords.Keyword"], "Classic")
	eq(t, "KDC 11 duplicate", evs[3].SPN(), "HTTP/web.contoso.com")
	eq(t, "KDC 11 type", evs[3].Fields["Type"], "DS_SERVICE_PRINCIPAL_NAME")
	eq(t, "KDCSVC 205", evs[4].IsKDCRC4Audit(), true)
	eq(t, "KDC 11 not RC4 audit", evs[3].IsKDCRC4Audit(), false)
}

func TestUserData(t *testing.T) {
	in := `<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System><Provider Name="Microsoft-Windows-Eventlog"/><EventID>1102</EventID><Channel>Security</Channel></System><UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog"><SubjectUserName>admin</SubjectUserName><SubjectDomainName>CONTOSO</SubjectDomainName><Nested><A>1</A></Nested></LogFileCleared></UserData></Event>`
	evs, _, err := readAll(t, in, nil)
	if err != nil || len(evs) != 1 {
		t.Fatal(len(evs), err)
	}
	eq(t, "SubjectUserName", evs[0].SubjectUserName, "admin")
	eq(t, "Nested", evs[0].Fields["Nested.A"], "1")
}

func utf16le(s string, bom bool) []byte {
	var b bytes.Buffer
	if bom {
		b.Write([]byte{0xff, 0xfe})
	}
	for _, u := range utf16.Encode([]rune(s)) {
		b.WriteByte(byte(u))
		b.WriteByte(byte(u >> 8))
	}
	return b.Bytes()
}

func TestUTF16(t *testing.T) {
	doc := "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Events>" + fmt.Sprintf(ev4769, 9) + "<!-- \U0001F600 é --></Events>"
	for _, bom := range []bool{true, false} {
		var n int
		st, err := Scan(context.Background(), bytes.NewReader(utf16le(doc, bom)), nil, func(e *Event) error {
			n++
			eq(t, "Account", e.Account(), "alice@CONTOSO.COM")
			return nil
		})
		if err != nil || n != 1 || st.Format != FormatXML {
			t.Fatalf("bom=%v: %d events, %+v, %v", bom, n, st, err)
		}
	}
}

func TestJSONShapes(t *testing.T) {
	in := `[
  {"@timestamp":"2024-05-01T10:00:00.000Z","event":{"code":"4624","provider":"Microsoft-Windows-Security-Auditing"},
   "winlog":{"channel":"Security","computer_name":"WEB01.contoso.com","event_id":"4624","provider_name":"Microsoft-Windows-Security-Auditing","record_id":42,
     "event_data":{"TargetUserName":"carol","TargetDomainName":"CONTOSO","LogonType":"3","AuthenticationPackageName":"Kerberos","IpAddress":"::ffff:10.0.0.7","IpPort":"51000"}}},
  {"TimeGenerated":"2024-05-01T10:00:01.5Z","Computer":"WEB01.contoso.com","EventID":4625,"Channel":"Security","EventSourceName":"Microsoft-Windows-Security-Auditing","Account":"CONTOSO\\dave","LogonType":3,"Status":"0xc000006d","SubStatus":"0xc0000064","IpAddress":"10.0.0.8","TenantId":"x",
   "EventData":"<EventData xmlns=\"http://schemas.microsoft.com/win/2004/08/events/event\"><Data Name=\"TargetUserName\">dave</Data><Data Name=\"TargetDomainName\">CONTOSO</Data><Data Name=\"AuthenticationPackageName\">NTLM</Data><Data Name=\"LmPackageName\">NTLM V2</Data></EventData>"},
  {"Event":{"#attributes":{"xmlns":"http://schemas.microsoft.com/win/2004/08/events/event"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Security-Auditing"}},"EventID":4776,"Channel":"Security","Computer":"DC1","EventRecordID":5,"TimeCreated":{"#attributes":{"SystemTime":"2024-05-01T10:00:02.000000Z"}}},"EventData":{"PackageName":"MICROSOFT_AUTHENTICATION_PACKAGE_V1_0","TargetUserName":"erin","Workstation":"PC7","Status":"0x0"}}},
  {"result":{"EventCode":"4768","LogName":"Security","ComputerName":"DC1","TargetUserName":"frank","TicketEncryptionType":"0x17","Status":"0x18","IpAddress":"::ffff:10.0.0.9","_time":"x"}}
]`
	evs, st, err := readAll(t, in, nil)
	if err != nil || len(evs) != 4 || st.Format != FormatJSON {
		t.Fatalf("events %d, stats %+v, err %v", len(evs), st, err)
	}
	w := evs[0]
	eq(t, "wlb ID", w.ID, 4624)
	eq(t, "wlb Computer", w.Computer, "WEB01.contoso.com")
	eq(t, "wlb Provider", w.Provider, ProviderSecurityAuditing)
	eq(t, "wlb Protocol", w.Protocol(), ProtocolKerberos)
	eq(t, "wlb IP", w.IP.String(), "10.0.0.7")
	eq(t, "wlb network", w.IsNetworkLogon(), true)
	eq(t, "wlb RecordID", w.RecordID, uint64(42))
	eq(t, "wlb Extra", w.Extra["event.provider"], ProviderSecurityAuditing)
	eq(t, "wlb Line", w.Line, 2)
	s := evs[1]
	eq(t, "sentinel ID", s.ID, 4625)
	eq(t, "sentinel Time", s.Time, time.Date(2024, 5, 1, 10, 0, 1, 5e8, time.UTC))
	eq(t, "sentinel Account", s.Account(), `CONTOSO\dave`)
	eq(t, "sentinel NTLM", s.NTLMVersion(), 2)
	eq(t, "sentinel SubStatus", s.SubStatus.Name(), "STATUS_NO_SUCH_USER")
	eq(t, "sentinel TenantId is metadata", s.Extra["TenantId"], "x")
	d := evs[2]
	eq(t, "evtx_dump ID", d.ID, 4776)
	eq(t, "evtx_dump Provider", d.Provider, ProviderSecurityAuditing)
	eq(t, "evtx_dump Time", d.Time, time.Date(2024, 5, 1, 10, 0, 2, 0, time.UTC))
	eq(t, "evtx_dump Workstation", d.Workstation, "PC7")
	eq(t, "evtx_dump RecordID", d.RecordID, uint64(5))
	sp := evs[3]
	eq(t, "splunk ID", sp.ID, 4768)
	eq(t, "splunk Status", sp.Status.Name(), "KDC_ERR_PREAUTH_FAILED")
	eq(t, "splunk Ticket", sp.TicketEncryption.IsRC4(), true)
	eq(t, "splunk Computer", sp.Computer, "DC1")
}

func TestJSONLinesSkipsBadRecord(t *testing.T) {
	in := `{"EventID":4776,"Channel":"Security","TargetUserName":"a","Status":"0x0"}
{"EventID":4776, this is not json}
{"EventID":4776,"Channel":"Security","TargetUserName":"b","Status":"0xC0000072","EventTime":"2020-09-20 02:57:46"}
`
	evs, st, err := readAll(t, in, nil)
	if err != nil || len(evs) != 2 || st.Skipped != 1 || st.WarningCount != 1 {
		t.Fatalf("events %d, stats %+v, err %v", len(evs), st, err)
	}
	eq(t, "warning line", st.Warnings[0].Line, 2)
	eq(t, "disabled", evs[1].Status.Name(), "STATUS_ACCOUNT_DISABLED")
	eq(t, "naive time flagged", evs[1].TimeNoZone, true)
	eq(t, "naive time field", evs[1].TimeField, "EventTime")
	eq(t, "line", evs[1].Line, 3)
}

func TestOversizeEventSkipped(t *testing.T) {
	big := strings.Repeat("x", 5000)
	in := "<Events>" + fmt.Sprintf(ev4769, 1) +
		strings.Replace(fmt.Sprintf(ev4769, 2), "svc-web", big, 1) +
		fmt.Sprintf(ev4769, 3) + "</Events>"
	evs, st, err := readAll(t, in, &Options{MaxEventBytes: 4096, Name: "big.xml"})
	if err != nil || len(evs) != 2 || st.Skipped != 1 {
		t.Fatalf("events %d, stats %+v, err %v", len(evs), st, err)
	}
	eq(t, "records", fmt.Sprint(evs[0].RecordID, evs[1].RecordID), "1 3")
	if !strings.Contains(st.Warnings[0].String(), "big.xml:1: skipped: event of") {
		t.Errorf("warning %q", st.Warnings[0])
	}
	// JSON too.
	js := `{"EventID":1}` + "\n" + `{"EventID":2,"x":"` + big + `"}` + "\n" + `{"EventID":3}`
	evs, st, err = readAll(t, js, &Options{MaxEventBytes: 4096})
	if err != nil || len(evs) != 2 || st.Skipped != 1 || evs[1].ID != 3 {
		t.Fatalf("json: events %d, stats %+v, err %v", len(evs), st, err)
	}
}

func TestDepthLimit(t *testing.T) {
	in := "<Events>\n<Event>" + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + "</Event></Events>"
	_, _, err := readAll(t, in, &Options{MaxDepth: 50, Name: "deep.xml"})
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(err.Error(), "deep.xml:2:") || !strings.Contains(err.Error(), "deeper than 50") {
		t.Fatalf("err = %v", err)
	}
	_, _, err = readAll(t, strings.Repeat("[", 10)+"{}"+strings.Repeat("]", 10), &Options{MaxDepth: 5})
	if !errors.As(err, &se) {
		t.Fatalf("json depth err = %v", err)
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, in, looks string
	}{
		{"csv", "Level,Date and Time,Source,Event ID,Task Category\r\nInformation,...", "Event Viewer CSV"},
		{"text", "Log Name:      Security\r\nSource: ...", "Copy as text"},
		{"wevtutil text", "Event[0]:\r\n  Log Name: Security", "wevtutil /f:text"},
		{"html", "<!DOCTYPE html><html><body>hi</body></html>", "HTML page"},
		{"clixml", `<Objs Version="1.1.0.1" xmlns="http://schemas.microsoft.com/powershell/2004/04"></Objs>`, "CLIXML"},
		{"zip", "PK\x03\x04rest", "zip archive"},
		{"binary", "\x00\x01\x02\x03junk", "binary data"},
		{"prose", "hello world", "plain text"},
		{"json numbers", `[1, 2]`, "JSON that is not"},
	}
	for _, c := range cases {
		_, _, err := readAll(t, c.in, &Options{Name: c.name})
		var fe *FormatError
		if !errors.As(err, &fe) || !errors.Is(err, ErrNotEvents) || !strings.Contains(err.Error(), c.looks) {
			t.Errorf("%s: err = %v", c.name, err)
		}
	}
	// Empty input: no events, no error.
	evs, st, err := readAll(t, "  \r\n", nil)
	if err != nil || len(evs) != 0 || st.Format != FormatUnknown {
		t.Errorf("empty: %d %+v %v", len(evs), st, err)
	}
	// Truncated and malformed XML: events before the problem are returned.
	rd := NewReader(strings.NewReader(fmt.Sprintf(ev4769, 1)+"\n"+fmt.Sprintf(ev4769, 2)[:300]), &Options{Name: "cut.xml"})
	if _, err := rd.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = rd.Next()
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(err.Error(), "inside <Event> opened at line 2") {
		t.Errorf("truncated: %v", err)
	}
	if _, err2 := rd.Next(); err2 != err {
		t.Errorf("error not sticky: %v", err2)
	}
	_, _, err = readAll(t, "<Event>\n<System><EventID>1</Channel></System></Event>", nil)
	if !errors.As(err, &se) || se.Line != 2 || !strings.Contains(err.Error(), "does not match <EventID>") {
		t.Errorf("mismatch: %v", err)
	}
}

func TestEVTXRefused(t *testing.T) {
	head := "ElfFile\x00" + strings.Repeat("\x00", 120)
	for _, c := range []struct{ name, cmd string }{
		{`C:\logs\Security.evtx`, `wevtutil qe C:\logs\Security.evtx /lf:true /f:xml > C:\logs\Security.evtx.xml`},
		{`C:\My Logs\sec.evtx`, `wevtutil qe "C:\My Logs\sec.evtx" /lf:true /f:xml > "C:\My Logs\sec.evtx.xml"`},
		{"", `wevtutil qe FILE.evtx /lf:true /f:xml > FILE.evtx.xml`},
	} {
		rd := NewReader(strings.NewReader(head), &Options{Name: c.name})
		_, err := rd.Next()
		var ee *EVTXError
		if !errors.As(err, &ee) || ee.Command() != c.cmd || !strings.Contains(err.Error(), c.cmd) || !errors.Is(err, ErrNotEvents) {
			t.Errorf("%q: %v", c.name, err)
		}
		eq(t, "Format", rd.Format(), FormatEVTX)
	}
}

func TestIteratorAndCancel(t *testing.T) {
	var b strings.Builder
	for i := 1; i <= 600; i++ {
		fmt.Fprintf(&b, ev4769+"\n", i)
	}
	n := 0
	for e, err := range NewReader(strings.NewReader(b.String()), nil).All() {
		if err != nil {
			t.Fatal(err)
		}
		n++
		if e.RecordID == 10 {
			break
		}
	}
	eq(t, "stopped at", n, 10)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Scan(ctx, strings.NewReader(b.String()), nil, func(*Event) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}
	stop := errors.New("stop")
	st, err := Scan(context.Background(), strings.NewReader(b.String()), nil, func(*Event) error { return stop })
	if err != stop || st.Events != 1 {
		t.Errorf("fn error: %v %+v", err, st)
	}
}

func TestLinearTime(t *testing.T) {
	if testing.Short() {
		t.Skip()
	}
	// ~10 MB of events and ~10 MB of pathological nesting/entities must each
	// take well under a second per MB.
	var b bytes.Buffer
	for i := 0; b.Len() < 10<<20; i++ {
		fmt.Fprintf(&b, ev4769+"\n", i)
	}
	start := time.Now()
	n := 0
	_, err := Scan(context.Background(), &b, nil, func(*Event) error { n++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	t.Logf("%d events, 10 MiB in %v", n, el)
	if el > 20*time.Second {
		t.Errorf("too slow: %v", el)
	}
	patho := "<Events><Event>" + strings.Repeat("<a x='&amp;&amp;'>&lt;&#x41;", 30) + strings.Repeat("&amp;", 2<<20) + strings.Repeat("</a>", 30) + "</Event></Events>"
	start = time.Now()
	_, st, err := readAll(t, patho, nil)
	if err != nil || st.Skipped != 1 {
		t.Fatalf("%+v %v", st, err)
	}
	if el := time.Since(start); el > 20*time.Second {
		t.Errorf("pathological input too slow: %v", el)
	}
}

func TestSummary(t *testing.T) {
	in := strings.Join([]string{
		`{"EventID":4624,"Channel":"Security","Hostname":"WEB01","@timestamp":"2024-05-01T10:00:00Z","TargetUserName":"svc-agent","TargetDomainName":"CONTOSO","LogonType":"3","AuthenticationPackageName":"NTLM","LmPackageName":"NTLM V1","IpAddress":"::ffff:10.0.0.5"}`,
		`{"EventID":4624,"Channel":"Security","Hostname":"WEB01","@timestamp":"2024-05-01T11:00:00Z","TargetUserName":"SVC-AGENT","TargetDomainName":"contoso","LogonType":"3","AuthenticationPackageName":"Kerberos","IpAddress":"10.0.0.5"}`,
		`{"EventID":4625,"Channel":"Security","Hostname":"WEB01","@timestamp":"2024-05-01T09:00:00Z","TargetUserName":"bob","TargetDomainName":"CONTOSO","LogonType":"3","AuthenticationPackageName":"NTLM","Status":"0xc000006d","IpAddress":"10.0.0.5"}`,
		`{"EventID":4624,"Channel":"Security","Hostname":"WEB01","@timestamp":"2024-05-01T09:30:00Z","TargetUserName":"bob","TargetDomainName":"CONTOSO","LogonType":"3","AuthenticationPackageName":"NTLM","IpAddress":"-"}`,
	}, "\n")
	s := NewSummarizer(0)
	if _, err := Scan(context.Background(), strings.NewReader(in), nil, func(e *Event) error { s.Add(e); return nil }); err != nil {
		t.Fatal(err)
	}
	sum := s.Summary()
	eq(t, "Events", sum.Events, 4)
	eq(t, "NoIP", sum.NoIP, 1)
	eq(t, "ByID", sum.ByID[4624], 3)
	if len(sum.Clients) != 1 || len(sum.Clients[0].Accounts) != 2 {
		t.Fatalf("clients %+v", sum.Clients)
	}
	c := sum.Clients[0]
	eq(t, "client IP", c.IP.String(), "10.0.0.5")
	eq(t, "client first", c.First.Hour(), 9)
	eq(t, "client last", c.Last.Hour(), 11)
	svc := c.Accounts[1]
	eq(t, "svc account (first spelling)", svc.Account, `CONTOSO\svc-agent`)
	eq(t, "svc count", svc.Count, 2)
	eq(t, "svc ntlm", svc.Protocols[ProtocolNTLM], 1)
	eq(t, "svc kerberos", svc.Protocols[ProtocolKerberos], 1)
	eq(t, "svc NTLMv1", svc.NTLMv1, 1)
	bob := sum.Accounts[0]
	eq(t, "bob", bob.Account, `CONTOSO\bob`)
	eq(t, "bob count", bob.Count, 2)
	eq(t, "bob failures", bob.Failures, 1)
	eq(t, "bob IPs", fmt.Sprint(bob.IPs), "[10.0.0.5]")
	eq(t, "bob ids", fmt.Sprint(bob.EventIDs), "[4624 4625]")
	small := NewSummarizer(1)
	for _, acct := range []string{"a", "b"} {
		small.Add(&Event{TargetUserName: acct, LogonType: -1})
	}
	eq(t, "truncated", small.Summary().Truncated, true)
}

func TestCodes(t *testing.T) {
	for _, c := range []struct {
		in, want string
	}{
		{"0x12", "aes256-cts-hmac-sha1-96 (18)"}, {"0x00000017", "rc4-hmac (23)"}, {"0X11", "aes128-cts-hmac-sha1-96 (17)"},
		{"0x3", "des-cbc-md5 (3)"}, {"0xffffffff", "none (0xffffffff)"}, {"-1", "none (0xffffffff)"}, {"23", "rc4-hmac (23)"},
		{"0x2d", "etype 45"}, {"-", ""}, {"", ""}, {"0x1ffffffff", ""},
	} {
		eq(t, "EncType("+c.in+")", ParseEncType(c.in).String(), c.want)
	}
	for code, name := range map[uint32]string{0x6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 0x7: "KDC_ERR_S_PRINCIPAL_UNKNOWN", 0xe: "KDC_ERR_ETYPE_NOSUPP",
		0x18: "KDC_ERR_PREAUTH_FAILED", 0x1b: "KDC_ERR_MUST_USE_USER2USER", 0x25: "KRB_AP_ERR_SKEW", 0x29: "KRB_AP_ERR_MODIFIED", 0x8: "KDC_ERR_PRINCIPAL_NOT_UNIQUE"} {
		n, _ := KerberosErrorText(code)
		eq(t, fmt.Sprintf("kerberos %#x", code), n, name)
	}
	for code, name := range map[uint32]string{0xc000006a: "STATUS_WRONG_PASSWORD", 0xc0000234: "STATUS_ACCOUNT_LOCKED_OUT", 0xc000006d: "STATUS_LOGON_FAILURE",
		0xc0000064: "STATUS_NO_SUCH_USER", 0xc000006e: "STATUS_ACCOUNT_RESTRICTION", 0xc0000072: "STATUS_ACCOUNT_DISABLED", 0xc000015b: "STATUS_LOGON_TYPE_NOT_GRANTED"} {
		n, _ := NTStatusText(code)
		eq(t, fmt.Sprintf("nt %#x", code), n, name)
	}
	eq(t, "Kerberos event with NT code", parseStatus("0xC000006A", StatusKerberos).Name(), "STATUS_WRONG_PASSWORD")
	eq(t, "LogonTypeName", LogonTypeName(3), "Network")
	eq(t, "KeyList", fmt.Sprint(ParseKeyList("\n\t\tAES-SHA1\n\t\tRC4\n")), "[AES-SHA1 RC4]")
	eq(t, "IP zone", normIP("fe80::1%eth0").String(), "fe80::1")
	eq(t, "IP bracket", normIP("[::1]").String(), "::1")
	for _, s := range []string{"/Date(1700000000000)/", "1700000000", "1700000000000", "2023-11-14T22:13:20Z", "2023-11-14 22:13:20", "11/14/2023, 10:13:20.000 PM"} {
		tm, _, ok := parseTime(s)
		if !ok || !tm.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("parseTime(%q) = %v %v", s, tm, ok)
		}
	}
	if _, err := io.ReadAll(&utf16Reader{r: nil, done: true}); err != nil {
		t.Error(err)
	}
}

func TestJSONMoreShapes(t *testing.T) {
	in := `{"@timestamp":"2024-05-02T08:00:00Z","winlog":{"channel":"System","provider_name":"Microsoft-Windows-Security-Kerberos","event_id":4,"computer_name":"PC42","event_data":{"param1":"web01$","param2":"CONTOSO.COM","param3":"HTTP/intranet.contoso.com","param4":"CONTOSO.COM"}}}
{"Id":4624,"ProviderName":"Microsoft-Windows-Security-Auditing","LogName":"Security","MachineName":"WEB01","TimeCreated":"\/Date(1700000000000)\/","Properties":[{"Value":"S-1-5-18"},{"Value":"WEB01$"}],"Message":"An account was successfully logged on."}`
	evs, _, err := readAll(t, in, nil)
	if err != nil || len(evs) != 2 {
		t.Fatalf("%d %v", len(evs), err)
	}
	eq(t, "winlogbeat kerberos 4 SPN", evs[0].SPN(), "HTTP/intranet.contoso.com")
	eq(t, "winlogbeat kerberos 4 server", evs[0].ServerName, "web01$")
	eq(t, "winlogbeat kerberos 4 status", evs[0].Status.Name(), "KRB_AP_ERR_MODIFIED")
	p := evs[1]
	eq(t, "ps ID", p.ID, 4624)
	eq(t, "ps Computer", p.Computer, "WEB01")
	eq(t, "ps Time", p.Time, time.Unix(1700000000, 0).UTC())
	eq(t, "ps Params", fmt.Sprint(p.Params), "[S-1-5-18 WEB01$]")
	_, _, err = readAll(t, `{"level":"info","msg":"server started"}`, nil)
	if !errors.Is(err, ErrNotEvents) || !strings.Contains(err.Error(), "without event fields") {
		t.Errorf("app log: %v", err)
	}
}

func TestEventJSON(t *testing.T) {
	evs, _, err := readAll(t, fmt.Sprintf(ev4769, 1), nil)
	if err != nil || len(evs) != 1 {
		t.Fatal(err)
	}
	b, err := json.Marshal(evs[0])
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"format":"xml"`, `"id":4769`, `"time":"2024-05-01T10:00:00.1234567Z"`, `"ip":"10.0.0.5"`,
		`"ticket_encryption":{"value":23,"name":"rc4-hmac","raw":"0x00000017"}`, `"status":{"code":"0x0","kind":"kerberos","name":"KDC_ERR_NONE"`,
		`"logon_type":-1`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s:\n%s", want, s)
		}
	}
	for _, absent := range []string{`"sub_status"`, `"session_key_encryption"`, `"account_supported_encryption_types"`} {
		if strings.Contains(s, absent) {
			t.Errorf("JSON has unset %s", absent)
		}
	}
}
