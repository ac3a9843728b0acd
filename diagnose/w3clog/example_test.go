package w3clog_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/diagnose/w3clog"
)

func Example() {
	log := `#Software: Microsoft Internet Information Services 10.0
#Version: 1.0
#Fields: date time cs-uri-stem cs-username c-ip sc-status sc-substatus sc-win32-status
2026-11-24 09:00:01 /Altiris/NS/Agent/GetClientPolicies.aspx - 10.1.0.5 401 2 5
2026-11-24 09:00:01 /Altiris/NS/Agent/GetClientPolicies.aspx EXAMPLE\PC5$ 10.1.0.5 200 0 0
2026-11-24 09:00:02 /Altiris/ClientTaskServer/Register.aspx - 10.1.0.8 401 1 2148074254
2026-11-24 09:00:02 /Altiris/ClientTaskServer/Register.aspx - 10.1.0.8 401 1 2148074248
2026-11-24 09:00:03 /Altiris/NS/Agent/PostEvent.aspx EXAMPLE\PC9$ 10.1.0.9 401 1 2148074252
`
	a := w3clog.NewAnalyzer(nil)
	if err := a.Add(context.Background(), "u_ex261124.log", strings.NewReader(log)); err != nil {
		fmt.Println(err)
		return
	}
	s := a.Result()
	fmt.Printf("%d requests, %d 401s: %d handshake, %d failed\n", s.Requests, s.Unauthorized, s.Handshake, s.Failed)
	for _, g := range s.Failures() {
		fmt.Printf("%s %s %s %d.%d %s x%d at %s\n", g.URI, g.ClientIP, g.User, g.Status, g.SubStatus, g.Win32Name, g.Count, g.Locator)
	}
	// Output:
	// 5 requests, 4 401s: 1 handshake, 3 failed
	// /Altiris/ClientTaskServer/Register.aspx 10.1.0.8  401.1 SEC_E_INVALID_TOKEN x1 at u_ex261124.log:7
	// /Altiris/ClientTaskServer/Register.aspx 10.1.0.8  401.1 SEC_E_NO_CREDENTIALS x1 at u_ex261124.log:6
	// /Altiris/NS/Agent/PostEvent.aspx 10.1.0.9 EXAMPLE\PC9$ 401.1 SEC_E_LOGON_DENIED x1 at u_ex261124.log:8
}

func ExampleWin32Name() {
	fmt.Println(w3clog.Win32Name(2148074252))
	fmt.Println(w3clog.Win32Meaning(w3clog.SecEBadBindings))
	// Output:
	// SEC_E_LOGON_DENIED
	// client's supplied channel bindings were incorrect: extended protection with TLS terminated or inspected upstream
}
