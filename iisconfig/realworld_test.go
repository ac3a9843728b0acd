package iisconfig

import (
	"encoding/xml"
	"errors"
	"os"
	"strings"
	"testing"
	"unicode/utf16"
)

// One test per row of testdata/realworld/MANIFEST.tsv (copies of
// /work/shared/corpus/realworld/config, see testdata/realworld/PROVENANCE).

func parseRealworld(t *testing.T, name string) (*Config, *ParseError) {
	t.Helper()
	c, err := ParseFile("testdata/realworld/" + name)
	if err == nil {
		return c, nil
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: untyped error %v", name, err)
	}
	return nil, pe
}

// MANIFEST: fragment (no <configuration> root) ... a tool should refuse or
// clearly warn that it is not a full applicationHost.config.
func TestRealworldARSFragment(t *testing.T) {
	c, pe := parseRealworld(t, "ars-readme-negotiate-kerberos-only.fragment.config")
	if c != nil || !errors.Is(pe, ErrFragment) || !errors.Is(pe, ErrNotApplicationHost) || pe.Line != 1 {
		t.Fatalf("err = %v", pe)
	}
	for _, want := range []string{"configuration fragment", "<applicationPools>, <sites>, <location>"} {
		if !strings.Contains(pe.Error(), want) {
			t.Errorf("%q lacks %q", pe.Error(), want)
		}
	}
}

// MANIFEST: web.config <location> fragment with typographic quotes in
// <add value=”NTLM”/> (invalid XML); a tool must report the XML error with
// line number. As a web.config it fails the same way.
func TestRealworldDNNSmartQuotes(t *testing.T) {
	const name = "dnn-adpro-webconfig-smartquotes.fragment.config"
	_, pe := parseRealworld(t, name)
	var se *xml.SyntaxError
	if pe == nil || pe.Line != 11 || !errors.As(pe, &se) || !strings.Contains(pe.Error(), "typographic quotes") ||
		!strings.HasPrefix(pe.Error(), "testdata/realworld/"+name+":11: ") {
		t.Fatalf("err = %v", pe)
	}
	f, err := os.Open("testdata/realworld/" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = ParseWebConfig(name, "Default Web Site", f)
	if !errors.As(err, &pe) || pe.Line != 11 || !strings.Contains(err.Error(), "typographic quotes") {
		t.Errorf("ParseWebConfig: %v", err)
	}
}

// MANIFEST: <location path="Default Web Site"> fragment ... not a full
// applicationHost.config.
func TestRealworldIISDocsLocationFragment(t *testing.T) {
	_, pe := parseRealworld(t, "iisdocs-extendedProtection-location.xml")
	if pe == nil || !errors.Is(pe, ErrFragment) || !strings.Contains(pe.Error(), "<location>") || pe.Line != 1 {
		t.Fatalf("err = %v", pe)
	}
	// The same text inside <configuration> is a web.config, and named so.
	data, err := os.ReadFile("testdata/realworld/iisdocs-extendedProtection-location.xml")
	if err != nil {
		t.Fatal(err)
	}
	_, err = Parse(strings.NewReader("<configuration>\n" + string(data) + "\n</configuration>"))
	if !errors.Is(err, ErrWebConfig) || !errors.Is(err, ErrNotApplicationHost) || !strings.Contains(err.Error(), "this is a web.config") {
		t.Errorf("wrapped: %v", err)
	}
}

// MANIFEST: named applicationHost.config but contains only a <site> element
// (no root, no authentication sections): must be rejected/warned as not a
// full config.
func TestRealworldSiteOnlyFragment(t *testing.T) {
	_, pe := parseRealworld(t, "gustavoesteves-site-fragment.applicationHost.config")
	if pe == nil || !errors.Is(pe, ErrFragment) || !strings.Contains(pe.Error(), "top-level elements: <site>") {
		t.Fatalf("err = %v", pe)
	}
}

// UTF-16 without a byte-order mark (recognised by its NUL bytes), little
// and big endian, with and without an encoding="utf-16" declaration.
func TestUTF16WithoutBOM(t *testing.T) {
	src := mini(stdPools, stdSites, stdServer, "")
	for _, decl := range []bool{false, true} {
		text := src
		if decl {
			text = strings.Replace(src, `encoding="UTF-8"`, `encoding="utf-16"`, 1)
		}
		for _, le := range []bool{true, false} {
			var b []byte
			for _, r := range utf16.Encode([]rune(text)) {
				if le {
					b = append(b, byte(r), byte(r>>8))
				} else {
					b = append(b, byte(r>>8), byte(r))
				}
			}
			c, err := Parse(strings.NewReader(string(b)))
			if err != nil {
				t.Fatalf("le=%v decl=%v: %v", le, decl, err)
			}
			if s := mustEffective(t, c, "Default Web Site/Altiris/NS"); s.AppPoolName != "Svc" || c.Line(s.Application.Locator) != 13 {
				t.Errorf("le=%v decl=%v: pool %q line %d", le, decl, s.AppPoolName, c.Line(s.Application.Locator))
			}
		}
	}
	// An odd byte count is a typed error, not a panic.
	if _, err := Parse(strings.NewReader("<\x00c\x00/\x00>\x00\n")); err == nil {
		t.Error("odd-length UTF-16 parsed")
	} else if pe := (*ParseError)(nil); !errors.As(err, &pe) {
		t.Errorf("untyped: %v", err)
	}
}
