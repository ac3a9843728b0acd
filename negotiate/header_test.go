package negotiate

import (
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
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
		{"Negotiate abc$", 10},
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
	for _, s := range []string{"Negotiate", "Negotiate, NTLM", `Basic realm="x", Negotiate oRQwEqADCgEAoQsGCSqGSIb3EgECAg==`,
		"NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGNFAAAADw==", `Digest a="\"", b=c`, "Negotiate a=b=c", ",,,"} {
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
