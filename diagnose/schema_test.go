package diagnose

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// compileSchema compiles a JSON Schema file with format assertions on.
func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("schema %s: %v", path, err)
	}
	return s
}

func validateJSON(t *testing.T, s *jsonschema.Schema, name string, data []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s does not match docs/report.schema.json: %v", name, err)
	}
}

// Every golden report, the bundled sample and an empty report validate
// against the published schema (docs/report.schema.json) with a real
// validator: the JSON contract and its schema cannot drift apart.
func TestReportSchema(t *testing.T) {
	s := compileSchema(t, filepath.Join("..", "docs", "report.schema.json"))
	goldens, err := filepath.Glob("testdata/scenarios/*/expected.json")
	if err != nil || len(goldens) == 0 {
		t.Fatalf("goldens: %v", err)
	}
	for _, g := range goldens {
		data, err := os.ReadFile(g)
		if err != nil {
			t.Fatal(err)
		}
		validateJSON(t, s, g, data)
	}
	rep := diagnoseBundle(t, "sample")
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	validateJSON(t, s, "sample report", b.Bytes())
	b.Reset()
	empty, err := Diagnose(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = empty.WriteJSON(&b)
	validateJSON(t, s, "empty report", b.Bytes())
	// The schema is strict: an undocumented key fails.
	bad := bytes.Replace(b.Bytes(), []byte(`"profile":`), []byte(`"unknown_key": 1, "profile":`), 1)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(bad))
	if s.Validate(v) == nil {
		t.Error("the schema accepts an undocumented key")
	}
}

// The SARIF output of every scenario and of the sample validates against
// the official SARIF 2.1.0 schema (testdata/sarif, from OASIS).
func TestSARIFSchema(t *testing.T) {
	s := compileSchema(t, filepath.Join("testdata", "sarif", "sarif-schema-2.1.0.json"))
	n := 0
	for _, dir := range append(scenarioDirs(t), "sample") {
		rep := diagnoseBundle(t, dir)
		var b bytes.Buffer
		if err := rep.WriteSARIF(&b); err != nil {
			t.Fatal(err)
		}
		validateJSON(t, s, dir+" (SARIF)", b.Bytes())
		n++
		if filepath.Base(dir) == "sample" {
			out := b.String()
			for _, want := range []string{`"ruleId": "IIS006"`, `"uri": "applicationHost.config"`, `"startLine"`, `"helpUri": "` + checksHelpURI + `#iis006"`, `"iiskerb/plan"`} {
				if !bytes.Contains(b.Bytes(), []byte(want)) {
					t.Errorf("sample SARIF lacks %s:\n%.2000s", want, out)
				}
			}
		}
	}
	if n < 2 {
		t.Fatalf("only %d reports validated", n)
	}
}
