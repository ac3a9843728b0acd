// Package gen writes large, deterministic applicationHost.config files for
// benchmarks and tests of package iisconfig.
//
// A generated file has n sites; each site has three applications (the root,
// /app and /app/api), bindings, and <location> tags at site, application and
// folder depth that set Windows, anonymous and basic authentication. Pools
// are shared by ten sites each and cycle through every identity type,
// including SpecificUser pools with (fake, encrypted-looking) passwords.
// The same n always yields the same bytes.
package gen

import (
	"bufio"
	"fmt"
	"io"
)

// identities cycles the pool identity types.
var identities = [...]string{"ApplicationPoolIdentity", "NetworkService", "SpecificUser", "LocalSystem", "LocalService"}

// Write writes a configuration with n sites to w.
func Write(w io.Writer, n int) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n<configuration>\r\n")
	p(`    <configSections>
        <sectionGroup name="system.applicationHost">
            <section name="applicationPools" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
            <section name="sites" allowDefinition="AppHostOnly" overrideModeDefault="Deny" />
        </sectionGroup>
        <sectionGroup name="system.webServer">
            <sectionGroup name="security">
                <sectionGroup name="authentication">
                    <section name="anonymousAuthentication" overrideModeDefault="Deny" />
                    <section name="basicAuthentication" overrideModeDefault="Deny" />
                    <section name="windowsAuthentication" overrideModeDefault="Deny" />
                </sectionGroup>
            </sectionGroup>
        </sectionGroup>
    </configSections>
`)
	p("    <system.applicationHost>\r\n        <applicationPools>\r\n")
	pools := n/10 + 1
	for i := 0; i < pools; i++ {
		id := identities[i%len(identities)]
		p("            <add name=\"Pool%d\" managedRuntimeVersion=\"v4.0\" autoStart=\"true\">\r\n", i)
		if id == "SpecificUser" {
			p("                <processModel identityType=\"SpecificUser\" userName=\"CORP\\svc-pool%d\" password=\"[enc:IISWASOnlyAesProvider:%08x%08x:enc]\" />\r\n", i, i*2654435761, i)
		} else {
			p("                <processModel identityType=\"%s\" />\r\n", id)
		}
		p("                <recycling><periodicRestart time=\"1.05:00:00\" /></recycling>\r\n            </add>\r\n")
	}
	p("            <applicationPoolDefaults managedRuntimeVersion=\"v4.0\">\r\n                <processModel identityType=\"ApplicationPoolIdentity\" loadUserProfile=\"true\" />\r\n            </applicationPoolDefaults>\r\n")
	p("        </applicationPools>\r\n        <sites>\r\n")
	for i := 0; i < n; i++ {
		pool := i / 10
		p("            <site name=\"Site %d\" id=\"%d\" serverAutoStart=\"true\">\r\n", i, i+1)
		p("                <application path=\"/\" applicationPool=\"Pool%d\">\r\n                    <virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\site%d\" />\r\n                </application>\r\n", pool, i)
		p("                <application path=\"/app\" applicationPool=\"Pool%d\">\r\n                    <virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\site%d\\app\" />\r\n                </application>\r\n", (pool+1)%pools, i)
		p("                <application path=\"/app/api\">\r\n                    <virtualDirectory path=\"/\" physicalPath=\"D:\\sites\\site%d\\api\" />\r\n                </application>\r\n", i)
		p("                <bindings>\r\n                    <binding protocol=\"http\" bindingInformation=\"*:80:site%d.corp.example\" />\r\n", i)
		p("                    <binding protocol=\"https\" bindingInformation=\"10.%d.%d.%d:443:site%d.corp.example\" />\r\n                </bindings>\r\n", i>>16&255, i>>8&255, i&255, i)
		p("                <logFile directory=\"D:\\logs\\site%d\" />\r\n            </site>\r\n", i)
	}
	p("            <siteDefaults>\r\n                <logFile logFormat=\"W3C\" directory=\"%%SystemDrive%%\\inetpub\\logs\\LogFiles\" />\r\n            </siteDefaults>\r\n")
	p("            <applicationDefaults applicationPool=\"Pool0\" />\r\n            <virtualDirectoryDefaults allowSubDirConfig=\"true\" />\r\n        </sites>\r\n    </system.applicationHost>\r\n")
	p(`    <system.webServer>
        <security>
            <authentication>
                <anonymousAuthentication enabled="true" userName="IUSR" />
                <basicAuthentication enabled="false" />
                <windowsAuthentication enabled="false">
                    <providers>
                        <add value="Negotiate" />
                        <add value="NTLM" />
                    </providers>
                </windowsAuthentication>
            </authentication>
        </security>
        <defaultDocument enabled="true"><files><add value="Default.htm" /><add value="index.html" /></files></defaultDocument>
    </system.webServer>
`)
	for i := 0; i < n; i++ {
		p("    <location path=\"Site %d\">\r\n        <system.webServer>\r\n            <security>\r\n                <authentication>\r\n", i)
		p("                    <windowsAuthentication enabled=\"true\" authPersistNonNTLM=\"%t\" />\r\n", i%2 == 0)
		p("                    <anonymousAuthentication enabled=\"false\" />\r\n                </authentication>\r\n            </security>\r\n")
		p("            <handlers accessPolicy=\"Read, Script\" />\r\n        </system.webServer>\r\n    </location>\r\n")
		p("    <location path=\"Site %d/app\"%s>\r\n        <system.webServer>\r\n            <security>\r\n                <authentication>\r\n", i, map[bool]string{true: " inheritInChildApplications=\"false\"", false: ""}[i%3 == 0])
		p("                    <windowsAuthentication useAppPoolCredentials=\"%t\">\r\n                        <providers>\r\n                            <clear />\r\n", i%4 == 0)
		if i%5 == 0 {
			p("                            <add value=\"NTLM\" />\r\n                            <add value=\"Negotiate\" />\r\n")
		} else {
			p("                            <add value=\"Negotiate\" />\r\n                            <add value=\"NTLM\" />\r\n")
		}
		p("                        </providers>\r\n                    </windowsAuthentication>\r\n                </authentication>\r\n            </security>\r\n        </system.webServer>\r\n    </location>\r\n")
		p("    <location path=\"Site %d/app/folder\">\r\n        <system.webServer>\r\n            <security>\r\n                <authentication>\r\n", i)
		p("                    <basicAuthentication enabled=\"%t\" />\r\n                </authentication>\r\n            </security>\r\n", i%7 == 0)
		p("            <staticContent><clientCache cacheControlMode=\"UseMaxAge\" cacheControlMaxAge=\"1.00:00:00\" /></staticContent>\r\n        </system.webServer>\r\n    </location>\r\n")
	}
	p("</configuration>\r\n")
	return bw.Flush()
}
