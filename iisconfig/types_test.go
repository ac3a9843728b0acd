package iisconfig

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
)

var snakeKey = regexp.MustCompile(`^[a-z0-9_]+$`)

// checkSnakeJSON asserts that every object key in the JSON document b is
// snake_case and that no array holds only integers.
func checkSnakeJSON(t *testing.T, name string, b []byte) {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, e := range v {
				if !snakeKey.MatchString(k) {
					t.Errorf("%s: key %s.%s is not snake_case", name, path, k)
				}
				walk(path+"."+k, e)
			}
		case []any:
			ints := len(v) > 1
			for i, e := range v {
				if _, ok := e.(float64); !ok {
					ints = false
				}
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
			if ints {
				t.Errorf("%s: %s is an array of numbers %v", name, path, v)
			}
		}
	}
	walk("", v)
}

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
		checkSnakeJSON(t, c.name, b)
		for _, want := range c.want {
			if !strings.Contains(string(b), want) {
				t.Errorf("%s: JSON lacks %s:\n%.3000s", c.name, want, b)
			}
		}
	}
}
