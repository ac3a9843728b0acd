package spn

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
)

// TestSPNIndexMatchesDupIndex feeds the same random accounts (with injected
// case-variant duplicates) to the LDAP directory's pointer-free index and to
// the generic index of Duplicates and expects the same answer.
func TestSPNIndexMatchesDupIndex(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var accts []Account
	for i := 0; i < 20000; i++ {
		a := Account{Name: fmt.Sprintf(`CORP\acct%d`, i)}
		for k := 0; k < 1+r.IntN(6); k++ {
			a.SPNs = append(a.SPNs, fmt.Sprintf("HTTP/h%d-%d.corp.example.com", i, k))
		}
		accts = append(accts, a)
	}
	for d := 0; d < 300; d++ {
		src, dst := r.IntN(len(accts)), r.IntN(len(accts))
		s := accts[src].SPNs[r.IntN(len(accts[src].SPNs))]
		if r.IntN(2) == 0 {
			s = strings.ToUpper(s)
		}
		accts[dst].SPNs = append(accts[dst].SPNs, s)
	}
	// a non-ASCII SPN in two spellings
	accts[0].SPNs = append(accts[0].SPNs, "HTTP/ÄPFEL.example.com")
	accts[1].SPNs = append(accts[1].SPNs, "http/äpfel.example.com")

	x := newSPNIndex()
	ref := newDupIndex()
	var key []byte
	for i := range accts {
		a := &accts[i]
		ref.add(a)
		o := x.addOwner([]byte(a.Name))
		for _, s := range a.SPNs {
			key = foldKey(key[:0], []byte(s))
			x.add(key, o, []byte(s))
		}
	}
	if x.err != nil {
		t.Fatal(x.err)
	}
	norm := func(ds []Duplicate) []string {
		var out []string
		for _, d := range ds {
			o := append([]string(nil), d.Owners...)
			sort.Strings(o)
			out = append(out, strings.ToLower(d.SPN)+" "+strings.Join(o, ","))
		}
		sort.Strings(out)
		return out
	}
	got, want := norm(x.result()), norm(ref.result())
	// both fold non-ASCII letters too
	if !strings.Contains(strings.Join(got, "\n"), "http/äpfel.example.com CORP\\acct0,CORP\\acct1") {
		t.Error("non-ASCII case variants not merged")
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		gs := map[string]bool{}
		for _, g := range got {
			gs[g] = true
		}
		for _, w := range want {
			if !gs[w] {
				t.Errorf("missing %q", w)
			}
			delete(gs, w)
		}
		for g := range gs {
			t.Errorf("extra %q", g)
		}
	}
	if len(x.slots) <= 1<<16 {
		t.Errorf("table never grew: %s", x)
	}
}

func TestArena(t *testing.T) {
	var a arena
	big := strings.Repeat("x", arenaChunk+10) // larger than a chunk
	refs := map[uint32]string{}
	for i, s := range []string{"", "a", big, "after-big", strings.Repeat("y", arenaChunk-100), "z", strings.Repeat("w", 300)} {
		ref, err := a.add([]byte{byte(i), 0xee}, []byte(s))
		if err != nil {
			t.Fatal(i, err)
		}
		refs[ref] = s
	}
	for ref, s := range refs {
		got, hdr := a.get(ref, 2)
		if string(got) != s || hdr[1] != 0xee {
			t.Errorf("ref %x: got %d bytes (header %x), want %d", ref, len(got), hdr, len(s))
		}
	}
}

func TestDCSuffixStart(t *testing.T) {
	for dn, want := range map[string]string{
		"CN=web01,OU=Servers,DC=corp,DC=example,DC=com": "DC=corp,DC=example,DC=com",
		"cn=a\\,b,dc=example,dc=test":                   "dc=example,dc=test",
		"CN=x, DC=a, DC=b":                              "DC=a, DC=b",
		"CN=DC=weird,OU=x":                              "",
		"DC=only":                                       "DC=only",
		"CN=x,DC=a,OU=y":                                "",
		"":                                              "",
	} {
		i := dcSuffixStart(dn)
		got := ""
		if i >= 0 {
			got = dn[i:]
		}
		if got != want {
			t.Errorf("dcSuffixStart(%q) -> %q, want %q", dn, got, want)
		}
	}
}

func TestKindOf(t *testing.T) {
	for _, c := range []struct {
		classes []string
		want    AccountKind
	}{
		{[]string{"top", "person", "organizationalPerson", "user"}, User},
		{[]string{"top", "user", "COMPUTER"}, Computer},
		{[]string{"top", "user", "computer", "msDS-GroupManagedServiceAccount"}, GroupManagedServiceAccount},
		{[]string{"msds-managedserviceaccount", "computer"}, ManagedServiceAccount},
		{[]string{"top", "container"}, Unknown},
	} {
		if got := kindOf(c.classes); got != c.want || got != KindFromObjectClass(c.classes) {
			t.Errorf("kindOf(%v) = %v, want %v", c.classes, got, c.want)
		}
	}
}

func TestSecretNeverPrinted(t *testing.T) {
	const pw = "hunter2-secret"
	cfg := LDAPConfig{URL: "ldaps://dc1", BindDN: "CN=x", Password: pw,
		Kerberos: &KerberosBind{Username: "u", Password: pw}}
	outs := []string{
		fmt.Sprintf("%v %+v %#v %s %q %x", cfg, cfg, cfg, cfg.Password, cfg.Password, cfg.Password),
		fmt.Sprintf("%v %+v %#v", *cfg.Kerberos, *cfg.Kerberos, *cfg.Kerberos),
		fmt.Sprint(cfg.Password),
	}
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	outs = append(outs, string(b))
	for _, o := range outs {
		if strings.Contains(o, pw) || strings.Contains(o, fmt.Sprintf("%x", pw)) {
			t.Errorf("password printed: %s", o)
		}
	}
	if string(cfg.Password) != pw {
		t.Error("the value itself must be intact")
	}
}

func TestDialLDAPConfigErrors(t *testing.T) {
	ctx := t.Context()
	for _, cfg := range []LDAPConfig{
		{URL: ""},
		{URL: "http://dc1"},
		{URL: "dc1:389"},
		{URL: "ldaps://127.0.0.1:1", StartTLS: true},
	} {
		if _, err := DialLDAP(ctx, cfg); err == nil {
			t.Errorf("DialLDAP(%+v): no error", cfg)
		}
	}
	// Kerberos configuration problems are bind errors, found before any I/O
	// on the KDC
	_, err := newKerberosClientChecked(&KerberosBind{Krb5Conf: "/nonexistent/krb5.conf", Username: "u", Password: "p"})
	if err == nil {
		t.Error("missing krb5.conf: no error")
	}
	_, err = newKerberosClientChecked(&KerberosBind{Krb5Conf: "x", Username: "u", Password: "p", KeytabFile: "k"})
	if err == nil || !strings.Contains(err.Error(), "exactly one") {
		t.Errorf("two credentials: %v", err)
	}
}

func newKerberosClientChecked(k *KerberosBind) (any, error) {
	cl, _, err := newKerberosClient(k)
	return cl, err
}

func TestFoldKey(t *testing.T) {
	for in, want := range map[string]string{
		"HTTP/Web.Example.COM:80": "http/web.example.com:80",
		"http/ÄPFEL":              "http/äpfel",
		"":                        "",
	} {
		if got := string(foldKey(nil, []byte(in))); got != want {
			t.Errorf("foldKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDCSuffixStart checks that the DC= suffix finder never panics and
// returns either -1 or an index where a "DC=" RDN starts.
func FuzzDCSuffixStart(f *testing.F) {
	for _, s := range []string{"CN=a,DC=b,DC=c", "cn=a\\,b,dc=x", "DC=", "\\", ",,,DC=a", "CN=x, DC=a", "ou=dc=x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dn string) {
		i := dcSuffixStart(dn)
		if j := dcSuffixStart([]byte(dn)); j != i {
			t.Fatalf("dcSuffixStart(%q): string %d, bytes %d", dn, i, j)
		}
		if r := dcSuffixStartRef(dn); r != i {
			t.Fatalf("dcSuffixStart(%q) = %d, reference %d", dn, i, r)
		}
		if i == -1 {
			return
		}
		if i < 0 || i+3 > len(dn) || !strings.EqualFold(dn[i:i+3], "DC=") {
			t.Fatalf("dcSuffixStart(%q) = %d", dn, i)
		}
		if got, want := string(foldKey(nil, []byte(dn))), strings.ToLower(dn); got != want {
			t.Fatalf("foldKey(%q) = %q, want %q", dn, got, want)
		}
	})
}

// dcSuffixStartRef is the former string-only dcSuffixStart.
func dcSuffixStartRef(dn string) int {
	start := -1
	rdn := 0
	for i := 0; i <= len(dn); i++ {
		if i < len(dn) && dn[i] == '\\' {
			i++
			continue
		}
		if i < len(dn) && dn[i] != ',' {
			continue
		}
		t := strings.TrimLeft(dn[rdn:i], " ")
		if len(t) > 3 && strings.EqualFold(t[:3], "DC=") {
			if start < 0 {
				start = rdn + (len(dn[rdn:i]) - len(t))
			}
		} else {
			start = -1
		}
		rdn = i + 1
	}
	return start
}
