package spn

import (
	"context"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"
)

// OfflineInput is the evidence an [OfflineDirectory] combines.
type OfflineInput struct {
	// Setspn holds parsed setspn -L/-Q/-X output files.
	Setspn []*SetspnOutput
	// LDIF holds parsed ldifde exports.
	LDIF []*LDIFExport
	// LDIFComplete declares that the LDIF exports together hold every SPN
	// holder of the scope (exported with -r "(servicePrincipalName=*)" from
	// the domain root, or from the Global Catalog for a forest). Only then can
	// the directory prove that an SPN has no (other) owner. The parser cannot
	// know the filter that was used, so the caller must say so; an export
	// whose Incomplete is set is never taken as complete.
	LDIFComplete bool
	// Domain is the NetBIOS domain name ("CORP") used to name accounts the
	// evidence does not name with a domain itself. Empty means accounts are
	// named by their bare sAMAccountName (for setspn output, which shows
	// only DNs: the CN, or "CN$" for a computer recognised from its HOST
	// SPNs): the domain is never guessed from the DN's DC= components.
	Domain string
}

// OfflineDirectory is a [Directory] over setspn and ldifde output a customer
// sent. Its answers are honest about what text can prove: setspn -L for one
// account says nothing about who else holds an SPN; a finished setspn -Q for
// exactly that SPN, a finished setspn -X, or a complete LDIF export can.
// It is never modified after construction and is safe for concurrent use.
type OfflineDirectory struct {
	accounts  []offAccount
	byKey     map[string]int
	index     map[string][]int32 // lower-case SPN -> accounts
	queries   []offQuery
	dupRuns   []offDupRun
	ldifAll   bool
	truncated string   // why a given LDIF export is known to be truncated
	notes     []string // why setspn -X runs prove nothing
	desc      string
	warnings  []Warning

	nameOnce sync.Once
	byName   map[string][]int32 // nameKey -> accounts (built on first Account)
	byDN     map[string][]int32 // lower-case DN -> accounts
}

type offAccount struct {
	Account
	fullSPNs bool     // the evidence lists all of its SPNs (-L, -Q, LDIF)
	attrs    bool     // its attributes were read from a directory export (LDIF)
	sources  []string // "setspn -L a.txt:3"
}

type offQuery struct {
	pattern string // lower-case SPN or pattern with '*'
	scope   string
	forest  bool
	where   string
}

type offDupRun struct {
	keys   map[string]bool // lower-case duplicated SPNs
	scope  string
	forest bool
	where  string
	groups []SetspnDuplicate
}

// NewOfflineDirectory merges the evidence into one directory. Accounts are
// matched by DN (then by name) across files; their SPN lists are merged.
func NewOfflineDirectory(in OfflineInput) *OfflineDirectory {
	d := &OfflineDirectory{byKey: map[string]int{}, index: map[string][]int32{}, ldifAll: in.LDIFComplete && len(in.LDIF) > 0}
	for _, l := range in.LDIF {
		if l != nil && l.Incomplete != "" {
			d.ldifAll = false // the export itself shows it is truncated
			d.truncated = l.Name + ": " + l.Incomplete
		}
	}
	var names []string
	for _, o := range in.Setspn {
		if o == nil {
			continue
		}
		names = append(names, o.Name)
		d.warnings = append(d.warnings, o.Warnings...)
		for _, r := range o.Runs {
			where := fmt.Sprintf("%s output %s:%d", r.Kind, o.Name, r.Line)
			for _, sa := range r.Accounts {
				a := setspnAccount(sa.DN, sa.Name, sa.SPNs)
				d.add(a, sa.Name, in.Domain, r.Complete() || r.Kind == SetspnList, false, where)
			}
			switch r.Kind {
			case SetspnQuery:
				if r.Complete() && r.Target != "" {
					d.queries = append(d.queries, offQuery{pattern: strings.ToLower(r.Target), scope: r.Scope, forest: r.Forest, where: where})
				}
			case SetspnDuplicates:
				for _, g := range r.Duplicates {
					for _, ow := range g.Owners {
						d.add(setspnAccount(ow.DN, ow.Name, []string{g.SPN}), ow.Name, in.Domain, false, false, where)
					}
				}
				if !r.Complete() {
					why := "it ends before \"found N group of duplicate SPNs.\""
					if len(r.Errors) > 0 {
						why = "setspn reported: " + r.Errors[0]
					}
					d.notes = append(d.notes, fmt.Sprintf("%s is incomplete: %s", where, why))
				}
				if r.Complete() {
					dr := offDupRun{keys: map[string]bool{}, scope: r.Scope, forest: r.Forest, where: where, groups: r.Duplicates}
					for _, g := range r.Duplicates {
						dr.keys[strings.ToLower(g.SPN)] = true
					}
					d.dupRuns = append(d.dupRuns, dr)
				}
			}
		}
	}
	for _, l := range in.LDIF {
		if l == nil {
			continue
		}
		names = append(names, l.Name)
		d.warnings = append(d.warnings, l.Warnings...)
		for _, a := range l.Accounts {
			if in.Domain != "" {
				a.SetDomain(in.Domain)
			}
			d.add(a, "", "", true, true, "LDIF "+l.Name)
		}
	}
	for i := range d.accounts {
		for _, s := range d.accounts[i].SPNs {
			k := strings.ToLower(s)
			if l := d.index[k]; len(l) == 0 || l[len(l)-1] != int32(i) {
				d.index[k] = append(l, int32(i))
			}
		}
	}
	d.desc = "offline evidence " + strings.Join(names, ", ")
	return d
}

// Warnings returns the parsers' warnings for all inputs.
func (d *OfflineDirectory) Warnings() []Warning { return d.warnings }

// add merges a into the directory. name is how the evidence itself names
// the account ("DOMAIN\sam" in some setspn -X output), domain the caller's
// NetBIOS domain; full says the evidence lists all of a's SPNs, attrs that
// a's attributes were read from a directory export.
func (d *OfflineDirectory) add(a Account, name, domain string, full, attrs bool, where string) {
	if a.Name == "" {
		if name != "" {
			a.Name = name
		} else {
			a.SetDomain(domain)
		}
	}
	key := strings.ToLower(a.DN)
	if key == "" {
		key = "name:" + strings.ToLower(a.Name)
	}
	i, ok := d.byKey[key]
	if !ok {
		a.SPNs = append([]string(nil), a.SPNs...)
		d.byKey[key] = len(d.accounts)
		d.accounts = append(d.accounts, offAccount{Account: a, fullSPNs: full, attrs: attrs, sources: []string{where}})
		return
	}
	m := &d.accounts[i]
	m.fullSPNs = m.fullSPNs || full
	m.sources = append(m.sources, where)
	// Attributes read from an export beat what setspn output and its
	// heuristics suggest.
	override := attrs && !m.attrs
	m.attrs = m.attrs || attrs
	if a.SAMAccountName != "" && (m.SAMAccountName == "" || override) {
		// Keep a domain the evidence spelled ("CORP\x" in setspn -X)
		// when the export does not know it.
		mdom, _ := splitAccountName(m.Name)
		adom, _ := splitAccountName(a.Name)
		m.SAMAccountName, m.Name = a.SAMAccountName, a.Name
		if adom == "" && mdom != "" {
			m.Name = mdom + `\` + a.SAMAccountName
		}
	}
	if name != "" && !strings.Contains(m.Name, `\`) {
		m.Name = name
	}
	if a.Kind != Unknown && (m.Kind == Unknown || override) {
		m.Kind = a.Kind
	}
	if override {
		m.Disabled = a.Disabled
	} else {
		m.Disabled = m.Disabled || a.Disabled
	}
	if !m.EncTypesSet && a.EncTypesSet {
		m.EncTypes, m.EncTypesSet = a.EncTypes, true
	}
	m.EncTypesUnknown = m.EncTypesUnknown && a.EncTypesUnknown
	for _, s := range a.SPNs {
		dup := false
		for _, t := range m.SPNs {
			if strings.EqualFold(s, t) {
				dup = true
				break
			}
		}
		if !dup {
			m.SPNs = append(m.SPNs, s)
		}
	}
}

// Owners implements [Directory]. The answer is complete when a complete LDIF
// export was given, when a finished setspn -Q for a matching SPN or pattern
// was given, or when a finished setspn -X run either lists the SPN as a
// duplicate or (with exactly one known owner) shows it is not duplicated.
func (d *OfflineDirectory) Owners(ctx context.Context, spn string) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{Completeness: Completeness{Reason: "cancelled"}}, &IncompleteError{Reason: "owners lookup cancelled", Err: err}
	}
	key := strings.ToLower(spn)
	var ans Answer
	for _, i := range d.index[key] {
		ans.Accounts = append(ans.Accounts, cloneAccount(&d.accounts[i].Account))
	}
	ans.Completeness = d.ownersCompleteness(key, spn, len(ans.Accounts))
	return ans, nil
}

func (d *OfflineDirectory) ownersCompleteness(key, spn string, owners int) Completeness {
	if d.ldifAll {
		return Completeness{Complete: true}
	}
	for _, q := range d.queries {
		if ok, _ := path.Match(q.pattern, key); ok || q.pattern == key {
			return Completeness{Complete: true}
		}
	}
	for _, r := range d.dupRuns {
		if r.keys[key] || owners == 1 {
			return Completeness{Complete: true}
		}
	}
	return Completeness{Reason: fmt.Sprintf("%s lists only some accounts, so another account may hold %s (give setspn -F -Q for it, setspn -F -X, or a complete ldifde export)", d.desc, spn)}
}

// Account implements [Directory]. The answer is complete when the account
// was found with its full SPN list (setspn -L/-Q or LDIF), or when a complete
// LDIF export lacks it (then it holds no SPN).
func (d *OfflineDirectory) Account(ctx context.Context, name string) (Answer, error) {
	if err := ctx.Err(); err != nil {
		return Answer{Completeness: Completeness{Reason: "cancelled"}}, &IncompleteError{Reason: "account lookup cancelled", Err: err}
	}
	var ans Answer
	full := true
	for _, i := range d.candidates(name) {
		if accountMatches(&d.accounts[i].Account, name) {
			ans.Accounts = append(ans.Accounts, cloneAccount(&d.accounts[i].Account))
			full = full && d.accounts[i].fullSPNs
		}
	}
	switch {
	case len(ans.Accounts) > 0 && full:
		ans.Completeness = Completeness{Complete: true}
	case len(ans.Accounts) > 0:
		ans.Completeness = Completeness{Reason: fmt.Sprintf("%s shows only some SPNs of %s (setspn -X lists duplicates only)", d.desc, name)}
	case d.ldifAll:
		ans.Completeness = Completeness{Complete: true}
	default:
		ans.Completeness = Completeness{Reason: fmt.Sprintf("%s does not mention %s", d.desc, name)}
	}
	return ans, nil
}

// nameKey is the lookup key of an account name: the sAMAccountName part
// (after "DOMAIN\", before "@" of a UPN), lower-cased, without a trailing
// "$"; accountMatches only ever matches names with equal keys.
func nameKey(name string) string {
	_, sam := splitAccountName(strings.TrimSpace(name))
	if at := strings.LastIndexByte(sam, '@'); at > 0 {
		sam = sam[:at]
	}
	return strings.TrimSuffix(strings.ToLower(sam), "$")
}

// candidates returns the accounts that may match name (a superset that
// accountMatches filters), from an index built on first use: a linear
// search per lookup made a 500,000-account export take minutes.
func (d *OfflineDirectory) candidates(name string) []int32 {
	d.nameOnce.Do(func() {
		d.byName = map[string][]int32{}
		d.byDN = map[string][]int32{}
		for i := range d.accounts {
			a := &d.accounts[i].Account
			if a.DN != "" {
				k := strings.ToLower(a.DN)
				d.byDN[k] = append(d.byDN[k], int32(i))
			}
			sam := a.SAMAccountName
			if sam == "" {
				_, sam = splitAccountName(a.Name)
			}
			if sam == "" {
				sam = cnFromDN(a.DN)
			}
			if k := strings.TrimSuffix(strings.ToLower(sam), "$"); k != "" {
				d.byName[k] = append(d.byName[k], int32(i))
			}
		}
	})
	name = strings.TrimSpace(name)
	if looksLikeDN(name) {
		return d.byDN[strings.ToLower(name)]
	}
	out := d.byName[nameKey(name)]
	// accountMatches also takes the DN as written, whatever its shape.
	for _, i := range d.byDN[strings.ToLower(name)] {
		if !slices.Contains(out, i) {
			out = append(out[:len(out):len(out)], i)
		}
	}
	return out
}

// Scan implements [Directory]; it is complete only with a complete LDIF
// export.
func (d *OfflineDirectory) Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error) {
	for i := range d.accounts {
		if err := ctx.Err(); err != nil {
			return Completeness{Reason: "scan cancelled"}, &IncompleteError{Reason: "offline scan cancelled", Err: err}
		}
		a := cloneAccount(&d.accounts[i].Account)
		if len(a.SPNs) == 0 {
			continue
		}
		if err := fn(&a); err != nil {
			return Completeness{Reason: "scan stopped by the caller"}, err
		}
	}
	return d.scanCompleteness(), nil
}

// scanCompleteness says whether the evidence lists every SPN holder.
func (d *OfflineDirectory) scanCompleteness() Completeness {
	if d.ldifAll {
		return Completeness{Complete: true}
	}
	if d.truncated != "" {
		return Completeness{Reason: d.desc + " does not list every SPN holder (" + d.truncated + ")"}
	}
	if len(d.notes) > 0 {
		return Completeness{Reason: d.desc + " does not list every SPN holder (" + strings.Join(d.notes, "; ") + ")"}
	}
	return Completeness{Reason: d.desc + " does not list every SPN holder (no complete ldifde export)"}
}

// FindDuplicates implements [DuplicateFinder]. It returns the union of what
// the evidence shows: the groups of setspn -X runs plus every SPN that the
// merged accounts (from setspn -L, -Q, -X and LDIF, matched by DN) show on
// two or more distinct accounts, compared case-insensitively and sorted by
// SPN. Owners are named as in [Account.Name] (by DN when two distinct
// owners of one SPN share a name).
//
// The list is complete when a finished setspn -X run or a complete LDIF
// export is among the evidence; otherwise the duplicates seen (each is real)
// are returned with an incomplete Completeness and an error matching
// [ErrIncomplete].
func (d *OfflineDirectory) FindDuplicates(ctx context.Context) ([]Duplicate, Completeness, error) {
	if err := ctx.Err(); err != nil {
		return nil, Completeness{Reason: "duplicate search cancelled"}, &IncompleteError{Reason: "offline duplicate search cancelled", Err: err}
	}
	spelling := map[string]string{}
	for _, r := range d.dupRuns {
		for _, g := range r.groups {
			k := strings.ToLower(g.SPN)
			if _, ok := spelling[k]; !ok {
				spelling[k] = g.SPN
			}
		}
	}
	var out []Duplicate
	for k, ids := range d.index {
		if len(ids) < 2 {
			continue
		}
		dup := Duplicate{SPN: spelling[k]}
		for _, id := range ids {
			a := &d.accounts[id].Account
			if dup.SPN == "" {
				for _, s := range a.SPNs {
					if strings.ToLower(s) == k {
						dup.SPN = s
						break
					}
				}
			}
			dup.Owners = append(dup.Owners, displayName(a))
		}
		// Distinct accounts with the same name (the same CN in two
		// domains) are told apart by DN.
		names := append([]string(nil), dup.Owners...)
		for i := range names {
			for j := range names {
				if i != j && strings.EqualFold(names[i], names[j]) && d.accounts[ids[i]].DN != "" {
					dup.Owners[i] = d.accounts[ids[i]].DN
					break
				}
			}
		}
		if dup.SPN == "" {
			dup.SPN = k
		}
		out = append(out, dup)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := strings.ToLower(out[i].SPN), strings.ToLower(out[j].SPN)
		if a != b {
			return a < b
		}
		return out[i].SPN < out[j].SPN
	})
	if d.ldifAll || len(d.dupRuns) > 0 {
		return out, Completeness{Complete: true}, nil
	}
	holders := 0
	for i := range d.accounts {
		if len(d.accounts[i].SPNs) > 0 {
			holders++
		}
	}
	comp, err := scanOutcome(d, "duplicate search", holders, d.scanCompleteness(), nil)
	return out, comp, err
}

// Describe implements [Directory].
func (d *OfflineDirectory) Describe() string { return d.desc }

// setspnAccount builds an account from setspn output, which shows only the
// DN (sometimes DOMAIN\sam) and SPNs. An account holding HOST/<CN> or
// HOST/<CN>.<suffix> is taken for a computer (computers register those
// automatically; user accounts almost never do) and named "<CN>$".
func setspnAccount(dn, name string, spns []string) Account {
	a := Account{DN: dn, SPNs: spns, EncTypesUnknown: true}
	cn := cnFromDN(dn)
	if cn == "" {
		return a
	}
	for _, s := range spns {
		class, host, ok := strings.Cut(s, "/")
		if !ok || !strings.EqualFold(class, "HOST") {
			continue
		}
		short, _, _ := strings.Cut(host, ".")
		if strings.EqualFold(short, cn) {
			a.Kind = Computer
			if name == "" {
				a.SAMAccountName = strings.ToUpper(cn) + "$"
			}
			break
		}
	}
	return a
}
