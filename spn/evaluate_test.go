package spn

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestExpected(t *testing.T) {
	hosts := HostNames{
		NetBIOS:  "WEB01",
		FQDN:     "web01.corp.example.com",
		Bindings: []string{"", "*", "portal", "Portal.corp.example.com", "10.0.0.5", "[::1]", "apps.corp.example.com", "WEB01"},
		CNAMEs:   map[string]string{"apps.corp.example.com.": "lb01.corp.example.com."},
	}
	exps := Expected(hosts, ComputerOwner("CORP", "WEB01"), DefaultSPNMappings())
	var got []string
	for _, e := range exps {
		got = append(got, e.SPN.String())
		if e.Owner.Account != `CORP\WEB01$` || len(e.Fallbacks) != 1 || e.Fallbacks[0].String() != "HOST/"+e.SPN.Host {
			t.Errorf("expectation %+v", e)
		}
	}
	want := []string{"HTTP/web01.corp.example.com", "HTTP/WEB01", "HTTP/portal", "HTTP/portal.corp.example.com", "HTTP/lb01.corp.example.com"}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Expected = %q\nwant %q", got, want)
	}
	if exps[4].Alias != "apps.corp.example.com" || exps[4].Reason != "canonical name of CNAME apps.corp.example.com (binding host apps.corp.example.com)" {
		t.Errorf("CNAME expectation = %+v", exps[4])
	}
	if exps := Expected(HostNames{FQDN: "a.b"}, AccountOwner(`CORP\svc`), nil); len(exps[0].Fallbacks) != 0 {
		t.Errorf("no mappings but fallbacks %v", exps[0].Fallbacks)
	}
}

func kinds(vs []Verdict) []VerdictKind {
	var out []VerdictKind
	for _, v := range vs {
		out = append(out, v.Kind)
	}
	return out
}

func TestEvaluateComputerOwner(t *testing.T) {
	ctx := context.Background()
	accts := testAccounts()
	accts = append(accts, Account{Name: `CORP\WEB03$`, SAMAccountName: "WEB03$", Kind: Computer, SPNs: []string{"HOST/intranet"}, EncTypes: 0x1c, EncTypesSet: true})
	d := NewMemoryDirectory(accts, true)
	hosts := HostNames{NetBIOS: "WEB01", FQDN: "web01.corp.example.com", Bindings: []string{"portal.corp.example.com", "intranet", "newsite.corp.example.com"}}
	vs, err := Evaluate(ctx, d, Expected(hosts, ComputerOwner("CORP", "WEB01"), DefaultSPNMappings()))
	if err != nil {
		t.Fatal(err)
	}
	want := []VerdictKind{OK, OK, WrongAccount, Duplicated, WrongAccount, Missing, Missing}
	if !reflect.DeepEqual(kinds(vs), want) {
		for _, v := range vs {
			t.Logf("%v %s %s", v.Kind, v.SPN, v.Detail)
		}
		t.Fatalf("kinds = %v, want %v", kinds(vs), want)
	}
	if vs[0].Via != "HOST/web01.corp.example.com" || !vs[0].Complete {
		t.Errorf("HOST mapping verdict = %+v", vs[0])
	}
	wrong := vs[2]
	if !reflect.DeepEqual(wrong.Owners, []string{`CORP\svc-web`, `CORP\WEB02$`}) ||
		!reflect.DeepEqual(wrong.Fix, []string{
			`setspn -D HTTP/portal.corp.example.com CORP\svc-web`,
			`setspn -D HTTP/portal.corp.example.com CORP\WEB02$`,
			`setspn -S HTTP/portal.corp.example.com CORP\WEB01$`}) {
		t.Errorf("WrongAccount = %+v", wrong)
	}
	dup := vs[3]
	if len(dup.Owners) != 2 || len(dup.Fix) != 3 {
		t.Errorf("Duplicated = %+v", dup)
	}
	// HOST/intranet on another computer decides who decrypts HTTP/intranet.
	if v := vs[4]; v.Via != "HOST/intranet" || v.Owners[0] != `CORP\WEB03$` || v.Fix[0] != `setspn -S HTTP/intranet CORP\WEB01$` || v.Note == "" {
		t.Errorf("HOST on other computer = %+v", v)
	}
	if v := vs[6]; v.Fix[0] != `setspn -S HTTP/newsite.corp.example.com CORP\WEB01$` || !v.Complete {
		t.Errorf("Missing = %+v", v)
	}
}

func TestEvaluateDomainAccount(t *testing.T) {
	ctx := context.Background()
	accts := testAccounts()
	accts[1].SPNs = append(accts[1].SPNs, "HTTP/https://portal.corp.example.com")
	d := NewMemoryDirectory(accts, true)
	hosts := HostNames{Bindings: []string{"portal"}}
	vs, err := Evaluate(ctx, d, Expected(hosts, AccountOwner(`CORP\svc-web`), DefaultSPNMappings()))
	if err != nil {
		t.Fatal(err)
	}
	want := []VerdictKind{OK, RC4Only, Malformed}
	if !reflect.DeepEqual(kinds(vs), want) {
		t.Fatalf("kinds = %v", kinds(vs))
	}
	if vs[1].Fix[0] != "Set-ADUser -Identity 'svc-web' -KerberosEncryptionType AES128,AES256" || vs[1].Note == "" {
		t.Errorf("RC4Only = %+v", vs[1])
	}
	if !reflect.DeepEqual(vs[2].Fix, []string{`setspn -D HTTP/https://portal.corp.example.com CORP\svc-web`, `setspn -S HTTP/portal.corp.example.com CORP\svc-web`}) {
		t.Errorf("Malformed = %+v", vs[2])
	}

	// The same question against a partial directory: absence is not proven.
	vs, err = Evaluate(ctx, NewMemoryDirectory(accts[:1], false), Expected(HostNames{FQDN: "new.corp.example.com"}, AccountOwner(`CORP\svc-web`), nil))
	if err != nil || len(vs) != 1 || vs[0].Kind != Unverified || vs[0].Complete || vs[0].Fix[0] != "setspn -F -Q HTTP/new.corp.example.com" {
		t.Errorf("partial = %+v %v", vs, err)
	}
}

func TestRC4Verdict(t *testing.T) {
	tests := []struct {
		a    Account
		want bool
	}{
		{Account{Name: `C\a`, EncTypes: EncRC4, EncTypesSet: true}, true},
		{Account{Name: `C\a`, EncTypes: EncRC4 | EncAES256, EncTypesSet: true}, false},
		{Account{Name: `C\a`}, true}, // absent: classic default RC4
		{Account{Name: `C\a`, EncTypes: EncAES128 | EncAES256, EncTypesSet: true}, false},
		{Account{Name: `C\a`, EncTypes: 0, EncTypesSet: true}, false},
	}
	for _, tt := range tests {
		if _, got := RC4Verdict(&tt.a); got != tt.want {
			t.Errorf("RC4Verdict(%+v) = %v", tt.a, got)
		}
	}
	v, _ := RC4Verdict(&Account{Name: `C\G$`, Kind: GroupManagedServiceAccount})
	if v.Fix[0] != "Set-ADServiceAccount -Identity 'G$' -KerberosEncryptionType AES128,AES256" {
		t.Errorf("gMSA fix = %q", v.Fix)
	}
}

func TestSetspnCommands(t *testing.T) {
	if got := SetspnAdd("HTTP/web 01", `CORP\svc`); got != `setspn -S "HTTP/web 01" CORP\svc` {
		t.Errorf("SetspnAdd = %q", got)
	}
	if got := SetspnDelete("HTTP/web01", `CORP\WEB01$`); got != `setspn -D HTTP/web01 CORP\WEB01$` {
		t.Errorf("SetspnDelete = %q", got)
	}
}

func TestExpectedOnlyBindings(t *testing.T) {
	hosts := HostNames{NetBIOS: "WEB01", FQDN: "web01.corp.example.com", Bindings: []string{"portal"}, OnlyBindings: true}
	var got []string
	for _, e := range Expected(hosts, AccountOwner(`CORP\svc`), DefaultSPNMappings()) {
		got = append(got, e.SPN.String())
	}
	if want := []string{"HTTP/portal", "HTTP/portal.corp.example.com"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Expected = %q, want %q", got, want)
	}
}

func TestJSONSnakeCase(t *testing.T) {
	ctx := context.Background()
	accts := testAccounts()
	accts = append(accts, Account{Name: `CORP\WEB03$`, SAMAccountName: "WEB03$", Kind: Computer, SPNs: []string{"HOST/intranet"}, EncTypes: 0x1c, EncTypesSet: true},
		Account{Name: `CORP\svc-unread`, Kind: User, EncTypesUnknown: true})
	hosts := HostNames{NetBIOS: "WEB01", FQDN: "web01.corp.example.com", Bindings: []string{"portal.corp.example.com", "intranet", "apps.corp.example.com"},
		CNAMEs: map[string]string{"apps.corp.example.com": "lb01.corp.example.com"}}
	exps := Expected(hosts, ComputerOwner("CORP", "WEB01"), DefaultSPNMappings())
	vs, err := Evaluate(ctx, NewMemoryDirectory(accts, true), exps)
	if err != nil {
		t.Fatal(err)
	}
	vs = append(vs, Verdict{Kind: Unverified, SPN: "HTTP/x", Account: `CORP\WEB01$`, Completeness: Completeness{Reason: "size limit"}})
	for _, c := range []struct {
		name string
		v    any
		want []string
	}{
		{"accounts", accts, []string{`"kind":"computer"`, `"enc_types":{"raw":28,"names":["RC4-HMAC","AES128","AES256"]}`, `"rc4_only":false`,
			`{"name":"CORP\\svc-unread","kind":"user","disabled":false,"spns":[],"enc_types_set":false,"enc_types_unknown":true,"rc4_only":null}`}},
		{"hosts", hosts, []string{`"cnames":[{"alias":"apps.corp.example.com","canonical":"lb01.corp.example.com"}]`}},
		{"expectations", exps, []string{`{"spn":"HTTP/web01.corp.example.com","owner":{"kind":"computer account","account":"CORP\\WEB01$"},"reason":"computer FQDN","fallbacks":["HOST/web01.corp.example.com"]}`}},
		{"verdicts", vs, []string{`{"kind":"ok","spn":"HTTP/web01.corp.example.com","expectation":{"spn":"HTTP/web01.corp.example.com"`,
			`"completeness":{"complete":true}`, `"completeness":{"complete":false,"reason":"size limit"}`, `"kind":"wrong-account"`}},
	} {
		b, err := json.Marshal(c.v)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		testenv.CheckSnakeJSON(t, c.name, b)
		for _, w := range c.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s: JSON lacks %s:\n%s", c.name, w, b)
			}
		}
	}
}
