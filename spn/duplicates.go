package spn

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sort"
	"strings"
)

// Duplicate is an SPN held by more than one account. Kerberos then cannot
// tell which account's key to use: the KDC answers KDC_ERR_PRINCIPAL_NOT_UNIQUE
// or issues tickets the service cannot decrypt (KDC event 11).
type Duplicate struct {
	// SPN as registered on one of the owners.
	SPN string `json:"spn"`
	// Owners names every holder (DOMAIN\sam, or the DN when the name is
	// unknown), in the order the source returned them.
	Owners []string `json:"owners"`
}

// DuplicateFinder is implemented by directories that can answer the
// duplicate question better than a full scan (the offline directory trusts a
// complete setspn -X run). [Duplicates] uses it when present;
// [AuditDirectory] asks it only when its own scan is incomplete.
type DuplicateFinder interface {
	FindDuplicates(ctx context.Context) ([]Duplicate, Completeness, error)
}

// Duplicates returns every SPN held by two or more accounts, compared
// case-insensitively, sorted by SPN. It streams dir.Scan: memory grows with
// the number of distinct SPNs (one 16-byte map slot each: 96 bits of hash
// and an owner number; owner names are packed in one buffer), not with the
// size of the accounts: about 85 MiB for 2.5 million SPNs.
//
// When the scan is cut short or the directory cannot see every SPN holder,
// the duplicates found so far are returned (each is real) with an incomplete
// Completeness and an error matching [ErrIncomplete]: an empty list is never
// presented as "no duplicates" unless the answer is complete.
func Duplicates(ctx context.Context, dir Directory) ([]Duplicate, Completeness, error) {
	if f, ok := dir.(DuplicateFinder); ok {
		return f.FindDuplicates(ctx)
	}
	idx := newDupIndex()
	comp, err := dir.Scan(ctx, func(a *Account) error {
		idx.add(a)
		return nil
	})
	comp, err = scanOutcome(dir, "duplicate scan", idx.accounts, comp, err)
	return idx.result(), comp, err
}

// scanOutcome states honestly how a scan of dir (named what in messages)
// ended after seeing accounts accounts: a failed scan is never complete and
// its error matches [ErrIncomplete]; a partial scan without an error gets
// one.
func scanOutcome(dir Directory, what string, accounts int, comp Completeness, err error) (Completeness, error) {
	if err != nil {
		if comp.Complete || comp.Reason == "" {
			comp = Completeness{Reason: "the directory scan failed: " + err.Error()}
		}
		if !errors.Is(err, ErrIncomplete) {
			err = &IncompleteError{Reason: fmt.Sprintf("%s of %s cut short after %d accounts", what, dir.Describe(), accounts), Err: err}
		}
		return comp, err
	}
	if !comp.Complete {
		return comp, &IncompleteError{Reason: fmt.Sprintf("%s of %s is partial: %s", what, dir.Describe(), comp.Reason)}
	}
	return comp, nil
}

// dupIndex finds duplicates in one pass with memory proportional to the
// distinct SPNs. Each lower-cased SPN is reduced to 96 bits of two seeded
// maphash values (a false match among 2.5M SPNs has a probability near
// 10^-16): the first 64 bits are the map key, the value packs 32 more bits
// with the number of the SPN's first owner - 16 bytes a slot. Only SPNs seen
// on a second account get entries in more and orig. Owner names live in one
// byte arena, so an account costs its name's bytes plus four.
type dupIndex struct {
	seed1, seed2 maphash.Seed
	first        map[uint64]uint64           // hash1 -> hash2<<32 | first owner id
	more         map[spnHash][]uint32        // full hash -> further owner ids (duplicates only)
	orig         map[spnHash]string          // full hash -> SPN as registered (duplicates only)
	coll         map[spnHash]uint32          // full hash -> first owner, for 64-bit key collisions
	names        map[spnHash]map[string]bool // folded owner names of long lists (see holds)
	arena        []byte                      // owner names, concatenated
	offs         []uint32                    // owner id -> end offset of its name in arena
	buf          []byte
	accounts     int
}

// spnHash is the 96-bit identity of an SPN: hash1 and the top half of hash2.
type spnHash struct {
	h1 uint64
	h2 uint32
}

func newDupIndex() *dupIndex {
	return &dupIndex{seed1: maphash.MakeSeed(), seed2: maphash.MakeSeed(),
		first: map[uint64]uint64{}, more: map[spnHash][]uint32{}, orig: map[spnHash]string{}}
}

// name returns the owner name with the given id.
func (x *dupIndex) name(id uint32) string {
	start := uint32(0)
	if id > 0 {
		start = x.offs[id-1]
	}
	return string(x.arena[start:x.offs[id]])
}

func (x *dupIndex) add(a *Account) {
	x.accounts++
	if len(a.SPNs) == 0 {
		return
	}
	x.arena = append(x.arena, displayName(a)...)
	id := uint32(len(x.offs))
	x.offs = append(x.offs, uint32(len(x.arena)))
	for _, s := range a.SPNs {
		x.buf = lowerASCII(x.buf, s)
		h := spnHash{maphash.Bytes(x.seed1, x.buf), uint32(maphash.Bytes(x.seed2, x.buf) >> 32)}
		v, ok := x.first[h.h1]
		if !ok {
			x.first[h.h1] = uint64(h.h2)<<32 | uint64(id)
			continue
		}
		if uint32(v>>32) != h.h2 {
			// Same 64-bit key, different SPN: a 2^-64 event per pair. Keep
			// it exact by tracking this SPN under its full hash in more.
			x.collide(h, id, s)
			continue
		}
		prev := uint32(v)
		if prev == id || strings.EqualFold(x.name(prev), x.name(id)) {
			continue // the same account (listed twice, or the SPN in two cases)
		}
		if !x.holds(h, id) {
			if len(x.more[h]) == 0 {
				x.orig[h] = strings.Clone(s)
			}
			x.more[h] = append(x.more[h], id)
		}
	}
}

// holds reports whether one of the further owners of h is id or has its
// name. A long list is searched through a set of folded names: an SPN on
// 50,000 accounts must not compare every pair.
func (x *dupIndex) holds(h spnHash, id uint32) bool {
	m := x.more[h]
	if len(m) < 16 {
		for _, o := range m {
			if o == id || strings.EqualFold(x.name(o), x.name(id)) {
				return true
			}
		}
		return false
	}
	set := x.names[h]
	if set == nil {
		if x.names == nil {
			x.names = map[spnHash]map[string]bool{}
		}
		set = make(map[string]bool, 2*len(m))
		for _, o := range m {
			set[foldName(x.name(o))] = true
		}
		x.names[h] = set
	}
	k := foldName(x.name(id))
	if set[k] {
		return true
	}
	set[k] = true // the caller adds id
	return false
}

// foldName is the form under which names that strings.EqualFold finds
// equal are (practically always) equal.
func foldName(s string) string { return strings.ToLower(strings.ToUpper(s)) }

// collisions holds SPNs whose first 64 hash bits collide with another SPN's:
// full hash -> first owner id. Practically always empty.
func (x *dupIndex) collide(h spnHash, id uint32, s string) {
	if x.coll == nil {
		x.coll = map[spnHash]uint32{}
	}
	prev, ok := x.coll[h]
	if !ok {
		x.coll[h] = id
		x.orig[h] = strings.Clone(s)
		return
	}
	if prev == id || strings.EqualFold(x.name(prev), x.name(id)) {
		return
	}
	if !x.holds(h, id) {
		x.more[h] = append(x.more[h], id)
	}
}

// firstOf returns the first owner of the SPN with full hash h.
func (x *dupIndex) firstOf(h spnHash) (uint32, bool) {
	if id, ok := x.coll[h]; ok {
		return id, true
	}
	v, ok := x.first[h.h1]
	if !ok || uint32(v>>32) != h.h2 {
		return 0, false
	}
	return uint32(v), true
}

func (x *dupIndex) result() []Duplicate {
	if len(x.more) == 0 {
		return nil
	}
	out := make([]Duplicate, 0, len(x.more))
	for h, others := range x.more {
		first, ok := x.firstOf(h)
		if !ok {
			continue // a collision entry with a single owner
		}
		d := Duplicate{SPN: x.orig[h], Owners: []string{x.name(first)}}
		for _, o := range others {
			d.Owners = append(d.Owners, x.name(o))
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].SPN) < strings.ToLower(out[j].SPN) })
	return out
}
