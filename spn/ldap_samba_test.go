package spn_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/spn"
)

// sambaEnv is the environment testenv/samba/up.sh writes.
type sambaEnv struct {
	url, ldapsURL, gcURL, ca, serverName, base, realm, domain, krb5conf, ldapSPN, user, bindDN, password, keytab, ccache string
}

func requireSamba(t *testing.T) sambaEnv {
	t.Helper()
	v := testenv.Require(t, "IISKERB_SAMBA_LDAP_URL", "IISKERB_SAMBA_LDAPS_URL", "IISKERB_SAMBA_GC_URL",
		"IISKERB_SAMBA_CA", "IISKERB_SAMBA_TLS_SERVER_NAME", "IISKERB_SAMBA_BASE", "IISKERB_SAMBA_REALM",
		"IISKERB_SAMBA_DOMAIN", "IISKERB_SAMBA_KRB5_CONF", "IISKERB_SAMBA_LDAP_SPN", "IISKERB_SAMBA_USER",
		"IISKERB_SAMBA_BIND_DN", "IISKERB_SAMBA_PASSWORD", "IISKERB_SAMBA_KEYTAB", "IISKERB_SAMBA_CCACHE")
	return sambaEnv{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13], v[14]}
}

func (e sambaEnv) kerberos() *spn.KerberosBind {
	return &spn.KerberosBind{Krb5Conf: e.krb5conf, Username: e.user, Realm: e.realm, SPN: e.ldapSPN}
}

func TestSambaGSSAPIBind(t *testing.T) {
	e := requireSamba(t)
	ctx := context.Background()
	pw := e.kerberos()
	pw.Password = spn.Secret(e.password)
	kt := e.kerberos()
	kt.KeytabFile = e.keytab
	cc := &spn.KerberosBind{Krb5Conf: e.krb5conf, CCacheFile: e.ccache, SPN: e.ldapSPN}
	for name, k := range map[string]*spn.KerberosBind{"password": pw, "keytab": kt, "ccache": cc} {
		t.Run(name, func(t *testing.T) {
			d := dial(t, spn.LDAPConfig{URL: e.url, Kerberos: k, Timeout: 20 * time.Second})
			if !strings.Contains(d.String(), "GSSAPI as reader@"+e.realm) {
				t.Errorf("String() = %q", d.String())
			}
			ans, err := d.Owners(ctx, "http/WEB."+strings.ToLower(e.realm))
			if err != nil || !ans.Complete || len(ans.Accounts) != 1 || ans.Accounts[0].Name != e.domain+`\websvc` {
				t.Fatalf("Owners: %v %+v %v", names(ans.Accounts), ans.Completeness, err)
			}
		})
	}

	// Kerberos inside TLS (what a DC that requires LDAP signing accepts,
	// since go-ldap's GSSAPI bind negotiates no SASL security layer)
	t.Run("ldaps", func(t *testing.T) {
		d := dial(t, spn.LDAPConfig{URL: e.ldapsURL, RootCAs: caPool(t, e.ca), ServerName: e.serverName, Kerberos: kt,
			Timeout: 20 * time.Second})
		if ans, err := d.Account(ctx, "websvc"); err != nil || len(ans.Accounts) != 1 {
			t.Errorf("Account over ldaps+GSSAPI: %v %v", names(ans.Accounts), err)
		}
	})

	// wrong password: a typed bind error from the KDC exchange, no password in it
	bad := e.kerberos()
	bad.Password = "N0t-the-password"
	_, err := spn.DialLDAP(ctx, spn.LDAPConfig{URL: e.url, Kerberos: bad, Timeout: 20 * time.Second})
	var be *spn.BindError
	if !errors.As(err, &be) || be.Mechanism != "GSSAPI" || strings.Contains(fmt.Sprint(err), "N0t-the-password") {
		t.Errorf("bad Kerberos password: %T %v", err, err)
	}
}

func TestSambaDirectory(t *testing.T) {
	e := requireSamba(t)
	ctx := context.Background()
	k := e.kerberos()
	k.KeytabFile = e.keytab
	d := dial(t, spn.LDAPConfig{URL: e.url, Kerberos: k, Timeout: 20 * time.Second})
	if d.Domain() != e.domain || !strings.EqualFold(d.BaseDN(), e.base) {
		t.Errorf("domain %q base %q", d.Domain(), d.BaseDN())
	}
	dns := strings.ToLower(e.realm)

	acct := func(name string) spn.Account {
		t.Helper()
		ans, err := d.Account(ctx, name)
		if err != nil || !ans.Complete || len(ans.Accounts) != 1 {
			t.Fatalf("Account(%q): %v %+v %v", name, names(ans.Accounts), ans.Completeness, err)
		}
		return ans.Accounts[0]
	}
	web := acct(e.domain + `\websvc`)
	if web.Kind != spn.User || !web.EncTypesSet || web.EncTypes != spn.EncAES128|spn.EncAES256 || web.EncTypes.RC4Only() {
		t.Errorf("websvc = %+v", web)
	}
	rc4 := acct("rc4svc")
	if !rc4.EncTypes.RC4Only() || len(rc4.SPNs) != 1 || !strings.EqualFold(rc4.SPNs[0], "HTTP/legacy."+dns) {
		t.Errorf("rc4svc = %+v", rc4)
	}
	web01 := acct("WEB01")
	if web01.Kind != spn.Computer || web01.Name != e.domain+`\WEB01$` || web01.Disabled || len(web01.SPNs) < 2 {
		t.Errorf("WEB01 = %+v", web01)
	}
	ans, err := d.Owners(ctx, "HOST/WEB01."+dns)
	if err != nil || len(ans.Accounts) != 1 || ans.Accounts[0].SAMAccountName != "WEB01$" {
		t.Errorf("Owners(HOST/WEB01): %v %v", names(ans.Accounts), err)
	}

	m, err := d.SPNMappings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if alias, ok := m.AliasFor("http"); !ok || alias != "host" {
		t.Errorf("Samba sPNMappings: http -> %q %v", alias, ok)
	}

	// A domain scan is complete: the domain-scope control keeps AD from
	// returning continuation references to the Configuration partition.
	seen := map[string]bool{}
	c, err := d.Scan(ctx, func(a *spn.Account) error { seen[a.Name] = true; return nil })
	if err != nil || !c.Complete {
		t.Fatalf("Scan: %+v %v", c, err)
	}
	for _, n := range []string{`\websvc`, `\rc4svc`, `\WEB01$`, `\DC1$`, `\krbtgt`} {
		if !seen[e.domain+n] {
			t.Errorf("Scan did not see %s%s (saw %v)", e.domain, n, seen)
		}
	}
	dups, comp, err := spn.Duplicates(ctx, d)
	if err != nil || !comp.Complete || len(dups) != 0 {
		t.Errorf("Duplicates on AD (which refuses duplicates): %v %+v %v", dups, comp, err)
	}
}

func TestSambaTLSAndGlobalCatalog(t *testing.T) {
	e := requireSamba(t)
	ctx := context.Background()
	pool := caPool(t, e.ca)
	d := dial(t, spn.LDAPConfig{URL: e.ldapsURL, RootCAs: pool, ServerName: e.serverName,
		BindDN: e.bindDN, Password: spn.Secret(e.password), Timeout: 20 * time.Second})
	if ans, err := d.Owners(ctx, "HTTP/web."+strings.ToLower(e.realm)); err != nil || len(ans.Accounts) != 1 {
		t.Errorf("ldaps Owners: %v %v", names(ans.Accounts), err)
	}

	k := e.kerberos()
	k.KeytabFile = e.keytab
	gc := dial(t, spn.LDAPConfig{URL: e.gcURL, GlobalCatalog: true, Kerberos: k, Timeout: 20 * time.Second})
	if !strings.Contains(gc.Describe(), "global catalog") {
		t.Errorf("Describe = %q", gc.Describe())
	}
	seen := map[string]bool{}
	c, err := gc.Scan(ctx, func(a *spn.Account) error { seen[a.Name] = true; return nil })
	if err != nil || !c.Complete {
		t.Fatalf("GC scan: %+v %v", c, err)
	}
	if !seen[e.domain+`\websvc`] || !seen[e.domain+`\WEB01$`] {
		t.Errorf("GC scan names: %v", seen)
	}
	ans, err := gc.Owners(ctx, "HTTP/legacy."+strings.ToLower(e.realm))
	if err != nil || len(ans.Accounts) != 1 || ans.Accounts[0].Name != e.domain+`\rc4svc` {
		t.Errorf("GC Owners: %v %v", names(ans.Accounts), err)
	}
}
