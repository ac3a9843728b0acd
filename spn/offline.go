package spn

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"path"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/iiskerb/iiskerb/internal/textenc"
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
//
// Accounts are held packed (see [OfflineBuilder]): a 500,000-account export
// with 2.5 million SPNs takes about 100 MiB.
type OfflineDirectory struct {
	recs      []offRec
	ar        recArena
	dict      packDict
	hash      hasher    // seed and mask; lookups copy it
	spns      hashIndex // lower-case SPN -> accounts
	dns       hashIndex // lower-case DN -> accounts
	holders   int       // accounts with at least one SPN
	queries   []offQuery
	dupRuns   []offDupRun
	ldifAll   bool
	truncated string   // why a given LDIF export is known to be truncated
	notes     []string // why setspn -X runs prove nothing
	desc      string
	warnings  []Warning

	nameOnce sync.Once
	names    hashIndex // nameKey -> accounts (built on first Account)
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

// NewOfflineDirectory merges the evidence into one directory: setspn output
// first, then the LDIF exports (see [OfflineBuilder]). Accounts are matched
// by DN (then by name) across files; their SPN lists are merged.
func NewOfflineDirectory(in OfflineInput) *OfflineDirectory {
	b := NewOfflineBuilder(in.Domain)
	for _, o := range in.Setspn {
		b.AddSetspn(o)
	}
	for _, l := range in.LDIF {
		b.AddLDIF(l)
	}
	return b.Directory(in.LDIFComplete)
}

// OfflineBuilder assembles an [OfflineDirectory] from evidence files one at
// a time. [OfflineBuilder.ReadLDIF] streams an ldifde export straight into
// the directory's packed form, so a whole-forest export is never held as
// [Account] values: use it rather than [ParseLDIF] with [NewOfflineDirectory]
// for large exports. Merging follows NewOfflineDirectory: add setspn output
// before LDIF exports for the same result. A builder is not safe for
// concurrent use; after [OfflineBuilder.Directory] it adds nothing more.
type OfflineBuilder struct {
	d      *OfflineDirectory
	domain string
	byName map[string]int32 // "name:" + lower-case name of accounts without a DN
	hot    map[int32]*hotAccount
	h      hasher
	pack   []byte
	lowDN  []byte
	names  []string
	ldif   bool
	lost   []string // accounts that could not be stored

	// While an LDIF file is read: what to undo if it fails.
	marking  bool
	markRecs int
	markAr   recArenaMark
	journal  map[int32]*hotAccount // prior state of changed accounts; nil: it was packed
	newNames []string
}

// hotAccount is an account being merged from several pieces of evidence;
// it is packed again by Directory.
type hotAccount struct {
	Account
	full, attrs bool
	set         map[string]struct{} // lower-case SPNs, once the list is long
}

// NewOfflineBuilder starts an empty builder. domain is the NetBIOS domain
// name used to name accounts the evidence does not name with a domain
// itself (see [OfflineInput].Domain); "" keeps bare sAMAccountNames.
func NewOfflineBuilder(domain string) *OfflineBuilder {
	return newOfflineBuilder(domain, ^uint32(0))
}

// newOfflineBuilder keeps only the hash bits in mask (tests force shared
// hashes with it).
func newOfflineBuilder(domain string, mask uint32) *OfflineBuilder {
	h := hasher{seed: maphash.MakeSeed(), mask: mask}
	return &OfflineBuilder{
		d:      &OfflineDirectory{hash: h},
		domain: domain,
		byName: map[string]int32{},
		hot:    map[int32]*hotAccount{},
		h:      h,
	}
}

// AddSetspn merges parsed setspn -L/-Q/-X output. A nil o is ignored.
func (b *OfflineBuilder) AddSetspn(o *SetspnOutput) {
	if o == nil || b.d == nil {
		return
	}
	d := b.d
	b.names = append(b.names, o.Name)
	d.warnings = append(d.warnings, o.Warnings...)
	for _, r := range o.Runs {
		where := fmt.Sprintf("%s output %s:%d", r.Kind, o.Name, r.Line)
		for _, sa := range r.Accounts {
			a := setspnAccount(sa.DN, sa.Name, sa.SPNs)
			b.add(a, sa.Name, b.domain, r.Complete() || r.Kind == SetspnList, false)
		}
		switch r.Kind {
		case SetspnQuery:
			if r.Complete() && r.Target != "" {
				d.queries = append(d.queries, offQuery{pattern: strings.ToLower(r.Target), scope: r.Scope, forest: r.Forest, where: where})
			}
		case SetspnDuplicates:
			for _, g := range r.Duplicates {
				for _, ow := range g.Owners {
					b.add(setspnAccount(ow.DN, ow.Name, []string{g.SPN}), ow.Name, b.domain, false, false)
				}
			}
			if !r.Complete() {
				why := "it ends before \"found N group of duplicate SPNs.\""
				if len(r.Errors) > 0 {
					why = "setspn reported: " + r.Errors[0]
				}
				d.notes = append(d.notes, fmt.Sprintf("%s is incomplete: %s", where, why))
				continue
			}
			dr := offDupRun{keys: map[string]bool{}, scope: r.Scope, forest: r.Forest, where: where, groups: r.Duplicates}
			for _, g := range r.Duplicates {
				dr.keys[strings.ToLower(g.SPN)] = true
			}
			d.dupRuns = append(d.dupRuns, dr)
		}
	}
}

// AddLDIF merges an export parsed by [ParseLDIF]. A nil x is ignored.
func (b *OfflineBuilder) AddLDIF(x *LDIFExport) {
	if x == nil || b.d == nil {
		return
	}
	b.ldifFile(x)
	for i := range x.Accounts {
		a := x.Accounts[i]
		if b.domain != "" {
			a.SetDomain(b.domain)
		}
		b.add(a, "", "", true, true)
	}
}

func (b *OfflineBuilder) ldifFile(x *LDIFExport) {
	b.ldif = true
	b.names = append(b.names, x.Name)
	b.d.warnings = append(b.d.warnings, x.Warnings...)
	if x.Incomplete != "" {
		b.d.truncated = x.Name + ": " + x.Incomplete
	}
}

// ReadLDIF streams the LDIF export r (named name in messages; see
// [ScanLDIF] for the syntax) into the directory. It returns what
// [ParseLDIF] would, without the accounts: they are in the directory, and
// accounts without msDS-SupportedEncryptionTypes are marked as ParseLDIF
// marks them (EncTypesUnknown unless the export carried the attribute). On
// an error (a syntax error, ctx done) nothing of the file is kept: the
// directory is as it was before the call.
func (b *OfflineBuilder) ReadLDIF(ctx context.Context, name string, r io.Reader) (*LDIFExport, error) {
	if b.d == nil {
		return nil, errors.New("spn: OfflineBuilder.ReadLDIF after Directory")
	}
	b.mark()
	var sc ldifScanner
	var pending []int32 // accounts whose EncTypesUnknown depends on the rest of the file
	enc, warns, err := scanLDIF(ctx, &sc, name, r, func(a *Account) error {
		if b.domain != "" {
			a.SetDomain(b.domain)
		}
		i := b.add(*a, "", "", true, true)
		if a.EncTypesUnknown && i >= 0 {
			pending = append(pending, i)
		}
		return nil
	})
	x := &LDIFExport{Name: name, Encoding: enc, Warnings: warns, Incomplete: sc.incomplete}
	if err != nil {
		b.rollback()
		return x, err
	}
	b.unmark()
	x.EncTypesSeen = sc.encSeen
	if sc.encSeen {
		// The export carried the attribute, so its absence on the
		// accounts read before the first one that had it is real.
		for _, i := range pending {
			if m := b.hot[i]; m != nil {
				m.EncTypesUnknown = false
			} else {
				b.d.recs[i].flags &^= recEncUnknown
			}
		}
	}
	b.ldifFile(x)
	return x, nil
}

// add merges a into the directory and returns its number, or -1 when it
// could not be stored. name is how the evidence itself names the account
// ("DOMAIN\sam" in some setspn -X output), domain the caller's NetBIOS
// domain; full says the evidence lists all of a's SPNs, attrs that a's
// attributes were read from a directory export.
func (b *OfflineBuilder) add(a Account, name, domain string, full, attrs bool) int32 {
	if a.Name == "" {
		if name != "" {
			a.Name = name
		} else {
			a.SetDomain(domain)
		}
	}
	i, ok := b.find(&a)
	if !ok {
		return b.insert(&a, full, attrs)
	}
	m := b.hotOf(i)
	m.full = m.full || full
	// Attributes read from an export beat what setspn output and its
	// heuristics suggest.
	override := attrs && !m.attrs
	m.attrs = m.attrs || attrs
	if a.SAMAccountName != "" && (m.SAMAccountName == "" || override) {
		// Keep a domain the evidence spelled ("CORP\x" in setspn -X)
		// when the export does not know it.
		mdom, _ := splitAccountName(m.Name)
		adom, _ := splitAccountName(a.Name)
		m.SAMAccountName, m.Name = strings.Clone(a.SAMAccountName), strings.Clone(a.Name)
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
		if m.has(s) {
			continue
		}
		m.SPNs = append(m.SPNs, strings.Clone(s))
		if m.set != nil {
			m.set[strings.ToLower(s)] = struct{}{}
		}
		b.d.spns.add(b.h.lower(s), i)
	}
	return i
}

// has reports whether m holds s, compared as the index compares SPNs.
func (m *hotAccount) has(s string) bool {
	if m.set == nil && len(m.SPNs) > 16 {
		m.set = make(map[string]struct{}, len(m.SPNs))
		for _, t := range m.SPNs {
			m.set[strings.ToLower(t)] = struct{}{}
		}
	}
	if m.set != nil {
		_, ok := m.set[strings.ToLower(s)]
		return ok
	}
	for _, t := range m.SPNs {
		if strings.EqualFold(s, t) {
			return true
		}
	}
	return false
}

// find returns the account a merges into: the one with a's DN, or for an
// account without a DN the one with its name.
func (b *OfflineBuilder) find(a *Account) (int32, bool) {
	if a.DN == "" {
		i, ok := b.byName["name:"+strings.ToLower(a.Name)]
		return i, ok
	}
	b.lowDN = lowerASCII(b.lowDN, a.DN)
	for _, i := range b.d.dns.get(b.h.lower(a.DN)) {
		dn := ""
		if m := b.hot[i]; m != nil {
			dn = m.DN
		} else {
			dn = b.d.head(i).DN
		}
		if string(lowerASCII(b.pack, dn)) == string(b.lowDN) {
			return i, true
		}
	}
	return 0, false
}

// insert stores a new account.
func (b *OfflineBuilder) insert(a *Account, full, attrs bool) int32 {
	d := b.d
	var packed uint8
	b.pack, packed = packAccount(b.pack, a, &d.dict)
	if len(b.pack) > maxRecord || len(d.recs) >= math.MaxInt32 {
		b.lost = append(b.lost, displayName(a)+": "+recordTooLarge)
		return -1
	}
	i := int32(len(d.recs))
	d.recs = append(d.recs, offRec{ref: d.ar.put(b.pack), nspn: uint32(len(a.SPNs)), enc: a.EncTypes, kind: uint8(a.Kind), flags: recFlags(a, full, attrs) | packed})
	for _, s := range a.SPNs {
		d.spns.add(b.h.lower(s), i)
	}
	if a.DN != "" {
		d.dns.add(b.h.lower(a.DN), i)
	} else {
		k := "name:" + strings.ToLower(a.Name)
		b.byName[k] = i
		if b.marking {
			b.newNames = append(b.newNames, k)
		}
	}
	return i
}

func recFlags(a *Account, full, attrs bool) uint8 {
	var f uint8
	for _, x := range []struct {
		on   bool
		flag uint8
	}{{a.Disabled, recDisabled}, {a.EncTypesSet, recEncSet}, {a.EncTypesUnknown, recEncUnknown}, {full, recFull}, {attrs, recAttrs}} {
		if x.on {
			f |= x.flag
		}
	}
	return f
}

// hotOf returns account i in its mutable form, unpacking it first.
func (b *OfflineBuilder) hotOf(i int32) *hotAccount {
	m := b.hot[i]
	if b.marking && int(i) < b.markRecs {
		if _, done := b.journal[i]; !done {
			var prev *hotAccount
			if m != nil {
				prev = &hotAccount{Account: m.Account, full: m.full, attrs: m.attrs}
				prev.SPNs = slices.Clone(m.SPNs)
			}
			b.journal[i] = prev
		}
	}
	if m != nil {
		return m
	}
	r := &b.d.recs[i]
	m = &hotAccount{full: r.flags&recFull != 0, attrs: r.flags&recAttrs != 0}
	var buf unpackBuf
	unpack(r, b.d.ar.get(r.ref), &b.d.dict, &m.Account, &buf)
	b.hot[i] = m
	return m
}

func (b *OfflineBuilder) mark() {
	b.marking, b.markRecs, b.markAr = true, len(b.d.recs), b.d.ar.mark()
	b.journal, b.newNames = map[int32]*hotAccount{}, nil
	b.d.spns.mark(int32(b.markRecs))
	b.d.dns.mark(int32(b.markRecs))
}

func (b *OfflineBuilder) unmark() {
	b.marking, b.journal, b.newNames = false, nil, nil
	b.d.spns.unmark()
	b.d.dns.unmark()
}

// rollback undoes everything since mark.
func (b *OfflineBuilder) rollback() {
	for i, prev := range b.journal {
		if prev == nil {
			delete(b.hot, i)
		} else {
			b.hot[i] = prev
		}
	}
	for i := range b.hot {
		if int(i) >= b.markRecs {
			delete(b.hot, i)
		}
	}
	for _, k := range b.newNames {
		delete(b.byName, k)
	}
	b.d.recs = b.d.recs[:b.markRecs]
	b.d.ar.rollback(b.markAr)
	b.d.spns.rollback()
	b.d.dns.rollback()
	b.unmark()
}

// Directory finishes the directory. ldifComplete declares that the LDIF
// exports together hold every SPN holder of the scope (see
// [OfflineInput].LDIFComplete); an export whose Incomplete is set is never
// taken as complete. The builder adds nothing after this call; a second
// call returns nil.
func (b *OfflineBuilder) Directory(ldifComplete bool) *OfflineDirectory {
	d := b.d
	if d == nil {
		return nil
	}
	b.d = nil
	garbage := 0
	for i, m := range b.hot {
		r := &d.recs[i]
		garbage += int(r.ref.n)
		var packed uint8
		b.pack, packed = packAccount(b.pack, &m.Account, &d.dict)
		if len(b.pack) > maxRecord {
			// A merge made it too large: keep the packed form it had.
			b.lost = append(b.lost, displayName(&m.Account)+": merged SPNs not kept: "+recordTooLarge)
			continue
		}
		*r = offRec{ref: d.ar.put(b.pack), nspn: uint32(len(m.SPNs)), enc: m.EncTypes, kind: uint8(m.Kind), flags: recFlags(&m.Account, m.full, m.attrs) | packed}
	}
	b.hot = nil
	d.recs = trim(d.recs)
	if garbage > 0 && garbage*4 > d.ar.size {
		// Merges left much replaced text behind: copy the live records.
		var ar recArena
		for i := range d.recs {
			d.recs[i].ref = ar.put(d.ar.get(d.recs[i].ref))
		}
		d.ar = ar
	}
	for i := range d.recs {
		if d.recs[i].nspn > 0 {
			d.holders++
		}
	}
	d.ldifAll = ldifComplete && b.ldif && d.truncated == ""
	if len(b.lost) > 0 {
		d.ldifAll = false
		d.truncated = fmt.Sprintf("%d account(s) not stored (%s)", len(b.lost), b.lost[0])
		for _, l := range b.lost {
			d.warnings = append(d.warnings, Warning{File: "offline directory", Message: l})
		}
	}
	d.desc = "offline evidence " + strings.Join(b.names, ", ")
	return d
}

// Warnings returns the parsers' warnings for all inputs.
func (d *OfflineDirectory) Warnings() []Warning { return d.warnings }

// account decodes account i into a fresh Account.
func (d *OfflineDirectory) account(i int32, buf *unpackBuf) Account {
	var a Account
	unpack(&d.recs[i], d.ar.get(d.recs[i].ref), &d.dict, &a, buf)
	return a
}

// head decodes the Name, SAMAccountName and DN of account i.
func (d *OfflineDirectory) head(i int32) Account {
	t, nName, nSAM, nDN, _ := appendHead(nil, d.recs[i].flags, d.ar.get(d.recs[i].ref), &d.dict)
	s := string(t)
	return Account{Name: s[:nName], SAMAccountName: s[nName : nName+nSAM], DN: s[nName+nSAM : nName+nSAM+nDN]}
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
	var buf unpackBuf
	h := d.hash
	// The accounts with an SPN of the same hash, decoded once each; those
	// holding the SPN itself are the answer.
	for _, i := range d.spns.get(h.lower(key)) {
		if a := d.account(i, &buf); holdsLower(&a, key, &h) {
			ans.Accounts = append(ans.Accounts, a)
		}
	}
	ans.Completeness = d.ownersCompleteness(key, spn, len(ans.Accounts))
	return ans, nil
}

// holdsLower reports whether a holds an SPN whose lower-case form is key;
// h is scratch space.
func holdsLower(a *Account, key string, h *hasher) bool {
	for _, s := range a.SPNs {
		if len(s) == len(key) || !textenc.IsASCII(s) {
			if h.buf = lowerASCII(h.buf, s); string(h.buf) == key {
				return true
			}
		}
	}
	return false
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
	var buf unpackBuf
	full := true
	for _, i := range d.candidates(name) {
		a := d.account(i, &buf)
		if accountMatches(&a, name) {
			ans.Accounts = append(ans.Accounts, a)
			full = full && d.recs[i].flags&recFull != 0
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
		h := d.hash
		for i := range d.recs {
			a := d.head(int32(i))
			if k := accountKey(&a); k != "" {
				d.names.add(h.lower(k), int32(i))
			}
		}
	})
	name = strings.TrimSpace(name)
	h := d.hash
	// The indexes give every account whose key shares a hash with name's;
	// keep those whose key is name's.
	lowName := strings.ToLower(name)
	var byDN []int32
	for _, i := range d.dns.get(h.lower(name)) {
		if strings.ToLower(d.head(i).DN) == lowName {
			byDN = append(byDN, i)
		}
	}
	if looksLikeDN(name) {
		return byDN
	}
	key := nameKey(name)
	var out []int32
	for _, i := range d.names.get(h.lower(key)) {
		if a := d.head(i); accountKey(&a) == key {
			out = append(out, i)
		}
	}
	// accountMatches also takes the DN as written, whatever its shape.
	for _, i := range byDN {
		if !slices.Contains(out, i) {
			out = append(out, i)
		}
	}
	return out
}

// accountKey is the nameKey under which a is found: its sAMAccountName,
// else the name's, else its CN, lower-cased, without a trailing "$".
func accountKey(a *Account) string {
	key := a.SAMAccountName
	if key == "" {
		_, key = splitAccountName(a.Name)
	}
	if key == "" {
		key = cnFromDN(a.DN)
	}
	return strings.TrimSuffix(strings.ToLower(key), "$")
}

// Scan implements [Directory]; it is complete only with a complete LDIF
// export. The *Account passed to fn is reused.
func (d *OfflineDirectory) Scan(ctx context.Context, fn func(a *Account) error) (Completeness, error) {
	var a Account
	var buf unpackBuf
	for i := range d.recs {
		if err := ctx.Err(); err != nil {
			return Completeness{Reason: "scan cancelled"}, &IncompleteError{Reason: "offline scan cancelled", Err: err}
		}
		if d.recs[i].nspn == 0 {
			continue
		}
		unpack(&d.recs[i], d.ar.get(d.recs[i].ref), &d.dict, &a, &buf)
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
	// Candidates are the accounts of every hash that two or more accounts
	// share. Each is decoded once (a duplicate per key would decode an
	// account holding 20,000 duplicated SPNs 20,000 times), and its SPNs
	// with a shared hash are grouped by the SPN itself: two SPNs may share
	// a hash without being equal.
	shared := make(map[uint32]bool, len(d.spns.more))
	var ids []int32
	d.spns.shared(func(h uint32, first int32, more []int32) {
		shared[h] = true
		ids = append(append(ids, first), more...)
	})
	slices.Sort(ids)
	ids = slices.Compact(ids)
	type group struct {
		spn string  // as the first holder spells it
		ids []int32 // holders, in account order
	}
	groups := map[string]*group{}
	var order []string
	var buf unpackBuf
	var a Account
	h := d.hash
	for n, id := range ids {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, Completeness{Reason: "duplicate search cancelled"}, &IncompleteError{Reason: "offline duplicate search cancelled", Err: err}
			}
		}
		unpack(&d.recs[id], d.ar.get(d.recs[id].ref), &d.dict, &a, &buf)
		for _, s := range a.SPNs {
			if !shared[h.lower(s)] {
				continue
			}
			low := string(h.buf)
			g := groups[low]
			if g == nil {
				g = &group{spn: strings.Clone(s)}
				groups[low] = g
				order = append(order, low)
			}
			if len(g.ids) == 0 || g.ids[len(g.ids)-1] != id {
				g.ids = append(g.ids, id)
			}
		}
	}
	var out []Duplicate
	for _, low := range order {
		g := groups[low]
		if len(g.ids) < 2 {
			continue
		}
		dup := Duplicate{SPN: cmp.Or(spelling[low], g.spn)}
		var dns []string
		for _, id := range g.ids {
			a := d.head(id)
			dup.Owners = append(dup.Owners, displayName(&a))
			dns = append(dns, a.DN)
		}
		// Distinct accounts with the same name (the same CN in two
		// domains) are told apart by DN. Names are compared folded
		// (upper then lower case, as strings.EqualFold compares), in a
		// map: an SPN on 50,000 accounts must not compare every pair.
		same := make(map[string]int, len(dup.Owners))
		for _, o := range dup.Owners {
			same[foldName(o)]++
		}
		for i, o := range dup.Owners {
			if same[foldName(o)] > 1 && dns[i] != "" {
				dup.Owners[i] = dns[i]
			}
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
	comp, err := scanOutcome(d, "duplicate search", d.holders, d.scanCompleteness(), nil)
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
