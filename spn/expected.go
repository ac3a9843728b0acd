package spn

import (
	"net/netip"
	"sort"
	"strings"

	"github.com/iiskerb/iiskerb/internal/jsonorder"
)

// HostNames are the names clients use to reach a web server. In JSON,
// CNAMEs is a list of {alias, canonical} pairs sorted by alias (host names
// are data, not keys).
type HostNames struct {
	// NetBIOS is the computer's short name ("WEB01").
	NetBIOS string `json:"netbios,omitempty"`
	// FQDN is the computer's DNS name ("web01.corp.example.com"); its domain
	// suffix is also used to qualify dotless binding host names.
	FQDN string `json:"fqdn,omitempty"`
	// Bindings are the host headers of the site's bindings ("portal",
	// "portal.corp.example.com"). Empty and "*" entries and IP addresses are
	// ignored: clients do not build Kerberos SPNs from IP addresses by default.
	Bindings []string `json:"bindings,omitempty"`
	// CNAMEs maps an alias to its canonical name as DNS resolves it
	// ("portal.corp.example.com" -> "web01.corp.example.com"), compared
	// case-insensitively. Clients request the SPN of the canonical name, so an
	// alias contributes that instead of its own.
	CNAMEs map[string]string `json:"cnames,omitempty"` // JSON: [{alias, canonical}]
	// OnlyBindings says the site answers only its binding host names (every
	// http/https binding has a host header), so clients cannot reach it by
	// the computer's names: NetBIOS and FQDN then only qualify dotless
	// binding names and produce no expectation of their own.
	OnlyBindings bool `json:"only_bindings,omitempty"`
}

// CNAME is one DNS alias and the canonical name it resolves to, as
// HostNames shows its CNAMEs in JSON.
type CNAME struct {
	Alias     string `json:"alias"`
	Canonical string `json:"canonical"`
}

// MarshalJSON encodes CNAMEs as a list of {alias, canonical} pairs.
func (h HostNames) MarshalJSON() ([]byte, error) {
	type plain HostNames
	var cnames []CNAME
	for a, c := range h.CNAMEs {
		cnames = append(cnames, CNAME{Alias: a, Canonical: c})
	}
	sort.Slice(cnames, func(i, j int) bool { return cnames[i].Alias < cnames[j].Alias })
	return jsonorder.Marshal[HostNames](struct {
		plain
		CNAMEs []CNAME `json:"cnames,omitempty"`
	}{plain(h), cnames})
}

// OwnerKind says which kind of account decrypts the service tickets.
type OwnerKind int

// Owner kinds (the IIS decision table is in the iisconfig package).
const (
	OwnerComputer      OwnerKind = iota + 1 // the computer account (kernel mode, built-in identities)
	OwnerDomainAccount                      // a domain user or managed service account (app pool identity)
)

// String returns "computer account" or "domain account".
func (k OwnerKind) String() string {
	switch k {
	case OwnerComputer:
		return "computer account"
	case OwnerDomainAccount:
		return "domain account"
	}
	return "unknown"
}

// MarshalText encodes the kind as its String form (for JSON).
func (k OwnerKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// Owner is the account that decrypts the tickets and so must own the HTTP
// SPNs.
type Owner struct {
	Kind OwnerKind `json:"kind"`
	// Account is "DOMAIN\sam"; for a computer "DOMAIN\WEB01$".
	Account string `json:"account"`
}

// ComputerOwner returns the owner for a computer account ("CORP", "WEB01"
// -> "CORP\WEB01$").
func ComputerOwner(domain, computer string) Owner {
	sam := strings.TrimSuffix(computer, "$") + "$"
	if domain != "" {
		sam = domain + `\` + sam
	}
	return Owner{Kind: OwnerComputer, Account: sam}
}

// AccountOwner returns the owner for a domain account "DOMAIN\sam".
func AccountOwner(account string) Owner { return Owner{Kind: OwnerDomainAccount, Account: account} }

// String returns the account and its kind: `CORP\WEB01$ (computer account)`.
func (o Owner) String() string { return o.Account + " (" + o.Kind.String() + ")" }

// Expectation is one SPN that must resolve to the decrypting account. In
// JSON the SPNs are their text ("HTTP/web01.corp.example.com").
type Expectation struct {
	// SPN is what clients request: "HTTP/<name>".
	SPN SPN `json:"spn"`
	// Owner must hold it (or, for a computer account, a mapped alias).
	Owner Owner `json:"owner"`
	// Reason says where the name came from: "computer FQDN", "binding host
	// portal", "canonical name of CNAME portal.example.com".
	Reason string `json:"reason"`
	// Alias is the CNAME the user typed when SPN is for its canonical name.
	Alias string `json:"alias,omitempty"`
	// Fallbacks are the SPNs the KDC also accepts when SPN itself is not
	// registered, through sPNMappings (HOST/<name> for HTTP/<name>): they
	// decide who decrypts the ticket in that case.
	Fallbacks []SPN `json:"fallbacks,omitempty"`
}

// MarshalJSON encodes the SPNs as their text.
func (e Expectation) MarshalJSON() ([]byte, error) {
	type plain Expectation
	var fallbacks []string
	for _, f := range e.Fallbacks {
		fallbacks = append(fallbacks, f.String())
	}
	return jsonorder.Marshal[Expectation](struct {
		plain
		SPN       string   `json:"spn"`
		Fallbacks []string `json:"fallbacks,omitempty"`
	}{plain(e), e.SPN.String(), fallbacks})
}

// Expected returns the HTTP SPNs clients will request for hosts and that
// must resolve to decrypting: the computer's FQDN and NetBIOS name (unless
// OnlyBindings), every
// binding host name (and, for a dotless one, its name qualified with the
// computer's DNS suffix), with CNAME aliases replaced by their canonical names.
// Duplicates are removed case-insensitively; order is stable.
//
// mappings (use [DefaultSPNMappings] when the forest's is unknown) adds the
// HOST fallback to every expectation, whichever the owner: a computer's
// automatic HOST/name then satisfies HTTP/name, and an HTTP/name on another
// account takes precedence over it.
func Expected(hosts HostNames, decrypting Owner, mappings SPNMappings) []Expectation {
	var out []Expectation
	seen := map[string]bool{}
	suffix := ""
	if i := strings.IndexByte(hosts.FQDN, '.'); i > 0 {
		suffix = hosts.FQDN[i:]
	}
	cname := func(name string) string {
		for k, v := range hosts.CNAMEs {
			if strings.EqualFold(strings.TrimSuffix(k, "."), name) && v != "" {
				return strings.TrimSuffix(v, ".")
			}
		}
		return ""
	}
	addName := func(name, reason string) {
		name = strings.TrimSuffix(strings.TrimSpace(name), ".")
		if name == "" || name == "*" {
			return
		}
		if _, err := netip.ParseAddr(strings.Trim(name, "[]")); err == nil {
			return
		}
		e := Expectation{Owner: decrypting, Reason: reason}
		if c := cname(name); c != "" && !strings.EqualFold(c, name) {
			e.Alias = name
			e.Reason = "canonical name of CNAME " + name + " (" + reason + ")"
			name = c
		}
		e.SPN = New("HTTP", name)
		k := e.SPN.Key()
		if seen[k] {
			return
		}
		seen[k] = true
		if alias, ok := mappings.AliasFor("http"); ok {
			e.Fallbacks = []SPN{e.SPN.WithClass(strings.ToUpper(alias))}
		}
		out = append(out, e)
	}
	if !hosts.OnlyBindings {
		addName(hosts.FQDN, "computer FQDN")
		addName(hosts.NetBIOS, "computer NetBIOS name")
	}
	for _, b := range hosts.Bindings {
		b = strings.TrimSpace(b)
		addName(b, "binding host "+b)
		if suffix != "" && b != "" && b != "*" && !strings.Contains(b, ".") {
			if _, err := netip.ParseAddr(strings.Trim(b, "[]")); err != nil {
				addName(b+suffix, "binding host "+b+" qualified with the DNS suffix "+suffix[1:])
			}
		}
	}
	return out
}
