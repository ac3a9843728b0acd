package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/beevik/etree"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// corpusSecrets walks a configuration independently of stripSecrets and
// returns the secret values it holds and the user names it names.
func corpusSecrets(t *testing.T, data []byte) (secrets, users []string) {
	t.Helper()
	doc := etree.NewDocument()
	doc.ReadSettings.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	if err := doc.ReadFromBytes(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))); err != nil {
		t.Fatal(err)
	}
	for _, e := range doc.FindElements("//*") {
		for _, a := range e.Attr {
			k := strings.ToLower(a.Key)
			switch {
			case strings.Contains(k, "password") && a.Value != "":
				secrets = append(secrets, a.Value)
			case k == "validationkey" || k == "decryptionkey" || k == "sessionkey":
				secrets = append(secrets, a.Value)
			case k == "username" && a.Value != "":
				users = append(users, a.Value)
			}
			if i := strings.Index(a.Value, "[enc:"); i >= 0 {
				secrets = append(secrets, a.Value[i:])
			}
		}
	}
	return secrets, users
}

// TestStripSecretsAppHostCorpus strips the 22 real applicationHost.config
// files of iisconfig/testdata/corpus and the sample: no password, [enc:]
// value or key survives, every userName does, and the cleaned file gives
// the same diagnosis inputs (sites, pools, effective authentication).
func TestStripSecretsAppHostCorpus(t *testing.T) {
	files, _ := filepath.Glob("../../iisconfig/testdata/corpus/*.config")
	files = append(files, "../../diagnose/sample/applicationHost.config")
	if len(files) < 23 {
		t.Fatalf("corpus: %d files", len(files))
	}
	totalSecrets := 0
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			clean, rep, err := stripSecrets(raw)
			if err != nil {
				t.Fatal(err)
			}
			secrets, users := corpusSecrets(t, raw)
			totalSecrets += len(secrets)
			for _, s := range secrets {
				if len(s) >= 3 && bytes.Contains(clean, []byte(s)) {
					t.Errorf("secret %.40q survived", s)
				}
			}
			for _, bad := range []string{"[enc:", "password=", "Password=", "sessionKey="} {
				if bytes.Contains(clean, []byte(bad)) {
					t.Errorf("%q survived", bad)
				}
			}
			for _, u := range users {
				if !bytes.Contains(clean, []byte(`userName="`+xmlEscape(u)+`"`)) {
					t.Errorf("user name %q lost", u)
				}
			}
			// Line numbers hold: the report cites lines of the server's file.
			// (Markers inside comments disappear with the comments.)
			lr, lc := lineNumbersOf(raw, "<location", "<site ", "<add name="), lineNumbersOf(clean, "<location", "<site ", "<add name=")
			for n := range lc {
				if !lr[n] {
					t.Errorf("line numbers moved: a marker is on line %d of the cleaned file, not of the original", n)
				}
			}
			if len(lc) < len(lr)/2 || bytes.Count(raw, []byte("\n")) != bytes.Count(clean, []byte("\n")) {
				t.Errorf("lines lost: %d markers of %d, %d line breaks of %d", len(lc), len(lr), bytes.Count(clean, []byte("\n")), bytes.Count(raw, []byte("\n")))
			}
			before, err1 := iisconfig.Parse(bytes.NewReader(raw))
			after, err2 := iisconfig.Parse(bytes.NewReader(clean))
			if (err1 == nil) != (err2 == nil) {
				t.Fatalf("parse before %v, after %v", err1, err2)
			}
			if err1 != nil {
				return
			}
			if len(before.Sites) != len(after.Sites) || len(before.AppPools) != len(after.AppPools) || len(before.Locations) != len(after.Locations) {
				t.Errorf("structure changed: %d/%d sites, %d/%d pools, %d/%d locations", len(before.Sites), len(after.Sites),
					len(before.AppPools), len(after.AppPools), len(before.Locations), len(after.Locations))
			}
			for name, p := range before.AppPools {
				if q := after.AppPools[name]; q == nil || q.UserName != p.UserName || q.IdentityType != p.IdentityType {
					t.Errorf("pool %q changed", name)
				}
			}
			ba, aa := before.Applications(), after.Applications()
			if len(ba) != len(aa) {
				t.Fatalf("%d applications before, %d after", len(ba), len(aa))
			}
			for i := range ba {
				b, a := ba[i], aa[i]
				if b.Path != a.Path || b.WindowsAuth.Enabled != a.WindowsAuth.Enabled || strings.Join(b.WindowsAuth.Providers, ",") != strings.Join(a.WindowsAuth.Providers, ",") ||
					b.WindowsAuth.UseAppPoolCredentials != a.WindowsAuth.UseAppPoolCredentials || b.WindowsAuth.AuthPersistNonNTLM != a.WindowsAuth.AuthPersistNonNTLM ||
					b.Anonymous != a.Anonymous || b.Decrypting != a.Decrypting {
					t.Errorf("%s: effective settings changed", b.Path)
				}
			}
			if len(secrets) > 0 && len(rep) == 0 {
				t.Error("secrets found but nothing reported removed")
			}
		})
	}
	if totalSecrets < 30 {
		t.Errorf("the corpus should hold secrets to remove; found %d", totalSecrets)
	}
}

func xmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// TestStripSecretsWebConfigs strips the real public web.config files of
// testdata/collect (see its PROVENANCE).
func TestStripSecretsWebConfigs(t *testing.T) {
	cases := []struct {
		file   string
		gone   []string // secrets
		kept   []string // user names and ordinary settings
		config string   // configuration path for ParseWebConfig
	}{
		{"1126048156-dangjian.Web.config",
			[]string{"Password=lxy"},
			[]string{"User ID=sa;Password=" + removedValue + ";Max Pool Size", "Initial Catalog=28day;User ID=sa;Password=" + removedValue + `"`,
				`<identity impersonate="true"/>`, `value="storage=file;timeout=20;dir=c:\TempImageFiles\;"`, "provider connection string=&quot;Data Source=192.168.189.129"},
			"Site/dangjian"},
		{"TwilioDevEd-airtng-csharp.Web.config",
			[]string{"Your Twilio Auth Token"},
			[]string{`key="TwilioAccountSid" value="Your Twilio Account SID"`, `key="TwilioPhoneNumber" value="Your Twilio Phone Number"`,
				`key="TwilioAuthToken" value="` + removedValue + `"`, `key="ClientValidationEnabled" value="true"`},
			"Site"},
		{"dnnsoftware-Dnn.Platform-development.web.config",
			[]string{"F9D1A2D3E1D3E2F7B3D9F90FF3965ABDAC304902", "pwd=", "uid=;"},
			[]string{`<machineKey decryption="3DES" validation="SHA1"/>`, `connectionStringName="SiteSqlServer"`, `key="AutoUpgrade" value="true"`,
				`<forms name=".DOTNETNUKE"`},
			"Site/dnn"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", "collect", c.file))
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.gone {
				if !bytes.Contains(raw, []byte(s)) {
					t.Fatalf("test data lacks %q", s)
				}
			}
			clean, rep, err := stripSecrets(raw)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range c.gone {
				if bytes.Contains(clean, []byte(s)) {
					t.Errorf("%q survived", s)
				}
			}
			for _, s := range c.kept {
				if !bytes.Contains(clean, []byte(s)) {
					t.Errorf("%q lost", s)
				}
			}
			if bytes.Count(clean, []byte("\n")) != bytes.Count(raw, []byte("\n")) {
				t.Errorf("line count changed: %d -> %d", bytes.Count(raw, []byte("\n")), bytes.Count(clean, []byte("\n")))
			}
			if _, err := iisconfig.ParseWebConfig(c.file, c.config, bytes.NewReader(clean)); err != nil {
				t.Errorf("cleaned web.config does not parse: %v", err)
			}
			t.Log(rep)
		})
	}
}

func TestStripSecretsCases(t *testing.T) {
	in := `<?xml version="1.0" encoding="utf-16"?>
<configuration>
  <!-- <add name="old" connectionString="Server=db;User Id=olduser;Password=commented-secret" /> -->
  <connectionStrings configProtectionProvider="RsaProtectedConfigurationProvider">
    <EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Element" xmlns="http://www.w3.org/2001/04/xmlenc#">
      <CipherData>
        <CipherValue>cipher-secret-AAAA</CipherValue>
      </CipherData>
    </EncryptedData>
  </connectionStrings>
  <appSettings>
    <add key="Legacy" value="Server=x;Database=y;User Id=legacyuser;Pwd=pwd-secret" />
    <add key="EncryptionKey" value="key-secret" />
    <add key="Api.Key" value="dotted-key-secret" />
    <add key="ClientSecret" value="client-secret" />
    <add key="ShowMissingKeys" value="false" />
    <add key="passmarks" value="35" />
    <add key="Mongo" value="mongodb://mongouser:url-secret@db.example.com/app" />
    <add key="Enc" value="prefix [enc:AesProvider:enc-secret:enc] suffix" />
  </appSettings>
  <applicationSettings>
    <My.Settings>
      <setting name="ServicePassword" serializeAs="String"><value>setting-secret</value></setting>
      <setting name="ServiceUser" serializeAs="String"><value>settinguser</value></setting>
    </My.Settings>
  </applicationSettings>
  <system.web>
    <identity impersonate="true" userName="CORP\imperson" password="identity-secret" />
    <authentication mode="Forms"><forms><credentials passwordFormat="Clear"><user name="formsuser" password="forms-secret"/></credentials></forms></authentication>
    <sessionState mode="SQLServer" sqlConnectionString="data source=db;user id=sessionuser;password='quoted;secret'" />
  </system.web>
  <system.webServer>
    <security><authentication>
      <windowsAuthentication enabled="true" useAppPoolCredentials="true"><extendedProtection tokenChecking="Require" /></windowsAuthentication>
    </authentication></security>
    <aspNetCore><environmentVariables><environmentVariable name="SMTP_TOKEN" value="env-secret" /></environmentVariables></aspNetCore>
  </system.webServer>
  <text>Data Source=x;Password=text-secret</text>
</configuration>
`
	// As PowerShell would save it: UTF-16LE with a BOM.
	u := utf16.Encode([]rune(in))
	raw := make([]byte, 2+2*len(u))
	raw[0], raw[1] = 0xff, 0xfe
	for i, c := range u {
		binary.LittleEndian.PutUint16(raw[2+2*i:], c)
	}
	clean, rep, err := stripSecrets(raw)
	if err != nil {
		t.Fatal(err)
	}
	out := string(clean)
	for _, s := range []string{"commented-secret", "cipher-secret", "pwd-secret", "key-secret", "client-secret", "url-secret", "enc-secret",
		"setting-secret", "identity-secret", "forms-secret", "quoted;secret", "secret'", "env-secret", "text-secret", "utf-16"} {
		if strings.Contains(out, s) {
			t.Errorf("%q survived", s)
		}
	}
	for _, s := range []string{"legacyuser", `userName="CORP\imperson"`, `name="formsuser"`, "user id=sessionuser", "mongouser", "settinguser",
		`key="ShowMissingKeys" value="false"`, `key="passmarks" value="35"`, `useAppPoolCredentials="true"`, `tokenChecking="Require"`,
		"prefix [" + removedValue + "] suffix", `encoding="utf-8"`} {
		if !strings.Contains(out, s) {
			t.Errorf("%q lost", s)
		}
	}
	if strings.Count(out, "\n") != strings.Count(in, "\n") {
		t.Errorf("line count changed")
	}
	t.Log(rep)
	if _, _, err := stripSecrets([]byte("<configuration><a></configuration>")); err == nil {
		t.Error("malformed XML was accepted")
	}
}

func TestNameWords(t *testing.T) {
	for in, want := range map[string]string{"EncryptionKey": "encryption key", "APIKey": "api key", "Api.Key": "api key",
		"ShowMissingKeys": "show missing keys", "webpages:Version": "webpages version", "keyFile": "key file"} {
		if got := strings.Join(nameWords(in), " "); got != want {
			t.Errorf("nameWords(%q) = %q, want %q", in, got, want)
		}
	}
	for name, want := range map[string]bool{"TwilioAuthToken": true, "ApiKey": true, "EncryptionKey": true, "DbPwd": true, "SmtpPassword": true,
		"ShowMissingKeys": false, "passmarks": false, "TwilioAccountSid": false, "webpages:Version": false, "Monkey": false} {
		if secretName(name) != want {
			t.Errorf("secretName(%q) = %v", name, !want)
		}
	}
	for name, want := range map[string]bool{"password": true, "Password": true, "passwordFormat": true, "validationKey": true, "sessionKey": true,
		"key": false, "userName": false, "useAppPoolCredentials": false, "tokenChecking": false, "publicKeyToken": false, "keyContainerName": false} {
		if secretAttr(name) != want {
			t.Errorf("secretAttr(%q) = %v", name, !want)
		}
	}
}

// lineNumbersOf returns the numbers of the lines holding any of the
// markers.
func lineNumbersOf(data []byte, markers ...string) map[int]bool {
	out := map[int]bool{}
	for i, line := range strings.Split(string(data), "\n") {
		for _, m := range markers {
			if strings.Contains(line, m) {
				out[i+1] = true
			}
		}
	}
	return out
}
