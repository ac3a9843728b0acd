package spn_test

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/spn"
)

// TestSlapdLeanReader: over ldap:// with StartTLS, ldaps:// and plain
// ldap://, scans through the lean reader (ldapStream + ber.go) deliver the
// same accounts as go-ldap's decoding, and the lean duplicate scan finds
// exactly the fixture's duplicates.
func TestSlapdLeanReader(t *testing.T) {
	e := requireSlapd(t)
	ctx := context.Background()
	scan := func(d *spn.LDAPDirectory) []spn.Account {
		var out []spn.Account
		c, err := d.Scan(ctx, func(a *spn.Account) error {
			cp := *a
			cp.SPNs = append([]string(nil), a.SPNs...)
			out = append(out, cp)
			return nil
		})
		if err != nil || !c.Complete {
			t.Fatalf("Scan: %v %+v", err, c)
		}
		sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].DN) < strings.ToLower(out[j].DN) })
		return out
	}
	ref := e.startTLSConfig(t)
	ref.PageSize = 100
	slow := dial(t, ref)
	spn.DisableLeanReader(slow)
	want := scan(slow)
	if len(want) != 1208 {
		t.Fatalf("go-ldap scan: %d accounts", len(want))
	}
	ldaps := spn.LDAPConfig{URL: e.ldapsURL, RootCAs: caPool(t, e.caFile), BindDN: e.bindDN, Password: spn.Secret(e.bindPW), PageSize: 100}
	plain := spn.LDAPConfig{URL: e.url, BindDN: e.bindDN, Password: spn.Secret(e.bindPW), AllowInsecureSimpleBind: true, PageSize: 100}
	for name, cfg := range map[string]spn.LDAPConfig{"StartTLS": ref, "ldaps": ldaps, "plain": plain} {
		d := dial(t, cfg)
		if got := scan(d); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: lean scan differs from go-ldap's (%d and %d accounts)", name, len(got), len(want))
		}
		dups, c, err := spn.Duplicates(ctx, d)
		if err != nil || !c.Complete {
			t.Fatalf("%s: Duplicates: %v %+v", name, err, c)
		}
		got := map[string][]string{}
		for _, dup := range dups {
			o := append([]string(nil), dup.Owners...)
			sort.Strings(o)
			got[strings.ToLower(dup.SPN)] = o
		}
		if fmt.Sprint(got) != fmt.Sprint(fixtureDuplicates) {
			t.Errorf("%s: Duplicates = %v\nwant %v", name, got, fixtureDuplicates)
		}
	}
}
