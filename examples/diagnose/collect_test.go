package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/diagnose/winevent"
	"github.com/iiskerb/iiskerb/iisconfig"
)

// fakeMachine is a Windows server for -collect tests: files by Windows
// path, command outputs, registry values, environment.
type fakeMachine struct {
	files fstest.MapFS
	env   map[string]string
	reg   map[string]string // key + "|" + value name
	join  string
	run   func(args []string) ([]byte, error)

	mu  sync.Mutex
	ran [][]string
}

// fsPath maps a Windows path to a MapFS name: C:\a\b -> C:/a/b, \\srv\s -> srv/s.
func fsPath(p string) string {
	return strings.Trim(strings.ReplaceAll(p, `\`, "/"), "/")
}

func (m *fakeMachine) addFile(winPath string, data []byte, mod time.Time) {
	m.files[fsPath(winPath)] = &fstest.MapFile{Data: data, ModTime: mod}
}

func (m *fakeMachine) Open(name string) (io.ReadCloser, error) { return m.files.Open(fsPath(name)) }
func (m *fakeMachine) ReadDir(name string) ([]fs.DirEntry, error) {
	return fs.ReadDir(m.files, fsPath(name))
}

func (m *fakeMachine) source(now time.Time) collectSource {
	return collectSource{
		Run: func(_ context.Context, name string, args ...string) ([]byte, error) {
			all := append([]string{name}, args...)
			m.mu.Lock()
			m.ran = append(m.ran, all)
			m.mu.Unlock()
			if m.run == nil {
				return nil, errors.New("not found")
			}
			return m.run(all)
		},
		FS:     m,
		Getenv: func(k string) string { return m.env[strings.ToLower(k)] },
		Registry: func(key, name string) (string, error) {
			if v, ok := m.reg[key+"|"+name]; ok {
				return v, nil
			}
			return "", errors.New("The system cannot find the file specified.")
		},
		JoinedDomain: func() (string, error) { return m.join, nil },
		Hostname:     func() (string, error) { return "ns01", nil },
		Now:          func() time.Time { return now },
	}
}

func readTestFile(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// wevtutilOutput renders event XML files as wevtutil qe /f:xml /e:Events
// prints them: one <Event> after another inside the root element.
func wevtutilOutput(t *testing.T, files ...string) []byte {
	var b bytes.Buffer
	b.WriteString("<Events>\r\n")
	for _, f := range files {
		s := string(readTestFile(t, filepath.Join("../../diagnose/winevent/testdata/corpus", f)))
		if i := strings.Index(s, "<Event"); i >= 0 {
			s = s[i:]
		}
		// Event Viewer's "- " collapse markers are not in wevtutil output.
		s = regexp.MustCompile(`(?m)^\s*- <`).ReplaceAllString(s, "<")
		b.WriteString(strings.TrimSpace(s) + "\r\n")
	}
	b.WriteString("</Events>\r\n")
	return b.Bytes()
}

// newNS01 is the ITMS Notification Server of the sample bundle as a
// machine: its applicationHost.config, a web.config, logs, and the outputs
// of setspn, klist and wevtutil taken from real samples.
func newNS01(t *testing.T, now time.Time) *fakeMachine {
	m := &fakeMachine{
		files: fstest.MapFS{},
		env:   map[string]string{"windir": `C:\Windows`, "systemdrive": "C:", "programdata": `C:\ProgramData`, "computername": "WRONG", "userdnsdomain": "USER.EXAMPLE.ORG"},
		reg: map[string]string{
			regComputerName + "|ComputerName": "NS01",
			regTcpip + "|Hostname":            "ns01",
			regTcpip + "|Domain":              "example.com",
		},
		join: "EXAMPLE",
	}
	recent := now.Add(-24 * time.Hour)
	m.addFile(`C:\Windows\System32\inetsrv\config\applicationHost.config`, readTestFile(t, "../../diagnose/sample/applicationHost.config"), recent)
	// A web.config at an unlocked application, one at a locked path (not
	// copied), and the real public ones beside them.
	m.addFile(`C:\Program Files\Altiris\Notification Server\Web\Agent\web.config`, []byte(`<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <connectionStrings><add name="ns" connectionString="Data Source=sql01;User ID=EXAMPLE\svc-sql;Password=agent-secret" /></connectionStrings>
  <system.webServer><security><authentication><windowsAuthentication enabled="true" authPersistNonNTLM="true" /></authentication></security></system.webServer>
</configuration>
`), recent)
	m.addFile(`C:\Program Files\Altiris\Notification Server\Web\web.config`, readTestFile(t, "testdata/collect/TwilioDevEd-airtng-csharp.Web.config"), recent)
	m.addFile(`C:\Program Files\Altiris\Notification Server\Web\Console\web.config`, readTestFile(t, "testdata/collect/1126048156-dangjian.Web.config"), recent)
	m.addFile(`C:\inetpub\wwwroot\web.config`, readTestFile(t, "testdata/collect/dnnsoftware-Dnn.Platform-development.web.config"), recent)
	// Logs: today's, and one older than -days.
	m.addFile(`C:\inetpub\logs\LogFiles\W3SVC1\u_ex260120.log`, readTestFile(t, "../../diagnose/sample/logs/iis/W3SVC1/u_ex260120.log"), recent)
	m.addFile(`C:\inetpub\logs\LogFiles\W3SVC1\u_ex250101.log`, []byte("#Fields: date time\n"), now.AddDate(0, 0, -60))
	m.addFile(`C:\inetpub\logs\LogFiles\W3SVC2\u_ex260120.log`, []byte("#Fields: date time\n"), recent) // another site's
	m.addFile(`C:\ProgramData\Symantec\Symantec Agent\Logs\AgentLog.log`, readTestFile(t, "../../diagnose/sample/logs/agent/AgentLog.log"), recent)

	m.run = func(a []string) ([]byte, error) {
		cmd := strings.Join(a, " ")
		switch {
		case cmd == "setspn -L NS01":
			return readTestFile(t, "../../diagnose/sample/setspn/NS01.txt"), nil
		case cmd == `setspn -L EXAMPLE\AltirisService`:
			return readTestFile(t, "../../diagnose/sample/setspn/AltirisService.txt"), nil
		case strings.HasPrefix(cmd, "setspn -Q HTTP/ns01.example.com"):
			return readTestFile(t, "../../spn/testdata/setspn-Q-found.txt"), nil
		case strings.HasPrefix(cmd, "setspn -Q "):
			return []byte("Checking domain DC=example,DC=com\r\n\r\nNo such SPN found.\r\n"), nil
		case cmd == "setspn -F -X":
			return readTestFile(t, "../../diagnose/sample/setspn/duplicates.txt"), nil
		case cmd == "klist":
			return readTestFile(t, "../../diagnose/sample/klist/WS021.txt"), nil
		case cmd == "klist get HTTP/NS01":
			return readTestFile(t, "../../negotiate/testdata/klist/real_supportarticles-klist-get-spn-missing.txt"), errors.New("exit status 1")
		case strings.HasPrefix(cmd, "klist get "):
			return readTestFile(t, "../../negotiate/testdata/klist/real_winserverdocs-klist-get-host-etype-notsupp.txt"), nil
		case strings.HasPrefix(cmd, "wevtutil qe Security") && strings.Contains(cmd, "4624"):
			return wevtutilOutput(t, "msdocs-4624-v2-interactive-negotiate.xml", "wazuhdocs-4625-singleline-type7-0xc000006a.xml"), nil
		case strings.HasPrefix(cmd, "wevtutil qe Security"):
			return wevtutilOutput(t, "msdocs-4769-aes-computer-service.xml"), nil
		case strings.HasPrefix(cmd, "wevtutil qe System") && strings.Contains(cmd, "Security-Kerberos"):
			return wevtutilOutput(t, "msblog-u2u-system-kerberos-3-0x1b-reconstructed.xml"), nil
		case strings.HasPrefix(cmd, "wevtutil qe System"):
			return wevtutilOutput(t), nil // no KDC on this server
		case strings.HasPrefix(cmd, "wevtutil qe Microsoft-Windows-NTLM/Operational"):
			return []byte("Failed to read events. The specified channel could not be found.\r\n"), errors.New("exit status 15007")
		}
		return nil, fmt.Errorf("unexpected command %q", cmd)
	}
	return m
}

// TestCollectPlan checks the plan built for the sample server: every
// command with its bounds, the web.config files where windowsAuthentication
// is unlocked, the log folder of each site.
func TestCollectPlan(t *testing.T) {
	now := time.Date(2026, 1, 21, 12, 0, 0, 0, time.UTC)
	m := newNS01(t, now)
	src := m.source(now)
	in := prepareForTest(t, src, 7)
	steps, notes := buildPlan(in)
	var lines []string
	for _, st := range steps {
		lines = append(lines, describeStep(st))
	}
	plan := strings.Join(lines, "\n")
	for _, want := range []string{
		"write host.json",
		`copy C:\Windows\System32\inetsrv\config\applicationHost.config > applicationHost.config (secrets removed)`,
		`copy C:\inetpub\wwwroot\web.config > webconfig/Default Web Site/web.config (secrets removed)`,
		`copy C:\Program Files\Altiris\Notification Server\Web\web.config > webconfig/Default Web Site/Altiris/web.config`,
		`copy C:\Program Files\Altiris\Notification Server\Web\Agent\web.config > webconfig/Default Web Site/Altiris/NS/Agent/web.config`,
		`copy C:\Program Files\Altiris\TaskManagement\Web\CTAgent\web.config > webconfig/Default Web Site/Altiris/TaskManagement/CTAgent/web.config`,
		`copy C:\ProgramData\Symantec\SMP\Packages\web.config > webconfig/Default Web Site/Altiris/PackageShare/web.config`,
		`run setspn -L NS01 > setspn/L-NS01.txt`,
		`run setspn -L EXAMPLE\AltirisService > setspn/L-EXAMPLE_AltirisService.txt`,
		`run setspn -Q HTTP/NS01 > setspn/Q-HTTP_NS01.txt`,
		`run setspn -Q HTTP/ns01.example.com > setspn/Q-HTTP_ns01.example.com.txt`,
		`run setspn -F -X > setspn/X-F.txt`,
		`run klist > klist/klist.txt`,
		`run klist get HTTP/NS01 > klist/get-HTTP_NS01.txt`,
		`run klist get HTTP/ns01.example.com > klist/get-HTTP_ns01.example.com.txt`,
		`run wevtutil qe Security "/q:*[System[(EventID=4624 or EventID=4625) and TimeCreated[timediff(@SystemTime) <= 604800000]]]" /c:5000 /rd:true /f:xml /e:Events > events/Security-logons.xml`,
		`(EventID=4768 or EventID=4769 or EventID=4770 or EventID=4771 or EventID=4776)`,
		`Provider[@Name='Microsoft-Windows-Security-Kerberos'] and (EventID=3 or EventID=4)`,
		`Provider[@Name='Microsoft-Windows-Kerberos-Key-Distribution-Center'] and (EventID=11 or EventID=201 or EventID=202 or EventID=203 or EventID=204 or EventID=205 or EventID=206 or EventID=207 or EventID=208 or EventID=209)`,
		`run wevtutil qe Microsoft-Windows-NTLM/Operational "/q:*[System[(EventID=8001 or EventID=8002 or EventID=8003 or EventID=8004)`,
		`copy C:\inetpub\logs\LogFiles\W3SVC1\** (modified since 2026-01-14, newest first up to 512.0 MiB) > logs/iis/W3SVC1/`,
		`copy C:\ProgramData\Symantec\Symantec Agent\Logs\** (modified since 2026-01-14, newest first up to 256.0 MiB) > logs/agent/`,
		`copy C:\ProgramData\Symantec\SMP\Logs\**`,
	} {
		if !strings.Contains(plan, want) {
			t.Errorf("plan lacks %s\nplan:\n%s", want, plan)
		}
	}
	for _, bad := range []string{"USER.EXAMPLE.ORG", "user.example.org", "WRONG", "W3SVC2"} {
		if strings.Contains(plan, bad) {
			t.Errorf("plan uses %q", bad)
		}
	}
	if string(steps[0].Data) != "{\n  \"computer\": \"NS01\",\n  \"domain\": \"EXAMPLE\",\n  \"fqdn\": \"ns01.example.com\",\n  \"realm\": \"EXAMPLE.COM\"\n}\n" {
		t.Errorf("host.json:\n%s", steps[0].Data)
	}
	if len(notes) != 0 {
		t.Errorf("notes: %q", notes)
	}
}

// prepareForTest builds the plan input as collect does.
func prepareForTest(t *testing.T, src collectSource, days int) planInput {
	t.Helper()
	src.ConfigPath = `C:\Windows\System32\inetsrv\config\applicationHost.config`
	in, notes := preparePlan(src, days, src.Now())
	if in.Config == nil || len(notes) > 0 {
		t.Fatalf("preparing the plan: %q", notes)
	}
	return in
}

// TestCollect runs the plan against the fake server and loads the bundle it
// writes with diagnose.LoadBundle: every part is read, no secret is in it,
// and stderr and README.txt list exactly what ran.
func TestCollect(t *testing.T) {
	now := time.Now().UTC()
	m := newNS01(t, now)
	dst := filepath.Join(t.TempDir(), "bundle")
	var msgs bytes.Buffer
	if err := collect(context.Background(), dst, 7, m.source(now), &msgs); err != nil {
		t.Fatal(err)
	}
	log := msgs.String()

	// Every command that ran is printed and listed in README.txt.
	readme := string(readTestFile(t, filepath.Join(dst, "README.txt")))
	for _, a := range m.ran {
		q := make([]string, len(a))
		for i, s := range a {
			q[i] = cmdQuote(s)
		}
		line := "run " + strings.Join(q, " ")
		if !strings.Contains(log, line) || !strings.Contains(readme, line) {
			t.Errorf("%s is not listed", line)
		}
	}
	if len(m.ran) != 2+2+1+1+2+5 {
		t.Errorf("%d commands ran: %q", len(m.ran), m.ran)
	}
	for _, want := range []string{
		`[ok] copy C:\Windows\System32\inetsrv\config\applicationHost.config > applicationHost.config (secrets removed): `,
		`[ok] copy C:\Program Files\Altiris\Notification Server\Web\Agent\web.config > webconfig/Default Web Site/Altiris/NS/Agent/web.config (secrets removed)`,
		`[skipped] copy C:\Program Files\Altiris\TaskManagement\Web\CTAgent\web.config`,
		`[failed] run klist get HTTP/NS01 > klist/get-HTTP_NS01.txt: (exit status 1); its output is kept`,
		`[failed] run wevtutil qe Microsoft-Windows-NTLM/Operational`,
		"nothing written",
		`[ok] copy C:\inetpub\logs\LogFiles\W3SVC1\** (modified since`,
		`> logs/iis/W3SVC1/: ok 1 files`,
		`[skipped] copy C:\ProgramData\Symantec\SMP\Logs\**`,
		`registry HKLM\SYSTEM\CurrentControlSet\Services\Tcpip\Parameters "Domain" = example.com`,
		"NetGetJoinInformation: joined to domain EXAMPLE",
	} {
		if !strings.Contains(readme+log, want) {
			t.Errorf("README/stderr lacks %q\nREADME:\n%s\nstderr:\n%s", want, readme, log)
		}
	}

	// No secret anywhere in the bundle; the user names are there.
	var all bytes.Buffer
	_ = filepath.WalkDir(dst, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "README.txt" {
			b, _ := os.ReadFile(p)
			all.Write(b)
		}
		return nil
	})
	for _, s := range []string{"[enc:", "agent-secret", "Password=lxy", "Your Twilio Auth Token", "F9D1A2D3E1D3E2F7B3D9F90FF3965ABDAC304902"} {
		if bytes.Contains(all.Bytes(), []byte(s)) {
			t.Errorf("%q is in the bundle", s)
		}
	}
	for _, s := range []string{`userName="EXAMPLE\AltirisService"`, `User ID=EXAMPLE\svc-sql`, "User ID=sa"} {
		if !bytes.Contains(all.Bytes(), []byte(s)) {
			t.Errorf("%q is not in the bundle", s)
		}
	}

	// The bundle loader reads every part.
	ev, err := diagnose.LoadBundle(context.Background(), dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ev.Warnings {
		t.Logf("warning: %s %s %s", w.Source, w.Locator, w.Message)
	}
	for _, u := range ev.Unusable {
		t.Errorf("unusable: %s: %s", u.Source, u.Reason)
	}
	if ev.Host.Computer != "NS01" || ev.Host.FQDN != "ns01.example.com" || ev.Host.Domain != "EXAMPLE" || ev.Host.Realm != "EXAMPLE.COM" {
		t.Errorf("host: %+v", ev.Host)
	}
	if ev.Config == nil || len(ev.Config.WebConfigs()) != 4 {
		t.Errorf("config %v with %d web.config files", ev.Config != nil, len(ev.Config.WebConfigs()))
	}
	if ev.Directory == nil {
		t.Error("no directory from setspn")
	}
	if len(ev.Klists) != 3 {
		t.Errorf("%d klist files read", len(ev.Klists))
	}
	if len(ev.IISLogs) != 1 || len(ev.AgentLogs) != 1 {
		t.Errorf("%d IIS logs, %d agent logs", len(ev.IISLogs), len(ev.AgentLogs))
	}
	ids := map[int]int{}
	for _, lf := range ev.Events {
		r, err := lf.Open()
		if err != nil {
			t.Fatal(err)
		}
		_, err = winevent.Scan(context.Background(), r, nil, func(e *winevent.Event) error { ids[e.ID]++; return nil })
		r.Close()
		if err != nil {
			t.Errorf("%s: %v", lf.Name, err)
		}
	}
	if len(ev.Events) != 4 || ids[4624] != 1 || ids[4625] != 1 || ids[4769] != 1 || ids[3] != 1 {
		t.Errorf("%d event files, events %v", len(ev.Events), ids)
	}

	// And it is analysed like any other bundle.
	code, out, errOut := runArgs(t, "-bundle", dst, "-format", "json")
	if code == exitFailed || !strings.Contains(out, `"profile": "itms"`) {
		t.Errorf("analysing the collected bundle: exit %d %s", code, errOut)
	}
	// A non-empty target is refused.
	if err := collect(context.Background(), dst, 7, m.source(now), &msgs); err == nil {
		t.Error("collect into a non-empty directory")
	}
}

// TestCollectWithoutConfig: an unreadable applicationHost.config and no
// domain still give a bundle, with the default IIS log folder and notes.
func TestCollectWithoutConfig(t *testing.T) {
	now := time.Now().UTC()
	m := &fakeMachine{files: fstest.MapFS{}, env: map[string]string{"systemdrive": "D:"}, reg: map[string]string{}}
	m.addFile(`D:\inetpub\logs\LogFiles\W3SVC3\u_ex260120.log`, readTestFile(t, "../../diagnose/sample/logs/iis/W3SVC1/u_ex260120.log"), now)
	dst := filepath.Join(t.TempDir(), "b")
	var msgs bytes.Buffer
	if err := collect(context.Background(), dst, 3, m.source(now), &msgs); err != nil {
		t.Fatal(err)
	}
	readme := string(readTestFile(t, filepath.Join(dst, "README.txt")))
	for _, want := range []string{"applicationHost.config: open", "not joined to a domain", "no primary DNS suffix",
		`[ok] copy D:\inetpub\logs\LogFiles\**`, "[failed] copy C:\\Windows\\System32\\inetsrv\\config\\applicationHost.config"} {
		if !strings.Contains(readme, want) {
			t.Errorf("README lacks %q:\n%s", want, readme)
		}
	}
	if _, err := os.Stat(filepath.Join(dst, "logs", "iis", "W3SVC3", "u_ex260120.log")); err != nil {
		t.Error(err)
	}
	hj := string(readTestFile(t, filepath.Join(dst, "host.json")))
	if !strings.Contains(hj, `"computer": "NS01"`) || strings.Contains(hj, "fqdn") || strings.Contains(hj, "domain") {
		t.Errorf("host.json: %s", hj)
	}
}

// TestIISLogSteps reads the log folders from the logFile settings of real
// configurations: per-site directory, siteDefaults, %SystemDrive%, formats.
func TestIISLogSteps(t *testing.T) {
	env := func(k string) string {
		if strings.EqualFold(k, "SystemDrive") {
			return "E:"
		}
		return ""
	}
	for _, c := range []struct {
		file string
		want []string
	}{
		{"01-pubslocator-fullIIS-139loc.config", []string{`D:\IISLogs\pubsprod\W3SVC`}},
		{"02-biztalk-fullIIS-64winauth.config", []string{`E:\inetpub\logs\LogFiles\EndOfDay\W3SVC`, `E:\inetpub\logs\LogFiles\W3SVC1 `}},
	} {
		raw := readTestFile(t, "../../iisconfig/testdata/corpus/"+c.file)
		cfg, doc := parseCleanConfig(t, raw)
		steps, notes := iisLogSteps(planInput{Config: cfg, Doc: doc, Getenv: env, Limits: defaultLimits}, time.Time{})
		var all []string
		for _, s := range steps {
			all = append(all, s.Src+" "+s.Dest)
		}
		got := strings.Join(all, "\n") + "\n"
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no %q in\n%s\nnotes %q", c.file, w, got, notes)
			}
		}
		if strings.Contains(got, "%SystemDrive%") {
			t.Errorf("%s: unexpanded: %s", c.file, got)
		}
	}
}

func parseCleanConfig(t *testing.T, raw []byte) (*iisconfig.Config, *etree.Document) {
	t.Helper()
	in, notes := preparePlan(collectSource{ConfigPath: "c", FS: oneFile(raw)}, 7, time.Now())
	if in.Config == nil {
		t.Fatalf("config: %q", notes)
	}
	return in.Config, in.Doc
}

// oneFile is a collectFS holding one file.
type oneFile []byte

func (f oneFile) Open(string) (io.ReadCloser, error)    { return io.NopCloser(bytes.NewReader(f)), nil }
func (f oneFile) ReadDir(string) ([]fs.DirEntry, error) { return nil, fs.ErrNotExist }

func TestExpandEnv(t *testing.T) {
	env := func(k string) string {
		return map[string]string{"systemdrive": "D:", "windir": `D:\Windows`}[strings.ToLower(k)]
	}
	for in, want := range map[string]string{
		`%SystemDrive%\inetpub\logs\LogFiles`: `D:\inetpub\logs\LogFiles`,
		`%windir%\x\%UNKNOWN%\y`:              `D:\Windows\x\%UNKNOWN%\y`,
		`100%`:                                `100%`,
	} {
		if got := expandEnv(in, env); got != want {
			t.Errorf("expandEnv(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCollectElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the local source exists on Windows")
	}
	code, _, errOut := runArgs(t, "-collect", filepath.Join(t.TempDir(), "b"))
	if code != exitFailed || !strings.Contains(errOut, "Windows-only") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
