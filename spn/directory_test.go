package spn

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func testAccounts() []Account {
	return []Account{
		{Name: `CORP\WEB01$`, SAMAccountName: "WEB01$", DN: "CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com", Kind: Computer,
			SPNs: []string{"HOST/WEB01", "HOST/web01.corp.example.com"}, EncTypes: 0x1c, EncTypesSet: true},
		{Name: `CORP\svc-web`, SAMAccountName: "svc-web", DN: "CN=svc-web,OU=Service Accounts,DC=corp,DC=example,DC=com", Kind: User,
			SPNs: []string{"HTTP/portal.corp.example.com", "HTTP/portal"}},
		{Name: `CORP\WEB02$`, SAMAccountName: "WEB02$", Kind: Computer,
			SPNs: []string{"http/PORTAL.corp.example.com", "HOST/WEB02"}, EncTypes: 0x18, EncTypesSet: true},
		{Name: `CORP\nospn`, SAMAccountName: "nospn", Kind: User},
	}
}

func TestMemoryDirectory(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDirectory(testAccounts(), true)
	ans, err := d.Owners(ctx, "HTTP/Portal.Corp.Example.Com")
	if err != nil || !ans.Complete || len(ans.Accounts) != 2 || ans.Accounts[0].Name != `CORP\svc-web` || ans.Accounts[1].Name != `CORP\WEB02$` {
		t.Fatalf("Owners = %+v, %v", ans, err)
	}
	ans.Accounts[0].SPNs[0] = "changed"
	if again, _ := d.Owners(ctx, "http/portal"); again.Accounts[0].SPNs[0] != "HTTP/portal.corp.example.com" {
		t.Error("Owners returned shared slices")
	}
	for _, name := range []string{`CORP\WEB01$`, "web01$", "WEB01", "CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com", `corp\web01`} {
		if ans, _ := d.Account(ctx, name); len(ans.Accounts) != 1 || ans.Accounts[0].SAMAccountName != "WEB01$" || !ans.Complete {
			t.Errorf("Account(%q) = %+v", name, ans)
		}
	}
	if ans, _ := d.Account(ctx, `OTHER\WEB01$`); len(ans.Accounts) != 0 {
		t.Errorf("other domain matched: %+v", ans)
	}
	n := 0
	comp, err := d.Scan(ctx, func(a *Account) error { n++; return nil })
	if err != nil || !comp.Complete || n != 3 {
		t.Errorf("Scan: %d accounts, %+v, %v", n, comp, err)
	}
	if d.Describe() != "in-memory directory (4 accounts)" {
		t.Errorf("Describe = %q", d.Describe())
	}

	partial := NewMemoryDirectory(testAccounts(), false)
	if ans, _ := partial.Owners(ctx, "HTTP/none"); ans.Complete || ans.Reason == "" {
		t.Errorf("partial directory claims completeness: %+v", ans)
	}
}

func TestDuplicates(t *testing.T) {
	ctx := context.Background()
	d := NewMemoryDirectory(testAccounts(), true)
	dups, comp, err := Duplicates(ctx, d)
	want := []Duplicate{{SPN: "http/PORTAL.corp.example.com", Owners: []string{`CORP\svc-web`, `CORP\WEB02$`}}}
	if err != nil || !comp.Complete || !reflect.DeepEqual(dups, want) {
		t.Fatalf("Duplicates = %+v %+v %v", dups, comp, err)
	}

	// A partial directory: the duplicates found are returned, with an
	// incomplete marker and an error - never a bare "none".
	d = NewMemoryDirectory(testAccounts()[:2], false)
	dups, comp, err = Duplicates(ctx, d)
	if len(dups) != 0 || comp.Complete || !errors.Is(err, ErrIncomplete) {
		t.Errorf("partial: %+v %+v %v", dups, comp, err)
	}
}

// failingDir is a Directory whose Scan breaks after n accounts, like a
// dropped LDAP connection.
type failingDir struct {
	*MemoryDirectory
	n int
}

func (f failingDir) Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error) {
	i := 0
	stop := errors.New("connection reset by peer")
	_, err := f.MemoryDirectory.Scan(ctx, func(a *Account) error {
		if i == f.n {
			return stop
		}
		i++
		return fn(a)
	})
	return Completeness{Reason: "connection lost"}, err
}

func TestDuplicatesCutShort(t *testing.T) {
	accts := testAccounts()
	accts = append(accts, Account{Name: `CORP\x`, SPNs: []string{"HOST/WEB02"}})
	d := failingDir{NewMemoryDirectory(accts, true), 3}
	dups, comp, err := Duplicates(context.Background(), d)
	var ie *IncompleteError
	if comp.Complete || !errors.As(err, &ie) || !strings.Contains(err.Error(), "connection reset") {
		t.Fatalf("cut short: %+v %v", comp, err)
	}
	if len(dups) != 1 || dups[0].SPN != "http/PORTAL.corp.example.com" {
		t.Errorf("partial duplicates = %+v", dups)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, comp, err = Duplicates(ctx, NewMemoryDirectory(testAccounts(), true))
	if comp.Complete || !errors.Is(err, ErrIncomplete) || !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %+v %v", comp, err)
	}
}

func TestDuplicatesManyAccounts(t *testing.T) {
	var accts []Account
	for i := range 2000 {
		accts = append(accts, Account{Name: fmt.Sprintf(`CORP\a%d`, i), SPNs: []string{fmt.Sprintf("HTTP/h%d", i), fmt.Sprintf("HTTP/h%d", i/2), fmt.Sprintf("HOST/a%d", i)}})
	}
	dups, comp, err := Duplicates(context.Background(), NewMemoryDirectory(accts, true))
	if err != nil || !comp.Complete {
		t.Fatal(err)
	}
	// HTTP/hK for K < 1000 is held by aK (own) plus a2K and a2K+1 (K = i/2);
	// for K = 0 the owners are a0 and a1.
	if len(dups) != 1000 {
		t.Fatalf("%d duplicates", len(dups))
	}
	for _, d := range dups {
		if d.SPN == "HTTP/h0" && !reflect.DeepEqual(d.Owners, []string{`CORP\a0`, `CORP\a1`}) {
			t.Errorf("h0 owners = %v", d.Owners)
		}
		if d.SPN == "HTTP/h7" && !reflect.DeepEqual(d.Owners, []string{`CORP\a7`, `CORP\a14`, `CORP\a15`}) {
			t.Errorf("h7 owners = %v", d.Owners)
		}
	}
}

func BenchmarkDuplicates(b *testing.B) {
	var accts []Account
	for i := range 20000 {
		accts = append(accts, Account{Name: fmt.Sprintf(`CORP\a%d`, i), SPNs: []string{
			fmt.Sprintf("HOST/A%d", i), fmt.Sprintf("HOST/a%d.corp.example.com", i), fmt.Sprintf("HTTP/a%d.corp.example.com", i),
			fmt.Sprintf("TERMSRV/A%d", i), fmt.Sprintf("WSMAN/a%d.corp.example.com", i)}})
	}
	d := NewMemoryDirectory(accts, true)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Duplicates(context.Background(), d); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(accts)), "ns/account")
}

func TestIncompleteError(t *testing.T) {
	cause := errors.New("size limit exceeded")
	err := fmt.Errorf("wrapped: %w", &IncompleteError{Reason: "scan stopped after 1000 entries", Err: cause})
	if !errors.Is(err, ErrIncomplete) || !errors.Is(err, cause) {
		t.Error("IncompleteError does not match")
	}
	if got := (&IncompleteError{Reason: "r", Err: cause}).Error(); got != "spn: incomplete answer: r: size limit exceeded" {
		t.Errorf("Error() = %q", got)
	}
}

func TestAuditDirectory(t *testing.T) {
	ctx := context.Background()
	accts := testAccounts()
	accts[1].SPNs = append(accts[1].SPNs, "HTTP/portal.corp.example.com.", "MSSQLSvc/sql:x")
	au, err := AuditDirectory(ctx, NewMemoryDirectory(accts, true), AuditOptions{MalformedClasses: []string{"http", "HOST"}, RC4Classes: []string{"HTTP"}})
	if err != nil || !au.Complete || !au.DuplicatesCompleteness.Complete {
		t.Fatal(au, err)
	}
	if au.Accounts != 3 || au.SPNs != 8 || len(au.Duplicates) != 1 {
		t.Errorf("audit = %+v", au)
	}
	if len(au.Malformed) != 1 || au.Malformed[0].SPN != "HTTP/portal.corp.example.com." || au.Malformed[0].Fix[1] != `setspn -S HTTP/portal.corp.example.com CORP\svc-web` {
		t.Errorf("malformed = %+v", au.Malformed)
	}
	// svc-web has no msDS-SupportedEncryptionTypes: classic default RC4.
	if len(au.RC4Only) != 1 || au.RC4Only[0].Account != `CORP\svc-web` {
		t.Errorf("rc4 = %+v", au.RC4Only)
	}
	all, _ := AuditDirectory(ctx, NewMemoryDirectory(accts, true), AuditOptions{})
	if len(all.Malformed) != 2 {
		t.Errorf("all classes: %+v", all.Malformed)
	}

	// Offline: a finished setspn -X proves the duplicate set while the scan
	// is partial.
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{parseSetspnFile(t, "setspn-L.txt"), parseSetspnFile(t, "setspn-X.txt")}})
	au, err = AuditDirectory(ctx, d, AuditOptions{MalformedClasses: []string{"HTTP"}})
	if !errors.Is(err, ErrIncomplete) || au.Complete || !au.DuplicatesCompleteness.Complete || len(au.Duplicates) != 2 || len(au.Malformed) != 1 {
		t.Errorf("offline audit = %+v, %v", au, err)
	}
	_, err = AuditDirectory(ctx, failingDir{NewMemoryDirectory(accts, true), 1}, AuditOptions{})
	if !errors.Is(err, ErrIncomplete) {
		t.Errorf("cut short: %v", err)
	}
}

// askedFinder is a DuplicateFinder that counts the times it is asked.
type askedFinder struct {
	Directory
	asked int
}

func (f *askedFinder) FindDuplicates(context.Context) ([]Duplicate, Completeness, error) {
	f.asked++
	return []Duplicate{{SPN: "HTTP/from-finder", Owners: []string{`C\a`, `C\b`}}}, Completeness{Complete: true}, nil
}

// TestAuditDirectoryFinder: a complete scan answers the duplicate question
// itself (one pass); only an incomplete one asks the DuplicateFinder, whose
// answer replaces the scan's while the scan's error and Completeness stay.
func TestAuditDirectoryFinder(t *testing.T) {
	ctx := context.Background()
	f := &askedFinder{Directory: NewMemoryDirectory(testAccounts(), true)}
	au, err := AuditDirectory(ctx, f, AuditOptions{})
	if err != nil || f.asked != 0 || !au.DuplicatesCompleteness.Complete || len(au.Duplicates) != 1 || au.Duplicates[0].SPN == "HTTP/from-finder" {
		t.Errorf("complete scan: asked %d, %+v, %v", f.asked, au, err)
	}
	for _, dir := range []Directory{NewMemoryDirectory(testAccounts(), false), failingDir{NewMemoryDirectory(testAccounts(), true), 1}} {
		f = &askedFinder{Directory: dir}
		au, err = AuditDirectory(ctx, f, AuditOptions{})
		if !errors.Is(err, ErrIncomplete) || au.Complete || f.asked != 1 || !au.DuplicatesCompleteness.Complete ||
			len(au.Duplicates) != 1 || au.Duplicates[0].SPN != "HTTP/from-finder" {
			t.Errorf("incomplete scan of %T: asked %d, %+v, %v", dir, f.asked, au, err)
		}
	}
}

// genDir streams synthetic accounts without holding them, like an LDAP
// scan: n accounts with 5 SPNs each, every 1000th SPN set duplicated.
type genDir struct{ n int }

func (g genDir) Owners(context.Context, string) (Answer, error)  { return Answer{}, nil }
func (g genDir) Account(context.Context, string) (Answer, error) { return Answer{}, nil }
func (g genDir) Describe() string                                { return "generator" }
func (g genDir) Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error) {
	a := Account{SPNs: make([]string, 0, 5)}
	for i := range g.n {
		a.Name = fmt.Sprintf(`CORP\host%07d$`, i)
		h := i
		if i%1000 == 1 {
			h = i - 1 // duplicates the previous account's SPNs
		}
		a.SPNs = append(a.SPNs[:0],
			fmt.Sprintf("HOST/HOST%07d", h), fmt.Sprintf("HOST/host%07d.corp.example.com", h),
			fmt.Sprintf("RestrictedKrbHost/HOST%07d", i), fmt.Sprintf("TERMSRV/host%07d.corp.example.com", i),
			fmt.Sprintf("WSMAN/host%07d.corp.example.com", i))
		if err := fn(&a); err != nil {
			return Completeness{}, err
		}
	}
	return Completeness{Complete: true}, nil
}

// BenchmarkDuplicatesStreaming scans 500,000 generated accounts (2.5M SPNs)
// and reports the heap the duplicate index holds at the end.
func BenchmarkDuplicatesStreaming(b *testing.B) {
	const n = 500000
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		var idx *dupIndex
		_, err := genDir{n}.Scan(context.Background(), func(a *Account) error {
			if idx == nil {
				idx = newDupIndex()
			}
			idx.add(a)
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		dups := idx.result()
		if len(dups) != 2*(n/1000) {
			b.Fatalf("%d duplicates", len(dups))
		}
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-index")
	}
}

// TestDupIndexCollision drives the 64-bit key collision path directly: two
// different SPNs whose first hash word is equal must stay apart.
func TestDupIndexCollision(t *testing.T) {
	x := newDupIndex()
	x.add(&Account{Name: `C\a`, SPNs: []string{"HTTP/x"}})
	x.add(&Account{Name: `C\b`, SPNs: []string{"HTTP/y"}})
	var h1 uint64
	for k := range x.first {
		h1 = k
		break
	}
	v := x.first[h1]
	other := spnHash{h1: h1, h2: uint32(v>>32) + 1}
	x.collide(other, 0, "HTTP/collider") // owner a
	x.collide(other, 0, "HTTP/collider") // same owner again: no duplicate
	if d := x.result(); len(d) != 0 {
		t.Fatalf("single-owner collision reported: %+v", d)
	}
	x.collide(other, 1, "HTTP/COLLIDER") // owner b
	d := x.result()
	if len(d) != 1 || d[0].SPN != "HTTP/collider" || !reflect.DeepEqual(d[0].Owners, []string{`C\a`, `C\b`}) {
		t.Fatalf("collision duplicates = %+v", d)
	}
	// The same account listed twice (two ids, one name) is not a duplicate.
	y := newDupIndex()
	y.add(&Account{Name: `C\a`, SPNs: []string{"HTTP/x"}})
	y.add(&Account{Name: `c\A`, SPNs: []string{"http/X"}})
	if d := y.result(); len(d) != 0 {
		t.Errorf("same account twice: %+v", d)
	}
}
