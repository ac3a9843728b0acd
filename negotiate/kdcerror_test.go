package negotiate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/jcmturner/gokrb5/v8/krberror"
	"github.com/jcmturner/gokrb5/v8/messages"
	"github.com/jcmturner/gokrb5/v8/types"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestKDCErrorFromText(t *testing.T) {
	for _, tc := range []struct {
		in    string
		code  int32 // -1: nil expected
		etext string
	}{
		// gokrb5 v8.4.4 strings, as seen from a real MIT KDC
		{"[Root cause: KDC_Error] KDC_Error: TGS Exchange Error: kerberos error response from KDC when requesting for HTTP/missing.example.test: KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database - LOOKING_UP_SERVER", 7, "LOOKING_UP_SERVER"},
		{"KRB Error: (60) KRB_ERR_GENERIC Generic error (description in e-text) - FINDING_SERVER_KEY", 60, "FINDING_SERVER_KEY"},
		{"KRB Error: (24) KDC_ERR_PREAUTH_FAILED Pre-authentication information was invalid", 24, ""},
		{"KRB Error: (-1765328377) something", 7, ""},
		// MIT tools
		{"kvno: Server HTTP/x@R not found in Kerberos database while getting credentials", 7, ""},
		{"kinit: Preauthentication failed while getting initial credentials", 24, ""},
		{"gss_accept_sec_context() failed: Decrypt integrity check failed", 31, ""},
		{"curl: (-1765328347) Clock skew too great", 37, ""},
		{"error -1765328376 from the library", 8, ""},
		{"Request ticket server HTTP/x kvno 3 not found in keytab; Key version is not available", 44, ""},
		// names alone (Windows event text)
		{"The Kerberos client received a KRB_AP_ERR_MODIFIED error from the server host$", 41, ""},
		{"KDC_ERR_ETYPE_NOTSUPP", -1, ""},
		{"KDC_ERR_ETYPE_NOSUPP", 14, ""},
		// not Kerberos
		{"", -1, ""},
		{"connection refused", -1, ""},
		{"KRB Error: (9999999999999999999) X", -1, ""},
		{"-1765328384000", -1, ""},
	} {
		e := KDCErrorFromText(tc.in)
		if tc.code < 0 {
			if e != nil {
				t.Errorf("%q: got %+v, want nil", tc.in, e)
			}
			continue
		}
		if e == nil || e.Code != tc.code || e.EText != tc.etext || e.Name == "" || e.Meaning == "" {
			t.Errorf("%q: got %+v, want code %d etext %q", tc.in, e, tc.code, tc.etext)
		}
	}
}

func TestAsKDCError(t *testing.T) {
	sname := types.NewPrincipalName(2, "HTTP/web.example.test")
	krb := messages.NewKRBError(sname, "EXAMPLE.TEST", 8, "dup")
	// value type, as gokrb5 returns it from its network layer
	if e, ok := AsKDCError(fmt.Errorf("wrapped: %w", krb)); !ok || e.Code != 8 || e.EText != "dup" || e.SPN != "HTTP/web.example.test" || e.Name != "KDC_ERR_PRINCIPAL_NOT_UNIQUE" {
		t.Errorf("value KRBError: %+v %v", e, ok)
	}
	// gokrb5 flattens the KRBError into a krberror.Krberror string
	flat := krberror.Errorf(krb, krberror.KDCError, "TGS Exchange Error: kerberos error response from KDC")
	e, ok := AsKDCError(flat)
	if !ok || e.Code != 8 || e.EText != "dup" || e.Err == nil {
		t.Errorf("flattened: %+v %v", e, ok)
	}
	if !errors.Is(fmt.Errorf("x: %w", e), NewKDCError(8, nil)) || errors.Is(e, NewKDCError(7, nil)) {
		t.Error("errors.Is by code")
	}
	// a *KDCError already in the chain is returned as is
	if e2, ok := AsKDCError(fmt.Errorf("again: %w", e)); !ok || e2 != e {
		t.Error("existing KDCError not found")
	}
	if _, ok := AsKDCError(errors.New("dial tcp 127.0.0.1:88: connection refused")); ok {
		t.Error("network error taken for a KDC error")
	}
	if _, ok := AsKDCError(nil); ok {
		t.Error("nil")
	}
}

func TestKDCErrorText(t *testing.T) {
	e := NewServiceError(31, "", "HTTP/stale.example.test")
	s := e.Error()
	for _, want := range []string{"service rejected", "KRB_AP_ERR_BAD_INTEGRITY (31)", "HTTP/stale.example.test", "could not decrypt"} {
		if !strings.Contains(s, want) {
			t.Errorf("%q lacks %q", s, want)
		}
	}
	b, err := json.Marshal(NewKDCError(7, errors.New("inner")))
	if err != nil || !strings.Contains(string(b), `"name":"KDC_ERR_S_PRINCIPAL_UNKNOWN"`) || strings.Contains(string(b), "inner") {
		t.Errorf("JSON %s %v", b, err)
	}
	if g := newKDCErrorText(60, "FINDING_SERVER_KEY", nil); !strings.Contains(g.Meaning, "encryption type") {
		t.Errorf("FINDING_SERVER_KEY meaning %q", g.Meaning)
	}
}

func TestErrorCode(t *testing.T) {
	if CodeSPrincipalUnknown.String() != "KDC_ERR_S_PRINCIPAL_UNKNOWN" || !CodeModified.Known() || ErrorCode(99).Known() {
		t.Error("names")
	}
	if c, ok := ErrorCodeByName("krb_ap_err_skew"); !ok || c != CodeSkew {
		t.Errorf("by name: %v %v", c, ok)
	}
	if _, ok := ErrorCodeByName(""); ok {
		t.Error("empty name")
	}
	if c, ok := FromMITCode(-1765328377); !ok || c != 7 {
		t.Errorf("MIT code: %v %v", c, ok)
	}
	if _, ok := FromMITCode(-5); ok {
		t.Error("MIT code out of range")
	}
}

func FuzzKDCErrorFromText(f *testing.F) {
	testenv.ShortFuzzMinimize()
	for _, s := range []string{
		"KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database - LOOKING_UP_SERVER",
		"KRB Error: (-1765328377) x - y",
		"-1765328347", "KRB_AP_ERR_MODIFIED", "Clock skew too great", "KRB Error: (", "\n\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := KDCErrorFromText(s)
		if e != nil && (e.Name == "" || e.Meaning == "" || e.Code < 0 || e.Code > 127) {
			t.Fatalf("%q: %+v", s, e)
		}
	})
}

func ExampleKDCErrorFromText() {
	// what gokrb5 returns when the SPN is not registered
	e := KDCErrorFromText("KRB Error: (7) KDC_ERR_S_PRINCIPAL_UNKNOWN Server not found in Kerberos database - LOOKING_UP_SERVER")
	fmt.Println(e.Code, e.Name)
	// what MIT tools print
	e = KDCErrorFromText("kvno: Clock skew too great while getting credentials for HTTP/web.example.test@EXAMPLE.TEST")
	fmt.Println(e.Code, e.Name)
	// Output:
	// 7 KDC_ERR_S_PRINCIPAL_UNKNOWN
	// 37 KRB_AP_ERR_SKEW
}

func ExampleErrorCode() {
	c, _ := FromMITCode(-1765328376)
	fmt.Println(int32(c), c)
	// Output: 8 KDC_ERR_PRINCIPAL_NOT_UNIQUE
}
