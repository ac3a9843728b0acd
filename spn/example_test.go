package spn_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/iiskerb/iiskerb/spn"
)

func ExampleParse() {
	s, err := spn.Parse("HTTP/https://portal.corp.example.com")
	fmt.Println(err)
	if r, ok := s.Repaired(); ok {
		fmt.Println("meant:", r)
	}
	ok, _ := spn.Parse("MSSQLSvc/sql01.corp.example.com:1433")
	fmt.Println(ok.ServiceClass, ok.Host, ok.Port, ok.Key())
	// Output:
	// spn: malformed SPN "HTTP/https://portal.corp.example.com": URL scheme: contains the URL scheme "https://"; register the bare host name
	// meant: HTTP/portal.corp.example.com
	// MSSQLSvc sql01.corp.example.com 1433 mssqlsvc/sql01.corp.example.com:1433
}

func ExampleParseSetspn() {
	out := "C:\\>setspn -Q HTTP/portal.corp.example.com\r\n" +
		"Checking domain DC=corp,DC=example,DC=com\r\n" +
		"CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com\r\n" +
		"\tHTTP/portal.corp.example.com\r\n" +
		"\r\n" +
		"Existing SPN found!\r\n"
	o, err := spn.ParseSetspn("q.txt", strings.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	r := o.Runs[0]
	fmt.Println(r.Kind, r.Target, r.Found, r.Complete())
	fmt.Println(r.Accounts[0].DN)
	// Output:
	// setspn -Q HTTP/portal.corp.example.com true true
	// CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com
}

func ExampleEvaluate() {
	dir := spn.NewMemoryDirectory([]spn.Account{
		{Name: `CORP\WEB01$`, SAMAccountName: "WEB01$", Kind: spn.Computer,
			SPNs: []string{"HOST/WEB01", "HOST/web01.corp.example.com"}, EncTypes: 0x1c, EncTypesSet: true},
		{Name: `CORP\svc-old`, SAMAccountName: "svc-old", Kind: spn.User,
			SPNs: []string{"HTTP/portal.corp.example.com"}},
	}, true)
	hosts := spn.HostNames{NetBIOS: "WEB01", FQDN: "web01.corp.example.com", Bindings: []string{"portal.corp.example.com"}}
	exps := spn.Expected(hosts, spn.ComputerOwner("CORP", "WEB01"), spn.DefaultSPNMappings())
	verdicts, err := spn.Evaluate(context.Background(), dir, exps)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, v := range verdicts {
		fmt.Println(v.Kind, v.SPN)
		for _, f := range v.Fix {
			fmt.Println("  ", f)
		}
	}
	// Output:
	// ok HTTP/web01.corp.example.com
	// ok HTTP/WEB01
	// wrong-account HTTP/portal.corp.example.com
	//    setspn -D HTTP/portal.corp.example.com CORP\svc-old
	//    setspn -S HTTP/portal.corp.example.com CORP\WEB01$
}

func ExampleDuplicates() {
	dir := spn.NewMemoryDirectory([]spn.Account{
		{Name: `CORP\svc-web`, SPNs: []string{"HTTP/portal.corp.example.com"}},
		{Name: `CORP\WEB02$`, SPNs: []string{"http/PORTAL.corp.example.com", "HOST/WEB02"}},
	}, false) // false: these are not all SPN holders of the domain
	dups, comp, err := spn.Duplicates(context.Background(), dir)
	for _, d := range dups {
		fmt.Println(d.SPN, d.Owners)
	}
	fmt.Println("complete:", comp.Complete, "error:", err != nil)
	// Output:
	// http/PORTAL.corp.example.com [CORP\svc-web CORP\WEB02$]
	// complete: false error: true
}

func ExampleNewOfflineDirectory() {
	// setspn -L for the computer account: its SPNs, nothing about others.
	list, _ := spn.ParseSetspn("web01.txt", strings.NewReader(
		"Registered ServicePrincipalNames for CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com:\n"+
			"\tHOST/WEB01\n\tHOST/web01.corp.example.com\n"))
	// setspn -F -Q for the portal name, with the command line echoed.
	query, _ := spn.ParseSetspn("portal.txt", strings.NewReader(
		"C:\\>setspn -F -Q HTTP/portal.corp.example.com\n"+
			"Checking forest DC=corp,DC=example,DC=com\n"+
			"Operation will be performed forestwide, it might take a while.\n\n"+
			"No such SPN found.\n"))
	dir := spn.NewOfflineDirectory(spn.OfflineInput{Setspn: []*spn.SetspnOutput{list, query}})
	ctx := context.Background()
	for _, s := range []string{"HOST/web01.corp.example.com", "HTTP/portal.corp.example.com", "HTTP/intranet"} {
		ans, _ := dir.Owners(ctx, s)
		var names []string
		for _, a := range ans.Accounts {
			names = append(names, a.Name)
		}
		fmt.Printf("%s: %v complete=%v\n", s, names, ans.Complete)
	}
	// Output:
	// HOST/web01.corp.example.com: [WEB01$] complete=false
	// HTTP/portal.corp.example.com: [] complete=true
	// HTTP/intranet: [] complete=false
}

func ExampleOfflineBuilder() {
	// An ldifde export is streamed into the directory: a forest's export is
	// held packed, never as a list of accounts.
	export := "dn: CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com\n" +
		"objectClass: computer\nsAMAccountName: WEB01$\nmsDS-SupportedEncryptionTypes: 28\n" +
		"servicePrincipalName: HOST/web01.corp.example.com\n" +
		"servicePrincipalName: HTTP/portal.corp.example.com\n\n" +
		"dn: CN=svc-portal,OU=Service Accounts,DC=corp,DC=example,DC=com\n" +
		"objectClass: user\nsAMAccountName: svc-portal\n" +
		"servicePrincipalName: HTTP/portal.corp.example.com\n\n"
	ctx := context.Background()
	b := spn.NewOfflineBuilder("CORP")
	if _, err := b.ReadLDIF(ctx, "spns.ldf", strings.NewReader(export)); err != nil {
		fmt.Println(err)
		return
	}
	// The export was taken with -r "(servicePrincipalName=*)" from the
	// domain root: it lists every SPN holder.
	dir := b.Directory(true)
	dups, comp, _ := dir.FindDuplicates(ctx)
	for _, d := range dups {
		fmt.Println(d.SPN, d.Owners)
	}
	fmt.Println("complete:", comp.Complete)
	// Output:
	// HTTP/portal.corp.example.com [CORP\WEB01$ CORP\svc-portal]
	// complete: true
}
