package negotiate

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

// ntlmAuth builds an AUTHENTICATE message with the given header size (64,
// 72 or 88) and payload fields in order LM, NT, domain, user, workstation,
// session key.
func ntlmAuth(hdr int, flags uint32, fields [6][]byte) []byte {
	b := make([]byte, hdr)
	copy(b, ntlmSignature)
	binary.LittleEndian.PutUint32(b[8:], 3)
	binary.LittleEndian.PutUint32(b[60:], flags)
	off := hdr
	for i, f := range fields {
		d := 12 + 8*i
		binary.LittleEndian.PutUint16(b[d:], uint16(len(f)))
		binary.LittleEndian.PutUint16(b[d+2:], uint16(len(f)))
		binary.LittleEndian.PutUint32(b[d+4:], uint32(off))
		off += len(f)
	}
	for _, f := range fields {
		b = append(b, f...)
	}
	return b
}

func u16(s string) []byte {
	var b []byte
	for _, c := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, c)
	}
	return b
}

func TestNTLMAuthenticateVariants(t *testing.T) {
	// OEM strings (no unicode flag), NTLMv1, no Version, no MIC.
	m := ntlmAuth(64, NTLMFlagNTLM|NTLMFlagOEM, [6][]byte{make([]byte, 24), make([]byte, 24), []byte("CORP"), []byte("bob"), []byte("PC1"), nil})
	tok, err := DecodeToken(m)
	if err != nil {
		t.Fatal(err)
	}
	n := tok.NTLM
	if n.Domain != "CORP" || n.User != "bob" || n.Workstation != "PC1" || n.Version() != NTLMv1 || n.OS != nil || n.MIC != nil || n.SessionKeyPresent {
		t.Fatalf("%+v", n)
	}
	if v := tok.Visible(); v.User != "bob" || !strings.Contains(v.Summary, `CORP\bob`) || !strings.Contains(v.Summary, "NTLMv1") {
		t.Errorf("%+v", v)
	}

	// Unicode, Version and MIC present (88-byte header), NTLMv2 with MsvAvFlags=2.
	nt := make([]byte, 16+28)
	nt[16], nt[17] = 1, 1
	nt = append(nt, 6, 0, 4, 0, 2, 0, 0, 0) // MsvAvFlags = MIC present
	nt = append(nt, 0, 0, 0, 0)             // EOL
	m = ntlmAuth(88, NTLMFlagUnicode|NTLMFlagVersion, [6][]byte{nil, nt, u16("CORP"), u16("alice"), u16("WS"), make([]byte, 16)})
	m[64], m[65] = 10, 0
	binary.LittleEndian.PutUint16(m[66:], 19041)
	m[71] = 15
	m[72] = 0xAA
	tok, err = DecodeToken(m)
	if err != nil {
		t.Fatal(err)
	}
	n = tok.NTLM
	if n.User != "alice" || n.Version() != NTLMv2 || !n.MICPresent() || len(n.MIC) != 16 || n.OS == nil || n.OS.Build != 19041 || !n.SessionKeyPresent {
		t.Fatalf("%+v", n)
	}
	if f, ok := n.AVFlags(); !ok || f != 2 {
		t.Errorf("flags %v", f)
	}

	// Anonymous.
	m = ntlmAuth(64, NTLMFlagUnicode|NTLMFlagAnonymous, [6][]byte{{0}, nil, nil, nil, nil, nil})
	if tok, err = DecodeToken(m); err != nil || tok.NTLM.Version() != Anonymous || tok.Visible().ClientIdentityVisible {
		t.Fatalf("anonymous: %v %+v", err, tok)
	}
}

func TestNTLMStrictErrors(t *testing.T) {
	good := ntlmAuth(64, NTLMFlagUnicode, [6][]byte{make([]byte, 24), make([]byte, 24), u16("D"), u16("U"), u16("W"), nil})
	tests := []struct {
		name   string
		mutate func([]byte) []byte
		is     error
		offset int
	}{
		{"offset into header", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[28+4:], 8); return b }, ErrInconsistent, 28},
		{"past the end", func(b []byte) []byte { binary.LittleEndian.PutUint16(b[36:], 400); return b }, ErrTruncated, 36},
		{"overlap", func(b []byte) []byte { binary.LittleEndian.PutUint32(b[20+4:], 70); return b }, ErrInconsistent, 20},
		{"odd unicode", func(b []byte) []byte { binary.LittleEndian.PutUint16(b[44:], 1); return b }, ErrMalformed, 44},
		{"short header", func(b []byte) []byte { return b[:40] }, ErrTruncated, 40},
		{"bad type", func(b []byte) []byte { b[8] = 9; return b }, ErrMalformed, 8},
		{"NTLMv2 too short", func(b []byte) []byte {
			return ntlmAuth(64, 0, [6][]byte{nil, make([]byte, 30), nil, nil, nil, nil})
		}, ErrMalformed, 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.mutate(append([]byte(nil), good...))
			tok, err := DecodeToken(m)
			var de *DecodeError
			if tok != nil || !errors.As(err, &de) || !errors.Is(err, tc.is) || de.Offset != tc.offset {
				t.Fatalf("got %v, %v; want %v at %d", tok, err, tc.is, tc.offset)
			}
		})
	}
}

func TestDecodeTokenErrors(t *testing.T) {
	tests := []struct {
		name   string
		in     []byte
		is     error
		offset int
	}{
		{"empty", nil, ErrTruncated, 0},
		{"unknown first byte", []byte{0x05, 0x00}, ErrUnknownToken, 0},
		{"huge DER length", []byte{0x60, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06}, ErrMalformed, 0},
		{"DER length past the end", []byte{0x60, 0x83, 0x7f, 0xff, 0xff, 0x06}, ErrTruncated, 0},
		{"length of 5 octets", []byte{0x60, 0x85, 1, 1, 1, 1, 1}, ErrMalformed, 1},
		{"indefinite length", []byte{0x60, 0x80, 0, 0}, ErrMalformed, 1},
		{"unknown mech", []byte{0x60, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04}, ErrUnknownToken, 2},
		{"bad negState", []byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x07}, ErrMalformed, 6},
		{"trailing bytes", []byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x00, 0xff}, ErrMalformed, 9},
		{"field order", []byte{0xa1, 0x0c, 0x30, 0x0a, 0xa2, 0x03, 0x04, 0x01, 0x00, 0xa0, 0x03, 0x0a, 0x01, 0x00}, ErrMalformed, 9},
		{"krb5 bad TOK_ID", []byte{0x60, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x09, 0x09}, ErrMalformed, 13},
		{"krb5 TOK_ID/tag mismatch", []byte{0x60, 0x0f, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02, 0x01, 0x00, 0x7e, 0x00}, ErrInconsistent, 15},
		{"truncated NTLM signature", []byte("NTLMSS"), ErrTruncated, 6},
		{"random sequence", []byte{0x30, 0x03, 0x02, 0x01, 0x05}, ErrUnknownToken, 0},
		{"bad AP-REQ body", []byte{0x6e, 0x03, 0x02, 0x01, 0x05}, ErrMalformed, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, err := DecodeToken(tc.in)
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, tc.is) || de.Offset != tc.offset {
				t.Fatalf("got %+v, %v; want %v at %d", tok, err, tc.is, tc.offset)
			}
		})
	}
}

// TestInnerTokenOffsets checks that an error inside a SPNEGO mechToken points
// at the byte in the outer token.
func TestInnerTokenOffsets(t *testing.T) {
	b := readCorpusToken(t, "impacket_spnego_negTokenResp_ntlm_authenticate_v1.hex")
	// The NTLM message starts after the 0x04 0x81 0xa2 octet string header.
	i := strings.Index(string(b), "NTLMSSP\x00")
	m := append([]byte(nil), b...)
	m[i+8] = 7 // MessageType
	_, err := DecodeToken(m)
	var de *DecodeError
	if !errors.As(err, &de) || de.Offset != i+8 {
		t.Fatalf("got %v, want offset %d", err, i+8)
	}
}

func TestVisibleSummaries(t *testing.T) {
	tests := map[string]string{
		"pyspnego_initial_context_token_neg_token_init.b64":     "Kerberos AP-REQ (inside SPNEGO) for host/dc01 in realm DOMAIN.LOCAL (aes256-cts-hmac-sha1-96, kvno 6) shows the service, not the user: the client's name is encrypted inside the ticket, so an observer cannot tell who is authenticating.",
		"impacket_spnego_negTokenResp_ntlm_authenticate_v1.hex": `NTLM AUTHENTICATE (inside SPNEGO) (NTLMv1) shows user WORKGROUP\test from workstation JACK in clear text to any observer on the path.`,
		"pyspnego_ntlm_challenge.b64":                           "NTLM CHALLENGE from the server DC01.domain.local (target DOMAIN) names the server, not the user.",
		"gokrb5_http_negtokenresp_reject.b64":                   "SPNEGO NegTokenResp (reject) carries no identity.",
		"pyspnego_krb_error.b64":                                "Kerberos KRB-ERROR KDC_ERR_PREAUTH_REQUIRED (25) for krbtgt/DOMAIN.LOCAL in realm DOMAIN.LOCAL; it does not name the client.",
	}
	for name, want := range tests {
		tok, err := DecodeToken(readCorpusToken(t, name))
		if err != nil {
			t.Fatal(err)
		}
		v := tok.Visible()
		if v.Summary != want {
			t.Errorf("%s:\n got %q\nwant %q", name, v.Summary, want)
		}
	}
	tok, _ := DecodeToken(readCorpusToken(t, "gokrb5_krb5token_apreq.hex"))
	v := tok.Visible()
	if v.Realm != "TEST.GOKRB5" || v.SPN != "HTTP/host.test.gokrb5" || v.EncType != "aes256-cts-hmac-sha1-96" || v.KVNO != 3 ||
		v.User != "" || v.ClientIdentityVisible || v.Mechanism != "Kerberos" {
		t.Errorf("%+v", v)
	}
}

func FuzzDecodeToken(f *testing.F) {
	testenv.ShortFuzzMinimize()
	files, _ := filepath.Glob("testdata/tokens/*.*")
	for _, fn := range files {
		if strings.HasSuffix(fn, ".tsv") {
			continue
		}
		f.Add(readCorpusToken(f, filepath.Base(fn)))
	}
	f.Add(ntlmAuth(88, NTLMFlagUnicode, [6][]byte{nil, make([]byte, 60), u16("D"), u16("U"), u16("W"), nil}))
	f.Fuzz(func(t *testing.T, b []byte) {
		tok, err := DecodeToken(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not *DecodeError: %v", err, err)
			}
			if de.Offset < 0 || de.Offset > len(b) {
				t.Fatalf("offset %d outside 0..%d", de.Offset, len(b))
			}
			if tok != nil && !tok.Truncated {
				t.Fatalf("token returned with a non-truncation error: %v", err)
			}
		} else if tok == nil {
			t.Fatal("nil token without error")
		}
		if tok != nil {
			_ = tok.Visible()
			_ = tok.Mechanism()
			if tok.NTLM != nil {
				_ = tok.NTLM.Version()
				_ = tok.NTLM.MICPresent()
			}
		}
	})
}

func TestTokenJSON(t *testing.T) {
	tok, err := DecodeToken(readCorpusToken(t, "pyspnego_ntlm_negotiate.b64"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(tok)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for _, want := range []string{`"kind":"NTLM NEGOTIATE"`, `"flags":{"raw":3792208567,"names":["NEGOTIATE_UNICODE",`, `"build":17763`, `"message_type":"NEGOTIATE_MESSAGE (1)"`} {
		if !strings.Contains(s, want) {
			t.Errorf("JSON lacks %s: %s", want, s)
		}
	}
	for _, unwanted := range []string{"inner_kind", "timestamp", "0001-01-01", "FlagNames", "flag_names"} {
		if strings.Contains(s, unwanted) {
			t.Errorf("JSON has zero field %s: %s", unwanted, s)
		}
	}
}

func TestTokenJSONOmitsCredentials(t *testing.T) {
	for _, name := range []string{"pyspnego_ntlm_authenticate.b64", "pyspnego_initial_context_token_neg_token_init.b64"} {
		tok, err := DecodeToken(readCorpusToken(t, name))
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(tok)
		if err != nil {
			t.Fatal(err)
		}
		for _, unwanted := range []string{"MechToken", "mech_token", "NTProofStr", "nt_proof_str", `"SessionKey"`, `"session_key"`, "xUPMDRoPvZ7AXhqrB3GxJA", "YIIFXgYJ"} {
			if strings.Contains(string(b), unwanted) {
				t.Errorf("%s: JSON has %s", name, unwanted)
			}
		}
	}
}

// der builds a DER element (test helper).
func der(tag byte, body ...[]byte) []byte {
	var b []byte
	for _, x := range body {
		b = append(b, x...)
	}
	n := len(b)
	switch {
	case n < 0x80:
		return append([]byte{tag, byte(n)}, b...)
	case n < 0x100:
		return append([]byte{tag, 0x81, byte(n)}, b...)
	default:
		return append([]byte{tag, 0x82, byte(n >> 8), byte(n)}, b...)
	}
}

var (
	derKerberosOID = []byte{0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x12, 0x01, 0x02, 0x02}
	derNTLMOID     = []byte{0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37, 0x02, 0x02, 0x0a}
	derSPNEGOOID   = []byte{0x06, 0x06, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x02}
)

func TestNegTokenInitReqFlagsAndMIC(t *testing.T) {
	// NegTokenInit { mechTypes [Kerberos, NTLM], reqFlags mutual|integ, mechListMIC }.
	init := der(0xa0, der(0x30,
		der(0xa0, der(0x30, derKerberosOID, derNTLMOID)),
		der(0xa1, []byte{0x03, 0x02, 0x01, 0x42}), // BIT STRING, 1 unused bit, 0x42 = mutual(1) + integ(6)
		der(0xa3, der(0x04, []byte{1, 2, 3, 4})),
	))
	tok, err := DecodeToken(der(0x60, derSPNEGOOID, init))
	if err != nil {
		t.Fatal(err)
	}
	s := tok.SPNEGO
	if tok.Kind != SPNEGOInit || !s.ReqFlagsPresent || strings.Join(s.ReqFlags, ",") != "mutual,integ" ||
		string(s.MechListMIC) != "\x01\x02\x03\x04" || tok.Mechanism() != "Kerberos" {
		t.Fatalf("%v %+v", tok.Kind, s)
	}
}

func TestNegTokenRespCarryingKRBError(t *testing.T) {
	// A server rejecting an AP-REQ: NegTokenResp { reject, Kerberos, GSS(0300 KRB-ERROR) }.
	krbErr := readCorpusToken(t, "gokrb5_testdata_mit_krb_error.hex")
	gss := der(0x60, derKerberosOID, []byte{0x03, 0x00}, krbErr)
	resp := der(0xa1, der(0x30,
		der(0xa0, []byte{0x0a, 0x01, 0x02}),
		der(0xa1, derKerberosOID),
		der(0xa2, der(0x04, gss)),
	))
	tok, err := DecodeToken(resp)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Kind != SPNEGOResp || tok.SPNEGO.NegState != Reject || tok.InnerKind != KerberosError ||
		tok.Kerberos.Error.Code != 60 || tok.Kerberos.Error.EText != "krb5data" {
		t.Fatalf("%v %v %+v", tok.Kind, tok.InnerKind, tok.Kerberos)
	}
	// The same message with a TOK_ID that says AP-REP is inconsistent.
	gss[bytes.Index(gss, derKerberosOID)+len(derKerberosOID)] = 0x02 // TOK_ID 0200
	bad := der(0xa1, der(0x30, der(0xa2, der(0x04, gss))))
	if _, err := DecodeToken(bad); !errors.Is(err, ErrInconsistent) {
		t.Fatalf("TOK_ID mismatch: %v", err)
	}
}

func TestRawNTLMInsideGSS(t *testing.T) {
	ntlm := readCorpusToken(t, "pyspnego_ntlm_negotiate.b64")
	tok, err := DecodeToken(der(0x60, derNTLMOID, ntlm))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.GSSWrapped || tok.NTLM == nil || tok.NTLM.MessageType != 1 || tok.Mechanism() != "NTLM" {
		t.Fatalf("%+v", tok)
	}
}

func TestTruncatedAPReqPrefix(t *testing.T) {
	full := readCorpusToken(t, "gokrb5_krb5token_apreq.hex")
	tok, err := DecodeToken(full[:140]) // ends inside the ticket's cipher text
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) || de.Offset != 0 || tok == nil || !tok.Truncated {
		t.Fatalf("got %+v, %v", tok, err)
	}
	a := tok.Kerberos.APReq
	if tok.Kind != KerberosAPReq || a.Realm != "TEST.GOKRB5" || a.SPN != "HTTP/host.test.gokrb5" || a.TicketEncType != 18 || a.TicketKVNO != 3 {
		t.Fatalf("%+v", a)
	}
	if v := tok.Visible(); v.EncType != "aes256-cts-hmac-sha1-96" || !strings.Contains(v.Summary, "truncated") {
		t.Errorf("%+v", v)
	}
	// Every prefix decodes without panicking and reports truncation.
	for n := 1; n < len(full); n++ {
		if _, err := DecodeToken(full[:n]); !errors.Is(err, ErrTruncated) {
			t.Fatalf("prefix %d: %v", n, err)
		}
	}
}

func BenchmarkDecodeToken(b *testing.B) {
	for _, name := range []string{"pyspnego_initial_context_token_neg_token_init.b64", "pyspnego_ntlm_authenticate.b64"} {
		tok := readCorpusToken(b, name)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tok)))
			for b.Loop() {
				if _, err := DecodeToken(tok); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
