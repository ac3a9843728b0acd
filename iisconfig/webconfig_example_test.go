package iisconfig_test

import (
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// Layer web.config files below applicationHost.config, as a bundle's
// webconfig/<Site>/<app path>/web.config gives them: applicationHost.config
// unlocks windowsAuthentication for the site (appcmd unlock config), so the
// application's web.config sets it; anonymousAuthentication stays locked,
// so IIS would answer with 500.19 and the value does not apply.
func ExampleConfig_WithWebConfigs() {
	appHost := strings.Replace(exampleConfig, "</configuration>", `  <location path="Default Web Site" overrideMode="Allow">
    <system.webServer><security><authentication><windowsAuthentication /></authentication></security></system.webServer>
  </location>
</configuration>`, 1)
	cfg, err := iisconfig.ParseWith(strings.NewReader(appHost), iisconfig.Options{Name: "applicationHost.config"})
	if err != nil {
		fmt.Println(err)
		return
	}
	const webConfig = `<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <system.webServer>
    <security>
      <authentication>
        <windowsAuthentication authPersistNonNTLM="true" />
        <anonymousAuthentication enabled="true" />
      </authentication>
    </security>
  </system.webServer>
</configuration>`
	w, err := iisconfig.ParseWebConfig("webconfig/Default Web Site/Altiris/NS/web.config", "Default Web Site/Altiris/NS", strings.NewReader(webConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	layered := cfg.WithWebConfigs(w)
	s, err := layered.Effective("Default Web Site/Altiris/NS/Agent")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("authPersistNonNTLM:", s.WindowsAuth.AuthPersistNonNTLM, "from", layered.Describe(s.Origin("windowsAuthentication", "authPersistNonNTLM")))
	fmt.Println("anonymous:", s.Anonymous.Enabled, "from", layered.Describe(s.Origin("anonymousAuthentication", "enabled")))
	for _, e := range s.WebConfigErrors {
		fmt.Println(e.Kind, "at", layered.Position(e.Locator))
	}
	// Output:
	// authPersistNonNTLM: true from webconfig/Default Web Site/Altiris/NS/web.config:6 (web.config for "Default Web Site/Altiris/NS")
	// anonymous: false from applicationHost.config:21 (location "Default Web Site/Altiris")
	// locked-section at webconfig/Default Web Site/Altiris/NS/web.config:7
}
