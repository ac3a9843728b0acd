package iisconfig_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
)

const exampleConfig = `<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" />
      <add name="NSPool"><processModel identityType="SpecificUser" userName="CORP\svc-ns" password="never-kept" /></add>
    </applicationPools>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool" />
        <application path="/Altiris/NS" applicationPool="NSPool" />
        <bindings><binding protocol="https" bindingInformation="*:443:ns.corp.example" /></bindings>
      </site>
    </sites>
  </system.applicationHost>
  <system.webServer><security><authentication>
    <windowsAuthentication enabled="false"><providers><add value="Negotiate" /><add value="NTLM" /></providers></windowsAuthentication>
  </authentication></security></system.webServer>
  <location path="Default Web Site/Altiris">
    <system.webServer><security><authentication>
      <windowsAuthentication enabled="true" useAppPoolCredentials="true" />
      <anonymousAuthentication enabled="false" />
    </authentication></security></system.webServer>
  </location>
</configuration>`

// Effective settings of an agent path, and where a value came from.
func ExampleConfig_Effective() {
	cfg, err := iisconfig.Parse(strings.NewReader(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	s, err := cfg.Effective("Default Web Site/Altiris/NS/Agent")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("windows auth:", s.WindowsAuth.Enabled, s.WindowsAuth.Providers)
	fmt.Println("anonymous:", s.Anonymous.Enabled)
	fmt.Println("authPersistNonNTLM:", s.WindowsAuth.AuthPersistNonNTLM, "from", cfg.Describe(s.Origin("windowsAuthentication", "authPersistNonNTLM")))
	fmt.Println("enabled from", cfg.Describe(s.Origin("windowsAuthentication", "enabled")))
	fmt.Println("pool:", s.AppPoolName, s.AppPool.IdentityType, s.AppPool.UserName)
	fmt.Println("decrypting account:", s.Decrypting)
	// Output:
	// windows auth: true [Negotiate NTLM]
	// anonymous: false
	// authPersistNonNTLM: false from schema default
	// enabled from applicationHost.config:20 (location "Default Web Site/Altiris")
	// pool: NSPool SpecificUser CORP\svc-ns
	// decrypting account: CORP\svc-ns
}

// Every application root and location path with its effective settings.
func ExampleConfig_Applications() {
	cfg, err := iisconfig.Parse(strings.NewReader(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range cfg.Applications() {
		fmt.Printf("%-30s windows=%-5v anonymous=%-5v decrypting=%s\n", s.Path, s.WindowsAuth.Enabled, s.Anonymous.Enabled, s.Decrypting)
	}
	// Output:
	// Default Web Site               windows=false anonymous=true  decrypting=computer account
	// Default Web Site/Altiris/NS    windows=true  anonymous=false decrypting=CORP\svc-ns
	// Default Web Site/Altiris       windows=true  anonymous=false decrypting=computer account
}

// Warnings carry a locator that turns into a file position.
func ExampleWarning() {
	cfg, err := iisconfig.ParseWith(strings.NewReader(`<configuration>
  <system.applicationHost>
    <sites>
      <site name="Web" id="1"><application path="/" applicationPool="Gone" /></site>
    </sites>
  </system.applicationHost>
</configuration>`), iisconfig.Options{Name: `C:\Windows\System32\inetsrv\config\applicationHost.config`})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, w := range cfg.Warnings {
		fmt.Println(cfg.Position(w.Locator), w.Kind, w.Message)
	}
	// Output:
	// applicationHost.config:4 unknown-app-pool application "Web" uses application pool "Gone", which is not defined
}

// Malformed XML is a *ParseError with the line.
func ExampleParseError() {
	_, err := iisconfig.Parse(strings.NewReader("<configuration>\n<system.applicationHost>\n</sites>"))
	var pe *iisconfig.ParseError
	if errors.As(err, &pe) {
		fmt.Println("line", pe.Line)
	}
	// Output:
	// line 3
}
