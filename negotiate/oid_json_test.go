package negotiate

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
)

func TestJSONSnakeCase(t *testing.T) {
	names, err := filepath.Glob(filepath.Join("testdata", "tokens", "*.*"))
	if err != nil {
		t.Fatal(err)
	}
	decoded := 0
	for _, path := range names {
		name := filepath.Base(path)
		if !strings.HasSuffix(name, ".hex") && !strings.HasSuffix(name, ".b64") {
			continue
		}
		tok, _ := DecodeToken(readCorpusToken(t, name))
		if tok == nil {
			continue
		}
		decoded++
		b, err := json.Marshal(tok)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		testenv.CheckSnakeJSON(t, name, b)
	}
	if decoded < 20 {
		t.Errorf("only %d corpus tokens decoded", decoded)
	}

	// A transcript with a decoded AP-REQ sent and a KRB-ERROR answered.
	apReq, err := DecodeToken(readCorpusToken(t, "gokrb5_spnego_gssapi_init_krb5_apreq.hex"))
	if err != nil {
		t.Fatal(err)
	}
	krbErr, err := DecodeToken(readCorpusToken(t, "pyspnego_krb_error.b64"))
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	tr := Transcript{URL: "https://web.example.test/", SPN: "HTTP/web.example.test", SPNSource: "explicit",
		Rounds: []Round{{Step: "kerberos", Method: "GET", Request: http.Header{"Authorization": {"Negotiate (token of 932 base64 characters redacted)"}},
			Sent: apReq, Status: 401, Header: http.Header{"Www-Authenticate": {"Negotiate oRQw", "NTLM"}, "Content-Type": {"text/html"}},
			Tokens: []*Token{krbErr, nil}, Conn: ConnInfo{Local: "10.0.0.2:50000", Remote: "10.0.0.1:443"}, Duration: 1500 * time.Millisecond}},
		Offered: []string{"Negotiate", "NTLM"}, NegotiateOffered: true, KerberosAttempted: true,
		KerberosError: NewServiceError(41, "", "HTTP/web.example.test"), ReauthOnSameConnection: &yes,
		Notes: []string{"note"}, Elapsed: 2 * time.Second}
	opts := ProbeOptions{SPN: "HTTP/web.example.test", NTLM: &NTLMCredentials{Domain: "EXAMPLE", User: "bob", Password: "s3cret"},
		Timeout: 30 * time.Second, Header: http.Header{"User-Agent": {"iiskerb"}}}
	for _, v := range []struct {
		name string
		v    any
		want []string
	}{
		{"transcript", tr, []string{`"elapsed_seconds":2`, `"duration_seconds":1.5`, `"request_headers":[{"name":"Authorization","value":"Negotiate (token of`,
			`"response_headers":[{"name":"Content-Type","value":"text/html"},{"name":"Www-Authenticate","value":"Negotiate oRQw"},{"name":"Www-Authenticate","value":"NTLM"}]`,
			`"this_mech":{"oid":"1.3.6.1.5.5.2","name":"spnego"}`, `{"oid":"1.2.840.113554.1.2.2","name":"kerberos"}`,
			`"kerberos":{"msg_type":"KRB_AP_REQ (14)","ap_req":{"ap_options":{"raw":`, `"ticket_enctype":"aes256-cts-hmac-sha1-96 (18)"`,
			`"msg_type":"KRB_ERROR (30)"`, `"name_type":"KRB_NT_`, `"kerberos_error":{"code":41,"name":"KRB_AP_ERR_MODIFIED"`}},
		{"probe options", opts, []string{`"timeout_seconds":30`, `"header":[{"name":"User-Agent","value":"iiskerb"}]`, `"ntlm":{"domain":"EXAMPLE","user":"bob"}`}},
		{"client config", ClientConfig{Krb5Conf: "/etc/krb5.conf", User: "alice", Keytab: "a.keytab", DisablePAFXFAST: true}, []string{`"krb5_conf":"/etc/krb5.conf"`, `"disable_pa_fx_fast":true`}},
		{"probe error", &ProbeError{URL: "http://x/", Step: "initial", Err: errors.New("refused")}, []string{`{"url":"http://x/","step":"initial","error":"refused"}`}},
	} {
		b, err := json.Marshal(v.v)
		if err != nil {
			t.Fatalf("%s: %v", v.name, err)
		}
		testenv.CheckSnakeJSON(t, v.name, b)
		for _, w := range v.want {
			if !strings.Contains(string(b), w) {
				t.Errorf("%s: JSON lacks %s:\n%s", v.name, w, b)
			}
		}
		if strings.Contains(string(b), "s3cret") {
			t.Errorf("%s: password in JSON", v.name)
		}
	}
}

func TestJSONEnums(t *testing.T) {
	tok, err := DecodeToken(readCorpusToken(t, "pyspnego_ntlm_challenge.b64"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(tok.NTLM)
	for _, want := range []string{`{"message_type":"CHALLENGE_MESSAGE (2)","flags":{"raw":`, `{"id":"MsvAvNbDomainName (2)","value":`, `"target_info":[`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("NTLM JSON lacks %s:\n%s", want, b)
		}
	}
	resp, err := DecodeToken(readCorpusToken(t, "impacket_spnego_negTokenResp_ntlm_challenge.hex"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(resp.SPNEGO)
	if !strings.Contains(string(b), `"neg_state":"accept-incomplete","supported_mech":{"oid":"1.3.6.1.4.1.311.2.2.10","name":"ntlm"}`) {
		t.Errorf("NegTokenResp JSON %s", b)
	}
	init, err := DecodeToken(readCorpusToken(t, "pyspnego_initial_context_token_neg_token_init.b64"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.Marshal(init.SPNEGO)
	if strings.Contains(string(b), "neg_state") {
		t.Errorf("NegTokenInit JSON has a neg_state: %s", b)
	}
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{KerberosMsgType(15), "KRB_AP_REP (15)"}, {KerberosMsgType(99), "msg-type (99)"},
		{NTLMMessageType(1), "NEGOTIATE_MESSAGE (1)"}, {AVPairID(9), "MsvAvTargetName (9)"}, {AVPairID(42), "AvId42 (42)"},
		{PrincipalNameType(10), "KRB_NT_ENTERPRISE (10)"}, {NTLMFlags(0x3), "0x00000003 NEGOTIATE_UNICODE|NEGOTIATE_OEM"},
	} {
		if got := c.v.String(); got != c.want {
			t.Errorf("%T %q, want %q", c.v, got, c.want)
		}
	}
	if b, _ := json.Marshal(NTLMFlags(0)); string(b) != `{"raw":0,"names":[]}` {
		t.Errorf("empty flags %s", b)
	}
	if n := NameOID(oidKerberosOld); n.OID != "1.3.5.1.5.2" || n.Name != "kerberos-old" {
		t.Errorf("%+v", n)
	}
}
