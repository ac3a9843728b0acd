package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/cli"
)

func TestRun(t *testing.T) {
	var b, e bytes.Buffer
	code := run(nil, &b, &e, false)
	if code == cli.ExitUsage {
		t.Fatalf("exit %d: %s", code, e.String())
	}
	out := b.String()
	if !strings.Contains(out, "ORG001-1 Windows Authentication is reachable over plain HTTP (*:80:intranet.corp.example.com)") {
		t.Errorf("custom check did not report:\n%s", out)
	}
	if !strings.Contains(out, "iiskerb (generic):") {
		t.Errorf("profile:\n%s", out)
	}
	if strings.ContainsAny(out+e.String(), "\x1b\r") {
		t.Error("escape codes without a terminal")
	}
	// the exit status follows the report's summary, as in examples/diagnose
	rep, err := diagnoseEmbedded(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"healthy": cli.ExitOK, "problems": cli.ExitProblems, "inconclusive": cli.ExitInconclusive}[string(rep.Summary.Status)]
	if code != want {
		t.Errorf("exit %d for status %s", code, rep.Summary.Status)
	}
	b.Reset()
	if run(nil, &b, &e, true); !strings.Contains(b.String(), "\x1b[") {
		t.Error("no colour for a terminal")
	}
}

// The contract every example keeps: -h/-help on stdout with the groups and
// exit statuses, -version; bad arguments exit 2 with one prefixed line.
func TestHelpVersionUsage(t *testing.T) {
	for _, arg := range []string{"-h", "-help"} {
		var o, e bytes.Buffer
		if code := run([]string{arg}, &o, &e, false); code != 0 || e.Len() != 0 {
			t.Fatalf("%s: exit %d %q", arg, code, e.String())
		}
		if err := cli.CheckHelp(o.String(), "embed"); err != nil {
			t.Errorf("%s: %v\n%s", arg, err, o.String())
		}
	}
	var o, e bytes.Buffer
	if code := run([]string{"-version"}, &o, &e, false); code != 0 || !strings.HasPrefix(o.String(), "embed ") {
		t.Errorf("-version: exit %d %q", code, o.String())
	}
	for _, args := range [][]string{{"extra"}, {"-nosuch"}, {"-password", "s3cret"}} {
		var o, e bytes.Buffer
		code := run(args, &o, &e, false)
		if code != 2 || o.Len() != 0 || !strings.HasPrefix(e.String(), "embed: ") || strings.Count(e.String(), "\n") != 1 ||
			strings.Contains(e.String(), "s3cret") {
			t.Errorf("%v: exit %d %q", args, code, e.String())
		}
	}
}
