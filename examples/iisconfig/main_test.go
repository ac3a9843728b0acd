package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/cli"
)

const sample = "testdata/sample.config"

func TestJSONKeys(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-config", sample}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	var list []map[string]any
	if err := json.Unmarshal(out.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	if len(list) != 9 {
		t.Fatalf("%d entries", len(list))
	}
	// the library's iisconfig.Settings, marshalled as is
	want := []string{"path", "site", "application", "app_pool_name", "app_pool", "bindings", "windows_auth", "anonymous_auth", "basic_auth", "digest_auth", "decrypting_account"}
	for _, e := range list {
		if len(e) != len(want) {
			t.Errorf("keys %v", e)
		}
		checkSnake(t, "", e)
		if p, ok := e["app_pool"].(map[string]any); ok {
			if _, ok := p["identity_type"].(string); !ok {
				t.Errorf("app_pool lacks identity_type: %v", p)
			}
		}
		if _, ok := e["decrypting_account"].(map[string]any)["kind"].(string); !ok {
			t.Errorf("decrypting_account lacks kind: %v", e["decrypting_account"])
		}
		for _, k := range want {
			if _, ok := e[k]; !ok {
				t.Errorf("missing key %q in %v", k, e["path"])
			}
		}
		w := e["windows_auth"].(map[string]any)
		for _, k := range []string{"enabled", "providers", "use_kernel_mode", "use_app_pool_credentials", "auth_persist_non_ntlm", "auth_persist_single_request", "extended_protection"} {
			if _, ok := w[k]; !ok {
				t.Errorf("windows_auth lacks %q", k)
			}
		}
		ep := w["extended_protection"].(map[string]any)
		if _, ok := ep["token_checking"]; !ok {
			t.Error("extended_protection lacks token_checking")
		}
		if _, ok := e["anonymous_auth"].(map[string]any)["user_name"]; !ok {
			t.Error("anonymous_auth lacks user_name")
		}
		for _, b := range e["bindings"].([]any) {
			for _, k := range []string{"protocol", "address", "port", "host"} {
				if _, ok := b.(map[string]any)[k]; !ok {
					t.Errorf("binding lacks %q", k)
				}
			}
		}
	}
	if strings.Contains(out.String(), "enc:") || strings.Contains(out.String(), "assword") {
		t.Error("password material in output")
	}
	// The CTAgent path shows the NTLM-first workaround.
	var ct map[string]any
	for _, e := range list {
		if e["path"] == "Default Web Site/Altiris/TaskManagement/CTAgent" {
			ct = e
		}
	}
	if ct == nil || ct["windows_auth"].(map[string]any)["providers"].([]any)[0] != "NTLM" {
		t.Errorf("CTAgent entry %v", ct)
	}
}

var snakeKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// checkSnake asserts every object key under v is snake_case.
func checkSnake(t *testing.T, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if !snakeKey.MatchString(k) {
				t.Errorf("key %s.%s is not snake_case", path, k)
			}
			checkSnake(t, path+"."+k, e)
		}
	case []any:
		for _, e := range v {
			checkSnake(t, path+"[]", e)
		}
	}
}

func TestOnePathAndText(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run([]string{"-config", sample, "-path", "default web site/altiris/console", "-format", "text"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "PATH") || !strings.Contains(lines[1], `CORP\svc-altiris`) || !strings.HasPrefix(lines[1], "Default Web Site/Altiris/Console") {
		t.Errorf("text output:\n%s", out.String())
	}
}

func TestBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.config")
	if err := os.WriteFile(bad, []byte("<configuration>\n<system.applicationHost>\n</sites>\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	web := filepath.Join(dir, "web.config")
	if err := os.WriteFile(web, []byte("<configuration><system.webServer/></configuration>"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{},
		{"-config", filepath.Join(dir, "missing.config")},
		{"-config", bad},
		{"-config", web},
		{"-config", sample, "-format", "xml"},
		{"-config", sample, "-path", "No Such Site/x"},
		{"-config", sample, "-bogus"},
		{"-config", sample, "extra"},
		{"-config", sample, "-password", "s3cret"}, // no secrets on the command line (and none needed)
	} {
		var out, errb bytes.Buffer
		if code := run(args, &out, &errb); code != 2 {
			t.Errorf("%v: exit %d, want 2", args, code)
		}
		if msg := errb.String(); strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "iisconfig: ") || strings.Count(msg, "iisconfig:") != 1 {
			t.Errorf("%v: stderr %q is not one line with one prefix", args, msg)
		}
		if out.Len() != 0 {
			t.Errorf("%v: stdout %q", args, out.String())
		}
	}
}

// The contract every example keeps: -h/-help on stdout with the flag
// groups and exit statuses, -version.
func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "-help"} {
		var out, errb bytes.Buffer
		if code := run([]string{arg}, &out, &errb); code != 0 || errb.Len() != 0 {
			t.Fatalf("%s: exit %d stderr %q", arg, code, errb.String())
		}
		if err := cli.CheckHelp(out.String(), "iisconfig"); err != nil {
			t.Errorf("%s: %v\n%s", arg, err, out.String())
		}
	}
	var out, errb bytes.Buffer
	if code := run([]string{"-version"}, &out, &errb); code != 0 || !strings.HasPrefix(out.String(), "iisconfig ") || errb.Len() != 0 {
		t.Errorf("-version: exit %d %q %q", code, out.String(), errb.String())
	}
}

// Output and errors through pipes carry no escape codes; the refused
// password is not echoed.
func TestPlainOutput(t *testing.T) {
	for _, args := range [][]string{{"-config", sample, "-format", "text"}, {"-config", sample}, {"-h"}, {"-password", "s3cret"}} {
		var out, errb bytes.Buffer
		run(args, &out, &errb)
		if strings.ContainsAny(out.String()+errb.String(), "\x1b\r") || strings.Contains(errb.String(), "s3cret") {
			t.Errorf("%v: %q %q", args, out.String(), errb.String())
		}
	}
}

// TestBuiltBinary builds the program and runs it as a user would.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	bin := filepath.Join(t.TempDir(), "iisconfig")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "-config", sample).Output()
	if err != nil {
		t.Fatal(err)
	}
	var list []map[string]any
	if err := json.Unmarshal(out, &list); err != nil || len(list) == 0 {
		t.Fatalf("output: %v %s", err, out)
	}
	cmd := exec.Command(bin, "-config", "testdata/none.config")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err = cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("missing file: %v, stderr %q", err, stderr.String())
	}
	for _, arg := range []string{"-h", "-version"} {
		if out, err := exec.Command(bin, arg).Output(); err != nil || !strings.HasPrefix(string(out), "iisconfig ") {
			t.Errorf("%s: %v %q", arg, err, out)
		}
	}
}
