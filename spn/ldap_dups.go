package spn

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"runtime"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/go-ldap/ldap/v3"
)

var _ DuplicateFinder = (*LDAPDirectory)(nil)

// dupAttrs is all a duplicate scan needs from each SPN holder.
var dupAttrs = []string{attrSAM, attrSPN}

// FindDuplicates scans every SPN holder, like [Duplicates] over Scan, but
// reads only sAMAccountName and servicePrincipalName and keeps its index
// free of Go pointers: each distinct SPN costs its lower-case bytes plus 5
// in an arena and an 8-byte hash-table slot (at most 4 in 3 slots used), and
// each account its name in another arena, so the garbage collector never has
// to trace millions of strings. Entries come from the lean reader and make
// no garbage; the comparison is exact (keys byte for byte, not hashes).
// [Duplicates] calls it automatically for an *LDAPDirectory.
//
// As with Duplicates, a scan cut short returns the duplicates seen so far
// (each is real) with an incomplete Completeness and an error matching
// [ErrIncomplete].
func (d *LDAPDirectory) FindDuplicates(ctx context.Context) ([]Duplicate, Completeness, error) {
	return d.ScanDuplicates(ctx, nil)
}

// ScanDuplicates is FindDuplicates with a progress callback, called from the
// scanning goroutine after every 1000 accounts with the accounts and SPNs
// seen so far (nil: no callback).
func (d *LDAPDirectory) ScanDuplicates(ctx context.Context, progress func(accounts, spns int)) ([]Duplicate, Completeness, error) {
	// No GC ballast here (unlike Scan): the index itself soon makes the live
	// heap large enough, and measured CPU was the same with 30 MB more RSS.
	x := newSPNIndex()
	var key, name []byte
	var accounts, spnCount int
	c, err := d.scanEntries(ctx, "duplicate scan", d.base, ldap.ScopeWholeSubtree, "("+attrSPN+"=*)", dupAttrs,
		func(e *rawEntry) error {
			var sam, spns [][]byte
			for i := range e.attrs {
				at := &e.attrs[i]
				switch {
				case bytes.EqualFold(at.name, bAttrSPN):
					spns = e.values(at)
				case bytes.EqualFold(at.name, bAttrSAM) && at.end > at.first:
					sam = e.values(at)
				}
			}
			if len(spns) == 0 {
				return nil
			}
			accounts++
			spnCount += len(spns)
			if progress != nil && accounts%1000 == 0 {
				progress(accounts, spnCount)
			}
			var samV []byte
			if sam != nil {
				samV = sam[0]
			}
			name = d.appendOwnerName(name[:0], e.dn, samV)
			owner := x.addOwner(name)
			for _, s := range spns {
				key = foldKey(key[:0], s)
				x.add(key, owner, s)
			}
			return nil
		})
	if progress != nil {
		progress(accounts, spnCount)
	}
	dups := x.result()
	if err == nil && x.err != nil {
		c = Completeness{Reason: "duplicate index full: " + x.err.Error()}
		err = &IncompleteError{Reason: "duplicate scan of " + d.Describe() + " stopped", Err: x.err}
	}
	if err != nil {
		if !errors.Is(err, ErrIncomplete) {
			err = &IncompleteError{Reason: "duplicate scan of " + d.Describe() + " cut short", Err: err}
		}
		if c.Reason == "" {
			c = Completeness{Reason: err.Error()}
		}
		return dups, c, err
	}
	return dups, c, nil
}

// appendOwnerName appends "DOMAIN\sam" for an entry to dst (the CN when
// sAMAccountName is missing).
func (d *LDAPDirectory) appendOwnerName(dst, dn, sam []byte) []byte {
	dom := d.domain
	if d.gc || dom == "" {
		dom = d.domainOfBytes(dn)
	}
	if dom != "" {
		dst = append(append(dst, dom...), '\\')
	}
	if len(sam) == 0 {
		return append(dst, cnFromDN(string(dn))...)
	}
	return append(dst, sam...)
}

// foldKey appends the case-folded form of s to dst: ASCII letters lowered in
// place, anything else through strings.ToLower (rare in SPNs).
func foldKey(dst, s []byte) []byte {
	for _, c := range s {
		if c >= utf8.RuneSelf {
			return append(dst, strings.ToLower(string(s))...)
		}
	}
	for _, c := range s {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// arena stores byte strings in 1 MiB chunks, each string prefixed by its
// uvarint length and an optional fixed-size header (the first hdr bytes of
// the stored value); a reference is chunk<<20 | offset. Chunks hold no
// pointers.
type arena struct {
	chunks [][]byte
}

const (
	arenaChunkBits = 20
	arenaChunk     = 1 << arenaChunkBits
	arenaMaxChunks = 1 << (32 - arenaChunkBits)
)

// errArenaFull is returned when an arena would exceed 4 GiB.
var errArenaFull = errors.New("spn: duplicate index exceeds 4 GiB")

// add stores hdr followed by b and returns its reference.
func (a *arena) add(hdr, b []byte) (uint32, error) {
	need := len(hdr) + len(b) + binary.MaxVarintLen32
	n := len(a.chunks)
	if n == 0 || len(a.chunks[n-1])+need > cap(a.chunks[n-1]) {
		if n >= arenaMaxChunks {
			return 0, errArenaFull
		}
		size := arenaChunk
		if need > size {
			// an oversized value gets a chunk of its own; only offset 0 of
			// it is ever referenced
			size = need
		}
		a.chunks = append(a.chunks, make([]byte, 0, size))
		n++
	}
	c := a.chunks[n-1]
	off := len(c)
	c = binary.AppendUvarint(c, uint64(len(b)))
	c = append(append(c, hdr...), b...)
	a.chunks[n-1] = c
	return uint32(n-1)<<arenaChunkBits | uint32(off), nil
}

// get returns the value at ref, after a header of hdr bytes, and the header.
func (a *arena) get(ref uint32, hdr int) (value, header []byte) {
	c := a.chunks[ref>>arenaChunkBits]
	off := int(ref & (arenaChunk - 1))
	n, k := binary.Uvarint(c[off:])
	off += k
	return c[off+hdr : off+hdr+int(n)], c[off : off+hdr]
}

// spnSlot is one open-addressing hash-table slot: ref+1 of the key in the
// key arena (0 = empty) and the key's 32-bit hash. The key's first owner is
// stored in the arena in front of the key (8 bytes a slot rather than 12:
// at 2.5 million SPNs the table has 4 million slots).
type spnSlot struct {
	ref, hash uint32
}

// dupOwners records the holders of an SPN once a second one is seen.
type dupOwners struct {
	spelling string // the SPN as registered on the second holder
	first    uint32
	others   []uint32
}

// spnIndex maps case-folded SPNs to their first owner, with a side table
// for the (few) duplicated ones. It is exact: keys are compared byte for
// byte, hashes only pick the slot.
type spnIndex struct {
	seed   maphash.Seed
	slots  []spnSlot
	used   int
	keys   arena // per key: uvarint length, first owner (4 bytes LE), key
	names  arena
	owners []uint32 // owner id -> ref of its name in names
	dups   map[uint32]*dupOwners
	err    error
}

func newSPNIndex() *spnIndex {
	return &spnIndex{seed: maphash.MakeSeed(), slots: make([]spnSlot, 1<<16), dups: map[uint32]*dupOwners{}}
}

func (x *spnIndex) addOwner(name []byte) uint32 {
	ref, err := x.names.add(nil, name)
	if err != nil && x.err == nil {
		x.err = err
	}
	x.owners = append(x.owners, ref)
	return uint32(len(x.owners) - 1)
}

func (x *spnIndex) add(key []byte, owner uint32, spelling []byte) {
	h := uint32(maphash.Bytes(x.seed, key))
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.ref == 0 {
			var hdr [4]byte
			binary.LittleEndian.PutUint32(hdr[:], owner)
			ref, err := x.keys.add(hdr[:], key)
			if err != nil {
				if x.err == nil {
					x.err = err
				}
				return
			}
			*s = spnSlot{ref: ref + 1, hash: h}
			x.used++
			if x.used*4 > len(x.slots)*3 {
				x.grow()
			}
			return
		}
		if s.hash != h {
			continue
		}
		k, hdr := x.keys.get(s.ref-1, 4)
		if !bytes.Equal(k, key) {
			continue
		}
		first := binary.LittleEndian.Uint32(hdr)
		if first == owner {
			return
		}
		d := x.dups[s.ref]
		if d == nil {
			d = &dupOwners{spelling: string(spelling), first: first}
			x.dups[s.ref] = d
		}
		// Owners are numbered in scan order, so a repeat (the SPN twice
		// on one entry) is the last one: no search, which made an SPN on
		// 50,000 accounts quadratic.
		if n := len(d.others); n > 0 && d.others[n-1] == owner {
			return
		}
		d.others = append(d.others, owner)
		return
	}
}

// grow doubles the table. The old table becomes garbage at once; a large
// one is collected right away so that peak memory is the index, not the
// index plus every table it outgrew (the heap holds few pointers, so the
// collection is short).
func (x *spnIndex) grow() {
	old := x.slots
	x.slots = make([]spnSlot, 2*len(old))
	mask := uint32(len(x.slots) - 1)
	for _, s := range old {
		if s.ref == 0 {
			continue
		}
		i := s.hash & mask
		for x.slots[i].ref != 0 {
			i = (i + 1) & mask
		}
		x.slots[i] = s
	}
	if len(old) >= 1<<20 {
		runtime.GC()
	}
}

func (x *spnIndex) name(owner uint32) string {
	v, _ := x.names.get(x.owners[owner], 0)
	return string(v)
}

func (x *spnIndex) result() []Duplicate {
	if len(x.dups) == 0 {
		return nil
	}
	out := make([]Duplicate, 0, len(x.dups))
	for _, d := range x.dups {
		dup := Duplicate{SPN: d.spelling, Owners: []string{x.name(d.first)}}
		for _, o := range d.others {
			dup.Owners = append(dup.Owners, x.name(o))
		}
		out = append(out, dup)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].SPN) < strings.ToLower(out[j].SPN) })
	return out
}

// String summarises the index size (for benchmarks and debugging).
func (x *spnIndex) String() string {
	return fmt.Sprintf("%d SPNs, %d owners, %d duplicated, %d slots", x.used, len(x.owners), len(x.dups), len(x.slots))
}
