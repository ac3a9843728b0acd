package iisconfig_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/iisconfig"
)

// Simulate a remediation in memory: the original Config is untouched, the
// result resolves as IIS would after `appcmd set config ... /commit:apphost`.
func ExampleConfig_Apply() {
	cfg, err := iisconfig.Parse(strings.NewReader(exampleConfig))
	if err != nil {
		fmt.Println(err)
		return
	}
	edits := []iisconfig.Edit{
		{Kind: iisconfig.SetAttribute, Path: "Default Web Site/Altiris", Section: "windowsAuthentication", Attribute: "authPersistNonNTLM", Value: "true"},
		{Kind: iisconfig.SetAttribute, Path: "Default Web Site/Altiris/NS", Section: "windowsAuthentication", Attribute: "useAppPoolCredentials", Value: "false"},
		{Kind: iisconfig.SetProviders, Path: "Default Web Site/Altiris", Providers: []string{"Negotiate"}},
	}
	fixed, err := cfg.Apply(edits...)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, e := range edits {
		fmt.Println(e)
	}
	before, _ := cfg.Effective("Default Web Site/Altiris/NS/Agent")
	after, _ := fixed.Effective("Default Web Site/Altiris/NS/Agent")
	fmt.Println("before:", before.WindowsAuth.AuthPersistNonNTLM, before.WindowsAuth.Providers, before.Decrypting)
	fmt.Println("after: ", after.WindowsAuth.AuthPersistNonNTLM, after.WindowsAuth.Providers, after.Decrypting)
	fmt.Println("from", fixed.Describe(after.Origin("windowsAuthentication", "authPersistNonNTLM")))

	_, err = cfg.Apply(iisconfig.Edit{Kind: iisconfig.SetAttribute, Path: "Intranet", Section: "windowsAuthentication", Attribute: "enabled", Value: "true"})
	fmt.Println(errors.Is(err, iisconfig.ErrUnknownSite), err)
	// Output:
	// set windowsAuthentication authPersistNonNTLM=true at Default Web Site/Altiris
	// set windowsAuthentication useAppPoolCredentials=false at Default Web Site/Altiris/NS
	// set windowsAuthentication providers=Negotiate at Default Web Site/Altiris
	// before: false [Negotiate NTLM] CORP\svc-ns
	// after:  true [Negotiate] computer account
	// from applicationHost.config:20 (location "Default Web Site/Altiris")
	// true iisconfig: edit 0 (set windowsAuthentication enabled=true at Intranet): no such site
}
