package negotiate

import (
	"fmt"
	"strings"

	"github.com/jcmturner/gokrb5/v8/iana/errorcode"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"
)

// Kerberos message types (RFC 4120 7.5.7) and their [APPLICATION n] tags.
const (
	msgAPReq    = 14
	msgAPRep    = 15
	msgKRBError = 30
)

// apOptionNames are the APOptions bits (RFC 4120 5.5.1), most significant first.
var apOptionNames = [...]string{"reserved", "use-session-key", "mutual-required"}

// decodeKerberos decodes a bare Kerberos AP-REQ, AP-REP or KRB-ERROR
// (application tags 14, 15, 30), or the body of one whose application tag is
// missing (a SEQUENCE starting with pvno 5 and msg-type): the ASN.1 inside is
// parsed by gokrb5.
func decodeKerberos(t *Token, b []byte, base, depth int, clip **DecodeError) error {
	r := newDER(b, base, clip)
	e, err := r.next("Kerberos message")
	if err != nil {
		return err
	}
	if r.more() && *clip == nil {
		return r.errAt(r.off(), "Kerberos message", ErrMalformed, "%d bytes after the message", len(b)-r.pos)
	}
	msg := b[:r.pos]
	mt := 0
	switch {
	case e.is(classApplication, msgAPReq), e.is(classApplication, msgAPRep), e.is(classApplication, msgKRBError):
		mt = e.tag
	case e.is(classUniversal, 16):
		// A KDC-REP/KRB-ERROR body without its application tag: pyspnego's test
		// data stores KRB-ERROR this way. Accept it when pvno and msg-type say so.
		mt = untaggedMsgType(r.children(e))
		if mt == 0 {
			return &DecodeError{Offset: e.off, Field: "Kerberos message", Err: fmt.Errorf("%w: a SEQUENCE that is not a Kerberos message body (pvno 5, msg-type 14/15/30)", ErrUnknownToken)}
		}
		msg = wrapApplication(mt, msg)
		t.Notes = append(t.Notes, fmt.Sprintf("Kerberos message without its [APPLICATION %d] tag (decoded as msg-type %d)", mt, mt))
	default:
		return &DecodeError{Offset: e.off, Field: "Kerberos message", Err: fmt.Errorf("%w: %s is not AP-REQ, AP-REP or KRB-ERROR", ErrUnknownToken, e.describe())}
	}
	k := &Kerberos{MsgType: mt}
	t.Kerberos = k
	if *clip != nil {
		// Truncated: read what the prefix shows with our own DER walk.
		switch mt {
		case msgAPReq:
			t.setKind(KerberosAPReq, depth)
			k.APReq = &APReq{}
			apReqPrefix(k.APReq, r.children(e))
		case msgAPRep:
			t.setKind(KerberosAPRep, depth)
		case msgKRBError:
			t.setKind(KerberosError, depth)
		}
		return nil
	}
	gokrb5Err := func(what string, err error) error {
		return &DecodeError{Offset: e.off, Field: what, Err: fmt.Errorf("%w: %v", ErrMalformed, err)}
	}
	return kerberosFromGokrb5(t, k, mt, msg, depth, gokrb5Err)
}

// kerberosFromGokrb5 unmarshals a complete Kerberos message with gokrb5. A
// panic inside gokrb5's ASN.1 code on hostile input becomes an error: the
// package promises never to panic.
func kerberosFromGokrb5(t *Token, k *Kerberos, mt int, msg []byte, depth int, gokrb5Err func(string, error) error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = gokrb5Err("Kerberos message", fmt.Errorf("ASN.1 decoder failed: %v", r))
		}
	}()
	switch mt {
	case msgAPReq:
		var m messages.APReq
		if err := m.Unmarshal(msg); err != nil {
			return gokrb5Err("AP-REQ", err)
		}
		a := &APReq{
			Realm:         m.Ticket.Realm,
			SName:         principal(m.Ticket.SName),
			TicketEncType: m.Ticket.EncPart.EType,
			TicketKVNO:    m.Ticket.EncPart.KVNO,
			AuthEncType:   m.EncryptedAuthenticator.EType,
			AuthKVNO:      m.EncryptedAuthenticator.KVNO,
		}
		setAPOptions(a, m.APOptions.Bytes)
		a.SPN = a.SName.String()
		k.APReq = a
		t.setKind(KerberosAPReq, depth)
	case msgAPRep:
		var m messages.APRep
		if err := m.Unmarshal(msg); err != nil {
			return gokrb5Err("AP-REP", err)
		}
		k.APRep = &APRep{EncType: m.EncPart.EType, KVNO: m.EncPart.KVNO}
		t.setKind(KerberosAPRep, depth)
	case msgKRBError:
		var m messages.KRBError
		if err := m.Unmarshal(msg); err != nil {
			return gokrb5Err("KRB-ERROR", err)
		}
		name, meaning := KerberosErrorText(m.ErrorCode)
		ke := &KRBError{
			Code: m.ErrorCode, Name: name, Meaning: meaning,
			Realm: m.Realm, SName: principal(m.SName), CRealm: m.CRealm, CName: principal(m.CName),
			STime: m.STime, SUSec: m.Susec, CTime: m.CTime, EText: m.EText,
		}
		if len(m.EData) > 0 {
			ke.EData = m.EData
		}
		ke.SPN = ke.SName.String()
		k.Error = ke
		t.setKind(KerberosError, depth)
	}
	return nil
}

func principal(p types.PrincipalName) PrincipalName {
	return PrincipalName{NameType: p.NameType, Names: p.NameString}
}

func setAPOptions(a *APReq, bits []byte) {
	var v uint32
	for i := 0; i < 4 && i < len(bits); i++ {
		v |= uint32(bits[i]) << (24 - 8*i)
	}
	a.APOptions = v
	for i, n := range apOptionNames {
		if v&(0x80000000>>i) != 0 {
			a.APOptionNames = append(a.APOptionNames, n)
		}
	}
	a.UseSessionKey = v&0x40000000 != 0
	a.MutualRequired = v&0x20000000 != 0
}

// untaggedMsgType returns the msg-type of a Kerberos message body
// (SEQUENCE { pvno [0] 5, msg-type [1] n, ... }) or 0.
func untaggedMsgType(r *derReader) int {
	var vals [2]int
	for i := 0; i < 2; i++ {
		e, err := r.next("")
		if err != nil || !e.is(classContext, i) {
			return 0
		}
		v, err := r.children(e).next("")
		if err != nil {
			return 0
		}
		n, err := parseEnum(v, "")
		if err != nil || v.tag != 2 {
			return 0
		}
		vals[i] = n
	}
	if vals[0] != 5 {
		return 0
	}
	switch vals[1] {
	case msgAPReq, msgAPRep, msgKRBError:
		return vals[1]
	}
	return 0
}

// wrapApplication puts an [APPLICATION tag] constructed header around body.
func wrapApplication(tag int, body []byte) []byte {
	n := len(body)
	var hdr []byte
	switch {
	case n < 0x80:
		hdr = []byte{0x60 | byte(tag), byte(n)}
	case n < 0x100:
		hdr = []byte{0x60 | byte(tag), 0x81, byte(n)}
	case n < 0x10000:
		hdr = []byte{0x60 | byte(tag), 0x82, byte(n >> 8), byte(n)}
	default:
		hdr = []byte{0x60 | byte(tag), 0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return append(hdr, body...)
}

// prefixFields walks what a truncated message still shows of a SEQUENCE of
// context-tagged fields: fn gets each field's tag and a reader over its
// contents and returns false to stop. The walk also stops silently at the
// first element it cannot read; it reports whether it reached the end.
func prefixFields(r *derReader, fn func(tag int, c *derReader) bool) bool {
	seq, err := r.expect("", classUniversal, 16)
	if err != nil {
		return false
	}
	f := r.children(seq)
	for f.more() {
		e, err := f.next("")
		if err != nil || e.class != classContext || !fn(e.tag, f.children(e)) {
			return false
		}
	}
	return true
}

// apReqPrefix reads what a truncated AP-REQ still shows: ap-options, the
// ticket realm, server name and enc-part etype/kvno, as far as the bytes go.
// It stops silently at the first element it cannot read.
func apReqPrefix(a *APReq, r *derReader) {
	a.SPN = ""
	prefixFields(r, func(tag int, c *derReader) bool {
		switch tag {
		case 2: // ap-options
			v, err := c.expect("", classUniversal, 3)
			if err != nil || len(v.body) < 1 {
				return false
			}
			setAPOptions(a, v.body[1:])
		case 3: // ticket
			if tk, err := c.expect("", classApplication, 1); err == nil {
				ticketPrefix(a, c.children(tk))
			}
			return false
		}
		return true
	})
}

func ticketPrefix(a *APReq, r *derReader) {
	prefixFields(r, func(tag int, c *derReader) bool {
		switch tag {
		case 1: // realm
			v, err := c.expect("", classUniversal, 27)
			if err != nil {
				return false
			}
			a.Realm = string(v.body)
		case 2: // sname
			p, ok := principalPrefix(c)
			if !ok {
				return false
			}
			a.SName = p
			a.SPN = p.String()
		case 3: // enc-part: etype [0], kvno [1]; stop at the cipher [2]
			return prefixFields(c, func(tag int, c *derReader) bool {
				v, err := c.next("")
				if err != nil {
					return false
				}
				n, err := parseEnum(v, "")
				switch {
				case tag == 0 && err == nil:
					a.TicketEncType = int32(n)
				case tag == 1 && err == nil:
					a.TicketKVNO = n
				default:
					return false
				}
				return true
			})
		}
		return true
	})
}

func principalPrefix(r *derReader) (PrincipalName, bool) {
	var p PrincipalName
	ok := prefixFields(r, func(tag int, c *derReader) bool {
		switch tag {
		case 0: // name-type
			v, err := c.next("")
			if err != nil {
				return false
			}
			n, err := parseEnum(v, "")
			if err != nil {
				return false
			}
			p.NameType = int32(n)
		case 1: // name-string
			s, err := c.expect("", classUniversal, 16)
			if err != nil {
				return false
			}
			names := c.children(s)
			for names.more() && len(p.Names) < 16 {
				v, err := names.expect("", classUniversal, 27)
				if err != nil {
					return false
				}
				p.Names = append(p.Names, string(v.body))
			}
		}
		return true
	})
	return p, ok && len(p.Names) > 0
}

// krbMeanings gives the plain-language meaning, in IIS terms, of the
// Kerberos errors an administrator meets (RFC 4120 7.5.9; MS-KILE 3.3.5.7;
// the Windows causes from Microsoft's Kerberos troubleshooting guides).
var krbMeanings = map[int32]string{
	6:  "the client's name is not known to the KDC",
	7:  "no account holds the requested SPN (missing SPN: register it on the account that runs the site)",
	8:  "more than one account holds the SPN (duplicate SPN: remove it from all but the decrypting account)",
	12: "the KDC's policy rejects the request",
	13: "the KDC cannot issue the requested ticket option",
	14: "no common encryption type between client, KDC and service account (for example RC4 disabled and no AES keys)",
	18: "the client's credentials have been revoked (account disabled, locked or expired)",
	23: "the password has expired",
	24: "pre-authentication failed (wrong password)",
	25: "pre-authentication required (normal first answer of a KDC to an AS-REQ without pre-authentication)",
	31: "the ticket or authenticator failed an integrity check",
	32: "the ticket has expired",
	34: "the request is a replay",
	36: "the ticket is not for this server",
	37: "clock skew too great between client and server or KDC (more than 5 minutes by default): synchronise the clocks with the domain's time source (w32tm /resync on Windows, chrony or ntpd elsewhere)",
	41: "the server could not decrypt the ticket: it was encrypted for a different account's key (SPN on the wrong account, or a stale keytab)",
	44: "the ticket's key version does not match the service's key (stale keytab or password changed)",
	60: "generic error (see e-text)",
	68: "wrong realm (the client must ask another realm's KDC)",
}

// KerberosErrorText returns the RFC 4120 name of a Kerberos error code
// ("KDC_ERR_S_PRINCIPAL_UNKNOWN") and a one-line meaning in plain language.
// Unknown codes give "KRB_ERR_<code>" and gokrb5's description if any.
func KerberosErrorText(code int32) (name, meaning string) {
	s := errorcode.Lookup(code)
	if i := strings.Index(s, ") "); strings.HasPrefix(s, "(") && i > 0 {
		rest := s[i+2:]
		name, meaning, _ = strings.Cut(rest, " ")
	} else {
		name = fmt.Sprintf("KRB_ERR_%d", code)
	}
	if m, ok := krbMeanings[code]; ok {
		meaning = m
	}
	return name, meaning
}
