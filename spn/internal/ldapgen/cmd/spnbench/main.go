// Command spnbench times spn.Duplicates over an LDAP directory (the paged,
// streaming spn.LDAPDirectory scan) and checks the result against a truth
// file written by spngen. -mode audit times spn.AuditDirectory (one full
// scan for duplicates, malformed and RC4-only holders) the same way; -mode
// scan times Scan alone. It prints one line of key=value figures.
//
//	spnbench -url ldap://127.0.0.1:23489 -bind-dn CN=... -password-env PW -truth truth.tsv
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/iiskerb/iiskerb/spn"
)

func main() {
	url := flag.String("url", "", "ldap:// URL of the benchmark slapd")
	bindDN := flag.String("bind-dn", "", "simple bind DN")
	pwEnv := flag.String("password-env", "BENCH_BIND_PW", "environment variable holding the bind password")
	truth := flag.String("truth", "", "truth file from spngen")
	page := flag.Int("page", 1000, "page size")
	accounts := flag.Int("accounts", 500000, "accounts in the directory (for per-entry figures in duplicates mode)")
	mode := flag.String("mode", "duplicates", "duplicates: spn.Duplicates (checked against -truth); audit: spn.AuditDirectory (duplicates checked against -truth); scan: Scan with every account attribute, counting only")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the scan to this file")
	memprofile := flag.String("memprofile", "", "write an allocation profile (every allocation sampled per 64 KiB) after the scan to this file")
	flag.Parse()
	if *memprofile != "" {
		runtime.MemProfileRate = 64 << 10
		defer func() {
			f, err := os.Create(*memprofile)
			if err == nil {
				err = pprof.Lookup("allocs").WriteTo(f, 0)
				f.Close()
			}
			if err != nil {
				fmt.Fprintln(os.Stderr, "spnbench:", err)
			}
		}()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "spnbench:", err)
			os.Exit(1)
		}
		defer pprof.StopCPUProfile()
	}
	if err := run(*url, *bindDN, os.Getenv(*pwEnv), *truth, *page, *mode, *accounts); err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "spnbench:", err)
		os.Exit(1)
	}
}

func run(url, bindDN, pw, truthPath string, page int, mode string, accounts int) error {
	ctx := context.Background()
	t0 := time.Now()
	d, err := spn.DialLDAP(ctx, spn.LDAPConfig{URL: url, BindDN: bindDN, Password: spn.Secret(pw),
		AllowInsecureSimpleBind: true, PageSize: page})
	if err != nil {
		return err
	}
	defer d.Close()
	var entries, spns int
	counting := &countingDir{Directory: d, entries: &entries, spns: &spns}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t1 := time.Now()
	var dups []spn.Duplicate
	var comp spn.Completeness
	switch mode {
	case "scan":
		comp, err = counting.Scan(ctx, func(*spn.Account) error { return nil })
	case "audit":
		var au *spn.Audit
		// the limits diagnose's SPN004 and SPN006 use (with none, every
		// account without msDS-SupportedEncryptionTypes becomes a verdict)
		au, err = spn.AuditDirectory(ctx, d, spn.AuditOptions{
			MalformedClasses: []string{"HTTP", "HTTPS", "WWW", "HOST"}, RC4Classes: []string{"HTTP", "HTTPS", "WWW"}})
		if au != nil {
			dups, comp = au.Duplicates, au.DuplicatesCompleteness
			entries, spns = au.Accounts, au.SPNs
			fmt.Printf("malformed=%d/%d rc4only=%d/%d+%d truncated=%v ", len(au.Malformed), au.MalformedCount,
				len(au.RC4Only), au.RC4OnlyCount, au.RC4OnlyAssumedCount, au.Truncated)
		}
	case "duplicates":
		dups, comp, err = spn.Duplicates(ctx, d)
	default:
		return fmt.Errorf("unknown -mode %q", mode)
	}
	elapsed := time.Since(t1)
	runtime.ReadMemStats(&after)
	if err != nil {
		return err
	}
	if mode == "scan" {
		fmt.Printf("go_scan_seconds=%.3f entries=%d spns=%d ns_per_entry=%.0f bytes_per_entry=%.0f allocs_per_entry=%.1f gc_cycles=%d\n",
			elapsed.Seconds(), entries, spns, float64(elapsed.Nanoseconds())/float64(entries),
			float64(after.TotalAlloc-before.TotalAlloc)/float64(entries), float64(after.Mallocs-before.Mallocs)/float64(entries),
			after.NumGC-before.NumGC)
		return nil
	}
	// spn.Duplicates uses the directory's own FindDuplicates, which has no
	// per-entry hook: per-entry figures use the known account count.
	if mode == "duplicates" {
		entries, spns = accounts, -1
	}
	if !comp.Complete {
		return fmt.Errorf("incomplete: %s", comp.Reason)
	}
	got := make([]string, 0, len(dups))
	for _, dp := range dups {
		o := append([]string(nil), dp.Owners...)
		sort.Strings(o)
		got = append(got, strings.ToLower(dp.SPN)+"\t"+strings.Join(o, ","))
	}
	sort.Strings(got)
	want, err := readLines(truthPath)
	if err != nil {
		return err
	}
	match := strings.Join(got, "\n") == strings.Join(want, "\n")
	alloc := after.TotalAlloc - before.TotalAlloc
	mallocs := after.Mallocs - before.Mallocs
	fmt.Printf("go_scan_seconds=%.3f dial_seconds=%.3f entries=%d spns=%d duplicates=%d truth=%d truth_match=%v ns_per_entry=%.0f bytes_per_entry=%.0f allocs_per_entry=%.1f gc_cycles=%d heap_inuse_mib=%.1f\n",
		elapsed.Seconds(), t1.Sub(t0).Seconds(), entries, spns, len(dups), len(want), match,
		float64(elapsed.Nanoseconds())/float64(entries), float64(alloc)/float64(entries), float64(mallocs)/float64(entries),
		after.NumGC-before.NumGC, float64(after.HeapInuse)/(1<<20))
	if !match {
		return fmt.Errorf("duplicate set differs from the truth file (%d found, %d expected)", len(got), len(want))
	}
	return nil
}

// countingDir counts what the scan delivers on its way to spn.Duplicates.
type countingDir struct {
	spn.Directory
	entries, spns *int
}

func (c *countingDir) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	return c.Directory.Scan(ctx, func(a *spn.Account) error {
		*c.entries++
		*c.spns += len(a.SPNs)
		return fn(a)
	})
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); l != "" {
			out = append(out, l)
		}
	}
	sort.Strings(out)
	return out, sc.Err()
}
