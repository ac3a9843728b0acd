package spn

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"net"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// encodeEntry encodes a SearchResultEntry LDAPMessage with go-asn1-ber, the
// way a server would.
func encodeEntry(id int64, dn string, attrs [][]string) []byte {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, id, ""))
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "")
	op.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, dn, ""))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
	for _, a := range attrs {
		at := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "")
		at.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, a[0], ""))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "")
		for _, v := range a[1:] {
			set.AppendChild(ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, v, ""))
		}
		at.AppendChild(set)
		list.AppendChild(at)
	}
	op.AppendChild(list)
	p.AppendChild(op)
	return p.Bytes()
}

// goLDAPEntry decodes msg the way go-ldap's search does (packet tree, then
// DN and attributes from the first two children); ok is false when go-ldap
// would not produce an entry.
func goLDAPEntry(msg []byte) (e *ldap.Entry, ok bool) {
	defer func() {
		if recover() != nil {
			e, ok = nil, false
		}
	}()
	p, err := ber.DecodePacketErr(msg)
	if err != nil || len(p.Children) < 2 {
		return nil, false
	}
	op := p.Children[1]
	if op.ClassType != ber.ClassApplication || op.Tag != ldap.ApplicationSearchResultEntry || len(op.Children) < 2 {
		return nil, false
	}
	e = &ldap.Entry{DN: op.Children[0].Value.(string)}
	for _, child := range op.Children[1].Children {
		a := &ldap.EntryAttribute{Name: child.Children[0].Value.(string)}
		for _, v := range child.Children[1].Children {
			a.Values = append(a.Values, v.Value.(string))
		}
		e.Attributes = append(e.Attributes, a)
	}
	return e, true
}

func sameEntry(t *testing.T, msg []byte, got *rawEntry, want *ldap.Entry) {
	t.Helper()
	if string(got.dn) != want.DN || len(got.attrs) != len(want.Attributes) {
		t.Fatalf("%x: lean %q %d attributes, go-ldap %q %d", msg, got.dn, len(got.attrs), want.DN, len(want.Attributes))
	}
	for i, a := range want.Attributes {
		ga := &got.attrs[i]
		vals := got.values(ga)
		if string(ga.name) != a.Name || len(vals) != len(a.Values) {
			t.Fatalf("%x: attribute %d: lean %q %d values, go-ldap %q %d", msg, i, ga.name, len(vals), a.Name, len(a.Values))
		}
		for j, v := range a.Values {
			if string(vals[j]) != v {
				t.Fatalf("%x: attribute %q value %d: lean %q, go-ldap %q", msg, a.Name, j, vals[j], v)
			}
		}
	}
}

func TestParseSearchEntry(t *testing.T) {
	long := string(bytes.Repeat([]byte("x"), 70000)) // a 3-byte length
	for _, tc := range []struct {
		dn    string
		attrs [][]string
	}{
		{"CN=web01,OU=Servers,DC=example,DC=test", [][]string{{"sAMAccountName", "WEB01$"}, {"servicePrincipalName", "HTTP/web01", "HOST/web01.example.test"}}},
		{"", nil},
		{"CN=x", [][]string{{"servicePrincipalName"}}},
		{"CN=big", [][]string{{"servicePrincipalName", long, "HTTP/ÄPFEL"}, {"objectClass", "top", "user"}}},
	} {
		msg := encodeEntry(12345, tc.dn, tc.attrs)
		var e rawEntry
		if err := e.parseSearchEntry(msg); err != nil {
			t.Fatalf("%q: %v", tc.dn, err)
		}
		want, ok := goLDAPEntry(msg)
		if !ok {
			t.Fatalf("%q: go-ldap cannot decode", tc.dn)
		}
		sameEntry(t, msg, &e, want)
		id, op, _, err := ldapMessageHead(msg)
		if err != nil || id != 12345 || op != tagSearchResultEntry {
			t.Fatalf("head: %d %x %v", id, op, err)
		}
		for i := range msg { // every truncation is an error, never a panic
			if err := e.parseSearchEntry(msg[:i]); err == nil {
				t.Fatalf("%q truncated to %d bytes: no error", tc.dn, i)
			}
		}
	}
	for _, bad := range [][]byte{{0x30, 0x80, 0, 0}, {0x30, 0x85, 1, 1, 1, 1, 1}, {0x3f, 0x01, 0}, {0x30, 0x84, 0xff, 0xff, 0xff, 0xff}} {
		var e rawEntry
		if err := e.parseSearchEntry(bad); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
}

func TestBERInt(t *testing.T) {
	for _, v := range []int64{0, 1, 127, 128, 255, 256, 65535, 1<<31 - 1, -1, -128, -129} {
		p := ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, v, "")
		b := p.Bytes()
		content, _, err := berExpect(b, 0x02)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := berInt(content); err != nil || got != v {
			t.Errorf("berInt(%x) = %d, %v; want %d", content, got, err, v)
		}
	}
}

// FuzzParseSearchEntry checks the lean reader against go-ldap's decoding:
// it never panics, and whatever it accepts go-ldap decodes to the same
// entry. Seeds include real encodings, so mutations stay close to valid.
func FuzzParseSearchEntry(f *testing.F) {
	f.Add(encodeEntry(7, "CN=web01,DC=example,DC=test", [][]string{{"sAMAccountName", "WEB01$"}, {"servicePrincipalName", "HTTP/web01", "HOST/web01"}}))
	f.Add(encodeEntry(1<<20, "", [][]string{{"a"}}))
	f.Add(encodeEntry(3, "CN=x", [][]string{{"objectClass", "top", "user", "computer"}, {"msDS-SupportedEncryptionTypes", "24"}}))
	f.Add([]byte{0x30, 0x0c, 0x02, 0x01, 0x01, 0x64, 0x07, 0x04, 0x00, 0x30, 0x03, 0x30, 0x01, 0x04})
	f.Fuzz(func(t *testing.T, msg []byte) {
		var e rawEntry
		err := e.parseSearchEntry(msg)
		_, _, _ = berFrame(msg)
		_, _, _ = searchRequestBase(msg)
		if err != nil {
			return
		}
		want, ok := goLDAPEntry(msg)
		if !ok {
			// The lean reader checks only the structure of controls;
			// go-asn1-ber also decodes their values (an INTEGER over 8
			// bytes...). Without them go-ldap must agree.
			_, _, _, tail, _ := ldapMessageParts(msg)
			body := msg[berHeaderLen(msg) : len(msg)-len(tail)]
			stripped := append([]byte{0x30}, berAppendLen(nil, len(body))...)
			stripped = append(stripped, body...)
			if want, ok = goLDAPEntry(stripped); !ok || len(tail) == 0 {
				t.Fatalf("%x: lean reader accepts what go-ldap rejects", msg)
			}
		}
		sameEntry(t, msg, &e, want)
	})
}

// pipeConn is a net.Conn reading from r (writes are discarded).
type pipeConn struct {
	net.Conn
	r io.Reader
}

func (c *pipeConn) Read(p []byte) (int, error)  { return c.r.Read(p) }
func (c *pipeConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *pipeConn) Close() error                { return nil }
func (c *pipeConn) SetDeadline(time.Time) error { return nil }

// chunkReader returns its data in pieces of random size.
type chunkReader struct {
	data []byte
	rnd  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.rnd.IntN(300))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// FuzzLDAPStream checks the stream's framing: with nothing diverted, go-ldap
// reads exactly the bytes that arrived, whatever they are and however the
// network splits them; with a divert armed for message 5, its entries leave
// the stream in order and everything else passes through.
func FuzzLDAPStream(f *testing.F) {
	e1 := encodeEntry(5, "CN=a", [][]string{{"servicePrincipalName", "HTTP/a"}})
	e2 := encodeEntry(6, "CN=b", [][]string{{"servicePrincipalName", "HTTP/b"}})
	done := []byte{0x30, 0x0c, 0x02, 0x01, 0x05, 0x65, 0x07, 0x0a, 0x01, 0x00, 0x04, 0x00, 0x04, 0x00}
	f.Add(append(append(append([]byte{}, e1...), e2...), done...), uint64(1))
	f.Add([]byte{0x30, 0x80, 0x00, 0x00}, uint64(2))
	f.Add([]byte{0x16, 0x03, 0x01, 0x00, 0x05, 1, 2, 3, 4, 5}, uint64(3))
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		// pass-through: no divert
		s := newLDAPStream(&pipeConn{r: &chunkReader{data: data, rnd: rand.New(rand.NewPCG(seed, 1))}})
		got, err := io.ReadAll(readerFunc(func(p []byte) (int, error) { return s.Read(p[:min(len(p), 1+int(seed%4096))]) }))
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatalf("pass-through changed the stream: %x -> %x", data, got)
		}
		// with a divert for message 5: passed + diverted = the messages
		s = newLDAPStream(&pipeConn{r: &chunkReader{data: data, rnd: rand.New(rand.NewPCG(seed, 2))}})
		dv := s.arm("")
		dv.id.Store(5)
		var diverted []byte
		stop := make(chan struct{})
		go func() {
			defer close(stop)
			for b := range dv.out {
				for m := b.buf; len(m) > 0; {
					k, complete, err := berFrame(m)
					if err != nil || !complete || k == 0 {
						t.Errorf("batch holds a partial message: %x", m)
						break
					}
					if id, op, _, err := ldapMessageHead(m[:k]); err != nil || id != 5 || op != tagSearchResultEntry {
						t.Errorf("diverted a message that is not an entry of 5: %x", m[:k])
					}
					m = m[k:]
				}
				diverted = append(diverted, b.buf...)
				if b.end {
					return
				}
			}
		}()
		passed, _ := io.ReadAll(readerFunc(s.Read))
		s.endDivert() // EOF without a SearchResultDone
		<-stop
		if len(passed)+len(diverted) != len(data) {
			t.Fatalf("%d bytes in, %d passed + %d diverted", len(data), len(passed), len(diverted))
		}
	})
}

type readerFunc func(p []byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// berHeaderLen returns the size of the tag and length of the element at b.
func berHeaderLen(b []byte) int {
	_, hl, _ := berLen(b[1:])
	return 1 + hl
}

// berAppendLen appends a definite BER length.
func berAppendLen(b []byte, n int) []byte {
	switch {
	case n < 0x80:
		return append(b, byte(n))
	case n < 0x100:
		return append(b, 0x81, byte(n))
	case n < 0x10000:
		return append(b, 0x82, byte(n>>8), byte(n))
	default:
		return append(b, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
}
