package agentlog_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/diagnose/agentlog"
)

func ExampleScan() {
	log := `<event date='11/24/2026 09:01:02.1230000 -06:00' severity='1' hostName='PC0042' source='AeXNetworkTransport' module='AeXNetComms.dll' process='AeXNSAgent.exe' pid='3124' thread='4410' tickCount='1023456' ><![CDATA[Operation 'Direct: Head' failed.
Path: /Altiris/TaskManagement/CTAgent/GetClientTaskServers.aspx
Error code: HTTP error occured (0x80042D21)
Error note: Authentication failed, request level authentication is not supported, check that IIS setting 'authPersistNonNTLM' is set to 'True' on the server]]></event>
`
	s, err := agentlog.Scan(context.Background(), "Agent.log", strings.NewReader(log))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, m := range s.Matches {
		fmt.Printf("%s x%d at %s (%s) from %s\n", m.Kind, m.Count, m.Locator, m.First.Format("2006-01-02 15:04:05 -07:00"), m.Host)
	}
	// Output:
	// request-level-auth-not-supported x1 at Agent.log:1 (2026-11-24 09:01:02 -06:00) from PC0042
	// http-0x80042D21 x1 at Agent.log:1 (2026-11-24 09:01:02 -06:00) from PC0042
}
