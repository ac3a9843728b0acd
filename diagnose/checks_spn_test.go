package diagnose

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/iisconfig"
	"github.com/iiskerb/iiskerb/spn"
)

// runSPNScenario loads testdata/scenarios/<name> as an evidence bundle and
// runs the SPN checks.
func runSPNScenario(t *testing.T, name string) *Report {
	t.Helper()
	ev, err := LoadBundle(context.Background(), filepath.Join("testdata", "scenarios", name))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range ev.Warnings {
		t.Errorf("%s: evidence warning: %v", name, w)
	}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"SPN*"}})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func TestSPNScenarios(t *testing.T) {
	type want struct {
		status  Status
		count   int    // findings above info
		subject string // subject of the first finding above info
		command string // a command that must appear in its remediation
		message string // a substring of its message
	}
	tests := []struct {
		scenario string
		checks   map[string]want
	}{
		{"SPN-clean", map[string]want{
			"SPN001": {status: StatusPassed}, "SPN002": {status: StatusPassed}, "SPN003": {status: StatusPassed},
			"SPN004": {status: StatusPassed}, "SPN005": {status: StatusPassed}, "SPN006": {status: StatusPassed},
		}},
		{"SPN001-missing", map[string]want{
			"SPN001": {StatusFailed, 1, "HTTP/portal.corp.example.com", `setspn -S HTTP/portal.corp.example.com CORP\WEB01$`, "no account holds HTTP/portal.corp.example.com"},
			"SPN002": {status: StatusPassed},
		}},
		{"SPN001-unverified", map[string]want{
			// setspn -L of the decrypting account is its full SPN list: the
			// binding's SPN is definitively not on it (another holder would
			// hold the wrong key), an error, not "not verified".
			"SPN001": {StatusFailed, 1, "HTTP/portal.corp.example.com", `setspn -S HTTP/portal.corp.example.com CORP\WEB01$`, "not among the SPNs of CORP\\WEB01$"},
			"SPN003": {StatusFailed, 1, "offline evidence setspn/web01.txt", "setspn -F -X > setspn-X.txt", "Duplicate scan incomplete"},
			"SPN006": {status: StatusNotVerified}, // setspn output cannot show msDS-SupportedEncryptionTypes, checked below
		}},
		{"SPN002-wrong-account", map[string]want{
			"SPN002": {StatusFailed, 1, "HTTP/portal.corp.example.com", `setspn -D HTTP/portal.corp.example.com CORP\svc-web`, "not on CORP\\WEB01$"},
			"SPN001": {status: StatusPassed},
		}},
		{"SPN003-duplicate", map[string]want{
			"SPN003": {StatusFailed, 1, "MSSQLSvc/sql01.corp.example.com:1433", `setspn -D MSSQLSvc/sql01.corp.example.com:1433 CORP\svc-sql`, "registered on 2 accounts"},
		}},
		{"SPN003-truncated", map[string]want{
			"SPN003": {StatusFailed, 1, "offline evidence setspn/dups.txt", "setspn -F -X > setspn-X.txt", "incomplete"},
		}},
		{"SPN004-malformed", map[string]want{
			"SPN004": {StatusFailed, 1, "HTTP/https://apps.corp.example.com/", `setspn -S HTTP/apps.corp.example.com CORP\svc-web`, "URL scheme"},
		}},
		{"SPN005-cname", map[string]want{
			"SPN005": {StatusFailed, 1, "portal.corp.example.com", `setspn -S HTTP/lb01.corp.example.com CORP\WEB01$`, "browsers request HTTP/lb01.corp.example.com"},
			"SPN001": {StatusFailed, 1, "HTTP/lb01.corp.example.com", `setspn -S HTTP/lb01.corp.example.com CORP\WEB01$`, "CNAME"},
		}},
		{"SPN006-rc4", map[string]want{
			"SPN006": {StatusFailed, 1, `CORP\svc-web`, "Set-ADUser -Identity 'svc-web' -KerberosEncryptionType AES128,AES256", "allows only RC4-HMAC"},
			"SPN001": {status: StatusPassed}, "SPN002": {status: StatusPassed},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.scenario, func(t *testing.T) {
			rep := runSPNScenario(t, tt.scenario)
			for id, w := range tt.checks {
				res, ok := rep.Result(id)
				if !ok || res.Status != w.status {
					t.Errorf("%s: result %+v, want %s", id, res, w.status)
				}
				var above []Finding
				for _, f := range rep.FindingsOf(id) {
					if f.Severity > Info {
						above = append(above, f)
					}
				}
				if len(above) != w.count {
					t.Errorf("%s: %d findings above info, want %d: %+v", id, len(above), w.count, above)
					continue
				}
				if w.count == 0 {
					continue
				}
				f := above[0]
				if f.Subject != w.subject || !strings.Contains(f.Message, w.message) {
					t.Errorf("%s: finding %q: %s", id, f.Subject, f.Message)
				}
				found := false
				for _, r := range f.Remediation {
					for _, c := range r.Commands {
						found = found || c == w.command
					}
				}
				if !found {
					t.Errorf("%s: no command %q in %+v", id, w.command, f.Remediation)
				}
				if len(f.Evidence) == 0 {
					t.Errorf("%s: finding without evidence", id)
				}
			}
		})
	}
}

func TestSPNRC4NotVerifiedFromSetspn(t *testing.T) {
	rep := runSPNScenario(t, "SPN001-unverified")
	fs := rep.FindingsOf("SPN006")
	if len(fs) != 1 || fs[0].Severity != Info || !strings.HasPrefix(fs[0].Message, "Not verified: the encryption types (msDS-SupportedEncryptionTypes)") ||
		!strings.Contains(fs[0].Message, `CORP\WEB01$`) || strings.Contains(fs[0].Message, "RC4 only") {
		t.Errorf("SPN006 = %+v", fs)
	}
	if res, _ := rep.Result("SPN006"); res.Status != StatusNotVerified || !strings.Contains(res.Settle, "msDS-SupportedEncryptionTypes") {
		t.Errorf("SPN006 result %+v, want not_verified with what would settle it", res)
	}
}

func TestSPNChecksSkipWithoutDirectory(t *testing.T) {
	rep, err := Diagnose(context.Background(), &Evidence{Host: Host{Computer: "WEB01"}}, &Options{Checks: []string{"SPN*"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"SPN001", "SPN002", "SPN003", "SPN004", "SPN005", "SPN006"} {
		if res, _ := rep.Result(id); res.Status != StatusSkipped {
			t.Errorf("%s: %+v, want skipped", id, res)
		}
	}
}

// brokenDir fails every operation, like an LDAP server that went away.
type brokenDir struct{ *spn.MemoryDirectory }

func (brokenDir) Owners(context.Context, string) (spn.Answer, error) {
	return spn.Answer{}, errBroken
}
func (brokenDir) Scan(context.Context, func(*spn.Account) error) (spn.Completeness, error) {
	return spn.Completeness{Reason: "connection lost"}, errBroken
}

var errBroken = &spn.IncompleteError{Reason: "LDAP connection lost after 10 entries"}

func TestSPNChecksIncompleteDirectory(t *testing.T) {
	ev := &Evidence{Host: Host{Computer: "WEB01", FQDN: "web01.corp.example.com", Domain: "CORP"},
		Directory: brokenDir{spn.NewMemoryDirectory(nil, true)}}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"SPN*"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"SPN001", "SPN003"} {
		res, _ := rep.Result(id)
		if res.Status == StatusPassed {
			t.Errorf("%s passed on an incomplete directory: %+v %+v", id, res, rep.FindingsOf(id))
		}
	}
	if len(rep.Warnings) == 0 {
		t.Error("no evidence warning for the incomplete directory")
	}
}

// fakeResolver answers CNAME lookups from a map; other names are canonical.
type fakeResolver map[string]string

func (r fakeResolver) LookupCNAME(_ context.Context, host string) (string, error) {
	if host == "broken.corp.example.com" {
		return "", errors.New("SERVFAIL")
	}
	if c, ok := r[strings.ToLower(host)]; ok {
		return c + ".", nil
	}
	return host + ".", nil
}

// mappedDir is a memory directory with a custom sPNMappings attribute, as
// the LDAP directory reads it from the configuration partition.
type mappedDir struct {
	*spn.MemoryDirectory
	m spn.SPNMappings
}

func (d mappedDir) SPNMappings(context.Context) (spn.SPNMappings, error) { return d.m, nil }

func loadConfig(t *testing.T, xml string) *iisconfig.Config {
	t.Helper()
	cfg, err := iisconfig.Parse(strings.NewReader(xml))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func TestSPNChecksHostHeadersResolverMappings(t *testing.T) {
	raw, err := os.ReadFile("testdata/scenarios/SPN006-rc4/applicationHost.config")
	if err != nil {
		t.Fatal(err)
	}
	// Only host-header bindings: the computer's names cannot reach the site.
	xml := strings.Replace(string(raw), `bindingInformation="*:80:"`, `bindingInformation="*:80:apps.corp.example.com"`, 1)
	xml = strings.Replace(xml, `*:443:portal.corp.example.com`, `*:443:broken.corp.example.com`, 1)
	accts := []spn.Account{
		{Name: `CORP\WEB01$`, SAMAccountName: "WEB01$", Kind: spn.Computer, SPNs: []string{"HOST/WEB01", "HOST/web01.corp.example.com"}, EncTypes: 0x1c, EncTypesSet: true},
		{Name: `CORP\svc-web`, SAMAccountName: "svc-web", Kind: spn.User, SPNs: []string{"HTTP/broken.corp.example.com"}, EncTypes: 0x18, EncTypesSet: true},
		{Name: `CORP\LB01$`, SAMAccountName: "LB01$", Kind: spn.Computer, SPNs: []string{"HOST/lb01.corp.example.com"}, EncTypes: 0x18, EncTypesSet: true},
	}
	ev := &Evidence{
		Config:    loadConfig(t, xml),
		Host:      Host{Computer: "WEB01", FQDN: "web01.corp.example.com", Domain: "CORP"},
		Directory: mappedDir{spn.NewMemoryDirectory(accts, true), spn.SPNMappings{{Alias: "host", Classes: []string{"cifs"}}}},
		Resolver:  fakeResolver{"apps.corp.example.com": "lb01.corp.example.com"},
	}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"SPN*"}, Profile: GenericProfile()})
	if err != nil {
		t.Fatal(err)
	}
	subjects := func(id string) []string {
		var out []string
		for _, f := range rep.FindingsOf(id) {
			if f.Severity > Info {
				out = append(out, f.Subject)
			}
		}
		return out
	}
	// apps is a CNAME of lb01; the forest's mapping does not let HOST cover
	// HTTP, so HOST/lb01 on LB01$ does not count and HTTP/lb01 is missing.
	// No expectation for HTTP/web01*: the site only answers its host headers.
	if got := subjects("SPN001"); len(got) != 1 || got[0] != "HTTP/lb01.corp.example.com" {
		t.Errorf("SPN001 subjects = %q", got)
	}
	if got := subjects("SPN005"); len(got) != 1 || got[0] != "apps.corp.example.com" {
		t.Errorf("SPN005 subjects = %q", got)
	}
	if got := subjects("SPN002"); len(got) != 0 {
		t.Errorf("SPN002 subjects = %q", got)
	}
	warned := false
	for _, w := range rep.Warnings {
		warned = warned || (w.Source == "dns" && strings.Contains(w.Message, "SERVFAIL"))
	}
	if !warned {
		t.Errorf("no warning for the failed CNAME lookup: %+v", rep.Warnings)
	}
}

func TestSPNChecksWithoutDirectoryOrOwner(t *testing.T) {
	// DNS evidence without a directory: SPN005 still explains the CNAME.
	ev := &Evidence{Host: Host{Computer: "WEB01", FQDN: "web01.corp.example.com", Domain: "CORP",
		Aliases: []string{"portal.corp.example.com"}, CNAMEs: map[string]string{"portal.corp.example.com": "lb01.corp.example.com"}}}
	rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"SPN*"}})
	if err != nil {
		t.Fatal(err)
	}
	fs := rep.FindingsOf("SPN005")
	if len(fs) != 1 || fs[0].Severity != Warning || !strings.Contains(fs[0].Message, "no directory evidence") {
		t.Errorf("SPN005 = %+v", fs)
	}
	if res, _ := rep.Result("SPN001"); res.Status != StatusSkipped {
		t.Errorf("SPN001 = %+v", res)
	}

	// A LocalService pool: the path cannot be checked, and SPN001 says so.
	raw, err := os.ReadFile("testdata/scenarios/SPN006-rc4/applicationHost.config")
	if err != nil {
		t.Fatal(err)
	}
	xml := strings.Replace(string(raw), `identityType="SpecificUser"`, `identityType="LocalService"`, 1)
	ev = &Evidence{Config: loadConfig(t, xml), Host: Host{Computer: "WEB01"}, Directory: spn.NewMemoryDirectory(nil, true)}
	rep, err = Diagnose(context.Background(), ev, &Options{Checks: []string{"SPN001"}, Profile: GenericProfile()})
	if err != nil {
		t.Fatal(err)
	}
	fs = rep.FindingsOf("SPN001")
	if len(fs) != 1 || fs[0].Severity != Info || !strings.Contains(fs[0].Message, "Not checked") || fs[0].Subject != "Default Web Site" {
		t.Errorf("SPN001 = %+v", fs)
	}
}

// A malformed value whose intended SPN its holder already has needs only
// removing: the plan does not ask to register what is there (setspn -S
// would refuse it). When the holder lacks it, registering it stays.
func TestMalformedRemedyKnowsWhatIsRegistered(t *testing.T) {
	for _, tc := range []struct {
		list     string
		register bool
	}{
		{"\tHTTP/web01@CORP.EXAMPLE.COM\n\tHTTP/web01\n", false},
		{"\tHTTP/web01@CORP.EXAMPLE.COM\n", true},
	} {
		o, err := spn.ParseSetspn("svc.txt", strings.NewReader("Registered ServicePrincipalNames for CN=svc-web,OU=Svc,DC=corp,DC=example,DC=com:\n"+tc.list))
		if err != nil {
			t.Fatal(err)
		}
		ev := &Evidence{Directory: spn.NewOfflineDirectory(spn.OfflineInput{Setspn: []*spn.SetspnOutput{o}})}
		rep, err := Diagnose(context.Background(), ev, &Options{Checks: []string{"SPN004"}})
		if err != nil {
			t.Fatal(err)
		}
		var cmds []string
		for _, f := range rep.FindingsOf("SPN004") {
			if f.Subject != "HTTP/web01@CORP.EXAMPLE.COM" {
				continue
			}
			for _, r := range f.Remediation {
				cmds = append(cmds, r.Commands...)
			}
		}
		registers := slices.ContainsFunc(cmds, func(c string) bool { return strings.HasPrefix(c, "setspn -S HTTP/web01 ") })
		removes := slices.Contains(cmds, "setspn -D HTTP/web01@CORP.EXAMPLE.COM svc-web")
		if registers != tc.register || !removes {
			t.Errorf("%q: commands %q; want removal, registration %v", tc.list, cmds, tc.register)
		}
	}
}
