package iisconfig

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// A standard install with a web.config that sets a locked section: the
// settings carry a web.config error, the config warnings and pools.
func TestJSONSnakeCase(t *testing.T) {
	c := loadCorpus(t, "13")
	site := c.Sites[0].Name
	w := parseWeb(t, "webconfig/"+site+"/web.config", site, webAuth(`        <windowsAuthentication enabled="true" />`))
	wc := c.WithWebConfigs(w)
	s := mustEffective(t, wc, site+"/app/page.aspx")
	if len(s.WebConfigErrors) == 0 || len(wc.Warnings) == 0 || len(wc.AppPoolList()) == 0 {
		t.Fatalf("sample lacks errors, warnings or pools: %d %d %d", len(s.WebConfigErrors), len(wc.Warnings), len(wc.AppPoolList()))
	}
	for _, c := range []struct {
		name string
		v    any
		want []string
	}{
		{"settings", s, []string{`"windows_auth":{"enabled":false,"providers":[`, `"web_config_errors":[{"kind":"locked-section","message":`,
			`"decrypting_account":{"kind":"computer"`, `"identity_type":"ApplicationPoolIdentity"`, `"bindings":[{"protocol":"http"`}},
		{"applications", wc.Applications(), []string{`"anonymous_auth":{"enabled":`, `"basic_auth":{"enabled":`}},
		{"config", wc, []string{`"app_pools":[{"name":"MyPool","identity_type":"ApplicationPoolIdentity"`, `"warnings":[{"kind":`, `"locator":"/configuration/`}},
		{"origin", s.Origin("windowsAuthentication", "enabled"), []string{`{"kind":"server-level"`}},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		testenv.CheckSnakeJSON(t, c.name, b)
		for _, want := range c.want {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: JSON lacks %s:\n%.3000s", c.name, want, b)
			}
		}
	}
}
