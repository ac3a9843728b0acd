package spn

import (
	"context"
	"strings"
)

// Audit is the result of one pass over every SPN holder of a directory.
type Audit struct {
	// Duplicates are SPNs held by two or more accounts (see [Duplicates]).
	Duplicates []Duplicate
	// DuplicatesCompleteness says whether Duplicates is the full set (a
	// finished setspn -X can prove it even when the scan is partial).
	DuplicatesCompleteness Completeness
	// Malformed has one Malformed verdict per malformed value and holder
	// (at most AuditOptions.Limit, in scan order; MalformedCount counts
	// them all).
	Malformed []Verdict
	// RC4Only has one RC4Only verdict per account that allows only RC4, or
	// (Assumed) whose source read msDS-SupportedEncryptionTypes and found
	// none. Accounts whose attribute the source did not read are never
	// here: see EncTypesUnknown. It holds at most AuditOptions.Limit
	// verdicts with Assumed false and as many with Assumed true, each the
	// first ones found in scan order: an account without the attribute is
	// common (every classic service account), and a forest can have
	// hundreds of thousands. RC4OnlyCount and RC4OnlyAssumedCount count
	// them all.
	RC4Only []Verdict
	// EncTypesUnknown names (as in [Account.Name]) the accounts, within
	// AuditOptions.RC4Classes, whose msDS-SupportedEncryptionTypes the
	// source did not read (Account.EncTypesUnknown: setspn output, an LDIF
	// export that did not request it), in scan order, at most
	// AuditOptions.Limit of them (EncTypesUnknownCount counts them all).
	// Whether they are RC4-only is not verified: callers should say so and
	// ask for the attribute (ldifde -l ...,msDS-SupportedEncryptionTypes, or
	// LDAP).
	EncTypesUnknown []string
	// MalformedCount, RC4OnlyCount (Assumed false), RC4OnlyAssumedCount
	// (Assumed true) and EncTypesUnknownCount are the exact numbers found,
	// also when the lists above were cut at AuditOptions.Limit.
	MalformedCount, RC4OnlyCount, RC4OnlyAssumedCount, EncTypesUnknownCount int
	// Truncated is true when any of Malformed, RC4Only and EncTypesUnknown
	// holds fewer entries than its count.
	Truncated bool
	// Accounts and SPNs count what the scan saw.
	Accounts, SPNs int
	// Completeness is false when the scan did not see every SPN holder
	// (Malformed and RC4Only may then miss accounts).
	Completeness
}

// AuditOptions limits what AuditDirectory collects besides duplicates.
type AuditOptions struct {
	// MalformedClasses limits Malformed to values of these service classes
	// (case-insensitive, e.g. "HTTP", "HOST"); nil means all.
	MalformedClasses []string
	// RC4Classes limits RC4Only and EncTypesUnknown to accounts holding an
	// SPN of these classes; nil means all.
	RC4Classes []string
	// Limit caps how many entries each list of the Audit keeps (RC4Only:
	// Limit with Assumed false plus Limit with Assumed true); the counts
	// stay exact. 0 means DefaultAuditLimit; a negative Limit keeps
	// everything (memory then grows with the forest: about 1 KB per
	// RC4-only account).
	Limit int
}

// DefaultAuditLimit is the AuditOptions.Limit used when it is 0. Whole
// forests can hold hundreds of thousands of service accounts without
// msDS-SupportedEncryptionTypes; a report lists a handful and counts the
// rest.
const DefaultAuditLimit = 1000

// AuditDirectory scans dir once and collects duplicates, malformed SPNs,
// RC4-only accounts and accounts whose encryption types are not known,
// limited as opts says. No RC4 conclusion is drawn for an account whose
// msDS-SupportedEncryptionTypes the source did not read. Duplicates are always every
// duplicate the directory can see. When the scan is complete its
// duplicates are the answer and the directory is read only once. When it
// is not, a directory implementing [DuplicateFinder] is asked as well: it
// may know more (a finished setspn -X run proves the duplicate set; the
// LDAP duplicate scan reads only two attributes, so it gets past an entry
// the full scan cannot decode), and its answer replaces the scan's. An
// [*OfflineDirectory] is always asked (its answer is in memory and is the
// union of all its evidence), so AuditDirectory and [Duplicates] agree.
//
// When the scan was cut short or the directory is partial, the partial audit
// is returned with an error matching [ErrIncomplete]; check
// DuplicatesCompleteness and Completeness to see which parts are proven.
func AuditDirectory(ctx context.Context, dir Directory, opts AuditOptions) (*Audit, error) {
	wanted := func(classes []string, class string) bool {
		if classes == nil {
			return true
		}
		for _, c := range classes {
			if strings.EqualFold(c, class) {
				return true
			}
		}
		return false
	}
	limit := opts.Limit
	switch {
	case limit == 0:
		limit = DefaultAuditLimit
	case limit < 0:
		limit = int(^uint(0) >> 1)
	}
	au := &Audit{}
	_, offline := dir.(*OfflineDirectory)
	var idx *dupIndex
	if !offline {
		// The offline directory's own index answers below, exactly and
		// without a second copy of every SPN.
		idx = newDupIndex()
	}
	comp, err := dir.Scan(ctx, func(a *Account) error {
		au.Accounts++
		au.SPNs += len(a.SPNs)
		if idx != nil {
			idx.add(a)
		}
		rc4 := false
		for _, s := range a.SPNs {
			class, _, _ := strings.Cut(strings.TrimSpace(s), "/")
			rc4 = rc4 || wanted(opts.RC4Classes, class)
			if !wanted(opts.MalformedClasses, class) {
				continue
			}
			if _, ok := MalformedVerdict(s, displayName(a)); ok {
				au.MalformedCount++
				if len(au.Malformed) < limit {
					// again from copies: the source's strings may share
					// one buffer per entry, which a verdict must not pin
					name := strings.Clone(displayName(a))
					v, _ := MalformedVerdict(strings.Clone(s), name)
					v.Account = name
					au.Malformed = append(au.Malformed, v)
				}
			}
		}
		switch {
		case !rc4:
		case a.EncTypesUnknown && !a.EncTypesSet:
			au.EncTypesUnknownCount++
			if len(au.EncTypesUnknown) < limit {
				// a copy: the source's strings may share one buffer per entry
				au.EncTypesUnknown = append(au.EncTypesUnknown, strings.Clone(displayName(a)))
			}
		default:
			// RC4Verdict's test, without building the verdict for an
			// account that will only be counted
			e, assumed := a.EffectiveEncTypes()
			if !e.RC4Only() {
				break
			}
			kept := &au.RC4OnlyCount
			if assumed {
				kept = &au.RC4OnlyAssumedCount
			}
			*kept++
			if *kept > limit {
				break
			}
			if v, ok := RC4Verdict(a); ok {
				v.Account = strings.Clone(v.Account)
				v.Owners = []string{v.Account}
				au.RC4Only = append(au.RC4Only, v)
			}
		}
		return nil
	})
	au.Truncated = len(au.Malformed) < au.MalformedCount || len(au.RC4Only) < au.RC4OnlyCount+au.RC4OnlyAssumedCount ||
		len(au.EncTypesUnknown) < au.EncTypesUnknownCount
	comp, err = scanOutcome(dir, "scan", au.Accounts, comp, err)
	au.Completeness = comp
	for i := range au.Malformed {
		au.Malformed[i].Completeness = comp
	}
	for i := range au.RC4Only {
		au.RC4Only[i].Completeness = Completeness{Complete: true}
	}
	if idx != nil {
		au.Duplicates, au.DuplicatesCompleteness = idx.result(), comp
	}
	if df, ok := dir.(DuplicateFinder); ok && (!comp.Complete || offline) {
		// err is already set: the scan's error stays the one returned.
		au.Duplicates, au.DuplicatesCompleteness, _ = df.FindDuplicates(ctx)
	}
	return au, err
}
