package iisconfig

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the parser: it must return a Config or a
// *ParseError, never panic, and every path it enumerates must resolve with
// origins that can be described.
func FuzzParse(f *testing.F) {
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
