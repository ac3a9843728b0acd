package spn

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"math"
	"slices"
	"strings"
)

// The offline directory holds whole ldifde exports: 500,000 accounts with
// 2.5 million SPNs took 1.4 GiB as Go structs (a string header, a map slot
// and a lower-cased copy per SPN). It now keeps each account as one packed
// record in byte chunks and its indexes as hash tables of integers, which
// the garbage collector does not scan (about 100 MiB for that export):
//
//   - a record is the name (without the sAMAccountName it ends with), the
//     sAMAccountName and the DN (its parent OU numbered in a dictionary, its
//     RDN left out when it is "CN=" and the sAMAccountName), then the SPNs
//     (see packAccount): the service class numbered, the rest front-coded
//     against the previous SPN's, a remaining DNS suffix numbered. An
//     account's SPNs repeat its host ("HOST/web01", "HOST/web01.corp...",
//     "RestrictedKrbHost/web01"), so most of their bytes are not stored;
//   - the scalar attributes and flags sit beside the record in offRec;
//   - an index maps a 32-bit hash of a lower-cased key to the accounts that
//     have a key with that hash. A hash match is only a candidate: every
//     answer is checked against the decoded text, so two keys that share a
//     hash cost a comparison, never a wrong answer.

// chunkSize is the size of a record arena's chunks; a larger record gets a
// chunk of its own.
const chunkSize = 1 << 20

// maxRecord is the largest packed account a record arena can address.
const maxRecord = math.MaxUint32

// recordTooLarge says why an account whose packed form passes maxRecord is
// not stored.
const recordTooLarge = "account holds more SPN text than the offline directory can address (4 GiB)"

// recArena is append-only storage for packed records (a rollback truncates
// it). Decoding copies: no string refers to its bytes.
type recArena struct {
	chunks [][]byte
	size   int // bytes written, including records that were replaced
}

// recRef locates a record in a record arena.
type recRef struct{ chunk, off, n uint32 }

func (ar *recArena) put(b []byte) recRef {
	last := len(ar.chunks) - 1
	if last < 0 || cap(ar.chunks[last])-len(ar.chunks[last]) < len(b) {
		ar.chunks = append(ar.chunks, make([]byte, 0, max(chunkSize, len(b))))
		last++
	}
	off := len(ar.chunks[last])
	ar.chunks[last] = append(ar.chunks[last], b...)
	ar.size += len(b)
	return recRef{chunk: uint32(last), off: uint32(off), n: uint32(len(b))}
}

func (ar *recArena) get(r recRef) []byte {
	return ar.chunks[r.chunk][r.off : r.off+r.n : r.off+r.n]
}

// recArenaMark is a record arena position to roll back to.
type recArenaMark struct{ chunks, last, size int }

func (ar *recArena) mark() recArenaMark {
	m := recArenaMark{chunks: len(ar.chunks), size: ar.size}
	if m.chunks > 0 {
		m.last = len(ar.chunks[m.chunks-1])
	}
	return m
}

func (ar *recArena) rollback(m recArenaMark) {
	clear(ar.chunks[m.chunks:])
	ar.chunks = ar.chunks[:m.chunks]
	if m.chunks > 0 {
		ar.chunks[m.chunks-1] = ar.chunks[m.chunks-1][:m.last]
	}
	ar.size = m.size
}

// Flags of an offRec.
const (
	recDisabled = 1 << iota
	recEncSet
	recEncUnknown
	recFull     // the evidence lists all of the account's SPNs (-L, -Q, LDIF)
	recAttrs    // its attributes were read from a directory export (LDIF)
	recNameSAM  // the packed name is the part of Name before SAMAccountName
	recDNParent // the packed DN is its first RDN and a parent number
	recDNCN     // ... and that RDN, "CN=" + SAMAccountName without "$", is left out
)

// offRec is one account of the offline directory: the packed text and the
// scalar attributes.
type offRec struct {
	ref   recRef
	nspn  uint32
	enc   EncTypes
	kind  uint8
	flags uint8
}

// Bounds of the dictionaries of packDict: the OUs of a forest, the service
// classes and the DNS suffixes of its SPNs are few and shared by many
// accounts; past a bound the text is kept in the record.
const (
	maxParents  = 1 << 16
	maxClasses  = 1 << 12
	maxSuffixes = 1 << 16
)

// strDict numbers strings that many packed records share.
type strDict struct {
	names []string
	ids   map[string]uint32
}

// id returns the number of s, adding it while the dictionary has fewer
// than limit entries.
func (p *strDict) id(s string, limit int) (uint32, bool) {
	if id, ok := p.ids[s]; ok {
		return id, true
	}
	if len(p.names) >= limit {
		return 0, false
	}
	if p.ids == nil {
		p.ids = map[string]uint32{}
	}
	s = strings.Clone(s)
	p.ids[s] = uint32(len(p.names))
	p.names = append(p.names, s)
	return uint32(len(p.names) - 1), true
}

// packDict holds the dictionaries packed records refer to.
type packDict struct {
	parents  strDict // parent DNs ("OU=Servers,DC=corp,DC=example,DC=com")
	classes  strDict // SPN service classes ("HOST", "HTTP")
	suffixes strDict // what front coding leaves of an SPN: ".corp.example.com"
}

// cutRDN splits a DN at its first unescaped comma.
func cutRDN(dn string) (rdn, parent string, ok bool) {
	for i := 0; i < len(dn); i++ {
		switch dn[i] {
		case '\\':
			i++
		case ',':
			return dn[:i], dn[i+1:], true
		}
	}
	return dn, "", false
}

// packAccount appends a's packed text to buf[:0] and returns it with the
// flags that say how it was packed.
//
// Each SPN is a header uvarint (class code << 1 | suffix from the
// dictionary), the class when not in the dictionary, the bytes the part
// after "class/" shares with the previous SPN's, and the rest of it (a
// dictionary number or a string). Class codes: 0 no "/" in the SPN, 1 the
// class follows, 2+n class n of the dictionary.
func packAccount(buf []byte, a *Account, dict *packDict) ([]byte, uint8) {
	var flags uint8
	buf = buf[:0]
	name := a.Name
	if a.SAMAccountName != "" && strings.HasSuffix(name, a.SAMAccountName) {
		name, flags = name[:len(name)-len(a.SAMAccountName)], flags|recNameSAM
	}
	buf = appendString(buf, name)
	buf = appendString(buf, a.SAMAccountName)
	rdn, parent, ok := cutRDN(a.DN)
	var id uint32
	if ok = ok && parent != ""; ok {
		id, ok = dict.parents.id(parent, maxParents)
	}
	switch {
	case !ok:
		buf = appendString(buf, a.DN)
	case rdn == "CN="+strings.TrimSuffix(a.SAMAccountName, "$") && a.SAMAccountName != "":
		flags |= recDNParent | recDNCN
		buf = binary.AppendUvarint(buf, uint64(id))
	default:
		flags |= recDNParent
		buf = appendString(buf, rdn)
		buf = binary.AppendUvarint(buf, uint64(id))
	}
	prev, lastClass, lastCode := "", "", uint64(0)
	for _, s := range a.SPNs {
		class, rest, slash := strings.Cut(s, "/")
		code := uint64(0)
		switch {
		case !slash:
			rest = s
		case lastCode >= 2 && class == lastClass:
			code = lastCode
		default:
			code = 1
			if id, ok := dict.classes.id(class, maxClasses); ok {
				code = uint64(id) + 2
			}
			lastClass, lastCode = class, code
		}
		n := 0
		for n < len(prev) && n < len(rest) && prev[n] == rest[n] {
			n++
		}
		suffix := rest[n:]
		var sid uint32
		inDict := false
		if len(suffix) >= 4 && suffix[0] == '.' {
			sid, inDict = dict.suffixes.id(suffix, maxSuffixes)
		}
		h := code << 1
		if inDict {
			h |= 1
		}
		buf = binary.AppendUvarint(buf, h)
		if code == 1 {
			buf = appendString(buf, class)
		}
		buf = binary.AppendUvarint(buf, uint64(n))
		if inDict {
			buf = binary.AppendUvarint(buf, uint64(sid))
		} else {
			buf = appendString(buf, suffix)
		}
		prev = rest
	}
	return buf, flags
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// nextField returns the length-prefixed field at the start of b and the
// rest. The arena only holds what packAccount wrote, so the record is
// well formed.
func nextField(b []byte) (field, rest []byte) {
	n, k := binary.Uvarint(b)
	return b[k : k+int(n)], b[k+int(n):]
}

// unpackBuf is scratch space for unpack.
type unpackBuf struct {
	text []byte
	ends []int
}

// appendHead appends the Name, SAMAccountName and DN of a packed record to
// t, which must be empty (its capacity is reused), and returns the three
// lengths and the rest of the record.
func appendHead(t []byte, flags uint8, rec []byte, dict *packDict) (_ []byte, nName, nSAM, nDN int, rest []byte) {
	name, rest := nextField(rec)
	sam, rest := nextField(rest)
	t = append(t, name...)
	if flags&recNameSAM != 0 {
		t = append(t, sam...)
	}
	nName = len(t)
	t = append(t, sam...)
	nSAM = len(sam)
	start := len(t)
	if flags&recDNParent == 0 {
		var dn []byte
		dn, rest = nextField(rest)
		t = append(t, dn...)
	} else {
		if flags&recDNCN != 0 {
			t = append(t, "CN="...)
			t = append(t, bytes.TrimSuffix(sam, []byte("$"))...)
		} else {
			var rdn []byte
			rdn, rest = nextField(rest)
			t = append(t, rdn...)
		}
		id, k := binary.Uvarint(rest)
		rest = rest[k:]
		t = append(t, ',')
		t = append(t, dict.parents.names[id]...)
	}
	return t, nName, nSAM, len(t) - start, rest
}

// unpack decodes record r into a, reusing a's SPN slice and buf; all the
// strings share one allocation.
func unpack(r *offRec, rec []byte, dict *packDict, a *Account, buf *unpackBuf) {
	t, nName, nSAM, nDN, rest := appendHead(buf.text[:0], r.flags, rec, dict)
	ends := buf.ends[:0]
	prev := len(t) // start of the previous SPN's part after "class/" in t
	for i := uint32(0); i < r.nspn; i++ {
		h, k := binary.Uvarint(rest)
		rest = rest[k:]
		switch code := h >> 1; {
		case code == 1:
			var class []byte
			class, rest = nextField(rest)
			t = append(append(t, class...), '/')
		case code >= 2:
			t = append(append(t, dict.classes.names[code-2]...), '/')
		}
		start := len(t)
		shared, k := binary.Uvarint(rest)
		rest = rest[k:]
		t = append(t, t[prev:prev+int(shared)]...)
		if h&1 != 0 {
			sid, k := binary.Uvarint(rest)
			rest = rest[k:]
			t = append(t, dict.suffixes.names[sid]...)
		} else {
			var suffix []byte
			suffix, rest = nextField(rest)
			t = append(t, suffix...)
		}
		ends = append(ends, len(t))
		prev = start
	}
	s := string(t)
	buf.text, buf.ends = t, ends
	*a = Account{
		Name:           s[:nName],
		SAMAccountName: s[nName : nName+nSAM],
		DN:             s[nName+nSAM : nName+nSAM+nDN],
		Kind:           AccountKind(r.kind),
		Disabled:       r.flags&recDisabled != 0,
		EncTypes:       r.enc,
		EncTypesSet:    r.flags&recEncSet != 0,
		SPNs:           a.SPNs[:0],
	}
	a.EncTypesUnknown = r.flags&recEncUnknown != 0
	start := nName + nSAM + nDN
	for _, e := range ends {
		a.SPNs = append(a.SPNs, s[start:e])
		start = e
	}
}

// hashIndex maps 32-bit key hashes to the ids (account numbers) that have a
// key with that hash. It is an open addressing table whose
// slots hold the hash beside the key's first id, so a probe reads
// consecutive memory and a key costs 8 bytes; the rare further ids are in a
// map. An index can be marked and rolled back to the mark (an LDIF file
// that fails half-way leaves no trace).
type hashIndex struct {
	slots []uint64           // hash<<32 | first id+1; 0 is empty
	n     int                // keys
	more  map[uint32][]int32 // hash -> further ids

	marked bool
	mrecs  int32          // ids below this existed at the mark
	mnew   []uint32       // keys made since the mark whose first id is below mrecs
	mmore  map[uint32]int // hash -> len(more[hash]) at the mark
}

// find returns the slot of hash h, or the empty slot where it would go.
func (x *hashIndex) find(h uint32) (int, bool) {
	if len(x.slots) == 0 {
		return -1, false
	}
	mask := uint32(len(x.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := x.slots[i]
		if s == 0 {
			return int(i), false
		}
		if uint32(s>>32) == h {
			return int(i), true
		}
	}
}

// add records id under hash h.
func (x *hashIndex) add(h uint32, id int32) {
	i, ok := x.find(h)
	if !ok {
		if (x.n+1)*4 > len(x.slots)*3 {
			x.rehash(max(1024, 2*len(x.slots)), func(uint32, int32) bool { return true })
			i, _ = x.find(h)
		}
		x.slots[i] = uint64(h)<<32 | uint64(uint32(id)+1)
		x.n++
		if x.marked && id < x.mrecs {
			x.mnew = append(x.mnew, h)
		}
		return
	}
	if int32(uint32(x.slots[i])-1) == id {
		return
	}
	m := x.more[h]
	if n := len(m); n > 0 && m[n-1] == id {
		return
	}
	// An id may still repeat further back (merges add SPNs to earlier
	// accounts in any order): readers sort and compact (get), as a scan
	// here would make a long list quadratic.
	if x.more == nil {
		x.more = map[uint32][]int32{}
	}
	if x.marked {
		if _, ok := x.mmore[h]; !ok {
			x.mmore[h] = len(m)
		}
	}
	x.more[h] = append(m, id)
}

// rehash moves the keys that keep accepts into a table of n slots.
func (x *hashIndex) rehash(n int, keep func(h uint32, first int32) bool) {
	old := x.slots
	x.slots, x.n = make([]uint64, n), 0
	for _, s := range old {
		if s == 0 {
			continue
		}
		h := uint32(s >> 32)
		if !keep(h, int32(uint32(s)-1)) {
			continue
		}
		i, _ := x.find(h)
		x.slots[i] = s
		x.n++
	}
}

// get returns the ids recorded under h, sorted, each once.
func (x *hashIndex) get(h uint32) []int32 {
	i, ok := x.find(h)
	if !ok {
		return nil
	}
	out := append([]int32{int32(uint32(x.slots[i]) - 1)}, x.more[h]...)
	slices.Sort(out)
	return slices.Compact(out)
}

// shared calls fn with the hash and ids of every key that has more than
// one id.
func (x *hashIndex) shared(fn func(h uint32, first int32, more []int32)) {
	for h, m := range x.more {
		if i, ok := x.find(h); ok {
			fn(h, int32(uint32(x.slots[i])-1), m)
		}
	}
}

// mark starts recording what to undo; ids from recs up are new.
func (x *hashIndex) mark(recs int32) {
	x.marked, x.mrecs, x.mnew, x.mmore = true, recs, nil, map[uint32]int{}
}

func (x *hashIndex) unmark() { x.marked, x.mnew, x.mmore = false, nil, nil }

// rollback forgets every key and id added since mark.
func (x *hashIndex) rollback() {
	for h, n := range x.mmore {
		if n == 0 {
			delete(x.more, h)
		} else {
			x.more[h] = x.more[h][:n]
		}
	}
	made := make(map[uint32]bool, len(x.mnew))
	for _, h := range x.mnew {
		made[h] = true
	}
	x.rehash(len(x.slots), func(h uint32, first int32) bool {
		if first >= x.mrecs || made[h] {
			delete(x.more, h)
			return false
		}
		return true
	})
	x.unmark()
}

// hasher hashes lower-cased keys with one seed per directory. mask keeps
// only some bits of each hash: all of them, except in tests that force
// shared hashes.
type hasher struct {
	seed maphash.Seed
	mask uint32
	buf  []byte
}

// lower returns the hash of strings.ToLower(s) and leaves that form in
// h.buf. 32 bits are enough: a shared hash costs a comparison with the
// decoded text, never a wrong answer (2.5 million SPNs give a few hundred
// shared hashes).
func (h *hasher) lower(s string) uint32 {
	h.buf = lowerASCII(h.buf, s)
	return uint32(maphash.Bytes(h.seed, h.buf)) & h.mask
}

// trim returns s in a backing array of its own length when growing left
// much spare capacity.
func trim[S ~[]E, E any](s S) S {
	if cap(s)-len(s) <= len(s)/8 {
		return s
	}
	return slices.Clone(s)
}
