package iisconfig

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// FuzzParse feeds arbitrary bytes to the parser: it must return a Config or a
// *ParseError, never panic, and every path it enumerates must resolve with
// origins that can be described.
func FuzzParse(f *testing.F) {
	testenv.ShortFuzzMinimize()
	files, _ := filepath.Glob("testdata/corpus/*.config")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// Whole files are tested by the corpus tests; the fuzzer gets the
		// small ones whole and a prefix of the others (an error path), since
		// large seeds make mutation too slow to be useful.
		if len(data) <= 16<<10 {
			f.Add(data)
		} else {
			f.Add(data[:4<<10])
		}
	}
	f.Add([]byte(mini(stdPools, stdSites, stdServer, `<location path="Default Web Site/Altiris" overrideMode="Allow" allowOverride="false" inheritInChildApplications="false"><system.webServer><security><authentication><windowsAuthentication enabled="true"><providers><clear/><add value="NTLM"/><remove value="x"/></providers><extendedProtection tokenChecking="Allow" flags="Proxy"><spn name="HTTP/x"/><clearSpns/></extendedProtection></windowsAuthentication></authentication></security></system.webServer></location>`)))
	f.Add([]byte("\xff\xfe<\x00c\x00/\x00>\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse(bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			_ = pe.Error()
			return
		}
		for _, w := range c.Warnings {
			_ = c.Position(w.Locator)
		}
		for _, s := range c.Applications() {
			for _, n := range fieldNames {
				o := s.Origin(n.section, n.attr)
				if o.Kind == NoOrigin {
					t.Fatalf("%s: no origin for %v", s.Path, n)
				}
				_ = c.Describe(o)
			}
			if s.Site != "" {
				if _, err := c.Effective(s.Path); err != nil {
					t.Fatalf("enumerated path %q does not resolve: %v", s.Path, err)
				}
			}
		}
	})
}

// FuzzParseWebConfig feeds arbitrary bytes to ParseWebConfig and layers
// what it accepts below a small applicationHost.config: a *ParseError or a
// WebConfig, never a panic; every enumerated path resolves and every origin
// and warning can be cited.
func FuzzParseWebConfig(f *testing.F) {
	testenv.ShortFuzzMinimize()
	base, err := Parse(bytes.NewReader([]byte(mini(stdPools, stdSites, stdServer,
		`<location path="Default Web Site" overrideMode="Allow"><system.webServer><security><authentication><windowsAuthentication /><anonymousAuthentication /></authentication></security></system.webServer></location>`))))
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(`<configuration><system.webServer><security><authentication><windowsAuthentication enabled="true" useKernelMode="x"><providers><clear/><add value="Negotiate"/><remove value="NTLM"/></providers><extendedProtection tokenChecking="Require" flags="Proxy"><spn name="HTTP/a"/><clearSpns/></extendedProtection></windowsAuthentication><anonymousAuthentication enabled="false" password="p"/><basicAuthentication enabled="true"/></authentication></security></system.webServer>` +
		`<location path="Agent" inheritInChildApplications="false" overrideMode="Deny" allowOverride="true"><system.webServer><security><authentication><digestAuthentication enabled="true"/></authentication></security></system.webServer></location><location path="."><system.webServer/></location></configuration>`))
	f.Add([]byte("<location path=\"x\"><system.webServer/></location>"))
	f.Add([]byte("\xff\xfe<\x00c\x00o\x00n\x00f\x00i\x00g\x00u\x00r\x00a\x00t\x00i\x00o\x00n\x00/\x00>\x00"))
	f.Add([]byte("<configuration><add value=\u201dNTLM\u201d/></configuration>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		w, err := ParseWebConfig("w.config", "Default Web Site/Altiris", bytes.NewReader(data))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError: %v", err, err)
			}
			_ = pe.Error()
			return
		}
		c := base.WithWebConfigs(w)
		for _, wn := range c.Warnings {
			_ = c.Position(wn.Locator)
		}
		for _, s := range c.Applications() {
			for _, n := range fieldNames {
				o := s.Origin(n.section, n.attr)
				if o.Kind == NoOrigin {
					t.Fatalf("%s: no origin for %v", s.Path, n)
				}
				if o.Kind == WebConfigFile && c.Line(o.Locator) <= 0 {
					t.Fatalf("%s: web.config origin without a line", s.Path)
				}
				_ = c.Describe(o)
			}
			if _, err := c.Effective(s.Path); err != nil {
				t.Fatalf("enumerated path %q does not resolve: %v", s.Path, err)
			}
		}
	})
}
