package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/cli"
	"github.com/iiskerb/iiskerb/internal/testenv"
)

type result struct {
	code           int
	stdout, stderr string
}

func runCmd(t *testing.T, stdin string, env map[string]string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb, func(k string) string { return env[k] })
	return result{code, out.String(), errb.String()}
}

func readTestdata(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDecodeCorpus(t *testing.T) {
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"pyspnego_ntlm_authenticate.b64", []string{"NTLM AUTHENTICATE", "vagrant-domain@DOMAIN.LOCAL", "JBOREAN-LINUX", "User visible: true", "NTLMv2"}},
		{"gokrb5_spnego_gssapi_init_krb5_apreq.hex", []string{"SPNEGO NegTokenInit carrying Kerberos AP-REQ", "TEST.GOKRB5", "HTTP/host.test.gokrb5", "aes256-cts-hmac-sha1-96 kvno 2", "User visible: false"}},
		{"pyspnego_krb_error.b64", []string{"KDC_ERR_PREAUTH_REQUIRED (25)", "DOMAIN.LOCAL"}},
		{"impacket_spnego_negTokenResp_ntlm_challenge.hex", []string{"SPNEGO NegTokenResp carrying NTLM CHALLENGE", "accept-incomplete"}},
	} {
		in := readTestdata(t, tc.file)
		r := runCmd(t, in, nil, "decode", "-")
		if r.code != 0 {
			t.Fatalf("%s: exit %d: %s", tc.file, r.code, r.stderr)
		}
		for _, w := range tc.want {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.file, w, r.stdout)
			}
		}
		// the same token as an argument, and as a header line (base64 only)
		if r2 := runCmd(t, "", nil, "decode", strings.TrimSpace(in)); r2.code != 0 || r2.stdout != r.stdout {
			t.Errorf("%s as argument: exit %d %s", tc.file, r2.code, r2.stderr)
		}
		if strings.HasSuffix(tc.file, ".b64") {
			r3 := runCmd(t, "", nil, "decode", "Authorization: Negotiate "+strings.TrimSpace(in))
			if r3.code != 0 || !strings.Contains(r3.stdout, "Scheme:      Negotiate") {
				t.Errorf("%s as header: exit %d %s", tc.file, r3.code, r3.stderr)
			}
		}
	}
}

func TestDecodeJSON(t *testing.T) {
	r := runCmd(t, readTestdata(t, "pyspnego_ntlm_authenticate.b64"), nil, "decode", "-", "-format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		Mechanism string `json:"mechanism"`
		Visible   struct{ User string }
		Token     struct {
			Kind string `json:"kind"`
			NTLM struct {
				MessageType string `json:"message_type"`
				Flags       struct {
					Raw   uint32   `json:"raw"`
					Names []string `json:"names"`
				} `json:"flags"`
			} `json:"ntlm"`
		} `json:"token"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.Mechanism != "NTLM" || out.Visible.User != "vagrant-domain@DOMAIN.LOCAL" || out.Token.Kind != "NTLM AUTHENTICATE" ||
		out.Token.NTLM.MessageType != "AUTHENTICATE_MESSAGE (3)" || out.Token.NTLM.Flags.Raw == 0 || out.Token.NTLM.Flags.Names[0] != "NEGOTIATE_UNICODE" {
		t.Errorf("%+v", out)
	}
	// the token is the library type: snake_case keys, OIDs as dotted strings
	for _, name := range []string{"pyspnego_ntlm_authenticate.b64", "gokrb5_spnego_gssapi_init_krb5_apreq.hex", "pyspnego_krb_error.b64", "impacket_spnego_negTokenResp_ntlm_challenge.hex"} {
		r := runCmd(t, readTestdata(t, name), nil, "decode", "-", "-format", "json")
		var doc struct {
			Token any `json:"token"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil || doc.Token == nil {
			t.Fatalf("%s: %v %s", name, err, r.stderr)
		}
		checkSnakeJSON(t, name, "token", doc.Token)
	}
	r = runCmd(t, readTestdata(t, "gokrb5_spnego_gssapi_init_krb5_apreq.hex"), nil, "decode", "-", "-format", "json")
	if !strings.Contains(r.stdout, `"oid": "1.2.840.113554.1.2.2"`) || !strings.Contains(r.stdout, `"ticket_enctype": "aes256-cts-hmac-sha1-96 (18)"`) {
		t.Errorf("Kerberos token JSON:\n%s", r.stdout)
	}
}

var snakeKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// checkSnakeJSON asserts every object key under v is snake_case and no
// array is a list of integers (an OID as asn1.ObjectIdentifier).
func checkSnakeJSON(t *testing.T, name, path string, v any) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if !snakeKey.MatchString(k) {
				t.Errorf("%s: key %s.%s is not snake_case", name, path, k)
			}
			checkSnakeJSON(t, name, path+"."+k, e)
		}
	case []any:
		ints := len(v) > 1
		for i, e := range v {
			if _, ok := e.(float64); !ok {
				ints = false
			}
			checkSnakeJSON(t, name, fmt.Sprintf("%s[%d]", path, i), e)
		}
		if ints {
			t.Errorf("%s: %s is an array of numbers %v", name, path, v)
		}
	}
}

func TestDecodeFailures(t *testing.T) {
	for _, tc := range []struct {
		name, stdin string
		args        []string
	}{
		{"truncated token", readTestdata(t, "msdocs_ie_negotiate_header_TRUNCATED_prefix.b64"), []string{"decode", "-"}},
		{"garbage", "", []string{"decode", "zzz!"}},
		{"not a token", "", []string{"decode", "SGVsbG8gd29ybGQ="}},
		{"bare scheme", "", []string{"decode", "Negotiate"}},
		{"empty stdin", "", []string{"decode", "-"}},
		{"no argument", "", []string{"decode"}},
		{"two arguments", "", []string{"decode", "a", "b"}},
		{"bad format", "", []string{"decode", "-format", "xml", "oQcwBaADCgEA"}},
		{"bad encoding", "", []string{"decode", "-encoding", "rot13", "oQcwBaADCgEA"}},
		{"no command", "", nil},
		{"unknown command", "", []string{"frobnicate"}},
	} {
		r := runCmd(t, tc.stdin, nil, tc.args...)
		if r.code != 2 {
			t.Errorf("%s: exit %d, want 2", tc.name, r.code)
		}
		if tc.args != nil && tc.args[0] == "decode" && strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 && !strings.Contains(r.stderr, "Usage") {
			t.Errorf("%s: error is not one line: %q", tc.name, r.stderr)
		}
		if strings.TrimSpace(r.stderr) == "" {
			t.Errorf("%s: no error message", tc.name)
		}
	}
	// the truncated token still shows what could be read
	r := runCmd(t, readTestdata(t, "msdocs_ie_negotiate_header_TRUNCATED_prefix.b64"), nil, "decode", "-")
	if !strings.Contains(r.stdout, "ODESSY.LOCAL") || !strings.Contains(r.stderr, "truncated") {
		t.Errorf("truncated: %q / %q", r.stdout, r.stderr)
	}
}

func TestProbeCommand(t *testing.T) {
	anon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer anon.Close()
	closed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("WWW-Authenticate", "Negotiate")
		w.Header().Add("WWW-Authenticate", "NTLM")
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer closed.Close()

	r := runCmd(t, "", nil, "probe", anon.URL, "-format", "json")
	var tr struct {
		Mechanism string `json:"mechanism"`
		Rounds    []struct {
			Status int `json:"status"`
		} `json:"rounds"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &tr) != nil || tr.Mechanism != "anonymous" || len(tr.Rounds) != 1 {
		t.Errorf("anonymous: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, "", nil, "probe", "-ntlm-user", `EXAMPLE\bob`, closed.URL)
	if r.code != 1 || !strings.Contains(r.stdout, "Offered:    Negotiate, NTLM") || !strings.Contains(r.stdout, "Authentication failed") {
		t.Errorf("401 server: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, args := range [][]string{{"probe"}, {"probe", "ftp://x"}, {"probe", "-format", "xml", anon.URL}, {"probe", "-user", "a", "-krb5conf", "/nonexistent", anon.URL}} {
		if r := runCmd(t, "", nil, args...); r.code != 2 {
			t.Errorf("%v: exit %d", args, r.code)
		}
	}
	if r := runCmd(t, "", nil, "ticket", "HTTP/x"); r.code != 2 || !strings.Contains(r.stderr, "no Kerberos credentials") {
		t.Errorf("ticket without credentials: %d %q", r.code, r.stderr)
	}
}

// The contract every example keeps, for the program and each command:
// -h/-help on stdout with the flag groups and exit statuses, -version.
func TestHelpAndVersion(t *testing.T) {
	for _, args := range [][]string{{"-h"}, {"-help"}, {"help"}, {"decode", "-h"}, {"decode", "-help"}, {"probe", "-h"},
		{"probe", "http://x/", "-help"}, {"ticket", "-h"}} {
		r := runCmd(t, "", nil, args...)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
		name := "negotiate"
		if args[0] != "-h" && args[0] != "-help" && args[0] != "help" {
			name += " " + args[0]
		}
		if err := cli.CheckHelp(r.stdout, name); err != nil {
			t.Errorf("%v: %v\n%s", args, err, r.stdout)
		}
	}
	r := runCmd(t, "", nil, "probe", "-h")
	for _, w := range []string{"  -password-file FILE", "  -password-env NAME", "  -ntlm-password-env NAME", "  1  problems found - not authenticated"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("probe -h lacks %q", w)
		}
	}
	for _, args := range [][]string{{"-version"}, {"decode", "-version"}, {"probe", "-version"}, {"ticket", "-version"}} {
		r := runCmd(t, "", nil, args...)
		if r.code != 0 || !strings.HasPrefix(r.stdout, "negotiate ") || strings.Count(r.stdout, "\n") != 1 || r.stderr != "" {
			t.Errorf("%v: exit %d %q %q", args, r.code, r.stdout, r.stderr)
		}
	}
}

// A password is never taken on the command line, and the refusal does not
// echo it.
func TestSecretOnCommandLineRefused(t *testing.T) {
	for _, args := range [][]string{
		{"probe", "-user", "alice", "-password", "s3cret-value", "http://web01/"},
		{"probe", "http://web01/", "-ntlm-user", `EX\bob`, "-ntlm-password=s3cret-value"},
		{"ticket", "-user", "alice", "--password", "s3cret-value", "HTTP/web01"},
	} {
		r := runCmd(t, "", nil, args...)
		if r.code != 2 || strings.Contains(r.stderr, "s3cret-value") || !strings.Contains(r.stderr, "password-file FILE or -") ||
			strings.Count(r.stderr, "\n") != 1 || r.stdout != "" {
			t.Errorf("%v: exit %d %q", args, r.code, r.stderr)
		}
	}
	// the password comes from a file or the environment variable -password-env names
	r := runCmd(t, "", map[string]string{"MY_PW": ""}, "ticket", "-user", "alice", "-password-env", "MY_PW", "HTTP/web01")
	if r.code != 2 || !strings.Contains(r.stderr, "$MY_PW is empty") {
		t.Errorf("empty -password-env: exit %d %q", r.code, r.stderr)
	}
}

// A bad URL is a usage error before anything is dialled, never echoing a
// password in it; errors have one "negotiate: " prefix.
func TestBadURLAndErrorPrefix(t *testing.T) {
	for _, u := range []string{"ftp://web01/", "web01", "http://", "http://user:s3cret-value@web01/", "http://%zz/"} {
		r := runCmd(t, "", nil, "probe", u)
		if r.code != 2 || strings.Contains(r.stderr, "s3cret-value") || !strings.HasPrefix(r.stderr, "negotiate: probe ") || r.stdout != "" {
			t.Errorf("%q: exit %d %q %q", u, r.code, r.stdout, r.stderr)
		}
	}
	srv := httptest.NewServer(http.NotFoundHandler())
	closed := srv.URL + "/"
	srv.Close()
	for _, args := range [][]string{
		{"probe", closed},
		{"decode", "SGVsbG8gd29ybGQ="},
		{"decode", "-nosuch", "x"},
		{"ticket", "-user", "a", "-keytab", "/nonexistent", "-krb5conf", "/nonexistent", "HTTP/x"},
		{"frobnicate"},
		{},
	} {
		r := runCmd(t, "", nil, args...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "negotiate: ") || strings.Count(r.stderr, "negotiate:") != 1 ||
			strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
}

// Pipes get no escape codes.
func TestPlainOutput(t *testing.T) {
	anon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }))
	defer anon.Close()
	for _, args := range [][]string{{"decode", "-"}, {"probe", anon.URL}, {"-h"}, {"probe", "-h"}} {
		r := runCmd(t, readTestdata(t, "pyspnego_ntlm_authenticate.b64"), nil, args...)
		if strings.ContainsAny(r.stdout+r.stderr, "\x1b\r") || r.stdout == "" {
			t.Errorf("%v: %q %q", args, r.stdout, r.stderr)
		}
	}
}

// TestIntegrationCommands runs probe and ticket against the real KDC and
// Apache (testenv/kerberos).
func TestIntegrationCommands(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_USER", "IISKERB_PASSWORD", "IISKERB_HTTP_ADDR",
		"IISKERB_HTTP_URL_UNBOUND", "IISKERB_MISSING_SPN", "IISKERB_HTTP_URL_NTLM", "IISKERB_NTLM_DOMAIN", "IISKERB_NTLM_USER", "IISKERB_NTLM_PASSWORD", "IISKERB_HTTP_SPN")
	env := map[string]string{"IISKERB_PASSWORD": v[2], "IISKERB_NTLM_PASSWORD": v[9]}
	r := runCmd(t, "", env, "probe", "-krb5conf", v[0], "-user", v[1], "-connect-to", v[3], v[4])
	if r.code != 0 || !strings.Contains(r.stdout, "Kerberos authenticated") || !strings.Contains(r.stdout, "challenged again") {
		t.Errorf("probe: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runCmd(t, "", env, "probe", "-krb5conf", v[0], "-user", v[1], "-connect-to", v[3], "-spn", v[5],
		"-ntlm-user", v[7]+`\`+v[8], v[6], "-format", "json")
	var tr struct {
		Mechanism      string `json:"mechanism"`
		FellBackToNTLM bool   `json:"fell_back_to_ntlm"`
		KerberosError  struct {
			Code int `json:"code"`
		} `json:"kerberos_error"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &tr) != nil || tr.Mechanism != "NTLM" || !tr.FellBackToNTLM || tr.KerberosError.Code != 7 {
		t.Errorf("probe NTLM fallback: exit %d %+v\n%s", r.code, tr, r.stderr)
	}
	if strings.Contains(r.stdout, v[2]) || strings.Contains(r.stdout, v[9]) {
		t.Error("password in probe output")
	}
	r = runCmd(t, "", env, "ticket", "-krb5conf", v[0], "-user", v[1], v[5])
	if r.code != 1 || !strings.Contains(r.stdout, "KDC_ERR_S_PRINCIPAL_UNKNOWN") {
		t.Errorf("ticket missing SPN: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(v[2]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, "", nil, "ticket", "-krb5conf", v[0], "-user", v[1], "-password-file", pwFile, "-format", "json", v[10])
	if r.code != 0 || !strings.Contains(r.stdout, `"enctype_id": 18`) {
		t.Errorf("ticket: exit %d %q %q", r.code, r.stdout, r.stderr)
	}
}

// FuzzDecodeCommand feeds arbitrary text to "decode -": it must exit 0 or 2
// and never panic.
func FuzzDecodeCommand(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, s := range []string{"oQcwBaADCgEA", "Authorization: Negotiate YIIL", "6082", "NTLM TlRMTVNTUAAB", "\ufeffNegotiate", "a\nb", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var out, errb bytes.Buffer
		code := run(context.Background(), []string{"decode", "-"}, strings.NewReader(s), &out, &errb, func(string) string { return "" })
		if code != 0 && code != 2 {
			t.Fatalf("exit %d", code)
		}
		if code == 2 && strings.Count(strings.TrimRight(errb.String(), "\n"), "\n") != 0 {
			t.Fatalf("multi-line error %q", errb.String())
		}
	})
}
