package iisconfig

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

func parseWeb(t testing.TB, name, path, text string) *WebConfig {
	t.Helper()
	w, err := ParseWebConfig(name, path, strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseWebConfig(%s): %v", name, err)
	}
	return w
}

// webAuth wraps authentication sections in a web.config.
func webAuth(sections string) string {
	return "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<configuration>\n  <connectionStrings>\n    <add name=\"db\" connectionString=\"Server=sql;User Id=app;Password=DbSecret1\" />\n  </connectionStrings>\n" +
		"  <system.webServer>\n    <security>\n      <authentication>\n" + sections + "\n      </authentication>\n    </security>\n  </system.webServer>\n</configuration>\n"
}

const unlockWindows = `<location path="Default Web Site" overrideMode="Allow"><system.webServer><security><authentication><windowsAuthentication /></authentication></security></system.webServer></location>`

// A standard IIS install (corpus 13: sections declared Deny, the
// <location path="" overrideMode="Allow"> holds only modules and handlers):
// a web.config cannot set windowsAuthentication, IIS answers with 500.19,
// and the apphost value stays.
func TestWebConfigLockedOnStandardInstall(t *testing.T) {
	c := loadCorpus(t, "13")
	site := c.Sites[0].Name
	name := "webconfig/" + site + "/web.config"
	w := parseWeb(t, name, site, webAuth(`        <windowsAuthentication enabled="true" />`))
	wc := c.WithWebConfigs(w)
	s := mustEffective(t, wc, site+"/app/page.aspx")
	if s.WindowsAuth.Enabled || s.Origin("windowsAuthentication", "enabled").Kind != ServerLevel {
		t.Errorf("locked section applied: %+v from %v", s.WindowsAuth, s.Origin("windowsAuthentication", "enabled"))
	}
	if len(s.WebConfigErrors) != 1 || s.WebConfigErrors[0].Kind != WarnLockedSection {
		t.Fatalf("WebConfigErrors = %v", s.WebConfigErrors)
	}
	msg := s.WebConfigErrors[0].Message
	for _, want := range []string{"500.19", "This configuration section cannot be used at this path", `overrideModeDefault="Deny"`, name, "appcmd unlock config"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q: %s", want, msg)
		}
	}
	if got := wc.Position(s.WebConfigErrors[0].Locator); got != name+":9" {
		t.Errorf("Position = %q", got)
	}
	if n := len(wc.Warnings) - len(c.Warnings); n != 1 || wc.Warnings[len(wc.Warnings)-1].Kind != WarnLockedSection {
		t.Errorf("warnings added: %v", wc.Warnings[len(c.Warnings):])
	}
	// c itself is unchanged.
	if s0 := mustEffective(t, c, site); len(s0.WebConfigErrors) != 0 || len(c.WebConfigs()) != 0 {
		t.Errorf("original config changed")
	}
	if wc.SectionOverrideModeDefault("windowsAuthentication") != "Deny" {
		t.Error("corpus 13 should declare Deny")
	}
}

// applicationHost.config unlocks windowsAuthentication (only) for the site:
// the web.config value applies with its origin; anonymousAuthentication in
// the same file stays locked.
func TestWebConfigUnlockedByLocation(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, unlockWindows+`
  <location path="Default Web Site/Altiris/NS"><system.webServer><security><authentication><windowsAuthentication enabled="true" authPersistNonNTLM="false" /></authentication></security></system.webServer></location>`))
	w := parseWeb(t, "webconfig/Default Web Site/Altiris/NS/web.config", "Default Web Site/Altiris/NS", webAuth(`        <windowsAuthentication authPersistNonNTLM="true">
          <providers>
            <clear />
            <add value="Negotiate" />
          </providers>
        </windowsAuthentication>
        <anonymousAuthentication enabled="true" />`))
	wc := c.WithWebConfigs(w)
	s := mustEffective(t, wc, "Default Web Site/Altiris/NS/Agent")
	if !s.WindowsAuth.Enabled || !s.WindowsAuth.AuthPersistNonNTLM || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate"}) {
		t.Errorf("WindowsAuth = %+v", s.WindowsAuth)
	}
	o := s.Origin("windowsAuthentication", "authPersistNonNTLM")
	if o.Kind != WebConfigFile || o.File != w.Name || o.LocationPath != "Default Web Site/Altiris/NS" || wc.Line(o.Locator) != 9 {
		t.Errorf("origin = %+v line %d", o, wc.Line(o.Locator))
	}
	if got := wc.Describe(o); got != `webconfig/Default Web Site/Altiris/NS/web.config:9 (web.config for "Default Web Site/Altiris/NS")` {
		t.Errorf("Describe = %q", got)
	}
	if got := wc.Describe(s.Origin("windowsAuthentication", "providers")); !strings.HasPrefix(got, w.Name+":10 ") {
		t.Errorf("providers origin = %q", got)
	}
	if got := s.Origin("windowsAuthentication", "enabled"); got.Kind != Location {
		t.Errorf("enabled origin = %+v", got)
	}
	// Anonymous is still locked: not applied, reported.
	if s.Anonymous.Enabled != true || s.Origin("anonymousAuthentication", "enabled").Kind != SchemaDefault {
		t.Errorf("anonymous = %+v", s.Anonymous)
	}
	if len(s.WebConfigErrors) != 1 || !strings.Contains(s.WebConfigErrors[0].Message, "anonymousAuthentication") {
		t.Errorf("WebConfigErrors = %v", s.WebConfigErrors)
	}
	// Above the web.config's path nothing changes.
	if s := mustEffective(t, wc, "Default Web Site/Altiris"); s.WindowsAuth.AuthPersistNonNTLM || len(s.WebConfigErrors) != 0 {
		t.Errorf("parent path: %+v %v", s.WindowsAuth, s.WebConfigErrors)
	}
	// The applicationHost.config location for the same (and a deeper) path
	// comes first: the web.config wins.
	c2 := parseString(t, mini(stdPools, stdSites, stdServer, unlockWindows+`
  <location path="Default Web Site/Altiris/NS/Agent"><system.webServer><security><authentication><windowsAuthentication authPersistNonNTLM="false" /></authentication></security></system.webServer></location>`))
	if s := mustEffective(t, c2.WithWebConfigs(w), "Default Web Site/Altiris/NS/Agent"); !s.WindowsAuth.AuthPersistNonNTLM {
		t.Error("web.config did not win over a deeper applicationHost.config location")
	}
}

// allowOverride="true" (legacy) unlocks; a deeper overrideMode="Deny"
// locks again; a location that does not hold the section changes nothing;
// Hosted Web Core declares the section Allow.
func TestWebConfigLockRules(t *testing.T) {
	w := func(path string) *WebConfig {
		return parseWeb(t, "w", path, webAuth(`<windowsAuthentication enabled="true" />`))
	}
	cases := []struct {
		name, trailer, path string
		applied             bool
	}{
		{"legacy allowOverride", strings.Replace(unlockWindows, `overrideMode="Allow"`, `allowOverride="true"`, 1), "Default Web Site", true},
		{"server-level unlock", strings.Replace(unlockWindows, `path="Default Web Site"`, `path=""`, 1), "Default Web Site/Altiris", true},
		{"deeper deny", unlockWindows + strings.NewReplacer(`"Default Web Site"`, `"Default Web Site/Altiris"`, "Allow", "Deny").Replace(unlockWindows), "Default Web Site/Altiris/NS", false},
		{"deny above allow", strings.NewReplacer(`"Default Web Site"`, `""`, "Allow", "Deny").Replace(unlockWindows) + unlockWindows, "Default Web Site", true},
		{"unlock without the section", `<location path="Default Web Site" overrideMode="Allow"><system.webServer><security><authentication><basicAuthentication /></authentication></security></system.webServer></location>`, "Default Web Site", false},
		{"no unlock", "", "Default Web Site", false},
	}
	for _, tc := range cases {
		c := parseString(t, mini(stdPools, stdSites, stdServer, tc.trailer))
		s := mustEffective(t, c.WithWebConfigs(w(tc.path)), "Default Web Site/Altiris/NS/Agent")
		if s.WindowsAuth.Enabled != tc.applied || (len(s.WebConfigErrors) == 0) != tc.applied {
			t.Errorf("%s: enabled %v, errors %v", tc.name, s.WindowsAuth.Enabled, s.WebConfigErrors)
		}
	}
	// The deny names the tag that locks.
	c := parseString(t, mini(stdPools, stdSites, stdServer, unlockWindows+strings.NewReplacer(`"Default Web Site"`, `"Default Web Site/Altiris"`, "Allow", "Deny").Replace(unlockWindows)))
	s := mustEffective(t, c.WithWebConfigs(w("Default Web Site/Altiris")), "Default Web Site/Altiris")
	if len(s.WebConfigErrors) != 1 || !strings.Contains(s.WebConfigErrors[0].Message, `<location path="Default Web Site/Altiris"> at applicationHost.config:25 denies overrides`) {
		t.Errorf("deny message: %v", s.WebConfigErrors)
	}

	// Hosted Web Core (corpus 08) declares windows and anonymous Allow, and
	// does not declare basicAuthentication at all.
	hwc := loadCorpus(t, "08")
	wb := parseWeb(t, "hwc", "WebSite", webAuth(`<windowsAuthentication enabled="true" /><basicAuthentication enabled="true" />`))
	s = mustEffective(t, hwc.WithWebConfigs(wb), "WebSite")
	if !s.WindowsAuth.Enabled || s.Origin("windowsAuthentication", "enabled").Kind != WebConfigFile || s.Basic.Enabled {
		t.Errorf("HWC: %+v basic %+v", s.WindowsAuth, s.Basic)
	}
	if len(s.WebConfigErrors) != 1 || !strings.Contains(s.WebConfigErrors[0].Message, "missing a section declaration") {
		t.Errorf("HWC errors: %v", s.WebConfigErrors)
	}
}

// Files merge from the site root down; a web.config's own <location> tags
// apply below it, honouring inheritInChildApplications; collections merge.
func TestWebConfigLayering(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, strings.Replace(unlockWindows, "<windowsAuthentication />", "<windowsAuthentication /><anonymousAuthentication />", 1)))
	root := parseWeb(t, "root.config", "Default Web Site", webAuth(`<windowsAuthentication enabled="true"><providers><add value="Negotiate:Kerberos" /></providers></windowsAuthentication>`)+"")
	ns := parseWeb(t, "ns.config", "default web site/altiris/ns", `<configuration>
  <system.webServer><security><authentication><windowsAuthentication authPersistNonNTLM="true"><providers><remove value="NTLM" /></providers></windowsAuthentication></authentication></security></system.webServer>
  <location path="Agent/sub" inheritInChildApplications="false">
    <system.webServer><security><authentication><anonymousAuthentication enabled="false" /></authentication></security></system.webServer>
  </location>
  <location path="." >
    <system.webServer><security><authentication><windowsAuthentication useKernelMode="false" /></authentication></security></system.webServer>
  </location>
</configuration>`)
	// Given deepest first: the order of the files does not matter.
	wc := c.WithWebConfigs(ns, root)
	s := mustEffective(t, wc, "Default Web Site/Altiris/NS/Agent/sub")
	if !s.WindowsAuth.Enabled || !s.WindowsAuth.AuthPersistNonNTLM || s.WindowsAuth.UseKernelMode || s.Anonymous.Enabled ||
		!reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate", "Negotiate:Kerberos"}) {
		t.Errorf("sub = %+v anonymous %+v", s.WindowsAuth, s.Anonymous)
	}
	if o := s.Origin("windowsAuthentication", "enabled"); o.File != "root.config" {
		t.Errorf("enabled origin %+v", o)
	}
	if o := s.Origin("windowsAuthentication", "useKernelMode"); o.File != "ns.config" || o.LocationPath != "default web site/altiris/ns" || wc.Line(o.Locator) != 7 {
		t.Errorf("useKernelMode origin %+v line %d", o, wc.Line(o.Locator))
	}
	if o := s.Origin("anonymousAuthentication", "enabled"); o.LocationPath != "default web site/altiris/ns/Agent/sub" {
		t.Errorf("anonymous origin %+v", o)
	}
	// inheritInChildApplications="false": "Agent" is an application, so a
	// location at Agent/sub does not flow into a child application below
	// it - and reaches a plain directory below it.
	if s := mustEffective(t, wc, "Default Web Site/Altiris/NS/Agent/sub/dir"); s.Anonymous.Enabled {
		t.Error("location did not reach a directory below it")
	}
	if s := mustEffective(t, wc, "Default Web Site/Altiris/NS/Agent"); !s.Anonymous.Enabled {
		t.Error("location reached its parent")
	}
	// Applications lists the web.config paths.
	var paths []string
	for _, a := range wc.Applications() {
		paths = append(paths, a.Path)
	}
	if !containsFold(paths, "Default Web Site/Altiris/NS/Agent/sub") {
		t.Errorf("Applications = %q", paths)
	}
	if got := wc.WebConfigs(); len(got) != 2 || got[0] != ns {
		t.Errorf("WebConfigs = %v", got)
	}
	// Attaching more keeps the earlier files.
	if got := wc.WithWebConfigs(nil).WebConfigs(); len(got) != 2 {
		t.Errorf("re-attach = %v", got)
	}
}

// Without web.config files nothing changes: every corpus path resolves as
// before, and WithWebConfigs() with none is the same Config.
func TestWebConfigNoneChangesNothing(t *testing.T) {
	for _, f := range corpusFiles(t) {
		c, err := ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		same := c.WithWebConfigs()
		a, b := c.Applications(), same.Applications()
		if len(a) != len(b) {
			t.Fatalf("%s: %d vs %d paths", f, len(a), len(b))
		}
		for i := range a {
			if !reflect.DeepEqual(a[i], b[i]) || a[i].WebConfigErrors != nil {
				t.Errorf("%s: %s differs", f, a[i].Path)
			}
		}
	}
}

// Config.Apply gives a Config without web.config layers; attaching them
// again layers them over the edited file.
func TestWebConfigAfterApply(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, unlockWindows))
	w := parseWeb(t, "w", "Default Web Site/Altiris", webAuth(`<windowsAuthentication authPersistNonNTLM="false" />`))
	wc := c.WithWebConfigs(w)
	edited, err := wc.Apply(Edit{Kind: SetAttribute, Path: "Default Web Site/Altiris/NS", Section: "windowsAuthentication", Attribute: "authPersistNonNTLM", Value: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if len(edited.WebConfigs()) != 0 {
		t.Error("Apply kept web.config layers")
	}
	if s := mustEffective(t, edited, "Default Web Site/Altiris/NS"); !s.WindowsAuth.AuthPersistNonNTLM {
		t.Error("edit not applied")
	}
	// The web.config at the path's ancestor comes after applicationHost.config.
	again := edited.WithWebConfigs(wc.WebConfigs()...)
	if s := mustEffective(t, again, "Default Web Site/Altiris/NS"); s.WindowsAuth.AuthPersistNonNTLM || s.Origin("windowsAuthentication", "authPersistNonNTLM").File != "w" {
		t.Errorf("re-attached: %+v", s.WindowsAuth)
	}
}

func TestParseWebConfigErrors(t *testing.T) {
	appHost, err := os.ReadFile("testdata/corpus/16-vjunish-minimal-fullIIS.config")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, path, in string
		line           int
		is             []error
	}{
		{"apphost", "Default Web Site", string(appHost), 0, []error{ErrNotWebConfig}},
		{"location fragment", "Default Web Site", "<location path=\"x\"><system.webServer/></location>", 1, []error{ErrNotWebConfig, ErrFragment}},
		{"other", "Default Web Site", "<?xml version=\"1.0\"?>\n<html/>", 2, []error{ErrNotWebConfig}},
		{"syntax", "Default Web Site", "<configuration>\n<system.webServer>\n<security x=1/>", 3, nil},
		{"empty path", "/", "<configuration/>", 0, []error{ErrEmptyPath}},
	}
	for _, tc := range cases {
		_, err := ParseWebConfig("web.config", tc.path, strings.NewReader(tc.in))
		if err == nil {
			t.Errorf("%s: no error", tc.name)
			continue
		}
		var pe *ParseError
		var pa *PathError
		if !errors.As(err, &pe) && !errors.As(err, &pa) {
			t.Errorf("%s: untyped %v", tc.name, err)
		}
		if tc.line > 0 && (pe == nil || pe.Line != tc.line) {
			t.Errorf("%s: %v, want line %d", tc.name, err, tc.line)
		}
		for _, want := range tc.is {
			if !errors.Is(err, want) {
				t.Errorf("%s: %v is not %v", tc.name, err, want)
			}
		}
	}
	// A web.config for no site is kept but applies nowhere.
	c := parseString(t, mini(stdPools, stdSites, stdServer, ""))
	wc := c.WithWebConfigs(parseWeb(t, "stray/web.config", "Nope/app", webAuth(`<windowsAuthentication enabled="true" />`)))
	if w := wc.Warnings[len(wc.Warnings)-1]; w.Kind != WarnWebConfigNoSite || wc.Position(w.Locator) != "stray/web.config:2" {
		t.Errorf("warning %+v at %s", w, wc.Position(w.Locator))
	}
	for _, a := range wc.Applications() {
		if strings.HasPrefix(a.Path, "Nope") {
			t.Errorf("stray path listed: %s", a.Path)
		}
	}
}

// Only what the model uses is kept: no connection string, key or password
// survives in the WebConfig, whatever renders it.
func TestWebConfigKeepsNoSecrets(t *testing.T) {
	in := webAuth(`<windowsAuthentication enabled="true" />`)
	in = strings.Replace(in, "</configuration>", `<system.web><machineKey validationKey="KeySecret2" decryptionKey="KeySecret3" /><identity impersonate="true" userName="u" password="PwSecret4" /></system.web>
<appSettings><add key="k" value="AppSecret5" /></appSettings><location path="x"><appSettings><add key="k" value="AppSecret6"/></appSettings></location>
</configuration>`, 1)
	w := parseWeb(t, "s", "Default Web Site", in)
	c := parseString(t, mini(stdPools, stdSites, stdServer, unlockWindows)).WithWebConfigs(w)
	out := fmt.Sprintf("%+v %#v", *w, *w)
	for _, el := range w.src.doc.FindElements("//*") {
		for _, a := range el.Attr {
			out += " " + a.Value
		}
		out += " " + el.Text()
	}
	for _, a := range c.Applications() {
		out += fmt.Sprintf(" %+v", *a)
	}
	for _, secret := range []string{"DbSecret1", "KeySecret2", "KeySecret3", "PwSecret4", "AppSecret5", "AppSecret6"} {
		if strings.Contains(out, secret) {
			t.Errorf("%s retained", secret)
		}
	}
	if s := mustEffective(t, c, "Default Web Site"); !s.WindowsAuth.Enabled || c.Line(s.Origin("windowsAuthentication", "enabled").Locator) != 9 {
		t.Error("pruned web.config lost its settings or lines")
	}
}
