package spn

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/spn/internal/ldapgen"
)

// generatedEntries returns the SPN holders of an ldapgen directory (as the
// server's (servicePrincipalName=*) search returns them) and its duplicate
// truth lines.
func generatedEntries(t *testing.T, cfg ldapgen.Config) ([]fakeEntry, []string) {
	t.Helper()
	var ldif, truth bytes.Buffer
	if _, err := ldapgen.Write(&ldif, &truth, cfg); err != nil {
		t.Fatal(err)
	}
	var out []fakeEntry
	var cur *fakeEntry
	flush := func() {
		if cur == nil {
			return
		}
		for _, a := range cur.attrs {
			if strings.EqualFold(a[0], attrSPN) {
				out = append(out, *cur)
				break
			}
		}
		cur = nil
	}
	sc := bufio.NewScanner(&ldif)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			flush()
			continue
		}
		name, val, _ := strings.Cut(line, ": ")
		switch {
		case name == "dn":
			cur = &fakeEntry{dn: val}
		case len(cur.attrs) > 0 && cur.attrs[len(cur.attrs)-1][0] == name:
			cur.attrs[len(cur.attrs)-1] = append(cur.attrs[len(cur.attrs)-1], val)
		default:
			cur.attrs = append(cur.attrs, []string{name, val})
		}
	}
	flush()
	return out, strings.Split(strings.TrimSpace(truth.String()), "\n")
}

// scanOnly hides LDAPDirectory's DuplicateFinder, so Duplicates takes the
// generic path (a full Scan into the hash index of duplicates.go).
type scanOnly struct{ Directory }

func normDups(ds []Duplicate) []string {
	out := make([]string, 0, len(ds))
	for _, d := range ds {
		o := append([]string(nil), d.Owners...)
		sort.Strings(o)
		out = append(out, strings.ToLower(d.SPN)+"\t"+strings.Join(o, ","))
	}
	sort.Strings(out)
	return out
}

func scanAll(t *testing.T, d Directory) []Account {
	t.Helper()
	var out []Account
	c, err := d.Scan(context.Background(), func(a *Account) error {
		cp := *a
		cp.SPNs = append([]string(nil), a.SPNs...)
		out = append(out, cp)
		return nil
	})
	if err != nil || !c.Complete {
		t.Fatalf("Scan: %v %+v", err, c)
	}
	return out
}

// TestGeneratedDirectoryLeanMatchesGoLDAP: on a generated directory served
// page by page, the lean reader (ldapStream + ber.go) and go-ldap's decoding
// give the same accounts, the same audit, and the duplicate scan gives
// exactly the generator's truth, as does the slow generic path.
func TestGeneratedDirectoryLeanMatchesGoLDAP(t *testing.T) {
	entries, truth := generatedEntries(t, ldapgen.Config{Accounts: 6000, Duplicates: 300, Seed: 7,
		Suffix: "DC=fake,DC=test", Domain: "FAKE"})
	// edge cases: no sAMAccountName (the CN names the owner), a non-ASCII
	// duplicate in two spellings, attribute names in other cases, an SPN
	// listed twice on one account, an account with a second SPN attribute
	entries = append(entries,
		fakeEntry{dn: "CN=nosam,OU=Servers,DC=fake,DC=test", attrs: [][]string{{"objectClass", "top", "user"},
			{"servicePrincipalName", "HTTP/ÄPFEL.fake.test", "HTTP/nosam", "http/NOSAM"}}},
		fakeEntry{dn: "CN=other,OU=Servers,DC=fake,DC=test", attrs: [][]string{{"SAMACCOUNTNAME", "other"},
			{"SERVICEPRINCIPALNAME", "http/äpfel.fake.test"}, {"msds-supportedencryptiontypes", "0"}, {"OBJECTCLASS", "computer"}}},
	)
	truth = append(truth, "http/äpfel.fake.test\tFAKE\\nosam,FAKE\\other")
	sort.Strings(truth)
	f := newFakeLDAPNetBIOS(t, "FAKE", nil)
	f.paged = entries
	dial := func(lean bool) *LDAPDirectory {
		d, err := DialLDAP(t.Context(), LDAPConfig{URL: "ldap://" + f.ln.Addr().String(), Timeout: 10 * time.Second, PageSize: 500})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
		if d.Domain() != "FAKE" {
			t.Fatalf("domain %q", d.Domain())
		}
		if !lean {
			d.stream = nil // go-ldap decodes every entry
		}
		return d
	}
	lean, slow := dial(true), dial(false)
	ctx := context.Background()

	t0 := time.Now()
	a := scanAll(t, lean)
	t.Logf("lean scan %v", time.Since(t0))
	t0 = time.Now()
	b := scanAll(t, slow)
	t.Logf("go-ldap scan %v", time.Since(t0))
	if len(a) != len(entries) {
		t.Fatalf("lean scan: %d accounts, want %d", len(a), len(entries))
	}
	if !reflect.DeepEqual(a, b) {
		for i := range a {
			if i < len(b) && !reflect.DeepEqual(a[i], b[i]) {
				t.Fatalf("account %d: lean %+v\ngo-ldap %+v", i, a[i], b[i])
			}
		}
		t.Fatalf("lean %d accounts, go-ldap %d", len(a), len(b))
	}

	for _, tc := range []struct {
		name string
		dir  Directory
	}{{"lean duplicate scan", lean}, {"go-ldap duplicate scan", slow}, {"generic scan of the lean reader", scanOnly{lean}},
		{"generic scan of go-ldap", scanOnly{slow}}} {
		dups, c, err := Duplicates(ctx, tc.dir)
		if err != nil || !c.Complete {
			t.Fatalf("%s: %v %+v", tc.name, err, c)
		}
		if got := normDups(dups); !reflect.DeepEqual(got, truth) {
			t.Errorf("%s: %d duplicates, want the %d of the truth\ngot  %q\nwant %q", tc.name, len(got), len(truth), got[:min(5, len(got))], truth[:5])
		}
	}

	opts := AuditOptions{MalformedClasses: []string{"HTTP", "HTTPS", "WWW", "HOST"}, RC4Classes: []string{"HTTP", "HTTPS", "WWW"}}
	auLean, err := AuditDirectory(ctx, lean, opts)
	if err != nil {
		t.Fatal(err)
	}
	auSlow, err := AuditDirectory(ctx, slow, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(auLean, auSlow) {
		t.Errorf("audits differ:\nlean    %+v\ngo-ldap %+v", auLean, auSlow)
	}
	if got := normDups(auLean.Duplicates); !reflect.DeepEqual(got, truth) {
		t.Errorf("audit: %d duplicates, want %d", len(got), len(truth))
	}
	// ldapgen: service accounts (2 in 5) hold HTTP SPNs; 1 in 7 of them has
	// msDS-SupportedEncryptionTypes 4 (RC4 only), the others none.
	if auLean.RC4OnlyCount == 0 || auLean.RC4OnlyAssumedCount <= DefaultAuditLimit || !auLean.Truncated ||
		len(auLean.RC4Only) != min(auLean.RC4OnlyCount, DefaultAuditLimit)+DefaultAuditLimit {
		t.Errorf("audit lists: %d RC4-only verdicts kept of %d + %d assumed, truncated %v",
			len(auLean.RC4Only), auLean.RC4OnlyCount, auLean.RC4OnlyAssumedCount, auLean.Truncated)
	}
	all, err := AuditDirectory(ctx, lean, AuditOptions{MalformedClasses: opts.MalformedClasses, RC4Classes: opts.RC4Classes, Limit: -1})
	if err != nil {
		t.Fatal(err)
	}
	if all.Truncated || len(all.RC4Only) != auLean.RC4OnlyCount+auLean.RC4OnlyAssumedCount || all.MalformedCount != auLean.MalformedCount {
		t.Errorf("unlimited audit: %d RC4-only verdicts, want %d+%d; truncated %v", len(all.RC4Only), auLean.RC4OnlyCount, auLean.RC4OnlyAssumedCount, all.Truncated)
	}
	for i, v := range auLean.RC4Only {
		if w := all.RC4Only; !reflect.DeepEqual(v, findVerdict(w, v.Account)) {
			t.Fatalf("kept verdict %d differs from the unlimited audit's: %+v", i, v)
		}
	}
}

func findVerdict(vs []Verdict, account string) Verdict {
	for _, v := range vs {
		if v.Account == account {
			return v
		}
	}
	return Verdict{}
}

// TestLeanReaderConcurrentSearches: searches running at the same time on
// one directory (a lean scan, a second scan that cannot divert, duplicate
// scans, Owners lookups) each get exactly their own entries.
func TestLeanReaderConcurrentSearches(t *testing.T) {
	entries, truth := generatedEntries(t, ldapgen.Config{Accounts: 3000, Duplicates: 100, Seed: 3,
		Suffix: "DC=fake,DC=test", Domain: "FAKE"})
	f := newFakeLDAPNetBIOS(t, "FAKE", nil)
	f.paged = entries
	d, err := DialLDAP(t.Context(), LDAPConfig{URL: "ldap://" + f.ln.Addr().String(), Timeout: 20 * time.Second, PageSize: 200})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 3; i++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			dups, c, err := Duplicates(ctx, d)
			if err != nil || !c.Complete {
				errs <- fmt.Errorf("Duplicates: %v %+v", err, c)
				return
			}
			if got := normDups(dups); !reflect.DeepEqual(got, truth) {
				errs <- fmt.Errorf("Duplicates: %d, want %d", len(got), len(truth))
			}
		}()
		go func() {
			defer wg.Done()
			n := 0
			c, err := d.Scan(ctx, func(a *Account) error {
				if len(a.SPNs) == 0 || a.Name == "" {
					return fmt.Errorf("account %+v", a)
				}
				n++
				return nil
			})
			if err != nil || !c.Complete || n != len(entries) {
				errs <- fmt.Errorf("Scan: %d accounts of %d: %v %+v", n, len(entries), err, c)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
