package spn_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/spn"
)

// slapdEnv is the environment testenv/slapd/up.sh writes.
type slapdEnv struct {
	url, ldapsURL, caFile, base, bindDN, bindPW string
}

func requireSlapd(t *testing.T) slapdEnv {
	t.Helper()
	v := testenv.Require(t, "IISKERB_SLAPD_URL", "IISKERB_SLAPD_LDAPS_URL", "IISKERB_SLAPD_CA",
		"IISKERB_SLAPD_BASE", "IISKERB_SLAPD_BIND_DN", "IISKERB_SLAPD_BIND_PW")
	return slapdEnv{v[0], v[1], v[2], v[3], v[4], v[5]}
}

func caPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	p := x509.NewCertPool()
	if !p.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", file)
	}
	return p
}

// startTLSConfig is the normal way in: ldap:// + StartTLS, CA verified, the
// non-root bind user.
func (e slapdEnv) startTLSConfig(t *testing.T) spn.LDAPConfig {
	return spn.LDAPConfig{URL: e.url, StartTLS: true, RootCAs: caPool(t, e.caFile),
		BindDN: e.bindDN, Password: spn.Secret(e.bindPW), Timeout: 20 * time.Second}
}

func dial(t *testing.T, cfg spn.LDAPConfig) *spn.LDAPDirectory {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := spn.DialLDAP(ctx, cfg)
	if err != nil {
		t.Fatalf("DialLDAP: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

func names(accts []spn.Account) []string {
	var out []string
	for _, a := range accts {
		out = append(out, a.Name)
	}
	sort.Strings(out)
	return out
}

func TestSlapdOwners(t *testing.T) {
	e := requireSlapd(t)
	d := dial(t, e.startTLSConfig(t))
	ctx := context.Background()
	if got := d.Describe(); got != e.url[:len(e.url)]+" (domain "+e.base+")" {
		t.Errorf("Describe = %q", got)
	}
	cases := []struct {
		spn  string
		want []string
	}{
		// three holders, one of them spelled differently
		{"http/INTRANET.example.test", []string{`EXAMPLE\WEB02$`, `EXAMPLE\svc-old`, `EXAMPLE\svc-web`}},
		{"MSSQLSvc/sql01.example.test:1433", []string{`EXAMPLE\svc-old`, `EXAMPLE\svc-sql`}},
		{"HTTP/app.example.test", []string{`EXAMPLE\gmsa-web$`}},
		// filter metacharacters match literally...
		{"HTTP/legacy(1)*.example.test", []string{`EXAMPLE\svc-legacy`}},
		// ...so a wildcard finds nothing
		{"HTTP/*", nil},
		{"HTTP/nowhere.example.test", nil},
	}
	for _, c := range cases {
		ans, err := d.Owners(ctx, c.spn)
		if err != nil {
			t.Errorf("Owners(%q): %v", c.spn, err)
			continue
		}
		if !ans.Complete || ans.Reason != "" {
			t.Errorf("Owners(%q): incomplete %+v", c.spn, ans.Completeness)
		}
		if got := names(ans.Accounts); strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("Owners(%q) = %q, want %q", c.spn, got, c.want)
		}
	}
}

func TestSlapdAccount(t *testing.T) {
	e := requireSlapd(t)
	d := dial(t, e.startTLSConfig(t))
	ctx := context.Background()
	one := func(name string) spn.Account {
		t.Helper()
		ans, err := d.Account(ctx, name)
		if err != nil || !ans.Complete {
			t.Fatalf("Account(%q): %v %+v", name, err, ans.Completeness)
		}
		if len(ans.Accounts) != 1 {
			t.Fatalf("Account(%q): %d accounts %q", name, len(ans.Accounts), names(ans.Accounts))
		}
		return ans.Accounts[0]
	}
	web01 := one(`EXAMPLE\WEB01`)
	if web01.Name != `EXAMPLE\WEB01$` || web01.Kind != spn.Computer || web01.Disabled ||
		!web01.EncTypesSet || web01.EncTypes != spn.EncRC4|spn.EncAES128|spn.EncAES256 || len(web01.SPNs) != 4 ||
		!strings.EqualFold(web01.DN, "CN=WEB01,CN=Computers,DC=example,DC=test") {
		t.Errorf("WEB01 = %+v", web01)
	}
	if a := one("web01$"); a.SAMAccountName != "WEB01$" {
		t.Errorf("web01$ = %+v", a)
	}
	old := one("svc-old")
	if !old.Disabled || old.Kind != spn.User || !old.EncTypes.RC4Only() {
		t.Errorf("svc-old = %+v", old)
	}
	web := one(`example\svc-web`)
	if !web.EncTypes.HasAES() || web.EncTypes.RC4Only() || web.Disabled {
		t.Errorf("svc-web = %+v", web)
	}
	if a := one("svc-sql"); a.EncTypesSet || a.Disabled {
		t.Errorf("svc-sql (uac 66048, no enctypes) = %+v", a)
	}
	if a := one("gmsa-web$"); a.Kind != spn.GroupManagedServiceAccount {
		t.Errorf("gmsa-web$ kind = %v", a.Kind)
	}
	if a := one("msa-sql"); a.Kind != spn.ManagedServiceAccount || a.Name != `EXAMPLE\msa-sql$` {
		t.Errorf("msa-sql = %+v", a)
	}
	if a := one("CN=Legacy (app) svc*,CN=Users," + e.base); a.SAMAccountName != "svc-legacy" {
		t.Errorf("by DN = %+v", a)
	}
	for _, name := range []string{"nobody", `OTHER\svc-web`, "CN=nobody,CN=Users," + e.base, "svc*"} {
		ans, err := d.Account(ctx, name)
		if err != nil || !ans.Complete || len(ans.Accounts) != 0 {
			t.Errorf("Account(%q) = %q %+v %v, want complete and empty", name, names(ans.Accounts), ans.Completeness, err)
		}
	}
}

// fixtureDuplicates is the duplicate truth of testenv/slapd/fixture.ldif.
var fixtureDuplicates = map[string][]string{
	"http/intranet.example.test":       {`EXAMPLE\WEB02$`, `EXAMPLE\svc-old`, `EXAMPLE\svc-web`},
	"mssqlsvc/sql01.example.test:1433": {`EXAMPLE\svc-old`, `EXAMPLE\svc-sql`},
}

func TestSlapdScanDuplicates(t *testing.T) {
	e := requireSlapd(t)
	cfg := e.startTLSConfig(t)
	cfg.PageSize = 100 // many pages
	d := dial(t, cfg)
	ctx := context.Background()
	var accounts, spns int
	seen := map[string]bool{}
	c, err := d.Scan(ctx, func(a *spn.Account) error {
		accounts++
		spns += len(a.SPNs)
		if seen[a.Name] {
			return fmt.Errorf("account %s delivered twice", a.Name)
		}
		seen[a.Name] = true
		return nil
	})
	if err != nil || !c.Complete {
		t.Fatalf("Scan: %v %+v", err, c)
	}
	// 8 fixture accounts with SPNs + 1200 bulk accounts (svc-reader and alice have none)
	if accounts != 1208 || spns != 4+3+3+2+2+2+2+1+2400 {
		t.Errorf("Scan saw %d accounts, %d SPNs", accounts, spns)
	}

	dups, comp, err := spn.Duplicates(ctx, d)
	if err != nil || !comp.Complete {
		t.Fatalf("Duplicates: %v %+v", err, comp)
	}
	got := map[string][]string{}
	for _, dup := range dups {
		o := append([]string(nil), dup.Owners...)
		sort.Strings(o)
		got[strings.ToLower(dup.SPN)] = o
	}
	if fmt.Sprint(got) != fmt.Sprint(fixtureDuplicates) {
		t.Errorf("Duplicates = %v\nwant %v", got, fixtureDuplicates)
	}
}

// scanCounter counts the passes over the directory: full scans and lean
// duplicate scans (FindDuplicates stays promoted, so it is a DuplicateFinder).
type scanCounter struct {
	*spn.LDAPDirectory
	scans, dupScans int
}

func (c *scanCounter) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	c.scans++
	return c.LDAPDirectory.Scan(ctx, fn)
}

func (c *scanCounter) FindDuplicates(ctx context.Context) ([]spn.Duplicate, spn.Completeness, error) {
	c.dupScans++
	return c.LDAPDirectory.FindDuplicates(ctx)
}

// TestSlapdAuditOneScan: AuditDirectory reads the directory once when that
// scan is complete, and its duplicates are exactly what the lean duplicate
// scan (spn.Duplicates) finds; a size-limited scan asks the lean scan too
// and stays incomplete.
func TestSlapdAuditOneScan(t *testing.T) {
	e := requireSlapd(t)
	cfg := e.startTLSConfig(t)
	cfg.PageSize = 100
	d := dial(t, cfg)
	ctx := context.Background()
	c := &scanCounter{LDAPDirectory: d}
	au, err := spn.AuditDirectory(ctx, c, spn.AuditOptions{})
	if err != nil || !au.Complete || !au.DuplicatesCompleteness.Complete {
		t.Fatalf("AuditDirectory: %v %+v %+v", err, au.Completeness, au.DuplicatesCompleteness)
	}
	if c.scans != 1 || c.dupScans != 0 {
		t.Errorf("AuditDirectory made %d scans and %d duplicate scans, want 1 and 0", c.scans, c.dupScans)
	}
	lean, comp, err := spn.Duplicates(ctx, d)
	if err != nil || !comp.Complete {
		t.Fatalf("Duplicates: %v %+v", err, comp)
	}
	if fmt.Sprintf("%q", au.Duplicates) != fmt.Sprintf("%q", lean) || len(lean) != len(fixtureDuplicates) {
		t.Errorf("audit duplicates %q\nlean duplicates  %q", au.Duplicates, lean)
	}
	if au.Accounts != 1208 {
		t.Errorf("audit saw %d accounts", au.Accounts)
	}

	cfg.PageSize = -1 // the server's 1000-entry limit cuts both scans short
	c = &scanCounter{LDAPDirectory: dial(t, cfg)}
	au, err = spn.AuditDirectory(ctx, c, spn.AuditOptions{})
	if !errors.Is(err, spn.ErrIncomplete) || au.Complete || au.DuplicatesCompleteness.Complete || au.DuplicatesCompleteness.Reason == "" {
		t.Errorf("size-limited audit: %v %+v %+v", err, au.Completeness, au.DuplicatesCompleteness)
	}
	if c.scans != 1 || c.dupScans != 1 {
		t.Errorf("size-limited audit made %d scans and %d duplicate scans, want 1 and 1", c.scans, c.dupScans)
	}
}

func TestSlapdSPNMappings(t *testing.T) {
	e := requireSlapd(t)
	d := dial(t, e.startTLSConfig(t))
	m, err := d.SPNMappings(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// the fixture adds wsman to the default list, so this proves the real
	// attribute was read
	if alias, ok := m.AliasFor("WSMAN"); !ok || alias != "host" {
		t.Errorf("AliasFor(WSMAN) = %q %v", alias, ok)
	}
	if alias, ok := m.AliasFor("http"); !ok || alias != "host" {
		t.Errorf("AliasFor(http) = %q %v", alias, ok)
	}
}

func TestSlapdTLS(t *testing.T) {
	e := requireSlapd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool := caPool(t, e.caFile)

	// ldaps:// with the CA: works
	d := dial(t, spn.LDAPConfig{URL: e.ldapsURL, RootCAs: pool, BindDN: e.bindDN, Password: spn.Secret(e.bindPW)})
	if ans, err := d.Owners(ctx, "HOST/web01"); err != nil || len(ans.Accounts) != 1 {
		t.Errorf("ldaps Owners: %v %v", names(ans.Accounts), err)
	}

	// not trusted: system roots only, via ldaps:// and via StartTLS
	for _, cfg := range []spn.LDAPConfig{
		{URL: e.ldapsURL, BindDN: e.bindDN, Password: spn.Secret(e.bindPW)},
		{URL: e.url, StartTLS: true, BindDN: e.bindDN, Password: spn.Secret(e.bindPW)},
	} {
		_, err := spn.DialLDAP(ctx, cfg)
		var ce *spn.CertificateError
		var ua x509.UnknownAuthorityError
		if !errors.As(err, &ce) || !errors.As(err, &ua) {
			t.Errorf("%s StartTLS=%v untrusted: got %T %v, want *CertificateError wrapping x509.UnknownAuthorityError", cfg.URL, cfg.StartTLS, err, err)
		}
	}

	// trusted CA but the wrong name
	_, err := spn.DialLDAP(ctx, spn.LDAPConfig{URL: e.ldapsURL, RootCAs: pool, ServerName: "dc1.example.test"})
	var he x509.HostnameError
	if !errors.As(err, &he) {
		t.Errorf("wrong server name: got %T %v, want x509.HostnameError", err, err)
	}

	// explicit opt-out of verification
	d2 := dial(t, spn.LDAPConfig{URL: e.ldapsURL, InsecureSkipVerify: true, BindDN: e.bindDN, Password: spn.Secret(e.bindPW)})
	if _, err := d2.Account(ctx, "alice"); err != nil {
		t.Errorf("InsecureSkipVerify: %v", err)
	}
}

func TestSlapdBindErrors(t *testing.T) {
	e := requireSlapd(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	const wrong = "Wr0ngPassw0rd-must-not-leak"
	cfg := e.startTLSConfig(t)
	cfg.Password = wrong
	_, err := spn.DialLDAP(ctx, cfg)
	var be *spn.BindError
	if !errors.As(err, &be) || !be.InvalidCredentials() || be.Mechanism != "simple" {
		t.Fatalf("bad password: got %T %v, want *BindError invalidCredentials", err, err)
	}
	if s := fmt.Sprintf("%v %+v %#v", err, cfg, cfg); strings.Contains(s, wrong) {
		t.Errorf("password leaked: %s", s)
	}

	// a simple bind without TLS is refused before anything is sent...
	plain := spn.LDAPConfig{URL: e.url, BindDN: e.bindDN, Password: spn.Secret(e.bindPW)}
	_, err = spn.DialLDAP(ctx, plain)
	if !errors.Is(err, spn.ErrInsecureSimpleBind) || !errors.As(err, &be) {
		t.Errorf("plain simple bind: got %v, want ErrInsecureSimpleBind", err)
	}
	// ...unless explicitly allowed
	plain.AllowInsecureSimpleBind = true
	d := dial(t, plain)
	if !strings.Contains(d.String(), "simple bind as "+e.bindDN) || strings.Contains(d.String(), e.bindPW) {
		t.Errorf("String() = %q", d.String())
	}

	// an unknown user is invalidCredentials too
	cfg = e.startTLSConfig(t)
	cfg.BindDN = "CN=nobody,CN=Users," + e.base
	_, err = spn.DialLDAP(ctx, cfg)
	if !errors.As(err, &be) || !be.InvalidCredentials() {
		t.Errorf("unknown bind DN: %v", err)
	}

	// nothing listening
	_, err = spn.DialLDAP(ctx, spn.LDAPConfig{URL: "ldap://127.0.0.1:1", Timeout: 2 * time.Second})
	var ce *spn.ConnectError
	if !errors.As(err, &ce) || ce.Op != "dial" {
		t.Errorf("closed port: %T %v", err, err)
	}
}

func TestSlapdSizeLimitNonPaged(t *testing.T) {
	e := requireSlapd(t)
	cfg := e.startTLSConfig(t)
	cfg.PageSize = -1 // no paging: the server's 1000-entry limit applies, as on AD
	d := dial(t, cfg)
	n := 0
	c, err := d.Scan(context.Background(), func(*spn.Account) error { n++; return nil })
	var le *spn.LDAPError
	if c.Complete || c.Reason == "" || !errors.Is(err, spn.ErrIncomplete) || !errors.As(err, &le) || le.Code != 4 {
		t.Fatalf("non-paged scan: %+v %v, want incomplete with sizeLimitExceeded", c, err)
	}
	if n != 1000 {
		t.Errorf("saw %d entries before the limit, want 1000", n)
	}
	dups, comp, err := spn.Duplicates(context.Background(), d)
	if comp.Complete || !errors.Is(err, spn.ErrIncomplete) {
		t.Errorf("Duplicates over a size-limited scan: %d dups %+v %v, want incomplete", len(dups), comp, err)
	}
}

func TestSlapdCancel(t *testing.T) {
	e := requireSlapd(t)
	cfg := e.startTLSConfig(t)
	cfg.PageSize = 50
	d := dial(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	n := 0
	c, err := d.Scan(ctx, func(*spn.Account) error {
		n++
		if n == 120 {
			cancel()
		}
		return nil
	})
	if c.Complete || !errors.Is(err, spn.ErrIncomplete) || !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled scan: %+v %v", c, err)
	}
	if n >= 1208 {
		t.Errorf("scan ran to the end (%d) despite cancel", n)
	}
	// the connection stays usable
	if ans, err := d.Owners(context.Background(), "HOST/web02"); err != nil || len(ans.Accounts) != 1 {
		t.Errorf("after cancel: %v %v", names(ans.Accounts), err)
	}

	// a callback error is returned unchanged and stops the scan
	stop := errors.New("enough")
	n = 0
	c, err = d.Scan(context.Background(), func(*spn.Account) error {
		n++
		if n == 3 {
			return stop
		}
		return nil
	})
	if err != stop || c.Complete || n != 3 {
		t.Errorf("callback error: %+v %v after %d", c, err, n)
	}
}

// TestSlapdConnectionDropped cuts the TCP stream in the middle of a scan with
// a proxy and expects an incomplete answer with a typed error.
func TestSlapdConnectionDropped(t *testing.T) {
	e := requireSlapd(t)
	target := strings.TrimPrefix(e.url, "ldap://")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var cut atomic.Bool
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := ln.Accept()
		if err != nil {
			return
		}
		s, err := net.Dial("tcp", target)
		if err != nil {
			c.Close()
			return
		}
		go func() { _, _ = io.Copy(s, c); s.Close() }()
		// pass ~60 kB of responses, then drop both sides
		_, _ = io.CopyN(c, s, 60_000)
		cut.Store(true)
		c.Close()
		s.Close()
	}()
	cfg := spn.LDAPConfig{URL: "ldap://" + ln.Addr().String(), BindDN: e.bindDN, Password: spn.Secret(e.bindPW),
		AllowInsecureSimpleBind: true, PageSize: 200, Timeout: 10 * time.Second}
	d := dial(t, cfg)
	n := 0
	c, err := d.Scan(context.Background(), func(*spn.Account) error { n++; return nil })
	var le *spn.LDAPError
	if c.Complete || !errors.Is(err, spn.ErrIncomplete) || !errors.As(err, &le) || le.Code != 0 {
		t.Fatalf("dropped connection: %+v %v (after %d entries)", c, err, n)
	}
	if !cut.Load() || n == 0 || n >= 1208 {
		t.Errorf("cut=%v after %d entries", cut.Load(), n)
	}
}

// TestSlapdStoppedMidScan stops the dedicated fault slapd during a scan (and
// starts it again afterwards).
func TestSlapdStoppedMidScan(t *testing.T) {
	e := requireSlapd(t)
	v := testenv.Require(t, "IISKERB_SLAPD_FAULT_URL", "IISKERB_SLAPD_FAULT_PIDFILE", "IISKERB_SLAPD_FAULT_START")
	cfg := spn.LDAPConfig{URL: v[0], BindDN: e.bindDN, Password: spn.Secret(e.bindPW), AllowInsecureSimpleBind: true,
		PageSize: 100, Timeout: 10 * time.Second}
	d := dial(t, cfg)
	t.Cleanup(func() {
		out, err := exec.Command("bash", v[2]).CombinedOutput()
		if err != nil {
			t.Errorf("restarting the fault slapd: %v %s", err, out)
		}
	})
	n := 0
	c, err := d.Scan(context.Background(), func(*spn.Account) error {
		n++
		if n == 150 {
			b, err := os.ReadFile(v[1])
			if err != nil {
				return err
			}
			pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
			if err != nil {
				return err
			}
			proc, err := os.FindProcess(pid)
			if err != nil {
				return err
			}
			if err := proc.Kill(); err != nil {
				return err
			}
			for i := 0; i < 200 && proc.Signal(syscall.Signal(0)) == nil; i++ {
				time.Sleep(10 * time.Millisecond)
			}
		}
		return nil
	})
	if c.Complete || !errors.Is(err, spn.ErrIncomplete) {
		t.Fatalf("server stopped mid-scan: %+v %v (after %d entries)", c, err, n)
	}
	if n >= 1208 {
		t.Errorf("scan saw everything (%d) although the server died", n)
	}
	t.Logf("stopped after %d entries: %v", n, err)
}
