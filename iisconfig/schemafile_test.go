package iisconfig

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSchema(t *testing.T) {
	for _, tc := range []struct {
		dir      string
		identity IdentityType
		runtime  string
	}{
		{"IIS10", ApplicationPoolIdentity, ""},
		{"IIS70", NetworkService, "v2.0"},
		{"IISExpress10", ApplicationPoolIdentity, ""},
	} {
		s, err := LoadSchema(filepath.Join("testdata", "schema", tc.dir))
		if err != nil {
			t.Fatalf("%s: %v", tc.dir, err)
		}
		def := DefaultSchema()
		for f := field(0); f < numFields; f++ {
			if s.vals[f] != def.vals[f] {
				t.Errorf("%s: %v = %+v, built-in %+v", tc.dir, fieldNames[f], s.vals[f], def.vals[f])
			}
		}
		if s.DefaultIdentityType() != tc.identity || s.poolRuntime != tc.runtime || !s.poolAuto || s.poolPipeline != "Integrated" {
			t.Errorf("%s: pool defaults %v %q %v %q", tc.dir, s.poolIdentity, s.poolRuntime, s.poolAuto, s.poolPipeline)
		}
		if !strings.Contains(s.Source(), tc.dir) {
			t.Errorf("source %q", s.Source())
		}
	}
	// With the IIS 7.0 schema a pool without identityType runs as NetworkService.
	s70, _ := LoadSchema(filepath.Join("testdata", "schema", "IIS70"))
	c, err := ParseWith(strings.NewReader(`<configuration><system.applicationHost><applicationPools><add name="P" /></applicationPools>
<sites><site name="S" id="1"><application path="/" applicationPool="P" /></site></sites></system.applicationHost></configuration>`), Options{Schema: s70})
	if err != nil {
		t.Fatal(err)
	}
	if p := c.AppPool("P"); p.IdentityType != NetworkService || p.ManagedRuntimeVersion != "v2.0" {
		t.Errorf("pool %+v", p)
	}
}

func TestLoadSchemaChangedDefault(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("testdata", "schema", "IIS10", "IIS_schema.xml"))
	if err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(string(data), `<attribute name="authPersistNonNTLM" type="bool" defaultValue="false" />`, `<attribute name="authPersistNonNTLM" type="bool" defaultValue="true" />`, 1)
	if changed == string(data) {
		t.Fatal("schema text not found")
	}
	if err := os.WriteFile(filepath.Join(dir, "IIS_schema.xml"), []byte(changed), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadSchema(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !s.vals[fWinPersistNonNTLM].b {
		t.Error("changed default not read")
	}
	// Errors: empty directory, malformed file.
	if _, err := LoadSchema(t.TempDir()); !errors.Is(err, ErrNoSchema) {
		t.Errorf("empty dir: %v", err)
	}
	bad := t.TempDir()
	if err := os.WriteFile(filepath.Join(bad, "x.xml"), []byte("<configSchema>\n<sectionSchema>"), 0o600); err != nil {
		t.Fatal(err)
	}
	var pe *ParseError
	if _, err := LoadSchema(bad); !errors.As(err, &pe) || pe.Line == 0 {
		t.Errorf("malformed: %v", err)
	}
}
