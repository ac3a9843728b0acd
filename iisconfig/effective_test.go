package iisconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"
)

// mini builds a small applicationHost.config around the given sites and
// trailer (location tags).
func mini(pools, sites, server, trailer string) string {
	return `<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>` + pools + `</applicationPools>
    <sites>` + sites + `
      <applicationDefaults applicationPool="DefaultAppPool" />
    </sites>
  </system.applicationHost>
  <system.webServer><security><authentication>` + server + `</authentication></security></system.webServer>
` + trailer + `
</configuration>
`
}

const stdPools = `
      <add name="DefaultAppPool" />
      <add name="Svc"><processModel identityType="SpecificUser" userName="CORP\svc-web" password="S3cretPassw0rd!" /></add>
      <add name="Local"><processModel identityType="LocalService" /></add>
      <add name="NetSvc"><processModel identityType="2" /></add>
      <applicationPoolDefaults managedRuntimeVersion="v4.0"><processModel identityType="ApplicationPoolIdentity" /></applicationPoolDefaults>`

const stdSites = `
      <site name="Default Web Site" id="1">
        <application path="/"><virtualDirectory path="/" physicalPath="C:\inetpub\wwwroot" /></application>
        <application path="/Altiris/NS" applicationPool="Svc"><virtualDirectory path="/" physicalPath="C:\ns" password="vdirSecret" userName="CORP\vd" /></application>
        <application path="/Altiris/NS/Agent" applicationPool="NetSvc" />
        <bindings>
          <binding protocol="http" bindingInformation="*:80:" />
          <binding protocol="https" bindingInformation="[fe80::1]:443:ns.corp.example" />
          <binding protocol="net.tcp" bindingInformation="808:*" />
        </bindings>
      </site>`

const stdServer = `<windowsAuthentication enabled="false"><providers><add value="Negotiate" /><add value="NTLM" /></providers></windowsAuthentication>`

func parseString(t *testing.T, s string) *Config {
	t.Helper()
	c, err := ParseWith(strings.NewReader(s), Options{Name: `C:\Windows\System32\inetsrv\config\applicationHost.config`})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestInheritanceBySegments(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, `
  <location path="Default Web Site/Altiris">
    <system.webServer><security><authentication>
      <windowsAuthentication enabled="true" authPersistNonNTLM="true"><providers><clear /><add value="NTLM" /><add value="Negotiate" /></providers></windowsAuthentication>
      <anonymousAuthentication enabled="false" />
    </authentication></security></system.webServer>
  </location>
  <location path="default web site/altiris/ns/agent">
    <system.webServer><security><authentication>
      <windowsAuthentication useKernelMode="false"><providers><remove value="ntlm" /></providers></windowsAuthentication>
    </authentication></security></system.webServer>
  </location>
  <location path="Default Web Site/Alt">
    <system.webServer><security><authentication><basicAuthentication enabled="true" /></authentication></security></system.webServer>
  </location>`))
	s := mustEffective(t, c, "Default Web Site/Altiris/NS")
	if !s.WindowsAuth.Enabled || !s.WindowsAuth.AuthPersistNonNTLM || s.Anonymous.Enabled || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"NTLM", "Negotiate"}) {
		t.Errorf("NS: %+v", s.WindowsAuth)
	}
	// "Alt" is not a whole-segment prefix of "Altiris".
	if s.Basic.Enabled {
		t.Error("location Default Web Site/Alt applied to .../Altiris")
	}
	if s.Decrypting.Kind != ComputerAccount {
		t.Errorf("NS decrypting %+v", s.Decrypting)
	}
	s = mustEffective(t, c, "/DEFAULT WEB SITE/Altiris/NS/Agent/sub/")
	if s.Path != "Default Web Site/Altiris/NS/Agent/sub" || s.Application.Path != "/Altiris/NS/Agent" || s.AppPoolName != "NetSvc" {
		t.Errorf("path %q app %+v", s.Path, s.Application)
	}
	if s.WindowsAuth.UseKernelMode || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate"}) {
		t.Errorf("Agent: %+v", s.WindowsAuth)
	}
	if o := s.Origin("windowsAuthentication", "providers"); o.LocationPath != "default web site/altiris/ns/agent" || o.Kind != Location {
		t.Errorf("origin %+v", o)
	}
	if o := s.Origin("windowsAuthentication", "authPersistNonNTLM"); o.LocationPath != "Default Web Site/Altiris" {
		t.Errorf("origin %+v", o)
	}
	if got := c.Describe(s.Origin("windowsAuthentication", "useKernelMode")); !strings.HasPrefix(got, "applicationHost.config:") || !strings.HasSuffix(got, `(location "default web site/altiris/ns/agent")`) {
		t.Errorf("Describe = %s", got)
	}
	if got := c.Describe(s.Origin("windowsAuthentication", "useAppPoolCredentials")); got != "schema default" {
		t.Errorf("Describe = %s", got)
	}
	if s.Decrypting.Kind != ComputerAccount || !strings.Contains(s.Decrypting.Reason, "NetworkService") {
		t.Errorf("Agent decrypting %+v", s.Decrypting)
	}
	// Root is untouched by deeper locations.
	s = mustEffective(t, c, "Default Web Site")
	if s.WindowsAuth.Enabled || !s.Anonymous.Enabled || s.Anonymous.UserName != "IUSR" || s.Origin("windowsAuthentication", "enabled").Kind != ServerLevel {
		t.Errorf("root %+v", s)
	}
	// Server level via the empty path.
	if s, err := c.Effective(""); err != nil || s.Site != "" || !reflect.DeepEqual(s.WindowsAuth.Providers, []string{"Negotiate", "NTLM"}) {
		t.Errorf("server: %v %+v", err, s)
	}
	// Both spellings of the same path were given: no ambiguity warning for
	// different paths, one for nothing here.
	for _, w := range c.Warnings {
		if w.Kind == WarnAmbiguousLocation {
			t.Errorf("unexpected warning %v", w)
		}
	}
}

func TestInheritInChildApplications(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, `
  <location path="Default Web Site" inheritInChildApplications="false">
    <system.webServer><security><authentication><windowsAuthentication enabled="true" /></authentication></security></system.webServer>
  </location>
  <location path="Default Web Site/Altiris/NS/folder" inheritInChildApplications="false">
    <system.webServer><security><authentication><digestAuthentication enabled="true" /></authentication></security></system.webServer>
  </location>`))
	for path, want := range map[string]bool{
		"Default Web Site":                    true,  // the location's own path
		"Default Web Site/images/x":           true,  // same (root) application
		"Default Web Site/Altiris":            true,  // folder of the root application
		"Default Web Site/Altiris/NS":         false, // child application
		"Default Web Site/Altiris/NS/Agent/x": false,
	} {
		if got := mustEffective(t, c, path).WindowsAuth.Enabled; got != want {
			t.Errorf("%s: enabled=%v want %v", path, got, want)
		}
	}
	if !mustEffective(t, c, "Default Web Site/Altiris/NS/folder/sub").Digest.Enabled {
		t.Error("folder location with inheritInChildApplications=false must still flow into its own application's subfolders")
	}
	if tag := c.Locations[0]; tag.ServerLevel() || tag.InheritInChildApplications {
		t.Errorf("tag %+v", tag)
	}
}

func TestWarnings(t *testing.T) {
	c := parseString(t, mini(stdPools+`<add name="defaultapppool" />`, stdSites+`
      <site name="Other" id="1"><application path="/" applicationPool="Missing" /></site>
      <site name="other" id="3"><application path="/" /></site>`, stdServer, `
  <location path="Default Web Site/Altiris" overrideMode="Allow" allowOverride="true" />
  <location path="Default Web Site/ALTIRIS" />
  <location path="NoSuchSite/x" />
  <location path="Default Web Site">
    <system.webServer><security><authentication><windowsAuthentication enabled="yes" useKernelMode="maybe" /></authentication></security></system.webServer>
  </location>`))
	kinds := map[WarningKind]int{}
	for _, w := range c.Warnings {
		kinds[w.Kind]++
		if c.Line(w.Locator) <= 0 || w.Message == "" {
			t.Errorf("warning %v has no line", w)
		}
	}
	want := map[WarningKind]int{WarnDuplicatePool: 1, WarnUnknownAppPool: 1, WarnDuplicateSiteID: 1, WarnDuplicateSiteName: 1,
		WarnOverrideConflict: 1, WarnAmbiguousLocation: 1, WarnLocationNoSite: 1, WarnBadValue: 2}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("warning kinds %v, want %v\n%v", kinds, want, c.Warnings)
	}
	if s := mustEffective(t, c, "Other"); s.AppPool != nil || s.AppPoolName != "Missing" || s.Decrypting.Kind != Undetermined {
		t.Errorf("Other: %+v", s)
	}
	if tag := c.Locations[0]; tag.OverrideMode != "Allow" || tag.AllowOverride != "true" {
		t.Errorf("tag %+v", tag)
	}
	// An invalid boolean is ignored, so the inherited value stays.
	if s := mustEffective(t, c, "Default Web Site"); s.WindowsAuth.Enabled || !s.WindowsAuth.UseKernelMode {
		t.Errorf("%+v", s.WindowsAuth)
	}
	var pe *PathError
	if _, err := c.Effective("NoSuchSite/x"); !errors.As(err, &pe) || !errors.Is(err, ErrUnknownSite) {
		t.Errorf("err = %v", err)
	}
	found := false
	for _, s := range c.Applications() {
		if s.Path == "NoSuchSite/x" && s.Site == "" {
			found = true
		}
	}
	if !found {
		t.Error("location naming no site not enumerated")
	}
}

func TestDecryptingTable(t *testing.T) {
	pools := stdPools + `<add name="Dom"><processModel identityType="SpecificUser" userName="svc@corp.example" /></add>
      <add name="LocalUser"><processModel identityType="SpecificUser" userName=".\web" /></add>
      <add name="Sys"><processModel identityType="LocalSystem" /></add>`
	sites := `
      <site name="S" id="1">
        <application path="/" />
        <application path="/svc" applicationPool="Svc" />
        <application path="/dom" applicationPool="Dom" />
        <application path="/local" applicationPool="Local" />
        <application path="/lu" applicationPool="LocalUser" />
        <application path="/sys" applicationPool="Sys" />
      </site>`
	loc := func(path, attrs string) string {
		return `<location path="` + path + `"><system.webServer><security><authentication><windowsAuthentication enabled="true" ` + attrs + ` /></authentication></security></system.webServer></location>`
	}
	c := parseString(t, mini(pools, sites, stdServer,
		loc("S/svc/k", `useAppPoolCredentials="true"`)+loc("S/svc/u", `useKernelMode="false"`)+
			loc("S/dom", `useAppPoolCredentials="true"`)+loc("S/sys", `useAppPoolCredentials="true"`)+
			loc("S/lu", `useKernelMode="false"`)+loc("S/local", `useAppPoolCredentials="true"`)))
	for _, tc := range []struct {
		path    string
		kind    DecryptingKind
		account string
	}{
		{"S", ComputerAccount, ""},                   // ApplicationPoolIdentity, kernel mode
		{"S/svc", ComputerAccount, ""},               // SpecificUser, kernel mode, no useAppPoolCredentials
		{"S/svc/k", DomainAccount, `CORP\svc-web`},   // kernel + useAppPoolCredentials
		{"S/svc/u", DomainAccount, `CORP\svc-web`},   // user mode
		{"S/dom", DomainAccount, "svc@corp.example"}, // UPN form
		{"S/sys", ComputerAccount, ""},               // LocalSystem + useAppPoolCredentials
		{"S/local", Unsupported, ""},                 // LocalService
		{"S/lu", Unsupported, `.\web`},               // local account
		{"S/none/x", ComputerAccount, ""},            // folder of the root app
	} {
		s := mustEffective(t, c, tc.path)
		if s.Decrypting.Kind != tc.kind || s.Decrypting.Account != tc.account || s.Decrypting.Reason == "" {
			t.Errorf("%s: %+v, want %v %q", tc.path, s.Decrypting, tc.kind, tc.account)
		}
	}
	if got := mustEffective(t, c, "S/svc/k").Decrypting.String(); got != `CORP\svc-web` {
		t.Errorf("String = %q", got)
	}
}

func TestExtendedProtectionAndBindings(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, `<windowsAuthentication enabled="true"><extendedProtection tokenChecking="require" flags="Proxy, NoServiceNameCheck"><spn name="HTTP/a" /><spn name="HTTP/b" /></extendedProtection></windowsAuthentication>`, `
  <location path="Default Web Site/Altiris"><system.webServer><security><authentication>
    <windowsAuthentication><extendedProtection flags="32"><removeSpn name="http/A" /><spn name="HTTP/c" /></extendedProtection></windowsAuthentication>
  </authentication></security></system.webServer></location>
  <location path="Default Web Site/Altiris/NS"><system.webServer><security><authentication>
    <windowsAuthentication><extendedProtection><clearSpns /></extendedProtection></windowsAuthentication>
  </authentication></security></system.webServer></location>`))
	s := mustEffective(t, c, "Default Web Site")
	ep := s.WindowsAuth.ExtendedProtection
	if ep.TokenChecking != "Require" || ep.Flags != "Proxy,NoServiceNameCheck" || ep.FlagBits() != 3 || !reflect.DeepEqual(ep.SPNs, []string{"HTTP/a", "HTTP/b"}) {
		t.Errorf("%+v", ep)
	}
	ep = mustEffective(t, c, "Default Web Site/Altiris").WindowsAuth.ExtendedProtection
	if ep.Flags != "ProxyCohosting" || !reflect.DeepEqual(ep.SPNs, []string{"HTTP/b", "HTTP/c"}) {
		t.Errorf("%+v", ep)
	}
	ep = mustEffective(t, c, "Default Web Site/Altiris/NS").WindowsAuth.ExtendedProtection
	if len(ep.SPNs) != 0 || ep.TokenChecking != "Require" {
		t.Errorf("%+v", ep)
	}
	b := s.Bindings
	if len(b) != 3 || b[1].Address != "fe80::1" || b[1].Port != 443 || b[1].Host != "ns.corp.example" || b[2].Port != 0 || b[2].Raw != "808:*" {
		t.Errorf("bindings %+v", b)
	}
}

func TestPasswordsNeverReachable(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer+`<anonymousAuthentication userName="IUSR" password='anonSecret' />`, ""))
	var b strings.Builder
	fmt.Fprintf(&b, "%+v %#v %v", c, c, c.Warnings)
	for _, p := range c.AppPoolList() {
		fmt.Fprintf(&b, "%+v %#v", p, *p)
	}
	for _, s := range c.Applications() {
		j, _ := json.Marshal(s)
		fmt.Fprintf(&b, "%+v %#v %s %+v", s, *s, j, *s.Application)
		for _, n := range fieldNames {
			b.WriteString(s.Origin(n.section, n.attr).Locator.String())
		}
	}
	j, _ := json.Marshal(c)
	b.Write(j)
	out := b.String()
	for _, secret := range []string{"S3cretPassw0rd", "vdirSecret", "anonSecret"} {
		if strings.Contains(out, secret) {
			t.Errorf("secret %q reachable", secret)
		}
		if strings.Contains(string(c.src.data), secret) {
			t.Errorf("secret %q retained in source bytes", secret)
		}
	}
	if c.AppPool("svc").UserName != `CORP\svc-web` {
		t.Error("user name lost")
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, in string
		line     int
		is       error
	}{
		{"syntax", "<configuration>\n<system.applicationHost>\n<sites>\n<site name=\"a\" id=1>\n", 4, nil},
		{"mismatch", "<configuration>\n<system.applicationHost>\n</sites>\n</configuration>", 3, nil},
		{"unclosed", "<configuration>\n<system.applicationHost>\n", 3, nil},
		{"web.config", "<?xml version=\"1.0\"?>\n\n<configuration>\n<system.webServer />\n</configuration>", 3, ErrNotApplicationHost},
		{"other root", "<root/>", 1, ErrNotApplicationHost},
		{"empty", "", 0, nil},
	}
	for _, tc := range cases {
		_, err := ParseWith(strings.NewReader(tc.in), Options{Name: "x.config"})
		var pe *ParseError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err %v is not a *ParseError", tc.name, err)
			continue
		}
		if tc.line > 0 && pe.Line != tc.line {
			t.Errorf("%s: line %d, want %d (%v)", tc.name, pe.Line, tc.line, err)
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("%s: %v is not %v", tc.name, err, tc.is)
		}
		if pe.File != "x.config" || !strings.HasPrefix(err.Error(), "x.config") {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, err := ParseFile("testdata/does-not-exist.config"); err == nil {
		t.Error("missing file parsed")
	}
}

func TestUTF16AndBOM(t *testing.T) {
	src := mini(stdPools, stdSites, stdServer, "")
	u := utf16.Encode([]rune(src))
	b := []byte{0xff, 0xfe}
	for _, r := range u {
		b = append(b, byte(r), byte(r>>8))
	}
	for name, in := range map[string]string{"utf16": string(b), "utf8bom": "\xef\xbb\xbf" + src} {
		c, err := Parse(strings.NewReader(in))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s := mustEffective(t, c, "Default Web Site/Altiris/NS"); s.AppPoolName != "Svc" || c.Line(s.Application.Locator) != 13 {
			t.Errorf("%s: pool %q line %d", name, s.AppPoolName, c.Line(s.Application.Locator))
		}
	}
}

func TestOriginNames(t *testing.T) {
	c := parseString(t, mini(stdPools, stdSites, stdServer, ""))
	s := mustEffective(t, c, "Default Web Site")
	for _, n := range fieldNames {
		if got := s.Origin(n.section, n.attr); got.Kind == NoOrigin {
			t.Errorf("Origin(%s, %s) unknown", n.section, n.attr)
		}
	}
	if s.Origin("windowsAuthentication", "extendedProtection.flags").Kind != SchemaDefault {
		t.Error("dotted name not accepted")
	}
	if s.Origin("windowsAuthentication", "nope").Kind != NoOrigin || s.Origin("x", "enabled").Kind != NoOrigin {
		t.Error("unknown name has an origin")
	}
	if s.Origin("windowsAuthentication", "providers").Kind != ServerLevel {
		t.Error("providers origin")
	}
}

// TestConcurrentUse resolves and asks for lines from many goroutines (run
// with -race): the lazily built line table must be safe.
func TestConcurrentUse(t *testing.T) {
	c := loadCorpus(t, "01")
	apps := c.Applications()
	done := make(chan int)
	for g := 0; g < 8; g++ {
		go func() {
			sum := 0
			for _, s := range apps {
				sum += c.Line(s.Origin("windowsAuthentication", "enabled").Locator)
				if _, err := c.Effective(s.Path); err != nil && s.Site != "" {
					t.Error(err)
				}
			}
			done <- sum
		}()
	}
	first := <-done
	for g := 1; g < 8; g++ {
		if got := <-done; got != first {
			t.Errorf("line sums differ: %d vs %d", got, first)
		}
	}
	if first == 0 {
		t.Error("no lines")
	}
}
