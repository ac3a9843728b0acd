package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// keyBundle writes a bundle whose http/ capture holds the AP-REQ of the
// fixed Samba vector (negotiate/testdata/decrypt), and returns it with the
// service account's name and password.
func keyBundle(t *testing.T) (dir, account, password string) {
	t.Helper()
	src := filepath.Join("..", "..", "negotiate", "testdata", "decrypt")
	h, err := os.ReadFile(filepath.Join(src, "samba-apreq.hex"))
	if err != nil {
		t.Fatal(err)
	}
	tok, err := hex.DecodeString(strings.TrimSpace(string(h)))
	if err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(src, "samba-account.txt"))
	if err != nil {
		t.Fatal(err)
	}
	account, password, _ = strings.Cut(strings.TrimSpace(string(a)), "\n")
	dir = t.TempDir()
	trace := "> GET /app/ HTTP/1.1\n> Host: web.ad.example.test\n> Authorization: Negotiate " + base64.StdEncoding.EncodeToString(tok) + "\n>\n< HTTP/1.1 200 OK\n<\n"
	if err := os.MkdirAll(filepath.Join(dir, "http"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "http", "capture.txt"), []byte(trace), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, account, password
}

type krb003Report struct {
	Results []struct {
		ID     string `json:"check_id"`
		Status string `json:"status"`
	} `json:"results"`
	Findings []struct {
		Check    string `json:"check_id"`
		Severity string `json:"severity"`
		Message  string `json:"message"`
	} `json:"findings"`
}

func runKRB003(t *testing.T, args ...string) (code int, rep krb003Report, out, errOut string) {
	t.Helper()
	code, out, errOut = runArgs(t, append([]string{"-checks", "KRB003", "-format", "json"}, args...)...)
	if code != exitFailed {
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	return code, rep, out, errOut
}

func (r krb003Report) status() string {
	for _, c := range r.Results {
		if c.ID == "KRB003" {
			return c.Status
		}
	}
	return ""
}

func (r krb003Report) messages() string {
	var m []string
	for _, f := range r.Findings {
		if f.Check == "KRB003" {
			m = append(m, f.Severity+": "+f.Message)
		}
	}
	return strings.Join(m, "\n")
}

// -key-keytab and -key-password-file/-key-password-env add keys to the
// evidence, so KRB003 opens the captured ticket (or says why not).
func TestKeyFlagsRunKRB003(t *testing.T) {
	dir, account, password := keyBundle(t)
	sam, _, _ := strings.Cut(account, "@")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	noSecret := func(what, out, errOut string) {
		t.Helper()
		if strings.Contains(out+errOut, password) {
			t.Errorf("%s: the password is in the output", what)
		}
	}

	// without keys KRB003 does not run
	_, rep, _, _ := runKRB003(t, "-bundle", dir)
	if st := rep.status(); st == "passed" || st == "failed" {
		t.Errorf("no keys: KRB003 %s", st)
	}

	code, rep, out, errOut := runKRB003(t, "-bundle", dir, "-key-password-file", pwFile, "-key-principal", account)
	if code == exitFailed || rep.status() != "passed" || !strings.Contains(rep.messages(), "opens with the key of "+sam) ||
		!strings.Contains(rep.messages(), "reader@AD.EXAMPLE.TEST") {
		t.Errorf("password file: exit %d status %q\n%s\n%s", code, rep.status(), rep.messages(), errOut)
	}
	noSecret("password file", out, errOut)

	t.Setenv("IISKERB_TEST_KEY_PW", password)
	code, rep, out, errOut = runKRB003(t, "-bundle", dir, "-key-password-env", "IISKERB_TEST_KEY_PW", "-key-principal", account, "-key-salt-kind", "ad-user")
	if code == exitFailed || rep.status() != "passed" {
		t.Errorf("password env: exit %d status %q\n%s\n%s", code, rep.status(), rep.messages(), errOut)
	}
	noSecret("password env", out, errOut)

	// the wrong salt kind: the ticket does not open, and KRB003 says why
	code, rep, out, errOut = runKRB003(t, "-bundle", dir, "-key-password-file", pwFile, "-key-principal", account, "-key-salt-kind", "ad-computer")
	if code != exitErrors || rep.status() != "failed" || !strings.Contains(rep.messages(), "does not open with the keys given") {
		t.Errorf("computer salt: exit %d status %q\n%s\n%s", code, rep.status(), rep.messages(), errOut)
	}
	noSecret("computer salt", out, errOut)

	// keytabs, repeated, adding to keys/: gokrb5's sysHTTP keytab belongs to
	// another account
	kh, err := os.ReadFile(filepath.Join("..", "..", "negotiate", "testdata", "decrypt", "gokrb5-syshttp.keytab.hex"))
	if err != nil {
		t.Fatal(err)
	}
	kb, err := hex.DecodeString(strings.TrimSpace(string(kh)))
	if err != nil {
		t.Fatal(err)
	}
	kt := filepath.Join(t.TempDir(), "syshttp.keytab")
	if err := os.WriteFile(kt, kb, 0o600); err != nil {
		t.Fatal(err)
	}
	code, rep, _, errOut = runKRB003(t, "-bundle", dir, "-key-keytab", kt, "-key-keytab", kt)
	if code != exitErrors || rep.status() != "failed" || !strings.Contains(rep.messages(), "sysHTTP@TEST.GOKRB5") {
		t.Errorf("keytab: exit %d status %q\n%s\n%s", code, rep.status(), rep.messages(), errOut)
	}
	code, rep, out, errOut = runKRB003(t, "-bundle", dir, "-key-keytab", kt, "-key-password-file", pwFile, "-key-principal", account)
	if code == exitFailed || rep.status() != "passed" {
		t.Errorf("keytab and password: exit %d status %q\n%s\n%s", code, rep.status(), rep.messages(), errOut)
	}
	noSecret("keytab and password", out, errOut)

	// usage errors: exit 2, one line, never the password
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-key-principal", account}, "give it with -key-password-file FILE or -key-password-env NAME"},
		{[]string{"-key-password-file", pwFile, "-key-salt-kind", "ad-user"}, "give -key-principal"},
		{[]string{"-key-password-file", pwFile, "-key-principal", account, "-key-salt-kind", "nt"}, `unknown -key-salt-kind "nt"`},
		{[]string{"-key-password-env", "IISKERB_TEST_UNSET_PW", "-key-principal", account}, "$IISKERB_TEST_UNSET_PW is empty"},
		{[]string{"-key-password-file", pwFile, "-key-principal", sam}, "no realm"},
		{[]string{"-key-keytab", pwFile}, "-key-keytab"},
		{[]string{"-key-password", password}, "not accepted"},
	} {
		code, out, errOut := runArgs(t, append([]string{"-bundle", dir}, tc.args...)...)
		if code != exitFailed || !strings.Contains(errOut, tc.want) || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, want %q in %q", tc.args[0], code, tc.want, errOut)
		}
		noSecret(tc.args[0], out, errOut)
	}
}
