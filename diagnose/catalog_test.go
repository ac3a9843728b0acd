package diagnose

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

func TestChecksDocUpToDate(t *testing.T) {
	var b bytes.Buffer
	if err := WriteChecksMarkdown(&b, Checks()); err != nil {
		t.Fatal(err)
	}
	have, err := os.ReadFile("../docs/checks.md")
	if err != nil {
		t.Fatalf("%v (run go generate ./diagnose)", err)
	}
	if !bytes.Equal(have, b.Bytes()) {
		t.Errorf("docs/checks.md is stale: run go generate ./diagnose\n%s", lineDiff(string(have), b.String()))
	}
}

func TestWriteChecksMarkdown(t *testing.T) {
	c := testCheck("TST001", Warning, nil, EvConfig)
	c.RequiresAny = []EvidenceKind{EvProbe, EvTokens}
	var b bytes.Buffer
	if err := WriteChecksMarkdown(&b, []*Check{c}); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"| [TST001](#tst001) | `TestTST001` | warning | `config` + one of `probe`, `tokens` | Test check TST001 |",
		"## TST001\n\n**Test check TST001** (`TestTST001`)",
		"Used by the engine tests.",
		"| Agents cannot register with Task Server | no | Investigate |",
		"| `Default Web Site/Altiris/TaskManagement/CTAgent` | task-server | required | required | required |",
		"- KB 173598:",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lacks %q:\n%s", want, out)
		}
	}
}
