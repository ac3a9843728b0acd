package main

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

// The fixed vectors of negotiate/testdata/decrypt: a real AP-REQ from the
// Samba AD DC of testenv/samba with its service account's password, and
// gokrb5's sysHTTP keytab (a key of another account).
func decryptVector(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "negotiate", "testdata", "decrypt", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

type sambaVector struct {
	token, account, sam, realm, password, pwFile string
}

func samba(t *testing.T) sambaVector {
	t.Helper()
	acct := strings.TrimSpace(decryptVector(t, "samba-account.txt"))
	account, pw, _ := strings.Cut(acct, "\n")
	sam, realm, _ := strings.Cut(account, "@")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte(pw+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return sambaVector{token: decryptVector(t, "samba-apreq.hex"), account: account, sam: sam, realm: realm, password: pw, pwFile: pwFile}
}

// syshttpKeytab writes gokrb5's sysHTTP keytab to a file and returns its
// path and the hex of its key bytes (which must never be printed).
func syshttpKeytab(t *testing.T) (path string, keyHex []string) {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimSpace(decryptVector(t, "gokrb5-syshttp.keytab.hex")))
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(t.TempDir(), "syshttp.keytab")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	var kt keytab.Keytab
	if err := kt.Unmarshal(b); err != nil {
		t.Fatal(err)
	}
	for _, e := range kt.Entries {
		keyHex = append(keyHex, hex.EncodeToString(e.Key.KeyValue))
	}
	return path, keyHex
}

func noSecrets(t *testing.T, what string, r result, secrets ...string) {
	t.Helper()
	for _, s := range secrets {
		if s != "" && (strings.Contains(r.stdout, s) || strings.Contains(r.stderr, s)) {
			t.Errorf("%s: output holds a secret (%.6s...)", what, s)
		}
	}
}

func TestDecodeWithPassword(t *testing.T) {
	s := samba(t)
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"file, ad-user", nil, []string{"-password-file", s.pwFile, "-principal", s.account, "-salt-kind", "ad-user"}},
		{"env, realm from the ticket", map[string]string{"SVC_PW": s.password}, []string{"-password-env", "SVC_PW", "-principal", s.sam, "-salt-kind", "ad_user"}},
		{"explicit salt, no principal", nil, []string{"-password-file", s.pwFile, "-salt", s.realm + s.sam}},
		// a single-component name salts alike under MIT and AD user rules
		{"mit salt", nil, []string{"-password-file", s.pwFile, "-principal", s.account}},
	} {
		r := runCmd(t, s.token, tc.env, append(append([]string{"decode"}, tc.args...), "-")...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", tc.name, r.code, r.stdout, r.stderr)
		}
		opener := s.account
		if tc.name == "explicit salt, no principal" {
			opener = "(unnamed key)"
		}
		for _, w := range []string{"SPN:         HTTP/" + s.sam + ".ad.example.test", "Decrypted:     the ticket opens with " + opener + " aes256-cts-hmac-sha1-96 (18)",
			"Client:        reader@AD.EXAMPLE.TEST", `PAC user:      ADEX\reader (S-1-5-21-`, "PAC signature: server hmac-sha1-96-aes256 (16) valid",
			"Authenticator: reader@AD.EXAMPLE.TEST", ": opened"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("%s: output lacks %q:\n%s", tc.name, w, r.stdout)
			}
		}
		noSecrets(t, tc.name, r, s.password)
	}

	r := runCmd(t, s.token, nil, "decode", "-format", "json", "-password-file", s.pwFile, "-principal", s.account, "-salt-kind", "ad-user", "-")
	var out struct {
		Mechanism string `json:"mechanism"`
		Decrypted struct {
			Client string `json:"client"`
			Key    struct {
				Principal string `json:"principal"`
				SaltKind  string `json:"salt_kind"`
				Salt      string `json:"salt"`
			} `json:"key"`
			PAC struct {
				LogonInfo struct {
					EffectiveName string `json:"effective_name"`
				} `json:"logon_info"`
			} `json:"pac"`
		} `json:"decrypted"`
		DecryptError *json.RawMessage `json:"decrypt_error"`
	}
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Mechanism != "Kerberos" || out.Decrypted.Client != "reader" ||
		out.Decrypted.Key.SaltKind != "ad_user" || out.Decrypted.Key.Salt != s.realm+s.sam || out.Decrypted.PAC.LogonInfo.EffectiveName != "reader" || out.DecryptError != nil {
		t.Errorf("json: exit %d %+v\n%s", r.code, out, r.stderr)
	}
	noSecrets(t, "json", r, s.password)

	// The wrong salt kind, and no principal (the salt built from the
	// ticket's SPN): exit 1 with the failure explained.
	for _, args := range [][]string{
		{"-password-file", s.pwFile, "-principal", s.account, "-salt-kind", "ad-computer"},
		{"-password-file", s.pwFile},
	} {
		r := runCmd(t, s.token, nil, append(append([]string{"decode"}, args...), "-")...)
		if r.code != 1 || !strings.Contains(r.stdout, "Decrypted:     no: no key opens the ticket for HTTP/"+s.sam+".ad.example.test@AD.EXAMPLE.TEST") ||
			!strings.Contains(r.stdout, "Server answers: KRB_AP_ERR_MODIFIED (41)") || !strings.Contains(r.stdout, "On IIS:") ||
			!strings.Contains(r.stdout, ": integrity_failed") || r.stderr != "" {
			t.Errorf("%v: exit %d\n%s%s", args, r.code, r.stdout, r.stderr)
		}
		noSecrets(t, strings.Join(args, " "), r, s.password)
	}
}

func TestDecodeWithKeytab(t *testing.T) {
	s := samba(t)
	ktPath, keyHex := syshttpKeytab(t)

	// a keytab of another account (gokrb5's sysHTTP): the reason and what
	// it means on IIS, in text and JSON
	r := runCmd(t, s.token, nil, "decode", "-keytab", ktPath, "-")
	for _, w := range []string{"Reason:        wrong_principal", "belong to sysHTTP@TEST.GOKRB5", "setspn", "Key tried:     sysHTTP@TEST.GOKRB5 kvno 2 aes256-cts-hmac-sha1-96 (18) from keytab " + ktPath + ": integrity_failed"} {
		if r.code != 1 || !strings.Contains(r.stdout, w) {
			t.Errorf("other account's keytab: exit %d, lacks %q\n%s%s", r.code, w, r.stdout, r.stderr)
		}
	}
	noSecrets(t, "keytab text", r, keyHex...)
	r = runCmd(t, s.token, nil, "decode", "-format", "json", "-keytab", ktPath, "-")
	var out struct {
		Decrypted    *json.RawMessage `json:"decrypted"`
		DecryptError struct {
			Reason   string `json:"reason"`
			Code     int    `json:"code"`
			CodeName string `json:"code_name"`
			SPN      string `json:"spn"`
			KVNO     int    `json:"kvno"`
			Meaning  string `json:"meaning"`
			Attempts []struct {
				Result string `json:"result"`
			} `json:"attempts"`
		} `json:"decrypt_error"`
	}
	if r.code != 1 || json.Unmarshal([]byte(r.stdout), &out) != nil || out.Decrypted != nil || out.DecryptError.Reason != "wrong_principal" ||
		out.DecryptError.Code != 41 || out.DecryptError.CodeName != "KRB_AP_ERR_MODIFIED" || out.DecryptError.SPN != "HTTP/"+s.sam+".ad.example.test" ||
		out.DecryptError.KVNO != 2 || out.DecryptError.Meaning == "" || len(out.DecryptError.Attempts) == 0 {
		t.Errorf("json: exit %d %+v\n%s", r.code, out, r.stderr)
	}
	noSecrets(t, "keytab json", r, keyHex...)

	// the account's own keytab (what ktpass /out would write), repeated
	// with the other one: the right key opens the ticket
	kt := keytab.New()
	if err := kt.AddEntry(s.sam, s.realm, s.password, time.Now(), 2, 18); err != nil {
		t.Fatal(err)
	}
	b, err := kt.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	own := filepath.Join(t.TempDir(), "svc.keytab")
	if err := os.WriteFile(own, b, 0o600); err != nil {
		t.Fatal(err)
	}
	r = runCmd(t, s.token, nil, "decode", "-keytab", ktPath, "-keytab", own, "-")
	if r.code != 0 || !strings.Contains(r.stdout, "the ticket opens with "+s.account+" kvno 2 aes256-cts-hmac-sha1-96 (18) from keytab "+own) ||
		!strings.Contains(r.stdout, "Client:        reader@AD.EXAMPLE.TEST") || !strings.Contains(r.stdout, ": integrity_failed") {
		t.Errorf("own keytab: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noSecrets(t, "own keytab", r, append(keyHex, hex.EncodeToString(kt.Entries[0].Key.KeyValue), s.password)...)
}

// Key flags that cannot work are usage errors (exit 2, one line), and a
// password is never taken on the command line.
func TestDecodeKeyFlagErrors(t *testing.T) {
	s := samba(t)
	ktPath, _ := syshttpKeytab(t)
	ntlm := readTestdata(t, "pyspnego_ntlm_authenticate.b64")
	for _, tc := range []struct {
		in   string
		args []string
		env  map[string]string
		want string
	}{
		{s.token, []string{"-principal", s.account}, nil, "-principal describes the keys of a password"},
		{s.token, []string{"-password-file", s.pwFile, "-salt", "X", "-salt-kind", "ad-user", "-principal", s.account}, nil, "not both"},
		{s.token, []string{"-password-file", s.pwFile, "-salt-kind", "ad-user"}, nil, "give -principal"},
		{s.token, []string{"-password-file", s.pwFile, "-principal", s.account, "-salt-kind", "windows"}, nil, `unknown -salt-kind "windows"`},
		{s.token, []string{"-password-file", s.pwFile, "-principal", s.account, "-dns-domain", "ad.example.test"}, nil, "ad-computer only"},
		{s.token, []string{"-password-env", "SVC_PW"}, map[string]string{"SVC_PW": ""}, "$SVC_PW is empty"},
		{s.token, []string{"-password-file", filepath.Join(t.TempDir(), "missing")}, nil, "-password-file"},
		{s.token, []string{"-keytab", filepath.Join(t.TempDir(), "missing")}, nil, "-keytab"},
		{s.token, []string{"-keytab", s.pwFile}, nil, "not a keytab"},
		{ntlm, []string{"-keytab", ktPath}, nil, "the token is a NTLM AUTHENTICATE"},
		{s.token, []string{"-password", s.password}, nil, "not accepted"},
		{s.token, []string{"-password=" + s.password}, nil, "not accepted"},
	} {
		r := runCmd(t, tc.in, tc.env, append(append([]string{"decode"}, tc.args...), "-")...)
		if r.code != 2 || !strings.HasPrefix(r.stderr, "negotiate: ") || !strings.Contains(r.stderr, tc.want) || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("%v: exit %d, want %q in stderr %q", tc.args, r.code, tc.want, r.stderr)
		}
		noSecrets(t, strings.Join(tc.args, " "), r, s.password)
	}
	// the help shows the key flags under Credentials
	r := runCmd(t, "", nil, "decode", "-h")
	for _, w := range []string{"  -keytab FILE", "  -password-file FILE", "  -password-env NAME", "  -principal NAME", "  -salt-kind KIND", "  -salt SALT", "  -dns-domain DOMAIN", "none opens the ticket"} {
		if !strings.Contains(r.stdout, w) {
			t.Errorf("decode -h lacks %q\n%s", w, r.stdout)
		}
	}
}

// TestIntegrationDecodeWithServiceKeytab opens a ticket the real KDC of
// testenv/kerberos issued with the service keytab Apache uses, and explains
// the stale keytab's failure.
func TestIntegrationDecodeWithServiceKeytab(t *testing.T) {
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_REALM", "IISKERB_USER", "IISKERB_PASSWORD", "IISKERB_HTTP_SPN", "IISKERB_HTTP_KEYTAB", "IISKERB_STALE_SPN")
	realm := v[1]
	cl, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: v[0], User: v[2], Password: v[3]})
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Destroy()
	header := func(spn string) string {
		tkt, key, err := cl.GetServiceTicket(spn)
		if err != nil {
			t.Fatalf("ticket for %s: %v", spn, err)
		}
		init, err := spnego.NewNegTokenInitKRB5(cl, tkt, key)
		if err != nil {
			t.Fatal(err)
		}
		b, err := (&spnego.SPNEGOToken{Init: true, NegTokenInit: init}).Marshal()
		if err != nil {
			t.Fatal(err)
		}
		return "Authorization: Negotiate " + base64.StdEncoding.EncodeToString(b)
	}
	r := runCmd(t, header(v[4]), nil, "decode", "-keytab", v[5], "-")
	if r.code != 0 || !strings.Contains(r.stdout, "Client:        "+v[2]+"@"+realm) ||
		!strings.Contains(r.stdout, "the ticket opens with "+v[4]+"@"+realm) {
		t.Errorf("service keytab: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// a ticket for another SPN, whose key http.keytab does not hold: keys of
	// another principal
	r = runCmd(t, header(v[6]), nil, "decode", "-keytab", v[5], "-format", "json", "-")
	if r.code != 1 || !strings.Contains(r.stdout, `"reason": "wrong_principal"`) || !strings.Contains(r.stdout, `"spn": "`+v[6]+`"`) {
		t.Errorf("another SPN: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	noSecrets(t, "integration", r, v[3])
}
