package diagnose

import (
	"context"
	"crypto/x509"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/spn"
)

// TestSPNChecksAgainstSlapd runs the SPN checks end to end against the
// AD-like OpenLDAP directory of testenv/slapd (fixture.ldif): the web server
// WEB01 is reached as intranet.example.test, whose HTTP SPN is held by WEB02,
// svc-web and (in another case) svc-old.
func TestSPNChecksAgainstSlapd(t *testing.T) {
	v := testenv.Require(t, "IISKERB_SLAPD_URL", "IISKERB_SLAPD_CA", "IISKERB_SLAPD_BASE",
		"IISKERB_SLAPD_BIND_DN", "IISKERB_SLAPD_BIND_PW", "IISKERB_SLAPD_DOMAIN")
	pem, err := os.ReadFile(v[1])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatal("no CA certificate")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir, err := spn.DialLDAP(ctx, spn.LDAPConfig{URL: v[0], StartTLS: true, RootCAs: pool, BaseDN: v[2],
		BindDN: v[3], Password: spn.Secret(v[4]), Domain: v[5], Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	ev := &Evidence{
		Host:      Host{Computer: "WEB01", FQDN: "web01.example.test", Domain: v[5], Aliases: []string{"intranet.example.test"}},
		Directory: dir,
	}
	rep, err := Diagnose(ctx, ev, &Options{Checks: []string{"SPN*"}})
	if err != nil {
		t.Fatal(err)
	}
	has := func(id, subject, text string) bool {
		for _, f := range rep.FindingsOf(id) {
			if strings.EqualFold(f.Subject, subject) && strings.Contains(f.Message+strings.Join(flatten(f.Remediation), "\n"), text) {
				return true
			}
		}
		return false
	}
	for _, c := range []struct{ id, subject, text string }{
		{"SPN002", "HTTP/intranet.example.test", `setspn -S HTTP/intranet.example.test ` + v[5] + `\WEB01$`},
		{"SPN003", "HTTP/intranet.example.test", "registered on 3 accounts"},
		{"SPN003", "MSSQLSvc/sql01.example.test:1433", "setspn -D MSSQLSvc/sql01.example.test:1433"},
		{"SPN004", "HTTP/https://legacy.example.test/app", "setspn -S HTTP/legacy.example.test"},
	} {
		if !has(c.id, c.subject, c.text) {
			t.Errorf("no %s finding for %s with %q", c.id, c.subject, c.text)
		}
	}
	for _, id := range []string{"SPN001", "SPN002", "SPN003", "SPN004", "SPN006"} {
		if res, _ := rep.Result(id); res.Status == StatusError || res.Status == StatusSkipped {
			t.Errorf("%s: %+v", id, res)
		}
	}
	// HTTP/web01* are covered by WEB01's HOST SPNs: nothing missing.
	if fs := rep.FindingsOf("SPN001"); len(fs) != 0 {
		t.Errorf("SPN001 findings: %+v", fs)
	}
	for _, f := range rep.Findings {
		if strings.Contains(f.Message, v[4]) {
			t.Fatal("bind password in a finding")
		}
	}
}

func flatten(rs []Remedy) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Commands...)
	}
	return out
}
