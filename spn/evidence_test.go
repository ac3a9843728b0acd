package spn

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// Tests that the package claims only what its evidence shows: no NetBIOS
// domain guessed from DC=, no RC4 verdict without msDS-SupportedEncryptionTypes,
// every duplicate the evidence shows, and definitive absence from a full SPN
// list. testdata/realworld holds real setspn output (see PROVENANCE).

func offlineFrom(t *testing.T, in OfflineInput, setspnFiles ...string) *OfflineDirectory {
	t.Helper()
	for _, n := range setspnFiles {
		in.Setspn = append(in.Setspn, parseSetspnFile(t, n))
	}
	return NewOfflineDirectory(in)
}

func parseSetspnText(t *testing.T, name, text string) *SetspnOutput {
	t.Helper()
	o, err := ParseSetspn(name, strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseSetspn(%s): %v", name, err)
	}
	return o
}

func parseLDIFText(t *testing.T, name, text string) *LDIFExport {
	t.Helper()
	x, err := ParseLDIF(name, strings.NewReader(text))
	if err != nil {
		t.Fatalf("ParseLDIF(%s): %v", name, err)
	}
	return x
}

// MANIFEST: "NetBIOS domain name is NOT shown (DC=corp is not necessarily
// the NetBIOS name)".
func TestRealworldSetspnXNoInventedDomain(t *testing.T) {
	ctx := context.Background()
	const file = "realworld/tr-blog-setspn-X-F-mssql-dup.txt"
	const dupSPN = "MSSQLSvc/sqlserver.corp.firma.com"
	d := offlineFrom(t, OfflineInput{}, file)
	dups, comp, err := Duplicates(ctx, d)
	want := []Duplicate{{SPN: dupSPN, Owners: []string{"sqlservice_old", "sqlservice_new"}}}
	if !reflect.DeepEqual(dups, want) {
		t.Errorf("duplicates = %+v, want %+v", dups, want)
	}
	// The paste lacks "found N group of duplicate SPNs.": not a complete run.
	if comp.Complete || !errors.Is(err, ErrIncomplete) {
		t.Errorf("truncated -X run taken as complete: %+v %v", comp, err)
	}
	ans, _ := d.Owners(ctx, dupSPN)
	for _, a := range ans.Accounts {
		if strings.Contains(a.Name, `\`) {
			t.Errorf("account named with a domain the evidence does not show: %q", a.Name)
		}
		if got := SetspnDelete(dupSPN, a.Name); got != "setspn -D "+dupSPN+" "+a.Name {
			t.Errorf("SetspnDelete = %q", got)
		}
	}
	if got := SetspnAdd("HTTP/x", "sqlservice_new"); got != "setspn -S HTTP/x sqlservice_new" {
		t.Errorf("SetspnAdd with a bare name = %q", got)
	}
	// Evaluate's fix commands use the bare name too.
	exp := Expected(HostNames{Bindings: []string{"sqlserver.corp.firma.com"}}, AccountOwner("sqlservice_new"), nil)
	exp[0].SPN = New("MSSQLSvc", "sqlserver.corp.firma.com")
	vs, err := Evaluate(ctx, d, exp[:1])
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		for _, f := range v.Fix {
			if strings.Contains(f, `CORP\`) {
				t.Errorf("%v fix names an invented domain: %q", v.Kind, f)
			}
		}
	}

	// A domain the caller gives is used.
	d = offlineFrom(t, OfflineInput{Domain: "FIRMA"}, file)
	if dups, _, _ := Duplicates(ctx, d); len(dups) != 1 || !reflect.DeepEqual(dups[0].Owners, []string{`FIRMA\sqlservice_old`, `FIRMA\sqlservice_new`}) {
		t.Errorf("with Domain: %+v", dups)
	}
}

func TestOfflineNamesOnlyFromEvidence(t *testing.T) {
	ctx := context.Background()
	// setspn -X output that spells DOMAIN\sam keeps it, even when an LDIF
	// export (which does not show the domain) adds the attributes.
	x := parseSetspnText(t, "x.txt", "Checking domain DC=corp,DC=example,DC=com\n"+
		"HTTP/app.corp.example.com is registered on these accounts:\n"+
		"\tEXAMPLE\\svc-a CN=Service A,OU=Svc,DC=corp,DC=example,DC=com\n"+
		"\tCN=svc-b,OU=Svc,DC=corp,DC=example,DC=com\n\n"+
		"found 1 group of duplicate SPNs.\n")
	l := parseLDIFText(t, "a.ldf", "dn: CN=Service A,OU=Svc,DC=corp,DC=example,DC=com\n"+
		"sAMAccountName: svc-a\nobjectClass: user\nservicePrincipalName: HTTP/app.corp.example.com\n")
	if l.Accounts[0].Name != "svc-a" {
		t.Errorf("LDIF name = %q, want the bare sAMAccountName", l.Accounts[0].Name)
	}
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{x}, LDIF: []*LDIFExport{l}})
	dups, comp, err := d.FindDuplicates(ctx)
	if err != nil || !comp.Complete || len(dups) != 1 || !reflect.DeepEqual(dups[0].Owners, []string{`EXAMPLE\svc-a`, "svc-b"}) {
		t.Errorf("FindDuplicates = %+v %+v %v", dups, comp, err)
	}
	if ans, _ := d.Account(ctx, "svc-a"); len(ans.Accounts) != 1 || ans.Accounts[0].Name != `EXAMPLE\svc-a` || ans.Accounts[0].SAMAccountName != "svc-a" {
		t.Errorf("merged account = %+v", ans.Accounts)
	}
	// A computer recognised from HOST SPNs is CN$; Account.SetDomain("")
	// never guesses.
	a := setspnAccount("CN=WEB09,OU=Servers,DC=corp,DC=example,DC=com", "", []string{"HOST/WEB09"})
	a.SetDomain("")
	if a.Name != "WEB09$" {
		t.Errorf("computer from HOST SPNs = %q", a.Name)
	}
	if got := DomainFromDN("CN=x,DC=corp,DC=firma,DC=com"); got != "CORP" {
		t.Errorf("DomainFromDN (kept as API) = %q", got)
	}
}

func TestFakeLDAPNetBIOSFromPartitions(t *testing.T) {
	f := newFakeLDAPNetBIOS(t, "FIRMA", func(w *fakeWriter, base string) {
		w.entry("CN=web01,CN=Computers,"+base, fakeAccount)
		w.done(0, "")
	})
	d := f.dial(t)
	if d.Domain() != "FIRMA" {
		t.Errorf("Domain() = %q, want nETBIOSName from CN=Partitions", d.Domain())
	}
	var names []string
	if _, err := d.Scan(context.Background(), func(a *Account) error { names = append(names, a.Name); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(names, []string{`FIRMA\web01$`}) {
		t.Errorf("names = %q", names)
	}
}

// MANIFEST: "msDS-SupportedEncryptionTypes is NOT in setspn output so no RC4
// claim is possible".
func TestRealworldSetspnNoRC4Claim(t *testing.T) {
	ctx := context.Background()
	d := offlineFrom(t, OfflineInput{}, "realworld/sqldocs-ru-bdc-setspn-L-mssql-master.txt")
	au, err := AuditDirectory(ctx, d, AuditOptions{})
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("audit of one setspn -L: %v", err)
	}
	if len(au.RC4Only) != 0 {
		t.Errorf("RC4 claim from setspn output: %+v", au.RC4Only)
	}
	if !reflect.DeepEqual(au.EncTypesUnknown, []string{"mssql-master"}) {
		t.Errorf("EncTypesUnknown = %q", au.EncTypesUnknown)
	}
	vs, err := Evaluate(ctx, d, []Expectation{{SPN: New("MSSQLSvc", "bdc-sql.mydomain.com"), Owner: AccountOwner("mssql-master")}})
	if err != nil {
		t.Fatal(err)
	}
	var ks []VerdictKind
	for _, v := range vs {
		ks = append(ks, v.Kind)
		if v.Kind == EncTypesUnverified && (v.Complete || len(v.Fix) != 1 || !strings.Contains(v.Fix[0], "msDS-SupportedEncryptionTypes") ||
			!strings.Contains(v.Fix[0], "(sAMAccountName=mssql-master)")) {
			t.Errorf("EncTypesUnverified = %+v", v)
		}
		// MANIFEST: MSSQLSvc/-sqlread:31436 has an invalid host label.
		if v.Kind == Malformed && v.SPN != "MSSQLSvc/-sqlread:31436" {
			t.Errorf("Malformed = %+v", v)
		}
	}
	if want := []VerdictKind{OK, EncTypesUnverified, Malformed}; !reflect.DeepEqual(ks, want) {
		t.Errorf("kinds = %v, want %v", ks, want)
	}
}

const ldifNoEncTypes = "dn: CN=svc-a,OU=Svc,DC=corp,DC=example,DC=com\nsAMAccountName: svc-a\nobjectClass: user\n" +
	"servicePrincipalName: HTTP/a.corp.example.com\n\n" +
	"dn: CN=svc-b,OU=Svc,DC=corp,DC=example,DC=com\nsAMAccountName: svc-b\nobjectClass: user\n" +
	"servicePrincipalName: HTTP/b.corp.example.com\n"

func TestLDIFEncTypesOnlyWhenRead(t *testing.T) {
	ctx := context.Background()
	// No entry carries the attribute: the export may not have asked for it.
	x := parseLDIFText(t, "noenc.ldf", ldifNoEncTypes)
	if x.EncTypesSeen {
		t.Error("EncTypesSeen without the attribute")
	}
	for _, a := range x.Accounts {
		if !a.EncTypesUnknown {
			t.Errorf("%s: absence taken as proof: %+v", a.Name, a)
		}
	}
	d := NewOfflineDirectory(OfflineInput{LDIF: []*LDIFExport{x}, LDIFComplete: true})
	au, err := AuditDirectory(ctx, d, AuditOptions{RC4Classes: []string{"HTTP"}})
	if err != nil || !au.Complete {
		t.Fatalf("audit: %+v %v", au, err)
	}
	if len(au.RC4Only) != 0 || !reflect.DeepEqual(au.EncTypesUnknown, []string{"svc-a", "svc-b"}) {
		t.Errorf("RC4Only %+v EncTypesUnknown %q", au.RC4Only, au.EncTypesUnknown)
	}
	vs, err := Evaluate(ctx, d, []Expectation{{SPN: New("HTTP", "a.corp.example.com"), Owner: AccountOwner("svc-a")}})
	if err != nil || !reflect.DeepEqual(kinds(vs), []VerdictKind{OK, EncTypesUnverified}) {
		t.Errorf("Evaluate kinds = %v %v", kinds(vs), err)
	}

	// One entry carries it: the export asked for it, so absence elsewhere is
	// real and the classic default is assumed.
	x = parseLDIFText(t, "enc.ldf", ldifNoEncTypes+"\ndn: CN=svc-c,OU=Svc,DC=corp,DC=example,DC=com\nsAMAccountName: svc-c\n"+
		"servicePrincipalName: HTTP/c.corp.example.com\nmsDS-SupportedEncryptionTypes: 24\n")
	if !x.EncTypesSeen {
		t.Error("EncTypesSeen false with the attribute on one entry")
	}
	for _, a := range x.Accounts {
		if a.EncTypesUnknown {
			t.Errorf("%s: EncTypesUnknown in an export that requested the attribute", a.Name)
		}
	}
	d = NewOfflineDirectory(OfflineInput{LDIF: []*LDIFExport{x}, LDIFComplete: true})
	au, _ = AuditDirectory(ctx, d, AuditOptions{})
	var rc4 []string
	for _, v := range au.RC4Only {
		if !v.Assumed {
			t.Errorf("not assumed: %+v", v)
		}
		rc4 = append(rc4, v.Account)
	}
	if !reflect.DeepEqual(rc4, []string{"svc-a", "svc-b"}) || len(au.EncTypesUnknown) != 0 {
		t.Errorf("RC4Only %q EncTypesUnknown %q", rc4, au.EncTypesUnknown)
	}

	// Streaming cannot look ahead: entries before the first carrier are
	// unknown, those after it are not.
	var unknown []bool
	_, _, err = ScanLDIF(ctx, "s.ldf", strings.NewReader("dn: CN=c,DC=x\nsAMAccountName: c\nmsDS-SupportedEncryptionTypes: 4\n\n"+ldifNoEncTypes),
		func(a *Account) error { unknown = append(unknown, a.EncTypesUnknown); return nil })
	if err != nil || !reflect.DeepEqual(unknown, []bool{false, false, false}) {
		t.Errorf("ScanLDIF after a carrier: %v %v", unknown, err)
	}
	unknown = nil
	_, _, _ = ScanLDIF(ctx, "s.ldf", strings.NewReader(ldifNoEncTypes), func(a *Account) error { unknown = append(unknown, a.EncTypesUnknown); return nil })
	if !reflect.DeepEqual(unknown, []bool{true, true}) {
		t.Errorf("ScanLDIF without a carrier: %v", unknown)
	}

	// setspn output merged with an export that did not request the
	// attribute stays unknown; with one that did, it becomes known.
	l := parseSetspnText(t, "l.txt", "Registered ServicePrincipalNames for CN=svc-a,OU=Svc,DC=corp,DC=example,DC=com:\n\tHTTP/a.corp.example.com\n")
	d = NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{l}, LDIF: []*LDIFExport{parseLDIFText(t, "n.ldf", ldifNoEncTypes)}})
	if ans, _ := d.Account(ctx, "svc-a"); len(ans.Accounts) != 1 || !ans.Accounts[0].EncTypesUnknown || ans.Accounts[0].Kind != User {
		t.Errorf("merged with an export without the attribute: %+v", ans.Accounts)
	}
	d = NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{l}, LDIF: []*LDIFExport{x}})
	if ans, _ := d.Account(ctx, "svc-a"); len(ans.Accounts) != 1 || ans.Accounts[0].EncTypesUnknown {
		t.Errorf("merged with an export with the attribute: %+v", ans.Accounts)
	}
}

func setspnList(dn string, spns ...string) string {
	return "Registered ServicePrincipalNames for " + dn + ":\n\t" + strings.Join(spns, "\n\t") + "\n"
}

func TestOfflineDuplicatesUnion(t *testing.T) {
	ctx := context.Background()
	// A finished setspn -X run with no groups (real output), plus two setspn
	// -L files that show one SPN on two accounts: the duplicate is shown.
	zero := parseSetspnFile(t, "realworld/supportarticles-smtpsvc-setspn-x-zero.txt")
	a := parseSetspnText(t, "a.txt", setspnList("CN=svc-a,OU=Svc,DC=corp,DC=example,DC=com", "HTTP/portal.corp.example.com", "HTTP/a"))
	b := parseSetspnText(t, "b.txt", setspnList("CN=svc-b,OU=Svc,DC=corp,DC=example,DC=com", "http/PORTAL.corp.example.com"))
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{zero, a, b}})
	want := []Duplicate{{SPN: "HTTP/portal.corp.example.com", Owners: []string{"svc-a", "svc-b"}}}
	for name, f := range map[string]func() ([]Duplicate, Completeness, error){
		"FindDuplicates": func() ([]Duplicate, Completeness, error) { return d.FindDuplicates(ctx) },
		"Duplicates":     func() ([]Duplicate, Completeness, error) { return Duplicates(ctx, d) },
		"AuditDirectory": func() ([]Duplicate, Completeness, error) {
			au, _ := AuditDirectory(ctx, d, AuditOptions{})
			return au.Duplicates, au.DuplicatesCompleteness, nil
		},
	} {
		dups, comp, err := f()
		if err != nil || !comp.Complete || !reflect.DeepEqual(dups, want) {
			t.Errorf("%s = %+v %+v %v, want %+v", name, dups, comp, err, want)
		}
	}

	// -X groups and -L duplicates together, owners merged case-insensitively
	// by DN, sorted by SPN.
	x := parseSetspnFile(t, "setspn-X.txt")
	c := parseSetspnText(t, "c.txt", setspnList("cn=SVC-WEB,ou=Service Accounts,dc=corp,dc=example,dc=com", "HTTP/portal.corp.example.com", "HTTP/aaa"))
	e := parseSetspnText(t, "e.txt", setspnList("CN=svc-e,OU=Svc,DC=corp,DC=example,DC=com", "HTTP/AAA"))
	d = NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{x, c, e}})
	dups, comp, err := d.FindDuplicates(ctx)
	want = []Duplicate{
		{SPN: "HTTP/aaa", Owners: []string{"svc-web", "svc-e"}},
		{SPN: "HTTP/portal.corp.example.com", Owners: []string{"svc-web", "WEB02"}},
		{SPN: "MSSQLSvc/sql01.corp.example.com:1433", Owners: []string{"SQL01", "svc-sql"}},
	}
	if err != nil || !comp.Complete || !reflect.DeepEqual(dups, want) {
		t.Errorf("union = %+v %+v %v", dups, comp, err)
	}

	// Without a finished -X run the union is incomplete; distinct accounts
	// with the same name are told apart by DN.
	f := parseSetspnText(t, "f.txt", setspnList("CN=svc,OU=Svc,DC=one,DC=example", "HTTP/same"))
	g := parseSetspnText(t, "g.txt", setspnList("CN=svc,OU=Svc,DC=two,DC=example", "HTTP/same"))
	d = NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{f, g}})
	dups, comp, err = Duplicates(ctx, d)
	want = []Duplicate{{SPN: "HTTP/same", Owners: []string{"CN=svc,OU=Svc,DC=one,DC=example", "CN=svc,OU=Svc,DC=two,DC=example"}}}
	if comp.Complete || !errors.Is(err, ErrIncomplete) || !reflect.DeepEqual(dups, want) {
		t.Errorf("same-name owners = %+v %+v %v", dups, comp, err)
	}
}

func TestSetspnXSameAccountTwiceIsNoGroup(t *testing.T) {
	o := parseSetspnText(t, "x.txt", "Checking domain DC=x\nHTTP/a is registered on these accounts:\n\tCN=a,DC=x\n\tcn=A,dc=x\n\nfound 1 group of duplicate SPNs.\n")
	if r := o.Runs[0]; r.Complete() {
		t.Errorf("a group listing one account twice is taken as a complete run: %+v", r)
	}
	dups, _, _ := Duplicates(context.Background(), NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}}))
	if len(dups) != 0 {
		t.Errorf("one account reported as a duplicate: %+v", dups)
	}
	// Non-UTF-8 bytes before "setspn" once made the command reader panic.
	if _, err := ParseSetspn("p.txt", strings.NewReader("\x86\x86\x86\x86setspn")); err == nil {
		t.Log("parsed")
	}
	if _, err := ParseSetspn("p.txt", strings.NewReader("Checking domain DC=x\n\x86\x86\x86/x is registered on these accounts:\n")); err != nil {
		t.Error(err)
	}
}

func TestEvaluateDefinitiveAbsenceFromFullSPNList(t *testing.T) {
	ctx := context.Background()
	// Real setspn -L: testuser's full SPN list is known and lacks the
	// expected SPN; nobody else is known to hold it.
	d := offlineFrom(t, OfflineInput{}, "realworld/marklogic-setspn-L-realm-in-spn.txt")
	exp := Expected(HostNames{Bindings: []string{"marklogic.activedirectory.marklogic.com"}}, AccountOwner("testuser"), DefaultSPNMappings())
	vs, err := Evaluate(ctx, d, exp)
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 || vs[0].Kind != Missing || !vs[0].Complete || vs[0].Fix[0] != "setspn -S HTTP/marklogic.activedirectory.marklogic.com testuser" ||
		!strings.Contains(vs[0].Detail, "HOST/marklogic.activedirectory.marklogic.com") {
		t.Errorf("verdict = %+v", vs)
	}
	for _, v := range vs {
		if v.Kind == Unverified || v.Kind == RC4Only {
			t.Errorf("%v verdict: %+v", v.Kind, v)
		}
	}

	// A computer account listed by setspn -L: its HOST SPNs cover its own
	// names (OK); a binding name it does not cover is Missing, not
	// Unverified, although other holders cannot be ruled out.
	d = offlineFrom(t, OfflineInput{}, "setspn-L.txt")
	hosts := HostNames{NetBIOS: "WEB01", FQDN: "web01.corp.example.com", Bindings: []string{"newsite.corp.example.com"}}
	vs, err = Evaluate(ctx, d, Expected(hosts, ComputerOwner("", "WEB01"), DefaultSPNMappings()))
	if err != nil {
		t.Fatal(err)
	}
	if got := kinds(vs)[:3]; !reflect.DeepEqual(got, []VerdictKind{OK, OK, Missing}) {
		t.Errorf("kinds = %v", kinds(vs))
	}
	if v := vs[2]; !v.Complete || v.Fix[0] != "setspn -S HTTP/newsite.corp.example.com WEB01$" {
		t.Errorf("Missing = %+v", v)
	}

	// Another holder seen: WrongAccount, as before.
	vs, _ = Evaluate(ctx, d, Expected(HostNames{Bindings: []string{"portal.corp.example.com"}}, ComputerOwner("", "WEB01"), DefaultSPNMappings()))
	if len(vs) == 0 || vs[0].Kind != WrongAccount {
		t.Errorf("other holder: %v", kinds(vs))
	}

	// The decrypting account's SPN list is not fully known (setspn -X only
	// shows duplicated SPNs): still Unverified.
	d = offlineFrom(t, OfflineInput{}, "setspn-X-truncated.txt")
	vs, _ = Evaluate(ctx, d, Expected(HostNames{Bindings: []string{"newsite.corp.example.com"}}, AccountOwner("svc-web"), nil))
	if len(vs) == 0 || vs[0].Kind != Unverified {
		t.Errorf("partly known account: %v", kinds(vs))
	}
}
