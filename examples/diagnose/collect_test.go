package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestStripPasswords(t *testing.T) {
	in := `<add name="P"><processModel identityType="SpecificUser" userName="EXAMPLE\svc" password="[enc:IISCngProvider:abc:enc]" /></add>
<virtualDirectory path="/" physicalPath="\\fs\share" userName="u" Password='p&apos;w' />
<anonymousAuthentication enabled="true" userName="IUSR" password = "secret" />`
	out := string(stripPasswords([]byte(in)))
	for _, bad := range []string{"enc:", "secret", "p&apos;w", "assword"} {
		if strings.Contains(out, bad) {
			t.Errorf("%q left in:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `userName="EXAMPLE\svc" />`) || !strings.Contains(out, `userName="IUSR" />`) {
		t.Errorf("other attributes damaged:\n%s", out)
	}
}

func TestCollect(t *testing.T) {
	srcDir := t.TempDir()
	cfgPath := filepath.Join(srcDir, "applicationHost.config")
	cfg, err := os.ReadFile("../../diagnose/sample/applicationHost.config")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	iisDir := filepath.Join(srcDir, "LogFiles", "W3SVC1")
	if err := os.MkdirAll(iisDir, 0o755); err != nil {
		t.Fatal(err)
	}
	log, _ := os.ReadFile("../../diagnose/sample/logs/iis/W3SVC1/u_ex260120.log")
	_ = os.WriteFile(filepath.Join(iisDir, "u_ex260120.log"), log, 0o644)
	old := filepath.Join(iisDir, "u_ex250101.log")
	_ = os.WriteFile(old, []byte("#Fields: date\n"), 0o644)
	_ = os.Chtimes(old, time.Now().AddDate(0, 0, -60), time.Now().AddDate(0, 0, -60))
	var asked []string
	src := collectSource{
		ConfigPath: cfgPath,
		Host:       map[string]string{"computer": "NS01", "fqdn": "ns01.example.com", "domain": "EXAMPLE"},
		LogDirs:    map[string]string{"logs/iis": filepath.Join(srcDir, "LogFiles"), "logs/agent": filepath.Join(srcDir, "missing")},
		Setspn: func(ctx context.Context, account string) ([]byte, error) {
			asked = append(asked, account)
			if account == "NS01" {
				return os.ReadFile("../../diagnose/sample/setspn/NS01.txt")
			}
			return []byte("Could not find account " + account + "\n"), errors.New("exit status 1")
		},
	}
	dst := filepath.Join(t.TempDir(), "bundle")
	var msgs bytes.Buffer
	if err := collect(context.Background(), dst, 7, src, &msgs); err != nil {
		t.Fatal(err)
	}
	if strings.Join(asked, ",") != `NS01,EXAMPLE\AltirisService` {
		t.Errorf("setspn asked for %v", asked)
	}
	got, _ := os.ReadFile(filepath.Join(dst, "applicationHost.config"))
	if bytes.Contains(got, []byte("enc:")) || !bytes.Contains(got, []byte(`userName="EXAMPLE\AltirisService"`)) {
		t.Error("collected config still has the password, or lost the user")
	}
	if _, err := os.Stat(filepath.Join(dst, "logs", "iis", "W3SVC1", "u_ex260120.log")); err != nil {
		t.Error(err)
	}
	if _, err := os.Stat(filepath.Join(dst, "logs", "iis", "W3SVC1", "u_ex250101.log")); err == nil {
		t.Error("a log older than -days was copied")
	}
	if !strings.Contains(msgs.String(), "finished with 2 problems") {
		t.Errorf("messages:\n%s", msgs.String())
	}
	// The collected bundle is analysed like any other.
	code, out, errOut := runArgs(t, "-bundle", dst, "-format", "json")
	if code == exitFailed || !strings.Contains(out, `"profile": "itms"`) {
		t.Errorf("analysing the collected bundle: exit %d %s", code, errOut)
	}
	// A non-empty target is refused.
	if err := collect(context.Background(), dst, 7, src, &msgs); err == nil {
		t.Error("collect into a non-empty directory")
	}
}

func TestCollectElsewhere(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the local source exists on Windows")
	}
	code, _, errOut := runArgs(t, "-collect", filepath.Join(t.TempDir(), "b"))
	if code != exitFailed || !strings.Contains(errOut, "Windows-only") {
		t.Errorf("exit %d: %s", code, errOut)
	}
}
