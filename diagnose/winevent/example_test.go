package winevent_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/diagnose/winevent"
)

// Two events as `wevtutil qe Security /f:xml` writes them (one per line, no
// root): an NTLMv1 network logon on the IIS server with an IPv4-mapped client
// address, and an RC4 service ticket issued by a domain controller.
const wevtutilOutput = `<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4624</EventID><TimeCreated SystemTime='2026-02-03T08:15:00.0000000Z'/><Channel>Security</Channel><Computer>WEB01.contoso.com</Computer></System><EventData><Data Name='TargetUserName'>svc-agent</Data><Data Name='TargetDomainName'>CONTOSO</Data><Data Name='LogonType'>3</Data><Data Name='AuthenticationPackageName'>NTLM</Data><Data Name='LmPackageName'>NTLM V1</Data><Data Name='IpAddress'>::ffff:10.0.0.5</Data></EventData></Event>
<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4769</EventID><TimeCreated SystemTime='2026-02-03T08:16:00.0000000Z'/><Channel>Security</Channel><Computer>DC1.contoso.com</Computer></System><EventData><Data Name='TargetUserName'>alice@CONTOSO.COM</Data><Data Name='ServiceName'>svc-web</Data><Data Name='TicketEncryptionType'>0x00000017</Data><Data Name='Status'>0x0</Data><Data Name='IpAddress'>::ffff:10.0.0.7</Data></EventData></Event>
`

func Example() {
	sum := winevent.NewSummarizer(0)
	stats, err := winevent.Scan(context.Background(), strings.NewReader(wevtutilOutput), nil, func(e *winevent.Event) error {
		sum.Add(e)
		switch e.ID {
		case 4624:
			fmt.Printf("%s logon %s from %s: %s, NTLMv%d\n", winevent.LogonTypeName(e.LogonType), e.Account(), e.IP, e.Protocol(), e.NTLMVersion())
		case 4769:
			fmt.Printf("ticket for %s to %s: %s, status %s\n", e.ServiceName, e.Account(), e.TicketEncryption, e.Status)
		}
		return nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(stats.Format, stats.Events, "events,", stats.Skipped, "skipped")
	for _, c := range sum.Summary().Clients {
		for _, u := range c.Accounts {
			fmt.Println(c.IP, "->", u.Account, u.Count)
		}
	}
	// Output:
	// Network logon CONTOSO\svc-agent from 10.0.0.5: ntlm, NTLMv1
	// ticket for svc-web to alice@CONTOSO.COM: rc4-hmac (23), status 0x0 KDC_ERR_NONE
	// xml 2 events, 0 skipped
	// 10.0.0.5 -> CONTOSO\svc-agent 1
	// 10.0.0.7 -> alice@CONTOSO.COM 1
}

// A binary .evtx file is refused with the command that converts it.
func ExampleEVTXError() {
	_, err := winevent.NewReader(strings.NewReader("ElfFile\x00..."), &winevent.Options{Name: `C:\logs\Security.evtx`}).Next()
	fmt.Println(err)
	// Output:
	// C:\logs\Security.evtx: binary .evtx event log: not read directly; export it as XML on Windows with: wevtutil qe C:\logs\Security.evtx /lf:true /f:xml > C:\logs\Security.evtx.xml
}
