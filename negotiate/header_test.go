package negotiate

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestParseChallengeValue(t *testing.T) {
	tests := []struct {
		in   string
		want []Challenge
	}{
		{"Negotiate", []Challenge{{Scheme: "Negotiate", Raw: "Negotiate"}}},
		{"Negotiate, NTLM", []Challenge{{Scheme: "Negotiate", Raw: "Negotiate"}, {Scheme: "NTLM", Raw: "NTLM"}}},
		{"  NTLM  ,  Negotiate  ", []Challenge{{Scheme: "NTLM", Raw: "NTLM"}, {Scheme: "Negotiate", Raw: "Negotiate"}}},
		{"Negotiate oQcwBaADCgEC", []Challenge{{Scheme: "Negotiate", Token68: "oQcwBaADCgEC", Token: []byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x02}, Raw: "Negotiate oQcwBaADCgEC"}}},
		{"Negotiate oQcwBaADCgEC, Basic realm=\"web\"", []Challenge{
			{Scheme: "Negotiate", Token68: "oQcwBaADCgEC", Token: []byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01, 0x02}, Raw: "Negotiate oQcwBaADCgEC"},
			{Scheme: "Basic", Params: map[string]string{"realm": "web"}, Raw: `Basic realm="web"`}}},
		{`Basic realm="a, \"b\"", charset=UTF-8, Negotiate`, []Challenge{
			{Scheme: "Basic", Params: map[string]string{"realm": `a, "b"`, "charset": "UTF-8"}, Raw: `Basic realm="a, \"b\"", charset=UTF-8`},
			{Scheme: "Negotiate", Raw: "Negotiate"}}},
		{"Kerberos", []Challenge{{Scheme: "Kerberos", Raw: "Kerberos"}}},
		{"NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==", []Challenge{{Scheme: "NTLM",
			Token68: "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==",
			Token:   []byte("NTLMSSP\x00\x01\x00\x00\x00\x07\x82\x08\xa2\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x0a\x00\x63\x45\x00\x00\x00\x0f"),
			Raw:     "NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw=="}}},
		{"Bearer abc.def-ghi", []Challenge{{Scheme: "Bearer", Token68: "abc.def-ghi", Raw: "Bearer abc.def-ghi"}}},
		{"", nil},
	}
	for _, tc := range tests {
		got, err := ParseChallengeValue(tc.in)
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q:\n got %#v\nwant %#v", tc.in, got, tc.want)
		}
	}
}

func TestParseChallengeValueErrors(t *testing.T) {
	tests := []struct {
		in     string
		offset int
	}{
		{"Negotiate !!!!", 10},
		{"Negotiate abc$", 13},
		{`Basic realm="unterminated`, 12},
		{"Negotiate a", 10}, // one base64 character cannot be decoded
		{`Basic realm="x", y=`, 19},
		{"(bad)", 0},
		{"Neg/otiate", 3},
	}
	for _, tc := range tests {
		_, err := ParseChallengeValue(tc.in)
		var he *HeaderError
		if !errors.As(err, &he) || he.Offset != tc.offset {
			t.Errorf("%q: got %v (offset %v), want HeaderError at %d", tc.in, err, he, tc.offset)
		}
	}
}

func TestParseChallengesHeaders(t *testing.T) {
	h := http.Header{}
	h.Add("WWW-Authenticate", "Negotiate")
	h.Add("WWW-Authenticate", "NTLM")
	h.Add("Persistent-Auth", "true")
	got, err := ParseChallenges(h)
	if err != nil || len(got) != 2 || !got[0].Is("negotiate") || !got[1].Is("ntlm") {
		t.Fatalf("%v %v", got, err)
	}
	if p, ok := PersistentAuth(h); !p || !ok {
		t.Errorf("PersistentAuth = %v %v", p, ok)
	}
	h.Set("Persistent-Auth", "False")
	if p, ok := PersistentAuth(h); p || !ok {
		t.Errorf("PersistentAuth false = %v %v", p, ok)
	}
	h.Del("Persistent-Auth")
	if _, ok := PersistentAuth(h); ok {
		t.Error("PersistentAuth present without header")
	}
	h.Add("WWW-Authenticate", "Negotiate ###")
	got, err = ParseChallenges(h)
	var he *HeaderError
	if !errors.As(err, &he) || len(got) != 2 {
		t.Errorf("bad third header: %v %v", got, err)
	}
}

func TestParseAuthorization(t *testing.T) {
	c, err := ParseAuthorization("Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==")
	if err != nil || !c.Is("Negotiate") || len(c.Token) != 22 {
		t.Fatalf("%+v %v", c, err)
	}
	// Unpadded base64 is accepted.
	if c, err := ParseAuthorization("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw"); err != nil || len(c.Token) != 40 {
		t.Fatalf("unpadded: %+v %v", c, err)
	}
	for _, bad := range []string{"", "   ", "Negotiate abc, NTLM", "Negotiate YII*"} {
		if _, err := ParseAuthorization(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func FuzzParseChallengeValue(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, s := range []string{"Negotiate", "Negotiate, NTLM", `Basic realm="x", Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==`,
		"NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==", `Digest a="\"", b=c`, "Negotiate a=b=c", ",,,",
		`NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAGAbEdAAAADw==\r\n`, `"Negotiate YIINPwY..."`, "Negotiate YIIN\r\n PwYG\u2026",
		"NTLM [redacted], Negotiate <token>", "Authorization: NTLM \"TlRM\"", "\u201cNTLM TlRM\u201d", `Auth_header="Negotiate YIINPwY..."`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cs, err := ParseChallengeValue(s)
		if err != nil {
			var he *HeaderError
			if !errors.As(err, &he) || he.Offset < 0 || he.Offset > len(s) {
				t.Fatalf("bad error %#v", err)
			}
		}
		for _, c := range cs {
			if c.Scheme == "" {
				t.Fatalf("empty scheme in %q", s)
			}
		}
		if c, err := ParseAuthorization(s); err == nil && c.Scheme == "" {
			t.Fatalf("ParseAuthorization(%q) without scheme", s)
		}
		if _, _, err := ParseHeaderLine(s); err != nil {
			var he *HeaderError
			if !errors.As(err, &he) || he.Offset < 0 || he.Offset > len(s) {
				t.Fatalf("ParseHeaderLine: bad error %#v", err)
			}
		}
	})
}

func TestParseAuthorizationRedactsBasic(t *testing.T) {
	c, err := ParseAuthorization("Basic dXNlcjpTM2NyZXQh")
	if err != nil {
		t.Fatal(err)
	}
	if c.Token68 != "" || c.Token != nil || c.Raw != "Basic [redacted]" || strings.Contains(fmt.Sprintf("%+v", c), "dXNlcjpTM2NyZXQh") {
		t.Fatalf("%+v", c)
	}
}

// TestRealWorldHeaders decodes the header lines in testdata/realworld, as
// users and tools pasted them (see its PROVENANCE), to the conclusion a
// correct reader reaches.
func TestRealWorldHeaders(t *testing.T) {
	read := func(t *testing.T, name string) string {
		t.Helper()
		b, err := os.ReadFile(filepath.Join("testdata", "realworld", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	decode := func(t *testing.T, name, wantHeader string) *Token {
		t.Helper()
		h, chs, err := ParseHeaderLine(read(t, name))
		if err != nil || h != wantHeader || len(chs) != 1 || len(chs[0].Token) == 0 {
			t.Fatalf("%s: header %q challenges %+v err %v", name, h, chs, err)
		}
		tok, err := DecodeToken(chs[0].Token)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return tok
	}
	t.Run("quarkus AP-REQ", func(t *testing.T) {
		tok := decode(t, "quarkus-authorization-negotiate-krb5-apreq.header", "Authorization")
		if tok.Kind != SPNEGOInit || tok.InnerKind != KerberosAPReq || !sameOIDs(tok.SPNEGO.MechTypes, oids(OIDKerberos)) {
			t.Fatalf("%v/%v mechs %v", tok.Kind, tok.InnerKind, tok.SPNEGO.MechTypes)
		}
		ap := tok.Kerberos.APReq
		if ap.Realm != "EXAMPLE.COM" || ap.SPN != "HTTP/localhost" || ap.SName.NameType != 3 || ap.TicketEncType != 18 || ap.TicketKVNO != 1 || !ap.MutualRequired {
			t.Errorf("AP-REQ %+v", ap)
		}
		if v := tok.Visible(); strings.Contains(strings.ToLower(v.Summary), "bob") {
			t.Errorf("client identity visible: %+v", v)
		}
	})
	t.Run("ctf silver ticket", func(t *testing.T) {
		tok := decode(t, "ctf-authorization-negotiate-silver-ticket.header", "Authorization")
		ap := tok.Kerberos.APReq
		if tok.InnerKind != KerberosAPReq || ap.Realm != "SUPERCLIENT.TCC" || ap.SPN != "HTTP/ctfb4.tcc" || ap.SName.NameType != 1 || ap.TicketEncType != 18 || ap.TicketKVNO != 2 {
			t.Errorf("AP-REQ %+v", ap)
		}
	})
	t.Run("camel AP-REP", func(t *testing.T) {
		tok := decode(t, "camel-httpclient-www-authenticate-negotiate.header", "WWW-Authenticate")
		if tok.Kind != SPNEGOResp || tok.SPNEGO.NegState != AcceptCompleted || tok.InnerKind != KerberosAPRep {
			t.Errorf("%v/%v negState %v", tok.Kind, tok.InnerKind, tok.SPNEGO.NegState)
		}
	})
	t.Run("curl3286 Wireshark \\r\\n", func(t *testing.T) {
		line := read(t, "curl3286-ie-proxy-authorization-ntlm-type1.header")
		if !strings.Contains(line, `==\r\n`) {
			t.Fatal("the test file lost its literal \\r\\n")
		}
		_, chs, _ := ParseHeaderLine(line)
		if len(chs) != 1 || !strings.Contains(strings.Join(chs[0].Cleaned, ";"), `literal \r\n`) {
			t.Errorf("cleaning not reported: %+v", chs)
		}
		tok := decode(t, "curl3286-ie-proxy-authorization-ntlm-type1.header", "Proxy-Authorization")
		if tok.Kind != NTLMNegotiate || tok.NTLM.Flags != 0xA2088207 {
			t.Errorf("%v flags %#x", tok.Kind, tok.NTLM.Flags)
		}
	})
	t.Run("ulad truncated", func(t *testing.T) {
		line := read(t, "ulad-authmon-truncated-negotiate.header")
		name, chs, err := ParseHeaderLine(line)
		var he *HeaderError
		if name != "Auth_header" || !errors.As(err, &he) || !errors.Is(err, ErrTruncated) {
			t.Fatalf("name %q err %v", name, err)
		}
		if len(chs) != 1 || !chs[0].Is("Negotiate") || !chs[0].Truncated || chs[0].Token != nil {
			t.Errorf("challenges %+v", chs)
		}
		msg := err.Error()
		if !strings.Contains(msg, "cut off") || !strings.Contains(msg, `"..."`) {
			t.Errorf("message does not name the cause: %s", msg)
		}
		assertNoEcho(t, msg, "YIINPwY")
	})
}

// assertNoEcho fails when msg contains token text, in any case.
func assertNoEcho(t *testing.T, msg, token string) {
	t.Helper()
	if strings.Contains(strings.ToLower(msg), strings.ToLower(token)) {
		t.Errorf("error echoes the token: %s", msg)
	}
}

// TestHeaderCleaning covers what tools add to a pasted header value.
func TestHeaderCleaning(t *testing.T) {
	const ntlm1 = "TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw=="
	ok := []struct {
		name, in string
		cleaned  string // substring of the joined Cleaned notes
	}{
		{"wireshark", "NTLM " + ntlm1 + `\r\n`, `literal \r\n`},
		{"wireshark twice", "NTLM " + ntlm1 + `\r\n\r\n  `, `literal \r\n`},
		{"real CRLF", "NTLM " + ntlm1 + "\r\n", ""},
		{"quoted value", `"NTLM ` + ntlm1 + `"`, "surrounding quotes"},
		{"typographic quotes", "\u201cNTLM " + ntlm1 + "\u201d", "surrounding quotes"},
		{"quoted token", `NTLM "` + ntlm1 + `"`, "quotes around the token"},
		{"header name", "Authorization: NTLM " + ntlm1, "header name"},
		{"wrapped", "NTLM " + ntlm1[:20] + "\r\n   " + ntlm1[20:40] + "\n" + ntlm1[40:], "2 line breaks"},
		{"spaces", "NTLM " + ntlm1[:20] + " " + ntlm1[20:], "1 line breaks"},
		{"unpadded", "NTLM " + strings.TrimRight(ntlm1, "="), ""},
		{"bom", "\ufeffNTLM " + ntlm1, ""},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseAuthorization(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			tok, err := DecodeToken(c.Token)
			if err != nil || tok.Kind != NTLMNegotiate {
				t.Fatalf("%v %v", tok, err)
			}
			if got := strings.Join(c.Cleaned, "; "); tc.cleaned != "" && !strings.Contains(got, tc.cleaned) {
				t.Errorf("cleaned %q, want %q", got, tc.cleaned)
			}
			cs, err := ParseChallengeValue(tc.in + ", Negotiate")
			if !strings.Contains(tc.in, `\r\n`) && !strings.Contains(tc.name, "quote") && (err != nil || len(cs) != 2 || len(cs[0].Token) != 40 || !cs[1].Is("Negotiate")) {
				t.Errorf("as a challenge list: %+v %v", cs, err)
			}
		})
	}
	bad := []struct {
		name, in string
		is       error
		want     string
		offset   int
	}{
		{"ellipsis", "Negotiate YIINPwY...", ErrTruncated, `ends with "..." after 7 base64 characters`, 10},
		{"unicode ellipsis", "Negotiate YIINPwYGKwYB\u2026", ErrTruncated, "cut off", 10},
		{"pager marker", "Negotiate YIINPwYGKwYB [truncated]", ErrTruncated, "cut off", 10},
		{"mod 4", "Negotiate YIINPwYGK", ErrTruncated, "truncated base64: 9 characters", 10},
		{"not base64", "Negotiate YIIN*wYG", ErrMalformed, "'*' is not a base64 character", 14},
		{"utf8", "Negotiate YIIN\u00e9wYG", ErrMalformed, "U+00E9", 14},
		{"two tokens", "Negotiate YIINPw==YIIN", ErrMalformed, "padding '=' is followed by more base64", 16},
		{"mixed alphabets", "Negotiate YI+N_wYG", ErrMalformed, "mixes the standard", 10},
		{"open quote", `Negotiate "YIINPwYG`, ErrMalformed, "quote that does not close", 10},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			for _, parse := range []func(string) ([]Challenge, error){
				func(s string) ([]Challenge, error) { c, err := ParseAuthorization(s); return []Challenge{c}, err },
				ParseChallengeValue,
			} {
				cs, err := parse(tc.in)
				var he *HeaderError
				if !errors.As(err, &he) || !errors.Is(err, tc.is) || !strings.Contains(err.Error(), tc.want) || he.Offset != tc.offset {
					t.Fatalf("got %v (%+v), want %v containing %q at %d", err, he, tc.is, tc.want, tc.offset)
				}
				assertNoEcho(t, err.Error(), "YIIN")
				if tc.is == ErrTruncated && (len(cs) != 1 || !cs[0].Truncated || !cs[0].Is("Negotiate")) {
					t.Errorf("truncated challenge not kept: %+v", cs)
				}
			}
		})
	}
}

func TestHeaderRedacted(t *testing.T) {
	for _, in := range []string{"NTLM [redacted]", "NTLM <token>", "Negotiate ****", "Negotiate xxxxxxxx", "NTLM REDACTED", "Negotiate ...", "Negotiate <base64 token>"} {
		c, err := ParseAuthorization(in)
		if err != nil || !c.Redacted || c.Token != nil {
			t.Errorf("%q: %+v %v", in, c, err)
		}
		cs, err := ParseChallengeValue(in + ", Basic realm=\"x\"")
		if err != nil || len(cs) != 2 || !cs[0].Redacted || cs[1].Params["realm"] != "x" {
			t.Errorf("%q as a challenge: %+v %v", in, cs, err)
		}
	}
}

// Errors about auth-params never echo or lower-case what may be a
// credential.
func TestHeaderErrorsDoNotEchoCredentials(t *testing.T) {
	for _, in := range []string{"Basic dXNlcjpTM2NyZXQh=x y", "Basic dXNlcjpTM2NyZXQh= , x", "Digest dXNlcjpTM2NyZXQh=\"a\" b", "Negotiate dXNlcjpTM2NyZXQh=x"} {
		_, err := ParseAuthorization(in)
		if err == nil {
			t.Errorf("%q: no error", in)
			continue
		}
		assertNoEcho(t, err.Error(), "dXNlcjpTM2NyZXQh")
	}
}

func TestParseHeaderLine(t *testing.T) {
	tests := []struct {
		in, name string
		n        int
	}{
		{"WWW-Authenticate: Negotiate, NTLM", "WWW-Authenticate", 2},
		{"< www-authenticate: Negotiate", "www-authenticate", 1},
		{"> Authorization: NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==", "Authorization", 1},
		{`Auth_header="NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw=="`, "Auth_header", 1},
		{"Proxy-Authenticate : NTLM", "Proxy-Authenticate", 1},
	}
	for _, tc := range tests {
		name, cs, err := ParseHeaderLine(tc.in)
		if err != nil || name != tc.name || len(cs) != tc.n {
			t.Errorf("%q: %q %+v %v", tc.in, name, cs, err)
		}
	}
	for _, in := range []string{"", "no header here", ": Negotiate"} {
		if _, _, err := ParseHeaderLine(in); !errors.Is(err, ErrMalformed) {
			t.Errorf("%q: %v", in, err)
		}
	}
	// Offsets count from the start of the line.
	_, _, err := ParseHeaderLine("Authorization: Negotiate YII*")
	var he *HeaderError
	if !errors.As(err, &he) || he.Offset != 28 {
		t.Errorf("offset: %v", err)
	}
}
