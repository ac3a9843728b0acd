package diagnose

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/iiskerb/iiskerb/negotiate"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func warningsText(ws []EvidenceWarning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.String())
		b.WriteByte('\n')
	}
	return b.String()
}

func TestLoadBundleMessy(t *testing.T) {
	ev, err := LoadBundle(context.Background(), "testdata/bundles/messy")
	if err != nil {
		t.Fatal(err)
	}
	if ev.Host.Computer != "WEB01" || ev.Host.Domain != "CORP" || ev.Host.Role != "web" {
		t.Errorf("host %+v (BOM'd host.json)", ev.Host)
	}
	if ev.Config == nil || ev.ConfigSource != "applicationHost.config" {
		t.Fatalf("config not loaded")
	}
	if ev.Directory == nil {
		t.Fatal("UTF-16 setspn output not loaded")
	}
	ans, err := ev.Directory.Owners(context.Background(), "host/web01.corp.example.com")
	if err != nil || len(ans.Accounts) != 1 {
		t.Errorf("owners of HOST/web01.corp.example.com: %+v %v", ans, err)
	}
	if len(ev.IISLogs) != 1 || ev.IISLogs[0].Name != "logs/iis/u_ex260120.log" {
		t.Errorf("IIS logs %+v", ev.IISLogs)
	}
	rc, err := ev.IISLogs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if len(ev.HTTPTraces) != 1 {
		t.Errorf("http traces %d", len(ev.HTTPTraces))
	}
	w := warningsText(ev.Warnings)
	for _, want := range []string{
		`host.json: unknown key "colour" ignored`,
		"setspn/notes.txt: not recognised as setspn -L/-Q/-X output",
		"setspn/screenshot.png: not recognised as setspn -L/-Q/-X output",
		"klist/empty.txt: not recognised as klist output",
		"http/not-http.txt: not recognised as an HTTP exchange",
		"http/broken.txt:3: Authorization",
		"ldif/bad.ldf: not usable as an ldifde export",
		"extra: directory is not part of the evidence bundle layout",
		"unknown.bin: file is not part of the evidence bundle layout",
		"applicationHost.config:",
		"MissingPool",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
	if strings.Contains(w, "/work/") || strings.Contains(w, "testdata/") {
		t.Errorf("warnings mention absolute or test paths:\n%s", w)
	}

	// The whole catalogue runs over it without an error result or a panic,
	// and the warnings reach the report.
	rep, err := Diagnose(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status == StatusError {
			t.Errorf("%s: error: %s", r.CheckID, r.Reason)
		}
	}
	if len(rep.Warnings) < len(ev.Warnings) {
		t.Errorf("report has %d warnings, evidence %d", len(rep.Warnings), len(ev.Warnings))
	}
	if rep.Profile != "generic" {
		t.Errorf("profile %s, want generic for a web server", rep.Profile)
	}
}

func TestLoadBundleErrors(t *testing.T) {
	if _, err := LoadBundle(context.Background(), "testdata/does-not-exist"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing dir: %v", err)
	}
	if _, err := LoadBundle(context.Background(), "testdata/bundles/PROVENANCE"); err == nil {
		t.Error("a file accepted as a bundle")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := LoadBundle(ctx, "testdata/bundles/messy"); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// An empty bundle is fine: everything is skipped.
	ev, err := LoadBundleFS(context.Background(), fstest.MapFS{})
	if err != nil || ev.Config != nil || len(ev.Warnings) != 0 {
		t.Errorf("empty bundle: %+v %v", ev, err)
	}
}

// Loose files at the top level are recognised by content and used, with a
// warning that says where they belong.
func TestLoadBundleSniff(t *testing.T) {
	setspnL, _ := os.ReadFile("testdata/bundles/messy/setspn/web01-utf16.txt")
	curl, _ := os.ReadFile("testdata/http/curl-kerberos.txt")
	fsys := fstest.MapFS{
		"spns.txt":         {Data: setspnL},
		"trace.txt":        {Data: curl},
		"u_ex260101.log":   {Data: []byte("#Software: x\n#Fields: date time cs-uri-stem sc-status\n")},
		"u_ex260102.log":   {Data: []byte("not a log")},
		"random-notes.txt": {Data: []byte("call the customer\n")},
	}
	ev, err := LoadBundleFS(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Directory == nil || len(ev.HTTPTraces) != 1 || len(ev.Tokens) != 2 || len(ev.IISLogs) != 1 {
		t.Errorf("directory %v, traces %d, tokens %d, IIS logs %d", ev.Directory, len(ev.HTTPTraces), len(ev.Tokens), len(ev.IISLogs))
	}
	w := warningsText(ev.Warnings)
	for _, want := range []string{
		"spns.txt: setspn output at the top level: used (put it under setspn/)",
		"trace.txt: HTTP exchange at the top level: used (put it under http/)",
		"u_ex260101.log: W3C log at the top level",
		"u_ex260102.log: file is not part of the evidence bundle layout",
		"random-notes.txt: file is not part of the evidence bundle layout",
	} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings lack %q:\n%s", want, w)
		}
	}
}

func TestLoadBundleFSHost(t *testing.T) {
	utf16 := func(s string) []byte {
		b := []byte{0xff, 0xfe}
		for _, r := range s {
			b = append(b, byte(r), byte(r>>8))
		}
		return b
	}
	fsys := fstest.MapFS{
		"host.json": {Data: utf16(`{"computer":"NS01","fqdn":"ns01.example.com","role":"Task-Server","ntlm_disabled":true,` +
			`"non_domain_clients":true,"tls_inspection":true,"firewall_service_account":true,"aliases":["smp"],"cnames":{"smp":"ns01.example.com"}}`)},
	}
	ev, err := LoadBundleFS(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := Scenario{NTLMDisabled: true, NonDomainClients: true, TLSInspection: true, FirewallShowsServiceAccount: true}
	if ev.Scenario != want || ev.Host.Role != "task-server" || ev.Host.CNAMEs["smp"] != "ns01.example.com" {
		t.Errorf("host %+v scenario %+v", ev.Host, ev.Scenario)
	}
	if got := strings.Join(ev.Host.Names(), ","); got != "NS01,ns01.example.com,smp" {
		t.Errorf("names %s", got)
	}
	for _, bad := range []string{`{"computer": 5}`, `{"computer":`, `{"role":"mainframe"}`} {
		ev, err := LoadBundleFS(context.Background(), fstest.MapFS{"host.json": {Data: []byte(bad)}})
		if err != nil || len(ev.Warnings) != 1 {
			t.Errorf("%s: %v %+v", bad, err, ev.Warnings)
		}
	}
}

func TestParseHTTPTraceCurl(t *testing.T) {
	f, err := os.Open("testdata/http/curl-kerberos.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ParseHTTPTrace("http/curl-kerberos.txt", f)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.Messages) != 4 {
		t.Fatalf("%d messages", len(tr.Messages))
	}
	m := tr.Messages
	if m[0].Method != "GET" || m[0].Target != "/Altiris/NS/Agent/GetClientPolicies.aspx" || m[1].Status != 401 || m[3].Status != 200 {
		t.Errorf("messages %+v", m)
	}
	if got := m[1].Header.Values("Www-Authenticate"); len(got) != 2 {
		t.Errorf("challenges %v", got)
	}
	toks, warns := tr.Tokens(context.Background())
	if len(warns) != 0 {
		t.Errorf("warnings %v", warns)
	}
	if len(toks) != 2 {
		t.Fatalf("tokens %d", len(toks))
	}
	if toks[0].Header != "Authorization" || toks[0].Source != "http/curl-kerberos.txt:20" || toks[0].Token.InnerKind != negotiate.KerberosAPReq {
		t.Errorf("token 0: %s %s %v/%v", toks[0].Header, toks[0].Source, toks[0].Token.Kind, toks[0].Token.InnerKind)
	}
	if toks[1].Header != "WWW-Authenticate" || toks[1].Token.Kind != negotiate.SPNEGOResp {
		t.Errorf("token 1: %s %v", toks[1].Header, toks[1].Token.Kind)
	}
	// Kerberos on the wire is a note, not a verdict row: nobody said a
	// firewall showed anything. kerberosOnWire finds it from the tokens
	// (AP-REQ plus an AP-REP) and from an answered trace.
	if rows := computeVerdict(&Evidence{Tokens: toks}, GenericProfile(), &Report{}); len(rows) != 0 {
		t.Errorf("verdict from tokens %+v, want none", rows)
	}
	if ok, where := kerberosOnWire(&Evidence{Tokens: toks}); !ok || !strings.Contains(where, "AP-REP") {
		t.Errorf("kerberos on wire from tokens: %v %q", ok, where)
	}
	if ok, _ := kerberosOnWire(&Evidence{Tokens: toks[:1]}); ok {
		t.Error("an AP-REQ alone proves nothing")
	}
	ev := &Evidence{HTTPTraces: []*HTTPTrace{tr}}
	if ok, where := kerberosOnWire(ev); !ok || !strings.Contains(where, "http/curl-kerberos.txt:18 answered 200") {
		t.Errorf("kerberos on wire from trace: %v %q", ok, where)
	}
	rep, err := Diagnose(context.Background(), ev, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Verdict) != 0 || len(rep.Notes) == 0 || !strings.Contains(strings.Join(rep.Notes, "\n"), "visibility, not wrong credentials") {
		t.Errorf("verdict %+v notes %q", rep.Verdict, rep.Notes)
	}
	// Declared by the administrator: the row applies, with the wire fact.
	ev.Scenario.FirewallShowsServiceAccount = true
	rows := computeVerdict(ev, GenericProfile(), &Report{})
	if len(rows) != 1 || rows[0].Scenario != ScenarioFirewallIdentity || !strings.Contains(rows[0].Reason, "http/curl-kerberos.txt:18 answered 200") {
		t.Errorf("verdict %+v", rows)
	}
}

func TestParseHTTPTraceProxy(t *testing.T) {
	f, err := os.Open("testdata/http/proxy-ntlm.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr, err := ParseHTTPTrace("http/proxy-ntlm.txt", f)
	if err != nil {
		t.Fatal(err)
	}
	toks, warns := tr.Tokens(context.Background())
	if len(warns) != 0 || len(toks) != 3 {
		t.Fatalf("tokens %d warnings %v", len(toks), warns)
	}
	kinds := []negotiate.TokenKind{negotiate.NTLMNegotiate, negotiate.NTLMChallenge, negotiate.NTLMAuthenticate}
	for i, k := range kinds {
		if toks[i].Token.Kind != k {
			t.Errorf("token %d kind %v want %v", i, toks[i].Token.Kind, k)
		}
	}
	if tr.Messages[3].Status != 200 || tr.Messages[2].Method != "GET" {
		t.Errorf("messages %+v", tr.Messages)
	}
	if _, err := ParseHTTPTrace("x", strings.NewReader("hello\nworld\n")); err == nil {
		t.Error("non-HTTP text accepted")
	}
}

func FuzzParseHTTPTrace(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, p := range []string{"testdata/http/curl-kerberos.txt", "testdata/http/proxy-ntlm.txt", "testdata/bundles/messy/http/broken.txt"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("GET / HTTP/1.1\nAuthorization: Negotiate YIIB\n\nHTTP/1.1 401 x\nWWW-Authenticate: Negotiate oRQwEqADCgEBoQsGCSqGSIb3EgECAg==, NTLM\n"))
	f.Add([]byte("\xff\xfeG\x00E\x00T\x00 \x00/\x00 \x00H\x00T\x00T\x00P\x00/\x001\x00.\x001\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		tr, err := ParseHTTPTrace("fuzz.txt", strings.NewReader(string(data)))
		if err != nil {
			return
		}
		if len(tr.Messages) == 0 {
			t.Fatal("no messages without an error")
		}
		toks, _ := tr.Tokens(context.Background())
		for _, tok := range toks {
			if tok.Token == nil {
				t.Fatal("nil token")
			}
		}
	})
}

// A file keeps its own name and extension (as a program's flag gives it):
// setspn output saved as spn.out is recognised by content.
func TestBundleReadsAnyExtension(t *testing.T) {
	fsys := fstest.MapFS{
		"setspn/spn.out": {Data: []byte("Registered ServicePrincipalNames for CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com:\r\n\tHOST/WEB01\r\n\tHTTP/web01.corp.example.com\r\n")},
		"setspn/README":  {Data: []byte("how this was collected")},
	}
	ev, err := LoadBundleFS(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Directory == nil || len(ev.Unusable) != 0 || len(ev.Warnings) != 0 {
		t.Fatalf("directory %v unusable %v warnings %v", ev.Directory, ev.Unusable, ev.Warnings)
	}
	ans, err := ev.Directory.Owners(context.Background(), "HTTP/web01.corp.example.com")
	if err != nil || len(ans.Accounts) != 1 {
		t.Fatalf("owners %+v %v", ans, err)
	}
}
