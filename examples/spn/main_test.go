package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/internal/testenv"
)

func runCmd(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{
		{},                                   // no subcommand
		{"-X", "-L", "x", "-offline", "a"},   // two subcommands
		{"-X"},                               // no source
		{"-X", "-ldap", "ldap://x", "f.txt"}, // two sources
		{"-expect", "-offline", "f.txt"},     // -expect without -host
		{"-X", "-format", "xml", "f.txt"},    // bad format
		{"-nosuchflag"},
		{"-X", "-ldap", "http://dc1"},                // not an LDAP URL
		{"-X", "-ldap", "dc1.example.com"},           // no scheme
		{"-X", "-ldap", "ldap://r:s3cret-value@dc1"}, // a password in the URL
		{"-L", "x", "testdata/no-such-file.txt"},     // unreadable input
	} {
		code, out, errs := runCmd(t, nil, args...)
		if code != 2 || out != "" || strings.Contains(errs, "s3cret-value") || !strings.HasPrefix(errs, "spn: ") ||
			strings.Count(errs, "spn:") != 1 || strings.Count(errs, "\n") != 1 {
			t.Errorf("%q: exit %d stderr %q, want 2 and one line", args, code, errs)
		}
	}
}

// The contract every example keeps: -h/-help on stdout with the flag
// groups and exit statuses, -version.
func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "-help"} {
		code, out, errs := runCmd(t, nil, arg)
		if code != 0 || errs != "" {
			t.Fatalf("%s: exit %d stderr %q", arg, code, errs)
		}
		if err := cli.CheckHelp(out, "spn"); err != nil {
			t.Errorf("%s: %v\n%s", arg, err, out)
		}
		for _, w := range []string{"Question:", "  -password-file FILE", "  -password-env NAME", "  3  inconclusive"} {
			if !strings.Contains(out, w) {
				t.Errorf("%s lacks %q", arg, w)
			}
		}
	}
	code, out, errs := runCmd(t, nil, "-version")
	if code != 0 || !strings.HasPrefix(out, "spn ") || errs != "" {
		t.Errorf("-version: exit %d %q %q", code, out, errs)
	}
}

// A password is never taken on the command line; -password-env names the
// variable.
func TestSecretOnCommandLineRefused(t *testing.T) {
	code, out, errs := runCmd(t, nil, "-X", "-ldap", "ldaps://dc1", "-bind-dn", "r", "-password", "s3cret-value")
	if code != 2 || out != "" || strings.Contains(errs, "s3cret-value") || !strings.Contains(errs, "-password-file FILE or -password-env NAME") {
		t.Errorf("-password: exit %d %q", code, errs)
	}
	code, _, errs = runCmd(t, map[string]string{"MY_PW": ""}, "-X", "-ldap", "ldaps://127.0.0.1:1", "-bind-dn", "r", "-password-env", "MY_PW")
	if code != 2 || !strings.Contains(errs, "$MY_PW is empty") {
		t.Errorf("empty -password-env: exit %d %q", code, errs)
	}
}

// Pipes get no escape codes (progress lines are plain).
func TestPlainOutput(t *testing.T) {
	for _, args := range [][]string{{"-X", "-progress", "1ns", "testdata/export.ldf"}, {"-h"}, {"-L", `CORP\svc-web`, "testdata/export.ldf"}} {
		_, out, errs := runCmd(t, nil, args...)
		if strings.ContainsAny(out+errs, "\x1b\r") || out == "" {
			t.Errorf("%v: %q %q", args, out, errs)
		}
	}
}

func TestOfflineDuplicates(t *testing.T) {
	// a finished setspn -X run proves its duplicate list
	// duplicates are problems found: exit 1
	code, out, errs := runCmd(t, nil, "-X", "-offline", "testdata/setspn-X.txt")
	if code != 1 || !strings.Contains(out, "HTTP/portal.corp.example.com is registered on these accounts:") ||
		!strings.Contains(out, "found 1 group(s) of duplicate SPNs.\n") {
		t.Errorf("exit %d\n%s\n%s", code, out, errs)
	}
	// a complete LDIF export proves everything; duplicates found case-insensitively
	code, out, errs = runCmd(t, nil, "-X", "-ldif-complete", "-format", "json", "testdata/export.ldf")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Duplicates []struct {
			SPN    string   `json:"spn"`
			Owners []string `json:"owners"`
		} `json:"duplicates"`
		Completeness struct {
			Complete bool `json:"complete"`
		} `json:"completeness"`
		Accounts int `json:"accounts_scanned"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !res.Completeness.Complete || res.Accounts != 3 || len(res.Duplicates) != 1 || len(res.Duplicates[0].Owners) != 2 ||
		!strings.EqualFold(res.Duplicates[0].SPN, "HTTP/portal.corp.example.com") {
		t.Errorf("%+v", res)
	}
	// without -ldif-complete the same export proves nothing about absence:
	// the duplicate it shows is still a problem (exit 1), and stderr says
	// the answer is incomplete
	if code, _, errs := runCmd(t, nil, "-X", "testdata/export.ldf"); code != 1 || !strings.Contains(errs, "incomplete") {
		t.Errorf("incomplete LDIF: exit %d %s", code, errs)
	}
	// an incomplete answer without a problem in it is inconclusive: exit 3
	if code, _, errs := runCmd(t, nil, "-Q", "HTTP/nothing.corp.example.com", "testdata/export.ldf"); code != 3 ||
		!strings.HasPrefix(errs, "spn: incomplete answer") || strings.Count(errs, "spn:") != 1 {
		t.Errorf("incomplete -Q: exit %d %q", code, errs)
	}
}

func TestOfflineListQueryExpect(t *testing.T) {
	code, out, errs := runCmd(t, nil, "-L", `CORP\svc-web`, "-ldif-complete", "testdata/export.ldf")
	if code != 0 || !strings.Contains(out, "\tHTTP/portal.corp.example.com") || !strings.Contains(out, "RC4 only") {
		t.Errorf("-L: exit %d\n%s%s", code, out, errs)
	}
	code, out, _ = runCmd(t, nil, "-Q", "HTTP/PORTAL.corp.example.com", "-ldif-complete", "testdata/export.ldf")
	if code != 1 || !strings.Contains(out, "DUPLICATE: HTTP/PORTAL.corp.example.com is held by 2 accounts") {
		t.Errorf("-Q: exit %d\n%s", code, out)
	}
	code, out, _ = runCmd(t, nil, "-Q", "HTTP/nothing.corp.example.com", "-ldif-complete", "testdata/export.ldf")
	if code != 0 || !strings.Contains(out, "No such SPN found.") {
		t.Errorf("-Q absent: exit %d\n%s", code, out)
	}
	// portal is on svc-web and WEB02$: for svc-web as the decrypting account
	// that is a duplicate, and svc-web is RC4-only
	code, out, _ = runCmd(t, nil, "-expect", "-host", "web01,web01.corp.example.com,portal.corp.example.com",
		"-account", `CORP\svc-web`, "-ldif-complete", "-format", "json", "testdata/export.ldf")
	var res struct {
		Owner    string `json:"decrypting_account"`
		Verdicts []struct {
			Kind string   `json:"kind"`
			SPN  string   `json:"spn"`
			Fix  []string `json:"fix"`
		} `json:"verdicts"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("exit %d %v\n%s", code, err, out)
	}
	kinds := map[string]bool{}
	for _, v := range res.Verdicts {
		kinds[v.Kind] = true
	}
	if !kinds["duplicated"] || !kinds["rc4-only"] || !strings.Contains(res.Owner, `CORP\svc-web`) || code != 1 {
		t.Errorf("expect verdicts: exit %d %s", code, out)
	}
}

func TestLDAPAgainstSlapd(t *testing.T) {
	v := testenv.Require(t, "IISKERB_SLAPD_URL", "IISKERB_SLAPD_CA", "IISKERB_SLAPD_BIND_DN", "IISKERB_SLAPD_BIND_PW")
	env := map[string]string{passwordEnv: v[3]}
	base := []string{"-ldap", v[0], "-starttls", "-ca", v[1], "-bind-dn", v[2]}

	code, out, errs := runCmd(t, env, append(base, "-X", "-progress", "1ms")...)
	if code != 1 || !strings.Contains(out, "found 2 group(s) of duplicate SPNs.") ||
		!strings.Contains(out, "HTTP/intranet.example.test is registered on these accounts:") {
		t.Errorf("-X: exit %d\n%s\n%s", code, out, errs)
	}
	if !strings.Contains(errs, "entries/s") || !strings.Contains(errs, "SPNs") {
		t.Errorf("no progress on stderr: %q", errs)
	}
	if strings.Contains(out+errs, v[3]) {
		t.Error("password printed")
	}

	code, out, _ = runCmd(t, env, append(base, "-L", `EXAMPLE\svc-old`)...)
	if code != 0 || !strings.Contains(out, "disabled") || !strings.Contains(out, "RC4 only") {
		t.Errorf("-L: exit %d\n%s", code, out)
	}

	// password from a file
	pw := t.TempDir() + "/pw"
	if err := os.WriteFile(pw, []byte(v[3]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCmd(t, nil, append(base, "-password-file", pw, "-Q", "HTTP/app.example.test", "-format", "json")...)
	if code != 0 || !strings.Contains(out, `"name": "EXAMPLE\\gmsa-web$"`) || !strings.Contains(out, `"kind": "group managed service account"`) {
		t.Errorf("-Q json: exit %d\n%s%s", code, out, errs)
	}

	// expectations with the directory's real sPNMappings: HOST/web01 on
	// WEB01$ covers HTTP/web01
	code, out, errs = runCmd(t, env, append(base, "-expect", "-host", "web01,web01.example.test")...)
	if code != 0 || !strings.Contains(out, "sPNMappings read from the directory") || !strings.Contains(out, `EXAMPLE\WEB01$`) {
		t.Errorf("-expect: exit %d\n%s%s", code, out, errs)
	}

	// a size-limited (non-paged) scan is reported as incomplete, exit 1
	code, out, errs = runCmd(t, env, append(base, "-X", "-page-size", "-1")...)
	if code != 1 || !strings.Contains(out, "INCOMPLETE") || !strings.Contains(strings.ToLower(errs), "size limit") {
		t.Errorf("non-paged -X: exit %d\n%s%s", code, out, errs)
	}

	// wrong password: could not run (exit 2), a bind error, no password echoed
	code, _, errs = runCmd(t, map[string]string{passwordEnv: "wrong-pw-123"}, append(base, "-X")...)
	if code != 2 || !strings.Contains(errs, "bind") || strings.Contains(errs, "wrong-pw-123") {
		t.Errorf("bad password: exit %d %s", code, errs)
	}
}

// setspn output cannot show msDS-SupportedEncryptionTypes: the program says
// so instead of assuming the classic RC4 default.
func TestEncTypesNotClaimedFromSetspn(t *testing.T) {
	code, out, errs := runCmd(t, nil, "-L", "CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com", "testdata/setspn-X.txt")
	if code == 2 {
		t.Fatalf("exit 2: %s", errs)
	}
	if strings.Contains(out, "RC4 only") || strings.Contains(out, "the KDC assumes") || !strings.Contains(out, "msDS-SupportedEncryptionTypes: not in the evidence") {
		t.Errorf("encryption types claimed from setspn output:\n%s", out)
	}
	_, out, _ = runCmd(t, nil, "-L", "CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com", "-format", "json", "testdata/setspn-X.txt")
	if !strings.Contains(out, `"rc4_only": null`) {
		t.Errorf("rc4_only stated from setspn output:\n%s", out)
	}
}
