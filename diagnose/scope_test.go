package diagnose

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/iiskerb/iiskerb/iisconfig"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func sampleConfig(t *testing.T) *iisconfig.Config {
	t.Helper()
	cfg, err := iisconfig.ParseFile("sample/applicationHost.config")
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestScope(t *testing.T) {
	cfg := sampleConfig(t)
	var got []Target
	var notes []string
	scopeCheck := testCheck("TST001", Info, func(ctx context.Context, p *Pass) error {
		got = p.Scope()
		if len(p.Applications()) == 0 {
			t.Error("no applications")
		}
		return nil
	}, EvConfig)
	run := func(ev *Evidence, prof *Profile) {
		t.Helper()
		rep, err := Diagnose(context.Background(), ev, &Options{Profile: prof, Checks: []string{"TST001"}, Extra: []*Check{scopeCheck}})
		if err != nil {
			t.Fatal(err)
		}
		notes = rep.Notes
	}

	run(&Evidence{Config: cfg, Host: Host{Role: "notification-server"}}, ITMSProfile())
	want := map[string]string{
		"Default Web Site/Altiris/NS/Agent":               RoleAgent,
		"Default Web Site/Altiris/TaskManagement/CTAgent": RoleTaskServer,
		"Default Web Site/Altiris/ClientTaskServer":       RoleTaskServer,
		"Default Web Site/Altiris/PackageShare":           RolePackage,
		"Default Web Site/Altiris/Console":                RoleConsole,
	}
	if len(got) != len(want) {
		t.Errorf("scope has %d targets, want %d: %+v", len(got), len(want), got)
	}
	for _, tg := range got {
		if want[tg.Path] != tg.Role() {
			t.Errorf("%s: role %q, want %q", tg.Path, tg.Role(), want[tg.Path])
		}
		if tg.Settings == nil || !tg.Settings.WindowsAuth.Enabled {
			t.Errorf("%s: settings %+v", tg.Path, tg.Settings)
		}
	}
	for _, tg := range got {
		if tg.Path == "Default Web Site/Altiris/TaskManagement/CTAgent" && tg.Settings.WindowsAuth.AuthPersistNonNTLM {
			t.Error("CTAgent authPersistNonNTLM should be the schema default false")
		}
	}
	if len(notes) != 0 {
		t.Errorf("a notification server does not host /Altiris/PS: no note expected, got %v", notes)
	}

	// Without a role, the missing package-server path is a note, not a finding.
	run(&Evidence{Config: cfg}, ITMSProfile())
	if len(notes) != 1 || !strings.Contains(notes[0], "Default Web Site/Altiris/PS is not configured") {
		t.Errorf("notes %v", notes)
	}

	// Generic: only the paths with Windows Authentication enabled, no rules.
	run(&Evidence{Config: cfg}, GenericProfile())
	if len(got) != 5 {
		t.Errorf("generic scope %d targets: %+v", len(got), got)
	}
	for _, tg := range got {
		if tg.Rule != nil {
			t.Errorf("%s: generic profile has a rule", tg.Path)
		}
	}
}

func TestSources(t *testing.T) {
	ev, err := LoadBundle(context.Background(), "sample")
	if err != nil {
		t.Fatal(err)
	}
	ev.Scenario.NTLMDisabled = true
	ev.TicketRequests = []TicketRequest{{SPN: "HTTP/ns01"}}
	got := strings.Join(sources(ev), "\n")
	want := strings.Join([]string{
		"config: applicationHost.config (1 site, 7 applications, 2 pools)",
		"host: NS01, ns01.example.com (notification-server)",
		"directory: offline evidence setspn/AltirisService.txt, setspn/NS01.txt, setspn/duplicates.txt",
		"tickets: 1 klist output (2 tickets), 1 ticket request",
		"iis-logs: 1 file",
		"agent-logs: 1 file",
		"scenario: NTLM disabled",
	}, "\n")
	if got != want {
		t.Errorf("sources:\n%s\nwant:\n%s", got, want)
	}
	if s := sources(&Evidence{}); len(s) != 0 {
		t.Errorf("empty evidence: %v", s)
	}
}

func TestDetectProfile(t *testing.T) {
	cfg := sampleConfig(t)
	if p := detectProfile(&Evidence{Config: cfg}); p.Name != "itms" {
		t.Errorf("config with /Altiris: %s", p.Name)
	}
	if p := detectProfile(&Evidence{Host: Host{Role: "task-server"}}); p.Name != "itms" {
		t.Errorf("task-server role: %s", p.Name)
	}
	if p := detectProfile(&Evidence{}); p.Name != "generic" {
		t.Errorf("nothing: %s", p.Name)
	}
	loc, err := iisconfig.Parse(strings.NewReader(`<configuration><system.applicationHost><sites>
<site name="S" id="1"><application path="/"><virtualDirectory path="/" physicalPath="c:\x" /></application></site>
</sites></system.applicationHost>
<location path="S/altiris/ns/agent"><system.webServer><security><authentication><windowsAuthentication enabled="true" /></authentication></security></system.webServer></location>
</configuration>`))
	if err != nil {
		t.Fatal(err)
	}
	if p := detectProfile(&Evidence{Config: loc}); p.Name != "itms" {
		t.Errorf("location under /Altiris: %s", p.Name)
	}
}

// Whatever the bytes in a bundle, loading and diagnosing never panics and
// never fails (the bundle directory itself is readable).
func FuzzLoadBundle(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add([]byte(`{"computer":"NS01","role":"task-server","ntlm_disabled":true}`),
		[]byte("Registered ServicePrincipalNames for CN=NS01,DC=x:\n\tHTTP/ns01\n"),
		[]byte("#0>\tClient: a @ B\n\tServer: HTTP/x @ B\n"),
		[]byte("GET / HTTP/1.1\nAuthorization: Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==\n"),
		[]byte("<configuration><system.applicationHost><sites><site name=\"S\" id=\"1\"><application path=\"/Altiris/CTAgent\" applicationPool=\"x\" /></site></sites></system.applicationHost></configuration>"))
	f.Add([]byte{0xff, 0xfe, '{', 0}, []byte{0xff, 0xfe}, []byte{}, []byte("HTTP/1.1 401 x\nWWW-Authenticate: Negotiate oQcwBaADCgEC\n"), []byte("<x"))
	f.Fuzz(func(t *testing.T, host, setspn, klist, http, config []byte) {
		fsys := fstest.MapFS{
			"host.json":              {Data: host},
			"setspn/a.txt":           {Data: setspn},
			"klist/a.txt":            {Data: klist},
			"http/a.txt":             {Data: http},
			"applicationHost.config": {Data: config},
			"logs/iis/u_ex1.log":     {Data: http},
			"logs/agent/a.log":       {Data: setspn},
		}
		ev, err := LoadBundleFS(context.Background(), fsys)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := Diagnose(context.Background(), ev, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			if r.Status == StatusError && strings.Contains(r.Reason, "panicked") {
				t.Errorf("%s panicked on hostile evidence: %s", r.CheckID, r.Reason)
			}
		}
	})
}

// ParseProfile reads profiles other products supply; Match takes subjects
// from findings and log URIs. Neither may panic.
func FuzzParseProfile(f *testing.F) {
	testenv.ShortFuzzMinimize()
	b, err := profileFS.ReadFile("profiles/itms.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b, "/Altiris/ClientTaskServer/Register.aspx")
	f.Add([]byte(`{"name":"x","paths":[{"path":"*/a"}]}`), "https://h/a?b#c")
	f.Add([]byte(`{"name":"x","paths":[{"path":"*/"}]}`), "*/")
	f.Fuzz(func(t *testing.T, data []byte, subject string) {
		p, err := ParseProfile(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed profile does not validate: %v", err)
		}
		if pp, ok := p.Match(subject); ok && pp == nil {
			t.Fatal("match without a path")
		}
	})
}
