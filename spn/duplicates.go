package spn

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Duplicate is an SPN held by more than one account. Kerberos then cannot
// tell which account's key to use: the KDC answers KDC_ERR_PRINCIPAL_NOT_UNIQUE
// or issues tickets the service cannot decrypt (KDC event 11).
type Duplicate struct {
	// SPN as registered on one of the owners.
	SPN string
	// Owners names every holder (DOMAIN\sam, or the DN when the name is
	// unknown), in the order the source returned them.
	Owners []string
}

// DuplicateFinder is implemented by directories that can answer the
// duplicate question better than a full scan (the offline directory trusts a
// complete setspn -X run). [Duplicates] uses it when present.
type DuplicateFinder interface {
	FindDuplicates(ctx context.Context) ([]Duplicate, Completeness, error)
}

// Duplicates returns every SPN held by two or more accounts, compared
// case-insensitively, sorted by SPN. It streams dir.Scan: memory grows with
// the number of distinct SPNs (one map entry each, with a small owner number;
// account names are interned), not with the number of accounts.
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
	dups := idx.result()
	if err != nil {
		if comp.Complete || comp.Reason == "" {
			comp = Completeness{Reason: "the directory scan failed: " + err.Error()}
		}
		if !errors.Is(err, ErrIncomplete) {
			err = &IncompleteError{Reason: fmt.Sprintf("duplicate scan of %s cut short after %d accounts", dir.Describe(), idx.accounts), Err: err}
		}
		return dups, comp, err
	}
	if !comp.Complete {
		return dups, comp, &IncompleteError{Reason: fmt.Sprintf("duplicate scan of %s is partial: %s", dir.Describe(), comp.Reason)}
	}
	return dups, comp, nil
}

// dupIndex finds duplicates in one pass with memory proportional to the
// distinct SPNs: first maps a lower-case SPN to the id of its first owner;
// only SPNs seen on a second account get an entry in more.
type dupIndex struct {
	names    []string          // interned owner names by id
	ids      map[string]uint32 // owner name -> id
	first    map[string]uint32 // lower-case SPN -> first owner id
	more     map[string][]uint32
	orig     map[string]string // lower-case SPN -> SPN as registered (duplicates only)
	buf      []byte
	accounts int
}

func newDupIndex() *dupIndex {
	return &dupIndex{ids: map[string]uint32{}, first: map[string]uint32{}, more: map[string][]uint32{}, orig: map[string]string{}}
}

func (x *dupIndex) intern(a *Account) uint32 {
	name := displayName(a)
	if id, ok := x.ids[name]; ok {
		return id
	}
	name = strings.Clone(name)
	id := uint32(len(x.names))
	x.names = append(x.names, name)
	x.ids[name] = id
	return id
}

func (x *dupIndex) add(a *Account) {
	x.accounts++
	if len(a.SPNs) == 0 {
		return
	}
	id := x.intern(a)
	for _, s := range a.SPNs {
		x.buf = lowerASCII(x.buf, s)
		prev, ok := x.first[string(x.buf)]
		if !ok {
			x.first[string(x.buf)] = id
			continue
		}
		if prev == id {
			continue
		}
		m := x.more[string(x.buf)]
		seen := false
		for _, o := range m {
			if o == id {
				seen = true
				break
			}
		}
		if !seen {
			key := string(x.buf)
			if len(m) == 0 {
				x.orig[key] = strings.Clone(s)
			}
			x.more[key] = append(m, id)
		}
	}
}

func (x *dupIndex) result() []Duplicate {
	if len(x.more) == 0 {
		return nil
	}
	out := make([]Duplicate, 0, len(x.more))
	for key, others := range x.more {
		d := Duplicate{SPN: x.orig[key], Owners: []string{x.names[x.first[key]]}}
		for _, o := range others {
			d.Owners = append(d.Owners, x.names[o])
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].SPN) < strings.ToLower(out[j].SPN) })
	return out
}
