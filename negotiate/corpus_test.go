package negotiate

import (
	"bytes"
	"encoding/asn1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readCorpusToken reads a token file from testdata/tokens (hex or base64,
// per its extension).
func readCorpusToken(t testing.TB, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "tokens", name))
	if err != nil {
		t.Fatal(err)
	}
	s := strings.TrimSpace(string(raw))
	var b []byte
	if strings.HasSuffix(name, ".hex") {
		b, err = hex.DecodeString(s)
	} else {
		if strings.Contains(name, "TRUNCATED") {
			// The document's prefix is cut mid-quantum: drop the dangling
			// base64 characters (the test is about the decoded prefix).
			s = s[:len(s)/4*4]
		}
		b, err = base64.StdEncoding.DecodeString(s)
	}
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func oids(list ...asn1.ObjectIdentifier) []asn1.ObjectIdentifier { return list }

func sameOIDs(a, b []asn1.ObjectIdentifier) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !a[i].Equal(b[i]) {
			return false
		}
	}
	return true
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func avText(pairs []AVPair, id uint16) string {
	for _, p := range pairs {
		if p.ID == id {
			return p.Text
		}
	}
	return "<absent>"
}

// TestCorpus checks every token in testdata/tokens (copied from
// ../shared/corpus/tokens with its MANIFEST.tsv) against the values the
// manifest states.
func TestCorpus(t *testing.T) {
	checks := map[string]func(t *testing.T, tok *Token, err error){
		"pyspnego_initial_context_token_neg_token_init.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			s := tok.SPNEGO
			if tok.Kind != SPNEGOInit || tok.InnerKind != KerberosAPReq || !sameOIDs(s.MechTypes, oids(OIDKerberos, OIDNTLM)) ||
				s.ReqFlagsPresent || s.MechListMIC != nil {
				t.Fatalf("SPNEGO: %+v kind %v/%v", s, tok.Kind, tok.InnerKind)
			}
			a := tok.Kerberos.APReq
			if a.Realm != "DOMAIN.LOCAL" || a.SPN != "host/dc01" || a.SName.NameType != 3 || a.TicketEncType != 18 || a.TicketKVNO != 6 ||
				a.APOptions != 0x20000000 || !a.MutualRequired {
				t.Fatalf("AP-REQ %+v", a)
			}
			if tok.Mechanism() != "Kerberos" {
				t.Fatal(tok.Mechanism())
			}
		},
		"pyspnego_initial_context_token_neg_token_init2.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			s := tok.SPNEGO
			if tok.Kind != SPNEGOInit2 || !sameOIDs(s.MechTypes, oids(OIDNegoEx, OIDMSKerberos, OIDKerberos, OIDKerberosU2U, OIDNTLM)) ||
				s.HintName != "not_defined_in_RFC4178@please_ignore" || s.HintAddress != nil || s.MechToken != nil || tok.Kerberos != nil {
				t.Fatalf("%v %+v", tok.Kind, s)
			}
		},
		"pyspnego_initial_context_token_krb_ap_req.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			a := tok.Kerberos.APReq
			if tok.Kind != KerberosAPReq || !tok.GSSWrapped || !tok.ThisMech.Equal(OIDKerberos) || tok.SPNEGO != nil ||
				a.APOptions != 0x20000000 || !a.MutualRequired || a.Realm != "DOMAIN.LOCAL" || a.SName.NameType != 3 ||
				strings.Join(a.SName.Names, ",") != "host,dc01" || a.TicketEncType != 18 || a.TicketKVNO != 6 || a.AuthEncType != 18 || a.AuthKVNO != 0 {
				t.Fatalf("%v %+v", tok.Kind, a)
			}
		},
		"pyspnego_neg_token_resp.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			s := tok.SPNEGO
			if tok.Kind != SPNEGOResp || s.NegState != AcceptCompleted || !s.SupportedMech.Equal(OIDKerberos) || s.MechListMIC != nil ||
				tok.InnerKind != KerberosAPRep || tok.Kerberos.MsgType != 15 || tok.Kerberos.APRep == nil {
				t.Fatalf("%v %+v", tok.Kind, s)
			}
		},
		"pyspnego_ntlm_negotiate.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			n := tok.NTLM
			if tok.Kind != NTLMNegotiate || n.Flags != 0xE20882B7 || n.Domain != "" || n.Workstation != "" ||
				n.OS == nil || *n.OS != (OSVersion{Major: 10, Minor: 0, Build: 17763, NTLMRevision: 15}) {
				t.Fatalf("%+v %+v", n, n.OS)
			}
		},
		"pyspnego_ntlm_challenge.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			n := tok.NTLM
			if tok.Kind != NTLMChallenge || n.Flags != 0xE2898235 || !bytes.Equal(n.ServerChallenge, unhex(t, "E4101014CF8A90BE")) ||
				n.TargetName != "DOMAIN" || n.OS == nil || n.OS.Major != 10 || n.OS.Minor != 0 || n.OS.Build != 14393 {
				t.Fatalf("%+v", n)
			}
			want := map[uint16]string{AvNbDomainName: "DOMAIN", AvNbComputerName: "DC01", AvDNSDomainName: "domain.local",
				AvDNSComputerName: "DC01.domain.local", AvDNSTreeName: "domain.local", AvTimestamp: "2020-04-30T02:46:22.4140792Z"}
			for id, v := range want {
				if got := avText(n.TargetInfo, id); got != v {
					t.Errorf("AV %d = %q, want %q", id, got, v)
				}
			}
			if !n.Timestamp.Equal(time.Date(2020, 4, 30, 2, 46, 22, 414079200, time.UTC)) {
				t.Errorf("timestamp %v", n.Timestamp)
			}
		},
		"pyspnego_ntlm_authenticate.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			n := tok.NTLM
			if tok.Kind != NTLMAuthenticate || n.LMResponseLen != 0 || n.NTResponseLen != 252 || n.Version() != NTLMv2 ||
				!bytes.Equal(n.NTProofStr, unhex(t, "C543CC0D1A0FBD9EC05E1AAB0771B124")) || n.Domain != "" ||
				n.User != "vagrant-domain@DOMAIN.LOCAL" || n.Workstation != "JBOREAN-LINUX" ||
				!bytes.Equal(n.SessionKey, unhex(t, "3765D5AFD13EC3A6C97C0726CE9F30C9")) || n.MIC != nil || n.MICPresent() {
				t.Fatalf("%+v", n)
			}
			if f, ok := n.AVFlags(); !ok || f != 0 {
				t.Errorf("MsvAvFlags %v %v", f, ok)
			}
			if spn, ok := n.TargetSPN(); !ok || spn != "dc01.domain.local" {
				t.Errorf("target %q", spn)
			}
			if cb, ok := n.ChannelBindings(); !ok || !bytes.Equal(cb, make([]byte, 16)) {
				t.Errorf("channel bindings %x", cb)
			}
			if !n.Timestamp.Equal(time.Date(2020, 4, 30, 2, 46, 22, 414079200, time.UTC)) {
				t.Errorf("timestamp %v", n.Timestamp)
			}
			v := tok.Visible()
			if !v.ClientIdentityVisible || v.User != "vagrant-domain@DOMAIN.LOCAL" || v.Workstation != "JBOREAN-LINUX" {
				t.Errorf("visible %+v", v)
			}
		},
		"pyspnego_krb_error.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			e := tok.Kerberos.Error
			if tok.Kind != KerberosError || e.Code != 25 || e.Name != "KDC_ERR_PREAUTH_REQUIRED" || e.Realm != "DOMAIN.LOCAL" ||
				e.SName.NameType != 2 || e.SPN != "krbtgt/DOMAIN.LOCAL" || !e.STime.Equal(time.Date(2020, 6, 13, 21, 4, 23, 0, time.UTC)) ||
				e.SUSec != 748591 || e.CRealm != "" || len(e.CName.Names) != 0 || !e.CTime.IsZero() || e.EText != "" || len(e.EData) == 0 {
				t.Fatalf("%+v", e)
			}
			if len(tok.Notes) != 1 || !strings.Contains(tok.Notes[0], "APPLICATION 30") {
				t.Errorf("notes %q", tok.Notes)
			}
		},
		"impacket_spnego_negTokenInit_negoex_ntlm.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.Kind != SPNEGOInit || !sameOIDs(tok.SPNEGO.MechTypes, oids(OIDNegoEx, OIDNTLM)) || tok.SPNEGO.MechToken != nil {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"impacket_spnego_negTokenInit_ntlm_negotiate.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			n := tok.NTLM
			if tok.Kind != SPNEGOInit || tok.InnerKind != NTLMNegotiate || !sameOIDs(tok.SPNEGO.MechTypes, oids(OIDNTLM)) ||
				n.Flags != 0x60088215 || n.Domain != "WORKGROUP" || n.Workstation != "JACK" {
				t.Fatalf("%+v", n)
			}
			if v := tok.Visible(); v.Domain != "WORKGROUP" || v.Workstation != "JACK" || v.ClientIdentityVisible {
				t.Errorf("visible %+v", v)
			}
		},
		"impacket_spnego_negTokenResp_ntlm_challenge.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			n := tok.NTLM
			if tok.SPNEGO.NegState != AcceptIncomplete || !tok.SPNEGO.SupportedMech.Equal(OIDNTLM) || tok.InnerKind != NTLMChallenge ||
				n.Flags != 0x628a8215 || n.TargetName != "WIN-A6KPU0T1R6S" || !bytes.Equal(n.ServerChallenge, unhex(t, "299318153d3b0d8a")) ||
				!n.Timestamp.Equal(time.Date(2012, 5, 12, 18, 50, 39, 783125000, time.UTC)) {
				t.Fatalf("%+v", n)
			}
			for _, id := range []uint16{AvNbDomainName, AvNbComputerName, AvDNSDomainName, AvDNSComputerName} {
				if got := avText(n.TargetInfo, id); got != "WIN-A6KPU0T1R6S" {
					t.Errorf("AV %d = %q", id, got)
				}
			}
		},
		"impacket_spnego_negTokenResp_ntlm_authenticate_v1.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			n := tok.NTLM
			if tok.Kind != SPNEGOResp || tok.SPNEGO.NegState != NegStateAbsent || tok.InnerKind != NTLMAuthenticate ||
				n.LMResponseLen != 24 || n.NTResponseLen != 24 || n.Version() != NTLMv1 || n.Domain != "WORKGROUP" ||
				n.User != "test" || n.Workstation != "JACK" || len(n.SessionKey) != 16 || n.NTProofStr != nil {
				t.Fatalf("%+v", n)
			}
		},
		"impacket_spnego_negTokenResp_request_mic.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.SPNEGO.NegState != RequestMIC || !tok.SPNEGO.SupportedMech.Equal(OIDNTLM) || tok.Mechanism() != "NTLM" {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"impacket_spnego_negTokenResp_accept_completed.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.Kind != SPNEGOResp || tok.SPNEGO.NegState != AcceptCompleted || tok.SPNEGO.SupportedMech != nil {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"impacket_testntlm_v1_authenticate_offsets_inconsistent.hex": func(t *testing.T, tok *Token, err error) {
			var de *DecodeError
			if tok != nil || !errors.As(err, &de) || !errors.Is(err, ErrInconsistent) || de.Offset != 20 ||
				de.Field != "NTLM AUTHENTICATE.NtChallengeResponseFields" ||
				!strings.Contains(err.Error(), "payload starts at byte 88") || !strings.Contains(err.Error(), "from byte 64") {
				t.Fatalf("got %v, %v", tok, err)
			}
		},
		"gokrb5_spnego_gssapi_init_krb5_apreq.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if !sameOIDs(tok.SPNEGO.MechTypes, oids(OIDKerberos, oidKerberosOld, OIDMSKerberos, OIDIAKerb)) {
				t.Fatalf("mechs %v", tok.SPNEGO.MechTypes)
			}
			a := tok.Kerberos.APReq
			if a.Realm != "TEST.GOKRB5" || a.SPN != "HTTP/host.test.gokrb5" || a.SName.NameType != 3 || a.TicketEncType != 18 || a.TicketKVNO != 2 {
				t.Fatalf("%+v", a)
			}
		},
		"gokrb5_krb5token_apreq.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			a := tok.Kerberos.APReq
			if tok.Kind != KerberosAPReq || !tok.GSSWrapped || a.Realm != "TEST.GOKRB5" || a.SPN != "HTTP/host.test.gokrb5" ||
				a.SName.NameType != 1 || a.TicketEncType != 18 || a.TicketKVNO != 3 {
				t.Fatalf("%+v", a)
			}
		},
		"gokrb5_http_negtokenresp_accept_completed.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.SPNEGO.NegState != AcceptCompleted || !tok.SPNEGO.SupportedMech.Equal(OIDKerberos) {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"gokrb5_spnego_negtokenresp_accept_completed.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.SPNEGO.NegState != AcceptCompleted || !tok.SPNEGO.SupportedMech.Equal(OIDKerberos) {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"gokrb5_http_negtokenresp_reject.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.SPNEGO.NegState != Reject || tok.SPNEGO.SupportedMech != nil {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"gokrb5_http_negtokenresp_accept_incomplete_krb5.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.SPNEGO.NegState != AcceptIncomplete || !tok.SPNEGO.SupportedMech.Equal(OIDKerberos) {
				t.Fatalf("%+v", tok.SPNEGO)
			}
		},
		"msdocs_ie_negotiate_header_TRUNCATED_prefix.b64": func(t *testing.T, tok *Token, err error) {
			var de *DecodeError
			if !errors.As(err, &de) || !errors.Is(err, ErrTruncated) || de.Offset != 0 || de.Field != "InitialContextToken" ||
				!strings.Contains(err.Error(), "says 2928 bytes but only 170 remain") {
				t.Fatalf("err %v", err)
			}
			if tok == nil || !tok.Truncated || tok.Kind != SPNEGOInit || tok.InnerKind != KerberosAPReq ||
				!sameOIDs(tok.SPNEGO.MechTypes, oids(OIDMSKerberos, OIDKerberos, OIDNegoEx, OIDNTLM)) {
				t.Fatalf("partial token %+v", tok)
			}
			a := tok.Kerberos.APReq
			// The prefix ends inside the sname: only "HTTP" of HTTP/web-server.odessy.local is present.
			if a.Realm != "ODESSY.LOCAL" || a.SName.NameType != 2 || len(a.SName.Names) == 0 || a.SName.Names[0] != "HTTP" ||
				a.APOptions != 0x20000000 {
				t.Fatalf("%+v", a)
			}
		},
		"gokrb5_testdata_mit_ap_req.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			a := tok.Kerberos.APReq
			if tok.Kind != KerberosAPReq || tok.GSSWrapped || a.Realm != "ATHENA.MIT.EDU" || a.SPN != "hftsai/extra" ||
				a.TicketEncType != 0 || a.TicketKVNO != 5 || a.APOptions != 0xFEDCBA98 {
				t.Fatalf("%+v", a)
			}
		},
		"gokrb5_testdata_mit_krb_error.hex": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			e := tok.Kerberos.Error
			if tok.Kind != KerberosError || e.Code != 60 || e.Name != "KRB_ERR_GENERIC" || e.Realm != "ATHENA.MIT.EDU" ||
				e.SPN != "hftsai/extra" || e.EText != "krb5data" || len(tok.Notes) != 0 {
				t.Fatalf("%+v", e)
			}
			if v := tok.Visible(); !v.ClientIdentityVisible || v.User != "hftsai/extra" {
				t.Errorf("visible %+v", v)
			}
		},
		"pyspnego_initial_context_token_krb_ap_rep.b64": func(t *testing.T, tok *Token, err error) {
			mustOK(t, err)
			if tok.Kind != KerberosAPRep || tok.Kerberos.MsgType != 15 || tok.Kerberos.APRep.EncType != 18 || !tok.GSSWrapped {
				t.Fatalf("%+v", tok.Kerberos)
			}
		},
	}
	manifest, err := os.ReadFile("testdata/tokens/MANIFEST.tsv")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(manifest)), "\n")[1:]
	if len(lines) != len(checks) {
		t.Errorf("MANIFEST lists %d tokens, the test checks %d", len(lines), len(checks))
	}
	for _, l := range lines {
		name, _, _ := strings.Cut(l, "\t")
		check, ok := checks[name]
		if !ok {
			t.Errorf("no check for %s", name)
			continue
		}
		t.Run(name, func(t *testing.T) {
			tok, err := DecodeToken(readCorpusToken(t, name))
			check(t, tok, err)
			if tok != nil {
				if v := tok.Visible(); v.Summary == "" || strings.Count(v.Summary, ". ") > 0 {
					t.Errorf("summary %q is not one sentence", v.Summary)
				}
			}
		})
	}
}

func mustOK(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
