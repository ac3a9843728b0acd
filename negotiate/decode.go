package negotiate

import (
	"bytes"
	"fmt"
)

var ntlmSignature = []byte("NTLMSSP\x00")

// maxNesting bounds how deep tokens may nest (SPNEGO carrying a GSS
// Kerberos token is depth 2).
const maxNesting = 3

// DecodeToken decodes a Negotiate, Kerberos or NTLM token: the bytes after
// base64-decoding the token68 of a WWW-Authenticate or Authorization header
// (Challenge.Token).
//
// The class is recognised from the first bytes (MS-SPNG, RFC 4178, RFC 4121):
// 0x60 is a GSS-API InitialContextToken (SPNEGO NegTokenInit when its OID is
// 1.3.6.1.5.5.2, a raw Kerberos AP-REQ/AP-REP/KRB-ERROR when it is a Kerberos
// OID); 0xa1 is a SPNEGO NegTokenResp (0xa0 a NegTokenInit without framing);
// "NTLMSSP\0" is a raw NTLM message, which Windows also sends under the
// Negotiate scheme; 0x6e, 0x6f and 0x7e are bare Kerberos AP-REQ, AP-REP and
// KRB-ERROR messages. A SPNEGO token's mechToken or responseToken is decoded
// too and its fields are set on the same Token.
//
// Errors are *DecodeError values with the byte offset of the problem; test
// the cause with errors.Is against ErrTruncated, ErrMalformed,
// ErrInconsistent or ErrUnknownToken. When the input is cut short (a header
// copied from a document or a log that truncates lines), DecodeToken returns
// the error together with a Token holding what the available bytes show (the
// SPNEGO mechanism list, the Kerberos ticket realm and server name, ...), with
// Token.Truncated set.
//
// DecodeToken never panics and never allocates more than a small multiple of
// len(b), whatever the length fields in the input say.
func DecodeToken(b []byte) (*Token, error) {
	var clip *DecodeError
	t := &Token{Size: len(b)}
	err := decodeInto(t, b, 0, 0, &clip)
	if clip != nil {
		t.Truncated = true
		return t, clip
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

func decodeInto(t *Token, b []byte, base, depth int, clip **DecodeError) error {
	if depth >= maxNesting {
		return &DecodeError{Offset: base, Field: "token", Err: fmt.Errorf("%w: tokens nested too deeply", ErrMalformed)}
	}
	if len(b) == 0 {
		return &DecodeError{Offset: base, Field: "token", Err: fmt.Errorf("%w: empty token", ErrTruncated)}
	}
	switch {
	case bytes.HasPrefix(b, ntlmSignature):
		n, kind, err := decodeNTLM(b, base)
		if err != nil {
			return err
		}
		t.NTLM = n
		t.setKind(kind, depth)
		return nil
	case b[0] == 0x60:
		return decodeGSS(t, b, base, depth, clip)
	case b[0] == 0xa0 || b[0] == 0xa1:
		return decodeNegotiationToken(t, b, base, depth, clip)
	case b[0] == 0x6e || b[0] == 0x6f || b[0] == 0x7e || b[0] == 0x30:
		return decodeKerberos(t, b, base, depth, clip)
	}
	if len(b) >= 4 && bytes.HasPrefix(ntlmSignature, b[:min(len(b), len(ntlmSignature))]) {
		return &DecodeError{Offset: base + len(b), Field: "NTLM signature", Err: fmt.Errorf("%w: NTLM message ends inside its signature", ErrTruncated)}
	}
	return &DecodeError{Offset: base, Field: "token", Err: fmt.Errorf("%w: first byte 0x%02x is not 0x60 (GSS), 0xa0/0xa1 (SPNEGO), NTLMSSP or a Kerberos application tag", ErrUnknownToken, b[0])}
}

// setKind records kind as the outer kind at depth 0 and as the inner kind
// below.
func (t *Token) setKind(k TokenKind, depth int) {
	if depth == 0 || t.Kind == UnknownToken {
		t.Kind = k
		return
	}
	t.InnerKind = k
}

// decodeGSS decodes an InitialContextToken (RFC 2743 3.1):
// [APPLICATION 0] IMPLICIT SEQUENCE { thisMech OID, innerToken ANY }.
func decodeGSS(t *Token, b []byte, base, depth int, clip **DecodeError) error {
	r := newDER(b, base, clip)
	outer, err := r.expect("InitialContextToken", classApplication, 0)
	if err != nil {
		return err
	}
	if r.more() && *clip == nil {
		return r.errAt(r.off(), "InitialContextToken", ErrMalformed, "%d bytes after the token", len(b)-r.pos)
	}
	in := r.children(outer)
	oe, err := in.next("InitialContextToken.thisMech")
	if err != nil {
		return err
	}
	oid, err := parseOID(oe, "InitialContextToken.thisMech")
	if err != nil {
		return err
	}
	inner := outer.body[in.pos:]
	innerOff := in.off()
	if depth == 0 {
		t.GSSWrapped = true
		t.ThisMech = oid
	}
	switch {
	case oid.Equal(OIDSPNEGO):
		if depth > 0 {
			return &DecodeError{Offset: oe.off, Field: "InitialContextToken.thisMech", Err: fmt.Errorf("%w: SPNEGO nested inside a mechanism token", ErrMalformed)}
		}
		return decodeNegotiationToken(t, inner, innerOff, depth, clip)
	case isKerberosOID(oid):
		return decodeKerberosGSS(t, inner, innerOff, depth, clip)
	case oid.Equal(OIDNTLM):
		return decodeInto(t, inner, innerOff, depth+1, clip)
	}
	return &DecodeError{Offset: oe.off, Field: "InitialContextToken.thisMech", Err: fmt.Errorf("%w: mechanism %s", ErrUnknownToken, oid)}
}

// decodeKerberosGSS decodes the RFC 4121 4.1 framing inside a GSS token: a
// two-byte TOK_ID then the Kerberos message.
func decodeKerberosGSS(t *Token, b []byte, base, depth int, clip **DecodeError) error {
	if len(b) < 2 {
		return &DecodeError{Offset: base, Field: "Kerberos TOK_ID", Err: fmt.Errorf("%w: token ends before TOK_ID", ErrTruncated)}
	}
	id := uint16(b[0])<<8 | uint16(b[1])
	var want byte
	switch id {
	case 0x0100:
		want = 0x6e
	case 0x0200:
		want = 0x6f
	case 0x0300:
		want = 0x7e
	default:
		return &DecodeError{Offset: base, Field: "Kerberos TOK_ID", Err: fmt.Errorf("%w: TOK_ID %04x is not 0100 (AP-REQ), 0200 (AP-REP) or 0300 (KRB-ERROR)", ErrMalformed, id)}
	}
	if len(b) > 2 && b[2] != want {
		return &DecodeError{Offset: base + 2, Field: "Kerberos message", Err: fmt.Errorf("%w: TOK_ID %04x but message tag 0x%02x", ErrInconsistent, id, b[2])}
	}
	return decodeKerberos(t, b[2:], base+2, depth, clip)
}

// decodeNegotiationToken decodes NegotiationToken ::= CHOICE {
// negTokenInit [0] NegTokenInit, negTokenResp [1] NegTokenResp }.
func decodeNegotiationToken(t *Token, b []byte, base, depth int, clip **DecodeError) error {
	r := newDER(b, base, clip)
	e, err := r.next("NegotiationToken")
	if err != nil {
		return err
	}
	if r.more() && *clip == nil {
		return r.errAt(r.off(), "NegotiationToken", ErrMalformed, "%d bytes after the token", len(b)-r.pos)
	}
	s := &SPNEGO{NegState: NegStateAbsent}
	t.SPNEGO = s
	switch {
	case e.is(classContext, 0):
		t.Kind = SPNEGOInit
		if err := decodeNegTokenInit(t, s, r.children(e), clip); err != nil {
			return err
		}
		if len(s.MechToken) > 0 {
			return decodeInner(t, s.MechToken, s.mechTokenOff, depth, clip)
		}
		return nil
	case e.is(classContext, 1):
		t.Kind = SPNEGOResp
		if err := decodeNegTokenResp(s, r.children(e)); err != nil {
			return err
		}
		if len(s.ResponseToken) > 0 {
			return decodeInner(t, s.ResponseToken, s.responseTokenOff, depth, clip)
		}
		return nil
	}
	return &DecodeError{Offset: e.off, Field: "NegotiationToken", Err: fmt.Errorf("%w: expected [0] NegTokenInit or [1] NegTokenResp, found %s", ErrMalformed, e.describe())}
}

func decodeInner(t *Token, b []byte, off, depth int, clip **DecodeError) error {
	return decodeInto(t, b, off, depth+1, clip)
}

var contextFlagNames = [...]string{"deleg", "mutual", "replay", "sequence", "anon", "conf", "integ"}

// decodeNegTokenInit decodes NegTokenInit (RFC 4178 4.2.1) and NegTokenInit2
// (MS-SPNG 2.2.1), which differ in [3]: mechListMIC OCTET STRING versus
// negHints SEQUENCE.
func decodeNegTokenInit(t *Token, s *SPNEGO, r *derReader, clip **DecodeError) error {
	seq, err := r.expect("NegTokenInit", classUniversal, 16)
	if err != nil {
		return err
	}
	f := r.children(seq)
	last := -1
	for f.more() {
		e, err := f.next("NegTokenInit field")
		if err != nil {
			return err
		}
		if e.class != classContext || e.tag <= last || e.tag > 4 {
			return &DecodeError{Offset: e.off, Field: "NegTokenInit", Err: fmt.Errorf("%w: unexpected field %s", ErrMalformed, e.describe())}
		}
		last = e.tag
		c := f.children(e)
		switch e.tag {
		case 0:
			lst, err := c.expect("NegTokenInit.mechTypes", classUniversal, 16)
			if err != nil {
				return err
			}
			m := c.children(lst)
			for m.more() {
				oe, err := m.next("NegTokenInit.mechTypes")
				if err != nil {
					return err
				}
				oid, err := parseOID(oe, "NegTokenInit.mechTypes")
				if err != nil {
					return err
				}
				if len(s.MechTypes) >= 64 {
					return &DecodeError{Offset: oe.off, Field: "NegTokenInit.mechTypes", Err: fmt.Errorf("%w: more than 64 mechanisms", ErrMalformed)}
				}
				s.MechTypes = append(s.MechTypes, oid)
			}
		case 1:
			be, err := c.expect("NegTokenInit.reqFlags", classUniversal, 3)
			if err != nil {
				return err
			}
			s.ReqFlagsPresent = true
			if len(be.body) >= 2 {
				s.reqFlagsRaw = uint32(be.body[1])
				for i, name := range contextFlagNames {
					if be.body[1]&(0x80>>i) != 0 {
						s.ReqFlags = append(s.ReqFlags, name)
					}
				}
			}
		case 2:
			oe, err := c.next("NegTokenInit.mechToken")
			if err != nil {
				return err
			}
			if s.MechToken, err = parseOctets(oe, "NegTokenInit.mechToken"); err != nil {
				return err
			}
			s.mechTokenOff = oe.bodyOff
		case 3:
			he, err := c.next("NegTokenInit.[3]")
			if err != nil {
				return err
			}
			if he.is(classUniversal, 16) {
				t.Kind = SPNEGOInit2
				if err := decodeNegHints(s, c.children(he)); err != nil {
					return err
				}
			} else {
				if s.MechListMIC, err = parseOctets(he, "NegTokenInit.mechListMIC"); err != nil {
					return err
				}
			}
		case 4:
			oe, err := c.next("NegTokenInit2.mechListMIC")
			if err != nil {
				return err
			}
			t.Kind = SPNEGOInit2
			if s.MechListMIC, err = parseOctets(oe, "NegTokenInit2.mechListMIC"); err != nil {
				return err
			}
		}
	}
	if last < 0 && *clip == nil {
		return &DecodeError{Offset: seq.off, Field: "NegTokenInit.mechTypes", Err: fmt.Errorf("%w: required mechTypes missing", ErrMalformed)}
	}
	return nil
}

func decodeNegHints(s *SPNEGO, r *derReader) error {
	for r.more() {
		e, err := r.next("NegHints")
		if err != nil {
			return err
		}
		c := r.children(e)
		switch {
		case e.is(classContext, 0):
			v, err := c.next("NegHints.hintName")
			if err != nil {
				return err
			}
			if v.class != classUniversal || v.tag != 27 {
				return &DecodeError{Offset: v.off, Field: "NegHints.hintName", Err: fmt.Errorf("%w: expected GeneralString, found %s", ErrMalformed, v.describe())}
			}
			s.HintName = string(v.body)
		case e.is(classContext, 1):
			v, err := c.next("NegHints.hintAddress")
			if err != nil {
				return err
			}
			if s.HintAddress, err = parseOctets(v, "NegHints.hintAddress"); err != nil {
				return err
			}
		default:
			return &DecodeError{Offset: e.off, Field: "NegHints", Err: fmt.Errorf("%w: unexpected field %s", ErrMalformed, e.describe())}
		}
	}
	return nil
}

// decodeNegTokenResp decodes NegTokenResp (RFC 4178 4.2.2); every field is
// optional, negState included.
func decodeNegTokenResp(s *SPNEGO, r *derReader) error {
	seq, err := r.expect("NegTokenResp", classUniversal, 16)
	if err != nil {
		return err
	}
	f := r.children(seq)
	last := -1
	for f.more() {
		e, err := f.next("NegTokenResp field")
		if err != nil {
			return err
		}
		if e.class != classContext || e.tag <= last || e.tag > 3 {
			return &DecodeError{Offset: e.off, Field: "NegTokenResp", Err: fmt.Errorf("%w: unexpected field %s", ErrMalformed, e.describe())}
		}
		last = e.tag
		c := f.children(e)
		v, err := c.next("NegTokenResp field")
		if err != nil {
			return err
		}
		switch e.tag {
		case 0:
			n, err := parseEnum(v, "NegTokenResp.negState")
			if err != nil {
				return err
			}
			if n < 0 || n > 3 {
				return &DecodeError{Offset: v.off, Field: "NegTokenResp.negState", Err: fmt.Errorf("%w: negState %d is not 0-3", ErrMalformed, n)}
			}
			s.NegState = NegState(n)
		case 1:
			if s.SupportedMech, err = parseOID(v, "NegTokenResp.supportedMech"); err != nil {
				return err
			}
		case 2:
			if s.ResponseToken, err = parseOctets(v, "NegTokenResp.responseToken"); err != nil {
				return err
			}
			s.responseTokenOff = v.bodyOff
		case 3:
			if s.MechListMIC, err = parseOctets(v, "NegTokenResp.mechListMIC"); err != nil {
				return err
			}
		}
	}
	return nil
}
