package spn

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
)

// randomAccounts returns n accounts with the shapes the packed form must
// keep exactly: computers whose DN is "CN=<sam without $>,<OU>", users with
// other RDNs and escaped commas, names with and without a domain, SPNs
// repeated on other accounts in other letter cases, the same SPN twice on
// one account, non-ASCII SPNs, empty SPN lists, many parent OUs.
func randomAccounts(r *rand.Rand, n int) []Account {
	classes := []string{"HOST", "HTTP", "RestrictedKrbHost", "MSSQLSvc", "WSMAN", "http"}
	var all []Account
	for i := range n {
		a := Account{Kind: AccountKind(r.IntN(5))}
		ou := fmt.Sprintf("OU=Unit%d,DC=corp,DC=example,DC=com", r.IntN(7))
		switch r.IntN(4) {
		case 0:
			a.SAMAccountName = fmt.Sprintf("WEB%03d$", i)
			a.DN = "CN=" + strings.TrimSuffix(a.SAMAccountName, "$") + "," + ou
		case 1:
			a.SAMAccountName = fmt.Sprintf("svc_%d", i)
			a.DN = fmt.Sprintf(`CN=Service\, number %d,%s`, i, ou)
		case 2:
			a.SAMAccountName = fmt.Sprintf("App%d", i)
			a.DN = fmt.Sprintf("CN=app%d,%s", i, ou) // RDN differs from the name's case
		default:
			a.SAMAccountName = fmt.Sprintf("Ünïcode%d", i)
			a.DN = fmt.Sprintf("CN=Ünïcode%d,CN=Users,DC=corp,DC=example,DC=com", i)
		}
		if r.IntN(2) == 0 {
			a.Name = "CORP\\" + a.SAMAccountName
		} else {
			a.Name = a.SAMAccountName
		}
		a.Disabled = r.IntN(7) == 0
		if r.IntN(3) > 0 {
			a.EncTypes, a.EncTypesSet = EncTypes(r.IntN(32)), true
		}
		host := strings.ToLower(strings.TrimSuffix(a.SAMAccountName, "$"))
		for range r.IntN(6) {
			c := classes[r.IntN(len(classes))]
			s := c + "/" + host
			if r.IntN(2) == 0 {
				s += ".corp.example.com"
			}
			if r.IntN(4) == 0 {
				s += fmt.Sprintf(":%d", 1000+r.IntN(3))
			}
			a.SPNs = append(a.SPNs, s)
		}
		if len(a.SPNs) > 0 && r.IntN(8) == 0 {
			a.SPNs = append(a.SPNs, strings.ToUpper(a.SPNs[0])) // the same SPN twice
		}
		if len(all) > 0 && r.IntN(4) == 0 {
			// another account's SPN, perhaps in another case: a duplicate
			o := all[r.IntN(len(all))]
			if len(o.SPNs) > 0 {
				s := o.SPNs[r.IntN(len(o.SPNs))]
				if r.IntN(2) == 0 {
					s = strings.ToUpper(s)
				}
				a.SPNs = append(a.SPNs, s)
			}
		}
		all = append(all, a)
	}
	return all
}

// writeLDIF renders accounts as an ldifde export.
func writeLDIF(accounts []Account) string {
	var b strings.Builder
	val := func(attr, v string) {
		if !utf8.ValidString(v) || strings.IndexFunc(v, func(r rune) bool { return r >= 0x80 }) >= 0 {
			fmt.Fprintf(&b, "%s:: %s\n", attr, base64.StdEncoding.EncodeToString([]byte(v)))
			return
		}
		fmt.Fprintf(&b, "%s: %s\n", attr, v)
	}
	for _, a := range accounts {
		val("dn", a.DN)
		b.WriteString("objectClass: top\n")
		switch a.Kind {
		case User:
			b.WriteString("objectClass: user\n")
		case Computer:
			b.WriteString("objectClass: user\nobjectClass: computer\n")
		case ManagedServiceAccount:
			b.WriteString("objectClass: computer\nobjectClass: msDS-ManagedServiceAccount\n")
		case GroupManagedServiceAccount:
			b.WriteString("objectClass: computer\nobjectClass: msDS-GroupManagedServiceAccount\n")
		}
		val("sAMAccountName", a.SAMAccountName)
		uac := 512
		if a.Disabled {
			uac |= 2
		}
		fmt.Fprintf(&b, "userAccountControl: %d\n", uac)
		if a.EncTypesSet {
			fmt.Fprintf(&b, "msDS-SupportedEncryptionTypes: %d\n", a.EncTypes)
		}
		for _, s := range a.SPNs {
			val("servicePrincipalName", s)
		}
		b.WriteString("\n")
	}
	return b.String()
}

// sameAnswers compares what two directories answer about accounts: the
// owners of every SPN (and of absent ones), every account by each of its
// names, the scan, and the duplicates.
func sameAnswers(t *testing.T, label string, got, want Directory, accounts []Account) {
	t.Helper()
	ctx := context.Background()
	var queries []string
	for _, a := range accounts {
		for _, s := range a.SPNs {
			queries = append(queries, s, strings.ToLower(s), strings.ToUpper(s))
		}
	}
	queries = append(queries, "HTTP/absent.corp.example.com", "", "HOST/")
	for _, q := range queries {
		g, err1 := got.Owners(ctx, q)
		w, err2 := want.Owners(ctx, q)
		if err1 != nil || err2 != nil || !reflect.DeepEqual(names(g.Accounts), names(w.Accounts)) || !reflect.DeepEqual(g.Accounts, w.Accounts) {
			t.Fatalf("%s: Owners(%q) = %v, %v; want %v, %v", label, q, names(g.Accounts), err1, names(w.Accounts), err2)
		}
	}
	var lookups []string
	for _, a := range accounts {
		lookups = append(lookups, a.Name, a.SAMAccountName, a.DN, strings.ToUpper(a.DN), strings.TrimSuffix(a.SAMAccountName, "$"), "OTHER\\"+a.SAMAccountName)
	}
	for _, q := range lookups {
		g, _ := got.Account(ctx, q)
		w, _ := want.Account(ctx, q)
		if !reflect.DeepEqual(g.Accounts, w.Accounts) {
			t.Fatalf("%s: Account(%q) = %v; want %v", label, q, names(g.Accounts), names(w.Accounts))
		}
	}
	scan := func(d Directory) []Account {
		var out []Account
		if _, err := d.Scan(ctx, func(a *Account) error {
			out = append(out, cloneAccount(a))
			return nil
		}); err != nil {
			t.Fatalf("%s: scan: %v", label, err)
		}
		return out
	}
	if g, w := scan(got), scan(want); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: scans differ: %d vs %d accounts", label, len(g), len(w))
	}
	gd, _, err1 := Duplicates(ctx, got)
	wd, _, err2 := Duplicates(ctx, want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: duplicates: %v, %v", label, err1, err2)
	}
	norm := func(ds []Duplicate) []string {
		var out []string
		for _, d := range ds {
			o := slices.Clone(d.Owners)
			slices.Sort(o)
			out = append(out, strings.ToLower(d.SPN)+" "+strings.Join(o, ","))
		}
		slices.Sort(out)
		return out
	}
	if g, w := norm(gd), norm(wd); !reflect.DeepEqual(g, w) {
		t.Fatalf("%s: duplicates\n got %q\nwant %q", label, g, w)
	}
}

func names(as []Account) []string {
	var out []string
	for _, a := range as {
		out = append(out, displayName(&a))
	}
	return out
}

// The packed directory answers exactly as an in-memory one over the same
// accounts, also when every key shares one of a few hashes (mask) and when
// every account is merged from two exports (which repacks them all).
func TestOfflinePackedMatchesMemory(t *testing.T) {
	for seed := range uint64(4) {
		r := rand.New(rand.NewPCG(seed, 7))
		text := writeLDIF(randomAccounts(r, 40+int(seed)*30))
		parsed, err := ParseLDIF("x.ldf", strings.NewReader(text))
		if err != nil {
			t.Fatal(err)
		}
		accounts := parsed.Accounts
		want := NewMemoryDirectory(accounts, true)
		for _, mask := range []uint32{^uint32(0), 7, 0} {
			x, err := ParseLDIF("x.ldf", strings.NewReader(text))
			if err != nil {
				t.Fatal(err)
			}
			b := newOfflineBuilder("", mask)
			b.AddLDIF(x)
			sameAnswers(t, fmt.Sprintf("seed %d mask %#x parsed", seed, mask), b.Directory(true), want, accounts)

			if mask == 7 {
				// Full dictionaries: classes, suffixes and parent DNs
				// stay in the records.
				b = newOfflineBuilder("", mask)
				for i := range max(maxClasses, maxSuffixes, maxParents) {
					b.d.dict.classes.id(fmt.Sprint("class", i), maxClasses)
					b.d.dict.suffixes.id(fmt.Sprint(".suffix", i), maxSuffixes)
					b.d.dict.parents.id(fmt.Sprint("OU=x", i), maxParents)
				}
				b.AddLDIF(x)
				sameAnswers(t, fmt.Sprintf("seed %d mask %#x full dictionaries", seed, mask), b.Directory(true), want, accounts)
			}

			b = newOfflineBuilder("", mask)
			if _, err := b.ReadLDIF(context.Background(), "x.ldf", strings.NewReader(text)); err != nil {
				t.Fatal(err)
			}
			if _, err := b.ReadLDIF(context.Background(), "again.ldf", strings.NewReader(text)); err != nil {
				t.Fatal(err)
			}
			sameAnswers(t, fmt.Sprintf("seed %d mask %#x streamed twice", seed, mask), b.Directory(true), want, accounts)
		}
	}
}

// An export that fails half-way leaves no trace: not its new accounts, not
// the SPNs it merged into accounts that setspn output named, not its
// index entries.
func TestReadLDIFRollsBackOnError(t *testing.T) {
	setspn := "Registered ServicePrincipalNames for CN=WEB001,OU=Unit1,DC=corp,DC=example,DC=com:\n\tHTTP/web001\n"
	r := rand.New(rand.NewPCG(42, 42))
	accounts := randomAccounts(r, 80)
	accounts[1].DN = "CN=WEB001,OU=Unit1,DC=corp,DC=example,DC=com" // merges into the setspn account
	accounts[1].SPNs = append(accounts[1].SPNs, "HTTP/only-in-the-bad-file")
	good := writeLDIF(accounts[40:])
	bad := writeLDIF(accounts[:40]) + "dn: CN=broken,DC=corp,DC=example,DC=com\nno colon on this line\n"

	build := func(withBad bool) (*OfflineDirectory, error) {
		o, err := ParseSetspn("setspn.txt", strings.NewReader(setspn))
		if err != nil {
			t.Fatal(err)
		}
		b := newOfflineBuilder("CORP", 3)
		b.AddSetspn(o)
		var badErr error
		if withBad {
			_, badErr = b.ReadLDIF(context.Background(), "bad.ldf", strings.NewReader(bad))
		}
		if _, err := b.ReadLDIF(context.Background(), "good.ldf", strings.NewReader(good)); err != nil {
			t.Fatal(err)
		}
		return b.Directory(true), badErr
	}
	want, _ := build(false)
	got, err := build(true)
	var pe *ParseError
	if !errors.As(err, &pe) || pe.File != "bad.ldf" || pe.Line == 0 {
		t.Fatalf("error = %v, want a positioned *ParseError for bad.ldf", err)
	}
	if ans, _ := got.Owners(context.Background(), "HTTP/only-in-the-bad-file"); len(ans.Accounts) != 0 {
		t.Fatalf("the failed file's SPN is still there: %v", names(ans.Accounts))
	}
	sameAnswers(t, "after rollback", got, want, accounts)
}

// Streaming an export gives the accounts ParseLDIF gives, including the
// EncTypesUnknown decision that needs the whole file: the attribute first
// appears after entries without it.
func TestReadLDIFMatchesParseLDIF(t *testing.T) {
	late := "dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a\nservicePrincipalName: HTTP/a\n\n" +
		"dn: CN=b,DC=x\nobjectClass: user\nsAMAccountName: b\nmsDS-SupportedEncryptionTypes: 4\nservicePrincipalName: HTTP/b\n\n"
	never := "dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a\nservicePrincipalName: HTTP/a\n\n"
	inputs := map[string]string{"late.ldf": late, "never.ldf": never}
	files, _ := filepath.Glob("testdata/*.ldf")
	more, _ := filepath.Glob("testdata/realworld/*.ldf")
	for _, f := range append(files, more...) {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		inputs[f] = string(data)
	}
	for name, text := range inputs {
		x, err := ParseLDIF(name, strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want := NewMemoryDirectory(x.Accounts, true)
		b := NewOfflineBuilder("")
		y, err := b.ReadLDIF(context.Background(), name, strings.NewReader(text))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if y.EncTypesSeen != x.EncTypesSeen || y.Incomplete != x.Incomplete || !reflect.DeepEqual(y.Warnings, x.Warnings) || y.Accounts != nil {
			t.Fatalf("%s: summary %+v, want %+v without accounts", name, y, x)
		}
		sameAnswers(t, name, b.Directory(true), want, x.Accounts)
	}
}

// setspn -X output that names one account as the owner of many duplicate
// SPNs merges them one at a time: that stays linear.
func TestOfflineManyMergesIntoOneAccount(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("Checking domain DC=corp,DC=example,DC=com\n")
	const n = 20000
	for i := range n {
		fmt.Fprintf(&sb, "HTTP/site%d is registered on these accounts:\n\tCN=WEB01,OU=Servers,DC=corp,DC=example,DC=com\n\tCN=WEB02,OU=Servers,DC=corp,DC=example,DC=com\n\n", i)
	}
	fmt.Fprintf(&sb, "found %d group of duplicate SPNs.\n", n)
	o, err := ParseSetspn("x.txt", strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	d := NewOfflineDirectory(OfflineInput{Setspn: []*SetspnOutput{o}})
	dups, comp, err := d.FindDuplicates(context.Background())
	if err != nil || !comp.Complete || len(dups) != n {
		t.Fatalf("%d duplicates, %+v, %v; want %d, complete", len(dups), comp, err, n)
	}
	ans, _ := d.Account(context.Background(), "CN=WEB01,OU=Servers,DC=corp,DC=example,DC=com")
	if len(ans.Accounts) != 1 || len(ans.Accounts[0].SPNs) != n {
		t.Fatalf("WEB01 holds %v", names(ans.Accounts))
	}
}

// The packed directory is safe for concurrent use (run with -race): its
// lookups share no scratch space, and the name index is built once.
func TestOfflinePackedConcurrent(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	accounts := randomAccounts(r, 200)
	b := NewOfflineBuilder("CORP")
	if _, err := b.ReadLDIF(context.Background(), "x.ldf", strings.NewReader(writeLDIF(accounts))); err != nil {
		t.Fatal(err)
	}
	d := b.Directory(true)
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := g; i < len(accounts); i += 4 {
				a := accounts[i]
				if ans, err := d.Account(ctx, a.DN); err != nil || len(ans.Accounts) != 1 {
					t.Errorf("Account(%q) = %v, %v", a.DN, names(ans.Accounts), err)
				}
				for _, s := range a.SPNs {
					if ans, err := d.Owners(ctx, s); err != nil || len(ans.Accounts) == 0 {
						t.Errorf("Owners(%q) = %v, %v", s, names(ans.Accounts), err)
					}
				}
			}
			if _, _, err := d.FindDuplicates(ctx); err != nil {
				t.Error(err)
			}
			if _, err := d.Scan(ctx, func(*Account) error { return nil }); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}

// Merges that add one SPN to many earlier accounts, last account first,
// list each holder once (and stay linear: the index does not search its
// lists on insert).
func TestOfflineReverseMerges(t *testing.T) {
	const n = 50000
	var first, second strings.Builder
	for i := range n {
		fmt.Fprintf(&first, "dn: CN=H%d,DC=x\nsAMAccountName: H%d\nservicePrincipalName: HOST/h%d\n\n", i, i, i)
		j := n - 1 - i
		fmt.Fprintf(&second, "dn: CN=H%d,DC=x\nsAMAccountName: H%d\nservicePrincipalName: HTTP/shared\nservicePrincipalName: http/SHARED\n\n", j, j)
	}
	b := NewOfflineBuilder("")
	for _, f := range []string{first.String(), second.String()} {
		if _, err := b.ReadLDIF(context.Background(), "x.ldf", strings.NewReader(f)); err != nil {
			t.Fatal(err)
		}
	}
	d := b.Directory(true)
	ans, _ := d.Owners(context.Background(), "HTTP/Shared")
	if len(ans.Accounts) != n || ans.Accounts[0].SAMAccountName != "H0" || ans.Accounts[n-1].SAMAccountName != fmt.Sprint("H", n-1) {
		t.Fatalf("%d owners", len(ans.Accounts))
	}
	dups, _, err := d.FindDuplicates(context.Background())
	if err != nil || len(dups) != 1 || len(dups[0].Owners) != n {
		t.Fatalf("duplicates %d, %v", len(dups), err)
	}
}

// The scan-based duplicate index (LDAP directories) lists an SPN held by
// many accounts once per account, in linear time, and still takes two
// entries with one name for one account.
func TestDupIndexLongOwnerList(t *testing.T) {
	const n = 50000
	var accounts []Account
	for i := range n {
		accounts = append(accounts, Account{Name: fmt.Sprint("CORP\\H", i), SPNs: []string{"HTTP/shared"}})
	}
	accounts = append(accounts, Account{Name: "corp\\h7", SPNs: []string{"http/SHARED"}}) // H7 again
	dups, _, err := Duplicates(context.Background(), NewMemoryDirectory(accounts, true))
	if err != nil || len(dups) != 1 || len(dups[0].Owners) != n {
		t.Fatalf("%d duplicates, %v", len(dups), err)
	}
}

// The LDAP duplicate scan's index takes an SPN on many entries in linear
// time, each entry once even when it lists the SPN twice.
func TestSPNIndexLongOwnerList(t *testing.T) {
	x := newSPNIndex()
	const n = 50000
	for i := range n {
		owner := x.addOwner(fmt.Appendf(nil, "CORP\\H%d", i))
		for _, s := range []string{"HTTP/shared", "http/SHARED"} {
			x.add(foldKey(nil, []byte(s)), owner, []byte(s))
		}
	}
	if dups := x.result(); len(dups) != 1 || len(dups[0].Owners) != n {
		t.Fatalf("%d duplicates", len(dups))
	}
}
