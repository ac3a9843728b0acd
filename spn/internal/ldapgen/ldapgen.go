// Package ldapgen generates a large, deterministic AD-like directory in LDIF
// for the LDAP duplicate-scan benchmark (scripts/bench-spn.sh), together
// with the exact set of duplicate SPNs it contains (the truth file).
//
// Every generated SPN embeds its account's unique name, so SPNs are unique by
// construction; duplicates exist only where the generator copies an SPN of
// one account onto other accounts (sometimes with different letter case),
// and those copies are recorded. The same Config always yields the same
// bytes.
package ldapgen

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
)

// Config sizes the generated directory.
type Config struct {
	Accounts   int    // number of accounts (computers and service users)
	Duplicates int    // number of duplicated SPNs to inject
	Seed       uint64 // PRNG seed
	Suffix     string // base DN, e.g. "DC=bench,DC=test"
	Domain     string // NetBIOS domain name, e.g. "BENCH"
}

// Stats counts what Write produced.
type Stats struct {
	Accounts, SPNs, Duplicates int
}

// account i is a computer unless i%5 is 3 or 4 (60% computers).
func isComputer(i int) bool { return i%5 < 3 }

func sam(i int) string {
	if isComputer(i) {
		return fmt.Sprintf("SRV%07d$", i)
	}
	return fmt.Sprintf("svc%07d", i)
}

// baseSPNs returns account i's own SPNs (unique to it). r must be the
// account's own generator so the list is a pure function of (seed, i).
func baseSPNs(i int, seed uint64) []string {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	if isComputer(i) {
		h := fmt.Sprintf("srv%07d", i)
		f := h + ".corp.bench.test"
		out := []string{"HOST/" + h, "HOST/" + f, "RestrictedKrbHost/" + h, "RestrictedKrbHost/" + f}
		if r.IntN(5) == 0 {
			out = append(out, "WSMAN/"+h, "WSMAN/"+f)
		}
		return out
	}
	n := 3 + r.IntN(7) // 3..9
	out := make([]string, 0, n)
	for k := 0; k < n; k++ {
		switch k % 3 {
		case 0:
			out = append(out, fmt.Sprintf("HTTP/app%07d-%d.corp.bench.test", i, k))
		case 1:
			out = append(out, fmt.Sprintf("MSSQLSvc/sql%07d-%d.corp.bench.test:%d", i, k, 1433+k))
		default:
			out = append(out, fmt.Sprintf("HTTP/app%07d-%d", i, k))
		}
	}
	return out
}

// mixCase changes the letter case of some letters of s.
func mixCase(s string, r *rand.Rand) string {
	b := []byte(s)
	for i, c := range b {
		if r.IntN(3) == 0 {
			switch {
			case c >= 'a' && c <= 'z':
				b[i] = c - 32
			case c >= 'A' && c <= 'Z':
				b[i] = c + 32
			}
		}
	}
	return string(b)
}

// Write writes the LDIF (containers, crossRef, accounts) to ldif and the
// duplicate truth to truth: one line per duplicated SPN, "spn<TAB>owner,owner"
// with the SPN lower-case and owners (DOMAIN\sam) sorted, lines sorted.
func Write(ldif, truth io.Writer, cfg Config) (Stats, error) {
	var st Stats
	if cfg.Accounts < 2 {
		return st, fmt.Errorf("ldapgen: need at least 2 accounts")
	}
	r := rand.New(rand.NewPCG(cfg.Seed, 0xd0b1e))
	// extra[j] are SPNs copied onto account j; owners maps the lower-case
	// SPN to its owners.
	extra := map[int][]string{}
	owners := map[string][]int{}
	for d := 0; d < cfg.Duplicates; d++ {
		src := r.IntN(cfg.Accounts)
		spns := baseSPNs(src, cfg.Seed)
		s := spns[r.IntN(len(spns))]
		key := strings.ToLower(s)
		if _, dup := owners[key]; dup {
			d-- // already duplicated: pick another
			continue
		}
		copies := 1
		if r.IntN(10) == 0 {
			copies = 2
		}
		owners[key] = []int{src}
		for c := 0; c < copies; c++ {
			dst := r.IntN(cfg.Accounts)
			for contains(owners[key], dst) {
				dst = r.IntN(cfg.Accounts)
			}
			v := s
			if r.IntN(2) == 0 {
				v = mixCase(s, r)
			}
			extra[dst] = append(extra[dst], v)
			owners[key] = append(owners[key], dst)
		}
	}

	w := bufio.NewWriterSize(ldif, 1<<20)
	fmt.Fprintf(w, "dn: %s\nobjectClass: top\nobjectClass: domainDNS\ndc: %s\n\n", cfg.Suffix, dcValue(cfg.Suffix))
	for _, c := range []string{"CN=Configuration", "CN=Partitions,CN=Configuration"} {
		fmt.Fprintf(w, "dn: %s,%s\nobjectClass: top\nobjectClass: container\ncn: %s\n\n", c, cfg.Suffix, strings.TrimPrefix(strings.SplitN(c, ",", 2)[0], "CN="))
	}
	fmt.Fprintf(w, "dn: CN=%s,CN=Partitions,CN=Configuration,%s\nobjectClass: top\nobjectClass: crossRef\ncn: %s\nnCName: %s\nnETBIOSName: %s\n\n",
		cfg.Domain, cfg.Suffix, cfg.Domain, cfg.Suffix, cfg.Domain)
	for _, ou := range []string{"Servers", "Service Accounts"} {
		fmt.Fprintf(w, "dn: OU=%s,%s\nobjectClass: top\nobjectClass: organizationalUnit\nou: %s\n\n", ou, cfg.Suffix, ou)
	}
	for i := 0; i < cfg.Accounts; i++ {
		s := sam(i)
		cn := strings.TrimSuffix(s, "$")
		if isComputer(i) {
			fmt.Fprintf(w, "dn: CN=%s,OU=Servers,%s\nobjectClass: top\nobjectClass: user\nobjectClass: computer\ncn: %s\nsAMAccountName: %s\nuserAccountControl: 4096\nmsDS-SupportedEncryptionTypes: 28\n",
				cn, cfg.Suffix, cn, s)
		} else {
			uac := 512
			if i%97 == 0 {
				uac = 514
			}
			fmt.Fprintf(w, "dn: CN=%s,OU=Service Accounts,%s\nobjectClass: top\nobjectClass: user\ncn: %s\nsAMAccountName: %s\nuserAccountControl: %d\n",
				cn, cfg.Suffix, cn, s, uac)
			if i%7 == 0 {
				fmt.Fprintf(w, "msDS-SupportedEncryptionTypes: 4\n")
			}
		}
		for _, v := range baseSPNs(i, cfg.Seed) {
			fmt.Fprintf(w, "servicePrincipalName: %s\n", v)
			st.SPNs++
		}
		for _, v := range extra[i] {
			fmt.Fprintf(w, "servicePrincipalName: %s\n", v)
			st.SPNs++
		}
		w.WriteString("\n")
		st.Accounts++
	}
	if err := w.Flush(); err != nil {
		return st, err
	}

	lines := make([]string, 0, len(owners))
	for key, ids := range owners {
		ns := make([]string, len(ids))
		for k, id := range ids {
			ns[k] = cfg.Domain + `\` + sam(id)
		}
		sort.Strings(ns)
		lines = append(lines, key+"\t"+strings.Join(ns, ","))
	}
	sort.Strings(lines)
	st.Duplicates = len(lines)
	tw := bufio.NewWriter(truth)
	for _, l := range lines {
		tw.WriteString(l + "\n")
	}
	return st, tw.Flush()
}

func contains(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// dcValue returns the value of the first RDN of a DC= suffix.
func dcValue(suffix string) string {
	first := strings.SplitN(suffix, ",", 2)[0]
	_, v, _ := strings.Cut(first, "=")
	return v
}
