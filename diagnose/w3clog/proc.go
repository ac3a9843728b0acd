package w3clog

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// maxLine is the longest line (without its newline) the analyzer reads; a
// longer line is skipped with a warning. IIS lines are far shorter.
const maxLine = 64 << 10

// gacc accumulates one group.
type gacc struct {
	uri, ip, user string
	status, sub   int
	win32         uint32
	win32Logged   bool
	hs            bool
	unanswered    bool
	count         int64
	first, last   int64 // unix seconds
	hasTime       bool
	file          string
	line          int64  // first occurrence
	order         int    // file order within an Analyzer
	folded        bool   // groups not kept individually (Options.MaxGroups)
	hash          uint64 // keyHash of the group key (Bloom filter of evictions)
}

// tally is what processing one file (or one chunk of it) produced.
type tally struct {
	lines      int64
	requests   int64
	status     [600]int64
	otherCode  int64
	n401       int64
	hs         int64
	failed     int64
	groups     map[string]*gacc
	kept       int          // groups not folded
	evicted    *bloom       // keys of groups folded after being kept; nil: none
	sorted     []keyedGroup // groups in file order, set by proc.finish
	kbuf       []byte
	warns      []Warning
	nwarn      int64
	directives int64
	unread     int64    // data lines not read (each has a warning)
	assumed    int64    // requests read with a layout assumed (no #Fields)
	assumedLay []string // distinct assumed layouts, in order of first use
}

// addAssumed records a layout assumed for lines without #Fields.
func (t *tally) addAssumed(fields string) {
	for _, f := range t.assumedLay {
		if f == fields {
			return
		}
	}
	t.assumedLay = append(t.assumedLay, fields)
}

func newTally() *tally { return &tally{groups: make(map[string]*gacc)} }

// pendLeg is an NTLM challenge leg (401 1 SEC_E_NO_CREDENTIALS) waiting to
// see whether the same client's next request to the same URI succeeds.
type pendLeg struct {
	key           string
	uri, ip, user string
	win32         uint32
	ts            int64
	hasTime       bool
	line          int64
	done          bool
}

// proc classifies lines. The streaming path feeds it every line of a file;
// the parallel path uses one per chunk.
type proc struct {
	t         *tally
	file      string
	order     int
	window    int64
	maxWarns  int
	maxGroups int

	ln          int64 // line number of the current line (file- or chunk-relative)
	speculative bool  // chunk with a guessed initial layout: no FormatError
	lay         *layout
	prefixData  bool // a data line was seen before the first #Fields (chunks)
	sawFields   bool
	begun       bool         // a non-empty line was seen (FormatError only before)
	guess       *knownLayout // layout of the last line read without #Fields
	guessed     bool         // lay is guess.lay, not a #Fields directive
	fbuf        [][]byte     // fields of a line without #Fields
	lookahead   bool         // past the chunk end: only resolve pending legs
	final       bool         // the current line is the file's last and has no "\n"
	sp          []int32      // offsets of the first fn spaces of the current line
	fn          int
	rsp         [backFields]int32 // offsets of its last spaces, the last one first
	rn          int               // how many of rsp are known
	kbuf        []byte
	pend        map[string]int
	queue       []pendLeg
	qhead       int
	err         error
}

func newProc(file string, order int, o *Options, initial *layout) *proc {
	p := &proc{
		t:         newTally(),
		file:      file,
		order:     order,
		window:    int64(o.HandshakeWindow),
		maxWarns:  o.MaxWarnings,
		maxGroups: o.MaxGroups,
		pend:      make(map[string]int),
	}
	p.setLayout(initial)
	return p
}

func (p *proc) setLayout(l *layout) {
	p.lay = l
	if l != nil && len(p.sp) < l.n {
		p.sp = make([]int32, l.n)
	}
}

func (p *proc) warn(line int64, format string, args ...any) {
	if p.lookahead {
		return
	}
	p.t.nwarn++
	if len(p.t.warns) < p.maxWarns {
		p.t.warns = append(p.t.warns, Warning{File: p.file, Line: line, Message: fmt.Sprintf(format, args...)})
	}
}

// unreadLine reports a data line that is not read.
func (p *proc) unreadLine(line int64, format string, args ...any) {
	if p.lookahead {
		return
	}
	p.t.unread++
	p.warn(line, format, args...)
}

// tooLong accounts for a line longer than maxLine.
func (p *proc) tooLong() {
	p.ln++
	if !p.lookahead {
		p.t.lines++
	}
	p.unreadLine(p.ln, "line longer than %d bytes skipped", maxLine)
}

// lastLine processes the file's last line when it does not end in "\n"
// (see "Truncated files" in the package doc).
func (p *proc) lastLine(b []byte) {
	p.final = true
	p.line(b)
	p.final = false
}

// unterminatedMsg is the warning for a last line without line terminator.
const unterminatedMsg = "last line has no line terminator (file truncated?)"

// line processes one line without its newline.
func (p *proc) line(b []byte) {
	p.ln++
	ln := p.ln
	if !p.lookahead {
		p.t.lines++
	}
	// A last line that still has its "\r" lost only the "\n" of its CRLF:
	// its content is complete.
	cut := p.final
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
		cut = false
	}
	// IIS writes no blanks around a line, but pasted excerpts have them
	// (documentation pages end lines with two spaces, page extraction
	// indents them): #Fields ignores them, so data lines do too.
	if n := len(b); n > 0 && (b[n-1] == ' ' || b[n-1] == '\t') {
		b = bytes.TrimRight(b, " \t")
	}
	if len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = bytes.TrimLeft(b, " \t")
	}
	if len(b) == 0 {
		return
	}
	if b[0] == '#' {
		if cut {
			p.warn(ln, "%s", unterminatedMsg)
		}
		p.directive(b, ln)
		return
	}
	if p.window > 0 && p.qhead < len(p.queue) {
		p.expire(ln)
	}
	l := p.lay
	if !p.sawFields {
		if l == nil || p.guessed {
			if l = p.headerless(b, ln); l == nil {
				return
			}
		} else {
			p.prefixData = true
		}
	}
	// Count the fields; they are located only as far as the classifier
	// reads them: on most lines the status fields near the end (see
	// bounds).
	p.fn, p.rn = 0, 0
	if nf := bytes.Count(b, []byte{' '}) + 1; nf != l.n {
		p.mismatch(b, ln, nf, cut)
		return
	}
	if cut {
		// Its last field may be cut short ("2148074254" -> "21480") and
		// nothing tells: unless the classifier does not read that field,
		// the line is not counted as a request at all.
		if l.lastUsed {
			p.unreadLine(ln, "%s: not classified, its last field may be cut short", unterminatedMsg)
			return
		}
		p.warn(ln, "%s: classified, as only its last field (%s, not used) can be cut short", unterminatedMsg, l.names[l.n-1])
	}
	st, stOK := p.num(b, kStatus)
	if p.lookahead {
		if p.qhead < len(p.queue) && stOK && (st != 401 || p.validTime(b)) {
			p.resolve(b, st)
		}
		return
	}
	// The 401s are what conclusions are drawn from: one whose date or
	// time is not one (a documentation template, "DateTime IP ...") is
	// not read. Other lines' timestamps are not parsed (fast path).
	var ts int64
	var hasTS bool
	if stOK && st == 401 {
		var valid bool
		if ts, hasTS, valid = p.timestamp(b); !valid {
			p.unreadLine(ln, "401 line whose date %q or time %q is not a W3C date and time (YYYY-MM-DD hh:mm:ss): a template with placeholders? not read",
				p.field(b, kDate), p.field(b, kTime))
			return
		}
	}
	p.t.requests++
	if p.guessed {
		p.t.assumed++
	}
	if !stOK {
		if l.idx[kStatus] >= 0 {
			p.warn(ln, "sc-status %q is not a number", p.field(b, kStatus))
		}
		return
	}
	if st < int64(len(p.t.status)) {
		p.t.status[st]++
	} else {
		p.t.otherCode++
	}
	sub, subOK := p.num(b, kSubStatus)
	w32, w32OK := p.num(b, kWin32)
	if !subOK {
		if f := p.field(b, kSubStatus); f != nil {
			p.warn(ln, "sc-substatus %q is not a number: taken as not logged", f)
		}
	}
	if !w32OK {
		if f := p.field(b, kWin32); f != nil {
			p.warn(ln, "sc-win32-status %q is not a 32-bit unsigned number: taken as not logged", f)
		}
	}
	leg := st == 401 && subOK && sub == 1 && w32OK && uint32(w32) == SecENoCredentials
	if p.qhead < len(p.queue) {
		p.resolve(b, st)
	}
	if st != 401 {
		return
	}
	p.t.n401++
	if !subOK {
		sub = -1
	}
	switch {
	case subOK && sub == 2 && w32OK && w32 == 5:
		p.t.hs++
		p.add(b, ln, st, sub, uint32(w32), true, true, false, ts, hasTS)
	case leg:
		p.addPending(b, ln, ts, hasTS)
	default:
		p.t.failed++
		p.add(b, ln, st, sub, uint32(w32), w32OK, false, false, ts, hasTS)
	}
}

// spacesFrom stores the offsets of the spaces of b from offset from in
// pos[n:], until pos holds need of them or b ends, and returns the new
// count. It reads 8 bytes at a time and stops at the last field the
// classifier reads (the long user agent after the client address is never
// scanned for a pending-leg lookup).
func spacesFrom(b []byte, from int, pos []int32, n, need int) int {
	const (
		blanks = 0x2020202020202020
		low7   = 0x7f7f7f7f7f7f7f7f
	)
	need = min(need, len(pos))
	i := from
	for ; i+8 <= len(b) && n < need; i += 8 {
		x := binary.LittleEndian.Uint64(b[i:]) ^ blanks
		// The high bit of each byte that was a space (exact: no carry
		// crosses bytes).
		for t := ^((x&low7 + low7) | x | low7); t != 0 && n < need; t &= t - 1 {
			pos[n] = int32(i + bits.TrailingZeros64(t)>>3)
			n++
		}
	}
	for ; i < len(b) && n < need; i++ {
		if b[i] == ' ' {
			pos[n] = int32(i)
			n++
		}
	}
	return n
}

// mismatch reports a data line whose field count differs from #Fields.
func (p *proc) mismatch(b []byte, ln int64, nf int, cut bool) {
	l := p.lay
	if cut {
		p.unreadLine(ln, "line has %d fields, #Fields declares %d; %s: not classified", nf, l.n, unterminatedMsg)
		return
	}
	hint := "truncated or garbled"
	first := b
	if i := bytes.IndexByte(b, ' '); i >= 0 {
		first = b[:i]
	}
	if l.idx[kDate] == 0 && !isDate(first) {
		hint = fmt.Sprintf("its first field %q is not a date: a template line with placeholders, or part of a line wrapped over several lines", first)
	} else if l.idx[kDate] == 0 && nf < l.n {
		hint = "truncated, garbled, or the start of a line wrapped over several lines"
	}
	p.unreadLine(ln, "line has %d fields, #Fields declares %d (%s): not read", nf, l.n, hint)
}

// field returns the bytes of a known field, or nil when the layout lacks it
// or the value is "-".
func (p *proc) field(b []byte, k int) []byte {
	l := p.lay
	i := l.idx[k]
	if i < 0 {
		return nil
	}
	start, end := p.bounds(b, i)
	f := b[start:end]
	if len(f) == 1 && f[0] == '-' {
		return nil
	}
	return f
}

// bounds returns where field i of the current line b starts and ends. A
// field in the last half of the line, a few fields from its end (the
// status fields of every IIS layout), is found by scanning back from the
// end; any other by scanning forward to it. Both scans are kept for the
// line's other fields.
func (p *proc) bounds(b []byte, i int) (start, end int) {
	n := p.lay.n
	start, end = 0, len(b)
	// Field i ends at the d-th space from the end and starts after the
	// (d+1)-th (rsp[d-1] and rsp[d]). Only the last fields are looked for
	// from the end: the user agent and referer, long and in the middle,
	// are between the client address and the status.
	need := min(i+1, n-1)
	if d := n - 1 - i; p.fn < need && d < backFields && d < (n-1)/2 {
		for p.rn <= d {
			from := len(b)
			if p.rn > 0 {
				from = int(p.rsp[p.rn-1])
			}
			p.rsp[p.rn] = int32(bytes.LastIndexByte(b[:from], ' '))
			p.rn++
		}
		if d > 0 {
			end = int(p.rsp[d-1])
		}
		if i > 0 {
			start = int(p.rsp[d]) + 1
		}
		return start, end
	}
	if p.fn < need {
		from := 0
		if p.fn > 0 {
			from = int(p.sp[p.fn-1]) + 1
		}
		p.fn = spacesFrom(b, from, p.sp[:n-1], p.fn, need)
	}
	if i > 0 {
		start = int(p.sp[i-1]) + 1
	}
	if i < n-1 {
		end = int(p.sp[i])
	}
	return start, end
}

// backFields is how many fields from the end bounds looks for backwards:
// the status, substatus, win32 status and time taken of IIS's layouts.
const backFields = 4

// num parses a known numeric field.
func (p *proc) num(b []byte, k int) (int64, bool) {
	f := p.field(b, k)
	if len(f) == 0 || len(f) > 10 {
		return 0, false
	}
	var v int64
	for _, c := range f {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if v > 0xFFFFFFFF {
		return 0, false
	}
	return v, true
}

// timestamp returns the request time from the date and time fields. has
// is false when either is not logged; valid is false when a logged one is
// not a W3C date (YYYY-MM-DD) or time (hh:mm:ss).
func (p *proc) timestamp(b []byte) (ts int64, has, valid bool) {
	d, t := p.field(b, kDate), p.field(b, kTime)
	switch {
	case d != nil && t != nil:
		ts, ok := parseTimestamp(d, t)
		return ts, ok, ok
	case d != nil:
		return 0, false, isDate(d)
	case t != nil:
		return 0, false, isTime(t)
	}
	return 0, false, true
}

// validTime reports whether the line's date and time, where logged, are
// W3C dates and times.
func (p *proc) validTime(b []byte) bool {
	_, _, ok := p.timestamp(b)
	return ok
}

// add counts a 401 into its group.
func (p *proc) add(b []byte, ln int64, st, sub int64, w32 uint32, w32OK, hs, unanswered bool, ts int64, hasTS bool) {
	uri, ip, user := p.field(b, kURI), p.field(b, kClientIP), p.field(b, kUser)
	if hs {
		// Handshake groups are per URI only: client and user add nothing
		// but cardinality (the anonymous leg has no user).
		ip, user = nil, nil
	}
	p.addGroup(uri, ip, user, int(st), int(sub), w32, w32OK, hs, unanswered, ts, hasTS, ln)
}

// folded is the URI, client and user of the groups that hold the 401s of
// groups not kept individually (see Options.MaxGroups).
const folded = "*"

// Bits of a group key's flags byte.
const (
	flagHandshake  = 1
	flagUnanswered = 2
	flagWin32      = 4
	flagFolded     = 8
)

func groupFlags(hs, unanswered, w32OK bool) byte {
	var flags byte
	if hs {
		flags |= flagHandshake
	}
	if unanswered {
		flags |= flagUnanswered
	}
	if w32OK {
		flags |= flagWin32
	}
	return flags
}

// keyHead is the length of a group key before its URI.
const keyHead = 13

func appendGroupKey(k []byte, flags byte, st, sub int, w32 uint32, uri, ip, user []byte) []byte {
	k = append(k, flags)
	k = binary.LittleEndian.AppendUint32(k, uint32(st))
	k = binary.LittleEndian.AppendUint32(k, uint32(int32(sub)))
	k = binary.LittleEndian.AppendUint32(k, w32)
	k = append(k, uri...)
	k = append(k, 0)
	k = append(k, ip...)
	k = append(k, 0)
	return append(k, user...)
}

func (p *proc) addGroup(uri, ip, user []byte, st, sub int, w32 uint32, w32OK, hs, unanswered bool, ts int64, hasTS bool, ln int64) {
	flags := groupFlags(hs, unanswered, w32OK)
	p.kbuf = appendGroupKey(p.kbuf[:0], flags, st, sub, w32, uri, ip, user)
	if g := p.t.groups[string(p.kbuf)]; g != nil {
		if hasTS {
			if !g.hasTime {
				g.first, g.last, g.hasTime = ts, ts, true
			} else if ts < g.first {
				g.first = ts
			} else if ts > g.last {
				g.last = ts
			}
		}
		if ln < g.line {
			g.line = ln
		}
		g.count++
		return
	}
	g := &gacc{status: st, sub: sub, win32: w32, win32Logged: w32OK, hs: hs, unanswered: unanswered,
		file: p.file, line: ln, order: p.order, first: ts, last: ts, hasTime: hasTS, count: 1}
	g.hash = keyHash(p.kbuf)
	if p.t.evicted.has(g.hash) {
		p.t.fold(g)
		return
	}
	// One allocation: URI, client and user are substrings of the key.
	k := string(p.kbuf)
	i := keyHead + len(uri)
	j := i + 1 + len(ip)
	g.uri, g.ip, g.user = k[keyHead:i], k[i+1:j], k[j+1:]
	p.t.insert(k, g, p.maxGroups)
}

// insert adds the group g, new to t, under key k; when t already keeps
// limit groups, the least frequent half of them is folded first (see
// evict).
func (t *tally) insert(k string, g *gacc, limit int) {
	if t.evicted.has(g.hash) {
		t.fold(g)
		return
	}
	if t.kept >= limit {
		t.evict(limit)
	}
	t.groups[k] = g
	t.kept++
}

// fold adds g to the folded group of its status, substatus, win32 status
// and kind.
func (t *tally) fold(g *gacc) {
	f := []byte(folded)
	flags := groupFlags(g.hs, g.unanswered, g.win32Logged) | flagFolded
	t.kbuf = appendGroupKey(t.kbuf[:0], flags, g.status, g.sub, g.win32, f, f, f)
	e := t.groups[string(t.kbuf)]
	if e == nil {
		c := *g
		c.uri, c.ip, c.user, c.folded = folded, folded, folded, true
		t.groups[string(t.kbuf)] = &c
		return
	}
	e.mergeFrom(g)
}

// evict folds the least frequent half of the groups kept (the latest
// first among equal counts), so that memory stays bounded however many
// groups a log has while the frequent ones keep exact counts: an evicted
// key is remembered in a Bloom filter, and its later requests are folded
// too, never counted again in a group of its own (a false positive of the
// filter only folds a group that could have been kept).
func (t *tally) evict(limit int) {
	n := min(t.kept, max(1, limit/2))
	// The count at which the half ends, from a histogram of counts.
	var hist [64]int
	for _, g := range t.groups {
		if !g.folded {
			hist[min(g.count, int64(len(hist)-1))]++
		}
	}
	c, below := int64(0), 0
	for ; below+hist[c] < n; c++ {
		below += hist[c]
	}
	var last []keyedGroup // the groups with count c (or more when c is the last bucket)
	for k, g := range t.groups {
		switch {
		case g.folded:
		case g.count < c:
			t.evictKey(k, g)
		case g.count == c || (c == int64(len(hist)-1) && g.count > c):
			last = append(last, keyedGroup{k, g})
		}
	}
	slices.SortFunc(last, func(a, b keyedGroup) int {
		if a.g.count != b.g.count {
			return cmp.Compare(a.g.count, b.g.count)
		}
		if a.g.order != b.g.order {
			return cmp.Compare(b.g.order, a.g.order)
		}
		if a.g.line != b.g.line {
			return cmp.Compare(b.g.line, a.g.line)
		}
		return strings.Compare(b.k, a.k)
	})
	for _, e := range last[:n-below] {
		t.evictKey(e.k, e.g)
	}
}

func (t *tally) evictKey(k string, g *gacc) {
	if t.evicted == nil {
		t.evicted = newBloom()
	}
	delete(t.groups, k)
	t.kept--
	t.evicted.set(g.hash)
	t.fold(g)
}

// mergeFrom adds the counts, times and first occurrence of g to e.
func (e *gacc) mergeFrom(g *gacc) {
	e.count += g.count
	if g.hasTime {
		if !e.hasTime {
			e.first, e.last, e.hasTime = g.first, g.last, true
		} else {
			e.first = min(e.first, g.first)
			e.last = max(e.last, g.last)
		}
	}
	if g.order < e.order || (g.order == e.order && g.line < e.line) {
		e.file, e.line, e.order = g.file, g.line, g.order
	}
}

// bloomBits is the size of the filter of evicted group keys: 1 MiB, a
// few percent false positives after a million evictions. It is blocked:
// the three bits of a key are in one 64-byte block (one cache miss).
const bloomBits = 1 << 23

type bloom struct{ bits []uint64 }

func newBloom() *bloom { return &bloom{bits: make([]uint64, bloomBits/64)} }

// at returns the block of h (8 words) and its three bit positions.
func (b *bloom) at(h uint64) (blk []uint64, x1, x2, x3 uint64) {
	i := (h & (bloomBits/512 - 1)) * 8
	return b.bits[i : i+8 : i+8], (h >> 32) & 511, (h >> 41) & 511, (h >> 50) & 511
}

func (b *bloom) set(h uint64) {
	blk, x1, x2, x3 := b.at(h)
	blk[x1>>6] |= 1 << (x1 & 63)
	blk[x2>>6] |= 1 << (x2 & 63)
	blk[x3>>6] |= 1 << (x3 & 63)
}

func (b *bloom) test(h uint64) bool {
	blk, x1, x2, x3 := b.at(h)
	return blk[x1>>6]&(1<<(x1&63)) != 0 && blk[x2>>6]&(1<<(x2&63)) != 0 && blk[x3>>6]&(1<<(x3&63)) != 0
}

func (b *bloom) has(h uint64) bool { return b != nil && b.test(h) }

// keyHash hashes 8 bytes at a time with a final mix: deterministic, so
// that which groups are kept does not change from run to run.
func keyHash(k []byte) uint64 {
	const m = 0x9e3779b97f4a7c15
	h := uint64(len(k)) * m
	i := 0
	for ; i+8 <= len(k); i += 8 {
		w := uint64(k[i]) | uint64(k[i+1])<<8 | uint64(k[i+2])<<16 | uint64(k[i+3])<<24 |
			uint64(k[i+4])<<32 | uint64(k[i+5])<<40 | uint64(k[i+6])<<48 | uint64(k[i+7])<<56
		h = (h ^ w) * m
		h ^= h >> 29
	}
	var w uint64
	for j := i; j < len(k); j++ {
		w |= uint64(k[j]) << (8 * (j - i))
	}
	h = (h ^ w) * m
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	return h ^ h>>33
}

func (b *bloom) or(o *bloom) {
	for i, w := range o.bits {
		b.bits[i] |= w
	}
}

func (p *proc) pendKey(b []byte) []byte {
	k := p.kbuf[:0]
	k = append(k, p.field(b, kClientIP)...)
	k = append(k, 0)
	k = append(k, p.field(b, kURI)...)
	p.kbuf = k
	return k
}

func (p *proc) addPending(b []byte, ln int64, ts int64, hasTS bool) {
	key := string(p.pendKey(b))
	w32, _ := p.num(b, kWin32)
	p.pend[key] = len(p.queue)
	// Client and URI are substrings of the key (one allocation).
	ip := len(p.field(b, kClientIP))
	p.queue = append(p.queue, pendLeg{key: key, uri: key[ip+1:], ip: key[:ip],
		user: string(p.field(b, kUser)), win32: uint32(w32), ts: ts, hasTime: hasTS, line: ln})
}

// resolve settles the pending leg of this line's client and URI, if any:
// a following success (status below 400) completes the handshake, anything
// else leaves the challenge unanswered. The caller adds a new leg after.
func (p *proc) resolve(b []byte, st int64) {
	qi, ok := p.pend[string(p.pendKey(b))]
	if !ok {
		return
	}
	p.settle(qi, st < 400)
}

func (p *proc) settle(qi int, success bool) {
	e := &p.queue[qi]
	if e.done {
		return
	}
	e.done = true
	delete(p.pend, e.key)
	if success {
		p.t.hs++
		p.addGroup([]byte(e.uri), nil, nil, 401, 1, e.win32, true, true, false, e.ts, e.hasTime, e.line)
	} else {
		// Unanswered legs keep client and user: they point at a client
		// whose handshake broke.
		p.t.failed++
		p.addGroup([]byte(e.uri), []byte(e.ip), []byte(e.user), 401, 1, e.win32, true, false, true, e.ts, e.hasTime, e.line)
	}
}

// expire settles legs older than the handshake window as unanswered.
func (p *proc) expire(ln int64) {
	for p.qhead < len(p.queue) {
		e := &p.queue[p.qhead]
		if !e.done && ln-e.line <= p.window {
			return
		}
		if !e.done {
			p.settle(p.qhead, false)
		}
		p.qhead++
	}
	p.compact()
}

// compact drops settled entries at the head of the queue.
func (p *proc) compact() {
	for p.qhead < len(p.queue) && p.queue[p.qhead].done {
		p.qhead++
	}
	if p.qhead == len(p.queue) {
		p.queue = p.queue[:0]
		p.qhead = 0
		return
	}
	if p.qhead > 1024 && p.qhead*2 > len(p.queue) {
		n := copy(p.queue, p.queue[p.qhead:])
		p.queue = p.queue[:n]
		p.qhead = 0
		for i := range p.queue {
			if !p.queue[i].done {
				p.pend[p.queue[i].key] = i
			}
		}
	}
}

// finish settles every pending leg (end of file) as unanswered.
func (p *proc) finish() {
	for i := p.qhead; i < len(p.queue); i++ {
		if !p.queue[i].done {
			p.settle(i, false)
		}
	}
	p.queue, p.qhead = p.queue[:0], 0
	p.t.sortGroups()
}

// keyedGroup is a group with its key.
type keyedGroup struct {
	k string
	g *gacc
}

// sortGroups lists the groups in file order (order, line, key) in
// t.sorted: the order in which merge adds them when it may evict (sorted
// by the worker, not by the goroutine that merges).
func (t *tally) sortGroups() {
	t.sorted = make([]keyedGroup, 0, len(t.groups))
	for k, g := range t.groups {
		t.sorted = append(t.sorted, keyedGroup{k, g})
	}
	slices.SortFunc(t.sorted, func(a, b keyedGroup) int {
		if a.g.order != b.g.order {
			return cmp.Compare(a.g.order, b.g.order)
		}
		if a.g.line != b.g.line {
			return cmp.Compare(a.g.line, b.g.line)
		}
		return strings.Compare(a.k, b.k)
	})
}

func (p *proc) directive(b []byte, ln int64) {
	p.begun = true
	if !p.lookahead {
		p.t.directives++
	}
	const fields = "#Fields:"
	if len(b) >= len(fields) && strings.EqualFold(string(b[:len(fields)]), fields) {
		l := parseFields(b[len(fields):])
		if l == nil {
			p.warn(ln, "#Fields directive names no field")
			return
		}
		if l.idx[kStatus] < 0 {
			p.warn(ln, "#Fields has no sc-status: requests under it are counted but not classified")
		}
		if p.lay.equal(l) {
			l = p.lay
		}
		p.sawFields = true
		p.guessed = false
		p.setLayout(l)
	}
}

// parseTimestamp converts W3C date (YYYY-MM-DD) and time (hh:mm:ss, UTC)
// to Unix seconds without allocating.
func parseTimestamp(d, t []byte) (int64, bool) {
	if len(d) != 10 || d[4] != '-' || d[7] != '-' || len(t) < 8 || t[2] != ':' || t[5] != ':' {
		return 0, false
	}
	y, ok1 := digits(d[0:4])
	mo, ok2 := digits(d[5:7])
	dd, ok3 := digits(d[8:10])
	h, ok4 := digits(t[0:2])
	mi, ok5 := digits(t[3:5])
	s, ok6 := digits(t[6:8])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || dd < 1 || dd > 31 || h > 23 || mi > 59 || s > 60 {
		return 0, false
	}
	// Days from civil (Howard Hinnant's algorithm).
	if mo <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	m := mo
	if m > 2 {
		m -= 3
	} else {
		m += 9
	}
	doy := (153*m+2)/5 + dd - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	days := era*146097 + doe - 719468
	return days*86400 + h*3600 + mi*60 + s, true
}

func digits(b []byte) (int64, bool) {
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	return v, true
}
