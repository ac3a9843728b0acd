package spn

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func parseLDIFFile(t *testing.T) *LDIFExport {
	t.Helper()
	f, err := os.Open("testdata/export.ldf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	x, err := ParseLDIF("export.ldf", f)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestParseLDIF(t *testing.T) {
	x := parseLDIFFile(t)
	if len(x.Accounts) != 4 || len(x.Warnings) != 0 {
		t.Fatalf("accounts %d warnings %v", len(x.Accounts), x.Warnings)
	}
	web := x.Accounts[0]
	if web.Name != `WEB01$` || web.Kind != Computer || web.Disabled || !web.EncTypesSet || web.EncTypes != EncRC4|EncAES128|EncAES256 {
		t.Errorf("WEB01 = %+v", web)
	}
	if len(web.SPNs) != 3 || web.SPNs[2] != "RestrictedKrbHost/web01.corp.example.com" {
		t.Errorf("folded SPN: %q", web.SPNs)
	}
	svc := x.Accounts[1]
	if svc.DN != "CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com" || svc.Kind != User || svc.Disabled || svc.EncTypesSet {
		t.Errorf("svc-web = %+v", svc)
	}
	if svc.SPNs[2] != " HTTP/web01.corp.example.com" {
		t.Errorf("base64 SPN = %q", svc.SPNs[2])
	}
	if old := x.Accounts[2]; !old.Disabled || !old.EncTypes.RC4Only() {
		t.Errorf("svc-old = %+v", old)
	}
	if g := x.Accounts[3]; g.Kind != GroupManagedServiceAccount || g.Name != `gmsa-web$` {
		t.Errorf("gmsa = %+v", g)
	}
}

func TestParseLDIFRecords(t *testing.T) {
	in := "dn: CN=a,DC=x\nchangetype: modify\nadd: servicePrincipalName\nservicePrincipalName: HTTP/a\n-\n\n" +
		"dn: CN=b,DC=x\nsAMAccountName: b\nservicePrincipalName;range=0-1499: HTTP/b\n\n" +
		"dn: CN=c,DC=x\nsAMAccountName: c\njpegPhoto:< file:///tmp/c.jpg\n"
	x, err := ParseLDIF("r.ldf", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Accounts) != 2 || x.Accounts[0].SAMAccountName != "b" || x.Accounts[0].SPNs[0] != "HTTP/b" {
		t.Fatalf("accounts = %+v", x.Accounts)
	}
	if len(x.Warnings) != 3 || x.Warnings[0].Line != 2 || x.Warnings[1].Line != 9 || x.Warnings[2].Line != 13 {
		t.Errorf("warnings = %v", x.Warnings)
	}
}

func TestParseLDIFErrors(t *testing.T) {
	tests := []struct {
		in   string
		line int
	}{
		{" continued\n", 1},
		{"dn: CN=a\nnot an attribute\n", 2},
		{"sAMAccountName: a\n", 1},
		{"dn: CN=a\nservicePrincipalName:: !!!\n", 2},
		{"dn: CN=a\nuserAccountControl: many\n", 2},
		{"dn: CN=a\ndn: CN=b\n", 2},
		{"# only a comment\n", 1},
		{"", 1},
	}
	for _, tt := range tests {
		_, err := ParseLDIF("e.ldf", strings.NewReader(tt.in))
		var pe *ParseError
		if !errors.As(err, &pe) || pe.Line != tt.line || pe.File != "e.ldf" {
			t.Errorf("ParseLDIF(%q) err = %v, want line %d", tt.in, err, tt.line)
		}
	}
}

func TestScanLDIFStops(t *testing.T) {
	f, err := os.Open("testdata/export.ldf")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	stop := errors.New("stop")
	n := 0
	_, _, err = ScanLDIF(context.Background(), "export.ldf", f, func(a *Account) error {
		n++
		return stop
	})
	if err != stop || n != 1 {
		t.Errorf("err %v after %d", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err = ScanLDIF(ctx, "x", strings.NewReader("dn: CN=a,DC=x\nservicePrincipalName: a/b\n"), func(*Account) error { return nil })
	if !errors.Is(err, ErrIncomplete) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled scan err = %v", err)
	}
}

func FuzzParseLDIF(f *testing.F) {
	testenv.ShortFuzzMinimize()
	b, err := os.ReadFile("testdata/export.ldf")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("dn: CN=a\n objectClass: computer\nmsDS-SupportedEncryptionTypes: -1\n\n\ndn:: Q049YQ==\nchangetype: delete\n"))
	f.Add([]byte("version: 1\ndn: CN=a,DC=b\nuserAccountControl: 0x2\nservicePrincipalName: HTTP/x\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		x, err := ParseLDIF("f.ldf", strings.NewReader(string(in)))
		// Streamed into a directory whose keys share a few hashes, the
		// same file gives the same answers, or the same failure and an
		// empty directory.
		b := newOfflineBuilder("", 3)
		_, serr := b.ReadLDIF(context.Background(), "f.ldf", strings.NewReader(string(in)))
		streamed := b.Directory(true)
		if (err == nil) != (serr == nil) {
			t.Fatalf("ParseLDIF: %v; ReadLDIF: %v", err, serr)
		}
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || pe.Line < 0 {
				t.Fatalf("untyped error %v", err)
			}
			if len(streamed.recs) != 0 || streamed.ar.size != 0 || streamed.spns.n != 0 || streamed.dns.n != 0 || len(streamed.spns.more) != 0 {
				t.Fatalf("a failed ReadLDIF left %d accounts", len(streamed.recs))
			}
			return
		}
		for _, a := range x.Accounts {
			if (a.EncTypesSet && !x.EncTypesSeen) || a.EncTypesUnknown == x.EncTypesSeen {
				t.Fatalf("EncTypesSeen %v but account %+v", x.EncTypesSeen, a)
			}
		}
		d := NewOfflineDirectory(OfflineInput{LDIF: []*LDIFExport{x}, LDIFComplete: true})
		sameAnswers(t, "streamed", streamed, d, x.Accounts)
		if au, _ := AuditDirectory(context.Background(), d, AuditOptions{}); !x.EncTypesSeen && len(au.RC4Only) > 0 {
			t.Fatalf("RC4 verdict from an export without msDS-SupportedEncryptionTypes: %+v", au.RC4Only)
		}
		dups, comp, err := Duplicates(context.Background(), d)
		if err != nil || !comp.Complete {
			t.Fatalf("complete LDIF: %v %+v", err, comp)
		}
		for _, dd := range dups {
			if len(dd.Owners) < 2 {
				t.Fatalf("duplicate with %d owners", len(dd.Owners))
			}
		}
		for _, a := range x.Accounts {
			for _, sp := range a.SPNs {
				ans, err := d.Owners(context.Background(), sp)
				if err != nil || !ans.Complete || len(ans.Accounts) == 0 {
					t.Fatalf("Owners(%q) = %+v, %v", sp, ans, err)
				}
			}
		}
		_, _ = Evaluate(context.Background(), d, Expected(HostNames{NetBIOS: "WEB01", Bindings: []string{string(in[:min(len(in), 20)])}},
			ComputerOwner("CORP", "WEB01"), DefaultSPNMappings()))
	})
}

func TestParseLDIFFromLdapsearch(t *testing.T) {
	in := "# extended LDIF\n#\n# LDAPv3\n\n# web01, Computers, example.test\ndn: CN=WEB01,CN=Computers,DC=example,DC=test\n" +
		"sAMAccountName: WEB01$\nservicePrincipalName: HOST/web01\n\n# search reference\nref: ldap://child.example.test/DC=child,DC=example,DC=test\n\n" +
		"# search result\nsearch: 2\nresult: 4 Size limit exceeded\n\n# numResponses: 2\n"
	x, err := ParseLDIF("ldapsearch.txt", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(x.Accounts) != 1 || x.Incomplete == "" || len(x.Warnings) != 2 {
		t.Fatalf("export = %+v", x)
	}
	d := NewOfflineDirectory(OfflineInput{LDIF: []*LDIFExport{x}, LDIFComplete: true})
	if ans, _ := d.Owners(context.Background(), "HTTP/none"); ans.Complete {
		t.Error("a truncated export proves absence")
	}
	ok := "dn: CN=a,DC=x\nservicePrincipalName: HTTP/a\n\n# search result\nsearch: 2\nresult: 0 Success\n" +
		"control: 1.2.840.113556.1.4.319 false MAUCAQAEAA==\npagedresults: cookie=\n# extended LDIF\n\n" +
		"dn: CN=b,DC=x\nservicePrincipalName: HTTP/b\n"
	if x, err := ParseLDIF("ok.txt", strings.NewReader(ok)); err != nil || x.Incomplete != "" || len(x.Warnings) != 0 {
		t.Errorf("clean ldapsearch output: %+v %v", x, err)
	}
}
