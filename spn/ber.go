package spn

import (
	"errors"
)

// A lean reader for the one LDAP message a bulk scan receives by the
// hundred thousand: SearchResultEntry (RFC 4511 4.5.2). go-ldap decodes
// every message into a tree of ber.Packet values (about 200 allocations and
// 14 KB per entry, plus a description string on every node); this reader
// returns slices of the message itself and allocates nothing. It is used
// only on the scan path (see ldapStream); go-ldap still handles the
// connection, binds, controls, SearchResultDone and errors.
//
// Only definite lengths and single-byte tags are accepted (LDAP's BER
// restrictions, RFC 4511 5.1); anything else is an error, never a guess.

// maxLDAPMessage bounds the size of one message the stream frames itself
// (larger ones are left to go-ldap, unexamined).
const maxLDAPMessage = 64 << 20

// LDAP protocolOp tags of the responses a search receives.
const (
	tagSearchResultEntry = 0x64 // [APPLICATION 4] constructed
	tagSearchResultDone  = 0x65 // [APPLICATION 5] constructed
	tagSearchRequest     = 0x63 // [APPLICATION 3] constructed
)

var (
	errBERShort      = errors.New("ber: truncated element")
	errBERTag        = errors.New("ber: multi-byte tag")
	errBERIndefinite = errors.New("ber: indefinite length")
	errBERLength     = errors.New("ber: length too large")
	errBERUnexpected = errors.New("ber: unexpected tag")
)

// berLen decodes the definite length at the start of b and returns it with
// the number of bytes it took.
func berLen(b []byte) (n, size int, err error) {
	if len(b) == 0 {
		return 0, 0, errBERShort
	}
	c := b[0]
	if c < 0x80 {
		return int(c), 1, nil
	}
	k := int(c & 0x7f)
	switch {
	case k == 0:
		return 0, 0, errBERIndefinite
	case k > 4:
		return 0, 0, errBERLength
	case len(b) < 1+k:
		return 0, 0, errBERShort
	}
	for _, x := range b[1 : 1+k] {
		n = n<<8 | int(x)
	}
	if n > maxLDAPMessage {
		return 0, 0, errBERLength
	}
	return n, 1 + k, nil
}

// berTLV splits off the element at the start of b: its tag, its content and
// what follows it.
func berTLV(b []byte) (tag byte, content, rest []byte, err error) {
	if len(b) < 2 {
		return 0, nil, nil, errBERShort
	}
	tag = b[0]
	if tag&0x1f == 0x1f {
		return 0, nil, nil, errBERTag
	}
	n, hl, err := berLen(b[1:])
	if err != nil {
		return 0, nil, nil, err
	}
	end := 1 + hl + n
	if end > len(b) {
		return 0, nil, nil, errBERShort
	}
	return tag, b[1+hl : end], b[end:], nil
}

// berExpect is berTLV that also checks the tag.
func berExpect(b []byte, want byte) (content, rest []byte, err error) {
	tag, content, rest, err := berTLV(b)
	if err == nil && tag != want {
		err = errBERUnexpected
	}
	return content, rest, err
}

// berFrame reports the total size of the element starting at b. complete is
// false when b does not hold all of it yet; need is then the total size when
// the header is already known (0 when not).
func berFrame(b []byte) (need int, complete bool, err error) {
	if len(b) < 2 {
		return 0, false, nil
	}
	if b[0]&0x1f == 0x1f {
		return 0, false, errBERTag
	}
	n, hl, err := berLen(b[1:])
	if err == errBERShort {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, err
	}
	total := 1 + hl + n
	return total, total <= len(b), nil
}

// berInt decodes a two's-complement INTEGER content of 1 to 8 bytes.
func berInt(b []byte) (int64, error) {
	if len(b) == 0 || len(b) > 8 {
		return 0, errBERLength
	}
	v := int64(int8(b[0]))
	for _, x := range b[1:] {
		v = v<<8 | int64(x)
	}
	return v, nil
}

// ldapMessageHead returns the messageID and the protocolOp element (tag and
// content) of the LDAPMessage msg.
func ldapMessageHead(msg []byte) (id int64, op byte, opContent []byte, err error) {
	id, op, opContent, _, err = ldapMessageParts(msg)
	return id, op, opContent, err
}

// ldapMessageParts is ldapMessageHead that also returns what follows the
// protocolOp inside the message (controls).
func ldapMessageParts(msg []byte) (id int64, op byte, opContent, tail []byte, err error) {
	body, _, err := berExpect(msg, 0x30)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	idb, rest, err := berExpect(body, 0x02)
	if err != nil {
		return 0, 0, nil, nil, err
	}
	if id, err = berInt(idb); err != nil {
		return 0, 0, nil, nil, err
	}
	op, opContent, tail, err = berTLV(rest)
	return id, op, opContent, tail, err
}

// berWellFormed checks that b is a run of complete elements, recursing into
// constructed ones (depth bounds the nesting).
func berWellFormed(b []byte, depth int) error {
	if depth > 32 {
		return errBERLength
	}
	for len(b) > 0 {
		tag, content, rest, err := berTLV(b)
		if err != nil {
			return err
		}
		if tag&0x20 != 0 {
			if err := berWellFormed(content, depth+1); err != nil {
				return err
			}
		}
		b = rest
	}
	return nil
}

// searchRequestBase returns the messageID and baseObject of msg when it is
// exactly one LDAPMessage carrying a SearchRequest.
func searchRequestBase(msg []byte) (id int64, base []byte, ok bool) {
	if n, complete, err := berFrame(msg); err != nil || !complete || n != len(msg) {
		return 0, nil, false
	}
	id, op, content, err := ldapMessageHead(msg)
	if err != nil || op != tagSearchRequest {
		return 0, nil, false
	}
	base, _, err = berExpect(content, 0x04)
	return id, base, err == nil
}

// rawEntry is a SearchResultEntry as slices of its message: valid only
// until the message buffer is reused.
type rawEntry struct {
	dn    []byte
	attrs []rawAttr
	vals  [][]byte // the values of every attribute, in order
}

// rawAttr is one attribute of a rawEntry: its description and the range of
// its values in rawEntry.vals.
type rawAttr struct {
	name       []byte
	first, end int
}

// values returns the values of a.
func (e *rawEntry) values(a *rawAttr) [][]byte { return e.vals[a.first:a.end] }

// parseSearchEntry fills e from msg, which must be exactly one LDAPMessage
// carrying a SearchResultEntry. The structure is checked strictly (RFC 4511:
// nothing but objectName and attributes in the entry, nothing but type and
// vals in an attribute, at most a well-formed controls element after the
// entry); controls are not otherwise read.
func (e *rawEntry) parseSearchEntry(msg []byte) error {
	e.dn, e.attrs, e.vals = nil, e.attrs[:0], e.vals[:0]
	if _, _, rest, err := berTLV(msg); err != nil {
		return err
	} else if len(rest) > 0 {
		return errBERUnexpected
	}
	_, op, content, tail, err := ldapMessageParts(msg)
	if err != nil {
		return err
	}
	if op != tagSearchResultEntry {
		return errBERUnexpected
	}
	if len(tail) > 0 {
		ctl, rest, err := berExpect(tail, 0xa0)
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return errBERUnexpected
		}
		if err := berWellFormed(ctl, 0); err != nil {
			return err
		}
	}
	dn, rest, err := berExpect(content, 0x04)
	if err != nil {
		return err
	}
	attrs, rest, err := berExpect(rest, 0x30)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return errBERUnexpected
	}
	for len(attrs) > 0 {
		var a []byte
		if a, attrs, err = berExpect(attrs, 0x30); err != nil {
			return err
		}
		name, rest, err := berExpect(a, 0x04)
		if err != nil {
			return err
		}
		vals, rest, err := berExpect(rest, 0x31)
		if err != nil {
			return err
		}
		if len(rest) > 0 {
			return errBERUnexpected
		}
		first := len(e.vals)
		for len(vals) > 0 {
			var v []byte
			if v, vals, err = berExpect(vals, 0x04); err != nil {
				return err
			}
			e.vals = append(e.vals, v)
		}
		e.attrs = append(e.attrs, rawAttr{name: name, first: first, end: len(e.vals)})
	}
	e.dn = dn
	return nil
}
