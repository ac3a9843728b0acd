package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/diagnose"
	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/spn"
)

// fakeDir is a directory over memory whose Scan takes delay per account.
type fakeDir struct {
	*spn.MemoryDirectory
	delay time.Duration
}

func (f *fakeDir) Describe() string { return "fake directory" }

func (f *fakeDir) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	return f.MemoryDirectory.Scan(ctx, func(a *spn.Account) error {
		time.Sleep(f.delay)
		return fn(a)
	})
}

// fakeFinder adds FindDuplicates: the answer a directory would trust
// (here deliberately different from what a scan finds, so a test can tell
// which path was taken).
type fakeFinder struct{ *fakeDir }

func (f *fakeFinder) FindDuplicates(ctx context.Context) ([]spn.Duplicate, spn.Completeness, error) {
	time.Sleep(f.delay)
	return []spn.Duplicate{{SPN: "HTTP/finder", Owners: []string{"A", "B"}}}, spn.Completeness{Complete: true}, nil
}

// fakeScanner adds ScanDuplicates with a progress callback per account, as
// the LDAP directory has, and like it answers FindDuplicates with
// ScanDuplicates(ctx, nil).
type fakeScanner struct{ *fakeFinder }

func (f *fakeScanner) FindDuplicates(ctx context.Context) ([]spn.Duplicate, spn.Completeness, error) {
	return f.ScanDuplicates(ctx, nil)
}

func (f *fakeScanner) ScanDuplicates(ctx context.Context, progress func(accounts, spns int)) ([]spn.Duplicate, spn.Completeness, error) {
	var accounts, spns int
	_, err := f.fakeDir.Scan(ctx, func(a *spn.Account) error {
		accounts++
		spns += len(a.SPNs)
		if progress != nil {
			progress(accounts, spns)
		}
		return nil
	})
	if progress != nil {
		progress(accounts, spns)
	}
	return []spn.Duplicate{{SPN: "HTTP/scanner", Owners: []string{"A", "B"}}}, spn.Completeness{Complete: true}, err
}

// fakeMappings adds SPNMappings.
type fakeMappings struct{ spn.Directory }

func (f fakeMappings) SPNMappings(ctx context.Context) (spn.SPNMappings, error) {
	return spn.ParseSPNMappings([]string{"host=http,cifs"})
}

type fakeScannerMappings struct {
	*fakeScanner
	fakeMappings
}

// Resolve the Directory methods to the scanner (fakeMappings embeds a
// Directory too).
func (f fakeScannerMappings) Owners(ctx context.Context, s string) (spn.Answer, error) {
	return f.fakeScanner.Owners(ctx, s)
}
func (f fakeScannerMappings) Account(ctx context.Context, s string) (spn.Answer, error) {
	return f.fakeScanner.Account(ctx, s)
}
func (f fakeScannerMappings) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	return f.fakeScanner.Scan(ctx, fn)
}
func (f fakeScannerMappings) Describe() string { return f.fakeScanner.Describe() }

type fakeFinderMappings struct {
	*fakeFinder
	fakeMappings
}

func (f fakeFinderMappings) Owners(ctx context.Context, s string) (spn.Answer, error) {
	return f.fakeFinder.Owners(ctx, s)
}
func (f fakeFinderMappings) Account(ctx context.Context, s string) (spn.Answer, error) {
	return f.fakeFinder.Account(ctx, s)
}
func (f fakeFinderMappings) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	return f.fakeFinder.Scan(ctx, fn)
}
func (f fakeFinderMappings) Describe() string { return f.fakeFinder.Describe() }

func fakeAccounts(n int) []spn.Account {
	var accts []spn.Account
	for i := range n {
		accts = append(accts, spn.Account{Name: fmt.Sprintf(`EXAMPLE\svc%d`, i), SAMAccountName: fmt.Sprintf("svc%d", i),
			Kind: spn.User, SPNs: []string{fmt.Sprintf("HTTP/web%d.example.test", i), "HTTP/shared.example.test"}})
	}
	return accts
}

// fakeDirs returns one directory per combination of optional interfaces.
func fakeDirs(t *testing.T, n int, delay time.Duration) map[string]spn.Directory {
	t.Helper()
	out, err := spn.ParseSetspn("setspn.txt", strings.NewReader(
		"Registered ServicePrincipalNames for CN=svc1,CN=Users,DC=example,DC=test:\n\tHTTP/web.example.test\n"))
	if err != nil {
		t.Fatal(err)
	}
	plain := &fakeDir{MemoryDirectory: spn.NewMemoryDirectory(fakeAccounts(n), true), delay: delay}
	finder := &fakeFinder{plain}
	scanner := &fakeScanner{finder}
	return map[string]spn.Directory{
		"plain":            plain,
		"finder":           finder,
		"scanner":          scanner,
		"mappings":         fakeMappings{plain},
		"finder+mappings":  fakeFinderMappings{finder, fakeMappings{plain}},
		"scanner+mappings": fakeScannerMappings{scanner, fakeMappings{plain}},
		"memory":           spn.NewMemoryDirectory(fakeAccounts(n), true),
		"offline":          spn.NewOfflineDirectory(spn.OfflineInput{Setspn: []*spn.SetspnOutput{out}, Domain: "EXAMPLE"}),
	}
}

// optionalInterfaces reports which of the interfaces the checks (and the
// wrapper) look for dir implements.
func optionalInterfaces(dir spn.Directory) map[string]bool {
	_, f := dir.(spn.DuplicateFinder)
	_, s := dir.(dupScanner)
	_, m := dir.(spn.MappingSource)
	return map[string]bool{"DuplicateFinder": f, "ScanDuplicates": s, "MappingSource": m}
}

func TestWrapDirectoryKeepsInterfaces(t *testing.T) {
	ctx := context.Background()
	p := newProgress(io.Discard, time.Hour, true)
	for name, dir := range fakeDirs(t, 5, 0) {
		w := wrapDirectory(dir, &scanProgress{p: p, delay: time.Hour})
		if got, want := optionalInterfaces(w), optionalInterfaces(dir); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: wrapper implements %v, the directory %v", name, got, want)
		}
		str := dir.Describe()
		if s, ok := dir.(fmt.Stringer); ok {
			str = s.String()
		}
		if w.Describe() != dir.Describe() || fmt.Sprint(w) != str {
			t.Errorf("%s: Describe %q / %v, want %q / %q", name, w.Describe(), w, dir.Describe(), str)
		}
		for _, q := range []func(spn.Directory) (spn.Answer, error){
			func(d spn.Directory) (spn.Answer, error) { return d.Owners(ctx, "http/SHARED.example.test") },
			func(d spn.Directory) (spn.Answer, error) { return d.Account(ctx, `EXAMPLE\svc1`) },
		} {
			a1, e1 := q(w)
			a2, e2 := q(dir)
			if !reflect.DeepEqual(a1, a2) || fmt.Sprint(e1) != fmt.Sprint(e2) {
				t.Errorf("%s: wrapper answered %+v %v, directory %+v %v", name, a1, e1, a2, e2)
			}
		}
		// The audit the SPN checks run takes the same path and gives the
		// same result through the wrapper.
		au1, e1 := spn.AuditDirectory(ctx, w, spn.AuditOptions{})
		au2, e2 := spn.AuditDirectory(ctx, dir, spn.AuditOptions{})
		if !reflect.DeepEqual(au1, au2) || fmt.Sprint(e1) != fmt.Sprint(e2) {
			t.Errorf("%s: audit through the wrapper %+v %v, without %+v %v", name, au1, e1, au2, e2)
		}
		if ms, ok := dir.(spn.MappingSource); ok {
			m1, _ := ms.SPNMappings(ctx)
			m2, err := w.(spn.MappingSource).SPNMappings(ctx)
			if err != nil || !reflect.DeepEqual(m1, m2) {
				t.Errorf("%s: SPNMappings %v %v, want %v", name, m2, err, m1)
			}
		}
		if s, ok := w.(dupScanner); ok {
			var calls, last int
			dups, _, err := s.ScanDuplicates(ctx, func(accounts, spns int) { calls++; last = spns })
			if err != nil || len(dups) != 1 || dups[0].SPN != "HTTP/scanner" || calls == 0 || last != 10 {
				t.Errorf("%s: ScanDuplicates %v %v, callback %d calls, last %d SPNs", name, dups, err, calls, last)
			}
		}
	}
}

// Every method of the LDAP directory is either forwarded by the wrapper or
// known not to matter to the checks. A new method fails this test until
// someone decides which.
func TestWrapDirectoryCoversLDAPMethods(t *testing.T) {
	notForwarded := map[string]string{
		"Close":  "live.go closes the directory itself",
		"BaseDN": "not used by diagnose",
		"Domain": "not used by diagnose",
	}
	w := reflect.TypeOf(wrapDirectory(&spn.LDAPDirectory{}, &scanProgress{}))
	ldapType := reflect.TypeOf(&spn.LDAPDirectory{})
	for i := range ldapType.NumMethod() {
		m := ldapType.Method(i).Name
		if _, ok := w.MethodByName(m); !ok && notForwarded[m] == "" {
			t.Errorf("(*spn.LDAPDirectory).%s is neither forwarded by the progress wrapper (%v) nor listed as irrelevant", m, w)
		}
	}
	if w.String() != "*main.progressDirFSM" {
		t.Errorf("LDAP directory wrapped as %v", w)
	}
}

var (
	progressLineRE = regexp.MustCompile(`\rdiagnose: directory scan of fake directory: \d+ entries \(\d+/s\), \d+ SPNs seen, \d+\.\d s`)
	dupLineRE      = regexp.MustCompile(`\rdiagnose: duplicate scan of fake directory: \d+ entries \(\d+/s\), \d+ SPNs seen, \d+\.\d s`)
)

func TestScanProgressOutput(t *testing.T) {
	ctx := context.Background()
	// The audit reads the directory once (its own scan finds the
	// duplicates): one directory-scan progress line and one summary.
	var out syncBuffer
	p := newProgress(&out, 5*time.Millisecond, true)
	p.scanDelay = 30 * time.Millisecond
	w := p.wrapDirectory(fakeDirs(t, 40, 3*time.Millisecond)["scanner"])
	p.start()
	au, err := spn.AuditDirectory(ctx, w, spn.AuditOptions{})
	p.finish()
	if err != nil || au.Accounts != 40 {
		t.Fatalf("audit %d accounts, %v", au.Accounts, err)
	}
	s := out.String()
	for _, re := range []*regexp.Regexp{progressLineRE,
		regexp.MustCompile(`\rdiagnose: directory scan of fake directory done: 40 entries, 80 SPNs in \d+\.\d s \(\d+ entries/s\)\x1b\[K\n$`),
	} {
		if !re.MatchString(s) {
			t.Errorf("no match for %q in %q", re, s)
		}
	}
	if strings.Contains(s, "duplicate scan") {
		t.Errorf("a complete audit scan should not start a second (duplicate) scan: %q", s)
	}

	// spn.Duplicates takes the lean duplicate path, with its own progress.
	var outd syncBuffer
	p = newProgress(&outd, 5*time.Millisecond, true)
	p.scanDelay = 30 * time.Millisecond
	w = p.wrapDirectory(fakeDirs(t, 40, 3*time.Millisecond)["scanner"])
	p.start()
	if _, c, err := spn.Duplicates(ctx, w); err != nil || !c.Complete {
		t.Fatalf("duplicates: %+v, %v", c, err)
	}
	p.finish()
	s = outd.String()
	for _, re := range []*regexp.Regexp{dupLineRE,
		regexp.MustCompile(`diagnose: duplicate scan of fake directory done: 40 entries, 80 SPNs in \d+\.\d s \(\d+ entries/s\)(\x1b\[K)?\n$`),
	} {
		if !re.MatchString(s) {
			t.Errorf("no match for %q in %q", re, s)
		}
	}
	if !strings.HasSuffix(s, "\n") {
		t.Errorf("output does not end its line: %q", s)
	}

	// A scan shorter than the delay gets its summary line only; a
	// directory without ScanDuplicates shows the time alone.
	var out2 syncBuffer
	p = newProgress(&out2, time.Millisecond, true)
	p.scanDelay = time.Hour
	w = p.wrapDirectory(fakeDirs(t, 3, time.Millisecond)["finder"])
	p.start()
	if _, err := spn.AuditDirectory(ctx, w, spn.AuditOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := spn.Duplicates(ctx, w); err != nil {
		t.Fatal(err)
	}
	p.finish()
	want := regexp.MustCompile(`^diagnose: directory scan of fake directory done: 3 entries, 6 SPNs in \d+\.\d s \(\d+ entries/s\)\n` +
		`diagnose: duplicate scan of fake directory done in \d+\.\d s\n$`)
	if s := out2.String(); !want.MatchString(s) {
		t.Errorf("quick scans: %q", s)
	}

	// A scan cut short says so.
	var out3 syncBuffer
	p = newProgress(&out3, time.Hour, true)
	w = wrapDirectory(fakeDirs(t, 3, 0)["plain"], &scanProgress{p: p, delay: time.Hour})
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := w.Scan(cctx, func(*spn.Account) error { return nil }); err == nil {
		t.Fatal("cancelled scan succeeded")
	}
	if s := out3.String(); !strings.Contains(s, "directory scan of fake directory incomplete: 0 entries") {
		t.Errorf("cancelled scan: %q", s)
	}
}

// The real slapd server: -progress adds the scan lines on stderr and
// changes nothing in the report; a slow consumer sees the progress line.
func TestLiveLDAPProgress(t *testing.T) {
	v := testenv.Require(t, "IISKERB_SLAPD_URL", "IISKERB_SLAPD_CA", "IISKERB_SLAPD_BIND_DN", "IISKERB_SLAPD_BIND_PW")
	t.Setenv("TEST_LDAP_PW", v[3])
	args := []string{"-ldap", v[0], "-ldap-starttls", "-ldap-ca", v[1], "-ldap-bind", v[2],
		"-ldap-password-env", "TEST_LDAP_PW", "-format", "json"}
	code, out, errOut := runArgs(t, args...)
	pcode, pout, perrOut := runArgs(t, append([]string{"-progress"}, args...)...)
	if code == exitFailed || pcode != code {
		t.Fatalf("exit %d without -progress (%s), %d with (%s)", code, errOut, pcode, perrOut)
	}
	// the reports differ only in when they were made (runs can straddle a second)
	generated := regexp.MustCompile(`"generated_at": "[^"]*"`)
	if generated.ReplaceAllString(pout, "") != generated.ReplaceAllString(out, "") {
		t.Errorf("-progress changed the report:\n%s\nwithout:\n%s", pout, out)
	}
	var rep diagnose.Report
	if err := json.Unmarshal([]byte(pout), &rep); err != nil {
		t.Fatal(err)
	}
	if r, ok := rep.Result("SPN003"); !ok || r.Status == diagnose.StatusSkipped || r.Status == diagnose.StatusError {
		t.Errorf("SPN003 did not run on the directory: %+v", r)
	}
	scope := regexp.QuoteMeta(v[0]) + ` \(domain [^)]+\)`
	// One pass: the SPN audit's scan also finds the duplicates, so a
	// complete scan is followed by no second (duplicate) scan.
	if re := regexp.MustCompile(`(?m)^diagnose: directory scan of ` + scope + ` done: [1-9]\d* entries, [1-9]\d* SPNs in \d+\.\d s \(\d+ entries/s\)$`); !re.MatchString(perrOut) {
		t.Errorf("stderr with -progress lacks %q:\n%s", re, perrOut)
	}
	if n := strings.Count(perrOut, "scan of "); n != 1 || strings.Contains(perrOut, "duplicate scan") {
		t.Errorf("want exactly one directory scan on stderr, got %d:\n%s", n, perrOut)
	}
	if strings.Contains(errOut, "scan of") || strings.Contains(pout, "diagnose:") {
		t.Errorf("scan lines without -progress or on stdout:\n%s\n%s", errOut, pout)
	}

	ctx := context.Background()
	pem, err := os.ReadFile(v[1])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	dir, err := spn.DialLDAP(ctx, spn.LDAPConfig{URL: v[0], StartTLS: true, RootCAs: pool, BindDN: v[2], Password: spn.Secret(v[3])})
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	var buf syncBuffer
	p := newProgress(&buf, 2*time.Millisecond, true)
	p.scanDelay = 0
	ev := &diagnose.Evidence{Directory: dir}
	p.wrap(ev)
	if _, ok := ev.Directory.(*spn.LDAPDirectory); ok {
		t.Fatal("the LDAP directory was not wrapped")
	}
	if got, want := optionalInterfaces(ev.Directory), optionalInterfaces(dir); !reflect.DeepEqual(got, want) {
		t.Errorf("wrapper implements %v, the LDAP directory %v", got, want)
	}
	p.start()
	var accounts, spns int
	_, err = ev.Directory.Scan(ctx, func(a *spn.Account) error {
		accounts++
		spns += len(a.SPNs)
		if accounts <= 20 {
			time.Sleep(10 * time.Millisecond)
		}
		return nil
	})
	wrappedDups, _, werr := spn.Duplicates(ctx, ev.Directory)
	p.finish()
	dups, _, derr := spn.Duplicates(ctx, dir)
	if err != nil || werr != nil || derr != nil || accounts == 0 {
		t.Fatalf("scan %d accounts %v, duplicates %v / %v", accounts, err, werr, derr)
	}
	if !reflect.DeepEqual(wrappedDups, dups) || len(dups) == 0 {
		t.Errorf("duplicates through the wrapper %v, without %v", wrappedDups, dups)
	}
	s := buf.String()
	for _, re := range []*regexp.Regexp{
		regexp.MustCompile(`\rdiagnose: directory scan of ` + scope + `: [1-9]\d* entries \(\d+/s\), [1-9]\d* SPNs seen, \d+\.\d s\x1b\[K`),
		regexp.MustCompile(fmt.Sprintf(`diagnose: directory scan of %s done: %d entries, %d SPNs in`, scope, accounts, spns)),
		regexp.MustCompile(fmt.Sprintf(`diagnose: duplicate scan of %s done: %d entries, %d SPNs in`, scope, accounts, spns)),
	} {
		if !re.MatchString(s) {
			t.Errorf("progress output lacks %q:\n%q", re, s)
		}
	}
}
