package spn

import (
	"bytes"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// ldapStream sits between the network connection (plain TCP, or the TLS
// connection of ldaps://) and go-ldap. It frames the LDAP messages go-ldap
// reads and passes them through unchanged, except for the SearchResultEntry
// messages of the one search a bulk scan has armed it for (a divert): those
// are copied in batches to the scanning goroutine, which decodes them with
// the lean reader of ber.go, and go-ldap never sees them. go-ldap still
// sends every request and receives the SearchResultDone (result code,
// paging cookie), referrals and everything else, so its error handling,
// controls and bind logic are unchanged; it only skips the per-entry
// packet trees that dominate a scan's CPU and garbage.
//
// The diverted search is recognised by its request: the first SearchRequest
// written after arming (LDAPDirectory.startSearch makes sure no other search
// request comes between; its baseObject is checked too). Only one divert is
// armed at a time; a concurrent second scan uses go-ldap's decoding.
//
// If the incoming bytes stop looking like LDAP messages (a SASL security
// layer, a message over maxLDAPMessage), the stream passes every further byte
// through unexamined and ends any divert, whose scan then reads go-ldap's
// entries as before.
type ldapStream struct {
	net.Conn

	// reader side (go-ldap's single reader goroutine)
	buf  []byte // read buffer: unread data is buf[r:w]
	r, w int
	pass []byte // the rest of the message go-ldap is reading
	raw  bool   // framing given up: pass bytes through as they come
	rerr error  // the network's read error, returned once buffered bytes are read

	div      atomic.Pointer[divert]
	lastRead atomic.Int64 // time of the last read that returned data (Unix ns)

	// closed is closed with the connection: go-ldap's reader may stop
	// reading without ever ending a divert, so a scan waits on this too.
	closed    chan struct{}
	closeOnce sync.Once

	free chan *entryBatch // consumed batches, for reuse by every search

	// written counts the SearchRequests written; sent receives a signal
	// after each (see LDAPDirectory.startSearch).
	written atomic.Int64
	sent    chan struct{}
}

// streamReadSize is the initial read buffer; it grows to the largest message.
const streamReadSize = 64 << 10

// batchSize is the size at which a batch of diverted entries is handed over
// (the last batch of a search is handed over with its SearchResultDone).
const batchSize = 64 << 10

func newLDAPStream(c net.Conn) *ldapStream {
	return &ldapStream{Conn: c, closed: make(chan struct{}), free: make(chan *entryBatch, 8), sent: make(chan struct{}, 1)}
}

// divert carries the entries of one search from the stream to the scan.
type divert struct {
	base []byte
	id   atomic.Int64 // message ID of the claimed request; -1 until claimed
	out  chan *entryBatch
	quit chan struct{} // closed by the scan when it stops listening
	cur  *entryBatch   // being filled (reader side only)
	done bool          // end sent (reader side only)
}

// entryBatch is a run of complete SearchResultEntry messages.
type entryBatch struct {
	buf []byte
	// end: no more entries for this search (its SearchResultDone, or the
	// stream's failure, reaches go-ldap right after).
	end bool
}

// arm prepares a divert for the next search with baseObject base, or
// returns nil when the stream cannot take one (another is active, or the
// framing was given up).
func (s *ldapStream) arm(base string) *divert {
	dv := &divert{base: []byte(base), out: make(chan *entryBatch, 4), quit: make(chan struct{})}
	dv.id.Store(-1)
	if !s.div.CompareAndSwap(nil, dv) {
		return nil
	}
	return dv
}

// disarm ends dv from the scan's side: the stream forgets it (later entries
// of its search go to go-ldap, which drops them) and stops sending.
func (s *ldapStream) disarm(dv *divert) {
	s.div.CompareAndSwap(dv, nil)
	close(dv.quit)
}

// recycle returns a consumed batch for reuse.
func (s *ldapStream) recycle(b *entryBatch) {
	b.buf, b.end = b.buf[:0], false
	select {
	case s.free <- b:
	default:
	}
}

// Write claims an armed divert for the search request it carries, and
// signals sent once a search request is written.
func (s *ldapStream) Write(p []byte) (int, error) {
	id, base, search := searchRequestBase(p)
	if dv := s.div.Load(); search && dv != nil && dv.id.Load() < 0 && id >= 0 && bytes.Equal(base, dv.base) {
		dv.id.Store(id)
	}
	n, err := s.Conn.Write(p)
	if search {
		s.written.Add(1)
		select {
		case s.sent <- struct{}{}:
		default:
		}
	}
	return n, err
}

// Close closes the connection and tells an active scan (see closed).
func (s *ldapStream) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	return s.Conn.Close()
}

// Read hands go-ldap the next bytes of the messages it is meant to see.
func (s *ldapStream) Read(p []byte) (int, error) {
	for len(s.pass) == 0 {
		if s.raw {
			if s.r < s.w {
				n := copy(p, s.buf[s.r:s.w])
				s.r += n
				return n, nil
			}
			if s.rerr != nil {
				return 0, s.rerr
			}
			return s.Conn.Read(p)
		}
		s.next()
	}
	n := copy(p, s.pass)
	s.pass = s.pass[n:]
	return n, nil
}

// next frames one message and routes it; it reads from the network when
// the buffer holds no complete message. On a read error it ends the divert
// and switches to pass-through, so go-ldap gets any partial message and
// then the error.
func (s *ldapStream) next() {
	for {
		need, complete, err := berFrame(s.buf[s.r:s.w])
		if err == nil && len(s.buf[s.r:s.w]) > 0 && s.buf[s.r] != 0x30 {
			err = errBERUnexpected
		}
		if err != nil {
			s.giveUp()
			return
		}
		if complete {
			msg := s.buf[s.r : s.r+need]
			s.r += need
			s.route(msg)
			return
		}
		if err := s.fill(need); err != nil {
			s.rerr = err
			s.giveUp()
			return
		}
	}
}

// giveUp stops framing: the rest of the stream passes through unexamined.
func (s *ldapStream) giveUp() {
	s.raw = true
	s.endDivert()
}

// fill reads more bytes, making room for a message of need bytes (0:
// unknown yet). Diverted entries are handed over only in full batches (and
// at the end of the search): a hand-over per network read cost more CPU in
// goroutine wake-ups than the decoding. The scan's watchdog therefore
// watches lastRead, not the entries it receives.
func (s *ldapStream) fill(need int) error {
	if s.rerr != nil {
		return s.rerr
	}
	if s.r == s.w {
		s.r, s.w = 0, 0
	}
	// room for the whole message from s.r, and for at least one byte more
	size := max(need, s.w-s.r+1, streamReadSize)
	switch {
	case len(s.buf) < size:
		nb := make([]byte, max(size, 2*len(s.buf)))
		s.w = copy(nb, s.buf[s.r:s.w])
		s.buf, s.r = nb, 0
	case len(s.buf)-s.r < size:
		s.w = copy(s.buf, s.buf[s.r:s.w])
		s.r = 0
	}
	n, err := s.Conn.Read(s.buf[s.w:])
	s.w += n
	if n > 0 {
		s.lastRead.Store(time.Now().UnixNano())
		s.rerr = err // nil, or returned by the next fill
		return nil
	}
	return err
}

// route passes msg to go-ldap or diverts it to the armed scan.
func (s *ldapStream) route(msg []byte) {
	dv := s.div.Load()
	if dv == nil || dv.done {
		s.pass = msg
		return
	}
	id := dv.id.Load()
	if id < 0 {
		s.pass = msg
		return
	}
	mid, op, _, err := ldapMessageHead(msg)
	if err != nil || mid != id {
		s.pass = msg
		return
	}
	switch op {
	case tagSearchResultEntry:
		if dv.cur == nil {
			dv.cur = s.batch()
		}
		dv.cur.buf = append(dv.cur.buf, msg...)
		if len(dv.cur.buf) >= batchSize {
			s.flush(dv, false)
		}
	case tagSearchResultDone:
		s.flush(dv, true)
		s.pass = msg
	default:
		s.pass = msg
	}
}

// endDivert tells the armed scan, if any, that no more entries will be
// diverted (the stream failed or gave up framing).
func (s *ldapStream) endDivert() {
	if dv := s.div.Load(); dv != nil && !dv.done {
		s.flush(dv, true)
	}
}

// flush sends the current batch (with end set, the last one: the divert is
// then forgotten).
func (s *ldapStream) flush(dv *divert, end bool) {
	b := dv.cur
	dv.cur = nil
	if b == nil {
		b = s.batch()
	}
	b.end = end
	if end {
		dv.done = true
		s.div.CompareAndSwap(dv, nil)
	}
	select {
	case dv.out <- b:
	case <-dv.quit:
	}
}

// batch returns an empty batch, reused when one is free.
func (s *ldapStream) batch() *entryBatch {
	select {
	case b := <-s.free:
		return b
	default:
		return &entryBatch{buf: make([]byte, 0, batchSize+batchSize/4)}
	}
}
