package negotiate

import (
	"encoding/asn1"
	"fmt"
	"strconv"
)

// A minimal DER reader that keeps byte offsets relative to the token given
// to DecodeToken, so errors point at the exact byte. Lengths are always
// checked against the bytes that remain before anything is sliced; nothing
// is allocated from a length field.

const (
	classUniversal   = 0
	classApplication = 1
	classContext     = 2
)

type derElem struct {
	class       int
	constructed bool
	tag         int
	off         int    // offset of the identifier octet
	body        []byte // contents octets (may be clipped, see derReader.clip)
	bodyOff     int    // offset of the first contents octet
}

func (e derElem) is(class, tag int) bool { return e.class == class && e.tag == tag }

func (e derElem) describe() string {
	switch e.class {
	case classUniversal:
		return "UNIVERSAL " + strconv.Itoa(e.tag)
	case classApplication:
		return "[APPLICATION " + strconv.Itoa(e.tag) + "]"
	case classContext:
		return "[" + strconv.Itoa(e.tag) + "]"
	}
	return "[PRIVATE " + strconv.Itoa(e.tag) + "]"
}

// derReader reads consecutive elements from b; base is the offset of b[0]
// in the whole token. With clip set, an element whose length runs past the
// end is shortened to what is there and the first such event is recorded in
// *clip (used to decode a prefix of a truncated token).
type derReader struct {
	b    []byte
	base int
	pos  int
	clip **DecodeError
}

func newDER(b []byte, base int, clip **DecodeError) *derReader {
	return &derReader{b: b, base: base, clip: clip}
}

func (r *derReader) more() bool { return r.pos < len(r.b) }

func (r *derReader) off() int { return r.base + r.pos }

func (r *derReader) errAt(off int, field string, err error, format string, a ...any) *DecodeError {
	return &DecodeError{Offset: off, Field: field, Err: fmt.Errorf("%w: "+format, append([]any{err}, a...)...)}
}

// next reads one element.
func (r *derReader) next(field string) (derElem, error) {
	start := r.pos
	b := r.b
	if start >= len(b) {
		return derElem{}, r.errAt(r.base+start, field, ErrTruncated, "expected an element, input ended")
	}
	id := b[start]
	e := derElem{class: int(id >> 6), constructed: id&0x20 != 0, tag: int(id & 0x1f), off: r.base + start}
	p := start + 1
	if e.tag == 0x1f {
		t := 0
		for n := 0; ; n++ {
			if p >= len(b) {
				return derElem{}, r.errAt(r.base+start, field, ErrTruncated, "tag number runs past the end")
			}
			if n >= 4 {
				return derElem{}, r.errAt(r.base+start, field, ErrMalformed, "tag number too long")
			}
			t = t<<7 | int(b[p]&0x7f)
			p++
			if b[p-1]&0x80 == 0 {
				break
			}
		}
		e.tag = t
	}
	if p >= len(b) {
		return derElem{}, r.errAt(r.base+start, field, ErrTruncated, "length octet missing")
	}
	l := int(b[p])
	p++
	if l == 0x80 {
		return derElem{}, r.errAt(r.base+p-1, field, ErrMalformed, "indefinite length is not allowed in DER")
	}
	if l > 0x80 {
		n := l & 0x7f
		if n > 4 {
			return derElem{}, r.errAt(r.base+p-1, field, ErrMalformed, "length of %d octets is too long", n)
		}
		if p+n > len(b) {
			return derElem{}, r.errAt(r.base+p-1, field, ErrTruncated, "length octets run past the end")
		}
		l = 0
		for i := 0; i < n; i++ {
			l = l<<8 | int(b[p+i])
		}
		p += n
		if l < 0 || l > 1<<30 {
			return derElem{}, r.errAt(r.base+start, field, ErrMalformed, "length %d out of range", l)
		}
	}
	remain := len(b) - p
	if l > remain {
		err := r.errAt(r.base+start, field, ErrTruncated, "%s says %d bytes but only %d remain", e.describe(), l, remain)
		if r.clip == nil {
			return derElem{}, err
		}
		if *r.clip == nil {
			*r.clip = err
		}
		l = remain
	}
	e.body = b[p : p+l]
	e.bodyOff = r.base + p
	r.pos = p + l
	return e, nil
}

// expect reads one element and checks its class and tag.
func (r *derReader) expect(field string, class, tag int) (derElem, error) {
	e, err := r.next(field)
	if err != nil {
		return e, err
	}
	if !e.is(class, tag) {
		want := derElem{class: class, tag: tag}
		return e, r.errAt(e.off, field, ErrMalformed, "expected %s, found %s", want.describe(), e.describe())
	}
	return e, nil
}

// children returns a reader over a constructed element's contents.
func (r *derReader) children(e derElem) *derReader {
	return newDER(e.body, e.bodyOff, r.clip)
}

// parseOID decodes an OBJECT IDENTIFIER body.
func parseOID(e derElem, field string) (asn1.ObjectIdentifier, error) {
	if e.class != classUniversal || e.tag != 6 {
		return nil, &DecodeError{Offset: e.off, Field: field, Err: fmt.Errorf("%w: expected OBJECT IDENTIFIER, found %s", ErrMalformed, e.describe())}
	}
	b := e.body
	if len(b) == 0 || len(b) > 64 {
		return nil, &DecodeError{Offset: e.off, Field: field, Err: fmt.Errorf("%w: OBJECT IDENTIFIER of %d bytes", ErrMalformed, len(b))}
	}
	var arcs []int
	v := 0
	for i, c := range b {
		if v > 1<<24 {
			return nil, &DecodeError{Offset: e.bodyOff + i, Field: field, Err: fmt.Errorf("%w: OBJECT IDENTIFIER arc too large", ErrMalformed)}
		}
		v = v<<7 | int(c&0x7f)
		if c&0x80 != 0 {
			if i == len(b)-1 {
				return nil, &DecodeError{Offset: e.bodyOff + i, Field: field, Err: fmt.Errorf("%w: OBJECT IDENTIFIER ends inside an arc", ErrTruncated)}
			}
			continue
		}
		if len(arcs) == 0 {
			switch {
			case v < 40:
				arcs = append(arcs, 0, v)
			case v < 80:
				arcs = append(arcs, 1, v-40)
			default:
				arcs = append(arcs, 2, v-80)
			}
		} else {
			arcs = append(arcs, v)
		}
		v = 0
	}
	return asn1.ObjectIdentifier(arcs), nil
}

func parseEnum(e derElem, field string) (int, error) {
	if e.class != classUniversal || (e.tag != 10 && e.tag != 2) || len(e.body) == 0 || len(e.body) > 4 {
		return 0, &DecodeError{Offset: e.off, Field: field, Err: fmt.Errorf("%w: expected a small ENUMERATED/INTEGER, found %s of %d bytes", ErrMalformed, e.describe(), len(e.body))}
	}
	v := int(int8(e.body[0]))
	for _, c := range e.body[1:] {
		v = v<<8 | int(c)
	}
	return v, nil
}

func parseOctets(e derElem, field string) ([]byte, error) {
	if e.class != classUniversal || e.tag != 4 {
		return nil, &DecodeError{Offset: e.off, Field: field, Err: fmt.Errorf("%w: expected OCTET STRING, found %s", ErrMalformed, e.describe())}
	}
	return e.body, nil
}
