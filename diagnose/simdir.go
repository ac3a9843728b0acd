package diagnose

import (
	"cmp"
	"context"
	"sort"
	"strings"
	"sync"

	"github.com/iiskerb/iiskerb/internal/textenc"
	"github.com/iiskerb/iiskerb/spn"
)

// simDirectory is a Directory with a plan's SPN and encryption-type changes
// applied on top of the real evidence. It never writes anywhere: it answers
// the checks of the simulation run as the directory would answer after the
// plan. Completeness is the base directory's.
type simDirectory struct {
	base spn.Directory
	// adds and removes are keyed by the lower-case SPN; values are account
	// names as the plan gives them.
	adds    map[string][]simAccount
	removes map[string][]string
	// enc maps an account key to the encryption types set by the plan.
	enc map[string]spn.EncTypes
	// touched holds simKey of every account name the plan names; an
	// account none of whose names is here is left as it is (a forest
	// scan would otherwise compare every account with every change).
	// touchAll is set by a name simKey cannot stand for (non-ASCII text,
	// which strings.EqualFold may match in ways lower-casing does not).
	touched  map[string]bool
	touchAll bool
}

type simAccount struct {
	spn  string
	name string
	kind spn.AccountKind
}

func newSimDirectory(base spn.Directory) *simDirectory {
	return &simDirectory{base: base, adds: map[string][]simAccount{}, removes: map[string][]string{}, enc: map[string]spn.EncTypes{}, touched: map[string]bool{}}
}

// simKey is accountKey without a trailing "$": simMatches only matches
// names with equal simKeys (ASCII text).
func simKey(name string) string { return strings.TrimSuffix(accountKey(name), "$") }

// touch records that the plan changes the account called name.
func (d *simDirectory) touch(name string) {
	d.touched[simKey(name)] = true
	d.touchAll = d.touchAll || !textenc.IsASCII(name)
}

// mayChange reports whether the plan may change a: whether one of a's
// names is one the plan names (or is not ASCII).
func (d *simDirectory) mayChange(a *spn.Account) bool {
	if d.touchAll {
		return true
	}
	for _, n := range []string{a.SAMAccountName, a.Name, a.DN} {
		if n != "" && (d.touched[simKey(n)] || !textenc.IsASCII(n)) {
			return true
		}
	}
	return false
}

// accountKey normalises an account name for matching: the part after a
// "DOMAIN\" prefix, lower-cased. Distinguished names are kept whole.
func accountKey(name string) string {
	name = strings.TrimSpace(name)
	if strings.Contains(name, "=") && strings.Contains(name, ",") {
		return strings.ToLower(name)
	}
	if _, sam, ok := strings.Cut(name, `\`); ok {
		name = sam
	}
	return strings.ToLower(name)
}

// matches reports whether account a is the one named by name.
func simMatches(a *spn.Account, name string) bool {
	k := accountKey(name)
	if k == "" {
		return false
	}
	if a.DN != "" && strings.EqualFold(a.DN, name) {
		return true
	}
	for _, n := range []string{a.SAMAccountName, a.Name} {
		if n == "" {
			continue
		}
		ak := accountKey(n)
		if ak == k || strings.TrimSuffix(ak, "$") == strings.TrimSuffix(k, "$") && (strings.HasSuffix(ak, "$") || strings.HasSuffix(k, "$")) {
			return true
		}
	}
	return false
}

func (d *simDirectory) addSPN(s, account string, kind spn.AccountKind) {
	d.touch(account)
	k := strings.ToLower(s)
	d.removes[k] = removeName(d.removes[k], account)
	for _, a := range d.adds[k] {
		if accountKey(a.name) == accountKey(account) {
			return
		}
	}
	d.adds[k] = append(d.adds[k], simAccount{spn: s, name: account, kind: kind})
}

func (d *simDirectory) removeSPN(s, account string) {
	d.touch(account)
	k := strings.ToLower(s)
	var kept []simAccount
	for _, a := range d.adds[k] {
		if accountKey(a.name) != accountKey(account) {
			kept = append(kept, a)
		}
	}
	d.adds[k] = kept
	d.removes[k] = append(d.removes[k], account)
}

func (d *simDirectory) setEncTypes(account string, e spn.EncTypes) {
	d.touch(account)
	d.enc[accountKey(account)] = e
}

func removeName(list []string, name string) []string {
	var out []string
	for _, n := range list {
		if accountKey(n) != accountKey(name) {
			out = append(out, n)
		}
	}
	return out
}

// apply changes one account as the plan would.
func (d *simDirectory) apply(a *spn.Account) {
	if !d.mayChange(a) {
		return
	}
	var spns []string
	for _, s := range a.SPNs {
		removed := false
		for _, r := range d.removes[strings.ToLower(s)] {
			if simMatches(a, r) {
				removed = true
				break
			}
		}
		if !removed {
			spns = append(spns, s)
		}
	}
	for k, adds := range d.adds {
		for _, x := range adds {
			if !simMatches(a, x.name) {
				continue
			}
			have := false
			for _, s := range spns {
				have = have || strings.ToLower(s) == k
			}
			if !have {
				spns = append(spns, x.spn)
			}
		}
	}
	a.SPNs = spns
	for k, e := range d.enc {
		if simMatches(a, k) {
			a.EncTypes, a.EncTypesSet, a.EncTypesUnknown = e, true, false
		}
	}
}

// Owners implements spn.Directory.
func (d *simDirectory) Owners(ctx context.Context, s string) (spn.Answer, error) {
	ans, err := d.base.Owners(ctx, s)
	var out []spn.Account
	for _, a := range ans.Accounts {
		a.SPNs = append([]string(nil), a.SPNs...)
		d.apply(&a)
		if holds(a.SPNs, s) {
			out = append(out, a)
		}
	}
	for _, x := range d.adds[strings.ToLower(s)] {
		found := false
		for i := range out {
			found = found || simMatches(&out[i], x.name)
		}
		if found {
			continue
		}
		acc, _ := d.Account(ctx, x.name)
		if len(acc.Accounts) > 0 {
			out = append(out, acc.Accounts[0])
		} else {
			out = append(out, d.newAccount(x))
		}
	}
	ans.Accounts = out
	return ans, err
}

func (d *simDirectory) newAccount(x simAccount) spn.Account {
	a := spn.Account{Name: x.name, Kind: x.kind, EncTypesUnknown: true}
	_, sam, ok := strings.Cut(x.name, `\`)
	if !ok {
		sam = x.name
	}
	a.SAMAccountName = sam
	d.apply(&a)
	return a
}

func holds(spns []string, s string) bool {
	for _, v := range spns {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// Account implements spn.Directory.
func (d *simDirectory) Account(ctx context.Context, name string) (spn.Answer, error) {
	ans, err := d.base.Account(ctx, name)
	for i := range ans.Accounts {
		ans.Accounts[i].SPNs = append([]string(nil), ans.Accounts[i].SPNs...)
		d.apply(&ans.Accounts[i])
	}
	if len(ans.Accounts) == 0 {
		// An account the plan adds SPNs to but the evidence never showed.
		for _, adds := range d.adds {
			for _, x := range adds {
				if accountKey(x.name) == accountKey(name) {
					ans.Accounts = append(ans.Accounts, d.newAccount(x))
					return ans, err
				}
			}
		}
	}
	return ans, err
}

// Scan implements spn.Directory.
func (d *simDirectory) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	seen := map[string]bool{}
	comp, err := d.base.Scan(ctx, func(a *spn.Account) error {
		c := *a
		c.SPNs = append([]string(nil), a.SPNs...)
		d.apply(&c)
		if d.mayChange(&c) {
			for _, adds := range d.adds {
				for _, x := range adds {
					if simMatches(&c, x.name) {
						seen[accountKey(x.name)] = true
					}
				}
			}
		}
		if len(c.SPNs) == 0 {
			return nil
		}
		return fn(&c)
	})
	if err != nil {
		return comp, err
	}
	keys := make([]string, 0, len(d.adds))
	for k := range d.adds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, x := range d.adds[k] {
			if seen[accountKey(x.name)] {
				continue
			}
			seen[accountKey(x.name)] = true
			a := d.newAccount(x)
			if err := fn(&a); err != nil {
				return spn.Completeness{Reason: "scan stopped by the caller"}, err
			}
		}
	}
	return comp, nil
}

// Describe implements spn.Directory.
func (d *simDirectory) Describe() string { return d.base.Describe() }

// SPNMappings passes the base directory's mappings through.
func (d *simDirectory) SPNMappings(ctx context.Context) (spn.SPNMappings, error) {
	if ms, ok := d.base.(spn.MappingSource); ok {
		return ms.SPNMappings(ctx)
	}
	return spn.DefaultSPNMappings(), nil
}

// FindDuplicates keeps the base directory's duplicate answer (a finished
// setspn -X run) with the plan's changes applied to each group.
func (d *simDirectory) FindDuplicates(ctx context.Context) ([]spn.Duplicate, spn.Completeness, error) {
	f, ok := d.base.(spn.DuplicateFinder)
	if !ok {
		return spn.Duplicates(ctx, scanOnlyDir{d})
	}
	dups, comp, err := f.FindDuplicates(ctx)
	var out []spn.Duplicate
	seen := map[string]bool{}
	for _, g := range dups {
		k := strings.ToLower(g.SPN)
		seen[k] = true
		var owners []string
		for _, o := range g.Owners {
			keep := true
			for _, r := range d.removes[k] {
				if accountKey(r) == accountKey(o) {
					keep = false
				}
			}
			if keep {
				owners = append(owners, o)
			}
		}
		for _, x := range d.adds[k] {
			if !containsAccount(owners, x.name) {
				owners = append(owners, x.name)
			}
		}
		if len(owners) > 1 {
			out = append(out, spn.Duplicate{SPN: g.SPN, Owners: owners})
		}
	}
	// An added SPN that someone else already holds becomes a duplicate.
	for k, adds := range d.adds {
		if seen[k] || len(adds) == 0 {
			continue
		}
		ans, _ := d.Owners(ctx, adds[0].spn)
		if len(ans.Accounts) > 1 {
			var owners []string
			for _, a := range ans.Accounts {
				owners = append(owners, cmp.Or(a.Name, a.SAMAccountName, a.DN))
			}
			out = append(out, spn.Duplicate{SPN: adds[0].spn, Owners: owners})
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].SPN) < strings.ToLower(out[j].SPN) })
	return out, comp, err
}

func containsAccount(list []string, name string) bool {
	for _, n := range list {
		if strings.TrimSuffix(accountKey(n), "$") == strings.TrimSuffix(accountKey(name), "$") {
			return true
		}
	}
	return false
}

// scanOnlyDir hides FindDuplicates so spn.Duplicates scans.
type scanOnlyDir struct{ spn.Directory }

// cachedDirectory remembers the base directory's answers across the trial
// runs of one simulation, so choosing between remedies does not repeat
// every directory query.
type cachedDirectory struct {
	base     spn.Directory
	mu       sync.Mutex
	accounts map[string]cachedAnswer
	owners   map[string]cachedAnswer
	dups     *cachedDups
}

type cachedAnswer struct {
	ans spn.Answer
	err error
}

type cachedDups struct {
	dups []spn.Duplicate
	comp spn.Completeness
	err  error
}

func newCachedDirectory(base spn.Directory) *cachedDirectory {
	return &cachedDirectory{base: base, accounts: map[string]cachedAnswer{}, owners: map[string]cachedAnswer{}}
}

func copyAnswer(a spn.Answer) spn.Answer {
	out := a
	out.Accounts = make([]spn.Account, len(a.Accounts))
	for i, acc := range a.Accounts {
		acc.SPNs = append([]string(nil), acc.SPNs...)
		out.Accounts[i] = acc
	}
	return out
}

// Owners implements spn.Directory.
func (c *cachedDirectory) Owners(ctx context.Context, s string) (spn.Answer, error) {
	k := strings.ToLower(s)
	c.mu.Lock()
	v, ok := c.owners[k]
	c.mu.Unlock()
	if !ok {
		ans, err := c.base.Owners(ctx, s)
		if ctx.Err() != nil {
			return ans, err
		}
		v = cachedAnswer{copyAnswer(ans), err}
		c.mu.Lock()
		c.owners[k] = v
		c.mu.Unlock()
	}
	return copyAnswer(v.ans), v.err
}

// Account implements spn.Directory.
func (c *cachedDirectory) Account(ctx context.Context, name string) (spn.Answer, error) {
	k := strings.ToLower(name)
	c.mu.Lock()
	v, ok := c.accounts[k]
	c.mu.Unlock()
	if !ok {
		ans, err := c.base.Account(ctx, name)
		if ctx.Err() != nil {
			return ans, err
		}
		v = cachedAnswer{copyAnswer(ans), err}
		c.mu.Lock()
		c.accounts[k] = v
		c.mu.Unlock()
	}
	return copyAnswer(v.ans), v.err
}

// Scan implements spn.Directory (not cached: a scan may be large).
func (c *cachedDirectory) Scan(ctx context.Context, fn func(a *spn.Account) error) (spn.Completeness, error) {
	return c.base.Scan(ctx, fn)
}

// Describe implements spn.Directory.
func (c *cachedDirectory) Describe() string { return c.base.Describe() }

// SPNMappings passes the base directory's mappings through.
func (c *cachedDirectory) SPNMappings(ctx context.Context) (spn.SPNMappings, error) {
	if ms, ok := c.base.(spn.MappingSource); ok {
		return ms.SPNMappings(ctx)
	}
	return spn.DefaultSPNMappings(), nil
}

// FindDuplicates answers as the base directory would, once.
func (c *cachedDirectory) FindDuplicates(ctx context.Context) ([]spn.Duplicate, spn.Completeness, error) {
	c.mu.Lock()
	d := c.dups
	c.mu.Unlock()
	if d == nil {
		var dups []spn.Duplicate
		var comp spn.Completeness
		var err error
		if f, ok := c.base.(spn.DuplicateFinder); ok {
			dups, comp, err = f.FindDuplicates(ctx)
		} else {
			dups, comp, err = spn.Duplicates(ctx, scanOnlyDir{c.base})
		}
		if ctx.Err() != nil {
			return dups, comp, err
		}
		d = &cachedDups{dups, comp, err}
		c.mu.Lock()
		c.dups = d
		c.mu.Unlock()
	}
	out := make([]spn.Duplicate, len(d.dups))
	for i, x := range d.dups {
		out[i] = spn.Duplicate{SPN: x.SPN, Owners: append([]string(nil), x.Owners...)}
	}
	return out, d.comp, d.err
}

// simContext is what a simulation run knows beyond its evidence: the real
// run's directory audit and the plan's directory changes.
type simContext struct {
	audit *spn.Audit
	dir   *simDirectory // nil when the plan changes nothing in the directory
}

// adjustAudit returns base with the plan's SPN and encryption-type changes
// applied: duplicate groups lose removed owners and gain added ones,
// malformed values removed from their holder disappear, accounts given
// AES are no longer RC4-only or unknown. A nil d returns base.
func (d *simDirectory) adjustAudit(ctx context.Context, base *spn.Audit) *spn.Audit {
	if d == nil {
		return base
	}
	au := *base
	au.Duplicates = nil
	seen := map[string]bool{}
	for _, g := range base.Duplicates {
		k := strings.ToLower(g.SPN)
		seen[k] = true
		var owners []string
		for _, o := range g.Owners {
			if !containsAccount(d.removes[k], o) {
				owners = append(owners, o)
			}
		}
		for _, x := range d.adds[k] {
			if !containsAccount(owners, x.name) {
				owners = append(owners, x.name)
			}
		}
		if len(owners) > 1 {
			au.Duplicates = append(au.Duplicates, spn.Duplicate{SPN: g.SPN, Owners: owners})
		}
	}
	keys := make([]string, 0, len(d.adds))
	for k := range d.adds {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if seen[k] || len(d.adds[k]) == 0 {
			continue
		}
		ans, _ := d.Owners(ctx, d.adds[k][0].spn)
		if len(ans.Accounts) > 1 {
			var owners []string
			for _, a := range ans.Accounts {
				owners = append(owners, cmp.Or(a.Name, a.SAMAccountName, a.DN))
			}
			au.Duplicates = append(au.Duplicates, spn.Duplicate{SPN: d.adds[k][0].spn, Owners: owners})
		}
	}
	sort.Slice(au.Duplicates, func(i, j int) bool {
		return strings.ToLower(au.Duplicates[i].SPN) < strings.ToLower(au.Duplicates[j].SPN)
	})
	au.Malformed = nil
	for _, v := range base.Malformed {
		if !containsAccount(d.removes[strings.ToLower(v.SPN)], v.Account) {
			au.Malformed = append(au.Malformed, v)
		}
	}
	// The counts follow the lists the plan changed.
	au.MalformedCount -= len(base.Malformed) - len(au.Malformed)
	aes := func(name string) bool {
		_, ok := d.enc[accountKey(name)]
		return ok
	}
	au.RC4Only = nil
	for _, v := range base.RC4Only {
		if !aes(v.Account) {
			au.RC4Only = append(au.RC4Only, v)
		} else if v.Assumed {
			au.RC4OnlyAssumedCount--
		} else {
			au.RC4OnlyCount--
		}
	}
	au.EncTypesUnknown = nil
	for _, a := range base.EncTypesUnknown {
		if !aes(a) {
			au.EncTypesUnknown = append(au.EncTypesUnknown, a)
		} else {
			au.EncTypesUnknownCount--
		}
	}
	return &au
}
