package iisconfig

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// fieldValue renders the effective value of section/attr (names as for
// Settings.Origin) in s.
func fieldValue(t testing.TB, s *Settings, section, attr string) string {
	t.Helper()
	f, ok := lookupField(section, attr)
	if !ok {
		t.Fatalf("unknown field %s/%s", section, attr)
	}
	w := s.WindowsAuth
	switch f {
	case fWinEnabled:
		return fmt.Sprint(w.Enabled)
	case fWinProviders:
		return strings.Join(w.Providers, ",")
	case fWinKernel:
		return fmt.Sprint(w.UseKernelMode)
	case fWinAppPoolCreds:
		return fmt.Sprint(w.UseAppPoolCredentials)
	case fWinPersistNonNTLM:
		return fmt.Sprint(w.AuthPersistNonNTLM)
	case fWinPersistSingle:
		return fmt.Sprint(w.AuthPersistSingleRequest)
	case fEPTokenChecking:
		return w.ExtendedProtection.TokenChecking
	case fEPFlags:
		return w.ExtendedProtection.Flags
	case fEPSPNs:
		return strings.Join(w.ExtendedProtection.SPNs, ",")
	case fAnonEnabled:
		return fmt.Sprint(s.Anonymous.Enabled)
	case fAnonUser:
		return s.Anonymous.UserName
	case fBasicEnabled:
		return fmt.Sprint(s.Basic.Enabled)
	case fDigestEnabled:
		return fmt.Sprint(s.Digest.Enabled)
	}
	t.Fatalf("field %d not rendered", f)
	return ""
}

// sameAuth reports whether two settings agree on every authentication value.
func sameAuth(a, b *Settings) bool {
	return reflect.DeepEqual(a.WindowsAuth, b.WindowsAuth) && a.Anonymous == b.Anonymous && a.Basic == b.Basic && a.Digest == b.Digest
}

func mustApply(t *testing.T, c *Config, edits ...Edit) *Config {
	t.Helper()
	n, err := c.Apply(edits...)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return n
}

func setAttr(path, section, attr, value string) Edit {
	return Edit{Kind: SetAttribute, Path: path, Section: section, Attribute: attr, Value: value}
}

// want is one expectation on an applied Config: the effective value of
// section/attr at path and the kind and location path of its origin.
type want struct {
	path, section, attr string
	value               string
	kind                OriginKind
	locPath             string
}

func TestApplyCorpus(t *testing.T) {
	tests := []struct {
		name   string
		file   string
		edits  []Edit
		want   []want
		same   []string // paths whose authentication settings must not change
		newTag int      // <location> tags Apply is expected to add
	}{{
		name:  "existing location flows to children",
		file:  "02",
		edits: []Edit{setAttr("Default Web Site/BAM", secWindows, "authPersistNonNTLM", "true")},
		want: []want{
			{"Default Web Site/BAM", secWindows, "authPersistNonNTLM", "true", Location, "Default Web Site/BAM"},
			{"Default Web Site/BAM/BAMQueryService", secWindows, "authPersistNonNTLM", "true", Location, "Default Web Site/BAM"},
			{"Default Web Site/BAM/BAMQueryService/x.svc", secWindows, "authPersistNonNTLM", "true", Location, "Default Web Site/BAM"},
			{"Default Web Site", secWindows, "authPersistNonNTLM", "false", SchemaDefault, ""},
		},
		same: []string{"Default Web Site", "AIR", "ChequeStop"},
	}, {
		name:  "deeper location still wins",
		file:  "02",
		edits: []Edit{setAttr("Default Web Site/BAM", secWindows, "enabled", "false")},
		want: []want{
			{"Default Web Site/BAM", secWindows, "enabled", "false", Location, "Default Web Site/BAM"},
			{"Default Web Site/BAM/BAMQueryService", secWindows, "enabled", "true", Location, "Default Web Site/BAM/BAMQueryService"},
		},
		same: []string{"Default Web Site/BAM/BAMQueryService", "Default Web Site/BAM/BAMManagementService"},
	}, {
		name:  "server level flows where nothing overrides",
		file:  "13",
		edits: []Edit{setAttr("", secWindows, "authPersistNonNTLM", "TRUE"), setAttr(".", secWindows, "useKernelMode", "false")},
		want: []want{
			{"", secWindows, "authPersistNonNTLM", "true", ServerLevel, ""},
			{"mysite.example.com", secWindows, "authPersistNonNTLM", "true", ServerLevel, ""},
			{"mysite.example.com/any/dir", secWindows, "useKernelMode", "false", ServerLevel, ""},
			{"mysite.example.com", secWindows, "providers", "Negotiate,NTLM", ServerLevel, ""},
		},
	}, {
		name:  "providers replaced",
		file:  "22",
		edits: []Edit{{Kind: SetProviders, Path: "website1", Providers: []string{"Negotiate:Kerberos", "NTLM"}}},
		want: []want{
			{"WebSite1", secWindows, "providers", "Negotiate:Kerberos,NTLM", Location, "WebSite1"},
			{"WebSite1/test", secWindows, "providers", "Negotiate:Kerberos,NTLM", Location, "WebSite1"},
			{"WebSite1", secWindows, "enabled", "false", Location, "WebSite1"},
			{"WebSite2", secWindows, "providers", "Negotiate,NTLM", ServerLevel, ""},
		},
		same: []string{"WebSite2", "GuessMeWeb"},
	}, {
		name: "providers replaced twice, server level",
		file: "22",
		edits: []Edit{
			{Kind: SetProviders, Providers: []string{"NTLM"}},
			{Kind: SetProviders, Section: "windowsAuthentication", Providers: []string{"Negotiate"}},
		},
		want: []want{
			{"", secWindows, "providers", "Negotiate", ServerLevel, ""},
			{"WebSite2", secWindows, "providers", "Negotiate", ServerLevel, ""},
		},
	}, {
		name:  "dotted child attribute in a tag without authentication",
		file:  "22",
		edits: []Edit{setAttr("WebSite1/test", secWindows, "extendedProtection.tokenChecking", "require")},
		want: []want{
			{"WebSite1/test", secWindows, "extendedProtection/tokenChecking", "Require", Location, "WebSite1/test"},
			{"WebSite1", secWindows, "extendedProtection/tokenChecking", "None", SchemaDefault, ""},
			{"WebSite2", secWindows, "extendedProtection/tokenChecking", "Allow", Location, "WebSite2"},
		},
		same: []string{"WebSite1", "WebSite2"},
	}, {
		name: "new location tag for an application",
		file: "10",
		edits: []Edit{
			setAttr("Default Web Site/iris", secWindows, "enabled", "true"),
			setAttr("default web site/IRIS/", secAnonymous, "enabled", "false"),
		},
		want: []want{
			{"Default Web Site/iris", secWindows, "enabled", "true", Location, "Default Web Site/iris"},
			{"Default Web Site/iris", secAnonymous, "enabled", "false", Location, "Default Web Site/iris"},
			{"Default Web Site/iris/isc", secWindows, "enabled", "true", Location, "Default Web Site/iris"},
		},
		same:   []string{"Default Web Site", "Default Web Site/csp"},
		newTag: 1,
	}, {
		name:  "anonymous user",
		file:  "18",
		edits: []Edit{setAttr("WindowsAuthenticationSample-Site/WindowsAuthSample", "AnonymousAuthentication", "USERNAME", `CORP\anon`)},
		want: []want{
			{"WindowsAuthenticationSample-Site/WindowsAuthSample", secAnonymous, "userName", `CORP\anon`, Location, "WindowsAuthenticationSample-Site/WindowsAuthSample"},
			{"WindowsAuthenticationSample-Site", secAnonymous, "userName", "", ServerLevel, ""},
		},
		same: []string{"WindowsAuthenticationSample", "WindowsAuthenticationSample-Site"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := loadCorpus(t, tc.file)
			n := mustApply(t, c, tc.edits...)
			if got := len(n.Locations) - len(c.Locations); got != tc.newTag {
				t.Errorf("Apply added %d location tags, want %d", got, tc.newTag)
			}
			if len(n.Warnings) != len(c.Warnings) {
				t.Errorf("warnings %d -> %d: %v", len(c.Warnings), len(n.Warnings), n.Warnings)
			}
			for _, w := range tc.want {
				s := mustEffective(t, n, w.path)
				if got := fieldValue(t, s, w.section, w.attr); got != w.value {
					t.Errorf("%s %s/%s = %q, want %q", w.path, w.section, w.attr, got, w.value)
				}
				o := s.Origin(w.section, w.attr)
				if o.Kind != w.kind || o.LocationPath != w.locPath {
					t.Errorf("%s %s/%s origin %v %q, want %v %q", w.path, w.section, w.attr, o.Kind, o.LocationPath, w.kind, w.locPath)
				}
				if o.Kind != SchemaDefault && n.Line(o.Locator) <= 0 {
					t.Errorf("%s %s/%s: origin has no line", w.path, w.section, w.attr)
				}
			}
			for _, p := range tc.same {
				if !sameAuth(mustEffective(t, c, p), mustEffective(t, n, p)) {
					t.Errorf("%s changed", p)
				}
			}
		})
	}
}

// TestApplyEveryCorpusFile sets authPersistNonNTLM at the deepest
// application of every corpus file and checks every enumerated path: those
// under it take the new value unless a deeper location sets it, all others
// are unchanged.
func TestApplyEveryCorpusFile(t *testing.T) {
	for _, f := range corpusFiles(t) {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c, err := ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var target *Application
			for _, site := range c.Sites {
				for _, app := range site.Applications {
					if target == nil || strings.Count(app.key, "/") > strings.Count(target.key, "/") {
						target = app
					}
				}
			}
			if target == nil {
				t.Skip("no application")
			}
			n := mustApply(t, c, setAttr(target.FullPath(), secWindows, "authPersistNonNTLM", "true"),
				setAttr("", secBasic, "enabled", "true"))
			if len(n.Warnings) != len(c.Warnings) {
				t.Errorf("warnings %d -> %d", len(c.Warnings), len(n.Warnings))
			}
			before := c.Applications()
			after := n.Applications()
			if len(before) != len(after) && len(after) != len(before)+1 {
				t.Fatalf("Applications: %d -> %d entries", len(before), len(after))
			}
			for _, old := range before {
				if old.Site == "" {
					continue
				}
				s := mustEffective(t, n, old.Path)
				key := normKey(old.Path)
				under := key == target.key || strings.HasPrefix(key, target.key+"/")
				o := old.Origin(secWindows, "authPersistNonNTLM")
				deeper := o.Kind == Location && len(normKey(o.LocationPath)) > len(target.key)
				wantPersist := old.WindowsAuth.AuthPersistNonNTLM
				if under && !deeper {
					wantPersist = true
				}
				if s.WindowsAuth.AuthPersistNonNTLM != wantPersist {
					t.Errorf("%s: authPersistNonNTLM %v, want %v", old.Path, s.WindowsAuth.AuthPersistNonNTLM, wantPersist)
				}
				if ob := old.Origin(secBasic, "enabled"); ob.Kind != Location && !s.Basic.Enabled {
					t.Errorf("%s: server-level basic enabled did not flow", old.Path)
				}
				// Everything else is unchanged.
				s.WindowsAuth.AuthPersistNonNTLM = old.WindowsAuth.AuthPersistNonNTLM
				s.Basic = old.Basic
				if !sameAuth(old, s) || s.AppPoolName != old.AppPoolName || s.Decrypting != old.Decrypting {
					t.Errorf("%s: other settings changed", old.Path)
				}
			}
			if o := mustEffective(t, n, target.FullPath()).Origin(secWindows, "authPersistNonNTLM"); o.Kind != Location || normKey(o.LocationPath) != target.key {
				t.Errorf("origin %+v", o)
			}
		})
	}
}

func TestApplyLeavesOriginal(t *testing.T) {
	c := loadCorpus(t, "02")
	docBefore, _ := c.src.doc.WriteToString()
	before := c.Applications()
	line := c.Line(c.Locations[len(c.Locations)-1].Locator)
	n := mustApply(t, c,
		setAttr("Default Web Site/BAM", secWindows, "useAppPoolCredentials", "true"),
		Edit{Kind: SetProviders, Path: "Default Web Site", Providers: []string{"NTLM"}},
		Edit{Kind: SetAppPoolIdentity, AppPool: "BAMAppPool", IdentityType: NetworkService},
		Edit{Kind: SetApplicationPool, Path: "Default Web Site/BAM/BAMQueryService", AppPool: "DefaultAppPool"},
	)
	if n == c || n.src == c.src {
		t.Fatal("Apply returned the same Config")
	}
	if docAfter, _ := c.src.doc.WriteToString(); docAfter != docBefore {
		t.Error("the original document changed")
	}
	if after := c.Applications(); !reflect.DeepEqual(before, after) {
		t.Error("the original's effective settings changed")
	}
	if got := c.Line(c.Locations[len(c.Locations)-1].Locator); got != line {
		t.Errorf("original line %d -> %d", line, got)
	}
	if p := c.AppPool("BAMAppPool"); p.IdentityType == NetworkService {
		t.Error("original pool changed")
	}
	if p := n.AppPool("BAMAppPool"); p.IdentityType != NetworkService || p.IdentityFromDefaults {
		t.Errorf("new pool %+v", p)
	}
	if s := mustEffective(t, n, "Default Web Site/BAM/BAMQueryService"); s.AppPoolName != "DefaultAppPool" || !s.WindowsAuth.UseAppPoolCredentials || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"NTLM"}) {
		t.Errorf("applied: %s %+v", s.AppPoolName, s.WindowsAuth)
	}
	if n.Name != c.Name || n.Schema() != c.Schema() {
		t.Error("name or schema not kept")
	}
	// Passwords stay redacted in the copy.
	if bytes.Contains(n.src.data, []byte("enc:IISWASOnlyAesProvider")) {
		t.Error("a password survived Apply")
	}
}

func TestApplyPlacement(t *testing.T) {
	const ws = `<system.webServer><security><authentication><windowsAuthentication %s /></authentication></security></system.webServer>`
	loc := func(attrs, inner string) string {
		return `<location ` + attrs + `>` + fmt.Sprintf(ws, inner) + `</location>`
	}
	tests := []struct {
		name    string
		trailer string
		edit    Edit
		want    []want
		newTag  int
	}{{
		name:    "path normalised and case-insensitive",
		trailer: loc(`path="Default Web Site/Altiris"`, `enabled="true"`),
		edit:    setAttr("/default web site//ALTIRIS/", secWindows, "authPersistNonNTLM", "true"),
		want: []want{
			{"Default Web Site/Altiris", secWindows, "authPersistNonNTLM", "true", Location, "Default Web Site/Altiris"},
			{"Default Web Site/Altiris/NS", secWindows, "authPersistNonNTLM", "true", Location, "Default Web Site/Altiris"},
		},
	}, {
		name:    "last of two tags",
		trailer: loc(`path="Default Web Site/Altiris"`, `enabled="true"`) + loc(`path="default web site/altiris"`, `enabled="false"`),
		edit:    setAttr("Default Web Site/Altiris", secWindows, "enabled", "true"),
		want:    []want{{"Default Web Site/Altiris", secWindows, "enabled", "true", Location, "default web site/altiris"}},
	}, {
		name:    "inheritInChildApplications=false is skipped",
		trailer: loc(`path="Default Web Site/Altiris" inheritInChildApplications="false"`, `enabled="true"`),
		edit:    setAttr("Default Web Site/Altiris", secWindows, "useKernelMode", "false"),
		want: []want{
			{"Default Web Site/Altiris", secWindows, "useKernelMode", "false", Location, "Default Web Site/Altiris"},
			{"Default Web Site/Altiris/NS", secWindows, "useKernelMode", "false", Location, "Default Web Site/Altiris"},
			{"Default Web Site/Altiris/NS", secWindows, "enabled", "false", ServerLevel, ""},
		},
		newTag: 1,
	}, {
		name:    "legacy allowOverride is skipped",
		trailer: loc(`path="Default Web Site/Altiris" allowOverride="true"`, `enabled="true"`),
		edit:    setAttr("Default Web Site/Altiris", secWindows, "enabled", "false"),
		want:    []want{{"Default Web Site/Altiris", secWindows, "enabled", "false", Location, "Default Web Site/Altiris"}},
		newTag:  1,
	}, {
		name: "a skipped tag after the eligible one would override",
		trailer: loc(`path="Default Web Site/Altiris"`, `enabled="true"`) +
			loc(`path="Default Web Site/Altiris" inheritInChildApplications="false"`, `authPersistNonNTLM="false"`),
		edit: setAttr("Default Web Site/Altiris", secWindows, "authPersistNonNTLM", "true"),
		want: []want{
			{"Default Web Site/Altiris", secWindows, "authPersistNonNTLM", "true", Location, "Default Web Site/Altiris"},
			{"Default Web Site/Altiris", secWindows, "enabled", "true", Location, "Default Web Site/Altiris"},
		},
		newTag: 1,
	}, {
		name:    "server level inside a later location path=\"\"",
		trailer: loc(`path="" overrideMode="Allow"`, `useKernelMode="true"`),
		edit:    setAttr("", secWindows, "useKernelMode", "false"),
		want: []want{
			{"", secWindows, "useKernelMode", "false", ServerLevel, ""},
			{"Default Web Site/x", secWindows, "useKernelMode", "false", ServerLevel, ""},
		},
	}, {
		name:    "location for a file",
		trailer: "",
		edit:    setAttr("Default Web Site/Altiris/NS/Agent/Get.aspx", secBasic, "enabled", "true"),
		want: []want{
			{"Default Web Site/Altiris/NS/Agent/Get.aspx", secBasic, "enabled", "true", Location, "Default Web Site/Altiris/NS/Agent/Get.aspx"},
			{"Default Web Site/Altiris/NS/Agent", secBasic, "enabled", "false", SchemaDefault, ""},
		},
		newTag: 1,
	}, {
		name:    "site spelled as in the config",
		trailer: "",
		edit:    setAttr("DEFAULT WEB SITE/Altiris", secDigest, "enabled", "true"),
		want:    []want{{"Default Web Site/Altiris", secDigest, "enabled", "true", Location, "Default Web Site/Altiris"}},
		newTag:  1,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := parseString(t, mini(stdPools, stdSites, stdServer, tc.trailer))
			n := mustApply(t, c, tc.edit)
			if got := len(n.Locations) - len(c.Locations); got != tc.newTag {
				t.Errorf("Apply added %d location tags, want %d", got, tc.newTag)
			}
			for _, w := range tc.want {
				s := mustEffective(t, n, w.path)
				if got := fieldValue(t, s, w.section, w.attr); got != w.value {
					t.Errorf("%s %s/%s = %q, want %q", w.path, w.section, w.attr, got, w.value)
				}
				if o := s.Origin(w.section, w.attr); o.Kind != w.kind || o.LocationPath != w.locPath {
					t.Errorf("%s %s/%s origin %v %q, want %v %q", w.path, w.section, w.attr, o.Kind, o.LocationPath, w.kind, w.locPath)
				}
			}
		})
	}
}

func TestApplyServerLevelRootAfterLocation(t *testing.T) {
	c := parseString(t, `<configuration><system.applicationHost><sites><site name="S"><application path="/" /></site></sites></system.applicationHost>
<location path="."><system.webServer><security><authentication><windowsAuthentication enabled="false" /></authentication></security></system.webServer></location>
<system.webServer><security><authentication><windowsAuthentication enabled="false" /></authentication></security></system.webServer>
</configuration>`)
	n := mustApply(t, c, setAttr("", secWindows, "enabled", "true"))
	if s := mustEffective(t, n, "S"); !s.WindowsAuth.Enabled || s.Origin(secWindows, "enabled").LocationPath != "" {
		t.Errorf("%+v %+v", s.WindowsAuth, s.Origin(secWindows, "enabled"))
	}
}

// TestApplyConcurrent applies edits to one Config from several goroutines
// (run with -race).
func TestApplyConcurrent(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, ""))
	done := make(chan error)
	for i := range 4 {
		go func() {
			n, err := c.Apply(setAttr("Default Web Site/Altiris", secWindows, "enabled", fmt.Sprint(i%2 == 0)))
			if err == nil {
				_, err = n.Effective("Default Web Site/Altiris")
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

func TestApplyServerLevelCreated(t *testing.T) {
	c := parseString(t, `<configuration><system.applicationHost><sites><site name="S"><application path="/" /></site></sites></system.applicationHost></configuration>`)
	n := mustApply(t, c, setAttr("", secWindows, "enabled", "true"), Edit{Kind: SetProviders, Providers: []string{"Negotiate"}})
	s := mustEffective(t, n, "S")
	if !s.WindowsAuth.Enabled || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate"}) {
		t.Errorf("%+v", s.WindowsAuth)
	}
	if o := s.Origin(secWindows, "enabled"); o.Kind != ServerLevel || n.Describe(o) == "" || n.Line(o.Locator) == 0 {
		t.Errorf("origin %+v", o)
	}
}

func TestApplyEditsInOrder(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, ""))
	n := mustApply(t, c,
		setAttr("Default Web Site/Altiris/NS", secWindows, "authPersistNonNTLM", "false"),
		setAttr("Default Web Site/Altiris", secWindows, "authPersistNonNTLM", "true"),
		setAttr("Default Web Site/Altiris", secWindows, "enabled", "true"),
		setAttr("Default Web Site/Altiris", secWindows, "enabled", "false"),
		Edit{Kind: SetAppPoolIdentity, AppPool: "defaultapppool", IdentityType: SpecificUser, UserName: `CORP\svc-def`},
		setAttr("Default Web Site", secWindows, "useAppPoolCredentials", "true"),
	)
	if len(n.Locations) != 3 {
		t.Errorf("%d location tags, want 3 (edits at one path share a tag)", len(n.Locations))
	}
	if s := mustEffective(t, n, "Default Web Site/Altiris/NS/Agent"); s.WindowsAuth.AuthPersistNonNTLM || s.WindowsAuth.Enabled {
		t.Errorf("NS/Agent: %+v", s.WindowsAuth)
	}
	if s := mustEffective(t, n, "Default Web Site/Altiris/Other"); !s.WindowsAuth.AuthPersistNonNTLM || s.WindowsAuth.Enabled {
		t.Errorf("Altiris/Other: %+v", s.WindowsAuth)
	}
	s := mustEffective(t, n, "Default Web Site")
	if s.Decrypting.Kind != DomainAccount || s.Decrypting.Account != `CORP\svc-def` {
		t.Errorf("decrypting %+v", s.Decrypting)
	}
	if p := n.AppPool("DefaultAppPool"); p.UserName != `CORP\svc-def` || p.IdentityFromDefaults {
		t.Errorf("pool %+v", p)
	}
}

func TestApplyPools(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, ""))
	n := mustApply(t, c,
		Edit{Kind: SetAppPoolIdentity, AppPool: "Svc", IdentityType: ApplicationPoolIdentity},
		Edit{Kind: SetApplicationPool, Path: "Default Web Site/Altiris/NS/Agent/", AppPool: "Missing"},
	)
	if p := n.AppPool("Svc"); p.IdentityType != ApplicationPoolIdentity || p.UserName != `CORP\svc-web` {
		t.Errorf("Svc %+v (userName is left as written, like appcmd)", p)
	}
	if s := mustEffective(t, n, "Default Web Site/Altiris/NS"); s.Decrypting.Kind != ComputerAccount {
		t.Errorf("NS decrypting %+v", s.Decrypting)
	}
	if s := mustEffective(t, n, "Default Web Site/Altiris/NS/Agent"); s.AppPoolName != "Missing" || s.AppPool != nil || s.Decrypting.Kind != Undetermined {
		t.Errorf("Agent %s %+v", s.AppPoolName, s.Decrypting)
	}
	found := false
	for _, w := range n.Warnings {
		found = found || w.Kind == WarnUnknownAppPool && strings.Contains(w.Message, "Missing")
	}
	if !found {
		t.Errorf("no unknown-app-pool warning: %v", n.Warnings)
	}
	if bytes.Contains(n.src.data, []byte("S3cretPassw0rd!")) || bytes.Contains(n.src.data, []byte("vdirSecret")) {
		t.Error("a password survived Apply")
	}
}

func TestApplyErrors(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, ""))
	ok := setAttr("Default Web Site", secWindows, "enabled", "true")
	tests := []struct {
		edit Edit
		err  error
	}{
		{Edit{}, ErrUnknownEditKind},
		{Edit{Kind: 99}, ErrUnknownEditKind},
		{setAttr("Default Web Site", "formsAuthentication", "enabled", "true"), ErrUnknownSection},
		{setAttr("Default Web Site", secWindows, "password", "x"), ErrUnknownAttribute},
		{setAttr("Default Web Site", secAnonymous, "password", "x"), ErrUnknownAttribute},
		{setAttr("Default Web Site", secBasic, "useKernelMode", "true"), ErrUnknownAttribute},
		{setAttr("Default Web Site", secWindows, "providers", "NTLM"), ErrUnknownAttribute},
		{setAttr("Default Web Site", secWindows, "enabled", "yes"), ErrInvalidValue},
		{setAttr("Default Web Site", secWindows, "extendedProtection.tokenChecking", "Always"), ErrInvalidValue},
		{setAttr("Default Web Site", secWindows, "extendedProtection.flags", "Proxy,Bogus"), ErrInvalidValue},
		{setAttr("Default Web Site", secAnonymous, "userName", "a\x00b"), ErrInvalidValue},
		{setAttr("No Such Site/app", secWindows, "enabled", "true"), ErrUnknownSite},
		{setAttr("Default Web Site\x01", secWindows, "enabled", "true"), ErrInvalidValue},
		{Edit{Kind: SetProviders, Path: "Default Web Site", Section: secAnonymous, Providers: []string{"NTLM"}}, ErrUnknownSection},
		{Edit{Kind: SetProviders, Path: "Default Web Site", Providers: []string{"NTLM", "ntlm"}}, ErrInvalidValue},
		{Edit{Kind: SetProviders, Path: "Default Web Site", Providers: []string{" "}}, ErrInvalidValue},
		{Edit{Kind: SetProviders, Path: "Nope", Providers: []string{"NTLM"}}, ErrUnknownSite},
		{Edit{Kind: SetAppPoolIdentity, AppPool: "Nope", IdentityType: NetworkService}, ErrUnknownAppPool},
		{Edit{Kind: SetAppPoolIdentity, AppPool: "Svc", IdentityType: IdentityUnknown}, ErrInvalidValue},
		{Edit{Kind: SetAppPoolIdentity, AppPool: "Svc", IdentityType: SpecificUser}, ErrInvalidValue},
		{Edit{Kind: SetAppPoolIdentity, AppPool: "Svc", IdentityType: NetworkService, UserName: "x"}, ErrInvalidValue},
		{Edit{Kind: SetApplicationPool, Path: "Default Web Site/Altiris", AppPool: "Svc"}, ErrUnknownApplication},
		{Edit{Kind: SetApplicationPool, Path: "Nope", AppPool: "Svc"}, ErrUnknownSite},
		{Edit{Kind: SetApplicationPool, Path: "/", AppPool: "Svc"}, ErrEmptyPath},
		{Edit{Kind: SetApplicationPool, Path: "Default Web Site", AppPool: ""}, ErrInvalidValue},
	}
	for _, tc := range tests {
		t.Run(tc.edit.String(), func(t *testing.T) {
			n, err := c.Apply(ok, tc.edit)
			if n != nil || !errors.Is(err, tc.err) {
				t.Fatalf("Apply = %v, %v; want %v", n, err, tc.err)
			}
			var ee *EditError
			if !errors.As(err, &ee) || ee.Index != 1 || !reflect.DeepEqual(ee.Edit, tc.edit) {
				t.Fatalf("error %#v is not an *EditError for edit 1", err)
			}
			if !strings.HasPrefix(err.Error(), "iisconfig: edit 1 (") {
				t.Errorf("Error() = %q", err)
			}
		})
	}
	if _, err := (&Config{}).Apply(ok); err == nil {
		t.Error("Apply on a zero Config succeeded")
	}
}

func TestEditString(t *testing.T) {
	tests := []struct {
		e    Edit
		want string
	}{
		{setAttr("Default Web Site/Altiris/", secWindows, "authPersistNonNTLM", "true"), "set windowsAuthentication authPersistNonNTLM=true at Default Web Site/Altiris"},
		{setAttr("", secWindows, "extendedProtection.tokenChecking", "Require"), "set windowsAuthentication extendedProtection.tokenChecking=Require at server level"},
		{setAttr("S", secAnonymous, "userName", ""), `set anonymousAuthentication userName="" at S`},
		{Edit{Kind: SetProviders, Path: "S/a", Providers: []string{"Negotiate", "NTLM"}}, "set windowsAuthentication providers=Negotiate,NTLM at S/a"},
		{Edit{Kind: SetAppPoolIdentity, AppPool: "NS Pool", IdentityType: SpecificUser, UserName: `CORP\svc`}, `set application pool "NS Pool" identityType=SpecificUser userName=CORP\svc`},
		{Edit{Kind: SetApplicationPool, Path: "S/a", AppPool: "P"}, "set applicationPool=P on application S/a"},
		{Edit{Kind: 7}, "unknown edit EditKind(7)"},
	}
	for _, tc := range tests {
		if got := tc.e.String(); got != tc.want {
			t.Errorf("String() = %q, want %q", got, tc.want)
		}
	}
	if SetProviders.String() != "set-providers" {
		t.Error(SetProviders.String())
	}
}

// FuzzApply builds edits from the fuzz input and applies them to a small
// config: Apply must never panic, must fail only with an *EditError, and a
// result must resolve every path it enumerates.
func FuzzApply(f *testing.F) {
	testenv.ShortFuzzMinimize()
	base := parseStringF(f, mini(stdPools, stdSites, stdServer, `<location path="Default Web Site/Altiris" inheritInChildApplications="false"><system.webServer><security><authentication><windowsAuthentication enabled="true"><providers><add value="NTLM"/></providers></windowsAuthentication></authentication></security></system.webServer></location><location path="" overrideMode="Allow"><system.webServer><security><authentication><anonymousAuthentication enabled="false"/></authentication></security></system.webServer></location>`))
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 0, 0})
	f.Add([]byte{1, 0, 0, 0, 2, 1, 2, 5, 3, 1, 4, 0})
	f.Add([]byte("\x00\x02\x00\x05\x03Default Web Site/x\x00"))
	f.Add([]byte{2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	paths := []string{"", "Default Web Site", "Default Web Site/Altiris", "default web site/altiris/ns/", "Default Web Site/Altiris/NS/Agent", "Nope", "/", "Default Web Site/a.aspx"}
	sections := []string{secWindows, secAnonymous, secBasic, secDigest, "", "bogus"}
	attrs := []string{"enabled", "useKernelMode", "useAppPoolCredentials", "authPersistNonNTLM", "authPersistSingleRequest", "extendedProtection.tokenChecking", "extendedProtection/flags", "userName", "password", "providers"}
	values := []string{"true", "false", "True", "None", "Allow", "Require", "Proxy, NoServiceNameCheck", "", "IUSR", "x<&\"'>"}
	pools := []string{"DefaultAppPool", "svc", "Local", "Missing", ""}
	f.Fuzz(func(t *testing.T, data []byte) {
		pick := func(n int) int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b) % n
		}
		var edits []Edit
		for len(data) > 0 && len(edits) < 8 {
			e := Edit{Kind: EditKind(pick(6))}
			e.Path = paths[pick(len(paths))]
			if pick(4) == 0 && len(data) > 0 {
				// A path taken from the input itself.
				n := min(pick(256), len(data))
				e.Path += "/" + string(data[:n])
				data = data[n:]
			}
			e.Section = sections[pick(len(sections))]
			e.Attribute = attrs[pick(len(attrs))]
			e.Value = values[pick(len(values))]
			for i, n := 0, pick(4); i < n; i++ {
				e.Providers = append(e.Providers, []string{"Negotiate", "NTLM", "Negotiate:Kerberos", "ntlm"}[pick(4)])
			}
			e.AppPool = pools[pick(len(pools))]
			e.IdentityType = IdentityType(pick(7))
			if e.IdentityType == SpecificUser {
				e.UserName = `CORP\svc`
			}
			_ = e.String()
			edits = append(edits, e)
		}
		n, err := base.Apply(edits...)
		if err != nil {
			var ee *EditError
			if !errors.As(err, &ee) {
				t.Fatalf("error %T is not an *EditError: %v", err, err)
			}
			_ = ee.Error()
			return
		}
		for _, s := range n.Applications() {
			if s.Site != "" {
				if _, err := n.Effective(s.Path); err != nil {
					t.Fatalf("enumerated path %q does not resolve: %v", s.Path, err)
				}
			}
		}
		// The last edit, when it sets an attribute, is visible at its path.
		if len(edits) == 0 {
			return
		}
		if last := edits[len(edits)-1]; last.Kind == SetAttribute {
			s, err := n.Effective(last.Path)
			if err != nil {
				t.Fatalf("Effective(%q): %v", last.Path, err)
			}
			want, _ := canonicalValue(editValueType(t, last), last.Value)
			if got := fieldValue(t, s, last.Section, last.Attribute); got != want {
				t.Fatalf("%s: got %q", last, got)
			}
		}
	})
}

func editValueType(t testing.TB, e Edit) int {
	section, _ := canonicalSection(e.Section)
	_, _, typ, ok := lookupEditAttr(section, e.Attribute)
	if !ok {
		t.Fatalf("applied an unknown attribute: %s", e)
	}
	return typ
}

func parseStringF(f *testing.F, s string) *Config {
	c, err := Parse(strings.NewReader(s))
	if err != nil {
		f.Fatal(err)
	}
	return c
}
