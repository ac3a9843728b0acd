package spn

import (
	"reflect"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestKindFromObjectClass(t *testing.T) {
	tests := []struct {
		in   []string
		want AccountKind
	}{
		{[]string{"top", "person", "organizationalPerson", "user"}, User},
		{[]string{"top", "person", "organizationalPerson", "user", "computer"}, Computer},
		{[]string{"top", "user", "computer", "msDS-GroupManagedServiceAccount"}, GroupManagedServiceAccount},
		{[]string{"Top", "User", "Computer", "MSDS-ManagedServiceAccount"}, ManagedServiceAccount},
		{[]string{"top", "container"}, Unknown},
		{nil, Unknown},
	}
	for _, tt := range tests {
		if got := KindFromObjectClass(tt.in); got != tt.want {
			t.Errorf("KindFromObjectClass(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEncTypes(t *testing.T) {
	tests := []struct {
		in      string
		want    EncTypes
		rc4Only bool
		aes     bool
		str     string
	}{
		{"4", EncRC4, true, false, "RC4-HMAC"},
		{"28", EncRC4 | EncAES128 | EncAES256, false, true, "RC4-HMAC, AES128, AES256"},
		{"24", EncAES128 | EncAES256, false, true, "AES128, AES256"},
		{"7", EncDESCBCCRC | EncDESCBCMD5 | EncRC4, true, false, "DES-CBC-CRC, DES-CBC-MD5, RC4-HMAC"},
		{"0x24", EncRC4 | EncAES256SK, true, false, "RC4-HMAC, AES256-SK"},
		{"-2147483644", 0x80000004, true, false, "RC4-HMAC, 0x80000000"},
		{"0", 0, false, false, "none"},
	}
	for _, tt := range tests {
		got, err := ParseEncTypes(tt.in)
		if err != nil || got != tt.want || got.RC4Only() != tt.rc4Only || got.HasAES() != tt.aes || got.String() != tt.str {
			t.Errorf("ParseEncTypes(%q) = %v (%q), %v", tt.in, got, got.String(), err)
		}
	}
	for _, bad := range []string{"", "x", "4294967296", "-2147483649"} {
		if _, err := ParseEncTypes(bad); err == nil {
			t.Errorf("ParseEncTypes(%q) accepted", bad)
		}
	}
}

func TestSetAttribute(t *testing.T) {
	var a Account
	steps := []struct {
		name string
		vals []string
	}{
		{"distinguishedName", []string{"CN=svc\\, web,OU=x,DC=corp,DC=example,DC=com"}},
		{"sAMAccountName", []string{"svc-web"}},
		{"objectClass", []string{"top", "user"}},
		{"userAccountControl", []string{"514"}},
		{"servicePrincipalName", []string{"HTTP/a", "HTTP/b"}},
		{"msDS-SupportedEncryptionTypes", []string{"24"}},
		{"description", []string{"ignored"}},
	}
	for _, s := range steps {
		if err := a.SetAttribute(s.name, s.vals); err != nil {
			t.Fatal(err)
		}
	}
	a.SetDomain("") // no domain given: the bare sAMAccountName, never one guessed from DC=
	want := Account{Name: `svc-web`, SAMAccountName: "svc-web", DN: "CN=svc\\, web,OU=x,DC=corp,DC=example,DC=com", Kind: User,
		Disabled: true, SPNs: []string{"HTTP/a", "HTTP/b"}, EncTypes: 24, EncTypesSet: true}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("account = %+v", a)
	}
	if e, assumed := a.EffectiveEncTypes(); e != 24 || assumed {
		t.Error("EffectiveEncTypes with attribute")
	}
	if e, assumed := (&Account{}).EffectiveEncTypes(); e != ClassicDefaultEncTypes || !assumed || !e.RC4Only() {
		t.Error("EffectiveEncTypes default")
	}
	if err := a.SetAttribute("userAccountControl", []string{"abc"}); err == nil {
		t.Error("bad userAccountControl accepted")
	}
	var b Account
	b.DN = "CN=WEB01,CN=Computers,DC=corp,DC=example,DC=com"
	b.SetDomain("CONTOSO")
	if b.Name != `CONTOSO\WEB01` {
		t.Errorf("name from CN = %q", b.Name)
	}
	if DomainFromDN("CN=x,OU=y") != "" || DomainFromDN("cn=x,dc=Lab,dc=test") != "LAB" {
		t.Error("DomainFromDN")
	}
}

func TestSPNMappings(t *testing.T) {
	m := DefaultSPNMappings()
	for _, c := range []string{"http", "HTTP", "www", "cifs", "w3svc"} {
		if a, ok := m.AliasFor(c); !ok || a != "host" {
			t.Errorf("AliasFor(%q) = %q, %v", c, a, ok)
		}
	}
	if _, ok := m.AliasFor("MSSQLSvc"); ok {
		t.Error("MSSQLSvc mapped")
	}
	custom, err := ParseSPNMappings([]string{"host=alerter,http", "ldap=ldap,otherldap"})
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := custom.AliasFor("otherldap"); a != "ldap" {
		t.Errorf("custom alias = %q", a)
	}
	if got := custom.Values(); !reflect.DeepEqual(got, []string{"host=alerter,http", "ldap=ldap,otherldap"}) {
		t.Errorf("Values = %q", got)
	}
	for _, bad := range []string{"nohost", "=http", "a b=http"} {
		if _, err := ParseSPNMappings([]string{bad}); err == nil {
			t.Errorf("ParseSPNMappings(%q) accepted", bad)
		}
	}
	if SPNMappingsDN("DC=corp,DC=example,DC=com") != "CN=Directory Service,CN=Windows NT,CN=Services,CN=Configuration,DC=corp,DC=example,DC=com" {
		t.Error("SPNMappingsDN")
	}
}

func FuzzParseEncTypes(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, s := range []string{"4", "28", "-2147483644", "0x1c", "", "0x", "-", "+4", " 24 "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEncTypes(s)
		if err != nil {
			return
		}
		if e.RC4Only() && e.HasAES() {
			t.Fatalf("%v is both RC4-only and AES", e)
		}
		if e.String() == "" {
			t.Fatal("empty String")
		}
		var a Account
		if err := a.SetAttribute("msDS-SupportedEncryptionTypes", []string{s}); err != nil || a.EncTypes != e || !a.EncTypesSet {
			t.Fatalf("SetAttribute disagrees: %v %v", a, err)
		}
	})
}

func FuzzParseSPNMappings(f *testing.F) {
	testenv.ShortFuzzMinimize()
	f.Add(defaultSPNMappingValue, "ldap=ldap,otherldap")
	f.Add("host=", "=x")
	f.Add("a b=c", "x=,,,")
	f.Fuzz(func(t *testing.T, a, b string) {
		m, err := ParseSPNMappings([]string{a, b})
		if err != nil {
			return
		}
		// Values round-trip.
		m2, err := ParseSPNMappings(m.Values())
		if err != nil || !reflect.DeepEqual(m.Values(), m2.Values()) {
			t.Fatalf("round trip: %q -> %q (%v)", m.Values(), m2.Values(), err)
		}
		for _, r := range m {
			for _, c := range r.Classes {
				if got, ok := m.AliasFor(c); !ok || got == "" {
					t.Fatalf("AliasFor(%q) = %q, %v", c, got, ok)
				}
			}
		}
	})
}
