package negotiate

import (
	"bytes"
	"context"
	"encoding/asn1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// ntlmChallenge builds a minimal NTLM CHALLENGE_MESSAGE (MS-NLMP 2.2.1.2)
// with target name "UNIT" and a target info holding MsvAvNbDomainName.
func ntlmChallenge() []byte {
	name := []byte{'U', 0, 'N', 0, 'I', 0, 'T', 0}
	info := append([]byte{2, 0, byte(len(name)), 0}, name...)
	info = append(info, 0, 0, 0, 0) // MsvAvEOL
	const hdr = 56
	b := make([]byte, hdr)
	copy(b, "NTLMSSP\x00")
	binary.LittleEndian.PutUint32(b[8:], 2)
	binary.LittleEndian.PutUint16(b[12:], uint16(len(name)))
	binary.LittleEndian.PutUint16(b[14:], uint16(len(name)))
	binary.LittleEndian.PutUint32(b[16:], hdr)
	// UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | TARGET_TYPE_DOMAIN |
	// EXTENDED_SESSIONSECURITY | TARGET_INFO | VERSION | 128 | 56
	binary.LittleEndian.PutUint32(b[20:], 0x1|0x4|0x200|0x8000|0x10000|0x80000|0x800000|0x2000000|0x20000000|0x80000000)
	copy(b[24:32], "\x01\x23\x45\x67\x89\xab\xcd\xef")
	binary.LittleEndian.PutUint16(b[40:], uint16(len(info)))
	binary.LittleEndian.PutUint16(b[42:], uint16(len(info)))
	binary.LittleEndian.PutUint32(b[44:], uint32(hdr+len(name)))
	copy(b[48:], []byte{10, 0, 0x63, 0x45, 0, 0, 0, 15})
	return append(append(b, name...), info...)
}

// fakeNTLMServer accepts NTLM (raw, or SPNEGO-wrapped inside Negotiate)
// for user "bob" of any password; it remembers authenticated connections
// unless perRequest is set.
type fakeNTLMServer struct {
	offer      []string // WWW-Authenticate values on the anonymous 401
	perRequest bool
	closeAfter bool
	mu         sync.Mutex
	authed     map[string]bool
}

func (f *fakeNTLMServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	ok := f.authed[r.RemoteAddr]
	f.mu.Unlock()
	if ok {
		_, _ = w.Write([]byte("hello"))
		return
	}
	a := r.Header.Get("Authorization")
	if a == "" {
		for _, o := range f.offer {
			w.Header().Add("WWW-Authenticate", o)
		}
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	c, err := ParseAuthorization(a)
	if err != nil {
		http.Error(w, "bad header", http.StatusBadRequest)
		return
	}
	tok, err := DecodeToken(c.Token)
	if err != nil || tok.NTLM == nil {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	wrapped := tok.SPNEGO != nil
	switch tok.NTLM.MessageType {
	case 1:
		ch := ntlmChallenge()
		if wrapped {
			ch = serverNegResp(ch)
		}
		w.Header().Set("WWW-Authenticate", c.Scheme+" "+base64.StdEncoding.EncodeToString(ch))
		w.WriteHeader(http.StatusUnauthorized)
	case 3:
		if !strings.EqualFold(tok.NTLM.User, "bob") {
			w.Header().Add("WWW-Authenticate", c.Scheme)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if !f.perRequest {
			f.mu.Lock()
			f.authed[r.RemoteAddr] = true
			f.mu.Unlock()
		}
		if f.closeAfter {
			w.Header().Set("Connection", "close")
		}
		w.Header().Set("Persistent-Auth", fmt.Sprint(!f.perRequest))
		_, _ = w.Write([]byte("hello"))
	default:
		w.WriteHeader(http.StatusBadRequest)
	}
}

// serverNegResp wraps an NTLM CHALLENGE in a server NegTokenResp
// (accept-incomplete, supportedMech NTLM).
func serverNegResp(ch []byte) []byte {
	type negTokenResp struct {
		NegState      asn1.Enumerated       `asn1:"explicit,tag:0"`
		SupportedMech asn1.ObjectIdentifier `asn1:"explicit,tag:1"`
		ResponseToken []byte                `asn1:"explicit,tag:2"`
	}
	seq, _ := asn1.Marshal(negTokenResp{1, OIDNTLM, ch})
	b, _ := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 1, IsCompound: true, Bytes: seq})
	return b
}

func newFake(offer ...string) *fakeNTLMServer {
	return &fakeNTLMServer{offer: offer, authed: map[string]bool{}}
}

var bob = &NTLMCredentials{Domain: "UNIT", User: "bob", Password: "Hunter2-secret", Workstation: "WS1"}

func TestProbeAnonymous(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("hi")) }))
	defer srv.Close()
	tr, err := Probe(context.Background(), srv.URL+"/x", ProbeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Mechanism != "anonymous" || !tr.Authenticated || len(tr.Rounds) != 1 || tr.FinalStatus != 200 || tr.KerberosAttempted {
		t.Errorf("%+v", tr)
	}
	if !strings.Contains(tr.Verdict(), "did not ask") {
		t.Errorf("verdict %q", tr.Verdict())
	}
}

func TestProbeBasicOnly(t *testing.T) {
	srv := httptest.NewServer(newFake(`Basic realm="x"`))
	defer srv.Close()
	tr, err := Probe(context.Background(), srv.URL, ProbeOptions{NTLM: bob})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Authenticated || tr.NegotiateOffered || tr.NTLMOffered || len(tr.Offered) != 1 || tr.Offered[0] != "Basic" {
		t.Errorf("%+v", tr)
	}
	if !strings.Contains(tr.KerberosFailure, "does not offer Negotiate") || !strings.Contains(tr.NTLMFailure, "neither") {
		t.Errorf("failures %q / %q", tr.KerberosFailure, tr.NTLMFailure)
	}
}

func TestProbeNTLM(t *testing.T) {
	for _, tc := range []struct {
		name       string
		offer      []string
		raw        bool
		perRequest bool
		closeAfter bool
		firstKind  TokenKind
		reauth     *bool
	}{
		{name: "NTLM scheme", offer: []string{"NTLM"}, firstKind: NTLMNegotiate, reauth: ptr(false)},
		{name: "Negotiate SPNEGO", offer: []string{"Negotiate", "NTLM"}, firstKind: SPNEGOInit, reauth: ptr(false)},
		{name: "Negotiate raw", offer: []string{"Negotiate"}, raw: true, firstKind: NTLMNegotiate, reauth: ptr(false)},
		{name: "per request", offer: []string{"NTLM"}, perRequest: true, firstKind: NTLMNegotiate, reauth: ptr(true)},
		{name: "connection closed", offer: []string{"NTLM"}, closeAfter: true, firstKind: NTLMNegotiate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(tc.offer...)
			f.perRequest, f.closeAfter = tc.perRequest, tc.closeAfter
			srv := httptest.NewServer(f)
			defer srv.Close()
			tr, err := Probe(context.Background(), srv.URL+"/app", ProbeOptions{NTLM: bob, NTLMRaw: tc.raw})
			if err != nil {
				t.Fatal(err)
			}
			if tr.Mechanism != "NTLM" || !tr.NTLMUsed || tr.FellBackToNTLM || tr.FinalStatus != 200 {
				t.Fatalf("%s\n%+v", tr.Verdict(), tr)
			}
			if got := tr.Rounds[1].Sent; got == nil || got.Kind != tc.firstKind {
				t.Errorf("first NTLM token %+v", got)
			}
			auth := tr.Rounds[2].Sent
			if auth == nil || auth.NTLM == nil || auth.NTLM.User != "bob" || auth.NTLM.Domain != "UNIT" || auth.NTLM.Workstation != "WS1" {
				t.Errorf("AUTHENTICATE %+v", auth)
			}
			switch {
			case tc.reauth == nil:
				if tr.ReauthOnSameConnection != nil || !strings.Contains(tr.ReuseNote, "closed") {
					t.Errorf("reuse %v %q", tr.ReauthOnSameConnection, tr.ReuseNote)
				}
			case tr.ReauthOnSameConnection == nil || *tr.ReauthOnSameConnection != *tc.reauth:
				t.Errorf("reauth %v want %v (%s)", tr.ReauthOnSameConnection, *tc.reauth, tr.ReuseNote)
			}
			if tc.reauth != nil && tr.Persistent == *tc.reauth {
				t.Errorf("Persistent %v", tr.Persistent)
			}
			var text bytes.Buffer
			if err := tr.WriteText(&text); err != nil {
				t.Fatal(err)
			}
			js, _ := json.Marshal(tr)
			for _, s := range []string{text.String(), string(js), fmt.Sprintf("%+v", tr)} {
				if strings.Contains(s, bob.Password) {
					t.Fatal("password in the transcript")
				}
			}
			if !strings.Contains(text.String(), "NTLM AUTHENTICATE") || !strings.Contains(text.String(), "bob") {
				t.Errorf("text:\n%s", text.String())
			}
		})
	}
}

func TestProbeRedactsTokensByDefault(t *testing.T) {
	srv := httptest.NewServer(newFake("NTLM"))
	defer srv.Close()
	for _, tc := range []struct {
		name string
		opts ProbeOptions
		keep bool
	}{
		{"default", ProbeOptions{NTLM: bob}, false},
		{"KeepTokens", ProbeOptions{NTLM: bob, KeepTokens: true}, true},
		{"deprecated RedactTokens wins", ProbeOptions{NTLM: bob, KeepTokens: true, RedactTokens: true}, false},
	} {
		tr, err := Probe(context.Background(), srv.URL, tc.opts)
		if err != nil || tr.Mechanism != "NTLM" {
			t.Fatalf("%s: %v %+v", tc.name, err, tr)
		}
		for _, r := range tr.Rounds[1:3] {
			a := r.Request.Get("Authorization")
			redacted := strings.HasPrefix(a, "NTLM (token of") && !strings.Contains(a, "TlRM")
			if redacted == tc.keep || r.Sent == nil {
				t.Errorf("%s: %s: Authorization %q, decoded %v", tc.name, r.Step, a, r.Sent != nil)
			}
		}
		var text bytes.Buffer
		_ = tr.WriteText(&text)
		js, _ := json.Marshal(tr)
		for _, out := range []string{text.String(), string(js)} {
			if !tc.keep && strings.Contains(out, "TlRMTVNTUAAD") {
				t.Errorf("%s: raw AUTHENTICATE in the output", tc.name)
			}
		}
		if tc.keep && !strings.Contains(string(js), "TlRMTVNTUAAD") {
			t.Errorf("%s: KeepTokens lost the raw AUTHENTICATE: %s", tc.name, js)
		}
	}
}

func TestProbeNTLMRejected(t *testing.T) {
	srv := httptest.NewServer(newFake("NTLM"))
	defer srv.Close()
	tr, err := Probe(context.Background(), srv.URL, ProbeOptions{NTLM: &NTLMCredentials{User: "mallory", Password: "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Authenticated || !strings.Contains(tr.NTLMFailure, "rejected") || tr.FinalStatus != 401 || tr.ReauthOnSameConnection != nil {
		t.Errorf("%s %+v", tr.Verdict(), tr)
	}
	if !strings.HasPrefix(tr.Verdict(), "Authentication failed") {
		t.Errorf("verdict %q", tr.Verdict())
	}
}

func TestProbeKerberosFallsBackToNTLM(t *testing.T) {
	cl, err := NewClient(ClientConfig{Krb5Conf: unreachableKrb5Conf(t), User: "alice", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(newFake("Negotiate", "NTLM"))
	defer srv.Close()
	tr, err := Probe(context.Background(), srv.URL, ProbeOptions{Client: cl, SPN: "HTTP/web.unit.test", NTLM: bob, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if !tr.KerberosAttempted || !tr.FellBackToNTLM || tr.Mechanism != "NTLM" || tr.KerberosError != nil {
		t.Errorf("%s\n%+v", tr.Verdict(), tr)
	}
	if !strings.Contains(tr.KerberosFailure, "could not log in as alice@UNIT.TEST") || !strings.Contains(tr.KerberosFailure, "connection refused") || tr.SPNSource != "explicit" {
		t.Errorf("failure %q", tr.KerberosFailure)
	}
	if !strings.Contains(tr.Verdict(), "NTLM succeeded (fallback)") {
		t.Errorf("verdict %q", tr.Verdict())
	}
}

func TestProbeTimeoutAndErrors(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	start := time.Now()
	tr, err := Probe(context.Background(), srv.URL, ProbeOptions{Timeout: 200 * time.Millisecond})
	var pe *ProbeError
	if !errors.As(err, &pe) || !errors.Is(err, context.DeadlineExceeded) || pe.Step != "initial" {
		t.Errorf("timeout: %v", err)
	}
	if time.Since(start) > 5*time.Second || tr == nil || len(tr.Rounds) != 1 || tr.Rounds[0].Err == "" {
		t.Errorf("transcript %+v after %v", tr, time.Since(start))
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Probe(ctx, srv.URL, ProbeOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
	// credentials in the URL are never sent (net/http would send Basic) nor shown
	var gotAuth string
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gotAuth = r.Header.Get("Authorization") }))
	defer echo.Close()
	withPw := strings.Replace(echo.URL, "http://", "http://bob:Hunter2-secret@", 1)
	tr, err = Probe(context.Background(), withPw, ProbeOptions{Header: http.Header{"Proxy-Authorization": {"Basic Ym9iOkh1bnRlcjItc2VjcmV0"}}})
	js, _ := json.Marshal(tr)
	if err != nil || gotAuth != "" || strings.Contains(string(js), "Hunter2") || strings.Contains(string(js), "Ym9iOkh1bnRlcjI") {
		t.Errorf("URL credentials: err %v, sent %q, transcript %s", err, gotAuth, js)
	}
	_, err = Probe(context.Background(), "http://bob:Hunter2-secret@[::1", ProbeOptions{})
	if err == nil || strings.Contains(err.Error(), "Hunter2") {
		t.Errorf("bad URL with credentials: %v", err)
	}
	for _, u := range []string{"", "ftp://x/", "http://", "::"} {
		if _, err := Probe(context.Background(), u, ProbeOptions{}); !errors.As(err, &pe) || pe.Step != "url" {
			t.Errorf("%q: %v", u, err)
		}
	}
}

func TestProbeTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(newFake("NTLM"))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the expected handshake failure
	srv.StartTLS()
	defer srv.Close()
	_, err := Probe(context.Background(), srv.URL, ProbeOptions{NTLM: bob})
	var pe *ProbeError
	if !errors.As(err, &pe) || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("unverified certificate accepted: %v", err)
	}
	tr, err := Probe(context.Background(), srv.URL, ProbeOptions{NTLM: bob, InsecureSkipVerify: true})
	if err != nil || tr.Mechanism != "NTLM" || len(tr.Notes) == 0 || !strings.Contains(strings.Join(tr.Notes, " "), "verification was turned off") {
		t.Errorf("insecure: %v %+v", err, tr)
	}
	// a caller's transport (here trusting the test CA) is used as is
	tr, err = Probe(context.Background(), srv.URL, ProbeOptions{NTLM: bob, Transport: srv.Client().Transport})
	if err != nil || tr.Mechanism != "NTLM" || tr.ReauthOnSameConnection == nil || *tr.ReauthOnSameConnection {
		t.Errorf("custom transport: %v %+v", err, tr)
	}
}

type fakeResolver map[string]string

func (f fakeResolver) LookupCNAME(_ context.Context, host string) (string, error) {
	if c, ok := f[host]; ok {
		return c, nil
	}
	return "", errors.New("no such host")
}

func TestChooseSPN(t *testing.T) {
	r := fakeResolver{"intranet.corp.example": "iis01.corp.example.", "iis01.corp.example": "iis01.corp.example."}
	for _, tc := range []struct {
		url, spn   string
		port       bool
		explicit   string
		sourcePart string
	}{
		{"http://intranet.corp.example/", "HTTP/iis01.corp.example", false, "", "CNAME"},
		{"http://Intranet.corp.example:8080/", "HTTP/iis01.corp.example:8080", true, "", "port included"},
		{"http://intranet.corp.example:8080/", "HTTP/iis01.corp.example", false, "", "CNAME"},
		{"http://iis01.corp.example/", "HTTP/iis01.corp.example", false, "", "no CNAME"},
		{"http://unknown.corp.example/", "HTTP/unknown.corp.example", false, "", "URL host"},
		{"https://10.0.0.5/", "HTTP/10.0.0.5", false, "", "URL host"},
		{"http://x/", "HTTP/explicit", false, "HTTP/explicit", "explicit"},
	} {
		u, _ := url.Parse(tc.url)
		tr := &Transcript{}
		spn, src := chooseSPN(context.Background(), u, ProbeOptions{Resolver: r, IncludePort: tc.port, SPN: tc.explicit}, tr)
		if spn != tc.spn || !strings.Contains(src, tc.sourcePart) {
			t.Errorf("%s: %q (%s), want %q (%s)", tc.url, spn, src, tc.spn, tc.sourcePart)
		}
		if strings.Contains(tc.url, "10.0.0.5") && len(tr.Notes) == 0 {
			t.Errorf("no note for an IP host")
		}
	}
}

func TestGSSHelpers(t *testing.T) {
	tok, err := spnegoInit([]asn1.ObjectIdentifier{OIDNTLM}, ntlmChallenge())
	if err != nil {
		t.Fatal(err)
	}
	if d, err := DecodeToken(tok); err != nil || d.Kind != SPNEGOInit {
		t.Errorf("spnegoInit decodes as %+v, %v", d, err)
	}
	resp, _ := spnegoResp(ntlmChallenge())
	if d, err := DecodeToken(resp); err != nil || d.Kind != SPNEGOResp || d.SPNEGO.NegState != NegStateAbsent || d.InnerKind != NTLMChallenge {
		t.Errorf("spnegoResp decodes as %+v, %v", d, err)
	}
	framed, _ := gssFrame(OIDKerberos, append([]byte{2, 0}, 0x30, 0))
	if inner, err := gssUnframe(framed, gssTokAPRep); err != nil || len(inner) != 2 {
		t.Errorf("gssUnframe: %v %v", inner, err)
	}
	for _, b := range [][]byte{nil, {0x60}, framed[:len(framed)-3], tok} {
		if _, err := gssUnframe(b, gssTokAPRep); err == nil {
			t.Errorf("gssUnframe(%x) accepted", b)
		}
	}
	if _, err := gssUnframe(framed, gssTokAPReq); err == nil {
		t.Error("wrong token id accepted")
	}
}

func ptr[T any](v T) *T { return &v }

func ExampleProbe() {
	// A server that offers Negotiate and NTLM, probed without credentials:
	// the transcript shows what is offered and why nothing was attempted.
	srv := httptest.NewServer(newFake("Negotiate", "NTLM"))
	defer srv.Close()
	t, err := Probe(context.Background(), srv.URL+"/app", ProbeOptions{SPN: "HTTP/web.example.test"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(t.Offered, t.FinalStatus)
	fmt.Println(t.Verdict())
	// Output:
	// [Negotiate NTLM] 401
	// Authentication failed (final HTTP 401). Kerberos: not attempted: no Kerberos client configured. NTLM: not attempted: no NTLM credentials configured.
}
