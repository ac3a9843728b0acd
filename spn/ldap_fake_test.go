package spn

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	ber "github.com/go-asn1-ber/asn1-ber"
	"github.com/go-ldap/ldap/v3"
)

// fakeLDAP is a minimal LDAP server for answers a real server will not give
// on demand: continuation references, a time limit, a malformed attribute.
// search answers a search of the domain (the rootDSE and the crossRef lookup
// are answered by the server itself).
type fakeLDAP struct {
	ln      net.Listener
	wg      sync.WaitGroup
	search  func(w *fakeWriter, base string)
	netbios string // nETBIOSName of the domain's crossRef; "" means none
	// paged, when set, answers domain searches instead of search, page by
	// page as the paged-results control asks (cookie: the next index).
	paged []fakeEntry
}

// fakeEntry is an entry for fakeLDAP.paged, attributes in order.
type fakeEntry struct {
	dn    string
	attrs [][]string // name, values...
}

type fakeWriter struct {
	conn net.Conn
	id   int64
}

func (w *fakeWriter) send(op *ber.Packet, controls ...*ber.Packet) {
	p := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "LDAPMessage")
	p.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, w.id, "id"))
	p.AppendChild(op)
	if len(controls) > 0 {
		c := ber.Encode(ber.ClassContext, ber.TypeConstructed, 0, nil, "Controls")
		for _, ctl := range controls {
			c.AppendChild(ctl)
		}
		p.AppendChild(c)
	}
	_, _ = w.conn.Write(p.Bytes())
}

func str(s string) *ber.Packet {
	return ber.NewString(ber.ClassUniversal, ber.TypePrimitive, ber.TagOctetString, s, "")
}

func (w *fakeWriter) entry(dn string, attrs map[string][]string) {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "entry")
	op.AppendChild(str(dn))
	list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attrs")
	for name, vals := range attrs {
		a := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attr")
		a.AppendChild(str(name))
		set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "vals")
		for _, v := range vals {
			set.AppendChild(str(v))
		}
		a.AppendChild(set)
		list.AppendChild(a)
	}
	op.AppendChild(list)
	w.send(op)
}

func (w *fakeWriter) reference(uri string) {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultReference, nil, "ref")
	op.AppendChild(str(uri))
	w.send(op)
}

func result(app ber.Tag, code int64, msg string) *ber.Packet {
	op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, app, nil, "result")
	op.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagEnumerated, code, "code"))
	op.AppendChild(str(""))
	op.AppendChild(str(msg))
	return op
}

// done ends a search; a paging control with an empty cookie says "last page".
func (w *fakeWriter) done(code int64, msg string) {
	ctl := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "control")
	ctl.AppendChild(str(ldap.ControlTypePaging))
	val := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "paging")
	val.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), "size"))
	val.AppendChild(str(""))
	ctl.AppendChild(str(string(val.Bytes())))
	w.send(result(ldap.ApplicationSearchResultDone, code, msg), ctl)
}

func newFakeLDAP(t *testing.T, search func(w *fakeWriter, base string)) *fakeLDAP {
	t.Helper()
	return newFakeLDAPNetBIOS(t, "", search)
}

// newFakeLDAPNetBIOS is newFakeLDAP with a crossRef in CN=Partitions naming
// the domain netbios.
func newFakeLDAPNetBIOS(t *testing.T, netbios string, search func(w *fakeWriter, base string)) *fakeLDAP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeLDAP{ln: ln, search: search, netbios: netbios}
	f.wg.Add(1)
	go f.serve()
	t.Cleanup(func() { ln.Close(); f.wg.Wait() })
	return f
}

func (f *fakeLDAP) serve() {
	defer f.wg.Done()
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer c.Close()
			for {
				_ = c.SetDeadline(time.Now().Add(time.Minute))
				p, err := ber.ReadPacket(c)
				if err != nil || len(p.Children) < 2 {
					return
				}
				id, _ := p.Children[0].Value.(int64)
				w := &fakeWriter{conn: c, id: id}
				op := p.Children[1]
				switch op.Tag {
				case ldap.ApplicationBindRequest:
					w.send(result(ldap.ApplicationBindResponse, 0, ""))
				case ldap.ApplicationSearchRequest:
					base, _ := op.Children[0].Value.(string)
					switch {
					case base == "":
						w.entry("", map[string][]string{"defaultNamingContext": {"DC=fake,DC=test"}})
						w.done(0, "")
					case strings.HasPrefix(base, "CN=Partitions"):
						if f.netbios != "" {
							w.entry("CN="+f.netbios+","+base, map[string][]string{"nETBIOSName": {f.netbios}, "nCName": {"DC=fake,DC=test"}})
						}
						w.done(0, "")
					case f.paged != nil:
						f.page(w, p)
					default:
						f.search(w, base)
					}
				case ldap.ApplicationUnbindRequest:
					return
				}
			}
		}()
	}
}

// page answers one page of f.paged for the search request p.
func (f *fakeLDAP) page(w *fakeWriter, p *ber.Packet) {
	size, start := len(f.paged), 0
	if len(p.Children) > 2 {
		for _, ctl := range p.Children[2].Children {
			if len(ctl.Children) < 2 || ctl.Children[0].Value != ldap.ControlTypePaging {
				continue
			}
			v := ctl.Children[len(ctl.Children)-1]
			pv, err := ber.DecodePacketErr(v.Data.Bytes())
			if err != nil || len(pv.Children) < 2 {
				continue
			}
			if n, ok := pv.Children[0].Value.(int64); ok && n > 0 {
				size = int(n)
			}
			if c := pv.Children[1].Data.String(); c != "" {
				fmt.Sscan(c, &start)
			}
		}
	}
	end := min(start+size, len(f.paged))
	for _, e := range f.paged[start:end] {
		op := ber.Encode(ber.ClassApplication, ber.TypeConstructed, ldap.ApplicationSearchResultEntry, nil, "entry")
		op.AppendChild(str(e.dn))
		list := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attrs")
		for _, a := range e.attrs {
			at := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "attr")
			at.AppendChild(str(a[0]))
			set := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSet, nil, "vals")
			for _, v := range a[1:] {
				set.AppendChild(str(v))
			}
			at.AppendChild(set)
			list.AppendChild(at)
		}
		op.AppendChild(list)
		w.send(op)
	}
	cookie := ""
	if end < len(f.paged) {
		cookie = fmt.Sprint(end)
	}
	ctl := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "control")
	ctl.AppendChild(str(ldap.ControlTypePaging))
	val := ber.Encode(ber.ClassUniversal, ber.TypeConstructed, ber.TagSequence, nil, "paging")
	val.AppendChild(ber.NewInteger(ber.ClassUniversal, ber.TypePrimitive, ber.TagInteger, int64(0), "size"))
	val.AppendChild(str(cookie))
	ctl.AppendChild(str(string(val.Bytes())))
	w.send(result(ldap.ApplicationSearchResultDone, 0, ""), ctl)
}

func (f *fakeLDAP) dial(t *testing.T) *LDAPDirectory {
	t.Helper()
	d, err := DialLDAP(t.Context(), LDAPConfig{URL: "ldap://" + f.ln.Addr().String(), Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	return d
}

var fakeAccount = map[string][]string{
	"sAMAccountName": {"web01$"}, "servicePrincipalName": {"HOST/web01", "HOST/web01.fake.test"},
	"objectClass": {"top", "user", "computer"}, "userAccountControl": {"4096"},
}

func TestFakeReferralIsIncomplete(t *testing.T) {
	f := newFakeLDAP(t, func(w *fakeWriter, base string) {
		w.entry("CN=web01,CN=Computers,"+base, fakeAccount)
		w.reference("ldap://child.fake.test/DC=child,DC=fake,DC=test")
		w.done(0, "")
	})
	d := f.dial(t)
	if d.Domain() != "" {
		t.Errorf("domain guessed from the DN (no crossRef was readable): %q", d.Domain())
	}
	var names []string
	c, err := d.Scan(context.Background(), func(a *Account) error { names = append(names, a.Name); return nil })
	var re *ReferralError
	if c.Complete || !errors.Is(err, ErrIncomplete) || !errors.As(err, &re) || len(re.Referrals) != 1 {
		t.Fatalf("referral: %+v %v", c, err)
	}
	if len(names) != 1 || names[0] != `web01$` {
		t.Errorf("entries before the referral: %q", names)
	}
	// the same through Owners and the duplicate scan
	if ans, err := d.Owners(context.Background(), "HOST/web01"); ans.Complete || !errors.As(err, &re) {
		t.Errorf("Owners: %+v %v", ans.Completeness, err)
	}
	if _, c, err := Duplicates(context.Background(), d); c.Complete || !errors.As(err, &re) {
		t.Errorf("Duplicates: %+v %v", c, err)
	}
}

func TestFakeTimeLimitIsIncomplete(t *testing.T) {
	f := newFakeLDAP(t, func(w *fakeWriter, base string) {
		w.entry("CN=web01,CN=Computers,"+base, fakeAccount)
		w.send(result(ldap.ApplicationSearchResultDone, ldap.LDAPResultTimeLimitExceeded, "time limit"))
	})
	d := f.dial(t)
	n := 0
	c, err := d.Scan(context.Background(), func(*Account) error { n++; return nil })
	var le *LDAPError
	if c.Complete || !strings.Contains(c.Reason, "time limit") || !errors.As(err, &le) || le.Code != ldap.LDAPResultTimeLimitExceeded || n != 1 {
		t.Fatalf("time limit: %+v %v after %d", c, err, n)
	}
}

func TestFakeMalformedEntryIsIncomplete(t *testing.T) {
	f := newFakeLDAP(t, func(w *fakeWriter, base string) {
		w.entry("CN=bad,"+base, map[string][]string{"sAMAccountName": {"bad"}, "servicePrincipalName": {"HTTP/x"},
			"userAccountControl": {"not-a-number"}})
		w.done(0, "")
	})
	d := f.dial(t)
	c, err := d.Scan(context.Background(), func(*Account) error { return nil })
	if c.Complete || !errors.Is(err, ErrIncomplete) || !strings.Contains(err.Error(), "CN=bad") {
		t.Fatalf("malformed entry: %+v %v", c, err)
	}
}

func TestFakeSilentServerTimesOut(t *testing.T) {
	f := newFakeLDAP(t, func(w *fakeWriter, base string) {
		w.entry("CN=web01,CN=Computers,"+base, fakeAccount)
		// ...and then nothing: no more entries, no SearchResultDone
	})
	d, err := DialLDAP(t.Context(), LDAPConfig{URL: "ldap://" + f.ln.Addr().String(), Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	start := time.Now()
	c, err := d.Scan(context.Background(), func(*Account) error { return nil })
	if c.Complete || !errors.Is(err, ErrIncomplete) || !errors.Is(err, errNoResponse) {
		t.Fatalf("silent server: %+v %v", c, err)
	}
	if el := time.Since(start); el > 3*time.Second {
		t.Errorf("took %v", el)
	}
}
