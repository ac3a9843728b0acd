package negotiate_test

// Integration tests against the real MIT KDC and Apache/mod_auth_gssapi that
// testenv/kerberos/up.sh starts (scripts/test.sh runs it and exports the
// IISKERB_* variables). They skip when the variables are unset, and fail
// instead under IISKERB_REQUIRE_INTEGRATION.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iiskerb/iiskerb/internal/testenv"
	"github.com/iiskerb/iiskerb/negotiate"
	"github.com/jcmturner/gokrb5/v8/client"
	"github.com/jcmturner/gokrb5/v8/keytab"
	"github.com/jcmturner/gokrb5/v8/service"
	"github.com/jcmturner/gokrb5/v8/spnego"
)

type krbEnv struct {
	conf, realm, user, password, httpAddr string
}

func requireKrb(t *testing.T) krbEnv {
	t.Helper()
	v := testenv.Require(t, "IISKERB_KRB5_CONF", "IISKERB_REALM", "IISKERB_USER", "IISKERB_PASSWORD", "IISKERB_HTTP_ADDR")
	return krbEnv{conf: v[0], realm: v[1], user: v[2], password: v[3], httpAddr: v[4]}
}

func (e krbEnv) client(t *testing.T) *client.Client {
	t.Helper()
	cl, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: e.conf, User: e.user, Password: e.password})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

func TestIntegrationRequestTicket(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_SPN", "IISKERB_USER_KEYTAB", "IISKERB_USER_CCACHE")
	spn, kt, cc := v[0], v[1], v[2]
	ctx := context.Background()

	tk, err := negotiate.RequestTicket(ctx, e.client(t), spn)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Server != spn || tk.Realm != e.realm || tk.EncTypeID != 18 || tk.EncType != "aes256-cts-hmac-sha1-96" || tk.KVNO < 1 {
		t.Errorf("ticket = %+v", tk)
	}
	if !tk.End.After(tk.Start) || time.Until(tk.End) < time.Hour {
		t.Errorf("ticket times start %v end %v", tk.Start, tk.End)
	}
	if !strings.Contains(strings.Join(tk.Flags, " "), "pre_authent") {
		t.Errorf("flags %v lack pre_authent (the user requires pre-authentication)", tk.Flags)
	}
	if tk.Client != e.user+"@"+e.realm {
		t.Errorf("client %q", tk.Client)
	}

	// keytab and ccache clients
	ktc, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: e.conf, User: e.user, Keytab: kt})
	if err != nil {
		t.Fatal(err)
	}
	if tk2, err := negotiate.RequestTicket(ctx, ktc, spn+"@"+e.realm); err != nil || tk2.KVNO != tk.KVNO {
		t.Errorf("keytab client: %+v, %v", tk2, err)
	}
	// copy the ccache: gokrb5 only reads it, but keep the shared one pristine
	ccCopy := filepath.Join(t.TempDir(), "cc")
	b, err := os.ReadFile(cc)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ccCopy, b, 0o600); err != nil {
		t.Fatal(err)
	}
	ccc, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: e.conf, CCache: "FILE:" + ccCopy})
	if err != nil {
		t.Fatal(err)
	}
	if tk3, err := negotiate.RequestTicket(ctx, ccc, spn); err != nil || tk3.Server != spn || tk3.EncTypeID != 18 {
		t.Errorf("ccache client: %+v, %v", tk3, err)
	}
}

func TestIntegrationRequestTicketErrors(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_MISSING_SPN", "IISKERB_RC4ONLY_SPN", "IISKERB_HTTP_SPN")
	ctx := context.Background()
	cl := e.client(t)

	_, err := negotiate.RequestTicket(ctx, cl, v[0])
	var ke *negotiate.KDCError
	if !errors.As(err, &ke) || ke.Code != 7 || ke.Name != "KDC_ERR_S_PRINCIPAL_UNKNOWN" || ke.SPN != v[0] || ke.Service {
		t.Fatalf("missing SPN: %v (%+v)", err, ke)
	}
	if !errors.Is(err, negotiate.NewKDCError(7, nil)) {
		t.Error("errors.Is(err, KDCError 7) = false")
	}
	if !strings.Contains(ke.Meaning, "SPN") {
		t.Errorf("meaning %q", ke.Meaning)
	}

	// RC4-only service key, AES-only client: MIT answers KRB_ERR_GENERIC + FINDING_SERVER_KEY
	_, err = negotiate.RequestTicket(ctx, cl, v[1])
	if !errors.As(err, &ke) || ke.Code != 60 || ke.EText != "FINDING_SERVER_KEY" || !strings.Contains(ke.Meaning, "encryption type") {
		t.Errorf("rc4-only SPN: %v (%+v)", err, ke)
	}

	bad, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: e.conf, User: e.user, Password: "not-" + e.password})
	if err != nil {
		t.Fatal(err)
	}
	_, err = negotiate.RequestTicket(ctx, bad, v[2])
	if !errors.As(err, &ke) || ke.Code != 24 {
		t.Errorf("wrong password: %v", err)
	}
	if strings.Contains(err.Error(), e.password) {
		t.Error("error text contains the password")
	}

	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := negotiate.RequestTicket(cctx, cl, v[2]); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func probeOpts(e krbEnv, cl *client.Client) negotiate.ProbeOptions {
	return negotiate.ProbeOptions{Client: cl, ConnectTo: e.httpAddr, Timeout: 30 * time.Second}
}

func TestIntegrationProbeConnectionBound(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_UNBOUND", "IISKERB_HTTP_URL_BOUND", "IISKERB_HTTP_SPN")
	cl := e.client(t)
	for _, tc := range []struct {
		url        string
		reauth     bool
		persistent string
	}{{v[0], true, "false"}, {v[1], false, "true"}} {
		tr, err := negotiate.Probe(context.Background(), tc.url, probeOpts(e, cl))
		if err != nil {
			t.Fatal(err)
		}
		if tr.Mechanism != "Kerberos" || !tr.Authenticated || !tr.KerberosAttempted || tr.KerberosFailure != "" || tr.FinalStatus != 200 {
			t.Errorf("%s: %s", tc.url, tr.Verdict())
		}
		if tr.SPN != v[2] || tr.Ticket == nil || tr.Ticket.Server != v[2] {
			t.Errorf("%s: SPN %q ticket %+v", tc.url, tr.SPN, tr.Ticket)
		}
		if !strings.Contains(tr.ObserverSees, "not the user") {
			t.Errorf("%s: observer sees %q", tc.url, tr.ObserverSees)
		}
		if !tr.MutualAuth || !tr.MutualAuthVerified {
			t.Errorf("%s: mutual auth %v verified %v", tc.url, tr.MutualAuth, tr.MutualAuthVerified)
		}
		if tr.ReauthOnSameConnection == nil || *tr.ReauthOnSameConnection != tc.reauth {
			t.Errorf("%s: reauth on same connection = %v, want %v (%s)", tc.url, tr.ReauthOnSameConnection, tc.reauth, tr.ReuseNote)
		}
		if tr.PersistentAuthHeader != tc.persistent {
			t.Errorf("%s: Persistent-Auth %q, want %q", tc.url, tr.PersistentAuthHeader, tc.persistent)
		}
		// every round after the first must have used the first connection
		for i, r := range tr.Rounds {
			if r.Conn.Local != tr.Rounds[0].Conn.Local || (i > 0) != r.Conn.Reused {
				t.Errorf("%s: round %d conn %+v (first %+v)", tc.url, i, r.Conn, tr.Rounds[0].Conn)
			}
		}
		if len(tr.Rounds) != 3 || tr.Rounds[1].Sent == nil || tr.Rounds[1].Sent.InnerKind != negotiate.KerberosAPReq {
			t.Fatalf("%s: rounds %+v", tc.url, tr.Rounds)
		}
	}
}

func TestIntegrationProbeMissingSPN(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_UNBOUND", "IISKERB_MISSING_SPN")
	o := probeOpts(e, e.client(t))
	o.SPN = v[1]
	tr, err := negotiate.Probe(context.Background(), v[0], o)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Authenticated || !tr.KerberosAttempted || tr.KerberosError == nil || tr.KerberosError.Code != 7 || tr.KerberosError.Service {
		t.Fatalf("%s\n%+v", tr.Verdict(), tr.KerberosError)
	}
	if !strings.Contains(tr.KerberosFailure, "no service ticket") || tr.FinalStatus != 401 || len(tr.Rounds) != 1 {
		t.Errorf("failure %q, status %d, %d rounds", tr.KerberosFailure, tr.FinalStatus, len(tr.Rounds))
	}

	// a wrong password fails at login, before any SPN is involved
	bad, err := negotiate.NewClient(negotiate.ClientConfig{Krb5Conf: e.conf, User: e.user, Password: "not-" + e.password})
	if err != nil {
		t.Fatal(err)
	}
	tr, err = negotiate.Probe(context.Background(), v[0], probeOpts(e, bad))
	if err != nil {
		t.Fatal(err)
	}
	ke := tr.KerberosError
	if tr.Authenticated || ke == nil || ke.Code != 24 || ke.SPN != "krbtgt/"+e.realm || !strings.Contains(tr.KerberosFailure, "could not log in") {
		t.Errorf("wrong password: %s (%+v)", tr.KerberosFailure, ke)
	}
}

func TestIntegrationProbeStaleKeytab(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_STALE", "IISKERB_STALE_SPN", "IISKERB_OLDKVNO_SPN")
	cl := e.client(t)
	// A key changed under the same kvno: MIT answers KRB_AP_ERR_BAD_INTEGRITY (31),
	// Windows KRB_AP_ERR_MODIFIED (41). A kvno the keytab lacks: BADKEYVER (44).
	for _, tc := range []struct {
		spn   string
		codes []int32
		words string
	}{{v[1], []int32{31, 41}, "could not decrypt"}, {v[2], []int32{44}, "key version"}} {
		spn := tc.spn
		o := probeOpts(e, cl)
		o.SPN = spn
		tr, err := negotiate.Probe(context.Background(), v[0], o)
		if err != nil {
			t.Fatal(err)
		}
		ke := tr.KerberosError
		if tr.Authenticated || ke == nil || !ke.Service || tr.FinalStatus != 401 {
			t.Fatalf("%s: %s (%+v)", spn, tr.Verdict(), ke)
		}
		if !slices.Contains(tc.codes, ke.Code) {
			t.Errorf("%s: code %d %s, want one of %v", spn, ke.Code, ke.Name, tc.codes)
		}
		if !strings.Contains(tr.KerberosFailure, "rejected the Kerberos ticket") || !strings.Contains(ke.Meaning, tc.words) {
			t.Errorf("%s: failure %q meaning %q", spn, tr.KerberosFailure, ke.Meaning)
		}
		if tr.Ticket == nil || tr.Ticket.Server != spn {
			t.Errorf("%s: ticket %+v", spn, tr.Ticket)
		}
	}
}

func TestIntegrationProbeNTLM(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_NTLM", "IISKERB_NTLM_USER", "IISKERB_NTLM_PASSWORD", "IISKERB_NTLM_DOMAIN", "IISKERB_MISSING_SPN")
	creds := &negotiate.NTLMCredentials{User: v[1], Password: v[2], Domain: v[3], Workstation: "PROBE01"}
	cl := e.client(t)

	check := func(name string, tr *negotiate.Transcript, err error, fallback bool) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if tr.Mechanism != "NTLM" || !tr.NTLMUsed || tr.FellBackToNTLM != fallback || tr.FinalStatus != 200 {
			t.Errorf("%s: %s", name, tr.Verdict())
		}
		if tr.ReauthOnSameConnection == nil || *tr.ReauthOnSameConnection {
			t.Errorf("%s: NTLM on a connection-bound location must persist: %s", name, tr.ReuseNote)
		}
		var auth *negotiate.Token
		for _, r := range tr.Rounds {
			if r.Step == "ntlm-authenticate" {
				auth = r.Sent
			}
		}
		if auth == nil || auth.NTLM == nil || !strings.EqualFold(auth.NTLM.User, v[1]) || auth.NTLM.Workstation != "PROBE01" {
			t.Fatalf("%s: AUTHENTICATE token %+v", name, auth)
		}
		if !strings.Contains(tr.ObserverSees, v[1]) {
			t.Errorf("%s: observer sees %q", name, tr.ObserverSees)
		}
		if vis := auth.Visible(); !vis.ClientIdentityVisible {
			t.Errorf("%s: NTLM AUTHENTICATE visibility %+v", name, vis)
		}
		js, _ := json.Marshal(tr)
		var text bytes.Buffer
		_ = tr.WriteText(&text)
		if bytes.Contains(js, []byte(v[2])) || strings.Contains(text.String(), v[2]) {
			t.Errorf("%s: the NTLM password leaked into the transcript", name)
		}
	}

	// no Kerberos client: "Kerberos not attempted, NTLM succeeded"
	o := probeOpts(e, nil)
	o.NTLM = creds
	tr, err := negotiate.Probe(context.Background(), v[0], o)
	check("no kerberos", tr, err, false)
	if tr.KerberosAttempted || !strings.HasPrefix(tr.KerberosFailure, "not attempted") {
		t.Errorf("no kerberos: %q", tr.KerberosFailure)
	}

	// Kerberos fails at the KDC (SPN missing): fallback to NTLM, SPNEGO-wrapped and raw
	for _, raw := range []bool{false, true} {
		o = probeOpts(e, cl)
		o.NTLM, o.NTLMRaw, o.SPN = creds, raw, v[4]
		tr, err = negotiate.Probe(context.Background(), v[0], o)
		check("fallback", tr, err, true)
		if tr.KerberosError == nil || tr.KerberosError.Code != 7 {
			t.Errorf("fallback raw=%v: kerberos error %+v", raw, tr.KerberosError)
		}
		sent := tr.Rounds[1].Sent
		if sent == nil || (sent.Kind == negotiate.NTLMNegotiate) != raw {
			t.Errorf("raw=%v: first NTLM token %+v", raw, sent)
		}
	}

	// the server rejects the ticket (stale keytab), NTLM still works
	if u := os.Getenv("IISKERB_HTTP_URL_STALE_NTLM"); u != "" || testenv.Strict() {
		o = probeOpts(e, cl)
		o.NTLM = creds
		tr, err = negotiate.Probe(context.Background(), u, o)
		check("stale keytab", tr, err, true)
		if tr.KerberosError == nil || !tr.KerberosError.Service || !strings.Contains(strings.Join(tr.Notes, " "), "rejected the Kerberos ticket") {
			t.Errorf("stale keytab: %+v %v", tr.KerberosError, tr.Notes)
		}
		if !strings.HasPrefix(tr.SPN, "HTTP/stale.") {
			t.Errorf("stale keytab: SPN %q", tr.SPN)
		}
	}

	// wrong NTLM password: NTLM fails, reported as such
	o = probeOpts(e, nil)
	o.NTLM = &negotiate.NTLMCredentials{User: v[1], Password: "wrong-" + v[2], Domain: v[3]}
	tr, err = negotiate.Probe(context.Background(), v[0], o)
	if err != nil {
		t.Fatal(err)
	}
	if tr.Authenticated || tr.NTLMFailure == "" || tr.FinalStatus != 401 {
		t.Errorf("wrong password: %s", tr.Verdict())
	}
}

// TestIntegrationCurlNegotiate captures what a real client (curl with MIT
// GSSAPI) sends to a Go server, decodes it with DecodeToken, and validates it
// with gokrb5 as the acceptor (PAC decoding off: MIT tickets carry a PAC
// gokrb5 cannot parse).
func TestIntegrationCurlNegotiate(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_USER_CCACHE", "IISKERB_HTTP_KEYTAB", "IISKERB_HTTP_SPN")
	curl := testenv.LookPath(t, "curl")
	kt, err := keytab.Load(v[1])
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var captured []string
	validated := false
	// gokrb5 calls the inner handler only after it validated the AP-REQ
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		validated = true
		mu.Unlock()
		_, _ = w.Write([]byte("ok\n"))
	})
	acceptor := spnego.SPNEGOKRB5Authenticate(ok, kt, service.DecodePAC(false))
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a := r.Header.Get("Authorization"); a != "" {
			mu.Lock()
			captured = append(captured, a)
			mu.Unlock()
		}
		acceptor.ServeHTTP(w, r)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	cc := filepath.Join(t.TempDir(), "ccache")
	b, err := os.ReadFile(v[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cc, b, 0o600); err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(v[2], "HTTP/")
	url := "http://" + host + ":" + strconv.Itoa(port) + "/"
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sS", "-v", "-f", "--negotiate", "-u", ":",
		"--resolve", host+":"+strconv.Itoa(port)+":127.0.0.1", url)
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+e.conf, "KRB5CCNAME=FILE:"+cc)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(captured) == 0 {
		t.Fatalf("curl sent no Authorization header:\n%s", out)
	}
	c, err := negotiate.ParseAuthorization(captured[0])
	if err != nil {
		t.Fatal(err)
	}
	tok, err := negotiate.DecodeToken(c.Token)
	if err != nil {
		t.Fatalf("decode curl's token: %v", err)
	}
	if tok.Kind != negotiate.SPNEGOInit || tok.InnerKind != negotiate.KerberosAPReq || tok.Kerberos == nil || tok.Kerberos.APReq == nil {
		t.Fatalf("curl token kind %v/%v", tok.Kind, tok.InnerKind)
	}
	ap := tok.Kerberos.APReq
	if ap.Realm != e.realm || ap.SPN != v[2] || ap.TicketEncType != 18 || ap.TicketKVNO < 1 || !ap.MutualRequired {
		t.Errorf("curl AP-REQ %+v", ap)
	}
	if vis := tok.Visible(); vis.ClientIdentityVisible || vis.User != "" || vis.SPN != v[2] {
		t.Errorf("visibility of curl's Kerberos token: %+v", vis)
	}
	if !validated {
		t.Error("gokrb5 (PAC decoding off) did not accept curl's ticket")
	}
}

// TestIntegrationCurlNTLM decodes the NTLM tokens curl (gss-ntlmssp through
// SPNEGO) sends to Apache, read from curl's -v trace.
func TestIntegrationCurlNTLM(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_NTLM", "IISKERB_NTLM_USER", "IISKERB_NTLM_PASSWORD", "IISKERB_NTLM_DOMAIN")
	curl := testenv.LookPath(t, "curl")
	if _, err := os.Stat("/etc/gss/mech.d/mech.ntlmssp.conf"); err != nil {
		testenv.Skip(t, "gss-ntlmssp not installed")
	}
	dir := t.TempDir()
	users := filepath.Join(dir, "ntlm_users")
	if err := os.WriteFile(users, []byte(v[3]+":"+v[1]+":"+v[2]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hostport := strings.SplitN(strings.TrimPrefix(v[0], "http://"), "/", 2)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, curl, "-sS", "-v", "-f", "-o", os.DevNull, "--negotiate", "-u", ":",
		"--resolve", hostport+":"+strings.Split(e.httpAddr, ":")[0], v[0])
	// an empty ticket cache: SPNEGO falls back to NTLM with the gss-ntlmssp credentials
	cmd.Env = append(os.Environ(), "KRB5_CONFIG="+e.conf, "KRB5CCNAME=FILE:"+filepath.Join(dir, "empty"), "NTLM_USER_FILE="+users)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("curl: %v\n%s", err, out)
	}
	var kinds []string
	var user string
	for _, m := range regexp.MustCompile(`(?m)^> Authorization: (.*?)\r?$`).FindAllStringSubmatch(string(out), -1) {
		c, err := negotiate.ParseAuthorization(m[1])
		if err != nil {
			t.Fatal(err)
		}
		tok, err := negotiate.DecodeToken(c.Token)
		if err != nil {
			t.Fatalf("decode %q: %v", m[1], err)
		}
		kinds = append(kinds, tok.InnerKind.String())
		if tok.NTLM != nil && tok.NTLM.MessageType == 3 {
			user = tok.Visible().User
		}
	}
	if strings.Join(kinds, ",") != "NTLM NEGOTIATE,NTLM AUTHENTICATE" {
		t.Errorf("curl NTLM tokens %v\n%s", kinds, out)
	}
	if !strings.EqualFold(user, v[1]) && !strings.EqualFold(user, v[3]+`\`+v[1]) {
		t.Errorf("visible user %q", user)
	}
	if strings.Contains(string(out), base64.StdEncoding.EncodeToString([]byte(v[2]))) {
		t.Error("password in curl output")
	}
}

type aliasResolver map[string]string

func (a aliasResolver) LookupCNAME(_ context.Context, host string) (string, error) {
	if c, ok := a[host]; ok {
		return c + ".", nil
	}
	return host + ".", nil
}

// TestIntegrationProbeSPNChoice: a site reached through a CNAME needs the SPN
// of the canonical name (what browsers ask for), and a port in the SPN (the
// EnableAuthNegotiatePort policy) asks for an SPN nobody registered.
func TestIntegrationProbeSPNChoice(t *testing.T) {
	e := requireKrb(t)
	v := testenv.Require(t, "IISKERB_HTTP_URL_UNBOUND", "IISKERB_HTTP_SPN")
	canonical := strings.TrimPrefix(v[1], "HTTP/")
	alias := strings.Replace(v[0], canonical, "intranet.example.test", 1)
	o := probeOpts(e, e.client(t))
	o.Resolver = aliasResolver{"intranet.example.test": canonical}
	tr, err := negotiate.Probe(context.Background(), alias, o)
	if err != nil {
		t.Fatal(err)
	}
	if tr.SPN != v[1] || !strings.Contains(tr.SPNSource, "CNAME") || tr.Mechanism != "Kerberos" {
		t.Errorf("alias: SPN %q (%s): %s", tr.SPN, tr.SPNSource, tr.Verdict())
	}
	o.IncludePort = true
	tr, err = negotiate.Probe(context.Background(), alias, o)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tr.SPN, v[1]+":") || tr.Authenticated || tr.KerberosError == nil || tr.KerberosError.Code != 7 {
		t.Errorf("with port: SPN %q: %s", tr.SPN, tr.Verdict())
	}
}
