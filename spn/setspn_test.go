package spn

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/textenc"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func parseSetspnFile(t *testing.T, name string) *SetspnOutput {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	o, err := ParseSetspn(name, f)
	if err != nil {
		t.Fatalf("ParseSetspn(%s): %v", name, err)
	}
	return o
}

func TestParseSetspnList(t *testing.T) {
	o := parseSetspnFile(t, "setspn-L.txt")
	if o.Kind() != SetspnList || len(o.Runs) != 2 {
		t.Fatalf("kind %v runs %d", o.Kind(), len(o.Runs))
	}
	r := o.Runs[0]
	if r.Target != "WEB01" || r.Command != `C:\Users\admin>setspn -L WEB01` || !r.Complete() {
		t.Errorf("run 0 = %+v", r)
	}
	if len(r.Accounts) != 1 || r.Accounts[0].DN != "CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com" || len(r.Accounts[0].SPNs) != 8 {
		t.Fatalf("accounts = %+v", r.Accounts)
	}
	if r.Accounts[0].SPNs[5] != "HOST/WEB01" {
		t.Errorf("SPN 5 = %q", r.Accounts[0].SPNs[5])
	}
	r = o.Runs[1]
	if r.Target != "svc-web" || r.Accounts[0].DN != "CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com" {
		t.Errorf("run 1 = %+v", r)
	}
	if got := r.Accounts[0].SPNs; len(got) != 3 || got[2] != "HTTP/https://intranet.corp.example.com" {
		t.Errorf("run 1 SPNs = %q", got)
	}
	if len(o.Warnings) != 0 {
		t.Errorf("warnings: %v", o.Warnings)
	}
}

func TestParseSetspnQuery(t *testing.T) {
	o := parseSetspnFile(t, "setspn-Q-found.txt")
	r := o.Runs[0]
	if o.Kind() != SetspnQuery || !r.Found || !r.Complete() || r.Forest || r.Scope != "DC=corp,DC=example,DC=com" {
		t.Fatalf("run = %+v", r)
	}
	if len(r.Accounts) != 2 || len(r.Accounts[1].SPNs) != 3 || r.Accounts[1].DN != "CN=WEB02,OU=Servers,DC=corp,DC=example,DC=com" {
		t.Errorf("accounts = %+v", r.Accounts)
	}

	o = parseSetspnFile(t, "setspn-QF-notfound.txt")
	r = o.Runs[0]
	if len(o.Runs) != 1 || r.Kind != SetspnQuery || r.Found || !r.Complete() || !r.Forest || r.Target != "HTTP/intranet.corp.example.com" || len(r.Accounts) != 0 {
		t.Fatalf("runs = %+v", o.Runs)
	}
}

func TestParseSetspnDuplicates(t *testing.T) {
	for _, name := range []string{"setspn-X.txt", "setspn-X-utf16.txt"} {
		o := parseSetspnFile(t, name)
		r := o.Runs[0]
		if o.Kind() != SetspnDuplicates || !r.Complete() || r.Groups != 2 || r.Entries != 1 || len(r.Duplicates) != 2 {
			t.Fatalf("%s: run = %+v warnings %v", name, r, o.Warnings)
		}
		d := r.Duplicates[1]
		if d.SPN != "MSSQLSvc/sql01.corp.example.com:1433" || len(d.Owners) != 2 || d.Owners[1].DN != "CN=svc-sql,OU=Service Accounts,DC=corp,DC=example,DC=com" {
			t.Errorf("%s: group 1 = %+v", name, d)
		}
		if name == "setspn-X-utf16.txt" && o.Encoding != textenc.UTF16LE {
			t.Errorf("encoding = %v", o.Encoding)
		}
	}
	o := parseSetspnFile(t, "setspn-X-truncated.txt")
	if r := o.Runs[0]; r.Complete() || r.Finished || len(r.Duplicates) != 1 {
		t.Errorf("truncated run = %+v", r)
	}
	o = parseSetspnFile(t, "setspn-X-none.txt")
	if r := o.Runs[0]; !r.Complete() || r.Groups != 0 || len(r.Duplicates) != 0 {
		t.Errorf("empty run = %+v", r)
	}
}

func TestParseSetspnVariants(t *testing.T) {
	// Owners printed as "DOMAIN\sam  DN", no "is registered" suffix, and a
	// count that disagrees with the groups listed.
	in := "Processing entry 1\nMSSQLSvc/SQLNODE1:1433\n   CONTOSO\\sqlsvc      CN=sqlsvc,OU=ServiceAccounts,DC=contoso,DC=com\n   CONTOSO\\oldsqlsvc   CN=oldsqlsvc,OU=ServiceAccounts,DC=contoso,DC=com\nfound 2 group of duplicate SPNs.\n"
	o, err := ParseSetspn("v.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	r := o.Runs[0]
	if len(r.Duplicates) != 1 || r.Duplicates[0].Owners[1].Name != `CONTOSO\oldsqlsvc` || r.Duplicates[0].Owners[1].DN != "CN=oldsqlsvc,OU=ServiceAccounts,DC=contoso,DC=com" {
		t.Fatalf("run = %+v", r)
	}
	if r.Complete() || len(r.Errors) != 1 {
		t.Errorf("count mismatch not reported: %+v", r)
	}

	// Boilerplate without a slash is not an SPN group.
	o, err = ParseSetspn("b.txt", strings.NewReader("Checking domain DC=x\nProcessing entry 0\nOperation completed successfully.\nfound 0 group of duplicate SPNs.\n"))
	if err != nil || len(o.Runs[0].Duplicates) != 0 || !o.Runs[0].Complete() || len(o.Warnings) != 1 {
		t.Errorf("boilerplate: %+v %v %v", o.Runs, o.Warnings, err)
	}

	// setspn errors make a run incomplete and become warnings.
	in = "C:\\>setspn -Q HTTP/x\nChecking domain DC=corp,DC=example,DC=com\nLdap Error(0x51 -- Server Down): ldap_connect\nFailed to retrieve DN for domain \"corp\" : 0x00000051\n"
	o, err = ParseSetspn("e.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if r := o.Runs[0]; r.Complete() || len(r.Errors) != 2 || r.Target != "HTTP/x" || len(o.Warnings) != 2 || o.Warnings[0].Line != 3 {
		t.Errorf("run = %+v warnings %v", r, o.Warnings)
	}

	// Noise lines are warnings with line numbers.
	in = "hello\nRegistered ServicePrincipalNames for CN=A,DC=x:\n\tHOST/a\nstray text\n"
	o, err = ParseSetspn("n.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Warnings) != 2 || o.Warnings[0].Line != 1 || o.Warnings[1].Line != 4 || o.Warnings[1].File != "n.txt" {
		t.Errorf("warnings = %v", o.Warnings)
	}
}

func TestParseSetspnUnrecognized(t *testing.T) {
	for _, in := range []string{"", "just some text\nand more\n", "\xff\xfe"} {
		_, err := ParseSetspn("u.txt", strings.NewReader(in))
		var pe *ParseError
		if !errors.As(err, &pe) || !errors.Is(err, ErrUnrecognized) || pe.File != "u.txt" {
			t.Errorf("ParseSetspn(%q) err = %v", in, err)
		}
	}
	_, err := ParseSetspn("long.txt", strings.NewReader("Processing entry 0\n"+strings.Repeat("x", maxLine+10)))
	var pe *ParseError
	if !errors.As(err, &pe) || pe.Line != 2 {
		t.Errorf("long line: err = %v", err)
	}
}

func FuzzParseSetspn(f *testing.F) {
	testenv.ShortFuzzMinimize()
	files, _ := filepath.Glob("testdata/setspn-*.txt")
	rw, _ := filepath.Glob("testdata/realworld/*.txt")
	files = append(files, rw...)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("found x group of duplicate SPNs.\nfound duplicate spn\nProcessing entry z\n\tCN=a\nsetspn -L\n"))
	// Paste noise, -T/-F, domain-prefixed owners, edit output, indentation.
	f.Add([]byte("PS C:\\> setspn -T a -T b -F -Q HTTP/x* | Out-File o\nChecking forest DC=a\nCORP\\s CN=s,DC=a\n\tHTTP/x@R\nChecking domain DC=b\n\nNo such SPN found.\nPS C:\\>\n"))
	f.Add([]byte("C:\\>setspn -S HTTP/y CORP\\a\nChecking domain DC=x\nRegistering ServicePrincipalNames for CN=a,DC=x\n\tHTTP/y\nUpdated object\n```\nsetspn web01\nRegistered ServicePrincipalNames for CN=w,DC=x:\n\tMSSQLSvc/-r:1\n\t...\n\tsome prose here\nC:> dir\n"))
	f.Add([]byte("   Checking domain DC=x\n   HTTP/a is registered on these accounts:\n      X\\a CN=a,DC=x\n      CN=b,DC=x\n   found 1 group of duplicate SPNs.\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		o, err := ParseSetspn("f.txt", strings.NewReader(string(in)))
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if len(o.Runs) == 0 {
			t.Fatal("no runs without error")
		}
		for _, r := range o.Runs {
			if r.Kind == SetspnDuplicates && r.Complete() && r.Groups != len(r.Duplicates) {
				t.Fatalf("complete -X run with %d groups but %d listed", r.Groups, len(r.Duplicates))
			}
		}
		d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}})
		ctx := context.Background()
		for _, r := range o.Runs {
			for _, a := range r.Accounts {
				if ans, err := d.Account(ctx, a.DN); err != nil || (a.DN != "" && len(ans.Accounts) == 0) {
					t.Fatalf("Account(%q) = %+v, %v", a.DN, ans, err)
				}
				for _, s := range a.SPNs {
					if ans, err := d.Owners(ctx, s); err != nil || len(ans.Accounts) == 0 {
						t.Fatalf("Owners(%q) = %+v, %v", s, ans, err)
					}
				}
			}
			if _, err := d.Owners(ctx, r.Target); err != nil {
				t.Fatal(err)
			}
		}
		dups, comp, err := Duplicates(ctx, d)
		if comp.Complete != (err == nil) {
			t.Fatalf("Duplicates: complete %v but err %v", comp.Complete, err)
		}
		for _, dd := range dups {
			if len(dd.Owners) < 2 {
				t.Fatalf("duplicate %+v with fewer than 2 owners", dd)
			}
		}
		// AuditDirectory agrees with Duplicates, and setspn output (which
		// never shows msDS-SupportedEncryptionTypes) yields no RC4 verdict.
		au, _ := AuditDirectory(ctx, d, AuditOptions{})
		if !reflect.DeepEqual(au.Duplicates, dups) || au.DuplicatesCompleteness != comp {
			t.Fatalf("AuditDirectory duplicates %+v %+v, Duplicates %+v %+v", au.Duplicates, au.DuplicatesCompleteness, dups, comp)
		}
		if len(au.RC4Only) > 0 || len(au.EncTypesUnknown) != au.Accounts {
			t.Fatalf("RC4Only %+v EncTypesUnknown %d of %d accounts", au.RC4Only, len(au.EncTypesUnknown), au.Accounts)
		}
	})
}

func TestParseSetspnFailedCommand(t *testing.T) {
	in := "C:\\>setspn -L WEB09\r\nFindDomainForAccount: Call to DsGetDcNameWithAccountW failed with return value 0x00000525\r\nCould not find account WEB09\r\n"
	o, err := ParseSetspn("f.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(o.Runs) != 1 || o.Runs[0].Kind != SetspnList || o.Runs[0].Target != "WEB09" || o.Runs[0].Complete() || len(o.Runs[0].Errors) != 2 {
		t.Errorf("runs = %+v", o.Runs)
	}
}

// Pastes as customers send them: prompts, other commands, setspn -S output,
// markdown fences and prose never become SPNs; -T and -F are read.
func TestParseSetspnPasteNoise(t *testing.T) {
	in := "```\r\n" +
		"PS C:\\Windows\\system32> setspn -L web01\r\n" +
		"Registered ServicePrincipalNames for CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com:\r\n" +
		"        HTTP/web01.corp.example.com\r\n" +
		"        HOST/WEB01\r\n" +
		"        ...\r\n" +
		"        See the list above for details\r\n" +
		"PS C:\\Windows\\system32> ipconfig\r\n" +
		"   IPv4 Address. . . . . . . . . . . : 10.0.0.5\r\n" +
		"   HTTP/not-an-spn-of-web01\r\n" +
		"C:\\>setspn -S HTTP/portal.corp.example.com CORP\\svc-web\r\n" +
		"Checking domain DC=corp,DC=example,DC=com\r\n" +
		"\r\n" +
		"Registering ServicePrincipalNames for CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com\r\n" +
		"        HTTP/portal.corp.example.com\r\n" +
		"Updated object\r\n" +
		"PS>\r\n" +
		"```\r\n"
	o, err := ParseSetspn("paste.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var spns []string
	for _, r := range o.Runs {
		for _, a := range r.Accounts {
			spns = append(spns, a.SPNs...)
		}
	}
	if want := []string{"HTTP/web01.corp.example.com", "HOST/WEB01"}; !reflect.DeepEqual(spns, want) {
		t.Errorf("SPNs = %q, want %q (runs %+v)", spns, want, o.Runs)
	}
	lines := map[int]bool{}
	for _, w := range o.Warnings {
		lines[w.Line] = true
	}
	for _, l := range []int{1, 6, 7, 8, 9, 10, 11, 14, 15, 16, 17, 18} {
		if !lines[l] {
			t.Errorf("no warning for line %d: %v", l, o.Warnings)
		}
	}
	// The -S command's "Checking domain" is not a query run that proves
	// anything: it has no final line.
	for _, r := range o.Runs[1:] {
		if r.Complete() {
			t.Errorf("run after setspn -S taken as complete: %+v", r)
		}
	}
}

func TestParseSetspnTargetsAndForest(t *testing.T) {
	// -T with one domain, -F: the target SPN is the last argument, not the
	// domain; a pipe ends the arguments.
	in := "PS C:\\> setspn -T corp.example.com -F -Q HTTP/portal.corp.example.com | Out-File q.txt\n" +
		"Checking forest DC=example,DC=com\n" +
		"Operation will be performed forestwide.\n" +
		"\n" +
		"No such SPN found.\n"
	o := parseSetspnText(t, "t.txt", in)
	r := o.Runs[0]
	if len(o.Runs) != 1 || r.Kind != SetspnQuery || r.Target != "HTTP/portal.corp.example.com" || !r.Forest || r.Found || !r.Complete() ||
		!reflect.DeepEqual(r.Domains, []string{"corp.example.com"}) || r.Scope != "DC=example,DC=com" {
		t.Errorf("run = %+v", r)
	}

	// Several -T targets: each "Checking domain" belongs to the same run;
	// owners printed as "DOMAIN\sam DN" keep the name.
	in = "C:\\>setspn -T corp -T emea -Q HTTP/app*\n" +
		"Checking domain DC=corp,DC=example,DC=com\n" +
		"CORP\\svc-a CN=svc-a,OU=Svc,DC=corp,DC=example,DC=com\n" +
		"\tHTTP/app1.corp.example.com\n" +
		"Checking domain DC=emea,DC=example,DC=com\n" +
		"CN=svc-b,OU=Svc,DC=emea,DC=example,DC=com\n" +
		"\tHTTP/app2.emea.example.com\n" +
		"\n" +
		"Existing SPN found!\n"
	o = parseSetspnText(t, "t2.txt", in)
	r = o.Runs[0]
	if len(o.Runs) != 1 || !r.Complete() || !r.Found || len(r.Accounts) != 2 || r.Accounts[0].Name != `CORP\svc-a` ||
		r.Accounts[0].DN != "CN=svc-a,OU=Svc,DC=corp,DC=example,DC=com" ||
		!reflect.DeepEqual(r.Scopes, []string{"DC=corp,DC=example,DC=com", "DC=emea,DC=example,DC=com"}) ||
		!reflect.DeepEqual(r.Domains, []string{"corp", "emea"}) || len(o.Warnings) != 0 {
		t.Errorf("run = %+v warnings %v", r, o.Warnings)
	}

	// -X with -T: the domain is not taken for a target.
	o = parseSetspnText(t, "t3.txt", "setspn -T * -X -P\nChecking domain DC=x\nProcessing entry 3\nfound 0 group of duplicate SPNs.\n")
	if r := o.Runs[0]; r.Kind != SetspnDuplicates || r.Target != "" || !r.Complete() || !reflect.DeepEqual(r.Domains, []string{"*"}) {
		t.Errorf("run = %+v", r)
	}

	// "setspn account" lists like -L.
	o = parseSetspnText(t, "t4.txt", "C:\\>setspn web01\nRegistered ServicePrincipalNames for CN=WEB01,DC=x:\n\tHOST/WEB01\n")
	if r := o.Runs[0]; r.Kind != SetspnList || r.Target != "web01" || len(r.Accounts[0].SPNs) != 1 {
		t.Errorf("run = %+v", r)
	}
}

// A code block indented as a whole (here by five spaces, as in a README)
// reads like the plain output.
func TestParseSetspnIndentedPaste(t *testing.T) {
	in := "     C:> setspn.exe -Q */host.example.com\n" +
		"     Checking domain DC=example,DC=com\n" +
		"     CN=WEB01,OU=Servers,DC=example,DC=com\n" +
		"             RestrictedKrbHost/host.example.com\n" +
		"             HOST/host.example.com\n" +
		"\n" +
		"     Existing SPN found!\n" +
		"\n" +
		"Hmm, examine the host name:\n" +
		"     C:> nslookup.exe app.example.com\n" +
		"     Name:    host.example.com\n"
	o := parseSetspnText(t, "i.txt", in)
	r := o.Runs[0]
	if len(o.Runs) != 1 || !r.Complete() || !r.Found || r.Target != "*/host.example.com" || len(r.Accounts) != 1 || len(r.Accounts[0].SPNs) != 2 {
		t.Errorf("runs = %+v", o.Runs)
	}
	if len(o.Warnings) != 3 {
		t.Errorf("warnings = %v", o.Warnings)
	}

	in = "  Checking domain DC=x\n  Processing entry 1\n  HTTP/a is registered on these accounts:\n      CN=a,DC=x\n      CN=b,DC=x\n\n  found 1 group of duplicate SPNs.\n"
	o = parseSetspnText(t, "x.txt", in)
	if r := o.Runs[0]; !r.Complete() || len(r.Duplicates) != 1 || len(r.Duplicates[0].Owners) != 2 {
		t.Errorf("indented -X = %+v %v", r, o.Warnings)
	}
}

// setspn -S output, refused or done, is never read as ownership, and a
// query pasted after it is read normally.
func TestParseSetspnEditOutput(t *testing.T) {
	in := "C:\\>setspn -S HTTP/x.corp.example.com CORP\\svc-a\n" +
		"Checking domain DC=corp,DC=example,DC=com\n" +
		"CN=svc-b,OU=Svc,DC=corp,DC=example,DC=com\n" +
		"\tHTTP/x.corp.example.com\n" +
		"\n" +
		"Duplicate SPN found, aborting operation!\n" +
		"Checking domain DC=corp,DC=example,DC=com\n" +
		"CN=svc-b,OU=Svc,DC=corp,DC=example,DC=com\n" +
		"\tHTTP/x.corp.example.com\n" +
		"\n" +
		"Existing SPN found!\n"
	o := parseSetspnText(t, "s.txt", in)
	if len(o.Runs) != 1 || o.Runs[0].Line != 7 || !o.Runs[0].Complete() || len(o.Runs[0].Accounts) != 1 {
		t.Errorf("runs = %+v", o.Runs)
	}
	if len(o.Warnings) != 5 {
		t.Errorf("warnings = %v", o.Warnings)
	}
}
