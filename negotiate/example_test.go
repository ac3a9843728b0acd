package negotiate_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/iiskerb/iiskerb/negotiate"
)

// A server's 401 offers Negotiate and NTLM; the client's Authorization header
// then carries a token that DecodeToken takes apart.
func ExampleParseChallenges() {
	h := http.Header{}
	h.Add("WWW-Authenticate", "Negotiate")
	h.Add("WWW-Authenticate", "NTLM")
	cs, err := negotiate.ParseChallenges(h)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, c := range cs {
		fmt.Println(c.Scheme, len(c.Token))
	}
	// Output:
	// Negotiate 0
	// NTLM 0
}

// The impacket NTLMv1 AUTHENTICATE inside a SPNEGO NegTokenResp: the user
// name is readable by anyone on the path.
func ExampleToken_Visible() {
	c, err := negotiate.ParseAuthorization("Negotiate oYGrMIGoooGlBIGiTlRMTVNTUAADAAAAGAAYAEAAAAAYABgAWAAAABIAEgBwAAAACAAIAIIAAAAIAAgAigAAABAAEACSAAAAFYIIYCR/7G5TCYaKAAAAAAAAAAAAAAAAAAAAAA+ZJNMS1ZXhM7r6AD7j/VhjvT6DDU5x3FcATwBSAEsARwBSAE8AVQBQAHQAZQBzAHQASgBBAEMASwAy0mfWpalLlyqvRe6HWAxt")
	if err != nil {
		fmt.Println(err)
		return
	}
	tok, err := negotiate.DecodeToken(c.Token)
	if err != nil {
		fmt.Println(err)
		return
	}
	v := tok.Visible()
	fmt.Println(tok.Kind, "carrying", tok.InnerKind)
	fmt.Println(tok.NTLM.Version())
	fmt.Println(v.User, v.Domain, v.Workstation)
	fmt.Println(v.Summary)
	// Output:
	// SPNEGO NegTokenResp carrying NTLM AUTHENTICATE
	// NTLMv1
	// test WORKGROUP JACK
	// NTLM AUTHENTICATE (inside SPNEGO) (NTLMv1) shows user WORKGROUP\test from workstation JACK in clear text to any observer on the path.
}

// A server's final SPNEGO answer: accept-completed for Kerberos.
func ExampleDecodeToken() {
	b, _ := base64.StdEncoding.DecodeString("oRQwEqADCgEAoQsGCSqGSIb3EgECAg==")
	tok, err := negotiate.DecodeToken(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tok.Kind, tok.SPNEGO.NegState, tok.Mechanism())
	// Output: SPNEGO NegTokenResp accept-completed Kerberos
}

// A token whose lengths do not add up fails with the byte offset of the
// problem.
func ExampleDecodeError() {
	_, err := negotiate.DecodeToken([]byte{0xa1, 0x07, 0x30, 0x05, 0xa0, 0x03, 0x0a, 0x01})
	fmt.Println(err)
	// Output: negotiate: decode NegotiationToken at byte 0: truncated: [1] says 7 bytes but only 6 remain
}

// Windows klist output, as a customer pastes it: the HTTP ticket uses RC4.
func ExampleParseKlist() {
	out := `
Current LogonId is 0:0x3e7

Cached Tickets: (1)

#0>	Client: WEB01$ @ CORP.EXAMPLE
	Server: HTTP/web.corp.example @ CORP.EXAMPLE
	KerbTicket Encryption Type: RSADSI RC4-HMAC(NT)
	Ticket Flags 0x40a10000 -> forwardable renewable pre_authent name_canonicalize
	Start Time: 11/24/2026 9:05:40 (local)
	End Time:   11/24/2026 19:01:02 (local)
	Renew Time: 12/1/2026 9:01:02 (local)
	Session Key Type: RSADSI RC4-HMAC(NT)
	Cache Flags: 0
	Kdc Called: DC01.corp.example
`
	k, err := negotiate.ParseKlist(strings.NewReader(out))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, t := range k.Find("HTTP/web.corp.example") {
		fmt.Println(k.Format, t.Server, t.Realm, t.EncType, negotiate.IsRC4(t.EncTypeID))
		fmt.Println(t.Flags, t.End.Format("2006-01-02 15:04"))
	}
	// Output:
	// windows HTTP/web.corp.example CORP.EXAMPLE arcfour-hmac true
	// [forwardable renewable pre_authent name_canonicalize] 2026-11-24 19:01
}
