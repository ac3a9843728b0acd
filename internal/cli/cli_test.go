package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTrim(t *testing.T) {
	for _, tc := range []struct{ prefix, msg, want string }{
		{"diagnose", "diagnose: options: Checks \"X\": matches no check", "options: Checks \"X\": matches no check"},
		{"diagnose", "diagnose: diagnose: evidence bundle: x", "evidence bundle: x"},
		{"iisconfig", `iisconfig: path "x/y": no such site`, `path "x/y": no such site`},
		{"probe http://h/", "negotiate: probe http://h/: initial: dial tcp: refused", "initial: dial tcp: refused"},
		{"probe http://h/", "probe http://h/: initial: x", "initial: x"},
		{"negotiate", "negotiate: probe http://h/: initial: x", "probe http://h/: initial: x"},
		{"negotiate", "negotiate: decode at byte 3: short", "decode at byte 3: short"},
		{"spn", "spn: incomplete answer: size limit", "incomplete answer: size limit"},
		// a prefix that repeats nothing stays
		{"diagnose", "spn: ldap URL \"x\": want ldap://", "spn: ldap URL \"x\": want ldap://"},
		{"probe http://h/", "negotiate: probe http://other/: url: bad", "negotiate: probe http://other/: url: bad"},
		{"diagnose", "open x: no such file", "open x: no such file"},
		// not a package word: left alone
		{"probe http://h/", "Get \"http://h/\": probe http://h/: x", "Get \"http://h/\": probe http://h/: x"},
		// one line
		{"iisconfig", "iisconfig: a\n  b", "a b"},
		{"", "x: y", "x: y"},
	} {
		if got := Trim(tc.prefix, tc.msg); got != tc.want {
			t.Errorf("Trim(%q, %q) = %q, want %q", tc.prefix, tc.msg, got, tc.want)
		}
	}
	if got := Join("diagnose", "diagnose: options: x"); got != "diagnose: options: x" {
		t.Errorf("Join = %q", got)
	}
}

func newTest() (*Command, *bytes.Buffer, *bytes.Buffer) {
	var o, e bytes.Buffer
	c := New("prog", "prog does things.", &o, &e)
	c.Exit = []Exit{{ExitOK, "fine"}, {ExitUsage, ""}}
	return c, &o, &e
}

func TestHelpAndVersion(t *testing.T) {
	for _, arg := range []string{"-h", "-help", "--help"} {
		c, o, e := newTest()
		c.Flags().String("in", "", "input `FILE`")
		c.Flags().String("format", "text", "output format")
		c.Groups = []Group{{Title: GroupEvidence, Flags: []string{"in"}}, {Title: GroupOutput, Flags: []string{"format"}}}
		_, code, done := c.Parse([]string{arg})
		if !done || code != ExitOK || e.Len() != 0 {
			t.Fatalf("%s: done %v code %d stderr %q", arg, done, code, e.String())
		}
		out := o.String()
		if !strings.HasPrefix(out, "prog does things.\n") {
			t.Errorf("first line: %q", out)
		}
		for _, w := range []string{"\nEvidence:\n  -in FILE\n", "\nLive sources:\n  none\n", "\nCredentials:\n  none\n",
			"\nOutput:\n  -format string\n        output format (default \"text\")\n", "  -version\n", "\nExit status:\n  0  ok - fine\n  2  could not run (usage or input error)\n"} {
			if !strings.Contains(out, w) {
				t.Errorf("help lacks %q:\n%s", w, out)
			}
		}
		if !inOrder(out, "Evidence:", "Live sources:", "Credentials:", "Output:", "Exit status:") || strings.Contains(out, "Other:") {
			t.Errorf("group order or stray flags:\n%s", out)
		}
	}
	c, o, _ := newTest()
	if _, code, done := c.Parse([]string{"-version"}); !done || code != 0 || !strings.HasPrefix(o.String(), "prog ") {
		t.Errorf("-version: %v %d %q", done, code, o.String())
	}
	if v := Version("x"); v != "x (devel)" && !strings.HasPrefix(v, "x v") {
		t.Errorf("Version = %q", v)
	}
	// an ungrouped flag is not hidden
	c, o, _ = newTest()
	c.Flags().Bool("stray", false, "a stray flag")
	c.Parse([]string{"-h"})
	if !strings.Contains(o.String(), "Other:\n  -stray\n") {
		t.Errorf("stray flag:\n%s", o.String())
	}
	// a group naming an unknown flag is a programming error
	c, _, e := newTest()
	c.Groups = []Group{{Title: GroupOutput, Flags: []string{"nope"}}}
	if _, code, _ := c.Parse([]string{"-h"}); code != ExitUsage || !strings.Contains(e.String(), "-nope") {
		t.Errorf("unknown flag in help: %d %q", code, e.String())
	}
}

func TestWrap(t *testing.T) {
	got := wrapHanging("0  ok - "+strings.Repeat("word ", 30), "  ", "     ", 40)
	for i, l := range strings.Split(strings.TrimSuffix(got, "\n"), "\n") {
		if len(l) > 40 || (i == 0) != strings.HasPrefix(l, "  0") || (i > 0 && !strings.HasPrefix(l, "     word")) {
			t.Errorf("line %d %q", i, l)
		}
	}
	if got := wrap("a\nb", "> ", 10); got != "> a\n> b\n" {
		t.Errorf("%q", got)
	}
}

func TestUsageErrors(t *testing.T) {
	c, o, e := newTest()
	c.Flags().String("x", "", "x")
	_, code, done := c.Parse([]string{"-nosuch"})
	if !done || code != ExitUsage || o.Len() != 0 {
		t.Fatalf("done %v code %d", done, code)
	}
	if got := e.String(); got != "prog: flag provided but not defined: -nosuch (see prog -h)\n" {
		t.Errorf("stderr %q", got)
	}
	c, _, _ = newTest()
	c.Interspersed = true
	c.Flags().String("format", "text", "f")
	rest, _, done := c.Parse([]string{"a", "-format", "json", "b"})
	if done || len(rest) != 2 || c.Flags().Lookup("format").Value.String() != "json" {
		t.Errorf("interspersed: %v %v", rest, done)
	}
}

func TestDeprecatedAndRefused(t *testing.T) {
	c, _, e := newTest()
	env := c.Flags().String("password-env", "", "env")
	verbose := c.Flags().Bool("verbose", false, "v")
	c.Deprecate("krb-password-env", "password-env")
	c.Deprecate("v2", "verbose")
	c.Groups = []Group{{Title: GroupCredentials, Flags: []string{"password-env"}}, {Title: GroupOutput, Flags: []string{"verbose"}}}
	if _, _, done := c.Parse([]string{"-krb-password-env", "PW", "-v2"}); done {
		t.Fatal(e.String())
	}
	if *env != "PW" || !*verbose {
		t.Errorf("alias did not set: %q %v", *env, *verbose)
	}
	if !strings.Contains(e.String(), "prog: -krb-password-env is deprecated; use -password-env\n") {
		t.Errorf("no deprecation note: %q", e.String())
	}
	var o bytes.Buffer
	if err := c.WriteHelp(&o); err != nil || !strings.Contains(o.String(), "Deprecated (still accepted, with a note on stderr): -krb-password-env (use -password-env)") ||
		strings.Contains(o.String(), "Other:") {
		t.Errorf("help: %v\n%s", err, o.String())
	}

	for _, args := range [][]string{{"-password", "s3cret"}, {"--password=s3cret"}, {"-x", "-ntlm-password", "s3cret"}} {
		c, _, e := newTest()
		c.Flags().Bool("x", false, "")
		c.AddPassword("", "the user", "PW")
		c.AddPassword("ntlm-", "the NTLM user", "NTLM_PW")
		_, code, done := c.Parse(args)
		if !done || code != ExitUsage || strings.Contains(e.String(), "s3cret") || !strings.Contains(e.String(), "password-file FILE or -") {
			t.Errorf("%v: code %d stderr %q", args, code, e.String())
		}
	}
	// after "--" nothing is a flag
	c, _, _ = newTest()
	c.Refuse("password", "a file")
	if _, _, done := c.Parse([]string{"--", "-password"}); done {
		t.Error("refused after --")
	}
}

func TestPassword(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "pw")
	if err := os.WriteFile(file, []byte("s3cret\r\nsecond line\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"PW": "from-env"}
	getenv := func(k string) string { return env[k] }

	c, _, _ := newTest()
	p := c.AddPassword("", "the user", "PW")
	if _, _, done := c.Parse(nil); done {
		t.Fatal("parse")
	}
	if pw, err := p.Get(getenv); pw != "from-env" || err != nil || !p.Given(getenv) {
		t.Errorf("env: %q %v", pw, err)
	}
	p.File = file
	if pw, err := p.Get(getenv); pw != "s3cret" || err != nil {
		t.Errorf("file: %q %v", pw, err)
	}
	p.File = filepath.Join(dir, "missing")
	if _, err := p.Get(getenv); err == nil || !strings.Contains(err.Error(), "-password-file") {
		t.Errorf("missing file: %v", err)
	}
	p.File, p.Env = "", "UNSET"
	_, err := p.Need("-user alice", getenv)
	var ue *UsageError
	if !errors.As(err, &ue) || !strings.Contains(err.Error(), "$UNSET is empty") || p.Given(getenv) {
		t.Errorf("Need: %v", err)
	}
}

func TestCheckURL(t *testing.T) {
	for _, tc := range []struct {
		raw string
		ok  bool
	}{
		{"ldap://dc1.example.com", true},
		{"LDAPS://dc1:636", true},
		{"http://dc1", false},
		{"ldap://", false},
		{"dc1.example.com", false},
		{"ldap://reader:s3cret@dc1", false},
		{"ldap://%zz", false},
		{"ldap://reader:s3cret@%zz", false},
	} {
		err := CheckURL("-ldap", tc.raw, "ldap", "ldaps")
		if (err == nil) != tc.ok {
			t.Errorf("%q: %v", tc.raw, err)
		}
		var ue *UsageError
		if err != nil && (!errors.As(err, &ue) || strings.Contains(err.Error(), "s3cret") || !strings.HasPrefix(err.Error(), "-ldap")) {
			t.Errorf("%q: %v", tc.raw, err)
		}
	}
	if err := CheckURL("-probe", "https://web01/x", "http", "https"); err != nil {
		t.Error(err)
	}
	if got := ShownURL("https://u:p@h/"); got != "https://u:xxxxx@h/" {
		t.Errorf("ShownURL %q", got)
	}
}

func TestColorNotOnPipes(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	if IsTerminal(w) || Color(w, func(string) string { return "" }) {
		t.Error("a pipe is a terminal")
	}
	if Writer(w) == nil {
		t.Error("no writer")
	}
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	if !colorWanted(true, getenv) || colorWanted(false, getenv) {
		t.Error("colour on a terminal only")
	}
	env["NO_COLOR"] = "1"
	if colorWanted(true, getenv) {
		t.Error("NO_COLOR ignored")
	}
	env["NO_COLOR"], env["TERM"] = "", "dumb"
	if colorWanted(true, getenv) {
		t.Error("TERM=dumb ignored")
	}
}

// inOrder reports whether each of words is in s, in this order.
func inOrder(s string, words ...string) bool {
	at := 0
	for _, w := range words {
		i := strings.Index(s[at:], w)
		if i < 0 {
			return false
		}
		at += i + len(w)
	}
	return true
}

func TestCheckHelp(t *testing.T) {
	c, o, _ := newTest()
	c.Flags().Bool("stray", false, "a stray flag")
	if err := c.WriteHelp(o); err != nil {
		t.Fatal(err)
	}
	if err := CheckHelp(o.String(), "prog"); err == nil || !strings.Contains(err.Error(), "Other") {
		t.Errorf("stray flag: %v", err)
	}
	c.Groups = []Group{{Title: GroupOutput, Flags: []string{"stray"}}}
	o.Reset()
	if err := c.WriteHelp(o); err != nil {
		t.Fatal(err)
	}
	if err := CheckHelp(o.String(), "prog"); err != nil {
		t.Error(err)
	}
	if err := CheckHelp(o.String(), "other"); err == nil {
		t.Error("wrong name accepted")
	}
	if err := CheckHelp(strings.Replace(o.String(), "Credentials:", "Secrets:", 1), "prog"); err == nil {
		t.Error("missing group accepted")
	}
}
