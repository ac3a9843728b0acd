package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/sample-report.txt")

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e, false)
	return code, o.String(), e.String()
}

// The README's first command: no arguments, the built-in sample bundle.
func TestSampleBundle(t *testing.T) {
	code, out, errOut := runArgs(t)
	if code != exitOK && code != exitErrors {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	if !strings.Contains(errOut, "built-in sample bundle") {
		t.Errorf("stderr does not say the sample is used: %q", errOut)
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour without a terminal")
	}
	// The compact default: at most 80 lines of at most 120 columns, no line
	// repeated; -v has the details.
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > 80 {
		t.Errorf("default report has %d lines, want at most 80", len(lines))
	}
	seen := map[string]bool{}
	for i, l := range lines {
		if n := utf8.RuneCountInString(l); n > 120 {
			t.Errorf("line %d has %d columns: %q", i+1, n, l)
		}
		if strings.TrimSpace(l) != "" && seen[l] {
			t.Errorf("line %d repeated: %q", i+1, l)
		}
		seen[l] = true
	}
	if !strings.HasPrefix(lines[0], "iiskerb (itms): Problems:") {
		t.Errorf("first line does not state the answer: %q", lines[0])
	}
	_, verbose, _ := runArgs(t, "-v")
	if !strings.Contains(verbose, "evidence: ") || len(verbose) <= len(out) {
		t.Error("-v adds no finding details")
	}
	if strings.Contains(out, "c2FtcGxlLW5vdC1hLXJlYWwtc2VjcmV0") || strings.Contains(out, "enc:") {
		t.Error("the app pool password placeholder leaked into the report")
	}
	golden := filepath.Join("testdata", "sample-report.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	} else {
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (go test ./examples/diagnose -update)", err)
		}
		if string(want) != out {
			t.Errorf("sample report differs from %s (rewrite with -update after checking):\n%s", golden, out)
		}
	}
	// The acceptance criterion of issue 6: the verdict names the Task
	// Server problem, with the findings behind it, and the run exits 1.
	if !strings.Contains(out, "✗ Agents cannot register with Task Server: investigate") {
		t.Errorf("verdict does not name the Task Server problem:\n%s", out)
	}
	if code != exitErrors {
		t.Errorf("exit %d, want %d (error findings)", code, exitErrors)
	}
}

// The sample config carries an (encrypted-looking) app pool password; no
// output format may show it.
func TestNoSecretsInAnyFormat(t *testing.T) {
	for _, f := range []string{"text", "json", "markdown", "html"} {
		_, out, _ := runArgs(t, "-format", f, "-v")
		if strings.Contains(out, "c2FtcGxlLW5vdC1hLXJlYWwtc2VjcmV0") || strings.Contains(out, "[enc:") || strings.Contains(out, "password=") {
			t.Errorf("%s output shows the app pool password", f)
		}
	}
}

func TestFormats(t *testing.T) {
	code, out, _ := runArgs(t, "-format", "json")
	if code == exitFailed {
		t.Fatal("json run failed")
	}
	var rep diagnose.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("json output: %v", err)
	}
	if rep.Profile != "itms" || len(rep.Results) == 0 {
		t.Errorf("report %+v", rep)
	}
	if (code == exitErrors) != rep.HasErrors() {
		t.Errorf("exit %d but HasErrors %v", code, rep.HasErrors())
	}
	_, out, _ = runArgs(t, "-format", "markdown")
	if !strings.HasPrefix(out, "# iiskerb report") || !strings.Contains(out, "## Verdict") {
		t.Errorf("markdown:\n%s", out)
	}
	file := filepath.Join(t.TempDir(), "r.md")
	code, out, _ = runArgs(t, "-format", "md", "-o", file)
	b, err := os.ReadFile(file)
	if code == exitFailed || err != nil || !bytes.HasPrefix(b, []byte("# iiskerb report")) || out != "" {
		t.Errorf("-o: exit %d err %v stdout %q", code, err, out)
	}
}

func TestCouldNotRun(t *testing.T) {
	for _, args := range [][]string{
		{"-bundle", "testdata/no-such-dir"},
		{"-bundle", "testdata/PROVENANCE"},
		{"-format", "html5"},
		{"-profile", "sccm"},
		{"-checks", "XYZ999"},
		{"-disable", "IIS006"},
		{"-config", "testdata/missing.config"},
		{"-nosuchflag"},
		{"stray-argument"},
		{"-o", filepath.Join("testdata", "no-such-dir", "x.txt")},
	} {
		code, _, errOut := runArgs(t, args...)
		if code != exitFailed || errOut == "" {
			t.Errorf("%v: exit %d stderr %q, want 2 and a message", args, code, errOut)
		}
	}
	if code, _, _ := runArgs(t, "-h"); code != exitOK {
		t.Errorf("-h exit %d", code)
	}
}

// The contract every example keeps: -h/-help on stdout with the flag
// groups and exit statuses, -version.
func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "-help"} {
		code, out, errOut := runArgs(t, arg)
		if code != exitOK || errOut != "" {
			t.Fatalf("%s: exit %d, stderr %q", arg, code, errOut)
		}
		if err := cli.CheckHelp(out, "diagnose"); err != nil {
			t.Errorf("%s: %v\n%s", arg, err, out)
		}
		for _, w := range []string{"Checks and scenario:", "  -password-file FILE", "  -ldap-password-env NAME", "  3  inconclusive"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q", arg, w)
			}
		}
	}
	code, out, errOut := runArgs(t, "-version")
	if code != exitOK || !strings.HasPrefix(out, "diagnose ") || strings.Count(out, "\n") != 1 || errOut != "" {
		t.Errorf("-version: exit %d %q %q", code, out, errOut)
	}
	// deprecated names still work, with a note
	code, _, errOut = runArgs(t, "-krb-user", "alice", "-krb-password-env", "X", "-version")
	if code != exitOK || !strings.Contains(errOut, "diagnose: -krb-user is deprecated; use -user\n") ||
		!strings.Contains(errOut, "-krb-password-env is deprecated; use -password-env") {
		t.Errorf("deprecated flags: exit %d %q", code, errOut)
	}
}

// Secrets are never taken on the command line; the refusal does not echo
// the value.
func TestSecretOnCommandLineRefused(t *testing.T) {
	for _, args := range [][]string{
		{"-password", "s3cret-value"},
		{"-ldap", "ldaps://dc1", "-ldap-bind", "reader", "-ldap-password=s3cret-value"},
		{"-ntlm-password", "s3cret-value"},
	} {
		code, out, errOut := runArgs(t, args...)
		if code != exitFailed || out != "" || strings.Contains(errOut, "s3cret-value") ||
			!strings.Contains(errOut, "password-file FILE or -") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
}

// A bad URL in a live-source flag is a usage error before anything is
// dialled; a password in it is never printed.
func TestBadLiveSourceURL(t *testing.T) {
	for _, args := range [][]string{
		{"-ldap", "http://dc1.example.com"},
		{"-ldap", "dc1.example.com"},
		{"-ldap", "ldap://reader:s3cret-value@dc1"},
		{"-probe", "ftp://web01/"},
		{"-probe", "web01"},
		{"-probe", "https://web01/", "-probe", "https://"},
		{"-probe", "http://user:s3cret-value@web01/"},
		{"-probe", "http://%zz"},
	} {
		code, _, errOut := runArgs(t, args...)
		if code != exitFailed || strings.Contains(errOut, "s3cret-value") || strings.Contains(errOut, "connecting") ||
			strings.Contains(errOut, "probing") || !strings.HasPrefix(errOut, "diagnose: -") || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
	}
	if code, _, errOut := runArgs(t, "-ntlm-user", "bob", "-probe", "https://web01/"); code != exitFailed || !strings.Contains(errOut, `DOMAIN\user`) {
		t.Errorf("-ntlm-user without a domain: exit %d %q", code, errOut)
	}
	dir := t.TempDir()
	if code, _, errOut := runArgs(t, "-ntlm-user", `EX\bob`, "-ntlm-password-file", filepath.Join(dir, "none"), "-probe", "http://127.0.0.1:1/"); code != exitFailed ||
		!strings.Contains(errOut, "diagnose: -ntlm-password-file: open ") {
		t.Errorf("-ntlm-password-file missing: exit %d %q", code, errOut)
	}
	t.Setenv("IISKERB_PASSWORD", "")
	if code, _, errOut := runArgs(t, "-krb5conf", filepath.Join(dir, "krb5.conf"), "-user", "alice", "-request-tickets"); code != exitFailed ||
		!strings.Contains(errOut, "-user alice needs a password: give -password-file FILE or -password-env NAME ($IISKERB_PASSWORD is empty)") {
		t.Errorf("-user without a password: exit %d %q", code, errOut)
	}
}

// One "diagnose: " per error line, whatever the library error says.
func TestErrorsHaveOnePrefix(t *testing.T) {
	for _, args := range [][]string{
		{"-checks", "XYZ999"},
		{"-bundle", "testdata/no-such-dir"},
		{"-profile", "sccm"},
		{"-format", "html5"},
		{"-nosuchflag"},
	} {
		code, _, errOut := runArgs(t, args...)
		lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
		last := lines[len(lines)-1]
		if code != exitFailed || !strings.HasPrefix(last, "diagnose: ") {
			t.Errorf("%v: exit %d stderr %q", args, code, errOut)
		}
		for _, l := range lines {
			if strings.Count(l, "diagnose:") != 1 {
				t.Errorf("%v: stuttering line %q", args, l)
			}
		}
	}
	// A probe that cannot connect is a warning in the report, which names
	// the probe once.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/"
	srv.Close()
	_, rep := jsonReport(t, "-probe", url, "-checks", "NEG001")
	found := false
	for _, w := range rep.Warnings {
		if strings.Contains(w.Source, url) {
			found = true
			if s := w.String(); strings.Count(s, url) > 2 || strings.Contains(s, "negotiate: probe") || !strings.HasPrefix(s, "probe "+url+": initial:") {
				t.Errorf("probe warning stutters: %q", s)
			}
		}
	}
	if !found {
		t.Errorf("no probe warning: %v", rep.Warnings)
	}
}

// Output that is not a terminal has no escape codes: no colour, and
// -progress prints plain lines.
func TestNoEscapeCodesWithoutTerminal(t *testing.T) {
	for _, args := range [][]string{{}, {"-v"}, {"-progress"}, {"-h"}, {"-bundle", "testdata/messy", "-progress"}} {
		_, out, errOut := runArgs(t, args...)
		if strings.ContainsAny(out+errOut, "\x1b\r") {
			t.Errorf("%v: control codes in %q / %q", args, out, errOut)
		}
	}
	// with a terminal (and no NO_COLOR) the text report is coloured
	var o, e bytes.Buffer
	if run(context.Background(), nil, &o, &e, true); !strings.Contains(o.String(), "\x1b[") {
		t.Error("no colour for a terminal")
	}
}

// Issue 6: a BOM'd UTF-16 setspn file, a truncated W3C log and a config with
// an unknown app pool yield a report with warnings, exit 0 or 1, no crash.
func TestMessyBundle(t *testing.T) {
	for _, args := range [][]string{
		{"-bundle", "testdata/messy"},
		{"-config", "testdata/messy/applicationHost.config", "-host", "testdata/messy/host.json",
			"-setspn", "testdata/messy/setspn/web01.txt", "-iislog", "testdata/messy/logs/iis"},
	} {
		code, out, errOut := runArgs(t, append(args, "-format", "json")...)
		if code == exitFailed {
			t.Fatalf("%v: exit 2: %s", args, errOut)
		}
		var rep diagnose.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		var w strings.Builder
		for _, x := range rep.Warnings {
			w.WriteString(x.String() + "\n")
		}
		if !strings.Contains(w.String(), "MissingPool") {
			t.Errorf("%v: no warning about the unknown app pool:\n%s", args, w.String())
		}
		for _, r := range rep.Results {
			if r.Status == diagnose.StatusError {
				t.Errorf("%v: %s error: %s", args, r.CheckID, r.Reason)
			}
		}
		res, _ := rep.Result("SPN004")
		if res.Status == diagnose.StatusSkipped {
			t.Errorf("%v: the UTF-16 setspn file was not used: SPN004 %+v", args, res)
		}
		if rep.Profile != "generic" {
			t.Errorf("profile %s", rep.Profile)
		}
	}
}

// Evidence flags add to a bundle; the same name twice is kept twice.
func TestOverlay(t *testing.T) {
	files := map[string]string{}
	if err := addFiles(files, "setspn", "testdata/messy/setspn/web01.txt", false); err != nil {
		t.Fatal(err)
	}
	if err := addFiles(files, "setspn", "testdata/messy/setspn/web01.txt", false); err != nil {
		t.Fatal(err)
	}
	if err := addFiles(files, "logs/iis", "testdata/messy/logs", true); err != nil {
		t.Fatal(err)
	}
	if _, ok := files["setspn/web01-2.txt"]; !ok || len(files) != 3 {
		t.Errorf("files %v", files)
	}
	if _, ok := files["logs/iis/logs/iis/u_ex260120.log"]; !ok {
		t.Errorf("recursive log dir mapping %v", files)
	}
	ev, err := diagnose.LoadBundleFS(context.Background(), newOverlay(os.DirFS("testdata/messy"), files))
	if err != nil {
		t.Fatal(err)
	}
	if ev.Config == nil || len(ev.IISLogs) != 2 || ev.Directory == nil {
		t.Errorf("overlay evidence: config %v, %d IIS logs, directory %v; warnings %v", ev.Config != nil, len(ev.IISLogs), ev.Directory, ev.Warnings)
	}
}

// Build the real program and check the process exit status.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the program")
	}
	goTool := testenv.LookPath(t, "go")
	bin := filepath.Join(t.TempDir(), "diagnose")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exit := func(args ...string) int {
		cmd := exec.Command(bin, args...)
		cmd.Env = append(os.Environ(), "NO_COLOR=1")
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	if c := exit("-bundle", "testdata/no-such-dir"); c != exitFailed {
		t.Errorf("missing bundle: exit %d", c)
	}
	if c := exit("-o", filepath.Join(t.TempDir(), "r.txt")); c != exitErrors {
		t.Errorf("sample bundle: exit %d, want 1", c)
	}
	if c := exit("-bundle", "testdata/messy", "-checks", "SPN*"); c == exitFailed {
		t.Errorf("messy bundle: exit %d", c)
	}
	// pipes, not terminals, and no NO_COLOR: no escape codes anywhere
	for _, args := range [][]string{{}, {"-progress"}, {"-version"}, {"-h"}} {
		cmd := exec.Command(bin, args...)
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		cmd.Env = append(os.Environ(), "NO_COLOR=", "TERM=xterm-256color")
		_ = cmd.Run()
		if strings.ContainsAny(o.String()+e.String(), "\x1b\r") || o.Len() == 0 {
			t.Errorf("%v through pipes: %q / %q", args, o.String(), e.String())
		}
	}
	if out, err := exec.Command(bin, "-version").Output(); err != nil || !strings.HasPrefix(string(out), "diagnose ") {
		t.Errorf("-version: %v %q", err, out)
	}
}
